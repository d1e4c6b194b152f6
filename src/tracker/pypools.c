/* tracker/pypools.c — see pypools.h.
 *
 * pymalloc maps arenas (1 MiB; 256 KiB in 3.9) and carves them into pools
 * (16 KiB; 4 KiB in 3.9), each holding blocks of one size class.  Charging
 * an arena to the allocation that happened to need it mixes every line that
 * allocates in the same loop, and charging a pool to the allocation that
 * opened it aliases with loops that allocate in a fixed order.  So a pool is
 * charged to a random one of its allocations: the one that brings the
 * pool's block count to k, drawn per size class in [2, blocks / 2] and drawn
 * again after each pool that changes hands (docs/architecture.md).
 *
 * The pool header (CPython's struct pool_header) is read at the pool's
 * aligned address; the first pools are checked against the size asked for,
 * and one disagreement turns the scheme off for good.  Only a block pymalloc
 * itself handed out is looked at: sizes 1-512, and not when the call went to
 * malloc (TRACKER_PY_CCALL): a realloc of a block pymalloc never had, or its
 * fallback when it could not get memory.  (Its own bookkeeping — the arenas'
 * table — also calls malloc, rarely: that allocation is just not looked at.)
 * Reading below a malloc block could fault: the page may not be mapped. */
#include "tracker/pypools.h"

#include <stdlib.h>
#include <string.h>

#include "state/format.h"
#include "tracker/pyapi.h"

/* CPython's struct pool_header (Objects/obmalloc.c, 3.9-3.13; 3.14+
 * Include/internal/pycore_obmalloc.h): the fields read here. */
struct pool_head {
	uint32_t count; /* union with a pointer in CPython: the low half */
	uint32_t pad;
	void *freeblock, *nextpool, *prevpool;
	uint32_t arenaindex, szidx, nextoffset, maxnextoffset;
};
#define SMALL_MAX 512u    /* SMALL_REQUEST_THRESHOLD */
#define SIZE_CLASS 16u    /* ALIGNMENT on 64-bit, 3.8+ */
#define POOL_CHECKS 64u
#define POOL_OVERHEAD 48u /* the header, rounded to ALIGNMENT */

static PyMemAllocatorEx orig_mem, orig_obj;
static int wrapped;

static uintptr_t pool_base;   /* ~(pool size - 1) once pools are watched */
static size_t small_max;      /* SMALL_MAX while pools are watched, else 0 */
static size_t arena_bytes;
static unsigned pool_checked;

/* The count at which the next pool of each size class is picked: drawn
 * again after every pick, at random in [2, blocks per pool / 2] (a pool
 * half full is picked; its owner is a random one of its allocations, so a
 * loop allocating in a fixed order cannot alias with the pool's size). */
static uint32_t pool_blocks[SMALL_MAX / SIZE_CLASS];
/* Indexed by the low byte of the header's size class (one load, no mask):
 * the classes beyond SMALL_MAX / SIZE_CLASS are never real, and are there
 * so that a header of another layout reads inside the array. */
static uint32_t pick_at[256];
static uint64_t pick_rng = 0x9e3779b97f4a7c15ull;

static void pick_draw(uint32_t idx)
{
	uint64_t x = pick_rng; /* under the GIL; a lost race only repeats a draw */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	pick_rng = x;
	uint32_t half = pool_blocks[idx] / 2 > 2 ? pool_blocks[idx] / 2 : 2;
	pick_at[idx] = 2 + (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) * (half - 1) >> 32);
}

/* The last pool event of this thread: objects made and dropped in a loop
 * can bring the same pool's count back to the picked value on every
 * iteration; one event is enough. */
static __thread uintptr_t last_pool __attribute__((tls_model("initial-exec")));

/* A pool's count just reached the picked value of its size class, read
 * from its header: p is the block just handed out, returned (so that the
 * wrapper's fast path keeps nothing on its stack). */
static __attribute__((noinline, cold)) void *pool_event(struct pool_head *pool, void *p)
{
	if ((uintptr_t)pool == last_pool || !small_max)
		return p;
	last_pool = (uintptr_t)pool;
	if (!tracker_active())
		return p;
	uint32_t idx = pool->szidx & (SMALL_MAX / SIZE_CLASS - 1);
	size_t ps = ~pool_base + 1, size = (idx + 1) * SIZE_CLASS;
	size_t off = (size_t)((uintptr_t)p - (uintptr_t)pool);
	if (pool_checked < POOL_CHECKS) {
		/* the size class said twice, and the block one of its blocks */
		if (pool->szidx != idx || pool->maxnextoffset != ps - size || off < POOL_OVERHEAD ||
		    (off - POOL_OVERHEAD) % size) {
			small_max = 0; /* not the layout we know: arenas charged whole */
			return p;
		}
		pool_checked++;
	}
	/* A new draw after each pool that changed hands: a pool whose count
	 * comes back to the value under the same owner changes nothing. */
	if (tracker_on_pool(pool, ps))
		pick_draw(idx);
	return p;
}

/* After every allocation that came from pymalloc's pools (the wrapper's
 * word came back to 0 with no flag: no call to malloc, which serves every
 * size pymalloc does not, and its fallback): one load of the pool's count,
 * a word pymalloc just wrote, one of its size class and one of the size
 * class's pick.  The size class comes from the header, not from the size
 * asked for, so the wrapper keeps nothing across its call. */
