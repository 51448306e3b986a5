/* SPDX-License-Identifier: MIT */
/*
 * The API: newline-delimited JSON over a Unix stream socket. One request
 * per line, one answer per line, {"ok": true, ...} or {"ok": false,
 * "error": {"code": "EINVAL", "message": "..."}}. The peer's uid is taken
 * from SO_PEERCRED at accept; requests are capped at max_request bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sriovd.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case EEXIST:
		return "EEXIST";
	case ENOSPC:
		return "ENOSPC";
	case EBUSY:
		return "EBUSY";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case E2BIG:
		return "E2BIG";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ENOMEM:
		return "ENOMEM";
	case EPROTO:
		return "EPROTO";
	default:
		return "EIO";
	}
}

static json_t *error_json(int code, const char *msg)
{
	json_t *o = json_object(), *e = json_object();

	json_object_set_new(o, "ok", json_false());
	json_object_set_new(e, "code", json_string(errno_name(-code)));
	json_object_set_new(e, "message", json_string(msg));
	json_object_set_new(o, "error", e);
	return o;
}

static json_t *ok_json(json_t *body)
{
	json_t *o = body ? body : json_object();

	json_object_set_new(o, "ok", json_true());
	return o;
}

bool api_peer_allowed(const struct sriov_daemon_config *cfg, uid_t uid)
{
	if (uid == 0 || uid == geteuid())
		return true;
	for (size_t i = 0; i < cfg->n_allowed_uids; i++)
		if (cfg->allowed_uids[i] == uid)
			return true;
	return false;
}

static json_t *vf_list(struct daemon *d)
{
	struct sriov_store_vf *v = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;
	json_t *a, *o;

	if (sriov_store_list_vfs(d->store, &v, &n, &err) < 0)
		return error_json(err.code, err.msg);
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, ops_vf_json(&v[i]));
	free(v);
	o = json_object();
	json_object_set_new(o, "vfs", a);
	return ok_json(o);
}

static json_t *port_list(struct daemon *d)
{
	struct sriov_store_port *p = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;
	json_t *a, *o;

	if (sriov_store_list_ports(d->store, &p, &n, &err) < 0)
		return error_json(err.code, err.msg);
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, ops_port_json(d, &p[i]));
		sriov_store_port_release(&p[i]);
	}
	free(p);
	o = json_object();
	json_object_set_new(o, "ports", a);
	return ok_json(o);
}

static int get_id(json_t *req, const char *key, const char **ret,
		  struct sriov_error *err)
{
	json_t *v = json_object_get(req, key);

	if (!json_is_string(v))
		return sriov_error_set(err, -EINVAL,
				       "'%s' is required (a string)", key);
	if (!sriov_port_id_valid(json_string_value(v)))
		return sriov_error_set(err, -EINVAL,
				       "invalid %s '%s' (1..127 of letters, "
				       "digits, . _ - : @; no '/' or '..')",
				       key, json_string_value(v));
	*ret = json_string_value(v);
	return 0;
}

static void print_vf_gauges(FILE *f, struct daemon *d)
{
	struct sriov_store_vf *v = NULL;
	size_t n = 0;

	fprintf(f, "# HELP sriovd_vfs VFs by state, per PF and physnet.\n"
		   "# TYPE sriovd_vfs gauge\n");
	if (sriov_store_list_vfs(d->store, &v, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n;) {
		size_t cnt[3] = { 0 }, j = i;

		while (j < n && !strcmp(v[j].pf, v[i].pf)) {
			if (!v[j].excluded && !v[j].whole)
				cnt[v[j].state]++;
			j++;
		}
		for (int s = 0; s < 3; s++)
			fprintf(f,
				"sriovd_vfs{pf=\"%s\",physnet=\"%s\","
				"state=\"%s\"} %zu\n",
				v[i].pf, v[i].physnet,
				sriov_vf_state_name((enum sriov_vf_state)s),
				cnt[s]);
		i = j;
	}
	fprintf(f,
		"# HELP sriovd_whole_pf PFs offered whole (direct_physical): "
		"1 in their state.\n"
		"# TYPE sriovd_whole_pf gauge\n");
	for (size_t i = 0; i < n; i++)
		if (v[i].whole && !v[i].excluded)
			fprintf(f,
				"sriovd_whole_pf{pf=\"%s\",physnet=\"%s\","
				"state=\"%s\"} 1\n",
				v[i].pf, v[i].physnet,
				sriov_vf_state_name(v[i].state));
	free(v);
}

/* One VF's counters with the labels they are exported under. */
struct vf_counters {
	const char *pf, *port;
	unsigned vf;
	uint32_t present;
	struct sriov_vf_stats st;
};

