/* SPDX-License-Identifier: MIT */
/*
 * What Neutron says of a port, as a request of sriovd's own: the device
 * details of get_devices_details_list (neutron/plugins/ml2/rpc.py
 * _get_device_details), the QoS policy the resources RPC pulls (a QosPolicy
 * versioned object), and the rules of the stock agent for turning them into
 * VF settings (neutron/plugins/ml2/drivers/mech_sriov/agent/). No I/O here:
 * unit.neutron drives these with the answers a real neutron-server gave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "neutron.h"
#include "util/macro.h"
#include "util/banned.h"

int neutron_pkey_of_segment(long long segid, uint16_t *ret,
			    struct sriov_error *err)
{
	if (segid < 1 || segid > NEUTRON_PKEY_MAX)
		return sriov_error_set(
			err, -EINVAL,
			"segmentation id %lld is no P-key (an InfiniBand network's segmentation id is its P-key, 1..%u; 0x7fff is the default partition's)",
			segid, NEUTRON_PKEY_MAX);
	*ret = (uint16_t)(0x8000 | segid);
	return 0;
}

unsigned neutron_kbps_to_mbps(long long kbps)
{
	if (kbps <= 0)
		return 0;
	if (kbps < 1000)
		return 1;
	if (kbps / 1000 + 1 > UINT32_MAX)
		return UINT32_MAX;
	/* ROUND_HALF_UP of kbps / 1000 */
	return (unsigned)((kbps + 500) / 1000);
}

bool neutron_is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		char c = s[i];

		if (shape[i] == '-' ?
			    c != '-' :
			    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* A versioned object's payload ("versioned_object.data") when its name is
 * @name. */
static const json_t *vo_data(const json_t *o, const char *name)
{
	const char *n =
		json_string_value(json_object_get(o, "versioned_object.name"));

	if (!n || strcmp(n, name))
		return NULL;
	return json_object_get(o, "versioned_object.data");
}

int neutron_qos_rates(const json_t *policy, unsigned *min_mbps,
		      unsigned *max_mbps, char *ignored, size_t size,
		      struct sriov_error *err)
{
	const json_t *data = vo_data(policy, "QosPolicy"), *rules, *r;
	size_t i, off = 0;

	*min_mbps = *max_mbps = 0;
	if (ignored && size)
		ignored[0] = '\0';
	if (!json_is_object(data))
		return sriov_error_set(
			err, -EBADMSG,
			"qos policy: not a QosPolicy versioned object");
	rules = json_object_get(data, "rules");
	if (!json_is_array(rules))
		return sriov_error_set(err, -EBADMSG,
				       "qos policy: 'rules' is not a list");
	json_array_foreach(rules, i, r) {
		const char *type = json_string_value(
			json_object_get(r, "versioned_object.name"));
		const json_t *d = json_object_get(r, "versioned_object.data");
		const char *dir =
			json_string_value(json_object_get(d, "direction"));
		const char *key = NULL;
		json_t *kbps;

		if (!type || !json_is_object(d))
			return sriov_error_set(
				err, -EBADMSG,
				"qos policy: rule %zu is not a versioned object",
				i);
		if (!strcmp(type, "QosBandwidthLimitRule"))
			key = "max_kbps";
		else if (!strcmp(type, "QosMinimumBandwidthRule"))
			key = "min_kbps";
		/* a VF limits what it sends: egress only, as the stock
		 * agent's qos driver (ingress minimum is Placement's) */
		if (!key || (dir && strcmp(dir, "egress"))) {
			if (ignored && off < size)
				off += (size_t)snprintf(ignored + off,
							size - off, "%s%s%s%s",
							off ? ", " : "", type,
							dir ? " " : "",
							dir ? dir : "");
			continue;
		}
		kbps = json_object_get(d, key);
		if (!json_is_integer(kbps) || json_integer_value(kbps) < 0)
			return sriov_error_set(
				err, -EBADMSG,
				"qos policy: %s without a whole '%s'", type,
				key);
		if (key[1] == 'a')
			*max_mbps =
				neutron_kbps_to_mbps(json_integer_value(kbps));
		else
			*min_mbps =
				neutron_kbps_to_mbps(json_integer_value(kbps));
	}
	return 0;
}

/* oslo's bool_from_string for a binding profile's "trusted" (Nova writes a
 * JSON boolean; hand-made profiles write strings). */
static bool truthy(const json_t *v)
{
	static const char *const yes[] = { "1", "t", "true", "on", "y", "yes" };
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) == 1;
	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(s, yes[i]))
			return true;
	return false;
}

