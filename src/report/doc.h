/* report/doc.h — what one report page describes: the run as a whole (the
 * main report in RUN_DIR) or one other process (RUN_DIR/processes/<pid>/).
 *
 * Contract
 *   - Plain data assembled by report.c and read by summary.c and html.c; no
 *     functions.  Every pointer is borrowed and outlives the writers' calls.
 *   - Strings are raw (from the program or the supervisor): writers escape.
 */
#ifndef OOMPH_REPORT_DOC_H
#define OOMPH_REPORT_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "profile/runmeta.h"
#include "profile/timeline.h"
#include "report/view.h"

/* A phase (the control API) of a process, with its pictures as views of
 * their own (NULL when the state did not keep them): the stacks that grew
 * from its start to its peak, and to its end. */
struct doc_phase {
	const struct profile_phase *ph;
	struct view *peak;
	struct view *left;
};

struct doc_proc {
	const struct profile *p;
	struct view *view;      /* the picture as recorded (tables, folded) */
	int parent;      /* pid of its parent if that one was profiled, else -1 */
	char dir[64];    /* relative to the page's directory: "." or "processes/<pid>" */
	struct view *display;   /* import machinery folded (flame graphs); NULL: view */
	struct view *callers;   /* the same upside down (callers view); NULL: none */
	const struct doc_phase *phases; /* by start */
	size_t nphases;
};

/* The moment of death (or the moment oomph stopped it): what was live then,
 * as a view of its own (docs/report-format.md says which picture). */
struct doc_death {
	struct view *view;
	struct view *display;  /* imports folded: what the graphs draw */
	const char *reason;   /* "killed" (live at death), "failed-allocation",
				 "near-oom" */
	const char *title;    /* "Memory live when the OOM killer struck" ... */
	int64_t bytes;
	double time_s;
};

struct doc_error {
	const char *file;    /* "state/1234.oomph" */
	const char *message;
};

struct doc {
	/* how the run (or process) went */
	int argc;
	char *const *argv;
	const char *python;   /* version, "" if unknown */
	int has_exit_code;
	int exit_code;
	int signal;           /* 0: none (or unknown) */
	const char *verdict;  /* supervisor's word: "exited", "killed", ... */
	double duration_s;
	int64_t peak_rss_bytes; /* 0: unknown */
	uint64_t sample_rate;   /* bytes; 0: unknown */
	int exact;

	const struct doc_proc *main; /* NULL: no process was profiled */
	const struct doc_proc *procs;/* every process on this page, main first */
	size_t nprocs;
	const struct doc_error *errors;
	size_t nerrors;
	const char *const *warnings;
	size_t nwarnings;

	const char *up;       /* from this page's directory to RUN_DIR ("" or "../../") */

	/* the run's memory story (main page only; NULL / 0 elsewhere) */
	const struct runmeta *meta;      /* evidence, limit, pressure */
	const struct doc_death *death;   /* NULL: no memory death */
	const struct timeline *timeline; /* downsampled; NULL or n == 0: none */
	/* A report of a run still in progress (oomph snapshot, SIGUSR2,
	 * oomph report on a running run): what is live now. */
	int running;
	const struct doc_death *now;     /* live now (title, view); NULL: none */
	struct view *combined;           /* all processes in one graph, or NULL */
};

#endif
