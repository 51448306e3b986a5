/* SPDX-License-Identifier: MIT */
/*
 * The neutron: section of sriovd.yaml: how sriovd reaches Neutron as its
 * SR-IOV agent. The transport_url is only checked for its shape here (one
 * string); the rpc layer reads it, in the daemon, which names the line and
 * column recorded below in what it refuses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/daemon_config_neutron.h"
#include "util/strutil.h"
#include "util/banned.h"

/* oslo's own caps would be [DEFAULT] host's 255 and AMQP's shortstr */
#define HOST_MAX 255
#define EXCHANGE_MAX 255
#define URL_MAX 4096

static int at(const char *path, const yaml_node_t *n, struct sriov_error *err,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int at(const char *path, const yaml_node_t *n, struct sriov_error *err,
	      const char *fmt, ...)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sriov_error_set_at(err, -EINVAL, path,
				  (unsigned)n->start_mark.line + 1,
				  (unsigned)n->start_mark.column + 1,
				  "neutron: %s", msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

/* Letters, digits and . - _ : a host name as Nova's and Neutron's [DEFAULT]
 * host are written, or a control exchange name. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

static int set_str(char **dst, const char *s)
{
	char *d = strdup(s);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static int seconds(const char *path, yaml_node_t *v, const char *key,
		   uint64_t min, uint64_t max, unsigned *ret,
		   struct sriov_error *err)
{
	const char *s = scalar(v);
	uint64_t x;

	if (!s || parse_u64(s, 10, &x) < 0 || x < min || x > max)
		return at(
			path, v, err,
			"%s: invalid '%s' (expected whole seconds, %llu..%llu)",
			key, s ? s : "", (unsigned long long)min,
			(unsigned long long)max);
	*ret = (unsigned)x;
	return 0;
}

void daemon_config_neutron_init(struct sriov_daemon_neutron *n)
{
	memset(n, 0, sizeof(*n));
	n->report_interval = 30;
	n->resync_interval = 300;
	n->rpc_timeout = 60;
}

void daemon_config_neutron_release(struct sriov_daemon_neutron *n)
{
	free(n->transport_url);
	free(n->host);
	free(n->control_exchange);
	daemon_config_neutron_init(n);
}

int daemon_config_neutron_parse(yaml_document_t *doc, const char *path,
				yaml_node_t *node,
				struct sriov_daemon_neutron *ret,
				struct sriov_error *err)
{
	struct sriov_daemon_neutron n;
	int r = 0;

	daemon_config_neutron_init(&n);
	n.enabled = true;
	if (node->type != YAML_MAPPING_NODE)
		return at(
			path, node, err,
			"expected a mapping (transport_url, host, report_interval, resync_interval, rpc_timeout, control_exchange)");
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top && r >= 0; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k) ? scalar(k) : "", *s = scalar(v);

		if (!strcmp(key, "transport_url")) {
			if (!s || !s[0] || strlen(s) > URL_MAX)
				r = at(path, v, err,
				       "transport_url: expected one string rabbit://user:pass@host:port[,user:pass@host:port...]/vhost (at most %d bytes)",
				       URL_MAX);
			else
				r = set_str(&n.transport_url, s);
			n.url_line = (unsigned)v->start_mark.line + 1;
			n.url_column = (unsigned)v->start_mark.column + 1;
			/* a quoted value starts one column before its text */
			if (r >= 0 &&
			    (v->data.scalar.style ==
				     YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			     v->data.scalar.style ==
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE))
				n.url_column++;
		} else if (!strcmp(key, "host")) {
			if (!s || !name_ok(s, HOST_MAX))
				r = at(path, v, err,
				       "host: invalid '%s' (1..%d letters, digits, '.', '-', '_': nova-compute's [DEFAULT] host)",
				       s ? s : "", HOST_MAX);
			else
				r = set_str(&n.host, s);
		} else if (!strcmp(key, "control_exchange")) {
			if (!s || !name_ok(s, EXCHANGE_MAX))
				r = at(path, v, err,
				       "control_exchange: invalid '%s' (1..%d letters, digits, '.', '-', '_')",
				       s ? s : "", EXCHANGE_MAX);
			else
				r = set_str(&n.control_exchange, s);
		} else if (!strcmp(key, "report_interval")) {
			r = seconds(path, v, key, 1, 3600, &n.report_interval,
				    err);
		} else if (!strcmp(key, "resync_interval")) {
			r = seconds(path, v, key, 0, 86400, &n.resync_interval,
				    err);
		} else if (!strcmp(key, "rpc_timeout")) {
			r = seconds(path, v, key, 1, 3600, &n.rpc_timeout, err);
		} else {
			r = at(path, k, err,
			       "unknown key '%s' (expected transport_url, host, report_interval, resync_interval, rpc_timeout, control_exchange)",
			       key);
		}
	}
	if (r >= 0 && !n.transport_url)
		r = at(path, node, err,
		       "transport_url is required (rabbit://user:pass@host:port/vhost)");
	if (r >= 0 && !n.control_exchange)
		r = set_str(&n.control_exchange, "neutron");
	if (r == -ENOMEM)
		sriov_error_set(err, r, "out of memory");
	if (r < 0) {
		daemon_config_neutron_release(&n);
		return r;
	}
	daemon_config_neutron_release(ret);
	*ret = n;
	return 0;
}
