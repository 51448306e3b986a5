/* SPDX-License-Identifier: MIT */
/*
 * sriovctl apply: host.yaml to a plan, the plan to kernel changes, per PF
 * all-or-nothing. Validation is its own pass (every value of every PF, and
 * every PF resolved) so a bad file changes nothing; then each PF is planned,
 * changed (numvfs, VF settings over one rtnetlink socket, GUID rebinds,
 * drivers), read back and compared, and restored on a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sriov/apply.h>
#include <sriov/vf.h>
#include "config/hostyaml.h"
#include "core/pf.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

#define NUMVFS_TIMEOUT_MS 10000

struct want_vf {
	bool used;
	struct sriov_vf_config cfg;
	bool has_driver;
	enum sriov_vf_driver driver;
};

struct want_pf {
	struct sriov_pf_ref pf;
	unsigned line, col; /* of the entry's selector */
	char sel[64]; /* "name: eth0", "pci: ...", "vendor: 15b3 ..." */
	bool has_numvfs;
	unsigned numvfs;
	struct want_vf *vfs; /* indexed by VF, n_vfs entries */
	unsigned n_vfs;
};

/* ---- validation ---- */

static int kv_error(const char *path, const struct host_kv *kv, int code,
		    const char *msg, struct sriov_error *err)
{
	return sriov_error_set_at(err, code, path, kv->line, kv->col, "%s: %s",
				  kv->key, msg);
}

