/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_IB_H
#define SRIOV_IB_H

/*
 * The InfiniBand fabric as the subnet management agents report it over
 * MADs (libibnetdisc discovery with directed-route SMPs, then a
 * PKeyTable Get per LID-bearing port), and the comparison of the P-key
 * tables found with those a partitions intent calls for.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/types.h>
#include <sriov/partitions.h>
#include <sriov/root.h>

/* One LID-bearing port: a CA or router port, or a switch's port 0. */
struct sriov_mad_port {
	uint64_t guid, node_guid;
	enum sriov_node_type type;
	uint16_t lid;
	uint8_t port;
	char name[65]; /* NodeDescription */
	unsigned pkey_cap; /* NodeInfo.PartitionCap */
	uint16_t *pkeys; /* the table in index order, 0x0000 included */
	size_t n_pkeys;
};

struct sriov_ib_fabric {
	struct sriov_mad_port *ports; /* sorted by LID, then GUID */
	size_t n_ports;
	uint64_t sm_guid; /* port whose LID is PortInfo.MasterSMLID; 0 unknown */
};

/**
 * sriov_ib_fabric_scan() - discover the fabric and read P-key tables
 * @ca: local HCA name (NULL: the first), @ca_port: its port (0: first)
 * @ret: release with sriov_ib_fabric_release()
 *
 * Needs access to /dev/infiniband/umad* (root, or umad2sim in the lab).
 * Return: 0, or -errno with @err naming what could not be read.
 */
int sriov_ib_fabric_scan(const char *ca, int ca_port,
			 struct sriov_ib_fabric *ret, struct sriov_error *err);
void sriov_ib_fabric_release(struct sriov_ib_fabric *f);

/**
 * sriov_ib_pkey_set() - write one P-key table entry with SubnSet(PKeyTable)
 * @lid, @port: the port (port 0 for a switch's own port)
 * @index: entry index; @pkey: the value (0 clears it)
 *
 * The subnet manager owns these tables and rewrites them on its next heavy
 * sweep: this is for tests and emergencies. Read-modify-write of the
 * 32-entry block. Return: 0 or -errno.
 */
int sriov_ib_pkey_set(const char *ca, int ca_port, uint16_t lid, uint8_t port,
		      unsigned index, uint16_t pkey, struct sriov_error *err);

/* One difference between intent and fabric on one port. */
enum sriov_pkey_diff_kind {
	SRIOV_PKEY_MISSING, /* intended, not in the table */
	SRIOV_PKEY_EXTRA, /* in the table, not intended */
	SRIOV_PKEY_MEMBERSHIP, /* partition present, other membership */
};

struct sriov_pkey_diff {
	size_t port; /* index into the fabric's ports */
	enum sriov_pkey_diff_kind kind;
	uint16_t want, have; /* 0 where not applicable */
};

/**
 * sriov_ib_verify() - compare a fabric's tables with what OpenSM should
 *                     have programmed from @pc
 * @pc: the intended statements (an intent, or a parsed partitions.conf)
 * @allow_both: OpenSM runs with allow_both_pkeys
 * @ret, @ret_n: the differences, ordered by port; free() the array
 */
int sriov_ib_verify(const struct sriov_ib_fabric *f,
		    const struct sriov_partitions *pc, bool allow_both,
		    struct sriov_pkey_diff **ret, size_t *ret_n,
		    struct sriov_error *err);

const char *sriov_pkey_diff_kind_name(enum sriov_pkey_diff_kind k);

/*
 * Hosts: the InfiniBand side of a PF's VFs.
 *
 * On ConnectX-3 (mlx4) the PF driver keeps, per VF and port, a virtual
 * P-key table whose entries are indexes into the port's physical table,
 * and one alias GUID per function (drivers/infiniband/hw/mlx4/sysfs.c):
 *
 *   class/infiniband/<dev>/iov/ports/<N>/pkeys/<i>         physical table
 *   class/infiniband/<dev>/iov/ports/<N>/admin_guids/<i>   alias GUIDs
 *   class/infiniband/<dev>/iov/ports/<N>/gids/<i>          operational GIDs
 *   class/infiniband/<dev>/iov/<fn>/ports/<N>/pkey_idx/<i> virtual -> phys
 *   class/infiniband/<dev>/iov/<fn>/ports/<N>/gid_idx/0    slot in admin_guids
 *
 * Newer HCAs (mlx5) give each VF a node and a port GUID over rtnetlink
 * (IFLA_VF_IB_NODE_GUID / IFLA_VF_IB_PORT_GUID, include/sriov/vf.h).
 */
