/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NOVA_H
#define SRIOV_NOVA_H

/*
 * Nova-compatible PCI passthrough semantics (OpenStack Nova Zed):
 * [pci] device_spec parsing and matching, PCI device pools, [pci] alias,
 * and "does this host support these PCI requests" with NUMA policies.
 * Results and error messages are Nova's, word for word; docs/nova.md lists
 * the few places where we differ.
 *
 * Devices are JSON objects as Nova's libvirt driver reports them:
 * address, vendor_id, product_id, dev_type, parent_addr, numa_node,
 * parent_ifname, capabilities.
 */

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include <sriov/error.h>
#include <sriov/types.h>
#include <sriov/root.h>

/*
 * Allocation failures: every function that returns an int returns
 * -ENOMEM (err says "out of memory") and leaves its outputs unset; a
 * function returning a pointer returns NULL. Results must be checked.
 */
#ifndef SRIOV_MUST_CHECK
#define SRIOV_MUST_CHECK __attribute__((warn_unused_result))
#endif

struct sriov_nova_whitelist;

/**
 * sriov_nova_whitelist_parse() - parse [pci] device_spec values
 * @root: sysfs root for devname and PF look-ups; NULL reads nothing
 *        (devname then never resolves, no address is a PF)
 * @values: the option's values, as strings (each a JSON object or list)
 * @n: number of values
 *
 * On failure err->msg holds Nova's exception text exactly.
 */
