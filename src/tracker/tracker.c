/* tracker/tracker.c — exact totals, sampled attribution, the peak snapshot,
 * and the shared-state file (see tracker.h and state/format.h).
 *
 * What protects what
 *   - hdr->cur_bytes, hdr->max_bytes, hdr->peak_pending: atomics, no lock.
 *   - G.sample_lock: the address table's writers, the mmap ranges, live[],
 *     the dirty list, peak[] and the journal.  Held only for short sections
 *     that never call Python, never allocate through the hooks.
 *   - G.in.lock (intern_lock): the intern tables.  Taken after sample_lock if
 *     both are needed (only in atfork prepare).  Across a fork both are held
 *     in the parent until the child has copied its tables out of the
 *     parent's file (fork_copied, a word in a page the two share).
 *   - Per-thread: T (TLS) and the lazily made stack cache TS.
 *
 * The peak picture ("dirty list"): live[n] holds the bytes charged to node n
 * now.  Every node whose live[] changed since the last snapshot is on the
 * dirty list.  When an allocation raises the exact maximum, peak_pending is
 * set: live[] *is* the peak picture.  The first free after that (a decrease
 * below a new maximum) copies only the dirty nodes into peak[], through the
 * redo journal, then clears the list: O(1) amortised per sampled event.
 *
 * The history (state/format.h "The history"): the total is compared with
 * a band of about 1% around the last point (G.hist_lo, G.hist_hi) on every
 * change; leaving it writes a point, and with it a moment: the stacks whose
 * live[] changed since the moment before (a second dirty list, bit
 * DIRTY_HIST of dirty_flag).  Sampled events also write one when
 * hist_every_ns passed without a point.  All under sample_lock.
 * OOMPH_HISTORY=off (cfg->history_off) stops it before its first point: the
 * band is opened wide, and the hot path's compare is never true.
 */
#include "tracker/tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/readfile.h"
#include "state/format.h"
#include "tracker/addrtable.h"
#include "tracker/control.h"
#include "tracker/intern.h"
#include "tracker/ranges.h"
#include "tracker/rawmem.h"
#include "tracker/shm.h"

#define MAX_DEPTH 1024

/* Weights carry a flag: recorded exactly (size >= rate) or estimated. */
#define W_EXACT (1ull << 63)
/* A block a fork child inherited (marked at the fork): freeing it is not
 * the child's part of the job going down (tracker_atfork_child). */
#define W_INHERITED (1ull << 62)
#define W_BYTES(w) ((int64_t)((w) & ~(W_EXACT | W_INHERITED)))
#define TAG_TRUNCATED ((const void *)2)

int tracker_on;
__thread uint32_t tracker_py __attribute__((tls_model("initial-exec")));

/* Per-thread sampling state.  initial-exec TLS: no allocation, no lock. */
struct tls {
	int64_t countdown;   /* bytes left before the next sample */
	uint64_t rng;
	uint32_t guard;      /* > 0: inside the tracker, do not sample */
	uint32_t last_node;  /* last stack captured or adopted; 0 = none */
	uint32_t seeded;     /* countdown has been drawn */
};
static __thread struct tls T __attribute__((tls_model("initial-exec")));

/* Per-thread stack cache: the last stack, root first, and its trie nodes. */
struct scache {
	int depth;
	struct stack_key keys[MAX_DEPTH + 1];
	uint32_t nodes[MAX_DEPTH + 1];
	struct stack_key buf[MAX_DEPTH + 1];   /* capture, innermost first */
	struct stack_key order[MAX_DEPTH + 1]; /* the same, root first */
	/* A stack read without the GIL whose code objects were not named yet:
	 * kept (innermost first) until the thread holds the GIL again. */
	struct stack_key pend[MAX_DEPTH + 1];
	int npend;
	int pend_flags;
	/* Names of code objects named without the GIL, by position in order[]
	 * (0 = not named that way). */
	uint32_t raw_file[MAX_DEPTH + 1], raw_func[MAX_DEPTH + 1];
};
static __thread struct scache *TS __attribute__((tls_model("initial-exec")));

/* Samples waiting for a stack (see STACK_DEFER). */
#define MAX_DEFERRED 8
struct deferred {
	uintptr_t addr;
	uint32_t placeholder; /* node charged meanwhile */
	uint16_t is_map;
	uint16_t use_pend;    /* resolve to the thread's pending stack (NOGIL) */
	uint64_t peak_seq;    /* peak snapshots taken before it was resolved */
};
static __thread struct deferred DEF[MAX_DEFERRED] __attribute__((tls_model("initial-exec")));
__thread uint32_t tracker_deferred __attribute__((tls_model("initial-exec")));

static struct {
	struct oomph_state_header *h;
	/* The hot path compares the new total with this mark only: the exact
	 * maximum, or the lowest maximum of the open phases (control.c) if
	 * that is lower.  watch_gen changes whenever the open phases do (see
	 * watch_refresh). */
	_Atomic int64_t watch;
	_Atomic uint32_t watch_gen;
	/* A picture waits to be taken at the next decrease: the peak
	 * (h->peak_pending) or an open phase's. */
	_Atomic uint32_t pending;
	int forked;   /* this process is a fork child of a profiled process */
	char *base;
	size_t map_size;
	char path[4096];
	char dir[4096];
	uint64_t rate;
	double rate_d;
	const struct stack_source *src;
	spin_t sample_lock;
	struct intern in;
	struct addrtable at;     /* sampled heap blocks */
	struct addrtable pools;  /* charged pools of the small-object allocator: a
				    table of their own, so that the probe every
				    free makes stays in a small, cached table */
	struct ranges rg;
	struct oomph_state_bytes *live, *peak;
	struct oomph_state_journal *journal;
	uint8_t *dirty_flag;
	uint32_t *dirty_list;
	uint32_t ndirty;
	uint32_t nostack_node;
	uint32_t arena_node;  /* arena space of pymalloc no line holds (see tracker_on_pool) */
	uint32_t truncated_frame;
	uint64_t pool_size;  /* of the small-object allocator, once reported */
	uint64_t start_ns;  /* coarse monotonic */
	pthread_key_t cache_key;
	/* near-OOM watch (see oom_check) */
	struct limits lim;
	_Atomic int64_t oom_next;   /* check when cur_bytes reaches this */
	_Atomic uint32_t oom_busy;  /* one thread checks at a time */
	int64_t oom_threshold;
	struct oomph_state_bytes *moment;
	/* the history (see the top of this file) */
	_Atomic int64_t hist_lo, hist_hi;   /* the band: a point when the total leaves it */
	_Atomic uint64_t hist_next_ns;      /* a point at the next sample after this */
	uint64_t hist_every_ns;
	struct oomph_state_hist_point *hp;
	struct oomph_state_hist_moment *hm;
	struct oomph_state_hist_change *hc;
	uint32_t *hdirty_list;
	uint32_t nhdirty;
	uint32_t *hstamp;                   /* merging moments: nodes seen */
	uint32_t hstamp_gen;
	uint32_t *hlast;                    /* folding moments: a node's last change + 1 */
	uint32_t hp_ok, hm_ok, hc_ok;       /* entries backed (see populate) */
	int hist_off;                       /* no room: no more points (nor moments) */
	int mom_off;                        /* no more moments (hist_stop) */
	int hist_never;                     /* cfg->history_off: stopped from the start */
	int nospace;  /* a reservation failed: no more are tried (see state_reserve) */
	/* The job (state/format.h, "the job"): jcur is the job file's total,
	 * or jdummy when there is no job file or this process left the job
	 * (exit, exec), so the hot path adds to it without a branch.  jwatch
	 * is the job's maximum as this process last saw it (INT64_MAX: no
	 * job); a total above it goes to job_raise.  The state header's
	 * job_base is what this process holds that is not its part (a fork
	 * child: what it inherited and still holds), so its part is
	 * cur_bytes - job_base. */
	struct oomph_job_header *job;
	struct oomph_state_bytes *jpeak, *inherit; /* state jpeak[], inherit[] */
	uint32_t *jgen;                            /* state jgen[] */
	_Atomic(_Atomic int64_t *) jcur;
	_Atomic int64_t jwatch;
	_Alignas(64) _Atomic int64_t jdummy;
} G;

/* ---------------------------------------------------------------- time --- */

static uint64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t tracker_test_now_ns;

static uint64_t since_start(void)
{
	if (__builtin_expect(tracker_test_now_ns != 0, 0))
		return tracker_test_now_ns;
	uint64_t now = coarse_ns();
	return now > G.start_ns ? now - G.start_ns : 0;
}

/* ------------------------------------------------------------- sampling --- */

