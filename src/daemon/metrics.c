/* SPDX-License-Identifier: MIT */
/*
 * What sriovd exports, in the Prometheus text format: VFs by state, the PF
 * drivers' per-VF counters, requests and errors by operation (the labels
 * come from the table of operations, api_ops[]), the daemon's own
 * counters, and the latency of binds and unbinds.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sriovd.h"
#include "util/macro.h"
#include "util/banned.h"

/* seconds; TCG guests are slow, real hosts fast: a wide range */
const double metrics_bounds[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void histogram_add(struct histogram *h, double s)
{
	int i;

	for (i = 0; i < METRICS_BUCKETS; i++)
		if (s <= metrics_bounds[i])
			break;
	h->count[i]++;
	h->sum += s;
	h->n++;
}

void histogram_print(FILE *f, const char *name, const char *labels,
		     const struct histogram *h)
{
	uint64_t cum = 0;

	for (int i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->count[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
			labels[0] ? "," : "", metrics_bounds[i],
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
		labels[0] ? "," : "", (unsigned long long)h->n);
	fprintf(f, "%s_sum{%s} %.6f\n", name, labels, h->sum);
	fprintf(f, "%s_count{%s} %llu\n", name, labels,
		(unsigned long long)h->n);
}

static void print_vf_gauges(FILE *f, struct daemon *d)
{
	struct sriov_store_vf *v = NULL;
	size_t n = 0;

	fprintf(f, "# HELP sriovd_vfs VFs by state, per PF and physnet.\n"
		   "# TYPE sriovd_vfs gauge\n");
	if (sriov_store_list_vfs(d->store, &v, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n;) {
		size_t cnt[3] = { 0 }, j = i;

		while (j < n && !strcmp(v[j].pf, v[i].pf)) {
			if (!v[j].excluded && !v[j].whole)
				cnt[v[j].state]++;
			j++;
		}
		for (int s = 0; s < 3; s++)
			fprintf(f,
				"sriovd_vfs{pf=\"%s\",physnet=\"%s\","
				"state=\"%s\"} %zu\n",
				v[i].pf, v[i].physnet,
				sriov_vf_state_name((enum sriov_vf_state)s),
				cnt[s]);
		i = j;
	}
	fprintf(f,
		"# HELP sriovd_whole_pf PFs offered whole (direct_physical): "
		"1 in their state.\n"
		"# TYPE sriovd_whole_pf gauge\n");
	for (size_t i = 0; i < n; i++)
		if (v[i].whole && !v[i].excluded)
			fprintf(f,
				"sriovd_whole_pf{pf=\"%s\",physnet=\"%s\","
				"state=\"%s\"} 1\n",
				v[i].pf, v[i].physnet,
				sriov_vf_state_name(v[i].state));
	free(v);
}

/* One VF's counters with the labels they are exported under. */
struct vf_counters {
	const char *pf, *port;
	unsigned vf;
	uint32_t present;
	struct sriov_vf_stats st;
};

/* Read each managed PF's VFs with IFLA_VF_STATS; appends to @out. */
static size_t collect_vf_counters(struct daemon *d, struct sriov_store_vf *v,
				  size_t n, struct vf_counters *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		struct sriov_link_vfs l = { 0 };
		struct sriov_pf_ref pf;
		size_t j = i;
		bool have = false;

		while (j < n && !strcmp(v[j].pf, v[i].pf))
			j++;
		if (d->nl &&
		    sriov_pf_resolve(d->root, v[i].pf, &pf, NULL) == 0 &&
		    pf.ifindex > 0 &&
		    sriov_vf_read_stats(d->nl, pf.ifindex, &l, NULL) == 0)
			have = true;
		for (size_t x = i; have && x < j; x++) {
			if (v[x].excluded || v[x].whole)
				continue; /* a whole PF has no VF counters */
			for (size_t y = 0; y < l.n_vfs; y++) {
				if (l.vfs[y].vf != v[x].index ||
				    !l.vfs[y].stats_present)
					continue;
				out[k++] = (struct vf_counters){
					.pf = v[x].pf,
					.port = v[x].port,
					.vf = v[x].index,
					.present = l.vfs[y].stats_present,
					.st = l.vfs[y].stats,
				};
				break;
			}
		}
		sriov_link_vfs_release(&l);
		i = j;
	}
	return k;
}

/*
 * sriovd_vf_<counter>_total{pf,vf,port}: the PF driver's IFLA_VF_STATS of
 * every managed VF (port="" when free). A counter the driver does not send
 * is left out rather than exported as 0.
 */
static void print_vf_counters(FILE *f, struct daemon *d)
{
	static const struct {
		const char *name, *help;
		uint32_t bit;
		size_t off;
	} m[] = {
#define C(n, b, h)                                        \
	{ "sriovd_vf_" #n "_total", h, SRIOV_VF_STAT_##b, \
	  offsetof(struct sriov_vf_stats, n) }
		C(rx_packets, RX_PACKETS, "Packets received by the VF."),
		C(tx_packets, TX_PACKETS, "Packets sent by the VF."),
		C(rx_bytes, RX_BYTES, "Bytes received by the VF."),
		C(tx_bytes, TX_BYTES, "Bytes sent by the VF."),
		C(broadcast, BROADCAST,
		  "Broadcast packets received by the VF."),
		C(multicast, MULTICAST,
		  "Multicast packets received by the VF."),
		C(rx_dropped, RX_DROPPED, "Received packets the VF dropped."),
		C(tx_dropped, TX_DROPPED, "Packets to send the VF dropped."),
#undef C
	};
	_cleanup_free_ struct sriov_store_vf *v = NULL;
	_cleanup_free_ struct vf_counters *c = NULL;
	size_t n = 0, k;

	if (sriov_store_list_vfs(d->store, &v, &n, NULL) < 0 || n == 0)
		return;
	c = calloc(n, sizeof(*c));
	if (!c)
		return;
	k = collect_vf_counters(d, v, n, c);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", m[i].name,
			m[i].help, m[i].name);
		for (size_t x = 0; x < k; x++) {
			uint64_t val;

			if (!(c[x].present & m[i].bit))
				continue;
			memcpy(&val, (const char *)&c[x].st + m[i].off,
			       sizeof(val));
			fprintf(f, "%s{pf=\"%s\",vf=\"%u\",port=\"%s\"} %llu\n",
				m[i].name, c[x].pf, c[x].vf, c[x].port,
				(unsigned long long)val);
		}
	}
}

