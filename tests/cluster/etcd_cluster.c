/* SPDX-License-Identifier: MIT */
/*
 * The etcd client against real etcd members (tests/cluster/run starts
 * them): every call, the election, GUID claims raced by two processes,
 * failover when a member dies, no quorum and recovery, a watch that
 * survives a member's restart, a compaction and a hung member without
 * losing or repeating an event, TLS with client certificates, and the
 * latency of each call.
 *
 *   tests/cluster/run build/tests/cluster/etcd_cluster [TEST...]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sriov/cluster.h>

#include "check.h"
#define CHECK_OK(r, err) CHECK((r) >= 0, "returned %d: %s", (int)(r), (err).msg)

static char *endpoints[3];
static size_t n_endpoints;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ctl(const char *fmt, ...)
{
	char cmd[1024], arg[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(arg, sizeof(arg), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", getenv("ETCD_CTL"), arg);
	r = system(cmd);
	if (r != 0) {
		printf("FATAL: '%s' failed (%d)\n", cmd, r);
		exit(1);
	}
}

static struct sriov_etcd *client(unsigned request_ms)
{
	struct sriov_etcd_opts o = {
		.endpoints = (const char *const *)endpoints,
		.n_endpoints = n_endpoints,
		.connect_timeout_ms = 500,
		.request_timeout_ms = request_ms,
	};
	struct sriov_error err = { 0 };
	struct sriov_etcd *e;

	if (sriov_etcd_open(&o, &e, &err) < 0) {
		printf("FATAL: open: %s\n", err.msg);
		exit(1);
	}
	return e;
}

/* The next client starts at the next member. */
static void endpoints_rotate(void)
{
	char *first = endpoints[0];

	for (size_t i = 1; i < n_endpoints; i++)
		endpoints[i - 1] = endpoints[i];
	endpoints[n_endpoints - 1] = first;
}

static int put(struct sriov_etcd *e, const char *key, const char *value,
	       int64_t lease, int64_t *rev, struct sriov_error *err)
{
	return sriov_etcd_put(e, key, value, strlen(value), lease, rev, err);
}

/* Keep trying a put until the store takes it, for up to @secs. */
static int64_t put_when_ready(struct sriov_etcd *e, const char *key,
			      const char *value, int secs)
{
	int64_t until = now_us() + (int64_t)secs * 1000000, rev = 0;

	while (now_us() < until) {
		if (put(e, key, value, 0, &rev, NULL) == 0)
			return rev;
		usleep(100000);
	}
	return -1;
}

static void test_kv(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_range_resp r;
	struct sriov_etcd_range_opts o = { .range_end = "/it/kv0", .limit = 2 };
	int64_t rev1, rev2, n;
	char key[64], val[16];
	int rc;

	CHECK_OK(put(e, "/it/kv/a", "1", 0, &rev1, &err), err);
	CHECK_OK(put(e, "/it/kv/b", "2", 0, NULL, &err), err);
	CHECK_OK(put(e, "/it/kv/a", "one", 0, &rev2, &err), err);
	CHECK(rev2 > rev1, "revisions %" PRId64 " then %" PRId64, rev1, rev2);
	rc = sriov_etcd_range(e, "/it/kv/a", NULL, &r, &err);
	CHECK_OK(rc, err);
	CHECK(rc == 0 && r.n_kvs == 1 && !strcmp(r.kvs[0].value, "one") &&
		      r.kvs[0].version == 2 &&
		      r.kvs[0].create_revision == rev1 &&
		      r.kvs[0].mod_revision == rev2,
	      "range a");
	sriov_etcd_range_resp_release(&r);
	/* MVCC: the value at the first revision */
	o = (struct sriov_etcd_range_opts){ .revision = rev1 };
	rc = sriov_etcd_range(e, "/it/kv/a", &o, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && !strcmp(r.kvs[0].value, "1"),
	      "range at revision %" PRId64, rev1);
	sriov_etcd_range_resp_release(&r);

	for (int i = 0; i < 21; i++) {
		snprintf(key, sizeof(key), "/it/kv/p%02d", i);
		snprintf(val, sizeof(val), "%d", i);
		CHECK_OK(put(e, key, val, 0, NULL, &err), err);
	}
	o = (struct sriov_etcd_range_opts){ .range_end = "/it/kv0",
					    .limit = 2 };
	rc = sriov_etcd_range(e, "/it/kv/", &o, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 2 && r.more && r.count == 23,
	      "limit 2: %zu kvs, more %d, count %" PRId64, r.n_kvs, r.more,
	      r.count);
	sriov_etcd_range_resp_release(&r);
	o = (struct sriov_etcd_range_opts){ .range_end = "/it/kv0",
					    .count_only = true };
	rc = sriov_etcd_range(e, "/it/kv/", &o, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 0 && r.count == 23, "count only");
	sriov_etcd_range_resp_release(&r);
	o = (struct sriov_etcd_range_opts){ .range_end = "/it/kv0",
					    .keys_only = true,
					    .limit = 1 };
	rc = sriov_etcd_range(e, "/it/kv/", &o, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && r.kvs[0].value_len == 0 &&
		      !strcmp(r.kvs[0].key, "/it/kv/a"),
	      "keys only");
	sriov_etcd_range_resp_release(&r);

	/* By pages of 4, at one revision, in key order. */
	rc = sriov_etcd_range_all(e, "/it/kv/", "/it/kv0", 4, &r, &err);
	CHECK_OK(rc, err);
	CHECK(rc == 0 && r.n_kvs == 23 && !r.more, "range_all: %zu", r.n_kvs);
	for (size_t i = 1; rc == 0 && i < r.n_kvs; i++)
		CHECK(strcmp(r.kvs[i - 1].key, r.kvs[i].key) < 0,
		      "order at %zu", i);
	CHECK(rc == 0 && !strcmp(r.kvs[2].key, "/it/kv/p00") &&
		      !strcmp(r.kvs[22].value, "20"),
	      "range_all content");
	sriov_etcd_range_resp_release(&r);

	rc = sriov_etcd_delete(e, "/it/kv/b", NULL, &n, NULL, &err);
	CHECK(rc == 0 && n == 1, "delete b: %d %" PRId64, rc, n);
	rc = sriov_etcd_delete(e, "/it/kv/b", NULL, &n, NULL, &err);
	CHECK(rc == 0 && n == 0, "delete b again: %" PRId64, n);
	rc = sriov_etcd_delete(e, "/it/kv/p", "/it/kv/q", &n, &rev2, &err);
	CHECK(rc == 0 && n == 21, "delete range: %" PRId64, n);

	/* A compacted revision is a definite answer: -ERANGE. */
	ctl("compact %" PRId64, rev2);
	o = (struct sriov_etcd_range_opts){ .revision = rev1 };
	rc = sriov_etcd_range(e, "/it/kv/a", &o, &r, &err);
	CHECK(rc == -ERANGE && strstr(err.msg, "compacted"),
	      "range at a compacted revision: %d %s", rc, err.msg);
	rc = sriov_etcd_put(e, "", "x", 1, 0, NULL, &err);
	CHECK(rc == -EINVAL && strstr(err.msg, "empty key"), "empty key");
	sriov_etcd_close(e);
}

