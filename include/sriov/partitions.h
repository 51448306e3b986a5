/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_PARTITIONS_H
#define SRIOV_PARTITIONS_H

/*
 * InfiniBand partitions: the P-key model, a parser that reads OpenSM's
 * partitions.conf exactly as OpenSM 3.3 does (opensm/osm_prtn_config.c),
 * a prediction of the P-key tables OpenSM programs from it, and a writer
 * of the same format.
 *
 * A P-key is 16 bits: the low 15 are the partition (base), bit 15 is the
 * membership (set: full member, may talk to everyone in the partition;
 * clear: limited member, may talk to full members only). Base 0 is
 * invalid; 0x7fff is the default partition (0xffff full, 0x7fff limited).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>

#define SRIOV_PKEY_FULL 0x8000u
#define SRIOV_PKEY_BASE_MASK 0x7fffu
#define SRIOV_PKEY_DEFAULT 0x7fffu

static inline uint16_t sriov_pkey_base(uint16_t pkey)
{
	return pkey & SRIOV_PKEY_BASE_MASK;
}

static inline bool sriov_pkey_is_full(uint16_t pkey)
{
	return pkey & SRIOV_PKEY_FULL;
}

/* A P-key names a partition unless its base is 0. */
static inline bool sriov_pkey_is_valid(uint16_t pkey)
{
	return sriov_pkey_base(pkey) != 0;
}

/**
 * sriov_pkey_parse() - read a P-key as a person writes it
 * @s: "0x8001", "0x0100", "32769"; octal is refused (OpenSM would read
 *     "0100" as 64, which nobody means)
 * @ret: the 16-bit value, membership bit as written
 *
 * Return: 0, or -EINVAL naming @s when it is not a number below 0x10000
 * or its base is 0.
 */
int sriov_pkey_parse(const char *s, uint16_t *ret, struct sriov_error *err);

enum sriov_membership {
	SRIOV_MEMBER_LIMITED,
	SRIOV_MEMBER_FULL,
	SRIOV_MEMBER_BOTH,
};

const char *sriov_membership_name(enum sriov_membership m);
/* Exact names "full", "limited", "both"; -EINVAL otherwise. */
int sriov_membership_from_name(const char *s, enum sriov_membership *ret);

/* What a member line names. Values of the groups are OpenSM's node types. */
enum sriov_member_kind {
	SRIOV_MEMBER_GUID = 0,
	SRIOV_MEMBER_ALL,
	SRIOV_MEMBER_ALL_CAS,
	SRIOV_MEMBER_ALL_SWITCHES,
	SRIOV_MEMBER_ALL_ROUTERS,
	SRIOV_MEMBER_SELF,
};

const char *sriov_member_kind_name(enum sriov_member_kind k);
/* Exact group names ALL, ALL_CAS, ...; -EINVAL for anything else. */
int sriov_member_kind_from_name(const char *s, enum sriov_member_kind *ret);

struct sriov_prtn_member {
	enum sriov_member_kind kind;
	uint64_t guid; /* SRIOV_MEMBER_GUID only */
	enum sriov_membership membership; /* after defmember */
	bool explicit_membership; /* "=full" etc. was written */
	unsigned line, column;
};

/* Which group flags a statement wrote (struct sriov_prtn_flags.given). */
enum {
	SRIOV_FLAG_MTU = 1 << 0,
	SRIOV_FLAG_RATE = 1 << 1,
	SRIOV_FLAG_SL = 1 << 2,
	SRIOV_FLAG_SCOPE = 1 << 3,
	SRIOV_FLAG_QKEY = 1 << 4,
	SRIOV_FLAG_TCLASS = 1 << 5,
	SRIOV_FLAG_FLOW_LABEL = 1 << 6,
};

/* IPoIB and multicast group parameters (OpenSM's "group flags"). */
struct sriov_prtn_flags {
	unsigned given; /* SRIOV_FLAG_* */
	unsigned mtu, rate, sl;
	uint16_t scope_mask; /* bit N: scope N */
	uint32_t qkey;
	uint8_t tclass;
	uint32_t flow_label;
};

struct sriov_prtn_mgid {
	uint8_t gid[16];
	struct sriov_prtn_flags flags;
	unsigned line, column;
};

/*
 * One statement "header : members ;" as OpenSM understood it. Several
 * statements may name the same partition (OpenSM merges them).
 */
struct sriov_prtn_stmt {
	char *name; /* as written; NULL when none */
	uint16_t pkey; /* base OpenSM uses: given, found by name, or assigned */
	bool pkey_given;
	bool ipoib, indx0;
	bool defmember_given;
	enum sriov_membership defmember;
	struct sriov_prtn_flags flags;
	struct sriov_prtn_member *members;
	size_t n_members;
	struct sriov_prtn_mgid *mgids;
	size_t n_mgids;
	unsigned line, column;
};

enum sriov_diag_level {
	SRIOV_DIAG_ERROR, /* OpenSM discards the file */
	SRIOV_DIAG_WARNING,
};

struct sriov_diag {
	enum sriov_diag_level level;
	unsigned line, column; /* physical line, 1-based; column 0: none */
	unsigned osm_line; /* the line number OpenSM's log would give */
	const char *code; /* stable short id: "parse", "octal-pkey", ... */
	char *msg;
};

struct sriov_partitions {
	char *file;
	struct sriov_prtn_stmt *stmts;
	size_t n_stmts;
	struct sriov_diag *diags;
	size_t n_diags;
	/*
	 * OpenSM throws the file away and applies its open default
	 * (Default=0x7fff, ALL=full): a parse error, or nothing parsed.
	 */
	bool fallback;
	/*
	 * OpenSM's parser reads memory no line of the file wrote (past the
	 * end of a line, beyond every byte its line buffer received): what
	 * it does is undefined. An "undefined-read" error says where; parsing
	 * stopped there, fallback is false and predict refuses the file.
	 */
	bool undefined;
};

