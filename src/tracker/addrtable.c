/* tracker/addrtable.c — open addressing, linear probing, backward-shift
 * deletion (no tombstones, so a miss stops at the first empty slot), and a
 * sequence counter so frees can probe without the lock. */
#include "tracker/addrtable.h"

#include <errno.h>

#include "tracker/rawmem.h"

static inline uint64_t mix(uint64_t h)
{
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* Heap addresses are 16-byte aligned: drop the zero bits, then mix.  A
 * dense table (shift > 0: pools) keeps four neighbouring keys side by side
 * (4 KiB pools filled one after another share cache lines) and mixes the
 * rest: key >> shift alone wrapped round the table, so the arenas of a
 * large heap fell on each other's slots and probe runs grew to a thousand
 * slots and more (tests/unit/test_addrtable.c). */
static inline uint64_t addr_hash(const struct addrtable *t, uintptr_t key)
{
	if (t->shift) {
		uint64_t k = (uint64_t)key >> t->shift;
		return mix(k >> 2) + (k & 3);
	}
	return mix((uint64_t)key >> 4);
}

int addrtable_init(struct addrtable *t, uint64_t capacity)
{
	uint64_t cap = 64;
	while (cap < capacity)
		cap <<= 1;
	struct addr_slot *s = raw_alloc(cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	atomic_store_explicit(&t->seq, 0, memory_order_relaxed);
	atomic_store_explicit(&t->slots, s, memory_order_release);
	t->mask = cap - 1;
	t->count = 0;
	t->shift = 0;
	return 0;
}

int addrtable_may_contain(struct addrtable *t, uintptr_t key)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		uint64_t s0 = atomic_load_explicit(&t->seq, memory_order_acquire);
		if (s0 & 1)
			continue;
		/* mask first: a new mask (release-stored after the new slots)
		 * guarantees the new slots; an old mask fits either array. */
		uint64_t mask = __atomic_load_n(&t->mask, __ATOMIC_ACQUIRE);
		struct addr_slot *slots = atomic_load_explicit(&t->slots, memory_order_acquire);
		int found = 0;
		for (uint64_t i = addr_hash(t, key) & mask;; i = (i + 1) & mask) {
			uintptr_t k = atomic_load_explicit(&slots[i].key, memory_order_relaxed);
			if (k == key) {
				found = 1;
				break;
			}
			if (k == 0)
				break;
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->seq, memory_order_relaxed) == s0)
			return found;
	}
	return 1; /* busy table: let the caller look under the lock */
}

static void write_begin(struct addrtable *t)
{
	atomic_fetch_add_explicit(&t->seq, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void write_end(struct addrtable *t)
{
	atomic_fetch_add_explicit(&t->seq, 1, memory_order_release);
}

static void place(const struct addrtable *t, struct addr_slot *slots, uint64_t mask,
		  uintptr_t key, uint32_t node, uint64_t weight)
{
	uint64_t i = addr_hash(t, key) & mask;
	for (;;) {
		uintptr_t k = atomic_load_explicit(&slots[i].key, memory_order_relaxed);
		if (k == 0 || k == key)
			break;
		i = (i + 1) & mask;
	}
	slots[i].node = node;
	slots[i].weight = weight;
	atomic_store_explicit(&slots[i].key, key, memory_order_relaxed);
}

static int grow(struct addrtable *t)
{
	uint64_t cap = (t->mask + 1) * 2;
	struct addr_slot *ns = raw_alloc(cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct addr_slot *old = atomic_load_explicit(&t->slots, memory_order_relaxed);
	for (uint64_t i = 0; i <= t->mask; i++) {
		uintptr_t k = atomic_load_explicit(&old[i].key, memory_order_relaxed);
		if (k)
			place(t, ns, cap - 1, k, old[i].node, old[i].weight);
	}
	write_begin(t);
	atomic_store_explicit(&t->slots, ns, memory_order_release);
	__atomic_store_n(&t->mask, cap - 1, __ATOMIC_RELEASE);
	write_end(t);
	/* `old` stays mapped: a lock-free reader may still be probing it. */
	return 0;
}

int addrtable_insert(struct addrtable *t, uintptr_t key, uint32_t node, uint64_t weight)
{
	if ((t->count + 1) * 4 > (t->mask + 1) * 3 && grow(t))
		return -ENOMEM;
	struct addr_slot *slots = atomic_load_explicit(&t->slots, memory_order_relaxed);
	uint64_t i = addr_hash(t, key) & t->mask;
	for (;;) {
		uintptr_t k = atomic_load_explicit(&slots[i].key, memory_order_relaxed);
		if (k == key) { /* stale record (block freed behind our back) */
			write_begin(t);
			slots[i].node = node;
			slots[i].weight = weight;
			write_end(t);
			return 0;
		}
		if (k == 0)
			break;
		i = (i + 1) & t->mask;
	}
	write_begin(t);
	slots[i].node = node;
	slots[i].weight = weight;
	atomic_store_explicit(&slots[i].key, key, memory_order_relaxed);
	write_end(t);
	t->count++;
	return 0;
}

int addrtable_replace(struct addrtable *t, uintptr_t key, uint32_t node, uint32_t *old,
		      uint64_t *weight)
{
	struct addr_slot *slots = atomic_load_explicit(&t->slots, memory_order_relaxed);
	for (uint64_t i = addr_hash(t, key) & t->mask;; i = (i + 1) & t->mask) {
		uintptr_t k = atomic_load_explicit(&slots[i].key, memory_order_relaxed);
		if (k == 0)
			return 0;
		if (k == key) {
			/* keys do not move: lock-free readers read only keys */
			*old = slots[i].node;
			*weight = slots[i].weight;
			slots[i].node = node;
			return 1;
		}
	}
}

int addrtable_remove(struct addrtable *t, uintptr_t key, uint32_t *node, uint64_t *weight)
{
	struct addr_slot *slots = atomic_load_explicit(&t->slots, memory_order_relaxed);
	uint64_t mask = t->mask;
	uint64_t i = addr_hash(t, key) & mask;
	for (;;) {
		uintptr_t k = atomic_load_explicit(&slots[i].key, memory_order_relaxed);
		if (k == 0)
			return 0;
		if (k == key)
			break;
		i = (i + 1) & mask;
	}
	*node = slots[i].node;
	*weight = slots[i].weight;
	write_begin(t);
	/* Backward shift: pull later members of the probe run into the hole. */
	uint64_t hole = i;
	for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
		uintptr_t kj = atomic_load_explicit(&slots[j].key, memory_order_relaxed);
		if (kj == 0)
			break;
		uint64_t home = addr_hash(t, kj) & mask;
		/* j's entry may move to the hole if its home is not in (hole, j]. */
		int between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!between) {
			slots[hole].node = slots[j].node;
			slots[hole].weight = slots[j].weight;
			atomic_store_explicit(&slots[hole].key, kj, memory_order_relaxed);
			hole = j;
		}
	}
	atomic_store_explicit(&slots[hole].key, 0, memory_order_relaxed);
	write_end(t);
	t->count--;
	return 1;
}
