/* End-to-end tests of report/report.c: a run directory with no state file
 * (a report that says so), and one with real state files written by the
 * tracker in two processes (a parent and the child it forked, plus a second
 * generation of the child and a corrupt file), rendered and read back. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "minijson.h"
#include "profile/runmeta.h"
#include "report/report.h"
#include "report_fixture.h"
#include "state/format.h"
#include "tracker/tracker.h"

#define MiB (1LL << 20)

static char *render(const char *run_dir, const struct runmeta *meta, int *rc)
{
	char *text = NULL, err[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	*rc = report_render(run_dir, meta, f, err, sizeof(err));
	fclose(f);
	if (*rc)
		fprintf(stderr, "report_render: %s\n", err);
	return text;
}

static struct mj *read_json(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = fx_read(path);
	struct mj *m = text ? mj_parse(text) : NULL;
	free(text);
	return m;
}

static void test_no_state_files(void)
{
	char dir[256];
	fx_tmpdir(dir, sizeof(dir));
	struct runmeta m;
	memset(&m, 0, sizeof(m));
	char *argv[] = {"python3", "never ran.py"};
	m.argc = 2;
	m.argv = argv;
	snprintf(m.cwd, sizeof(m.cwd), "%s", dir);
	snprintf(m.verdict, sizeof(m.verdict), "exited");
	m.exit_code = 2;
	m.duration_s = 0.25;
	m.sample_rate = 262144;
	char err[512];
	CHECK_EQ_INT(runmeta_save(dir, &m, err, sizeof(err)), 0);
	struct runmeta meta;
	CHECK_EQ_INT(runmeta_load(dir, &meta, err, sizeof(err)), 0);

	int rc;
	char *term = render(dir, &meta, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR_CONTAINS(term, "oomph: python3 'never ran.py' exited with code 2 after 0.2 s\n");
	CHECK_STR_CONTAINS(term, "oomph: no process was profiled");
	char want[512];
	snprintf(want, sizeof(want), "oomph: report: %s/index.html\n", dir);
	CHECK_STR_CONTAINS(term, want);
	free(term);

	struct mj *s = read_json(dir, "summary.json");
	CHECK(s != NULL);
	CHECK_EQ_INT(mj_get(s, "processes") ? mj_get(s, "processes")->n : 99, 0);
	CHECK_EQ_INT(mj_get(s, "top") ? mj_get(s, "top")->n : 99, 0);
	CHECK_EQ_INT(mj_get(s, "errors") ? mj_get(s, "errors")->n : 99, 0);
	CHECK(mj_is_null(mj_get(s, "peak_tracked_bytes")));
	CHECK_EQ_INT(mj_num(mj_get(s, "exit_code")), 2);
	CHECK_STR_EQ(mj_str(mj_at(mj_get(s, "command"), 1)), "never ran.py");
	CHECK_STR_CONTAINS(mj_str(mj_at(mj_get(s, "warnings"), 0)), "no process was profiled");
	mj_free(s);

	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/peak.folded", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 0);
	snprintf(path, sizeof(path), "%s/peak.svg", dir);
	CHECK(fx_xmllint(path) <= 0);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	char *html = fx_read(path);
	CHECK_STR_CONTAINS(html, "No process was profiled");
	free(html);
	snprintf(path, sizeof(path), "%s/processes", dir);
	CHECK(stat(path, &st) != 0); /* no other process, no directory */

	/* without any metadata at all */
	term = render(dir, NULL, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR_CONTAINS(term, "no process was profiled");
	free(term);
	runmeta_free(&meta);
	fx_rmrf(dir);
}

/* A fake Python stack: three frames of prog.py, the innermost on line 3
 * in the parent and line 7 in the child. */
static uint32_t innermost_line = 3;

static int cap(struct stack_key *out, int max, int *flags)
{
	const uint32_t lines[3] = {innermost_line, 2, 1};
	int n = 0;
	for (; n < 3 && n < max; n++)
		out[n] = (struct stack_key){(const void *)(uintptr_t)(0x100 + n), lines[n], 0};
	*flags = 0;
	return n;
}

static int desc(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	snprintf(file, fc, "prog.py");
	snprintf(func, nc, "fn%d", (int)((uintptr_t)code - 0x100));
	return 0;
}

static const struct stack_source src = {cap, desc, NULL, NULL};

/* Parent: 3 x 1 MiB at line 3, then fork; the child adds 2 x 1 MiB at
 * line 7 (it inherits the parent's 3 MiB).  Returns the parent's pid and
 * the child's through *child. */
