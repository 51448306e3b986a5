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

/* Does some spec carry remote_managed (the only reader of a device's
 * capabilities)? */
bool nova_whitelist_remote_managed(const struct sriov_nova_whitelist *wl);

/* The whitelist carries the pool-class interner shared by all hosts: the
 * index of the class of pools whose sorted keys serialise to key. */
size_t nova_intern_pool(const struct sriov_nova_whitelist *wl, const char *key);

/* Pool classes by the inputs of their keys (see stats.c): -1 unknown. */
long nova_sig_class(const struct sriov_nova_whitelist *wl, const char *sig);
void nova_sig_class_set(const struct sriov_nova_whitelist *wl, const char *sig,
			size_t cls);

#endif
