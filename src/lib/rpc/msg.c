/* SPDX-License-Identifier: MIT */
/*
 * The oslo.messaging envelope and the message dict inside it
 * (oslo_messaging/_drivers/common.py serialize_msg / deserialize_msg,
 * amqp.py pack_context / unpack_context / _add_unique_id, amqpdriver.py
 * AMQPDriverBase._send and AMQPIncomingMessage._send_reply):
 *
 *   {"oslo.version": "2.0", "oslo.message": "<JSON text of the dict>"}
 *   request: {"method", "args", ["namespace"], ["version"],
 *             call: "_msg_id", "_reply_q", "_timeout";
 *             "_unique_id", "_context_<key>"...}
 *   reply:   {"result", "failure", "ending", "_msg_id", "_unique_id"}
 *
 * The decoder is the part a broker's peers can reach: it is strict and
 * capped (size, depth, duplicate keys, types) and fuzzed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sriov/rpc.h>

#include "rpc/rpc-internal.h"
#include "util/macro.h"
#include "util/banned.h"

#define CONTEXT_PREFIX "_context_"

void sriov_rpc_msg_init(struct sriov_rpc_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void sriov_rpc_msg_release(struct sriov_rpc_msg *m)
{
	if (!m)
		return;
	free(m->method);
	json_decref(m->args);
	free(m->namespace_);
	free(m->version);
	json_decref(m->context);
	free(m->reply_q);
	json_decref(m->timeout);
	free(m->msg_id);
	free(m->unique_id);
	json_decref(m->result);
	free(m->failure);
	sriov_rpc_msg_init(m);
}

int rpc_uuid_hex(char buf[33])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	for (size_t i = 0; i < sizeof(b); i++) {
		static const char hex[] = "0123456789abcdef";

		buf[2 * i] = hex[b[i] >> 4];
		buf[2 * i + 1] = hex[b[i] & 15];
	}
	buf[32] = '\0';
	return 0;
}

bool rpc_name_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > SRIOV_RPC_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* A version as oslo.messaging's version_is_compatible reads: N.N[.N]. */
static bool version_ok(const char *v)
{
	unsigned parts = 0;
	const char *p = v;

	if (strlen(v) > 32)
		return false;
	for (;;) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		parts++;
		if (!*p)
			break;
		if (*p++ != '.')
			return false;
	}
	return parts >= 1 && parts <= 3;
}

static int depth_check(const json_t *v, unsigned depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > SRIOV_RPC_DEPTH_MAX)
		return -1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if (depth_check(e, depth + 1) < 0)
				return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (depth_check(e, depth + 1) < 0)
				return -1;
	}
	return 0;
}

/* Rules shared by encoder and decoder, on the dict's fields. */
static int check_msg(const struct sriov_rpc_msg *m, struct sriov_error *err)
{
	if (m->msg_id && !rpc_name_ok(m->msg_id))
		return sriov_error_set(
			err, -EINVAL,
			"rpc message: _msg_id must be 1 to 255 printable ASCII bytes");
	if (m->unique_id && !rpc_name_ok(m->unique_id))
		return sriov_error_set(
			err, -EINVAL,
			"rpc message: _unique_id must be 1 to 255 printable ASCII bytes");
	if (m->is_reply) {
		if (!m->msg_id)
			return sriov_error_set(err, -EINVAL,
					       "rpc reply: no _msg_id");
		return 0;
	}
	if (!rpc_name_ok(m->method))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request: method must be 1 to 255 printable ASCII bytes");
	if (m->args && !json_is_object(m->args))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': args must be an object", m->method);
	if (m->context && !json_is_object(m->context))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': the context must be an object",
			m->method);
	if (m->namespace_ && !rpc_name_ok(m->namespace_))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': namespace must be 1 to 255 printable ASCII bytes",
			m->method);
	if (m->version && !version_ok(m->version))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': version '%s' is not N.N", m->method,
			m->version);
	if (!m->msg_id != !m->reply_q)
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': a call needs both _msg_id and _reply_q",
			m->method);
	if (m->reply_q && !rpc_name_ok(m->reply_q))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': _reply_q must be 1 to 255 printable ASCII bytes",
			m->method);
	if (m->timeout && !json_is_null(m->timeout) &&
	    !json_is_number(m->timeout))
		return sriov_error_set(
			err, -EINVAL,
			"rpc request '%s': _timeout must be a number or null",
			m->method);
	return 0;
}

static int set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, json_string(v)) < 0 ? -ENOMEM : 0;
}

static int set_ref(json_t *o, const char *k, json_t *v)
{
	return json_object_set(o, k, v) < 0 ? -ENOMEM : 0;
}

