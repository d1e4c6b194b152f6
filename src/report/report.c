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
#include "profile/jobfile.h"
#include "profile/profile.h"
#include "report/buf.h"
#include "report/chart.h"
#include "report/derive.h"
#include "report/doc.h"
#include "report/export.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/html.h"
#include "report/jobtime.h"
#include "report/leaks.h"
#include "report/moments.h"
#include "report/source.h"
#include "report/summary.h"
#include "report/text.h"
#include "report/view.h"
#include "state/format.h"

#define MAX_PATH 4096
/* Points of the timeline kept for the report (chart and summary.json). */
#define REPORT_TIMELINE_POINTS 500
/* Points of the main process's own record of its total (doc.memory). */
#define REPORT_MEMORY_POINTS 1000
/* Notes of unprofiled processes shown (the first ones; the rest counted). */
#define REPORT_MAX_NOTES 4

/* One process at one instant of the job (its peak, a death): p shares
 * the process's tables (never profile_free'd), its peak_self is self;
 * held < 0: not in the job then. */
struct job_pic {
	struct profile p;
	int64_t *self;
	int64_t held;
	struct view v;
	int has_v;
};

/* The job at one instant: every process in it, those that held something
 * in one profile, each under a frame naming it (job.folded,
 * job-death.folded). */
struct job_set {
	struct profile p;
	struct view v;
	int has_v;
	struct doc_job_proc *procs; /* largest first */
	size_t nprocs;
};

enum { JOB_PEAK, JOB_DEATH, JOB_INSTANTS };

struct proc {
	struct profile p;
	struct view v;
	/* its pictures at the job's peak and at the job's death */
	struct job_pic jpic[JOB_INSTANTS];
	/* for the flame graphs: imports and plumbing folded, upside down,
	 * and with the plumbing shown (derive.h) */
	struct profile dp, cp, fp;
	struct view dv, cv, fv;
	int derived, has_fv;
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
	size_t nstates;  /* state files listed */
	int loaded_any;  /* profile_load() read one of them (or ran out of memory) */
	struct src_cache *src;
	/* the main process at its moment of death (death_p shares the main
	 * profile's tables: never profile_free'd) */
	struct profile death_p, death_dp;
	struct view death_v, death_dv;
	struct doc_death death;
	int has_death;
	int death_at_end;  /* the death's picture is what was live at the end */
	/* a report of a running program: the main process live now */
	struct profile now_p, now_dp;
	struct view now_v, now_dv;
	struct doc_death now;
	char now_title[96];
	int has_now, running;
	/* what the main process held when it ended (exit.folded) */
	struct profile exit_p, exit_dp;
	struct view exit_v, exit_dv;
	struct doc_death exit;
	int has_exit;
	struct leak_suspect leaks[LEAKS_MAX];
	size_t nleaks;
	struct moment_pic *moms; /* doc.moments */
	size_t nmoms;
	struct timeline tl;
	struct profile_point *mem; /* doc.memory */
	size_t nmem;
	double mem_off;
	/* processes of the job that did not end by themselves */
	struct doc_victim *victims;
	size_t nvictims;
	/* every process in one graph, when there are several */
	struct profile all_p;
	struct view all_v;
	int has_all;
	/* the job file: the job's exact total and peak */
	struct jobfile job;
	int has_job;
	/* every process at the job's peak, and at the job's death */
	struct job_set jset[JOB_INSTANTS];
	size_t job_top_nprocs[VIEW_TOP_MAX]; /* processes holding each job top line */
	/* the death of the job's picture (build_job_death): whose, when on
	 * the run's clock; NULL: none */
	const struct doc_victim *jd_victim;
	double jd_time_s;
	/* the job over time, several processes (report/jobtime.h): each
	 * one's part at common instants, job-timeline.tsv and the chart */
	struct jobtime jt;
	struct jobtime_proc *jt_procs;
	char **jt_strs; /* 2 per process: its label, its column's name */
	struct chart_band *jt_bands;
	struct chart_stack jt_stack;
	int has_jt;
};

/* Leak suspects of every process (a worker that leaks is as much the
 * job's leak as the main process's), ranked together: the LEAKS_MAX most
 * grown. */
