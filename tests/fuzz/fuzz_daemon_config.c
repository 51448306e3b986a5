/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for sriovd.yaml (sriov_daemon_config_load() on text).
 * Invariants of an accepted configuration: at least one physnet, each PF
 * in exactly one physnet and found there, direct_physical and excluded
 * PFs among them, max_request within its bounds, absolute paths; with a
 * cluster: endpoints of http:// or https:// each once, a valid host id, a
 * lease_ttl of 2..3600, fabrics of physnets, TLS files only for https.
 *
 * libFuzzer: -DSRIOV_FUZZ=ON with clang-14, then
 * build/tests/fuzz/fuzz_daemon_config tests/fuzz/corpus-daemon-config
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/daemon_config.h>
#include <sriov/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cluster(const struct sriov_daemon_config *c)
{
	const struct sriov_daemon_cluster *cl = &c->cluster;
	bool https = false;

	if (!sriov_daemon_config_clustered(c)) {
		if (cl->host_id || cl->n_fabrics)
			abort();
		return;
	}
	if (!cl->host_id || !sriov_port_id_valid(cl->host_id) ||
	    cl->lease_ttl < 2 || cl->lease_ttl > 3600 ||
	    !cl->connect_timeout_ms || !cl->request_timeout_ms)
		abort();
	for (size_t i = 0; i < cl->n_etcd; i++) {
		if (strncmp(cl->etcd[i], "http://", 7) &&
		    strncmp(cl->etcd[i], "https://", 8))
			abort();
		https |= !strncmp(cl->etcd[i], "https://", 8);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cl->etcd[i], cl->etcd[j]))
				abort();
	}
	if (!https && (cl->ca_file || cl->cert_file || cl->key_file))
		abort();
	if (!cl->cert_file != !cl->key_file)
		abort();
	for (size_t i = 0; i < cl->n_fabrics; i++) {
		size_t k = 0;

		while (k < c->n_physnets &&
		       strcmp(c->physnets[k].name, cl->fabrics[i].physnet))
			k++;
		if (k == c->n_physnets ||
		    !sriov_port_id_valid(cl->fabrics[i].fabric) ||
		    strcmp(sriov_daemon_config_fabric_of(
				   c, cl->fabrics[i].physnet),
			   cl->fabrics[i].fabric))
			abort(); /* a fabric per physnet of physnets */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the API takes text: a NUL ends it */
	if (sriov_daemon_config_load("d.yaml", text, &c, &err) < 0) {
		free(text);
		if (strncmp(err.msg, "d.yaml", 6) &&
		    strcmp(err.msg, "out of memory"))
			abort();
		return 0;
	}
	free(text);
	if (!c.n_physnets || c.max_request < 1024 ||
	    c.max_request > (16u << 20) || c.state_dir[0] != '/' ||
	    c.socket[0] != '/' || strcmp(c.path, "d.yaml"))
		abort();
	for (size_t i = 0; i < c.n_physnets; i++) {
		if (!c.physnets[i].n_pfs)
			abort();
		for (size_t j = 0; j < c.physnets[i].n_pfs; j++)
			if (strcmp(sriov_daemon_config_physnet_of(
					   &c, c.physnets[i].pfs[j]),
				   c.physnets[i].name))
				abort(); /* a PF belongs to one physnet */
	}
	for (size_t i = 0; i < c.n_whole_pfs; i++)
		if (!sriov_daemon_config_physnet_of(&c, c.whole_pfs[i]))
			abort();
	for (size_t i = 0; i < c.n_excludes; i++)
		if (!sriov_daemon_config_physnet_of(&c, c.excludes[i].pf))
			abort();
	check_cluster(&c);
	sriov_daemon_config_release(&c);
	return 0;
}