/* Read each managed PF's VFs with IFLA_VF_STATS; appends to @out. */
static size_t collect_vf_counters(struct daemon *d, struct sriov_store_vf *v,
				  size_t n, struct vf_counters *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		struct sriov_link_vfs l = { 0 };
		struct sriov_pf_ref pf;
		size_t j = i;
		bool have = false;

		while (j < n && !strcmp(v[j].pf, v[i].pf))
			j++;
		if (d->nl &&
		    sriov_pf_resolve(d->root, v[i].pf, &pf, NULL) == 0 &&
		    pf.ifindex > 0 &&
		    sriov_vf_read_stats(d->nl, pf.ifindex, &l, NULL) == 0)
			have = true;
		for (size_t x = i; have && x < j; x++) {
			if (v[x].excluded || v[x].whole)
				continue; /* a whole PF has no VF counters */
			for (size_t y = 0; y < l.n_vfs; y++) {
				if (l.vfs[y].vf != v[x].index ||
				    !l.vfs[y].stats_present)
					continue;
				out[k++] = (struct vf_counters){
					.pf = v[x].pf,
					.port = v[x].port,
					.vf = v[x].index,
					.present = l.vfs[y].stats_present,
					.st = l.vfs[y].stats,
				};
				break;
			}
		}
		sriov_link_vfs_release(&l);
		i = j;
	}
	return k;
}

/*
 * sriovd_vf_<counter>_total{pf,vf,port}: the PF driver's IFLA_VF_STATS of
 * every managed VF (port="" when free). A counter the driver does not send
 * is left out rather than exported as 0.
 */
static void print_vf_counters(FILE *f, struct daemon *d)
{
	static const struct {
		const char *name, *help;
		uint32_t bit;
		size_t off;
	} m[] = {
#define C(n, b, h)                                        \
	{ "sriovd_vf_" #n "_total", h, SRIOV_VF_STAT_##b, \
	  offsetof(struct sriov_vf_stats, n) }
		C(rx_packets, RX_PACKETS, "Packets received by the VF."),
		C(tx_packets, TX_PACKETS, "Packets sent by the VF."),
		C(rx_bytes, RX_BYTES, "Bytes received by the VF."),
		C(tx_bytes, TX_BYTES, "Bytes sent by the VF."),
		C(broadcast, BROADCAST,
		  "Broadcast packets received by the VF."),
		C(multicast, MULTICAST,
		  "Multicast packets received by the VF."),
		C(rx_dropped, RX_DROPPED, "Received packets the VF dropped."),
		C(tx_dropped, TX_DROPPED, "Packets to send the VF dropped."),
#undef C
	};
	_cleanup_free_ struct sriov_store_vf *v = NULL;
	_cleanup_free_ struct vf_counters *c = NULL;
	size_t n = 0, k;

	if (sriov_store_list_vfs(d->store, &v, &n, NULL) < 0 || n == 0)
		return;
	c = calloc(n, sizeof(*c));
	if (!c)
		return;
	k = collect_vf_counters(d, v, n, c);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", m[i].name,
			m[i].help, m[i].name);
		for (size_t x = 0; x < k; x++) {
			uint64_t val;

			if (!(c[x].present & m[i].bit))
				continue;
			memcpy(&val, (const char *)&c[x].st + m[i].off,
			       sizeof(val));
			fprintf(f, "%s{pf=\"%s\",vf=\"%u\",port=\"%s\"} %llu\n",
				m[i].name, c[x].pf, c[x].vf, c[x].port,
				(unsigned long long)val);
		}
	}
}

