/* report/derive.c — rewritten stacks for display (derive.h). */
#include "report/derive.h"

#include "common/bounds.h"
#include "report/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* (parent, frame) -> node, open addressing; slots hold node + 1. */
struct kids {
	uint32_t *slot;
	size_t cap;
	size_t n;
};

static size_t hslot(uint32_t parent, uint32_t frame, size_t cap)
{
	uint64_t k = ((uint64_t)parent << 32 | frame) * 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 20) & (cap - 1);
}

static int kids_grow(struct kids *t, const struct profile *out)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 1; i < out->nnodes; i++) {
		size_t h = hslot(out->nodes[i].parent, out->nodes[i].frame, cap);
		while (s[h])
			h = (h + 1) & (cap - 1);
		s[h] = i + 1;
	}
	free(t->slot);
	t->slot = s;
	t->cap = cap;
	return 0;
}

/* The child of `parent` with `frame`, made if missing; 0 on failure. */
static uint32_t child(struct kids *t, struct profile *out, uint32_t parent, uint32_t frame)
{
	if ((t->n + 1) * 2 > t->cap && kids_grow(t, out))
		return 0;
	size_t h = hslot(parent, frame, t->cap);
	while (t->slot[h]) {
		uint32_t n = t->slot[h] - 1;
		if (out->nodes[n].parent == parent && out->nodes[n].frame == frame)
			return n;
		h = (h + 1) & (t->cap - 1);
	}
	uint32_t idx;
	if (profile_add_node(out, parent, frame, 0, 0, &idx))
		return 0;
	t->slot[h] = idx + 1;
	t->n++;
	return idx;
}

static int is_import(const struct profile_frame *f)
{
	return f->flags == PROFILE_FRAME_PYTHON && !strncmp(f->file, "<frozen importlib._bootstrap", 28);
}

/* Add p's picture `self` under node `under` of out, p's frames copied
 * first (they get indexes from out's current count). */
static int graft(struct profile *out, struct kids *t, uint32_t under, const struct profile *p,
		 const int64_t *self, int fold_imports, int reverse)
{
	uint32_t base = out->nframes;
	uint32_t depth = 0;
	for (uint32_t i = 1; i < p->nnodes; i++) {
		uint32_t d = 0;
		for (uint32_t j = i; j; j = p->nodes[j].parent)
			d++;
		if (d > depth)
			depth = d;
	}
	uint32_t *path = malloc(((size_t)depth + 1) * sizeof(*path));
	int rc = path ? 0 : -ENOMEM;
	for (uint32_t f = 0; !rc && f < p->nframes; f++) {
		const struct profile_frame *fr = &p->frames[f];
		if (profile_add_frame(out, fr->file, fr->func, fr->line, fr->flags, NULL))
			rc = -ENOMEM;
	}
	if (!rc && p->nnodes && ck_acc_i64(&out->peak_self[under], self[0] > 0 ? self[0] : 0))
		rc = -EOVERFLOW;
	for (uint32_t i = 1; !rc && i < p->nnodes; i++) {
		if (self[i] <= 0)
			continue;
		uint32_t d = 0; /* frames leaf first */
		for (uint32_t j = i; j; j = p->nodes[j].parent) {
			uint32_t f = p->nodes[j].frame;
			if (!(fold_imports && is_import(&p->frames[f])))
				path[d++] = f;
		}
		uint32_t node = under;
		for (uint32_t k = 0; k < d; k++) {
			uint32_t f = base + (reverse ? path[k] : path[d - 1 - k]);
			node = child(t, out, node, f);
			if (!node) {
				rc = -ENOMEM;
				break;
			}
		}
		if (!rc && ck_acc_i64(&out->peak_self[node], self[i]))
			rc = -EOVERFLOW;
	}
	free(path);
	return rc;
}

static int finish(struct profile *out, struct kids *t, int rc)
{
	int64_t total = 0;
	for (uint32_t i = 0; !rc && i < out->nnodes; i++)
		if (ck_acc_i64(&total, out->peak_self[i]))
			rc = -EOVERFLOW;
	out->peak_bytes = total;
	free(t->slot);
	if (rc)
		profile_free(out);
	return rc;
}

int derive_profile(const struct profile *p, const int64_t *self, int fold_imports, int reverse,
		   struct profile *out)
{
	if (profile_init(out))
		return -ENOMEM;
	struct kids t = {0};
	return finish(out, &t, graft(out, &t, 0, p, self, fold_imports, reverse));
}

int derive_combined(struct view *const *views, const char *const *labels, size_t n,
		    struct profile *out)
{
	if (profile_init(out))
		return -ENOMEM;
	struct kids t = {0};
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint32_t f, node;
		if (profile_add_frame(out, labels[i], "", 0, PROFILE_FRAME_SYNTHETIC, &f) ||
		    !(node = child(&t, out, 0, f)))
			rc = -ENOMEM;
		else
			rc = graft(out, &t, node, views[i]->p, views[i]->self, 1, 0);
	}
	return finish(out, &t, rc);
}

int derive_entries(const struct profile *p, const struct profile_phase_entry *e, uint32_t n,
		   int64_t other, const char *other_name, struct profile *out)
{
	if (profile_init(out))
		return -ENOMEM;
	struct kids t = {0};
	uint32_t *fmap = calloc((size_t)p->nframes + 1, sizeof(*fmap)); /* frame + 1 in out */
	uint32_t *path = NULL;
	uint32_t depth = 0;
	int rc = fmap ? 0 : -ENOMEM;
	for (uint32_t k = 0; !rc && k < n; k++) {
		if (e[k].node == 0 || e[k].node >= p->nnodes || e[k].bytes <= 0)
			continue;
		uint32_t d = 0;
		for (uint32_t j = e[k].node; j && d <= p->nnodes; j = p->nodes[j].parent)
			d++;
		if (d > depth) {
			free(path);
			if (!(path = malloc((size_t)d * sizeof(*path)))) {
				rc = -ENOMEM;
				break;
			}
			depth = d;
		}
		d = 0; /* leaf first, imports folded */
		for (uint32_t j = e[k].node; j && d < depth; j = p->nodes[j].parent) {
			uint32_t f = p->nodes[j].frame;
			if (f < p->nframes && !is_import(&p->frames[f]))
				path[d++] = f;
		}
		uint32_t node = 0;
		while (d-- > 0 && !rc) {
			uint32_t f = path[d];
			if (!fmap[f]) {
				const struct profile_frame *fr = &p->frames[f];
				if (profile_add_frame(out, fr->file, fr->func, fr->line, fr->flags,
						      &fmap[f])) {
					rc = -ENOMEM;
					break;
				}
				fmap[f]++;
			}
			if (!(node = child(&t, out, node, fmap[f] - 1)))
				rc = -ENOMEM;
		}
		if (!rc)
			out->peak_self[node] += e[k].bytes;
	}
	if (!rc && other > 0) {
		uint32_t f, node;
		if (profile_add_frame(out, other_name, "", 0, PROFILE_FRAME_SYNTHETIC, &f) ||
		    !(node = child(&t, out, 0, f)))
			rc = -ENOMEM;
		else
			out->peak_self[node] += other;
	}
	free(path);
	free(fmap);
	return finish(out, &t, rc);
}
