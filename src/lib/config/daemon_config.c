/* SPDX-License-Identifier: MIT */
/* sriovd's YAML configuration; every error carries file:line:column. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include <sriov/daemon_config.h>
#include "config/daemon_config_neutron.h"
#include "config/yamldoc.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

struct ctx {
	yaml_document_t *doc;
	const char *path;
	struct sriov_error *err;
	size_t n_pfs; /* in all physnets */
};

/*
 * What one host can have, far above any real one (a host has tens of PFs
 * of at most a few hundred VFs each): each PF is checked against every
 * other, each excluded VF's mapping against the others, so these bound the
 * work a file within its 4 MiB can ask for (400000 PFs took minutes).
 */
#define MAX_PFS 4096
#define MAX_EXCLUDED_VFS 65536

static int at(struct ctx *c, const yaml_node_t *n, int code, const char *msg)
{
	return sriov_error_set_at(c->err, code, c->path,
				  (unsigned)n->start_mark.line + 1,
				  (unsigned)n->start_mark.column + 1, "%s",
				  msg);
}

#define FAIL(c, n, ...)                                \
	({                                             \
		char _m[SRIOV_ERROR_MSG_MAX];          \
		snprintf(_m, sizeof(_m), __VA_ARGS__); \
		at(c, n, -EINVAL, _m);                 \
	})

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

static int want_scalar(struct ctx *c, const yaml_node_t *n, const char *key,
		       const char **ret)
{
	if (!scalar(n))
		return FAIL(c, n, "%s: expected a single value", key);
	*ret = scalar(n);
	return 0;
}

static int want_str(struct ctx *c, const yaml_node_t *n, const char *key,
		    char **ret)
{
	const char *s = NULL;
	int r = want_scalar(c, n, key, &s);

	if (r < 0)
		return r;
	free(*ret);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int want_path(struct ctx *c, const yaml_node_t *n, const char *key,
		     char **ret)
{
	int r = want_str(c, n, key, ret);

	if (r < 0)
		return r;
	if ((*ret)[0] != '/' || strstr(*ret, "/../") || strlen(*ret) >= 108)
		return FAIL(
			c, n,
			"%s: '%s' is not an absolute path without '..' (at most 107 bytes)",
			key, *ret);
	return 0;
}

static int want_uint(struct ctx *c, const yaml_node_t *n, const char *key,
		     int base, uint64_t max, uint64_t *ret)
{
	const char *s = NULL;
	int r = want_scalar(c, n, key, &s);

	if (r < 0)
		return r;
	if (parse_u64(s, base, ret) < 0 || *ret > max)
		return FAIL(c, n, "%s: invalid number '%s' (expected 0..%llu)",
			    key, s, (unsigned long long)max);
	return 0;
}

static bool is_pci(const char *s)
{
	unsigned d, b, sl, f;
	char t;

	return strlen(s) == 12 &&
	       sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &sl, &f, &t) == 4;
}

static bool valid_vf_name(const char *s)
{
	uint64_t v;

	if (is_pci(s))
		return true;
	return !strncmp(s, "vf", 2) && s[2] && parse_u64(s + 2, 10, &v) == 0;
}

/* One PF of physnet @pn, given alone or in its list. */
static int add_pf(struct ctx *c, struct sriov_daemon_config *cfg,
		  struct sriov_daemon_physnet *pn, size_t *cap,
		  const yaml_node_t *e)
{
	const char *pf = scalar(e);

	if (!pf || !name_is_safe(pf) || !sriov_port_id_valid(pf) ||
	    strlen(pf) >= 64)
		return FAIL(
			c, e,
			"physnets: %s: invalid pf '%s' (a netdev name or PCI address)",
			pn->name, pf ? pf : "");
	if (sriov_daemon_config_physnet_of(cfg, pf))
		return FAIL(
			c, e,
			"physnets: pf '%s' is listed twice; a PF belongs to one physnet",
			pf);
	if (++c->n_pfs > MAX_PFS)
		return FAIL(c, e,
			    "physnets: more than %d PFs in all (the limit)",
			    MAX_PFS);
	if (grow_array((void **)&pn->pfs, cap, pn->n_pfs, sizeof(char *)) < 0)
		return -ENOMEM;
	pn->pfs[pn->n_pfs] = strdup(pf);
	if (!pn->pfs[pn->n_pfs])
		return -ENOMEM;
	pn->n_pfs++;
	return 0;
}

