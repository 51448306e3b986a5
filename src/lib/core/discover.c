/* SPDX-License-Identifier: MIT */
/*
 * Host discovery from sysfs. Layouts read here, from Debian's 6.1 kernel:
 * - drivers/pci/pci-sysfs.c: vendor, device, class, numa_node, driver,
 *   iommu_group of bus/pci/devices/<address>/
 * - drivers/pci/iov.c: sriov_totalvfs, sriov_numvfs, sriov_vf_device ("%x"),
 *   sriov_drivers_autoprobe, virtfnN and physfn links
 * - net/core/net-sysfs.c: class/net/<name>/{type,ifindex,operstate,device}
 * - drivers/infiniband/core/sysfs.c: node_guid ("%04x:%04x:%04x:%04x"),
 *   ports/N/{state ("%d: %s"), link_layer, lid, gids/I (%pI6), pkeys/I}
 * - drivers/infiniband/hw/mlx4/sysfs.c: iov/ports/N/{pkeys,admin_guids,
 *   gids}/I and iov/<VF address>/ports/N/{pkey_idx/I,gid_idx/0}
 * - drivers/net/netdevsim/bus.c: a non-PCI device with sriov_numvfs only
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if_arp.h>

#include <sriov/host.h>

#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define MAX_COMPS 16

/* A device directory below the root, as path components. */
struct loc {
	const char *c[MAX_COMPS];
	size_t n;
};

static void loc_init(struct loc *l, const char *first, ...)
{
	va_list ap;
	const char *s;

	l->n = 0;
	l->c[l->n++] = first;
	va_start(ap, first);
	while ((s = va_arg(ap, const char *)) && l->n < MAX_COMPS - 1)
		l->c[l->n++] = s;
	va_end(ap);
}

/* Components of l followed by the given ones; out must hold MAX_COMPS. */
static const char *const *loc_join(const struct loc *l, const char **out, ...)
{
	va_list ap;
	size_t n = 0;
	const char *s;

	for (size_t i = 0; i < l->n; i++)
		out[n++] = l->c[i];
	va_start(ap, out);
	while ((s = va_arg(ap, const char *)) && n < MAX_COMPS - 1)
		out[n++] = s;
	va_end(ap);
	out[n] = NULL;
	return out;
}

#define AT(l, ...) \
	loc_join((l), (const char *[MAX_COMPS]){ 0 }, __VA_ARGS__, NULL)

static int add_problem(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_problem(char ***v, size_t *n, const char *fmt, ...)
{
	char **p;
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p) {
		free(s);
		return -ENOMEM;
	}
	p[(*n)++] = s;
	*v = p;
	return 0;
}

const char *sriov_link_type_name(enum sriov_link_type t)
{
	switch (t) {
	case SRIOV_LINK_ETHERNET:
		return "ethernet";
	case SRIOV_LINK_INFINIBAND:
		return "infiniband";
	default:
		return NULL;
	}
}

/*
 * A hex attribute as lowercase digits without 0x, zero-padded to width:
 * vendor "0x15b3" -> "15b3" (4), class "0x020000" -> "020000" (6).
 */
static char *read_hex(int dfd, const char *const *path, unsigned width,
		      int *err)
{
	_cleanup_free_ char *s = NULL;
	uint64_t v;
	char *out;
	int r;

	r = fs_read_str(dfd, path, &s);
	if (r >= 0)
		r = parse_u64(s, 16, &v);
	if (r >= 0 && v >> (4 * width))
		r = -ERANGE;
	if (r < 0) {
		*err = r;
		return NULL;
	}
	if (asprintf(&out, "%0*llx", (int)width, (unsigned long long)v) < 0)
		return NULL;
	return out;
}

static char *read_id(int dfd, const char *const *path, int *err)
{
	return read_hex(dfd, path, 4, err);
}

static char *read_class(int dfd, const char *const *path, int *err)
{
	return read_hex(dfd, path, 6, err);
}

static int read_int_or(int dfd, const char *const *path, int dflt)
{
	int v;

	return fs_read_int(dfd, path, &v) < 0 ? dflt : v;
}

static int read_link_int(int dfd, const char *const *path)
{
	_cleanup_free_ char *s = NULL;
	int v;

	if (fs_readlink_base(dfd, path, &s) < 0 || parse_int(s, &v) < 0)
		return -1;
	return v;
}

