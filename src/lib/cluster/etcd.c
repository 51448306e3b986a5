/* SPDX-License-Identifier: MIT */
/*
 * The etcd client's transport: one libcurl handle (its connections kept
 * alive between calls), a list of endpoints, and the rule for moving to
 * the next one (include/sriov/cluster.h, "Failure semantics").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cluster/internal.h"
#include "util/macro.h"
#include "util/banned.h"

#define DEFAULT_CONNECT_MS 1000
#define DEFAULT_REQUEST_MS 5000
#define DEFAULT_MAX_RESPONSE (16u << 20)
#define ENDPOINT_MAX 256

struct sriov_etcd {
	char **endpoints;
	size_t n_endpoints;
	size_t current;
	unsigned request_ms;
	struct etcd_conn_opts conn;
	CURL *h;
	CURL *ph; /* a range's next page, asked for ahead (prefetch) */
	CURLM *pm;
	struct curl_slist *headers;
	bool curl_init;
};

const char *etcd_endpoint(const struct sriov_etcd *e, size_t i)
{
	return e->endpoints[i % e->n_endpoints];
}

size_t etcd_n_endpoints(const struct sriov_etcd *e)
{
	return e->n_endpoints;
}

const struct etcd_conn_opts *etcd_conn(const struct sriov_etcd *e)
{
	return &e->conn;
}

size_t sriov_etcd_current_endpoint(const struct sriov_etcd *e)
{
	return e->current;
}

/* "http[s]://host[:port]" with nothing after, at most ENDPOINT_MAX bytes. */
static int check_endpoint(const char *s, bool tls_files,
			  struct sriov_error *err)
{
	const char *host;

	if (!s)
		return sriov_error_set(
			err, -EINVAL,
			"etcd endpoint missing (expected http://HOST:PORT or https://HOST:PORT)");
	if (!strncmp(s, "http://", 7))
		host = s + 7;
	else if (!strncmp(s, "https://", 8))
		host = s + 8;
	else
		return sriov_error_set(
			err, -EINVAL,
			"etcd endpoint '%s': expected http://HOST:PORT or https://HOST:PORT",
			s);
	if (!*host || strlen(s) > ENDPOINT_MAX)
		return sriov_error_set(
			err, -EINVAL,
			"etcd endpoint '%s': expected http://HOST:PORT or https://HOST:PORT, at most %d bytes",
			s, ENDPOINT_MAX);
	for (const char *p = host; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '?' ||
		    *p == '#' || *p == '@')
			return sriov_error_set(
				err, -EINVAL,
				"etcd endpoint '%s': expected http://HOST:PORT or https://HOST:PORT with no path, user or query",
				s);
	if (tls_files && host == s + 7)
		return sriov_error_set(
			err, -EINVAL,
			"etcd endpoint '%s': TLS files are given, so every endpoint must be https://",
			s);
	return 0;
}

void sriov_etcd_close(struct sriov_etcd *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free((char *)e->conn.ca_file);
	free((char *)e->conn.cert_file);
	free((char *)e->conn.key_file);
	if (e->h)
		curl_easy_cleanup(e->h);
	if (e->ph)
		curl_easy_cleanup(e->ph);
	if (e->pm)
		curl_multi_cleanup(e->pm);
	curl_slist_free_all(e->headers);
	if (e->curl_init)
		curl_global_cleanup();
	free(e);
}

