/* SPDX-License-Identifier: MIT */
/*
 * The [pci] options of a nova.conf, read as oslo.config reads them
 * (oslo_config/iniparser.py and cfg.py ConfigParser).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "util/macro.h"
#include "util/banned.h"

void sriov_nova_conf_release(struct sriov_nova_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n; i++) {
		free(conf->values[i].key);
		free(conf->values[i].value);
	}
	free(conf->values);
	conf->values = NULL;
	conf->n = 0;
}

static bool tracked(const char *section, const char *key)
{
	if (!strcmp(section, "pci"))
		return !strcmp(key, "device_spec") ||
		       !strcmp(key, "passthrough_whitelist") ||
		       !strcmp(key, "alias");
	if (!strcmp(section, "DEFAULT"))
		return !strcmp(key, "pci_passthrough_whitelist") ||
		       !strcmp(key, "pci_alias");
	return false;
}

/* Append "\n" and p to the value. */
static int continue_value(struct sriov_nova_conf_value *c, const char *p)
{
	size_t a = strlen(c->value), b = strlen(p);
	char *nv = realloc(c->value, a + b + 2);

	if (!nv)
		return -ENOMEM;
	nv[a] = '\n';
	memcpy(nv + a + 1, p, b + 1);
	c->value = nv;
	return 0;
}

/*
 * "key = value" or "key: value", '#' and ';' comments, a line that starts
 * with white space continues the value above, and a repeated key adds a
 * value (MultiStrOpt).
 */
static int parse_lines(FILE *f, struct sriov_nova_conf *conf)
{
	_cleanup_free_ char *line = NULL, *section = NULL;
	size_t cap = 0, vcap = 0;
	unsigned lineno = 0;
	ssize_t len;
	bool cont = false;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (cont && (line[0] == ' ' || line[0] == '\t')) {
			const char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && continue_value(&conf->values[conf->n - 1], p))
				return -ENOMEM;
			continue;
		}
		cont = false;
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *e = strchr(line, ']');
			free(section);
			section = strndup(line + 1,
					  e ? (size_t)(e - line - 1) : 0);
			if (!section)
				return -ENOMEM;
			continue;
		}
		if (!section)
			continue;
		size_t k = strcspn(line, "=:");
		if (!line[k])
			continue;
		_cleanup_free_ char *key = strndup(line, k);
		char *val = line + k + 1;
		if (!key)
			return -ENOMEM;
		size_t kl = strlen(key);
		while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
			key[--kl] = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		size_t vl = strlen(val);
		while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
			val[--vl] = '\0';
		if (!tracked(section, key))
			continue;
		if (grow_array((void **)&conf->values, &vcap, conf->n,
			       sizeof(*conf->values)) < 0)
			return -ENOMEM;
		char *v = strdup(val);
		if (!v)
			return -ENOMEM;
		conf->values[conf->n++] = (struct sriov_nova_conf_value){
			.key = TAKE_PTR(key), .value = v, .line = lineno
		};
		cont = true;
	}
	return ferror(f) ? -EIO : 0;
}

int sriov_nova_conf_load(const char *path, struct sriov_nova_conf *ret,
			 struct sriov_error *err)
{
	struct sriov_nova_conf conf = { 0 };
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return sriov_error_set(err, -errno, "%s: %s", path,
				       strerror(errno));
	r = parse_lines(f, &conf);
	fclose(f);
	if (r < 0) {
		sriov_nova_conf_release(&conf);
		return sriov_error_set(err, r, "%s: %s", path, strerror(-r));
	}
	*ret = conf;
	return 0;
}
