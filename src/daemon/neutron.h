/* SPDX-License-Identifier: MIT */
#ifndef SRIOVD_NEUTRON_H
#define SRIOVD_NEUTRON_H

/*
 * sriovd as Neutron's SR-IOV agent (docs/neutron.md): agent type "NIC
 * Switch agent", Neutron's L2 agent RPC over AMQP in oslo.messaging's wire
 * format (the rpc layer), every port it is told of bound, updated or
 * unbound through the core's transactions.
 *
 * The names are Debian's python3-neutron 21 (Zed): neutron/agent/rpc.py
 * (PluginApi 1.9, PluginReportStateAPI 1.2), neutron/plugins/ml2/rpc.py
 * (the server's answers, AgentNotifierApi's casts),
 * neutron/api/rpc/handlers/resources_rpc.py (pull and push of versioned
 * objects), neutron/plugins/ml2/drivers/mech_sriov/agent/sriov_nic_agent.py
 * (what the stock agent reports and consumes).
 */

#include <stdbool.h>

#include <jansson.h>

#include <sriov/daemon_config.h>
#include <sriov/port.h>

struct daemon;

#define NEUTRON_AGENT_TYPE "NIC Switch agent"
#define NEUTRON_BINARY "sriovd"
#define NEUTRON_PLUGIN_TOPIC "q-plugin"
#define NEUTRON_REPORTS_TOPIC "q-reports-plugin"
/* The versioned objects sriovd consumes, at the versions Zed's agents
 * report (neutron/api/rpc/callbacks/resources.py LOCAL_RESOURCE_VERSIONS):
 * the server pushes them to topics neutron-vo-<type>-<version>. */
#define NEUTRON_PORT_VERSION "1.7"
#define NEUTRON_QOS_POLICY_VERSION "1.10"

/* ---- neutron_port.c: what Neutron says, as sriovd's requests (pure) ---- */

/*
 * One P-key per VLAN segment (docs/neutron.md): the segmentation id is
 * the P-key's 15 bits, the VF a full member (0x8000). Ids 1..0x7ffe are
 * P-keys; 0x7fff is the default partition's and is refused, as 0.
 */
#define NEUTRON_PKEY_MAX 0x7ffe
int neutron_pkey_of_segment(long long segid, uint16_t *ret,
			    struct sriov_error *err);

/* Neutron's QoS in kbps to the VF's rates in Mbps, as the stock agent
 * converts them (eswitch_manager.py): 0 < kbps < 1000 is 1, else
 * kbps / 1000 rounded half up. */
unsigned neutron_kbps_to_mbps(long long kbps);

/*
 * The egress rates of a QoS policy as the resources RPC's pull answers it
 * (a QosPolicy versioned object): bandwidth_limit max_kbps, minimum_bandwidth
 * min_kbps, in Mbps (0: no such rule). Ingress rules and other rule types
 * have no VF setting and are skipped, named in @ignored (may be NULL).
 * Return: 0, or -EBADMSG when @policy is not such an object.
 */
int neutron_qos_rates(const json_t *policy, unsigned *min_mbps,
		      unsigned *max_mbps, char *ignored, size_t size,
		      struct sriov_error *err);

/* What the agent knows of a port besides its device details. */
struct neutron_port_info {
	const char *id; /* Neutron's port id */
	const char *vnic_type; /* binding:vnic_type */
	bool infiniband; /* its physnet's PFs are InfiniBand */
	const json_t *policy; /* its QoS policy (pulled), NULL when none */
};

/*
 * The bind (or update) request for a port from the device details of
 * get_devices_details_list: network and segment, MAC (or, on InfiniBand,
 * the GUID made of it and the P-key of the segment), the VF the binding
 * profile names (pci_slot), trust from the profile, spoof check from port
 * security, the link from admin_state_up (auto with
 * propagate_uplink_status), rates from the policy. Every field is checked
 * (a missing or mistyped one is named), then the request goes through
 * sriov_port_request_parse() against @cfg, as one from the API would.
 * @ret_json: the request as JSON (the caller's), NULL when not wanted
 * Return: 0, or -EINVAL / -ENOMEM with @err saying what is wrong.
 */
int neutron_port_request(const struct sriov_daemon_config *cfg,
			 const json_t *details,
			 const struct neutron_port_info *info,
			 struct sriov_port_request *ret, json_t **ret_json,
			 struct sriov_error *err);

/* A Neutron port id: a UUID as oslo's uuidutils writes it (lowercase). */
bool neutron_is_uuid(const char *s);

/* ---- neutron.c: the agent ---- */

/* Check the neutron: section beyond its shape: the transport_url as the
 * rpc layer reads it ("path:line:column: ..."). 0 when there is none. */
int neutron_check_config(const struct sriov_daemon_config *cfg,
			 struct sriov_error *err);
/* Start the agent when the configuration has a neutron: section (nothing
 * otherwise): connect, listen, report, resync. A broker that cannot be
 * reached is not an error: it is retried with back-off. */
int neutron_start(struct daemon *d, struct sriov_error *err);
void neutron_stop(struct daemon *d);
/* For the poll loop: the fd to poll (-1: none), how long the loop may
 * sleep (-1: no limit), and the step when it woke. */
int neutron_fd(const struct daemon *d);
int neutron_timeout_ms(const struct daemon *d);
void neutron_step(struct daemon *d);
/* Prometheus lines (metrics.c) */
void neutron_metrics(struct daemon *d, FILE *f);

#endif
