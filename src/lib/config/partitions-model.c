/* SPDX-License-Identifier: MIT */
/*
 * What OpenSM does with a parsed partitions.conf: the P-key tables it
 * programs (opensm/osm_prtn.c: prtn_make_default, osm_prtn_add_port,
 * osm_prtn_add_all; osm_prtn_config.c: manage_membership_change;
 * osm_pkey_mgr.c for index 0), likely mistakes, and writing the format.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/partitions.h>

#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define BIT_LIMITED 1u
#define BIT_FULL 2u
#define GUID_ONE_PORT 0xff /* manage_membership_change's "one GUID" */

struct prtn {
	uint16_t pkey;
	uint8_t *bits; /* per port: BIT_LIMITED | BIT_FULL */
};

struct sim {
	const struct sriov_fabric_port *ports;
	size_t n_ports;
	size_t *by_guid; /* port indices sorted by GUID */
	uint16_t *indx0; /* per port: OpenSM's indx0_pkey, 0 none */
	struct prtn *prtns;
	size_t n_prtns, cap_prtns;
	int map[SRIOV_PKEY_BASE_MASK + 1];
	bool allow_both;
};

static const struct sriov_fabric_port *sort_ports;

static int cmp_port_idx(const void *a, const void *b)
{
	uint64_t ga = sort_ports[*(const size_t *)a].guid;
	uint64_t gb = sort_ports[*(const size_t *)b].guid;

	return ga < gb ? -1 : ga > gb;
}

