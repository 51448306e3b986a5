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
	case EAGAIN: /* the cluster store did not answer: try again */
		return "EAGAIN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
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

int api_get_id(json_t *req, const char *key, const char **ret,
	       struct sriov_error *err)
{
	json_t *v = json_object_get(req, key);

	if (!json_is_string(v))
		return sriov_error_set(err, -EINVAL,
				       "'%s' is required (a string)", key);
	if (!sriov_port_id_valid(json_string_value(v)))
		return sriov_error_set(
			err, -EINVAL,
			"invalid %s '%s' (1..127 of letters, digits, . _ - : @; no '/' or '..')",
			key, json_string_value(v));
	*ret = json_string_value(v);
	return 0;
}

/*
 * The operations. Each takes the request object and answers with the
 * members of a successful answer in *ret (NULL: none), or -errno with the
 * message in @err.
 */

static int op_port_bind(struct daemon *d, json_t *req, json_t **ret,
			struct sriov_error *err)
{
	struct sriov_port_request pr;
	int r;

	r = sriov_port_request_parse(json_object_get(req, "port"), &d->cfg, &pr,
				     err);
	if (r < 0) {
		d->metrics.bad_requests++;
		return r;
	}
	return ops_bind(d, &pr, ret, err);
}

/* @network, when given, must be the port's: ebrctl's del-port FABRIC MAC
 * names both, and a port of another network is not the one meant. */
static int op_port_unbind(struct daemon *d, json_t *req, json_t **ret,
			  struct sriov_error *err)
{
	json_t *net = json_object_get(req, "network");
	struct sriov_store_port p = { 0 };
	const char *id;
	int r = api_get_id(req, "id", &id, err);

	if (r < 0)
		return r;
	if (net && !json_is_string(net))
		return sriov_error_set(
			err, -EINVAL, "'network' must be a string (a physnet)");
	if (net) {
		r = sriov_store_get_port(d->store, id, &p, err);
		if (r < 0)
			return r;
		if (strcmp(p.network, json_string_value(net)))
			r = sriov_error_set(
				err, -EINVAL,
				"port %s is on network '%s', not '%s'; nothing done",
				id, p.network, json_string_value(net));
		sriov_store_port_release(&p);
		if (r < 0)
			return r;
	}
	return ops_unbind(d, id, ret, err);
}

static int op_port_show(struct daemon *d, json_t *req, json_t **ret,
			struct sriov_error *err)
{
	struct sriov_store_port p = { 0 };
	const char *id;
	int r;

	r = api_get_id(req, "id", &id, err);
	if (r >= 0)
		r = sriov_store_get_port(d->store, id, &p, err);
	if (r < 0)
		return r;
	*ret = json_object();
	json_object_set_new(*ret, "port", ops_port_json(d, &p));
	sriov_store_port_release(&p);
	return 0;
}

static int op_port_list(struct daemon *d, json_t *req, json_t **ret,
			struct sriov_error *err)
{
	struct sriov_store_port *p = NULL;
	size_t n = 0;
	json_t *a;
	int r;

	r = sriov_store_list_ports(d->store, &p, &n, err);
	if (r < 0)
		return r;
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, ops_port_json(d, &p[i]));
		sriov_store_port_release(&p[i]);
	}
	free(p);
	*ret = json_object();
	json_object_set_new(*ret, "ports", a);
	return 0;
}

static int op_vf_list(struct daemon *d, json_t *req, json_t **ret,
		      struct sriov_error *err)
{
	struct sriov_store_vf *v = NULL;
	size_t n = 0;
	json_t *a;
	int r;

	r = sriov_store_list_vfs(d->store, &v, &n, err);
	if (r < 0)
		return r;
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, ops_vf_json(&v[i]));
	free(v);
	*ret = json_object();
	json_object_set_new(*ret, "vfs", a);
	return 0;
}

int api_vf_arg(json_t *req, const char **pf, unsigned *vf,
	       struct sriov_error *err)
{
	json_t *v = json_object_get(req, "vf");
	bool whole = json_is_string(v) && !strcmp(json_string_value(v), "pf");
	int r;

