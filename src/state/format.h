/* state/format.h — the shared-state file: one per profiled process.
 *
 * Contract
 *   - Written only by the tracker inside the profiled process (through a
 *     MAP_SHARED mapping of the file), read by the supervisor and by
 *     `oomph report` (profile/reader.c), possibly after the writer died of
 *     SIGKILL/SIGSEGV at any instant.  This header is the only definition of
 *     the format; bump OOMPH_STATE_VERSION on any change of layout or meaning.
 *   - The file is created at its full size (sparse: untouched pages cost no
 *     disk), so a shorter file is truncated and is rejected by the reader.
 *     The writer reserves the backing store of each table ahead of use, a
 *     chunk at a time; when the filesystem has no room for the next chunk
 *     it records no new entries, sets OOMPH_OVERFLOW_NOSPACE and says when
 *     and why (nospace_*), and never touches an unbacked page.
 *   - Append-only tables (strings, frames, nodes) are written first and
 *     published afterwards by a release-store of their count; a reader that
 *     acquire-loads a count may trust every entry below it.
 *   - Counters are updated with atomics.  The peak picture is guarded by a
 *     redo journal (see "peak snapshot" below), so a reader never sees a torn
 *     picture, even if the writer died in the middle of taking it.
 *   - All integers are native-endian (the file never leaves the machine).
 *   - The reader bounds every figure by what a real run can write
 *     (common/bounds.h: bytes one process can hold, times, counts, pids)
 *     and rejects the file otherwise; a new field gets its bound in
 *     profile/reader.c check_header() (or check_picture() for per-node
 *     figures) in the same change.
 *
 *   - One exception to "written only by the tracker": the snapshot answer
 *     fields of the header (snap_done, snap_result, snap_paths) are written
 *     by the supervisor (supervisor/watch.c), which serves the requests.
 *
 * Layout: [header page(s)] [strings] [frames] [nodes] [live] [peak]
 *         [journal] [moment] [phases] [phase pictures] [history points]
 *         [history moments] [history changes], each region aligned
 *         to 4096 bytes; offsets and capacities are in the header so the
 *         reader never guesses.  When the run is over the supervisor
 *         rewrites each file compact (profile/compact.h): the same layout
 *         with every capacity cut to what is used, a few hundred KiB where
 *         the live file is 200+ MiB of sparse space.
 */
#ifndef OOMPH_STATE_FORMAT_H
#define OOMPH_STATE_FORMAT_H

#include <stdatomic.h>
#include <stdint.h>

#define OOMPH_STATE_MAGIC "OOMPHST\0"
#define OOMPH_STATE_VERSION 12u
#define OOMPH_STATE_SUFFIX ".oomph"

/* Capacities chosen for the largest programs we expect (100,000s of distinct
 * stacks); the file is sparse, so a small program pays for what it uses. */
#define OOMPH_STRINGS_CAP (32u << 20)  /* bytes */
#define OOMPH_FRAMES_CAP (1u << 20)    /* entries */
#define OOMPH_NODES_CAP (1u << 21)     /* entries */
#define OOMPH_CMDLINE_CAP 4096u
#define OOMPH_EXC_TYPE_MAX 256u     /* bytes, with the NUL */
#define OOMPH_EXC_MESSAGE_MAX 208u  /* bytes, with "..." and the NUL */
#define OOMPH_EXC_MESSAGE_CUT 200u  /* bytes of the message kept */

/* String table entry: uint32 length, the bytes, a NUL, padded to 4 bytes.
 * A string is referred to by the offset of its length word.  Offset 0 holds
 * the empty string, written at creation. */

/* Frame flags. */
#define OOMPH_FRAME_PYTHON 0u     /* file:line (function) of Python code */
#define OOMPH_FRAME_SYNTHETIC 1u  /* a named root such as "[no Python stack]" */
#define OOMPH_FRAME_TRUNCATED 2u  /* "[N outer frames omitted]" (deep stacks) */
/* "[shared memory: memfd 'big']": a synthetic frame under the stack that
 * sized a shared-memory segment (tracker/shm.c); its bytes are the
 * segment's.  SYNTHETIC's bit is set: whatever treats synthetic frames as
 * "not a Python line" treats this one so too. */
#define OOMPH_FRAME_SHARED 5u

