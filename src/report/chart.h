/* report/chart.h — the timeline chart: memory over time as inline SVG.
 *
 * Contract
 *   - chart_timeline_svg() appends an <svg> (no script needed): tracked
 *     bytes and RSS as lines, the program's swap as a third line when it
 *     had any (chart_has_swap()), the memory limit as a dashed line when it is
 *     within reach of the curves (else named in the legend), the peak and
 *     the moment of death as vertical markers, periods of memory pressure
 *     (PSI "some" share >= CHART_PRESSURE_PCT) shaded; every sample carries
 *     a <title>, so hovering shows its values.  Nothing is appended for an
 *     empty timeline (the caller says so in words).
 *   - Pure function of its arguments; numbers only come from the program,
 *     labels are escaped for XML.
 */
#ifndef OOMPH_REPORT_CHART_H
#define OOMPH_REPORT_CHART_H

#include <stdint.h>

#include "profile/timeline.h"
#include "report/buf.h"

#define CHART_PRESSURE_PCT 10.0

struct chart_marks {
	int64_t limit_bytes;   /* 0: none */
	double peak_t;         /* < 0: none */
	int64_t peak_bytes;
	double death_t;        /* < 0: none */
	const char *death_label;
};

void chart_timeline_svg(struct buf *b, const struct timeline *tl, const struct chart_marks *m);
/* The program's swap in one sample: its cgroup's when known, else VmSwap. */
int64_t chart_swap_of(const struct timeline_point *p);
int chart_has_swap(const struct timeline *tl);

#endif
