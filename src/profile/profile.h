/* profile/profile.h — one profiled process, as read from its state file.
 *
 * Contract
 *   - profile_load() reads a state file (state/format.h) written by the
 *     tracker, checks magic, version, sizes, offsets, counts and every
 *     reference before trusting it, and builds this plain in-memory model.
 *     It works on files whose writer died at any instant (SIGKILL included).
 *   - The caller owns the struct; profile_free() releases everything in it.
 *   - Returns 0 on success, or a negative OOMPH_PROFILE_E* code with a one-line
 *     human message in `err` (never aborts, never prints).
 *   - Never called from inside the profiled process.
 *
 * The model: `nodes` is the stack trie (node 0 = root, no frame; parent <
 * index for every other node); `peak_self[i]` / `live_self[i]` are the bytes
 * whose innermost frame is node i, at the peak / at the end (or death).  The
 * sampled estimates are rescaled by the reader so that sum(peak_self) ==
 * peak_bytes and sum(live_self) == end_bytes exactly (the exact totals are
 * known; the split between stacks is the estimate).
 *
 * At death: a process that did not run its exit path (SIGKILL, SIGSEGV:
 * exited_cleanly == 0) has live_self == what was live when it died.  The
 * tracker also photographs live memory itself at the decisive moment it can
 * see coming (near-OOM, a failed allocation): moment_self.  Which of the two
 * is "the moment of death" is the report's choice, from the verdict
 * (docs/report-format.md).
 *
 * Time (the history): `timeline` is the tracker's own record of this
 * process's exact tracked bytes over time (every change of about 1%, the
 * plateau of each new maximum; coarsened, extrema kept, on long runs), with
 * the peak and the end always among its points.  `moments` are instants at
 * which the tracker recorded what every stack held, as the stacks that
 * changed since the moment before (`changes`, each the stack's new value,
 * not a difference): profile_picture_at() rebuilds the picture of moment k,
 * rescaled like peak_self so that it adds up to that moment's exact bytes.
 * The peak itself and the end (live_self) are moments too (is_peak /
 * is_end), so the pictures at the run's local maxima, at its peak and at its
 * end are all among them.  A hand-built profile has no history until
 * profile_add_point / profile_add_moment give it one.
 */
#ifndef OOMPH_PROFILE_H
#define OOMPH_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum {
	OOMPH_PROFILE_EIO = -1,       /* cannot open or read the file */
	OOMPH_PROFILE_EFOREIGN = -2,  /* not an oomph state file (bad magic) */
	OOMPH_PROFILE_EVERSION = -3,  /* oomph state of another format version */
	OOMPH_PROFILE_ETRUNC = -4,    /* shorter than its header says */
	OOMPH_PROFILE_ECORRUPT = -5,  /* a count, offset or reference is wrong */
	OOMPH_PROFILE_ENOTREADY = -6, /* writer died before initialising it */
	OOMPH_PROFILE_ENOMEM = -7,
	OOMPH_PROFILE_ERANGE = -8,    /* no such moment (profile_picture_at) */
};

#define PROFILE_FRAME_PYTHON 0u
#define PROFILE_FRAME_SYNTHETIC 1u
#define PROFILE_FRAME_TRUNCATED 2u
/* "[shared memory: memfd 'big']" under the stack that sized a shared-memory
 * segment (state/format.h OOMPH_FRAME_SHARED; the SYNTHETIC bit is set). */
#define PROFILE_FRAME_SHARED 5u

struct profile_frame {
	const char *file;  /* points into profile.strings (profile_add_frame_ref: borrowed) */
	const char *func;
	uint32_t line;     /* 0 if unknown */
	uint32_t flags;    /* PROFILE_FRAME_* */
};

struct profile_node {
	uint32_t parent;   /* index of parent node; node 0 (root) has UINT32_MAX */
	uint32_t frame;    /* index into frames; unused for node 0 */
};

/* One stack's bytes as the tracker keeps them: `exact` is the part recorded
 * exactly, the rest a sampled estimate that pictures rescale. */
struct profile_bytes {
	int64_t bytes;
	int64_t exact;
};

/* A point of the tracker's record of tracked memory. */
struct profile_point {
	double t_s;      /* since the process started (its state was made) */
	int64_t bytes;   /* exact tracked bytes then */
};

/* From moment k on, node `node` holds `v` (until a later change). */
struct profile_change {
	uint32_t node;
	uint32_t pad;
	struct profile_bytes v;
};

