/* Unit tests of report/chart.c: the timeline chart's elements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/chart.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The y attribute of the first `<line class="lim"`, or -1. */
static double limit_y(const char *svg)
{
	const char *l = strstr(svg, "<line class=\"lim\"");
	const char *y = l ? strstr(l, "y1=\"") : NULL;
	return y ? atof(y + 4) : -1;
}

/* The stacked chart of the whole job: a band per process, largest at the
 * bottom, the sum on top, the limit and the job's peak. */
static void stacked_bands_of_the_job(void)
{
	const int64_t M = 1 << 20;
	double t[4] = {0, 1, 2, 3};
	int64_t small[4] = {0, 5 * M, 5 * M, 0}, big[4] = {0, 60 * M, 60 * M, 0},
		mid[4] = {10 * M, 30 * M, 20 * M, 10 * M};
	struct chart_band bands[3] = {{"process 1 (small)", small}, {"process 2 (big <b>)", big},
				      {"process 3 (mid)", mid}};
	struct chart_stack cs = {4, t, bands, 3, 200 * M, 1.0, 95 * M, -1, NULL};
	struct buf b;
	buf_init(&b);
	chart_stack_svg(&b, &cs);
	const char *s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polygon class=\"band\""), 3);
	CHECK_EQ_INT(count(s, "class=\"band other\""), 0);
	CHECK_EQ_INT(count(s, "<g class=\"key\">"), 3);
	/* stacking order: the largest band first (at the bottom), then mid,
	 * then small; in the legend too */
	const char *pb = strstr(s, "<title>process 2 (big &lt;b&gt;): at most 60.0 MiB, at 1.00 s"),
		   *pm = strstr(s, "<title>process 3 (mid): at most 30.0 MiB, at 1.00 s"),
		   *ps = strstr(s, "<title>process 1 (small): at most 5.0 MiB, at 1.00 s");
	CHECK(pb && pm && ps && pb < pm && pm < ps);
	/* the bottom band's lower edge is the zero line (y 210), the next one
	 * sits on it: mid's lower edge at t=1 is big's top, 60 MiB */
	const char *poly = strstr(s, "<polygon class=\"band\""), *end = poly ? strstr(poly, "\">") : NULL;
	const char *zero = "980.0,210.0 676.7,210.0 373.3,210.0 70.0,210.0";
	CHECK(end && end - strlen(zero) == strstr(poly, zero));
	/* 60 MiB on a scale of 1.05 x 200 MiB (the limit is the top) */
	const char *second = strstr(end, "<polygon class=\"band\""), *end2 = second ? strstr(second, "\">") : NULL;
	char y60[64];
	snprintf(y60, sizeof y60, "676.7,%.1f 373.3,%.1f 70.0,210.0", 210 - 190 * 60.0 / 210,
		 210 - 190 * 60.0 / 210);
	CHECK(end2 && end2 - strlen(y60) == strstr(second, y60));
	/* the total on top: 95 MiB at t=1 */
	char y95[40];
	snprintf(y95, sizeof y95, " 373.3,%.1f ", 210 - 190 * 95.0 / 210);
	const char *tot = strstr(s, "<polyline class=\"tot\"");
	CHECK(tot && strstr(tot, y95));
	/* the limit line at its value: 200 MiB of 210 */
	double ly = limit_y(s);
	CHECK(ly > 29.0 - 0.06 && ly < 29.0 + 0.06); /* 210 - 190 / 1.05 = 29.05 */
	CHECK_STR_CONTAINS(s, ">limit 200.0 MiB</text>");
	/* the job's peak, and what each band held then */
	CHECK_STR_CONTAINS(s, ">job peak 95.0 MiB</text>");
	CHECK_STR_CONTAINS(s, "job peak 95.0 MiB; process 2 (big &lt;b&gt;) 60.0 MiB; process 3 (mid) "
			      "30.0 MiB; process 1 (small) 5.0 MiB</title>");
	CHECK_EQ_INT(count(s, "<b>"), 0);

	/* a limit far above the bands is named, not drawn */
	buf_reset(&b);
	cs.limit_bytes = 64ll << 30;
	chart_stack_svg(&b, &cs);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<line class=\"lim\""), 0);
	CHECK_STR_CONTAINS(s, ">limit 64.0 GiB (above the chart)</text>");
	CHECK(limit_y(s) < 0);

	/* many processes: the 8 largest, the rest as one band on top */
	int64_t v[12][4];
	struct chart_band many[12];
	char labels[12][32];
	for (int i = 0; i < 12; i++) {
		for (int k = 0; k < 4; k++)
			v[i][k] = (int64_t)(i + 1) * M;
		snprintf(labels[i], sizeof labels[i], "process %d", 100 + i);
		many[i] = (struct chart_band){labels[i], v[i]};
	}
	struct chart_stack cm = {4, t, many, 12, 0, -1, 0, -1, NULL};
	buf_reset(&b);
	chart_stack_svg(&b, &cm);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polygon class=\"band"), 9);
	CHECK_EQ_INT(count(s, "<polygon class=\"band other\""), 1);
	CHECK_STR_CONTAINS(s, "<title>4 other processes: at most 10.0 MiB, at 0.00 s</title>");
	CHECK_EQ_INT(count(s, "<title>process 103:"), 0); /* the 4th smallest is among them */
	CHECK_STR_CONTAINS(s, "<title>process 104: at most 5.0 MiB");
	const char *p111 = strstr(s, "<title>process 111:"), *oth = strstr(s, "other processes:");
	CHECK(p111 && oth && p111 < oth); /* the largest at the bottom, the rest on top */
	CHECK_EQ_INT(count(s, "<g class=\"key\">"), 9);
	CHECK_EQ_INT(count(s, "class=\"lim\""), 0); /* no limit known */
	CHECK_EQ_INT(count(s, "job peak"), 0);        /* no peak known */
	/* one more than 8 is drawn as itself, not as "1 other process" */
	cm.nbands = 9;
	buf_reset(&b);
	chart_stack_svg(&b, &cm);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polygon class=\"band\""), 9);
	CHECK_EQ_INT(count(s, "other"), 0);

	/* nothing without an instant */
	buf_reset(&b);
	cm.nt = 0;
	chart_stack_svg(&b, &cm);
	CHECK_EQ_INT((long long)strlen(buf_str(&b)), 0);
	buf_free(&b);
}

