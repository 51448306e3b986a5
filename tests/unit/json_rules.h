/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_TEST_JSON_RULES_H
#define SRIOV_TEST_JSON_RULES_H

/*
 * json_rules_violation(v): the first member of @v that breaks the README's
 * JSON conventions, as text, or NULL. The same rules as
 * tests/cli/json_conventions.py, which holds sriovctl's -j outputs to them:
 * by key, a GUID is "0x" and 16 lowercase hex digits, a P-key "0x" and 4,
 * an id (vendor, device) 4 without 0x; an index is a number or null, never
 * a word; and no number is negative, since what the kernel does not give
 * (a NUMA node of -1) is null.
 */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static inline bool json_rules_hex(const char *s, const char *prefix,
				  size_t digits)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || strlen(s) != n + digits)
		return false;
	for (s += n; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static inline bool json_rules_ends(const char *key, const char *tail)
{
	size_t k = strlen(key), t = strlen(tail);

	return k >= t && !strcmp(key + k - t, tail);
}

static inline const char *json_rules_at(const json_t *v, const char *key,
					const char *path, char *buf,
					size_t size)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach((json_t *)v, k, x) {
			char sub[256];
			const char *r;

			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			r = json_rules_at(x, k, sub, buf, size);
			if (r)
				return r;
		}
		return NULL;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach((json_t *)v, i, x) {
			char sub[256];
			const char *r;

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			r = json_rules_at(x, key, sub, buf, size);
			if (r)
				return r;
		}
		return NULL;
	}
	if (json_is_integer(v) && json_integer_value(v) < 0) {
		snprintf(buf, size, "%s is %lld: unknown must be null", path,
			 (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_string(v) && key) {
		const char *s = json_string_value(v);
		bool ok = true;
		const char *form = NULL;

		if (json_rules_ends(key, "_idx") ||
		    json_rules_ends(key, "index"))
			ok = false, form = "a number or null";
		else if (strstr(key, "guid"))
			ok = json_rules_hex(s, "0x", 16), form = "0x + 16 hex";
		else if (strstr(key, "pkey"))
			ok = json_rules_hex(s, "0x", 4), form = "0x + 4 hex";
		else if (!strcmp(key, "vendor") || !strcmp(key, "device"))
			ok = json_rules_hex(s, "", 4), form = "4 hex";
		if (!ok) {
			snprintf(buf, size, "%s is \"%s\", not %s", path, s,
				 form);
			return buf;
		}
	}
	return NULL;
}

static inline const char *json_rules_violation(const json_t *v)
{
	static char buf[512];

	return json_rules_at(v, NULL, "$", buf, sizeof(buf));
}

#endif
