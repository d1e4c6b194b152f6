/* tracker/linecache.h — the line of each (code object, instruction offset)
 * already computed, so that a line table is scanned once per place, not
 * once per recorded allocation.
 *
 * CPython computes a frame's line by reading the code object's line table
 * from its start (PyCode_Addr2Line): hundreds to thousands of instructions
 * per frame in a long function, and under --exact every allocation takes a
 * stack.  The same (code, offset) pairs come back again and again, so their
 * lines are kept here.
 *
 * Contract
 *   - Owns a fixed, direct-mapped table of LINECACHE_SLOTS slots and the
 *     set of code objects it pinned: static storage, nothing allocated, so
 *     it may run inside an allocation hook.
 *   - linecache_get() may be called by any thread at any time, without a
 *     lock or the GIL: each slot is a seqlock (its sequence is odd while
 *     written, re-read after the fields), so a reader sees a whole entry or
 *     a miss.  Returns 1 and sets *line if (code, offset) is cached.
 *   - Only pinned code objects have lines here: pinned code is never freed,
 *     so its address can never name another code object while its lines
 *     are cached.  linecache_pin(code, pin) pins a code object once: pin()
 *     is called unless this code was pinned here before (describe() pins
 *     every code object it names through here, so one reference is taken
 *     per code object).  It returns 1 if the code is in the pinned set
 *     (0: pinned but not recorded, the set full or a writer busy).
 *   - linecache_put() only where the code object is surely alive (its frame
 *     on the caller's stack).  With pin non-NULL the caller may take a
 *     reference (the GIL held) and the code is pinned first if it is not;
 *     with pin NULL only code already pinned gets the line (a thread
 *     without the GIL).  Writers are serialised by a try-lock: a put or pin
 *     that finds it held does nothing here (the caller computed the line
 *     anyway).  pin() runs under that lock: it must not re-enter here.
 *   - linecache_atfork_child() releases the writer lock in a fork's child
 *     (a writer in another thread of the parent is gone).
 *   - linecache_stats() and linecache_reset() are for tests.
 */
#ifndef OOMPH_LINECACHE_H
#define OOMPH_LINECACHE_H

#include <stdint.h>

#define LINECACHE_SLOTS (1u << 14) /* 16,384 places, 24 B each */
#define LINECACHE_PINS (1u << 14)  /* code objects; puts stop at 3/4 */

int linecache_get(const void *code, int offset, int *line);
int linecache_pin(const void *code, void (*pin)(const void *code));
void linecache_put(const void *code, int offset, int line, void (*pin)(const void *code));
void linecache_atfork_child(void);

struct linecache_stats {
	uint64_t puts, pinned;
};
void linecache_stats(struct linecache_stats *out);
void linecache_reset(void);

#endif
