/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/vfmsg.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static struct nlmsghdr *put_link_header(void *buf, size_t size, int type,
					int flags, int ifindex, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (size < MNL_ALIGN(sizeof(struct nlmsghdr)) +
			   MNL_ALIGN(sizeof(struct ifinfomsg)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

bool nl_vf_legacy_rate(const struct sriov_vf_config *cfg)
{
	return cfg->legacy_rate &&
	       (cfg->mask & (SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			     SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE))) ==
		       SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
}

int nl_vf_encode(void *buf, size_t size, int ifindex, uint32_t seq,
		 const struct sriov_vf_config *cfg, enum sriov_vf_attr attr)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *info, *vlist;
	bool ok;

	if ((unsigned)attr >= SRIOV_VF_ATTR_MAX ||
	    !(cfg->mask & SRIOV_VF_BIT(attr)))
		return -EINVAL;
	nlh = put_link_header(buf, size, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK,
			      ifindex, seq);
	if (!nlh)
		return -ENOBUFS;
	list = mnl_attr_nest_start_check(nlh, size, IFLA_VFINFO_LIST);
	if (!list)
		return -ENOBUFS;
	info = mnl_attr_nest_start_check(nlh, size, IFLA_VF_INFO);
	if (!info)
		return -ENOBUFS;

	switch (attr) {
	case SRIOV_VF_MAC: {
		struct ifla_vf_mac m = { .vf = cfg->vf };

		if (cfg->mac_len > sizeof(m.mac))
			return -EINVAL;
		memcpy(m.mac, cfg->mac, cfg->mac_len);
		ok = mnl_attr_put_check(nlh, size, IFLA_VF_MAC, sizeof(m), &m);
		break;
	}
	case SRIOV_VF_VLAN: {
		/* The list form carries the protocol (big-endian); the
		 * legacy IFLA_VF_VLAN cannot express 802.1ad. */
		struct ifla_vf_vlan_info v = {
			.vf = cfg->vf,
			.vlan = cfg->vlan,
			.qos = cfg->qos,
			.vlan_proto = htons(cfg->vlan_proto ?
						    cfg->vlan_proto :
						    SRIOV_ETH_P_8021Q),
		};

		vlist = mnl_attr_nest_start_check(nlh, size, IFLA_VF_VLAN_LIST);
		if (!vlist)
			return -ENOBUFS;
		ok = mnl_attr_put_check(nlh, size, IFLA_VF_VLAN_INFO, sizeof(v),
					&v);
		if (ok)
			mnl_attr_nest_end(nlh, vlist);
		break;
	}
	case SRIOV_VF_SPOOFCHK: {
		struct ifla_vf_spoofchk s = { .vf = cfg->vf,
					      .setting = cfg->spoofchk };

		ok = mnl_attr_put_check(nlh, size, IFLA_VF_SPOOFCHK, sizeof(s),
					&s);
		break;
	}
	case SRIOV_VF_TRUST: {
		struct ifla_vf_trust t = { .vf = cfg->vf,
					   .setting = cfg->trust };

		ok = mnl_attr_put_check(nlh, size, IFLA_VF_TRUST, sizeof(t),
					&t);
		break;
	}
	case SRIOV_VF_LINK_STATE: {
		struct ifla_vf_link_state l = { .vf = cfg->vf,
						.link_state = cfg->link_state };

		ok = mnl_attr_put_check(nlh, size, IFLA_VF_LINK_STATE,
					sizeof(l), &l);
		break;
	}
	case SRIOV_VF_MAX_TX_RATE:
		if (nl_vf_legacy_rate(cfg)) {
			struct ifla_vf_tx_rate t = { .vf = cfg->vf,
						     .rate = cfg->max_tx_rate };

			ok = mnl_attr_put_check(nlh, size, IFLA_VF_TX_RATE,
						sizeof(t), &t);
			break;
		}
		/* fall through */
	case SRIOV_VF_MIN_TX_RATE: {
		struct ifla_vf_rate r = { .vf = cfg->vf,
					  .min_tx_rate = cfg->min_tx_rate,
					  .max_tx_rate = cfg->max_tx_rate };

		ok = mnl_attr_put_check(nlh, size, IFLA_VF_RATE, sizeof(r), &r);
		break;
	}
	case SRIOV_VF_RSS_QUERY: {
		struct ifla_vf_rss_query_en q = { .vf = cfg->vf,
						  .setting = cfg->rss_query };

		ok = mnl_attr_put_check(nlh, size, IFLA_VF_RSS_QUERY_EN,
					sizeof(q), &q);
		break;
	}
	case SRIOV_VF_NODE_GUID:
	case SRIOV_VF_PORT_GUID: {
		/* Host-order u64, as iproute2's get_guid() builds it. The
		 * kernel (6.1 do_setvfinfo) acts on only the node GUID when
		 * both are in one message: another reason for one message
		 * per attribute. */
		struct ifla_vf_guid g;

		memset(&g, 0, sizeof(g));
		g.vf = cfg->vf;
		g.guid = attr == SRIOV_VF_NODE_GUID ? cfg->node_guid :
						      cfg->port_guid;
		ok = mnl_attr_put_check(nlh, size,
					attr == SRIOV_VF_NODE_GUID ?
						IFLA_VF_IB_NODE_GUID :
						IFLA_VF_IB_PORT_GUID,
					sizeof(g), &g);
		break;
	}
	default:
		return -EINVAL;
	}
	if (!ok)
		return -ENOBUFS;
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, list);
	return (int)nlh->nlmsg_len;
}

