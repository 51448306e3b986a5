/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CONFIG_HOSTYAML_H
#define SRIOV_CONFIG_HOSTYAML_H

/*
 * host.yaml (docs/vf.md): the desired SR-IOV state of a host. This layer
 * checks the shape (known keys, PF selectors, VF ranges) and keeps every
 * value as text with its position; the core validates the values, so its
 * messages can still name file:line:column.
 */

#include <stddef.h>

#include <sriov/error.h>

struct host_kv {
	char *key;
	char *val;
	unsigned line, col; /* 1-based, of the value */
};

struct host_vfs {
	unsigned first, last; /* "vf: 3" or "vf: 0-7" */
	unsigned line, col;
	struct host_kv *kv; /* mac, vlan, ..., driver */
	size_t n_kv;
};

struct host_pf {
	unsigned line, col;
	struct host_kv *kv; /* pci, name, vendor, device, numvfs, driver */
	size_t n_kv;
	struct host_vfs *vfs;
	size_t n_vfs;
};

struct host_file {
	char *path;
	struct host_pf *pfs;
	size_t n_pfs;
};

/* Return: 0, or -EINVAL with @err at file:line:column. */
int host_parse(const char *path, const char *buf, size_t len,
	       struct host_file *ret, struct sriov_error *err);
void host_file_release(struct host_file *h);
const struct host_kv *host_kv_get(const struct host_kv *kv, size_t n,
				  const char *key);

#endif