static int dup_opt(const char *s, const char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int sriov_etcd_open(const struct sriov_etcd_opts *o, struct sriov_etcd **ret,
		    struct sriov_error *err)
{
	struct sriov_etcd *e;
	bool tls_files;
	int r;

	if (!o || !o->endpoints || !o->n_endpoints)
		return sriov_error_set(
			err, -EINVAL,
			"no etcd endpoints (expected at least one http://HOST:PORT)");
	if (!o->cert_file != !o->key_file)
		return sriov_error_set(
			err, -EINVAL,
			"etcd TLS: a client certificate needs its key and a key its certificate (give both or neither)");
	tls_files = o->ca_file || o->cert_file;
	for (size_t i = 0; i < o->n_endpoints; i++) {
		r = check_endpoint(o->endpoints[i], tls_files, err);
		if (r < 0)
			return r;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(e);
		return sriov_error_set(err, -EIO, "libcurl: cannot initialise");
	}
	e->curl_init = true;
	e->endpoints = calloc(o->n_endpoints, sizeof(*e->endpoints));
	if (!e->endpoints)
		goto oom;
	for (size_t i = 0; i < o->n_endpoints; i++) {
		e->endpoints[i] = strdup(o->endpoints[i]);
		if (!e->endpoints[i])
			goto oom;
		e->n_endpoints++;
	}
	e->request_ms = o->request_timeout_ms ? o->request_timeout_ms :
						DEFAULT_REQUEST_MS;
	e->conn.connect_timeout_ms = o->connect_timeout_ms ?
					     o->connect_timeout_ms :
					     DEFAULT_CONNECT_MS;
	e->conn.max_response = o->max_response ? o->max_response :
						 DEFAULT_MAX_RESPONSE;
	if (dup_opt(o->ca_file, &e->conn.ca_file) < 0 ||
	    dup_opt(o->cert_file, &e->conn.cert_file) < 0 ||
	    dup_opt(o->key_file, &e->conn.key_file) < 0)
		goto oom;
	/* "hasleader": a member cut off from the leader answers at once
	 * with "no leader" instead of waiting out its own timeout, and
	 * cancels watches (etcd's rpctypes.MetadataRequireLeaderKey, passed
	 * as gRPC metadata by the gateway). */
	e->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (e->headers)
		e->headers = curl_slist_append(e->headers,
					       "Grpc-Metadata-hasleader: true");
	e->h = curl_easy_init();
	if (!e->headers || !e->h)
		goto oom;
	r = etcd_easy_setup(e, e->h, e->headers);
	if (r < 0) {
		sriov_etcd_close(e);
		return sriov_error_set(err, r,
				       "libcurl: cannot set up a transfer");
	}
	*ret = e;
	return 0;
oom:
	sriov_etcd_close(e);
	return -ENOMEM;
}

int etcd_easy_setup(const struct sriov_etcd *e, void *curl, void *headers)
{
	CURL *h = curl;
	const struct etcd_conn_opts *c = &e->conn;
	CURLcode r = CURLE_OK;

#define SET(opt, val)                                      \
	do {                                               \
		if (r == CURLE_OK)                         \
			r = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_HTTPHEADER, (struct curl_slist *)headers);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 10L);
	SET(CURLOPT_TCP_KEEPINTVL, 5L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file) {
		SET(CURLOPT_SSLCERT, c->cert_file);
		SET(CURLOPT_SSLKEY, c->key_file);
	}
#undef SET
	return r == CURLE_OK ? 0 : -EINVAL;
}

struct buf {
	char *p;
	size_t n, cap, max;
	bool over;
};

static size_t buf_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct buf *b = userp;
	size_t len = size * nmemb;

	if (len > b->max - b->n) {
		b->over = true;
		return 0;
	}
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->n + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

enum outcome {
	OUT_OK,
	OUT_FINAL, /* a definite failure: the call ends */
	OUT_RETRY, /* not applied: the next endpoint may take it */
	OUT_UNKNOWN, /* may have been applied */
};

struct attempt {
	enum outcome out;
	int code; /* -errno for FINAL */
	char why[320];
};

/* One POST to one endpoint; the answer in @b when OUT_OK. */
static void attempt(struct sriov_etcd *e, size_t i, const char *path,
		    const char *body, bool stream, struct buf *b,
		    struct attempt *a)
{
	char url[ENDPOINT_MAX + 64], ebuf[CURL_ERROR_SIZE] = "";
	long status = 0, sent = 0;
	CURLcode c;

