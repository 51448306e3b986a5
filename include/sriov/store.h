/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_STORE_H
#define SRIOV_STORE_H

/*
 * sriovd's state in SQLite (WAL, foreign keys, schema migrations by
 * PRAGMA user_version): the VFs it manages, the ports bound to them, the
 * original state of each VF saved before it was touched, and a journal of
 * operations whose intent is written before the operation starts.
 *
 * The invariants live in SQL, not in the caller: a port references at most
 * one VF and a VF is referenced by at most one port (UNIQUE), a VF row is
 * 'bound' exactly when a port references it (triggers), and allocation is
 * one BEGIN IMMEDIATE transaction, so two processes or threads racing for
 * the last VF cannot both get it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/types.h>

struct sriov_store;

#define SRIOV_STORE_SCHEMA_VERSION 2

enum sriov_vf_state {
	SRIOV_VF_FREE,
	SRIOV_VF_BOUND,
	SRIOV_VF_QUARANTINED,
};
const char *sriov_vf_state_name(enum sriov_vf_state s);

/*
 * A function the store hands out: a VF, or (whole) a PF given to one
 * direct-physical port; a PF is never both at once (a trigger).
 */
struct sriov_store_vf {
	int64_t id;
	char pf[64]; /* the PF as named in the config (netdev or PCI address) */
	bool whole; /* the PF itself; index is 0, address the PF's */
	unsigned index;
	char address[64]; /* PCI address, empty when the VF has none */
	char physnet[64];
	int numa_node; /* -1 when unknown */
	bool excluded;
	bool scrubbed; /* left in the verified quarantine state by us */
	enum sriov_vf_state state;
	char reason[256]; /* why quarantined */
	char port[128]; /* the owning port, empty when none */
};

/*
 * The state of a VF before a port took it, as the kernel reported it.
 * Strings are empty when unknown; has_* tells what was read.
 */
struct sriov_saved_state {
	char mac[64];
	uint32_t vlan, qos;
	uint16_t vlan_proto;
	int32_t spoofchk, trust; /* -1 when not reported */
	uint32_t link_state;
	uint32_t min_tx_rate, max_tx_rate;
	bool has_guids;
	uint64_t node_guid, port_guid;
	char driver[64];
	char netdev[64];
	char mlx4_pkey_idx[256]; /* "virt:phys,..." of the mlx4 iov tree */
};

/* A port and the VF it holds. */
struct sriov_store_port {
	char id[128];
	char network[64]; /* physnet */
	char vnic_type[32];
	char status[16]; /* binding, bound, unbinding */
	char *settings; /* JSON text of the request; owned */
	int64_t vf_id;
	char pf[64];
	bool whole; /* holds the whole PF (direct-physical) */
	unsigned vf_index;
	char address[64];
	int64_t created; /* unix seconds */
};
void sriov_store_port_release(struct sriov_store_port *p);

/* A journal entry. */
struct sriov_journal {
	int64_t seq;
	char op[16]; /* bind, unbind, clear, repair, rollback */
	char port[128];
	int64_t vf_id;
	char status[16]; /* started, done, failed, rolled_back */
	char *intent; /* JSON text; owned */
	char *detail; /* owned; may be NULL */
	int64_t started, finished; /* unix milliseconds */
};
void sriov_journal_release(struct sriov_journal *j);

/**
 * sriov_store_open() - open (creating and migrating) the state database
 * @path: the database file; its directory must exist
 *
 * Sets WAL, foreign keys, synchronous=FULL and a busy timeout, then runs
 * every migration above the file's user_version in one transaction.
 * Return: 0 or -errno; a database newer than this program is refused.
 */
int sriov_store_open(const char *path, struct sriov_store **ret,
		     struct sriov_error *err);
void sriov_store_close(struct sriov_store *s);
int sriov_store_schema_version(struct sriov_store *s);

/**
 * sriov_store_sync_vf() - record a VF present on the host
 *
 * Inserts the VF as free, or updates its address, physnet, NUMA node and
 * exclusion. Its state and owner are never changed here.
 */
int sriov_store_sync_vf(struct sriov_store *s, const struct sriov_store_vf *vf,
			struct sriov_error *err);

/**
 * sriov_store_allocate() - take a free VF for a new port, atomically
 * @port: id, network, vnic_type and settings of the new port; vnic_type
 *        "direct-physical" takes a whole PF row, any other a VF
 * @pf: restrict to this PF; NULL for any PF of the physnet
 * @numa: how @numa_node is used: none ignores it, preferred orders by it,
 *        required takes only VFs of the node, legacy those of the node or
 *        of no known node (socket is not known here: as preferred)
 * @numa_node: the request's node, -1 for none
 * @intent: JSON written to the journal before anything is done
 * @ret_vf: the chosen VF
 * @ret_seq: the journal entry, to finish with sriov_store_finish()
 *
 * One BEGIN IMMEDIATE transaction: the journal entry, the port (status
 * binding) and the VF (state bound) are written together, or nothing.
 * Return: 0, -EEXIST when the port exists, -ENOSPC when no VF is free.
 */