static uint64_t rng_next(void)
{
	uint64_t x = T.rng;
	if (!x)
		x = (uint64_t)(uintptr_t)&T ^ coarse_ns() ^ 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	T.rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Exponential with mean `rate`: bytes until the next sample. */
static int64_t draw_countdown(void)
{
	double u = ((double)(rng_next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
	double d = -log(u) * G.rate_d;
	if (d < 1.0)
		d = 1.0;
	if (d > 9e18)
		d = 9e18;
	return (int64_t)d;
}

/* The countdown ran out: draw the next one, and weigh this allocation by the
 * inverse of its probability of being sampled, 1 - exp(-size/rate). */
static uint64_t sample_slow(size_t size)
{
	if (!T.seeded) { /* first use on this thread: the countdown was never drawn */
		T.seeded = 1;
		T.countdown = draw_countdown() - (int64_t)size;
		if (T.countdown > 0)
			return 0;
	}
	T.countdown = draw_countdown();
	double p = -expm1(-(double)size / G.rate_d);
	double w = (double)size / p;
	return w < (double)size ? size : (uint64_t)(w + 0.5);
}

/* Decide whether an allocation of `size` is sampled: 0 if not, else the
 * bytes to credit.  This is the hot path: a TLS decrement and a branch. */
static inline uint64_t sample_weight(size_t size)
{
	if (size >= G.rate)
		return size | W_EXACT;
	T.countdown -= (int64_t)size;
	if (__builtin_expect(T.countdown > 0, 1))
		return 0;
	return sample_slow(size);
}

/* ---------------------------------------------------------- peak picture --- */


/* dirty_flag bits: on the peak's dirty list, on the history's. */
#define DIRTY_PEAK 1u
#define DIRTY_HIST 2u

/* Charge (sign +1) or credit back (sign -1) a weight to a node. */
static inline void credit_locked(uint32_t node, uint64_t w, int sign)
{
	if (__builtin_expect(atomic_load_explicit(&control_open, memory_order_relaxed) != 0, 0))
		control_credit_locked(node);
	if (G.job) {
		/* the job's maximum rose since this stack last changed: what it
		 * holds now is what it held then (its picture at the job's peak) */
		uint32_t g = atomic_load_explicit(&G.job->peak_gen, memory_order_relaxed);
		if (G.jgen[node] != g) {
			G.jpeak[node] = G.live[node];
			G.jgen[node] = g;
		}
	}
	int64_t b = sign * W_BYTES(w);
	G.live[node].bytes += b;
	if (w & W_EXACT)
		G.live[node].exact += b;
	uint8_t f = G.dirty_flag[node];
	if (f != (DIRTY_PEAK | DIRTY_HIST)) {
		if (!(f & DIRTY_PEAK))
			G.dirty_list[G.ndirty++] = node;
		if (!(f & DIRTY_HIST))
			G.hdirty_list[G.nhdirty++] = node;
		G.dirty_flag[node] = DIRTY_PEAK | DIRTY_HIST;
	}
}

static void peak_flush_locked(void)
{
	struct oomph_state_header *h = G.h;
	if (!atomic_load_explicit(&G.pending, memory_order_relaxed))
		return;
	atomic_store_explicit(&G.pending, 0, memory_order_relaxed);
	if (atomic_load_explicit(&control_open, memory_order_relaxed))
		control_flush_locked();
	if (!atomic_load_explicit(&h->peak_pending, memory_order_relaxed))
		return;
	uint32_t n = G.ndirty;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t node = G.dirty_list[i];
		G.journal[i].node = node;
		G.journal[i].value = G.live[node];
		G.dirty_flag[node] &= (uint8_t)~DIRTY_PEAK;
	}
	h->journal_count = n;
	h->journal_bytes = atomic_load_explicit(&h->max_bytes, memory_order_relaxed);
	/* when the maximum was reached, not now (its plateau may be long) */
	h->journal_time_ns = atomic_load_explicit(&h->max_time_ns, memory_order_relaxed);
	uint64_t seq = atomic_load_explicit(&h->peak_seq, memory_order_relaxed);
	atomic_store_explicit(&h->peak_seq, seq | 1, memory_order_release);
	for (uint32_t i = 0; i < n; i++)
		G.peak[G.journal[i].node] = G.journal[i].value;
	h->peak_bytes = h->journal_bytes;
	h->peak_time_ns = h->journal_time_ns;
	atomic_store_explicit(&h->peak_seq, (seq | 1) + 1, memory_order_release);
	G.ndirty = 0;
	atomic_store_explicit(&h->peak_pending, 0, memory_order_relaxed);
}

static inline void before_decrease(void)
{
	if (__builtin_expect(atomic_load_explicit(&G.pending, memory_order_relaxed), 0)) {
		spin_lock(&G.sample_lock);
		peak_flush_locked();
		spin_unlock(&G.sample_lock);
	}
}

static void hist_cross(int locked);

/* Set the watch mark from the maximum and the open phases.  A phase that
 * begins lowers the mark; a thread raising it meanwhile from older values
 * must not write back a mark above the new phase's maximum: the phase
 * publishes itself, then bumps watch_gen, then refreshes, and a refresh that
 * saw the generation change does it again. */
static void watch_refresh(void)
{
	uint32_t g;
	do {
		g = atomic_load(&G.watch_gen);
		int64_t t = atomic_load(&G.h->max_bytes);
		if (atomic_load(&control_open)) {
			int64_t p = control_lowest_max();
			if (p < t)
				t = p;
		}
		atomic_store(&G.watch, t);
	} while (atomic_load(&G.watch_gen) != g);
}

void tracker_phases_changed(void)
{
	atomic_fetch_add(&G.watch_gen, 1);
	watch_refresh();
}

/* The phases' part of a new maximum (some phase is open): out of line. */
static __attribute__((noinline)) void raise_phases(int64_t c, uint64_t now)
{
	if (control_raise(c, now ? now : since_start()))
		atomic_store_explicit(&G.pending, 1, memory_order_relaxed);
	watch_refresh();
}

/* The total passed the watch mark: a new maximum, of the process or of an
 * open phase.  With no phase open the mark follows the maximum; a phase
 * that began meanwhile changed watch_gen, and the mark is computed again. */
static inline void raise_max(int64_t c)
{
	struct oomph_state_header *h = G.h;
	uint32_t g = atomic_load(&G.watch_gen);
	int64_t m = atomic_load_explicit(&h->max_bytes, memory_order_relaxed);
	uint64_t now = 0;
	while (c > m) {
		if (atomic_compare_exchange_weak_explicit(&h->max_bytes, &m, c, memory_order_relaxed,
							  memory_order_relaxed)) {
			/* a vDSO read of the coarse clock: cheap enough for every raise */
			now = since_start();
			atomic_store_explicit(&h->max_time_ns, now, memory_order_relaxed);
			if (!atomic_load_explicit(&h->peak_pending, memory_order_relaxed)) {
				atomic_store_explicit(&h->peak_pending, 1, memory_order_relaxed);
				atomic_store_explicit(&G.pending, 1, memory_order_relaxed);
			}
			m = c;
			break;
		}
	}
	if (__builtin_expect(atomic_load(&control_open) != 0, 0)) {
		raise_phases(c, now);
		return;
	}
	atomic_store(&G.watch, m);
	if (__builtin_expect(atomic_load(&G.watch_gen) != g, 0))
		watch_refresh();
}

/* The job's total passed the maximum this process last saw: raise the
 * job's maximum (another process may have raised it meanwhile: then only
 * the mark is refreshed). */
static __attribute__((noinline)) void job_raise(int64_t j)
{
	struct oomph_job_header *jh = G.job;
	if (!jh)
		return;
	int64_t m = atomic_load_explicit(&jh->max_bytes, memory_order_relaxed);
	while (j > m) {
		if (atomic_compare_exchange_weak_explicit(&jh->max_bytes, &m, j, memory_order_relaxed,
							  memory_order_relaxed)) {
			uint64_t now = coarse_ns();
			atomic_store_explicit(&jh->max_time_ns,
					      now > jh->start_mono_ns ? now - jh->start_mono_ns : 0,
					      memory_order_relaxed);
			atomic_store_explicit(&jh->max_pid, G.h->pid, memory_order_relaxed);
			atomic_fetch_add_explicit(&jh->peak_gen, 1, memory_order_relaxed);
			m = j;
			break;
		}
	}
	atomic_store_explicit(&G.jwatch, m, memory_order_relaxed);
}

/* The job's part of a change of the total: one relaxed add to the job
 * file's counter (a cache line of its own), and a compare with the mark. */
static inline __attribute__((always_inline)) void job_add(int64_t size)
{
	_Atomic int64_t *jc = atomic_load_explicit(&G.jcur, memory_order_relaxed);
	int64_t j = atomic_fetch_add_explicit(jc, size, memory_order_relaxed) + size;
	if (__builtin_expect(j > atomic_load_explicit(&G.jwatch, memory_order_relaxed), 0))
		job_raise(j);
}

static inline void job_sub(int64_t size)
{
	atomic_fetch_sub_explicit(atomic_load_explicit(&G.jcur, memory_order_relaxed), size,
				  memory_order_relaxed);
}

/* Raise the exact total; returns the new total (for oom_due).  With no
 * phase open the mark is the maximum itself: one load and one compare. */
static inline __attribute__((always_inline)) int64_t add_bytes_at(int64_t size, int locked)
{
	struct oomph_state_header *h = G.h;
	int64_t c = atomic_fetch_add_explicit(&h->cur_bytes, size, memory_order_relaxed) + size;
	job_add(size);
	if (__builtin_expect(c > atomic_load_explicit(&G.watch, memory_order_relaxed), 0))
		raise_max(c);
	if (__builtin_expect(c >= atomic_load_explicit(&G.hist_hi, memory_order_relaxed), 0))
		hist_cross(locked);
	return c;
}

static inline __attribute__((always_inline)) int64_t add_bytes(int64_t size)
{
	return add_bytes_at(size, 0);
}

/* Lower the exact total (the owner credited first or after: the caller's
 * choice); returns the new total. */
/* The process's part of the job after a free took its total to c: a
 * part below zero means the free was of memory it never saw allocated
 * (inherited at fork, or older than the tracker): that much leaves its
 * base, not the job. */
static __attribute__((noinline)) void job_below_base(int64_t c, int64_t size)
{
	struct oomph_state_header *h = G.h;
	int64_t base = atomic_load_explicit(&h->job_base, memory_order_relaxed);
	int64_t over = base - c; /* > 0 */
	if (over > size)
		over = size;
	atomic_fetch_sub_explicit(&h->job_base, over, memory_order_relaxed);
	if (G.forked)
		atomic_fetch_add_explicit(&h->inherited_freed, over, memory_order_relaxed);
	if (size > over)
		job_sub(size - over);
}

/* A free of `size` took the total to c; `inherited`: the block was one a
 * fork child inherited (its parent's part of the job, which stays). */
static inline __attribute__((always_inline)) void job_release(int64_t c, int64_t size,
							      int inherited)
{
	struct oomph_state_header *h = G.h;
	if (__builtin_expect(inherited, 0)) {
		atomic_fetch_sub_explicit(&h->job_base, size, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->inherited_freed, size, memory_order_relaxed);
	} else if (__builtin_expect(c < atomic_load_explicit(&h->job_base, memory_order_relaxed),
				    0)) {
		job_below_base(c, size);
	} else {
		job_sub(size);
	}
}

/* A fork child replaced an inherited block of `old` bytes (realloc): the
 * old one leaves its base, and the job gains `add` (with what add_bytes
 * added, the new block's size). */
static void job_took_inherited(int64_t old, int64_t add)
{
	struct oomph_state_header *h = G.h;
	atomic_fetch_sub_explicit(&h->job_base, old, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->inherited_freed, old, memory_order_relaxed);
	job_add(add);
}

/* Lower the process's total only; returns the new total (job_release
 * then says what the job loses). */
static inline __attribute__((always_inline)) int64_t cur_sub(int64_t size)
{
	return atomic_fetch_sub_explicit(&G.h->cur_bytes, size, memory_order_relaxed) - size;
}

/* Lower the exact total (the owner credited first or after: the caller's
 * choice) of memory this process allocated or does not know to be
 * inherited; returns the new total. */
static inline __attribute__((always_inline)) int64_t sub_bytes(int64_t size)
{
	int64_t c = cur_sub(size);
	job_release(c, size, 0);
	return c;
}

/* A total that went down: has it left the history's band? */
static inline void hist_down(int64_t c, int locked)
{
	if (__builtin_expect(c < atomic_load_explicit(&G.hist_lo, memory_order_relaxed), 0))
		hist_cross(locked);
}

static void oom_check(int64_t cur);

/* Near-OOM checks happen every so many bytes of growth, never on every
 * allocation: the hot path pays one load and one compare. */
static inline void oom_due(int64_t cur)
{
	if (__builtin_expect(cur >= atomic_load_explicit(&G.oom_next, memory_order_relaxed), 0))
		oom_check(cur);
}

/* --------------------------------------------------------------- stacks --- */

static void cache_destroy(void *p)
{
	raw_free(p, sizeof(struct scache));
}

static struct scache *thread_cache(void)
{
	if (!TS) {
		TS = raw_alloc(sizeof(struct scache));
		if (TS)
			pthread_setspecific(G.cache_key, TS);
	}
	return TS;
}

static uint32_t fallback_node(void)
{
	return T.last_node ? T.last_node : G.nostack_node;
}

/* Make sure every code object among keys[from..n) is named in the intern
 * tables.  Python is called without any lock held. */
static void describe_missing(const struct stack_key *keys, int from, int n)
{
	char file[1024], func[512];
	for (int j = from; j < n; j++) {
		const void *code = keys[j].code;
		uint32_t fo, fu;
		if (code == TAG_TRUNCATED)
			continue;
		if (j > from && code == keys[j - 1].code)
			continue; /* recursion: same code as the frame before */
		spin_lock(&G.in.lock);
		int known = intern_code_lookup(&G.in, code, &fo, &fu);
		spin_unlock(&G.in.lock);
		if (known)
			continue;
		file[0] = func[0] = 0;
		if (G.src->describe(code, file, sizeof(file), func, sizeof(func)) < 0)
			memcpy(file, "<unknown>", 10);
		spin_lock(&G.in.lock);
		fo = intern_string(&G.in, file, strlen(file));
		fu = intern_string(&G.in, func, strlen(func));
		intern_code_add(&G.in, code, fo, fu);
		spin_unlock(&G.in.lock);
	}
}

/* Turn a captured stack (innermost first in c->buf) into a trie node,
 * reusing the prefix it shares with this thread's previous stack. */
/* Without the GIL: name every code object among keys[from..n) that the
 * intern tables do not know, by reading memory (c->raw_file/raw_func).
 * Returns 0 if one cannot be named that way. */
static int name_without_gil(struct scache *c, const struct stack_key *keys, int from, int n)
{
	char file[1024], func[512];
	for (int j = from; j < n; j++) {
		uint32_t fo, fu;
		c->raw_file[j] = c->raw_func[j] = 0;
		if (keys[j].code == TAG_TRUNCATED)
			continue;
		spin_lock(&G.in.lock);
		int known = intern_code_lookup(&G.in, keys[j].code, &fo, &fu);
		spin_unlock(&G.in.lock);
		if (known)
			continue;
		if (!G.src->describe_nogil ||
		    G.src->describe_nogil(keys[j].code, file, sizeof(file), func, sizeof(func)) < 0)
			return 0;
		spin_lock(&G.in.lock);
		c->raw_file[j] = intern_string(&G.in, file, strlen(file));
		c->raw_func[j] = intern_string(&G.in, func, strlen(func));
		spin_unlock(&G.in.lock);
	}
	return 1;
}

/* resolve() that may not call describe (no GIL): returns UINT32_MAX if a
 * code object still needs its name. */
#define NEEDS_NAMES UINT32_MAX
static uint32_t resolve_flags(struct scache *c, const struct stack_key *innermost_first,
			      int n, int flags);

static uint32_t resolve_flags(struct scache *c, const struct stack_key *src, int n, int flags)
{
	int truncated = flags & STACK_TRUNCATED;
	/* Root first, with the truncation marker as the outermost frame.  (In
	 * the per-thread cache, not on the stack: a thread may have a small one.) */
	struct stack_key *keys = c->order;
	int m = 0;
	if (truncated)
		keys[m++] = (struct stack_key){TAG_TRUNCATED, 0, 0};
	for (int i = n - 1; i >= 0; i--)
		keys[m++] = src[i];

	int k = 0;
	while (k < m && k < c->depth && keys[k].code == c->keys[k].code &&
	       keys[k].line == c->keys[k].line)
		k++;
	if (k == m && m == c->depth)
		return c->nodes[m - 1];

	int nogil = flags & STACK_NOGIL;
	if (nogil) {
		if (!name_without_gil(c, keys, k, m))
			return NEEDS_NAMES;
	} else {
		describe_missing(keys, k, m);
	}

	spin_lock(&G.in.lock);
	uint32_t parent = k ? c->nodes[k - 1] : 0;
	for (int j = k; j < m; j++) {
		uint32_t fo = 0, fu = 0, frame;
		if (keys[j].code == TAG_TRUNCATED) {
			frame = G.truncated_frame;
		} else {
			if (!intern_code_lookup(&G.in, keys[j].code, &fo, &fu) && nogil) {
				fo = c->raw_file[j];
				fu = c->raw_func[j];
			}
			frame = intern_frame(&G.in, fo, fu, keys[j].line, OOMPH_FRAME_PYTHON);
		}
		parent = intern_node(&G.in, parent, frame);
		c->keys[j] = keys[j];
		c->nodes[j] = parent;
	}
	spin_unlock(&G.in.lock);
	c->depth = m;
	return parent;
}

/* The node of the calling thread's current Python stack (or its fallback).
 * *deferred is set when the source asked to be called back later. */
static uint32_t capture_node(int *deferred)
{
	if (T.guard || !G.src)
		return fallback_node();
	T.guard++;
	uint32_t node = 0;
	struct scache *c = thread_cache();
	int flags = 0;
	int n = c ? G.src->capture(c->buf, MAX_DEPTH, &flags) : -1;
	if (n > 0 && (flags & STACK_TRUNCATED))
		atomic_fetch_or_explicit(&G.h->overflow, OOMPH_OVERFLOW_STACKDEPTH,
					 memory_order_relaxed);
	if (n > 0)
		node = resolve_flags(c, c->buf, n, flags);
	if (n > 0 && node == NEEDS_NAMES) {
		/* Read without the GIL, with code objects never named: keep the
		 * keys, name them when the thread holds the GIL again. */
		memcpy(c->pend, c->buf, (size_t)n * sizeof(c->buf[0]));
		c->npend = n;
		c->pend_flags = flags & STACK_TRUNCATED;
		node = fallback_node();
		if (deferred)
			*deferred = 2;
	} else if (n > 0) {
		T.last_node = node;
	} else {
		node = fallback_node();
		if (n == STACK_DEFER && deferred)
			*deferred = 1;
	}
	T.guard--;
	return node;
}

static uint32_t current_node(void)
{
	return capture_node(NULL);
}

/* A deferred entry whose addr is the number of a failed allocation, or
 * a pool (the others are heap blocks, 0, or mappings, 1). */
#define DEFER_FAILURE 2u
#define DEFER_POOL 3u
#define DEFER_SEGMENT 4u /* addr: a shared-memory segment's record (shm.c) */

/* Remember a sample charged to a placeholder; called under sample_lock.
 * how: 1 = charge it to the stack current when resolved, 2 = to the
 * thread's pending stack (read without the GIL). */
static void defer_locked(uintptr_t addr, uint32_t placeholder, uint32_t is_map, int how)
{
	if (tracker_deferred >= MAX_DEFERRED)
		return; /* stays with the placeholder: the thread's last stack */
	DEF[tracker_deferred++] = (struct deferred){
		addr, placeholder, (uint16_t)is_map, (uint16_t)(how == 2),
		atomic_load_explicit(&G.h->peak_seq, memory_order_relaxed)};
	tracker_py |= TRACKER_PY_DEFERRED;
}

/* Move a resolved sample from its placeholder to its stack: in live[], and
 * in the peak picture too if a snapshot was taken while it was live (it was
 * charged to the placeholder there).  Journaled like a snapshot.  Called
 * under sample_lock. */
static void move_locked(const struct deferred *d, uint32_t to, uint64_t w)
{
	credit_locked(d->placeholder, w, -1);
	credit_locked(to, w, +1);
	struct oomph_state_header *h = G.h;
	uint64_t seq = atomic_load_explicit(&h->peak_seq, memory_order_relaxed);
	if (seq == d->peak_seq)
		return; /* no snapshot since: live[] is what the next one copies */
	int64_t b = W_BYTES(w), ex = (w & W_EXACT) ? b : 0;
	struct oomph_state_bytes from = G.peak[d->placeholder], dest = G.peak[to];
	if (from.bytes < b)
		return; /* not in that picture (allocated after it) */
	from.bytes -= b;
	from.exact -= ex;
	dest.bytes += b;
	dest.exact += ex;
	G.journal[0] = (struct oomph_state_journal){d->placeholder, 0, from};
	G.journal[1] = (struct oomph_state_journal){to, 0, dest};
	h->journal_count = 2;
	h->journal_bytes = h->peak_bytes;
	h->journal_time_ns = h->peak_time_ns;
	atomic_store_explicit(&h->peak_seq, seq | 1, memory_order_release);
	G.peak[d->placeholder] = from;
	G.peak[to] = dest;
	atomic_store_explicit(&h->peak_seq, (seq | 1) + 1, memory_order_release);
}

/* The pending stack's code objects are alive if each is on the current
 * stack (the allocating frames have not returned): only then may they be
 * described.  Returns the pending stack's node, or `fallback`. */
static uint32_t resolve_pending(struct scache *c, uint32_t fallback)
{
	int n = c->npend;
	c->npend = 0;
	int flags = 0;
	int cur = G.src->capture(c->buf, MAX_DEPTH, &flags);
	if (cur <= 0 || (flags & STACK_NOGIL))
		return fallback;
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < cur && !found; j++)
			found = c->buf[j].code == c->pend[i].code;
		if (!found)
			return fallback;
	}
	return resolve_flags(c, c->pend, n, c->pend_flags);
}

