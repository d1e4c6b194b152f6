/* model/modelcmd.c — oomph model (modelcmd.h): the sizes, one run per size,
 * the checks that the runs can be modelled, then the model (build.c) and
 * what is written (write.c). */
#include "model/modelcmd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/exitcodes.h"
#include "common/safefs.h"
#include "common/size.h"
#include "model/build.h"
#include "model/write.h"
#include "profile/runmeta.h"
#include "report/buf.h"
#include "report/escape.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/html.h"
#include "report/json.h"
#include "report/text.h"
#include "report/view.h"
#include "supervisor/rundir.h"

/* ---- the command ------------------------------------------------------ */

/* One size to run: n, its word as typed (for {n}), its input file. */
struct msize {
	double n;
	char word[64];
	const char *input;   /* --inputs: the file (path); else NULL */
	char path[PATH_MAX];
	char dir[PATH_MAX];  /* DIR/runs/<word> */
	int status;          /* the run's exit status */
	int ran;
	struct profile p;
	int loaded;
};

static int size_cmp(const void *a, const void *b)
{
	const struct msize *x = a, *y = b;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* A size n as written: digits, a fraction or an exponent; > 0, finite. */
static int parse_n(const char *s, double *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || !(v > 0) || v > 1e18)
		return -EINVAL;
	*out = v;
	return 0;
}

static int refuse(struct run_outcome *o, int status, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int refuse(struct run_outcome *o, int status, char *err, size_t errlen, const char *fmt, ...)
{
	o->status = status;
	va_list ap;
	va_start(ap, fmt);
	err_vset(0, err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The sizes from --sizes or --inputs, ascending. */
static int model_sizes(const struct args *a, struct msize *sz, int *count, struct run_outcome *o,
		       char *err, size_t errlen)
{
	const char *list = a->model_sizes ? a->model_sizes : a->model_inputs;
	if (a->model_sizes && a->model_inputs)
		return refuse(o, OOMPH_EXIT_USAGE, err, errlen,
			      "--sizes and --inputs are two ways to give the sizes: give one");
	if (!list)
		return refuse(o, OOMPH_EXIT_USAGE, err, errlen,
			      "oomph model needs the sizes to run at: --sizes 1000,3000,10000,30000 "
			      "(a decade or more apart) or --inputs a.csv,b.csv,c.csv (see oomph model --help)");
	int m = 0;
	const char *s = list;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (m >= FIT_MAX_POINTS)
			return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
				      "too many sizes: at most %d", FIT_MAX_POINTS);
		struct msize *z = &sz[m];
		memset(z, 0, sizeof *z);
		if (len == 0 || len >= sizeof z->path)
			return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
				      "bad %s '%s': an empty or overlong entry", a->model_sizes ? "--sizes" : "--inputs", list);
		char tok[PATH_MAX];
		memcpy(tok, s, len);
		tok[len] = 0;
		if (a->model_sizes && len >= sizeof z->word)
			return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
				      "bad --sizes: '%s' is not a number", tok);
		if (a->model_sizes)
			memcpy(z->word, tok, len + 1);
		if (a->model_sizes) {
			if (parse_n(z->word, &z->n))
				return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
					      "bad --sizes: '%s' is not a number (sizes are counts n > 0, e.g. --sizes 1000,3000,10000)",
					      z->word);
		} else {
			/* the input itself: find its start in the list (the
			 * word was copied; point into argv, which outlives us) */
			z->input = NULL;
			struct stat st;
			if (stat(tok, &st) != 0)
				return refuse(o, OOMPH_EXIT_NOINPUT, err, errlen, "cannot read input '%s': %s",
					      tok, strerror(errno));
			if (!S_ISREG(st.st_mode) || st.st_size <= 0)
				return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
					      "input '%s' is not a file with bytes in it: its size is the model's n", tok);
			z->n = (double)st.st_size;
			snprintf(z->path, sizeof z->path, "%s", tok);
			snprintf(z->word, sizeof z->word, "%.0f", z->n);
			z->input = z->path;
		}
		m++;
		s += len;
		if (*s == ',')
			s++;
	}
	if (m < FIT_MIN_POINTS)
		return refuse(o, OOMPH_EXIT_MODEL_FEW_SIZES, err, errlen,
			      "a model needs at least %d sizes, got %d: run it at sizes spanning at least a "
			      "decade, e.g. --sizes 1000,3000,10000,30000",
			      FIT_MIN_POINTS, m);
	qsort(sz, (size_t)m, sizeof *sz, size_cmp);
	for (int i = 1; i < m; i++)
		if (sz[i].n == sz[i - 1].n)
			return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
				      "size %s is given twice%s: each run must be at a size of its own",
				      sz[i].word, sz[i].input ? " (two inputs of the same bytes)" : "");
	*count = m;
	return 0;
}

