/* tracker/shm.c — shared-memory segments (shm.h).
 *
 * Why at sizing: a segment's pages are tmpfs pages, charged to the memory
 * cgroup of whoever touches them, once, however many processes map them.
 * Its size is what it will cost once touched, and the call that sets it is
 * made once per segment (by its creator; an attacher maps what is there),
 * so charging the growth there counts each segment once across the job,
 * at the line that decided how big it is — as an anonymous mmap is counted
 * when mapped, not page by page as touched.
 *
 * What protects what: the records (G.h->segments[] in the state), S.base,
 * S.frame, S.path, S.maps: the tracker's sample_lock (tracker_lock).
 * shm_nlive: written under it, read without (a hint for the hooks).
 */
#include "tracker/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state/format.h"
#include "tracker/tracker.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define SHM_PATH_MAX 256
#define SHM_MAPS 256
#define DEV_SHM "/dev/shm/"

_Atomic uint32_t shm_nlive;

static struct {
	int64_t base[OOMPH_SEGMENTS_CAP];     /* the part not paid for here */
	uint32_t frame[OOMPH_SEGMENTS_CAP];   /* its [shared memory ...] frame */
	uint8_t pinned[OOMPH_SEGMENTS_CAP];   /* a mapping of it was not recorded:
						 never known unmapped */
	char path[OOMPH_SEGMENTS_CAP][SHM_PATH_MAX]; /* tmpfs: the name to check */
	struct {
		uintptr_t start, end;
		uint32_t idx;
		uint32_t used;
	} maps[SHM_MAPS];
} S;

/* ------------------------------------------------------- pure helpers --- */

int64_t shm_pages(int64_t size)
{
	if (size <= 0)
		return 0;
	return (int64_t)(((uint64_t)size + 4095) & ~(uint64_t)4095);
}

int64_t shm_charge_after(int64_t *base, int64_t new_size)
{
	int64_t want = shm_pages(new_size);
	if (want < *base)
		*base = want;
	return want - *base;
}

size_t shm_name_from_link(const char *link, size_t n, uint32_t kind, char *out, size_t cap)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	if (n >= dl && !memcmp(link + n - dl, deleted, dl))
		n -= dl;
	if (kind == OOMPH_SEGMENT_MEMFD && n >= 7 && !memcmp(link, "/memfd:", 7)) {
		link += 7;
		n -= 7;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, link, n);
	out[n] = 0;
	return n;
}

static size_t put(char *out, size_t cap, size_t pos, const char *s)
{
	while (*s && pos + 1 < cap)
		out[pos++] = *s++;
	out[pos] = 0;
	return pos;
}

size_t shm_label(uint32_t kind, const char *name, char *out, size_t cap)
{
	size_t pos = put(out, cap, 0, "[shared memory: ");
	if (kind == OOMPH_SEGMENT_MEMFD) {
		pos = put(out, cap, pos, "memfd '");
		pos = put(out, cap, pos, name);
		pos = put(out, cap, pos, "'");
	} else {
		pos = put(out, cap, pos, name);
	}
	return put(out, cap, pos, "]");
}

/* ------------------------------------------------------------ syscalls --- */

static int raw_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

static int raw_statat(int dirfd, const char *path, struct stat *st, int flags)
{
	return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

/* ------------------------------------------------------------- records --- */

static struct oomph_state_segment *rec(uint32_t i)
{
	return &tracker_state()->segments[i];
}

/* The live record of (dev, ino), or -1.  Under sample_lock. */
static int find_locked(uint64_t dev, uint64_t ino)
{
	for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP; i++) {
		struct oomph_state_segment *r = rec(i);
		if (atomic_load_explicit(&r->state, memory_order_relaxed) == OOMPH_SEGMENT_LIVE &&
		    r->dev == dev && r->ino == ino)
			return (int)i;
	}
	return -1;
}

static int find(uint64_t dev, uint64_t ino)
{
	tracker_lock();
	int i = find_locked(dev, ino);
	tracker_unlock();
	return i;
}

static void set_nlive_locked(int delta)
{
	struct oomph_state_header *h = tracker_state();
	uint32_t n = atomic_load_explicit(&h->shm_live, memory_order_relaxed) + (uint32_t)delta;
	atomic_store_explicit(&h->shm_live, n, memory_order_relaxed);
	atomic_store_explicit(&shm_nlive, n, memory_order_relaxed);
}

/* Change record i's charge to `charge` bytes.  Under sample_lock.  Returns
 * the new total if it grew (for the near-OOM check), else INT64_MIN. */
