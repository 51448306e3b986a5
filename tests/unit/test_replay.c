/* SPDX-License-Identifier: MIT */
/*
 * A sysfs root that is not the live /sys gets a netlink handle that
 * replays recorded answers (issue 12): which roots are live, reads
 * answered from DIR/netlink/IFNAME.nlmsg (golden RTM_NEWLINK messages laid
 * out as the kernel's rtnl_fill_vfinfo() does, by mk-newlink.py), every
 * change refused with -EROFS and the reason, a missing or foreign recorded
 * answer named, and no socket opened by any of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>

#include <sriov/root.h>
#include <sriov/vf.h>
#include "netlink/socket.h"
#include "netlink/vfmsg.h"

#define SCRIPT_DIR SRIOV_FIXTURES "/netlink"

struct tree {
	char dir[PATH_MAX];
	char canon[PATH_MAX];
	struct sriov_root *root;
};

static void put(const struct tree *t, const char *rel, const void *buf,
		size_t len)
{
	char path[PATH_MAX * 2], cmd[PATH_MAX * 3];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void put_str(const struct tree *t, const char *rel, const char *s)
{
	put(t, rel, s, strlen(s));
}

static void copy_golden(const struct tree *t, const char *golden,
			const char *rel)
{
	char path[PATH_MAX * 2], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/golden/%s", t->dir, golden);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	put(t, rel, buf, n);
}

/* Sockets this process holds: a replaying handle must add none. */
static int sockets(void)
{
	char link[64], path[300];
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0 && !strncmp(link, "socket:", 7))
			n++;
	}
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct sriov_error e = { 0 };
	char cmd[PATH_MAX * 3], sys[PATH_MAX + 8];

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_replay.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	assert_non_null(realpath(t->dir, t->canon));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/golden && python3 %s/mk-newlink.py %s/golden",
		 t->dir, SCRIPT_DIR, t->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "SKIP: python3 cannot build the golden "
				"RTM_NEWLINK messages\n");
		exit(77);
	}
	/* the tree's netdevs, with the ifindexes the golden answers carry */
	put_str(t, "sys/class/net/enp65s0f0/ifindex", "7\n");
	put_str(t, "sys/class/net/ibp65s0/ifindex", "9\n");
	put_str(t, "sys/class/net/eth9/ifindex", "11\n"); /* nothing recorded */
	put_str(t, "sys/class/net/eth8/ifindex", "13\n"); /* someone else's */
	put_str(t, "sys/class/net/eth7/ifindex", "15\n"); /* not a message */
	copy_golden(t, "eth.nl", "netlink/enp65s0f0.nlmsg");
	copy_golden(t, "ib.nl", "netlink/ibp65s0.nlmsg");
	copy_golden(t, "eth.nl", "netlink/eth8.nlmsg");
	put_str(t, "netlink/eth7.nlmsg", "not a netlink message");
	/* a FIFO and a folder where an answer should be: refused, unread */
	put_str(t, "sys/class/net/eth6/ifindex", "17\n");
	put_str(t, "sys/class/net/eth5/ifindex", "19\n");
	snprintf(cmd, sizeof(cmd), "%s/netlink/eth6.nlmsg", t->dir);
	assert_int_equal(mkfifo(cmd, 0600), 0);
	snprintf(cmd, sizeof(cmd), "%s/netlink/eth5.nlmsg", t->dir);
	assert_int_equal(mkdir(cmd, 0700), 0);
	snprintf(sys, sizeof(sys), "%s/sys", t->dir);
	if (sriov_root_open(sys, NULL, &t->root, &e) < 0)
		fail_msg("%s", e.msg);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];

	sriov_root_free(t->root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static bool sys_is_sysfs(void)
{
	struct statfs sf;

	return statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC;
}

static void test_live_roots(void **state)
{
	struct tree *t = *state;
	struct sriov_error e = { 0 };
	struct sriov_root *r = NULL;
	char want[PATH_MAX + 16], link[PATH_MAX + 16];

	assert_false(sriov_root_is_live(t->root));
	snprintf(want, sizeof(want), "%s/netlink", t->canon);
	assert_string_equal(sriov_root_netlink_path(t->root), want);
	if (!sys_is_sysfs()) {
		fprintf(stderr, "note: /sys is not sysfs here: the live-root "
				"half of this test cannot run\n");
		return;
	}
	assert_int_equal(sriov_root_open("/sys", NULL, &r, &e), 0);
	assert_true(sriov_root_is_live(r));
	assert_null(sriov_root_netlink_path(r));
	sriov_root_free(r);
	/* the same directory by another name is still the kernel's */
	snprintf(link, sizeof(link), "%s/sys-link", t->dir);
	assert_int_equal(symlink("/sys", link), 0);
	assert_int_equal(sriov_root_open(link, NULL, &r, &e), 0);
	assert_true(sriov_root_is_live(r));
	sriov_root_free(r);
	/* sysfs, but not /sys: its ifindexes are not a tree's to ask about */
	assert_int_equal(sriov_root_open("/sys/class", NULL, &r, &e), 0);
	assert_false(sriov_root_is_live(r));
	sriov_root_free(r);
}

static void test_read(void **state)
{
	struct tree *t = *state;
	struct sriov_error e = { 0 };
	struct sriov_nl *nl = NULL;
	struct sriov_link_vfs l = { 0 };
	int before = sockets();

	assert_int_equal(sriov_nl_open(t->root, &nl, &e), 0);
	assert_true(nl_is_replay(nl));
	assert_int_equal(sockets(), before);
	if (sriov_vf_read(nl, 7, &l, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(l.ifname, "enp65s0f0");
	assert_int_equal(l.n_vfs, 2);
	assert_int_equal(l.vfs[0].vlan, 100);
	assert_int_equal(l.vfs[0].qos, 3);
	assert_int_equal(l.vfs[1].vlan_proto, SRIOV_ETH_P_8021AD);
	/* not asked for: as the kernel, no counters */
	assert_int_equal(l.vfs[0].stats_present, 0);
	assert_int_equal(l.vfs[0].stats.rx_packets, 0);
	sriov_link_vfs_release(&l);
	assert_int_equal(sriov_vf_read_stats(nl, 7, &l, &e), 0);
	assert_int_equal(l.vfs[0].stats_present, 0xff);
	assert_int_equal(l.vfs[0].stats.rx_packets, 1001);
	sriov_link_vfs_release(&l);
	/* twice in a row, and the other link */
	assert_int_equal(sriov_vf_read(nl, 9, &l, &e), 0);
	assert_string_equal(l.ifname, "ibp65s0");
	assert_true(l.vfs[0].port_guid == 0x8899aabbccddeeffull);
	sriov_link_vfs_release(&l);
	assert_int_equal(sockets(), before);
	sriov_nl_close(nl);
}

static void test_refused(void **state)
{
	struct tree *t = *state;
	struct sriov_error e = { 0 };
	struct sriov_nl *nl = NULL;
	struct sriov_vf_config cfg = { .vf = 1 };
	struct sriov_vf_result res;
	char buf[512], msg[160] = "";
	int before = sockets(), n;

	assert_int_equal(sriov_nl_open(t->root, &nl, &e), 0);
	assert_int_equal(
		sriov_vf_config_set(&cfg, "mac", "02:00:00:00:00:01", &e), 0);
	assert_int_equal(sriov_vf_config_set(&cfg, "trust", "on", &e), 0);
	assert_int_equal(sriov_vf_set(nl, 7, &cfg, NULL, &res, &e), -EROFS);
	assert_int_equal(res.sent, 0);
	assert_int_equal(res.failed, cfg.mask);
	assert_int_equal(res.code[SRIOV_VF_TRUST], -EROFS);
	if (!strstr(e.msg, "vf 1: refused") ||
	    !strstr(e.msg, "is not the live /sys") ||
	    !strstr(e.msg, sriov_root_sys_path(t->root)))
		fail_msg("message: %s", e.msg);
	/* below sriov_vf_set(): the handle itself sends no change */
	n = nl_vf_encode(buf, sizeof(buf), 7, 0, &cfg, SRIOV_VF_MAC);
	assert_true(n > 0);
	assert_int_equal(nl_request_ack(nl, buf, (size_t)n, msg, sizeof(msg)),
			 -EROFS);
	if (!strstr(msg, "RTM_SETLINK refused"))
		fail_msg("ack text: %s", msg);
	assert_int_equal(nl_link_has_addresses(nl, 7), -EROFS);
	assert_int_equal(sockets(), before);
	sriov_nl_close(nl);
}

static void test_missing_and_foreign(void **state)
{
	struct tree *t = *state;
	struct sriov_error e = { 0 };
	struct sriov_nl *nl = NULL;
	struct sriov_link_vfs l = { 0 };
	char want[PATH_MAX + 32];

	assert_int_equal(sriov_nl_open(t->root, &nl, &e), 0);
	assert_int_equal(sriov_vf_read(nl, 11, &l, &e), -ENOENT);
	snprintf(want, sizeof(want), "%s/netlink/eth9.nlmsg", t->canon);
	if (!strstr(e.msg, want) || !strstr(e.msg, "eth9 (ifindex 11)"))
		fail_msg("missing answer: %s", e.msg);
	sriov_error_clear(&e);
	assert_int_equal(sriov_vf_read(nl, 12, &l, &e), -ENODEV);
	if (!strstr(e.msg, "ifindex 12 is no netdev"))
		fail_msg("unknown ifindex: %s", e.msg);
	sriov_error_clear(&e);
	/* enp65s0f0's answer filed as eth8: never passed off as eth8's */
	assert_int_equal(sriov_vf_read(nl, 13, &l, &e), -EBADMSG);
	if (!strstr(e.msg, "recorded for enp65s0f0 ifindex 7"))
		fail_msg("foreign answer: %s", e.msg);
	sriov_error_clear(&e);
	assert_int_equal(sriov_vf_read(nl, 15, &l, &e), -EBADMSG);
	if (!strstr(e.msg, "eth7.nlmsg: not one recorded RTM_NEWLINK"))
		fail_msg("garbage answer: %s", e.msg);
	sriov_error_clear(&e);
	alarm(10); /* a reader that waits for the FIFO's writer dies here */
	assert_int_equal(sriov_vf_read(nl, 17, &l, &e), -EINVAL);
	alarm(0);
	if (!strstr(e.msg, "eth6.nlmsg: is not a regular file (a FIFO)"))
		fail_msg("FIFO answer: %s", e.msg);
	sriov_error_clear(&e);
	assert_int_equal(sriov_vf_read(nl, 19, &l, &e), -EISDIR);
	if (!strstr(e.msg, "eth5.nlmsg: is a directory"))
		fail_msg("folder answer: %s", e.msg);
	sriov_nl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_roots, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_foreign, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
