/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink handle comes from the sysfs root, so a captured or fake
 * tree and the kernel it is asked about can never be two different hosts:
 * the ifindexes of a tree name links of the machine it was taken on, and
 * on any other machine they are someone else's links (ifindex 1 is lo
 * everywhere). The live /sys gets the kernel's socket; any other root
 * gets the answers recorded beside it, and no socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/vf.h>
#include "core/pf.h"
#include "netlink/socket.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

int sriov_nl_open(struct sriov_root *root, struct sriov_nl **ret,
		  struct sriov_error *err)
{
	_cleanup_free_ struct nl_link_name *links = NULL;
	char **names = NULL;
	size_t n = 0, nl = 0, cap = 0;
	int r = 0;

	if (root->live)
		return nl_open_live(ret, err);
	/* The tree's own ifindex -> name map: requests name an ifindex,
	 * the recorded answers are filed by name. */
	if (fs_list(root->sys_fd, SP("class/net"), &names, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		int ifindex;

		if (strlen(names[i]) >= sizeof(links->name) ||
		    fs_read_int(root->sys_fd,
				SP("class/net", names[i], "ifindex"),
				&ifindex) < 0)
			continue;
		r = grow_array((void **)&links, &cap, nl, sizeof(*links));
		if (r < 0)
			break;
		links[nl].ifindex = ifindex;
		memcpy(links[nl].name, names[i], strlen(names[i]) + 1);
		nl++;
	}
	strv_free(names, n);
	if (r < 0)
		return sriov_error_set(err, r, "out of memory");
	return nl_open_replay(ret, root->sys_path, root->netlink_path, links,
			      nl, err);
}

int pf_refuse_unless_live(struct sriov_root *root, const char *what,
			  struct sriov_error *err)
{
	if (root->live)
		return 0;
	return sriov_error_set(
		err, -EROFS,
		"%s: refused: the sysfs root %s is not the live /sys (a capture or a fake tree, from --root or SRIOV_SYSFS_ROOT), so nothing is changed on this host",
		what, root->sys_path);
}
