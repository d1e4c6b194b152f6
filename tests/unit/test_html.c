/* Unit tests of report/html.c: the page for a profile whose file name,
 * function, source line, argv and an error message are markup.  Nothing
 * becomes markup; the escaped text is shown; the embedded JSON cannot close
 * its script element and still parses back to the original; the page loads
 * nothing from the network. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "minijson.h"
#include "report/html.h"
#include "report/view.h"
#include "report_fixture.h"

static char dir[256];

static void test_hostile_page(void)
{
	struct profile p;
	fx_hostile(&p, dir);
	struct src_cache *src = src_new(dir);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, dir, src), 0);
	struct doc_proc dp = {.p = &p, .view = &v, .parent = -1, .dir = "."};
	struct doc_error errs[] = {{"state/9.oomph", "bad <i>header</i> & \"stuff\""}};
	const char *warn[] = {"warning with <u>markup</u>"};
	struct doc d = {
		.argc = p.argc, .argv = p.argv, .python = "3.12<x>", .has_exit_code = 1,
		.verdict = "exited", .duration_s = 1, .sample_rate = 262144, .main = &dp,
		.procs = &dp, .nprocs = 1, .errors = errs, .nerrors = 1, .warnings = warn,
		.nwarnings = 1, .up = ""};
	struct buf b;
	buf_init(&b);
	doc_decide(&d);
	html_page(&b, &d);
	CHECK(!b.oom);
	const char *s = buf_str(&b);

	CHECK_STR_NOT_CONTAINS(s, "<svg onload");
	CHECK_STR_NOT_CONTAINS(s, "</script><svg");
	CHECK_STR_NOT_CONTAINS(s, "<b>");
	CHECK_STR_NOT_CONTAINS(s, "<img");
	CHECK_STR_NOT_CONTAINS(s, "<i>");
	CHECK_STR_NOT_CONTAINS(s, "<u>");
	CHECK_STR_NOT_CONTAINS(s, "<x>");
	/* shown as text: the top-lines table, the flame graph, the command */
	CHECK_STR_CONTAINS(s, "<td class=\"mono\">&lt;b&gt;&amp;&quot;&#39;.py</td>");
	CHECK_STR_CONTAINS(s, "<td class=\"mono\">&lt;img src=x onerror=alert(2)&gt;</td>");
	CHECK_STR_CONTAINS(s, "<td class=\"src mono\">x = 1  # &lt;/script&gt;&lt;svg onload=alert(1)&gt;</td>");
	CHECK_STR_CONTAINS(s, "&lt;svg onload=alert(1)&gt;</title>");
	CHECK_STR_CONTAINS(s, "&#39;&lt;/script&gt;&lt;svg onload=alert(3)&gt;&#39;");
	CHECK_STR_CONTAINS(s, "bad &lt;i&gt;header&lt;/i&gt; &amp; &quot;stuff&quot;");
	/* every "</script" is one of our three script elements' ends (data, page, flame) */
	CHECK_EQ_INT(fx_count(s, "<script"), 3);
	CHECK_EQ_INT(fx_count(s, "</script"), 3);
	CHECK_EQ_INT(fx_count(s, "<svg"), 1);

	/* the embedded JSON: no raw < > & inside, and it parses back to the
	 * program's own strings */
	const char *open = "<script type=\"application/json\" id=\"oomph-summary\">";
	const char *j = strstr(s, open);
	CHECK(j != NULL);
	if (j) {
		j += strlen(open);
		const char *e = strstr(j, "</script>");
		char *json = strndup(j, (size_t)(e - j));
		CHECK(!strpbrk(json, "<>&"));
		CHECK_STR_CONTAINS(json, "\\u003c/script\\u003e\\u003csvg onload=alert(1)\\u003e");
		struct mj *m = mj_parse(json);
		CHECK(m != NULL);
		const struct mj *top0 = mj_at(mj_get(m, "top"), 0);
		CHECK_STR_EQ(mj_str(mj_get(top0, "file")), FX_HOSTILE_FILE);
		CHECK_STR_EQ(mj_str(mj_get(top0, "function")), FX_HOSTILE_FUNC);
		CHECK_STR_EQ(mj_str(mj_get(top0, "source")), FX_HOSTILE_SRC);
		CHECK_STR_EQ(mj_str(mj_at(mj_get(m, "command"), 2)), "</script><svg onload=alert(3)>");
		mj_free(m);
		free(json);
	}

	char why[200] = "";
	int bal = fx_balanced(s, 1, why, sizeof(why));
	if (bal)
		fprintf(stderr, "unbalanced HTML: %s\n", why);
	CHECK_EQ_INT(bal, 0);

	/* self-contained: the same patterns the integration tests refuse */
	static const char *const loads[] = {"<script[^>]*[[:space:]]src=",
					    "<link[^>]*[[:space:]]href=[\"']?https?:",
					    "<img[^>]*[[:space:]]src=[\"']?https?:", "@import", "url\\("};
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		regex_t re;
		CHECK_EQ_INT(regcomp(&re, loads[i], REG_EXTENDED | REG_NOSUB), 0);
		CHECK(regexec(&re, s, 0, NULL, 0) != 0);
		regfree(&re);
	}
	buf_free(&b);
	view_free(&v);
	src_free(src);
	profile_free(&p);
}

