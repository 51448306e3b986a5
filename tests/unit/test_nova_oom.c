/* SPDX-License-Identifier: MIT */
/*
 * Every allocation of the nova layer is checked. Each scenario runs once
 * to record its answer and count its allocations, then once per
 * allocation with that one allocation failing: every run must give the
 * recorded answer (a cache that could not grow) or -ENOMEM, and nothing
 * else; ASan sees any crash, and its leak check at exit any leak of a
 * failure path.
 *
 * The allocator is wrapped at link time (tests/unit/CMakeLists.txt:
 * -Wl,--wrap=malloc,...), which reaches every call of the library's
 * objects linked into this binary; jansson allocates through
 * json_set_alloc_funcs(). jansson's parser is not safe itself: when an
 * allocation fails in its lexer it drops characters and goes on (a key
 * "physical_network" came back as "physical_netwok"), so json_loads() is
 * failed as a whole, as when it cannot start, and never inside.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/nova.h>
#include <sriov/root.h>
#include "oom_wrap.h"

json_t *__real_json_loads(const char *input, size_t flags, json_error_t *e);
json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *e);

json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *e)
{
	json_t *j;

	if (oom_fail_now()) {
		if (e)
			memset(e, 0, sizeof(*e));
		return NULL;
	}
	oom_pause();
	j = __real_json_loads(input, flags, e);
	oom_resume();
	return j;
}

static void *json_malloc(size_t n)
{
	return oom_fail_now() ? NULL : oom_real_malloc(n);
}

/* The answer of a scenario, built without being counted. */
struct answer {
	char text[1 << 16];
	size_t len;
};

static void say(struct answer *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct answer *a, const char *fmt, ...)
{
	va_list ap;

	oom_pause();
	va_start(ap, fmt);
	int n = vsnprintf(a->text + a->len, sizeof(a->text) - a->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(a->text) - a->len);
	a->len += (size_t)n;
	oom_resume();
}

static void say_json(struct answer *a, json_t *j)
{
	oom_pause();
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_non_null(s);
	say(a, "%s\n", s);
	free(s);
	oom_resume();
}

static json_t *input(const char *text)
{
	json_t *j;

	oom_pause();
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	oom_resume();
	assert_non_null(j);
	return j;
}

/* A failure of the library: -ENOMEM ends the scenario, anything else is
 * part of the answer. */
#define STEP(a, expr, err)                                 \
	({                                                 \
		int r_ = (expr);                           \
		if (r_ == -ENOMEM)                         \
			goto oom;                          \
		if (r_ < 0)                                \
			say(a, "%d %s\n", r_, (err)->msg); \
		r_;                                        \
	})

/* A step that must succeed unless memory runs out. */
#define MUST(expr, err)                                                       \
	({                                                                    \
		int r_ = (expr);                                              \
		if (r_ == -ENOMEM)                                            \
			goto oom;                                             \
		if (r_ < 0)                                                   \
			fail_msg("%s: %d %s (allocation %ld failing)", #expr, \
				 r_, (err)->msg, oom_failing());              \
		r_;                                                           \
	})

static char tree[64];

static const char *const specs[] = {
	"{\"vendor_id\": \"15b3\", \"address\": \"0000:0a:00.0\", \"physical_network\": \"physnet1\", \"trusted\": \"true\"}",
	"[{\"address\": {\"domain\": \"0000\", \"bus\": \"0[ab]\", \"slot\": \".*\", \"function\": \"[1-7]\"}}, {\"devname\": \"eth0\", \"foo\": [1, 2]}]",
	"{\"vendor_id\": \" 8086 \", \"product_id\": \"154c\", \"address\": \"*:0b:*.*\", \"numa_node\": \"1\"}",
	"{\"devname\": \"eth0\", \"product_id\": \"1018\", \"remote_managed\": \"true\"}",
};

/* typed tags as the scheduler reads them back */
static const char *const sched_specs[] = {
	"{\"vendor_id\": \"15b3\", \"address\": \"0000:0a:00.0\", \"trusted\": true, \"n\": 1.5}",
	"{\"vendor_id\": \" 8086 \", \"numa_node\": \" 1 \", \"x\": null}",
};

