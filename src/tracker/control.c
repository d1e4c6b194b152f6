/* tracker/control.c — phases, current numbers and snapshot requests (see
 * control.h and the phase records in state/format.h).
 *
 * What protects what
 *   - The open-phase stack C.open[0 .. control_open): changed only by
 *     oomph_phase_begin/end under the tracker's sample_lock; read under it
 *     by control_credit_locked/control_flush_locked, and lock-free by
 *     control_raise (which only CASes a phase's maximum, an atomic in its
 *     state record, and sets its pending flag).
 *   - Phase records and picture slots in the state: written under
 *     sample_lock (a record's `ver` seqlock guards readers in other
 *     processes).
 *   - Snapshot requests: C.snap_lock (a mutex: never taken in a hook or a
 *     signal handler) serialises this process's requests.
 *
 * A phase's pictures, like the peak picture (tracker.c): each open phase
 * keeps, for every stack touched since it began, the stack's live bytes at
 * that first touch (its start value) and at the phase's latest peak.  A
 * stack changed since the phase's last picture is on the phase's dirty
 * list; when the total raises the phase's maximum the phase is pending (live[]
 * is its peak picture) and the next decrease copies only its dirty stacks.
 * O(open phases) per sampled event, nothing at all when no phase is open;
 * the unsampled path pays only its usual compare (tracker.c's watch mark).
 */
#include "tracker/control.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "state/format.h"
#include "tracker/rawmem.h"
#include "tracker/tracker.h"

_Atomic uint32_t control_open;

struct ph_ent {
	uint32_t node;
	uint32_t dirty;
	int64_t start; /* live bytes of the node when the phase first saw it change */
	int64_t peak;  /* ... at the phase's latest peak */
};

struct ph_open {
	uint32_t id;
	struct oomph_state_phase *_Atomic rec;
	_Atomic uint32_t pending;
	uint32_t lost;
	uint32_t *slot;          /* per node: index + 1 into ent; nodes_cap entries */
	struct ph_ent *ent;
	uint32_t *dirty;         /* indexes into ent */
	uint32_t nent, ndirty, cap;
};

#define ENT_CAP0 1024u

struct hitem {
	uint32_t idx;
	uint32_t pad;
	int64_t g;
};


static struct {
	struct oomph_state_header *h;
	struct oomph_state_phase *recs;
	struct oomph_state_phase_pic *pics;
	uint32_t nodes_cap;
	struct ph_open open[OOMPH_PHASE_DEPTH];
	pthread_mutex_t snap_lock;
	struct hitem heap[OOMPH_PHASE_PIC_NODES]; /* scratch of pic_write (under sample_lock) */
} C = {.snap_lock = PTHREAD_MUTEX_INITIALIZER};

static int active(void)
{
	return tracker_active() && C.h;
}