static int getlink_encode(void *buf, size_t size, int ifindex, uint32_t seq,
			  uint32_t ext_mask)
{
	struct nlmsghdr *nlh;

	nlh = put_link_header(buf, size, RTM_GETLINK, NLM_F_REQUEST, ifindex,
			      seq);
	if (!nlh)
		return -ENOBUFS;
	if (!mnl_attr_put_u32_check(nlh, size, IFLA_EXT_MASK, ext_mask))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

int nl_getlink_encode(void *buf, size_t size, int ifindex, uint32_t seq)
{
	return getlink_encode(buf, size, ifindex, seq,
			      RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
}

int nl_getlink_stats_encode(void *buf, size_t size, int ifindex, uint32_t seq)
{
	return getlink_encode(buf, size, ifindex, seq, RTEXT_FILTER_VF);
}

/* Copy a fixed-size kernel struct out of an attribute, if it is big enough
 * (memcpy: attributes are only 4-byte aligned, ifla_vf_guid holds a u64). */
static bool get_struct(const struct nlattr *a, void *dst, size_t size)
{
	if (mnl_attr_get_payload_len(a) < size)
		return false;
	memcpy(dst, mnl_attr_get_payload(a), size);
	return true;
}

/*
 * IFLA_VF_STATS: u64 counters (nla_put_u64_64bit in 6.1 rtnl_fill_vfinfo,
 * with IFLA_VF_STATS_PAD for alignment, so the payload is only 4-byte
 * aligned: memcpy). A counter shorter than 8 bytes is malformed.
 */
static int decode_vf_stats(const struct nlattr *nest, struct sriov_vf_info *vf)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint64_t *dst, v;
		uint32_t bit;

		switch (mnl_attr_get_type(a)) {
		case IFLA_VF_STATS_RX_PACKETS:
			dst = &vf->stats.rx_packets;
			bit = SRIOV_VF_STAT_RX_PACKETS;
			break;
		case IFLA_VF_STATS_TX_PACKETS:
			dst = &vf->stats.tx_packets;
			bit = SRIOV_VF_STAT_TX_PACKETS;
			break;
		case IFLA_VF_STATS_RX_BYTES:
			dst = &vf->stats.rx_bytes;
			bit = SRIOV_VF_STAT_RX_BYTES;
			break;
		case IFLA_VF_STATS_TX_BYTES:
			dst = &vf->stats.tx_bytes;
			bit = SRIOV_VF_STAT_TX_BYTES;
			break;
		case IFLA_VF_STATS_BROADCAST:
			dst = &vf->stats.broadcast;
			bit = SRIOV_VF_STAT_BROADCAST;
			break;
		case IFLA_VF_STATS_MULTICAST:
			dst = &vf->stats.multicast;
			bit = SRIOV_VF_STAT_MULTICAST;
			break;
		case IFLA_VF_STATS_RX_DROPPED:
			dst = &vf->stats.rx_dropped;
			bit = SRIOV_VF_STAT_RX_DROPPED;
			break;
		case IFLA_VF_STATS_TX_DROPPED:
			dst = &vf->stats.tx_dropped;
			bit = SRIOV_VF_STAT_TX_DROPPED;
			break;
		default:
			continue; /* IFLA_VF_STATS_PAD and newer counters */
		}
		if (mnl_attr_get_payload_len(a) < sizeof(v))
			return -EBADMSG;
		memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
		*dst = v;
		vf->stats_present |= bit;
	}
	return 0;
}

