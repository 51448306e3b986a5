/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_VF_H
#define SRIOV_VF_H

/*
 * Virtual functions: the PF's VF count and driver binding (sysfs), and the
 * per-VF settings the PF driver keeps (rtnetlink, IFLA_VFINFO_LIST on the
 * PF). Settings are sent one RTM_SETLINK per VF per attribute, so an
 * attribute the driver refuses is reported for that attribute alone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/error.h>
#include <sriov/root.h>
#include <sriov/types.h>

/* One bit per setting, in the order they are sent. */
enum sriov_vf_attr {
	SRIOV_VF_MAC,
	SRIOV_VF_VLAN, /* vlan, qos and proto travel together */
	SRIOV_VF_SPOOFCHK,
	SRIOV_VF_TRUST,
	SRIOV_VF_LINK_STATE,
	SRIOV_VF_MIN_TX_RATE, /* min and max travel together (IFLA_VF_RATE) */
	SRIOV_VF_MAX_TX_RATE,
	SRIOV_VF_RSS_QUERY,
	SRIOV_VF_NODE_GUID,
	SRIOV_VF_PORT_GUID,
	SRIOV_VF_ATTR_MAX,
};
#define SRIOV_VF_BIT(a) (1u << (a))

enum sriov_vf_link_state {
	SRIOV_VF_LINK_AUTO = 0, /* IFLA_VF_LINK_STATE_AUTO */
	SRIOV_VF_LINK_ENABLE = 1,
	SRIOV_VF_LINK_DISABLE = 2,
};

#define SRIOV_ETH_P_8021Q 0x8100
#define SRIOV_ETH_P_8021AD 0x88a8
#define SRIOV_VF_MAC_MAX 32 /* sizeof(ifla_vf_mac.mac) */
#define SRIOV_INFINIBAND_ALEN 20

/* Desired settings of one VF; only the attributes in @mask are sent. */
struct sriov_vf_config {
	uint32_t vf;
	uint32_t mask; /* SRIOV_VF_BIT(attr) */
	uint8_t mac[SRIOV_VF_MAC_MAX];
	uint8_t mac_len; /* 6 (Ethernet) or 20 (InfiniBand) */
	uint16_t vlan; /* 0..4095, 0 removes the VLAN */
	uint8_t qos; /* 0..7 */
	uint16_t vlan_proto; /* host order: SRIOV_ETH_P_8021Q or _8021AD */
	bool spoofchk;
	bool trust;
	bool rss_query;
	enum sriov_vf_link_state link_state;
	uint32_t min_tx_rate; /* Mbit/s, 0 = no limit */
	uint32_t max_tx_rate;
	/* max_tx_rate came from ip link's "rate": alone, it is sent as
	 * IFLA_VF_TX_RATE, and the kernel keeps the minimum */
	bool legacy_rate;
	uint64_t node_guid; /* first printed byte most significant */
	uint64_t port_guid;
};

/* A VF's traffic counters as its PF driver reports them (IFLA_VF_STATS). */
struct sriov_vf_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t broadcast;
	uint64_t multicast;
	uint64_t rx_dropped;
	uint64_t tx_dropped;
};

/* Which counters of struct sriov_vf_stats the kernel sent. */
enum {
	SRIOV_VF_STAT_RX_PACKETS = 1 << 0,
	SRIOV_VF_STAT_TX_PACKETS = 1 << 1,
	SRIOV_VF_STAT_RX_BYTES = 1 << 2,
	SRIOV_VF_STAT_TX_BYTES = 1 << 3,
	SRIOV_VF_STAT_BROADCAST = 1 << 4,
	SRIOV_VF_STAT_MULTICAST = 1 << 5,
	SRIOV_VF_STAT_RX_DROPPED = 1 << 6,
	SRIOV_VF_STAT_TX_DROPPED = 1 << 7,
};

