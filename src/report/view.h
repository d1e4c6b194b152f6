/* report/view.h — one profile prepared for rendering: what every writer
 * (folded, SVG, HTML, summary) needs, computed once.
 *
 * Contract
 *   - view_build() reads the profile (which must outlive the view) and
 *     computes in O(n log n) for n nodes:
 *       * per frame, its display file (relative to cwd when under it, else as
 *         recorded) and label: `FILE:LINE (FUNC)` for a Python frame, the
 *         frame's own text (`[no Python stack]`) for a synthetic one; the
 *         folded-safe form of each label (escape.h esc_folded);
 *       * per node, the bytes live at the peak with that node as innermost
 *         frame (`self`, negative values read as 0) and including its
 *         descendants (`incl`), one reverse pass since parent < index; the
 *         root's self is VIEW_UNATTRIBUTED;
 *       * the children of every node, sorted by label (then index), so every
 *         writer walks the trie in the same deterministic order;
 *       * the top lines at the peak (see view_top).
 *     Returns 0, -ENOMEM, -EINVAL if the trie breaks the model's rules
 *     (a parent not below its child, a frame out of range), or -EOVERFLOW
 *     if the stacks' bytes add up to more than int64_t holds (a profile
 *     from profile_load never does: the reader bounds them).  So every
 *     partial sum a writer makes of self or incl fits in int64_t.
 *   - view_source() gives a frame's source text (source.h), looked up on
 *     first use and remembered.
 *   - Strings in the view point into the profile or into the view; nothing
 *     is escaped: each writer escapes for its own context.
 */
#ifndef OOMPH_REPORT_VIEW_H
#define OOMPH_REPORT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "report/source.h"

#define VIEW_TOP_MAX 10
/* Bytes of the exact peak that no stack accounts for (the root's own bytes,
 * and what is left when the sampled stacks add up to less than the exact
 * peak, e.g. a process that never took a sample): shown under this name so
 * that every total adds up to the peak. */
#define VIEW_UNATTRIBUTED "[unattributed]"

/* A line at the peak: the bytes of every stack whose innermost Python frame
 * is this (file, line, function), however the stack got there.  A stack
 * with no Python frame at all is its own entry, named by its innermost
 * frame's text (synthetic = 1, line 0, function ""). */
struct view_top {
	const char *file;
	const char *func;
	uint32_t line;
	int synthetic;
	uint32_t frame;     /* a frame with this key; UINT32_MAX: unattributed */
	int64_t bytes;
	double share;       /* bytes / peak bytes, 0..1 */
	const char *source; /* stripped source text, "" if unknown */
};

struct view {
	const struct profile *p;
	struct src_cache *src;
	uint32_t nnodes, nframes;
	int64_t total;         /* sum of self == incl[0] == max(peak, sum of stacks) */
	int64_t peak_bytes;    /* the profile's exact peak, or total if it has none */
	int64_t *self, *incl;  /* per node */
	uint32_t *depth;       /* per node; root 0 */
	uint32_t max_depth;
	uint32_t *kids_start;  /* nnodes + 1 entries */
	uint32_t *kids;        /* children of n: kids[kids_start[n] .. kids_start[n+1]) */
	const char **file;     /* per frame */
	const char **label;    /* per frame */
	const char **flabel;   /* per frame, safe in a folded stack */
	const char **source;   /* per frame, NULL until looked up */
	char *strings;         /* storage behind label and flabel */
	struct view_top top[VIEW_TOP_MAX];
	size_t ntop;
	size_t nlines;         /* distinct top-line keys holding bytes (all, not just top) */
};

int view_build(struct view *v, const struct profile *p, const char *cwd, struct src_cache *src);
void view_free(struct view *v);
const char *view_source(struct view *v, uint32_t frame);
/* The label of a node (`all` for the root). */
const char *view_node_label(const struct view *v, uint32_t node);

#endif
