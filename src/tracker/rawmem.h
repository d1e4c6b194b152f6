/* tracker/rawmem.h — memory and locks for the tracker's own use.
 *
 * Contract: raw_alloc() maps zeroed anonymous pages with the mmap *syscall*,
 * so it never re-enters our interposed mmap or malloc and is safe before libc
 * is initialised.  raw_free() unmaps.  The spinlock is for short critical
 * sections inside allocation hooks (a pthread mutex could be needed by a
 * signal handler, or allocate on first use); it yields after a few spins so
 * a preempted holder on this 2-core world is not starved.
 */
#ifndef OOMPH_RAWMEM_H
#define OOMPH_RAWMEM_H

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void *raw_alloc(size_t size)
{
	long r = syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0 && r > -4096)
		return NULL;
	return (void *)r;
}

static inline void raw_free(void *p, size_t size)
{
	if (p)
		syscall(SYS_munmap, p, size);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

typedef struct {
	_Atomic int held;
} spin_t;

static inline void spin_lock(spin_t *l)
{
	for (unsigned spins = 0;;) {
		if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
			if (++spins > 64)
				sched_yield();
			else
				cpu_relax();
		}
	}
}

static inline void spin_unlock(spin_t *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

static inline void spin_reset(spin_t *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_relaxed);
}

#endif
