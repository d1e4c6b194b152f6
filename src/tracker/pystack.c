/* tracker/pystack.c — see pystack.h.  PyObject is opaque here: we only ever
 * pass pointers back to the API, never look inside an object, which is what
 * keeps one binary valid across CPython versions. */
#include "tracker/pystack.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "state/format.h"

typedef void PyObj;

/* PyMemAllocatorEx and the domains, as in CPython's public pymem.h (stable
 * since 3.5). */
typedef struct {
	void *ctx;
	void *(*malloc)(void *ctx, size_t size);
	void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
	void *(*realloc)(void *ctx, void *ptr, size_t new_size);
	void (*free)(void *ctx, void *ptr);
} PyMemAllocatorEx;
enum { PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ };

/* While this thread is inside Python's own allocator (pymalloc: the depth
 * of tracker_py), an arena mmap seen there must not call the C API, which
 * would re-enter pymalloc half-way through making the arena. */
#define in_pyalloc (tracker_py & TRACKER_PY_DEPTH)
static PyMemAllocatorEx orig_mem, orig_obj;
static int wrapped;
/* Stacks taken with the GIL that are also read from memory and compared
 * (see raw_validate); OOMPH_RAW_CHECKS=N in tests compares more. */
static int raw_checks = 16;

static struct {
	int (*IsInitialized)(void);
	int (*IsFinalizing)(void);
	PyObj *(*ThisThreadState)(void); /* PyGILState_GetThisThreadState */
	PyObj *(*CurrentState)(void);    /* the thread state in use, unchecked */
	PyObj *(*Eval_GetFrame)(void);
	PyObj *(*Frame_GetBack)(PyObj *);
	PyObj *(*Frame_GetCode)(PyObj *);
	int (*Frame_GetLineNumber)(PyObj *);
	void (*IncRef)(PyObj *);
	void (*DecRef)(PyObj *);
	PyObj *(*Object_GetAttrString)(PyObj *, const char *);
	const char *(*Unicode_AsUTF8AndSize)(PyObj *, ssize_t *);
	void (*Err_Fetch)(PyObj **, PyObj **, PyObj **);
	void (*Err_Restore)(PyObj *, PyObj *, PyObj *);
	void (*Err_Clear)(void);
	int (*GC_Disable)(void);  /* 3.10+ */
	int (*GC_Enable)(void);
	const char *(*GetVersion)(void);
	void (*Mem_GetAllocator)(int, PyMemAllocatorEx *);
	void (*Mem_SetAllocator)(int, PyMemAllocatorEx *);
	int (*Code_Addr2Line)(PyObj *, int);
	const char *(*AllocatorName)(void); /* _PyMem_GetCurrentAllocatorName */
	PyObj *CodeType, *UnicodeType;  /* &PyCode_Type, &PyUnicode_Type */
	int has_qualname;         /* 3.11+: co_qualname names methods Class.meth */
	int minor;
	char version[32];
} py;

static void raw_choose(int minor);

#define RESOLVE(field, name) (*(void **)&py.field = dlsym(RTLD_DEFAULT, name))

