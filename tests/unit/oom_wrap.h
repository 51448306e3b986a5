/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_TESTS_OOM_WRAP_H
#define SRIOV_TESTS_OOM_WRAP_H

/*
 * The allocator, wrapped at link time (-Wl,--wrap=malloc,... in
 * tests/unit/CMakeLists.txt, SRIOV_OOM_WRAP), so a test can fail one
 * allocation of the code it runs: malloc, calloc, realloc, strdup, strndup,
 * asprintf and vasprintf of every object linked into the test binary.
 * Allocations are counted from the last oom_arm(); the one numbered @n
 * (0-based) fails with errno ENOMEM. While paused (the test's own
 * allocations), nothing is counted or failed.
 */
#include <stdbool.h>

void oom_arm(long n); /* fail allocation n from now; -1: none */
unsigned long oom_calls(void); /* allocations counted since oom_arm() */
long oom_failing(void); /* the allocation armed to fail, -1 none */
void oom_pause(void); /* nests */
void oom_resume(void);
/* The wrappers' check: true when this allocation is to fail. */
bool oom_fail_now(void);
/* glibc's malloc, not counted (for a wrapper of another allocator). */
void *oom_real_malloc(size_t n);

#endif
