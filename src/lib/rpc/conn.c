/* SPDX-License-Identifier: MIT */
/*
 * One AMQP 0-9-1 connection (librabbitmq) speaking oslo.messaging's rabbit
 * driver, driven from the caller's poll loop: sriov_rpc_fd(),
 * sriov_rpc_timeout_ms(), sriov_rpc_step(). No threads.
 *
 * Names and flags as oslo_messaging/_drivers/impl_rabbit.py declares them
 * (Debian's python3-oslo.messaging 14), so an oslo.messaging peer that
 * declared the same queue first finds ours equivalent and the other way
 * round:
 *   topic exchange  EXCHANGE, topic, durable=amqp_durable_queues,
 *                   auto_delete=amqp_auto_delete (topic_send,
 *                   declare_topic_consumer)
 *   topic queues    TOPIC and TOPIC.SERVER, same flags, no arguments
 *   fanout          exchange TOPIC_fanout (fanout, not durable,
 *                   auto-delete), queue TOPIC_fanout_<uuid> (not durable,
 *                   not auto-delete, x-expires) (declare_fanout_consumer)
 *   replies         queue reply_<uuid> on the default exchange (not
 *                   durable, not auto-delete, x-expires); a reply is
 *                   published to "" with the queue as routing key
 *                   (declare_direct_consumer, direct_send)
 * Messages go out as kombu's Producer sends them: content type
 * application/json, encoding utf-8, delivery mode 2, priority 0, and a
 * call's timeout as its expiration in milliseconds (Connection._publish).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sriov/rpc.h>

#include "rpc/rpc-internal.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define CHANNEL 1
#define RECENT_IDS 16 /* amqp.py _MsgIdCache.DUP_MSG_CHECK_SIZE */

struct call {
	struct call *next;
	char msg_id[33];
	uint64_t deadline;
	sriov_rpc_reply_fn done;
	void *data;
	json_t *result; /* a result sent before its "ending" reply */
};

struct listener {
	struct listener *next;
	char *topic;
	char *server; /* may be NULL */
	char fanout_q[SRIOV_RPC_NAME_MAX + 1];
};

struct sriov_rpc {
	struct sriov_rpc_url url;
	char *exchange;
	unsigned connect_timeout_ms;
	sriov_rpc_event_fn on_event;
	sriov_rpc_handler_fn on_request;
	void *data;

	amqp_connection_state_t conn; /* NULL while disconnected */
	uint64_t gen; /* bumped on every loss: stale loops stop */
	size_t host; /* the host connected to, or to try next */
	unsigned failures; /* attempts since the last connection */
	uint64_t reconnect_at; /* 0: no reconnection scheduled */
	unsigned delay_ms; /* the wait before reconnect_at */
	bool ever_connected;
	char host_desc[SRIOV_RPC_NAME_MAX + 8];

	char reply_q[40];
	char *reply_tag; /* consumer tag of reply_q on this connection */
	char **exchanges; /* declared on this connection */
	size_t n_exchanges;

	struct listener *listeners;
	struct call *calls;
	char recent[RECENT_IDS][SRIOV_RPC_NAME_MAX + 1];
	unsigned recent_next;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)now_ms() * 2654435761u;
	return v;
}

unsigned rpc_backoff_ms(const struct sriov_rpc_url *u, unsigned round,
			uint32_t rnd)
{
	uint64_t start = u->retry_interval ? u->retry_interval : 1;
	uint64_t max = u->interval_max ? u->interval_max : 1;
	uint64_t d, step = u->retry_backoff;

	/* retry_interval, then + retry_backoff * (2^round - 1): 1, 3, 7, 15 */
	if (round > 20)
		round = 20;
	d = start + step * ((1ull << round) - 1);
	if (d > max)
		d = max;
	d *= 1000;
	/* jitter: uniform in [d/2, d], so agents do not come back at once */
	return (unsigned)(d / 2 + (rnd % (d / 2 + 1)));
}

static void emit(struct sriov_rpc *rpc, struct sriov_rpc_event_info *ev)
{
	if (rpc->on_event)
		rpc->on_event(rpc, ev, rpc->data);
}

static void describe_reply(amqp_rpc_reply_t r, char *buf, size_t n)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		snprintf(buf, n, "ok");
		return;
	case AMQP_RESPONSE_NONE:
		snprintf(buf, n, "no reply from the broker");
		return;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(buf, n, "%s", amqp_error_string2(r.library_error));
		return;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *m = r.reply.decoded;

			snprintf(buf, n,
				 "broker closed the connection: %u %.*s",
				 m->reply_code, (int)m->reply_text.len,
				 (const char *)m->reply_text.bytes);
		} else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *m = r.reply.decoded;

			snprintf(buf, n, "broker closed the channel: %u %.*s",
				 m->reply_code, (int)m->reply_text.len,
				 (const char *)m->reply_text.bytes);
		} else {
			snprintf(buf, n, "broker answered method 0x%08x",
				 (unsigned)r.reply.id);
		}
		return;
	}
	snprintf(buf, n, "unknown reply type %d", (int)r.reply_type);
}

static void exchanges_clear(struct sriov_rpc *rpc)
{
	for (size_t i = 0; i < rpc->n_exchanges; i++)
		free(rpc->exchanges[i]);
	free(rpc->exchanges);
	rpc->exchanges = NULL;
	rpc->n_exchanges = 0;
}