static const char *const bad_specs[] = {
	"{\"address\": \"0000:11:0*.*\"}",
	"{\"address\": \"0000:0a:0b:00.5\"}",
	"[5]",
	"{\"vendor_id\": \"8086\"",
	"{\"address\": {\"bus\": \"(?=x)\"}}",
	"{\"address\": {\"bus\": \"[a-\"}}",
	"{\"remote_managed\": \"true\", \"address\": \"0000:0a:00.0\"}",
};

#define HOST                                                                                                                                                                                                                                    \
	"{\"devices\": ["                                                                                                                                                                                                                       \
	"{\"address\": \"0000:0a:00.0\", \"vendor_id\": \"15b3\", \"product_id\": \"1017\", \"dev_type\": \"type-PF\", \"numa_node\": 0},"                                                                                                      \
	"{\"address\": \"0000:0a:00.2\", \"vendor_id\": \"15b3\", \"product_id\": \"1018\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0a:00.0\", \"numa_node\": 0, \"parent_ifname\": \"eth0\"},"                                      \
	"{\"address\": \"0000:0a:00.1\", \"vendor_id\": \"15b3\", \"product_id\": \"1018\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0a:00.0\", \"numa_node\": 0, \"parent_ifname\": \"eth0\"},"                                      \
	"{\"address\": \"0000:0b:00.1\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0b:00.0\", \"numa_node\": 1},"                                                                   \
	"{\"address\": \"0000:0b:00.2\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"dev_type\": \"vdpa\", \"parent_addr\": \"0000:0b:00.0\", \"numa_node\": 1},"                                                                      \
	"{\"address\": \"0000:0a:01.1\", \"vendor_id\": \"15b3\", \"product_id\": \"1018\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0a:00.0\", \"numa_node\": null, \"capabilities\": {\"vpd\": {\"card_serial_number\": \"MT1\"}}}" \
	"], \"numa_cells\": [{\"id\": 0, \"socket\": 0}, {\"id\": 1, \"socket\": 1}]}"

static const char *const aliases[] = {
	"{\"name\": \"a1\", \"product_id\": \"1018\", \"device_type\": \"type-VF\"}",
	"{\"name\": \" a1 \", \"product_id\": \"1017\", \"device_type\": \"type-VF\"}",
	"{\"name\": \"a2\", \"vendor_id\": \"8086\", \"numa_policy\": \"socket\"}",
};

static const char *const queries[] = {
	"{\"alias\": \"a1:2\"}",
	"{\"alias\": \"a1\", \"count\": 1, \"numa_policy\": \"required\", \"numa_cells\": [0]}",
	"{\"alias\": \"a2:1,a1:1\", \"numa_cells\": [{\"id\": 1}]}",
	"{\"alias\": \"a3:1\"}",
	"{\"requests\": [{\"count\": 1, \"spec\": [{\"physical_network\": \"physnet1\", \"trusted\": true}]}]}",
	"{\"requests\": [{\"count\": 2, \"spec\": [{\"dev_type\": \"type-PF\"}, {\"vendor_id\": \"8086\"}], \"numa_policy\": \"preferred\"}], \"numa_cells\": [1]}",
	"{\"count\": 1, \"spec\": [{\"dev_type\": \"vdpa\"}]}",
	"{\"requests\": [{\"count\": 1, \"spec\": [{\"a\": 1.5}]}]}",
	"{\"numa_policy\": \"bogus\", \"alias\": \"a1:1\"}",
};

static int whitelist_scenario(struct sriov_root *root, struct answer *a)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_error err = { 0 };
	json_t *host = input(HOST);
	json_t *devs = json_object_get(host, "devices");
	size_t i;
	json_t *d;

	for (size_t k = 0; k < sizeof(bad_specs) / sizeof(*bad_specs); k++) {
		const char *v = bad_specs[k];
		if (STEP(a, sriov_nova_whitelist_parse(root, &v, 1, &wl, &err),
			 &err) == 0)
			sriov_nova_whitelist_free(wl);
	}
	MUST(sriov_nova_whitelist_parse(
		     root, specs, sizeof(specs) / sizeof(*specs), &wl, &err),
	     &err);
	json_array_foreach(devs, i, d) {
		int m = STEP(a, sriov_nova_whitelist_match(wl, d, &err), &err);
		say(a, "device %zu: %d\n", i, m);
	}
	sriov_nova_whitelist_free(wl);
	json_decref(host);
	return 0;
