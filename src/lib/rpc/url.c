/* SPDX-License-Identifier: MIT */
/*
 * transport_url, read as oslo.messaging reads it and as its rabbit driver
 * then hands it to kombu (Debian's python3-oslo.messaging 14):
 *
 *   transport.py TransportURL.parse: urllib's urlparse; the netloc split
 *     on ','; per host "user:pass@" split at the last '@' and the first
 *     ':', both percent-decoded; "[v6]:port"; host names not decoded;
 *     vhost = unquote(path[1:]); query = parse_qs, repeated keys joined;
 *     (a host of ":port" alone keeps an empty name);
 *   impl_rabbit.py Connection: each host becomes
 *     "amqp://quote(user):quote(pass)@host:(port or 5672)/vhost" (vhost as
 *     decoded once) joined by ';', which kombu splits on ';' and decodes
 *     again (kombu/utils/url.py url_to_parts), defaulting an empty user,
 *     password or vhost to guest, guest, "/";
 *   common.py ConfigOptsProxy: a query key must be an
 *     [oslo_messaging_rabbit] option and its value convert to the option's
 *     type (oslo_config types.Boolean, types.Integer).
 *
 * Where oslo.messaging would accept a URL and then fail or reach
 * something else than it says (a port out of range, a '/' in a password,
 * ';' in a vhost, bytes that are not UTF-8), we refuse it, naming the
 * column.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sriov/rpc.h>

#include "rpc/rpc-internal.h"
#include "util/macro.h"
#include "util/banned.h"

void sriov_rpc_url_init(struct sriov_rpc_url *u)
{
	memset(u, 0, sizeof(*u));
	u->heartbeat = 60;
	u->retry_interval = 1;
	u->retry_backoff = 2;
	u->interval_max = 30;
	u->transient_ttl = 1800;
}

static void hosts_free(struct sriov_rpc_host *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].host);
		free(h[i].user);
		free(h[i].password);
	}
	free(h);
}

void sriov_rpc_url_release(struct sriov_rpc_url *u)
{
	if (!u)
		return;
	hosts_free(u->hosts, u->n_hosts);
	free(u->vhost);
	free(u->ssl_ca_file);
	free(u->ssl_cert_file);
	free(u->ssl_key_file);
	sriov_rpc_url_init(u);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * urllib's unquote on s[0..n): "%XX" becomes the byte, any other '%' stays;
 * with @plus, '+' becomes ' ' first (unquote_plus, for the query).
 */
static char *pct_decode(const char *s, size_t n, bool plus, size_t *ret_len)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*ret_len = (size_t)(o - out);
	return out;
}

bool rpc_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned c = p[i], len, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A decoded component must be UTF-8 without control characters. */
static int check_decoded(const char *what, const char *v, size_t n,
			 unsigned col, struct sriov_error *err)
{
	if (!rpc_utf8_valid(v, n))
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column %u: %s is not UTF-8 once percent-decoded; oslo.messaging would change it",
			col, what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: %s holds a control character once percent-decoded",
				col, what);
	return 0;
}

/* Decode s[0..n) at column col; NULL and err set on failure. */
static char *decode_at(const char *what, const char *s, size_t n, bool plus,
		       unsigned col, struct sriov_error *err, int *r)
{
	size_t len;
	char *v = pct_decode(s, n, plus, &len);

	if (!v) {
		*r = -ENOMEM;
		return NULL;
	}
	*r = check_decoded(what, v, len, col, err);
	if (*r < 0) {
		free(v);
		return NULL;
	}
	return v;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* s[0..n) decimal digits into 1..65535; 0 and empty mean 5672 (oslo). */
static int parse_port(const char *s, size_t n, unsigned col, uint16_t *ret,
		      struct sriov_error *err)
{
	unsigned long v = 0;

	if (n == 0) {
		*ret = 5672;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: port '%.*s' is not a number from 1 to 65535",
				col, (int)n, s);
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: port '%.*s' is not a number from 1 to 65535",
				col, (int)n, s);
	}
	*ret = v ? (uint16_t)v : 5672;
	return 0;
}

