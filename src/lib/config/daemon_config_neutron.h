/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CONFIG_DAEMON_CONFIG_NEUTRON_H
#define SRIOV_CONFIG_DAEMON_CONFIG_NEUTRON_H

/* The neutron: section of sriovd.yaml (daemon_config.c calls these). */

#include <yaml.h>

#include <sriov/daemon_config.h>

void daemon_config_neutron_init(struct sriov_daemon_neutron *n);
void daemon_config_neutron_release(struct sriov_daemon_neutron *n);
/* @node: the section's value; errors are "path:line:column: neutron: ..." */
int daemon_config_neutron_parse(yaml_document_t *doc, const char *path,
				yaml_node_t *node,
				struct sriov_daemon_neutron *ret,
				struct sriov_error *err);

#endif
