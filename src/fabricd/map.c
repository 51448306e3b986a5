/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "util/banned.h"

static char tomb;
#define MAP_TOMB (&tomb)

/* FNV-1a: the keys are short ids, and this is fast enough. */
static size_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static bool live(const struct map_slot *s)
{
	return s->key && s->key != MAP_TOMB;
}

static struct map_slot *find(const struct map *m, const char *key, size_t h)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct map_slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != MAP_TOMB && s->hash == h && !strcmp(s->key, key))
			return s;
	}
}

void *map_get(const struct map *m, const char *key)
{
	struct map_slot *s = find(m, key, hash_of(key));

	return s ? s->value : NULL;
}

static int grow(struct map *m)
{
	size_t cap = m->cap ? m->cap : 16;
	struct map_slot *slots;

	/* Rehash at 3/4 of live keys and tombstones; double when live keys
	 * alone pass half. */
	if (m->n * 2 >= cap)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct map_slot *o = &m->slots[i];
		size_t j;

		if (!live(o))
			continue;
		for (j = o->hash & (cap - 1); slots[j].key;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = *o;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->used = m->n;
	return 0;
}

int map_set(struct map *m, const char *key, void *value, void **ret_old)
{
	size_t h = hash_of(key);
	struct map_slot *s = find(m, key, h);
	size_t i;
	char *k;

	if (ret_old)
		*ret_old = NULL;
	if (s) {
		if (ret_old)
			*ret_old = s->value;
		s->value = value;
		return 0;
	}
	if ((m->used + 1) * 4 >= m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	for (i = h & (m->cap - 1); live(&m->slots[i]);
	     i = (i + 1) & (m->cap - 1))
		;
	if (!m->slots[i].key)
		m->used++;
	m->slots[i] = (struct map_slot){ .key = k, .hash = h, .value = value };
	m->n++;
	return 0;
}

void *map_del(struct map *m, const char *key)
{
	struct map_slot *s = find(m, key, hash_of(key));
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = MAP_TOMB;
	s->value = NULL;
	m->n--;
	return v;
}

void map_release(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (live(&m->slots[i]))
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

bool map_next(const struct map *m, size_t *i, const char **ret_key,
	      void **ret_value)
{
	for (; *i < m->cap; (*i)++) {
		const struct map_slot *s = &m->slots[*i];

		if (live(s)) {
			if (ret_key)
				*ret_key = s->key;
			if (ret_value)
				*ret_value = s->value;
			(*i)++;
			return true;
		}
	}
	return false;
}
