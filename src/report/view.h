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
 *       * the top lines at the peak (see view_top), and the program's own
 *         lines (see view_mine);
 *       * per frame, whose code it is and its short label (origin.h).
 *     Returns 0, -ENOMEM, -EINVAL if the trie breaks the model's rules
 *     (a parent not below its child, a frame out of range), or -EOVERFLOW
 *     if the stacks' bytes add up to more than int64_t holds (a profile
 *     from profile_load never does: the reader bounds them).  So every
 *     partial sum a writer makes of self or incl fits in int64_t.
 *   - view_source() gives a frame's source text (source.h), looked up on
 *     first use and remembered; the flame graph's frames (flamegraph.h)
 *     are kept the same way, in `flame`.  view_free() releases both.
 *   - Strings in the view point into the profile, into the view, or (built
 *     with a source cache) into the cache's memo of frame texts, shared by
 *     every view of the cache with the same origin and valid until
 *     src_free() (source.h src_memo): each distinct frame is labelled once
 *     per report, not once per view.  Without a cache (or with another
 *     origin's memo in it) the view keeps a memo of its own.  Nothing is
 *     escaped but flabel: each writer escapes for its own context.
 */
#ifndef OOMPH_REPORT_VIEW_H
#define OOMPH_REPORT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "report/origin.h"
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

/* A line of the program's own code at the peak ("your lines"): the bytes of
 * every stack whose innermost frame in the program's code (origin.h) is this
 * (file, line, function).  A stack with no such frame is named by what it
 * imported ("[import numpy]", synthetic, when an import is on it), else by
 * its innermost Python frame as in view_top, else by its synthetic frame.
 * `via` is the innermost frame (short label) of the stacks holding most of
 * its bytes, "" when that is the line itself. */
struct view_mine {
	struct view_top l;  /* frame UINT32_MAX also for an import */
	const char *via;
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
	const char **slabel;   /* per frame, for people: the file shortened to
				  what one recognises (origin.h: the package's
				  or the standard library's path,
				  `pandas/core/frame.py:10090 (DataFrame.merge)`) */
	uint8_t *kind;         /* per frame: enum origin_kind (Python frames) */
	uint32_t *node_line;   /* per node: view_node_line()'s answer, one
				  forward pass (moments and leaks ask for
				  every node) */
	const char **source;   /* per frame, NULL until looked up */
	uint32_t *key;         /* per frame: its line's key (lines with one key
				  are one line: view_top) */
	uint32_t unattr_key;   /* the key of VIEW_UNATTRIBUTED */
	uint32_t *ent;         /* per frame: its entry in the memo (frames
				  with one entry have the same texts) */
	const void *memo;      /* the memo the texts and keys live in */
	void *own_memo;        /* the view's own (no cache's to share), or NULL */
	struct view_top top[VIEW_TOP_MAX];
	size_t ntop;
	size_t nlines;         /* distinct top-line keys holding bytes (all, not just top) */
	struct view_mine mine[VIEW_TOP_MAX];
	size_t nmine;
	size_t nmine_lines;    /* distinct "your lines" holding bytes */
	char *mine_strings;    /* storage behind the import names */
	/* the flame graph's frames (flamegraph.c), drawn on first use: the
	 * standalone file and the page draw the same picture */
	char *flame;           /* NULL until drawn */
	size_t flame_len;
	int flame_rows;        /* rows of frames; 0: none drawn */
};

int view_build(struct view *v, const struct profile *p, const char *cwd, struct src_cache *src);
/* The same, knowing the interpreter's directories and the script's
 * (origin.h; NULL: as view_build with cwd ""); o is used only during the
 * call. */
int view_build_in(struct view *v, const struct profile *p, const struct origin *o,
		  struct src_cache *src);
/* The same for a profile made of like's frames (a picture derived from
 * like's profile, derive.h, or another picture of the same process),
 * built with the same origin and cache: each frame with like's frame's
 * strings (the same pointers), line and flags at the same index takes
 * like's texts as they are, not looked up again; when p's nodes are
 * like's profile's too (the same array), so are the children's order,
 * the depths and view_node_line.  The result is view_build_in's; like
 * is only read during the call (what is taken is copied). */
int view_build_like(struct view *v, const struct profile *p, const struct view *like,
		    const struct origin *o, struct src_cache *src);
void view_free(struct view *v);
const char *view_source(struct view *v, uint32_t frame);
/* A slot for a writer's own text of a frame (NULL until it sets one: a
 * malloc'd block, freed with the memo), shared by every frame of every
 * view with the frame's memo entry, i.e. the same file, function, line
 * and flags under the same origin: what the writer makes of those and
 * of the frame's labels and source is made once per report.  NULL: no
 * memory. */
char **view_frame_extra(struct view *v, uint32_t frame);
/* Every line holding bytes (not only the VIEW_TOP_MAX of `top`), largest
 * first, in the order and with the figures of `top` but no source text
 * (source ""): *out is malloc'd, the caller frees it.  0 or -ENOMEM. */
int view_lines(const struct view *v, struct view_top **out, size_t *n);
/* The label of a node (`all` for the root). */
const char *view_node_label(const struct view *v, uint32_t node);
/* Its short label (slabel; `all` for the root). */
const char *view_node_short(const struct view *v, uint32_t node);
/* The line a person would change for the stack ending at node: the frame
 * of its innermost Python frame in the program's own code (origin.h), else
 * of its innermost Python frame; UINT32_MAX when it has none. */
uint32_t view_node_line(const struct view *v, uint32_t node);

#endif