void tracker_resolve_deferred(void)
{
	if (!tracker_active() || !tracker_deferred || T.guard)
		return;
	uint32_t n = tracker_deferred;
	tracker_deferred = 0;
	uint32_t node = current_node();
	uint32_t pend_node = node;
	struct scache *c = TS;
	if (c && c->npend) {
		T.guard++;
		pend_node = resolve_pending(c, 0);
		T.guard--;
	}
	/* a segment is charged under a frame of its own: find that node under
	 * the real stack before the lock (interning takes intern_lock) */
	uint32_t seg_to[MAX_DEFERRED] = {0};
	for (uint32_t i = 0; i < n; i++)
		if (DEF[i].is_map == DEFER_SEGMENT)
			seg_to[i] = shm_node_for((uint32_t)DEF[i].addr,
						 DEF[i].use_pend ? pend_node : node);
	spin_lock(&G.sample_lock);
	for (uint32_t i = 0; i < n; i++) {
		struct deferred *d = &DEF[i];
		uint32_t target = d->use_pend ? pend_node : node;
		if (d->is_map == DEFER_SEGMENT) {
			uint64_t w;
			if (seg_to[i] && seg_to[i] != d->placeholder &&
			    shm_retarget_locked((uint32_t)d->addr, d->placeholder, seg_to[i], &w))
				move_locked(d, seg_to[i], w | W_EXACT);
			continue;
		}
		if (!target || d->placeholder == target)
			continue;
		if (d->is_map == DEFER_FAILURE) {
			struct oomph_state_failure *f =
				&G.h->failures[(d->addr - 1) % OOMPH_FAILURES_CAP];
			if (atomic_load_explicit(&f->seq, memory_order_relaxed) == d->addr)
				f->node = target;
		} else if (d->is_map == 1) {
			struct range *r = ranges_find(&G.rg, d->addr);
			if (r && r->node == d->placeholder) {
				move_locked(d, target, r->weight);
				r->node = target;
			}
		} else {
			struct addrtable *t = d->is_map == DEFER_POOL ? &G.pools : &G.at;
			uint32_t old;
			uint64_t w;
			if (addrtable_remove(t, d->addr, &old, &w)) {
				if (old == d->placeholder) {
					move_locked(d, target, w);
					old = target;
				}
				addrtable_insert(t, d->addr, old, w);
			}
		}
	}
	spin_unlock(&G.sample_lock);
}

uint32_t tracker_current_node(void)
{
	if (!tracker_active())
		return 0;
	return current_node();
}

void tracker_thread_adopt(uint32_t node)
{
	T.last_node = node;
}

/* ------------------------------------------------------------ the events --- */

/* Charge a sampled block (or pool) to `node`, captured by the caller
 * outside the lock.  Called under sample_lock.  Returns 1 if charged. */
static int charge_locked(void *p, uint32_t node, uint64_t weight, int deferred, int pool)
{
	if (addrtable_insert(pool ? &G.pools : &G.at, (uintptr_t)p, node, weight) != 0)
		return 0;
	/* A pool moves from the arena's unheld space to its owner: the total
	 * does not change, so the picture of a peak still under way may show
	 * it held (better than as space no line holds). */
	if (pool)
		credit_locked(G.arena_node, weight, -1);
	credit_locked(node, weight, +1);
	if (deferred)
		defer_locked((uintptr_t)p, node, pool ? DEFER_POOL : 0, deferred);
	return 1;
}

static void hist_tick(uint64_t now);

/* Count a sample; the history's 100 ms point is the caller's (hist_due),
 * once the total includes what was sampled. */
static void count_sample_only(void)
{
	atomic_fetch_add_explicit(&G.h->n_sampled, 1, memory_order_relaxed);
	atomic_store_explicit(&G.h->last_update_ns, since_start(), memory_order_relaxed);
}

/* A point of the history is due by time (100 ms since the last, or the end
 * of a step whose band was widened): written after the total was raised,
 * so that its moment's bytes and picture both hold the new block (a phase
 * that peaks at this allocation is a maximum among the moments). */
static inline void hist_due(void)
{
	uint64_t now = since_start();
	if (__builtin_expect(now >= atomic_load_explicit(&G.hist_next_ns, memory_order_relaxed), 0))
		hist_tick(now);
}

static void count_sample(void)
{
	count_sample_only();
	hist_due();
}

/* Charge a sampled block (or pool) to the calling stack.  A pool is charged
 * only if it lies in an arena reported by arena_here().  Returns 1 if
 * charged. */
static int record_sample_in(void *p, uint64_t weight, int pool)
{
	int deferred = 0;
	uint32_t node = capture_node(&deferred);
	spin_lock(&G.sample_lock);
	struct range *r = pool ? ranges_containing(&G.rg, (uintptr_t)p) : NULL;
	int charged = (!pool || (r && (r->flags & RANGE_ARENA))) && charge_locked(p, node, weight, deferred, pool);
	spin_unlock(&G.sample_lock);
	if (pool)
		return charged; /* pools are not samples: keep their cost down */
	count_sample_only();
	return charged;
}

void tracker_on_alloc(void *p, size_t size)
{
	if (!tracker_active() || !p)
		return;
	/* Charge the stack before raising the total: a free in another thread
	 * that snapshots the peak in between must not see the bytes without
	 * their owner (it would lose a big allocation from the peak picture). */
	uint64_t w = sample_weight(size);
	if (__builtin_expect(w != 0, 0)) {
		(void)record_sample_in(p, w, 0);
		int64_t c = add_bytes((int64_t)size);
		hist_due();
		oom_due(c);
		return;
	}
	oom_due(add_bytes((int64_t)size));
}

/* Returns 1 if the block was one this fork child inherited. */
static int forget_block(void *p)
{
	if (!addrtable_may_contain(&G.at, (uintptr_t)p))
		return 0;
	uint32_t node;
	uint64_t w = 0;
	spin_lock(&G.sample_lock);
	if (addrtable_remove(&G.at, (uintptr_t)p, &node, &w))
		credit_locked(node, w, -1);
	spin_unlock(&G.sample_lock);
	return (w & W_INHERITED) != 0;
}

void tracker_on_free(void *p, size_t size)
{
	if (!tracker_active() || !p)
		return;
	before_decrease();
	int64_t c = cur_sub((int64_t)size);
	int inherited = forget_block(p);
	job_release(c, (int64_t)size, inherited);
	hist_down(c, 0);
}

void tracker_realloc_begin(void *oldp, struct tracker_realloc_ticket *t)
{
	t->found = 0;
	if (!tracker_active() || !oldp || !addrtable_may_contain(&G.at, (uintptr_t)oldp))
		return;
	spin_lock(&G.sample_lock);
	t->found = (uint32_t)addrtable_remove(&G.at, (uintptr_t)oldp, &t->node, &t->weight);
	spin_unlock(&G.sample_lock);
}

void tracker_realloc_end(void *oldp, size_t oldsize, void *newp, size_t newsize,
			 const struct tracker_realloc_ticket *t)
{
	if (!tracker_active())
		return;
	if (!newp) { /* failed: the old block lives on, put its record back */
		if (t->found) {
			spin_lock(&G.sample_lock);
			addrtable_insert(&G.at, (uintptr_t)oldp, t->node, t->weight);
			spin_unlock(&G.sample_lock);
		}
		return;
	}
	uint64_t w = sample_weight(newsize);
	if (__builtin_expect(!w && !t->found, 1)) { /* nothing sampled: totals only */
		if (newsize < oldsize) {
			before_decrease();
			hist_down(sub_bytes((int64_t)(oldsize - newsize)), 0);
		} else if (newsize > oldsize) {
			oom_due(add_bytes((int64_t)(newsize - oldsize)));
		}
		return;
	}
	/* The old block leaves its owner and the new one joins its own in one
	 * locked section, after the peak picture is taken (at the peak the old
	 * block was held, the new one not): a shrink right after the peak
	 * must not leave both in the picture. */
	int deferred = 0;
	uint32_t node = w ? capture_node(&deferred) : 0;
	/* a block a fork child inherited leaves as its parent's; the new one
	 * is the child's own */
	int inherited = t->found && (t->weight & W_INHERITED);
	spin_lock(&G.sample_lock);
	peak_flush_locked();
	if (t->found)
		credit_locked(t->node, t->weight, -1);
	if (w)
		(void)charge_locked(newp, node, w, deferred, 0);
	if (newsize < oldsize) { /* under the lock: no snapshot sees the swap half done */
		int64_t d = (int64_t)(oldsize - newsize);
		hist_down(inherited ? cur_sub(d) : sub_bytes(d), 1);
	}
	spin_unlock(&G.sample_lock);
	int64_t c = newsize > oldsize ? add_bytes((int64_t)(newsize - oldsize)) : 0;
	if (w) /* after the total holds the new block (hist_due) */
		count_sample();
	if (newsize > oldsize) /* the new owner was charged first, as in tracker_on_alloc */
		oom_due(c);
	if (inherited)
		job_took_inherited((int64_t)oldsize,
				   (int64_t)(newsize < oldsize ? newsize : oldsize));
}

/* An arena of the small-object allocator went away: so did its pools.
 * Called under sample_lock. */
static void drop_pools_locked(uintptr_t start, uint64_t bytes)
{
	uint64_t ps = G.pool_size;
	if (!ps)
		return;
	for (uintptr_t a = (start + ps - 1) & ~(uintptr_t)(ps - 1); a < start + bytes; a += ps) {
		uint32_t node;
		uint64_t w;
		if (addrtable_remove(&G.pools, a, &node, &w)) {
			credit_locked(node, w, -1);
			credit_locked(G.arena_node, w, +1);
		}
	}
}

