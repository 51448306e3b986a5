/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_PORT_H
#define SRIOV_PORT_H

/*
 * Ports: a workload's network attachment bound to a VF. This header holds
 * what sriovd and sriovctl share: the bind request and its validation, the
 * bind and unbind transactions (one call each, driven by sriovd's API, the
 * Neutron agent and ebrctl alike), recovery and the drift check, the VF
 * operations of a port's life they are made of (save the original state,
 * configure, restore, scrub, check for drift), and the libvirt XML that
 * hands the VF to a VM.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sriov/cluster.h>
#include <sriov/daemon_config.h>
#include <sriov/error.h>
#include <sriov/store.h>
#include <sriov/types.h>
#include <sriov/vf.h>

struct json_t;

/* ---- a bind request ---- */

struct sriov_port_request {
	char id[128];
	char physnet[64];
	char pf[64]; /* empty: any PF of the physnet */
	enum sriov_vnic_type vnic;
	bool has_vlan;
	uint16_t vlan;
	uint8_t qos;
	uint16_t vlan_proto; /* host order */
	bool has_pkey;
	uint16_t pkey; /* membership bit included, as the VF's table gets it */
	/* network.membership: what the fabric makes the port's GUID in the
	 * partition; without it, what the P-key's bit says */
	enum sriov_membership membership;
	bool has_mac;
	uint8_t mac[6];
	bool has_guid;
	uint64_t guid;
	bool trusted;
	bool spoofchk;
	bool has_rates;
	uint32_t min_tx_rate, max_tx_rate;
	enum sriov_numa_policy numa;
	int numa_node; /* -1: none */
	/* "bind this exact VF" (the VF Nova chose): its PCI address, or
	 * "PF:vfN" for a VF with no PCI function; empty: any free VF */
	char pci_slot[96];
	char device_id[64]; /* the instance that holds the port (Nova's) */
	/* InfiniBand: the GUID (has_guid, guid) was made of this MAC */
	bool has_guid_mac;
	uint8_t guid_mac[6];
	/* the VF's link while bound: enable unless given (disable for a
	 * Neutron port with admin_state_up false, auto to follow the PF) */
	bool has_link_state;
	enum sriov_vf_link_state link_state;
};

/**
 * sriov_port_request_parse() - validate a port.bind request's "port"
 * @cfg: to check the physnet and the PF against
 *
 * Nothing is touched; every field is checked before the first VF is.
 * Return: 0, or -EINVAL with a message naming the field and what is
 * accepted.
 */
int sriov_port_request_parse(const struct json_t *obj,
			     const struct sriov_daemon_config *cfg,
			     struct sriov_port_request *ret,
			     struct sriov_error *err);
/* The request as stored (JSON text, owned by the caller). */
char *sriov_port_request_dump(const struct sriov_port_request *r);

/* ---- VF operations of a port's life ---- */

/* A VF as the port code needs it: the PF resolved, and the VF's index. */
struct sriov_port_vf {
	struct sriov_pf_ref pf;
	bool whole; /* the PF itself (direct-physical); index unused */
	unsigned index;
	bool infiniband; /* the PF is ARPHRD_INFINIBAND */
	char address[64]; /* PCI address, empty when none */
};

int sriov_port_vf_open(struct sriov_root *root, struct sriov_nl *nl,
		       const char *pf, unsigned index,
		       struct sriov_port_vf *ret, struct sriov_error *err);

/* Read the VF's current state (settings, driver, netdev name). */
int sriov_port_read(struct sriov_root *root, struct sriov_nl *nl,
		    const struct sriov_port_vf *vf,
		    struct sriov_saved_state *ret, struct sriov_error *err);

/**
 * sriov_port_apply() - configure the VF for the port and read it back
 * @guid: the GUID to give an InfiniBand VF (node and port)
 *
 * Settings first, then the driver. Return: 0, or the first error with the
 * attribute named.
 */
int sriov_port_apply(struct sriov_root *root, struct sriov_nl *nl,
		     const struct sriov_port_vf *vf,
		     const struct sriov_port_request *req, uint64_t guid,
		     enum sriov_vf_driver drv, struct sriov_error *err);

/* The settings of @req that differ from the kernel's; a mask of
 * SRIOV_VF_BIT(attr); <0 on read errors. */