int sriov_store_allocate(struct sriov_store *s,
			 const struct sriov_store_port *port, const char *pf,
			 enum sriov_numa_policy numa, int numa_node,
			 const char *intent, struct sriov_store_vf *ret_vf,
			 int64_t *ret_seq, struct sriov_error *err);

/**
 * sriov_store_allocate_vf() - take the one VF a caller names, atomically
 * @slot: the VF's PCI address, or "PF:vfN" with the PF as the store names
 *        it (a VF with no PCI function)
 * @pf: the PF the request restricts to; NULL for any
 * @numa: only SRIOV_NUMA_REQUIRED is held against the VF (the caller
 *        chose it); the other policies have nothing to choose among
 *
 * As sriov_store_allocate(), for that VF alone. Return: 0; -EEXIST when
 * the port exists; -ENOENT when no such VF is managed; -EINVAL when it is
 * on another network, of another PF or NUMA node; -EPERM when excluded;
 * -EBUSY when bound, quarantined, or its PF is handed over whole. Each
 * message names the VF and why.
 */
int sriov_store_allocate_vf(struct sriov_store *s,
			    const struct sriov_store_port *port,
			    const char *slot, const char *pf,
			    enum sriov_numa_policy numa, int numa_node,
			    const char *intent, struct sriov_store_vf *ret_vf,
			    int64_t *ret_seq, struct sriov_error *err);

int sriov_store_save_state(struct sriov_store *s, int64_t vf_id,
			   const struct sriov_saved_state *st,
			   struct sriov_error *err);
/* -ENOENT when nothing was saved for the VF. */
int sriov_store_get_state(struct sriov_store *s, int64_t vf_id,
			  struct sriov_saved_state *ret,
			  struct sriov_error *err);

/* A bind succeeded: port status bound, journal done. */
int sriov_store_bind_done(struct sriov_store *s, int64_t seq,
			  const char *port_id, struct sriov_error *err);

/**
 * sriov_store_unbind_begin() - journal an unbind of @port_id
 * @op: "unbind" or "rollback"
 *
 * Port status becomes unbinding. Return: 0, -ENOENT when no such port.
 */
int sriov_store_unbind_begin(struct sriov_store *s, const char *port_id,
			     const char *op, const char *intent,
			     int64_t *ret_seq, struct sriov_error *err);

/**
 * sriov_store_release() - the port is gone and its VF left in a state
 * @state: SRIOV_VF_FREE (scrub verified) or SRIOV_VF_QUARANTINED
 * @reason: why quarantined; NULL for free
 *
 * Deletes the port (its saved state with it), sets the VF's state, and
 * closes journal entry @seq with @status.
 */
int sriov_store_release(struct sriov_store *s, int64_t seq, const char *port_id,
			enum sriov_vf_state state, const char *reason,
			const char *status, struct sriov_error *err);

/* The index that names a PF's own row (sriov_store_vf.whole). */
#define SRIOV_STORE_WHOLE_PF ((unsigned)-1)
/* Operator action: a quarantined VF (or whole PF: @index
 * SRIOV_STORE_WHOLE_PF) becomes free. -EBUSY when bound. */
int sriov_store_vf_clear(struct sriov_store *s, const char *pf, unsigned index,
			 struct sriov_error *err);
/* Quarantine a free VF (failed scrub found by a check). */
int sriov_store_vf_quarantine(struct sriov_store *s, int64_t vf_id,
			      const char *reason, struct sriov_error *err);
int sriov_store_vf_set_scrubbed(struct sriov_store *s, int64_t vf_id,
				bool scrubbed, struct sriov_error *err);

/* Lists; the caller frees the arrays (and releases ports). */
int sriov_store_list_vfs(struct sriov_store *s, struct sriov_store_vf **ret,
			 size_t *ret_n, struct sriov_error *err);
int sriov_store_list_ports(struct sriov_store *s, struct sriov_store_port **ret,
			   size_t *ret_n, struct sriov_error *err);
/* -ENOENT when no such port. */
int sriov_store_get_port(struct sriov_store *s, const char *id,
			 struct sriov_store_port *ret, struct sriov_error *err);
/* Replace the stored request of a port (e.g. with the GUID it was given). */
int sriov_store_port_set_settings(struct sriov_store *s, const char *id,
				  const char *settings,
				  struct sriov_error *err);
int sriov_store_get_vf(struct sriov_store *s, int64_t vf_id,
		       struct sriov_store_vf *ret, struct sriov_error *err);

/* Journal entries still 'started' (half-done operations), oldest first. */
int sriov_store_pending(struct sriov_store *s, struct sriov_journal **ret,
			size_t *ret_n, struct sriov_error *err);
/* Close a journal entry without other changes. */
int sriov_store_journal_finish(struct sriov_store *s, int64_t seq,
			       const char *status, const char *detail,
			       struct sriov_error *err);
/* Append a finished entry (repairs, clears). */
int sriov_store_journal_note(struct sriov_store *s, const char *op,
			     const char *port_id, int64_t vf_id,
			     const char *detail, struct sriov_error *err);

#endif
