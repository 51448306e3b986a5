/* SPDX-License-Identifier: MIT */
/* The fake ConnectX-3 tree, copied per test (mlx4_fixture.h). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mlx4_fixture.h"

int mlx4_fx_setup(void **state)
{
	struct mlx4_fx *f = calloc(1, sizeof(*f));
	struct sriov_error e = { 0 };
	char cmd[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sriov-test-mlx4-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/mlx4-seed/sys' '%s/'",
		 SRIOV_FIXTURES_BUILD, f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->dir);
	if (sriov_root_open(f->sys, f->dir, &f->root, &e) < 0)
		fail_msg("root %s: %s", f->sys, e.msg);
	*state = f;
	return 0;
}

int mlx4_fx_teardown(void **state)
{
	struct mlx4_fx *f = *state;
	char cmd[128];

	sriov_root_free(f->root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

const char *mlx4_fx_read(const struct mlx4_fx *f, const char *rel)
{
	static char buf[256];
	char p[PATH_MAX];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", f->sys, rel);
	fp = fopen(p, "r");
	if (!fp)
		fail_msg("cannot open %s", p);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

void mlx4_fx_write(const struct mlx4_fx *f, const char *rel, const char *val)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->sys, rel);
	fp = fopen(p, "w");
	if (!fp)
		fail_msg("cannot open %s for writing", p);
	fputs(val, fp);
	fclose(fp);
}

const char *mlx4_fx_slots(const struct mlx4_fx *f, const char *port_dir)
{
	static char out[256];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < MLX4_FX_SLOTS; i++) {
		char rel[256];

		snprintf(rel, sizeof(rel), "%s/pkey_idx/%d", port_dir, i);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? "," : "", mlx4_fx_read(f, rel));
	}
	return out;
}

char *mlx4_fx_snapshot(const struct mlx4_fx *f)
{
	char cmd[512];
	char *buf = calloc(1, 1 << 16);
	FILE *p;
	size_t n;

	assert_non_null(buf);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/" MLX4_FX_IOV "' && find . -type f | sort | "
		 "xargs grep -H ''",
		 f->sys);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, (1 << 16) - 1, p);
	pclose(p);
	assert_true(n > 100);
	return buf;
}