static int need(const json_t *o, const char *key, json_type type,
		const json_t **ret, struct sriov_error *err)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "an object",
		[JSON_ARRAY] = "a list",
		[JSON_STRING] = "a string",
		[JSON_INTEGER] = "a whole number",
		[JSON_REAL] = "a number",
		[JSON_TRUE] = "true or false",
		[JSON_FALSE] = "true or false",
		[JSON_NULL] = "null",
	};
	const json_t *v = json_object_get(o, key);

	if (!v)
		return sriov_error_set(err, -EINVAL, "device details lack '%s'",
				       key);
	if (json_typeof(v) != type &&
	    !(type == JSON_TRUE && json_is_boolean(v)))
		return sriov_error_set(err, -EINVAL,
				       "device details: '%s' is not %s", key,
				       names[type]);
	*ret = v;
	return 0;
}

/* The details' fields that are ours to read, each checked for its type. */
struct details {
	const json_t *mac, *admin, *type, *segid, *physnet, *profile;
	const char *slot;
	bool psec, propagate;
};

static int read_details(const json_t *dt, struct details *d,
			struct sriov_error *err)
{
	const json_t *v, *slot;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = need(dt, "mac_address", JSON_STRING, &d->mac, err)) < 0 ||
	    (r = need(dt, "admin_state_up", JSON_TRUE, &d->admin, err)) < 0 ||
	    (r = need(dt, "network_type", JSON_STRING, &d->type, err)) < 0 ||
	    (r = need(dt, "physical_network", JSON_STRING, &d->physnet, err)) <
		    0 ||
	    (r = need(dt, "profile", JSON_OBJECT, &d->profile, err)) < 0)
		return r;
	d->segid = json_object_get(dt, "segmentation_id");
	if (d->segid && !json_is_integer(d->segid) && !json_is_null(d->segid))
		return sriov_error_set(
			err, -EINVAL,
			"device details: 'segmentation_id' is not a whole number");
	slot = json_object_get(d->profile, "pci_slot");
	if (!json_is_string(slot))
		return sriov_error_set(
			err, -EINVAL,
			"its binding profile names no VF (pci_slot, as Nova writes it)");
	d->slot = json_string_value(slot);
	/* absent: as the server's own default (port_security: True) */
	v = json_object_get(dt, "port_security_enabled");
	d->psec = !v || json_is_null(v) || json_is_true(v);
	if (v && !json_is_boolean(v) && !json_is_null(v))
		return sriov_error_set(
			err, -EINVAL,
			"device details: 'port_security_enabled' is not true or false");
	v = json_object_get(dt, "propagate_uplink_status");
	d->propagate = json_is_true(v);
	return 0;
}

/* The segment as sriovd's network: a VLAN on Ethernet, a P-key made of the
 * segmentation id on InfiniBand; flat is no VLAN (and no P-key: refused on
 * InfiniBand, where it would mean the default partition). */
static int segment(const struct details *d, bool ib, json_t *net,
		   struct sriov_error *err)
{
	const char *type = json_string_value(d->type);
	long long seg =
		json_is_integer(d->segid) ? json_integer_value(d->segid) : -1;
	char buf[16];
	uint16_t pkey = 0;
	int r;

	if (!strcmp(type, "flat")) {
		if (ib)
			return sriov_error_set(
				err, -EINVAL,
				"its network on InfiniBand physnet '%s' is flat: an InfiniBand port takes its P-key from a vlan segment",
				json_string_value(d->physnet));
		return 0;
	}
	if (strcmp(type, "vlan"))
		return sriov_error_set(
			err, -EINVAL,
			"network type '%s' has no VF setting (flat or vlan)",
			type);
	if (seg < 0)
		return sriov_error_set(
			err, -EINVAL,
			"device details: a vlan segment without a segmentation_id");
	if (!ib) {
		if (seg < 1 || seg > 4094)
			return sriov_error_set(
				err, -EINVAL,
				"segmentation id %lld is no VLAN (1..4094)",
				seg);
		return json_object_set_new(net, "vlan", json_integer(seg)) ?
			       -ENOMEM :
			       0;
	}
	r = neutron_pkey_of_segment(seg, &pkey, err);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "0x%04x", pkey);
	return json_object_set_new(net, "pkey", json_string(buf)) ? -ENOMEM : 0;
}

