/* SPDX-License-Identifier: MIT */
/*
 * sriovctl ib: the host side of InfiniBand for VFs.
 *
 *   ib pkeys DEV VF [PKEY...] [--port N]
 *   ib guid DEV VF [GUID | --sm | --clear] [--port N]
 *   ib guid DEV VF --allocate [--pool FILE | --pool-range START-END]
 *                  [--base GUID] [--ca NAME] [--ca-port N] [--no-fabric-check]
 *   ib guids check [--ca NAME] [--ca-port N] GUID...
 *
 * DEV: the PF's netdev, PCI address or RDMA device; VF: index or PCI
 * address. P-key tables and admin GUIDs are mlx4's iov/ tree; VF GUIDs of
 * other PFs (mlx5, IPoIB) go over rtnetlink.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/ib.h>
#include <sriov/vf.h>

#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static const char *hex_guid(uint64_t g, char buf[static 19])
{
	snprintf(buf, 19, "0x%016" PRIx64, g);
	return buf;
}

static const char *hex_pkey(uint16_t k, char buf[static 7])
{
	snprintf(buf, 7, "0x%04x", k);
	return buf;
}

static int port_opt(const char *arg, unsigned *port)
{
	int v;

	if (parse_int(arg, &v) < 0 || v < 1 || v > 254)
		return cli_usage("--port: expected 1..254, got '%s'", arg);
	*port = (unsigned)v;
	return 0;
}

static void print_vf_head(struct printer *p, const struct sriov_ib_vf *v)
{
	print_string(p, PRINT_ANY, "pf", "%s", v->pf_dev);
	print_string(p, PRINT_ANY, "netdev", " (%s)",
		     v->ifname[0] ? v->ifname : NULL);
	print_string(p, PRINT_ANY, "rdma", " %s", v->rdma[0] ? v->rdma : NULL);
	print_uint(p, PRINT_ANY, "port", " port %u", v->port);
	print_uint(p, PRINT_ANY, "vf", " vf %u", v->vf);
	print_string(p, PRINT_ANY, "vf_address", " %s",
		     v->vf_addr[0] ? v->vf_addr : NULL);
	if (v->mlx4)
		print_string(p, PRINT_ANY, "iov_function", " (iov/%s)",
			     v->iov_fn);
	print_text(p, "\n");
}

static void print_pkeys(struct printer *p, const struct sriov_mlx4_pkeys *t)
{
	char s[7];

	print_size(p, PRINT_ANY, "table_size", "  table of %zu entries",
		   t->n_idx);
	print_text(p, "; physical:");
	print_open_array(p, "physical");
	for (size_t i = 0; i < t->n_phys; i++) {
		print_text(p, " [%zu]", i);
		print_string(p, PRINT_ANY, NULL, "%s", hex_pkey(t->phys[i], s));
	}
	print_close_array(p);
	print_text(p, "\n");
	print_open_array(p, "pkeys");
	for (size_t i = 0; i < t->n_idx; i++) {
		int x = t->idx[i];

		print_open_object(p, NULL);
		print_size(p, PRINT_ANY, "index", "  %zu", i);
		if (x < 0) {
			print_null(p, PRINT_ANY, "phys_index", " none");
			print_null(p, PRINT_JSON, "pkey", NULL);
		} else {
			print_int(p, PRINT_ANY, "phys_index", " -> [%d]", x);
			if ((size_t)x < t->n_phys) {
				print_string(p, PRINT_ANY, "pkey", " %s",
					     hex_pkey(t->phys[x], s));
				print_string(p, PRINT_ANY, "membership", " %s",
					     t->phys[x] & SRIOV_PKEY_FULL ?
						     "full" :
						     "limited");
			} else {
				print_null(p, PRINT_ANY, "pkey",
					   " (beyond the physical table)");
			}
		}
		print_text(p, "\n");
		print_close_object(p);
	}
	print_close_array(p);
}

static int ib_pkeys(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'N' },
		{ 0 },
	};
	_cleanup_free_ uint16_t *want = NULL;
	struct sriov_error err = { 0 };
	struct sriov_root *root = NULL;
	struct sriov_mlx4_pkeys t = { 0 };
	struct sriov_ib_vf v;
	struct printer p;
	unsigned port = 0, written = 0;
	size_t n = 0;
	bool set;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+N:", opts, NULL)) != -1) {
		if (c != 'N')
			return cli_bad_usage();
		if ((r = port_opt(optarg, &port)))
			return r;
	}
	/* Options may also follow the P-keys. */
	if (argc - optind < 2)
		return cli_bad_usage();
	want = calloc((size_t)argc, sizeof(*want));
	if (!want)
		return cli_error("out of memory");
	for (int i = optind + 2; i < argc; i++) {
		if (!strcmp(argv[i], "--port") || !strcmp(argv[i], "-N")) {
			if (i + 1 >= argc)
				return cli_bad_usage();
			if ((r = port_opt(argv[++i], &port)))
				return r;
			continue;
		}
		if (!strncmp(argv[i], "--port=", 7)) {
			if ((r = port_opt(argv[i] + 7, &port)))
				return r;
			continue;
		}
		if (sriov_pkey_parse(argv[i], &want[n], &err) < 0)
			return cli_usage("%s", err.msg);
		n++;
	}
	set = n > 0;
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_ib_vf_resolve(root, argv[optind], argv[optind + 1], port, &v,
				&err);
	if (r >= 0 && set)
		r = sriov_mlx4_pkeys_set(root, &v, want, n, &written, &err);
	if (r >= 0)
		r = sriov_mlx4_pkeys_read(root, &v, &t, &err);
	sriov_root_free(root);
	if (r < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_vf_head(&p, &v);
	print_pkeys(&p, &t);
	if (set)
		print_uint(&p, PRINT_ANY, "written",
			   "  %u pkey_idx file(s) written\n", written);
	print_close_object(&p);
	sriov_mlx4_pkeys_release(&t);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

/* ---- GUIDs ---- */

struct guid_opts {
	unsigned port;
	bool allocate, sm, clear, fabric_check;
	const char *pool_file, *pool_range, *ca;
	int ca_port;
	bool has_base;
	uint64_t base;
};

static int push(uint64_t **v, size_t *n, size_t *cap, uint64_t g)
{
	if (grow_array((void **)v, cap, *n, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = g;
	return 0;
}

static bool usable(uint64_t g)
{
	return g && g != UINT64_MAX;
}

/* GUIDs this host's other functions use on the port (mlx4). */
static int mlx4_used(struct sriov_root *root, const struct sriov_ib_vf *v,
		     unsigned mine_idx, uint64_t **used, size_t *n, size_t *cap)
{
	for (unsigned i = 0; i < 128; i++) {
		struct sriov_ib_vf o = *v;
		struct sriov_mlx4_guid g;

		if (i == v->vf)
			continue;
		/* The kernel's folder name for VF i (function i + 1). */
		snprintf(o.iov_fn, sizeof(o.iov_fn), "%.8s%.2u.%u", v->pf_dev,
			 (i + 1) / 8, (i + 1) % 8);
		o.vf = i;
		if (sriov_mlx4_guid_read(root, &o, &g, NULL) < 0)
			break;
		if (g.gid_idx == mine_idx)
			continue;
		if (usable(g.admin) && push(used, n, cap, g.admin) < 0)
			return -ENOMEM;
		if (g.has_oper && usable(g.oper) &&
		    push(used, n, cap, g.oper) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int fabric_used(const struct guid_opts *o, uint64_t **used, size_t *n,
		       size_t *cap, struct sriov_error *err)
{
	struct sriov_ib_fabric f;
	_cleanup_free_ uint64_t *g = NULL;
	size_t ng = 0;
	int r;

	r = sriov_ib_fabric_scan(o->ca, o->ca_port, &f, err);
	if (r < 0)
		return r;
	r = sriov_ib_fabric_guids(&f, &g, &ng);
	sriov_ib_fabric_release(&f);
	if (r < 0)
		return sriov_error_set(err, r, "out of memory");
	for (size_t i = 0; i < ng; i++)
		if (push(used, n, cap, g[i]) < 0)
			return sriov_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int read_link(struct sriov_root *root, struct sriov_nl **nl,
		     const struct sriov_ib_vf *v, struct sriov_link_vfs *l,
		     struct sriov_error *err)
{
	int r;

	if (!v->ifindex)
		return sriov_error_set(
			err, -ENODEV,
			"%s has no netdev to set VF GUIDs through", v->pf_dev);
	if (!*nl) {
		r = sriov_nl_open(root, nl, err);
		if (r < 0)
			return r;
	}
	return sriov_vf_read(*nl, v->ifindex, l, err);
}

static const struct sriov_vf_info *find_vf(const struct sriov_link_vfs *l,
					   unsigned vf)
{
	for (size_t i = 0; i < l->n_vfs; i++)
		if (l->vfs[i].vf == vf)
			return &l->vfs[i];
	return NULL;
}

static void print_admin(struct printer *p, uint64_t admin)
{
	char s[19];

	print_string(p, PRINT_ANY, "admin_guid", "  admin guid %s",
		     hex_guid(admin, s));
	print_string(p, PRINT_ANY, "admin",
		     admin == SRIOV_MLX4_GUID_SM     ? " (%s)" :
		     admin == SRIOV_MLX4_GUID_DELETE ? " (%s)" :
						       "",
		     admin == SRIOV_MLX4_GUID_SM     ? "sm assigns" :
		     admin == SRIOV_MLX4_GUID_DELETE ? "deleted" :
						       "set");
	print_text(p, "\n");
}

static int guid_mlx4(struct cli *cli, struct sriov_root *root,
		     const struct sriov_ib_vf *v, const struct guid_opts *o,
		     const struct sriov_guid_pool *pool, bool has_value,
		     uint64_t value)
{
	struct sriov_error err = { 0 };
	struct sriov_mlx4_guid g;
	_cleanup_free_ uint64_t *used = NULL;
	size_t n = 0, cap = 0;
	uint64_t pf_guid = o->base;
	bool changed = false;
	struct printer p;
	char s[19];
	int r;

	r = sriov_mlx4_guid_read(root, v, &g, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	if (o->allocate) {
		if (!pool && !o->has_base &&
		    sriov_ib_pf_guid(root, v, &pf_guid, &err) < 0)
			return cli_error("%s", err.msg);
		if (mlx4_used(root, v, g.gid_idx, &used, &n, &cap) < 0)
			return cli_error("out of memory");
		if (o->fabric_check &&
		    fabric_used(o, &used, &n, &cap, &err) < 0)
			return cli_error("%s (or give --no-fabric-check)",
					 err.msg);
		r = sriov_guid_allocate(pool, pf_guid, v->vf, SRIOV_GUID_PORT,
					used, n, usable(g.admin) ? g.admin : 0,
					&value, &err);
		if (r < 0)
			return cli_error("%s", err.msg);
		has_value = true;
	}
	if (has_value) {
		changed = value != g.admin;
		r = sriov_mlx4_guid_set(root, v, value, &err);
		if (r >= 0)
			r = sriov_mlx4_guid_read(root, v, &g, &err);
		if (r < 0)
			return cli_error("%s", err.msg);
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_vf_head(&p, v);
	print_uint(&p, PRINT_ANY, "gid_idx", "  gid index %u\n", g.gid_idx);
	print_admin(&p, g.admin);
	print_string(&p, PRINT_ANY, "guid", "  operational guid %s\n",
		     g.has_oper ? hex_guid(g.oper, s) : NULL);
	if (has_value)
		print_bool(&p, PRINT_JSON, "changed", NULL, changed);
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static int guid_netlink(struct cli *cli, struct sriov_root *root,
			const struct sriov_ib_vf *v, const struct guid_opts *o,
			const struct sriov_guid_pool *pool, bool has_value,
			uint64_t value)
{
	struct sriov_error err = { 0 };
	struct sriov_nl *nl = NULL;
	struct sriov_link_vfs l = { 0 };
	struct sriov_vf_config cfg = { .vf = v->vf };
	const struct sriov_vf_info *vi;
	_cleanup_free_ uint64_t *used = NULL;
	size_t n = 0, cap = 0;
	uint64_t pf_guid = o->base, mine_port = 0, mine_node = 0;
	struct printer p;
	char s[19];
	int r, rc = EXIT_FAIL;

	if (o->sm || o->clear) {
		return cli_error(
			"%s: --sm and --clear are mlx4 alias GUID values; this PF sets VF GUIDs over netlink (give a GUID or --allocate)",
			v->ifname[0] ? v->ifname : v->pf_dev);
	}
	r = read_link(root, &nl, v, &l, &err);
	if (r < 0)
		goto fail;
	vi = find_vf(&l, v->vf);
	if (!vi) {
		sriov_error_set(&err, -ENOENT,
				"%s reports no VF %u over netlink", l.ifname,
				v->vf);
		goto fail;
	}
	if (o->allocate || has_value) {
		if (!(vi->present & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID))) {
			sriov_error_set(
				&err, -EOPNOTSUPP,
				"%s does not report VF GUIDs (not an InfiniBand PF, or its driver has no ndo_get_vf_guid)",
				l.ifname);
			goto fail;
		}
		mine_port = vi->port_guid;
		mine_node = vi->node_guid;
	}
	if (o->allocate) {
		if (!pool && !o->has_base &&
		    sriov_ib_pf_guid(root, v, &pf_guid, &err) < 0)
			goto fail;
		r = push(&used, &n, &cap, pf_guid);
		for (size_t i = 0; r >= 0 && i < l.n_vfs; i++) {
			if (l.vfs[i].vf == v->vf)
				continue;
			if (usable(l.vfs[i].port_guid))
				r = push(&used, &n, &cap, l.vfs[i].port_guid);
			if (r >= 0 && usable(l.vfs[i].node_guid))
				r = push(&used, &n, &cap, l.vfs[i].node_guid);
		}
		if (r < 0) {
			sriov_error_set(&err, -ENOMEM, "out of memory");
			goto fail;
		}
		if (o->fabric_check &&
		    fabric_used(o, &used, &n, &cap, &err) < 0) {
			sriov_error_prefix(&err, "fabric check");
			goto fail;
		}
		r = sriov_guid_allocate(pool, pf_guid, v->vf, SRIOV_GUID_PORT,
					used, n, mine_port, &cfg.port_guid,
					&err);
		if (r >= 0)
			r = push(&used, &n, &cap, cfg.port_guid);
		if (r >= 0)
			r = sriov_guid_allocate(pool, pf_guid, v->vf,
						SRIOV_GUID_NODE, used, n,
						mine_node, &cfg.node_guid,
						&err);
		if (r < 0)
			goto fail;
		cfg.mask = SRIOV_VF_BIT(SRIOV_VF_PORT_GUID) |
			   SRIOV_VF_BIT(SRIOV_VF_NODE_GUID);
	} else if (has_value) {
		cfg.port_guid = value;
		cfg.mask = SRIOV_VF_BIT(SRIOV_VF_PORT_GUID);
	}
	if (cfg.mask) {
		/* One RTM_SETLINK per GUID: the kernel sets only the node
		 * GUID of a message that carries both. */
		r = sriov_vf_set(nl, v->ifindex, &cfg, vi, NULL, &err);
		if (r < 0)
			goto fail;
		sriov_link_vfs_release(&l);
		r = read_link(root, &nl, v, &l, &err);
		if (r < 0)
			goto fail;
		vi = find_vf(&l, v->vf);
		if (!vi ||
		    ((cfg.mask & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID)) &&
		     vi->port_guid != cfg.port_guid) ||
		    ((cfg.mask & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID)) &&
		     vi->node_guid != cfg.node_guid)) {
			sriov_error_set(
				&err, -EIO,
				"vf %u: the GUIDs do not read back as set",
				v->vf);
			goto fail;
		}
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_vf_head(&p, v);
	print_string(&p, PRINT_ANY, "node_guid", "  node guid %s\n",
		     vi->present & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) ?
			     hex_guid(vi->node_guid, s) :
			     NULL);
	print_string(&p, PRINT_ANY, "port_guid", "  port guid %s\n",
		     vi->present & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID) ?
			     hex_guid(vi->port_guid, s) :
			     NULL);
	if (cfg.mask)
		print_bool(&p, PRINT_JSON, "changed", NULL,
			   cfg.port_guid != mine_port ||
				   ((cfg.mask &
				     SRIOV_VF_BIT(SRIOV_VF_NODE_GUID)) &&
				    cfg.node_guid != mine_node));
	print_close_object(&p);
	rc = print_end(&p) < 0 ? EXIT_FAIL : 0;
	sriov_link_vfs_release(&l);
	sriov_nl_close(nl);
	return rc;
fail:
	sriov_link_vfs_release(&l);
	if (nl)
		sriov_nl_close(nl);
	return cli_error("%s", err.msg);
}

static int ib_guid(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'N' },
		{ "allocate", no_argument, NULL, 'a' },
		{ "sm", no_argument, NULL, 's' },
		{ "clear", no_argument, NULL, 'x' },
		{ "pool", required_argument, NULL, 'P' },
		{ "pool-range", required_argument, NULL, 'R' },
		{ "base", required_argument, NULL, 'b' },
		{ "ca", required_argument, NULL, 'C' },
		{ "ca-port", required_argument, NULL, 'c' },
		{ "no-fabric-check", no_argument, NULL, 'n' },
		{ 0 },
	};
	struct guid_opts o = { .fabric_check = true };
	struct sriov_error err = { 0 };
	struct sriov_guid_pool pool, *pp = NULL;
	struct sriov_root *root = NULL;
	struct sriov_ib_vf v;
	uint64_t value = 0;
	bool has_value = false;
	int c, r, modes;

	optind = 0;
	while ((c = getopt_long(argc, argv, "N:", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			if ((r = port_opt(optarg, &o.port)))
				return r;
			break;
		case 'a':
			o.allocate = true;
			break;
		case 's':
			o.sm = true;
			break;
		case 'x':
			o.clear = true;
			break;
		case 'P':
			o.pool_file = optarg;
			break;
		case 'R':
			o.pool_range = optarg;
			break;
		case 'b':
			if (sriov_guid_parse(optarg, &o.base, &err) < 0)
				return cli_usage("--base: %s", err.msg);
			o.has_base = true;
			break;
		case 'C':
			o.ca = optarg;
			break;
		case 'c':
			if (parse_int(optarg, &o.ca_port) < 0 ||
			    o.ca_port < 0 || o.ca_port > 254)
				return cli_usage(
					"--ca-port: expected 1..254, got '%s'",
					optarg);
			break;
		case 'n':
			o.fabric_check = false;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return cli_bad_usage();
	if (argc - optind == 3) {
		if (sriov_guid_parse(argv[optind + 2], &value, &err) < 0 ||
		    sriov_guid_check(value, &err) < 0)
			return cli_usage(
				"%s (use --sm to let the subnet manager assign, --clear to delete)",
				err.msg);
		has_value = true;
	}
	modes = has_value + o.allocate + o.sm + o.clear;
	if (modes > 1)
		return cli_usage("give one of GUID, --sm, --clear, --allocate");
	if ((o.pool_file || o.pool_range || o.has_base) && !o.allocate)
		return cli_usage(
			"--pool, --pool-range and --base go with --allocate");
	if (o.pool_file && o.pool_range)
		return cli_usage("give --pool or --pool-range, not both");
	if (o.pool_file) {
		if (sriov_guid_pool_load(o.pool_file, &pool, &err) < 0)
			return cli_error("%s", err.msg);
		pp = &pool;
	} else if (o.pool_range) {
		if (sriov_guid_pool_parse(o.pool_range, &pool, &err) < 0)
			return cli_usage("--pool-range: %s", err.msg);
		pp = &pool;
	}
	if (o.sm) {
		value = SRIOV_MLX4_GUID_SM;
		has_value = true;
	} else if (o.clear) {
		value = SRIOV_MLX4_GUID_DELETE;
		has_value = true;
	}
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_ib_vf_resolve(root, argv[optind], argv[optind + 1], o.port,
				&v, &err);
	if (r < 0) {
		sriov_root_free(root);
		return cli_error("%s", err.msg);
	}
	if (v.mlx4)
		r = guid_mlx4(cli, root, &v, &o, pp, has_value, value);
	else
		r = guid_netlink(cli, root, &v, &o, pp,
				 has_value && !o.sm && !o.clear, value);
	sriov_root_free(root);
	return r;
}

static int ib_guids_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'C' },
		{ "ca-port", required_argument, NULL, 'c' },
		{ 0 },
	};
	struct guid_opts o = { 0 };
	struct sriov_error err = { 0 };
	struct sriov_ib_fabric f;
	_cleanup_free_ uint64_t *want = NULL;
	struct printer p;
	int c, bad = 0;
	size_t n;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'C')
			o.ca = optarg;
		else if (c == 'c' && parse_int(optarg, &o.ca_port) >= 0 &&
			 o.ca_port >= 0 && o.ca_port <= 254)
			continue;
		else
			return cli_bad_usage();
	}
	if (optind >= argc)
		return cli_bad_usage();
	n = (size_t)(argc - optind);
	want = calloc(n, sizeof(*want));
	if (!want)
		return cli_error("out of memory");
	for (size_t i = 0; i < n; i++)
		if (sriov_guid_parse(argv[optind + (int)i], &want[i], &err) < 0)
			return cli_usage("%s", err.msg);
	if (sriov_ib_fabric_scan(o.ca, o.ca_port, &f, &err) < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_array(&p, NULL);
	for (size_t i = 0; i < n; i++) {
		struct sriov_error ve = { 0 };
		const struct sriov_mad_port *hit = NULL;
		bool node = false;
		char s[19];

		for (size_t k = 0; k < f.n_ports && !hit; k++) {
			if (f.ports[k].guid == want[i])
				hit = &f.ports[k];
			else if (f.ports[k].node_guid == want[i]) {
				hit = &f.ports[k];
				node = true;
			}
		}
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "guid", "%s", hex_guid(want[i], s));
		print_bool(&p, PRINT_JSON, "valid", NULL,
			   sriov_guid_check(want[i], &ve) >= 0);
		print_bool(&p, PRINT_JSON, "in_use", NULL, hit != NULL);
		if (ve.code) {
			print_string(&p, PRINT_ANY, "problem", " invalid: %s",
				     ve.msg);
			bad = 1;
		} else if (hit) {
			print_string(&p, PRINT_ANY, "problem", " in use: %s",
				     node ? "node guid" : "port guid");
			print_uint(&p, PRINT_ANY, "lid", " of lid %u",
				   hit->lid);
			print_string(&p, PRINT_ANY, "name", " \"%s\"",
				     hit->name);
			bad = 1;
		} else {
			print_null(&p, PRINT_ANY, "problem", " free");
		}
		print_text(&p, "\n");
		print_close_object(&p);
	}
	print_close_array(&p);
	sriov_ib_fabric_release(&f);
	if (print_end(&p) < 0)
		return EXIT_FAIL;
	return bad ? EXIT_FAIL : 0;
}

static const struct cli_command ib_pkeys_cmd = {
	.name = "pkeys",
	.summary = "show or set a ConnectX-3 (mlx4) VF's P-key table",
	.run = ib_pkeys,
	.usage = "DEV VF [PKEY...] [--port N]",
	.options =
		"  PKEY...          the VF's table in order, each looked up in the port's physical table (0xb000: full member, 0x3000: limited)\n"
		"  --port N         the HCA port (default: the PF's first InfiniBand port)\n"
		"DEV: the PF's netdev, PCI address or RDMA device; VF: index or PCI address\n",
};

static const struct cli_command ib_guid_cmd = {
	.name = "guid",
	.summary =
		"show or set a VF's GUID; allocate one that no port of the fabric uses",
	.run = ib_guid,
	.usage =
		"DEV VF [GUID | --sm | --clear] [--port N]\nDEV VF --allocate [--pool FILE | --pool-range START-END] [--base GUID] [--ca NAME] [--ca-port N] [--no-fabric-check] [--port N]",
	.options =
		"  GUID                 0x0002c90300a1b2c1, 0002:c903:00a1:b2c1 or 00:02:c9:03:00:a1:b2:c1\n"
		"  --sm                 let the subnet manager assign the GUID (mlx4)\n"
		"  --clear              delete the VF's GUID (mlx4)\n"
		"  --allocate           choose a GUID (derived from the PF's, or from a pool)\n"
		"  --pool FILE          the pool, a YAML file with guid_pool: START-END\n"
		"  --pool-range START-END  the pool, given inline\n"
		"  --base GUID          derive from this GUID rather than the PF port's\n"
		"  --ca NAME            the local HCA that checks the fabric\n"
		"  --ca-port N          its port\n"
		"  --no-fabric-check    do not ask the fabric whether the GUID is in use\n"
		"  --port N             the HCA port of the VF\n",
};

static const struct cli_command ib_guids_check_cmd = {
	.name = "check",
	.summary =
		"is any of these GUIDs in use on the fabric? (exit 1 when one is)",
	.run = ib_guids_check,
	.usage = "[--ca NAME] [--ca-port N] GUID...",
	.options = "  --ca NAME        the local HCA to send MADs from\n"
		   "  --ca-port N      its port\n",
};

static const struct cli_command *const ib_guids_commands[] = {
	&ib_guids_check_cmd, NULL
};

static const struct cli_command ib_guids_cmd = {
	.name = "guids",
	.summary = "GUIDs on the fabric",
	.sub = ib_guids_commands,
};

static const struct cli_command *const ib_commands[] = { &ib_pkeys_cmd,
							 &ib_guid_cmd,
							 &ib_guids_cmd, NULL };

const struct cli_command cli_ib = {
	.name = "ib",
	.summary = "VF P-key tables (mlx4) and VF GUIDs",
	.sub = ib_commands,
};
