/* Unit tests of report/summary.c: summary.json parsed back and checked
 * field by field against the fixture's known numbers; the terminal summary
 * line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "minijson.h"
#include "report/escape.h"
#include "report/summary.h"
#include "report_fixture.h"

#define CHECK_NUM(v, want) CHECK_EQ_INT((long long)(mj_num(v) * 1000 + 0.5), (long long)((want) * 1000 + 0.5))

static void test_json(void)
{
	struct profile p, c;
	fx_profile(&p);
	fx_profile(&c);
	c.pid = 5000;
	c.ppid = 4242;
	c.exited_cleanly = 0;
	c.overflow = 4; /* OOMPH_OVERFLOW_NODES */
	c.max_rss_bytes = 0;
	struct view v, cv;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	CHECK_EQ_INT(view_build(&cv, &c, FX_CWD, NULL), 0);
	struct doc_proc dps[2] = {{&p, &v, -1, ".", NULL, NULL, NULL, 0}, {&c, &cv, 4242, "processes/5000", NULL, NULL, NULL, 0}};
	char *argv[] = {"python3", "app.py", "--size", "a b"};
	struct doc_error errs[] = {{"state/77.oomph", "truncated"}};
	struct doc d = {.argc = 4, .argv = argv, .python = "3.11.7", .has_exit_code = 0,
			.signal = 9, .verdict = "killed", .duration_s = 2.5,
			.peak_rss_bytes = 30 << 20, .sample_rate = 262144, .exact = 0,
			.main = &dps[0], .procs = dps, .nprocs = 2, .errors = errs, .nerrors = 1,
			.up = ""};
	struct buf b;
	buf_init(&b);
	summary_json(&b, &d, 1, 0);
	CHECK(!b.oom);
	struct mj *m = mj_parse(buf_str(&b));
	CHECK(m != NULL);
	if (!m) {
		fprintf(stderr, "%s\n", buf_str(&b));
		return;
	}
	const struct mj *cmd = mj_get(m, "command");
	CHECK_EQ_INT(cmd ? cmd->n : 0, 4);
	CHECK_STR_EQ(mj_str(mj_at(cmd, 3)), "a b");
	CHECK_STR_EQ(mj_str(mj_get(m, "python")), "3.11.7");
	CHECK(mj_is_null(mj_get(m, "exit_code")));
	CHECK_EQ_INT(mj_num(mj_get(m, "signal")), 9);
	CHECK_STR_EQ(mj_str(mj_get(m, "verdict")), "killed");
	CHECK_STR_EQ(mj_str(mj_get(m, "verdict_text")), "was killed by signal 9 (SIGKILL)");
	CHECK_NUM(mj_get(m, "duration_s"), 2.5);
	CHECK_EQ_INT(mj_num(mj_get(m, "peak_tracked_bytes")), FX_PEAK);
	CHECK_NUM(mj_get(m, "peak_time_s"), 1.3);
	CHECK_EQ_INT(mj_num(mj_get(m, "peak_rss_bytes")), 30 << 20);
	CHECK_EQ_INT(mj_num(mj_get(m, "sample_rate_bytes")), 262144);
	const struct mj *ex = mj_get(m, "exact");
	CHECK(ex && ex->type == MJ_BOOL && ex->num == 0);
	CHECK_STR_EQ(mj_str(mj_get(m, "report")), "index.html");

	const struct mj *procs = mj_get(m, "processes");
	CHECK_EQ_INT(procs ? procs->n : 0, 2);
	const struct mj *p0 = mj_at(procs, 0), *p1 = mj_at(procs, 1);
	CHECK_EQ_INT(mj_num(mj_get(p0, "pid")), 4242);
	CHECK(mj_is_null(mj_get(p0, "parent")));
	CHECK_STR_EQ(mj_str(mj_get(p0, "dir")), ".");
	CHECK_EQ_INT(mj_num(mj_get(p0, "peak_tracked_bytes")), FX_PEAK);
	CHECK_EQ_INT(mj_num(mj_get(p0, "peak_rss_bytes")), 20 << 20);
	CHECK_EQ_INT(mj_num(mj_get(p0, "exited_cleanly")), 1);
	CHECK_EQ_INT(mj_num(mj_get(p0, "exit_code")), 0);
	CHECK_EQ_INT(mj_get(p0, "incomplete") ? mj_get(p0, "incomplete")->n : 99, 0);
	CHECK_STR_EQ(mj_str(mj_at(mj_get(p0, "command"), 1)), "app.py");
	CHECK_EQ_INT(mj_num(mj_get(p1, "pid")), 5000);
	CHECK_EQ_INT(mj_num(mj_get(p1, "parent")), 4242);
	CHECK_STR_EQ(mj_str(mj_get(p1, "dir")), "processes/5000");
	CHECK(mj_is_null(mj_get(p1, "peak_rss_bytes")));
	CHECK(mj_is_null(mj_get(p1, "exit_code")));
	CHECK_EQ_INT(mj_num(mj_get(p1, "exited_cleanly")), 0);
	const struct mj *inc = mj_get(p1, "incomplete");
	CHECK_EQ_INT(inc ? inc->n : 0, 2);
	CHECK_STR_CONTAINS(mj_str(mj_at(inc, 0)), "did not exit normally");
	CHECK_STR_CONTAINS(mj_str(mj_at(inc, 1)), "stack table full");

	const struct mj *top = mj_get(m, "top");
	CHECK_EQ_INT(top ? top->n : 0, 6);
	const struct mj *t0 = mj_at(top, 0), *t3 = mj_at(top, 3), *t5 = mj_at(top, 5);
	CHECK_STR_EQ(mj_str(mj_get(t0, "file")), "app.py");
	CHECK_EQ_INT(mj_num(mj_get(t0, "line")), 30);
	CHECK_STR_EQ(mj_str(mj_get(t0, "function")), "build");
	CHECK_EQ_INT(mj_num(mj_get(t0, "bytes")), 6050);
	double share = mj_num(mj_get(t0, "share"));
	CHECK(share > 6050.0 / FX_PEAK - 1e-6 && share < 6050.0 / FX_PEAK + 1e-6);
	CHECK_STR_EQ(mj_str(mj_get(t0, "source")), "");
	CHECK_STR_EQ(mj_str(mj_get(t3, "file")), "[no Python stack]");
	CHECK_EQ_INT(mj_num(mj_get(t3, "synthetic")), 1);
	CHECK_EQ_INT(mj_num(mj_get(t3, "bytes")), 500);
	CHECK_STR_EQ(mj_str(mj_get(t5, "file")), "we;ird\nname.py"); /* raw, JSON-escaped */
	CHECK_STR_EQ(mj_str(mj_get(t5, "function")), "f;n");
	long long sum = 0;
	for (size_t i = 0; top && i < top->n; i++)
		sum += (long long)mj_num(mj_get(mj_at(top, i), "bytes"));
	CHECK_EQ_INT(sum, FX_PEAK);

	const struct mj *e = mj_get(m, "errors");
	CHECK_EQ_INT(e ? e->n : 0, 1);
	CHECK_STR_EQ(mj_str(mj_get(mj_at(e, 0), "file")), "state/77.oomph");
	CHECK_STR_EQ(mj_str(mj_get(mj_at(e, 0), "message")), "truncated");
	mj_free(m);

	/* compact form, for a script: the same document */
	buf_reset(&b);
	summary_json(&b, &d, 0, ESC_JSON_SCRIPT);
	CHECK(!strchr(buf_str(&b), '\n'));
	m = mj_parse(buf_str(&b));
	CHECK(m != NULL);
	CHECK_EQ_INT(mj_num(mj_get(m, "peak_tracked_bytes")), FX_PEAK);
	mj_free(m);
	buf_free(&b);
	view_free(&v);
	view_free(&cv);
	profile_free(&p);
	profile_free(&c);
}