	b->n = 0;
	b->over = false;
	snprintf(url, sizeof(url), "%s%s", e->endpoints[i], path);
	curl_easy_setopt(e->h, CURLOPT_URL, url);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(e->h, CURLOPT_TIMEOUT_MS, (long)e->request_ms);
	curl_easy_setopt(e->h, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(e->h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e->h, CURLOPT_ERRORBUFFER, ebuf);
	c = curl_easy_perform(e->h);
	curl_easy_setopt(e->h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(e->h, CURLINFO_REQUEST_SIZE, &sent);
	curl_easy_getinfo(e->h, CURLINFO_RESPONSE_CODE, &status);
	if (c != CURLE_OK) {
		const char *what = *ebuf ? ebuf : curl_easy_strerror(c);

		snprintf(a->why, sizeof(a->why), "%s", what);
		switch (c) {
		case CURLE_WRITE_ERROR:
			a->out = OUT_FINAL;
			a->code = b->over ? -EMSGSIZE : -ENOMEM;
			if (b->over)
				snprintf(
					a->why, sizeof(a->why),
					"answer over %zu bytes (ask for fewer keys: a range limit)",
					b->max);
			return;
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_ENGINE_NOTFOUND:
		case CURLE_SSL_ENGINE_SETFAILED:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			/* This machine's setup: no endpoint will do better. */
			a->out = OUT_FINAL;
			a->code = -EINVAL;
			return;
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
			a->out = OUT_RETRY;
			return;
		default:
			/* Timed out, reset, closed: was the request out? */
			a->out = sent > 0 ? OUT_UNKNOWN : OUT_RETRY;
			return;
		}
	}
	if (status == 200) {
		int code;

		/* A stream (keepalive) reports failure in its body. */
		if (stream && etcd_gw_error(b->p ? b->p : "", b->n, &code,
					    a->why, sizeof(a->why)))
			goto etcd_error;
		a->out = OUT_OK;
		return;
	}
	{
		int code;

		if (!etcd_gw_error(b->p ? b->p : "", b->n, &code, a->why,
				   sizeof(a->why))) {
			snprintf(a->why, sizeof(a->why), "HTTP status %ld",
				 status);
			a->out = status >= 500 ? OUT_UNKNOWN : OUT_FINAL;
			a->code = status == 404 ? -EOPNOTSUPP : -EPROTO;
			if (status == 404)
				snprintf(
					a->why, sizeof(a->why),
					"HTTP status 404 for %s (is it etcd 3.4 or newer, with its gateway on /v3/?)",
					path);
			return;
		}
etcd_error:
		switch (etcd_gw_retry_class(code, a->why)) {
		case ETCD_GW_RETRY:
			a->out = OUT_RETRY;
			break;
		case ETCD_GW_UNKNOWN:
			a->out = OUT_UNKNOWN;
			break;
		default:
			a->out = OUT_FINAL;
			a->code = etcd_gw_errno(code, a->why);
			break;
		}
	}
}

static void append(char *s, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *s, size_t size, const char *fmt, ...)
{
	size_t n = strlen(s);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(s + n, size - n, fmt, ap);
	va_end(ap);
}

/*
 * POST @body to @path, trying each endpoint at most once, from the one
 * that answered last. @idempotent: sending it twice does no harm, so an
 * attempt of unknown outcome moves on too. The answer is @b->p (owned by
 * the caller) on success.
 */
static int call(struct sriov_etcd *e, const char *op, const char *path,
		const char *body, bool idempotent, bool stream, struct buf *b,
		struct sriov_error *err)
{
	char why[SRIOV_ERROR_MSG_MAX] = "";
	struct attempt a;

	if (!body)
		return -ENOMEM;
	b->max = e->conn.max_response;
	for (size_t t = 0; t < e->n_endpoints; t++) {
		size_t i = (e->current + t) % e->n_endpoints;

		memset(&a, 0, sizeof(a));
		attempt(e, i, path, body, stream, b, &a);
		switch (a.out) {
		case OUT_OK:
			e->current = i;
			return 0;
		case OUT_FINAL:
			e->current = i;
			return sriov_error_set(err, a.code, "etcd %s at %s: %s",
					       op, e->endpoints[i], a.why);
		case OUT_UNKNOWN:
			if (!idempotent) {
				e->current = (i + 1) % e->n_endpoints;
				return sriov_error_set(
					err, -ETIMEDOUT,
					"etcd %s at %s: %s; it may or may not have been applied (read it back)",
					op, e->endpoints[i], a.why);
			}
			/* fall through */
		case OUT_RETRY:
			append(why, sizeof(why), "%s%s: %s", *why ? "; " : "",
			       e->endpoints[i], a.why);
			break;
		}
	}
	/* Next time, start past the one that failed first. */
	e->current = (e->current + 1) % e->n_endpoints;
	return sriov_error_set(
		err, -EAGAIN,
		"etcd %s: no endpoint answered (%s); the store is down or has no quorum",
		op, why);
}

static int check_key(const char *op, const char *key, struct sriov_error *err)
{
	if (!key || !*key)
		return sriov_error_set(
			err, -EINVAL,
			"etcd %s: empty key (expected a key such as /sriov/v1/hosts/h1)",
			op);
	return 0;
}

int sriov_etcd_prefix_end(const char *prefix, char *buf, size_t size)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (!n || n + 1 > size)
		return -EINVAL;
	memcpy(buf, prefix, n + 1);
	while (n > 0) {
		unsigned char c = (unsigned char)buf[n - 1];

		if (c < 0xff) {
			buf[n - 1] = (char)(c + 1);
			buf[n] = '\0';
			return 0;
		}
		n--;
	}
	return -EINVAL;
}

static int range_n(struct sriov_etcd *e, const char *key, size_t key_len,
		   const struct sriov_etcd_range_opts *o,
		   struct sriov_etcd_range_resp *ret, struct sriov_error *err)
{
	_cleanup_free_ char *body = etcd_gw_range_req(key, key_len, o);
	struct buf b = { 0 };
	int r;

