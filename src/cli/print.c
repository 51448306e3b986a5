/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "util/banned.h"

void print_begin(struct printer *p, bool json, bool pretty, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->json = json;
	p->pretty = pretty;
	p->out = out ? out : stdout;
}

void print_stream(struct printer *p)
{
	p->stream = p->json && !p->pretty && !p->root;
}

/* Streaming: write one member of the top-level array (borrowed); after a
 * failure, nothing more. The text is made in a buffer and written at once:
 * json_dumpf() calls fwrite() for every token. */
static void stream_member(struct printer *p, json_t *v)
{
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY, n;

	if (p->error)
		return;
	n = json_dumpb(v, p->buf, p->buf_size, flags);
	if (n > p->buf_size) {
		char *b = realloc(p->buf, n);
		if (!b) {
			p->error = -ENOMEM;
			return;
		}
		p->buf = b;
		p->buf_size = n;
		n = json_dumpb(v, p->buf, p->buf_size, flags);
	}
	if (!n) {
		p->error = -ENOMEM;
		return;
	}
	if ((p->streamed++ && fputc(',', p->out) == EOF) ||
	    fwrite(p->buf, 1, n, p->out) != n)
		p->error = -EIO;
}

static bool streaming(const struct printer *p)
{
	return p->stream && json_is_array(p->root);
}

int print_end(struct printer *p)
{
	int r = p->error;

	if (r) {
		/* a document that could not be built is not written */
	} else if (streaming(p)) {
		fputs("]\n", p->out);
	} else if (p->json && p->root) {
		size_t flags = JSON_PRESERVE_ORDER;

		flags |= p->pretty ? JSON_INDENT(2) : JSON_COMPACT;
		if (json_dumpf(p->root, p->out, flags) < 0)
			r = -EIO;
		fputc('\n', p->out);
	}
	json_decref(p->root);
	p->root = NULL;
	p->depth = 0;
	p->stream = false;
	p->streamed = 0;
	p->error = 0;
	free(p->buf);
	p->buf = NULL;
	p->buf_size = 0;
	errno = 0;
	if ((fflush(p->out) != 0 || ferror(p->out)) && !r)
		r = errno ? -errno : -EIO;
	return r;
}

void print_discard(struct printer *p)
{
	json_decref(p->root);
	p->root = NULL;
	p->depth = 0;
	p->stream = false;
	p->streamed = 0;
	p->error = 0;
	free(p->buf);
	p->buf = NULL;
	p->buf_size = 0;
}

static void out_of_memory(struct printer *p)
{
	if (!p->error)
		p->error = -ENOMEM;
}

/* Attach v (stolen) to the current container; a value that could not be
 * made (NULL) or attached fails print_end(). */
static void attach(struct printer *p, const char *key, json_t *v)
{
	json_t *cur;

	if (!v) {
		out_of_memory(p);
		return;
	}
	if (p->depth == 0) {
		if (!p->root) {
			p->root = v;
			return;
		}
		cur = p->root;
	} else {
		cur = p->stack[p->depth - 1];
	}
	if (p->depth == 1 && cur == p->root && streaming(p) &&
	    !json_is_object(v) && !json_is_array(v)) {
		/* a scalar member is complete at once */
		stream_member(p, v);
		json_decref(v);
		return;
	}
	if (json_is_array(cur)) {
		if (json_array_append_new(cur, v) < 0)
			out_of_memory(p);
	} else if (json_is_object(cur) && key) {
		if (json_object_set_new(cur, key, v) < 0)
			out_of_memory(p);
	} else {
		json_decref(v);
	}
}

static void open_container(struct printer *p, const char *key, json_t *c)
{
	if (!p->json) {
		json_decref(c);
		return;
	}
	if (!c) {
		/* keep the nesting: the members go to the container above */
		out_of_memory(p);
		c = p->depth ? p->stack[p->depth - 1] : NULL;
		if (c &&
		    p->depth < (int)(sizeof(p->stack) / sizeof(p->stack[0])))
			p->stack[p->depth++] = c;
		return;
	}
	if (p->depth == 0 && !p->root) {
		p->root = c;
		p->stack[p->depth++] = c;
		if (streaming(p) && fputc('[', p->out) == EOF)
			p->error = -EIO;
		return;
	}
	json_incref(c);
	attach(p, key, c);
	if (p->depth < (int)(sizeof(p->stack) / sizeof(p->stack[0])))
		p->stack[p->depth++] = c;
	json_decref(c);
}

void print_open_object(struct printer *p, const char *key)
{
	open_container(p, key, json_object());
}

void print_open_array(struct printer *p, const char *key)
{
	open_container(p, key, json_array());
}

void print_close_object(struct printer *p)
{
	if (!p->json || p->depth <= 0)
		return;
	if (p->depth == 2 && streaming(p) && p->stack[0] == p->root) {
		/* a member of the top-level array is complete */
		stream_member(p, p->stack[1]);
		json_array_clear(p->root);
	}
	p->depth--;
}

void print_close_array(struct printer *p)
{
	print_close_object(p);
}

static bool want_json(struct printer *p, enum print_type t)
{
	return p->json && (t & PRINT_JSON);
}

static bool want_text(struct printer *p, enum print_type t)
{
	return !p->json && (t & PRINT_TEXT) && p->out;
}

/* Attach @jv (stolen) in JSON mode, or write the text through @fmt. */
static void emit(struct printer *p, enum print_type t, const char *key,
		 json_t *jv, const char *fmt, va_list ap)
{
	if (want_json(p, t)) {
		attach(p, key, jv);
		return;
	}
	json_decref(jv);
	if (want_text(p, t) && fmt)
		vfprintf(p->out, fmt, ap);
}

#define PRINT_DEFINE_(name, ctype, to_json)                                    \
	void print_##name##_(struct printer *p, enum print_type t,             \
			     const char *key, ctype val, const char *fmt, ...) \
	{                                                                      \
		va_list ap;                                                    \
                                                                               \
		va_start(ap, fmt);                                             \
		emit(p, t, key, want_json(p, t) ? to_json : NULL, fmt, ap);    \
		va_end(ap);                                                    \
	}                                                                      \
	void print_##name##_nofmt_(struct printer *p, enum print_type t,       \
				   const char *key, ctype val,                 \
				   const void *fmt, ...)                       \
	{                                                                      \
		if (want_json(p, t))                                           \
			attach(p, key, to_json);                               \
	}

PRINT_DEFINE_(string, const char *, val ? json_string(val) : json_null())
PRINT_DEFINE_(uint, unsigned, json_integer((json_int_t)val))
PRINT_DEFINE_(u64, uint64_t, json_integer((json_int_t)val))
PRINT_DEFINE_(size, size_t, json_integer((json_int_t)val))
PRINT_DEFINE_(int, int, json_integer(val))
PRINT_DEFINE_(s64, int64_t, json_integer(val))
PRINT_DEFINE_(bool, bool, json_boolean(val))

void print_null_(struct printer *p, enum print_type t, const char *key,
		 const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	emit(p, t, key, want_json(p, t) ? json_null() : NULL, text, ap);
	va_end(ap);
}

void print_null_nofmt_(struct printer *p, enum print_type t, const char *key,
		       const void *text)
{
	if (want_json(p, t))
		attach(p, key, json_null());
}

void print_text(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json || !p->out)
		return;
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
}

void print_json(struct printer *p, const char *key, json_t *val)
{
	if (p->json)
		attach(p, key, val);
	else
		json_decref(val);
}
