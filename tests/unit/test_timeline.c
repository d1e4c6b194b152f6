/* Unit tests of profile/timeline.c: write, read back, a torn last line,
 * garbage, and downsampling that keeps the maxima. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "profile/timeline.h"

static char dir[] = "/tmp/oomph-test-timeline-XXXXXX";

static void write_raw(const char *body)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, TIMELINE_FILE);
	FILE *f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
}

int main(void)
{
	char err[512];
	CHECK(mkdtemp(dir) != NULL);

	/* missing file: empty timeline, not an error */
	struct timeline tl;
	CHECK_EQ_INT(timeline_load(dir, &tl, err, sizeof err), 0);
	CHECK_EQ_INT(tl.n, 0);

	/* round trip */
	struct timeline_writer w;
	CHECK_EQ_INT(timeline_writer_open(&w, dir, err, sizeof err), 0);
	for (int i = 0; i < 1000; i++) {
		struct timeline_point pt = {i * 0.1, (int64_t)i * 1000, (int64_t)i * 2000,
					    i == 500 ? 80.0 : 1.0, 0.5, 3.0,
					    (int64_t)i * 4096, i < 10 ? -1 : (int64_t)i * 8192,
					    i == 333 ? 5e6 : 1000.0, 2000.0};
		if (i == 777)
			pt.tracked_bytes = 99999999; /* a spike downsampling must keep */
		CHECK_EQ_INT(timeline_writer_add(&w, &pt), 0);
	}
	timeline_writer_close(&w);
	CHECK_EQ_INT(timeline_load(dir, &tl, err, sizeof err), 0);
	CHECK_EQ_INT(tl.n, 1000);
	if (tl.n == 1000) {
		CHECK_EQ_INT(tl.p[999].tracked_bytes, 999000);
		CHECK_EQ_INT(tl.p[999].rss_bytes, 1998000);
		CHECK(tl.p[500].psi_some == 80.0);
		CHECK(tl.p[10].t_s > 0.999 && tl.p[10].t_s < 1.001);
		/* the swap columns */
		CHECK_EQ_INT(tl.p[999].vmswap_bytes, 999 * 4096);
		CHECK_EQ_INT(tl.p[5].cgroup_swap_bytes, -1);
		CHECK_EQ_INT(tl.p[999].cgroup_swap_bytes, 999 * 8192);
		CHECK(tl.p[333].swapin_per_s == 5e6);
		CHECK(tl.p[1].swapout_per_s == 2000.0);
	}
	struct timeline ds;
	CHECK_EQ_INT(timeline_downsample(&tl, 50, &ds), 0);
	CHECK(ds.n <= 50 && ds.n >= 40);
	int64_t maxt = 0;
	double maxpsi = 0;
	for (size_t i = 0; i < ds.n; i++) {
		if (ds.p[i].tracked_bytes > maxt)
			maxt = ds.p[i].tracked_bytes;
		if (ds.p[i].psi_some > maxpsi)
			maxpsi = ds.p[i].psi_some;
		if (i)
			CHECK(ds.p[i].t_s > ds.p[i - 1].t_s);
	}
	CHECK_EQ_INT(maxt, 99999999);
	CHECK(maxpsi == 80.0);
	double maxin = 0;
	for (size_t i = 0; i < ds.n; i++)
		if (ds.p[i].swapin_per_s > maxin)
			maxin = ds.p[i].swapin_per_s;
	CHECK(maxin == 5e6); /* a swap-in burst survives downsampling */
	CHECK_EQ_INT(ds.p[ds.n - 1].cgroup_swap_bytes, 999 * 8192);
	CHECK(ds.p[ds.n - 1].t_s > 99.8);
	timeline_free(&ds);
	CHECK_EQ_INT(timeline_downsample(&tl, 5000, &ds), 0);
	CHECK_EQ_INT(ds.n, 1000);
	timeline_free(&ds);
	timeline_free(&tl);

	/* a torn last line (oomph died while writing it) is dropped */
	write_raw("# oomph timeline 1\n# cols\n0.100 10 20 -1 -1 0\n0.200 30 4");
	CHECK_EQ_INT(timeline_load(dir, &tl, err, sizeof err), 0);
	CHECK_EQ_INT(tl.n, 1);
	timeline_free(&tl);

	/* not a timeline; garbage; time going backwards */
	write_raw("hello\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "not an oomph timeline");
	write_raw("# oomph timeline 1\n0.1 x y\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, ":2: malformed sample");
	write_raw("# oomph timeline 1\n0.5 1 1 0 0 0\n0.1 1 1 0 0 0\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);

	/* figures no run writes: NaN and infinite times (they would reach
	 * downsampling's float-to-integer conversion), bytes past any machine,
	 * negative RSS, PSI above 100 % */
	static const char *const impossible[] = {
		"nan 1 1 0 0 0", "inf 1 1 0 0 0", "0.1 9223372036854775807 1 0 0 0",
		"0.1 1 -5 0 0 0", "0.1 1 1 101 0 0", "0.1 1 1 0 nan 0", "0.1 1 1 0 0 -1",
	};
	for (size_t i = 0; i < sizeof impossible / sizeof impossible[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "# oomph timeline 1\n%s\n", impossible[i]);
		write_raw(text);
		CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);
		CHECK_STR_CONTAINS(err, ":2: malformed sample");
	}
	write_raw("# oomph timeline 1\n0.1 -4096 0 -1 -1 0\n");
	CHECK_EQ_INT(timeline_load(dir, &tl, err, sizeof err), 0);
	timeline_free(&tl);
	/* a version 1 file (before swap was measured) still loads: no swap */
	write_raw("# oomph timeline 1\n# cols\n0.100 10 20 -1 -1 0\n0.200 30 40 5 1 2\n");
	CHECK_EQ_INT(timeline_load(dir, &tl, err, sizeof err), 0);
	CHECK_EQ_INT(tl.n, 2);
	if (tl.n == 2) {
		CHECK_EQ_INT(tl.p[1].rss_bytes, 40);
		CHECK_EQ_INT(tl.p[1].vmswap_bytes, 0);
		CHECK_EQ_INT(tl.p[1].cgroup_swap_bytes, -1);
	}
	timeline_free(&tl);
	/* version 2 wants its ten columns; a newer version is refused */
	write_raw("# oomph timeline 2\n0.100 10 20 -1 -1 0\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, ":2: malformed sample");
	write_raw("# oomph timeline 2\n0.100 10 20 -1 -1 0 -5 0 0 0\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0); /* negative VmSwap */
	write_raw("# oomph timeline 3\n");
	CHECK(timeline_load(dir, &tl, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "version 3");

	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, TIMELINE_FILE);
	unlink(path);
	rmdir(dir);
	return check_summary();
}
