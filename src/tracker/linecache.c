/* tracker/linecache.c — see linecache.h. */
#include "tracker/linecache.h"

#include <stdatomic.h>

struct slot {
	_Atomic uint32_t seq; /* 0: never written; odd: being written */
	_Atomic int32_t line;
	_Atomic int32_t offset;
	uint32_t pad;
	_Atomic uintptr_t code;
};

static struct slot slots[LINECACHE_SLOTS];
static uintptr_t pins[LINECACHE_PINS]; /* open addressing; 0 = empty */
static uint64_t npins, nputs;           /* under `writer` */
static _Atomic int writer;

static inline uint64_t mix(uintptr_t code, uint64_t salt)
{
	return ((uint64_t)code ^ (salt * 0x9E3779B1u)) * 0x9E3779B97F4A7C15ull;
}

static inline struct slot *slot_of(const void *code, int offset)
{
	return &slots[mix((uintptr_t)code, (uint32_t)offset) >> (64 - 14)];
}
_Static_assert(LINECACHE_SLOTS == 1u << 14, "slot_of() takes 14 bits");

int linecache_get(const void *code, int offset, int *line)
{
	struct slot *s = slot_of(code, offset);
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
	if (seq == 0 || (seq & 1))
		return 0;
	uintptr_t c = atomic_load_explicit(&s->code, memory_order_relaxed);
	int32_t o = atomic_load_explicit(&s->offset, memory_order_relaxed);
	int32_t l = atomic_load_explicit(&s->line, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq)
		return 0; /* rewritten while we read it */
	if (c != (uintptr_t)code || o != offset)
		return 0;
	*line = l;
	return 1;
}

/* Under `writer`: 1 if the code object is in the pinned set (now or
 * before).  pin NULL: only look. */
static int pinned(uintptr_t code, void (*pin)(const void *))
{
	uint64_t i = mix(code, 0) >> (64 - 14);
	_Static_assert(LINECACHE_PINS == 1u << 14, "pinned() takes 14 bits");
	for (;; i = (i + 1) & (LINECACHE_PINS - 1)) {
		if (pins[i] == code)
			return 1;
		if (!pins[i])
			break;
	}
	if (!pin || npins >= LINECACHE_PINS / 4 * 3)
		return 0; /* full: no new code objects (the probe above ends) */
	pin((const void *)code);
	pins[i] = code;
	npins++;
	return 1;
}

static int writer_lock(void)
{
	return !atomic_exchange_explicit(&writer, 1, memory_order_acquire);
}

static void writer_unlock(void)
{
	atomic_store_explicit(&writer, 0, memory_order_release);
}

int linecache_pin(const void *code, void (*pin)(const void *code))
{
	if (!code)
		return 0;
	if (!writer_lock()) {
		pin(code); /* the caller's reference must be taken all the same */
		return 0;
	}
	int in = pinned((uintptr_t)code, pin);
	writer_unlock();
	if (!in)
		pin(code);
	return in;
}

void linecache_put(const void *code, int offset, int line, void (*pin)(const void *code))
{
	if (!code || !writer_lock())
		return;
	if (pinned((uintptr_t)code, pin)) {
		struct slot *s = slot_of(code, offset);
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
		atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		atomic_store_explicit(&s->code, (uintptr_t)code, memory_order_relaxed);
		atomic_store_explicit(&s->offset, offset, memory_order_relaxed);
		atomic_store_explicit(&s->line, line, memory_order_relaxed);
		atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
		nputs++;
	}
	writer_unlock();
}

void linecache_atfork_child(void)
{
	atomic_store_explicit(&writer, 0, memory_order_relaxed);
}

void linecache_stats(struct linecache_stats *out)
{
	out->puts = nputs;
	out->pinned = npins;
}

void linecache_reset(void)
{
	for (uint32_t i = 0; i < LINECACHE_SLOTS; i++) {
		atomic_store_explicit(&slots[i].seq, 0, memory_order_relaxed);
		atomic_store_explicit(&slots[i].code, 0, memory_order_relaxed);
	}
	for (uint32_t i = 0; i < LINECACHE_PINS; i++)
		pins[i] = 0;
	npins = nputs = 0;
	atomic_store_explicit(&writer, 0, memory_order_relaxed);
}