/* A piece of a mapping went away: called under sample_lock. */
static void unmapped_piece(void *ctx, uintptr_t start, uint64_t bytes, uint32_t node,
			   uint64_t weight, uint32_t flags)
{
	(void)ctx;
	peak_flush_locked();
	int64_t c = cur_sub((int64_t)bytes);
	job_release(c, (int64_t)bytes, (flags & RANGE_INHERITED) != 0);
	if (flags & RANGE_ARENA)
		drop_pools_locked(start, bytes);
	if (node != RANGE_UNSAMPLED)
		credit_locked(node, weight, -1);
	hist_down(c, 1);
}

/* An anonymous mapping; shared: RANGE_SHARED (MAP_SHARED) or 0. */
static void on_mmap(void *addr, size_t len, uint32_t shared)
{
	if (!tracker_active() || !len)
		return;
	len = (len + 4095) & ~(size_t)4095;
	atomic_fetch_add_explicit(&G.h->n_mmaps, 1, memory_order_relaxed);
	/* An arena of Python's small-object allocator is charged pool by pool
	 * (tracker_on_pool), not whole to whichever allocation needed it. */
	uint32_t arena = !shared && G.src && G.src->arena_here && G.src->arena_here() == len;
	uint64_t w = arena ? len | W_EXACT : sample_weight(len);
	int deferred = 0;
	uint32_t node = arena ? G.arena_node : w ? capture_node(&deferred) : RANGE_UNSAMPLED;
	spin_lock(&G.sample_lock);
	/* Remove what a MAP_FIXED mapping replaced before counting the new one,
	 * so the total never double-counts. */
	ranges_remove(&G.rg, (uintptr_t)addr, len, unmapped_piece, NULL);
	if (ranges_add(&G.rg, (uintptr_t)addr, len, node, w, (arena ? RANGE_ARENA : 0) | shared,
		       unmapped_piece, NULL) == 0 &&
	    w) {
		credit_locked(node, w, +1);
		if (deferred)
			defer_locked((uintptr_t)addr, node, 1, deferred);
	}
	int64_t cur = add_bytes_at((int64_t)len, 1); /* after the owner is charged (tracker_on_alloc) */
	spin_unlock(&G.sample_lock);
	if (w)
		count_sample();
	oom_due(cur);
}

void tracker_on_mmap(void *addr, size_t len)
{
	on_mmap(addr, len, 0);
}

void tracker_on_shared_mmap(void *addr, size_t len)
{
	on_mmap(addr, len, RANGE_SHARED);
}

int tracker_on_pool(void *pool, size_t pool_size)
{
	if (!tracker_active() || !pool_size)
		return 0;
	if (!G.pool_size)
		G.pool_size = pool_size; /* one allocator, one size: a race writes the same */
	uintptr_t a = (uintptr_t)pool;
	if (!addrtable_may_contain(&G.pools, a)) /* nobody holds it: no lock to look */
		return record_sample_in(pool, pool_size | W_EXACT, 1);
	int deferred = 0;
	uint32_t node = capture_node(&deferred);
	int moved = 0;
	uint32_t old;
	uint64_t ow;
	spin_lock(&G.sample_lock);
	/* in place: a remove and an insert walked the probe run twice */
	if (addrtable_replace(&G.pools, a, node, &old, &ow) && (old != node || deferred)) {
		peak_flush_locked(); /* at the peak it was old's */
		credit_locked(old, ow, -1);
		credit_locked(node, ow, +1);
		if (deferred)
			defer_locked(a, node, DEFER_POOL, deferred);
		moved = 1;
	}
	spin_unlock(&G.sample_lock);
	return moved;
}

void tracker_on_munmap(void *addr, size_t len)
{
	if (!tracker_active() || !len)
		return;
	len = (len + 4095) & ~(size_t)4095;
	spin_lock(&G.sample_lock);
	ranges_remove(&G.rg, (uintptr_t)addr, len, unmapped_piece, NULL);
	spin_unlock(&G.sample_lock);
}

/* What mremap moves or resizes is counted again only if it was counted:
 * a file mapping (mmap.resize() of a file or a memfd, whose growth
 * ftruncate already charged to its segment) is not anonymous memory. */
void tracker_on_mremap(void *oldaddr, size_t oldlen, void *newaddr, size_t newlen)
{
	if (!tracker_active())
		return;
	spin_lock(&G.sample_lock);
	int tracked = ranges_overlap(&G.rg, (uintptr_t)oldaddr, (oldlen + 4095) & ~(size_t)4095);
	struct range *r = ranges_containing(&G.rg, (uintptr_t)oldaddr);
	uint32_t shared = r ? r->flags & RANGE_SHARED : 0; /* moved, still shared */
	spin_unlock(&G.sample_lock);
	if (!tracked)
		return;
	tracker_on_munmap(oldaddr, oldlen);
	on_mmap(newaddr, newlen, shared);
}

/* A fork child: every block and mapping it holds now is its parent's
 * (inherited), so freeing one later does not lower its part of the job.
 * Alone in the child (its atfork handler): no lock needed. */
static void mark_inherited(void)
{
	struct addr_slot *slots = atomic_load_explicit(&G.at.slots, memory_order_relaxed);
	for (uint64_t i = 0; slots && i <= G.at.mask; i++)
		if (atomic_load_explicit(&slots[i].key, memory_order_relaxed))
			slots[i].weight |= W_INHERITED;
	for (size_t i = 0; i < G.rg.n; i++)
		G.rg.v[i].flags |= RANGE_INHERITED;
}

/* A fork child shares its parent's MAP_SHARED anonymous pages, charged
 * once to whoever touched them: they leave its total and its stacks, as
 * its parent's segments do (shm_atfork_child).  If it unmaps them, there
 * is nothing left to credit back.  Under sample_lock. */
static void drop_shared_locked(void)
{
	for (size_t i = 0; i < G.rg.n;) {
		const struct range *g = &G.rg.v[i];
		if (g->flags & RANGE_SHARED) /* removes v[i]: the next one moves in */
			ranges_remove(&G.rg, g->start, g->end - g->start, unmapped_piece, NULL);
		else
			i++;
	}
}

/* ------------------------------------------------------- the state file --- */

static size_t align_up(size_t x)
{
	return (x + OOMPH_STATE_ALIGN - 1) & ~(size_t)(OOMPH_STATE_ALIGN - 1);
}

/* Append s to buf at *pos (no stdio inside the profiled process). */
static void put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < cap)
		buf[(*pos)++] = *s++;
	buf[*pos] = 0;
}

/* -------------------------------------------- near OOM, failures, faults --- */

/* Photograph live[] into moment[] (seqlock: a reader ignores an odd
 * moment_seq, so a death in the middle leaves no half picture). */
static void take_moment(uint32_t reason, int64_t headroom)
{
	struct oomph_state_header *h = G.h;
	spin_lock(&G.sample_lock);
	uint64_t seq = atomic_load_explicit(&h->moment_seq, memory_order_relaxed);
	atomic_store_explicit(&h->moment_seq, seq | 1, memory_order_release);
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_acquire);
	memcpy(G.moment, G.live, nn * sizeof(*G.moment));
	h->moment_nodes = nn;
	h->moment_bytes = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
	h->moment_time_ns = since_start();
	h->moment_headroom = headroom;
	h->moment_reason = reason;
	atomic_store_explicit(&h->moment_seq, (seq | 1) + 1, memory_order_release);
	spin_unlock(&G.sample_lock);
}

/* Next check: sooner as the headroom shrinks (tracked growth is at most the
 * usage growth it causes), never more often than every 4 MiB of growth. */
static void oom_rearm_headroom(int64_t cur, int64_t headroom)
{
	int64_t gap = (headroom - G.oom_threshold) / 4;
	if (gap < (4ll << 20))
		gap = 4ll << 20;
	if (gap > (1ll << 30))
		gap = 1ll << 30;
	atomic_store_explicit(&G.oom_next, cur + gap, memory_order_relaxed);
}

static void oom_rearm(int64_t cur)
{
	if (G.h->oom_mode == OOMPH_OOM_OFF || G.lim.limit_bytes <= 0) {
		atomic_store_explicit(&G.oom_next, INT64_MAX, memory_order_relaxed);
		return;
	}
	oom_rearm_headroom(cur, G.oom_threshold); /* check again within 4 MiB */
}

static void oom_check(int64_t cur)
{
	if (T.guard || G.h->oom_mode == OOMPH_OOM_OFF || G.lim.limit_bytes <= 0)
		return;
	uint32_t idle = 0;
	if (!atomic_compare_exchange_strong(&G.oom_busy, &idle, 1))
		return;
	T.guard++;
	int saved = errno;
	int64_t usage;
	struct oomph_state_header *h = G.h;
	if (limits_usage(&G.lim, &usage) == 0) {
		int64_t headroom = G.lim.limit_bytes - usage;
		oom_rearm_headroom(cur, headroom);
		if (headroom < G.oom_threshold) {
			/* Near OOM: photograph once, and again each time the
			 * headroom has shrunk by another quarter of the threshold
			 * (closer to the end is more telling). */
			uint64_t seq = atomic_load_explicit(&h->moment_seq, memory_order_acquire);
			if (!seq || h->moment_reason != OOMPH_MOMENT_NEAR_OOM ||
			    headroom < h->moment_headroom - G.oom_threshold / 4)
				take_moment(OOMPH_MOMENT_NEAR_OOM, headroom);
			if (h->oom_mode == OOMPH_OOM_STOP) {
				/* The supervisor sees the stop (or this flag), reports
				 * and ends the process. */
				atomic_store_explicit(&h->stopped, 1, memory_order_release);
				kill(getpid(), SIGSTOP);
			}
		}
	} else {
		atomic_store_explicit(&G.oom_next, cur + (64ll << 20), memory_order_relaxed);
	}
	errno = saved;
	T.guard--;
	atomic_store_explicit(&G.oom_busy, 0, memory_order_release);
}

static void oom_setup(struct oomph_state_header *h, const struct tracker_config *cfg)
{
	h->limit_bytes = G.lim.limit_bytes;
	const char *kind = limits_kind_name(G.lim.kind);
	size_t pos = 0;
	put_str(h->limit_kind, sizeof(h->limit_kind), &pos, kind);
	pos = 0;
	put_str(h->limit_source, sizeof(h->limit_source), &pos, G.lim.source);
	h->oom_mode = cfg->oom_mode <= OOMPH_OOM_OFF ? cfg->oom_mode : OOMPH_OOM_REPORT;
	int64_t t = cfg->oom_threshold;
	if (t <= 0) {
		t = G.lim.limit_bytes / 100 * OOMPH_OOM_THRESHOLD_PCT;
		if (t < OOMPH_OOM_THRESHOLD_MIN)
			t = OOMPH_OOM_THRESHOLD_MIN;
	}
	G.oom_threshold = t;
	h->oom_threshold = h->oom_mode == OOMPH_OOM_OFF ? 0 : t;
	oom_rearm(0);
}

void tracker_on_failure(const char *call, size_t size, int err)
{
	if (!tracker_active())
		return;
	int saved = errno;
	struct oomph_state_header *h = G.h;
	uint64_t n = atomic_fetch_add_explicit(&h->failures_total, 1, memory_order_relaxed) + 1;
	struct oomph_state_failure *f = &h->failures[(n - 1) % OOMPH_FAILURES_CAP];
	atomic_store_explicit(&f->seq, 0, memory_order_relaxed);
	int deferred = 0;
	uint32_t node = capture_node(&deferred);
	f->size = size;
	f->time_ns = since_start();
	f->node = node;
	f->err = err;
	size_t pos = 0;
	put_str(f->call, sizeof(f->call), &pos, call);
	atomic_store_explicit(&f->seq, n, memory_order_release);
	if (deferred) {
		spin_lock(&G.sample_lock);
		defer_locked((uintptr_t)n, node, DEFER_FAILURE, deferred);
		spin_unlock(&G.sample_lock);
	}
	/* The picture at the first failure, refreshed at most once a second
	 * (a program that catches MemoryError in a loop must not pay a copy of
	 * live[] per attempt). */
	uint64_t seq = atomic_load_explicit(&h->moment_seq, memory_order_acquire);
	if (!seq || h->moment_reason != OOMPH_MOMENT_FAILED_ALLOC ||
	    f->time_ns > h->moment_time_ns + 1000000000ull)
		take_moment(OOMPH_MOMENT_FAILED_ALLOC, -1);
	errno = saved;
}

/* SIGSEGV/SIGBUS: note the fault in the state, then let the death happen
 * as it would have: the displaced handler runs, or the default action. */
static struct sigaction fault_old[2];
static const int fault_signals[2] = {SIGSEGV, SIGBUS};

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	int k = sig == SIGBUS;
	struct oomph_state_header *h = G.h;
	uint32_t none = 0;
	if (h && tracker_active() &&
	    atomic_compare_exchange_strong(&h->fault_signal, &none, (uint32_t)sig)) {
		h->fault_code = si ? si->si_code : 0;
		h->fault_addr = si ? (uint64_t)(uintptr_t)si->si_addr : 0;
		h->fault_time_ns = since_start();
		h->fault_node = T.last_node;
	}
	const struct sigaction *old = &fault_old[k];
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		sigaction(sig, old, NULL);
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		sigaction(sig, old, NULL);
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	/* A real fault re-executes the instruction and dies of the default
	 * action; a sent signal must be raised again (it is blocked until we
	 * return). */
	if (!si || si->si_code <= 0)
		raise(sig);
}

