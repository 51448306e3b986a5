/* SPDX-License-Identifier: MIT */
#ifndef SRIOVD_H
#define SRIOVD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <sriov/port.h>
#include <sriov/store.h>

#include "metrics.h"
#include "neutron.h"
#include "util/notify.h" /* notify_send(), notify_watchdog_ms() */

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	char *buf;
	size_t len, cap;
};

/* cluster.c: sriovd's side of the cluster (docs/cluster.md) */
struct cluster {
	bool on; /* cluster.etcd configured */
	const char *version; /* sriovd's, for hosts/<id> */
	struct sriov_port_cluster pc; /* client, keys, host id, lease */
	uint64_t next_ms; /* the next keepalive, or retry while unreachable */
	unsigned retry_ms; /* the backoff */
	bool need_sync; /* republish all from SQLite once the store answers */
	bool host_dirty; /* hosts/<id> to put again (VF counts changed) */
	char last_error[SRIOV_ERROR_MSG_MAX + 32];
	int64_t last_sync; /* unix seconds of the last full publication */
	unsigned conflicts_now; /* found by the last full publication */
	uint64_t errors, syncs, grants, races, conflicts, pending_events;
};

struct daemon {
	struct sriov_daemon_config cfg;
	bool metrics_failing; /* the last metrics_file write failed (logged) */
	struct sriov_store *store;
	struct sriov_root *root;
	struct sriov_nl *nl;
	int listen_fd;
	int monitor_fd; /* RTM_NEWLINK subscription, -1 when none */
	struct client *clients;
	size_t n_clients, cap_clients;
	struct metrics metrics;
	int *watch_ifindex; /* PFs whose links we follow */
	size_t n_watch;
	bool dirty; /* a watched PF changed: check soon */
	uint64_t next_check_ms;
	bool quit;
	struct neutron *neutron; /* the Neutron agent, NULL when off */
	struct cluster cluster;
};

/* log to stderr with a level prefix systemd understands (<N>) */
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(3, __VA_ARGS__)
#define log_warn(...) log_msg(4, __VA_ARGS__)
#define log_info(...) log_msg(6, __VA_ARGS__)

uint64_t mono_ms(void);
double mono_s(void);

/* ops.c: the operations, each journaled */
/* What the core's transactions run on: the daemon's, and its hooks. */
struct sriov_port_ctx ops_port_ctx(struct daemon *d);
int ops_sync(struct daemon *d, struct sriov_error *err);
int ops_recover(struct daemon *d);
void ops_check(struct daemon *d);
int ops_bind(struct daemon *d, const struct sriov_port_request *req,
	     json_t **ret, struct sriov_error *err);
int ops_unbind(struct daemon *d, const char *id, json_t **ret,
	       struct sriov_error *err);
int ops_update(struct daemon *d, const struct sriov_port_request *req,
	       struct sriov_error *err);
json_t *ops_port_json(struct daemon *d, const struct sriov_store_port *p);
/* The answer of a bind that succeeded (README's JSON conventions). */
json_t *ops_bind_json(const struct sriov_port_request *req,
		      const struct sriov_port_bound *b);
json_t *ops_vf_json(const struct sriov_store_vf *v);

/* api.c: the socket, framing, peer credentials, dispatch */

/* An operation of the API: one table (api_ops) dispatches, lists the
 * operations in the unknown-op answer and labels the metrics. */
struct api_op {
	const char *name; /* the request's "op" */
	/* the members of the answer in *ret (may stay NULL), or -errno */
	int (*handler)(struct daemon *d, json_t *req, json_t **ret,
		       struct sriov_error *err);
	bool writes; /* may change the store or a VF */
	const char *metric; /* op label in the metrics; NULL: "other" */
};
extern const struct api_op api_ops[];
extern const size_t api_n_ops;
const struct api_op *api_op_find(const char *name);
int api_listen(struct daemon *d, struct sriov_error *err);
void api_accept(struct daemon *d);
/* Read what client @i sent; false when it is to be closed. */
bool api_client_read(struct daemon *d, struct client *c);
void api_client_close(struct client *c);
bool api_peer_allowed(const struct sriov_daemon_config *cfg, uid_t uid);
/* One request's JSON text -> the response object (tests use it). */
json_t *api_handle(struct daemon *d, const char *text, size_t len, uid_t uid);
/*
 * What api_handle() checks of a request before it runs one, each a pure
 * function of the text (tests/fuzz/fuzz_request.c calls them): one line
 * of at most cfg->max_request bytes (-E2BIG), a JSON object with a string
 * "op" (-EINVAL; *ret is the object, the caller's to json_decref()), and
 * the arguments the operations share: a port or PF id, a VF of vf.clear
 * (an index, or "pf": SRIOV_STORE_WHOLE_PF).
 */
int api_request_parse(const struct sriov_daemon_config *cfg, const char *text,
		      size_t len, json_t **ret, struct sriov_error *err);
int api_get_id(json_t *req, const char *key, const char **ret,
	       struct sriov_error *err);
int api_vf_arg(json_t *req, const char **pf, unsigned *vf,
	       struct sriov_error *err);

/* cluster.c */
/* Open the client (no I/O); nothing when no cluster is configured. */
int cluster_open(struct daemon *d, const char *version,
		 struct sriov_error *err);
void cluster_close(struct daemon *d);
/* Milliseconds until cluster_tick() is due (-1: never). */
int cluster_timeout(const struct daemon *d, uint64_t now);
/* What is due: the keepalive, a full publication, the inventory. */
void cluster_tick(struct daemon *d);
/* The core's cluster_ready hook: the lease renewed (or taken anew). */
int cluster_ready(struct daemon *d, struct sriov_error *err);
/* A publication the store did not take: publish all again soon. */
void cluster_pending(struct daemon *d);
/* The VF counts changed: hosts/<id> again. */
void cluster_changed(struct daemon *d);
json_t *cluster_health(const struct daemon *d);
/* Is the cluster side why sriovd is degraded? @why says so. */
bool cluster_degraded(const struct daemon *d, char *why, size_t size);

/* inventory.c */
json_t *inventory_json(struct sriov_root *root, struct sriov_error *err);

/* monitor.c */
int monitor_open(void);
/* Drain the socket; true when a watched link changed. */
bool monitor_read(int fd, const int *ifindex, size_t n);

#endif