	r = call(e, "range", "/v3/kv/range", body, true, false, &b, err);
	if (r >= 0)
		r = etcd_gw_parse_range(b.p, b.n, ret, err);
	free(b.p);
	return r;
}

int sriov_etcd_range(struct sriov_etcd *e, const char *key,
		     const struct sriov_etcd_range_opts *o,
		     struct sriov_etcd_range_resp *ret, struct sriov_error *err)
{
	int r = check_key("range", key, err);

	if (r < 0)
		return r;
	return range_n(e, key, strlen(key), o, ret, err);
}

/*
 * The next page of a range, asked for while this one is parsed: etcd
 * builds its answer meanwhile, which is most of a page's time on its side
 * (a second handle, driven by a multi handle between the parse steps).
 * Where it starts, and at which revision, come from a scan of the raw
 * answer (the last "key" member: only a kv has one; the header's
 * "revision"), checked against the parsed answer before it is used. Any
 * doubt or failure drops it and the page is asked for again through
 * call(), with its failover: this changes when a page is asked for, never
 * what is read.
 */
struct prefetch {
	struct buf b;
	char *body;
	char *start; /* the key it starts at, with its trailing NUL */
	size_t start_len;
	int64_t revision;
	bool running;
};

/* The base64 text of the JSON string member @name ("name":"...") last
 * (or first) in @body; NULL when there is none. */
static const char *scan_member(const char *body, size_t n, const char *name,
			       bool last, size_t *ret_len)
{
	char pat[32];
	size_t pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	const char *hit = NULL, *p = body, *end = body + n, *q;

	while ((q = memmem(p, (size_t)(end - p), pat, pl))) {
		hit = q + pl;
		if (!last)
			break;
		p = q + 1;
	}
	if (!hit || !(q = memchr(hit, '"', (size_t)(end - hit))))
		return NULL;
	*ret_len = (size_t)(q - hit);
	return hit;
}

/* From the raw answer @b: where the next page starts and at which
 * revision; 0 when it cannot tell, or there is no next page. */
static int prefetch_plan(const struct buf *b, int64_t revision,
			 struct prefetch *pf)
{
	const char *k, *rv;
	size_t kl, rl;
	char *key, num[24], *endp;
	size_t key_len;
	long long r;

