/* SPDX-License-Identifier: MIT */
/*
 * What sriov-fabricd exports, in the Prometheus text format: renders by
 * outcome, errors by kind, members per P-key of the file in place, ports
 * and held ports, the time from a change seen to the file in place, the
 * time a render takes, and whether this controller leads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util/banned.h"

static const double bounds[FD_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void fd_histogram_add(struct fd_histogram *h, double s)
{
	int i;

	for (i = 0; i < FD_BUCKETS; i++)
		if (s <= bounds[i])
			break;
	h->count[i]++;
	h->sum += s;
	h->n++;
}

static void histogram(FILE *f, const char *name, const char *help,
		      const char *fabric, const struct fd_histogram *h)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < FD_BUCKETS; i++) {
		cum += h->count[i];
		fprintf(f, "%s_bucket{fabric=\"%s\",le=\"%g\"} %llu\n", name,
			fabric, bounds[i], (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{fabric=\"%s\",le=\"+Inf\"} %llu\n", name, fabric,
		(unsigned long long)h->n);
	fprintf(f, "%s_sum{fabric=\"%s\"} %.6f\n", name, fabric, h->sum);
	fprintf(f, "%s_count{fabric=\"%s\"} %llu\n", name, fabric,
		(unsigned long long)h->n);
}

static void counter(FILE *f, const char *name, const char *help,
		    const char *fabric, const char *label, const char *const *v,
		    const uint64_t *n, size_t count)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < count; i++)
		fprintf(f, "%s{fabric=\"%s\",%s=\"%s\"} %llu\n", name, fabric,
			label, v[i], (unsigned long long)n[i]);
}

static void gauge(FILE *f, const char *name, const char *help,
		  const char *fabric, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s{fabric=\"%s\"} %g\n",
		name, help, name, name, fabric, v);
}

char *fd_metrics_text(const struct ctl *c)
{
	const struct fd_metrics *m = &c->met;
	const char *fab = c->o.fabric; /* an id: no quoting needed */
	struct fd_counts n;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	model_counts(&c->m, &n);
	{
		static const char *const what[] = { "written", "unchanged",
						    "refused" };
		uint64_t v[] = { m->renders_written, m->renders_unchanged,
				 m->renders_refused };

		counter(f, "sriov_fabricd_renders_total",
			"Renders by outcome: written, unchanged (the file already said it), refused (failed our check; the file was kept).",
			fab, "result", what, v, 3);
	}
	{
		static const char *const what[] = { "store", "install",
						    "signal", "verify" };
		uint64_t v[] = { m->errors_store, m->errors_install,
				 m->errors_signal, m->errors_verify };

		counter(f, "sriov_fabricd_errors_total",
			"Failures by kind: store (etcd did not answer or refused), install (the file could not be replaced), signal (OpenSM not signalled), verify (the fabric does not hold the file).",
			fab, "kind", what, v, 4);
	}
	{
		static const char *const what[] = { "unbind", "lost" };
		uint64_t v[] = { m->unbinds, m->lost_held };

		counter(f, "sriov_fabricd_port_departures_total",
			"Ports whose key went: unbind (deleted while its lease lives: removed at once), lost (with its lease: held through the grace period).",
			fab, "cause", what, v, 2);
	}
	fprintf(f,
		"# HELP sriov_fabricd_elections_total Elections won and terms lost.\n"
		"# TYPE sriov_fabricd_elections_total counter\n"
		"sriov_fabricd_elections_total{fabric=\"%s\",event=\"won\"} %llu\n"
		"sriov_fabricd_elections_total{fabric=\"%s\",event=\"deposed\"} %llu\n",
		fab, (unsigned long long)m->elections_won, fab,
		(unsigned long long)m->depositions);
	gauge(f, "sriov_fabricd_leader",
	      "1 while this controller leads its fabric's election.", fab,
	      c->leading);
	gauge(f, "sriov_fabricd_revision",
	      "The store revision of the file this controller last put in place (or found in place).",
	      fab, (double)c->rendered_revision);
	gauge(f, "sriov_fabricd_ports",
	      "Bound InfiniBand ports of this fabric in the store.", fab,
	      n.ours);
	gauge(f, "sriov_fabricd_held",
	      "Lost ports kept in their partitions through the grace period (in the file in place).",
	      fab, c->held);
	gauge(f, "sriov_fabricd_rejected",
	      "Keys whose value the schema refuses (listed in the status).",
	      fab, n.rejected);
	fprintf(f,
		"# HELP sriov_fabricd_members Members per P-key in the file in place.\n"
		"# TYPE sriov_fabricd_members gauge\n");
	for (size_t i = 0; i < c->n_pkeys; i++)
		fprintf(f,
			"sriov_fabricd_members{fabric=\"%s\",pkey=\"0x%04x\"} %u\n",
			fab, c->pkeys[i].pkey, c->pkeys[i].members);
	histogram(f, "sriov_fabricd_convergence_seconds",
		  "From the first change seen to the new file in place.", fab,
		  &m->convergence);
	histogram(
		f, "sriov_fabricd_render_seconds",
		"Rendering the file and checking it with our parser and linter.",
		fab, &m->render);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