struct oomph_state_frame {
	uint32_t file;  /* string offset */
	uint32_t func;  /* string offset */
	uint32_t line;  /* 1-based; 0 if unknown */
	uint32_t flags; /* OOMPH_FRAME_* */
};

/* Stack trie: node 0 is the root and has no frame.  Every other node has a
 * parent with a smaller index, so the trie is acyclic by construction and a
 * reader can check it in one pass. */
#define OOMPH_NODE_NONE 0xffffffffu
struct oomph_state_node {
	uint32_t parent;
	uint32_t frame;
};

/* Bytes charged to one node (live[] and peak[] entries).  `exact` is the
 * part recorded exactly (allocations of at least the sample rate); the rest
 * is the sampled estimate, which the reader may rescale to match the exact
 * total without touching exact bytes. */
struct oomph_state_bytes {
	int64_t bytes;
	int64_t exact;
};

/* One redo-journal record of the peak snapshot. */
struct oomph_state_journal {
	uint32_t node;
	uint32_t pad;
	struct oomph_state_bytes value;
};

/* Phases (tracker/control.c): named intervals of the process's life.
 * Records are a ring: phase id n (from 1) lives in phases[(n-1) % CAP] while
 * it is among the newest CAP.  `ver` is a seqlock: odd while the tracker
 * writes the record; a reader copies it and accepts the copy if `ver` was
 * even and unchanged.  `id` is the phase the record holds now (0 = none). */
#define OOMPH_PHASES_CAP 4096u
#define OOMPH_PHASE_DEPTH 16u        /* open at once (nesting) */
#define OOMPH_PHASE_PICS 256u        /* phases whose pictures are kept */
#define OOMPH_PHASE_PIC_NODES 512u   /* stacks kept per picture, the largest */
#define OOMPH_PHASE_NAME_MAX 1024u

#define OOMPH_PHASE_OPEN 1u
#define OOMPH_PHASE_CLOSED 2u

#define OOMPH_PHASE_F_OTHER_THREAD 1u /* ended by another thread than began it */
#define OOMPH_PHASE_F_ENDED_BY_OUTER 2u /* ended because an outer phase ended */
#define OOMPH_PHASE_F_LOST_STACKS 4u  /* some stacks it touched were not tracked */

struct oomph_state_phase {
	_Atomic uint32_t ver;
	_Atomic uint32_t state;   /* OOMPH_PHASE_OPEN / _CLOSED; 0 = empty */
	uint32_t id;
	uint32_t parent;          /* id of the enclosing phase, 0 = none */
	uint32_t depth;           /* 0 = outermost */
	uint32_t name;            /* string offset */
	uint32_t flags;           /* OOMPH_PHASE_F_* */
	uint32_t pic;             /* picture slot + 1; 0 = none kept */
	int32_t tid_begin, tid_end;
	uint64_t start_ns, end_ns;  /* since start_mono_ns */
	_Atomic uint64_t peak_ns;   /* when peak_bytes was last raised */
	int64_t start_bytes;      /* exact total when it began */
	_Atomic int64_t peak_bytes; /* exact maximum while open (raised live) */
	int64_t end_bytes;        /* exact total when it ended */
	int64_t left_live_bytes;  /* sum of the stacks' growth start -> end */
};

/* A phase's pictures: per stack, the growth of its live bytes from the
 * phase's start to its peak (peak[]) and to its end (left[]), positive
 * growth only, the largest OOMPH_PHASE_PIC_NODES of each; the rest summed in
 * *_other.  Valid when `phase` equals the id of the record pointing here
 * (written 0 first, then the entries, then the id with release). */
struct oomph_state_pic_entry {
	uint32_t node;
	uint32_t pad;
	int64_t bytes;
};
struct oomph_state_phase_pic {
	_Atomic uint32_t phase;
	uint32_t npeak, nleft;
	uint32_t pad;
	int64_t key;              /* max(peak above start, left live): eviction */
	int64_t peak_other, left_other;
	struct oomph_state_pic_entry peak[OOMPH_PHASE_PIC_NODES];
	struct oomph_state_pic_entry left[OOMPH_PHASE_PIC_NODES];
};

