/* SPDX-License-Identifier: MIT */
/* VF settings: parsing of ip-link style values, and sending them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sriov/vf.h>
#include "netlink/socket.h"
#include "netlink/vfmsg.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static const char *const attr_names[SRIOV_VF_ATTR_MAX] = {
	[SRIOV_VF_MAC] = "mac",
	[SRIOV_VF_VLAN] = "vlan",
	[SRIOV_VF_SPOOFCHK] = "spoofchk",
	[SRIOV_VF_TRUST] = "trust",
	[SRIOV_VF_LINK_STATE] = "state",
	[SRIOV_VF_MIN_TX_RATE] = "min_tx_rate",
	[SRIOV_VF_MAX_TX_RATE] = "max_tx_rate",
	[SRIOV_VF_RSS_QUERY] = "query_rss",
	[SRIOV_VF_NODE_GUID] = "node_guid",
	[SRIOV_VF_PORT_GUID] = "port_guid",
};

const char *sriov_vf_attr_name(enum sriov_vf_attr a)
{
	return (unsigned)a < SRIOV_VF_ATTR_MAX ? attr_names[a] : "?";
}

const char *sriov_vf_link_state_name(uint32_t s)
{
	switch (s) {
	case SRIOV_VF_LINK_AUTO:
		return "auto";
	case SRIOV_VF_LINK_ENABLE:
		return "enable";
	case SRIOV_VF_LINK_DISABLE:
		return "disable";
	}
	return "unknown";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Exactly @n bytes "x:x:...", each of one or two hex digits, as ip link's
 * ll_addr_a2n() reads them ("2:54:0:12:34:56" is 02:54:00:12:34:56). Its
 * sscanf("%x") also takes a "0x", a sign or junk after a byte's digits
 * ("5z"): those are refused here.
 */
