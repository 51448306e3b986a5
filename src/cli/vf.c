/* SPDX-License-Identifier: MIT */
/* sriovctl vf: show and set VF settings, bind VF drivers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/vf.h>
#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static void root_freep(struct sriov_root **r)
{
	sriov_root_free(*r);
}

static void nl_closep(struct sriov_nl **nl)
{
	sriov_nl_close(*nl);
}

static void link_releasep(struct sriov_link_vfs *l)
{
	sriov_link_vfs_release(l);
}

static const struct sriov_vf_info *find_vf(const struct sriov_link_vfs *l,
					   unsigned vf)
{
	for (size_t i = 0; l && i < l->n_vfs; i++)
		if (l->vfs[i].vf == vf)
			return &l->vfs[i];
	return NULL;
}

static void print_setting(struct printer *p, const char *key, const char *label,
			  int32_t v)
{
	if (v == -1)
		return;
	print_text(p, " %s", label);
	print_bool(p, PRINT_ANY, key, " %s", v != 0);
}

/* The text as ip link prints a GUID; JSON in README's form ("0x" and 16
 * hex digits, as show and ib guid). */
static void print_vf_guid(struct printer *p, const char *key, uint64_t guid)
{
	char s[24];

	print_text(p, " %s %s", key, sriov_guid_format_colon(guid, s));
	print_string(p, PRINT_JSON, key, NULL, sriov_guid_format(guid, s));
}

static void print_vf(struct printer *p, struct sriov_root *root,
		     const struct sriov_pf_ref *pf, unsigned vf,
		     const struct sriov_vf_info *vi)
{
	char pci[64], drv[64], s[128];

	print_open_object(p, NULL);
	print_uint(p, PRINT_ANY, "vf", "vf %u", vf);
	if (sriov_vf_pci(root, pf, vf, pci, sizeof(pci), NULL) == 0) {
		print_string(p, PRINT_ANY, "pci", " %s", pci);
		if (sriov_vf_driver(root, pf, vf, drv, sizeof(drv), NULL) == 0)
			print_string(p, PRINT_ANY, "driver", " driver %s",
				     drv[0] ? drv : NULL);
	}
	if (vi) {
		sriov_format_mac(vi->mac, vi->mac_len, s, sizeof(s));
		print_string(p, PRINT_ANY, "mac", " mac %s", s);
		print_uint(p, PRINT_ANY, "vlan", " vlan %u", vi->vlan);
		print_uint(p, PRINT_ANY, "qos", " qos %u", vi->qos);
		print_string(p, PRINT_ANY, "proto", " proto %s",
			     vi->vlan_proto == SRIOV_ETH_P_8021AD ? "802.1ad" :
								    "802.1Q");
		print_setting(p, "spoofchk", "spoofchk", vi->spoofchk);
		print_setting(p, "trust", "trust", vi->trust);
		print_string(p, PRINT_ANY, "state", " state %s",
			     sriov_vf_link_state_name(vi->link_state));
		print_uint(p, PRINT_ANY, "min_tx_rate", " min_tx_rate %u",
			   vi->min_tx_rate);
		print_uint(p, PRINT_ANY, "max_tx_rate", " max_tx_rate %u",
			   vi->max_tx_rate);
		print_setting(p, "query_rss", "query_rss", vi->rss_query);
		if (vi->present & SRIOV_VF_BIT(SRIOV_VF_NODE_GUID))
			print_vf_guid(p, "node_guid", vi->node_guid);
		if (vi->present & SRIOV_VF_BIT(SRIOV_VF_PORT_GUID))
			print_vf_guid(p, "port_guid", vi->port_guid);
	}
	print_text(p, "\n");
	print_close_object(p);
}

/* Read the PF's VFs over rtnetlink when it has a netdev. */
static int read_link(struct sriov_root *root, const struct sriov_pf_ref *pf,
		     struct sriov_nl **nl, struct sriov_link_vfs *l,
		     struct sriov_error *err)
{
	int r;

	if (!pf->ifindex)
		return 0;
	if (!*nl) {
		r = sriov_nl_open(root, nl, err);
		if (r < 0)
			return r;
	}
	return sriov_vf_read(*nl, pf->ifindex, l, err);
}

static int parse_vf_index(const char *s, unsigned numvfs, unsigned *ret,
			  const struct sriov_pf_ref *pf)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) < 0)
		return cli_usage("invalid VF index '%s' (expected a number)",
				 s);
	if (v >= numvfs)
		return cli_usage(
			"VF %s is out of range: %s has %u VFs (0 to %d)", s,
			pf->dev, numvfs, (int)numvfs - 1);
	*ret = (unsigned)v;
	return 0;
}