/* One element of the netloc, s[0..n) at column col. */
static int parse_host(const char *s, size_t n, unsigned col,
		      struct sriov_rpc_host *h, struct sriov_error *err)
{
	const char *at = NULL, *hp, *end = s + n, *port = NULL;
	size_t hn;
	unsigned hcol;
	int r;

	for (const char *p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(s, ':', (size_t)(at - s));
		size_t un = colon ? (size_t)(colon - s) : (size_t)(at - s);

		for (const char *p = s; p < at; p++)
			if (*p == '[' || *p == ']')
				return sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: '%c' in a user name or password must be percent-encoded",
					col + (unsigned)(p - s), *p);
		h->user =
			decode_at("the user name", s, un, false, col, err, &r);
		if (!h->user)
			return r;
		if (colon) {
			h->password = decode_at("the password", colon + 1,
						(size_t)(at - colon - 1), false,
						col + (unsigned)(colon + 1 - s),
						err, &r);
			if (!h->password)
				return r;
		}
		if (strchr(h->user, '/') ||
		    (h->password && strchr(h->password, '/')))
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: a '/' in a user name or password is refused: oslo.messaging's rabbit driver passes it on unescaped and cannot connect",
				col);
		hp = at + 1;
	} else {
		hp = s;
	}
	hcol = col + (unsigned)(hp - s);
	if (hp == end)
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column %u: empty host name (expected host, host:port or [ipv6]:port; oslo.messaging fails on it too)",
			hcol);
	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(end - hp));
		char addr[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;

		if (!close)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: '[' without ']' (expected [ipv6]:port)",
				hcol);
		hn = (size_t)(close - hp - 1);
		if (hn == 0 || hn >= sizeof(addr))
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: '%.*s' is not an IPv6 address",
				hcol + 1, (int)hn, hp + 1);
		memcpy(addr, hp + 1, hn);
		addr[hn] = '\0';
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: '%s' is not an IPv6 address",
				hcol + 1, addr);
		if (close + 1 < end) {
			if (close[1] != ':')
				return sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: expected ':port' or the end of the host after ']'",
					hcol + (unsigned)(close + 1 - hp));
			port = close + 2;
		}
		h->host = strdup(addr);
	} else {
		const char *colon = memchr(hp, ':', (size_t)(end - hp));
		const char *hend = colon ? colon : end;

		hn = (size_t)(hend - hp);
		/* ":port" alone: oslo passes an empty name on, kombu connects
		 * to its default, localhost */
		if (hn == 0) {
			hp = "localhost";
			hend = hp + strlen(hp);
			hn = strlen(hp);
		}
		for (const char *p = hp; p < hend; p++)
			if (!host_char(*p))
				return sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: '%c' in host name '%.*s' (expected letters, digits, '-', '.', '_', or an IPv6 address in [])",
					hcol + (unsigned)(p - hp), *p, (int)hn,
					hp);
		if (hn > 253)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: host name longer than 253 bytes",
				hcol);
		if (colon)
			port = colon + 1;
		h->host = strndup(hp, hn);
	}
	if (!h->host)
		return -ENOMEM;
	if (port) {
		r = parse_port(port, (size_t)(end - port),
			       col + (unsigned)(port - s), &h->port, err);
		if (r < 0)
			return r;
	} else {
		h->port = 5672;
	}
	/* kombu: an empty user or password is its default, guest */
	if (!h->user || !*h->user) {
		free(h->user);
		h->user = strdup("guest");
	}
	if (!h->password || !*h->password) {
		free(h->password);
		h->password = strdup("guest");
	}
	if (!h->user || !h->password)
		return -ENOMEM;
	return 0;
}

enum opt_type { OPT_BOOL, OPT_UINT, OPT_STR };

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;
	unsigned min, max;
};

#define OPT(n, t, f, lo, hi)                                    \
	{                                                       \
		n, t, offsetof(struct sriov_rpc_url, f), lo, hi \
	}