	if (!b->p || !memmem(b->p, b->n, "\"more\":true", 11))
		return 0;
	k = scan_member(b->p, b->n, "key", true, &kl);
	if (!k || b64_decode(k, kl, &key, &key_len) < 0)
		return 0;
	if (!revision) {
		rv = scan_member(b->p, b->n, "revision", false, &rl);
		if (!rv || rl == 0 || rl >= sizeof(num)) {
			free(key);
			return 0;
		}
		memcpy(num, rv, rl);
		num[rl] = '\0';
		errno = 0;
		r = strtoll(num, &endp, 10);
		if (errno || *endp || r <= 0) {
			free(key);
			return 0;
		}
		revision = (int64_t)r;
	}
	pf->start = realloc(key, key_len + 1);
	if (!pf->start) {
		free(key);
		return 0;
	}
	pf->start[key_len] = '\0';
	pf->start_len = key_len + 1;
	pf->revision = revision;
	return 1;
}

static void prefetch_drop(struct sriov_etcd *e, struct prefetch *pf)
{
	if (pf->running)
		curl_multi_remove_handle(e->pm, e->ph);
	pf->running = false;
	free(pf->body);
	free(pf->start);
	free(pf->b.p);
	memset(pf, 0, sizeof(*pf));
}

/* Ask for the page @pf plans, at the endpoint that answered last. */
static void prefetch_start(struct sriov_etcd *e, const char *range_end,
			   int64_t limit, struct prefetch *pf)
{
	struct sriov_etcd_range_opts o = { .range_end = range_end,
					   .limit = limit,
					   .revision = pf->revision,
					   .serializable = true };
	char url[ENDPOINT_MAX + 64];
	int running;

	if (!e->pm && !(e->pm = curl_multi_init()))
		return;
	if (!e->ph) {
		CURL *h = curl_easy_init();

		if (!h)
			return;
		if (etcd_easy_setup(e, h, e->headers) < 0) {
			curl_easy_cleanup(h);
			return;
		}
		e->ph = h;
	}
	pf->body = etcd_gw_range_req(pf->start, pf->start_len, &o);
	if (!pf->body)
		return;
	pf->b.max = e->conn.max_response;
	snprintf(url, sizeof(url), "%s/v3/kv/range", e->endpoints[e->current]);
	curl_easy_setopt(e->ph, CURLOPT_URL, url);
	curl_easy_setopt(e->ph, CURLOPT_POSTFIELDS, pf->body);
	curl_easy_setopt(e->ph, CURLOPT_POSTFIELDSIZE, (long)strlen(pf->body));
	curl_easy_setopt(e->ph, CURLOPT_TIMEOUT_MS, (long)e->request_ms);
	curl_easy_setopt(e->ph, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(e->ph, CURLOPT_WRITEDATA, &pf->b);
	if (curl_multi_add_handle(e->pm, e->ph) != CURLM_OK)
		return;
	pf->running = true;
	curl_multi_perform(e->pm, &running); /* the request goes out */
}

/* The prefetched answer, moved to @b; -1 when there is none to use. */
static int prefetch_finish(struct sriov_etcd *e, struct prefetch *pf,
			   struct buf *b)
{
	CURLcode result = CURLE_FAILED_INIT;
	long status = 0;
	int running = 1, left;
	CURLMsg *m;

	if (!pf->running)
		return -1;
	while (running) {
		if (curl_multi_perform(e->pm, &running) != CURLM_OK)
			return -1;
		if (running &&
		    curl_multi_poll(e->pm, NULL, 0, 1000, NULL) != CURLM_OK)
			return -1;
	}
	while ((m = curl_multi_info_read(e->pm, &left)))
		if (m->msg == CURLMSG_DONE)
			result = m->data.result;
	curl_multi_remove_handle(e->pm, e->ph);
	pf->running = false;
	curl_easy_getinfo(e->ph, CURLINFO_RESPONSE_CODE, &status);
	if (result != CURLE_OK || status != 200 || !pf->b.p)
		return -1;
	*b = pf->b;
	memset(&pf->b, 0, sizeof(pf->b));
	return 0;
}

int sriov_etcd_range_pages(struct sriov_etcd *e, const char *key,
			   const char *range_end, int64_t page,
			   sriov_etcd_page_fn fn, void *data,
			   struct sriov_etcd_header *ret_header,
			   struct sriov_error *err)
{
	struct sriov_etcd_range_opts o = { .range_end = range_end,
					   .limit = page > 0 ? page : 500 };
	struct sriov_etcd_range_resp part = { 0 };
	struct sriov_etcd_header header = { 0 };
	struct sriov_error pe = { 0 };
	struct prefetch pf = { 0 };
	struct buf b = { 0 };
	_cleanup_free_ char *body = NULL, *next = NULL;
	size_t next_len = 0;
	int r = check_key("range", key, err);

	if (r < 0)
		return r;
	body = etcd_gw_range_req(key, strlen(key), &o);
	r = call(e, "range", "/v3/kv/range", body, true, false, &b, err);
	while (r >= 0) {
		bool more;

		/* the next page is on its way while this one is parsed */
		if (prefetch_plan(&b, o.revision, &pf))
			prefetch_start(e, range_end, o.limit, &pf);
		r = etcd_gw_parse_range(b.p, b.n, &part, &pe);
		free(b.p);
		memset(&b, 0, sizeof(b));
		if (r < 0) {
			if (err)
				*err = pe;
			break;
		}
		if (!o.revision) {
			header = part.header;
			o.revision = header.revision;
		}
		more = part.more && part.n_kvs;
		if (more) {
			/* the next page starts just past the last key: "\0" */
			const struct sriov_etcd_kv *last =
				&part.kvs[part.n_kvs - 1];

			free(next);
			next_len = last->key_len + 1;
			next = malloc(next_len);
			if (!next) {
				r = -ENOMEM;
				break;
			}
			memcpy(next, last->key, last->key_len);
			next[last->key_len] = '\0';
		}
		r = fn(&part, o.revision, data);
		sriov_etcd_range_resp_release(&part);
		if (r < 0 || !more)
			break;
		if (pf.running && pf.revision == o.revision &&
		    pf.start_len == next_len &&
		    !memcmp(pf.start, next, next_len) &&
		    prefetch_finish(e, &pf, &b) == 0) {
			prefetch_drop(e, &pf);
			continue;
		}
		prefetch_drop(e, &pf);
		/* At a fixed revision any member that has applied it answers
		 * with the same snapshot, without a quorum read; one still
		 * behind says the revision is in its future: ask again with a
		 * quorum read, which waits for it to catch up. */
		free(body);
		o.serializable = true;
		body = etcd_gw_range_req(next, next_len, &o);
		r = call(e, "range", "/v3/kv/range", body, true, false, &b,
			 &pe);
		if (r == -ERANGE && strstr(pe.msg, "future revision")) {
			sriov_error_clear(&pe);
			o.serializable = false;
			free(body);
			body = etcd_gw_range_req(next, next_len, &o);
			r = call(e, "range", "/v3/kv/range", body, true, false,
				 &b, &pe);
		}
		if (r < 0 && err)
			*err = pe;
	}
	prefetch_drop(e, &pf);
	free(b.p);
	if (r < 0)
		return r;
	if (ret_header)
		*ret_header = header;
	return 0;
}

/* range_all's page: its kvs moved to the end of @data's. */
static int append_page(struct sriov_etcd_range_resp *page, int64_t revision,
		       void *data)
{
	struct sriov_etcd_range_resp *all = data;
	size_t n = all->n_kvs + page->n_kvs;
	struct sriov_etcd_kv *kvs;

	(void)revision;
	if (!page->n_kvs)
		return 0;
	kvs = realloc(all->kvs, n * sizeof(*kvs));
	if (!kvs)
		return -ENOMEM;
	memcpy(kvs + all->n_kvs, page->kvs, page->n_kvs * sizeof(*kvs));
	all->kvs = kvs;
	all->n_kvs = n;
	free(page->kvs);
	page->kvs = NULL;
	page->n_kvs = 0;
	return 0;
}

int sriov_etcd_range_all(struct sriov_etcd *e, const char *key,
			 const char *range_end, int64_t page,
			 struct sriov_etcd_range_resp *ret,
			 struct sriov_error *err)
{
	struct sriov_etcd_range_resp all = { 0 };
	int r = sriov_etcd_range_pages(e, key, range_end, page, append_page,
				       &all, &all.header, err);

	if (r < 0) {
		sriov_etcd_range_resp_release(&all);
		return r;
	}
	all.count = (int64_t)all.n_kvs;
	*ret = all;
	return 0;
}

int sriov_etcd_put(struct sriov_etcd *e, const char *key, const void *value,
		   size_t len, int64_t lease, int64_t *ret_revision,
		   struct sriov_error *err)
{
	_cleanup_free_ char *body = NULL;
	struct sriov_etcd_header h;
	struct buf b = { 0 };
	int r = check_key("put", key, err);

	if (r < 0)
		return r;
	body = etcd_gw_put_req(key, value ? value : "", len, lease, false);
	/* Sent twice, a put leaves the same value: it may move on. */
	r = call(e, "put", "/v3/kv/put", body, true, false, &b, err);
	if (r >= 0)
		r = etcd_gw_parse_put(b.p, b.n, &h, err);
	free(b.p);
	if (r >= 0 && ret_revision)
		*ret_revision = h.revision;
	return r;
}

int sriov_etcd_delete(struct sriov_etcd *e, const char *key,
		      const char *range_end, int64_t *ret_deleted,
		      int64_t *ret_revision, struct sriov_error *err)
{
	_cleanup_free_ char *body = NULL;
	struct sriov_etcd_header h;
	struct buf b = { 0 };
	int64_t deleted = 0;
	int r = check_key("delete", key, err);

	if (r < 0)
		return r;
	body = etcd_gw_delete_req(key, range_end, false);
	r = call(e, "delete", "/v3/kv/deleterange", body, true, false, &b, err);
	if (r >= 0)
		r = etcd_gw_parse_delete(b.p, b.n, &h, &deleted, err);
	free(b.p);
	if (r < 0)
		return r;
	if (ret_deleted)
		*ret_deleted = deleted;
	if (ret_revision)
		*ret_revision = h.revision;
	return 0;
}

static int check_ops(const struct sriov_etcd_op *ops, size_t n, bool *writes,
		     struct sriov_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (check_key("txn", ops[i].key, err) < 0)
			return -EINVAL;
		if ((unsigned)ops[i].type > SRIOV_ETCD_OP_DELETE)
			return sriov_error_set(
				err, -EINVAL,
				"etcd txn: op %zu has an unknown type %d (expected range, put or delete)",
				i, (int)ops[i].type);
		if (ops[i].type != SRIOV_ETCD_OP_RANGE)
			*writes = true;
	}
	return 0;
}

int sriov_etcd_txn(struct sriov_etcd *e, const struct sriov_etcd_txn *t,
		   struct sriov_etcd_txn_resp *ret, struct sriov_error *err)
{
	_cleanup_free_ char *body = NULL;
	struct buf b = { 0 };
	bool writes = false;
	int r;