static int vf_show(struct cli *cli, struct sriov_root *root,
		   const struct sriov_pf_ref *pf, int argc, char **argv)
{
	_cleanup_(nl_closep) struct sriov_nl *nl = NULL;
	_cleanup_(link_releasep) struct sriov_link_vfs l = { 0 };
	struct sriov_error err = { 0 };
	struct printer p;
	unsigned numvfs, one = 0;
	bool only = false;
	int r;

	if (argc > 3)
		return cli_usage("vf show: unexpected argument '%s'", argv[3]);
	if (sriov_pf_numvfs(root, pf, &numvfs, NULL, &err) < 0)
		return cli_error("%s", err.msg);
	if (argc == 3) {
		r = parse_vf_index(argv[2], numvfs, &one, pf);
		if (r)
			return r;
		only = true;
	}
	if (read_link(root, pf, &nl, &l, &err) < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_array(&p, NULL);
	for (unsigned vf = 0; vf < numvfs; vf++) {
		if (only && vf != one)
			continue;
		print_vf(&p, root, pf, vf, find_vf(&l, vf));
	}
	print_close_array(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static int vf_set(struct cli *cli, struct sriov_root *root,
		  const struct sriov_pf_ref *pf, int argc, char **argv)
{
	_cleanup_(nl_closep) struct sriov_nl *nl = NULL;
	_cleanup_(link_releasep) struct sriov_link_vfs l = { 0 };
	struct sriov_vf_config cfg = { 0 };
	struct sriov_vf_result res = { 0 };
	struct sriov_error err = { 0 };
	enum sriov_vf_driver drv = SRIOV_VF_DRIVER_DEFAULT;
	bool have_drv = false, force = false;
	unsigned numvfs, vf;
	struct printer p;
	uint32_t guids;
	bool rebound = false;
	int r, rc = 0, bound = 0;

	if (argc < 5)
		return cli_usage(
			"vf set: give the VF and at least one KEY VALUE");
	if (sriov_pf_numvfs(root, pf, &numvfs, NULL, &err) < 0)
		return cli_error("%s", err.msg);
	r = parse_vf_index(argv[2], numvfs, &vf, pf);
	if (r)
		return r;
	cfg.vf = vf;
	/* Validate every word before anything is sent. */
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			force = true;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "driver")) {
			if (sriov_vf_driver_parse(argv[++i], &drv, &err) < 0)
				return cli_usage("%s", err.msg);
			have_drv = true;
			continue;
		}
		if (sriov_vf_config_set(&cfg, argv[i], argv[i + 1], &err) < 0)
			return cli_usage("%s", err.msg);
		i++;
	}
	if (sriov_vf_config_check(&cfg, &err) < 0)
		return cli_usage("%s", err.msg);
	if (cfg.mask && !pf->ifindex)
		return cli_error(
			"%s has no netdev: its VFs have no settings to set over rtnetlink (only driver)",
			pf->dev);
	if (have_drv && strcmp(pf->bus, "pci"))
		return cli_error(
			"%s is not a PCI device: its VFs have no driver to bind",
			pf->dev);

	if (cfg.mask) {
		r = read_link(root, pf, &nl, &l, &err);
		if (r < 0)
			return cli_error("%s", err.msg);
		if (!find_vf(&l, vf))
			return cli_error(
				"%s: the PF driver reports no VF %u over rtnetlink",
				pf->ifname, vf);
		r = sriov_vf_set(nl, pf->ifindex, &cfg, find_vf(&l, vf), &res,
				 &err);
		if (r < 0 && !res.sent)
			return cli_error("%s", err.msg);
		/* Each refused attribute is reported alone. */
		for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++) {
			if (!(res.failed & SRIOV_VF_BIT(a)))
				continue;
			if (a == SRIOV_VF_MAX_TX_RATE &&
			    (res.failed & SRIOV_VF_BIT(SRIOV_VF_MIN_TX_RATE)))
				continue;
			cli_error("vf %u: %s: %s%s%s", vf,
				  sriov_vf_attr_name(a),
				  res.code[a] == -EOPNOTSUPP ?
					  "not supported by the PF driver" :
					  strerror(-res.code[a]),
				  res.msg[a][0] ? ": " : "", res.msg[a]);
			rc = EXIT_FAIL;
		}
	}
	guids = cfg.mask & ~res.failed &
		(SRIOV_VF_BIT(SRIOV_VF_NODE_GUID) |
		 SRIOV_VF_BIT(SRIOV_VF_PORT_GUID));
	if (guids && !have_drv) {
		/* The VF driver reads its GUIDs at probe: rebind it. */
		r = sriov_vf_rebind(root, pf, vf, 10000, &err);
		if (r < 0) {
			cli_error("%s", err.msg);
			rc = EXIT_FAIL;
		} else if (r == 0 && strcmp(pf->bus, "pci")) {
			cli_warn(
				"vf %u: guid set in the PF driver; %s is on the %s bus, so there is no PCI driver to rebind",
				vf, pf->dev, pf->bus);
		} else if (r == 0) {
			cli_warn(
				"vf %u: guid set; the VF is unbound, its driver reads the guid when it binds",
				vf);
		}
		rebound = r > 0;
	}
	if (have_drv) {
		bound = sriov_vf_bind(root, pf, vf, drv, force, &err);
		if (bound < 0) {
			cli_error("%s", err.msg);
			rc = EXIT_FAIL;
		}
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_uint(&p, PRINT_JSON, "vf", NULL, vf);
	print_open_array(&p, "set");
	for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
		if (cfg.mask & SRIOV_VF_BIT(a) &&
		    !(res.failed & SRIOV_VF_BIT(a)))
			print_string(&p, PRINT_JSON, NULL, NULL,
				     sriov_vf_attr_name(a));
	if (have_drv && bound > 0)
		print_string(&p, PRINT_JSON, NULL, NULL, "driver");
	print_close_array(&p);
	print_bool(&p, PRINT_JSON, "rebound", NULL, rebound);
	print_open_array(&p, "failed");
	for (int a = 0; a < SRIOV_VF_ATTR_MAX; a++)
		if (cfg.mask & res.failed & SRIOV_VF_BIT(a))
			print_string(&p, PRINT_JSON, NULL, NULL,
				     sriov_vf_attr_name(a));
	if (have_drv && bound < 0)
		print_string(&p, PRINT_JSON, NULL, NULL, "driver");
	print_close_array(&p);
	print_close_object(&p);
	if (print_end(&p) < 0)
		return EXIT_FAIL;
	return rc;
}

