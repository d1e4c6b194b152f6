/* report/chart.h — the timeline chart: memory over time as inline SVG.
 *
 * Contract
 *   - chart_timeline_svg() appends an <svg> (no script needed): tracked
 *     bytes and RSS as lines, the program's swap as a third line when it
 *     had any (chart_has_swap()), the memory limit as a dashed line when it is
 *     within reach of the curves (else named in the legend), the peak and
 *     the moment of death as vertical markers, periods of memory pressure
 *     (PSI "some" share >= CHART_PRESSURE_PCT) shaded; every sample carries
 *     a <title>, so hovering shows its values.  When the marks carry the
 *     tracker's own record of the total (`memory`), the tracked line is
 *     that one (exact, every change of about 1%) and the samples give RSS
 *     only.  The time axis has ticks at round steps (1, 2 or 5 times a
 *     power of ten, at most 10 of them, so their labels never overlap);
 *     the peak's and the death's labels sit on rows of their own.  Nothing
 *     is appended when there is no point at all (the caller says so in
 *     words).
 *   - Pure functions of their arguments; numbers only come from the program,
 *     labels are escaped for XML.
 */
#ifndef OOMPH_REPORT_CHART_H
#define OOMPH_REPORT_CHART_H

#include <stdint.h>

#include "profile/profile.h"
#include "profile/timeline.h"
#include "report/buf.h"

#define CHART_PRESSURE_PCT 10.0

struct chart_marks {
	int64_t limit_bytes;   /* 0: none */
	double peak_t;         /* < 0: none */
	int64_t peak_bytes;
	double death_t;        /* < 0: none */
	const char *death_label;
	const struct profile_point *memory; /* the tracker's record; NULL: none */
	size_t nmemory;
};

void chart_timeline_svg(struct buf *b, const struct timeline *tl, const struct chart_marks *m);

/* The whole job over time (report/jobtime.h): a stacked area chart, one
 * band per process (class "band", its label and largest value in its
 * <title> and in the legend below the plot), largest at the bottom, the
 * bands beyond CHART_BANDS_MAX summed into one "N other processes" band
 * on top (class "band other") when there are two or more of them; the
 * sum of every band as a line on top (class "tot"); the limit as a
 * dashed horizontal line labelled "limit SIZE" (class "lim"; when it
 * would squash the bands, above 3 times their top, it is only named at
 * the top right); the job's exact peak marked (class "pk", with a hover
 * target listing each process's band then).  data-t0/t1/x0/x1 give the
 * time scale as on the timeline.  Nothing is appended without an instant. */
#define CHART_BANDS_MAX 8
struct chart_band {
	const char *label;
	const int64_t *v;    /* one value per instant of the chart */
};
struct chart_stack {
	size_t nt;
	const double *t;     /* ascending, seconds on the run's clock */
	const struct chart_band *bands;
	size_t nbands;       /* in any order: the chart ranks them */
	int64_t limit_bytes; /* 0: none */
	double peak_t;       /* < 0: none */
	int64_t peak_bytes;
	double death_t;      /* < 0: none */
	const char *death_label;
};
void chart_stack_svg(struct buf *b, const struct chart_stack *s);
/* The program's swap in one sample: its cgroup's when known, else VmSwap. */
int64_t chart_swap_of(const struct timeline_point *p);
int chart_has_swap(const struct timeline *tl);

#endif
