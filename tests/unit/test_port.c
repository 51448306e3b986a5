/* SPDX-License-Identifier: MIT */
/*
 * Port requests, sriovd's YAML configuration, and the libvirt XML (checked
 * against libvirt's own schema with virt-xml-validate, not against text we
 * wrote).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include <sriov/port.h>
#include "assert_msg.h"
#include "util/macro.h"

static void test_config_ok(void **state)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };
	const char *text = "physnets:\n"
			   "  physnet1: [eth0, eth1]\n"
			   "  ibnet: ib0\n"
			   "  nv: ['0000:41:00.0']\n"
			   "exclude_devices:\n"
			   "  - 'eth0:0000:07:00.2; vf3'\n"
			   "  - '0000:41:00.0:vf1'\n"
			   "guid: {policy: given, prefix: '02:5e:00:01'}\n"
			   "socket_mode: '0660'\n"
			   "allowed_uids: [1000]\n"
			   "max_request: 4096\n";

	assert_int_equal(sriov_daemon_config_load("t.yaml", text, &c, &err), 0);
	assert_int_equal(c.n_physnets, 3);
	assert_string_equal(sriov_daemon_config_physnet_of(&c, "eth1"),
			    "physnet1");
	assert_string_equal(sriov_daemon_config_physnet_of(&c, "ib0"), "ibnet");
	assert_null(sriov_daemon_config_physnet_of(&c, "eth9"));
	assert_true(
		sriov_daemon_config_excluded(&c, "eth0", 9, "0000:07:00.2"));
	assert_true(sriov_daemon_config_excluded(&c, "eth0", 3, ""));
	assert_false(
		sriov_daemon_config_excluded(&c, "eth0", 2, "0000:07:00.3"));
	assert_true(sriov_daemon_config_excluded(&c, "0000:41:00.0", 1, NULL));
	assert_int_equal(c.guid_policy, SRIOV_GUID_GIVEN);
	assert_int_equal(c.guid_prefix[1], 0x5e);
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.n_allowed_uids, 1);
	assert_int_equal(c.max_request, 4096);
	/* defaults */
	assert_int_equal(c.driver[SRIOV_VNIC_DIRECT], SRIOV_VF_DRIVER_VFIO);
	assert_string_equal(c.socket, "/run/sriovd/sriovd.sock");
	sriov_daemon_config_release(&c);
}

static void config_err(const char *text, const char *want)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_daemon_config_load("t.yaml", text, &c, &err),
			 -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_config_errors(void **state)
{
	config_err("", "t.yaml:1:1: empty configuration");
	config_err("physnets:\n  p: [eth0]\n  q: [eth0]\n",
		   "t.yaml:3:7: physnets: pf 'eth0' is listed twice");
	config_err("physnets:\n  p: [../eth0]\n",
		   "t.yaml:2:7: physnets: p: invalid pf '../eth0'");
	{
		/* one PF over the limit: refused at it, in a blink */
		size_t n = 4097, cap = 32 + n * 12, off;
		char *big = malloc(cap);

		assert_non_null(big);
		off = (size_t)snprintf(big, cap, "physnets:\n  p:\n");
		for (size_t i = 0; i < n; i++)
			off += (size_t)snprintf(big + off, cap - off,
						"    - e%zu\n", i);
		config_err(
			big,
			"t.yaml:4099:7: physnets: more than 4096 PFs in all");
		free(big);
	}
	/* the second physnets: was parsed over the first, and leaked */
	config_err(
		"physnets:\n  p: [eth0]\nphysnets:\n  q: [eth1, eth2]\n",
		"t.yaml:3:1: 'physnets' is given twice (first at line 1 column 1)");
	config_err("physnets:\n  p: eth0\n  q: eth0\n",
		   "t.yaml:3:6: physnets: pf 'eth0' is listed twice");
	config_err("physnets:\n  p: &pf [eth0]\n  q: *pf\n",
		   "t.yaml:3:6: the alias *pf: YAML aliases are not accepted");
	config_err("physnets:\n  p: [eth0]\n...\n---\nphysnets: {}\n",
		   "t.yaml:4:1: a second YAML document");
	config_err("physnets:\n  p: [eth0]\nsocket: run/x\n",
		   "t.yaml:3:9: socket: 'run/x' is not an absolute path");
	config_err("physnets:\n  p: [eth0]\nexclude_devices: ['eth9:vf1']\n",
		   "t.yaml:3:19: exclude_devices: pf 'eth9' is missing from "
		   "physnets");
	config_err("physnets:\n  p: [eth0]\nexclude_devices: ['eth0']\n",
		   "invalid mapping 'eth0'");
	config_err(
		"physnets:\n  p: [eth0]\nexclude_devices: ['eth0:0000:07:00']\n",
		"invalid vf '0000:07:00'");
	config_err("physnets:\n  p: [eth0]\nexclude_devices: ['eth0:vf1', "
		   "'eth0:vf2']\n",
		   "pf 'eth0' in mapping 'eth0:vf2' is not unique");
	config_err("physnets:\n  p: [eth0]\nvf_driver: {direct: ixgbevf}\n",
		   "t.yaml:3:21: vf_driver: direct: invalid driver 'ixgbevf'");
	config_err("physnets:\n  p: [eth0]\nsocket_mode: '0777'\n",
		   "socket_mode: 777 has execute bits");
	config_err("physnets:\n  p: [eth0]\nguid: {prefix: '02:00'}\n",
		   "guid: invalid prefix '02:00'");
	config_err("physnets:\n  p: [eth0]\nfoo: 1\n",
		   "t.yaml:3:1: unknown key 'foo'");
	config_err("physnets: [\n", "t.yaml:2:1:");
	config_err("state_dir: /x\n", "physnets: at least one physnet");
	config_err("physnets:\n  p: [eth0]\ndirect_physical: [eth1]\n",
		   "t.yaml:3:19: direct_physical: pf 'eth1' is missing from "
		   "physnets");
	config_err("physnets:\n  p: [eth0]\ndirect_physical: [eth0, eth0]\n",
		   "t.yaml:3:25: direct_physical: pf 'eth0' is listed twice");
	config_err("physnets:\n  p: [eth0]\ndirect_physical: eth0\n",
		   "t.yaml:3:18: direct_physical: expected a list of PFs");
	/* before physnets in the file: still checked against them */
	config_err("direct_physical: [eth1]\nphysnets:\n  p: [eth0]\n",
		   "t.yaml:1:19: direct_physical: pf 'eth1' is missing");
}