int sriov_port_drift(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		     const struct sriov_port_request *req, uint64_t guid,
		     struct sriov_error *err);

/* Put back what was saved: driver first, then the settings. */
int sriov_port_restore(struct sriov_root *root, struct sriov_nl *nl,
		       const struct sriov_port_vf *vf,
		       const struct sriov_saved_state *st,
		       struct sriov_error *err);

/*
 * mlx4 (ConnectX-3) P-keys: the PF driver maps each VF's virtual P-key
 * table onto the port's physical one (include/sriov/ib.h). Each function
 * returns 0 without touching anything when the VF's PF is not an
 * InfiniBand PF with an mlx4 iov/ tree.
 */
/**
 * sriov_port_mlx4_pkey_save() - the VF's mapping, to be restored later
 * @buf: "virt:phys,..." of the slots that map somewhere ("" = all none)
 * Return: 1 when saved (an mlx4 VF), 0 when not mlx4, -errno.
 */
int sriov_port_mlx4_pkey_save(struct sriov_root *root,
			      const struct sriov_port_vf *vf, char *buf,
			      size_t size, struct sriov_error *err);
/* Give the VF exactly @pkey (membership bit included) at virtual index 0,
 * every other slot none; read back. 1 when set, 0 when not mlx4. */
int sriov_port_mlx4_pkey_apply(struct sriov_root *root,
			       const struct sriov_port_vf *vf, uint16_t pkey,
			       struct sriov_error *err);
/* Write back a mapping from sriov_port_mlx4_pkey_save() slot by slot (the
 * slots it does not name: none) and read it back. */
int sriov_port_mlx4_pkey_restore(struct sriov_root *root,
				 const struct sriov_port_vf *vf,
				 const char *saved, struct sriov_error *err);
/* Every slot none (the VF is in no partition), read back; -EIO naming the
 * slot that did not read back so. */
int sriov_port_mlx4_pkey_scrub(struct sriov_root *root,
			       const struct sriov_port_vf *vf,
			       struct sriov_error *err);
/**
 * sriov_port_mlx4_pkey_drift() - is the VF's mapping still the port's?
 * @has_pkey: the port has a P-key; without one every slot must be none
 * @pkey: the port's P-key (membership bit included)
 *
 * Compares the VF's virtual table with what sriov_port_mlx4_pkey_apply()
 * (or, without a P-key, sriov_port_mlx4_pkey_scrub()) would leave given the
 * physical table as it is now; nothing is written. Return: 0 when it is
 * exactly that (or the PF is not mlx4), 1 when not, @err naming the first
 * slot that differs, what it maps to and what it should (or that the
 * subnet manager no longer has the P-key in the port's table), <0 on read
 * errors.
 */
int sriov_port_mlx4_pkey_drift(struct sriov_root *root,
			       const struct sriov_port_vf *vf, bool has_pkey,
			       uint16_t pkey, struct sriov_error *err);

/* The GUID a scrubbed InfiniBand VF carries: all ones, never valid. */
#define SRIOV_GUID_INVALID UINT64_MAX

/**
 * sriov_port_scrub() - leave the VF in the quarantine state, verified
 *
 * No VLAN (0, qos 0, 802.1Q), MAC zero, trust off, spoofchk on where the
 * driver has it, link disabled, GUIDs invalid on InfiniBand; then read
 * back. Return: 0 when every setting reads back so, else -EIO naming what
 * did not.
 */
int sriov_port_scrub(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		     struct sriov_error *err);
/* 1 when the VF reads back in the quarantine state, 0 when not (@err says
 * what differs), <0 on read errors. */
int sriov_port_is_scrubbed(struct sriov_nl *nl, const struct sriov_port_vf *vf,
			   struct sriov_error *err);

/**
 * sriov_port_libvirt_xml() - the XML that attaches the VF to a domain
 *
 * libvirt sets the VF's MAC and VLAN (tag or 0, qos 0, 802.1Q) again when
 * the domain starts for both <interface> forms, so they are answered only
 * when that is what sriovd set. Ethernet direct: <interface type='hostdev'>
 * with MAC and VLAN tag, or, for a qos or 802.1ad port, a plain <hostdev>
 * that libvirt does not reconfigure; macvtap: <interface type='direct'> on
 * the VF netdev with MAC and VLAN tag; InfiniBand and direct-physical:
 * <hostdev>. Return: a malloc'd string, or NULL with -ENOENT in @err when
 * the VF has no PCI function (or netdev, for macvtap) to hand over,
 * -EOPNOTSUPP for a macvtap port with qos or 802.1ad (no XML keeps them).
 */
