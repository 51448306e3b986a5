/* SPDX-License-Identifier: MIT */
/* A port's VF: read its state, configure it, check it, restore it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if_arp.h>

#include <sriov/ib.h>
#include <sriov/port.h>
#include "core/pf.h"
#include "core/port_txn.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

bool port_pf_infiniband(struct sriov_root *root, const struct sriov_pf_ref *pf)
{
	int type;

	return pf->ifname[0] &&
	       fs_read_int(root->sys_fd, SP("class/net", pf->ifname, "type"),
			   &type) == 0 &&
	       type == ARPHRD_INFINIBAND;
}

int sriov_port_vf_open(struct sriov_root *root, struct sriov_nl *nl,
		       const char *pf, unsigned index,
		       struct sriov_port_vf *ret, struct sriov_error *err)
{
	struct sriov_port_vf v = { .index = index };
	unsigned numvfs = 0, total = 0;
	int r;

	r = sriov_pf_resolve(root, pf, &v.pf, err);
	if (r < 0)
		return r;
	r = sriov_pf_numvfs(root, &v.pf, &numvfs, &total, err);
	if (r < 0)
		return r;
	if (index >= numvfs)
		return sriov_error_set(err, -ENOENT,
				       "%s has %u VFs; there is no vf %u", pf,
				       numvfs, index);
	v.infiniband = port_pf_infiniband(root, &v.pf);
	if (sriov_vf_pci(root, &v.pf, index, v.address, sizeof(v.address),
			 NULL) < 0)
		v.address[0] = '\0';
	*ret = v;
	return 0;
}

static int read_info(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		     struct sriov_vf_info *ret, struct sriov_error *err)
{
	struct sriov_link_vfs l = { 0 };
	int r;

	r = sriov_vf_read(nl, vf->pf.ifindex, &l, err);
	if (r < 0)
		return r;
	r = sriov_error_set(err, -ENOENT, "%s: the kernel reports no vf %u",
			    vf->pf.ifname, vf->index);
	for (size_t i = 0; i < l.n_vfs; i++)
		if (l.vfs[i].vf == vf->index) {
			*ret = l.vfs[i];
			sriov_error_clear(err);
			r = 0;
			break;
		}
	sriov_link_vfs_release(&l);
	return r;
}

int sriov_port_read(struct sriov_root *root, struct sriov_nl *nl,
		    const struct sriov_port_vf *vf,
		    struct sriov_saved_state *st, struct sriov_error *err)
{
	int r;

	if (vf->whole)
		return port_pf_read(root, vf, st, err);
	memset(st, 0, sizeof(*st));
	st->spoofchk = st->trust = -1;
	st->vlan_proto = SRIOV_ETH_P_8021Q;
	if (vf->pf.ifindex > 0) {
		struct sriov_vf_info vi;

		r = read_info(nl, vf, &vi, err);
		if (r < 0)
			return r;
		sriov_format_mac(vi.mac, vi.mac_len, st->mac, sizeof(st->mac));
		st->vlan = vi.vlan;
		st->qos = vi.qos;
		st->vlan_proto = vi.vlan_proto ?: SRIOV_ETH_P_8021Q;
		st->spoofchk = vi.spoofchk;
		st->trust = vi.trust;
		st->link_state = vi.link_state;
		st->min_tx_rate = vi.min_tx_rate;
		st->max_tx_rate = vi.max_tx_rate;
		st->has_guids =
			!!(vi.present & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID));
		st->node_guid = vi.node_guid;
		st->port_guid = vi.port_guid;
	}
	if (vf->address[0]) {
		r = sriov_vf_driver(root, &vf->pf, vf->index, st->driver,
				    sizeof(st->driver), err);
		if (r < 0)
			return r;
		pf_fn_netdev(root, vf->address, st->netdev, sizeof(st->netdev));
	}
	return 0;
}

/* The settings a port asks of its VF, in sriov_vf_set()'s form. */
static void port_config(const struct sriov_port_vf *vf,
			const struct sriov_vf_info *cur,
			const struct sriov_port_request *req, uint64_t guid,
			struct sriov_vf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vf = vf->index;
	if (!vf->infiniband) {
		if (req->has_mac) {
			memcpy(c->mac, req->mac, 6);
			c->mac_len = 6;
			c->mask |= SRIOV_VF_BIT(SRIOV_VF_MAC);
		}
		/* Always: a flat port must not inherit a VLAN. */
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
		c->vlan = req->has_vlan ? req->vlan : 0;
		c->qos = req->has_vlan ? req->qos : 0;
		c->vlan_proto = req->has_vlan ? req->vlan_proto : 0;
	} else {
		c->node_guid = c->port_guid = guid;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) |
			   SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
	}
	if (cur->spoofchk >= 0) {
		c->spoofchk = req->spoofchk;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
	}
	if (cur->trust >= 0) {
		c->trust = req->trusted;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
	}
	c->link_state = SRIOV_VF_LINK_ENABLE;
	c->mask |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
	if (req->has_rates || cur->min_tx_rate || cur->max_tx_rate) {
		c->min_tx_rate = req->min_tx_rate;
		c->max_tx_rate = req->max_tx_rate;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			   SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
	}
}