static int find_leaks(struct run *r)
{
	struct leak_suspect *all = malloc((r->nprocs ? r->nprocs : 1) * LEAKS_MAX * sizeof(*all));
	if (!all)
		return -ENOMEM;
	size_t found = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nprocs; i++) {
		size_t n = 0;
		rc = leaks_find(&r->procs[i].v, all + found, LEAKS_MAX, &n);
		found += n;
	}
	leaks_rank(all, found);
	r->nleaks = 0;
	for (size_t i = 0; !rc && i < found && i < LEAKS_MAX; i++)
		r->leaks[r->nleaks++] = all[i];
	free(all);
	return rc;
}

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
		    const struct origin *org, struct run *r, char *err, size_t errlen)
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
	char jmsg[600];
	int jrc = jobfile_load(state, &r->job, jmsg, sizeof jmsg);
	r->has_job = jrc == 0;
	if (jrc && jrc != -ENOENT) {
		char rel[256];
		snprintf(rel, sizeof rel, "%s/%s", RUNMETA_STATE_DIR, OOMPH_JOB_FILE);
		if (add_error(r, rel, jmsg) != 0)
			return -ENOMEM;
	}
	struct state_name *names;
	size_t n;
	int rc = list_states(state, r, &names, &n);
	r->nstates = n;
	if (!rc && n && !(r->procs = calloc(n, sizeof(*r->procs))))
		rc = -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		char path[MAX_PATH + 256], rel[512], msg[512];
		snprintf(path, sizeof(path), "%s/%s", state, names[i].name);
		snprintf(rel, sizeof(rel), "%s/%s", RUNMETA_STATE_DIR, names[i].name);
		struct proc *pr = &r->procs[r->nprocs];
		msg[0] = 0;
		int lrc = profile_load(path, &pr->p, msg, sizeof(msg));
		r->loaded_any |= lrc == 0 || lrc == OOMPH_PROFILE_ENOMEM;
		if (lrc == OOMPH_PROFILE_ENOMEM) {
			rc = -ENOMEM;
			break;
		}
		if (lrc) {
			rc = add_error(r, rel, msg[0] ? msg : "cannot be read");
			continue;
		}
		int vrc = view_build_in(&pr->v, &pr->p, org, r->src);
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
		/* its peak RSS as the supervisor saw it (VmHWM, since its exec) */
		for (int k = 0; meta && k < meta->nprocs; k++)
			if (meta->procs[k].pid == pr->p.pid &&
			    meta->procs[k].generation == pr->p.generation)
				dp->hwm_bytes = meta->procs[k].hwm_bytes;
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

/* Processes that did not end by themselves (run.meta's endings, decided
 * by the supervisor's watch; the main process by its verdict), by time,
 * each pointed to by its page. */
static int victim_cmp(const void *a, const void *b)
{
	const struct doc_victim *x = a, *y = b;
	double tx = x->time_s < 0 ? 1e300 : x->time_s, ty = y->time_s < 0 ? 1e300 : y->time_s;
	return tx < ty ? -1 : tx > ty ? 1 : x->pid - y->pid;
}

static int build_victims(struct run *r, const struct runmeta *meta)
{
	if (!meta || !r->nprocs)
		return 0;
	r->victims = calloc(r->nprocs, sizeof(*r->victims));
	if (!r->victims)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct profile *p = &r->procs[i].p;
		const char *verdict = NULL, *evidence = "";
		double t = -1;
		if (i == 0 && (!strcmp(meta->verdict, "oom-killed") || !strcmp(meta->verdict, "killed"))) {
			verdict = meta->verdict;
			t = meta->duration_s;
		}
		for (int k = 0; !verdict && k < meta->nprocs; k++) {
			const struct runmeta_proc *q = &meta->procs[k];
			if (q->pid == p->pid && q->generation == p->generation && q->ending[0] &&
			    !p->exited_cleanly) {
				verdict = q->ending;
				evidence = q->evidence;
				t = q->end_s;
			}
		}
		if (!verdict)
			continue;
		struct doc_victim *v = &r->victims[r->nvictims++];
		*v = (struct doc_victim){
			.pid = p->pid, .generation = p->generation, .parent = r->dps[i].parent,
			.argc = p->argc, .argv = p->argv, .verdict = verdict, .evidence = evidence,
			.time_s = t, .live_bytes = p->end_bytes,
		};
	}
	if (r->nvictims > 1)
		qsort(r->victims, r->nvictims, sizeof(*r->victims), victim_cmp);
	for (size_t j = 0; j < r->nvictims; j++)
		for (size_t i = 0; i < r->nprocs; i++)
			if (r->procs[i].p.pid == r->victims[j].pid &&
			    r->procs[i].p.generation == r->victims[j].generation)
				r->dps[i].victim = &r->victims[j];
	return 0;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	return safefs_mkdir(path, err, errlen);
}

/* The display views of one picture: imports and plumbing folded, and
 * inverted (cp non-NULL).  With fp non-NULL, also the picture with the
 * plumbing shown when there is any (*has_fv). */
static int derive_views(const struct view *v, const struct origin *org, struct src_cache *src,
			struct profile *dp, struct view *dv, struct profile *cp, struct view *cv,
			struct profile *fp, struct view *fv, int *has_fv)
{
	int rc = derive_profile(v->p, v->self, DERIVE_FOLD_ALL, 0, org, dp);
	if (rc)
		return rc;
	/* the derived pictures are made of v's frames (derive.h) */
	if ((rc = view_build_like(dv, dp, v, org, src)) != 0) {
		profile_free(dp);
		return rc;
	}
	if (cp && (rc = derive_profile(v->p, v->self, DERIVE_FOLD_ALL, 1, org, cp)) == 0 &&
	    (rc = view_build_like(cv, cp, v, org, src)) != 0)
		profile_free(cp); /* (a failed derive_profile freed it) */
	if (rc) {
		view_free(dv);
		profile_free(dp);
		return rc;
	}
	int any = fp ? derive_folds_plumbing(v->p, v->self, org) : 0;
	if (any > 0) {
		if ((rc = derive_profile(v->p, v->self, DERIVE_FOLD_IMPORTS, 0, org, fp)) == 0 &&
		    (rc = view_build_like(fv, fp, v, org, src)) != 0)
			profile_free(fp);
		if (!rc)
			*has_fv = 1;
	} else if (any < 0) {
		rc = any;
	}
	if (rc) {
		if (cp) {
			view_free(cv);
			profile_free(cp);
		}
		view_free(dv);
		profile_free(dp);
	}
	return rc;
}