oom:
	sriov_nova_whitelist_free(wl);
	json_decref(host);
	return -ENOMEM;
}

static int stats_scenario(struct sriov_root *root, struct answer *a,
			  const char *const *sp, size_t nsp, unsigned flags)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_aliases *al = NULL;
	struct sriov_nova_stats *st = NULL;
	struct sriov_nova_query q = { 0 };
	struct sriov_error err = { 0 };
	json_t *host = input(HOST), *got = NULL, *pools = NULL;

	MUST(sriov_nova_whitelist_parse(root, sp, nsp, &wl, &err), &err);
	MUST(sriov_nova_aliases_parse(aliases, 1, &al, &err), &err);
	sriov_nova_aliases_free(al);
	al = NULL;
	MUST(sriov_nova_aliases_parse(
		     aliases, sizeof(aliases) / sizeof(*aliases), &al, &err),
	     &err);
	MUST(sriov_nova_stats_from_json(wl, host, flags, &st, &err), &err);
	if (sriov_nova_stats_unreported(st))
		say(a, "%s\n", sriov_nova_stats_unreported(st));
	pools = sriov_nova_stats_pools(st);
	if (!pools)
		goto oom;
	say_json(a, pools);
	json_decref(pools);
	pools = NULL;
	for (size_t k = 0; k < sizeof(queries) / sizeof(*queries); k++) {
		json_t *e = input(queries[k]);
		int r = sriov_nova_query_from_json(al, e, &q, &err);

		json_decref(e);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0) {
			say(a, "query %zu: %s\n", k, err.msg);
			continue;
		}
		r = sriov_nova_stats_support_flags(st, q.reqs, q.n, q.cells,
						   q.ncells);
		if (r == -ENOMEM)
			goto oom;
		say(a, "query %zu: support %d\n", k, r);
		r = sriov_nova_stats_consume(st, q.reqs, q.n, q.cells, q.ncells,
					     &got);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0) {
			say(a, "query %zu: consume %d\n", k, r);
		} else {
			say_json(a, got);
			json_decref(got);
			got = NULL;
		}
		sriov_nova_query_release(&q);
	}
	pools = sriov_nova_stats_pools(st);
	if (!pools)
		goto oom;
	say_json(a, pools);
	json_decref(pools);
	sriov_nova_stats_free(st);
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	json_decref(host);
	return 0;
oom:
	sriov_nova_query_release(&q);
	sriov_nova_stats_free(st);
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	json_decref(host);
	return -ENOMEM;
}

#define N(a) (sizeof(a) / sizeof(*(a)))

static int plain_stats(struct sriov_root *root, struct answer *a)
{
	return stats_scenario(root, a, specs, N(specs), 0);
}

static int shared_stats(struct sriov_root *root, struct answer *a)
{
	return stats_scenario(root, a, specs, N(specs),
			      SRIOV_NOVA_HW_SHARED | SRIOV_NOVA_DETERMINISTIC);
}

static int scheduler_stats(struct sriov_root *root, struct answer *a)
{
	return stats_scenario(root, a, sched_specs, N(sched_specs),
			      SRIOV_NOVA_SCHEDULER | SRIOV_NOVA_HW_SHARED);
}

static int unreported_stats(struct sriov_root *root, struct answer *a)
{
	return stats_scenario(root, a, specs, N(specs), SRIOV_NOVA_SCHEDULER);
}

static char conf_path[128];

static int check_scenario(struct sriov_root *root, struct answer *a)
{
	struct sriov_nova_report rep = { 0 };
	struct sriov_error err = { 0 };
	json_t *host = input(HOST);

	STEP(a,
	     sriov_nova_check(root, conf_path, json_object_get(host, "devices"),
			      &rep, &err),
	     &err);
	for (size_t i = 0; i < rep.n; i++)
		say(a, "%u %d %s %s\n", rep.problems[i].line,
		    rep.problems[i].error,
		    rep.problems[i].option ? rep.problems[i].option : "-",
		    rep.problems[i].message);
	sriov_nova_report_release(&rep);
	json_decref(host);
	return 0;
oom:
	json_decref(host);
	return -ENOMEM;
}

