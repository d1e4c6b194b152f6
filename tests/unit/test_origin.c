/* Unit tests of report/origin.c (whose code a frame is, its short name) and
 * of "your lines" in report/view.c, on hand-built profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profile/runmeta.h"
#include "report/derive.h"
#include "report/origin.h"
#include "report/view.h"

static void meta_with_dirs(struct runmeta *m, const char *cwd, char **argv, int argc)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->cwd, sizeof m->cwd, "%s", cwd);
	snprintf(m->python, sizeof m->python, "/venv/bin/python3");
	m->argc = argc;
	m->argv = argv;
	CHECK_EQ_INT(runmeta_add_pydir(m, "prefix /venv"), 0);
	CHECK_EQ_INT(runmeta_add_pydir(m, "stdlib /opt/py/lib/python3.12"), 0);
	CHECK_EQ_INT(runmeta_add_pydir(m, "site /venv/lib/python3.12/site-packages"), 0);
	CHECK_EQ_INT(runmeta_add_pydir(m, "usersite /home/me/.local/lib/python3.12/site-packages"), 0);
}

static const char *short_name(const struct origin *o, const char *file)
{
	static char out[4][256];
	static int k;
	struct buf b;
	buf_init(&b);
	origin_short(&b, o, file);
	char *r = out[k++ % 4];
	snprintf(r, 256, "%s", buf_str(&b));
	buf_free(&b);
	return r;
}

static void test_the_probes_directories_decide(void)
{
	struct runmeta m;
	char *argv[] = {"python3", "jobs/etl.py", NULL};
	meta_with_dirs(&m, "/home/me/proj", argv, 2);
	struct origin o;
	origin_init(&o, &m);
	CHECK_STR_EQ(o.script_dir, "/home/me/proj/jobs");
	CHECK_EQ_INT(origin_of(&o, "/home/me/proj/jobs/etl.py", NULL), ORIGIN_PROGRAM);
	CHECK_EQ_INT(origin_of(&o, "/srv/elsewhere/tool.py", NULL), ORIGIN_PROGRAM);
	CHECK_EQ_INT(origin_of(&o, "<string>", NULL), ORIGIN_PROGRAM);
	CHECK_EQ_INT(origin_of(&o, "<frozen importlib._bootstrap>", NULL), ORIGIN_INTERPRETER);
	/* an interpreter installed in an odd place: only the probe knows */
	CHECK_EQ_INT(origin_of(&o, "/opt/py/lib/python3.12/json/decoder.py", NULL), ORIGIN_STDLIB);
	CHECK_EQ_INT(origin_of(&o, "/venv/lib/python3.12/site-packages/pandas/core/frame.py", NULL),
		     ORIGIN_PACKAGE);
	CHECK_EQ_INT(origin_of(&o, "/home/me/.local/lib/python3.12/site-packages/x/y.py", NULL),
		     ORIGIN_PACKAGE);
	CHECK_STR_EQ(short_name(&o, "/venv/lib/python3.12/site-packages/pandas/core/frame.py"),
		     "pandas/core/frame.py");
	CHECK_STR_EQ(short_name(&o, "/opt/py/lib/python3.12/logging/__init__.py"), "logging/__init__.py");
	CHECK_STR_EQ(short_name(&o, "/home/me/proj/jobs/etl.py"), "jobs/etl.py");
	CHECK_STR_EQ(short_name(&o, "/srv/elsewhere/tool.py"), "/srv/elsewhere/tool.py");
	m.argc = 0;
	m.argv = NULL;
	runmeta_free(&m);
}

