/* SPDX-License-Identifier: MIT */
/*
 * The quarantine state a VF is left in between tenants: nothing of the
 * last tenant (VLAN, MAC, GUID) and no link, so a VF that is handed out by
 * mistake carries no traffic on anyone's network.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sriov/port.h>
#include "util/banned.h"

static void scrub_config(const struct sriov_port_vf *vf,
			 const struct sriov_vf_info *cur,
			 struct sriov_vf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vf = vf->index;
	if (vf->infiniband) {
		c->node_guid = c->port_guid = SRIOV_GUID_INVALID;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) |
			   SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
	} else {
		c->mac_len = 6; /* zero: "unset" to the drivers */
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_MAC) |
			   SRIOV_VF_BIT(SRIOV_VF_VLAN);
	}
	if (cur->trust >= 0)
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
	if (cur->spoofchk >= 0) {
		c->spoofchk = true;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
	}
	c->link_state = SRIOV_VF_LINK_DISABLE;
	c->mask |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
}

static int read_one(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		    struct sriov_vf_info *ret, struct sriov_error *err)
{
	struct sriov_link_vfs l = { 0 };
	int r;

	r = sriov_vf_read(nl, vf->pf.ifindex, &l, err);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < l.n_vfs; i++)
		if (l.vfs[i].vf == vf->index) {
			*ret = l.vfs[i];
			r = 0;
		}
	sriov_link_vfs_release(&l);
	if (r < 0)
		return sriov_error_set(err, r,
				       "%s: the kernel reports no vf %u",
				       vf->pf.ifname, vf->index);
	return 0;
}

/* What of the quarantine state @vi lacks, as text; 0 when none. */
static int check(const struct sriov_port_vf *vf, const struct sriov_vf_info *vi,
		 struct sriov_error *err)
{
	static const uint8_t zero[SRIOV_VF_MAC_MAX];
	char what[256] = "";
	size_t off = 0;

#define LACK(s)                                                             \
	do {                                                                \
		if (off < sizeof(what))                                     \
			off += (size_t)snprintf(what + off,                 \
						sizeof(what) - off, "%s%s", \
						off ? ", " : "", s);        \
	} while (0)
	if (!vf->infiniband) {
		if (vi->vlan || vi->qos)
			LACK("vlan");
		if (memcmp(vi->mac, zero, vi->mac_len < 6 ? 6 : vi->mac_len))
			LACK("mac");
	} else {
		if (vi->node_guid != SRIOV_GUID_INVALID)
			LACK("node_guid");
		if (vi->port_guid != SRIOV_GUID_INVALID)
			LACK("port_guid");
	}
	if (vi->trust > 0)
		LACK("trust");
	if (vi->spoofchk == 0)
		LACK("spoofchk");
	if (vi->link_state != SRIOV_VF_LINK_DISABLE)
		LACK("state");
#undef LACK
	if (off)
		return sriov_error_set(
			err, -EIO,
			"%s vf %u: not scrubbed: %s reads back wrong",
			vf->pf.ifname, vf->index, what);
	return 0;
}

int sriov_port_is_scrubbed(struct sriov_nl *nl, const struct sriov_port_vf *vf,
			   struct sriov_error *err)
{
	struct sriov_vf_info vi;
	int r;

	if (vf->pf.ifindex <= 0)
		return 1; /* no per-VF settings exist on this PF */
	r = read_one(nl, vf, &vi, err);
	if (r < 0)
		return r;
	return check(vf, &vi, err) == 0 ? 1 : 0;
}

int sriov_port_scrub(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		     struct sriov_error *err)
{
	struct sriov_vf_info cur;
	struct sriov_vf_config c;
	int r, r2;

	if (vf->pf.ifindex <= 0)
		return 0;
	r = read_one(nl, vf, &cur, err);
	if (r < 0)
		return r;
	scrub_config(vf, &cur, &c);
	/* Every attribute is tried even if one is refused; the read-back is
	 * the verdict. */
	r = sriov_vf_set(nl, vf->pf.ifindex, &c, &cur, NULL, err);
	r2 = read_one(nl, vf, &cur, r < 0 ? NULL : err);
	if (r2 < 0)
		return r < 0 ? r : r2;
	r2 = check(vf, &cur, r < 0 ? NULL : err);
	if (r < 0)
		return r;
	return r2;
}
