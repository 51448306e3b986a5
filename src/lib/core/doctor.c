/* SPDX-License-Identifier: MIT */
/*
 * Host checks. What each reads:
 * - /proc/cmdline: intel_iommu=on, amd_iommu, iommu=pt
 *   (Documentation/admin-guide/kernel-parameters.txt)
 * - /sys/class/iommu/: one entry per active IOMMU (dmarN, ivhdN)
 * - /sys/firmware/acpi/tables/{DMAR,IVRS}: the firmware describes an IOMMU
 *   (absent when VT-d / AMD-Vi is off in the BIOS)
 * - /sys/module/mlx4_core/parameters/{num_vfs,probe_vf,port_type_array},
 *   /sys/module/mlx4_ib/parameters/sm_guid_assign
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/doctor.h>

#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

const char *sriov_verdict_name(enum sriov_verdict v)
{
	switch (v) {
	case SRIOV_OK:
		return "ok";
	case SRIOV_WARN:
		return "warn";
	default:
		return "fail";
	}
}

static int add(struct sriov_doctor *d, const char *id, const char *subject,
	       enum sriov_verdict v, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int add(struct sriov_doctor *d, const char *id, const char *subject,
	       enum sriov_verdict v, const char *hint, const char *fmt, ...)
{
	struct sriov_check *c, *p;
	va_list ap;
	int r;

	p = realloc(d->checks, (d->n_checks + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	d->checks = p;
	c = &p[d->n_checks];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->verdict = v;
	va_start(ap, fmt);
	r = vasprintf(&c->message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	c->subject = strdup_or_null(subject);
	c->hint = v == SRIOV_OK ? NULL : strdup_or_null(hint);
	d->n_checks++;
	return 0;
}

/* Is word (e.g. "iommu=pt") one of the space-separated words of line? */
static const char *cmdline_value(const char *line, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = line; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
		p = strchr(p, ' ');
	}
	return NULL;
}

static bool value_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	return v && !strncmp(v, want, n) &&
	       (v[n] == '\0' || v[n] == ' ' || v[n] == ',');
}

static int check_iommu(struct sriov_root *root, struct sriov_doctor *d)
{
	_cleanup_free_ char *cmdline = NULL;
	char **names = NULL;
	size_t n = 0;
	bool dmar, ivrs;
	int r;

	if (root->proc_fd < 0 ||
	    fs_read_str(root->proc_fd, SP("cmdline"), &cmdline) < 0) {
		r = add(d, "iommu_cmdline", NULL, SRIOV_WARN,
			"give --proc-root, or run on the host itself",
			"cannot read the kernel command line under '%s'",
			root->proc_path);
	} else {
		const char *intel = cmdline_value(cmdline, "intel_iommu");
		const char *amd = cmdline_value(cmdline, "amd_iommu");
		const char *iommu = cmdline_value(cmdline, "iommu");

		if (value_is(intel, "on"))
			r = add(d, "iommu_cmdline", NULL, SRIOV_OK, NULL,
				"kernel command line has intel_iommu=on");
		else if (amd && !value_is(amd, "off"))
			r = add(d, "iommu_cmdline", NULL, SRIOV_OK, NULL,
				"kernel command line has amd_iommu=%.*s",
				(int)strcspn(amd, " "), amd);
		else if (fs_exists(root->sys_fd,
				   SP("firmware/acpi/tables/IVRS")) &&
			 !value_is(amd, "off"))
			r = add(d, "iommu_cmdline", NULL, SRIOV_OK, NULL,
				"AMD IOMMU, which the kernel enables by default");
		else
			r = add(d, "iommu_cmdline", NULL, SRIOV_FAIL,
				"add intel_iommu=on (Intel) or amd_iommu=on (AMD) to GRUB_CMDLINE_LINUX and reboot",
				"the kernel command line does not enable the IOMMU");
		if (r < 0)
			return r;
		if (value_is(iommu, "pt"))
			r = add(d, "iommu_pt", NULL, SRIOV_OK, NULL,
				"iommu=pt: host devices bypass translation");
		else
			r = add(d, "iommu_pt", NULL, SRIOV_WARN,
				"add iommu=pt to the kernel command line",
				"iommu=pt is not set: every host DMA is translated, which costs performance");
	}
	if (r < 0)
		return r;

	if (fs_list(root->sys_fd, SP("class/iommu"), &names, &n) >= 0 && n)
		r = add(d, "iommu_active", NULL, SRIOV_OK, NULL,
			"%zu IOMMU unit(s) active (%s%s)", n, names[0],
			n > 1 ? ", ..." : "");
	else
		r = add(d, "iommu_active", NULL, SRIOV_FAIL,
			"enable VT-d / AMD-Vi in the BIOS and the IOMMU on the kernel command line",
			"no IOMMU is active (/sys/class/iommu is empty): VFs cannot be passed to VMs");
	strv_free(names, n);
	if (r < 0)
		return r;

	dmar = fs_exists(root->sys_fd, SP("firmware/acpi/tables/DMAR"));
	ivrs = fs_exists(root->sys_fd, SP("firmware/acpi/tables/IVRS"));
	if (dmar || ivrs)
		return add(d, "iommu_acpi", NULL, SRIOV_OK, NULL,
			   "the firmware describes an IOMMU (ACPI %s table)",
			   dmar ? "DMAR" : "IVRS");
	return add(
		d, "iommu_acpi", NULL, SRIOV_FAIL,
		"enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) and SR-IOV in the BIOS",
		"no DMAR or IVRS ACPI table: the firmware has the IOMMU turned off");
}