/* Which attributes of @c the kernel does not show as asked. */
static uint32_t differs(const struct sriov_vf_config *c,
			const struct sriov_vf_info *vi)
{
	uint32_t d = 0;

	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_MAC)) &&
	    (vi->mac_len < c->mac_len || memcmp(vi->mac, c->mac, c->mac_len)))
		d |= SRIOV_VF_BIT(SRIOV_VF_MAC);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_VLAN)) &&
	    (vi->vlan != c->vlan || vi->qos != c->qos ||
	     (c->vlan && (vi->vlan_proto ?: SRIOV_ETH_P_8021Q) !=
				 (c->vlan_proto ?: SRIOV_ETH_P_8021Q))))
		d |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK)) &&
	    vi->spoofchk != (int32_t)c->spoofchk)
		d |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_TRUST)) &&
	    vi->trust != (int32_t)c->trust)
		d |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_LINK_STATE)) &&
	    vi->link_state != c->link_state)
		d |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE)) &&
	    (vi->min_tx_rate != c->min_tx_rate ||
	     vi->max_tx_rate != c->max_tx_rate))
		d |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID)) &&
	    vi->node_guid != c->node_guid)
		d |= SRIOV_VF_BIT(SRIOV_VF_NODE_GUID);
	if ((c->mask & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID)) &&
	    vi->port_guid != c->port_guid)
		d |= SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
	return d;
}

static int describe(struct sriov_error *err, int code,
		    const struct sriov_port_vf *vf, const char *what,
		    uint32_t d)
{
	char names[256] = "";
	size_t off = 0;

	for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
		if (d & SRIOV_VF_BIT(a) && off < sizeof(names))
			off += (size_t)snprintf(names + off,
						sizeof(names) - off, "%s%s",
						off ? ", " : "",
						sriov_vf_attr_name(a));
	return sriov_error_set(err, code, "%s vf %u: %s: %s", vf->pf.ifname,
			       vf->index, what, names);
}

/* Send @c, then read back and compare. */
static int set_verified(struct sriov_nl *nl, const struct sriov_port_vf *vf,
			const struct sriov_vf_config *c,
			const struct sriov_vf_info *cur, const char *what,
			struct sriov_error *err)
{
	struct sriov_vf_info vi;
	uint32_t d;
	int r;

	r = sriov_vf_set(nl, vf->pf.ifindex, c, cur, NULL, err);
	if (r < 0) {
		sriov_error_prefix(err, "%s %s", vf->pf.ifname, what);
		return r;
	}
	r = read_info(nl, vf, &vi, err);
	if (r < 0)
		return r;
	d = differs(c, &vi);
	if (d)
		return describe(err, -EIO, vf, what, d);
	return 0;
}

int sriov_port_apply(struct sriov_root *root, struct sriov_nl *nl,
		     const struct sriov_port_vf *vf,
		     const struct sriov_port_request *req, uint64_t guid,
		     enum sriov_vf_driver drv, struct sriov_error *err)
{
	int r;

