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
 *   - memstat_parse() reads, in one pass, the counters oomph follows from
 *     a memory.stat (cgroup v1 or v2) or /proc/vmstat: working-set refaults
 *     (workingset_refault_anon/_file, pages that were evicted and had to be
 *     read back while still in use — the kernel's own measure of
 *     thrashing), swap in use (v1 memory.stat "swap", bytes) and pages
 *     swapped in and out (pswpin/pswpout, plus swpin_zero/swpout_zero — zero
 *     pages move without I/O; /proc/vmstat, and the memory.stat of newer v2
 *     kernels).  refaults_parse()/refaults_read() are the
 *     refault sum alone.
 *   - proc_vmswap_parse(), proc_vmrss_parse() and proc_vmhwm_parse() read
 *     VmSwap, VmRSS, VmHWM (kB, returned in bytes) from a /proc/PID/status;
 *     proc_rss_split_parse() what a process's RSS is made of, from its
 *     /proc/PID/smaps_rollup (Rss, Pss, Anonymous, Pss_Shmem, Shared_*,
 *     Swap; file-backed is what is neither anonymous nor shmem) or, where
 *     that cannot be read, its /proc/PID/status (VmRSS, RssAnon, RssFile,
 *     RssShmem, VmSwap): the one parser of both, each field -1 when absent,
 *     -ENODATA without an RSS; proc_pss_parse() its Pss alone;
 *     meminfo_swap_parse() SwapTotal/SwapFree from /proc/meminfo.
 *   - The stall detector is fed, every tick, a struct stall_sample of
 *     cumulative counters (any of them STALL_UNKNOWN): the "some" stall time
 *     (exact, unlike avg10 which lags), refaults, pages swapped in and out,
 *     the program's kernel CPU time, and the program's swap now.  They are
 *     turned into rates over the last STALL_WINDOW_S.  The program is
 *     thrashing when the stall share stays at or above STALL_THRESHOLD_PCT,
 *     or its working set is read back (refaults, or swap-ins when those are
 *     counted for the program alone: `swapin_own`) at or above
 *     REFAULT_THRESHOLD pages/s, for STALL_SUSTAIN_S without a break.  (On a
 *     fast disk, or a VM whose disk is the host's page cache, refaults and
 *     swap-ins are served in microseconds and PSI stays low while the
 *     working set plainly does not fit: the read-back rate still says so.)
 *     It keeps the worst share, the stalled seconds, when the sustained
 *     stall began and how long it lasted.
 *   - Swapping: swap-ins plus swap-outs at or above SWAP_RATE_MIN bytes/s
 *     while the program has swap in use (or its swap is unknown);
 *     `swapping_now` once that has held for STALL_SUSTAIN_S; `swap_seconds`
 *     adds up every interval spent swapping, sustained or not.
 *   - `over_limit` (--max-stall): for STALL_SUSTAIN_S, the PSI share at or
 *     above the caller's percentage, or — while the working set is read
 *     back at or above REFAULT_THRESHOLD pages/s — the share of time the
 *     program spent in the kernel (reclaiming, faulting pages in) at or
 *     above it: where swap-ins are fast PSI sees little waiting, but the
 *     time is lost all the same.  `over_by` says which.
 *   - Pure computation apart from the *_read functions and proc_majflt;
 *     never used inside the profiled process.
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
/* majflt and stime (field 15, clock ticks) of one /proc/PID/stat */
int proc_stat_parse(const char *stat_text, uint64_t *majflt, uint64_t *stime_ticks);
int proc_vmswap_parse(const char *status_text, int64_t *bytes);
int proc_vmrss_parse(const char *status_text, int64_t *bytes);
int proc_vmhwm_parse(const char *status_text, int64_t *bytes);
int proc_pss_parse(const char *smaps_rollup_text, int64_t *bytes);
/* Bytes; -1 when the file does not say. */
struct proc_rss_split {
	int64_t rss, pss;
	int64_t anon;          /* private anonymous pages (heap, anonymous mmap) */
	int64_t file;          /* file-backed: the interpreter, shared libraries, mapped files */
	int64_t shmem;         /* shared memory: tmpfs, memfd, shared anonymous */
	int64_t shared;        /* pages shared with another process (smaps_rollup) */
	int64_t shared_dirty;  /* (its dirty part, added into shared) */
	int64_t swap;
};
int proc_rss_split_parse(const char *status_or_smaps_rollup, struct proc_rss_split *out);
int meminfo_swap_parse(const char *meminfo_text, int64_t *total, int64_t *free_bytes);

