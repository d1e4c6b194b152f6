/* tracker/hooks.c — the interposed functions, and nothing else: each one
 * calls the real function and reports to the tracker API (tracker.h).
 *
 * The real allocator is the program's own (allocator.h): glibc's __libc_*
 * entry points, or another allocator preloaded after us (jemalloc,
 * tcmalloc), reached through one table resolved at the first allocation
 * without allocating (so no hook ever needs dlsym to serve, and dlsym itself
 * may allocate).  The mmap family goes through raw syscalls; an mmap made
 * by that other allocator for its own arenas is not counted (its blocks
 * are).  Shared memory (shm.h): the calls that size a file are watched for
 * memfds and tmpfs files, and close/munmap/unlink for the segments' end
 * (only while one is live: one load otherwise).  Fork handling is in tracker.c (pthread_atfork: our prepare handler
 * runs last, after other libraries' handlers that may allocate; our child
 * handler runs first).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state/format.h"
#include "tracker/allocator.h"
#include "tracker/control.h"
#include "tracker/pyexit.h"
#include "tracker/pystack.h"
#include "tracker/shm.h"
#include "tracker/tracker.h"

#define EXPORT __attribute__((visibility("default")))

/* A block from the real allocator: tracked, or (NULL for a non-zero
 * request) recorded as a failed allocation. */
static inline void *note_alloc(void *p, size_t asked, const char *call)
{
	tracker_note_c_call();
	if (__builtin_expect(tracker_active(), 1)) {
		if (p)
			tracker_on_alloc(p, alloc_usable_size(p));
		else if (asked)
			tracker_on_failure(call, asked, errno);
	}
	return p;
}

EXPORT void *malloc(size_t n)
{
	return note_alloc(alloc_malloc(n), n, "malloc");
}

EXPORT void *calloc(size_t n, size_t m)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, m, &bytes))
		bytes = SIZE_MAX;
	return note_alloc(alloc_calloc(n, m), bytes, "calloc");
}

EXPORT void free(void *p)
{
	if (p && tracker_active())
		tracker_on_free(p, alloc_usable_size(p));
	alloc_free(p);
}

EXPORT void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	tracker_note_c_call();
	if (!tracker_active())
		return alloc_realloc(p, n);
	size_t old = alloc_usable_size(p);
	struct tracker_realloc_ticket t;
	tracker_realloc_begin(p, &t);
	void *q = alloc_realloc(p, n);
	if (!q && n == 0) { /* glibc: realloc(p, 0) frees p */
		tracker_realloc_end(p, old, NULL, 0, &t);
		tracker_on_free(p, old); /* _end put the record back: now drop it */
		return NULL;
	}
	tracker_realloc_end(p, old, q, q ? alloc_usable_size(q) : 0, &t);
	if (!q)
		tracker_on_failure("realloc", n, errno);
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, m, &bytes)) {
		errno = ENOMEM;
		if (tracker_active())
			tracker_on_failure("reallocarray", SIZE_MAX, ENOMEM);
		return NULL;
	}
	return realloc(p, bytes);
}

EXPORT void *memalign(size_t align, size_t n)
{
	return note_alloc(alloc_memalign(align, n), n, "memalign");
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return note_alloc(alloc_memalign(align, n), n, "aligned_alloc");
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = alloc_memalign(align, n);
	errno = saved;
	if (!p) {
		tracker_note_c_call();
		if (n && tracker_active())
			tracker_on_failure("posix_memalign", n, ENOMEM);
		return ENOMEM;
	}
	*out = note_alloc(p, n, "posix_memalign");
	return 0;
}

EXPORT void *valloc(size_t n)
{
	return note_alloc(alloc_valloc(n), n, "valloc");
}

EXPORT void *pvalloc(size_t n)
{
	return note_alloc(alloc_pvalloc(n), n, "pvalloc");
}

/* ------------------------------------------------------------------ mmap --- */

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* ra: the caller's return address (the other allocator's own arenas are
 * not counted: the blocks it hands out from them are). */
