/* SPDX-License-Identifier: MIT */
/*
 * VF lifecycle through sysfs: PF lookup, sriov_numvfs, driver binding.
 * The layout is the kernel's: drivers/pci/iov.c (sriov_totalvfs,
 * sriov_numvfs, sriov_drivers_autoprobe, virtfnN), drivers/pci/pci-sysfs.c
 * (driver_override) and drivers/pci/pci-driver.c (drivers_probe).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>

#include <sriov/vf.h>
#include "core/pf.h"
#include "netlink/socket.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static int default_write(void *ud, int dfd, const char *const *comps,
			 const char *val)
{
	return fs_write_str(dfd, comps, val);
}

static int default_has_addresses(void *ud, struct sriov_root *root, int ifindex)
{
	struct sriov_nl *nl = NULL;
	int r;

	r = sriov_nl_open(root, &nl, NULL);
	if (r < 0)
		return r;
	r = nl_link_has_addresses(nl, ifindex);
	sriov_nl_close(nl);
	return r;
}

const struct pf_ops pf_default_ops = {
	.write = default_write,
	.has_addresses = default_has_addresses,
	.rename = pf_link_rename,
	.poll_ms = 20,
};

static bool is_pci_address(const char *s)
{
	unsigned dom, bus, dev, fn;
	char tail;

	return sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) ==
		       4 &&
	       strlen(s) == 12;
}

static int copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int sriov_pf_resolve(struct sriov_root *root, const char *name,
		     struct sriov_pf_ref *ret, struct sriov_error *err)
{
	struct sriov_pf_ref pf = { 0 };
	_cleanup_free_ char *dev = NULL, *bus = NULL;
	int r, ifindex;

	if (!name_is_safe(name))
		return sriov_error_set(
			err, -EINVAL,
			"invalid device name '%s' (expected a netdev name or a PCI address)",
			name);
	if (is_pci_address(name) &&
	    fs_is_dir(root->sys_fd, SP("bus/pci/devices", name))) {
		char **nets = NULL;
		size_t n = 0;

		copy_str(pf.bus, sizeof(pf.bus), "pci");
		copy_str(pf.dev, sizeof(pf.dev), name);
		if (fs_list(root->sys_fd, SP("bus/pci/devices", name, "net"),
			    &nets, &n) >= 0 &&
		    n > 0)
			copy_str(pf.ifname, sizeof(pf.ifname), nets[0]);
		strv_free(nets, n);
	} else if (fs_is_dir(root->sys_fd, SP("class/net", name))) {
		if (copy_str(pf.ifname, sizeof(pf.ifname), name) < 0)
			return sriov_error_set(err, -EINVAL,
					       "netdev name '%s' is too long",
					       name);
		r = fs_readlink_base(root->sys_fd,
				     SP("class/net", name, "device"), &dev);
		if (r < 0)
			return sriov_error_set(
				err, -ENODEV,
				"%s is a virtual netdev, not a PF (it has no device)",
				name);
		r = fs_readlink_base(
			root->sys_fd,
			SP("class/net", name, "device", "subsystem"), &bus);
		if (r < 0)
			return sriov_error_set(
				err, r,
				"%s: cannot read the bus of its device: %s",
				name, strerror(-r));
		if (copy_str(pf.bus, sizeof(pf.bus), bus) < 0 ||
		    copy_str(pf.dev, sizeof(pf.dev), dev) < 0)
			return sriov_error_set(
				err, -EINVAL, "%s: device name too long", name);
	} else {
		return sriov_error_set(
			err, -ENODEV,
			"no netdev or PCI device '%s' (see ip link, or lspci -D)",
			name);
	}
	if (fs_exists(root->sys_fd,
		      SP("bus", pf.bus, "devices", pf.dev, "physfn")))
		return sriov_error_set(err, -EINVAL,
				       "%s is a VF, not a PF (give its PF)",
				       name);
	if (pf.ifname[0]) {
		r = fs_read_int(root->sys_fd,
				SP("class/net", pf.ifname, "ifindex"),
				&ifindex);
		if (r < 0)
			return sriov_error_set(err, r,
					       "%s: cannot read ifindex: %s",
					       pf.ifname, strerror(-r));
		pf.ifindex = ifindex;
	}
	*ret = pf;
	return 0;
}

int sriov_pf_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned *numvfs, unsigned *totalvfs,
		    struct sriov_error *err)
{
	uint64_t v;
	int r;

	r = fs_read_u64(root->sys_fd,
			SP("bus", pf->bus, "devices", pf->dev, "sriov_numvfs"),
			10, &v);
	if (r == -ENOENT)
		return sriov_error_set(
			err, r,
			"%s does not support SR-IOV (no sriov_numvfs; is it a VF, or is SR-IOV off in the firmware?)",
			pf->dev);
	if (r < 0)
		return sriov_error_set(err, r, "%s: sriov_numvfs: %s", pf->dev,
				       strerror(-r));
	if (numvfs)
		*numvfs = (unsigned)v;
	if (totalvfs) {
		/* netdevsim has no sriov_totalvfs: unknown is UINT_MAX. */
		r = fs_read_u64(root->sys_fd,
				SP("bus", pf->bus, "devices", pf->dev,
				   "sriov_totalvfs"),
				10, &v);
		*totalvfs = r < 0 ? (unsigned)-1 : (unsigned)v;
	}
	return 0;
}

