/* report/chart.c — the timeline chart (chart.h). */
#include "report/chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/numfmt.h"
#include "report/escape.h"
#include "report/text.h"

#define W 1000.0
#define H 240.0
#define L 70.0  /* left margin: the byte axis */
#define R 20.0
#define T 20.0
#define B 30.0

struct scale {
	double t0, t1, ymax;
};

static double sx(const struct scale *s, double t)
{
	double span = s->t1 - s->t0;
	return L + (span > 0 ? (t - s->t0) / span : 0) * (W - L - R);
}

static double sy(const struct scale *s, double v)
{
	return H - B - (s->ymax > 0 ? v / s->ymax : 0) * (H - T - B);
}

int64_t chart_swap_of(const struct timeline_point *p)
{
	return p->cgroup_swap_bytes >= 0 ? p->cgroup_swap_bytes : p->vmswap_bytes;
}

int chart_has_swap(const struct timeline *tl)
{
	for (size_t i = 0; tl && i < tl->n; i++)
		if (chart_swap_of(&tl->p[i]) > 0)
			return 1;
	return 0;
}

enum series { SERIES_TRACKED, SERIES_RSS, SERIES_SWAP };

/* "%.Nf" of v, through common/numfmt.h: a few for every sample. */
static void put_fixed(struct buf *b, double v, int decimals)
{
	char t[NUMFMT_MAX];
	buf_put(b, t, (size_t)numfmt_fixed(t, v, decimals));
}

/* " X,Y" (no space before the first) of a polyline's point. */
static void put_point(struct buf *b, int first, double x, double y)
{
	if (!first)
		buf_puts(b, " ");
	put_fixed(b, x, 1);
	buf_puts(b, ",");
	put_fixed(b, y, 1);
}

static void polyline(struct buf *b, const struct timeline *tl, const struct scale *s,
		     enum series which, const char *cls)
{
	buf_printf(b, "<polyline class=\"%s\" fill=\"none\" points=\"", cls);
	for (size_t i = 0; i < tl->n; i++) {
		const struct timeline_point *p = &tl->p[i];
		double v = (double)(which == SERIES_RSS    ? p->rss_bytes
				    : which == SERIES_SWAP ? chart_swap_of(p)
							   : p->tracked_bytes);
		put_point(b, i == 0, sx(s, tl->p[i].t_s), sy(s, v));
	}
	buf_puts(b, "\"/>\n");
}

static void vmark(struct buf *b, const struct scale *s, double t, const char *cls,
		  const char *label, double y_label)
{
	double x = sx(s, t);
	buf_printf(b, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"/>", cls, x,
		   x, T, H - B);
	buf_printf(b, "<text class=\"%s\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">", cls,
		   x + (x > W / 2 ? -4 : 4), y_label, x > W / 2 ? "end" : "start");
	esc_xml(b, label);
	buf_puts(b, "</text>\n");
}

/* The tracker's record as the tracked line, with a hover target on each
 * local maximum (the points where a phase peaked). */
static void memory_line(struct buf *b, const struct chart_marks *m, const struct scale *s)
{
	buf_puts(b, "<polyline class=\"tr\" fill=\"none\" points=\"");
	for (size_t i = 0; i < m->nmemory; i++)
		put_point(b, i == 0, sx(s, m->memory[i].t_s), sy(s, (double)m->memory[i].bytes));
	buf_puts(b, "\"/>\n");
	for (size_t i = 0; i < m->nmemory; i++) {
		int64_t v = m->memory[i].bytes;
		if ((i && m->memory[i - 1].bytes > v) ||
		    (i + 1 < m->nmemory && m->memory[i + 1].bytes >= v))
			continue;
		char a[32];
		text_bytes(a, sizeof a, v);
		buf_printf(b, "<circle class=\"pt mx\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>"
			      "%.3f s: tracked %s</title></circle>\n",
			   sx(s, m->memory[i].t_s), sy(s, (double)v), m->memory[i].t_s, a);
	}
}

