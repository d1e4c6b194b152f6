/* report/html.c — the self-contained index.html (html.h). */
#include "report/html.h"

#include <string.h>

#include "common/numfmt.h"
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
	".verdict{font-size:16px;margin:10px 0}.death{color:#b3261e}.good{color:#1e7b34}"
	".ended{color:#1d2330}\n"
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

const char *html_css(void)
{
	return css;
}

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
	"  function byId(i) { return document.getElementById(i); }\n"
	"  var inv = byId('oomph-invert'), pl = byId('oomph-show-plumbing');\n"
	"  var a = byId('oomph-callees'), b = byId('oomph-callers'), c = byId('oomph-plumbing');\n"
	"  var st = { inv: false, pl: false };\n"
	"  function show() {\n"
	"    a.hidden = st.inv || (st.pl && !!c);\n"
	"    if (b) b.hidden = !st.inv;\n"
	"    if (c) c.hidden = st.inv || !st.pl;\n"
	"    if (inv) inv.textContent = st.inv ? 'Show callees (flame graph)' : 'Show callers (inverted)';\n"
	"    if (pl) {\n"
	"      pl.textContent = st.pl ? 'Fold the run machinery' : 'Show the run machinery';\n"
	"      pl.disabled = st.inv;\n"
	"    }\n"
	"  }\n"
	"  if (inv && a && b) inv.addEventListener('click', function () { st.inv = !st.inv; show(); });\n"
	"  if (pl && a && c) pl.addEventListener('click', function () { st.pl = !st.pl; show(); });\n"
	/* the timeline: a moment (click) or a range (drag) */
	"  var tl = document.querySelector('svg.oomph-timeline'), md = byId('oomph-moments'),\n"
	"      box = byId('oomph-moment');\n"
	"  if (tl && md && box) {\n"
	"    var ms = JSON.parse(md.textContent), down = null;\n"
	"    var fmt = function (v) {\n"
	"      var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0, x = Math.abs(v);\n"
	"      while (x >= 1024 && i < 4) { x /= 1024; i++; }\n"
	"      return (v < 0 ? '-' : '') + (i ? x.toFixed(1) : x) + ' ' + u[i];\n"
	"    };\n"
	"    var tAt = function (cx) {\n"
	"      var r = tl.getBoundingClientRect(), vb = tl.viewBox.baseVal;\n"
	"      var x = (cx - r.left) * vb.width / r.width, x0 = +tl.getAttribute('data-x0');\n"
	"      var x1 = +tl.getAttribute('data-x1'), t0 = +tl.getAttribute('data-t0');\n"
	"      return t0 + (x - x0) / (x1 - x0) * (+tl.getAttribute('data-t1') - t0);\n"
	"    };\n"
	"    var near = function (t) {\n"
	"      var k = 0;\n"
	"      for (var i = 1; i < ms.length; i++) if (Math.abs(ms[i].t - t) < Math.abs(ms[k].t - t)) k = i;\n"
	"      return k;\n"
	"    };\n"
	"    var put = function (title, rows) {\n"
	"      box.textContent = '';\n"
	"      var h = document.createElement('h3'); h.textContent = title; box.appendChild(h);\n"
	"      var t = document.createElement('table'); t.className = 'picked';\n"
	"      rows.forEach(function (r) {\n"
	"        var tr = t.insertRow(), a = tr.insertCell(), b = tr.insertCell();\n"
	"        a.className = 'mono'; a.textContent = r[0]; b.className = 'num'; b.textContent = fmt(r[1]);\n"
	"      });\n"
	"      box.appendChild(t);\n"
	"    };\n"
	"    window.oomphPick = function (ta, tb) {\n"
	"      var a = near(ta), z = near(tb === undefined ? ta : tb);\n"
	"      if (a > z) { var s = a; a = z; z = s; }\n"
	"      if (a === z) {\n"
	"        put('Live at ' + ms[a].t.toFixed(2) + ' s: ' + fmt(ms[a].bytes), ms[a].lines.slice(0, 15));\n"
	"        return;\n"
	"      }\n"
	"      var g = {}, rows = [];\n"
	"      ms[z].lines.forEach(function (l) { g[l[0]] = l[1]; });\n"
	"      ms[a].lines.forEach(function (l) { g[l[0]] = (g[l[0]] || 0) - l[1]; });\n"
	"      Object.keys(g).forEach(function (k) { if (g[k] > 0) rows.push([k, g[k]]); });\n"
	"      rows.sort(function (p, q) { return q[1] - p[1]; });\n"
	"      put('Grew from ' + ms[a].t.toFixed(2) + ' s to ' + ms[z].t.toFixed(2) + ' s (total ' +\n"
	"          fmt(ms[z].bytes - ms[a].bytes) + ')', rows.slice(0, 15));\n"
	"    };\n"
	"    tl.style.cursor = 'crosshair';\n"
	"    tl.addEventListener('mousedown', function (ev) { down = ev.clientX; ev.preventDefault(); });\n"
	"    tl.addEventListener('mouseup', function (ev) {\n"
	"      var from = down === null ? ev.clientX : down; down = null;\n"
	"      if (Math.abs(ev.clientX - from) > 5) window.oomphPick(tAt(from), tAt(ev.clientX));\n"
	"      else window.oomphPick(tAt(ev.clientX));\n"
	"    });\n"
	"  }\n"
	"})();\n";

