/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_APPLY_H
#define SRIOV_APPLY_H

/*
 * sriovctl apply: bring a host to the state a host.yaml describes (docs/vf.md
 * has the schema). Every value in the file is validated, and every PF
 * resolved, before anything changes. Then each PF is planned (a diff of
 * current and desired), changed, and read back; all-or-nothing per PF: on a
 * failure what was changed on that PF is restored.
 */

#include <stdbool.h>
#include <stddef.h>

#include <sriov/error.h>
#include <sriov/root.h>

enum {
	SRIOV_APPLY_DRY_RUN = 1 << 0, /* plan only */
	/* skip PF entries that select no device (yet), as at boot */
	SRIOV_APPLY_PRESENT_ONLY = 1 << 1,
};

/* One line of the plan: @vf is -1 for a PF setting (numvfs). */
struct sriov_apply_change {
	size_t pf; /* index in sriov_apply_report.pfs */
	int vf;
	char key[16];
	char from[80];
	char to[80];
};

struct sriov_apply_pf {
	char name[64]; /* netdev name, else the device name */
	char dev[64];
	size_t n_changes;
	int code; /* 0, or the failure */
	char msg[SRIOV_ERROR_MSG_MAX];
	bool restored; /* after a failure, what changed was put back */
	char restore_msg[SRIOV_ERROR_MSG_MAX]; /* when it could not be */
};

struct sriov_apply_report {
	struct sriov_apply_pf *pfs;
	size_t n_pfs;
	struct sriov_apply_change *changes; /* in plan order */
	size_t n_changes;
};
void sriov_apply_report_release(struct sriov_apply_report *r);

/**
 * sriov_apply_file() - apply host.yaml at @path
 * @flags: SRIOV_APPLY_DRY_RUN
 * @ret: the plan and, per PF, the outcome; filled whenever the file was
 *       valid (also on a PF failure), release with
 *       sriov_apply_report_release()
 *
 * Return: 0 when every PF is as the file says (nothing to do counts), -EINVAL
 * with file:line:column in @err for a bad file (nothing changed), or the
 * first PF failure (@ret says which PFs failed and whether they were
 * restored). @path must be a regular file of at most 4 MiB (else -EFBIG,
 * -EISDIR or -EINVAL, naming it; nothing changed).
 */
int sriov_apply_file(struct sriov_root *root, const char *path, unsigned flags,
		     struct sriov_apply_report *ret, struct sriov_error *err);

/* The same from a buffer; @name is used in messages. */
int sriov_apply_buffer(struct sriov_root *root, const char *name,
		       const char *buf, size_t len, unsigned flags,
		       struct sriov_apply_report *ret, struct sriov_error *err);

/* How a host.yaml entry names its PF(s), for sriovctl render. */
struct sriov_host_selector {
	char kind[8]; /* "pci", "name" or "ids" */
	char value[64]; /* the address or netdev name */
	unsigned vendor, device; /* for "ids" */
};

/**
 * sriov_host_selectors() - the PF selectors of host.yaml at @path
 * @ret: malloc'd array (free()), one per pfs entry
 *
 * Checks the file's shape (not its values); @path is read as by
 * sriov_apply_file(). Return: 0, -errno.
 */
int sriov_host_selectors(const char *path, struct sriov_host_selector **ret,
			 size_t *ret_n, struct sriov_error *err);

#endif