static void *hooked_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
			 const void *ra)
{
	void *r = raw_mmap(addr, len, prot, flags, fd, off);
	if (!tracker_active() || alloc_is_own_call(ra))
		return r;
	if (r != MAP_FAILED) {
		/* Reservations with PROT_NONE hold no memory; a file mapping
		 * placed over an anonymous one (MAP_FIXED) replaces it. */
		if ((flags & MAP_ANONYMOUS) && prot != PROT_NONE && (flags & MAP_SHARED))
			tracker_on_shared_mmap(r, len);
		else if ((flags & MAP_ANONYMOUS) && prot != PROT_NONE)
			tracker_on_mmap(r, len);
		else if (flags & MAP_FIXED)
			tracker_on_munmap(r, len);
		if (__builtin_expect(shm_any(), 0)) {
			if (flags & MAP_FIXED)
				shm_unmapped(r, len);
			if ((flags & MAP_SHARED) && !(flags & MAP_ANONYMOUS))
				shm_mapped(fd, r, len);
		}
	} else if ((flags & MAP_ANONYMOUS) && prot != PROT_NONE) {
		tracker_on_failure("mmap", len, errno);
	}
	return r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return hooked_mmap(addr, len, prot, flags, fd, off, __builtin_return_address(0));
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return hooked_mmap(addr, len, prot, flags, fd, off, __builtin_return_address(0));
}

EXPORT int munmap(void *addr, size_t len)
{
	/* Before the real call: once unmapped, another thread may get the same
	 * addresses from mmap and record them. */
	if (tracker_active() && !alloc_is_own_call(__builtin_return_address(0)))
		tracker_on_munmap(addr, len);
	int rc = (int)syscall(SYS_munmap, addr, len);
	if (__builtin_expect(shm_any(), 0) && rc == 0) {
		int saved = errno;
		shm_unmapped(addr, len);
		errno = saved;
	}
	return rc;
}

EXPORT void *mremap(void *old, size_t oldlen, size_t newlen, int flags, ...)
{
	void *want = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	void *r = (void *)syscall(SYS_mremap, old, oldlen, newlen, flags, want);
	if (!tracker_active() || alloc_is_own_call(__builtin_return_address(0)))
		return r;
	if (r != MAP_FAILED)
		tracker_on_mremap(old, oldlen, r, newlen);
	else if (newlen > oldlen)
		tracker_on_failure("mremap", newlen, errno);
	if (r != MAP_FAILED && __builtin_expect(shm_any(), 0))
		shm_remapped(old, oldlen, r, newlen);
	return r;
}

/* -------------------------------------------------------- shared memory --- */

/* Sizing a file: a memfd's or a tmpfs file's growth is a segment's.
 * (syscall() returns -1 with errno set; shm_* keep errno.) */
EXPORT int ftruncate(int fd, off_t len)
{
	struct shm_ticket t;
	int seg = shm_probe(fd, AT_FDCWD, NULL, &t);
	if (syscall(SYS_ftruncate, fd, len) != 0)
		return -1;
	if (seg)
		shm_sized(fd, NULL, &t, (int64_t)len);
	return 0;
}

EXPORT int ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

EXPORT int truncate(const char *path, off_t len)
{
	struct shm_ticket t;
	int seg = shm_probe(-1, AT_FDCWD, path, &t);
	if (syscall(SYS_truncate, path, len) != 0)
		return -1;
	if (seg)
		shm_sized(-1, path, &t, (int64_t)len);
	return 0;
}

EXPORT int truncate64(const char *path, off_t len)
{
	return truncate(path, len);
}

/* fallocate without FALLOC_FL_KEEP_SIZE (or any other mode bit) sizes the
 * file to at least off + len; other modes are not followed. */
EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	struct shm_ticket t;
	int seg = mode == 0 && shm_probe(fd, AT_FDCWD, NULL, &t);
	if (syscall(SYS_fallocate, fd, mode, off, len) != 0)
		return -1;
	if (seg && off + len > t.size)
		shm_sized(fd, NULL, &t, (int64_t)(off + len));
	return 0;
}

EXPORT int fallocate64(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

typedef int (*posix_fallocate_fn)(int, off_t, off_t);

static int hooked_posix_fallocate(const char *name, posix_fallocate_fn *real, int fd, off_t off,
				  off_t len)
{
	if (!*real) {
		*real = (posix_fallocate_fn)dlsym(RTLD_NEXT, name);
		if (!*real)
			return ENOSYS;
	}
	struct shm_ticket t;
	int seg = shm_probe(fd, AT_FDCWD, NULL, &t);
	int rc = (*real)(fd, off, len); /* an errno value, not -1 */
	if (seg && rc == 0 && off + len > t.size)
		shm_sized(fd, NULL, &t, (int64_t)(off + len));
	return rc;
}

EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	static posix_fallocate_fn real;
	return hooked_posix_fallocate("posix_fallocate", &real, fd, off, len);
}

