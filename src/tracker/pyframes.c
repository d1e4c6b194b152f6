/* tracker/pyframes.c — see pyframes.h. */
#include "tracker/pyframes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "state/format.h"
#include "tracker/pyapi.h"

/* CPython's own layouts before the debug offsets existed (3.9-3.12), from
 * each version's headers (Include/cpython/pystate.h, frameobject.h or
 * internal/pycore_frame.h, code.h, unicodeobject.h); patch releases of one
 * minor version agree.  FRAME_OWNED_BY_GENERATOR is 1 in all. */
static const struct pyframes_layout hand_made[] = {
	{
		.minor = 9, .ts_frame = 24, .frame_objects = 1,
		.frame_code = 32, .frame_previous = 24,
		.code_filename = 104, .code_name = 112,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 10, .ts_frame = 24, .frame_objects = 1,
		.frame_code = 32, .frame_previous = 24,
		.code_filename = 104, .code_name = 112,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 11, .ts_frame = 56, .via_cframe = 1, .cframe_current = 8,
		.frame_code = 32, .frame_previous = 48, .frame_instr = 56, .frame_owner = 69,
		.owner_generator = 1, .owner_not_code = 0x100, /* is_entry marks shims */
		.code_units = 184, .code_first_traceable = 184 - 16,
		.code_filename = 112, .code_name = 128,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 48,
	},
	{
		.minor = 12, .ts_frame = 56, .via_cframe = 1, .cframe_current = 0,
		.frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
		.owner_generator = 1, .owner_not_code = 3, /* FRAME_OWNED_BY_CSTACK */
		.code_units = 192, .code_first_traceable = 192 - 16,
		.code_filename = 112, .code_name = 128,
		.ob_type = 8, .str_length = 16, .str_state = 32, .str_data = 40,
	},
};

/* ---- _Py_DebugOffsets (3.13+) --------------------------------------------
 *
 * From 3.13 on, _PyRuntime starts with a table of the offsets of the fields
 * out-of-process debuggers read: "xdebugpy", PY_VERSION_HEX, a free-threaded
 * flag, then one section per structure, each a run of uint64_t: the
 * structure's size, then offsets.  The table's own layout is stable only
 * within a minor version, so each minor we know has its declaration here
 * (what we read by name, the rest counted), written from CPython's
 * Include/internal/pycore_runtime.h (3.13) and pycore_debug_offsets.h
 * (3.14, 3.15).  A newer minor is not guessed at: its frames are not read. */
struct dbg_head {
	char cookie[8];
	uint64_t version;       /* PY_VERSION_HEX: 0x030e0a00 for 3.14.10 final */
	uint64_t free_threaded;
};
struct dbg_thread_state {   /* 3.13, 3.14 */
	uint64_t size, prev, next, interp, current_frame;
	uint64_t thread_id, native_thread_id, datastack_chunk, status;
};
struct dbg_thread_state_315 {
	uint64_t size, prev, next, interp, current_frame;
	uint64_t base_frame, last_profiled_frame, last_profiled_frame_seq;
	uint64_t thread_id, native_thread_id, datastack_chunk, status;
	uint64_t holds_gil, gil_requested, current_exception, exc_state;
};
struct dbg_frame {          /* _PyInterpreterFrame, 3.13 */
	uint64_t size, previous, executable, instr_ptr, localsplus, owner;
};
struct dbg_frame_314 {      /* 3.14, 3.15 */
	uint64_t size, previous, executable, instr_ptr, localsplus, owner;
	uint64_t stackpointer, tlbc_index;
};
struct dbg_code {           /* PyCodeObject, 3.13 */
	uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
	uint64_t localsplusnames, localspluskinds, co_code_adaptive;
};
struct dbg_code_314 {       /* 3.14, 3.15 */
	uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
	uint64_t localsplusnames, localspluskinds, co_code_adaptive, co_tlbc;
};
struct dbg_pyobject {
	uint64_t size, ob_type;
};
struct dbg_unicode {        /* 3.13, 3.14; 3.15 adds compactunicodeobject_size */
	uint64_t size, state, length, asciiobject_size;
};

