/* SPDX-License-Identifier: MIT */
/*
 * VF settings parsing (bad input is refused before anything is sent) and
 * the VF lifecycle on a fake sysfs tree. The tree mirrors the kernel's
 * layout: drivers/pci/iov.c (sriov_*, virtfnN, physfn),
 * drivers/pci/pci-sysfs.c (driver_override), drivers/pci/pci-driver.c
 * (drivers_probe, drivers/X/unbind), net/core/net-sysfs.c (ifindex,
 * flags). Writes to a fake tree are only files, so a recording writer
 * checks the sequence of writes and simulates the kernel's answers.
 */
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
#include <unistd.h>
#include <cmocka.h>

#include <sriov/port.h>
#include <sriov/root.h>
#include <sriov/vf.h>
#include "core/pf.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "assert_msg.h"

static void test_parse_good(void **state)
{
	struct sriov_vf_config c = { .vf = 3 };
	struct sriov_error e = { 0 };
	char s[24];

	assert_int_equal(
		sriov_vf_config_set(&c, "mac", "02:AA:bb:cc:dd:ee", &e), 0);
	assert_int_equal(c.mac_len, 6);
	assert_int_equal(c.mac[1], 0xaa);
	assert_int_equal(sriov_vf_config_set(&c, "vlan", "4095", &e), 0);
	assert_int_equal(sriov_vf_config_set(&c, "qos", "7", &e), 0);
	assert_int_equal(sriov_vf_config_set(&c, "proto", "802.1ad", &e), 0);
	assert_int_equal(c.vlan_proto, 0x88a8);
	assert_int_equal(sriov_vf_config_set(&c, "node_guid",
					     "02:02:03:04:05:06:07:08", &e),
			 0);
	/* iproute2 get_guid(): first byte most significant */
	assert_true(c.node_guid == 0x0202030405060708ULL);
	sriov_guid_format_colon(c.node_guid, s);
	assert_string_equal(s, "02:02:03:04:05:06:07:08");
	/* the forms of ip link: short bytes, numbers in hex */
	assert_int_equal(sriov_vf_config_set(&c, "mac", "2:54:0:12:34:56", &e),
			 0);
	assert_int_equal(c.mac[0], 2);
	assert_int_equal(c.mac[2], 0);
	assert_int_equal(c.mac[5], 0x56);
	assert_int_equal(sriov_vf_config_set(&c, "vlan", "0x64", &e), 0);
	assert_int_equal(c.vlan, 100);
	assert_int_equal(sriov_vf_config_set(&c, "rate", "100", &e), 0);
	assert_int_equal(c.max_tx_rate, 100);
	assert_true(c.legacy_rate);
	assert_int_equal(sriov_vf_config_set(
				 &c, "mac",
				 "00:00:00:00:fe:80:00:00:00:00:00:00:11:22:33:"
				 "44:55:66:77:88",
				 &e),
			 0);
	assert_int_equal(c.mac_len, 20);
	assert_int_equal(sriov_vf_config_check(&c, &e), 0);
}

