/* SPDX-License-Identifier: MIT */
/*
 * sriovctl render nova|neutron: configuration written from this host's
 * hardware (discovery) and a map of physical networks to PFs:
 *   nova     [pci] device_spec and alias lines for nova.conf
 *   neutron  sriov_agent.ini [sriov_nic]
 * The group's table is in render.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/host.h>
#include <sriov/types.h>

#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

struct physmap {
	char *entry; /* "physnet1=ens1f0" as given, for messages */
	char *physnet;
	char *dev; /* as given */
	const struct sriov_pf *pf;
	const char *ifname; /* the PF's netdev for neutron, NULL if none */
};

static void physmap_free(struct physmap *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].entry);
		free(m[i].physnet);
		free(m[i].dev);
	}
	free(m);
}

static int out_of_memory(void)
{
	return cli_error("%s", strerror(ENOMEM));
}

/* "0000:3b:00.0" or "3b:00.0", any case, to the kernel's form. */
static bool pci_addr_canon(const char *s, char out[static 16])
{
	unsigned d = 0, b, sl, f;
	int n = 0;

	if (sscanf(s, "%x:%x:%x.%x%n", &d, &b, &sl, &f, &n) == 4 && !s[n])
		;
	else if (d = 0, n = 0,
		 sscanf(s, "%x:%x.%x%n", &b, &sl, &f, &n) == 3 && !s[n])
		;
	else
		return false;
	if (d > 0xffff || b > 0xff || sl > 0x1f || f > 7 ||
	    strspn(s, "0123456789abcdefABCDEF:.") != strlen(s))
		return false;
	snprintf(out, 16, "%04x:%02x:%02x.%x", d, b, sl, f);
	return true;
}

/* Physical network names go into comma- and colon-separated options. */
static bool physnet_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr(",:=\"\\", *s))
			return false;
	return true;
}

/* Why dev names no PF: the message for the entry. */
static int unknown_device(const struct sriov_host *h, const char *entry,
			  const char *dev, const char *canon)
{
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];
		for (size_t k = 0; k < pf->n_vfs; k++) {
			const struct sriov_vf *vf = &pf->vfs[k];
			if ((vf->netdev && !strcmp(vf->netdev, dev)) ||
			    (vf->address && canon &&
			     !strcmp(vf->address, canon)))
				return cli_error(
					"--physnet-map %s: %s is VF %d of %s; map its PF",
					entry, dev, vf->index, pf->address);
		}
	}
	for (size_t i = 0; canon && i < h->n_others; i++)
		if (h->others[i].address &&
		    !strcmp(h->others[i].address, canon))
			return cli_error(
				"--physnet-map %s: %s has no SR-IOV capability (no sriov_totalvfs); map an SR-IOV PF",
				entry, canon);
	return cli_error(
		"--physnet-map %s: no SR-IOV PF on this host has the netdev or PCI address '%s' (see sriovctl show)",
		entry, dev);
}

/* One PHYSNET=DEV entry, checked against the host. */
static int physmap_entry(const struct sriov_host *h, char *tok,
			 struct physmap *m, size_t n)
{
	struct physmap *e = &m[n];
	char *eq = strchr(tok, '=');
	char canon[16];