static int32_t gettid_(void)
{
	return (int32_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------ the hot side --- */

void control_credit_locked(uint32_t node)
{
	uint32_t d = atomic_load_explicit(&control_open, memory_order_relaxed);
	if (node >= C.nodes_cap)
		return;
	int64_t before = tracker_live()[node].bytes;
	for (uint32_t i = 0; i < d; i++) {
		struct ph_open *o = &C.open[i];
		uint32_t s = o->slot[node];
		if (!s) {
			if (o->nent == o->cap) {
				/* grow: raw pages, never the hooked allocator */
				uint32_t cap = o->cap * 2;
				struct ph_ent *e = cap <= C.nodes_cap ? raw_alloc(cap * sizeof(*e)) : NULL;
				uint32_t *dl = e ? raw_alloc(cap * sizeof(*dl)) : NULL;
				if (!dl) {
					raw_free(e, cap * sizeof(*e));
					o->lost++;
					continue;
				}
				memcpy(e, o->ent, o->nent * sizeof(*e));
				memcpy(dl, o->dirty, o->ndirty * sizeof(*dl));
				raw_free(o->ent, o->cap * sizeof(*o->ent));
				raw_free(o->dirty, o->cap * sizeof(*o->dirty));
				o->ent = e;
				o->dirty = dl;
				o->cap = cap;
			}
			s = ++o->nent;
			o->slot[node] = s;
			o->ent[s - 1] = (struct ph_ent){node, 0, before, before};
		}
		struct ph_ent *e = &o->ent[s - 1];
		if (!e->dirty) {
			e->dirty = 1;
			o->dirty[o->ndirty++] = s - 1;
		}
	}
}

static void flush_one_locked(struct ph_open *o)
{
	const struct oomph_state_bytes *live = tracker_live();
	for (uint32_t k = 0; k < o->ndirty; k++) {
		struct ph_ent *e = &o->ent[o->dirty[k]];
		e->peak = live[e->node].bytes;
		e->dirty = 0;
	}
	o->ndirty = 0;
}

void control_flush_locked(void)
{
	uint32_t d = atomic_load_explicit(&control_open, memory_order_relaxed);
	for (uint32_t i = 0; i < d; i++)
		if (atomic_exchange_explicit(&C.open[i].pending, 0, memory_order_relaxed))
			flush_one_locked(&C.open[i]);
}

int control_raise(int64_t cur, uint64_t now_ns)
{
	int any = 0;
	uint32_t d = atomic_load_explicit(&control_open, memory_order_acquire);
	for (uint32_t i = 0; i < d && i < OOMPH_PHASE_DEPTH; i++) {
		struct ph_open *o = &C.open[i];
		struct oomph_state_phase *r = atomic_load_explicit(&o->rec, memory_order_acquire);
		if (!r)
			continue;
		int64_t m = atomic_load_explicit(&r->peak_bytes, memory_order_relaxed);
		while (cur > m) {
			if (atomic_compare_exchange_weak_explicit(&r->peak_bytes, &m, cur,
								  memory_order_relaxed,
								  memory_order_relaxed)) {
				atomic_store_explicit(&r->peak_ns, now_ns, memory_order_relaxed);
				atomic_store_explicit(&o->pending, 1, memory_order_relaxed);
				any = 1;
				break;
			}
		}
	}
	return any;
}

int64_t control_lowest_max(void)
{
	int64_t low = INT64_MAX;
	uint32_t d = atomic_load_explicit(&control_open, memory_order_acquire);
	for (uint32_t i = 0; i < d && i < OOMPH_PHASE_DEPTH; i++) {
		struct oomph_state_phase *r = atomic_load_explicit(&C.open[i].rec, memory_order_acquire);
		if (r) {
			int64_t m = atomic_load_explicit(&r->peak_bytes, memory_order_relaxed);
			if (m < low)
				low = m;
		}
	}
	return low;
}

/* ------------------------------------------------------ setup, fork --- */

static void on_snapshot_signal(int sig)
{
	(void)sig;
	struct oomph_state_header *h = C.h;
	if (h)
		atomic_fetch_add_explicit(&h->snap_signals, 1, memory_order_relaxed);
}

void control_hide_handler(int sig, struct sigaction *old)
{
	if (sig > 0 && !(old->sa_flags & SA_SIGINFO) && old->sa_handler == on_snapshot_signal) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;
	}
}

void control_init(const struct tracker_config *cfg)
{
	struct oomph_state_header *h = tracker_state();
	char *base = tracker_base();
	C.recs = (struct oomph_state_phase *)(void *)(base + h->phases_off);
	C.pics = (struct oomph_state_phase_pic *)(void *)(base + h->pics_off);
	C.nodes_cap = (uint32_t)h->nodes_cap;
	C.h = h;
	int sig = cfg->snapshot_signal;
	if (sig > 0 && sig < NSIG && sig != SIGSEGV && sig != SIGBUS && sig != SIGKILL &&
	    sig != SIGSTOP) {
		/* Only a signal the program left at its default: one it inherited
		 * ignored stays ignored, and a handler installed later by the
		 * program simply replaces ours. */
		struct sigaction old;
		if (sigaction(sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
		    old.sa_handler == SIG_DFL) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_snapshot_signal;
			sa.sa_flags = SA_RESTART;
			sigemptyset(&sa.sa_mask);
			if (sigaction(sig, &sa, NULL) == 0)
				h->snap_signal = sig;
		}
	}
}

void control_atfork_child(void)
{
	/* The child's state file has no phase records (they are not copied);
	 * its phases start afresh.  Its snapshot counters are its own. */
	for (uint32_t i = 0; i < OOMPH_PHASE_DEPTH; i++) {
		struct ph_open *o = &C.open[i];
		if (i < atomic_load_explicit(&control_open, memory_order_relaxed))
			for (uint32_t k = 0; k < o->nent; k++)
				o->slot[o->ent[k].node] = 0;
		o->nent = o->ndirty = 0;
		atomic_store_explicit(&o->rec, NULL, memory_order_relaxed);
		atomic_store_explicit(&o->pending, 0, memory_order_relaxed);
	}
	atomic_store_explicit(&control_open, 0, memory_order_relaxed);
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	memcpy(&C.snap_lock, &fresh, sizeof(fresh));
	struct oomph_state_header *h = C.h;
	if (!h)
		return;
	atomic_store_explicit(&h->phases_open, 0, memory_order_relaxed);
	atomic_store_explicit(&h->snap_signals, 0, memory_order_relaxed);
	atomic_store_explicit(&h->snap_asked, 0, memory_order_relaxed);
	atomic_store_explicit(&h->snap_done, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < OOMPH_SNAP_PATHS; i++)
		atomic_store_explicit(&h->snap_paths[i].n, 0, memory_order_relaxed);
}

/* ------------------------------------------------------------ phases --- */

static struct oomph_state_phase *rec_of(uint32_t id)
{
	return &C.recs[(id - 1) % OOMPH_PHASES_CAP];
}

static void rec_write_begin(struct oomph_state_phase *r)
{
	atomic_fetch_add_explicit(&r->ver, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void rec_write_end(struct oomph_state_phase *r)
{
	atomic_fetch_add_explicit(&r->ver, 1, memory_order_release);
}

/* A consistent copy of phase `id`'s record; 0, or -EINVAL if there is none. */
static int rec_read(uint32_t id, struct oomph_state_phase *out)
{
	if (!id || id > atomic_load_explicit(&C.h->phases_last, memory_order_acquire))
		return -EINVAL;
	const struct oomph_state_phase *r = rec_of(id);
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t v = atomic_load_explicit(&r->ver, memory_order_acquire);
		if (!(v & 1)) {
			memcpy(out, (const void *)r, sizeof(*out));
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&r->ver, memory_order_relaxed) == v)
				return out->id == id && out->state ? 0 : -EINVAL;
		}
		sched_yield();
	}
	return -EINVAL;
}

