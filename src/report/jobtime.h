/* report/jobtime.h — the whole job over time: each process's part of the
 * job's tracked total at common instants of the run's clock
 * (job-timeline.tsv, and the stacked chart of index.html).
 *
 * Contract
 *   - jobtime_build() reads each process's own record of its exact total
 *     (profile.timeline, on its own clock) moved to the run's clock by its
 *     offset, and samples it at JOBTIME_POINTS evenly spaced instants from
 *     0 to the end of the last process, plus the job's peak and each
 *     process's first and last point.  A process holds what its record
 *     last said (a point every change of about 1%), nothing before its
 *     first point, its last figure until it left the job (its exit, or
 *     when the supervisor saw it gone), nothing after.
 *   - A process's part is its total less what it inherited at its fork and
 *     still holds (its parent's heap, in the job once, as the parent's).
 *     When it frees inherited blocks is not recorded over time, only how
 *     much in all (inherited_freed_bytes): a drop of its total below what
 *     it inherited is taken as such a free (up to that amount), so the
 *     part is its growth above its lowest total so far, never more than
 *     its total less the inherited bytes it never freed.  Exact for a
 *     child that keeps what it inherited, and for one that drops it before
 *     it grows; a lower bound otherwise.
 *   - total[k] is the sum of the parts at t[k]: the job file records only
 *     the job's peak, not its total over time, so this sum is the job's
 *     total on the chart and in the file.
 *   - Returns 0 or -ENOMEM; jobtime_free() releases what it holds (also
 *     after a failure).  Pure: no files read or written here.
 */
#ifndef OOMPH_REPORT_JOBTIME_H
#define OOMPH_REPORT_JOBTIME_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "report/buf.h"

#define JOBTIME_FILE "job-timeline.tsv"
#define JOBTIME_POINTS 600

struct jobtime_proc {
	const struct profile *p;
	double offset_s;     /* added to its times for the run's clock */
	const char *label;   /* "process 1234 (python3 w.py)": job.folded's root frame */
	const char *column;  /* its column's name: "1234", or "1234.1" (exec'd image) */
	double left_s;       /* when it left the job, on the run's clock: its
				exit; < 0 never (still running, or outlived
				the run): its last figure holds to the end */
};

struct jobtime {
	size_t nt, np;
	double *t;           /* nt instants, ascending, seconds on the run's clock */
	int64_t *v;          /* np rows of nt: v[i * nt + k] = process i's part at t[k] */
	int64_t *total;      /* nt: the sum of the parts */
};

/* peak_t: the job's peak on the run's clock (an instant of the grid); < 0
 * none.  end_s: the run's end (the grid reaches it); <= 0 unknown. */
int jobtime_build(struct jobtime *jt, const struct jobtime_proc *procs, size_t np, double peak_t,
		  double end_s);
void jobtime_free(struct jobtime *jt);

/* The job at one instant (its death picture, report.c): what the process
 * held of its own at t_s on the run's clock: its picture at its last
 * history moment at or before then (on its own clock: t_s less its
 * offset), or with at_end at its last moment (its end: what a killed
 * process held when it died), a fork child's inherited heap left out
 * (profile_own_picture_at).  A process that had not started by t_s, or
 * had left the job before it, was not in the job then.  Returns 1 (in the
 * job: self, nnodes entries, holds its stacks and *bytes their sum, 0
 * before its first moment), 0 (not in it: self all 0, *bytes 0), or
 * -ENOMEM. */
int jobtime_picture_at(const struct jobtime_proc *jp, double t_s, int at_end, int64_t *self,
		       int64_t *bytes);

/* The file: "# oomph job timeline 1", a comment per process naming its
 * column, a header line, then one tab-separated line per instant:
 * t_s, job_bytes, then each process's part (docs/report-format.md). */
void jobtime_tsv(struct buf *b, const struct jobtime *jt, const struct jobtime_proc *procs);

#endif
