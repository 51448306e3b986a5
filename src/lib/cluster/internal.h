/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CLUSTER_INTERNAL_H
#define SRIOV_CLUSTER_INTERNAL_H

/*
 * The pure parts of the etcd client, below the transport: base64, the
 * gateway's requests (built as JSON text) and its answers (parsed into
 * the public structs). No I/O here, so unit tests and the fuzz targets
 * run them on bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/cluster.h>

/* Standard alphabet with padding, as Go's encoding/json writes []byte. */
size_t b64_encoded_len(size_t n);
/* @out holds b64_encoded_len(@n) + 1; NUL-terminated. */
void b64_encode(const void *in, size_t n, char *out);
/*
 * Strict: length a multiple of 4, '=' only as the last one or two, no
 * other byte outside the alphabet, unused bits zero. @ret is malloc'd,
 * NUL-terminated beyond @ret_len. -EINVAL or -ENOMEM.
 */
int b64_decode(const char *in, size_t n, char **ret, size_t *ret_len);

/* Requests: malloc'd compact JSON text, or NULL when out of memory. */
/* @key_len: the key may hold any byte (a page starts after a key, at
 * key + "\0"). */
char *etcd_gw_range_req(const char *key, size_t key_len,
			const struct sriov_etcd_range_opts *o);
char *etcd_gw_put_req(const char *key, const void *value, size_t len,
		      int64_t lease, bool prev_kv);
char *etcd_gw_delete_req(const char *key, const char *range_end, bool prev_kv);
char *etcd_gw_txn_req(const struct sriov_etcd_txn *t);
char *etcd_gw_lease_grant_req(int64_t ttl);
char *etcd_gw_lease_id_req(int64_t id); /* keepalive, revoke */
char *etcd_gw_watch_req(const struct sriov_etcd_watch_opts *o,
			int64_t start_revision);

/*
 * An error answer: {"error":"...","code":N} (unary) or
 * {"error":{"grpc_code":N,"message":"..."}} (a stream). Returns true and
 * fills @code and @msg when @body is one.
 */
bool etcd_gw_error(const char *body, size_t len, int *code, char *msg,
		   size_t msg_size);

/* Answers. -EPROTO with @err saying what is wrong; nothing to release then. */
int etcd_gw_parse_range(const char *body, size_t len,
			struct sriov_etcd_range_resp *ret,
			struct sriov_error *err);
int etcd_gw_parse_put(const char *body, size_t len,
		      struct sriov_etcd_header *ret, struct sriov_error *err);
int etcd_gw_parse_delete(const char *body, size_t len,
			 struct sriov_etcd_header *ret, int64_t *ret_deleted,
			 struct sriov_error *err);
int etcd_gw_parse_txn(const char *body, size_t len,
		      struct sriov_etcd_txn_resp *ret, struct sriov_error *err);
int etcd_gw_parse_lease(const char *body, size_t len, bool stream,
			int64_t *ret_id, int64_t *ret_ttl,
			struct sriov_error *err);

/* One line of a watch stream. */
struct etcd_gw_watch_msg {
	struct sriov_etcd_header header;
	bool created;
	bool canceled;
	int64_t compact_revision;
	char cancel_reason[256];
	bool error; /* an error object: the stream is over */
	int error_code;
	struct sriov_etcd_event *events;
	size_t n_events;
};
void etcd_gw_watch_msg_release(struct etcd_gw_watch_msg *m);
int etcd_gw_parse_watch(const char *line, size_t len,
			struct etcd_gw_watch_msg *ret, struct sriov_error *err);

/* The -errno for an etcd (gRPC) status code and message. */
int etcd_gw_errno(int code, const char *msg);
/* Whether etcd's answer (code, message) says the request was not applied
 * and another member may take it ("no leader"), or that it may have been
 * applied ("request timed out"); see etcd's rpctypes. */
enum etcd_gw_retry {
	ETCD_GW_FINAL, /* a definite answer */
	ETCD_GW_RETRY, /* not applied; try the next endpoint */
	ETCD_GW_UNKNOWN, /* may have been applied */
};
enum etcd_gw_retry etcd_gw_retry_class(int code, const char *msg);

/* Internal to the transport, shared by etcd.c and watch.c. */
struct etcd_conn_opts {
	unsigned connect_timeout_ms;
	size_t max_response;
	const char *ca_file, *cert_file, *key_file;
};
const char *etcd_endpoint(const struct sriov_etcd *e, size_t i);
size_t etcd_n_endpoints(const struct sriov_etcd *e);
const struct etcd_conn_opts *etcd_conn(const struct sriov_etcd *e);
/* Set up a curl easy handle (void * to keep curl out of this header). */
int etcd_easy_setup(const struct sriov_etcd *e, void *curl, void *headers);

#endif