void pf_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

uint64_t pf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pf_fn_netdev(struct sriov_root *root, const char *addr, char *buf,
		  size_t size)
{
	char **nets = NULL;
	size_t n = 0;

	buf[0] = '\0';
	if (fs_list(root->sys_fd, SP("bus/pci/devices", addr, "net"), &nets,
		    &n) >= 0 &&
	    n > 0 && strlen(nets[0]) < size)
		memcpy(buf, nets[0], strlen(nets[0]) + 1);
	strv_free(nets, n);
}

int pf_netdev_keep_name(struct sriov_root *root, const char *addr,
			const char *want, unsigned timeout_ms,
			const struct pf_ops *ops, const char *label,
			const char *when, struct sriov_error *err)
{
	char now[IFNAMSIZ];
	uint64_t deadline = pf_now_ms() + timeout_ms;
	int r, ifindex;

	for (;;) {
		pf_fn_netdev(root, addr, now, sizeof(now));
		if (now[0])
			break;
		if (pf_now_ms() >= deadline)
			return sriov_error_set(
				err, -ETIMEDOUT,
				"%s: its netdev %s did not come back within %u ms %s",
				label, want, timeout_ms, when);
		pf_sleep_ms(ops->poll_ms ? ops->poll_ms : 20);
	}
	if (!strcmp(now, want))
		return 0;
	r = fs_read_int(root->sys_fd, SP("class/net", now, "ifindex"),
			&ifindex);
	if (r >= 0)
		r = ops->rename(ops->ud, root, ifindex, want);
	if (r < 0)
		return sriov_error_set(
			err, r,
			"%s: its netdev came back %s as %s and cannot be renamed back to %s: %s",
			label, when, now, want, strerror(-r));
	return 0;
}