	if (!eq || eq == tok || !eq[1] || strchr(eq + 1, '='))
		return cli_usage(
			"--physnet-map: entry '%s' is not PHYSNET=DEV (DEV: a PF's netdev or PCI address)",
			tok);
	*eq = '\0';
	if (!physnet_ok(tok)) {
		*eq = '=';
		return cli_usage(
			"--physnet-map: entry '%s': physical network names are 1-64 characters without spaces, ',', ':', '=', quotes or backslashes",
			tok);
	}
	*eq = '=';
	*e = (struct physmap){ .entry = strdup(tok),
			       .physnet = strndup(tok, (size_t)(eq - tok)),
			       .dev = strdup(eq + 1) };
	if (!e->entry || !e->physnet || !e->dev)
		return out_of_memory();
	bool is_addr = pci_addr_canon(e->dev, canon);
	e->pf = sriov_host_find_pf(h, is_addr ? canon : e->dev);
	if (!e->pf)
		return unknown_device(h, e->entry, e->dev,
				      is_addr ? canon : NULL);
	if (strcmp(e->pf->bus, "pci"))
		return cli_error(
			"--physnet-map %s: %s is on the %s bus, not PCI: Nova and Neutron pass through PCI functions only",
			e->entry, e->dev, e->pf->bus);
	if (e->pf->sriov_totalvfs <= 0)
		return cli_error(
			"--physnet-map %s: %s reports sriov_totalvfs %d: it cannot have VFs",
			e->entry, e->pf->address, e->pf->sriov_totalvfs);
	if (!is_addr)
		e->ifname = e->dev;
	else if (e->pf->n_netdevs)
		e->ifname = e->pf->netdevs[0].name;
	for (size_t k = 0; k < n; k++)
		if (m[k].pf == e->pf)
			return cli_error(
				"--physnet-map %s: %s is the same PF as %s; a PF belongs to one physical network",
				e->entry, e->pf->address, m[k].entry);
	return 0;
}

/*
 * --physnet-map PHYSNET=DEV[,PHYSNET=DEV...]: DEV is a PF's netdev or PCI
 * address. One PF takes one physical network: Nova gives a device the
 * tags of the first spec that matches it, and Neutron requires unique
 * devices in physical_device_mappings.
 */
static int parse_physmap(const struct sriov_host *h, const char *arg,
			 struct physmap **ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(arg);
	struct physmap *m = NULL;
	size_t n = 0, cap = 0;
	char *save = NULL, *tok;
	int rc;

	if (!copy)
		return out_of_memory();
	if (!*arg || arg[strlen(arg) - 1] == ',' || arg[0] == ',' ||
	    strstr(arg, ",,"))
		return cli_usage(
			"--physnet-map '%s': empty entry; expected PHYSNET=DEV[,PHYSNET=DEV...] (DEV: a PF's netdev or PCI address)",
			arg);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (grow_array((void **)&m, &cap, n, sizeof(*m)) < 0) {
			rc = out_of_memory();
			goto fail;
		}
		m[n] = (struct physmap){ 0 };
		rc = physmap_entry(h, tok, m, n);
		n++; /* the entry's strings are freed with the others */
		if (rc)
			goto fail;
	}
	*ret = m;
	*ret_n = n;
	return 0;
fail:
	physmap_free(m, n);
	return rc;
}

struct render_opts {
	const char *map;
	const char *prefix;
	const char *policy;
	bool include_pf;
	char **excludes;
	size_t n_excludes;
};

static int parse_render_opts(int argc, char **argv, bool neutron,
			     struct render_opts *o)
{
	static const struct option opts[] = {
		{ "physnet-map", required_argument, NULL, 'm' },
		{ "include-pf", no_argument, NULL, 'p' },
		{ "alias-prefix", required_argument, NULL, 'a' },
		{ "numa-policy", required_argument, NULL, 'n' },
		{ "exclude", required_argument, NULL, 'x' },
		{ 0 },
	};
	size_t cap = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'm')
			o->map = optarg;
		else if (c == 'p' && !neutron)
			o->include_pf = true;
		else if (c == 'a' && !neutron)
			o->prefix = optarg;
		else if (c == 'n' && !neutron)
			o->policy = optarg;
		else if (c == 'x' && neutron) {
			if (grow_array((void **)&o->excludes, &cap,
				       o->n_excludes, sizeof(char *)) < 0)
				return -ENOMEM;
			o->excludes[o->n_excludes++] = optarg;
		} else
			return -EINVAL;
	}
	return optind == argc && o->map ? 0 : -EINVAL;
}

static int render_args(int argc, char **argv, bool neutron,
		       struct render_opts *o)
{
	int r = parse_render_opts(argc, argv, neutron, o);

	if (r == -ENOMEM)
		return out_of_memory();
	return r < 0 ? cli_bad_usage() : 0;
}

