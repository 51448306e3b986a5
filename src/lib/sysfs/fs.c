/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define FS_READ_MAX (64 * 1024)

static fs_recorder_fn recorder;
static void *recorder_ctx;

void fs_set_recorder(fs_recorder_fn fn, void *ctx)
{
	recorder = fn;
	recorder_ctx = ctx;
}

static int path_of(int dfd, char *buf, size_t size, const char *const *comps,
		   enum fs_access a)
{
	int r = fs_path(buf, size, comps);

	if (r >= 0 && recorder)
		recorder(dfd, buf, a, recorder_ctx);
	return r;
}

int fs_path(char *buf, size_t size, const char *const *comps)
{
	size_t len = 0;

	if (!comps[0] || !*comps[0] || comps[0][0] == '/' ||
	    strstr(comps[0], ".."))
		return -EINVAL;
	for (size_t i = 0; comps[i]; i++) {
		size_t n = strlen(comps[i]);

		if (i > 0 && !name_is_safe(comps[i]))
			return -EINVAL;
		if (len + n + 2 > size)
			return -ENAMETOOLONG;
		if (i > 0)
			buf[len++] = '/';
		memcpy(buf + len, comps[i], n);
		len += n;
	}
	buf[len] = '\0';
	return 0;
}

int fs_read_str(int dfd, const char *const *comps, char **ret)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = path_of(dfd, path, sizeof(path), comps, FS_ACCESS_FILE);
	if (r < 0)
		return r;
	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(4097);
	if (!buf)
		return -ENOMEM;
	for (size_t cap = 4096;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
		if (len == cap) {
			char *p;

			if (cap >= FS_READ_MAX)
				return -EFBIG;
			cap *= 2;
			p = realloc(buf, cap + 1);
			if (!p)
				return -ENOMEM;
			buf = p;
		}
	}
	buf[len] = '\0';
	strip_trailing(buf);
	*ret = TAKE_PTR(buf);
	return 0;
}

int fs_read_u64(int dfd, const char *const *comps, int base, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = fs_read_str(dfd, comps, &s);
	if (r < 0)
		return r;
	return parse_u64(s, base, ret);
}

int fs_read_int(int dfd, const char *const *comps, int *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = fs_read_str(dfd, comps, &s);
	if (r < 0)
		return r;
	return parse_int(s, ret);
}

int fs_write_str(int dfd, const char *const *comps, const char *val)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t n = strlen(val);
	ssize_t w;
	int r;

	r = fs_path(path, sizeof(path), comps);
	if (r < 0)
		return r;
	fd = openat(dfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	if (w < 0)
		return -errno;
	if ((size_t)w != n)
		return -EIO;
	return 0;
}

int fs_readlink(int dfd, const char *const *comps, char **ret)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int r;

	r = path_of(dfd, path, sizeof(path), comps, FS_ACCESS_LINK);
	if (r < 0)
		return r;
	n = readlinkat(dfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	*ret = strdup(target);
	return *ret ? 0 : -ENOMEM;
}

int fs_readlink_base(int dfd, const char *const *comps, char **ret)
{
	_cleanup_free_ char *t = NULL;
	const char *b;
	int r;

	r = fs_readlink(dfd, comps, &t);
	if (r < 0)
		return r;
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (!name_is_safe(b))
		return -EINVAL;
	*ret = strdup(b);
	return *ret ? 0 : -ENOMEM;
}

bool fs_exists(int dfd, const char *const *comps)
{
	char path[PATH_MAX];

	if (path_of(dfd, path, sizeof(path), comps, FS_ACCESS_FILE) < 0)
		return false;
	return faccessat(dfd, path, F_OK, 0) == 0;
}