/* Ticks on the time axis: a round step giving at most 10 of them. */
static void time_ticks(struct buf *b, const struct scale *s)
{
	double span = s->t1 - s->t0, step = 1e-3;
	static const double mult[3] = {1, 2, 5};
	for (double p10 = 1e-3; p10 < 1e9; p10 *= 10) {
		int found = 0;
		for (int k = 0; k < 3 && !found; k++)
			if (span / (p10 * mult[k]) <= 10) {
				step = p10 * mult[k];
				found = 1;
			}
		if (found)
			break;
	}
	int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
	double first = step * (double)(long long)(s->t0 / step);
	if (first < s->t0 - 1e-9)
		first += step;
	for (int k = 0; k <= 11; k++) {
		double t = first + step * k;
		if (t > s->t1 + 1e-9)
			break;
		double x = sx(s, t);
		buf_printf(b, "<line class=\"ax tk\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" "
			      "y2=\"%.0f\"/><text class=\"tk\" x=\"%.1f\" y=\"%.0f\" "
			      "text-anchor=\"middle\">%.*f s</text>\n",
			   x, x, H - B, H - B + 5, x, H - 10, decimals, t);
	}
}

/* The time scale from 0 (the run's start) to the last of its curves, the
 * peak and the death. */
static void scale_span(struct scale *s, double peak_t, double death_t)
{
	if (s->t0 > 0)
		s->t0 = 0;
	if (death_t > s->t1)
		s->t1 = death_t;
	if (peak_t > s->t1)
		s->t1 = peak_t;
	if (s->t1 <= s->t0)
		s->t1 = s->t0 + 0.1;
}

/* The top of the byte scale, above the curves (s->ymax so far), the peak
 * and the limit when it is drawn: when it would not squash the curves
 * flat (at most 3 times their top).  Returns whether it is. */
static int scale_top(struct scale *s, int64_t peak, int64_t limit)
{
	if ((double)peak > s->ymax)
		s->ymax = (double)peak;
	int draw_limit = limit > 0 && (double)limit <= 3 * s->ymax;
	if (draw_limit && (double)limit > s->ymax)
		s->ymax = (double)limit;
	if (s->ymax <= 0)
		s->ymax = 1;
	s->ymax *= 1.05;
	return draw_limit;
}

/* The byte axis (0, half, top) and the time axis's ticks. */
static void axes(struct buf *b, const struct scale *s)
{
	char lab[32];
	for (int k = 0; k <= 2; k++) {
		double v = s->ymax / 1.05 * k / 2;
		text_bytes(lab, sizeof lab, (int64_t)v);
		buf_printf(b, "<line class=\"ax\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			      "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			   L, W - R, sy(s, v), sy(s, v), L - 4, sy(s, v) + 4, lab);
	}
	time_ticks(b, s);
}

static void limit_line(struct buf *b, const struct scale *s, int64_t limit)
{
	char lab[32];
	double y = sy(s, (double)limit);
	text_bytes(lab, sizeof lab, limit);
	buf_printf(b, "<line class=\"lim\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>"
		      "<text class=\"lim\" x=\"%.0f\" y=\"%.1f\">limit %s</text>\n",
		   L, W - R, y, y, L + 4, y - 4, lab);
}