/*
 * Pages of a range read while another process rewrites it: the pages
 * after the first are asked for ahead, serializable, at the first one's
 * revision (sriov_etcd_range_all): the result must be exactly the range
 * read in one request at that revision, whichever member answers.
 */
static void test_pages_snapshot(void)
{
	struct sriov_etcd *e = client(5000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_range_resp all = { 0 }, one = { 0 };
	struct sriov_etcd_range_opts o = { .range_end = "/it/pg0" };
	char key[64], val[32];
	int rc, same = 0, rounds = 0;
	pid_t w;

	for (int i = 0; i < 600; i++) {
		snprintf(key, sizeof(key), "/it/pg/k%04d", i);
		CHECK_OK(put(e, key, "0", 0, NULL, &err), err);
	}
	w = fork();
	if (w == 0) {
		struct sriov_etcd *we = client(5000);

		for (unsigned n = 1;; n++) {
			snprintf(key, sizeof(key), "/it/pg/k%04u", n * 7 % 600);
			snprintf(val, sizeof(val), "%u", n);
			put(we, key, val, 0, NULL, NULL);
		}
	}
	CHECK(w > 0, "fork");
	/* several rounds, each from the member the last one ended on */
	for (; w > 0 && rounds < 8; rounds++) {
		rc = sriov_etcd_range_all(e, "/it/pg/", "/it/pg0", 50, &all,
					  &err);
		CHECK_OK(rc, err);
		if (rc < 0)
			break;
		o.revision = all.header.revision;
		rc = sriov_etcd_range(e, "/it/pg/", &o, &one, &err);
		CHECK_OK(rc, err);
		if (rc == 0 && all.n_kvs == one.n_kvs) {
			size_t i = 0;

			while (i < all.n_kvs &&
			       !strcmp(all.kvs[i].key, one.kvs[i].key) &&
			       !strcmp(all.kvs[i].value, one.kvs[i].value) &&
			       all.kvs[i].mod_revision ==
				       one.kvs[i].mod_revision)
				i++;
			CHECK(i == all.n_kvs,
			      "round %d: pages differ from revision %" PRId64
			      " at key %zu (%s=%s, there %s=%s)",
			      rounds, o.revision, i,
			      i < all.n_kvs ? all.kvs[i].key : "-",
			      i < all.n_kvs ? all.kvs[i].value : "-",
			      i < all.n_kvs ? one.kvs[i].key : "-",
			      i < all.n_kvs ? one.kvs[i].value : "-");
			same += i == all.n_kvs;
		} else {
			CHECK(0, "round %d: %zu keys by pages, %zu at once",
			      rounds, all.n_kvs, one.n_kvs);
		}
		sriov_etcd_range_resp_release(&all);
		sriov_etcd_range_resp_release(&one);
		/* the next round from another member */
		sriov_etcd_close(e);
		endpoints_rotate();
		e = client(5000);
	}
	if (w > 0) {
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
	}
	while (rounds++ % n_endpoints) /* the members' order as it was */
		endpoints_rotate();
	CHECK(same == 8, "%d of 8 rounds the snapshot", same);
	sriov_etcd_delete(e, "/it/pg/", "/it/pg0", NULL, NULL, &err);
	sriov_etcd_close(e);
}

static void test_txn(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_cmp absent = { .key = "/it/txn/k",
					 .target = SRIOV_ETCD_CMP_CREATE };
	struct sriov_etcd_op put1 = { .type = SRIOV_ETCD_OP_PUT,
				      .key = "/it/txn/k",
				      .value = "first",
				      .value_len = 5 };
	struct sriov_etcd_op get = { .type = SRIOV_ETCD_OP_RANGE,
				     .key = "/it/txn/k" };
	struct sriov_etcd_txn t = { &absent, 1, &put1, 1, &get, 1 };
	struct sriov_etcd_txn_resp tr;
	int rc;

	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == 0 && tr.succeeded && tr.n_responses == 1 &&
		      tr.responses[0].type == SRIOV_ETCD_OP_PUT,
	      "create-if-absent: %d %s", rc, err.msg);
	sriov_etcd_txn_resp_release(&tr);
	put1.value = "second";
	put1.value_len = 6;
	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == 0 && !tr.succeeded && tr.n_responses == 1 &&
		      tr.responses[0].n_kvs == 1 &&
		      !strcmp(tr.responses[0].kvs[0].value, "first"),
	      "create-if-absent on an existing key reads it");
	sriov_etcd_txn_resp_release(&tr);

	/* VALUE compare and a delete with prev_kv */
	struct sriov_etcd_cmp is_first = { .key = "/it/txn/k",
					   .target = SRIOV_ETCD_CMP_VALUE,
					   .value = "first",
					   .value_len = 5 };
	struct sriov_etcd_op del = { .type = SRIOV_ETCD_OP_DELETE,
				     .key = "/it/txn/k",
				     .prev_kv = true };
	struct sriov_etcd_txn t2 = { &is_first, 1, &del, 1, NULL, 0 };

	rc = sriov_etcd_txn(e, &t2, &tr, &err);
	CHECK(rc == 0 && tr.succeeded && tr.responses[0].deleted == 1 &&
		      tr.responses[0].n_kvs == 1 &&
		      !strcmp(tr.responses[0].kvs[0].value, "first"),
	      "value compare, delete with prev_kv");
	sriov_etcd_txn_resp_release(&tr);
	rc = sriov_etcd_txn(e, &t2, &tr, &err);
	CHECK(rc == 0 && !tr.succeeded && tr.n_responses == 0,
	      "value compare on a missing key fails");
	sriov_etcd_txn_resp_release(&tr);
	sriov_etcd_close(e);
}