static int open_host(struct cli *cli, struct sriov_root **root,
		     struct sriov_host *host)
{
	struct sriov_error err = { 0 };

	if (cli_open_root(cli, root) < 0)
		return EXIT_FAIL;
	if (sriov_host_discover(*root, host, &err) < 0)
		return cli_error("discovery: %s", err.msg);
	return 0;
}

/* The NUMA nodes a set of PFs sits on, as a bit mask (nodes 0-63). */
static unsigned long long numa_mask(const struct sriov_pf *pf)
{
	return pf->numa_node >= 0 && pf->numa_node < 64 ?
		       1ULL << pf->numa_node :
		       0;
}

/*
 * The alias's numa_policy. Nova's default, legacy, keeps a NUMA guest on
 * devices local to it when they report a node, and still allows devices
 * that report none. When the devices sit on some of the host's nodes only,
 * legacy (or required) would leave a guest placed on another node with no
 * device at all (NoValidHost): preferred then takes a local device when
 * there is one and any device otherwise.
 */
static const char *alias_policy(const struct sriov_host *h,
				unsigned long long devs)
{
	unsigned long long all = 0;

	for (size_t i = 0; i < h->n_pfs; i++)
		if (!strcmp(h->pfs[i].bus, "pci"))
			all |= numa_mask(&h->pfs[i]);
	return devs && devs != all ? "preferred" : "legacy";
}

static const char *vf_product(const struct sriov_pf *pf)
{
	if (pf->sriov_vf_device)
		return pf->sriov_vf_device;
	for (size_t k = 0; k < pf->n_vfs; k++)
		if (pf->vfs[k].device)
			return pf->vfs[k].device;
	return NULL;
}

static bool alias_name_ok(const char *s)
{
	if (!*s || *s == ' ' || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f || strchr(",:", *s))
			return false;
	return true;
}

/* v as JSON text with json_dumpb(), which does not allocate (json_dumps()
 * can drop characters when an allocation fails); NULL: out of memory. */
static char *json_text(json_t *v)
{
	size_t n = v ? json_dumpb(v, NULL, 0, 0) : 0;
	char *s = n ? malloc(n + 1) : NULL;

	if (s && json_dumpb(v, s, n, 0) == n) {
		s[n] = '\0';
		return s;
	}
	free(s);
	return NULL;
}

/* A nova.conf line "KEY = {...}" and the same object in JSON (stolen). */
static int print_option(struct printer *p, const char *key, json_t *v)
{
	_cleanup_free_ char *s = json_text(v);

	if (!s) {
		json_decref(v);
		return -ENOMEM;
	}
	print_text(p, "%s = %s\n", key, s);
	print_json(p, NULL, v);
	return 0;
}

/* The device_spec lines of one mapped PF, each with its comment. */
static int print_specs(struct printer *p, const struct physmap *e,
		       bool include_pf)
{
	const struct sriov_pf *pf = e->pf;
	const char *vfp = vf_product(pf);
	char numa[32] = "no NUMA node";

	if (pf->numa_node >= 0)
		snprintf(numa, sizeof(numa), "NUMA node %d", pf->numa_node);
	print_text(p, "# %s %s (%s:%s, %s): %d of %d VFs, VF product %s, %s\n",
		   pf->n_netdevs ? pf->netdevs[0].name : "-", pf->address,
		   pf->vendor, pf->device,
		   pf->driver ? pf->driver : "no driver", pf->sriov_numvfs,
		   pf->sriov_totalvfs, vfp, numa);
	/* The PF's address matches its VFs through parent_addr
	 * (devspec.py WhitelistPciAddress): stable across interface
	 * renames, unlike devname. The VF product id keeps the PF
	 * itself out. */
	if (print_option(p, "device_spec",
			 json_pack("{s:s,s:s,s:s,s:s}", "vendor_id", pf->vendor,
				   "product_id", vfp, "address", pf->address,
				   "physical_network", e->physnet)) < 0)
		return -ENOMEM;
	if (!include_pf)
		return 0;
	return print_option(p, "device_spec",
			    json_pack("{s:s,s:s,s:s,s:s}", "vendor_id",
				      pf->vendor, "product_id", pf->device,
				      "address", pf->address,
				      "physical_network", e->physnet));
}