/* Is VF @vf present, and, when a netdev driver is bound, its netdev? */
static bool vf_ready(struct sriov_root *root, const struct sriov_pf_ref *pf,
		     unsigned vf)
{
	char link[32], **nets = NULL;
	_cleanup_free_ char *addr = NULL, *drv = NULL;
	size_t n = 0;
	bool ok;

	snprintf(link, sizeof(link), "virtfn%u", vf);
	if (fs_readlink_base(root->sys_fd,
			     SP("bus", pf->bus, "devices", pf->dev, link),
			     &addr) < 0)
		return false;
	if (fs_readlink_base(root->sys_fd,
			     SP("bus/pci/devices", addr, "driver"), &drv) < 0)
		return true; /* unbound: nothing more to wait for */
	if (!strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub"))
		return true;
	/* Only a PF with a netdev gives VFs with netdevs (NVMe does not). */
	if (!pf->ifname[0])
		return true;
	ok = fs_list(root->sys_fd, SP("bus/pci/devices", addr, "net"), &nets,
		     &n) >= 0 &&
	     n > 0;
	strv_free(nets, n);
	return ok;
}

static int numvfs_write_error(const struct sriov_pf_ref *pf, unsigned n, int r,
			      struct sriov_error *err)
{
	switch (r) {
	case -EBUSY:
		return sriov_error_set(
			err, r,
			"%s: the kernel refused %u VFs (busy): a VF is still in use (assigned to a VM or held open); release it and retry",
			pf->dev, n);
	case -ERANGE:
		return sriov_error_set(
			err, r,
			"%s: %u VFs is out of range for this device (see sriov_totalvfs)",
			pf->dev, n);
	case -ENOENT:
	case -ENOSYS:
		return sriov_error_set(
			err, r,
			"%s: no driver bound to the PF supports SR-IOV: bind the PF to its driver (not vfio-pci) and retry",
			pf->dev);
	case -EPERM:
	case -EACCES:
		return sriov_error_set(
			err, r,
			"%s: permission denied writing sriov_numvfs (run as root)",
			pf->dev);
	case -ENOMEM:
		return sriov_error_set(
			err, r,
			"%s: the PF driver could not allocate %u VFs (check firmware limits and BAR space, e.g. pci=realloc)",
			pf->dev, n);
	}
	return sriov_error_set(err, r, "%s: writing %u to sriov_numvfs: %s",
			       pf->dev, n, strerror(-r));
}

int pf_set_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
		  unsigned n, unsigned flags, unsigned timeout_ms,
		  const struct pf_ops *ops, struct sriov_error *err)
{
	unsigned cur, total;
	char val[16];
	uint64_t deadline;
	int r;

	r = sriov_pf_numvfs(root, pf, &cur, &total, err);
	if (r < 0)
		return r;
	if (n > total)
		return sriov_error_set(
			err, -ERANGE,
			"%s supports at most %u VFs (sriov_totalvfs), not %u",
			pf->dev, total, n);
	if (cur == n)
		return 0;
	if (n > 0 &&
	    fs_exists(root->sys_fd, SP("bus", pf->bus, "devices", pf->dev,
				       "sriov_drivers_autoprobe"))) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus", pf->bus, "devices", pf->dev,
				  "sriov_drivers_autoprobe"),
			       flags & SRIOV_NUMVFS_NO_AUTOPROBE ? "0" : "1");
		if (r < 0)
			return sriov_error_set(
				err, r, "%s: sriov_drivers_autoprobe: %s",
				pf->dev, strerror(-r));
	}
	/* The kernel answers EBUSY to a change between two non-zero
	 * counts: go through 0. */
	if (cur > 0 && n > 0) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus", pf->bus, "devices", pf->dev,
				  "sriov_numvfs"),
			       "0");
		if (r < 0)
			return numvfs_write_error(pf, 0, r, err);
	}
	snprintf(val, sizeof(val), "%u", n);
	r = ops->write(ops->ud, root->sys_fd,
		       SP("bus", pf->bus, "devices", pf->dev, "sriov_numvfs"),
		       val);
	if (r < 0)
		return numvfs_write_error(pf, n, r, err);

	/* VFs appear asynchronously (probe of their drivers): wait. PCI
	 * only; other buses (netdevsim) have no virtfnN links. */
	if (strcmp(pf->bus, "pci"))
		return 1;
	deadline = pf_now_ms() + timeout_ms;
	for (unsigned vf = 0; vf < n;) {
		if (vf_ready(root, pf, vf)) {
			vf++;
			continue;
		}
		if (pf_now_ms() >= deadline)
			return sriov_error_set(
				err, -ETIMEDOUT,
				"%s: VF %u (virtfn%u, or its netdev) did not appear within %u ms; check dmesg",
				pf->dev, vf, vf, timeout_ms);
		pf_sleep_ms(ops->poll_ms ? ops->poll_ms : 20);
	}
	return 1;
}

int sriov_pf_set_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
			unsigned n, unsigned flags, unsigned timeout_ms,
			struct sriov_error *err)
{
	char what[96];
	int r;