static int parse_physnets(struct ctx *c, yaml_node_t *n,
			  struct sriov_daemon_config *cfg)
{
	size_t cap = 0;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"physnets: expected a mapping of physnet names to lists of PFs");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		struct sriov_daemon_physnet *pn;
		const char *name = scalar(k);
		size_t pcap = 0;

		if (!name || !sriov_port_id_valid(name) || strlen(name) >= 64)
			return FAIL(
				c, k,
				"physnets: invalid physnet name '%s' (letters, digits, . _ - : @)",
				name ? name : "");
		for (size_t i = 0; i < cfg->n_physnets; i++)
			if (!strcmp(cfg->physnets[i].name, name))
				return FAIL(c, k, "physnets: '%s' given twice",
					    name);
		if (grow_array((void **)&cfg->physnets, &cap, cfg->n_physnets,
			       sizeof(*cfg->physnets)) < 0)
			return -ENOMEM;
		pn = &cfg->physnets[cfg->n_physnets++];
		memset(pn, 0, sizeof(*pn));
		pn->name = strdup(name);
		if (!pn->name)
			return -ENOMEM;
		if (scalar(v)) {
			/* one PF may be given without a list */
			r = add_pf(c, cfg, pn, &pcap, v);
			if (r < 0)
				return r;
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.start == v->data.sequence.items.top)
			return FAIL(
				c, v,
				"physnets: %s: expected a non-empty list of PFs",
				name);
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			r = add_pf(c, cfg, pn, &pcap,
				   yaml_document_get_node(c->doc, *i));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Neutron's form: "<pf>:<vf>;<vf>". A PF named by PCI address contains
 * colons itself, so it is recognised by its shape first. */
static int parse_exclude(struct ctx *c, yaml_node_t *e,
			 struct sriov_daemon_config *cfg, size_t *cap)
{
	const char *s = scalar(e);
	_cleanup_free_ char *pf = NULL, *list = NULL;
	char *save = NULL, *tok;
	const char *colon;

	if (!s)
		return FAIL(
			c, e,
			"exclude_devices: expected a string '<pf>:<vf>;<vf>...'");
	if (strlen(s) > 12 && s[12] == ':') {
		char head[13];

		memcpy(head, s, 12);
		head[12] = '\0';
		colon = is_pci(head) ? s + 12 : strchr(s, ':');
	} else {
		colon = strchr(s, ':');
	}
	if (!colon)
		return FAIL(
			c, e,
			"exclude_devices: invalid mapping '%s' (expected '<pf>:<vf>;<vf>...')",
			s);
	pf = strndup(s, (size_t)(colon - s));
	list = strdup(colon + 1);
	if (!pf || !list)
		return -ENOMEM;
	if (!pf[0])
		return FAIL(c, e, "exclude_devices: missing pf in mapping '%s'",
			    s);
	if (!sriov_daemon_config_physnet_of(cfg, pf))
		return FAIL(c, e,
			    "exclude_devices: pf '%s' is missing from physnets",
			    pf);
	for (size_t i = 0; i < cfg->n_excludes; i++)
		if (!strcmp(cfg->excludes[i].pf, pf))
			return FAIL(
				c, e,
				"exclude_devices: pf '%s' in mapping '%s' is not unique",
				pf, s);
	for (tok = strtok_r(list, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		char *t = tok;
		struct sriov_daemon_exclude *x;

		while (*t == ' ')
			t++;
		strip_trailing(t);
		if (!*t)
			continue;
		if (!valid_vf_name(t))
			return FAIL(
				c, e,
				"exclude_devices: invalid vf '%s' of pf '%s' (a PCI address 0000:07:00.2, or vfN)",
				t, pf);
		if (cfg->n_excludes >= MAX_EXCLUDED_VFS)
			return FAIL(
				c, e,
				"exclude_devices: more than %d VFs in all (the limit)",
				MAX_EXCLUDED_VFS);
		if (grow_array((void **)&cfg->excludes, cap, cfg->n_excludes,
			       sizeof(*cfg->excludes)) < 0)
			return -ENOMEM;
		x = &cfg->excludes[cfg->n_excludes++];
		x->pf = strdup(pf);
		x->vf = strdup(t);
		if (!x->pf || !x->vf)
			return -ENOMEM;
	}
	return 0;
}

static int parse_drivers(struct ctx *c, yaml_node_t *n,
			 struct sriov_daemon_config *cfg)
{
	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"vf_driver: expected a mapping of vnic type to driver");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		enum sriov_vnic_type t;