struct profile_moment {
	double t_s;        /* since start; ascending */
	int64_t bytes;     /* exact tracked bytes then: the picture's sum */
	uint32_t first;    /* its changes: changes[first .. first + nchanges) */
	uint32_t nchanges;
	uint8_t is_peak;   /* the peak picture (peak_self) */
	uint8_t is_end;    /* the end (live_self): the last moment */
	uint8_t pad[6];
};

/* Why the history may be thinner than the run (history_flags). */
#define PROFILE_HISTORY_COARSENED 1u /* long run: points and moments merged */
#define PROFILE_HISTORY_STOPPED 2u   /* too many stacks changed: no moments
					after history_stopped_s */

struct profile {
	char *path;               /* the state file it came from */
	int pid, ppid;
	unsigned generation;      /* n-th exec'd image of this pid (0 first) */
	int argc;
	char **argv;              /* the process's command line */
	char python_version[32];  /* "" if not a Python process / unknown */

	double start_unix_s;      /* wall-clock time the state was created */
	double start_mono_s;      /* CLOCK_MONOTONIC then: the clock of the job
				     file's times (jobfile.h); 0 unknown */
	double duration_s;        /* until exit, or the last recorded event */
	uint64_t sample_rate;     /* bytes; 1 = exact */
	int exact;

	int64_t peak_bytes;       /* exact high-water mark of tracked memory */
	double peak_time_s;       /* since start */
	int64_t end_bytes;        /* tracked bytes live at the end / death */
	int64_t max_rss_bytes;    /* 0 if unknown */
	int64_t inherited_bytes;  /* a fork child: tracked bytes it had at its fork
				     (its parent's heap, copy-on-write); 0 otherwise */
	int64_t inherited_freed_bytes; /* of those, what it freed itself */
	/* Its picture at the job's peak (profile_job_picture): per node,
	 * job_now[n] = live less what it inherited at its fork, job_then[n]
	 * = the same as of the job's last peak before node n last changed,
	 * job_gen[n] the generation of that peak; NULL without them. */
	int64_t *job_now, *job_then;
	uint32_t *job_gen;
	uint32_t job_n;           /* entries of the three (nodes added later have none) */
	/* A fork child: each stack's (bytes, exact) at its fork, as recorded
	 * (not rescaled): its parent's heap, in the job once, as the
	 * parent's (profile_own_picture_at leaves it out); NULL / 0 for a
	 * process that did not start by fork */
	struct profile_bytes *inherited_pic;
	uint32_t ninherited;      /* its entries (<= nnodes) */
	uint32_t job_join_gen;    /* the job's peak_gen when it joined */
	uint32_t job_leave_gen;   /* + 1 when it left (exit, exec); 0 not */
	int exited_cleanly;       /* the process ran its exit path */
	int still_running;        /* not read from the file: set by a report of a
				     running run for a process alive then */
	int exit_code;            /* valid if exited_cleanly */
	unsigned overflow;        /* tables that filled up (OOMPH_OVERFLOW_*) */
	/* OOMPH_OVERFLOW_NOSPACE: when and why recording of new stacks
	 * stopped, as a sentence ("" if it never did). */
	char recording_stopped[320];
	uint64_t n_allocs, n_frees, n_sampled;

	/* Memory limit the process found in force at start (limits.h):
	 * limit_bytes 0 = none found; limit_source names it, e.g.
	 * "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory/x)". */
	int64_t limit_bytes;
	char limit_kind[16];      /* "cgroup-v2", "cgroup-v1", "rlimit-as",
				     "rlimit-data", "system", "" */
	char limit_source[256];
	int64_t oom_threshold;    /* near-OOM headroom threshold; 0 = off */

	/* The decisive moment the tracker photographed itself (near-OOM, or a
	 * failed allocation): moment_self is NULL when it never happened.
	 * sum(moment_self) == moment_bytes. */
	int64_t *moment_self;     /* nnodes entries, or NULL */
	int64_t moment_bytes;     /* tracked bytes at that moment */
	double moment_time_s;     /* since start */
	char moment_reason[24];   /* "near-oom" or "failed-allocation" */
	int64_t moment_headroom;  /* bytes left below the limit then; -1 unknown */
	int stopped_near_oom;     /* the tracker stopped itself (--on-oom stop) */

	/* Failed allocations: total count, and the most recent few (oldest
	 * first).  node is the Python stack (index into nodes; 0 = none). */
	uint64_t failures_total;
	uint32_t nfailures;
	struct profile_failure {
		uint64_t size;      /* bytes asked for */
		double time_s;      /* since start */
		uint32_t node;
		int err;            /* errno the allocator set (ENOMEM ...) */
		char call[16];      /* "malloc", "calloc", "realloc", "mmap" ... */
	} *failures;

