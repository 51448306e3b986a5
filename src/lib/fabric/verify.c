/* SPDX-License-Identifier: MIT */
/*
 * Intent against fabric: the tables OpenSM should have programmed
 * (sriov_partitions_predict() over the ports found) against the tables
 * the ports hold.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/ib.h>

#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

const char *sriov_pkey_diff_kind_name(enum sriov_pkey_diff_kind k)
{
	switch (k) {
	case SRIOV_PKEY_MISSING:
		return "missing";
	case SRIOV_PKEY_EXTRA:
		return "extra";
	default:
		return "membership";
	}
}

static int find_base(const uint16_t *keys, size_t n, uint16_t base,
		     uint16_t *ret)
{
	int found = 0;

	for (size_t i = 0; i < n; i++)
		if (keys[i] && sriov_pkey_base(keys[i]) == base) {
			*ret = keys[i];
			found++;
		}
	return found;
}

static bool has_key(const uint16_t *keys, size_t n, uint16_t k)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i] == k)
			return true;
	return false;
}

int sriov_ib_verify(const struct sriov_ib_fabric *f,
		    const struct sriov_partitions *pc, bool allow_both,
		    struct sriov_pkey_diff **ret, size_t *ret_n,
		    struct sriov_error *err)
{
	_cleanup_free_ struct sriov_fabric_port *ports = NULL;
	_cleanup_free_ struct sriov_pkey_diff *d = NULL;
	struct sriov_port_pkeys *want = NULL;
	size_t n = 0, cap = 0;
	int r;

	ports = calloc(f->n_ports + 1, sizeof(*ports));
	if (!ports)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < f->n_ports; i++)
		ports[i] = (struct sriov_fabric_port){
			.guid = f->ports[i].guid,
			.type = f->ports[i].type,
			.pkey_cap = f->ports[i].pkey_cap,
		};
	r = sriov_partitions_predict(pc, ports, f->n_ports, f->sm_guid,
				     allow_both ? SRIOV_PREDICT_ALLOW_BOTH : 0,
				     &want, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct sriov_mad_port *p = &f->ports[i];
		const struct sriov_port_pkeys *w = &want[i];

#define ADD(k, wv, hv)                                                         \
	do {                                                                   \
		if (grow_array((void **)&d, &cap, n, sizeof(*d)) < 0) {        \
			sriov_port_pkeys_free(want, f->n_ports);               \
			return sriov_error_set(err, -ENOMEM, "out of memory"); \
		}                                                              \
		d[n++] = (struct sriov_pkey_diff){                             \
			.port = i, .kind = (k), .want = (wv), .have = (hv)     \
		};                                                             \
	} while (0)
		for (size_t k = 0; k < w->n; k++) {
			uint16_t have = 0;

			if (has_key(p->pkeys, p->n_pkeys, w->pkeys[k]))
				continue;
			if (find_base(p->pkeys, p->n_pkeys,
				      sriov_pkey_base(w->pkeys[k]), &have) &&
			    !has_key(w->pkeys, w->n, have))
				ADD(SRIOV_PKEY_MEMBERSHIP, w->pkeys[k], have);
			else
				ADD(SRIOV_PKEY_MISSING, w->pkeys[k], 0);
		}
		for (size_t k = 0; k < p->n_pkeys; k++) {
			uint16_t other = 0;
			uint16_t h = p->pkeys[k];

			if (!sriov_pkey_is_valid(h) ||
			    has_key(w->pkeys, w->n, h))
				continue;
			/* Reported above as a membership difference. */
			if (find_base(w->pkeys, w->n, sriov_pkey_base(h),
				      &other))
				continue;
			ADD(SRIOV_PKEY_EXTRA, 0, h);
		}
#undef ADD
	}
	sriov_port_pkeys_free(want, f->n_ports);
	*ret = TAKE_PTR(d);
	*ret_n = n;
	return 0;
}