void chart_timeline_svg(struct buf *b, const struct timeline *tl, const struct chart_marks *m)
{
	static const struct timeline none = {0, NULL};
	if (!tl)
		tl = &none;
	int mem = m->memory && m->nmemory > 1;
	if (!tl->n && !mem)
		return;
	struct scale s = {0, 0, 0};
	if (tl->n) {
		s.t0 = tl->p[0].t_s;
		s.t1 = tl->p[tl->n - 1].t_s;
	}
	if (mem) {
		if (!tl->n || m->memory[0].t_s < s.t0)
			s.t0 = m->memory[0].t_s;
		if (!tl->n || m->memory[m->nmemory - 1].t_s > s.t1)
			s.t1 = m->memory[m->nmemory - 1].t_s;
		for (size_t i = 0; i < m->nmemory; i++)
			if ((double)m->memory[i].bytes > s.ymax)
				s.ymax = (double)m->memory[i].bytes;
	}
	scale_span(&s, m->peak_t, m->death_t);
	for (size_t i = 0; i < tl->n; i++) {
		double a = mem ? 0 : (double)tl->p[i].tracked_bytes, r = (double)tl->p[i].rss_bytes;
		if (a > s.ymax)
			s.ymax = a;
		if (r > s.ymax)
			s.ymax = r;
		if ((double)chart_swap_of(&tl->p[i]) > s.ymax)
			s.ymax = (double)chart_swap_of(&tl->p[i]);
	}
	int swap = chart_has_swap(tl);
	int draw_limit = scale_top(&s, m->peak_bytes, m->limit_bytes);

	/* data-*: the time scale, for the page's script (picking a moment) */
	buf_printf(b, "<svg class=\"oomph-timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" font-family=\"sans-serif\" "
		      "font-size=\"11\" data-t0=\"%.4f\" data-t1=\"%.4f\" data-x0=\"%.0f\" "
		      "data-x1=\"%.0f\">\n", W, H, s.t0, s.t1, L, W - R);
	buf_puts(b, "<style>.tr{stroke:#1a55b0;stroke-width:2}.rs{stroke:#e07b00;stroke-width:1.5}"
		    ".lim{stroke:#b3261e;stroke-dasharray:6 4}.pk{stroke:#1a55b0;stroke-dasharray:2 3}"
		    ".dt{stroke:#b3261e;stroke-width:2}text.pk{fill:#1a55b0;stroke:none}"
		    "text.dt,text.lim{fill:#b3261e;stroke:none}.pr{fill:#f4c7c3;opacity:.6}"
		    ".ax{stroke:#999}.pt{fill:transparent}.pt:hover{fill:#000}"
		    ".sw{stroke:#7b2fa8;stroke-width:1.5;stroke-dasharray:5 2}</style>\n");
	/* pressure periods first, under everything */
	for (size_t i = 0; i + 1 < tl->n; i++) {
		if (tl->p[i + 1].psi_some < CHART_PRESSURE_PCT)
			continue;
		double x0 = sx(&s, tl->p[i].t_s), x1 = sx(&s, tl->p[i + 1].t_s);
		buf_printf(b, "<rect class=\"pr\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\">"
			      "<title>stalled on memory %.0f%% of the time</title></rect>\n",
			   x0, T, x1 - x0 > 0.5 ? x1 - x0 : 0.5, H - T - B, tl->p[i + 1].psi_some);
	}
	char lab[32];
	axes(b, &s);
	if (draw_limit)
		limit_line(b, &s, m->limit_bytes);
	if (tl->n)
		polyline(b, tl, &s, SERIES_RSS, "rs");
	if (mem)
		memory_line(b, m, &s);
	else
		polyline(b, tl, &s, SERIES_TRACKED, "tr");
	if (swap)
		polyline(b, tl, &s, SERIES_SWAP, "sw");
	if (m->peak_t >= 0) {
		text_bytes(lab, sizeof lab, m->peak_bytes);
		char pk[64];
		snprintf(pk, sizeof pk, "peak %s", lab);
		vmark(b, &s, m->peak_t, "pk", pk, T + 24);
	}
	if (m->death_t >= 0)
		vmark(b, &s, m->death_t, "dt", m->death_label ? m->death_label : "death", T + 38);
	/* hover targets */
	for (size_t i = 0; i < tl->n; i++) {
		char a[32], r[32];
		text_bytes(a, sizeof a, tl->p[i].tracked_bytes);
		text_bytes(r, sizeof r, tl->p[i].rss_bytes);
		buf_puts(b, "<circle class=\"pt\" cx=\"");
		put_fixed(b, sx(&s, tl->p[i].t_s), 1);
		buf_puts(b, "\" cy=\"");
		put_fixed(b, sy(&s, (double)(mem ? tl->p[i].rss_bytes : tl->p[i].tracked_bytes)), 1);
		buf_puts(b, "\" r=\"4\"><title>");
		put_fixed(b, tl->p[i].t_s, 2);
		buf_puts(b, " s: tracked ");
		buf_puts(b, a);
		buf_puts(b, ", RSS ");
		buf_puts(b, r);
		if (tl->p[i].psi_some >= 0)
			buf_printf(b, ", memory stall %.0f%%", tl->p[i].psi_some);
		if (swap) {
			char sw[32], in[32], out[32];
			text_bytes(sw, sizeof sw, chart_swap_of(&tl->p[i]));
			text_bytes(in, sizeof in, (int64_t)tl->p[i].swapin_per_s);
			text_bytes(out, sizeof out, (int64_t)tl->p[i].swapout_per_s);
			buf_printf(b, ", swap %s (in %s/s, out %s/s)", sw, in, out);
		}
		buf_puts(b, "</title></circle>\n");
	}
	buf_puts(b, "</svg>\n");
}