static void finish_call(struct sriov_rpc *rpc, struct call *c, int status,
			json_t *result, const struct sriov_error *e)
{
	if (c->done)
		c->done(rpc, status, result, e, c->data);
	json_decref(c->result);
	free(c);
}

static struct call *take_call(struct sriov_rpc *rpc, const char *msg_id)
{
	for (struct call **pp = &rpc->calls; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->msg_id, msg_id)) {
			struct call *c = *pp;

			*pp = c->next;
			return c;
		}
	}
	return NULL;
}

static void fail_all_calls(struct sriov_rpc *rpc, int status, const char *why)
{
	struct sriov_error e;
	struct call *list = rpc->calls;

	rpc->calls = NULL;
	sriov_error_set(&e, status, "%s", why);
	while (list) {
		struct call *c = list;

		list = c->next;
		finish_call(rpc, c, status, NULL, &e);
	}
}

static void drop_conn(struct sriov_rpc *rpc)
{
	if (rpc->conn)
		amqp_destroy_connection(rpc->conn);
	rpc->conn = NULL;
	free(rpc->reply_tag);
	rpc->reply_tag = NULL;
	exchanges_clear(rpc);
	rpc->gen++;
}

/*
 * After a failed attempt: the next host at once while a round over the
 * hosts lasts, then back off by the number of rounds that failed.
 */
static void schedule(struct sriov_rpc *rpc, unsigned *delay)
{
	size_t n = rpc->url.n_hosts;

	if (rpc->failures % n)
		*delay = 0;
	else
		*delay = rpc_backoff_ms(&rpc->url, rpc->failures / (unsigned)n,
					random_u32());
	rpc->reconnect_at = now_ms() + *delay;
	rpc->delay_ms = *delay;
}

/* The connection is gone: report it, fail the calls, plan a reconnection. */
static void lost(struct sriov_rpc *rpc, const char *why)
{
	struct sriov_rpc_event_info ev = { .event = SRIOV_RPC_DISCONNECTED };
	char msg[SRIOV_ERROR_MSG_MAX];

	if (!rpc->conn)
		return;
	drop_conn(rpc);
	snprintf(msg, sizeof(msg), "connection to %s lost: %s", rpc->host_desc,
		 why);
	/* kombu waits a little before the first attempt, so do we */
	rpc->failures = 0;
	rpc->host = (rpc->host + 1) % rpc->url.n_hosts;
	ev.delay_ms = rpc_backoff_ms(&rpc->url, 0, random_u32());
	rpc->reconnect_at = now_ms() + ev.delay_ms;
	ev.host = rpc->host_desc;
	ev.reason = msg;
	fail_all_calls(rpc, -ENOTCONN, msg);
	emit(rpc, &ev);
}

static int check_reply(struct sriov_rpc *rpc, const char *what,
		       struct sriov_error *err)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(rpc->conn);
	char buf[SRIOV_ERROR_MSG_MAX / 2];

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	describe_reply(r, buf, sizeof(buf));
	return sriov_error_set(err, -EPROTO, "%s: %s: %s", rpc->host_desc, what,
			       buf);
}

static int declare_exchange(struct sriov_rpc *rpc, const char *name,
			    const char *type, bool durable, bool auto_delete,
			    struct sriov_error *err)
{
	char **n;

