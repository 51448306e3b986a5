/* SPDX-License-Identifier: MIT */
/*
 * [pci] alias: nova/pci/request.py _get_alias_from_config() and
 * _translate_alias_to_requests() (Zed), with jsonschema's messages for the
 * alias schema (jsonschema.validate() raises best_match() of the errors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "nova/pyval.h"
#include "util/macro.h"
#include "util/banned.h"

struct alias {
	char *name;
	char *policy;
	json_t *specs; /* array */
};

struct sriov_nova_aliases {
	struct alias *a;
	size_t n, cap;
};

static const char *const props[] = { "name",	    "capability_type",
				     "product_id",  "vendor_id",
				     "device_type", "numa_policy" };

static bool vendor_pattern(const char *s)
{
	size_t n = strlen(s);

	/* ^([\da-fA-F]{4})$ : $ also matches before a final newline */
	if (n == 5 && s[4] == '\n')
		n = 4;
	if (n != 4)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

/* The message built in b as *ret: 0 or -ENOMEM. */
static int message(struct sbuf *b, char **ret)
{
	*ret = sb_take(b);
	return *ret ? 0 : -ENOMEM;
}

/* The schema error jsonschema would report in *ret, NULL for none: 0 or
 * -ENOMEM. */
static int schema_error(json_t *spec, char **ret)
{
	struct sbuf b = { 0 };
	const char *k;
	json_t *v;

	*ret = NULL;
	if (!json_is_object(spec)) {
		py_repr(&b, spec);
		sb_puts(&b, " is not of type 'object'");
		return message(&b, ret);
	}
	/* additionalProperties (path length 0) */
	size_t nextra = 0;
	json_object_foreach(spec, k, v) {
		bool known = false;
		for (size_t i = 0; i < 6; i++)
			known = known || !strcmp(k, props[i]);
		if (!known)
			nextra++;
	}
	if (nextra) {
		sb_puts(&b, "Additional properties are not allowed (");
		size_t i = 0;
		json_object_foreach(spec, k, v) {
			bool known = false;
			for (size_t j = 0; j < 6; j++)
				known = known || !strcmp(k, props[j]);
			if (known)
				continue;
			json_t *ks = json_string(k);
			if (!ks) {
				sb_release(&b);
				return -ENOMEM;
			}
			if (i++)
				sb_puts(&b, ", ");
			py_repr(&b, ks);
			json_decref(ks);
		}
		sb_puts(&b,
			nextra == 1 ? " was unexpected)" : " were unexpected)");
		return message(&b, ret);
	}
	if (!json_object_get(spec, "name")) {
		sb_puts(&b, "'name' is a required property");
		return message(&b, ret);
	}
	for (size_t i = 0; i < 6; i++) {
		v = json_object_get(spec, props[i]);
		if (!v)
			continue;
		if (!json_is_string(v)) {
			py_repr(&b, v);
			sb_puts(&b, " is not of type 'string'");
			return message(&b, ret);
		}
		const char *s = json_string_value(v);
		size_t len = 0; /* code points */
		for (const char *p = s; *p; p++)
			len += ((unsigned char)*p & 0xc0) != 0x80;
		bool bad = false;
		const char *what = NULL;
		switch (i) {
		case 0:
			if (len < 1)
				what = " is too short";
			else if (len > 256)
				what = " is too long";
			break;
		case 1:
			bad = strcmp(s, "pci") != 0;
			what = bad ? " is not one of ['pci']" : NULL;
			break;
		case 2:
		case 3:
			if (!vendor_pattern(s))
				what = " does not match '^([\\\\da-fA-F]{4})$'";
			break;
		case 4:
			if (strcmp(s, "type-PCI") && strcmp(s, "type-PF") &&
			    strcmp(s, "type-VF"))
				what = " is not one of ['type-PCI', 'type-PF', 'type-VF']";
			break;
		case 5:
			if (strcmp(s, "legacy") && strcmp(s, "required") &&
			    strcmp(s, "preferred") && strcmp(s, "socket"))
				what = " is not one of ['required', 'legacy', 'preferred', 'socket']";
			break;
		}
		if (what) {
			py_repr(&b, v);
			sb_puts(&b, what);
			return message(&b, ret);
		}
	}
	return 0;
}

static int invalid_alias(struct sriov_error *err, const char *reason)
{
	return nova_err(err, "Invalid PCI alias definition: %s", reason);
}

/* One alias value, added to al or merged with the alias of its name. */
static int parse_alias(struct sriov_nova_aliases *al, const char *value,
		       struct sriov_error *err)
{
	char reason[SRIOV_ERROR_MSG_MAX];
	_cleanup_free_ char *se = NULL, *name = NULL, *policy = NULL;
	json_auto_t *spec = NULL;
	json_error_t je;
	int r;

	r = nova_json_loads(value, &spec, &je);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(reason, sizeof(reason), "%s", je.text);
		return invalid_alias(err, reason);
	}
	r = schema_error(spec, &se);
	if (r < 0)
		return r;
	if (se)
		return invalid_alias(err, se);
	name = py_strip(json_string_value(json_object_get(spec, "name")));
	if (!name)
		return -ENOMEM;
	json_object_del(spec, "name");
	json_t *np = json_object_get(spec, "numa_policy");
	policy = strdup(np && json_string_length(np) ? json_string_value(np) :
						       "legacy");
	if (!policy)
		return -ENOMEM;
	json_object_del(spec, "numa_policy");
	json_t *dt = json_object_get(spec, "device_type");
	if (dt) {
		json_incref(dt);
		json_object_del(spec, "device_type");
		r = json_string_length(dt) ?
			    json_object_set(spec, "dev_type", dt) :
			    0;
		json_decref(dt);
		if (r < 0)
			return -ENOMEM;
	}
	struct alias *a = NULL;
	for (size_t k = 0; k < al->n; k++)
		if (!strcmp(al->a[k].name, name))
			a = &al->a[k];
	if (!a) {
		json_t *specs = json_pack("[O]", spec);
		if (!specs || grow_array((void **)&al->a, &al->cap, al->n,
					 sizeof(*al->a)) < 0) {
			json_decref(specs);
			return -ENOMEM;
		}
		al->a[al->n++] = (struct alias){
			.name = TAKE_PTR(name),
			.policy = TAKE_PTR(policy),
			.specs = specs,
		};
		return 0;
	}
	json_t *d0 = json_object_get(json_array_get(a->specs, 0), "dev_type");
	json_t *d1 = json_object_get(spec, "dev_type");
	if (strcmp(a->policy, policy)) {
		snprintf(reason, sizeof(reason),
			 "NUMA policy mismatch for alias '%s'", name);
		return invalid_alias(err, reason);
	}
	if (!d0 || !d1)
		return invalid_alias(err, "'dev_type'");
	if (!py_eq(d0, d1)) {
		snprintf(reason, sizeof(reason),
			 "Device type mismatch for alias '%s'", name);
		return invalid_alias(err, reason);
	}
	return json_array_append(a->specs, spec) < 0 ? -ENOMEM : 0;
}