typedef int scenario_fn(struct sriov_root *root, struct answer *a);

static void run(const char *name, scenario_fn *f, struct sriov_root *root)
{
	static struct answer want, got;
	unsigned long n, failed = 0;

	memset(&want, 0, sizeof(want));
	oom_arm(-1);
	assert_int_equal(f(root, &want), 0);
	n = oom_calls();
	assert_true(n > 10);
	for (unsigned long i = 0; i < n; i++) {
		memset(&got, 0, sizeof(got));
		oom_arm((long)i);
		int r = f(root, &got);
		oom_arm(-1);
		if (r == -ENOMEM) {
			failed++;
			continue;
		}
		if (r != 0 || strcmp(got.text, want.text))
			fail_msg(
				"%s: allocation %lu of %lu failing: %d, answer:\n%s\nwant:\n%s",
				name, i, n, r, got.text, want.text);
	}
	print_message(
		"%s: %lu allocations, %lu failures gave -ENOMEM, %lu the same answer\n",
		name, n, failed, n - failed);
}

static void test_whitelist(void **state)
{
	run("whitelist", whitelist_scenario, *state);
}

static void test_stats(void **state)
{
	run("stats", plain_stats, *state);
}

static void test_stats_shared(void **state)
{
	run("stats --hw-shared --deterministic", shared_stats, *state);
}

static void test_stats_scheduler(void **state)
{
	run("stats as the scheduler sees them", scheduler_stats, *state);
	run("stats the compute node cannot report", unreported_stats, *state);
}

static void test_check(void **state)
{
	run("check", check_scenario, *state);
}

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* PF 0000:0a:00.0 (15b3:1017, VF product 1018) with netdev eth0, as the
 * kernel shows it (drivers/pci/pci-sysfs.c, drivers/pci/iov.c). */
static int setup(void **state)
{
	struct sriov_root *root = NULL;

	snprintf(tree, sizeof(tree), "/tmp/nova-oom.XXXXXX");
	assert_non_null(mkdtemp(tree));
	dir("bus");
	dir("bus/pci");
	dir("bus/pci/devices");
	dir("class");
	dir("class/net");
	dir("class/net/eth0");
	dir("0000:0a:00.0");
	put("0000:0a:00.0/sriov_totalvfs", "8\n");
	put("0000:0a:00.0/sriov_vf_device", "1018\n");
	put("0000:0a:00.0/vendor", "0x15b3\n");
	put("0000:0a:00.0/device", "0x1017\n");
	put("0000:0a:00.0/product", "0x1017\n");
	link_to("../../../0000:0a:00.0", "bus/pci/devices/0000:0a:00.0");
	link_to("../../../0000:0a:00.0", "class/net/eth0/device");
	snprintf(conf_path, sizeof(conf_path), "%s/nova.conf", tree);
	put("nova.conf",
	    "[DEFAULT]\n"
	    "pci_alias = {\"name\": \"a1\", \"product_id\": \"1018\"}\n"
	    "[pci]\n"
	    "device_spec = {\"address\": \"0000:0a:00.0\", \"trusted\": true}\n"
	    "passthrough_whitelist = {\"vendor_id\": \"zz\"}\n"
	    "device_spec = {\"address\": {\"slot\": \"0\"}, \"x\": 1.5}\n"
	    "  \n"
	    "device_spec = {\"vendor_id\": \"ffff\"}\n"
	    "alias = {\"name\": \"a1\", \"product_id\": \"1017\"}\n"
	    "alias = {\"name\": \"a1\", \"product_id\": \"1017\", \"device_type\": \"type-PF\"}\n"
	    "alias = {\"name\": \"a2\", \"bogus\": 1}\n"
	    "device_spec = {\"address\": \"0000:11:0*.*\"}\n");
	assert_int_equal(sriov_root_open(tree, tree, &root, NULL), 0);
	*state = root;
	json_set_alloc_funcs(json_malloc, free);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	sriov_root_free(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whitelist),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_shared),
		cmocka_unit_test(test_stats_scheduler),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