/* s with every {n} replaced by n and {input} by input (NULL: kept). */
static char *substitute(const char *s, const char *n, const char *input)
{
	struct buf b;
	buf_init(&b);
	while (*s) {
		if (!strncmp(s, "{n}", 3)) {
			buf_puts(&b, n);
			s += 3;
		} else if (input && !strncmp(s, "{input}", 7)) {
			buf_puts(&b, input);
			s += 7;
		} else {
			buf_putc(&b, *s++);
		}
	}
	buf_putc(&b, 0);
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static int has_word(const struct args *a, const char *w)
{
	if (a->target_arg && strstr(a->target_arg, w))
		return 1;
	for (int i = 0; i < a->nrest; i++)
		if (strstr(a->rest[i], w))
			return 1;
	return 0;
}

/* One run, as `oomph run` would do it, in this process. */
static int run_one(const struct args *a, struct msize *z, char *err, size_t errlen, struct run_outcome *o)
{
	struct args ra = *a;
	char nword[64];
	snprintf(nword, sizeof nword, "%s", z->word);
	ra.command = ARGS_RUN;
	ra.output = z->dir;
	if (!a->sample_rate_given)
		ra.sample_rate = MODEL_SAMPLE_RATE;
	ra.quiet = 1;
	ra.open = 0;
	char **rest = calloc((size_t)a->nrest + 1, sizeof *rest);
	char *target = substitute(a->target_arg, nword, z->input);
	int rc = rest && target ? 0 : -ENOMEM;
	for (int i = 0; !rc && i < a->nrest; i++)
		if (!(rest[i] = substitute(a->rest[i], nword, z->input)))
			rc = -ENOMEM;
	if (!rc) {
		ra.target_arg = target;
		ra.rest = rest;
		setenv("OOMPH_N", nword, 1);
		rc = run_program(&ra, o, err, errlen);
	} else {
		o->status = OOMPH_EXIT_SOFTWARE;
		err_set(rc, err, errlen, "out of memory");
	}
	for (int i = 0; rest && i < a->nrest; i++)
		free(rest[i]);
	free(rest);
	free(target);
	return rc;
}

/* MemAvailable, or -1. */
static double mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	double kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* What a run at n may need, from the runs done: the last two extrapolated
 * as a power law (at least quadratic growth when only one is done);
 * INFINITY when nothing is known yet. */
static double guess_peak(const struct msize *sz, int done_upto, double n)
{
	int last = -1, prev = -1;
	for (int i = 0; i < done_upto; i++)
		if (sz[i].loaded) {
			prev = last;
			last = i;
		}
	if (last < 0)
		return INFINITY;
	double p1 = (double)sz[last].p.peak_bytes;
	double k = 2;
	if (prev >= 0 && sz[prev].p.peak_bytes > 0 && p1 > 0 && sz[last].n > sz[prev].n)
		k = fmax(1, log(p1 / (double)sz[prev].p.peak_bytes) / log(sz[last].n / sz[prev].n));
	return p1 * pow(n / sz[last].n, fmax(k, 2));
}

static int load_run(struct msize *z)
{
	struct runmeta meta;
	char err[512], state[PATH_MAX + 32];
	if (runmeta_load(z->dir, &meta, err, sizeof err) != 0)
		return -ENOENT;
	z->status = meta.exit_status;
	snprintf(state, sizeof state, "%s/%s", z->dir, RUNMETA_STATE_DIR);
	int rc = run_load_main_profile(state, meta.child_pid, &z->p);
	runmeta_free(&meta);
	z->loaded = rc == 0;
	return rc;
}

/* Every run: in order, up to `jobs` at a time when the machine has room
 * for them (half of MemAvailable for the runs' guessed peaks together). */
static int run_all(const struct args *a, struct msize *sz, int m, int *failed, struct run_outcome *o,
		   char *err, size_t errlen)
{
	*failed = -1;
	if (a->model_jobs <= 1) {
		for (int i = 0; i < m; i++) {
			fprintf(stderr, "oomph: model: run %d of %d at n=%s%s%s\n", i + 1, m, sz[i].word,
				sz[i].input ? " bytes: " : "", sz[i].input ? sz[i].input : "");
			struct run_outcome ro;
			int rc = run_one(a, &sz[i], err, errlen, &ro);
			if (rc < 0) {
				o->status = ro.status;
				return rc;
			}
			sz[i].ran = 1;
			load_run(&sz[i]);
			sz[i].status = ro.status;
			if (ro.status != 0) {
				*failed = i;
				return 0;
			}
		}
		return 0;
	}
	pid_t pids[FIT_MAX_POINTS] = {0};
	double need[FIT_MAX_POINTS] = {0};
	int next = 0, active = 0;
	double avail = mem_available();
	fflush(NULL);
	while (next < m || active) {
		double used = 0;
		for (int i = 0; i < next; i++)
			if (pids[i] > 0)
				used += need[i];
		double g = next < m ? guess_peak(sz, next, sz[next].n) : 0;
		int room = next < m && active < a->model_jobs && *failed < 0 &&
			   (active == 0 || (avail > 0 && used + g <= avail / 2));
		if (room) {
			fprintf(stderr, "oomph: model: run %d of %d at n=%s%s%s\n", next + 1, m,
				sz[next].word, sz[next].input ? " bytes: " : "",
				sz[next].input ? sz[next].input : "");
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0)
				return refuse(o, OOMPH_EXIT_SOFTWARE, err, errlen, "cannot fork: %s", strerror(errno));
			if (pid == 0) {
				struct run_outcome ro;
				char e[1024];
				int rc = run_one(a, &sz[next], e, sizeof e, &ro);
				if (rc < 0)
					err_print("%s", e);
				fflush(NULL);
				_exit(rc < 0 ? 200 + (ro.status & 0x3f) % 50 : ro.status & 0xff);
			}
			pids[next] = pid;
			need[next] = isfinite(g) ? g : 0;
			next++;
			active++;
			continue;
		}
		if (!active)
			break;
		int ws;
		pid_t w = waitpid(-1, &ws, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		for (int i = 0; i < next; i++) {
			if (pids[i] != w)
				continue;
			pids[i] = 0;
			active--;
			sz[i].ran = 1;
			load_run(&sz[i]);
			int st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			if (!sz[i].loaded && st >= 200) {
				/* oomph refused to run it (the message is out) */
				if (*failed < 0 || i < *failed)
					*failed = i;
				sz[i].status = -1;
			} else {
				sz[i].status = st;
				if (st != 0 && (*failed < 0 || i < *failed))
					*failed = i;
			}
		}
	}
	if (*failed >= 0 && sz[*failed].status < 0)
		return refuse(o, OOMPH_EXIT_MODEL_RUN_FAILED, err, errlen,
			      "oomph could not run the program at n=%s (see the message above)", sz[*failed].word);
	return 0;
}

int model_command(const struct args *a, struct run_outcome *o, char *err, size_t errlen)
{
	static struct msize sz[FIT_MAX_POINTS];
	struct model_warnings w;
	int m = 0, rc;
	memset(o, 0, sizeof *o);
	memset(&w, 0, sizeof w);
	if ((rc = model_sizes(a, sz, &m, o, err, errlen)) != 0)
		return rc;
	double predict_n = 0;
	if (a->model_predict && a->model_predict_input)
		return refuse(o, OOMPH_EXIT_USAGE, err, errlen, "--predict and --predict-input both say where to predict: give one");
	if (a->model_predict && parse_n(a->model_predict, &predict_n))
		return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen,
			      "bad --predict: '%s' is not a number (a size n > 0, e.g. --predict 2000000)",
			      a->model_predict);
	if (a->model_predict_input) {
		struct stat st;
		if (stat(a->model_predict_input, &st) != 0)
			return refuse(o, OOMPH_EXIT_NOINPUT, err, errlen, "cannot read input '%s': %s",
				      a->model_predict_input, strerror(errno));
		if (st.st_size <= 0)
			return refuse(o, OOMPH_EXIT_MODEL_BAD_SIZE, err, errlen, "input '%s' is empty: its size is the n to predict at",
				      a->model_predict_input);
		predict_n = (double)st.st_size;
	}
	int has_n = has_word(a, "{n}") || (a->model_inputs && has_word(a, "{input}"));
	if (!has_n)
		model_warn(&w, "no {n}%s in the program's arguments: the program must read the size from its "
			 "environment (OOMPH_N)", a->model_inputs ? " or {input}" : "");
	double span = sz[m - 1].n / sz[0].n;
	if (span < 10)
		model_warn(&w, "the sizes span only %.1fx: choose sizes spanning at least a decade (e.g. 1000,3000,10000,30000), "
			 "so that the laws can be told apart", span);

	struct rundir rd;
	if ((rc = rundir_make(a->output, a->team_readable, &rd, err, errlen)) != 0) {
		o->status = OOMPH_EXIT_CANTCREAT;
		return rc;
	}
	char runs[PATH_MAX + 8];
	snprintf(runs, sizeof runs, "%s/runs", rd.path);
	if ((rc = safefs_mkdir(runs, err, errlen)) < 0) {
		o->status = OOMPH_EXIT_CANTCREAT;
		return rc;
	}
	if (rc > 0)
		close(rc);
	for (int i = 0; i < m; i++) {
		char d[sizeof sz[i].dir];
		if (snprintf(d, sizeof d, "%s/%s", runs, sz[i].word) >= (int)sizeof d) {
			rc = refuse(o, OOMPH_EXIT_CANTCREAT, err, errlen, "the directory %s is too long", runs);
			goto out;
		}
		memcpy(sz[i].dir, d, sizeof d);
	}
	if (!has_n && !a->quiet)
		err_print("warning: %s", w.text[0]);

	int failed;
	rc = run_all(a, sz, m, &failed, o, err, errlen);
	unsetenv("OOMPH_N");
	if (rc < 0)
		goto out;
	if (failed >= 0) {
		char how[160];
		int st = sz[failed].status;
		if (st > 128)
			snprintf(how, sizeof how, "was ended by signal %d%s%s", st - 128,
				 text_signal_name(st - 128) ? " " : "",
				 text_signal_name(st - 128) ? text_signal_name(st - 128) : "");
		else
			snprintf(how, sizeof how, "exited with status %d", st);
		rc = refuse(o, OOMPH_EXIT_MODEL_RUN_FAILED, err, errlen,
			    "the run at n=%s failed: the program %s (its report: %s/index.html); no model without it",
			    sz[failed].word, how, sz[failed].dir);
		goto out;
	}
	for (int i = 0; i < m; i++)
		if (!sz[i].loaded) {
			rc = refuse(o, OOMPH_EXIT_MODEL_RUN_FAILED, err, errlen,
				    "the run at n=%s left no profile of the program (see %s)", sz[i].word,
				    sz[i].dir);
			goto out;
		}
	/* Without {n} in the arguments, peaks that are the same within the
	 * noise of sampling (10 %, or 2 MiB on small runs) mean the program
	 * never read its size: say that before judging the peaks' order,
	 * since a sampled peak may as well come out a little lower at a
	 * larger n. */
	double pmin = INFINITY, pmax = 0;
	for (int i = 0; i < m; i++) {
		pmin = fmin(pmin, (double)sz[i].p.peak_bytes);
		pmax = fmax(pmax, (double)sz[i].p.peak_bytes);
	}
	if (!has_n && pmax - pmin <= fmax(0.10 * pmin, (double)(2 << 20))) {
		char b1[32];
		text_bytes(b1, sizeof b1, (int64_t)pmax);
		rc = refuse(o, OOMPH_EXIT_MODEL_NO_N, err, errlen,
			    "every run needed the same memory (%s) and no argument has {n}: the program "
			    "does not seem to read its size; put {n} where the size goes in its arguments, "
			    "or make it read OOMPH_N", b1);
		goto out;
	}
	/* The peaks must grow with n (or stay): a drop beyond noise means
	 * the runs measure something else than n. */
	for (int i = 1; i < m; i++) {
		double p = (double)sz[i].p.peak_bytes;
		double q = (double)sz[i - 1].p.peak_bytes;
		if (p < q * 0.95 && q - p > (1 << 20)) {
			char b1[32], b2[32];
			text_bytes(b1, sizeof b1, (int64_t)q);
			text_bytes(b2, sizeof b2, (int64_t)p);
			rc = refuse(o, OOMPH_EXIT_MODEL_NOISY, err, errlen,
				    "the peaks do not grow with n: %s at n=%s but %s at n=%s; too noisy to "
				    "fit (memory that depends on something else than n, or runs too small "
				    "to rise above the noise: use larger sizes)",
				    b1, sz[i - 1].word, b2, sz[i].word);
			goto out;
		}
	}
	double ns[FIT_MAX_POINTS];
	struct profile *ps[FIT_MAX_POINTS];
	for (int i = 0; i < m; i++) {
		ns[i] = sz[i].n;
		ps[i] = &sz[i].p;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		cwd[0] = 0;
	struct model mo;
	if ((rc = model_build(ns, ps, m, predict_n, a->model_limit_bytes, cwd, &mo, err, errlen)) != 0) {
		o->status = rc == -ENOMEM ? OOMPH_EXIT_SOFTWARE : OOMPH_EXIT_MODEL_NOISY;
		goto out;
	}
	double at = predict_n > 0 ? predict_n : sz[m - 1].n * 10;
	if (at > 100 * sz[m - 1].n)
		model_warn(&w, "the prediction extrapolates %.0fx past the largest run (n=%s): beyond 100x a small "
			 "error in an exponent grows large; add a run nearer n=%.0f",
		     at / sz[m - 1].n, sz[m - 1].word, at);
	if (mo.noisy)
		model_warn(&w, "the runs are too noisy to fit well: the lines' laws miss the measured peaks by "
			 "more than 10%%; use larger sizes, or --exact");
	if (!predict_n)
		model_warn(&w, "no --predict N: predicted at 10x the largest run");

	struct model_run_ref refs[FIT_MAX_POINTS];
	for (int i = 0; i < m; i++)
		refs[i] = (struct model_run_ref){sz[i].word, sz[i].dir, sz[i].input};
	model_write(rd.path, &mo, refs, &w, at, a, cwd);
	model_free(&mo);
	o->status = OOMPH_EXIT_OK;
	rc = 0;
out:
	for (int i = 0; i < m; i++)
		if (sz[i].loaded) {
			profile_free(&sz[i].p);
			sz[i].loaded = 0;
		}
	return rc;
}
