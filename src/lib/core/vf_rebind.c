/* SPDX-License-Identifier: MIT */
/*
 * Rebind a VF to the driver it has, so the driver reads again what the PF
 * driver keeps for it: an InfiniBand VF's node and port GUIDs are taken at
 * probe (mlx5_ib reads them from the vport context when the VF binds), so a
 * new GUID is only seen after unbind + bind. The VF's netdev is renamed
 * back if the rebind gave it another name, so configuration naming it
 * keeps working.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <sriov/vf.h>
#include "core/pf.h"
#include "netlink/socket.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

int pf_link_rename(void *ud, struct sriov_root *root, int ifindex,
		   const char *name)
{
	struct sriov_nl *nl = NULL;
	char buf[256], msg[160];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	r = sriov_nl_open(root, &nl, NULL);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_SETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_request_ack(nl, buf, nlh->nlmsg_len, msg, sizeof(msg));
	sriov_nl_close(nl);
	return r;
}

int pf_vf_rebind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		 unsigned vf, unsigned timeout_ms, const struct pf_ops *ops,
		 struct sriov_error *err)
{
	char addr[64], drv[64], before[IFNAMSIZ], label[96];
	int r;

	if (strcmp(pf->bus, "pci"))
		return 0; /* netdevsim: VFs are not devices with drivers */
	r = sriov_vf_driver(root, pf, vf, drv, sizeof(drv), err);
	if (r < 0)
		return r;
	if (!drv[0])
		return 0; /* unbound: the next probe reads the new GUID */
	r = sriov_vf_pci(root, pf, vf, addr, sizeof(addr), err);
	if (r < 0)
		return r;
	pf_fn_netdev(root, addr, before, sizeof(before));
	r = ops->write(ops->ud, root->sys_fd,
		       SP("bus/pci/drivers", drv, "unbind"), addr);
	if (r < 0)
		return sriov_error_set(
			err, r,
			"vf %u (%s): unbind from %s so the new guid takes effect: %s",
			vf, addr, drv, strerror(-r));
	/* The same driver, named: drivers_probe could pick another one. */
	r = ops->write(ops->ud, root->sys_fd,
		       SP("bus/pci/drivers", drv, "bind"), addr);
	if (r < 0)
		return sriov_error_set(
			err, r,
			"vf %u (%s): bind back to %s: %s (the VF is now unbound; sriovctl vf set %s %u driver default)",
			vf, addr, drv, strerror(-r),
			pf->ifname[0] ? pf->ifname : pf->dev, vf);
	if (!before[0])
		return 1;
	snprintf(label, sizeof(label), "vf %u (%s)", vf, addr);
	r = pf_netdev_keep_name(root, addr, before, timeout_ms, ops, label,
				"after the rebind", err);
	return r < 0 ? r : 1;
}

int sriov_vf_rebind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned vf, unsigned timeout_ms, struct sriov_error *err)
{
	char what[96];
	int r;

	snprintf(what, sizeof(what), "%s: vf %u rebind", pf->dev, vf);
	r = pf_refuse_unless_live(root, what, err);
	if (r < 0)
		return r;
	return pf_vf_rebind(root, pf, vf, timeout_ms, &pf_default_ops, err);
}