static void expect_bad(const char *key, const char *val, const char *needle)
{
	struct sriov_vf_config c = { .vf = 1 };
	struct sriov_error e = { 0 };

	assert_int_equal(sriov_vf_config_set(&c, key, val, &e), -EINVAL);
	assert_int_equal(c.mask, 0);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_parse_bad(void **state)
{
	struct sriov_vf_config c = { .vf = 1 };
	struct sriov_error e = { 0 };

	expect_bad("vlan", "4096", "expected 0 to 4095");
	expect_bad("vlan", "-1", "invalid vlan");
	expect_bad("qos", "8", "expected 0 to 7");
	expect_bad("proto", "802.1x", "expected 802.1Q or 802.1ad");
	expect_bad("mac", "00:11:22:33:44", "invalid mac");
	expect_bad("mac", "00:11:22:33:44:5g", "invalid mac");
	expect_bad("mac", "01:00:5e:00:00:01", "multicast");
	expect_bad("node_guid", "00:00:00:00:00:00:00:00", "reserved");
	expect_bad("port_guid", "ff:ff:ff:ff:ff:ff:ff:ff", "reserved");
	expect_bad("node_guid", "01:02:03:04:05:06:07", "invalid guid");
	expect_bad("node_guid", "0102:03:04:05:06:07:08", "invalid guid");
	/* ib guid's checks: a group GUID is no port's */
	expect_bad("node_guid", "01:02:03:04:05:06:07:08", "group (I/G) bit");
	expect_bad("port_guid", "0x0300000000000000", "group (I/G) bit");
	/* what strtoul() or sscanf("%x") would let through, ip link not
	 * meaning it: blanks, signs, 0x inside a MAC, junk after a byte */
	expect_bad("vlan", " 5", "invalid vlan");
	expect_bad("vlan", "+5", "invalid vlan");
	expect_bad("vlan", "0x", "invalid vlan");
	expect_bad("vlan", "08", "invalid vlan");
	expect_bad("rate", "-1", "invalid rate");
	expect_bad("mac", "0x2:54:0:12:34:56", "invalid mac");
	expect_bad("mac", "2:54:0:12:34:5z", "invalid mac");
	expect_bad("mac", "2:54:0:12:34:", "invalid mac");
	expect_bad("mac", "002:54:0:12:34:56", "invalid mac");
	expect_bad("proto", "0x0800", "expected 802.1Q or 802.1ad");
	expect_bad("spoofchk", "yes", "expected on or off");
	expect_bad("state", "up", "auto, enable or disable");
	expect_bad("max_tx_rate", "4294967296", "invalid max_tx_rate");
	expect_bad("colour", "blue", "unknown vf setting 'colour'");

	c.qos = 3;
	assert_int_equal(sriov_vf_config_check(&c, &e), -EINVAL);
	assert_msg_has(e.msg, "qos needs a vlan");
	c = (struct sriov_vf_config){ .vf = 1 };
	assert_int_equal(sriov_vf_config_set(&c, "min_tx_rate", "100", &e), 0);
	assert_int_equal(sriov_vf_config_set(&c, "max_tx_rate", "10", &e), 0);
	assert_int_equal(sriov_vf_config_check(&c, &e), -EINVAL);
	/* max_tx_rate overrides rate, in either order (ip link) */
	c = (struct sriov_vf_config){ .vf = 1 };
	assert_int_equal(sriov_vf_config_set(&c, "max_tx_rate", "1000", &e), 0);
	assert_int_equal(sriov_vf_config_set(&c, "rate", "100", &e), 0);
	assert_int_equal(c.max_tx_rate, 1000);
	assert_false(c.legacy_rate);
	assert_int_equal(sriov_vf_config_set(&c, "rate", "200", &e), 0);
	assert_int_equal(c.max_tx_rate, 1000);
}

/* ---- fake sysfs ---- */

/*
 * tests/fixtures/hosts/mlx5-eth.json as tests/fixtures/mkhost.py builds it,
 * copied per test: PF 0000:41:00.0 (eth0, ifindex 4) on mlx5_core with 2
 * of 8 VFs, VF 0 0000:41:00.2 on mlx5_core with netdev eth1 (ifindex 5),
 * VF 1 0000:41:00.3 with no driver; vfio-pci loaded.
 */
struct fake {
	char dir[64]; /* the temporary directory, removed by teardown */
	char sys[128]; /* its sys/, the root */
	struct sriov_root *root;
	char log[4096];
	const char *fail_path; /* inject */
	int fail_code;
	int has_addr;
	char rebind_as[16]; /* netdev name the VF gets on bind */
};

/* Write a file of the tree (@rel under sys/), or make a folder when
 * @content is NULL. */
static void mk(struct fake *f, const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->sys, rel);
	if (!content) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

/* Point the link @rel at @to (both under sys/, either through links) as
 * the kernel writes its links, and mkhost.py too: relative, up from the
 * folder the link is really in to the top, then down to the real target. */
static void ln(struct fake *f, const char *rel, const char *to)
{
	char p[PATH_MAX], at[PATH_MAX], top[PATH_MAX], dir[PATH_MAX];
	char dst[PATH_MAX], target[PATH_MAX];
	size_t len, n = 0;

	assert_non_null(realpath(f->sys, top));
	len = strlen(top);
	snprintf(p, sizeof(p), "%s/%s", f->sys, rel);
	snprintf(at, sizeof(at), "%s", p);
	*strrchr(at, '/') = '\0';
	assert_non_null(realpath(at, dir));
	snprintf(at, sizeof(at), "%s/%s", f->sys, to);
	assert_non_null(realpath(at, dst));
	assert_int_equal(strncmp(dir, top, len), 0);
	assert_int_equal(strncmp(dst, top, len), 0);
	for (const char *c = dir + len; *c; c++)
		if (*c == '/')
			n += (size_t)snprintf(target + n, sizeof(target) - n,
					      "../");
	snprintf(target + n, sizeof(target) - n, "%s", dst + len + 1);
	unlink(p);
	assert_int_equal(symlink(target, p), 0);
}

#define PF "bus/pci/devices/0000:41:00.0"

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sriov_error e = { 0 };
	char cmd[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sriov-test-vf-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/mlx5-eth/sys' '%s/'",
		 SRIOV_FIXTURES_BUILD, f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->dir);
	if (sriov_root_open(f->sys, f->dir, &f->root, &e) < 0)
		fail_msg("root %s: %s", f->sys, e.msg);
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[128];

	sriov_root_free(f->root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Record, inject, and play the kernel's part for unbind and probe. */
static int rec_write(void *ud, int dfd, const char *const *comps,
		     const char *val)
{
	struct fake *f = ud;
	char p[PATH_MAX], line[PATH_MAX + 64];
	size_t n;

	assert_int_equal(fs_path(p, sizeof(p), comps), 0);
	snprintf(line, sizeof(line), "%s=%s;", p,
		 strcmp(val, "\n") ? val : "\\n");
	n = strlen(f->log);
	snprintf(f->log + n, sizeof(f->log) - n, "%s", line);
	if (f->fail_path && !strcmp(p, f->fail_path))
		return f->fail_code;
	if (strstr(p, "/unbind")) {
		snprintf(line, sizeof(line), "%s/bus/pci/devices/%s/driver",
			 f->sys, val);
		unlink(line);
		return 0;
	}
	if (strstr(p, "/bind")) {
		char rel[256], tgt[256], net[128], drv[64], netdir[PATH_MAX];
		const char *d = p + strlen("bus/pci/drivers/");

		snprintf(drv, sizeof(drv), "%.*s", (int)(strchr(d, '/') - d),
			 d);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", val);
		snprintf(tgt, sizeof(tgt), "bus/pci/drivers/%s", drv);
		ln(f, rel, tgt);
		if (f->rebind_as[0]) {
			/* the probe named the VF's netdev otherwise */
			snprintf(netdir, sizeof(netdir),
				 "%s/bus/pci/devices/%s/net", f->sys, val);
			snprintf(line, sizeof(line), "rm -rf '%s'/*", netdir);
			assert_int_equal(system(line), 0);
			snprintf(net, sizeof(net), "bus/pci/devices/%s/net/%s",
				 val, f->rebind_as);
			mk(f, net, NULL);
			snprintf(rel, sizeof(rel), "%s/ifindex", net);
			mk(f, rel, "9\n");
			snprintf(rel, sizeof(rel), "class/net/%s",
				 f->rebind_as);
			ln(f, rel, net);
		}
		return 0;
	}
	if (!strcmp(p, "bus/pci/drivers_probe")) {
		_cleanup_free_ char *ov = NULL;
		char rel[256], tgt[256];

		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override",
			 val);
		fs_read_str(dfd, SP(rel), &ov);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", val);
		snprintf(tgt, sizeof(tgt), "bus/pci/drivers/%s",
			 ov && ov[0] && strcmp(ov, "(null)") ? ov :
							       "mlx5_core");
		ln(f, rel, tgt);
		return 0;
	}
	return fs_write_str(dfd, comps, val);
}

static int rec_has_addr(void *ud, struct sriov_root *root, int ifindex)
{
	struct fake *f = ud;

	return f->has_addr;
}

static int rec_rename(void *ud, struct sriov_root *root, int ifindex,
		      const char *name)
{
	struct fake *f = ud;
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "rename %d=%s;", ifindex,
		 name);
	return 0;
}

