/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CAPTURE_H
#define SRIOV_CAPTURE_H

#include <sriov/error.h>
#include <sriov/root.h>

/**
 * sriov_capture() - copy what sriov reads of a host into a folder
 * @root: the roots to read (normally /sys and /proc)
 * @dest: a folder that does not exist yet, or is empty; it receives
 *	  dest/sys, dest/proc and dest/netlink, replayable with --root
 *	  dest/sys --proc-root dest/proc
 *
 * Discovery and the doctor's checks are run with the file layer recording
 * every path they touch; each path is then copied, symlinks kept as the
 * kernel wrote them (relative), files with their contents. Nothing outside
 * the roots is followed or written. Each PF netdev's answer to RTM_GETLINK
 * (its VF list, with counters) is stored as received in
 * dest/netlink/IFNAME.nlmsg: a root other than the live /sys replays
 * those answers (sriov_nl_open()) and never asks the kernel it runs on.
 */
int sriov_capture(struct sriov_root *root, const char *dest,
		  struct sriov_error *err);

#endif