bool fs_is_dir(int dfd, const char *const *comps)
{
	char path[PATH_MAX];
	struct stat st;

	if (path_of(dfd, path, sizeof(path), comps, FS_ACCESS_FILE) < 0)
		return false;
	return fstatat(dfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

int fs_open_dir(int dfd, const char *const *comps)
{
	char path[PATH_MAX];
	int fd, r;

	r = path_of(dfd, path, sizeof(path), comps, FS_ACCESS_LIST);
	if (r < 0)
		return r;
	fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int fs_list(int dfd, const char *const *comps, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, r;

	fd = fs_open_dir(dfd, comps);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = grow_array((void **)&v, &cap, n, sizeof(*v));
		if (r < 0)
			goto fail;
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			r = -ENOMEM;
			goto fail;
		}
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	strv_free(v, n);
	return r;
}

static const char *secure_getenv_or(const char *name)
{
	if (getauxval(AT_SECURE))
		return NULL;
	return getenv(name);
}

/* The kernel's own /sys: a sysfs mount, and the very directory /sys is. */
static bool is_live_sysfs(int fd)
{
	struct statfs sf;
	struct stat a, b;

	if (fstatfs(fd, &sf) < 0 || sf.f_type != SYSFS_MAGIC)
		return false;
	if (fstat(fd, &a) < 0 || stat("/sys", &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* "netlink" beside the sysfs root: DIR/netlink for DIR/sys. */
static char *netlink_path_of(const char *sys)
{
	_cleanup_free_ char *canon = realpath(sys, NULL);
	char *slash, *ret;

	if (!canon)
		return asprintf(&ret, "%s/../netlink", sys) < 0 ? NULL : ret;
	slash = strrchr(canon, '/');
	if (slash)
		*slash = '\0';
	return asprintf(&ret, "%s/netlink", canon) < 0 ? NULL : ret;
}

int sriov_root_open(const char *sys, const char *proc, struct sriov_root **ret,
		    struct sriov_error *err)
{
	struct sriov_root *r;

	if (!sys)
		sys = secure_getenv_or("SRIOV_SYSFS_ROOT");
	if (!sys || !*sys)
		sys = "/sys";
	if (!proc)
		proc = secure_getenv_or("SRIOV_PROC_ROOT");
	if (!proc || !*proc)
		proc = "/proc";

	r = calloc(1, sizeof(*r));
	if (!r)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	r->sys_fd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->sys_fd < 0) {
		int e = -errno;

		free(r);
		return sriov_error_set(
			err, e,
			"sysfs root '%s': %s (give an existing directory with --root or SRIOV_SYSFS_ROOT)",
			sys, strerror(-e));
	}
	r->proc_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r->sys_path = strdup(sys);
	r->proc_path = strdup(proc);
	r->live = is_live_sysfs(r->sys_fd);
	if (!r->live)
		r->netlink_path = netlink_path_of(sys);
	if (!r->sys_path || !r->proc_path || (!r->live && !r->netlink_path)) {
		sriov_root_free(r);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = r;
	return 0;
}

void sriov_root_free(struct sriov_root *r)
{
	if (!r)
		return;
	if (r->sys_fd >= 0)
		close(r->sys_fd);
	if (r->proc_fd >= 0)
		close(r->proc_fd);
	free(r->sys_path);
	free(r->proc_path);
	free(r->netlink_path);
	free(r);
}

const char *sriov_root_sys_path(const struct sriov_root *r)
{
	return r->sys_path;
}

const char *sriov_root_proc_path(const struct sriov_root *r)
{
	return r->proc_path;
}

bool sriov_root_is_live(const struct sriov_root *r)
{
	return r->live;
}

const char *sriov_root_netlink_path(const struct sriov_root *r)
{
	return r->netlink_path;
}

int fs_count_indexes(int dfd, const char *const *comps, size_t *ret)
{
	char **names = NULL;
	size_t n = 0, max = 0;
	int r;

	r = fs_list(dfd, comps, &names, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (parse_int(names[i], &v) == 0 && v >= 0 &&
		    (size_t)v + 1 > max)
			max = (size_t)v + 1;
	}
	strv_free(names, n);
	*ret = max;
	return 0;
}