static const struct opt opts[] = {
	OPT("ssl", OPT_BOOL, ssl, 0, 0),
	OPT("ssl_ca_file", OPT_STR, ssl_ca_file, 0, 0),
	OPT("ssl_cert_file", OPT_STR, ssl_cert_file, 0, 0),
	OPT("ssl_key_file", OPT_STR, ssl_key_file, 0, 0),
	OPT("ssl_enforce_hostname_verification", OPT_BOOL, ssl_verify_hostname,
	    0, 0),
	OPT("heartbeat_timeout_threshold", OPT_UINT, heartbeat, 0, 65535),
	OPT("rabbit_retry_interval", OPT_UINT, retry_interval, 0, 3600),
	OPT("rabbit_retry_backoff", OPT_UINT, retry_backoff, 0, 3600),
	OPT("rabbit_interval_max", OPT_UINT, interval_max, 1, 3600),
	OPT("amqp_durable_queues", OPT_BOOL, durable, 0, 0),
	OPT("amqp_auto_delete", OPT_BOOL, auto_delete, 0, 0),
	OPT("rabbit_transient_queues_ttl", OPT_UINT, transient_ttl, 1, 4294967),
};

#define OPT_NAMES                                                            \
	"ssl, ssl_ca_file, ssl_cert_file, ssl_key_file, "                    \
	"ssl_enforce_hostname_verification, heartbeat_timeout_threshold, "   \
	"rabbit_retry_interval, rabbit_retry_backoff, rabbit_interval_max, " \
	"amqp_durable_queues, amqp_auto_delete, rabbit_transient_queues_ttl"

/* oslo_config types.Boolean: case-insensitive, nothing stripped. */
static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int apply_opt(struct sriov_rpc_url *u, const char *name,
		     const char *value, unsigned col, unsigned *seen,
		     struct sriov_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];
		void *f = (char *)u + o->off;

		if (strcmp(name, o->name))
			continue;
		if (*seen & (1u << i))
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: option '%s' given twice",
				col, name);
		*seen |= 1u << i;
		switch (o->type) {
		case OPT_BOOL:
			if (parse_bool(value, f) < 0)
				return sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: option '%s': '%s' is not a boolean (true, 1, on, yes, false, 0, off, no)",
					col, name, value);
			return 0;
		case OPT_UINT: {
			unsigned long v = 0;
			size_t n = strlen(value);

			for (size_t k = 0; k < n; k++) {
				if (value[k] < '0' || value[k] > '9' ||
				    (v = v * 10 +
					 (unsigned long)(value[k] - '0')) >
					    o->max) {
					n = 0;
					break;
				}
			}
			if (!n || v < o->min)
				return sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: option '%s': '%s' is not a number from %u to %u",
					col, name, value, o->min, o->max);
			*(unsigned *)f = (unsigned)v;
			return 0;
		}
		case OPT_STR: {
			char *s = strdup(value);

			if (!s)
				return -ENOMEM;
			free(*(char **)f);
			*(char **)f = s;
			return 0;
		}
		}
	}
	return sriov_error_set(
		err, -EINVAL,
		"transport_url column %u: option '%s' is not supported (accepted: " OPT_NAMES
		")",
		col, name);
}

/* parse_qsl: '&'-separated; no '=' or an empty value: ignored. */
static int parse_query(struct sriov_rpc_url *u, const char *q, size_t n,
		       unsigned col, struct sriov_error *err)
{
	unsigned seen = 0;
	size_t i = 0;
	int r;

	while (i <= n) {
		const char *f = q + i, *amp = memchr(f, '&', n - i);
		size_t fn = amp ? (size_t)(amp - f) : n - i;
		const char *eq = memchr(f, '=', fn);
		unsigned fcol = col + (unsigned)i;

		if (eq && (size_t)(eq - f) + 1 < fn) {
			_cleanup_free_ char *name = NULL, *value = NULL;

			name = decode_at("an option name", f, (size_t)(eq - f),
					 true, fcol, err, &r);
			if (!name)
				return r;
			value = decode_at("an option value", eq + 1,
					  fn - (size_t)(eq - f) - 1, true, fcol,
					  err, &r);
			if (!value)
				return r;
			r = apply_opt(u, name, value, fcol, &seen, err);
			if (r < 0)
				return r;
		}
		i += fn + 1;
	}
	return 0;
}