static void test_spellings_decide_without_the_probe(void)
{
	struct origin o;
	origin_init_cwd(&o, "/work");
	CHECK_EQ_INT(origin_of(&o, "/usr/lib/python3.11/threading.py", NULL), ORIGIN_STDLIB);
	CHECK_EQ_INT(origin_of(&o, "/usr/lib/python3.14t/threading.py", NULL), ORIGIN_STDLIB);
	CHECK_EQ_INT(origin_of(&o, "/usr/lib/python3/dist-packages/numpy/core/numeric.py", NULL),
		     ORIGIN_PACKAGE);
	CHECK_EQ_INT(origin_of(&o, "/usr/local/lib/python3.11/site-packages/a.py", NULL), ORIGIN_PACKAGE);
	CHECK_EQ_INT(origin_of(&o, "/usr/lib/pythonista/a.py", NULL), ORIGIN_PROGRAM);
	CHECK_EQ_INT(origin_of(&o, "etl.py", NULL), ORIGIN_PROGRAM);
	/* a virtual environment inside the project is not the project's code */
	CHECK_EQ_INT(origin_of(&o, "/work/.venv/lib/python3.11/site-packages/pandas/io/x.py", NULL),
		     ORIGIN_PACKAGE);
	CHECK_STR_EQ(short_name(&o, "/work/.venv/lib/python3.11/site-packages/pandas/io/x.py"),
		     "pandas/io/x.py");
	CHECK_STR_EQ(short_name(&o, "/usr/lib/python3/dist-packages/numpy/core/numeric.py"),
		     "numpy/core/numeric.py");
	CHECK_STR_EQ(short_name(&o, "/work/sub/etl.py"), "sub/etl.py");
	struct buf b;
	buf_init(&b);
	origin_module(&b, &o, "/usr/lib/python3/dist-packages/numpy/__init__.py");
	buf_putc(&b, ' ');
	origin_module(&b, &o, "/usr/lib/python3/dist-packages/pandas/core/frame.py");
	buf_putc(&b, ' ');
	origin_module(&b, &o, "<frozen site>");
	CHECK_STR_EQ(buf_str(&b), "numpy pandas.core.frame site");
	buf_free(&b);
}

