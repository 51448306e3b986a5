/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_TEST_MLX4_FIXTURE_H
#define SRIOV_TEST_MLX4_FIXTURE_H

/*
 * A private copy of the fake ConnectX-3 tree for the tests that write into
 * it (unit.ib, unit.port_mlx4, unit.daemon_mlx4). The tree is
 * tests/fixtures/hosts/mlx4-seed.json as tests/fixtures/mkhost.py builds
 * it: mlx4_0 at 0000:41:00.0, port 1 Ethernet, port 2 InfiniBand with the
 * physical P-key table 0xffff,0xb000,0xb030 (8 entries); VF 0
 * (iov/0000:41:00.1) maps [1,0,none...], VF 1 (iov/0000:41:00.2)
 * [2,0,none...]; a VF's table has 7 slots.
 */

#include <sriov/root.h>

#define MLX4_FX_IOV "class/infiniband/mlx4_0/iov"
/* The port-2 folders of the two VFs. */
#define MLX4_FX_VF0P2 MLX4_FX_IOV "/0000:41:00.1/ports/2"
#define MLX4_FX_VF1P2 MLX4_FX_IOV "/0000:41:00.2/ports/2"
#define MLX4_FX_SLOTS 7 /* a VF's pkey_idx entries on port 2 */

struct mlx4_fx {
	char dir[64]; /* the temporary directory, removed by teardown */
	char sys[128]; /* its sys/ */
	struct sriov_root *root; /* rooted at sys/ */
};

/* cmocka setup and teardown: *state is a struct mlx4_fx with its own copy
 * of the tree. */
int mlx4_fx_setup(void **state);
int mlx4_fx_teardown(void **state);

/* A file of the tree (@rel under sys/), trailing blanks stripped; the
 * buffer is static, overwritten by the next call. */
const char *mlx4_fx_read(const struct mlx4_fx *f, const char *rel);
/* Replace a file's contents, as `echo VAL > FILE` would. */
void mlx4_fx_write(const struct mlx4_fx *f, const char *rel, const char *val);
/* The pkey_idx slots of @port_dir (a VF's ports/N folder) as
 * "a,b,none,...", read from the files themselves; static buffer. */
const char *mlx4_fx_slots(const struct mlx4_fx *f, const char *port_dir);
/* Every file under iov/ with its contents, as one malloc'd string:
 * "nothing changed" is string equality. */
char *mlx4_fx_snapshot(const struct mlx4_fx *f);

#endif
