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
#include <sriov/partitions.h>

/* One LID-bearing port: a CA or router port, or a switch's port 0. */
struct sriov_ib_port {
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
	struct sriov_ib_port *ports; /* sorted by LID, then GUID */
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

#endif
