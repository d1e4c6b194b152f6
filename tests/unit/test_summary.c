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
	struct doc_proc dps[2] = {{.p = &p, .view = &v, .parent = -1, .dir = "."}, {.p = &c, .view = &cv, .parent = 4242, .dir = "processes/5000"}};
	char *argv[] = {"python3", "app.py", "--size", "a b"};
	struct doc_error errs[] = {{"state/77.oomph", "truncated"}};
	struct doc d = {.argc = 4, .argv = argv, .python = "3.11.7", .has_exit_code = 0,
			.signal = 9, .verdict = "killed", .duration_s = 2.5,
			.peak_rss_bytes = 30 << 20, .sample_rate = 262144, .exact = 0,
			.main = &dps[0], .procs = dps, .nprocs = 2, .errors = errs, .nerrors = 1,
			.up = ""};
	struct buf b;
	buf_init(&b);
	doc_decide(&d);
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
	struct doc c = *d; /* the report's stage: decided, then formatted */
	doc_decide(&c);
	summary_terminal(f, &c, path);
	fclose(f);
	return text;
}

static void test_terminal(void)
{
	struct profile p;
	fx_profile(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct doc_proc dps[3] = {{.p = &p, .view = &v, .parent = -1, .dir = "."}, {.p = &p, .view = &v, .parent = -1, .dir = "."}, {.p = &p, .view = &v, .parent = -1, .dir = "."}};
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
	CHECK_STR_CONTAINS(t, "oomph: your lines at the peak (the innermost line of the program's own code):\n"
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
	p.max_rss_bytes = 0; /* nobody measured it: unknown */
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
	struct doc c = *d;
	doc_decide(&c);
	summary_json(b, &c, 1, 0);
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

/* The sizing advice: what it needed, 20% more rounded up, in the words of
 * three schedulers; at its limit, no number. */
static void test_sizing(void)
{
	const int64_t MiB = 1 << 20, GiB = 1 << 30;
	CHECK_EQ_INT(doc_sizing_request(488 * MiB), 600 * MiB); /* 585.6 MiB up */
	CHECK_EQ_INT(doc_sizing_request(500 * MiB), 600 * MiB); /* exactly 600 */
	CHECK_EQ_INT(doc_sizing_request(501 * MiB), 700 * MiB);
	CHECK_EQ_INT(doc_sizing_request(1), 100 * MiB);
	CHECK_EQ_INT(doc_sizing_request(9 * GiB), 11 * GiB); /* 10.8 GiB: whole GiB from 10 on */
	CHECK_EQ_INT(doc_sizing_request(0), 0);

	struct profile p;
	fx_profile(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct doc_proc dps[1] = {{.p = &p, .view = &v, .parent = -1, .dir = "."}};
	char *argv[] = {"python3", "app.py"};
	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	runmeta_init_unknown(&meta);
	struct doc d = {.argc = 2, .argv = argv, .has_exit_code = 1, .exit_code = 0,
			.verdict = "exited", .duration_s = 1.94, .peak_rss_bytes = 488LL << 20,
			.sample_rate = 262144, .main = &dps[0], .procs = dps, .nprocs = 1, .up = "",
			.meta = &meta};
	char *t = terminal(&d, "/tmp/run/index.html");
	CHECK_STR_CONTAINS(t, "oomph: this job needed 488.0 MiB (peak RSS); to run it with headroom "
			      "request 600 MiB \u2014 Kubernetes `resources.limits.memory: 600Mi`, "
			      "Slurm `--mem=600M`, Docker `--memory=600m`\n");
	free(t);
	struct buf b;
	buf_init(&b);
	doc_decide(&d);
	summary_json(&b, &d, 1, 0);
	struct mj *m = mj_parse(buf_str(&b));
	CHECK(m != NULL);
	const struct mj *z = m ? mj_get(m, "sizing") : NULL;
	CHECK_EQ_INT(mj_num(mj_get(z, "needed_bytes")), 488LL << 20);
	CHECK_EQ_INT(mj_num(mj_get(z, "request_bytes")), 600LL << 20);
	CHECK_STR_EQ(mj_str(mj_get(z, "kubernetes")), "600Mi");
	CHECK_STR_EQ(mj_str(mj_get(z, "slurm")), "600M");
	CHECK_STR_EQ(mj_str(mj_get(z, "docker")), "600m");
	mj_free(m);
	buf_free(&b);

	/* killed at its limit: how much more it needed is not known */
	meta.limit_bytes = 500LL << 20;
	d.verdict = "oom-killed";
	d.signal = 9;
	d.has_exit_code = 0;
	t = terminal(&d, "/tmp/run/index.html");
	CHECK_STR_CONTAINS(t, "oomph: this job needed more than its limit of 500.0 MiB (it ran out of "
			      "memory there): run it with a larger limit, or none, to measure what it needs\n");
	free(t);
	view_free(&v);
	profile_free(&p);
}

/* One shared-memory segment of the fixture, its record in p->segments. */
static void fx_segment(struct profile *p, const char *kind, const char *name, int64_t bytes,
		       uint32_t node)
{
	struct profile_segment *g = realloc(p->segments, (p->nsegments + 1) * sizeof(*g));
	CHECK(g != NULL);
	if (!g)
		return;
	p->segments = g;
	g += p->nsegments++;
	memset(g, 0, sizeof(*g));
	snprintf(g->kind, sizeof g->kind, "%s", kind);
	snprintf(g->name, sizeof g->name, "%s", name);
	g->bytes = bytes;
	g->node = node;
	p->shm_bytes += bytes;
}

/* Shared memory across the page's processes: every live segment listed
 * largest first with the program's line that sized it (below a library
 * frame too), 3 named in the sentence, the rest counted; the sentence is
 * evidence (last) only when the run died. */
static void test_shared_memory(void)
{
	const int64_t MiB = 1 << 20;
	struct profile p, c;
	fx_profile(&p);
	fx_profile(&c);
	c.pid = 5000;
	uint32_t fr, nbig, nx, nlib, npsm;
	profile_add_frame(&p, "[shared memory: memfd 'big']", "", 0, PROFILE_FRAME_SHARED, &fr);
	profile_add_node(&p, FX_N4, fr, 300 * MiB, 300 * MiB, &nbig);
	profile_add_frame(&p, "[shared memory: memfd 'x']", "", 0, PROFILE_FRAME_SHARED, &fr);
	profile_add_node(&p, 0, fr, 4096, 4096, &nx);
	fx_segment(&p, "memfd", "x", 4096, nx);
	fx_segment(&p, "memfd", "big", 300 * MiB, nbig);
	p.shm_sized = 3;
	profile_add_frame(&c, "/usr/lib/python3.11/multiprocessing/shared_memory.py",
			  "SharedMemory.__init__", 112, PROFILE_FRAME_PYTHON, &fr);
	profile_add_node(&c, FX_N1, fr, 0, 0, &nlib);
	profile_add_frame(&c, "[shared memory: /dev/shm/psm_1]", "", 0, PROFILE_FRAME_SHARED, &fr);
	profile_add_node(&c, nlib, fr, 40 * MiB, 40 * MiB, &npsm);
	fx_segment(&c, "tmpfs", "/dev/shm/psm_1", 40 * MiB, npsm);
	fx_segment(&c, "memfd", "tiny", 8192, 0); /* sized with no Python stack */
	c.shm_sized = 2;
	struct view v, cv;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	CHECK_EQ_INT(view_build(&cv, &c, FX_CWD, NULL), 0);
	struct doc_proc dps[2] = {{.p = &p, .view = &v, .parent = -1, .dir = "."},
				  {.p = &c, .view = &cv, .parent = 4242, .dir = "processes/5000"}};
	char *argv[] = {"python3", "app.py"};
	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	runmeta_init_unknown(&meta);
	CHECK_EQ_INT(runmeta_add_evidence(&meta, "the oom_kill counter rose by 1"), 0);
	struct doc d = {.argc = 2, .argv = argv, .signal = 9, .verdict = "oom-killed",
			.duration_s = 1.5, .sample_rate = 1, .main = &dps[0], .procs = dps,
			.nprocs = 2, .up = "", .meta = &meta};
	const char *story = "shared memory: 340.0 MiB in 4 segments (memfd 'big', 300.0 MiB, created "
			    "at app.py:30; /dev/shm/psm_1, 40.0 MiB, created at app.py:10 in process "
			    "5000; memfd 'tiny', 8.0 KiB, created with no Python line in process 5000; "
			    "and 1 more)";
	struct buf b;
	buf_init(&b);
	struct mj *m = rendered(&b, &d);
	const struct mj *z = m ? mj_get(m, "shared_memory") : NULL;
	CHECK(z != NULL);
	CHECK_EQ_INT(mj_num(mj_get(z, "bytes")), 340 * MiB + 12288);
	CHECK_EQ_INT(mj_num(mj_get(z, "count")), 4);
	CHECK_EQ_INT(mj_num(mj_get(z, "sized")), 5);
	CHECK_EQ_INT(mj_num(mj_get(z, "peak_bytes")), 300 * MiB + 4096); /* the main's picture */
	CHECK_STR_EQ(mj_str(mj_get(z, "text")), story);
	const struct mj *segs = mj_get(z, "segments");
	CHECK_EQ_INT(segs ? segs->n : 0, 4);
	const struct mj *g0 = mj_at(segs, 0), *g1 = mj_at(segs, 1), *g2 = mj_at(segs, 2);
	CHECK_EQ_INT(mj_num(mj_get(g0, "pid")), 4242);
	CHECK_STR_EQ(mj_str(mj_get(g0, "kind")), "memfd");
	CHECK_STR_EQ(mj_str(mj_get(g0, "name")), "big");
	CHECK_EQ_INT(mj_num(mj_get(g0, "bytes")), 300 * MiB);
	CHECK_STR_EQ(mj_str(mj_get(g0, "file")), "app.py");
	CHECK_EQ_INT(mj_num(mj_get(g0, "line")), 30);
	CHECK_STR_EQ(mj_str(mj_get(g0, "function")), "build");
	/* below multiprocessing's frame: the program's line that called it */
	CHECK_EQ_INT(mj_num(mj_get(g1, "pid")), 5000);
	CHECK_STR_EQ(mj_str(mj_get(g1, "kind")), "tmpfs");
	CHECK_STR_EQ(mj_str(mj_get(g1, "file")), "app.py");
	CHECK_EQ_INT(mj_num(mj_get(g1, "line")), 10);
	CHECK_STR_EQ(mj_str(mj_get(g1, "function")), "main");
	CHECK(mj_is_null(mj_get(g2, "file")));
	CHECK(mj_is_null(mj_get(g2, "line")));
	CHECK(mj_is_null(mj_get(g2, "function")));
	const struct mj *ev = m ? mj_get(m, "evidence") : NULL;
	CHECK_EQ_INT(ev ? ev->n : 0, 2);
	CHECK_STR_EQ(mj_str(mj_at(ev, 0)), "the oom_kill counter rose by 1");
	CHECK_STR_EQ(mj_str(mj_at(ev, 1)), story);
	mj_free(m);
	char *t = terminal(&d, "r/index.html");
	char line[1024];
	snprintf(line, sizeof line, "oomph:   - the oom_kill counter rose by 1\noomph:   - %s\n", story);
	CHECK_STR_CONTAINS(t, line);
	free(t);

	/* the main process alone: its own two, no process named */
	d.nprocs = 1;
	m = rendered(&b, &d);
	z = m ? mj_get(m, "shared_memory") : NULL;
	CHECK_STR_EQ(mj_str(mj_get(z, "text")),
		     "shared memory: 300.0 MiB in 2 segments (memfd 'big', 300.0 MiB, created at "
		     "app.py:30; memfd 'x', 4.0 KiB, created with no Python line)");
	mj_free(m);

	/* a run that exited: listed, but no evidence of anything */
	d.signal = 0;
	d.has_exit_code = 1;
	d.exit_code = 0;
	d.verdict = "exited";
	m = rendered(&b, &d);
	ev = m ? mj_get(m, "evidence") : NULL;
	CHECK_EQ_INT(ev ? ev->n : 0, 1);
	CHECK_EQ_INT(mj_num(mj_get(mj_get(m, "shared_memory"), "count")), 2);
	mj_free(m);
	t = terminal(&d, "r/index.html");
	CHECK_STR_NOT_CONTAINS(t, "  - shared memory:");
	free(t);
	buf_free(&b);
	runmeta_free(&meta);
	view_free(&v);
	view_free(&cv);
	profile_free(&p);
	profile_free(&c);
}

/* Why RSS and tracked memory differ: each case's sentence, and the figures. */
static void test_rss_gap(void)
{
	const int64_t MiB = 1 << 20;
	struct profile p;
	fx_profile(&p);
	p.peak_bytes = 600 * MiB;
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct doc_proc dps[1] = {{.p = &p, .view = &v, .parent = -1, .dir = "."}};
	char *argv[] = {"python3", "app.py"};
	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	runmeta_init_unknown(&meta);
	/* 600 MiB tracked, 210 MiB RSS: 400 MiB never touched */
	meta.split = (struct runmeta_rss_split){1.25, 600 * MiB, 210 * MiB, 200 * MiB, 9 * MiB,
						1 * MiB, 5 * MiB, 0, "smaps_rollup", -1};
	struct doc d = {.argc = 2, .argv = argv, .has_exit_code = 1, .exit_code = 0,
			.verdict = "exited", .duration_s = 1.94, .peak_rss_bytes = 210 * MiB,
			.sample_rate = 262144, .main = &dps[0], .procs = dps, .nprocs = 1, .up = "",
			.meta = &meta};
	char *t = terminal(&d, "/tmp/run/index.html");
	CHECK_STR_CONTAINS(t, "oomph: RSS and tracked memory: near its peak (1.2 s) RSS was 210.0 MiB "
			      "and tracked memory 600.0 MiB: 400.0 MiB of what it had allocated was not "
			      "touched yet, so the kernel had given it no pages (calloc, np.zeros and "
			      "np.empty get theirs only when written; its anonymous RSS was 200.0 MiB); "
			      "9.0 MiB of RSS "
			      "was file-backed (the interpreter, shared libraries, mapped files), which is "
			      "not tracked, and 1.0 MiB shared memory (tmpfs, memfd); 5.0 MiB of its pages "
			      "were shared with other processes\n");
	free(t);
	struct buf b;
	buf_init(&b);
	doc_decide(&d);
	summary_json(&b, &d, 1, 0);
	struct mj *m = mj_parse(buf_str(&b));
	const struct mj *g = m ? mj_get(m, "rss_vs_tracked") : NULL;
	CHECK(g != NULL);
	CHECK_EQ_INT(mj_num(mj_get(g, "untouched_bytes")), 400 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(g, "kept_bytes")), 0);
	CHECK_EQ_INT(mj_num(mj_get(g, "file_bytes")), 9 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(g, "shared_bytes")), 5 * MiB);
	CHECK_STR_EQ(mj_str(mj_get(g, "source")), "smaps_rollup");
	CHECK_STR_EQ(mj_str(mj_get(g, "text")), d.head.gap.text);
	mj_free(m);
	buf_free(&b);

	/* anonymous RSS above tracked: kept by the allocator; status has no
	 * shared figure; a sample far below the peak says so */
	meta.split = (struct runmeta_rss_split){0.5, 300 * MiB, 520 * MiB, 500 * MiB, 15 * MiB,
						5 * MiB, -1, -1, "status", -1};
	doc_decide(&d);
	CHECK_STR_EQ(d.head.gap.text,
		     "at 0.5 s, the highest tracked memory the 100 ms samples saw (50% of its peak), "
		     "RSS was 520.0 MiB and tracked memory 300.0 MiB: its anonymous RSS (500.0 MiB) was "
		     "200.0 MiB above what it held: memory freed but kept by the allocator (glibc's and "
		     "Python's free lists and arenas), thread stacks, and what was allocated before "
		     "tracking began; 15.0 MiB of RSS was file-backed (the interpreter, shared "
		     "libraries, mapped files), which is not tracked, and 5.0 MiB shared memory (tmpfs, "
		     "memfd)");
	CHECK_EQ_INT(d.head.gap.kept_bytes, 200 * MiB);
	buf_init(&b);
	summary_json(&b, &d, 1, 0);
	m = mj_parse(buf_str(&b));
	g = m ? mj_get(m, "rss_vs_tracked") : NULL;
	CHECK(g != NULL && mj_get(g, "shared_bytes") && mj_get(g, "shared_bytes")->type == MJ_NULL);
	CHECK(mj_get(g, "oomph_state_bytes") && mj_get(g, "oomph_state_bytes")->type == MJ_NULL);
	mj_free(m);
	buf_free(&b);

	/* oomph's own state file is shared memory in the RSS: said apart,
	 * the program's shared memory without it (and not said under 1 MiB) */
	meta.split.own_bytes = 3 * MiB;
	doc_decide(&d);
	CHECK_STR_CONTAINS(d.head.gap.text, "which is not tracked, and 2.0 MiB shared memory (tmpfs, "
					    "memfd); 3.0 MiB of RSS was oomph's own record of the run "
					    "(its state file, shared memory)");
	buf_init(&b);
	summary_json(&b, &d, 1, 0);
	m = mj_parse(buf_str(&b));
	g = m ? mj_get(m, "rss_vs_tracked") : NULL;
	CHECK(g != NULL);
	CHECK_EQ_INT(mj_num(mj_get(g, "oomph_state_bytes")), 3 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(g, "shmem_bytes")), 5 * MiB);
	mj_free(m);
	buf_free(&b);
	meta.split.own_bytes = 4 * MiB + 512 * 1024; /* all but 0.5 MiB: that part not said */
	doc_decide(&d);
	CHECK_STR_CONTAINS(d.head.gap.text, "which is not tracked; 4.5 MiB of RSS was oomph's own "
					    "record of the run (its state file, shared memory)");
	CHECK_STR_NOT_CONTAINS(d.head.gap.text, "(tmpfs, memfd)");
	meta.split.own_bytes = 9 * MiB; /* more than the kernel's count: no more than it */
	doc_decide(&d);
	CHECK_STR_CONTAINS(d.head.gap.text, "; 5.0 MiB of RSS was oomph's own record");

	/* nothing read (a program shorter than a sample): no sentence */
	memset(&meta.split, 0, sizeof meta.split);
	doc_decide(&d);
	CHECK_EQ_INT(d.head.gap.has, 0);
	t = terminal(&d, "/tmp/run/index.html");
	CHECK_STR_NOT_CONTAINS(t, "RSS and tracked memory");
	free(t);
	view_free(&v);
	profile_free(&p);
}

/* The job's story (report/doc.c): a worker OOM-killed is the job's
 * verdict and the start of the sentence; a worker ended by its pool is a
 * normal ending, not in it; the job's RSS in words. */
static void test_job_victims(void)
{
	struct profile p, w1, w2;
	fx_profile(&p);
	fx_profile(&w1);
	fx_profile(&w2);
	w1.pid = 5000;
	w2.pid = 5001;
	w1.ppid = w2.ppid = p.pid;
	w1.exited_cleanly = w2.exited_cleanly = 0;
	char *wargv[] = {"python3", "w.py"};
	struct doc_victim vs[2] = {
		{.pid = 5000, .argc = 2, .argv = wargv, .verdict = "oom-killed",
		 .evidence = "the kernel log names it", .time_s = 1.25},
		{.pid = 5001, .argc = 2, .argv = wargv, .verdict = "ended-by-parent",
		 .evidence = "SIGTERM from its parent, process 4242", .time_s = 1.3},
	};
	struct doc_proc dps[3] = {{.p = &p, .parent = -1, .dir = "."},
				  {.p = &w1, .parent = p.pid, .dir = "processes/5000", .victim = &vs[0]},
				  {.p = &w2, .parent = p.pid, .dir = "processes/5001", .victim = &vs[1]}};
	char *argv[] = {"python3", "job.py"};
	struct runmeta meta;
	memset(&meta, 0, sizeof(meta));
	meta.job_pss_peak_bytes = 300 << 20;
	snprintf(meta.job_rss_how, sizeof meta.job_rss_how, "pss");
	meta.cgroup_peak_bytes = 310 << 20;
	struct doc d = {.argc = 2, .argv = argv, .has_exit_code = 1, .exit_code = 1,
			.verdict = "exited", .duration_s = 2.0, .main = &dps[0], .procs = dps,
			.nprocs = 3, .up = "", .meta = &meta, .victims = vs, .nvictims = 2};
	doc_decide(&d);
	CHECK_STR_EQ(d.head.verdict_text,
		     "lost process 5000 (python3 w.py) at 1.2 s to the kernel's OOM killer, then "
		     "exited with code 1");
	CHECK_STR_EQ(d.head.job.verdict, "oom-killed");
	CHECK_EQ_INT(d.head.ok, 0);
	char words[512], end[256];
	doc_job_rss_words(&d.head.job, words, sizeof words);
	CHECK_STR_EQ(words, "300.0 MiB (its processes' PSS summed: pages they share counted once); "
			    "the kernel's high-water mark of its --limit cgroup: 310.0 MiB (page "
			    "cache included)");
	doc_proc_ending(&dps[2], end, sizeof end);
	CHECK_STR_EQ(end, "was ended by its pool (SIGTERM from its parent, process 4242), a normal "
			  "ending for a pool's worker");
	/* the job when the worker died: what each process held then, summed
	 * once, whose death in words, in summary.json and on the terminal */
	char *pargv[] = {"python3", "job.py"};
	struct doc_job_proc at[3] = {{5000, 0, 2, wargv, 240 << 20},
				     {4242, 0, 2, pargv, 7 << 20},
				     {5001, 0, 2, wargv, 512}};
	d.job_death_victim = &vs[0];
	d.job_death_time_s = 1.234;
	d.job_at_death = at;
	d.njob_at_death = 3;
	doc_decide(&d);
	CHECK_EQ_INT(d.head.job.death_bytes, (240 << 20) + (7 << 20) + 512);
	CHECK_STR_EQ(d.head.job.death_when, "when process 5000 was OOM-killed");
	struct buf jb;
	buf_init(&jb);
	summary_json(&jb, &d, 1, 0);
	struct mj *m = mj_parse(buf_str(&jb));
	const struct mj *jd = mj_get(mj_get(m, "job"), "death");
	CHECK(jd != NULL);
	CHECK_EQ_INT(mj_num(mj_get(jd, "pid")), 5000);
	CHECK_STR_EQ(mj_str(mj_get(jd, "verdict")), "oom-killed");
	CHECK_NUM(mj_get(jd, "time_s"), 1.234);
	CHECK_EQ_INT(mj_num(mj_get(jd, "bytes")), (240 << 20) + (7 << 20) + 512);
	const struct mj *jp = mj_get(jd, "processes");
	CHECK_EQ_INT(mj_num(mj_get(mj_at(jp, 1), "pid")), 4242);
	CHECK_EQ_INT(mj_num(mj_get(mj_at(jp, 1), "bytes")), 7 << 20);
	CHECK_STR_EQ(mj_str(mj_at(mj_get(mj_at(jp, 0), "command"), 1)), "w.py");
	CHECK(mj_is_null(mj_get(jd, "folded"))); /* no picture was made here */
	mj_free(m);
	buf_free(&jb);
	char *t = terminal(&d, "/r/index.html");
	CHECK_STR_CONTAINS(t, "oomph: the job when process 5000 was OOM-killed (1.2 s): 247.0 MiB "
			      "across 3 processes: process 5000 240.0 MiB, process 4242 7.0 MiB, "
			      "process 5001 512 B\n");
	free(t);
	d.job_death_victim = NULL;
	doc_decide(&d);
	buf_init(&jb);
	summary_json(&jb, &d, 1, 0);
	m = mj_parse(buf_str(&jb));
	CHECK(mj_is_null(mj_get(mj_get(m, "job"), "death")));
	mj_free(m);
	buf_free(&jb);
	/* only the pool's ending: the verdict is the main process's own */
	d.victims = &vs[1];
	d.nvictims = 1;
	doc_decide(&d);
	CHECK_STR_EQ(d.head.verdict_text, "exited with code 1");
	CHECK_STR_EQ(d.head.job.verdict, "exited");
	/* A job shorter than a PSS reading (a 0.1 s run once read 47 KiB):
	 * its largest process's own peak RSS is the figure, said as such, and
	 * the sizing does not call it the RSS of all its processes. */
	meta.job_pss_peak_bytes = 47 << 10;
	meta.cgroup_peak_bytes = 0;
	dps[1].hwm_bytes = 38 << 20;
	dps[0].hwm_bytes = 20 << 20;
	doc_decide(&d);
	CHECK_EQ_INT(d.head.job.peak_rss_bytes, 38 << 20);
	CHECK_STR_EQ(d.head.job.peak_rss_how, "largest-process");
	doc_job_rss_words(&d.head.job, words, sizeof words);
	CHECK_STR_EQ(words, "38.0 MiB (its largest process's own peak RSS: its processes' PSS, summed "
			    "every 100 ms, never caught the job at its peak)");
	CHECK_EQ_INT(d.head.sizing.needed_bytes, 38 << 20);
	CHECK_STR_EQ(d.head.sizing.needed_what, "peak RSS");
	/* a job that ended before the first reading (no sum at all): the
	 * same figure, not none */
	meta.job_pss_peak_bytes = 0;
	doc_decide(&d);
	CHECK_EQ_INT(d.head.job.peak_rss_bytes, 38 << 20);
	CHECK_STR_EQ(d.head.job.peak_rss_how, "largest-process");
	CHECK_EQ_INT(d.head.sizing.needed_bytes, 38 << 20);
	/* a sum that caught more stays the sum */
	meta.job_pss_peak_bytes = 50 << 20;
	doc_decide(&d);
	CHECK_EQ_INT(d.head.job.peak_rss_bytes, 50 << 20);
	CHECK_STR_EQ(d.head.job.peak_rss_how, "pss");
	profile_free(&p);
	profile_free(&w1);
	profile_free(&w2);
}

/* The uncaught exception a process died of (report/doc.c): after the
 * exit's words in the verdict and in each process's ending, its class's
 * own name there and the qualified one in summary.json; never for an exit
 * with code 0, a process killed, or a MemoryError the words already say. */
static void test_exception(void)
{
	struct profile p, w, c;
	fx_profile(&p);
	fx_profile(&w);
	fx_profile(&c);
	w.pid = 5000;
	c.pid = 5002;
	w.ppid = c.ppid = p.pid;
	w.exited_cleanly = 0;
	/* exit(), not _exit(): the code unknown to their trackers (the
	 * supervisor's is the main process's) */
	p.exit_code = c.exit_code = -1;
	static const char bpp[] = "A process in the process pool was terminated abruptly while "
				  "the future was running or pending.";
	snprintf(p.exc_type, sizeof p.exc_type, "concurrent.futures.process.BrokenProcessPool");
	snprintf(p.exc_message, sizeof p.exc_message, "%s", bpp);
	snprintf(w.exc_type, sizeof w.exc_type, "ValueError"); /* killed: not its ending */
	snprintf(c.exc_type, sizeof c.exc_type, "ValueError");
	snprintf(c.exc_message, sizeof c.exc_message, "bad row 7");
	char *wargv[] = {"python3", "w.py"};
	struct doc_victim v = {.pid = 5000, .argc = 2, .argv = wargv, .verdict = "oom-killed",
			       .evidence = "the kernel log names it", .time_s = 2.1};
	struct doc_proc dps[3] = {{.p = &p, .parent = -1, .dir = "."},
				  {.p = &w, .parent = p.pid, .dir = "processes/5000", .victim = &v},
				  {.p = &c, .parent = p.pid, .dir = "processes/5002"}};
	char *argv[] = {"python3", "job.py"};
	struct runmeta meta;
	memset(&meta, 0, sizeof(meta));
	struct doc d = {.argc = 2, .argv = argv, .has_exit_code = 1, .exit_code = 1,
			.verdict = "exited", .duration_s = 2.1, .main = &dps[0], .procs = dps,
			.nprocs = 3, .up = "", .meta = &meta, .victims = &v, .nvictims = 1};
	doc_decide(&d);
	char want[512];
	snprintf(want, sizeof want,
		 "lost process 5000 (python3 w.py) at 2.1 s to the kernel's OOM killer, then "
		 "exited with code 1 (BrokenProcessPool: %s)", bpp);
	CHECK_STR_EQ(d.head.verdict_text, want);
	char *t = terminal(&d, "/tmp/run/index.html");
	snprintf(want, sizeof want, "oomph: python3 job.py lost process 5000 (python3 w.py) at 2.1 s "
		 "to the kernel's OOM killer, then exited with code 1 (BrokenProcessPool: %s) after "
		 "2.1 s\n", bpp);
	CHECK_STR_CONTAINS(t, want);
	free(t);
	char end[512];
	doc_proc_ending(&dps[2], end, sizeof end);
	CHECK_STR_EQ(end, "exited (ValueError: bad row 7)");
	doc_proc_ending(&dps[1], end, sizeof end);
	CHECK_STR_EQ(end, "was killed by the kernel's OOM killer");

	struct buf b;
	buf_init(&b);
	summary_json(&b, &d, 0, 0);
	struct mj *m = mj_parse(buf_str(&b));
	CHECK(m != NULL);
	const struct mj *e = m ? mj_get(m, "exception") : NULL;
	CHECK_STR_EQ(mj_str(mj_get(e, "type")), "concurrent.futures.process.BrokenProcessPool");
	CHECK_STR_EQ(mj_str(mj_get(e, "message")), bpp);
	const struct mj *procs = m ? mj_get(m, "processes") : NULL;
	CHECK_STR_EQ(mj_str(mj_get(mj_get(mj_at(procs, 0), "exception"), "type")),
		     "concurrent.futures.process.BrokenProcessPool");
	CHECK(mj_is_null(mj_get(mj_at(procs, 1), "exception")));
	CHECK_STR_EQ(mj_str(mj_get(mj_get(mj_at(procs, 2), "exception"), "message")), "bad row 7");
	mj_free(m);
	buf_free(&b);

	/* an exit with code 0 (a REPL showed the exception, then the program
	 * went on): nothing ended of it */
	d.exit_code = 0;
	d.victims = NULL;
	d.nvictims = 0;
	doc_decide(&d);
	CHECK_STR_EQ(d.head.verdict_text, "exited with code 0");
	CHECK(d.head.exc_type == NULL);
	buf_init(&b);
	summary_json(&b, &d, 0, 0);
	m = mj_parse(buf_str(&b));
	CHECK(m && mj_is_null(mj_get(m, "exception")));
	CHECK(m && mj_is_null(mj_get(mj_at(mj_get(m, "processes"), 0), "exception")));
	mj_free(m);
	buf_free(&b);

	/* MemoryError: the words say it already; another class is added */
	d.exit_code = 1;
	d.verdict = "memory-error";
	snprintf(p.exc_type, sizeof p.exc_type, "MemoryError");
	p.exc_message[0] = 0;
	doc_decide(&d);
	CHECK_STR_EQ(d.head.verdict_text, "ran out of memory (MemoryError) and exited with code 1");
	snprintf(p.exc_type, sizeof p.exc_type, "numpy.core._exceptions._ArrayMemoryError");
	snprintf(p.exc_message, sizeof p.exc_message, "Unable to allocate 8.00 GiB");
	doc_decide(&d);
	CHECK_STR_EQ(d.head.verdict_text, "ran out of memory (MemoryError) and exited with code 1 "
					  "(_ArrayMemoryError: Unable to allocate 8.00 GiB)");
	profile_free(&p);
	profile_free(&w);
	profile_free(&c);
}

int main(void)
{
	test_exception();
	test_job_victims();
	test_sizing();
	test_rss_gap();
	test_shared_memory();
	test_json();
	test_swap_json();
	test_terminal();
	return check_summary();
}
