/* report/doc.h — what one report page describes: the run as a whole (the
 * main report in RUN_DIR) or one other process (RUN_DIR/processes/<pid>/).
 *
 * Contract
 *   - Plain data assembled by report.c; doc_decide() (doc.c) then decides
 *     every headline number once, into d->head, and the writers (summary.c,
 *     html.c, export.c, chart.c, text.c) only format d->head and the
 *     pictures (and the evidence, through doc_evidence()).  Every pointer is borrowed and outlives the writers' calls.
 *   - Strings are raw (from the program or the supervisor): writers escape.
 */
#ifndef OOMPH_REPORT_DOC_H
#define OOMPH_REPORT_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "profile/jobfile.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "profile/timeline.h"
#include "report/leaks.h"
#include "report/moments.h"
#include "report/view.h"

struct chart_stack; /* report/chart.h */

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
	struct view *display;   /* import machinery and plumbing (runpy,
				   threading's bootstrap, pytest ...) folded:
				   what the flame graphs draw; NULL: view */
	struct view *callers;   /* display upside down (callers view); NULL: none */
	const struct doc_phase *phases; /* by start */
	size_t nphases;
	int64_t hwm_bytes;      /* its peak RSS as the supervisor saw it while
				   it ran (VmHWM); 0 unknown: doc_proc_rss() */
	const struct doc_victim *victim; /* how it was ended, if it did not
					    end by itself; NULL */
	struct view *plumbing;  /* imports folded, plumbing shown (the page's
				   "show" control); NULL: none was folded */
};

/* The moment of death (or the moment oomph stopped it): what was live then,
 * as a view of its own (docs/report-format.md says which picture). */
