/* SPDX-License-Identifier: MIT */
/*
 * mlx4 VF P-key tables and alias GUIDs on fake iov/ trees
 * (tests/fixtures/hosts/mlx4-seed.json: the seed talk's example, table
 * lengths as drivers/infiniband/hw/mlx4/sysfs.c and mlx4_core make them).
 * Each test works on its own copy of the tree. Expected values come from
 * the fixture's description and the talk, not from the library.
 */
#include <errno.h>
#include <fcntl.h>
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

#include <sriov/ib.h>
#include "mlx4_fixture.h"
#include "assert_msg.h"

void ib_set_write_hook(int (*fn)(void *, int, const char *const *,
				 const char *),
		       void *ud);

#define IOV MLX4_FX_IOV
#define VF0P2 MLX4_FX_VF0P2
#define VF1P2 MLX4_FX_VF1P2

static int teardown(void **state)
{
	ib_set_write_hook(NULL, NULL);
	return mlx4_fx_teardown(state);
}

static void resolve(struct mlx4_fx *f, const char *dev, const char *vf,
		    unsigned port, struct sriov_ib_vf *v)
{
	struct sriov_error e = { 0 };

	if (sriov_ib_vf_resolve(f->root, dev, vf, port, v, &e) < 0)
		fail_msg("resolve %s %s: %s", dev, vf, e.msg);
}

static void test_resolve(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_ib_vf a, b, c;
	struct sriov_error e = { 0 };

	resolve(f, "ib0", "1", 0, &a);
	resolve(f, "mlx4_0", "0000:41:00.2", 0, &b);
	resolve(f, "0000:41:00.0", "1", 0, &c);
	assert_true(a.mlx4);
	assert_string_equal(a.rdma, "mlx4_0");
	assert_string_equal(a.pf_dev, "0000:41:00.0");
	assert_int_equal(a.vf, 1);
	assert_int_equal(b.vf, 1);
	assert_string_equal(a.vf_addr, "0000:41:00.2");
	/* The kernel's folder for function 2. */
	assert_string_equal(a.iov_fn, "0000:41:00.2");
	assert_string_equal(b.iov_fn, a.iov_fn);
	assert_string_equal(c.iov_fn, a.iov_fn);
	/* Port 1 is Ethernet: the first InfiniBand port is 2. */
	assert_int_equal(a.port, 2);
	assert_int_equal(sriov_ib_vf_resolve(f->root, "mlx4_0", "0000:41:00.0",
					     0, &a, &e),
			 -EINVAL);
	assert_msg_has(e.msg, "PF itself");
	assert_int_equal(sriov_ib_vf_resolve(f->root, "mlx4_0", "2", 0, &a, &e),
			 -ENOENT);
	assert_int_equal(sriov_ib_vf_resolve(f->root, "mlx4_0", "0000:41:00.7",
					     0, &a, &e),
			 -ENOENT);
}

/* The talk: physical 0xffff, 0xb000, 0xb030; VF1 [1, 0]; VF2 [2, 0]. */
static void test_read_seed(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_mlx4_pkeys t;
	struct sriov_error e = { 0 };
	struct sriov_ib_vf v;

	resolve(f, "mlx4_0", "0", 2, &v);
	assert_int_equal(sriov_mlx4_pkeys_read(f->root, &v, &t, &e), 0);
	assert_int_equal(t.n_phys, 8);
	assert_int_equal(t.n_idx, 7); /* physical length - 1 */
	assert_int_equal(t.phys[0], 0xffff);
	assert_int_equal(t.phys[1], 0xb000);
	assert_int_equal(t.phys[2], 0xb030);
	assert_int_equal(t.idx[0], 1);
	assert_int_equal(t.idx[1], 0);
	for (size_t i = 2; i < t.n_idx; i++)
		assert_int_equal(t.idx[i], -1);
	sriov_mlx4_pkeys_release(&t);
}

/* Give VF 0 what the talk gives VF2: [0xb030, 0xffff] = [2, 0]. */
static void test_set_seed(void **state)
{
	struct mlx4_fx *f = *state;
	const uint16_t want[] = { 0xb030, 0xffff };
	struct sriov_error e = { 0 };
	struct sriov_ib_vf v;
	unsigned written = 99;

	resolve(f, "ib0", "0", 0, &v);
	assert_int_equal(
		sriov_mlx4_pkeys_set(f->root, &v, want, 2, &written, &e), 0);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,0,none,none,none,none,none");
	assert_int_equal(written, 1); /* slot 1 was already 0 */
	/* VF 1 untouched */
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "2,0,none,none,none,none,none");
}

