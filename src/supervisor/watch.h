/* supervisor/watch.h — watching a run while it happens.
 *
 * Contract
 *   - The supervisor's tick (sup_run_hooked) calls watch_tick() every
 *     SUP_TICK_MS: it maps the header of every state file in the state dir
 *     (read-only, MAP_SHARED: the counters are live), sums the tracked bytes
 *     and RSS of the processes still running, reads memory pressure (PSI of
 *     the program's cgroup when it has its own, else of the machine) and the
 *     main process's major-fault rate, appends a point to RUN_DIR/
 *     timeline.tsv, prints a warning on `warn` while the program thrashes,
 *     and decides whether the program must be stopped:
 *       - a tracker that stopped itself near OOM (--on-oom stop): SUP_KILL;
 *       - a stall beyond --max-stall sustained: SUP_KILL.
 *     and warns once per process that comes near its limit (the tracker
 *     photographed a near-OOM moment).
 *   - watch_end() puts what was seen into the run's metadata (thrashing,
 *     stall figures, who stopped the program) and unmaps everything.
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

struct watch_config {
	const char *run_dir;
	const char *state_dir;  /* where the state files are (rundir.h) */
	const char *psi_path;   /* the program's memory.pressure, or NULL:
				   /proc/pressure/memory */
	const char *stat_path;  /* its cgroup's memory.stat (refaults), or
				   NULL: none of its own */
	double max_stall_pct;   /* --max-stall; 0 = never stop for a stall */
	FILE *warn;             /* live warnings (stderr), or NULL */
};

struct watch_file {
	char name[64];
	void *map;
	size_t len;
	int warned_near_oom;
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
	/* outcome */
	int stopped_near_oom;   /* a tracker stopped itself (OOMPH_OOM_STOP) */
	int stopped_for_stall;
	int64_t max_tracked;
};

int watch_start(struct watch *w, const struct watch_config *cfg, char *err, size_t errlen);
int watch_tick(struct watch *w, pid_t main_pid, double t_s, int stopped);
void watch_end(struct watch *w, struct runmeta *m);

#endif