	for (size_t i = 0; i < t->n_cmp; i++) {
		if (check_key("txn", t->cmp[i].key, err) < 0)
			return -EINVAL;
		if ((unsigned)t->cmp[i].target > SRIOV_ETCD_CMP_LEASE ||
		    (unsigned)t->cmp[i].result > SRIOV_ETCD_NOT_EQUAL)
			return sriov_error_set(
				err, -EINVAL,
				"etcd txn: compare %zu has an unknown target or result",
				i);
	}
	if ((r = check_ops(t->success, t->n_success, &writes, err)) < 0 ||
	    (r = check_ops(t->failure, t->n_failure, &writes, err)) < 0)
		return r;
	body = etcd_gw_txn_req(t);
	r = call(e, "txn", "/v3/kv/txn", body, !writes, false, &b, err);
	if (r >= 0)
		r = etcd_gw_parse_txn(b.p, b.n, ret, err);
	free(b.p);
	return r;
}

int sriov_etcd_lease_grant(struct sriov_etcd *e, int64_t ttl, int64_t *ret_id,
			   int64_t *ret_ttl, struct sriov_error *err)
{
	_cleanup_free_ char *body = NULL;
	struct buf b = { 0 };
	int64_t id = 0, granted = 0;
	int r;

	if (ttl <= 0 || ttl > 9000000000LL)
		return sriov_error_set(
			err, -EINVAL,
			"etcd lease: TTL %" PRId64
			" s (expected a positive number of seconds)",
			ttl);
	body = etcd_gw_lease_grant_req(ttl);
	/* A second grant would leave an orphan lease (it expires): not
	 * harmful, but its ID would be lost, so no blind resend. */
	r = call(e, "lease grant", "/v3/lease/grant", body, false, false, &b,
		 err);
	if (r >= 0)
		r = etcd_gw_parse_lease(b.p, b.n, false, &id, &granted, err);
	free(b.p);
	if (r < 0)
		return r;
	if (id == 0)
		return sriov_error_set(
			err, -EPROTO,
			"etcd lease grant: the answer has no lease ID");
	*ret_id = id;
	if (ret_ttl)
		*ret_ttl = granted;
	return 0;
}

int sriov_etcd_lease_keepalive(struct sriov_etcd *e, int64_t id,
			       int64_t *ret_ttl, struct sriov_error *err)
{
	_cleanup_free_ char *body = etcd_gw_lease_id_req(id);
	struct buf b = { 0 };
	int64_t rid = 0, ttl = 0;
	int r;

	r = call(e, "lease keepalive", "/v3/lease/keepalive", body, true, true,
		 &b, err);
	if (r >= 0)
		r = etcd_gw_parse_lease(b.p, b.n, true, &rid, &ttl, err);
	free(b.p);
	if (r < 0)
		return r;
	/* etcd answers an unknown or expired lease with TTL 0. */
	if (ttl <= 0)
		return sriov_error_set(
			err, -ENOENT,
			"etcd lease %" PRId64
			" has expired or was revoked: its keys are gone",
			id);
	if (ret_ttl)
		*ret_ttl = ttl;
	return 0;
}

int sriov_etcd_lease_revoke(struct sriov_etcd *e, int64_t id,
			    struct sriov_error *err)
{
	_cleanup_free_ char *body = etcd_gw_lease_id_req(id);
	struct buf b = { 0 };
	struct sriov_etcd_header h;
	int r;

	r = call(e, "lease revoke", "/v3/lease/revoke", body, true, false, &b,
		 err);
	if (r >= 0)
		r = etcd_gw_parse_put(b.p, b.n, &h, err);
	free(b.p);
	return r;
}

int sriov_etcd_lease_ttl(struct sriov_etcd *e, int64_t id, int64_t *ret_ttl,
			 struct sriov_error *err)
{
	_cleanup_free_ char *body = etcd_gw_lease_id_req(id);
	struct buf b = { 0 };
	int64_t rid = 0, ttl = 0;
	int r;

	r = call(e, "lease timetolive", "/v3/lease/timetolive", body, true,
		 false, &b, err);
	if (r >= 0)
		r = etcd_gw_parse_lease(b.p, b.n, false, &rid, &ttl, err);
	free(b.p);
	if (r < 0)
		return r;
	/* etcd answers a lease it does not have with TTL -1. */
	if (ttl < 0)
		return sriov_error_set(
			err, -ENOENT,
			"etcd lease %" PRId64
			" does not exist (expired or revoked): its keys are gone",
			id);
	if (ret_ttl)
		*ret_ttl = ttl;
	return 0;
}
