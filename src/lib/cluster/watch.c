/* SPDX-License-Identifier: MIT */
/*
 * A watch: etcd's /v3/watch is a POST whose answer streams one JSON
 * message per line for as long as the connection lasts. libcurl's multi
 * interface runs the transfer without blocking; its sockets go into an
 * epoll set whose one descriptor the caller polls, and its timers into a
 * deadline the caller's loop honours (sriov_etcd_watch_timeout()).
 *
 * What makes it resumable: next_rev, the revision after the last one
 * delivered (or reported as passed by a progress notification). Every
 * stream is opened at next_rev, and an event below it is a repeat and
 * dropped, so reconnecting anywhere at any time neither loses nor repeats
 * an event. A message holds whole revisions (etcd's watcher batches), so
 * next_rev moves only between messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <curl/curl.h>

#include "cluster/internal.h"
#include "util/macro.h"
#include "util/banned.h"

#define DEFAULT_IDLE_MS 60000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct sriov_etcd_watch {
	struct sriov_etcd *e;
	char *key, *range_end;
	bool prev_kv;
	unsigned idle_ms;

	int64_t next_rev; /* 0: from now, until the first stream says */
	CURLM *m;
	CURL *h;
	struct curl_slist *headers;
	char *body;
	bool active; /* h is in m */
	bool end; /* the current stream is to be dropped */
	bool streaming; /* the server said "created" */
	bool compacted;
	int epfd;
	int64_t curl_deadline, retry_at, last_data; /* ms, -1: none */
	size_t endpoint;
	unsigned fails_in_row;
	unsigned connects, failures;
	char last_error[256];
	char errbuf[CURL_ERROR_SIZE];

	char *line;
	size_t line_n, line_cap;

	struct sriov_etcd_event *q;
	size_t q_head, q_n, q_cap;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sock_cb(CURL *h, curl_socket_t s, int what, void *userp,
		   void *socketp)
{
	struct sriov_etcd_watch *w = userp;
	struct epoll_event ev = { .data.fd = s };

	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
		    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct sriov_etcd_watch *w = userp;

	w->curl_deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

static int enqueue(struct sriov_etcd_watch *w, struct sriov_etcd_event *ev)
{
	if (w->q_head && w->q_head == w->q_n)
		w->q_head = w->q_n = 0;
	if (w->q_n == w->q_cap) {
		size_t cap = w->q_cap ? w->q_cap * 2 : 16;
		struct sriov_etcd_event *q = realloc(w->q, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		w->q = q;
		w->q_cap = cap;
	}
	w->q[w->q_n++] = *ev;
	memset(ev, 0, sizeof(*ev));
	return 0;
}

static void stop(struct sriov_etcd_watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void stop(struct sriov_etcd_watch *w, const char *fmt, ...)
{
	va_list ap;

	w->end = true;
	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof(w->last_error), fmt, ap);
	va_end(ap);
}

static void handle_line(struct sriov_etcd_watch *w, const char *s, size_t n)
{
	struct etcd_gw_watch_msg m;
	struct sriov_error err = { 0 };
	int64_t from = w->next_rev, last = 0;

	while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (!n)
		return;
	if (etcd_gw_parse_watch(s, n, &m, &err) < 0) {
		stop(w, "%s", err.msg);
		return;
	}
	if (m.error) {
		stop(w, "etcd: %s", m.cancel_reason);
		goto out;
	}
	if (m.created) {
		w->streaming = true;
		w->connects++;
		w->fails_in_row = 0;
		if (!w->next_rev)
			w->next_rev = m.header.revision + 1;
		from = w->next_rev;
	}
	for (size_t i = 0; i < m.n_events; i++) {
		struct sriov_etcd_event *ev = &m.events[i];

		if (ev->revision < from)
			continue; /* delivered before a reconnect */
		last = ev->revision;
		if (enqueue(w, ev) < 0) {
			stop(w, "out of memory");
			goto out;
		}
	}
	if (last)
		w->next_rev = last + 1;
	else if (!m.created && !m.canceled && !m.n_events &&
		 m.header.revision >= w->next_rev)
		/* A progress notification: all before it was sent. */
		w->next_rev = m.header.revision + 1;
	if (m.canceled && m.compact_revision) {
		struct sriov_etcd_event ev = {
			.type = SRIOV_ETCD_EVENT_COMPACTED,
			.compact_revision = m.compact_revision,
		};

		w->compacted = true;
		if (enqueue(w, &ev) < 0)
			w->compacted = false;
		stop(w,
		     "revision %" PRId64
		     " is compacted (the oldest left is %" PRId64 ")",
		     w->next_rev, m.compact_revision);
	} else if (m.canceled) {
		stop(w, "etcd canceled the watch: %s",
		     *m.cancel_reason ? m.cancel_reason : "no reason given");
	}
out:
	etcd_gw_watch_msg_release(&m);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sriov_etcd_watch *w = userp;
	size_t len = size * nmemb, max = etcd_conn(w->e)->max_response;

	w->last_data = now_ms();
	for (size_t i = 0; i < len && !w->end; i++) {
		if (data[i] == '\n') {
			handle_line(w, w->line, w->line_n);
			w->line_n = 0;
			continue;
		}
		if (w->line_n + 2 > w->line_cap) {
			size_t cap = w->line_cap ? w->line_cap * 2 : 4096;
			char *p;

			if (w->line_n + 2 > max) {
				stop(w, "a watch message over %zu bytes", max);
				break;
			}
			p = realloc(w->line, cap);
			if (!p) {
				stop(w, "out of memory");
				break;
			}
			w->line = p;
			w->line_cap = cap;
		}
		w->line[w->line_n++] = data[i];
	}
	/* 0 aborts the transfer: the stream is over. */
	return w->end ? 0 : len;
}

static void detach(struct sriov_etcd_watch *w)
{
	if (w->active)
		curl_multi_remove_handle(w->m, w->h);
	w->active = false;
	w->end = false;
	w->streaming = false;
	w->line_n = 0;
}

static void start(struct sriov_etcd_watch *w)
{
	struct sriov_etcd_watch_opts o = { .key = w->key,
					   .range_end = w->range_end,
					   .prev_kv = w->prev_kv };
	char url[512];
	int running;

	w->retry_at = -1;
	free(w->body);
	w->body = etcd_gw_watch_req(&o, w->next_rev);
	if (!w->body) {
		snprintf(w->last_error, sizeof(w->last_error), "out of memory");
		w->retry_at = now_ms() + BACKOFF_MAX_MS;
		return;
	}
	snprintf(url, sizeof(url), "%s/v3/watch",
		 etcd_endpoint(w->e, w->endpoint));
	curl_easy_setopt(w->h, CURLOPT_URL, url);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, w->body);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE, (long)strlen(w->body));
	w->errbuf[0] = '\0';
	w->last_data = now_ms();
	if (curl_multi_add_handle(w->m, w->h) != CURLM_OK) {
		snprintf(w->last_error, sizeof(w->last_error),
			 "libcurl refused the transfer");
		w->retry_at = now_ms() + BACKOFF_MAX_MS;
		return;
	}
	w->active = true;
	curl_multi_socket_action(w->m, CURL_SOCKET_TIMEOUT, 0, &running);
}