/* One alias per distinct product (VFs, then PFs with --include-pf). */
static int print_aliases(struct printer *p, const struct sriov_host *host,
			 const struct physmap *m, size_t n,
			 const struct render_opts *o)
{
	for (int pass = 0; pass < (o->include_pf ? 2 : 1); pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct sriov_pf *pf = m[i].pf;
			const char *prod = pass ? pf->device : vf_product(pf);
			bool seen = false;
			unsigned long long nodes = 0;

			for (size_t k = 0; k < n; k++) {
				const struct sriov_pf *q = m[k].pf;
				const char *qp = pass ? q->device :
							vf_product(q);
				if (strcmp(q->vendor, pf->vendor) ||
				    strcmp(qp, prod))
					continue;
				seen = seen || k < i;
				nodes |= numa_mask(q);
			}
			if (seen)
				continue;
			char name[256];
			snprintf(name, sizeof(name), "%s%s%s-%s", o->prefix,
				 pass ? "pf-" : "", pf->vendor, prod);
			if (print_option(
				    p, "alias",
				    json_pack("{s:s,s:s,s:s,s:s,s:s}", "name",
					      name, "vendor_id", pf->vendor,
					      "product_id", prod, "device_type",
					      pass ? "type-PF" : "type-VF",
					      "numa_policy",
					      o->policy ?
						      o->policy :
						      alias_policy(host,
								   nodes))) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int render_nova(struct cli *cli, int argc, char **argv)
{
	struct render_opts o = { .prefix = "sriov-" };
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	struct physmap *m = NULL;
	enum sriov_numa_policy pol;
	struct printer p;
	size_t n = 0;
	int rc;

	rc = render_args(argc, argv, false, &o);
	free(o.excludes);
	if (rc)
		return rc;
	if (o.policy &&
	    sriov_numa_policy_parse(o.policy, SRIOV_NUMA_NOVA, &pol, NULL) < 0)
		return cli_usage(
			"render nova: --numa-policy '%s' is not one of legacy, required, preferred, socket",
			o.policy);
	if (!alias_name_ok(o.prefix) && *o.prefix)
		return cli_usage(
			"render nova: --alias-prefix '%s': alias names go into the flavor's pci_passthrough:alias (NAME:COUNT,...), so no ',', ':', control characters or leading space",
			o.prefix);
	rc = open_host(cli, &root, &host);
	if (rc)
		goto out;
	rc = parse_physmap(&host, o.map, &m, &n);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct sriov_pf *pf = m[i].pf;
		const char *vfp = vf_product(pf);

		if (!pf->vendor || !pf->device || !vfp) {
			rc = cli_error(
				"--physnet-map %s: cannot read the %s of %s (no sriov_vf_device and no VFs to read it from)",
				m[i].entry,
				!pf->vendor ? "vendor id" :
				!pf->device ? "device id" :
					      "VF product id",
				pf->address);
			goto out;
		}
		if (!strcmp(vfp, pf->device) && !o.include_pf)
			cli_warn(
				"%s: its VFs have the PF's product id %s, so the spec for its VFs also matches the PF",
				pf->address, vfp);
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_text(
		&p,
		"# [pci] options for this host, written by sriovctl render nova --physnet-map %s%s\n[pci]\n",
		o.map, o.include_pf ? " --include-pf" : "");
	print_open_array(&p, "device_spec");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = print_specs(&p, &m[i], o.include_pf);
	print_close_array(&p);
	print_open_array(&p, "alias");
	if (rc == 0)
		rc = print_aliases(&p, &host, m, n, &o);
	print_close_array(&p);
	print_close_object(&p);
	if (rc < 0) {
		print_discard(&p);
		rc = out_of_memory();
	} else {
		rc = print_end(&p) < 0 ? EXIT_FAIL : 0;
	}
out:
	physmap_free(m, n);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	return rc;
}

/* The mapped PF that DEV (a netdev or PCI address) names, or NULL. */
static const struct physmap *mapped_pf(const struct sriov_host *h,
				       const struct physmap *m, size_t n,
				       const char *dev)
{
	char canon[16];
	bool is_addr = pci_addr_canon(dev, canon);
	const struct sriov_pf *pf =
		sriov_host_find_pf(h, is_addr ? canon : dev);

	for (size_t i = 0; pf && i < n; i++)
		if (m[i].pf == pf)
			return &m[i];
	return NULL;
}

/* Add canon to the JSON list of strings unless it is there. */
static int add_unique(json_t *list, const char *canon)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v), canon))
			return 0;
	return json_array_append_new(list, json_string(canon)) < 0 ? -ENOMEM :
								     0;
}

