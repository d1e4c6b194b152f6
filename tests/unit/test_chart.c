/* Unit tests of report/chart.c: the timeline chart's elements. */
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

int main(void)
{
	struct timeline_point pts[5] = {
		{0.0, 0, 1 << 20, 0, 0, 0, 0, -1, 0, 0},
		{0.1, 50 << 20, 60 << 20, 0, 0, 0, 0, -1, 0, 0},
		{0.2, 100 << 20, 110 << 20, 35, 5, 0, 0, -1, 0, 0},
		{0.3, 150 << 20, 160 << 20, 40, 5, 0, 0, -1, 0, 0},
		{0.4, 200 << 20, 210 << 20, 1, 0, 0, 0, -1, 0, 0},
	};
	struct timeline tl = {5, pts};
	struct chart_marks m = {300ll << 20, 0.35, 205ll << 20, 0.4, "killed"};
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
	buf_free(&b);
	return check_summary();
}
