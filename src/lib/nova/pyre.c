/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nova/pyre.h"
#include "nova/pyval.h"
#include "util/banned.h"

/* A byte set for a character class (ASCII subjects only). */
struct cset {
	unsigned char in[256];
};

static void cset_add_class(struct cset *c, char k)
{
	for (int i = 0; i < 128; i++) {
		bool d = i >= '0' && i <= '9';
		bool w = d || (i >= 'a' && i <= 'z') ||
			 (i >= 'A' && i <= 'Z') || i == '_';
		bool s = py_isspace((unsigned char)i);
		bool m = k == 'd' ? d :
			 k == 'D' ? !d :
			 k == 'w' ? w :
			 k == 'W' ? !w :
			 k == 's' ? s :
				    !s;
		if (m)
			c->in[i] = 1;
	}
	if (k == 'D' || k == 'W' || k == 'S')
		for (int i = 128; i < 256; i++)
			c->in[i] = 1;
}

static void cset_emit(struct sbuf *b, const struct cset *c)
{
	int n = 0;

	for (int i = 1; i < 256; i++)
		n += c->in[i];
	if (!n) {
		/* matches nothing: a character that never occurs */
		sb_puts(b, "[^\x01-\xff]");
		return;
	}
	sb_putc(b, '[');
	if (c->in[']'])
		sb_putc(b, ']');
	for (int i = 1; i < 256; i++) {
		if (!c->in[i] || i == ']' || i == '-' || i == '^')
			continue;
		/* ranges keep the bracket short; '[' '.' '=' ':' alone are safe */
		int j = i;
		while (j + 1 < 256 && c->in[j + 1] && j + 1 != ']' &&
		       j + 1 != '-' && j + 1 != '^')
			j++;
		if (j - i >= 2) {
			sb_putc(b, (char)i);
			sb_putc(b, '-');
			sb_putc(b, (char)j);
			i = j;
		} else {
			sb_putc(b, (char)i);
		}
	}
	if (c->in['^'])
		sb_putc(b, '^');
	if (c->in['-'])
		sb_putc(b, '-');
	sb_putc(b, ']');
}

/* An escape outside or inside a class: the byte it stands for, or -1. */
static int simple_escape(char e)
{
	switch (e) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	case 'v':
		return '\v';
	case 'a':
		return '\a';
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
	    (e >= '0' && e <= '9'))
		return -1;
	return (unsigned char)e;
}