static char *read_link_base(int dfd, const char *const *path)
{
	char *s = NULL;

	return fs_readlink_base(dfd, path, &s) < 0 ? NULL : s;
}

/* Groups of hex digits separated by ':' -> the last 64 bits. */
static int parse_hex_groups(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned digits = 0;

	for (const char *p = s; *p; p++) {
		int d;

		if (*p == ':')
			continue;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
		digits++;
	}
	if (digits < 16)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int read_guid(int dfd, const char *const *path, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = fs_read_str(dfd, path, &s);
	if (r < 0)
		return r;
	return parse_hex_groups(s, ret);
}

static int read_pkey(int dfd, const char *const *path, uint16_t *ret)
{
	uint64_t v;
	int r;

	r = fs_read_u64(dfd, path, 16, &v);
	if (r < 0)
		return r;
	if (v > 0xffff)
		return -ERANGE;
	*ret = (uint16_t)v;
	return 0;
}

static void ib_device_free(struct sriov_ib_device *ib)
{
	if (!ib)
		return;
	free(ib->name);
	for (size_t i = 0; i < ib->n_ports; i++) {
		free(ib->ports[i].link_layer);
		free(ib->ports[i].state);
		free(ib->ports[i].pkeys);
	}
	free(ib->ports);
	if (ib->mlx4_iov) {
		struct sriov_mlx4_iov *iov = ib->mlx4_iov;

		for (size_t i = 0; i < iov->n_ports; i++) {
			free(iov->ports[i].pkeys);
			free(iov->ports[i].admin_guids);
			free(iov->ports[i].gids);
		}
		free(iov->ports);
		for (size_t i = 0; i < iov->n_vfs; i++) {
			for (size_t j = 0; j < iov->vfs[i].n_ports; j++)
				free(iov->vfs[i].ports[j].pkey_idx);
			free(iov->vfs[i].ports);
			free(iov->vfs[i].address);
		}
		free(iov->vfs);
		free(iov);
	}
	free(ib);
}

static int read_port(int dfd, const struct loc *ibl, const char *pname,
		     struct sriov_ib_port *p)
{
	_cleanup_free_ char *state = NULL, *gid = NULL;
	size_t n = 0;
	int v;

	if (parse_int(pname, &v) < 0 || v < 0)
		return -EINVAL;
	p->port = (unsigned)v;
	p->lid = -1;
	fs_read_str(dfd, AT(ibl, "ports", pname, "link_layer"), &p->link_layer);
	if (fs_read_str(dfd, AT(ibl, "ports", pname, "state"), &state) >= 0) {
		const char *s = strchr(state, ':');

		s = s ? s + 1 : state;
		while (*s == ' ')
			s++;
		p->state = strdup(s);
	}
	{
		uint64_t lid;

		if (fs_read_u64(dfd, AT(ibl, "ports", pname, "lid"), 16,
				&lid) >= 0 &&
		    lid <= 0xffff)
			p->lid = (int)lid;
	}
	if (fs_read_str(dfd, AT(ibl, "ports", pname, "gids", "0"), &gid) >= 0 &&
	    parse_hex_groups(gid, &p->port_guid) == 0)
		p->has_port_guid = true;
	if (fs_count_indexes(dfd, AT(ibl, "ports", pname, "pkeys"), &n) >= 0 &&
	    n) {
		p->pkeys = calloc(n, sizeof(*p->pkeys));
		if (!p->pkeys)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			char idx[24];
			uint16_t k;

			snprintf(idx, sizeof(idx), "%zu", i);
			if (read_pkey(dfd,
				      AT(ibl, "ports", pname, "pkeys", idx),
				      &k) >= 0 &&
			    (k & 0x7fff))
				p->pkeys[p->n_pkeys++] = k;
		}
	}
	return 0;
}

static int read_u64_table(int dfd, const char *const *dir, bool guids,
			  uint64_t **ret, size_t *ret_n)
{
	size_t n = 0;
	uint64_t *t;
	int r;

	r = fs_count_indexes(dfd, dir, &n);
	if (r < 0 || n == 0)
		return r;
	t = calloc(n, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *c[MAX_COMPS];
		_cleanup_free_ char *s = NULL;
		char idx[24];
		size_t k = 0;

		for (; dir[k]; k++)
			c[k] = dir[k];
		snprintf(idx, sizeof(idx), "%zu", i);
		c[k++] = idx;
		c[k] = NULL;
		if (fs_read_str(dfd, c, &s) < 0)
			continue;
		if (guids) /* admin_guids: "%llx" */
			parse_u64(s, 16, &t[i]);
		else /* gids: %pI6, keep the interface id */
			parse_hex_groups(s, &t[i]);
	}
	*ret = t;
	*ret_n = n;
	return 0;
}