/* --exclude DEV:ADDR[;ADDR...], as Neutron's exclude_devices entries. */
static int add_exclude(const struct sriov_host *h, const struct physmap *m,
		       size_t n, const char *arg, json_t *ex)
{
	const char *colon = strchr(arg, ':');
	char canon[16];

	/* DEV may itself be a PCI address: the last ':' before the list
	 * would be wrong, so try the longest PCI address prefix first. */
	size_t dl = colon ? (size_t)(colon - arg) : 0;
	for (const char *c = strchr(arg, ':'); c; c = strchr(c + 1, ':')) {
		_cleanup_free_ char *d = strndup(arg, (size_t)(c - arg));
		if (!d)
			return out_of_memory();
		if (pci_addr_canon(d, canon)) {
			dl = (size_t)(c - arg);
			break;
		}
	}
	if (!colon || !dl)
		return cli_usage(
			"--exclude '%s': expected DEV:ADDR[;ADDR...] (DEV: a mapped PF's netdev or PCI address, ADDR: its VFs' PCI addresses)",
			arg);
	_cleanup_free_ char *dev = strndup(arg, dl);
	_cleanup_free_ char *addrs = strdup(arg + dl + 1);
	if (!dev || !addrs)
		return out_of_memory();
	const struct physmap *e = mapped_pf(h, m, n, dev);
	if (!e)
		return cli_error(
			"--exclude %s: %s is not a device of --physnet-map (Neutron requires excluded devices' PFs in physical_device_mappings)",
			arg, dev);
	const struct sriov_pf *pf = e->pf;
	json_t *list = json_object_get(ex, e->ifname);
	if (!list) {
		list = json_array();
		if (json_object_set_new(ex, e->ifname, list) < 0)
			return out_of_memory();
	}
	char *save = NULL;
	for (char *a = strtok_r(addrs, ";", &save); a;
	     a = strtok_r(NULL, ";", &save)) {
		while (*a == ' ')
			a++;
		size_t al = strlen(a);
		while (al && a[al - 1] == ' ')
			a[--al] = '\0';
		if (!*a)
			continue;
		if (!pci_addr_canon(a, canon))
			return cli_usage(
				"--exclude %s: '%s' is not a PCI address (expected 0000:41:00.2)",
				arg, a);
		bool vf = false;
		for (size_t k = 0; k < pf->n_vfs; k++)
			vf = vf || (pf->vfs[k].address &&
				    !strcmp(pf->vfs[k].address, canon));
		if (!vf)
			cli_warn("--exclude %s: %s is not a VF of %s now", arg,
				 canon, pf->address);
		if (add_unique(list, canon) < 0)
			return out_of_memory();
	}
	return 0;
}