/* The history (tracker/tracker.c, "the history"): the tracker's own record
 * of its exact total over time, and what each stack held then.
 *
 * Points: a point is written when the total leaves a band of 1% (at
 * least 64 KiB) around the last point (a compare per allocation), and at
 * the first sampled allocation 100 ms after the last point (the interval
 * doubles each time the moments are merged).  Within hist_step_ns of the
 * last point (at first: the same tick of the coarse clock) the last point
 * is updated instead (lo/hi keep the extremes it saw, `bytes` the latest)
 * and the band set around the latest, so a drop inside a step still
 * reaches the record (the valley between two phases).  When the table is full, neighbours are
 * merged (the later time and value, the extremes of both) and
 * hist_step_ns doubles: the record stays bounded however long the run.
 *
 * Moments: at each new point, the stacks whose live bytes changed since the
 * moment before, as their new values (changes[first .. first + nchanges)).
 * Full tables are coarsened the same way: two neighbouring moments become
 * one, each stack once with its later value (the first moment leaves out
 * stacks holding nothing: before it, none held anything).  When that frees
 * little (churn over more stacks than the table holds), the older half of
 * the moments is folded into the first instead.  A moment that cannot fit
 * even then stops the moments (OOMPH_HIST_F_STOPPED, at hist_stopped_ns).
 * OOMPH_HISTORY=off stops points and moments at time 0: no entries at all.
 *
 * Concurrency: written under the tracker's sample_lock.  New entries are
 * written, then their count release-stored (changes before moments).  What
 * is rewritten in place is guarded by a seqlock: hist_pseq (odd while a
 * point is updated or the points are merged) and hist_mseq (odd while the
 * moments are merged).  A reader of a process alive retries; of a dead one,
 * it drops moments left half merged and points out of order. */
#define OOMPH_HIST_POINTS_CAP 8192u
#define OOMPH_HIST_MOMENTS_CAP 4096u
#define OOMPH_HIST_CHANGES_CAP (1u << 20)
#define OOMPH_HIST_F_COARSENED 1u /* points or moments were merged */
#define OOMPH_HIST_F_STOPPED 2u   /* no moments after hist_stopped_ns */

struct oomph_state_hist_point {
	uint64_t t_ns;            /* since start_mono_ns */
	int64_t bytes;            /* exact total then */
	int64_t lo, hi;           /* extremes since the point before */
};

struct oomph_state_hist_moment {
	uint64_t t_ns;
	int64_t bytes;            /* exact total then */
	uint32_t first, nchanges; /* into the changes table */
};

/* From its moment on, `node` holds `value` (same layout as a journal record). */
struct oomph_state_hist_change {
	uint32_t node;
	uint32_t pad;
	struct oomph_state_bytes value;
};

/* Snapshot paths the supervisor wrote for this process (a ring). */
#define OOMPH_SNAP_PATHS 4u
#define OOMPH_SNAP_PATH_MAX 4096u
struct oomph_state_snap_path {
	_Atomic uint32_t n;       /* snapshot number; 0 while written */
	uint32_t pad;
	char path[OOMPH_SNAP_PATH_MAX - 8];
};

/* One failed allocation (header.failures[], a ring).  `seq` is written
 * last (release): the entry for the n-th failure (n from 1) is valid when
 * seq == n. */
#define OOMPH_FAILURES_CAP 16u
struct oomph_state_failure {
	_Atomic uint64_t seq;
	uint64_t size;     /* bytes asked for */
	uint64_t time_ns;  /* since start_mono_ns */
	uint32_t node;     /* Python stack; 0 = none known */
	int32_t err;       /* errno */
	char call[16];     /* "malloc", "calloc", "realloc", "memalign", "mmap" ... */
};

/* A shared-memory segment (header.segments[]): a memfd or a file on tmpfs
 * whose growth (ftruncate, fallocate) this process paid for.  Once per
 * segment across the job: a process that only maps or attaches to it (by
 * name, or inherited at fork) has no record of it. */
#define OOMPH_SEGMENTS_CAP 64u
#define OOMPH_SEGMENT_NAME_MAX 128u
#define OOMPH_SEGMENT_EMPTY 0u
#define OOMPH_SEGMENT_LIVE 1u      /* charged now */
#define OOMPH_SEGMENT_RELEASED 2u  /* gone (unlinked, unmapped, closed): record reusable */
#define OOMPH_SEGMENT_MEMFD 1u     /* kind: memfd_create */
#define OOMPH_SEGMENT_TMPFS 2u     /* kind: a file on tmpfs (shm_open: /dev/shm) */
struct oomph_state_segment {
	_Atomic uint32_t state;   /* OOMPH_SEGMENT_EMPTY / _LIVE / _RELEASED */
	uint32_t kind;            /* OOMPH_SEGMENT_MEMFD / _TMPFS */
	uint32_t node;            /* stack charged: a [shared memory ...] frame
				     under the Python stack that sized it */
	uint32_t pad;
	int64_t bytes;            /* charged here now (page-rounded growth) */
	uint64_t time_ns;         /* first sized, since start_mono_ns */
	uint64_t dev, ino;
	char name[OOMPH_SEGMENT_NAME_MAX]; /* memfd: its name; tmpfs: the path */
};