static struct pf_ops ops_for(struct fake *f)
{
	return (struct pf_ops){ .write = rec_write,
				.has_addresses = rec_has_addr,
				.rename = rec_rename,
				.ud = f,
				.poll_ms = 5 };
}

static void test_resolve(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };

	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	assert_string_equal(pf.bus, "pci");
	assert_string_equal(pf.dev, "0000:41:00.0");
	assert_int_equal(pf.ifindex, 4);
	memset(&pf, 0, sizeof(pf));
	assert_int_equal(sriov_pf_resolve(f->root, "0000:41:00.0", &pf, &e), 0);
	assert_string_equal(pf.ifname, "eth0");
	assert_int_equal(pf.ifindex, 4);
	assert_int_equal(sriov_pf_resolve(f->root, "eth1", &pf, &e), -EINVAL);
	assert_msg_has(e.msg, "is a VF");
	assert_int_equal(sriov_pf_resolve(f->root, "eth9", &pf, &e), -ENODEV);
	assert_int_equal(sriov_pf_resolve(f->root, "../x", &pf, &e), -EINVAL);
}

static void test_numvfs_through_zero(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };
	struct pf_ops ops = ops_for(f);
	unsigned n;

	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	/* 2 -> 1: through 0 */
	assert_int_equal(pf_set_numvfs(f->root, &pf, 1, 0, 100, &ops, &e), 1);
	assert_string_equal(f->log,
			    PF "/sriov_drivers_autoprobe=1;" PF
			       "/sriov_numvfs=0;" PF "/sriov_numvfs=1;");
	assert_int_equal(sriov_pf_numvfs(f->root, &pf, &n, NULL, &e), 0);
	assert_int_equal(n, 1);
	/* same count: nothing written */
	f->log[0] = '\0';
	assert_int_equal(pf_set_numvfs(f->root, &pf, 1, 0, 100, &ops, &e), 0);
	assert_string_equal(f->log, "");
	/* beyond totalvfs: refused before any write */
	assert_int_equal(pf_set_numvfs(f->root, &pf, 9, 0, 100, &ops, &e),
			 -ERANGE);
	assert_msg_has(e.msg, "at most 8");
	assert_string_equal(f->log, "");
	/* 1 -> 0: no autoprobe write, one numvfs write */
	assert_int_equal(pf_set_numvfs(f->root, &pf, 0, 0, 100, &ops, &e), 1);
	assert_string_equal(f->log, PF "/sriov_numvfs=0;");
	/* 0 -> 2 without autoprobe: no detour through 0 */
	f->log[0] = '\0';
	assert_int_equal(pf_set_numvfs(f->root, &pf, 2,
				       SRIOV_NUMVFS_NO_AUTOPROBE, 100, &ops,
				       &e),
			 1);
	assert_string_equal(f->log, PF "/sriov_drivers_autoprobe=0;" PF
				       "/sriov_numvfs=2;");
}

