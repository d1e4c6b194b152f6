/* report/report.c — render a run directory (report.h): load every state
 * file, choose the main process, write each page's four files, print the
 * terminal summary. */
#include "report/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/safefs.h"
#include "profile/profile.h"
#include "report/buf.h"
#include "report/derive.h"
#include "report/doc.h"
#include "report/export.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/html.h"
#include "report/source.h"
#include "report/summary.h"
#include "report/text.h"
#include "report/view.h"
#include "state/format.h"

#define MAX_PATH 4096
/* Points of the timeline kept for the report (chart and summary.json). */
#define REPORT_TIMELINE_POINTS 500
/* Notes of unprofiled processes shown (the first ones; the rest counted). */
#define REPORT_MAX_NOTES 4

struct proc {
	struct profile p;
	struct view v;
	/* for the flame graphs: imports folded, and upside down (derive.h) */
	struct profile dp, cp;
	struct view dv, cv;
	int derived;
	/* its phases; for each kept picture a profile and a view of its own */
	struct doc_phase *phases;
	struct profile *phase_p; /* 2 per phase: peak, left (nnodes 0: none) */
	struct view *phase_v;
	size_t nphases;
};

struct state_name {
	char *name;
	long pid, gen;
};

struct run {
	struct proc *procs; /* loaded, main first once arranged */
	size_t nprocs;
	struct doc_proc *dps; /* procs as the pages see them, same order */
	struct doc_error *errors;
	size_t nerrors;
	const char *warnings[6 + REPORT_MAX_NOTES];
	char changed_warning[512];
	/* why processes that loaded the tracker were not profiled (<pid>.note) */
	char notes[REPORT_MAX_NOTES][400];
	size_t nnotes;
	size_t nwarnings;
	struct src_cache *src;
	/* the main process at its moment of death (death_p shares the main
	 * profile's tables: never profile_free'd) */
	struct profile death_p, death_dp;
	struct view death_v, death_dv;
	struct doc_death death;
	int has_death;
	/* a report of a running program: the main process live now */
	struct profile now_p, now_dp;
	struct view now_v, now_dv;
	struct doc_death now;
	char now_title[96];
	int has_now, running;
	struct timeline tl;
	/* every process in one graph, when there are several */
	struct profile all_p;
	struct view all_v;
	int has_all;
};

static int add_error(struct run *r, const char *file, const char *message)
{
	struct doc_error *q = realloc(r->errors, (r->nerrors + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	r->errors = q;
	q[r->nerrors].file = strdup(file);
	q[r->nerrors].message = strdup(message);
	if (!q[r->nerrors].file || !q[r->nerrors].message) {
		free((char *)q[r->nerrors].file);
		free((char *)q[r->nerrors].message);
		return -ENOMEM;
	}
	r->nerrors++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct state_name *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* "<pid>.note": a process that loaded the tracker and said why it is not
 * profiled (hooks.c). */
static void read_note(struct run *r, int dfd, const char *name)
{
	char *end;
	long pid = strtol(name, &end, 10);
	if (end == name || strcmp(end, OOMPH_NOTE_SUFFIX) || r->nnotes >= REPORT_MAX_NOTES)
		return;
	int fd = safefs_open_read_at(dfd, name, NULL, NULL, 0);
	if (fd < 0)
		return;
	char text[300];
	ssize_t got = read(fd, text, sizeof text - 1);
	close(fd);
	if (got <= 0)
		return;
	text[got] = 0;
	for (char *c = text; *c; c++) /* one line of text */
		if ((unsigned char)*c < ' ')
			*c = ' ';
	snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "process %ld was not profiled: %s", pid, text);
}

/* The state files, in pid/generation order so every rendering loads (and
 * reports errors) in the same order. */
static int list_states(const char *dir, struct run *r, struct state_name **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* never through a link (common/safefs.h) */
	int foreign = 0;
	int fd = safefs_open_dir_readonly(dir, &foreign, NULL, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = fd >= 0 ? errno : -fd;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return 0; /* nothing was profiled */
		return add_error(r, RUNMETA_STATE_DIR, e == ELOOP ? "a symbolic link: not followed" : strerror(e));
	}
	size_t cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		long pid;
		unsigned gen;
		if (!oomph_state_name_parse(e->d_name, &pid, &gen)) {
			read_note(r, dirfd(d), e->d_name);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct state_name *q = realloc(*out, cap * sizeof(*q));
			if (!q) {
				rc = -ENOMEM;
				break;
			}
			*out = q;
		}
		(*out)[*n].name = strdup(e->d_name);
		if (!(*out)[*n].name) {
			rc = -ENOMEM;
			break;
		}
		(*out)[*n].pid = pid;
		(*out)[*n].gen = gen;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), name_cmp);
	return rc;
}