EXPORT int posix_fallocate64(int fd, off_t off, off_t len)
{
	static posix_fallocate_fn real;
	return hooked_posix_fallocate("posix_fallocate64", &real, fd, off, len);
}

/* The end of a segment: its last descriptor, mapping or name gone here. */
extern int __close(int fd);

EXPORT int close(int fd)
{
	struct shm_ticket t;
	if (__builtin_expect(!shm_any(), 1) || !shm_match(fd, AT_FDCWD, NULL, &t))
		return __close(fd);
	int rc = __close(fd);
	int saved = errno;
	shm_recheck(&t);
	errno = saved;
	return rc;
}

static int unlinked(int dirfd, const char *path, int flags)
{
	struct shm_ticket t;
	int seg = shm_any() && !(flags & AT_REMOVEDIR) && shm_match(-1, dirfd, path, &t);
	if (syscall(SYS_unlinkat, dirfd, path, flags) != 0)
		return -1;
	if (seg)
		shm_recheck(&t);
	return 0;
}

EXPORT int unlink(const char *path)
{
	return unlinked(AT_FDCWD, path, 0);
}

EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	return unlinked(dirfd, path, flags);
}

typedef int (*shm_unlink_fn)(const char *);

/* glibc's shm_unlink unlinks /dev/shm/NAME itself (not through unlink). */
EXPORT int shm_unlink(const char *name)
{
	static shm_unlink_fn real;
	if (!real) {
		real = (shm_unlink_fn)dlsym(RTLD_NEXT, "shm_unlink");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	struct shm_ticket t;
	int seg = 0;
	if (shm_any() && name) {
		char path[512] = "/dev/shm/";
		const char *n = name;
		while (*n == '/')
			n++;
		size_t k = strlen(n);
		if (k + 10 <= sizeof path) {
			memcpy(path + 9, n, k + 1);
			seg = shm_match(-1, AT_FDCWD, path, &t);
		}
	}
	int rc = real(name);
	if (seg && rc == 0) {
		int saved = errno;
		shm_recheck(&t);
		errno = saved;
	}
	return rc;
}

/* -------------------------------------------------------------- threads --- */

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	uint32_t node;
};

static void *thread_trampoline(void *p)
{
	struct thread_start s = *(struct thread_start *)p;
	alloc_free(p);
	tracker_thread_adopt(s.node);
	return s.fn(s.arg);
}

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static pthread_create_fn real;
	if (!real) {
		real = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
		if (!real)
			return EAGAIN;
	}
	if (!tracker_active())
		return real(t, attr, fn, arg);
	/* The new thread inherits the creator's Python stack: a BLAS or OpenMP
	 * pool is charged to the line that started it. */
	struct thread_start *s = alloc_malloc(sizeof(*s));
	if (!s)
		return EAGAIN;
	s->fn = fn;
	s->arg = arg;
	s->node = tracker_current_node();
	int rc = real(t, attr, thread_trampoline, s);
	if (rc)
		alloc_free(s);
	return rc;
}

/* ------------------------------------------------------------ exit, exec --- */

EXPORT void _exit(int code)
{
	tracker_on_exit(code);
	for (;;)
		syscall(SYS_exit_group, code);
}

EXPORT void _Exit(int code)
{
	_exit(code);
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);

#define EXEC_WRAPPER(name, type, call)                                   \
	static type real;                                                \
	if (!real)                                                       \
		real = (type)dlsym(RTLD_NEXT, name);                     \
	if (!real) {                                                     \
		errno = ENOSYS;                                          \
		return -1;                                               \
	}                                                                \
	tracker_on_exec();                                               \
	int rc = call;                                                   \
	int saved = errno;                                               \
	tracker_on_exec_failed();                                        \
	errno = saved;                                                   \
	return rc;

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	EXEC_WRAPPER("execve", execve_fn, real(path, argv, envp))
}

EXPORT int execv(const char *path, char *const argv[])
{
	EXEC_WRAPPER("execv", execv_fn, real(path, argv))
}