		if (!scalar(k) || sriov_vnic_type_parse(scalar(k), &t) < 0)
			return FAIL(
				c, k,
				"vf_driver: unknown vnic type '%s' (expected direct, macvtap or direct-physical)",
				scalar(k) ? scalar(k) : "");
		if (!scalar(v) ||
		    sriov_vf_driver_parse(scalar(v), &cfg->driver[t], NULL) < 0)
			return FAIL(
				c, v,
				"vf_driver: %s: invalid driver '%s' (expected vfio-pci, default or none)",
				scalar(k), scalar(v) ? scalar(v) : "");
	}
	return 0;
}

static int parse_guid(struct ctx *c, yaml_node_t *n,
		      struct sriov_daemon_config *cfg)
{
	if (n->type != YAML_MAPPING_NODE)
		return FAIL(c, n, "guid: expected policy and prefix");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "", *val = scalar(v);

		if (!strcmp(key, "policy")) {
			if (val && !strcmp(val, "allocate"))
				cfg->guid_policy = SRIOV_GUID_ALLOCATE;
			else if (val && !strcmp(val, "given"))
				cfg->guid_policy = SRIOV_GUID_GIVEN;
			else
				return FAIL(
					c, v,
					"guid: invalid policy '%s' (expected allocate or given)",
					val ? val : "");
		} else if (!strcmp(key, "prefix")) {
			unsigned b[4];
			char t;

			if (!val || strlen(val) != 11 ||
			    sscanf(val, "%2x:%2x:%2x:%2x%c", &b[0], &b[1],
				   &b[2], &b[3], &t) != 4)
				return FAIL(
					c, v,
					"guid: invalid prefix '%s' (expected four bytes xx:xx:xx:xx)",
					val ? val : "");
			for (int i = 0; i < 4; i++)
				cfg->guid_prefix[i] = (uint8_t)b[i];
		} else {
			return FAIL(
				c, k,
				"guid: unknown key '%s' (expected policy, prefix)",
				key);
		}
	}
	return 0;
}

/* direct_physical: the PFs that may be handed over whole, each one a PF
 * of a physnet (its network). */
static int parse_whole(struct ctx *c, yaml_node_t *n,
		       struct sriov_daemon_config *cfg)
{
	size_t cap = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return FAIL(
			c, n,
			"direct_physical: expected a list of PFs (netdev names or PCI addresses, as under physnets)");
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *i);
		const char *pf = scalar(e);

		if (!pf || !sriov_daemon_config_physnet_of(cfg, pf))
			return FAIL(
				c, e,
				"direct_physical: pf '%s' is missing from physnets (list it under its physnet first, spelled the same)",
				pf ? pf : "");
		if (sriov_daemon_config_whole_pf(cfg, pf))
			return FAIL(c, e,
				    "direct_physical: pf '%s' is listed twice",
				    pf);
		if (grow_array((void **)&cfg->whole_pfs, &cap, cfg->n_whole_pfs,
			       sizeof(char *)) < 0)
			return -ENOMEM;
		cfg->whole_pfs[cfg->n_whole_pfs] = strdup(pf);
		if (!cfg->whole_pfs[cfg->n_whole_pfs++])
			return -ENOMEM;
	}
	return 0;
}