static ssize_t port_find(struct sim *s, uint64_t guid)
{
	size_t lo = 0, hi = s->n_ports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t g = s->ports[s->by_guid[mid]].guid;

		if (g == guid)
			return (ssize_t)s->by_guid[mid];
		if (g < guid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static struct prtn *prtn_get(struct sim *s, uint16_t pkey)
{
	struct prtn *p;

	if (s->map[pkey] >= 0)
		return &s->prtns[s->map[pkey]];
	if (grow_array((void **)&s->prtns, &s->cap_prtns, s->n_prtns,
		       sizeof(*s->prtns)) < 0)
		return NULL;
	p = &s->prtns[s->n_prtns];
	p->pkey = pkey;
	p->bits = calloc(s->n_ports ? s->n_ports : 1, 1);
	if (!p->bits)
		return NULL;
	s->map[pkey] = (int)s->n_prtns++;
	return p;
}

static void add_port(struct sim *s, struct prtn *p, size_t i, bool full,
		     bool indx0)
{
	if (indx0)
		s->indx0[i] = p->pkey | (full ? SRIOV_PKEY_FULL : 0);
	else if (sriov_pkey_base(s->indx0[i]) == p->pkey)
		s->indx0[i] = 0;
	if (s->allow_both)
		p->bits[i] |= full ? BIT_FULL : BIT_LIMITED;
	else
		p->bits[i] = full ? BIT_FULL : BIT_LIMITED;
}

static bool port_in(struct sim *s, size_t i, unsigned type)
{
	return !type || s->ports[i].type == type;
}

/* allow_both_pkeys: a new full (limited) membership drops the other. */
static void membership_change(struct sim *s, struct prtn *p, unsigned type,
			      enum sriov_membership ms, ssize_t port)
{
	uint8_t drop = ms == SRIOV_MEMBER_LIMITED ? BIT_FULL : BIT_LIMITED;

	if (!s->allow_both || ms == SRIOV_MEMBER_BOTH)
		return;
	if (type == GUID_ONE_PORT) {
		if (port >= 0)
			p->bits[port] &= ~drop;
		return;
	}
	for (size_t i = 0; i < s->n_ports; i++)
		if (port_in(s, i, type))
			p->bits[i] &= ~drop;
}

static void add_all(struct sim *s, struct prtn *p, unsigned type, bool full,
		    bool indx0)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (port_in(s, i, type))
			add_port(s, p, i, full, indx0);
}

static void add_member(struct sim *s, struct prtn *p,
		       const struct sriov_prtn_member *m, uint64_t sm_guid,
		       bool indx0)
{
	static const unsigned types[] = {
		[SRIOV_MEMBER_ALL] = 0,
		[SRIOV_MEMBER_ALL_CAS] = SRIOV_NODE_CA,
		[SRIOV_MEMBER_ALL_SWITCHES] = SRIOV_NODE_SWITCH,
		[SRIOV_MEMBER_ALL_ROUTERS] = SRIOV_NODE_ROUTER,
	};
	enum sriov_membership ms = m->membership;
	bool want_full = ms != SRIOV_MEMBER_LIMITED;
	bool want_limited = ms == SRIOV_MEMBER_LIMITED ||
			    (ms == SRIOV_MEMBER_BOTH && s->allow_both);
	ssize_t port;

	if (m->kind != SRIOV_MEMBER_GUID && m->kind != SRIOV_MEMBER_SELF) {
		unsigned type = types[m->kind];

		membership_change(s, p, type, ms, -1);
		if (want_full)
			add_all(s, p, type, true, indx0);
		if (want_limited)
			add_all(s, p, type, false, indx0);
		return;
	}
	port = port_find(s, m->kind == SRIOV_MEMBER_SELF ? sm_guid : m->guid);
	membership_change(s, p, GUID_ONE_PORT, ms, port);
	if (port < 0)
		return; /* OpenSM: "port 0x... not found", skipped */
	if (want_full)
		add_port(s, p, (size_t)port, true, indx0);
	if (want_limited)
		add_port(s, p, (size_t)port, false, indx0);
}

/* prtn_make_default(): Default=0x7fff, everyone, SM port full. */
static int make_default(struct sim *s, uint64_t sm_guid, bool no_config)
{
	struct prtn *p = prtn_get(s, SRIOV_PKEY_DEFAULT);
	ssize_t sm;

	if (!p)
		return -ENOMEM;
	add_all(s, p, 0, no_config, false);
	sm = port_find(s, sm_guid);
	if (sm >= 0) {
		p->bits[sm] &= ~BIT_LIMITED;
		add_port(s, p, (size_t)sm, true, false);
	}
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * OpenSM's partition map (cl_qmap) is keyed by the P-key in network byte
 * order read as a host integer: osm_pkey_mgr.c walks it in that order on a
 * little-endian host, 0x0300 (0x0003) before 0x0101 and 0x7fff last.
 */
static uint16_t map_key(uint16_t pkey)
{
	return (uint16_t)(pkey << 8 | pkey >> 8);
}

static const struct prtn *sort_prtns;

static int cmp_map(const void *a, const void *b)
{
	uint16_t x = map_key(sort_prtns[*(const size_t *)a].pkey);
	uint16_t y = map_key(sort_prtns[*(const size_t *)b].pkey);

	return x < y ? -1 : x > y;
}

/* Without allow_both_pkeys OpenSM compares P-keys by their base. */
static bool same_key(const struct sim *s, uint16_t a, uint16_t b)
{
	return s->allow_both ? a == b :
			       sriov_pkey_base(a) == sriov_pkey_base(b);
}

static bool is_default(const struct sim *s, uint16_t pk)
{
	return same_key(s, pk, s->allow_both ? 0xffff : SRIOV_PKEY_DEFAULT);
}

/*
 * pkey_mgr_process_physical_port() and pkey_mgr_update_port() for port i:
 * the partitions in map order, each one's limited P-key then its full one,
 * placed from index 1 on, the default P-key (or the indx0 one) at index 0.
 * The port is assumed to hold 0xffff alone at index 0 before (a fresh
 * port, or one after OpenSM's open default): with keep_pkey_indexes, the
 * default, that entry is "updated" in place and goes first; every other
 * P-key is "new". A P-key whose index is beyond the port's capacity is
 * dropped (ERR 0512), the default one too when indx0 moved it off index 0.
 */
static int port_table(struct sim *s, size_t i, const size_t *order,
		      struct sriov_port_pkeys *out)
{
	unsigned cap = s->ports[i].pkey_cap;
	size_t slots = cap ? ((size_t)cap + 31) / 32 * 32 : 2 * s->n_prtns + 2;
	size_t max = cap ? cap : slots;
	_cleanup_free_ uint16_t *tab = calloc(slots, sizeof(*tab));
	_cleanup_free_ uint16_t *pend =
		calloc(2 * s->n_prtns + 1, sizeof(*pend));
	uint16_t indx0 = s->indx0[i], head = 0;
	size_t n_pend = 0, last = 0, n = 0;

	if (!tab || !pend)
		return -ENOMEM;
	for (size_t k = 0; k < s->n_prtns; k++) {
		const struct prtn *p = &s->prtns[order[k]];

		for (int full = 0; full < 2; full++) {
			uint16_t pk = p->pkey | (full ? SRIOV_PKEY_FULL : 0);

			if (!(p->bits[i] & (full ? BIT_FULL : BIT_LIMITED)))
				continue;
			/* Found at index 0 and staying there: "updated". */
			if (same_key(s, pk, 0xffff) &&
			    (indx0 ? same_key(s, pk, indx0) :
				     sriov_pkey_base(pk) == SRIOV_PKEY_DEFAULT))
				head = pk;
			else
				pend[n_pend++] = pk;
		}
	}
	if (head) {
		tab[0] = head;
		last = 1;
	}
	for (size_t k = 0; k < n_pend; k++) {
		uint16_t pk = pend[k];
		size_t idx;

		if (!indx0 && is_default(s, pk))
			idx = 0;
		else if (same_key(s, pk, indx0))
			idx = 0;
		else
			idx = last ? last : 1;
		if (idx >= max) {
			if (is_default(s, pk))
				continue; /* ERR 0512 */
			/* osm_pkey_find_next_free_entry() from index 1 */
			for (idx = 1; idx < slots && tab[idx]; idx++)
				;
			if (idx >= max)
				continue; /* ERR 0512 */
		}
		tab[idx] = pk;
		if (idx + 1 > last)
			last = idx + 1;
	}
	out->guid = s->ports[i].guid;
	out->pkeys = calloc(slots, sizeof(uint16_t));
	if (!out->pkeys)
		return -ENOMEM;
	for (size_t k = 0; k < slots; k++)
		if (tab[k])
			out->pkeys[n++] = tab[k];
	qsort(out->pkeys, n, sizeof(uint16_t), cmp_u16);
	out->n = n;
	out->index0 = tab[0];
	return 0;
}

void sriov_port_pkeys_free(struct sriov_port_pkeys *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		free(t[i].pkeys);
	free(t);
}

int sriov_partitions_predict(const struct sriov_partitions *pc,
			     const struct sriov_fabric_port *ports,
			     size_t n_ports, uint64_t sm_guid, unsigned flags,
			     struct sriov_port_pkeys **ret,
			     struct sriov_error *err)
{
	struct sim s = { .ports = ports, .n_ports = n_ports };
	struct sriov_port_pkeys *out = NULL;
	_cleanup_free_ size_t *order = NULL;
	int r = -ENOMEM;

	if (pc->undefined) {
		for (size_t i = 0; i < pc->n_diags; i++)
			if (!strcmp(pc->diags[i].code, "undefined-read"))
				return sriov_error_set(
					err, -EINVAL,
					"%s:%u:%u: OpenSM's outcome for this file is undefined (its parser reads memory no line wrote), so no P-key table can be predicted; fix that line first",
					pc->file, pc->diags[i].line,
					pc->diags[i].column);
		return sriov_error_set(
			err, -EINVAL,
			"%s: OpenSM's outcome for this file is undefined, so no P-key table can be predicted",
			pc->file);
	}

	s.allow_both = flags & SRIOV_PREDICT_ALLOW_BOTH;
	for (size_t i = 0; i < ARRAY_SIZE(s.map); i++)
		s.map[i] = -1;
	s.by_guid = calloc(n_ports + 1, sizeof(*s.by_guid));
	s.indx0 = calloc(n_ports + 1, sizeof(*s.indx0));
	out = calloc(n_ports + 1, sizeof(*out));
	if (!s.by_guid || !s.indx0 || !out)
		goto done;
	for (size_t i = 0; i < n_ports; i++)
		s.by_guid[i] = i;
	sort_ports = ports;
	qsort(s.by_guid, n_ports, sizeof(*s.by_guid), cmp_port_idx);

	if (make_default(&s, sm_guid, false) < 0)
		goto done;
	for (size_t i = 0; i < pc->n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &pc->stmts[i];
		struct prtn *p;

		if (!st->pkey)
			continue; /* its header failed */
		p = prtn_get(&s, st->pkey);
		if (!p)
			goto done;
		for (size_t k = 0; k < st->n_members; k++)
			add_member(&s, p, &st->members[k], sm_guid, st->indx0);
	}
	if (pc->fallback) {
		/* OpenSM retries with no file; indx0 marks on ports stay. */
		for (size_t i = 0; i < s.n_prtns; i++)
			memset(s.prtns[i].bits, 0, n_ports);
		if (make_default(&s, sm_guid, true) < 0)
			goto done;
	}

	order = calloc(s.n_prtns + 1, sizeof(*order));
	if (!order)
		goto done;
	for (size_t k = 0; k < s.n_prtns; k++)
		order[k] = k;
	sort_prtns = s.prtns;
	qsort(order, s.n_prtns, sizeof(*order), cmp_map);
	for (size_t i = 0; i < n_ports; i++)
		if (port_table(&s, i, order, &out[i]) < 0)
			goto done;
	*ret = TAKE_PTR(out);
	r = 0;
done:
	for (size_t i = 0; i < s.n_prtns; i++)
		free(s.prtns[i].bits);
	free(s.prtns);
	free(s.by_guid);
	free(s.indx0);
	sriov_port_pkeys_free(out, n_ports);
	if (r < 0)
		return sriov_error_set(err, r,
				       "out of memory predicting p-key tables");
	return 0;
}

/* Lint */

struct use {
	uint16_t pkey;
	uint8_t kind;
	uint64_t guid;
	enum sriov_membership ms;
	const struct sriov_prtn_member *m;
	size_t order;
};

static int cmp_use(const void *a, const void *b)
{
	const struct use *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->guid != y->guid)
		return x->guid < y->guid ? -1 : 1;
	if (x->pkey != y->pkey)
		return x->pkey < y->pkey ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int add_diag(struct sriov_partitions *pc, size_t *cap, unsigned line,
		    unsigned column, const char *code, char *msg)
{
	if (!msg || grow_array((void **)&pc->diags, cap, pc->n_diags,
			       sizeof(*pc->diags)) < 0) {
		free(msg);
		return -ENOMEM;
	}
	pc->diags[pc->n_diags++] = (struct sriov_diag){
		.level = SRIOV_DIAG_WARNING,
		.line = line,
		.column = column,
		.osm_line = line,
		.code = code,
		.msg = msg,
	};
	return 0;
}

static char *fmt_msg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *fmt_msg(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int sriov_partitions_lint(struct sriov_partitions *pc,
			  const struct sriov_lint_opts *opts,
			  struct sriov_error *err)
{
	unsigned size = opts && opts->table_size ? opts->table_size : 128;
	bool allow_both = opts && opts->allow_both;
	_cleanup_free_ struct use *uses = NULL;
	_cleanup_free_ bool *everyone = NULL;
	size_t n = 0, total = 0, cap = pc->n_diags, n_everyone = 0;
	bool have_default = false;

	if (pc->fallback)
		return 0; /* the errors already say it all */
	everyone = calloc(SRIOV_PKEY_BASE_MASK + 1, sizeof(*everyone));
	for (size_t i = 0; i < pc->n_stmts; i++)
		total += pc->stmts[i].n_members;
	uses = calloc(total + 1, sizeof(*uses));
	if (!uses || !everyone)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	everyone[SRIOV_PKEY_DEFAULT] = true;
	n_everyone = 1;
	for (size_t i = 0; i < pc->n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &pc->stmts[i];

		if (st->pkey == SRIOV_PKEY_DEFAULT)
			have_default = true;
		for (size_t k = 0; k < st->n_members; k++) {
			const struct sriov_prtn_member *m = &st->members[k];

			if ((m->kind == SRIOV_MEMBER_ALL ||
			     m->kind == SRIOV_MEMBER_ALL_CAS) &&
			    !everyone[st->pkey]) {
				everyone[st->pkey] = true;
				n_everyone++;
			}
			uses[n] = (struct use){ .pkey = st->pkey,
						.kind = m->kind,
						.guid = m->guid,
						.ms = m->membership,
						.m = m,
						.order = n };
			n++;
		}
	}
	if (!have_default &&
	    add_diag(
		    pc, &cap, 0, 0, "no-default",
		    fmt_msg("no Default (0x7fff) partition statement: OpenSM makes every port a limited member of 0x7fff and only its own port full; say what you mean, e.g. 'Default=0x7fff : ALL_SWITCHES=full, SELF=full ;'")) <
		    0)
		goto oom;
	qsort(uses, n, sizeof(*uses), cmp_use);
	for (size_t i = 1; i < n; i++) {
		struct use *a = &uses[i - 1], *b = &uses[i];

		if (a->kind != b->kind || a->guid != b->guid ||
		    a->pkey != b->pkey || a->ms == b->ms)
			continue;
		char who[40];

		if (b->kind == SRIOV_MEMBER_GUID)
			snprintf(who, sizeof(who), "port 0x%016" PRIx64,
				 b->guid);
		else
			snprintf(who, sizeof(who), "%s",
				 sriov_member_kind_name(b->kind));
		if (add_diag(
			    pc, &cap, b->m->line, b->m->column, "member-twice",
			    fmt_msg("%s is listed again in partition 0x%04x as %s; line %u made it %s, and OpenSM keeps %s",
				    who, b->pkey, sriov_membership_name(b->ms),
				    a->m->line, sriov_membership_name(a->ms),
				    allow_both ?
					    "both entries or the last, by allow_both_pkeys rules" :
					    "the last one")) < 0)
			goto oom;
	}
	if (n_everyone > size &&
	    add_diag(
		    pc, &cap, 0, 0, "table-full",
		    fmt_msg("every CA port is in %zu partitions (ALL/ALL_CAS and Default) but a P-key table is assumed to hold %u entries; OpenSM fails with ERR 0512 for the rest",
			    n_everyone, size)) < 0)
		goto oom;
	/* uses is sorted by GUID then P-key: count each port's partitions. */
	for (size_t i = 0; i < n;) {
		size_t j = i, count = n_everyone;
		uint16_t last = 0;

		if (uses[i].kind != SRIOV_MEMBER_GUID) {
			i++;
			continue;
		}
		for (; j < n && uses[j].kind == SRIOV_MEMBER_GUID &&
		       uses[j].guid == uses[i].guid;
		     j++) {
			if (uses[j].pkey != last && !everyone[uses[j].pkey])
				count++;
			last = uses[j].pkey;
		}
		if (count > size &&
		    add_diag(
			    pc, &cap, uses[i].m->line, uses[i].m->column,
			    "table-full",
			    fmt_msg("port 0x%016" PRIx64
				    " would get %zu P-keys but its table is assumed to hold %u (NodeInfo.PartitionCap; set --table-size); OpenSM fails with ERR 0512 for the rest",
				    uses[i].guid, count, size)) < 0)
			goto oom;
		i = j;
	}
	return 0;
oom:
	return sriov_error_set(err, -ENOMEM, "out of memory");
}

/* Writer */

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 31 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

int sriov_partitions_write(const struct sriov_partitions *pc, char **ret,
			   struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;

	for (size_t i = 0; i < pc->n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &pc->stmts[i];

		if (!name_ok(st->name))
			return sriov_error_set(
				err, -EINVAL,
				"partition name '%s' cannot be written (expected 1-31 of A-Z a-z 0-9 _ . -, starting with a letter or _)",
				st->name ? st->name : "");
		if (!sriov_pkey_is_valid(st->pkey) ||
		    (st->pkey & SRIOV_PKEY_FULL))
			return sriov_error_set(
				err, -EINVAL,
				"partition '%s': invalid p-key 0x%04x (expected 0x0001..0x7fff)",
				st->name, st->pkey);
		if (st->n_mgids)
			return sriov_error_set(
				err, -EINVAL,
				"partition '%s': mgid lines are not written",
				st->name);
		for (size_t k = 0; k < st->n_members; k++)
			if (st->members[k].kind == SRIOV_MEMBER_GUID &&
			    (!st->members[k].guid ||
			     st->members[k].guid == UINT64_MAX))
				return sriov_error_set(
					err, -EINVAL,
					"partition '%s': invalid port GUID 0x%016" PRIx64,
					st->name, st->members[k].guid);
	}
	f = open_memstream(&buf, &size);
	if (!f)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < pc->n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &pc->stmts[i];
		const struct sriov_prtn_flags *fl = &st->flags;

		fprintf(f, "%s=0x%04x", st->name, st->pkey);
		if (st->ipoib)
			fputs(", ipoib", f);
		if (st->indx0)
			fputs(", indx0", f);
		if (st->defmember_given)
			fprintf(f, ", defmember=%s",
				sriov_membership_name(st->defmember));
		if (fl->given & SRIOV_FLAG_MTU)
			fprintf(f, ", mtu=%u", fl->mtu);
		if (fl->given & SRIOV_FLAG_RATE)
			fprintf(f, ", rate=%u", fl->rate);
		if (fl->given & SRIOV_FLAG_SL)
			fprintf(f, ", sl=%u", fl->sl);
		for (unsigned b = 1; b < 16; b++)
			if ((fl->given & SRIOV_FLAG_SCOPE) &&
			    (fl->scope_mask & (1u << b)))
				fprintf(f, ", scope=%u", b);
		if (fl->given & SRIOV_FLAG_QKEY)
			fprintf(f, ", Q_Key=0x%08x", fl->qkey);
		if (fl->given & SRIOV_FLAG_TCLASS)
			fprintf(f, ", TClass=%u", fl->tclass);
		if (fl->given & SRIOV_FLAG_FLOW_LABEL)
			fprintf(f, ", FlowLabel=0x%05x", fl->flow_label);
		fputs(" :", f);
		for (size_t k = 0; k < st->n_members; k++) {
			const struct sriov_prtn_member *m = &st->members[k];

			if (m->kind == SRIOV_MEMBER_GUID)
				fprintf(f, "\n\t0x%016" PRIx64, m->guid);
			else
				fprintf(f, "\n\t%s",
					sriov_member_kind_name(m->kind));
			fprintf(f, "=%s%s",
				sriov_membership_name(m->membership),
				k + 1 < st->n_members ? "," : "");
		}
		fputs(" ;\n", f);
	}
	if (fclose(f) != 0)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	*ret = TAKE_PTR(buf);
	return 0;
}
