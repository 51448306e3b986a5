/* SPDX-License-Identifier: MIT */
/*
 * The host side of InfiniBand for VFs: naming a VF, and on mlx4 its
 * virtual P-key table and alias GUID in the iov/ tree of
 * drivers/infiniband/hw/mlx4/sysfs.c (Debian linux-source-6.1):
 *
 * - iov/ports/N/pkeys/I has the physical table's length (pkey_tbl_len of
 *   the port seen from the network); iov/<fn>/ports/N/pkey_idx/I has
 *   caps.pkey_table_len entries, which mlx4_parav_master_pf_caps() sets to
 *   the physical length - 1. store_port_pkey() takes "no..." (any case:
 *   the last physical index, shown back as "none") or an index below
 *   caps.pkey_table_len, else EINVAL; it refuses the master's own function
 *   (EINVAL), and Ethernet ports have no store method at all.
 * - gid_idx/0 shows the function number, which is the function's slot in
 *   iov/ports/N/admin_guids/. store_admin_alias_guid() ignores slot 0
 *   ("GUID 0 block 0 is RO") yet reports success, and does not check its
 *   sscanf("%llx"): we validate first.
 *
 * A fake tree is plain files, which accept anything: so everything the
 * kernel would refuse is refused here, before the first write.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sriov/ib.h>
#include <sriov/vf.h>
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

typedef int (*ib_write_fn)(void *ud, int dfd, const char *const *comps,
			   const char *val);

static int default_write(void *ud, int dfd, const char *const *comps,
			 const char *val)
{
	return fs_write_str(dfd, comps, val);
}

static ib_write_fn write_fn = default_write;
static void *write_ud;

/* Tests: see every write, fail one. Not part of the public API. */
void ib_set_write_hook(ib_write_fn fn, void *ud);
void ib_set_write_hook(ib_write_fn fn, void *ud)
{
	write_fn = fn ? fn : default_write;
	write_ud = ud;
}

static const char *fmt_pkey(uint16_t k, char buf[static 7])
{
	snprintf(buf, 7, "0x%04x", k);
	return buf;
}

static int copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int port_link_layer(struct sriov_root *root, const char *rdma,
			   unsigned port, char **ret)
{
	char pn[16];

	snprintf(pn, sizeof(pn), "%u", port);
	return fs_read_str(
		root->sys_fd,
		SP("class/infiniband", rdma, "ports", pn, "link_layer"), ret);
}

/* The kernel's get_name(): "%.8s%.2d.%d" of the PF's name and function. */
static void mlx4_fn_name(const char *pf, unsigned fn, char *buf, size_t size)
{
	snprintf(buf, size, "%.8s%.2u.%u", pf, fn / 8, fn % 8);
}

static int find_rdma(struct sriov_root *root, const struct sriov_ib_vf *v,
		     char *buf, size_t size)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	r = fs_list(root->sys_fd,
		    SP("bus", v->pf_bus, "devices", v->pf_dev, "infiniband"),
		    &names, &n);
	if (r < 0 || n == 0) {
		strv_free(names, n);
		buf[0] = '\0';
		return 0;
	}
	r = copy_str(buf, size, names[0]);
	strv_free(names, n);
	return r;
}

int sriov_ib_vf_resolve(struct sriov_root *root, const char *dev,
			const char *vf, unsigned port, struct sriov_ib_vf *ret,
			struct sriov_error *err)
{
	struct sriov_ib_vf v = { 0 };
	struct sriov_pf_ref pf;
	_cleanup_free_ char *pci = NULL;
	const char *pfname = dev;
	unsigned numvfs = 0, total = 0;
	int r;

	if (!name_is_safe(dev))
		return sriov_error_set(
			err, -EINVAL,
			"invalid device name '%s' (expected a netdev, a PCI address or an RDMA device)",
			dev);
	/* An RDMA device name: go to its PCI device. */
	if (!fs_exists(root->sys_fd, SP("class/net", dev)) &&
	    fs_is_dir(root->sys_fd, SP("class/infiniband", dev))) {
		r = fs_readlink_base(root->sys_fd,
				     SP("class/infiniband", dev, "device"),
				     &pci);
		if (r < 0)
			return sriov_error_set(err, r,
					       "%s: cannot read its device: %s",
					       dev, strerror(-r));
		pfname = pci;
		copy_str(v.rdma, sizeof(v.rdma), dev);
	}
	r = sriov_pf_resolve(root, pfname, &pf, err);
	if (r < 0)
		return r;
	copy_str(v.pf_bus, sizeof(v.pf_bus), pf.bus);
	copy_str(v.pf_dev, sizeof(v.pf_dev), pf.dev);
	copy_str(v.ifname, sizeof(v.ifname), pf.ifname);
	v.ifindex = pf.ifindex;
	if (!v.rdma[0]) {
		r = find_rdma(root, &v, v.rdma, sizeof(v.rdma));
		if (r < 0)
			return sriov_error_set(err, r, "%s: long RDMA name",
					       dev);
	}

