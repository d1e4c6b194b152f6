/* supervisor/cgroup.h — a private memory cgroup for `oomph run --limit`.
 *
 * Contract
 *   - cgroup_create() makes a memory cgroup of oomph's own, as a child of
 *     the cgroup oomph runs in: cgroup v2 when the memory controller can be
 *     delegated to a child there (memory.max = limit, memory.swap.max =
 *     swap), else cgroup v1 (memory.limit_in_bytes = limit and, when the
 *     kernel accounts swap, memory.memsw.limit_in_bytes = limit + swap).
 *     `swap_bytes` is --swap: the swap allowed beyond the memory limit, 0
 *     (the default) for none, so swap cannot stretch the limit.  Where the
 *     kernel does not account swap (no memory.swap.max, no memsw files)
 *     swap cannot be limited: swap_limited = 0, swap_allowed_bytes = -1.  With v1, a child is also made in the cgroup2 hierarchy when
 *     one is mounted (even without controllers it has memory.pressure), so
 *     the program's own memory stall (PSI) can be read.  Directories are
 *     named oomph-<pid>-<n>.  Returns 0, or -errno with a message when no
 *     cgroup can be made (not root, read-only, no memory controller): the
 *     caller then falls back to RLIMIT_DATA and says so.
 *   - cgroup_attach_self() runs in the child between fork and exec: it
 *     moves the calling process into every directory made.  Only
 *     open/write/close (no allocation).
 *   - cgroup_oom_kills() reads the kernel's count of OOM kills in the
 *     memory cgroup (v2 memory.events, v1 memory.oom_control: "oom_kill").
 *   - cgroup_peak() reads the kernel's high-water mark of the cgroup's
 *     memory (v2 memory.peak, v1 memory.max_usage_in_bytes; page cache
 *     charged to it included), in bytes; -errno (-ENOENT once destroyed).
 *   - cgroup_pressure_path(), cgroup_stat_path(), cgroup_swap_path(): the
 *     files the watch reads each tick (memory.pressure, memory.stat, v2
 *     memory.swap.current; "" when there is none — v1 keeps its swap in
 *     memory.stat).
 *   - cgroup_destroy() removes every directory made, whatever happened:
 *     processes still inside (ours: only what we started is there) are
 *     killed first.  Idempotent.
 *   - Never used inside the profiled process; never touches a cgroup it did
 *     not create (beyond reading its own cgroup's files and, for v2,
 *     enabling the memory controller for its children).
 */
#ifndef OOMPH_CGROUP_H
#define OOMPH_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct ocgroup {
	char mode[16];               /* "cgroup-v2", "cgroup-v1", "" (none) */
	char mem_dir[PATH_MAX];      /* the memory cgroup made */
	char psi_dir[PATH_MAX];      /* v1: the cgroup2 child for PSI, or "" */
	int64_t limit_bytes;
	int swap_limited;            /* the kernel bounds its swap */
	int64_t swap_allowed_bytes;  /* swap beyond the limit; -1: unbounded */
	int destroyed;               /* the names stay, for the evidence */
};

int cgroup_create(struct ocgroup *cg, int64_t limit_bytes, int64_t swap_bytes, char *err,
		  size_t errlen);
int cgroup_attach_self(const struct ocgroup *cg);
int cgroup_oom_kills(const struct ocgroup *cg, uint64_t *n);
int cgroup_peak(const struct ocgroup *cg, int64_t *bytes);
/* The program's memory.pressure file, or "" when there is none. */
void cgroup_pressure_path(const struct ocgroup *cg, char *out, size_t cap);
void cgroup_stat_path(const struct ocgroup *cg, char *out, size_t cap);
void cgroup_swap_path(const struct ocgroup *cg, char *out, size_t cap);
void cgroup_destroy(struct ocgroup *cg);
/* Remove a private cgroup left by a run whose oomph died (its path from
 * run.meta): only a directory named oomph-* under /sys/fs/cgroup/; what is
 * still inside is killed first.  0, -EPERM (not ours), -ENOENT, -EBUSY. */
int cgroup_remove(const char *dir);

#endif