int pystack_init(void)
{
	if (!RESOLVE(IsInitialized, "Py_IsInitialized") ||
	    !RESOLVE(ThisThreadState, "PyGILState_GetThisThreadState") ||
	    !RESOLVE(Eval_GetFrame, "PyEval_GetFrame") ||
	    !RESOLVE(Frame_GetBack, "PyFrame_GetBack") ||   /* 3.9+ */
	    !RESOLVE(Frame_GetCode, "PyFrame_GetCode") ||   /* 3.9+ */
	    !RESOLVE(Frame_GetLineNumber, "PyFrame_GetLineNumber") ||
	    !RESOLVE(IncRef, "Py_IncRef") || !RESOLVE(DecRef, "Py_DecRef") ||
	    !RESOLVE(Object_GetAttrString, "PyObject_GetAttrString") ||
	    !RESOLVE(Unicode_AsUTF8AndSize, "PyUnicode_AsUTF8AndSize") ||
	    !RESOLVE(Err_Fetch, "PyErr_Fetch") || !RESOLVE(Err_Restore, "PyErr_Restore") ||
	    !RESOLVE(Err_Clear, "PyErr_Clear") || !RESOLVE(GetVersion, "Py_GetVersion") ||
	    !RESOLVE(Mem_GetAllocator, "PyMem_GetAllocator") ||
	    !RESOLVE(Mem_SetAllocator, "PyMem_SetAllocator"))
		return 0;
	if (!RESOLVE(CurrentState, "PyThreadState_GetUnchecked") && /* 3.13 */
	    !RESOLVE(CurrentState, "_PyThreadState_UncheckedGet"))  /* 3.9-3.12 */
		return 0;
	if (!RESOLVE(IsFinalizing, "Py_IsFinalizing")) /* 3.13 */
		RESOLVE(IsFinalizing, "_Py_IsFinalizing"); /* 3.9-3.12 */
	RESOLVE(Code_Addr2Line, "PyCode_Addr2Line");
	RESOLVE(AllocatorName, "_PyMem_GetCurrentAllocatorName");
	py.CodeType = dlsym(RTLD_DEFAULT, "PyCode_Type");
	py.UnicodeType = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
	RESOLVE(GC_Disable, "PyGC_Disable");
	RESOLVE(GC_Enable, "PyGC_Enable");
	/* Py_GetVersion() is a static string ("3.11.7 (main, ...)"), safe before
	 * the interpreter starts. */
	const char *v = py.GetVersion();
	size_t n = 0;
	while (v && v[n] && v[n] != ' ' && n + 1 < sizeof(py.version)) {
		py.version[n] = v[n];
		n++;
	}
	py.version[n] = 0;
	int major = 0, minor = 0;
	const char *p = py.version;
	while (*p >= '0' && *p <= '9')
		major = major * 10 + (*p++ - '0');
	if (*p == '.')
		p++;
	while (*p >= '0' && *p <= '9')
		minor = minor * 10 + (*p++ - '0');
	if (major != 3 || minor < 9)
		return 0;
	const char *rc = getenv(OOMPH_ENV_RAW_CHECKS);
	if (rc && *rc >= '1' && *rc <= '9')
		raw_checks = (int)strtol(rc, NULL, 10);
	py.has_qualname = minor >= 11;
	py.minor = minor;
	raw_choose(minor);
	return 1;
}

const char *pystack_version(void)
{
	return py.version;
}

/* ---- pools: which line made the small objects -------------------------
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
 * The pool header (CPython's struct pool_header, unchanged 3.9-3.13) is read
 * at the pool's aligned address; the first pools are checked against the
 * size asked for, and one disagreement turns the scheme off for good.
 * Only a block pymalloc itself handed out is looked at: sizes 1-512, and not
 * when the call went to malloc (TRACKER_PY_CCALL): a realloc of a block
 * pymalloc never had, or its fallback when it could not get memory.  (Its
 * own bookkeeping — the arenas' table — also calls malloc, rarely: that
 * allocation is just not looked at.)  Reading below a malloc block could
 * fault: the page may not be mapped. */
struct pool_head {
	uint32_t count; /* union with a pointer in CPython: the low half */
	uint32_t pad;
	void *freeblock, *nextpool, *prevpool;
	uint32_t arenaindex, szidx, nextoffset, maxnextoffset;
};
#define SMALL_MAX 512u    /* SMALL_REQUEST_THRESHOLD */
#define SIZE_CLASS 16u    /* ALIGNMENT on 64-bit, 3.8+ */
#define POOL_CHECKS 64u

static uintptr_t pool_base;   /* ~(pool size - 1) once pools are watched */
static size_t small_max;      /* SMALL_MAX while pools are watched, else 0 */
static size_t arena_bytes;
static unsigned pool_checked;

/* The count at which the next pool of each size class is picked: drawn
 * again after every pick, at random in [2, blocks per pool / 2] (a pool
 * half full is picked; its owner is a random one of its allocations, so a
 * loop allocating in a fixed order cannot alias with the pool's size). */
static uint32_t pool_blocks[SMALL_MAX / SIZE_CLASS];
static uint32_t pick_at[SMALL_MAX / SIZE_CLASS];
static uint64_t pick_rng = 0x9e3779b97f4a7c15ull;
#define POOL_OVERHEAD 48u /* the header, rounded to ALIGNMENT */

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