static int read_mlx4_iov(int dfd, const struct loc *ibl,
			 struct sriov_mlx4_iov **ret)
{
	struct sriov_mlx4_iov *iov;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (!fs_is_dir(dfd, AT(ibl, "iov")))
		return 0;
	iov = calloc(1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	/* Physical tables: iov/ports/N/ */
	if (fs_list(dfd, AT(ibl, "iov", "ports"), &names, &n) >= 0) {
		iov->ports = calloc(n ? n : 1, sizeof(*iov->ports));
		for (size_t i = 0; iov->ports && i < n; i++) {
			struct sriov_mlx4_port *p = &iov->ports[iov->n_ports];
			size_t np = 0;
			int v;

			if (parse_int(names[i], &v) < 0 || v < 0)
				continue;
			p->port = (unsigned)v;
			if (fs_count_indexes(dfd,
					     AT(ibl, "iov", "ports", names[i],
						"pkeys"),
					     &np) >= 0 &&
			    np) {
				p->pkeys = calloc(np, sizeof(*p->pkeys));
				for (size_t k = 0; p->pkeys && k < np; k++) {
					char idx[24];

					snprintf(idx, sizeof(idx), "%zu", k);
					read_pkey(dfd,
						  AT(ibl, "iov", "ports",
						     names[i], "pkeys", idx),
						  &p->pkeys[k]);
				}
				p->n_pkeys = p->pkeys ? np : 0;
			}
			read_u64_table(dfd,
				       AT(ibl, "iov", "ports", names[i],
					  "admin_guids"),
				       true, &p->admin_guids,
				       &p->n_admin_guids);
			read_u64_table(
				dfd, AT(ibl, "iov", "ports", names[i], "gids"),
				false, &p->gids, &p->n_gids);
			iov->n_ports++;
		}
	}
	strv_free(names, n);
	names = NULL;
	n = 0;
	/* Per function: iov/<address>/ports/N/{pkey_idx,gid_idx} */
	r = fs_list(dfd, AT(ibl, "iov"), &names, &n);
	if (r >= 0) {
		iov->vfs = calloc(n ? n : 1, sizeof(*iov->vfs));
		for (size_t i = 0; iov->vfs && i < n; i++) {
			struct sriov_mlx4_vf *vf = &iov->vfs[iov->n_vfs];
			char **pn = NULL;
			size_t npn = 0;

			if (!strcmp(names[i], "ports") ||
			    fs_list(dfd, AT(ibl, "iov", names[i], "ports"), &pn,
				    &npn) < 0)
				continue;
			vf->address = strdup(names[i]);
			vf->ports = calloc(npn ? npn : 1, sizeof(*vf->ports));
			for (size_t j = 0; vf->ports && j < npn; j++) {
				struct sriov_mlx4_vf_port *vp =
					&vf->ports[vf->n_ports];
				size_t ni = 0;
				int v;

				if (parse_int(pn[j], &v) < 0 || v < 0)
					continue;
				vp->port = (unsigned)v;
				vp->gid_idx = read_int_or(
					dfd,
					AT(ibl, "iov", names[i], "ports", pn[j],
					   "gid_idx", "0"),
					-1);
				fs_count_indexes(dfd,
						 AT(ibl, "iov", names[i],
						    "ports", pn[j], "pkey_idx"),
						 &ni);
				vp->pkey_idx = calloc(ni ? ni : 1, sizeof(int));
				for (size_t k = 0; vp->pkey_idx && k < ni;
				     k++) {
					char idx[24];

					snprintf(idx, sizeof(idx), "%zu", k);
					/* "none" parses as -1 */
					vp->pkey_idx[k] = read_int_or(
						dfd,
						AT(ibl, "iov", names[i],
						   "ports", pn[j], "pkey_idx",
						   idx),
						-1);
				}
				vp->n_pkey_idx = vp->pkey_idx ? ni : 0;
				vf->n_ports++;
			}
			strv_free(pn, npn);
			iov->n_vfs++;
		}
	}
	strv_free(names, n);
	*ret = iov;
	return 0;
}

/* The RDMA device under a PCI function dir, if any. */
static int read_ib(int dfd, const struct loc *dev, struct sriov_ib_device **ret)
{
	struct sriov_ib_device *ib;
	char **names = NULL, **ports = NULL;
	size_t n = 0, np = 0;
	struct loc ibl;
	int r;

	*ret = NULL;
	if (fs_list(dfd, AT(dev, "infiniband"), &names, &n) < 0 || n == 0) {
		strv_free(names, n);
		return 0;
	}
	ib = calloc(1, sizeof(*ib));
	if (!ib) {
		strv_free(names, n);
		return -ENOMEM;
	}
	ib->name = strdup(names[0]);
	strv_free(names, n);
	if (!ib->name) {
		free(ib);
		return -ENOMEM;
	}
	loc_init(&ibl, "class/infiniband", ib->name, NULL);
	if (read_guid(dfd, AT(&ibl, "node_guid"), &ib->node_guid) >= 0)
		ib->has_node_guid = true;
	if (fs_list(dfd, AT(&ibl, "ports"), &ports, &np) >= 0) {
		ib->ports = calloc(np ? np : 1, sizeof(*ib->ports));
		for (size_t i = 0; ib->ports && i < np; i++)
			if (read_port(dfd, &ibl, ports[i],
				      &ib->ports[ib->n_ports]) >= 0)
				ib->n_ports++;
	}
	strv_free(ports, np);
	r = read_mlx4_iov(dfd, &ibl, &ib->mlx4_iov);
	if (r < 0) {
		ib_device_free(ib);
		return r;
	}
	*ret = ib;
	return 0;
}

static int read_netdevs(int dfd, const struct loc *dev,
			struct sriov_netdev **ret, size_t *ret_n)
{
	char **names = NULL;
	size_t n = 0;
	struct sriov_netdev *v;

