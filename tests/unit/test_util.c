/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/error.h>
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "assert_msg.h"

static void test_name_is_safe(void **state)
{
	assert_true(name_is_safe("eth0"));
	assert_true(name_is_safe("0000:41:00.1"));
	assert_false(name_is_safe(""));
	assert_false(name_is_safe("."));
	assert_false(name_is_safe(".."));
	assert_false(name_is_safe("a/b"));
	assert_false(name_is_safe("../etc"));
	assert_false(name_is_safe("a\nb"));
	assert_false(name_is_safe(NULL));
}

static void test_fs_path(void **state)
{
	char buf[64];

	assert_int_equal(
		fs_path(buf, sizeof(buf), SP("class/net", "eth0", "type")), 0);
	assert_string_equal(buf, "class/net/eth0/type");
	assert_int_equal(fs_path(buf, sizeof(buf), SP("class/net", "..", "x")),
			 -EINVAL);
	assert_int_equal(fs_path(buf, sizeof(buf), SP("class/net", "a/b")),
			 -EINVAL);
	assert_int_equal(fs_path(buf, sizeof(buf), SP("/etc")), -EINVAL);
	assert_int_equal(fs_path(buf, sizeof(buf), SP("bus/../..")), -EINVAL);
	assert_int_equal(fs_path(buf, 8, SP("class/net", "eth0")),
			 -ENAMETOOLONG);
}

static void test_parse(void **state)
{
	uint64_t v;
	int i;

	assert_int_equal(parse_u64("0x10", 0, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_u64("15b3", 16, &v), 0);
	assert_int_equal(v, 0x15b3);
	assert_int_equal(parse_u64("", 0, &v), -EINVAL);
	assert_int_equal(parse_u64("12x", 0, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999999", 0, &v), -ERANGE);
	assert_int_equal(parse_int("-1", &i), 0);
	assert_int_equal(i, -1);
	assert_int_equal(parse_int("4x", &i), -EINVAL);
}

static void test_error(void **state)
{
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_error_set(&err, -EINVAL, "bad '%s'", "x"),
			 -EINVAL);
	assert_string_equal(err.msg, "bad 'x'");
	assert_int_equal(sriov_error_set(NULL, -EIO, "ignored"), -EIO);
	sriov_error_set_at(&err, -EINVAL, "f.yaml", 3, 7, "unknown key '%s'",
			   "k");
	assert_string_equal(err.msg, "f.yaml:3:7: unknown key 'k'");
	sriov_error_prefix(&err, "host %d", 1);
	assert_string_equal(err.msg, "host 1: f.yaml:3:7: unknown key 'k'");
	assert_int_equal(err.code, -EINVAL);
}

static void test_root(void **state)
{
	struct sriov_error err = { 0 };
	struct sriov_root *root = NULL;
	char tmpl[] = "/tmp/sriov-test-XXXXXX";
	_cleanup_free_ char *s = NULL;
	char **names = NULL;
	size_t n = 0;
	int fd;

	assert_int_equal(sriov_root_open("/nonexistent/sys", NULL, &root, &err),
			 -ENOENT);
	assert_msg_has(err.msg, "/nonexistent/sys");
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(sriov_root_open(tmpl, tmpl, &root, &err), 0);
	fd = openat(root->sys_fd, "a", O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "42\n", 3), 3);
	close(fd);
	assert_int_equal(mkdirat(root->sys_fd, "d", 0755), 0);
	assert_int_equal(symlinkat("../x/y/0000:01:00.0", root->sys_fd, "d/l"),
			 0);
	assert_int_equal(fs_read_str(root->sys_fd, SP("a"), &s), 0);
	assert_string_equal(s, "42");
	free(TAKE_PTR(s));
	assert_int_equal(fs_readlink_base(root->sys_fd, SP("d", "l"), &s), 0);
	assert_string_equal(s, "0000:01:00.0");
	free(TAKE_PTR(s));
	assert_int_equal(fs_list(root->sys_fd, SP("d"), &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "l");
	strv_free(names, n);
	assert_int_equal(fs_read_str(root->sys_fd, SP("d", "..", "a"), &s),
			 -EINVAL);
	assert_int_equal(fs_write_str(root->sys_fd, SP("a"), "7"), 0);
	assert_int_equal(fs_read_str(root->sys_fd, SP("a"), &s), 0);
	assert_string_equal(s, "7");
	unlinkat(root->sys_fd, "d/l", 0);
	unlinkat(root->sys_fd, "d", AT_REMOVEDIR);
	unlinkat(root->sys_fd, "a", 0);
	sriov_root_free(root);
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_safe),
		cmocka_unit_test(test_fs_path),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