/* Why the moment picture was taken (moment_reason). */
#define OOMPH_MOMENT_NEAR_OOM 1u
#define OOMPH_MOMENT_FAILED_ALLOC 2u

/* What the tracker does near OOM (oom_mode). */
#define OOMPH_OOM_REPORT 0u  /* photograph and let it go on */
#define OOMPH_OOM_STOP 1u    /* photograph, then stop the process (SIGSTOP) */
#define OOMPH_OOM_OFF 2u     /* no near-OOM checks (failures still recorded) */

/* How the writer last left the process (end_state). */
#define OOMPH_END_RUNNING 0u  /* still running, or died without warning */
#define OOMPH_END_EXITED 1u   /* exit()/return from main ran our destructor,
				 or the program called _exit() */
#define OOMPH_END_EXEC 2u     /* the image was replaced by execve() */

struct oomph_state_header {
	/* --- identity and layout: written once, before `ready` is set --- */
	char magic[8];
	uint32_t version;
	uint32_t header_size;   /* sizeof(struct oomph_state_header) */
	uint64_t file_size;     /* total size the file was created with */
	uint64_t strings_off, strings_cap;
	uint64_t frames_off, frames_cap;
	uint64_t nodes_off, nodes_cap;
	uint64_t live_off, peak_off;  /* nodes_cap struct oomph_state_bytes each */
	uint64_t journal_off;         /* nodes_cap struct oomph_state_journal */
	uint64_t moment_off;          /* nodes_cap struct oomph_state_bytes */
	uint64_t phases_off;          /* phases_cap struct oomph_state_phase */
	uint64_t pics_off;            /* pics_cap struct oomph_state_phase_pic */
	/* history tables: as many entries as their counts (hist_n*) need, at
	 * most OOMPH_HIST_*_CAP; the file may end there (compact files) */
	uint64_t hist_points_off;     /* OOMPH_HIST_POINTS_CAP struct oomph_state_hist_point */
	uint64_t hist_moments_off;    /* OOMPH_HIST_MOMENTS_CAP struct oomph_state_hist_moment */
	uint64_t hist_changes_off;    /* OOMPH_HIST_CHANGES_CAP struct oomph_state_hist_change */
	/* What each stack held at the job's peak (the job, below): jpeak[n]
	 * is node n's live bytes when the job's maximum was last raised
	 * before node n last changed, jgen[n] that raise's generation (the
	 * job's peak_gen); inherit[n] is node n's live bytes at this
	 * process's fork (a fork child: its parent's, not its own). */
	uint64_t jpeak_off;           /* nodes_cap struct oomph_state_bytes */
	uint64_t jgen_off;            /* nodes_cap uint32_t */
	uint64_t inherit_off;         /* nodes_cap struct oomph_state_bytes */
	/* Records present: OOMPH_PHASES_CAP and OOMPH_PHASE_PICS while the
	 * process runs; fewer in a compacted file (profile/compact.h), where
	 * a record beyond them is an empty one. */
	uint32_t phases_cap, pics_cap;

	int32_t pid;
	int32_t ppid;           /* parent process id at creation */
	uint32_t generation;    /* 0, or n-th image of this pid after exec */
	uint32_t flags;         /* OOMPH_STATE_F_* */
	uint64_t start_realtime_ns; /* CLOCK_REALTIME when the state was made */
	uint64_t start_mono_ns;     /* CLOCK_MONOTONIC at the same moment */
	uint64_t sample_rate;   /* bytes; 1 = every allocation recorded */
	char python_version[32];    /* "3.11.7", or "" if not known */
	uint32_t cmdline_len;   /* bytes used in cmdline, NUL-separated argv */
	uint32_t pad0;
	char cmdline[OOMPH_CMDLINE_CAP];
	/* memory limit in force at start (common/limits.h) */
	int64_t limit_bytes;    /* 0 = none found */
	char limit_kind[16];    /* limits_kind_name() */
	char limit_source[256];
	int64_t oom_threshold;  /* headroom below which it is "near OOM"; 0 = off */
	uint32_t oom_mode;      /* OOMPH_OOM_* */
	_Atomic uint32_t ready; /* 1 once everything above is written */

