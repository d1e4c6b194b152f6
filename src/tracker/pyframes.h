/* tracker/pyframes.h — the calling thread's Python frames, read from memory.
 *
 * A thread that released the GIL (numpy zeroing a calloc'd array, zlib,
 * mmap.mmap, a ctypes call) is running C code: its Python frames cannot
 * change until it takes the GIL back, so reading them is safe — but only by
 * reading memory, since the C API may allocate (3.11+ materialises frame
 * objects) or need the GIL.  The same reader serves inside Python's own
 * allocator, where the C API would re-enter it.
 *
 * Contract
 *   - Owns the layout in use (`struct pyframes_layout`: thread state, frame,
 *     code object and str offsets, with the conventions of one minor
 *     version) and the agreement counters of the run-time check.
 *     pyframes_init() chooses the layout once, from the library's
 *     constructor, before any other thread runs: from CPython's own
 *     _Py_DebugOffsets (the table at the start of _PyRuntime) from 3.13 on,
 *     from hand-made tables for 3.9-3.12, none for a version it does not
 *     know (then only the C API is used).  It returns 1 if frames can be
 *     read, 0 if not.
 *   - The check: every stack and name taken through the C API is compared
 *     with the same read from memory (pyframes_check_walk/_names, called
 *     with the GIL held) until `checks` agreed; one disagreement turns
 *     memory reads off for good.  The counters are written only by the
 *     thread holding the GIL and read by any thread (relaxed atomics: a
 *     thread that misses the switch-off reads one more stack with the
 *     layout that just disagreed, as it did a moment before).
 *   - pyframes_walk(), _signature() and _describe() read memory only (and
 *     pyapi_line(), which allocates nothing): callable without the GIL, from
 *     inside an allocation hook, on the calling thread's own thread state.
 *     Returns as in stack_source.capture (tracker.h); -1 without a layout.
 *     Callers ask pyframes_usable() first (_signature: _trusted()).
 *   - pyframes_parse_debug_offsets() is pure (unit-tested): it reads a copy
 *     of the table and checks every offset it takes against the structure
 *     sizes the table gives.
 */
#ifndef OOMPH_PYFRAMES_H
#define OOMPH_PYFRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "tracker/tracker.h"

/* Where things are, for one minor version.  Offsets in bytes. */
struct pyframes_layout {
	int minor;
	/* PyThreadState -> the innermost frame */
	size_t ts_frame;        /* frame (3.9/3.10), cframe (3.11/3.12), current_frame (3.13+) */
	int via_cframe;         /* 3.11/3.12: ts->cframe->current_frame */
	size_t cframe_current;  /* _PyCFrame.current_frame */
	int frame_objects;      /* 3.9/3.10: frames are PyFrameObjects */
	/* the frame (PyFrameObject before 3.11, _PyInterpreterFrame after) */
	size_t frame_code;      /* f_code; f_executable (3.13+) */
	size_t frame_previous;  /* f_back; previous (3.11+) */
	size_t frame_instr;     /* prev_instr (3.11/3.12), instr_ptr (3.13+) */
	size_t frame_owner;     /* char owner (3.11+) */
	uintptr_t code_tag_mask; /* 3.14+: f_executable is a _PyStackRef: bits to clear */
	int owner_generator;    /* FRAME_OWNED_BY_GENERATOR */
	int owner_not_code;     /* owners >= this are entry shims, not code (3.12+) */
	/* PyCodeObject */
	size_t code_units;      /* co_code_adaptive: the instructions */
	size_t code_first_traceable; /* int _co_firsttraceable (instructions) */
	size_t code_filename;
	size_t code_name;       /* co_qualname (3.11+), co_name before */
	/* PyObject, str (compact ASCII only) */
	size_t ob_type;
	size_t str_length;
	size_t str_state;
	size_t str_data;        /* sizeof(PyASCIIObject) */
};

int pyframes_init(void);

/* Frames can be read now (a layout, not turned off). */
int pyframes_usable(void);
/* Usable, 3.11+, and agreed with the C API `checks` times: the signature of
 * a stack may stand for a walk (pystack.c's memo). */
int pyframes_trusted(void);

/* gil: the caller holds the GIL (lines it computes may pin code objects
 * in the line cache: pyapi_line). */
int pyframes_walk(const void *ts, struct stack_key *out, int max, int *flags, int gil);
/* (code, instruction) of each frame, innermost first; -1 if deeper than max. */
int pyframes_signature(const void *ts, const void **code, const void **instr, int max);
int pyframes_describe(const void *code, char *file, size_t filecap, char *func, size_t funccap);

/* With the GIL: compare what the C API gave with memory. */
void pyframes_check_walk(const void *ts, const struct stack_key *pub, int npub);
void pyframes_check_names(const void *code, const char *file, const char *func);

/* The layout described by a copy of _PyRuntime's first `len` bytes, for
 * CPython 3.`minor`: 0, or -ENOENT (no "xdebugpy" cookie), -EPROTO (the
 * table's version is not 3.minor), -ENOTSUP (a table layout we do not know:
 * a minor version newer than ours), -ENOSYS (a free-threaded build),
 * -ERANGE (an offset outside its structure, or the table cut short). */
int pyframes_parse_debug_offsets(const void *table, size_t len, int minor,
				 struct pyframes_layout *out);

#endif
