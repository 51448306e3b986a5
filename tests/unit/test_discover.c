/* SPDX-License-Identifier: MIT */
/*
 * Discovery on the fixture hosts (tests/fixtures/hosts/NAME.json, built into
 * SRIOV_FIXTURES_BUILD): the model, field by field, as the descriptions
 * say the kernel would show it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/doctor.h>
#include <sriov/host.h>
#include "sysfs/fs.h"
#include "assert_msg.h"

struct fx {
	struct sriov_root *root;
	struct sriov_host host;
};

static void load(struct fx *fx, const char *name)
{
	char sys[512], proc[512];
	struct sriov_error err = { 0 };

	snprintf(sys, sizeof(sys), "%s/%s/sys", SRIOV_FIXTURES_BUILD, name);
	snprintf(proc, sizeof(proc), "%s/%s/proc", SRIOV_FIXTURES_BUILD, name);
	assert_int_equal(sriov_root_open(sys, proc, &fx->root, &err), 0);
	assert_int_equal(sriov_host_discover(fx->root, &fx->host, &err), 0);
}

static void unload(struct fx *fx)
{
	sriov_host_release(&fx->host);
	sriov_root_free(fx->root);
}

static void test_mlx4(void **state)
{
	struct fx fx;
	const struct sriov_pf *pf;
	const struct sriov_mlx4_iov *iov;

	load(&fx, "mlx4-cx3");
	assert_int_equal(fx.host.n_pfs, 1);
	pf = sriov_host_find_pf(&fx.host, "ib0");
	assert_non_null(pf);
	assert_ptr_equal(pf, sriov_host_find_pf(&fx.host, "0000:41:00.0"));
	assert_null(sriov_host_find_pf(&fx.host, "eth9"));
	assert_string_equal(pf->vendor, "15b3");
	assert_string_equal(pf->device, "1007");
	assert_string_equal(pf->sriov_vf_device, "1004");
	assert_int_equal(pf->numa_node, 1);
	assert_int_equal(pf->sriov_totalvfs, 16);
	assert_int_equal(pf->sriov_numvfs, 2);
	assert_int_equal(pf->n_netdevs, 2);
	assert_string_equal(pf->netdevs[0].name, "ens1d1");
	assert_int_equal(pf->netdevs[0].link_type, SRIOV_LINK_ETHERNET);
	assert_int_equal(pf->netdevs[1].link_type, SRIOV_LINK_INFINIBAND);
	assert_non_null(pf->ib);
	assert_true(pf->ib->has_node_guid);
	assert_true(pf->ib->node_guid == 0x0002c90300a1b2c0ULL);
	assert_int_equal(pf->ib->n_ports, 2);
	assert_true(pf->ib->ports[0].port_guid == 0x0002c90300a1b2c1ULL);
	assert_int_equal(pf->ib->ports[0].lid, 5);
	assert_string_equal(pf->ib->ports[0].state, "ACTIVE");
	/* the 0x0000 slots of the table are not P-keys */
	assert_int_equal(pf->ib->ports[0].n_pkeys, 3);
	assert_int_equal(pf->ib->ports[0].pkeys[2], 0xb030);
	iov = pf->ib->mlx4_iov;
	assert_non_null(iov);
	assert_int_equal(iov->n_ports, 1);
	assert_int_equal(iov->ports[0].n_pkeys, 4);
	assert_int_equal(iov->ports[0].pkeys[1], 0xb000);
	assert_true(iov->ports[0].admin_guids[1] == 0x2c90300a1b2d1ULL);
	assert_int_equal(iov->n_vfs, 3); /* the PF's own slot and two VFs */
	assert_string_equal(iov->vfs[1].address, "0000:41:00.1");
	assert_int_equal(iov->vfs[1].ports[0].n_pkey_idx, 4);
	assert_int_equal(iov->vfs[1].ports[0].pkey_idx[0], 1);
	assert_int_equal(iov->vfs[1].ports[0].pkey_idx[2], -1); /* none */
	assert_int_equal(iov->vfs[2].ports[0].gid_idx, 2);
	assert_int_equal(pf->n_vfs, 2);
	assert_string_equal(pf->vfs[1].address, "0000:41:00.2");
	assert_string_equal(pf->vfs[1].netdev, "ib2");
	assert_int_equal(pf->vfs[1].iommu_group, 42);
	assert_int_equal(pf->n_problems, 0);
	unload(&fx);
}

