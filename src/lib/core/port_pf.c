/* SPDX-License-Identifier: MIT */
/*
 * A whole PF handed to one port (vnic_type direct-physical), as Nova's
 * type-PF devices are: the PF leaves its host driver for vfio-pci and
 * comes back to it on release. A PF is only handed over when it has no
 * VFs (its VFs would vanish with its driver, or be given to others) and
 * its netdev, if any, is not up with addresses (the host is using it).
 * Paths are the kernel's: drivers/pci/pci-sysfs.c (driver_override),
 * drivers/pci/pci-driver.c (drivers_probe, the drivers' bind/unbind).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/port.h>
#include "core/pf.h"
#include "core/port_txn.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

/* The PF's driver ("" when none). */
static int fn_driver(struct sriov_root *root, const char *addr, char *buf,
		     size_t size, struct sriov_error *err)
{
	_cleanup_free_ char *drv = NULL;
	int r;

	buf[0] = '\0';
	r = fs_readlink_base(root->sys_fd,
			     SP("bus/pci/devices", addr, "driver"), &drv);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return sriov_error_set(err, r,
				       "pf %s: cannot read its driver: %s",
				       addr, strerror(-r));
	snprintf(buf, size, "%s", drv);
	return 0;
}

static bool has_override(struct sriov_root *root, const char *addr)
{
	_cleanup_free_ char *o = NULL;

	return fs_read_str(root->sys_fd,
			   SP("bus/pci/devices", addr, "driver_override"),
			   &o) >= 0 &&
	       o[0] && strcmp(o, "(null)");
}

int sriov_port_pf_open(struct sriov_root *root, const char *pf,
		       const char *address, struct sriov_port_vf *ret,
		       struct sriov_error *err)
{
	struct sriov_port_vf v = { .whole = true };
	int r;

	/* Once on vfio-pci the PF has no netdev: the address recorded when
	 * it was handed over finds it again. */
	if (address && address[0] &&
	    fs_is_dir(root->sys_fd, SP("bus/pci/devices", address)))
		pf = address;
	r = sriov_pf_resolve(root, pf, &v.pf, err);
	if (r < 0)
		return r;
	if (strcmp(v.pf.bus, "pci"))
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"pf %s is on the %s bus, not PCI: it cannot be handed to a VM whole",
			pf, v.pf.bus);
	snprintf(v.address, sizeof(v.address), "%s", v.pf.dev);
	v.infiniband = port_pf_infiniband(root, &v.pf);
	*ret = v;
	return 0;
}

int port_pf_read(struct sriov_root *root, const struct sriov_port_vf *vf,
		 struct sriov_saved_state *st, struct sriov_error *err)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->spoofchk = st->trust = -1;
	r = fn_driver(root, vf->address, st->driver, sizeof(st->driver), err);
	if (r < 0)
		return r;
	pf_fn_netdev(root, vf->address, st->netdev, sizeof(st->netdev));
	if (st->netdev[0]) {
		_cleanup_free_ char *mac = NULL;

		if (fs_read_str(root->sys_fd,
				SP("class/net", st->netdev, "address"),
				&mac) >= 0)
			snprintf(st->mac, sizeof(st->mac), "%s", mac);
	}
	return 0;
}

/* No VFs, and no netdev of the host's in use. */
static int check_idle(struct sriov_root *root, const struct sriov_port_vf *vf,
		      const struct pf_ops *ops, struct sriov_error *err)
{
	char label[80];
	uint64_t numvfs = 0;

	if (fs_read_u64(root->sys_fd,
			SP("bus/pci/devices", vf->address, "sriov_numvfs"), 10,
			&numvfs) >= 0 &&
	    numvfs > 0)
		return sriov_error_set(
			err, -EBUSY,
			"pf %s has %llu VFs: a PF is handed over whole only without VFs (echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs)",
			vf->address, (unsigned long long)numvfs, vf->address);
	snprintf(label, sizeof(label), "pf %s", vf->address);
	return pf_netdevs_idle(root, vf->address, label,
			       ": the host is using it", ops, err);
}

/*
 * Give the PF to @driver ("" = none, "vfio-pci", or a driver's name) and
 * read it back. driver_override pins vfio-pci and is cleared otherwise,
 * so the host driver may claim the PF again.
 */
int port_pf_bind(struct sriov_root *root, const struct sriov_port_vf *vf,
		 const char *driver, const struct pf_ops *ops,
		 struct sriov_error *err)
{
	const char *addr = vf->address;
	bool vfio = !strcmp(driver, "vfio-pci");
	char cur[64];
	int r;

