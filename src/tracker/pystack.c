/* tracker/pystack.c — see pystack.h. */
#include "tracker/pystack.h"

#include <pthread.h>
#include <string.h>

#include "tracker/pyapi.h"
#include "tracker/pyframes.h"
#include "tracker/pypools.h"

int pystack_init(void)
{
	if (!pyapi_init())
		return 0;
	pyframes_init();
	pthread_atfork(NULL, NULL, linecache_atfork_child);
	return 1;
}

const char *pystack_version(void)
{
	return pyapi.version;
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

static int memo_find(const void *ts, const void **sc, const void **si, int sn,
		     struct stack_key *out, int max)
{
	for (int w = 0; sn > 0 && sn <= max && w < MEMO_WAYS; w++) {
		struct memo *m = &memo[w];
		if (sn != m->n || m->ts != ts || si[0] != m->instr[0] ||
		    memcmp(sc, m->code, (size_t)sn * sizeof(sc[0])) ||
		    memcmp(si, m->instr, (size_t)sn * sizeof(si[0])))
			continue;
		memcpy(out, m->keys, (size_t)sn * sizeof(out[0]));
		return sn;
	}
	return -1;
}

/* Remember a C API walk under its signature, if they are the same frames. */
static void memo_keep(const void *ts, const void **sc, const void **si,
		      const struct stack_key *keys, int n)
{
	for (int i = 0; i < n; i++)
		if (keys[i].code != sc[i])
			return;
	struct memo *m = &memo[memo_next++ % MEMO_WAYS];
	memcpy(m->code, sc, (size_t)n * sizeof(sc[0]));
	memcpy(m->instr, si, (size_t)n * sizeof(si[0]));
	memcpy(m->keys, keys, (size_t)n * sizeof(keys[0]));
	m->ts = ts;
	m->n = n;
}

/* Frames from memory, or `otherwise` when they cannot be read.  gil: this
 * thread holds the GIL all the same (inside pymalloc, or before the
 * allocator is wrapped), though it may not call the C API now. */
static int from_memory(const void *ts, struct stack_key *out, int max, int *flags, int otherwise,
		       int gil)
{
	if (!ts || !pyframes_usable())
		return otherwise;
	*flags |= STACK_NOGIL;
	return pyframes_walk(ts, out, max, flags, gil);
}

static int py_capture(struct stack_key *out, int max, int *flags)
{
	if (pypools_inside()) {
		/* Inside pymalloc: the C API could re-enter it, reading memory
		 * cannot.  Without the memory walk, defer to the allocator's
		 * exit. */
		PyObj *mine = pyapi.ThisThreadState();
		return from_memory(mine, out, max, flags, STACK_DEFER, mine == pyapi.CurrentState());
	}
	if (!pyapi_running())
		return -1;
	/* This thread holds the GIL, with its own main-interpreter thread state.
	 * (PyGILState_Check() is not enough: it answers 1 for every thread once
	 * a subinterpreter exists.)  3.9-3.11: the current state is the GIL
	 * holder's, whichever thread; 3.12+: this thread's, NULL when detached.
	 * Either way equality means "ours, attached".  Stacks inside
	 * subinterpreters are not taken. */
	PyObj *ts = pyapi.CurrentState();
	PyObj *mine = pyapi.ThisThreadState();
	if (!ts || ts != mine)
		return from_memory(mine, out, max, flags, -1, 0);
	if (!pypools_wrapped()) {
		/* We may be inside pymalloc right now, unmarked: no C API this
		 * time.  Read the stack from memory, or defer the sample to the
		 * thread's next allocation through Python's allocator. */
		pypools_wrap();
		return from_memory(ts, out, max, flags, STACK_DEFER, 1);
	}
	const void *sc[MEMO_MAX], *si[MEMO_MAX];
	int sn = -1;
	if (pyframes_trusted()) {
		sn = pyframes_signature(ts, sc, si, MEMO_MAX);
		int n = memo_find(ts, sc, si, sn, out, max);
		if (n >= 0)
			return n;
	}
	int n = pyapi_walk(out, max, flags);
	if (!(*flags & STACK_TRUNCATED)) {
		pyframes_check_walk(ts, out, n);
		if (sn > 0 && sn == n)
			memo_keep(ts, sc, si, out, n);
	}
	return n;
}

static int py_describe(const void *code, char *file, size_t filecap, char *func, size_t funccap)
{
	int rc = pyapi_describe(code, file, filecap, func, funccap);
	if (rc == 0)
		pyframes_check_names(code, file, func);
	return rc;
}

static const struct stack_source source = {py_capture, py_describe, pyframes_describe,
					   pypools_arena_here};

const struct stack_source *pystack_source(void)
{
	return &source;
}
