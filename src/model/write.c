/* model/write.c — model.json, index.html, the predicted picture and the
 * terminal summary of `oomph model` (write.h). */
#include "model/write.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "model/smap.h"
#include "report/buf.h"
#include "report/escape.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/html.h"
#include "report/json.h"
#include "report/source.h"
#include "report/text.h"
#include "report/view.h"

static void law_words(char *out, size_t cap, const struct fit_result *f)
{
	switch (f->law) {
	case FIT_CONSTANT:
		snprintf(out, cap, "is constant");
		break;
	case FIT_LOG:
		snprintf(out, cap, "grows as log n");
		break;
	case FIT_NLOGN:
		snprintf(out, cap, "grows as n log n (n^%.2f)", f->exponent);
		break;
	case FIT_POWER:
		if (isfinite(f->exponent_low))
			snprintf(out, cap, "grows as n^%.2f (90%%: %.2f - %.2f)", f->exponent,
				 f->exponent_low, f->exponent_high);
		else
			snprintf(out, cap, "grows as n^%.2f", f->exponent);
		break;
	default:
		snprintf(out, cap, "grows as n^%.1f", f->law == FIT_LINEAR ? 1.0 : f->law == FIT_QUADRATIC ? 2.0 : 3.0);
		break;
	}
}

static void line_label(struct buf *b, const struct model_line *l)
{
	if (l->synthetic)
		buf_puts(b, l->file);
	else
		buf_printf(b, "%s:%u (%s)", l->file, l->line, l->func);
}

/* The constant part of the phase: what the interpreter and the program
 * need whatever n. */
static double baseline_of(const struct model_phase *ph)
{
	double s = 0;
	for (size_t i = 0; i < ph->nlines; i++) {
		const struct fit_result *f = &ph->lines[i].fit;
		s += f->law == FIT_CONSTANT ? fmax(f->a, 0) : fmax(f->a, 0);
	}
	return s;
}

void model_warn(struct model_warnings *w, const char *fmt, ...)
{
	if (w->n >= MODEL_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->text[w->n++], sizeof w->text[0], fmt, ap);
	va_end(ap);
}

static void fmt_n(char *out, size_t cap, double n)
{
	if (!isfinite(n))
		snprintf(out, cap, "no limit");
	else if (n == floor(n) && n < 1e15)
		snprintf(out, cap, "%.0f", n);
	else
		snprintf(out, cap, "%.4g", n);
}

