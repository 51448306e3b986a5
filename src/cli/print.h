/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CLI_PRINT_H
#define SRIOV_CLI_PRINT_H

/*
 * One print call emits text or JSON, so the two outputs never drift (the
 * iproute2 json_print model). The writer state lives in struct printer,
 * owned by the command, not in a global.
 *
 *   print_uint(p, PRINT_ANY, "numvfs", "numvfs %u ", n);
 *
 * PRINT_ANY: text uses fmt, JSON uses key. PRINT_JSON: JSON only.
 * PRINT_TEXT: text only. In JSON mode the output is built with jansson and
 * written by print_end(), with stable key order (insertion order).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum print_type { PRINT_TEXT = 1, PRINT_JSON = 2, PRINT_ANY = 3 };

struct printer {
	bool json;
	bool pretty;
	FILE *out;
	json_t *stack[32];
	int depth;
	json_t *root;
	bool stream; /* print_stream() */
	size_t streamed; /* members written so far */
	char *buf; /* a member's text while streaming */
	size_t buf_size;
	int error; /* -errno of a failed write while streaming */
};

void print_begin(struct printer *p, bool json, bool pretty, FILE *out);
/*
 * JSON mode, not pretty: the members of the top-level array are written as
 * each one is complete and then freed, so an answer of many megabytes is
 * never held whole (nova fit). The text is what the whole document would
 * give. Call before opening the top-level array; pretty output is built
 * whole and indented as usual.
 */
void print_stream(struct printer *p);
/* Write the JSON document (JSON mode) and release it; returns 0 or -errno. */
int print_end(struct printer *p);
/* Release the document without writing it (after a failure). */
void print_discard(struct printer *p);

void print_open_object(struct printer *p, const char *key);
void print_close_object(struct printer *p);
void print_open_array(struct printer *p, const char *key);
void print_close_array(struct printer *p);

/*
 * One function per C type, so the text format is checked against the type
 * of the value (-Wformat): print_uint() takes an unsigned and a "%u",
 * print_u64() a uint64_t and a PRIu64, print_size() a size_t and a "%zu".
 * A value wider than the function's type does not compile (use the wider
 * function). A NULL format (PRINT_JSON) writes no text.
 *
 * Text formats: print_string() gets the string ("-" for NULL), print_bool()
 * "on" or "off"; print_null() writes its text as it is (no conversions).
 */
#define PRINT_FORMAT_ __attribute__((format(printf, 5, 6)))
#define PRINT_DECLARE_(name, ctype)                                            \
	void print_##name##_(struct printer *p, enum print_type t,             \
			     const char *key, ctype val, const char *fmt, ...) \
		PRINT_FORMAT_;                                                 \
	void print_##name##_nofmt_(struct printer *p, enum print_type t,       \
				   const char *key, ctype val,                 \
				   const void *fmt, ...)
PRINT_DECLARE_(string, const char *);
PRINT_DECLARE_(uint, unsigned);
PRINT_DECLARE_(u64, uint64_t);
PRINT_DECLARE_(size, size_t);
PRINT_DECLARE_(int, int);
PRINT_DECLARE_(s64, int64_t);
PRINT_DECLARE_(bool, bool);

/* _Generic tells a NULL format (void *) from a string: only a real format
 * goes to the function that -Wformat checks. */
#define PRINT_CALL_(name, ctype, p, t, key, fmt, val, text)                    \
	({                                                                     \
		ctype v_ = (val);                                              \
		_Generic((fmt), void *: print_##name##_nofmt_,               \
			 default: print_##name##_)(p, t, key, v_, fmt, text); \
	})
/* Integers: a value wider than the function's type is refused. */
#define PRINT_INT_CALL_(name, ctype, p, t, key, fmt, val)            \
	({                                                           \
		_Static_assert(sizeof(val) <= sizeof(ctype),         \
			       "print_" #name                        \
			       ": the value is wider than " #ctype); \
		PRINT_CALL_(name, ctype, p, t, key, fmt, val, v_);   \
	})
#define print_string(p, t, key, fmt, val) \
	PRINT_CALL_(string, const char *, p, t, key, fmt, val, v_ ? v_ : "-")
#define print_uint(p, t, key, fmt, val) \
	PRINT_INT_CALL_(uint, unsigned, p, t, key, fmt, val)
#define print_u64(p, t, key, fmt, val) \
	PRINT_INT_CALL_(u64, uint64_t, p, t, key, fmt, val)
#define print_size(p, t, key, fmt, val) \
	PRINT_INT_CALL_(size, size_t, p, t, key, fmt, val)
#define print_int(p, t, key, fmt, val) \
	PRINT_INT_CALL_(int, int, p, t, key, fmt, val)
#define print_s64(p, t, key, fmt, val) \
	PRINT_INT_CALL_(s64, int64_t, p, t, key, fmt, val)
#define print_bool(p, t, key, fmt, val) \
	PRINT_CALL_(bool, bool, p, t, key, fmt, val, v_ ? "on" : "off")
void print_null_(struct printer *p, enum print_type t, const char *key,
		 const char *text, ...) __attribute__((format(printf, 4, 5)));
void print_null_nofmt_(struct printer *p, enum print_type t, const char *key,
		       const void *text);
#define print_null(p, t, key, text) \
	_Generic((text), void *: print_null_nofmt_, default: print_null_)(   \
		p, t, key, text)
/* Put a whole jansson value (stolen) into the JSON output; text ignores it. */
void print_json(struct printer *p, const char *key, json_t *val);
/* Text only: printf-style. */
void print_text(struct printer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
