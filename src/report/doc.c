/* report/doc.c — every headline number of a page, decided once (doc.h).
 *
 * The facts come from three places that may each know a figure: run.meta
 * (the supervisor), the main process's own profile, and what report.c
 * gathered (victims, pictures).  Which one wins is said here and nowhere
 * else; the writers format d->head. */
#include "report/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bounds.h"
#include "report/buf.h"
#include "report/text.h"

/* The limit in force: the supervisor's when it knows one (it read the
 * main process's header when the run ended), else the main process's own
 * view at its start. */
static void decide_limit(struct doc_headline *h, const struct doc *d, const struct profile *mp)
{
	const struct runmeta *m = d->meta;
	h->limit_bytes = m && m->limit_bytes > 0 ? m->limit_bytes : mp ? mp->limit_bytes : 0;
	h->limit_kind = m && m->limit_kind[0] ? m->limit_kind : mp ? mp->limit_kind : "";
	h->limit_source = m && m->limit_source[0] ? m->limit_source : mp ? mp->limit_source : "";
	h->limit_mode = m ? m->limit_mode : "";
	if (h->limit_bytes <= 0)
		h->limit_bytes = 0;
}

/* "process 1234 (python3 -c ...)" for the verdict's sentence. */
static void victim_words(struct buf *b, const struct doc_victim *v)
{
	buf_printf(b, "process %d", v->pid);
	if (v->argc > 0) {
		buf_puts(b, " (");
		text_shell_words(b, v->argc, v->argv);
		buf_putc(b, ')');
	}
	if (v->time_s >= 0)
		buf_printf(b, " at %.1f s", v->time_s);
}

/* A death, not a normal ending (ended by its pool, outlived the main). */
static int victim_died(const struct doc_victim *v)
{
	return strcmp(v->verdict, "ended-by-parent") && strcmp(v->verdict, "outlived");
}

/* The exception after an exit's words: "exited with code 1" becomes
 * "exited with code 1 (ValueError: bad row 7)".  A MemoryError with no
 * message adds nothing to "ran out of memory (MemoryError) ...": it
 * confirms it. */
static void add_exception(char *words, size_t n, const char *verdict, const char *type,
			  const char *message)
{
	if (!type || (!strcmp(verdict, "memory-error") && !strcmp(type, "MemoryError") &&
		      !message[0]))
		return;
	char e[400];
	size_t k = strlen(words);
	text_exception(e, sizeof e, type, message);
	if (k + 4 < n)
		snprintf(words + k, n - k, " (%s)", e);
}

/* The job's story: "lost process 1235 (...) to the kernel's OOM killer at
 * 1.2 s, then exited with code 1".  The main process's own ending is the
 * tail; a main process that was itself the victim is told as before. */