static void test_config_whole(void **state)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	assert_int_equal(
		sriov_daemon_config_load("t.yaml",
					 "direct_physical: ['0000:41:00.0']\n"
					 "physnets:\n"
					 "  p: [eth0, '0000:41:00.0']\n",
					 &c, &err),
		0);
	assert_true(sriov_daemon_config_whole_pf(&c, "0000:41:00.0"));
	assert_false(sriov_daemon_config_whole_pf(&c, "eth0"));
	assert_int_equal(c.driver[SRIOV_VNIC_DIRECT_PHYSICAL],
			 SRIOV_VF_DRIVER_VFIO);
	sriov_daemon_config_release(&c);
}

/* The cluster: section (docs/cluster.md, docs/sriovd.md). */
static void test_config_cluster(void **state)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };
	char host[256] = "";
	const char *text = "cluster:\n"
			   "  etcd: [https://10.0.0.1:2379, "
			   "'https://[fd00::2]:2379']\n"
			   "  host_id: compute-7.example\n"
			   "  lease_ttl: 12\n"
			   "  prefix: /cloud/sriov/\n"
			   "  ca_file: /etc/sriov/etcd/ca.pem\n"
			   "  cert_file: /etc/sriov/etcd/client.pem\n"
			   "  key_file: /etc/sriov/etcd/client-key.pem\n"
			   "  connect_timeout_ms: 200\n"
			   "  request_timeout_ms: 900\n"
			   "  fabric: {ibnet: fabric-a}\n"
			   "physnets:\n  ibnet: [ib0]\n  ib2: [ib1]\n"
			   "  eth: [eth0]\n";

	assert_int_equal(sriov_daemon_config_load("t.yaml", text, &c, &err), 0);
	assert_true(sriov_daemon_config_clustered(&c));
	assert_int_equal(c.cluster.n_etcd, 2);
	assert_string_equal(c.cluster.etcd[1], "https://[fd00::2]:2379");
	assert_string_equal(c.cluster.host_id, "compute-7.example");
	assert_int_equal(c.cluster.lease_ttl, 12);
	assert_string_equal(c.cluster.prefix, "/cloud/sriov/");
	assert_string_equal(c.cluster.key_file,
			    "/etc/sriov/etcd/client-key.pem");
	assert_int_equal(c.cluster.connect_timeout_ms, 200);
	assert_int_equal(c.cluster.request_timeout_ms, 900);
	assert_string_equal(sriov_daemon_config_fabric_of(&c, "ibnet"),
			    "fabric-a");
	/* a physnet not in the map is its own fabric */
	assert_string_equal(sriov_daemon_config_fabric_of(&c, "ib2"), "ib2");
	sriov_daemon_config_release(&c);

	/* one endpoint without a list; the hostname as the host id; the
	 * defaults */
	assert_int_equal(sriov_daemon_config_load(
				 "t.yaml",
				 "physnets: {p: [eth0]}\n"
				 "cluster: {etcd: 'http://127.0.0.1:2379'}\n",
				 &c, &err),
			 0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_string_equal(c.cluster.host_id, host);
	assert_int_equal(c.cluster.n_etcd, 1);
	assert_int_equal(c.cluster.lease_ttl, SRIOV_DAEMON_LEASE_TTL_DEFAULT);
	assert_int_equal(c.cluster.connect_timeout_ms,
			 SRIOV_DAEMON_CONNECT_TIMEOUT_DEFAULT);
	assert_null(c.cluster.prefix);
	sriov_daemon_config_release(&c);

	/* no cluster: section, no cluster */
	assert_int_equal(sriov_daemon_config_load(
				 "t.yaml", "physnets: {p: [eth0]}\n", &c, &err),
			 0);
	assert_false(sriov_daemon_config_clustered(&c));
	assert_null(c.cluster.host_id);
	sriov_daemon_config_release(&c);
}