/* `none` empties a slot: a shorter list clears what was there. */
static void test_none_empties(void **state)
{
	struct mlx4_fx *f = *state;
	const uint16_t three[] = { 0xffff, 0xb000, 0xb030 }, one[] = { 0xb000 };
	struct sriov_error e = { 0 };
	struct sriov_ib_vf v;

	resolve(f, "mlx4_0", "1", 0, &v);
	assert_int_equal(sriov_mlx4_pkeys_set(f->root, &v, three, 3, NULL, &e),
			 0);
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "0,1,2,none,none,none,none");
	assert_int_equal(sriov_mlx4_pkeys_set(f->root, &v, one, 1, NULL, &e),
			 0);
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "1,none,none,none,none,none,none");
	/* An empty list empties the table. */
	assert_int_equal(sriov_mlx4_pkeys_set(f->root, &v, NULL, 0, NULL, &e),
			 0);
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "none,none,none,none,none,none,none");
}

static void expect_refused(struct mlx4_fx *f, const struct sriov_ib_vf *v,
			   const uint16_t *want, size_t n, int code,
			   const char *const *words)
{
	struct sriov_error e = { 0 };
	char *before = mlx4_fx_snapshot(f), *after;

	assert_int_equal(sriov_mlx4_pkeys_set(f->root, v, want, n, NULL, &e),
			 code);
	for (; words && *words; words++)
		if (!strstr(e.msg, *words))
			fail_msg("'%s' not in: %s", *words, e.msg);
	after = mlx4_fx_snapshot(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Bad input changes no file. */
static void test_bad_input_changes_nothing(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_ib_vf v, eth, pf;
	const uint16_t missing[] = { 0xb000, 0x8005 };
	const uint16_t limited[] = { 0x3000 };
	const uint16_t twice[] = { 0xb000, 0xffff, 0xb000 };
	const uint16_t many[] = { 0xffff, 0xb000, 0xb030, 0x8001,
				  0x8002, 0x8003, 0x8004, 0x8005 };
	const uint16_t zero[] = { 0x8000 };
	const uint16_t ok[] = { 0xffff };

	resolve(f, "mlx4_0", "0", 0, &v);
	expect_refused(f, &v, missing, 2, -ENOENT,
		       (const char *const[]){ "0x8005", "port 2",
					      "subnet manager has not given",
					      NULL });
	/* Limited 0x3000 is not full 0xb000: named, with the other one. */
	expect_refused(f, &v, limited, 1, -ENOENT,
		       (const char *const[]){ "0x3000", "0xb000", "limited",
					      NULL });
	expect_refused(f, &v, twice, 3, -EINVAL,
		       (const char *const[]){ "twice", NULL });
	expect_refused(f, &v, many, 8, -E2BIG,
		       (const char *const[]){ "7", NULL });
	expect_refused(f, &v, zero, 1, -EINVAL, NULL);

	/* Port 1 is Ethernet: the kernel has no store method there. */
	resolve(f, "mlx4_0", "0", 1, &eth);
	expect_refused(f, &eth, ok, 1, -EOPNOTSUPP,
		       (const char *const[]){ "Ethernet", NULL });

	/* The PF's own function (gid_idx 0): EINVAL in the kernel. */
	pf = v;
	snprintf(pf.iov_fn, sizeof(pf.iov_fn), "0000:41:00.0");
	expect_refused(f, &pf, ok, 1, -EINVAL,
		       (const char *const[]){ "PF's own", NULL });
}

/* store_port_pkey(): an index at or beyond the VF table's length is
 * EINVAL. Physical index 7 exists (8 entries) but the VF table has 7. */
static void test_index_beyond_table(void **state)
{
	struct mlx4_fx *f = *state;
	const uint16_t want[] = { 0x8042 };
	struct sriov_ib_vf v;

	mlx4_fx_write(f, IOV "/ports/2/pkeys/7", "0x8042\n");
	resolve(f, "mlx4_0", "0", 0, &v);
	expect_refused(f, &v, want, 1, -ERANGE,
		       (const char *const[]){ "0x8042", "index 7", NULL });
}

/* The plan alone, on a table whose VF length equals the physical one
 * (as the mlx4-cx3 fixture has it): the last index is still "none". */
static void test_plan(void **state)
{
	uint16_t phys[] = { 0xffff, 0xb000, 0xb030, 0x8077 };
	int idx[4] = { 0 };
	struct sriov_mlx4_pkeys t = {
		.phys = phys, .n_phys = 4, .idx = idx, .n_idx = 4
	};
	const uint16_t last[] = { 0x8077 }, order[] = { 0xb030, 0xb000 };
	int out[4];
	struct sriov_error e = { 0 };

	(void)state;
	assert_int_equal(sriov_mlx4_pkeys_plan(&t, 1, last, 1, out, &e),
			 -ERANGE);
	assert_int_equal(sriov_mlx4_pkeys_plan(&t, 1, order, 2, out, &e), 0);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], -1);
	assert_int_equal(out[3], -1);
}

/* A write that fails: the slots already written are put back. */
struct hook {
	int n, fail_at;
	bool lie;
};