EXPORT int execvp(const char *file, char *const argv[])
{
	EXEC_WRAPPER("execvp", execv_fn, real(file, argv))
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	EXEC_WRAPPER("execvpe", execve_fn, real(file, argv, envp))
}

/* -------------------------------------------------------------- signals --- */

/* oomph's snapshot handler stays out of sight: a program asking what its
 * snapshot signal does is told "the default" (so Python's signal.getsignal
 * says SIG_DFL, and a saved handler can be put back); setting it replaces
 * ours, as it would replace the default. */
typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static sigaction_fn real;
	if (!real) {
		real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	int rc = real(sig, act, old);
	if (rc == 0 && old) {
		control_hide_handler(sig, old);
		tracker_hide_handler(sig, old);
	}
	/* CPython's start installs its handlers once its imports work: the
	 * moment to ask for the exit's exception (pyexit.h) */
	pyexit_schedule();
	return rc;
}

/* ------------------------------------------------------------ lifecycle --- */

/* A process that will not be profiled says why, in <dir>/<pid>.note, so
 * that a report with no profile can tell the user (best effort: a process
 * that changed user cannot write there either).  No stdio this early. */
static void leave_note(const char *dir, const char *why, const char *detail)
{
	char path[4096], name[OOMPH_STATE_NAME_MAX];
	size_t n = strlen(dir), k = oomph_note_name(name, (unsigned long)getpid());
	if (n + k + 2 > sizeof path)
		return;
	memcpy(path, dir, n);
	path[n] = '/';
	memcpy(path + n + 1, name, k + 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ssize_t w = write(fd, why, strlen(why));
	if (detail && w >= 0)
		w = write(fd, detail, strlen(detail));
	(void)w;
	close(fd);
}

__attribute__((constructor)) static void oomph_start(void)
{
	const char *dir = getenv(OOMPH_ENV_STATE_DIR);
	if (!dir || !*dir)
		return;
	const char *cannot = alloc_untrackable();
	if (cannot) {
		/* its blocks' sizes cannot be known: run untracked, and say so */
		leave_note(dir, "its allocator has no malloc_usable_size, so its blocks cannot be "
			   "sized: ", cannot);
		return;
	}
	if (!pystack_init()) {
		/* not CPython 3.9+: stay out of the way; if it is an older
		 * Python, say so (a shell or a C tool: nothing to say) */
		typedef const char *(*version_fn)(void);
		version_fn v = (version_fn)dlsym(RTLD_DEFAULT, "Py_GetVersion");
		if (v)
			leave_note(dir, "it is not a CPython oomph can profile (3.9 or newer): Python ", v());
		return;
	}
	const char *rate = getenv(OOMPH_ENV_SAMPLE_RATE);
	struct tracker_config cfg = {
		.state_dir = dir,
		.sample_rate = rate ? strtoull(rate, NULL, 10) : OOMPH_DEFAULT_SAMPLE_RATE,
		.source = pystack_source(),
		.python_version = pystack_version(),
		.state_flags = 0,
	};
	const char *oom = getenv(OOMPH_ENV_ON_OOM);
	if (oom && !strcmp(oom, "stop"))
		cfg.oom_mode = OOMPH_OOM_STOP;
	else if (oom && !strcmp(oom, "off"))
		cfg.oom_mode = OOMPH_OOM_OFF;
	const char *thr = getenv(OOMPH_ENV_OOM_THRESHOLD);
	if (thr)
		cfg.oom_threshold = (int64_t)strtoll(thr, NULL, 10);
	/* The snapshot signal: SIGUSR2 unless the supervisor says (0: none). */
	const char *ss = getenv(OOMPH_ENV_SNAPSHOT_SIGNAL);
	cfg.snapshot_signal = ss ? (int)strtol(ss, NULL, 10) : SIGUSR2;
	const char *hist = getenv(OOMPH_ENV_HISTORY);
	cfg.history_off = hist && !strcmp(hist, "off");
	const char *pm = getenv("PYTHONMALLOC");
	if (pm && pm[0] == 'm')
		cfg.state_flags |= OOMPH_STATE_F_PYMALLOC_OFF;
	int rc = tracker_init(&cfg);
	if (rc < 0)
		leave_note(dir, "it could not create its profile in the state directory: ",
			   strerror(-rc));
}

__attribute__((destructor)) static void oomph_stop(void)
{
	tracker_on_exit(-1);
}
