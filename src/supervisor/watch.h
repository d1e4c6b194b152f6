/* supervisor/watch.h — watching a run while it happens.
 *
 * Contract
 *   - The supervisor's tick (sup_run_hooked) calls watch_tick() every
 *     SUP_TICK_MS: it maps the header of every state file in the state dir
 *     (read-only, MAP_SHARED: the counters are live), sums the tracked bytes
 *     and RSS of the processes still running, reads memory pressure (PSI of
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
 *   - watch_end() puts what was seen into the run's metadata (thrashing,
 *     stall and swap figures, who stopped the program and the figures of
 *     that moment) and unmaps everything.
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
#include "supervisor/pressure.h"

#define WATCH_MAX_FILES 512
/* A calm pace for repeating the swap warning while it goes on. */
#define WATCH_SWAP_WARN_EVERY_S 10.0

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
};

struct watch_file {
	char name[64];
	void *map;
	size_t len;
	int warned_near_oom;
	int writable;           /* mapped read-write: requests can be answered */
	unsigned uid;           /* owner of the state file */
	uint32_t signals_seen;  /* snapshot signals served */
};

struct watch {
	struct watch_config cfg;
	char state_dir[4200];
	struct timeline_writer tl;
	struct watch_file files[WATCH_MAX_FILES];
	int nfiles;
	double last_scan;
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
	int64_t machine_swap;   /* SwapTotal at the start; -1 unknown */
	double swap_warned_t;   /* < 0: not warned yet */
	int64_t limit_bytes;    /* the main process's limit, from its header */
	char limit_source[256];
	struct runmeta_stop stop;
	/* outcome */
	int stopped_near_oom;   /* a tracker stopped itself (OOMPH_OOM_STOP) */
	int stopped_for_stall;
	int64_t max_tracked;
	int snapshots;          /* written so far (numbering) */
};

int watch_start(struct watch *w, const struct watch_config *cfg, char *err, size_t errlen);
int watch_tick(struct watch *w, pid_t main_pid, double t_s, int stopped);
void watch_end(struct watch *w, struct runmeta *m);

#endif