/* urllib's _check_bracketed_host: IPvFuture, or an IP address not v4. */
static bool python_bracket_host_ok(const char *h, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	size_t i = 1;

	if (n && h[0] == 'v') {
		while (i < n && hexval(h[i]) >= 0)
			i++;
		return i > 1 && i + 1 < n && h[i] == '.';
	}
	if (memchr(h, '%', n))
		return true; /* a scope: refused later, with its own reason */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

/*
 * Debian's Python 3.11 (with the fix of CVE-2024-11168) checks the whole
 * netloc before oslo.messaging splits it, once it holds a '[' and a ']'
 * (urllib.parse urlsplit, _check_bracketed_netloc): the host after the
 * last '@' must then be "[IPv6]" (with nothing before the '[' and nothing
 * but ":..." after the ']'), or up to its first ':' an IPv6 address. So
 * oslo.messaging refuses an IPv6 host anywhere else; so do we.
 */
static int check_brackets(const char *nl, size_t n, unsigned col,
			  struct sriov_error *err)
{
	const char *hp = nl, *end = nl + n, *open, *close, *h, *hend;

	open = memchr(nl, '[', n);
	close = memchr(nl, ']', n);
	if (!open && !close)
		return 0;
	if (!open || !close)
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column %u: '%c' without its pair (expected [ipv6]:port)",
			col + (unsigned)((open ? open : close) - nl),
			open ? '[' : ']');
	for (const char *p = nl; p < end; p++)
		if (*p == '@')
			hp = p + 1;
	open = memchr(hp, '[', (size_t)(end - hp));
	if (open) {
		if (open != hp)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: an IPv6 host in [] must be the first host after the last '@' (Python's urllib refuses this URL for oslo.messaging too)",
				col + (unsigned)(open - nl));
		h = open + 1;
		close = memchr(h, ']', (size_t)(end - h));
		hend = close ? close : end;
		if (close && close + 1 < end && close[1] != ':')
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: expected ':port' or the end of the host after ']'",
				col + (unsigned)(close + 1 - nl));
	} else {
		h = hp;
		hend = memchr(h, ':', (size_t)(end - h));
		if (!hend)
			hend = end;
	}
	if (!python_bracket_host_ok(h, (size_t)(hend - h)))
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column %u: '%.*s' is not an IPv6 address: with an IPv6 host in [], Python's urllib wants one after the last '@' too (oslo.messaging refuses this URL)",
			col + (unsigned)(h - nl), (int)(hend - h), h);
	return 0;
}

static void url_free_parts(struct sriov_rpc_url *u)
{
	hosts_free(u->hosts, u->n_hosts);
	free(u->vhost);
	free(u->ssl_ca_file);
	free(u->ssl_cert_file);
	free(u->ssl_key_file);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return (src && !*dst) ? -ENOMEM : 0;
}

int sriov_rpc_url_parse(struct sriov_rpc_url *u, const char *url,
			struct sriov_error *err)
{
	struct sriov_rpc_url n = *u;
	const char *p, *netloc, *nend, *path, *query = NULL, *end;
	size_t len;
	int r;