static void test_config_cluster_errors(void **state)
{
	const char *pn = "physnets:\n  p: [eth0]\n";
	char t[512];

#define CL(body, want)                                              \
	do {                                                        \
		snprintf(t, sizeof(t), "%scluster:\n%s", pn, body); \
		config_err(t, want);                                \
	} while (0)
	CL("  host_id: a\n",
	   "t.yaml:4:3: cluster: 'etcd' is required (the endpoints");
	CL("  etcd: []\n",
	   "t.yaml:4:9: cluster: etcd: expected a list of endpoints");
	CL("  etcd: [10.0.0.1:2379]\n",
	   "t.yaml:4:10: cluster: etcd: invalid endpoint '10.0.0.1:2379' (expected http://HOST:PORT");
	CL("  etcd: [http://a:1/v3]\n",
	   "cluster: etcd: invalid endpoint 'http://a:1/v3'");
	CL("  etcd: [http://a:1, http://a:1]\n",
	   "t.yaml:4:22: cluster: etcd: 'http://a:1' is listed twice");
	CL("  etcd: [http://a:1]\n  host_id: a/b\n",
	   "t.yaml:5:12: cluster: host_id: invalid 'a/b'");
	CL("  etcd: [http://a:1]\n  lease_ttl: 1\n",
	   "t.yaml:5:14: cluster: lease_ttl: 1 is too short");
	CL("  etcd: [http://a:1]\n  lease_ttl: 3601\n",
	   "cluster: lease_ttl: invalid number '3601' (expected 0..3600)");
	CL("  etcd: [http://a:1]\n  prefix: sriov\n",
	   "t.yaml:5:11: cluster: prefix: 'sriov' is not a path");
	CL("  etcd: [https://a:1]\n  ca_file: ca.pem\n",
	   "t.yaml:5:12: cluster: ca_file: 'ca.pem' is not an absolute path");
	CL("  etcd: [https://a:1]\n  cert_file: /c.pem\n",
	   "t.yaml:4:3: cluster: cert_file and key_file go together");
	CL("  etcd: [http://a:1]\n  ca_file: /ca.pem\n",
	   "cluster: ca_file, cert_file and key_file are for https:// endpoints");
	CL("  etcd: [http://a:1]\n  connect_timeout_ms: 0\n",
	   "t.yaml:5:23: cluster: connect_timeout_ms: 0");
	CL("  etcd: [http://a:1]\n  fabric: {q: f}\n",
	   "t.yaml:5:12: cluster: fabric: 'q' is not a physnet of physnets");
	CL("  etcd: [http://a:1]\n  fabric: {p: 'a b'}\n",
	   "t.yaml:5:15: cluster: fabric: p: invalid fabric name 'a b'");
	CL("  etcd: [http://a:1]\n  fabric: [p]\n",
	   "cluster: fabric: expected a mapping of InfiniBand physnets");
	CL("  etcd: [http://a:1]\n  lease: 3\n",
	   "t.yaml:5:3: cluster: unknown key 'lease' (expected etcd,");
	CL("  - http://a:1\n", "t.yaml:4:3: cluster: expected a mapping");
#undef CL
	/* before physnets: its fabric map is still checked against them */
	config_err("cluster: {etcd: [http://a:1], fabric: {q: f}}\n"
		   "physnets: {p: [eth0]}\n",
		   "t.yaml:1:40: cluster: fabric: 'q' is not a physnet");
}

static struct sriov_daemon_config cfg;

static int cfg_setup(void **state)
{
	struct sriov_error err = { 0 };

	return sriov_daemon_config_load("c.yaml",
					"physnets:\n  physnet1: [eth0, eth1]\n"
					"  ibnet: [ib0]\n",
					&cfg, &err);
}

static int cfg_teardown(void **state)
{
	sriov_daemon_config_release(&cfg);
	return 0;
}

static int parse(const char *json, struct sriov_port_request *r,
		 struct sriov_error *err)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	int ret;

	if (!o)
		fail_msg("test json: %s", je.text);
	ret = sriov_port_request_parse(o, &cfg, r, err);
	json_decref(o);
	return ret;
}

static void bad(const char *json, const char *want)
{
	struct sriov_port_request r;
	struct sriov_error err = { 0 };

	assert_true(parse(json, &r, &err) < 0);
	if (!strstr(err.msg, want))
		fail_msg("%s: got '%s', want '%s'", json, err.msg, want);
}

