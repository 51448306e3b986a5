/* SPDX-License-Identifier: MIT */
/*
 * The file: the operator's static partitions, with the cloud's ports
 * added, written by the library's partitions.conf writer and read back by
 * its parser and linter before anyone installs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fabricd.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

void fd_sha256(const void *text, size_t len, char buf[static 80])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	memcpy(buf, "sha256:", 7);
	if (!EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		/* libcrypto out of memory: a checksum that matches nothing */
		memset(buf + 7, '0', 64);
		buf[71] = '\0';
		return;
	}
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + 7 + 2 * i, 3, "%02x", md[i]);
}

/* pkXXXX: the name of a generated partition. */
static bool generated_name(const char *s, uint16_t *ret)
{
	unsigned v = 0;

	if (strlen(s) != 6 || s[0] != 'p' || s[1] != 'k' ||
	    strspn(s + 2, "0123456789abcdef") != 4)
		return false;
	for (int i = 2; i < 6; i++)
		v = v << 4 |
		    (unsigned)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	*ret = (uint16_t)v;
	return true;
}

void fd_static_release(struct fd_static *s)
{
	if (!s)
		return;
	free(s->path);
	sriov_partitions_release(&s->pc);
	memset(s, 0, sizeof(*s));
}

int fd_static_load(const char *path, const struct sriov_lint_opts *lo,
		   struct fd_static *ret, struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct fd_static s = { 0 };
	struct model empty;
	struct fd_header h = { .leader = "check", .term = 1, .revision = 1 };
	struct fd_render r = { 0 };
	bool have_default = false;
	size_t len;
	int rc;

	/* an intent, as sriovctl fabric reads one */
	if ((rc = read_file_capped(path, INPUT_MAX_PARTITIONS, &buf, &len,
				   err)) < 0)
		return rc;
	rc = sriov_intent_parse(buf, len, path, &s.pc, err);
	if (rc < 0)
		return rc;
	s.path = strdup(path);
	if (!s.path) {
		fd_static_release(&s);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < s.pc.n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &s.pc.stmts[i];
		uint16_t g;

		if (st->pkey == SRIOV_PKEY_DEFAULT)
			have_default = true;
		if (generated_name(st->name, &g) && g != st->pkey) {
			rc = sriov_error_set_at(
				err, -EINVAL, path, st->line, st->column,
				"partition '%s' has P-key 0x%04x, but names of the form pkXXXX are those sriov-fabricd gives P-key 0xXXXX (rename it)",
				st->name, st->pkey);
			fd_static_release(&s);
			return rc;
		}
		s.pkey_static[st->pkey] = true;
	}
	if (!have_default) {
		fd_static_release(&s);
		return sriov_error_set(
			err, -EINVAL,
			"%s: no Default (0x7fff) partition: sriov-fabricd keeps the static partitions as they are, and without Default OpenSM makes every port a limited member of 0x7fff; declare it, e.g. {name: Default, pkey: 0x7fff, members: [{group: ALL_SWITCHES, membership: full}, {group: SELF, membership: full}]}",
			path);
	}
	/* What it renders to alone must pass our own check. */
	rc = model_init(&empty, NULL, "check", err);
	if (rc >= 0) {
		rc = fd_render(&s, &empty, &h, &r, err);
		if (rc < 0)
			sriov_error_prefix(err, "%s", path);
	}
	if (rc >= 0)
		rc = fd_check(r.text, r.len, path, lo, err);
	fd_render_release(&r);
	model_release(&empty);
	if (rc < 0) {
		fd_static_release(&s);
		return rc;
	}
	*ret = s;
	return 0;
}

/* ---- members ---- */

struct mem {
	uint16_t pkey;
	enum sriov_membership ms;
	uint64_t guid;
	int64_t crev;
	const char *id;
	const struct fd_port *port;
	bool held, pf;
};

