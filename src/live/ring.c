/* live/ring.c — the growth ring of `oomph top` (ring.h). */
#include "live/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void live_ring_init(struct live_ring *r, double window_s)
{
	memset(r, 0, sizeof *r);
	r->window_s = window_s > 0 ? window_s : LIVE_RING_WINDOW_S;
}

static void free_keys(struct live_ring *r)
{
	for (size_t i = 0; i < r->nkeys; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->slots);
	r->keys = NULL;
	r->slots = NULL;
	r->nkeys = r->kcap = r->nslots = 0;
}

void live_ring_free(struct live_ring *r)
{
	for (size_t i = 0; i < r->ns; i++)
		free(r->s[i].e);
	free_keys(r);
	memset(r, 0, sizeof *r);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int rehash(struct live_ring *r, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (size_t id = 0; id < r->nkeys; id++) {
		size_t k = (size_t)hash(r->keys[id]) & (nslots - 1);
		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = (uint32_t)id + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = nslots;
	return 0;
}

/* The id of `key`, added if new: >= 0, or -ENOMEM. */
static long intern(struct live_ring *r, const char *key)
{
	if ((r->nkeys + 1) * 2 > r->nslots && rehash(r, r->nslots ? r->nslots * 2 : 64))
		return -ENOMEM;
	size_t k = (size_t)hash(key) & (r->nslots - 1);
	for (; r->slots[k]; k = (k + 1) & (r->nslots - 1))
		if (!strcmp(r->keys[r->slots[k] - 1], key))
			return (long)r->slots[k] - 1;
	if (r->nkeys == r->kcap) {
		size_t cap = r->kcap ? r->kcap * 2 : 64;
		char **keys = realloc(r->keys, cap * sizeof *keys);
		if (!keys)
			return -ENOMEM;
		r->keys = keys;
		r->kcap = cap;
	}
	char *copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	r->keys[r->nkeys] = copy;
	r->slots[k] = (uint32_t)r->nkeys + 1;
	return (long)r->nkeys++;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct live_ring_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort by id and sum the entries of one id; returns the new count. */
static size_t normalise(struct live_ring_entry *e, size_t n)
{
	qsort(e, n, sizeof *e, entry_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && e[m - 1].id == e[i].id)
			e[m - 1].bytes += e[i].bytes;
		else
			e[m++] = e[i];
	}
	return m;
}

/* Forget the keys no sample refers to: renumber the rest. */
static int compact(struct live_ring *r)
{
	uint32_t *map = malloc(r->nkeys * sizeof *map);
	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < r->nkeys; i++)
		map[i] = UINT32_MAX;
	for (size_t i = 0; i < r->ns; i++)
		for (size_t j = 0; j < r->s[i].n; j++)
			map[r->s[i].e[j].id] = 0;
	size_t m = 0;
	for (size_t id = 0; id < r->nkeys; id++) {
		if (map[id] == UINT32_MAX) {
			free(r->keys[id]);
			continue;
		}
		map[id] = (uint32_t)m;
		r->keys[m++] = r->keys[id];
	}
	r->nkeys = m;
	for (size_t i = 0; i < r->ns; i++) {
		for (size_t j = 0; j < r->s[i].n; j++)
			r->s[i].e[j].id = map[r->s[i].e[j].id];
		/* renumbering keeps the order: ids only move down, in order */
	}
	free(map);
	return rehash(r, r->nslots);
}

int live_ring_push(struct live_ring *r, double t_s, const char *const *keys, const int64_t *bytes,
		   size_t n)
{
	if (r->ns && t_s < r->s[r->ns - 1].t_s)
		return -EINVAL;
	struct live_ring_entry *e = malloc((n ? n : 1) * sizeof *e);
	if (!e)
		return -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (bytes[i] <= 0)
			continue;
		long id = intern(r, keys[i]);
		if (id < 0) {
			free(e);
			return -ENOMEM;
		}
		e[m++] = (struct live_ring_entry){(uint32_t)id, 0, bytes[i]};
	}
	m = normalise(e, m);
	/* Drop what the window no longer needs: samples older than window_s
	 * before the new one, and the oldest when the ring is full. */
	size_t drop = 0;
	while (drop < r->ns && (t_s - r->s[drop].t_s > r->window_s ||
				r->ns - drop >= LIVE_RING_SAMPLES))
		drop++;
	for (size_t i = 0; i < drop; i++)
		free(r->s[i].e);
	memmove(r->s, r->s + drop, (r->ns - drop) * sizeof r->s[0]);
	r->ns -= drop;
	r->s[r->ns++] = (struct live_ring_sample){t_s, m, e};
	if (r->nkeys > LIVE_RING_KEYS)
		return compact(r);
	return 0;
}

static int growth_cmp(const void *a, const void *b)
{
	const struct live_growth *x = a, *y = b;
	if (x->grown != y->grown)
		return x->grown > y->grown ? -1 : 1;
	return strcmp(x->key, y->key);
}

int live_ring_growth(const struct live_ring *r, struct live_growth **out, size_t *n,
		     double *span_s)
{
	*out = NULL;
	*n = 0;
	*span_s = 0;
	if (r->ns < 2)
		return 0;
	const struct live_ring_sample *a = &r->s[0], *b = &r->s[r->ns - 1];
	struct live_growth *g = malloc((a->n + b->n + 1) * sizeof *g);
	if (!g)
		return -ENOMEM;
	size_t i = 0, j = 0, m = 0;
	while (i < a->n || j < b->n) {
		uint32_t id;
		int64_t then = 0, now = 0;
		if (j >= b->n || (i < a->n && a->e[i].id < b->e[j].id)) {
			id = a->e[i].id;
			then = a->e[i++].bytes;
		} else if (i >= a->n || b->e[j].id < a->e[i].id) {
			id = b->e[j].id;
			now = b->e[j++].bytes;
		} else {
			id = a->e[i].id;
			then = a->e[i++].bytes;
			now = b->e[j++].bytes;
		}
		if (now > then)
			g[m++] = (struct live_growth){r->keys[id], then, now, now - then};
	}
	qsort(g, m, sizeof *g, growth_cmp);
	*out = g;
	*n = m;
	*span_s = b->t_s - a->t_s;
	return 0;
}