	r = sriov_pf_numvfs(root, &pf, &numvfs, &total, err);
	if (r < 0)
		return r;
	if (all_digits(vf)) {
		int idx;

		if (parse_int(vf, &idx) < 0 || idx < 0 ||
		    (unsigned)idx >= numvfs)
			return sriov_error_set(
				err, -ENOENT,
				"%s has no VF %s (it has %u; see sriovctl pf show)",
				dev, vf, numvfs);
		v.vf = (unsigned)idx;
		/* Non-PCI PFs (netdevsim) have no virtfnN: no address. */
		if (!strcmp(pf.bus, "pci")) {
			r = sriov_vf_pci(root, &pf, v.vf, v.vf_addr,
					 sizeof(v.vf_addr), err);
			if (r < 0)
				return r;
		}
	} else {
		bool found = false;

		if (!strcmp(vf, pf.dev))
			return sriov_error_set(
				err, -EINVAL,
				"%s is the PF itself, not one of its VFs (give a VF index or a VF's PCI address)",
				vf);
		for (unsigned i = 0; i < numvfs && !found; i++) {
			char addr[64];

			if (sriov_vf_pci(root, &pf, i, addr, sizeof(addr),
					 NULL) < 0)
				continue;
			if (!strcmp(addr, vf)) {
				v.vf = i;
				copy_str(v.vf_addr, sizeof(v.vf_addr), addr);
				found = true;
			}
		}
		if (!found)
			return sriov_error_set(
				err, -ENOENT,
				"'%s' is not a VF of %s (give a VF index 0..%u or the PCI address of one of its VFs)",
				vf, dev, numvfs ? numvfs - 1 : 0);
	}

	if (port == 0 && v.rdma[0]) {
		char **names = NULL;
		size_t n = 0;

		if (fs_list(root->sys_fd,
			    SP("class/infiniband", v.rdma, "ports"), &names,
			    &n) >= 0) {
			unsigned best = 0;

			for (size_t i = 0; i < n; i++) {
				_cleanup_free_ char *ll = NULL;
				int pn;

				if (parse_int(names[i], &pn) < 0 || pn <= 0)
					continue;
				if (port_link_layer(root, v.rdma, (unsigned)pn,
						    &ll) < 0 ||
				    strcmp(ll, "InfiniBand"))
					continue;
				if (!best || (unsigned)pn < best)
					best = (unsigned)pn;
			}
			port = best;
		}
		strv_free(names, n);
		if (!port)
			return sriov_error_set(
				err, -ENODEV,
				"%s has no InfiniBand port (its ports are Ethernet; give --port to choose one)",
				v.rdma);
	}
	v.port = port ? port : 1;
	v.mlx4 = v.rdma[0] &&
		 fs_is_dir(root->sys_fd, SP("class/infiniband", v.rdma, "iov"));
	if (v.mlx4)
		mlx4_fn_name(v.pf_dev, v.vf + 1, v.iov_fn, sizeof(v.iov_fn));
	*ret = v;
	return 0;
}

/* ---- mlx4 ---- */

static int need_mlx4(const struct sriov_ib_vf *v, struct sriov_error *err)
{
	if (!v->rdma[0])
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"%s has no RDMA device: no mlx4 iov/ tree (for netlink VF GUIDs use sriovctl ib guid --allocate or vf set node_guid/port_guid)",
			v->ifname[0] ? v->ifname : v->pf_dev);
	if (!v->mlx4)
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"%s has no iov/ folder: only mlx4 (ConnectX-3) PFs map VF P-key tables (is mlx4_ib loaded with num_vfs set?)",
			v->rdma);
	return 0;
}