static int parse_uids(struct ctx *c, yaml_node_t *n,
		      struct sriov_daemon_config *cfg)
{
	size_t cap = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return FAIL(c, n, "allowed_uids: expected a list of uids");
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *i);
		uint64_t v;
		int r = want_uint(c, e, "allowed_uids", 10, 0xfffffffe, &v);

		if (r < 0)
			return r;
		if (grow_array((void **)&cfg->allowed_uids, &cap,
			       cfg->n_allowed_uids, sizeof(uid_t)) < 0)
			return -ENOMEM;
		cfg->allowed_uids[cfg->n_allowed_uids++] = (uid_t)v;
	}
	return 0;
}

/* An etcd endpoint as the client takes it: scheme, host[:port], no path. */
static bool endpoint_valid(const char *s)
{
	const char *h = !strncmp(s, "http://", 7)  ? s + 7 :
			!strncmp(s, "https://", 8) ? s + 8 :
						     NULL;

	if (!h || !*h || strlen(s) > 255)
		return false;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || strchr(".-:[]_", *h)))
			return false;
	return true;
}

static int want_file(struct ctx *c, const yaml_node_t *n, const char *key,
		     char **ret)
{
	int r = want_str(c, n, key, ret);

	if (r < 0)
		return r;
	if ((*ret)[0] != '/' || strstr(*ret, "/../") || strlen(*ret) > 4000)
		return FAIL(
			c, n,
			"cluster: %s: '%s' is not an absolute path without '..'",
			key, *ret);
	return 0;
}

/* The key root, as sriov_cluster_keys_init() will take it. */
static bool prefix_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 200 || s[0] != '/' || s[n - 1] != '/' ||
	    strstr(s, "//"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	return true;
}

static int parse_endpoints(struct ctx *c, yaml_node_t *n,
			   struct sriov_daemon_cluster *cl)
{
	yaml_node_item_t *start = NULL, *top = NULL;
	size_t cap = 0;

	if (n->type == YAML_SEQUENCE_NODE) {
		start = n->data.sequence.items.start;
		top = n->data.sequence.items.top;
	}
	if (!scalar(n) && start == top)
		return FAIL(
			c, n,
			"cluster: etcd: expected a list of endpoints such as http://10.0.0.1:2379");
	for (size_t i = 0; scalar(n) ? i < 1 : start + i < top; i++) {
		yaml_node_t *e =
			scalar(n) ? n :
				    yaml_document_get_node(c->doc, start[i]);
		const char *s = scalar(e);

		if (!s || !endpoint_valid(s))
			return FAIL(
				c, e,
				"cluster: etcd: invalid endpoint '%s' (expected http://HOST:PORT or https://HOST:PORT, no path)",
				s ? s : "");
		for (size_t j = 0; j < cl->n_etcd; j++)
			if (!strcmp(cl->etcd[j], s))
				return FAIL(
					c, e,
					"cluster: etcd: '%s' is listed twice",
					s);
		if (grow_array((void **)&cl->etcd, &cap, cl->n_etcd,
			       sizeof(char *)) < 0)
			return -ENOMEM;
		cl->etcd[cl->n_etcd] = strdup(s);
		if (!cl->etcd[cl->n_etcd++])
			return -ENOMEM;
	}
	return 0;
}

/* cluster.fabric: physnet -> fabric, each physnet one of physnets. */
static int parse_fabrics(struct ctx *c, yaml_node_t *n,
			 struct sriov_daemon_config *cfg)
{
	struct sriov_daemon_cluster *cl = &cfg->cluster;
	size_t cap = 0;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"cluster: fabric: expected a mapping of InfiniBand physnets to fabric names");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *pn = scalar(k), *fab = scalar(v);
		struct sriov_daemon_fabric *f;
		size_t i;

		for (i = 0; pn && i < cfg->n_physnets; i++)
			if (!strcmp(cfg->physnets[i].name, pn))
				break;
		if (!pn || i == cfg->n_physnets)
			return FAIL(
				c, k,
				"cluster: fabric: '%s' is not a physnet of physnets",
				pn ? pn : "");
		if (!fab || !sriov_port_id_valid(fab))
			return FAIL(
				c, v,
				"cluster: fabric: %s: invalid fabric name '%s' (1 to 127 of letters, digits, . _ - : @)",
				pn, fab ? fab : "");
		if (sriov_daemon_config_fabric_of(cfg, pn) != pn)
			return FAIL(c, k, "cluster: fabric: '%s' given twice",
				    pn);
		if (grow_array((void **)&cl->fabrics, &cap, cl->n_fabrics,
			       sizeof(*cl->fabrics)) < 0)
			return -ENOMEM;
		f = &cl->fabrics[cl->n_fabrics++];
		f->physnet = strdup(pn);
		f->fabric = strdup(fab);
		if (!f->physnet || !f->fabric)
			return -ENOMEM;
	}
	return 0;
}