/* The op label of counter slot @i: the table's, "other" for operations
 * without one and for the slot of unknown operations. */
static const char *op_label(size_t i)
{
	return i < api_n_ops && api_ops[i].metric ? api_ops[i].metric : "other";
}

/*
 * The labels in the order the table first names them, "other" last: the
 * slots sharing a label are summed under it.
 */
static size_t op_labels(const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i <= api_n_ops; i++) {
		const char *l = i < api_n_ops ? api_ops[i].metric : NULL;
		size_t k;

		if (!l)
			continue;
		for (k = 0; k < n && strcmp(out[k], l); k++)
			;
		if (k == n)
			out[n++] = l;
	}
	out[n++] = "other";
	return n;
}

static void print_op_counters(FILE *f, const struct metrics *m,
			      const char *name, const char *help, bool errors)
{
	const char *labels[METRICS_OPS_MAX];
	size_t n = op_labels(labels);

	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t l = 0; l < n; l++) {
		uint64_t sum = 0;

		for (size_t i = 0; i <= api_n_ops; i++)
			if (!strcmp(op_label(i), labels[l]))
				sum += errors ? m->op[i].errors :
						m->op[i].requests;
		fprintf(f, "%s{op=\"%s\"} %llu\n", name, labels[l],
			(unsigned long long)sum);
	}
}

