/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nova/pyval.h"
#include "util/banned.h"

/* Room for n more bytes and the NUL; false (and sticky) when out of
 * memory. */
static bool sb_grow(struct sbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!sb_grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!sb_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *sb_take(struct sbuf *b)
{
	char *s = b->oom ? NULL : b->s ? b->s : strdup("");

	if (b->oom)
		free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
	return s;
}

void sb_release(struct sbuf *b)
{
	free(b->s);
	*b = (struct sbuf){ 0 };
}

/* repr() of a str: Python picks ' unless the text has ' and no ". */
void py_repr_str(struct sbuf *b, const char *s, size_t n)
{
	bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
	char q = (sq && !dq) ? '"' : '\'';

	sb_putc(b, q);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == (unsigned char)q || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c == '\n') {
			sb_puts(b, "\\n");
		} else if (c == '\r') {
			sb_puts(b, "\\r");
		} else if (c == '\t') {
			sb_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			sb_printf(b, "\\x%02x", c);
		} else {
			/* UTF-8 passes through: printable non-ASCII is kept. */
			sb_putc(b, (char)c);
		}
	}
	sb_putc(b, q);
}

/* repr(float): shortest round-trip digits, Python's layout. */
static void repr_float(struct sbuf *b, double x)
{
	char buf[64], digits[32];
	int p, exp, nd = 0;

	if (isnan(x)) {
		sb_puts(b, "nan");
		return;
	}
	if (isinf(x)) {
		sb_puts(b, x < 0 ? "-inf" : "inf");
		return;
	}
	for (p = 0; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	/* buf: [-]d[.ddd]e[+-]XX */
	const char *s = buf;
	if (*s == '-') {
		sb_putc(b, '-');
		s++;
	}
	for (; *s && *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	digits[nd] = '\0';
	exp = atoi(s + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (exp >= -5 + 1 && exp < 16) {
		if (exp < 0) {
			sb_puts(b, "0.");
			for (int i = 0; i < -exp - 1; i++)
				sb_putc(b, '0');
			sb_puts(b, digits);
		} else {
			for (int i = 0; i <= exp; i++)
				sb_putc(b, i < nd ? digits[i] : '0');
			sb_putc(b, '.');
			if (nd > exp + 1)
				sb_puts(b, digits + exp + 1);
			else
				sb_putc(b, '0');
		}
	} else {
		sb_putc(b, digits[0]);
		if (nd > 1) {
			sb_putc(b, '.');
			sb_puts(b, digits + 1);
		}
		sb_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	}
}

void py_repr(struct sbuf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		sb_puts(b, "None");
		break;
	case JSON_TRUE:
		sb_puts(b, "True");
		break;
	case JSON_FALSE:
		sb_puts(b, "False");
		break;
	case JSON_INTEGER:
		sb_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		repr_float(b, json_real_value(v));
		break;
	case JSON_STRING:
		py_repr_str(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		sb_putc(b, '[');
		json_array_foreach(v, i, e) {
			if (i)
				sb_puts(b, ", ");
			py_repr(b, e);
		}
		sb_putc(b, ']');
		break;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *e;
		bool first = true;

		sb_putc(b, '{');
		json_object_foreach((json_t *)v, k, e) {
			if (!first)
				sb_puts(b, ", ");
			first = false;
			py_repr_str(b, k, strlen(k));
			sb_puts(b, ": ");
			py_repr(b, e);
		}
		sb_putc(b, '}');
		break;
	}
	}
}

void py_str(struct sbuf *b, const json_t *v)
{
	if (json_is_string(v))
		sb_putn(b, json_string_value(v), json_string_length(v));
	else
		py_repr(b, v);
}

char *py_repr_dup(const json_t *v)
{
	struct sbuf b = { 0 };

	py_repr(&b, v);
	return sb_take(&b);
}

const char *py_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return "NoneType";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float";
	case JSON_STRING:
		return "str";
	case JSON_ARRAY:
		return "list";
	default:
		return "dict";
	}
}

static bool is_num(const json_t *v, double *d, json_int_t *i, bool *isint)
{
	switch (json_typeof(v)) {
	case JSON_TRUE:
		*i = 1, *isint = true;
		return true;
	case JSON_FALSE:
		*i = 0, *isint = true;
		return true;
	case JSON_INTEGER:
		*i = json_integer_value(v), *isint = true;
		return true;
	case JSON_REAL:
		*d = json_real_value(v), *isint = false;
		return true;
	default:
		return false;
	}
}

