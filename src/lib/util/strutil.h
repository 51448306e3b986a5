/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_UTIL_STRUTIL_H
#define SRIOV_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strip trailing newlines and blanks in place; returns s. */
char *strip_trailing(char *s);

/* strdup that returns NULL for NULL. */
char *strdup_or_null(const char *s);

/*
 * A name that may become one component of a sysfs path: non-empty, at most
 * 255 bytes, not "." or "..", no '/', no control characters.
 */
bool name_is_safe(const char *name);

/* Parse an unsigned integer (base 0: 0x.., 0.., decimal) that fills s. */
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_int(const char *s, int *ret);

/* Growable array helper: ensures room for n+1 elements of size sz; 0 or
 * -ENOMEM (the array is then unchanged). */
int grow_array(void **arr, size_t *cap, size_t n, size_t sz)
	__attribute__((warn_unused_result));

#endif