	/* Shared-memory segments this process sized and still held at the end
	 * (or death): memfds and tmpfs files (/dev/shm), largest first.  Their
	 * bytes are in end_bytes, under their nodes (a PROFILE_FRAME_SHARED
	 * frame below the Python stack that sized them).  shm_bytes is their
	 * sum; shm_sized counts every segment this process ever paid for. */
	uint32_t nsegments;
	struct profile_segment {
		char kind[8];       /* "memfd" or "tmpfs" */
		char name[128];     /* a memfd's name, or the tmpfs file's path */
		int64_t bytes;      /* charged (page-rounded size it was given here) */
		double created_s;   /* since start */
		uint32_t node;      /* < nnodes; 0 = none */
		uint32_t pad;
	} *segments;
	int64_t shm_bytes;
	uint64_t shm_sized;

	/* The uncaught exception the interpreter reported before it exited
	 * (state exc_*): "concurrent.futures.process.BrokenProcessPool",
	 * "ValueError" (builtins left out), and the first line of str(exc),
	 * at most 200 bytes then "..."; both "" when none was recorded. */
	char exc_type[256];
	char exc_message[208];

	/* A fatal signal the tracker's SIGSEGV/SIGBUS handler saw. */
	int term_signal;          /* a SIGTERM the tracker saw arrive; 0 none */
	int term_pid;             /* who sent it; 0 unknown */
	double term_time_s;       /* since start */
	int fault_signal;         /* 0 = none */
	int fault_code;           /* si_code */
	uint64_t fault_addr;
	double fault_time_s;
	uint32_t fault_node;      /* the faulting thread's last Python stack */

	/* Phases (the control API), in id (start) order: the newest
	 * OOMPH_PHASES_CAP records of the state; phases_total ids were handed
	 * out in all.  A phase's pictures, when kept (has_picture): per stack,
	 * how much its live bytes grew from the phase's start to its peak
	 * (peak[]) and to its end (left[]), the largest stacks only, the rest
	 * summed in peak_other / left_other. */
	uint32_t nphases;
	uint32_t phases_total;
	struct profile_phase {
		uint32_t id, parent, depth, flags; /* OOMPH_PHASE_F_* */
		const char *name;   /* points into strings */
		int open;           /* not ended (still running, or died in it) */
		double start_s, end_s, peak_s; /* since start; end_s < 0 while open */
		int64_t start_bytes, peak_bytes, end_bytes, left_live_bytes;
		int tid_begin, tid_end;
		int has_picture;
		uint32_t npeak, nleft;
		struct profile_phase_entry {
			uint32_t node;
			int64_t bytes;
		} *peak, *left;
		int64_t peak_other, left_other;
	} *phases;

	uint32_t nframes;
	struct profile_frame *frames;
	uint32_t nnodes;
	struct profile_node *nodes;
	int64_t *peak_self;       /* nnodes entries */
	int64_t *live_self;       /* nnodes entries */

	char *strings;            /* owned storage behind every const char * */
	size_t strings_len;

	/* The history (see the top of this file); every array may be NULL
	 * when its count is 0. */
	uint32_t ntimeline;
	struct profile_point *timeline;   /* ascending t_s */
	uint32_t nmoments;
	struct profile_moment *moments;   /* ascending t_s */
	uint32_t nchanges;
	struct profile_change *changes;   /* node < nnodes for every one */
	unsigned history_flags;           /* PROFILE_HISTORY_* */
	double history_step_s;            /* coarsest spacing of the points: 0 = every change */
	double history_stopped_s;         /* when PROFILE_HISTORY_STOPPED */
	uint32_t unattributed_node;       /* the "[unattributed]" node the reader
					     added (bytes no sample accounts for),
					     0 = none */
};

int profile_load(const char *path, struct profile *out, char *err, size_t errlen);
void profile_free(struct profile *p);

/* Build a profile by hand (tests, report golden files): frames and nodes are
 * appended; node 0 (root) exists after profile_init. Strings are copied.
 * moment_self and failures, when a test sets them, must come from malloc
 * (profile_free frees them); moment_self needs nnodes entries. */
int profile_init(struct profile *p);
int profile_add_frame(struct profile *p, const char *file, const char *func,
		      uint32_t line, uint32_t flags, uint32_t *out_index);
/* The same without copying file and func: they are borrowed and must
 * outlive p (a derived picture's frames are its source profile's, which
 * the report keeps to the end; copying them cost two allocations a frame
 * for every derived picture). */
int profile_add_frame_ref(struct profile *p, const char *file, const char *func,
			  uint32_t line, uint32_t flags, uint32_t *out_index);