	r = api_get_id(req, "pf", pf, err);
	if (r < 0)
		return r;
	if (whole) {
		*vf = SRIOV_STORE_WHOLE_PF;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 65535)
		return sriov_error_set(
			err, -EINVAL,
			"'vf' is required (a VF index, or \"pf\" for a whole PF)");
	*vf = (unsigned)json_integer_value(v);
	return 0;
}

static int op_vf_clear(struct daemon *d, json_t *req, json_t **ret,
		       struct sriov_error *err)
{
	const char *pf;
	unsigned vf;
	int r;

	r = api_vf_arg(req, &pf, &vf, err);
	if (r >= 0)
		r = sriov_store_vf_clear(d->store, pf, vf, err);
	if (r < 0)
		return r;
	*ret = json_object();
	json_object_set_new(*ret, "cleared", json_boolean(r > 0));
	/* the VF is scrubbed again before it is handed out */
	ops_check(d);
	return 0;
}

static int op_host_inventory(struct daemon *d, json_t *req, json_t **ret,
			     struct sriov_error *err)
{
	json_t *inv = inventory_json(d->root, err);

	if (!inv)
		return err && err->code ? err->code : -EIO;
	*ret = json_object();
	json_object_set_new(*ret, "pfs", inv);
	return 0;
}

static int op_health(struct daemon *d, json_t *req, json_t **ret,
		     struct sriov_error *err)
{
	struct sriov_store_vf *v = NULL;
	struct sriov_journal *j = NULL;
	size_t n = 0, nj = 0, cnt[3] = { 0 };
	json_t *o = json_object(), *c = json_object();
	char cwhy[SRIOV_ERROR_MSG_MAX + 200] = "";
	bool cdeg = cluster_degraded(d, cwhy, sizeof(cwhy));

	if (sriov_store_list_vfs(d->store, &v, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			if (!v[i].excluded)
				cnt[v[i].state]++;
	free(v);
	if (sriov_store_pending(d->store, &j, &nj, NULL) == 0)
		for (size_t i = 0; i < nj; i++)
			sriov_journal_release(&j[i]);
	free(j);
	/* a quarantined VF needs an operator (sriovctl port clear) */
	json_object_set_new(o, "status",
			    json_string(cnt[SRIOV_VF_QUARANTINED] || cdeg ?
						"degraded" :
						"ok"));
	if (cnt[SRIOV_VF_QUARANTINED] || cdeg) {
		char why[sizeof(cwhy) + 160] = "";

		if (cnt[SRIOV_VF_QUARANTINED])
			snprintf(
				why, sizeof(why),
				"%zu quarantined (see sriovctl port vfs; free one with sriovctl port clear PF VF)",
				cnt[SRIOV_VF_QUARANTINED]);
		if (cdeg)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "%s%s", why[0] ? "; " : "", cwhy);
		json_object_set_new(o, "reason", json_string(why));
	} else {
		json_object_set_new(o, "reason", json_null());
	}
	json_object_set_new(o, "schema_version",
			    json_integer(sriov_store_schema_version(d->store)));
	json_object_set_new(o, "pending_operations", json_integer((int)nj));
	for (int s = 0; s < 3; s++)
		json_object_set_new(c,
				    sriov_vf_state_name((enum sriov_vf_state)s),
				    json_integer((json_int_t)cnt[s]));
	json_object_set_new(o, "vfs", c);
	json_object_set_new(o, "cluster", cluster_health(d));
	*ret = o;
	return 0;
}

static int op_metrics(struct daemon *d, json_t *req, json_t **ret,
		      struct sriov_error *err)
{
	char *t = metrics_text(d);

