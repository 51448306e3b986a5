/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/replay.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/banned.h"

struct nl_replay {
	char *label;
	char *dir;
	struct nl_link_name *links;
	size_t n_links;
};

int nl_replay_new(const char *label, const char *dir,
		  const struct nl_link_name *links, size_t n,
		  struct nl_replay **ret, struct sriov_error *err)
{
	struct nl_replay *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	rp->label = strdup(label);
	rp->dir = strdup(dir);
	rp->links = calloc(n + 1, sizeof(*links));
	if (!rp->label || !rp->dir || !rp->links) {
		nl_replay_free(rp);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	if (n)
		memcpy(rp->links, links, n * sizeof(*links));
	rp->n_links = n;
	*ret = rp;
	return 0;
}

void nl_replay_free(struct nl_replay *rp)
{
	if (!rp)
		return;
	free(rp->label);
	free(rp->dir);
	free(rp->links);
	free(rp);
}

const char *nl_replay_label(const struct nl_replay *rp)
{
	return rp->label;
}

static const char *type_name(uint16_t t)
{
	switch (t) {
	case RTM_NEWLINK:
		return "RTM_NEWLINK";
	case RTM_DELLINK:
		return "RTM_DELLINK";
	case RTM_GETLINK:
		return "RTM_GETLINK";
	case RTM_SETLINK:
		return "RTM_SETLINK";
	case RTM_GETADDR:
		return "RTM_GETADDR";
	}
	return "this request";
}

/* The IFLA_IFNAME of a checked RTM_NEWLINK, or "". */
static void link_name(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	const struct nlattr *a;

	buf[0] = '\0';
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME) {
			size_t n = strnlen(mnl_attr_get_payload(a),
					   mnl_attr_get_payload_len(a));

			if (n >= size)
				n = size - 1;
			memcpy(buf, mnl_attr_get_payload(a), n);
			buf[n] = '\0';
			return;
		}
	}
}

int nl_replay_answer(struct nl_replay *rp, const void *req, size_t len,
		     uint32_t portid, void **ret, size_t *ret_len,
		     struct sriov_error *err)
{
	const struct nlmsghdr *q = req;
	const struct ifinfomsg *qi;
	const struct nl_link_name *ln = NULL;
	_cleanup_free_ void *msg = NULL;
	_cleanup_free_ char *text = NULL;
	struct sriov_error e = { 0 };
	struct nlmsghdr *nlh;
	const struct ifinfomsg *ifi;
	char path[4096], name[16];
	size_t n;
	int r;

	if (len < MNL_NLMSG_HDRLEN || q->nlmsg_len > len)
		return sriov_error_set(err, -EINVAL, "truncated request");
	if (q->nlmsg_type != RTM_GETLINK || (q->nlmsg_flags & NLM_F_DUMP) ||
	    q->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*qi))
		return sriov_error_set(
			err, -EROFS,
			"%s refused: the sysfs root %s is not the live /sys (a capture or a fake tree, from --root or SRIOV_SYSFS_ROOT), so nothing is sent to this host's kernel; only recorded RTM_GETLINK answers are replayed",
			type_name(q->nlmsg_type), rp->label);
	qi = mnl_nlmsg_get_payload(q);
	for (size_t i = 0; i < rp->n_links; i++)
		if (rp->links[i].ifindex == qi->ifi_index) {
			ln = &rp->links[i];
			break;
		}
	if (!ln)
		return sriov_error_set(
			err, -ENODEV,
			"ifindex %d is no netdev of the sysfs root %s (it is not the live /sys: netlink is replayed, nothing is asked of this host's kernel)",
			qi->ifi_index, rp->label);
	if (snprintf(path, sizeof(path), "%s/%s.nlmsg", rp->dir, ln->name) >=
	    (int)sizeof(path))
		return sriov_error_set(err, -ENAMETOOLONG, "%s: name too long",
				       rp->dir);
	r = read_file_capped(path, NL_REPLAY_MAX, &text, &n, &e);
	if (r < 0)
		return sriov_error_set(
			err, r,
			"%s (ifindex %d): no recorded rtnetlink answer: %s (the sysfs root %s is not the live /sys, so netlink is only replayed from what sriovctl capture recorded)",
			ln->name, ln->ifindex, e.msg, rp->label);
	msg = TAKE_PTR(text);
	nlh = msg;
	if (n < MNL_NLMSG_HDRLEN + sizeof(*ifi) || nlh->nlmsg_len != n ||
	    nlh->nlmsg_type != RTM_NEWLINK || !mnl_nlmsg_ok(nlh, (int)n))
		return sriov_error_set(
			err, -EBADMSG,
			"%s: not one recorded RTM_NEWLINK message (%zu bytes)",
			path, n);
	ifi = mnl_nlmsg_get_payload(nlh);
	link_name(nlh, name, sizeof(name));
	if (ifi->ifi_index != ln->ifindex || strcmp(name, ln->name))
		return sriov_error_set(
			err, -EBADMSG,
			"%s: recorded for %s ifindex %d, but the tree has %s as ifindex %d",
			path, name[0] ? name : "(no name)", ifi->ifi_index,
			ln->name, ln->ifindex);
	/* as the kernel answers this request */
	nlh->nlmsg_seq = q->nlmsg_seq;
	nlh->nlmsg_pid = portid;
	nlh->nlmsg_flags = 0;
	*ret = TAKE_PTR(msg);
	*ret_len = n;
	return 0;
}
