/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_FABRICD_MAP_H
#define SRIOV_FABRICD_MAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A string-keyed hash map (open addressing, linear probing, tombstones)
 * holding one pointer per key. The map copies the keys and owns them;
 * the values are the caller's.
 */
struct map_slot {
	char *key; /* NULL: empty; MAP_TOMB: deleted */
	size_t hash;
	void *value;
};

struct map {
	struct map_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n; /* live keys */
	size_t used; /* live keys and tombstones */
};

void *map_get(const struct map *m, const char *key);
/* Set @key to @value; the previous value is returned in @ret_old (NULL:
 * none). Return 0 or -ENOMEM. */
int map_set(struct map *m, const char *key, void *value, void **ret_old);
/* Remove @key; its value, or NULL. */
void *map_del(struct map *m, const char *key);
/* Free the keys (not the values). */
void map_release(struct map *m);

/* Iteration: for (size_t i = 0; map_next(m, &i, &k, &v);) */
bool map_next(const struct map *m, size_t *i, const char **ret_key,
	      void **ret_value);

#endif