int sriov_nova_aliases_parse(const char *const *values, size_t n,
			     struct sriov_nova_aliases **ret,
			     struct sriov_error *err)
{
	struct sriov_nova_aliases *al = calloc(1, sizeof(*al));
	int r = 0;

	if (!al)
		return nova_oom(err);
	for (size_t i = 0; i < n && r == 0; i++)
		r = parse_alias(al, values[i], err);
	if (r < 0) {
		sriov_nova_aliases_free(al);
		return r == -ENOMEM ? nova_oom(err) : r;
	}
	*ret = al;
	return 0;
}

void sriov_nova_aliases_free(struct sriov_nova_aliases *al)
{
	if (!al)
		return;
	for (size_t i = 0; i < al->n; i++) {
		free(al->a[i].name);
		free(al->a[i].policy);
		json_decref(al->a[i].specs);
	}
	free(al->a);
	free(al);
}

void sriov_nova_requests_free(struct sriov_nova_request *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(reqs[i].spec);
		free(reqs[i].alias_name);
		free(reqs[i].memo);
	}
	free(reqs);
}

/* One "name:count" of the extra spec as a request. */
static int translate_one(const struct sriov_nova_aliases *al, char *tok,
			 const char *policy, struct sriov_nova_request *ret,
			 struct sriov_error *err)
{
	_cleanup_free_ char *name = NULL, *cs = NULL;
	int ncolon = 0;
	char *end;

	for (char *q = tok; *q; q++)
		ncolon += *q == ':';
	if (ncolon != 1)
		return nova_err(
			err,
			ncolon ?
				"too many values to unpack (expected 2)" :
				"not enough values to unpack (expected 2, got 1)");
	char *colon = strchr(tok, ':');
	*colon = '\0';
	name = py_strip(tok);
	if (!name)
		return -ENOMEM;
	const struct alias *a = NULL;
	for (size_t k = 0; k < al->n; k++)
		if (!strcmp(al->a[k].name, name))
			a = &al->a[k];
	if (!a)
		return nova_err(err, "PCI alias %s is not defined", name);
	cs = py_strip(colon + 1);
	if (!cs)
		return -ENOMEM;
	long count = strtol(cs, &end, 10);
	bool ok = *cs && !*end;
	for (char *q = cs; *q; q++)
		ok = ok && ((*q >= '0' && *q <= '9') ||
			    (q == cs && (*q == '-' || *q == '+')));
	if (!ok)
		return nova_err(err,
				"invalid literal for int() with base 10: '%s'",
				colon + 1);
	enum sriov_numa_policy pol = SRIOV_NUMA_LEGACY;
	sriov_numa_policy_parse(policy && *policy ? policy : a->policy,
				SRIOV_NUMA_NOVA, &pol, NULL);
	json_t *spec = json_deep_copy(a->specs);
	if (!spec)
		return -ENOMEM;
	*ret = (struct sriov_nova_request){
		.count = count,
		.spec = spec,
		.policy = pol,
		.alias_name = TAKE_PTR(name),
	};
	return 0;
}

int sriov_nova_aliases_translate(const struct sriov_nova_aliases *al,
				 const char *extra_spec, const char *policy,
				 struct sriov_nova_request **ret, size_t *ret_n,
				 struct sriov_error *err)
{
	_cleanup_free_ char *copy = strdup(extra_spec);
	struct sriov_nova_request *reqs = NULL;
	size_t n = 0, cap = 0;
	char *p = copy;
	int r = 0;

	if (!copy)
		return nova_oom(err);
	/* str.split(','): empty fields are kept */
	for (;;) {
		char *c = strchr(p, ',');
		if (c)
			*c = '\0';
		r = grow_array((void **)&reqs, &cap, n, sizeof(*reqs));
		if (r == 0)
			r = translate_one(al, p, policy, &reqs[n], err);
		if (r < 0)
			break;
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	if (r < 0) {
		sriov_nova_requests_free(reqs, n);
		return r == -ENOMEM ? nova_oom(err) : r;
	}
	*ret = reqs;
	*ret_n = n;
	return 0;
}