char *sriov_port_libvirt_xml(const struct sriov_port_request *req,
			     const char *address, const char *netdev,
			     bool infiniband, struct sriov_error *err);

/*
 * A whole PF (vnic_type direct-physical): handed to vfio-pci when it has no
 * VFs and its netdev is not up with addresses; given back to the driver it
 * had, its netdev renamed back. sriov_port_read() reads its driver and
 * netdev name when @vf->whole.
 */
/* @address, when the PCI function exists, wins over @pf: a PF on vfio-pci
 * has no netdev to be found by. */
int sriov_port_pf_open(struct sriov_root *root, const char *pf,
		       const char *address, struct sriov_port_vf *ret,
		       struct sriov_error *err);
/* Check it is idle (no VFs, netdev not in use), then bind @drv; 0 when it
 * already is on vfio-pci. -EBUSY naming what holds it. */
int sriov_port_pf_hand_over(struct sriov_root *root,
			    const struct sriov_port_vf *vf,
			    enum sriov_vf_driver drv, struct sriov_error *err);
/* The saved driver back (by name), then the netdev's saved name. */
int sriov_port_pf_restore(struct sriov_root *root,
			  const struct sriov_port_vf *vf,
			  const struct sriov_saved_state *st,
			  struct sriov_error *err);
/* Quarantine state of a PF: not on vfio-pci, no driver_override left. */
int sriov_port_pf_scrub(struct sriov_root *root, const struct sriov_port_vf *vf,
			struct sriov_error *err);
/* 1 scrubbed, 0 not (@err says why), <0 on read errors. */
int sriov_port_pf_is_scrubbed(struct sriov_root *root,
			      const struct sriov_port_vf *vf,
			      struct sriov_error *err);
/* 1 when a handed-over PF is no longer on @drv's driver (@err says). */
int sriov_port_pf_drift(struct sriov_root *root, const struct sriov_port_vf *vf,
			enum sriov_vf_driver drv, struct sriov_error *err);

/**
 * sriov_guid_from_mac() - eswitchd's GUID of a port's MAC
 *
 * aa:bb:cc:dd:ee:ff gives aa:bb:cc:00:00:dd:ee:ff (networking-mlnx's
 * eswitchd, for mlx4 and mlx5 alike; it sets it as node and port GUID),
 * so a VF moved from eswitchd keeps its GUID and whoever knows the MAC
 * (Nova's ebrctl call, a Neutron port) knows the GUID.
 */
uint64_t sriov_guid_from_mac(const uint8_t mac[6]);

/* Format a GUID allocated under @prefix with @counter. */
uint64_t sriov_port_guid_alloc(const uint8_t prefix[4], uint32_t counter);

/* ---- the transactions: bind and unbind, one call each ---- */

/*
 * What the transactions tell their caller besides the answer, as they go:
 * the library does not log, the caller logs each message once (at @level,
 * syslog's LOG_ERR, LOG_WARNING or LOG_INFO) and counts the events.
 */
enum sriov_port_event {
	SRIOV_PORT_EVENT_LOG, /* a message; nothing to count */
	/* a bind or unbind has its journal entry, nothing is touched yet:
	 * "bind port X: journal N started on pf P vf V" */
	SRIOV_PORT_EVENT_STARTED,
	SRIOV_PORT_EVENT_QUARANTINED, /* a VF (or whole PF) quarantined */
	SRIOV_PORT_EVENT_RECOVERED, /* a journal entry a crash left open */
	SRIOV_PORT_EVENT_REPAIRED, /* drift put right */
	SRIOV_PORT_EVENT_REPORTED, /* drift (or a port unreadable) left */
	/* a publication, deletion or GUID release the cluster store did not
	 * take: sriov_port_cluster_sync() puts it right later */
	SRIOV_PORT_EVENT_CLUSTER_PENDING,
	/* a GUID claim lost to another port; the next GUID is tried */
	SRIOV_PORT_EVENT_GUID_RACE,
	/* a bound port's GUID is claimed by another port (its claim went
	 * with an expired lease): reported, not published */
	SRIOV_PORT_EVENT_GUID_CONFLICT,
};