bool py_eq(const json_t *a, const json_t *b)
{
	double da = 0, db = 0;
	json_int_t ia = 0, ib = 0;
	bool ai, bi;

	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (is_num(a, &da, &ia, &ai)) {
		if (!is_num(b, &db, &ib, &bi))
			return false;
		if (ai && bi)
			return ia == ib;
		if (ai)
			return (double)ia == db && (json_int_t)db == ia;
		if (bi)
			return (double)ib == da && (json_int_t)da == ib;
		return da == db;
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_NULL:
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	case JSON_ARRAY: {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!py_eq(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *e;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, e)
			if (!py_eq(e, json_object_get(b, k)))
				return false;
		return true;
	}
	default:
		return false;
	}
}

bool py_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

char *py_strip_chars(const char *s, const char *chars)
{
	size_t n = strlen(s), i = 0;

	while (i < n && strchr(chars, s[i]))
		i++;
	while (n > i && strchr(chars, s[n - 1]))
		n--;
	return strndup(s + i, n - i);
}

char *py_strip(const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n && py_isspace((unsigned char)s[i]))
		i++;
	while (n > i && py_isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s + i, n - i);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int py_hex_normalise(const char *s, unsigned width, const char *max, char **out,
		     bool *gt)
{
	size_t n = strlen(s), i = 0;
	bool neg = false, seen = false;
	struct sbuf d = { 0 }, o = { 0 };

	*gt = false;
	while (i < n && py_isspace((unsigned char)s[i]))
		i++;
	while (n > i && py_isspace((unsigned char)s[n - 1]))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		i += 2;
		/* An underscore may follow the prefix. */
		if (i < n && s[i] == '_')
			i++;
	}
	if (i >= n)
		return -EINVAL;
	for (; i < n; i++) {
		if (s[i] == '_') {
			/* only between digits, never doubled or trailing */
			if (i + 1 >= n || hexval(s[i + 1]) < 0 || !seen)
				goto bad;
			continue;
		}
		int h = hexval(s[i]);
		if (h < 0)
			goto bad;
		seen = true;
		if (!d.len && h == 0)
			continue; /* leading zero */
		sb_putc(&d, "0123456789abcdef"[h]);
	}
	if (!seen)
		goto bad;
	if (!d.len) {
		sb_putc(&d, '0');
		neg = false;
	}
	char *digits = sb_take(&d);
	if (!digits)
		return -ENOMEM;
	size_t nd = strlen(digits), nm = strlen(max);
	if (!neg && (nd > nm || (nd == nm && strcmp(digits, max) > 0)))
		*gt = true;
	if (neg)
		sb_putc(&o, '-');
	for (size_t w = nd + (neg ? 1 : 0); w < width; w++)
		sb_putc(&o, '0');
	sb_puts(&o, digits);
	free(digits);
	*out = sb_take(&o);
	return *out ? 0 : -ENOMEM;
bad:
	sb_release(&d);
	return -EINVAL;
}

int py_int(const char *s, size_t n, long long *ret)
{
	size_t i = 0;
	bool neg = false, digit = false;
	unsigned long long v = 0;

	while (i < n && py_isspace((unsigned char)s[i]))
		i++;
	while (n > i && py_isspace((unsigned char)s[n - 1]))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '_' && digit && i + 1 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '9')
			continue; /* one underscore between digits */
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		digit = true;
		if (v > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (!digit)
		return -EINVAL;
	if (v > (unsigned long long)LLONG_MAX + neg)
		return -ERANGE;
	*ret = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

bool py_bool_from_string(const json_t *v)
{
	static const char *const yes[] = { "1", "t", "true", "on", "y", "yes" };
	const char *s;
	size_t i = 0, n;
	char lo[8];

	if (json_is_boolean(v))
		return json_is_true(v);
	/* str() of anything else: of the other types only int 1 gives a
	 * string in the list ("1.0", "None", "[1]" are not) */
	if (!json_is_string(v))
		return json_is_integer(v) && json_integer_value(v) == 1;
	s = json_string_value(v);
	n = json_string_length(v);
	while (i < n && py_isspace((unsigned char)s[i]))
		i++;
	while (n > i && py_isspace((unsigned char)s[n - 1]))
		n--;
	if (n - i > sizeof(lo) - 1 || memchr(s + i, '\0', n - i))
		return false;
	for (size_t k = 0; k < n - i; k++) {
		char c = s[i + k];
		lo[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	lo[n - i] = '\0';
	for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
		if (!strcmp(lo, yes[k]))
			return true;
	return false;
}

bool py_truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	default:
		return json_object_size(v) > 0;
	}
}