static char *metrics_text(struct daemon *d)
{
	static const char *const ops[OP_MAX] = { "bind", "unbind", "other" };
	struct metrics *m = &d->metrics;
	char *buf = NULL, labels[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_vf_gauges(f, d);
	print_vf_counters(f, d);
	fprintf(f, "# HELP sriovd_requests_total API requests by operation.\n"
		   "# TYPE sriovd_requests_total counter\n");
	for (int i = 0; i < OP_MAX; i++)
		fprintf(f, "sriovd_requests_total{op=\"%s\"} %llu\n", ops[i],
			(unsigned long long)m->requests[i]);
	fprintf(f, "# HELP sriovd_errors_total Failed requests by operation.\n"
		   "# TYPE sriovd_errors_total counter\n");
	for (int i = 0; i < OP_MAX; i++)
		fprintf(f, "sriovd_errors_total{op=\"%s\"} %llu\n", ops[i],
			(unsigned long long)m->errors[i]);
	fprintf(f,
		"# TYPE sriovd_bad_requests_total counter\n"
		"sriovd_bad_requests_total %llu\n"
		"# TYPE sriovd_rejected_peers_total counter\n"
		"sriovd_rejected_peers_total %llu\n"
		"# TYPE sriovd_drift_repaired_total counter\n"
		"sriovd_drift_repaired_total %llu\n"
		"# TYPE sriovd_drift_reported_total counter\n"
		"sriovd_drift_reported_total %llu\n"
		"# TYPE sriovd_quarantined_total counter\n"
		"sriovd_quarantined_total %llu\n"
		"# TYPE sriovd_recovered_operations_total counter\n"
		"sriovd_recovered_operations_total %llu\n",
		(unsigned long long)m->bad_requests,
		(unsigned long long)m->rejected_peers,
		(unsigned long long)m->drift_repaired,
		(unsigned long long)m->drift_reported,
		(unsigned long long)m->quarantined,
		(unsigned long long)m->recovered);
	fprintf(f, "# HELP sriovd_operation_seconds Bind and unbind latency.\n"
		   "# TYPE sriovd_operation_seconds histogram\n");
	for (int i = 0; i < OP_OTHER; i++) {
		snprintf(labels, sizeof(labels), "op=\"%s\"", ops[i]);
		histogram_print(f, "sriovd_operation_seconds", labels,
				&m->latency[i]);
	}
	fclose(f);
	return buf;
}

static json_t *health(struct daemon *d)
{
	struct sriov_store_vf *v = NULL;
	struct sriov_journal *j = NULL;
	size_t n = 0, nj = 0, cnt[3] = { 0 };
	json_t *o = json_object(), *c = json_object();

	if (sriov_store_list_vfs(d->store, &v, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			if (!v[i].excluded)
				cnt[v[i].state]++;
	free(v);
	if (sriov_store_pending(d->store, &j, &nj, NULL) == 0)
		for (size_t i = 0; i < nj; i++)
			sriov_journal_release(&j[i]);
	free(j);
	json_object_set_new(o, "status", json_string("ok"));
	json_object_set_new(o, "schema_version",
			    json_integer(sriov_store_schema_version(d->store)));
	json_object_set_new(o, "pending_operations", json_integer((int)nj));
	for (int s = 0; s < 3; s++)
		json_object_set_new(c,
				    sriov_vf_state_name((enum sriov_vf_state)s),
				    json_integer((json_int_t)cnt[s]));
	json_object_set_new(o, "vfs", c);
	return ok_json(o);
}

static json_t *dispatch(struct daemon *d, json_t *req, const char *op,
			enum metric_op *mop)
{
	struct sriov_error err = { 0 };
	json_t *body = NULL;
	const char *id;
	int r;

	*mop = OP_OTHER;
	if (!strcmp(op, "port.bind")) {
		struct sriov_port_request pr;

		*mop = OP_BIND;
		r = sriov_port_request_parse(json_object_get(req, "port"),
					     &d->cfg, &pr, &err);
		if (r < 0) {
			d->metrics.bad_requests++;
			return error_json(r, err.msg);
		}
		r = ops_bind(d, &pr, &body, &err);
	} else if (!strcmp(op, "port.unbind")) {
		*mop = OP_UNBIND;
		r = get_id(req, "id", &id, &err);
		if (r >= 0)
			r = ops_unbind(d, id, &body, &err);
	} else if (!strcmp(op, "port.show")) {
		struct sriov_store_port p = { 0 };

		r = get_id(req, "id", &id, &err);
		if (r >= 0)
			r = sriov_store_get_port(d->store, id, &p, &err);
		if (r >= 0) {
			body = json_object();
			json_object_set_new(body, "port", ops_port_json(d, &p));
			sriov_store_port_release(&p);
		}
	} else if (!strcmp(op, "port.list")) {
		return port_list(d);
	} else if (!strcmp(op, "vf.list")) {
		return vf_list(d);
	} else if (!strcmp(op, "vf.clear")) {
		json_t *vf = json_object_get(req, "vf");

		bool whole = json_is_string(vf) &&
			     !strcmp(json_string_value(vf), "pf");

		r = get_id(req, "pf", &id, &err);
		if (r >= 0 && !whole &&
		    (!json_is_integer(vf) || json_integer_value(vf) < 0 ||
		     json_integer_value(vf) > 65535))
			r = sriov_error_set(&err, -EINVAL,
					    "'vf' is required (a VF index, or "
					    "\"pf\" for a whole PF)");
		if (r >= 0)
			r = sriov_store_vf_clear(
				d->store, id,
				whole ? SRIOV_STORE_WHOLE_PF :
					(unsigned)json_integer_value(vf),
				&err);
		if (r >= 0) {
			body = json_object();
			json_object_set_new(body, "cleared",
					    json_boolean(r > 0));
			/* the VF is scrubbed again before it is handed out */
			ops_check(d);
		}
	} else if (!strcmp(op, "host.inventory")) {
		json_t *inv = inventory_json(d->root, &err);

		r = inv ? 0 : (err.code ?: -EIO);
		if (inv) {
			body = json_object();
			json_object_set_new(body, "pfs", inv);
		}
	} else if (!strcmp(op, "health")) {
		return health(d);
	} else if (!strcmp(op, "metrics")) {
		char *t = metrics_text(d);

		if (!t)
			return error_json(-ENOMEM, "out of memory");
		body = json_object();
		json_object_set_new(body, "text", json_string(t));
		free(t);
		return ok_json(body);
	} else {
		d->metrics.bad_requests++;
		snprintf(err.msg, sizeof(err.msg),
			 "unknown op '%s' (expected port.bind, port.unbind, "
			 "port.show, port.list, vf.list, vf.clear, "
			 "host.inventory, health, metrics)",
			 op);
		return error_json(-EINVAL, err.msg);
	}
	if (r < 0) {
		json_decref(body);
		return error_json(r, err.msg);
	}
	return ok_json(body);
}

json_t *api_handle(struct daemon *d, const char *text, size_t len, uid_t uid)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	enum metric_op mop;
	json_error_t je;
	json_t *req, *resp, *op;

	if (len > d->cfg.max_request) {
		d->metrics.bad_requests++;
		snprintf(msg, sizeof(msg),
			 "request too large: more than %zu bytes (the limit; "
			 "max_request in %s)",
			 d->cfg.max_request, d->cfg.path ? d->cfg.path : "");
		return error_json(-E2BIG, msg);
	}
	req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!req) {
		d->metrics.bad_requests++;
		snprintf(msg, sizeof(msg), "%s json at line %d column %d: %s",
			 json_error_code(&je) ==
					 json_error_premature_end_of_input ?
				 "truncated" :
				 "invalid",
			 je.line, je.column, je.text);
		return error_json(-EINVAL, msg);
	}
	op = json_object_get(req, "op");
	if (!json_is_object(req) || !json_is_string(op)) {
		json_decref(req);
		d->metrics.bad_requests++;
		return error_json(-EINVAL,
				  "a request is an object with a string 'op'");
	}
	if (!api_peer_allowed(&d->cfg, uid)) {
		json_decref(req);
		d->metrics.rejected_peers++;
		snprintf(msg, sizeof(msg),
			 "uid %u is not allowed (root, sriovd's uid, or "
			 "allowed_uids)",
			 (unsigned)uid);
		return error_json(-EACCES, msg);
	}
	resp = dispatch(d, req, json_string_value(op), &mop);
	d->metrics.requests[mop]++;
	if (!json_is_true(json_object_get(resp, "ok")))
		d->metrics.errors[mop]++;
	json_decref(req);
	return resp;
}

int api_listen(struct daemon *d, struct sriov_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.socket;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return sriov_error_set(err, -ENAMETOOLONG,
				       "socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return sriov_error_set(err, -errno, "socket: %s",
				       strerror(errno));
	/* a stale socket of a killed sriovd; a live one would answer */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return sriov_error_set(err, -EADDRINUSE,
				       "%s: another sriovd is running", path);
	}
	unlink(path);
	/* created with the configured mode, never wider for a moment */
	old = umask(0777 & ~d->cfg.socket_mode);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, d->cfg.socket_mode) < 0 ||
	    listen(fd, 128) < 0) {
		r = -errno;
		close(fd);
		return sriov_error_set(err, r, "%s: %s", path, strerror(-r));
	}
	d->listen_fd = fd;
	return 0;
}

