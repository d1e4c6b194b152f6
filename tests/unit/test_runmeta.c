/* Unit tests of profile/runmeta.c: save/load round trip of every field
 * (argv with spaces, newlines, '%', UTF-8, empty words), atomic replace,
 * unknown keys ignored, malformed files refused with a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "profile/runmeta.h"
#include "report_fixture.h"

static char dir[256];

static void test_round_trip(void)
{
	char *argv[] = {"script.py", "a b", "line1\nline2", "100%", "%41", "", "caf\xc3\xa9",
			"tab\there", "back\\slash", "--flag=x y"};
	struct runmeta m;
	memset(&m, 0, sizeof(m));
	m.argc = (int)(sizeof(argv) / sizeof(argv[0]));
	m.argv = argv;
	snprintf(m.python, sizeof(m.python), "/usr/bin/python3");
	snprintf(m.cwd, sizeof(m.cwd), "/home/me/my project/%%x\n");
	snprintf(m.python_version, sizeof(m.python_version), "3.11.7");
	CHECK_EQ_INT(runmeta_add_pydir(&m, "stdlib /usr/lib/python3.11"), 0);
	CHECK_EQ_INT(runmeta_add_pydir(&m, "site /home/me/my project/.venv/lib/python3.11/site-packages"), 0);
	m.child_pid = 12345;
	m.start_unix_s = 1700000000.123456789;
	m.duration_s = 1.9;
	m.exit_code = -1;
	m.signal = 9;
	m.exit_status = 137;
	m.peak_rss_bytes = 612LL << 20;
	m.sample_rate = 262144;
	m.exact = 0;
	snprintf(m.verdict, sizeof(m.verdict), "killed");
	char err[512] = "";
	CHECK_EQ_INT(runmeta_save(dir, &m, err, sizeof(err)), 0);

	/* the file is lines of `key value`, every value one printable word */
	char path[512];
	snprintf(path, sizeof(path), "%s/run.meta", dir);
	char *text = fx_read(path);
	CHECK(text != NULL);
	CHECK_STR_CONTAINS(text, "argv a%20b\n");
	CHECK_STR_CONTAINS(text, "argv line1%0Aline2\n");
	CHECK_STR_CONTAINS(text, "argv 100%25\n");
	for (const char *p = text; p && *p; p++)
		CHECK((*p >= ' ' && *p < 0x7f) || *p == '\n');
	free(text);

	struct runmeta r;
	CHECK_EQ_INT(runmeta_load(dir, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.argc, m.argc);
	for (int i = 0; i < m.argc && i < r.argc; i++)
		CHECK_STR_EQ(r.argv[i], argv[i]);
	CHECK(r.argv[r.argc] == NULL);
	CHECK_STR_EQ(r.python, m.python);
	CHECK_STR_EQ(r.cwd, m.cwd);
	CHECK_STR_EQ(r.python_version, "3.11.7");
	CHECK_EQ_INT(r.npydirs, 2);
	if (r.npydirs == 2) {
		CHECK_STR_EQ(r.pydirs[0], "stdlib /usr/lib/python3.11");
		CHECK_STR_EQ(r.pydirs[1], "site /home/me/my project/.venv/lib/python3.11/site-packages");
	}
	CHECK_EQ_INT(r.child_pid, 12345);
	CHECK(r.start_unix_s == m.start_unix_s); /* exact: %.17g */
	CHECK(r.duration_s == m.duration_s);
	CHECK_EQ_INT(r.exit_code, -1);
	CHECK_EQ_INT(r.signal, 9);
	CHECK_EQ_INT(r.exit_status, 137);
	CHECK_EQ_INT(r.peak_rss_bytes, 612LL << 20);
	CHECK_EQ_INT(r.sample_rate, 262144);
	CHECK_EQ_INT(r.exact, 0);
	CHECK_STR_EQ(r.verdict, "killed");
	runmeta_free(&r);
	CHECK(r.argv == NULL && r.argc == 0);

	/* saving again replaces the file; no temporary file is left behind */
	m.argc = 0;
	m.exact = 1;
	CHECK_EQ_INT(runmeta_save(dir, &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(runmeta_load(dir, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.argc, 0);
	CHECK_EQ_INT(r.exact, 1);
	runmeta_free(&r);
	m.argv = NULL;
	runmeta_free(&m); /* its pydirs */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	CHECK_EQ_INT(system(cmd), 0);
}

/* Every ending the supervisor writes for a process of the job reads back
 * (`oomph report` of a run whose worker its pool ended failed on its
 * `proc` line). */
static void test_every_ending_reads_back(void)
{
	static const char *const endings[] = {"oom-killed",	"killed",   "ended-by-parent",
					      "signal",		"stopped-near-oom", "outlived", ""};
	struct runmeta m;
	memset(&m, 0, sizeof(m));
	snprintf(m.verdict, sizeof(m.verdict), "exited");
	for (int i = 0; i < 7; i++) {
		struct runmeta_proc *q = runmeta_proc(&m, 100 + i, 0);
		CHECK(q != NULL);
		snprintf(q->ending, sizeof q->ending, "%s", endings[i]);
		snprintf(q->evidence, sizeof q->evidence, "SIGTERM from its parent, process %d", 99);
		q->end_s = 1.5 + i;
		q->hwm_bytes = 1 << 20;
	}
	char err[512] = "";
	CHECK_EQ_INT(runmeta_save(dir, &m, err, sizeof(err)), 0);
	struct runmeta r;
	CHECK_EQ_INT(runmeta_load(dir, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.nprocs, 7);
	for (int i = 0; i < 7 && i < r.nprocs; i++) {
		CHECK_EQ_INT(r.procs[i].pid, 100 + i);
		CHECK_STR_EQ(r.procs[i].ending, endings[i]);
		CHECK_STR_EQ(r.procs[i].evidence, "SIGTERM from its parent, process 99");
		CHECK(r.procs[i].end_s == 1.5 + i);
	}
	runmeta_free(&r);
	runmeta_free(&m);
}

static int load_text(const char *text, char *err, size_t errlen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/run.meta", dir);
	fx_write(path, text);
	struct runmeta r;
	int rc = runmeta_load(dir, &r, err, errlen);
	if (rc == 0) {
		runmeta_free(&r);
	} else {
		CHECK(r.argv == NULL && r.argc == 0); /* nothing half-loaded */
	}
	return rc;
}

static void test_forward_compatible_and_malformed(void)
{
	char err[512] = "";
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nargv x\nfuture_key some%20value\nchild_pid 5\n"
			       "# a comment\n\n",
			       err, sizeof(err)),
		     0);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nargv x\nchild_pid five\n", err, sizeof(err)),
		     -EINVAL);
	CHECK_STR_CONTAINS(err, "run.meta:3: bad value for `child_pid`");
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nargv a%2\n", err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad %-escape");
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nargv a%00b\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nexact 2\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\npydir stdlib\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\npydir site%20relative\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nsample_rate -1\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nduration_s 1.5x\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\npython_version 0123456789012345678901234567890123\n",
			       err, sizeof(err)),
		     -EINVAL);
	/* figures no run can produce: not a number, or out of range */
	static const char *const impossible[] = {
		"duration_s nan", "duration_s inf", "start_unix_s -5", "stall_max_pct 250",
		"peak_rss_bytes -1", "peak_rss_bytes 9223372036854775807",
		"limit_bytes 9223372036854775807", "sample_rate 18446744073709551615",
		"majflt_max_per_s -inf", "child_pid 2147483647",
		"rss_split 1.5 100 0 0 0 0 -1 -1 status",              /* no RSS */
		"rss_split 1.5 100 4096 4096 0 0 -2 -1 status",        /* shared below -1 */
		"rss_split nan 100 4096 4096 0 0 -1 -1 status",
		"rss_split 1.5 100 4096 -1 0 0 -1 -1 status",           /* anon unknown */
		"rss_split 1.5 100 4096 4096 0 0 -1 -1 guessed",        /* no such source */
		"rss_split 1.5 100 4096 4096 0 0 -1 -1 status extra",
		"rss_split 1.5 100 288230376151711744 0 0 0 -1 -1 status", /* 2^58 */
	};
	for (size_t i = 0; i < sizeof(impossible) / sizeof(impossible[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "# oomph run.meta 1\n%s\n", impossible[i]);
		CHECK_EQ_INT(load_text(text, err, sizeof(err)), -EINVAL);
		CHECK_STR_CONTAINS(err, "bad value for");
	}
	CHECK_EQ_INT(load_text("# oomph run.meta 1\npeak_rss_bytes 144115188075855872\n"
			       "refault_max_per_s -1\nstall_max_pct 100\n",
			       err, sizeof(err)),
		     0);
	/* what the supervisor read near the peak comes back as written */
	struct runmeta z;
	memset(&z, 0, sizeof(z));
	z.split = (struct runmeta_rss_split){1.25, -4096, 300LL << 20, 250LL << 20, 40LL << 20,
					     10LL << 20, -1, 0, "status", 3LL << 20};
	CHECK_EQ_INT(runmeta_save(dir, &z, err, sizeof(err)), 0);
	struct runmeta zr;
	CHECK_EQ_INT(runmeta_load(dir, &zr, err, sizeof(err)), 0);
	CHECK(zr.split.t_s == 1.25);
	CHECK_EQ_INT(zr.split.tracked_bytes, -4096);
	CHECK_EQ_INT(zr.split.rss_bytes, 300LL << 20);
	CHECK_EQ_INT(zr.split.anon_bytes, 250LL << 20);
	CHECK_EQ_INT(zr.split.file_bytes, 40LL << 20);
	CHECK_EQ_INT(zr.split.shmem_bytes, 10LL << 20);
	CHECK_EQ_INT(zr.split.shared_bytes, -1);
	CHECK_EQ_INT(zr.split.swap_bytes, 0);
	CHECK_STR_EQ(zr.split.how, "status");
	CHECK_EQ_INT(zr.split.own_bytes, 3LL << 20);
	runmeta_free(&zr);
	/* a run.meta from before oomph's own share was written: unknown */
	z.split.own_bytes = -1;
	CHECK_EQ_INT(runmeta_save(dir, &z, err, sizeof(err)), 0);
	CHECK_EQ_INT(runmeta_load(dir, &zr, err, sizeof(err)), 0);
	CHECK_EQ_INT(zr.split.own_bytes, -1);
	CHECK_EQ_INT(zr.split.shmem_bytes, 10LL << 20);
	runmeta_free(&zr);
	CHECK_EQ_INT(load_text("# oomph run.meta 1\nrss_split_own -5\n", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(load_text("PK\x03\x04 zip", err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "not an oomph run.meta file");
	CHECK_EQ_INT(load_text("", err, sizeof(err)), -EINVAL);

	struct runmeta r;
	CHECK_EQ_INT(runmeta_load("/nonexistent/dir", &r, err, sizeof(err)), -ENOENT);
	CHECK_STR_CONTAINS(err, "/nonexistent/dir/run.meta");
	struct runmeta m;
	memset(&m, 0, sizeof(m));
	CHECK_EQ_INT(runmeta_save("/nonexistent/dir", &m, err, sizeof(err)), -ENOENT);
	CHECK_STR_CONTAINS(err, "/nonexistent/dir");
}

int main(void)
{
	fx_tmpdir(dir, sizeof(dir));
	test_round_trip();
	test_every_ending_reads_back();
	test_forward_compatible_and_malformed();
	fx_rmrf(dir);
	return check_summary();
}
