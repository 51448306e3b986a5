/* SPDX-License-Identifier: MIT */
/*
 * Installing a partitions.conf and signalling OpenSM (include/sriov/opensm.h).
 * OpenSM rereads its partitions file on a heavy sweep, which SIGHUP
 * starts; a SIGHUP that reaches any other process usually ends it, so the
 * pid file is never trusted alone: the process it names must be opensm.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sriov/opensm.h>

#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

int sriov_partitions_install(const char *path, const char *text, size_t len,
			     struct sriov_error *err)
{
	_cleanup_free_ char *tmp = NULL, *dir = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	struct stat stt;
	mode_t mode = 0644;
	int e;

	if (!len)
		return sriov_error_set(
			err, -EINVAL,
			"'%s' not replaced: the new text is empty (OpenSM would open the fabric)",
			path);
	if (stat(path, &stt) == 0)
		mode = stt.st_mode & 07777;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		return sriov_error_set(
			err, e,
			"cannot create a temporary file beside '%s': %s", path,
			strerror(-e));
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(TAKE_FD(fd)) < 0)
		goto fail;
	if (rename(tmp, path) < 0)
		goto fail;
	dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	if (dir) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			fsync(dfd);
	}
	return 0;
fail:
	e = errno ? -errno : -EIO;
	unlink(tmp);
	return sriov_error_set(err, e, "cannot replace '%s': %s", path,
			       strerror(-e));
}

/*
 * What /proc says process pid runs: true when its comm, or the last
 * component of its exe link, is opensm. Fills name with what it found.
 */
static bool runs_opensm(int pid, char *name, size_t size)
{
	char path[64], buf[PATH_MAX];
	const char *base;
	ssize_t n;
	int fd;

	snprintf(name, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			strip_trailing(buf);
			snprintf(name, size, "%.*s", (int)(size - 1), buf);
			if (!strcmp(buf, "opensm"))
				return true;
		}
	}
	/* exe needs ptrace access; comm is enough when it says opensm */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	return !strcmp(base, "opensm") || !strcmp(base, "opensm (deleted)");
}

/* A pid file is a number and a newline, read as any input file. */
static int read_pid(const char *pidfile, int *ret, struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct sriov_error e = { 0 };
	int r, pid;

	r = read_file_capped(pidfile, INPUT_MAX_SMALL, &buf, NULL, &e);
	if (r < 0)
		return sriov_error_set(err, r, "cannot read the pid file: %s",
				       e.msg);
	strip_trailing(buf);
	if (parse_int(buf, &pid) < 0 || pid <= 1)
		return sriov_error_set(
			err, -EINVAL,
			"pid file '%s' holds '%.40s%s', not a process id (expected OpenSM's pid, a number above 1)",
			pidfile, buf, strlen(buf) > 40 ? "..." : "");
	*ret = pid;
	return 0;
}

int sriov_opensm_signal(const char *pidfile, int sig,
			struct sriov_opensm_proc *ret, struct sriov_error *err)
{
	struct sriov_opensm_proc info = { .stage = SRIOV_OPENSM_UNREAD };
	_cleanup_close_ int pidfd = -1;
	const char *sname = sigabbrev_np(sig);
	int r, e;

	snprintf(info.name, sizeof(info.name), "?");
	if (ret)
		*ret = info;
	r = read_pid(pidfile, &info.pid, err);
	if (r < 0)
		goto out;
	pidfd = pidfd_open(info.pid, 0);
	if (pidfd < 0 && errno != ENOSYS) {
		e = -errno;
		r = sriov_error_set(err, e,
				    "pid %d from '%s': %s (is OpenSM running?)",
				    info.pid, pidfile, strerror(-e));
		goto out;
	}
	if (!runs_opensm(info.pid, info.name, sizeof(info.name))) {
		info.stage = SRIOV_OPENSM_NOT_OPENSM;
		r = sriov_error_set(
			err, -EPERM,
			"pid %d from '%s' is '%s', not opensm (/proc/%d/comm or exe); give the pid file of OpenSM",
			info.pid, pidfile, info.name, info.pid);
		goto out;
	}
	r = pidfd >= 0 ? pidfd_send_signal(pidfd, sig, NULL, 0) :
			 kill(info.pid, sig);
	if (r < 0) {
		e = -errno;
		info.stage = SRIOV_OPENSM_SEND_FAILED;
		r = sriov_error_set(
			err, e,
			"cannot send SIG%s to opensm (pid %d from '%s'): %s; send it yourself (kill -%s %d)",
			sname ? sname : "?", info.pid, pidfile, strerror(-e),
			sname ? sname : "?", info.pid);
		goto out;
	}
	info.stage = SRIOV_OPENSM_SIGNALLED;
	r = 0;
out:
	if (ret)
		*ret = info;
	return r;
}