static void test_request_ok(void **state)
{
	struct sriov_port_request r;
	struct sriov_error err = { 0 };
	char *dump;

	assert_int_equal(
		parse("{\"id\":\"p-1\",\"network\":{\"physnet\":\"physnet1\","
		      "\"vlan\":4094,\"qos\":7,\"vlan_proto\":\"802.1ad\"},"
		      "\"mac\":\"02:AA:bb:cc:dd:ee\",\"trusted\":true,"
		      "\"spoofchk\":false,\"min_tx_rate\":10,"
		      "\"max_tx_rate\":100,\"numa\":\"required\","
		      "\"numa_node\":1,\"pf\":\"eth1\"}",
		      &r, &err),
		0);
	assert_int_equal(r.vlan, 4094);
	assert_int_equal(r.qos, 7);
	assert_int_equal(r.vlan_proto, SRIOV_ETH_P_8021AD);
	assert_int_equal(r.mac[1], 0xaa);
	assert_true(r.trusted);
	assert_false(r.spoofchk);
	assert_int_equal(r.numa, SRIOV_NUMA_REQUIRED);
	assert_string_equal(r.pf, "eth1");
	/* the stored form parses back to the same request */
	dump = sriov_port_request_dump(&r);
	{
		struct sriov_port_request r2;
		json_t *o = json_loads(dump, 0, NULL);

		assert_int_equal(sriov_port_request_parse(o, &cfg, &r2, &err),
				 0);
		json_decref(o);
		assert_memory_equal(&r, &r2, sizeof(r));
	}
	free(dump);
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"ibnet\",\"pkey\":\"0x8001\"},\"guid\":"
			       "\"02:5e:00:01:00:00:00:07\"}",
			       &r, &err),
			 0);
	assert_int_equal(r.pkey, 0x8001);
	assert_int_equal(r.guid, 0x025e000100000007ull);
	/* the membership for the fabric: the P-key's bit unless given */
	assert_int_equal(r.membership, SRIOV_MEMBER_FULL);
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"ibnet\",\"pkey\":\"0x0a01\"}}",
			       &r, &err),
			 0);
	assert_int_equal(r.membership, SRIOV_MEMBER_LIMITED);
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"ibnet\",\"pkey\":\"0x8a01\",\"membership\":"
			       "\"both\"}}",
			       &r, &err),
			 0);
	assert_int_equal(r.membership, SRIOV_MEMBER_BOTH);
	dump = sriov_port_request_dump(&r);
	assert_non_null(strstr(dump, "\"membership\":\"both\""));
	{
		struct sriov_port_request r2;
		json_t *o = json_loads(dump, 0, NULL);

		assert_int_equal(sriov_port_request_parse(o, &cfg, &r2, &err),
				 0);
		json_decref(o);
		assert_memory_equal(&r, &r2, sizeof(r));
	}
	free(dump);
	/* defaults: spoofchk on, trust off, preferred NUMA */
	assert_int_equal(parse("{\"id\":\"y\",\"network\":{\"physnet\":"
			       "\"physnet1\"}}",
			       &r, &err),
			 0);
	assert_true(r.spoofchk);
	assert_false(r.trusted);
	assert_false(r.has_vlan);
	assert_int_equal(r.numa, SRIOV_NUMA_PREFERRED);
}

/* Neutron's admin_state_up and propagate_uplink_status: the VF's link */
static void test_request_link_state(void **state)
{
	static const char *const names[] = { "auto", "enable", "disable" };
	struct sriov_port_request r;
	struct sriov_error err = { 0 };
	char req[256], *dump;

	assert_int_equal(
		parse("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"}}",
		      &r, &err),
		0);
	assert_false(r.has_link_state); /* enabled while bound, as before */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(
			req, sizeof(req),
			"{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"link_state\":\"%s\"}",
			names[i]);
		assert_int_equal(parse(req, &r, &err), 0);
		assert_true(r.has_link_state);
		assert_string_equal(sriov_vf_link_state_name(r.link_state),
				    names[i]);
		/* stored as given, read back the same */
		dump = sriov_port_request_dump(&r);
		assert_non_null(strstr(dump, names[i]));
		assert_int_equal(parse(dump, &r, &err), 0);
		assert_string_equal(sriov_vf_link_state_name(r.link_state),
				    names[i]);
		free(dump);
	}
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"link_state\":\"up\"}",
	    "port: invalid link_state 'up' (expected enable, disable or auto)");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"link_state\":1}",
	    "'link_state' must be a string");
}

