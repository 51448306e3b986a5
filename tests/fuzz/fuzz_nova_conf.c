/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the nova.conf reader (oslo.config's rules) and nova
 * check on what it reads. libFuzzer build (tests/fuzz/nova.cmake,
 * -DSRIOV_FUZZ=ON with clang):
 *
 *   ./fuzz_nova_conf tests/fuzz/corpus-nova-conf tests/nova/conf-corpus
 *
 * CTest replays both corpora through the same function (fuzz.nova-conf).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The number of lines as Python's readlines() counts them. */
static unsigned lines(const char *s, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i++;
		if (s[i] == '\n' || s[i] == '\r' || i + 1 == n)
			k++;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sriov_nova_conf conf = { 0 };
	struct sriov_nova_report rep = { 0 };
	struct sriov_error err = { 0 };
	unsigned nl = lines(buf, size);
	int r = sriov_nova_conf_parse(buf, size, "fuzz", &conf, &err);

	if (r < 0 && (r != -EINVAL || strncmp(err.msg, "fuzz:", 5)))
		abort();
	bool after_spec = false;
	for (size_t i = 0; r == 0 && i < conf.n; i++) {
		const struct sriov_nova_conf_value *v = &conf.values[i];
		bool old = !strcmp(v->key, "passthrough_whitelist") ||
			   !strcmp(v->key, "pci_passthrough_whitelist") ||
			   !strcmp(v->key, "pci_alias");
		if (v->line < 1 || v->line > nl || v->len < strlen(v->value) ||
		    v->deprecated != old)
			abort();
		/* device_spec's values, then alias's */
		if (v->option == SRIOV_NOVA_ALIAS)
			after_spec = true;
		else if (after_spec)
			abort();
	}
	sriov_nova_conf_release(&conf);
	if (nova_check_buf(NULL, buf, size, NULL, &rep) < 0)
		abort();
	/* a refused file is one error, option NULL, at a line of it */
	for (size_t i = 0; i < rep.n; i++) {
		const struct sriov_nova_problem *p = &rep.problems[i];
		if ((!p->option) != (r < 0) || (r < 0 && rep.n != 1) ||
		    !p->message || p->line < 1 || p->line > nl ||
		    (i && p->line < rep.problems[i - 1].line))
			abort();
	}
	if (r < 0 && rep.n != 1)
		abort();
	sriov_nova_report_release(&rep);
	return 0;
}
