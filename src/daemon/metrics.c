/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "metrics.h"
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