/* ---- the whole job: stacked bands ------------------------------------ */

/* A colour per band, bottom first; the "other processes" band is grey. */
static const char *const band_fill[CHART_BANDS_MAX] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
};
#define OTHER_FILL "#bab0ac"
#define KEY_ROW 16.0

struct ranked {
	size_t i;      /* index into the bands */
	int64_t max;   /* its largest value */
	size_t at;     /* the instant of it */
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->max != y->max)
		return x->max > y->max ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* One band between cum (below) and cum + v (above), then cum += v. */
static void band(struct buf *b, const struct chart_stack *cs, const struct scale *s,
		 const int64_t *v, int64_t *cum, const char *cls, const char *fill, const char *label,
		 int64_t max, double max_t)
{
	buf_printf(b, "<polygon class=\"%s\" fill=\"%s\" points=\"", cls, fill);
	for (size_t k = 0; k < cs->nt; k++)
		put_point(b, k == 0, sx(s, cs->t[k]), sy(s, (double)(cum[k] + v[k])));
	for (size_t k = cs->nt; k-- > 0;)
		put_point(b, 0, sx(s, cs->t[k]), sy(s, (double)cum[k]));
	char a[32];
	text_bytes(a, sizeof a, max);
	buf_puts(b, "\"><title>");
	esc_xml(b, label);
	buf_printf(b, ": at most %s, at %.2f s</title></polygon>\n", a, max_t);
	for (size_t k = 0; k < cs->nt; k++)
		cum[k] += v[k];
}

static void key(struct buf *b, size_t row, const char *fill, const char *label, int64_t max)
{
	char a[32];
	text_bytes(a, sizeof a, max);
	double y = H + 6 + KEY_ROW * (double)row;
	buf_printf(b, "<g class=\"key\"><rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" "
		      "fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\">", L, y, fill, L + 18, y + 10);
	esc_xml(b, label);
	buf_printf(b, " \u2014 at most %s</text></g>\n", a);
}

