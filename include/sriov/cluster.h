/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CLUSTER_H
#define SRIOV_CLUSTER_H

/*
 * Shared state in etcd v3 (docs/cluster.md): a small client for etcd's
 * JSON gateway (the /v3/ paths of Debian's etcd 3.4) over libcurl, an
 * election made of a lease and a create-if-absent transaction, and the
 * key schema whose values are parsed into plain structs.
 *
 * The client never keeps state of its own beyond the endpoint it last
 * reached: consensus and replication are etcd's. One struct sriov_etcd
 * serves one thread at a time.
 *
 * Failure semantics (every call): each attempt has a connect and a request
 * timeout; a call tries the endpoint that last answered, then the others
 * in turn, moving on only when the answer is not a definite one
 * (connection refused, TLS handshake failed, timed out, HTTP 5xx, etcd
 * "no leader" or "request timed out"). A definite answer (the request was
 * invalid, the lease does not exist, a revision is compacted) ends the
 * call. A request that changes something and is not idempotent (a
 * transaction with a put or delete, a lease grant) is not sent again after
 * an attempt that may have reached etcd: it fails with -ETIMEDOUT, and
 * its outcome is unknown (read the keys back). Errors:
 *   -EAGAIN     no endpoint gave a definite answer (the message names each
 *               endpoint and what happened there): the store is down or
 *               has no quorum; try again later
 *   -ETIMEDOUT  a non-idempotent request may or may not have been applied
 *   -ENOENT     the lease does not exist (expired or revoked)
 *   -ERANGE     the revision asked for is compacted or in the future
 *   -EMSGSIZE   a response over the size cap, or a request etcd refused
 *               as too large
 *   -EACCES     etcd refused the credentials
 *   -ENOSPC     etcd is out of space (its NOSPACE alarm)
 *   -EPROTO     an answer that is not what the gateway sends
 *   -EINVAL     a bad option or argument, or a request etcd called invalid
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/partitions.h>
#include <sriov/types.h>

struct sriov_etcd;

struct sriov_etcd_opts {
	/* "http://127.0.0.1:2379" or "https://host:2379", no path */
	const char *const *endpoints;
	size_t n_endpoints;
	unsigned connect_timeout_ms; /* per attempt; 0: 1000 */
	unsigned request_timeout_ms; /* per attempt; 0: 5000 */
	size_t max_response; /* bytes of one answer; 0: 16 MiB */
	/* TLS for https endpoints: the CA that signed the members' certs
	 * (NULL: the system's), and the client certificate and its key
	 * (both or neither). */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
};

/**
 * sriov_etcd_open() - a client of the etcd members at @o->endpoints
 *
 * Checks the options and sets up the transfer; it does not connect, so
 * opening succeeds while the store is down.
 * Return: 0, or -EINVAL naming the option at fault.
 */
int sriov_etcd_open(const struct sriov_etcd_opts *o, struct sriov_etcd **ret,
		    struct sriov_error *err);
void sriov_etcd_close(struct sriov_etcd *e);
/* The endpoint the next call tries first (index into the options'). */
size_t sriov_etcd_current_endpoint(const struct sriov_etcd *e);

/* What every answer carries: the store's revision when it was made. */
struct sriov_etcd_header {
	uint64_t cluster_id;
	uint64_t member_id;
	int64_t revision;
	uint64_t raft_term;
};

/*
 * A key and its value as etcd holds them. Both are NUL-terminated beyond
 * their length, so a text key or value reads as a C string; owned by the
 * response that holds them.
 */
struct sriov_etcd_kv {
	char *key;
	size_t key_len;
	char *value;
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease; /* 0: none */
};
void sriov_etcd_kv_release(struct sriov_etcd_kv *kv);

/**
 * sriov_etcd_prefix_end() - the range end that covers every key under @prefix
 *
 * etcd's prefix convention: @prefix with its last byte incremented
 * ("/sriov/v1/" -> "/sriov/v10"). @buf holds at least strlen(@prefix) + 1.
 * Return: 0, or -EINVAL for an empty prefix or one of 0xff bytes only.
 */
int sriov_etcd_prefix_end(const char *prefix, char *buf, size_t size);

struct sriov_etcd_range_opts {
	const char *range_end; /* NULL: @key alone */
	int64_t limit; /* 0: no limit */
	int64_t revision; /* 0: the newest */
	bool serializable; /* answer from the member's copy, no quorum read */
	bool keys_only;
	bool count_only;
};

