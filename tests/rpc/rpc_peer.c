/* SPDX-License-Identifier: MIT */
/*
 * sriov's rpc layer as a command, for the interop tests against
 * oslo.messaging (the scripts in tests/rpc) and the transport_url oracle.
 *
 *   rpc_peer url URL|-     (-: one URL a line on stdin)
 *   rpc_peer call URL EXCHANGE TOPIC METHOD ARGS [--server S]
 *                 [--timeout MS] [--count N]
 *   rpc_peer cast URL EXCHANGE TOPIC METHOD ARGS [--server S] [--fanout]
 *   rpc_peer serve URL EXCHANGE TOPIC SERVER [--expect N] [--seconds S]
 *   rpc_peer watch URL EXCHANGE TOPIC SERVER [--reconnects N] [--seconds S]
 *                  [--listen TOPIC2]
 *
 * call exits 3 on a remote failure, 4 on a timeout. serve answers "echo"
 * with its arguments and "fail" with a ValueError, as oslo_peer.py's
 * endpoint does, and prints each request as a JSON line. watch drives the
 * connection from a poll() loop, calls TOPIC.SERVER's echo every 300 ms,
 * prints every event, and succeeds once it has reconnected N times and a
 * call went through (and, with --listen, a request to TOPIC2 came in)
 * after the last reconnection.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sriov/rpc.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: rpc_peer url URL | call|cast|serve|watch URL EXCHANGE TOPIC ...\n");
	return 2;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static bool flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

static int cmd_url(const char *s)
{
	struct sriov_rpc_url u;
	struct sriov_error err = { 0 };
	json_t *o, *hosts;

	sriov_rpc_url_init(&u);
	if (sriov_rpc_url_parse(&u, s, &err) < 0) {
		o = json_pack("{s:s}", "error", err.msg);
		char *t = json_dumps(o, JSON_SORT_KEYS);
		printf("%s\n", t);
		free(t);
		json_decref(o);
		return 0;
	}
	hosts = json_array();
	for (size_t i = 0; i < u.n_hosts; i++)
		json_array_append_new(
			hosts,
			json_pack("{s:s, s:i, s:s, s:s, s:s}", "host",
				  u.hosts[i].host, "port", (int)u.hosts[i].port,
				  "user", u.hosts[i].user, "password",
				  u.hosts[i].password, "vhost", u.vhost));
	o = json_pack(
		"{s:o, s:b, s:s?, s:s?, s:s?, s:b, s:i, s:i, s:i, s:i, s:b, s:b, s:i}",
		"hosts", hosts, "ssl", u.ssl, "ssl_ca_file", u.ssl_ca_file,
		"ssl_cert_file", u.ssl_cert_file, "ssl_key_file",
		u.ssl_key_file, "ssl_enforce_hostname_verification",
		u.ssl_verify_hostname, "heartbeat_timeout_threshold",
		(int)u.heartbeat, "rabbit_retry_interval",
		(int)u.retry_interval, "rabbit_retry_backoff",
		(int)u.retry_backoff, "rabbit_interval_max",
		(int)u.interval_max, "amqp_durable_queues", u.durable,
		"amqp_auto_delete", u.auto_delete,
		"rabbit_transient_queues_ttl", (int)u.transient_ttl);
	char *t = json_dumps(o, JSON_SORT_KEYS);
	printf("%s\n", t);
	free(t);
	json_decref(o);
	sriov_rpc_url_release(&u);
	return 0;
}

struct peer {
	struct sriov_rpc *rpc;
	FILE *log; /* where events go: stdout for serve and watch */
	unsigned requests;
	unsigned requests_at_reconnect;
	unsigned reconnects;
	bool ok_since_reconnect;
	bool call_pending;
};