/* A pool's count just reached the picked value. */
static __attribute__((noinline)) void pool_event(struct pool_head *pool, size_t n)
{
	uint32_t idx = (uint32_t)((n - 1) / SIZE_CLASS);
	if ((uintptr_t)pool == last_pool)
		return;
	last_pool = (uintptr_t)pool;
	if (!tracker_active())
		return;
	size_t ps = ~pool_base + 1;
	if (pool_checked < POOL_CHECKS) {
		if (pool->szidx != idx || pool->maxnextoffset != ps - (idx + 1) * SIZE_CLASS) {
			small_max = 0; /* not the layout we know: arenas are charged whole */
			return;
		}
		pool_checked++;
	}
	/* A new draw after each pool that changed hands: a pool whose count
	 * comes back to the value under the same owner changes nothing. */
	if (tracker_on_pool(pool, ps))
		pick_draw(idx);
}

/* After every small allocation that did not go to malloc: two compares,
 * one load of a word pymalloc just wrote, one of the size class's pick. */
static inline void pool_note(void *p, size_t n)
{
	if (n - 1 >= small_max || !p)
		return;
	struct pool_head *pool = (struct pool_head *)((uintptr_t)p & pool_base);
	if (__builtin_expect(pool->count == pick_at[(n - 1) / SIZE_CLASS], 0))
		pool_event(pool, n);
}

static size_t py_arena_here(void)
{
	return small_max && in_pyalloc ? arena_bytes : 0;
}

/* Wrappers around the MEM and OBJ domains: mark the thread as inside
 * Python's allocator, and on the way out resolve deferred samples (where
 * the C API is as safe to call as for the allocator's own caller) and look
 * at the block's pool.  The common way out is one decrement and one test:
 * nested calls, calls into malloc and deferred samples all leave the word
 * non-zero (tracker.h). */
static __attribute__((noinline)) void *leave_slow(void *p, size_t n, uint32_t s)
{
	if (s & TRACKER_PY_DEPTH)
		return p; /* nested: the outermost call looks at its own block */
	tracker_py = 0;
	if (s & TRACKER_PY_DEFERRED) {
		tracker_resolve_deferred();
		if (tracker_deferred) /* could not resolve now: next time */
			tracker_py |= TRACKER_PY_DEFERRED;
	}
	if (!(s & TRACKER_PY_CCALL))
		pool_note(p, n);
	return p;
}

/* n: the size to look at the block's pool for, 0 for none. */
static inline void *leave_pyalloc(void *p, size_t n)
{
	uint32_t s = --tracker_py;
	if (__builtin_expect(s != 0, 0))
		return leave_slow(p, n, s);
	pool_note(p, n);
	return p;
}

/* One set per domain, each calling its domain's original functions with
 * the original context: free needs no wrapper and stays as Python made it
 * (a direct call the interpreter's build may have inlined). */
#define WRAP_DOMAIN(D, orig)                                                   \
	static void *D##_malloc(void *ctx, size_t n)                           \
	{                                                                      \
		tracker_py++;                                                  \
		return leave_pyalloc(orig.malloc(ctx, n), n);                 \
	}                                                                      \
	static void *D##_calloc(void *ctx, size_t n, size_t m)                 \
	{                                                                      \
		size_t bytes;                                                  \
		if (__builtin_mul_overflow(n, m, &bytes))                      \
			bytes = 0;                                             \
		tracker_py++;                                                  \
		return leave_pyalloc(orig.calloc(ctx, n, m), bytes);          \
	}                                                                      \
	/* the same block, grown in place, opened nothing */                   \
	static void *D##_realloc(void *ctx, void *p, size_t n)                 \
	{                                                                      \
		tracker_py++;                                                  \
		void *q = orig.realloc(ctx, p, n);                             \
		return leave_pyalloc(q, q != p ? n : 0);                       \
	}
WRAP_DOMAIN(w_mem, orig_mem)
WRAP_DOMAIN(w_obj, orig_obj)

