/* SPDX-License-Identifier: MIT */
/* read_file_capped(): the one reader of input files (util/readfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/readfile.h"
#include "util/banned.h"

void format_size(size_t n, char *buf, size_t size)
{
	if (n && !(n & ((1u << 20) - 1)))
		snprintf(buf, size, "%zu MiB", n >> 20);
	else if (n && !(n & ((1u << 10) - 1)))
		snprintf(buf, size, "%zu KiB", n >> 10);
	else
		snprintf(buf, size, "%zu bytes", n);
}

static const char *kind_of(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a file";
}

/* What is not a regular file is refused by its kind. */
static int check_mode(const char *path, const struct stat *st,
		      struct sriov_error *err)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISDIR(st->st_mode))
		return sriov_error_set(err, -EISDIR,
				       "%s: is a directory (expected a file)",
				       path);
	return sriov_error_set(err, -EINVAL, "%s: is not a regular file (%s)",
			       path, kind_of(st->st_mode));
}

/* @read: 0 when refused by its size, else what was read past @max. */
static int too_big(const char *path, unsigned long long size, size_t got,
		   size_t max, struct sriov_error *err)
{
	char lim[32];

	format_size(max, lim, sizeof(lim));
	if (!got)
		return sriov_error_set(
			err, -EFBIG,
			"%s: %llu bytes, larger than the limit of %s (%zu bytes)",
			path, size, lim, max);
	return sriov_error_set(
		err, -EFBIG,
		"%s: more than %zu bytes read, larger than the limit of %s (its size said %llu bytes: it grew while read, or says nothing, as in /proc)",
		path, max, lim, size);
}

int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_len,
		     struct sriov_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;
	int r, fl;

	/* A FIFO, a device: refused before it is even opened (opening some
	 * devices acts); the fstat() below is what decides. */
	if (stat(path, &st) == 0) {
		r = check_mode(path, &st, err);
		if (r < 0)
			return r;
	}
	/* O_NONBLOCK: a FIFO put in the file's place meanwhile opens at once
	 * instead of waiting for a writer, and is refused. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return sriov_error_set(err, -errno, "%s: %s", path,
				       strerror(errno));
	if (fstat(fd, &st) < 0)
		return sriov_error_set(err, -errno, "%s: %s", path,
				       strerror(errno));
	r = check_mode(path, &st, err);
	if (r < 0)
		return r;
	if (st.st_size < 0 || (unsigned long long)st.st_size > max)
		return too_big(path, (unsigned long long)st.st_size, 0, max,
			       err);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* Room for the size it says, one byte to see the end (or growth),
	 * and the NUL; a size of 0 (/proc) starts small and grows. */
	cap = (size_t)st.st_size + 2;
	if (cap < 4096)
		cap = 4096;
	if (cap > max + 2)
		cap = max + 2;
	buf = malloc(cap);
	if (!buf)
		return sriov_error_set(err, -ENOMEM, "%s: out of memory", path);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			char *nb;

			if (ncap <= cap) /* len is max + 1: over the limit */
				return too_big(path,
					       (unsigned long long)st.st_size,
					       len, max, err);
			nb = realloc(buf, ncap);
			if (!nb)
				return sriov_error_set(err, -ENOMEM,
						       "%s: out of memory",
						       path);
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sriov_error_set(err, -errno, "%s: %s", path,
					       strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return too_big(path, (unsigned long long)st.st_size,
				       len, max, err);
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}