	/* --- hot counters: updated on every allocation (own cache line) --- */
	_Alignas(64) _Atomic int64_t cur_bytes; /* exact live bytes now */
	_Atomic int64_t max_bytes;              /* exact high-water mark */
	_Atomic uint64_t max_time_ns;           /* when it was last raised (coarse clock,
						   since start_mono_ns) */
	/* The job ("the job" below): what this process holds that is not its
	 * part of the job's total -- what it inherited at fork and has not
	 * freed (its parent's, counted once), less what it freed of blocks it
	 * never saw allocated.  Its part is cur_bytes - job_base, never below
	 * zero: a free that would take it there freed inherited memory. */
	_Atomic int64_t job_base;

	/* --- table counts: release-stored after the entries are written --- */
	_Alignas(64) _Atomic uint64_t strings_used; /* bytes */
	_Atomic uint32_t frames_used;
	_Atomic uint32_t nodes_used;
	_Atomic uint32_t overflow;   /* OOMPH_OVERFLOW_* bits: a table was full */
	uint32_t pad2;

	/* --- statistics, relaxed --- */
	_Atomic uint64_t n_sampled; /* sampled allocations (and mmaps) */
	_Atomic uint64_t n_mmaps;   /* anonymous mmaps seen */
	_Atomic uint64_t last_update_ns; /* coarse, since start: last sample */
	/* 1 while the exact maximum was raised and no free has happened since:
	 * then live[] *is* the peak picture (no snapshot was needed yet). */
	_Atomic uint32_t peak_pending;
	uint32_t pad4;

	/* --- peak snapshot (see tracker/tracker.c: peak_flush) ---------------
	 * peak_seq even: peak[] and peak_bytes/peak_time_ns are one consistent
	 * picture.  peak_seq odd: the writer had committed journal[0 ..
	 * journal_count) (with journal_bytes/journal_time_ns) and was applying
	 * it; a reader applies the journal itself and uses the journal's values.
	 */
	_Alignas(64) _Atomic uint64_t peak_seq;
	int64_t peak_bytes;       /* exact total at the peak */
	uint64_t peak_time_ns;    /* monotonic, since start_mono_ns */
	uint32_t journal_count;
	uint32_t pad3;
	int64_t journal_bytes;
	uint64_t journal_time_ns;

	/* --- end of life --- */
	_Alignas(64) _Atomic uint32_t end_state; /* OOMPH_END_* */
	int32_t exit_code;       /* when end_state == OOMPH_END_EXITED, if known */
	uint64_t end_time_ns;    /* since start_mono_ns */
	uint64_t max_rss_kib;    /* VmHWM at exit: peak RSS of this image, since
				    its exec (not ru_maxrss); 0 if unknown */

	/* --- the decisive moment: moment[] holds what was live then ---------
	 * moment_seq 0: never taken; odd: being written (a reader ignores
	 * it); even > 0: moment[0 .. moment_nodes) and the fields below are
	 * one picture. */
	_Alignas(64) _Atomic uint64_t moment_seq;
	int64_t moment_bytes;    /* exact tracked total then */
	uint64_t moment_time_ns;
	int64_t moment_headroom; /* limit - usage then; -1 unknown */
	uint32_t moment_reason;  /* OOMPH_MOMENT_* */
	uint32_t moment_nodes;
	_Atomic uint32_t stopped; /* 1: stopped itself near OOM (OOMPH_OOM_STOP) */
	uint32_t pad5;

	/* --- failed allocations --- */
	_Alignas(64) _Atomic uint64_t failures_total;
	struct oomph_state_failure failures[OOMPH_FAILURES_CAP];

