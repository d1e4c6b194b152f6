/* tracker/pystack.h — Python call stacks through CPython's public C API,
 * resolved at run time with dlsym, so one build serves CPython 3.9-3.13.
 *
 * Contract
 *   - pystack_init() returns 1 if this process is a CPython 3.9+ (its API is
 *     visible), 0 otherwise (then the tracker stays off).  Call once, early.
 *   - pystack_source() is the stack_source (tracker.h) for this interpreter.
 *     capture() walks frames only when Python is initialised, not finalizing,
 *     and this thread holds the GIL; otherwise it returns -1.  It never runs
 *     the garbage collector (collection is paused around the walk, because
 *     3.11 materialises frame objects, which could start a collection inside
 *     malloc).  describe() keeps a reference to the code object, so its
 *     address is never reused for another code object.
 *   - pystack_version() is "3.11.7" or "".
 */
#ifndef OOMPH_PYSTACK_H
#define OOMPH_PYSTACK_H

#include "tracker/tracker.h"

int pystack_init(void);
const struct stack_source *pystack_source(void);
const char *pystack_version(void);

#endif
