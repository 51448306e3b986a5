/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_ERROR_H
#define SRIOV_ERROR_H

/*
 * Errors: every fallible function returns an int, >= 0 on success and
 * -errno on failure. Where a person needs detail, the last parameter is a
 * struct sriov_error (may be NULL) that receives one message naming the
 * offending input and what would be accepted. The library never prints.
 */

#define SRIOV_ERROR_MSG_MAX 512

struct sriov_error {
	int code; /* -errno, 0 when unset */
	char msg[SRIOV_ERROR_MSG_MAX];
};

/**
 * sriov_error_set() - record an error and return its code
 * @err: where to record it; may be NULL
 * @code: a negative errno
 * @fmt: printf format of a lowercase message naming the input
 *
 * Return: @code, so that a failure is one line:
 * ``return sriov_error_set(err, -EINVAL, "vf %u: bad mac '%s'", vf, s);``
 */
int sriov_error_set(struct sriov_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * sriov_error_set_at() - like sriov_error_set() for a position in a file
 *
 * The message reads ``file:line:column: message`` (column 0 is left out).
 */
int sriov_error_set_at(struct sriov_error *err, int code, const char *file,
		       unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/**
 * sriov_error_prefix() - put "prefix: " before a recorded message
 */
void sriov_error_prefix(struct sriov_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * sriov_error_clear() - forget a recorded error
 */
void sriov_error_clear(struct sriov_error *err);

#endif