static int64_t recharge_locked(uint32_t i, int64_t charge)
{
	struct oomph_state_segment *r = rec(i);
	struct oomph_state_header *h = tracker_state();
	int64_t delta = charge - r->bytes, cur = INT64_MIN;
	if (delta > 0)
		cur = tracker_charge_exact_locked(r->node, delta);
	else if (delta < 0)
		tracker_release_exact_locked(r->node, -delta);
	r->bytes = charge;
	atomic_fetch_add_explicit(&h->shm_bytes, delta, memory_order_relaxed);
	return cur;
}

static void release_locked(uint32_t i)
{
	(void)recharge_locked(i, 0);
	atomic_store_explicit(&rec(i)->state, OOMPH_SEGMENT_RELEASED, memory_order_release);
	S.pinned[i] = 0;
	set_nlive_locked(-1);
}

void shm_reset(void)
{
	memset(&S, 0, sizeof(S));
	atomic_store_explicit(&shm_nlive, 0, memory_order_relaxed);
}

/* ------------------------------------------------------------- sizing --- */

int shm_probe(int fd, int dirfd, const char *path, struct shm_ticket *t)
{
	if (!tracker_active())
		return 0;
	int saved = errno;
	struct statfs fs;
	struct stat st;
	int ok = fd >= 0 ? syscall(SYS_fstatfs, fd, &fs) == 0 && raw_fstat(fd, &st) == 0
			 : path && raw_statat(dirfd, path, &st, 0) == 0 &&
				   syscall(SYS_statfs, path, &fs) == 0;
	errno = saved;
	if (!ok || (uint64_t)fs.f_type != TMPFS_MAGIC || !S_ISREG(st.st_mode))
		return 0;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->kind = OOMPH_SEGMENT_TMPFS; /* a memfd is told by its link (name_of) */
	t->idx = -1;
	return 1;
}

/* The segment's name and kind (a memfd's link reads "/memfd:NAME
 * (deleted)"), and for a tmpfs file the path to check later. */
