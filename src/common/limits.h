/* common/limits.h — which memory limit is in force for a process, and how
 * close it is.
 *
 * Contract
 *   - Used inside the profiled process (the tracker, at start and at every
 *     near-OOM check) as well as by the supervisor: no malloc, no stdio, no
 *     locks — only open/read/close/getrlimit on the caller's buffers.  Safe to
 *     call from a malloc hook; never calls malloc.
 *   - `root` prefixes every path read ("" for the real machine; a fixture
 *     directory in tests): ROOT/proc/self/cgroup, ROOT/proc/self/mountinfo,
 *     ROOT/sys/fs/cgroup/..., ROOT/proc/meminfo, ROOT/proc/self/status.
 *   - limits_detect() considers, and names, every limit that applies:
 *       cgroup v2: memory.max and memory.high of the process's cgroup and of
 *                  every ancestor (the smallest wins);
 *       cgroup v1: memory.limit_in_bytes of the process's memory cgroup, and
 *                  hierarchical_memory_limit in its memory.stat (a limit set
 *                  on a parent);
 *       RLIMIT_AS, RLIMIT_DATA (soft limits, passed in by the caller so
 *                  tests can choose them);
 *       the machine: MemTotal from /proc/meminfo (when nothing else applies).
 *     "Unlimited" values (v2 "max", v1 values >= 2^62) are ignored.  The
 *     smallest effective limit wins and is described in `source`.
 *   - limits_usage() reads the current usage that counts against the winning
 *     limit, in the same units: cgroup: usage (memory.current /
 *     memory.usage_in_bytes) minus inactive_file from memory.stat (page cache
 *     the kernel would reclaim before an OOM kill); rlimit-as: VmSize;
 *     rlimit-data: VmData (/proc/self/status); system: MemTotal -
 *     MemAvailable.  headroom = limit_bytes - usage.
 *   - Both return 0 or a negative errno.  limits_detect() with nothing
 *     readable still returns 0 with kind LIMIT_NONE.
 */
#ifndef OOMPH_LIMITS_H
#define OOMPH_LIMITS_H

#include <stdint.h>
#include <sys/resource.h>

enum limit_kind {
	LIMIT_NONE = 0,
	LIMIT_CGROUP_V2,
	LIMIT_CGROUP_V1,
	LIMIT_RLIMIT_AS,
	LIMIT_RLIMIT_DATA,
	LIMIT_SYSTEM,
};

#define LIMITS_PATH_MAX 512

struct limits {
	int64_t limit_bytes;     /* the winning limit; 0 = none found */
	enum limit_kind kind;
	char source[256];        /* e.g. "cgroup v1 memory.limit_in_bytes of
				    /sys/fs/cgroup/memory/a/b" or "RLIMIT_AS" */
	/* where limits_usage() reads (filled by limits_detect) */
	char usage_path[LIMITS_PATH_MAX]; /* memory.current, usage_in_bytes, ... */
	char stat_path[LIMITS_PATH_MAX];  /* memory.stat, or "" */
	/* the process's own cgroup directories, when found ("" otherwise):
	 * the supervisor uses them for oom_kill counters and PSI */
	char cgroup_v2_dir[LIMITS_PATH_MAX];
	char cgroup_v1_memory_dir[LIMITS_PATH_MAX];
	int64_t system_total;    /* MemTotal, bytes; 0 if unknown */
};

/* `as` and `data` are the soft limits to consider (RLIM_INFINITY: none);
 * pass NULL to have getrlimit() asked. */
int limits_detect(const char *root, const struct rlimit *as, const struct rlimit *data,
		  struct limits *out);

int limits_usage(const struct limits *l, int64_t *usage_bytes);

/* "cgroup-v2", "cgroup-v1", "rlimit-as", "rlimit-data", "system", "" */
const char *limits_kind_name(enum limit_kind k);

#endif
