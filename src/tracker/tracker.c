/* tracker/tracker.c — exact totals, sampled attribution, the peak snapshot,
 * and the shared-state file (see tracker.h and state/format.h).
 *
 * What protects what
 *   - hdr->cur_bytes, hdr->max_bytes, hdr->peak_pending: atomics, no lock.
 *   - G.sample_lock: the address table's writers, the mmap ranges, live[],
 *     the dirty list, peak[] and the journal.  Held only for short sections
 *     that never call Python, never allocate through the hooks.
 *   - G.in.lock (intern_lock): the intern tables.  Taken after sample_lock if
 *     both are needed (only in atfork prepare).
 *   - Per-thread: T (TLS) and the lazily made stack cache TS.
 *
 * The peak picture ("dirty list"): live[n] holds the bytes charged to node n
 * now.  Every node whose live[] changed since the last snapshot is on the
 * dirty list.  When an allocation raises the exact maximum, peak_pending is
 * set: live[] *is* the peak picture.  The first free after that (a decrease
 * below a new maximum) copies only the dirty nodes into peak[], through the
 * redo journal, then clears the list: O(1) amortised per sampled event.
 */
#include "tracker/tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "state/format.h"
#include "tracker/addrtable.h"
#include "tracker/control.h"
#include "tracker/intern.h"
#include "tracker/ranges.h"
#include "tracker/rawmem.h"

#define MAX_DEPTH 1024

/* Weights carry a flag: recorded exactly (size >= rate) or estimated. */
#define W_EXACT (1ull << 63)
#define W_BYTES(w) ((int64_t)((w) & ~W_EXACT))
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
	int nospace;  /* a reservation failed: no more are tried (see state_reserve) */
} G;

/* ---------------------------------------------------------------- time --- */