struct sriov_etcd_range_resp {
	struct sriov_etcd_header header;
	struct sriov_etcd_kv *kvs;
	size_t n_kvs;
	int64_t count; /* keys in the range, beyond the limit too */
	bool more; /* the limit cut the answer short */
};
void sriov_etcd_range_resp_release(struct sriov_etcd_range_resp *r);

/**
 * sriov_etcd_range() - read @key, or the keys from @key to @o->range_end
 * @o: may be NULL (the key alone, linearizable, newest revision)
 *
 * Keys come sorted by key. Read-only: retried on the next endpoint.
 */
int sriov_etcd_range(struct sriov_etcd *e, const char *key,
		     const struct sriov_etcd_range_opts *o,
		     struct sriov_etcd_range_resp *ret,
		     struct sriov_error *err);

/*
 * sriov_etcd_range_pages() - sriov_etcd_range_all(), a page at a time
 * @fn: called with each page (its kvs in key order, which @fn may take:
 *      set page->kvs NULL and page->n_kvs 0) and the revision of the read;
 *      a negative return stops the read and is returned
 * @ret_header: the first page's header (NULL: not wanted)
 *
 * While @fn works on a page, the next one is already asked for, so etcd
 * builds it meanwhile. On a failure @fn has seen some pages and not the
 * rest: build what it fills apart and keep it only on success.
 */
typedef int (*sriov_etcd_page_fn)(struct sriov_etcd_range_resp *page,
				  int64_t revision, void *data);
int sriov_etcd_range_pages(struct sriov_etcd *e, const char *key,
			   const char *range_end, int64_t page,
			   sriov_etcd_page_fn fn, void *data,
			   struct sriov_etcd_header *ret_header,
			   struct sriov_error *err);

/**
 * sriov_etcd_range_all() - every key of a range at one revision, by pages
 * @page: keys per request (0: 500)
 *
 * The first page fixes the revision (the answer's header); the others are
 * read at it, so the result is one consistent snapshot: what a watch
 * resumes from, at header.revision + 1. Only the first is a quorum read;
 * the others are serializable (a member behind that revision: a quorum
 * read again). -ERANGE when that revision is compacted between pages
 * (read again).
 */
int sriov_etcd_range_all(struct sriov_etcd *e, const char *key,
			 const char *range_end, int64_t page,
			 struct sriov_etcd_range_resp *ret,
			 struct sriov_error *err);

/**
 * sriov_etcd_put() - set @key to @len bytes of @value
 * @lease: the lease the key goes with (0: none)
 * @ret_revision: the store's revision after the put; may be NULL
 */
int sriov_etcd_put(struct sriov_etcd *e, const char *key, const void *value,
		   size_t len, int64_t lease, int64_t *ret_revision,
		   struct sriov_error *err);

/**
 * sriov_etcd_delete() - delete @key, or the keys from @key to @range_end
 * @ret_deleted: how many were deleted; may be NULL
 */
int sriov_etcd_delete(struct sriov_etcd *e, const char *key,
		      const char *range_end, int64_t *ret_deleted,
		      int64_t *ret_revision, struct sriov_error *err);

enum sriov_etcd_cmp_target {
	SRIOV_ETCD_CMP_VERSION,
	SRIOV_ETCD_CMP_CREATE, /* create_revision; 0: the key does not exist */
	SRIOV_ETCD_CMP_MOD,
	SRIOV_ETCD_CMP_VALUE,
	SRIOV_ETCD_CMP_LEASE,
};

enum sriov_etcd_cmp_result {
	SRIOV_ETCD_EQUAL,
	SRIOV_ETCD_GREATER,
	SRIOV_ETCD_LESS,
	SRIOV_ETCD_NOT_EQUAL,
};

/* "target(key) result number-or-value", e.g. CREATE(k) EQUAL 0. */
struct sriov_etcd_cmp {
	const char *key;
	enum sriov_etcd_cmp_target target;
	enum sriov_etcd_cmp_result result;
	int64_t number; /* VERSION, CREATE, MOD, LEASE */
	const void *value; /* VALUE */
	size_t value_len;
};

enum sriov_etcd_op_type {
	SRIOV_ETCD_OP_RANGE,
	SRIOV_ETCD_OP_PUT,
	SRIOV_ETCD_OP_DELETE,
};