/* What the caller lends a transaction; every member may be NULL. */
struct sriov_port_hooks {
	void *userdata;
	/* @msg: one line to log; NULL when the event is only counted */
	void (*event)(void *userdata, enum sriov_port_event ev, int level,
		      const char *msg);
	/* between two steps of a bind or unbind (fault injection) */
	void (*step)(void *userdata);
	/* a GUID held elsewhere than in the store's ports (those are always
	 * checked), by another port than @port_id */
	bool (*guid_in_use)(void *userdata, uint64_t guid, const char *port_id);
	/* re-read the host into the store when no VF was free; default
	 * sriov_port_sync() */
	int (*sync)(void *userdata, struct sriov_error *err);
	/* the cluster store answers and the lease lives (an InfiniBand bind
	 * asks before its journal entry); default: one lease keepalive */
	int (*cluster_ready)(void *userdata, struct sriov_error *err);
};

/*
 * The cluster a host publishes to (docs/cluster.md): its etcd client, the
 * key schema, its id and lease, all the caller's. Bindings are published
 * with the lease and GUIDs claimed through the store before a VF gets
 * them. lease 0: no lease yet (the store has not answered).
 */
struct sriov_port_cluster {
	struct sriov_etcd *etcd;
	struct sriov_cluster_keys keys;
	char host[SRIOV_CLUSTER_ID_MAX];
	int64_t lease;
	/* the last call got no answer (set by the transactions too): a
	 * publication does not wait for the timeouts again, it is left to
	 * sriov_port_cluster_sync(); an InfiniBand bind asks cluster_ready */
	bool unreachable;
};

/* Everything a transaction runs on, owned by the caller; all but the
 * hooks and the cluster required. */
struct sriov_port_ctx {
	struct sriov_root *root;
	struct sriov_nl *nl;
	struct sriov_store *store;
	const struct sriov_daemon_config *cfg; /* physnets, drivers, GUIDs */
	struct sriov_port_hooks hooks;
	struct sriov_port_cluster *cluster; /* NULL: a host on its own */
};

/* A finished bind: what the caller answers with. */
struct sriov_port_bound {
	int64_t seq; /* its journal entry */
	char pf[64]; /* as named in the config */
	bool whole; /* the PF itself (direct-physical); vf unused */
	unsigned vf;
	char address[64]; /* PCI address, "" when none */
	char physnet[64];
	int numa_node; /* -1 when unknown */
	bool infiniband;
	uint64_t guid; /* InfiniBand: the GUID given or allocated */
	char mac[64], netdev[64]; /* whole: the PF's own, as saved */
	char *libvirt_xml; /* owned; NULL when none, and then: */
	char libvirt_xml_note[SRIOV_ERROR_MSG_MAX];
};
void sriov_port_bound_release(struct sriov_port_bound *b);

/**
 * sriov_port_bind() - bind a port to a free VF of its network
 * @req: validated by sriov_port_request_parse() against @ctx->cfg
 * @ret: written only on success; release with sriov_port_bound_release()
 *
 * The whole transaction: check that the request fits the network (its
 * link type, the GUID policy, a GUID no other port holds), allocate the
 * VF and write the journal entry in one store transaction, save the VF's
 * state, configure it and read it back, mark the port bound. Nothing is
 * written before the checks pass; once the journal entry exists every
 * failure is rolled back through it (restore, scrub, free or quarantine).
 * Return: 0, or -errno with @err naming what was refused.
 */
int sriov_port_bind(struct sriov_port_ctx *ctx,
		    const struct sriov_port_request *req,
		    struct sriov_port_bound *ret, struct sriov_error *err);

/* A finished unbind. */
struct sriov_port_unbound {
	int64_t seq; /* its journal entry */
	char pf[64];
	bool whole;
	unsigned vf;
	enum sriov_vf_state state; /* SRIOV_VF_FREE or SRIOV_VF_QUARANTINED */
};

/**
 * sriov_port_unbind() - give a port's VF back, scrubbed
 *
 * Journal the intent, restore the saved driver and settings, scrub to the
 * quarantine state and read it back; the VF is then free, or quarantined
 * when the restore or the scrub did not read back.
 * Return: 0 (@ret says which), -ENOENT when there is no such port.
 */