struct doc_death {
	struct view *view;
	struct view *display;  /* imports and plumbing folded: what the graphs draw */
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

/* A process of the job at one instant (the job's peak, a death). */
struct doc_job_proc {
	int pid;
	unsigned generation;
	int argc;
	char *const *argv;
	int64_t bytes;          /* tracked bytes it held then */
};

/* A process of the job that did not end by itself: killed (the OOM killer,
 * a signal) or ended by its own parent (Pool.terminate), docs/deaths.md. */
struct doc_victim {
	int pid;
	unsigned generation;
	int parent;             /* its parent's pid, -1 unknown */
	int argc;
	char *const *argv;
	const char *verdict;    /* "oom-killed", "killed", "ended-by-parent" */
	const char *evidence;   /* the kill's evidence (kernel log record,
				   cgroup counter), "" when none */
	double time_s;          /* since the run's start; < 0 unknown */
	int64_t live_bytes;     /* tracked bytes it held when it died */
};

/* The run as one job: every profiled process together (main page only). */
struct doc_job {
	size_t nprocs;            /* profiled processes of the job */
	/* the job's exact tracked peak (joba: the shared job file) */
	int has_peak;             /* 0: no job file (then the fields below are 0) */
	int64_t peak_tracked_bytes;
	double peak_time_s;       /* since the run's start */
	const struct doc_job_proc *at_peak; /* processes at the peak, largest first */
	size_t nat_peak;
	struct view *top;         /* every process at the job's peak (job.folded):
				     its top lines merged across processes; NULL none */
	const size_t *top_nprocs; /* per top line: in how many processes */
	/* RSS of the whole job at one instant (jobb) */
	int64_t peak_rss_bytes;   /* largest sum of the processes' PSS seen while
				     it ran (every 100 ms); 0 unknown */
	const char *peak_rss_how; /* "pss" (shared pages once), "rss" (PSS
				     unreadable: shared pages counted in each) */
	int64_t cgroup_peak_bytes; /* the kernel's own high-water mark of
				      oomph's private cgroup (--limit); 0 none */
	/* how the job ended (jobb) */
	const char *verdict;      /* "oom-killed" when any process was, else
				     the main process's verdict */
	const struct doc_victim *victims; /* processes that did not end by
					     themselves, by time of death */
	size_t nvictims;
	/* the job at the death of one of its processes (the first the OOM
	 * killer took; else the first killed by SIGKILL or stopped near the
	 * limit: docs/deaths.md); death_victim NULL: none died so */
	const struct doc_victim *death_victim;
	double death_time_s;      /* the instant pictured, since the run's start */
	int64_t death_bytes;      /* what the processes held of their own then, summed */
	const struct doc_job_proc *at_death; /* every process in the job then
						(also holding nothing), largest first */
	size_t nat_death;
	struct view *death;       /* those holding something, each under a frame
				     naming it (job-death.folded); NULL: none */
	char death_when[96];      /* "when process 1235 was OOM-killed" */
};

/* How much memory to ask a scheduler for (doc_decide; the rule is
 * doc_sizing_request, docs/report-format.md "sizing"). */
#define DOC_HEADROOM 1.2 /* 20% above what it needed */
struct doc_sizing {
	int has;                 /* 0: nothing to say (running, no figure) */
	int at_limit;            /* it ran out at its limit: needed more than
				    limit_bytes, how much more is not known */
	int64_t needed_bytes;    /* what it needed: the peak RSS of all its
				    processes at one instant (the job's PSS
				    sum), or the main process's when larger
				    or alone; at_limit: the limit */
	const char *needed_what; /* "peak RSS of all its processes", ... */
	int64_t request_bytes;   /* needed_bytes with headroom, rounded up */
	char request[32];        /* "600 MiB" */
	char kubernetes[32];     /* "600Mi" */
	char slurm[32];          /* "600M" */
	char docker[32];         /* "600m" */
	char text[512];          /* the advice as a sentence */
};
/* DOC_HEADROOM above `needed`, rounded up to 100 MiB (to 1 GiB from
 * 10 GiB on): the request a person would write. */
int64_t doc_sizing_request(int64_t needed);

/* A shared-memory segment (a memfd, a file on tmpfs) that a process of the
 * page sized and still held at its end or death (profile.segments), with
 * the line that sized it (view_node_line: the program's own line when
 * there is one, e.g. below multiprocessing's shared_memory.py). */
struct doc_segment {
	int pid;
	const char *kind;       /* "memfd", "tmpfs" */
	const char *name;       /* a memfd's name, a tmpfs file's path */
	int64_t bytes;          /* charged: its page-rounded size */
	const char *file;       /* display file of that line; NULL: no Python line */
	const char *func;
	uint32_t line;
	const char *source;     /* its text, "" unknown */
};

/* Shared memory on the page (doc_decide; docs/report-format.md
 * "shared_memory").  Segments are counted once across the job, by the
 * process that sized them, so the page's processes' records add up. */
#define DOC_SEGMENTS_MAX 64
#define DOC_SEGMENTS_TOLD 3 /* named in the sentence; the rest counted */
struct doc_shm {
	int64_t bytes;          /* live at the end (or death): all segments */
	size_t nsegments;       /* how many */
	size_t nlisted;         /* in seg[], largest first */
	struct doc_segment seg[DOC_SEGMENTS_MAX];
	uint64_t sized;         /* segments they ever sized */
	int64_t peak_bytes;     /* in the main process's peak picture */
	char text[768];         /* "shared memory: 300.0 MiB in 1 segment (memfd
				   'big') created at shm_oom.py:14"; "" none */
	int in_story;           /* text is part of the death's evidence */
};

/* Why RSS and tracked memory differ (doc_decide, from what the supervisor
 * read of the main process near its tracked peak: run.meta's split,
 * docs/report-format.md "rss_vs_tracked"). */
struct doc_rss_gap {
	int has;                 /* 0: nothing was read (the run's page only) */
	const struct runmeta_rss_split *at;
	int64_t untouched_bytes; /* tracked beyond the anonymous RSS: allocated,
				    never touched (so never given pages) */
	int64_t kept_bytes;      /* anonymous RSS beyond tracked: freed but kept
				    by the allocator, stacks, untracked */
	char text[1024];         /* the sentence, for every writer */
};

/* Every headline number of a page, decided once by doc_decide()
 * (report/doc.c); the writers only format these. */
struct doc_headline {
	int has_peak;             /* the page has a main process */
	int64_t peak_bytes;       /* its exact tracked peak */
	double peak_time_s;
	int64_t peak_rss_bytes;   /* its peak RSS (VmHWM: since its exec); 0 unknown */
	int64_t inherited_bytes;  /* a fork child: its heap at the fork (its
				     parent's, in the job once; in peak_bytes too) */
	int64_t inherited_freed_bytes; /* of those, what it freed itself */
	int exact;                /* every allocation recorded */
	uint64_t sample_rate;     /* bytes; 0 unknown */
	int64_t limit_bytes;      /* the limit in force; 0 none */
	const char *limit_kind;   /* "" none */
	const char *limit_source; /* "" none */
	const char *limit_mode;   /* --limit's mode, "" without */
	const char *verdict;      /* the word (never NULL) */
	char verdict_text[768];   /* the rest of a sentence after the command */
	/* the uncaught exception the main process died of
	 * (doc_proc_exception); NULL / NULL: none */
	const char *exc_type;     /* "concurrent.futures.process.BrokenProcessPool" */
	const char *exc_message;  /* its first line, "" none */
	int ok;                   /* exited with code 0 */
	const char *tone;         /* "good", "ended", "death": its colour, red
				     only for a death (text_verdict_tone) */
	const struct doc_death *moment; /* the decisive moment: death, or now; NULL */
	struct doc_sizing sizing;
	struct doc_job job;
	struct doc_rss_gap gap;
	struct doc_shm shm;
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
	/* The main process's exact tracked bytes over time as its tracker
	 * recorded them (profile.timeline, extrema kept, times on the run's
	 * clock like the timeline's); NULL / 0 when there are several
	 * processes (the supervisor's line adds them up) or no record. */
	const struct profile_point *memory;
	size_t nmemory;
	double memory_offset_s; /* added to the process's times for the run's clock */
	/* Pictures of a few moments by line, for picking on the chart
	 * (report/moments.h); with `memory` only. */
	const struct moment_pic *moments;
	size_t nmoments;
	/* A report of a run still in progress (oomph snapshot, SIGUSR2,
	 * oomph report on a running run): what is live now. */
	int running;
	const struct doc_death *now;     /* live now (title, view); NULL: none */
	/* What the main process still held when it ended (live at exit, or
	 * at its death): exit.folded, exit.svg; NULL while it runs. */
	const struct doc_death *exit_pic;
	/* 1: the death's picture is that same picture (a process killed
	 * holds at its death what it held when it ended): writers show it
	 * once, as the death (exit.folded is still written). */
	int exit_is_death;
	/* Lines whose live bytes grew steadily (report/leaks.h), of every
	 * process, most grown first */
	const struct leak_suspect *leaks;
	size_t nleaks;
	struct view *combined;           /* all processes in one graph, or NULL */
	/* processes of the job that did not end by themselves (report.c, from
	 * run.meta and the profiles), by time of death */
	const struct doc_victim *victims;
	size_t nvictims;
	/* the run's job file (profile/jobfile.h): the job's exact total and
	 * peak; NULL: none (an older run, another process's page) */
	const struct jobfile *jobfile;
	/* every process at the job's peak (report.c build_job): those that
	 * held something, largest first; all of them in one view (its top
	 * lines merged across processes, and in how many each); NULL / 0: none */
	const struct doc_job_proc *job_at_peak;
	size_t njob_at_peak;
	struct view *job_top;
	const size_t *job_top_nprocs;
	/* every process of the job at the instant one of them died (report.c
	 * build_job_death: the victim at its death, the others at their last
	 * recorded moment by then, a fork child's inherited heap its
	 * parent's); the victim NULL: no death to picture */
	const struct doc_victim *job_death_victim;
	double job_death_time_s;  /* on the run's clock */
	const struct doc_job_proc *job_at_death; /* in the job then, largest first */
	size_t njob_at_death;
	struct view *job_death;   /* those that held something, in one view; NULL none */
	/* the job over time (report/jobtime.h): a band per process, on the
	 * job file's clock; the page adds the limit and the peak.  NULL: one
	 * process, or another process's page */
	const struct chart_stack *job_stack;

