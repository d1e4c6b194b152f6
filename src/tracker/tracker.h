/* tracker/tracker.h — the allocation tracker's API (inside the profiled
 * process).
 *
 * Contract
 *   - hooks.c interposes the allocator and calls these; unit tests call them
 *     directly without LD_PRELOAD.  Every tracker_on_* function may be called
 *     from inside an allocation hook, from any thread, before or after
 *     tracker_init (then it does nothing), and re-entrantly (a nested call
 *     from the tracker's own work is counted in the totals but never sampled
 *     and never takes a lock it already holds).
 *   - Totals are exact: every call adds or removes the *usable* size the
 *     caller passes.  Attribution to stacks is Poisson-sampled over bytes
 *     with mean `sample_rate` (an allocation of s >= rate always recorded, with
 *     weight s; a smaller one with probability 1-exp(-s/rate) and weight s/p).
 *   - Locks (see tracker.c): `sample_lock` protects the address table, the
 *     mmap ranges, live[] updates and the peak snapshot; `intern_lock`
 *     protects the frame/node hash tables.  Neither is held while Python is
 *     called.  Both are taken in pthread_atfork's prepare handler.
 *   - No stdio, no allocation through the hooked allocator: internal memory
 *     comes from raw mmap.
 */
#ifndef OOMPH_TRACKER_H
#define OOMPH_TRACKER_H

#include <stddef.h>
#include <stdint.h>

struct oomph_state_header;

/* A frame as the stack source sees it: an opaque code identity (kept alive by
 * the source once described) and a line. */
struct stack_key {
	const void *code;
	uint32_t line;
	uint32_t pad;
};

/* Where Python stacks come from.  pystack.c provides the real one; unit tests
 * provide fakes.  capture() writes up to `max` keys, innermost first, and
 * returns how many (0: no Python frame), -1 when no stack can be taken now
 * (GIL not held, interpreter not running), or STACK_DEFER when one can be
 * taken soon but not here (inside Python's own allocator, where calling the
 * C API could re-enter it): the source then calls tracker_resolve_deferred()
 * as soon as it is safe.  It sets STACK_TRUNCATED in *flags if frames were
 * left out, and STACK_NOGIL if the stack was read without the GIL: then the
 * keys are right but describe() must not be called until the thread holds
 * the GIL again (the tracker defers naming new code objects).  describe() names a code object (called under no lock, at most
 * once per code) and must keep it alive.  Both may allocate. */
/* A fork child whose exact total never rose this far above what it
 * inherited leaves no profile when it execs: it held nothing of its own
 * (CPython's bookkeeping between fork and exec, and a 1 MiB pymalloc
 * arena on 3.13+, stay below it). */
#define TRACKER_EXEC_QUIET (2ll << 20)

#define STACK_DEFER (-2)
#define STACK_TRUNCATED 1
#define STACK_NOGIL 2
struct stack_source {
	int (*capture)(struct stack_key *out, int max, int *flags);
	int (*describe)(const void *code, char *file, size_t filecap,
			char *func, size_t funccap);
	/* Optional: name a code object without the GIL, by reading memory
	 * (only valid while the code object is surely alive: its frame is on
	 * the calling thread's stack).  -1 if it cannot. */
	int (*describe_nogil)(const void *code, char *file, size_t filecap,
			      char *func, size_t funccap);
	/* Optional: the size of one arena of the interpreter's small-object
	 * allocator if the calling thread is inside that allocator and its
	 * pools are reported one by one (tracker_on_pool), else 0.  An
	 * anonymous mmap of exactly that size made there is such an arena:
	 * charged to "[pymalloc arena space no line holds]" until its pools
	 * are taken (tracker_on_pool). */
	size_t (*arena_here)(void);
};

