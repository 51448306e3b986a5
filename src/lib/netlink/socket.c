/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#include "netlink/socket.h"
#include "netlink/vfmsg.h"
#include "util/macro.h"
#include "util/banned.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* iproute2 does the same: a VF list easily outgrows a page, so the first
 * buffer is generous and a bigger one is sized by peeking. */
#define NL_RECV_MIN 32768

struct sriov_nl {
	struct mnl_socket *sock; /* NULL when replaying */
	struct nl_replay *replay; /* NULL when live */
	void *pending; /* replay: the answer to the last request */
	size_t pending_len;
	uint32_t portid;
	uint32_t seq;
};

int nl_open_live(struct sriov_nl **ret, struct sriov_error *err)
{
	struct sriov_nl *nl;
	int one = 1;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock) {
		int r = -errno;

		free(nl);
		return sriov_error_set(err, r, "cannot open rtnetlink: %s",
				       strerror(-r));
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		sriov_nl_close(nl);
		return sriov_error_set(err, r, "cannot bind rtnetlink: %s",
				       strerror(-r));
	}
	/* Best effort: older kernels lack them, and we still work. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_GET_STRICT_CHK, &one,
			      sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	*ret = nl;
	return 0;
}

int nl_open_replay(struct sriov_nl **ret, const char *label, const char *dir,
		   const struct nl_link_name *links, size_t n,
		   struct sriov_error *err)
{
	struct sriov_nl *nl;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	r = nl_replay_new(label, dir, links, n, &nl->replay, err);
	if (r < 0) {
		free(nl);
		return r;
	}
	nl->seq = 1;
	*ret = nl;
	return 0;
}

bool nl_is_replay(const struct sriov_nl *nl)
{
	return nl->replay != NULL;
}

int nl_refuse(const struct sriov_nl *nl, const char *what,
	      struct sriov_error *err)
{
	return sriov_error_set(
		err, -EROFS,
		"%s: refused: the sysfs root %s is not the live /sys (a capture or a fake tree, from --root or SRIOV_SYSFS_ROOT), so nothing is sent to this host's interfaces",
		what, nl->replay ? nl_replay_label(nl->replay) : "/sys");
}

void sriov_nl_close(struct sriov_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl_replay_free(nl->replay);
	free(nl->pending);
	free(nl);
}

uint32_t nl_next_seq(struct sriov_nl *nl)
{
	return ++nl->seq;
}

/* Receive one datagram of whatever size into a malloc'd buffer. */
static ssize_t nl_recv(struct sriov_nl *nl, char **ret)
{
	ssize_t n;
	size_t size;
	char *buf;
	int fd;

	if (nl->replay) {
		/* one answer per request, and nothing else ever arrives */
		if (!nl->pending)
			return -ENOMSG;
		*ret = nl->pending;
		n = (ssize_t)nl->pending_len;
		nl->pending = NULL;
		return n;
	}
	fd = mnl_socket_get_fd(nl->sock);
	do
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	size = (size_t)n < NL_RECV_MIN ? NL_RECV_MIN : (size_t)n;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	do
		n = recv(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		free(buf);
		return n;
	}
	*ret = buf;
	return n;
}

static int nl_send(struct sriov_nl *nl, const void *req, size_t len,
		   struct sriov_error *err)
{
	int r;

	if (nl->replay) {
		free(nl->pending);
		nl->pending = NULL;
		return nl_replay_answer(nl->replay, req, len, nl->portid,
					&nl->pending, &nl->pending_len, err);
	}
	if (mnl_socket_sendto(nl->sock, req, len) < 0) {
		r = -errno;
		return sriov_error_set(err, r, "rtnetlink send: %s",
				       strerror(-r));
	}
	return 0;
}

/*
 * Walk the datagrams until the one answering @seq: an NLMSG_ERROR (ack or
 * error) or, when @link is set, an RTM_NEWLINK decoded into it.
 */
static int nl_wait(struct sriov_nl *nl, uint32_t seq, char *msg, size_t msgsize,
		   struct sriov_link_vfs *link, void **raw, size_t *raw_len,
		   struct sriov_error *err)
{
	for (;;) {
		_cleanup_free_ char *buf = NULL;
		ssize_t n = nl_recv(nl, &buf);
		size_t left;
		const struct nlmsghdr *nlh;

		if (n < 0)
			return sriov_error_set(err, (int)n,
					       "rtnetlink receive: %s",
					       strerror((int)-n));
		left = (size_t)n;
		for (nlh = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, (int)left);
		     nlh = mnl_nlmsg_next(nlh, (int *)&left)) {
			if (nlh->nlmsg_seq != seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid))
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return nl_ack_decode(nlh, nlh->nlmsg_len, msg,
						     msgsize);
			if (raw && nlh->nlmsg_type == RTM_NEWLINK) {
				*raw = malloc(nlh->nlmsg_len);
				if (!*raw)
					return sriov_error_set(err, -ENOMEM,
							       "out of memory");
				memcpy(*raw, nlh, nlh->nlmsg_len);
				*raw_len = nlh->nlmsg_len;
				return 0;
			}
			if (link && nlh->nlmsg_type == RTM_NEWLINK)
				return nl_link_decode(nlh, nlh->nlmsg_len, link,
						      err);
		}
	}
}