	snprintf(what, sizeof(what), "%s: sriov_numvfs %u", pf->dev, n);
	r = pf_refuse_unless_live(root, what, err);
	if (r < 0)
		return r;
	return pf_set_numvfs(root, pf, n, flags, timeout_ms, &pf_default_ops,
			     err);
}

int sriov_vf_pci(struct sriov_root *root, const struct sriov_pf_ref *pf,
		 unsigned vf, char *buf, size_t size, struct sriov_error *err)
{
	_cleanup_free_ char *addr = NULL;
	char link[32];
	int r;

	snprintf(link, sizeof(link), "virtfn%u", vf);
	r = fs_readlink_base(root->sys_fd,
			     SP("bus", pf->bus, "devices", pf->dev, link),
			     &addr);
	if (r < 0)
		return sriov_error_set(
			err, -ENOENT,
			"%s has no VF %u (no %s; see sriovctl vf show)",
			pf->dev, vf, link);
	if (copy_str(buf, size, addr) < 0)
		return sriov_error_set(err, -ENAMETOOLONG, "%s: long name",
				       link);
	return 0;
}

int sriov_vf_driver(struct sriov_root *root, const struct sriov_pf_ref *pf,
		    unsigned vf, char *buf, size_t size,
		    struct sriov_error *err)
{
	_cleanup_free_ char *drv = NULL;
	char addr[64];
	int r;

	r = sriov_vf_pci(root, pf, vf, addr, sizeof(addr), err);
	if (r < 0)
		return r;
	r = fs_readlink_base(root->sys_fd,
			     SP("bus/pci/devices", addr, "driver"), &drv);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (r < 0)
		return sriov_error_set(err, r, "%s: driver: %s", addr,
				       strerror(-r));
	return copy_str(buf, size, drv);
}

int pf_netdevs_idle(struct sriov_root *root, const char *addr,
		    const char *label, const char *hint,
		    const struct pf_ops *ops, struct sriov_error *err)
{
	char **nets = NULL;
	size_t n = 0;
	int r = 0;

	if (fs_list(root->sys_fd, SP("bus/pci/devices", addr, "net"), &nets,
		    &n) < 0)
		return 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t flags = 0;
		int ifindex = 0, a;

		if (fs_read_u64(root->sys_fd, SP("class/net", nets[i], "flags"),
				16, &flags) < 0 ||
		    !(flags & IFF_UP))
			continue;
		if (fs_read_int(root->sys_fd,
				SP("class/net", nets[i], "ifindex"),
				&ifindex) < 0)
			continue;
		a = ops->has_addresses(ops->ud, root, ifindex);
		if (a > 0)
			r = sriov_error_set(
				err, -EBUSY,
				"%s: its netdev %s is up and has addresses; take it down (ip link set %s down)%s",
				label, nets[i], nets[i], hint);
	}
	strv_free(nets, n);
	return r;
}

