/* SPDX-License-Identifier: MIT */
/*
 * sriovd's mlx4 P-key steps on the fake ConnectX-3 tree
 * (tests/fixtures/hosts/mlx4-seed.json): port 2 is InfiniBand with the
 * physical table 0xffff,0xb000,0xb030; VF 0 (iov/0000:41:00.1) maps
 * [1,0,none...], VF 1 (iov/0000:41:00.2) maps [2,0,none...]; a VF's table
 * has 7 slots. Expected values come from that description, not from the
 * library. Each test works on its own copy of the tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/port.h>
#include "mlx4_fixture.h"
#include "assert_msg.h"

#define VF0P2 MLX4_FX_VF0P2
#define VF1P2 MLX4_FX_VF1P2

static void open_vf(struct mlx4_fx *f, const char *pf, unsigned idx,
		    struct sriov_port_vf *vf)
{
	struct sriov_error e = { 0 };

	if (sriov_port_vf_open(f->root, NULL, pf, idx, vf, &e) < 0)
		fail_msg("open %s vf %u: %s", pf, idx, e.msg);
}

/* bind: save, program the port's P-key; unbind: restore, scrub. */
static void test_life(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };
	char saved[256];
	char vf1[256];

	open_vf(f, "ib0", 0, &vf);
	assert_true(vf.infiniband);
	snprintf(vf1, sizeof(vf1), "%s", mlx4_fx_slots(f, VF1P2));
	assert_string_equal(vf1, "2,0,none,none,none,none,none");
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "1,0,none,none,none,none,none");

	assert_int_equal(sriov_port_mlx4_pkey_save(f->root, &vf, saved,
						   sizeof(saved), &e),
			 1);
	assert_string_equal(saved, "0:1,1:0");

	/* 0xb030 is physical index 2: the VF gets it alone, at slot 0 */
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");

	assert_int_equal(sriov_port_mlx4_pkey_restore(f->root, &vf, saved, &e),
			 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "1,0,none,none,none,none,none");

	assert_int_equal(sriov_port_mlx4_pkey_scrub(f->root, &vf, &e), 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "none,none,none,none,none,none,none");
	/* after a scrub there is nothing to save */
	assert_int_equal(sriov_port_mlx4_pkey_save(f->root, &vf, saved,
						   sizeof(saved), &e),
			 1);
	assert_string_equal(saved, "");
	/* the other VF never moved */
	assert_string_equal(mlx4_fx_slots(f, VF1P2), vf1);
}

/* A P-key the SM has not put in the port's table (or with the other
 * membership) is refused and nothing is written. */
static void test_refused(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 1, &vf);
	assert_true(sriov_port_mlx4_pkey_apply(f->root, &vf, 0x8001, &e) < 0);
	assert_msg_has(e.msg, "0x8001");
	sriov_error_clear(&e);
	/* 0x3000 is limited membership; the table has full 0xb000 */
	assert_true(sriov_port_mlx4_pkey_apply(f->root, &vf, 0x3000, &e) < 0);
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "2,0,none,none,none,none,none");
	sriov_error_clear(&e);
	assert_int_equal(sriov_port_mlx4_pkey_restore(f->root, &vf, "0:1,x",
						      &e),
			 -EINVAL);
	sriov_error_clear(&e);
	assert_int_equal(sriov_port_mlx4_pkey_restore(f->root, &vf, "9:1", &e),
			 -EINVAL); /* slot beyond the VF's 7 */
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "2,0,none,none,none,none,none");
}

/* The Ethernet netdev of the same PF: not an InfiniBand VF, untouched. */
static void test_ethernet_untouched(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };
	char saved[64] = "x";

	open_vf(f, "enp65s0", 0, &vf);
	assert_false(vf.infiniband);
	assert_int_equal(sriov_port_mlx4_pkey_save(f->root, &vf, saved,
						   sizeof(saved), &e),
			 0);
	assert_string_equal(saved, "");
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 0);
	assert_int_equal(sriov_port_mlx4_pkey_scrub(f->root, &vf, &e), 0);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "1,0,none,none,none,none,none");
}