static int parse_class(const char **pp, struct sbuf *out)
{
	const char *p = *pp; /* after '[' */
	struct cset c = { 0 };
	bool neg = false, first = true;

	if (*p == '^') {
		neg = true;
		p++;
	}
	for (;;) {
		int lo;

		if (!*p)
			return -EINVAL; /* unterminated character set */
		if (*p == ']' && !first)
			break;
		first = false;
		if (*p == '\\') {
			p++;
			if (!*p)
				return -EINVAL;
			if (strchr("dDwWsS", *p)) {
				cset_add_class(&c, *p++);
				continue;
			}
			lo = simple_escape(*p);
			if (lo < 0) {
				if ((*p >= '0' && *p <= '9') || *p == 'x' ||
				    *p == 'u' || *p == 'U' || *p == 'N')
					return -ENOTSUP;
				return -EINVAL; /* bad escape */
			}
			p++;
		} else {
			lo = (unsigned char)*p++;
		}
		if (*p == '-' && p[1] && p[1] != ']') {
			int hi;

			p++;
			if (*p == '\\') {
				p++;
				if (!*p)
					return -EINVAL;
				if (strchr("dDwWsS", *p))
					return -EINVAL; /* bad character range */
				hi = simple_escape(*p);
				if (hi < 0)
					return (*p >= '0' && *p <= '9') ||
							       *p == 'x' ?
						       -ENOTSUP :
						       -EINVAL;
				p++;
			} else {
				hi = (unsigned char)*p++;
			}
			if (hi < lo)
				return -EINVAL; /* bad character range */
			if (lo >= 128 || hi >= 128)
				return -ENOTSUP;
			for (int i = lo; i <= hi; i++)
				c.in[i] = 1;
		} else {
			if (lo >= 128)
				return -ENOTSUP;
			c.in[lo] = 1;
		}
	}
	*pp = p + 1;
	if (neg)
		for (int i = 1; i < 256; i++)
			c.in[i] = !c.in[i];
	cset_emit(out, &c);
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int translate(const char *p, struct sbuf *out)
{
	int depth = 0;
	/* can the next quantifier apply: 0 no atom, 1 atom, 2 after a repeat */
	int state = 0;
	int r;

	while (*p) {
		char ch = *p;

		if (ch == '*' || ch == '+' || ch == '?' || ch == '{') {
			int lo = -1, hi = -1;
			const char *q = p + 1;

			if (ch == '{') {
				const char *s = q;
				bool comma = false;
				long a = -1, z = -1;

				if (*q == '}')
					goto literal;
				if (is_digit(*q))
					a = strtol(q, (char **)&q, 10);
				if (*q == ',') {
					comma = true;
					q++;
					if (is_digit(*q))
						z = strtol(q, (char **)&q, 10);
				} else {
					z = a;
				}
				if (*q != '}')
					goto literal;
				(void)s;
				q++;
				lo = a < 0 ? 0 : (int)a;
				hi = z < 0 ? -1 : (int)z;
				if (a > 32767 || z > 32767)
					return -ENOTSUP;
				if (hi >= 0 && hi < lo)
					return -EINVAL; /* min > max */
				(void)comma;
			}
			if (state == 0)
				return -EINVAL; /* nothing to repeat */
			if (state == 2)
				return -EINVAL; /* multiple repeat */
			if (ch == '{') {
				if (hi < 0)
					sb_printf(out, "{%d,}", lo);
				else
					sb_printf(out, "{%d,%d}", lo, hi);
			} else {
				sb_putc(out, ch);
			}
			p = q;
			if (*p == '?') /* lazy: same language for match() */
				p++;
			else if (*p == '+')
				return -ENOTSUP; /* possessive (3.11) */
			state = 2;
			continue;
		}
		switch (ch) {
		case '\\':
			p++;
			if (!*p)
				return -EINVAL; /* bad escape (end of pattern) */
			if (strchr("dDwWsS", *p)) {
				struct cset c = { 0 };

				cset_add_class(&c, *p++);
				cset_emit(out, &c);
				state = 1;
				continue;
			}
			if (*p == 'A') {
				sb_putc(out, '^');
				p++;
				state = 0;
				continue;
			}
			if (*p == 'Z') {
				sb_putc(out, '$');
				p++;
				state = 0;
				continue;
			}
			{
				int v = simple_escape(*p);

				if (v < 0) {
					if (is_digit(*p) ||
					    strchr("xuUNbBg", *p))
						return -ENOTSUP;
					return -EINVAL; /* bad escape */
				}
				p++;
				if (strchr(".[]()*+?{}|^$\\", v))
					sb_putc(out, '\\');
				sb_putc(out, (char)v);
				state = 1;
				continue;
			}
		case '[':
			p++;
			r = parse_class(&p, out);
			if (r < 0)
				return r;
			state = 1;
			continue;
		case '(':
			p++;
			if (*p == '?') {
				if (p[1] == ':')
					p += 2;
				else if (p[1] == 'P' && p[2] == '<') {
					const char *e = strchr(p, '>');
					if (!e || e == p + 3)
						return -EINVAL;
					p = e + 1;
				} else
					return -ENOTSUP;
			}
			sb_putc(out, '(');
			depth++;
			state = 0;
			continue;
		case ')':
			if (!depth)
				return -EINVAL; /* unbalanced parenthesis */
			depth--;
			sb_putc(out, ')');
			p++;
			state = 1;
			continue;
		case '|':
			sb_putc(out, '|');
			p++;
			state = 0;
			continue;
		case '^':
		case '$':
			sb_putc(out, ch);
			p++;
			state = 0;
			continue;
		case '.':
			sb_putc(out, '.');
			p++;
			state = 1;
			continue;
		default:
			break;
		}
literal:
		if (strchr(".[]()*+?{}|^$\\", ch))
			sb_putc(out, '\\');
		sb_putc(out, ch);
		p++;
		state = 1;
	}
	if (depth)
		return -EINVAL; /* missing ), unterminated subpattern */
	return 0;
}

#define ERE_DEPTH 256
#define ERE_POSITIONS 4096

static size_t sat_add(size_t a, size_t b)
{
	return a > ERE_POSITIONS || b > ERE_POSITIONS ? ERE_POSITIONS + 1 :
							a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	return a && b > ERE_POSITIONS / a ? ERE_POSITIONS + 1 : a * b;
}

/*
 * About how many positions glibc's regcomp() makes of an ERE that
 * translate() wrote: it copies an atom once per count of a bounded
 * repeat, so large counts, nested, take it gigabytes and minutes (the
 * fuzzer found "0{,21018}a" four times in one spec). Python's re does
 * not copy; such a pattern is refused as one we cannot express.
 */
static size_t ere_positions(const char *p)
{
	size_t sum[ERE_DEPTH], last[ERE_DEPTH];
	int d = 0;

	sum[0] = last[0] = 0;
	while (*p) {
		char c = *p;

		if (c == '(') {
			if (++d >= ERE_DEPTH)
				return ERE_POSITIONS + 1;
			sum[d] = last[d] = 0;
			p++;
		} else if (c == ')' && d > 0) {
			size_t g = sum[d--];
			last[d] = g;
			sum[d] = sat_add(sum[d], g);
			p++;
		} else if (c == '|' || c == '^' || c == '$') {
			last[d] = 0;
			p++;
		} else if (c == '*' || c == '+' || c == '?') {
			p++;
		} else if (c == '{') {
			/* {m,} or {m,n}: all translate() writes */
			char *end;
			unsigned long m = strtoul(p + 1, &end, 10), n = m + 1;
			if (*end == ',' && end[1] != '}')
				n = strtoul(end + 1, &end, 10);
			else if (*end == ',')
				end++;
			p = *end == '}' ? end + 1 : end;
			n = n > m ? n : m;
			if (n > 1) {
				size_t extra = sat_mul(last[d], n - 1);
				sum[d] = sat_add(sum[d], extra);
				last[d] = sat_mul(last[d], n);
			}
		} else {
			if (c == '\\' && p[1]) {
				p += 2;
			} else if (c == '[') {
				/* [^]...] : the first ']' is a member */
				p++;
				if (*p == '^')
					p++;
				if (*p == ']')
					p++;
				while (*p && *p != ']')
					p++;
				if (*p)
					p++;
			} else {
				p++;
			}
			last[d] = 1;
			sum[d] = sat_add(sum[d], 1);
		}
	}
	return sum[0];
}

int pyre_compile(regex_t *re, const char *pattern)
{
	struct sbuf b = { 0 };
	char *ere;
	int r;

	sb_puts(&b, "^(");
	r = translate(pattern, &b);
	if (r < 0) {
		sb_release(&b);
		return r;
	}
	sb_putc(&b, ')');
	ere = sb_take(&b);
	if (!ere)
		return -ENOMEM;
	if (ere_positions(ere) > ERE_POSITIONS) {
		free(ere);
		return -ENOTSUP;
	}
	r = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);
	free(ere);
	return r == REG_ESPACE ? -ENOMEM : r ? -ENOTSUP : 0;
}

int pyre_match(const regex_t *re, const char *subject)
{
	int r = regexec(re, subject, 0, NULL, 0);

	return r == 0 ? 1 : r == REG_ESPACE ? -ENOMEM : 0;
}
