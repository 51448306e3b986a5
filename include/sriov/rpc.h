/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_RPC_H
#define SRIOV_RPC_H

/*
 * OpenStack RPC over AMQP 0-9-1, as oslo.messaging's rabbit driver speaks
 * it: the transport_url, the "oslo.version" 2.0 envelope, and a connection
 * (librabbitmq) driven from the caller's poll loop, without threads.
 *
 * The truth for every name below is Debian's python3-oslo.messaging 14:
 * oslo_messaging/transport.py (TransportURL.parse), _drivers/common.py
 * (serialize_msg, serialize_remote_exception), _drivers/amqp.py
 * (pack_context, _unique_id), _drivers/amqpdriver.py (calls, replies) and
 * _drivers/impl_rabbit.py (exchanges, queues, the [oslo_messaging_rabbit]
 * options).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <sriov/error.h>

/* Caps on what we read from a URL or a broker. */
#define SRIOV_RPC_URL_MAX 4096
#define SRIOV_RPC_HOSTS_MAX 16
#define SRIOV_RPC_BODY_MAX (4u << 20) /* one message body, bytes */
#define SRIOV_RPC_DEPTH_MAX 32 /* JSON nesting inside a message */
#define SRIOV_RPC_NAME_MAX 255 /* AMQP shortstr: topic, queue, method */

struct sriov_rpc_host {
	char *host; /* name or address, IPv6 without brackets */
	uint16_t port; /* 5672 when the URL has none */
	char *user; /* "guest" when the URL has none (kombu's default) */
	char *password; /* "guest" when the URL has none */
};

/*
 * A parsed transport_url and the [oslo_messaging_rabbit] options sriov
 * honours. sriov_rpc_url_init() sets oslo.messaging's defaults; a caller
 * that reads [oslo_messaging_rabbit] from a file sets the fields next; the
 * URL's query then overrides them, as oslo.messaging's ConfigOptsProxy
 * does. Strings are owned by the struct (sriov_rpc_url_release()).
 */
struct sriov_rpc_url {
	struct sriov_rpc_host *hosts;
	size_t n_hosts;
	char *vhost; /* "/" when the URL has none or an empty one */
	bool ssl; /* ssl */
	char *ssl_ca_file; /* ssl_ca_file: verify the broker's chain */
	char *ssl_cert_file; /* ssl_cert_file */
	char *ssl_key_file; /* ssl_key_file */
	bool ssl_verify_hostname; /* ssl_enforce_hostname_verification */
	unsigned heartbeat; /* heartbeat_timeout_threshold, s (60; 0: off) */
	unsigned retry_interval; /* rabbit_retry_interval, s (1) */
	unsigned retry_backoff; /* rabbit_retry_backoff, s (2) */
	unsigned interval_max; /* rabbit_interval_max, s (30) */
	bool durable; /* amqp_durable_queues (false) */
	bool auto_delete; /* amqp_auto_delete (false) */
	unsigned transient_ttl; /* rabbit_transient_queues_ttl, s (1800) */
};

/**
 * sriov_rpc_url_init() - empty URL with oslo.messaging's option defaults
 */
void sriov_rpc_url_init(struct sriov_rpc_url *u);

/**
 * sriov_rpc_url_parse() - read a transport_url as oslo.messaging does
 * @u: initialised by sriov_rpc_url_init() (and options set by the caller);
 *     on success its hosts and vhost are replaced and the query's options
 *     applied; on failure it is left as it was
 * @url: ``rabbit://user:pass@host:port[,user:pass@host:port...]/vhost?opt=v``
 *
 * Hosts are split on ',', user and password percent-decoded (oslo's
 * TransportURL.parse); a missing port is 5672, a missing or empty user or
 * password "guest", an empty vhost "/". The vhost is percent-decoded twice,
 * as oslo.messaging then kombu do. No host at all means localhost:5672.
 * The query takes the [oslo_messaging_rabbit] options listed in
 * docs/rpc.md; anything else is refused with the position in the URL
 * (1-based column), so is what oslo.messaging would accept and then fail to
 * connect with (a port out of range, a ';' in the vhost, bytes that are not
 * UTF-8 once decoded).
 *
 * Return: 0, or -EINVAL / -ENOMEM with @err naming the position.
 */
int sriov_rpc_url_parse(struct sriov_rpc_url *u, const char *url,
			struct sriov_error *err);

/**
 * sriov_rpc_url_release() - free what @u holds; @u is left initialised
 */
void sriov_rpc_url_release(struct sriov_rpc_url *u);

/*
 * One RPC message: a request (cast or call) or a reply, as the dict that
 * oslo.messaging puts inside the envelope. JSON values are owned by the
 * struct (one reference each); strings too (sriov_rpc_msg_release()).
 */