/* SIGTERM, where the program left it at its default: note who sent it,
 * then die of it exactly as before (the default action, the same wait
 * status for the parent).  Hidden from sigaction() readers (hooks.c), so
 * the program still sees SIG_DFL; a handler it installs replaces ours. */
static void term_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	struct oomph_state_header *h = G.h;
	uint32_t none = 0;
	if (h && tracker_active() && h->pid == (int32_t)getpid() &&
	    atomic_compare_exchange_strong(&h->term_signal, &none, (uint32_t)sig)) {
		h->term_pid = si && si->si_code <= 0 && si->si_pid > 0 && si->si_pid <= (1 << 22)
				      ? (int32_t)si->si_pid
				      : 0;
		h->term_time_ns = since_start();
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	/* blocked until we return, then the default action ends the process */
	raise(sig);
}

static void term_install(void)
{
	struct sigaction old;
	if (sigaction(SIGTERM, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
	    old.sa_handler != SIG_DFL)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = term_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
}

void tracker_hide_handler(int sig, struct sigaction *old)
{
	if (sig == SIGTERM && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == term_handler) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;
	}
}

static void fault_install(void)
{
	/* An alternate stack for this (the main) thread, so that a stack
	 * overflow's SIGSEGV still reaches the handler. */
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
		size_t sz = 64 * 1024;
		void *mem = raw_alloc(sz);
		if (mem) {
			stack_t ss = {.ss_sp = mem, .ss_size = sz, .ss_flags = 0};
			sigaltstack(&ss, NULL);
		}
	}
	for (int k = 0; k < 2; k++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = fault_handler;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		sigaction(fault_signals[k], &sa, &fault_old[k]);
	}
}

/* ------------------------------------------------------ backing store ---
 *
 * The file is sparse and large; a page written through the mapping with no
 * room left on its filesystem (a full tmpfs or disk) would kill the program
 * with SIGBUS.  So each table's pages are reserved before use, a chunk ahead
 * (intern.h: strings_ok, frames_ok, nodes_ok), by populating them for
 * writing: the kernel allocates the pages or blocks, or says it cannot.
 * Node chunks cover live[], peak[], journal[] and moment[] too (indexed by
 * node).  Only a table crossing into a new chunk pays (under intern_lock).
 * Populated pages are resident: they count in the program's RSS, and a
 * chunk of 16384 entries in each of the nine node-indexed tables put 2.5 MiB
 * in the RSS of every profiled process, however small.  So a chunk is as
 * large as what the table has backed already (doubling), from a small first
 * one up to the largest. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define RESERVE_STRINGS_MIN (16u << 10) /* bytes */
#define RESERVE_STRINGS (256u << 10)
#define RESERVE_ENTRIES_MIN 1024u      /* frames or nodes */
#define RESERVE_ENTRIES 16384u

/* The next chunk: as large as what is backed, within [lo, hi]. */
static uint64_t reserve_chunk(uint64_t backed, uint64_t lo, uint64_t hi)
{
	return backed < lo ? lo : backed > hi ? hi : backed;
}