static void test_plumbing(void)
{
	struct origin o;
	origin_init_cwd(&o, "/work");
	CHECK(origin_plumbing(&o, "<frozen runpy>", "_run_module_as_main"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3.11/runpy.py", "_run_code"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3.11/threading.py", "Thread._bootstrap_inner"));
	CHECK(!origin_plumbing(&o, "/usr/lib/python3.11/threading.py", "Thread.start"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3.11/multiprocessing/process.py", "BaseProcess._bootstrap"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3.11/multiprocessing/pool.py", "worker"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3/dist-packages/_pytest/python.py", "pytest_pyfunc_call"));
	CHECK(origin_plumbing(&o, "/usr/lib/python3/dist-packages/pluggy/_callers.py", "_multicall"));
	CHECK(!origin_plumbing(&o, "/usr/lib/python3/dist-packages/pandas/core/frame.py", "merge"));
	CHECK(!origin_plumbing(&o, "/work/runpy.py", "main")); /* the program's own runpy.py */
}

/* A profile: main -> numpy's ones (96), main -> import numpy -> numpy's
 * module code (10), a stack of the import alone with no program frame (5),
 * and <string> code a library exec'd (3). */
static void test_your_lines(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	uint32_t f_main, f_ones, f_imp, f_np, f_mod, f_site, f_str, n;
	const char *np = "/usr/lib/python3/dist-packages/numpy/core/numeric.py";
	CHECK_EQ_INT(profile_add_frame(&p, "/w/app.py", "main", 7, PROFILE_FRAME_PYTHON, &f_main), 0);
	CHECK_EQ_INT(profile_add_frame(&p, np, "ones", 205, PROFILE_FRAME_PYTHON, &f_ones), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<frozen importlib._bootstrap>", "_call_with_frames_removed",
				       241, PROFILE_FRAME_PYTHON, &f_imp), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "/usr/lib/python3/dist-packages/numpy/__init__.py",
				       "<module>", 1, PROFILE_FRAME_PYTHON, &f_np), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "/w/app.py", "<module>", 1, PROFILE_FRAME_PYTHON, &f_mod), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<frozen site>", "main", 9, PROFILE_FRAME_PYTHON, &f_site), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<string>", "__init__", 2, PROFILE_FRAME_PYTHON, &f_str), 0);
	uint32_t mod, mainn, imp, npn, site, simp;
	CHECK_EQ_INT(profile_add_node(&p, 0, f_mod, 0, 0, &mod), 0);
	CHECK_EQ_INT(profile_add_node(&p, mod, f_main, 0, 0, &mainn), 0);
	CHECK_EQ_INT(profile_add_node(&p, mainn, f_ones, 96, 0, &n), 0);
	CHECK_EQ_INT(profile_add_node(&p, mod, f_imp, 0, 0, &imp), 0);
	CHECK_EQ_INT(profile_add_node(&p, imp, f_np, 10, 0, &npn), 0);
	CHECK_EQ_INT(profile_add_node(&p, npn, f_str, 3, 0, &n), 0);
	CHECK_EQ_INT(profile_add_node(&p, 0, f_site, 0, 0, &site), 0);
	CHECK_EQ_INT(profile_add_node(&p, site, f_imp, 0, 0, &simp), 0);
	CHECK_EQ_INT(profile_add_node(&p, simp, f_np, 5, 0, &n), 0);
	p.peak_bytes = 114;
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "/w", NULL), 0);
	CHECK_EQ_INT(v.nmine, 3);
	CHECK_STR_EQ(v.mine[0].l.file, "app.py");
	CHECK_EQ_INT(v.mine[0].l.line, 7);
	CHECK_EQ_INT(v.mine[0].l.bytes, 96);
	CHECK_STR_EQ(v.mine[0].via, "numpy/core/numeric.py:205 (ones)");
	/* the import line holds numpy's module code and the <string> numpy ran */
	CHECK_EQ_INT(v.mine[1].l.line, 1);
	CHECK_EQ_INT(v.mine[1].l.bytes, 13);
	CHECK_STR_EQ(v.mine[1].via, "numpy/__init__.py:1 (<module>)");
	CHECK_STR_EQ(v.mine[2].l.file, "[import numpy]");
	CHECK_EQ_INT(v.mine[2].l.synthetic, 1);
	CHECK_EQ_INT(v.mine[2].l.bytes, 5);
	/* the innermost table is unchanged */
	CHECK_STR_EQ(v.top[0].file, "/usr/lib/python3/dist-packages/numpy/core/numeric.py");
	/* short labels for people, full ones for tools */
	CHECK_STR_EQ(v.slabel[f_ones], "numpy/core/numeric.py:205 (ones)");
	CHECK_STR_EQ(v.label[f_ones], "/usr/lib/python3/dist-packages/numpy/core/numeric.py:205 (ones)");
	view_free(&v);
	profile_free(&p);
}

/* The stacks of a derived profile as "a;b;c=bytes" lines (short labels of
 * view v of it), sorted, into out. */
static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void stacks_of(const struct view *v, char *out, size_t n)
{
	char *lines[32];
	size_t k = 0;
	for (uint32_t i = 1; i < v->nnodes && k < 32; i++) {
		if (v->self[i] <= 0)
			continue;
		const char *fr[64];
		size_t d = 0;
		for (uint32_t j = i; j && d < 64; j = v->p->nodes[j].parent)
			fr[d++] = v->slabel[v->p->nodes[j].frame];
		struct buf b;
		buf_init(&b);
		while (d-- > 0)
			buf_printf(&b, "%s%s", fr[d], d ? ";" : "");
		buf_printf(&b, "=%lld", (long long)v->self[i]);
		lines[k++] = strdup(buf_str(&b));
		buf_free(&b);
	}
	qsort(lines, k, sizeof lines[0], line_cmp);
	out[0] = 0;
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s\n", lines[i]);
		free(lines[i]);
	}
}

/* Plumbing folded: a thread's bootstrap above the program's work, runpy
 * above a module, a stack of nothing but plumbing (keeps its innermost
 * frame), imports still folded. */
