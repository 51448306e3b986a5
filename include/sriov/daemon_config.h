/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_DAEMON_CONFIG_H
#define SRIOV_DAEMON_CONFIG_H

/*
 * sriovd's configuration (sriovd -c FILE, YAML; docs/sriovd.md): the
 * physnets and their PFs, exclusions, drivers per vnic type, the GUID and
 * NUMA policies, where the daemon keeps its state and socket, and the
 * cluster it publishes to (docs/cluster.md). Parsed
 * by the config layer (src/lib/config/daemon_config.c) into plain data
 * that the core and the daemon read.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sriov/error.h>
#include <sriov/types.h>

enum sriov_guid_policy {
	SRIOV_GUID_ALLOCATE, /* guid_prefix + a per-host counter */
	SRIOV_GUID_GIVEN, /* the request must give one */
};

struct sriov_daemon_physnet {
	char *name;
	char **pfs; /* netdev names or PCI addresses */
	size_t n_pfs;
};

/* Neutron's exclude_devices: "<pf>:<vf>;<vf>...", a VF being its PCI
 * address or "vfN" (for VFs that have no PCI function). */
struct sriov_daemon_exclude {
	char *pf;
	char *vf;
};

/*
 * neutron: sriovd as Neutron's SR-IOV agent (docs/neutron.md). The
 * transport_url is kept as written, with where it was written: the config
 * layer reads files only, the daemon parses it with the rpc layer
 * (sriov_rpc_url_parse()) at load time and names this place in its errors.
 */
struct sriov_daemon_neutron {
	bool enabled; /* the section is in the file */
	char *transport_url;
	unsigned url_line, url_column;
	char *host; /* NULL: the machine's host name, as oslo's [DEFAULT] host */
	unsigned report_interval; /* seconds between state reports (30) */
	unsigned resync_interval; /* seconds between full resyncs; 0 = off */
	unsigned rpc_timeout; /* seconds a call waits for its reply (60) */
	char *control_exchange; /* "neutron" */
};

/* cluster.fabric: the InfiniBand fabric a physnet's PFs are cabled to. */
struct sriov_daemon_fabric {
	char *physnet;
	char *fabric;
};

/*
 * cluster: the etcd members sriovd publishes its inventory and bindings to
 * and claims GUIDs through (docs/cluster.md). No endpoints: no cluster.
 */
struct sriov_daemon_cluster {
	char **etcd; /* "http://host:port" or "https://...", no path */
	size_t n_etcd;
	char *host_id; /* default: the hostname */
	unsigned lease_ttl; /* seconds */
	char *prefix; /* the key root; NULL: SRIOV_CLUSTER_ROOT_DEFAULT */
	char *ca_file, *cert_file, *key_file; /* TLS; NULL: none */
	unsigned connect_timeout_ms, request_timeout_ms; /* per attempt */
	struct sriov_daemon_fabric *fabrics;
	size_t n_fabrics;
};

#define SRIOV_DAEMON_LEASE_TTL_DEFAULT 30
#define SRIOV_DAEMON_CONNECT_TIMEOUT_DEFAULT 500
#define SRIOV_DAEMON_REQUEST_TIMEOUT_DEFAULT 2000

struct sriov_daemon_config {
	char *path;
	struct sriov_daemon_physnet *physnets;
	size_t n_physnets;
	struct sriov_daemon_exclude *excludes;
	size_t n_excludes;
	char **whole_pfs; /* direct_physical: PFs handed over whole */
	size_t n_whole_pfs;
	enum sriov_vf_driver driver[SRIOV_VNIC_MAX];
	enum sriov_guid_policy guid_policy;
	uint8_t guid_prefix[4]; /* first four bytes of allocated GUIDs */
	enum sriov_numa_policy numa_policy; /* default of requests */
	char *state_dir;
	char *socket;
	mode_t socket_mode;
	uid_t *allowed_uids; /* besides root and sriovd's own uid */
	size_t n_allowed_uids;
	size_t max_request; /* bytes */
	unsigned check_interval; /* seconds between drift checks; 0 = off */
	char *metrics_file; /* Prometheus textfile; NULL = none */
	struct sriov_daemon_neutron neutron;
	struct sriov_daemon_cluster cluster;
};

#define SRIOV_DAEMON_CONFIG_DEFAULT "/etc/sriov/sriovd.yaml"
#define SRIOV_DAEMON_MAX_REQUEST_DEFAULT 65536

/* Defaults without a file. */
void sriov_daemon_config_init(struct sriov_daemon_config *c);
void sriov_daemon_config_release(struct sriov_daemon_config *c);
/**
 * sriov_daemon_config_load() - read and validate sriovd's YAML configuration
 * @text: the file's contents when not NULL (tests), else @path is read: a
 *	regular file of at most 4 MiB (else -EFBIG, -EISDIR or -EINVAL)
 *
 * Every error is reported as "path:line:column: message". Return: 0 or
 * -errno; @c is filled only on success.
 */
int sriov_daemon_config_load(const char *path, const char *text,
			     struct sriov_daemon_config *c,
			     struct sriov_error *err);
/**
 * sriov_daemon_config_defaults() - the configuration of a host whose file
 * is not written yet: no physnets (nothing to bind), every default
 * @path: the file it stands for, in messages
 *
 * Return: 0 or -ENOMEM.
 */
int sriov_daemon_config_defaults(const char *path,
				 struct sriov_daemon_config *c,
				 struct sriov_error *err);
/* The physnet that lists @pf, or NULL. */
const char *sriov_daemon_config_physnet_of(const struct sriov_daemon_config *c,
					   const char *pf);
/* Is @pf listed under direct_physical (may be handed over whole)? */
bool sriov_daemon_config_whole_pf(const struct sriov_daemon_config *c,
				  const char *pf);
/* Is a cluster configured (cluster.etcd given)? */
bool sriov_daemon_config_clustered(const struct sriov_daemon_config *c);
/* The fabric of InfiniBand physnet @physnet: cluster.fabric's, else the
 * physnet's own name. */
const char *sriov_daemon_config_fabric_of(const struct sriov_daemon_config *c,
					  const char *physnet);
bool sriov_daemon_config_excluded(const struct sriov_daemon_config *c,
				  const char *pf, unsigned index,
				  const char *address);

#endif
