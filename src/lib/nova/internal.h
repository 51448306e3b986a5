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

#endif
