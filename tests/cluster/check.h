/* SPDX-License-Identifier: MIT */
/*
 * The checks of the cluster tests: each counts, a failing one prints its
 * place, its condition and why, and the run goes on (a TAP-like summary
 * from the test's main). Include once, in the test's one source file.
 */
#ifndef SRIOV_TESTS_CLUSTER_CHECK_H
#define SRIOV_TESTS_CLUSTER_CHECK_H

#include <stdio.h>

static unsigned passed, failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			passed++;                                              \
		} else {                                                       \
			failed++;                                              \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

#endif