static int ensure_arrays(struct ph_open *o)
{
	if (!o->slot && !(o->slot = raw_alloc((size_t)C.nodes_cap * sizeof(uint32_t))))
		return -ENOMEM;
	if (!o->ent) {
		o->ent = raw_alloc(ENT_CAP0 * sizeof(*o->ent));
		o->dirty = o->ent ? raw_alloc(ENT_CAP0 * sizeof(*o->dirty)) : NULL;
		if (!o->dirty) {
			raw_free(o->ent, ENT_CAP0 * sizeof(*o->ent));
			o->ent = NULL;
			return -ENOMEM;
		}
		o->cap = ENT_CAP0;
	}
	return 0;
}

int oomph_phase_begin(const char *name)
{
	if (!active())
		return -ENOTCONN;
	if (!name)
		return -EINVAL;
	size_t n = strnlen(name, OOMPH_PHASE_NAME_MAX + 1);
	if (n > OOMPH_PHASE_NAME_MAX)
		return -ENAMETOOLONG;
	uint32_t name_off = tracker_intern_string(name, n);
	struct oomph_state_header *h = C.h;
	tracker_lock();
	uint32_t d = atomic_load_explicit(&control_open, memory_order_relaxed);
	if (d >= OOMPH_PHASE_DEPTH) {
		tracker_unlock();
		return -ENOSPC;
	}
	struct ph_open *o = &C.open[d];
	if (ensure_arrays(o)) {
		tracker_unlock();
		return -ENOMEM;
	}
	/* The next id whose record slot is not held by an open phase (an
	 * outer phase older than OOMPH_PHASES_CAP phases keeps its record). */
	uint32_t id = atomic_load_explicit(&h->phases_last, memory_order_relaxed);
	struct oomph_state_phase *r;
	do {
		if (++id > INT_MAX - 1) {
			tracker_unlock();
			return -ENOSPC;
		}
		r = rec_of(id);
	} while (atomic_load_explicit(&r->state, memory_order_relaxed) == OOMPH_PHASE_OPEN);
	if (tracker_populate((size_t)((char *)r - tracker_base()), sizeof(*r)) != 0) {
		tracker_unlock();
		return -ENOSPC; /* no room for its record in the state */
	}
	rec_write_begin(r);
	if (r->pic && r->pic <= OOMPH_PHASE_PICS &&
	    atomic_load_explicit(&C.pics[r->pic - 1].phase, memory_order_relaxed) == r->id)
		atomic_store_explicit(&C.pics[r->pic - 1].phase, 0, memory_order_release);
	int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
	r->id = id;
	r->parent = d ? C.open[d - 1].id : 0;
	r->depth = d;
	r->name = name_off;
	r->flags = 0;
	r->pic = 0;
	r->tid_begin = gettid_();
	r->tid_end = 0;
	r->start_ns = tracker_now_ns();
	r->end_ns = 0;
	atomic_store_explicit(&r->peak_ns, r->start_ns, memory_order_relaxed);
	r->start_bytes = cur;
	atomic_store_explicit(&r->peak_bytes, cur, memory_order_relaxed);
	r->end_bytes = 0;
	r->left_live_bytes = 0;
	atomic_store_explicit(&r->state, OOMPH_PHASE_OPEN, memory_order_relaxed);
	rec_write_end(r);
	atomic_store_explicit(&h->phases_last, id, memory_order_release);
	o->id = id;
	o->nent = o->ndirty = 0;
	o->lost = 0;
	atomic_store_explicit(&o->pending, 0, memory_order_relaxed);
	atomic_store_explicit(&o->rec, r, memory_order_release);
	atomic_store_explicit(&control_open, d + 1, memory_order_release);
	atomic_store_explicit(&h->phases_open, d + 1, memory_order_relaxed);
	tracker_phases_changed();
	tracker_unlock();
	return (int)id;
}