static inline void *pool_note(void *p)
{
	struct pool_head *pool = (struct pool_head *)((uintptr_t)p & pool_base);
	if (__builtin_expect(pool->count == pick_at[(uint8_t)pool->szidx], 0))
		return pool_event(pool, p);
	return p;
}

size_t pypools_arena_here(void)
{
	return small_max && pypools_inside() ? arena_bytes : 0;
}

/* The way out of a wrapper when the word is not 0 after the decrement:
 * resolve deferred samples (where the C API is as safe to call as for the
 * allocator's own caller) and look at the block's pool.  Nested calls,
 * calls into malloc and deferred samples all leave the word non-zero
 * (tracker.h).  pools: the block may be a new one of pymalloc's. */
static __attribute__((noinline, cold)) void *leave_slow(void *p, int pools)
{
	uint32_t s = tracker_py;
	if (s & TRACKER_PY_DEPTH)
		return p; /* nested: the outermost call looks at its own block */
	tracker_py = 0;
	if (s & TRACKER_PY_DEFERRED) {
		tracker_resolve_deferred();
		if (tracker_deferred) /* could not resolve now: next time */
			tracker_py |= TRACKER_PY_DEFERRED;
	}
	if (pools && !(s & TRACKER_PY_CCALL) && p)
		return pool_note(p);
	return p;
}

/* The common way out: one decrement and its test, then the pool's count
 * (pools: the block may be a new one of pymalloc's; 0 for a realloc that
 * kept its block, or when pools are not watched). */
static inline __attribute__((always_inline)) void *leave_pyalloc(void *p, int pools)
{
	if (__builtin_expect(--tracker_py != 0, 0))
		return leave_slow(p, pools);
	return pools ? pool_note(p) : p;
}

/* One set per domain, each calling its domain's original functions with
 * the original context: free needs no wrapper and stays as Python made it
 * (a direct call the interpreter's build may have inlined).  Two sets of
 * each: P looks at the pools, N (pools not watched: not plain pymalloc)
 * does not. */
#define WRAP_DOMAIN(D, orig, P, pools)                                         \
	static void *D##P##_malloc(void *ctx, size_t n)                        \
	{                                                                      \
		tracker_py++;                                                  \
		return leave_pyalloc(orig.malloc(ctx, n), pools);             \
	}                                                                      \
	static void *D##P##_calloc(void *ctx, size_t n, size_t m)              \
	{                                                                      \
		tracker_py++;                                                  \
		return leave_pyalloc(orig.calloc(ctx, n, m), pools);          \
	}                                                                      \
	/* the same block, grown in place, opened nothing */                   \
	static void *D##P##_realloc(void *ctx, void *p, size_t n)              \
	{                                                                      \
		tracker_py++;                                                  \
		void *q = orig.realloc(ctx, p, n);                             \
		return leave_pyalloc(q, pools && q != p);                      \
	}
WRAP_DOMAIN(w_mem, orig_mem, _p, 1)
WRAP_DOMAIN(w_obj, orig_obj, _p, 1)
WRAP_DOMAIN(w_mem, orig_mem, _n, 0)
WRAP_DOMAIN(w_obj, orig_obj, _n, 0)

int pypools_wrapped(void)
{
	return wrapped;
}

void pypools_wrap(void)
{
	const char *name = pyapi.AllocatorName ? pyapi.AllocatorName() : NULL;
	const char *env = getenv(OOMPH_ENV_POOLS);
	if (name && !strcmp(name, "pymalloc") && sizeof(void *) == 8 &&
	    !(env && !strcmp(env, "off"))) {
		size_t ps = pyapi.minor >= 10 ? 1u << 14 : 1u << 12;
		for (uint32_t i = 0; i < SMALL_MAX / SIZE_CLASS; i++) {
			pool_blocks[i] = (uint32_t)((ps - POOL_OVERHEAD) / ((i + 1) * SIZE_CLASS));
			pick_draw(i);
		}
		arena_bytes = pyapi.minor >= 10 ? 1u << 20 : 1u << 18;
		pool_base = ~(uintptr_t)(ps - 1);
		small_max = SMALL_MAX;
	}
	pyapi.Mem_GetAllocator(PYMEM_DOMAIN_MEM, &orig_mem);
	pyapi.Mem_GetAllocator(PYMEM_DOMAIN_OBJ, &orig_obj);
	int p = small_max != 0;
	PyMemAllocatorEx w = {orig_mem.ctx, p ? w_mem_p_malloc : w_mem_n_malloc,
			      p ? w_mem_p_calloc : w_mem_n_calloc,
			      p ? w_mem_p_realloc : w_mem_n_realloc, orig_mem.free};
	pyapi.Mem_SetAllocator(PYMEM_DOMAIN_MEM, &w);
	w = (PyMemAllocatorEx){orig_obj.ctx, p ? w_obj_p_malloc : w_obj_n_malloc,
			       p ? w_obj_p_calloc : w_obj_n_calloc,
			       p ? w_obj_p_realloc : w_obj_n_realloc, orig_obj.free};
	pyapi.Mem_SetAllocator(PYMEM_DOMAIN_OBJ, &w);
	wrapped = 1;
}