static void test_numvfs_errors(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };
	struct pf_ops ops = ops_for(f);

	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	mk(f, PF "/sriov_numvfs", "0\n");
	f->fail_path = PF "/sriov_numvfs";
	f->fail_code = -EBUSY;
	assert_int_equal(pf_set_numvfs(f->root, &pf, 2, 0, 100, &ops, &e),
			 -EBUSY);
	assert_msg_has(e.msg, "in use");
	f->fail_code = -ENOENT;
	assert_int_equal(pf_set_numvfs(f->root, &pf, 2, 0, 100, &ops, &e),
			 -ENOENT);
	assert_msg_has(e.msg, "bind the PF to its driver");
	f->fail_code = -ERANGE;
	assert_int_equal(pf_set_numvfs(f->root, &pf, 2, 0, 100, &ops, &e),
			 -ERANGE);
	f->fail_path = NULL;
	/* 3 VFs asked, the kernel only shows virtfn0..1: time out */
	assert_int_equal(pf_set_numvfs(f->root, &pf, 3, 0, 30, &ops, &e),
			 -ETIMEDOUT);
	assert_msg_has(e.msg, "VF 2");
	/* no SR-IOV at all */
	memset(&pf, 0, sizeof(pf));
	snprintf(pf.bus, sizeof(pf.bus), "pci");
	snprintf(pf.dev, sizeof(pf.dev), "0000:41:00.3");
	assert_int_equal(pf_set_numvfs(f->root, &pf, 1, 0, 30, &ops, &e),
			 -ENOENT);
	assert_msg_has(e.msg, "does not support SR-IOV");
}