	/* --- a fatal signal seen by the SIGSEGV/SIGBUS handler --- */
	_Alignas(64) _Atomic uint32_t fault_signal; /* 0 = none */
	int32_t fault_code;      /* si_code */
	uint32_t fault_node;     /* last Python stack the faulting thread
				    recorded (0 = none): where it was, roughly */
	uint64_t fault_addr;
	uint64_t fault_time_ns;
	/* --- a SIGTERM seen by the tracker's hidden handler (installed only
	 * where the program left SIGTERM at its default; the death goes on as
	 * before): who sent it, so that a pool's worker ended by its pool
	 * (Pool.terminate) is told from a death --- */
	_Atomic uint32_t term_signal; /* 0 = none */
	int32_t term_pid;        /* si_pid of the sender; 0 unknown */
	uint64_t term_time_ns;   /* since start_mono_ns */

	/* --- recording stopped: no room on the filesystem for the next chunk
	 * of a table (OOMPH_OVERFLOW_NOSPACE).  Totals, and the stacks already
	 * recorded, go on; new stacks are charged to their deepest recorded
	 * caller. */
	_Alignas(64) uint64_t nospace_time_ns; /* since start_mono_ns */
	int32_t nospace_err;     /* errno of the reservation (ENOSPC, ...) */
	uint32_t nospace_table;  /* 1 strings, 2 frames, 3 stacks */

	/* --- phases (tracker/control.c) --- */
	_Alignas(64) _Atomic uint32_t phases_last; /* highest phase id handed out */
	_Atomic uint32_t phases_open;             /* phases open now */

	/* --- snapshots on request (tracker/control.c asks, the supervisor's
	 * watch answers).  snap_signals counts snapshot signals received (the
	 * handler only increments it).  oomph_snapshot() writes snap_dir, then
	 * increments snap_asked (release); the supervisor writes the report,
	 * then snap_result (the snapshot number, or -errno) and snap_done =
	 * the snap_asked it served (release). */
	_Alignas(64) _Atomic uint32_t snap_signals;
	_Atomic uint32_t snap_asked;
	_Atomic uint32_t snap_done;       /* written by the supervisor */
	int32_t snap_result;              /* written by the supervisor */
	int32_t snap_signal;              /* the signal the handler is on; 0 none */
	uint32_t pad6;
	char snap_dir[OOMPH_SNAP_PATH_MAX];
	struct oomph_state_snap_path snap_paths[OOMPH_SNAP_PATHS]; /* supervisor */

	/* --- shared-memory segments this process sized (tracker/shm.c):
	 * memfds and files on tmpfs (/dev/shm).  Their bytes are in cur_bytes
	 * and charged to each record's node.  Written under the tracker's
	 * sample_lock; a record's fields are written before its state is
	 * release-stored LIVE. */
	_Alignas(64) _Atomic int64_t shm_bytes;  /* charged for live segments now */
	_Atomic uint32_t shm_live;               /* records LIVE now */
	uint32_t pad7;
	_Atomic uint64_t shm_sized;              /* segments ever charged here */
	struct oomph_state_segment segments[OOMPH_SEGMENTS_CAP];

	/* --- the history (see "The history" above) --- */
	_Alignas(64) _Atomic uint64_t hist_pseq;  /* points rewritten: odd meanwhile */
	_Atomic uint64_t hist_mseq;               /* moments merged: odd meanwhile */
	_Atomic uint32_t hist_npoints;
	_Atomic uint32_t hist_nmoments;
	_Atomic uint32_t hist_nchanges;
	_Atomic uint32_t hist_flags;              /* OOMPH_HIST_F_* */
	uint64_t hist_step_ns;    /* points at least this far apart (0: every band crossing) */
	uint64_t hist_stopped_ns; /* when OOMPH_HIST_F_STOPPED */

	/* --- the job (state/format.h "the job") --- */
	_Alignas(64) _Atomic uint32_t job_state; /* OOMPH_JOB_STATE_* */
	uint32_t pad9;
	int64_t inherited_bytes;          /* tracked bytes it had at its fork (its
					     parent's heap); 0: not a fork child */
	_Atomic int64_t inherited_freed;  /* of those, what it freed itself */
	/* The job's peak_gen when this image joined the job, and + 1 when it
	 * left it (0: it did not): an image that joined at or after the
	 * job's last peak_gen, or left before it, held nothing then. */
	uint32_t job_join_gen;
	_Atomic uint32_t job_leave_gen;

