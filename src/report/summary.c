/* report/summary.c — summary.json and the terminal summary (summary.h). */
#include "report/summary.h"

#include <stdio.h>
#include <string.h>

#include "report/escape.h"
#include "report/json.h"
#include "report/text.h"
#include "state/format.h"

size_t summary_incomplete(const struct profile *p, const char **out, size_t max)
{
	size_t n = 0;
#define ADD(s)                  \
	do {                    \
		if (n < max)    \
			out[n] = s; \
		n++;            \
	} while (0)
	if (!p->exited_cleanly && !p->still_running)
		ADD("did not exit normally: data ends at its last recorded event");
	if (p->overflow & OOMPH_OVERFLOW_STRINGS)
		ADD("string table full: later names are missing");
	if (p->overflow & OOMPH_OVERFLOW_FRAMES)
		ADD("frame table full: later frames are missing");
	if (p->overflow & OOMPH_OVERFLOW_NODES)
		ADD("stack table full: later stacks are charged to a shorter stack");
	if (p->overflow & OOMPH_OVERFLOW_STACKDEPTH)
		ADD("very deep stacks were truncated");
	if (p->recording_stopped[0])
		ADD(p->recording_stopped);
#undef ADD
	return n < max ? n : max;
}

static void str_or_null(struct jw *w, const char *s)
{
	if (s && s[0])
		jw_str(w, s);
	else
		jw_null(w);
}

static void int_or_null(struct jw *w, int64_t v)
{
	if (v >= 0)
		jw_int(w, v);
	else
		jw_null(w);
}

/* What the program could swap and what it swapped (docs/report-format.md). */
static void swap_story(struct jw *w, const struct runmeta *m)
{
	jw_key(w, "swap");
	if (!m) {
		jw_null(w);
		return;
	}
	const struct runmeta_swap *sw = &m->swap;
	jw_obj(w);
	jw_key(w, "allowed_bytes");
	int_or_null(w, sw->allowed_bytes);
	jw_key(w, "machine_bytes");
	int_or_null(w, sw->machine_bytes);
	jw_key(w, "peak_bytes");
	jw_int(w, sw->peak_bytes > 0 ? sw->peak_bytes : 0);
	jw_key(w, "vmswap_peak_bytes");
	jw_int(w, sw->vmswap_peak_bytes > 0 ? sw->vmswap_peak_bytes : 0);
	jw_key(w, "in_max_bytes_per_s");
	jw_num(w, sw->in_max_per_s > 0 ? sw->in_max_per_s : 0, 0);
	jw_key(w, "out_max_bytes_per_s");
	jw_num(w, sw->out_max_per_s > 0 ? sw->out_max_per_s : 0, 0);
	jw_key(w, "in_bytes");
	jw_int(w, sw->in_bytes);
	jw_key(w, "out_bytes");
	jw_int(w, sw->out_bytes);
	jw_key(w, "swapping_s");
	jw_num(w, sw->seconds, 3);
	jw_key(w, "scope");
	str_or_null(w, sw->scope);
	jw_obj_end(w);
}

static void argv_array(struct jw *w, int argc, char *const *argv)
{
	jw_arr(w);
	for (int i = 0; i < argc; i++)
		jw_str(w, argv[i] ? argv[i] : "");
	jw_arr_end(w);
}

/* "exception": {"type", "message"} of the uncaught exception a process
 * died of (doc_proc_exception), or null. */
static void exception(struct jw *w, const char *type, const char *message)
{
	jw_key(w, "exception");
	if (!type) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "type");
	jw_str(w, type);
	jw_key(w, "message");
	jw_str(w, message);
	jw_obj_end(w);
}

/* head: the page's headline when dp is the process oomph started (its
 * exit status is the supervisor's), else NULL. */
