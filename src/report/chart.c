/* report/chart.c — the timeline chart (chart.h). */
#include "report/chart.h"

#include <stdio.h>

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

static void polyline(struct buf *b, const struct timeline *tl, const struct scale *s,
		     enum series which, const char *cls)
{
	buf_printf(b, "<polyline class=\"%s\" fill=\"none\" points=\"", cls);
	for (size_t i = 0; i < tl->n; i++) {
		const struct timeline_point *p = &tl->p[i];
		double v = (double)(which == SERIES_RSS    ? p->rss_bytes
				    : which == SERIES_SWAP ? chart_swap_of(p)
							   : p->tracked_bytes);
		buf_printf(b, "%s%.1f,%.1f", i ? " " : "", sx(s, tl->p[i].t_s), sy(s, v));
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

void chart_timeline_svg(struct buf *b, const struct timeline *tl, const struct chart_marks *m)
{
	if (!tl || !tl->n)
		return;
	struct scale s = {tl->p[0].t_s, tl->p[tl->n - 1].t_s, 0};
	if (m->death_t > s.t1)
		s.t1 = m->death_t;
	if (m->peak_t > s.t1)
		s.t1 = m->peak_t;
	if (s.t1 <= s.t0)
		s.t1 = s.t0 + 0.1;
	for (size_t i = 0; i < tl->n; i++) {
		double a = (double)tl->p[i].tracked_bytes, r = (double)tl->p[i].rss_bytes;
		if (a > s.ymax)
			s.ymax = a;
		if (r > s.ymax)
			s.ymax = r;
		if ((double)chart_swap_of(&tl->p[i]) > s.ymax)
			s.ymax = (double)chart_swap_of(&tl->p[i]);
	}
	int swap = chart_has_swap(tl);
	if ((double)m->peak_bytes > s.ymax)
		s.ymax = (double)m->peak_bytes;
	/* the limit is drawn when it would not squash the curves flat */
	int draw_limit = m->limit_bytes > 0 && (double)m->limit_bytes <= 3 * s.ymax;
	if (draw_limit && (double)m->limit_bytes > s.ymax)
		s.ymax = (double)m->limit_bytes;
	if (s.ymax <= 0)
		s.ymax = 1;
	s.ymax *= 1.05;

	buf_printf(b, "<svg class=\"oomph-timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" font-family=\"sans-serif\" "
		      "font-size=\"11\">\n", W, H);
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
	/* axes: 0, half, top; time at both ends */
	char lab[32];
	for (int k = 0; k <= 2; k++) {
		double v = s.ymax / 1.05 * k / 2;
		text_bytes(lab, sizeof lab, (int64_t)v);
		buf_printf(b, "<line class=\"ax\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			      "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			   L, W - R, sy(&s, v), sy(&s, v), L - 4, sy(&s, v) + 4, lab);
	}
	buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\">%.1f s</text><text x=\"%.0f\" y=\"%.0f\" "
		      "text-anchor=\"end\">%.1f s</text>\n",
		   L, H - 10, s.t0, W - R, H - 10, s.t1);
	if (draw_limit) {
		double y = sy(&s, (double)m->limit_bytes);
		text_bytes(lab, sizeof lab, m->limit_bytes);
		buf_printf(b, "<line class=\"lim\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			      "<text class=\"lim\" x=\"%.0f\" y=\"%.1f\">limit %s</text>\n",
			   L, W - R, y, y, L + 4, y - 4, lab);
	}
	polyline(b, tl, &s, SERIES_RSS, "rs");
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
		buf_printf(b, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>%.2f s: "
			      "tracked %s, RSS %s", sx(&s, tl->p[i].t_s),
			   sy(&s, (double)tl->p[i].tracked_bytes), tl->p[i].t_s, a, r);
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