/* A range's mac and GUIDs count up from the first VF's. */
static void add_offset(uint8_t *b, size_t len, unsigned off)
{
	uint64_t carry = off;

	for (size_t i = len; i-- > 0 && carry;) {
		carry += b[i];
		b[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

static int parse_hexid(const char *s, unsigned *ret)
{
	uint64_t v;

	if (!strncasecmp(s, "0x", 2))
		s += 2;
	if (parse_u64(s, 16, &v) < 0 || v > 0xffff)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int read_hexid(struct sriov_root *root, const char *dev,
		      const char *file, unsigned *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = fs_read_str(root->sys_fd, SP("bus/pci/devices", dev, file), &s);
	if (r < 0)
		return r;
	return parse_hexid(strip_trailing(s), ret);
}

/* Where an entry says which PF(s) it means, and how. */
static void entry_selector(const struct host_pf *hp, unsigned *line,
			   unsigned *col, char *sel, size_t size)
{
	const struct host_kv *kv = host_kv_get(hp->kv, hp->n_kv, "pci");

	if (!kv)
		kv = host_kv_get(hp->kv, hp->n_kv, "name");
	if (kv) {
		*line = kv->line;
		*col = kv->col;
		snprintf(sel, size, "%s: %s", kv->key, kv->val);
		return;
	}
	*line = hp->line;
	*col = hp->col;
	snprintf(sel, size, "vendor: %s, device: %s",
		 host_kv_get(hp->kv, hp->n_kv, "vendor")->val,
		 host_kv_get(hp->kv, hp->n_kv, "device")->val);
}

static struct want_pf *find_want(struct want_pf *arr, size_t n,
				 const struct sriov_pf_ref *pf)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arr[i].pf.bus, pf->bus) &&
		    !strcmp(arr[i].pf.dev, pf->dev))
			return &arr[i];
	return NULL;
}

/*
 * A PF that a second entry selects again (by name, then by address, or
 * by ids) is refused: merged, the second entry's settings would silently
 * win over the first's. Both entries are named.
 */
static int add_want(struct want_pf **arr, size_t *n, size_t *cap,
		    const struct sriov_pf_ref *pf, const char *path,
		    const struct host_pf *hp, struct sriov_error *err)
{
	const struct want_pf *old = find_want(*arr, *n, pf);
	struct want_pf *w;
	unsigned line, col;
	char sel[64];

	entry_selector(hp, &line, &col, sel, sizeof(sel));
	if (old)
		return sriov_error_set_at(
			err, -EINVAL, path, line, col,
			"%s selects %s (%s), which the entry at line %u column %u already selects (%s): list each PF once, with all its settings",
			sel, pf->dev, pf->ifname[0] ? pf->ifname : "no netdev",
			old->line, old->col, old->sel);
	if (grow_array((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	w = &(*arr)[*n];
	memset(w, 0, sizeof(*w));
	w->pf = *pf;
	w->line = line;
	w->col = col;
	snprintf(w->sel, sizeof(w->sel), "%s", sel);
	(*n)++;
	return 0;
}

/* The PFs an entry selects: pci:, name:, or every SR-IOV PF with ids. */
static int select_pfs(struct sriov_root *root, const char *path,
		      const struct host_pf *hp, struct sriov_pf_ref **ret,
		      size_t *ret_n, struct sriov_error *err)
{
	const struct host_kv *pci = host_kv_get(hp->kv, hp->n_kv, "pci"),
			     *name = host_kv_get(hp->kv, hp->n_kv, "name"),
			     *ven = host_kv_get(hp->kv, hp->n_kv, "vendor"),
			     *dev = host_kv_get(hp->kv, hp->n_kv, "device");
	struct sriov_error e = { 0 };
	struct sriov_pf_ref *pfs = NULL;
	size_t n = 0, cap = 0;
	unsigned want_v, want_d;
	char **devs = NULL;
	size_t nd = 0;
	int r;

	if (pci || name) {
		const struct host_kv *kv = pci ? pci : name;

		if (pci && name)
			return kv_error(path, name, -EINVAL,
					"give pci: or name:, not both", err);
		pfs = calloc(1, sizeof(*pfs));
		if (!pfs)
			return sriov_error_set(err, -ENOMEM, "out of memory");
		r = sriov_pf_resolve(root, kv->val, pfs, &e);
		if (r < 0) {
			free(pfs);
			return kv_error(path, kv, r, e.msg, err);
		}
		*ret = pfs;
		*ret_n = 1;
		return 0;
	}
	if (parse_hexid(ven->val, &want_v) < 0)
		return kv_error(
			path, ven, -EINVAL,
			"invalid id (expected 4 hex digits such as 0x15b3)",
			err);
	if (parse_hexid(dev->val, &want_d) < 0)
		return kv_error(
			path, dev, -EINVAL,
			"invalid id (expected 4 hex digits such as 0x101b)",
			err);
	r = fs_list(root->sys_fd, SP("bus/pci/devices"), &devs, &nd);
	if (r < 0)
		return sriov_error_set(err, r, "cannot list PCI devices: %s",
				       strerror(-r));
	for (size_t i = 0; i < nd; i++) {
		unsigned v, d;

		if (read_hexid(root, devs[i], "vendor", &v) < 0 ||
		    read_hexid(root, devs[i], "device", &d) < 0 ||
		    v != want_v || d != want_d ||
		    !fs_exists(root->sys_fd, SP("bus/pci/devices", devs[i],
						"sriov_totalvfs")))
			continue;
		if (grow_array((void **)&pfs, &cap, n + 1, sizeof(*pfs)) < 0) {
			r = sriov_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (sriov_pf_resolve(root, devs[i], &pfs[n], NULL) >= 0)
			n++;
	}
	strv_free(devs, nd);
	if (r < 0) {
		free(pfs);
		return r;
	}
	if (n == 0) {
		free(pfs);
		return sriov_error_set_at(
			err, -ENODEV, path, hp->line, hp->col,
			"no SR-IOV PF with vendor %04x device %04x (see lspci -nn)",
			want_v, want_d);
	}
	*ret = pfs;
	*ret_n = n;
	return 0;
}

static int fill_want(struct sriov_root *root, const char *path,
		     const struct host_pf *hp, struct want_pf *w,
		     struct sriov_error *err)
{
	const struct host_kv *nv = host_kv_get(hp->kv, hp->n_kv, "numvfs"),
			     *dv = host_kv_get(hp->kv, hp->n_kv, "driver");
	struct sriov_error e = { 0 };
	enum sriov_vf_driver pf_drv = SRIOV_VF_DRIVER_DEFAULT;
	unsigned cur, total, count;
	int r;

	r = sriov_pf_numvfs(root, &w->pf, &cur, &total, &e);
	if (r < 0)
		return sriov_error_set_at(err, r, path, hp->line, hp->col, "%s",
					  e.msg);
	if (nv) {
		uint64_t v;

		if (parse_u64(nv->val, 10, &v) < 0 || v > 65535)
			return kv_error(path, nv, -EINVAL,
					"invalid count (expected 0 to 65535)",
					err);
		if (v > total) {
			char m[128];

			snprintf(
				m, sizeof(m),
				"%s supports at most %u VFs (sriov_totalvfs), not %llu",
				w->pf.dev, total, (unsigned long long)v);
			return kv_error(path, nv, -ERANGE, m, err);
		}
		w->has_numvfs = true;
		w->numvfs = (unsigned)v;
	}
	if (dv) {
		r = sriov_vf_driver_parse(dv->val, &pf_drv, &e);
		if (r < 0)
			return kv_error(path, dv, r, e.msg, err);
		if (strcmp(w->pf.bus, "pci"))
			return kv_error(
				path, dv, -EINVAL,
				"this PF is not a PCI device: its VFs have no driver to bind",
				err);
	}
	count = w->has_numvfs ? w->numvfs : cur;
	if (count > w->n_vfs) {
		struct want_vf *n = realloc(w->vfs, count * sizeof(*n));

		if (!n)
			return sriov_error_set(err, -ENOMEM, "out of memory");
		memset(n + w->n_vfs, 0, (count - w->n_vfs) * sizeof(*n));
		w->vfs = n;
		w->n_vfs = count;
	}
	w->n_vfs = count;
	if (dv)
		for (unsigned i = 0; i < count; i++) {
			w->vfs[i].has_driver = true;
			w->vfs[i].driver = pf_drv;
		}

	for (size_t j = 0; j < hp->n_vfs; j++) {
		const struct host_vfs *hv = &hp->vfs[j];

		if (hv->last >= count)
			return sriov_error_set_at(
				err, -ERANGE, path, hv->line, hv->col,
				"vf: VF %u is beyond the VF count of %s (%u%s)",
				hv->last,
				w->pf.ifname[0] ? w->pf.ifname : w->pf.dev,
				count,
				nv ? ", from numvfs" :
				     ", set now; give numvfs: to change it");
		for (unsigned vf = hv->first; vf <= hv->last; vf++) {
			struct want_vf *wv = &w->vfs[vf];

			wv->used = true;
			wv->cfg.vf = vf;
			for (size_t k = 0; k < hv->n_kv; k++) {
				const struct host_kv *kv = &hv->kv[k];

				if (!strcmp(kv->key, "driver")) {
					r = sriov_vf_driver_parse(
						kv->val, &wv->driver, &e);
					if (r < 0)
						return kv_error(path, kv, r,
								e.msg, err);
					if (strcmp(w->pf.bus, "pci"))
						return kv_error(
							path, kv, -EINVAL,
							"this PF is not a PCI device: its VFs have no driver to bind",
							err);
					wv->has_driver = true;
					continue;
				}
				r = sriov_vf_config_set(&wv->cfg, kv->key,
							kv->val, &e);
				if (r < 0)
					return sriov_error_set_at(err, r, path,
								  kv->line,
								  kv->col, "%s",
								  e.msg);
				if (!strcmp(kv->key, "mac"))
					add_offset(wv->cfg.mac, wv->cfg.mac_len,
						   vf - hv->first);
				else if (!strcmp(kv->key, "node_guid"))
					wv->cfg.node_guid += vf - hv->first;
				else if (!strcmp(kv->key, "port_guid"))
					wv->cfg.port_guid += vf - hv->first;
			}
			r = sriov_vf_config_check(&wv->cfg, &e);
			if (r < 0)
				return sriov_error_set_at(err, r, path,
							  hv->line, hv->col,
							  "%s", e.msg);
			if (wv->cfg.mask && !w->pf.ifindex)
				return sriov_error_set_at(
					err, -EINVAL, path, hv->line, hv->col,
					"%s has no netdev: its VFs have no settings (only driver:)",
					w->pf.dev);
		}
	}
	return 0;
}

/* ---- planning ---- */

static void config_from_info(const struct sriov_vf_info *vi,
			     struct sriov_vf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vf = vi->vf;
	memcpy(c->mac, vi->mac, sizeof(c->mac));
	c->mac_len = vi->mac_len;
	c->vlan = (uint16_t)vi->vlan;
	c->qos = (uint8_t)vi->qos;
	c->vlan_proto = vi->vlan ? (vi->vlan_proto ? vi->vlan_proto :
						     SRIOV_ETH_P_8021Q) :
				   0;
	c->mask = SRIOV_VF_BIT(SRIOV_VF_MAC) | SRIOV_VF_BIT(SRIOV_VF_VLAN) |
		  SRIOV_VF_BIT(SRIOV_VF_LINK_STATE);
	if (vi->spoofchk >= 0) {
		c->spoofchk = vi->spoofchk;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_SPOOFCHK);
	}
	if (vi->trust >= 0) {
		c->trust = vi->trust;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_TRUST);
	}
	if (vi->rss_query >= 0) {
		c->rss_query = vi->rss_query;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_RSS_QUERY);
	}
	c->link_state = (enum sriov_vf_link_state)vi->link_state;
	if (vi->present & SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE)) {
		c->min_tx_rate = vi->min_tx_rate;
		c->max_tx_rate = vi->max_tx_rate;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			   SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
	}
	if (vi->present & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID)) {
		c->node_guid = vi->node_guid;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_NODE_GUID);
	}
	if (vi->present & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID)) {
		c->port_guid = vi->port_guid;
		c->mask |= SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
	}
}