static uint32_t name_of(int fd, const char *path, char *name, char *where)
{
	uint32_t kind = OOMPH_SEGMENT_TMPFS;
	where[0] = 0;
	if (fd >= 0) {
		char link[64], buf[SHM_PATH_MAX];
		memcpy(link, "/proc/self/fd/", 14);
		size_t n = 14;
		char digits[16];
		int k = 0;
		unsigned v = (unsigned)fd;
		do {
			digits[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (k)
			link[n++] = digits[--k];
		link[n] = 0;
		long r = syscall(SYS_readlinkat, AT_FDCWD, link, buf, sizeof(buf) - 1);
		if (r <= 0) {
			memcpy(name, "?", 2);
			return kind;
		}
		if (r >= 7 && !memcmp(buf, "/memfd:", 7))
			kind = OOMPH_SEGMENT_MEMFD;
		shm_name_from_link(buf, (size_t)r, kind, name, OOMPH_SEGMENT_NAME_MAX);
		if (kind == OOMPH_SEGMENT_TMPFS)
			shm_name_from_link(buf, (size_t)r, kind, where, SHM_PATH_MAX);
		return kind;
	}
	size_t n = strlen(path);
	shm_name_from_link(path, n, kind, name, OOMPH_SEGMENT_NAME_MAX);
	if (path[0] == '/')
		shm_name_from_link(path, n, kind, where, SHM_PATH_MAX);
	return kind;
}

void shm_sized(int fd, const char *path, const struct shm_ticket *t, int64_t new_size)
{
	if (!tracker_active())
		return;
	int saved = errno;
	int idx = find(t->dev, t->ino);
	int64_t base = shm_pages(t->size);
	if (idx < 0 && shm_pages(new_size) <= base) {
		errno = saved;
		return; /* not ours, and not grown by us: nothing to pay */
	}
	char name[OOMPH_SEGMENT_NAME_MAX], where[SHM_PATH_MAX], label[OOMPH_SEGMENT_NAME_MAX + 32];
	uint32_t node = 0, frame = 0, kind = t->kind;
	int deferred = 0, fresh = idx < 0;
	if (fresh) {
		/* everything that may call Python or the kernel, before the lock */
		kind = name_of(fd, path, name, where);
		size_t ln = shm_label(kind, name, label, sizeof label);
		uint32_t parent = tracker_capture(&deferred);
		frame = tracker_shared_frame(label, ln);
		node = tracker_node_in(parent, frame);
	}
	tracker_lock();
	struct oomph_state_header *h = tracker_state();
	idx = find_locked(t->dev, t->ino);
	if (idx < 0 && fresh) {
		for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP && idx < 0; i++)
			if (atomic_load_explicit(&rec(i)->state, memory_order_relaxed) !=
			    OOMPH_SEGMENT_LIVE)
				idx = (int)i;
		if (idx < 0) {
			atomic_fetch_or_explicit(&h->overflow, OOMPH_OVERFLOW_SEGMENTS,
						 memory_order_relaxed);
			tracker_unlock();
			errno = saved;
			return;
		}
		struct oomph_state_segment *r = rec((uint32_t)idx);
		r->kind = kind;
		r->node = node;
		r->bytes = 0;
		r->time_ns = tracker_now_ns();
		r->dev = t->dev;
		r->ino = t->ino;
		memcpy(r->name, name, sizeof(r->name));
		S.base[idx] = base;
		S.frame[idx] = frame;
		S.pinned[idx] = 0;
		memcpy(S.path[idx], where, SHM_PATH_MAX);
		atomic_store_explicit(&r->state, OOMPH_SEGMENT_LIVE, memory_order_release);
		atomic_fetch_add_explicit(&h->shm_sized, 1, memory_order_relaxed);
		set_nlive_locked(+1);
		if (deferred)
			tracker_defer_segment_locked((uint32_t)idx, node, deferred);
	}
	int64_t cur = INT64_MIN;
	if (idx >= 0)
		cur = recharge_locked((uint32_t)idx, shm_charge_after(&S.base[idx], new_size));
	tracker_unlock();
	if (cur != INT64_MIN)
		tracker_oom_due(cur);
	errno = saved;
}

uint32_t shm_node_for(uint32_t idx, uint32_t target)
{
	if (idx >= OOMPH_SEGMENTS_CAP)
		return 0;
	tracker_lock();
	uint32_t frame = S.frame[idx];
	tracker_unlock();
	return frame ? tracker_node_in(target, frame) : 0;
}

int shm_retarget_locked(uint32_t idx, uint32_t from, uint32_t to, uint64_t *bytes)
{
	if (idx >= OOMPH_SEGMENTS_CAP || !to)
		return 0;
	struct oomph_state_segment *r = rec(idx);
	if (atomic_load_explicit(&r->state, memory_order_relaxed) != OOMPH_SEGMENT_LIVE ||
	    r->node != from)
		return 0;
	r->node = to;
	*bytes = (uint64_t)r->bytes;
	return 1;
}

/* ------------------------------------------------------------ going away --- */

int shm_match(int fd, int dirfd, const char *path, struct shm_ticket *t)
{
	if (!tracker_active() || !shm_any())
		return 0;
	int saved = errno;
	struct stat st;
	int ok = fd >= 0 ? raw_fstat(fd, &st) == 0
			 : raw_statat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
	errno = saved;
	if (!ok || !S_ISREG(st.st_mode))
		return 0;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->idx = find(st.st_dev, st.st_ino);
	return t->idx >= 0;
}

/* Some descriptor of this process refers to (dev, ino): a scan of
 * /proc/self/fd, made only when a segment may be gone. */
static int held_by_fd(uint64_t dev, uint64_t ino)
{
	int dfd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 1; /* cannot tell: keep it */
	char buf[2048];
	int held = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (long off = 0; off < n && !held;) {
			/* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, 2);
			const char *nm = buf + off + 19;
			off += reclen;
			if (nm[0] < '0' || nm[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = nm; *c >= '0' && *c <= '9'; c++)
				fd = fd * 10 + (*c - '0');
			struct stat st;
			if (fd != dfd && raw_fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev &&
			    (uint64_t)st.st_ino == ino)
				held = 1;
		}
		if (held)
			break;
	}
	syscall(SYS_close, dfd);
	return held;
}

static int mapped_locked(uint32_t idx)
{
	if (S.pinned[idx])
		return 1;
	for (uint32_t k = 0; k < SHM_MAPS; k++)
		if (S.maps[k].used && S.maps[k].idx == idx)
			return 1;
	return 0;
}

void shm_recheck(const struct shm_ticket *t)
{
	if (!tracker_active() || t->idx < 0 || t->idx >= (int)OOMPH_SEGMENTS_CAP)
		return;
	int saved = errno;
	uint32_t i = (uint32_t)t->idx;
	char where[SHM_PATH_MAX];
	tracker_lock();
	struct oomph_state_segment *r = rec(i);
	int alive = atomic_load_explicit(&r->state, memory_order_relaxed) != OOMPH_SEGMENT_LIVE ||
		    r->dev != t->dev || r->ino != t->ino || mapped_locked(i);
	memcpy(where, S.path[i], SHM_PATH_MAX);
	uint32_t kind = r->kind;
	tracker_unlock();
	if (alive) {
		errno = saved;
		return;
	}
	/* still named (a tmpfs file not unlinked), or still open here */
	struct stat st;
	if (kind == OOMPH_SEGMENT_TMPFS && where[0] && raw_statat(AT_FDCWD, where, &st, 0) == 0 &&
	    (uint64_t)st.st_dev == t->dev && (uint64_t)st.st_ino == t->ino)
		alive = 1;
	if (!alive)
		alive = held_by_fd(t->dev, t->ino);
	if (!alive) {
		tracker_lock();
		if (atomic_load_explicit(&r->state, memory_order_relaxed) == OOMPH_SEGMENT_LIVE &&
		    r->dev == t->dev && r->ino == t->ino && !mapped_locked(i))
			release_locked(i);
		tracker_unlock();
	}
	errno = saved;
}

/* ------------------------------------------------------------ mappings --- */

void shm_mapped(int fd, void *addr, size_t len)
{
	if (!tracker_active() || !shm_any() || fd < 0 || !len)
		return;
	int saved = errno;
	struct stat st;
	int ok = raw_fstat(fd, &st) == 0;
	errno = saved;
	if (!ok)
		return;
	tracker_lock();
	int idx = find_locked(st.st_dev, st.st_ino);
	if (idx >= 0) {
		uint32_t k = 0;
		while (k < SHM_MAPS && S.maps[k].used)
			k++;
		if (k < SHM_MAPS) {
			S.maps[k].start = (uintptr_t)addr;
			S.maps[k].end = (uintptr_t)addr + ((len + 4095) & ~(size_t)4095);
			S.maps[k].idx = (uint32_t)idx;
			S.maps[k].used = 1;
		} else {
			S.pinned[idx] = 1; /* cannot follow it: never released early */
		}
	}
	tracker_unlock();
}

void shm_unmapped(void *addr, size_t len)
{
	if (!tracker_active() || !shm_any() || !len)
		return;
	uintptr_t lo = (uintptr_t)addr, hi = lo + ((len + 4095) & ~(size_t)4095);
	struct shm_ticket t[SHM_MAPS];
	int ng = 0;
	tracker_lock();
	for (uint32_t k = 0; k < SHM_MAPS; k++) {
		if (!S.maps[k].used || S.maps[k].end <= lo || S.maps[k].start >= hi)
			continue;
		if (lo <= S.maps[k].start && hi >= S.maps[k].end) {
			S.maps[k].used = 0;
			uint32_t i = S.maps[k].idx;
			if (!mapped_locked(i)) {
				t[ng] = (struct shm_ticket){rec(i)->dev, rec(i)->ino, 0, 0, (int)i};
				ng++;
			}
		} else if (lo <= S.maps[k].start) {
			S.maps[k].start = hi; /* its head went */
		} else if (hi >= S.maps[k].end) {
			S.maps[k].end = lo; /* its tail went */
		} /* a hole in the middle: the rest is still mapped */
	}
	tracker_unlock();
	for (int j = 0; j < ng; j++)
		shm_recheck(&t[j]);
}

void shm_remapped(void *oldaddr, size_t oldlen, void *newaddr, size_t newlen)
{
	if (!tracker_active() || !shm_any())
		return;
	(void)oldlen;
	tracker_lock();
	for (uint32_t k = 0; k < SHM_MAPS; k++)
		if (S.maps[k].used && S.maps[k].start == (uintptr_t)oldaddr) {
			S.maps[k].start = (uintptr_t)newaddr;
			S.maps[k].end = (uintptr_t)newaddr + ((newlen + 4095) & ~(size_t)4095);
			break;
		}
	tracker_unlock();
}

/* ----------------------------------------------------------------- fork --- */

void shm_atfork_child(void)
{
	struct oomph_state_header *h = tracker_state();
	tracker_lock();
	for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP; i++) {
		struct oomph_state_segment *r = rec(i);
		if (atomic_load_explicit(&r->state, memory_order_relaxed) == OOMPH_SEGMENT_LIVE)
			(void)recharge_locked(i, 0); /* the parent's: paid there */
		atomic_store_explicit(&r->state, OOMPH_SEGMENT_EMPTY, memory_order_relaxed);
	}
	memset(&S, 0, sizeof(S));
	atomic_store_explicit(&h->shm_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&h->shm_live, 0, memory_order_relaxed);
	atomic_store_explicit(&h->shm_sized, 0, memory_order_relaxed);
	atomic_store_explicit(&shm_nlive, 0, memory_order_relaxed);
	tracker_unlock();
}
