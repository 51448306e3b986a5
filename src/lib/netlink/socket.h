/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NETLINK_SOCKET_H
#define SRIOV_NETLINK_SOCKET_H

/*
 * The rtnetlink handle behind struct sriov_nl. It has one of two backends,
 * chosen by the core from the sysfs root (core/nl.c, sriov_nl_open()):
 * the live kernel's NETLINK_ROUTE socket, or a replay of the answers
 * recorded beside a captured or fake tree (netlink/replay.h), which opens
 * no socket at all and refuses every request that would change the host.
 * Everything above sends and decodes the same way through both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/vf.h>

#include "netlink/replay.h"

/* The live kernel: a NETLINK_ROUTE socket. */
int nl_open_live(struct sriov_nl **ret, struct sriov_error *err);
/* Recorded answers (see nl_replay_new()); never a socket. */
int nl_open_replay(struct sriov_nl **ret, const char *label, const char *dir,
		   const struct nl_link_name *links, size_t n,
		   struct sriov_error *err);
bool nl_is_replay(const struct sriov_nl *nl);

/*
 * -EROFS for a change @what (e.g. "vf 3: mac") that a replaying handle
 * will not send, with the reason in @err. Call it before anything else is
 * done, so a refused change leaves nothing half done.
 */
int nl_refuse(const struct sriov_nl *nl, const char *what,
	      struct sriov_error *err);

/*
 * Send one request that asks for an ACK and wait for it. Returns the
 * kernel's answer (0 or -errno); @msg gets the extended-ACK text if the
 * kernel gave one, or why a replaying handle refused (-EROFS).
 */
int nl_request_ack(struct sriov_nl *nl, void *req, size_t len, char *msg,
		   size_t msgsize);
uint32_t nl_next_seq(struct sriov_nl *nl);

/*
 * The RTM_NEWLINK answering RTM_GETLINK on @ifindex with the VF list and
 * its counters, as received (what `capture` stores): a malloc'd message.
 */
int nl_link_record(struct sriov_nl *nl, int ifindex, void **ret,
		   size_t *ret_len, struct sriov_error *err);

/* RTM_GETADDR dump: 1 when @ifindex has an address, 0 if not, -errno
 * (-EROFS when replaying: addresses are not recorded). */
int nl_link_has_addresses(struct sriov_nl *nl, int ifindex);

#endif