static void test_lease(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_range_resp r;
	int64_t id, ttl, id2;
	int rc;

	rc = sriov_etcd_lease_grant(e, 30, &id, &ttl, &err);
	CHECK(rc == 0 && id != 0 && ttl == 30, "grant: %d %s", rc, err.msg);
	CHECK_OK(put(e, "/it/lease/k", "v", id, NULL, &err), err);
	rc = sriov_etcd_range(e, "/it/lease/k", NULL, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && r.kvs[0].lease == id, "key's lease");
	sriov_etcd_range_resp_release(&r);
	rc = sriov_etcd_lease_keepalive(e, id, &ttl, &err);
	CHECK(rc == 0 && ttl == 30, "keepalive: %d %s", rc, err.msg);
	ttl = -1;
	rc = sriov_etcd_lease_ttl(e, id, &ttl, &err);
	CHECK(rc == 0 && ttl > 25 && ttl <= 30, "timetolive: %d %s, %" PRId64,
	      rc, err.msg, ttl);
	rc = sriov_etcd_lease_revoke(e, id, &err);
	CHECK_OK(rc, err);
	rc = sriov_etcd_lease_ttl(e, id, &ttl, &err);
	CHECK(rc == -ENOENT && strstr(err.msg, "does not exist"),
	      "timetolive of a revoked lease: %d %s", rc, err.msg);
	rc = sriov_etcd_range(e, "/it/lease/k", NULL, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 0, "revoke deletes the lease's keys");
	sriov_etcd_range_resp_release(&r);
	rc = sriov_etcd_lease_keepalive(e, id, &ttl, &err);
	CHECK(rc == -ENOENT && strstr(err.msg, "expired or was revoked"),
	      "keepalive of a revoked lease: %d %s", rc, err.msg);
	rc = sriov_etcd_lease_revoke(e, id, &err);
	CHECK(rc == -ENOENT && strstr(err.msg, "lease not found"),
	      "revoke twice: %d %s", rc, err.msg);
	/* Expiry without keepalive: the keys go by themselves. */
	rc = sriov_etcd_lease_grant(e, 1, &id2, &ttl, &err);
	CHECK_OK(rc, err);
	CHECK_OK(put(e, "/it/lease/e", "v", id2, NULL, &err), err);
	for (int i = 0; i < 40; i++) {
		rc = sriov_etcd_range(e, "/it/lease/e", NULL, &r, &err);
		if (rc == 0 && r.n_kvs == 0)
			break;
		sriov_etcd_range_resp_release(&r);
		usleep(100000);
	}
	CHECK(rc == 0 && r.n_kvs == 0, "an expired lease's key is gone");
	sriov_etcd_range_resp_release(&r);
	rc = sriov_etcd_lease_ttl(e, id2, &ttl, &err);
	CHECK(rc == -ENOENT, "timetolive of an expired lease: %d %s", rc,
	      err.msg);
	rc = sriov_etcd_lease_grant(e, 0, &id, NULL, &err);
	CHECK(rc == -EINVAL, "TTL 0");
	sriov_etcd_close(e);
}