	/* decided from everything above by doc_decide(): what writers show */
	struct doc_headline head;
};

/* Decide d->head from the facts of the page (report/doc.c).  Call once
 * after filling the rest, before any writer. */
void doc_decide(struct doc *d);

/* The evidence the verdict rests on, in the order every writer shows it:
 * the supervisor's sentences (run.meta), then the page's own (the shared
 * memory live at the death).  i < doc_nevidence(d). */
size_t doc_nevidence(const struct doc *d);
const char *doc_evidence(const struct doc *d, size_t i);

/* A process's peak RSS since its exec: the larger of the supervisor's
 * VmHWM and its own at exit; 0 unknown. */
int64_t doc_proc_rss(const struct doc_proc *dp);

/* The job's RSS at one instant in words, for every writer: "416.2 MiB
 * (its 3 processes' PSS summed: pages they share counted once); the
 * kernel's high-water mark of its --limit cgroup: 430.1 MiB (page cache
 * included)".  "" when there is no such figure, or a single process and
 * no cgroup of oomph's (then the process's own peak RSS says it). */
void doc_job_rss_words(const struct doc_job *j, char *out, size_t n);

/* How a process ended, as the rest of a sentence ("exited with code
 * 0", "exited with code 1 (ValueError: bad row 7)", "was killed by the
 * kernel's OOM killer", "was ended by its parent (SIGTERM)"). */
void doc_proc_ending(const struct doc_proc *dp, char *out, size_t n);

/* 1 if the process is said to have died of the uncaught exception its
 * tracker recorded (profile exc_type, exc_message): it exited by itself
 * with a non-zero code (or one its tracker did not learn: exit(), not
 * _exit()).  An exception a REPL or `python -i` showed, in a
 * process that then exited with code 0, ended nothing. */
int doc_proc_exception(const struct doc_proc *dp);

#endif