/* The growth of entry e: to the phase's peak (which 0) or to now (1). */
static int64_t growth(const struct ph_ent *e, int which)
{
	return which ? tracker_live()[e->node].bytes - e->start : e->peak - e->start;
}

/* Min-heap of hitems by g: restore the order below position k. */
static void hsift(struct hitem *hp, uint32_t n, uint32_t k)
{
	for (;;) {
		uint32_t c = 2 * k + 1;
		if (c >= n)
			return;
		if (c + 1 < n && hp[c + 1].g < hp[c].g)
			c++;
		if (hp[k].g <= hp[c].g)
			return;
		struct hitem t = hp[k];
		hp[k] = hp[c];
		hp[c] = t;
		k = c;
	}
}

/* The `max` entries of o with the largest positive growth into out[]
 * (largest first); the others' positive growth summed in *rest.  A binary
 * min-heap in C.heap: O(n log max), no allocation. */
static uint32_t select_top(const struct ph_open *o, int which, uint32_t max,
			   struct oomph_state_pic_entry *out, int64_t *rest)
{
	struct hitem *hp = C.heap;
	uint32_t n = 0;
	*rest = 0;
	if (max > OOMPH_PHASE_PIC_NODES)
		max = OOMPH_PHASE_PIC_NODES;
	for (uint32_t i = 0; i < o->nent && max; i++) {
		int64_t g = growth(&o->ent[i], which);
		if (g <= 0)
			continue;
		if (n < max) {
			uint32_t k = n++;
			hp[k] = (struct hitem){i, 0, g};
			while (k && hp[(k - 1) / 2].g > hp[k].g) { /* sift up */
				struct hitem t = hp[k];
				hp[k] = hp[(k - 1) / 2];
				hp[(k - 1) / 2] = t;
				k = (k - 1) / 2;
			}
		} else if (g <= hp[0].g) {
			*rest += g;
		} else {
			*rest += hp[0].g;
			hp[0] = (struct hitem){i, 0, g};
			hsift(hp, n, 0);
		}
	}
	uint32_t total = n;
	while (n) { /* the smallest goes last */
		out[n - 1] = (struct oomph_state_pic_entry){o->ent[hp[0].idx].node, 0, hp[0].g};
		hp[0] = hp[--n];
		hsift(hp, n, 0);
	}
	return total;
}