static int combine(struct run *r, const struct origin *org)
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
	if (!rc &&
	    !(rc = derive_combined(views, (const char *const *)labels, r->nprocs, org, &r->all_p))) {
		if ((rc = view_build_in(&r->all_v, &r->all_p, org, r->src)) != 0)
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

/* "process 1234 (python3 -c from multiprocessing.spawn ...)": the root
 * frame of a process in job.folded. */
static char *job_label(const struct profile *p)
{
	struct buf l, w;
	buf_init(&l);
	buf_init(&w);
	text_shell_words(&w, p->argc, p->argv);
	const char *cmd = buf_str(&w);
	size_t n = strlen(cmd);
	buf_printf(&l, "process %d (%.*s%s)", p->pid, n > 60 ? 60 : (int)n, cmd, n > 60 ? "..." : "");
	char *out = l.oom || w.oom ? NULL : strdup(buf_str(&l));
	buf_free(&l);
	buf_free(&w);
	return out;
}

/* Every process on the job file's clock (its state's monotonic start less
 * the job's; without a job file, the wall clock's start less the run's),
 * named as in job.folded, its column as its page's directory is, and when
 * it left the job: what the job's pictures and its timeline read. */
static int job_procs(struct run *r, const struct runmeta *meta)
{
	size_t n = r->nprocs;
	if (!n)
		return 0;
	r->jt_procs = calloc(n, sizeof(*r->jt_procs));
	r->jt_strs = calloc(2 * n, sizeof(*r->jt_strs));
	if (!r->jt_procs || !r->jt_strs)
		return -ENOMEM;
	double base = meta && meta->start_unix_s > 0 ? meta->start_unix_s : r->procs[0].p.start_unix_s;
	for (size_t i = 0; i < n; i++) {
		const struct profile *p = &r->procs[i].p;
		int gens = 0;
		for (size_t j = 0; j < n; j++)
			gens += r->procs[j].p.pid == p->pid;
		char col[32];
		if (gens > 1)
			snprintf(col, sizeof col, "%d.%u", p->pid, p->generation);
		else
			snprintf(col, sizeof col, "%d", p->pid);
		if (!(r->jt_strs[2 * i] = job_label(p)) || !(r->jt_strs[2 * i + 1] = strdup(col)))
			return -ENOMEM;
		double off = r->has_job && r->job.start_mono_s > 0 && p->start_mono_s > 0
				     ? p->start_mono_s - r->job.start_mono_s
				     : p->start_unix_s - base;
		/* it left the job at its exit; killed, when the supervisor saw
		 * it gone; outlived the run or still running: never */
		double left = -1;
		if (p->exited_cleanly && !p->still_running)
			left = off + p->duration_s;
		for (int k = 0; !p->exited_cleanly && meta && k < meta->nprocs; k++)
			if (meta->procs[k].pid == p->pid && meta->procs[k].generation == p->generation &&
			    meta->procs[k].end_s >= 0)
				left = meta->procs[k].end_s;
		r->jt_procs[i] = (struct jobtime_proc){p, off, r->jt_strs[2 * i], r->jt_strs[2 * i + 1],
						       left};
	}
	return 0;
}

/* The job over time (report/jobtime.h), when it has several processes. */
static int build_jobtime(struct run *r, const struct runmeta *meta)
{
	size_t n = r->nprocs;
	if (n < 2)
		return 0;
	r->jt_bands = calloc(n, sizeof(*r->jt_bands));
	if (!r->jt_bands)
		return -ENOMEM;
	int rc = jobtime_build(&r->jt, r->jt_procs, n, r->has_job ? r->job.peak_time_s : -1,
			       meta ? meta->duration_s : 0);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		r->jt_bands[i] = (struct chart_band){r->jt_strs[2 * i], r->jt.v + i * r->jt.nt};
	r->jt_stack = (struct chart_stack){
		.nt = r->jt.nt, .t = r->jt.t, .bands = r->jt_bands, .nbands = n,
		.peak_t = -1, .death_t = -1,
	};
	r->has_jt = 1;
	return 0;
}

static int at_peak_cmp(const void *a, const void *b)
{
	const struct doc_job_proc *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->pid - y->pid;
}

static int same_line(const struct view_top *a, const struct view_top *b)
{
	return a->line == b->line && a->synthetic == b->synthetic && !strcmp(a->file, b->file) &&
	       !strcmp(a->func, b->func);
}

/* The job at one instant from each process's picture jpic[w] (filled in
 * by the caller): each one's view, the processes in the job then (those
 * that held nothing too, with all), largest first, and those that held
 * something in one profile under a frame naming each.  views: room for
 * every process; *nviews: how many went into the profile. */
static int job_instant(struct run *r, const struct origin *org, int w, int all,
		       struct view **views, size_t *nviews)
{
	struct job_set *set = &r->jset[w];
	const char **labels = calloc(r->nprocs, sizeof(*labels));
	set->procs = calloc(r->nprocs, sizeof(*set->procs));
	int rc = labels && set->procs ? 0 : -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; !rc && i < r->nprocs; i++) {
		struct proc *pr = &r->procs[i];
		struct job_pic *jp = &pr->jpic[w];
		if (jp->held < 0 || (!all && jp->held == 0))
			continue;
		set->procs[set->nprocs++] = (struct doc_job_proc){
			pr->p.pid, pr->p.generation, pr->p.argc, pr->p.argv, jp->held};
		if (jp->held == 0)
			continue;
		jp->p = pr->p;
		jp->p.peak_self = jp->self;
		jp->p.peak_bytes = jp->held;
		if ((rc = view_build_like(&jp->v, &jp->p, &pr->v, org, r->src)) != 0)
			break;
		jp->has_v = 1;
		labels[n] = r->jt_strs[2 * i];
		views[n++] = &jp->v;
	}
	*nviews = n;
	if (!rc && set->nprocs > 1)
		qsort(set->procs, set->nprocs, sizeof(*set->procs), at_peak_cmp);
	if (!rc && n) {
		rc = derive_combined(views, labels, n, org, &set->p);
		if (!rc && (rc = view_build_in(&set->v, &set->p, org, r->src)) != 0)
			profile_free(&set->p);
		else if (!rc)
			set->has_v = 1;
	}
	if (rc == -EOVERFLOW)
		rc = add_error(r, "job", "its processes together hold more than 2^63 bytes");
	free(labels);
	return rc;
}

