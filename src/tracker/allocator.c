/* tracker/allocator.c — the program's real allocator (see allocator.h).
 *
 * The dynamic linker resolves `malloc` to the first definition in the
 * global search order: the executable, then LD_PRELOAD in order (liboomph
 * first: the supervisor prepends it), then the libraries' dependencies.  The
 * allocator the program would use without us is therefore the next
 * definition after liboomph in the link map.  dlsym(RTLD_NEXT) would say the
 * same, but dlsym may allocate (its error state), and this runs inside the
 * program's first malloc; so the link map is walked with dl_iterate_phdr
 * (no allocation) and each object's dynamic symbol table is searched through
 * its GNU or SysV hash table, skipping undefined symbols and hidden
 * versions.
 */
#include "tracker/allocator.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>

/* glibc's entry points: only the fallback if the link map cannot be read
 * (then the program runs as it did before this module). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
extern size_t malloc_usable_size(void *);

/* ------------------------------------------------------- ELF look-up --- */

struct elf_object {
	uintptr_t bias;
	const char *name;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
	const uint16_t *versym;
	uintptr_t code_lo, code_hi; /* the executable PT_LOAD segments */
};

/* ld.so relocates the d_ptr entries of a writable dynamic section in
 * place; the vDSO's (read-only) stay offsets. */
static const void *dyn_ptr(uintptr_t bias, ElfW(Addr) p)
{
	return (const void *)(p < bias ? p + bias : p);
}

static int elf_object_from(const struct dl_phdr_info *info, struct elf_object *o)
{
	memset(o, 0, sizeof(*o));
	o->bias = info->dlpi_addr;
	o->name = info->dlpi_name ? info->dlpi_name : "";
	o->code_lo = UINTPTR_MAX;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(o->bias + ph->p_vaddr);
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uintptr_t lo = o->bias + ph->p_vaddr, hi = lo + ph->p_memsz;
			if (lo < o->code_lo)
				o->code_lo = lo;
			if (hi > o->code_hi)
				o->code_hi = hi;
		}
	}
	if (!dyn)
		return -1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: o->symtab = dyn_ptr(o->bias, dyn->d_un.d_ptr); break;
		case DT_STRTAB: o->strtab = dyn_ptr(o->bias, dyn->d_un.d_ptr); break;
		case DT_GNU_HASH: o->gnu_hash = dyn_ptr(o->bias, dyn->d_un.d_ptr); break;
		case DT_HASH: o->sysv_hash = dyn_ptr(o->bias, dyn->d_un.d_ptr); break;
		case DT_VERSYM: o->versym = dyn_ptr(o->bias, dyn->d_un.d_ptr); break;
		default: break;
		}
	}
	return o->symtab && o->strtab && (o->gnu_hash || o->sysv_hash) ? 0 : -1;
}

static int contains(const struct dl_phdr_info *info, uintptr_t a)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && a - lo < ph->p_memsz)
			return 1;
	}
	return 0;
}

/* Symbol i is a definition of `name` that the dynamic linker would bind. */
static int defines(const struct elf_object *o, uint32_t i, const char *name)
{
	const ElfW(Sym) *s = &o->symtab[i];
	int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
	if (s->st_shndx == SHN_UNDEF || !s->st_value || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
	    (bind != STB_GLOBAL && bind != STB_WEAK))
		return 0;
	if (o->versym && (o->versym[i] & 0x8000)) /* a hidden (old) version */
		return 0;
	return strcmp(o->strtab + s->st_name, name) == 0;
}

static void *symbol_address(const struct elf_object *o, uint32_t i)
{
	const ElfW(Sym) *s = &o->symtab[i];
	void *a = (void *)(o->bias + s->st_value);
	if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
		a = ((void *(*)(void))a)();
	return a;
}