static int load_all(const char *run_dir, const struct runmeta *meta, const char *state_dir,
		    const char *cwd, struct run *r, char *err, size_t errlen)
{
	/* while it runs (or when copying its state home failed) the state is
	 * in its live directory: runmeta_state_dir says where */
	char state[MAX_PATH];
	if (state_dir && (size_t)snprintf(state, sizeof state, "%s", state_dir) < sizeof state) {
		/* the caller knows */
	} else if (runmeta_state_dir(meta, run_dir, state, sizeof state) != 0) {
		snprintf(err, errlen, "cannot render the report of %s: path too long", run_dir);
		return -ENAMETOOLONG;
	}
	struct state_name *names;
	size_t n;
	int rc = list_states(state, r, &names, &n);
	if (!rc && n && !(r->procs = calloc(n, sizeof(*r->procs))))
		rc = -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		char path[MAX_PATH + 256], rel[512], msg[512];
		snprintf(path, sizeof(path), "%s/%s", state, names[i].name);
		snprintf(rel, sizeof(rel), "%s/%s", RUNMETA_STATE_DIR, names[i].name);
		struct proc *pr = &r->procs[r->nprocs];
		msg[0] = 0;
		int lrc = profile_load(path, &pr->p, msg, sizeof(msg));
		if (lrc == OOMPH_PROFILE_ENOMEM) {
			rc = -ENOMEM;
			break;
		}
		if (lrc) {
			rc = add_error(r, rel, msg[0] ? msg : "cannot be read");
			continue;
		}
		int vrc = view_build(&pr->v, &pr->p, cwd, r->src);
		if (vrc == -EINVAL || vrc == -EOVERFLOW) {
			profile_free(&pr->p);
			rc = add_error(r, rel, vrc == -EINVAL ? "inconsistent stack table"
							     : "its stacks add up to more than 2^63 bytes");
			continue;
		}
		if (vrc) {
			profile_free(&pr->p);
			rc = vrc;
			break;
		}
		r->nprocs++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i].name);
	free(names);
	if (rc)
		snprintf(err, errlen, "cannot render the report of %s: %s", run_dir, strerror(-rc));
	return rc;
}

/* Source lines: those the run used, kept in RUN_DIR/sources since its
 * first report (so a later one shows the same text, whatever became of the
 * files), else read now, the run's own script allowed whatever its name. */
static int sources_begin(struct run *r, const char *run_dir, const struct runmeta *meta,
			 int *stored)
{
	const char *script = NULL;
	if (meta && meta->python[0] && meta->argc > 1 && meta->argv[1][0] != '-')
		script = meta->argv[1];
	/* a file modified after the run ended surely changed (one modified
	 * during the run may be one the program wrote itself, then ran) */
	if (src_set_run(r->src, meta ? meta->start_unix_s + meta->duration_s : 0, script) != 0)
		return -ENOMEM;
	char path[MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", run_dir, SRC_FILE);
	off_t size = 0;
	int fd = safefs_open_read(path, &size, NULL, 0);
	*stored = 0;
	if (fd < 0)
		return 0;
	char *text = size > 0 && size < (64 << 20) ? malloc((size_t)size + 1) : NULL;
	ssize_t got = text ? read(fd, text, (size_t)size) : -1;
	close(fd);
	if (got == (ssize_t)size && text) {
		text[got] = 0;
		*stored = 1;
		if (src_load(r->src, text, (size_t)got) == -ENOMEM) {
			free(text);
			return -ENOMEM;
		}
	}
	free(text);
	return 0;
}

/* Before the pages: say which files changed since the run started. */
static void sources_warn(struct run *r)
{
	const char *names[3];
	size_t n = src_changed(r->src, names, 3);
	if (n && r->nwarnings < sizeof r->warnings / sizeof r->warnings[0]) {
		snprintf(r->changed_warning, sizeof r->changed_warning,
			 "%zu source file%s changed after the run, so %s lines are not shown: %s%s%s%s%s",
			 n, n > 1 ? "s" : "", n > 1 ? "their" : "its", names[0], n > 1 ? ", " : "",
			 n > 1 ? names[1] : "", n > 2 ? ", " : "", n > 2 ? names[2] : "");
		r->warnings[r->nwarnings++] = r->changed_warning;
	}
}

/* After the pages: keep the lines used, once the run is over. */
static void sources_keep(struct run *r, const char *run_dir, const struct runmeta *meta, int stored)
{
	if (stored || (meta && !strcmp(meta->status, "running")))
		return;
	char *text = NULL;
	size_t len = 0;
	char path[MAX_PATH], why[256];
	snprintf(path, sizeof path, "%s/%s", run_dir, SRC_FILE);
	if (src_save(r->src, &text, &len) == 0)
		safefs_write(path, text, len, why, sizeof why);
	free(text);
}

static int loaded_pid(const struct run *r, int pid, size_t except)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (i != except && r->procs[i].p.pid == pid)
			return 1;
	return 0;
}