/* What every process held at the job's peak (profile_job_picture), and
 * the top lines merged across them (job.folded). */
static int build_job(struct run *r, const struct origin *org)
{
	if (!r->has_job || !r->job.peak_gen || !r->nprocs)
		return 0;
	struct view **views = calloc(r->nprocs, sizeof(*views));
	int rc = views ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < r->nprocs; i++) {
		struct job_pic *jp = &r->procs[i].jpic[JOB_PEAK];
		if (!(jp->self = calloc((size_t)r->procs[i].p.nnodes + 1, sizeof(int64_t))))
			rc = -ENOMEM;
		else
			jp->held = profile_job_picture(&r->procs[i].p, r->job.peak_gen, jp->self);
	}
	size_t n = 0;
	if (!rc)
		rc = job_instant(r, org, JOB_PEAK, 0, views, &n);
	const struct view *jv = &r->jset[JOB_PEAK].v;
	/* the same line in several processes is one row: in how many */
	for (size_t i = 0; !rc && r->jset[JOB_PEAK].has_v && i < n; i++) {
		struct view_top *lines = NULL;
		size_t nlines = 0;
		if (view_lines(views[i], &lines, &nlines) != 0) {
			rc = -ENOMEM;
			break;
		}
		for (size_t t = 0; t < jv->ntop; t++)
			for (size_t k = 0; k < nlines; k++)
				if (lines[k].bytes > 0 && same_line(&lines[k], &jv->top[t])) {
					r->job_top_nprocs[t]++;
					break;
				}
		free(lines);
	}
	/* a line seen only once imports are folded (the processes' own
	 * views keep them): at least the one process that holds it */
	for (size_t t = 0; !rc && r->jset[JOB_PEAK].has_v && t < jv->ntop; t++)
		if (!r->job_top_nprocs[t] && jv->top[t].bytes > 0)
			r->job_top_nprocs[t] = 1;
	free(views);
	return rc;
}

/* When a victim died, on the job's clock.  The process oomph started: when
 * it was reaped (at once, its own child), however long it had waited.
 * Another: its last sign of life (its last sample or record of its
 * total), never after the supervisor saw it gone; that sight is no
 * closer, it may be the end of the run (a worker killed at 1.0 s, its
 * parent out by 1.35 s, seen gone at 1.36 s, when every other process had
 * left).  < 0: not a process of the page. */
static double victim_died_at(const struct run *r, const struct runmeta *meta,
			     const struct doc_victim *v, size_t *idx)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		if (r->procs[i].p.pid != v->pid || r->procs[i].p.generation != v->generation)
			continue;
		const struct jobtime_proc *vj = &r->jt_procs[i];
		double t = vj->offset_s + vj->p->duration_s;
		*idx = i;
		/* the process oomph started is reaped at once: that is when it
		 * died, however long it had waited (choose_death says the same) */
		if (meta && v->pid == meta->child_pid && v->time_s >= 0 && v->time_s > t)
			return v->time_s;
		return v->time_s >= 0 && v->time_s < t ? v->time_s : t > 0 ? t : 0;
	}
	return -1;
}

