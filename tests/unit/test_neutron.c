/* SPDX-License-Identifier: MIT */
/*
 * sriovd as Neutron's agent: the neutron: section of sriovd.yaml (the
 * config layer) and its transport_url as the rpc layer reads it (the
 * daemon's neutron_check_config()); the requests sriovd makes of what a
 * real neutron-server answered (tests/openstack/golden, recorded by
 * tests/openstack/capture_golden.py from Debian's neutron-server).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include <sriov/daemon_config.h>
#include "assert_msg.h"
#include "neutron.h"
#include "util/macro.h"

#define BASE "physnets:\n  p: [eth0]\n"

static int load(const char *text, struct sriov_daemon_config *c,
		struct sriov_error *err)
{
	int r = sriov_daemon_config_load("t.yaml", text, c, err);

	if (r >= 0) {
		r = neutron_check_config(c, err);
		if (r < 0)
			sriov_daemon_config_release(c);
	}
	return r;
}

static void test_config_ok(void **state)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	(void)state;
	assert_int_equal(load(BASE, &c, &err), 0);
	assert_false(c.neutron.enabled);
	assert_null(c.neutron.transport_url);
	sriov_daemon_config_release(&c);

	assert_int_equal(
		load(BASE
		     "neutron:\n"
		     "  transport_url: 'rabbit://u:p@a:5672,u:p@b:5673/v?ssl=true'\n"
		     "  host: compute-1.example\n"
		     "  report_interval: 10\n"
		     "  rpc_timeout: 5\n"
		     "  resync_interval: 0\n"
		     "  control_exchange: neutron2\n",
		     &c, &err),
		0);
	assert_true(c.neutron.enabled);
	assert_string_equal(c.neutron.transport_url,
			    "rabbit://u:p@a:5672,u:p@b:5673/v?ssl=true");
	assert_string_equal(c.neutron.host, "compute-1.example");
	assert_int_equal(c.neutron.report_interval, 10);
	assert_int_equal(c.neutron.rpc_timeout, 5);
	assert_int_equal(c.neutron.resync_interval, 0);
	assert_string_equal(c.neutron.control_exchange, "neutron2");
	/* where the URL's text starts: past the quote */
	assert_int_equal(c.neutron.url_line, 4);
	assert_int_equal(c.neutron.url_column, 19);
	sriov_daemon_config_release(&c);

	/* the defaults: oslo's report_interval, Neutron's exchange, the
	 * machine's host name (NULL here, the daemon asks) */
	assert_int_equal(load(BASE "neutron: {transport_url: 'rabbit://'}\n",
			      &c, &err),
			 0);
	assert_int_equal(c.neutron.report_interval, 30);
	assert_int_equal(c.neutron.rpc_timeout, 60);
	assert_int_equal(c.neutron.resync_interval, 300);
	assert_string_equal(c.neutron.control_exchange, "neutron");
	assert_null(c.neutron.host);
	sriov_daemon_config_release(&c);
}

