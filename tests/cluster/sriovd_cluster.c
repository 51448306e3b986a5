/* SPDX-License-Identifier: MIT */
/*
 * sriovd in the cluster, against real etcd members (tests/cluster/run
 * starts three on free loopback ports) and fake sysfs fixture roots:
 *
 *   race         several "hosts" (processes, each its own store, journal
 *                sequence from 1 and host id) choose and claim InfiniBand
 *                GUIDs from one prefix at once, through the bind's own
 *                code: no GUID twice, every claim its port's
 *   rollback     a bind that claimed its GUID and then failed (the
 *                fixture's netlink refuses writes) releases the claim; a
 *                bind killed after its claim has it released by recovery
 *   publish      sriovd processes on three fixtures (mlx5, mlx4, igb):
 *                the bindings SQLite holds are published with the right
 *                fields (parsed back by the schema module; on mlx4 the
 *                VF's GUID and the PF port's as pf_guid; hosts/ with the
 *                PCI ids and free VFs placement needs), stale keys of
 *                the host deleted and others'
 *                kept, an unbind deletes its keys, kill -9 and a restart
 *                within lease_ttl keep the lease and republish, the lease
 *                expires lease_ttl after sriovd is gone, a recovery
 *                releases the claim of the bind it rolls back
 *   unreachable  every member stopped: an InfiniBand bind is refused at
 *                once with nothing journaled or touched, an unbind goes on
 *                and its keys are deleted once the members are back
 *
 *   tests/cluster/run build/tests/cluster/sriovd_cluster SRIOVD [TEST...]
 *   sriovd_cluster parse KEY < VALUE   (the schema module's reading of a
 *                                       port or claim; the kernel lab's)
 *
 * A bind that succeeds needs a kernel: lab.kernel.sriovd-cluster.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include <sriov/cluster.h>
#include <sriov/port.h>
#include <sriov/root.h>
#include "core/port_txn.h"

#include "check.h"

#define FATAL(...)                             \
	do {                                   \
		printf("FATAL: " __VA_ARGS__); \
		printf("\n");                  \
		exit(1);                       \
	} while (0)

/* Every sriovd started here, killed on every way out (atexit). */
static pid_t started[16];

#define LEASE_TTL 3
#define PREFIX "/it-sriovd/"

static char *endpoints[3];
static size_t n_endpoints;
static const char *sriovd_bin;
static struct sriov_etcd *etcd;
static struct sriov_cluster_keys keys;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		FATAL("'%s' failed", cmd);
}

static struct sriov_etcd *client(void)
{
	struct sriov_etcd_opts o = {
		.endpoints = (const char *const *)endpoints,
		.n_endpoints = n_endpoints,
		.connect_timeout_ms = 500,
		.request_timeout_ms = 2000,
	};
	struct sriov_error err = { 0 };
	struct sriov_etcd *e;

	if (sriov_etcd_open(&o, &e, &err) < 0)
		FATAL("open: %s", err.msg);
	return e;
}

/* The value of @key (malloc'd) and its lease; NULL when absent. */
static char *get(const char *key, int64_t *lease)
{
	struct sriov_etcd_range_resp r;
	struct sriov_error err = { 0 };
	char *v = NULL;

	if (sriov_etcd_range(etcd, key, NULL, &r, &err) < 0)
		FATAL("range %s: %s", key, err.msg);
	if (r.n_kvs == 1) {
		v = strdup(r.kvs[0].value);
		if (lease)
			*lease = r.kvs[0].lease;
	}
	sriov_etcd_range_resp_release(&r);
	return v;
}

static const char *key_of(enum sriov_cluster_kind kind, const char *id)
{
	static char buf[4][SRIOV_CLUSTER_KEY_MAX];
	static int i;
	struct sriov_error err = { 0 };
	char *b = buf[i++ % 4];

	if (sriov_cluster_key(&keys, kind, id, b, &err) < 0)
		FATAL("key %s: %s", id, err.msg);
	return b;
}

static void put(const char *key, const char *value)
{
	struct sriov_error err = { 0 };

	if (sriov_etcd_put(etcd, key, value, strlen(value), 0, NULL, &err) < 0)
		FATAL("put %s: %s", key, err.msg);
}