static pid_t make_states(const char *state_dir, pid_t *child)
{
	int pfd[2];
	if (pipe(pfd))
		return -1;
	pid_t a = fork();
	if (a == 0) {
		close(pfd[0]);
		struct tracker_config cfg = {.state_dir = state_dir, .sample_rate = 1, .source = &src, .python_version = "3.12.1"};
		if (tracker_init(&cfg))
			_exit(1);
		for (uintptr_t i = 1; i <= 3; i++)
			tracker_on_alloc((void *)(i << 24), MiB);
		pid_t b = fork();
		if (b == 0) {
			innermost_line = 7;
			for (uintptr_t i = 4; i <= 5; i++)
				tracker_on_alloc((void *)(i << 24), MiB);
			tracker_on_exit(0);
			_exit(0);
		}
		int st;
		waitpid(b, &st, 0);
		if (write(pfd[1], &b, sizeof(b)) != sizeof(b))
			_exit(3);
		tracker_on_exit(0);
		_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2);
	}
	close(pfd[1]);
	*child = -1;
	if (read(pfd[0], child, sizeof(*child)) != sizeof(*child))
		*child = -1;
	close(pfd[0]);
	int st;
	waitpid(a, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return a;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[2200];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	CHECK_EQ_INT(system(cmd), 0);
}

static void poke_u32(const char *path, off_t off, uint32_t v)
{
	int fd = open(path, O_WRONLY);
	CHECK(pwrite(fd, &v, sizeof(v), off) == (ssize_t)sizeof(v));
	close(fd);
}