/* ---- drift: the table compared with what apply (or scrub) leaves ---- */

#define SLOT(i) VF0P2 "/pkey_idx/" #i

/* sriov_port_mlx4_pkey_drift() must return @want; when 1, its message
 * must hold every word of @words. It never writes: the tree is compared
 * before and after. */
static void expect_drift(struct mlx4_fx *f, const struct sriov_port_vf *vf,
			 bool has_pkey, uint16_t pkey, int want,
			 const char *const *words)
{
	struct sriov_error e = { 0 };
	char *before = mlx4_fx_snapshot(f), *after;
	int r;

	r = sriov_port_mlx4_pkey_drift(f->root, vf, has_pkey, pkey, &e);
	if (r != want)
		fail_msg("drift: %d, want %d (%s)", r, want, e.msg);
	for (; words && *words; words++)
		if (!strstr(e.msg, *words))
			fail_msg("'%s' not in: %s", *words, e.msg);
	after = mlx4_fx_snapshot(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* After apply: no drift. A second partition in another slot (someone's
 * `echo 1 > pkey_idx/3`: 0xb000 at physical index 1) is drift naming
 * slot 3; apply repairs it. */
static void test_drift_other_slot(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 0, &vf);
	/* the seed's [1,0] is not 0xb030 alone */
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){
			     "slot 0 ", "physical index 1 (0xb000)",
			     "want physical index 2 (0xb030)", NULL });
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	expect_drift(f, &vf, true, 0xb030, 0, NULL);

	mlx4_fx_write(f, SLOT(3), "1\n");
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){
			     "mlx4_0 vf 0 port 2", "slot 3 ", "pkey_idx/3",
			     "physical index 1 (0xb000)", "want none", NULL });
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");
	expect_drift(f, &vf, true, 0xb030, 0, NULL);
	/* the other VF is not ours to judge: untouched */
	assert_string_equal(mlx4_fx_slots(f, VF1P2),
			    "2,0,none,none,none,none,none");
}

/* Slot 0 moved to another P-key (0xffff, physical index 0). */
static void test_drift_slot0(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 0, &vf);
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	mlx4_fx_write(f, SLOT(0), "0\n");
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){
			     "slot 0 ", "physical index 0 (0xffff)",
			     "want physical index 2 (0xb030)", NULL });
	/* emptied: slot 0 none is drift too */
	mlx4_fx_write(f, SLOT(0), "none\n");
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){ "slot 0 ", "maps to none",
					    "want physical index 2 (0xb030)",
					    NULL });
	/* the last physical index (7) is the kernel's "none" */
	mlx4_fx_write(f, SLOT(0), "2\n");
	mlx4_fx_write(f, SLOT(6), "7\n");
	expect_drift(f, &vf, true, 0xb030, 0, NULL);
	/* limited 0x3000 is not the full 0xb030 the port asked for, nor
	 * 0xb000 which the table has: whatever slot 0 holds, it is wrong */
	expect_drift(f, &vf, true, 0x3000, 1,
		     (const char *const[]){ "no mapping can be right", "0x3000",
					    NULL });
}

/* The subnet manager moved the P-key (index 2 -> 3): slot 0 now points at
 * something else; apply follows the table. The SM removed it: drift that
 * apply cannot repair. */
static void test_drift_sm_moved(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 0, &vf);
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	mlx4_fx_write(f, MLX4_FX_IOV "/ports/2/pkeys/2", "0x8042\n");
	mlx4_fx_write(f, MLX4_FX_IOV "/ports/2/pkeys/3", "0xb030\n");
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){
			     "slot 0 ", "physical index 2 (0x8042)",
			     "want physical index 3 (0xb030)", NULL });
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "3,none,none,none,none,none,none");
	expect_drift(f, &vf, true, 0xb030, 0, NULL);

	mlx4_fx_write(f, MLX4_FX_IOV "/ports/2/pkeys/3", "0x0000\n");
	expect_drift(f, &vf, true, 0xb030, 1,
		     (const char *const[]){ "slot 0 maps to physical index 3 "
					    "(0x0000)",
					    "no mapping can be right", "0xb030",
					    "not in port 2", NULL });
	assert_true(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e) < 0);
}