/* The stream is over: reconnect to the next endpoint, soon. */
static void ended(struct sriov_etcd_watch *w, const char *why)
{
	size_t n = etcd_n_endpoints(w->e);
	unsigned delay = 0;

	if (why)
		snprintf(w->last_error, sizeof(w->last_error), "%s", why);
	if (!w->streaming)
		w->fails_in_row++;
	w->failures++;
	detach(w);
	if (w->compacted)
		return;
	w->endpoint = (w->endpoint + 1) % n;
	/* One pass over the endpoints at once, then back off. */
	if (w->fails_in_row >= n) {
		unsigned k = w->fails_in_row - n;

		delay = BACKOFF_MIN_MS << (k < 5 ? k : 5);
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
	}
	w->retry_at = now_ms() + delay;
}

void sriov_etcd_watch_close(struct sriov_etcd_watch *w)
{
	if (!w)
		return;
	detach(w);
	if (w->h)
		curl_easy_cleanup(w->h);
	if (w->m)
		curl_multi_cleanup(w->m);
	curl_slist_free_all(w->headers);
	if (w->epfd >= 0)
		close(w->epfd);
	for (size_t i = w->q_head; i < w->q_n; i++)
		sriov_etcd_event_release(&w->q[i]);
	free(w->q);
	free(w->line);
	free(w->body);
	free(w->key);
	free(w->range_end);
	free(w);
}

