/* live/top.h — the live view: `oomph top DIR` and `oomph run --live`.
 *
 * Contract
 *   - Reads a run directory while the program runs, once a second, the way
 *     `oomph report` does: run.meta (where the live state is, its cgroup),
 *     every state file (profile/reader.c, read-only: no signal to the
 *     program, no work inside it), /proc/PID/status (RSS), the cgroup's
 *     usage or the process's limit (common/limits.c) and PSI
 *     (supervisor/pressure.c).  The lines that grew over the last minute
 *     come from a ring kept in this process (live/ring.h).
 *   - top_command(): `oomph top DIR [--once]`.  On a terminal it takes the
 *     alternate screen, redraws every second fitted to the terminal
 *     (TIOCGWINSZ, SIGWINCH), and `q` (or Ctrl-C) quits; when stdout is not
 *     a terminal, or with --once, it prints plain frames (one per second;
 *     one with --once).  When the run ends it prints the last frame and how
 *     it ended; a finished run gets its final numbers once.  The outcome
 *     convention of supervisor/run.h: status 0, or NOINPUT (DIR is not an
 *     oomph run directory, or cannot be read: a one-line message in err).
 *   - top_live_start() / top_live_stop(): `oomph run --live`.  A viewer
 *     process of its own (forked; the supervisor's watch is never delayed
 *     by it) draws on stderr: on a terminal, a panel in the bottom rows
 *     below a scroll region the program's output keeps using; otherwise
 *     plain frames.  It reads no keyboard (stdin stays the program's) and
 *     ignores SIGINT (Ctrl-C is the program's); top_live_stop() ends it
 *     (SIGTERM; it gives the rows back) and reaps it.  Start returns the
 *     viewer's pid, or -errno.
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_LIVE_TOP_H
#define OOMPH_LIVE_TOP_H

#include <stddef.h>
#include <sys/types.h>

struct run_outcome;
int top_command(const char *dir, int once, struct run_outcome *out, char *err, size_t errlen);

pid_t top_live_start(const char *run_dir);
void top_live_stop(pid_t viewer);

#endif