static void *elf_lookup(const struct elf_object *o, const char *name)
{
	if (o->gnu_hash) {
		const uint32_t *h = o->gnu_hash;
		uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
		if (!nbuckets)
			return NULL;
		const uint32_t *buckets = (const uint32_t *)(const void *)
			((const ElfW(Addr) *)(const void *)(h + 4) + bloom_size);
		const uint32_t *chain = buckets + nbuckets;
		uint32_t hash = 5381;
		for (const char *c = name; *c; c++)
			hash = hash * 33 + (uint8_t)*c;
		uint32_t i = buckets[hash % nbuckets];
		if (i < symoffset)
			return NULL;
		for (;; i++) {
			uint32_t ch = chain[i - symoffset];
			if ((ch | 1) == (hash | 1) && defines(o, i, name))
				return symbol_address(o, i);
			if (ch & 1)
				return NULL;
		}
	}
	const uint32_t *h = o->sysv_hash;
	uint32_t nbucket = h[0];
	if (!nbucket)
		return NULL;
	const uint32_t *bucket = h + 2, *chain = bucket + nbucket;
	uint32_t hash = 0;
	for (const char *c = name; *c; c++) {
		hash = (hash << 4) + (uint8_t)*c;
		uint32_t g = hash & 0xf0000000u;
		if (g)
			hash ^= g >> 24;
		hash &= ~g;
	}
	for (uint32_t i = bucket[hash % nbucket]; i != STN_UNDEF; i = chain[i])
		if (defines(o, i, name))
			return symbol_address(o, i);
	return NULL;
}

struct next_search {
	uintptr_t after;
	const char *name;
	int past;            /* the object containing `after` was seen */
	void *found;
	struct elf_object obj;
};

static int next_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct next_search *s = data;
	if (!s->past) {
		s->past = contains(info, s->after);
		return 0;
	}
	struct elf_object o;
	if (elf_object_from(info, &o) != 0)
		return 0;
	void *a = elf_lookup(&o, s->name);
	if (!a)
		return 0;
	s->found = a;
	s->obj = o;
	return 1;
}

static void *next_definition(const void *after, const char *name, struct elf_object *obj)
{
	struct next_search s = {.after = (uintptr_t)after, .name = name};
	dl_iterate_phdr(next_cb, &s);
	if (s.found && obj)
		*obj = s.obj;
	return s.found;
}

void *alloc_next_symbol(const void *after, const char *name, uintptr_t *def_object)
{
	struct elf_object o;
	void *a = next_definition(after, name, &o);
	if (a && def_object)
		*def_object = o.bias;
	return a;
}

/* ------------------------------------------------------ the slots --- */

struct alloc_table {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*usable_size)(void *);
};


static void *stub_malloc(size_t n);
static void *stub_calloc(size_t n, size_t m);
static void *stub_realloc(void *p, size_t n);
static void stub_free(void *p);
static void *stub_memalign(size_t a, size_t n);
static void *stub_valloc(size_t n);
static void *stub_pvalloc(size_t n);
static size_t stub_usable(void *p);

void *(*alloc_malloc)(size_t) = stub_malloc;
void *(*alloc_calloc)(size_t, size_t) = stub_calloc;
void *(*alloc_realloc)(void *, size_t) = stub_realloc;
void (*alloc_free)(void *) = stub_free;
void *(*alloc_memalign)(size_t, size_t) = stub_memalign;
void *(*alloc_valloc)(size_t) = stub_valloc;
void *(*alloc_pvalloc)(size_t) = stub_pvalloc;
size_t (*alloc_usable_size)(void *) = stub_usable;

/* Each slot written once (the same value by a racing resolver). */
static void install(const struct alloc_table *t)
{
	__atomic_store_n(&alloc_usable_size, t->usable_size, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_calloc, t->calloc, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_realloc, t->realloc, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_free, t->free, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_memalign, t->memalign, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_valloc, t->valloc, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_pvalloc, t->pvalloc, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_malloc, t->malloc, __ATOMIC_RELAXED);
}
uintptr_t alloc_code_lo, alloc_code_span;

static int resolved;
static const char *untrackable;
static const char *allocator_name = "";
static int (*other_posix_memalign)(void **, size_t, size_t);

static size_t page_size(void)
{
	unsigned long pg = getauxval(AT_PAGESZ);
	return pg ? (size_t)pg : 4096;
}

/* What an allocator without them would need: built on its memalign. */
static void *emul_memalign(size_t align, size_t n)
{
	void *p = NULL;
	int rc = other_posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n);
	if (rc) {
		errno = rc;
		return NULL;
	}
	return p;
}

static void *emul_valloc(size_t n)
{
	return alloc_memalign(page_size(), n);
}

static void *emul_pvalloc(size_t n)
{
	size_t pg = page_size();
	if (n > SIZE_MAX - pg) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_memalign(pg, n ? (n + pg - 1) & ~(pg - 1) : pg);
}