int pf_vf_bind(struct sriov_root *root, const struct sriov_pf_ref *pf,
	       unsigned vf, enum sriov_vf_driver drv, bool force,
	       const struct pf_ops *ops, struct sriov_error *err)
{
	_cleanup_free_ char *override = NULL;
	char addr[64], cur[64], now[64];
	uint64_t autoprobe = 1;
	bool has_override;
	int r;

	if (strcmp(pf->bus, "pci"))
		return sriov_error_set(
			err, -EOPNOTSUPP,
			"%s is on the %s bus: its VFs are not PCI devices and have no driver to bind",
			pf->dev, pf->bus);
	r = sriov_vf_driver(root, pf, vf, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	r = sriov_vf_pci(root, pf, vf, addr, sizeof(addr), err);
	if (r < 0)
		return r;
	has_override =
		fs_read_str(root->sys_fd,
			    SP("bus/pci/devices", addr, "driver_override"),
			    &override) >= 0 &&
		override[0] && strcmp(override, "(null)");

	switch (drv) {
	case SRIOV_VF_DRIVER_VFIO:
		if (!strcmp(cur, "vfio-pci"))
			return 0;
		if (!fs_is_dir(root->sys_fd, SP("bus/pci/drivers", "vfio-pci")))
			return sriov_error_set(
				err, -ENOENT,
				"vf %u: vfio-pci is not loaded (modprobe vfio-pci)",
				vf);
		break;
	case SRIOV_VF_DRIVER_DEFAULT:
		if (cur[0] && strcmp(cur, "vfio-pci") && !has_override)
			return 0;
		break;
	case SRIOV_VF_DRIVER_NONE:
		if (!cur[0])
			return 0;
		break;
	}
	if (cur[0] && !force) {
		char label[96];

		snprintf(label, sizeof(label), "vf %u (%s)", vf, addr);
		r = pf_netdevs_idle(root, addr, label, " or give --force", ops,
				    err);
		if (r < 0)
			return r;
	}
	if (cur[0]) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/drivers", cur, "unbind"), addr);
		if (r < 0)
			return sriov_error_set(err, r,
					       "vf %u (%s): unbind from %s: %s",
					       vf, addr, cur, strerror(-r));
	}
	/* driver_override survives unbinding: set it for vfio, clear it
	 * (a lone newline) otherwise so the default driver may claim the
	 * VF again. */
	if (drv == SRIOV_VF_DRIVER_VFIO || has_override) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus/pci/devices", addr, "driver_override"),
			       drv == SRIOV_VF_DRIVER_VFIO ? "vfio-pci" : "\n");
		if (r < 0)
			return sriov_error_set(
				err, r, "vf %u (%s): driver_override: %s", vf,
				addr, strerror(-r));
	}
	if (drv == SRIOV_VF_DRIVER_NONE)
		return 1;
	/* With sriov_drivers_autoprobe 0 the kernel probes a VF only when it
	 * has a driver_override (pci_device_can_probe()): lift it for this
	 * one probe. */
	if (drv == SRIOV_VF_DRIVER_DEFAULT &&
	    fs_read_u64(root->sys_fd,
			SP("bus", pf->bus, "devices", pf->dev,
			   "sriov_drivers_autoprobe"),
			10, &autoprobe) >= 0 &&
	    autoprobe == 0) {
		r = ops->write(ops->ud, root->sys_fd,
			       SP("bus", pf->bus, "devices", pf->dev,
				  "sriov_drivers_autoprobe"),
			       "1");
		if (r < 0)
			return sriov_error_set(
				err, r, "%s: sriov_drivers_autoprobe: %s",
				pf->dev, strerror(-r));
	}
	r = ops->write(ops->ud, root->sys_fd, SP("bus/pci/drivers_probe"),
		       addr);
	if (autoprobe == 0)
		ops->write(ops->ud, root->sys_fd,
			   SP("bus", pf->bus, "devices", pf->dev,
			      "sriov_drivers_autoprobe"),
			   "0");
	if (r < 0 && r != -ENODEV)
		return sriov_error_set(err, r, "vf %u (%s): drivers_probe: %s",
				       vf, addr, strerror(-r));
	r = sriov_vf_driver(root, pf, vf, now, sizeof(now), err);
	if (r < 0)
		return r;
	if (drv == SRIOV_VF_DRIVER_VFIO && strcmp(now, "vfio-pci"))
		return sriov_error_set(
			err, -EIO,
			"vf %u (%s): vfio-pci did not claim it (check dmesg, and the IOMMU: intel_iommu=on / amd_iommu)",
			vf, addr);
	if (drv == SRIOV_VF_DRIVER_DEFAULT && !now[0])
		return sriov_error_set(
			err, -ENODEV,
			"vf %u (%s): no driver claimed it (is the VF driver module loaded?)",
			vf, addr);
	return 1;
}

int sriov_vf_bind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		  unsigned vf, enum sriov_vf_driver drv, bool force,
		  struct sriov_error *err)
{
	char what[96];
	int r;

	snprintf(what, sizeof(what), "%s: vf %u driver", pf->dev, vf);
	r = pf_refuse_unless_live(root, what, err);
	if (r < 0)
		return r;
	return pf_vf_bind(root, pf, vf, drv, force, &pf_default_ops, err);
}