static void on_event(struct sriov_rpc *rpc,
		     const struct sriov_rpc_event_info *ev, void *data)
{
	struct peer *p = data;

	switch (ev->event) {
	case SRIOV_RPC_CONNECTED:
		fprintf(p->log ? p->log : stderr,
			"event connected reconnect=%d attempt=%u host=%s\n",
			ev->reconnect, ev->attempt, ev->host);
		if (ev->reconnect) {
			p->reconnects++;
			p->requests_at_reconnect = p->requests;
			p->ok_since_reconnect = false;
		}
		break;
	case SRIOV_RPC_DISCONNECTED:
		fprintf(p->log ? p->log : stderr,
			"event disconnected delay_ms=%u attempt=%u reason=%s\n",
			ev->delay_ms, ev->attempt, ev->reason);
		break;
	case SRIOV_RPC_DROPPED:
		fprintf(p->log ? p->log : stderr, "event dropped reason=%s\n",
			ev->reason);
		break;
	}
	fflush(stdout);
}

static void on_request(struct sriov_rpc *rpc, const struct sriov_rpc_msg *m,
		       void *data)
{
	struct peer *p = data;
	struct sriov_error err = { 0 };
	json_t *line;
	char *t;

	p->requests++;
	line = json_pack("{s:s, s:O, s:O, s:b, s:s?, s:s?}", "method",
			 m->method, "args", m->args, "context", m->context,
			 "call", m->msg_id != NULL, "version", m->version,
			 "namespace", m->namespace_);
	t = json_dumps(line, JSON_SORT_KEYS | JSON_COMPACT);
	printf("%s\n", t);
	fflush(stdout);
	free(t);
	json_decref(line);
	if (!m->msg_id)
		return;
	if (!strcmp(m->method, "echo")) {
		json_t *r =
			json_pack("{s:O, s:O?}", "args", m->args, "request_id",
				  json_object_get(m->context, "request_id"));

		if (sriov_rpc_reply(rpc, m->reply_q, m->msg_id, r, NULL, &err) <
		    0)
			fprintf(stderr, "rpc_peer: reply: %s\n", err.msg);
		json_decref(r);
	} else {
		char *args = json_dumps(m->args, JSON_SORT_KEYS);
		char msg[1024], *failure = NULL;

		snprintf(msg, sizeof(msg), "boom: %s", args);
		free(args);
		if (strcmp(m->method, "fail"))
			snprintf(msg, sizeof(msg),
				 "Endpoint does not support RPC method %s",
				 m->method);
		if (sriov_rpc_failure_encode(
			    strcmp(m->method, "fail") ? "NoSuchMethod" :
							"ValueError",
			    strcmp(m->method, "fail") ?
				    "oslo_messaging.rpc.dispatcher" :
				    "builtins",
			    msg, &failure, &err) < 0 ||
		    sriov_rpc_reply(rpc, m->reply_q, m->msg_id, NULL, failure,
				    &err) < 0)
			fprintf(stderr, "rpc_peer: reply: %s\n", err.msg);
		free(failure);
	}
}

static int open_rpc(struct peer *p, const char *url, const char *exchange,
		    bool retry)
{
	struct sriov_rpc_url u;
	struct sriov_error err = { 0 };
	struct sriov_rpc_config cfg = {
		.url = &u,
		.exchange = exchange,
		.connect_timeout_ms = 2000,
		.on_event = on_event,
		.on_request = on_request,
		.data = p,
	};
	int r;

	sriov_rpc_url_init(&u);
	r = sriov_rpc_url_parse(&u, url, &err);
	if (r < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		return r;
	}
	r = sriov_rpc_new(&cfg, &p->rpc, &err);
	sriov_rpc_url_release(&u);
	if (r < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		return r;
	}
	r = sriov_rpc_connect(p->rpc, &err);
	if (r < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		if (!retry)
			sriov_rpc_free(p->rpc);
		return retry ? 0 : r;
	}
	return 0;
}

