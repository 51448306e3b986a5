/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#include "util/readfile.h"
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

/* read_file_capped() on what a person may hand us instead of a file. */
static void test_read_file(void **state)
{
	char dir[] = "/tmp/sriov-test-read-XXXXXX", p[64], fifo[64], sock[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sriov_error err = { 0 };
	char *buf = (char *)"untouched";
	size_t len = 7;
	int fd;

	assert_non_null(mkdtemp(dir));
	/* a plain file: the contents, NUL-terminated, a NUL inside kept */
	snprintf(p, sizeof(p), "%s/f", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ab\0cd", 5), 5);
	close(fd);
	assert_int_equal(read_file_capped(p, 5, &buf, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "ab\0cd", 6);
	free(buf);
	/* one byte over the limit: refused by its size, naming both */
	buf = (char *)"untouched";
	assert_int_equal(read_file_capped(p, 4, &buf, &len, &err), -EFBIG);
	assert_msg_has(err.msg, p,
		       ": 5 bytes, larger than the limit of 4 bytes");
	assert_string_equal(buf, "untouched");
	/* a sparse file past 16 MiB: refused before a byte is read */
	assert_int_equal(truncate(p, (off_t)INPUT_MAX_PARTITIONS + 1), 0);
	assert_int_equal(read_file_capped(p, INPUT_MAX_PARTITIONS, &buf, &len,
					  &err),
			 -EFBIG);
	assert_msg_has(
		err.msg,
		"16777217 bytes, larger than the limit of 16 MiB (16777216 bytes)");
	/* empty */
	assert_int_equal(truncate(p, 0), 0);
	assert_int_equal(read_file_capped(p, 10, &buf, NULL, &err), 0);
	assert_string_equal(buf, "");
	free(buf);
	buf = (char *)"untouched";
	/* a directory, by name */
	assert_int_equal(read_file_capped(dir, 10, &buf, &len, &err), -EISDIR);
	assert_msg_has(err.msg, dir, ": is a directory");
	/* a character device, without reading (/dev/zero never ends) */
	assert_int_equal(read_file_capped("/dev/zero", INPUT_MAX_PARTITIONS,
					  &buf, &len, &err),
			 -EINVAL);
	assert_string_equal(
		err.msg,
		"/dev/zero: is not a regular file (a character device)");
	/* a FIFO nobody writes to: refused at once, never waited on (an
	 * alarm kills the test if the reader blocks) */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	assert_int_equal(read_file_capped(fifo, 10, &buf, &len, &err), -EINVAL);
	alarm(0);
	assert_msg_has(err.msg, fifo, ": is not a regular file (a FIFO)");
	/* a socket */
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(read_file_capped(sock, 10, &buf, &len, &err), -EINVAL);
	assert_msg_has(err.msg, sock, ": is not a regular file (a socket)");
	close(fd);
	/* missing: the open's errno */
	assert_int_equal(read_file_capped("/nonexistent/f", 10, &buf, &len,
					  &err),
			 -ENOENT);
	assert_msg_has(err.msg, "/nonexistent/f: No such file or directory");
	/* a /proc file says its size is 0: read, and stopped at the limit */
	assert_int_equal(read_file_capped("/proc/self/maps", 64, &buf, &len,
					  &err),
			 -EFBIG);
	assert_msg_has(err.msg, "/proc/self/maps: more than 64 bytes read",
		       "its size said 0 bytes");
	assert_string_equal(buf, "untouched");
	assert_int_equal(read_file_capped("/proc/self/maps", 1u << 20, &buf,
					  &len, &err),
			 0);
	assert_true(len > 64 && len == strlen(buf));
	free(buf);
	unlink(sock);
	unlink(fifo);
	unlink(p);
	rmdir(dir);
}

static void test_format_size(void **state)
{
	char b[32];

	format_size(16u << 20, b, sizeof(b));
	assert_string_equal(b, "16 MiB");
	format_size(64u << 10, b, sizeof(b));
	assert_string_equal(b, "64 KiB");
	format_size(1536, b, sizeof(b));
	assert_string_equal(b, "1536 bytes");
	format_size(0, b, sizeof(b));
	assert_string_equal(b, "0 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_safe),
		cmocka_unit_test(test_fs_path),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_format_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