/* qos and proto travel with the vlan: without it they must be unset. */
static void drop_lone_qos(struct sriov_vf_config *c)
{
	if (!(c->mask & SRIOV_VF_BIT(SRIOV_VF_VLAN))) {
		c->vlan = 0;
		c->qos = 0;
		c->vlan_proto = 0;
	}
}

static uint16_t proto_of(const struct sriov_vf_config *c)
{
	return c->vlan ? (c->vlan_proto ? c->vlan_proto : SRIOV_ETH_P_8021Q) :
			 0;
}

/* Does attribute @a of @want differ from @cur (or is @cur silent)? */
static bool differs(const struct sriov_vf_config *want,
		    const struct sriov_vf_config *cur, int a)
{
	if (!(cur->mask & SRIOV_VF_BIT(a)))
		return true;
	switch (a) {
	case SRIOV_VF_MAC:
		return want->mac_len != cur->mac_len ||
		       memcmp(want->mac, cur->mac, want->mac_len);
	case SRIOV_VF_VLAN:
		return want->vlan != cur->vlan ||
		       (want->vlan && (want->qos != cur->qos ||
				       proto_of(want) != proto_of(cur)));
	case SRIOV_VF_SPOOFCHK:
		return want->spoofchk != cur->spoofchk;
	case SRIOV_VF_TRUST:
		return want->trust != cur->trust;
	case SRIOV_VF_RSS_QUERY:
		return want->rss_query != cur->rss_query;
	case SRIOV_VF_LINK_STATE:
		return want->link_state != cur->link_state;
	case SRIOV_VF_MIN_TX_RATE:
		return want->min_tx_rate != cur->min_tx_rate;
	case SRIOV_VF_MAX_TX_RATE:
		return want->max_tx_rate != cur->max_tx_rate;
	case SRIOV_VF_NODE_GUID:
		return want->node_guid != cur->node_guid;
	case SRIOV_VF_PORT_GUID:
		return want->port_guid != cur->port_guid;
	}
	return false;
}