struct sriov_etcd_op {
	enum sriov_etcd_op_type type;
	const char *key;
	const char *range_end; /* RANGE, DELETE; NULL: the key alone */
	const void *value; /* PUT */
	size_t value_len;
	int64_t lease; /* PUT */
	int64_t limit; /* RANGE */
	bool prev_kv; /* PUT, DELETE: return what was there */
};

struct sriov_etcd_txn {
	const struct sriov_etcd_cmp *cmp;
	size_t n_cmp;
	const struct sriov_etcd_op *success;
	size_t n_success;
	const struct sriov_etcd_op *failure;
	size_t n_failure;
};

struct sriov_etcd_op_resp {
	enum sriov_etcd_op_type type;
	/* RANGE: the keys read; PUT, DELETE: the previous ones, if asked */
	struct sriov_etcd_kv *kvs;
	size_t n_kvs;
	int64_t count; /* RANGE */
	bool more; /* RANGE */
	int64_t deleted; /* DELETE */
};

struct sriov_etcd_txn_resp {
	struct sriov_etcd_header header;
	bool succeeded; /* every compare held: the success ops ran */
	struct sriov_etcd_op_resp *responses; /* one per op that ran */
	size_t n_responses;
};
void sriov_etcd_txn_resp_release(struct sriov_etcd_txn_resp *r);

/**
 * sriov_etcd_txn() - if every compare holds, run the success ops, else
 * the failure ops, atomically at one revision
 *
 * A transaction of range ops only is retried like a range; any other is
 * sent again only when the attempt before certainly did not reach etcd.
 */
int sriov_etcd_txn(struct sriov_etcd *e, const struct sriov_etcd_txn *t,
		   struct sriov_etcd_txn_resp *ret, struct sriov_error *err);

/**
 * sriov_etcd_lease_grant() - a lease of @ttl seconds
 * @ret_ttl: the TTL etcd granted (it may raise a short one); may be NULL
 *
 * Keys put with the lease are deleted when it expires or is revoked.
 */
int sriov_etcd_lease_grant(struct sriov_etcd *e, int64_t ttl, int64_t *ret_id,
			   int64_t *ret_ttl, struct sriov_error *err);
/**
 * sriov_etcd_lease_keepalive() - renew lease @id for its whole TTL again
 *
 * Return: 0 with the new TTL in @ret_ttl (may be NULL), or -ENOENT when
 * the lease has expired or was revoked: its keys are gone.
 */
int sriov_etcd_lease_keepalive(struct sriov_etcd *e, int64_t id,
			       int64_t *ret_ttl, struct sriov_error *err);
/* Revoke lease @id and delete its keys; -ENOENT when it does not exist. */
int sriov_etcd_lease_revoke(struct sriov_etcd *e, int64_t id,
			    struct sriov_error *err);
/**
 * sriov_etcd_lease_ttl() - the seconds lease @id has left
 * @ret_ttl: 0 or more while the lease exists (0: it is about to expire)
 *
 * etcd's LeaseTimeToLive; it neither renews nor changes anything, so it
 * is retried on the next endpoint. Return: 0, or -ENOENT when the lease
 * does not exist (it expired or was revoked, and its keys went with it).
 */
int sriov_etcd_lease_ttl(struct sriov_etcd *e, int64_t id, int64_t *ret_ttl,
			 struct sriov_error *err);

/*
 * Election: one holder of @key at a time. The holder's key is put with
 * its lease only if the key does not exist (CREATE == 0), so it vanishes
 * when the holder stops renewing. Its create_revision identifies this
 * term: a write that must come from the leader carries
 * sriov_etcd_leader_cmp() in its transaction, so a deposed leader (lease
 * expired, key deleted, someone else elected) cannot write even if it
 * still believes it leads.
 */
struct sriov_etcd_leader {
	char *key; /* owned */
	int64_t lease;
	int64_t create_revision; /* the term; 0: not leading */
};
void sriov_etcd_leader_release(struct sriov_etcd_leader *l);

/**
 * sriov_etcd_campaign() - try once to become the holder of @key
 * @value: what the key holds while held (e.g. the candidate's id)
 * @lease: the candidate's lease
 * @ret: the term won; filled on success only
 * @ret_holder: the current holder's kv when someone else holds the key
 *              (release it); may be NULL
 *
 * A candidate whose lease already holds the key (it restarted) is
 * leading again in the same term.
 * Return: 1 elected, 0 someone else holds the key (watch it and try again
 * when it is deleted), or -errno.
 */