/* Keep the phase's pictures in the state if it is among the largest. */
static void pic_write(struct ph_open *o, struct oomph_state_phase *r, int64_t key)
{
	uint32_t best = UINT32_MAX;
	int64_t best_key = INT64_MAX;
	for (uint32_t j = 0; j < OOMPH_PHASE_PICS; j++) {
		struct oomph_state_phase_pic *p = &C.pics[j];
		uint32_t owner = atomic_load_explicit(&p->phase, memory_order_relaxed);
		if (!owner) {
			best = j;
			break;
		}
		if (p->key < best_key) {
			best_key = p->key;
			best = j;
		}
	}
	if (best == UINT32_MAX)
		return;
	struct oomph_state_phase_pic *p = &C.pics[best];
	if (tracker_populate((size_t)((char *)p - tracker_base()), sizeof(*p)) != 0)
		return; /* no room for pictures: numbers only */
	uint32_t owner = atomic_load_explicit(&p->phase, memory_order_relaxed);
	if (owner) {
		if (best_key > key)
			return; /* smaller than every phase kept: numbers only */
		struct oomph_state_phase *old = rec_of(owner);
		if (old->id == owner && old->pic == best + 1) {
			rec_write_begin(old);
			old->pic = 0;
			rec_write_end(old);
		}
	}
	atomic_store_explicit(&p->phase, 0, memory_order_release);
	p->npeak = select_top(o, 0, OOMPH_PHASE_PIC_NODES, p->peak, &p->peak_other);
	p->nleft = select_top(o, 1, OOMPH_PHASE_PIC_NODES, p->left, &p->left_other);
	p->key = key;
	atomic_store_explicit(&p->phase, r->id, memory_order_release);
	r->pic = best + 1;
}

/* End the innermost open phase (at depth d - 1).  Under sample_lock. */
static void close_locked(uint32_t d, uint32_t flags)
{
	struct oomph_state_header *h = C.h;
	struct ph_open *o = &C.open[d - 1];
	struct oomph_state_phase *r = atomic_load_explicit(&o->rec, memory_order_relaxed);
	/* out of the raise path first, then its last picture */
	atomic_store_explicit(&control_open, d - 1, memory_order_release);
	if (atomic_exchange_explicit(&o->pending, 0, memory_order_relaxed))
		flush_one_locked(o);
	int64_t left = 0;
	for (uint32_t k = 0; k < o->nent; k++) {
		int64_t g = growth(&o->ent[k], 1);
		if (g > 0)
			left += g;
	}
	rec_write_begin(r);
	r->end_ns = tracker_now_ns();
	if (r->end_ns < r->start_ns)
		r->end_ns = r->start_ns;
	r->end_bytes = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
	r->left_live_bytes = left;
	r->tid_end = gettid_();
	r->flags |= flags | (r->tid_end != r->tid_begin ? OOMPH_PHASE_F_OTHER_THREAD : 0) |
		    (o->lost ? OOMPH_PHASE_F_LOST_STACKS : 0);
	int64_t above = atomic_load_explicit(&r->peak_bytes, memory_order_relaxed) - r->start_bytes;
	pic_write(o, r, above > left ? above : left);
	atomic_store_explicit(&r->state, OOMPH_PHASE_CLOSED, memory_order_relaxed);
	rec_write_end(r);
	for (uint32_t k = 0; k < o->nent; k++)
		o->slot[o->ent[k].node] = 0;
	o->nent = o->ndirty = 0;
	atomic_store_explicit(&o->rec, NULL, memory_order_release);
	atomic_store_explicit(&h->phases_open, d - 1, memory_order_relaxed);
}