static void config_err(const char *text, const char *want)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	assert_int_equal(load(text, &c, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_config_errors(void **state)
{
	(void)state;
	config_err(
		BASE "neutron: rabbit://\n",
		"t.yaml:3:10: neutron: expected a mapping (transport_url, host, report_interval");
	config_err(BASE "neutron: {host: h}\n",
		   "t.yaml:3:10: neutron: transport_url is required");
	config_err(
		BASE "neutron:\n  transport_url: ''\n",
		"t.yaml:4:18: neutron: transport_url: expected one string rabbit://");
	config_err(BASE "neutron:\n  transport_url: [a, b]\n",
		   "t.yaml:4:18: neutron: transport_url: expected one string");
	config_err(
		BASE "neutron:\n  transport_url: rabbit://\n  colour: red\n",
		"t.yaml:5:3: neutron: unknown key 'colour' (expected transport_url, host,");
	config_err(BASE "neutron:\n  transport_url: rabbit://\n  host: 'a b'\n",
		   "t.yaml:5:9: neutron: host: invalid 'a b' (1..255 letters");
	config_err(BASE "neutron:\n  transport_url: rabbit://\n  host: ''\n",
		   "t.yaml:5:9: neutron: host: invalid ''");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  report_interval: 0\n",
		"t.yaml:5:20: neutron: report_interval: invalid '0' (expected whole seconds, 1..3600)");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  report_interval: 1.5\n",
		"neutron: report_interval: invalid '1.5'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  rpc_timeout: 3601\n",
		"t.yaml:5:16: neutron: rpc_timeout: invalid '3601'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  resync_interval: -1\n",
		"neutron: resync_interval: invalid '-1' (expected whole seconds, 0..86400)");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  control_exchange: 'a/b'\n",
		"t.yaml:5:21: neutron: control_exchange: invalid 'a/b'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  host: a\n  host: b\n",
		"t.yaml:6:3: 'host' is given twice (first at line 5 column 3)");
	/* the URL as the rpc layer reads it: where it starts in the file,
	 * then the column in the URL */
	config_err(BASE "neutron:\n  transport_url: amqp://h/\n",
		   "t.yaml:4:18: neutron: transport_url column 1:");
	config_err(
		BASE "neutron:\n  transport_url: \"rabbit://h:99999/\"\n",
		"t.yaml:4:19: neutron: transport_url column 12: port '99999' is not a number from 1 to 65535");
	config_err(BASE "neutron:\n  transport_url: rabbit://h/?colour=red\n",
		   "t.yaml:4:18: neutron: transport_url column");
}

/* ---- device details to requests ---- */

static struct sriov_daemon_config cfg;

