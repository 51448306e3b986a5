/* SPDX-License-Identifier: MIT */
/*
 * sriovd's API without a kernel: framing limits, bad requests answered
 * with clear errors and no change to the state, peer uids, the socket's
 * mode, the sd_notify datagram, and every answer in the README's JSON
 * conventions (json_rules.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "sriovd.h"
#include "assert_msg.h"
#include "json_rules.h"

static char dir[64];
static struct daemon d;

static int setup(void **state)
{
	struct sriov_error err = { 0 };
	struct sriov_store_vf v = { .index = 0, .numa_node = -1 };
	char db[128];

	snprintf(dir, sizeof(dir), "/tmp/test_daemon.XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	d.listen_fd = d.monitor_fd = -1;
	assert_int_equal(
		sriov_daemon_config_load("c.yaml",
					 "physnets:\n  physnet1: [eth0]\n"
					 "allowed_uids: [4242]\n"
					 "max_request: 1024\n",
					 &d.cfg, &err),
		0);
	snprintf(db, sizeof(db), "%s/s.db", dir);
	assert_int_equal(sriov_store_open(db, &d.store, &err), 0);
	snprintf(v.pf, sizeof(v.pf), "eth0");
	snprintf(v.physnet, sizeof(v.physnet), "physnet1");
	assert_int_equal(sriov_store_sync_vf(d.store, &v, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	sriov_store_close(d.store);
	sriov_daemon_config_release(&d.cfg);
	free(d.watch_ifindex);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Send @req, expect an error whose message contains @want. */
static void expect_error(const char *req, uid_t uid, const char *code,
			 const char *want)
{
	json_t *r = api_handle(&d, req, strlen(req), uid);
	json_t *e = json_object_get(r, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));

	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(e, "code")),
			    code);
	if (!msg || !strstr(msg, want))
		fail_msg("%s: got '%s', want '%s'", req, msg, want);
	json_decref(r);
}

static char *snapshot(void)
{
	const char *qa = "{\"op\":\"vf.list\"}", *qb = "{\"op\":\"port.list\"}";
	json_t *a = api_handle(&d, qa, strlen(qa), 0);
	json_t *b = api_handle(&d, qb, strlen(qb), 0);
	char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, 0), *s;

	assert_true(json_is_true(json_object_get(a, "ok")));
	assert_int_equal(asprintf(&s, "%s%s", sa, sb) > 0, 1);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	return s;
}

static void test_bad_requests_change_nothing(void **state)
{
	char *before = snapshot(), *after, big[2048];

	expect_error("{\"op\":\"port.bind\",\"port\":{\"id\":\"x\","
		     "\"network\":{\"physnet\":\"nope\"}}}",
		     0, "EINVAL", "unknown network 'nope'");
	expect_error("{\"op\":\"port.bind\",\"port\":{\"id\":\"x\","
		     "\"network\":{\"physnet\":\"physnet1\",\"vlan\":4096}}}",
		     0, "EINVAL", "invalid vlan 4096");
	expect_error("{\"op\":\"port.bind\",\"port\":{\"id\":\"x\",\"mac\":"
		     "\"zz:00:00:00:00:01\",\"network\":{\"physnet\":"
		     "\"physnet1\"}}}",
		     0, "EINVAL", "invalid mac 'zz:00:00:00:00:01'");
	expect_error("{\"op\":\"port.bind\",\"port\":{\"id\":\"x\",\"guid\":"
		     "\"00:11\",\"network\":{\"physnet\":\"physnet1\"}}}",
		     0, "EINVAL", "invalid guid '00:11'");
	expect_error(
		"{\"op\":\"port.bind\",\"port\":{\"id\":\"x\",\"pf\":"
		"\"eth0/../../x\",\"network\":{\"physnet\":\"physnet1\"}}}",
		0, "EINVAL", "invalid pf 'eth0/../../x'");
	expect_error("{\"op\":\"vf.clear\",\"pf\":\"..\",\"vf\":0}", 0,
		     "EINVAL", "invalid pf '..'");
	expect_error("{\"op\":\"port.unbind\",\"id\":\"a/b\"}", 0, "EINVAL",
		     "invalid id 'a/b'");
	expect_error("{\"op\":\"port.unbind\",\"id\":\"ghost\"}", 0, "ENOENT",
		     "no port 'ghost'");
	expect_error("{\"op\":\"port.bind\",\"port\":{\"id\":\"x\"", 0,
		     "EINVAL", "truncated json");
	expect_error("{\"op\":\"port.bind\"}x", 0, "EINVAL", "invalid json");
	expect_error("{\"op\":\"health\",\"op\":\"health\"}", 0, "EINVAL",
		     "duplicate");
	expect_error("[1]", 0, "EINVAL", "a request is an object");
	expect_error("{\"op\":\"explode\"}", 0, "EINVAL", "unknown op");
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"op\":\"health\"", 14);
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	expect_error(big, 0, "E2BIG",
		     "request too large: more than 1024 bytes");
	/* another uid: refused whatever it asks */
	expect_error("{\"op\":\"port.unbind\",\"id\":\"x\"}", 1001, "EACCES",
		     "uid 1001 is not allowed");
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/*
 * The table's "writes" is true of every operation that may change the
 * state: each one marked read-only, asked with arguments that name
 * something (a port, a PF, a VF), leaves the lists as they were. vf.clear
 * is the one that must: it frees a quarantined VF.
 */
