/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_HOST_H
#define SRIOV_HOST_H

/*
 * Host discovery: the SR-IOV hardware of one host as the kernel presents it
 * in sysfs. Everything is read through a struct sriov_root, so a captured
 * or fake tree can stand in for /sys.
 *
 * Conventions of the model: a string that the kernel did not give is NULL;
 * a number it did not give is -1 (int) or has its has_* flag false. Ids are
 * lowercase 4-digit hex without 0x ("15b3"). A file that is missing or
 * unreadable is recorded in the device's problems[] and does not hide the
 * rest of the host.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/types.h>
#include <sriov/root.h>

enum sriov_link_type {
	SRIOV_LINK_UNKNOWN = 0,
	SRIOV_LINK_ETHERNET,
	SRIOV_LINK_INFINIBAND,
};

const char *sriov_link_type_name(enum sriov_link_type t);

struct sriov_netdev {
	char *name;
	enum sriov_link_type link_type;
	int ifindex; /* -1 when unknown */
	char *operstate;
};

struct sriov_ib_port {
	unsigned port;
	char *link_layer; /* "InfiniBand" or "Ethernet" */
	char *state; /* "ACTIVE", ... without the kernel's number */
	bool has_port_guid;
	uint64_t port_guid; /* interface id of GID 0 */
	int lid; /* -1 when unknown */
	uint16_t *pkeys; /* the non-zero entries of ports/N/pkeys/, in order */
	size_t n_pkeys;
};

/* The mlx4 iov/ tree (drivers/infiniband/hw/mlx4/sysfs.c). */
struct sriov_mlx4_port {
	unsigned port;
	uint16_t *pkeys; /* physical table, index i = iov/ports/N/pkeys/i */
	size_t n_pkeys;
	uint64_t *admin_guids; /* iov/ports/N/admin_guids/i */
	size_t n_admin_guids;
	uint64_t *gids; /* interface ids of iov/ports/N/gids/i */
	size_t n_gids;
};

struct sriov_mlx4_vf_port {
	unsigned port;
	int *pkey_idx; /* virtual index -> physical index, -1 = none */
	size_t n_pkey_idx;
	int gid_idx; /* iov/<VF>/ports/N/gid_idx/0, -1 when unknown */
};

struct sriov_mlx4_vf {
	char *address; /* the VF's PCI address: iov/<address>/ */
	struct sriov_mlx4_vf_port *ports;
	size_t n_ports;
};

struct sriov_mlx4_iov {
	struct sriov_mlx4_port *ports;
	size_t n_ports;
	struct sriov_mlx4_vf *vfs;
	size_t n_vfs;
};

struct sriov_ib_device {
	char *name;
	bool has_node_guid;
	uint64_t node_guid;
	struct sriov_ib_port *ports;
	size_t n_ports;
	struct sriov_mlx4_iov *mlx4_iov; /* NULL when absent */
};

struct sriov_vf {
	int index; /* N of virtfnN */
	char *address; /* PCI address */
	char *vendor;
	char *device;
	char *driver;
	char *netdev; /* first netdev, NULL when none */
	int iommu_group;
	struct sriov_ib_device *ib; /* the VF's own RDMA device, if any */
};

struct sriov_pf {
	char *bus; /* "pci", or the bus name ("netdevsim") */
	char *address; /* the bus's own address */
	char *vendor;
	char *device;
	char *class; /* "020000" */
	char *driver;
	int numa_node;
	int iommu_group;
	int sriov_totalvfs;
	int sriov_numvfs;
	char *sriov_vf_device;
	int sriov_drivers_autoprobe;
	struct sriov_netdev *netdevs;
	size_t n_netdevs;
	struct sriov_ib_device *ib; /* NULL when none */
	struct sriov_vf *vfs;
	size_t n_vfs;
	char **problems; /* what could not be read, one message each */
	size_t n_problems;
};

struct sriov_other_device {
	char *address;
	char *vendor;
	char *device;
	char *class;
	char *driver;
};

struct sriov_host {
	struct sriov_pf *pfs;
	size_t n_pfs;
	struct sriov_other_device *others;
	size_t n_others;
};

/**
 * sriov_host_discover() - read the host's SR-IOV hardware
 * @root: the sysfs root to read
 * @ret: filled on success; release with sriov_host_release()
 *
 * Return: 0, or -errno when the tree cannot be read at all (a missing
 * bus/pci is not an error: a host may have no PCI).
 */
int sriov_host_discover(struct sriov_root *root, struct sriov_host *ret,
			struct sriov_error *err);
void sriov_host_release(struct sriov_host *host);

/* Find a PF by netdev name or bus address; NULL when none. */
const struct sriov_pf *sriov_host_find_pf(const struct sriov_host *host,
					  const char *dev);

#endif
