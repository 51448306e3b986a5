/* SPDX-License-Identifier: MIT */
/* Port requests: validation, the stored form, libvirt XML. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sriov/port.h>
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static int get_string(const json_t *o, const char *key, const char **ret,
		      bool required, struct sriov_error *err)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL; /* on every path: the callers test it */
	if (!v) {
		if (required)
			return sriov_error_set(err, -EINVAL,
					       "port: '%s' is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return sriov_error_set(err, -EINVAL,
				       "port: '%s' must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

static int get_uint(const json_t *o, const char *key, json_int_t max, bool *has,
		    json_int_t *ret, struct sriov_error *err)
{
	json_t *v = json_object_get(o, key);

	*has = false;
	*ret = 0; /* absent: 0, never what was on the caller's stack */
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		_cleanup_free_ char *s = json_dumps(v, JSON_ENCODE_ANY);

		return sriov_error_set(
			err, -EINVAL,
			"port: invalid %s %s (expected an integer 0..%lld)",
			key, s ? s : "?", (long long)max);
	}
	*has = true;
	*ret = json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *o, const char *key, bool *ret,
		    struct sriov_error *err)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return sriov_error_set(err, -EINVAL,
				       "port: '%s' must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

static const char *const port_keys[] = {
	"id",	       "network",   "vnic_type",     "mac",
	"guid",	       "trusted",   "spoofchk",	     "min_tx_rate",
	"max_tx_rate", "numa",	    "numa_node",     "pf",
	"pci_slot",    "device_id", "guid_from_mac", "link_state",
};
static const char *const network_keys[] = {
	"physnet", "vlan", "qos", "vlan_proto", "pkey", "membership",
};

static int check_keys(const json_t *o, const char *what,
		      const char *const *keys, size_t n,
		      struct sriov_error *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (i == n)
			return sriov_error_set(err, -EINVAL,
					       "%s: unknown key '%s'", what, k);
	}
	return 0;
}

/*
 * What libvirt itself writes on the VF when the domain starts, for the two
 * <interface> forms (libvirt's virHostdevSetNetConfig() for type='hostdev',
 * virNetDevMacVLanCreateWithVPortProfile() for type='direct'
 * mode='passthrough'; both end in virNetDevSetNetConfig()): the MAC of
 * <mac> (one it generates when there is none), and the VLAN through
 * virNetDevSetVfVlan(), an IFLA_VF_VLAN {tag of <vlan>, or 0; qos 0}, which
 * the kernel applies as 802.1Q (do_setvfinfo). It touches nothing else of
 * the VF: no trust, spoof check, link state or rate (<bandwidth> is refused
 * on hostdev interfaces). So an <interface> keeps a port's settings exactly
 * when its VLAN is none or a tag with qos 0 and 802.1Q.
 */
static bool libvirt_keeps_vlan(const struct sriov_port_request *req)
{
	return !req->has_vlan ||
	       (req->qos == 0 && req->vlan_proto != SRIOV_ETH_P_8021AD);
}

/* "qos 3", "proto 802.1ad", "qos 3 and proto 802.1ad": what libvirt would undo */
static void vlan_undone(const struct sriov_port_request *req, char *buf,
			size_t size)
{
	bool ad = req->vlan_proto == SRIOV_ETH_P_8021AD;

	if (req->qos)
		snprintf(buf, size, "qos %u%s", req->qos,
			 ad ? " and proto 802.1ad" : "");
	else
		snprintf(buf, size, "proto 802.1ad");
}

static int parse_network(const json_t *net,
			 const struct sriov_daemon_config *cfg,
			 struct sriov_port_request *r, struct sriov_error *err)
{
	const char *physnet, *proto, *pkey, *memb;
	json_int_t v;
	bool has;
	int ret;

	if (!json_is_object(net))
		return sriov_error_set(
			err, -EINVAL,
			"port: 'network' must be an object {\"physnet\": NAME, \"vlan\": N} or {\"physnet\": NAME, \"pkey\": \"0x8001\"}");
	ret = check_keys(net, "port: network", network_keys,
			 ARRAY_SIZE(network_keys), err);
	if (ret < 0)
		return ret;
	ret = get_string(net, "physnet", &physnet, true, err);
	if (ret < 0)
		return ret;
	if (!sriov_port_id_valid(physnet) || strlen(physnet) >= 64)
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid physnet '%s' (letters, digits, . _ - : @; no '/' or '..')",
			physnet);
	if (cfg && !cfg->physnets)
		return sriov_error_set(
			err, -EINVAL,
			"port: unknown network '%s' (no physnet is configured)",
			physnet);
	if (cfg) {
		size_t i;

		for (i = 0; i < cfg->n_physnets; i++)
			if (!strcmp(cfg->physnets[i].name, physnet))
				break;
		if (i == cfg->n_physnets)
			return sriov_error_set(
				err, -EINVAL,
				"port: unknown network '%s' (not in the physnets of %s)",
				physnet, cfg->path);
	}
	snprintf(r->physnet, sizeof(r->physnet), "%s", physnet);

	ret = get_uint(net, "vlan", 4094, &has, &v, err);
	if (ret < 0)
		return ret;
	if (has && v == 0)
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid vlan %lld (expected 1..4094; omit it for a flat network)",
			(long long)v);
	r->has_vlan = has;
	r->vlan = (uint16_t)v;
	ret = get_uint(net, "qos", 7, &has, &v, err);
	if (ret < 0)
		return ret;
	if (has && !r->has_vlan)
		return sriov_error_set(err, -EINVAL, "port: qos needs a vlan");
	r->qos = has ? (uint8_t)v : 0;
	ret = get_string(net, "vlan_proto", &proto, false, err);
	if (ret < 0)
		return ret;
	r->vlan_proto = SRIOV_ETH_P_8021Q;
	if (proto) {
		if (!r->has_vlan)
			return sriov_error_set(err, -EINVAL,
					       "port: vlan_proto needs a vlan");
		if (!strcmp(proto, "802.1ad"))
			r->vlan_proto = SRIOV_ETH_P_8021AD;
		else if (strcmp(proto, "802.1Q"))
			return sriov_error_set(
				err, -EINVAL,
				"port: invalid vlan_proto '%s' (expected 802.1Q or 802.1ad)",
				proto);
	}

	ret = get_string(net, "pkey", &pkey, false, err);
	if (ret < 0)
		return ret;
	if (pkey) {
		uint64_t p;

		if (r->has_vlan)
			return sriov_error_set(
				err, -EINVAL,
				"port: give a vlan (Ethernet) or a pkey (InfiniBand), not both");
		if (parse_u64(pkey, 16, &p) < 0 || strncmp(pkey, "0x", 2) ||
		    (p & 0x7fff) == 0 || (p & 0x7fff) == 0x7fff || p > 0xffff)
			return sriov_error_set(
				err, -EINVAL,
				"port: invalid pkey '%s' (expected 0x0001..0xfffe, not the default 0x7fff/0xffff)",
				pkey);
		r->has_pkey = true;
		r->pkey = (uint16_t)p;
	}
	/* The partition's membership for the fabric (docs/cluster.md): the
	 * P-key's bit unless said, and never against it; "both" (OpenSM's
	 * allow_both_pkeys) takes either. */
	r->membership = !r->has_pkey || (r->pkey & 0x8000) ?
				SRIOV_MEMBER_FULL :
				SRIOV_MEMBER_LIMITED;
	ret = get_string(net, "membership", &memb, false, err);
	if (ret < 0)
		return ret;
	if (memb) {
		enum sriov_membership m;
		bool full = r->pkey & 0x8000;

		if (!r->has_pkey)
			return sriov_error_set(err, -EINVAL,
					       "port: membership needs a pkey");
		if (sriov_membership_from_name(memb, &m) < 0)
			return sriov_error_set(
				err, -EINVAL,
				"port: invalid membership '%s' (expected full, limited or both)",
				memb);
		if ((m == SRIOV_MEMBER_FULL && !full) ||
		    (m == SRIOV_MEMBER_LIMITED && full))
			return sriov_error_set(
				err, -EINVAL,
				"port: membership '%s' contradicts pkey '%s', whose membership bit (0x8000) says %s (give 0x%04x, or omit membership)",
				memb, pkey, full ? "full" : "limited",
				r->pkey ^ 0x8000);
		r->membership = m;
	}
	return 0;
}