static void write_json(struct buf *b, const struct model *mo, const struct model_run_ref *sz,
		       const struct model_warnings *w, double predict_n)
{
	struct jw j;
	jw_init(&j, b, 1, 0);
	const struct model_phase *ph = &mo->phases[mo->top];
	jw_obj(&j);
	jw_key(&j, "sizes");
	jw_arr(&j);
	for (int i = 0; i < mo->m; i++)
		jw_num(&j, mo->n[i], 3);
	jw_arr_end(&j);
	jw_key(&j, "runs");
	jw_arr(&j);
	for (int i = 0; i < mo->m; i++) {
		jw_obj(&j);
		jw_key(&j, "n");
		jw_num(&j, mo->n[i], 3);
		jw_key(&j, "peak_tracked_bytes");
		jw_int(&j, (int64_t)mo->peak[i]);
		jw_key(&j, "dir");
		jw_str(&j, sz[i].dir);
		if (sz[i].input) {
			jw_key(&j, "input");
			jw_str(&j, sz[i].input);
		}
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "predict_n");
	jw_num(&j, predict_n, 3);
	jw_key(&j, "predicted_peak_bytes");
	jw_int(&j, (int64_t)llround(mo->pred));
	jw_key(&j, "predicted_peak_low_bytes");
	jw_int(&j, (int64_t)llround(mo->lo));
	jw_key(&j, "predicted_peak_high_bytes");
	jw_int(&j, (int64_t)llround(mo->hi));
	jw_key(&j, "baseline_bytes");
	jw_int(&j, (int64_t)llround(baseline_of(ph)));
	jw_key(&j, "lines");
	jw_arr(&j);
	for (size_t i = 0; i < ph->nlines; i++) {
		const struct model_line *l = &ph->lines[i];
		if (i >= 50 && l->at_predict < 0.001 * mo->pred)
			continue;
		jw_obj(&j);
		jw_key(&j, "file");
		jw_str(&j, l->file);
		jw_key(&j, "line");
		jw_int(&j, l->line);
		jw_key(&j, "function");
		jw_str(&j, l->func);
		jw_key(&j, "law");
		jw_str(&j, fit_law_name(l->fit.law));
		jw_key(&j, "exponent");
		jw_num(&j, l->fit.exponent, 3);
		jw_key(&j, "exponent_low");
		jw_num(&j, l->fit.exponent_low, 3);
		jw_key(&j, "exponent_high");
		jw_num(&j, l->fit.exponent_high, 3);
		jw_key(&j, "bytes_at_predict");
		jw_int(&j, (int64_t)llround(l->at_predict));
		jw_key(&j, "share_at_predict");
		jw_num(&j, mo->pred > 0 ? l->at_predict / mo->pred : 0, 4);
		jw_key(&j, "measured_bytes");
		jw_arr(&j);
		for (int r = 0; r < mo->m; r++)
			jw_int(&j, (int64_t)llround(l->y[r]));
		jw_arr_end(&j);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "phases");
	jw_arr(&j);
	for (int p = 0; p < mo->nphases; p++) {
		const struct model_phase *q = &mo->phases[p];
		jw_obj(&j);
		jw_key(&j, "bytes_at_predict");
		jw_int(&j, (int64_t)llround(q->pred));
		jw_key(&j, "low_bytes");
		jw_int(&j, (int64_t)llround(q->lo));
		jw_key(&j, "high_bytes");
		jw_int(&j, (int64_t)llround(q->hi));
		jw_key(&j, "measured_bytes");
		jw_arr(&j);
		for (int r = 0; r < mo->m; r++)
			jw_int(&j, (int64_t)llround(q->total[r]));
		jw_arr_end(&j);
		jw_key(&j, "time_s_in_largest_run");
		jw_num(&j, q->t_s[mo->m - 1], 3);
		jw_key(&j, "holds_the_peak");
		jw_bool(&j, p == mo->top);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "limit_bytes");
	if (mo->limit_bytes > 0)
		jw_int(&j, mo->limit_bytes);
	else
		jw_null(&j);
	jw_key(&j, "max_n_within_limit");
	if (mo->limit_bytes > 0 && isfinite(mo->max_n))
		jw_num(&j, mo->max_n, 0);
	else
		jw_null(&j);
	jw_key(&j, "max_n_within_limit_high");
	if (mo->limit_bytes > 0 && isfinite(mo->max_n_high))
		jw_num(&j, mo->max_n_high, 0);
	else
		jw_null(&j);
	jw_key(&j, "fits_limit");
	if (mo->limit_bytes > 0)
		jw_bool(&j, mo->pred <= (double)mo->limit_bytes);
	else
		jw_null(&j);
	jw_key(&j, "warnings");
	jw_arr(&j);
	for (int i = 0; i < w->n; i++)
		jw_str(&j, w->text[i]);
	jw_arr_end(&j);
	jw_obj_end(&j);
	buf_putc(b, '\n');
}

/* The predicted picture as a profile of its own (for view.h): each stack
 * of the phase that holds the peak with its bytes at n, and what a line's
 * stacks do not explain on the line's own frame. */
