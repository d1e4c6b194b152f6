/* model/smap.c — the string -> index map (smap.h): open addressing over
 * FNV-1a, doubled at half full. */
#include "model/smap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


static uint64_t smap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The index of key, adding it as `next` if absent (*added set).  SIZE_MAX
 * when out of memory. */
size_t smap_get(struct smap *m, const char *key, size_t next, int *added)
{
	*added = 0;
	if (m->n * 2 >= m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		char **k = calloc(cap, sizeof *k);
		size_t *v = calloc(cap, sizeof *v);
		if (!k || !v) {
			free(k);
			free(v);
			return SIZE_MAX;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t j = smap_hash(m->keys[i]) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = m->keys[i];
			v[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = k;
		m->vals = v;
		m->cap = cap;
	}
	size_t j = smap_hash(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key))
			return m->vals[j];
		j = (j + 1) & (m->cap - 1);
	}
	if (!(m->keys[j] = strdup(key)))
		return SIZE_MAX;
	m->vals[j] = next;
	m->n++;
	*added = 1;
	return next;
}

void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}
