/* tests/fuzz/fuzz_timeline.c — timeline.tsv (timeline_load), then the
 * downsampling the chart does and the chart itself. */
#include "fuzz.h"
#include "profile/timeline.h"
#include "report/buf.h"
#include "report/chart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write(TIMELINE_FILE, data, size);
	struct timeline tl, ds;
	char err[512];
	if (timeline_load(fuzz_dir(), &tl, err, sizeof err) != 0)
		return 0;
	for (size_t i = 1; i < tl.n; i++)
		if (!(tl.p[i].t_s >= tl.p[i - 1].t_s))
			abort();
	if (timeline_downsample(&tl, 7, &ds) == 0) {
		if (ds.n > 7 || (tl.n && !ds.n))
			abort();
		timeline_free(&ds);
	}
	struct chart_marks marks = {.limit_bytes = 1 << 20, .peak_bytes = 1 << 19,
				    .peak_t = 0.5, .death_t = -1};
	struct buf b;
	buf_init(&b);
	chart_timeline_svg(&b, &tl, &marks);
	buf_free(&b);
	timeline_free(&tl);
	return 0;
}
