/* tracker/shm.h — shared-memory segments: memfds and files on tmpfs
 * (/dev/shm, what shm_open and multiprocessing.shared_memory use).
 *
 * Contract
 *   - A segment is charged when it is sized (ftruncate, truncate,
 *     fallocate, posix_fallocate grow it), to the process and the Python
 *     stack that sized it, exactly (whatever the sample rate), under a
 *     synthetic frame "[shared memory: memfd 'big']" (OOMPH_FRAME_SHARED).
 *     Once per segment across the job: mapping it, attaching to it by name,
 *     or inheriting it at fork charges nothing (a fork child drops the
 *     records it inherited).
 *   - Its charge is released when it is gone *for the process that sized
 *     it*: no name left (shm_unlink / unlink, or a memfd), no mapping of it
 *     and no descriptor on it in this process.  That is checked after each
 *     close, munmap and unlink that touched one (a scan of /proc/self/fd
 *     then, never on a hot path).
 *   - The records live in the state header (state/format.h: segments[]);
 *     they and this module's private tables (mappings, bases) are protected
 *     by the tracker's sample_lock (tracker_lock).  No syscall is made under
 *     it: fstat, fstatfs, readlink and the scan happen before or after.
 *   - Every function may be called from inside a hook, from any thread;
 *     they do nothing while the tracker is off.  Raw syscalls only, no
 *     allocation, no stdio.
 */
#ifndef OOMPH_SHM_H
#define OOMPH_SHM_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

/* What a file was before a call that may size it. */
struct shm_ticket {
	uint64_t dev, ino;
	int64_t size;   /* st_size before the call */
	uint32_t kind;  /* OOMPH_SEGMENT_MEMFD / _TMPFS; 0: not a segment */
	int idx;        /* its record, or -1 (shm_match) */
};

/* Live segments of this process: the close/munmap/unlink hooks test this
 * one word and do nothing more while it is 0. */
extern _Atomic uint32_t shm_nlive __attribute__((visibility("hidden")));
static inline int shm_any(void)
{
	return atomic_load_explicit(&shm_nlive, memory_order_relaxed) != 0;
}

/* Before a call that may size fd (or path, when fd < 0; dirfd as openat's):
 * 1 if it is a segment (t filled), else 0. */
int shm_probe(int fd, int dirfd, const char *path, struct shm_ticket *t);
/* The call succeeded and the file is now new_size bytes long: charge its
 * growth (or credit back a shrink). */
void shm_sized(int fd, const char *path, const struct shm_ticket *t, int64_t new_size);

/* Before close(fd) / unlink(path): 1 if it names a live segment of ours
 * (t->idx set).  After the call succeeded, shm_recheck(t) releases the
 * segment if nothing of it is left here. */
int shm_match(int fd, int dirfd, const char *path, struct shm_ticket *t);
void shm_recheck(const struct shm_ticket *t);

/* A MAP_SHARED mapping of fd was made at [addr, addr + len); one went away;
 * one moved (mremap). */
void shm_mapped(int fd, void *addr, size_t len);
void shm_unmapped(void *addr, size_t len);
void shm_remapped(void *oldaddr, size_t oldlen, void *newaddr, size_t newlen);

/* For tracker.c. */
void shm_reset(void);          /* tracker_init */
void shm_atfork_child(void);   /* the child pays for none of its parent's */
/* A deferred sizing (no stack could be taken then) is resolved: the node
 * under `target` for segment record idx (interns; no lock held), and,
 * under sample_lock, the move of its record from `from` to `to`: 1 and
 * the bytes to move if the record still holds `from`. */
uint32_t shm_node_for(uint32_t idx, uint32_t target);
int shm_retarget_locked(uint32_t idx, uint32_t from, uint32_t to, uint64_t *bytes);

/* Pure helpers (unit-tested). */
/* The bytes tmpfs charges for a file of `size` bytes: whole pages. */
int64_t shm_pages(int64_t size);
/* How a record's charge follows a resize: *base is the part of the file
 * this process did not pay for (its size when first seen here, lowered by
 * shrinks), charged the bytes paid now; returns the new charge. */
int64_t shm_charge_after(int64_t *base, int64_t new_size);
/* The segment's name from /proc/self/fd's link text ("/memfd:big
 * (deleted)" -> "big", kind memfd; "/dev/shm/x (deleted)" -> "/dev/shm/x"),
 * NUL-terminated in out (cap bytes).  Returns its length. */
size_t shm_name_from_link(const char *link, size_t n, uint32_t kind, char *out, size_t cap);
/* "[shared memory: memfd 'big']" / "[shared memory: /dev/shm/x]". */
size_t shm_label(uint32_t kind, const char *name, char *out, size_t cap);

#endif