/* The whole job over time: each process's part stacked, the job's total,
 * its exact peak and the limit (report/chart.h chart_stack_svg). */
static void job_chart(struct buf *b, const struct doc *d)
{
	struct chart_stack cs = *d->job_stack;
	cs.limit_bytes = d->head.limit_bytes;
	cs.peak_t = d->head.job.has_peak ? d->head.job.peak_time_s : -1;
	cs.peak_bytes = d->head.job.peak_tracked_bytes;
	cs.death_t = d->death ? d->death->time_s : -1;
	cs.death_label = d->death ? d->death->reason : NULL;
	if (!d->death && d->head.job.death_victim) {
		/* a worker's death is the job's */
		cs.death_t = d->head.job.death_time_s;
		cs.death_label = d->head.job.death_victim->verdict;
	}
	buf_puts(b, "<h2>The whole job over time</h2>\n<div class=\"chart\" id=\"oomph-job-chart\">\n");
	chart_stack_svg(b, &cs);
	buf_printf(b, "</div>\n<p class=\"hint\">Each process's tracked memory, stacked: its part "
		      "of the job (a fork child's inherited heap is its parent's), largest at the "
		      "bottom%s. The line on top is their sum, the job's total; the job's peak is "
		      "the exact figure of the job file. Hover for the values. Also as <a "
		      "href=\"job-timeline.tsv\">job-timeline.tsv</a>.</p>\n",
		   cs.nbands > CHART_BANDS_MAX + 1 ? ", the smaller ones together on top" : "");
}