static uint64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t since_start(void)
{
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


/* Charge (sign +1) or credit back (sign -1) a weight to a node. */
static inline void credit_locked(uint32_t node, uint64_t w, int sign)
{
	if (__builtin_expect(atomic_load_explicit(&control_open, memory_order_relaxed) != 0, 0))
		control_credit_locked(node);
	int64_t b = sign * W_BYTES(w);
	G.live[node].bytes += b;
	if (w & W_EXACT)
		G.live[node].exact += b;
	if (!G.dirty_flag[node]) {
		G.dirty_flag[node] = 1;
		G.dirty_list[G.ndirty++] = node;
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
		G.dirty_flag[node] = 0;
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

/* Raise the exact total; returns the new total (for oom_due).  With no
 * phase open the mark is the maximum itself: one load and one compare. */
static inline int64_t add_bytes(int64_t size)
{
	struct oomph_state_header *h = G.h;
	int64_t c = atomic_fetch_add_explicit(&h->cur_bytes, size, memory_order_relaxed) + size;
	if (__builtin_expect(c > atomic_load_explicit(&G.watch, memory_order_relaxed), 0))
		raise_max(c);
	return c;
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
	spin_lock(&G.sample_lock);
	for (uint32_t i = 0; i < n; i++) {
		struct deferred *d = &DEF[i];
		uint32_t target = d->use_pend ? pend_node : node;
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

static void count_sample(void)
{
	atomic_fetch_add_explicit(&G.h->n_sampled, 1, memory_order_relaxed);
	atomic_store_explicit(&G.h->last_update_ns, since_start(), memory_order_relaxed);
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
	int charged = (!pool || (r && r->arena)) && charge_locked(p, node, weight, deferred, pool);
	spin_unlock(&G.sample_lock);
	if (pool)
		return charged; /* pools are not samples: keep their cost down */
	count_sample();
	return charged;
}

static void record_sample(void *p, uint64_t weight)
{
	(void)record_sample_in(p, weight, 0);
}

void tracker_on_alloc(void *p, size_t size)
{
	if (!tracker_active() || !p)
		return;
	/* Charge the stack before raising the total: a free in another thread
	 * that snapshots the peak in between must not see the bytes without
	 * their owner (it would lose a big allocation from the peak picture). */
	uint64_t w = sample_weight(size);
	if (__builtin_expect(w != 0, 0))
		record_sample(p, w);
	oom_due(add_bytes((int64_t)size));
}

static void forget_block(void *p)
{
	if (!addrtable_may_contain(&G.at, (uintptr_t)p))
		return;
	uint32_t node;
	uint64_t w;
	spin_lock(&G.sample_lock);
	if (addrtable_remove(&G.at, (uintptr_t)p, &node, &w))
		credit_locked(node, w, -1);
	spin_unlock(&G.sample_lock);
}

void tracker_on_free(void *p, size_t size)
{
	if (!tracker_active() || !p)
		return;
	before_decrease();
	atomic_fetch_sub_explicit(&G.h->cur_bytes, (int64_t)size, memory_order_relaxed);
	forget_block(p);
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
			atomic_fetch_sub_explicit(&G.h->cur_bytes, (int64_t)(oldsize - newsize),
						  memory_order_relaxed);
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
	spin_lock(&G.sample_lock);
	peak_flush_locked();
	if (t->found)
		credit_locked(t->node, t->weight, -1);
	if (w)
		(void)charge_locked(newp, node, w, deferred, 0);
	if (newsize < oldsize) /* under the lock: no snapshot sees the swap half done */
		atomic_fetch_sub_explicit(&G.h->cur_bytes, (int64_t)(oldsize - newsize),
					  memory_order_relaxed);
	spin_unlock(&G.sample_lock);
	if (w)
		count_sample();
	if (newsize > oldsize) /* the new owner was charged first, as in tracker_on_alloc */
		oom_due(add_bytes((int64_t)(newsize - oldsize)));
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
			   uint64_t weight, uint32_t arena)
{
	(void)ctx;
	peak_flush_locked();
	atomic_fetch_sub_explicit(&G.h->cur_bytes, (int64_t)bytes, memory_order_relaxed);
	if (arena)
		drop_pools_locked(start, bytes);
	if (node != RANGE_UNSAMPLED)
		credit_locked(node, weight, -1);
}

void tracker_on_mmap(void *addr, size_t len)
{
	if (!tracker_active() || !len)
		return;
	len = (len + 4095) & ~(size_t)4095;
	atomic_fetch_add_explicit(&G.h->n_mmaps, 1, memory_order_relaxed);
	/* An arena of Python's small-object allocator is charged pool by pool
	 * (tracker_on_pool), not whole to whichever allocation needed it. */
	uint32_t arena = G.src && G.src->arena_here && G.src->arena_here() == len;
	uint64_t w = arena ? len | W_EXACT : sample_weight(len);
	int deferred = 0;
	uint32_t node = arena ? G.arena_node : w ? capture_node(&deferred) : RANGE_UNSAMPLED;
	spin_lock(&G.sample_lock);
	/* Remove what a MAP_FIXED mapping replaced before counting the new one,
	 * so the total never double-counts. */
	ranges_remove(&G.rg, (uintptr_t)addr, len, unmapped_piece, NULL);
	if (ranges_add(&G.rg, (uintptr_t)addr, len, node, w, arena, unmapped_piece, NULL) == 0 &&
	    w) {
		credit_locked(node, w, +1);
		if (deferred)
			defer_locked((uintptr_t)addr, node, 1, deferred);
	}
	int64_t cur = add_bytes((int64_t)len); /* after the owner is charged (tracker_on_alloc) */
	spin_unlock(&G.sample_lock);
	if (w) {
		atomic_fetch_add_explicit(&G.h->n_sampled, 1, memory_order_relaxed);
		atomic_store_explicit(&G.h->last_update_ns, since_start(), memory_order_relaxed);
	}
	oom_due(cur);
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
	if (addrtable_remove(&G.pools, a, &old, &ow)) {
		if (old != node || deferred) {
			peak_flush_locked(); /* at the peak it was old's */
			credit_locked(old, ow, -1);
			credit_locked(node, ow, +1);
			if (deferred)
				defer_locked(a, node, DEFER_POOL, deferred);
			old = node;
			moved = 1;
		}
		addrtable_insert(&G.pools, a, old, ow);
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

void tracker_on_mremap(void *oldaddr, size_t oldlen, void *newaddr, size_t newlen)
{
	tracker_on_munmap(oldaddr, oldlen);
	tracker_on_mmap(newaddr, newlen);
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
 * node).  Only a table crossing into a new chunk pays (under intern_lock). */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define RESERVE_STRINGS (256u << 10) /* bytes */
#define RESERVE_ENTRIES 16384u       /* frames or nodes */

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
	int rc = fallocate(fd, 0, (off_t)lo, (off_t)(hi - lo)) == 0 ? 0 : -errno;
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
		uint64_t to = need + RESERVE_STRINGS;
		if (to > h->strings_cap)
			to = h->strings_cap;
		rc = populate(h->strings_off + in->strings_ok, to - in->strings_ok);
		if (!rc)
			in->strings_ok = to;
	} else {
		uint64_t cap = table == INTERN_FRAMES ? h->frames_cap : h->nodes_cap;
		uint64_t to = need + RESERVE_ENTRIES;
		if (to > cap)
			to = cap;
		uint32_t *ok = table == INTERN_FRAMES ? &in->frames_ok : &in->nodes_ok;
		rc = populate_entries(*ok, (uint32_t)to, table);
		if (!rc)
			*ok = (uint32_t)to;
	}
	if (rc)
		nospace_locked(table, -rc);
	errno = saved;
	return rc;
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
	off = align_up(off + OOMPH_PHASES_CAP * sizeof(struct oomph_state_phase));
	h->pics_off = off;
	off = align_up(off + OOMPH_PHASE_PICS * sizeof(struct oomph_state_phase_pic));
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
}

int tracker_init(const struct tracker_config *cfg)
{
	if (tracker_active())
		return -EALREADY;
	memset(&G, 0, sizeof(G));
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
	if (ftruncate(fd, (off_t)tmp.file_size) != 0) {
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
	if (!G.dirty_flag || !G.dirty_list || intern_init(&G.in, h) ||
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

	fault_install();
	control_init(cfg);
	atomic_store_explicit(&h->ready, 1, memory_order_release);
	pthread_atfork(tracker_atfork_prepare, tracker_atfork_parent, tracker_atfork_child);
	__atomic_store_n(&tracker_on, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------------ fork --- */

void tracker_atfork_prepare(void)
{
	if (!tracker_active())
		return;
	spin_lock(&G.sample_lock);
	spin_lock(&G.in.lock);
}

void tracker_atfork_parent(void)
{
	if (!tracker_active())
		return;
	spin_unlock(&G.in.lock);
	spin_unlock(&G.sample_lock);
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
	struct oomph_state_header *h = G.h;
	uint32_t generation;
	int fd = create_state_file(&generation);
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_relaxed);
	uint32_t nf = atomic_load_explicit(&h->frames_used, memory_order_relaxed);
	uint64_t ns = atomic_load_explicit(&h->strings_used, memory_order_relaxed);
	if (fd < 0 || ftruncate(fd, (off_t)G.map_size) != 0 ||
	    copy_region(fd, 0, align_up(sizeof(*h))) || copy_region(fd, h->strings_off, ns) ||
	    copy_region(fd, h->frames_off, nf * sizeof(struct oomph_state_frame)) ||
	    copy_region(fd, h->nodes_off, nn * sizeof(struct oomph_state_node)) ||
	    copy_region(fd, h->live_off, nn * sizeof(struct oomph_state_bytes))) {
		/* No file of its own: stop tracking rather than corrupt the parent's. */
		__atomic_store_n(&tracker_on, 0, __ATOMIC_RELEASE);
		if (fd >= 0)
			close(fd);
		return;
	}
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
	/* The child's own life starts now: its peak is what it has now. */
	set_identity(h, generation);
	memcpy(G.peak, G.live, nn * sizeof(struct oomph_state_bytes));
	for (uint32_t i = 0; i < G.ndirty; i++)
		G.dirty_flag[G.dirty_list[i]] = 0;
	G.ndirty = 0;
	int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
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
	atomic_store_explicit(&G.oom_busy, 0, memory_order_relaxed);
	oom_rearm(cur);
}

/* ------------------------------------------------------------------ end --- */

static void mark_end(uint32_t state, int code)
{
	struct oomph_state_header *h = G.h;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		h->max_rss_kib = (uint64_t)ru.ru_maxrss;
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
}

void tracker_on_exec(void)
{
	/* A vfork child shares our memory (and mapping): it must not mark us. */
	if (!tracker_active() || G.h->pid != (int32_t)getpid())
		return;
	/* A fork child that execs before taking a single sample of its own
	 * (subprocess on 3.9 forks, then execs) would leave a copy of its
	 * parent's tables and a report that says nothing: drop its file.  (If
	 * the exec then fails, this process goes unprofiled.) */
	if (G.forked && atomic_load_explicit(&G.h->n_sampled, memory_order_relaxed) == 0) {
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