static int hook_write(void *ud, int dfd, const char *const *comps,
		      const char *val)
{
	struct hook *h = ud;
	char p[PATH_MAX] = "";
	FILE *fp;
	int fd;

	if (++h->n == h->fail_at)
		return -EIO;
	for (size_t i = 0; comps[i]; i++) {
		strncat(p, comps[i], sizeof(p) - strlen(p) - 2);
		if (comps[i + 1])
			strcat(p, "/");
	}
	fd = openat(dfd, p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(h->lie ? "3" : val, fp);
	fclose(fp);
	return 0;
}

static void test_rollback(void **state)
{
	struct mlx4_fx *f = *state;
	const uint16_t want[] = { 0xb030, 0xb000, 0xffff };
	struct hook h = { .fail_at = 3 };
	struct sriov_error e = { 0 };
	struct sriov_ib_vf v;
	char *before = mlx4_fx_snapshot(f), *after;

	resolve(f, "mlx4_0", "0", 0, &v);
	ib_set_write_hook(hook_write, &h);
	/* [1,0,none..] -> [2,1,0]: three writes, the third fails. */
	assert_int_equal(sriov_mlx4_pkeys_set(f->root, &v, want, 3, NULL, &e),
			 -EIO);
	assert_msg_has(e.msg, "pkey_idx/2", "put back");
	after = mlx4_fx_snapshot(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_readback(void **state)
{
	struct mlx4_fx *f = *state;
	const uint16_t want[] = { 0xb030 };
	struct hook h = { .lie = true };
	struct sriov_error e = { 0 };
	struct sriov_ib_vf v;

	resolve(f, "mlx4_0", "0", 0, &v);
	ib_set_write_hook(hook_write, &h);
	assert_int_equal(sriov_mlx4_pkeys_set(f->root, &v, want, 1, NULL, &e),
			 -EIO);
	assert_msg_has(e.msg, "reads back");
}

static void test_guid(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_error e = { 0 };
	struct sriov_mlx4_guid g;
	struct sriov_ib_vf v, pf, eth;
	uint64_t base;
	char *before, *after;

	resolve(f, "mlx4_0", "1", 0, &v);
	assert_int_equal(sriov_mlx4_guid_read(f->root, &v, &g, &e), 0);
	assert_int_equal(g.gid_idx, 2);
	assert_true(g.admin == 0x14050000000002ull);
	assert_true(g.has_oper);
	assert_true(g.oper == 0x0014050000000002ull);

	assert_int_equal(
		sriov_mlx4_guid_set(f->root, &v, 0x0202c90300000007ull, &e), 0);
	/* As show_admin_alias_guid() prints: %llx, no 0x. */
	assert_string_equal(mlx4_fx_read(f, IOV "/ports/2/admin_guids/2"),
			    "202c90300000007");
	assert_int_equal(
		sriov_mlx4_guid_set(f->root, &v, SRIOV_MLX4_GUID_SM, &e), 0);
	assert_string_equal(mlx4_fx_read(f, IOV "/ports/2/admin_guids/2"), "0");
	assert_int_equal(sriov_mlx4_guid_set(f->root, &v,
					     SRIOV_MLX4_GUID_DELETE, &e),
			 0);
	assert_string_equal(mlx4_fx_read(f, IOV "/ports/2/admin_guids/2"),
			    "ffffffffffffffff");
	/* Other slots untouched. */
	assert_string_equal(mlx4_fx_read(f, IOV "/ports/2/admin_guids/1"),
			    "14050000000001");

	before = mlx4_fx_snapshot(f);
	/* Group bit set: refused. */
	assert_int_equal(sriov_mlx4_guid_set(f->root, &v, 0x0102c90300000007ull,
					     &e),
			 -EINVAL);
	/* Slot 0 is the PF's port GUID, read-only in the kernel. */
	pf = v;
	snprintf(pf.iov_fn, sizeof(pf.iov_fn), "0000:41:00.0");
	assert_int_equal(sriov_mlx4_guid_set(f->root, &pf,
					     0x0202c90300000008ull, &e),
			 -EINVAL);
	assert_msg_has(e.msg, "admin_guids/0");
	resolve(f, "mlx4_0", "1", 1, &eth);
	assert_int_equal(sriov_mlx4_guid_set(f->root, &eth,
					     0x0202c90300000008ull, &e),
			 -EOPNOTSUPP);
	after = mlx4_fx_snapshot(f);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* The derived scheme's base: the interface id of ports/2/gids/0. */
	assert_int_equal(sriov_ib_pf_guid(f->root, &v, &base, &e), 0);
	assert_true(base == 0x0002c90300104a72ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, mlx4_fx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_seed, mlx4_fx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_set_seed, mlx4_fx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_none_empties,
						mlx4_fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing,
						mlx4_fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_beyond_table,
						mlx4_fx_setup, teardown),
		cmocka_unit_test(test_plan),
		cmocka_unit_test_setup_teardown(test_rollback, mlx4_fx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readback, mlx4_fx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guid, mlx4_fx_setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
