/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CORE_PF_H
#define SRIOV_CORE_PF_H

/*
 * Internal seams of the VF lifecycle, so unit tests on a fake sysfs tree
 * can record the sequence of writes, inject kernel errors and simulate
 * what the kernel does in answer.
 */

#include <sriov/vf.h>

struct pf_ops {
	/* write @val to the rooted path; default fs_write_str() */
	int (*write)(void *ud, int dfd, const char *const *comps,
		     const char *val);
	/* does netdev @ifindex have any address; default RTM_GETADDR */
	int (*has_addresses)(void *ud, struct sriov_root *root, int ifindex);
	/* rename netdev @ifindex to @name; default RTM_SETLINK IFLA_IFNAME */
	int (*rename)(void *ud, struct sriov_root *root, int ifindex,
		      const char *name);
	void *ud;
	unsigned poll_ms; /* wait granularity */
};

/* RTM_SETLINK IFLA_IFNAME (the default rename op), over @root's netlink:
 * -EROFS, nothing sent, when @root is not the live /sys. */
int pf_link_rename(void *ud, struct sriov_root *root, int ifindex,
		   const char *name);

/* 0 on the live /sys; else -EROFS saying why @what (e.g. "0000:41:00.0:
 * sriov_numvfs") is not done (core/nl.c). The public VF lifecycle calls it
 * first: on a tree the kernel never acts, so a write would only wait for
 * VFs or drivers that cannot come. */
int pf_refuse_unless_live(struct sriov_root *root, const char *what,
			  struct sriov_error *err);

/* The ops used outside tests. */
extern const struct pf_ops pf_default_ops;

int pf_set_numvfs(struct sriov_root *root, const struct sriov_pf_ref *pf,
		  unsigned n, unsigned flags, unsigned timeout_ms,
		  const struct pf_ops *ops, struct sriov_error *err);
int pf_vf_bind(struct sriov_root *root, const struct sriov_pf_ref *pf,
	       unsigned vf, enum sriov_vf_driver drv, bool force,
	       const struct pf_ops *ops, struct sriov_error *err);

int pf_vf_rebind(struct sriov_root *root, const struct sriov_pf_ref *pf,
		 unsigned vf, unsigned timeout_ms, const struct pf_ops *ops,
		 struct sriov_error *err);

/* Monotonic milliseconds, and a nap, for the waits on the kernel. */
uint64_t pf_now_ms(void);
void pf_sleep_ms(unsigned ms);
/* The first netdev of PCI function @addr, "" when none (or too long). */
void pf_fn_netdev(struct sriov_root *root, const char *addr, char *buf,
		  size_t size);
/* -EBUSY naming @label when a netdev of @addr is up with addresses
 * (@hint ends the message: what else the caller accepts). */
int pf_netdevs_idle(struct sriov_root *root, const char *addr,
		    const char *label, const char *hint,
		    const struct pf_ops *ops, struct sriov_error *err);
/* After a (re)bind: wait up to @timeout_ms for @addr's netdev to come
 * back and rename it @want if the probe named it otherwise. @label and
 * @when ("after the rebind") go into the errors. */
int pf_netdev_keep_name(struct sriov_root *root, const char *addr,
			const char *want, unsigned timeout_ms,
			const struct pf_ops *ops, const char *label,
			const char *when, struct sriov_error *err);

/* A whole PF (port_pf.c): the seams the unit tests drive. */
struct sriov_port_vf;
struct sriov_saved_state;
int port_pf_read(struct sriov_root *root, const struct sriov_port_vf *vf,
		 struct sriov_saved_state *st, struct sriov_error *err);
int port_pf_bind(struct sriov_root *root, const struct sriov_port_vf *vf,
		 const char *driver, const struct pf_ops *ops,
		 struct sriov_error *err);
int port_pf_hand_over(struct sriov_root *root, const struct sriov_port_vf *vf,
		      enum sriov_vf_driver drv, const struct pf_ops *ops,
		      struct sriov_error *err);
int port_pf_restore(struct sriov_root *root, const struct sriov_port_vf *vf,
		    const struct sriov_saved_state *st, unsigned timeout_ms,
		    const struct pf_ops *ops, struct sriov_error *err);
int port_pf_scrub(struct sriov_root *root, const struct sriov_port_vf *vf,
		  const struct pf_ops *ops, struct sriov_error *err);

#endif