static char *terminal(const struct doc *d, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	summary_terminal(f, d, path);
	fclose(f);
	return text;
}

static void test_terminal(void)
{
	struct profile p;
	fx_profile(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct doc_proc dps[3] = {{&p, &v, -1, ".", NULL, NULL, NULL, 0}, {&p, &v, -1, ".", NULL, NULL, NULL, 0}, {&p, &v, -1, ".", NULL, NULL, NULL, 0}};
	char *argv[] = {"python3", "app.py", "it's"};
	struct doc d = {.argc = 3, .argv = argv, .has_exit_code = 1, .exit_code = 0,
			.verdict = "exited", .duration_s = 1.94, .peak_rss_bytes = 612LL << 20,
			.sample_rate = 262144, .main = &dps[0], .procs = dps, .nprocs = 3, .up = ""};
	char *t = terminal(&d, "/tmp/run/index.html");
	/* 6050/10668 = 56.7%, 3000/10668 = 28.1%, 1011/10668 = 9.5%, 500/10668 = 4.7%,
	 * 100/10668 = 0.9%; sizes right-aligned in 10 columns */
	CHECK_STR_CONTAINS(t, "oomph: python3 app.py 'it'\\''s' exited with code 0 after 1.9 s\n");
	CHECK_STR_CONTAINS(t, "oomph: peak tracked memory 10.4 KiB at 1.3 s; peak RSS 612.0 MiB; "
			      "sampling every 256.0 KiB\n");
	CHECK_STR_CONTAINS(t, "oomph: top lines at the peak:\n"
			      "oomph:    56.7%     5.9 KiB  app.py:30 (build)\n"
			      "oomph:    28.1%     2.9 KiB  /nonexistent/py/json/decoder.py:337 (decode)\n"
			      "oomph:     9.5%      1011 B  app.py:20 (load)\n"
			      "oomph:     4.7%       500 B  [no Python stack]\n"
			      "oomph:     0.9%       100 B  [unattributed]\n"
			      "oomph: 3 processes profiled (see the report)\n"
			      "oomph: report: /tmp/run/index.html\n");
	CHECK_EQ_INT(fx_count(t, "\n"), 10); /* 5 top lines only, nothing else */
	free(t);

	/* one process, a signal, exact mode, an error, a hostile command */
	char *evil[] = {"python3", "\x1b[2Jboom.py"};
	struct doc_error errs[] = {{"state/1.oomph", "bad magic \x1b]0;title\x07"}};
	d.argc = 2;
	d.argv = evil;
	d.signal = 9;
	d.has_exit_code = 0;
	d.verdict = "killed";
	d.exact = 1;
	d.sample_rate = 1;
	d.peak_rss_bytes = 0;
	d.nprocs = 1;
	d.errors = errs;
	d.nerrors = 1;
	t = terminal(&d, "r/index.html");
	CHECK_STR_CONTAINS(t, "oomph: python3 '?[2Jboom.py' was killed by signal 9 (SIGKILL) after 1.9 s\n");
	CHECK_STR_CONTAINS(t, "oomph: cannot read state/1.oomph: bad magic ?]0;title?\n");
	CHECK_STR_CONTAINS(t, "; peak RSS unknown; every allocation recorded (exact)\n");
	CHECK_STR_NOT_CONTAINS(t, "\x1b");
	CHECK_STR_NOT_CONTAINS(t, "\x07");
	CHECK_STR_NOT_CONTAINS(t, "processes profiled");
	free(t);

	/* no process at all */
	const char *warn[] = {"no process was profiled"};
	memset(&d, 0, sizeof(d));
	d.argc = 1;
	d.argv = argv;
	d.has_exit_code = 1;
	d.exit_code = 2;
	d.verdict = "exited";
	d.warnings = warn;
	d.nwarnings = 1;
	t = terminal(&d, "r/index.html");
	CHECK_STR_EQ(t, "oomph: python3 exited with code 2 after 0.0 s\n"
			"oomph: no process was profiled\n"
			"oomph: report: r/index.html\n");
	free(t);
	view_free(&v);
	profile_free(&p);
}

/* summary.json of d, parsed back (NULL on a parse error, counted). */
static struct mj *rendered(struct buf *b, const struct doc *d)
{
	buf_reset(b);
	summary_json(b, d, 1, 0);
	struct mj *m = mj_parse(buf_str(b));
	CHECK(m != NULL);
	return m;
}

/* The swap story: what was allowed, what the machine has, what it used;
 * an OOM kill after swapping says both; the moment --max-stall stopped it. */
static void test_swap_json(void)
{
	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	runmeta_init_unknown(&meta);
	strcpy(meta.verdict, "oom-killed");
	meta.swap.allowed_bytes = 300ll << 20;
	meta.swap.machine_bytes = 320ll << 20;
	meta.swap.peak_bytes = 154ll << 20;
	meta.swap.vmswap_peak_bytes = 155ll << 20;
	meta.swap.in_max_per_s = 31.5 * 1048576;
	meta.swap.out_max_per_s = 85.25 * 1048576;
	meta.swap.in_bytes = 40ll << 20;
	meta.swap.out_bytes = 200ll << 20;
	meta.swap.seconds = 16.3;
	strcpy(meta.swap.scope, "machine");
	char *argv[] = {"python3", "churn.py"};
	struct doc d = {.argc = 2, .argv = argv, .signal = 9, .verdict = "oom-killed",
			.duration_s = 20, .meta = &meta, .up = ""};
	struct buf b;
	buf_init(&b);
	struct mj *m = rendered(&b, &d);
	if (!m)
		return;
	CHECK_STR_EQ(mj_str(mj_get(m, "verdict_text")),
		     "swapped for 16.3 s (peak swap 154.0 MiB), then was killed by the kernel's OOM killer (SIGKILL)");
	const struct mj *sw = mj_get(m, "swap");
	CHECK(sw != NULL);
	CHECK_EQ_INT(mj_num(mj_get(sw, "allowed_bytes")), 300ll << 20);
	CHECK_EQ_INT(mj_num(mj_get(sw, "machine_bytes")), 320ll << 20);
	CHECK_EQ_INT(mj_num(mj_get(sw, "peak_bytes")), 154ll << 20);
	CHECK_EQ_INT(mj_num(mj_get(sw, "vmswap_peak_bytes")), 155ll << 20);
	CHECK_EQ_INT(mj_num(mj_get(sw, "in_max_bytes_per_s")), 33030144);
	CHECK_EQ_INT(mj_num(mj_get(sw, "out_max_bytes_per_s")), 89391104);
	CHECK_EQ_INT(mj_num(mj_get(sw, "in_bytes")), 40ll << 20);
	CHECK_EQ_INT(mj_num(mj_get(sw, "out_bytes")), 200ll << 20);
	CHECK_NUM(mj_get(sw, "swapping_s"), 16.3);
	CHECK_STR_EQ(mj_str(mj_get(sw, "scope")), "machine");
	CHECK(mj_is_null(mj_get(m, "stopped")));
	mj_free(m);

	/* not bounded by oomph, never swapped: nulls and zeros, and the plain
	 * OOM sentence */
	meta.swap = (struct runmeta_swap){.allowed_bytes = -1, .machine_bytes = 0};
	if (!(m = rendered(&b, &d)))
		return;
	sw = mj_get(m, "swap");
	CHECK(mj_is_null(mj_get(sw, "allowed_bytes")));
	CHECK_EQ_INT(mj_num(mj_get(sw, "machine_bytes")), 0);
	CHECK_EQ_INT(mj_num(mj_get(sw, "peak_bytes")), 0);
	CHECK(mj_is_null(mj_get(sw, "scope")));
	CHECK_STR_EQ(mj_str(mj_get(m, "verdict_text")), "was killed by the kernel's OOM killer (SIGKILL)");
	mj_free(m);

	/* stopped by --max-stall: the figures of that moment */
	strcpy(meta.verdict, "stopped-thrashing");
	d.verdict = "stopped-thrashing";
	meta.stopped_for_stall = 1;
	meta.stop = (struct runmeta_stop){.t_s = 2.882, .share_pct = 29.28, .readback_per_s = 5264.4,
					  .swap_bytes = 72495104, .in_per_s = 21563039,
					  .out_per_s = 22740354};
	strcpy(meta.stop.by, "psi");
	if (!(m = rendered(&b, &d)))
		return;
	CHECK_STR_EQ(mj_str(mj_get(m, "verdict_text")), "was stopped by oomph while thrashing (--max-stall)");
	const struct mj *st = mj_get(m, "stopped");
	CHECK_NUM(mj_get(st, "time_s"), 2.882);
	CHECK_STR_EQ(mj_str(mj_get(st, "by")), "psi");
	CHECK_NUM(mj_get(st, "share_pct"), 29.28);
	CHECK_EQ_INT(mj_num(mj_get(st, "swap_bytes")), 72495104);
	CHECK_EQ_INT(mj_num(mj_get(st, "in_bytes_per_s")), 21563039);
	CHECK_EQ_INT(mj_num(mj_get(st, "out_bytes_per_s")), 22740354);
	mj_free(m);
	buf_free(&b);
}

int main(void)
{
	test_json();
	test_swap_json();
	test_terminal();
	return check_summary();
}