static void decide_verdict(struct doc_headline *h, const struct doc *d)
{
	char tail[512];
	const struct runmeta *m = d->meta;
	if (m && !strcmp(h->verdict, "oom-killed") && m->swap.seconds > 0 &&
	    m->swap.peak_bytes > 0) {
		/* killed after swapping: both, in the order they happened */
		char peak[32], rest[200];
		text_bytes(peak, sizeof peak, m->swap.peak_bytes);
		text_verdict(rest, sizeof rest, h->verdict, d->has_exit_code, d->exit_code,
			     d->signal);
		snprintf(tail, sizeof tail, "swapped for %.1f s (peak swap %s), then %s",
			 m->swap.seconds, peak, rest);
	} else {
		text_verdict(tail, sizeof tail, h->verdict, d->has_exit_code, d->exit_code,
			     d->signal);
	}
	add_exception(tail, sizeof tail, h->verdict, h->exc_type, h->exc_message);
	struct buf b;
	buf_init(&b);
	size_t nkilled = 0;
	int main_pid = d->main ? d->main->p->pid : -1;
	for (size_t i = 0; i < d->nvictims; i++)
		nkilled += d->victims[i].pid != main_pid && victim_died(&d->victims[i]);
	if (nkilled && d->main && d->procs == d->main && d->nprocs == 1)
		nkilled = 0; /* a process's own page: its ending is the verdict */
	if (nkilled) {
		const char *how = NULL;
		for (size_t i = 0; i < d->nvictims; i++) {
			const struct doc_victim *v = &d->victims[i];
			if (v->pid == main_pid || !victim_died(v))
				continue;
			const char *w = !strcmp(v->verdict, "oom-killed") ? "to the kernel's OOM killer"
					: !strcmp(v->verdict, "killed")	    ? "to a SIGKILL"
					: !strcmp(v->verdict, "stopped-near-oom")
						? "to oomph's stop near the limit (--on-oom stop)"
						: "to a signal";
			how = !how || !strcmp(how, w) ? w : "to kills";
		}
		buf_puts(&b, "lost ");
		size_t k = 0;
		for (size_t i = 0; i < d->nvictims; i++) {
			const struct doc_victim *v = &d->victims[i];
			if (v->pid == main_pid || !victim_died(v))
				continue;
			if (k++)
				buf_puts(&b, k == nkilled ? " and " : ", ");
			victim_words(&b, v);
		}
		buf_printf(&b, " %s, then %s", how, tail);
	} else {
		buf_puts(&b, tail);
	}
	snprintf(h->verdict_text, sizeof h->verdict_text, "%s", b.oom ? tail : buf_str(&b));
	buf_free(&b);
}

/* The job: its RSS at one instant and how it ended. */
static void decide_job(struct doc_headline *h, const struct doc *d)
{
	struct doc_job *j = &h->job;
	const struct runmeta *m = d->meta;
	j->nprocs = d->nprocs;
	if (m) {
		j->peak_rss_bytes = m->job_pss_peak_bytes > 0 ? m->job_pss_peak_bytes : 0;
		j->peak_rss_how = m->job_pss_peak_bytes > 0 ? m->job_rss_how : "";
		j->cgroup_peak_bytes = m->cgroup_peak_bytes > 0 ? m->cgroup_peak_bytes : 0;
	}
	/* The PSS sum is read every 100 ms: a job shorter than that, or a
	 * peak between readings, is missed (a 0.1 s run once read 47 KiB, the
	 * main process before its loader had run).  The job at one instant
	 * held at least what its largest process did (each of its pages is
	 * in the sum once): then that is the figure, and the words say so;
	 * also when a job of several processes ended before the first reading
	 * (fork_exec.py, 0.07 s: no figure at all, 1 run in ~40). */
	int64_t largest = 0;
	for (size_t i = 0; i < d->nprocs; i++) {
		int64_t r = doc_proc_rss(&d->procs[i]);
		if (r > largest)
			largest = r;
	}
	if ((j->peak_rss_bytes > 0 || (m && d->nprocs > 1)) && largest > j->peak_rss_bytes) {
		j->peak_rss_bytes = largest;
		j->peak_rss_how = "largest-process";
	}
	/* The job's exact peak: the job file's maximum, raised by the
	 * allocation that reached it (tracker.c job_raise). */
	if (d->jobfile) {
		j->has_peak = 1;
		j->peak_tracked_bytes = d->jobfile->peak_bytes;
		j->peak_time_s = d->jobfile->peak_time_s;
		j->at_peak = d->job_at_peak;
		j->nat_peak = d->njob_at_peak;
		j->top = d->job_top;
		j->top_nprocs = d->job_top_nprocs;
	}
	j->victims = d->victims;
	j->nvictims = d->nvictims;
	j->verdict = h->verdict;
	for (size_t i = 0; i < d->nvictims; i++)
		if (!strcmp(d->victims[i].verdict, "oom-killed"))
			j->verdict = "oom-killed";
}

/* The job when one of its processes died (report.c build_job_death): the
 * sum of what each held of its own then, and whose death in words. */