static void test_request_bad(void **state)
{
	bad("[]", "'port' must be an object");
	bad("{\"network\":{\"physnet\":\"physnet1\"}}", "'id' is required");
	bad("{\"id\":\"../x\",\"network\":{\"physnet\":\"physnet1\"}}",
	    "invalid id '../x'");
	bad("{\"id\":\"a/b\",\"network\":{\"physnet\":\"physnet1\"}}",
	    "invalid id 'a/b'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"nope\"}}",
	    "unknown network 'nope'");
	bad("{\"id\":\"x\"}", "'network' must be an object");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":"
	    "4096}}",
	    "invalid vlan 4096");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":0}}",
	    "invalid vlan 0");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":"
	    "\"7\"}}",
	    "invalid vlan \"7\"");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"qos\":1}}",
	    "qos needs a vlan");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":3,"
	    "\"vlan_proto\":\"802.1x\"}}",
	    "invalid vlan_proto '802.1x'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
	    "\"0x7fff\"}}",
	    "invalid pkey '0x7fff'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
	    "\"8001\"}}",
	    "invalid pkey '8001'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
	    "\"0x8001\",\"membership\":\"limited\"}}",
	    "port: membership 'limited' contradicts pkey '0x8001', whose "
	    "membership bit (0x8000) says full (give 0x0001, or omit "
	    "membership)");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
	    "\"0x0001\",\"membership\":\"full\"}}",
	    "contradicts pkey '0x0001', whose membership bit (0x8000) says "
	    "limited (give 0x8001");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\","
	    "\"membership\":\"full\"}}",
	    "port: membership needs a pkey");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
	    "\"0x8001\",\"membership\":\"Full\"}}",
	    "port: invalid membership 'Full' (expected full, limited or both)");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"mac\":"
	    "\"02:00:00:00:00\"}",
	    "invalid mac '02:00:00:00:00'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"mac\":"
	    "\"03:00:00:00:00:01\"}",
	    "invalid mac '03:00:00:00:00:01'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"mac\":"
	    "\"00:00:00:00:00:00\"}",
	    "all zeros");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\"},\"guid\":"
	    "\"12:34\"}",
	    "invalid guid '12:34'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\"},\"guid\":"
	    "\"ff:ff:ff:ff:ff:ff:ff:ff\"}",
	    "reserved");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\"},\"guid\":"
	    "\"0x0102c903000002aa\"}",
	    "group (I/G) bit");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"pf\":"
	    "\"../eth0\"}",
	    "invalid pf '../eth0'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},\"pf\":"
	    "\"ib0\"}",
	    "pf 'ib0' is not a pf of network 'physnet1'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"vnic_type\":\"normal\"}",
	    "invalid vnic_type 'normal'");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"min_tx_rate\":20,\"max_tx_rate\":10}",
	    "min_tx_rate 20 is above max_tx_rate 10");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"numa\":\"required\"}",
	    "needs a numa_node");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"trusted\":\"yes\"}",
	    "'trusted' must be true or false");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"colour\":1}",
	    "unknown key 'colour'");
	/* a whole PF: nothing of a VF's can be asked of it */
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\","
	    "\"vlan\":5},\"vnic_type\":\"direct-physical\"}",
	    "no host setting can hold to a vlan");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\","
	    "\"pkey\":\"0x8001\"},\"vnic_type\":\"direct-physical\"}",
	    "no host setting can hold to a pkey");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"vnic_type\":\"direct-physical\",\"mac\":\"02:00:00:00:00:01\"}",
	    "port: mac is a VF setting");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"vnic_type\":\"direct-physical\",\"spoofchk\":true}",
	    "port: spoofchk is a VF setting");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\"},"
	    "\"vnic_type\":\"direct-physical\",\"max_tx_rate\":10}",
	    "port: max_tx_rate is a VF setting");
}

/* The form ebrctl sends: the exact VF (pci_slot), the GUID made of the
 * port's MAC, the instance; and each malformed value refused by name. */
static void test_request_pci_slot(void **state)
{
	struct sriov_port_request r, r2;
	struct sriov_error err = { 0 };
	char *dump;
	json_t *o;

	assert_int_equal(
		parse("{\"id\":\"ib-fa:16:3e:12:34:56\",\"network\":"
		      "{\"physnet\":\"ibnet\"},\"pci_slot\":\"0000:4A:1f.7\","
		      "\"guid_from_mac\":\"FA:16:3E:12:34:56\",\"device_id\":"
		      "\"6a2e1f5c-0b6e-4d0e-9f43-0a1b2c3d4e5f\"}",
		      &r, &err),
		0);
	assert_string_equal(r.pci_slot, "0000:4a:1f.7");
	assert_string_equal(r.device_id,
			    "6a2e1f5c-0b6e-4d0e-9f43-0a1b2c3d4e5f");
	assert_true(r.has_guid);
	/* eswitchd's rule: aa:bb:cc:dd:ee:ff -> aa:bb:cc:00:00:dd:ee:ff */
	assert_int_equal(r.guid, 0xfa163e0000123456ull);
	/* networking-mlnx's own vector (tests/unit/eswitchd/utils/
	 * test_ib_utils.py): 11:22:33:44:55:66:77:88 <-> 11:22:33:66:77:88,
	 * the bytes 4-5 being the 00:00 inserted */
	assert_int_equal(sriov_guid_from_mac((const uint8_t[]){
				 0x11, 0x22, 0x33, 0x66, 0x77, 0x88 }),
			 0x1122330000667788ull);
	/* the stored form (guid and guid_from_mac both) parses back the same */
	dump = sriov_port_request_dump(&r);
	assert_msg_has(dump, "\"pci_slot\":\"0000:4a:1f.7\"",
		       "\"guid_from_mac\":\"fa:16:3e:12:34:56\"",
		       "\"guid\":\"0xfa163e0000123456\"");
	o = json_loads(dump, 0, NULL);
	assert_int_equal(sriov_port_request_parse(o, &cfg, &r2, &err), 0);
	json_decref(o);
	free(dump);
	assert_memory_equal(&r, &r2, sizeof(r));
	/* PF:vfN, a VF with no PCI function */
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"ibnet\"},\"pci_slot\":\"ib0:vf12\"}",
			       &r, &err),
			 0);
	assert_string_equal(r.pci_slot, "ib0:vf12");