struct dbg_313 {
	struct dbg_head head;
	uint64_t runtime_state[3];
	uint64_t interpreter_state[13];
	struct dbg_thread_state thread_state;
	struct dbg_frame frame;
	struct dbg_code code;
	struct dbg_pyobject pyobject;
	uint64_t type_object[4], tuple_object[3], list_object[3], dict_object[3];
	uint64_t float_object[2], long_object[3], bytes_object[3];
	struct dbg_unicode unicode;
};
struct dbg_314 {
	struct dbg_head head;
	uint64_t runtime_state[3];
	uint64_t interpreter_state[16];
	struct dbg_thread_state thread_state;
	struct dbg_frame_314 frame;
	struct dbg_code_314 code;
	struct dbg_pyobject pyobject;
	uint64_t type_object[4], tuple_object[3], list_object[3], set_object[4];
	uint64_t dict_object[3], float_object[2], long_object[3], bytes_object[3];
	struct dbg_unicode unicode;
};
struct dbg_315 {
	struct dbg_head head;
	uint64_t runtime_state[3];
	uint64_t interpreter_state[16];
	struct dbg_thread_state_315 thread_state;
	uint64_t err_stackitem[1];
	struct dbg_frame_314 frame;
	struct dbg_code_314 code;
	struct dbg_pyobject pyobject;
	uint64_t type_object[6], heap_type_object[2], tuple_object[3], list_object[3];
	uint64_t set_object[4], dict_object[3], float_object[2], long_object[3];
	uint64_t bytes_object[3];
	struct dbg_unicode unicode;
};

/* What we take from any of them. */
struct dbg_view {
	uint64_t ts_size, ts_current_frame;
	uint64_t frame_size, frame_previous, frame_executable, frame_instr_ptr, frame_owner;
	uint64_t code_size, code_filename, code_qualname, code_units;
	uint64_t ob_size, ob_type;
	uint64_t str_size, str_state, str_length, str_ascii_size;
};

#define DBG_VIEW(v, t)                                                          \
	do {                                                                    \
		(v)->ts_size = (t)->thread_state.size;                          \
		(v)->ts_current_frame = (t)->thread_state.current_frame;        \
		(v)->frame_size = (t)->frame.size;                              \
		(v)->frame_previous = (t)->frame.previous;                      \
		(v)->frame_executable = (t)->frame.executable;                  \
		(v)->frame_instr_ptr = (t)->frame.instr_ptr;                    \
		(v)->frame_owner = (t)->frame.owner;                            \
		(v)->code_size = (t)->code.size;                                \
		(v)->code_filename = (t)->code.filename;                        \
		(v)->code_qualname = (t)->code.qualname;                        \
		(v)->code_units = (t)->code.co_code_adaptive;                   \
		(v)->ob_size = (t)->pyobject.size;                              \
		(v)->ob_type = (t)->pyobject.ob_type;                           \
		(v)->str_size = (t)->unicode.size;                              \
		(v)->str_state = (t)->unicode.state;                            \
		(v)->str_length = (t)->unicode.length;                          \
		(v)->str_ascii_size = (t)->unicode.asciiobject_size;            \
	} while (0)

/* A pointer-sized field at `off`, inside a structure of `size` bytes that
 * cannot be larger than `most`. */
static int dbg_field(uint64_t off, uint64_t size, uint64_t most)
{
	return size <= most && off % 8 == 0 && off + 8 <= size;
}

int pyframes_parse_debug_offsets(const void *table, size_t len, int minor,
				 struct pyframes_layout *out)
{
	static const char cookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};
	union {
		struct dbg_head head;
		struct dbg_313 v13;
		struct dbg_314 v14;
		struct dbg_315 v15;
	} t;
	struct dbg_view v;
	size_t need = minor == 13 ? sizeof(t.v13) : minor == 14 ? sizeof(t.v14)
		    : minor == 15 ? sizeof(t.v15) : 0;
	if (!need)
		return -ENOTSUP;
	if (len < sizeof(t.head))
		return -ERANGE;
	memcpy(&t.head, table, sizeof(t.head));
	if (memcmp(t.head.cookie, cookie, sizeof(cookie)))
		return -ENOENT;
	if ((t.head.version >> 24) != 3 || ((t.head.version >> 16) & 0xff) != (uint64_t)minor)
		return -EPROTO;
	if (t.head.free_threaded)
		return -ENOSYS;
	if (len < need)
		return -ERANGE;
	memcpy(&t, table, need);
	if (minor == 13)
		DBG_VIEW(&v, &t.v13);
	else if (minor == 14)
		DBG_VIEW(&v, &t.v14);
	else
		DBG_VIEW(&v, &t.v15);
	/* Every field we read is a pointer (or holds one) inside its structure,
	 * and the structures are of sane sizes: a table of another layout
	 * would not pass. */
	if (!dbg_field(v.ts_current_frame, v.ts_size, 1u << 16) ||
	    !dbg_field(v.frame_previous, v.frame_size, 1u << 12) ||
	    !dbg_field(v.frame_executable, v.frame_size, 1u << 12) ||
	    !dbg_field(v.frame_instr_ptr, v.frame_size, 1u << 12) ||
	    v.frame_owner >= v.frame_size ||
	    !dbg_field(v.code_filename, v.code_size, 1u << 12) ||
	    !dbg_field(v.code_qualname, v.code_size, 1u << 12) ||
	    v.code_units < v.code_qualname + 24 || v.code_units >= v.code_size ||
	    !dbg_field(v.ob_type, v.ob_size, 64) ||
	    v.str_ascii_size > v.str_size || v.str_size > 1u << 10 ||
	    !dbg_field(v.str_length, v.str_ascii_size, 1u << 10) ||
	    v.str_state >= v.str_ascii_size)
		return -ERANGE;
	*out = (struct pyframes_layout){
		.minor = minor,
		.ts_frame = v.ts_current_frame,
		.frame_code = v.frame_executable,
		.frame_previous = v.frame_previous,
		.frame_instr = v.frame_instr_ptr,
		.frame_owner = v.frame_owner,
		/* 3.14: f_executable is a _PyStackRef, its low bit a tag
		 * (Py_TAG_BITS 1); 3.15: two bits */
		.code_tag_mask = minor == 13 ? 0 : minor == 14 ? 1 : 3,
		.owner_generator = 1,
		/* 3.13: FRAME_OWNED_BY_CSTACK is 3; 3.14+: 3 and up are the
		 * interpreter's and the C stack's */
		.owner_not_code = 3,
		.code_units = v.code_units,
		/* int _co_firsttraceable, then void *co_extra, just before the
		 * instructions (not in the table; 3.13-3.15 agree) */
		.code_first_traceable = v.code_units - 16,
		.code_filename = v.code_filename,
		.code_name = v.code_qualname,
		.ob_type = v.ob_type,
		.str_length = v.str_length,
		.str_state = v.str_state,
		.str_data = v.str_ascii_size,
	};
	return 0;
}

