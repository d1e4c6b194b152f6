/* report/derive.c — rewritten stacks for display (derive.h). */
#include "report/derive.h"

#include "common/bounds.h"
#include "report/origin.h"
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

/* Every bit of the key reaches the slot (a murmur3 finalizer): a multiply
 * alone leaves bits 20.. of the product blind to the parent's high bits,
 * and the many parents of one frame (a callers view, an allocator called
 * from 100,000 lines) then probed one long chain. */
static size_t hslot(uint32_t parent, uint32_t frame, size_t cap)
{
	uint64_t k = (uint64_t)parent << 32 | frame;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
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
	return f->flags == PROFILE_FRAME_PYTHON && f->file[0] == '<' &&
	       !strncmp(f->file, "<frozen importlib._bootstrap", 28);
}

/* Which of p's frames are folded away: drop[f] != 0.  NULL on failure. */
static uint8_t *fold_mask(const struct profile *p, unsigned fold, const struct origin *o)
{
	uint8_t *drop = calloc((size_t)p->nframes + 1, 1);
	/* the name test of plumbing, kept per file (a profile's frames share
	 * their file's string): most files can hold none */
	struct {
		const char *file;
		int maybe;
	} seen[1024] = {{0}};
	for (uint32_t f = 0; drop && f < p->nframes; f++) {
		const struct profile_frame *fr = &p->frames[f];
		if (fr->flags != PROFILE_FRAME_PYTHON)
			continue;
		int plumbing = 0;
		if ((fold & DERIVE_FOLD_PLUMBING) && o && fr->file) {
			size_t h = ((uintptr_t)fr->file >> 4) & 1023;
			if (seen[h].file != fr->file) {
				seen[h].file = fr->file;
				seen[h].maybe = origin_may_be_plumbing(fr->file);
			}
			plumbing = seen[h].maybe && origin_plumbing(o, fr->file, fr->func);
		}
		drop[f] = ((fold & DERIVE_FOLD_IMPORTS) && is_import(fr)) || plumbing;
	}
	return drop;
}

int derive_folds_plumbing(const struct profile *p, const int64_t *self, const struct origin *o)
{
	if (!o || !p->nnodes)
		return 0;
	uint8_t *on = calloc((size_t)p->nnodes, 1); /* a plumbing frame on the stack */
	uint8_t *drop = fold_mask(p, DERIVE_FOLD_PLUMBING, o);
	int found = on && drop ? 0 : -ENOMEM;
	for (uint32_t i = 1; !found && i < p->nnodes; i++) {
		const struct profile_node *n = &p->nodes[i];
		on[i] = on[n->parent] || (n->frame < p->nframes && drop[n->frame]);
		if (on[i] && self[i] > 0)
			found = 1;
	}
	free(on);
	free(drop);
	return found;
}

/* Add p's picture `self` under node `under` of out, p's frames copied
 * first (they get indexes from out's current count). */