static void test_bind(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };
	struct pf_ops ops = ops_for(f);
	char drv[64];

	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	/* eth1 (VF 0) is up with addresses: refused, nothing written */
	f->has_addr = 1;
	f->log[0] = '\0';
	assert_int_equal(pf_vf_bind(f->root, &pf, 0, SRIOV_VF_DRIVER_VFIO,
				    false, &ops, &e),
			 -EBUSY);
	assert_msg_has(e.msg, "--force");
	assert_string_equal(f->log, "");
	/* with --force */
	assert_int_equal(pf_vf_bind(f->root, &pf, 0, SRIOV_VF_DRIVER_VFIO, true,
				    &ops, &e),
			 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/mlx5_core/unbind=0000:41:00.2;"
			    "bus/pci/devices/0000:41:00.2/driver_override="
			    "vfio-pci;bus/pci/drivers_probe=0000:41:00.2;");
	assert_int_equal(sriov_vf_driver(f->root, &pf, 0, drv, sizeof(drv), &e),
			 0);
	assert_string_equal(drv, "vfio-pci");
	f->has_addr = 0; /* its netdev left with the netdev driver */
	/* again: nothing to do */
	f->log[0] = '\0';
	assert_int_equal(pf_vf_bind(f->root, &pf, 0, SRIOV_VF_DRIVER_VFIO,
				    false, &ops, &e),
			 0);
	assert_string_equal(f->log, "");
	/* back to default: override cleared, probed */
	assert_int_equal(pf_vf_bind(f->root, &pf, 0, SRIOV_VF_DRIVER_DEFAULT,
				    false, &ops, &e),
			 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/vfio-pci/unbind=0000:41:00.2;"
			    "bus/pci/devices/0000:41:00.2/driver_override=\\n;"
			    "bus/pci/drivers_probe=0000:41:00.2;");
	assert_int_equal(sriov_vf_driver(f->root, &pf, 0, drv, sizeof(drv), &e),
			 0);
	assert_string_equal(drv, "mlx5_core");
	/* none, with the netdev down: no refusal */
	f->log[0] = '\0';
	mk(f, "class/net/eth1/flags", "0x1002\n");
	f->has_addr = 1;
	assert_int_equal(pf_vf_bind(f->root, &pf, 0, SRIOV_VF_DRIVER_NONE,
				    false, &ops, &e),
			 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/mlx5_core/unbind=0000:41:00.2;");
	/* a VF that does not exist */
	assert_int_equal(pf_vf_bind(f->root, &pf, 7, SRIOV_VF_DRIVER_NONE,
				    false, &ops, &e),
			 -ENOENT);
	assert_msg_has(e.msg, "no VF 7");
}

static void test_bind_no_vfio(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };
	struct pf_ops ops = ops_for(f);
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/pci/drivers/vfio-pci", f->sys);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	f->log[0] = '\0';
	assert_int_equal(pf_vf_bind(f->root, &pf, 1, SRIOV_VF_DRIVER_VFIO,
				    false, &ops, &e),
			 -ENOENT);
	assert_msg_has(e.msg, "modprobe vfio-pci");
	assert_string_equal(f->log, "");
}

/* A new GUID takes effect at probe: unbind, bind to the same driver, and
 * give the netdev its name back. */
static void test_rebind(void **state)
{
	struct fake *f = *state;
	struct sriov_pf_ref pf;
	struct sriov_error e = { 0 };
	struct pf_ops ops = ops_for(f);

	assert_int_equal(sriov_pf_resolve(f->root, "eth0", &pf, &e), 0);
	f->log[0] = '\0';
	assert_int_equal(pf_vf_rebind(f->root, &pf, 0, 1000, &ops, &e), 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/mlx5_core/unbind=0000:41:00.2;"
			    "bus/pci/drivers/mlx5_core/bind=0000:41:00.2;");
	/* the probe names it eth9: renamed back to eth1 */
	snprintf(f->rebind_as, sizeof(f->rebind_as), "eth9");
	f->log[0] = '\0';
	assert_int_equal(pf_vf_rebind(f->root, &pf, 0, 1000, &ops, &e), 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/mlx5_core/unbind=0000:41:00.2;"
			    "bus/pci/drivers/mlx5_core/bind=0000:41:00.2;"
			    "rename 9=eth1;");
	/* VF 1 is unbound: nothing to do */
	f->log[0] = '\0';
	assert_int_equal(pf_vf_rebind(f->root, &pf, 1, 1000, &ops, &e), 0);
	assert_string_equal(f->log, "");
	/* the bind refused: the message says the VF is left unbound */
	f->fail_path = "bus/pci/drivers/mlx5_core/bind";
	f->fail_code = -EINVAL;
	assert_int_equal(pf_vf_rebind(f->root, &pf, 0, 1000, &ops, &e),
			 -EINVAL);
	assert_msg_has(e.msg, "now unbound");
	/* not on PCI (netdevsim): nothing to rebind */
	snprintf(pf.bus, sizeof(pf.bus), "netdevsim");
	f->log[0] = '\0';
	assert_int_equal(pf_vf_rebind(f->root, &pf, 0, 1000, &ops, &e), 0);
	assert_string_equal(f->log, "");
}

