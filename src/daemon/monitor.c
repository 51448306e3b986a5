/* SPDX-License-Identifier: MIT */
/*
 * RTM_NEWLINK events for the PFs we manage: a VF setting changed behind our
 * back (ip link set ... vf N ...) shows as a new link message on its PF,
 * since rtnetlink notifies after every do_setlink that changed something.
 * The event only marks the PF for a check; the check reads the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "sriovd.h"
#include "util/banned.h"

int monitor_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

struct seen {
	const int *ifindex;
	size_t n;
	bool hit;
};

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	for (size_t i = 0; i < s->n; i++)
		if (s->ifindex[i] == ifi->ifi_index)
			s->hit = true;
	return MNL_CB_OK;
}

bool monitor_read(int fd, const int *ifindex, size_t n)
{
	static char buf[65536] __attribute__((aligned(4)));
	struct seen s = { ifindex, n, false };
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		mnl_cb_run(buf, (size_t)len, 0, 0, on_msg, &s);
	/* ENOBUFS: events were lost, so assume the worst */
	if (len < 0 && errno == ENOBUFS)
		s.hit = true;
	return s.hit;
}