/* profile_add_node returns -EOVERFLOW (and adds nothing) if the totals would
 * no longer fit in int64_t. */
int profile_add_node(struct profile *p, uint32_t parent, uint32_t frame,
		     int64_t peak_self, int64_t live_self, uint32_t *out_index);

/* ---- the history (profile/history.c) ---------------------------------- */

/* The picture of moment k: self[i] (nnodes entries) = the bytes whose
 * innermost frame is node i then, rescaled so that sum(self) ==
 * moments[k].bytes (exact parts kept, sampled parts scaled, as for
 * peak_self; what no sampled stack can carry goes to unattributed_node,
 * or to the root, which the report shows as "[unattributed]" too).  O(changes up to k +
 * nnodes).
 * Returns 0, OOMPH_PROFILE_ERANGE (k >= nmoments), OOMPH_PROFILE_ENOMEM. */
int profile_picture_at(const struct profile *p, uint32_t k, int64_t *self);

/* What grew from moment k1 to moment k2: delta[i] = picture(k2)[i] -
 * picture(k1)[i] (negative: shrank).  Same returns. */
int profile_grown(const struct profile *p, uint32_t k1, uint32_t k2, int64_t *delta);

/* Build a history by hand (tests): points and moments must come in
 * ascending time.  profile_add_moment takes the whole picture then (self:
 * nnodes entries, exact bytes, nodes added later hold 0) and stores what
 * changed since the previous moment.  0 or OOMPH_PROFILE_ENOMEM /
 * OOMPH_PROFILE_ECORRUPT (time going backwards). */
int profile_add_point(struct profile *p, double t_s, int64_t bytes);
int profile_add_moment(struct profile *p, double t_s, int64_t bytes, const int64_t *self);

/* For the reader: the history from what the tracker recorded (points;
 * moments whose changes index `changes`, each node < nn), with the peak
 * (raw picture `peak`, at p->peak_time_s, p->peak_bytes) and the end (raw
 * `live`, at p->duration_s, p->end_bytes) made points and moments of their
 * own.  peak and live have nn entries (nn <= p->nnodes).  Fills
 * p->timeline, p->moments, p->changes.  0 or OOMPH_PROFILE_ENOMEM. */
int profile_history_assemble(struct profile *p, uint32_t nn, const struct profile_point *pts,
			     uint32_t npts, const struct profile_moment *ms, uint32_t nms,
			     const struct profile_change *changes, const struct profile_bytes *peak,
			     const struct profile_bytes *live);

/* The rule behind every picture: per-node (bytes, exact) into bytes adding
 * up to `target` exactly.  Exact parts are kept; the sampled estimates are
 * scaled to fill what the exact parts leave (if the exact parts alone
 * exceed it, threads racing at the peak, everything is scaled); rounding
 * goes to the largest entry.  Returns what could not be spread (nothing
 * was sampled).  Exact integer arithmetic, each figure read within
 * [0, OOMPH_BYTES_MAX] (common/bounds.h): it cannot overflow, whatever the
 * input, and every entry comes out >= 0. */
int64_t profile_rescale(int64_t *out, const struct profile_bytes *v, uint32_t n, int64_t target);

/* What the process held at the job's peak, its generation `gen` (the job
 * file's peak_gen): per node into self (nnodes entries), what it inherited
 * at its fork left out; returns the sum.  Nothing for an image that joined
 * the job at or after that peak or left it before; nothing without the
 * pictures (a hand-built profile) or with gen 0. */
int64_t profile_job_picture(const struct profile *p, uint32_t gen, int64_t *self);

/* The last moment at or before t_s (the process's own clock): its index,
 * or UINT32_MAX when every moment is later (or there is none). */
uint32_t profile_moment_at(const struct profile *p, double t_s);

/* What the process held of its own at moment k: the picture of moment k
 * (profile_picture_at) less, stack by stack, what it inherited at its fork
 * (inherited_pic rescaled to inherited_bytes like any picture; a stack
 * holding less than it inherited holds nothing of its own).  At its end
 * (the last moment, is_end) its own total is known exactly, its total less
 * the inherited bytes it did not free: the stacks less the inherited ones
 * are rescaled to it (sampled estimates of the inherited small blocks
 * otherwise leave it a few MiB off at the default rate).  Into self
 * (nnodes entries); returns the sum (>= 0), or OOMPH_PROFILE_ERANGE /
 * OOMPH_PROFILE_ENOMEM. */
int64_t profile_own_picture_at(const struct profile *p, uint32_t k, int64_t *self);

#endif
