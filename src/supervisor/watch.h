/* supervisor/watch.h — watching a run while it happens.
 *
 * Contract
 *   - The supervisor's tick (sup_run_hooked) calls watch_tick() every
 *     SUP_TICK_MS: it maps the header of every state file in the state dir
 *     (read-only, MAP_SHARED: the counters are live), sums the tracked bytes
 *     and RSS of the processes still running (and their PSS, which counts
 *     the pages they share once, on a budget of time: watch.c job_pss), reads memory pressure (PSI of
 *     the program's cgroup when it has its own, else of the machine) and the
 *     main process's major-fault rate, its swap (VmSwap of its processes,
 *     the swap charged to its own cgroup, pages swapped in and out: its
 *     cgroup's memory.stat where the kernel counts them there, else
 *     /proc/vmstat), appends a point to RUN_DIR/timeline.tsv, prints a
 *     warning on `warn` while the program thrashes and while it swaps
 *     (again every WATCH_SWAP_WARN_EVERY_S while it goes on), and decides
 *     whether the program must be stopped:
 *       - a tracker that stopped itself near OOM (--on-oom stop): SUP_KILL;
 *       - a stall beyond --max-stall sustained: SUP_KILL.
 *     and warns once per process that comes near its limit (the tracker
 *     photographed a near-OOM moment).
 *   - It serves snapshot requests (state/format.h): a process's snapshot
 *     signal count rose, or oomph_snapshot() asked: it writes the report of
 *     now (supervisor/snapshot.h), says so on `warn`, and answers in the
 *     process's header (mapped writable for that; read-only if it cannot
 *     be, then requests through the API time out).  A directory named by
 *     a process that runs as another user than oomph is refused (-EPERM).
 *   - It notes, for each process that ends without saying so in its
 *     state (killed), when it was first seen gone, its wait status if it
 *     was seen a zombie, and how the --limit cgroup's oom_kill counter
 *     moved around then; watch_final() does the same once more when the
 *     main process has been reaped.  watch_end() then tells, for each
 *     (docs/deaths.md "Deaths in a job"): the OOM killer (the kernel log
 *     names it, or the private cgroup's counter rose as it went), its
 *     pool (a SIGTERM its tracker saw from its parent or from the process
 *     that started its parent), a SIGKILL, or that it outlived the main
 *     process; into m->procs (ending, end_s, evidence) and one sentence of
 *     m->evidence for each.
 *   - watch_end() puts what was seen into the run's metadata (thrashing,
 *     stall and swap figures, who stopped the program and the figures of
 *     that moment; each process's largest VmHWM, in m->procs, which the
 *     caller frees with runmeta_free) and unmaps everything.
 *   - watch_swap_warning() formats the swap warning (pure, unit-tested).
 *   - Never used inside the profiled process; single-threaded.
 */
#ifndef OOMPH_WATCH_H
#define OOMPH_WATCH_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "profile/runmeta.h"
#include "profile/timeline.h"
#include "supervisor/cgroup.h"
#include "supervisor/pressure.h"

#define WATCH_MAX_FILES 512
/* A calm pace for repeating the swap warning while it goes on. */
#define WATCH_SWAP_WARN_EVERY_S 10.0
/* A machine without swap at the start: how often SwapTotal is read again
 * (until then its swap counters cannot move and /proc/vmstat is not read). */
#define WATCH_SWAP_RECHECK_S 10.0

/* What the swap warning says. */
struct watch_swap_news {
	int own_cgroup;          /* the program has a cgroup of its own */
	int rates_own;           /* the in/out counters are its cgroup's */
	double for_s;            /* how long it has been swapping */
	int64_t swap_bytes;      /* of the program, in swap now; < 0 unknown */
	double in_per_s, out_per_s;  /* bytes/s; < 0 unknown */
	double share_pct;        /* PSI stall share; < 0 unknown */
	double sys_share_pct;    /* its kernel time share; < 0 unknown */
	int thrashing;           /* the working set does not fit */
	int64_t limit_bytes;     /* the limit in force (tracker's view); 0 none */
	const char *limit_source;
	int64_t swap_allowed_bytes; /* beyond the limit; -1: not bounded */
	int64_t machine_swap_bytes; /* SwapTotal; -1 unknown */
};

/* "oomph: warning: ..." and a newline, into out. */
void watch_swap_warning(char *out, size_t cap, const struct watch_swap_news *n);

struct watch_config {
	const char *run_dir;
	const char *state_dir;  /* where the state files are (rundir.h) */
	const char *psi_path;   /* the program's memory.pressure, or NULL:
				   /proc/pressure/memory */
	const char *stat_path;  /* its cgroup's memory.stat (refaults, v1
				   swap, and swap-ins/outs where the kernel
				   counts them), or NULL: none of its own */
	const char *swap_path;  /* its cgroup's memory.swap.current (v2), or
				   NULL: memory.stat "swap" (v1), or none */
	int64_t swap_allowed_bytes; /* its cgroup's swap beyond the limit; -1:
				       not bounded by oomph */
	double max_stall_pct;   /* --max-stall; 0 = never stop for a stall */
	FILE *warn;             /* live warnings (stderr), or NULL */
	const struct runmeta *meta; /* what is known at the start, for
				       snapshots (command, cwd), or NULL */
	const struct ocgroup *cg;   /* oomph's own --limit cgroup (its
				       oom_kill counter, read each tick), or NULL */
	int kmsg_fd;                /* the kernel log (kmsg.h), or < 0 */
};