	*ret = NULL;
	*ret_n = 0;
	if (fs_list(dfd, AT(dev, "net"), &names, &n) < 0 || n == 0) {
		strv_free(names, n);
		return 0;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int type;

		v[i].name = TAKE_PTR(names[i]);
		v[i].ifindex = read_int_or(
			dfd, SP("class/net", v[i].name, "ifindex"), -1);
		type = read_int_or(dfd, SP("class/net", v[i].name, "type"), -1);
		v[i].link_type = type == ARPHRD_ETHER ? SRIOV_LINK_ETHERNET :
				 type == ARPHRD_INFINIBAND ?
							SRIOV_LINK_INFINIBAND :
							SRIOV_LINK_UNKNOWN;
		fs_read_str(dfd, SP("class/net", v[i].name, "operstate"),
			    &v[i].operstate);
	}
	free(names);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void netdevs_free(struct sriov_netdev *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].operstate);
	}
	free(v);
}

static int read_vfs(int dfd, const struct loc *dev, struct sriov_pf *pf)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (fs_list(dfd, AT(dev, NULL), &names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct sriov_netdev *nd = NULL;
		struct sriov_vf *vf;
		struct loc vl;
		size_t nnd = 0;
		int idx, e = 0;

		if (strncmp(names[i], "virtfn", 6) ||
		    parse_int(names[i] + 6, &idx) < 0 || idx < 0)
			continue;
		r = grow_array((void **)&pf->vfs, &cap, pf->n_vfs,
			       sizeof(*pf->vfs));
		if (r < 0)
			break;
		vf = &pf->vfs[pf->n_vfs];
		vf->index = idx;
		vf->iommu_group = -1;
		vf->address = read_link_base(dfd, AT(dev, names[i]));
		if (!vf->address) {
			add_problem(&pf->problems, &pf->n_problems,
				    "%s: cannot read the link", names[i]);
			continue;
		}
		pf->n_vfs++;
		loc_init(&vl, "bus/pci/devices", vf->address, NULL);
		vf->vendor = read_id(dfd, AT(&vl, "vendor"), &e);
		vf->device = read_id(dfd, AT(&vl, "device"), &e);
		if (e < 0)
			add_problem(&pf->problems, &pf->n_problems,
				    "vf %d (%s): cannot read its ids: %s", idx,
				    vf->address, strerror(-e));
		vf->driver = read_link_base(dfd, AT(&vl, "driver"));
		vf->iommu_group = read_link_int(dfd, AT(&vl, "iommu_group"));
		if (read_netdevs(dfd, &vl, &nd, &nnd) >= 0 && nnd)
			vf->netdev = TAKE_PTR(nd[0].name);
		netdevs_free(nd, nnd);
		r = read_ib(dfd, &vl, &vf->ib);
		if (r < 0)
			break;
	}
	strv_free(names, n);
	return r;
}

