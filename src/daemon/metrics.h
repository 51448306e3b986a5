/* SPDX-License-Identifier: MIT */
#ifndef SRIOVD_METRICS_H
#define SRIOVD_METRICS_H

#include <stdint.h>
#include <stdio.h>

#define METRICS_BUCKETS 12

struct histogram {
	uint64_t count[METRICS_BUCKETS + 1]; /* last: +Inf */
	double sum;
	uint64_t n;
};

enum metric_op {
	OP_BIND,
	OP_UNBIND,
	OP_OTHER,
	OP_MAX,
};

struct metrics {
	struct histogram latency[OP_MAX];
	uint64_t requests[OP_MAX];
	uint64_t errors[OP_MAX];
	uint64_t rejected_peers;
	uint64_t bad_requests;
	uint64_t drift_repaired, drift_reported, quarantined;
	uint64_t recovered;
};

extern const double metrics_bounds[METRICS_BUCKETS];
void histogram_add(struct histogram *h, double seconds);
void histogram_print(FILE *f, const char *name, const char *labels,
		     const struct histogram *h);

#endif