static void use_glibc_fallback(void)
{
	struct alloc_table t = {__libc_malloc, __libc_calloc, __libc_realloc, __libc_free,
				__libc_memalign, __libc_valloc, __libc_pvalloc, malloc_usable_size};
	install(&t);
}

#define FROM(obj, field, name)                                                     \
	do {                                                                       \
		void *a_ = elf_lookup(obj, name);                                  \
		if (!a_)                                                           \
			a_ = next_definition((const void *)alloc_resolve, name, NULL); \
		*(void **)&t.field = a_;                                           \
	} while (0)

void alloc_resolve(void)
{
	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
		return;
	struct elf_object o;
	if (!next_definition((const void *)alloc_resolve, "malloc", &o)) {
		use_glibc_fallback();
		__atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
		return;
	}
	struct alloc_table t;
	memset(&t, 0, sizeof(t));
	if (elf_lookup(&o, "gnu_get_libc_version") && elf_lookup(&o, "__libc_malloc")) {
		/* glibc: its own entry points, as always */
		*(void **)&t.malloc = elf_lookup(&o, "__libc_malloc");
		*(void **)&t.calloc = elf_lookup(&o, "__libc_calloc");
		*(void **)&t.realloc = elf_lookup(&o, "__libc_realloc");
		*(void **)&t.free = elf_lookup(&o, "__libc_free");
		*(void **)&t.memalign = elf_lookup(&o, "__libc_memalign");
		*(void **)&t.valloc = elf_lookup(&o, "__libc_valloc");
		*(void **)&t.pvalloc = elf_lookup(&o, "__libc_pvalloc");
		*(void **)&t.usable_size = elf_lookup(&o, "malloc_usable_size");
		if (!t.malloc || !t.calloc || !t.realloc || !t.free || !t.memalign || !t.valloc ||
		    !t.pvalloc || !t.usable_size) {
			use_glibc_fallback();
		} else {
			install(&t);
		}
		__atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
		return;
	}
	/* Another allocator, preloaded after us: all of its own functions. */
	allocator_name = o.name;
	t.malloc = elf_lookup(&o, "malloc");
	FROM(&o, calloc, "calloc");
	FROM(&o, realloc, "realloc");
	FROM(&o, free, "free");
	*(void **)&t.memalign = elf_lookup(&o, "memalign");
	*(void **)&other_posix_memalign = elf_lookup(&o, "posix_memalign");
	if (!t.memalign && other_posix_memalign)
		t.memalign = emul_memalign;
	if (!t.memalign)
		FROM(&o, memalign, "memalign");
	*(void **)&t.valloc = elf_lookup(&o, "valloc");
	if (!t.valloc)
		t.valloc = emul_valloc;
	*(void **)&t.pvalloc = elf_lookup(&o, "pvalloc");
	if (!t.pvalloc)
		t.pvalloc = emul_pvalloc;
	*(void **)&t.usable_size = elf_lookup(&o, "malloc_usable_size");
	if (!t.usable_size) {
		untrackable = o.name;
		FROM(&o, usable_size, "malloc_usable_size");
	}
	install(&t);
	alloc_code_lo = o.code_lo;
	alloc_code_span = o.code_hi > o.code_lo ? o.code_hi - o.code_lo : 0;
	__atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

const char *alloc_untrackable(void)
{
	alloc_resolve();
	return untrackable;
}

const char *alloc_name(void)
{
	alloc_resolve();
	return allocator_name;
}

/* The first call of any of them resolves the table, then serves itself. */
static void *stub_malloc(size_t n)
{
	alloc_resolve();
	return alloc_malloc(n);
}

static void *stub_calloc(size_t n, size_t m)
{
	alloc_resolve();
	return alloc_calloc(n, m);
}

static void *stub_realloc(void *p, size_t n)
{
	alloc_resolve();
	return alloc_realloc(p, n);
}

static void stub_free(void *p)
{
	alloc_resolve();
	alloc_free(p);
}

static void *stub_memalign(size_t a, size_t n)
{
	alloc_resolve();
	return alloc_memalign(a, n);
}

static void *stub_valloc(size_t n)
{
	alloc_resolve();
	return alloc_valloc(n);
}

static void *stub_pvalloc(size_t n)
{
	alloc_resolve();
	return alloc_pvalloc(n);
}

static size_t stub_usable(void *p)
{
	alloc_resolve();
	return alloc_usable_size(p);
}
