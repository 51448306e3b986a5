/* SPDX-License-Identifier: MIT */
/*
 * A nova.conf read as oslo.config reads it (oslo_config 9.0, Debian
 * python3-oslo.config): the file is decoded as UTF-8 (Python's open()
 * under a UTF-8 or the C locale), cut into lines at "\n", "\r\n" and "\r"
 * (universal newlines), and parsed by iniparser.BaseParser with
 * cfg.ConfigParser's callbacks. The file is refused exactly where
 * oslo.config refuses it; the values of [pci] device_spec and alias come
 * out in the order CONF.pci.device_spec and CONF.pci.alias give them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "nova/pyval.h"
#include "util/readfile.h"
#include "util/macro.h"
#include "util/banned.h"

void sriov_nova_conf_release(struct sriov_nova_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n; i++) {
		free(conf->values[i].section);
		free(conf->values[i].key);
		free(conf->values[i].value);
	}
	free(conf->values);
	conf->values = NULL;
	conf->n = 0;
}

/* The option names oslo.config looks up, in the order of their values:
 * cfg's _get_file_value() puts the values of each later name (the
 * deprecated ones) before those found so far. */
static const struct {
	enum sriov_nova_option option;
	const char *section; /* normalised: "DEFAULT", or lower case */
	const char *key;
	bool deprecated;
} names[] = {
	{ SRIOV_NOVA_DEVICE_SPEC, "DEFAULT", "pci_passthrough_whitelist", 1 },
	{ SRIOV_NOVA_DEVICE_SPEC, "pci", "passthrough_whitelist", 1 },
	{ SRIOV_NOVA_DEVICE_SPEC, "pci", "device_spec", 0 },
	{ SRIOV_NOVA_ALIAS, "DEFAULT", "pci_alias", 1 },
	{ SRIOV_NOVA_ALIAS, "pci", "alias", 0 },
};

/* str.isspace() of the character at s (n bytes left, valid UTF-8): its
 * length, 0 when it is not white space. */
static size_t space_at(const unsigned char *s, size_t n)
{
	if (*s == ' ' || (*s >= '\t' && *s <= '\r') ||
	    (*s >= 0x1c && *s <= 0x1f))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 &&
	     (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* The length of the white space character that ends s[0..n), or 0. */
static size_t space_before(const unsigned char *s, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++)
		if (space_at(s + n - k, k) == k)
			return k;
	return 0;
}

/* str.strip(), str.lstrip(), str.rstrip() on [*s, *s + *n). */
static void lstrip(const char **s, size_t *n)
{
	size_t k;

	while (*n && (k = space_at((const unsigned char *)*s, *n))) {
		*s += k;
		*n -= k;
	}
}

static void rstrip(const char *s, size_t *n)
{
	size_t k;

	while (*n && (k = space_before((const unsigned char *)s, *n)))
		*n -= k;
}

static void strip(const char **s, size_t *n)
{
	lstrip(s, n);
	rstrip(*s, n);
}

/* Python's strict UTF-8 decoder: the offset of the first byte it refuses
 * and why, or len when the text decodes. */
static size_t utf8_error(const unsigned char *s, size_t len, const char **why)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, lo = c == 0xe0 ? 0xa0 : 0x80,
			hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, lo = c == 0xf0 ? 0x90 : 0x80,
			hi = c == 0xf4 ? 0x8f : 0xbf;
		else {
			*why = "invalid start byte";
			return i;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= len) {
				*why = "unexpected end of data";
				return i;
			}
			unsigned char d = s[i + j];
			if (d < (j == 1 ? lo : 0x80) ||
			    d > (j == 1 ? hi : 0xbf)) {
				*why = "invalid continuation byte";
				return i;
			}
		}
		i += k + 1;
	}
	return len;
}

struct parser {
	const char *buf;
	size_t len, at;
	unsigned lineno;
	struct sriov_nova_conf *conf;
	size_t cap;
	char *section; /* as written; NULL before the first header */
	/* the assignment being read */
	const char *key;
	size_t key_len;
	struct sbuf value;
	bool have_key;
	unsigned key_line;
	struct nova_conf_error *fail;
};

