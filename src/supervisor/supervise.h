/* supervisor/supervise.h — prepare a run, start the child, watch it, reap it.
 *
 * Contract
 *   - The steps of `oomph run`, each a plain function the command line calls
 *     in order: sup_which (find a program like execvp does),
 *     sup_find_library (liboomph.so), sup_child_env, sup_run (fork, exec,
 *     wait), sup_meta_fill / sup_meta_result (struct runmeta at the start
 *     and from the result), sup_open_report (--open).  The run directory is
 *     supervisor/rundir.h.
 *   - Every function returns 0 or a negative errno, with a one-line message
 *     (no "oomph: " prefix) in `err` where it takes one; results go through
 *     out-params; nothing here exits or keeps global state beyond sup_run's
 *     own signal forwarding, which is undone before it returns.
 *   - sup_run behaves like the command it runs: stdin/stdout/stderr are
 *     inherited and the child stays in oomph's process group (so a
 *     terminal's Ctrl-C reaches it directly).  While it runs, SIGINT,
 *     SIGQUIT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 reach the program
 *     exactly once: one sent to oomph alone (kill PID) is forwarded; one the
 *     program got anyway is not — sent by the kernel (si_code SI_KERNEL: the
 *     terminal's Ctrl-C, Ctrl-\, hang-up) or to the whole process group
 *     (killpg, timeout(1), the program's own kill 0), which a "sentinel"
 *     process in the group, with those signals blocked, reveals (see
 *     supervise.c).  Signals oomph inherited as ignored stay ignored
 *     (nohup).  After the child is reaped oomph's dispositions are restored.
 *   - Single-threaded callers only (fork, signal dispositions).
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_SUPERVISE_H
#define OOMPH_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/runmeta.h"

#define SUP_LIBRARY_NAME "liboomph.so"

/* How the child ended, and what it cost. */
struct sup_result {
	pid_t pid;
	int exit_code;          /* valid when signal == 0 */
	int signal;             /* 0, or the signal that ended the child */
	int exit_status;        /* exit_code, or 128 + signal */
	int exec_errno;         /* 0, or why exec failed (then 126/127) */
	int64_t peak_rss_bytes; /* max ru_maxrss of the child and its reaped descendants */
	double start_unix_s;    /* wall clock just before fork */
	double duration_s;      /* monotonic, fork to reap */
};

/* Find `name` the way execvp would: a name with a '/' is checked as is,
 * otherwise PATH (or the system default path when PATH is unset) is
 * searched.  Writes the path found to out.  -ENOENT: nowhere; -EACCES:
 * found only files that cannot be executed; -ENAMETOOLONG. */
int sup_which(const char *name, char *out, size_t outlen);

/* liboomph.so: $OOMPH_LIBRARY if set (it must then exist), else beside the
 * oomph executable, else <exe dir>/../lib/oomph/ (the `make install`
 * layout).  Writes the absolute, canonical path.  Rejects a path that
 * LD_PRELOAD cannot express (containing a space or a colon). */
int sup_find_library(char *out, size_t outlen, char *err, size_t errlen);

/* The child's environment: ours, with `library` prepended to LD_PRELOAD
 * (existing entries kept, a duplicate of `library` dropped),
 * OOMPH_STATE_DIR=state_dir, OOMPH_SAMPLE_RATE=sample_rate, and with
 * no_pymalloc PYTHONMALLOC=malloc.  *out is a NULL-terminated array that
 * sup_free_env() releases.  -ENOMEM. */
int sup_child_env(const char *library, const char *state_dir, uint64_t sample_rate,
		  int no_pymalloc, char ***out);
void sup_free_env(char **env);

/* Start `file` (a path, as found by sup_which) with argv and envp, wait for
 * it to end and fill `res`.  A failed exec is not an error of sup_run: the
 * child prints "oomph: cannot run ..." and exits 127 (not found) or 126, and
 * res->exec_errno says why.  Returns -errno only if no child could be
 * started (pipe, fork). */
int sup_run(const char *file, char *const argv[], char *const envp[], struct sup_result *res,
	    char *err, size_t errlen);

/* sup_run with a watcher: in_child runs in the child between fork and exec
 * (join a cgroup, set an rlimit; -errno makes the child exit 126 with a
 * message); tick runs every SUP_TICK_MS while the child lives, and at once
 * when it stops (stopped = 1), with the time since the start; it returns
 * SUP_KILL to have the child killed (SIGKILL), else SUP_CONTINUE. */
#define SUP_TICK_MS 100
enum { SUP_CONTINUE = 0, SUP_KILL = 1 };
struct sup_hooks {
	void *ctx;
	int (*in_child)(void *ctx);
	int (*tick)(void *ctx, pid_t pid, double t_s, int stopped);
};
int sup_run_hooked(const char *file, char *const argv[], char *const envp[],
		   const struct sup_hooks *hooks, struct sup_result *res, char *err,
		   size_t errlen);

/* Start `m` for a run about to begin (run.meta is written at the start):
 * a copy of user_argv (the command as the user would type it), python path
 * and version ("" for -- COMMAND), the current directory, the sample rate,
 * the time, status "running".  runmeta_free() releases it.  -ENOMEM. */
int sup_meta_fill(struct runmeta *m, int user_argc, char *const user_argv[],
		  const char *python, const char *python_version, uint64_t sample_rate,
		  int exact);
/* Complete it with how the program ended. */
void sup_meta_result(struct runmeta *m, const struct sup_result *res);

/* --open: open RUN_DIR/index.html with xdg-open when it is on PATH.
 * Returns 0 when xdg-open was started and succeeded, else a negative errno
 * with a message telling the user where the report is. */
int sup_open_report(const char *run_dir, char *err, size_t errlen);

#endif
