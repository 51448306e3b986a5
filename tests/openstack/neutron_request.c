/* SPDX-License-Identifier: MIT */
/*
 * neutron_request SRIOVD_YAML VNIC_TYPE IB(0|1): one JSON object on stdin,
 * {"details": <a get_devices_details_list entry>, "policy": <a QosPolicy
 * object or null>}, and on stdout the request sriovd makes of it (the
 * daemon's neutron_port_request()), or {"error": "..."}; for
 * tests/openstack/request_oracle.py, which puts Neutron's own agent code
 * on the same input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "neutron.h"

int main(int argc, char **argv)
{
	struct sriov_daemon_config cfg;
	struct sriov_port_request req;
	struct sriov_error err = { 0 };
	struct neutron_port_info info = { 0 };
	json_t *in, *out = NULL, *policy;
	json_error_t je;
	int r;

	if (argc != 4) {
		fprintf(stderr,
			"usage: neutron_request SRIOVD_YAML VNIC_TYPE 0|1 <JSON\n");
		return 2;
	}
	if (sriov_daemon_config_load(argv[1], NULL, &cfg, &err) < 0) {
		fprintf(stderr, "neutron_request: %s\n", err.msg);
		return 1;
	}
	in = json_loadf(stdin, 0, &je);
	if (!in) {
		fprintf(stderr, "neutron_request: stdin: %s\n", je.text);
		return 1;
	}
	policy = json_object_get(in, "policy");
	info.id = "p";
	info.vnic_type = argv[2];
	info.infiniband = !strcmp(argv[3], "1");
	info.policy = json_is_null(policy) ? NULL : policy;
	r = neutron_port_request(&cfg, json_object_get(in, "details"), &info,
				 &req, &out, &err);
	if (r < 0)
		out = json_pack("{s:s}", "error", err.msg);
	json_dumpf(out, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	json_decref(in);
	sriov_daemon_config_release(&cfg);
	return 0;
}