/* An InfiniBand port bound without a P-key: every slot none. */
static void test_drift_no_pkey(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 1, &vf);
	/* the seed's [2,0]: slot 0 is the first that differs */
	expect_drift(f, &vf, false, 0, 1,
		     (const char *const[]){ "mlx4_0 vf 1 port 2", "slot 0 ",
					    "physical index 2 (0xb030)",
					    "want none", NULL });
	assert_int_equal(sriov_port_mlx4_pkey_scrub(f->root, &vf, &e), 1);
	expect_drift(f, &vf, false, 0, 0, NULL);
	mlx4_fx_write(f, MLX4_FX_VF1P2 "/pkey_idx/5", "0\n");
	expect_drift(f, &vf, false, 0, 1,
		     (const char *const[]){ "slot 5 ",
					    "physical index 0 (0xffff)",
					    "want none", NULL });
	/* the pkey argument means nothing without has_pkey */
	expect_drift(f, &vf, false, 0xffff, 1,
		     (const char *const[]){ "slot 5 ", NULL });
	assert_int_equal(sriov_port_mlx4_pkey_scrub(f->root, &vf, &e), 1);
	expect_drift(f, &vf, false, 0, 0, NULL);
}

/* Not mlx4: the Ethernet netdev of the same PF, and a ConnectX-6 (mlx5)
 * InfiniBand PF without iov/: 0, nothing read into a verdict. */
static void test_drift_not_mlx4(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_root *root;
	struct sriov_error e = { 0 };
	char sys[512];

	open_vf(f, "enp65s0", 0, &vf);
	assert_false(vf.infiniband);
	/* VF 0's table ([1,0]) would be drift for an mlx4 port of 0xb030 */
	expect_drift(f, &vf, true, 0xb030, 0, NULL);
	expect_drift(f, &vf, false, 0, 0, NULL);

	snprintf(sys, sizeof(sys), "%s/mlx5-cx6-ib/sys", SRIOV_FIXTURES_BUILD);
	if (sriov_root_open(sys, f->dir, &root, &e) < 0)
		fail_msg("root %s: %s", sys, e.msg);
	if (sriov_port_vf_open(root, NULL, "ibp193s0", 0, &vf, &e) < 0)
		fail_msg("open ibp193s0 vf 0: %s", e.msg);
	assert_true(vf.infiniband);
	assert_int_equal(
		sriov_port_mlx4_pkey_drift(root, &vf, true, 0xb030, &e), 0);
	assert_int_equal(sriov_port_mlx4_pkey_drift(root, &vf, false, 0, &e),
			 0);
	sriov_root_free(root);
}

/* A slot the kernel would never show: a read error, not a verdict. */
static void test_drift_read_error(void **state)
{
	struct mlx4_fx *f = *state;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };

	open_vf(f, "ib0", 0, &vf);
	mlx4_fx_write(f, SLOT(4), "bogus\n");
	assert_true(sriov_port_mlx4_pkey_drift(f->root, &vf, true, 0xb030, &e) <
		    0);
	assert_msg_has(e.msg, "pkey_idx/4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_life, mlx4_fx_setup,
						mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(test_refused, mlx4_fx_setup,
						mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_untouched,
						mlx4_fx_setup,
						mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_drift_other_slot, mlx4_fx_setup, mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(test_drift_slot0, mlx4_fx_setup,
						mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_drift_sm_moved, mlx4_fx_setup, mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_drift_no_pkey, mlx4_fx_setup, mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_drift_not_mlx4, mlx4_fx_setup, mlx4_fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_drift_read_error, mlx4_fx_setup, mlx4_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