	if (!t)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	*ret = json_object();
	json_object_set_new(*ret, "text", json_string(t));
	free(t);
	return 0;
}

/*
 * Every operation the API serves, in the order the unknown-op message and
 * the metrics list them. @metric is the op label of its requests, errors
 * and latency in the metrics (NULL: counted as "other", no latency).
 */
const struct api_op api_ops[] = {
	{ "port.bind", op_port_bind, true, "bind" },
	{ "port.unbind", op_port_unbind, true, "unbind" },
	{ "port.show", op_port_show, false, NULL },
	{ "port.list", op_port_list, false, NULL },
	{ "vf.list", op_vf_list, false, NULL },
	{ "vf.clear", op_vf_clear, true, NULL },
	{ "host.inventory", op_host_inventory, false, NULL },
	{ "health", op_health, false, NULL },
	{ "metrics", op_metrics, false, NULL },
};
const size_t api_n_ops = ARRAY_SIZE(api_ops);
_Static_assert(ARRAY_SIZE(api_ops) < METRICS_OPS_MAX,
	       "METRICS_OPS_MAX must leave a slot for unknown operations");

const struct api_op *api_op_find(const char *name)
{
	for (size_t i = 0; i < api_n_ops; i++)
		if (!strcmp(api_ops[i].name, name))
			return &api_ops[i];
	return NULL;
}

static json_t *unknown_op(const char *name)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	size_t off;

	off = (size_t)snprintf(msg, sizeof(msg), "unknown op '%s' (expected ",
			       name);
	for (size_t i = 0; i < api_n_ops && off < sizeof(msg); i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s",
					i ? ", " : "", api_ops[i].name);
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, ")");
	return error_json(-EINVAL, msg);
}

/* Run the operation @name; *slot is its metrics slot. */
static json_t *dispatch(struct daemon *d, json_t *req, const char *name,
			size_t *slot)
{
	const struct api_op *op = api_op_find(name);
	struct sriov_error err = { 0 };
	json_t *body = NULL;
	double t0;
	int r;

	*slot = api_n_ops;
	if (!op) {
		d->metrics.bad_requests++;
		return unknown_op(name);
	}
	*slot = (size_t)(op - api_ops);
	t0 = mono_s();
	r = op->handler(d, req, &body, &err);
	if (r < 0) {
		/* what a caller was refused is in the log too: ebrctl's caller
		 * (Nova) keeps only its exit code and stderr */
		if (op->writes)
			log_warn("%s: %s", op->name, err.msg);
		json_decref(body);
		return error_json(r, err.msg);
	}
	if (op->metric)
		histogram_add(&d->metrics.op[*slot].latency, mono_s() - t0);
	return ok_json(body);
}

int api_request_parse(const struct sriov_daemon_config *cfg, const char *text,
		      size_t len, json_t **ret, struct sriov_error *err)
{
	json_error_t je;
	json_t *req;

	if (len > cfg->max_request)
		return sriov_error_set(
			err, -E2BIG,
			"request too large: more than %zu bytes (the limit; max_request in %s)",
			cfg->max_request, cfg->path ? cfg->path : "");
	req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!req)
		return sriov_error_set(
			err, -EINVAL, "%s json at line %d column %d: %s",
			json_error_code(&je) ==
					json_error_premature_end_of_input ?
				"truncated" :
				"invalid",
			je.line, je.column, je.text);
	if (!json_is_object(req) ||
	    !json_is_string(json_object_get(req, "op"))) {
		json_decref(req);
		return sriov_error_set(
			err, -EINVAL,
			"a request is an object with a string 'op'");
	}
	*ret = req;
	return 0;
}

json_t *api_handle(struct daemon *d, const char *text, size_t len, uid_t uid)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	struct sriov_error err = { 0 };
	json_t *req, *resp, *op;
	size_t slot;
	int r;

	r = api_request_parse(&d->cfg, text, len, &req, &err);
	if (r < 0) {
		d->metrics.bad_requests++;
		return error_json(r, err.msg);
	}
	op = json_object_get(req, "op");
	if (!api_peer_allowed(&d->cfg, uid)) {
		json_decref(req);
		d->metrics.rejected_peers++;
		snprintf(
			msg, sizeof(msg),
			"uid %u is not allowed (root, sriovd's uid, or allowed_uids)",
			(unsigned)uid);
		return error_json(-EACCES, msg);
	}
	resp = dispatch(d, req, json_string_value(op), &slot);
	d->metrics.op[slot].requests++;
	if (!json_is_true(json_object_get(resp, "ok")))
		d->metrics.op[slot].errors++;
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
			snprintf(
				msg, sizeof(msg),
				"uid %u is not allowed (root, sriovd's uid, or allowed_uids in %s)",
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
