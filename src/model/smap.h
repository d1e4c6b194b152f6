/* model/smap.h — a string -> index map for the model's identities (a
 * stack's frames, a line's file:line:function, a frame's text).
 *
 * Contract
 *   - The map owns copies of its keys; the values are the caller's indexes.
 *   - smap_get() returns the key's index, adding it as `next` when absent
 *     (*added set to 1), or SIZE_MAX when out of memory (the map is then
 *     unchanged).  smap_free() releases it; a zeroed struct is an empty map.
 *   - Not thread-safe: one map per thread; never inside the profiled process.
 */
#ifndef OOMPH_MODEL_SMAP_H
#define OOMPH_MODEL_SMAP_H

#include <stddef.h>

struct smap {
	char **keys;
	size_t *vals;
	size_t cap, n;
};

size_t smap_get(struct smap *m, const char *key, size_t next, int *added);
void smap_free(struct smap *m);

#endif