static void fmt_attr(const struct sriov_vf_config *c, int a, char *buf,
		     size_t size)
{
	char g[24];

	if (!(c->mask & SRIOV_VF_BIT(a))) {
		snprintf(buf, size, "(not reported)");
		return;
	}
	switch (a) {
	case SRIOV_VF_MAC:
		sriov_format_mac(c->mac, c->mac_len, buf, size);
		return;
	case SRIOV_VF_VLAN:
		if (!c->vlan)
			snprintf(buf, size, "0");
		else
			snprintf(buf, size, "%u qos %u proto %s", c->vlan,
				 c->qos,
				 proto_of(c) == SRIOV_ETH_P_8021AD ? "802.1ad" :
								     "802.1Q");
		return;
	case SRIOV_VF_SPOOFCHK:
		snprintf(buf, size, "%s", c->spoofchk ? "on" : "off");
		return;
	case SRIOV_VF_TRUST:
		snprintf(buf, size, "%s", c->trust ? "on" : "off");
		return;
	case SRIOV_VF_RSS_QUERY:
		snprintf(buf, size, "%s", c->rss_query ? "on" : "off");
		return;
	case SRIOV_VF_LINK_STATE:
		snprintf(buf, size, "%s",
			 sriov_vf_link_state_name(c->link_state));
		return;
	case SRIOV_VF_MIN_TX_RATE:
		snprintf(buf, size, "%u", c->min_tx_rate);
		return;
	case SRIOV_VF_MAX_TX_RATE:
		snprintf(buf, size, "%u", c->max_tx_rate);
		return;
	case SRIOV_VF_NODE_GUID:
		sriov_guid_format_colon(c->node_guid, g);
		snprintf(buf, size, "%s", g);
		return;
	case SRIOV_VF_PORT_GUID:
		sriov_guid_format_colon(c->port_guid, g);
		snprintf(buf, size, "%s", g);
		return;
	}
}

static const char *driver_name(enum sriov_vf_driver d)
{
	return d == SRIOV_VF_DRIVER_VFIO    ? "vfio-pci" :
	       d == SRIOV_VF_DRIVER_DEFAULT ? "default" :
					      "none";
}

static bool driver_matches(enum sriov_vf_driver want, const char *cur)
{
	switch (want) {
	case SRIOV_VF_DRIVER_VFIO:
		return !strcmp(cur, "vfio-pci");
	case SRIOV_VF_DRIVER_NONE:
		return !cur[0];
	case SRIOV_VF_DRIVER_DEFAULT:
		return cur[0] && strcmp(cur, "vfio-pci");
	}
	return false;
}

static const struct sriov_vf_info *find_info(const struct sriov_link_vfs *l,
					     unsigned vf)
{
	for (size_t i = 0; l && i < l->n_vfs; i++)
		if (l->vfs[i].vf == vf)
			return &l->vfs[i];
	return NULL;
}

struct run {
	struct sriov_root *root;
	struct sriov_nl *nl;
	struct sriov_apply_report *rep;
	size_t pfi;
	size_t cap;
};