int sriov_etcd_watch_open(struct sriov_etcd *e,
			  const struct sriov_etcd_watch_opts *o,
			  struct sriov_etcd_watch **ret,
			  struct sriov_error *err)
{
	struct sriov_etcd_watch *w;

	if (!o || !o->key || !*o->key)
		return sriov_error_set(
			err, -EINVAL,
			"etcd watch: empty key (expected a key or a prefix)");
	if (o->start_revision < 0)
		return sriov_error_set(err, -EINVAL,
				       "etcd watch: start revision %" PRId64
				       " (expected 0 for now, or a revision)",
				       o->start_revision);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->epfd = -1;
	w->e = e;
	w->prev_kv = o->prev_kv;
	w->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : DEFAULT_IDLE_MS;
	w->next_rev = o->start_revision;
	w->curl_deadline = w->retry_at = -1;
	w->endpoint = sriov_etcd_current_endpoint(e);
	w->key = strdup(o->key);
	w->range_end = o->range_end ? strdup(o->range_end) : NULL;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->m = curl_multi_init();
	w->h = curl_easy_init();
	w->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (w->headers)
		w->headers = curl_slist_append(w->headers,
					       "Grpc-Metadata-hasleader: true");
	if (!w->key || (o->range_end && !w->range_end) || w->epfd < 0 ||
	    !w->m || !w->h || !w->headers) {
		int r = w->epfd < 0 ? -errno : -ENOMEM;

		sriov_etcd_watch_close(w);
		return sriov_error_set(err, r, "etcd watch: cannot set up");
	}
	curl_multi_setopt(w->m, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(w->m, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->m, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(w->m, CURLMOPT_TIMERDATA, w);
	if (etcd_easy_setup(e, w->h, w->headers) < 0) {
		sriov_etcd_watch_close(w);
		return sriov_error_set(err, -EINVAL,
				       "etcd watch: cannot set up");
	}
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_ERRORBUFFER, w->errbuf);
	start(w);
	*ret = w;
	return 0;
}

int sriov_etcd_watch_fd(const struct sriov_etcd_watch *w)
{
	return w->epfd;
}

int sriov_etcd_watch_timeout(const struct sriov_etcd_watch *w)
{
	int64_t now = now_ms(), t = -1;
	int64_t d[3] = { w->curl_deadline, w->retry_at,
			 w->active ? w->last_data + w->idle_ms : -1 };

	if (w->q_head < w->q_n)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(d); i++)
		if (d[i] >= 0 && (t < 0 || d[i] < t))
			t = d[i];
	if (t < 0)
		return -1;
	t -= now;
	return t < 0 ? 0 : t > 60000 ? 60000 : (int)t;
}

