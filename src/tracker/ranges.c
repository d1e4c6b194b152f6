/* tracker/ranges.c — a sorted array; mappings are few (pymalloc arenas are
 * 256 KiB-1 MiB, big buffers are few), so O(n) inserts are cheap. */
#include "tracker/ranges.h"

#include <errno.h>
#include <string.h>

#include "tracker/rawmem.h"

static int reserve(struct ranges *r, size_t need)
{
	if (need <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 256;
	while (cap < need)
		cap *= 2;
	struct range *nv = raw_alloc(cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	if (r->n)
		memcpy(nv, r->v, r->n * sizeof(*nv));
	raw_free(r->v, r->cap * sizeof(*r->v));
	r->v = nv;
	r->cap = cap;
	return 0;
}

/* First index whose end is above addr. */
static size_t first_after(const struct ranges *r, uintptr_t addr)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Weights may carry a flag in their top bit (tracker.c's W_EXACT): keep it
 * on every piece. */
#define FLAG (1ull << 63)

static uint64_t share(uint64_t weight, uint64_t part, uint64_t whole)
{
	if (!whole)
		return weight & FLAG;
	return (weight & FLAG) | (uint64_t)((unsigned __int128)(weight & ~FLAG) * part / whole);
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return (a & FLAG) | ((a & ~FLAG) - (b & ~FLAG));
}

int ranges_remove(struct ranges *r, uintptr_t a, size_t len, ranges_piece_cb cb, void *ctx)
{
	uintptr_t b = a + len;
	size_t i = first_after(r, a);
	while (i < r->n && r->v[i].start < b) {
		struct range *g = &r->v[i];
		uintptr_t lo = g->start > a ? g->start : a;
		uintptr_t hi = g->end < b ? g->end : b;
		uint64_t whole = g->end - g->start;
		uint64_t piece = hi - lo;
		uint64_t w = g->node == RANGE_UNSAMPLED ? 0 : share(g->weight, piece, whole);
		if (cb)
			cb(ctx, lo, piece, g->node, w, g->flags);
		if (lo == g->start && hi == g->end) {
			memmove(g, g + 1, (r->n - i - 1) * sizeof(*g));
			r->n--;
			continue;
		}
		if (lo == g->start) {
			g->start = hi;
			g->weight = minus(g->weight, w);
		} else if (hi == g->end) {
			g->end = lo;
			g->weight = minus(g->weight, w);
		} else { /* a hole in the middle: split in two */
			if (reserve(r, r->n + 1))
				return -ENOMEM;
			g = &r->v[i];
			memmove(g + 1, g, (r->n - i) * sizeof(*g));
			r->n++;
			uint64_t left = lo - g->start;
			uint64_t wl = g->node == RANGE_UNSAMPLED ? 0 : share(g->weight, left, whole);
			uint64_t wr = g->node == RANGE_UNSAMPLED ? 0 : minus(minus(g->weight, wl), w);
			g[0].end = lo;
			g[0].weight = wl;
			g[1].start = hi;
			g[1].weight = wr;
			i++;
		}
		i++;
	}
	return 0;
}

int ranges_add(struct ranges *r, uintptr_t start, size_t len, uint32_t node,
	       uint64_t weight, uint32_t flags, ranges_piece_cb cb, void *ctx)
{
	if (!len)
		return 0;
	int rc = ranges_remove(r, start, len, cb, ctx);
	if (rc)
		return rc;
	if (reserve(r, r->n + 1))
		return -ENOMEM;
	size_t i = first_after(r, start);
	memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(r->v[0]));
	r->v[i].start = start;
	r->v[i].end = start + len;
	r->v[i].node = node;
	r->v[i].flags = flags;
	r->v[i].weight = weight;
	r->n++;
	return 0;
}

struct range *ranges_find(struct ranges *r, uintptr_t start)
{
	size_t i = first_after(r, start);
	return i < r->n && r->v[i].start == start ? &r->v[i] : NULL;
}

struct range *ranges_containing(struct ranges *r, uintptr_t addr)
{
	size_t i = first_after(r, addr);
	return i < r->n && r->v[i].start <= addr ? &r->v[i] : NULL;
}

int ranges_overlap(const struct ranges *r, uintptr_t start, size_t len)
{
	size_t i = first_after(r, start);
	return len && i < r->n && r->v[i].start < start + len;
}
