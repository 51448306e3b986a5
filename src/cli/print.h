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
};

void print_begin(struct printer *p, bool json, bool pretty, FILE *out);
/* Write the JSON document (JSON mode) and release it; returns 0 or -errno. */
int print_end(struct printer *p);

void print_open_object(struct printer *p, const char *key);
void print_close_object(struct printer *p);
void print_open_array(struct printer *p, const char *key);
void print_close_array(struct printer *p);

/* A NULL string prints JSON null and the text "-" through fmt. */
void print_string(struct printer *p, enum print_type t, const char *key,
		  const char *fmt, const char *val);
void print_uint(struct printer *p, enum print_type t, const char *key,
		const char *fmt, uint64_t val);
void print_int(struct printer *p, enum print_type t, const char *key,
	       const char *fmt, int64_t val);
void print_bool(struct printer *p, enum print_type t, const char *key,
		const char *fmt, bool val);
void print_null(struct printer *p, enum print_type t, const char *key,
		const char *fmt);
/* Put a whole jansson value (stolen) into the JSON output; text ignores it. */
void print_json(struct printer *p, const char *key, json_t *val);
/* Text only: printf-style. */
void print_text(struct printer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