static void reap(struct sriov_etcd_watch *w)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(w->m, &left))) {
		char why[300];

		if (msg->msg != CURLMSG_DONE || msg->easy_handle != w->h)
			continue;
		if (w->end)
			why[0] = '\0'; /* stop() said why */
		else if (msg->data.result != CURLE_OK)
			snprintf(why, sizeof(why), "%s: %s",
				 etcd_endpoint(w->e, w->endpoint),
				 *w->errbuf ?
					 w->errbuf :
					 curl_easy_strerror(msg->data.result));
		else
			snprintf(why, sizeof(why), "%s closed the stream",
				 etcd_endpoint(w->e, w->endpoint));
		/* What is left of a line when the stream closes is a last
		 * message (an error object comes without its newline). */
		if (!w->end && w->line_n)
			handle_line(w, w->line, w->line_n);
		ended(w, *why ? why : NULL);
	}
}

int sriov_etcd_watch_step(struct sriov_etcd_watch *w, struct sriov_error *err)
{
	struct epoll_event evs[8];
	int n, running;

	n = epoll_wait(w->epfd, evs, ARRAY_SIZE(evs), 0);
	for (int i = 0; i < n; i++) {
		int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (evs[i].events & (EPOLLERR | EPOLLHUP) ?
				     CURL_CSELECT_ERR :
				     0);

		curl_multi_socket_action(w->m, evs[i].data.fd, flags, &running);
	}
	if (w->curl_deadline >= 0 && now_ms() >= w->curl_deadline) {
		w->curl_deadline = -1;
		curl_multi_socket_action(w->m, CURL_SOCKET_TIMEOUT, 0,
					 &running);
	}
	reap(w);
	if (w->active && now_ms() - w->last_data >= (int64_t)w->idle_ms) {
		char why[300];

		snprintf(why, sizeof(why),
			 "%s: nothing heard for %u ms (taken as hung)",
			 etcd_endpoint(w->e, w->endpoint), w->idle_ms);
		ended(w, why);
	}
	if (!w->active && !w->compacted && w->retry_at >= 0 &&
	    now_ms() >= w->retry_at)
		start(w);
	reap(w);
	(void)err;
	return (int)(w->q_n - w->q_head);
}

int sriov_etcd_watch_next(struct sriov_etcd_watch *w,
			  struct sriov_etcd_event *ret)
{
	if (w->q_head >= w->q_n)
		return 0;
	*ret = w->q[w->q_head];
	memset(&w->q[w->q_head], 0, sizeof(w->q[0]));
	w->q_head++;
	if (w->q_head == w->q_n)
		w->q_head = w->q_n = 0;
	return 1;
}

int sriov_etcd_watch_wait(struct sriov_etcd_watch *w, int timeout_ms,
			  struct sriov_error *err)
{
	int64_t until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = w->epfd, .events = POLLIN };
		int n = sriov_etcd_watch_step(w, err), t;

		if (n != 0)
			return n;
		t = sriov_etcd_watch_timeout(w);
		if (until >= 0) {
			int64_t left = until - now_ms();

			if (left <= 0)
				return 0;
			if (t < 0 || t > left)
				t = (int)left;
		}
		if (poll(&p, 1, t) < 0 && errno != EINTR)
			return sriov_error_set(err, -errno,
					       "etcd watch: poll: %s",
					       strerror(errno));
	}
}

int sriov_etcd_watch_restart(struct sriov_etcd_watch *w, int64_t start_revision,
			     struct sriov_error *err)
{
	if (start_revision <= 0)
		return sriov_error_set(
			err, -EINVAL,
			"etcd watch: restart at revision %" PRId64
			" (expected the revision after the read)",
			start_revision);
	detach(w);
	w->compacted = false;
	w->fails_in_row = 0;
	w->next_rev = start_revision;
	start(w);
	return 0;
}

void sriov_etcd_watch_stats(const struct sriov_etcd_watch *w,
			    struct sriov_etcd_watch_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->next_revision = w->next_rev;
	ret->connects = w->connects;
	ret->failures = w->failures;
	ret->endpoint = w->endpoint;
	ret->streaming = w->streaming;
	ret->compacted = w->compacted;
	snprintf(ret->last_error, sizeof(ret->last_error), "%s", w->last_error);
}