static int decode_vf_info(const struct nlattr *info, struct sriov_vf_info *vf)
{
	const struct nlattr *a, *v;
	bool have_vf = false, have_list = false;

	memset(vf, 0, sizeof(*vf));
	vf->spoofchk = vf->trust = vf->rss_query = -1;
	vf->vlan_proto = SRIOV_ETH_P_8021Q;

	mnl_attr_for_each_nested(a, info) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_VF_MAC: {
			struct ifla_vf_mac m;

			if (!get_struct(a, &m, sizeof(m)))
				return -EBADMSG;
			vf->vf = m.vf;
			memcpy(vf->mac, m.mac, sizeof(vf->mac));
			vf->present |= SRIOV_VF_BIT(SRIOV_VF_MAC);
			have_vf = true;
			break;
		}
		case IFLA_VF_BROADCAST: {
			struct ifla_vf_broadcast b;

			if (!get_struct(a, &b, sizeof(b)))
				return -EBADMSG;
			memcpy(vf->broadcast, b.broadcast,
			       sizeof(vf->broadcast));
			vf->has_broadcast = true;
			break;
		}
		case IFLA_VF_VLAN: {
			struct ifla_vf_vlan l;

			if (!get_struct(a, &l, sizeof(l)))
				return -EBADMSG;
			vf->vf = l.vf;
			if (!have_list) {
				vf->vlan = l.vlan;
				vf->qos = l.qos;
			}
			vf->present |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
			have_vf = true;
			break;
		}
		case IFLA_VF_VLAN_LIST:
			mnl_attr_for_each_nested(v, a) {
				struct ifla_vf_vlan_info l;

				if (mnl_attr_get_type(v) != IFLA_VF_VLAN_INFO)
					continue;
				if (!get_struct(v, &l, sizeof(l)))
					return -EBADMSG;
				if (have_list)
					continue; /* the kernel uses the first */
				vf->vf = l.vf;
				vf->vlan = l.vlan;
				vf->qos = l.qos;
				vf->vlan_proto = ntohs(l.vlan_proto);
				vf->present |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
				have_list = have_vf = true;
			}
			break;
		case IFLA_VF_RATE: {
			struct ifla_vf_rate r;

			if (!get_struct(a, &r, sizeof(r)))
				return -EBADMSG;
			vf->vf = r.vf;
			vf->min_tx_rate = r.min_tx_rate;
			vf->max_tx_rate = r.max_tx_rate;
			vf->present |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
				       SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
			have_vf = true;
			break;
		}
		case IFLA_VF_TX_RATE: {
			struct ifla_vf_tx_rate r;

			if (!get_struct(a, &r, sizeof(r)))
				return -EBADMSG;
			vf->vf = r.vf;
			if (!(vf->present &
			      SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE))) {
				vf->max_tx_rate = r.rate;
				vf->present |=
					SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
			}
			have_vf = true;
			break;
		}
		case IFLA_VF_SPOOFCHK: {
			struct ifla_vf_spoofchk s;

			if (!get_struct(a, &s, sizeof(s)))
				return -EBADMSG;
			vf->vf = s.vf;
			vf->spoofchk = (int32_t)s.setting;
			if (vf->spoofchk != -1)
				vf->present |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
			have_vf = true;
			break;
		}
		case IFLA_VF_LINK_STATE: {
			struct ifla_vf_link_state l;

			if (!get_struct(a, &l, sizeof(l)))
				return -EBADMSG;
			vf->vf = l.vf;
			vf->link_state = l.link_state;
			vf->present |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
			have_vf = true;
			break;
		}
		case IFLA_VF_RSS_QUERY_EN: {
			struct ifla_vf_rss_query_en q;

			if (!get_struct(a, &q, sizeof(q)))
				return -EBADMSG;
			vf->vf = q.vf;
			vf->rss_query = (int32_t)q.setting;
			if (vf->rss_query != -1)
				vf->present |= SRIOV_VF_BIT(SRIOV_VF_RSS_QUERY);
			have_vf = true;
			break;
		}
		case IFLA_VF_TRUST: {
			struct ifla_vf_trust t;

			if (!get_struct(a, &t, sizeof(t)))
				return -EBADMSG;
			vf->vf = t.vf;
			vf->trust = (int32_t)t.setting;
			if (vf->trust != -1)
				vf->present |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
			have_vf = true;
			break;
		}
		case IFLA_VF_IB_NODE_GUID:
		case IFLA_VF_IB_PORT_GUID: {
			struct ifla_vf_guid g;
			bool node = mnl_attr_get_type(a) ==
				    IFLA_VF_IB_NODE_GUID;

			if (!get_struct(a, &g, sizeof(g)))
				return -EBADMSG;
			vf->vf = g.vf;
			if (node)
				vf->node_guid = g.guid;
			else
				vf->port_guid = g.guid;
			vf->present |= SRIOV_VF_BIT(node ? SRIOV_VF_NODE_GUID :
							   SRIOV_VF_PORT_GUID);
			have_vf = true;
			break;
		}
		case IFLA_VF_STATS:
			if (decode_vf_stats(a, vf) < 0)
				return -EBADMSG;
			break;
		default:
			break; /* attributes newer than us */
		}
	}
	return have_vf ? 0 : -EBADMSG;
}