int sriov_etcd_campaign(struct sriov_etcd *e, const char *key,
			const void *value, size_t value_len, int64_t lease,
			struct sriov_etcd_leader *ret,
			struct sriov_etcd_kv *ret_holder,
			struct sriov_error *err);
/* The compare that holds only while @l's term lasts. */
struct sriov_etcd_cmp sriov_etcd_leader_cmp(const struct sriov_etcd_leader *l);
/**
 * sriov_etcd_leader_check() - is @l still the holder?
 *
 * Return: 1 yes, 0 deposed, or -errno.
 */
int sriov_etcd_leader_check(struct sriov_etcd *e,
			    const struct sriov_etcd_leader *l,
			    struct sriov_error *err);
/* Give the key up if @l still holds it; 1 resigned, 0 was not holding. */
int sriov_etcd_resign(struct sriov_etcd *e, struct sriov_etcd_leader *l,
		      struct sriov_error *err);

/*
 * Watch: the events of a key or a range, in revision order, without gap
 * or repeat across disconnects. Driven by the caller's loop: poll
 * sriov_etcd_watch_fd() for POLLIN with sriov_etcd_watch_timeout() as
 * the timeout, then call sriov_etcd_watch_step() and take the events with
 * sriov_etcd_watch_next(). When the stream ends (the member died, lost its
 * leader, went silent for idle_timeout_ms) the watch reconnects by itself,
 * to the next endpoint, from the revision after the last one it delivered.
 * When that revision is compacted it delivers SRIOV_ETCD_EVENT_COMPACTED
 * and stops: read the range again (sriov_etcd_range_all()) and call
 * sriov_etcd_watch_restart() with the revision after the read's.
 *
 * The watch uses the client's endpoints and options; the client must
 * outlive it. Both belong to one thread.
 */
struct sriov_etcd_watch;

struct sriov_etcd_watch_opts {
	const char *key;
	const char *range_end; /* NULL: @key alone */
	int64_t start_revision; /* 0: from now */
	bool prev_kv; /* events carry the value before */
	/* nothing at all for this long: the member is taken as hung and
	 * the watch reconnects (0: 60000) */
	unsigned idle_timeout_ms;
};

enum sriov_etcd_event_type {
	SRIOV_ETCD_EVENT_PUT,
	SRIOV_ETCD_EVENT_DELETE,
	SRIOV_ETCD_EVENT_COMPACTED,
};

struct sriov_etcd_event {
	enum sriov_etcd_event_type type;
	int64_t revision; /* PUT, DELETE: kv.mod_revision */
	struct sriov_etcd_kv kv; /* DELETE: key and mod_revision only */
	struct sriov_etcd_kv prev_kv; /* when asked and there was one */
	bool has_prev_kv;
	int64_t compact_revision; /* COMPACTED: the oldest revision left */
};
void sriov_etcd_event_release(struct sriov_etcd_event *ev);

int sriov_etcd_watch_open(struct sriov_etcd *e,
			  const struct sriov_etcd_watch_opts *o,
			  struct sriov_etcd_watch **ret,
			  struct sriov_error *err);
void sriov_etcd_watch_close(struct sriov_etcd_watch *w);
/* A descriptor that is readable when the watch has something to do. */
int sriov_etcd_watch_fd(const struct sriov_etcd_watch *w);
/* Milliseconds until sriov_etcd_watch_step() must run anyway; -1: none. */
int sriov_etcd_watch_timeout(const struct sriov_etcd_watch *w);
/**
 * sriov_etcd_watch_step() - do what is due, without blocking
 *
 * Return: the number of events waiting, or -errno for a failure of this
 * machine (out of memory); a failure of the store is handled by
 * reconnecting, and counted in sriov_etcd_watch_stats.
 */
int sriov_etcd_watch_step(struct sriov_etcd_watch *w, struct sriov_error *err);
/* Take the oldest waiting event: 1 (release it), 0 none. */
int sriov_etcd_watch_next(struct sriov_etcd_watch *w,
			  struct sriov_etcd_event *ret);
/**
 * sriov_etcd_watch_wait() - poll and step until an event waits or
 * @timeout_ms passes (-1: no limit)
 *
 * Return: the number of events waiting (0: timed out), or -errno.
 */
