/* supervisor/snapshot.h — a full report of a run while it runs.
 *
 * Contract
 *   - snapshot_write() renders the report of now (report_render_to with
 *     running = 1: what is live now, the peak so far) from the run's live
 *     state directory `live` (runmeta_state_dir) into `dir`, or, when dir is NULL or "", into a new
 *     RUN_DIR/snapshots/<n>-<seconds>/ (n = 1 + the largest number there,
 *     and at least min_n; seconds since the run started, one decimal).
 *     Used by the supervisor's watch (oomph_snapshot(), the snapshot
 *     signal) and by `oomph snapshot RUN_DIR`.
 *   - Returns the snapshot number (> 0) with the directory written in
 *     `path`, or a negative errno with a one-line message in `err`.
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_SNAPSHOT_H
#define OOMPH_SNAPSHOT_H

#include <stddef.h>

#include "profile/runmeta.h"

#define SNAPSHOT_DIR "snapshots"

int snapshot_write(const char *run_dir, const char *live, const struct runmeta *meta,
		   const char *dir, double t_s, int min_n, char *path, size_t pathlen, char *err,
		   size_t errlen);

/* A run still running (run.meta says so and its oomph is alive): 1 with
 * its live state directory and the pid of the process oomph started, else
 * 0. */
int snapshot_running(const char *run_dir, char *live, size_t livelen, int *pid);

/* `oomph snapshot RUN_DIR`: the outcome convention of run.h (NOINPUT: not
 * a running run; CANTCREAT: the report cannot be written). */
struct run_outcome;
int snapshot_command(const char *run_dir, struct run_outcome *out, char *err, size_t errlen);

#endif