static bool parse_hex_bytes(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(*s), lo;

		if (hi < 0)
			return false;
		lo = hexval(*++s);
		if (lo >= 0) {
			hi = hi << 4 | lo;
			s++;
		}
		out[i] = (uint8_t)hi;
		if (i + 1 < n && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

int sriov_parse_mac(const char *s, struct sriov_vf_config *cfg,
		    struct sriov_error *err)
{
	uint8_t mac[SRIOV_INFINIBAND_ALEN];

	if (parse_hex_bytes(s, mac, 6)) {
		if (mac[0] & 1)
			return sriov_error_set(
				err, -EINVAL,
				"vf %u: mac '%s' is a multicast address (give a unicast one)",
				cfg->vf, s);
		memset(cfg->mac, 0, sizeof(cfg->mac));
		memcpy(cfg->mac, mac, 6);
		cfg->mac_len = 6;
		return 0;
	}
	if (parse_hex_bytes(s, mac, SRIOV_INFINIBAND_ALEN)) {
		memset(cfg->mac, 0, sizeof(cfg->mac));
		memcpy(cfg->mac, mac, SRIOV_INFINIBAND_ALEN);
		cfg->mac_len = SRIOV_INFINIBAND_ALEN;
		return 0;
	}
	return sriov_error_set(
		err, -EINVAL,
		"vf %u: invalid mac '%s' (expected 6 hex bytes as xx:xx:xx:xx:xx:xx or x:x:x:x:x:x, or 20 on InfiniBand)",
		cfg->vf, s);
}

void sriov_format_mac(const uint8_t *mac, size_t len, char *buf, size_t size)
{
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < len && off + 3 <= size; i++)
		off += (size_t)snprintf(buf + off, size - off,
					i ? ":%02x" : "%02x", mac[i]);
}

static int parse_onoff(const struct sriov_vf_config *cfg, const char *key,
		       const char *val, bool *ret, struct sriov_error *err)
{
	if (!strcmp(val, "on")) {
		*ret = true;
		return 0;
	}
	if (!strcmp(val, "off")) {
		*ret = false;
		return 0;
	}
	return sriov_error_set(err, -EINVAL,
			       "vf %u: invalid %s '%s' (expected on or off)",
			       cfg->vf, key, val);
}

/*
 * A number as ip link's get_unsigned(..., 0) reads it: decimal, 0x hex or
 * 0 octal ("vlan 0x64" is 100). strtoul() would also take blanks and a
 * sign first: refused here.
 */
static int parse_num(const struct sriov_vf_config *cfg, const char *key,
		     const char *val, uint64_t max, uint64_t *ret,
		     struct sriov_error *err)
{
	unsigned long long v = 0;
	char *end = NULL;

	if (val[0] >= '0' && val[0] <= '9') {
		errno = 0;
		v = strtoull(val, &end, 0);
		if (errno)
			end = NULL;
	}
	if (!end || *end || v > max)
		return sriov_error_set(
			err, -EINVAL,
			"vf %u: invalid %s '%s' (expected 0 to %llu)", cfg->vf,
			key, val, (unsigned long long)max);
	*ret = v;
	return 0;
}

int sriov_vf_config_set(struct sriov_vf_config *cfg, const char *key,
			const char *val, struct sriov_error *err)
{
	uint64_t v = 0;
	int r;

	if (!strcmp(key, "mac")) {
		r = sriov_parse_mac(val, cfg, err);
		if (r < 0)
			return r;
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_MAC);
	} else if (!strcmp(key, "vlan")) {
		r = parse_num(cfg, key, val, 4095, &v, err);
		if (r < 0)
			return r;
		cfg->vlan = (uint16_t)v;
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
	} else if (!strcmp(key, "qos")) {
		r = parse_num(cfg, key, val, 7, &v, err);
		if (r < 0)
			return r;
		cfg->qos = (uint8_t)v;
	} else if (!strcmp(key, "proto")) {
		/* as ip's ll_proto_a2n(): a name, or the ethertype */
		if (!strcasecmp(val, "802.1Q"))
			v = SRIOV_ETH_P_8021Q;
		else if (!strcasecmp(val, "802.1ad"))
			v = SRIOV_ETH_P_8021AD;
		else if (parse_num(cfg, key, val, 0xffff, &v, NULL) < 0)
			v = 0;
		if (v != SRIOV_ETH_P_8021Q && v != SRIOV_ETH_P_8021AD)
			return sriov_error_set(
				err, -EINVAL,
				"vf %u: invalid proto '%s' (expected 802.1Q or 802.1ad, or 0x8100 or 0x88a8)",
				cfg->vf, val);
		cfg->vlan_proto = (uint16_t)v;
	} else if (!strcmp(key, "spoofchk")) {
		r = parse_onoff(cfg, key, val, &cfg->spoofchk, err);
		if (r < 0)
			return r;
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
	} else if (!strcmp(key, "trust")) {
		r = parse_onoff(cfg, key, val, &cfg->trust, err);
		if (r < 0)
			return r;
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
	} else if (!strcmp(key, "query_rss")) {
		r = parse_onoff(cfg, key, val, &cfg->rss_query, err);
		if (r < 0)
			return r;
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_RSS_QUERY);
	} else if (!strcmp(key, "state")) {
		if (!strcmp(val, "auto"))
			cfg->link_state = SRIOV_VF_LINK_AUTO;
		else if (!strcmp(val, "enable"))
			cfg->link_state = SRIOV_VF_LINK_ENABLE;
		else if (!strcmp(val, "disable"))
			cfg->link_state = SRIOV_VF_LINK_DISABLE;
		else
			return sriov_error_set(
				err, -EINVAL,
				"vf %u: invalid state '%s' (expected auto, enable or disable)",
				cfg->vf, val);
		cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
	} else if (!strcmp(key, "min_tx_rate") || !strcmp(key, "max_tx_rate")) {
		bool min = key[1] == 'i';

		r = parse_num(cfg, key, val, UINT32_MAX, &v, err);
		if (r < 0)
			return r;
		if (min) {
			cfg->min_tx_rate = (uint32_t)v;
		} else {
			cfg->max_tx_rate = (uint32_t)v;
			cfg->legacy_rate = false; /* it overrides rate */
		}
		cfg->mask |= SRIOV_VF_BIT(min ? SRIOV_VF_MIN_TX_RATE :
						SRIOV_VF_MAX_TX_RATE);
	} else if (!strcmp(key, "rate")) {
		/* ip link's legacy rate: the maximum, unless max_tx_rate is
		 * given too (before or after), which overrides it */
		r = parse_num(cfg, key, val, UINT32_MAX, &v, err);
		if (r < 0)
			return r;
		if (!(cfg->mask & SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE)) ||
		    cfg->legacy_rate) {
			cfg->max_tx_rate = (uint32_t)v;
			cfg->legacy_rate = true;
			cfg->mask |= SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
		}
	} else if (!strcmp(key, "node_guid") || !strcmp(key, "port_guid")) {
		bool node = key[0] == 'n';

		uint64_t *g = node ? &cfg->node_guid : &cfg->port_guid;

		/* The checks of ib guid: not 0 (the SM assigns), not ~0
		 * (deletes), not a group GUID; ip link takes any. */
		r = sriov_guid_parse(val, g, err);
		if (r >= 0)
			r = sriov_guid_check(*g, err);
		if (r < 0) {
			sriov_error_prefix(err, "vf %u: %s", cfg->vf, key);
			return r;
		}
		cfg->mask |= SRIOV_VF_BIT(node ? SRIOV_VF_NODE_GUID :
						 SRIOV_VF_PORT_GUID);
	} else {
		return sriov_error_set(
			err, -EINVAL,
			"unknown vf setting '%s' (expected mac, vlan, qos, proto, spoofchk, trust, state, min_tx_rate, max_tx_rate, rate, query_rss, node_guid or port_guid)",
			key);
	}
	return 0;
}

int sriov_vf_config_check(const struct sriov_vf_config *cfg,
			  struct sriov_error *err)
{
	bool vlan = cfg->mask & SRIOV_VF_BIT(SRIOV_VF_VLAN);