static int graft(struct profile *out, struct kids *t, uint32_t under, const struct profile *p,
		 const int64_t *self, unsigned fold, const struct origin *o, int reverse)
{
	uint32_t base = out->nframes;
	/* the deepest stack: one forward pass (a parent comes before its
	 * children), not a walk to the root from every node */
	uint32_t depth = 0;
	uint32_t *dep = malloc(((size_t)p->nnodes + 1) * sizeof(*dep));
	if (!dep)
		return -ENOMEM;
	dep[0] = 0;
	for (uint32_t i = 1; i < p->nnodes; i++) {
		uint32_t par = p->nodes[i].parent, d = 0;
		if (par < i) {
			d = dep[par] + 1;
		} else { /* not a trie view.h accepts: walk it as it is */
			for (uint32_t j = i; j; j = p->nodes[j].parent)
				d++;
		}
		dep[i] = d;
		if (d > depth)
			depth = d;
	}
	free(dep);
	uint32_t *path = malloc(((size_t)depth + 1) * sizeof(*path));
	uint8_t *drop = fold_mask(p, fold, o);
	int rc = path && drop ? 0 : -ENOMEM;
	for (uint32_t f = 0; !rc && f < p->nframes; f++) {
		const struct profile_frame *fr = &p->frames[f];
		if (profile_add_frame_ref(out, fr->file, fr->func, fr->line, fr->flags, NULL))
			rc = -ENOMEM;
	}
	if (!rc && p->nnodes && ck_acc_i64(&out->peak_self[under], self[0] > 0 ? self[0] : 0))
		rc = -EOVERFLOW;
	/* Not upside down, a stack's node is its parent's stack's node with
	 * its own frame under it (unless dropped): found once per node of p
	 * and remembered (at[j]: node + 1), made in the order the walk from
	 * the root of each stack would make them. */
	uint32_t *at = reverse ? NULL : calloc((size_t)p->nnodes + 1, sizeof(*at));
	if (!reverse && !at)
		rc = -ENOMEM;
	for (uint32_t i = 1; !rc && at && i < p->nnodes; i++) {
		if (self[i] <= 0)
			continue;
		uint32_t n = 0; /* the unresolved nodes of the stack, leaf first */
		for (uint32_t j = i; j && !at[j]; j = p->nodes[j].parent)
			path[n++] = j;
		while (n-- > 0 && !rc) {
			uint32_t j = path[n], par = p->nodes[j].parent, f = p->nodes[j].frame;
			uint32_t up = par ? at[par] - 1 : under;
			uint32_t node = up;
			if (!drop[f] && !(node = child(t, out, up, base + f)))
				rc = -ENOMEM;
			at[j] = node + 1;
		}
		if (rc)
			break;
		uint32_t node = at[i] - 1;
		/* a stack that is all machinery keeps the frame that holds the
		 * bytes (it would otherwise read as unattributed) */
		if (node == under && !(node = child(t, out, under, base + p->nodes[i].frame))) {
			rc = -ENOMEM;
			break;
		}
		if (ck_acc_i64(&out->peak_self[node], self[i]))
			rc = -EOVERFLOW;
	}
	free(at);
	for (uint32_t i = 1; !rc && reverse && i < p->nnodes; i++) {
		if (self[i] <= 0)
			continue;
		uint32_t d = 0; /* frames leaf first */
		for (uint32_t j = i; j; j = p->nodes[j].parent) {
			uint32_t f = p->nodes[j].frame;
			if (!drop[f])
				path[d++] = f;
		}
		/* a stack that is all machinery keeps the frame that holds the
		 * bytes (it would otherwise read as unattributed) */
		if (!d)
			path[d++] = p->nodes[i].frame;
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
	free(drop);
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

int derive_profile(const struct profile *p, const int64_t *self, unsigned fold, int reverse,
		   const struct origin *o, struct profile *out)
{
	if (profile_init(out))
		return -ENOMEM;
	struct kids t = {0};
	return finish(out, &t, graft(out, &t, 0, p, self, fold, o, reverse));
}

int derive_combined(struct view *const *views, const char *const *labels, size_t n,
		    const struct origin *o, struct profile *out)
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
			rc = graft(out, &t, node, views[i]->p, views[i]->self, DERIVE_FOLD_ALL, o, 0);
	}
	return finish(out, &t, rc);
}

int derive_entries(const struct profile *p, const struct profile_phase_entry *e, uint32_t n,
		   int64_t other, const char *other_name, const struct origin *o, struct profile *out)
{
	if (profile_init(out))
		return -ENOMEM;
	struct kids t = {0};
	uint32_t *fmap = calloc((size_t)p->nframes + 1, sizeof(*fmap)); /* frame + 1 in out */
	uint8_t *drop = fold_mask(p, DERIVE_FOLD_ALL, o);
	uint32_t *path = NULL;
	uint32_t depth = 0;
	int rc = fmap && drop ? 0 : -ENOMEM;
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
		d = 0; /* leaf first, imports and plumbing folded */
		for (uint32_t j = e[k].node; j && d < depth; j = p->nodes[j].parent) {
			uint32_t f = p->nodes[j].frame;
			if (f < p->nframes && !drop[f])
				path[d++] = f;
		}
		if (!d && p->nodes[e[k].node].frame < p->nframes)
			path[d++] = p->nodes[e[k].node].frame;
		uint32_t node = 0;
		while (d-- > 0 && !rc) {
			uint32_t f = path[d];
			if (!fmap[f]) {
				const struct profile_frame *fr = &p->frames[f];
				if (profile_add_frame_ref(out, fr->file, fr->func, fr->line, fr->flags,
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
	free(drop);
	return finish(out, &t, rc);
}