/* One VF of an InfiniBand PF, as the commands name it. */
struct sriov_ib_vf {
	char pf_bus[32]; /* "pci", or "netdevsim" in the lab */
	char pf_dev[64]; /* the PF's address on that bus */
	char ifname[16]; /* the PF's netdev; empty when none */
	int ifindex; /* 0 when the PF has no netdev */
	char rdma[64]; /* the PF's RDMA device; empty when none */
	unsigned vf; /* VF index (virtfnN) */
	char vf_addr[64]; /* the VF's address; empty when unknown */
	bool mlx4; /* the RDMA device has an iov/ tree */
	char iov_fn[64]; /* the VF's folder in iov/ (the kernel's name) */
	unsigned port; /* RDMA port, 1-based */
};

/**
 * sriov_ib_vf_resolve() - find a VF from the names a person gives
 * @dev: the PF's netdev, PCI address or RDMA device name
 * @vf: a VF index ("3") or the VF's PCI address
 * @port: the RDMA port; 0 picks the PF's first InfiniBand port
 *
 * For mlx4 the VF's folder is the one mlx4_ib names for function
 * index+1: the first 8 characters of the PF's address, then "%.2d.%d" of
 * (function / 8, function % 8) -- decimal, as the kernel's get_name()
 * writes it. Return: 0 or -errno.
 */
int sriov_ib_vf_resolve(struct sriov_root *root, const char *dev,
			const char *vf, unsigned port, struct sriov_ib_vf *ret,
			struct sriov_error *err);

/* mlx4: the physical table of a port and one VF's mapping onto it. */
struct sriov_mlx4_pkeys {
	uint16_t *phys; /* iov/ports/N/pkeys/<i>, index order, 0 included */
	size_t n_phys;
	int *idx; /* the VF's pkey_idx/<i>: a physical index, -1 = none */
	size_t n_idx; /* the VF's table length (the kernel's pkey_table_len) */
};
void sriov_mlx4_pkeys_release(struct sriov_mlx4_pkeys *t);

/* Read the port's physical table and @vf's mapping. */
int sriov_mlx4_pkeys_read(struct sriov_root *root, const struct sriov_ib_vf *vf,
			  struct sriov_mlx4_pkeys *ret,
			  struct sriov_error *err);

/**
 * sriov_mlx4_pkeys_plan() - the mapping that gives a VF exactly @want
 * @cur: the physical table and the VF's table length
 * @want: the P-keys the VF may use, virtual index 0 first
 * @ret_idx: @cur->n_idx entries: physical index, or -1 for "none"
 *
 * A requested P-key matches a physical entry with the same 16 bits,
 * membership bit included: 0xb000 (full member of 0x3000) does not match
 * 0x3000 (limited), so a VF never gets more (or less) than was asked.
 * Errors, before anything is written: a P-key twice, more P-keys than the
 * VF's table holds, a P-key the subnet manager has not put in the port's
 * table (naming P-key and port, and the other membership when that one is
 * there), an index the kernel would refuse (at or beyond the VF's table
 * length), and the last physical index, which the kernel reserves for
 * "none". Pure: nothing is read or written. Return: 0 or -errno.
 */
int sriov_mlx4_pkeys_plan(const struct sriov_mlx4_pkeys *cur, unsigned port,
			  const uint16_t *want, size_t n_want, int *ret_idx,
			  struct sriov_error *err);

/**
 * sriov_mlx4_pkeys_set() - set a VF's virtual P-key table
 * @want, @n_want: as sriov_mlx4_pkeys_plan()
 * @ret_written: how many pkey_idx files were written (may be NULL)
 *
 * Reads the tables, plans, refuses the PF's own function and Ethernet
 * ports (the kernel: EINVAL, and no store method), then writes only the
 * slots that change (each write makes the PF send the VF a P-key change
 * event), reads every slot back and compares. A write that fails puts the
 * slots already written back as they were. Return: 0 or -errno.
 */
int sriov_mlx4_pkeys_set(struct sriov_root *root, const struct sriov_ib_vf *vf,
			 const uint16_t *want, size_t n_want,
			 unsigned *ret_written, struct sriov_error *err);

/* mlx4: the VF's alias GUID slot. */
struct sriov_mlx4_guid {
	unsigned gid_idx; /* iov/<fn>/ports/N/gid_idx/0 */
	uint64_t admin; /* admin_guids/<gid_idx>: 0 = SM assigns, ~0 = delete */
	bool has_oper;
	uint64_t oper; /* interface id of gids/<gid_idx>: what the port uses */
};