/* cluster: after physnets, which its fabric map names. */
static int parse_cluster(struct ctx *c, yaml_node_t *n,
			 struct sriov_daemon_config *cfg)
{
	struct sriov_daemon_cluster *cl = &cfg->cluster;
	yaml_node_t *etcd = NULL;
	bool https = false;
	uint64_t v;
	int r = 0;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"cluster: expected a mapping (etcd, host_id, lease_ttl, prefix, ca_file, cert_file, key_file, connect_timeout_ms, request_timeout_ms, fabric)");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top && r >= 0; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "";

		if (!strcmp(key, "etcd")) {
			etcd = val;
			r = parse_endpoints(c, val, cl);
		} else if (!strcmp(key, "host_id")) {
			r = want_str(c, val, "cluster: host_id", &cl->host_id);
			if (r >= 0 && !sriov_port_id_valid(cl->host_id))
				r = FAIL(
					c, val,
					"cluster: host_id: invalid '%s' (1 to 127 of letters, digits, . _ - : @, without '..')",
					cl->host_id);
		} else if (!strcmp(key, "lease_ttl")) {
			r = want_uint(c, val, "cluster: lease_ttl", 10, 3600,
				      &v);
			if (r >= 0 && v < 2)
				r = FAIL(
					c, val,
					"cluster: lease_ttl: %llu is too short (expected 2..3600 seconds; sriovd renews every third of it)",
					(unsigned long long)v);
			cl->lease_ttl = (unsigned)v;
		} else if (!strcmp(key, "prefix")) {
			r = want_str(c, val, "cluster: prefix", &cl->prefix);
			if (r >= 0 && !prefix_valid(cl->prefix))
				r = FAIL(
					c, val,
					"cluster: prefix: '%s' is not a path that starts and ends with '/' (printable, no spaces or '//', at most 200 bytes)",
					cl->prefix);
		} else if (!strcmp(key, "ca_file")) {
			r = want_file(c, val, key, &cl->ca_file);
		} else if (!strcmp(key, "cert_file")) {
			r = want_file(c, val, key, &cl->cert_file);
		} else if (!strcmp(key, "key_file")) {
			r = want_file(c, val, key, &cl->key_file);
		} else if (!strcmp(key, "connect_timeout_ms")) {
			r = want_uint(c, val, "cluster: connect_timeout_ms", 10,
				      60000, &v);
			if (r >= 0 && v == 0)
				r = FAIL(
					c, val,
					"cluster: connect_timeout_ms: 0 (expected 1..60000)");
			cl->connect_timeout_ms = (unsigned)v;
		} else if (!strcmp(key, "request_timeout_ms")) {
			r = want_uint(c, val, "cluster: request_timeout_ms", 10,
				      600000, &v);
			if (r >= 0 && v == 0)
				r = FAIL(
					c, val,
					"cluster: request_timeout_ms: 0 (expected 1..600000)");
			cl->request_timeout_ms = (unsigned)v;
		} else if (!strcmp(key, "fabric")) {
			r = parse_fabrics(c, val, cfg);
		} else {
			r = FAIL(
				c, k,
				"cluster: unknown key '%s' (expected etcd, host_id, lease_ttl, prefix, ca_file, cert_file, key_file, connect_timeout_ms, request_timeout_ms, fabric)",
				key);
		}
	}
	if (r < 0)
		return r;
	if (!etcd)
		return FAIL(
			c, n,
			"cluster: 'etcd' is required (the endpoints, e.g. [http://10.0.0.1:2379])");
	if (!cl->cert_file != !cl->key_file)
		return FAIL(
			c, n,
			"cluster: cert_file and key_file go together (the client certificate and its key)");
	for (size_t i = 0; i < cl->n_etcd; i++)
		https |= !strncmp(cl->etcd[i], "https://", 8);
	if (!https && (cl->ca_file || cl->cert_file))
		return FAIL(
			c, n,
			"cluster: ca_file, cert_file and key_file are for https:// endpoints, and every etcd endpoint is http://");
	return 0;
}