static int add_change(struct run *x, int vf, const char *key, const char *from,
		      const char *to)
{
	struct sriov_apply_change *c;

	if (grow_array((void **)&x->rep->changes, &x->cap,
		       x->rep->n_changes + 1, sizeof(*c)) < 0)
		return -ENOMEM;
	c = &x->rep->changes[x->rep->n_changes++];
	memset(c, 0, sizeof(*c));
	c->pf = x->pfi;
	c->vf = vf;
	snprintf(c->key, sizeof(c->key), "%s", key);
	snprintf(c->from, sizeof(c->from), "%s", from);
	snprintf(c->to, sizeof(c->to), "%s", to);
	x->rep->pfs[x->pfi].n_changes++;
	return 0;
}

/*
 * The settings of VF @vf that differ: @ret gets the values to send (mask =
 * what differs; a rate bound not asked for is kept from @cur).
 * Return: the number of differing attributes.
 */
static unsigned vf_delta(const struct want_vf *wv,
			 const struct sriov_vf_info *vi,
			 struct sriov_vf_config *ret,
			 struct sriov_vf_config *cur)
{
	const uint32_t rates = SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
			       SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
	unsigned n = 0;

	*ret = wv->cfg;
	ret->mask = 0;
	if (vi)
		config_from_info(vi, cur);
	else
		memset(cur, 0, sizeof(*cur));
	for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
		if ((wv->cfg.mask & SRIOV_VF_BIT(a)) &&
		    differs(&wv->cfg, cur, a)) {
			ret->mask |= SRIOV_VF_BIT(a);
			n++;
		}
	if (ret->mask & rates) {
		if (!(wv->cfg.mask & SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE)))
			ret->min_tx_rate = cur->min_tx_rate;
		if (!(wv->cfg.mask & SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE)))
			ret->max_tx_rate = cur->max_tx_rate;
		ret->mask |= rates;
	}
	drop_lone_qos(ret);
	return n;
}

/* Record the plan of one PF; @after_numvfs: VFs are recreated. */
static int plan_pf(struct run *x, const struct want_pf *w, unsigned cur_n,
		   const struct sriov_link_vfs *l, bool recreated)
{
	char from[80], to[80], drv[64];
	int r;

	if (w->has_numvfs && w->numvfs != cur_n) {
		snprintf(from, sizeof(from), "%u", cur_n);
		snprintf(to, sizeof(to), "%u", w->numvfs);
		r = add_change(x, -1, "numvfs", from, to);
		if (r < 0)
			return r;
	}
	for (unsigned vf = 0; vf < w->n_vfs; vf++) {
		const struct want_vf *wv = &w->vfs[vf];
		struct sriov_vf_config d, cur;

		if (wv->cfg.mask) {
			vf_delta(wv, recreated ? NULL : find_info(l, vf), &d,
				 &cur);
			for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++) {
				if (!(wv->cfg.mask & SRIOV_VF_BIT(a)) ||
				    !differs(&wv->cfg, &cur, a))
					continue;
				if (recreated)
					snprintf(from, sizeof(from), "(new)");
				else
					fmt_attr(&cur, a, from, sizeof(from));
				fmt_attr(&wv->cfg, a, to, sizeof(to));
				r = add_change(x, (int)vf,
					       sriov_vf_attr_name(a), from, to);
				if (r < 0)
					return r;
			}
		}
		if (!wv->has_driver)
			continue;
		if (recreated)
			snprintf(drv, sizeof(drv), "(new)");
		else if (sriov_vf_driver(x->root, &w->pf, vf, drv, sizeof(drv),
					 NULL) < 0 ||
			 driver_matches(wv->driver, drv))
			continue;
		r = add_change(x, (int)vf, "driver", drv[0] ? drv : "none",
			       driver_name(wv->driver));
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- applying, with undo ---- */

struct undo {
	unsigned numvfs;
	bool numvfs_changed;
	struct sriov_link_vfs old; /* settings before */
	uint32_t *sent; /* per VF: attributes changed */
	char (*drv)[64]; /* per VF: driver before */
	bool *rebound;
	unsigned n;
};

static void restore_pf(struct run *x, const struct want_pf *w, struct undo *u)
{
	struct sriov_apply_pf *o = &x->rep->pfs[x->pfi];
	struct sriov_error e = { 0 };
	int first = 0;

	if (u->numvfs_changed) {
		int r = sriov_pf_set_numvfs(x->root, &w->pf, u->numvfs, 0,
					    NUMVFS_TIMEOUT_MS, &e);

		if (r < 0) {
			snprintf(o->restore_msg, sizeof(o->restore_msg), "%s",
				 e.msg);
			return;
		}
		/* The VFs are new: every setting they had goes back. */
		for (size_t i = 0; i < u->old.n_vfs && i < u->n; i++)
			u->sent[u->old.vfs[i].vf] = ~0u;
	}
	for (unsigned vf = 0; vf < u->n; vf++) {
		const struct sriov_vf_info *vi = find_info(&u->old, vf);
		struct sriov_vf_config c;
		int r;

		if (u->sent[vf] && vi && w->pf.ifindex) {
			config_from_info(vi, &c);
			/* zero GUIDs are what the kernel reports when unset;
			 * sending them would be refused by real drivers */
			if (!c.node_guid)
				c.mask &= ~SRIOV_VF_BIT(SRIOV_VF_NODE_GUID);
			if (!c.port_guid)
				c.mask &= ~SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
			c.mask &= u->sent[vf];
			drop_lone_qos(&c);
			if (c.mask & (SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
				      SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE)))
				c.mask |= SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE) |
					  SRIOV_VF_BIT(SRIOV_VF_MAX_TX_RATE);
			if (c.mask) {
				r = sriov_vf_set(x->nl, w->pf.ifindex, &c, vi,
						 NULL, &e);
				if (r < 0 && !first)
					first = r;
			}
			if (u->rebound[vf])
				sriov_vf_rebind(x->root, &w->pf, vf,
						NUMVFS_TIMEOUT_MS, NULL);
		}
		if (u->drv[vf][0] != '\1') {
			enum sriov_vf_driver d =
				!u->drv[vf][0] ? SRIOV_VF_DRIVER_NONE :
				!strcmp(u->drv[vf], "vfio-pci") ?
						 SRIOV_VF_DRIVER_VFIO :
						 SRIOV_VF_DRIVER_DEFAULT;

			r = sriov_vf_bind(x->root, &w->pf, vf, d, true, &e);
			if (r < 0 && !first)
				first = r;
		}
	}
	if (first)
		snprintf(o->restore_msg, sizeof(o->restore_msg), "%s", e.msg);
	else
		o->restored = true;
}