int sriov_etcd_watch_wait(struct sriov_etcd_watch *w, int timeout_ms,
			  struct sriov_error *err);
/* Watch again from @start_revision (after a compaction). */
int sriov_etcd_watch_restart(struct sriov_etcd_watch *w, int64_t start_revision,
			     struct sriov_error *err);

struct sriov_etcd_watch_stats {
	int64_t next_revision; /* where a reconnect resumes */
	unsigned connects; /* streams the server accepted */
	unsigned failures; /* streams that ended or never started */
	size_t endpoint; /* the one in use or tried next */
	bool streaming; /* the server accepted the current stream */
	bool compacted; /* stopped; waiting for sriov_etcd_watch_restart() */
	char last_error[256]; /* why the last stream ended */
};
void sriov_etcd_watch_stats(const struct sriov_etcd_watch *w,
			    struct sriov_etcd_watch_stats *ret);

/*
 * The key schema (docs/cluster.md): under a root (default "/sriov/"),
 * version SRIOV_CLUSTER_SCHEMA_VERSION's keys are
 *   <root>v1/hosts/<host-id>            struct sriov_cluster_host
 *   <root>v1/ports/<port-id>            struct sriov_cluster_port
 *   <root>v1/guids/<0x + 16 hex>        struct sriov_cluster_claim
 *   <root>v1/fabrics/<name>/status      struct sriov_cluster_fabric_status
 *   <root>v1/fabrics/<name>/leader      the controller's election key
 *   <root>v1/fabrics/<name>/held/<port> a lost port's last value, kept in
 *                                       its partition for a grace period
 * Values are JSON objects of at most SRIOV_CLUSTER_VALUE_MAX bytes.
 * Parsers are strict about the members they know and ignore others, so
 * a later v1 writer may add optional members; a change of meaning takes
 * v2. Every error names the key.
 */
#define SRIOV_CLUSTER_SCHEMA_VERSION 1
#define SRIOV_CLUSTER_ROOT_DEFAULT "/sriov/"
#define SRIOV_CLUSTER_VALUE_MAX 65536
#define SRIOV_CLUSTER_KEY_MAX 512
#define SRIOV_CLUSTER_ID_MAX 128 /* host, port and fabric ids, with NUL */

struct sriov_cluster_keys {
	char prefix[256]; /* <root>v1/ */
};

/**
 * sriov_cluster_keys_init() - the keys under @root (NULL: the default)
 *
 * @root starts and ends with '/', is printable ASCII without "//" and at
 * most 200 bytes.
 */
int sriov_cluster_keys_init(struct sriov_cluster_keys *k, const char *root,
			    struct sriov_error *err);

enum sriov_cluster_kind {
	SRIOV_CLUSTER_HOST,
	SRIOV_CLUSTER_PORT,
	SRIOV_CLUSTER_GUID,
	SRIOV_CLUSTER_FABRIC_STATUS,
	SRIOV_CLUSTER_FABRIC_LEADER,
	/* fabrics/<name>/held/<port-id>: sriov_cluster_held_key() builds it
	 * (sriov_cluster_key() cannot: it has two ids); key_parse gives the
	 * port id */
	SRIOV_CLUSTER_FABRIC_HELD,
	SRIOV_CLUSTER_KIND_MAX,
};

/*
 * The key of an object (into @buf of SRIOV_CLUSTER_KEY_MAX bytes). @id is
 * the host, port or fabric id (sriov_port_id_valid()), or for a GUID its
 * text in any form sriov_guid_parse() takes (the key has the canonical
 * one, so one GUID has one key).
 */
int sriov_cluster_key(const struct sriov_cluster_keys *k,
		      enum sriov_cluster_kind kind, const char *id,
		      char buf[static SRIOV_CLUSTER_KEY_MAX],
		      struct sriov_error *err);
/* The prefix of every key of @kind (hosts/, ports/, guids/, fabrics/). */
int sriov_cluster_key_prefix(const struct sriov_cluster_keys *k,
			     enum sriov_cluster_kind kind,
			     char buf[static SRIOV_CLUSTER_KEY_MAX]);
/*
 * fabrics/<fabric>/held/<port>, and the prefix of every held port of
 * @fabric (@port NULL): the controller's record of a port whose host was
 * lost, put with a lease of the grace period (docs/cluster.md).
 */
