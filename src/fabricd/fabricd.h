/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_FABRICD_H
#define SRIOV_FABRICD_H

/*
 * sriov-fabricd: one InfiniBand subnet's partitions.conf from the cloud's
 * ports in etcd (docs/cluster.md, "The fabric controller").
 *
 *   model.c    the ports of the store as the controller follows them
 *   render.c   static intent + model -> partitions.conf text, checked
 *   ctl.c      election, watches, lost ports, the render pipeline, status,
 *              `fabric verify` over MADs in a child process
 *   metrics.c  Prometheus text, over HTTP and to a file
 *   main.c     options, signals, sd_notify, the poll loop
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sriov/cluster.h>
#include <sriov/partitions.h>

#include "map.h"

/* ---- model.c ---- */

enum fd_kind {
	FD_OURS, /* an InfiniBand port of this fabric, bound: a member */
	FD_UNBINDING, /* of this fabric, state "unbinding": not a member */
	FD_OTHER_FABRIC, /* InfiniBand, another fabric */
	FD_ETHERNET, /* no fabric at all */
	FD_REJECTED, /* a value or key that does not parse */
};

struct fd_port {
	enum fd_kind kind;
	uint16_t pkey;
	enum sriov_membership ms;
	uint64_t guid, pf_guid;
	int64_t lease, create_revision, mod_revision;
	char *fabric; /* FD_OTHER_FABRIC */
	char *error; /* FD_REJECTED: the parser's message, naming the key */
};

void fd_port_free(struct fd_port *p);

/*
 * What the controller knows of the store: every key under ports/ (by
 * port id), and this fabric's held ports (fabrics/<name>/held/, by port
 * id). Keys that are not of the schema are kept by key with their error.
 */
struct model {
	struct sriov_cluster_keys keys;
	char fabric[SRIOV_CLUSTER_ID_MAX];
	char ports_prefix[SRIOV_CLUSTER_KEY_MAX];
	char held_prefix[SRIOV_CLUSTER_KEY_MAX];
	char fabric_prefix[SRIOV_CLUSTER_KEY_MAX]; /* fabrics/<name>/ */
	struct map ports; /* id -> struct fd_port */
	struct map held; /* id -> struct fd_port (FD_OURS or FD_REJECTED) */
	struct map bad_keys; /* key -> char *error */
	int64_t revision; /* the store revision the model reflects */
};

int model_init(struct model *m, const char *root, const char *fabric,
	       struct sriov_error *err);
void model_clear(struct model *m); /* forget every key, keep the names */
void model_release(struct model *m);

/*
 * Apply a put of @kv (a key under ports/ or the held prefix; others are
 * ignored, return 0). The previous entry is returned in @ret_old (free
 * it) or freed when @ret_old is NULL. Return 1 when the key was of the
 * model, 0 when ignored, -ENOMEM.
 */
int model_put(struct model *m, const struct sriov_etcd_kv *kv,
	      struct fd_port **ret_old);
/* A delete of @key: as model_put(). */
int model_delete(struct model *m, const char *key, size_t key_len,
		 struct fd_port **ret_old);
/* The id of a ports/ key (NULL: not one), into @buf. */
const char *model_port_id(const struct model *m, const char *key,
			  size_t key_len,
			  char buf[static SRIOV_CLUSTER_ID_MAX]);
/* Is @key under the held prefix? */
bool model_is_held_key(const struct model *m, const char *key, size_t len);

struct fd_counts {
	unsigned ours, unbinding, other, ethernet, rejected, held;
};
void model_counts(const struct model *m, struct fd_counts *ret);

/* ---- render.c ---- */

struct fd_static {
	char *path;
	struct sriov_partitions pc; /* the intent's statements */
	bool pkey_static[0x8000]; /* a P-key the intent declares */
};

/**
 * fd_static_load() - read and check the static intent
 *
 * The intent must parse, declare Default (0x7fff), use no name of the
 * form pkXXXX for another P-key (those are the generated partitions'),
 * and render to a file that our parser and linter accept.
 */
int fd_static_load(const char *path, const struct sriov_lint_opts *lo,
		   struct fd_static *ret, struct sriov_error *err);
void fd_static_release(struct fd_static *s);

struct fd_conflict {
	char key[SRIOV_CLUSTER_KEY_MAX];
	char error[400];
};

struct fd_render {
	char *text; /* the whole file */
	size_t len;
	size_t body_off; /* where the statements start (after the header) */
	struct sriov_cluster_pkey_count *pkeys; /* sorted by P-key */
	size_t n_pkeys;
	unsigned ports, held, members;
	struct fd_conflict *conflicts; /* ports left out, and why */
	size_t n_conflicts;
};
void fd_render_release(struct fd_render *r);

struct fd_header {
	const char *leader; /* the controller's id */
	int64_t term; /* 0: --once without an election... (never 0 in use) */
	int64_t revision;
};

/**
 * fd_render() - the partitions.conf of @st plus the members of @m
 *
 * Static statements first, in their order, each with the ports of its
 * P-key added (a GUID the intent lists there keeps the intent's
 * membership); then one statement "pkXXXX=0xXXXX, ipoib" per other
 * P-key, in P-key order; members sorted by GUID. A port adds its GUID with
 * its membership, and its pf_guid (mlx4) with the union of the
 * memberships of every port of that PF in the P-key. Of two ports with
 * one GUID, the one created first keeps it (the other is a conflict).
 */
int fd_render(const struct fd_static *st, const struct model *m,
	      const struct fd_header *h, struct fd_render *ret,
	      struct sriov_error *err);

/**
 * fd_check() - parse and lint @text as OpenSM would read it
 * Return: 0 clean (warnings allowed), -EINVAL with @err holding the first
 * error and the count, or -ENOMEM.
 */
int fd_check(const char *text, size_t len, const char *name,
	     const struct sriov_lint_opts *lo, struct sriov_error *err);

/* "sha256:<64 hex>" of @len bytes of @text into @buf (80 bytes). */
void fd_sha256(const void *text, size_t len, char buf[static 80]);

/* ---- metrics.c ---- */

#define FD_BUCKETS 12
struct fd_histogram {
	uint64_t count[FD_BUCKETS + 1];
	double sum;
	uint64_t n;
};
void fd_histogram_add(struct fd_histogram *h, double seconds);

struct fd_metrics {
	uint64_t renders_written, renders_unchanged, renders_refused;
	uint64_t errors_store, errors_install, errors_signal, errors_verify;
	uint64_t signals_sent, verify_ok, verify_failed;
	uint64_t lost_held, unbinds, elections_won, depositions;
	struct fd_histogram convergence; /* first event -> file in place */
	struct fd_histogram render; /* render + check */
};

struct ctl;
/* The Prometheus text format of everything fabricd exports (malloc'd). */
char *fd_metrics_text(const struct ctl *c);

/* ---- log (main.c) ---- */

void fd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) fd_log(3, __VA_ARGS__)
#define log_warn(...) fd_log(4, __VA_ARGS__)
#define log_notice(...) fd_log(5, __VA_ARGS__)
#define log_info(...) fd_log(6, __VA_ARGS__)
#define log_debug(...) fd_log(7, __VA_ARGS__)
extern int fd_log_level;

int64_t fd_now_ms(void); /* CLOCK_MONOTONIC */

#endif
