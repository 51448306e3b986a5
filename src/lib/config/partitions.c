/* SPDX-License-Identifier: MIT */
/*
 * partitions.conf as OpenSM 3.3 reads it (opensm/osm_prtn_config.c,
 * osm_prtn.c). OpenSM's parser is the contract: this one accepts and
 * refuses the same files, resolves the same P-keys, and stops at the same
 * first error, but it keeps no static state, reports line and column, and
 * says what would be accepted. Behaviours reproduced on purpose:
 *
 *  - lines are read with fgets() into 4096 bytes: a line longer than 4094
 *    bytes is cut and the rest is a line of its own (OpenSM counts it);
 *    a NUL byte ends the line's text;
 *  - '#' to end of line is a comment, wherever it is;
 *  - a statement runs to ';' across lines, several may share a line; the
 *    header (up to ':') must be on one line;
 *  - only space, tab and newline are blanks (a CR is text);
 *  - keywords and flags match by prefix (strncmp with the length of what
 *    was written), in OpenSM's order: "s" is scope, "" is mtu;
 *  - numbers are strtoul(.., 0): "0100" is octal 64, "08" is an error,
 *    "-1" is 0xffff; P-keys keep 16 bits and drop the membership bit;
 *  - P-key 0 or none: the partition of that name, else the next free
 *    P-key from 1;
 *  - a multicast "mgid=" ends the statement's member list on that line:
 *    what follows is read as multicast group flags; a non-multicast one
 *    ends the statement there, and what follows it is a new statement;
 *  - a partition looked up by name (no P-key given) is the first of that
 *    name in OpenSM's partition map, which is ordered by the P-key's bytes
 *    as a little-endian host stores them, not by file order;
 *  - an empty or comment-only file is a failure (nothing was parsed).
 *
 * Where OpenSM's parser goes on reading past the bytes fgets() stored for
 * the current line (an empty statement, an mgid that ends its statement),
 * the file is refused: what it reads there is what earlier lines left in
 * its buffer (modelled, so the prediction still says what OpenSM does), or
 * memory no line wrote, where its outcome is undefined (parsing stops).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sriov/partitions.h>

#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

/* OpenSM's fgets(line, sizeof(line) - 1, f) with char line[4096]. */
#define OSM_LINE_MAX 4094
/* osm_prtn_t.name is char[32]. */
#define OSM_NAME_MAX 31
/* OSM_DEFAULT_MGRP_MTU, OSM_DEFAULT_MGRP_RATE, OSM_DEFAULT_SL */
#define OSM_DEFAULT_MTU 4
#define OSM_DEFAULT_RATE 3
#define OSM_DEFAULT_SL 0

struct reg_entry {
	char name[OSM_NAME_MAX + 1];
	uint16_t pkey;
};

struct parser {
	struct sriov_partitions *pc;
	struct reg_entry *reg; /* partitions known to OpenSM, in order */
	size_t n_reg, cap_reg;
	size_t cap_stmts, cap_diags, cap_members, cap_mgids;
	unsigned counter; /* OpenSM's global_pkey_counter */
	struct sriov_prtn_stmt *cur; /* the statement still open, or NULL */
	unsigned line, osm_line;
	const char *text; /* OpenSM's line buffer, the current line at [0] */
	const char *data_end; /* the NUL fgets() wrote after this line */
	size_t written; /* bytes [0, written) of the buffer some line wrote */
	unsigned owner[OSM_LINE_MAX + 2]; /* the line that wrote each byte */
	char *semi; /* the ';' ending the current statement text, or NULL */
	unsigned col0; /* column of text[0] in the physical line, 0-based */
	int status; /* 0 nothing parsed, 1 parsed, -1 failed */
	/* What makes OpenSM step past the end of a statement's text. */
	const char *cause;
	enum { CAUSE_EMPTY, CAUSE_MGID_SEMI, CAUSE_MGID_EOL } cause_kind;
	const char *cause_mgid;
	bool past; /* OpenSM reads past this line's bytes (error given) */
	unsigned past_col; /* the column of what made it */
	bool undefined; /* ... into memory no line wrote: parsing stops */
	bool bad_mgid; /* a non-multicast mgid ended the last statement */
	bool quiet; /* OpenSM reads garbage it ignores: say nothing */
	bool oom;
};

const char *sriov_membership_name(enum sriov_membership m)
{
	switch (m) {
	case SRIOV_MEMBER_FULL:
		return "full";
	case SRIOV_MEMBER_BOTH:
		return "both";
	default:
		return "limited";
	}
}