/* One VF as the kernel reports it (RTM_NEWLINK, IFLA_VF_INFO). */
struct sriov_vf_info {
	uint32_t vf;
	uint32_t present; /* SRIOV_VF_BIT(attr) of what the kernel reported */
	uint8_t mac[SRIOV_VF_MAC_MAX];
	uint8_t mac_len; /* the PF's address length: 6, or 20 on IB */
	uint8_t broadcast[SRIOV_VF_MAC_MAX];
	bool has_broadcast;
	uint32_t vlan;
	uint32_t qos;
	uint16_t vlan_proto; /* host order */
	/* -1 when the driver does not report the setting */
	int32_t spoofchk;
	int32_t trust;
	int32_t rss_query;
	uint32_t link_state;
	uint32_t min_tx_rate;
	uint32_t max_tx_rate;
	uint64_t node_guid;
	uint64_t port_guid;
	/* only from sriov_vf_read_stats(); 0 when the kernel sent none */
	uint32_t stats_present; /* SRIOV_VF_STAT_* */
	struct sriov_vf_stats stats;
};

/* A PF link and its VFs as read back over rtnetlink. */
struct sriov_link_vfs {
	int ifindex;
	char ifname[16];
	uint16_t type; /* ARPHRD_* */
	uint8_t addr_len;
	bool has_num_vf;
	uint32_t num_vf;
	size_t n_vfs;
	struct sriov_vf_info *vfs; /* owned; sriov_link_vfs_release() */
};
void sriov_link_vfs_release(struct sriov_link_vfs *l);

/* Parsing of the ip-link style values, shared by the CLI and apply. */
int sriov_parse_mac(const char *s, struct sriov_vf_config *cfg,
		    struct sriov_error *err);
void sriov_format_mac(const uint8_t *mac, size_t len, char *buf, size_t size);
const char *sriov_vf_attr_name(enum sriov_vf_attr a);
const char *sriov_vf_link_state_name(uint32_t s);

/**
 * sriov_vf_config_set() - set one keyword of an ip-link style VF setting
 * @cfg: accumulates the settings; @key is mac, vlan, qos, proto, spoofchk,
 *       trust, state, min_tx_rate, max_tx_rate, rate (ip link's legacy
 *       maximum; max_tx_rate overrides it), query_rss, node_guid or
 *       port_guid
 *
 * Only validates and records; nothing is sent. Return: 0 or -EINVAL with a
 * message naming the value and what is accepted.
 */
int sriov_vf_config_set(struct sriov_vf_config *cfg, const char *key,
			const char *val, struct sriov_error *err);
/* Cross-field checks (qos or proto without vlan, min > max). */
int sriov_vf_config_check(const struct sriov_vf_config *cfg,
			  struct sriov_error *err);

/* rtnetlink handle; one per thread. */
struct sriov_nl;

/**
 * sriov_nl_open() - the rtnetlink handle of the host behind @root
 * @root: the live /sys gives a NETLINK_ROUTE socket; any other root (see
 *        sriov_root_is_live()) gives a handle that opens no socket:
 *        sriov_vf_read() answers from the RTM_NEWLINK recorded for each
 *        netdev in sriov_root_netlink_path() (IFNAME.nlmsg, matched by the
 *        tree's ifindex), and every change (sriov_vf_set()) is refused with
 *        -EROFS, so a captured or fake tree never reaches the live kernel
 * @ret: the handle, owned by the caller (sriov_nl_close())
 */
int sriov_nl_open(struct sriov_root *root, struct sriov_nl **ret,
		  struct sriov_error *err);
void sriov_nl_close(struct sriov_nl *nl);

/**
 * sriov_vf_read() - RTM_GETLINK on the PF with RTEXT_FILTER_VF
 * @ret: filled on success; release with sriov_link_vfs_release()
 *
 * On a replaying handle: the recorded answer; -ENOENT with the missing
 * file named when the PF has none.
 */
int sriov_vf_read(struct sriov_nl *nl, int pf_ifindex,
		  struct sriov_link_vfs *ret, struct sriov_error *err);

/**
 * sriov_vf_read_stats() - sriov_vf_read() with the VFs' traffic counters
 *
 * The same RTM_GETLINK without RTEXT_FILTER_SKIP_STATS, so the kernel
 * adds IFLA_VF_STATS to every VF (a larger answer, and the PF driver is
 * asked for counters: use it when they are wanted, not for settings).
 */