void chart_stack_svg(struct buf *b, const struct chart_stack *cs)
{
	if (!cs->nt || !cs->nbands)
		return;
	size_t nt = cs->nt, nb = cs->nbands;
	size_t shown = nb > CHART_BANDS_MAX + 1 ? CHART_BANDS_MAX : nb, nother = nb - shown;
	struct ranked *rk = calloc(nb, sizeof *rk);
	int64_t *cum = calloc(nt, sizeof *cum), *other = calloc(nt, sizeof *other);
	int64_t *top = calloc(nt, sizeof *top);
	if (!rk || !cum || !other || !top) {
		b->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < nb; i++) {
		rk[i].i = i;
		for (size_t k = 0; k < nt; k++) {
			int64_t v = cs->bands[i].v[k];
			if (v > rk[i].max) {
				rk[i].max = v;
				rk[i].at = k;
			}
			top[k] += v;
		}
	}
	qsort(rk, nb, sizeof *rk, ranked_cmp);
	int64_t omax = 0;
	size_t oat = 0;
	for (size_t r = shown; r < nb; r++)
		for (size_t k = 0; k < nt; k++)
			other[k] += cs->bands[rk[r].i].v[k];
	for (size_t k = 0; nother && k < nt; k++)
		if (other[k] > omax) {
			omax = other[k];
			oat = k;
		}

	struct scale s = {cs->t[0], cs->t[nt - 1], 0};
	scale_span(&s, cs->peak_t, cs->death_t);
	for (size_t k = 0; k < nt; k++)
		if ((double)top[k] > s.ymax)
			s.ymax = (double)top[k];
	int draw_limit = scale_top(&s, cs->peak_bytes, cs->limit_bytes);
	size_t rows = shown + (nother != 0);

	buf_printf(b, "<svg class=\"oomph-job-timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" font-family=\"sans-serif\" "
		      "font-size=\"11\" data-t0=\"%.4f\" data-t1=\"%.4f\" data-x0=\"%.0f\" "
		      "data-x1=\"%.0f\">\n", W, H + 10 + KEY_ROW * (double)rows, s.t0, s.t1, L, W - R);
	buf_puts(b, "<style>.band{stroke:#fff;stroke-width:.5;opacity:.85}.band:hover{opacity:1}"
		    ".tot{stroke:#222;stroke-width:1.5}"
		    ".lim{stroke:#b3261e;stroke-dasharray:6 4}.pk{stroke:#1a55b0;stroke-dasharray:2 3}"
		    ".dt{stroke:#b3261e;stroke-width:2}text.pk{fill:#1a55b0;stroke:none}"
		    "text.dt,text.lim{fill:#b3261e;stroke:none}.ax{stroke:#999}"
		    ".pt{fill:transparent}.pt:hover{fill:#000}</style>\n");
	axes(b, &s);
	for (size_t r = 0; r < shown; r++) {
		const struct chart_band *cb = &cs->bands[rk[r].i];
		band(b, cs, &s, cb->v, cum, "band", band_fill[r % CHART_BANDS_MAX], cb->label,
		     rk[r].max, cs->t[rk[r].at]);
	}
	char olabel[64];
	snprintf(olabel, sizeof olabel, "%zu other processes", nother);
	if (nother)
		band(b, cs, &s, other, cum, "band other", OTHER_FILL, olabel, omax, cs->t[oat]);
	/* the job's total: the sum of every band */
	buf_puts(b, "<polyline class=\"tot\" fill=\"none\" points=\"");
	for (size_t k = 0; k < nt; k++)
		put_point(b, k == 0, sx(&s, cs->t[k]), sy(&s, (double)cum[k]));
	buf_puts(b, "\"><title>the job's total</title></polyline>\n");
	char lab[32];
	if (draw_limit) {
		limit_line(b, &s, cs->limit_bytes);
	} else if (cs->limit_bytes > 0) {
		text_bytes(lab, sizeof lab, cs->limit_bytes);
		buf_printf(b, "<text class=\"lim\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">limit %s "
			      "(above the chart)</text>\n", W - R, T + 8, lab);
	}
	if (cs->peak_t >= 0) {
		text_bytes(lab, sizeof lab, cs->peak_bytes);
		char pk[64];
		snprintf(pk, sizeof pk, "job peak %s", lab);
		vmark(b, &s, cs->peak_t, "pk", pk, T - 6); /* above the plot: clear of the limit's label */
		/* what each band held then: the instant nearest the peak */
		size_t at = 0;
		for (size_t k = 1; k < nt; k++)
			if (fabs(cs->t[k] - cs->peak_t) < fabs(cs->t[at] - cs->peak_t))
				at = k;
		buf_printf(b, "<circle class=\"pt jpk\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"><title>%.3f s: "
			      "job peak %s", sx(&s, cs->peak_t), sy(&s, (double)cs->peak_bytes),
			   cs->peak_t, lab);
		for (size_t r = 0; r < shown; r++) {
			text_bytes(lab, sizeof lab, cs->bands[rk[r].i].v[at]);
			buf_puts(b, "; ");
			esc_xml(b, cs->bands[rk[r].i].label);
			buf_printf(b, " %s", lab);
		}
		if (nother) {
			text_bytes(lab, sizeof lab, other[at]);
			buf_printf(b, "; %s %s", olabel, lab);
		}
		buf_puts(b, "</title></circle>\n");
	}
	if (cs->death_t >= 0)
		vmark(b, &s, cs->death_t, "dt", cs->death_label ? cs->death_label : "death", T + 14);
	for (size_t r = 0; r < shown; r++)
		key(b, r, band_fill[r % CHART_BANDS_MAX], cs->bands[rk[r].i].label, rk[r].max);
	if (nother)
		key(b, shown, OTHER_FILL, olabel, omax);
	buf_puts(b, "</svg>\n");
out:
	free(rk);
	free(cum);
	free(other);
	free(top);
}
