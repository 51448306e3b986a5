/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_PORT_H
#define SRIOV_PORT_H

/*
 * Ports: a workload's network attachment bound to a VF. This header holds
 * what sriovd and sriovctl share: the bind request and its validation, the VF operations of a port's life (save the
 * original state, configure, restore, scrub, check for drift), and the
 * libvirt XML that hands the VF to a VM.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	uint16_t pkey;
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
 * Ethernet direct: <interface type='hostdev'> with MAC and VLAN; macvtap:
 * <interface type='direct'> on the VF netdev; InfiniBand and
 * direct-physical: <hostdev>. Return: a malloc'd string, or NULL with
 * -ENOENT in @err when the VF has no PCI function to hand over.
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

/* Format a GUID allocated under @prefix with @counter. */
uint64_t sriov_port_guid_alloc(const uint8_t prefix[4], uint32_t counter);

#endif