int sriov_nova_whitelist_parse(struct sriov_root *root,
			       const char *const *values, size_t n,
			       struct sriov_nova_whitelist **ret,
			       struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_whitelist_free(struct sriov_nova_whitelist *wl);
/* Number of specs (a list value gives several). */
size_t sriov_nova_whitelist_size(const struct sriov_nova_whitelist *wl);
/* Index of the option value a spec came from. */
size_t sriov_nova_whitelist_value_index(const struct sriov_nova_whitelist *wl,
					size_t spec);
/* The spec's tags (borrowed), in Nova's order. */
json_t *sriov_nova_whitelist_tags(const struct sriov_nova_whitelist *wl,
				  size_t spec);

/**
 * sriov_nova_whitelist_match() - the first spec that matches a device
 *
 * Return: the spec index (>= 0), -ENOENT when none matches, another
 * negative errno when Nova would raise (err->msg holds its message).
 */
int sriov_nova_whitelist_match(const struct sriov_nova_whitelist *wl,
			       json_t *dev,
			       struct sriov_error *err) SRIOV_MUST_CHECK;

/* Pools. */
struct sriov_nova_stats;
struct sriov_nova_cell {
	long id;
	long socket; /* -1: unknown (None) */
};

/**
 * sriov_nova_stats_new() - PciDeviceStats for a host
 * @devs: array of device objects (each needs a valid dev_type and an
 *        integer or null numa_node)
 * @cells: the host NUMA cells (for the socket policy), may be NULL
 */
int sriov_nova_stats_new(const struct sriov_nova_whitelist *wl, json_t *devs,
			 const struct sriov_nova_cell *cells, size_t ncells,
			 struct sriov_nova_stats **ret,
			 struct sriov_error *err) SRIOV_MUST_CHECK;
/*
 * Beyond Nova (both off in compatibility mode, i.e. sriov_nova_stats_new()):
 * SRIOV_NOVA_HW_SHARED: a PF and its VFs are one piece of hardware when
 *   answering "does this host support these requests" (Nova's
 *   support_requests() counts both, so a host with one PF and its VFs
 *   passes a request for the PF and a VF, and the claim then fails).
 * SRIOV_NOVA_DETERMINISTIC: the devices a request gets do not depend on the
 *   order the hypervisor reported them in: pools are built in address
 *   order and each pool gives its lowest address first (Nova pops the
 *   last one added).
 */
#define SRIOV_NOVA_HW_SHARED 0x1u
#define SRIOV_NOVA_DETERMINISTIC 0x2u
/*
 * SRIOV_NOVA_SCHEDULER: the pools as the scheduler sees them, which is
 * Nova, not beyond it. The compute node keeps a device_spec tag's JSON
 * type ("trusted": true) in its pools and claims on them; the pools it
 * reports are stored as ComputeNode.pci_device_pools (PciDevicePool: tags
 * are strings, "True", "1", "1.5"; numa_node an integer) and the
 * PciPassthroughFilter reads them back so. A pool Nova cannot store (a
 * tag that is a list or a dict, a numa_node tag that is no integer)
 * makes the compute node's resource tracker raise: it reports no pools,
 * and the stats have none (sriov_nova_stats_unreported() says why).
 * Without the flag: the compute node's view (consume).
 */
#define SRIOV_NOVA_SCHEDULER 0x4u
int sriov_nova_stats_new_flags(const struct sriov_nova_whitelist *wl,
			       json_t *devs,
			       const struct sriov_nova_cell *cells,
			       size_t ncells, unsigned flags,
			       struct sriov_nova_stats **ret,
			       struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_stats_free(struct sriov_nova_stats *st);
/* With SRIOV_NOVA_SCHEDULER: why the compute node reports no pools, or
 * NULL when it reports them. */
const char *sriov_nova_stats_unreported(const struct sriov_nova_stats *st);
/* The pools as Nova lists them (keys + count); a new reference, NULL when
 * out of memory. */
json_t *sriov_nova_stats_pools(const struct sriov_nova_stats *st);

/* One InstancePCIRequest. */
struct sriov_nova_request {
	long count;
	json_t *spec; /* array of objects; values are strings or null */
	enum sriov_numa_policy policy;
	char *alias_name;
	/* private: per pool class, 1 the spec matches, 2 it does not */
	unsigned char *memo;
	size_t memo_n;
	/* private: 0 not computed, else 1 | the dev_type and remote_managed
	 * wishes of the spec (they do not depend on the host) */
	unsigned char wants;
};

/**
 * sriov_nova_stats_support() - PciDeviceStats.support_requests()
 * @cells: guest NUMA cell ids; NULL for none (the PciPassthroughFilter)
 *
 * Return: 1 the host supports the requests, 0 it does not, -ENOMEM.
 */
int sriov_nova_stats_support(const struct sriov_nova_stats *st,
			     const struct sriov_nova_request *reqs,
			     size_t nreqs, const long *cells,
			     size_t ncells) SRIOV_MUST_CHECK;

/* sriov_nova_stats_support(), or with SRIOV_NOVA_HW_SHARED a consume on a
 * copy: 1, 0 or -ENOMEM. */
int sriov_nova_stats_support_flags(const struct sriov_nova_stats *st,
				   const struct sriov_nova_request *reqs,
				   size_t nreqs, const long *cells,
				   size_t ncells) SRIOV_MUST_CHECK;

/**
 * sriov_nova_stats_consume() - PciDeviceStats.consume_requests()
 * @ret: on success, a new array of {"address", "request"} objects, one per
 *       device taken, in the order Nova takes them
 *
 * Takes devices from the pools (a PF takes its free VFs with it, a VF or
 * vdpa device its PF). Return: 0, or -ENOSPC when a request cannot be met
 * (Nova's PciDeviceRequestFailed); devices taken by earlier requests of
 * the call are then given back, their dependents are not (as in Nova).
 * After -ENOMEM the pools are in no defined state: free them.
 */
int sriov_nova_stats_consume(struct sriov_nova_stats *st,
			     const struct sriov_nova_request *reqs,
			     size_t nreqs, const long *cells, size_t ncells,
			     json_t **ret) SRIOV_MUST_CHECK;

/* Aliases ([pci] alias). */
struct sriov_nova_aliases;
int sriov_nova_aliases_parse(const char *const *values, size_t n,
			     struct sriov_nova_aliases **ret,
			     struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_aliases_free(struct sriov_nova_aliases *al);
/**
 * sriov_nova_aliases_translate() - _translate_alias_to_requests()
 * @extra_spec: "name:count[,name:count...]" (flavor pci_passthrough:alias)
 * @policy: override (hw:pci_numa_affinity_policy) or NULL
 */
int sriov_nova_aliases_translate(const struct sriov_nova_aliases *al,
				 const char *extra_spec, const char *policy,
				 struct sriov_nova_request **ret, size_t *ret_n,
				 struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_requests_free(struct sriov_nova_request *reqs, size_t n);

/*
 * The JSON inputs of sriovctl nova fit and consume.
 */

/* One PCI function as Nova's libvirt driver reports it. */
struct sriov_nova_device {
	const char *address, *vendor_id, *product_id;
	const char *dev_type; /* "type-PF", "type-VF", "type-PCI" */
	const char *parent_addr; /* a VF's PF, or NULL */
	const char *parent_ifname; /* a VF's PF netdev, or NULL */
	int numa_node; /* -1: none (null) */
};

/* Append @d to the array @devs as Nova's device dict; 0 or -ENOMEM. */
int sriov_nova_device_append(json_t *devs, const struct sriov_nova_device *d)
	SRIOV_MUST_CHECK;

/**
 * sriov_nova_stats_from_json() - sriov_nova_stats_new_flags() for a host
 * @host: an array of devices, or {"devices": [...], "numa_cells": [{"id":
 *        0, "socket": 0}, ...]}
 */
int sriov_nova_stats_from_json(const struct sriov_nova_whitelist *wl,
			       json_t *host, unsigned flags,
			       struct sriov_nova_stats **ret,
			       struct sriov_error *err) SRIOV_MUST_CHECK;

/* One scheduling question: its requests and the guest's NUMA cells. */
struct sriov_nova_query {
	struct sriov_nova_request *reqs;
	size_t n;
	long *cells; /* NULL: no guest NUMA topology */
	size_t ncells;
};

/**
 * sriov_nova_query_from_json() - a scheduling question from JSON
 * @al: the aliases, or NULL (every alias is then undefined)
 * @e: {"alias": "a1:2,a2:1"}, {"alias": "a1", "count": 2}, or
 *     {"requests": [{"spec": [{...}], "count": N, "numa_policy": P}]} (or
 *     one such request); optional "numa_policy" (overrides the alias's, as
 *     hw:pci_numa_affinity_policy does) and "numa_cells": [ids]
 *
 * Return: 0, -ENOMEM, or -EINVAL with the reason in @err (Nova's message
 * when Nova's alias translation would raise).
 */
int sriov_nova_query_from_json(const struct sriov_nova_aliases *al, json_t *e,
			       struct sriov_nova_query *ret,
			       struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_query_release(struct sriov_nova_query *q);

/*
 * nova.conf.
 */

enum sriov_nova_option {
	SRIOV_NOVA_DEVICE_SPEC, /* [pci] device_spec */
	SRIOV_NOVA_ALIAS, /* [pci] alias */
};

/* One value of a [pci] option. */
struct sriov_nova_conf_value {
	enum sriov_nova_option option;
	char *section; /* as written: "pci", "PCI", "DEFAULT" */
	char *key; /* as written: device_spec, passthrough_whitelist, alias,
		    * pci_passthrough_whitelist, pci_alias */
	bool deprecated; /* key is an old name of the option */
	char *value; /* continuation lines joined by "\n", quotes removed */
	size_t len; /* of value, which may hold NUL bytes */
	unsigned line; /* of the key */
};

struct sriov_nova_conf {
	/* device_spec's values, then alias's, each in the order
	 * CONF.pci.device_spec and CONF.pci.alias list them: the
	 * deprecated names' values first, every name's in file order */
	struct sriov_nova_conf_value *values;
	size_t n;
};

/**
 * sriov_nova_conf_parse() - the [pci] options of a nova.conf, as
 * oslo.config reads them
 * @buf: the file's bytes
 * @name: the file's name, for messages
 *
 * Return: 0; -EINVAL where oslo.config refuses the file (not UTF-8, a
 * section header without ']', a line that is no assignment, ...: err
 * holds "name:line: oslo.config refuses the file: <its message>"), or
 * -ENOMEM.
 */
int sriov_nova_conf_parse(const char *buf, size_t len, const char *name,
			  struct sriov_nova_conf *ret,
			  struct sriov_error *err) SRIOV_MUST_CHECK;

/* sriov_nova_conf_parse() of a file; -errno when it cannot be read. */
int sriov_nova_conf_load(const char *path, struct sriov_nova_conf *ret,
			 struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_conf_release(struct sriov_nova_conf *conf);

/* One finding of sriov_nova_check(). */
struct sriov_nova_problem {
	unsigned line;
	bool error; /* else a warning */
	char *option; /* the key as written; NULL: the file as a whole */
	char *message;
};

struct sriov_nova_report {
	struct sriov_nova_problem *problems;
	size_t n;
	unsigned errors;
};

/**
 * sriov_nova_check() - check a nova.conf's [pci] options
 * @root: sysfs for devname and PF look-ups (as Nova reads them), or NULL
 * @path: the nova.conf
 * @devs: the host's PCI functions as Nova reports them, or NULL; a
 *        device_spec that matches none of them is reported
 * @ret: the findings, by line: a file oslo.config refuses (one error,
 *       option NULL: Nova does not start), values Nova refuses (its
 *       message), and what Nova accepts but does not do what it seems to
 *       (see docs/nova.md); release with sriov_nova_report_release()
 *
 * Return: 0 whatever was found, or a negative errno when the file cannot
 * be read.
 */
int sriov_nova_check(struct sriov_root *root, const char *path, json_t *devs,
		     struct sriov_nova_report *ret,
		     struct sriov_error *err) SRIOV_MUST_CHECK;
void sriov_nova_report_release(struct sriov_nova_report *r);

#endif