/* The VF's port folder must exist and, to be written, be InfiniBand. */
static int check_vf_port(struct sriov_root *root, const struct sriov_ib_vf *v,
			 bool write, struct sriov_error *err)
{
	_cleanup_free_ char *ll = NULL;
	char pn[16];

	snprintf(pn, sizeof(pn), "%u", v->port);
	if (!fs_is_dir(root->sys_fd, SP("class/infiniband", v->rdma, "iov",
					v->iov_fn, "ports", pn)))
		return sriov_error_set(
			err, -ENOENT,
			"%s: no iov/%s/ports/%u (VF %u, port %u: is the port active for this VF?)",
			v->rdma, v->iov_fn, v->port, v->vf, v->port);
	if (write && port_link_layer(root, v->rdma, v->port, &ll) >= 0 &&
	    strcmp(ll, "InfiniBand"))
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"%s port %u is %s: the kernel lets VF P-keys and GUIDs be set on InfiniBand ports only",
			v->rdma, v->port, ll);
	return 0;
}

static int read_gid_idx(struct sriov_root *root, const struct sriov_ib_vf *v,
			unsigned *ret, struct sriov_error *err)
{
	char pn[16];
	int r, g;

	snprintf(pn, sizeof(pn), "%u", v->port);
	r = fs_read_int(root->sys_fd,
			SP("class/infiniband", v->rdma, "iov", v->iov_fn,
			   "ports", pn, "gid_idx", "0"),
			&g);
	if (r < 0 || g < 0)
		return sriov_error_set(
			err, r < 0 ? r : -EINVAL,
			"%s: cannot read iov/%s/ports/%u/gid_idx/0", v->rdma,
			v->iov_fn, v->port);
	*ret = (unsigned)g;
	return 0;
}