	if (!url)
		return sriov_error_set(
			err, -EINVAL,
			"transport_url: none given (expected rabbit://user:pass@host:port/vhost)");
	len = strnlen(url, SRIOV_RPC_URL_MAX + 1);
	if (len > SRIOV_RPC_URL_MAX)
		return sriov_error_set(err, -EINVAL,
				       "transport_url: longer than %u bytes",
				       SRIOV_RPC_URL_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f)
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %zu: byte 0x%02x (a space, control or non-ASCII byte) must be percent-encoded",
				i + 1, c);
		if (c == '#')
			return sriov_error_set(
				err, -EINVAL,
				"transport_url column %zu: '#' starts a fragment, which a transport_url has no use for (percent-encode it as %%23)",
				i + 1);
	}
	end = url + len;
	p = strchr(url, ':');
	if (!p)
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column 1: no scheme (expected rabbit://)");
	if ((size_t)(p - url) != 6 || strncasecmp(url, "rabbit", 6))
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column 1: scheme '%.*s' is not supported (expected rabbit://, oslo.messaging's rabbit driver)",
			(int)(p - url), url);
	if (strncmp(p, "://", 3))
		return sriov_error_set(
			err, -EINVAL,
			"transport_url column 8: expected '//' after 'rabbit:'");
	netloc = p + 3;
	nend = netloc + strcspn(netloc, "/?");
	path = nend;
	if (*path == '/' || *path == '?') {
		const char *qm = strchr(path, '?');

		if (qm)
			query = qm + 1;
	}

	/* options: start from the caller's, the query overrides */
	n.hosts = NULL;
	n.n_hosts = 0;
	n.vhost = NULL;
	if (dup_opt(&n.ssl_ca_file, u->ssl_ca_file) < 0 ||
	    dup_opt(&n.ssl_cert_file, u->ssl_cert_file) < 0 ||
	    dup_opt(&n.ssl_key_file, u->ssl_key_file) < 0) {
		r = -ENOMEM;
		goto fail;
	}

	r = check_brackets(netloc, (size_t)(nend - netloc),
			   (unsigned)(netloc - url) + 1, err);
	if (r < 0)
		goto fail;
	for (const char *h = netloc; h <= nend;) {
		const char *comma = memchr(h, ',', (size_t)(nend - h));
		const char *hend = comma ? comma : nend;
		struct sriov_rpc_host *nh;

		if (hend > h) {
			if (n.n_hosts == SRIOV_RPC_HOSTS_MAX) {
				r = sriov_error_set(
					err, -EINVAL,
					"transport_url column %u: more than %u hosts",
					(unsigned)(h - url) + 1,
					SRIOV_RPC_HOSTS_MAX);
				goto fail;
			}
			nh = realloc(n.hosts, (n.n_hosts + 1) * sizeof(*nh));
			if (!nh) {
				r = -ENOMEM;
				goto fail;
			}
			n.hosts = nh;
			memset(&nh[n.n_hosts], 0, sizeof(*nh));
			n.n_hosts++;
			r = parse_host(h, (size_t)(hend - h),
				       (unsigned)(h - url) + 1,
				       &nh[n.n_hosts - 1], err);
			if (r < 0)
				goto fail;
		}
		h = hend + 1;
	}
	if (!n.n_hosts) {
		/* impl_rabbit: no host at all is localhost with guest */
		n.hosts = calloc(1, sizeof(*n.hosts));
		if (!n.hosts) {
			r = -ENOMEM;
			goto fail;
		}
		n.n_hosts = 1;
		n.hosts[0].host = strdup("localhost");
		n.hosts[0].user = strdup("guest");
		n.hosts[0].password = strdup("guest");
		n.hosts[0].port = 5672;
		if (!n.hosts[0].host || !n.hosts[0].user ||
		    !n.hosts[0].password) {
			r = -ENOMEM;
			goto fail;
		}
	}

	if (*path == '/') {
		const char *vend = query ? query - 1 : end;
		unsigned vcol = (unsigned)(path - url) + 2;
		_cleanup_free_ char *once = NULL;

		once = decode_at("the virtual host", path + 1,
				 (size_t)(vend - path - 1), false, vcol, err,
				 &r);
		if (!once)
			goto fail;
		if (strpbrk(once, ";?#")) {
			r = sriov_error_set(
				err, -EINVAL,
				"transport_url column %u: virtual host '%s' holds ';', '?' or '#' once decoded, which oslo.messaging's rabbit driver passes on unescaped (kombu would read another vhost)",
				vcol, once);
			goto fail;
		}
		/* kombu decodes what oslo.messaging decoded once */
		n.vhost = decode_at("the virtual host", once, strlen(once),
				    false, vcol, err, &r);
		if (!n.vhost)
			goto fail;
	}
	if (!n.vhost || !*n.vhost) {
		free(n.vhost);
		n.vhost = strdup("/");
		if (!n.vhost) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (query) {
		r = parse_query(&n, query, (size_t)(end - query),
				(unsigned)(query - url) + 1, err);
		if (r < 0)
			goto fail;
	}
	url_free_parts(u);
	*u = n;
	return 0;
fail:
	url_free_parts(&n);
	return r;
}
