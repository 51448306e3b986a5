/* SPDX-License-Identifier: MIT */
/*
 * sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or
 * an abstract name when it starts with '@'), as sd_notify(3) describes.
 * Shared by sriovd and sriov-fabricd.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/notify.h"
#include "util/strutil.h"
#include "util/banned.h"

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	ssize_t w;
	int fd;

	if (!path || !path[0])
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	w = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
	return w < 0 ? -errno : 1;
}

uint64_t notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"),
		   *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (!usec || parse_u64(usec, 10, &v) < 0 || v == 0)
		return 0;
	if (pid && (parse_u64(pid, 10, &p) < 0 || (pid_t)p != getpid()))
		return 0;
	return v / 2000 ?: 1;
}
