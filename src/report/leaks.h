/* report/leaks.c — leak suspects: the lines whose live bytes grew steadily
 * through the run, from the history of a profile (profile.h "Time").
 *
 * Contract
 *   - leaks_find() reads the profile's moments (the stacks that changed at
 *     each point of the tracker's timeline) once, in order, summing each
 *     node's bytes into its line (view_node_line: the program's own line,
 *     else the innermost Python frame), and fits each line's bytes against
 *     time by least squares, over the moments from the first at which the
 *     line held bytes to the last at which it held its most (after that,
 *     the interpreter's teardown may free it: Ctrl-C unwinds main).
 *     O(changes + moments + lines), whatever the number of stacks.
 *   - A line is a suspect when it grew (fit slope > 0) steadily (R² >=
 *     LEAKS_MIN_R2), by at least LEAKS_MIN_GROWN bytes and 1% of the
 *     peak (the fit's growth over its window, at most the most it held
 *     less what it held at first), over at least LEAKS_MIN_POINTS moments
 *     spanning a fifth of the recorded time and one second, and held its
 *     most until the last tenth of the run (or its last second): a line
 *     that grew, then was freed, is not a leak.  Suspects are ranked by
 *     how much they grew.
 *   - Figures are the tracker's own per stack (exact for allocations of
 *     the sample rate or more, unbiased estimates below it), not rescaled.
 *   - Pure: no I/O; 0 or -ENOMEM.  The suspects' strings point into the
 *     view and its profile.
 *   - leaks_rank() orders suspects of several processes (each process's
 *     found by leaks_find on its own view) the same way: most grown first,
 *     then by process and line, so that a job's list is one ranking.
 */
#ifndef OOMPH_REPORT_LEAKS_H
#define OOMPH_REPORT_LEAKS_H

#include <stddef.h>
#include <stdint.h>

#include "report/view.h"

#define LEAKS_MAX 10
#define LEAKS_MIN_R2 0.8
#define LEAKS_MIN_GROWN (1ll << 20)
#define LEAKS_MIN_POINTS 5

struct leak_suspect {
	int pid;              /* the process whose profile it is in */
	uint32_t frame;       /* the line's frame in the profile */
	const char *file;     /* display file (view.file) */
	const char *func;
	uint32_t line;
	double rate_bytes_per_s; /* the fit's slope */
	int64_t grown_bytes;  /* the fit's growth over the window (slope x its
				 length), at most its most held minus its first */
	double r2;            /* the fit's coefficient of determination */
	double from_s, to_s;  /* the window fitted, the process's own time */
};

int leaks_find(const struct view *v, struct leak_suspect *out, size_t cap, size_t *n);
void leaks_rank(struct leak_suspect *s, size_t n);

#endif