static void headline(struct buf *b, const struct doc *d)
{
	const struct doc_headline *h = &d->head;
	char s[64];
	struct buf cmd;
	buf_init(&cmd);
	text_shell_words(&cmd, d->argc, d->argv);
	buf_puts(b, "<h1>oomph memory report</h1>\n<div class=\"cmd mono\">");
	esc_html(b, buf_str(&cmd));
	buf_puts(b, "</div>\n");
	if (cmd.oom)
		b->oom = 1;
	buf_free(&cmd);

	if (d->running)
		buf_printf(b, "<p class=\"verdict running\">The program is still running: this is "
			      "a report of %.1f s into the run.</p>\n", d->duration_s);
	else {
		buf_printf(b, "<p class=\"verdict %s\">The program ", h->tone);
		esc_html(b, h->verdict_text);
		buf_printf(b, " after %.1f s.</p>\n", d->duration_s);
	}
	if (h->sizing.has) {
		/* the advice, with what to type in code font */
		const struct doc_sizing *z = &h->sizing;
		char need[32];
		text_bytes(need, sizeof need, z->needed_bytes);
		buf_puts(b, "<p class=\"sizing\" id=\"oomph-sizing\">");
		if (z->at_limit) {
			esc_html(b, z->text);
		} else {
			buf_printf(b, "This job needed <strong>%s</strong> (", need);
			esc_html(b, z->needed_what);
			buf_printf(b, "); to run it with headroom request <strong>%s</strong>: Kubernetes "
				      "<code>resources.limits.memory: %s</code>, Slurm <code>--mem=%s</code>, "
				      "Docker <code>--memory=%s</code>.",
				   z->request, z->kubernetes, z->slurm, z->docker);
		}
		buf_puts(b, "</p>\n");
	}
	if (h->gap.has) {
		/* the same sentence, starting with a capital */
		buf_puts(b, "<p class=\"hint\" id=\"oomph-rss-gap\">Why RSS and tracked memory "
			    "differ: ");
		esc_html(b, h->gap.text);
		buf_puts(b, ".</p>\n");
	}
	if (doc_nevidence(d)) {
		buf_puts(b, "<ul class=\"evidence\">\n");
		for (size_t i = 0; i < doc_nevidence(d); i++) {
			buf_puts(b, "<li>");
			esc_html(b, doc_evidence(d, i));
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
	if (h->job.has_peak && h->job.nprocs > 1) {
		/* the job leads: every process at one instant */
		char t[32], j[128];
		text_bytes(t, sizeof(t), h->job.peak_tracked_bytes);
		snprintf(j, sizeof(j), "%s at %.2f s, %zu processes", t, h->job.peak_time_s,
			 h->job.nprocs);
		dd(b, "Job peak (tracked)", j);
	}
	if (h->has_peak) {
		text_bytes(s, sizeof(s), h->peak_bytes);
		dd(b, h->job.nprocs > 1 ? "Main process peak" : "Peak tracked memory", s);
		snprintf(s, sizeof(s), "%.2f s", h->peak_time_s);
		dd(b, "Peak reached at", s);
		if (h->inherited_bytes > 0) {
			/* a fork child: part of its peak is its parent's heap */
			char t[32], f[32], j[200];
			text_bytes(t, sizeof(t), h->inherited_bytes);
			text_bytes(f, sizeof(f), h->inherited_freed_bytes);
			snprintf(j, sizeof(j), "%s (its parent's, counted once in the job); freed "
				 "by it: %s", t, f);
			dd(b, "Inherited at fork", j);
		}
	} else {
		dd(b, "Peak tracked memory", "no data");
	}
	if (h->peak_rss_bytes > 0)
		text_bytes(s, sizeof(s), h->peak_rss_bytes);
	else
		snprintf(s, sizeof(s), "unknown");
	dd(b, "Peak RSS", s);
	char jr[512];
	doc_job_rss_words(&h->job, jr, sizeof jr);
	if (jr[0])
		dd(b, "Peak RSS of the whole job", jr);
	const struct profile *mp = d->main ? d->main->p : NULL;
	if (h->limit_bytes > 0) {
		char lim[32], full[400];
		text_bytes(lim, sizeof lim, h->limit_bytes);
		snprintf(full, sizeof full, "%s \u2014 %s", lim, h->limit_source);
		dd(b, "Memory limit", full);
	}
	if (h->shm.nsegments) {
		char held[32], full[96];
		text_bytes(held, sizeof held, h->shm.bytes);
		snprintf(full, sizeof full, "%s in %zu segment%s", held, h->shm.nsegments,
			 h->shm.nsegments == 1 ? "" : "s");
		dd(b, d->running ? "Shared memory held now" : "Shared memory held at the end", full);
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
	if (h->exact)
		snprintf(s, sizeof(s), "exact");
	else if (h->sample_rate) {
		char r[32];
		text_bytes(r, sizeof(r), (int64_t)h->sample_rate);
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

/* One row of a lines table; via: NULL for the innermost table. */
/* A line's first cells: <tr>, file, line, function (the last one open). */
static void line_cells(struct buf *b, const struct view_top *t)
{
	buf_puts(b, "<tr><td class=\"mono\">");
	esc_html(b, t->file);
	buf_puts(b, "</td><td class=\"num\">");
	if (!t->synthetic)
		buf_printf(b, "%u", (unsigned)t->line);
	buf_puts(b, "</td><td class=\"mono\">");
	esc_html(b, t->func);
}

static void line_row(struct buf *b, const struct view_top *t, const char *via)
{
	char s[32];
	line_cells(b, t);
	buf_puts(b, "</td><td class=\"src mono\">");
	esc_html(b, t->source);
	text_bytes(s, sizeof(s), t->bytes);
	buf_printf(b, "</td><td class=\"num\" data-v=\"%lld\" title=\"%lld bytes\">",
		   (long long)t->bytes, (long long)t->bytes);
	esc_html(b, s);
	buf_printf(b, "</td><td class=\"num\">%.1f%%</td>", 100.0 * t->share);
	if (via) {
		buf_puts(b, "<td class=\"mono\">");
		esc_html(b, via);
		buf_puts(b, "</td>");
	}
	buf_puts(b, "</tr>\n");
}

#define LINES_HEAD "<thead><tr><th>File</th><th>Line</th><th>Function</th><th>Source</th>" \
		   "<th>Bytes</th><th>Share</th>"

/* "Your lines": the program's own lines first, what they called beside. */
static void mine_table(struct buf *b, const struct view *v)
{
	buf_puts(b, "<h2>Your lines at the peak</h2>\n");
	if (!v->nmine) {
		buf_puts(b, "<p>No tracked memory was live at the peak.</p>\n");
		return;
	}
	buf_puts(b, "<table class=\"sortable\" id=\"oomph-mine\">" LINES_HEAD
		    "<th>Via</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < v->nmine; i++)
		line_row(b, &v->mine[i].l, v->mine[i].via);
	buf_puts(b, "</tbody></table>\n<p class=\"hint\">Each stack counts for the innermost line "
		    "of the program's own code on it (not the standard library, not an installed "
		    "package, not the interpreter's frozen modules); <em>via</em> is the innermost "
		    "frame that allocated most of it. A stack with no line of the program is named by "
		    "what it imported.");
	if (v->nmine_lines > v->nmine)
		buf_printf(b, " %zu more lines hold memory at the peak.", v->nmine_lines - v->nmine);
	buf_puts(b, "</p>\n");
}

/* The pictures of a few moments (report/moments.h) for the page's script:
 * click the chart for what was live then, drag across it for what grew.
 * Times on the chart's clock. */
static void moments_data(struct buf *b, const struct doc *d)
{
	if (!d->nmoments || !d->main)
		return;
	const struct view *v = d->main->view;
	buf_puts(b, "<div id=\"oomph-moment\"><p class=\"hint\">Click the chart for what was "
		    "live at that moment; drag across it for what grew in between (the lines "
		    "holding most at each of a few moments of the tracker's record).</p></div>\n"
		    "<script type=\"application/json\" id=\"oomph-moments\">[");
	for (size_t i = 0; i < d->nmoments; i++) {
		const struct moment_pic *m = &d->moments[i];
		/* "%s{\"t\":%.4f,\"bytes\":%lld,\"lines\":[" and ",%lld]" by
		 * numfmt.h: a few for every line of every moment */
		char num[NUMFMT_MAX];
		buf_puts(b, i ? ",{\"t\":" : "{\"t\":");
		buf_put(b, num, (size_t)numfmt_fixed(num, m->t_s + d->memory_offset_s, 4));
		buf_puts(b, ",\"bytes\":");
		buf_put(b, num, (size_t)numfmt_i64(num, m->bytes));
		buf_puts(b, ",\"lines\":[");
		for (uint32_t k = 0; k < m->n; k++) {
			buf_puts(b, k ? ",[" : "[");
			esc_json(b, m->lines[k].frame < v->nframes ? v->label[m->lines[k].frame] : "?",
				 ESC_JSON_SCRIPT);
			buf_putc(b, ',');
			buf_put(b, num, (size_t)numfmt_i64(num, m->lines[k].bytes));
			buf_putc(b, ']');
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]</script>\n");
}

/* Leak suspects (report/leaks.h), then what was still live at exit. */
static void leaks_section(struct buf *b, const struct doc *d)
{
	if (!d->main)
		return;
	buf_puts(b, "<h2>Leak suspects</h2>\n");
	if (!d->nleaks) {
		buf_puts(b, "<p id=\"oomph-leaks\">No line's live bytes grew steadily through the "
			    "run.</p>\n");
	} else {
		int procs = d->nprocs > 1; /* whose: the job has several */
		buf_printf(b, "<table class=\"sortable\" id=\"oomph-leaks\"><thead><tr>%s<th>Line</th>"
			      "<th>Grew by</th><th>Rate</th><th>R\u00b2</th><th>From</th><th>To</th>"
			      "</tr></thead><tbody>\n",
			   procs ? "<th>Process</th>" : "");
		for (size_t i = 0; i < d->nleaks; i++) {
			const struct leak_suspect *q = &d->leaks[i];
			char g[32], r[32];
			text_bytes(g, sizeof g, q->grown_bytes);
			text_bytes(r, sizeof r, (int64_t)q->rate_bytes_per_s);
			buf_puts(b, "<tr>");
			if (procs)
				buf_printf(b, "<td class=\"num\" data-v=\"%d\">%d</td>", q->pid, q->pid);
			buf_puts(b, "<td class=\"mono\">");
			esc_html(b, q->file);
			buf_printf(b, ":%u (", (unsigned)q->line);
			esc_html(b, q->func);
			buf_printf(b, ")</td><td class=\"num\" data-v=\"%lld\">%s</td>"
				      "<td class=\"num\" data-v=\"%.0f\">%s/s</td><td class=\"num\">%.2f</td>"
				      "<td class=\"num\">%.1f s</td><td class=\"num\">%.1f s</td></tr>\n",
				   (long long)q->grown_bytes, g, q->rate_bytes_per_s, r, q->r2, q->from_s,
				   q->to_s);
		}
		buf_puts(b, "</tbody></table>\n<p class=\"hint\">Lines (the program's own, else "
			    "the innermost) whose live bytes rose steadily from the moment they first "
			    "held memory: a least-squares fit of their bytes at each point of the "
			    "tracker's timeline (each process's own, its own time), R\u00b2 at least 0.8, growth at least 1 MiB and 1% of "
			    "the peak.</p>\n");
	}
	if (d->exit_pic && !d->exit_is_death) {
		char s[32];
		text_bytes(s, sizeof s, d->exit_pic->bytes);
		buf_puts(b, "<h2>");
		esc_html(b, d->exit_pic->title);
		buf_printf(b, ": %s</h2>\n<div class=\"flame\" id=\"oomph-exit\">\n", s);
		flame_svg_inline(b, d->exit_pic->display ? d->exit_pic->display : d->exit_pic->view,
				 "");
		buf_puts(b, "</div>\n<p class=\"hint\">Also as <a href=\"exit.svg\">exit.svg</a> and "
			    "<a href=\"exit.folded\">exit.folded</a>.</p>\n");
	}
}

static void top_table(struct buf *b, const struct view *v)
{
	buf_puts(b, "<details id=\"oomph-innermost\"><summary>Innermost lines at the peak "
		    "(wherever the allocation was made)</summary>\n");
	if (!v->ntop) {
		buf_puts(b, "<p>No tracked memory was live at the peak.</p>\n</details>\n");
		return;
	}
	buf_puts(b, "<table class=\"sortable\">" LINES_HEAD "</tr></thead><tbody>\n");
	for (size_t i = 0; i < v->ntop; i++)
		line_row(b, &v->top[i], NULL);
	buf_puts(b, "</tbody></table>\n");
	if (v->nlines > v->ntop)
		buf_printf(b, "<p class=\"hint\">%zu more lines hold memory at the peak: see the flame "
			      "graph or <a href=\"peak.folded\">peak.folded</a>.</p>\n",
			   v->nlines - v->ntop);
	buf_puts(b, "</details>\n");
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
		if (doc_proc_rss(dp) > 0) {
			text_bytes(s, sizeof(s), doc_proc_rss(dp));
			esc_html(b, s);
		}
		buf_puts(b, "</td><td>");
		char ending[400];
		if (i == 0 && d->meta && d->signal && !p->exited_cleanly && !dp->victim)
			/* the process oomph started, ended by a signal: the
			 * supervisor saw which (Ctrl-C is "interrupted") */
			text_verdict(ending, sizeof ending, d->head.verdict, d->has_exit_code,
				     d->exit_code, d->signal);
		else
			doc_proc_ending(dp, ending, sizeof ending);
		esc_html(b, ending);
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

	if (d->head.job.death && d->head.job.nprocs > 1) {
		/* a death in the job comes first: every process at that instant */
		const struct doc_job *j = &d->head.job;
		char s[32];
		text_bytes(s, sizeof(s), j->death_bytes);
		buf_puts(b, "<h2>The whole job ");
		esc_html(b, j->death_when);
		buf_printf(b, ": %s at %.2f s</h2>\n", s, j->death_time_s);
		buf_puts(b, "<div class=\"flame\" id=\"oomph-job-death\">\n");
		flame_svg_inline(b, j->death, "");
		buf_printf(b, "</div>\n<p class=\"hint\">Each process under a frame naming it: process "
			      "%d with what it held when it died, every other process of the job as "
			      "its last record by then showed it (a fork child's inherited heap is its "
			      "parent's). ",
			   j->death_victim->pid);
		for (size_t i = 0; i < j->nat_death; i++) {
			text_bytes(s, sizeof(s), j->at_death[i].bytes);
			buf_printf(b, "%sprocess %d: %s", i ? ", " : "", j->at_death[i].pid, s);
		}
		buf_puts(b, ". Also as <a href=\"job-death.svg\">job-death.svg</a> and <a "
			    "href=\"job-death.folded\">job-death.folded</a>.</p>\n");
	}
	if (d->head.job.top && d->head.job.nprocs > 1) {
		/* the job first: every process at the job's peak, side by side */
		const struct doc_job *j = &d->head.job;
		char s[32];
		text_bytes(s, sizeof(s), j->peak_tracked_bytes);
		buf_printf(b, "<h2>The whole job at its peak: %s at %.2f s</h2>\n", s, j->peak_time_s);
		buf_puts(b, "<div class=\"flame\" id=\"oomph-job\">\n");
		flame_svg_inline(b, j->top, "");
		buf_puts(b, "</div>\n<p class=\"hint\">Each process under a frame naming it; also as "
			    "<a href=\"job.svg\">job.svg</a> and <a href=\"job.folded\">job.folded</a>."
			    "</p>\n");
		buf_puts(b, "<table class=\"sortable\" id=\"oomph-job-lines\"><caption>Top lines "
			    "across the job (the same line in several processes is one row)</caption>"
			    "<thead><tr><th>File</th><th>Line</th><th>Function</th><th>Bytes</th>"
			    "<th>Processes</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < j->top->ntop; i++) {
			const struct view_top *t = &j->top->top[i];
			line_cells(b, t);
			text_bytes(s, sizeof(s), t->bytes);
			buf_printf(b, "</td><td class=\"num\" data-v=\"%lld\">%s</td><td class=\"num\">%zu"
				      "</td></tr>\n",
				   (long long)t->bytes, s, j->top_nprocs ? j->top_nprocs[i] : 0);
		}
		buf_puts(b, "</tbody></table>\n");
	}
	if (d->job_stack)
		job_chart(b, d);
	if (d->timeline || d->nmemory) {
		buf_puts(b, "<h2>Memory over time</h2>\n");
		if ((d->timeline && d->timeline->n) || d->nmemory > 1) {
			struct chart_marks cm = {
				.limit_bytes = d->head.limit_bytes,
				/* the process's clock, moved to the run's like its line */
				.peak_t = d->head.has_peak ? d->head.peak_time_s +
								     (d->nmemory > 1 ? d->memory_offset_s : 0)
							   : -1,
				.peak_bytes = d->head.peak_bytes,
				.death_t = d->death ? d->death->time_s : -1,
				.death_label = d->death ? d->death->reason : NULL,
				.memory = d->memory,
				.nmemory = d->nmemory,
			};
			buf_puts(b, "<div class=\"chart\">\n");
			chart_timeline_svg(b, d->timeline, &cm);
			buf_puts(b, "</div>\n<p class=\"hint\"><span style=\"color:#1a55b0\">\u2014 "
				    "tracked</span> <span style=\"color:#e07b00\">\u2014 RSS</span> ");
			if (chart_has_swap(d->timeline))
				buf_puts(b, "<span style=\"color:#7b2fa8\">- - swap</span> ");
			if (d->nmemory > 1)
				buf_puts(b, "(tracked: exact, as the program's tracker recorded it at "
					    "every change of about 1%; RSS: sampled every 100 ms); "
					    "shaded: stalled on memory. Hover for the values.</p>\n");
			else
				buf_puts(b, "(every profiled process together); shaded: stalled on "
					    "memory. Hover for the values.</p>\n");
			moments_data(b, d);
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
			    "(inverted)</button>");
		if (d->main->plumbing)
			buf_puts(b, " <button type=\"button\" id=\"oomph-show-plumbing\" title=\"runpy, "
				    "threading's and multiprocessing's bootstraps, pytest and pluggy's call "
				    "chain\">Show the run machinery</button>");
		buf_puts(b, "</p>\n<div class=\"flame\" id=\"oomph-callees\">\n");
		flame_svg_inline(b, shown, "");
		buf_puts(b, "</div>\n");
		if (d->main->plumbing) {
			buf_puts(b, "<div class=\"flame\" id=\"oomph-plumbing\" hidden=\"\">\n");
			flame_svg_inline(b, d->main->plumbing, "");
			buf_puts(b, "</div>\n");
		}
		if (d->main->callers) {
			buf_puts(b, "<div class=\"flame\" id=\"oomph-callers\" hidden>\n");
			flame_svg_inline(b, d->main->callers, "");
			buf_puts(b, "</div>\n");
		}
		buf_puts(b, "<p class=\"hint\">Click a frame to zoom in, <em>Reset zoom</em> "
			    "to go back, <em>Search</em> to highlight frames by name. Frames under "
			    "0.1% are merged into <em>other</em>; Python's import machinery is folded "
			    "into the line that imported, and the machinery every run of its kind has "
			    "(runpy, threading's and multiprocessing's bootstraps, pytest and pluggy's "
			    "call chain) into the line it ran. Frames are named as a person knows them "
			    "(a package's file below its site-packages, the standard library's below "
			    "its directory): hover for the full path. <em>Show callers</em> turns the graph upside "
			    "down: the lines holding memory at the top, who called them below. Also as "
			    "<a href=\"peak.svg\">peak.svg</a>, <a href=\"peak.folded\">peak.folded</a> "
			    "(flamegraph.pl, inferno), <a href=\"peak.speedscope.json\">"
			    "peak.speedscope.json</a> (speedscope) and <a href=\"peak.pb.gz\">"
			    "peak.pb.gz</a> (pprof).</p>\n");
		mine_table(b, d->main->view);
		top_table(b, d->main->view);
	} else {
		buf_puts(b, "<p>No process was profiled: there is no memory data in this run.</p>\n");
	}
	leaks_section(b, d);
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
