/* report/moments.c — pictures of a few moments of the run, by line, for the
 * report's timeline: click it for what was live then, drag across it for
 * what grew (index.html, #oomph-moments).
 *
 * Contract
 *   - moments_pick() chooses up to `cap` of the profile's moments, evenly
 *     in time (the peak always among them), and for each the MOMENTS_LINES
 *     lines holding most (view_node_line: the program's own line, else the
 *     innermost Python frame; a stack without one by its own frame), from
 *     the tracker's per-stack figures (exact at or above the sample rate,
 *     estimates below), replayed once in order: O(changes + chosen x
 *     frames).
 *   - Pure: no I/O; 0 or -ENOMEM.
 */
#ifndef OOMPH_REPORT_MOMENTS_H
#define OOMPH_REPORT_MOMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "report/view.h"

#define MOMENTS_MAX 64
#define MOMENTS_LINES 30

struct moment_line {
	uint32_t frame;  /* its label: view.label[frame] */
	int64_t bytes;
};

struct moment_pic {
	double t_s;      /* process time */
	int64_t bytes;   /* the exact total then */
	uint32_t n;
	struct moment_line lines[MOMENTS_LINES]; /* largest first */
};

int moments_pick(const struct view *v, struct moment_pic *out, size_t cap, size_t *n);

#endif