#define IB(extra) "{\"id\":\"x\",\"network\":{\"physnet\":\"ibnet\"}," extra "}"
	static const char *const slots[] = {
		"0000:41:00",
		"0000:41:00.8",
		"0000:41:20.1",
		"41:00.1",
		"0000:4g:00.1",
		"00000:41:00.1",
		"0000:41:00.1 ",
		"ib0:vf",
		"ib0:vf01",
		"ib0:vf-1",
		"ib0:vf65536",
		":vf1",
		"",
	};
	for (size_t i = 0; i < sizeof(slots) / sizeof(*slots); i++) {
		char j[160];

		snprintf(j, sizeof(j), IB("\"pci_slot\":\"%s\""), slots[i]);
		bad(j, "invalid pci_slot");
	}
	bad(IB("\"pci_slot\":\"eth0:vf1\""),
	    "pf 'eth0' is not a pf of network 'ibnet'");
	bad(IB("\"pci_slot\":\"ib0:vf1\",\"pf\":\"ib0\",\"vnic_type\":"
	       "\"direct-physical\""),
	    "pci_slot names a vf");
	bad(IB("\"pci_slot\":7"), "'pci_slot' must be a string");
	bad(IB("\"guid_from_mac\":\"fa:16:3e:12:34\""),
	    "invalid guid_from_mac 'fa:16:3e:12:34'");
	bad(IB("\"guid_from_mac\":\"01:16:3e:12:34:56\""),
	    "invalid guid_from_mac '01:16:3e:12:34:56'");
	bad(IB("\"guid_from_mac\":\"00:00:00:00:00:00\""), "all zeros");
	bad(IB("\"guid_from_mac\":\"fa:16:3e:12:34:56\",\"guid\":"
	       "\"0xfa163e0000123457\""),
	    "not the guid of guid_from_mac");
	bad(IB("\"device_id\":\"a/b\""), "invalid device_id 'a/b'");
	/* a malformed MAC is named before the id ebrctl made of it */
	bad("{\"id\":\"ib-zz\",\"network\":{\"physnet\":\"ibnet\"},"
	    "\"guid_from_mac\":\"zz\"}",
	    "invalid guid_from_mac 'zz'");
#undef IB
}

static void test_request_whole(void **state)
{
	struct sriov_port_request r, back;
	struct sriov_error err = { 0 };
	char *dump;
	json_t *o;

	assert_int_equal(parse("{\"id\":\"w\",\"network\":{\"physnet\":"
			       "\"physnet1\"},\"vnic_type\":"
			       "\"direct-physical\",\"numa\":\"required\","
			       "\"numa_node\":1}",
			       &r, &err),
			 0);
	assert_int_equal(r.vnic, SRIOV_VNIC_DIRECT_PHYSICAL);
	/* stored and read back (sriovd re-reads ports from their dump) */
	dump = sriov_port_request_dump(&r);
	assert_non_null(dump);
	assert_null(strstr(dump, "spoofchk"));
	o = json_loads(dump, 0, NULL);
	assert_int_equal(sriov_port_request_parse(o, &cfg, &back, &err), 0);
	assert_int_equal(back.vnic, SRIOV_VNIC_DIRECT_PHYSICAL);
	assert_int_equal(back.numa, SRIOV_NUMA_REQUIRED);
	assert_int_equal(back.numa_node, 1);
	json_decref(o);
	free(dump);
}