/* The request's "pci_slot" and identity: the VF the binding profile
 * names, and the port's MAC (Ethernet) or the GUID made of it (eswitchd's
 * rule, as ebrctl gives it: sriov_guid_from_mac()). */
static int identity(const struct details *d, bool ib, json_t *o,
		    struct sriov_error *err)
{
	struct sriov_vf_config c = { 0 };
	const char *mac = json_string_value(d->mac);

	if (sriov_parse_mac(mac, &c, NULL) < 0 || c.mac_len != 6)
		return sriov_error_set(
			err, -EINVAL,
			"invalid mac_address '%s' (expected xx:xx:xx:xx:xx:xx)",
			mac);
	if (json_object_set_new(o, "pci_slot", json_string(d->slot)))
		return -ENOMEM;
	return json_object_set_new(o, ib ? "guid_from_mac" : "mac",
				   json_string(mac)) ?
		       -ENOMEM :
		       0;
}

int neutron_port_request(const struct sriov_daemon_config *cfg,
			 const json_t *details,
			 const struct neutron_port_info *info,
			 struct sriov_port_request *ret, json_t **ret_json,
			 struct sriov_error *err)
{
	json_t *o = NULL, *net = NULL;
	struct details d;
	unsigned min = 0, max = 0;
	const char *link;
	int r;

	if (!json_is_object(details))
		return sriov_error_set(err, -EINVAL,
				       "device details are not an object");
	r = read_details(details, &d, err);
	if (r < 0)
		return r;
	if (strcmp(info->vnic_type, "direct") &&
	    strcmp(info->vnic_type, "macvtap"))
		return sriov_error_set(
			err, -EINVAL,
			"vnic_type '%s' is not a VF's (direct or macvtap)",
			info->vnic_type);
	if (info->infiniband && strcmp(info->vnic_type, "direct"))
		return sriov_error_set(
			err, -EINVAL,
			"an InfiniBand VF is handed over whole (vnic_type direct), not as %s",
			info->vnic_type);
	if (info->policy) {
		r = neutron_qos_rates(info->policy, &min, &max, NULL, 0, err);
		if (r < 0)
			return -EINVAL;
		if (max && min > max)
			return sriov_error_set(
				err, -EINVAL,
				"its qos policy's minimum (%u Mbps) is above its limit (%u Mbps)",
				min, max);
	}
	o = json_object();
	net = json_object();
	if (!o || !net) {
		json_decref(o);
		json_decref(net);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	r = json_object_set_new(net, "physnet",
				json_incref((json_t *)d.physnet));
	if (r >= 0)
		r = segment(&d, info->infiniband, net, err);
	if (json_object_set_new(o, "network", net))
		r = -ENOMEM;
	if (r >= 0)
		r = identity(&d, info->infiniband, o, err);
	if (r >= 0) {
		link = d.propagate	     ? "auto" :
		       json_is_true(d.admin) ? "enable" :
					       "disable";
		if (json_object_set_new(o, "id", json_string(info->id)) ||
		    json_object_set_new(o, "vnic_type",
					json_string(info->vnic_type)) ||
		    json_object_set_new(o, "trusted",
					json_boolean(truthy(json_object_get(
						d.profile, "trusted")))) ||
		    json_object_set_new(o, "spoofchk", json_boolean(d.psec)) ||
		    json_object_set_new(o, "link_state", json_string(link)))
			r = -ENOMEM;
	}
	/* no rule: both 0, so a policy taken off the port takes its rates
	 * off the VF too */
	if (r >= 0 && info->policy &&
	    (json_object_set_new(o, "min_tx_rate", json_integer(min)) ||
	     json_object_set_new(o, "max_tx_rate", json_integer(max))))
		r = -ENOMEM;
	if (r == -ENOMEM)
		sriov_error_set(err, r, "out of memory");
	if (r >= 0)
		r = sriov_port_request_parse(o, cfg, ret, err);
	if (r >= 0 && ret_json)
		*ret_json = json_incref(o);
	json_decref(o);
	return r;
}