uint64_t sriov_guid_from_mac(const uint8_t mac[6])
{
	return (uint64_t)mac[0] << 56 | (uint64_t)mac[1] << 48 |
	       (uint64_t)mac[2] << 40 | (uint64_t)mac[3] << 16 |
	       (uint64_t)mac[4] << 8 | mac[5];
}

/* A unicast, non-zero xx:xx:xx:xx:xx:xx, as the mac of a port. */
static int parse_port_mac(const char *key, const char *s, uint8_t mac[6],
			  struct sriov_error *err)
{
	struct sriov_vf_config c = { 0 };
	struct sriov_error e2 = { 0 };

	if (sriov_parse_mac(s, &c, &e2) < 0 || c.mac_len != 6)
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid %s '%s' (expected a unicast xx:xx:xx:xx:xx:xx)",
			key, s);
	if (!memcmp(c.mac, "\0\0\0\0\0\0", 6))
		return sriov_error_set(
			err, -EINVAL,
			"port: %s '%s' is all zeros (give a unicast address)",
			key, s);
	memcpy(mac, c.mac, 6);
	return 0;
}

/* The GUID of an InfiniBand port made of its (Neutron) MAC by eswitchd's
 * rule, so that ports moved from eswitchd keep their GUIDs. */
static int parse_guid_from_mac(const json_t *o, struct sriov_port_request *r,
			       struct sriov_error *err)
{
	const char *mac;
	struct sriov_error e2 = { 0 };
	int e;