static void test_election(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_leader a = { 0 }, b = { 0 }, a2 = { 0 };
	struct sriov_etcd_kv holder = { 0 };
	int64_t la, lb;
	int rc;

	CHECK_OK(sriov_etcd_lease_grant(e, 30, &la, NULL, &err), err);
	CHECK_OK(sriov_etcd_lease_grant(e, 30, &lb, NULL, &err), err);
	rc = sriov_etcd_campaign(e, "/it/elect/fab0", "ctl-a", 5, la, &a, NULL,
				 &err);
	CHECK(rc == 1 && a.create_revision > 0, "a elected: %d %s", rc,
	      err.msg);
	rc = sriov_etcd_campaign(e, "/it/elect/fab0", "ctl-b", 5, lb, &b,
				 &holder, &err);
	CHECK(rc == 0 && !strcmp(holder.value, "ctl-a") && holder.lease == la,
	      "b sees a holding: %d", rc);
	sriov_etcd_kv_release(&holder);
	/* a restarted with its lease: the same term */
	rc = sriov_etcd_campaign(e, "/it/elect/fab0", "ctl-a", 5, la, &a2, NULL,
				 &err);
	CHECK(rc == 1 && a2.create_revision == a.create_revision,
	      "a again: same term");
	sriov_etcd_leader_release(&a2);

	/* The leader's guarded write goes through... */
	struct sriov_etcd_cmp guard = sriov_etcd_leader_cmp(&a);
	struct sriov_etcd_op status = { .type = SRIOV_ETCD_OP_PUT,
					.key = "/it/elect/status",
					.value = "by a",
					.value_len = 4 };
	struct sriov_etcd_txn t = { &guard, 1, &status, 1, NULL, 0 };
	struct sriov_etcd_txn_resp tr;

	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == 0 && tr.succeeded, "the leader writes");
	sriov_etcd_txn_resp_release(&tr);
	CHECK(sriov_etcd_leader_check(e, &a, &err) == 1, "a leads");

	/* ...and once deposed (its lease gone: it did not renew), not. */
	CHECK_OK(sriov_etcd_lease_revoke(e, la, &err), err);
	CHECK(sriov_etcd_leader_check(e, &a, &err) == 0, "a deposed");
	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == 0 && !tr.succeeded, "a deposed leader cannot write");
	sriov_etcd_txn_resp_release(&tr);
	rc = sriov_etcd_campaign(e, "/it/elect/fab0", "ctl-b", 5, lb, &b, NULL,
				 &err);
	CHECK(rc == 1 && b.create_revision > a.create_revision, "b elected");
	/* a's stale term fails against b's key too */
	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == 0 && !tr.succeeded, "a's term is not b's");
	sriov_etcd_txn_resp_release(&tr);
	CHECK(sriov_etcd_resign(e, &a, &err) == 0, "a cannot resign b's term");
	CHECK(sriov_etcd_resign(e, &b, &err) == 1, "b resigns");
	CHECK(sriov_etcd_leader_check(e, &b, &err) == 0, "nobody leads");
	sriov_etcd_leader_release(&a);
	sriov_etcd_leader_release(&b);
	sriov_etcd_close(e);
}

#define N_GUIDS 40