/* Every process of the job at the instant the first process the OOM
 * killer took died (without one, the first killed by SIGKILL or stopped
 * by oomph near the limit: docs/deaths.md, "Deaths in a job"), the first
 * by victim_died_at: the victim with what it held when it died (its end),
 * every other process at its last history moment at or before then, a
 * fork child's inherited heap left out (jobtime_picture_at). */
static int build_job_death(struct run *r, const struct runmeta *meta, const struct origin *org)
{
	const struct doc_victim *v = NULL;
	size_t vi = 0;
	double t = -1;
	for (int pass = 0; pass < 2 && !v && r->jt_procs; pass++)
		for (size_t k = 0; k < r->nvictims; k++) {
			const struct doc_victim *c = &r->victims[k];
			int fits = pass == 0 ? !strcmp(c->verdict, "oom-killed")
					     : !strcmp(c->verdict, "killed") ||
						       !strcmp(c->verdict, "stopped-near-oom");
			size_t ci = 0;
			double ct = fits ? victim_died_at(r, meta, c, &ci) : -1;
			if (ct >= 0 && (!v || ct < t)) {
				v = c;
				vi = ci;
				t = ct;
			}
		}
	if (!v)
		return 0;
	struct view **views = calloc(r->nprocs, sizeof(*views));
	int rc = views ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < r->nprocs; i++) {
		struct job_pic *jp = &r->procs[i].jpic[JOB_DEATH];
		if (!(jp->self = calloc((size_t)r->procs[i].p.nnodes + 1, sizeof(int64_t)))) {
			rc = -ENOMEM;
			break;
		}
		int in = jobtime_picture_at(&r->jt_procs[i], t, i == vi, jp->self, &jp->held);
		if (in < 0)
			rc = in;
		else if (!in)
			jp->held = -1;
	}
	size_t n = 0;
	if (!rc)
		rc = job_instant(r, org, JOB_DEATH, 1, views, &n);
	if (!rc) {
		r->jd_victim = v;
		r->jd_time_s = t;
	}
	free(views);
	return rc;
}

static int derive_all(struct run *r, const struct origin *org)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *pr = &r->procs[i];
		int rc = derive_views(&pr->v, org, r->src, &pr->dp, &pr->dv, &pr->cp, &pr->cv,
				      &pr->fp, &pr->fv, &pr->has_fv);
		if (rc)
			return rc;
		pr->derived = 1;
		r->dps[i].display = &pr->dv;
		r->dps[i].callers = &pr->cv;
		r->dps[i].plumbing = pr->has_fv ? &pr->fv : NULL;
	}
	return 0;
}

#define PHASE_OTHER "[smaller stacks not kept]"

/* The phases of each process, their kept pictures as views. */
static int build_phases(struct run *r, const struct origin *org)
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
							org, dp);
				if (rc)
					return rc;
				if ((rc = view_build_in(dv, dp, org, r->src)) != 0) {
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
static int choose_death(struct run *r, const struct runmeta *meta, const struct origin *org)
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
		/* Killed, it recorded nothing at its death: its last event may
		 * be long before (a parent waiting on its pool).  It died when
		 * the supervisor reaped it (its own child, at once), on the
		 * process's clock. */
		double off = meta->start_unix_s > 0 && mp->start_unix_s > 0
				     ? mp->start_unix_s - meta->start_unix_s
				     : 0;
		if (!mp->exited_cleanly && mp->pid == meta->child_pid && meta->duration_s - off > t)
			t = meta->duration_s - off;
	}
	r->death_p = *mp;
	r->death_p.peak_self = (int64_t *)self;
	r->death_p.peak_bytes = bytes;
	r->death_p.peak_time_s = t;
	int rc = view_build_like(&r->death_v, &r->death_p, &r->procs[0].v, org, r->src);
	if (rc)
		return rc;
	if ((rc = derive_views(&r->death_v, org, r->src, &r->death_dp, &r->death_dv, NULL, NULL,
			       NULL, NULL, NULL))) {
		view_free(&r->death_v);
		return rc;
	}
	r->death = (struct doc_death){&r->death_v, &r->death_dv, reason, title, bytes, t};
	r->has_death = 1;
	r->death_at_end = !use_moment;
	return 0;
}

/* A report of a running program: what the main process has live now. */
static int choose_now(struct run *r, const struct origin *org, double now_s)
{
	if (!r->nprocs)
		return 0;
	const struct profile *mp = &r->procs[0].p;
	r->now_p = *mp;
	r->now_p.peak_self = mp->live_self;
	r->now_p.peak_bytes = mp->end_bytes;
	r->now_p.peak_time_s = now_s;
	int rc = view_build_like(&r->now_v, &r->now_p, &r->procs[0].v, org, r->src);
	if (rc)
		return rc;
	if ((rc = derive_views(&r->now_v, org, r->src, &r->now_dp, &r->now_dv, NULL, NULL, NULL,
			       NULL, NULL))) {
		view_free(&r->now_v);
		return rc;
	}
	snprintf(r->now_title, sizeof(r->now_title), "Memory live now (%.1f s into the run)", now_s);
	r->now = (struct doc_death){&r->now_v, &r->now_dv, "now", r->now_title, mp->end_bytes, now_s};
	r->has_now = 1;
	return 0;
}