/* A whole PF (direct-physical): refused while it has VFs or while the host
 * uses its netdev; handed to vfio-pci; given back to its driver by name,
 * its netdev renamed back. */
static void test_whole_pf(void **state)
{
	struct fake *f = *state;
	struct pf_ops ops = ops_for(f);
	struct sriov_error e = { 0 };
	struct sriov_port_vf pv;
	struct sriov_saved_state st;
	_cleanup_free_ char *drv = NULL;

	mk(f, "class/net/eth0/address", "0c:42:a1:00:00:01\n");
	assert_int_equal(sriov_port_pf_open(f->root, "eth0", NULL, &pv, &e), 0);
	assert_true(pv.whole);
	assert_string_equal(pv.address, "0000:41:00.0");
	assert_int_equal(port_pf_read(f->root, &pv, &st, &e), 0);
	assert_string_equal(st.driver, "mlx5_core");
	assert_string_equal(st.netdev, "eth0");
	assert_string_equal(st.mac, "0c:42:a1:00:00:01");

	assert_int_equal(port_pf_hand_over(f->root, &pv, SRIOV_VF_DRIVER_VFIO,
					   &ops, &e),
			 -EBUSY);
	assert_msg_has(e.msg, "pf 0000:41:00.0 has 2 VFs");
	mk(f, PF "/sriov_numvfs", "0\n");
	f->has_addr = 1;
	assert_int_equal(port_pf_hand_over(f->root, &pv, SRIOV_VF_DRIVER_VFIO,
					   &ops, &e),
			 -EBUSY);
	assert_msg_has(e.msg, "its netdev eth0 is up and has addresses");
	assert_string_equal(f->log, "");

	f->has_addr = 0;
	assert_int_equal(port_pf_hand_over(f->root, &pv, SRIOV_VF_DRIVER_VFIO,
					   &ops, &e),
			 1);
	assert_string_equal(f->log,
			    "bus/pci/drivers/mlx5_core/unbind=0000:41:00.0;"
			    "bus/pci/devices/0000:41:00.0/driver_override="
			    "vfio-pci;"
			    "bus/pci/drivers_probe=0000:41:00.0;");
	assert_int_equal(
		fs_readlink_base(f->root->sys_fd, SP(PF "/driver"), &drv), 0);
	assert_string_equal(drv, "vfio-pci");
	/* a retry finds it handed over and writes nothing */
	f->log[0] = '\0';
	assert_int_equal(port_pf_hand_over(f->root, &pv, SRIOV_VF_DRIVER_VFIO,
					   &ops, &e),
			 0);
	assert_string_equal(f->log, "");
	assert_int_equal(
		sriov_port_pf_drift(f->root, &pv, SRIOV_VF_DRIVER_VFIO, &e), 0);
	assert_int_equal(sriov_port_pf_is_scrubbed(f->root, &pv, &e), 0);
	assert_msg_has(e.msg, "still on vfio-pci");

	/* back to mlx5_core by name; the probe names the netdev eth5 */
	snprintf(f->rebind_as, sizeof(f->rebind_as), "eth5");
	assert_int_equal(port_pf_restore(f->root, &pv, &st, 1000, &ops, &e), 0);
	assert_string_equal(f->log,
			    "bus/pci/drivers/vfio-pci/unbind=0000:41:00.0;"
			    "bus/pci/devices/0000:41:00.0/driver_override=\\n;"
			    "bus/pci/drivers/mlx5_core/bind=0000:41:00.0;"
			    "rename 9=eth0;");
	assert_int_equal(
		sriov_port_pf_drift(f->root, &pv, SRIOV_VF_DRIVER_VFIO, &e), 1);
	assert_msg_has(e.msg, "is on 'mlx5_core', not vfio-pci");
	f->log[0] = '\0';
	assert_int_equal(port_pf_scrub(f->root, &pv, &ops, &e), 0);
	assert_string_equal(f->log, "");
	assert_int_equal(sriov_port_pf_is_scrubbed(f->root, &pv, &e), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test_setup_teardown(test_whole_pf, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_resolve, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_through_zero,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_errors, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_bind, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_rebind, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_bind_no_vfio, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