int oomph_phase_end(int id)
{
	if (!active())
		return -ENOTCONN;
	if (id <= 0)
		return -EINVAL;
	tracker_lock();
	uint32_t d = atomic_load_explicit(&control_open, memory_order_relaxed), at = d;
	for (uint32_t i = 0; i < d; i++)
		if (C.open[i].id == (uint32_t)id)
			at = i;
	if (at == d) {
		tracker_unlock();
		return -EINVAL;
	}
	for (uint32_t k = d; k > at; k--)
		close_locked(k, k - 1 > at ? OOMPH_PHASE_F_ENDED_BY_OUTER : 0);
	tracker_phases_changed();
	tracker_unlock();
	return 0;
}

int oomph_phase_info(int id, struct oomph_phase_info *out, size_t size)
{
	if (!active())
		return -ENOTCONN;
	if (!out || id <= 0)
		return -EINVAL;
	struct oomph_state_phase r;
	int rc = rec_read((uint32_t)id, &r);
	if (rc)
		return rc;
	int open = r.state == OOMPH_PHASE_OPEN;
	struct oomph_phase_info info;
	info.start_s = (double)r.start_ns / 1e9;
	info.end_s = open ? -1.0 : (double)r.end_ns / 1e9;
	info.start_bytes = r.start_bytes;
	info.peak_bytes = r.peak_bytes;
	info.peak_above_start_bytes = r.peak_bytes - r.start_bytes;
	info.left_live_bytes = open ? 0 : r.left_live_bytes;
	info.end_bytes = open ? atomic_load_explicit(&C.h->cur_bytes, memory_order_relaxed)
			      : r.end_bytes;
	memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
	return 0;
}

/* ------------------------------------------------------- top lines --- */

/* A file of the program's own, not of Python's: not under a lib/pythonX.Y
 * directory (the standard library of sys.prefix or sys.base_prefix), not in
 * site-packages or dist-packages, not frozen. */
static int own_file(const char *f)
{
	if (!f[0] || !strncmp(f, "<frozen", 7))
		return 0;
	if (strstr(f, "/site-packages/") || strstr(f, "/dist-packages/"))
		return 0;
	for (const char *p = f; (p = strstr(p, "/python3")) != NULL; p++) {
		/* .../lib/python3.11/ or .../lib64/python3/ */
		if (!(p - f >= 4 && !strncmp(p - 4, "/lib", 4)) &&
		    !(p - f >= 6 && !strncmp(p - 6, "/lib64", 6)))
			continue;
		const char *q = p + 8;
		if (*q == '.')
			for (q++; *q >= '0' && *q <= '9'; q++)
				;
		if (*q == '/')
			return 0;
	}
	return 1;
}

struct top_item {
	uint32_t frame;
	uint32_t pad;
	int64_t bytes;
};

static void sift(struct top_item *a, size_t n, size_t k, int by_bytes)
{
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			return;
#define LESS(x, y) (by_bytes ? (x).bytes > (y).bytes : (x).frame < (y).frame)
		if (c + 1 < n && LESS(a[c], a[c + 1]))
			c++;
		if (!LESS(a[k], a[c]))
			return;
#undef LESS
		struct top_item t = a[k];
		a[k] = a[c];
		a[c] = t;
		k = c;
	}
}

/* Heap sort: by frame ascending, or by bytes descending (no qsort: glibc's
 * may allocate). */
static void sort_items(struct top_item *a, size_t n, int by_bytes)
{
	for (size_t k = n / 2; k-- > 0;)
		sift(a, n, k, by_bytes);
	for (size_t m = n; m > 1; m--) {
		struct top_item t = a[0];
		a[0] = a[m - 1];
		a[m - 1] = t;
		sift(a, m - 1, 0, by_bytes);
	}
}

static const char *str_at(uint32_t off)
{
	struct oomph_state_header *h = C.h;
	uint64_t used = atomic_load_explicit(&h->strings_used, memory_order_acquire);
	if ((uint64_t)off + 5 > used)
		return "";
	return tracker_base() + h->strings_off + off + 4;
}

/* The frame a stack is shown by: its innermost frame of the program's own
 * code, else its innermost frame. */