static void test_real_state_files(void)
{
	char dir[256], state[512], path[1024];
	fx_tmpdir(dir, sizeof(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	mkdir(state, 0755);
	pid_t child;
	pid_t parent = make_states(state, &child);
	CHECK(parent > 0 && child > 0);

	/* a second generation of the child (as after an exec), and garbage */
	char from[1024], to[1024];
	snprintf(from, sizeof(from), "%s/%d.oomph", state, (int)child);
	snprintf(to, sizeof(to), "%s/%d.1.oomph", state, (int)child);
	copy_file(from, to);
	poke_u32(to, offsetof(struct oomph_state_header, generation), 1);
	snprintf(path, sizeof(path), "%s/999999.oomph", state);
	fx_write(path, "this is not a state file, but it is long enough to be read as one? no.\n");

	struct runmeta m;
	memset(&m, 0, sizeof(m));
	char *argv[] = {"python3", "prog.py"};
	m.argc = 2;
	m.argv = argv;
	m.child_pid = parent;
	snprintf(m.cwd, sizeof(m.cwd), "%s", dir);
	snprintf(m.verdict, sizeof(m.verdict), "exited");
	m.duration_s = 1.5;
	m.sample_rate = 1;
	m.exact = 1;
	m.peak_rss_bytes = 1; /* smaller than the profile's own: the larger wins */

	int rc;
	char *term = render(dir, &m, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR_CONTAINS(term, "oomph: python3 prog.py exited with code 0 after 1.5 s\n");
	CHECK_STR_CONTAINS(term, "oomph: cannot read state/999999.oomph: ");
	CHECK_STR_CONTAINS(term, "oomph: peak tracked memory 3.0 MiB at ");
	CHECK_STR_CONTAINS(term, "every allocation recorded (exact)\n");
	CHECK_STR_CONTAINS(term, "oomph:   100.0%     3.0 MiB  prog.py:3 (fn0)\n");
	CHECK_STR_CONTAINS(term, "oomph: 3 processes profiled (see the report)\n");

	/* main report: the parent */
	char want[256];
	snprintf(path, sizeof(path), "%s/peak.folded", dir);
	char *folded = fx_read(path);
	snprintf(want, sizeof(want), "prog.py:1 (fn2);prog.py:2 (fn1);prog.py:3 (fn0) %lld\n", 3 * MiB);
	CHECK_STR_EQ(folded, want);
	free(folded);
	struct mj *s = read_json(dir, "summary.json");
	CHECK(s != NULL);
	CHECK_EQ_INT(mj_num(mj_get(s, "peak_tracked_bytes")), 3 * MiB);
	CHECK(mj_num(mj_get(s, "peak_rss_bytes")) > 1); /* the profile's getrusage figure */
	CHECK_STR_EQ(mj_str(mj_get(s, "python")), "3.12.1");
	const struct mj *procs = mj_get(s, "processes");
	CHECK_EQ_INT(procs ? procs->n : 0, 3);
	const struct mj *p0 = mj_at(procs, 0), *p1 = mj_at(procs, 1), *p2 = mj_at(procs, 2);
	CHECK_EQ_INT(mj_num(mj_get(p0, "pid")), parent);
	CHECK(mj_is_null(mj_get(p0, "parent")));
	CHECK_STR_EQ(mj_str(mj_get(p0, "dir")), ".");
	char d0[64], d1[64];
	snprintf(d0, sizeof(d0), "processes/%d.0", (int)child);
	snprintf(d1, sizeof(d1), "processes/%d.1", (int)child);
	CHECK_EQ_INT(mj_num(mj_get(p1, "pid")), child);
	CHECK_EQ_INT(mj_num(mj_get(p1, "parent")), parent);
	CHECK_EQ_INT(mj_num(mj_get(p2, "pid")), child);
	/* both generations started at the same instant (a copy): 0 sorts first */
	CHECK_STR_EQ(mj_str(mj_get(p1, "dir")), d0);
	CHECK_STR_EQ(mj_str(mj_get(p2, "dir")), d1);
	CHECK_EQ_INT(mj_num(mj_get(p1, "peak_tracked_bytes")), 5 * MiB);
	const struct mj *t0 = mj_at(mj_get(s, "top"), 0);
	CHECK_STR_EQ(mj_str(mj_get(t0, "file")), "prog.py");
	CHECK_EQ_INT(mj_num(mj_get(t0, "line")), 3);
	CHECK_STR_EQ(mj_str(mj_get(t0, "function")), "fn0");
	CHECK_EQ_INT(mj_num(mj_get(t0, "bytes")), 3 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(t0, "share")), 1);
	const struct mj *errs = mj_get(s, "errors");
	CHECK_EQ_INT(errs ? errs->n : 0, 1);
	CHECK_STR_EQ(mj_str(mj_get(mj_at(errs, 0), "file")), "state/999999.oomph");
	CHECK(mj_str(mj_get(mj_at(errs, 0), "message")) && mj_str(mj_get(mj_at(errs, 0), "message"))[0]);
	mj_free(s);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	char *html = fx_read(path);
	snprintf(want, sizeof(want), "<a href=\"%s/index.html\">", d0);
	CHECK_STR_CONTAINS(html, want);
	CHECK_STR_CONTAINS(html, "state/999999.oomph");
	free(html);

	/* the child's own report: its line and the inherited one */
	char cdir[512];
	snprintf(cdir, sizeof(cdir), "%s/%s", dir, d0);
	snprintf(path, sizeof(path), "%s/peak.folded", cdir);
	folded = fx_read(path);
	snprintf(want, sizeof(want),
		 "prog.py:1 (fn2);prog.py:2 (fn1);prog.py:3 (fn0) %lld\n"
		 "prog.py:1 (fn2);prog.py:2 (fn1);prog.py:7 (fn0) %lld\n",
		 3 * MiB, 2 * MiB);
	CHECK_STR_EQ(folded, want);
	free(folded);
	s = read_json(cdir, "summary.json");
	CHECK(s != NULL);
	CHECK_EQ_INT(mj_get(s, "processes") ? mj_get(s, "processes")->n : 0, 1);
	CHECK_STR_EQ(mj_str(mj_get(mj_at(mj_get(s, "processes"), 0), "dir")), ".");
	CHECK_EQ_INT(mj_num(mj_get(s, "peak_tracked_bytes")), 5 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(mj_at(mj_get(s, "top"), 0), "bytes")), 3 * MiB);
	CHECK_EQ_INT(mj_num(mj_get(mj_at(mj_get(s, "top"), 1), "line")), 7);
	mj_free(s);
	snprintf(path, sizeof(path), "%s/index.html", cdir);
	html = fx_read(path);
	CHECK_STR_CONTAINS(html, "<a href=\"../../index.html\">");
	free(html);
	snprintf(path, sizeof(path), "%s/peak.svg", cdir);
	CHECK(fx_xmllint(path) <= 0);

	/* rendering again gives the same bytes, and leaves no temporary file */
	static const char *const names[] = {"summary.json", "peak.folded", "peak.svg", "index.html"};
	char *before[4];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		before[i] = fx_read(path);
	}
	free(term);
	term = render(dir, &m, &rc);
	CHECK_EQ_INT(rc, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		char *after = fx_read(path);
		CHECK(before[i] && after && !strcmp(before[i], after));
		free(after);
		free(before[i]);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "test -z \"$(find '%s' -name '.*tmp*')\"", dir);
	CHECK_EQ_INT(system(cmd), 0);
	free(term);
	fx_rmrf(dir);
}

static void test_unwritable_run_dir(void)
{
	char err[512] = "";
	int rc = report_render("/nonexistent/run/dir", NULL, NULL, err, sizeof(err));
	CHECK_EQ_INT(rc, -ENOENT);
	CHECK_STR_CONTAINS(err, "/nonexistent/run/dir");
}

int main(void)
{
	test_no_state_files();
	test_real_state_files();
	test_unwritable_run_dir();
	return check_summary();
}