static void test_plumbing_is_folded(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	const char *th = "/usr/lib/python3.11/threading.py";
	uint32_t f_b, f_bi, f_run, f_work, f_rp, f_rc, f_mod, f_imp, f_np, n;
	CHECK_EQ_INT(profile_add_frame(&p, th, "Thread._bootstrap", 995, 0, &f_b), 0);
	CHECK_EQ_INT(profile_add_frame(&p, th, "Thread._bootstrap_inner", 1038, 0, &f_bi), 0);
	CHECK_EQ_INT(profile_add_frame(&p, th, "Thread.run", 975, 0, &f_run), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "/w/app.py", "work", 5, 0, &f_work), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<frozen runpy>", "_run_module_as_main", 198, 0, &f_rp), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<frozen runpy>", "_run_code", 88, 0, &f_rc), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "/w/app.py", "<module>", 1, 0, &f_mod), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "<frozen importlib._bootstrap>", "_call_with_frames_removed",
				       241, 0, &f_imp), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "/usr/lib/python3/dist-packages/numpy/__init__.py",
				       "<module>", 1, 0, &f_np), 0);
	uint32_t b, bi, run, rp, rc, mod, imp;
	CHECK_EQ_INT(profile_add_node(&p, 0, f_b, 0, 0, &b), 0);
	CHECK_EQ_INT(profile_add_node(&p, b, f_bi, 7, 0, &bi), 0); /* all plumbing */
	CHECK_EQ_INT(profile_add_node(&p, bi, f_run, 0, 0, &run), 0);
	CHECK_EQ_INT(profile_add_node(&p, run, f_work, 100, 0, &n), 0);
	CHECK_EQ_INT(profile_add_node(&p, 0, f_rp, 0, 0, &rp), 0);
	CHECK_EQ_INT(profile_add_node(&p, rp, f_rc, 0, 0, &rc), 0);
	CHECK_EQ_INT(profile_add_node(&p, rc, f_mod, 20, 0, &mod), 0);
	CHECK_EQ_INT(profile_add_node(&p, mod, f_imp, 0, 0, &imp), 0);
	CHECK_EQ_INT(profile_add_node(&p, imp, f_np, 30, 0, &n), 0);
	p.peak_bytes = 157;
	struct origin o;
	origin_init_cwd(&o, "/w");
	CHECK_EQ_INT(derive_folds_plumbing(&p, p.peak_self, &o), 1);
	struct profile d;
	struct view v;
	char got[2048];
	CHECK_EQ_INT(derive_profile(&p, p.peak_self, DERIVE_FOLD_ALL, 0, &o, &d), 0);
	CHECK_EQ_INT(view_build_in(&v, &d, &o, NULL), 0);
	CHECK_EQ_INT(v.total, 157);
	stacks_of(&v, got, sizeof got);
	CHECK_STR_EQ(got, "app.py:1 (<module>);numpy/__init__.py:1 (<module>)=30\n"
			  "app.py:1 (<module>)=20\n"
			  "app.py:5 (work)=100\n"
			  "threading.py:1038 (Thread._bootstrap_inner)=7\n");
	view_free(&v);
	profile_free(&d);
	/* shown: only the imports folded */
	CHECK_EQ_INT(derive_profile(&p, p.peak_self, DERIVE_FOLD_IMPORTS, 0, &o, &d), 0);
	CHECK_EQ_INT(view_build_in(&v, &d, &o, NULL), 0);
	stacks_of(&v, got, sizeof got);
	CHECK_STR_EQ(got, "<frozen runpy>:198 (_run_module_as_main);<frozen runpy>:88 (_run_code);"
			  "app.py:1 (<module>);numpy/__init__.py:1 (<module>)=30\n"
			  "<frozen runpy>:198 (_run_module_as_main);<frozen runpy>:88 (_run_code);"
			  "app.py:1 (<module>)=20\n"
			  "threading.py:995 (Thread._bootstrap);threading.py:1038 "
			  "(Thread._bootstrap_inner);threading.py:975 (Thread.run);app.py:5 (work)=100\n"
			  "threading.py:995 (Thread._bootstrap);threading.py:1038 "
			  "(Thread._bootstrap_inner)=7\n");
	view_free(&v);
	profile_free(&d);
	/* the program's own code: nothing to fold */
	struct profile q;
	CHECK_EQ_INT(profile_init(&q), 0);
	CHECK_EQ_INT(profile_add_frame(&q, "/w/app.py", "work", 5, 0, &f_work), 0);
	CHECK_EQ_INT(profile_add_node(&q, 0, f_work, 9, 0, &n), 0);
	CHECK_EQ_INT(derive_folds_plumbing(&q, q.peak_self, &o), 0);
	profile_free(&q);
	profile_free(&p);
}