static json_t *msg_to_dict(const struct sriov_rpc_msg *m)
{
	json_t *d = json_object(), *empty = NULL;
	int r = 0;

	if (!d)
		return NULL;
	if (m->is_reply) {
		r |= set_ref(d, "result", m->result ? m->result : json_null());
		if (m->failure)
			r |= set_str(d, "failure", m->failure);
		else
			r |= set_ref(d, "failure", json_null());
		r |= set_ref(d, "ending", json_boolean(m->ending));
		r |= set_str(d, "_msg_id", m->msg_id);
	} else {
		r |= set_str(d, "method", m->method);
		if (!m->args)
			empty = json_object();
		r |= set_ref(d, "args", m->args ? m->args : empty);
		json_decref(empty);
		if (m->namespace_)
			r |= set_str(d, "namespace", m->namespace_);
		if (m->version)
			r |= set_str(d, "version", m->version);
		if (m->msg_id) {
			r |= set_str(d, "_msg_id", m->msg_id);
			r |= set_str(d, "_reply_q", m->reply_q);
			r |= set_ref(d, "_timeout",
				     m->timeout ? m->timeout : json_null());
		}
	}
	if (m->unique_id)
		r |= set_str(d, "_unique_id", m->unique_id);
	if (!m->is_reply && m->context) {
		const char *k;
		json_t *v;

		json_object_foreach(m->context, k, v) {
			size_t kn = strlen(k);
			_cleanup_free_ char *key =
				malloc(sizeof(CONTEXT_PREFIX) + kn);

			if (!key) {
				r = -1;
				break;
			}
			memcpy(key, CONTEXT_PREFIX, sizeof(CONTEXT_PREFIX) - 1);
			memcpy(key + sizeof(CONTEXT_PREFIX) - 1, k, kn + 1);
			r |= set_ref(d, key, v);
		}
	}
	if (r) {
		json_decref(d);
		return NULL;
	}
	return d;
}