/* Better main-process candidate: a Python process, then the earliest
 * start, then the first generation (so the choice never depends on the
 * order the files were listed in). */
static int better(const struct profile *a, const struct profile *b)
{
	int pa = a->python_version[0] != 0, pb = b->python_version[0] != 0;
	if (pa != pb)
		return pa;
	if (a->start_unix_s != b->start_unix_s)
		return a->start_unix_s < b->start_unix_s;
	if (a->generation != b->generation)
		return a->generation < b->generation;
	return a->pid < b->pid;
}

static size_t pick_main(const struct run *r, const struct runmeta *meta)
{
	size_t best = SIZE_MAX;
	/* 1. the process oomph started; 2. a process whose parent was not
	 * profiled; 3. any. */
	for (int pass = 0; pass < 3 && best == SIZE_MAX; pass++) {
		for (size_t i = 0; i < r->nprocs; i++) {
			const struct profile *p = &r->procs[i].p;
			if (pass == 0 && !(meta && meta->child_pid > 0 && p->pid == meta->child_pid))
				continue;
			if (pass == 1 && loaded_pid(r, p->ppid, i))
				continue;
			if (best == SIZE_MAX || better(p, &r->procs[best].p))
				best = i;
		}
	}
	return best;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct profile *x = &((const struct proc *)a)->p, *y = &((const struct proc *)b)->p;
	if (x->start_unix_s != y->start_unix_s)
		return x->start_unix_s < y->start_unix_s ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->generation < y->generation ? -1 : x->generation > y->generation;
}

/* Main first, the others by start time; then parents and directories. */
static int arrange(struct run *r, const struct runmeta *meta)
{
	if (!r->nprocs)
		return 0;
	size_t m = pick_main(r, meta);
	if (m != 0) {
		struct proc tmp = r->procs[0];
		r->procs[0] = r->procs[m];
		r->procs[m] = tmp;
	}
	if (r->nprocs > 2)
		qsort(r->procs + 1, r->nprocs - 1, sizeof(*r->procs), proc_cmp);
	r->dps = calloc(r->nprocs, sizeof(*r->dps));
	if (!r->dps)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *pr = &r->procs[i];
		struct doc_proc *dp = &r->dps[i];
		/* Pointers into the array are taken only now that it is sorted
		 * (the view's profile pointer moved with the struct). */
		pr->v.p = &pr->p;
		dp->p = &pr->p;
		dp->view = &pr->v;
		dp->parent = loaded_pid(r, pr->p.ppid, i) ? pr->p.ppid : -1;
		int gens = 0;
		for (size_t j = 0; j < r->nprocs; j++)
			gens += r->procs[j].p.pid == pr->p.pid;
		if (i == 0)
			snprintf(dp->dir, sizeof(dp->dir), ".");
		else if (gens > 1)
			snprintf(dp->dir, sizeof(dp->dir), "processes/%d.%u", pr->p.pid,
				 pr->p.generation);
		else
			snprintf(dp->dir, sizeof(dp->dir), "processes/%d", pr->p.pid);
	}
	return 0;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	return safefs_mkdir(path, err, errlen);
}