struct tracker_config {
	const char *state_dir;    /* where <pid>.oomph is created */
	uint64_t sample_rate;     /* bytes; 1 = every allocation */
	const struct stack_source *source; /* NULL: no Python stacks */
	const char *python_version;        /* may be NULL */
	uint32_t state_flags;     /* OOMPH_STATE_F_* */
	uint32_t oom_mode;        /* OOMPH_OOM_* */
	int64_t oom_threshold;    /* headroom bytes; 0 = the default */
	const char *limits_root;  /* "" (the machine), or a test fixture */
	int snapshot_signal;      /* signal whose handler asks for a snapshot; 0 none */
	int history_off;          /* no history: no points nor moments (OOMPH_HISTORY=off) */
};

/* 0, or a negative errno (state file could not be made: tracking stays off). */
int tracker_init(const struct tracker_config *cfg);

/* Read on every hook: non-zero once tracker_init succeeded (and not after a
 * fork whose child could not get its own state file). */
/* hidden: read directly, not through the GOT (one instruction less per hook) */
extern int tracker_on __attribute__((visibility("hidden")));
static inline int tracker_active(void)
{
	return __atomic_load_n(&tracker_on, __ATOMIC_RELAXED);
}

void tracker_on_alloc(void *p, size_t size);
void tracker_on_free(void *p, size_t size);
/* realloc: call _begin before the real realloc (it takes p's record out),
 * then _end with the result; if the real realloc failed pass newp = NULL. */
struct tracker_realloc_ticket {
	uint32_t node;
	uint32_t found;
	uint64_t weight;
};
void tracker_realloc_begin(void *oldp, struct tracker_realloc_ticket *t);
void tracker_realloc_end(void *oldp, size_t oldsize, void *newp, size_t newsize,
			 const struct tracker_realloc_ticket *t);

/* An allocation that failed (the real call returned NULL / MAP_FAILED):
 * recorded with the Python stack, and the moment photographed.  Keeps
 * errno.  `call` is a string literal ("malloc", "mmap", ...). */
void tracker_on_failure(const char *call, size_t size, int err);

void tracker_on_mmap(void *addr, size_t len);
/* A MAP_SHARED|MAP_ANONYMOUS mapping: counted here like any other, but a
 * fork child, which shares its pages, does not count it again. */
void tracker_on_shared_mmap(void *addr, size_t len);

/* Python's small-object allocator (pymalloc) keeps objects of one size class
 * in pools of `pool_size` bytes carved from its arenas.  A pool is charged,
 * exactly, to one allocation made in it: the one the allocator wrapper
 * picked (the k-th block handed out, k drawn at random), and after that to
 * the latest picked one (a pool emptied and filled again).  Charging the
 * allocation that opened the pool (or its arena) would alias with loops
 * that allocate in a fixed order: with two lines alternating, every pool
 * would be opened by the same one.  Totals do not change (the arena was
 * counted when mapped, and charged whole to the synthetic stack "[pymalloc
 * arena space no line holds]": a pool taken moves its bytes from there to
 * its owner).  Pools outside the arenas reported through arena_here() are
 * ignored: their arena is charged whole.  Returns 1 if the pool changed
 * hands. */
int tracker_on_pool(void *pool, size_t pool_size);

/* This thread's place in Python's allocator: one word, so that the wrapper
 * of Python's allocator domains (pystack.c) leaves by one decrement and one
 * test.
 *   bits 0-15            wrapper calls under way on this thread (0: none);
 *   TRACKER_PY_CCALL     the C allocator was called meanwhile: the block may
 *                        come from malloc, not from pymalloc's pools (a
 *                        realloc of a block pymalloc never had, or its
 *                        fallback when it could not get memory);
 *   TRACKER_PY_DEFERRED  samples wait for a stack (tracker_resolve_deferred).
 * Whoever brings the depth back to 0 reads and clears the flags. */
extern __thread uint32_t tracker_py;
#define TRACKER_PY_DEPTH 0xffffu
#define TRACKER_PY_CCALL (1u << 16)
#define TRACKER_PY_DEFERRED (1u << 17)

/* Called by the hooks on every call into the C allocator. */
static inline void tracker_note_c_call(void)
{
	if (__builtin_expect(tracker_py & TRACKER_PY_DEPTH, 0))
		tracker_py |= TRACKER_PY_CCALL;
}
void tracker_on_munmap(void *addr, size_t len);
void tracker_on_mremap(void *oldaddr, size_t oldlen, void *newaddr, size_t newlen);

