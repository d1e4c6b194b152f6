/* tracker/pypools.h — the wrapper around Python's allocator domains, and
 * which line made each pymalloc pool of small objects.
 *
 * Contract
 *   - pypools_wrap() wraps the MEM and OBJ domains (PyMem_SetAllocator, as
 *     tracemalloc does: a wrapper, not a replacement).  Called once, with
 *     the GIL held, from the first sample taken after the interpreter
 *     started; it decides then whether pools are watched (plain pymalloc,
 *     64-bit, not OOMPH_POOLS=off).  Everything it sets (the original
 *     allocators, pool and arena sizes, the blocks per pool) is written
 *     there before the wrappers are installed and read-only after.
 *   - The wrappers mark the thread as inside Python's allocator (the depth
 *     in tracker_py, tracker.h), and on the way out resolve deferred samples
 *     and look at the block's pool.  They run inside Python's allocator
 *     (which has the GIL), so the per-size-class picks (`pick_at`, the
 *     generator) are protected by the GIL; a thread that races them anyway
 *     only repeats a draw.  `small_max` is set once to 0, for good, when a
 *     pool header does not look like CPython's; only a pool event reads it
 *     (plain load): the wrapper's fast path reads the pool's count and size
 *     class from the header of every block pymalloc handed out, and a thread
 *     that misses the change looks at one more pool header, as it did a
 *     moment before.  Where pools are not watched (not plain pymalloc) the
 *     wrappers installed do not look at pools at all.
 *   - pypools_inside() and pypools_arena_here() read only the calling
 *     thread's word: callable from any hook.
 */
#ifndef OOMPH_PYPOOLS_H
#define OOMPH_PYPOOLS_H

#include <stddef.h>

#include "tracker/tracker.h"

void pypools_wrap(void);
/* The wrappers are installed (read with the GIL held). */
int pypools_wrapped(void);

/* The calling thread is inside Python's allocator: the C API could
 * re-enter it, and an arena mmap made now must not call it. */
static inline int pypools_inside(void)
{
	return (tracker_py & TRACKER_PY_DEPTH) != 0;
}

/* stack_source.arena_here (tracker.h). */
size_t pypools_arena_here(void);

#endif