/* Every key under the schema's @kind directory. */
static int64_t count(enum sriov_cluster_kind kind)
{
	char pfx[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_etcd_range_opts o = { .range_end = end,
					   .count_only = true };
	struct sriov_etcd_range_resp r;
	struct sriov_error err = { 0 };
	int64_t n;

	sriov_cluster_key_prefix(&keys, kind, pfx);
	sriov_etcd_prefix_end(pfx, end, sizeof(end));
	if (sriov_etcd_range(etcd, pfx, &o, &r, &err) < 0)
		FATAL("count: %s", err.msg);
	n = r.count;
	sriov_etcd_range_resp_release(&r);
	return n;
}

static void wipe(void)
{
	char end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_error err = { 0 };

	sriov_etcd_prefix_end(PREFIX, end, sizeof(end));
	if (sriov_etcd_delete(etcd, PREFIX, end, NULL, NULL, &err) < 0)
		FATAL("wipe: %s", err.msg);
}

/* ---- a host: a fixture root, its store, its sriovd ---- */

struct host {
	char id[64];
	char dir[128];
	const char *fixture;
	const char *physnets; /* YAML lines under physnets: */
	const char *fabric; /* YAML of cluster.fabric, or NULL */
	pid_t pid;
};

static void host_path(const struct host *h, char *buf, size_t size,
		      const char *rel)
{
	snprintf(buf, size, "%s/%s", h->dir, rel);
}

static void host_init(struct host *h, const char *fixture, const char *id,
		      const char *physnets, const char *fabric)
{
	char path[256];
	FILE *f;

	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", id);
	h->fixture = fixture;
	h->physnets = physnets;
	h->fabric = fabric;
	snprintf(h->dir, sizeof(h->dir), "/tmp/sriovd_cluster.XXXXXX");
	if (!mkdtemp(h->dir))
		FATAL("mkdtemp: %s", strerror(errno));
	sh("cp -a '%s/%s/sys' '%s/'", SRIOV_FIXTURES_BUILD, fixture, h->dir);
	host_path(h, path, sizeof(path), "state");
	mkdir(path, 0700);
	host_path(h, path, sizeof(path), "sriovd.yaml");
	f = fopen(path, "w");
	if (!f)
		FATAL("%s: %s", path, strerror(errno));
	fprintf(f, "physnets:\n%s", physnets);
	fprintf(f, "guid: {policy: allocate, prefix: '02:5e:00:01'}\n");
	fprintf(f, "state_dir: %s/state\nsocket: %s/s.sock\n", h->dir, h->dir);
	fprintf(f, "check_interval: 0\ncluster:\n  etcd: [");
	for (size_t i = 0; i < n_endpoints; i++)
		fprintf(f, "%s%s", i ? ", " : "", endpoints[i]);
	fprintf(f,
		"]\n  host_id: %s\n  lease_ttl: %d\n  prefix: %s\n"
		"  connect_timeout_ms: 300\n  request_timeout_ms: 1500\n",
		id, LEASE_TTL, PREFIX);
	if (fabric)
		fprintf(f, "  fabric: %s\n", fabric);
	fclose(f);
}

static void forget(pid_t pid);

static void host_free(struct host *h)
{
	if (h->pid > 0) {
		forget(h->pid);
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
	}
	if (!getenv("CLUSTER_KEEP"))
		sh("rm -rf '%s'", h->dir);
}

static void load_config(const struct host *h, struct sriov_daemon_config *c)
{
	struct sriov_error err = { 0 };
	char path[256];

	host_path(h, path, sizeof(path), "sriovd.yaml");
	if (sriov_daemon_config_load(path, NULL, c, &err) < 0)
		FATAL("config: %s", err.msg);
}

/* A ctx on the host's files, as sriovd's would be (no sriovd running). */
struct direct {
	struct sriov_daemon_config cfg;
	struct sriov_root *root;
	struct sriov_nl *nl;
	struct sriov_store *store;
	struct sriov_port_cluster cl;
	struct sriov_port_ctx ctx;
	unsigned races;
};

static void on_event(void *ud, enum sriov_port_event ev, int level,
		     const char *msg)
{
	struct direct *x = ud;

	(void)level;
	if (ev == SRIOV_PORT_EVENT_GUID_RACE)
		x->races++;
	if (msg && getenv("VERBOSE"))
		printf("  [%d] %s\n", (int)getpid(), msg);
}

static void direct_open(struct direct *x, const struct host *h, bool cluster)
{
	struct sriov_error err = { 0 };
	char sys[256], db[256];

	memset(x, 0, sizeof(*x));
	load_config(h, &x->cfg);
	host_path(h, sys, sizeof(sys), "sys");
	host_path(h, db, sizeof(db), "state/sriovd.db");
	if (sriov_root_open(sys, h->dir, &x->root, &err) < 0 ||
	    sriov_nl_open(x->root, &x->nl, &err) < 0 ||
	    sriov_store_open(db, &x->store, &err) < 0)
		FATAL("open %s: %s", h->dir, err.msg);
	x->ctx = (struct sriov_port_ctx){
		.root = x->root,
		.nl = x->nl,
		.store = x->store,
		.cfg = &x->cfg,
		.hooks = { .userdata = x, .event = on_event },
	};
	if (sriov_port_sync(&x->ctx, NULL, NULL, &err) < 0)
		FATAL("sync: %s", err.msg);
	if (!cluster)
		return;
	x->cl.etcd = client();
	sriov_cluster_keys_init(&x->cl.keys, PREFIX, NULL);
	snprintf(x->cl.host, sizeof(x->cl.host), "%s", h->id);
	if (sriov_etcd_lease_grant(x->cl.etcd, 60, &x->cl.lease, NULL, &err) <
	    0)
		FATAL("lease: %s", err.msg);
	x->ctx.cluster = &x->cl;
}

static void direct_close(struct direct *x)
{
	if (x->cl.etcd)
		sriov_etcd_close(x->cl.etcd);
	sriov_store_close(x->store);
	sriov_nl_close(x->nl);
	sriov_root_free(x->root);
	sriov_daemon_config_release(&x->cfg);
}

static int request(const struct direct *x, const char *json,
		   struct sriov_port_request *r)
{
	struct sriov_error err = { 0 };
	json_t *o = json_loads(json, 0, NULL);
	int rc;

	if (!o)
		FATAL("bad test json %s", json);
	rc = sriov_port_request_parse(o, &x->cfg, r, &err);
	json_decref(o);
	if (rc < 0)
		FATAL("request %s: %s", json, err.msg);
	return rc;
}

/* Store port @json as a finished bind would leave it (no sriovd), on VF
 * @vf of @pf; @journal_only: leave it half done ('binding', journal
 * started), as a crash would. */
static void seed(const struct host *h, const char *pf, const char *json,
		 bool journal_only)
{
	struct direct x;
	struct sriov_port_request r;
	struct sriov_store_port port = { 0 };
	struct sriov_error err = { 0 };
	struct sriov_store_vf vf;
	char *settings;
	int64_t seq;

	direct_open(&x, h, false);
	/* the VFs a fixture's sriovd quarantined (its scrub is refused) */
	for (unsigned v = 0; v < 8; v++)
		sriov_store_vf_clear(x.store, pf, v, NULL);
	request(&x, json, &r);
	settings = sriov_port_request_dump(&r);
	snprintf(port.id, sizeof(port.id), "%s", r.id);
	snprintf(port.network, sizeof(port.network), "%s", r.physnet);
	snprintf(port.vnic_type, sizeof(port.vnic_type), "direct");
	port.settings = settings;
	if (sriov_store_allocate(x.store, &port, pf, SRIOV_NUMA_NONE, -1,
				 settings, &vf, &seq, &err) < 0 ||
	    (!journal_only &&
	     sriov_store_bind_done(x.store, seq, r.id, &err) < 0))
		FATAL("seed %s: %s", r.id, err.msg);
	free(settings);
	direct_close(&x);
}

/* One request to the host's sriovd; the answer. */
static json_t *api(const struct host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static json_t *api(const struct host *h, const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[4096], buf[1 << 16];
	size_t len = 0;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.90s/s.sock", h->dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return NULL;
	}
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	close(fd);
	buf[len] = '\0';
	return json_loads(buf, 0, NULL);
}

/* health's cluster member @what as a string ("" when none). */
static const char *health(const struct host *h, const char *what)
{
	static char out[512];
	json_t *r = api(h, "{\"op\":\"health\"}");
	json_t *v = json_object_get(json_object_get(r, "cluster"), what);

	out[0] = '\0';
	if (json_is_string(v))
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, sizeof(out), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(out, sizeof(out), "%s",
			 json_is_true(v) ? "true" : "false");
	json_decref(r);
	return out;
}

static bool wait_health(const struct host *h, const char *status, int secs)
{
	int64_t until = now_ms() + secs * 1000;

	while (now_ms() < until) {
		if (!strcmp(health(h, "status"), status))
			return true;
		usleep(100000);
	}
	return false;
}

static void host_start(struct host *h)
{
	char yaml[256], sys[256], log[256];
	int64_t until = now_ms() + 15000;

	host_path(h, yaml, sizeof(yaml), "sriovd.yaml");
	host_path(h, sys, sizeof(sys), "sys");
	host_path(h, log, sizeof(log), "sriovd.log");
	h->pid = fork();
	if (h->pid == 0) {
		/* nothing of ours on the test's stdout, which CTest reads
		 * to its end */
		if (!freopen(log, "a", stderr) ||
		    !freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(sriovd_bin, "sriovd", "-c", yaml, "--root", sys,
		      (char *)NULL);
		_exit(127);
	}
	for (size_t i = 0; i < sizeof(started) / sizeof(*started); i++)
		if (!started[i]) {
			started[i] = h->pid;
			break;
		}
	while (now_ms() < until) {
		json_t *r = api(h, "{\"op\":\"health\"}");

		if (r) {
			json_decref(r);
			return;
		}
		if (waitpid(h->pid, NULL, WNOHANG) == h->pid)
			break;
		usleep(50000);
	}
	sh("tail -20 '%s'", log);
	FATAL("sriovd of %s did not start", h->id);
}

static void forget(pid_t pid)
{
	for (size_t i = 0; i < sizeof(started) / sizeof(*started); i++)
		if (started[i] == pid)
			started[i] = 0;
}

static void kill_started(void)
{
	for (size_t i = 0; i < sizeof(started) / sizeof(*started); i++)
		if (started[i] > 0) {
			kill(started[i], SIGKILL);
			waitpid(started[i], NULL, 0);
		}
}

static void host_kill(struct host *h, int sig)
{
	forget(h->pid);
	kill(h->pid, sig);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
}

/* The journal's entries still 'started', read with SQL of our own. */
static int pending(const struct host *h)
{
	char db[256];
	sqlite3 *s;
	sqlite3_stmt *st;
	int n = -1;

	host_path(h, db, sizeof(db), "state/sriovd.db");
	if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		FATAL("%s", db);
	if (sqlite3_prepare_v2(s,
			       "SELECT count(*) FROM journal WHERE status = "
			       "'started'",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return n;
}

static int64_t journal_rows(const struct host *h)
{
	char db[256];
	sqlite3 *s;
	sqlite3_stmt *st;
	int64_t n = -1;

	host_path(h, db, sizeof(db), "state/sriovd.db");
	if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		FATAL("%s", db);
	if (sqlite3_prepare_v2(s, "SELECT count(*) FROM journal", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return n;
}

/* ---- race ---- */

#define RACE_HOSTS 6
#define RACE_ROUNDS 5

/*
 * RACE_HOSTS processes, each a host with its own store on the mlx5
 * fixture (4 VFs), its own journal (sequences from 1, so the first
 * candidates collide) and one shared prefix; each round binds as far as
 * the GUID: allocate (journal), choose and claim, then frees the VFs (the
 * claims stay, as ports bound elsewhere would). Every GUID a process got
 * is written to a pipe as "guid port".
 */
static void race_host(int n, int start_fd, int out_fd)
{
	struct host h;
	struct direct x;
	char id[32], json[256], line[192];
	char c;

	snprintf(id, sizeof(id), "race-%d", n);
	host_init(&h, "mlx5-cx6-ib", id, "  ibnet: [ibp193s0]\n", NULL);
	direct_open(&x, &h, true);
	if (read(start_fd, &c, 1) != 1)
		_exit(3);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		char ids[4][64];
		int64_t seqs[4];
		int got = 0;

		for (int v = 0; v < 4; v++) {
			struct sriov_port_request r;
			struct sriov_store_port port = { 0 };
			struct sriov_error err = { 0 };
			struct sriov_store_vf vf;
			char *settings;
			int64_t seq;
			uint64_t g;

			snprintf(ids[v], sizeof(ids[v]), "h%d-r%d-v%d", n,
				 round, v);
			snprintf(json, sizeof(json),
				 "{\"id\":\"%s\",\"network\":{\"physnet\":"
				 "\"ibnet\",\"pkey\":\"0x8a01\"}}",
				 ids[v]);
			request(&x, json, &r);
			settings = sriov_port_request_dump(&r);
			snprintf(port.id, sizeof(port.id), "%s", r.id);
			snprintf(port.network, sizeof(port.network), "ibnet");
			snprintf(port.vnic_type, sizeof(port.vnic_type),
				 "direct");
			port.settings = settings;
			if (sriov_store_allocate(x.store, &port, NULL,
						 SRIOV_NUMA_NONE, -1, settings,
						 &vf, &seq, &err) < 0) {
				free(settings);
				break;
			}
			free(settings);
			seqs[v] = seq;
			if (port_cluster_guid(&x.ctx, &r, seq, &g, &err) < 0) {
				printf("host %d: %s: %s\n", n, r.id, err.msg);
				_exit(4);
			}
			snprintf(line, sizeof(line), "%016" PRIx64 " %s\n", g,
				 r.id);
			if (write(out_fd, line, strlen(line)) < 0)
				_exit(5);
			got++;
		}
		for (int v = 0; v < got; v++) {
			struct sriov_store_port p = { 0 };
			struct sriov_error err = { 0 };

			if (sriov_store_get_port(x.store, ids[v], &p, &err) <
				    0 ||
			    sriov_store_release(x.store, seqs[v], ids[v],
						SRIOV_VF_FREE, NULL, "done",
						&err) < 0)
				_exit(6);
			sriov_store_port_release(&p);
		}
	}
	snprintf(line, sizeof(line), "races %u\n", x.races);
	if (write(out_fd, line, strlen(line)) < 0)
		_exit(5);
	direct_close(&x);
	host_free(&h);
	_exit(0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_race(void)
{
	int start[2], out[2];
	pid_t pid[RACE_HOSTS];
	char *buf = NULL, *lines[RACE_HOSTS * RACE_ROUNDS * 4 + RACE_HOSTS];
	size_t len = 0, cap = 0, n = 0, races = 0, dup = 0, wrong = 0;
	int status;

	wipe();
	if (pipe(start) < 0 || pipe(out) < 0)
		FATAL("pipe");
	for (int i = 0; i < RACE_HOSTS; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(start[1]);
			close(out[0]);
			race_host(i, start[0], out[1]);
		}
	}
	close(start[0]);
	close(out[1]);
	usleep(500000); /* every host set up, waiting on the pipe */
	for (int i = 0; i < RACE_HOSTS; i++)
		if (write(start[1], "g", 1) != 1)
			FATAL("start");
	for (;;) {
		ssize_t r;

		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
		}
		r = read(out[0], buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	for (int i = 0; i < RACE_HOSTS; i++) {
		waitpid(pid[i], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "race host %d: status %d", i, status);
	}
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "races ", 6))
			races += strtoul(l + 6, NULL, 10);
		else if (n < sizeof(lines) / sizeof(lines[0]))
			lines[n++] = l;
	}
	CHECK(n == RACE_HOSTS * RACE_ROUNDS * 4, "%zu guids claimed, want %d",
	      n, RACE_HOSTS * RACE_ROUNDS * 4);
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		uint64_t g = strtoull(lines[i], NULL, 16);
		const char *port = strchr(lines[i], ' ') + 1;
		char gs[19], *v;
		struct sriov_cluster_claim c;
		struct sriov_error err = { 0 };
		const char *k;

		if (i && !strncmp(lines[i], lines[i - 1], 16)) {
			dup++;
			printf("  guid twice: %s / %s\n", lines[i - 1],
			       lines[i]);
		}
		k = key_of(SRIOV_CLUSTER_GUID, sriov_guid_format(g, gs));
		v = get(k, NULL);
		if (!v ||
		    sriov_cluster_claim_parse(k, v, strlen(v), &c, &err) < 0 ||
		    strcmp(c.port, port))
			wrong++;
		free(v);
	}
	CHECK(dup == 0, "%zu guids given to two ports", dup);
	CHECK(wrong == 0, "%zu guids whose claim is not their port's", wrong);
	CHECK(count(SRIOV_CLUSTER_GUID) == (int64_t)n,
	      "%" PRId64 " claims in guids/, %zu guids given",
	      count(SRIOV_CLUSTER_GUID), n);
	/* the test means something only if the hosts did collide */
	CHECK(races > 0, "no claim was lost to another host: no race");
	printf("  %zu guids over %d hosts from one prefix, %zu claims lost to another host and retried\n",
	       n, RACE_HOSTS, races);
	free(buf);
	wipe();
}

/* ---- rollback ---- */

struct probe {
	struct direct *x;
	const char *port;
	int steps;
	int kill_at; /* 0: never */
	bool seen; /* a claim by the port existed at some step */
	uint64_t guid;
};

/* Between two steps of the bind: does the port hold a claim now? */
static void on_step(void *ud)
{
	struct probe *p = *(struct probe **)ud;
	struct sriov_store_port sp = { 0 };
	struct sriov_port_request r;
	uint64_t g = 0;

	p->steps++;
	if (sriov_store_get_port(p->x->store, p->port, &sp, NULL) == 0 &&
	    port_stored_request(&sp, &r, &g, NULL) >= 0 && g) {
		char gs[19], *v = get(key_of(SRIOV_CLUSTER_GUID,
					     sriov_guid_format(g, gs)),
				      NULL);

		if (v && strstr(v, p->port)) {
			p->seen = true;
			p->guid = g;
		}
		free(v);
	}
	sriov_store_port_release(&sp);
	if (p->kill_at && p->seen && p->steps >= p->kill_at)
		_exit(9); /* as kill -9 would: nothing more runs */
}

static void test_rollback(void)
{
	struct host h;
	struct direct x;
	struct probe pr = { 0 }, *prp = &pr;
	struct sriov_port_request r;
	struct sriov_port_bound b;
	struct sriov_error err = { 0 };
	char gs[19];
	pid_t pid;
	int status, rc;

	wipe();
	host_init(&h, "mlx5-cx6-ib", "rb", "  ibnet: [ibp193s0]\n", NULL);
	direct_open(&x, &h, true);
	x.ctx.hooks.userdata = &prp;
	x.ctx.hooks.event = NULL;
	x.ctx.hooks.step = on_step;
	pr.x = &x;
	pr.port = "rb1";
	request(&x,
		"{\"id\":\"rb1\",\"network\":{\"physnet\":\"ibnet\","
		"\"pkey\":\"0x8a01\"}}",
		&r);
	rc = sriov_port_bind(&x.ctx, &r, &b, &err);
	CHECK(rc < 0, "the fixture's netlink refuses the configure: %d", rc);
	CHECK(pr.seen, "the GUID was claimed before the VF was touched");
	CHECK(!get(key_of(SRIOV_CLUSTER_GUID, sriov_guid_format(pr.guid, gs)),
		   NULL),
	      "the rolled-back bind's claim of %s is released", gs);
	CHECK(count(SRIOV_CLUSTER_GUID) == 0 && count(SRIOV_CLUSTER_PORT) == 0,
	      "nothing left in guids/ or ports/");
	direct_close(&x);

	/* killed after its claim: recovery (the next start) releases it */
	memset(&pr, 0, sizeof(pr));
	pr.port = "rb2";
	pr.kill_at = 2;
	pid = fork();
	if (pid == 0) {
		direct_open(&x, &h, true);
		x.ctx.hooks.userdata = &prp;
		x.ctx.hooks.event = NULL;
		x.ctx.hooks.step = on_step;
		pr.x = &x;
		request(&x,
			"{\"id\":\"rb2\",\"network\":{\"physnet\":\"ibnet\","
			"\"pkey\":\"0x8a01\"}}",
			&r);
		sriov_port_bind(&x.ctx, &r, &b, &err);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9,
	      "the bind was killed after its claim (status %d)", status);
	CHECK(count(SRIOV_CLUSTER_GUID) == 1, "its claim outlives it");
	CHECK(pending(&h) == 1, "its journal entry is still 'started'");
	direct_open(&x, &h, true);
	rc = sriov_port_recover(&x.ctx, &err);
	CHECK(rc == 0, "recover: %s", err.msg);
	CHECK(pending(&h) == 0, "recovery closed the entry");
	CHECK(count(SRIOV_CLUSTER_GUID) == 0,
	      "recovery released the claim of the bind it rolled back");
	direct_close(&x);
	host_free(&h);
	wipe();
}

/* ---- publish ---- */

/* ports/<id> parsed by the schema module; false when absent or bad. */
static bool port_of(const char *id, struct sriov_cluster_port *p,
		    int64_t *lease)
{
	const char *k = key_of(SRIOV_CLUSTER_PORT, id);
	char *v = get(k, lease);
	struct sriov_error err = { 0 };
	bool ok = v && sriov_cluster_port_parse(k, v, strlen(v), p, &err) == 0;

	if (v && !ok)
		printf("  %s does not parse: %s\n", k, err.msg);
	free(v);
	return ok;
}

static bool claim_of(uint64_t g, const char *port, const char *host,
		     int64_t *lease)
{
	char gs[19];
	const char *k = key_of(SRIOV_CLUSTER_GUID, sriov_guid_format(g, gs));
	char *v = get(k, lease);
	struct sriov_cluster_claim c;
	bool ok = v &&
		  sriov_cluster_claim_parse(k, v, strlen(v), &c, NULL) == 0 &&
		  !strcmp(c.port, port) && !strcmp(c.host, host);

	free(v);
	return ok;
}

static bool gone(const char *key, int secs)
{
	int64_t until = now_ms() + secs * 1000;

	for (;;) {
		char *v = get(key, NULL);

		free(v);
		if (!v)
			return true;
		if (now_ms() > until)
			return false;
		usleep(100000);
	}
}

/*
 * hosts/<id> with what sriovctl cluster place needs (docs/cluster.md):
 * the PF's PCI ids and the addresses of exactly its free VFs. Published
 * from the store as it is before sriovd starts (whose scrub the fixture
 * refuses, quarantining the free VFs).
 */
static void inventory(const struct host *h)
{
	struct sriov_cluster_host hv;
	struct sriov_error err = { 0 };
	struct sriov_store_vf *vfs = NULL;
	struct direct x;
	size_t n = 0, n_free = 0, listed = 0;
	char *v;

	direct_open(&x, h, true);
	CHECK(sriov_port_cluster_publish_host(&x.ctx, "t", &err) == 0,
	      "publish_host: %s", err.msg);
	if (sriov_store_list_vfs(x.store, &vfs, &n, &err) < 0)
		FATAL("list vfs: %s", err.msg);
	direct_close(&x);
	v = get(key_of(SRIOV_CLUSTER_HOST, h->id), NULL);
	if (!v || sriov_cluster_host_parse(key_of(SRIOV_CLUSTER_HOST, h->id), v,
					   strlen(v), &hv, &err) < 0)
		FATAL("hosts/%s: %s %s", h->id, v ? v : "(none)", err.msg);
	for (size_t i = 0; i < n; i++) {
		if (vfs[i].whole || vfs[i].state != SRIOV_VF_FREE)
			continue;
		n_free++;
		for (size_t k = 0; k < hv.n_free_vfs; k++)
			listed += !strcmp(hv.free_vfs[k], vfs[i].address);
	}
	CHECK(hv.n_pfs == 1 && !strcmp(hv.pfs[0].vendor_id, "15b3") &&
		      !strcmp(hv.pfs[0].product_id, "101b") &&
		      !strcmp(hv.pfs[0].vf_product_id, "101c"),
	      "hosts/%s: the PF's PCI ids: %s", h->id, v);
	CHECK(n_free == 2 && hv.pfs[0].vfs_free == 2 &&
		      hv.pfs[0].has_free_vfs && hv.pfs[0].n_free_vfs == 2 &&
		      hv.n_free_vfs == 2 && listed == 2,
	      "hosts/%s: free_vfs are the %zu free VFs (%zu listed): %s", h->id,
	      n_free, listed, v);
	sriov_cluster_host_release(&hv);
	free(vfs);
	free(v);
}

static void test_publish(void)
{
	struct host a, b, c;
	struct sriov_cluster_port p;
	struct sriov_cluster_host hv;
	struct sriov_error err = { 0 };
	int64_t lease, la, la2;
	char *v;
	json_t *r;

	wipe();
	host_init(&a, "mlx5-cx6-ib", "host-a", "  ibnet: [ibp193s0]\n",
		  "{ibnet: fab-a}");
	host_init(&b, "mlx4-seed", "host-b", "  ib4: [ib0]\n", NULL);
	host_init(&c, "igb", "host-c", "  eth: [enp2s0f0]\n", NULL);
	seed(&a, "ibp193s0",
	     "{\"id\":\"pa\",\"guid\":\"0x025e0001000000a1\",\"network\":{"
	     "\"physnet\":\"ibnet\",\"pkey\":\"0x8a01\"}}",
	     false);
	seed(&a, "ibp193s0",
	     "{\"id\":\"pa2\",\"guid\":\"0x025e0001000000a2\",\"network\":{"
	     "\"physnet\":\"ibnet\",\"pkey\":\"0x0a02\",\"membership\":"
	     "\"limited\"}}",
	     false);
	seed(&b, "ib0",
	     "{\"id\":\"pb\",\"guid\":\"0x025e0002000000b1\",\"network\":{"
	     "\"physnet\":\"ib4\",\"pkey\":\"0xb030\"}}",
	     false);
	seed(&c, "enp2s0f0",
	     "{\"id\":\"pc\",\"network\":{\"physnet\":\"eth\",\"vlan\":100}}",
	     false);
	/* what host-a published before and holds no more; another host's */
	put(key_of(SRIOV_CLUSTER_PORT, "ghost"),
	    "{\"port\":\"ghost\",\"host\":\"host-a\",\"physnet\":\"ibnet\","
	    "\"vnic_type\":\"direct\",\"vf\":\"0000:c1:00.3\",\"state\":"
	    "\"bound\",\"vlan\":null}");
	put(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000ff"),
	    "{\"port\":\"ghost\",\"host\":\"host-a\"}");
	put(key_of(SRIOV_CLUSTER_PORT, "foreign"),
	    "{\"port\":\"foreign\",\"host\":\"host-z\",\"physnet\":\"x\","
	    "\"vnic_type\":\"direct\",\"vf\":\"0000:01:00.1\",\"state\":"
	    "\"bound\",\"vlan\":null}");
	put(key_of(SRIOV_CLUSTER_GUID, "0x025e0009000000ff"),
	    "{\"port\":\"foreign\",\"host\":\"host-z\"}");

	inventory(&a);
	host_start(&a);
	host_start(&b);
	host_start(&c);
	CHECK(wait_health(&a, "ok", 10) && wait_health(&b, "ok", 10) &&
		      wait_health(&c, "ok", 10),
	      "every host's cluster status ok: %s %s %s", health(&a, "status"),
	      health(&b, "status"), health(&c, "status"));
	la = strtoll(health(&a, "lease"), NULL, 10);

	CHECK(port_of("pa", &p, &lease), "ports/pa published");
	CHECK(!strcmp(p.host, "host-a") && !strcmp(p.physnet, "ibnet") &&
		      p.vnic_type == SRIOV_VNIC_DIRECT &&
		      !strcmp(p.vf, "0000:c1:00.1") &&
		      !strcmp(p.state, "bound") && p.vlan == -1,
	      "pa: host %s physnet %s vf %s state %s vlan %d", p.host,
	      p.physnet, p.vf, p.state, p.vlan);
	CHECK(p.infiniband && !strcmp(p.fabric, "fab-a") && p.pkey == 0x0a01 &&
		      p.membership == SRIOV_MEMBER_FULL &&
		      p.guid == 0x025e0001000000a1ull,
	      "pa: fabric %s pkey %#x membership %d guid %" PRIx64, p.fabric,
	      p.pkey, p.membership, p.guid);
	CHECK(!p.pf_guid, "pa (mlx5, a port of its own): no pf_guid");
	CHECK(lease == la && la != 0, "pa goes with host-a's lease");
	CHECK(claim_of(0x025e0001000000a1ull, "pa", "host-a", &lease) &&
		      lease == la,
	      "guids/0x025e0001000000a1 is pa's, with host-a's lease");
	CHECK(port_of("pa2", &p, NULL) && p.pkey == 0x0a02 &&
		      p.membership == SRIOV_MEMBER_LIMITED,
	      "pa2: limited member of 0x0a02");
	/* mlx4: the VF's own (alias) GUID, claimed, and the PF port's GUID
	 * the subnet manager sees as pf_guid */
	CHECK(port_of("pb", &p, NULL) && p.guid == 0x025e0002000000b1ull &&
		      p.pf_guid == 0x0002c90300104a72ull &&
		      !strcmp(p.fabric, "ib4") && p.pkey == 0x3030 &&
		      p.membership == SRIOV_MEMBER_FULL,
	      "pb (mlx4): guid %" PRIx64 " pf_guid %" PRIx64 ", fabric %s",
	      p.guid, p.pf_guid, p.fabric);
	CHECK(claim_of(0x025e0002000000b1ull, "pb", "host-b", NULL),
	      "pb's claim is of its VF's GUID");
	CHECK(port_of("pc", &p, NULL) && !p.infiniband && p.vlan == 100 &&
		      !strcmp(p.vf, "0000:02:10.0") &&
		      !strcmp(p.host, "host-c"),
	      "pc: Ethernet, vlan 100, vf %s", p.vf);
	v = get(key_of(SRIOV_CLUSTER_HOST, "host-a"), &lease);
	CHECK(v &&
		      sriov_cluster_host_parse(key_of(SRIOV_CLUSTER_HOST,
						      "host-a"),
					       v, strlen(v), &hv, &err) == 0 &&
		      hv.n_pfs == 1 && !strcmp(hv.pfs[0].name, "ibp193s0") &&
		      hv.pfs[0].link == SRIOV_CLUSTER_LINK_INFINIBAND &&
		      !strcmp(hv.pfs[0].fabric, "fab-a") &&
		      hv.pfs[0].vfs_bound == 2 && hv.pfs[0].vfs_total == 4 &&
		      lease == la,
	      "hosts/host-a: %s %s", v ? v : "(none)", err.msg);
	/* sriovd's own: as many free_vfs as free VFs (none: the fixture
	 * refuses the scrub, so they are quarantined) */
	CHECK(v && !strcmp(hv.pfs[0].vendor_id, "15b3") &&
		      hv.pfs[0].has_free_vfs &&
		      hv.pfs[0].n_free_vfs == hv.pfs[0].vfs_free,
	      "hosts/host-a: placement members: %s", v ? v : "(none)");
	if (v)
		sriov_cluster_host_release(&hv);
	free(v);
	CHECK(!get(key_of(SRIOV_CLUSTER_PORT, "ghost"), NULL) &&
		      !get(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000ff"),
			   NULL),
	      "host-a's stale port and claim are deleted");
	v = get(key_of(SRIOV_CLUSTER_PORT, "foreign"), NULL);
	CHECK(v && claim_of(0x025e0009000000ffull, "foreign", "host-z", NULL),
	      "another host's keys are kept");
	free(v);

	/* unbind: its port and its claim go */
	r = api(&a, "{\"op\":\"port.unbind\",\"id\":\"pa2\"}");
	CHECK(json_is_true(json_object_get(r, "ok")), "unbind pa2");
	json_decref(r);
	CHECK(!get(key_of(SRIOV_CLUSTER_PORT, "pa2"), NULL) &&
		      !claim_of(0x025e0001000000a2ull, "pa2", "host-a", NULL),
	      "unbind deleted ports/pa2 and its claim");
	CHECK(port_of("pa", &p, NULL), "pa stays");

	/* kill -9 and a restart within lease_ttl: the same lease, and what
	 * SQLite no longer holds deleted */
	host_kill(&a, SIGKILL);
	CHECK(port_of("pa", &p, NULL), "pa outlives its sriovd");
	put(key_of(SRIOV_CLUSTER_PORT, "ghost2"),
	    "{\"port\":\"ghost2\",\"host\":\"host-a\",\"physnet\":\"ibnet\","
	    "\"vnic_type\":\"direct\",\"vf\":\"0000:c1:00.2\",\"state\":"
	    "\"bound\",\"vlan\":null}");
	host_start(&a);
	CHECK(wait_health(&a, "ok", 10), "host-a ok again");
	la2 = strtoll(health(&a, "lease"), NULL, 10);
	CHECK(la2 == la,
	      "restarted within lease_ttl: lease %" PRId64 " kept (now %" PRId64
	      ")",
	      la, la2);
	CHECK(port_of("pa", &p, &lease) && lease == la,
	      "pa republished with it");
	CHECK(!get(key_of(SRIOV_CLUSTER_PORT, "ghost2"), NULL),
	      "a port SQLite does not hold is deleted at start");

	/* gone for longer than lease_ttl: its keys go with the lease */
	host_kill(&a, SIGKILL);
	{
		int64_t t0 = now_ms();
		bool g = gone(key_of(SRIOV_CLUSTER_PORT, "pa"), LEASE_TTL + 5);

		CHECK(g, "ports/pa expired with the lease");
		CHECK(now_ms() - t0 >= (LEASE_TTL - 1) * 1000,
		      "not before lease_ttl (%" PRId64 " ms)", now_ms() - t0);
		printf("  ports/pa gone %" PRId64
		       " ms after sriovd was killed (lease_ttl %d s)\n",
		       now_ms() - t0, LEASE_TTL);
	}
	CHECK(!get(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000a1"), NULL) &&
		      !get(key_of(SRIOV_CLUSTER_HOST, "host-a"), NULL),
	      "its claim and host key too");
	CHECK(port_of("pb", &p, NULL) && port_of("pc", &p, NULL),
	      "the other hosts' ports stay");
	host_start(&a);
	CHECK(wait_health(&a, "ok", 10), "host-a ok after its lease expired");
	la2 = strtoll(health(&a, "lease"), NULL, 10);
	CHECK(la2 != la && la2 != 0, "a new lease");
	CHECK(port_of("pa", &p, &lease) && lease == la2 &&
		      claim_of(0x025e0001000000a1ull, "pa", "host-a", NULL),
	      "pa republished from SQLite, claim and port");

	/* a bind left half done with its claim: the next start rolls it
	 * back and releases the claim */
	host_kill(&a, SIGTERM);
	seed(&a, "ibp193s0",
	     "{\"id\":\"px\",\"guid\":\"0x025e0001000000c1\",\"network\":{"
	     "\"physnet\":\"ibnet\",\"pkey\":\"0x8a01\"}}",
	     true);
	put(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000c1"),
	    "{\"port\":\"px\",\"host\":\"host-a\"}");
	CHECK(pending(&a) == 1, "px's bind is half done");
	host_start(&a);
	CHECK(wait_health(&a, "ok", 10), "host-a ok");
	CHECK(pending(&a) == 0, "recovery rolled px back");
	CHECK(!get(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000c1"), NULL) &&
		      !get(key_of(SRIOV_CLUSTER_PORT, "px"), NULL),
	      "and released its claim");
	CHECK(port_of("pa", &p, NULL), "pa still published");

	host_free(&a);
	host_free(&b);
	host_free(&c);
	wipe();
}

/* ---- unreachable ---- */

static char *lists(const struct host *h)
{
	json_t *a = api(h, "{\"op\":\"vf.list\"}");
	json_t *b = api(h, "{\"op\":\"port.list\"}");
	char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, 0), *s;

	if (asprintf(&s, "%s%s", sa, sb) < 0)
		FATAL("oom");
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	return s;
}

static void members(const char *verb)
{
	for (int i = 0; i < (int)n_endpoints; i++)
		sh("%s %s %d", getenv("ETCD_CTL"), verb, i);
}

static void test_unreachable(void)
{
	struct host a;
	struct sriov_cluster_port p;
	char *before, *after;
	int64_t rows, t0, ms;
	const char *msg;
	json_t *r, *e;

	wipe();
	host_init(&a, "mlx5-cx6-ib", "host-u", "  ibnet: [ibp193s0]\n", NULL);
	seed(&a, "ibp193s0",
	     "{\"id\":\"pu\",\"guid\":\"0x025e0001000000d1\",\"network\":{"
	     "\"physnet\":\"ibnet\",\"pkey\":\"0x8a01\"}}",
	     false);
	host_start(&a);
	CHECK(wait_health(&a, "ok", 10), "host-u ok");
	CHECK(port_of("pu", &p, NULL), "pu published");

	members("kill");
	before = lists(&a);
	rows = journal_rows(&a);
	t0 = now_ms();
	r = api(&a,
		"{\"op\":\"port.bind\",\"port\":{\"id\":\"pz\",\"network\":{"
		"\"physnet\":\"ibnet\",\"pkey\":\"0x8a05\"}}}");
	ms = now_ms() - t0;
	e = json_object_get(r, "error");
	msg = json_string_value(json_object_get(e, "message"));
	CHECK(json_is_false(json_object_get(r, "ok")) && msg &&
		      strstr(msg,
			     "port pz: InfiniBand binds claim their guid in the cluster store, which does not answer") &&
		      strstr(msg, "nothing was changed"),
	      "InfiniBand bind refused: %s", msg ? msg : "(none)");
	CHECK(!strcmp(json_string_value(json_object_get(e, "code")) ?: "",
		      "EAGAIN"),
	      "code EAGAIN");
	CHECK(ms < 3000, "refused in %" PRId64 " ms (the timeouts bound it)",
	      ms);
	printf("  InfiniBand bind refused in %" PRId64
	       " ms with every member down\n",
	       ms);
	json_decref(r);
	after = lists(&a);
	CHECK(!strcmp(before, after), "VFs and ports as they were");
	CHECK(journal_rows(&a) == rows && pending(&a) == 0, "no journal entry");
	free(before);
	free(after);
	r = api(&a, "{\"op\":\"health\"}");
	CHECK(!strcmp(json_string_value(json_object_get(r, "status")) ?: "",
		      "degraded") &&
		      strstr(json_string_value(json_object_get(r, "reason")) ?:
									       "",
			     "cluster store unreachable"),
	      "health degraded: cluster store unreachable");
	json_decref(r);
	CHECK(!strcmp(health(&a, "status"), "unreachable"),
	      "cluster status unreachable");

	/* an unbind goes on; its keys wait for the store */
	r = api(&a, "{\"op\":\"port.unbind\",\"id\":\"pu\"}");
	CHECK(json_is_true(json_object_get(r, "ok")),
	      "unbind with the store down");
	json_decref(r);
	CHECK(!strcmp(health(&a, "publication_pending"), "true"),
	      "publication pending");
	r = api(&a, "{\"op\":\"metrics\"}");
	CHECK(strstr(json_string_value(json_object_get(r, "text")) ?: "",
		     "sriovd_cluster_up 0\n") &&
		      strstr(json_string_value(json_object_get(r, "text")) ?:
									     "",
			     "sriovd_cluster_publication_pending 1\n"),
	      "metrics: cluster down, publication pending");
	json_decref(r);

	members("start");
	CHECK(wait_health(&a, "ok", 20),
	      "host-u ok once the members are back: %s", health(&a, "status"));
	CHECK(!get(key_of(SRIOV_CLUSTER_PORT, "pu"), NULL) &&
		      !get(key_of(SRIOV_CLUSTER_GUID, "0x025e0001000000d1"),
			   NULL),
	      "the unbind's keys deleted once the store answered");
	r = api(&a, "{\"op\":\"metrics\"}");
	CHECK(strstr(json_string_value(json_object_get(r, "text")) ?: "",
		     "sriovd_cluster_up 1\n"),
	      "metrics: cluster up");
	json_decref(r);
	host_free(&a);
	wipe();
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "race", test_race },
	{ "rollback", test_rollback },
	{ "publish", test_publish },
	{ "unreachable", test_unreachable },
};

/* What the schema module reads in a port's or claim's value, one line of
 * name=value, or the error: the lab's check of what sriovd wrote. */
static int parse_main(const char *key)
{
	char buf[SRIOV_CLUSTER_VALUE_MAX + 2], g[19], pk[7];
	struct sriov_cluster_port p;
	struct sriov_cluster_claim c;
	struct sriov_error err = { 0 };
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (strstr(key, "/guids/")) {
		if (sriov_cluster_claim_parse(key, buf, n, &c, &err) < 0)
			goto bad;
		printf("port=%s host=%s\n", c.port, c.host);
		return 0;
	}
	if (sriov_cluster_port_parse(key, buf, n, &p, &err) < 0)
		goto bad;
	printf("port=%s host=%s physnet=%s vnic_type=%s vf=%s state=%s vlan=%d",
	       p.id, p.host, p.physnet, sriov_vnic_type_name(p.vnic_type), p.vf,
	       p.state, p.vlan);
	if (p.infiniband)
		printf(" fabric=%s pkey=%s membership=%s guid=%s", p.fabric,
		       sriov_pkey_format(p.pkey, pk),
		       sriov_membership_name(p.membership),
		       sriov_guid_format(p.guid, g));
	if (p.pf_guid)
		printf(" pf_guid=%s", sriov_guid_format(p.pf_guid, g));
	printf("\n");
	return 0;
bad:
	printf("error: %s\n", err.msg);
	return 1;
}

int main(int argc, char **argv)
{
	char *list = getenv("ETCD_ENDPOINTS"), *save = NULL;
	struct sriov_error err = { 0 };

	if (argc == 3 && !strcmp(argv[1], "parse"))
		return parse_main(argv[2]);

	if (!list || !getenv("ETCD_CTL") || argc < 2) {
		printf("usage: tests/cluster/run %s SRIOVD [TEST...]\n",
		       argv[0]);
		return 2;
	}
	sriovd_bin = argv[1];
	list = strdup(list);
	for (char *s = strtok_r(list, ",", &save); s && n_endpoints < 3;
	     s = strtok_r(NULL, ",", &save))
		endpoints[n_endpoints++] = s;
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(kill_started);
	etcd = client();
	if (sriov_cluster_keys_init(&keys, PREFIX, &err) < 0)
		FATAL("%s", err.msg);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		bool run = argc == 2;
		unsigned before = failed;
		int64_t t0 = now_ms();

		for (int a = 2; a < argc; a++)
			run |= !strcmp(argv[a], tests[i].name);
		if (!run)
			continue;
		tests[i].fn();
		printf("%s %s (%" PRId64 " ms)\n",
		       failed == before ? "ok" : "not ok", tests[i].name,
		       now_ms() - t0);
	}
	printf("%u passed, %u failed\n", passed, failed);
	sriov_etcd_close(etcd);
	free(list);
	return failed ? 1 : 0;
}