static int fail_pf(struct run *x, int code, const struct sriov_error *e)
{
	struct sriov_apply_pf *o = &x->rep->pfs[x->pfi];

	o->code = code;
	snprintf(o->msg, sizeof(o->msg), "%s", e->msg);
	return code;
}

static int apply_pf(struct run *x, const struct want_pf *w, unsigned cur_n,
		    struct undo *u)
{
	struct sriov_link_vfs now = { 0 }, after = { 0 };
	struct sriov_error e = { 0 };
	int r = 0;

	if (w->has_numvfs && w->numvfs != cur_n) {
		r = sriov_pf_set_numvfs(x->root, &w->pf, w->numvfs, 0,
					NUMVFS_TIMEOUT_MS, &e);
		if (r < 0)
			return fail_pf(x, r, &e);
		u->numvfs_changed = true;
	}
	if (w->pf.ifindex) {
		r = sriov_vf_read(x->nl, w->pf.ifindex, &now, &e);
		if (r < 0)
			return fail_pf(x, r, &e);
	}
	for (unsigned vf = 0; vf < w->n_vfs; vf++) {
		const struct want_vf *wv = &w->vfs[vf];
		const struct sriov_vf_info *vi = find_info(&now, vf);
		struct sriov_vf_config d, cur;
		struct sriov_vf_result res;

		if (!wv->cfg.mask)
			continue;
		if (!vi) {
			r = sriov_error_set(
				&e, -ENODEV,
				"%s: the PF driver reports no VF %u over rtnetlink",
				w->pf.ifname, vf);
			goto out;
		}
		if (!vf_delta(wv, vi, &d, &cur))
			continue;
		r = sriov_vf_set(x->nl, w->pf.ifindex, &d, vi, &res, &e);
		u->sent[vf] |= res.sent;
		if (r < 0)
			goto out;
		if (d.mask & (SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) |
			      SRIOV_VF_BIT(SRIOV_VF_PORT_GUID))) {
			r = sriov_vf_rebind(x->root, &w->pf, vf,
					    NUMVFS_TIMEOUT_MS, &e);
			if (r < 0)
				goto out;
			u->rebound[vf] = r > 0;
		}
	}
	for (unsigned vf = 0; vf < w->n_vfs; vf++) {
		const struct want_vf *wv = &w->vfs[vf];
		char drv[64];

		if (!wv->has_driver)
			continue;
		r = sriov_vf_driver(x->root, &w->pf, vf, drv, sizeof(drv), &e);
		if (r < 0)
			goto out;
		if (driver_matches(wv->driver, drv))
			continue;
		if (vf < u->n && !u->numvfs_changed)
			snprintf(u->drv[vf], sizeof(u->drv[vf]), "%s", drv);
		r = sriov_vf_bind(x->root, &w->pf, vf, wv->driver, false, &e);
		if (r < 0)
			goto out;
	}
	/* Read back: what the kernel reports now must be what was asked. */
	if (w->pf.ifindex) {
		r = sriov_vf_read(x->nl, w->pf.ifindex, &after, &e);
		if (r < 0)
			goto out;
	}
	for (unsigned vf = 0; vf < w->n_vfs; vf++) {
		const struct want_vf *wv = &w->vfs[vf];
		struct sriov_vf_config d, cur;
		char got[80], want[80];

		if (!wv->cfg.mask)
			continue;
		if (!vf_delta(wv, find_info(&after, vf), &d, &cur))
			continue;
		for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
			if (d.mask & wv->cfg.mask & SRIOV_VF_BIT(a)) {
				fmt_attr(&cur, a, got, sizeof(got));
				fmt_attr(&wv->cfg, a, want, sizeof(want));
				r = sriov_error_set(
					&e, -EIO,
					"vf %u: %s reads back as %s, not %s (the driver did not keep it)",
					vf, sriov_vf_attr_name(a), got, want);
				goto out;
			}
	}
	r = 0;