static void test_processes_and_links(void)
{
	struct profile p1, p2;
	fx_profile(&p1);
	fx_profile(&p2);
	p2.pid = 4243;
	p2.ppid = 4242;
	struct view v1, v2;
	CHECK_EQ_INT(view_build(&v1, &p1, FX_CWD, NULL), 0);
	CHECK_EQ_INT(view_build(&v2, &p2, FX_CWD, NULL), 0);
	struct doc_proc dps[2] = {{.p = &p1, .view = &v1, .parent = -1, .dir = "."}, {.p = &p2, .view = &v2, .parent = 4242, .dir = "processes/4243"}};
	struct doc d = {.argc = p1.argc, .argv = p1.argv, .python = "3.11.7", .has_exit_code = 1,
			.verdict = "exited", .duration_s = 2.5, .peak_rss_bytes = 20 << 20,
			.sample_rate = 1, .exact = 1, .main = &dps[0], .procs = dps, .nprocs = 2,
			.up = ""};
	struct buf b;
	buf_init(&b);
	doc_decide(&d);
	html_page(&b, &d);
	const char *s = buf_str(&b);
	CHECK_STR_CONTAINS(s, "<a href=\"processes/4243/index.html\">processes/4243/</a>");
	CHECK_STR_CONTAINS(s, "<dd>10.4 KiB</dd>");       /* peak tracked: 10668 B */
	CHECK_STR_CONTAINS(s, "<dd>20.0 MiB</dd>");       /* peak RSS */
	CHECK_STR_CONTAINS(s, "<dd>1.30 s</dd>");         /* peak time */
	CHECK_STR_CONTAINS(s, "<dd>exact</dd>");
	CHECK_STR_CONTAINS(s, "<dt>Processes profiled</dt><dd>2</dd>");
	CHECK_STR_CONTAINS(s, "The program exited with code 0 after 2.5 s.");
	CHECK_STR_CONTAINS(s, "<td class=\"num\">56.7%</td>"); /* 6050 / 10668 */
	CHECK_STR_NOT_CONTAINS(s, "report of the whole run"); /* main page: no up link */
	char why[200] = "";
	CHECK_EQ_INT(fx_balanced(s, 1, why, sizeof(why)), 0);
	/* nothing folded: no control to show it */
	CHECK_STR_NOT_CONTAINS(s, "id=\"oomph-show-plumbing\"");
	CHECK_EQ_INT(fx_count(s, "<svg xmlns"), 1);

	/* plumbing folded: the graph with it shown, hidden, and its button */
	dps[0].plumbing = &v2;
	buf_reset(&b);
	doc_decide(&d);
	html_page(&b, &d);
	s = buf_str(&b);
	CHECK_STR_CONTAINS(s, "<button type=\"button\" id=\"oomph-show-plumbing\"");
	CHECK_STR_CONTAINS(s, ">Show the run machinery</button>");
	CHECK_STR_CONTAINS(s, "<div class=\"flame\" id=\"oomph-plumbing\" hidden=\"\">\n<svg xmlns");
	CHECK_EQ_INT(fx_count(s, "<svg xmlns"), 2);
	CHECK_EQ_INT(fx_balanced(s, 1, why, sizeof(why)), 0);
	if (why[0])
		printf("unbalanced: %s\n", why);
	dps[0].plumbing = NULL;

	/* a process's own page links back up */
	struct doc_proc self = dps[1];
	snprintf(self.dir, sizeof(self.dir), ".");
	d.main = &self;
	d.procs = &self;
	d.nprocs = 1;
	d.up = "../../";
	buf_reset(&b);
	doc_decide(&d);
	html_page(&b, &d);
	CHECK_STR_CONTAINS(buf_str(&b), "<a href=\"../../index.html\">");
	CHECK_STR_NOT_CONTAINS(buf_str(&b), "processes/4243/index.html");
	buf_free(&b);
	view_free(&v1);
	view_free(&v2);
	profile_free(&p1);
	profile_free(&p2);
}

int main(void)
{
	fx_tmpdir(dir, sizeof(dir));
	test_hostile_page();
	test_processes_and_links();
	fx_rmrf(dir);
	return check_summary();
}