/* Back [off, off + len) of the file: 0 or -errno. */
static int populate(size_t off, size_t len)
{
	size_t lo = off & ~(size_t)(OOMPH_STATE_ALIGN - 1);
	size_t hi = align_up(off + len);
	if (hi > G.map_size)
		hi = G.map_size;
	if (hi <= lo)
		return 0;
	if (madvise(G.base + lo, hi - lo, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return errno == EFAULT ? -ENOSPC : -errno; /* EFAULT: it would SIGBUS */
	/* A kernel before 5.14: reserve through the file instead. */
	int fd = open(G.path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = syscall(SYS_fallocate, fd, 0, (off_t)lo, (off_t)(hi - lo)) == 0 ? 0 : -errno;
	close(fd);
	return rc == -EOPNOTSUPP ? 0 : rc; /* no way to ask: as before */
}

/* No room: no table takes a new entry from now on (a frame without its
 * file name, or a stack without its frame, would be worse than its nearest
 * recorded caller).  Every later append asks state_reserve, which refuses. */
static void nospace_locked(int table, int err)
{
	struct oomph_state_header *h = G.h;
	G.nospace = 1;
	G.in.strings_ok = 0;
	G.in.frames_ok = G.in.nodes_ok = 0;
	h->nospace_time_ns = since_start();
	h->nospace_err = err;
	h->nospace_table = (uint32_t)table;
	atomic_fetch_or_explicit(&h->overflow, OOMPH_OVERFLOW_NOSPACE, memory_order_release);
}

/* Back the entries [from, to) of one node-indexed or entry table. */
static int populate_entries(uint32_t from, uint32_t to, int table)
{
	struct oomph_state_header *h = G.h;
	size_t n = (size_t)(to - from);
	if (table == INTERN_FRAMES)
		return populate(h->frames_off + from * sizeof(struct oomph_state_frame),
				n * sizeof(struct oomph_state_frame));
	const size_t b = sizeof(struct oomph_state_bytes);
	int rc = populate(h->nodes_off + from * sizeof(struct oomph_state_node),
			  n * sizeof(struct oomph_state_node));
	if (!rc)
		rc = populate(h->live_off + from * b, n * b);
	if (!rc)
		rc = populate(h->peak_off + from * b, n * b);
	if (!rc)
		rc = populate(h->journal_off + from * sizeof(struct oomph_state_journal),
			      n * sizeof(struct oomph_state_journal));
	if (!rc)
		rc = populate(h->moment_off + from * b, n * b);
	if (!rc)
		rc = populate(h->jpeak_off + from * b, n * b);
	if (!rc)
		rc = populate(h->jgen_off + from * sizeof(uint32_t), n * sizeof(uint32_t));
	if (!rc)
		rc = populate(h->inherit_off + from * b, n * b);
	return rc;
}

/* intern.reserve: back the table up to `need` and a chunk beyond.  Called
 * under intern_lock (or alone, at init and in a fork child).  Keeps errno. */
static int state_reserve(struct intern *in, int table, uint64_t need)
{
	if (G.nospace)
		return -ENOSPC;
	struct oomph_state_header *h = G.h;
	int saved = errno, rc;
	if (table == INTERN_STRINGS) {
		uint64_t to = need + reserve_chunk(in->strings_ok, RESERVE_STRINGS_MIN, RESERVE_STRINGS);
		if (to > h->strings_cap)
			to = h->strings_cap;
		rc = populate(h->strings_off + in->strings_ok, to - in->strings_ok);
		if (!rc)
			in->strings_ok = to;
	} else {
		uint64_t cap = table == INTERN_FRAMES ? h->frames_cap : h->nodes_cap;
		uint32_t *ok = table == INTERN_FRAMES ? &in->frames_ok : &in->nodes_ok;
		uint64_t to = need + reserve_chunk(*ok, RESERVE_ENTRIES_MIN, RESERVE_ENTRIES);
		if (to > cap)
			to = cap;
		rc = populate_entries(*ok, (uint32_t)to, table);
		if (!rc)
			*ok = (uint32_t)to;
	}
	if (rc)
		nospace_locked(table, -rc);
	errno = saved;
	return rc;
}

/* ---------------------------------------------------------- the history ---
 *
 * See the top of this file and state/format.h "The history".  Everything
 * here runs under sample_lock. */
#define HIST_MIN_BAND (64 << 10)        /* bytes: the band is never narrower */
#define HIST_EVERY_NS 100000000ull      /* a point at least every 100 ms of samples */
#define HIST_RESERVE 1024u              /* entries backed at a time */

/* The half-width of the band around `c`: 1% of it, at least HIST_MIN_BAND. */
static int64_t hist_band(int64_t c)
{
	int64_t d = (c < 0 ? -c : c) / 100;
	return d > HIST_MIN_BAND ? d : HIST_MIN_BAND;
}

static void hist_set_band(int64_t lo, int64_t hi)
{
	atomic_store_explicit(&G.hist_lo, lo - hist_band(lo), memory_order_relaxed);
	atomic_store_explicit(&G.hist_hi, hi + hist_band(hi), memory_order_relaxed);
}

/* No more moments (all: also no more points, and the band opened wide so
 * that the hot path never comes here again). */
static void hist_stop(int all)
{
	if (!G.mom_off) {
		G.mom_off = 1;
		atomic_fetch_or_explicit(&G.h->hist_flags, OOMPH_HIST_F_STOPPED, memory_order_relaxed);
		G.h->hist_stopped_ns = since_start();
	}
	if (all) {
		G.hist_off = 1;
		atomic_store_explicit(&G.hist_lo, INT64_MIN, memory_order_relaxed);
		atomic_store_explicit(&G.hist_hi, INT64_MAX, memory_order_relaxed);
		atomic_store_explicit(&G.hist_next_ns, UINT64_MAX, memory_order_relaxed);
	}
}

/* Back entry `need` of a history table (and a chunk beyond): 0, or the
 * history stops (a full filesystem must not make a write a SIGBUS). */
static int hist_reserve(uint32_t *ok, uint32_t need, uint32_t cap, uint64_t off, size_t elem)
{
	if (need < *ok)
		return 0;
	uint32_t to = need + HIST_RESERVE < cap ? need + HIST_RESERVE : cap;
	if (G.nospace || populate(off + (size_t)*ok * elem, (size_t)(to - *ok) * elem) != 0) {
		hist_stop(1);
		return -1;
	}
	*ok = to;
	return 0;
}

/* Full points table: neighbours merged into the later one (its time and
 * value, the extremes of both); the points are spaced at least twice as
 * far from now on. */
static void hist_merge_points(void)
{
	struct oomph_state_header *h = G.h;
	uint32_t n = atomic_load_explicit(&h->hist_npoints, memory_order_relaxed), out = 0;
	uint64_t seq = atomic_load_explicit(&h->hist_pseq, memory_order_relaxed);
	atomic_store_explicit(&h->hist_pseq, seq | 1, memory_order_release);
	for (uint32_t i = 0; i < n; i += 2) {
		struct oomph_state_hist_point a = G.hp[i];
		if (i + 1 < n) {
			struct oomph_state_hist_point b = G.hp[i + 1];
			b.lo = a.lo < b.lo ? a.lo : b.lo;
			b.hi = a.hi > b.hi ? a.hi : b.hi;
			a = b;
		}
		G.hp[out++] = a;
	}
	atomic_store_explicit(&h->hist_npoints, out, memory_order_release);
	uint64_t span = n ? G.hp[out - 1].t_ns - G.hp[0].t_ns : 0;
	uint64_t step = h->hist_step_ns * 2;
	if (step < span / OOMPH_HIST_POINTS_CAP)
		step = span / OOMPH_HIST_POINTS_CAP;
	h->hist_step_ns = step > 1000000 ? step : 1000000;
	atomic_fetch_or_explicit(&h->hist_flags, OOMPH_HIST_F_COARSENED, memory_order_relaxed);
	atomic_store_explicit(&h->hist_pseq, (seq | 1) + 1, memory_order_release);
}

/* A change to nothing: in the first moment it says nothing (every stack
 * holds nothing before it), so merges into the first moment drop it. */
static int hist_zero(const struct oomph_state_hist_change *c)
{
	return !c->value.bytes && !c->value.exact;
}

/* Merging neighbours does not shrink the changes when the moments touch
 * different stacks (churn over millions of them).  Then the older half of
 * the moments is folded into the first: one picture of that time, each
 * stack holding something once with its last value (so at most the stacks
 * live then), the newer half kept as it is.  In place, front to back. */
static void hist_fold_moments(void)
{
	struct oomph_state_header *h = G.h;
	uint32_t nm = atomic_load_explicit(&h->hist_nmoments, memory_order_relaxed);
	uint32_t f = (nm + 1) / 2, w = 0;
	if (nm < 2 || !G.hlast)
		return;
	uint64_t seq = atomic_load_explicit(&h->hist_mseq, memory_order_relaxed);
	atomic_store_explicit(&h->hist_mseq, seq | 1, memory_order_release);
	uint32_t end = G.hm[f - 1].first + G.hm[f - 1].nchanges;
	for (uint32_t c = G.hm[0].first; c < end; c++)
		G.hlast[G.hc[c].node] = c + 1;
	for (uint32_t c = G.hm[0].first; c < end; c++) {
		struct oomph_state_hist_change ch = G.hc[c];
		if (G.hlast[ch.node] != c + 1)
			continue; /* a later change of it follows */
		G.hlast[ch.node] = 0;
		if (!hist_zero(&ch))
			G.hc[w++] = ch;
	}
	struct oomph_state_hist_moment first = G.hm[f - 1];
	first.first = 0;
	first.nchanges = w;
	G.hm[0] = first;
	uint32_t out = 1;
	for (uint32_t i = f; i < nm; i++) {
		struct oomph_state_hist_moment m = G.hm[i];
		uint32_t from = w;
		for (uint32_t c = 0; c < m.nchanges; c++)
			G.hc[w++] = G.hc[m.first + c];
		m.first = from;
		G.hm[out++] = m;
	}
	atomic_store_explicit(&h->hist_nchanges, w, memory_order_release);
	atomic_store_explicit(&h->hist_nmoments, out, memory_order_release);
	atomic_fetch_or_explicit(&h->hist_flags, OOMPH_HIST_F_COARSENED, memory_order_relaxed);
	atomic_store_explicit(&h->hist_mseq, (seq | 1) + 1, memory_order_release);
}

/* Full moments (or changes): neighbours merged, each stack once with its
 * later value.  Compacted in place, front to back: every write lands at or
 * below what is still to be read. */
static void hist_merge_moments(void)
{
	struct oomph_state_header *h = G.h;
	uint32_t nm = atomic_load_explicit(&h->hist_nmoments, memory_order_relaxed), out = 0, w = 0;
	uint64_t seq = atomic_load_explicit(&h->hist_mseq, memory_order_relaxed);
	atomic_store_explicit(&h->hist_mseq, seq | 1, memory_order_release);
	for (uint32_t i = 0; i < nm; i += 2) {
		struct oomph_state_hist_moment a = G.hm[i];
		uint32_t first = w;
		if (i + 1 < nm) {
			struct oomph_state_hist_moment b = G.hm[i + 1];
			if (++G.hstamp_gen == 0) { /* wrapped: start the stamps afresh */
				memset(G.hstamp, 0, (size_t)h->nodes_cap * sizeof(*G.hstamp));
				G.hstamp_gen = 1;
			}
			for (uint32_t c = 0; c < b.nchanges; c++)
				G.hstamp[G.hc[b.first + c].node] = G.hstamp_gen;
			for (uint32_t c = 0; c < a.nchanges; c++)
				if (G.hstamp[G.hc[a.first + c].node] != G.hstamp_gen &&
				    (out || !hist_zero(&G.hc[a.first + c])))
					G.hc[w++] = G.hc[a.first + c];
			for (uint32_t c = 0; c < b.nchanges; c++)
				if (out || !hist_zero(&G.hc[b.first + c]))
					G.hc[w++] = G.hc[b.first + c];
			a.t_ns = b.t_ns;
			a.bytes = b.bytes;
		} else {
			for (uint32_t c = 0; c < a.nchanges; c++)
				G.hc[w++] = G.hc[a.first + c];
		}
		a.first = first;
		a.nchanges = w - first;
		G.hm[out++] = a;
	}
	atomic_store_explicit(&h->hist_nchanges, w, memory_order_release);
	atomic_store_explicit(&h->hist_nmoments, out, memory_order_release);
	G.hist_every_ns *= 2;
	atomic_fetch_or_explicit(&h->hist_flags, OOMPH_HIST_F_COARSENED, memory_order_relaxed);
	atomic_store_explicit(&h->hist_mseq, (seq | 1) + 1, memory_order_release);
}

/* A moment now: the stacks whose live[] changed since the last one. */
static void hist_moment_locked(uint64_t now, int64_t c)
{
	struct oomph_state_header *h = G.h;
	uint32_t n = G.nhdirty;
	if (!n)
		return;
	uint32_t nm = atomic_load_explicit(&h->hist_nmoments, memory_order_relaxed);
	uint32_t nc = atomic_load_explicit(&h->hist_nchanges, memory_order_relaxed);
	while (!G.mom_off && nm > 1 &&
	       (nm >= OOMPH_HIST_MOMENTS_CAP || n > OOMPH_HIST_CHANGES_CAP - nc)) {
		uint32_t before = nc;
		hist_merge_moments();
		nm = atomic_load_explicit(&h->hist_nmoments, memory_order_relaxed);
		nc = atomic_load_explicit(&h->hist_nchanges, memory_order_relaxed);
		if (nm > 1 && nc > before - before / 4 && n > OOMPH_HIST_CHANGES_CAP - nc) {
			/* neighbours did not share their stacks: fold the older half */
			hist_fold_moments();
			nm = atomic_load_explicit(&h->hist_nmoments, memory_order_relaxed);
			nc = atomic_load_explicit(&h->hist_nchanges, memory_order_relaxed);
		}
	}
	if (!G.mom_off && (nm >= OOMPH_HIST_MOMENTS_CAP || n > OOMPH_HIST_CHANGES_CAP - nc))
		hist_stop(0); /* one moment's stacks fill the table: said in the state */
	if (!G.mom_off)
		(void)(hist_reserve(&G.hm_ok, nm, OOMPH_HIST_MOMENTS_CAP, h->hist_moments_off,
				    sizeof(*G.hm)) ||
		       hist_reserve(&G.hc_ok, nc + n - 1, OOMPH_HIST_CHANGES_CAP,
				    h->hist_changes_off, sizeof(*G.hc)));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t node = G.hdirty_list[i];
		G.dirty_flag[node] &= (uint8_t)~DIRTY_HIST;
		if (!G.mom_off)
			G.hc[nc + i] = (struct oomph_state_hist_change){node, 0, G.live[node]};
	}
	G.nhdirty = 0;
	if (G.mom_off)
		return;
	G.hm[nm] = (struct oomph_state_hist_moment){now, c, nc, n};
	atomic_store_explicit(&h->hist_nchanges, nc + n, memory_order_release);
	atomic_store_explicit(&h->hist_nmoments, nm + 1, memory_order_release);
}

/* A point of the total now (and a moment); `forced`: asked by time, not
 * by the band.  Within one step of the last point, the last point is
 * updated instead (its extremes kept), and the band set around the
 * total now. */
static void hist_point_locked(int forced)
{
	struct oomph_state_header *h = G.h;
	if (G.hist_off)
		return;
	int64_t c = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
	if (!forced && c < atomic_load_explicit(&G.hist_hi, memory_order_relaxed) &&
	    c >= atomic_load_explicit(&G.hist_lo, memory_order_relaxed))
		return; /* another thread wrote it */
	uint64_t now = since_start();
	uint32_t n = atomic_load_explicit(&h->hist_npoints, memory_order_relaxed);
	uint64_t step = h->hist_step_ns ? h->hist_step_ns : 1;
	if (n && now < G.hp[n - 1].t_ns + step) {
		struct oomph_state_hist_point *p = &G.hp[n - 1];
		if (!forced) {
			uint64_t seq = atomic_load_explicit(&h->hist_pseq, memory_order_relaxed);
			atomic_store_explicit(&h->hist_pseq, seq | 1, memory_order_release);
			p->bytes = c;
			p->lo = c < p->lo ? c : p->lo;
			p->hi = c > p->hi ? c : p->hi;
			atomic_store_explicit(&h->hist_pseq, (seq | 1) + 1, memory_order_release);
			/* The band stays around the total now, not the step's
			 * extremes: a drop inside the step must still reach
			 * here (it is the valley before the next phase), and a
			 * smaller phase after it must still leave a point.  A
			 * program swinging across the band pays this slow path
			 * (no new point) once per swing, each swing an
			 * allocation or free of at least 64 KiB. */
			hist_set_band(c, c);
		}
		return;
	}
	if (n >= OOMPH_HIST_POINTS_CAP) {
		hist_merge_points();
		n = atomic_load_explicit(&h->hist_npoints, memory_order_relaxed);
	}
	if (hist_reserve(&G.hp_ok, n, OOMPH_HIST_POINTS_CAP, h->hist_points_off, sizeof(*G.hp)))
		return;
	G.hp[n] = (struct oomph_state_hist_point){now, c, c, c};
	atomic_store_explicit(&h->hist_npoints, n + 1, memory_order_release);
	hist_set_band(c, c);
	atomic_store_explicit(&G.hist_next_ns, now + G.hist_every_ns, memory_order_relaxed);
	hist_moment_locked(now, c);
}

/* The total left the band (called from the hot path: out of line). */
static __attribute__((noinline)) void hist_cross(int locked)
{
	if (!locked)
		spin_lock(&G.sample_lock);
	hist_point_locked(0);
	if (!locked)
		spin_unlock(&G.sample_lock);
}

/* A sample came hist_every_ns after the last point. */
static __attribute__((noinline)) void hist_tick(uint64_t now)
{
	spin_lock(&G.sample_lock);
	if (now >= atomic_load_explicit(&G.hist_next_ns, memory_order_relaxed)) {
		atomic_store_explicit(&G.hist_next_ns, now + G.hist_every_ns, memory_order_relaxed);
		hist_point_locked(1);
	}
	spin_unlock(&G.sample_lock);
}

/* A history afresh (tracker_init, a fork child): the first point is the
 * total now, at time 0. */
static void hist_start(void)
{
	struct oomph_state_header *h = G.h;
	G.hp = (struct oomph_state_hist_point *)(void *)(G.base + h->hist_points_off);
	G.hm = (struct oomph_state_hist_moment *)(void *)(G.base + h->hist_moments_off);
	G.hc = (struct oomph_state_hist_change *)(void *)(G.base + h->hist_changes_off);
	atomic_store_explicit(&h->hist_npoints, 0, memory_order_relaxed);
	atomic_store_explicit(&h->hist_nmoments, 0, memory_order_relaxed);
	atomic_store_explicit(&h->hist_nchanges, 0, memory_order_relaxed);
	atomic_store_explicit(&h->hist_flags, 0, memory_order_relaxed);
	atomic_store_explicit(&h->hist_pseq, 0, memory_order_relaxed);
	atomic_store_explicit(&h->hist_mseq, 0, memory_order_relaxed);
	h->hist_step_ns = 0;
	h->hist_stopped_ns = 0;
	G.hist_every_ns = HIST_EVERY_NS;
	G.hist_off = G.mom_off = 0;
	G.hp_ok = G.hm_ok = G.hc_ok = 0;
	for (uint32_t i = 0; i < G.nhdirty; i++)
		G.dirty_flag[G.hdirty_list[i]] &= (uint8_t)~DIRTY_HIST;
	G.nhdirty = 0;
	/* everything live now is this history's first moment */
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_relaxed);
	for (uint32_t i = 0; i < nn; i++)
		if (G.live[i].bytes || G.live[i].exact) {
			G.dirty_flag[i] |= DIRTY_HIST;
			G.hdirty_list[G.nhdirty++] = i;
		}
	atomic_store_explicit(&G.hist_hi, INT64_MIN, memory_order_relaxed);
	atomic_store_explicit(&G.hist_lo, INT64_MIN, memory_order_relaxed);
	if (G.hist_never) {
		/* OOMPH_HISTORY=off: stopped at time 0, before its first point
		 * (the reader still makes the peak and the end points) */
		hist_stop(1);
		return;
	}
	hist_point_locked(1);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Back everything the tables use or may use now (a fork child's new file). */
static int reserve_again(void)
{
	struct intern *in = &G.in;
	struct oomph_state_header *h = G.h;
	uint64_t ns = atomic_load_explicit(&h->strings_used, memory_order_relaxed);
	uint32_t nf = atomic_load_explicit(&h->frames_used, memory_order_relaxed);
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_relaxed);
	int rc = populate(0, align_up(sizeof(*h)));
	if (!rc)
		rc = populate(h->strings_off, max_u64(in->strings_ok, ns));
	if (!rc)
		rc = populate_entries(0, (uint32_t)max_u64(in->frames_ok, nf), INTERN_FRAMES);
	if (!rc)
		rc = populate_entries(0, (uint32_t)max_u64(in->nodes_ok, nn), INTERN_NODES);
	return rc;
}

/* Create <dir>/<pid>.oomph, or <pid>.<g>.oomph if this pid already has one
 * (an exec'd image).  Returns the fd or -errno. */
static int create_state_file(uint32_t *generation)
{
	unsigned long pid = (unsigned long)getpid();
	for (uint32_t g = 0; g < 1000; g++) {
		size_t pos = 0;
		char name[OOMPH_STATE_NAME_MAX];
		oomph_state_name(name, pid, g);
		put_str(G.path, sizeof(G.path), &pos, G.dir);
		put_str(G.path, sizeof(G.path), &pos, "/");
		put_str(G.path, sizeof(G.path), &pos, name);
		/* 0600: what a process held, its command line and stacks are its
		 * user's business (the directory is 0700 too) */
		int fd = open(G.path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*generation = g;
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static void layout(struct oomph_state_header *h)
{
	size_t off = align_up(sizeof(*h));
	h->strings_off = off;
	h->strings_cap = OOMPH_STRINGS_CAP;
	off = align_up(off + h->strings_cap);
	h->frames_off = off;
	h->frames_cap = OOMPH_FRAMES_CAP;
	off = align_up(off + h->frames_cap * sizeof(struct oomph_state_frame));
	h->nodes_off = off;
	h->nodes_cap = OOMPH_NODES_CAP;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_node));
	h->live_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_bytes));
	h->peak_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_bytes));
	h->journal_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_journal));
	h->moment_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_bytes));
	h->phases_off = off;
	h->phases_cap = OOMPH_PHASES_CAP;
	off = align_up(off + OOMPH_PHASES_CAP * sizeof(struct oomph_state_phase));
	h->pics_off = off;
	h->pics_cap = OOMPH_PHASE_PICS;
	off = align_up(off + OOMPH_PHASE_PICS * sizeof(struct oomph_state_phase_pic));
	h->hist_points_off = off;
	off = align_up(off + OOMPH_HIST_POINTS_CAP * sizeof(struct oomph_state_hist_point));
	h->hist_moments_off = off;
	off = align_up(off + OOMPH_HIST_MOMENTS_CAP * sizeof(struct oomph_state_hist_moment));
	h->hist_changes_off = off;
	off = align_up(off + OOMPH_HIST_CHANGES_CAP * sizeof(struct oomph_state_hist_change));
	h->jpeak_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_bytes));
	h->jgen_off = off;
	off = align_up(off + h->nodes_cap * sizeof(uint32_t));
	h->inherit_off = off;
	off = align_up(off + h->nodes_cap * sizeof(struct oomph_state_bytes));
	h->file_size = off;
}

static void read_cmdline(struct oomph_state_header *h)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, h->cmdline, sizeof(h->cmdline));
	close(fd);
	h->cmdline_len = n > 0 ? (uint32_t)n : 0;
}