static uint32_t shown_frame(uint32_t node)
{
	struct oomph_state_header *h = C.h;
	char *base = tracker_base();
	const struct oomph_state_node *nodes = (const void *)(base + h->nodes_off);
	const struct oomph_state_frame *frames = (const void *)(base + h->frames_off);
	uint32_t nn = atomic_load_explicit(&h->nodes_used, memory_order_acquire);
	uint32_t nf = atomic_load_explicit(&h->frames_used, memory_order_acquire);
	if (!node || node >= nn)
		return UINT32_MAX;
	uint32_t first = nodes[node].frame;
	for (uint32_t n = node, steps = 0; n && n < nn && steps < 4096; n = nodes[n].parent, steps++) {
		uint32_t f = nodes[n].frame;
		if (f < nf && frames[f].flags == OOMPH_FRAME_PYTHON && own_file(str_at(frames[f].file)))
			return f;
	}
	return first < nf ? first : UINT32_MAX;
}

static void put(char *buf, size_t len, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < len)
		buf[(*pos)++] = *s++;
	if (len)
		buf[*pos < len ? *pos : len - 1] = 0;
}

static void put_i64(char *buf, size_t len, size_t *pos, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[n++] = '-';
	char out[25];
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
	put(buf, len, pos, out);
}

int oomph_phase_top(int id, int which, int max, char *buf, size_t len)
{
	if (!active())
		return -ENOTCONN;
	if (id <= 0 || (which != 0 && which != 1) || !buf || !len)
		return -EINVAL;
	buf[0] = 0;
	if (max <= 0)
		return 0;
	/* The stacks and their growth, copied under the lock. */
	size_t cap = 0, n = 0;
	struct top_item *items = NULL;
	tracker_lock();
	uint32_t d = atomic_load_explicit(&control_open, memory_order_relaxed), at = d;
	for (uint32_t i = 0; i < d; i++)
		if (C.open[i].id == (uint32_t)id)
			at = i;
	int rc = 0;
	if (at < d) {
		struct ph_open *o = &C.open[at];
		if (!which && atomic_exchange_explicit(&o->pending, 0, memory_order_relaxed))
			flush_one_locked(o); /* live[] is its peak picture now */
		cap = o->nent ? o->nent : 1;
		items = raw_alloc(cap * sizeof(*items));
		for (uint32_t k = 0; items && k < o->nent; k++) {
			int64_t g = growth(&o->ent[k], which);
			if (g > 0)
				items[n++] = (struct top_item){o->ent[k].node, 0, g};
		}
	} else {
		const struct oomph_state_phase *r = rec_of((uint32_t)id);
		uint32_t slot = r->id == (uint32_t)id ? r->pic : 0;
		if (r->id != (uint32_t)id || !r->state)
			rc = -EINVAL;
		else if (!slot || slot > OOMPH_PHASE_PICS ||
			 atomic_load_explicit(&C.pics[slot - 1].phase, memory_order_relaxed) !=
				 (uint32_t)id)
			rc = -ENODATA;
		else {
			const struct oomph_state_phase_pic *p = &C.pics[slot - 1];
			uint32_t cnt = which ? p->nleft : p->npeak;
			const struct oomph_state_pic_entry *e = which ? p->left : p->peak;
			cap = cnt ? cnt : 1;
			items = raw_alloc(cap * sizeof(*items));
			for (uint32_t k = 0; items && k < cnt && k < OOMPH_PHASE_PIC_NODES; k++)
				items[n++] = (struct top_item){e[k].node, 0, e[k].bytes};
		}
	}
	tracker_unlock();
	if (rc)
		return rc;
	if (!items)
		return -ENOMEM;
	/* node -> the frame it is shown by, then the same frames together */
	for (size_t k = 0; k < n; k++)
		items[k].frame = shown_frame(items[k].frame);
	sort_items(items, n, 0);
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		if (m && items[m - 1].frame == items[k].frame)
			items[m - 1].bytes += items[k].bytes;
		else
			items[m++] = items[k];
	}
	sort_items(items, m, 1);
	struct oomph_state_header *h = C.h;
	const struct oomph_state_frame *frames =
		(const void *)(tracker_base() + h->frames_off);
	uint32_t nf = atomic_load_explicit(&h->frames_used, memory_order_acquire);
	size_t pos = 0;
	for (size_t k = 0; k < m && k < (size_t)max; k++) {
		uint32_t f = items[k].frame;
		put_i64(buf, len, &pos, items[k].bytes);
		put(buf, len, &pos, "\t");
		if (f < nf) {
			put(buf, len, &pos, str_at(frames[f].file));
			put(buf, len, &pos, "\t");
			put_i64(buf, len, &pos, frames[f].flags == OOMPH_FRAME_PYTHON ? frames[f].line : 0);
			put(buf, len, &pos, "\t");
			put(buf, len, &pos, str_at(frames[f].func));
		} else {
			put(buf, len, &pos, "[unattributed]\t0\t");
		}
		put(buf, len, &pos, "\n");
	}
	raw_free(items, cap * sizeof(*items));
	return (int)pos;
}

