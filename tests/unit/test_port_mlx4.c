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
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/port.h>
#include "mlx4_fixture.h"

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
	assert_non_null(strstr(e.msg, "0x8001"));
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
