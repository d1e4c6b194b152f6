/* Unit tests of report/flamegraph.c: markup from the program stays text
 * (file, function, source line), the SVG is well-formed, widths follow the
 * bytes, narrow frames merge into "other" with totals intact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/flamegraph.h"
#include "report_fixture.h"

static char dir[256];

/* The value of attribute `name` in the first element after `from`. */
static long long attr_after(const char *from, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(from, key);
	return p ? atoll(p + strlen(key)) : -1;
}

/* The start of the <g> element that contains p. */
static const char *g_of(const char *s, const char *p)
{
	while (p > s && strncmp(p, "<g ", 3))
		p--;
	return p;
}

static double fattr_after(const char *from, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(from, key);
	return p ? atof(p + strlen(key)) : -1;
}

static void test_hostile_names_stay_text(void)
{
	struct profile p;
	fx_hostile(&p, dir);
	struct src_cache *src = src_new(dir);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, dir, src), 0);
	struct buf b;
	buf_init(&b);
	flame_svg(&b, &v, "peak of </title><script>alert(4)</script>");
	CHECK(!b.oom);
	const char *s = buf_str(&b);
	/* nothing from the program became markup */
	CHECK_STR_NOT_CONTAINS(s, "<svg onload");
	CHECK_STR_NOT_CONTAINS(s, "</script><svg");
	CHECK_STR_NOT_CONTAINS(s, "<b>");
	CHECK_STR_NOT_CONTAINS(s, "<img");
	CHECK_STR_NOT_CONTAINS(s, "<script>alert");
	/* ... and it is all there, as text */
	CHECK_STR_CONTAINS(s, "&lt;b&gt;&amp;&quot;&#39;.py:2 (&lt;img src=x onerror=alert(2)&gt;)");
	CHECK_STR_CONTAINS(s, "x = 1  # &lt;/script&gt;&lt;svg onload=alert(1)&gt;</title>");
	CHECK_STR_CONTAINS(s, "data-n=\"&lt;b&gt;&amp;&quot;&#39;.py:2 (&lt;img src=x onerror=alert(2)&gt;)\"");
	CHECK_STR_CONTAINS(s, "peak of &lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;");
	/* one script element: ours */
	CHECK_EQ_INT(fx_count(s, "<script"), 1);

	char why[200] = "";
	int bal = fx_balanced(s, 0, why, sizeof(why));
	if (bal)
		fprintf(stderr, "unbalanced SVG: %s\n", why);
	CHECK_EQ_INT(bal, 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/peak.svg", dir);
	CHECK_EQ_INT(buf_write_file(&b, path, why, sizeof(why)), 0);
	int lint = fx_xmllint(path);
	if (lint < 0)
		fprintf(stderr, "note: no xmllint, well-formedness checked by fx_balanced only\n");
	else
		CHECK_EQ_INT(lint, 0);
	buf_free(&b);
	view_free(&v);
	src_free(src);
	profile_free(&p);
}