/* pthread_create: the creator's current stack node, and the new thread's
 * adoption of it (called first thing in the new thread). */
uint32_t tracker_current_node(void);
void tracker_thread_adopt(uint32_t node);

/* fork (registered with pthread_atfork by tracker_init). */
void tracker_atfork_prepare(void);
void tracker_atfork_parent(void);
void tracker_atfork_child(void);

/* End of life: normal exit (destructor) or _exit(code).  code < 0: unknown. */
void tracker_on_exit(int code);
/* execve: the image is about to be replaced; _failed undoes it. */
void tracker_on_exec(void);
void tracker_on_exec_failed(void);

/* sigaction(): a SIGTERM disposition read back that is the tracker's own
 * (which notes who sent the signal, then dies of it as before) is told
 * "the default" (hooks.c). */
struct sigaction;
void tracker_hide_handler(int sig, struct sigaction *old);

/* The uncaught exception the interpreter reported before exiting
 * (tracker/pyexit.c): its type ("module.qualname") and str(), any length,
 * any bytes.  Kept in the state header once per image (exc_*: the type
 * cut to fit, the message's first non-empty line cut at
 * OOMPH_EXC_MESSAGE_CUT bytes on a character boundary, control characters
 * made spaces).  Not from an allocation hook: it takes no lock, but
 * assumes no other thread writes the same fields (only the exit path
 * does).  Does nothing when not tracking, or in a fork child that shares
 * the state of its parent. */
void tracker_on_exception(const char *type, size_t tlen, const char *msg, size_t mlen);

/* Samples taken where no stack could be captured yet (STACK_DEFER) were
 * charged to the thread's last stack; this moves them to the current one. */
extern __thread uint32_t tracker_deferred;
void tracker_resolve_deferred(void);

/* For control.c (the control API, not called from hooks unless said):
 * the state, the sample_lock, live[], the coarse clock since start, the
 * limit in force, interning a name, and re-arming the watch mark after the
 * set of open phases changed (the hot path compares the total with one
 * mark: the global maximum, or the lowest maximum of the open phases). */
struct oomph_state_bytes;
struct oomph_state_header *tracker_state(void);
char *tracker_base(void);
void tracker_lock(void);
void tracker_unlock(void);
const struct oomph_state_bytes *tracker_live(void);
uint64_t tracker_now_ns(void);
int tracker_headroom(int64_t *limit, int64_t *headroom);
uint32_t tracker_intern_string(const char *s, size_t len);
void tracker_phases_changed(void);
/* Back [off, off + len) of the state file before writing there (a full
 * filesystem would make the write a SIGBUS): 0 or -errno. */
int tracker_populate(size_t off, size_t len);

/* For shm.c (shared-memory segments, called from hooks): the calling
 * thread's stack node (*deferred as for STACK_DEFER: 1 or 2 when it is a
 * placeholder, resolved later through tracker_defer_segment_locked); a
 * synthetic OOMPH_FRAME_SHARED frame named `label`, and the node of
 * `frame` under `parent` (both intern, under intern_lock: call with no
 * lock held); charging or crediting `bytes` to `node` exactly and in the
 * total, under sample_lock (charge returns the new total, to pass to
 * tracker_oom_due once the lock is released). */
uint32_t tracker_capture(int *deferred);
uint32_t tracker_shared_frame(const char *label, size_t len);
uint32_t tracker_node_in(uint32_t parent, uint32_t frame);
int64_t tracker_charge_exact_locked(uint32_t node, int64_t bytes);
void tracker_release_exact_locked(uint32_t node, int64_t bytes);
void tracker_defer_segment_locked(uint32_t idx, uint32_t placeholder, int how);
void tracker_oom_due(int64_t cur);

/* Unit tests only: when not 0, the tracker's clock (ns since start) reads
 * this instead of CLOCK_MONOTONIC_COARSE (the history's steps and merges
 * are tested without waiting).  Read only on slow paths. */
extern uint64_t tracker_test_now_ns __attribute__((visibility("hidden")));

#endif