out:
	sriov_link_vfs_release(&now);
	sriov_link_vfs_release(&after);
	if (r < 0) {
		fail_pf(x, r, &e);
		restore_pf(x, w, u);
	}
	return r;
}

static int run_pf(struct run *x, const struct want_pf *w, unsigned flags)
{
	struct sriov_apply_pf *o = &x->rep->pfs[x->pfi];
	struct sriov_error e = { 0 };
	struct undo u = { 0 };
	unsigned cur_n;
	size_t before = x->rep->n_changes;
	int r;

	r = sriov_pf_numvfs(x->root, &w->pf, &cur_n, NULL, &e);
	if (r < 0)
		return fail_pf(x, r, &e);
	if (w->pf.ifindex) {
		r = sriov_vf_read(x->nl, w->pf.ifindex, &u.old, &e);
		if (r < 0)
			return fail_pf(x, r, &e);
	}
	/* A count change goes through 0: every VF is new. */
	r = plan_pf(x, w, cur_n, &u.old, w->has_numvfs && w->numvfs != cur_n);
	if (r < 0 || (flags & SRIOV_APPLY_DRY_RUN) ||
	    x->rep->n_changes == before) {
		sriov_link_vfs_release(&u.old);
		if (r < 0)
			return sriov_error_set(&e, r, "out of memory"),
			       fail_pf(x, r, &e);
		return 0;
	}
	/* A tree is not the host: show the plan, change nothing. */
	r = pf_refuse_unless_live(x->root, "apply", &e);
	if (r < 0) {
		sriov_link_vfs_release(&u.old);
		o->restored = true; /* nothing was changed */
		return fail_pf(x, r, &e);
	}
	u.numvfs = cur_n;
	u.n = w->n_vfs > cur_n ? w->n_vfs : cur_n;
	u.sent = calloc(u.n + 1, sizeof(*u.sent));
	u.drv = calloc(u.n + 1, sizeof(*u.drv));
	u.rebound = calloc(u.n + 1, sizeof(*u.rebound));
	if (!u.sent || !u.drv || !u.rebound) {
		r = -ENOMEM;
		sriov_error_set(&e, r, "out of memory");
		fail_pf(x, r, &e);
	} else {
		for (unsigned i = 0; i < u.n; i++)
			u.drv[i][0] = '\1'; /* untouched */
		r = apply_pf(x, w, cur_n, &u);
	}
	(void)o;
	free(u.sent);
	free(u.drv);
	free(u.rebound);
	sriov_link_vfs_release(&u.old);
	return r;
}

static void want_free(struct want_pf *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].vfs);
	free(w);
}

int sriov_apply_buffer(struct sriov_root *root, const char *name,
		       const char *buf, size_t len, unsigned flags,
		       struct sriov_apply_report *ret, struct sriov_error *err)
{
	struct host_file h = { 0 };
	struct want_pf *w = NULL;
	size_t nw = 0, capw = 0;
	struct sriov_apply_report rep = { 0 };
	struct run x = { .root = root, .rep = &rep };
	int r, first = 0;

