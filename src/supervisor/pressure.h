/* supervisor/pressure.h — memory pressure while the program runs: PSI,
 * major faults, and a detector for sustained stalls (thrashing).
 *
 * Contract
 *   - psi_read() parses a PSI file (/proc/pressure/memory, or a cgroup's
 *     memory.pressure): "some avg10=.. avg60=.. avg300=.. total=US" and the
 *     same for "full" (absent on old kernels: full stays zero).  -errno if
 *     the file cannot be read, -EINVAL if it is not PSI.
 *   - proc_majflt() reads a process's major-fault count (field 12 of
 *     /proc/PID/stat, counted after the last ')': comm may hold anything).
 *   - refaults_read() sums workingset_refault_anon/_file from a
 *     memory.stat (cgroup v1 or v2) or /proc/vmstat: pages that were
 *     evicted and had to be read back while still in use — the kernel's own
 *     measure of thrashing.
 *   - The stall detector is fed, every tick, the cumulative "some" stall
 *     time (exact, unlike avg10 which lags) and the cumulative refault
 *     count (UINT64_MAX: unknown).  Both are turned into rates over the last
 *     STALL_WINDOW_S; the program is thrashing when the stall share stays at
 *     or above STALL_THRESHOLD_PCT, or the refault rate at or above
 *     REFAULT_THRESHOLD pages/s, for STALL_SUSTAIN_S without a break.  (On a
 *     fast disk, or a VM whose disk is the host's page cache, refaults are
 *     served in microseconds and PSI stays low while the working set plainly
 *     does not fit: the refault rate still says so.)  It keeps the worst share, the stalled seconds, when
 *     the sustained stall began and how long it lasted; `over_limit` says
 *     the same test with a caller's percentage (--max-stall) has held for
 *     STALL_SUSTAIN_S.
 *   - Pure computation apart from psi_read/proc_majflt; never used inside
 *     the profiled process.
 */
#ifndef OOMPH_PRESSURE_H
#define OOMPH_PRESSURE_H

#include <stdint.h>
#include <sys/types.h>

struct psi_line {
	double avg10, avg60, avg300;
	uint64_t total_us;
};
struct psi {
	struct psi_line some, full;
};

int psi_parse(const char *text, struct psi *out);
int psi_read(const char *path, struct psi *out);
int proc_majflt_parse(const char *stat_text, uint64_t *majflt);
int proc_majflt(pid_t pid, uint64_t *majflt);

/* 20% of wall time with at least one task stalled on memory (measured over
 * 1 s windows, so a 1 s spike cannot look like 2 s of stall), for 2 s on
 * end: a program that spends a fifth of its time waiting for memory is
 * visibly slowed (the kernel's PSI documentation uses 150 ms per second as
 * its example trigger), and 2 s rules out the stall of one big allocation
 * or one page-cache refill. */
#define STALL_THRESHOLD_PCT 20.0
#define STALL_WINDOW_S 1.0
#define STALL_SUSTAIN_S 2.0
#define STALL_RING 64
/* 1000 pages/s = 4 MiB/s of working set read back from disk, sustained. */
#define REFAULT_THRESHOLD 1000.0

struct stall_detector {
	double limit_pct;        /* --max-stall, or 0 */
	struct { double t; uint64_t some_us, refaults; } ring[STALL_RING];
	int n, head;
	double first_t;
	uint64_t first_some_us, last_some_us;
	double above_since;      /* < 0: not above the threshold now */
	double over_since;       /* the same for limit_pct */
	/* results */
	double share_pct;        /* the latest windowed share */
	double max_share_pct;
	double refault_rate;     /* pages/s over the window; -1 unknown */
	double max_refault_rate;
	int thrashing;           /* a sustained stall was seen */
	double thrash_start_s;   /* when the first sustained stall began */
	double thrash_seconds;   /* the longest sustained stall */
	int thrashing_now;
	int over_limit;          /* limit_pct held for STALL_SUSTAIN_S */
};

void stall_init(struct stall_detector *d, double limit_pct);
void stall_feed(struct stall_detector *d, double t_s, uint64_t some_total_us,
		uint64_t refaults);
int refaults_parse(const char *text, uint64_t *refaults);
int refaults_read(const char *path, uint64_t *refaults);
/* seconds stalled ("some") since the first sample */
double stall_total_s(const struct stall_detector *d);

#endif