int main(void)
{
	stacked_bands_of_the_job();
	struct timeline_point pts[5] = {
		{0.0, 0, 1 << 20, 0, 0, 0, 0, -1, 0, 0},
		{0.1, 50 << 20, 60 << 20, 0, 0, 0, 0, -1, 0, 0},
		{0.2, 100 << 20, 110 << 20, 35, 5, 0, 0, -1, 0, 0},
		{0.3, 150 << 20, 160 << 20, 40, 5, 0, 0, -1, 0, 0},
		{0.4, 200 << 20, 210 << 20, 1, 0, 0, 0, -1, 0, 0},
	};
	struct timeline tl = {5, pts};
	struct chart_marks m = {300ll << 20, 0.35, 205ll << 20, 0.4, "killed", NULL, 0};
	struct buf b;
	buf_init(&b);
	chart_timeline_svg(&b, &tl, &m);
	const char *s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polyline"), 2);          /* tracked and RSS: no swap */
	CHECK_EQ_INT(count(s, ", swap "), 0);
	CHECK_EQ_INT(count(s, "<circle class=\"pt\""), 5); /* a hover target per sample */
	CHECK_STR_CONTAINS(s, "<title>0.30 s: tracked 150.0 MiB, RSS 160.0 MiB, memory stall 40%</title>");
	CHECK_STR_CONTAINS(s, ">limit 300.0 MiB</text>");
	CHECK_STR_CONTAINS(s, ">peak 205.0 MiB</text>");
	CHECK_STR_CONTAINS(s, ">killed</text>");
	CHECK_EQ_INT(count(s, "<rect class=\"pr\""), 2); /* two intervals ending under pressure */

	/* a limit far above the curves is not drawn (it would flatten them) */
	buf_reset(&b);
	m.limit_bytes = 64ll << 30;
	m.death_t = -1;
	m.death_label = "<script>";
	chart_timeline_svg(&b, &tl, &m);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "class=\"lim\""), 0);
	CHECK_EQ_INT(count(s, "<script"), 0);

	/* labels are escaped */
	buf_reset(&b);
	m.death_t = 0.4;
	chart_timeline_svg(&b, &tl, &m);
	CHECK_STR_CONTAINS(buf_str(&b), "&lt;script&gt;");

	/* a program that swapped: a third line, and the swap in every hover
	 * (its cgroup's figure when known, else VmSwap) */
	pts[3].cgroup_swap_bytes = 64ll << 20;
	pts[3].vmswap_bytes = 70ll << 20;
	pts[3].swapin_per_s = 2 << 20;
	pts[3].swapout_per_s = 3 << 20;
	pts[4].vmswap_bytes = 400ll << 20; /* above everything: the scale grows */
	CHECK_EQ_INT(chart_has_swap(&tl), 1);
	CHECK_EQ_INT(chart_swap_of(&pts[3]), 64ll << 20);
	CHECK_EQ_INT(chart_swap_of(&pts[4]), 400ll << 20);
	buf_reset(&b);
	m.death_label = "killed";
	chart_timeline_svg(&b, &tl, &m);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polyline"), 3);
	CHECK_EQ_INT(count(s, "<polyline class=\"sw\""), 1);
	CHECK_STR_CONTAINS(s, "RSS 160.0 MiB, memory stall 40%, swap 64.0 MiB (in 2.0 MiB/s, out 3.0 MiB/s)</title>");
	CHECK_STR_CONTAINS(s, ", swap 0 B (in 0 B/s, out 0 B/s)</title>");
	CHECK_STR_CONTAINS(s, ">400.0 MiB</text>"); /* the top of the byte axis */
	pts[3].cgroup_swap_bytes = -1;
	pts[3].vmswap_bytes = 0;
	pts[4].vmswap_bytes = 0;
	CHECK_EQ_INT(chart_has_swap(&tl), 0);

	/* nothing for an empty timeline */
	buf_reset(&b);
	struct timeline empty = {0, NULL};
	chart_timeline_svg(&b, &empty, &m);
	CHECK_EQ_INT((long long)strlen(buf_str(&b)), 0);

	/* time ticks at the smallest 1-2-5 step giving at most 10 of them,
	 * so their labels never overlap: 0.4 s is ticked every 0.05 s */
	buf_reset(&b);
	chart_timeline_svg(&b, &tl, &m);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<text class=\"tk\""), 9); /* 0, 0.05 .. 0.40 */
	CHECK_STR_CONTAINS(s, ">0.05 s</text>");
	CHECK_STR_CONTAINS(s, ">0.40 s</text>");

	/* the tracker's own record draws the tracked line: three phases, a
	 * hover target on each of their maxima, in time order; the samples
	 * give RSS only */
	struct profile_point mem[] = {
		{0.0, 0}, {0.1, 60 << 20}, {0.2, 60 << 20}, {0.25, 1 << 20}, {0.4, 150 << 20},
		{0.5, 2 << 20}, {0.7, 100 << 20}, {0.8, 100 << 20}, {0.9, 3 << 20},
	};
	m.memory = mem;
	m.nmemory = sizeof mem / sizeof mem[0];
	buf_reset(&b);
	chart_timeline_svg(&b, &tl, &m);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polyline class=\"tr\""), 1);
	CHECK_EQ_INT(count(s, "<polyline class=\"rs\""), 1);
	CHECK_EQ_INT(count(s, "<circle class=\"pt mx\""), 3);
	const char *a = strstr(s, "0.200 s: tracked 60.0 MiB"), *c = strstr(s, "0.400 s: tracked 150.0 MiB"),
		   *d = strstr(s, "0.800 s: tracked 100.0 MiB");
	CHECK(a && c && d && a < c && c < d);
	CHECK_EQ_INT(count(s, "<text class=\"tk\""), 10); /* 0 .. 0.9 s, every 0.1 s */
	CHECK_STR_CONTAINS(s, ">0.9 s</text>");
	/* with no sample at all (a program shorter than 100 ms) the record alone */
	buf_reset(&b);
	chart_timeline_svg(&b, &empty, &m);
	s = buf_str(&b);
	CHECK_EQ_INT(count(s, "<polyline"), 1);
	CHECK_EQ_INT(count(s, "<circle class=\"pt mx\""), 3);
	buf_free(&b);
	return check_summary();
}
