/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sriov/capture.h>
#include <sriov/doctor.h>
#include <sriov/host.h>
#include <sriov/vf.h>

#include "netlink/socket.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define MAX_LINK_DEPTH 40

struct rec {
	int dfd;
	char *path;
	enum fs_access a;
};

struct recording {
	struct rec *v;
	size_t n, cap;
	int err;
};

static void record(int dfd, const char *path, enum fs_access a, void *ctx)
{
	struct recording *rc = ctx;

	if (grow_array((void **)&rc->v, &rc->cap, rc->n, sizeof(*rc->v)) < 0) {
		rc->err = -ENOMEM;
		return;
	}
	rc->v[rc->n].path = strdup(path);
	if (!rc->v[rc->n].path) {
		rc->err = -ENOMEM;
		return;
	}
	rc->v[rc->n].dfd = dfd;
	rc->v[rc->n].a = a;
	rc->n++;
}

/* Collapse "." and ".." of a relative path in place; -EINVAL if it climbs
 * above the root. */
static int normalize(char *path)
{
	char *out = path, *p = path;
	size_t len = 0;

	while (*p) {
		char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return -EINVAL;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' */
		} else {
			if (len)
				out[len++] = '/';
			memmove(out + len, p, n);
			len += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[len] = '\0';
	return 0;
}

static int mkdirs(int dst, const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf; p;) {
		p = strchr(p + 1, '/');
		if (p)
			*p = '\0';
		if (mkdirat(dst, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (p)
			*p = '/';
	}
	return 0;
}

static int mkparent(int dst, const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, strlen(path) + 1);
	slash = strrchr(buf, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdirs(dst, buf);
}

static int copy_file(int src, int dst, const char *path)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[65536];
	ssize_t n;
	int r;

	/* O_NONBLOCK: never wait on an odd attribute */
	in = openat(src, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (in < 0)
		return 0; /* unreadable: left out, as discovery saw it */
	n = read(in, buf, sizeof(buf));
	if (n < 0)
		return 0;
	r = mkparent(dst, path);
	if (r < 0)
		return r;
	out = openat(dst, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	if (write(out, buf, n) != n)
		return -EIO;
	return 0;
}

static int copy_link(int src, int dst, const char *path, char *target,
		     size_t size)
{
	ssize_t n;
	int r;

	n = readlinkat(src, path, target, size - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (target[0] == '/')
		return -EXDEV; /* never follow out of the root */
	r = mkparent(dst, path);
	if (r < 0)
		return r;
	if (symlinkat(target, dst, path) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Copy path from src to dst, component by component, recreating every
 * symlink met on the way and following it inside the root. On success
 * *phys holds the physical path (no links) the path resolves to.
 */
static int replicate(int src, int dst, const char *path, int depth, char *phys,
		     size_t physsize, bool copy_leaf)
{
	char rest[PATH_MAX], cur[PATH_MAX] = "";
	char *p, *comp;
	int r;

	if (depth > MAX_LINK_DEPTH)
		return -ELOOP;
	if (strlen(path) >= sizeof(rest))
		return -ENAMETOOLONG;
	memcpy(rest, path, strlen(path) + 1);
	for (p = rest; (comp = strsep(&p, "/"));) {
		char next[PATH_MAX];
		struct stat st;

		if (!*comp)
			continue;
		if (snprintf(next, sizeof(next), "%s%s%s", cur, *cur ? "/" : "",
			     comp) >= (int)sizeof(next))
			return -ENAMETOOLONG;
		if (fstatat(src, next, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], joined[PATH_MAX];
			char *slash;

			r = copy_link(src, dst, next, target, sizeof(target));
			if (r < 0)
				return r;
			slash = strrchr(next, '/');
			if (slash)
				*slash = '\0';
			if (snprintf(joined, sizeof(joined), "%s%s%s",
				     slash ? next : "", slash ? "/" : "",
				     target) >= (int)sizeof(joined))
				return -ENAMETOOLONG;
			r = normalize(joined);
			if (r < 0)
				return r;
			/* the target itself: a directory we walk through, or
			 * the leaf, which the caller decides about */
			r = replicate(src, dst, joined, depth + 1, cur,
				      sizeof(cur), p == NULL && copy_leaf);
			if (r < 0)
				return r;
		} else if (S_ISDIR(st.st_mode)) {
			r = mkdirs(dst, next);
			if (r < 0)
				return r;
			memcpy(cur, next, strlen(next) + 1);
		} else if (S_ISREG(st.st_mode) && p == NULL) {
			if (copy_leaf) {
				r = copy_file(src, dst, next);
				if (r < 0)
					return r;
			}
			memcpy(cur, next, strlen(next) + 1);
		} else {
			return -ENOTDIR;
		}
	}
	if (strlen(cur) >= physsize)
		return -ENAMETOOLONG;
	memcpy(phys, cur, strlen(cur) + 1);
	return 0;
}

/* A listed directory: its entries' links and subdirectories, no files
 * (those that matter were read, and are copied on their own). */
static int replicate_list(int src, int dst, const char *path)
{
	char phys[PATH_MAX];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	r = replicate(src, dst, path, 0, phys, sizeof(phys), false);
	if (r < 0)
		return r;
	fd = openat(src, *phys ? phys : ".",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char entry[PATH_MAX], target[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(entry, sizeof(entry), "%s%s%s", phys,
			     *phys ? "/" : "",
			     de->d_name) >= (int)sizeof(entry))
			continue;
		if (fstatat(src, entry, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode))
			r = copy_link(src, dst, entry, target, sizeof(target));
		else if (S_ISDIR(st.st_mode))
			r = mkdirs(dst, entry);
		else
			r = 0;
		if (r < 0 && r != -EXDEV)
			return r;
	}
	return 0;
}

static int open_dest(const char *dest, const char *sub, struct sriov_error *err)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dest, sub) >=
	    (int)sizeof(path))
		return sriov_error_set(err, -ENAMETOOLONG,
				       "capture folder '%s': name too long",
				       dest);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return sriov_error_set(err, -errno, "cannot create '%s': %s",
				       path, strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sriov_error_set(err, -errno, "cannot open '%s': %s",
				       path, strerror(errno));
	return fd;
}

/*
 * dest/netlink/IFNAME.nlmsg: the RTM_NEWLINK each PF netdev answers (VF
 * list and counters), as received, so `vf show` replays it. A PF netdev
 * that went away, or that a replayed tree has no answer for, is left out
 * as a missing file is: the replay then names the file it lacks.
 */
static int capture_netlink(struct sriov_root *root, const struct sriov_host *h,
			   int dnl, struct sriov_error *err)
{
	struct sriov_nl *nl = NULL;
	int r;

	r = sriov_nl_open(root, &nl, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];

		for (size_t j = 0; r >= 0 && j < pf->n_netdevs; j++) {
			const struct sriov_netdev *nd = &pf->netdevs[j];
			struct sriov_error e = { 0 };
			_cleanup_close_ int fd = -1;
			_cleanup_free_ void *msg = NULL;
			char name[64];
			size_t len;
			int q;

			if (nd->ifindex <= 0 || !name_is_safe(nd->name) ||
			    snprintf(name, sizeof(name), "%s.nlmsg",
				     nd->name) >= (int)sizeof(name))
				continue;
			q = nl_link_record(nl, nd->ifindex, &msg, &len, &e);
			if (q == -ENODEV || q == -ENOENT)
				continue;
			if (q < 0) {
				r = sriov_error_set(
					err, q,
					"capture of %s over rtnetlink: %s",
					nd->name, e.msg);
				break;
			}
			fd = openat(dnl, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				    0644);
			if (fd < 0 || write(fd, msg, len) != (ssize_t)len)
				r = sriov_error_set(err, -EIO,
						    "cannot write netlink/%s",
						    name);
		}
	}
	sriov_nl_close(nl);
	return r;
}

int sriov_capture(struct sriov_root *root, const char *dest,
		  struct sriov_error *err)
{
	struct recording rc = { 0 };
	_cleanup_close_ int dsys = -1, dproc = -1, dnl = -1;
	bool have_host = false;
	struct sriov_host host;
	struct sriov_doctor doc;
	_cleanup_closedir_ DIR *d = NULL;
	int r;

	r = mkdirs(AT_FDCWD, dest);
	if (r < 0)
		return sriov_error_set(err, r,
				       "cannot create capture folder '%s': %s",
				       dest, strerror(-r));
	d = opendir(dest);
	if (!d)
		return sriov_error_set(err, -errno, "cannot open '%s': %s",
				       dest, strerror(errno));
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return sriov_error_set(
				err, -EEXIST,
				"capture folder '%s' is not empty (give a new or empty folder)",
				dest);
	dsys = open_dest(dest, "sys", err);
	if (dsys < 0)
		return dsys;
	dproc = open_dest(dest, "proc", err);
	if (dproc < 0)
		return dproc;
	dnl = open_dest(dest, "netlink", err);
	if (dnl < 0)
		return dnl;

	fs_set_recorder(record, &rc);
	r = sriov_host_discover(root, &host, err);
	if (r >= 0) {
		have_host = true;
		r = sriov_doctor_run(root, &host, &doc, err);
		if (r >= 0)
			sriov_doctor_release(&doc);
	}
	fs_set_recorder(NULL, NULL);
	if (r >= 0)
		r = capture_netlink(root, &host, dnl, err);
	if (have_host)
		sriov_host_release(&host);
	if (r >= 0 && rc.err < 0)
		r = sriov_error_set(err, rc.err, "capture: out of memory");

	for (size_t i = 0; r >= 0 && i < rc.n; i++) {
		const struct rec *e = &rc.v[i];
		int dst = e->dfd == root->sys_fd ? dsys : dproc;
		char phys[PATH_MAX];
		int q;

		if (e->a == FS_ACCESS_LIST)
			q = replicate_list(e->dfd, dst, e->path);
		else
			q = replicate(e->dfd, dst, e->path, 0, phys,
				      sizeof(phys), true);
		/* missing: the capture shows it missing too */
		if (q < 0 && q != -ENOENT && q != -ENOTDIR && q != -EXDEV &&
		    q != -ELOOP && q != -EACCES)
			r = sriov_error_set(err, q, "capture of '%s': %s",
					    e->path, strerror(-q));
	}
	for (size_t i = 0; i < rc.n; i++)
		free(rc.v[i].path);
	free(rc.v);
	return r;
}