static int parse_root(struct ctx *c, yaml_node_t *root,
		      struct sriov_daemon_config *cfg)
{
	yaml_node_t *excl = NULL, *whole = NULL, *cluster = NULL;
	size_t xcap = 0;
	uint64_t v;
	int r = 0;

	if (!root)
		return sriov_error_set_at(
			c->err, -EINVAL, c->path, 1, 1,
			"empty configuration (expected at least physnets)");
	if (root->type != YAML_MAPPING_NODE)
		return FAIL(c, root, "expected a mapping at the top level");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top && r >= 0; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *n = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "";

		if (!strcmp(key, "physnets")) {
			r = parse_physnets(c, n, cfg);
		} else if (!strcmp(key, "exclude_devices")) {
			excl = n; /* after physnets, wherever they are */
		} else if (!strcmp(key, "direct_physical")) {
			whole = n; /* likewise */
		} else if (!strcmp(key, "cluster")) {
			cluster = n; /* likewise */
		} else if (!strcmp(key, "vf_driver")) {
			r = parse_drivers(c, n, cfg);
		} else if (!strcmp(key, "guid")) {
			r = parse_guid(c, n, cfg);
		} else if (!strcmp(key, "numa_policy")) {
			const char *s = NULL;

			r = want_scalar(c, n, key, &s);
			if (r >= 0 && sriov_numa_policy_parse(
					      s, SRIOV_NUMA_SRIOVD,
					      &cfg->numa_policy, NULL) < 0)
				r = FAIL(
					c, n,
					"numa_policy: invalid '%s' (expected none, preferred, required or legacy)",
					s);
		} else if (!strcmp(key, "state_dir")) {
			r = want_path(c, n, key, &cfg->state_dir);
		} else if (!strcmp(key, "socket")) {
			r = want_path(c, n, key, &cfg->socket);
		} else if (!strcmp(key, "metrics_file")) {
			r = want_path(c, n, key, &cfg->metrics_file);
		} else if (!strcmp(key, "socket_mode")) {
			r = want_uint(c, n, key, 8, 0777, &v);
			cfg->socket_mode = (mode_t)v;
			if (r >= 0 && (v & 0111))
				r = FAIL(
					c, n,
					"socket_mode: %03llo has execute bits (expected e.g. 0600 or 0660)",
					(unsigned long long)v);
		} else if (!strcmp(key, "allowed_uids")) {
			r = parse_uids(c, n, cfg);
		} else if (!strcmp(key, "max_request")) {
			r = want_uint(c, n, key, 10, 16 << 20, &v);
			if (r >= 0 && v < 1024)
				r = FAIL(
					c, n,
					"max_request: %llu is too small (expected 1024..16777216)",
					(unsigned long long)v);
			cfg->max_request = (size_t)v;
		} else if (!strcmp(key, "check_interval")) {
			r = want_uint(c, n, key, 10, 86400, &v);
			cfg->check_interval = (unsigned)v;
		} else if (!strcmp(key, "neutron")) {
			r = daemon_config_neutron_parse(c->doc, c->path, n,
							&cfg->neutron, c->err);
		} else {
			r = FAIL(
				c, k,
				"unknown key '%s' (expected physnets, exclude_devices, direct_physical, vf_driver, guid, numa_policy, state_dir, socket, socket_mode, allowed_uids, max_request, check_interval, metrics_file, cluster, neutron)",
				key);
		}
	}
	if (r < 0)
		return r;
	if (!cfg->n_physnets)
		return FAIL(
			c, root,
			"physnets: at least one physnet with its PFs is required");
	if (excl) {
		if (excl->type != YAML_SEQUENCE_NODE)
			return FAIL(
				c, excl,
				"exclude_devices: expected a list of '<pf>:<vf>;<vf>...'");
		for (yaml_node_item_t *i = excl->data.sequence.items.start;
		     i < excl->data.sequence.items.top; i++) {
			r = parse_exclude(c, yaml_document_get_node(c->doc, *i),
					  cfg, &xcap);
			if (r < 0)
				return r;
		}
	}
	if (whole) {
		r = parse_whole(c, whole, cfg);
		if (r < 0)
			return r;
	}
	if (cluster)
		return parse_cluster(c, cluster, cfg);
	return 0;
}