#define STALL_UNKNOWN UINT64_MAX

struct memstat {
	uint64_t refaults;        /* pages; STALL_UNKNOWN when absent */
	uint64_t swap_bytes;      /* v1 memory.stat "swap" */
	uint64_t pswpin, pswpout; /* pages, zero-filled ones included */
};
int memstat_parse(const char *text, struct memstat *out); /* -ENODATA: none found */
int memstat_read(const char *path, struct memstat *out);
int refaults_parse(const char *text, uint64_t *refaults);
int refaults_read(const char *path, uint64_t *refaults);

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
/* 1 MiB/s in and out together: a program whose cold pages go to swap once
 * moves far less; one that lives in swap moves this much every second. */
#define SWAP_RATE_MIN (1024.0 * 1024.0)

struct stall_sample {
	double t_s;
	uint64_t some_us;          /* cumulative PSI "some" stall time */
	uint64_t refaults;         /* cumulative working-set refaults, pages */
	uint64_t swapin, swapout;  /* cumulative pages swapped in, out */
	uint64_t sys_us;           /* cumulative kernel CPU time of the program */
	int64_t swap_bytes;        /* the program's swap now; < 0 unknown */
};

enum stall_over { STALL_OVER_NONE, STALL_OVER_PSI, STALL_OVER_KERNEL_TIME };

struct stall_detector {
	double limit_pct;        /* --max-stall, or 0 */
	int swapin_own;          /* swap-ins are the program's alone: they
				    count as its working set read back */
	long page_size;
	struct stall_sample ring[STALL_RING];
	int n, head;
	double first_t;
	uint64_t first_some_us, last_some_us;
	double above_since;      /* < 0: not above the threshold now */
	double over_since;       /* the same for limit_pct */
	double swap_since;       /* < 0: not swapping now */
	/* results (rates: -1 unknown) */
	double share_pct;        /* the latest windowed PSI share */
	double max_share_pct;
	double refault_rate;     /* pages/s over the window */
	double max_refault_rate;
	double readback_rate;    /* refaults, or own swap-ins: pages/s */
	double swapin_rate, swapout_rate;        /* bytes/s over the window */
	double max_swapin_rate, max_swapout_rate;
	double sys_share_pct;    /* the program's kernel time, share of wall */
	int thrashing;           /* a sustained stall was seen */
	double thrash_start_s;   /* when the first sustained stall began */
	double thrash_seconds;   /* the longest sustained stall */
	int thrashing_now;
	int swapping_active;     /* at or above SWAP_RATE_MIN in this window */
	int swapping_now;        /* ... for STALL_SUSTAIN_S */
	int swapped;             /* swapping_now was seen */
	double swap_seconds;     /* seconds spent swapping, in all */
	double swapping_for_s;   /* how long the current swapping has lasted */
	int over_limit;          /* limit_pct held for STALL_SUSTAIN_S */
	enum stall_over over_by;
	double over_share_pct;   /* the share that crossed it (when over_limit) */
};

void stall_init(struct stall_detector *d, double limit_pct);
void stall_feed_sample(struct stall_detector *d, const struct stall_sample *s);
/* stall_feed_sample() with PSI and refaults only */
void stall_feed(struct stall_detector *d, double t_s, uint64_t some_total_us,
		uint64_t refaults);
/* seconds stalled ("some") since the first sample */
double stall_total_s(const struct stall_detector *d);

#endif