/* The latency of the operations that carry a label of their own. */
static void print_latency(FILE *f, const struct metrics *m)
{
	const char *labels[METRICS_OPS_MAX];
	size_t n = op_labels(labels);
	char l[64];

	fprintf(f, "# HELP sriovd_operation_seconds Bind and unbind latency.\n"
		   "# TYPE sriovd_operation_seconds histogram\n");
	for (size_t k = 0; k + 1 < n; k++) {
		struct histogram h = { 0 };

		for (size_t i = 0; i < api_n_ops; i++) {
			const struct histogram *s = &m->op[i].latency;

			if (strcmp(op_label(i), labels[k]))
				continue;
			for (int b = 0; b <= METRICS_BUCKETS; b++)
				h.count[b] += s->count[b];
			h.sum += s->sum;
			h.n += s->n;
		}
		snprintf(l, sizeof(l), "op=\"%s\"", labels[k]);
		histogram_print(f, "sriovd_operation_seconds", l, &h);
	}
}

/* docs/cluster.md: what sriovd's side of the cluster is doing. */
static void print_cluster(FILE *f, const struct cluster *c)
{
	if (!c->on)
		return;
	fprintf(f,
		"# HELP sriovd_cluster_up 1 while the cluster store answers and the lease lives.\n"
		"# TYPE sriovd_cluster_up gauge\n"
		"sriovd_cluster_up %d\n"
		"# HELP sriovd_cluster_publication_pending 1 while what SQLite holds is not all published.\n"
		"# TYPE sriovd_cluster_publication_pending gauge\n"
		"sriovd_cluster_publication_pending %d\n"
		"# TYPE sriovd_cluster_errors_total counter\n"
		"sriovd_cluster_errors_total %llu\n"
		"# TYPE sriovd_cluster_pending_total counter\n"
		"sriovd_cluster_pending_total %llu\n"
		"# TYPE sriovd_cluster_syncs_total counter\n"
		"sriovd_cluster_syncs_total %llu\n"
		"# TYPE sriovd_cluster_lease_grants_total counter\n"
		"sriovd_cluster_lease_grants_total %llu\n"
		"# TYPE sriovd_cluster_guid_races_total counter\n"
		"sriovd_cluster_guid_races_total %llu\n"
		"# TYPE sriovd_cluster_guid_conflicts_total counter\n"
		"sriovd_cluster_guid_conflicts_total %llu\n",
		c->pc.lease && !c->pc.unreachable, c->need_sync,
		(unsigned long long)c->errors,
		(unsigned long long)c->pending_events,
		(unsigned long long)c->syncs, (unsigned long long)c->grants,
		(unsigned long long)c->races, (unsigned long long)c->conflicts);
}

char *metrics_text(struct daemon *d)
{
	struct metrics *m = &d->metrics;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_vf_gauges(f, d);
	print_vf_counters(f, d);
	print_op_counters(f, m, "sriovd_requests_total",
			  "API requests by operation.", false);
	print_op_counters(f, m, "sriovd_errors_total",
			  "Failed requests by operation.", true);
	fprintf(f,
		"# TYPE sriovd_bad_requests_total counter\n"
		"sriovd_bad_requests_total %llu\n"
		"# TYPE sriovd_rejected_peers_total counter\n"
		"sriovd_rejected_peers_total %llu\n"
		"# TYPE sriovd_drift_repaired_total counter\n"
		"sriovd_drift_repaired_total %llu\n"
		"# TYPE sriovd_drift_reported_total counter\n"
		"sriovd_drift_reported_total %llu\n"
		"# TYPE sriovd_quarantined_total counter\n"
		"sriovd_quarantined_total %llu\n"
		"# TYPE sriovd_recovered_operations_total counter\n"
		"sriovd_recovered_operations_total %llu\n",
		(unsigned long long)m->bad_requests,
		(unsigned long long)m->rejected_peers,
		(unsigned long long)m->drift_repaired,
		(unsigned long long)m->drift_reported,
		(unsigned long long)m->quarantined,
		(unsigned long long)m->recovered);
	print_latency(f, m);
	neutron_metrics(d, f);
	print_cluster(f, &d->cluster);
	fclose(f);
	return buf;
}