/* Wrap Python's allocator (allowed after initialisation for wrappers, as
 * tracemalloc does).  Called with the GIL held, from the first sample taken
 * after the interpreter started.  Pools are watched only under plain
 * pymalloc (not its debug hooks, PYTHONMALLOC=malloc or mimalloc). */
static void wrap_allocators(void)
{
	PyMemAllocatorEx w;
	const char *name = py.AllocatorName ? py.AllocatorName() : NULL;
	const char *env = getenv(OOMPH_ENV_POOLS);
	if (name && !strcmp(name, "pymalloc") && sizeof(void *) == 8 &&
	    !(env && !strcmp(env, "off"))) {
		size_t ps = py.minor >= 10 ? 1u << 14 : 1u << 12;
		for (uint32_t i = 0; i < SMALL_MAX / SIZE_CLASS; i++) {
			pool_blocks[i] = (uint32_t)((ps - POOL_OVERHEAD) / ((i + 1) * SIZE_CLASS));
			pick_draw(i);
		}
		arena_bytes = py.minor >= 10 ? 1u << 20 : 1u << 18;
		pool_base = ~(uintptr_t)(ps - 1);
		small_max = SMALL_MAX;
	}
	py.Mem_GetAllocator(PYMEM_DOMAIN_MEM, &orig_mem);
	py.Mem_GetAllocator(PYMEM_DOMAIN_OBJ, &orig_obj);
	w = (PyMemAllocatorEx){orig_mem.ctx, w_mem_malloc, w_mem_calloc, w_mem_realloc,
			       orig_mem.free};
	py.Mem_SetAllocator(PYMEM_DOMAIN_MEM, &w);
	w = (PyMemAllocatorEx){orig_obj.ctx, w_obj_malloc, w_obj_calloc, w_obj_realloc,
			       orig_obj.free};
	py.Mem_SetAllocator(PYMEM_DOMAIN_OBJ, &w);
	wrapped = 1;
}

/* ---- reading this thread's own frames without the GIL -------------------
 *
 * A thread that released the GIL (numpy zeroing a calloc'd array, zlib, I/O)
 * is running C code: its Python frames cannot change until it takes the GIL
 * back, so reading them is safe — but only by reading memory, because the C
 * API may allocate (3.11+ materialises frame objects).  The layouts below are
 * CPython's internal ones (offsets in bytes, from each version's headers).
 * They are checked against the public API's walk on the stacks taken with
 * the GIL; one disagreement turns them off for good, and such allocations go
 * back to the thread's last captured stack. */
struct raw_layout {
	int minor;
	size_t ts_frame;     /* thread state -> frame (3.9/3.10, 3.13) or cframe */
	int via_cframe;      /* 3.11/3.12: ts->cframe->current_frame */
	size_t cf_current;
	size_t f_code, f_prev, f_instr, f_owner; /* 3.11+: _PyInterpreterFrame */
	size_t code_units;   /* 3.11+: offsetof(PyCodeObject, co_code_adaptive) */
	size_t co_filename, co_name; /* co_name: co_qualname from 3.11 */
	size_t str_data;     /* sizeof(PyASCIIObject): compact ASCII data */
};

static const struct raw_layout layouts[] = {
	/* 3.9/3.10: ts->frame is a PyFrameObject: f_back 24, f_code 32 */
	{9, 24, 0, 0, 32, 24, 0, 0, 0, 104, 112, 48},
	{10, 24, 0, 0, 32, 24, 0, 0, 0, 104, 112, 48},
	{11, 56, 1, 8, 32, 48, 56, 69, 184, 112, 128, 48},
	{12, 56, 1, 0, 0, 8, 56, 70, 192, 112, 128, 40},
	{13, 72, 0, 0, 0, 8, 56, 70, 200, 112, 128, 40},
};

/* The table is CPython's own layout for each minor version (3.11.2 and
 * 3.11.7 agree, for one), so it is used from the start; every stack taken
 * with the GIL is also walked raw and compared (code object and line of
 * every frame) until 16 agreed, and a single disagreement turns raw walks
 * off for good. */
#define RAW_CHECKS 16 /* names compared */
static const struct raw_layout *raw;

static void raw_choose(int minor)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].minor == minor)
			raw = &layouts[i];
}
static int raw_agreed;   /* public and raw walks agreed this many times */
static int raw_off;      /* they disagreed once: never use raw walks */