void sriov_daemon_config_init(struct sriov_daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	c->driver[SRIOV_VNIC_DIRECT] = SRIOV_VF_DRIVER_VFIO;
	c->driver[SRIOV_VNIC_MACVTAP] = SRIOV_VF_DRIVER_DEFAULT;
	c->driver[SRIOV_VNIC_DIRECT_PHYSICAL] = SRIOV_VF_DRIVER_VFIO;
	c->guid_policy = SRIOV_GUID_ALLOCATE;
	/* locally administered (bit 1 of the first byte), as MACs are */
	c->guid_prefix[0] = 0x02;
	c->numa_policy = SRIOV_NUMA_PREFERRED;
	c->socket_mode = 0600;
	c->max_request = SRIOV_DAEMON_MAX_REQUEST_DEFAULT;
	c->check_interval = 30;
	daemon_config_neutron_init(&c->neutron);
	c->cluster.lease_ttl = SRIOV_DAEMON_LEASE_TTL_DEFAULT;
	c->cluster.connect_timeout_ms = SRIOV_DAEMON_CONNECT_TIMEOUT_DEFAULT;
	c->cluster.request_timeout_ms = SRIOV_DAEMON_REQUEST_TIMEOUT_DEFAULT;
}

static void cluster_release(struct sriov_daemon_cluster *cl)
{
	for (size_t i = 0; i < cl->n_etcd; i++)
		free(cl->etcd[i]);
	free(cl->etcd);
	for (size_t i = 0; i < cl->n_fabrics; i++) {
		free(cl->fabrics[i].physnet);
		free(cl->fabrics[i].fabric);
	}
	free(cl->fabrics);
	free(cl->host_id);
	free(cl->prefix);
	free(cl->ca_file);
	free(cl->cert_file);
	free(cl->key_file);
}

void sriov_daemon_config_release(struct sriov_daemon_config *c)
{
	for (size_t i = 0; i < c->n_physnets; i++) {
		for (size_t j = 0; j < c->physnets[i].n_pfs; j++)
			free(c->physnets[i].pfs[j]);
		free(c->physnets[i].pfs);
		free(c->physnets[i].name);
	}
	free(c->physnets);
	for (size_t i = 0; i < c->n_excludes; i++) {
		free(c->excludes[i].pf);
		free(c->excludes[i].vf);
	}
	free(c->excludes);
	for (size_t i = 0; i < c->n_whole_pfs; i++)
		free(c->whole_pfs[i]);
	free(c->whole_pfs);
	free(c->allowed_uids);
	free(c->state_dir);
	free(c->socket);
	free(c->metrics_file);
	cluster_release(&c->cluster);
	free(c->path);
	daemon_config_neutron_release(&c->neutron);
	memset(c, 0, sizeof(*c));
}

