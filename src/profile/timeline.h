/* profile/timeline.h — memory over time, sampled by the supervisor.
 *
 * Contract
 *   - RUN_DIR/timeline.tsv is text: a marker line "# oomph timeline 2", a
 *     comment line naming the columns, then one line per sample:
 *         t_s tracked_bytes rss_bytes psi_some psi_full majflt_per_s
 *         vmswap_bytes cgroup_swap_bytes swapin_bytes_per_s swapout_bytes_per_s
 *     t_s is seconds since the child started; tracked_bytes the exact
 *     tracked total of all profiled processes (the job file's total when
 *     the run has one: a fork child's inherited heap counted once); rss_bytes their summed RSS;
 *     psi_some/psi_full the memory-pressure stall share (percent, PSI avg10
 *     of the program's cgroup when it has its own, else of the machine;
 *     -1 when PSI is not available); majflt_per_s the program's major-fault
 *     rate; vmswap_bytes the summed VmSwap of the profiled processes still
 *     running; cgroup_swap_bytes the swap charged to the program's own
 *     cgroup (-1: it has none, or the kernel does not account swap);
 *     swapin/swapout the bytes swapped in and out per second since the
 *     previous sample (counters of the program's cgroup where the kernel
 *     keeps them, else of the machine; summary.json's swap.scope says
 *     which).  Version 1 files (the first six columns) still load, with no
 *     swap.  Lines are appended while the program runs, so a file cut short
 *     by a crash of oomph itself still loads (a torn last line is dropped).
 *   - timeline_writer_* append; timeline_load reads; timeline_downsample
 *     reduces to at most N points keeping each bucket's maxima (a peak is
 *     never smoothed away).
 *   - Every function returns 0 or a negative errno, with a one-line message
 *     in `err` where it takes one.  Never used inside the profiled process.
 */
#ifndef OOMPH_TIMELINE_H
#define OOMPH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TIMELINE_FILE "timeline.tsv"

struct timeline_point {
	double t_s;
	int64_t tracked_bytes;
	int64_t rss_bytes;
	double psi_some;      /* percent, -1 = unknown */
	double psi_full;      /* percent, -1 = unknown */
	double majflt_per_s;
	int64_t vmswap_bytes;
	int64_t cgroup_swap_bytes; /* -1 = unknown */
	double swapin_per_s;       /* bytes/s */
	double swapout_per_s;
};

struct timeline {
	size_t n;
	struct timeline_point *p; /* ascending t_s */
};

struct timeline_writer {
	FILE *f;
};

int timeline_writer_open(struct timeline_writer *w, const char *run_dir, char *err,
			 size_t errlen);
/* Appends and flushes (one write per point, so a reader sees whole lines). */
int timeline_writer_add(struct timeline_writer *w, const struct timeline_point *pt);
void timeline_writer_close(struct timeline_writer *w);

/* A missing file is not an error: an empty timeline (n == 0) is returned. */
int timeline_load(const char *run_dir, struct timeline *out, char *err, size_t errlen);
void timeline_free(struct timeline *tl);

/* At most max_points points (>= 2) spanning the same time: buckets of
 * equal time, each keeping its largest tracked, rss, psi, fault and swap
 * values and its last time.  The result is freshly allocated. */
int timeline_downsample(const struct timeline *in, size_t max_points, struct timeline *out);

#endif