#define SRIOV_MLX4_GUID_SM 0ull /* let the subnet manager assign */
#define SRIOV_MLX4_GUID_DELETE UINT64_MAX /* remove the entry */

int sriov_mlx4_guid_read(struct sriov_root *root, const struct sriov_ib_vf *vf,
			 struct sriov_mlx4_guid *ret, struct sriov_error *err);

/**
 * sriov_mlx4_guid_set() - write a VF's admin alias GUID
 * @admin: a valid GUID (sriov_guid_check()), SRIOV_MLX4_GUID_SM or
 *         SRIOV_MLX4_GUID_DELETE
 *
 * Refuses slot 0 (the PF's port GUID: the kernel logs "GUID 0 block 0 is
 * RO" and reports success) and Ethernet ports. Reads the value back.
 */
int sriov_mlx4_guid_set(struct sriov_root *root, const struct sriov_ib_vf *vf,
			uint64_t admin, struct sriov_error *err);

/**
 * sriov_ib_pf_guid() - the PF port's GUID, base of the derived scheme
 *
 * The interface id of ports/N/gids/0 of the PF's RDMA device; for a PF
 * netdev without one (IPoIB seen only as a netdev) the last 8 bytes of its
 * 20-byte hardware address (QPN + port GID).
 */
int sriov_ib_pf_guid(struct sriov_root *root, const struct sriov_ib_vf *vf,
		     uint64_t *ret, struct sriov_error *err);

/*
 * GUIDs for VFs (docs/infiniband.md, "GUIDs for VFs").
 *
 * Derived scheme, from the PF's port GUID P and the VF index v (0..65535):
 *
 *   bits 63..56  0x02 (port GUID) or 0x06 (node GUID): locally
 *                administered (U/L bit set), individual (I/G bit clear)
 *   bits 55..40  v
 *   bits 39..0   bits 39..0 of P (the vendor's serial part, below the
 *                24-bit OUI)
 *
 * Hardware GUIDs are IEEE-assigned (U/L clear), so a derived GUID never
 * equals one. Two PFs give different GUIDs unless their port GUIDs share
 * the low 40 bits, which within one OUI they cannot: that needs PFs of two
 * vendors, and the check against the fabric catches it.
 *
 * Pool scheme: the lowest GUID of [start, end] that no port, node or other
 * VF uses (the VF keeps the GUID it has if that is in the pool and free).
 */
enum sriov_guid_kind { SRIOV_GUID_PORT, SRIOV_GUID_NODE };

int sriov_guid_derive(uint64_t pf_guid, unsigned vf, enum sriov_guid_kind kind,
		      uint64_t *ret, struct sriov_error *err);

struct sriov_guid_pool {
	uint64_t start, end; /* inclusive */
};

/* Start <= end, and every GUID of the range passes sriov_guid_check(). */
int sriov_guid_pool_check(const struct sriov_guid_pool *pool,
			  struct sriov_error *err);
/* "START-END" with GUIDs as sriov_guid_parse() reads them. */
int sriov_guid_pool_parse(const char *s, struct sriov_guid_pool *ret,
			  struct sriov_error *err);
/*
 * A YAML file:
 *   guid_pool:
 *     start: 0x0202c90300000000
 *     end: 0x0202c903000000ff
 * Unknown keys are errors with file:line:column. @path must be a regular
 * file of at most 64 KiB (else -EFBIG, -EISDIR or -EINVAL, naming it).
 */
int sriov_guid_pool_load(const char *path, struct sriov_guid_pool *ret,
			 struct sriov_error *err);

/**
 * sriov_guid_allocate() - choose a GUID for one VF
 * @pool: NULL for the derived scheme
 * @pf_guid, @vf, @kind: the derived scheme's inputs
 * @used: GUIDs in use (the fabric's, other VFs'); need not be sorted
 * @mine: the VF's current GUID (0 if none): not a collision with itself
 *
 * Return: 0, -EEXIST when the derived GUID is in @used (naming it), or
 * -ENOSPC when the pool has no free GUID.
 */
int sriov_guid_allocate(const struct sriov_guid_pool *pool, uint64_t pf_guid,
			unsigned vf, enum sriov_guid_kind kind,
			const uint64_t *used, size_t n_used, uint64_t mine,
			uint64_t *ret, struct sriov_error *err);

/* Every node and port GUID the fabric reports, sorted, no duplicates;
 * free() the array. */
int sriov_ib_fabric_guids(const struct sriov_ib_fabric *f, uint64_t **ret,
			  size_t *ret_n);

#endif