static int read_pf(int dfd, struct loc *dev, const char *bus,
		   const char *address, struct sriov_pf *pf)
{
	int e = 0, r;

	memset(pf, 0, sizeof(*pf));
	pf->bus = strdup(bus);
	pf->address = strdup(address);
	if (!pf->bus || !pf->address)
		return -ENOMEM;
	pf->numa_node = -1;
	pf->iommu_group = -1;
	pf->sriov_drivers_autoprobe = -1;
	if (!strcmp(bus, "pci")) {
		pf->vendor = read_id(dfd, AT(dev, "vendor"), &e);
		pf->device = read_id(dfd, AT(dev, "device"), &e);
		if (e < 0)
			add_problem(&pf->problems, &pf->n_problems,
				    "cannot read vendor/device: %s",
				    strerror(-e));
		e = 0;
		pf->class = read_class(dfd, AT(dev, "class"), &e);
		if (e < 0)
			add_problem(&pf->problems, &pf->n_problems,
				    "cannot read class: %s", strerror(-e));
		pf->numa_node = read_int_or(dfd, AT(dev, "numa_node"), -1);
		pf->iommu_group = read_link_int(dfd, AT(dev, "iommu_group"));
	}
	pf->driver = read_link_base(dfd, AT(dev, "driver"));
	pf->sriov_totalvfs = read_int_or(dfd, AT(dev, "sriov_totalvfs"), -1);
	r = fs_read_int(dfd, AT(dev, "sriov_numvfs"), &pf->sriov_numvfs);
	if (r < 0) {
		pf->sriov_numvfs = -1;
		add_problem(&pf->problems, &pf->n_problems,
			    "cannot read sriov_numvfs: %s", strerror(-r));
	}
	{
		_cleanup_free_ char *s = NULL;
		uint64_t v;

		/* iov.c prints it "%x": no 0x, no padding */
		if (fs_read_str(dfd, AT(dev, "sriov_vf_device"), &s) >= 0 &&
		    parse_u64(s, 16, &v) == 0 && v <= 0xffff &&
		    asprintf(&pf->sriov_vf_device, "%04llx",
			     (unsigned long long)v) < 0)
			pf->sriov_vf_device = NULL;
	}
	pf->sriov_drivers_autoprobe =
		read_int_or(dfd, AT(dev, "sriov_drivers_autoprobe"), -1);
	r = read_netdevs(dfd, dev, &pf->netdevs, &pf->n_netdevs);
	if (r < 0)
		return r;
	r = read_ib(dfd, dev, &pf->ib);
	if (r < 0)
		return r;
	return read_vfs(dfd, dev, pf);
}

static void pf_release(struct sriov_pf *pf)
{
	free(pf->bus);
	free(pf->address);
	free(pf->vendor);
	free(pf->device);
	free(pf->class);
	free(pf->driver);
	free(pf->sriov_vf_device);
	netdevs_free(pf->netdevs, pf->n_netdevs);
	ib_device_free(pf->ib);
	for (size_t i = 0; i < pf->n_vfs; i++) {
		struct sriov_vf *vf = &pf->vfs[i];

		free(vf->address);
		free(vf->vendor);
		free(vf->device);
		free(vf->driver);
		free(vf->netdev);
		ib_device_free(vf->ib);
	}
	free(pf->vfs);
	strv_free(pf->problems, pf->n_problems);
}

void sriov_host_release(struct sriov_host *host)
{
	if (!host)
		return;
	for (size_t i = 0; i < host->n_pfs; i++)
		pf_release(&host->pfs[i]);
	free(host->pfs);
	for (size_t i = 0; i < host->n_others; i++) {
		struct sriov_other_device *o = &host->others[i];

		free(o->address);
		free(o->vendor);
		free(o->device);
		free(o->class);
		free(o->driver);
	}
	free(host->others);
	memset(host, 0, sizeof(*host));
}

struct acc {
	size_t cap_pfs, cap_others;
};

