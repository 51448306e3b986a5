/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_DOCTOR_H
#define SRIOV_DOCTOR_H

/*
 * Host checks for what SR-IOV needs: the IOMMU, SR-IOV capable devices,
 * VFs and their drivers, mlx4 module parameters, InfiniBand VF GUIDs.
 * Each check has a stable id, the device it is about (or NULL for the
 * host), a verdict, a message saying what was seen, and a hint.
 */

#include <stddef.h>

#include <sriov/host.h>

enum sriov_verdict { SRIOV_OK = 0, SRIOV_WARN, SRIOV_FAIL };

const char *sriov_verdict_name(enum sriov_verdict v);

struct sriov_check {
	const char *id; /* static string */
	char *subject; /* device address, or NULL for the host */
	enum sriov_verdict verdict;
	char *message;
	char *hint; /* NULL when there is nothing to do */
};

struct sriov_doctor {
	struct sriov_check *checks;
	size_t n_checks;
};

/**
 * sriov_doctor_run() - run every check against a discovered host
 * @root: the roots (the procfs root is read for the kernel command line)
 * @host: what sriov_host_discover() found under the same root
 * @ret: filled on success; release with sriov_doctor_release()
 */
int sriov_doctor_run(struct sriov_root *root, const struct sriov_host *host,
		     struct sriov_doctor *ret, struct sriov_error *err);
void sriov_doctor_release(struct sriov_doctor *d);
/* The worst verdict of all checks. */
enum sriov_verdict sriov_doctor_worst(const struct sriov_doctor *d);

#endif
