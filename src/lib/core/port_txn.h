/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CORE_PORT_TXN_H
#define SRIOV_CORE_PORT_TXN_H

/*
 * The steps the port transactions (port_txn.c) and the drift check
 * (port_check.c) share, so a repair does what a bind does and a recovery
 * what an unbind does.
 */

#include <sriov/port.h>

/* Is the PF's netdev InfiniBand (ARPHRD_INFINIBAND)? False without one. */
bool port_pf_infiniband(struct sriov_root *root, const struct sriov_pf_ref *pf);

/* Tell the caller: @fmt is one line to log at @level. */
void port_event(const struct sriov_port_ctx *ctx, enum sriov_port_event ev,
		int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An event that is only counted. */
void port_count(const struct sriov_port_ctx *ctx, enum sriov_port_event ev);

/* A row of the store as the port layer reaches it: a VF, or a whole PF
 * (found by the PCI address recorded when it was free). */
int port_open_function(const struct sriov_port_ctx *ctx, const char *pf,
		       bool whole, unsigned index, const char *address,
		       struct sriov_port_vf *ret, struct sriov_error *err);
/* Scrub to the quarantine state and read it back. */
int port_scrub_function(const struct sriov_port_ctx *ctx,
			const struct sriov_port_vf *vf,
			struct sriov_error *err);

/* Configure: the VF's settings and driver (sriov_port_apply), or a whole
 * PF handed over; then, for a port with a P-key, the mlx4 table. */
int port_configure_settings(const struct sriov_port_ctx *ctx,
			    const struct sriov_port_vf *vf,
			    const struct sriov_port_request *req, uint64_t guid,
			    struct sriov_error *err);
int port_configure_pkey(const struct sriov_port_ctx *ctx,
			const struct sriov_port_vf *vf,
			const struct sriov_port_request *req,
			struct sriov_error *err);

/* The stored request of @p back as a struct, with the GUID it was given
 * (0 when none); the config is not consulted, so a changed config cannot
 * make a bound port unreadable. */
int port_stored_request(const struct sriov_store_port *p,
			struct sriov_port_request *req, uint64_t *guid,
			struct sriov_error *err);

/*
 * The cluster side (port_cluster.c), used by the transactions when
 * ctx->cluster is set.
 */
/* Is the store reachable and the lease alive (the hook, else a keepalive)?
 * Before the journal of an InfiniBand bind. */
int port_cluster_ready(const struct sriov_port_ctx *ctx,
		       struct sriov_error *err);
/*
 * The GUID of an InfiniBand port, claimed in the store before any VF gets
 * it: the request's (refused when another port holds it), or under the
 * allocate policy prefix + the journal sequence, then the next free one
 * after each claim lost to another host. The port's stored settings name
 * each candidate before its claim is sent, so a rollback or a recovery
 * knows which claim to release.
 */
int port_cluster_guid(const struct sriov_port_ctx *ctx,
		      const struct sriov_port_request *req, int64_t seq,
		      uint64_t *ret, struct sriov_error *err);
/* Publish the bound port @id (ports/<id>, with the lease); a failure is a
 * CLUSTER_PENDING event, never the bind's. */
void port_cluster_publish(const struct sriov_port_ctx *ctx, const char *id);
/* The port @id is gone from the store: delete ports/<id> if this host's,
 * and release the claim of @guid (0: none) if the port's. A failure is a
 * CLUSTER_PENDING event. */
void port_cluster_unpublish(const struct sriov_port_ctx *ctx, const char *id,
			    uint64_t guid);

#endif