static int predicted_profile(const struct model *mo, struct profile *p)
{
	const struct model_phase *ph = &mo->phases[mo->top];
	struct smap frames, nodes;
	memset(&frames, 0, sizeof frames);
	memset(&nodes, 0, sizeof nodes);
	struct buf key;
	buf_init(&key);
	int rc = profile_init(p);
	double *line_left = calloc(ph->nlines + 1, sizeof *line_left);
	if (!line_left)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < ph->nlines; i++)
		line_left[i] = ph->lines[i].at_predict;
	for (size_t s = 0; !rc && s <= ph->nstacks + ph->nlines; s++) {
		struct model_frame one;
		const struct model_frame *fr;
		uint32_t nf;
		double bytes;
		if (s < ph->nstacks) {
			fr = ph->stacks[s].frames;
			nf = ph->stacks[s].nframes;
			bytes = ph->stacks[s].at_predict;
			line_left[ph->stacks[s].line] -= bytes;
		} else if (s < ph->nstacks + ph->nlines) {
			const struct model_line *l = &ph->lines[s - ph->nstacks];
			bytes = line_left[s - ph->nstacks];
			one = (struct model_frame){l->file, l->func, l->line,
						   l->synthetic ? PROFILE_FRAME_SYNTHETIC : PROFILE_FRAME_PYTHON};
			fr = &one;
			nf = 1;
		} else {
			break;
		}
		if (!(bytes >= 1))
			continue;
		uint32_t parent = 0;
		for (uint32_t f = 0; !rc && f < nf; f++) {
			int added;
			buf_reset(&key);
			buf_printf(&key, "%s\x01%u\x01%s\x01%u", fr[f].file, fr[f].line, fr[f].func, fr[f].flags);
			size_t fi = key.oom ? SIZE_MAX : smap_get(&frames, buf_str(&key), p->nframes, &added);
			if (fi == SIZE_MAX) {
				rc = -ENOMEM;
				break;
			}
			if (added) {
				uint32_t idx;
				if (profile_add_frame(p, fr[f].file, fr[f].func, fr[f].line, fr[f].flags, &idx)) {
					rc = -ENOMEM;
					break;
				}
			}
			buf_reset(&key);
			buf_printf(&key, "%u/%zu", parent, fi);
			size_t ni = key.oom ? SIZE_MAX : smap_get(&nodes, buf_str(&key), p->nnodes, &added);
			if (ni == SIZE_MAX) {
				rc = -ENOMEM;
				break;
			}
			if (added) {
				uint32_t idx;
				if (profile_add_node(p, parent, (uint32_t)fi, 0, 0, &idx)) {
					rc = -ENOMEM;
					break;
				}
			}
			parent = (uint32_t)ni;
		}
		if (!rc && parent) {
			int64_t v = (int64_t)llround(fmin(bytes, 1e17));
			p->peak_self[parent] += v;
			p->live_self[parent] += v;
			p->peak_bytes += v;
			p->end_bytes += v;
		}
	}
	free(line_left);
	smap_free(&frames);
	smap_free(&nodes);
	buf_free(&key);
	return rc;
}

/* ---- index.html: the chart --------------------------------------------- */

static const char *const palette[] = {"#1d2330", "#d1495b", "#2e86ab", "#edae49",
				      "#66a182", "#8d6cab", "#00798c"};

struct axes {
	double x0, x1, y0, y1; /* log10 ranges */
	double w, h, left, top;
};

static double ax_x(const struct axes *a, double n)
{
	return a->left + (log10(n) - a->x0) / (a->x1 - a->x0) * a->w;
}

static double ax_y(const struct axes *a, double y)
{
	double l = log10(fmax(y, pow(10, a->y0)));
	return a->top + a->h - (l - a->y0) / (a->y1 - a->y0) * a->h;
}

static void chart_curve(struct buf *b, const struct axes *ax, const struct model *mo, int line,
			const char *color, const char *label)
{
	buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", color,
		   line < 0 ? "2.5" : "1.5");
	for (int i = 0; i <= 80; i++) {
		double n = pow(10, ax->x0 + (ax->x1 - ax->x0) * i / 80.0);
		double y = line < 0 ? model_peak_at(mo, n, NULL, NULL, NULL)
				    : fit_predict(&mo->phases[mo->top].lines[line].fit, n, NULL, NULL);
		if (y <= 0)
			continue;
		buf_printf(b, "%.1f,%.1f ", ax_x(ax, n), ax_y(ax, y));
	}
	buf_puts(b, "\"><title>");
	esc_xml(b, label);
	buf_puts(b, "</title></polyline>\n");
}