	/* --- the uncaught exception the interpreter reported before it
	 * exited (tracker/pyexit.c: sys.last_exc read by an atexit callback;
	 * none for SystemExit, nor for one caught or only printed, as
	 * multiprocessing's workers do).  exc_type is "module.qualname"
	 * ("builtins." left out: "ValueError"), exc_message the first line
	 * of str(exc), at most OOMPH_EXC_MESSAGE_CUT bytes of it cut at a
	 * character boundary, then "..." when cut; both UTF-8 without
	 * control characters, NUL-terminated.  Written once, then exc_set
	 * release-stored 1 (a reader ignores them while it is 0). --- */
	_Alignas(64) _Atomic uint32_t exc_set;
	uint32_t pad10;
	char exc_type[OOMPH_EXC_TYPE_MAX];
	char exc_message[OOMPH_EXC_MESSAGE_MAX];
};

/* job_state: whether this image's part is in the job's total. */
#define OOMPH_JOB_STATE_NONE 0u  /* no job file: profiled alone */
#define OOMPH_JOB_STATE_IN 1u    /* its part (cur_bytes - job_base) is in it */
#define OOMPH_JOB_STATE_LEFT 2u  /* it exited or exec'd and took its part out */

#define OOMPH_STATE_F_EXACT 1u     /* sample_rate == 1 */
#define OOMPH_STATE_F_PYMALLOC_OFF 2u
#define OOMPH_STATE_F_COMPACT 4u   /* rewritten compact at the end of the run
				      (profile/compact.h): never mapped by a writer */

#define OOMPH_OVERFLOW_STRINGS 1u
#define OOMPH_OVERFLOW_FRAMES 2u
#define OOMPH_OVERFLOW_NODES 4u
#define OOMPH_OVERFLOW_STACKDEPTH 8u
#define OOMPH_OVERFLOW_NOSPACE 16u  /* no room for the file: see nospace_* */
#define OOMPH_OVERFLOW_SEGMENTS 32u /* more live shared segments than records:
				       the others were not counted */

/* Alignment of every region. */
#define OOMPH_STATE_ALIGN 4096u

/* Default byte-sampling rate (mean bytes between samples): the largest rate
 * whose line shares stay within 3 points of --exact with a factor of 2 to
 * spare (bench/rates.py; figures in docs/performance.md). */
#define OOMPH_DEFAULT_SAMPLE_RATE 1048576u

/* ------------------------------------------------------------ the job ---
 * One job file per run, OOMPH_JOB_FILE in the state directory (beside the
 * state files), made by the supervisor before the program starts
 * (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) and mapped MAP_SHARED by every profiled
 * process of the run (fork, exec, fork server, children of a shell).  Each
 * adds the exact deltas of its tracked bytes to cur_bytes, so cur_bytes is
 * the job's total at each instant; the delta that takes cur_bytes above
 * max_bytes raises it with a compare-and-swap, so max_bytes is the job's
 * exact peak.  A fork child adds only what changes after the fork (what it
 * inherited is its parent's, counted once); a process that exits or execs
 * takes its part back out.  Written by the trackers with atomics only (no
 * lock: any of them may die at any instant); read by the supervisor and
 * `oomph report` (profile/jobfile.c), which check magic, version, size and
 * bounds like a state file's. */
#define OOMPH_JOB_FILE "job.oomphjob"
#define OOMPH_JOB_MAGIC "OOMPHJB\0"
#define OOMPH_JOB_VERSION 2u

struct oomph_job_header {
	/* --- written once by the supervisor, before the program starts --- */
	char magic[8];
	uint32_t version;
	uint32_t header_size;     /* sizeof(struct oomph_job_header) */
	uint64_t file_size;       /* the file's size (the header, page-rounded) */
	uint64_t start_mono_ns;   /* CLOCK_MONOTONIC at the run's start: times
				     below are since then */
	uint64_t start_realtime_ns;
	int32_t supervisor_pid;
	uint32_t pad0;

	/* --- the job's total: every profiled process adds its deltas here
	 * (own cache line: the one word every allocation of every process
	 * writes) --- */
	_Alignas(64) _Atomic int64_t cur_bytes;

	/* --- the job's exact maximum (raised rarely: a line of its own) --- */
	_Alignas(64) _Atomic int64_t max_bytes;
	_Atomic uint64_t max_time_ns;   /* when it was last raised (coarse clock) */
	_Atomic int32_t max_pid;        /* the process whose allocation raised it */
	_Atomic uint32_t peak_gen;      /* raised by one with every raise of max_bytes:
					   each process keeps its stacks' bytes as
					   of the last raise (state jpeak[], jgen[]) */
	_Atomic uint32_t joined;        /* processes that mapped the file */
};