/* The display views of one picture: imports folded, and inverted. */
static int derive_views(const struct view *v, const char *cwd, struct src_cache *src,
			struct profile *dp, struct view *dv, struct profile *cp, struct view *cv)
{
	int rc = derive_profile(v->p, v->self, 1, 0, dp);
	if (rc)
		return rc;
	if ((rc = view_build(dv, dp, cwd, src)) != 0) {
		profile_free(dp);
		return rc;
	}
	if (!cp)
		return 0;
	if ((rc = derive_profile(v->p, v->self, 1, 1, cp)) != 0 ||
	    (rc = view_build(cv, cp, cwd, src)) != 0) {
		if (!rc)
			profile_free(cp);
		view_free(dv);
		profile_free(dp);
	}
	return rc;
}

static int combine(struct run *r, const char *cwd)
{
	if (r->nprocs < 2)
		return 0;
	struct view **views = calloc(r->nprocs, sizeof(*views));
	char **labels = calloc(r->nprocs, sizeof(*labels));
	int rc = views && labels ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < r->nprocs; i++) {
		const struct profile *p = &r->procs[i].p;
		struct buf l;
		buf_init(&l);
		buf_printf(&l, "pid %d: ", p->pid);
		text_shell_words(&l, p->argc, p->argv);
		labels[i] = l.oom ? NULL : strdup(buf_str(&l));
		buf_free(&l);
		views[i] = &r->procs[i].v;
		if (!labels[i])
			rc = -ENOMEM;
	}
	if (!rc && !(rc = derive_combined(views, (const char *const *)labels, r->nprocs, &r->all_p))) {
		if ((rc = view_build(&r->all_v, &r->all_p, cwd, r->src)) != 0)
			profile_free(&r->all_p);
		else
			r->has_all = 1;
	}
	if (rc == -EOVERFLOW) /* no combined view: the processes' own stay */
		rc = add_error(r, "all processes", "together more than 2^63 bytes: not combined");
	for (size_t i = 0; labels && i < r->nprocs; i++)
		free(labels[i]);
	free(labels);
	free(views);
	return rc;
}

static int derive_all(struct run *r, const char *cwd)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *pr = &r->procs[i];
		int rc = derive_views(&pr->v, cwd, r->src, &pr->dp, &pr->dv, &pr->cp, &pr->cv);
		if (rc)
			return rc;
		pr->derived = 1;
		r->dps[i].display = &pr->dv;
		r->dps[i].callers = &pr->cv;
	}
	return 0;
}

#define PHASE_OTHER "[smaller stacks not kept]"

/* The phases of each process, their kept pictures as views. */
static int build_phases(struct run *r, const char *cwd)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *pr = &r->procs[i];
		size_t n = pr->p.nphases;
		if (!n)
			continue;
		pr->phases = calloc(n, sizeof(*pr->phases));
		pr->phase_p = calloc(2 * n, sizeof(*pr->phase_p));
		pr->phase_v = calloc(2 * n, sizeof(*pr->phase_v));
		if (!pr->phases || !pr->phase_p || !pr->phase_v)
			return -ENOMEM;
		pr->nphases = n;
		for (size_t k = 0; k < n; k++) {
			const struct profile_phase *ph = &pr->p.phases[k];
			pr->phases[k].ph = ph;
			if (!ph->has_picture)
				continue;
			for (int w = 0; w < 2; w++) {
				struct profile *dp = &pr->phase_p[2 * k + w];
				struct view *dv = &pr->phase_v[2 * k + w];
				int rc = derive_entries(&pr->p, w ? ph->left : ph->peak,
							w ? ph->nleft : ph->npeak,
							w ? ph->left_other : ph->peak_other, PHASE_OTHER,
							dp);
				if (rc)
					return rc;
				if ((rc = view_build(dv, dp, cwd, r->src)) != 0) {
					profile_free(dp);
					return rc;
				}
				if (w)
					pr->phases[k].left = dv;
				else
					pr->phases[k].peak = dv;
			}
		}
		r->dps[i].phases = pr->phases;
		r->dps[i].nphases = n;
	}
	return 0;
}

