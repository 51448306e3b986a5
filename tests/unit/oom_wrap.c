/* SPDX-License-Identifier: MIT */
/* The wrapped allocator of the OOM tests (oom_wrap.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom_wrap.h"

static unsigned long calls;
static long fail_at = -1;
static int paused;

void oom_arm(long n)
{
	calls = 0;
	fail_at = n;
}

unsigned long oom_calls(void)
{
	return calls;
}

long oom_failing(void)
{
	return fail_at;
}

void oom_pause(void)
{
	paused++;
}

void oom_resume(void)
{
	paused--;
}

bool oom_fail_now(void)
{
	if (paused)
		return false;
	if ((long)calls++ == fail_at) {
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **ret, const char *fmt, va_list ap);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **ret, const char *fmt, va_list ap);
int __wrap_asprintf(char **ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *oom_real_malloc(size_t n)
{
	return __real_malloc(n);
}

void *__wrap_malloc(size_t n)
{
	return oom_fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return oom_fail_now() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return oom_fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return oom_fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return oom_fail_now() ? NULL : __real_strndup(s, n);
}

int __wrap_vasprintf(char **ret, const char *fmt, va_list ap)
{
	return oom_fail_now() ? -1 : __real_vasprintf(ret, fmt, ap);
}

int __wrap_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (oom_fail_now())
		return -1;
	va_start(ap, fmt);
	r = __real_vasprintf(ret, fmt, ap);
	va_end(ap);
	return r;
}