static void chart_svg(struct buf *b, const struct model *mo, double predict_n)
{
	const struct model_phase *ph = &mo->phases[mo->top];
	int nl = 0;
	for (size_t i = 0; i < ph->nlines && nl < 5; i++)
		if (ph->lines[i].at_predict > 0.01 * mo->pred)
			nl++;
	double xmin = mo->n[0], xmax = fmax(mo->n[mo->m - 1], predict_n);
	if (mo->limit_bytes > 0 && isfinite(mo->max_n) && mo->max_n > 0)
		xmax = fmax(xmax, mo->max_n);
	double ymin = INFINITY, ymax = fmax(mo->pred, mo->hi);
	for (int r = 0; r < mo->m; r++) {
		ymin = fmin(ymin, mo->peak[r]);
		ymax = fmax(ymax, mo->peak[r]);
		for (int i = 0; i < nl; i++)
			if (ph->lines[i].y[r] > 0)
				ymin = fmin(ymin, ph->lines[i].y[r]);
	}
	if (mo->limit_bytes > 0)
		ymax = fmax(ymax, (double)mo->limit_bytes);
	if (!(ymin > 0) || !isfinite(ymin))
		ymin = 1;
	struct axes ax = {floor(log10(xmin / 1.5) * 2) / 2, ceil(log10(xmax * 1.5) * 2) / 2,
			  floor(log10(ymin / 2)), ceil(log10(ymax * 2)), 880, 360, 80, 20};
	if (ax.x1 <= ax.x0)
		ax.x1 = ax.x0 + 1;
	if (ax.y1 <= ax.y0)
		ax.y1 = ax.y0 + 1;
	buf_puts(b, "<svg class=\"chart\" viewBox=\"0 0 1200 430\" width=\"100%\" "
		    "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\n");
	buf_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\" stroke=\"#dde1e7\"/>\n",
		   ax.left, ax.top, ax.w, ax.h);
	for (double e = ceil(ax.x0); e <= ax.x1; e++) {
		double x = ax_x(&ax, pow(10, e));
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eceef2\"/>"
			      "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">1e%.0f</text>\n",
			   x, ax.top, x, ax.top + ax.h, x, ax.top + ax.h + 16, e);
	}
	for (double e = ax.y0; e <= ax.y1; e++) {
		double y = ax_y(&ax, pow(10, e));
		char s[32];
		text_bytes(s, sizeof s, (int64_t)pow(10, e));
		buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eceef2\"/>"
			      "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			   ax.left, y, ax.left + ax.w, y, ax.left - 6, y + 4, s);
	}
	buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">n (log scale)</text>\n",
		   ax.left + ax.w / 2, ax.top + ax.h + 34);
	if (mo->limit_bytes > 0) {
		double y = ax_y(&ax, (double)mo->limit_bytes);
		char s[32];
		text_bytes(s, sizeof s, mo->limit_bytes);
		buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#b3261e\" "
			      "stroke-dasharray=\"6 4\"/><text x=\"%.0f\" y=\"%.1f\" fill=\"#b3261e\">limit %s</text>\n",
			   ax.left, y, ax.left + ax.w, y, ax.left + 6, y - 4, s);
	}
	if (predict_n > 0) {
		double x = ax_x(&ax, predict_n);
		char s[32];
		fmt_n(s, sizeof s, predict_n);
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#5b6475\" "
			      "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%.0f\" fill=\"#5b6475\">n=%s</text>\n",
			   x, ax.top, x, ax.top + ax.h, x + 4, ax.top + 14, s);
		double lo = ax_y(&ax, mo->lo), hi = ax_y(&ax, mo->hi);
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1d2330\" stroke-width=\"5\" opacity=\"0.4\"/>\n",
			   x, lo, x, hi);
	}
	chart_curve(b, &ax, mo, -1, palette[0], "peak (the largest phase)");
	for (int r = 0; r < mo->m; r++) {
		char s[32];
		text_bytes(s, sizeof s, (int64_t)mo->peak[r]);
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>n=%.0f: peak %s</title></circle>\n",
			   ax_x(&ax, mo->n[r]), ax_y(&ax, mo->peak[r]), palette[0], mo->n[r], s);
	}
	struct buf lab;
	buf_init(&lab);
	for (int i = 0; i < nl; i++) {
		const struct model_line *l = &ph->lines[i];
		const char *c = palette[1 + i % 6];
		buf_reset(&lab);
		line_label(&lab, l);
		chart_curve(b, &ax, mo, i, c, buf_str(&lab));
		for (int r = 0; r < mo->m; r++) {
			if (!(l->y[r] > 0))
				continue;
			char s[32];
			text_bytes(s, sizeof s, (int64_t)l->y[r]);
			buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"><title>",
				   ax_x(&ax, mo->n[r]) - 3.5, ax_y(&ax, l->y[r]) - 3.5, c);
			esc_xml(b, buf_str(&lab));
			buf_printf(b, " at n=%.0f: %s</title></rect>\n", mo->n[r], s);
		}
	}
	/* legend */
	double ly = ax.top + 4;
	buf_printf(b, "<g transform=\"translate(%.0f,0)\">\n", ax.left + ax.w + 14);
	buf_printf(b, "<rect x=\"0\" y=\"%.0f\" width=\"12\" height=\"4\" fill=\"%s\"/><text x=\"18\" y=\"%.0f\">peak</text>\n",
		   ly + 6, palette[0], ly + 11);
	for (int i = 0; i < nl; i++) {
		ly += 20;
		buf_reset(&lab);
		line_label(&lab, &ph->lines[i]);
		size_t cut = esc_utf8_prefix(buf_str(&lab), 36, NULL);
		lab.p[cut] = 0;
		buf_printf(b, "<rect x=\"0\" y=\"%.0f\" width=\"12\" height=\"4\" fill=\"%s\"/><text x=\"18\" y=\"%.0f\">",
			   ly + 6, palette[1 + i % 6], ly + 11);
		esc_xml(b, buf_str(&lab));
		buf_puts(b, "</text>\n");
	}
	buf_puts(b, "</g>\n</svg>\n");
	if (lab.oom)
		b->oom = 1;
	buf_free(&lab);
}