static int cmp_guid_crev(const void *a, const void *b)
{
	const struct mem *x = a, *y = b;

	if (x->guid != y->guid)
		return x->guid < y->guid ? -1 : 1;
	if (x->crev != y->crev)
		return x->crev < y->crev ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_pkey_guid(const void *a, const void *b)
{
	const struct mem *x = a, *y = b;

	if (x->pkey != y->pkey)
		return x->pkey < y->pkey ? -1 : 1;
	if (x->guid != y->guid)
		return x->guid < y->guid ? -1 : 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Two memberships of one GUID in one partition: full and limited make
 * both (allow_both_pkeys; without it OpenSM makes "both" full). */
static enum sriov_membership ms_union(enum sriov_membership a,
				      enum sriov_membership b)
{
	return a == b ? a : SRIOV_MEMBER_BOTH;
}

void fd_render_release(struct fd_render *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->pkeys);
	free(r->conflicts);
	memset(r, 0, sizeof(*r));
}

static int add_conflict(struct fd_render *r, size_t *cap, const char *key,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int add_conflict(struct fd_render *r, size_t *cap, const char *key,
			const char *fmt, ...)
{
	va_list ap;

	if (grow_array((void **)&r->conflicts, cap, r->n_conflicts,
		       sizeof(*r->conflicts)) < 0)
		return -ENOMEM;
	snprintf(r->conflicts[r->n_conflicts].key, sizeof(r->conflicts[0].key),
		 "%s", key);
	va_start(ap, fmt);
	vsnprintf(r->conflicts[r->n_conflicts].error,
		  sizeof(r->conflicts[0].error), fmt, ap);
	va_end(ap);
	r->n_conflicts++;
	return 0;
}

/* The ports that are members, with their GUIDs, one GUID one port. */
static int gather(const struct model *m, struct fd_render *r, struct mem **ret,
		  size_t *ret_n)
{
	size_t n = 0, cap = m->ports.n + m->held.n + 1, ccap = 0, k = 0;
	struct mem *v = calloc(cap, sizeof(*v)), *out;
	const char *id;
	void *val;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; map_next(&m->ports, &i, &id, &val);) {
		const struct fd_port *p = val;

		if (p->kind == FD_OURS)
			v[n++] = (struct mem){ .pkey = p->pkey,
					       .ms = p->ms,
					       .guid = p->guid,
					       .crev = p->create_revision,
					       .id = id,
					       .port = p };
	}
	for (size_t i = 0; map_next(&m->held, &i, &id, &val);) {
		const struct fd_port *p = val;

		/* ports/<id> in any form is the truth about that port */
		if (p->kind == FD_OURS && !map_get(&m->ports, id))
			v[n++] = (struct mem){ .pkey = p->pkey,
					       .ms = p->ms,
					       .guid = p->guid,
					       .crev = p->create_revision,
					       .id = id,
					       .port = p,
					       .held = true };
	}
	qsort(v, n, sizeof(*v), cmp_guid_crev);
	/* room for every PF GUID too */
	out = calloc(2 * n + 1, sizeof(*out));
	if (!out) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char key[SRIOV_CLUSTER_KEY_MAX], g[19];

		if (i && v[i].guid == v[i - 1].guid) {
			snprintf(key, sizeof(key), "%s%s",
				 v[i].held ? m->held_prefix : m->ports_prefix,
				 v[i].id);
			if (add_conflict(
				    r, &ccap, key,
				    "%s: guid %s is port %s's too (created first, at revision %" PRId64
				    "); this port is left out of the partitions until one of them goes",
				    key, sriov_guid_format(v[i].guid, g),
				    v[i - 1].id, v[i - 1].crev) < 0) {
				free(v);
				free(out);
				return -ENOMEM;
			}
			/* a third with this GUID names the first, too */
			v[i].crev = v[i - 1].crev;
			v[i].id = v[i - 1].id;
			continue;
		}
		out[k++] = v[i];
		if (v[i].held)
			r->held++;
		r->ports++;
		if (v[i].port->pf_guid) {
			out[k] = v[i];
			out[k].guid = v[i].port->pf_guid;
			out[k].pf = true;
			k++;
		}
	}
	free(v);
	*ret = out;
	*ret_n = k;
	return 0;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int fd_render(const struct fd_static *st, const struct model *m,
	      const struct fd_header *h, struct fd_render *ret,
	      struct sriov_error *err)
{
	struct fd_render r = { 0 };
	_cleanup_free_ struct mem *mem = NULL;
	_cleanup_free_ struct sriov_prtn_stmt *stmts = NULL;
	_cleanup_free_ char *body = NULL, *path = NULL;
	_cleanup_free_ uint64_t *sguids = NULL;
	struct sriov_prtn_member **owned = NULL;
	char **names = NULL;
	size_t n_mem = 0, n_stmts = 0, n_owned = 0, n_sguids = 0, j = 0,
	       pcap = 0;
	struct sriov_partitions pc = { 0 };
	int rc = -ENOMEM;

	if (gather(m, &r, &mem, &n_mem) < 0)
		goto oom;
	qsort(mem, n_mem, sizeof(*mem), cmp_pkey_guid);
	/* one entry per (P-key, GUID) */
	for (size_t i = 0; i < n_mem; i++) {
		if (j && mem[j - 1].pkey == mem[i].pkey &&
		    mem[j - 1].guid == mem[i].guid) {
			mem[j - 1].ms = ms_union(mem[j - 1].ms, mem[i].ms);
			continue;
		}
		mem[j++] = mem[i];
	}
	n_mem = j;
	stmts = calloc(st->pc.n_stmts + n_mem + 1, sizeof(*stmts));
	owned = calloc(st->pc.n_stmts + n_mem + 1, sizeof(*owned));
	names = calloc(n_mem + 1, sizeof(*names));
	if (!stmts || !owned || !names)
		goto oom;
	/* static statements, each with the ports of its P-key */
	for (size_t i = 0; i < st->pc.n_stmts; i++) {
		const struct sriov_prtn_stmt *s = &st->pc.stmts[i];
		size_t a = 0, b, extra = 0;
		struct sriov_prtn_member *mm;

		stmts[n_stmts] = *s;
		while (a < n_mem && mem[a].pkey < s->pkey)
			a++;
		for (b = a; b < n_mem && mem[b].pkey == s->pkey; b++)
			;
		if (a == b) {
			n_stmts++;
			continue;
		}
		free(sguids);
		sguids = calloc(s->n_members + 1, sizeof(*sguids));
		if (!sguids)
			goto oom;
		n_sguids = 0;
		for (size_t k = 0; k < s->n_members; k++)
			if (s->members[k].kind == SRIOV_MEMBER_GUID)
				sguids[n_sguids++] = s->members[k].guid;
		qsort(sguids, n_sguids, sizeof(*sguids), cmp_u64);
		mm = calloc(s->n_members + (b - a) + 1, sizeof(*mm));
		if (!mm)
			goto oom;
		owned[n_owned++] = mm;
		memcpy(mm, s->members, s->n_members * sizeof(*mm));
		for (size_t k = a; k < b; k++) {
			/* the intent's membership of a GUID it names wins */
			if (bsearch(&mem[k].guid, sguids, n_sguids,
				    sizeof(*sguids), cmp_u64))
				continue;
			mm[s->n_members + extra++] = (struct sriov_prtn_member){
				.kind = SRIOV_MEMBER_GUID,
				.guid = mem[k].guid,
				.membership = mem[k].ms,
				.explicit_membership = true,
			};
		}
		stmts[n_stmts].members = mm;
		stmts[n_stmts].n_members = s->n_members + extra;
		n_stmts++;
	}
	/* then one generated statement per other P-key */
	for (size_t a = 0, b; a < n_mem; a = b) {
		struct sriov_prtn_member *mm;
		struct sriov_prtn_stmt *s;

		for (b = a; b < n_mem && mem[b].pkey == mem[a].pkey; b++)
			;
		if (st->pkey_static[mem[a].pkey])
			continue;
		mm = calloc(b - a, sizeof(*mm));
		if (!mm)
			goto oom;
		owned[n_owned++] = mm;
		for (size_t k = a; k < b; k++)
			mm[k - a] = (struct sriov_prtn_member){
				.kind = SRIOV_MEMBER_GUID,
				.guid = mem[k].guid,
				.membership = mem[k].ms,
				.explicit_membership = true,
			};
		s = &stmts[n_stmts++];
		if (asprintf(&names[a], "pk%04x", mem[a].pkey) < 0) {
			names[a] = NULL;
			goto oom;
		}
		*s = (struct sriov_prtn_stmt){
			.name = names[a],
			.pkey = mem[a].pkey,
			.pkey_given = true,
			.ipoib = true,
			.members = mm,
			.n_members = b - a,
		};
	}
	pc.stmts = stmts;
	pc.n_stmts = n_stmts;
	rc = sriov_partitions_write(&pc, &body, err);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	/* counts per P-key, sorted */
	for (size_t i = 0; i < n_stmts; i++) {
		if (grow_array((void **)&r.pkeys, &pcap, r.n_pkeys,
			       sizeof(*r.pkeys)) < 0)
			goto oom;
		r.pkeys[r.n_pkeys++] = (struct sriov_cluster_pkey_count){
			stmts[i].pkey, (unsigned)stmts[i].n_members
		};
		r.members += (unsigned)stmts[i].n_members;
	}
	for (size_t a = 1; a < r.n_pkeys; a++)
		for (size_t b = a;
		     b > 0 && r.pkeys[b - 1].pkey > r.pkeys[b].pkey; b--) {
			struct sriov_cluster_pkey_count t = r.pkeys[b];

			r.pkeys[b] = r.pkeys[b - 1];
			r.pkeys[b - 1] = t;
		}
	path = strdup(st->path ? st->path : "-");
	if (!path)
		goto oom;
	sanitize(path);
	{
		char *text = NULL;
		int n = asprintf(
			&text,
			"# Written by sriov-fabricd for fabric %s from store revision %" PRId64
			" (leader %s, term %" PRId64 "); do not edit.\n"
			"# Static partitions from %s; %u port(s), %u of them held through the grace period.\n",
			m->fabric, h->revision, h->leader, h->term, path,
			r.ports, r.held);
		size_t hl, bl = strlen(body);

		if (n < 0)
			goto oom;
		hl = (size_t)n;
		r.text = realloc(text, hl + bl + 1);
		if (!r.text) {
			free(text);
			goto oom;
		}
		memcpy(r.text + hl, body, bl + 1);
		r.len = hl + bl;
		r.body_off = hl;
	}
	*ret = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
	goto out;
oom:
	rc = sriov_error_set(err, -ENOMEM, "out of memory rendering %s",
			     m->fabric);
out:
	for (size_t i = 0; owned && i < n_owned; i++)
		free(owned[i]);
	free(owned);
	for (size_t i = 0; names && i < n_mem; i++)
		free(names[i]);
	free(names);
	fd_render_release(&r);
	return rc;
}

int fd_check(const char *text, size_t len, const char *name,
	     const struct sriov_lint_opts *lo, struct sriov_error *err)
{
	struct sriov_partitions pc;
	char first[1024] = "";
	size_t nerr;
	int r;

	r = sriov_partitions_parse(text, len, name, &pc, err);
	if (r < 0)
		return r;
	r = sriov_partitions_lint(&pc, lo, err);
	if (r < 0) {
		sriov_partitions_release(&pc);
		return r;
	}
	nerr = sriov_partitions_count(&pc, SRIOV_DIAG_ERROR);
	for (size_t i = 0; i < pc.n_diags; i++)
		if (pc.diags[i].level == SRIOV_DIAG_ERROR) {
			sriov_diag_format(&pc, &pc.diags[i], first,
					  sizeof(first));
			break;
		}
	if (!nerr && pc.fallback)
		snprintf(first, sizeof(first),
			 "%s: OpenSM would discard it and open the fabric",
			 name);
	sriov_partitions_release(&pc);
	if (nerr || first[0])
		return sriov_error_set(
			err, -EINVAL,
			"the rendered partitions.conf fails our check (%zu error(s)), so it was not written: %s",
			nerr, first);
	return 0;
}
