/* SPDX-License-Identifier: MIT */
/*
 * sriovctl cluster: the cloud's shared state in etcd (docs/cluster.md).
 *
 *   cluster status [--etcd URL,...]   fabrics, their controllers and counts
 *   cluster hosts                     every host's inventory
 *   cluster ports                     every binding
 *   cluster guids                     every GUID claim, and what holds it
 *   cluster place --device-spec FILE [--alias FILE] REQUEST.json
 *                                     the hosts where a request fits, with
 *                                     Nova's semantics, from the inventory
 *
 * A value the schema refuses is listed under "problems" with its key and
 * hides nothing else.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <sriov/cluster.h>
#include <sriov/nova.h>

#include "cli.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

#define ENDPOINTS_MAX 16

struct copts {
	char *endpoints_buf;
	const char *endpoints[ENDPOINTS_MAX];
	size_t n_endpoints;
	const char *root;
	const char *ca, *cert, *key;
	unsigned timeout_ms;
	/* place */
	const char *spec, *alias;
	int first_arg;
};

enum {
	C_ETCD = 256,
	C_PREFIX,
	C_CA,
	C_CERT,
	C_KEY,
	C_TIMEOUT,
	C_SPEC,
	C_ALIAS,
};

static int parse_copts(int argc, char **argv, bool place, struct copts *o)
{
	static const struct option opts[] = {
		{ "etcd", required_argument, NULL, C_ETCD },
		{ "prefix", required_argument, NULL, C_PREFIX },
		{ "etcd-ca", required_argument, NULL, C_CA },
		{ "etcd-cert", required_argument, NULL, C_CERT },
		{ "etcd-key", required_argument, NULL, C_KEY },
		{ "etcd-timeout", required_argument, NULL, C_TIMEOUT },
		{ "device-spec", required_argument, NULL, C_SPEC },
		{ "alias", required_argument, NULL, C_ALIAS },
		{ 0 },
	};
	const char *eps = getenv("SRIOV_ETCD_ENDPOINTS");
	char *save = NULL;
	int c, v;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	optind = 0; /* glibc: re-initialise getopt after main()'s "+" parse */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case C_ETCD:
			eps = optarg;
			break;
		case C_PREFIX:
			o->root = optarg;
			break;
		case C_CA:
			o->ca = optarg;
			break;
		case C_CERT:
			o->cert = optarg;
			break;
		case C_KEY:
			o->key = optarg;
			break;
		case C_TIMEOUT:
			if (parse_int(optarg, &v) < 0 || v < 100 || v > 600000)
				return cli_usage(
					"--etcd-timeout: expected 100..600000 ms, got '%s'",
					optarg);
			o->timeout_ms = (unsigned)v;
			break;
		case C_SPEC:
		case C_ALIAS:
			if (!place)
				return cli_bad_usage();
			*(c == C_SPEC ? &o->spec : &o->alias) = optarg;
			break;
		default:
			return cli_bad_usage();
		}
	}
	o->first_arg = optind;
	if (!eps || !*eps)
		return cli_usage(
			"--etcd URL[,URL...] is required (or $SRIOV_ETCD_ENDPOINTS)");
	o->endpoints_buf = strdup(eps);
	if (!o->endpoints_buf)
		return cli_error("out of memory");
	for (char *t = strtok_r(o->endpoints_buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (o->n_endpoints == ENDPOINTS_MAX)
			return cli_usage("--etcd: at most %d endpoints",
					 ENDPOINTS_MAX);
		o->endpoints[o->n_endpoints++] = t;
	}
	if (!o->n_endpoints)
		return cli_usage("--etcd: no endpoint in '%s'", eps);
	if (!!o->cert != !!o->key)
		return cli_usage("--etcd-cert and --etcd-key go together");
	return 0;
}

struct store {
	struct sriov_etcd *e;
	struct sriov_cluster_keys k;
};

static int open_store(const struct copts *o, struct store *s)
{
	struct sriov_etcd_opts eo = {
		.endpoints = o->endpoints,
		.n_endpoints = o->n_endpoints,
		.request_timeout_ms = o->timeout_ms,
		.ca_file = o->ca,
		.cert_file = o->cert,
		.key_file = o->key,
	};
	struct sriov_error err = { 0 };

	if (sriov_cluster_keys_init(&s->k, o->root, &err) < 0)
		return cli_usage("--prefix: %s", err.msg);
	if (sriov_etcd_open(&eo, &s->e, &err) < 0)
		return cli_usage("%s", err.msg);
	return 0;
}