static inline void *ptr_at(const void *base, size_t off)
{
	void *p;
	memcpy(&p, (const char *)base + off, sizeof(p));
	return p;
}

/* 3.11+: the innermost interpreter frame, and the first frame at or beyond
 * `f` that the C API would show: not an entry shim, not an incomplete frame
 * (pushed, its prologue not yet run: cells being made), which the C API's
 * walk skips too.  _co_firsttraceable is the int 16 bytes before the code. */
static const void *raw_top(const struct raw_layout *l, PyObj *ts)
{
	return l->via_cframe ? ptr_at(ptr_at(ts, l->ts_frame), l->cf_current)
			     : ptr_at(ts, l->ts_frame);
}

static const void *raw_visible(const struct raw_layout *l, const void *f)
{
	for (; f; f = ptr_at(f, l->f_prev)) {
		char owner = ((const char *)f)[l->f_owner];
		if (l->minor >= 12 && owner == 3)
			continue; /* FRAME_OWNED_BY_CSTACK: an entry shim, not code */
		const char *code = ptr_at(f, l->f_code);
		const char *instr = ptr_at(f, l->f_instr);
		int first;
		memcpy(&first, code + l->code_units - 16, sizeof(first));
		if (owner != 1 /* FRAME_OWNED_BY_GENERATOR */ &&
		    instr < code + l->code_units + 2 * (long)first)
			continue;
		return f;
	}
	return NULL;
}

static int raw_walk(PyObj *ts, struct stack_key *out, int max, int *flags)
{
	const struct raw_layout *l = raw;
	int n = 0;
	if (l->minor <= 10) {
		for (PyObj *f = ptr_at(ts, l->ts_frame); f; f = ptr_at(f, l->f_prev)) {
			if (n == max) {
				*flags |= STACK_TRUNCATED;
				break;
			}
			int line = py.Frame_GetLineNumber(f); /* pure computation here */
			out[n].code = ptr_at(f, l->f_code);
			out[n].line = line > 0 ? (uint32_t)line : 0;
			out[n].pad = 0;
			n++;
		}
		return n;
	}
	if (!py.Code_Addr2Line)
		return -1;
	for (const void *f = raw_visible(l, raw_top(l, ts)); f;
	     f = raw_visible(l, ptr_at(f, l->f_prev))) {
		if (n == max) {
			*flags |= STACK_TRUNCATED;
			break;
		}
		PyObj *code = ptr_at(f, l->f_code);
		const char *instr = ptr_at(f, l->f_instr);
		long addr = instr - ((const char *)code + l->code_units);
		int line = py.Code_Addr2Line(code, (int)addr);
		out[n].code = code;
		out[n].line = line > 0 ? (uint32_t)line : 0;
		out[n].pad = 0;
		n++;
	}
	return n;
}

/* ---- the last stack, by instruction ---------------------------------------
 *
 * Computing line numbers is most of a stack's cost (the line table is read
 * from the start of each function), and the same place allocates again and
 * again (a comprehension opening pool after pool).  3.11+, once the memory
 * walk has been validated: the (code, instruction) of every frame is read
 * from memory, and if all are what they were at this thread's last C API
 * walk, that walk's result is the answer.  Code objects of returned stacks
 * are kept alive by describe(), so an address cannot come back as another. */
#define MEMO_MAX 32  /* frames */
#define MEMO_WAYS 8  /* places remembered per thread (a line allocates from several) */
struct memo {
	int n; /* 0: empty */
	const void *ts;
	const void *code[MEMO_MAX], *instr[MEMO_MAX];
	struct stack_key keys[MEMO_MAX];
};
static __thread struct memo memo[MEMO_WAYS] __attribute__((tls_model("initial-exec")));
static __thread unsigned memo_next __attribute__((tls_model("initial-exec")));

/* (code, instruction) of each frame, innermost first; -1 if deeper than max. */
static int raw_signature(PyObj *ts, const void **code, const void **instr, int max)
{
	const struct raw_layout *l = raw;
	int n = 0;
	for (const void *f = raw_visible(l, raw_top(l, ts)); f;
	     f = raw_visible(l, ptr_at(f, l->f_prev))) {
		if (n == max)
			return -1;
		code[n] = ptr_at(f, l->f_code);
		instr[n] = ptr_at(f, l->f_instr);
		n++;
	}
	return n;
}