/* vf show|set DEV ...: the PF resolved, then the subcommand. */
static int vf_run(struct cli *cli, int argc, char **argv)
{
	_cleanup_(root_freep) struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };
	struct sriov_pf_ref pf;

	if (argc < 2)
		return cli_usage("vf %s: give the PF (netdev or PCI address)",
				 argv[0]);
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	if (sriov_pf_resolve(root, argv[1], &pf, &err) < 0)
		return cli_error("%s", err.msg);
	if (!strcmp(argv[0], "show"))
		return vf_show(cli, root, &pf, argc, argv);
	return vf_set(cli, root, &pf, argc, argv);
}

static const struct cli_command vf_show_cmd = {
	.name = "show",
	.summary =
		"the VFs' settings as the PF driver reports them, their PCI functions and drivers",
	.run = vf_run,
	.usage = "DEV [VF]",
};

static const struct cli_command vf_set_cmd = {
	.name = "set",
	.summary =
		"set VF settings (ip link keywords; each its own request) and the VF's driver",
	.run = vf_run,
	.usage = "DEV VF KEY VALUE... [--force]",
	.options =
		"  mac ADDR           unicast MAC, xx:xx:xx:xx:xx:xx or x:x:x:x:x:x (or 20 bytes on InfiniBand)\n"
		"  vlan ID            0 to 4095 (0: none); numbers here may be 0x hex too, as in ip link\n"
		"  qos N              0 to 7, with vlan\n"
		"  proto 802.1Q|802.1ad  VLAN protocol, with vlan\n"
		"  spoofchk on|off    source MAC check\n"
		"  trust on|off       let the VF change its MAC, promiscuous mode\n"
		"  state auto|enable|disable  the VF's link\n"
		"  min_tx_rate MBPS   minimum rate (0: none)\n"
		"  max_tx_rate MBPS   maximum rate (0: none)\n"
		"  rate MBPS          ip link's legacy maximum rate, the minimum kept (max_tx_rate overrides it)\n"
		"  query_rss on|off   let the VF query the RSS configuration\n"
		"  node_guid GUID     InfiniBand node GUID (0x..., xxxx:xxxx:xxxx:xxxx or xx:..:xx); not 0, all ones or a group GUID\n"
		"  port_guid GUID     InfiniBand port GUID\n"
		"  driver vfio-pci|default|none  bind the VF's driver\n"
		"  --force            rebind even when the VF's netdev is up with addresses\n",
};

static const struct cli_command *const vf_commands[] = { &vf_show_cmd,
							 &vf_set_cmd, NULL };

const struct cli_command cli_vf = {
	.name = "vf",
	.summary = "show and set VF settings and drivers",
	.sub = vf_commands,
};