static int check_devices(const struct sriov_host *h, struct sriov_doctor *d)
{
	int r;

	if (!h->n_pfs)
		return add(
			d, "sriov_devices", NULL, SRIOV_FAIL,
			"enable SR-IOV in the BIOS and the NIC firmware (e.g. mstconfig set SRIOV_EN=1 NUM_OF_VFS=N)",
			"no SR-IOV capable device found");
	r = add(d, "sriov_devices", NULL, SRIOV_OK, NULL,
		"%zu SR-IOV capable device(s)", h->n_pfs);
	for (size_t i = 0; r >= 0 && i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];
		size_t nodrv = 0;
		char hint[256];

		snprintf(hint, sizeof(hint), "sriovctl pf set %s numvfs N",
			 pf->n_netdevs ? pf->netdevs[0].name : pf->address);
		if (pf->sriov_numvfs < 0)
			r = add(d, "vfs_created", pf->address, SRIOV_WARN,
				"check the device's driver",
				"sriov_numvfs cannot be read");
		else if (pf->sriov_numvfs == 0 && pf->sriov_totalvfs >= 0)
			r = add(d, "vfs_created", pf->address, SRIOV_WARN, hint,
				"no VFs created (sriov_totalvfs %d)",
				pf->sriov_totalvfs);
		else if (pf->sriov_numvfs == 0)
			r = add(d, "vfs_created", pf->address, SRIOV_WARN, hint,
				"no VFs created");
		else if (pf->sriov_totalvfs >= 0)
			r = add(d, "vfs_created", pf->address, SRIOV_OK, NULL,
				"%d of %d VFs created", pf->sriov_numvfs,
				pf->sriov_totalvfs);
		else
			r = add(d, "vfs_created", pf->address, SRIOV_OK, NULL,
				"%d VFs created", pf->sriov_numvfs);
		if (r < 0 || !pf->n_vfs)
			continue;
		for (size_t k = 0; k < pf->n_vfs; k++)
			if (!pf->vfs[k].driver)
				nodrv++;
		if (nodrv)
			r = add(d, "vf_drivers", pf->address, SRIOV_WARN,
				"bind them: sriovctl vf set DEV VF driver vfio-pci|default",
				"%zu of %zu VFs have no driver", nodrv,
				pf->n_vfs);
		else
			r = add(d, "vf_drivers", pf->address, SRIOV_OK, NULL,
				"every VF has a driver");
	}
	return r;
}

static int check_mlx4(struct sriov_root *root, struct sriov_doctor *d)
{
	static const struct {
		const char *id, *module, *param, *hint;
	} params[] = {
		{ "mlx4_num_vfs", "mlx4_core", "num_vfs",
		  "options mlx4_core num_vfs=N in /etc/modprobe.d/ (ConnectX-3 VFs are created by the driver, not sysfs)" },
		{ "mlx4_probe_vf", "mlx4_core", "probe_vf",
		  "options mlx4_core probe_vf=N to bind N VFs to the host driver" },
		{ "mlx4_port_type_array", "mlx4_core", "port_type_array",
		  "options mlx4_core port_type_array=1,2 (1 = InfiniBand, 2 = Ethernet, per port)" },
		{ "mlx4_sm_guid_assign", "mlx4_ib", "sm_guid_assign",
		  "options mlx4_ib sm_guid_assign=0 so that VF GUIDs set in admin_guids are kept" },
	};
	int r = 0;

	if (!fs_is_dir(root->sys_fd, SP("module/mlx4_core")))
		return 0;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(params); i++) {
		_cleanup_free_ char *v = NULL;
		enum sriov_verdict verdict = SRIOV_OK;

		if (fs_read_str(root->sys_fd,
				SP("module", params[i].module, "parameters",
				   params[i].param),
				&v) < 0) {
			r = add(d, params[i].id, NULL, SRIOV_WARN,
				params[i].hint, "%s %s cannot be read",
				params[i].module, params[i].param);
			continue;
		}
		if (!strcmp(params[i].param, "num_vfs") && !strcmp(v, "0"))
			verdict = SRIOV_WARN;
		if (!strcmp(params[i].param, "sm_guid_assign") &&
		    strcmp(v, "0"))
			verdict = SRIOV_WARN;
		r = add(d, params[i].id, NULL, verdict, params[i].hint,
			"%s %s=%s", params[i].module, params[i].param, v);
	}
	return r;
}