/* Is class a network (0x02xxxx) or InfiniBand (0x0c06xx) controller? */
static bool is_net_class(const char *class)
{
	return class &&
	       (!strncmp(class, "02", 2) || !strncmp(class, "0c06", 4));
}

static int scan_pci(int dfd, struct sriov_host *h, struct acc *a)
{
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (fs_list(dfd, SP("bus/pci/devices"), &names, &n) < 0)
		return 0; /* no PCI bus on this host */
	for (size_t i = 0; i < n; i++) {
		struct loc dev;
		int e = 0;

		if (!name_is_safe(names[i]))
			continue;
		loc_init(&dev, "bus/pci/devices", names[i], NULL);
		if (fs_exists(dfd, AT(&dev, "physfn")))
			continue; /* a VF: listed under its PF */
		if (fs_exists(dfd, AT(&dev, "sriov_totalvfs"))) {
			r = grow_array((void **)&h->pfs, &a->cap_pfs, h->n_pfs,
				       sizeof(*h->pfs));
			if (r < 0)
				break;
			r = read_pf(dfd, &dev, "pci", names[i],
				    &h->pfs[h->n_pfs]);
			h->n_pfs++;
			if (r < 0)
				break;
			continue;
		}
		{
			_cleanup_free_ char *class =
				read_class(dfd, AT(&dev, "class"), &e);
			struct sriov_other_device *o;

			if (!is_net_class(class))
				continue;
			r = grow_array((void **)&h->others, &a->cap_others,
				       h->n_others, sizeof(*h->others));
			if (r < 0)
				break;
			o = &h->others[h->n_others++];
			o->address = strdup(names[i]);
			o->class = TAKE_PTR(class);
			o->vendor = read_id(dfd, AT(&dev, "vendor"), &e);
			o->device = read_id(dfd, AT(&dev, "device"), &e);
			o->driver = read_link_base(dfd, AT(&dev, "driver"));
		}
	}
	strv_free(names, n);
	return r;
}

/* Netdevs whose parent device is SR-IOV capable but not on PCI. */
static int scan_other_buses(int dfd, struct sriov_host *h, struct acc *a)
{
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (fs_list(dfd, SP("class/net"), &names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *bus = NULL, *addr = NULL;
		bool seen = false;
		struct loc dev;

		if (!fs_exists(dfd, SP("class/net", names[i], "device",
				       "sriov_numvfs")))
			continue;
		bus = read_link_base(dfd, SP("class/net", names[i], "device",
					     "subsystem"));
		addr = read_link_base(dfd, SP("class/net", names[i], "device"));
		if (!bus || !addr || !strcmp(bus, "pci"))
			continue;
		for (size_t k = 0; k < h->n_pfs; k++)
			if (!strcmp(h->pfs[k].bus, bus) &&
			    !strcmp(h->pfs[k].address, addr))
				seen = true;
		if (seen)
			continue;
		r = grow_array((void **)&h->pfs, &a->cap_pfs, h->n_pfs,
			       sizeof(*h->pfs));
		if (r < 0)
			break;
		loc_init(&dev, "bus", bus, "devices", addr, NULL);
		r = read_pf(dfd, &dev, bus, addr, &h->pfs[h->n_pfs]);
		h->n_pfs++;
		if (r < 0)
			break;
	}
	strv_free(names, n);
	return r;
}

int sriov_host_discover(struct sriov_root *root, struct sriov_host *ret,
			struct sriov_error *err)
{
	struct sriov_host h = { 0 };
	struct acc a = { 0 };
	int r;

	r = scan_pci(root->sys_fd, &h, &a);
	if (r >= 0)
		r = scan_other_buses(root->sys_fd, &h, &a);
	if (r < 0) {
		sriov_host_release(&h);
		return sriov_error_set(err, r, "discovery under '%s': %s",
				       root->sys_path, strerror(-r));
	}
	*ret = h;
	return 0;
}

const struct sriov_pf *sriov_host_find_pf(const struct sriov_host *host,
					  const char *dev)
{
	for (size_t i = 0; i < host->n_pfs; i++) {
		const struct sriov_pf *pf = &host->pfs[i];

		if (!strcmp(pf->address, dev))
			return pf;
		for (size_t k = 0; k < pf->n_netdevs; k++)
			if (!strcmp(pf->netdevs[k].name, dev))
				return pf;
	}
	return NULL;
}
