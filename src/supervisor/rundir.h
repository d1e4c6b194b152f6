/* supervisor/rundir.h — the run directory and where its state lives, from
 * the start of a run to its end, and after an oomph that died.
 *
 * The run directory (`-o DIR`, default oomph-report/<date>-<time>-<pid>/)
 * holds the report, run.meta, timeline.tsv and, once the run is over,
 * state/<pid>.oomph.  While the program runs the state files live on tmpfs
 * (a large sparse file mapped MAP_SHARED costs 30-90 ms per run on a disk
 * file system against ~2 ms on tmpfs, and writes nothing back to disk), in
 * a private directory /dev/shm/oomph-state-XXXXXX (mode 0700, random name),
 * which run.meta names from the start ("live_state") — never through a
 * symbolic link in the run directory.  When the run is over the files are
 * copied, compact, into RUN_DIR/state and the tmpfs directory removed.
 *
 * Safety (oomph often runs as root on shared machines; common/safefs.h):
 * the run directory is made by oomph (0700, or 0750 with --team-readable),
 * or is an existing empty directory owned by the effective user and
 * writable by nobody else (its mode is then set the same way); the default
 * parent oomph-report/ must be ours and writable by nobody else; every
 * directory above must not be writable by others unless sticky.
 *
 * Contract
 *   - rundir_make() makes (or accepts) the run directory; rundir_make_state()
 *     makes the state directory (tmpfs unless $OOMPH_TMPFS=off, no tmpfs, or
 *     too little room on it: then RUN_DIR/state) and writes in it who owns
 *     it; rundir_keep_state() copies a live state directory back into
 *     RUN_DIR/state, each state file compact (profile/compact.h: a few
 *     hundred KiB where the live file is 200+ MiB sparse), and removes it;
 *     rundir_compact_state() compacts in place the state that stayed on
 *     disk; rundir_abandon() undoes a run that never started.
 *   - rundir_sweep() looks for live state directories of the effective user
 *     whose oomph is dead (killed with its whole process group, say): it
 *     copies each back into its run directory when that still exists and is
 *     ours (run.meta then says "supervisor-died"), else removes it.
 *   - Where a run's state files are now is runmeta_state_dir()
 *     (profile/runmeta.h): every reader that looks at a run (report, top,
 *     snapshot) finds them through it.
 *   - Every function returns 0 or a negative errno with a one-line message
 *     in err.  Never used inside the profiled process.
 */
#ifndef OOMPH_RUNDIR_H
#define OOMPH_RUNDIR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/runmeta.h"

/* The default parent of run directories. */
#define RUNDIR_DEFAULT_PARENT "oomph-report"
/* Below this much free room on the tmpfs, stay on disk: a full tmpfs would
 * make the tracker's writes fault (SIGBUS) inside the program. */
#define RUNDIR_TMPFS_MIN_FREE (512ull << 20)
/* Live state directories: <tmpfs>/oomph-state-XXXXXX, and the file in each
 * that names its run. */
#define RUNDIR_LIVE_PREFIX "oomph-state-"
#define RUNDIR_OWNER_FILE "owner"

struct rundir {
	char path[PATH_MAX];  /* absolute, canonical run directory */
	int created;          /* made by rundir_make (rundir_abandon removes it) */
	char state[PATH_MAX + 16]; /* where the tracker writes (OOMPH_STATE_DIR) */
	int live;             /* state is on tmpfs: rundir_keep_state at the end */
	char why_disk[512];   /* why the state is not on tmpfs */
};

int rundir_make(const char *requested, int team_readable, struct rundir *rd, char *err,
		size_t errlen);
/* supervisor_pid/start: the oomph watching the run (rundir_sweep's test of
 * whether it is alive). */
int rundir_make_state(struct rundir *rd, int supervisor_pid, uint64_t supervisor_start,
		      char *err, size_t errlen);
/* The run's job file (state/format.h, "the job") in its state directory,
 * made before the program starts: 0 or -errno (then the processes are
 * profiled one by one, as without it). */
int rundir_make_job(const char *state_dir, char *err, size_t errlen);
int rundir_keep_state(const char *run_dir, const char *live_dir, char *err, size_t errlen);
/* The state files of a run that kept them on disk, each rewritten compact
 * in place (temporary + rename) once its process is gone. */
int rundir_compact_state(const char *state_dir, char *err, size_t errlen);
void rundir_abandon(struct rundir *rd);

/* A run whose oomph is dead (run.meta says "running"): its live state
 * copied home, its --limit cgroup removed, run.meta marked
 * "supervisor-died" (verdict "oomph-died", with the evidence) and saved.
 * 0 or -errno (the state could not be copied: it stays where it is). */
int rundir_recover(const char *run_dir, struct runmeta *m, char *err, size_t errlen);

/* `swept` counts the directories recovered or removed. */
int rundir_sweep(int *swept, char *err, size_t errlen);

/* 1 if the oomph of a run (pid, start ticks from run.meta) is alive. */
int rundir_supervisor_alive(int pid, uint64_t start);

/* Clock ticks since boot at which process pid started (/proc/PID/stat field
 * 22), or 0 when it does not exist. */
uint64_t rundir_proc_start(int pid);

#endif
