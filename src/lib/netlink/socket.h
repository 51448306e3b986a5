/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NETLINK_SOCKET_H
#define SRIOV_NETLINK_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include <sriov/vf.h>

/*
 * Send one request that asks for an ACK and wait for it. Returns the
 * kernel's answer (0 or -errno); @msg gets the extended-ACK text if the
 * kernel gave one.
 */
int nl_request_ack(struct sriov_nl *nl, void *req, size_t len, char *msg,
		   size_t msgsize);
uint32_t nl_next_seq(struct sriov_nl *nl);

/* RTM_GETADDR dump: 1 when @ifindex has an address, 0 if not, -errno. */
int nl_link_has_addresses(int ifindex);

#endif
