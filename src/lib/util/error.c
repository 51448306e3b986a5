/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sriov/error.h>

int sriov_error_set(struct sriov_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int sriov_error_set_at(struct sriov_error *err, int code, const char *file,
		       unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return code;
	err->code = code;
	if (column)
		n = snprintf(err->msg, sizeof(err->msg),
			     "%s:%u:%u: ", file ? file : "<input>", line,
			     column);
	else
		n = snprintf(err->msg, sizeof(err->msg),
			     "%s:%u: ", file ? file : "<input>", line);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return code;
}

void sriov_error_prefix(struct sriov_error *err, const char *fmt, ...)
{
	char old[SRIOV_ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= sizeof(err->msg))
		return;
	err->msg[n] = ':';
	err->msg[n + 1] = ' ';
	memcpy(err->msg + n + 2, old, sizeof(err->msg) - n - 2);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

void sriov_error_clear(struct sriov_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
