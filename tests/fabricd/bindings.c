/* SPDX-License-Identifier: MIT */
/*
 * Writes bindings into etcd as any tool could: with the schema module
 * (sriov_cluster_port_format, the GUID claim and the publish
 * transactions), never through sriov-fabricd. For tests and benchmarks.
 *
 *   bindings ENDPOINTS lease TTL                  -> prints the lease id
 *   bindings ENDPOINTS bind [--lease ID] [--pf-guid G] [--host H]
 *            PORT FABRIC PKEY MEMBERSHIP GUID      claim + publish
 *   bindings ENDPOINTS unbind [--host H] PORT FABRIC PKEY MEMBERSHIP GUID
 *   bindings ENDPOINTS burst [--lease ID] N PREFIX FABRIC PKEY0 NPKEYS GUID0
 *            N ports PREFIX0..: claims and ports, 50 of each per
 *            transaction; prints "REVISION UNIX_NS" after each
 *   bindings ENDPOINTS hosts N VFS                 N hosts' inventory
 *
 * ENDPOINTS: URL[,URL...]. Exit 0, or 1 with the library's message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sriov/cluster.h>

static struct sriov_etcd *e;
static struct sriov_cluster_keys k;

static int die(const char *what, const struct sriov_error *err)
{
	fprintf(stderr, "bindings: %s: %s\n", what, err->msg);
	return 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int make_port(struct sriov_cluster_port *p, const char *id,
		     const char *host, const char *fabric, const char *pkey,
		     const char *ms, const char *guid, const char *pf)
{
	struct sriov_error err = { 0 };
	uint16_t pk;

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->host, sizeof(p->host), "%s", host);
	snprintf(p->physnet, sizeof(p->physnet), "ibnet");
	p->vnic_type = SRIOV_VNIC_DIRECT;
	snprintf(p->vf, sizeof(p->vf), "0000:41:00.1");
	snprintf(p->state, sizeof(p->state), "bound");
	p->vlan = -1;
	p->infiniband = true;
	snprintf(p->fabric, sizeof(p->fabric), "%s", fabric);
	if (sriov_pkey_parse(pkey, &pk, &err) < 0 ||
	    sriov_membership_from_name(ms, &p->membership) < 0 ||
	    sriov_guid_parse(guid, &p->guid, &err) < 0 ||
	    (pf && sriov_guid_parse(pf, &p->pf_guid, &err) < 0)) {
		fprintf(stderr, "bindings: bad port arguments: %s\n", err.msg);
		return -EINVAL;
	}
	p->pkey = pk;
	return 0;
}

static int cmd_bind(int argc, char **argv, bool bind)
{
	struct sriov_cluster_port p;
	struct sriov_cluster_claim c;
	struct sriov_error err = { 0 };
	const char *pf = NULL, *host = "h1";
	int64_t lease = 0;
	int i = 0, r;

	while (i + 1 < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--lease"))
			lease = strtoll(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--pf-guid"))
			pf = argv[i + 1];
		else if (!strcmp(argv[i], "--host"))
			host = argv[i + 1];
		else
			break;
		i += 2;
	}
	if (argc - i != 5) {
		fprintf(stderr,
			"bindings: bind|unbind [--lease ID] [--pf-guid G] [--host H] PORT FABRIC PKEY MEMBERSHIP GUID\n");
		return 2;
	}
	if (make_port(&p, argv[i], host, argv[i + 1], argv[i + 2], argv[i + 3],
		      argv[i + 4], pf) < 0)
		return 2;
	if (!bind) {
		r = sriov_cluster_port_unpublish(e, &k, &p, &err);
		return r < 0 ? die("unpublish", &err) : 0;
	}
	snprintf(c.port, sizeof(c.port), "%s", p.id);
	snprintf(c.host, sizeof(c.host), "%s", p.host);
	r = sriov_cluster_guid_claim(e, &k, p.guid, &c, lease, &err);
	if (r <= 0)
		return die("claim", &err);
	r = sriov_cluster_port_publish(e, &k, &p, lease, &err);
	return r < 0 ? die("publish", &err) : 0;
}

static int cmd_burst(int argc, char **argv)
{
	int64_t lease = 0;
	int i = 0;

	if (argc >= 2 && !strcmp(argv[0], "--lease")) {
		lease = strtoll(argv[1], NULL, 0);
		i = 2;
	}
	if (argc - i != 6) {
		fprintf(stderr,
			"bindings: burst [--lease ID] N PREFIX FABRIC PKEY0 NPKEYS GUID0\n");
		return 2;
	}
	long n = strtol(argv[i], NULL, 0), npk = strtol(argv[i + 4], NULL, 0);
	const char *prefix = argv[i + 1], *fabric = argv[i + 2];
	unsigned long pk0 = strtoul(argv[i + 3], NULL, 0);
	uint64_t g0 = strtoull(argv[i + 5], NULL, 0);

	for (long a = 0; a < n; a += 50) {
		struct sriov_etcd_op ops[100];
		char keys[100][SRIOV_CLUSTER_KEY_MAX];
		char *vals[100] = { 0 };
		size_t nops = 0;
		struct sriov_etcd_txn t = { NULL, 0, ops, 0, NULL, 0 };
		struct sriov_etcd_txn_resp resp;
		struct sriov_error err = { 0 };

		for (long b = a; b < n && b < a + 50; b++) {
			struct sriov_cluster_port p;
			struct sriov_cluster_claim c;
			char id[64], pk[8], g[19];

			snprintf(id, sizeof(id), "%s%ld", prefix, b);
			snprintf(
				pk, sizeof(pk), "0x%04lx",
				pk0 + (unsigned long)(b % (npk > 0 ? npk : 1)));
			sriov_guid_format(g0 + (uint64_t)b, g);
			if (make_port(&p, id, "h1", fabric, pk,
				      b % 2 ? "limited" : "full", g, NULL) < 0)
				return 2;
			snprintf(p.host, sizeof(p.host), "host%ld", b / 8);
			snprintf(c.port, sizeof(c.port), "%s", id);
			snprintf(c.host, sizeof(c.host), "%s", p.host);
			if (sriov_cluster_key(&k, SRIOV_CLUSTER_GUID, g,
					      keys[nops], &err) < 0 ||
			    sriov_cluster_claim_format(&c, &vals[nops], &err) <
				    0)
				return die("claim", &err);
			ops[nops] = (struct sriov_etcd_op){
				.type = SRIOV_ETCD_OP_PUT,
				.key = keys[nops],
				.value = vals[nops],
				.value_len = strlen(vals[nops]),
				.lease = lease
			};
			nops++;
			if (sriov_cluster_key(&k, SRIOV_CLUSTER_PORT, id,
					      keys[nops], &err) < 0 ||
			    sriov_cluster_port_format(&p, &vals[nops], &err) <
				    0)
				return die("port", &err);
			ops[nops] = (struct sriov_etcd_op){
				.type = SRIOV_ETCD_OP_PUT,
				.key = keys[nops],
				.value = vals[nops],
				.value_len = strlen(vals[nops]),
				.lease = lease
			};
			nops++;
		}
		t.n_success = nops;
		int64_t t0 = now_ns();
		int r = sriov_etcd_txn(e, &t, &resp, &err);

		for (size_t j = 0; j < nops; j++)
			free(vals[j]);
		if (r < 0)
			return die("txn", &err);
		printf("%" PRId64 " %" PRId64 "\n", resp.header.revision, t0);
		sriov_etcd_txn_resp_release(&resp);
	}
	return fflush(stdout) ? 1 : 0;
}

/* N hosts, 2 PFs each (one InfiniBand, one Ethernet), VFS VFs each. */
static int cmd_hosts(int argc, char **argv)
{
	long n, vfs;

	if (argc != 2)
		return 2;
	n = strtol(argv[0], NULL, 0);
	vfs = strtol(argv[1], NULL, 0);
	for (long h = 0; h < n; h += 50) {
		struct sriov_etcd_op ops[50];
		char keys[50][SRIOV_CLUSTER_KEY_MAX];
		char *vals[50] = { 0 };
		size_t nops = 0;
		struct sriov_etcd_txn t = { NULL, 0, ops, 0, NULL, 0 };
		struct sriov_etcd_txn_resp resp;
		struct sriov_error err = { 0 };

		for (long x = h; x < n && x < h + 50; x++) {
			struct sriov_cluster_pf pfs[2];
			char(*addrs)[32] = calloc((size_t)(2 * vfs + 1), 32);
			struct sriov_cluster_host ho = { .updated = 1,
							 .pfs = pfs,
							 .n_pfs = 2,
							 .free_vfs = addrs };
			/* what is free varies, so hosts differ */
			unsigned bound[2] = { (unsigned)(x % (vfs + 1)),
					      (unsigned)((x / 3) % (vfs + 1)) };

			snprintf(ho.id, sizeof(ho.id), "compute-%05ld", x);
			memset(pfs, 0, sizeof(pfs));
			for (int i = 0; i < 2; i++) {
				struct sriov_cluster_pf *pf = &pfs[i];

				snprintf(pf->name, sizeof(pf->name), "%s",
					 i ? "ens2f0" : "ibp65s0");
				snprintf(pf->address, sizeof(pf->address),
					 "0000:%02x:00.0", i ? 0x3b : 0x41);
				pf->link = i ? SRIOV_CLUSTER_LINK_ETHERNET :
					       SRIOV_CLUSTER_LINK_INFINIBAND;
				snprintf(pf->physnet, sizeof(pf->physnet), "%s",
					 i ? "physnet1" : "ibnet");
				if (!i)
					snprintf(pf->fabric, sizeof(pf->fabric),
						 "fab0");
				pf->numa_node = i;
				pf->vfs_total = (unsigned)vfs;
				pf->vfs_bound = bound[i];
				pf->vfs_free = (unsigned)vfs - bound[i];
				snprintf(pf->vendor_id, sizeof(pf->vendor_id),
					 "%s", i ? "8086" : "15b3");
				snprintf(pf->product_id, sizeof(pf->product_id),
					 "%s", i ? "1572" : "1017");
				snprintf(pf->vf_product_id,
					 sizeof(pf->vf_product_id), "%s",
					 i ? "154c" : "1018");
				pf->has_free_vfs = true;
				pf->free_vfs_first = ho.n_free_vfs;
				for (unsigned v = bound[i]; v < (unsigned)vfs;
				     v++)
					snprintf(addrs[ho.n_free_vfs++], 32,
						 "0000:%02x:%02x.%u",
						 i ? 0x3b : 0x41, 1 + v / 8,
						 v % 8);
				pf->n_free_vfs = pf->vfs_free;
			}
			if (sriov_cluster_key(&k, SRIOV_CLUSTER_HOST, ho.id,
					      keys[nops], &err) < 0 ||
			    sriov_cluster_host_format(&ho, &vals[nops], &err) <
				    0) {
				free(addrs);
				return die("host", &err);
			}
			free(addrs);
			ops[nops] = (struct sriov_etcd_op){
				.type = SRIOV_ETCD_OP_PUT,
				.key = keys[nops],
				.value = vals[nops],
				.value_len = strlen(vals[nops]),
			};
			nops++;
		}
		t.n_success = nops;
		int r = sriov_etcd_txn(e, &t, &resp, &err);

		for (size_t j = 0; j < nops; j++)
			free(vals[j]);
		if (r < 0)
			return die("txn", &err);
		sriov_etcd_txn_resp_release(&resp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *eps[16];
	struct sriov_etcd_opts o = { .endpoints = eps,
				     .request_timeout_ms = 5000 };
	struct sriov_error err = { 0 };
	char *save = NULL, *list;
	int r;

	if (argc < 3) {
		fprintf(stderr,
			"usage: bindings ENDPOINTS lease|bind|unbind|burst|hosts ...\n");
		return 2;
	}
	list = strdup(argv[1]);
	for (char *t = strtok_r(list, ",", &save); t && o.n_endpoints < 16;
	     t = strtok_r(NULL, ",", &save))
		eps[o.n_endpoints++] = t;
	if (sriov_etcd_open(&o, &e, &err) < 0 ||
	    sriov_cluster_keys_init(&k, NULL, &err) < 0)
		return die("open", &err);
	if (!strcmp(argv[2], "lease") && argc == 4) {
		int64_t id;

		r = sriov_etcd_lease_grant(e, strtoll(argv[3], NULL, 0), &id,
					   NULL, &err);
		if (r < 0)
			return die("lease", &err);
		printf("%" PRId64 "\n", id);
		r = 0;
	} else if (!strcmp(argv[2], "bind")) {
		r = cmd_bind(argc - 3, argv + 3, true);
	} else if (!strcmp(argv[2], "unbind")) {
		r = cmd_bind(argc - 3, argv + 3, false);
	} else if (!strcmp(argv[2], "burst")) {
		r = cmd_burst(argc - 3, argv + 3);
	} else if (!strcmp(argv[2], "hosts")) {
		r = cmd_hosts(argc - 3, argv + 3);
	} else {
		fprintf(stderr, "bindings: unknown command '%s'\n", argv[2]);
		r = 2;
	}
	sriov_etcd_close(e);
	free(list);
	return r;
}