int sriov_rpc_msg_encode(const struct sriov_rpc_msg *m, char **ret_body,
			 size_t *ret_len, struct sriov_error *err)
{
	json_t *d, *env;
	char *inner, *body;
	size_t n;
	int r;

	r = check_msg(m, err);
	if (r < 0)
		return r;
	if ((m->args && depth_check(m->args, 2) < 0) ||
	    (m->context && depth_check(m->context, 1) < 0) ||
	    (m->result && depth_check(m->result, 1) < 0))
		return sriov_error_set(err, -EINVAL,
				       "rpc message: nested deeper than %u",
				       SRIOV_RPC_DEPTH_MAX);
	d = msg_to_dict(m);
	if (!d)
		return -ENOMEM;
	inner = json_dumps(d, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(d);
	if (!inner)
		return -ENOMEM;
	if (strlen(inner) > SRIOV_RPC_BODY_MAX) {
		free(inner);
		return sriov_error_set(err, -EMSGSIZE,
				       "rpc message: more than %u bytes",
				       SRIOV_RPC_BODY_MAX);
	}
	env = json_pack("{s:s, s:s}", "oslo.version", "2.0", "oslo.message",
			inner);
	free(inner);
	if (!env)
		return -ENOMEM;
	body = json_dumps(env, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(env);
	if (!body)
		return -ENOMEM;
	n = strlen(body);
	if (n > SRIOV_RPC_BODY_MAX) {
		free(body);
		return sriov_error_set(err, -EMSGSIZE,
				       "rpc message: more than %u bytes",
				       SRIOV_RPC_BODY_MAX);
	}
	*ret_body = body;
	*ret_len = n;
	return 0;
}

static int bad(struct sriov_error *err, const char *what)
{
	return sriov_error_set(err, -EBADMSG, "rpc message: %s", what);
}

/* An optional string member; -1 when present and not a string. */
static int take_str(json_t *d, const char *k, char **ret)
{
	json_t *v = json_object_get(d, k);

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -2;
}

static int decode_dict(json_t *d, struct sriov_rpc_msg *m,
		       struct sriov_error *err)
{
	const char *k;
	json_t *v;
	int r;

	if (json_object_get(d, "method")) {
		if (!json_is_string(json_object_get(d, "method")))
			return bad(err, "method is not a string");
	} else if (!json_object_get(d, "_msg_id") ||
		   (!json_object_get(d, "failure") &&
		    !json_object_get(d, "result") &&
		    !json_object_get(d, "ending"))) {
		return bad(
			err,
			"neither a request (no method) nor a reply (no _msg_id with result, failure or ending)");
	} else {
		m->is_reply = true;
	}

	if ((r = take_str(d, "_msg_id", &m->msg_id)) == -1)
		return bad(err, "_msg_id is not a string");
	if (r == 0 && (r = take_str(d, "_unique_id", &m->unique_id)) == -1)
		return bad(err, "_unique_id is not a string");
	if (r < 0)
		return -ENOMEM;

	if (m->is_reply) {
		json_t *f = json_object_get(d, "failure");
		json_t *e = json_object_get(d, "ending");

		if (f && !json_is_null(f)) {
			if (!json_is_string(f))
				return bad(
					err,
					"failure is neither null nor a string");
			m->failure = strdup(json_string_value(f));
			if (!m->failure)
				return -ENOMEM;
		}
		if (e && !json_is_boolean(e))
			return bad(err, "ending is not a boolean");
		m->ending = e && json_is_true(e);
		m->result = json_incref(json_object_get(d, "result"));
		if (check_msg(m, err) < 0) {
			if (err)
				err->code = -EBADMSG;
			return -EBADMSG;
		}
		return 0;
	}

	if ((r = take_str(d, "method", &m->method)) < 0 ||
	    (r = take_str(d, "namespace", &m->namespace_)) < 0 ||
	    (r = take_str(d, "version", &m->version)) < 0 ||
	    (r = take_str(d, "_reply_q", &m->reply_q)) < 0)
		return r == -2 ?
			       -ENOMEM :
			       bad(err,
				   "method, namespace, version or _reply_q is not a string");
	v = json_object_get(d, "args");
	if (v && !json_is_null(v) && !json_is_object(v))
		return bad(err, "args is not an object");
	m->args = (v && json_is_object(v)) ? json_incref(v) : json_object();
	m->timeout = json_incref(json_object_get(d, "_timeout"));
	m->context = json_object();
	if (!m->args || !m->context)
		return -ENOMEM;
	json_object_foreach(d, k, v) {
		if (strncmp(k, CONTEXT_PREFIX, sizeof(CONTEXT_PREFIX) - 1))
			continue;
		if (!k[sizeof(CONTEXT_PREFIX) - 1])
			return bad(err, "empty context key");
		if (json_object_set(m->context, k + sizeof(CONTEXT_PREFIX) - 1,
				    v) < 0)
			return -ENOMEM;
	}
	r = check_msg(m, err);
	if (r < 0) {
		if (err)
			err->code = -EBADMSG;
		return -EBADMSG;
	}
	return 0;
}

int sriov_rpc_msg_decode(const void *body, size_t len,
			 struct sriov_rpc_msg *ret, struct sriov_error *err)
{
	struct sriov_rpc_msg m;
	json_error_t je;
	json_t *env, *inner = NULL, *ver, *text;
	const char *s;
	int r;

	if (len > SRIOV_RPC_BODY_MAX)
		return sriov_error_set(err, -EMSGSIZE,
				       "rpc message: %zu bytes, more than %u",
				       len, SRIOV_RPC_BODY_MAX);
	env = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!env)
		return sriov_error_set(err, -EBADMSG,
				       "rpc message: not JSON at byte %d: %s",
				       je.position, je.text);
	ver = json_object_get(env, "oslo.version");
	text = json_object_get(env, "oslo.message");
	if (!json_is_object(env) || json_object_size(env) != 2 || !ver ||
	    !text) {
		json_decref(env);
		return bad(
			err,
			"not an oslo.messaging envelope (an object of oslo.version and oslo.message alone)");
	}
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0")) {
		json_decref(env);
		return bad(err, "oslo.version is not \"2.0\"");
	}
	if (!json_is_string(text)) {
		json_decref(env);
		return bad(err, "oslo.message is not a string");
	}
	s = json_string_value(text);
	inner = json_loadb(s, json_string_length(text), JSON_REJECT_DUPLICATES,
			   &je);
	json_decref(env);
	if (!inner)
		return sriov_error_set(
			err, -EBADMSG,
			"rpc message: oslo.message is not JSON at byte %d: %s",
			je.position, je.text);
	if (!json_is_object(inner)) {
		json_decref(inner);
		return bad(err, "oslo.message is not an object");
	}
	if (depth_check(inner, 1) < 0) {
		json_decref(inner);
		return sriov_error_set(err, -EBADMSG,
				       "rpc message: nested deeper than %u",
				       SRIOV_RPC_DEPTH_MAX);
	}
	sriov_rpc_msg_init(&m);
	r = decode_dict(inner, &m, err);
	json_decref(inner);
	if (r < 0) {
		sriov_rpc_msg_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int sriov_rpc_failure_encode(const char *cls, const char *module,
			     const char *message, char **ret,
			     struct sriov_error *err)
{
	json_t *f;
	char *s;

	if (!rpc_name_ok(cls) || !rpc_name_ok(module))
		return sriov_error_set(
			err, -EINVAL,
			"rpc failure: class and module must be 1 to 255 printable ASCII bytes");
	if (!message)
		message = "";
	f = json_pack("{s:s, s:s, s:s, s:[], s:[s], s:{}}", "class", cls,
		      "module", module, "message", message, "tb", "args",
		      message, "kwargs");
	if (!f)
		return sriov_error_set(err, -EINVAL,
				       "rpc failure: message is not UTF-8");
	s = json_dumps(f, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(f);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int sriov_rpc_failure_decode(const char *failure, struct sriov_error *err)
{
	json_error_t je;
	json_t *f;
	const char *cls, *mod, *msg;
	int r;

	if (!failure)
		return bad(err, "no failure");
	f = json_loads(failure, JSON_REJECT_DUPLICATES, &je);
	if (!f)
		return bad(err, "failure is not JSON");
	cls = json_string_value(json_object_get(f, "class"));
	mod = json_string_value(json_object_get(f, "module"));
	msg = json_string_value(json_object_get(f, "message"));
	if (!json_is_object(f) || !cls) {
		json_decref(f);
		return bad(err, "failure has no class");
	}
	r = sriov_error_set(err, -EREMOTEIO, "remote %s%s%s: %s",
			    mod ? mod : "", mod ? "." : "", cls,
			    msg ? msg : "");
	json_decref(f);
	return r;
}