static void free_phases(struct proc *pr)
{
	for (size_t k = 0; k < pr->nphases; k++) {
		if (pr->phases[k].peak) {
			view_free(&pr->phase_v[2 * k]);
			profile_free(&pr->phase_p[2 * k]);
		}
		if (pr->phases[k].left) {
			view_free(&pr->phase_v[2 * k + 1]);
			profile_free(&pr->phase_p[2 * k + 1]);
		}
	}
	free(pr->phases);
	free(pr->phase_p);
	free(pr->phase_v);
}

/* Which picture is the moment of death (docs/report-format.md): a process
 * that died without its exit path (OOM killer, segfault) left live[] as it
 * was when it died; for a MemoryError or a stop near OOM the tracker's own
 * photograph of that moment is closer to the point (the exit path frees
 * memory afterwards). */
static int choose_death(struct run *r, const struct runmeta *meta, const char *cwd)
{
	if (!r->nprocs || !meta)
		return 0;
	const struct profile *mp = &r->procs[0].p;
	const char *v = meta->verdict;
	const int64_t *self = NULL;
	int64_t bytes = 0;
	double t = mp->duration_s;
	const char *reason = "killed", *title = NULL;
	int use_moment = mp->moment_self != NULL;
	if (!strcmp(v, "oom-killed") || !strcmp(v, "null-dereference")) {
		use_moment = use_moment && mp->exited_cleanly;
		title = !strcmp(v, "oom-killed") ? "Memory live when the OOM killer struck"
						 : "Memory live when it crashed";
	} else if (!strcmp(v, "memory-error")) {
		title = "Memory live when the allocation failed";
	} else if (!strcmp(v, "stopped-near-oom")) {
		title = "Memory live when oomph stopped it near the limit";
	} else if (!strcmp(v, "stopped-thrashing")) {
		/* killed by oomph at that moment: live[] is that moment (an
		 * older near-OOM photograph is not) */
		title = "Memory live when oomph stopped it thrashing";
		use_moment = 0;
	} else {
		return 0;
	}
	if (use_moment) {
		self = mp->moment_self;
		bytes = mp->moment_bytes;
		t = mp->moment_time_s;
		reason = mp->moment_reason;
	} else {
		self = mp->live_self;
		bytes = mp->end_bytes;
	}
	r->death_p = *mp;
	r->death_p.peak_self = (int64_t *)self;
	r->death_p.peak_bytes = bytes;
	r->death_p.peak_time_s = t;
	int rc = view_build(&r->death_v, &r->death_p, cwd, r->src);
	if (rc)
		return rc;
	if ((rc = derive_views(&r->death_v, cwd, r->src, &r->death_dp, &r->death_dv, NULL, NULL))) {
		view_free(&r->death_v);
		return rc;
	}
	r->death = (struct doc_death){&r->death_v, &r->death_dv, reason, title, bytes, t};
	r->has_death = 1;
	return 0;
}

/* A report of a running program: what the main process has live now. */
static int choose_now(struct run *r, const char *cwd, double now_s)
{
	if (!r->nprocs)
		return 0;
	const struct profile *mp = &r->procs[0].p;
	r->now_p = *mp;
	r->now_p.peak_self = mp->live_self;
	r->now_p.peak_bytes = mp->end_bytes;
	r->now_p.peak_time_s = now_s;
	int rc = view_build(&r->now_v, &r->now_p, cwd, r->src);
	if (rc)
		return rc;
	if ((rc = derive_views(&r->now_v, cwd, r->src, &r->now_dp, &r->now_dv, NULL, NULL))) {
		view_free(&r->now_v);
		return rc;
	}
	snprintf(r->now_title, sizeof(r->now_title), "Memory live now (%.1f s into the run)", now_s);
	r->now = (struct doc_death){&r->now_v, &r->now_dv, "now", r->now_title, mp->end_bytes, now_s};
	r->has_now = 1;
	return 0;
}

/* Read while the program ran: the processes still running say so, not
 * "did not exit normally", and their durations run until now. */
static double mark_running(struct run *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, main_s = 0;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct profile *p = &r->procs[i].p;
		if (p->exited_cleanly || (kill(p->pid, 0) != 0 && errno != EPERM))
			continue;
		p->still_running = 1;
		if (now - p->start_unix_s > p->duration_s)
			p->duration_s = now - p->start_unix_s;
	}
	if (r->nprocs)
		main_s = r->procs[0].p.duration_s;
	return main_s;
}