	if (!vlan && cfg->qos)
		return sriov_error_set(
			err, -EINVAL,
			"vf %u: qos needs a vlan (give vlan N qos %u)", cfg->vf,
			cfg->qos);
	if (!vlan && cfg->vlan_proto)
		return sriov_error_set(
			err, -EINVAL,
			"vf %u: proto needs a vlan (give vlan N proto ...)",
			cfg->vf);
	if (vlan && cfg->vlan == 0 &&
	    (cfg->qos || cfg->vlan_proto == SRIOV_ETH_P_8021AD))
		return sriov_error_set(
			err, -EINVAL,
			"vf %u: vlan 0 removes the vlan; qos and proto need a vlan of 1 to 4095",
			cfg->vf);
	if ((cfg->mask & SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE)) &&
	    (cfg->mask & SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE)) &&
	    cfg->max_tx_rate && cfg->min_tx_rate > cfg->max_tx_rate)
		return sriov_error_set(
			err, -EINVAL,
			"vf %u: min_tx_rate %u is above max_tx_rate %u",
			cfg->vf, cfg->min_tx_rate, cfg->max_tx_rate);
	return 0;
}

static const struct sriov_vf_info *find_vf(const struct sriov_link_vfs *l,
					   uint32_t vf)
{
	for (size_t i = 0; i < l->n_vfs; i++)
		if (l->vfs[i].vf == vf)
			return &l->vfs[i];
	return NULL;
}

int sriov_vf_set(struct sriov_nl *nl, int pf_ifindex,
		 const struct sriov_vf_config *in,
		 const struct sriov_vf_info *cur, struct sriov_vf_result *res,
		 struct sriov_error *err)
{
	const uint32_t min_bit = SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE),
		       max_bit = SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
	struct sriov_vf_config cfg = *in;
	struct sriov_vf_result local;
	char buf[512];
	int first = 0, r;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	r = sriov_vf_config_check(&cfg, err);
	if (r < 0)
		return r;
	if (nl_is_replay(nl)) {
		char what[32];

		/* before anything: a refused change is not half done */
		snprintf(what, sizeof(what), "vf %u", cfg.vf);
		r = nl_refuse(nl, what, err);
		for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
			if (cfg.mask & SRIOV_VF_BIT(a))
				res->code[a] = r;
		res->failed = cfg.mask;
		return r;
	}

	/* IFLA_VF_RATE carries both bounds: keep the one not asked for. A
	 * lone rate goes as IFLA_VF_TX_RATE, as ip link sends it: the kernel
	 * keeps the minimum itself (6.1 do_setvfinfo). */
	if (!nl_vf_legacy_rate(&cfg) &&
	    !!(cfg.mask & min_bit) != !!(cfg.mask & max_bit)) {
		struct sriov_link_vfs l = { 0 };
		const struct sriov_vf_info *vi = cur;

		if (!vi) {
			r = sriov_vf_read(nl, pf_ifindex, &l, err);
			if (r < 0)
				return r;
			vi = find_vf(&l, cfg.vf);
		}
		if (!vi || !(vi->present & max_bit)) {
			sriov_link_vfs_release(&l);
			return sriov_error_set(
				err, -EOPNOTSUPP,
				"vf %u: the PF does not report its tx rates, give both min_tx_rate and max_tx_rate",
				cfg.vf);
		}
		if (!(cfg.mask & min_bit))
			cfg.min_tx_rate = vi->min_tx_rate;
		else
			cfg.max_tx_rate = vi->max_tx_rate;
		cfg.mask |= min_bit | max_bit;
		sriov_link_vfs_release(&l);
	}

	for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++) {
		if (!(cfg.mask & SRIOV_VF_BIT(a)))
			continue;
		if (a == SRIOV_VF_MAX_TX_RATE && (cfg.mask & min_bit))
			continue; /* sent with the min bound */
		r = nl_vf_encode(buf, sizeof(buf), pf_ifindex, 0, &cfg, a);
		if (r < 0)
			return sriov_error_set(err, r,
					       "vf %u: cannot encode %s",
					       cfg.vf, attr_names[a]);
		res->sent |= SRIOV_VF_BIT(a);
		r = nl_request_ack(nl, buf, (size_t)r, res->msg[a],
				   sizeof(res->msg[a]));
		res->code[a] = r;
		if (a == SRIOV_VF_MIN_TX_RATE) {
			/* one message answers for both bounds */
			res->sent |= SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
			res->code[SRIOV_VF_MAX_TX_RATE] = r;
		}
		if (r >= 0)
			continue;
		res->failed |= SRIOV_VF_BIT(a);
		if (first)
			continue;
		first = r;
		if (r == -EOPNOTSUPP)
			sriov_error_set(
				err, r,
				"vf %u: %s: the PF driver does not support this setting%s%s",
				cfg.vf, attr_names[a],
				res->msg[a][0] ? ": " : "", res->msg[a]);
		else if (r == -EPERM)
			sriov_error_set(
				err, r,
				"vf %u: %s: permission denied (needs CAP_NET_ADMIN)",
				cfg.vf, attr_names[a]);
		else
			sriov_error_set(err, r, "vf %u: %s: %s%s%s", cfg.vf,
					attr_names[a], strerror(-r),
					res->msg[a][0] ? ": " : "",
					res->msg[a]);
	}
	return first;
}
