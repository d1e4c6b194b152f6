/* profile/runmeta.h — what the supervisor knows about a run, saved beside
 * the state files so that `oomph report DIR` can re-render without it.
 *
 * Contract
 *   - The run directory holds `run.meta` (this module's text format) and
 *     `state/<pid>[.<generation>].oomph` (state/format.h), one per process.
 *   - runmeta_save() writes `run.meta` atomically (a random temporary name
 *     and rename, through common/safefs.h: never through a link, only in a
 *     directory of the effective user's); runmeta_load() reads it back (a
 *     regular file only); both return 0 or a negative errno, with a
 *     one-line message in `err`.
 *   - It is written twice: when the program starts (status "running": where
 *     its live state is, which oomph watches it, its cgroup), so a run whose
 *     oomph died can still be found, reported and cleaned up; and when the
 *     run is over (status "done", the verdict and its evidence).
 *   - Format: one `key value` per line, values are percent-escaped so that any
 *     byte (newline, space) survives; argv is `argv <escaped>` repeated.
 *     Unknown keys are ignored (forward compatible).
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_RUNMETA_H
#define OOMPH_RUNMETA_H

#include <stddef.h>
#include <stdint.h>

#define RUNMETA_FILE "run.meta"
#define RUNMETA_STATE_DIR "state"
#define RUNMETA_MAX_ARGS 4096
#define RUNMETA_MAX_PROCS 4096 /* processes the supervisor keeps figures of */
#define RUNMETA_MAX_PYDIRS 64

struct runmeta {
	int argc;
	char **argv;             /* the command as the user gave it */
	char python[4096];       /* interpreter path used ("" for -- COMMAND) */
	char cwd[4096];          /* working directory of the run: relative
				    file names in profiles are relative to it */
	char python_version[32]; /* "3.11.7" as probed, or "" */
	int npydirs;
	char **pydirs;           /* the interpreter's directories as probed
				    (supervisor/pyprobe.h): "KIND PATH" each,
				    KIND prefix, base_prefix, stdlib, site or
				    usersite; report/origin.h reads them */
	int child_pid;           /* pid of the process oomph started */
	double start_unix_s;     /* when the child was started */
	double duration_s;       /* until it was reaped */
	int exit_code;           /* valid when signal == 0 */
	int signal;              /* 0, or the signal that ended the child */
	int exit_status;         /* what oomph exits with: code, or 128+signal */
	int64_t peak_rss_bytes;  /* largest ru_maxrss among reaped processes */
	uint64_t sample_rate;    /* bytes */
	int exact;
	char verdict[32];        /* "exited", "memory-error", "null-dereference",
				    "oom-killed", "killed", "signal",
				    "stopped-near-oom", "stopped-thrashing" */
	int nevidence;
	char **evidence;         /* sentences the verdict rests on */

	/* The limit in force (smallest effective one, limits.h). */
	int64_t limit_bytes;     /* 0 = none */
	char limit_kind[16];     /* "cgroup-v2", "cgroup-v1", "rlimit-data", ... */
	char limit_source[256];  /* human: what and where */
	char limit_mode[16];     /* --limit: "cgroup-v2", "cgroup-v1",
				    "rlimit-data"; "" without --limit */
	char on_oom[8];          /* "report" (default), "stop", "off" */

	/* Memory pressure seen while it ran (supervisor/pressure.h). */
	int thrashing;           /* stalled on memory for a sustained period */
	double stall_max_pct;    /* worst PSI "some" avg10 seen, percent */
	double stall_total_s;    /* seconds spent stalled on memory (PSI some) */
	double thrash_seconds;   /* how long the sustained stall lasted */
	double majflt_max_per_s; /* worst major-fault rate of the program */
	double refault_max_per_s; /* worst working-set refault rate, pages/s */
	int stopped_for_stall;   /* --max-stall stopped it */