struct sriov_rpc_msg {
	/* requests */
	char *method;
	json_t *args; /* object */
	char *namespace_; /* NULL when absent */
	char *version; /* NULL when absent ("1.0" to a dispatcher) */
	json_t *context; /* object: the _context_* keys, prefix removed */
	char *reply_q; /* a call's reply queue; NULL for a cast */
	json_t *timeout; /* a call's _timeout (call monitor), may be null */
	/* requests and replies */
	char *msg_id; /* a call's or a reply's _msg_id; NULL for a cast */
	char *unique_id; /* _unique_id (duplicate detection) */
	/* replies */
	bool is_reply;
	json_t *result; /* any JSON value, NULL when absent */
	char *failure; /* serialize_remote_exception() JSON text, or NULL */
	bool ending;
};

void sriov_rpc_msg_init(struct sriov_rpc_msg *m);
void sriov_rpc_msg_release(struct sriov_rpc_msg *m);

/**
 * sriov_rpc_msg_encode() - the envelope of @m as a message body
 * @ret_body: receives a malloc()ed JSON text (not NUL-counted in @ret_len)
 *
 * ``{"oslo.version": "2.0", "oslo.message": "<the dict as JSON text>"}``;
 * the context goes in as _context_<key> keys (pack_context).
 *
 * Return: 0, -EINVAL when @m breaks a rule of sriov_rpc_msg_decode(), or
 * -EMSGSIZE when the body would exceed SRIOV_RPC_BODY_MAX.
 */
int sriov_rpc_msg_encode(const struct sriov_rpc_msg *m, char **ret_body,
			 size_t *ret_len, struct sriov_error *err);

/**
 * sriov_rpc_msg_decode() - read a message body
 * @ret: written only on success (release it after)
 *
 * Strict: the body is at most SRIOV_RPC_BODY_MAX bytes of UTF-8 JSON, an
 * object with exactly "oslo.version" "2.0" and "oslo.message", a string
 * holding an object nested at most SRIOV_RPC_DEPTH_MAX deep, with no
 * duplicate key. A request has a method (a name of at most 255 bytes) and
 * an object "args"; a call also _msg_id and _reply_q; a reply has _msg_id
 * and "failure" null or a string.
 *
 * Return: 0, -EMSGSIZE, -EBADMSG (not an envelope, bad JSON, a field of the
 * wrong type) or -ENOMEM.
 */
int sriov_rpc_msg_decode(const void *body, size_t len,
			 struct sriov_rpc_msg *ret, struct sriov_error *err);

/**
 * sriov_rpc_failure_decode() - describe a reply's "failure"
 *
 * Sets @err to ``remote MODULE.CLASS: MESSAGE`` from the JSON text that
 * serialize_remote_exception() wrote.
 *
 * Return: -EREMOTEIO, or -EBADMSG when @failure is not such a text.
 */
int sriov_rpc_failure_decode(const char *failure, struct sriov_error *err);

/**
 * sriov_rpc_failure_encode() - a "failure" text as oslo.messaging writes it
 * @ret: receives a malloc()ed JSON text of class, module, message, tb,
 *       args and kwargs; an oslo.messaging caller raises it as
 *       RemoteError (or as the builtin exception @module "builtins" names)
 */
int sriov_rpc_failure_encode(const char *cls, const char *module,
			     const char *message, char **ret,
			     struct sriov_error *err);

/*
 * The connection. One AMQP connection and channel; it declares exchanges
 * and queues as oslo.messaging does, so oslo.messaging peers interoperate:
 *   - requests go to the topic exchange (the control_exchange, "neutron"
 *     for Neutron) with routing key TOPIC or TOPIC.SERVER, or to the
 *     fanout exchange TOPIC_fanout;
 *   - calls carry _msg_id and _reply_q "reply_<uuid>", a queue on the
 *     default exchange that the replies come to;
 *   - a listener consumes TOPIC, TOPIC.SERVER and its own
 *     TOPIC_fanout_<uuid> queue (amqpdriver.listen()).
 * When the broker goes away every pending call fails with -ENOTCONN,
 * SRIOV_RPC_DISCONNECTED is reported, and sriov_rpc_step() reconnects,
 * host after host, after exponential back-off with jitter; on success the
 * queues are declared again and SRIOV_RPC_CONNECTED reported (with
 * reconnect true), the agent's cue to resync.
 */
struct sriov_rpc;

enum sriov_rpc_event {
	SRIOV_RPC_CONNECTED, /* first connection or a reconnection */
	SRIOV_RPC_DISCONNECTED, /* lost, or an attempt failed; see delay_ms */
	SRIOV_RPC_DROPPED, /* a message that was refused (reason says why) */
};

struct sriov_rpc_event_info {
	enum sriov_rpc_event event;
	bool reconnect; /* CONNECTED after a loss */
	const char *host; /* the broker, "host:port" */
	unsigned attempt; /* failed attempts before this CONNECTED */
	unsigned delay_ms; /* DISCONNECTED: until the next attempt */
	const char *reason; /* DISCONNECTED, DROPPED: what happened */
};

struct sriov_rpc_target {
	const char *exchange; /* NULL: the connection's control exchange */
	const char *topic;
	const char *server; /* NULL: any server of the topic */
	const char *namespace_; /* NULL: none */
	const char *version; /* NULL: none */
	bool fanout; /* casts only: every listener of the topic */
};

