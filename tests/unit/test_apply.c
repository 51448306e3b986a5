/* SPDX-License-Identifier: MIT */
/* host.yaml: shape errors with file:line:column, selectors for render. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/apply.h>
#include <sriov/root.h>
#include "assert_msg.h"
#include "util/banned.h"

/* Shape errors come before any PF is looked at: no root needed. */
static void expect_error(const char *yaml, const char *want)
{
	struct sriov_apply_report rep;
	struct sriov_error e = { 0 };
	int r;

	r = sriov_apply_buffer(NULL, "h.yaml", yaml, strlen(yaml), 0, &rep, &e);
	assert_int_equal(r, -EINVAL);
	if (!strstr(e.msg, want)) {
		print_error("got '%s', want '%s'\n", e.msg, want);
		fail();
	}
	assert_null(rep.pfs);
}

static void test_shape_errors(void **state)
{
	expect_error("", "h.yaml:1:1: empty file (expected pfs:");
	expect_error("- a\n",
		     "h.yaml:1:1: the top level must be a mapping with "
		     "pfs:, not a list");
	expect_error("pf:\n  - name: eth0\n",
		     "h.yaml:1:1: unknown top-level key 'pf' (expected pfs)");
	expect_error("pfs:\n  name: eth0\n",
		     "h.yaml:2:3: pfs must be a list of PFs");
	expect_error("pfs:\n  - name: eth0\n    numvf: 4\n",
		     "h.yaml:3:5: unknown key 'numvf' in a pfs entry (expected "
		     "pci, name, vendor, device, numvfs, driver or vfs)");
	expect_error("pfs:\n  - numvfs: 4\n",
		     "h.yaml:2:5: a pfs entry must say which PF");
	expect_error("pfs:\n  - vendor: 0x15b3\n",
		     "h.yaml:2:5: vendor: and device: go together");
	expect_error("pfs:\n  - name: eth0\n    name: eth1\n",
		     "h.yaml:3:5: 'name' is given twice");
	expect_error("pfs:\n  - name: eth0\n    vfs:\n      - trust: on\n",
		     "h.yaml:4:9: a vfs entry needs vf:");
	expect_error("pfs:\n  - name: eth0\n    vfs:\n      - vf: 7-3\n",
		     "h.yaml:4:13: invalid vf range '7-3': the end is below "
		     "the start");
	expect_error("pfs:\n  - name: eth0\n    vfs:\n      - vf: a\n",
		     "h.yaml:4:13: invalid vf 'a' (expected an index such as "
		     "3, or a range such as 0-7)");
	expect_error("pfs:\n  - name: eth0\n    vfs:\n      - vf: 1\n"
		     "        vlanid: 3\n",
		     "h.yaml:5:9: unknown key 'vlanid' in a vfs entry");
	expect_error("pfs:\n  - name: eth0\n    vfs:\n      - vf: 1\n"
		     "        mac: [1]\n",
		     "h.yaml:5:14: 'mac' takes a value, not a list");
	expect_error("pfs:\n  - name: eth0\n   numvfs: 3\n", "h.yaml:3:");
	expect_error("pfs: [\n", "h.yaml:2:1: invalid YAML");
	/* aliases repeat a part of the file: one PF's VFs under every PF,
	 * a list of a thousand aliases of a list of a thousand... */
	expect_error(
		"pfs:\n  - name: eth0\n    vfs: &v [{vf: 0, trust: on}]\n"
		"  - name: eth1\n    vfs: *v\n",
		"h.yaml:5:10: the alias *v: YAML aliases are not accepted");
	/* a second pfs: zeroed the PFs of the first (and leaked them) */
	expect_error(
		"pfs:\n  - name: eth0\npfs:\n  - name: eth1\n",
		"h.yaml:3:1: 'pfs' is given twice (first at line 1 column 1)");
	/* libyaml reads the first document and never looks further */
	expect_error("pfs:\n  - name: eth0\n---\npfs:\n  - name: eth0\n",
		     "h.yaml:3:1: a second YAML document");
}

static void test_selectors(void **state)
{
	char path[] = "/tmp/sriov-test-apply-XXXXXX";
	const char *yaml = "pfs:\n  - name: eth0\n  - pci: 0000:41:00.0\n"
			   "  - vendor: 0x15b3\n    device: 101b\n";
	struct sriov_host_selector *sel = NULL;
	struct sriov_error e = { 0 };
	size_t n = 0;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	assert_int_equal(sriov_host_selectors(path, &sel, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(sel[0].kind, "name");
	assert_string_equal(sel[0].value, "eth0");
	assert_string_equal(sel[1].kind, "pci");
	assert_string_equal(sel[1].value, "0000:41:00.0");
	assert_string_equal(sel[2].kind, "ids");
	assert_int_equal(sel[2].vendor, 0x15b3);
	assert_int_equal(sel[2].device, 0x101b);
	free(sel);
	unlink(path);
}

/* A PF selected by two entries is refused, naming both (read-only: the
 * refusal comes before any change). */
static void test_listed_twice(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "pfs:\n  - name: eth0\n    numvfs: 2\n"
		  "  - pci: 0000:41:00.0\n    numvfs: 4\n",
		  "h.yaml:4:10: pci: 0000:41:00.0 selects 0000:41:00.0 (eth0), which the entry at line 2 column 11 already selects (name: eth0): list each PF once" },
		{ "pfs:\n  - vendor: 0x15b3\n    device: 0x1017\n"
		  "  - name: eth0\n    numvfs: 1\n",
		  "h.yaml:4:11: name: eth0 selects 0000:41:00.0 (eth0), which the entry at line 2 column 5 already selects (vendor: 0x15b3, device: 0x1017)" },
		{ "pfs:\n  - pci: 0000:41:00.0\n  - pci: 0000:41:00.0\n",
		  "h.yaml:3:10: pci: 0000:41:00.0 selects 0000:41:00.0 (eth0), which the entry at line 2 column 10 already selects (pci: 0000:41:00.0)" },
	};
	const char *once = "pfs:\n  - name: eth0\n    numvfs: 2\n";
	struct sriov_apply_report rep;
	struct sriov_root *root = NULL;
	struct sriov_error e = { 0 };
	char sys[512];
	int r;

	snprintf(sys, sizeof(sys), "%s/mlx5-eth/sys", SRIOV_FIXTURES_BUILD);
	if (sriov_root_open(sys, NULL, &root, &e) < 0)
		fail_msg("%s: %s", sys, e.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sriov_error_clear(&e);
		r = sriov_apply_buffer(root, "h.yaml", cases[i].yaml,
				       strlen(cases[i].yaml),
				       SRIOV_APPLY_DRY_RUN, &rep, &e);
		assert_int_equal(r, -EINVAL);
		assert_null(rep.pfs); /* refused before any plan */
		assert_msg_has(e.msg, cases[i].want);
	}
	/* listed once, the same PF is no error of this kind */
	sriov_error_clear(&e);
	r = sriov_apply_buffer(root, "h.yaml", once, strlen(once),
			       SRIOV_APPLY_DRY_RUN, &rep, &e);
	if (r < 0 && strstr(e.msg, "already selects"))
		fail_msg("listed once, refused: %s", e.msg);
	sriov_apply_report_release(&rep);
	sriov_root_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_errors),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_listed_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
