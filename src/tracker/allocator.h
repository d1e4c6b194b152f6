/* tracker/allocator.h — which allocator the program really uses: the next
 * definition of malloc & co. after liboomph in the link map (glibc's, or one
 * preloaded after us such as jemalloc or tcmalloc), and the slots of its
 * functions that the hooks call.
 *
 * Contract
 *   - The alloc_* slots start out pointing at resolving stubs: the first call of
 *     any of them (the program's first allocation, from ld.so or libc's
 *     start-up) walks the link map and fills them all, then serves the
 *     call.  Resolution never allocates (it reads ELF dynamic symbol tables
 *     in memory; no dlsym), so it may run inside an allocation hook, before
 *     libc is fully up, and again in a racing thread (it writes the same).
 *   - With glibc the slots hold glibc's own __libc_* entry points, as
 *     before this module existed: the common case costs one indirect call,
 *     as the GOT call it replaces did.
 *   - With another allocator the slots hold its functions; those it lacks
 *     (jemalloc has no pvalloc) are built on its memalign.  If it has no
 *     malloc_usable_size the program cannot be profiled: alloc_untrackable()
 *     names it (the tracker then stays off).
 *   - alloc_is_own_call(ra): true if a return address lies in the other
 *     allocator's code: its own mmap/munmap of arenas must not be counted
 *     beside the blocks it hands out.  Always false with glibc (it maps
 *     through internal calls the hooks never see).
 */
#ifndef OOMPH_ALLOCATOR_H
#define OOMPH_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>

/* One variable per function, not one struct: each hook then calls through
 * a RIP-relative slot exactly as it called through the GOT (a struct's base
 * would be kept in a saved register: two more instructions per call). */
#define ALLOC_SLOT extern __attribute__((visibility("hidden")))
ALLOC_SLOT void *(*alloc_malloc)(size_t);
ALLOC_SLOT void *(*alloc_calloc)(size_t, size_t);
ALLOC_SLOT void *(*alloc_realloc)(void *, size_t);
ALLOC_SLOT void (*alloc_free)(void *);
ALLOC_SLOT void *(*alloc_memalign)(size_t, size_t);
ALLOC_SLOT void *(*alloc_valloc)(size_t);
ALLOC_SLOT void *(*alloc_pvalloc)(size_t);
ALLOC_SLOT size_t (*alloc_usable_size)(void *);

/* The other allocator's code, [lo, lo + span); span 0 with glibc. */
ALLOC_SLOT uintptr_t alloc_code_lo, alloc_code_span;

static inline int alloc_is_own_call(const void *ra)
{
	return (uintptr_t)ra - alloc_code_lo < alloc_code_span;
}

/* Resolve now if not done yet (the tracker's constructor calls it, so that
 * the choice is made before it decides to start).  Idempotent. */
void alloc_resolve(void);

/* NULL if the program's allocator can be tracked, else its file name (for
 * a message: it has no malloc_usable_size). */
const char *alloc_untrackable(void);

/* The file name of the allocator in use ("" for glibc's). */
const char *alloc_name(void);

/* The next definition of `name` after the object containing `after` (an
 * address in it), in link-map order: *def_object receives the defining
 * object's load bias.  NULL if none.  Never allocates. */
void *alloc_next_symbol(const void *after, const char *name, uintptr_t *def_object);

#endif