int nl_link_decode(const void *buf, size_t len, struct sriov_link_vfs *ret,
		   struct sriov_error *err)
{
	const struct nlmsghdr *nlh = buf;
	const struct ifinfomsg *ifi;
	const struct nlattr *a, *info;
	struct sriov_link_vfs l = { 0 };
	size_t cap = 0;
	int addr_len = -1, r;

	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return sriov_error_set(err, -EBADMSG,
				       "truncated netlink message");
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return sriov_error_set(
			err, -EBADMSG,
			"netlink message type %u is not RTM_NEWLINK",
			nlh->nlmsg_type);
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifi)))
		return sriov_error_set(err, -EBADMSG,
				       "RTM_NEWLINK without ifinfomsg");
	ifi = mnl_nlmsg_get_payload(nlh);
	l.ifindex = ifi->ifi_index;
	l.type = ifi->ifi_type;

	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME: {
			size_t n = mnl_attr_get_payload_len(a);
			const char *s = mnl_attr_get_payload(a);

			n = strnlen(s, n);
			if (n >= sizeof(l.ifname))
				n = sizeof(l.ifname) - 1;
			memcpy(l.ifname, s, n);
			l.ifname[n] = '\0';
			break;
		}
		case IFLA_ADDRESS:
			addr_len = (int)mnl_attr_get_payload_len(a);
			break;
		case IFLA_NUM_VF:
			if (mnl_attr_get_payload_len(a) < sizeof(uint32_t))
				goto bad;
			memcpy(&l.num_vf, mnl_attr_get_payload(a),
			       sizeof(l.num_vf));
			l.has_num_vf = true;
			break;
		case IFLA_VFINFO_LIST:
			mnl_attr_for_each_nested(info, a) {
				if (mnl_attr_get_type(info) != IFLA_VF_INFO)
					continue;
				r = grow_array((void **)&l.vfs, &cap, l.n_vfs,
					       sizeof(*l.vfs));
				if (r < 0) {
					sriov_link_vfs_release(&l);
					return sriov_error_set(err, r,
							       "out of memory");
				}
				r = decode_vf_info(info, &l.vfs[l.n_vfs]);
				if (r < 0)
					goto bad;
				l.n_vfs++;
			}
			break;
		default:
			break;
		}
	}
	/* IB VFs carry 20-byte addresses in the 32-byte mac field. */
	if (addr_len < 0 || addr_len > SRIOV_VF_MAC_MAX)
		addr_len = l.type == ARPHRD_INFINIBAND ? SRIOV_INFINIBAND_ALEN :
							 6;
	l.addr_len = (uint8_t)addr_len;
	for (size_t i = 0; i < l.n_vfs; i++)
		l.vfs[i].mac_len = l.addr_len;
	*ret = l;
	return 0;
bad:
	sriov_link_vfs_release(&l);
	return sriov_error_set(err, -EBADMSG,
			       "malformed VF attribute in RTM_NEWLINK");
}

int nl_ack_decode(const void *buf, size_t len, char *msg, size_t msgsize)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsgerr *e;
	const struct nlattr *a;
	size_t off;

	if (msg && msgsize)
		msg[0] = '\0';
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !msg || !msgsize)
		return e->error;
	/* TLVs follow the echoed request, or just its header if capped. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(e->msg) ||
		    e->msg.nlmsg_len > nlh->nlmsg_len)
			return e->error;
		off += MNL_ALIGN((size_t)e->msg.nlmsg_len) - sizeof(e->msg);
	}
	if (MNL_NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return e->error;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
			size_t n = strnlen(mnl_attr_get_payload(a),
					   mnl_attr_get_payload_len(a));

			if (n >= msgsize)
				n = msgsize - 1;
			memcpy(msg, mnl_attr_get_payload(a), n);
			msg[n] = '\0';
			while (n > 0 && msg[n - 1] == '\n')
				msg[--n] = '\0';
		}
	}
	return e->error;
}

void sriov_link_vfs_release(struct sriov_link_vfs *l)
{
	free(l->vfs);
	l->vfs = NULL;
	l->n_vfs = 0;
}