/* A request that came in; msg->msg_id and msg->reply_q are set for calls. */
typedef void (*sriov_rpc_handler_fn)(struct sriov_rpc *rpc,
				     const struct sriov_rpc_msg *msg,
				     void *data);
typedef void (*sriov_rpc_event_fn)(struct sriov_rpc *rpc,
				   const struct sriov_rpc_event_info *ev,
				   void *data);
/* A call finished: result (borrowed) on status 0, else err says why. */
typedef void (*sriov_rpc_reply_fn)(struct sriov_rpc *rpc, int status,
				   json_t *result,
				   const struct sriov_error *err, void *data);

struct sriov_rpc_config {
	const struct sriov_rpc_url *url; /* copied */
	const char *exchange; /* control_exchange; NULL: "openstack" */
	unsigned connect_timeout_ms; /* per host and handshake; 0: 5000 */
	sriov_rpc_event_fn on_event;
	sriov_rpc_handler_fn on_request;
	void *data;
};

/**
 * sriov_rpc_new() - a connection object; nothing is connected yet
 */
int sriov_rpc_new(const struct sriov_rpc_config *cfg, struct sriov_rpc **ret,
		  struct sriov_error *err);
void sriov_rpc_free(struct sriov_rpc *rpc);

/**
 * sriov_rpc_connect() - try every host once (blocking, bounded by the
 * connect timeout); on failure a reconnection is scheduled for
 * sriov_rpc_step() and the error names every host tried
 */
int sriov_rpc_connect(struct sriov_rpc *rpc, struct sriov_error *err);

/**
 * sriov_rpc_listen() - serve TOPIC (and TOPIC.SERVER, and TOPIC's fanout)
 *
 * Requests go to cfg->on_request. The queues are declared now when
 * connected, and again after each reconnection.
 */
int sriov_rpc_listen(struct sriov_rpc *rpc, const char *topic,
		     const char *server, struct sriov_error *err);

/**
 * sriov_rpc_cast() - send a request that wants no reply
 * @context: object or NULL; its keys go in as _context_<key>
 * @args: object or NULL (an empty object)
 *
 * Return: 0, -ENOTCONN while disconnected, -EINVAL on a bad target.
 */
int sriov_rpc_cast(struct sriov_rpc *rpc, const struct sriov_rpc_target *t,
		   json_t *context, const char *method, json_t *args,
		   struct sriov_error *err);

/**
 * sriov_rpc_call_start() - send a call; @done runs exactly once, from
 * sriov_rpc_step() (reply, failure, timeout, connection lost) or from
 * sriov_rpc_free() (-ECANCELED)
 * @timeout_ms: also the message's AMQP expiration, as oslo.messaging sets
 *
 * Return: 0 (done will run), or an error (done will not run).
 */
int sriov_rpc_call_start(struct sriov_rpc *rpc,
			 const struct sriov_rpc_target *t, json_t *context,
			 const char *method, json_t *args, unsigned timeout_ms,
			 sriov_rpc_reply_fn done, void *data,
			 struct sriov_error *err);

/**
 * sriov_rpc_call() - a call that returns when it is answered
 * @ret_result: receives a new reference to the result (may be json null)
 *
 * Steps the connection until the reply, so requests to listeners are
 * served meanwhile. Return: 0; -ETIMEDOUT; -EREMOTEIO (the peer's failure,
 * in @err); -ENOTCONN.
 */
int sriov_rpc_call(struct sriov_rpc *rpc, const struct sriov_rpc_target *t,
		   json_t *context, const char *method, json_t *args,
		   unsigned timeout_ms, json_t **ret_result,
		   struct sriov_error *err);

/**
 * sriov_rpc_reply() - answer a call (from on_request, or later)
 * @reply_q, @msg_id: the call's
 * @result: any JSON value or NULL (null)
 * @failure: NULL, or a text from sriov_rpc_failure_encode()
 */
int sriov_rpc_reply(struct sriov_rpc *rpc, const char *reply_q,
		    const char *msg_id, json_t *result, const char *failure,
		    struct sriov_error *err);

/**
 * sriov_rpc_fd() - the socket to poll for input; -1 while disconnected
 */
int sriov_rpc_fd(const struct sriov_rpc *rpc);

/**
 * sriov_rpc_timeout_ms() - how long the caller may sleep before the next
 * sriov_rpc_step(): a call's deadline, a heartbeat, a reconnection; 0 when
 * input is already buffered; -1 when nothing is due
 */
int sriov_rpc_timeout_ms(const struct sriov_rpc *rpc);

/**
 * sriov_rpc_step() - do what is due: read and dispatch what arrived (wait
 * at most @timeout_ms for it), heartbeats, call timeouts, reconnection
 *
 * Return: 0, or a negative errno when the connection object cannot go on
 * (-ENOMEM); a lost connection is not an error (it is reported as an event).
 */
int sriov_rpc_step(struct sriov_rpc *rpc, int timeout_ms,
		   struct sriov_error *err);

/**
 * sriov_rpc_connected() - whether the connection is up now
 */
bool sriov_rpc_connected(const struct sriov_rpc *rpc);

#endif