/* The next line without its end (universal newlines); false at the end. */
static bool next_line(struct parser *p, const char **s, size_t *n)
{
	size_t i = p->at;

	if (i >= p->len)
		return false;
	while (i < p->len && p->buf[i] != '\n' && p->buf[i] != '\r')
		i++;
	*s = p->buf + p->at;
	*n = i - p->at;
	if (i < p->len && p->buf[i] == '\r' && i + 1 < p->len &&
	    p->buf[i + 1] == '\n')
		i++;
	p->at = i < p->len ? i + 1 : i;
	p->lineno++;
	return true;
}

/* oslo.config's ParseError, at the current line: 'msg: repr(line)'. */
static int refuse(struct parser *p, const char *msg, const char *s, size_t n)
{
	struct sbuf b = { 0 };
	char *t;

	sb_puts(&b, msg);
	if (s) {
		sb_puts(&b, ": ");
		py_repr_str(&b, s, n);
	} else {
		sb_puts(&b, ": None");
	}
	t = sb_take(&b);
	if (!t)
		return -ENOMEM;
	p->fail->line = p->lineno;
	snprintf(p->fail->what, sizeof(p->fail->what), "%s", t);
	free(t);
	return -EINVAL;
}

/* _normalize_group_name() == section of names[]? */
static bool section_is(const char *written, const char *norm)
{
	if (!strcmp(norm, "DEFAULT"))
		return !strcmp(written, "DEFAULT");
	for (; *written && *norm; written++, norm++) {
		char c = *written;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *norm)
			return false;
	}
	return !*written && !*norm;
}

/* ConfigParser.assignment(): the value of a name we read is kept. */
static int assignment(struct parser *p)
{
	struct sriov_nova_conf *conf = p->conf;
	_cleanup_free_ char *v = NULL, *key = NULL, *section = NULL;
	size_t vlen = p->value.len;

	p->have_key = false;
	v = sb_take(&p->value);
	if (!v)
		return -ENOMEM;
	if (!p->section)
		return refuse(p, "Section must be started before assignment",
			      NULL, 0);
	size_t i;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].key) == p->key_len &&
		    !memcmp(names[i].key, p->key, p->key_len) &&
		    section_is(p->section, names[i].section))
			break;
	if (i == ARRAY_SIZE(names))
		return 0;
	key = strndup(p->key, p->key_len);
	section = strdup(p->section);
	if (!key || !section ||
	    grow_array((void **)&conf->values, &p->cap, conf->n,
		       sizeof(*conf->values)) < 0)
		return -ENOMEM;
	conf->values[conf->n++] = (struct sriov_nova_conf_value){
		.option = names[i].option,
		.section = TAKE_PTR(section),
		.key = TAKE_PTR(key),
		.value = TAKE_PTR(v),
		.len = vlen,
		.line = p->key_line,
		.deprecated = names[i].deprecated,
	};
	return 0;
}

/* _split_key_value(): the first of ':' and '=' splits; the value is
 * stripped and loses one pair of matching quotes. */
static int key_value(struct parser *p, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *eq = memchr(s, '=', n);
	const char *sep = !colon ? eq : !eq ? colon : colon < eq ? colon : eq;

	if (!sep)
		return refuse(p, "No ':' or '=' found in assignment", s, n);
	const char *k = s, *v = sep + 1;
	size_t kn = (size_t)(sep - s), vn = n - kn - 1;

	strip(&k, &kn);
	strip(&v, &vn);
	if (vn && v[0] == v[vn - 1] && (v[0] == '"' || v[0] == '\'')) {
		/* one character: value[1:-1] is empty */
		v++;
		vn = vn >= 2 ? vn - 2 : 0;
	}
	if (!kn)
		return refuse(p, "Key cannot be empty", s, n);
	p->key = k;
	p->key_len = kn;
	p->key_line = p->lineno;
	p->have_key = true;
	sb_release(&p->value);
	sb_putn(&p->value, v, vn);
	return 0;
}

