/* tracker/intern.c — see intern.h. */
#include "tracker/intern.h"

#include <errno.h>
#include <string.h>

#include "state/format.h"

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static int kv2_init(struct kv2 *t, uint64_t cap)
{
	t->slots = raw_alloc(cap * sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cap - 1;
	t->count = 0;
	return 0;
}

static struct kv2_slot *kv2_find(struct kv2 *t, uint64_t k1, uint64_t k2)
{
	for (uint64_t i = mix(k1, k2) & t->mask;; i = (i + 1) & t->mask) {
		struct kv2_slot *s = &t->slots[i];
		if (!s->used || (s->k1 == k1 && s->k2 == k2))
			return s;
	}
}

static int kv2_get(struct kv2 *t, uint64_t k1, uint64_t k2, uint32_t *value)
{
	struct kv2_slot *s = kv2_find(t, k1, k2);
	if (!s->used)
		return 0;
	*value = s->value;
	return 1;
}

static void kv2_put(struct kv2 *t, uint64_t k1, uint64_t k2, uint32_t value)
{
	if ((t->count + 1) * 3 > (t->mask + 1) * 2) {
		struct kv2 bigger;
		if (kv2_init(&bigger, (t->mask + 1) * 2) == 0) {
			for (uint64_t i = 0; i <= t->mask; i++)
				if (t->slots[i].used)
					*kv2_find(&bigger, t->slots[i].k1, t->slots[i].k2) = t->slots[i];
			bigger.count = t->count;
			raw_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
			*t = bigger;
		} else if (t->count + 1 > t->mask) {
			return; /* full and cannot grow: forget, costs only re-interning */
		}
	}
	struct kv2_slot *s = kv2_find(t, k1, k2);
	if (!s->used)
		t->count++;
	s->k1 = k1;
	s->k2 = k2;
	s->value = value;
	s->used = 1;
}

int intern_init(struct intern *in, struct oomph_state_header *hdr)
{
	char *base = (char *)hdr;
	in->hdr = hdr;
	in->strings = base + hdr->strings_off;
	in->frames = (struct oomph_state_frame *)(void *)(base + hdr->frames_off);
	in->nodes = (struct oomph_state_node *)(void *)(base + hdr->nodes_off);
	spin_reset(&in->lock);
	in->code_cap = 1u << 16;
	in->code_file = raw_alloc(in->code_cap * sizeof(uint32_t));
	in->code_func = raw_alloc(in->code_cap * sizeof(uint32_t));
	in->ncodes = 0;
	in->strings_ok = hdr->strings_cap;
	in->frames_ok = (uint32_t)hdr->frames_cap;
	in->nodes_ok = (uint32_t)hdr->nodes_cap;
	in->reserve = NULL;
	if (!in->code_file || !in->code_func || kv2_init(&in->strmap, 1024) ||
	    kv2_init(&in->codemap, 1024) || kv2_init(&in->framemap, 4096) ||
	    kv2_init(&in->nodemap, 4096))
		return -ENOMEM;
	return 0;
}

static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint32_t intern_string(struct intern *in, const char *s, size_t len)
{
	uint64_t h = str_hash(s, len);
	uint32_t off;
	if (kv2_get(&in->strmap, h, len, &off) &&
	    memcmp(in->strings + off + 4, s, len) == 0)
		return off;
	uint64_t used = atomic_load_explicit(&in->hdr->strings_used, memory_order_relaxed);
	uint64_t need = (4 + len + 1 + 3) & ~(uint64_t)3;
	if (used + need > in->hdr->strings_cap || len > UINT32_MAX) {
		atomic_fetch_or_explicit(&in->hdr->overflow, OOMPH_OVERFLOW_STRINGS,
					 memory_order_relaxed);
		return 0;
	}
	if (used + need > in->strings_ok && (!in->reserve || in->reserve(in, INTERN_STRINGS, used + need)))
		return 0;
	uint32_t len32 = (uint32_t)len;
	memcpy(in->strings + used, &len32, 4);
	memcpy(in->strings + used + 4, s, len);
	in->strings[used + 4 + len] = 0;
	atomic_store_explicit(&in->hdr->strings_used, used + need, memory_order_release);
	kv2_put(&in->strmap, h, len, (uint32_t)used);
	return (uint32_t)used;
}

int intern_code_lookup(struct intern *in, const void *code, uint32_t *file, uint32_t *func)
{
	uint32_t i;
	if (!kv2_get(&in->codemap, (uintptr_t)code, 0, &i))
		return 0;
	*file = in->code_file[i];
	*func = in->code_func[i];
	return 1;
}

void intern_code_add(struct intern *in, const void *code, uint32_t file, uint32_t func)
{
	uint32_t i;
	if (kv2_get(&in->codemap, (uintptr_t)code, 0, &i))
		return;
	if (in->ncodes == in->code_cap) {
		uint32_t cap = in->code_cap * 2;
		uint32_t *nf = raw_alloc(cap * sizeof(uint32_t));
		uint32_t *nn = raw_alloc(cap * sizeof(uint32_t));
		if (!nf || !nn) {
			raw_free(nf, cap * sizeof(uint32_t));
			raw_free(nn, cap * sizeof(uint32_t));
			return;
		}
		memcpy(nf, in->code_file, in->ncodes * sizeof(uint32_t));
		memcpy(nn, in->code_func, in->ncodes * sizeof(uint32_t));
		raw_free(in->code_file, in->code_cap * sizeof(uint32_t));
		raw_free(in->code_func, in->code_cap * sizeof(uint32_t));
		in->code_file = nf;
		in->code_func = nn;
		in->code_cap = cap;
	}
	in->code_file[in->ncodes] = file;
	in->code_func[in->ncodes] = func;
	kv2_put(&in->codemap, (uintptr_t)code, 0, in->ncodes++);
}

uint32_t intern_frame(struct intern *in, uint32_t file, uint32_t func, uint32_t line,
		      uint32_t flags)
{
	uint32_t f;
	uint64_t names = ((uint64_t)file << 32) | func;
	uint64_t k2 = ((uint64_t)flags << 32) | line;
	if (kv2_get(&in->framemap, names, k2, &f))
		return f;
	uint32_t n = atomic_load_explicit(&in->hdr->frames_used, memory_order_relaxed);
	if (n >= in->hdr->frames_cap) {
		atomic_fetch_or_explicit(&in->hdr->overflow, OOMPH_OVERFLOW_FRAMES,
					 memory_order_relaxed);
		return UINT32_MAX;
	}
	if (n >= in->frames_ok && (!in->reserve || in->reserve(in, INTERN_FRAMES, (uint64_t)n + 1)))
		return UINT32_MAX;
	in->frames[n].file = file;
	in->frames[n].func = func;
	in->frames[n].line = line;
	in->frames[n].flags = flags;
	atomic_store_explicit(&in->hdr->frames_used, n + 1, memory_order_release);
	kv2_put(&in->framemap, names, k2, n);
	return n;
}

uint32_t intern_node(struct intern *in, uint32_t parent, uint32_t frame)
{
	uint32_t v;
	if (frame == UINT32_MAX)
		return parent;
	if (kv2_get(&in->nodemap, parent, frame, &v))
		return v;
	uint32_t n = atomic_load_explicit(&in->hdr->nodes_used, memory_order_relaxed);
	if (n >= in->hdr->nodes_cap) {
		atomic_fetch_or_explicit(&in->hdr->overflow, OOMPH_OVERFLOW_NODES,
					 memory_order_relaxed);
		return parent;
	}
	if (n >= in->nodes_ok && (!in->reserve || in->reserve(in, INTERN_NODES, (uint64_t)n + 1)))
		return parent;
	in->nodes[n].parent = parent;
	in->nodes[n].frame = frame;
	atomic_store_explicit(&in->hdr->nodes_used, n + 1, memory_order_release);
	kv2_put(&in->nodemap, parent, frame, n);
	return n;
}
