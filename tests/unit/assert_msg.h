/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_TEST_ASSERT_MSG_H
#define SRIOV_TEST_ASSERT_MSG_H

/*
 * assert_msg_has(msg, "word", ...): every word is in the text @msg (an
 * error message, a metrics page, an XML document). When one is not, the
 * test fails at the caller's line and says what it saw: the whole text and
 * each word missing from it, where a bare assert_non_null(strstr()) says
 * only "0x0".
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define assert_msg_has(msg, ...)                                      \
	assert_msg_has_at((msg), #msg,                                \
			  (const char *const[]){ __VA_ARGS__, NULL }, \
			  __FILE__, __LINE__)

static inline void assert_msg_has_at(const char *msg, const char *expr,
				     const char *const *words, const char *file,
				     int line)
{
	int missing = 0;

	for (; *words; words++) {
		if (msg && strstr(msg, *words))
			continue;
		if (!missing++) {
			if (msg)
				print_error("%s is \"%s\"\n", expr, msg);
			else
				print_error("%s is NULL\n", expr);
		}
		print_error("  it lacks \"%s\"\n", *words);
	}
	if (missing)
		_fail(file, line);
}

#endif
