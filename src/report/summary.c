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

void summary_verdict(char *out, size_t n, const struct doc *d)
{
	const struct runmeta *m = d->meta;
	/* killed after swapping: both, in the order they happened */
	if (m && d->verdict && !strcmp(d->verdict, "oom-killed") && m->swap.seconds > 0 &&
	    m->swap.peak_bytes > 0 && n > 0) {
		char peak[32];
		text_bytes(peak, sizeof peak, m->swap.peak_bytes);
		int k = snprintf(out, n, "swapped for %.1f s (peak swap %s), then ", m->swap.seconds, peak);
		if (k >= 0 && (size_t)k < n)
			text_verdict(out + k, n - (size_t)k, d->verdict, d->has_exit_code, d->exit_code,
				     d->signal);
		return;
	}
	text_verdict(out, n, d->verdict, d->has_exit_code, d->exit_code, d->signal);
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

static void process(struct jw *w, const struct doc_proc *dp)
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
	jw_key(w, "peak_rss_bytes");
	if (p->max_rss_bytes > 0)
		jw_int(w, p->max_rss_bytes);
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
	for (int i = 0; m && i < m->nevidence; i++)
		jw_str(w, m->evidence[i]);
	jw_arr_end(w);

	int64_t limit = m && m->limit_bytes > 0 ? m->limit_bytes : mp ? mp->limit_bytes : 0;
	jw_key(w, "limit_bytes");
	if (limit > 0)
		jw_int(w, limit);
	else
		jw_null(w);
	jw_key(w, "limit_kind");
	str_or_null(w, m && m->limit_kind[0] ? m->limit_kind : mp ? mp->limit_kind : NULL);
	jw_key(w, "limit_source");
	str_or_null(w, m && m->limit_source[0] ? m->limit_source : mp ? mp->limit_source : NULL);
	jw_key(w, "limit_mode");
	str_or_null(w, m ? m->limit_mode : NULL);
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
}

/* The top lines of a view (its innermost Python lines), largest first. */
static void top_lines(struct jw *w, const struct view *v)
{
	jw_arr(w);
	for (size_t i = 0; v && i < v->ntop; i++) {
		const struct view_top *t = &v->top[i];
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
		jw_key(w, "synthetic");
		jw_bool(w, t->synthetic);
		jw_obj_end(w);
	}
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

void summary_json(struct buf *b, const struct doc *d, int pretty, unsigned esc_flags)
{
	struct jw w;
	jw_init(&w, b, pretty, esc_flags);
	const struct profile *mp = d->main ? d->main->p : NULL;
	char verdict[160];
	summary_verdict(verdict, sizeof(verdict), d);

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
	jw_str(&w, d->verdict ? d->verdict : "");
	jw_key(&w, "verdict_text");
	jw_str(&w, verdict);
	memory_story(&w, d);
	jw_key(&w, "duration_s");
	jw_num(&w, d->duration_s, 3);
	jw_key(&w, "peak_tracked_bytes");
	if (mp)
		jw_int(&w, mp->peak_bytes);
	else
		jw_null(&w);
	jw_key(&w, "peak_time_s");
	if (mp)
		jw_num(&w, mp->peak_time_s, 3);
	else
		jw_null(&w);
	jw_key(&w, "peak_rss_bytes");
	if (d->peak_rss_bytes > 0)
		jw_int(&w, d->peak_rss_bytes);
	else
		jw_null(&w);
	jw_key(&w, "sample_rate_bytes");
	if (d->sample_rate)
		jw_int(&w, (int64_t)d->sample_rate);
	else
		jw_null(&w);
	jw_key(&w, "exact");
	jw_bool(&w, d->exact);
	jw_key(&w, "processes");
	jw_arr(&w);
	for (size_t i = 0; i < d->nprocs; i++)
		process(&w, &d->procs[i]);
	jw_arr_end(&w);
	jw_key(&w, "top");
	top_lines(&w, d->main ? d->main->view : NULL);
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
	char verdict[160], a[32], b2[32], c[32];
	summary_verdict(verdict, sizeof(verdict), d);
	text_shell_words(&l, d->argc, d->argv);
	if (d->running)
		buf_printf(&l, "%sis still running: this is a report of %.1f s into the run",
			   d->argc ? " " : "", d->duration_s);
	else
		buf_printf(&l, "%s%s after %.1f s", d->argc ? " " : "", verdict, d->duration_s);
	term_line(f, &l);

	for (int i = 0; d->meta && i < d->meta->nevidence; i++) {
		buf_printf(&l, "  - %s", d->meta->evidence[i]);
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
		text_bytes(a, sizeof(a), p->peak_bytes);
		buf_printf(&l, "peak tracked memory %s at %.1f s; ", a, p->peak_time_s);
		if (d->peak_rss_bytes > 0) {
			text_bytes(b2, sizeof(b2), d->peak_rss_bytes);
			buf_printf(&l, "peak RSS %s; ", b2);
		} else {
			buf_puts(&l, "peak RSS unknown; ");
		}
		if (d->exact || d->sample_rate == 1) {
			buf_puts(&l, "every allocation recorded (exact)");
		} else {
			text_bytes(c, sizeof(c), (int64_t)d->sample_rate);
			buf_printf(&l, "sampling every %s", c);
		}
		term_line(f, &l);
		if (p->recording_stopped[0]) {
			buf_puts(&l, p->recording_stopped);
			term_line(f, &l);
		}
		const struct view *v = d->main->view;
		if (v && v->ntop) {
			buf_puts(&l, "top lines at the peak:");
			term_line(f, &l);
			for (size_t i = 0; i < v->ntop && i < SUMMARY_TERM_TOP; i++) {
				const struct view_top *t = &v->top[i];
				text_bytes(a, sizeof(a), t->bytes);
				buf_printf(&l, "%7.1f%%  %10s  ", 100.0 * t->share, a);
				if (t->synthetic)
					buf_puts(&l, t->file);
				else
					buf_printf(&l, "%s:%u (%s)", t->file, (unsigned)t->line, t->func);
				if (t->source[0])
					buf_printf(&l, "  %s", t->source);
				term_line(f, &l);
			}
		}
	}
	if (d->nprocs > 1) {
		buf_printf(&l, "%zu processes profiled (see the report)", d->nprocs);
		term_line(f, &l);
	}
	buf_printf(&l, "report: %s", report_path);
	term_line(f, &l);
	buf_free(&l);
}