/* Two "hosts" claim the same GUIDs at once, each in its own process. */
static void test_claims(void)
{
	struct sriov_cluster_keys k;
	struct sriov_error err = { 0 };
	int fds[2][2];
	pid_t pid[2];
	char won[2][N_GUIDS];

	sriov_cluster_keys_init(&k, "/it/schema/", NULL);
	for (int h = 0; h < 2; h++) {
		if (pipe(fds[h]) < 0)
			exit(1);
		pid[h] = fork();
		if (pid[h] == 0) {
			struct sriov_etcd *e = client(2000);
			struct sriov_cluster_claim c;
			char res[N_GUIDS];
			int64_t lease;

			close(fds[h][0]);
			sriov_etcd_lease_grant(e, 60, &lease, NULL, NULL);
			for (int i = 0; i < N_GUIDS; i++) {
				snprintf(c.port, sizeof(c.port), "port-%d-%d",
					 h, i);
				snprintf(c.host, sizeof(c.host), "host%d", h);
				res[i] = (char)sriov_cluster_guid_claim(
					e, &k,
					0x0002c90300000100ull + (uint64_t)i, &c,
					lease, NULL);
			}
			if (write(fds[h][1], res, sizeof(res)) != sizeof(res))
				_exit(1);
			sriov_etcd_close(e);
			_exit(0);
		}
		close(fds[h][1]);
	}
	for (int h = 0; h < 2; h++) {
		int st;

		CHECK(read(fds[h][0], won[h], N_GUIDS) == N_GUIDS, "child %d",
		      h);
		close(fds[h][0]);
		waitpid(pid[h], &st, 0);
	}
	unsigned wins[2] = { 0 };
	struct sriov_etcd *e = client(2000);

	for (int i = 0; i < N_GUIDS; i++) {
		char key[SRIOV_CLUSTER_KEY_MAX], g[19];
		struct sriov_etcd_range_resp r;
		struct sriov_cluster_claim c;

		CHECK(won[0][i] + won[1][i] == 1, "guid %d: won %d and %d", i,
		      won[0][i], won[1][i]);
		wins[0] += won[0][i] == 1;
		wins[1] += won[1][i] == 1;
		sriov_cluster_key(
			&k, SRIOV_CLUSTER_GUID,
			sriov_guid_format(0x0002c90300000100ull + (uint64_t)i,
					  g),
			key, NULL);
		if (sriov_etcd_range(e, key, NULL, &r, &err) == 0 &&
		    r.n_kvs == 1 &&
		    sriov_cluster_claim_parse(key, r.kvs[0].value,
					      r.kvs[0].value_len, &c,
					      &err) == 0)
			CHECK(!strcmp(c.host,
				      won[0][i] == 1 ? "host0" : "host1"),
			      "guid %d is held by the winner", i);
		else
			CHECK(0, "guid %d: no claim: %s", i, err.msg);
		sriov_etcd_range_resp_release(&r);
	}
	printf("claims: %u GUIDs raced by two processes: %u and %u won, none twice\n",
	       N_GUIDS, wins[0], wins[1]);

	/* A port is published only with its own claim. */
	int64_t lease;
	struct sriov_cluster_port p = { .id = "port-x",
					.host = "host9",
					.physnet = "ibnet",
					.vf = "0000:41:00.1",
					.vlan = -1,
					.infiniband = true,
					.fabric = "fab0",
					.pkey = 0x0a01,
					.membership = SRIOV_MEMBER_FULL,
					.guid = 0x0002c90300000100ull };
	struct sriov_cluster_claim mine = { "port-x", "host9" };
	int rc;

	CHECK_OK(sriov_etcd_lease_grant(e, 60, &lease, NULL, &err), err);
	rc = sriov_cluster_port_publish(e, &k, &p, lease, &err);
	CHECK(rc == -ESTALE && strstr(err.msg, "not its own"),
	      "publish with another's claim: %d %s", rc, err.msg);
	rc = sriov_cluster_guid_claim(e, &k, p.guid, &mine, lease, &err);
	CHECK(rc == 0 && strstr(err.msg, "is held by port port-"),
	      "claim held: %d %s", rc, err.msg);
	p.guid = 0x0002c90300000a00ull;
	CHECK(sriov_cluster_guid_claim(e, &k, p.guid, &mine, lease, &err) == 1,
	      "claim: %s", err.msg);
	CHECK(sriov_cluster_guid_claim(e, &k, p.guid, &mine, lease, &err) == 1,
	      "claim again: ours");
	rc = sriov_cluster_port_publish(e, &k, &p, lease, &err);
	CHECK_OK(rc, err);

	/* A bad value among the ports is skipped, named by its key, and
	 * the others still parse. */
	CHECK_OK(put(e, "/it/schema/v1/ports/broken",
		     "{\"port\":\"broken\",\"pkey\":\"0x8001\"}", 0, NULL,
		     &err),
		 err);
	struct sriov_etcd_range_resp r;
	char pfx[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	unsigned good = 0, bad = 0;

	sriov_cluster_key_prefix(&k, SRIOV_CLUSTER_PORT, pfx);
	sriov_etcd_prefix_end(pfx, end, sizeof(end));
	rc = sriov_etcd_range_all(e, pfx, end, 0, &r, &err);
	CHECK_OK(rc, err);
	for (size_t i = 0; rc == 0 && i < r.n_kvs; i++) {
		struct sriov_cluster_port q;
		struct sriov_error perr = { 0 };

		if (sriov_cluster_port_parse(r.kvs[i].key, r.kvs[i].value,
					     r.kvs[i].value_len, &q,
					     &perr) == 0) {
			good++;
			CHECK(q.guid == p.guid, "the good port");
		} else {
			bad++;
			CHECK(strstr(perr.msg,
				     "/it/schema/v1/ports/broken: ") != NULL,
			      "the error names the key: %s", perr.msg);
		}
	}
	CHECK(good == 1 && bad == 1, "good %u bad %u", good, bad);
	sriov_etcd_range_resp_release(&r);

	CHECK_OK(sriov_cluster_port_unpublish(e, &k, &p, &err), err);
	CHECK(sriov_cluster_guid_release(e, &k, p.guid, &mine, &err) == 0,
	      "unpublish released the claim");
	CHECK(sriov_cluster_guid_claim(e, &k, p.guid, &mine, lease, &err) == 1,
	      "the GUID is free again");
	sriov_etcd_close(e);
}

/* Drain @w for up to @ms, appending PUT values to @got. */
static int collect(struct sriov_etcd_watch *w, int want, int ms, int64_t *revs,
		   char (*vals)[16], int *n, struct sriov_etcd_event *compacted)
{
	int64_t until = now_us() + (int64_t)ms * 1000;
	struct sriov_etcd_event ev;

	while (*n < want && now_us() < until) {
		int left = (int)((until - now_us()) / 1000);

		sriov_etcd_watch_wait(w, left > 0 ? left : 0, NULL);
		while (sriov_etcd_watch_next(w, &ev) == 1) {
			if (ev.type == SRIOV_ETCD_EVENT_COMPACTED) {
				if (compacted)
					*compacted = ev;
				return -ERANGE;
			}
			if (*n < want) {
				revs[*n] = ev.revision;
				snprintf(vals[*n], 16, "%s",
					 ev.type == SRIOV_ETCD_EVENT_DELETE ?
						 "(deleted)" :
						 ev.kv.value);
			}
			(*n)++;
			sriov_etcd_event_release(&ev);
		}
	}
	return 0;
}

static void test_watch(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_watch *w;
	struct sriov_etcd_event ev;
	int64_t rev;
	int rc, n = 0;

	CHECK_OK(put(e, "/it/w1/start", "s", 0, &rev, &err), err);
	struct sriov_etcd_watch_opts o = { .key = "/it/w1/",
					   .range_end = "/it/w10",
					   .start_revision = rev + 1,
					   .prev_kv = true };

	rc = sriov_etcd_watch_open(e, &o, &w, &err);
	CHECK_OK(rc, err);
	CHECK_OK(put(e, "/it/w1/x", "1", 0, NULL, &err), err);
	CHECK_OK(put(e, "/it/w1/x", "2", 0, NULL, &err), err);
	CHECK_OK(sriov_etcd_delete(e, "/it/w1/x", NULL, NULL, NULL, &err), err);
	CHECK_OK(put(e, "/it/w1-not-watched", "3", 0, NULL, &err), err);
	while (n < 3 && sriov_etcd_watch_wait(w, 3000, &err) > 0) {
		while (sriov_etcd_watch_next(w, &ev) == 1) {
			switch (n++) {
			case 0:
				CHECK(ev.type == SRIOV_ETCD_EVENT_PUT &&
					      !strcmp(ev.kv.value, "1") &&
					      !ev.has_prev_kv &&
					      ev.revision == rev + 1,
				      "event 1");
				break;
			case 1:
				CHECK(ev.type == SRIOV_ETCD_EVENT_PUT &&
					      !strcmp(ev.kv.value, "2") &&
					      ev.has_prev_kv &&
					      !strcmp(ev.prev_kv.value, "1") &&
					      ev.revision == rev + 2,
				      "event 2");
				break;
			case 2:
				CHECK(ev.type == SRIOV_ETCD_EVENT_DELETE &&
					      !strcmp(ev.kv.key, "/it/w1/x") &&
					      ev.revision == rev + 3,
				      "event 3");
				break;
			default:
				CHECK(0, "an event outside the range: %s",
				      ev.kv.key);
			}
			sriov_etcd_event_release(&ev);
		}
	}
	CHECK(n == 3, "3 events, got %d", n);
	/* fd and timeout are what a poll loop needs */
	CHECK(sriov_etcd_watch_fd(w) >= 0, "fd");
	int t = sriov_etcd_watch_timeout(w);

	CHECK(t >= 0 && t <= 60000, "a stream's timeout is due: %d", t);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(e);
}

#define N_EVENTS 300

/*
 * A watch resumes after the member it streams from is killed and
 * restarted: every one of N_EVENTS puts arrives once, in order.
 */
static void test_watch_restart(void)
{
	struct sriov_etcd *e = client(2000), *wc = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_watch *w;
	struct sriov_etcd_watch_stats st;
	static int64_t revs[N_EVENTS + 10];
	static char vals[N_EVENTS + 10][16];
	int64_t rev;
	int n = 0, victim = -1;

	CHECK_OK(put(e, "/it/w2", "s", 0, &rev, &err), err);
	struct sriov_etcd_watch_opts o = { .key = "/it/w2/",
					   .range_end = "/it/w20",
					   .start_revision = rev + 1 };

	CHECK_OK(sriov_etcd_watch_open(wc, &o, &w, &err), err);
	for (int i = 0; i < N_EVENTS; i++) {
		char key[32], val[16];

		if (i == 100) {
			sriov_etcd_watch_stats(w, &st);
			victim = (int)st.endpoint;
			ctl("kill %d", victim);
		}
		if (i == 200)
			ctl("start %d", victim);
		snprintf(key, sizeof(key), "/it/w2/k%d", i % 7);
		snprintf(val, sizeof(val), "%d", i);
		CHECK_OK(put(e, key, val, 0, NULL, &err), err);
		sriov_etcd_watch_step(w, NULL);
		collect(w, N_EVENTS, 0, revs, vals, &n, NULL);
	}
	collect(w, N_EVENTS, 10000, revs, vals, &n, NULL);
	sriov_etcd_watch_stats(w, &st);
	CHECK(n == N_EVENTS, "%d events of %d (last error: %s)", n, N_EVENTS,
	      st.last_error);
	for (int i = 0; i < n && i < N_EVENTS; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", i);
		if (strcmp(vals[i], want) || (i && revs[i] <= revs[i - 1])) {
			CHECK(0,
			      "event %d is '%s' at %" PRId64
			      " (missed or repeated)",
			      i, vals[i], revs[i]);
			break;
		}
	}
	CHECK(st.connects >= 2 && st.failures >= 1,
	      "the watch reconnected: %u streams, %u ended", st.connects,
	      st.failures);
	printf("watch: %d events across member %d's kill and restart, %u streams (last ended: %s)\n",
	       n, victim, st.connects, st.last_error);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(wc);
	sriov_etcd_close(e);
}

/* Compaction: reported, then the caller reads again and restarts. */
static void test_watch_compacted(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_watch *w;
	struct sriov_etcd_event comp = { 0 };
	struct sriov_etcd_range_resp r;
	int64_t rev1, rev2, revs[4];
	char vals[4][16];
	int n = 0, rc;

	CHECK_OK(put(e, "/it/w3/a", "1", 0, &rev1, &err), err);
	CHECK_OK(put(e, "/it/w3/a", "2", 0, &rev2, &err), err);
	ctl("compact %" PRId64, rev2);
	struct sriov_etcd_watch_opts o = { .key = "/it/w3/",
					   .range_end = "/it/w30",
					   .start_revision = rev1 };

	CHECK_OK(sriov_etcd_watch_open(e, &o, &w, &err), err);
	rc = collect(w, 1, 3000, revs, vals, &n, &comp);
	CHECK(rc == -ERANGE && comp.compact_revision == rev2,
	      "compaction reported: %d, compact revision %" PRId64, rc,
	      comp.compact_revision);
	rc = sriov_etcd_range_all(e, "/it/w3/", "/it/w30", 0, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && !strcmp(r.kvs[0].value, "2"),
	      "read again");
	CHECK_OK(sriov_etcd_watch_restart(w, r.header.revision + 1, &err), err);
	sriov_etcd_range_resp_release(&r);
	CHECK_OK(put(e, "/it/w3/a", "3", 0, NULL, &err), err);
	n = 0;
	rc = collect(w, 1, 3000, revs, vals, &n, NULL);
	CHECK(rc == 0 && n == 1 && !strcmp(vals[0], "3"),
	      "after the restart: %d events", n);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(e);
}

/* A member that hangs (SIGSTOP): the watch's idle timeout moves on. */
static void test_watch_hung(void)
{
	struct sriov_etcd *e = client(1000), *wc = client(1000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_watch *w;
	struct sriov_etcd_watch_stats st;
	int64_t rev, revs[2];
	char vals[2][16];
	int n = 0, victim;

	CHECK_OK(put(e, "/it/w4/a", "0", 0, &rev, &err), err);
	struct sriov_etcd_watch_opts o = { .key = "/it/w4/",
					   .range_end = "/it/w40",
					   .start_revision = rev + 1,
					   .idle_timeout_ms = 800 };

	CHECK_OK(sriov_etcd_watch_open(wc, &o, &w, &err), err);
	collect(w, 1, 300, revs, vals, &n, NULL); /* stream is up */
	sriov_etcd_watch_stats(w, &st);
	victim = (int)st.endpoint;
	ctl("stop %d", victim);
	CHECK_OK(put(e, "/it/w4/a", "1", 0, NULL, &err), err);
	collect(w, 1, 6000, revs, vals, &n, NULL);
	sriov_etcd_watch_stats(w, &st);
	CHECK(n == 1 && !strcmp(vals[0], "1") && st.endpoint != (size_t)victim,
	      "the event came through another member: %d (%s)", n,
	      st.last_error);
	CHECK(strstr(st.last_error, "taken as hung") != NULL, "why: %s",
	      st.last_error);
	ctl("cont %d", victim);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(wc);
	sriov_etcd_close(e);
}

static void test_failover(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	size_t cur;
	int64_t t0;
	int rc;

	CHECK_OK(put(e, "/it/fo", "0", 0, NULL, &err), err);
	cur = sriov_etcd_current_endpoint(e);
	ctl("kill %zu", cur);
	t0 = now_us();
	rc = put(e, "/it/fo", "1", 0, NULL, &err);
	CHECK(rc == 0 && sriov_etcd_current_endpoint(e) != cur,
	      "a put moves to the next member: %d %s", rc, err.msg);
	printf("failover: put answered %" PRId64 " ms after member %zu died\n",
	       (now_us() - t0) / 1000, cur);
	struct sriov_etcd_range_resp r;

	rc = sriov_etcd_range(e, "/it/fo", NULL, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && !strcmp(r.kvs[0].value, "1"),
	      "and reads it back");
	sriov_etcd_range_resp_release(&r);
	ctl("start %zu", cur);
	sriov_etcd_close(e);
}

static void test_no_quorum(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	struct sriov_etcd_range_resp r;
	struct sriov_etcd_watch *w;
	int64_t rev, t0, lease, revs[2];
	char vals[2][16];
	int rc, n = 0;

	CHECK_OK(put(e, "/it/nq/a", "0", 0, &rev, &err), err);
	struct sriov_etcd_watch_opts o = { .key = "/it/nq/",
					   .range_end = "/it/nq0",
					   .start_revision = rev + 1 };

	CHECK_OK(sriov_etcd_watch_open(e, &o, &w, &err), err);
	ctl("kill 0");
	ctl("kill 1");
	usleep(1200000); /* member 2 sees its leader gone (election 500 ms) */
	t0 = now_us();
	rc = put(e, "/it/nq/a", "lost", 0, NULL, &err);
	CHECK(rc == -EAGAIN && strstr(err.msg, "no endpoint answered") &&
		      strstr(err.msg, "no leader"),
	      "put without quorum: %d %s", rc, err.msg);
	printf("no quorum: put failed in %" PRId64 " ms: %s\n",
	       (now_us() - t0) / 1000, err.msg);
	CHECK(now_us() - t0 < 1500000, "and fast");
	rc = sriov_etcd_range(e, "/it/nq/a", NULL, &r, &err);
	CHECK(rc == -EAGAIN, "range without quorum: %d %s", rc, err.msg);
	struct sriov_etcd_cmp c = { .key = "/it/nq/a" };
	struct sriov_etcd_op op = { .type = SRIOV_ETCD_OP_PUT,
				    .key = "/it/nq/b" };
	struct sriov_etcd_txn t = { &c, 1, &op, 1, NULL, 0 };
	struct sriov_etcd_txn_resp tr;

	rc = sriov_etcd_txn(e, &t, &tr, &err);
	CHECK(rc == -EAGAIN, "txn without quorum (never proposed): %d %s", rc,
	      err.msg);
	rc = sriov_etcd_lease_grant(e, 10, &lease, NULL, &err);
	CHECK(rc == -EAGAIN, "grant without quorum: %d %s", rc, err.msg);
	collect(w, 1, 500, revs, vals, &n, NULL);
	CHECK(n == 0, "no event without quorum");

	ctl("start 0");
	ctl("start 1");
	t0 = now_us();
	rev = put_when_ready(e, "/it/nq/a", "back", 15);
	CHECK(rev > 0, "the store takes writes again");
	printf("no quorum: writes again %" PRId64 " ms after the restarts\n",
	       (now_us() - t0) / 1000);
	collect(w, 1, 10000, revs, vals, &n, NULL);
	CHECK(n == 1 && !strcmp(vals[0], "back"),
	      "the watch resumes: %d events", n);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(e);
}

static void test_tls(void)
{
	const char *ep = getenv("ETCD_TLS_ENDPOINT"),
		   *dir = getenv("ETCD_TLS_DIR");
	char ca[512], cert[512], key[512], other[512];
	struct sriov_error err = { 0 };
	struct sriov_etcd *e;
	struct sriov_etcd_range_resp r;
	int rc;

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(other, sizeof(other), "%s/other-ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client-key.pem", dir);
	struct sriov_etcd_opts o = { .endpoints = &ep,
				     .n_endpoints = 1,
				     .request_timeout_ms = 2000,
				     .ca_file = ca,
				     .cert_file = cert,
				     .key_file = key };

	CHECK_OK(sriov_etcd_open(&o, &e, &err), err);
	rc = put(e, "/it/tls", "secret", 0, NULL, &err);
	CHECK(rc == 0, "put over TLS: %s", err.msg);
	rc = sriov_etcd_range(e, "/it/tls", NULL, &r, &err);
	CHECK(rc == 0 && r.n_kvs == 1 && !strcmp(r.kvs[0].value, "secret"),
	      "range over TLS");
	sriov_etcd_range_resp_release(&r);
	sriov_etcd_close(e);

	/* no client certificate: the member refuses the handshake */
	o.cert_file = o.key_file = NULL;
	CHECK_OK(sriov_etcd_open(&o, &e, &err), err);
	rc = put(e, "/it/tls", "x", 0, NULL, &err);
	CHECK(rc < 0 && strstr(err.msg, ep), "no client cert: %d %s", rc,
	      err.msg);
	printf("tls: without a client certificate: %s\n", err.msg);
	sriov_etcd_close(e);

	/* a CA that did not sign the member's certificate */
	o.ca_file = other;
	o.cert_file = cert;
	o.key_file = key;
	CHECK_OK(sriov_etcd_open(&o, &e, &err), err);
	rc = put(e, "/it/tls", "x", 0, NULL, &err);
	CHECK(rc == -EAGAIN && strstr(err.msg, "certificate"),
	      "wrong CA: %d %s", rc, err.msg);
	printf("tls: with another CA: %s\n", err.msg);
	sriov_etcd_close(e);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	printf("latency %-6s n=%d p50=%" PRId64 "us p99=%" PRId64
	       "us max=%" PRId64 "us\n",
	       what, n, v[n / 2], v[n * 99 / 100], v[n - 1]);
}

#define N_LAT 300

static void test_latency(void)
{
	struct sriov_etcd *e = client(2000);
	struct sriov_error err = { 0 };
	static int64_t lat[N_LAT];
	struct sriov_etcd_watch *w;
	struct sriov_etcd_event ev;
	int64_t rev;
	int bad = 0;

	for (int i = 0; i < N_LAT; i++) {
		int64_t t0 = now_us();

		bad += put(e, "/it/lat/k", "value", 0, NULL, &err) < 0;
		lat[i] = now_us() - t0;
	}
	report("put", lat, N_LAT);
	for (int i = 0; i < N_LAT; i++) {
		struct sriov_etcd_range_resp r;
		int64_t t0 = now_us();

		bad += sriov_etcd_range(e, "/it/lat/k", NULL, &r, &err) < 0;
		lat[i] = now_us() - t0;
		sriov_etcd_range_resp_release(&r);
	}
	report("range", lat, N_LAT);
	for (int i = 0; i < N_LAT; i++) {
		struct sriov_etcd_cmp c = { .key = "/it/lat/k",
					    .target = SRIOV_ETCD_CMP_VALUE,
					    .value = "value",
					    .value_len = 5 };
		struct sriov_etcd_op op = { .type = SRIOV_ETCD_OP_PUT,
					    .key = "/it/lat/k",
					    .value = "value",
					    .value_len = 5 };
		struct sriov_etcd_txn t = { &c, 1, &op, 1, NULL, 0 };
		struct sriov_etcd_txn_resp tr;
		int64_t t0 = now_us();

		bad += sriov_etcd_txn(e, &t, &tr, &err) < 0 || !tr.succeeded;
		lat[i] = now_us() - t0;
		sriov_etcd_txn_resp_release(&tr);
	}
	report("txn", lat, N_LAT);
	CHECK(bad == 0, "%d calls failed: %s", bad, err.msg);

	/* From the put's start to the event in the watcher's hands. */
	CHECK_OK(put(e, "/it/lat/w", "0", 0, &rev, &err), err);
	struct sriov_etcd_watch_opts o = { .key = "/it/lat/w",
					   .start_revision = rev + 1 };

	CHECK_OK(sriov_etcd_watch_open(e, &o, &w, &err), err);
	int got = 0;

	for (int i = 0; i < N_LAT; i++) {
		int64_t t0 = now_us();

		put(e, "/it/lat/w", "x", 0, NULL, &err);
		if (sriov_etcd_watch_wait(w, 2000, &err) > 0 &&
		    sriov_etcd_watch_next(w, &ev) == 1) {
			lat[got++] = now_us() - t0;
			sriov_etcd_event_release(&ev);
		}
	}
	CHECK(got == N_LAT, "watch delivered %d of %d", got, N_LAT);
	if (got)
		report("watch", lat, got);
	sriov_etcd_watch_close(w);
	sriov_etcd_close(e);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "kv", test_kv },
	{ "pages-snapshot", test_pages_snapshot },
	{ "txn", test_txn },
	{ "lease", test_lease },
	{ "election", test_election },
	{ "claims", test_claims },
	{ "watch", test_watch },
	{ "watch-compacted", test_watch_compacted },
	{ "latency", test_latency },
	{ "failover", test_failover },
	{ "watch-restart", test_watch_restart },
	{ "watch-hung", test_watch_hung },
	{ "no-quorum", test_no_quorum },
	{ "tls", test_tls },
};

int main(int argc, char **argv)
{
	char *list = getenv("ETCD_ENDPOINTS"), *save = NULL;

	if (!list || !getenv("ETCD_CTL") || !getenv("ETCD_TLS_DIR")) {
		printf("run me through tests/cluster/run\n");
		return 2;
	}
	list = strdup(list);
	for (char *s = strtok_r(list, ",", &save); s && n_endpoints < 3;
	     s = strtok_r(NULL, ",", &save))
		endpoints[n_endpoints++] = s;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		bool run = argc == 1;
		unsigned before = failed;
		int64_t t0 = now_us();

		for (int a = 1; a < argc; a++)
			run |= !strcmp(argv[a], tests[i].name);
		if (!run)
			continue;
		tests[i].fn();
		printf("%s %s (%" PRId64 " ms)\n",
		       failed == before ? "ok" : "not ok", tests[i].name,
		       (now_us() - t0) / 1000);
	}
	printf("%u passed, %u failed\n", passed, failed);
	free(list);
	return failed ? 1 : 0;
}