static void test_geometry_and_other(void)
{
	/* root -> main.py:1 (main) holding 1,000,000 bytes itself, with one
	 * child of 499,500 and 500 children of 1 byte each: 1 byte is far under
	 * 0.1% of the total (1,500,000), so they become one "other" of 500 */
	struct profile p;
	profile_init(&p);
	uint32_t fmain, fbig, fsmall[500], nmain;
	profile_add_frame(&p, "main.py", "main", 1, 0, &fmain);
	profile_add_frame(&p, "big.py", "big", 2, 0, &fbig);
	profile_add_node(&p, 0, fmain, 1000000, 0, &nmain);
	profile_add_node(&p, nmain, fbig, 499500, 0, NULL);
	for (int i = 0; i < 500; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%03d", i);
		profile_add_frame(&p, "small.py", name, 3, 0, &fsmall[i]);
		profile_add_node(&p, nmain, fsmall[i], 1, 0, NULL);
	}
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	CHECK_EQ_INT(v.total, 1500000);
	struct buf b;
	buf_init(&b);
	flame_svg(&b, &v, "t");
	const char *s = buf_str(&b);
	CHECK_EQ_INT(fx_count(s, "<g class=\"f\""), 4); /* all, main, big, other */
	CHECK_STR_NOT_CONTAINS(s, "f000");
	const char *all = strstr(s, "data-n=\"all\"");
	const char *mn = strstr(s, "data-n=\"main.py:1 (main)\"");
	const char *big = strstr(s, "data-n=\"big.py:2 (big)\"");
	const char *oth = strstr(s, "data-k=\"other\"");
	CHECK(all && mn && big && oth);
	if (all && mn && big && oth) {
		/* offsets and widths in bytes: the parent is exactly as wide as
		 * its children plus its own bytes */
		CHECK_EQ_INT(attr_after(s, "data-total"), 1500000);
		CHECK_EQ_INT(attr_after(g_of(s, all), "data-b"), 1500000);
		CHECK_EQ_INT(attr_after(g_of(s, mn), "data-b"), 1500000);
		CHECK_EQ_INT(attr_after(g_of(s, big), "data-b"), 499500);
		CHECK_EQ_INT(attr_after(g_of(s, big), "data-o"), 0);
		CHECK_EQ_INT(attr_after(g_of(s, oth), "data-b"), 500);
		CHECK_EQ_INT(attr_after(g_of(s, oth), "data-o"), 499500);
		CHECK_EQ_INT(attr_after(g_of(s, big), "data-d"), 2);
		CHECK_STR_CONTAINS(oth, "other: 500 smaller frames");
		/* pixel widths: 1180 px for the total, a third for big */
		CHECK(fattr_after(all, "width") > 1179.9 && fattr_after(all, "width") < 1180.1);
		double wb = fattr_after(big, "width");
		CHECK(wb > 1180.0 * 499500 / 1500000 - 0.01 && wb < 1180.0 * 499500 / 1500000 + 0.01);
		/* root at the top, each level one row lower */
		CHECK(fattr_after(big, "y") - fattr_after(mn, "y") == FLAME_FRAME_HEIGHT);
	}
	buf_free(&b);
	view_free(&v);
	profile_free(&p);
}

static void test_labels_fit_their_rects(void)
{
	/* a narrow rect (about 3% of 1180 px = 35 px) gets a cut label */
	struct profile p;
	profile_init(&p);
	uint32_t fa, fb;
	profile_add_frame(&p, "a_rather_long_module_name.py", "a_rather_long_function", 12, 0, &fa);
	profile_add_frame(&p, "b.py", "b", 1, 0, &fb);
	profile_add_node(&p, 0, fa, 3, 0, NULL);
	profile_add_node(&p, 0, fb, 97, 0, NULL);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	struct buf b;
	buf_init(&b);
	flame_svg(&b, &v, "t");
	const char *s = buf_str(&b);
	CHECK_STR_CONTAINS(s, ">b.py:1 (b)</text>");
	const char *a = strstr(s, "data-n=\"a_rather");
	CHECK(a != NULL);
	if (a) {
		const char *t = strstr(a, "<text");
		const char *gt = t ? strchr(t, '>') : NULL;
		const char *end = gt ? strstr(gt, "</text>") : NULL;
		CHECK(end != NULL);
		if (end) {
			/* 3% of 1180 px = 35.4 px hold (35.4 - 6) / 7.3 = 4
			 * characters: "a_" and ".." */
			CHECK_EQ_INT(end - gt - 1, 4);
			CHECK(!strncmp(gt + 1, "a_..", 4));
		}
	}
	buf_free(&b);
	view_free(&v);
	profile_free(&p);
}

/* The text drawn in the frame whose data-n is `full`, or "" (static). */
static const char *drawn(const char *svg, const char *full)
{
	static char out[256];
	char key[512];
	out[0] = 0;
	snprintf(key, sizeof key, "data-n=\"%s\"", full);
	const char *g = strstr(svg, key);
	const char *t = g ? strstr(g, "<text") : NULL;
	const char *gt = t ? strchr(t, '>') : NULL;
	const char *end = gt ? strstr(gt, "</text>") : NULL;
	if (end && (size_t)(end - gt - 1) < sizeof out)
		snprintf(out, sizeof out, "%.*s", (int)(end - gt - 1), gt + 1);
	return out;
}