/* libvirt's schema is the judge; skipped loudly without libvirt-clients. */
static int validate(const char *fragment)
{
	char path[] = "/tmp/test_port_xml.XXXXXX";
	int fd = mkstemp(path), st;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f,
		"<domain type='kvm'>\n  <name>t</name>\n"
		"  <memory>1048576</memory>\n"
		"  <os><type arch='x86_64'>hvm</type></os>\n"
		"  <devices>\n%s  </devices>\n</domain>\n",
		fragment);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		execlp("virt-xml-validate", "virt-xml-validate", path, "domain",
		       (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_libvirt_xml(void **state)
{
	struct sriov_port_request r = { .has_mac = true,
					.mac = { 2, 0x11, 0x22, 0x33, 0x44,
						 0x55 },
					.has_vlan = true,
					.vlan = 100 };
	struct sriov_error err = { 0 };
	char *x, *bad_xml;
	int v;

	x = sriov_port_libvirt_xml(&r, "0000:41:00.2", NULL, false, &err);
	assert_non_null(x);
	assert_msg_has(x, "<interface type='hostdev' managed='yes'>",
		       "<mac address='02:11:22:33:44:55'/>",
		       "domain='0x0000' bus='0x41' slot='0x00' function='0x2'",
		       "<tag id='100'/>");
	v = validate(x);
	if (v == 127) {
		fprintf(stderr, "SKIP: virt-xml-validate (libvirt-clients) "
				"is not installed\n");
		free(x);
		skip();
	}
	assert_int_equal(v, 0);
	/* the validator can fail: a broken element is refused */
	bad_xml = strdup(x);
	*strstr(bad_xml, "hostdev") = 'X';
	assert_int_not_equal(validate(bad_xml), 0);
	free(bad_xml);
	free(x);

	x = sriov_port_libvirt_xml(&r, "0000:41:00.3", NULL, true, &err);
	assert_msg_has(x, "<hostdev mode='subsystem' type='pci'");
	assert_int_equal(validate(x), 0);
	free(x);
	r.vnic = SRIOV_VNIC_MACVTAP;
	x = sriov_port_libvirt_xml(&r, "0000:41:00.3", "enp65s0f0v3", false,
				   &err);
	assert_msg_has(x, "<source dev='enp65s0f0v3' mode='passthrough'/>");
	assert_int_equal(validate(x), 0);
	free(x);
	r.vnic = SRIOV_VNIC_DIRECT;
	assert_null(sriov_port_libvirt_xml(&r, "", NULL, false, &err));
	assert_msg_has(err.msg, "no pci function");
	assert_null(
		sriov_port_libvirt_xml(&r, "0000:41:00", NULL, false, &err));

	/* a whole PF: a plain <hostdev>, no MAC or VLAN it could not hold */
	{
		struct sriov_port_request w = {
			.vnic = SRIOV_VNIC_DIRECT_PHYSICAL
		};

		x = sriov_port_libvirt_xml(&w, "0000:41:00.0", "enp65s0f0",
					   false, &err);
		assert_non_null(x);
		assert_msg_has(
			x,
			"<hostdev mode='subsystem' type='pci' managed='yes'>",
			"bus='0x41' slot='0x00' function='0x0'");
		assert_null(strstr(x, "<interface"));
		assert_int_equal(validate(x), 0);
		free(x);
	}
}

/*
 * What libvirt writes on the VF when the domain starts, for @xml, read from
 * libvirt's own code (src/util/virnetdev.c, virhostdev.c,
 * virnetdevmacvlan.c): for <interface type='hostdev'> and <interface
 * type='direct'> in passthrough mode, virNetDevSetNetConfig() sets the MAC
 * of <mac> (one it generates without it) and virNetDevSetVfVlan() sends
 * IFLA_VF_VLAN {the <tag> id or 0, qos 0}, which the kernel applies as
 * 802.1Q; nothing else of the VF. A plain <hostdev> is only detached to
 * vfio-pci: nothing is written.
 */
struct libvirt_writes {
	bool any;
	bool mac_given; /* else libvirt generates one */
	char mac[18];
	unsigned vlan, qos;
	uint16_t proto;
};

static struct libvirt_writes libvirt_model(const char *xml)
{
	struct libvirt_writes w = { 0 };
	const char *t;

	if (strncmp(xml, "<interface type='hostdev'", 25) &&
	    !(strncmp(xml, "<interface type='direct'", 24) == 0 &&
	      strstr(xml, "mode='passthrough'")))
		return w;
	w.any = true;
	w.proto = SRIOV_ETH_P_8021Q;
	t = strstr(xml, "<mac address='");
	if (t && sscanf(t, "<mac address='%17[^']'", w.mac) == 1)
		w.mac_given = true;
	t = strstr(xml, "<tag id='");
	if (t)
		assert_int_equal(sscanf(t, "<tag id='%u'", &w.vlan), 1);
	return w;
}

/*
 * Every combination of a port's settings: the XML either lets libvirt
 * write what sriovd set (the same MAC, the same VLAN with qos 0 and
 * 802.1Q) or is a plain <hostdev>, and it is an <interface> whenever that
 * keeps everything (Nova's form, which carries the MAC). macvtap has no
 * form libvirt leaves alone: such a port gets no XML, and its request is
 * refused. Each XML passes libvirt's schema.
 */
struct xml_counts {
	size_t n, hostdev, interface, none;
};

static void check_xml_of(const struct sriov_port_request *r, bool ib,
			 struct xml_counts *c)
{
	bool keeps = !r->has_vlan ||
		     (r->qos == 0 && r->vlan_proto == SRIOV_ETH_P_8021Q);
	struct sriov_error err = { 0 };
	struct libvirt_writes w;
	char what[160], *x;
	int rc;

	snprintf(what, sizeof(what),
		 "%s %s mac %d vlan %u qos %u proto %#x trust %d rates %d",
		 ib ? "infiniband" : "ethernet", sriov_vnic_type_name(r->vnic),
		 r->has_mac, r->vlan, r->qos, r->vlan_proto, r->trusted,
		 r->has_rates);
	x = sriov_port_libvirt_xml(r, "0000:41:00.2", "enp65s0f0v1", ib, &err);
	c->n++;
	if (!x) {
		if (r->vnic != SRIOV_VNIC_MACVTAP || keeps)
			fail_msg("%s: no xml: %s", what, err.msg);
		assert_int_equal(err.code, -EOPNOTSUPP);
		assert_msg_has(err.msg, "macvtap");
		c->none++;
		return;
	}
	w = libvirt_model(x);
	if (w.any) {
		/* what libvirt writes is what sriovd set */
		if (w.vlan != (r->has_vlan ? r->vlan : 0) || r->qos ||
		    (r->has_vlan && r->vlan_proto != w.proto))
			fail_msg("%s: libvirt would set vlan %u qos 0 802.1Q "
				 "on the vf:\n%s",
				 what, w.vlan, x);
		if (r->has_mac &&
		    (!w.mac_given || strcmp(w.mac, "02:11:22:33:44:55")))
			fail_msg("%s: libvirt would set another mac:\n%s", what,
				 x);
		c->interface++;
	} else {
		assert_msg_has(
			x,
			"<hostdev mode='subsystem' type='pci' managed='yes'>",
			"bus='0x41' slot='0x00' function='0x2'");
		if (!ib && keeps)
			fail_msg("%s: a <hostdev> where an <interface> keeps "
				 "every setting:\n%s",
				 what, x);
		c->hostdev++;
	}
	rc = validate(x);
	if (rc == 127) {
		fprintf(stderr, "SKIP: virt-xml-validate (libvirt-clients) is "
				"not installed\n");
		free(x);
		skip();
	}
	if (rc != 0)
		fail_msg("%s: virt-xml-validate refuses:\n%s", what, x);
	free(x);
}

/*
 * Every combination of a port's settings: the XML either lets libvirt
 * write what sriovd set (the same MAC, the same VLAN with qos 0 and
 * 802.1Q) or is a plain <hostdev>, and it is an <interface> whenever that
 * keeps everything (Nova's form, which carries the MAC). macvtap has no
 * form libvirt leaves alone: such a port gets no XML (and its request is
 * refused). Each XML passes libvirt's schema.
 */
static void test_libvirt_xml_settings(void **state)
{
	static const struct {
		bool has_vlan;
		uint16_t vlan;
		uint8_t qos;
		uint16_t proto;
	} vlans[] = {
		{ false, 0, 0, SRIOV_ETH_P_8021Q },
		{ true, 100, 0, SRIOV_ETH_P_8021Q },
		{ true, 100, 5, SRIOV_ETH_P_8021Q },
		{ true, 100, 0, SRIOV_ETH_P_8021AD },
		{ true, 4094, 7, SRIOV_ETH_P_8021AD },
	};
	struct xml_counts c = { 0 };

	for (unsigned i = 0; i < 2 * 2 * 2 * 2 * ARRAY_SIZE(vlans); i++) {
		bool ib = i & 1, macvtap = i & 2, mac = i & 4, extra = i & 8;
		size_t v = i / 16;
		struct sriov_port_request r = {
			.vnic = macvtap ? SRIOV_VNIC_MACVTAP :
					  SRIOV_VNIC_DIRECT,
			.has_mac = mac,
			.mac = { 2, 0x11, 0x22, 0x33, 0x44, 0x55 },
			.has_vlan = vlans[v].has_vlan,
			.vlan = vlans[v].vlan,
			.qos = vlans[v].qos,
			.vlan_proto = vlans[v].proto,
			/* libvirt touches none of these */
			.trusted = extra,
			.spoofchk = !extra,
			.has_rates = extra,
			.min_tx_rate = extra ? 10 : 0,
			.max_tx_rate = extra ? 100 : 0,
		};

		if (ib && (macvtap || mac || r.has_vlan))
			continue; /* refused on InfiniBand */
		check_xml_of(&r, ib, &c);
	}
	/* every branch was taken: 2 InfiniBand and 12 Ethernet <hostdev>,
	 * 16 <interface>, 12 macvtap ports without XML */
	assert_int_equal(c.hostdev, 14);
	assert_int_equal(c.interface, 16);
	assert_int_equal(c.none, 12);
}

/* ... and the request a macvtap port cannot keep is refused up front */
static void test_request_macvtap_vlan(void **state)
{
	struct sriov_port_request r;
	struct sriov_error err = { 0 };

	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":5,"
	    "\"qos\":3},\"vnic_type\":\"macvtap\"}",
	    "would undo qos 3; use vnic_type direct");
	bad("{\"id\":\"x\",\"network\":{\"physnet\":\"physnet1\",\"vlan\":5,"
	    "\"vlan_proto\":\"802.1ad\"},\"vnic_type\":\"macvtap\"}",
	    "would undo proto 802.1ad");
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"physnet1\",\"vlan\":5,\"vlan_proto\":"
			       "\"802.1Q\"},\"vnic_type\":\"macvtap\"}",
			       &r, &err),
			 0);
	/* the same port as direct is taken: it gets a <hostdev> */
	assert_int_equal(parse("{\"id\":\"x\",\"network\":{\"physnet\":"
			       "\"physnet1\",\"vlan\":5,\"qos\":3}}",
			       &r, &err),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_whole),
		cmocka_unit_test(test_config_cluster),
		cmocka_unit_test(test_config_cluster_errors),
		cmocka_unit_test_setup_teardown(test_request_whole, cfg_setup,
						cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_ok, cfg_setup,
						cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_pci_slot,
						cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_bad, cfg_setup,
						cfg_teardown),
		cmocka_unit_test_setup_teardown(test_request_link_state,
						cfg_setup, cfg_teardown),
		cmocka_unit_test(test_libvirt_xml),
		cmocka_unit_test(test_libvirt_xml_settings),
		cmocka_unit_test_setup_teardown(test_request_macvtap_vlan,
						cfg_setup, cfg_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