	if (!*name)
		return 0; /* the default exchange */
	for (size_t i = 0; i < rpc->n_exchanges; i++)
		if (!strcmp(rpc->exchanges[i], name))
			return 0;
	amqp_exchange_declare(rpc->conn, CHANNEL, amqp_cstring_bytes(name),
			      amqp_cstring_bytes(type), 0, durable, auto_delete,
			      0, amqp_empty_table);
	if (check_reply(rpc, "declaring exchange", err) < 0) {
		sriov_error_prefix(err, "exchange '%s'", name);
		return err ? err->code : -EPROTO;
	}
	n = realloc(rpc->exchanges, (rpc->n_exchanges + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	rpc->exchanges = n;
	n[rpc->n_exchanges] = strdup(name);
	if (!n[rpc->n_exchanges])
		return -ENOMEM;
	rpc->n_exchanges++;
	return 0;
}

/*
 * Declare a queue, bind it (unless on the default exchange), consume it
 * with no_ack (oslo.messaging acknowledges a request before it dispatches
 * it: amqpdriver.py RpcAMQPListener). @expires: x-expires, 0 for none.
 */
static int declare_consume(struct sriov_rpc *rpc, const char *queue,
			   const char *exchange, const char *key, bool durable,
			   bool auto_delete, unsigned expires, char **ret_tag,
			   struct sriov_error *err)
{
	amqp_table_entry_t arg = {
		.key = amqp_cstring_bytes("x-expires"),
		.value = { .kind = AMQP_FIELD_KIND_I32,
			   .value.i32 = (int32_t)expires },
	};
	amqp_table_t args = { expires ? 1 : 0, &arg };
	amqp_basic_consume_ok_t *ok;

	amqp_queue_declare(rpc->conn, CHANNEL, amqp_cstring_bytes(queue), 0,
			   durable, 0, auto_delete, args);
	if (check_reply(rpc, "declaring queue", err) < 0)
		goto fail;
	if (*exchange) {
		amqp_queue_bind(rpc->conn, CHANNEL, amqp_cstring_bytes(queue),
				amqp_cstring_bytes(exchange),
				amqp_cstring_bytes(key), amqp_empty_table);
		if (check_reply(rpc, "binding queue", err) < 0)
			goto fail;
	}
	ok = amqp_basic_consume(rpc->conn, CHANNEL, amqp_cstring_bytes(queue),
				amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
	if (!ok || check_reply(rpc, "consuming queue", err) < 0)
		goto fail;
	if (ret_tag) {
		*ret_tag =
			strndup(ok->consumer_tag.bytes, ok->consumer_tag.len);
		if (!*ret_tag)
			return -ENOMEM;
	}
	return 0;
fail:
	sriov_error_prefix(err, "queue '%s'", queue);
	return err && err->code ? err->code : -EPROTO;
}

static unsigned ttl_ms(const struct sriov_rpc *rpc)
{
	uint64_t ms = (uint64_t)rpc->url.transient_ttl * 1000;

	return ms > INT32_MAX ? INT32_MAX : (unsigned)ms;
}

static int declare_listener(struct sriov_rpc *rpc, struct listener *l,
			    struct sriov_error *err)
{
	char name[2 * SRIOV_RPC_NAME_MAX + 2];
	int r;

	r = declare_exchange(rpc, rpc->exchange, "topic", rpc->url.durable,
			     rpc->url.auto_delete, err);
	if (r < 0)
		return r;
	r = declare_consume(rpc, l->topic, rpc->exchange, l->topic,
			    rpc->url.durable, rpc->url.auto_delete, 0, NULL,
			    err);
	if (r < 0)
		return r;
	if (l->server) {
		snprintf(name, sizeof(name), "%s.%s", l->topic, l->server);
		r = declare_consume(rpc, name, rpc->exchange, name,
				    rpc->url.durable, rpc->url.auto_delete, 0,
				    NULL, err);
		if (r < 0)
			return r;
	}
	snprintf(name, sizeof(name), "%s_fanout", l->topic);
	r = declare_exchange(rpc, name, "fanout", false, true, err);
	if (r < 0)
		return r;
	return declare_consume(rpc, l->fanout_q, name, l->topic, false, false,
			       ttl_ms(rpc), NULL, err);
}

static int declare_reply(struct sriov_rpc *rpc, struct sriov_error *err)
{
	/* at the first call on each connection */
	if (rpc->reply_tag)
		return 0;
	return declare_consume(rpc, rpc->reply_q, "", "", false, false,
			       ttl_ms(rpc), &rpc->reply_tag, err);
}

static int connect_host(struct sriov_rpc *rpc, size_t i,
			struct sriov_error *err)
{
	const struct sriov_rpc_host *h = &rpc->url.hosts[i];
	struct timeval tv = {
		.tv_sec = rpc->connect_timeout_ms / 1000,
		.tv_usec = (rpc->connect_timeout_ms % 1000) * 1000,
	};
	char name[128], uuid[33];
	amqp_table_entry_t caps_e[] = {
		{ .key = amqp_cstring_bytes("authentication_failure_close"),
		  .value = { .kind = AMQP_FIELD_KIND_BOOLEAN,
			     .value.boolean = 1 } },
	};
	amqp_table_entry_t props_e[] = {
		{ .key = amqp_cstring_bytes("capabilities"),
		  .value = { .kind = AMQP_FIELD_KIND_TABLE,
			     .value.table = { 1, caps_e } } },
		{ .key = amqp_cstring_bytes("connection_name"),
		  .value = { .kind = AMQP_FIELD_KIND_UTF8 } },
	};
	amqp_table_t props = { 2, props_e };
	amqp_socket_t *sock;
	amqp_rpc_reply_t lr;
	char buf[SRIOV_ERROR_MSG_MAX / 2];
	int r;

	snprintf(rpc->host_desc, sizeof(rpc->host_desc),
		 strchr(h->host, ':') ? "[%s]:%u" : "%s:%u", h->host, h->port);
	rpc->conn = amqp_new_connection();
	if (!rpc->conn)
		return -ENOMEM;
	sock = rpc->url.ssl ? amqp_ssl_socket_new(rpc->conn) :
			      amqp_tcp_socket_new(rpc->conn);
	if (!sock) {
		r = sriov_error_set(err, -ENOMEM, "%s: cannot make a socket",
				    rpc->host_desc);
		goto fail;
	}
	if (rpc->url.ssl) {
		/* oslo: ssl_ca_file verifies the chain, and the name only
		 * with ssl_enforce_hostname_verification */
		amqp_ssl_socket_set_verify_peer(sock,
						rpc->url.ssl_ca_file != NULL);
		/* OpenSSL checks the name during the handshake, an address
		 * against IP SANs too (as Python's ssl does for oslo);
		 * librabbitmq's own check knows DNS names only */
		amqp_ssl_socket_set_verify_hostname(sock, 0);
		if (rpc->url.ssl_ca_file && rpc->url.ssl_verify_hostname) {
			SSL_CTX *ctx = amqp_ssl_socket_get_context(sock);
			X509_VERIFY_PARAM *vp = ctx ? SSL_CTX_get0_param(ctx) :
						      NULL;
			unsigned char addr[sizeof(struct in6_addr)];
			bool ip = inet_pton(AF_INET, h->host, addr) == 1 ||
				  inet_pton(AF_INET6, h->host, addr) == 1;

			if (!vp ||
			    (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, h->host) :
				  X509_VERIFY_PARAM_set1_host(vp, h->host,
							      0)) != 1) {
				r = sriov_error_set(
					err, -ENOMEM,
					"%s: cannot set up hostname verification",
					rpc->host_desc);
				goto fail;
			}
		}
		if (rpc->url.ssl_ca_file &&
		    amqp_ssl_socket_set_cacert(sock, rpc->url.ssl_ca_file)) {
			r = sriov_error_set(
				err, -EINVAL,
				"ssl_ca_file '%s': cannot be read as PEM certificates",
				rpc->url.ssl_ca_file);
			goto fail;
		}
		if (rpc->url.ssl_cert_file || rpc->url.ssl_key_file) {
			if (!rpc->url.ssl_cert_file || !rpc->url.ssl_key_file) {
				r = sriov_error_set(
					err, -EINVAL,
					"ssl_cert_file and ssl_key_file go together: set both or neither");
				goto fail;
			}
			if (amqp_ssl_socket_set_key(sock,
						    rpc->url.ssl_cert_file,
						    rpc->url.ssl_key_file)) {
				r = sriov_error_set(
					err, -EINVAL,
					"ssl_cert_file '%s' / ssl_key_file '%s': cannot be loaded as a PEM certificate and its key",
					rpc->url.ssl_cert_file,
					rpc->url.ssl_key_file);
				goto fail;
			}
		}
	}
	r = amqp_socket_open_noblock(sock, h->host, h->port, &tv);
	if (r != AMQP_STATUS_OK) {
		r = sriov_error_set(err, -ECONNREFUSED,
				    "%s: cannot connect: %s", rpc->host_desc,
				    amqp_error_string2(r));
		goto fail;
	}
	amqp_set_handshake_timeout(rpc->conn, &tv);
	amqp_set_rpc_timeout(rpc->conn, &tv);
	if (rpc_uuid_hex(uuid) < 0)
		uuid[0] = '\0';
	snprintf(name, sizeof(name), "sriov:%ld:%s", (long)getpid(), uuid);
	props_e[1].value.value.bytes = amqp_cstring_bytes(name);
	lr = amqp_login_with_properties(rpc->conn, rpc->url.vhost, 0, 131072,
					(int)rpc->url.heartbeat, &props,
					AMQP_SASL_METHOD_PLAIN, h->user,
					h->password);
	if (lr.reply_type != AMQP_RESPONSE_NORMAL) {
		describe_reply(lr, buf, sizeof(buf));
		r = sriov_error_set(
			err, -EACCES,
			"%s: login as '%s' to vhost '%s' failed: %s",
			rpc->host_desc, h->user, rpc->url.vhost, buf);
		goto fail;
	}
	amqp_channel_open(rpc->conn, CHANNEL);
	r = check_reply(rpc, "opening channel", err);
	if (r < 0)
		goto fail;
	for (struct listener *l = rpc->listeners; l; l = l->next)
		if ((r = declare_listener(rpc, l, err)) < 0)
			goto fail;
	return 0;
fail:
	drop_conn(rpc);
	return r;
}

/* Try host after host from rpc->host: all of them, or one (@all false). */
static int try_connect(struct sriov_rpc *rpc, bool all, struct sriov_error *err)
{
	struct sriov_rpc_event_info ev = { .event = SRIOV_RPC_CONNECTED };
	char tried[SRIOV_ERROR_MSG_MAX] = "";
	size_t n = rpc->url.n_hosts, len = 0;
	struct sriov_error e1;
	int r = -ECONNREFUSED;

	rpc->reconnect_at = 0;
	for (size_t k = 0; k < (all ? n : 1); k++) {
		sriov_error_clear(&e1);
		r = connect_host(rpc, rpc->host, &e1);
		if (r == 0) {
			ev.reconnect = rpc->ever_connected;
			ev.attempt = rpc->failures;
			ev.host = rpc->host_desc;
			rpc->ever_connected = true;
			rpc->failures = 0;
			emit(rpc, &ev);
			return 0;
		}
		if (len < sizeof(tried))
			len += (size_t)snprintf(tried + len,
						sizeof(tried) - len, "%s%s",
						len ? "; " : "", e1.msg);
		rpc->failures++;
		rpc->host = (rpc->host + 1) % n;
	}
	schedule(rpc, &ev.delay_ms);
	return sriov_error_set(err, r, "%s", tried);
}

int sriov_rpc_new(const struct sriov_rpc_config *cfg, struct sriov_rpc **ret,
		  struct sriov_error *err)
{
	struct sriov_rpc *rpc;
	const struct sriov_rpc_url *u = cfg->url;
	const char *ex = cfg->exchange ? cfg->exchange : "openstack";
	char uuid[33];
	int r;

	if (!u || !u->n_hosts || !u->vhost)
		return sriov_error_set(err, -EINVAL,
				       "rpc: no transport_url parsed");
	if (!rpc_name_ok(ex))
		return sriov_error_set(
			err, -EINVAL,
			"rpc: exchange '%s' must be 1 to 255 printable ASCII bytes",
			ex);
	rpc = calloc(1, sizeof(*rpc));
	if (!rpc)
		return -ENOMEM;
	sriov_rpc_url_init(&rpc->url);
	rpc->url = *u;
	rpc->url.hosts = calloc(u->n_hosts, sizeof(*u->hosts));
	rpc->url.vhost = strdup(u->vhost);
	rpc->url.ssl_ca_file = strdup_or_null(u->ssl_ca_file);
	rpc->url.ssl_cert_file = strdup_or_null(u->ssl_cert_file);
	rpc->url.ssl_key_file = strdup_or_null(u->ssl_key_file);
	rpc->exchange = strdup(ex);
	r = -ENOMEM;
	if (!rpc->url.hosts || !rpc->url.vhost || !rpc->exchange ||
	    (u->ssl_ca_file && !rpc->url.ssl_ca_file) ||
	    (u->ssl_cert_file && !rpc->url.ssl_cert_file) ||
	    (u->ssl_key_file && !rpc->url.ssl_key_file))
		goto fail;
	for (size_t i = 0; i < u->n_hosts; i++) {
		rpc->url.hosts[i].host = strdup(u->hosts[i].host);
		rpc->url.hosts[i].user = strdup(u->hosts[i].user);
		rpc->url.hosts[i].password = strdup(u->hosts[i].password);
		rpc->url.hosts[i].port = u->hosts[i].port;
		if (!rpc->url.hosts[i].host || !rpc->url.hosts[i].user ||
		    !rpc->url.hosts[i].password)
			goto fail;
	}
	rpc->connect_timeout_ms =
		cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
	rpc->on_event = cfg->on_event;
	rpc->on_request = cfg->on_request;
	rpc->data = cfg->data;
	/* oslo.messaging shuffles its hosts; start at a random one */
	rpc->host = random_u32() % u->n_hosts;
	if ((r = rpc_uuid_hex(uuid)) < 0)
		goto fail;
	snprintf(rpc->reply_q, sizeof(rpc->reply_q), "reply_%s", uuid);
	*ret = rpc;
	return 0;
fail:
	sriov_rpc_free(rpc);
	return r;
}

void sriov_rpc_free(struct sriov_rpc *rpc)
{
	struct sriov_error e;

	if (!rpc)
		return;
	if (rpc->conn) {
		struct timeval tv = { 1, 0 };

		amqp_set_rpc_timeout(rpc->conn, &tv);
		amqp_channel_close(rpc->conn, CHANNEL, AMQP_REPLY_SUCCESS);
		amqp_connection_close(rpc->conn, AMQP_REPLY_SUCCESS);
		drop_conn(rpc);
	}
	sriov_error_set(&e, -ECANCELED, "rpc: connection closed");
	while (rpc->calls) {
		struct call *c = rpc->calls;

		rpc->calls = c->next;
		finish_call(rpc, c, -ECANCELED, NULL, &e);
	}
	while (rpc->listeners) {
		struct listener *l = rpc->listeners;

		rpc->listeners = l->next;
		free(l->topic);
		free(l->server);
		free(l);
	}
	exchanges_clear(rpc);
	free(rpc->exchange);
	sriov_rpc_url_release(&rpc->url);
	free(rpc);
}

int sriov_rpc_connect(struct sriov_rpc *rpc, struct sriov_error *err)
{
	if (rpc->conn)
		return 0;
	return try_connect(rpc, true, err);
}

bool sriov_rpc_connected(const struct sriov_rpc *rpc)
{
	return rpc->conn != NULL;
}

int sriov_rpc_listen(struct sriov_rpc *rpc, const char *topic,
		     const char *server, struct sriov_error *err)
{
	struct listener *l;
	char uuid[33];
	int r;

	if (!rpc_name_ok(topic) || strlen(topic) > 200 ||
	    (server &&
	     (!rpc_name_ok(server) ||
	      strlen(topic) + strlen(server) + 1 > SRIOV_RPC_NAME_MAX)))
		return sriov_error_set(
			err, -EINVAL,
			"rpc listen: topic '%s' and server '%s' must be printable ASCII, at most 200 and 255 bytes together",
			topic ? topic : "", server ? server : "");
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->topic = strdup(topic);
	l->server = server ? strdup(server) : NULL;
	if (!l->topic || (server && !l->server) || rpc_uuid_hex(uuid) < 0) {
		free(l->topic);
		free(l->server);
		free(l);
		return -ENOMEM;
	}
	snprintf(l->fanout_q, sizeof(l->fanout_q), "%s_fanout_%s", topic, uuid);
	l->next = rpc->listeners;
	rpc->listeners = l;
	if (!rpc->conn)
		return 0;
	r = declare_listener(rpc, l, err);
	if (r < 0) {
		char why[SRIOV_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "%s",
			 err ? err->msg : "declaring a listener failed");
		lost(rpc, why);
	}
	return r;
}

static int publish(struct sriov_rpc *rpc, const char *exchange, const char *key,
		   const char *body, size_t len, unsigned expiration_ms,
		   struct sriov_error *err)
{
	amqp_basic_properties_t p = { 0 };
	char exp[16];
	int r;

	p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
		   AMQP_BASIC_CONTENT_ENCODING_FLAG |
		   AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG |
		   AMQP_BASIC_HEADERS_FLAG;
	p.content_type = amqp_cstring_bytes("application/json");
	p.content_encoding = amqp_cstring_bytes("utf-8");
	p.delivery_mode = 2;
	p.priority = 0;
	p.headers = amqp_empty_table;
	if (expiration_ms) {
		snprintf(exp, sizeof(exp), "%u", expiration_ms);
		p._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		p.expiration = amqp_cstring_bytes(exp);
	}
	r = amqp_basic_publish(rpc->conn, CHANNEL, amqp_cstring_bytes(exchange),
			       amqp_cstring_bytes(key), 0, 0, &p,
			       (amqp_bytes_t){ len, (void *)body });
	if (r != AMQP_STATUS_OK) {
		char why[SRIOV_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "publishing: %s",
			 amqp_error_string2(r));
		sriov_error_set(err, -ENOTCONN, "%s: %s", rpc->host_desc, why);
		lost(rpc, why);
		return -ENOTCONN;
	}
	return 0;
}

static int check_target(const struct sriov_rpc_target *t,
			struct sriov_error *err)
{
	if (!t || !rpc_name_ok(t->topic) ||
	    (t->server && !rpc_name_ok(t->server)) ||
	    (t->exchange && !rpc_name_ok(t->exchange)) ||
	    (t->server &&
	     strlen(t->topic) + strlen(t->server) + 1 > SRIOV_RPC_NAME_MAX) ||
	    strlen(t->topic) + sizeof("_fanout") > SRIOV_RPC_NAME_MAX)
		return sriov_error_set(
			err, -EINVAL,
			"rpc target: topic, server and exchange must be printable ASCII and fit an AMQP name (255 bytes)");
	return 0;
}

/* Encode and publish a request to where oslo.messaging sends it. */
static int send_request(struct sriov_rpc *rpc, const struct sriov_rpc_target *t,
			json_t *context, const char *method, json_t *args,
			const char *msg_id, unsigned timeout_ms,
			struct sriov_error *err)
{
	struct sriov_rpc_msg m;
	_cleanup_free_ char *body = NULL;
	char uid[33], key[SRIOV_RPC_NAME_MAX + 1];
	const char *ex = t->exchange ? t->exchange : rpc->exchange;
	size_t len;
	int r;

	if ((r = check_target(t, err)) < 0)
		return r;
	if (!rpc->conn)
		return sriov_error_set(
			err, -ENOTCONN,
			"rpc: not connected to the broker (reconnecting)");
	if ((r = rpc_uuid_hex(uid)) < 0)
		return r;
	sriov_rpc_msg_init(&m);
	m.method = (char *)method;
	m.args = args;
	m.namespace_ = (char *)t->namespace_;
	m.version = (char *)t->version;
	m.context = context;
	m.unique_id = uid;
	if (msg_id) {
		m.msg_id = (char *)msg_id;
		m.reply_q = rpc->reply_q;
	}
	r = sriov_rpc_msg_encode(&m, &body, &len, err);
	if (r < 0)
		return r;
	if (t->fanout) {
		snprintf(key, sizeof(key), "%s_fanout", t->topic);
		r = declare_exchange(rpc, key, "fanout", false, true, err);
		if (r < 0)
			goto declare_failed;
		return publish(rpc, key, "", body, len, 0, err);
	}
	r = declare_exchange(rpc, ex, "topic", rpc->url.durable,
			     rpc->url.auto_delete, err);
	if (r < 0)
		goto declare_failed;
	if (t->server)
		snprintf(key, sizeof(key), "%s.%s", t->topic, t->server);
	else
		snprintf(key, sizeof(key), "%s", t->topic);
	return publish(rpc, ex, key, body, len, timeout_ms, err);
declare_failed:
	if (r != -ENOMEM) {
		char why[SRIOV_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "%s",
			 err ? err->msg : "declaring an exchange failed");
		lost(rpc, why);
	}
	return r;
}

int sriov_rpc_cast(struct sriov_rpc *rpc, const struct sriov_rpc_target *t,
		   json_t *context, const char *method, json_t *args,
		   struct sriov_error *err)
{
	return send_request(rpc, t, context, method, args, NULL, 0, err);
}

int sriov_rpc_call_start(struct sriov_rpc *rpc,
			 const struct sriov_rpc_target *t, json_t *context,
			 const char *method, json_t *args, unsigned timeout_ms,
			 sriov_rpc_reply_fn done, void *data,
			 struct sriov_error *err)
{
	struct call *c;
	int r;

	if (t && t->fanout)
		return sriov_error_set(
			err, -EINVAL,
			"rpc call '%s': a call cannot be a fanout",
			method ? method : "");
	if (!timeout_ms)
		return sriov_error_set(err, -EINVAL,
				       "rpc call '%s': a call needs a timeout",
				       method ? method : "");
	if (!rpc->conn)
		return sriov_error_set(
			err, -ENOTCONN,
			"rpc: not connected to the broker (reconnecting)");
	r = declare_reply(rpc, err);
	if (r < 0) {
		char why[SRIOV_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "%s",
			 err ? err->msg : "declaring the reply queue failed");
		lost(rpc, why);
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if ((r = rpc_uuid_hex(c->msg_id)) < 0) {
		free(c);
		return r;
	}
	c->deadline = now_ms() + timeout_ms;
	c->done = done;
	c->data = data;
	r = send_request(rpc, t, context, method, args, c->msg_id, timeout_ms,
			 err);
	if (r < 0) {
		free(c);
		return r;
	}
	c->next = rpc->calls;
	rpc->calls = c;
	return 0;
}

struct sync_call {
	bool finished;
	int status;
	json_t *result;
	struct sriov_error err;
};

static void sync_done(struct sriov_rpc *rpc, int status, json_t *result,
		      const struct sriov_error *e, void *data)
{
	struct sync_call *s = data;

	s->finished = true;
	s->status = status;
	s->result = json_incref(result);
	if (e)
		s->err = *e;
}

int sriov_rpc_call(struct sriov_rpc *rpc, const struct sriov_rpc_target *t,
		   json_t *context, const char *method, json_t *args,
		   unsigned timeout_ms, json_t **ret_result,
		   struct sriov_error *err)
{
	struct sync_call s = { 0 };
	int r;

	r = sriov_rpc_call_start(rpc, t, context, method, args, timeout_ms,
				 sync_done, &s, err);
	if (r < 0)
		return r;
	while (!s.finished) {
		int wait = sriov_rpc_timeout_ms(rpc);

		r = sriov_rpc_step(rpc, wait < 0 ? 1000 : wait, err);
		if (r < 0 && !s.finished)
			return r; /* the call stays pending; free() ends it */
	}
	if (s.status < 0) {
		json_decref(s.result);
		return sriov_error_set(err, s.status, "%s", s.err.msg);
	}
	if (ret_result)
		*ret_result = s.result ? s.result : json_null();
	else
		json_decref(s.result);
	return 0;
}

int sriov_rpc_reply(struct sriov_rpc *rpc, const char *reply_q,
		    const char *msg_id, json_t *result, const char *failure,
		    struct sriov_error *err)
{
	struct sriov_rpc_msg m;
	_cleanup_free_ char *body = NULL;
	char uid[33];
	size_t len;
	int r;

	if (!rpc_name_ok(reply_q))
		return sriov_error_set(err, -EINVAL,
				       "rpc reply: bad reply queue name");
	if (!rpc->conn)
		return sriov_error_set(
			err, -ENOTCONN,
			"rpc: not connected to the broker (reconnecting)");
	if ((r = rpc_uuid_hex(uid)) < 0)
		return r;
	sriov_rpc_msg_init(&m);
	m.is_reply = true;
	m.msg_id = (char *)msg_id;
	m.unique_id = uid;
	m.result = result;
	m.failure = (char *)failure;
	m.ending = true;
	r = sriov_rpc_msg_encode(&m, &body, &len, err);
	if (r < 0)
		return r;
	return publish(rpc, "", reply_q, body, len, 0, err);
}

int sriov_rpc_fd(const struct sriov_rpc *rpc)
{
	return rpc->conn ? amqp_get_sockfd(rpc->conn) : -1;
}

int sriov_rpc_timeout_ms(const struct sriov_rpc *rpc)
{
	uint64_t now = now_ms(), next = UINT64_MAX;

	if (rpc->conn) {
		if (amqp_data_in_buffer(rpc->conn) ||
		    amqp_frames_enqueued(rpc->conn))
			return 0;
		/* librabbitmq sends and checks heartbeats while it reads */
		if (rpc->url.heartbeat)
			next = now + (uint64_t)rpc->url.heartbeat * 1000 / 2;
	} else if (rpc->reconnect_at) {
		next = rpc->reconnect_at;
	}
	for (const struct call *c = rpc->calls; c; c = c->next)
		if (c->deadline < next)
			next = c->deadline;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

static bool seen_recently(struct sriov_rpc *rpc, const char *unique_id)
{
	if (!unique_id)
		return false;
	for (unsigned i = 0; i < RECENT_IDS; i++)
		if (!strcmp(rpc->recent[i], unique_id))
			return true;
	snprintf(rpc->recent[rpc->recent_next], sizeof(rpc->recent[0]), "%s",
		 unique_id);
	rpc->recent_next = (rpc->recent_next + 1) % RECENT_IDS;
	return false;
}

static void dropped(struct sriov_rpc *rpc, const char *why)
{
	struct sriov_rpc_event_info ev = {
		.event = SRIOV_RPC_DROPPED,
		.host = rpc->host_desc,
		.reason = why,
	};

	emit(rpc, &ev);
}

static void handle_reply(struct sriov_rpc *rpc, struct sriov_rpc_msg *m)
{
	struct sriov_error e;
	struct call *c;

	if (!m->is_reply) {
		dropped(rpc, "a request on the reply queue");
		return;
	}
	for (c = rpc->calls; c && strcmp(c->msg_id, m->msg_id); c = c->next)
		;
	if (!c) {
		dropped(rpc, "a reply to no pending call (it timed out?)");
		return;
	}
	if (m->failure) {
		c = take_call(rpc, m->msg_id);
		sriov_error_clear(&e);
		sriov_rpc_failure_decode(m->failure, &e);
		if (e.code != -EREMOTEIO)
			sriov_error_set(
				&e, -EREMOTEIO,
				"remote failure that does not read as one: %.200s",
				m->failure);
		finish_call(rpc, c, -EREMOTEIO, NULL, &e);
		return;
	}
	if (m->result && !json_is_null(m->result)) {
		json_decref(c->result);
		c->result = json_incref(m->result);
	}
	if (!m->ending)
		return; /* a first part, or a call-monitor heartbeat */
	c = take_call(rpc, m->msg_id);
	finish_call(rpc, c, 0, c->result ? c->result : json_null(), NULL);
}

static void handle_delivery(struct sriov_rpc *rpc, amqp_envelope_t *env)
{
	amqp_basic_properties_t *p = &env->message.properties;
	struct sriov_rpc_msg m;
	struct sriov_error e;
	bool reply;
	char why[SRIOV_ERROR_MSG_MAX];

	reply = rpc->reply_tag &&
		env->consumer_tag.len == strlen(rpc->reply_tag) &&
		!memcmp(env->consumer_tag.bytes, rpc->reply_tag,
			env->consumer_tag.len);
	if (!(p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG) ||
	    p->content_type.len != strlen("application/json") ||
	    memcmp(p->content_type.bytes, "application/json",
		   p->content_type.len)) {
		dropped(rpc,
			"a message whose content type is not application/json");
		return;
	}
	sriov_error_clear(&e);
	if (sriov_rpc_msg_decode(env->message.body.bytes, env->message.body.len,
				 &m, &e) < 0) {
		snprintf(why, sizeof(why), "%s", e.msg);
		dropped(rpc, why);
		return;
	}
	if (reply) {
		handle_reply(rpc, &m);
	} else if (m.is_reply) {
		dropped(rpc, "a reply on a request queue");
	} else if (seen_recently(rpc, m.unique_id)) {
		dropped(rpc, "a duplicate request (same _unique_id)");
	} else if (rpc->on_request) {
		rpc->on_request(rpc, &m, rpc->data);
	}
	sriov_rpc_msg_release(&m);
}

/* A frame that is not a delivery: the broker closing, a return, a cancel. */
static void handle_frame(struct sriov_rpc *rpc)
{
	amqp_frame_t f;
	char why[SRIOV_ERROR_MSG_MAX];
	int r;

	r = amqp_simple_wait_frame(rpc->conn, &f);
	if (r != AMQP_STATUS_OK) {
		lost(rpc, amqp_error_string2(r));
		return;
	}
	if (f.frame_type != AMQP_FRAME_METHOD)
		return;
	switch (f.payload.method.id) {
	case AMQP_CONNECTION_CLOSE_METHOD: {
		amqp_connection_close_t *m = f.payload.method.decoded;

		snprintf(why, sizeof(why),
			 "broker closed the connection: %u %.*s", m->reply_code,
			 (int)m->reply_text.len,
			 (const char *)m->reply_text.bytes);
		lost(rpc, why);
		return;
	}
	case AMQP_CHANNEL_CLOSE_METHOD: {
		amqp_channel_close_t *m = f.payload.method.decoded;

		snprintf(why, sizeof(why), "broker closed the channel: %u %.*s",
			 m->reply_code, (int)m->reply_text.len,
			 (const char *)m->reply_text.bytes);
		lost(rpc, why);
		return;
	}
	case AMQP_BASIC_CANCEL_METHOD:
		lost(rpc,
		     "the broker cancelled a consumer (its queue was deleted)");
		return;
	case AMQP_BASIC_RETURN_METHOD: {
		amqp_message_t msg;
		amqp_rpc_reply_t rr;

		rr = amqp_read_message(rpc->conn, f.channel, &msg, 0);
		if (rr.reply_type != AMQP_RESPONSE_NORMAL) {
			lost(rpc, "reading a returned message failed");
			return;
		}
		amqp_destroy_message(&msg);
		return;
	}
	default:
		return;
	}
}

static void expire_calls(struct sriov_rpc *rpc)
{
	uint64_t now = now_ms();
	struct sriov_error e;

	for (struct call **pp = &rpc->calls; *pp;) {
		struct call *c = *pp;

		if (c->deadline > now) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		sriov_error_set(
			&e, -ETIMEDOUT,
			"rpc call timed out waiting for a reply to message ID %s",
			c->msg_id);
		finish_call(rpc, c, -ETIMEDOUT, NULL, &e);
		pp = &rpc->calls; /* the callback may have changed the list */
	}
}

int sriov_rpc_step(struct sriov_rpc *rpc, int timeout_ms,
		   struct sriov_error *err)
{
	uint64_t gen;
	bool first = true;

	(void)err;
	if (!rpc->conn && rpc->reconnect_at && rpc->reconnect_at <= now_ms()) {
		struct sriov_error e;

		if (try_connect(rpc, false, &e) < 0) {
			struct sriov_rpc_event_info ev = {
				.event = SRIOV_RPC_DISCONNECTED,
				.host = rpc->host_desc,
				.reason = e.msg,
				.attempt = rpc->failures,
			};

			ev.delay_ms = rpc->delay_ms;
			emit(rpc, &ev);
		}
	}
	if (!rpc->conn) {
		int wait = sriov_rpc_timeout_ms(rpc);

		if (wait < 0 || (timeout_ms >= 0 && timeout_ms < wait))
			wait = timeout_ms < 0 ? 0 : timeout_ms;
		if (wait > 0)
			usleep((useconds_t)wait * 1000);
		expire_calls(rpc);
		return 0;
	}
	gen = rpc->gen;
	while (rpc->conn && rpc->gen == gen) {
		int wait = first ? timeout_ms : 0;
		struct timeval tv;
		amqp_envelope_t env;
		amqp_rpc_reply_t r;

		if (first) {
			int due = sriov_rpc_timeout_ms(rpc);

			if (due >= 0 && (wait < 0 || due < wait))
				wait = due;
			if (wait < 0)
				wait = 0;
		}
		first = false;
		tv.tv_sec = wait / 1000;
		tv.tv_usec = (wait % 1000) * 1000;
		amqp_maybe_release_buffers(rpc->conn);
		r = amqp_consume_message(rpc->conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			handle_delivery(rpc, &env);
			amqp_destroy_envelope(&env);
			continue;
		}
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			break;
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
			handle_frame(rpc);
			continue;
		}
		{
			char why[SRIOV_ERROR_MSG_MAX / 2];

			describe_reply(r, why, sizeof(why));
			lost(rpc, why);
		}
	}
	expire_calls(rpc);
	return 0;
}