static void send_json(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t len, off = 0;

	if (!s)
		return;
	len = strlen(s);
	s[len] = '\0';
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
	free(s);
}

void api_accept(struct daemon *d)
{
	for (;;) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct timeval tv = { .tv_sec = 5 };
		struct client *c;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!api_peer_allowed(&d->cfg, cred.uid)) {
			char msg[160];
			json_t *e;

			d->metrics.rejected_peers++;
			snprintf(msg, sizeof(msg),
				 "uid %u is not allowed (root, sriovd's uid, "
				 "or allowed_uids in %s)",
				 (unsigned)cred.uid, d->cfg.path);
			e = error_json(-EACCES, msg);
			send_json(fd, e);
			json_decref(e);
			log_warn("refused a client: pid %d uid %u",
				 (int)cred.pid, (unsigned)cred.uid);
			close(fd);
			continue;
		}
		if (grow_array((void **)&d->clients, &d->cap_clients,
			       d->n_clients, sizeof(*d->clients)) < 0) {
			close(fd);
			return;
		}
		c = &d->clients[d->n_clients++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
}

void api_client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static void answer(struct daemon *d, struct client *c, const char *text,
		   size_t len)
{
	json_t *r = api_handle(d, text, len, c->uid);

	send_json(c->fd, r);
	json_decref(r);
}

bool api_client_read(struct daemon *d, struct client *c)
{
	size_t max = d->cfg.max_request;
	char *nl;
	ssize_t n;

	if (c->cap < max + 2) {
		char *b = realloc(c->buf, max + 2);

		if (!b)
			return false;
		c->buf = b;
		c->cap = max + 2;
	}
	n = recv(c->fd, c->buf + c->len, c->cap - 1 - c->len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		/* the peer is done: what is left is its last request, maybe
		 * cut short (jansson tells) */
		if (c->len)
			answer(d, c, c->buf, c->len);
		return false;
	}
	c->len += (size_t)n;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);

		if (line > 0)
			answer(d, c, c->buf, line);
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
	}
	if (c->len > max) {
		/* over the cap without an end: answer and hang up */
		answer(d, c, c->buf, c->len);
		return false;
	}
	return true;
}