int sriov_vf_read_stats(struct sriov_nl *nl, int pf_ifindex,
			struct sriov_link_vfs *ret, struct sriov_error *err);

/* The outcome of one attribute of sriov_vf_set(). */
struct sriov_vf_result {
	uint32_t sent; /* attributes sent */
	uint32_t failed; /* attributes the kernel refused */
	int code[SRIOV_VF_ATTR_MAX];
	char msg[SRIOV_VF_ATTR_MAX][160]; /* kernel extended-ack text */
};

/**
 * sriov_vf_set() - send the settings in @cfg, one RTM_SETLINK per attribute
 * @cur: the VF as read back (to keep the other rate bound); may be NULL,
 *       then a lone rate bound is read first
 * @res: per-attribute outcome; may be NULL
 *
 * Every attribute is tried. Return: 0 when all succeeded, else the first
 * error, with @err naming the attribute and the kernel's text. On a
 * replaying handle (a root that is not the live /sys) nothing is sent:
 * -EROFS, every attribute failed, and @err says why.
 */
int sriov_vf_set(struct sriov_nl *nl, int pf_ifindex,
		 const struct sriov_vf_config *cfg,
		 const struct sriov_vf_info *cur, struct sriov_vf_result *res,
		 struct sriov_error *err);

/* A PF named by netdev name or PCI address. */
struct sriov_pf_ref {
	char ifname[16]; /* empty when the PF has no netdev */
	int ifindex; /* 0 when the PF has no netdev */
	char bus[32]; /* "pci", "netdevsim", ... */
	char dev[64]; /* device name on that bus: 0000:41:00.0 */
};

/* Resolve @name (netdev name or PCI address) through the rooted sysfs. */
int sriov_pf_resolve(struct sriov_root *root, const char *name,
		     struct sriov_pf_ref *ret, struct sriov_error *err);
int sriov_pf_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned *numvfs, unsigned *totalvfs,
		    struct sriov_error *err);

enum {
	SRIOV_NUMVFS_NO_AUTOPROBE = 1 << 0, /* leave new VFs unbound */
};

/**
 * sriov_pf_set_numvfs() - set the VF count and wait for the VFs
 * @timeout_ms: how long to wait for virtfnN links and VF netdevs
 *
 * Checks sriov_totalvfs, goes through 0 between two non-zero counts.
 * Return: 1 when changed, 0 when already so, -errno with a message saying
 * what to do.
 */
int sriov_pf_set_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
			unsigned n, unsigned flags, unsigned timeout_ms,
			struct sriov_error *err);

/* The PCI address of VF @vf (virtfnN); -ENOENT when there is none. */
int sriov_vf_pci(struct sriov_root *root, const struct sriov_pf_ref *pf,
		 unsigned vf, char *buf, size_t size, struct sriov_error *err);
/* The driver bound to VF @vf, or an empty string. */
int sriov_vf_driver(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned vf, char *buf, size_t size,
		    struct sriov_error *err);

/**
 * sriov_vf_bind() - bind VF @vf to vfio-pci, its default driver, or none
 * @force: rebind even when the VF's netdev is up and has addresses
 *
 * Return: 1 when changed, 0 when already so, -errno.
 */
int sriov_vf_bind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		  unsigned vf, enum sriov_vf_driver drv, bool force,
		  struct sriov_error *err);
/**
 * sriov_vf_rebind() - unbind VF @vf from its driver and bind it again
 * @timeout_ms: how long to wait for its netdev to come back
 *
 * What InfiniBand VF drivers need to see new node/port GUIDs. The VF's
 * netdev keeps its name (renamed back if the probe named it otherwise).
 * Return: 1 when rebound, 0 when there is nothing to rebind (the PF is not
 * on PCI, e.g. netdevsim, or the VF is unbound), -errno.
 */
int sriov_vf_rebind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned vf, unsigned timeout_ms, struct sriov_error *err);

#endif