/* A script run from another directory is known by its name below its own. */
static void test_script_elsewhere(void)
{
	struct runmeta m;
	char *argv[] = {"python3", "/srv/jobs/etl.py", NULL};
	meta_with_dirs(&m, "/home/me", argv, 2);
	struct origin o;
	origin_init(&o, &m);
	CHECK_STR_EQ(short_name(&o, "/srv/jobs/etl.py"), "etl.py");
	CHECK_STR_EQ(short_name(&o, "/srv/jobs/lib/helpers.py"), "lib/helpers.py");
	CHECK_STR_EQ(short_name(&o, "/home/me/x.py"), "x.py");
	CHECK_STR_EQ(short_name(&o, "/srv/other.py"), "/srv/other.py");
	m.argc = 0;
	m.argv = NULL;
	runmeta_free(&m);
}

/* The spellings as origin.c once searched them (strstr per spelling): the
 * one-pass scan must find the same directory in every name. */
static size_t ref_spelling(const char *file, enum origin_kind *kind)
{
	size_t best = 0;
	static const char *const pkg[] = {"/site-packages/", "/dist-packages/"};
	for (size_t i = 0; i < 2; i++) {
		const char *p = file, *hit = NULL;
		while ((p = strstr(p, pkg[i])) != NULL)
			hit = p++;
		if (hit && (size_t)(hit - file) + strlen(pkg[i]) > best) {
			best = (size_t)(hit - file) + strlen(pkg[i]);
			*kind = ORIGIN_PACKAGE;
		}
	}
	if (best)
		return best;
	for (const char *p = file; (p = strstr(p, "/lib/python")) != NULL; p++) {
		const char *q = p + 11;
		if (*q < '0' || *q > '9')
			continue;
		while ((*q >= '0' && *q <= '9') || *q == '.')
			q++;
		while (*q >= 'a' && *q <= 'z')
			q++;
		if (*q == '/') {
			*kind = ORIGIN_STDLIB;
			return (size_t)(q + 1 - file);
		}
	}
	return 0;
}

static void test_spellings_match_the_search(void)
{
	static const char *const parts[] = {"/usr", "/lib", "/python3.11", "/python3.14t", "/python",
					    "/site-packages", "/dist-packages", "/lib/python3.9",
					    "/lib/python", "3", ".", "t", "x", "/", "/a.py",
					    "-packages", "/site", "s"};
	struct origin o;
	origin_init_cwd(&o, "");
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		char file[256] = "";
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int n = 1 + (int)(rng % 9);
		for (int k = 0; k < n; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			strcat(file, parts[rng % (sizeof parts / sizeof parts[0])]);
		}
		if (file[0] == '<')
			continue;
		enum origin_kind want = ORIGIN_PROGRAM;
		size_t want_rest = ref_spelling(file, &want), rest = 9999;
		enum origin_kind got = origin_of(&o, file, &rest);
		if (got != want || (want != ORIGIN_PROGRAM && rest != want_rest)) {
			if (bad++ < 5)
				fprintf(stderr, "%s: %d/%zu, want %d/%zu\n", file, got, rest, want,
					want_rest);
		}
	}
	CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	test_spellings_match_the_search();
	test_the_probes_directories_decide();
	test_spellings_decide_without_the_probe();
	test_plumbing();
	test_your_lines();
	test_plumbing_is_folded();
	test_script_elsewhere();
	return check_summary();
}