/* Live at exit: what the main process never freed (at its death, what it
 * held then), as a picture of its own. */
static int choose_exit(struct run *r, const struct origin *org)
{
	if (!r->nprocs)
		return 0;
	const struct profile *mp = &r->procs[0].p;
	r->exit_p = *mp;
	r->exit_p.peak_self = mp->live_self;
	r->exit_p.peak_bytes = mp->end_bytes;
	r->exit_p.peak_time_s = mp->duration_s;
	int rc = view_build_like(&r->exit_v, &r->exit_p, &r->procs[0].v, org, r->src);
	if (rc)
		return rc;
	if ((rc = derive_views(&r->exit_v, org, r->src, &r->exit_dp, &r->exit_dv, NULL, NULL, NULL,
			       NULL, NULL))) {
		view_free(&r->exit_v);
		return rc;
	}
	r->exit = (struct doc_death){&r->exit_v, &r->exit_dv, "exit",
				     mp->exited_cleanly ? "Memory still live at exit (never freed)"
							: "Memory live when it ended",
				     mp->end_bytes, mp->duration_s};
	r->has_exit = 1;
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

/* The flame graph of a moment (death, now, exit) with its title. */
static void moment_svg(struct buf *b, const struct doc_death *m, const struct doc *d)
{
	struct buf title;
	buf_init(&title);
	title_of(&title, m->title, m->bytes, d);
	flame_svg(b, m->display, buf_str(&title));
	if (title.oom)
		b->oom = 1;
	buf_free(&title);
}

static int write_page(const char *dir, const struct doc *d, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	char path[MAX_PATH];
	int rc = write_phase_svgs(dir, d, err, errlen);
	for (int k = -6; k < 6 && !rc; k++) {
		buf_reset(&b);
		const char *name;
		if ((k == -5 || k == -6) && !d->exit_pic)
			continue;
		if ((k == -1 || k == -2) && !d->death)
			continue;
		if ((k == -3 || k == -4) && !d->now)
			continue;
		switch (k) {
		case -6:
			name = "exit.folded";
			folded_write(&b, d->exit_pic->view);
			break;
		case -5:
			name = "exit.svg";
			moment_svg(&b, d->exit_pic, d);
			break;
		case -4:
			name = "now.folded";
			folded_write(&b, d->now->view);
			break;
		case -3:
			name = "now.svg";
			moment_svg(&b, d->now, d);
			break;
		case -2:
			name = "death.folded";
			folded_write(&b, d->death->view);
			break;
		case -1:
			name = "death.svg";
			moment_svg(&b, d->death, d);
			break;
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
				title_of(&title, "Memory live at the peak", d->head.peak_bytes, d);
			else
				buf_puts(&title, "Memory live at the peak");
			struct view empty; /* no process: an empty graph */
			memset(&empty, 0, sizeof(empty));
			flame_svg(&b, d->main ? d->main->display : &empty, buf_str(&title));
			view_free(&empty);
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
				title_of(&title, "Memory live at the peak", d->head.peak_bytes, d);
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

/* doc.memory: the main process's own record of its total, when it is the
 * only process, at most REPORT_MEMORY_POINTS points: beyond that, buckets
 * of equal time each keep their lowest and highest point, in time order,
 * so no peak or valley is smoothed away.  Times move to the run's clock
 * (the process's state was made a moment after the child started). */
static int memory_line(struct run *r, const struct runmeta *meta)
{
	if (r->nprocs != 1 || r->procs[0].p.ntimeline < 2)
		return 0;
	const struct profile *p = &r->procs[0].p;
	double off = 0;
	if (meta && meta->start_unix_s > 0 && p->start_unix_s > meta->start_unix_s &&
	    p->start_unix_s - meta->start_unix_s < 60)
		off = p->start_unix_s - meta->start_unix_s;
	r->mem_off = off;
	uint32_t n = p->ntimeline;
	r->mem = malloc((size_t)(n < REPORT_MEMORY_POINTS ? n : REPORT_MEMORY_POINTS) *
			sizeof(*r->mem));
	if (!r->mem)
		return -ENOMEM;
	const struct profile_point *in = p->timeline;
	if (n <= REPORT_MEMORY_POINTS) {
		for (uint32_t i = 0; i < n; i++)
			r->mem[r->nmem++] = (struct profile_point){in[i].t_s + off, in[i].bytes};
		return 0;
	}
	const uint32_t buckets = REPORT_MEMORY_POINTS / 2;
	double t0 = in[0].t_s, span = in[n - 1].t_s - t0;
	uint32_t i = 0;
	for (uint32_t k = 0; k < buckets && i < n; k++) {
		double end = k + 1 == buckets ? in[n - 1].t_s : t0 + span * (k + 1) / buckets;
		uint32_t lo = i, hi = i;
		for (; i < n && (in[i].t_s <= end || k + 1 == buckets); i++) {
			if (in[i].bytes < in[lo].bytes)
				lo = i;
			if (in[i].bytes >= in[hi].bytes)
				hi = i;
		}
		uint32_t a = lo < hi ? lo : hi, b = lo < hi ? hi : lo;
		r->mem[r->nmem++] = (struct profile_point){in[a].t_s + off, in[a].bytes};
		if (b != a)
			r->mem[r->nmem++] = (struct profile_point){in[b].t_s + off, in[b].bytes};
	}
	return 0;
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
		/* The main process's own peak RSS: what the supervisor saw of
		 * it (VmHWM, since its exec).  wait4's ru_maxrss (run.meta's
		 * peak_rss_bytes) is kept across exec and is the largest of
		 * every process it reaped: only for a run.meta that has no
		 * figures per process (an older oomph). */
		d->peak_rss_bytes = meta->nprocs > 0 ? (mp ? r->dps[0].hwm_bytes : 0)
						     : meta->peak_rss_bytes;
		d->sample_rate = meta->sample_rate;
		d->exact = meta->exact;
	}
	if (mp && !meta) {
		d->has_exit_code = mp->exited_cleanly && mp->exit_code >= 0;
		d->exit_code = mp->exit_code;
		d->verdict = mp->exited_cleanly ? "exited" : "unknown";
		d->duration_s = mp->duration_s;
	}
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
	d->exit_pic = r->has_exit ? &r->exit : NULL;
	d->exit_is_death = r->has_exit && r->has_death && r->death_at_end;
	d->leaks = r->leaks;
	d->nleaks = r->nleaks;
	d->moments = r->moms;
	d->nmoments = r->nmoms;
	d->running = r->running;
	if (r->running) {
		d->verdict = "running";
		d->signal = 0;
		d->has_exit_code = 0;
		d->duration_s = mp ? mp->duration_s : 0;
	}
	d->timeline = &r->tl;
	d->memory = r->mem;
	d->nmemory = r->nmem;
	d->memory_offset_s = r->mem_off;
	d->combined = r->has_all ? &r->all_v : NULL;
	d->victims = r->victims;
	d->nvictims = r->nvictims;
	d->jobfile = r->has_job ? &r->job : NULL;
	d->job_at_peak = r->jset[JOB_PEAK].procs;
	d->njob_at_peak = r->jset[JOB_PEAK].nprocs;
	d->job_top = r->jset[JOB_PEAK].has_v ? &r->jset[JOB_PEAK].v : NULL;
	d->job_top_nprocs = r->job_top_nprocs;
	d->job_death_victim = r->jd_victim;
	d->job_death_time_s = r->jd_time_s;
	d->job_at_death = r->jset[JOB_DEATH].procs;
	d->njob_at_death = r->jset[JOB_DEATH].nprocs;
	d->job_death = r->jset[JOB_DEATH].has_v ? &r->jset[JOB_DEATH].v : NULL;
	d->job_stack = r->has_jt ? &r->jt_stack : NULL;
	doc_decide(d);
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
	if (self->victim) {
		/* how the supervisor saw it end (docs/deaths.md) */
		const char *v = self->victim->verdict;
		d->verdict = v;
		d->signal = !strcmp(v, "oom-killed") || !strcmp(v, "killed") ||
					    !strcmp(v, "stopped-near-oom")
				    ? 9
			    : !strcmp(v, "ended-by-parent") || !strcmp(v, "signal") ? 15
										     : 0;
	}
	d->duration_s = p->duration_s;
	d->peak_rss_bytes = self->hwm_bytes;
	d->sample_rate = p->sample_rate;
	d->exact = p->exact;
	d->main = self;
	d->procs = self;
	d->nprocs = 1;
	d->up = "../../";
	if (self->victim) {
		d->victims = self->victim;
		d->nvictims = 1;
	}
	doc_decide(d);
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
		/* its own leak suspects, among the job's */
		struct leak_suspect mine[LEAKS_MAX];
		d.leaks = mine;
		for (size_t k = 0; k < r->nleaks; k++)
			if (r->leaks[k].pid == r->procs[i].p.pid)
				mine[d.nleaks++] = r->leaks[k];
		rc = write_page(dir, &d, err, errlen);
	}
	if (rc)
		return rc;
	if (r->has_jt) {
		struct buf b;
		buf_init(&b);
		jobtime_tsv(&b, &r->jt, r->jt_procs);
		snprintf(dir, sizeof(dir), "%s/%s", run_dir, JOBTIME_FILE);
		rc = buf_write_file(&b, dir, err, errlen);
		buf_free(&b);
		if (rc)
			return rc;
	}
	struct doc d;
	main_doc(&d, r, meta);
	const struct doc_job *j = &d.head.job;
	for (int w = 0; w < JOB_INSTANTS && !rc; w++) {
		/* every process's stacks at the job's peak (at its death), each
		 * under a frame naming it: flame graph tools show them side by
		 * side */
		struct view *v = w == JOB_PEAK ? j->top : j->death;
		if (!v)
			continue;
		struct buf b;
		buf_init(&b);
		folded_write(&b, v);
		snprintf(dir, sizeof(dir), "%s/%s.folded", run_dir, w == JOB_PEAK ? "job" : "job-death");
		rc = buf_write_file(&b, dir, err, errlen);
		buf_reset(&b);
		if (!rc) {
			char title[256], s[32];
			if (w == JOB_PEAK) {
				text_bytes(s, sizeof s, j->peak_tracked_bytes);
				snprintf(title, sizeof title, "The whole job at its peak: %s at %.2f s", s,
					 j->peak_time_s);
			} else {
				text_bytes(s, sizeof s, j->death_bytes);
				snprintf(title, sizeof title, "The whole job %s: %s at %.2f s", j->death_when,
					 s, j->death_time_s);
			}
			flame_svg(&b, v, title);
			snprintf(dir, sizeof(dir), "%s/%s.svg", run_dir, w == JOB_PEAK ? "job" : "job-death");
			rc = buf_write_file(&b, dir, err, errlen);
		}
		buf_free(&b);
	}
	return rc ? rc : write_page(run_dir, &d, err, errlen);
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
	/* whose code each frame is: the program's, the standard library's,
	 * a package's (the probe's directories in run.meta) */
	struct origin org_;
	origin_init(&org_, meta);
	const struct origin *org = &org_;
	r.src = src_new(cwd);
	int rc = r.src ? 0 : -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	int stored = 0;
	if (!rc && (rc = sources_begin(&r, run_dir, meta, &stored)) != 0)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc)
		rc = load_all(run_dir, meta, t->state_dir, org, &r, err, errlen);
	if (!rc && ((rc = arrange(&r, meta)) != 0 || (rc = build_victims(&r, meta)) != 0))
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && ((rc = derive_all(&r, org)) != 0 || (rc = combine(&r, org)) != 0 ||
		    (rc = build_phases(&r, org)) != 0))
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && r.running)
		rc = choose_now(&r, org, mark_running(&r));
	else if (!rc)
		rc = choose_death(&r, meta, org);
	if (!rc && !r.running)
		rc = choose_exit(&r, org);
	if (!rc)
		rc = find_leaks(&r);
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
	if (!rc && ((rc = job_procs(&r, meta)) != 0 || (rc = build_job(&r, org)) != 0 ||
		    (rc = build_job_death(&r, meta, org)) != 0 || (rc = build_jobtime(&r, meta)) != 0))
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && (rc = memory_line(&r, meta)) != 0)
		snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
	if (!rc && r.nmem > 1) {
		r.moms = calloc(MOMENTS_MAX, sizeof(*r.moms));
		rc = r.moms ? moments_pick(&r.procs[0].v, r.moms, MOMENTS_MAX, &r.nmoms) : -ENOMEM;
		if (rc)
			snprintf(err, errlen, "cannot render the report of %s: out of memory", run_dir);
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
	if (t->unreadable)
		*t->unreadable = r.nstates > 0 && !r.loaded_any;
	if (!rc && term) {
		struct doc d;
		main_doc(&d, &r, meta);
		char path[MAX_PATH];
		snprintf(path, sizeof(path), "%s/index.html", out_dir);
		summary_terminal(term, &d, path);
	}
	for (int w = 0; w < JOB_INSTANTS; w++) {
		if (r.jset[w].has_v) {
			view_free(&r.jset[w].v);
			profile_free(&r.jset[w].p);
		}
		free(r.jset[w].procs);
	}
	jobtime_free(&r.jt);
	for (size_t i = 0; r.jt_strs && i < 2 * r.nprocs; i++)
		free(r.jt_strs[i]);
	free(r.jt_strs);
	free(r.jt_procs);
	free(r.jt_bands);
	for (size_t i = 0; i < r.nprocs; i++) {
		for (int w = 0; w < JOB_INSTANTS; w++) {
			if (r.procs[i].jpic[w].has_v)
				view_free(&r.procs[i].jpic[w].v);
			free(r.procs[i].jpic[w].self);
		}
		free_phases(&r.procs[i]);
		view_free(&r.procs[i].v);
		profile_free(&r.procs[i].p);
		if (r.procs[i].derived) {
			view_free(&r.procs[i].dv);
			view_free(&r.procs[i].cv);
			profile_free(&r.procs[i].dp);
			profile_free(&r.procs[i].cp);
			if (r.procs[i].has_fv) {
				view_free(&r.procs[i].fv);
				profile_free(&r.procs[i].fp);
			}
		}
	}
	if (r.has_now) {
		view_free(&r.now_v);
		view_free(&r.now_dv);
		profile_free(&r.now_dp);
	}
	if (r.has_exit) {
		view_free(&r.exit_v);
		view_free(&r.exit_dv);
		profile_free(&r.exit_dp);
	}
	if (r.has_death) {
		view_free(&r.death_v);
		view_free(&r.death_dv);
		profile_free(&r.death_dp);
	}
	timeline_free(&r.tl);
	free(r.mem);
	free(r.moms);
	if (r.has_all) {
		view_free(&r.all_v);
		profile_free(&r.all_p);
	}
	free(r.procs);
	free(r.dps);
	free(r.victims);
	for (size_t i = 0; i < r.nerrors; i++) {
		free((char *)r.errors[i].file);
		free((char *)r.errors[i].message);
	}
	free(r.errors);
	src_free(r.src);
	return rc;
}