/* Only InfiniBand ports have VF GUIDs; a RoCE port's GIDs are MAC-based. */
static bool port_is_ib(const struct sriov_ib_device *ib, unsigned port)
{
	for (size_t i = 0; i < ib->n_ports; i++)
		if (ib->ports[i].port == port)
			return !ib->ports[i].link_layer ||
			       !strcmp(ib->ports[i].link_layer, "InfiniBand");
	return true;
}

static bool vf_guid_zero(const struct sriov_pf *pf, const struct sriov_vf *vf)
{
	if (vf->ib)
		return vf->ib->has_node_guid && vf->ib->node_guid == 0;
	/* mlx4: the VF's GUID is the physical GID at its gid_idx */
	if (pf->ib && pf->ib->mlx4_iov) {
		const struct sriov_mlx4_iov *iov = pf->ib->mlx4_iov;

		for (size_t i = 0; i < iov->n_vfs; i++) {
			if (strcmp(iov->vfs[i].address, vf->address))
				continue;
			for (size_t j = 0; j < iov->vfs[i].n_ports; j++) {
				const struct sriov_mlx4_vf_port *vp =
					&iov->vfs[i].ports[j];

				if (!port_is_ib(pf->ib, vp->port))
					continue;
				for (size_t k = 0; k < iov->n_ports; k++)
					if (iov->ports[k].port == vp->port &&
					    vp->gid_idx >= 0 &&
					    (size_t)vp->gid_idx <
						    iov->ports[k].n_gids &&
					    iov->ports[k].gids[vp->gid_idx] ==
						    0)
						return true;
			}
		}
	}
	return false;
}

static int check_ib_guids(const struct sriov_host *h, struct sriov_doctor *d)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];
		char zero[256] = "";
		size_t nzero = 0, len = 0;

		if (!pf->ib)
			continue;
		for (size_t k = 0; k < pf->n_vfs; k++) {
			if (!vf_guid_zero(pf, &pf->vfs[k]))
				continue;
			nzero++;
			if (len < sizeof(zero) - 16)
				len += snprintf(zero + len, sizeof(zero) - len,
						"%s%d", len ? ", " : "",
						pf->vfs[k].index);
		}
		if (nzero)
			r = add(d, "ib_vf_guids", pf->address, SRIOV_FAIL,
				pf->ib->mlx4_iov ?
					"give each VF an alias GUID: sriovctl ib guid DEV VF --allocate (or --sm to let the subnet manager assign one)" :
					"give each VF a GUID: sriovctl ib guid DEV VF --allocate, or sriovctl vf set DEV VF node_guid G port_guid G",
				"VF(s) %s have an all-zero GUID: the subnet manager will not bring them up",
				zero);
		else
			r = add(d, "ib_vf_guids", pf->address, SRIOV_OK, NULL,
				"no VF has an all-zero GUID");
	}
	return r;
}

int sriov_doctor_run(struct sriov_root *root, const struct sriov_host *host,
		     struct sriov_doctor *ret, struct sriov_error *err)
{
	struct sriov_doctor d = { 0 };
	int r;

	r = check_iommu(root, &d);
	if (r >= 0)
		r = check_devices(host, &d);
	if (r >= 0)
		r = check_mlx4(root, &d);
	if (r >= 0)
		r = check_ib_guids(host, &d);
	if (r < 0) {
		sriov_doctor_release(&d);
		return sriov_error_set(err, r, "doctor: %s", strerror(-r));
	}
	*ret = d;
	return 0;
}

void sriov_doctor_release(struct sriov_doctor *d)
{
	for (size_t i = 0; i < d->n_checks; i++) {
		free(d->checks[i].subject);
		free(d->checks[i].message);
		free(d->checks[i].hint);
	}
	free(d->checks);
	memset(d, 0, sizeof(*d));
}

enum sriov_verdict sriov_doctor_worst(const struct sriov_doctor *d)
{
	enum sriov_verdict w = SRIOV_OK;

	for (size_t i = 0; i < d->n_checks; i++)
		if (d->checks[i].verdict > w)
			w = d->checks[i].verdict;
	return w;
}