static void title_of(struct buf *title, const char *what, int64_t bytes, const struct doc *d)
{
	char s[32];
	buf_puts(title, what);
	text_bytes(s, sizeof(s), bytes);
	buf_printf(title, ": %s \u2014 ", s);
	text_shell_words(title, d->argc, d->argv);
}

/* The files of one page, summary.json last: its presence means the page
 * is complete. */
/* phases/<id>.svg: each phase whose picture was kept, at its peak. */
static int write_phase_svgs(const char *dir, const struct doc *d, char *err, size_t errlen)
{
	const struct doc_proc *dp = d->main;
	size_t n = 0;
	for (size_t i = 0; dp && i < dp->nphases; i++)
		n += dp->phases[i].peak != NULL;
	if (!n)
		return 0;
	char path[MAX_PATH];
	snprintf(path, sizeof(path), "%s/phases", dir);
	int rc = make_dir(path, err, errlen);
	struct buf b, title;
	buf_init(&b);
	buf_init(&title);
	for (size_t i = 0; !rc && i < dp->nphases; i++) {
		const struct doc_phase *f = &dp->phases[i];
		if (!f->peak)
			continue;
		buf_reset(&b);
		buf_reset(&title);
		buf_puts(&title, "Phase ");
		buf_puts(&title, f->ph->name);
		title_of(&title, " at its peak, above its start",
			 f->ph->peak_bytes - f->ph->start_bytes, d);
		flame_svg(&b, f->peak, buf_str(&title));
		if (title.oom)
			b.oom = 1;
		snprintf(path, sizeof(path), "%s/phases/%u.svg", dir, f->ph->id);
		rc = buf_write_file(&b, path, err, errlen);
	}
	buf_free(&title);
	buf_free(&b);
	return rc;
}