static void set_identity(struct oomph_state_header *h, uint32_t generation)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	G.start_ns = coarse_ns();
	h->pid = (int32_t)getpid();
	h->ppid = (int32_t)getppid();
	h->generation = generation;
	h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	h->start_mono_ns = G.start_ns;
}

static void map_tables(void)
{
	struct oomph_state_header *h = G.h;
	G.live = (struct oomph_state_bytes *)(void *)(G.base + h->live_off);
	G.peak = (struct oomph_state_bytes *)(void *)(G.base + h->peak_off);
	G.journal = (struct oomph_state_journal *)(void *)(G.base + h->journal_off);
	G.moment = (struct oomph_state_bytes *)(void *)(G.base + h->moment_off);
	G.jpeak = (struct oomph_state_bytes *)(void *)(G.base + h->jpeak_off);
	G.jgen = (uint32_t *)(void *)(G.base + h->jgen_off);
	G.inherit = (struct oomph_state_bytes *)(void *)(G.base + h->inherit_off);
}

static void fork_copied_map(void);

/* ------------------------------------------------------------- the job --- */

static void job_none(void)
{
	G.job = NULL;
	atomic_store_explicit(&G.jcur, &G.jdummy, memory_order_relaxed);
	atomic_store_explicit(&G.jwatch, INT64_MAX, memory_order_relaxed);
}

/* Map the run's job file (made by the supervisor in the state directory),
 * if there is one and it is what it should be: a regular file of ours, of
 * this version.  Without it the process is profiled alone. */