static void test_read_only_ops(void **state)
{
	struct sriov_error err = { 0 };
	struct sriov_store_vf *v = NULL;
	char *before, *after, req[256];
	size_t n = 0, checked = 0;
	json_t *r;

	assert_int_equal(sriov_store_list_vfs(d.store, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
		sriov_store_vf_quarantine(d.store, v[0].id, "test", &err), 0);
	free(v);
	/* host.inventory reads a host: the igb fixture's, never written */
	assert_int_equal(sriov_root_open(SRIOV_FIXTURES_BUILD "/igb/sys",
					 SRIOV_FIXTURES_BUILD "/igb/proc",
					 &d.root, &err),
			 0);
	before = snapshot();
	/* a quarantined VF needs an operator: health says so */
	r = api_handle(&d, "{\"op\":\"health\"}", 15, 0);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "degraded");
	assert_msg_has(json_string_value(json_object_get(r, "reason")),
		       "1 quarantined", "port clear");
	json_decref(r);
	for (size_t i = 0; i < api_n_ops; i++) {
		if (api_ops[i].writes)
			continue;
		snprintf(
			req, sizeof(req),
			"{\"op\":\"%s\",\"id\":\"x\",\"pf\":\"eth0\",\"vf\":0}",
			api_ops[i].name);
		r = api_handle(&d, req, strlen(req), 0);
		if (json_rules_violation(r))
			fail_msg("%s: %s", api_ops[i].name,
				 json_rules_violation(r));
		json_decref(r);
		after = snapshot();
		if (strcmp(before, after))
			fail_msg(
				"%s is marked read-only but changed %s into %s",
				api_ops[i].name, before, after);
		free(after);
		checked++;
	}
	assert_true(checked >= 5);
	/* and the comparison sees a change: vf.clear writes */
	assert_true(api_op_find("vf.clear")->writes);
	snprintf(req, sizeof(req),
		 "{\"op\":\"vf.clear\",\"pf\":\"eth0\",\"vf\":0}");
	r = api_handle(&d, req, strlen(req), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	after = snapshot();
	assert_string_not_equal(before, after);
	r = api_handle(&d, "{\"op\":\"health\"}", 15, 0);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "ok");
	json_decref(r);
	free(before);
	free(after);
	sriov_root_free(d.root);
	d.root = NULL;
}

static void test_peers_and_health(void **state)
{
	json_t *r;

	assert_true(api_peer_allowed(&d.cfg, 0));
	assert_true(api_peer_allowed(&d.cfg, geteuid()));
	assert_true(api_peer_allowed(&d.cfg, 4242));
	assert_false(api_peer_allowed(&d.cfg, 4243));
	r = api_handle(&d, "{\"op\":\"health\"}", 15, 4242);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "status")),
			    "ok");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(r, "vfs"), "free")),
			 1);
	json_decref(r);
	r = api_handle(&d, "{\"op\":\"metrics\"}", 16, 0);
	assert_msg_has(
		json_string_value(json_object_get(r, "text")),
		"sriovd_vfs{pf=\"eth0\",physnet=\"physnet1\",state=\"free\"} 1\n");
	/* the two bad requests above are not counted here: a fresh daemon
	 * counted the health request only */
	assert_msg_has(json_string_value(json_object_get(r, "text")),
		       "sriovd_requests_total{op=\"other\"} 1\n");
	json_decref(r);
}

/* A bind's answer (a real one needs a kernel: lab.kernel.sriovd-basic). */
static void test_bind_answer(void **state)
{
	struct sriov_port_request req = { .id = "p1",
					  .has_pkey = true,
					  .pkey = 0x8001 };
	struct sriov_port_bound b = { .pf = "ib0",
				      .vf = 2,
				      .address = "0000:41:00.3",
				      .physnet = "ibnet",
				      .numa_node = -1,
				      .infiniband = true,
				      .guid = 0x025e000100000007ull };
	json_t *o;

	o = ops_bind_json(&req, &b);
	if (json_rules_violation(o))
		fail_msg("%s", json_rules_violation(o));
	assert_true(json_is_null(json_object_get(o, "numa_node")));
	assert_string_equal(json_string_value(json_object_get(o, "guid")),
			    "0x025e000100000007");
	assert_string_equal(json_string_value(json_object_get(o, "pkey")),
			    "0x8001");
	assert_int_equal(json_integer_value(json_object_get(o, "vf")), 2);
	json_decref(o);
	b.numa_node = 1;
	o = ops_bind_json(&req, &b);
	assert_int_equal(json_integer_value(json_object_get(o, "numa_node")),
			 1);
	json_decref(o);
	/* the rules can fail */
	o = json_pack("{s:i,s:s}", "numa_node", -1, "guid", "02:5e:00:01");
	assert_non_null(json_rules_violation(o));
	json_object_set_new(o, "numa_node", json_null());
	assert_msg_has(json_rules_violation(o), "$.guid");
	json_decref(o);
}

static void test_socket_mode(void **state)
{
	struct sriov_error err = { 0 };
	struct stat st;
	char path[128];

	snprintf(path, sizeof(path), "%s/s.sock", dir);
	free(d.cfg.socket);
	d.cfg.socket = strdup(path);
	assert_int_equal(api_listen(&d, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second daemon on a live socket is refused */
	{
		int keep = d.listen_fd;

		assert_int_equal(api_listen(&d, &err), -EADDRINUSE);
		close(keep);
	}
}

static void test_sd_notify(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[128], buf[64];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(path, sizeof(path), "%s/notify", dir);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_send("READY=1"), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 7);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	setenv("WATCHDOG_USEC", "3000000", 1);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_watchdog_ms(), 1500);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(notify_watchdog_ms(), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_bad_requests_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_ops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peers_and_health, setup,
						teardown),
		cmocka_unit_test(test_bind_answer),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