/* Every key of @kind at one revision. */
static int read_kind(struct store *s, enum sriov_cluster_kind kind,
		     struct sriov_etcd_range_resp *ret)
{
	char prefix[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_error err = { 0 };

	sriov_cluster_key_prefix(&s->k, kind, prefix);
	sriov_etcd_prefix_end(prefix, end, sizeof(end));
	if (sriov_etcd_range_all(s->e, prefix, end, 1000, ret, &err) < 0)
		return cli_error("%s", err.msg);
	return 0;
}

static void problem(json_t *problems, const char *key, const char *msg)
{
	json_array_append_new(problems,
			      json_pack("{s:s,s:s}", "key", key, "error", msg));
}

static void print_problems(struct printer *p, json_t *problems)
{
	size_t i;
	json_t *v;

	if (!p->json)
		json_array_foreach(problems, i, v)
			cli_warn("%s", json_string_value(
					       json_object_get(v, "error")));
	print_json(p, "problems", json_incref(problems));
}

/* A GUID: null in JSON when 0; in text after @label, when @label. */
static void print_guid(struct printer *p, const char *key, const char *label,
		       uint64_t g)
{
	char s[19];

	if (!g) {
		print_null(p, PRINT_JSON, key, NULL);
		return;
	}
	if (label)
		print_text(p, "%s", label);
	print_string(p, label ? PRINT_ANY : PRINT_JSON, key, "%s",
		     sriov_guid_format(g, s));
}

/* ---- status ---- */

static int64_t count_of(struct store *s, enum sriov_cluster_kind kind)
{
	char prefix[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_etcd_range_opts o = { .range_end = end,
					   .count_only = true };
	struct sriov_etcd_range_resp r;
	int64_t n;

	sriov_cluster_key_prefix(&s->k, kind, prefix);
	sriov_etcd_prefix_end(prefix, end, sizeof(end));
	if (sriov_etcd_range(s->e, prefix, &o, &r, NULL) < 0)
		return -1;
	n = r.count;
	sriov_etcd_range_resp_release(&r);
	return n;
}

static void print_count(struct printer *p, const char *key, const char *what,
			int64_t n)
{
	if (n < 0)
		print_null(p, PRINT_ANY, key, " ?");
	else
		print_s64(p, PRINT_ANY, key, " %" PRId64, n);
	print_text(p, " %s", what);
}

static void print_status(struct printer *p, const char *fabric,
			 const struct sriov_cluster_fabric_status *st,
			 const char *leader)
{
	char pk[8];

	print_open_object(p, NULL);
	print_string(p, PRINT_ANY, "fabric", "fabric %s:", fabric);
	if (leader)
		print_string(p, PRINT_ANY, "leader", " leader %s", leader);
	else
		print_null(p, PRINT_ANY, "leader", " no leader");
	if (!st) {
		print_null(p, PRINT_ANY, "revision", ", no status yet\n");
		print_close_object(p);
		return;
	}
	print_string(p, PRINT_JSON, "written_by", NULL, st->leader);
	print_s64(p, PRINT_ANY, "revision", ", revision %" PRId64,
		  st->revision);
	print_string(p, PRINT_ANY, "checksum", " %s", st->checksum);
	print_uint(p, PRINT_ANY, "ports", ", %u port(s)", st->ports);
	print_uint(p, PRINT_ANY, "held", " (%u held)", st->held);
	print_size(p, PRINT_ANY, "partitions", ", %zu partition(s)",
		   st->n_pkeys);
	print_string(p, PRINT_ANY, "verify", ", verify %s", st->verify);
	print_string(p, PRINT_ANY, "verify_detail", " (%s)", st->verify_detail);
	print_s64(p, PRINT_JSON, "time", NULL, st->time);
	print_text(p, "\n");
	print_open_array(p, "pkeys");
	for (size_t i = 0; i < st->n_pkeys; i++) {
		print_open_object(p, NULL);
		snprintf(pk, sizeof(pk), "0x%04x", st->pkeys[i].pkey);
		print_string(p, PRINT_JSON, "pkey", NULL, pk);
		print_uint(p, PRINT_JSON, "members", NULL,
			   st->pkeys[i].members);
		print_close_object(p);
	}
	print_close_array(p);
	if (st->error[0]) {
		print_string(p, PRINT_ANY, "error", "    error: %s", st->error);
		print_s64(p, PRINT_ANY, "error_revision",
			  " (revision %" PRId64 ")\n", st->error_revision);
	} else {
		print_null(p, PRINT_JSON, "error", NULL);
	}
	print_uint(p, PRINT_ANY, "rejected_total", "    %u value(s) skipped\n",
		   st->n_rejected_total);
	print_open_array(p, "rejected");
	for (size_t i = 0; i < st->n_rejected; i++) {
		print_open_object(p, NULL);
		print_string(p, PRINT_JSON, "key", NULL, st->rejected[i].key);
		print_string(p, PRINT_ANY, "error", "      %s\n",
			     st->rejected[i].error);
		print_close_object(p);
	}
	print_close_array(p);
	print_close_object(p);
}

static int cmd_status(struct cli *cli, int argc, char **argv)
{
	struct copts o;
	struct store s;
	struct sriov_etcd_range_resp fr;
	struct printer p;
	char prefix[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_error err = { 0 };
	struct sriov_etcd_range_opts ro = { .range_end = end };
	json_t *problems = json_array();
	int r;

	if ((r = parse_copts(argc, argv, false, &o)) ||
	    (o.first_arg != argc && (r = cli_bad_usage())) ||
	    (r = open_store(&o, &s))) {
		free(o.endpoints_buf);
		json_decref(problems);
		return r;
	}
	sriov_cluster_key_prefix(&s.k, SRIOV_CLUSTER_FABRIC_STATUS, prefix);
	sriov_etcd_prefix_end(prefix, end, sizeof(end));
	r = sriov_etcd_range(s.e, prefix, &ro, &fr, &err);
	if (r < 0) {
		r = cli_error("%s", err.msg);
		goto out;
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_s64(&p, PRINT_ANY, "revision", "store revision %" PRId64,
		  fr.header.revision);
	print_string(&p, PRINT_ANY, "endpoint",
		     " at %s:", o.endpoints[sriov_etcd_current_endpoint(s.e)]);
	print_count(&p, "hosts", "host(s),", count_of(&s, SRIOV_CLUSTER_HOST));
	print_count(&p, "ports", "port(s),", count_of(&s, SRIOV_CLUSTER_PORT));
	print_count(&p, "guids", "GUID claim(s)\n",
		    count_of(&s, SRIOV_CLUSTER_GUID));
	print_open_array(&p, "fabrics");
	/* status and leader keys, by fabric (keys are sorted) */
	for (size_t i = 0; i < fr.n_kvs; i++) {
		const struct sriov_etcd_kv *kv = &fr.kvs[i];
		char id[SRIOV_CLUSTER_ID_MAX],
			leader[SRIOV_CLUSTER_ID_MAX] = "";
		enum sriov_cluster_kind kind;
		struct sriov_cluster_fabric_status st = { 0 };
		bool have_st = false;
		char fabric[SRIOV_CLUSTER_ID_MAX];

		if (sriov_cluster_key_parse(&s.k, kv->key, kv->key_len, &kind,
					    id, &err) < 0) {
			problem(problems, kv->key, err.msg);
			continue;
		}
		if (kind == SRIOV_CLUSTER_FABRIC_HELD)
			continue;
		snprintf(fabric, sizeof(fabric), "%s", id);
		/* this fabric's leader and status are next to each other */
		for (; i < fr.n_kvs; i++) {
			const struct sriov_etcd_kv *x = &fr.kvs[i];
			enum sriov_cluster_kind k2;
			char id2[SRIOV_CLUSTER_ID_MAX];

			if (sriov_cluster_key_parse(&s.k, x->key, x->key_len,
						    &k2, id2, NULL) < 0)
				break;
			if (k2 == SRIOV_CLUSTER_FABRIC_HELD)
				continue;
			if (strcmp(id2, fabric))
				break;
			if (k2 == SRIOV_CLUSTER_FABRIC_LEADER) {
				snprintf(leader, sizeof(leader), "%.*s",
					 (int)(x->value_len < sizeof(leader) -
								       1 ?
						       x->value_len :
						       sizeof(leader) - 1),
					 x->value);
			} else if (sriov_cluster_fabric_status_parse(
					   x->key, x->value, x->value_len, &st,
					   &err) == 0) {
				have_st = true;
			} else {
				problem(problems, x->key, err.msg);
			}
		}
		i--;
		print_status(&p, fabric, have_st ? &st : NULL,
			     leader[0] ? leader : NULL);
		sriov_cluster_fabric_status_release(&st);
	}
	print_close_array(&p);
	print_problems(&p, problems);
	print_close_object(&p);
	sriov_etcd_range_resp_release(&fr);
	r = print_end(&p) < 0 ? EXIT_FAIL : 0;
out:
	json_decref(problems);
	sriov_etcd_close(s.e);
	free(o.endpoints_buf);
	return r;
}

/* ---- hosts, ports, guids ---- */

static int list_open(struct cli *cli, int argc, char **argv,
		     enum sriov_cluster_kind kind, struct copts *o,
		     struct store *s, struct sriov_etcd_range_resp *resp)
{
	int r;

	if ((r = parse_copts(argc, argv, false, o)) ||
	    (o->first_arg != argc && (r = cli_bad_usage())) ||
	    (r = open_store(o, s))) {
		free(o->endpoints_buf);
		return r;
	}
	if ((r = read_kind(s, kind, resp))) {
		sriov_etcd_close(s->e);
		free(o->endpoints_buf);
	}
	return r;
}

static int list_close(struct printer *p, struct copts *o, struct store *s,
		      struct sriov_etcd_range_resp *resp, json_t *problems)
{
	int r;

	print_close_array(p);
	print_problems(p, problems);
	print_close_object(p);
	r = print_end(p) < 0 ? EXIT_FAIL : 0;
	json_decref(problems);
	sriov_etcd_range_resp_release(resp);
	sriov_etcd_close(s->e);
	free(o->endpoints_buf);
	return r;
}

static int cmd_hosts(struct cli *cli, int argc, char **argv)
{
	struct copts o;
	struct store s;
	struct sriov_etcd_range_resp resp;
	struct printer p;
	json_t *problems;
	int r = list_open(cli, argc, argv, SRIOV_CLUSTER_HOST, &o, &s, &resp);

	if (r)
		return r;
	problems = json_array();
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_s64(&p, PRINT_JSON, "revision", NULL, resp.header.revision);
	print_open_array(&p, "hosts");
	for (size_t i = 0; i < resp.n_kvs; i++) {
		struct sriov_cluster_host h;
		struct sriov_error err = { 0 };

		if (sriov_cluster_host_parse(resp.kvs[i].key, resp.kvs[i].value,
					     resp.kvs[i].value_len, &h,
					     &err) < 0) {
			problem(problems, resp.kvs[i].key, err.msg);
			continue;
		}
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "host", "%s", h.id);
		print_string(&p, PRINT_ANY, "version", " sriovd %s",
			     h.version[0] ? h.version : NULL);
		print_s64(&p, PRINT_ANY, "updated", " updated %" PRId64,
			  h.updated);
		print_s64(&p, PRINT_JSON, "lease", NULL, resp.kvs[i].lease);
		print_text(&p, "\n");
		print_open_array(&p, "pfs");
		for (size_t j = 0; j < h.n_pfs; j++) {
			const struct sriov_cluster_pf *pf = &h.pfs[j];

			print_open_object(&p, NULL);
			print_string(&p, PRINT_ANY, "name", "    pf %s",
				     pf->name);
			print_string(&p, PRINT_ANY, "address", " %s",
				     pf->address[0] ? pf->address : NULL);
			print_string(&p, PRINT_ANY, "link", " %s",
				     pf->link == SRIOV_CLUSTER_LINK_INFINIBAND ?
					     "infiniband" :
					     "ethernet");
			print_string(&p, PRINT_ANY, "physnet", " physnet %s",
				     pf->physnet);
			if (pf->fabric[0])
				print_string(&p, PRINT_ANY, "fabric",
					     " fabric %s", pf->fabric);
			else
				print_null(&p, PRINT_JSON, "fabric", NULL);
			if (pf->numa_node >= 0)
				print_int(&p, PRINT_ANY, "numa_node",
					  " numa %d", pf->numa_node);
			else
				print_null(&p, PRINT_JSON, "numa_node", NULL);
			print_open_object(&p, "vfs");
			print_uint(&p, PRINT_ANY, "total", " vfs %u",
				   pf->vfs_total);
			print_uint(&p, PRINT_ANY, "free", " free %u",
				   pf->vfs_free);
			print_uint(&p, PRINT_ANY, "bound", " bound %u",
				   pf->vfs_bound);
			print_uint(&p, PRINT_ANY, "quarantined",
				   " quarantined %u", pf->vfs_quarantined);
			print_close_object(&p);
			print_string(&p, PRINT_JSON, "vendor_id", NULL,
				     pf->vendor_id[0] ? pf->vendor_id : NULL);
			print_string(&p, PRINT_JSON, "product_id", NULL,
				     pf->product_id[0] ? pf->product_id : NULL);
			print_string(&p, PRINT_JSON, "vf_product_id", NULL,
				     pf->vf_product_id[0] ? pf->vf_product_id :
							    NULL);
			print_text(&p, "\n");
			print_close_object(&p);
		}
		print_close_array(&p);
		print_close_object(&p);
		sriov_cluster_host_release(&h);
	}
	return list_close(&p, &o, &s, &resp, problems);
}

static int cmd_ports(struct cli *cli, int argc, char **argv)
{
	struct copts o;
	struct store s;
	struct sriov_etcd_range_resp resp;
	struct printer p;
	json_t *problems;
	char pk[8];
	int r = list_open(cli, argc, argv, SRIOV_CLUSTER_PORT, &o, &s, &resp);

	if (r)
		return r;
	problems = json_array();
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_s64(&p, PRINT_JSON, "revision", NULL, resp.header.revision);
	print_open_array(&p, "ports");
	for (size_t i = 0; i < resp.n_kvs; i++) {
		struct sriov_cluster_port pt;
		struct sriov_error err = { 0 };

		if (sriov_cluster_port_parse(resp.kvs[i].key, resp.kvs[i].value,
					     resp.kvs[i].value_len, &pt,
					     &err) < 0) {
			problem(problems, resp.kvs[i].key, err.msg);
			continue;
		}
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "port", "%s", pt.id);
		print_string(&p, PRINT_ANY, "host", " host %s", pt.host);
		print_string(&p, PRINT_ANY, "physnet", " physnet %s",
			     pt.physnet);
		print_string(&p, PRINT_ANY, "vnic_type", " %s",
			     sriov_vnic_type_name(pt.vnic_type));
		print_string(&p, PRINT_ANY, "vf", " vf %s", pt.vf);
		print_string(&p, PRINT_ANY, "state", " %s", pt.state);
		if (pt.vlan >= 0)
			print_int(&p, PRINT_ANY, "vlan", " vlan %d", pt.vlan);
		else
			print_null(&p, PRINT_JSON, "vlan", NULL);
		if (pt.infiniband) {
			print_string(&p, PRINT_ANY, "fabric", " fabric %s",
				     pt.fabric);
			snprintf(pk, sizeof(pk), "0x%04x", pt.pkey);
			print_string(&p, PRINT_ANY, "pkey", " pkey %s", pk);
			print_string(&p, PRINT_ANY, "membership", " %s",
				     sriov_membership_name(pt.membership));
			print_guid(&p, "guid", " guid ", pt.guid);
			print_guid(&p, "pf_guid", " pf_guid ", pt.pf_guid);
		} else {
			print_null(&p, PRINT_JSON, "fabric", NULL);
			print_null(&p, PRINT_JSON, "pkey", NULL);
			print_null(&p, PRINT_JSON, "membership", NULL);
			print_null(&p, PRINT_JSON, "guid", NULL);
			print_null(&p, PRINT_JSON, "pf_guid", NULL);
		}
		print_s64(&p, PRINT_JSON, "lease", NULL, resp.kvs[i].lease);
		print_text(&p, "\n");
		print_close_object(&p);
	}
	return list_close(&p, &o, &s, &resp, problems);
}

static int cmd_guids(struct cli *cli, int argc, char **argv)
{
	struct copts o;
	struct store s;
	struct sriov_etcd_range_resp resp, ports;
	struct printer p;
	json_t *problems;
	int r = list_open(cli, argc, argv, SRIOV_CLUSTER_GUID, &o, &s, &resp);

	if (r)
		return r;
	/* the ports too, to say whether each claim's port names its GUID */
	if ((r = read_kind(&s, SRIOV_CLUSTER_PORT, &ports))) {
		sriov_etcd_range_resp_release(&resp);
		sriov_etcd_close(s.e);
		free(o.endpoints_buf);
		return r;
	}
	problems = json_array();
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_s64(&p, PRINT_JSON, "revision", NULL, resp.header.revision);
	print_open_array(&p, "guids");
	for (size_t i = 0; i < resp.n_kvs; i++) {
		struct sriov_cluster_claim c;
		struct sriov_error err = { 0 };
		char key[SRIOV_CLUSTER_KEY_MAX], id[SRIOV_CLUSTER_ID_MAX];
		enum sriov_cluster_kind kind;
		const char *state = "unused";
		uint64_t g = 0;

		if (sriov_cluster_claim_parse(
			    resp.kvs[i].key, resp.kvs[i].value,
			    resp.kvs[i].value_len, &c, &err) < 0 ||
		    sriov_cluster_key_parse(&s.k, resp.kvs[i].key,
					    resp.kvs[i].key_len, &kind, id,
					    &err) < 0 ||
		    sriov_guid_parse(id, &g, &err) < 0) {
			problem(problems, resp.kvs[i].key, err.msg);
			continue;
		}
		/* its port: in use, or naming another GUID */
		if (sriov_cluster_key(&s.k, SRIOV_CLUSTER_PORT, c.port, key,
				      NULL) == 0)
			for (size_t j = 0; j < ports.n_kvs; j++) {
				struct sriov_cluster_port pt;

				if (strcmp(ports.kvs[j].key, key))
					continue;
				if (sriov_cluster_port_parse(
					    key, ports.kvs[j].value,
					    ports.kvs[j].value_len, &pt,
					    NULL) < 0)
					state = "port-invalid";
				else
					state = pt.infiniband && pt.guid == g ?
							"in-use" :
							"port-elsewhere";
				break;
			}
		print_open_object(&p, NULL);
		print_guid(&p, "guid", "", g);
		print_string(&p, PRINT_ANY, "port", " port %s", c.port);
		print_string(&p, PRINT_ANY, "host", " host %s", c.host);
		print_string(&p, PRINT_ANY, "state", " %s\n", state);
		print_s64(&p, PRINT_JSON, "lease", NULL, resp.kvs[i].lease);
		print_close_object(&p);
	}
	sriov_etcd_range_resp_release(&ports);
	return list_close(&p, &o, &s, &resp, problems);
}

/* ---- place ---- */

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * One value per line, as in nova.conf; blank and '#' lines skipped. The
 * file is read whole, at most INPUT_MAX_NOVA bytes, as sriovctl nova
 * reads it. 0, or the exit code of the error printed.
 */
static int read_lines(const char *path, char ***ret, size_t *ret_n)
{
	struct sriov_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len, n = 0, vcap = 0;
	char **v = NULL;

	if (read_file_capped(path, INPUT_MAX_NOVA, &buf, &len, &err) < 0)
		return cli_error("%s", err.msg);
	for (char *line = buf, *next; line < buf + len; line = next) {
		char *end = memchr(line, '\n', (size_t)(buf + len - line));
		const char *s;

		next = end ? end + 1 : buf + len;
		if (!end)
			end = buf + len;
		while (end > line && end[-1] == '\r')
			end--;
		*end = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (!*s || *s == '#')
			continue;
		if (grow_array((void **)&v, &vcap, n, sizeof(*v)) < 0 ||
		    !(v[n] = strdup(line))) {
			free_lines(v, n);
			return cli_error("%s: %s", path, strerror(ENOMEM));
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * A host's inventory as the devices Nova's libvirt driver reports: each
 * free VF (type-VF, with its PF's address as parent_addr), and each PF
 * none of whose VFs is in use (type-PF). A PF whose inventory lacks the
 * PCI ids or the free VFs' addresses offers nothing (its sriovd is older
 * than docs/cluster.md's placement members).
 */
static json_t *host_devices(const struct sriov_cluster_host *h,
			    json_t **ret_cells)
{
	json_t *devs = json_array(), *cells = json_array();
	bool numa[1024] = { false };

	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct sriov_cluster_pf *pf = &h->pfs[i];
		json_t *nn = pf->numa_node >= 0 ? json_integer(pf->numa_node) :
						  json_null();

		if (pf->numa_node >= 0 && !numa[pf->numa_node]) {
			numa[pf->numa_node] = true;
			json_array_append_new(
				cells, json_pack("{s:i,s:n}", "id",
						 pf->numa_node, "socket"));
		}
		if (!pf->vendor_id[0] || !pf->address[0]) {
			json_decref(nn);
			continue;
		}
		if (pf->vf_product_id[0] && pf->has_free_vfs)
			for (size_t k = 0; k < pf->n_free_vfs; k++)
				json_array_append_new(
					devs,
					json_pack(
						"{s:s,s:s,s:s,s:s,s:s,s:O}",
						"address",
						h->free_vfs[pf->free_vfs_first +
							    k],
						"vendor_id", pf->vendor_id,
						"product_id", pf->vf_product_id,
						"dev_type", "type-VF",
						"parent_addr", pf->address,
						"numa_node", nn));
		if (pf->product_id[0] && !pf->vfs_bound && !pf->vfs_quarantined)
			json_array_append_new(
				devs,
				json_pack("{s:s,s:s,s:s,s:s,s:O}", "address",
					  pf->address, "vendor_id",
					  pf->vendor_id, "product_id",
					  pf->product_id, "dev_type", "type-PF",
					  "numa_node", nn));
		json_decref(nn);
	}
	*ret_cells = cells;
	return devs;
}

/* A request: {"alias": "name:count[,...]"} (a flavor's extra spec), or
 * {"spec": [{...}], "count": N} (an InstancePCIRequest, as a port's);
 * "numa_policy" and "numa_cells" (the guest's cells) optional. */
struct place_req {
	json_t *alias;
	json_t *spec;
	long count;
	const char *policy;
	long *cells;
	size_t n_cells;
	bool has_cells;
	char error[SRIOV_ERROR_MSG_MAX];
};

static void place_req_parse(json_t *e, struct place_req *q)
{
	json_t *c = json_object_get(e, "numa_cells"), *v;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (!json_is_object(e)) {
		snprintf(q->error, sizeof(q->error),
			 "a request is an object with \"alias\" or \"spec\"");
		return;
	}
	q->alias = json_object_get(e, "alias");
	q->spec = json_object_get(e, "spec");
	q->policy = json_string_value(json_object_get(e, "numa_policy"));
	q->count =
		json_is_integer(json_object_get(e, "count")) ?
			(long)json_integer_value(json_object_get(e, "count")) :
			1;
	if (!json_is_string(q->alias) == !json_is_array(q->spec)) {
		snprintf(
			q->error, sizeof(q->error),
			"a request has \"alias\" (a string, name:count[,name:count]) or \"spec\" (a list of objects), not %s",
			q->alias ? "both" : "neither");
		return;
	}
	if (json_is_array(c)) {
		q->has_cells = true;
		q->cells = calloc(json_array_size(c) + 1, sizeof(*q->cells));
		json_array_foreach(c, i, v) {
			if (!json_is_integer(v)) {
				snprintf(q->error, sizeof(q->error),
					 "numa_cells: integers expected");
				return;
			}
			q->cells[q->n_cells++] = (long)json_integer_value(v);
		}
	}
}

/*
 * Nova's semantics, all here: the whitelist and the aliases parsed as
 * Nova parses them, each host's pools built as PciDeviceStats does, each
 * request tried as the PciPassthroughFilter tries it. Hosts with equal
 * pools answer alike, so each distinct set of pools is asked once.
 * @out: each host's class (hosts of one class have equal pools and
 * cells), and per request an error or which classes it fits.
 */
struct place_out {
	size_t *cls; /* per host */
	size_t n_uniq;
	struct place_res {
		char *error;
		unsigned char *ok; /* per class */
	} * res;
	size_t n_res;
};

static void place_out_release(struct place_out *o)
{
	for (size_t i = 0; i < o->n_res; i++) {
		free(o->res[i].error);
		free(o->res[i].ok);
	}
	free(o->res);
	free(o->cls);
	memset(o, 0, sizeof(*o));
}

static int place_fit(char **specs, size_t n_specs, char **aliases,
		     size_t n_aliases, json_t *hosts, json_t *reqs,
		     struct place_out *out, struct sriov_error *err)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_aliases *al = NULL;
	struct sriov_nova_stats **st = NULL;
	size_t nh = json_array_size(hosts), n_uniq = 0, *cls = NULL;
	json_t *seen = json_object(), *h, *e;
	size_t i;
	int r;

	r = sriov_nova_whitelist_parse(NULL, (const char *const *)specs,
				       n_specs, &wl, err);
	if (r >= 0)
		r = sriov_nova_aliases_parse((const char *const *)aliases,
					     n_aliases, &al, err);
	st = calloc(nh + 1, sizeof(*st));
	cls = calloc(nh + 1, sizeof(*cls));
	out->res = calloc(json_array_size(reqs) + 1, sizeof(*out->res));
	if (r >= 0 && (!st || !cls || !seen || !out->res))
		r = sriov_error_set(err, -ENOMEM, "out of memory");
	/* hosts -> classes of equal pools and cells */
	json_array_foreach(hosts, i, h) {
		struct sriov_nova_stats *s = NULL;
		json_t *devs = json_object_get(h, "devices");
		json_t *cells = json_object_get(h, "cells"), *sig;
		struct sriov_nova_cell hc[64];
		size_t nc = 0, k;
		char *key;

		if (r < 0)
			break;
		json_array_foreach(cells, k, e) {
			if (nc < 64)
				hc[nc++] = (struct sriov_nova_cell){
					(long)json_integer_value(
						json_object_get(e, "id")),
					-1
				};
		}
		r = sriov_nova_stats_new(wl, devs, hc, nc, &s, err);
		if (r < 0) {
			sriov_error_prefix(
				err, "host %s",
				json_string_value(json_object_get(h, "host")));
			break;
		}
		sig = json_pack("[o,O]", sriov_nova_stats_pools(s), cells);
		key = sig ? json_dumps(sig, JSON_COMPACT | JSON_SORT_KEYS) :
			    NULL;
		json_decref(sig);
		if (!key) {
			sriov_nova_stats_free(s);
			r = sriov_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		e = json_object_get(seen, key);
		if (e) {
			cls[i] = (size_t)json_integer_value(e);
			sriov_nova_stats_free(s);
		} else {
			cls[i] = n_uniq;
			st[n_uniq++] = s;
			json_object_set_new(seen, key,
					    json_integer((json_int_t)cls[i]));
		}
		free(key);
	}
	json_array_foreach(reqs, i, e) {
		struct place_req q;
		struct sriov_nova_request *nr = NULL;
		size_t n = 0;
		struct place_res *res = &out->res[out->n_res++];
		struct sriov_error rerr = { 0 };

		if (r < 0)
			break;
		place_req_parse(e, &q);
		if (!q.error[0] && q.alias) {
			if (sriov_nova_aliases_translate(
				    al, json_string_value(q.alias), q.policy,
				    &nr, &n, &rerr) < 0)
				snprintf(q.error, sizeof(q.error), "%s",
					 rerr.msg);
		} else if (!q.error[0]) {
			/* InstancePCIRequest.spec: dicts of strings */
			json_t *sp = json_array(), *d, *v;
			size_t k;
			const char *key;

			nr = calloc(1, sizeof(*nr));
			n = 1;
			nr->count = q.count;
			nr->policy = SRIOV_NUMA_LEGACY;
			if (q.policy &&
			    sriov_numa_policy_parse(q.policy, SRIOV_NUMA_NOVA,
						    &nr->policy, NULL) < 0)
				snprintf(
					q.error, sizeof(q.error),
					"numa_policy '%s' is not one of legacy, required, preferred, socket",
					q.policy);
			json_array_foreach(q.spec, k, d) {
				json_t *o = json_object();

				json_object_foreach(d, key, v) {
					if (json_is_string(v) ||
					    json_is_null(v))
						json_object_set(o, key, v);
					else if (!q.error[0])
						snprintf(
							q.error,
							sizeof(q.error),
							"spec values must be strings ('%s')",
							key);
				}
				json_array_append_new(sp, o);
			}
			nr->spec = sp;
		}
		if (q.error[0]) {
			res->error = strdup(q.error);
		} else {
			res->ok = calloc(n_uniq + 1, 1);
			for (size_t u = 0; res->ok && u < n_uniq; u++)
				res->ok[u] = sriov_nova_stats_support(
					st[u], nr, n,
					q.has_cells ? q.cells : NULL,
					q.n_cells);
		}
		if (!(res->error || res->ok))
			r = sriov_error_set(err, -ENOMEM, "out of memory");
		sriov_nova_requests_free(nr, n);
		free(q.cells);
	}
	for (size_t u = 0; st && u < n_uniq; u++)
		sriov_nova_stats_free(st[u]);
	free(st);
	out->cls = cls;
	out->n_uniq = n_uniq;
	json_decref(seen);
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	return r;
}

static json_t *load_requests(const char *path)
{
	struct sriov_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	json_error_t je;
	size_t len;
	json_t *j;

	if (read_file_capped(path, INPUT_MAX_NOVA, &buf, &len, &err) < 0) {
		cli_error("%s", err.msg);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
	if (!j) {
		cli_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	if (json_is_object(j)) {
		json_t *a = json_array();

		json_array_append_new(a, j);
		return a;
	}
	if (!json_is_array(j)) {
		json_decref(j);
		cli_error("%s: a request object, or a list of them, expected",
			  path);
		return NULL;
	}
	return j;
}

/*
 * The answer: text, or JSON written as it goes (an answer for 10,000 hosts
 * and 1,000 requests is ~60 MB; each host name is encoded once); -p builds
 * the document and indents it.
 */
static const char *host_name(json_t *hosts, size_t k)
{
	return json_string_value(
		json_object_get(json_array_get(hosts, k), "host"));
}

static int print_place(struct cli *cli, const struct sriov_etcd_header *hd,
		       json_t *hosts, const struct place_out *out,
		       json_t *problems)
{
	size_t nh = json_array_size(hosts);
	struct printer p;
	char **quoted;
	char *t;
	int rc = 0;

	if (!cli->json || cli->pretty) {
		json_t *a = json_array();

		cli_printer(cli, &p);
		print_open_object(&p, NULL);
		print_s64(&p, PRINT_JSON, "revision", NULL, hd->revision);
		print_size(&p, PRINT_JSON, "hosts", NULL, nh);
		for (size_t i = 0; i < out->n_res; i++) {
			const struct place_res *q = &out->res[i];
			json_t *o = json_pack("{s:I}", "request",
					      (json_int_t)i),
			       *hs = json_array();
			size_t n = 0;

			if (q->error) {
				print_text(&p, "request %zu: error: %s\n", i,
					   q->error);
				json_object_set_new(o, "error",
						    json_string(q->error));
				json_decref(hs);
				json_array_append_new(a, o);
				continue;
			}
			for (size_t k = 0; k < nh; k++)
				n += q->ok[out->cls[k]];
			print_text(&p, "request %zu: %zu of %zu host(s)\n", i,
				   n, nh);
			for (size_t k = 0; k < nh; k++) {
				if (!q->ok[out->cls[k]])
					continue;
				print_text(&p, "    %s\n", host_name(hosts, k));
				if (p.json)
					json_array_append_new(
						hs, json_string(host_name(hosts,
									  k)));
			}
			json_object_set_new(o, "hosts", hs);
			json_array_append_new(a, o);
		}
		print_json(&p, "requests", a);
		print_problems(&p, problems);
		print_close_object(&p);
		return print_end(&p) < 0 ? EXIT_FAIL : 0;
	}
	quoted = calloc(nh + 1, sizeof(*quoted));
	if (!quoted)
		return cli_error("out of memory");
	for (size_t k = 0; k < nh; k++)
		quoted[k] = json_dumps(json_object_get(json_array_get(hosts, k),
						       "host"),
				       JSON_ENCODE_ANY);
	printf("{\"revision\": %" PRId64 ", \"hosts\": %zu, \"requests\": [",
	       hd->revision, nh);
	for (size_t i = 0; i < out->n_res; i++) {
		const struct place_res *q = &out->res[i];
		bool first = true;

		printf("%s{\"request\": %zu, ", i ? ", " : "", i);
		if (q->error) {
			json_t *js = json_string(q->error);

			t = json_dumps(js, JSON_ENCODE_ANY);
			printf("\"error\": %s}", t ? t : "null");
			free(t);
			json_decref(js);
			continue;
		}
		fputs("\"hosts\": [", stdout);
		for (size_t k = 0; k < nh; k++)
			if (q->ok[out->cls[k]]) {
				if (!first)
					fputs(", ", stdout);
				fputs(quoted[k] ? quoted[k] : "null", stdout);
				first = false;
			}
		fputs("]}", stdout);
	}
	t = json_dumps(problems, JSON_COMPACT);
	printf("], \"problems\": %s}\n", t ? t : "[]");
	free(t);
	for (size_t k = 0; k < nh; k++)
		free(quoted[k]);
	free(quoted);
	if (fflush(stdout) || ferror(stdout))
		rc = EXIT_FAIL;
	return rc;
}

static int cmd_place(struct cli *cli, int argc, char **argv)
{
	struct copts o;
	struct store s = { 0 };
	struct sriov_etcd_range_resp resp = { 0 };
	struct sriov_error err = { 0 };
	char **specs = NULL, **aliases = NULL;
	size_t n_specs = 0, n_aliases = 0;
	json_t *reqs = NULL, *hosts = NULL, *problems = NULL;
	struct place_out out = { 0 };
	int r;

	if ((r = parse_copts(argc, argv, true, &o)))
		goto done;
	if (!o.spec || o.first_arg + 1 != argc) {
		r = o.spec ? cli_bad_usage() :
			     cli_usage("place: --device-spec FILE is required");
		goto done;
	}
	if ((r = read_lines(o.spec, &specs, &n_specs)) ||
	    (o.alias && (r = read_lines(o.alias, &aliases, &n_aliases))))
		goto done;
	if (!(reqs = load_requests(argv[o.first_arg]))) {
		r = EXIT_FAIL;
		goto done;
	}
	if ((r = open_store(&o, &s)) ||
	    (r = read_kind(&s, SRIOV_CLUSTER_HOST, &resp)))
		goto done;
	hosts = json_array();
	problems = json_array();
	for (size_t i = 0; i < resp.n_kvs; i++) {
		struct sriov_cluster_host h;
		json_t *cells, *devs;

		if (sriov_cluster_host_parse(resp.kvs[i].key, resp.kvs[i].value,
					     resp.kvs[i].value_len, &h,
					     &err) < 0) {
			problem(problems, resp.kvs[i].key, err.msg);
			continue;
		}
		devs = host_devices(&h, &cells);
		json_array_append_new(hosts, json_pack("{s:s,s:o,s:o}", "host",
						       h.id, "devices", devs,
						       "cells", cells));
		sriov_cluster_host_release(&h);
	}
	r = place_fit(specs, n_specs, aliases, n_aliases, hosts, reqs, &out,
		      &err);
	if (r < 0) {
		/* Nova's own message for a bad device_spec or alias */
		if (r == -EINVAL) {
			fprintf(stderr, "%s\n", err.msg);
			r = EXIT_USAGE;
		} else {
			r = cli_error("%s", err.msg);
		}
		goto done;
	}
	r = print_place(cli, &resp.header, hosts, &out, problems);
done:
	json_decref(reqs);
	json_decref(hosts);
	place_out_release(&out);
	json_decref(problems);
	free_lines(specs, n_specs);
	free_lines(aliases, n_aliases);
	sriov_etcd_range_resp_release(&resp);
	if (s.e)
		sriov_etcd_close(s.e);
	free(o.endpoints_buf);
	return r;
}

#define ETCD_OPTIONS                                                                                 \
	"  --etcd URL[,URL...]  etcd members (http:// or https://; default $SRIOV_ETCD_ENDPOINTS)\n" \
	"  --prefix ROOT        the key root (default /sriov/)\n"                                    \
	"  --etcd-ca FILE       CA of https:// members\n"                                            \
	"  --etcd-cert FILE     client certificate, with --etcd-key FILE\n"                          \
	"  --etcd-key FILE      its key\n"                                                           \
	"  --etcd-timeout MS    per request (default 5000)\n"

static const struct cli_command cluster_status_cmd = {
	.name = "status",
	.summary =
		"fabrics, their controllers and what they last applied; counts of hosts, ports and claims",
	.run = cmd_status,
	.usage = "[--etcd URL[,URL...]] [--prefix ROOT]",
	.options = ETCD_OPTIONS,
};

static const struct cli_command cluster_hosts_cmd = {
	.name = "hosts",
	.summary = "every host's inventory (PFs, VFs free and bound)",
	.run = cmd_hosts,
	.usage = "[--etcd URL[,URL...]] [--prefix ROOT]",
	.options = ETCD_OPTIONS,
};

static const struct cli_command cluster_ports_cmd = {
	.name = "ports",
	.summary = "every binding: host, VF, VLAN or fabric, P-key and GUID",
	.run = cmd_ports,
	.usage = "[--etcd URL[,URL...]] [--prefix ROOT]",
	.options = ETCD_OPTIONS,
};

static const struct cli_command cluster_guids_cmd = {
	.name = "guids",
	.summary = "every GUID claim, and whether its port uses it",
	.run = cmd_guids,
	.usage = "[--etcd URL[,URL...]] [--prefix ROOT]",
	.options = ETCD_OPTIONS,
};

static const struct cli_command cluster_place_cmd = {
	.name = "place",
	.summary =
		"the hosts where a PCI request fits, with Nova's semantics, from the inventory in the store",
	.run = cmd_place,
	.usage =
		"--device-spec FILE [--alias FILE] [--etcd URL[,URL...]] REQUEST.json",
	.options =
		"  --device-spec FILE   Nova's [pci] device_spec values, one a line\n"
		"  --alias FILE         [pci] alias values, one a line\n" ETCD_OPTIONS,
};

static const struct cli_command *const cluster_commands[] = {
	&cluster_status_cmd, &cluster_hosts_cmd, &cluster_ports_cmd,
	&cluster_guids_cmd,  &cluster_place_cmd, NULL,
};

const struct cli_command cli_cluster = {
	.name = "cluster",
	.summary =
		"the cloud's state in etcd: fabrics, hosts, ports, GUIDs; placement",
	.sub = cluster_commands,
};