	/* The run's life (written at the start, completed at the end). */
	char status[16];         /* "running", "done", "supervisor-died" */
	char live_state[4200];   /* state directory on tmpfs while it runs;
				    "" when the state is in RUN_DIR/state */
	int supervisor_pid;      /* the oomph that watches it */
	uint64_t supervisor_start; /* its start time (clock ticks since boot,
				      /proc/PID/stat field 22): a reused pid
				      is another process */
	char cgroup_dir[4096];   /* --limit: the private memory cgroup */
	char cgroup_psi_dir[4096]; /* and its cgroup2 companion, or "" */
	int team_readable;       /* --team-readable: group may read the report */
	/* Swap (supervisor/watch.c): what it may use, what it used. */
	struct runmeta_swap {
		int64_t allowed_bytes;   /* beyond the --limit; -1: not bounded by
					    oomph (no --limit, or swap not
					    accounted by the kernel) */
		int64_t machine_bytes;   /* the machine's swap (SwapTotal) at the
					    start; -1 unknown */
		int64_t peak_bytes;      /* the program's swap at its largest: its
					    cgroup's when it has its own, else
					    its processes' VmSwap */
		int64_t vmswap_peak_bytes; /* its processes' VmSwap together */
		double in_max_per_s;     /* bytes/s over 1 s windows */
		double out_max_per_s;
		int64_t in_bytes;        /* swapped in / out while it ran */
		int64_t out_bytes;
		double seconds;          /* time spent swapping (>= 1 MiB/s) */
		char scope[16];          /* whose in/out counters: "cgroup",
					    "machine", "" (none) */
	} swap;
	/* The job: every process of the run together (supervisor/watch.c). */
	int64_t job_pss_peak_bytes; /* largest sum of the processes' PSS (their
				       RSS where PSS cannot be read) seen at one
				       tick; 0 unknown */
	char job_rss_how[8];     /* "pss" or "rss": what job_pss_peak_bytes sums */
	int64_t cgroup_peak_bytes; /* the kernel's high-water mark of oomph's
				      private cgroup (v1 memory.max_usage_in_bytes,
				      v2 memory.peak); 0 none */
	/* Per process, what the supervisor saw of it (its header cannot say):
	 * its peak RSS since its exec (VmHWM, read while it ran) and, for one
	 * that did not end by itself, how it ended and on what evidence. */
	int nprocs;
	struct runmeta_proc {
		int pid;
		unsigned generation;
		int64_t hwm_bytes;       /* largest VmHWM seen; 0 unknown */
		char ending[24];         /* "" (ended by itself, or unknown),
					    "oom-killed", "killed" */
		double end_s;            /* since the run's start; < 0 unknown */
		char evidence[512];      /* the kernel log record, the counter */
	} *procs;
	/* --max-stall: the moment oomph stopped it (stopped_for_stall). */
	struct runmeta_stop {
		double t_s;
		double share_pct;        /* the share that crossed the limit */
		char by[16];             /* "psi" or "kernel-time" */
		double readback_per_s;   /* working set read back, pages/s */
		int64_t swap_bytes;      /* in swap then */
		double in_per_s, out_per_s;
	} stop;
	/* The main process near its tracked peak, as the kernel counts its
	 * memory (supervisor/watch.c): why RSS and tracked memory differ. */
	struct runmeta_rss_split {
		double t_s;              /* when, since the run's start */
		int64_t tracked_bytes;   /* its tracked memory then */
		int64_t rss_bytes;       /* its RSS then; 0: none was taken */
		int64_t anon_bytes;      /* private anonymous */
		int64_t file_bytes;      /* file-backed: the interpreter, libraries, mapped files */
		int64_t shmem_bytes;     /* shared memory (tmpfs, memfd) */
		int64_t shared_bytes;    /* pages shared with other processes; -1 unknown */
		int64_t swap_bytes;      /* -1 unknown */
		char how[16];            /* "smaps_rollup", or "status" where that could not be read */
		/* oomph's own state file of the process, backed: resident through
		 * its mapping, so part of shmem_bytes; -1 unknown (key
		 * rss_split_own, absent before 2026-12-03) */
		int64_t own_bytes;
	} split;
};

int runmeta_save(const char *run_dir, const struct runmeta *m, char *err, size_t errlen);
int runmeta_load(const char *run_dir, struct runmeta *m, char *err, size_t errlen);
void runmeta_free(struct runmeta *m); /* frees argv, evidence, procs and pydirs */
/* The entry of pid/generation, added (zeroed, end_s -1) if new; NULL on
 * -ENOMEM. */
struct runmeta_proc *runmeta_proc(struct runmeta *m, int pid, unsigned generation);
/* One "KIND PATH" of pydirs added (a copy).  0, -E2BIG or -ENOMEM. */
int runmeta_add_pydir(struct runmeta *m, const char *kind_path);
/* The escaping of run.meta values (any byte outside '!'..'~', and '%',
 * as %XX), for other files of the run directory that name paths.
 * runmeta_escape: 0 or -ENAMETOOLONG; runmeta_unescape (in place): 0 or -1
 * on a malformed escape or an escaped NUL. */
/* Where the run's state files are now: its live directory (on tmpfs) while
 * it runs, or when copying them home failed; else RUN_DIR/state.  Every
 * reader of a run finds them through this.  0 or -ENAMETOOLONG. */
int runmeta_state_dir(const struct runmeta *m, const char *run_dir, char *out, size_t cap);

int runmeta_escape(const char *in, char *out, size_t cap);
int runmeta_unescape(char *s);
/* The figures that have an "unknown" other than 0 set to it (swap). */
void runmeta_init_unknown(struct runmeta *m);
int runmeta_add_evidence(struct runmeta *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))); /* 0 or -ENOMEM */

#endif
