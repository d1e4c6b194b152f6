/* report/html.c — the self-contained index.html (html.h). */
#include "report/html.h"

#include <string.h>

#include "report/escape.h"
#include "report/chart.h"
#include "report/flamegraph.h"
#include "report/summary.h"
#include "report/text.h"
#include "state/format.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
	"color:#1d2330;background:#f4f5f7}\n"
	"main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}\n"
	"h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
	"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}\n"
	".cmd{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:6px 10px;"
	"overflow-x:auto;white-space:pre}\n"
	".verdict{font-size:16px;margin:10px 0}.bad{color:#b3261e}.good{color:#1e7b34}\n"
	".numbers{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0;padding:0}\n"
	".numbers div{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;"
	"min-width:130px}\n"
	".numbers dt{font-size:12px;color:#5b6475}.numbers dd{margin:0;font-size:18px;font-weight:600}\n"
	"table{border-collapse:collapse;background:#fff;width:100%;border:1px solid #dde1e7}\n"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}\n"
	"th{background:#eef0f4;font-weight:600}td.num{text-align:right;white-space:nowrap}\n"
	"td.src{white-space:pre-wrap;word-break:break-all}\n"
	".flame{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:4px;overflow-x:auto}\n"
	".hint{color:#5b6475;font-size:12px}.msg{background:#fff4e5;border:1px solid #f0c36d;"
	"border-radius:6px;padding:6px 10px;margin:6px 0}\n"
	".err{background:#fdecea;border-color:#e6a19b}\n";

static void dd(struct buf *b, const char *dt, const char *value)
{
	buf_puts(b, "<div><dt>");
	esc_html(b, dt);
	buf_puts(b, "</dt><dd>");
	esc_html(b, value);
	buf_puts(b, "</dd></div>\n");
}

/* The page's own behaviour: sortable tables (numbers by data-v or value,
 * text otherwise; a second click reverses) and the callers toggle. */
static const char page_script[] =
	"(function () {\n"
	"  'use strict';\n"
	"  Array.from(document.querySelectorAll('table.sortable')).forEach(function (t) {\n"
	"    Array.from(t.tHead.rows[0].cells).forEach(function (th, col) {\n"
	"      th.style.cursor = 'pointer'; th.title = 'sort';\n"
	"      th.addEventListener('click', function () {\n"
	"        var dir = th.getAttribute('data-dir') === 'desc' ? 'asc' : 'desc';\n"
	"        Array.from(t.tHead.rows[0].cells).forEach(function (h) { h.removeAttribute('data-dir'); });\n"
	"        th.setAttribute('data-dir', dir);\n"
	"        var rows = Array.from(t.tBodies[0].rows);\n"
	"        function key(r) {\n"
	"          var c = r.cells[col], v = c.getAttribute('data-v');\n"
	"          if (v !== null) return +v;\n"
	"          var n = parseFloat(c.textContent);\n"
	"          return isNaN(n) ? c.textContent : n;\n"
	"        }\n"
	"        rows.sort(function (a, b) {\n"
	"          var x = key(a), y = key(b), s = x < y ? -1 : x > y ? 1 : 0;\n"
	"          return dir === 'asc' ? s : -s;\n"
	"        });\n"
	"        rows.forEach(function (r) { t.tBodies[0].appendChild(r); });\n"
	"      });\n"
	"    });\n"
	"  });\n"
	"  var inv = document.getElementById('oomph-invert');\n"
	"  var a = document.getElementById('oomph-callees'), b = document.getElementById('oomph-callers');\n"
	"  if (inv && a && b) inv.addEventListener('click', function () {\n"
	"    var showing = b.hidden;\n"
	"    b.hidden = !showing; a.hidden = showing;\n"
	"    inv.textContent = showing ? 'Show callees (flame graph)' : 'Show callers (inverted)';\n"
	"  });\n"
	"})();\n";