int sriov_membership_from_name(const char *s, enum sriov_membership *ret)
{
	static const enum sriov_membership all[] = { SRIOV_MEMBER_LIMITED,
						     SRIOV_MEMBER_FULL,
						     SRIOV_MEMBER_BOTH };

	for (size_t i = 0; s && i < ARRAY_SIZE(all); i++)
		if (!strcmp(s, sriov_membership_name(all[i]))) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

static const char *const kind_names[] = {
	[SRIOV_MEMBER_GUID] = "guid",
	[SRIOV_MEMBER_ALL] = "ALL",
	[SRIOV_MEMBER_ALL_CAS] = "ALL_CAS",
	[SRIOV_MEMBER_ALL_SWITCHES] = "ALL_SWITCHES",
	[SRIOV_MEMBER_ALL_ROUTERS] = "ALL_ROUTERS",
	[SRIOV_MEMBER_SELF] = "SELF",
};

const char *sriov_member_kind_name(enum sriov_member_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

int sriov_member_kind_from_name(const char *s, enum sriov_member_kind *ret)
{
	for (size_t i = SRIOV_MEMBER_ALL; s && i < ARRAY_SIZE(kind_names); i++)
		if (!strcmp(s, kind_names[i])) {
			*ret = (enum sriov_member_kind)i;
			return 0;
		}
	return -EINVAL;
}

int sriov_pkey_parse(const char *s, uint16_t *ret, struct sriov_error *err)
{
	uint64_t v;

	if (!s || !*s)
		return sriov_error_set(err, -EINVAL,
				       "empty p-key (expected e.g. 0x0100)");
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return sriov_error_set(
			err, -EINVAL,
			"p-key '%s' has a leading 0, which OpenSM reads as octal; write it in hex (0x...)",
			s);
	if (parse_u64(s, 0, &v) < 0 || v > 0xffff)
		return sriov_error_set(
			err, -EINVAL,
			"invalid p-key '%s' (expected 0x0001..0x7fff, optionally with the 0x8000 membership bit)",
			s);
	if (!sriov_pkey_is_valid((uint16_t)v))
		return sriov_error_set(
			err, -EINVAL,
			"invalid p-key '%s': partition 0 does not exist (expected 0x0001..0x7fff)",
			s);
	*ret = (uint16_t)v;
	return 0;
}

static bool osm_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* strncmp(s, kw, strlen(s)) == 0: s is a prefix of kw (or empty). */
static bool osm_prefix(const char *s, const char *kw)
{
	return strncmp(s, kw, strlen(s)) == 0;
}

static unsigned col_of(struct parser *ps, const char *p)
{
	return ps->col0 + (unsigned)(p - ps->text) + 1;
}

static void diag(struct parser *ps, enum sriov_diag_level level, const char *at,
		 const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void diag(struct parser *ps, enum sriov_diag_level level, const char *at,
		 const char *code, const char *fmt, ...)
{
	struct sriov_partitions *pc = ps->pc;
	struct sriov_diag *d;
	va_list ap;
	char *msg;
	int n;

	if (ps->quiet)
		return;
	if (grow_array((void **)&pc->diags, &ps->cap_diags, pc->n_diags,
		       sizeof(*pc->diags)) < 0) {
		ps->oom = true;
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ps->oom = true;
		return;
	}
	/* Stale bytes of an earlier line: say so, at what made OpenSM go there. */
	if (at && at > ps->data_end && at < ps->text + ps->written) {
		char *old = msg;

		n = asprintf(
			&msg,
			"in what OpenSM read past the end of this line, bytes line %u left in its buffer: %s",
			ps->owner[at - ps->text], old);
		free(old);
		if (n < 0) {
			ps->oom = true;
			return;
		}
	}
	d = &pc->diags[pc->n_diags++];
	*d = (struct sriov_diag){
		.level = level,
		.line = ps->line,
		.column = !at		    ? 0 :
			  at > ps->data_end ? ps->past_col :
					      col_of(ps, at),
		.osm_line = ps->osm_line,
		.code = code,
		.msg = msg,
	};
}

/* What to write instead of what made OpenSM read past the line. */
static const char *past_fix(const struct parser *ps)
{
	return ps->cause_kind == CAUSE_EMPTY ?
		       "end each statement with ';' on its last member's line (e.g. '0x0002c90300000021=full ;'), and write no ';' alone or ';;'" :
		       "follow the GID with ',' and a flag before ';', on the same line (e.g. 'mgid=ff12:401b::1, rate=3 ;')";
}

static const char *past_what(const struct parser *ps, char *buf, size_t size)
{
	if (ps->cause_kind == CAUSE_EMPTY)
		return "';' with nothing before it is an empty statement: OpenSM steps one byte past it, parses the rest of the line as more statement text, and goes on past the line's end";
	snprintf(
		buf, size,
		ps->cause_kind == CAUSE_MGID_SEMI ?
			"'mgid=%.60s' with ';' right after it: OpenSM reads the group's flags from after the ';', which takes the rest of the line and goes on past its end" :
			"'mgid=%.60s' at the end of the line: OpenSM reads the group's flags from past the line's end",
		ps->cause_mgid ? ps->cause_mgid : "");
	return buf;
}

/*
 * OpenSM goes on reading at s, up to a NUL (or a ';' when to_semi). Past
 * the bytes of this line that is an error, as the file then means what is
 * left in OpenSM's buffer; beyond every byte a line wrote, the outcome is
 * undefined. Returns false then: parsing stops.
 */
static bool went_on(struct parser *ps, const char *s, bool to_semi)
{
	const char *end = ps->text + ps->written, *q = s;
	char what[256], seen[48];
	size_t n;

	if (s <= ps->data_end)
		return true;
	while (q < end && *q && !(to_semi && *q == ';'))
		q++;
	if (q < end) {
		if (ps->past)
			return true;
		n = strnlen(s, (size_t)(end - s));
		snprintf(seen, sizeof(seen), "%.*s", (int)(n > 40 ? 40 : n), s);
		for (char *c = seen; *c; c++)
			if (!isprint((unsigned char)*c))
				*c = '?';
		diag(ps, SRIOV_DIAG_ERROR, ps->cause, "read-past-line",
		     "%s, into the bytes line %u left in its 4096-byte line buffer (\"%s\"): the file then means what those leftovers say, so it is refused; %s",
		     past_what(ps, what, sizeof(what)), ps->owner[s - ps->text],
		     seen, past_fix(ps));
		ps->past = true;
		ps->past_col = ps->cause ? col_of(ps, ps->cause) : 0;
		return true;
	}
	diag(ps, SRIOV_DIAG_ERROR, ps->past ? end : ps->cause, "undefined-read",
	     "%s, beyond every byte the file has put in its 4096-byte line buffer, into memory no line wrote: what OpenSM does then is undefined (seen: it parses leftover log text, or discards the file), so it is refused; %s",
	     past_what(ps, what, sizeof(what)), past_fix(ps));
	ps->undefined = true;
	return false;
}

/* Terminate-and-trim a piece "name[=value]" in place. */
static void split_piece(char *s, char **name, char **val)
{
	char *eq, *e;

	while (osm_blank(*s))
		s++;
	*val = NULL;
	eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		*val = eq + 1;
	}
	e = s + strlen(s);
	while (e > s && osm_blank(e[-1]))
		*--e = '\0';
	*name = s;
	if (!*val)
		return;
	s = *val;
	while (osm_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && osm_blank(e[-1]))
		*--e = '\0';
	*val = s;
}

static unsigned long osm_number(struct parser *ps, const char *flag,
				const char *val, bool *junk)
{
	char *end;
	unsigned long v = strtoul(val, &end, 0);

	*junk = *end != '\0';
	if (*junk)
		diag(ps, SRIOV_DIAG_WARNING, val, "flag-value",
		     "flag '%s': value '%s' has trailing text; OpenSM uses %lu",
		     flag, val, v);
	return v;
}

/* OpenSM's group flags; true when flag named one of them. */
static bool group_flag(struct parser *ps, struct sriov_prtn_flags *f,
		       const char *flag, const char *val)
{
	static const struct {
		const char *kw;
		unsigned bit;
	} order[] = {
		{ "mtu", SRIOV_FLAG_MTU },
		{ "rate", SRIOV_FLAG_RATE },
		{ "scope", SRIOV_FLAG_SCOPE },
		{ "Q_Key", SRIOV_FLAG_QKEY },
		{ "TClass", SRIOV_FLAG_TCLASS },
		{ "sl", SRIOV_FLAG_SL },
		{ "FlowLabel", SRIOV_FLAG_FLOW_LABEL },
	};
	unsigned long v = 0;
	unsigned bit = 0;
	const char *kw = NULL;
	bool junk = false, ok;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (osm_prefix(flag, order[i].kw)) {
			kw = order[i].kw;
			bit = order[i].bit;
			break;
		}
	if (!kw)
		return false;
	if (!*flag)
		diag(ps, SRIOV_DIAG_WARNING, flag, "empty-flag",
		     "empty flag: OpenSM reads it as 'mtu'");
	else if (strcmp(flag, kw))
		diag(ps, SRIOV_DIAG_WARNING, flag, "abbreviation",
		     "flag '%s' is read as '%s'; spell it out", flag, kw);
	if (val && *val && bit != SRIOV_FLAG_SL && bit != SRIOV_FLAG_FLOW_LABEL)
		v = osm_number(ps, flag, val, &junk);
	switch (bit) {
	case SRIOV_FLAG_MTU:
	case SRIOV_FLAG_RATE:
	case SRIOV_FLAG_QKEY:
	case SRIOV_FLAG_TCLASS:
		/* OpenSM stores the value even when it calls it invalid. */
		if (val) {
			if (bit == SRIOV_FLAG_MTU)
				f->mtu = v;
			else if (bit == SRIOV_FLAG_RATE)
				f->rate = v;
			else if (bit == SRIOV_FLAG_QKEY)
				f->qkey = v;
			else
				f->tclass = v;
			f->given |= bit;
		}
		if (!val || !v)
			diag(ps, SRIOV_DIAG_WARNING, flag, "flag-value",
			     "flag '%s' needs a non-zero number (e.g. %s=%s); OpenSM ignores it",
			     kw, kw, bit == SRIOV_FLAG_MTU ? "4" : "3");
		break;
	case SRIOV_FLAG_SCOPE:
		if (!val || !v || v > 15) {
			diag(ps, SRIOV_DIAG_WARNING, flag, "flag-value",
			     "flag 'scope' needs a value 1..15; OpenSM ignores it");
		} else {
			f->scope_mask |= 1u << v;
			f->given |= bit;
		}
		break;
	case SRIOV_FLAG_SL:
	case SRIOV_FLAG_FLOW_LABEL: {
		unsigned long max = bit == SRIOV_FLAG_SL ? 15 : 0xfffff;
		char *end = NULL;

		ok = val && *val;
		if (ok) {
			v = strtoul(val, &end, 0);
			ok = v <= max &&
			     (!*end || isspace((unsigned char)*end));
		}
		if (!ok) {
			diag(ps, SRIOV_DIAG_WARNING, flag, "flag-value",
			     "flag '%s' needs a value 0..%lu; OpenSM ignores it",
			     kw, max);
		} else {
			if (bit == SRIOV_FLAG_SL)
				f->sl = v;
			else
				f->flow_label = v;
			f->given |= bit;
		}
		break;
	}
	}
	return true;
}

static void partition_flag(struct parser *ps, struct sriov_prtn_stmt *st,
			   char *flag, char *val)
{
	if (group_flag(ps, &st->flags, flag, val))
		return;
	if (osm_prefix(flag, "ipoib")) {
		if (strcmp(flag, "ipoib"))
			diag(ps, SRIOV_DIAG_WARNING, flag, "abbreviation",
			     "flag '%s' is read as 'ipoib'; spell it out",
			     flag);
		st->ipoib = true;
	} else if (osm_prefix(flag, "defmember")) {
		if (!val ||
		    (!osm_prefix(val, "limited") && !osm_prefix(val, "both") &&
		     !osm_prefix(val, "full"))) {
			diag(ps, SRIOV_DIAG_WARNING, flag, "flag-value",
			     "flag 'defmember' needs full, limited or both; OpenSM ignores it");
			return;
		}
		if (osm_prefix(val, "full"))
			st->defmember = SRIOV_MEMBER_FULL;
		else if (osm_prefix(val, "both"))
			st->defmember = SRIOV_MEMBER_BOTH;
		else
			st->defmember = SRIOV_MEMBER_LIMITED;
		st->defmember_given = true;
		if (strcmp(val, sriov_membership_name(st->defmember)))
			diag(ps, SRIOV_DIAG_WARNING, val, "abbreviation",
			     "defmember value '%s' is read as '%s'; spell it out",
			     val, sriov_membership_name(st->defmember));
	} else if (!strcmp(flag, "indx0")) {
		st->indx0 = true;
	} else {
		diag(ps, SRIOV_DIAG_WARNING, flag, "unknown-flag",
		     "unknown partition flag '%s', ignored by OpenSM (known: ipoib, indx0, defmember, mtu, rate, sl, scope, Q_Key, TClass, FlowLabel)",
		     flag);
	}
}

static struct reg_entry *reg_by_pkey(struct parser *ps, uint16_t pkey)
{
	for (size_t i = 0; i < ps->n_reg; i++)
		if (ps->reg[i].pkey == pkey)
			return &ps->reg[i];
	return NULL;
}

static int reg_add(struct parser *ps, const char *name, uint16_t pkey)
{
	struct reg_entry *e;

	if (grow_array((void **)&ps->reg, &ps->cap_reg, ps->n_reg,
		       sizeof(*ps->reg)) < 0)
		return -ENOMEM;
	e = &ps->reg[ps->n_reg++];
	memset(e, 0, sizeof(*e));
	e->pkey = pkey;
	if (name && *name)
		memcpy(e->name, name, strnlen(name, OSM_NAME_MAX));
	else
		snprintf(e->name, sizeof(e->name), "%04x", pkey);
	return 0;
}

/*
 * OpenSM's partition map (cl_qmap) is keyed by the P-key in network byte
 * order read as a host integer: on the little-endian hosts OpenSM runs on
 * (x86_64, aarch64) 0x0040 sorts as 0x4000 and 0x7fff as 0xff7f.
 */
static uint16_t map_key(uint16_t pkey)
{
	return (uint16_t)(pkey << 8 | pkey >> 8);
}

/* osm_prtn_find_by_name(): the first partition of that name in map order. */
static struct reg_entry *reg_by_name(struct parser *ps, const char *name,
				     size_t *n_same)
{
	struct reg_entry *best = NULL;

	*n_same = 0;
	for (size_t i = 0; i < ps->n_reg; i++) {
		struct reg_entry *e = &ps->reg[i];

		if (strncmp(e->name, name, OSM_NAME_MAX + 1))
			continue;
		++*n_same;
		if (!best || map_key(e->pkey) < map_key(best->pkey))
			best = e;
	}
	return best;
}

/* osm_prtn_make_new(): the P-key OpenSM settles on, 0 when it fails. */
static uint16_t resolve_pkey(struct parser *ps, const char *name, uint16_t pkey,
			     const char *at)
{
	struct reg_entry *e;
	size_t n_same = 0;

	pkey &= SRIOV_PKEY_BASE_MASK;
	if (!pkey) {
		e = name ? reg_by_name(ps, name, &n_same) : NULL;
		if (e && n_same > 1)
			diag(ps, SRIOV_DIAG_WARNING, at, "ambiguous-name",
			     "%zu partitions are named '%s': OpenSM adds these members to 0x%04x, the first in its partition map (ordered by the P-key's bytes swapped), which need not be the first in the file; give the p-key (%s=0x%04x) or give each partition its own name",
			     n_same, name, e->pkey, name, e->pkey);
		if (e)
			return e->pkey;
		while (ps->counter < SRIOV_PKEY_DEFAULT - 1) {
			pkey = ++ps->counter;
			if (!reg_by_pkey(ps, pkey))
				break;
			pkey = 0;
		}
		if (!pkey)
			return 0;
	}
	e = reg_by_pkey(ps, pkey);
	if (e) {
		if (name && *name && strncmp(e->name, name, OSM_NAME_MAX + 1))
			diag(ps, SRIOV_DIAG_WARNING, at, "duplicate-pkey",
			     "p-key 0x%04x is already partition '%s': OpenSM merges '%s' into it",
			     pkey, e->name, name);
		return pkey;
	}
	if (name && strlen(name) > OSM_NAME_MAX)
		diag(ps, SRIOV_DIAG_WARNING, at, "long-name",
		     "partition name '%s' is longer than %d bytes; OpenSM cuts it and will not find it by name",
		     name, OSM_NAME_MAX);
	else if (name && *name && (e = reg_by_name(ps, name, &n_same)))
		diag(ps, SRIOV_DIAG_WARNING, at, "duplicate-name",
		     "partition '%s' already exists with p-key 0x%04x%s: OpenSM makes 0x%04x a second partition of that name, and a later '%s' without a p-key means whichever sorts first in its partition map (0x%04x); give each partition its own name",
		     name, e->pkey,
		     e->pkey == SRIOV_PKEY_DEFAULT ? " (OpenSM's own)" : "",
		     pkey, name,
		     map_key(pkey) < map_key(e->pkey) ? pkey : e->pkey);
	if (reg_add(ps, name, pkey) < 0) {
		ps->oom = true;
		return 0;
	}
	return pkey;
}

static int parse_header(struct parser *ps, char *p, struct sriov_prtn_stmt *st)
{
	char *comma, *name, *id, *flag, *val, *end;
	unsigned long v;
	uint16_t pkey = 0;

	comma = strchr(p, ',');
	if (comma)
		*comma = '\0';
	split_piece(p, &name, &id);
	while (comma) {
		p = comma + 1;
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		split_piece(p, &flag, &val);
		partition_flag(ps, st, flag, val);
	}

	if (!id && isdigit((unsigned char)*name)) {
		id = name;
		name = NULL;
	}
	st->line = ps->line;
	st->column = col_of(ps, name ? name : id);
	if (id) {
		v = strtoul(id, &end, 0);
		if (end == id || *end) {
			diag(ps, SRIOV_DIAG_ERROR, id, "parse",
			     "invalid p-key '%s' (OpenSM: \"bad partition definition\"); expected a number such as 0x0100, and a name must not start with a digit",
			     id);
			return -1;
		}
		pkey = (uint16_t)v;
		st->pkey_given = true;
		if (id[0] == '0' && id[1] >= '0' && id[1] <= '7')
			diag(ps, SRIOV_DIAG_WARNING, id, "octal-pkey",
			     "p-key '%s' has a leading 0: OpenSM reads it as octal, 0x%04lx; write 0x%04lx if that is meant",
			     id, v & 0xffff, v & 0x7fff);
		else if (strchr(id, '-'))
			diag(ps, SRIOV_DIAG_WARNING, id, "pkey-range",
			     "p-key '%s' is negative: OpenSM uses 0x%04x", id,
			     pkey & SRIOV_PKEY_BASE_MASK);
		else if (v > 0xffff)
			diag(ps, SRIOV_DIAG_WARNING, id, "pkey-range",
			     "p-key '%s' does not fit 16 bits: OpenSM uses 0x%04x",
			     id, pkey & SRIOV_PKEY_BASE_MASK);
		else if (pkey & SRIOV_PKEY_FULL)
			diag(ps, SRIOV_DIAG_WARNING, id, "pkey-fullbit",
			     "p-key '%s' has the membership bit: OpenSM drops it and uses 0x%04x; membership is set per member (=full)",
			     id, pkey & SRIOV_PKEY_BASE_MASK);
		if (!(pkey & SRIOV_PKEY_BASE_MASK))
			diag(ps, SRIOV_DIAG_WARNING, id, "pkey-zero",
			     "p-key '%s' is 0 in its low 15 bits: OpenSM picks a P-key itself",
			     id);
	}
	if (name) {
		st->name = strdup(name);
		if (!st->name) {
			ps->oom = true;
			return -1;
		}
	}
	st->pkey = resolve_pkey(ps, name, pkey, name ? name : id);
	if (!st->pkey) {
		if (!ps->oom)
			diag(ps, SRIOV_DIAG_ERROR, name ? name : id, "parse",
			     "no free p-key left for partition (OpenSM: \"bad partition definition\")");
		return -1;
	}
	if (!st->pkey_given && !(name && !strcmp(name, "Default")))
		diag(ps, SRIOV_DIAG_WARNING, name ? name : id, "auto-pkey",
		     "partition without a p-key: OpenSM uses 0x%04x now, but the number depends on the order of the file; give one (name=0x...)",
		     st->pkey);
	return 0;
}

static struct sriov_prtn_member *new_member(struct parser *ps,
					    struct sriov_prtn_stmt *st)
{
	struct sriov_prtn_member *m;

	if (grow_array((void **)&st->members, &ps->cap_members, st->n_members,
		       sizeof(*st->members)) < 0) {
		ps->oom = true;
		return NULL;
	}
	m = &st->members[st->n_members++];
	memset(m, 0, sizeof(*m));
	return m;
}

static int add_member(struct parser *ps, struct sriov_prtn_stmt *st, char *name,
		      char *flag)
{
	static const struct {
		const char *kw;
		enum sriov_member_kind kind;
	} groups[] = {
		{ "ALL", SRIOV_MEMBER_ALL },
		{ "ALL_CAS", SRIOV_MEMBER_ALL_CAS },
		{ "ALL_SWITCHES", SRIOV_MEMBER_ALL_SWITCHES },
		{ "ALL_ROUTERS", SRIOV_MEMBER_ALL_ROUTERS },
		{ "SELF", SRIOV_MEMBER_SELF },
	};
	enum sriov_membership ms = st->defmember;
	struct sriov_prtn_member *m;
	struct sriov_prtn_member tmp = { 0 };
	bool found = false;

	if (!*name)
		return 0;
	if (osm_prefix(name, "NONE")) {
		if (strcmp(name, "NONE"))
			diag(ps, SRIOV_DIAG_WARNING, name, "abbreviation",
			     "member '%s' is read as 'NONE' (no member)", name);
		return 0;
	}
	if (flag) {
		ms = SRIOV_MEMBER_LIMITED;
		if (osm_prefix(flag, "full"))
			ms = SRIOV_MEMBER_FULL;
		else if (osm_prefix(flag, "both"))
			ms = SRIOV_MEMBER_BOTH;
		else if (!osm_prefix(flag, "limited"))
			diag(ps, SRIOV_DIAG_WARNING, flag, "member-flag",
			     "unknown membership '%s': OpenSM makes the member limited (expected full, limited or both)",
			     flag);
		if (!*flag)
			diag(ps, SRIOV_DIAG_WARNING, flag, "member-flag",
			     "empty membership after '=': OpenSM reads it as full");
		else if ((ms != SRIOV_MEMBER_LIMITED ||
			  osm_prefix(flag, "limited")) &&
			 strcmp(flag, sriov_membership_name(ms)))
			diag(ps, SRIOV_DIAG_WARNING, flag, "abbreviation",
			     "membership '%s' is read as '%s'; spell it out",
			     flag, sriov_membership_name(ms));
	}
	tmp.membership = ms;
	tmp.explicit_membership = flag != NULL;
	tmp.line = ps->line;
	tmp.column = col_of(ps, name);
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (osm_prefix(name, groups[i].kw)) {
			tmp.kind = groups[i].kind;
			found = true;
			if (strcmp(name, groups[i].kw))
				diag(ps, SRIOV_DIAG_WARNING, name,
				     "abbreviation",
				     "member '%s' is read as '%s'; spell it out",
				     name, groups[i].kw);
			break;
		}
	if (!found) {
		char *end;
		unsigned long long g = strtoull(name, &end, 0);

		if (!g || *end) {
			diag(ps, SRIOV_DIAG_ERROR, name, "parse",
			     "invalid port GUID '%s' (OpenSM: \"bad PortGUID\"); expected a non-zero number such as 0x0002c90300a1b2c1, or ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF",
			     name);
			return -1;
		}
		if (name[0] == '0' && isdigit((unsigned char)name[1]))
			diag(ps, SRIOV_DIAG_WARNING, name, "octal-guid",
			     "port GUID '%s' has a leading 0 and no 0x: OpenSM reads it as octal (0x%016llx)",
			     name, g);
		else if (isdigit((unsigned char)name[0]) &&
			 !(name[0] == '0' &&
			   (name[1] == 'x' || name[1] == 'X')))
			diag(ps, SRIOV_DIAG_WARNING, name, "decimal-guid",
			     "port GUID '%s' has no 0x: OpenSM reads it as decimal (0x%016llx)",
			     name, g);
		tmp.kind = SRIOV_MEMBER_GUID;
		tmp.guid = g;
	}
	m = new_member(ps, st);
	if (!m)
		return -1;
	*m = tmp;
	return 0;
}

static void mgroup_flags(struct parser *ps, struct sriov_prtn_mgid *mg, char *p)
{
	char *comma, *flag, *val;

	do {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		split_piece(p, &flag, &val);
		if (*flag && !group_flag(ps,
					 mg ? &mg->flags :
					      &(struct sriov_prtn_flags){ 0 },
					 flag, val))
			diag(ps, SRIOV_DIAG_WARNING, flag, "mgid-flag",
			     "'%s' after an mgid is read by OpenSM as a multicast group flag and ignored%s",
			     flag,
			     isdigit((unsigned char)*flag) ||
					     !strncmp(flag, "ALL", 3) ||
					     !strcmp(flag, "SELF") ?
				     ", not as a member: put members before 'mgid=' or on their own line" :
				     "");
		if (!comma)
			break;
		p = comma + 1;
	} while (true);
}

static bool mgid_multicast(const char *mgid, uint8_t gid[16])
{
	return inet_pton(AF_INET6, mgid, gid) == 1 && gid[0] == 0xff;
}

/* A multicast group; rest: its flags, as OpenSM finds them. */
static void add_mgid(struct parser *ps, struct sriov_prtn_stmt *st, char *mgid,
		     char *rest)
{
	struct sriov_prtn_mgid *mg = NULL;
	uint8_t gid[16];

	if (!mgid_multicast(mgid, gid))
		return;
	if (grow_array((void **)&st->mgids, &ps->cap_mgids, st->n_mgids,
		       sizeof(*st->mgids)) < 0) {
		ps->oom = true;
		return;
	}
	mg = &st->mgids[st->n_mgids++];
	memset(mg, 0, sizeof(*mg));
	memcpy(mg->gid, gid, sizeof(gid));
	mg->flags = st->flags;
	mg->line = ps->line;
	mg->column = col_of(ps, mgid);
	ps->quiet = rest > ps->data_end;
	mgroup_flags(ps, mg, rest);
	ps->quiet = false;
	if (!mg || !(gid[2] == 0x40 || gid[2] == 0x60) || gid[3] != 0x1b)
		return;
	/* An IP group must match the partition (osm_prtn_config.c). */
	{
		uint16_t mp = (uint16_t)(gid[4] << 8 | gid[5]);

		if (mp && mp != (st->pkey | SRIOV_PKEY_FULL) &&
		    !(mp == 0xffff && st->pkey == SRIOV_PKEY_DEFAULT))
			diag(ps, SRIOV_DIAG_WARNING, mgid, "mgid-ip",
			     "IP multicast mgid '%s' carries p-key 0x%04x, not this partition's 0x%04x; OpenSM skips the group",
			     mgid, mp, st->pkey | SRIOV_PKEY_FULL);
		else if (mg->flags.rate != st->flags.rate ||
			 mg->flags.mtu != st->flags.mtu)
			diag(ps, SRIOV_DIAG_WARNING, mgid, "mgid-ip",
			     "IP multicast mgid '%s' has a rate or mtu other than its partition's; OpenSM skips the group",
			     mgid);
	}
}

/*
 * "mgid=GID" in a member list (osm_prtn_config.c mgroup_create()): OpenSM
 * reads the group's flags from just past the token's terminator and goes
 * on after them, so a multicast mgid takes the rest of the statement, and
 * more when nothing follows it: the flags then start after the ';' or past
 * the end of the line. For a GID that is not multicast it reads no flags
 * and goes on just past the token: what follows a ',' is a new statement.
 */
static int parse_mgid(struct parser *ps, struct sriov_prtn_stmt *st, char *name,
		      char *gid_s, char *comma, char *end, char **next)
{
	char *rest = comma ? comma + 1 : end + 1;
	uint8_t gid[16];

	if (!gid_s) {
		diag(ps, SRIOV_DIAG_ERROR, name, "parse",
		     "'mgid' without '=GID' makes OpenSM crash; write mgid=ff12:401b::1");
		return -1;
	}
	if (!mgid_multicast(gid_s, gid)) {
		const char *r = rest;

		while (comma && osm_blank(*r))
			r++;
		if (comma && *r && ps->semi)
			diag(ps, SRIOV_DIAG_WARNING, gid_s,
			     "mgid-not-multicast",
			     "mgid '%s' is not a multicast GID (ff..::..): OpenSM logs a PARSE ERROR, ends the statement here and reads '%s' as a new statement, which the ';' does not end, and the rest of this line is not read; remove it or write a multicast GID such as ff12:401b::1",
			     gid_s, r);
		else if (comma && *r)
			diag(ps, SRIOV_DIAG_WARNING, gid_s,
			     "mgid-not-multicast",
			     "mgid '%s' is not a multicast GID (ff..::..): OpenSM logs a PARSE ERROR and does not read '%s', the rest of this line; remove it or write a multicast GID such as ff12:401b::1",
			     gid_s, r);
		else
			diag(ps, SRIOV_DIAG_WARNING, gid_s,
			     "mgid-not-multicast",
			     "mgid '%s' is not a multicast GID (ff..::..): OpenSM logs a PARSE ERROR and goes on without the group; remove it or write a multicast GID such as ff12:401b::1",
			     gid_s);
		ps->bad_mgid = comma != NULL;
		*next = rest;
		return 0;
	}
	if (!comma) {
		ps->cause = name;
		ps->cause_kind = ps->semi ? CAUSE_MGID_SEMI : CAUSE_MGID_EOL;
		ps->cause_mgid = gid_s;
		if (!went_on(ps, rest, false))
			return 0;
		*next = rest + strlen(rest) + 1;
	}
	add_mgid(ps, st, gid_s, rest);
	return 0;
}

/*
 * One statement's text on this line (its ';' already cut to NUL). Sets
 * *next where OpenSM's loop goes on: just past the NUL ending the text it
 * consumed. That is past the ';' normally, but beyond the end of the line
 * in two cases OpenSM gets wrong: an empty statement text (a ';' first on
 * its line, or ";;"), which it skips by one byte too many, and an mgid
 * that ends the statement (parse_mgid()); and short of the ';' after a
 * non-multicast mgid. Returns -1 on a fatal error, 0 otherwise (also when
 * OpenSM's outcome turned out undefined: ps->undefined).
 */
static int parse_segment(struct parser *ps, char *p, char **next)
{
	struct sriov_prtn_stmt *st = ps->cur;
	char *comma, *name, *flag, *end;
	bool bad_mgid = ps->bad_mgid;

	ps->bad_mgid = false;
	if (!*p) {
		/* osm_prtn_config.c parse_part_conf(): steps over the NUL. */
		ps->cause = p;
		ps->cause_kind = CAUSE_EMPTY;
		p++;
		if (!went_on(ps, p, false))
			return 0;
	}
	end = p + strlen(p);
	*next = end + 1;
	if (!st) {
		struct sriov_partitions *pc = ps->pc;
		char *colon = strchr(p, ':');

		if (!colon && bad_mgid) {
			diag(ps, SRIOV_DIAG_ERROR, p, "parse",
			     "after the non-multicast mgid before it, OpenSM reads '%s' as a new statement and finds no ':' (OpenSM: \"no partition definition found\"); write a multicast mgid (e.g. ff12:401b::1) or remove it",
			     p);
			return -1;
		}
		if (!colon) {
			diag(ps, SRIOV_DIAG_ERROR, p, "parse",
			     "no ':' in this statement (OpenSM: \"no partition definition found\"); expected 'name=pkey[,flag...] : member[=full|limited|both], ... ;' with the header and ':' on one line");
			return -1;
		}
		*colon = '\0';
		if (grow_array((void **)&pc->stmts, &ps->cap_stmts, pc->n_stmts,
			       sizeof(*pc->stmts)) < 0) {
			ps->oom = true;
			return -1;
		}
		st = &pc->stmts[pc->n_stmts++];
		memset(st, 0, sizeof(*st));
		st->defmember = SRIOV_MEMBER_LIMITED;
		st->flags.mtu = OSM_DEFAULT_MTU;
		st->flags.rate = OSM_DEFAULT_RATE;
		st->flags.sl = OSM_DEFAULT_SL;
		ps->cap_members = 0;
		ps->cap_mgids = 0;
		ps->cur = st;
		if (parse_header(ps, p, st) < 0)
			return -1;
		p = colon + 1;
	}
	do {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		split_piece(p, &name, &flag);
		if (!strcmp(name, "mgid"))
			return parse_mgid(ps, st, name, flag, comma, end, next);
		if (add_member(ps, st, name, flag) < 0)
			return -1;
		if (!comma)
			break;
		p = comma + 1;
	} while (true);
	return 0;
}

static void parse_line(struct parser *ps, char *p)
{
	char *hash = strchr(p, '#'), *next = NULL;

	if (hash)
		*hash = '\0';
	ps->past = false;
	ps->cause = NULL;
	ps->bad_mgid = false;
	for (;;) {
		if (!went_on(ps, p, true))
			return;
		while (osm_blank(*p))
			p++;
		if (!*p)
			return;
		ps->semi = strchr(p, ';');
		if (ps->semi)
			*ps->semi = '\0';
		if (parse_segment(ps, p, &next) < 0 || ps->oom) {
			ps->status = -1;
			return;
		}
		if (ps->undefined)
			return;
		ps->status = 1;
		if (!ps->semi)
			return;
		ps->cur = NULL;
		p = next;
	}
}

void sriov_partitions_release(struct sriov_partitions *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < pc->n_stmts; i++) {
		free(pc->stmts[i].name);
		free(pc->stmts[i].members);
		free(pc->stmts[i].mgids);
	}
	free(pc->stmts);
	for (size_t i = 0; i < pc->n_diags; i++)
		free(pc->diags[i].msg);
	free(pc->diags);
	free(pc->file);
	memset(pc, 0, sizeof(*pc));
}

int sriov_partitions_parse(const char *buf, size_t len, const char *file,
			   struct sriov_partitions *ret,
			   struct sriov_error *err)
{
	struct parser ps = { .pc = ret };
	/* One buffer for all lines, as OpenSM's: stale bytes matter. */
	char line[OSM_LINE_MAX + 2] = { 0 };
	size_t off = 0;
	unsigned col0 = 0;

	memset(ret, 0, sizeof(*ret));
	ret->file = strdup(file ? file : "<input>");
	if (!ret->file || reg_add(&ps, "Default", SRIOV_PKEY_DEFAULT) < 0)
		goto oom;
	ps.line = 1;
	ps.text = line;
	while (off < len && ps.status >= 0 && !ps.undefined) {
		size_t n = 0;

		/* fgets(): up to a newline (kept) or OSM_LINE_MAX bytes. */
		while (off + n < len && n < OSM_LINE_MAX) {
			if (buf[off + n++] == '\n')
				break;
		}
		memcpy(line, buf + off, n);
		line[n] = '\0'; /* a NUL inside ends the text, as in C */
		ps.osm_line++;
		ps.data_end = line + n;
		if (n + 1 > ps.written)
			ps.written = n + 1;
		for (size_t i = 0; i <= n; i++)
			ps.owner[i] = ps.line;
		ps.col0 = col0;
		parse_line(&ps, line);
		if (ps.oom)
			goto oom;
		off += n;
		if (n && buf[off - 1] == '\n') {
			ps.line++;
			col0 = 0;
		} else {
			if (n == OSM_LINE_MAX && off < len && ps.status >= 0 &&
			    !ps.undefined)
				diag(&ps, SRIOV_DIAG_WARNING, NULL, "long-line",
				     "line longer than %d bytes: OpenSM reads the rest as a new line (its line numbers shift by one from here)",
				     OSM_LINE_MAX);
			col0 += n;
		}
	}
	if (ps.status == 0 && !ps.undefined) {
		ps.line = 1;
		ps.osm_line = 0;
		ps.text = ps.data_end = line;
		ps.col0 = 0;
		diag(&ps, SRIOV_DIAG_ERROR, line, "empty",
		     "no partition statement in the file: OpenSM treats it as broken and applies its open default (every port a full member of 0x7fff, no tenant partitions); expected at least one 'name=pkey : member[=full|limited|both], ... ;'");
	}
	if (ps.oom)
		goto oom;
	ret->undefined = ps.undefined;
	ret->fallback = !ps.undefined && ps.status != 1;
	free(ps.reg);
	return 0;
oom:
	free(ps.reg);
	sriov_partitions_release(ret);
	return sriov_error_set(err, -ENOMEM, "out of memory parsing '%s'",
			       file ? file : "<input>");
}

size_t sriov_partitions_count(const struct sriov_partitions *pc,
			      enum sriov_diag_level level)
{
	size_t n = 0;

	for (size_t i = 0; i < pc->n_diags; i++)
		n += pc->diags[i].level == level;
	return n;
}

int sriov_diag_format(const struct sriov_partitions *pc,
		      const struct sriov_diag *d, char *buf, size_t size)
{
	const char *lvl = d->level == SRIOV_DIAG_ERROR ? "error" : "warning";

	if (!d->line)
		return snprintf(buf, size, "%s: %s: %s", pc->file, lvl, d->msg);
	if (!d->column)
		return snprintf(buf, size, "%s:%u: %s: %s", pc->file, d->line,
				lvl, d->msg);
	return snprintf(buf, size, "%s:%u:%u: %s: %s", pc->file, d->line,
			d->column, lvl, d->msg);
}
