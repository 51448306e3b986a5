/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_ROOT_H
#define SRIOV_ROOT_H

#include <stdbool.h>

#include <sriov/error.h>

/*
 * The file system roots sriov reads the kernel through: sysfs (default
 * /sys) and procfs (default /proc). Every access goes through directory
 * file descriptors opened here, so tests and `--root` point the whole
 * library at a captured or fake tree.
 */
struct sriov_root;

/**
 * sriov_root_open() - open the sysfs and procfs roots
 * @sys: sysfs root; NULL means $SRIOV_SYSFS_ROOT, else /sys
 * @proc: procfs root; NULL means $SRIOV_PROC_ROOT, else /proc
 * @ret: the new root, owned by the caller (sriov_root_free())
 *
 * The environment variables are honoured only when the program is not
 * running setuid/setgid (AT_SECURE). A missing procfs root is tolerated
 * (checks that need it report it); a missing sysfs root is an error.
 */
int sriov_root_open(const char *sys, const char *proc, struct sriov_root **ret,
		    struct sriov_error *err);
void sriov_root_free(struct sriov_root *root);
const char *sriov_root_sys_path(const struct sriov_root *root);
const char *sriov_root_proc_path(const struct sriov_root *root);

/**
 * sriov_root_is_live() - is the sysfs root this kernel's own /sys
 *
 * True only when the sysfs root is a sysfs mount and the same directory as
 * /sys. Any other root (a capture, a fixture, a copy) is not the kernel
 * the process can reach over netlink: rtnetlink reads are then replayed
 * from the answers recorded beside the tree (sriov_root_netlink_path()),
 * and every request that would change the host (RTM_SETLINK, VF counts,
 * driver binding) is refused with -EROFS. Nothing reaches the live kernel.
 */
bool sriov_root_is_live(const struct sriov_root *root);

/**
 * sriov_root_netlink_path() - where a non-live root's netlink answers are
 *
 * The folder "netlink" beside the sysfs root (a capture's DIR/netlink for
 * --root DIR/sys), holding one recorded RTM_NEWLINK per netdev as
 * IFNAME.nlmsg (docs/vf.md). NULL when the root is live.
 */
const char *sriov_root_netlink_path(const struct sriov_root *root);

#endif