static void test_e810(void **state)
{
	struct fx fx;
	const struct sriov_pf *pf;

	load(&fx, "e810-vfio");
	assert_int_equal(fx.host.n_pfs, 2);
	pf = &fx.host.pfs[0];
	assert_string_equal(pf->address, "0000:3b:00.0");
	assert_null(pf->ib);
	assert_int_equal(pf->n_vfs, 4);
	assert_string_equal(pf->vfs[0].driver, "vfio-pci");
	assert_null(pf->vfs[0].netdev);
	assert_string_equal(pf->vfs[2].netdev, "ens2f0v2");
	assert_null(pf->vfs[3].driver);
	assert_int_equal(fx.host.pfs[1].sriov_numvfs, 0);
	assert_int_equal(fx.host.pfs[1].n_vfs, 0);
	unload(&fx);
}

static void test_netdevsim_and_others(void **state)
{
	struct fx fx;

	load(&fx, "netdevsim");
	assert_int_equal(fx.host.n_pfs, 2);
	assert_string_equal(fx.host.pfs[0].bus, "netdevsim");
	assert_string_equal(fx.host.pfs[0].address, "netdevsim10");
	assert_int_equal(fx.host.pfs[0].sriov_numvfs, 4);
	assert_int_equal(fx.host.pfs[0].sriov_totalvfs, -1);
	assert_null(fx.host.pfs[0].vendor);
	unload(&fx);

	load(&fx, "no-sriov");
	assert_int_equal(fx.host.n_pfs, 0);
	/* the NIC is listed, the NVMe disk is not */
	assert_int_equal(fx.host.n_others, 1);
	assert_string_equal(fx.host.others[0].driver, "r8169");
	unload(&fx);
}

static void test_broken(void **state)
{
	struct fx fx;

	load(&fx, "broken");
	assert_int_equal(fx.host.n_pfs, 2);
	assert_null(fx.host.pfs[0].vendor);
	assert_string_equal(fx.host.pfs[0].device, "10c9");
	assert_true(fx.host.pfs[0].n_problems >= 2);
	assert_msg_has(fx.host.pfs[0].problems[0], "vendor");
	/* the healthy PF next to it is whole */
	assert_string_equal(fx.host.pfs[1].vendor, "8086");
	assert_int_equal(fx.host.pfs[1].n_problems, 0);
	unload(&fx);
}

static void test_doctor(void **state)
{
	struct sriov_error err = { 0 };
	struct sriov_doctor d;
	struct fx fx;
	bool seen = false;

	load(&fx, "mlx5-cx6-ib");
	assert_int_equal(sriov_doctor_run(fx.root, &fx.host, &d, &err), 0);
	assert_int_equal(sriov_doctor_worst(&d), SRIOV_FAIL);
	for (size_t i = 0; i < d.n_checks; i++) {
		if (strcmp(d.checks[i].id, "ib_vf_guids"))
			continue;
		seen = true;
		assert_int_equal(d.checks[i].verdict, SRIOV_FAIL);
		assert_msg_has(d.checks[i].message, "3");
		assert_non_null(d.checks[i].hint);
	}
	assert_true(seen);
	sriov_doctor_release(&d);
	unload(&fx);

	load(&fx, "mlx4-cx3");
	assert_int_equal(sriov_doctor_run(fx.root, &fx.host, &d, &err), 0);
	assert_int_equal(sriov_doctor_worst(&d), SRIOV_OK);
	sriov_doctor_release(&d);
	unload(&fx);
}

static void test_bad_roots(void **state)
{
	struct sriov_error err = { 0 };
	struct sriov_root *root;
	char buf[64];

	assert_true(sriov_root_open("/nonexistent", NULL, &root, &err) < 0);
	assert_msg_has(err.msg, "/nonexistent");
	/* a name read from the tree never walks out of it */
	assert_int_equal(fs_path(buf, sizeof(buf),
				 SP("bus/pci/devices", "../../../etc", "x")),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlx4),
		cmocka_unit_test(test_e810),
		cmocka_unit_test(test_netdevsim_and_others),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_doctor),
		cmocka_unit_test(test_bad_roots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