	e = get_string(o, "guid_from_mac", &mac, false, err);
	if (e < 0 || !mac)
		return e;
	e = parse_port_mac("guid_from_mac", mac, r->guid_mac, err);
	if (e < 0)
		return e;
	r->has_guid_mac = true;
	r->has_guid = true;
	r->guid = sriov_guid_from_mac(r->guid_mac);
	if (sriov_guid_check(r->guid, &e2) < 0)
		return sriov_error_set(err, -EINVAL,
				       "port: guid_from_mac '%s': %s", mac,
				       e2.msg);
	return 0;
}

/*
 * A VF named as Nova's binding profile names it (pci_slot: the address
 * libvirt reports, "%04x:%02x:%02x.%1x"), lower-cased; exactly that form.
 */
static bool pci_address_parse(const char *s, char out[13])
{
	static const char shape[] = "hhhh:hh:hh.h";
	unsigned slot, fn;

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		char c = s[i];

		if (shape[i] != 'h') {
			if (c != shape[i])
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[12] = '\0';
	if (sscanf(out + 8, "%2x.%1x", &slot, &fn) != 2 || slot > 0x1f)
		return false;
	return fn <= 7;
}

/*
 * "PF:vfN": a VF without a PCI function (netdevsim's), by its PF as the
 * config names it and its index, the form of exclude_devices. @pf gets
 * the PF; the index is checked, not kept.
 */
static bool pf_vf_name_parse(const char *s, char *pf, size_t size)
{
	const char *colon = strrchr(s, ':');
	uint64_t idx;

	if (!colon || colon == s || (size_t)(colon - s) >= size ||
	    strncmp(colon + 1, "vf", 2) || !colon[3] ||
	    (colon[3] == '0' && colon[4]) ||
	    parse_u64(colon + 3, 10, &idx) < 0 || idx > 65535)
		return false;
	memcpy(pf, s, (size_t)(colon - s));
	pf[colon - s] = '\0';
	return name_is_safe(pf) && sriov_port_id_valid(pf);
}

static int parse_pci_slot(const json_t *o,
			  const struct sriov_daemon_config *cfg,
			  struct sriov_port_request *r, struct sriov_error *err)
{
	const char *slot, *net;
	char addr[13], pf[64];
	int e;

	e = get_string(o, "pci_slot", &slot, false, err);
	if (e < 0 || !slot)
		return e;
	if (r->vnic == SRIOV_VNIC_DIRECT_PHYSICAL)
		return sriov_error_set(
			err, -EINVAL,
			"port: pci_slot names a vf; vnic_type direct-physical takes a whole pf (name it with pf)");
	if (pci_address_parse(slot, addr)) {
		snprintf(r->pci_slot, sizeof(r->pci_slot), "%s", addr);
		return 0;
	}
	if (!pf_vf_name_parse(slot, pf, sizeof(pf)) ||
	    strlen(slot) >= sizeof(r->pci_slot))
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid pci_slot '%s' (expected a PCI address dddd:bb:ss.f in hex, as Nova's binding profile gives it, or PF:vfN for a vf with no PCI function)",
			slot);
	net = cfg ? sriov_daemon_config_physnet_of(cfg, pf) : r->physnet;
	if (!net || strcmp(net, r->physnet))
		return sriov_error_set(
			err, -EINVAL,
			"port: pci_slot '%s': pf '%s' is not a pf of network '%s'",
			slot, pf, r->physnet);
	if (r->pf[0] && strcmp(r->pf, pf))
		return sriov_error_set(
			err, -EINVAL,
			"port: pci_slot '%s' is a vf of pf '%s', not of pf '%s'",
			slot, pf, r->pf);
	snprintf(r->pci_slot, sizeof(r->pci_slot), "%s", slot);
	return 0;
}

/* "enable", "disable" or "auto", as ip link's vf state */
static int parse_link_state(const json_t *o, struct sriov_port_request *r,
			    struct sriov_error *err)
{
	static const char *const names[] = {
		[SRIOV_VF_LINK_AUTO] = "auto",
		[SRIOV_VF_LINK_ENABLE] = "enable",
		[SRIOV_VF_LINK_DISABLE] = "disable",
	};
	const char *s;
	int e = get_string(o, "link_state", &s, false, err);

	if (e < 0 || !s)
		return e;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			r->has_link_state = true;
			r->link_state = (enum sriov_vf_link_state)i;
			return 0;
		}
	return sriov_error_set(
		err, -EINVAL,
		"port: invalid link_state '%s' (expected enable, disable or auto)",
		s);
}