	if (vf->pf.ifindex > 0) {
		struct sriov_vf_info cur;
		struct sriov_vf_config c;

		r = read_info(nl, vf, &cur, err);
		if (r < 0)
			return r;
		port_config(vf, &cur, req, guid, &c);
		r = set_verified(nl, vf, &c, &cur, "configure", err);
		if (r < 0)
			return r;
	} else if (req->has_vlan || req->has_rates || req->trusted) {
		/* a MAC still goes into the libvirt XML */
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"pf %s has no netdev: vlan, trust and rates cannot be set on its VFs",
			vf->pf.dev);
	}
	if (vf->address[0]) {
		r = sriov_vf_bind(root, &vf->pf, vf->index, drv, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int sriov_port_drift(struct sriov_nl *nl, const struct sriov_port_vf *vf,
		     const struct sriov_port_request *req, uint64_t guid,
		     struct sriov_error *err)
{
	struct sriov_vf_info vi;
	struct sriov_vf_config c;
	int r;

	if (vf->pf.ifindex <= 0)
		return 0;
	r = read_info(nl, vf, &vi, err);
	if (r < 0)
		return r;
	port_config(vf, &vi, req, guid, &c);
	/* The rates we did not ask for are not ours to check. */
	if (!req->has_rates)
		c.mask &= ~(SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			    SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE));
	return (int)differs(&c, &vi);
}

static bool guid_valid(uint64_t g)
{
	return g != 0 && g != UINT64_MAX;
}

int sriov_port_restore(struct sriov_root *root, struct sriov_nl *nl,
		       const struct sriov_port_vf *vf,
		       const struct sriov_saved_state *st,
		       struct sriov_error *err)
{
	int r;

	if (vf->address[0]) {
		enum sriov_vf_driver drv = SRIOV_VF_DRIVER_DEFAULT;

		if (!st->driver[0])
			drv = SRIOV_VF_DRIVER_NONE;
		else if (!strcmp(st->driver, "vfio-pci"))
			drv = SRIOV_VF_DRIVER_VFIO;
		/* force: the VF comes back from a workload, whatever its
		 * netdev carries now is the tenant's. */
		r = sriov_vf_bind(root, &vf->pf, vf->index, drv, true, err);
		if (r < 0)
			return r;
	}
	if (vf->pf.ifindex > 0) {
		struct sriov_vf_info cur;
		struct sriov_vf_config c = { .vf = vf->index };

		r = read_info(nl, vf, &cur, err);
		if (r < 0)
			return r;
		if (!vf->infiniband &&
		    sriov_parse_mac(st->mac, &c, NULL) == 0 && c.mac_len == 6)
			c.mask |= SRIOV_VF_BIT(SRIOV_VF_MAC);
		else if (!vf->infiniband &&
			 !strcmp(st->mac, "00:00:00:00:00:00"))
			c.mac_len = 6, c.mask |= SRIOV_VF_BIT(SRIOV_VF_MAC);
		if (!vf->infiniband) {
			c.vlan = (uint16_t)st->vlan;
			c.qos = st->vlan ? (uint8_t)st->qos : 0;
			c.vlan_proto = st->vlan ? st->vlan_proto : 0;
			c.mask |= SRIOV_VF_BIT(SRIOV_VF_VLAN);
		}
		if (st->spoofchk >= 0 && cur.spoofchk >= 0) {
			c.spoofchk = st->spoofchk;
			c.mask |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
		}
		if (st->trust >= 0 && cur.trust >= 0) {
			c.trust = st->trust;
			c.mask |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
		}
		c.link_state = st->link_state;
		c.mask |= SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
		c.min_tx_rate = st->min_tx_rate;
		c.max_tx_rate = st->max_tx_rate;
		c.mask |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			  SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
		if (vf->infiniband && st->has_guids &&
		    guid_valid(st->node_guid) && guid_valid(st->port_guid)) {
			c.node_guid = st->node_guid;
			c.port_guid = st->port_guid;
			c.mask |= SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) |
				  SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
		}
		r = set_verified(nl, vf, &c, &cur, "restore", err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- mlx4 P-keys ---- */

/*
 * The VF as ib-host.c names it: 1 when the PF is InfiniBand with an mlx4
 * iov/ tree, 0 when there is nothing to do (Ethernet, no RDMA device, no
 * InfiniBand port, mlx5, netdevsim).
 */
static int mlx4_vf(struct sriov_root *root, const struct sriov_port_vf *vf,
		   struct sriov_ib_vf *ret)
{
	char idx[16];

	if (!vf->infiniband || vf->whole)
		return 0;
	snprintf(idx, sizeof(idx), "%u", vf->index);
	if (sriov_ib_vf_resolve(root,
				vf->pf.ifname[0] ? vf->pf.ifname : vf->pf.dev,
				idx, 0, ret, NULL) < 0)
		return 0;
	return ret->mlx4 ? 1 : 0;
}

int sriov_port_mlx4_pkey_save(struct sriov_root *root,
			      const struct sriov_port_vf *vf, char *buf,
			      size_t size, struct sriov_error *err)
{
	struct sriov_mlx4_pkeys t = { 0 };
	struct sriov_ib_vf ib;
	size_t len = 0;
	int r;

	if (size)
		buf[0] = '\0';
	if (mlx4_vf(root, vf, &ib) <= 0)
		return 0;
	r = sriov_mlx4_pkeys_read(root, &ib, &t, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n_idx; i++) {
		int n;

		if (t.idx[i] < 0)
			continue;
		n = snprintf(buf + len, size - len, "%s%zu:%d", len ? "," : "",
			     i, t.idx[i]);
		if (n < 0 || (size_t)n >= size - len) {
			sriov_mlx4_pkeys_release(&t);
			return sriov_error_set(
				err, -ENAMETOOLONG,
				"%s vf %u: p-key mapping too long to save",
				ib.rdma, vf->index);
		}
		len += (size_t)n;
	}
	sriov_mlx4_pkeys_release(&t);
	return 1;
}

int sriov_port_mlx4_pkey_apply(struct sriov_root *root,
			       const struct sriov_port_vf *vf, uint16_t pkey,
			       struct sriov_error *err)
{
	struct sriov_ib_vf ib;
	int r;

	if (mlx4_vf(root, vf, &ib) <= 0)
		return 0;
	r = sriov_mlx4_pkeys_set(root, &ib, &pkey, 1, NULL, err);
	return r < 0 ? r : 1;
}

/* "virt:phys,..." -> @idx (n entries, -1 where not named). */
static int parse_mapping(const char *s, int *idx, size_t n,
			 struct sriov_error *err)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = -1;
	while (*s) {
		char *end;
		unsigned long v, p;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || *end != ':' || errno)
			goto bad;
		s = end + 1;
		p = strtoul(s, &end, 10);
		if (end == s || (*end && *end != ',') || errno)
			goto bad;
		if (v >= n || p > INT32_MAX)
			goto bad;
		idx[v] = (int)p;
		s = *end ? end + 1 : end;
	}
	return 0;
bad:
	return sriov_error_set(
		err, -EINVAL,
		"saved p-key mapping '%s' is not virt:phys,... within the VF's %zu slots",
		s, n);
}

/* Write @want slot by slot where it differs, then read every slot back. */
static int write_mapping(struct sriov_root *root, const struct sriov_ib_vf *ib,
			 const int *want, const char *what,
			 struct sriov_error *err)
{
	struct sriov_mlx4_pkeys t = { 0 };
	char pn[16];
	int r;

	snprintf(pn, sizeof(pn), "%u", ib->port);
	r = sriov_mlx4_pkeys_read(root, ib, &t, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n_idx; i++) {
		char ix[24], val[24];

		if (t.idx[i] == want[i])
			continue;
		snprintf(ix, sizeof(ix), "%zu", i);
		if (want[i] < 0)
			snprintf(val, sizeof(val), "none");
		else
			snprintf(val, sizeof(val), "%d", want[i]);
		r = fs_write_str(root->sys_fd,
				 SP("class/infiniband", ib->rdma, "iov",
				    ib->iov_fn, "ports", pn, "pkey_idx", ix),
				 val);
		if (r < 0) {
			sriov_mlx4_pkeys_release(&t);
			return sriov_error_set(
				err, r,
				"%s vf %u: %s: writing '%s' to iov/%s/ports/%u/pkey_idx/%zu: %s",
				ib->rdma, ib->vf, what, val, ib->iov_fn,
				ib->port, i, strerror(-r));
		}
	}
	sriov_mlx4_pkeys_release(&t);
	r = sriov_mlx4_pkeys_read(root, ib, &t, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n_idx; i++) {
		if (t.idx[i] != want[i]) {
			int got = t.idx[i];

			sriov_mlx4_pkeys_release(&t);
			return sriov_error_set(
				err, -EIO,
				"%s vf %u: %s: pkey_idx/%zu reads back %d, want %d (-1 = none)",
				ib->rdma, ib->vf, what, i, got, want[i]);
		}
	}
	sriov_mlx4_pkeys_release(&t);
	return 0;
}

static int restore_or_scrub(struct sriov_root *root,
			    const struct sriov_port_vf *vf, const char *saved,
			    struct sriov_error *err)
{
	struct sriov_mlx4_pkeys t = { 0 };
	_cleanup_free_ int *want = NULL;
	struct sriov_ib_vf ib;
	size_t n;
	int r;

	if (mlx4_vf(root, vf, &ib) <= 0)
		return 0;
	r = sriov_mlx4_pkeys_read(root, &ib, &t, err);
	if (r < 0)
		return r;
	n = t.n_idx;
	sriov_mlx4_pkeys_release(&t);
	want = calloc(n, sizeof(*want));
	if (!want)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	r = parse_mapping(saved ? saved : "", want, n, err);
	if (r < 0)
		return r;
	r = write_mapping(root, &ib, want, saved ? "restore" : "scrub", err);
	return r < 0 ? r : 1;
}

int sriov_port_mlx4_pkey_restore(struct sriov_root *root,
				 const struct sriov_port_vf *vf,
				 const char *saved, struct sriov_error *err)
{
	return restore_or_scrub(root, vf, saved ? saved : "", err);
}

int sriov_port_mlx4_pkey_scrub(struct sriov_root *root,
			       const struct sriov_port_vf *vf,
			       struct sriov_error *err)
{
	return restore_or_scrub(root, vf, NULL, err);
}

/* A VF slot's target for a message: "none" or "physical index 2 (0xb030)". */
static const char *slot_name(const struct sriov_mlx4_pkeys *t, int idx,
			     char *buf, size_t size)
{
	if (idx < 0)
		return "none";
	if ((size_t)idx < t->n_phys)
		snprintf(buf, size, "physical index %d (0x%04x)", idx,
			 t->phys[idx]);
	else
		snprintf(buf, size, "physical index %d", idx);
	return buf;
}

int sriov_port_mlx4_pkey_drift(struct sriov_root *root,
			       const struct sriov_port_vf *vf, bool has_pkey,
			       uint16_t pkey, struct sriov_error *err)
{
	struct sriov_mlx4_pkeys t = { 0 };
	_cleanup_free_ int *want = NULL;
	struct sriov_ib_vf ib;
	char a[48], b[48];
	int r;

	if (mlx4_vf(root, vf, &ib) <= 0)
		return 0;
	r = sriov_mlx4_pkeys_read(root, &ib, &t, err);
	if (r < 0)
		return r;
	want = calloc(t.n_idx, sizeof(*want));
	if (!want) {
		r = sriov_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* What sriov_port_mlx4_pkey_apply() (or the scrub, without a P-key)
	 * would leave, from the physical table as it is now: an SM sweep that
	 * moved the P-key to another index is drift too. */
	r = sriov_mlx4_pkeys_plan(&t, ib.port, &pkey, has_pkey ? 1 : 0, want,
				  err);
	if (r == -ENOENT || r == -ERANGE) {
		/* The SM took the P-key away (or out of a VF's reach): no
		 * mapping is right, and whatever slot 0 points at now is
		 * another partition or nothing. */
		sriov_error_prefix(
			err,
			"%s vf %u port %u: p-key slot 0 maps to %s and no mapping can be right",
			ib.rdma, vf->index, ib.port,
			slot_name(&t, t.idx[0], a, sizeof(a)));
		r = 1;
		goto out;
	}
	if (r < 0)
		goto out;
	r = 0;
	for (size_t i = 0; i < t.n_idx; i++) {
		if (t.idx[i] == want[i])
			continue;
		sriov_error_set(
			err, -EIO,
			"%s vf %u port %u: p-key slot %zu (iov/%s/ports/%u/pkey_idx/%zu) maps to %s, want %s",
			ib.rdma, vf->index, ib.port, i, ib.iov_fn, ib.port, i,
			slot_name(&t, t.idx[i], a, sizeof(a)),
			slot_name(&t, want[i], b, sizeof(b)));
		r = 1;
		break;
	}
out:
	sriov_mlx4_pkeys_release(&t);
	return r;
}
