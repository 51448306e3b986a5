/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_FABRICD_CTL_H
#define SRIOV_FABRICD_CTL_H

#include <poll.h>
#include <sys/types.h>

#include "fabricd.h"

struct ctl_opts {
	const char *const *endpoints;
	size_t n_endpoints;
	const char *ca_file, *cert_file, *key_file;
	const char *root; /* --prefix; NULL: /sriov/ */
	const char *fabric;
	const char *static_path;
	const char *partitions; /* the file OpenSM reads */
	const char *opensm_pid; /* NULL: OpenSM is not signalled */
	const char *id; /* this controller's id */
	unsigned grace_s; /* 0: a lost port leaves at once */
	unsigned lease_ttl_s;
	unsigned timeout_ms; /* per etcd request */
	unsigned coalesce_ms; /* quiet time that ends a burst */
	unsigned max_delay_ms; /* longest wait for a burst to end */
	bool once;
	bool verify;
	const char *ca; /* local HCA for MADs; NULL: the first */
	int ca_port;
	unsigned verify_timeout_ms;
	bool allow_both;
	struct sriov_lint_opts lint;
	unsigned test_pause_ms; /* $SRIOV_FABRICD_TEST_PAUSE_MS */
};

/* A port whose key vanished with its lease, not yet held in the store. */
struct lost {
	char *value; /* its last value */
	size_t len;
	int64_t lease;
	int64_t until_ms; /* end of its grace period */
};

struct suspect {
	char id[SRIOV_CLUSTER_ID_MAX];
	char *value;
	size_t len;
	int64_t lease;
	int64_t since_ms;
};

struct ctl {
	struct ctl_opts o;
	struct sriov_etcd *e;
	struct model m;
	struct fd_static st;
	char static_error[1024];
	char leader_key[SRIOV_CLUSTER_KEY_MAX];
	char status_key[SRIOV_CLUSTER_KEY_MAX];
	char ports_end[SRIOV_CLUSTER_KEY_MAX];
	char fabric_end[SRIOV_CLUSTER_KEY_MAX];
	char held_end[SRIOV_CLUSTER_KEY_MAX];

	/* this controller's lease */
	int64_t lease, lease_ttl;
	int64_t lease_deadline_ms; /* etcd holds it at least until then */
	int64_t keepalive_due_ms;

	/* the election */
	struct sriov_etcd_leader leader;
	bool leading;
	char holder[SRIOV_CLUSTER_ID_MAX]; /* the leader, when another */
	int64_t campaign_due_ms;

	/* following the store */
	struct sriov_etcd_watch *wp; /* ports/, with prev_kv */
	struct sriov_etcd_watch *wf; /* fabrics/<name>/ */
	bool synced;
	int64_t resync_due_ms; /* 0: none */

	struct suspect *sus; /* deletes of leased ports, lease not checked */
	size_t n_sus, sus_cap;
	int64_t sus_retry_ms;
	struct map lost; /* id -> struct lost: standby's record */
	int64_t lost_retry_ms; /* holding them failed: not before then */

	/* rendering */
	bool dirty;
	int64_t dirty_since_ms, last_event_ms, render_retry_ms;
	char file_sum[80]; /* of the file this controller last installed */
	char body_sum[80]; /* of its statements (the header aside) */
	int64_t rendered_revision; /* the file's revision */
	struct sriov_cluster_pkey_count *pkeys; /* the file's, for the status */
	size_t n_pkeys;
	unsigned ports, held;
	char error[1024]; /* why the last render was refused; "" */
	int64_t error_revision;
	struct fd_conflict *conflicts;
	size_t n_conflicts;
	struct map foreign; /* fabric -> (void *)1 served, 2 unserved */
	int64_t foreign_checked_ms;
	int64_t status_revision_seen; /* from fabrics/<name>/status */

	/* fabric verify, in a child */
	pid_t verify_pid;
	int verify_fd;
	int64_t verify_revision;
	char verify[16];
	char verify_detail[256];
	char *verify_text; /* the file checked */
	bool verified_once; /* a check ran since this controller led */

	struct fd_metrics met;
	int64_t started_ms;
	bool ready;
	int exit_code; /* --once */
	bool done; /* --once finished */
};

int ctl_start(struct ctl *c, const struct ctl_opts *o, struct sriov_error *err);
/* Fill @fds (up to @max) with what to poll; return how many. */
size_t ctl_pollfds(struct ctl *c, struct pollfd *fds, size_t max);
/* Milliseconds until ctl_step() must run anyway. */
int ctl_timeout(struct ctl *c);
/* Do what is due. Return 0, or -errno for a failure of this machine. */
int ctl_step(struct ctl *c);
/* SIGHUP: read the static intent again. */
void ctl_reload(struct ctl *c);
/* Leave: resign, revoke the lease. */
void ctl_stop(struct ctl *c);
/* One line for sd_notify STATUS= and the log. */
void ctl_describe(const struct ctl *c, char *buf, size_t size);

#endif