int sriov_cluster_held_key(const struct sriov_cluster_keys *k,
			   const char *fabric, const char *port,
			   char buf[static SRIOV_CLUSTER_KEY_MAX],
			   struct sriov_error *err);
/**
 * sriov_cluster_key_parse() - what a key under the prefix names
 * @ret_id: the id (host, port, fabric, or the canonical GUID; for a held
 *          port the port's id)
 *
 * Return: 0, or -EINVAL for a key that is not of the schema.
 */
int sriov_cluster_key_parse(const struct sriov_cluster_keys *k, const char *key,
			    size_t key_len, enum sriov_cluster_kind *ret_kind,
			    char ret_id[static SRIOV_CLUSTER_ID_MAX],
			    struct sriov_error *err);

enum sriov_cluster_link {
	SRIOV_CLUSTER_LINK_ETHERNET,
	SRIOV_CLUSTER_LINK_INFINIBAND,
};

struct sriov_cluster_pf {
	char name[64]; /* netdev or PCI address, as configured */
	char address[64]; /* PCI address; empty when none */
	enum sriov_cluster_link link;
	char physnet[64];
	char fabric[SRIOV_CLUSTER_ID_MAX]; /* InfiniBand; empty otherwise */
	int numa_node; /* -1: unknown */
	unsigned vfs_total, vfs_free, vfs_bound, vfs_quarantined;
	/* Optional (empty: not given): PCI ids as 4 lowercase hex digits,
	 * of the PF and of its VFs, and the PCI addresses of the free VFs
	 * (as many as vfs_free when given), for placement with Nova's
	 * semantics (sriovctl cluster place). */
	char vendor_id[5], product_id[5], vf_product_id[5];
	bool has_free_vfs; /* the list was given (possibly empty) */
	/* the free VFs' addresses: host->free_vfs[free_vfs_first ...] */
	size_t free_vfs_first, n_free_vfs;
};

/* hosts/<id>: a host's inventory, put with the host's lease. */
struct sriov_cluster_host {
	char id[SRIOV_CLUSTER_ID_MAX];
	char version[32]; /* of sriovd */
	int64_t updated; /* unix seconds */
	struct sriov_cluster_pf *pfs;
	size_t n_pfs;
	char (*free_vfs)[32]; /* every PF's free_vfs, in PF order */
	size_t n_free_vfs;
};
void sriov_cluster_host_release(struct sriov_cluster_host *h);

/* ports/<id>: a binding, written once its VF is configured, deleted on
 * unbind, put with the host's lease. */
struct sriov_cluster_port {
	char id[SRIOV_CLUSTER_ID_MAX];
	char host[SRIOV_CLUSTER_ID_MAX];
	char physnet[64];
	enum sriov_vnic_type vnic_type;
	char vf[64]; /* the VF's PCI address */
	char state[16]; /* "bound" (the only state v1 writes) */
	int vlan; /* -1: none (InfiniBand, or untagged) */
	bool infiniband; /* the next three are set */
	char fabric[SRIOV_CLUSTER_ID_MAX];
	uint16_t pkey; /* the partition, 0x0001..0x7ffe, no membership bit */
	enum sriov_membership membership;
	uint64_t guid; /* the port GUID that must be a member */
	/* Optional, InfiniBand: the port GUID of the PF's physical port the
	 * VF reaches the fabric through when its own GUID is an alias the SM
	 * does not see as a port (ConnectX-3, mlx4); 0: none. */
	uint64_t pf_guid;
};

/* guids/<guid>: the claim of a GUID by one port. */
struct sriov_cluster_claim {
	char port[SRIOV_CLUSTER_ID_MAX];
	char host[SRIOV_CLUSTER_ID_MAX];
};

struct sriov_cluster_pkey_count {
	uint16_t pkey;
	unsigned members;
};

/* A value the controller skipped, and why (the message names the key). */
struct sriov_cluster_rejected {
	char key[SRIOV_CLUSTER_KEY_MAX];
	char error[400];
};

#define SRIOV_CLUSTER_REJECTED_MAX 64

