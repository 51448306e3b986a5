/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sriovd.h"
#include "util/banned.h"

void log_msg(int level, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert",	 "crit",
					     "error", "warning", "notice",
					     "info",  "debug" };
	va_list ap;

	/* under systemd the <N> prefix gives the journal the level */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "sriovd: %s: ", names[level & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