/* ---------------------------------------------------- current, snap --- */

int oomph_api_version(void)
{
	return OOMPH_API_VERSION;
}

int oomph_active(void)
{
	return active() ? 1 : 0;
}

int oomph_get_current(struct oomph_current *out, size_t size)
{
	if (!active())
		return -ENOTCONN;
	if (!out)
		return -EINVAL;
	struct oomph_current c;
	c.tracked_bytes = atomic_load_explicit(&C.h->cur_bytes, memory_order_relaxed);
	c.peak_bytes = atomic_load_explicit(&C.h->max_bytes, memory_order_relaxed);
	tracker_headroom(&c.limit_bytes, &c.headroom_bytes);
	memcpy(out, &c, size < sizeof(c) ? size : sizeof(c));
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int oomph_snapshot(const char *dir, double timeout_s)
{
	if (!active())
		return -ENOTCONN;
	struct oomph_state_header *h = C.h;
	char path[OOMPH_SNAP_PATH_MAX];
	size_t pos = 0;
	path[0] = 0;
	if (dir && dir[0]) {
		if (dir[0] != '/') { /* the supervisor's working directory is not ours */
			if (!getcwd(path, sizeof(path) - 2))
				return -errno;
			pos = strlen(path);
			put(path, sizeof(path), &pos, "/");
		}
		size_t dl = strlen(dir);
		if (pos + dl + 1 > sizeof(path) - 256)
			return -ENAMETOOLONG;
		put(path, sizeof(path), &pos, dir);
	}
	pthread_mutex_lock(&C.snap_lock);
	memcpy(h->snap_dir, path, pos + 1);
	uint32_t req = atomic_fetch_add_explicit(&h->snap_asked, 1, memory_order_release) + 1;
	double deadline = mono_s() + (timeout_s > 0 ? timeout_s : 0);
	int rc;
	for (;;) {
		uint32_t done = atomic_load_explicit(&h->snap_done, memory_order_acquire);
		if ((int32_t)(done - req) >= 0) {
			rc = h->snap_result;
			break;
		}
		if (mono_s() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		struct timespec ts = {0, 2000000}; /* the supervisor looks every 100 ms */
		nanosleep(&ts, NULL);
	}
	pthread_mutex_unlock(&C.snap_lock);
	return rc;
}

int oomph_snapshot_path(int n, char *buf, size_t len)
{
	if (!active())
		return -ENOTCONN;
	if (n <= 0 || !buf || !len)
		return -EINVAL;
	struct oomph_state_header *h = C.h;
	for (uint32_t i = 0; i < OOMPH_SNAP_PATHS; i++) {
		const struct oomph_state_snap_path *sp = &h->snap_paths[i];
		if (atomic_load_explicit(&sp->n, memory_order_acquire) != (uint32_t)n)
			continue;
		size_t pos = 0;
		char tmp[sizeof(sp->path)];
		memcpy(tmp, sp->path, sizeof(tmp));
		tmp[sizeof(tmp) - 1] = 0;
		if (atomic_load_explicit(&sp->n, memory_order_acquire) != (uint32_t)n)
			continue;
		buf[0] = 0;
		put(buf, len, &pos, tmp);
		return (int)pos;
	}
	return -ENOENT;
}