static void process(struct jw *w, const struct doc_proc *dp, int signal,
		    const struct doc_headline *head)
{
	const struct profile *p = dp->p;
	jw_obj(w);
	jw_key(w, "pid");
	jw_int(w, p->pid);
	jw_key(w, "parent");
	if (dp->parent >= 0)
		jw_int(w, dp->parent);
	else
		jw_null(w);
	jw_key(w, "generation");
	jw_int(w, p->generation);
	jw_key(w, "command");
	argv_array(w, p->argc, p->argv);
	jw_key(w, "python");
	jw_str(w, p->python_version[0] ? p->python_version : NULL);
	jw_key(w, "peak_tracked_bytes");
	jw_int(w, p->peak_bytes);
	jw_key(w, "peak_time_s");
	jw_num(w, p->peak_time_s, 3);
	/* a fork child: the heap it had at its fork (in the job once, as its
	 * parent's; in its own peak too) and what it freed of it */
	jw_key(w, "inherited_bytes");
	jw_int(w, p->inherited_bytes);
	jw_key(w, "inherited_freed_bytes");
	jw_int(w, p->inherited_freed_bytes);
	jw_key(w, "peak_rss_bytes");
	if (doc_proc_rss(dp) > 0)
		jw_int(w, doc_proc_rss(dp));
	else
		jw_null(w);
	jw_key(w, "duration_s");
	jw_num(w, p->duration_s, 3);
	jw_key(w, "dir");
	jw_str(w, dp->dir);
	jw_key(w, "exited_cleanly");
	jw_bool(w, p->exited_cleanly);
	jw_key(w, "exit_code");
	if (p->exited_cleanly && p->exit_code >= 0) /* -1: exit path ran, code unknown */
		jw_int(w, p->exit_code);
	else
		jw_null(w);
	jw_key(w, "ending");
	jw_str(w, dp->victim ? dp->victim->verdict
		   : p->exited_cleanly ? "exited" : p->still_running ? "running"
		   : signal ? "signal" : "unknown");
	int exc = doc_proc_exception(dp);
	if (head)
		exception(w, head->exc_type, head->exc_message);
	else
		exception(w, exc ? p->exc_type : NULL, exc ? p->exc_message : NULL);
	jw_key(w, "incomplete");
	const char *why[SUMMARY_MAX_INCOMPLETE];
	size_t nwhy = summary_incomplete(p, why, SUMMARY_MAX_INCOMPLETE);
	jw_arr(w);
	for (size_t i = 0; i < nwhy; i++)
		jw_str(w, why[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}


/* The run's memory story: evidence, limit, failures, fault, pressure, the
 * moment of death, the timeline (docs/report-format.md). */
static void memory_story(struct jw *w, const struct doc *d)
{
	const struct runmeta *m = d->meta;
	const struct profile *mp = d->main ? d->main->p : NULL;
	jw_key(w, "evidence");
	jw_arr(w);
	for (size_t i = 0; i < doc_nevidence(d); i++)
		jw_str(w, doc_evidence(d, i));
	jw_arr_end(w);

	const struct doc_headline *h = &d->head;
	jw_key(w, "limit_bytes");
	if (h->limit_bytes > 0)
		jw_int(w, h->limit_bytes);
	else
		jw_null(w);
	jw_key(w, "limit_kind");
	str_or_null(w, h->limit_kind);
	jw_key(w, "limit_source");
	str_or_null(w, h->limit_source);
	jw_key(w, "limit_mode");
	str_or_null(w, h->limit_mode);
	jw_key(w, "on_oom");
	str_or_null(w, m ? m->on_oom : NULL);
	jw_key(w, "oom_threshold_bytes");
	if (mp && mp->oom_threshold > 0)
		jw_int(w, mp->oom_threshold);
	else
		jw_null(w);

	jw_key(w, "failed_allocations");
	jw_obj(w);
	jw_key(w, "total");
	jw_int(w, mp ? (int64_t)mp->failures_total : 0);
	jw_key(w, "recent");
	jw_arr(w);
	for (uint32_t i = 0; mp && i < mp->nfailures; i++) {
		const struct profile_failure *f = &mp->failures[i];
		jw_obj(w);
		jw_key(w, "size");
		jw_int(w, f->size > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)f->size);
		jw_key(w, "call");
		jw_str(w, f->call);
		jw_key(w, "errno");
		jw_int(w, f->err);
		jw_key(w, "time_s");
		jw_num(w, f->time_s, 3);
		jw_key(w, "stack");
		const struct view *v = d->main->view;
		if (f->node && f->node < v->nnodes)
			jw_str(w, view_node_label(v, f->node));
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);

	jw_key(w, "fault");
	if (mp && mp->fault_signal) {
		jw_obj(w);
		jw_key(w, "signal");
		jw_int(w, mp->fault_signal);
		jw_key(w, "name");
		str_or_null(w, text_signal_name(mp->fault_signal));
		jw_key(w, "address");
		char a[32];
		snprintf(a, sizeof a, "0x%llx", (unsigned long long)mp->fault_addr);
		jw_str(w, a);
		jw_key(w, "time_s");
		jw_num(w, mp->fault_time_s, 3);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "thrashing");
	jw_bool(w, m && m->thrashing);
	jw_key(w, "stall");
	jw_obj(w);
	jw_key(w, "max_pct");
	jw_num(w, m ? m->stall_max_pct : 0, 2);
	jw_key(w, "stalled_s");
	jw_num(w, m ? m->stall_total_s : 0, 3);
	jw_key(w, "sustained_s");
	jw_num(w, m ? m->thrash_seconds : 0, 3);
	jw_key(w, "refault_max_per_s");
	jw_num(w, m && m->refault_max_per_s > 0 ? m->refault_max_per_s : 0, 1);
	jw_key(w, "majflt_max_per_s");
	jw_num(w, m ? m->majflt_max_per_s : 0, 1);
	jw_obj_end(w);
	swap_story(w, m);
	jw_key(w, "stopped");
	if (m && m->stopped_for_stall) {
		jw_obj(w);
		jw_key(w, "time_s");
		jw_num(w, m->stop.t_s, 3);
		jw_key(w, "by");
		str_or_null(w, m->stop.by);
		jw_key(w, "share_pct");
		jw_num(w, m->stop.share_pct, 2);
		jw_key(w, "readback_per_s");
		jw_num(w, m->stop.readback_per_s, 1);
		jw_key(w, "swap_bytes");
		jw_int(w, m->stop.swap_bytes);
		jw_key(w, "in_bytes_per_s");
		jw_num(w, m->stop.in_per_s, 0);
		jw_key(w, "out_bytes_per_s");
		jw_num(w, m->stop.out_per_s, 0);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "death");
	if (d->death) {
		jw_obj(w);
		jw_key(w, "reason");
		jw_str(w, d->death->reason);
		jw_key(w, "bytes");
		jw_int(w, d->death->bytes);
		jw_key(w, "time_s");
		jw_num(w, d->death->time_s, 3);
		jw_key(w, "folded");
		jw_str(w, "death.folded");
		jw_key(w, "svg");
		jw_str(w, "death.svg");
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "running");
	jw_bool(w, d->running);
	jw_key(w, "now");
	if (d->now) {
		jw_obj(w);
		jw_key(w, "bytes");
		jw_int(w, d->now->bytes);
		jw_key(w, "time_s");
		jw_num(w, d->now->time_s, 3);
		jw_key(w, "folded");
		jw_str(w, "now.folded");
		jw_key(w, "svg");
		jw_str(w, "now.svg");
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "exit");
	if (d->exit_pic) {
		jw_obj(w);
		jw_key(w, "bytes");
		jw_int(w, d->exit_pic->bytes);
		jw_key(w, "time_s");
		jw_num(w, d->exit_pic->time_s, 3);
		jw_key(w, "folded");
		jw_str(w, "exit.folded");
		jw_key(w, "svg");
		jw_str(w, "exit.svg");
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "leak_suspects");
	jw_arr(w);
	for (size_t i = 0; i < d->nleaks; i++) {
		const struct leak_suspect *q = &d->leaks[i];
		jw_obj(w);
		jw_key(w, "pid");
		jw_int(w, q->pid);
		jw_key(w, "file");
		jw_str(w, q->file);
		jw_key(w, "line");
		jw_int(w, q->line);
		jw_key(w, "function");
		jw_str(w, q->func);
		jw_key(w, "rate_bytes_per_s");
		jw_num(w, q->rate_bytes_per_s, 1);
		jw_key(w, "grown_bytes");
		jw_int(w, q->grown_bytes);
		jw_key(w, "r2");
		jw_num(w, q->r2, 4);
		jw_key(w, "from_s");
		jw_num(w, q->from_s, 3);
		jw_key(w, "to_s");
		jw_num(w, q->to_s, 3);
		jw_obj_end(w);
	}
	jw_arr_end(w);

	jw_key(w, "timeline");
	jw_arr(w);
	for (size_t i = 0; d->timeline && i < d->timeline->n; i++) {
		const struct timeline_point *pt = &d->timeline->p[i];
		jw_arr(w);
		jw_num(w, pt->t_s, 3);
		jw_int(w, pt->tracked_bytes);
		jw_int(w, pt->rss_bytes);
		jw_arr_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "memory_timeline");
	jw_arr(w);
	for (size_t i = 0; i < d->nmemory; i++) {
		jw_arr_flat(w); /* up to 1000 of them: one line each */
		jw_num(w, d->memory[i].t_s, 4);
		jw_int(w, d->memory[i].bytes);
		jw_arr_end(w);
	}
	jw_arr_end(w);
}

/* The shared memory the page's processes held at their end or death
 * (docs/report-format.md, "shared_memory"). */
static void shared_memory(struct jw *w, const struct doc *d)
{
	const struct doc_shm *z = &d->head.shm;
	jw_key(w, "shared_memory");
	jw_obj(w);
	jw_key(w, "bytes");
	jw_int(w, z->bytes);
	jw_key(w, "count");
	jw_int(w, (int64_t)z->nsegments);
	jw_key(w, "peak_bytes");
	jw_int(w, z->peak_bytes);
	jw_key(w, "sized");
	jw_int(w, z->sized > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)z->sized);
	jw_key(w, "text");
	str_or_null(w, z->text);
	jw_key(w, "segments");
	jw_arr(w);
	for (size_t i = 0; i < z->nlisted; i++) {
		const struct doc_segment *g = &z->seg[i];
		jw_obj(w);
		jw_key(w, "pid");
		jw_int(w, g->pid);
		jw_key(w, "kind");
		jw_str(w, g->kind);
		jw_key(w, "name");
		jw_str(w, g->name);
		jw_key(w, "bytes");
		jw_int(w, g->bytes);
		jw_key(w, "file");
		str_or_null(w, g->file);
		jw_key(w, "line");
		if (g->file)
			jw_int(w, g->line);
		else
			jw_null(w);
		jw_key(w, "function");
		str_or_null(w, g->file ? g->func : NULL);
		jw_key(w, "source");
		jw_str(w, g->source);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/* One line of a table: a view_top, and its via when it is a program line. */
static void line_obj(struct jw *w, const struct view_top *t, const char *via)
{
	jw_obj(w);
	jw_key(w, "file");
	jw_str(w, t->file);
	jw_key(w, "line");
	jw_int(w, t->line);
	jw_key(w, "function");
	jw_str(w, t->func);
	jw_key(w, "bytes");
	jw_int(w, t->bytes);
	jw_key(w, "share");
	jw_num(w, t->share, 6);
	jw_key(w, "source");
	jw_str(w, t->source);
	if (via) {
		jw_key(w, "via");
		jw_str(w, via);
	}
	jw_key(w, "synthetic");
	jw_bool(w, t->synthetic);
	jw_obj_end(w);
}

/* The top lines of a view (its innermost Python lines), largest first. */
static void top_lines(struct jw *w, const struct view *v)
{
	jw_arr(w);
	for (size_t i = 0; v && i < v->ntop; i++)
		line_obj(w, &v->top[i], NULL);
	jw_arr_end(w);
}

/* The program's own lines (view_mine), largest first. */
static void program_lines(struct jw *w, const struct view *v)
{
	jw_arr(w);
	for (size_t i = 0; v && i < v->nmine; i++)
		line_obj(w, &v->mine[i].l, v->mine[i].via);
	jw_arr_end(w);
}

/* The phases of a process (docs/report-format.md). */
static void phases(struct jw *w, const struct doc_proc *dp)
{
	jw_arr(w);
	for (size_t i = 0; dp && i < dp->nphases; i++) {
		const struct doc_phase *f = &dp->phases[i];
		const struct profile_phase *ph = f->ph;
		jw_obj(w);
		jw_key(w, "id");
		jw_int(w, ph->id);
		jw_key(w, "name");
		jw_str(w, ph->name);
		jw_key(w, "parent");
		if (ph->parent)
			jw_int(w, ph->parent);
		else
			jw_null(w);
		jw_key(w, "depth");
		jw_int(w, ph->depth);
		jw_key(w, "start_s");
		jw_num(w, ph->start_s, 3);
		jw_key(w, "end_s");
		if (ph->open)
			jw_null(w);
		else
			jw_num(w, ph->end_s, 3);
		jw_key(w, "open");
		jw_bool(w, ph->open);
		jw_key(w, "start_tracked_bytes");
		jw_int(w, ph->start_bytes);
		jw_key(w, "peak_tracked_bytes");
		jw_int(w, ph->peak_bytes);
		jw_key(w, "peak_time_s");
		jw_num(w, ph->peak_s, 3);
		jw_key(w, "peak_above_start_bytes");
		jw_int(w, ph->peak_bytes - ph->start_bytes);
		jw_key(w, "end_tracked_bytes");
		if (ph->open)
			jw_null(w);
		else
			jw_int(w, ph->end_bytes);
		jw_key(w, "left_live_bytes");
		if (ph->open)
			jw_null(w);
		else
			jw_int(w, ph->left_live_bytes);
		jw_key(w, "ended_by_other_thread");
		jw_bool(w, (ph->flags & OOMPH_PHASE_F_OTHER_THREAD) != 0);
		jw_key(w, "picture_kept");
		jw_bool(w, ph->has_picture);
		jw_key(w, "svg");
		if (f->peak) {
			char svg[32];
			snprintf(svg, sizeof svg, "phases/%u.svg", ph->id);
			jw_str(w, svg);
		} else {
			jw_null(w);
		}
		jw_key(w, "top");
		top_lines(w, f->peak);
		jw_key(w, "top_left_live");
		top_lines(w, f->left);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* What to request from a scheduler (docs/report-format.md, "sizing"). */
static void sizing(struct jw *w, const struct doc *d)
{
	const struct doc_sizing *z = &d->head.sizing;
	jw_key(w, "sizing");
	if (!z->has) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "needed_bytes");
	jw_int(w, z->needed_bytes);
	jw_key(w, "needed_what");
	jw_str(w, z->needed_what);
	jw_key(w, "at_limit");
	jw_bool(w, z->at_limit);
	jw_key(w, "headroom");
	jw_num(w, DOC_HEADROOM, 2);
	jw_key(w, "request_bytes");
	if (z->at_limit)
		jw_null(w);
	else
		jw_int(w, z->request_bytes);
	jw_key(w, "kubernetes");
	str_or_null(w, z->at_limit ? NULL : z->kubernetes);
	jw_key(w, "slurm");
	str_or_null(w, z->at_limit ? NULL : z->slurm);
	jw_key(w, "docker");
	str_or_null(w, z->at_limit ? NULL : z->docker);
	jw_key(w, "text");
	jw_str(w, z->text);
	jw_obj_end(w);
}

/* Why RSS and tracked memory differ (docs/report-format.md,
 * "rss_vs_tracked"). */
static void rss_gap(struct jw *w, const struct doc *d)
{
	const struct doc_rss_gap *g = &d->head.gap;
	jw_key(w, "rss_vs_tracked");
	if (!g->has) {
		jw_null(w);
		return;
	}
	const struct runmeta_rss_split *z = g->at;
	jw_obj(w);
	jw_key(w, "time_s");
	jw_num(w, z->t_s, 3);
	jw_key(w, "tracked_bytes");
	jw_int(w, z->tracked_bytes);
	jw_key(w, "rss_bytes");
	jw_int(w, z->rss_bytes);
	jw_key(w, "anon_bytes");
	jw_int(w, z->anon_bytes);
	jw_key(w, "file_bytes");
	jw_int(w, z->file_bytes);
	jw_key(w, "shmem_bytes");
	jw_int(w, z->shmem_bytes);
	jw_key(w, "oomph_state_bytes");
	if (z->own_bytes >= 0)
		jw_int(w, z->own_bytes);
	else
		jw_null(w);
	jw_key(w, "shared_bytes");
	if (z->shared_bytes >= 0)
		jw_int(w, z->shared_bytes);
	else
		jw_null(w);
	jw_key(w, "swap_bytes");
	if (z->swap_bytes >= 0)
		jw_int(w, z->swap_bytes);
	else
		jw_null(w);
	jw_key(w, "source");
	jw_str(w, z->how);
	jw_key(w, "untouched_bytes");
	jw_int(w, g->untouched_bytes);
	jw_key(w, "kept_bytes");
	jw_int(w, g->kept_bytes);
	jw_key(w, "text");
	jw_str(w, g->text);
	jw_obj_end(w);
}

/* pid, command, bytes of each process of the job at one instant. */
static void job_procs(struct jw *w, const struct doc_job_proc *q, size_t n)
{
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj(w);
		jw_key(w, "pid");
		jw_int(w, q[i].pid);
		jw_key(w, "command");
		argv_array(w, q[i].argc, q[i].argv);
		jw_key(w, "bytes");
		jw_int(w, q[i].bytes);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The job when one of its processes died (docs/report-format.md,
 * "job.death"); null when none died so. */
static void job_death(struct jw *w, const struct doc_job *j)
{
	jw_key(w, "death");
	if (!j->death_victim) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "pid");
	jw_int(w, j->death_victim->pid);
	jw_key(w, "verdict");
	jw_str(w, j->death_victim->verdict);
	jw_key(w, "time_s");
	jw_num(w, j->death_time_s, 3);
	jw_key(w, "bytes");
	jw_int(w, j->death_bytes);
	jw_key(w, "processes");
	job_procs(w, j->at_death, j->nat_death);
	jw_key(w, "folded");
	str_or_null(w, j->death ? "job-death.folded" : NULL);
	jw_key(w, "svg");
	str_or_null(w, j->death ? "job-death.svg" : NULL);
	jw_obj_end(w);
}

/* The run as one job (docs/report-format.md, "job"). */
static void job_story(struct jw *w, const struct doc *d)
{
	const struct doc_job *j = &d->head.job;
	jw_key(w, "job");
	jw_obj(w);
	jw_key(w, "processes");
	jw_int(w, (int64_t)j->nprocs);
	jw_key(w, "peak_tracked_bytes");
	if (j->has_peak)
		jw_int(w, j->peak_tracked_bytes);
	else
		jw_null(w);
	jw_key(w, "peak_time_s");
	if (j->has_peak)
		jw_num(w, j->peak_time_s, 3);
	else
		jw_null(w);
	jw_key(w, "processes_at_peak");
	job_procs(w, j->at_peak, j->nat_peak);
	jw_key(w, "top");
	top_lines(w, j->top);
	jw_key(w, "top_processes"); /* per line of top: in how many processes */
	jw_arr(w);
	for (size_t i = 0; j->top && i < j->top->ntop; i++)
		jw_int(w, j->top_nprocs ? (int64_t)j->top_nprocs[i] : 0);
	jw_arr_end(w);
	jw_key(w, "peak_rss_bytes");
	if (j->peak_rss_bytes > 0)
		jw_int(w, j->peak_rss_bytes);
	else
		jw_null(w);
	jw_key(w, "peak_rss_how");
	str_or_null(w, j->peak_rss_bytes > 0 ? j->peak_rss_how : NULL);
	jw_key(w, "cgroup_peak_bytes");
	if (j->cgroup_peak_bytes > 0)
		jw_int(w, j->cgroup_peak_bytes);
	else
		jw_null(w);
	jw_key(w, "verdict");
	jw_str(w, j->verdict);
	jw_key(w, "victims");
	jw_arr(w);
	for (size_t i = 0; i < j->nvictims; i++) {
		const struct doc_victim *v = &j->victims[i];
		jw_obj(w);
		jw_key(w, "pid");
		jw_int(w, v->pid);
		jw_key(w, "generation");
		jw_int(w, v->generation);
		jw_key(w, "command");
		argv_array(w, v->argc, v->argv);
		jw_key(w, "verdict");
		jw_str(w, v->verdict);
		jw_key(w, "evidence");
		str_or_null(w, v->evidence);
		jw_key(w, "time_s");
		if (v->time_s >= 0)
			jw_num(w, v->time_s, 3);
		else
			jw_null(w);
		jw_key(w, "live_bytes");
		jw_int(w, v->live_bytes);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	job_death(w, j);
	jw_obj_end(w);
}

void summary_json(struct buf *b, const struct doc *d, int pretty, unsigned esc_flags)
{
	struct jw w;
	jw_init(&w, b, pretty, esc_flags);
	const struct doc_headline *h = &d->head;

	jw_obj(&w);
	jw_key(&w, "command");
	argv_array(&w, d->argc, d->argv);
	jw_key(&w, "python");
	jw_str(&w, d->python && d->python[0] ? d->python : NULL);
	jw_key(&w, "exit_code");
	if (d->has_exit_code && !d->signal)
		jw_int(&w, d->exit_code);
	else
		jw_null(&w);
	jw_key(&w, "signal");
	if (d->signal)
		jw_int(&w, d->signal);
	else
		jw_null(&w);
	jw_key(&w, "verdict");
	jw_str(&w, h->verdict);
	jw_key(&w, "verdict_text");
	jw_str(&w, h->verdict_text);
	exception(&w, h->exc_type, h->exc_message);
	memory_story(&w, d);
	jw_key(&w, "duration_s");
	jw_num(&w, d->duration_s, 3);
	jw_key(&w, "peak_tracked_bytes");
	if (h->has_peak)
		jw_int(&w, h->peak_bytes);
	else
		jw_null(&w);
	jw_key(&w, "peak_time_s");
	if (h->has_peak)
		jw_num(&w, h->peak_time_s, 3);
	else
		jw_null(&w);
	jw_key(&w, "peak_rss_bytes");
	if (h->peak_rss_bytes > 0)
		jw_int(&w, h->peak_rss_bytes);
	else
		jw_null(&w);
	jw_key(&w, "sample_rate_bytes");
	if (h->sample_rate)
		jw_int(&w, (int64_t)h->sample_rate);
	else
		jw_null(&w);
	jw_key(&w, "exact");
	jw_bool(&w, h->exact);
	sizing(&w, d);
	rss_gap(&w, d);
	shared_memory(&w, d);
	job_story(&w, d);
	jw_key(&w, "processes");
	jw_arr(&w);
	for (size_t i = 0; i < d->nprocs; i++) {
		/* the process oomph started, ended by a signal the supervisor
		 * saw (Ctrl-C): said, not "unknown" */
		int started = i == 0 && d->main == &d->procs[0] && d->meta;
		process(&w, &d->procs[i], started ? d->signal : 0, started ? h : NULL);
	}
	jw_arr_end(&w);
	jw_key(&w, "top");
	top_lines(&w, d->main ? d->main->view : NULL);
	jw_key(&w, "top_program_lines");
	program_lines(&w, d->main ? d->main->view : NULL);
	jw_key(&w, "phases");
	phases(&w, d->main);
	jw_key(&w, "errors");
	jw_arr(&w);
	for (size_t i = 0; i < d->nerrors; i++) {
		jw_obj(&w);
		jw_key(&w, "file");
		jw_str(&w, d->errors[i].file);
		jw_key(&w, "message");
		jw_str(&w, d->errors[i].message);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "warnings");
	jw_arr(&w);
	for (size_t i = 0; i < d->nwarnings; i++)
		jw_str(&w, d->warnings[i]);
	jw_arr_end(&w);
	jw_key(&w, "report");
	jw_str(&w, "index.html");
	jw_obj_end(&w);
}

/* One line to the terminal: "oomph: " and the text with control characters
 * neutralised (the program's names must not drive the terminal). */
static void term_line(FILE *f, struct buf *line)
{
	struct buf safe;
	buf_init(&safe);
	esc_term(&safe, buf_str(line));
	fprintf(f, "oomph: %s\n", buf_str(&safe));
	buf_free(&safe);
	buf_reset(line);
}

void summary_terminal(FILE *f, const struct doc *d, const char *report_path)
{
	if (!f)
		return;
	struct buf l;
	buf_init(&l);
	const struct doc_headline *h = &d->head;
	char a[32], b2[32], c[32];
	if (h->job.has_peak && h->job.nprocs > 1) {
		/* the job leads (its first line): every process at one instant */
		text_bytes(a, sizeof(a), h->job.peak_tracked_bytes);
		buf_printf(&l, "job peak %s at %.1f s across %zu processes", a, h->job.peak_time_s,
			   h->job.nprocs);
		if (h->has_peak) {
			text_bytes(b2, sizeof(b2), h->peak_bytes);
			buf_printf(&l, " (main process %s)", b2);
		}
		term_line(f, &l);
		const struct view *jt = h->job.top;
		if (jt && jt->ntop) {
			buf_puts(&l, "top lines across the job at its peak:");
			term_line(f, &l);
		}
		for (size_t i = 0; jt && i < jt->ntop && i < SUMMARY_TERM_TOP; i++) {
			const struct view_top *t = &jt->top[i];
			size_t np = h->job.top_nprocs ? h->job.top_nprocs[i] : 0;
			text_bytes(a, sizeof(a), t->bytes);
			if (t->synthetic)
				buf_printf(&l, "  %s", t->file);
			else
				buf_printf(&l, "  %s:%u (%s)", t->file, (unsigned)t->line, t->func);
			buf_printf(&l, " \u2014 %s in %zu process%s", a, np, np == 1 ? "" : "es");
			term_line(f, &l);
		}
	}
	if (h->job.death_victim && h->job.nprocs > 1) {
		/* every process at the death, largest first */
		const struct doc_job *j = &h->job;
		text_bytes(a, sizeof(a), j->death_bytes);
		buf_printf(&l, "the job %s (%.1f s): %s across %zu process%s", j->death_when,
			   j->death_time_s, a, j->nat_death, j->nat_death == 1 ? "" : "es");
		for (size_t i = 0; i < j->nat_death && i < SUMMARY_TERM_TOP; i++) {
			text_bytes(a, sizeof(a), j->at_death[i].bytes);
			buf_printf(&l, "%s process %d %s", i ? "," : ":", j->at_death[i].pid, a);
		}
		if (j->nat_death > SUMMARY_TERM_TOP)
			buf_printf(&l, " and %zu more", j->nat_death - SUMMARY_TERM_TOP);
		if (j->death)
			buf_puts(&l, " (job-death.folded, job-death.svg)");
		term_line(f, &l);
	}
	text_shell_words(&l, d->argc, d->argv);
	if (d->running)
		buf_printf(&l, "%sis still running: this is a report of %.1f s into the run",
			   d->argc ? " " : "", d->duration_s);
	else
		buf_printf(&l, "%s%s after %.1f s", d->argc ? " " : "", h->verdict_text, d->duration_s);
	term_line(f, &l);

	for (size_t i = 0; i < doc_nevidence(d); i++) {
		buf_printf(&l, "  - %s", doc_evidence(d, i));
		term_line(f, &l);
	}
	if (d->death) {
		text_bytes(a, sizeof(a), d->death->bytes);
		buf_printf(&l, "%s: %s (death.folded, death.svg)", d->death->title, a);
		term_line(f, &l);
	}
	for (size_t i = 0; i < d->nerrors; i++) {
		buf_printf(&l, "cannot read %s: %s", d->errors[i].file, d->errors[i].message);
		term_line(f, &l);
	}
	for (size_t i = 0; i < d->nwarnings; i++) {
		buf_puts(&l, d->warnings[i]);
		term_line(f, &l);
	}
	if (d->main) {
		const struct profile *p = d->main->p;
		text_bytes(a, sizeof(a), h->peak_bytes);
		buf_printf(&l, "peak tracked memory %s at %.1f s; ", a, h->peak_time_s);
		if (h->peak_rss_bytes > 0) {
			text_bytes(b2, sizeof(b2), h->peak_rss_bytes);
			buf_printf(&l, "peak RSS %s; ", b2);
		} else {
			buf_puts(&l, "peak RSS unknown; ");
		}
		if (h->exact) {
			buf_puts(&l, "every allocation recorded (exact)");
		} else {
			text_bytes(c, sizeof(c), (int64_t)h->sample_rate);
			buf_printf(&l, "sampling every %s", c);
		}
		term_line(f, &l);
		char jr[512];
		doc_job_rss_words(&h->job, jr, sizeof jr);
		if (jr[0]) {
			buf_printf(&l, "peak RSS of the whole job at one instant: %s", jr);
			term_line(f, &l);
		}
		if (h->sizing.has) {
			buf_puts(&l, h->sizing.text);
			term_line(f, &l);
		}
		if (h->gap.has) {
			buf_printf(&l, "RSS and tracked memory: %s", h->gap.text);
			term_line(f, &l);
		}
		if (p->recording_stopped[0]) {
			buf_puts(&l, p->recording_stopped);
			term_line(f, &l);
		}
		const struct view *v = d->main->view;
		if (v && v->nmine) {
			buf_puts(&l, "your lines at the peak (the innermost line of the program's own code):");
			term_line(f, &l);
			for (size_t i = 0; i < v->nmine && i < SUMMARY_TERM_TOP; i++) {
				const struct view_top *t = &v->mine[i].l;
				text_bytes(a, sizeof(a), t->bytes);
				buf_printf(&l, "%7.1f%%  %10s  ", 100.0 * t->share, a);
				if (t->synthetic)
					buf_puts(&l, t->file);
				else
					buf_printf(&l, "%s:%u (%s)", t->file, (unsigned)t->line, t->func);
				if (t->source[0])
					buf_printf(&l, "  %s", t->source);
				if (v->mine[i].via[0])
					buf_printf(&l, "  via %s", v->mine[i].via);
				term_line(f, &l);
			}
		}
	}
	if (d->nleaks) {
		buf_puts(&l, "leak suspects (lines whose live bytes grew steadily):");
		term_line(f, &l);
		for (size_t i = 0; i < d->nleaks && i < SUMMARY_TERM_TOP; i++) {
			const struct leak_suspect *q = &d->leaks[i];
			text_bytes(a, sizeof(a), q->grown_bytes);
			text_bytes(b2, sizeof(b2), (int64_t)q->rate_bytes_per_s);
			buf_printf(&l, "  +%s at %s/s (R\u00b2 %.2f, %.0f s to %.0f s)  ", a, b2, q->r2,
				   q->from_s, q->to_s);
			if (d->nprocs > 1) /* whose: the job has several */
				buf_printf(&l, "process %d: ", q->pid);
			buf_printf(&l, "%s:%u (%s)", q->file, (unsigned)q->line, q->func);
			term_line(f, &l);
		}
	}
	if (d->exit_pic && !d->exit_is_death && d->exit_pic->bytes > 0 && d->main) {
		text_bytes(a, sizeof(a), d->exit_pic->bytes);
		buf_printf(&l, "%s: %s (exit.folded, exit.svg)", d->exit_pic->title, a);
		term_line(f, &l);
	}
	if (d->nprocs > 1) {
		buf_printf(&l, "%zu processes profiled (see the report)", d->nprocs);
		term_line(f, &l);
	}
	buf_printf(&l, "report: %s", report_path);
	term_line(f, &l);
	buf_free(&l);
}