/* With the GIL: does the raw walk agree with the public one?  (Compared on
 * the innermost 64 frames; deep import stacks are common at start-up.)  The
 * raw walk may hold one or two more innermost frames: frames still being set
 * up, which the public API skips.  A wrong layout would not agree at all. */
static void raw_validate(PyObj *ts, const struct stack_key *pub, int npub)
{
	struct stack_key mine[66];
	int flags = 0;
	if (npub <= 0)
		return; /* nothing to compare with */
	int n = raw_walk(ts, mine, 66, &flags);
	int want = npub < 64 ? npub : 64;
	int same = 0;
	for (int k = 0; k <= 2 && !same; k++) {
		if (n - k < want)
			break;
		same = 1;
		for (int i = 0; same && i < want; i++)
			same = mine[i + k].code == pub[i].code && mine[i + k].line == pub[i].line;
	}
	if (same)
		raw_agreed++;
	else
		raw_off = 1;
}

/* Names read from memory: co_filename and co_qualname (co_name before
 * 3.11), when they are compact ASCII strings (nearly always), after checking
 * the objects' types.  Compared with the C API's names as they are made; a
 * disagreement turns this off for good. */
static int names_agreed, names_off;

static int ascii_copy(const void *obj, char *dst, size_t cap)
{
	if (!obj || ptr_at(obj, 8) != py.UnicodeType)
		return -1;
	unsigned char state = ((const unsigned char *)obj)[32];
	if ((state & 0x7c) != 0x64) /* kind 1, compact, ascii */
		return -1;
	ssize_t len;
	memcpy(&len, (const char *)obj + 16, sizeof(len));
	if (len < 0)
		return -1;
	size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	memcpy(dst, (const char *)obj + raw->str_data, n);
	dst[n] = 0;
	return 0;
}

static int raw_describe(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	if (!raw || !py.CodeType || !py.UnicodeType || ptr_at(code, 8) != py.CodeType)
		return -1;
	if (ascii_copy(ptr_at(code, raw->co_filename), file, fc) ||
	    ascii_copy(ptr_at(code, raw->co_name), func, nc))
		return -1;
	return 0;
}

static int py_describe_nogil(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	if (names_off || raw_off)
		return -1;
	return raw_describe(code, file, fc, func, nc);
}

static void names_validate(const void *code, const char *file, const char *func)
{
	char f[1024], n[512];
	if (names_agreed >= RAW_CHECKS || names_off)
		return;
	if (raw_describe(code, f, sizeof(f), n, sizeof(n)) < 0)
		return; /* not ASCII: nothing to compare */
	if (!strcmp(f, file) && !strcmp(n, func))
		names_agreed++;
	else
		names_off = 1;
}