int sriov_port_request_parse(const json_t *o,
			     const struct sriov_daemon_config *cfg,
			     struct sriov_port_request *ret,
			     struct sriov_error *err)
{
	struct sriov_port_request r;
	const char *id, *vnic, *mac, *guid, *numa, *pf, *device;
	json_int_t v;
	bool has;
	int e;

	/* every byte set, padding too: two parses of one request compare
	 * equal with memcmp */
	memset(&r, 0, sizeof(r));
	r.spoofchk = true;
	r.numa_node = -1;
	if (!json_is_object(o))
		return sriov_error_set(err, -EINVAL,
				       "'port' must be an object");
	e = check_keys(o, "port", port_keys, ARRAY_SIZE(port_keys), err);
	if (e < 0)
		return e;
	/* before the id, which ebrctl makes of the same MAC: a malformed
	 * MAC is named as such */
	e = parse_guid_from_mac(o, &r, err);
	if (e < 0)
		return e;
	e = get_string(o, "id", &id, true, err);
	if (e < 0)
		return e;
	if (!sriov_port_id_valid(id))
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid id '%s' (1..127 of letters, digits, . _ - : @; no '/' or '..')",
			id);
	snprintf(r.id, sizeof(r.id), "%s", id);

	e = parse_network(json_object_get(o, "network"), cfg, &r, err);
	if (e < 0)
		return e;

	e = get_string(o, "vnic_type", &vnic, false, err);
	if (e < 0)
		return e;
	r.vnic = SRIOV_VNIC_DIRECT;
	if (vnic && sriov_vnic_type_parse(vnic, &r.vnic) < 0)
		return sriov_error_set(
			err, -EINVAL,
			"port: invalid vnic_type '%s' (expected direct, macvtap or direct-physical)",
			vnic);
	if (r.vnic == SRIOV_VNIC_DIRECT_PHYSICAL) {
		/* The VM drives the whole PF: nothing below it can enforce
		 * a VLAN, P-key, MAC or rate; the switch (or the SM) must. */
		static const char *const vf_only[] = {
			"mac",	       "guid",	      "trusted",    "spoofchk",
			"min_tx_rate", "max_tx_rate", "link_state",
		};

		if (r.has_vlan || r.has_pkey)
			return sriov_error_set(
				err, -EINVAL,
				"port: vnic_type direct-physical hands the whole PF to the VM, which no host setting can hold to a %s; segment it at the switch (or the SM) and omit it, or use a VF (direct)",
				r.has_vlan ? "vlan" : "pkey");
		for (size_t i = 0; i < ARRAY_SIZE(vf_only); i++)
			if (json_object_get(o, vf_only[i]))
				return sriov_error_set(
					err, -EINVAL,
					"port: %s is a VF setting; vnic_type direct-physical takes the PF as it is (its own MAC is answered)",
					vf_only[i]);
	}
	/* Stored ports (no @cfg) re-read as they were accepted. */
	if (cfg && r.vnic == SRIOV_VNIC_MACVTAP && !libvirt_keeps_vlan(&r)) {
		char why[64];

		vlan_undone(&r, why, sizeof(why));
		return sriov_error_set(
			err, -EINVAL,
			"port: vnic_type macvtap: libvirt sets the vf's vlan again with qos 0 and 802.1Q when the domain starts (macvtap passthrough), which would undo %s; use vnic_type direct, answered with a <hostdev> that libvirt leaves alone",
			why);
	}

	e = get_string(o, "pf", &pf, false, err);
	if (e < 0)
		return e;
	if (pf) {
		const char *net;

		if (!name_is_safe(pf) || !sriov_port_id_valid(pf) ||
		    strlen(pf) >= sizeof(r.pf))
			return sriov_error_set(
				err, -EINVAL,
				"port: invalid pf '%s' (a netdev name or PCI address; no '/' or '..')",
				pf);
		net = cfg ? sriov_daemon_config_physnet_of(cfg, pf) : r.physnet;
		if (!net || strcmp(net, r.physnet))
			return sriov_error_set(
				err, -EINVAL,
				"port: pf '%s' is not a pf of network '%s'", pf,
				r.physnet);
		snprintf(r.pf, sizeof(r.pf), "%s", pf);
	}

	e = parse_pci_slot(o, cfg, &r, err);
	if (e < 0)
		return e;
	e = get_string(o, "device_id", &device, false, err);
	if (e < 0)
		return e;
	if (device) {
		if (!sriov_port_id_valid(device) ||
		    strlen(device) >= sizeof(r.device_id))
			return sriov_error_set(
				err, -EINVAL,
				"port: invalid device_id '%s' (1..63 of letters, digits, . _ - : @, as an instance uuid)",
				device);
		snprintf(r.device_id, sizeof(r.device_id), "%s", device);
	}

	e = get_string(o, "mac", &mac, false, err);
	if (e < 0)
		return e;
	if (mac) {
		e = parse_port_mac("mac", mac, r.mac, err);
		if (e < 0)
			return e;
		r.has_mac = true;
	}
	e = get_string(o, "guid", &guid, false, err);
	if (e < 0)
		return e;
	if (guid) {
		struct sriov_error e2 = { 0 };
		uint64_t g;

		/* the checks of ib guid and vf set: no 0, ~0 or group GUID */
		if (sriov_guid_parse(guid, &g, &e2) < 0 ||
		    sriov_guid_check(g, &e2) < 0)
			return sriov_error_set(err, -EINVAL, "port: %s",
					       e2.msg);
		if (r.has_guid_mac && g != r.guid)
			return sriov_error_set(
				err, -EINVAL,
				"port: guid '%s' is not the guid of guid_from_mac (give one of them)",
				guid);
		r.has_guid = true;
		r.guid = g;
	}
	e = get_bool(o, "trusted", &r.trusted, err);
	if (e < 0)
		return e;
	e = get_bool(o, "spoofchk", &r.spoofchk, err);
	if (e < 0)
		return e;
	e = get_uint(o, "min_tx_rate", UINT32_MAX, &has, &v, err);
	if (e < 0)
		return e;
	r.min_tx_rate = has ? (uint32_t)v : 0;
	r.has_rates |= has;
	e = get_uint(o, "max_tx_rate", UINT32_MAX, &has, &v, err);
	if (e < 0)
		return e;
	r.max_tx_rate = has ? (uint32_t)v : 0;
	r.has_rates |= has;
	if (r.max_tx_rate && r.min_tx_rate > r.max_tx_rate)
		return sriov_error_set(
			err, -EINVAL,
			"port: min_tx_rate %u is above max_tx_rate %u",
			r.min_tx_rate, r.max_tx_rate);

	r.numa = cfg ? cfg->numa_policy : SRIOV_NUMA_PREFERRED;
	e = get_string(o, "numa", &numa, false, err);
	if (e < 0)
		return e;
	if (numa && sriov_numa_policy_parse(numa, SRIOV_NUMA_SRIOVD, &r.numa,
					    err) < 0) {
		sriov_error_prefix(err, "port");
		return -EINVAL;
	}
	e = get_uint(o, "numa_node", 1023, &has, &v, err);
	if (e < 0)
		return e;
	r.numa_node = has ? (int)v : -1;
	if (r.numa == SRIOV_NUMA_REQUIRED && r.numa_node < 0)
		return sriov_error_set(
			err, -EINVAL,
			"port: numa policy required needs a numa_node");
	e = parse_link_state(o, &r, err);
	if (e < 0)
		return e;
	memcpy(ret, &r, sizeof(r));
	return 0;
}