/* The defaults of what the file did not say; @cfg is moved to @out. */
static int finish(struct sriov_daemon_config *cfg, const char *path,
		  struct sriov_daemon_config *out, struct sriov_error *err)
{
	if (!cfg->state_dir)
		cfg->state_dir = strdup("/var/lib/sriovd");
	if (!cfg->socket)
		cfg->socket = strdup("/run/sriovd/sriovd.sock");
	cfg->path = strdup(path);
	if (!cfg->state_dir || !cfg->socket || !cfg->path) {
		sriov_daemon_config_release(cfg);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	if (cfg->cluster.n_etcd && !cfg->cluster.host_id) {
		char host[256] = "";

		/* the host's name as its id in the cluster (hosts/<id>) */
		if (gethostname(host, sizeof(host) - 1) < 0 ||
		    !sriov_port_id_valid(host)) {
			sriov_daemon_config_release(cfg);
			return sriov_error_set(
				err, -EINVAL,
				"%s: cluster: the hostname '%s' is not a valid host id (1 to 127 of letters, digits, . _ - : @): set cluster.host_id",
				path, host);
		}
		cfg->cluster.host_id = strdup(host);
		if (!cfg->cluster.host_id) {
			sriov_daemon_config_release(cfg);
			return sriov_error_set(err, -ENOMEM, "out of memory");
		}
	}
	*out = *cfg;
	return 0;
}

int sriov_daemon_config_load(const char *path, const char *text,
			     struct sriov_daemon_config *out,
			     struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct sriov_daemon_config cfg;
	yaml_document_t doc;
	struct ctx c = { .doc = &doc, .path = path, .err = err };
	size_t len;
	int r;

	if (!text) {
		/* with its length: a NUL inside is libyaml's error, not
		 * the silent end of the file */
		r = read_file_capped(path, INPUT_MAX_HOST, &buf, &len, err);
		if (r < 0)
			return r;
		text = buf;
	} else {
		len = strlen(text);
	}
	sriov_daemon_config_init(&cfg);
	r = yaml_doc_load(path, text, len, &doc, err);
	if (r < 0)
		return r;
	r = parse_root(&c, yaml_document_get_root_node(&doc), &cfg);
	yaml_document_delete(&doc);
	if (r == -ENOMEM)
		sriov_error_set(err, r, "out of memory");
	if (r < 0) {
		sriov_daemon_config_release(&cfg);
		return r;
	}
	return finish(&cfg, path, out, err);
}

int sriov_daemon_config_defaults(const char *path,
				 struct sriov_daemon_config *out,
				 struct sriov_error *err)
{
	struct sriov_daemon_config cfg;

	sriov_daemon_config_init(&cfg);
	return finish(&cfg, path, out, err);
}

const char *sriov_daemon_config_physnet_of(const struct sriov_daemon_config *c,
					   const char *pf)
{
	for (size_t i = 0; i < c->n_physnets; i++)
		for (size_t j = 0; j < c->physnets[i].n_pfs; j++)
			if (!strcmp(c->physnets[i].pfs[j], pf))
				return c->physnets[i].name;
	return NULL;
}

bool sriov_daemon_config_clustered(const struct sriov_daemon_config *c)
{
	return c->cluster.n_etcd > 0;
}

const char *sriov_daemon_config_fabric_of(const struct sriov_daemon_config *c,
					  const char *physnet)
{
	for (size_t i = 0; i < c->cluster.n_fabrics; i++)
		if (!strcmp(c->cluster.fabrics[i].physnet, physnet))
			return c->cluster.fabrics[i].fabric;
	return physnet;
}

bool sriov_daemon_config_excluded(const struct sriov_daemon_config *c,
				  const char *pf, unsigned index,
				  const char *address)
{
	char name[32];

	snprintf(name, sizeof(name), "vf%u", index);
	for (size_t i = 0; i < c->n_excludes; i++) {
		if (strcmp(c->excludes[i].pf, pf))
			continue;
		if (!strcmp(c->excludes[i].vf, name) ||
		    (address && address[0] &&
		     !strcmp(c->excludes[i].vf, address)))
			return true;
	}
	return false;
}

bool sriov_daemon_config_whole_pf(const struct sriov_daemon_config *c,
				  const char *pf)
{
	for (size_t i = 0; i < c->n_whole_pfs; i++)
		if (!strcmp(c->whole_pfs[i], pf))
			return true;
	return false;
}