/* Every OOMPH_* environment variable, here and nowhere else.
 * Set by the supervisor for the tracker: */
#define OOMPH_ENV_STATE_DIR "OOMPH_STATE_DIR"     /* where <pid>.oomph go */
#define OOMPH_ENV_SAMPLE_RATE "OOMPH_SAMPLE_RATE" /* bytes, decimal */
#define OOMPH_ENV_ON_OOM "OOMPH_ON_OOM"           /* report | stop | off */
#define OOMPH_ENV_OOM_THRESHOLD "OOMPH_OOM_THRESHOLD" /* bytes of headroom */
#define OOMPH_ENV_SNAPSHOT_SIGNAL "OOMPH_SNAPSHOT_SIGNAL" /* signal number; 0 = none */
/* Read by the supervisor, set by the user: */
#define OOMPH_ENV_LIBRARY "OOMPH_LIBRARY" /* where liboomph.so is */
#define OOMPH_ENV_TMPFS "OOMPH_TMPFS"     /* tmpfs for live state, or "off" */
#define OOMPH_ENV_PROBE_CACHE "OOMPH_PROBE_CACHE" /* "off": probe the interpreter every run
						     (supervisor/probecache.h) */
/* Read by the tracker, for tests and diagnosis: */
#define OOMPH_ENV_RAW_CHECKS "OOMPH_RAW_CHECKS" /* stacks read from memory vs the C API */
#define OOMPH_ENV_POOLS "OOMPH_POOLS"           /* "off": arenas charged whole */
#define OOMPH_ENV_HISTORY "OOMPH_HISTORY"       /* "off": no history (its cost measured,
						   docs/performance.md) */

/* State-file names, the one rule: "<pid>.oomph" for the first image of a
 * process, "<pid>.<g>.oomph" for its g-th image after exec (g >= 1).
 * Both helpers are async-signal-safe (no stdio): the tracker uses them. */
#define OOMPH_STATE_NAME_MAX 48

/* Writes the name into buf (cap >= OOMPH_STATE_NAME_MAX); returns its length. */
static inline unsigned oomph_state_name(char *buf, unsigned long pid, unsigned g)
{
	char tmp[48];
	unsigned n = 0, k = 0;
	do {
		tmp[k++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid);
	while (k)
		buf[n++] = tmp[--k];
	if (g) {
		buf[n++] = '.';
		do {
			tmp[k++] = (char)('0' + g % 10);
			g /= 10;
		} while (g);
		while (k)
			buf[n++] = tmp[--k];
	}
	for (const char *s = OOMPH_STATE_SUFFIX; *s; s++)
		buf[n++] = *s;
	buf[n] = 0;
	return n;
}

/* "<pid>.note": why a process that loaded the tracker is not profiled
 * (text, one line).  Returns the name's length. */
#define OOMPH_NOTE_SUFFIX ".note"
static inline unsigned oomph_note_name(char *buf, unsigned long pid)
{
	unsigned n = oomph_state_name(buf, pid, 0) - (unsigned)(sizeof(OOMPH_STATE_SUFFIX) - 1);
	for (const char *s = OOMPH_NOTE_SUFFIX; *s; s++)
		buf[n++] = *s;
	buf[n] = 0;
	return n;
}

/* 1 if `name` is a state-file name (then *pid and *g are set), else 0. */
static inline int oomph_state_name_parse(const char *name, long *pid, unsigned *g)
{
	long p = 0;
	unsigned gen = 0;
	const char *s = name;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9') {
		if (p > 100000000L)
			return 0;
		p = p * 10 + (*s++ - '0');
	}
	if (*s == '.' && s[1] >= '0' && s[1] <= '9') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (gen > 100000u)
				return 0;
			gen = gen * 10 + (unsigned)(*s++ - '0');
		}
		if (!gen)
			return 0;
	}
	for (const char *x = OOMPH_STATE_SUFFIX; *x; x++, s++)
		if (*s != *x)
			return 0;
	if (*s)
		return 0;
	*pid = p;
	*g = gen;
	return 1;
}

/* Near-OOM threshold when none is given: max(100 MiB, 2% of the limit). */
#define OOMPH_OOM_THRESHOLD_MIN (100ll << 20)
#define OOMPH_OOM_THRESHOLD_PCT 2

#endif