static int write_page(const char *dir, const struct doc *d, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	char path[MAX_PATH];
	int rc = write_phase_svgs(dir, d, err, errlen);
	for (int k = -4; k < 6 && !rc; k++) {
		buf_reset(&b);
		const char *name;
		if ((k == -1 || k == -2) && !d->death)
			continue;
		if ((k == -3 || k == -4) && !d->now)
			continue;
		switch (k) {
		case -4:
			name = "now.folded";
			folded_write(&b, d->now->view);
			break;
		case -3: {
			name = "now.svg";
			struct buf title;
			buf_init(&title);
			title_of(&title, d->now->title, d->now->bytes, d);
			flame_svg(&b, d->now->display, buf_str(&title));
			if (title.oom)
				b.oom = 1;
			buf_free(&title);
			break;
		}
		case -2:
			name = "death.folded";
			folded_write(&b, d->death->view);
			break;
		case -1: {
			name = "death.svg";
			struct buf title;
			buf_init(&title);
			title_of(&title, d->death->title, d->death->bytes, d);
			flame_svg(&b, d->death->display, buf_str(&title));
			if (title.oom)
				b.oom = 1;
			buf_free(&title);
			break;
		}
		case 0:
			name = "peak.folded";
			if (d->main)
				folded_write(&b, d->main->view);
			break;
		case 1: {
			name = "peak.svg";
			struct buf title;
			buf_init(&title);
			if (d->main)
				title_of(&title, "Memory live at the peak", d->main->p->peak_bytes, d);
			else
				buf_puts(&title, "Memory live at the peak");
			static struct view empty; /* no process: an empty graph */
			flame_svg(&b, d->main ? d->main->display : &empty, buf_str(&title));
			if (title.oom)
				b.oom = 1;
			buf_free(&title);
			break;
		}
		case 2:
			name = "index.html";
			html_page(&b, d);
			break;
		case 3: {
			name = "peak.speedscope.json";
			struct buf title;
			buf_init(&title);
			if (d->main)
				title_of(&title, "Memory live at the peak", d->main->p->peak_bytes, d);
			static struct view none;
			export_speedscope(&b, d->main ? d->main->view : &none, buf_str(&title));
			if (title.oom)
				b.oom = 1;
			buf_free(&title);
			break;
		}
		case 4: {
			name = "peak.pb.gz";
			static struct view none;
			export_pprof(&b, d->main ? d->main->view : &none);
			break;
		}
		default:
			name = "summary.json";
			summary_json(&b, d, 1, 0);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		rc = buf_write_file(&b, path, err, errlen);
	}
	buf_free(&b);
	return rc;
}

static void main_doc(struct doc *d, struct run *r, const struct runmeta *meta)
{
	memset(d, 0, sizeof(*d));
	const struct profile *mp = r->nprocs ? &r->procs[0].p : NULL;
	d->main = mp ? &r->dps[0] : NULL;
	if (meta && meta->argc > 0) {
		d->argc = meta->argc;
		d->argv = meta->argv;
	} else if (mp) {
		d->argc = mp->argc;
		d->argv = mp->argv;
	}
	d->python = meta && meta->python_version[0] ? meta->python_version
		    : mp			      ? mp->python_version
						      : "";
	if (meta) {
		d->signal = meta->signal;
		/* no exit status when oomph died first, or while it runs */
		d->has_exit_code = meta->signal == 0 && strcmp(meta->status, "supervisor-died") &&
				   strcmp(meta->status, "running");
		d->exit_code = meta->exit_code;
		d->verdict = meta->verdict;
		d->duration_s = meta->duration_s;
		d->peak_rss_bytes = meta->peak_rss_bytes;
		d->sample_rate = meta->sample_rate;
		d->exact = meta->exact;
	}
	if (mp) {
		if (!meta) {
			d->has_exit_code = mp->exited_cleanly && mp->exit_code >= 0;
			d->exit_code = mp->exit_code;
			d->verdict = mp->exited_cleanly ? "exited" : "unknown";
			d->duration_s = mp->duration_s;
		}
		if (mp->max_rss_bytes > d->peak_rss_bytes)
			d->peak_rss_bytes = mp->max_rss_bytes;
		if (!d->sample_rate)
			d->sample_rate = mp->sample_rate;
		d->exact = d->exact || mp->exact;
	}
	if (d->sample_rate == 1)
		d->exact = 1;
	if (!d->verdict)
		d->verdict = "unknown";
	d->procs = r->nprocs ? r->dps : NULL;
	d->nprocs = r->nprocs;
	d->errors = r->errors;
	d->nerrors = r->nerrors;
	d->warnings = r->warnings;
	d->nwarnings = r->nwarnings;
	d->up = "";
	d->meta = meta;
	d->death = r->has_death ? &r->death : NULL;
	d->now = r->has_now ? &r->now : NULL;
	d->running = r->running;
	if (r->running) {
		d->verdict = "running";
		d->signal = 0;
		d->has_exit_code = 0;
		d->duration_s = mp ? mp->duration_s : 0;
	}
	d->timeline = &r->tl;
	d->combined = r->has_all ? &r->all_v : NULL;
}

static void proc_doc(struct doc *d, const struct doc_proc *self)
{
	const struct profile *p = self->p;
	memset(d, 0, sizeof(*d));
	d->argc = p->argc;
	d->argv = p->argv;
	d->python = p->python_version;
	d->has_exit_code = p->exited_cleanly && p->exit_code >= 0;
	d->exit_code = p->exit_code;
	d->verdict = p->exited_cleanly ? "exited" : "unknown";
	d->duration_s = p->duration_s;
	d->peak_rss_bytes = p->max_rss_bytes;
	d->sample_rate = p->sample_rate;
	d->exact = p->exact || p->sample_rate == 1;
	d->main = self;
	d->procs = self;
	d->nprocs = 1;
	d->up = "../../";
}

static int write_all(const char *run_dir, struct run *r, const struct runmeta *meta,
		     char *err, size_t errlen)
{
	char dir[MAX_PATH];
	int rc = 0;
	if (r->nprocs > 1) {
		snprintf(dir, sizeof(dir), "%s/processes", run_dir);
		rc = make_dir(dir, err, errlen);
	}
	for (size_t i = 1; i < r->nprocs && !rc; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", run_dir, r->dps[i].dir);
		rc = make_dir(dir, err, errlen);
		if (rc)
			break;
		/* The process's own page lists it as "." (its own directory). */
		struct doc_proc self = r->dps[i];
		snprintf(self.dir, sizeof(self.dir), ".");
		struct doc d;
		proc_doc(&d, &self);
		rc = write_page(dir, &d, err, errlen);
	}
	if (rc)
		return rc;
	struct doc d;
	main_doc(&d, r, meta);
	return write_page(run_dir, &d, err, errlen);
}

int report_render(const char *run_dir, const struct runmeta *meta, FILE *term, char *err,
		  size_t errlen)
{
	struct report_target t = {.run_dir = run_dir};
	return report_render_to(&t, meta, term, err, errlen);
}

int report_render_to(const struct report_target *t, const struct runmeta *meta, FILE *term,
		     char *err, size_t errlen)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	const char *run_dir = t->run_dir;
	const char *out_dir = t->out_dir ? t->out_dir : run_dir;
	r.running = t->running;
	const char *cwd = meta ? meta->cwd : "";
	r.src = src_new(cwd);
	int rc = r.src ? 0 : -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	int stored = 0;
	if (!rc && (rc = sources_begin(&r, run_dir, meta, &stored)) != 0)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc)
		rc = load_all(run_dir, meta, t->state_dir, cwd, &r, err, errlen);
	if (!rc && (rc = arrange(&r, meta)) != 0)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && ((rc = derive_all(&r, cwd)) != 0 || (rc = combine(&r, cwd)) != 0 ||
		    (rc = build_phases(&r, cwd)) != 0))
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && r.running)
		rc = choose_now(&r, cwd, mark_running(&r));
	else if (!rc)
		rc = choose_death(&r, meta, cwd);
	if (rc)
		snprintf(err, errlen, "cannot render the report of %s: %s", run_dir, strerror(-rc));
	if (!rc) {
		struct timeline full;
		char terr[512];
		if (timeline_load(run_dir, &full, terr, sizeof terr) != 0) {
			r.warnings[r.nwarnings++] = "the timeline (timeline.tsv) could not be read";
		} else {
			rc = timeline_downsample(&full, REPORT_TIMELINE_POINTS, &r.tl);
			timeline_free(&full);
			if (rc)
				snprintf(err, errlen, "cannot render the report of %s: out of memory",
					 run_dir);
		}
	}
	if (!rc) {
		if (!r.nprocs)
			r.warnings[r.nwarnings++] =
				r.nnotes ? "no process was profiled (why: below)"
					 : "no process was profiled: no CPython 3.9 or newer ran under the "
					   "tracker, or it could not write its profile (a process that changed "
					   "user cannot: the state directory is private to the user who ran oomph)";
		for (size_t i = 0; i < r.nnotes; i++)
			r.warnings[r.nwarnings++] = r.notes[i];
		sources_warn(&r);
		rc = write_all(out_dir, &r, meta, err, errlen);
		if (!rc && !r.running)
			sources_keep(&r, run_dir, meta, stored);
	}
	if (!rc && term) {
		struct doc d;
		main_doc(&d, &r, meta);
		char path[MAX_PATH];
		snprintf(path, sizeof(path), "%s/index.html", out_dir);
		summary_terminal(term, &d, path);
	}
	for (size_t i = 0; i < r.nprocs; i++) {
		free_phases(&r.procs[i]);
		view_free(&r.procs[i].v);
		profile_free(&r.procs[i].p);
		if (r.procs[i].derived) {
			view_free(&r.procs[i].dv);
			view_free(&r.procs[i].cv);
			profile_free(&r.procs[i].dp);
			profile_free(&r.procs[i].cp);
		}
	}
	if (r.has_now) {
		view_free(&r.now_v);
		view_free(&r.now_dv);
		profile_free(&r.now_dp);
	}
	if (r.has_death) {
		view_free(&r.death_v);
		view_free(&r.death_dv);
		profile_free(&r.death_dp);
	}
	timeline_free(&r.tl);
	if (r.has_all) {
		view_free(&r.all_v);
		profile_free(&r.all_p);
	}
	free(r.procs);
	free(r.dps);
	for (size_t i = 0; i < r.nerrors; i++) {
		free((char *)r.errors[i].file);
		free((char *)r.errors[i].message);
	}
	free(r.errors);
	src_free(r.src);
	return rc;
}