static void job_join(void)
{
	job_none();
	char path[4096 + sizeof(OOMPH_JOB_FILE) + 2];
	size_t pos = 0;
	put_str(path, sizeof(path), &pos, G.dir);
	put_str(path, sizeof(path), &pos, "/" OOMPH_JOB_FILE);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	size_t need = sizeof(struct oomph_job_header);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (uint64_t)st.st_size < need) {
		close(fd);
		return;
	}
	long r = syscall(SYS_mmap, NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (r < 0 && r > -4096)
		return;
	struct oomph_job_header *jh = (struct oomph_job_header *)r;
	if (memcmp(jh->magic, OOMPH_JOB_MAGIC, 8) || jh->version != OOMPH_JOB_VERSION ||
	    jh->header_size != sizeof(*jh)) {
		syscall(SYS_munmap, jh, need);
		return;
	}
	atomic_fetch_add_explicit(&jh->joined, 1, memory_order_relaxed);
	G.job = jh;
	atomic_store_explicit(&G.h->job_base,
			      atomic_load_explicit(&G.h->cur_bytes, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&G.h->job_state, OOMPH_JOB_STATE_IN, memory_order_relaxed);
	G.h->job_join_gen = atomic_load_explicit(&jh->peak_gen, memory_order_relaxed);
	atomic_store_explicit(&G.jwatch, atomic_load_explicit(&jh->max_bytes, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&G.jcur, &jh->cur_bytes, memory_order_relaxed);
}

/* This image leaves the job (exit, exec): its part goes back out of the
 * job's total, and later changes (destructors after ours) go nowhere. */
static void job_leave(void)
{
	if (!G.job || atomic_load_explicit(&G.jcur, memory_order_relaxed) == &G.jdummy)
		return;
	atomic_store_explicit(&G.jcur, &G.jdummy, memory_order_relaxed);
	atomic_store_explicit(&G.jwatch, INT64_MAX, memory_order_relaxed);
	int64_t part = atomic_load_explicit(&G.h->cur_bytes, memory_order_relaxed) -
		       atomic_load_explicit(&G.h->job_base, memory_order_relaxed);
	atomic_fetch_sub_explicit(&G.job->cur_bytes, part, memory_order_relaxed);
	atomic_store_explicit(&G.h->job_leave_gen,
			      atomic_load_explicit(&G.job->peak_gen, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&G.h->job_state, OOMPH_JOB_STATE_LEFT, memory_order_release);
}

/* An exec that failed: the image goes on, and so does its part. */
static void job_rejoin(void)
{
	if (!G.job || atomic_load_explicit(&G.jcur, memory_order_relaxed) != &G.jdummy)
		return;
	int64_t part = atomic_load_explicit(&G.h->cur_bytes, memory_order_relaxed) -
		       atomic_load_explicit(&G.h->job_base, memory_order_relaxed);
	atomic_store_explicit(&G.h->job_state, OOMPH_JOB_STATE_IN, memory_order_relaxed);
	atomic_store_explicit(&G.h->job_leave_gen, 0, memory_order_relaxed);
	atomic_store_explicit(&G.jwatch,
			      atomic_load_explicit(&G.job->max_bytes, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&G.jcur, &G.job->cur_bytes, memory_order_relaxed);
	job_add(part);
}

int tracker_init(const struct tracker_config *cfg)
{
	if (tracker_active())
		return -EALREADY;
	memset(&G, 0, sizeof(G));
	job_none();
	size_t dl = strlen(cfg->state_dir);
	if (dl + 64 > sizeof(G.dir))
		return -ENAMETOOLONG;
	memcpy(G.dir, cfg->state_dir, dl + 1);
	G.rate = cfg->sample_rate ? cfg->sample_rate : OOMPH_DEFAULT_SAMPLE_RATE;
	G.rate_d = (double)G.rate;
	G.src = cfg->source;

	struct oomph_state_header tmp;
	memset(&tmp, 0, sizeof(tmp));
	layout(&tmp);
	limits_detect(cfg->limits_root ? cfg->limits_root : "", NULL, NULL, &G.lim);
	uint32_t generation;
	int fd = create_state_file(&generation);
	if (fd < 0)
		return fd;
	if (syscall(SYS_ftruncate, fd, (off_t)tmp.file_size) != 0) {
		int e = -errno;
		close(fd);
		unlink(G.path);
		return e;
	}
	long r = syscall(SYS_mmap, NULL, tmp.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r < 0 && r > -4096) {
		close(fd);
		unlink(G.path);
		return (int)r;
	}
	/* The mapping keeps the file; an open descriptor would only show up in
	 * the program's own fd listings (test_subprocess checks them). */
	close(fd);
	G.base = (char *)r;
	G.map_size = tmp.file_size;
	int back = populate(0, align_up(sizeof(tmp)));
	if (back) { /* not even room for the header: no tracking */
		syscall(SYS_munmap, G.base, G.map_size);
		unlink(G.path);
		return back;
	}
	G.h = (struct oomph_state_header *)(void *)G.base;
	struct oomph_state_header *h = G.h;
	memcpy(h, &tmp, sizeof(tmp));
	memcpy(h->magic, OOMPH_STATE_MAGIC, 8);
	h->version = OOMPH_STATE_VERSION;
	h->header_size = sizeof(*h);
	h->sample_rate = G.rate;
	h->flags = cfg->state_flags | (G.rate == 1 ? OOMPH_STATE_F_EXACT : 0);
	if (cfg->python_version) {
		size_t n = strlen(cfg->python_version);
		if (n >= sizeof(h->python_version))
			n = sizeof(h->python_version) - 1;
		memcpy(h->python_version, cfg->python_version, n);
	}
	set_identity(h, generation);
	read_cmdline(h);
	oom_setup(h, cfg);
	/* the empty string lives at offset 0 */
	atomic_store_explicit(&h->strings_used, 8, memory_order_relaxed);
	/* node 0: the root */
	char *nodes_base = G.base + h->nodes_off;
	struct oomph_state_node *root = (struct oomph_state_node *)(void *)nodes_base;
	root->parent = OOMPH_NODE_NONE;
	root->frame = OOMPH_NODE_NONE;
	atomic_store_explicit(&h->nodes_used, 1, memory_order_relaxed);
	map_tables();

	G.dirty_flag = raw_alloc(h->nodes_cap);
	G.dirty_list = raw_alloc(h->nodes_cap * sizeof(uint32_t));
	G.hdirty_list = raw_alloc(h->nodes_cap * sizeof(uint32_t));
	G.hstamp = raw_alloc(h->nodes_cap * sizeof(uint32_t));
	G.hlast = raw_alloc(h->nodes_cap * sizeof(uint32_t));
	if (!G.dirty_flag || !G.dirty_list || !G.hdirty_list || !G.hstamp ||
	    intern_init(&G.in, h) ||
	    addrtable_init(&G.at, 4096) || addrtable_init(&G.pools, 4096) ||
	    pthread_key_create(&G.cache_key, cache_destroy))
		return -ENOMEM;
	/* The first chunk of every table: node 0 (the root) and the synthetic
	 * stacks must always be backed, whatever happens later. */
	G.in.strings_ok = 0;
	G.in.frames_ok = G.in.nodes_ok = 0;
	G.in.reserve = state_reserve;
	back = state_reserve(&G.in, INTERN_STRINGS, 8);
	if (!back)
		back = state_reserve(&G.in, INTERN_FRAMES, 1);
	if (!back)
		back = state_reserve(&G.in, INTERN_NODES, 1);
	if (back) {
		syscall(SYS_munmap, G.base, G.map_size);
		unlink(G.path);
		return back;
	}
	G.pools.shift = 12; /* pools are page-aligned and mostly neighbours */

	static const char nostack[] = "[no Python stack]";
	static const char arenas[] = "[pymalloc arena space no line holds]";
	static const char omitted[] = "[outer frames omitted]";
	uint32_t s1 = intern_string(&G.in, nostack, sizeof(nostack) - 1);
	uint32_t f1 = intern_frame(&G.in, s1, 0, 0, OOMPH_FRAME_SYNTHETIC);
	G.nostack_node = intern_node(&G.in, 0, f1);
	uint32_t s3 = intern_string(&G.in, arenas, sizeof(arenas) - 1);
	G.arena_node = intern_node(&G.in, 0, intern_frame(&G.in, s3, 0, 0, OOMPH_FRAME_SYNTHETIC));
	uint32_t s2 = intern_string(&G.in, omitted, sizeof(omitted) - 1);
	G.truncated_frame = intern_frame(&G.in, s2, 0, 0, OOMPH_FRAME_TRUNCATED);

	shm_reset();
	fault_install();
	term_install();
	control_init(cfg);
	G.hist_never = cfg->history_off;
	hist_start();
	job_join();
	atomic_store_explicit(&h->ready, 1, memory_order_release);
	fork_copied_map();
	pthread_atfork(tracker_atfork_prepare, tracker_atfork_parent, tracker_atfork_child);
	__atomic_store_n(&tracker_on, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------------ fork --- */

/* A fork child copies its tables out of its parent's shared file
 * (tracker_atfork_child), and the parent goes on changing that file as soon
 * as fork returns: live[] copied after the parent moved or dropped a block
 * no longer matches the address table the child inherited at the fork (a
 * pool then credited back twice: a stack at -16 KiB, the child's state
 * rejected).  So the parent keeps its locks until the child says it has
 * copied, through one word in a page the two share (MAP_SHARED anonymous:
 * made at init, made again by each child for its own children).  A child
 * that never says so (fork failed, a child killed at once) is waited for
 * FORK_COPY_WAIT_NS at most. */
static _Atomic uint32_t *fork_copied;
#define FORK_COPY_WAIT_NS 1000000000LL

static void fork_copied_map(void)
{
	long r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	fork_copied = (r < 0 && r > -4096) ? NULL : (_Atomic uint32_t *)r;
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void tracker_atfork_prepare(void)
{
	if (!tracker_active())
		return;
	spin_lock(&G.sample_lock);
	spin_lock(&G.in.lock);
	if (fork_copied)
		atomic_store_explicit(fork_copied, 0, memory_order_release);
}

void tracker_atfork_parent(void)
{
	if (!tracker_active())
		return;
	if (fork_copied) {
		int64_t until = monotonic_ns() + FORK_COPY_WAIT_NS;
		while (!atomic_load_explicit(fork_copied, memory_order_acquire) &&
		       monotonic_ns() < until)
			sched_yield();
	}
	spin_unlock(&G.in.lock);
	spin_unlock(&G.sample_lock);
}

/* The child has its copy (or gave up on one): the parent may go on. */
static void fork_copy_done(void)
{
	if (!fork_copied)
		return;
	atomic_store_explicit(fork_copied, 1, memory_order_release);
	syscall(SYS_munmap, (void *)fork_copied, 4096);
	fork_copied_map();
}

static int copy_region(int fd, size_t off, size_t len)
{
	while (len) {
		ssize_t n = pwrite(fd, G.base + off, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child must not write into its parent's file: give it its own, a copy
 * of the parent's tables, mapped at the same address so every pointer held
 * by the tracker stays valid.  Runs before any other code in the child. */
void tracker_atfork_child(void)
{
	spin_reset(&G.in.lock);
	spin_reset(&G.sample_lock);
	if (!tracker_active())
		return;
	/* Out of the job until its base is known: dropping what it shares
	 * with its parent (below) is not the job's memory going down. */
	atomic_store_explicit(&G.jcur, &G.jdummy, memory_order_relaxed);
	atomic_store_explicit(&G.jwatch, INT64_MAX, memory_order_relaxed);
	struct oomph_state_header *h = G.h;
	uint32_t generation;
	int fd = create_state_file(&generation);
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_relaxed);
	uint32_t nf = atomic_load_explicit(&h->frames_used, memory_order_relaxed);
	uint64_t ns = atomic_load_explicit(&h->strings_used, memory_order_relaxed);
	if (fd < 0 || syscall(SYS_ftruncate, fd, (off_t)G.map_size) != 0 ||
	    copy_region(fd, 0, align_up(sizeof(*h))) || copy_region(fd, h->strings_off, ns) ||
	    copy_region(fd, h->frames_off, nf * sizeof(struct oomph_state_frame)) ||
	    copy_region(fd, h->nodes_off, nn * sizeof(struct oomph_state_node)) ||
	    copy_region(fd, h->live_off, nn * sizeof(struct oomph_state_bytes))) {
		/* No file of its own: stop tracking rather than corrupt the parent's. */
		__atomic_store_n(&tracker_on, 0, __ATOMIC_RELEASE);
		fork_copy_done();
		if (fd >= 0)
			close(fd);
		return;
	}
	fork_copy_done();
	long r = syscall(SYS_mmap, G.base, G.map_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	if (r < 0 && r > -4096) {
		__atomic_store_n(&tracker_on, 0, __ATOMIC_RELEASE);
		close(fd);
		return;
	}
	close(fd);
	if (reserve_again() != 0) {
		/* no room for its own copy: stop tracking (its file is useless) */
		__atomic_store_n(&tracker_on, 0, __ATOMIC_RELEASE);
		syscall(SYS_munmap, G.base, G.map_size);
		unlink(G.path);
		return;
	}
	G.forked = 1;
	/* What it drops now (the shared pages, its parent's segments) leaves
	 * its own total, not the job's (out of it since the top): there it is
	 * still its parent's.  The child is alone, nothing else adds. */
	spin_lock(&G.sample_lock);
	drop_shared_locked(); /* before its peak, like the segments below */
	spin_unlock(&G.sample_lock);
	shm_atfork_child(); /* before its peak: what the parent paid for is not its */
	/* The child's own life starts now: its peak is what it has now. */
	set_identity(h, generation);
	memcpy(G.peak, G.live, nn * sizeof(struct oomph_state_bytes));
	for (uint32_t i = 0; i < G.ndirty; i++)
		G.dirty_flag[G.dirty_list[i]] &= (uint8_t)~DIRTY_PEAK;
	G.ndirty = 0;
	int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
	/* What it inherited is in the job's total once, as its parent's; the
	 * child's part is what changes from now on, and freeing an inherited
	 * block is not its part going down. */
	mark_inherited();
	h->inherited_bytes = cur;
	atomic_store_explicit(&h->inherited_freed, 0, memory_order_relaxed);
	atomic_store_explicit(&h->job_base, cur, memory_order_relaxed);
	/* its stacks at its fork: its parent's, not its part at the job's peak */
	memcpy(G.inherit, G.live, nn * sizeof(struct oomph_state_bytes));
	atomic_store_explicit(&h->job_leave_gen, 0, memory_order_relaxed);
	if (G.job) {
		h->job_join_gen = atomic_load_explicit(&G.job->peak_gen, memory_order_relaxed);
		atomic_fetch_add_explicit(&G.job->joined, 1, memory_order_relaxed);
		atomic_store_explicit(&G.jwatch,
				      atomic_load_explicit(&G.job->max_bytes, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&G.jcur, &G.job->cur_bytes, memory_order_relaxed);
		atomic_store_explicit(&h->job_state, OOMPH_JOB_STATE_IN, memory_order_relaxed);
	} else {
		atomic_store_explicit(&h->job_state, OOMPH_JOB_STATE_NONE, memory_order_relaxed);
	}
	atomic_store_explicit(&h->max_bytes, cur, memory_order_relaxed);
	atomic_store_explicit(&G.watch, cur, memory_order_relaxed);
	atomic_store_explicit(&G.pending, 0, memory_order_relaxed);
	control_atfork_child();
	atomic_store_explicit(&h->max_time_ns, 0, memory_order_relaxed);
	h->peak_bytes = cur;
	h->peak_time_ns = 0;
	h->journal_count = 0;
	atomic_store_explicit(&h->peak_seq, 0, memory_order_relaxed);
	atomic_store_explicit(&h->peak_pending, 0, memory_order_relaxed);
	atomic_store_explicit(&h->n_sampled, 0, memory_order_relaxed);
	atomic_store_explicit(&h->end_state, OOMPH_END_RUNNING, memory_order_relaxed);
	h->end_time_ns = 0;
	h->max_rss_kib = 0;
	/* the parent's moment, failures and fault are the parent's */
	atomic_store_explicit(&h->moment_seq, 0, memory_order_relaxed);
	atomic_store_explicit(&h->stopped, 0, memory_order_relaxed);
	atomic_store_explicit(&h->failures_total, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < OOMPH_FAILURES_CAP; i++)
		atomic_store_explicit(&h->failures[i].seq, 0, memory_order_relaxed);
	atomic_store_explicit(&h->fault_signal, 0, memory_order_relaxed);
	atomic_store_explicit(&h->term_signal, 0, memory_order_relaxed);
	h->term_pid = 0;
	h->term_time_ns = 0;
	atomic_store_explicit(&h->exc_set, 0, memory_order_relaxed);
	memset(h->exc_type, 0, sizeof h->exc_type);
	memset(h->exc_message, 0, sizeof h->exc_message);
	atomic_store_explicit(&G.oom_busy, 0, memory_order_relaxed);
	oom_rearm(cur);
	hist_start(); /* its own history, from what it inherited */
}

/* ------------------------------------------------------------------ end --- */

/* This image's peak RSS in KiB: VmHWM, which exec resets with the new
 * address space (ru_maxrss does not: Linux keeps it across exec, so a
 * spawned child would report its parent's RSS at the fork).  0 unknown.
 * Only open/read/close on a stack buffer: runs inside the exit hooks. */
static uint64_t own_hwm_kib(void)
{
	char buf[4096];
	if (read_text_file("/proc/self/status", buf, sizeof buf) <= 0)
		return 0;
	static const char key[] = "\nVmHWM:";
	for (const char *s = buf; *s; s++) {
		if (*s != '\n' || strncmp(s, key, sizeof key - 1) != 0)
			continue;
		const char *d = s + sizeof key - 1;
		while (*d == ' ' || *d == '\t')
			d++;
		uint64_t v = 0;
		int digits = 0;
		for (; *d >= '0' && *d <= '9' && digits < 18; d++, digits++)
			v = v * 10 + (uint64_t)(*d - '0');
		return digits ? v : 0;
	}
	return 0;
}

static void mark_end(uint32_t state, int code)
{
	struct oomph_state_header *h = G.h;
	h->max_rss_kib = own_hwm_kib();
	h->exit_code = code;
	h->end_time_ns = since_start();
	atomic_store_explicit(&h->end_state, state, memory_order_release);
}

void tracker_on_exit(int code)
{
	if (!tracker_active() || G.h->pid != (int32_t)getpid())
		return;
	if (atomic_load_explicit(&G.h->end_state, memory_order_relaxed) == OOMPH_END_RUNNING)
		mark_end(OOMPH_END_EXITED, code);
	job_leave();
}

void tracker_on_exec(void)
{
	/* A vfork child shares our memory (and mapping): it must not mark us. */
	if (!tracker_active() || G.h->pid != (int32_t)getpid())
		return;
	job_leave(); /* the new image joins afresh */
	/* A fork child that execs at once (subprocess on 3.9 forks, then
	 * execs) would leave a copy of its parent's tables and a report that
	 * says nothing: drop its file.  "At once" is decided on the exact
	 * total, not on whether a sample fell: the few KiB CPython allocates
	 * between fork and exec (and a pymalloc arena) sometimes take one.
	 * (If the exec then fails, this process goes unprofiled.) */
	if (G.forked && atomic_load_explicit(&G.h->max_bytes, memory_order_relaxed) -
				G.h->inherited_bytes < TRACKER_EXEC_QUIET) {
		/* ended, for a supervisor that mapped it already: it must not
		 * go on reading it as this pid's */
		atomic_store_explicit(&G.h->end_state, OOMPH_END_EXEC, memory_order_release);
		unlink(G.path);
		return;
	}
	mark_end(OOMPH_END_EXEC, -1);
}

void tracker_on_exec_failed(void)
{
	if (!tracker_active() || G.h->pid != (int32_t)getpid())
		return;
	atomic_store_explicit(&G.h->end_state, OOMPH_END_RUNNING, memory_order_release);
	job_rejoin();
}

/* ------------------------------------------------ the exception --- */

/* A UTF-8 sequence's length from its lead byte, 0 for a byte that cannot
 * lead one (a continuation byte, an overlong 0xc0/0xc1, 0xf5 and above:
 * what the reader refuses, profile/reader.c text_ok). */
static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
}

/* Up to `cut` bytes of src (at most cap - 4: room for "..." and the NUL),
 * whole characters only (a broken sequence ends the text), control
 * characters made spaces, trailing spaces dropped, "..." after a cut.
 * line: only the first non-empty line.  Returns the length. */
static size_t exc_text(char *dst, size_t cap, const char *src, size_t len, size_t cut, int line)
{
	size_t i = 0, n = 0;
	int cutoff = 0;
	if (cut > cap - 4)
		cut = cap - 4;
	if (line)
		while (i < len && (src[i] == '\n' || src[i] == '\r' || src[i] == ' '))
			i++;
	while (i < len) {
		unsigned char c = (unsigned char)src[i];
		if (line && (c == '\n' || c == '\r'))
			break;
		size_t k = utf8_len(c);
		for (size_t j = 1; k && j < k; j++)
			if (i + j >= len || ((unsigned char)src[i + j] & 0xc0) != 0x80)
				k = 0;
		if (!k)
			break;
		if (n + k > cut) {
			cutoff = 1;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			dst[n] = ' ';
		else
			memcpy(dst + n, src + i, k);
		n += k;
		i += k;
	}
	while (n && dst[n - 1] == ' ')
		n--;
	if (cutoff) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = 0;
	return n;
}

void tracker_on_exception(const char *type, size_t tlen, const char *msg, size_t mlen)
{
	struct oomph_state_header *h = G.h;
	if (!tracker_active() || !h || h->pid != (int32_t)getpid() || !type ||
	    atomic_load_explicit(&h->exc_set, memory_order_relaxed))
		return;
	if (exc_text(h->exc_type, sizeof h->exc_type, type, tlen, sizeof h->exc_type - 4, 0) == 0)
		return; /* no name: nothing to say */
	exc_text(h->exc_message, sizeof h->exc_message, msg ? msg : "", msg ? mlen : 0,
		 OOMPH_EXC_MESSAGE_CUT, 1);
	atomic_store_explicit(&h->exc_set, 1, memory_order_release);
}

/* ------------------------------------------------- for control.c --- */

struct oomph_state_header *tracker_state(void)
{
	return G.h;
}

char *tracker_base(void)
{
	return G.base;
}

void tracker_lock(void)
{
	spin_lock(&G.sample_lock);
}

void tracker_unlock(void)
{
	spin_unlock(&G.sample_lock);
}

const struct oomph_state_bytes *tracker_live(void)
{
	return G.live;
}

uint64_t tracker_now_ns(void)
{
	return since_start();
}

int tracker_headroom(int64_t *limit, int64_t *headroom)
{
	int64_t usage;
	*limit = G.lim.limit_bytes > 0 ? G.lim.limit_bytes : 0;
	*headroom = -1;
	if (*limit > 0 && limits_usage(&G.lim, &usage) == 0)
		*headroom = *limit - usage;
	return 0;
}

uint32_t tracker_intern_string(const char *s, size_t len)
{
	T.guard++;
	spin_lock(&G.in.lock);
	uint32_t off = intern_string(&G.in, s, len);
	spin_unlock(&G.in.lock);
	T.guard--;
	return off;
}

int tracker_populate(size_t off, size_t len)
{
	if (G.nospace)
		return -ENOSPC;
	return populate(off, len);
}

/* ------------------------------------------------------ for shm.c --- */

uint32_t tracker_capture(int *deferred)
{
	return capture_node(deferred);
}

uint32_t tracker_shared_frame(const char *label, size_t len)
{
	T.guard++;
	spin_lock(&G.in.lock);
	uint32_t s = intern_string(&G.in, label, len);
	uint32_t f = intern_frame(&G.in, s, 0, 0, OOMPH_FRAME_SHARED);
	spin_unlock(&G.in.lock);
	T.guard--;
	return f;
}

uint32_t tracker_node_in(uint32_t parent, uint32_t frame)
{
	if (frame == UINT32_MAX)
		return parent; /* the frame table was full: the stack itself */
	T.guard++;
	spin_lock(&G.in.lock);
	uint32_t n = intern_node(&G.in, parent, frame);
	spin_unlock(&G.in.lock);
	T.guard--;
	return n;
}

/* The owner first, then the total, as in tracker_on_alloc. */
int64_t tracker_charge_exact_locked(uint32_t node, int64_t bytes)
{
	credit_locked(node, (uint64_t)bytes | W_EXACT, +1);
	int64_t cur = add_bytes_at(bytes, 1);
	atomic_fetch_add_explicit(&G.h->n_sampled, 1, memory_order_relaxed);
	atomic_store_explicit(&G.h->last_update_ns, since_start(), memory_order_relaxed);
	return cur;
}

/* The peak picture first (at the peak the bytes were held), as for a
 * piece of a mapping. */
void tracker_release_exact_locked(uint32_t node, int64_t bytes)
{
	peak_flush_locked();
	int64_t c = sub_bytes(bytes);
	credit_locked(node, (uint64_t)bytes | W_EXACT, -1);
	hist_down(c, 1);
}

void tracker_defer_segment_locked(uint32_t idx, uint32_t placeholder, int how)
{
	defer_locked((uintptr_t)idx, placeholder, DEFER_SEGMENT, how);
}

void tracker_oom_due(int64_t cur)
{
	oom_due(cur);
}