static void test_labels_are_short_and_keep_the_function(void)
{
	/* 1000 bytes on 1180 px: a frame of b bytes is 1.18 b px wide and
	 * holds (1.18 b - 6) / 7.3 characters */
	struct profile p;
	profile_init(&p);
	uint32_t fm, fa, fb, fc, fd, fe;
	profile_add_frame(&p, "/w/etl.py", "main", 10, 0, &fm);
	profile_add_frame(&p, "/usr/lib/python3/dist-packages/pandas/core/frame.py", "DataFrame.merge",
			  10090, 0, &fa);
	profile_add_frame(&p, "/usr/lib/python3.11/logging/__init__.py", "Logger.info", 1, 0, &fb);
	profile_add_frame(&p, "/usr/lib/python3/dist-packages/numpy/core/numeric.py", "ones", 205, 0,
			  &fc);
	profile_add_frame(&p, "/usr/lib/python3/dist-packages/pandas/core/groupby/groupby.py",
			  "GroupBy.aggregate_everything", 1, 0, &fd);
	profile_add_frame(&p, "/usr/lib/python3.11/json/encoder.py", "JSONEncoder.iterencode", 258, 0,
			  &fe);
	profile_add_node(&p, 0, fm, 250, 0, NULL);    /* 1 */
	profile_add_node(&p, 1, fa, 300, 0, NULL);    /* 354 px: 47 characters */
	profile_add_node(&p, 1, fb, 200, 0, NULL);    /* 236 px: 31 */
	profile_add_node(&p, 1, fc, 100, 0, NULL);    /* 118 px: 15 */
	profile_add_node(&p, 1, fd, 50, 0, NULL);     /* 59 px: 7 */
	profile_add_node(&p, 1, fe, 100, 0, NULL);    /* 118 px: 15 */
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "/w", NULL), 0);
	struct buf b;
	buf_init(&b);
	flame_svg(&b, &v, "t");
	const char *s = buf_str(&b);
	CHECK_STR_EQ(drawn(s, "etl.py:10 (main)"), "etl.py:10 (main)");
	/* the package's path below dist-packages, whole */
	CHECK_STR_EQ(drawn(s, "/usr/lib/python3/dist-packages/pandas/core/frame.py:10090 (DataFrame.merge)"),
		     "pandas/core/frame.py:10090 (DataFrame.merge)");
	CHECK_STR_CONTAINS(s, "data-n=\"/usr/lib/python3/dist-packages/pandas/core/frame.py:10090 "
			      "(DataFrame.merge)\" data-s=\"pandas/core/frame.py:10090 (DataFrame.merge)\" "
			      "data-f=\"DataFrame.merge\"><title>/usr/lib/python3/dist-packages/pandas/");
	/* too long below the standard library: the file without its directory */
	CHECK_STR_EQ(drawn(s, "/usr/lib/python3.11/logging/__init__.py:1 (Logger.info)"),
		     "__init__.py:1 (Logger.info)");
	/* then the function alone, then the function cut */
	CHECK_STR_EQ(drawn(s, "/usr/lib/python3/dist-packages/numpy/core/numeric.py:205 (ones)"), "ones");
	CHECK_STR_EQ(drawn(s, "/usr/lib/python3/dist-packages/pandas/core/groupby/groupby.py:1 "
			      "(GroupBy.aggregate_everything)"),
		     "Group..");
	/* a method's own name when its class does not fit */
	CHECK_STR_EQ(drawn(s, "/usr/lib/python3.11/json/encoder.py:258 (JSONEncoder.iterencode)"),
		     "..iterencode");
	/* never a path cut short: no drawn text starts with a directory */
	int texts = 0;
	for (const char *t = strstr(s, "<text x="); t; t = strstr(t + 1, "<text x=")) {
		const char *gt = strchr(t, '>');
		CHECK(gt && gt[1] != '/');
		texts++;
	}
	CHECK(texts >= 6);
	buf_free(&b);
	view_free(&v);
	profile_free(&p);
}

static void test_empty_graph(void)
{
	struct profile p;
	profile_init(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	struct buf b;
	buf_init(&b);
	flame_svg(&b, &v, "nothing");
	CHECK_STR_CONTAINS(buf_str(&b), "No tracked memory was live at the peak.");
	CHECK_EQ_INT(fx_count(buf_str(&b), "<g class=\"f\""), 0);
	char why[200];
	CHECK_EQ_INT(fx_balanced(buf_str(&b), 0, why, sizeof(why)), 0);
	buf_free(&b);
	view_free(&v);
	profile_free(&p);
}

int main(void)
{
	fx_tmpdir(dir, sizeof(dir));
	test_hostile_names_stay_text();
	test_geometry_and_other();
	test_labels_fit_their_rects();
	test_labels_are_short_and_keep_the_function();
	test_empty_graph();
	fx_rmrf(dir);
	return check_summary();
}
