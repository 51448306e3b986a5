/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NETLINK_REPLAY_H
#define SRIOV_NETLINK_REPLAY_H

/*
 * rtnetlink answered from recorded messages, for a sysfs root that is not
 * the live kernel (a capture, a fixture). A request is answered as the
 * kernel answered it when it was recorded: RTM_GETLINK on one link gets
 * the RTM_NEWLINK stored as DIR/IFNAME.nlmsg, its sequence number set to
 * the request's. Nothing else is answered: a request that would change
 * the host is refused with -EROFS, and no socket is ever opened.
 */

#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>

/* A netdev of the tree: the name its answer is filed under. */
struct nl_link_name {
	int ifindex;
	char name[16];
};

struct nl_replay;

/*
 * @label: the sysfs root, named in the errors; @dir: the folder of the
 * recorded answers (it may be missing: each request then says which file
 * it wanted); @links: the tree's netdevs, copied.
 */
int nl_replay_new(const char *label, const char *dir,
		  const struct nl_link_name *links, size_t n,
		  struct nl_replay **ret, struct sriov_error *err);
void nl_replay_free(struct nl_replay *rp);
const char *nl_replay_label(const struct nl_replay *rp);

/*
 * The datagram the kernel would send in answer to @req: a malloc'd copy
 * of the recorded RTM_NEWLINK in *ret. -EROFS for any request but
 * RTM_GETLINK of one link; -ENOENT when nothing is recorded for the link;
 * -EBADMSG when the recorded file is not that link's RTM_NEWLINK.
 */
int nl_replay_answer(struct nl_replay *rp, const void *req, size_t len,
		     uint32_t portid, void **ret, size_t *ret_len,
		     struct sriov_error *err);

/* The largest recorded answer read (a PF with many VFs and their stats). */
#define NL_REPLAY_MAX (1024 * 1024)

#endif
