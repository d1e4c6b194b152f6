/* tracker/pyapi.h — CPython's public C API, resolved at run time with dlsym,
 * so one build serves every CPython from 3.9 on; and the stack walk and
 * naming done through it.
 *
 * Contract
 *   - Owns `pyapi`, the table of resolved functions and the interpreter's
 *     version.  pyapi_init() fills it once, from the library's constructor,
 *     before the interpreter (or any other thread) runs; afterwards it is
 *     read-only, so any thread reads it without a lock.
 *   - pyapi_init() returns 1 if this process is CPython 3.9+ (its API is
 *     visible), 0 otherwise (then the tracker stays off).
 *   - pyapi_walk() and pyapi_describe() call into Python: only on a thread
 *     that holds the GIL with its own thread state, never inside Python's
 *     allocator (pystack.c decides when).  Both may allocate through Python,
 *     so they must not be called with a tracker lock held.  They may run
 *     inside an allocation hook under those conditions.
 *   - pyapi_line() maps (code object, byte offset of an instruction) to a
 *     line, -1 if unknown; it reads the line cache (linecache.h), else the
 *     code object's line table, and allocates nothing, so it may run
 *     without the GIL while the code object is surely alive (its frame is
 *     on the calling thread's stack).  A line computed is kept in the cache
 *     when the code object is pinned already, or `gil` says the caller
 *     holds the GIL (then it is pinned).  pyapi_walk() keeps lines the
 *     same way (3.11+, where a frame's offset is public).
 *   - PyObject is opaque: pointers only go back to the API, nothing is read
 *     from inside an object here (that is pyframes.c's business).
 */
#ifndef OOMPH_PYAPI_H
#define OOMPH_PYAPI_H

#include <stddef.h>
#include <sys/types.h>

#include "tracker/linecache.h"
#include "tracker/tracker.h"

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

struct pyapi {
	int (*IsInitialized)(void);
	int (*IsFinalizing)(void);       /* may be NULL */
	PyObj *(*ThisThreadState)(void); /* PyGILState_GetThisThreadState */
	PyObj *(*CurrentState)(void);    /* the thread state in use, unchecked */
	PyObj *(*Eval_GetFrame)(void);
	PyObj *(*Frame_GetBack)(PyObj *);
	PyObj *(*Frame_GetCode)(PyObj *);
	int (*Frame_GetLineNumber)(PyObj *);
	int (*Frame_GetLasti)(PyObj *);  /* 3.11+: byte offset; may be NULL */
	void (*IncRef)(PyObj *);
	void (*DecRef)(PyObj *);
	PyObj *(*Object_GetAttrString)(PyObj *, const char *);
	const char *(*Unicode_AsUTF8AndSize)(PyObj *, ssize_t *);
	void (*Err_Fetch)(PyObj **, PyObj **, PyObj **);
	void (*Err_Restore)(PyObj *, PyObj *, PyObj *);
	void (*Err_Clear)(void);
	int (*GC_Disable)(void); /* 3.10+; may be NULL */
	int (*GC_Enable)(void);
	const char *(*GetVersion)(void);
	void (*Mem_GetAllocator)(int, PyMemAllocatorEx *);
	void (*Mem_SetAllocator)(int, PyMemAllocatorEx *);
	int (*Code_Addr2Line)(PyObj *, int);    /* may be NULL */
	const char *(*AllocatorName)(void);     /* _PyMem_GetCurrentAllocatorName; may be NULL */
	const PyObj *CodeType, *UnicodeType;    /* &PyCode_Type, &PyUnicode_Type; may be NULL */
	const void *Runtime;                    /* &_PyRuntime; may be NULL */
	/* For the exit's exception (pyexit.c); has_exit says all are there. */
	int (*AddPendingCall)(int (*)(void *), void *);
	PyObj *(*Import_ImportModule)(const char *);
	PyObj *(*CFunction_NewEx)(void *def, PyObj *self, PyObj *module);
	PyObj *(*Object_CallFunctionObjArgs)(PyObj *, ...);
	PyObj *(*Sys_GetObject)(const char *); /* borrowed; never raises */
	PyObj *(*Object_Type)(PyObj *);
	PyObj *(*Object_Str)(PyObj *);
	PyObj *None;                            /* &_Py_NoneStruct */
	int has_exit;
	int has_qualname; /* 3.11+: co_qualname names methods Class.meth */
	int minor;        /* 3.minor */
	char version[32]; /* "3.11.7" */
};

extern struct pyapi pyapi;

int pyapi_init(void);

/* Python is running and not finalizing (the first check of every walk). */
static inline int pyapi_running(void)
{
	return pyapi.IsInitialized() && !(pyapi.IsFinalizing && pyapi.IsFinalizing());
}

/* The frames of the calling thread through the C API, innermost first (the
 * collector paused meanwhile: 3.11 materialises frame objects, which could
 * start a collection inside malloc).  Returns how many (STACK_TRUNCATED in
 * *flags when more than max). */
int pyapi_walk(struct stack_key *out, int max, int *flags);

/* co_filename and co_qualname (co_name before 3.11) of a code object, and a
 * reference kept to it for ever (frames are interned by its address).
 * 0, or -1 without a file name. */
int pyapi_describe(const void *code, char *file, size_t filecap, char *func, size_t funccap);

int pyapi_line(const void *code, int byte_offset, int gil);

#endif
