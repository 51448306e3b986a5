/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NETLINK_VFMSG_H
#define SRIOV_NETLINK_VFMSG_H

/*
 * Pure rtnetlink encoders and decoders for VF settings: the caller owns
 * every buffer, nothing here touches a socket, so each function is tested
 * byte for byte and the decoder is fuzzed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/vf.h>

/*
 * RTM_SETLINK on @ifindex carrying IFLA_VFINFO_LIST { IFLA_VF_INFO { one
 * attribute } } for @attr of @cfg (SRIOV_VF_MIN_TX_RATE and _MAX_TX_RATE
 * both encode IFLA_VF_RATE with both bounds, but see nl_vf_legacy_rate()).
 * NLM_F_REQUEST|NLM_F_ACK.
 * Return: the message length, -EINVAL for an attribute not in cfg->mask,
 * -ENOBUFS when @size is too small.
 */
int nl_vf_encode(void *buf, size_t size, int ifindex, uint32_t seq,
		 const struct sriov_vf_config *cfg, enum sriov_vf_attr attr);

/*
 * Is @cfg's maximum ip link's "rate" with no minimum given? Then
 * SRIOV_VF_MAX_TX_RATE encodes IFLA_VF_TX_RATE {vf, rate}, as iproute2
 * sends it, and the kernel keeps the VF's minimum (rtnetlink.c
 * do_setvfinfo: ndo_get_vf_config, then rtnl_set_vf_rate(min, rate)).
 */
bool nl_vf_legacy_rate(const struct sriov_vf_config *cfg);

/* RTM_GETLINK on @ifindex with RTEXT_FILTER_VF|RTEXT_FILTER_SKIP_STATS. */
int nl_getlink_encode(void *buf, size_t size, int ifindex, uint32_t seq);
/* The same with RTEXT_FILTER_VF alone: the kernel adds IFLA_VF_STATS. */
int nl_getlink_stats_encode(void *buf, size_t size, int ifindex, uint32_t seq);

/*
 * Decode one RTM_NEWLINK: the link's name, type, address length, IFLA_NUM_VF
 * and every IFLA_VF_INFO with its IFLA_VF_STATS when present. Malformed input is -EBADMSG, never a crash.
 */
int nl_link_decode(const void *buf, size_t len, struct sriov_link_vfs *ret,
		   struct sriov_error *err);

/*
 * Decode an NLMSG_ERROR: returns its error (0 for an ACK, -errno) and
 * copies the extended-ACK text, if any, to @msg. -EBADMSG when @buf is not
 * an NLMSG_ERROR.
 */
int nl_ack_decode(const void *buf, size_t len, char *msg, size_t msgsize);

#endif