static int py_capture(struct stack_key *out, int max, int *flags)
{
	if (in_pyalloc) {
		/* Inside pymalloc: the C API could re-enter it, reading memory
		 * cannot.  Without the raw walk, defer to the allocator's exit. */
		PyObj *mine = py.ThisThreadState();
		if (!mine || !raw || raw_off)
			return STACK_DEFER;
		*flags |= STACK_NOGIL;
		return raw_walk(mine, out, max, flags);
	}
	if (!py.IsInitialized())
		return -1;
	if (py.IsFinalizing && py.IsFinalizing())
		return -1;
	/* This thread holds the GIL, with its own main-interpreter thread state.
	 * (PyGILState_Check() is not enough: it answers 1 for every thread once
	 * a subinterpreter exists.)  3.9-3.11: the current state is the GIL
	 * holder's, whichever thread; 3.12+: this thread's, NULL when detached.
	 * Either way equality means "ours, attached".  Stacks inside
	 * subinterpreters are not taken. */
	PyObj *ts = py.CurrentState();
	PyObj *mine = py.ThisThreadState();
	if (!ts || ts != mine) {
		if (!mine || !raw || raw_off)
			return -1;
		*flags |= STACK_NOGIL;
		return raw_walk(mine, out, max, flags);
	}
	if (!wrapped) {
		/* We may be inside pymalloc right now, unmarked: no C API this
		 * time.  Read the stack from memory, or defer the sample to the
		 * thread's next allocation through Python's allocator. */
		wrap_allocators();
		if (!raw || raw_off)
			return STACK_DEFER;
		*flags |= STACK_NOGIL;
		return raw_walk(ts, out, max, flags);
	}
	const void *sc[MEMO_MAX], *si[MEMO_MAX];
	int sn = -1;
	if (raw && !raw_off && raw->minor >= 11 && raw_agreed >= raw_checks) {
		sn = raw_signature(ts, sc, si, MEMO_MAX);
		for (int w = 0; sn > 0 && sn <= max && w < MEMO_WAYS; w++) {
			struct memo *m = &memo[w];
			if (sn != m->n || m->ts != ts || si[0] != m->instr[0] ||
			    memcmp(sc, m->code, (size_t)sn * sizeof(sc[0])) ||
			    memcmp(si, m->instr, (size_t)sn * sizeof(si[0])))
				continue;
			memcpy(out, m->keys, (size_t)sn * sizeof(out[0]));
			return sn;
		}
	}
	int gc_was_on = py.GC_Disable ? py.GC_Disable() : 0;
	int n = 0;
	PyObj *f = py.Eval_GetFrame(); /* borrowed */
	if (f)
		py.IncRef(f);
	while (f) {
		if (n == max) {
			*flags |= STACK_TRUNCATED;
			py.DecRef(f);
			break;
		}
		PyObj *code = py.Frame_GetCode(f); /* new reference */
		int line = py.Frame_GetLineNumber(f);
		out[n].code = code;
		out[n].line = line > 0 ? (uint32_t)line : 0;
		out[n].pad = 0;
		n++;
		/* The frame keeps its code alive; describe() takes our own ref. */
		py.DecRef(code);
		PyObj *back = py.Frame_GetBack(f); /* new reference */
		py.DecRef(f);
		f = back;
	}
	if (gc_was_on && py.GC_Enable)
		py.GC_Enable();
	if (raw && !raw_off && raw_agreed < raw_checks && !(*flags & STACK_TRUNCATED))
		raw_validate(ts, out, n);
	if (sn > 0 && sn == n && !(*flags & STACK_TRUNCATED)) {
		int same = 1;
		for (int i = 0; same && i < n; i++)
			same = out[i].code == sc[i];
		if (same) {
			struct memo *m = &memo[memo_next++ % MEMO_WAYS];
			memcpy(m->code, sc, (size_t)n * sizeof(sc[0]));
			memcpy(m->instr, si, (size_t)n * sizeof(si[0]));
			memcpy(m->keys, out, (size_t)n * sizeof(out[0]));
			m->ts = ts;
			m->n = n;
		}
	}
	return n;
}

static void copy_str(PyObj *obj, char *dst, size_t cap)
{
	dst[0] = 0;
	if (!obj)
		return;
	ssize_t len = 0;
	const char *s = py.Unicode_AsUTF8AndSize(obj, &len);
	if (!s || len < 0)
		return;
	size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static int py_describe(const void *code, char *file, size_t filecap, char *func, size_t funccap)
{
	PyObj *et, *ev, *tb;
	PyObj *c = (PyObj *)(uintptr_t)code;
	py.Err_Fetch(&et, &ev, &tb);
	PyObj *fn = py.Object_GetAttrString(c, "co_filename");
	PyObj *nm = py.Object_GetAttrString(c, py.has_qualname ? "co_qualname" : "co_name");
	copy_str(fn, file, filecap);
	copy_str(nm, func, funccap);
	if (fn)
		py.DecRef(fn);
	if (nm)
		py.DecRef(nm);
	py.Err_Clear();
	py.Err_Restore(et, ev, tb);
	py.IncRef(c); /* interned by address: never let the address be reused */
	if (file[0])
		names_validate(code, file, func);
	return file[0] ? 0 : -1;
}

static const struct stack_source source = {py_capture, py_describe, py_describe_nogil,
					   py_arena_here};

const struct stack_source *pystack_source(void)
{
	return &source;
}