static void html_write(struct buf *b, const struct model *mo, const struct model_run_ref *sz,
		       const struct model_warnings *w, double predict_n, struct view *pv,
		       const struct args *a)
{
	const struct model_phase *ph = &mo->phases[mo->top];
	char s1[32], s2[32], s3[32], nb[64];
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>oomph model</title>\n<style>\n");
	buf_puts(b, html_css());
	buf_puts(b, "</style></head><body><main>\n<h1>oomph model: memory against input size</h1>\n");
	buf_puts(b, "<div class=\"cmd mono\">");
	struct buf cmd;
	buf_init(&cmd);
	char *words[4] = {(char *)a->target_arg};
	text_shell_words(&cmd, 1, words);
	if (a->nrest) {
		buf_putc(&cmd, ' ');
		text_shell_words(&cmd, a->nrest, a->rest);
	}
	esc_html(b, buf_str(&cmd));
	buf_free(&cmd);
	buf_puts(b, "</div>\n<dl class=\"numbers\">\n");
	fmt_n(nb, sizeof nb, predict_n);
	text_bytes(s1, sizeof s1, (int64_t)mo->pred);
	text_bytes(s2, sizeof s2, (int64_t)mo->lo);
	text_bytes(s3, sizeof s3, (int64_t)mo->hi);
	buf_printf(b, "<div><dt>predicted peak at n=%s</dt><dd>%s</dd></div>\n", nb, s1);
	buf_printf(b, "<div><dt>90%% interval</dt><dd>%s – %s</dd></div>\n", s2, s3);
	if (mo->limit_bytes > 0) {
		text_bytes(s1, sizeof s1, mo->limit_bytes);
		fmt_n(nb, sizeof nb, mo->max_n);
		buf_printf(b, "<div><dt>limit</dt><dd>%s</dd></div>\n<div><dt>largest n within it</dt><dd>%s</dd></div>\n",
			   s1, nb);
	}
	text_bytes(s1, sizeof s1, (int64_t)baseline_of(ph));
	buf_printf(b, "<div><dt>baseline (constant part)</dt><dd>%s</dd></div>\n", s1);
	buf_printf(b, "<div><dt>runs</dt><dd>%d</dd></div>\n<div><dt>phases</dt><dd>%d</dd></div>\n</dl>\n",
		   mo->m, mo->nphases);
	for (int i = 0; i < w->n; i++) {
		buf_puts(b, "<p class=\"msg\">");
		esc_html(b, w->text[i]);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<h2>Memory against n</h2>\n<p class=\"hint\">Log-log axes. Dots: each run's "
		    "measured peak; squares: the top lines' bytes in the phase that holds the peak; "
		    "lines: the fitted laws. The bar at the predicted n is the 90% interval.</p>\n"
		    "<div class=\"flame\">\n");
	chart_svg(b, mo, predict_n);
	buf_puts(b, "</div>\n<h2>The lines at the predicted peak</h2>\n<table class=\"sortable\">\n"
		    "<thead><tr><th>line</th><th>law</th><th>exponent (90%)</th><th>at n</th><th>share</th>");
	for (int r = 0; r < mo->m; r++)
		buf_printf(b, "<th>n=%s</th>", sz[r].word);
	buf_puts(b, "</tr></thead><tbody>\n");
	for (size_t i = 0; i < ph->nlines && i < 30; i++) {
		const struct model_line *l = &ph->lines[i];
		struct buf lab;
		buf_init(&lab);
		line_label(&lab, l);
		buf_puts(b, "<tr><td class=\"mono\">");
		esc_html(b, buf_str(&lab));
		buf_free(&lab);
		char ex[96];
		if (isfinite(l->fit.exponent_low))
			snprintf(ex, sizeof ex, "%.2f (%.2f – %.2f)", l->fit.exponent, l->fit.exponent_low,
				 l->fit.exponent_high);
		else
			snprintf(ex, sizeof ex, "%.2f", l->fit.exponent);
		text_bytes(s1, sizeof s1, (int64_t)l->at_predict);
		buf_printf(b, "</td><td>%s</td><td class=\"num\">%s</td><td class=\"num\" data-v=\"%.0f\">%s</td>"
			      "<td class=\"num\">%.1f%%</td>",
			   fit_law_name(l->fit.law), ex, l->at_predict, s1,
			   mo->pred > 0 ? 100 * l->at_predict / mo->pred : 0);
		for (int r = 0; r < mo->m; r++) {
			text_bytes(s1, sizeof s1, (int64_t)l->y[r]);
			buf_printf(b, "<td class=\"num\" data-v=\"%.0f\">%s</td>", l->y[r], s1);
		}
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
	if (mo->nphases > 1) {
		buf_puts(b, "<h2>Phases</h2>\n<p class=\"hint\">Each phase is a local maximum of the "
			    "total that stands out of the valleys beside it; they never overlap, so the peak is the "
			    "largest, not the sum.</p>\n<table><thead><tr><th>phase</th><th>at n</th><th>in the largest run at</th>");
		for (int r = 0; r < mo->m; r++)
			buf_printf(b, "<th>n=%s</th>", sz[r].word);
		buf_puts(b, "</tr></thead><tbody>\n");
		for (int p = 0; p < mo->nphases; p++) {
			const struct model_phase *q = &mo->phases[p];
			text_bytes(s1, sizeof s1, (int64_t)q->pred);
			buf_printf(b, "<tr><td>%d%s</td><td class=\"num\">%s</td><td class=\"num\">%.2f s</td>", p + 1,
				   p == mo->top ? " (the peak)" : "", s1, q->t_s[mo->m - 1]);
			for (int r = 0; r < mo->m; r++) {
				text_bytes(s1, sizeof s1, (int64_t)q->total[r]);
				buf_printf(b, "<td class=\"num\">%s</td>", s1);
			}
			buf_puts(b, "</tr>\n");
		}
		buf_puts(b, "</tbody></table>\n");
	}
	if (pv) {
		fmt_n(nb, sizeof nb, predict_n);
		buf_printf(b, "<h2>Predicted flame graph at n=%s</h2>\n<p class=\"hint\">Each stack's bytes "
			      "from its own model (predicted.svg, predicted.folded).</p>\n<div class=\"flame\">\n", nb);
		char title[128];
		text_bytes(s1, sizeof s1, (int64_t)mo->pred);
		snprintf(title, sizeof title, "Predicted memory at n=%s: %s", nb, s1);
		flame_svg_inline(b, pv, title);
		buf_puts(b, "</div>\n<script>\n");
		buf_puts(b, flame_script());
		buf_puts(b, "</script>\n");
	}
	buf_puts(b, "<h2>Runs</h2>\n<table><thead><tr><th>n</th><th>peak</th><th>report</th></tr></thead><tbody>\n");
	for (int r = 0; r < mo->m; r++) {
		text_bytes(s1, sizeof s1, (int64_t)mo->peak[r]);
		buf_printf(b, "<tr><td class=\"num\">%s</td><td class=\"num\">%s</td><td><a href=\"runs/", sz[r].word, s1);
		esc_html(b, sz[r].word);
		buf_puts(b, "/index.html\">runs/");
		esc_html(b, sz[r].word);
		buf_puts(b, "/</a></td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n<p class=\"hint\">Method and limits: docs/model.md. "
		    "The data: model.json.</p>\n</main></body></html>\n");
}

/* ---- the terminal ------------------------------------------------------ */

static void summary(FILE *t, const struct model *mo, const struct model_run_ref *sz, const struct model_warnings *w,
		    double predict_n, const char *dir)
{
	const struct model_phase *ph = &mo->phases[mo->top];
	char s1[32], s2[32], s3[32], nb[64];
	struct buf line;
	buf_init(&line);
	fprintf(t, "oomph: model from %d runs, n = %s .. %s (%d phase%s)\n", mo->m, sz[0].word,
		sz[mo->m - 1].word, mo->nphases, mo->nphases == 1 ? "" : "s");
	fmt_n(nb, sizeof nb, predict_n);
	text_bytes(s1, sizeof s1, (int64_t)mo->pred);
	text_bytes(s2, sizeof s2, (int64_t)mo->lo);
	text_bytes(s3, sizeof s3, (int64_t)mo->hi);
	fprintf(t, "oomph: predicted peak at n=%s: %s, 90%%: %s - %s\n", nb, s1, s2, s3);
	fprintf(t, "oomph: the lines that will hold it:\n");
	int shown = 0;
	for (size_t i = 0; i < ph->nlines && shown < 8; i++) {
		const struct model_line *l = &ph->lines[i];
		if (l->at_predict < 0.005 * mo->pred && shown >= 3)
			break;
		char law[128];
		law_words(law, sizeof law, &l->fit);
		buf_reset(&line);
		line_label(&line, l);
		struct buf safe;
		buf_init(&safe);
		esc_term(&safe, buf_str(&line));
		text_bytes(s1, sizeof s1, (int64_t)l->at_predict);
		fprintf(t, "oomph:   %s %s: %.0f%% of the predicted peak, %s\n", buf_str(&safe), law,
			mo->pred > 0 ? 100 * l->at_predict / mo->pred : 0, s1);
		buf_free(&safe);
		shown++;
	}
	text_bytes(s1, sizeof s1, (int64_t)baseline_of(ph));
	fprintf(t, "oomph: baseline (the constant part, the interpreter's included): %s\n", s1);
	if (mo->limit_bytes > 0) {
		text_bytes(s1, sizeof s1, mo->limit_bytes);
		if (!isfinite(mo->max_n))
			fprintf(t, "oomph: limit %s: no n reaches it (the model does not grow)\n", s1);
		else if (mo->max_n < 1)
			fprintf(t, "oomph: limit %s: not even n=1 fits\n", s1);
		else {
			fmt_n(nb, sizeof nb, mo->max_n);
			fmt_n(s2, sizeof s2, mo->max_n_high);
			fprintf(t, "oomph: limit %s: the largest n that fits is %s (%s with the interval's high end)\n",
				s1, nb, s2);
		}
		if (predict_n > 0) {
			fmt_n(nb, sizeof nb, predict_n);
			double over = mo->pred - (double)mo->limit_bytes;
			text_bytes(s2, sizeof s2, (int64_t)fabs(over));
			if (over <= 0)
				fprintf(t, "oomph: at n=%s it fits, with %s to spare%s\n", nb, s2,
					mo->hi > (double)mo->limit_bytes ? " (but the interval's high end does not)" : "");
			else
				fprintf(t, "oomph: at n=%s it does not fit: %s (%.0f%%) over the limit\n", nb, s2,
					100 * over / (double)mo->limit_bytes);
		}
	}
	for (int i = 0; i < w->n; i++)
		fprintf(t, "oomph: warning: %s\n", w->text[i]);
	fprintf(t, "oomph: model: %s/index.html\n", dir);
	buf_free(&line);
}

void model_write(const char *dir, const struct model *mo, const struct model_run_ref *runs,
		 const struct model_warnings *w, double at, const struct args *a, const char *cwd)
{
	char path[PATH_MAX + 32], msg[512];
	struct buf b;
	buf_init(&b);
	write_json(&b, mo, runs, w, at);
	snprintf(path, sizeof path, "%s/model.json", dir);
	if (buf_write_file(&b, path, msg, sizeof msg) != 0)
		err_print("cannot write %s: %s", path, msg);
	struct profile pp;
	memset(&pp, 0, sizeof pp);
	struct view pv;
	int have_view = 0;
	struct src_cache *src = src_new(cwd);
	if (src && predicted_profile(mo, &pp) == 0) {
		if (view_build(&pv, &pp, cwd, src) == 0) {
			have_view = 1;
			buf_reset(&b);
			folded_write(&b, &pv);
			snprintf(path, sizeof path, "%s/predicted.folded", dir);
			if (buf_write_file(&b, path, msg, sizeof msg) != 0)
				err_print("cannot write %s: %s", path, msg);
			buf_reset(&b);
			char title[128], s1[32], nb[64];
			fmt_n(nb, sizeof nb, at);
			text_bytes(s1, sizeof s1, (int64_t)mo->pred);
			snprintf(title, sizeof title, "Predicted memory at n=%s: %s", nb, s1);
			flame_svg(&b, &pv, title);
			snprintf(path, sizeof path, "%s/predicted.svg", dir);
			if (buf_write_file(&b, path, msg, sizeof msg) != 0)
				err_print("cannot write %s: %s", path, msg);
		}
	}
	buf_reset(&b);
	html_write(&b, mo, runs, w, at, have_view ? &pv : NULL, a);
	snprintf(path, sizeof path, "%s/index.html", dir);
	if (buf_write_file(&b, path, msg, sizeof msg) != 0)
		err_print("cannot write %s: %s", path, msg);
	buf_free(&b);
	if (!a->quiet)
		summary(stderr, mo, runs, w, at, dir);
	if (have_view)
		view_free(&pv);
	if (have_view || pp.nnodes)
		profile_free(&pp);
	src_free(src);
}