void sriov_mlx4_pkeys_release(struct sriov_mlx4_pkeys *t)
{
	free(t->phys);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

/* pkey_idx/I: "none" (any value the kernel shows for "no entry"), or a
 * decimal index. */
static int parse_slot(const char *s, int *ret)
{
	int v;

	if (!strncasecmp(s, "no", 2)) {
		*ret = -1;
		return 0;
	}
	if (parse_int(s, &v) < 0 || v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int sriov_mlx4_pkeys_read(struct sriov_root *root, const struct sriov_ib_vf *v,
			  struct sriov_mlx4_pkeys *ret, struct sriov_error *err)
{
	struct sriov_mlx4_pkeys t = { 0 };
	char pn[16];
	int r;

	r = need_mlx4(v, err);
	if (r < 0)
		return r;
	r = check_vf_port(root, v, false, err);
	if (r < 0)
		return r;
	snprintf(pn, sizeof(pn), "%u", v->port);
	r = fs_count_indexes(root->sys_fd,
			     SP("class/infiniband", v->rdma, "iov", "ports", pn,
				"pkeys"),
			     &t.n_phys);
	if (r < 0 || t.n_phys == 0)
		return sriov_error_set(
			err, r < 0 ? r : -ENOENT,
			"%s: no physical P-key table iov/ports/%u/pkeys",
			v->rdma, v->port);
	r = fs_count_indexes(root->sys_fd,
			     SP("class/infiniband", v->rdma, "iov", v->iov_fn,
				"ports", pn, "pkey_idx"),
			     &t.n_idx);
	if (r < 0 || t.n_idx == 0)
		return sriov_error_set(err, r < 0 ? r : -ENOENT,
				       "%s: no iov/%s/ports/%u/pkey_idx",
				       v->rdma, v->iov_fn, v->port);
	t.phys = calloc(t.n_phys, sizeof(*t.phys));
	t.idx = calloc(t.n_idx, sizeof(*t.idx));
	if (!t.phys || !t.idx) {
		sriov_mlx4_pkeys_release(&t);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t.n_phys; i++) {
		char ix[24];
		uint64_t k;

		snprintf(ix, sizeof(ix), "%zu", i);
		r = fs_read_u64(root->sys_fd,
				SP("class/infiniband", v->rdma, "iov", "ports",
				   pn, "pkeys", ix),
				16, &k);
		if (r < 0 || k > 0xffff) {
			sriov_mlx4_pkeys_release(&t);
			return sriov_error_set(
				err, r < 0 ? r : -ERANGE,
				"%s: cannot read iov/ports/%u/pkeys/%zu",
				v->rdma, v->port, i);
		}
		t.phys[i] = (uint16_t)k;
	}
	for (size_t i = 0; i < t.n_idx; i++) {
		_cleanup_free_ char *s = NULL;
		char ix[24];

		snprintf(ix, sizeof(ix), "%zu", i);
		r = fs_read_str(root->sys_fd,
				SP("class/infiniband", v->rdma, "iov",
				   v->iov_fn, "ports", pn, "pkey_idx", ix),
				&s);
		if (r >= 0)
			r = parse_slot(s, &t.idx[i]);
		if (r < 0) {
			sriov_mlx4_pkeys_release(&t);
			return sriov_error_set(
				err, r,
				"%s: cannot read iov/%s/ports/%u/pkey_idx/%zu",
				v->rdma, v->iov_fn, v->port, i);
		}
		/* As show_port_pkey(): beyond the VF's table means none. */
		if (t.idx[i] >= (int)t.n_idx)
			t.idx[i] = -1;
	}
	*ret = t;
	return 0;
}

int sriov_mlx4_pkeys_plan(const struct sriov_mlx4_pkeys *cur, unsigned port,
			  const uint16_t *want, size_t n_want, int *ret_idx,
			  struct sriov_error *err)
{
	char a[7], b[7];

	if (n_want > cur->n_idx)
		return sriov_error_set(
			err, -E2BIG,
			"%zu p-keys for a VF table of %zu entries on port %u (give at most %zu)",
			n_want, cur->n_idx, port, cur->n_idx);
	for (size_t i = 0; i < n_want; i++) {
		size_t j, other = SIZE_MAX;

		if (!sriov_pkey_is_valid(want[i]))
			return sriov_error_set(
				err, -EINVAL,
				"p-key %s is invalid (its base is 0; give 0x0001..0x7fff, with 0x8000 for full membership)",
				fmt_pkey(want[i], a));
		for (j = 0; j < i; j++)
			if (want[j] == want[i])
				return sriov_error_set(
					err, -EINVAL,
					"p-key %s is given twice (each p-key once)",
					fmt_pkey(want[i], a));
		for (j = 0; j < cur->n_phys; j++) {
			if (cur->phys[j] == want[i])
				break;
			if (sriov_pkey_base(cur->phys[j]) ==
				    sriov_pkey_base(want[i]) &&
			    other == SIZE_MAX)
				other = j;
		}
		if (j == cur->n_phys) {
			if (other != SIZE_MAX)
				return sriov_error_set(
					err, -ENOENT,
					"p-key %s (%s member) is not in port %u's table, which has %s (%s member) at index %zu: ask for that one, or have the subnet manager give the port %s",
					fmt_pkey(want[i], a),
					sriov_pkey_is_full(want[i]) ? "full" :
								      "limited",
					port, fmt_pkey(cur->phys[other], b),
					sriov_pkey_is_full(cur->phys[other]) ?
						"full" :
						"limited",
					other, a);
			return sriov_error_set(
				err, -ENOENT,
				"p-key %s is not in port %u's table: the subnet manager has not given it to this port yet (add the port to that partition in partitions.conf, or see sriovctl fabric show)",
				fmt_pkey(want[i], a), port);
		}
		/* store_port_pkey(): index < the VF table's length; the last
		 * physical index is what "none" maps to. */
		if (j >= cur->n_idx || j + 1 >= cur->n_phys)
			return sriov_error_set(
				err, -ERANGE,
				"p-key %s is at physical index %zu of port %u, which a VF cannot map (the kernel takes indexes below %zu; the last is reserved for none)",
				fmt_pkey(want[i], a), j, port,
				cur->n_idx < cur->n_phys - 1 ? cur->n_idx :
							       cur->n_phys - 1);
		ret_idx[i] = (int)j;
	}
	for (size_t i = n_want; i < cur->n_idx; i++)
		ret_idx[i] = -1;
	return 0;
}

static int write_slot(struct sriov_root *root, const struct sriov_ib_vf *v,
		      size_t slot, int idx)
{
	char pn[16], ix[24], val[24];

	snprintf(pn, sizeof(pn), "%u", v->port);
	snprintf(ix, sizeof(ix), "%zu", slot);
	if (idx < 0)
		snprintf(val, sizeof(val), "none");
	else
		snprintf(val, sizeof(val), "%d", idx);
	return write_fn(write_ud, root->sys_fd,
			SP("class/infiniband", v->rdma, "iov", v->iov_fn,
			   "ports", pn, "pkey_idx", ix),
			val);
}

int sriov_mlx4_pkeys_set(struct sriov_root *root, const struct sriov_ib_vf *v,
			 const uint16_t *want, size_t n_want,
			 unsigned *ret_written, struct sriov_error *err)
{
	struct sriov_mlx4_pkeys cur = { 0 }, back = { 0 };
	_cleanup_free_ int *plan = NULL;
	unsigned gid_idx, written = 0;
	size_t i;
	int r;

	r = sriov_mlx4_pkeys_read(root, v, &cur, err);
	if (r < 0)
		return r;
	r = check_vf_port(root, v, true, err);
	if (r < 0)
		goto out;
	r = read_gid_idx(root, v, &gid_idx, err);
	if (r < 0)
		goto out;
	if (gid_idx == 0) {
		r = sriov_error_set(
			err, -EINVAL,
			"iov/%s is the PF's own function (gid_idx 0): the kernel does not let its P-key table be remapped",
			v->iov_fn);
		goto out;
	}
	plan = calloc(cur.n_idx, sizeof(*plan));
	if (!plan) {
		r = sriov_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = sriov_mlx4_pkeys_plan(&cur, v->port, want, n_want, plan, err);
	if (r < 0)
		goto out;

	for (i = 0; i < cur.n_idx; i++) {
		if (plan[i] == cur.idx[i])
			continue;
		r = write_slot(root, v, i, plan[i]);
		if (r < 0)
			break;
		written++;
	}
	if (r < 0) {
		size_t failed = i;
		int rb = 0;

		/* Put back what was written before the failure. */
		for (size_t k = 0; k < failed; k++)
			if (plan[k] != cur.idx[k] &&
			    write_slot(root, v, k, cur.idx[k]) < 0)
				rb = -1;
		r = sriov_error_set(
			err, r,
			"%s: writing iov/%s/ports/%u/pkey_idx/%zu failed: %s; %s",
			v->rdma, v->iov_fn, v->port, failed, strerror(-r),
			rb < 0 ?
				"putting back the slots already written failed too: check the table with sriovctl ib pkeys" :
				"the slots already written were put back");
		goto out;
	}

	r = sriov_mlx4_pkeys_read(root, v, &back, err);
	if (r < 0)
		goto out;
	for (i = 0; i < cur.n_idx; i++)
		if (i >= back.n_idx || back.idx[i] != plan[i]) {
			r = sriov_error_set(
				err, -EIO,
				"%s: iov/%s/ports/%u/pkey_idx/%zu reads back %d, not %d as written",
				v->rdma, v->iov_fn, v->port, i,
				i < back.n_idx ? back.idx[i] : -2, plan[i]);
			goto out;
		}
	if (ret_written)
		*ret_written = written;
	r = 0;
out:
	sriov_mlx4_pkeys_release(&cur);
	sriov_mlx4_pkeys_release(&back);
	return r;
}

/* gids/I: "%04x:..." eight groups; keep the interface id (last 64 bits). */
static int parse_gid_iid(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned digits = 0;

	for (; *s; s++) {
		int d;

		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		d = isdigit((unsigned char)*s) ?
			    *s - '0' :
			    tolower((unsigned char)*s) - 'a' + 10;
		v = v << 4 | (uint64_t)d;
		digits++;
	}
	if (digits != 32)
		return -EINVAL;
	*ret = v;
	return 0;
}

int sriov_mlx4_guid_read(struct sriov_root *root, const struct sriov_ib_vf *v,
			 struct sriov_mlx4_guid *ret, struct sriov_error *err)
{
	struct sriov_mlx4_guid g = { 0 };
	_cleanup_free_ char *s = NULL, *gid = NULL;
	char pn[16], ix[24];
	int r;

	r = need_mlx4(v, err);
	if (r < 0)
		return r;
	r = check_vf_port(root, v, false, err);
	if (r < 0)
		return r;
	r = read_gid_idx(root, v, &g.gid_idx, err);
	if (r < 0)
		return r;
	snprintf(pn, sizeof(pn), "%u", v->port);
	snprintf(ix, sizeof(ix), "%u", g.gid_idx);
	r = fs_read_str(root->sys_fd,
			SP("class/infiniband", v->rdma, "iov", "ports", pn,
			   "admin_guids", ix),
			&s);
	if (r >= 0)
		r = parse_u64(s, 16, &g.admin);
	if (r < 0)
		return sriov_error_set(
			err, r, "%s: cannot read iov/ports/%u/admin_guids/%u",
			v->rdma, v->port, g.gid_idx);
	if (fs_read_str(root->sys_fd,
			SP("class/infiniband", v->rdma, "iov", "ports", pn,
			   "gids", ix),
			&gid) >= 0 &&
	    parse_gid_iid(gid, &g.oper) >= 0)
		g.has_oper = true;
	*ret = g;
	return 0;
}

int sriov_mlx4_guid_set(struct sriov_root *root, const struct sriov_ib_vf *v,
			uint64_t admin, struct sriov_error *err)
{
	struct sriov_mlx4_guid g, back;
	char pn[16], ix[24], val[24];
	int r;

	if (admin != SRIOV_MLX4_GUID_SM && admin != SRIOV_MLX4_GUID_DELETE) {
		r = sriov_guid_check(admin, err);
		if (r < 0)
			return r;
	}
	r = sriov_mlx4_guid_read(root, v, &g, err);
	if (r < 0)
		return r;
	r = check_vf_port(root, v, true, err);
	if (r < 0)
		return r;
	if (g.gid_idx == 0)
		return sriov_error_set(
			err, -EINVAL,
			"iov/%s uses admin_guids/0, the PF's port GUID, which the kernel keeps read-only (it would ignore the write and report success)",
			v->iov_fn);
	snprintf(pn, sizeof(pn), "%u", v->port);
	snprintf(ix, sizeof(ix), "%u", g.gid_idx);
	/* As show_admin_alias_guid() prints it: "%llx". */
	snprintf(val, sizeof(val), "%" PRIx64, admin);
	r = write_fn(write_ud, root->sys_fd,
		     SP("class/infiniband", v->rdma, "iov", "ports", pn,
			"admin_guids", ix),
		     val);
	if (r < 0)
		return sriov_error_set(
			err, r,
			"%s: writing iov/ports/%u/admin_guids/%u failed: %s",
			v->rdma, v->port, g.gid_idx, strerror(-r));
	r = sriov_mlx4_guid_read(root, v, &back, err);
	if (r < 0)
		return r;
	if (back.admin != admin)
		return sriov_error_set(
			err, -EIO,
			"%s: iov/ports/%u/admin_guids/%u reads back %" PRIx64
			", not %" PRIx64,
			v->rdma, v->port, g.gid_idx, back.admin, admin);
	return 0;
}

int sriov_ib_pf_guid(struct sriov_root *root, const struct sriov_ib_vf *v,
		     uint64_t *ret, struct sriov_error *err)
{
	_cleanup_free_ char *s = NULL;
	char pn[16];
	uint64_t g = 0;

	snprintf(pn, sizeof(pn), "%u", v->port);
	if (v->rdma[0] &&
	    fs_read_str(root->sys_fd,
			SP("class/infiniband", v->rdma, "ports", pn, "gids",
			   "0"),
			&s) >= 0 &&
	    parse_gid_iid(s, &g) >= 0 && g) {
		*ret = g;
		return 0;
	}
	free(s);
	s = NULL;
	/* IPoIB's hardware address: 4 bytes of QPN, then the port GID. */
	if (v->ifname[0] &&
	    fs_read_str(root->sys_fd, SP("class/net", v->ifname, "address"),
			&s) >= 0) {
		unsigned b[20];
		int n = 0;

		if (strlen(s) == 59 &&
		    sscanf(s,
			   "%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:"
			   "%2x:%2x:%2x:%2x:%2x:%2x:%2x%n",
			   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6],
			   &b[7], &b[8], &b[9], &b[10], &b[11], &b[12], &b[13],
			   &b[14], &b[15], &b[16], &b[17], &b[18], &b[19],
			   &n) == 20 &&
		    n == 59) {
			for (int i = 12; i < 20; i++)
				g = g << 8 | b[i];
			if (g) {
				*ret = g;
				return 0;
			}
		}
	}
	return sriov_error_set(
		err, -ENOENT,
		"%s: no port GUID to derive VF GUIDs from (no %s%s%u/gids/0, no 20-byte IPoIB address; give --base GUID or --pool)",
		v->ifname[0] ? v->ifname : v->pf_dev, v->rdma[0] ? v->rdma : "",
		v->rdma[0] ? " port " : "", v->port);
}