int nl_request_ack(struct sriov_nl *nl, void *req, size_t len, char *msg,
		   size_t msgsize)
{
	struct nlmsghdr *nlh = req;
	int r;

	nlh->nlmsg_seq = nl_next_seq(nl);
	if (nl->replay) {
		struct sriov_error e = { 0 };

		r = nl_send(nl, req, len, &e);
		if (r < 0 && msg && msgsize)
			snprintf(msg, msgsize, "%s", e.msg);
		return r < 0 ? r : -EROFS;
	}
	r = nl_send(nl, req, len, NULL);
	if (r < 0)
		return r;
	return nl_wait(nl, nlh->nlmsg_seq, msg, msgsize, NULL, NULL, NULL,
		       NULL);
}

/* RTM_GETLINK on @ifindex: decoded into @link, or as received into @raw. */
static int getlink(struct sriov_nl *nl, int ifindex, bool stats,
		   struct sriov_link_vfs *link, void **raw, size_t *raw_len,
		   struct sriov_error *err)
{
	char req[256], msg[160];
	uint32_t seq = nl_next_seq(nl);
	int r;

	r = stats ? nl_getlink_stats_encode(req, sizeof(req), ifindex, seq) :
		    nl_getlink_encode(req, sizeof(req), ifindex, seq);
	if (r < 0)
		return sriov_error_set(err, r, "cannot encode RTM_GETLINK");
	r = nl_send(nl, req, (size_t)r, err);
	if (r < 0)
		return r;
	msg[0] = '\0';
	r = nl_wait(nl, seq, msg, sizeof(msg), link, raw, raw_len, err);
	if (r < 0 && err && !err->code)
		return sriov_error_set(err, r, "reading link %d: %s%s%s",
				       ifindex, strerror(-r),
				       msg[0] ? ": " : "", msg);
	return r;
}

static int vf_read(struct sriov_nl *nl, int pf_ifindex, bool stats,
		   struct sriov_link_vfs *ret, struct sriov_error *err)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = getlink(nl, pf_ifindex, stats, ret, NULL, NULL, err);
	/* An ACK without a link is not an answer we can use. */
	if (r >= 0 && ret->ifindex == 0)
		return sriov_error_set(err, -EBADMSG,
				       "link %d: no RTM_NEWLINK answer",
				       pf_ifindex);
	/* The kernel leaves counters out when not asked (SKIP_STATS); a
	 * recorded answer has them, and is the same answer otherwise. */
	for (size_t i = 0; r >= 0 && !stats && i < ret->n_vfs; i++) {
		ret->vfs[i].stats_present = 0;
		memset(&ret->vfs[i].stats, 0, sizeof(ret->vfs[i].stats));
	}
	return r;
}

int nl_link_record(struct sriov_nl *nl, int ifindex, void **ret,
		   size_t *ret_len, struct sriov_error *err)
{
	void *raw = NULL;
	size_t len = 0;
	int r;

	r = getlink(nl, ifindex, true, NULL, &raw, &len, err);
	if (r >= 0 && !raw)
		return sriov_error_set(err, -EBADMSG,
				       "link %d: no RTM_NEWLINK answer",
				       ifindex);
	if (r < 0) {
		free(raw);
		return r;
	}
	*ret = raw;
	*ret_len = len;
	return 0;
}

int sriov_vf_read(struct sriov_nl *nl, int pf_ifindex,
		  struct sriov_link_vfs *ret, struct sriov_error *err)
{
	return vf_read(nl, pf_ifindex, false, ret, err);
}

int sriov_vf_read_stats(struct sriov_nl *nl, int pf_ifindex,
			struct sriov_link_vfs *ret, struct sriov_error *err)
{
	return vf_read(nl, pf_ifindex, true, ret, err);
}

struct addr_ctx {
	int ifindex;
	bool found;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_ctx *c = data;
	const struct ifaddrmsg *ifa;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((int)ifa->ifa_index == c->ifindex)
		c->found = true;
	return MNL_CB_OK;
}

int nl_link_has_addresses(struct sriov_nl *nl, int ifindex)
{
	struct addr_ctx c = { .ifindex = ifindex };
	char req[64];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t seq;
	int r;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = nl_next_seq(nl);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = (unsigned)ifindex; /* filtered with strict checks */
	r = nl_send(nl, req, nlh->nlmsg_len, NULL);
	while (r >= 0) {
		_cleanup_free_ char *buf = NULL;
		ssize_t n = nl_recv(nl, &buf);

		if (n < 0) {
			r = (int)n;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, addr_cb, &c);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0)
			r = -errno;
	}
	if (r < 0)
		return r;
	return c.found ? 1 : 0;
}
