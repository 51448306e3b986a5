/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_TYPES_H
#define SRIOV_TYPES_H

/*
 * The vocabulary every layer shares: vnic types, NUMA policies, VF
 * drivers, names that may become a path component or a port id, GUIDs and
 * P-keys as text. Pure functions of their arguments (src/lib/util/types.c),
 * below every other layer, so config, nova, store and core all use the one
 * spelling.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sriov/error.h>

enum sriov_vnic_type {
	SRIOV_VNIC_DIRECT, /* a VF for the VM, bound to vfio-pci */
	SRIOV_VNIC_MACVTAP, /* the VF netdev stays on the host */
	SRIOV_VNIC_DIRECT_PHYSICAL, /* a whole PF */
	SRIOV_VNIC_MAX,
};
const char *sriov_vnic_type_name(enum sriov_vnic_type t);
/* -EINVAL when @s is not "direct", "macvtap" or "direct-physical". */
int sriov_vnic_type_parse(const char *s, enum sriov_vnic_type *ret);

/*
 * PCI NUMA affinity, as Nova's policies (nova/objects/fields.py
 * PCINUMAAffinityPolicy), plus "none" for sriovd's requests that name no
 * node. Nova accepts the first four, sriovd all but socket (it does not
 * know sockets): SRIOV_NUMA_NOVA and SRIOV_NUMA_SRIOVD are the masks.
 */
enum sriov_numa_policy {
	SRIOV_NUMA_LEGACY, /* the node, or devices whose node is unknown */
	SRIOV_NUMA_REQUIRED, /* only the node */
	SRIOV_NUMA_PREFERRED, /* the node if it has a free device, else any */
	SRIOV_NUMA_SOCKET, /* the node's socket (Nova only) */
	SRIOV_NUMA_NONE, /* any node (sriovd only) */
	SRIOV_NUMA_MAX,
};
#define SRIOV_NUMA_BIT(p) (1u << (p))
#define SRIOV_NUMA_NOVA                         \
	(SRIOV_NUMA_BIT(SRIOV_NUMA_LEGACY) |    \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_REQUIRED) |  \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_PREFERRED) | \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_SOCKET))
#define SRIOV_NUMA_SRIOVD                       \
	(SRIOV_NUMA_BIT(SRIOV_NUMA_LEGACY) |    \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_REQUIRED) |  \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_PREFERRED) | \
	 SRIOV_NUMA_BIT(SRIOV_NUMA_NONE))
const char *sriov_numa_policy_name(enum sriov_numa_policy p);
/**
 * sriov_numa_policy_parse() - one of the policies in @allowed
 * @allowed: a mask of SRIOV_NUMA_BIT(); SRIOV_NUMA_NOVA or SRIOV_NUMA_SRIOVD
 *
 * Return: 0, or -EINVAL with @err naming @s and the accepted names.
 */
int sriov_numa_policy_parse(const char *s, unsigned allowed,
			    enum sriov_numa_policy *ret,
			    struct sriov_error *err);

enum sriov_vf_driver {
	SRIOV_VF_DRIVER_VFIO, /* vfio-pci */
	SRIOV_VF_DRIVER_DEFAULT, /* whatever the kernel probes */
	SRIOV_VF_DRIVER_NONE, /* unbound */
};
/* "vfio-pci" (or "vfio"), "default" or "none". */
int sriov_vf_driver_parse(const char *s, enum sriov_vf_driver *ret,
			  struct sriov_error *err);

/* A port id or device name: [A-Za-z0-9._:@-], 1..127 bytes, no "..". */
bool sriov_port_id_valid(const char *s);

/**
 * sriov_guid_parse() - a GUID in any of the forms people write
 *
 * "0x0002c90300a1b2c1" (1 to 16 digits), "0002:c903:00a1:b2c1" (sysfs
 * node_guid) or "00:02:c9:03:00:a1:b2:c1" (ip link). Only the syntax is
 * checked: sriov_guid_check() says whether a VF may carry it.
 * Return: 0, or -EINVAL with @err naming @s and the three forms.
 */
int sriov_guid_parse(const char *s, uint64_t *ret, struct sriov_error *err);
/* A GUID a port may carry: not 0 (the SM assigns), not all ones (deletes
 * an entry), not a group address (I/G bit). -EINVAL saying which. */
int sriov_guid_check(uint64_t guid, struct sriov_error *err);
/* "0x0002c90300a1b2c1"; buf must hold 19 bytes. */
const char *sriov_guid_format(uint64_t guid, char buf[static 19]);
/* "00:02:c9:03:00:a1:b2:c1", as ip link prints it; 24 bytes. */
const char *sriov_guid_format_colon(uint64_t guid, char buf[static 24]);
/* "0xffff"; buf must hold 7 bytes. */
const char *sriov_pkey_format(uint16_t pkey, char buf[static 7]);

#endif
