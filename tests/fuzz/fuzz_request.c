/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for sriovd's API requests: one line as api_handle() takes
 * it (api_request_parse(): the size cap, the JSON, the object with a
 * string op), then the arguments of its operation: port.bind's "port"
 * through sriov_port_request_parse() against a fixed configuration, the
 * ids of port.unbind/show, vf.clear's PF and VF. Invariants: a refusal
 * says why; an accepted bind request dumps (what the store keeps) to a
 * text that parses back to the same request.
 *
 * libFuzzer: -DSRIOV_FUZZ=ON with clang-14, then
 * build/tests/fuzz/fuzz_request tests/fuzz/corpus-request
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/daemon_config.h>
#include <sriov/port.h>
#include "sriovd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] = "physnets:\n"
			     "  physnet1: [eth0, '0000:41:00.0']\n"
			     "  ibnet: ib0\n"
			     "direct_physical: [eth0]\n"
			     "max_request: 4096\n";

static void check_bind(const struct sriov_daemon_config *cfg, json_t *port)
{
	struct sriov_port_request r, again;
	struct sriov_error err = { 0 };
	char *s, *s2;
	json_t *o;

	if (sriov_port_request_parse(port, cfg, &r, &err) < 0) {
		if (!err.msg[0])
			abort();
		return;
	}
	s = sriov_port_request_dump(&r);
	if (!s)
		return;
	o = json_loads(s, 0, NULL);
	if (!o || sriov_port_request_parse(o, cfg, &again, &err) < 0)
		abort(); /* the stored form must read back */
	s2 = sriov_port_request_dump(&again);
	if (!s2 || strcmp(s, s2))
		abort();
	free(s2);
	json_decref(o);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sriov_daemon_config cfg;
	static int loaded;
	struct sriov_error err = { 0 };
	const char *op, *id;
	json_t *req;
	unsigned vf;

	if (!loaded) {
		if (sriov_daemon_config_load("c.yaml", config, &cfg, &err) < 0)
			abort();
		loaded = 1;
	}
	if (api_request_parse(&cfg, (const char *)data, size, &req, &err) < 0) {
		if (!err.msg[0] || (err.code == -E2BIG) != (size > 4096))
			abort();
		return 0;
	}
	op = json_string_value(json_object_get(req, "op"));
	if (!op)
		abort();
	if (!strcmp(op, "port.bind"))
		check_bind(&cfg, json_object_get(req, "port"));
	else if (!strcmp(op, "port.unbind") || !strcmp(op, "port.show"))
		api_get_id(req, "id", &id, &err);
	else if (!strcmp(op, "vf.clear"))
		api_vf_arg(req, &id, &vf, &err);
	else
		api_op_find(op);
	json_decref(req);
	return 0;
}
