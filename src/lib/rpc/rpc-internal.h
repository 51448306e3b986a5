/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_RPC_INTERNAL_H
#define SRIOV_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* s[0..n) is well-formed UTF-8 (no surrogates, no overlong forms). */
bool rpc_utf8_valid(const char *s, size_t n);

/* uuid.uuid4().hex: 32 lowercase hex digits and a NUL into buf[33]. */
int rpc_uuid_hex(char buf[33]);

/* An AMQP short string we send or accept as a name: 1..255 printable ASCII. */
bool rpc_name_ok(const char *s);

struct sriov_rpc_url;

/*
 * The delay before reconnection round @round (0-based) in ms:
 * rabbit_retry_interval + rabbit_retry_backoff * (2^round - 1) seconds,
 * at most rabbit_interval_max, then a uniform jitter into its upper half
 * drawn from @rnd.
 */
unsigned rpc_backoff_ms(const struct sriov_rpc_url *u, unsigned round,
			uint32_t rnd);

#endif
