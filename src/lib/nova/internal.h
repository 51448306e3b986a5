/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NOVA_INTERNAL_H
#define SRIOV_NOVA_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include <sriov/nova.h>

#include "util/strutil.h"

/* Record Nova's message verbatim; returns -EINVAL. */
int nova_err(struct sriov_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record "out of memory"; returns -ENOMEM. */
int nova_oom(struct sriov_error *err);

/*
 * json_loads(JSON_DECODE_ANY) of an option value: 0, -ENOMEM, or -EINVAL
 * with jansson's message in je. jansson reports a failed allocation in its
 * lexer as a syntax error (and one at its start as no error at all), so a
 * failure is the text's only when a second parse fails the same way.
 */
int nova_json_loads(const char *text, json_t **ret, json_error_t *je)
	__attribute__((warn_unused_result));

/* A JSON string of v's compact JSON text, or NULL: out of memory. Written
 * by json_dumpb(), which does not allocate (json_dumps() can drop
 * characters when an allocation fails). */
json_t *nova_json_text(const json_t *v);

/* Where and why oslo.config refuses a nova.conf. */
struct nova_conf_error {
	unsigned line;
	char what[SRIOV_ERROR_MSG_MAX - 64];
};
/* sriov_nova_conf_parse() with the refusal apart: -EINVAL (fail set) or
 * -ENOMEM. */
int nova_conf_parse(const char *buf, size_t len, struct sriov_nova_conf *ret,
		    struct nova_conf_error *fail)
	__attribute__((warn_unused_result));
/* The whole file, NUL-terminated (a NUL inside is kept). */
int nova_conf_read(const char *path, char **ret, size_t *ret_len,
		   struct sriov_error *err) __attribute__((warn_unused_result));

/* sriov_nova_check() of a file's bytes: 0 or -ENOMEM. */
int nova_check_buf(struct sriov_root *root, const char *buf, size_t len,
		   json_t *devs, struct sriov_nova_report *ret)
	__attribute__((warn_unused_result));

/* Does some spec carry remote_managed (the only reader of a device's
 * capabilities)? */
bool nova_whitelist_remote_managed(const struct sriov_nova_whitelist *wl);

/* The whitelist carries the pool-class interner shared by all hosts:
 * *ret becomes the index of the class of pools whose sorted keys
 * serialise to key. 0 or -ENOMEM. */
int nova_intern_pool(const struct sriov_nova_whitelist *wl, const char *key,
		     size_t *ret) __attribute__((warn_unused_result));

/* The number of pool classes interned so far. */
size_t nova_whitelist_classes(const struct sriov_nova_whitelist *wl);

/* Pool classes by the inputs of their keys (see stats.c): the class, -1
 * unknown, and (keys not NULL) the keys built from them, borrowed. A
 * signature that cannot be remembered (-ENOMEM) is only slower. */
long nova_sig_class(const struct sriov_nova_whitelist *wl, const char *sig,
		    json_t **keys);
int nova_sig_class_set(const struct sriov_nova_whitelist *wl, const char *sig,
		       size_t cls, json_t *keys)
	__attribute__((warn_unused_result));

#endif