/* A process's PSS as last read (watch.c pss_of). */
struct pss_slot {
	int known;
	int pid;
	int64_t pss;            /* the reading */
	int64_t rss_at;         /* its RSS then */
	double read_t, cost_s;  /* when, and what it took */
};

struct watch_file {
	char name[64];
	void *map;
	size_t len;
	int warned_near_oom;
	int writable;           /* mapped read-write: requests can be answered */
	unsigned uid;           /* owner of the state file */
	unsigned long long ino; /* its inode: a name made again is a new file */
	uint32_t signals_seen;  /* snapshot signals served */
	int64_t hwm;            /* largest VmHWM seen: its peak RSS since its exec */
	struct pss_slot pss;
	/* how it ended, when it did not say so itself (end_state still
	 * running): what the watch saw of it */
	int gone;               /* seen gone (or a zombie) */
	double gone_t;          /* ... first at this tick */
	int wait_status;        /* its wait status, read while a zombie; -1 */
	long long oom_rise;     /* the cgroup's oom_kill counter from two ticks
				   before it was last seen alive to the tick it
				   was gone; -1 unknown */
	uint64_t oom_alive, oom_alive_prev;
	int oom_seen;           /* oom_alive* are set */
	int outlived;           /* still running when the main process ended */
	int stopped;            /* oomph ended it (--on-oom stop) */
};

struct watch {
	struct watch_config cfg;
	char state_dir[4200];
	/* the run's job file (state/format.h "the job"), mapped read-write: a
	 * process killed without its exit path has its part taken out of the
	 * job's total here; NULL without one */
	struct oomph_job_header *job;
	struct timeline_writer tl;
	struct watch_file files[WATCH_MAX_FILES];
	int nfiles;
	double last_scan;
	/* the job file's `joined` count before the last scan: a process that
	 * joined since has a state file the supervisor has not looked at */
	uint32_t joined_scanned;
	/* pressure */
	char psi_path[4200];
	int psi_own;            /* the program's own cgroup, not the machine */
	int psi_ok;
	struct stall_detector det;
	uint64_t last_majflt;
	double last_t;
	double majflt_max;
	int warned;
	/* swap */
	char vmstat_path[64];   /* where the in/out counters come from */
	int rates_own;          /* ... the program's cgroup, not the machine */
	long clk_tck;
	uint64_t first_in, first_out, last_in, last_out; /* pages */
	int64_t swap_peak, vmswap_peak;
	int64_t machine_swap;   /* SwapTotal at the start (or when swap
				   appeared); -1 unknown */
	double swap_checked_t;  /* without swap: when SwapTotal was last read */
	double swap_warned_t;   /* < 0: not warned yet */
	int64_t limit_bytes;    /* the main process's limit, from its header */
	char limit_source[256];
	struct runmeta_stop stop;
	/* the main process at its highest tracked memory seen, as the kernel
	 * counts it (watch.c take_split) */
	struct runmeta_rss_split split;
	double split_next_t;    /* when smaps_rollup may be read again */
	int64_t split_high;     /* the highest tracked memory a tick saw */
	/* the last smaps_rollup read, so one tick reads a process's once */
	pid_t rollup_pid;
	double rollup_t;
	struct proc_rss_split rollup;
	/* outcome */
	int stopped_near_oom;   /* a tracker stopped itself (OOMPH_OOM_STOP) */
	int stopped_for_stall;
	int64_t max_tracked;
	/* the job's RSS at one instant (PSS, read on a budget: watch.c) */
	int64_t job_pss_peak;   /* largest sum seen; 0 none */
	int job_pss_all;        /* ... every process's PSS could be read */
	int64_t rss_sum_high;   /* largest sum of their RSS seen */
	struct pss_slot main_pss; /* the main process when it is not profiled */
	int snapshots;          /* written so far (numbering) */
	pid_t main_pid;
	int oom_ok;             /* oom_now is the cgroup's counter this tick */
	uint64_t oom_now;
	/* the kernel log, read once at the end for every process that went
	 * without a word: the main process's record, for the verdict */
	int kmsg_done;
	char main_kline[512];
};

int watch_start(struct watch *w, const struct watch_config *cfg, char *err, size_t errlen);
int watch_tick(struct watch *w, pid_t main_pid, double t_s, int stopped);
/* After the main process was reaped, before the cgroup goes: which
 * processes died since the last tick, which still run (they outlived it). */
void watch_final(struct watch *w, double t_s);
void watch_end(struct watch *w, struct runmeta *m);

#endif