/* poll() the fd with the layer's timeout, then step: the agent's loop. */
static int loop_once(struct peer *p, int max_ms)
{
	struct sriov_error err = { 0 };
	int wait = sriov_rpc_timeout_ms(p->rpc), fd = sriov_rpc_fd(p->rpc);

	if (wait < 0 || wait > max_ms)
		wait = max_ms;
	if (fd >= 0 && wait > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return -errno;
		wait = 0;
	}
	if (sriov_rpc_step(p->rpc, wait, &err) < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int cmd_call(int argc, char **argv)
{
	struct peer p = { 0 };
	struct sriov_error err = { 0 };
	struct sriov_rpc_target t = { .topic = argv[3],
				      .server = opt(argc, argv, "--server") };
	const char *to = opt(argc, argv, "--timeout"),
		   *cnt = opt(argc, argv, "--count");
	unsigned timeout = to ? (unsigned)atoi(to) : 10000;
	int count = cnt ? atoi(cnt) : 0, rc = 0, r;
	json_error_t je;
	json_t *args = json_loads(argv[5], 0, &je), *res = NULL;
	json_t *ctx = json_pack("{s:b, s:s, s:[s]}", "is_admin", 1,
				"request_id", "req-sriov-test", "roles",
				"admin");

	if (!args) {
		fprintf(stderr, "rpc_peer: ARGS: %s\n", je.text);
		return 2;
	}
	if (open_rpc(&p, argv[1], argv[2], false) < 0) {
		json_decref(args);
		json_decref(ctx);
		return 1;
	}
	r = sriov_rpc_call(p.rpc, &t, ctx, argv[4], args, timeout, &res, &err);
	if (r == 0 && count > 0) {
		double *lat = calloc((size_t)count, sizeof(*lat)), sum = 0;

		for (int i = 0; i < count && r == 0; i++) {
			double t0 = now_s();

			json_decref(res);
			res = NULL;
			r = sriov_rpc_call(p.rpc, &t, ctx, argv[4], args,
					   timeout, &res, &err);
			lat[i] = now_s() - t0;
		}
		for (int i = 0; i < count; i++)
			for (int j = i + 1; j < count; j++)
				if (lat[j] < lat[i]) {
					double x = lat[i];

					lat[i] = lat[j];
					lat[j] = x;
				}
		for (int i = 0; i < count; i++)
			sum += lat[i];
		if (r == 0)
			printf("{\"calls\": %d, \"mean_us\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
			       count, sum / count * 1e6, lat[count / 2] * 1e6,
			       lat[(int)(count * 0.99)] * 1e6);
		free(lat);
	} else if (r == 0) {
		char *s = json_dumps(res, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		printf("%s\n", s);
		free(s);
	}
	if (r == -EREMOTEIO) {
		printf("%s\n", err.msg);
		rc = 3;
	} else if (r == -ETIMEDOUT) {
		printf("timeout: %s\n", err.msg);
		rc = 4;
	} else if (r < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		rc = 1;
	}
	json_decref(res);
	json_decref(args);
	json_decref(ctx);
	sriov_rpc_free(p.rpc);
	return rc;
}

static int cmd_cast(int argc, char **argv)
{
	struct peer p = { 0 };
	struct sriov_error err = { 0 };
	struct sriov_rpc_target t = { .topic = argv[3],
				      .server = opt(argc, argv, "--server"),
				      .fanout = flag(argc, argv, "--fanout") };
	json_t *args = json_loads(argv[5], 0, NULL);
	json_t *ctx = json_pack("{s:s}", "request_id", "req-sriov-cast");
	int r;

	if (!args)
		return 2;
	if (open_rpc(&p, argv[1], argv[2], false) < 0) {
		json_decref(args);
		json_decref(ctx);
		return 1;
	}
	r = sriov_rpc_cast(p.rpc, &t, ctx, argv[4], args, &err);
	if (r < 0)
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
	json_decref(args);
	json_decref(ctx);
	sriov_rpc_free(p.rpc);
	return r < 0;
}

static int cmd_serve(int argc, char **argv)
{
	struct peer p = { .log = stdout };
	struct sriov_error err = { 0 };
	const char *e = opt(argc, argv, "--expect"),
		   *sec = opt(argc, argv, "--seconds");
	unsigned expect = e ? (unsigned)atoi(e) : 0;
	double end = now_s() + (sec ? atof(sec) : 30), linger = 0;

	if (open_rpc(&p, argv[1], argv[2], false) < 0)
		return 1;
	if (sriov_rpc_listen(p.rpc, argv[3], argv[4], &err) < 0) {
		fprintf(stderr, "rpc_peer: %s\n", err.msg);
		sriov_rpc_free(p.rpc);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (now_s() < end) {
		if (loop_once(&p, 100) < 0)
			break;
		if (expect && p.requests >= expect) {
			/* let the last reply leave before closing */
			if (!linger)
				linger = now_s() + 0.3;
			else if (now_s() > linger)
				break;
		}
	}
	sriov_rpc_free(p.rpc);
	if (expect && p.requests < expect) {
		fprintf(stderr, "rpc_peer: served %u of %u requests\n",
			p.requests, expect);
		return 1;
	}
	return 0;
}

static void watch_done(struct sriov_rpc *rpc, int status, json_t *result,
		       const struct sriov_error *err, void *data)
{
	struct peer *p = data;

	p->call_pending = false;
	if (status == 0) {
		printf("call ok\n");
		if (p->reconnects)
			p->ok_since_reconnect = true;
	} else {
		printf("call error %d: %s\n", status, err ? err->msg : "");
	}
	fflush(stdout);
}

static void pending_done(struct sriov_rpc *rpc, int status, json_t *result,
			 const struct sriov_error *err, void *data)
{
	printf("pending call ended %d: %s\n", status, err ? err->msg : "");
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	struct sriov_rpc_target nobody = { .topic = "sriov_nobody" };
	bool pending_sent = false;
	struct peer p = { .log = stdout };
	struct sriov_rpc_target t = { .topic = argv[3], .server = argv[4] };
	const char *n = opt(argc, argv, "--reconnects"),
		   *sec = opt(argc, argv, "--seconds");
	unsigned want = n ? (unsigned)atoi(n) : 1;
	double end = now_s() + (sec ? atof(sec) : 60), next = 0;
	json_t *args = json_pack("{s:s}", "probe", "watch");

	const char *listen = opt(argc, argv, "--listen");
	struct sriov_error lerr = { 0 };

	if (open_rpc(&p, argv[1], argv[2], true) < 0)
		return 1;
	/* casts to it must come through after a reconnection too */
	if (listen && sriov_rpc_listen(p.rpc, listen, NULL, &lerr) < 0) {
		fprintf(stderr, "rpc_peer: %s\n", lerr.msg);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (now_s() < end) {
		struct sriov_error err = { 0 };

		if (p.reconnects >= want && p.ok_since_reconnect &&
		    (!listen || p.requests > p.requests_at_reconnect))
			break;
		/* a call nobody answers: the loss must end it (-ENOTCONN) */
		if (!pending_sent && sriov_rpc_connected(p.rpc))
			pending_sent = sriov_rpc_call_start(p.rpc, &nobody,
							    NULL, "echo", args,
							    80000, pending_done,
							    &p, &err) == 0;
		if (sriov_rpc_connected(p.rpc) && !p.call_pending &&
		    now_s() >= next) {
			next = now_s() + 0.3;
			if (sriov_rpc_call_start(p.rpc, &t, NULL, "echo", args,
						 2000, watch_done, &p,
						 &err) == 0)
				p.call_pending = true;
			else
				printf("call not sent: %s\n", err.msg);
		}
		if (loop_once(&p, 100) < 0)
			break;
	}
	json_decref(args);
	sriov_rpc_free(p.rpc);
	if (p.reconnects < want || !p.ok_since_reconnect ||
	    (listen && p.requests <= p.requests_at_reconnect)) {
		fprintf(stderr,
			"rpc_peer: %u reconnections of %u, call after it: %s\n",
			p.reconnects, want,
			p.ok_since_reconnect ? "yes" : "no");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "url") && !strcmp(argv[2], "-")) {
		/* one URL a line, one JSON answer a line (the oracle's batch) */
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			cmd_url(line);
		}
		free(line);
		return 0;
	}
	if (!strcmp(argv[1], "url"))
		return cmd_url(argv[2]);
	if (argc < 6)
		return usage();
	if (argc < 7 && (!strcmp(argv[1], "call") || !strcmp(argv[1], "cast")))
		return usage();
	if (!strcmp(argv[1], "call"))
		return cmd_call(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cast"))
		return cmd_cast(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 1, argv + 1);
	return usage();
}