/* "physnet1:ens1f0,physnet2:ens2f0" */
static char *mappings_text(const struct physmap *m, size_t n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s:%s", i ? "," : "", m[i].physnet, m[i].ifname);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* "ens1f0:0000:41:00.2;0000:41:00.3,ens2f0:..." */
static char *excludes_text(json_t *ex)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	const char *dev;
	json_t *list;
	bool first = true;

	if (!f)
		return NULL;
	json_object_foreach(ex, dev, list) {
		size_t i;
		json_t *a;
		if (!json_array_size(list))
			continue;
		fprintf(f, "%s%s:", first ? "" : ",", dev);
		json_array_foreach(list, i, a)
			fprintf(f, "%s%s", i ? ";" : "", json_string_value(a));
		first = false;
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static int render_neutron(struct cli *cli, int argc, char **argv)
{
	struct render_opts o = { 0 };
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	struct physmap *m = NULL;
	_cleanup_(json_decrefp) json_t *ex = NULL;
	_cleanup_free_ char *maps = NULL, *excl = NULL;
	struct printer p;
	size_t n = 0;
	int rc;

	rc = render_args(argc, argv, true, &o);
	if (rc)
		goto out;
	rc = open_host(cli, &root, &host);
	if (rc)
		goto out;
	rc = parse_physmap(&host, o.map, &m, &n);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!m[i].ifname) {
			rc = cli_error(
				"--physnet-map %s: %s has no network interface (driver %s); the sriov_nic agent maps physical networks to interfaces: bind the PF to its network driver",
				m[i].entry, m[i].pf->address,
				m[i].pf->driver ? m[i].pf->driver : "none");
			goto out;
		}
		for (size_t k = 0; k < m[i].pf->n_netdevs; k++)
			if (!strcmp(m[i].pf->netdevs[k].name, m[i].ifname) &&
			    m[i].pf->netdevs[k].link_type ==
				    SRIOV_LINK_INFINIBAND)
				cli_warn(
					"%s: %s is an InfiniBand interface; the sriov_nic agent configures Ethernet VFs",
					m[i].entry, m[i].ifname);
	}
	ex = json_object();
	if (!ex) {
		rc = out_of_memory();
		goto out;
	}
	for (size_t i = 0; i < o.n_excludes; i++) {
		rc = add_exclude(&host, m, n, o.excludes[i], ex);
		if (rc)
			goto out;
	}
	maps = mappings_text(m, n);
	excl = excludes_text(ex);
	if (!maps || !excl) {
		rc = out_of_memory();
		goto out;
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_text(
		&p,
		"# sriov_agent.ini for this host, written by sriovctl render neutron\n[sriov_nic]\n");
	print_open_object(&p, "sriov_nic");
	print_string(&p, PRINT_ANY, "physical_device_mappings",
		     "physical_device_mappings = %s\n", maps);
	print_string(&p, PRINT_ANY, "exclude_devices", "exclude_devices = %s\n",
		     excl);
	print_close_object(&p);
	print_close_object(&p);
	rc = print_end(&p) < 0 ? EXIT_FAIL : 0;
out:
	free(o.excludes);
	physmap_free(m, n);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	return rc;
}

const struct cli_command cli_render_nova = {
	.name = "nova",
	.summary =
		"Nova's [pci] device_spec and alias from this host's hardware",
	.run = render_nova,
	.usage =
		"--physnet-map PHYSNET=DEV[,...] [--include-pf] [--alias-prefix P] [--numa-policy POLICY]",
	.options =
		"  --physnet-map PHYSNET=DEV[,...]  the PFs of each physical network (netdev or PCI address)\n"
		"  --include-pf          also a device_spec for each PF as a whole\n"
		"  --alias-prefix P      prefix of the alias names\n"
		"  --numa-policy POLICY  legacy, required, preferred or socket (default: from the hardware)\n",
};

const struct cli_command cli_render_neutron = {
	.name = "neutron",
	.summary = "Neutron's sriov_agent.ini from this host's hardware",
	.run = render_neutron,
	.usage =
		"--physnet-map PHYSNET=DEV[,...] [--exclude DEV:ADDR[;ADDR...][,...]]",
	.options =
		"  --physnet-map PHYSNET=DEV[,...]  the PFs of each physical network\n"
		"  --exclude DEV:ADDR[;ADDR...][,...]  VFs the agent leaves alone (exclude_devices)\n",
};