	if (!name_is_safe(driver) && driver[0])
		return sriov_error_set(err, -EINVAL,
				       "pf %s: invalid driver '%s'", addr,
				       driver);
	r = fn_driver(root, addr, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	if (!strcmp(cur, driver) && (vfio || !has_override(root, addr)))
		return 0;
	if (vfio && !fs_is_dir(root->sys_fd, SP("bus/pci/drivers", "vfio-pci")))
		return sriov_error_set(
			err, -ENOENT,
			"pf %s: vfio-pci is not loaded (modprobe vfio-pci)",
			addr);
	if (cur[0]) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/drivers", cur, "unbind"), addr);
		if (r < 0)
			return sriov_error_set(err, r,
					       "pf %s: unbind from %s: %s",
					       addr, cur, strerror(-r));
	}
	if (vfio || has_override(root, addr)) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/devices", addr, "driver_override"),
			       vfio ? "vfio-pci" : "\n");
		if (r < 0)
			return sriov_error_set(err, r,
					       "pf %s: driver_override: %s",
					       addr, strerror(-r));
	}
	if (!driver[0])
		return 0;
	/* The driver it had, by name: drivers_probe could pick another. */
	r = -ENOENT;
	if (!vfio && fs_is_dir(root->sys_fd, SP("bus/pci/drivers", driver)))
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/drivers", driver, "bind"), addr);
	if (r < 0)
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/drivers_probe"), addr);
	if (r < 0 && r != -ENODEV)
		return sriov_error_set(err, r, "pf %s: bind to %s: %s", addr,
				       driver, strerror(-r));
	r = fn_driver(root, addr, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	if (strcmp(cur, driver))
		return sriov_error_set(
			err, -EIO,
			"pf %s: %s did not claim it (it has '%s'; check dmesg%s)",
			addr, driver, cur[0] ? cur : "none",
			vfio ? ", and the IOMMU: intel_iommu=on / amd_iommu" :
			       "");
	return 1;
}

int port_pf_hand_over(struct sriov_root *root, const struct sriov_port_vf *vf,
		      enum sriov_vf_driver drv, const struct pf_ops *ops,
		      struct sriov_error *err)
{
	char cur[64];
	int r;

	r = fn_driver(root, vf->address, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	if (drv == SRIOV_VF_DRIVER_VFIO && !strcmp(cur, "vfio-pci"))
		return 0; /* already handed over: a retry, or a repair */
	r = check_idle(root, vf, ops, err);
	if (r < 0)
		return r;
	switch (drv) {
	case SRIOV_VF_DRIVER_VFIO:
		return port_pf_bind(root, vf, "vfio-pci", ops, err);
	case SRIOV_VF_DRIVER_NONE:
		return port_pf_bind(root, vf, "", ops, err);
	case SRIOV_VF_DRIVER_DEFAULT:
		break;
	}
	return 0; /* the host driver keeps it */
}

int port_pf_restore(struct sriov_root *root, const struct sriov_port_vf *vf,
		    const struct sriov_saved_state *st, unsigned timeout_ms,
		    const struct pf_ops *ops, struct sriov_error *err)
{
	char label[80], when[96];
	int r;

	r = port_pf_bind(root, vf, st->driver, ops, err);
	if (r < 0)
		return r;
	if (!st->netdev[0])
		return 0;
	/* The driver makes the netdev again; the name it had is the one
	 * configuration refers to. */
	snprintf(label, sizeof(label), "pf %s", vf->address);
	snprintf(when, sizeof(when), "of binding %s", st->driver);
	return pf_netdev_keep_name(root, vf->address, st->netdev, timeout_ms,
				   ops, label, when, err);
}

int sriov_port_pf_is_scrubbed(struct sriov_root *root,
			      const struct sriov_port_vf *vf,
			      struct sriov_error *err)
{
	char cur[64];
	int r = fn_driver(root, vf->address, cur, sizeof(cur), err);

	if (r < 0)
		return r;
	if (!strcmp(cur, "vfio-pci")) {
		sriov_error_set(err, 0, "pf %s is still on vfio-pci",
				vf->address);
		return 0;
	}
	if (has_override(root, vf->address)) {
		sriov_error_set(err, 0, "pf %s still has a driver_override",
				vf->address);
		return 0;
	}
	return 1;
}

int port_pf_scrub(struct sriov_root *root, const struct sriov_port_vf *vf,
		  const struct pf_ops *ops, struct sriov_error *err)
{
	char cur[64];
	int r;

	/* Off vfio-pci, to no driver at worst: never left to a VM. */
	r = fn_driver(root, vf->address, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	if (!strcmp(cur, "vfio-pci") || has_override(root, vf->address)) {
		r = port_pf_bind(root, vf, strcmp(cur, "vfio-pci") ? cur : "",
				 ops, err);
		if (r < 0)
			return r;
	}
	r = sriov_port_pf_is_scrubbed(root, vf, err);
	if (r < 0)
		return r;
	if (r == 0 && err)
		err->code = -EIO; /* the message says what is left */
	return r ? 0 : -EIO;
}

int sriov_port_pf_drift(struct sriov_root *root, const struct sriov_port_vf *vf,
			enum sriov_vf_driver drv, struct sriov_error *err)
{
	char cur[64];
	int r = fn_driver(root, vf->address, cur, sizeof(cur), err);

	if (r < 0)
		return r;
	if (drv == SRIOV_VF_DRIVER_VFIO && strcmp(cur, "vfio-pci")) {
		sriov_error_set(
			err, 0,
			"pf %s handed over whole is on '%s', not vfio-pci",
			vf->address, cur[0] ? cur : "no driver");
		return 1;
	}
	return 0;
}

int sriov_port_pf_hand_over(struct sriov_root *root,
			    const struct sriov_port_vf *vf,
			    enum sriov_vf_driver drv, struct sriov_error *err)
{
	return port_pf_hand_over(root, vf, drv, &pf_default_ops, err);
}

int sriov_port_pf_restore(struct sriov_root *root,
			  const struct sriov_port_vf *vf,
			  const struct sriov_saved_state *st,
			  struct sriov_error *err)
{
	return port_pf_restore(root, vf, st, 10000, &pf_default_ops, err);
}

int sriov_port_pf_scrub(struct sriov_root *root, const struct sriov_port_vf *vf,
			struct sriov_error *err)
{
	return port_pf_scrub(root, vf, &pf_default_ops, err);
}