static void decide_job_death(struct doc_job *j, const struct doc *d)
{
	const struct doc_victim *v = d->job_death_victim;
	if (!v)
		return;
	j->death_victim = v;
	j->death_time_s = d->job_death_time_s;
	j->at_death = d->job_at_death;
	j->nat_death = d->njob_at_death;
	j->death = d->job_death;
	j->death_bytes = 0;
	for (size_t i = 0; i < d->njob_at_death; i++)
		if (ck_acc_i64(&j->death_bytes, d->job_at_death[i].bytes))
			j->death_bytes = INT64_MAX; /* (derive_combined said so) */
	const char *how = !strcmp(v->verdict, "oom-killed") ? "was OOM-killed"
			  : !strcmp(v->verdict, "killed")    ? "was killed (SIGKILL)"
							     : "was stopped near the limit";
	snprintf(j->death_when, sizeof j->death_when, "when process %d %s", v->pid, how);
}

int64_t doc_sizing_request(int64_t needed)
{
	const int64_t MiB = 1 << 20, GiB = 1 << 30;
	if (needed <= 0)
		return 0;
	double want = (double)needed * DOC_HEADROOM;
	int64_t step = want < 10.0 * (double)GiB ? 100 * MiB : GiB;
	double steps = want / (double)step;
	int64_t k = (int64_t)steps;
	if ((double)k < steps)
		k++;
	return k * step;
}

/* What the job needed and what to request: every process's memory at one
 * instant (the supervisor's sum of their PSS, which counts shared pages
 * once), or the main process's peak RSS when that is larger (a single
 * process's high-water mark is seen between two 100 ms samples) or the
 * only figure. */
static void decide_sizing(struct doc_headline *h, const struct doc *d)
{
	struct doc_sizing *z = &h->sizing;
	memset(z, 0, sizeof(*z));
	if (d->running || !d->meta) /* the run's page only, once it ended */
		return;
	const char *v = h->job.verdict;
	int died_at_limit = h->limit_bytes > 0 &&
			    (!strcmp(v, "oom-killed") || !strcmp(v, "memory-error") ||
			     !strcmp(v, "stopped-near-oom") || !strcmp(v, "null-dereference"));
	char need[32], req[32];
	if (died_at_limit) {
		z->has = z->at_limit = 1;
		z->needed_bytes = h->limit_bytes;
		z->needed_what = "its memory limit";
		text_bytes(need, sizeof need, h->limit_bytes);
		snprintf(z->text, sizeof z->text,
			 "this job needed more than its limit of %s (it ran out of memory there): run "
			 "it with a larger limit, or none, to measure what it needs",
			 need);
		return;
	}
	int64_t job = h->job.peak_rss_bytes, one = h->peak_rss_bytes;
	if (job <= 0 && one <= 0)
		return;
	z->has = 1;
	if (job >= one && h->job.nprocs > 1 && strcmp(h->job.peak_rss_how, "largest-process")) {
		z->needed_bytes = job;
		z->needed_what = "peak RSS of all its processes";
	} else if (job > one) {
		z->needed_bytes = job;
		z->needed_what = "peak RSS";
	} else {
		z->needed_bytes = one;
		z->needed_what = h->job.nprocs > 1 ? "peak RSS of its main process" : "peak RSS";
	}
	z->request_bytes = doc_sizing_request(z->needed_bytes);
	int64_t mib = z->request_bytes >> 20;
	if (mib % 1024 == 0 && mib >= 10240) {
		snprintf(z->kubernetes, sizeof z->kubernetes, "%lldGi", (long long)(mib / 1024));
		snprintf(z->slurm, sizeof z->slurm, "%lldG", (long long)(mib / 1024));
		snprintf(z->docker, sizeof z->docker, "%lldg", (long long)(mib / 1024));
	} else {
		snprintf(z->kubernetes, sizeof z->kubernetes, "%lldMi", (long long)mib);
		snprintf(z->slurm, sizeof z->slurm, "%lldM", (long long)mib);
		snprintf(z->docker, sizeof z->docker, "%lldm", (long long)mib);
	}
	text_bytes(need, sizeof need, z->needed_bytes);
	/* a round request reads as one: "600 MiB", "12 GiB" */
	if (mib % 1024 == 0 && mib >= 10240)
		snprintf(req, sizeof req, "%lld GiB", (long long)(mib / 1024));
	else
		snprintf(req, sizeof req, "%lld MiB", (long long)mib);
	snprintf(z->request, sizeof z->request, "%s", req);
	snprintf(z->text, sizeof z->text,
		 "this job needed %s (%s); to run it with headroom request %s \u2014 Kubernetes "
		 "`resources.limits.memory: %s`, Slurm `--mem=%s`, Docker `--memory=%s`",
		 need, z->needed_what, req, z->kubernetes, z->slurm, z->docker);
}

