/* SPDX-License-Identifier: MIT */
/*
 * Every allocation of the parsers is checked: each scenario runs once per
 * allocation it makes, with that one allocation failing (malloc, calloc,
 * realloc, strdup, strndup, asprintf and vasprintf of the library's own
 * code, wrapped at link time: tests/unit/CMakeLists.txt). Each run must
 * return -ENOMEM with "out of memory" in its message, crash nowhere, and
 * leak nothing (LeakSanitizer at exit).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/daemon_config.h>
#include <sriov/partitions.h>
#include "config/hostyaml.h"
#include "util/readfile.h"
#include "oom_wrap.h"

static const char host_yaml[] =
	"pfs:\n"
	"  - name: enp65s0f0\n    numvfs: 8\n    driver: vfio-pci\n"
	"    vfs:\n"
	"      - vf: 0-7\n        mac: 02:00:00:00:00:10\n        vlan: 100\n"
	"      - vf: 3\n        vlan: 200\n        qos: 2\n"
	"  - vendor: 0x15b3\n    device: 0x101b\n    vfs: []\n";

static const char intent_yaml[] =
	"partitions:\n"
	"  - name: Default\n    pkey: 0x7fff\n    ipoib: true\n"
	"    members:\n      - {group: ALL_SWITCHES, membership: full}\n"
	"      - {group: SELF, membership: full}\n"
	"  - name: tenantA\n    pkey: 0x0100\n    defmember: full\n"
	"    scope: [2, 5]\n"
	"    members:\n      - guid: 0x0002c90300a1b2c1\n"
	"      - {guid: 0x0002c90300a1b2c2, membership: limited}\n";

static const char partitions_conf[] =
	"Default=0x7fff, ipoib : ALL=full ;\n"
	"tenantA=0x8100 : 0x0002c90300a1b2c1, 0x0002c90300a1b2c2=limited ;\n"
	"storage=0x0200, mtu=5, rate=7 : ALL_CAS=both, SELF=full ;\n"
	"bad=0x0300 : 0xzz ;\n"
	"tenantA=0x0101 : ALL ;\n";

static const char daemon_yaml[] =
	"physnets:\n  physnet1: [eth0, eth1]\n  ibnet: ib0\n"
	"exclude_devices:\n  - 'eth0:0000:07:00.2; vf3'\n"
	"direct_physical: [eth1]\n"
	"allowed_uids: [1000, 1001]\n"
	"state_dir: /var/lib/sriovd\nsocket: /run/sriovd/s.sock\n"
	"metrics_file: /var/lib/x.prom\n"
	"cluster:\n  etcd: [https://10.0.0.1:2379, https://10.0.0.2:2379]\n"
	"  prefix: /c/\n  ca_file: /etc/ca.pem\n  cert_file: /etc/c.pem\n"
	"  key_file: /etc/k.pem\n  fabric: {ibnet: fab-a}\n";

static char tmpfile_path[64];

static int run_read_file(struct sriov_error *e)
{
	char *buf = NULL;
	int r = read_file_capped(tmpfile_path, 1u << 20, &buf, NULL, e);

	free(buf);
	return r;
}

static int run_host(struct sriov_error *e)
{
	struct host_file h;
	int r = host_parse("h.yaml", host_yaml, strlen(host_yaml), &h, e);

	if (r >= 0)
		host_file_release(&h);
	return r;
}

static int run_intent(struct sriov_error *e)
{
	struct sriov_partitions pc;
	char *text = NULL;
	int r;

	r = sriov_intent_parse(intent_yaml, strlen(intent_yaml), "i.yaml", &pc,
			       e);
	if (r < 0)
		return r;
	r = sriov_partitions_write(&pc, &text, e);
	free(text);
	sriov_partitions_release(&pc);
	return r;
}

static int run_partitions(struct sriov_error *e)
{
	static const struct sriov_fabric_port ports[] = {
		{ 0x0002c90300a1b2c1, SRIOV_NODE_CA, 0 },
		{ 0x0002c90300a1b2c2, SRIOV_NODE_CA, 4 },
		{ 0x0002c90300000a01, SRIOV_NODE_SWITCH, 0 },
	};
	struct sriov_lint_opts lo = { .table_size = 4 };
	struct sriov_port_pkeys *t = NULL;
	struct sriov_partitions pc;
	int r;

	r = sriov_partitions_parse(partitions_conf, strlen(partitions_conf),
				   "p.conf", &pc, e);
	if (r < 0)
		return r;
	r = sriov_partitions_lint(&pc, &lo, e);
	if (r >= 0) {
		r = sriov_partitions_predict(&pc, ports, 3, ports[0].guid, 0,
					     &t, e);
		if (r >= 0)
			sriov_port_pkeys_free(t, 3);
	}
	sriov_partitions_release(&pc);
	return r;
}

static int run_daemon_config(struct sriov_error *e)
{
	struct sriov_daemon_config c;
	int r = sriov_daemon_config_load("d.yaml", daemon_yaml, &c, e);

	if (r >= 0)
		sriov_daemon_config_release(&c);
	return r;
}

static void each_failure(const char *what, int (*run)(struct sriov_error *))
{
	struct sriov_error e = { 0 };
	unsigned long made;
	long n;

	oom_arm(-1);
	assert_int_equal(run(&e), 0); /* the scenario itself is valid */
	for (n = 1;; n++) {
		int r;

		sriov_error_clear(&e);
		oom_arm(n - 1); /* the n-th allocation, counted from 1 */
		r = run(&e);
		made = oom_calls();
		oom_arm(-1);
		if (made < (unsigned long)n) /* every one was tried */
			break;
		if (r != -ENOMEM || !strstr(e.msg, "out of memory"))
			fail_msg(
				"%s: allocation %ld failing: returned %d, '%s' (want -ENOMEM, out of memory)",
				what, n, r, e.msg);
	}
	print_message("%s: %ld allocations, each refused once\n", what, n - 1);
	assert_true(n > 1);
}

static void test_read_file(void **state)
{
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/sriov-oom-XXXXXX");
	fd = mkstemp(tmpfile_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, host_yaml, strlen(host_yaml)),
			 (ssize_t)strlen(host_yaml));
	close(fd);
	each_failure("read_file_capped", run_read_file);
	unlink(tmpfile_path);
}

static void test_host(void **state)
{
	each_failure("host_parse", run_host);
}

static void test_intent(void **state)
{
	each_failure("sriov_intent_parse", run_intent);
}

static void test_partitions(void **state)
{
	each_failure("sriov_partitions_parse", run_partitions);
}

static void test_daemon_config(void **state)
{
	each_failure("sriov_daemon_config_load", run_daemon_config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_intent),
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_daemon_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
