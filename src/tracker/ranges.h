/* tracker/ranges.h — the anonymous memory mappings the program made, so
 * munmap (whole or partial) and mremap can credit back exactly what mmap
 * added, and sampled mappings can credit their stack.
 *
 * Contract
 *   - Caller holds the tracker's sample_lock for every call.
 *   - Ranges never overlap; adding a range first removes what it overlaps
 *     (MAP_FIXED over an old mapping replaces it).
 *   - ranges_remove() reports each removed piece through `cb` (its start and
 *     bytes, the range's flags, and the stack node and proportional share of
 *     the credited weight if sampled).  Flags are kept on every piece.
 *   - Memory from raw mmap.  Returns 0 or -ENOMEM.
 */
#ifndef OOMPH_RANGES_H
#define OOMPH_RANGES_H

#include <stddef.h>
#include <stdint.h>

#define RANGE_UNSAMPLED 0xffffffffu
/* A Python allocator arena whose pools are charged one by one
 * (tracker_on_pool). */
#define RANGE_ARENA 1u
/* MAP_SHARED|MAP_ANONYMOUS: its pages are shared with fork children, who
 * do not count it again (tracker_atfork_child). */
#define RANGE_SHARED 2u
/* Mapped before the fork of this process (its parent's, in the job once):
 * unmapping it does not lower the child's part of the job. */
#define RANGE_INHERITED 4u

struct range {
	uintptr_t start, end;  /* [start, end) */
	uint32_t node;         /* RANGE_UNSAMPLED if not sampled */
	uint32_t flags;        /* RANGE_ARENA, RANGE_SHARED, RANGE_INHERITED */
	uint64_t weight;       /* bytes credited to node for the whole range;
				  the top bit is a caller's flag, kept on splits */
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

typedef void (*ranges_piece_cb)(void *ctx, uintptr_t start, uint64_t bytes, uint32_t node,
				uint64_t weight, uint32_t flags);

int ranges_add(struct ranges *r, uintptr_t start, size_t len, uint32_t node,
	       uint64_t weight, uint32_t flags, ranges_piece_cb cb, void *ctx);
int ranges_remove(struct ranges *r, uintptr_t start, size_t len, ranges_piece_cb cb,
		  void *ctx);
/* The range starting exactly at start, or NULL. */
struct range *ranges_find(struct ranges *r, uintptr_t start);
/* The range holding addr, or NULL. */
struct range *ranges_containing(struct ranges *r, uintptr_t addr);
/* 1 if some range overlaps [start, start + len), else 0. */
int ranges_overlap(const struct ranges *r, uintptr_t start, size_t len);

#endif