int sriov_port_unbind(struct sriov_port_ctx *ctx, const char *id,
		      struct sriov_port_unbound *ret, struct sriov_error *err);

/**
 * sriov_port_update() - change a bound port's settings, its VF kept
 * @req: validated by sriov_port_request_parse(); @req->id names the port
 *
 * What may change while the workload holds the VF: VLAN (QoS, protocol),
 * P-key, MAC, trust, spoof check, rates, link state. The network, vnic
 * type, PF and GUID are the port's for its life: a request that changes
 * one is refused. The new request is stored, applied and read back (the
 * driver untouched), and journaled as a repair; when the kernel refuses
 * it, the old one is stored and applied again. The same request again
 * writes only what drifted.
 * Return: 0; -ENOENT no such port; -EBUSY the port is not bound (yet or
 * any more); -EINVAL a change that needs a new bind; the kernel's error.
 */
int sriov_port_update(struct sriov_port_ctx *ctx,
		      const struct sriov_port_request *req,
		      struct sriov_error *err);

/**
 * sriov_port_recover() - finish what a crash left half done
 *
 * Every journal entry still 'started': a bind is rolled back, an unbind
 * finished, both through the unbind's own steps. Return: 0, or -errno
 * when the journal cannot be read (each entry's own failure is an event).
 */
int sriov_port_recover(struct sriov_port_ctx *ctx, struct sriov_error *err);

/**
 * sriov_port_sync() - record the host's VFs (and whole PFs) in the store
 * @ret_ifindex: the ifindexes of the PFs found, whose links a caller may
 *               follow (malloc'd); NULL when not wanted
 *
 * New VFs are free; VFs that vanished, or whose PF left the config, are
 * excluded; a PF under direct_physical is offered whole while it has no
 * VFs. A state or an owner is never changed here. Return: 0 or -errno
 * (a PF that cannot be read is an event, not an error).
 */
int sriov_port_sync(struct sriov_port_ctx *ctx, int **ret_ifindex,
		    size_t *ret_n, struct sriov_error *err);

/* What sriov_port_cluster_sync() did. */
struct sriov_port_cluster_stats {
	unsigned published; /* ports/ put */
	unsigned deleted; /* ports/ and guids/ of this host it no longer holds */
	unsigned conflicts; /* bound ports whose GUID another port claims */
};

/**
 * sriov_port_cluster_sync() - make the cluster say what the store holds
 * @version: sriovd's, for hosts/<id>
 *
 * Republishes the host's inventory and every bound port from the store
 * (an InfiniBand port's GUID claimed again first, with the current
 * lease), then deletes the ports/ and guids/ keys of this host that no
 * bound port holds any more (a bind rolled back, an unbind whose deletion
 * did not reach the store). A port whose GUID another port claims is a
 * conflict event and is not published. Return: 0, or -errno of the first
 * call the store did not answer (nothing is left half done: run it again).
 */
int sriov_port_cluster_sync(struct sriov_port_ctx *ctx, const char *version,
			    struct sriov_port_cluster_stats *ret,
			    struct sriov_error *err);
/* hosts/<id>: the PFs of the config with their VFs by state. */
int sriov_port_cluster_publish_host(struct sriov_port_ctx *ctx,
				    const char *version,
				    struct sriov_error *err);
/**
 * sriov_port_cluster_pf_guid() - the PF port GUID an mlx4 VF goes through
 * @ret: mlx4 (ConnectX-3, an iov/ tree): the PF port's GUID, which the
 *       subnet manager sees and whose P-key table it programs, the VF's
 *       own GUID being an alias behind it (the port's pf_guid in
 *       docs/cluster.md); every other VF (mlx5: a port of its own): 0
 */
int sriov_port_cluster_pf_guid(struct sriov_root *root,
			       const struct sriov_port_vf *vf, uint64_t *ret,
			       struct sriov_error *err);

/**
 * sriov_port_check() - compare the store with the kernel, repair drift
 *
 * A bound VF whose settings (or mlx4 P-key table) differ from its port's
 * is configured again with the bind's own steps, a handed-over PF off
 * vfio-pci handed over again, each a 'repair' in the journal; a free VF
 * not in the quarantine state is scrubbed again, one whose scrub fails
 * quarantined. Everything it finds is told as events.
 */
void sriov_port_check(struct sriov_port_ctx *ctx);

#endif
