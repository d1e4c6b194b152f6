/* tracker/pystack.h — the tracker's source of Python stacks (stack_source,
 * tracker.h): which way each stack is taken.
 *
 * Contract
 *   - pystack_init() returns 1 if this process is a CPython 3.9+ (its API is
 *     visible: pyapi.h), 0 otherwise (then the tracker stays off).  Call
 *     once, from the library's constructor, before any other thread runs:
 *     it also chooses the frame layout (pyframes.h).
 *   - pystack_source() is the stack_source for this interpreter.  capture()
 *     walks frames through the C API (pyapi_walk) only when Python is
 *     initialised, not finalizing, this thread holds the GIL with its own
 *     thread state, and it is not inside Python's allocator.  Inside
 *     pymalloc, or on a thread that released the GIL, it reads the thread's
 *     own frames from memory instead (STACK_NOGIL; pyframes.h), or returns
 *     -1 (or STACK_DEFER) when they cannot be read.  The first stack taken
 *     with the GIL wraps Python's allocator (pypools.h).  describe() names
 *     through the C API and keeps a reference to the code object, so its
 *     address is never reused; describe_nogil() reads the names from memory.
 *   - Owns the per-thread memo of the last stacks (thread-local: no lock).
 *   - pystack_version() is "3.11.7" or "".
 */
#ifndef OOMPH_PYSTACK_H
#define OOMPH_PYSTACK_H

#include "tracker/tracker.h"

int pystack_init(void);
const struct stack_source *pystack_source(void);
const char *pystack_version(void);

#endif
