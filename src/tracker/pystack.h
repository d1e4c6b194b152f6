/* tracker/pystack.h — Python call stacks through CPython's public C API,
 * resolved at run time with dlsym, so one build serves CPython 3.9-3.13.
 *
 * Contract
 *   - pystack_init() returns 1 if this process is a CPython 3.9+ (its API is
 *     visible), 0 otherwise (then the tracker stays off).  Call once, early.
 *   - pystack_source() is the stack_source (tracker.h) for this interpreter.
 *     capture() walks frames through the C API only when Python is
 *     initialised, not finalizing, this thread holds the GIL with its own
 *     thread state, and it is not inside Python's allocator; the collector
 *     is paused around the walk (3.11 materialises frame objects, which
 *     could start a collection inside malloc).  Inside pymalloc, or on a
 *     thread that released the GIL, it reads the thread's own frames from
 *     memory instead (STACK_NOGIL), with CPython's internal layouts, checked
 *     against the C API's walks and turned off for good on a disagreement;
 *     otherwise it returns -1 (or STACK_DEFER).  describe() keeps a
 *     reference to the code object, so its address is never reused;
 *     describe_nogil() reads the names from memory.
 *   - pystack_version() is "3.11.7" or "".
 */
#ifndef OOMPH_PYSTACK_H
#define OOMPH_PYSTACK_H

#include "tracker/tracker.h"

int pystack_init(void);
const struct stack_source *pystack_source(void);
const char *pystack_version(void);

#endif