char *sriov_port_request_dump(const struct sriov_port_request *r)
{
	json_t *o = json_object(), *net = json_object();
	char buf[64];
	char *s;

	if (!o || !net) {
		json_decref(o);
		json_decref(net);
		return NULL;
	}
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(net, "physnet", json_string(r->physnet));
	if (r->has_vlan) {
		json_object_set_new(net, "vlan", json_integer(r->vlan));
		json_object_set_new(net, "qos", json_integer(r->qos));
		json_object_set_new(
			net, "vlan_proto",
			json_string(r->vlan_proto == SRIOV_ETH_P_8021AD ?
					    "802.1ad" :
					    "802.1Q"));
	}
	if (r->has_pkey) {
		snprintf(buf, sizeof(buf), "0x%04x", r->pkey);
		json_object_set_new(net, "pkey", json_string(buf));
		json_object_set_new(
			net, "membership",
			json_string(sriov_membership_name(r->membership)));
	}
	json_object_set_new(o, "network", net);
	json_object_set_new(o, "vnic_type",
			    json_string(sriov_vnic_type_name(r->vnic)));
	if (r->pf[0])
		json_object_set_new(o, "pf", json_string(r->pf));
	if (r->pci_slot[0])
		json_object_set_new(o, "pci_slot", json_string(r->pci_slot));
	if (r->device_id[0])
		json_object_set_new(o, "device_id", json_string(r->device_id));
	if (r->has_mac) {
		sriov_format_mac(r->mac, 6, buf, sizeof(buf));
		json_object_set_new(o, "mac", json_string(buf));
	}
	if (r->has_guid_mac) {
		sriov_format_mac(r->guid_mac, 6, buf, sizeof(buf));
		json_object_set_new(o, "guid_from_mac", json_string(buf));
	}
	if (r->has_guid) /* read back in any form sriov_guid_parse() takes */
		json_object_set_new(
			o, "guid",
			json_string(sriov_guid_format(r->guid, buf)));
	if (r->vnic != SRIOV_VNIC_DIRECT_PHYSICAL) {
		json_object_set_new(o, "trusted", json_boolean(r->trusted));
		json_object_set_new(o, "spoofchk", json_boolean(r->spoofchk));
	}
	if (r->has_rates) {
		json_object_set_new(o, "min_tx_rate",
				    json_integer(r->min_tx_rate));
		json_object_set_new(o, "max_tx_rate",
				    json_integer(r->max_tx_rate));
	}
	json_object_set_new(o, "numa",
			    json_string(sriov_numa_policy_name(r->numa)));
	if (r->numa_node >= 0)
		json_object_set_new(o, "numa_node", json_integer(r->numa_node));
	if (r->has_link_state)
		json_object_set_new(
			o, "link_state",
			json_string(sriov_vf_link_state_name(r->link_state)));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

uint64_t sriov_port_guid_alloc(const uint8_t prefix[4], uint32_t counter)
{
	return (uint64_t)prefix[0] << 56 | (uint64_t)prefix[1] << 48 |
	       (uint64_t)prefix[2] << 40 | (uint64_t)prefix[3] << 32 | counter;
}

/* "0000:41:00.2" -> domain, bus, slot, function; strict. */
static int split_pci(const char *a, unsigned *dom, unsigned *bus,
		     unsigned *slot, unsigned *fn)
{
	char tail;

	if (strlen(a) != 12 ||
	    sscanf(a, "%4x:%2x:%2x.%1x%c", dom, bus, slot, fn, &tail) != 4)
		return -EINVAL;
	if (*slot > 31 || *fn > 7)
		return -EINVAL;
	return 0;
}

char *sriov_port_libvirt_xml(const struct sriov_port_request *req,
			     const char *address, const char *netdev,
			     bool infiniband, struct sriov_error *err)
{
	unsigned dom, bus, slot, fn;
	char src[160], mac[32] = "", vlan[96] = "", why[64], *xml = NULL;
	/* a whole PF, and InfiniBand (no <interface> for it): <hostdev>; and
	 * an Ethernet VF whose VLAN libvirt would rewrite, so that libvirt
	 * leaves the VF's settings to sriovd */
	bool keeps = libvirt_keeps_vlan(req);
	bool hostdev = infiniband || req->vnic == SRIOV_VNIC_DIRECT_PHYSICAL ||
		       !keeps;
	int n;

	if (req->has_mac) {
		char m[24];

		sriov_format_mac(req->mac, 6, m, sizeof(m));
		snprintf(mac, sizeof(mac), "%s", m);
	}
	if (req->has_vlan && keeps)
		snprintf(vlan, sizeof(vlan),
			 "  <vlan>\n    <tag id='%u'/>\n  </vlan>\n",
			 req->vlan);
	if (req->vnic == SRIOV_VNIC_MACVTAP) {
		if (!keeps) {
			vlan_undone(req, why, sizeof(why));
			return sriov_error_set(
				       err, -EOPNOTSUPP,
				       "macvtap passthrough: libvirt sets the vf's vlan with qos 0 and 802.1Q when the domain starts, which would undo %s; no libvirt xml",
				       why),
			       NULL;
		}
		if (!netdev || !netdev[0] || !name_is_safe(netdev))
			return sriov_error_set(
				       err, -ENOENT,
				       "the vf has no netdev for macvtap"),
			       NULL;
		n = asprintf(&xml,
			     "<interface type='direct'>\n"
			     "%s%s%s"
			     "  <source dev='%s' mode='passthrough'/>\n"
			     "%s"
			     "</interface>\n",
			     mac[0] ? "  <mac address='" : "", mac,
			     mac[0] ? "'/>\n" : "", netdev, vlan);
		return n < 0 ? NULL : xml;
	}
	if (!address || !address[0] ||
	    split_pci(address, &dom, &bus, &slot, &fn) < 0) {
		sriov_error_set(
			err, -ENOENT,
			"the vf has no pci function to hand to a vm (non-PCI PF); no libvirt xml");
		return NULL;
	}
	/* <interface type='hostdev'> takes type='pci' on the address,
	 * <hostdev> refuses it (libvirt's domain schema) */
	snprintf(
		src, sizeof(src),
		"    <address%s domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n",
		hostdev ? "" : " type='pci'", dom, bus, slot, fn);
	if (hostdev) {
		char note[160] = "";

		if (!keeps) {
			vlan_undone(req, why, sizeof(why));
			snprintf(
				note, sizeof(note),
				"  <!-- sriovd keeps the vf's mac and vlan (%s): libvirt would reset them for an interface -->\n",
				why);
		}
		n = asprintf(
			&xml,
			"<hostdev mode='subsystem' type='pci' managed='yes'>\n"
			"%s  <source>\n%s  </source>\n"
			"</hostdev>\n",
			note, src);
		return n < 0 ? NULL : xml;
	}
	n = asprintf(&xml,
		     "<interface type='hostdev' managed='yes'>\n"
		     "%s%s%s"
		     "  <source>\n%s  </source>\n"
		     "%s"
		     "</interface>\n",
		     mac[0] ? "  <mac address='" : "", mac,
		     mac[0] ? "'/>\n" : "", src, vlan);
	return n < 0 ? NULL : xml;
}