static void headline(struct buf *b, const struct doc *d)
{
	char s[64], verdict[160];
	struct buf cmd;
	buf_init(&cmd);
	text_shell_words(&cmd, d->argc, d->argv);
	buf_puts(b, "<h1>oomph memory report</h1>\n<div class=\"cmd mono\">");
	esc_html(b, buf_str(&cmd));
	buf_puts(b, "</div>\n");
	if (cmd.oom)
		b->oom = 1;
	buf_free(&cmd);

	summary_verdict(verdict, sizeof(verdict), d);
	int ok = !d->signal && d->has_exit_code && d->exit_code == 0;
	if (d->running)
		buf_printf(b, "<p class=\"verdict running\">The program is still running: this is "
			      "a report of %.1f s into the run.</p>\n", d->duration_s);
	else {
		buf_printf(b, "<p class=\"verdict %s\">The program ", ok ? "good" : "bad");
		esc_html(b, verdict);
		buf_printf(b, " after %.1f s.</p>\n", d->duration_s);
	}
	if (d->meta && d->meta->nevidence) {
		buf_puts(b, "<ul class=\"evidence\">\n");
		for (int i = 0; i < d->meta->nevidence; i++) {
			buf_puts(b, "<li>");
			esc_html(b, d->meta->evidence[i]);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	if (d->meta && d->meta->thrashing)
		buf_printf(b, "<p class=\"msg err\">It thrashed: stalled on memory up to %.0f%% of "
			      "the time, for %.1f s on end.</p>\n",
			   d->meta->stall_max_pct, d->meta->thrash_seconds);
	if (d->meta && d->meta->swap.peak_bytes > 0) {
		char peak[32];
		text_bytes(peak, sizeof peak, d->meta->swap.peak_bytes);
		buf_printf(b, "<p class=\"msg err\">It swapped: up to %s in swap, for %.1f s.</p>\n",
			   peak, d->meta->swap.seconds);
	}

	buf_puts(b, "<dl class=\"numbers\">\n");
	if (d->main) {
		const struct profile *p = d->main->p;
		text_bytes(s, sizeof(s), p->peak_bytes);
		dd(b, "Peak tracked memory", s);
		snprintf(s, sizeof(s), "%.2f s", p->peak_time_s);
		dd(b, "Peak reached at", s);
	} else {
		dd(b, "Peak tracked memory", "no data");
	}
	if (d->peak_rss_bytes > 0)
		text_bytes(s, sizeof(s), d->peak_rss_bytes);
	else
		snprintf(s, sizeof(s), "unknown");
	dd(b, "Peak RSS", s);
	const struct profile *mp = d->main ? d->main->p : NULL;
	int64_t limit = d->meta && d->meta->limit_bytes > 0 ? d->meta->limit_bytes
			: mp				     ? mp->limit_bytes
							     : 0;
	if (limit > 0) {
		char lim[32], full[400];
		text_bytes(lim, sizeof lim, limit);
		snprintf(full, sizeof full, "%s \u2014 %s", lim,
			 d->meta && d->meta->limit_source[0] ? d->meta->limit_source
							      : mp->limit_source);
		dd(b, "Memory limit", full);
	}
	if (mp && mp->failures_total) {
		snprintf(s, sizeof(s), "%llu", (unsigned long long)mp->failures_total);
		dd(b, "Failed allocations", s);
	}
	if (d->meta && (d->meta->swap.allowed_bytes >= 0 || d->meta->swap.machine_bytes > 0)) {
		char peak[32], allowed[32], machine[32], full[200];
		text_bytes(peak, sizeof peak, d->meta->swap.peak_bytes);
		text_bytes(allowed, sizeof allowed, d->meta->swap.allowed_bytes);
		text_bytes(machine, sizeof machine, d->meta->swap.machine_bytes > 0 ? d->meta->swap.machine_bytes : 0);
		snprintf(full, sizeof full, "peak %s; allowed %s; the machine has %s", peak,
			 d->meta->swap.allowed_bytes >= 0 ? allowed : "without bound by oomph", machine);
		dd(b, "Swap", full);
	}
	snprintf(s, sizeof(s), "%.2f s", d->duration_s);
	dd(b, "Duration", s);
	if (d->exact || d->sample_rate == 1)
		snprintf(s, sizeof(s), "exact");
	else if (d->sample_rate) {
		char r[32];
		text_bytes(r, sizeof(r), (int64_t)d->sample_rate);
		snprintf(s, sizeof(s), "every %s", r);
	} else
		snprintf(s, sizeof(s), "unknown");
	dd(b, "Sampling", s);
	snprintf(s, sizeof(s), "%zu", d->nprocs);
	dd(b, "Processes profiled", s);
	dd(b, "Python", d->python && d->python[0] ? d->python : "unknown");
	buf_puts(b, "</dl>\n");
}

static void messages(struct buf *b, const struct doc *d)
{
	for (size_t i = 0; i < d->nerrors; i++) {
		buf_puts(b, "<p class=\"msg err\">Could not read <code>");
		esc_html(b, d->errors[i].file);
		buf_puts(b, "</code>: ");
		esc_html(b, d->errors[i].message);
		buf_puts(b, "</p>\n");
	}
	for (size_t i = 0; i < d->nwarnings; i++) {
		buf_puts(b, "<p class=\"msg\">");
		esc_html(b, d->warnings[i]);
		buf_puts(b, "</p>\n");
	}
	if (d->main) {
		const char *why[SUMMARY_MAX_INCOMPLETE];
		size_t n = summary_incomplete(d->main->p, why, SUMMARY_MAX_INCOMPLETE);
		for (size_t i = 0; i < n; i++) {
			buf_puts(b, "<p class=\"msg\">This process ");
			esc_html(b, why[i]);
			buf_puts(b, ".</p>\n");
		}
	}
}

static void top_table(struct buf *b, const struct view *v)
{
	char s[32];
	buf_puts(b, "<h2>Top lines at the peak</h2>\n");
	if (!v->ntop) {
		buf_puts(b, "<p>No tracked memory was live at the peak.</p>\n");
		return;
	}
	buf_puts(b, "<table class=\"sortable\"><thead><tr><th>File</th><th>Line</th>"
		    "<th>Function</th><th>Source</th><th>Bytes</th><th>Share</th></tr></thead>"
		    "<tbody>\n");
	for (size_t i = 0; i < v->ntop; i++) {
		const struct view_top *t = &v->top[i];
		buf_puts(b, "<tr><td class=\"mono\">");
		esc_html(b, t->file);
		buf_puts(b, "</td><td class=\"num\">");
		if (!t->synthetic)
			buf_printf(b, "%u", (unsigned)t->line);
		buf_puts(b, "</td><td class=\"mono\">");
		esc_html(b, t->func);
		buf_puts(b, "</td><td class=\"src mono\">");
		esc_html(b, t->source);
		text_bytes(s, sizeof(s), t->bytes);
		buf_printf(b, "</td><td class=\"num\" data-v=\"%lld\" title=\"%lld bytes\">",
			   (long long)t->bytes, (long long)t->bytes);
		esc_html(b, s);
		buf_printf(b, "</td><td class=\"num\">%.1f%%</td></tr>\n", 100.0 * t->share);
	}
	buf_puts(b, "</tbody></table>\n");
	if (v->nlines > v->ntop)
		buf_printf(b, "<p class=\"hint\">%zu more lines hold memory at the peak: see the flame "
			      "graph or <a href=\"peak.folded\">peak.folded</a>.</p>\n",
			   v->nlines - v->ntop);
}

#define PHASE_GRAPHS 10 /* flame graphs drawn: the largest phases' */

static void phase_row(struct buf *b, const struct doc_phase *f)
{
	const struct profile_phase *ph = f->ph;
	char s[32];
	buf_printf(b, "<tr><td class=\"mono\" style=\"padding-left:%upx\">", 8 + 16 * ph->depth);
	esc_html(b, ph->name);
	if (ph->flags & OOMPH_PHASE_F_OTHER_THREAD)
		buf_printf(b, " <span class=\"hint\">(begun in thread %d, ended in thread %d)</span>",
			   ph->tid_begin, ph->tid_end);
	buf_printf(b, "</td><td class=\"num\" data-v=\"%.3f\">%.2f s</td>", ph->start_s, ph->start_s);
	if (ph->open)
		buf_puts(b, "<td class=\"num\" data-v=\"-1\">not ended</td>");
	else
		buf_printf(b, "<td class=\"num\" data-v=\"%.3f\">%.2f s</td>", ph->end_s - ph->start_s,
			   ph->end_s - ph->start_s);
	int64_t above = ph->peak_bytes - ph->start_bytes;
	text_bytes(s, sizeof(s), above);
	buf_printf(b, "<td class=\"num\" data-v=\"%lld\" title=\"%lld bytes\">", (long long)above,
		   (long long)above);
	esc_html(b, s);
	text_bytes(s, sizeof(s), ph->peak_bytes);
	buf_printf(b, "</td><td class=\"num\" data-v=\"%lld\">", (long long)ph->peak_bytes);
	esc_html(b, s);
	buf_puts(b, "</td>");
	if (ph->open) {
		buf_puts(b, "<td class=\"num\" data-v=\"-1\"></td>");
	} else {
		text_bytes(s, sizeof(s), ph->left_live_bytes);
		buf_printf(b, "<td class=\"num\" data-v=\"%lld\">", (long long)ph->left_live_bytes);
		esc_html(b, s);
		buf_puts(b, "</td>");
	}
	buf_puts(b, "<td class=\"mono\">");
	if (f->peak && f->peak->ntop) {
		const struct view_top *t = &f->peak->top[0];
		esc_html(b, t->file);
		if (!t->synthetic)
			buf_printf(b, ":%u (", (unsigned)t->line);
		if (!t->synthetic) {
			esc_html(b, t->func);
			buf_puts(b, ")");
		}
	} else if (!ph->has_picture && !ph->open) {
		buf_puts(b, "<span class=\"hint\">picture not kept</span>");
	}
	buf_puts(b, "</td></tr>\n");
}

/* Each phase: its numbers, and the largest ones' flame graphs at their
 * peaks (what grew from its start). */
static void phases_section(struct buf *b, const struct doc_proc *dp)
{
	if (!dp || !dp->nphases)
		return;
	const struct profile *p = dp->p;
	buf_puts(b, "<h2>Phases</h2>\n<table class=\"sortable\" id=\"oomph-phases\"><thead><tr>"
		    "<th>Phase</th><th>Start</th><th>Duration</th><th>Peak above its start</th>"
		    "<th>Peak tracked</th><th>Left live</th><th>Top line at its peak</th></tr>"
		    "</thead><tbody>\n");
	for (size_t i = 0; i < dp->nphases; i++)
		phase_row(b, &dp->phases[i]);
	buf_puts(b, "</tbody></table>\n<p class=\"hint\">A phase counts the whole process's "
		    "memory (every thread), exactly: <em>peak above its start</em> is its highest "
		    "total minus the total when it began. <em>Left live</em> is how much the stacks "
		    "that grew during it still held at its end (sampled, like the flame graphs).");
	if (p->phases_total > p->nphases)
		buf_printf(b, " %u earlier phases are not kept (the state keeps the newest %u).",
			   p->phases_total - p->nphases, OOMPH_PHASES_CAP);
	buf_puts(b, "</p>\n");
	/* the largest phases with pictures, largest first */
	size_t shown[PHASE_GRAPHS], n = 0;
	for (size_t i = 0; i < dp->nphases; i++) {
		const struct doc_phase *f = &dp->phases[i];
		if (!f->peak || !f->peak->total)
			continue;
		int64_t key = f->ph->peak_bytes - f->ph->start_bytes;
		size_t k = n < PHASE_GRAPHS ? n++ : PHASE_GRAPHS;
		if (k == PHASE_GRAPHS) {
			const struct profile_phase *last = dp->phases[shown[k - 1]].ph;
			if (key <= last->peak_bytes - last->start_bytes)
				continue;
			k--;
		}
		while (k > 0) {
			const struct profile_phase *q = dp->phases[shown[k - 1]].ph;
			if (q->peak_bytes - q->start_bytes >= key)
				break;
			shown[k] = shown[k - 1];
			k--;
		}
		shown[k] = i;
	}
	for (size_t j = 0; j < n; j++) {
		const struct doc_phase *f = &dp->phases[shown[j]];
		char s[32];
		text_bytes(s, sizeof(s), f->ph->peak_bytes - f->ph->start_bytes);
		buf_printf(b, "<details class=\"phase\" data-phase=\"%u\"%s><summary>Phase <code>",
			   f->ph->id, j == 0 ? " open" : "");
		esc_html(b, f->ph->name);
		buf_puts(b, "</code> at its peak: ");
		esc_html(b, s);
		buf_puts(b, " above its start</summary>\n<div class=\"flame\">\n");
		flame_svg_inline(b, f->peak, "");
		buf_puts(b, "</div>\n</details>\n");
	}
	if (n)
		buf_puts(b, "<p class=\"hint\">Each graph shows the stacks whose live memory grew "
			    "from the phase's start to its peak (stacks that shrank are left out).</p>\n");
}

static void proc_table(struct buf *b, const struct doc *d)
{
	char s[32];
	buf_puts(b, "<h2>Processes</h2>\n<table><thead><tr><th>PID</th><th>Parent</th>"
		    "<th>Command</th><th>Peak tracked</th><th>Peak RSS</th><th>Ended</th>"
		    "<th>Report</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < d->nprocs; i++) {
		const struct doc_proc *dp = &d->procs[i];
		const struct profile *p = dp->p;
		buf_printf(b, "<tr><td class=\"num\">%d</td><td class=\"num\">", p->pid);
		if (dp->parent >= 0)
			buf_printf(b, "%d", dp->parent);
		buf_puts(b, "</td><td class=\"mono\">");
		struct buf cmd;
		buf_init(&cmd);
		text_shell_words(&cmd, p->argc, p->argv);
		esc_html(b, buf_str(&cmd));
		buf_free(&cmd);
		text_bytes(s, sizeof(s), p->peak_bytes);
		buf_puts(b, "</td><td class=\"num\">");
		esc_html(b, s);
		buf_puts(b, "</td><td class=\"num\">");
		if (p->max_rss_bytes > 0) {
			text_bytes(s, sizeof(s), p->max_rss_bytes);
			esc_html(b, s);
		}
		buf_puts(b, "</td><td>");
		if (p->exited_cleanly && p->exit_code >= 0)
			buf_printf(b, "exit path ran (code %d)", p->exit_code);
		else if (p->exited_cleanly)
			buf_puts(b, "exit path ran");
		else
			buf_puts(b, "without its exit path");
		buf_puts(b, "</td><td>");
		if (!strcmp(dp->dir, ".")) {
			buf_puts(b, "this page");
		} else {
			buf_puts(b, "<a href=\"");
			esc_html(b, dp->dir);
			buf_puts(b, "/index.html\">");
			esc_html(b, dp->dir);
			buf_puts(b, "/</a>");
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

void html_page(struct buf *b, const struct doc *d)
{
	struct buf cmd;
	buf_init(&cmd);
	text_shell_words(&cmd, d->argc, d->argv);
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>oomph: ");
	esc_html(b, buf_str(&cmd));
	buf_free(&cmd);
	buf_puts(b, "</title>\n<style>\n");
	buf_puts(b, css);
	buf_puts(b, "</style>\n</head>\n<body>\n<main>\n");
	if (d->up && d->up[0]) {
		buf_puts(b, "<p><a href=\"");
		esc_html(b, d->up);
		buf_puts(b, "index.html\">&#8592; report of the whole run</a></p>\n");
	}
	headline(b, d);
	messages(b, d);

	if (d->timeline) {
		buf_puts(b, "<h2>Memory over time</h2>\n");
		if (d->timeline->n) {
			struct chart_marks cm = {
				.limit_bytes = d->meta ? d->meta->limit_bytes : 0,
				.peak_t = d->main ? d->main->p->peak_time_s : -1,
				.peak_bytes = d->main ? d->main->p->peak_bytes : 0,
				.death_t = d->death ? d->death->time_s : -1,
				.death_label = d->death ? d->death->reason : NULL,
			};
			buf_puts(b, "<div class=\"chart\">\n");
			chart_timeline_svg(b, d->timeline, &cm);
			buf_puts(b, "</div>\n<p class=\"hint\"><span style=\"color:#1a55b0\">\u2014 "
				    "tracked</span> <span style=\"color:#e07b00\">\u2014 RSS</span> ");
			if (chart_has_swap(d->timeline))
				buf_puts(b, "<span style=\"color:#7b2fa8\">- - swap</span> ");
			buf_puts(b, "(every profiled process together); shaded: stalled on memory. "
				    "Hover for the values.</p>\n");
		} else {
			buf_puts(b, "<p>No timeline: the program ended before the first sample "
				    "(they are taken every 100 ms).</p>\n");
		}
	}
	if (d->now) {
		buf_puts(b, "<h2>");
		esc_html(b, d->now->title);
		buf_puts(b, "</h2>\n<div class=\"flame\" id=\"oomph-now\">\n");
		flame_svg_inline(b, d->now->display ? d->now->display : d->now->view, "");
		buf_puts(b, "</div>\n<p class=\"hint\">Also as <a href=\"now.svg\">now.svg</a> and "
			    "<a href=\"now.folded\">now.folded</a>. The program is still running: the "
			    "peak below is the peak so far.</p>\n");
	}
	if (d->death) {
		buf_puts(b, "<h2>");
		esc_html(b, d->death->title);
		buf_puts(b, "</h2>\n<div class=\"flame\">\n");
		flame_svg_inline(b, d->death->display ? d->death->display : d->death->view, "");
		buf_puts(b, "</div>\n<p class=\"hint\">Also as <a href=\"death.svg\">death.svg</a> and "
			    "<a href=\"death.folded\">death.folded</a>.</p>\n");
	}

	buf_puts(b, "<h2>Memory live at the peak</h2>\n");
	if (d->main) {
		struct view *shown = d->main->display ? d->main->display : d->main->view;
		buf_puts(b, "<p><button type=\"button\" id=\"oomph-invert\">Show callers "
			    "(inverted)</button></p>\n<div class=\"flame\" id=\"oomph-callees\">\n");
		flame_svg_inline(b, shown, "");
		buf_puts(b, "</div>\n");
		if (d->main->callers) {
			buf_puts(b, "<div class=\"flame\" id=\"oomph-callers\" hidden>\n");
			flame_svg_inline(b, d->main->callers, "");
			buf_puts(b, "</div>\n");
		}
		buf_puts(b, "<p class=\"hint\">Click a frame to zoom in, <em>Reset zoom</em> "
			    "to go back, <em>Search</em> to highlight frames by name. Frames under "
			    "0.1% are merged into <em>other</em>; Python's import machinery is folded "
			    "into the line that imported. <em>Show callers</em> turns the graph upside "
			    "down: the lines holding memory at the top, who called them below. Also as "
			    "<a href=\"peak.svg\">peak.svg</a>, <a href=\"peak.folded\">peak.folded</a> "
			    "(flamegraph.pl, inferno), <a href=\"peak.speedscope.json\">"
			    "peak.speedscope.json</a> (speedscope) and <a href=\"peak.pb.gz\">"
			    "peak.pb.gz</a> (pprof).</p>\n");
		top_table(b, d->main->view);
	} else {
		buf_puts(b, "<p>No process was profiled: there is no memory data in this run.</p>\n");
	}
	phases_section(b, d->main);
	if (d->combined) {
		buf_puts(b, "<h2>All processes together</h2>\n<div class=\"flame\" id=\"oomph-combined\">\n");
		flame_svg_inline(b, d->combined, "");
		buf_puts(b, "</div>\n<p class=\"hint\">Each process at its own peak, side by side under "
			    "its pid (the peaks need not have been at the same moment).</p>\n");
	}
	if (d->nprocs)
		proc_table(b, d);
	buf_puts(b, "<p class=\"hint\">Machine-readable: <a href=\"summary.json\">summary.json</a>."
		    " Made by oomph.</p>\n</main>\n");
	buf_puts(b, "<script type=\"application/json\" id=\"oomph-summary\">");
	summary_json(b, d, 0, ESC_JSON_SCRIPT);
	buf_puts(b, "</script>\n");
	buf_puts(b, "<script>\n");
	buf_puts(b, page_script);
	buf_puts(b, "</script>\n");
	if (d->main || d->death || d->combined || d->now) {
		buf_puts(b, "<script>\n");
		buf_puts(b, flame_script());
		buf_puts(b, "</script>\n");
	}
	buf_puts(b, "</body>\n</html>\n");
}