	memset(ret, 0, sizeof(*ret));
	r = host_parse(name, buf, len, &h, err);
	if (r < 0)
		return r;
	/* Pass 1: resolve and validate everything; nothing changes. */
	for (size_t i = 0; i < h.n_pfs && r >= 0; i++) {
		struct sriov_pf_ref *pfs = NULL;
		size_t n = 0;

		r = select_pfs(root, name, &h.pfs[i], &pfs, &n, err);
		if (r == -ENODEV && (flags & SRIOV_APPLY_PRESENT_ONLY)) {
			/* at boot, PFs come one udev event at a time */
			sriov_error_clear(err);
			r = 0;
			continue;
		}
		for (size_t j = 0; r >= 0 && j < n; j++) {
			r = add_want(&w, &nw, &capw, &pfs[j], name, &h.pfs[i],
				     err);
			if (r >= 0)
				r = fill_want(root, name, &h.pfs[i], &w[nw - 1],
					      err);
		}
		free(pfs);
	}
	host_file_release(&h);
	if (r < 0)
		goto out;
	rep.pfs = calloc(nw + 1, sizeof(*rep.pfs));
	if (!rep.pfs) {
		r = sriov_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	rep.n_pfs = nw;
	for (size_t i = 0; i < nw; i++) {
		snprintf(rep.pfs[i].name, sizeof(rep.pfs[i].name), "%s",
			 w[i].pf.ifname[0] ? w[i].pf.ifname : w[i].pf.dev);
		snprintf(rep.pfs[i].dev, sizeof(rep.pfs[i].dev), "%s",
			 w[i].pf.dev);
	}
	r = sriov_nl_open(root, &x.nl, err);
	if (r < 0)
		goto out;
	/* Pass 2: plan, change and read back, PF by PF. */
	for (size_t i = 0; i < nw; i++) {
		x.pfi = i;
		r = run_pf(&x, &w[i], flags);
		if (r < 0 && !first) {
			first = r;
			sriov_error_set(err, r, "%s: %s", rep.pfs[i].name,
					rep.pfs[i].msg);
		}
	}
	r = first;
	*ret = rep;
	memset(&rep, 0, sizeof(rep));
out:
	sriov_nl_close(x.nl);
	sriov_apply_report_release(&rep);
	want_free(w, nw);
	return r;
}

int sriov_apply_file(struct sriov_root *root, const char *path, unsigned flags,
		     struct sriov_apply_report *ret, struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = read_file_capped(path, INPUT_MAX_HOST, &buf, &len, err);
	if (r < 0)
		return r;
	return sriov_apply_buffer(root, path, buf, len, flags, ret, err);
}

int sriov_host_selectors(const char *path, struct sriov_host_selector **ret,
			 size_t *ret_n, struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct host_file h = { 0 };
	struct sriov_host_selector *sel;
	size_t len;
	int r;

	r = read_file_capped(path, INPUT_MAX_HOST, &buf, &len, err);
	if (r < 0)
		return r;
	r = host_parse(path, buf, len, &h, err);
	if (r < 0)
		return r;
	sel = calloc(h.n_pfs + 1, sizeof(*sel));
	if (!sel) {
		host_file_release(&h);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < h.n_pfs; i++) {
		const struct host_pf *hp = &h.pfs[i];
		const struct host_kv *pci = host_kv_get(hp->kv, hp->n_kv,
							"pci"),
				     *name = host_kv_get(hp->kv, hp->n_kv,
							 "name"),
				     *ven = host_kv_get(hp->kv, hp->n_kv,
							"vendor"),
				     *dev = host_kv_get(hp->kv, hp->n_kv,
							"device");
		const struct host_kv *kv = pci ? pci : name;

		if (kv && (!name_is_safe(kv->val) ||
			   strlen(kv->val) >= sizeof(sel[i].value))) {
			r = sriov_error_set_at(err, -EINVAL, path, kv->line,
					       kv->col, "%s: invalid name '%s'",
					       kv->key, kv->val);
			break;
		}
		if (kv) {
			snprintf(sel[i].kind, sizeof(sel[i].kind), "%s",
				 kv->key);
			snprintf(sel[i].value, sizeof(sel[i].value), "%s",
				 kv->val);
			continue;
		}
		snprintf(sel[i].kind, sizeof(sel[i].kind), "ids");
		if (parse_hexid(ven->val, &sel[i].vendor) < 0 ||
		    parse_hexid(dev->val, &sel[i].device) < 0) {
			kv = parse_hexid(ven->val, &sel[i].vendor) < 0 ? ven :
									 dev;
			r = kv_error(
				path, kv, -EINVAL,
				"invalid id (expected 4 hex digits such as 0x15b3)",
				err);
			break;
		}
	}
	if (r < 0) {
		free(sel);
		host_file_release(&h);
		return r;
	}
	*ret = sel;
	*ret_n = h.n_pfs;
	host_file_release(&h);
	return 0;
}

void sriov_apply_report_release(struct sriov_apply_report *r)
{
	free(r->pfs);
	free(r->changes);
	memset(r, 0, sizeof(*r));
}
