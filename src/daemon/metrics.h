/* SPDX-License-Identifier: MIT */
#ifndef SRIOVD_METRICS_H
#define SRIOVD_METRICS_H

#include <stdint.h>
#include <stdio.h>

#define METRICS_BUCKETS 12
/* Slots of per-operation counters: one per API operation (api_ops[]),
 * the last for requests naming no known operation. */
#define METRICS_OPS_MAX 16

struct histogram {
	uint64_t count[METRICS_BUCKETS + 1]; /* last: +Inf */
	double sum;
	uint64_t n;
};

struct op_metrics {
	uint64_t requests, errors;
	struct histogram latency; /* of the successful ones */
};

struct metrics {
	struct op_metrics op[METRICS_OPS_MAX]; /* by api_ops[] index */
	uint64_t rejected_peers;
	uint64_t bad_requests;
	uint64_t drift_repaired, drift_reported, quarantined;
	uint64_t recovered;
};

extern const double metrics_bounds[METRICS_BUCKETS];
void histogram_add(struct histogram *h, double seconds);
void histogram_print(FILE *f, const char *name, const char *labels,
		     const struct histogram *h);

struct daemon;
/* The Prometheus text format of everything sriovd exports (malloc'd). */
char *metrics_text(struct daemon *d);

#endif