/* Written once by pyframes_init (before other threads), read-only after. */
static const struct pyframes_layout *layout;
static struct pyframes_layout from_table; /* 3.13+ */
/* Stacks (and names) taken with the GIL that are also read from memory and
 * compared; OOMPH_RAW_CHECKS=N in tests compares more.  Read-only after
 * init. */
static int checks = 16;
#define NAME_CHECKS 16
/* Written by the GIL holder, read by any thread (pyframes.h). */
static int walks_agreed, walks_off;
static int names_agreed, names_off;

static inline int load(const int *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static inline void store(int *v, int x)
{
	__atomic_store_n(v, x, __ATOMIC_RELAXED);
}

int pyframes_init(void)
{
	const char *rc = getenv(OOMPH_ENV_RAW_CHECKS);
	if (rc && *rc >= '1' && *rc <= '9')
		checks = (int)strtol(rc, NULL, 10);
	for (size_t i = 0; i < sizeof(hand_made) / sizeof(hand_made[0]); i++)
		if (hand_made[i].minor == pyapi.minor)
			layout = &hand_made[i];
	/* _PyRuntime is statically initialised: its table is there before the
	 * interpreter starts.  Its size is more than any table we read. */
	if (!layout && pyapi.Runtime &&
	    pyframes_parse_debug_offsets(pyapi.Runtime, sizeof(struct dbg_315), pyapi.minor,
					 &from_table) == 0)
		layout = &from_table;
	return layout != NULL;
}

int pyframes_usable(void)
{
	return layout && !load(&walks_off);
}

int pyframes_trusted(void)
{
	return pyframes_usable() && layout->minor >= 11 && load(&walks_agreed) >= checks;
}

static inline const void *ptr_at(const void *base, size_t off)
{
	const void *p;
	memcpy(&p, (const char *)base + off, sizeof(p));
	return p;
}

/* 3.11+: the innermost interpreter frame. */
static const void *frame_top(const struct pyframes_layout *l, const void *ts)
{
	return l->via_cframe ? ptr_at(ptr_at(ts, l->ts_frame), l->cframe_current)
			     : ptr_at(ts, l->ts_frame);
}

static inline const char *frame_code(const struct pyframes_layout *l, const void *f)
{
	return (const char *)((uintptr_t)ptr_at(f, l->frame_code) & ~l->code_tag_mask);
}

/* 3.11+: the first frame at or beyond `f` that the C API would show: not an
 * entry shim, not an incomplete frame (pushed, its prologue not yet run:
 * cells being made), which the C API's walk skips too. */
static const void *frame_visible(const struct pyframes_layout *l, const void *f)
{
	for (; f; f = ptr_at(f, l->frame_previous)) {
		int owner = ((const unsigned char *)f)[l->frame_owner];
		if (owner >= l->owner_not_code)
			continue;
		const char *code = frame_code(l, f);
		if (pyapi.CodeType && ptr_at(code, l->ob_type) != pyapi.CodeType)
			continue; /* not code (3.13+: f_executable may be None) */
		const char *instr = ptr_at(f, l->frame_instr);
		int first;
		memcpy(&first, code + l->code_first_traceable, sizeof(first));
		if (owner != l->owner_generator && instr < code + l->code_units + 2 * (long)first)
			continue;
		return f;
	}
	return NULL;
}

int pyframes_walk(const void *ts, struct stack_key *out, int max, int *flags, int gil)
{
	const struct pyframes_layout *l = layout;
	int n = 0;
	if (!l)
		return -1;
	if (l->frame_objects) {
		for (const void *f = ptr_at(ts, l->ts_frame); f; f = ptr_at(f, l->frame_previous)) {
			if (n == max) {
				*flags |= STACK_TRUNCATED;
				break;
			}
			/* pure computation on 3.9/3.10 (f_lasti through the line table) */
			int line = pyapi.Frame_GetLineNumber((PyObj *)(uintptr_t)f);
			out[n].code = ptr_at(f, l->frame_code);
			out[n].line = line > 0 ? (uint32_t)line : 0;
			out[n].pad = 0;
			n++;
		}
		return n;
	}
	if (!pyapi.Code_Addr2Line)
		return -1;
	for (const void *f = frame_visible(l, frame_top(l, ts)); f;
	     f = frame_visible(l, ptr_at(f, l->frame_previous))) {
		if (n == max) {
			*flags |= STACK_TRUNCATED;
			break;
		}
		const char *code = frame_code(l, f);
		const char *instr = ptr_at(f, l->frame_instr);
		int line = pyapi_line(code, (int)(instr - (code + l->code_units)), gil);
		out[n].code = code;
		out[n].line = line > 0 ? (uint32_t)line : 0;
		out[n].pad = 0;
		n++;
	}
	return n;
}

int pyframes_signature(const void *ts, const void **code, const void **instr, int max)
{
	const struct pyframes_layout *l = layout;
	int n = 0;
	for (const void *f = frame_visible(l, frame_top(l, ts)); f;
	     f = frame_visible(l, ptr_at(f, l->frame_previous))) {
		if (n == max)
			return -1;
		code[n] = frame_code(l, f);
		instr[n] = ptr_at(f, l->frame_instr);
		n++;
	}
	return n;
}

/* Compared on the innermost 64 frames (deep import stacks are common at
 * start-up).  The memory walk may hold one or two more innermost frames:
 * frames still being set up, which the public API skips.  A wrong layout
 * would not agree at all. */
void pyframes_check_walk(const void *ts, const struct stack_key *pub, int npub)
{
	struct stack_key mine[66];
	int flags = 0;
	if (npub <= 0 || !pyframes_usable() || load(&walks_agreed) >= checks)
		return; /* nothing to compare with, or done */
	int n = pyframes_walk(ts, mine, 66, &flags, 1);
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
		store(&walks_agreed, load(&walks_agreed) + 1);
	else
		store(&walks_off, 1);
}

/* A compact ASCII str (nearly every file and function name), its type
 * checked, copied out: 0, or -1 for anything else. */
static int ascii_copy(const struct pyframes_layout *l, const void *obj, char *dst, size_t cap)
{
	if (!obj || !pyapi.UnicodeType || ptr_at(obj, l->ob_type) != pyapi.UnicodeType)
		return -1;
	unsigned char state = ((const unsigned char *)obj)[l->str_state];
	if ((state & 0x7c) != 0x64) /* kind 1 (bits 2-4), compact (5), ascii (6) */
		return -1;
	ssize_t len;
	memcpy(&len, (const char *)obj + l->str_length, sizeof(len));
	if (len < 0)
		return -1;
	size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
	memcpy(dst, (const char *)obj + l->str_data, n);
	dst[n] = 0;
	return 0;
}

static int names_read(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	const struct pyframes_layout *l = layout;
	if (!l || !pyapi.CodeType || ptr_at(code, l->ob_type) != pyapi.CodeType)
		return -1;
	if (ascii_copy(l, ptr_at(code, l->code_filename), file, fc) ||
	    ascii_copy(l, ptr_at(code, l->code_name), func, nc))
		return -1;
	return 0;
}

int pyframes_describe(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	if (load(&names_off) || !pyframes_usable())
		return -1;
	return names_read(code, file, fc, func, nc);
}

void pyframes_check_names(const void *code, const char *file, const char *func)
{
	char f[1024], n[512];
	if (load(&names_agreed) >= NAME_CHECKS || load(&names_off))
		return;
	if (names_read(code, f, sizeof(f), n, sizeof(n)) < 0)
		return; /* not ASCII: nothing to compare */
	if (!strcmp(f, file) && !strcmp(n, func))
		store(&names_agreed, load(&names_agreed) + 1);
	else
		store(&names_off, 1);
}
