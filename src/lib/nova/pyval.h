/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NOVA_PYVAL_H
#define SRIOV_NOVA_PYVAL_H

/*
 * Python value semantics over jansson values, as Nova's code sees JSON it
 * loaded with json.loads(): repr()/str(), ==, str.strip()/lower(),
 * int(s, 16) and "%0Nx" % v, oslo's bool_from_string(). Used so that our
 * answers and error messages are the ones Nova would give.
 */

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define MUST_CHECK __attribute__((warn_unused_result))

/*
 * A growable string. A failed allocation is sticky: later writes do
 * nothing and sb_take() gives NULL, so a message is built in one go and
 * checked once.
 */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_putc(struct sbuf *b, char c);
void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand out the string, or NULL after a failed allocation; the buffer is
 * reset either way. */
char *sb_take(struct sbuf *b) MUST_CHECK;
/* Forget the contents. */
void sb_release(struct sbuf *b);

/* repr(v) and str(v) of the Python object json.loads() gives for v. */
void py_repr(struct sbuf *b, const json_t *v);
void py_str(struct sbuf *b, const json_t *v);
/* repr() of a str given as n bytes of UTF-8 (NULs allowed). */
void py_repr_str(struct sbuf *b, const char *s, size_t n);
/* NULL: out of memory. */
char *py_repr_dup(const json_t *v) MUST_CHECK;
/* type(v).__name__: str, int, float, bool, NoneType, list, dict. */
const char *py_type_name(const json_t *v);

/* a == b in Python (True == 1 == 1.0, dicts by content). */
bool py_eq(const json_t *a, const json_t *b);

/* Python's str.isspace() for one ASCII byte. */
bool py_isspace(unsigned char c);
/* str.strip() (ASCII whitespace) into a new string; NULL: out of memory. */
char *py_strip(const char *s) MUST_CHECK;
/* str.strip(chars) for an ASCII set; NULL: out of memory. */
char *py_strip_chars(const char *s, const char *chars) MUST_CHECK;

/*
 * int(s, 16), then fmt % v for fmt "%0<width>x": 0 on success with *out the
 * formatted string; -EINVAL if s does not parse, -ENOMEM. *gt is set if
 * v > max (max given as lower-case hex without leading zeros).
 */
int py_hex_normalise(const char *s, unsigned width, const char *max, char **out,
		     bool *gt) MUST_CHECK;

/* int(s) of a str (base 10, ASCII): 0, or -EINVAL where Python raises
 * ValueError (and -ERANGE beyond 64 bits). */
int py_int(const char *s, size_t n, long long *ret) MUST_CHECK;

/* oslo_utils.strutils.bool_from_string(v) (strict=False, default=False). */
bool py_bool_from_string(const json_t *v);

/* Python truthiness of a JSON value. */
bool py_truthy(const json_t *v);

#endif
