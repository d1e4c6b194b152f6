/* tracker/addrtable.h — the table of sampled heap blocks: address -> (stack
 * node, bytes credited).
 *
 * Contract
 *   - Writers (insert, remove) must hold the tracker's sample_lock.
 *   - addrtable_may_contain() may be called without the lock, from any
 *     thread: it never misses a present key (a concurrent write makes it
 *     answer "maybe"), so a free of an unsampled block skips the lock.
 *   - Memory comes from raw mmap; old arrays are kept after a resize (lock-free
 *     readers may still be probing them), at most as much as the live array.
 *   - Returns: insert 0 or -ENOMEM; remove 1 if found (out-params filled), 0 if
 *     not; replace (a present key's node changed in place, its old node and
 *     weight out) 1 if found, 0 if not.
 */
#ifndef OOMPH_ADDRTABLE_H
#define OOMPH_ADDRTABLE_H

#include <stdatomic.h>
#include <stdint.h>

struct addr_slot {
	_Atomic uintptr_t key; /* 0 = empty */
	uint32_t node;
	uint32_t pad;
	uint64_t weight;
};

struct addrtable {
	_Atomic uint64_t seq;  /* odd while a writer changes slots */
	struct addr_slot *_Atomic slots;
	uint64_t mask;         /* capacity - 1 (power of two) */
	uint64_t count;
	uint32_t shift;        /* 0: keys are mixed; else keys are
				  key >> shift, four neighbours side by side
				  (dense keys, e.g. pools), the rest mixed.
				  Set right after init. */
};

int addrtable_init(struct addrtable *t, uint64_t capacity);
int addrtable_may_contain(struct addrtable *t, uintptr_t key);
int addrtable_insert(struct addrtable *t, uintptr_t key, uint32_t node, uint64_t weight);
int addrtable_remove(struct addrtable *t, uintptr_t key, uint32_t *node, uint64_t *weight);
int addrtable_replace(struct addrtable *t, uintptr_t key, uint32_t node, uint32_t *old,
		      uint64_t *weight);

#endif