/**
 * sriov_partitions_parse() - parse a partitions.conf held in memory
 * @buf: the file's bytes (need not be NUL-terminated; NUL bytes are read
 *       as OpenSM reads them: they end the line's text)
 * @len: its length
 * @file: the name used in diagnostics (copied)
 * @ret: filled in; release with sriov_partitions_release()
 *
 * A pure function: problems in the text are diagnostics in @ret (and
 * @ret->fallback), not failures.
 *
 * Return: 0, or -ENOMEM.
 */
int sriov_partitions_parse(const char *buf, size_t len, const char *file,
			   struct sriov_partitions *ret,
			   struct sriov_error *err);
void sriov_partitions_release(struct sriov_partitions *pc);

/* "file:line:column: error: message" for diagnostic i, into buf. */
int sriov_diag_format(const struct sriov_partitions *pc,
		      const struct sriov_diag *d, char *buf, size_t size);

/* Lint options and checks beyond what OpenSM refuses. */
struct sriov_lint_opts {
	unsigned table_size; /* P-key entries per port; 0: 128 */
	bool allow_both; /* OpenSM runs with allow_both_pkeys */
};

/**
 * sriov_partitions_lint() - add warnings for likely mistakes
 *
 * No explicit Default partition, a member listed twice with different
 * membership, a port named in more partitions than its table holds.
 * Return: 0 or -ENOMEM.
 */
int sriov_partitions_lint(struct sriov_partitions *pc,
			  const struct sriov_lint_opts *opts,
			  struct sriov_error *err);

size_t sriov_partitions_count(const struct sriov_partitions *pc,
			      enum sriov_diag_level level);

/* Node types, as NodeInfo.NodeType. */
enum sriov_node_type {
	SRIOV_NODE_CA = 1,
	SRIOV_NODE_SWITCH = 2,
	SRIOV_NODE_ROUTER = 3,
};

/* A port that has a LID: a CA or router port, or port 0 of a switch. */
struct sriov_fabric_port {
	uint64_t guid;
	enum sriov_node_type type;
	unsigned pkey_cap; /* P-key table entries (PartitionCap); 0: unknown */
};

/* The P-keys one port should hold, sorted, membership bit included. */
struct sriov_port_pkeys {
	uint64_t guid;
	uint16_t *pkeys;
	size_t n;
	int index0; /* the P-key OpenSM puts at index 0; 0: left empty */
};

#define SRIOV_PREDICT_ALLOW_BOTH 0x1u

/**
 * sriov_partitions_predict() - the P-key tables OpenSM programs
 * @pc: a parsed file (its fallback decides: the open default applies)
 * @ports: every LID-bearing port of the fabric
 * @sm_guid: the port GUID of the subnet manager (SELF)
 * @flags: SRIOV_PREDICT_ALLOW_BOTH when OpenSM runs with allow_both_pkeys
 * @ret: an array of @n_ports entries, in the order of @ports; free with
 *       sriov_port_pkeys_free()
 *
 * Each port's table is laid out as osm_pkey_mgr.c does on a port that
 * held 0xffff alone before: the default P-key at index 0 (or the indx0
 * one), the others from index 1 in the order OpenSM walks its partition
 * map (keyed by the P-key in network byte order; limited before full).
 * Where a port's pkey_cap is known, P-keys placed at or beyond it are
 * dropped, as OpenSM's ERR 0512 drops them: with indx0 that can be the
 * default P-key.
 *
 * Return: 0; -EINVAL when @pc->undefined (OpenSM's outcome cannot be
 * predicted; @err names the line); -ENOMEM.
 */
int sriov_partitions_predict(const struct sriov_partitions *pc,
			     const struct sriov_fabric_port *ports,
			     size_t n_ports, uint64_t sm_guid, unsigned flags,
			     struct sriov_port_pkeys **ret,
			     struct sriov_error *err);
void sriov_port_pkeys_free(struct sriov_port_pkeys *t, size_t n);

/**
 * sriov_partitions_write() - render statements as partitions.conf text
 * @pc: statements to write; names must be OpenSM-safe (checked)
 * @ret: a malloc'ed NUL-terminated text, owned by the caller
 *
 * Deterministic: statements in the given order, one member a line, P-keys
 * in 0x%04x, memberships spelled out. Return: 0, -EINVAL, -ENOMEM.
 */
int sriov_partitions_write(const struct sriov_partitions *pc, char **ret,
			   struct sriov_error *err);

/**
 * sriov_intent_parse() - read an intent file (YAML) into statements
 * @buf, @len: the YAML text
 * @file: its name, for diagnostics
 * @ret: statements in file order, every member's membership resolved
 *       (member's, else the partition's defmember, else limited);
 *       release with sriov_partitions_release()
 *
 * Schema: a top-level mapping with one key, "partitions", a list of
 * mappings with keys name, pkey, ipoib, indx0, mtu, rate, sl, scope,
 * defmember and members; a member is {guid: N, membership: M} or
 * {group: ALL|ALL_CAS|ALL_SWITCHES|ALL_ROUTERS|SELF, membership: M}.
 * Unknown keys, wrong types, duplicate names or P-keys are errors that
 * name file:line:column.
 *
 * Return: 0, -EINVAL (with @err), -ENOMEM.
 */
int sriov_intent_parse(const char *buf, size_t len, const char *file,
		       struct sriov_partitions *ret, struct sriov_error *err);

#endif