static int segment_cmp(const void *a, const void *b)
{
	const struct doc_segment *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* One segment in the sentence: "memfd 'big'" or "/dev/shm/psm_1a2b". */
static void segment_words(struct buf *b, const struct doc_segment *g)
{
	if (!strcmp(g->kind, "memfd"))
		buf_printf(b, "memfd '%s'", g->name);
	else
		buf_puts(b, g->name);
}

/* "created at shm_oom.py:14" (and the process when not the page's main). */
static void segment_where(struct buf *b, const struct doc_segment *g, int main_pid)
{
	if (g->file)
		buf_printf(b, "created at %s:%u", g->file, (unsigned)g->line);
	else
		buf_puts(b, "created with no Python line");
	if (g->pid != main_pid)
		buf_printf(b, " in process %d", g->pid);
}

/* The shared memory the page's processes held at their end (or death):
 * each segment is recorded only by the process that sized it (shm.c), so
 * the records of all of them add up without counting one twice.  The
 * sentence is evidence when the run died: those pages are charged to the
 * cgroup whoever maps them, and RSS shows only the ones touched. */
static void decide_shm(struct doc_headline *h, const struct doc *d)
{
	struct doc_shm *z = &h->shm;
	memset(z, 0, sizeof(*z));
	for (size_t i = 0; i < d->nprocs; i++) {
		const struct doc_proc *dp = &d->procs[i];
		const struct profile *p = dp->p;
		z->sized += p->shm_sized;
		for (uint32_t k = 0; k < p->nsegments; k++) {
			const struct profile_segment *r = &p->segments[k];
			z->nsegments++;
			z->bytes += r->bytes; /* each < 2^57, 64 per process (reader.c) */
			struct doc_segment *g;
			if (z->nlisted < DOC_SEGMENTS_MAX) {
				g = &z->seg[z->nlisted++];
			} else { /* keep the largest: the smallest listed makes room */
				g = &z->seg[0];
				for (size_t j = 1; j < z->nlisted; j++)
					if (z->seg[j].bytes < g->bytes)
						g = &z->seg[j];
				if (g->bytes >= r->bytes)
					continue;
			}
			*g = (struct doc_segment){p->pid, r->kind, r->name, r->bytes, NULL, "", 0, ""};
			uint32_t fr = dp->view ? view_node_line(dp->view, r->node) : UINT32_MAX;
			if (fr != UINT32_MAX) {
				g->file = dp->view->file[fr];
				g->func = p->frames[fr].func ? p->frames[fr].func : "";
				g->line = p->frames[fr].line;
				g->source = view_source(dp->view, fr);
			}
		}
	}
	qsort(z->seg, z->nlisted, sizeof(z->seg[0]), segment_cmp);
	/* in the peak picture: the stacks ending in a [shared memory ...] frame */
	const struct view *v = d->main ? d->main->view : NULL;
	for (uint32_t n = 1; v && n < v->nnodes; n++)
		if (v->p->frames[v->p->nodes[n].frame].flags == PROFILE_FRAME_SHARED)
			z->peak_bytes += v->self[n];
	if (!z->nsegments)
		return;
	int main_pid = d->main ? d->main->p->pid : -1;
	char total[32], one[32];
	struct buf b;
	buf_init(&b);
	text_bytes(total, sizeof total, z->bytes);
	buf_printf(&b, "shared memory: %s in %zu segment%s ", total, z->nsegments,
		   z->nsegments == 1 ? "" : "s");
	if (z->nsegments == 1 && z->nlisted == 1) {
		buf_putc(&b, '(');
		segment_words(&b, &z->seg[0]);
		buf_puts(&b, ") ");
		segment_where(&b, &z->seg[0], main_pid);
	} else {
		buf_putc(&b, '(');
		size_t told = z->nlisted < DOC_SEGMENTS_TOLD ? z->nlisted : DOC_SEGMENTS_TOLD;
		for (size_t j = 0; j < told; j++) {
			const struct doc_segment *g = &z->seg[j];
			text_bytes(one, sizeof one, g->bytes);
			if (j)
				buf_puts(&b, "; ");
			segment_words(&b, g);
			buf_printf(&b, ", %s, ", one);
			segment_where(&b, g, main_pid);
		}
		if (z->nsegments > told)
			buf_printf(&b, "; and %zu more", z->nsegments - told);
		buf_putc(&b, ')');
	}
	snprintf(z->text, sizeof z->text, "%s", b.oom ? "shared memory: (out of memory)" : buf_str(&b));
	buf_free(&b);
	z->in_story = !d->running && !strcmp(h->tone, "death");
}

size_t doc_nevidence(const struct doc *d)
{
	size_t n = d->meta && d->meta->nevidence > 0 ? (size_t)d->meta->nevidence : 0;
	return n + (d->head.shm.in_story != 0);
}

const char *doc_evidence(const struct doc *d, size_t i)
{
	size_t n = d->meta && d->meta->nevidence > 0 ? (size_t)d->meta->nevidence : 0;
	if (i < n)
		return d->meta->evidence[i];
	return i == n && d->head.shm.in_story ? d->head.shm.text : "";
}

/* Why RSS and tracked memory differ, in one sentence: what the kernel
 * counted of the main process near its tracked peak (anonymous,
 * file-backed, shared memory) against what it had allocated then.  A
 * difference under max(1 MiB, 2% of tracked) is no difference; shared
 * memory and shared pages are said from 1 MiB. */
static void decide_gap(struct doc_headline *h, const struct doc *d)
{
	struct doc_rss_gap *g = &h->gap;
	memset(g, 0, sizeof(*g));
	const struct runmeta_rss_split *z = d->meta ? &d->meta->split : NULL;
	if (!z || z->rss_bytes <= 0 || d->running)
		return;
	g->has = 1;
	g->at = z;
	int64_t T = z->tracked_bytes > 0 ? z->tracked_bytes : 0, A = z->anon_bytes;
	int64_t small = T / 50 > (1 << 20) ? T / 50 : (1 << 20);
	if (T - A > small)
		g->untouched_bytes = T - A;
	else if (A - T > small)
		g->kept_bytes = A - T;
	char rss[32], tr[32], an[32], fb[32], sh[32], diff[32];
	text_bytes(rss, sizeof rss, z->rss_bytes);
	text_bytes(tr, sizeof tr, T);
	text_bytes(an, sizeof an, A);
	text_bytes(fb, sizeof fb, z->file_bytes);
	struct buf b;
	buf_init(&b);
	/* the supervisor samples every 100 ms: a peak between two samples is
	 * missed, and the sentence says which moment it describes */
	const struct profile *mp = d->main ? d->main->p : NULL;
	if (mp && mp->peak_bytes > 0 && (double)T < 0.9 * (double)mp->peak_bytes)
		buf_printf(&b, "at %.1f s, the highest tracked memory the 100 ms samples saw (%.0f%% "
			       "of its peak), RSS was %s and tracked memory %s: ",
			   z->t_s, 100.0 * (double)T / (double)mp->peak_bytes, rss, tr);
	else
		buf_printf(&b, "near its peak (%.1f s) RSS was %s and tracked memory %s: ", z->t_s, rss,
			   tr);
	if (g->untouched_bytes) {
		text_bytes(diff, sizeof diff, g->untouched_bytes);
		buf_printf(&b, "%s of what it had allocated was not touched yet, so the kernel had "
			       "given it no pages (calloc, np.zeros and np.empty get theirs only when "
			       "written; its anonymous RSS was %s)",
			   diff, an);
	} else if (g->kept_bytes) {
		text_bytes(diff, sizeof diff, g->kept_bytes);
		buf_printf(&b, "its anonymous RSS (%s) was %s above what it held: memory freed but "
			       "kept by the allocator (glibc's and Python's free lists and arenas), "
			       "thread stacks, and what was allocated before tracking began",
			   an, diff);
	} else {
		buf_printf(&b, "its anonymous RSS (%s) matched its tracked memory", an);
	}
	buf_printf(&b, "; %s of RSS was file-backed (the interpreter, shared libraries, mapped "
		       "files), which is not tracked",
		   fb);
	/* oomph's own state file is shared memory in the process's RSS: said
	 * apart, not as the program's */
	int64_t own = z->own_bytes > 0 ? z->own_bytes : 0;
	if (own > z->shmem_bytes)
		own = z->shmem_bytes > 0 ? z->shmem_bytes : 0;
	if (z->shmem_bytes - own >= (1 << 20)) {
		text_bytes(sh, sizeof sh, z->shmem_bytes - own);
		buf_printf(&b, ", and %s shared memory (tmpfs, memfd)", sh);
	}
	if (own >= (1 << 20)) {
		text_bytes(diff, sizeof diff, own);
		buf_printf(&b, "; %s of RSS was oomph's own record of the run (its state file, "
			       "shared memory)",
			   diff);
	}
	if (z->shared_bytes >= (1 << 20)) {
		text_bytes(diff, sizeof diff, z->shared_bytes);
		buf_printf(&b, "; %s of its pages were shared with other processes", diff);
	}
	snprintf(g->text, sizeof g->text, "%s", b.oom ? "" : buf_str(&b));
	if (b.oom)
		g->has = 0;
	buf_free(&b);
}

void doc_decide(struct doc *d)
{
	struct doc_headline *h = &d->head;
	const struct profile *mp = d->main ? d->main->p : NULL;
	memset(h, 0, sizeof(*h));
	if (mp) {
		h->has_peak = 1;
		h->peak_bytes = mp->peak_bytes;
		h->peak_time_s = mp->peak_time_s;
		h->inherited_bytes = mp->inherited_bytes;
		h->inherited_freed_bytes = mp->inherited_freed_bytes;
	}
	/* Peak RSS: the largest figure anyone measured for this process (the
	 * supervisor's, its own at exit; each since its exec). */
	h->peak_rss_bytes = d->peak_rss_bytes > 0 ? d->peak_rss_bytes : 0;
	if (mp && mp->max_rss_bytes > h->peak_rss_bytes)
		h->peak_rss_bytes = mp->max_rss_bytes;
	/* Exactness: the run asked for it, or recorded every allocation (rate
	 * 1); the process's own word only when the run does not say. */
	h->sample_rate = d->sample_rate ? d->sample_rate : mp ? mp->sample_rate : 0;
	h->exact = d->exact || h->sample_rate == 1 || (!d->sample_rate && mp && mp->exact);
	decide_limit(h, d, mp);
	h->verdict = d->verdict && d->verdict[0] ? d->verdict : "unknown";
	h->ok = !d->signal && d->has_exit_code && d->exit_code == 0;
	h->moment = d->death ? d->death : d->now;
	/* an exit code unknown (another process's page: its exit()) is not 0 */
	if (d->main && !d->signal && !(d->has_exit_code && d->exit_code == 0) &&
	    doc_proc_exception(d->main)) {
		h->exc_type = mp->exc_type;
		h->exc_message = mp->exc_message;
	}
	decide_verdict(h, d);
	decide_job(h, d);
	decide_job_death(&h->job, d);
	if (!strcmp(h->job.verdict, "oom-killed"))
		h->ok = 0;
	decide_sizing(h, d);
	decide_gap(h, d);
	h->tone = text_verdict_tone(h->job.verdict, d->has_exit_code, d->exit_code, d->signal);
	decide_shm(h, d); /* after the tone: whether the run died */
}

int64_t doc_proc_rss(const struct doc_proc *dp)
{
	int64_t own = dp->p->max_rss_bytes > 0 ? dp->p->max_rss_bytes : 0;
	return dp->hwm_bytes > own ? dp->hwm_bytes : own;
}

void doc_proc_ending(const struct doc_proc *dp, char *out, size_t n)
{
	const struct profile *p = dp->p;
	const struct doc_victim *v = dp->victim;
	if (v && !strcmp(v->verdict, "oom-killed"))
		snprintf(out, n, "was killed by the kernel's OOM killer");
	else if (v && !strcmp(v->verdict, "killed"))
		snprintf(out, n, "was killed (SIGKILL)");
	else if (v && !strcmp(v->verdict, "ended-by-parent"))
		snprintf(out, n, "was ended by its pool (%s), a normal ending for a pool's worker",
			 v->evidence && v->evidence[0] ? v->evidence : "SIGTERM");
	else if (v && !strcmp(v->verdict, "signal"))
		snprintf(out, n, "was ended by a signal (%s)",
			 v->evidence && v->evidence[0] ? v->evidence : "unknown sender");
	else if (v && !strcmp(v->verdict, "stopped-near-oom"))
		snprintf(out, n, "was stopped by oomph near its memory limit (--on-oom stop)");
	else if (v && !strcmp(v->verdict, "outlived"))
		snprintf(out, n, "was still running when the main process ended");
	else if (p->exited_cleanly) {
		if (p->exit_code >= 0)
			snprintf(out, n, "exited with code %d", p->exit_code);
		else
			snprintf(out, n, "exited");
		if (doc_proc_exception(dp))
			add_exception(out, n, "exited", p->exc_type, p->exc_message);
	} else if (p->still_running)
		snprintf(out, n, "still running");
	else
		snprintf(out, n, "ended without exiting (killed or crashed)");
}

int doc_proc_exception(const struct doc_proc *dp)
{
	const struct profile *p = dp->p;
	/* -1: its exit path ran without the code (exit(), not _exit()): an
	 * uncaught exception makes it 1 */
	return p->exc_type[0] && !dp->victim && p->exited_cleanly && p->exit_code != 0;
}

void doc_job_rss_words(const struct doc_job *j, char *out, size_t n)
{
	char a[32], c[32], how[160] = "";
	out[0] = 0;
	if (j->peak_rss_bytes <= 0 || (j->nprocs < 2 && j->cgroup_peak_bytes <= 0))
		return;
	text_bytes(a, sizeof a, j->peak_rss_bytes);
	if (!strcmp(j->peak_rss_how, "pss"))
		snprintf(how, sizeof how, "its processes' PSS summed: pages they share counted once");
	else if (!strcmp(j->peak_rss_how, "largest-process"))
		snprintf(how, sizeof how,
			 "its largest process's own peak RSS: its processes' PSS, summed every "
			 "100 ms, never caught the job at its peak");
	else
		snprintf(how, sizeof how,
			 "its processes' RSS summed: PSS could not be read, pages they share counted in each");
	if (j->cgroup_peak_bytes > 0) {
		text_bytes(c, sizeof c, j->cgroup_peak_bytes);
		snprintf(out, n,
			 "%s (%s); the kernel's high-water mark of its --limit cgroup: %s (page cache "
			 "included)",
			 a, how, c);
	} else {
		snprintf(out, n, "%s (%s)", a, how);
	}
}