/* fabrics/<name>/status: what the controller last applied. */
struct sriov_cluster_fabric_status {
	char fabric[SRIOV_CLUSTER_ID_MAX];
	int64_t revision; /* the store's revision rendered */
	char checksum[80]; /* "sha256:<hex>" of the file written */
	struct sriov_cluster_pkey_count *pkeys;
	size_t n_pkeys;
	char verify[16]; /* "ok", "failed", "skipped" */
	char verify_detail[256];
	int64_t time; /* unix seconds */
	char leader[SRIOV_CLUSTER_ID_MAX];
	/* Optional members (absent: zero, empty): */
	unsigned ports; /* ports of the fabric rendered */
	unsigned held; /* of them, lost ones kept through the grace period */
	/* why the last render was refused (the file was left as it was);
	 * empty when the last render was written */
	char error[1024];
	int64_t error_revision; /* the revision that render was of */
	/* values skipped (at most SRIOV_CLUSTER_REJECTED_MAX, the first
	 * ones in key order; n_rejected_total counts them all) */
	struct sriov_cluster_rejected *rejected;
	size_t n_rejected;
	unsigned n_rejected_total;
};
void sriov_cluster_fabric_status_release(struct sriov_cluster_fabric_status *s);

/*
 * Parse the value of @key into the struct; -EINVAL (or -EMSGSIZE over
 * SRIOV_CLUSTER_VALUE_MAX) with @err naming the key, the member and what
 * is accepted. A value must agree with its key (a port's id, a claim's
 * GUID). On failure nothing is left to release.
 */
int sriov_cluster_host_parse(const char *key, const char *value, size_t len,
			     struct sriov_cluster_host *ret,
			     struct sriov_error *err);
int sriov_cluster_port_parse(const char *key, const char *value, size_t len,
			     struct sriov_cluster_port *ret,
			     struct sriov_error *err);
int sriov_cluster_claim_parse(const char *key, const char *value, size_t len,
			      struct sriov_cluster_claim *ret,
			      struct sriov_error *err);
int sriov_cluster_fabric_status_parse(const char *key, const char *value,
				      size_t len,
				      struct sriov_cluster_fabric_status *ret,
				      struct sriov_error *err);

/*
 * The JSON text of a value (malloc'd, compact, members in a fixed order,
 * so equal structs give equal bytes: a transaction can compare a value).
 * The struct is validated as the parser would; -EINVAL naming the field.
 */
int sriov_cluster_host_format(const struct sriov_cluster_host *h, char **ret,
			      struct sriov_error *err);
int sriov_cluster_port_format(const struct sriov_cluster_port *p, char **ret,
			      struct sriov_error *err);
int sriov_cluster_claim_format(const struct sriov_cluster_claim *c, char **ret,
			       struct sriov_error *err);
int sriov_cluster_fabric_status_format(
	const struct sriov_cluster_fabric_status *s, char **ret,
	struct sriov_error *err);

/**
 * sriov_cluster_guid_claim() - claim @guid for port @c->port
 *
 * One transaction: create guids/<guid> with @lease only if it does not
 * exist; else read it. Whichever hosts race, one port holds a GUID.
 * Return: 1 claimed (or already claimed by this very port and host), 0
 * held by another (@err names the holder), or -errno.
 */
int sriov_cluster_guid_claim(struct sriov_etcd *e,
			     const struct sriov_cluster_keys *k, uint64_t guid,
			     const struct sriov_cluster_claim *c, int64_t lease,
			     struct sriov_error *err);
/* Delete the claim if @c still holds it; 1 deleted, 0 not ours. */
int sriov_cluster_guid_release(struct sriov_etcd *e,
			       const struct sriov_cluster_keys *k,
			       uint64_t guid,
			       const struct sriov_cluster_claim *c,
			       struct sriov_error *err);
/**
 * sriov_cluster_port_publish() - put ports/<id> with @lease
 *
 * An InfiniBand port is put only while its GUID's claim is its own (one
 * transaction), so a port never names a GUID another port holds.
 * Return: 0, -ESTALE when the claim is not the port's, or -errno.
 */
int sriov_cluster_port_publish(struct sriov_etcd *e,
			       const struct sriov_cluster_keys *k,
			       const struct sriov_cluster_port *p,
			       int64_t lease, struct sriov_error *err);
/* Delete ports/<id> and, when the port holds it, its GUID's claim. */
int sriov_cluster_port_unpublish(struct sriov_etcd *e,
				 const struct sriov_cluster_keys *k,
				 const struct sriov_cluster_port *p,
				 struct sriov_error *err);

#endif