static int cfg_setup(void **state)
{
	struct sriov_error err = { 0 };

	(void)state;
	if (sriov_daemon_config_load(
		    "c.yaml", "physnets:\n  physnet1: [eth0]\n  ibnet: [ib0]\n",
		    &cfg, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static int cfg_teardown(void **state)
{
	(void)state;
	sriov_daemon_config_release(&cfg);
	return 0;
}

static json_t *golden(const char *name)
{
	char path[512];
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", SRIOV_NEUTRON_GOLDEN, name);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static int request(const json_t *dt, const char *vnic, bool ib,
		   const json_t *policy, struct sriov_port_request *r,
		   struct sriov_error *err)
{
	const char *dev = json_string_value(json_object_get(dt, "device"));
	struct neutron_port_info info = {
		.id = dev ? dev : "x",
		.vnic_type = vnic,
		.infiniband = ib,
		.policy = policy,
	};

	memset(r, 0, sizeof(*r));
	return neutron_port_request(&cfg, dt, &info, r, NULL, err);
}

/* What the stock agent sets for each port, from the same details:
 * link from admin_state_up, spoof check from port security, trust from
 * the profile, the VLAN of the segment, the rates of the policy. */
static void test_request_vlan(void **state)
{
	json_t *dt = golden("details-vlan.json"), *pol = golden("policy.json");
	struct sriov_port_request r;
	struct sriov_error err = { 0 };
	unsigned min, max;
	char ignored[128];

	(void)state;
	assert_int_equal(neutron_qos_rates(pol, &min, &max, ignored,
					   sizeof(ignored), &err),
			 0);
	/* 20500 and 3500 kbps, rounded half up as the agent's round_val */
	assert_int_equal(max, 21);
	assert_int_equal(min, 4);
	assert_msg_has(ignored, "QosMinimumBandwidthRule ingress");
	if (request(dt, "direct", false, pol, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(r.id,
			    json_string_value(json_object_get(dt, "port_id")));
	assert_string_equal(r.physnet, "physnet1");
	assert_string_equal(r.pci_slot, "0000:41:00.1");
	assert_int_equal(r.vnic, SRIOV_VNIC_DIRECT);
	assert_true(r.has_vlan);
	assert_int_equal(r.vlan, 160);
	assert_true(r.has_mac);
	{
		char mac[20];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 r.mac[0], r.mac[1], r.mac[2], r.mac[3], r.mac[4],
			 r.mac[5]);
		assert_string_equal(mac, json_string_value(json_object_get(
						 dt, "mac_address")));
	}
	assert_false(r.spoofchk); /* port_security_enabled false */
	assert_true(r.trusted); /* the profile's trusted */
	assert_true(r.has_link_state);
	assert_int_equal(r.link_state, SRIOV_VF_LINK_ENABLE);
	assert_true(r.has_rates);
	assert_int_equal(r.max_tx_rate, 21);
	assert_int_equal(r.min_tx_rate, 4);
	assert_false(r.has_pkey);
	json_decref(dt);
	json_decref(pol);
}

static void test_request_flat_macvtap_ib(void **state)
{
	json_t *dt = golden("details-flat.json");
	struct sriov_port_request r;
	struct sriov_error err = { 0 };

	(void)state;
	/* admin_state_up false: the VF's link is down */
	if (request(dt, "direct", false, NULL, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_false(r.has_vlan);
	assert_int_equal(r.link_state, SRIOV_VF_LINK_DISABLE);
	assert_true(r.spoofchk);
	assert_false(r.trusted);
	assert_false(r.has_rates);
	/* propagate_uplink_status: the link follows the PF's */
	json_object_set_new(dt, "propagate_uplink_status", json_true());
	json_object_set_new(dt, "admin_state_up", json_true());
	assert_int_equal(request(dt, "direct", false, NULL, &r, &err), 0);
	assert_int_equal(r.link_state, SRIOV_VF_LINK_AUTO);
	/* flat on InfiniBand would be the default partition */
	assert_int_equal(request(dt, "direct", true, NULL, &r, &err), -EINVAL);
	assert_msg_has(err.msg, "is flat");
	json_decref(dt);

	/* macvtap: the VLAN of the network is the VF's */
	dt = golden("details-macvtap.json");
	if (request(dt, "macvtap", false, NULL, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.vnic, SRIOV_VNIC_MACVTAP);
	assert_true(r.has_vlan);
	assert_int_equal(r.vlan, 160);
	assert_string_equal(r.pci_slot, "0000:41:00.4");
	json_decref(dt);

	/* InfiniBand: the P-key of the segment, the GUID of the MAC */
	dt = golden("details-ib.json");
	if (request(dt, "direct", true, NULL, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(r.has_pkey);
	assert_int_equal(r.pkey, 0x8064);
	assert_false(r.has_mac);
	assert_false(r.has_vlan);
	assert_true(r.has_guid);
	assert_true(r.has_guid_mac);
	assert_int_equal(r.guid, sriov_guid_from_mac(r.guid_mac));
	assert_int_equal(request(dt, "macvtap", true, NULL, &r, &err), -EINVAL);
	assert_msg_has(err.msg, "handed over whole");
	json_decref(dt);
}

/* What is wrong in device details is named, and nothing is requested. */
static void bad(json_t *dt, const char *key, json_t *v, const char *want)
{
	json_t *c = json_deep_copy(dt);
	struct sriov_port_request r;
	struct sriov_error err = { 0 };

	if (v)
		json_object_set_new(c, key, v);
	else
		json_object_del(c, key);
	assert_int_equal(request(c, "direct", false, NULL, &r, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("%s: got '%s', want '%s'", key, err.msg, want);
	json_decref(c);
}

static void test_request_bad(void **state)
{
	json_t *dt = golden("details-vlan.json"), *pol = golden("policy.json");
	json_t *prof = json_object_get(dt, "profile");
	struct sriov_port_request r;
	struct sriov_error err = { 0 };

	(void)state;
	/* not bound here: Neutron answers the device alone */
	json_t *unknown = golden("details-unknown.json");
	assert_int_equal(request(unknown, "direct", false, NULL, &r, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "device details lack 'mac_address'");
	json_decref(unknown);
	bad(dt, "mac_address", NULL, "device details lack 'mac_address'");
	bad(dt, "mac_address", json_integer(5),
	    "'mac_address' is not a string");
	bad(dt, "mac_address", json_string("fa:16:3e:zz:9e:27"),
	    "invalid mac_address 'fa:16:3e:zz:9e:27'");
	bad(dt, "mac_address", json_string("01:00:5e:00:00:01"),
	    "01:00:5e:00:00:01");
	bad(dt, "admin_state_up", json_string("yes"),
	    "'admin_state_up' is not true or false");
	bad(dt, "network_type", json_string("vxlan"),
	    "network type 'vxlan' has no VF setting");
	bad(dt, "physical_network", json_string("physnet9"), "physnet9");
	bad(dt, "segmentation_id", json_integer(4095),
	    "segmentation id 4095 is no VLAN");
	bad(dt, "segmentation_id", json_string("160"),
	    "'segmentation_id' is not a whole number");
	bad(dt, "profile", json_string("{}"), "'profile' is not an object");
	bad(dt, "port_security_enabled", json_string("no"),
	    "'port_security_enabled' is not true or false");
	json_object_set_new(prof, "pci_slot", json_string("0000:41:00"));
	bad(dt, "x", json_null(), "invalid pci_slot '0000:41:00'");
	json_object_set_new(prof, "pci_slot", json_integer(7));
	bad(dt, "x", json_null(), "binding profile names no VF");
	json_object_del(prof, "pci_slot");
	bad(dt, "x", json_null(), "binding profile names no VF");
	json_object_set_new(prof, "pci_slot", json_string("0000:41:00.1"));
	/* InfiniBand: segmentation ids that are no P-key */
	for (long long id = 0; id <= 0x8000; id += 0x7fff) {
		json_object_set_new(dt, "segmentation_id", json_integer(id));
		assert_int_equal(request(dt, "direct", true, NULL, &r, &err),
				 -EINVAL);
		assert_msg_has(err.msg, "is no P-key");
	}
	json_object_set_new(dt, "segmentation_id", json_integer(160));
	/* a policy whose minimum is over its limit */
	json_t *rules = json_object_get(
		json_object_get(pol, "versioned_object.data"), "rules");
	json_object_set_new(json_object_get(json_array_get(rules, 1),
					    "versioned_object.data"),
			    "min_kbps", json_integer(90000));
	assert_int_equal(request(dt, "direct", false, pol, &r, &err), -EINVAL);
	assert_msg_has(err.msg,
		       "minimum (90 Mbps) is above its limit (21 Mbps)");
	json_object_set_new(json_object_get(json_array_get(rules, 1),
					    "versioned_object.data"),
			    "min_kbps", json_string("9"));
	assert_int_equal(request(dt, "direct", false, pol, &r, &err), -EINVAL);
	{
		json_t *x = json_string("x");

		assert_int_equal(request(dt, "direct", false, x, &r, &err),
				 -EINVAL);
		json_decref(x);
	}
	/* not a VF's vnic type */
	assert_int_equal(request(dt, "normal", false, NULL, &r, &err), -EINVAL);
	assert_msg_has(err.msg, "vnic_type 'normal' is not a VF's");
	json_decref(dt);
	json_decref(pol);
}

static void test_pkey_and_rates(void **state)
{
	struct sriov_error err = { 0 };
	uint16_t pk;

	(void)state;
	/* every segmentation id N in 1..0x7ffe is P-key 0x8000|N */
	for (long long id = 1; id <= NEUTRON_PKEY_MAX; id++) {
		assert_int_equal(neutron_pkey_of_segment(id, &pk, &err), 0);
		assert_int_equal(pk, 0x8000 | id);
	}
	assert_int_equal(neutron_pkey_of_segment(0, &pk, &err), -EINVAL);
	assert_int_equal(neutron_pkey_of_segment(0x7fff, &pk, &err), -EINVAL);
	assert_int_equal(neutron_pkey_of_segment(-1, &pk, &err), -EINVAL);
	assert_true(neutron_is_uuid("03a7fe05-ab4a-43e3-a50b-96c5f3ebb58c"));
	assert_false(neutron_is_uuid("03A7FE05-ab4a-43e3-a50b-96c5f3ebb58c"));
	assert_false(neutron_is_uuid("03a7fe05-ab4a-43e3-a50b-96c5f3ebb58"));
	assert_false(neutron_is_uuid("03a7fe05xab4a-43e3-a50b-96c5f3ebb58c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test_setup_teardown(test_request_vlan, cfg_setup,
						cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_flat_macvtap_ib,
						cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_bad, cfg_setup,
						cfg_teardown),
		cmocka_unit_test(test_pkey_and_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