static int section_header(struct parser *p, const char *s, size_t n)
{
	if (s[n - 1] != ']')
		return refuse(p, "Invalid section (must end with ])", s, n);
	if (n <= 2)
		return refuse(p, "Empty section name", s, n);
	free(p->section);
	p->section = strndup(s + 1, n - 2);
	return p->section ? 0 : -ENOMEM;
}

/* iniparser.BaseParser.parse() */
static int parse(struct parser *p)
{
	const char *s;
	size_t n;
	int r;

	while (next_line(p, &s, &n)) {
		rstrip(s, &n);
		if (!n) {
			/* a blank line ends a value */
			if (p->have_key && (r = assignment(p)) < 0)
				return r;
			continue;
		}
		if (s[0] == ' ' || s[0] == '\t') {
			if (!p->have_key)
				return refuse(p, "Unexpected continuation line",
					      s, n);
			lstrip(&s, &n);
			sb_putc(&p->value, '\n');
			sb_putn(&p->value, s, n);
			continue;
		}
		if (p->have_key && (r = assignment(p)) < 0)
			return r;
		if (s[0] == '[')
			r = section_header(p, s, n);
		else if (s[0] == '#' || s[0] == ';')
			r = 0;
		else
			r = key_value(p, s, n);
		if (r < 0)
			return r;
	}
	return p->have_key ? assignment(p) : 0;
}

/* The values in oslo.config's order: by name as in names[], each name's
 * in file order. */
static int order_values(struct sriov_nova_conf *conf)
{
	_cleanup_free_ struct sriov_nova_conf_value *v =
		calloc(conf->n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (size_t j = 0; j < conf->n; j++)
			if (conf->values[j].option == names[i].option &&
			    !strcmp(conf->values[j].key, names[i].key))
				v[k++] = conf->values[j];
	if (k)
		memcpy(conf->values, v, k * sizeof(*v));
	return 0;
}

int nova_conf_parse(const char *buf, size_t len, struct sriov_nova_conf *ret,
		    struct nova_conf_error *fail)
{
	struct sriov_nova_conf conf = { 0 };
	struct parser p = {
		.buf = buf, .len = len, .conf = &conf, .fail = fail
	};
	const char *why = NULL;
	size_t bad = utf8_error((const unsigned char *)buf, len, &why);
	int r;

	if (bad < len) {
		/* Python decodes the whole file before it parses a line */
		p.len = bad;
		while (next_line(&p, &(const char *){ 0 }, &(size_t){ 0 }))
			;
		fail->line = p.lineno + (bad == 0 || buf[bad - 1] == '\n' ||
					 buf[bad - 1] == '\r');
		snprintf(fail->what, sizeof(fail->what),
			 "'utf-8' codec can't decode byte 0x%02x: %s",
			 (unsigned char)buf[bad], why);
		return -EINVAL;
	}
	r = parse(&p);
	if (r == 0)
		r = order_values(&conf);
	free(p.section);
	sb_release(&p.value);
	if (r < 0) {
		sriov_nova_conf_release(&conf);
		return r;
	}
	*ret = conf;
	return 0;
}

int sriov_nova_conf_parse(const char *buf, size_t len, const char *name,
			  struct sriov_nova_conf *ret, struct sriov_error *err)
{
	struct nova_conf_error fail = { 0 };
	int r = nova_conf_parse(buf, len, ret, &fail);

	if (r == -EINVAL)
		return sriov_error_set_at(err, r, name, fail.line, 0,
					  "oslo.config refuses the file: %s",
					  fail.what);
	return r < 0 ? nova_oom(err) : 0;
}

int nova_conf_read(const char *path, char **ret, size_t *ret_len,
		   struct sriov_error *err)
{
	return read_file_capped(path, INPUT_MAX_NOVA, ret, ret_len, err);
}

int sriov_nova_conf_load(const char *path, struct sriov_nova_conf *ret,
			 struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = nova_conf_read(path, &buf, &len, err);
	if (r < 0)
		return r;
	return sriov_nova_conf_parse(buf, len, path, ret, err);
}
