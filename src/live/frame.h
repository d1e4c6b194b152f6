/* live/frame.h — one screen of `oomph top`, as text.
 *
 * Contract
 *   - live_frame_render() turns the figures of one moment (struct
 *     live_frame, gathered by live/top.c) into lines of plain text in `out`,
 *     each ending in '\n', none wider than `width` columns (a longer one is
 *     cut; UTF-8 sequences are never split), and at most `height` lines
 *     (0: no bound): the lists of lines are shortened first, the header is
 *     kept.  No escape sequence is written: the caller draws.
 *   - Sections: the run (command, running for how long, or how it ended),
 *     the limit and headroom, memory pressure, one row per process
 *     (tracked now, its peak, RSS), the top lines now, and the lines that
 *     grew most over the window.  A figure that is unknown (< 0) is "?".
 *   - Pure: no I/O, no global state; out of memory is the buffer's (buf.h).
 *     Never used inside the profiled process.
 */
#ifndef OOMPH_LIVE_FRAME_H
#define OOMPH_LIVE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "report/buf.h"

struct live_proc {
	int pid;
	int running;            /* still alive */
	int64_t tracked_bytes;  /* tracked now (or at its end) */
	int64_t peak_bytes;
	int64_t rss_bytes;      /* VmRSS now; < 0 unknown (ended) */
	const char *command;    /* its command line, "" if unknown */
};

struct live_line {
	const char *label;      /* "file.py:12 (func)" */
	int64_t bytes;          /* live now */
	int64_t grown;          /* growth over the window (grew list) */
	const char *source;     /* its source text, or "" */
};

struct live_frame {
	const char *command;    /* the run's command line */
	const char *ended;      /* NULL while it runs, else how it ended:
				   "exited with code 0" ... */
	double elapsed_s;       /* since the run started */
	int quit_hint;          /* say "q quits" */
	int64_t limit_bytes;    /* 0: none known */
	const char *limit_source;
	int64_t usage_bytes;    /* what counts against the limit; < 0 unknown */
	double psi_some, psi_full; /* PSI avg10, percent; < 0 unknown */
	const char *psi_scope;  /* "its cgroup", "the machine" */
	const struct live_proc *procs;
	size_t nprocs;
	const char *lines_title; /* "top lines now", "top lines at the peak" */
	const struct live_line *lines;
	size_t nlines;
	const struct live_line *grew; /* NULL: no growth section (ended run) */
	size_t ngrew;
	double span_s;          /* the growth window actually covered */
};

void live_frame_render(struct buf *out, const struct live_frame *f, int width, int height);

/* "1.5 s", "2 min 5 s", "3 h 02 min": a duration as people read it. */
void live_duration(char *out, size_t cap, double s);

#endif
