/* model/build.c — the model (build.h): the phases of each run, their
 * pictures matched across runs, each line and stack fitted against n, the
 * prediction and the limit turned round. */
#include "model/build.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/smap.h"
#include "common/errmsg.h"
#include "report/buf.h"
#include "report/view.h"

/* ---- phases of one run ------------------------------------------------ */

uint32_t model_phase_moments(const struct profile *p, uint32_t *out, uint32_t cap)
{
	uint32_t k = p->nmoments, n = 0;
	int64_t top = 0;
	for (uint32_t i = 0; i < k; i++)
		if (p->moments[i].bytes > top)
			top = p->moments[i].bytes;
	for (uint32_t i = 0; i < k && n < cap; i++) {
		int64_t b = p->moments[i].bytes;
		/* a local maximum (the last of a plateau) */
		if (b <= 0 || (i > 0 && p->moments[i - 1].bytes > b) ||
		    (i + 1 < k && p->moments[i + 1].bytes >= b))
			continue;
		/* its prominence: the valleys to the higher ground on either
		 * side (beyond the ends: nothing allocated) */
		int64_t lmin = b, rmin = b;
		uint32_t j = i;
		for (; j > 0 && p->moments[j - 1].bytes <= b; j--)
			if (p->moments[j - 1].bytes < lmin)
				lmin = p->moments[j - 1].bytes;
		if (j == 0)
			lmin = 0;
		for (j = i; j + 1 < k && p->moments[j + 1].bytes <= b; j++)
			if (p->moments[j + 1].bytes < rmin)
				rmin = p->moments[j + 1].bytes;
		if (j + 1 == k)
			rmin = 0;
		int64_t valley = lmin > rmin ? lmin : rmin;
		if ((double)(b - valley) >= MODEL_PHASE_PROMINENCE * (double)top)
			out[n++] = i;
	}
	return n;
}

/* One run's picture of a phase: bytes per global stack. */
struct pic {
	double total, t_s;
	size_t n;
	size_t *stack;
	double *bytes;
	double *lines;  /* per global line (dense), for matching */
	int dropped;    /* the same phase as a higher peak */
};

/* A stack's identity across runs, and its line. */
struct gstack {
	uint32_t nframes;
	struct model_frame *frames;
	size_t line;
};

struct gline {
	char *file, *func;
	uint32_t line;
	int synthetic;
};

struct builder {
	const char *cwd;
	struct smap stack_map, line_map;
	struct gstack *stacks;
	size_t nstacks, cap_stacks;
	struct gline *lines;
	size_t nlines, cap_lines;
	struct buf key;
};

static const char *rel_file(const struct builder *bl, const char *file)
{
	size_t n = bl->cwd ? strlen(bl->cwd) : 0;
	if (n && !strncmp(file, bl->cwd, n) && file[n] == '/')
		return file + n + 1;
	return file;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(*arr, c * elem);
	if (!q)
		return -ENOMEM;
	*arr = q;
	*cap = c;
	return 0;
}

/* The line of a node: its innermost Python frame, or its innermost
 * frame's own text when it has none. */
static size_t line_of(struct builder *bl, const struct profile *p, uint32_t node)
{
	const struct profile_frame *f = NULL;
	int synthetic = 1;
	for (uint32_t x = node; x != 0 && x < p->nnodes; x = p->nodes[x].parent) {
		const struct profile_frame *fr = &p->frames[p->nodes[x].frame];
		if (!f)
			f = fr;
		if (fr->flags == PROFILE_FRAME_PYTHON) {
			f = fr;
			synthetic = 0;
			break;
		}
	}
	const char *file = f ? rel_file(bl, f->file) : VIEW_UNATTRIBUTED;
	const char *func = f && !synthetic ? f->func : "";
	uint32_t line = f && !synthetic ? f->line : 0;
	buf_reset(&bl->key);
	buf_printf(&bl->key, "%s%c%u%c%s", file, 0, line, 0, func);
	/* the NULs are in the key: hash over a printable form instead */
	for (size_t i = 0; i < bl->key.len; i++)
		if (bl->key.p[i] == 0)
			bl->key.p[i] = '\x01';
	if (bl->key.oom)
		return SIZE_MAX;
	int added;
	size_t idx = smap_get(&bl->line_map, buf_str(&bl->key), bl->nlines, &added);
	if (idx == SIZE_MAX || !added)
		return idx;
	if (grow((void **)&bl->lines, &bl->cap_lines, bl->nlines, sizeof *bl->lines))
		return SIZE_MAX;
	struct gline *g = &bl->lines[bl->nlines++];
	g->file = strdup(file);
	g->func = strdup(func);
	g->line = line;
	g->synthetic = synthetic;
	return g->file && g->func ? idx : SIZE_MAX;
}

static size_t stack_of(struct builder *bl, const struct profile *p, uint32_t node)
{
	uint32_t depth = 0;
	for (uint32_t x = node; x != 0 && x < p->nnodes; x = p->nodes[x].parent)
		depth++;
	buf_reset(&bl->key);
	if (!depth)
		buf_puts(&bl->key, VIEW_UNATTRIBUTED);
	/* leaf first in the key: the key only needs to be unique */
	for (uint32_t x = node; x != 0 && x < p->nnodes; x = p->nodes[x].parent) {
		const struct profile_frame *f = &p->frames[p->nodes[x].frame];
		buf_printf(&bl->key, "%s\x01%u\x01%s\x01%u\x02", rel_file(bl, f->file), f->line,
			   f->func, f->flags);
	}
	if (bl->key.oom)
		return SIZE_MAX;
	int added;
	size_t idx = smap_get(&bl->stack_map, buf_str(&bl->key), bl->nstacks, &added);
	if (idx == SIZE_MAX || !added)
		return idx;
	if (grow((void **)&bl->stacks, &bl->cap_stacks, bl->nstacks, sizeof *bl->stacks))
		return SIZE_MAX;
	struct gstack *g = &bl->stacks[bl->nstacks];
	memset(g, 0, sizeof *g);
	g->frames = calloc(depth ? depth : 1, sizeof *g->frames);
	if (!g->frames)
		return SIZE_MAX;
	g->nframes = depth ? depth : 1;
	if (!depth) {
		g->frames[0] = (struct model_frame){strdup(VIEW_UNATTRIBUTED), strdup(""), 0,
						    PROFILE_FRAME_SYNTHETIC};
	} else {
		uint32_t d = depth;
		for (uint32_t x = node; x != 0 && x < p->nnodes; x = p->nodes[x].parent) {
			const struct profile_frame *f = &p->frames[p->nodes[x].frame];
			g->frames[--d] = (struct model_frame){strdup(rel_file(bl, f->file)),
							      strdup(f->func), f->line, f->flags};
		}
	}
	for (uint32_t i = 0; i < g->nframes; i++)
		if (!g->frames[i].file || !g->frames[i].func)
			return SIZE_MAX;
	bl->nstacks++;
	g->line = line_of(bl, p, node);
	return g->line == SIZE_MAX ? SIZE_MAX : idx;
}

static void pic_free(struct pic *pc)
{
	free(pc->stack);
	free(pc->bytes);
	free(pc->lines);
	memset(pc, 0, sizeof *pc);
}

/* The picture of moment k of p as global stacks. */
static int pic_make(struct builder *bl, const struct profile *p, uint32_t k, struct pic *pc)
{
	memset(pc, 0, sizeof *pc);
	int64_t *self = calloc(p->nnodes ? p->nnodes : 1, sizeof *self);
	if (!self)
		return -ENOMEM;
	int rc = profile_picture_at(p, k, self);
	if (rc) {
		free(self);
		return rc == OOMPH_PROFILE_ENOMEM ? -ENOMEM : -EINVAL;
	}
	pc->total = (double)p->moments[k].bytes;
	pc->t_s = p->moments[k].t_s;
	pc->stack = calloc(p->nnodes + 1, sizeof *pc->stack);
	pc->bytes = calloc(p->nnodes + 1, sizeof *pc->bytes);
	rc = pc->stack && pc->bytes ? 0 : -ENOMEM;
	for (uint32_t i = 0; !rc && i < p->nnodes; i++) {
		if (self[i] <= 0)
			continue;
		size_t s = stack_of(bl, p, i);
		if (s == SIZE_MAX) {
			rc = -ENOMEM;
			break;
		}
		pc->stack[pc->n] = s;
		pc->bytes[pc->n++] = (double)self[i];
	}
	free(self);
	return rc;
}

static int pic_lines(const struct builder *bl, struct pic *pc)
{
	free(pc->lines);
	pc->lines = calloc(bl->nlines + 1, sizeof *pc->lines);
	if (!pc->lines)
		return -ENOMEM;
	for (size_t i = 0; i < pc->n; i++)
		pc->lines[bl->stacks[pc->stack[i]].line] += pc->bytes[i];
	return 0;
}

/* What `low` holds, line by line, beyond `high`. */
static double excess(const struct pic *low, const struct pic *high, size_t nlines)
{
	double e = 0;
	for (size_t i = 0; i < nlines; i++)
		if (low->lines[i] > high->lines[i])
			e += low->lines[i] - high->lines[i];
	return e;
}

static double cosine(const struct pic *a, const struct pic *b, size_t nlines)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t i = 0; i < nlines; i++) {
		ab += a->lines[i] * b->lines[i];
		aa += a->lines[i] * a->lines[i];
		bb += b->lines[i] * b->lines[i];
	}
	return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* ---- the model -------------------------------------------------------- */

static void line_free(struct model_line *l)
{
	free(l->file);
	free(l->func);
}

void model_free(struct model *mo)
{
	for (int j = 0; j < mo->nphases; j++) {
		struct model_phase *ph = &mo->phases[j];
		for (size_t i = 0; i < ph->nlines; i++)
			line_free(&ph->lines[i]);
		for (size_t i = 0; i < ph->nstacks; i++) {
			for (uint32_t f = 0; f < ph->stacks[i].nframes; f++) {
				free(ph->stacks[i].frames[f].file);
				free(ph->stacks[i].frames[f].func);
			}
			free(ph->stacks[i].frames);
		}
		free(ph->lines);
		free(ph->stacks);
	}
	free(mo->phases);
	memset(mo, 0, sizeof *mo);
}

/* A phase's peak at n: the sum of its lines, the interval from theirs
 * (independent), widened by how far the lines' sum missed the runs. */
static double phase_at(const struct model_phase *ph, int dof, double n, double *lo, double *hi)
{
	double y = 0, dl = 0, dh = 0;
	for (size_t i = 0; i < ph->nlines; i++) {
		double l, h, v = fit_predict(&ph->lines[i].fit, n, &l, &h);
		y += v;
		dl += (v - l) * (v - l);
		dh += (h - v) * (h - v);
	}
	double widen = fit_t90(dof) * ph->resid_rms * y;
	if (lo)
		*lo = fmax(0, y - sqrt(dl + widen * widen));
	if (hi)
		*hi = y + sqrt(dh + widen * widen);
	return y;
}

double model_peak_at(const struct model *mo, double n, double *lo, double *hi, int *phase)
{
	double best = 0, bl = 0, bh = 0;
	int which = 0;
	for (int j = 0; j < mo->nphases; j++) {
		double l, h, y = phase_at(&mo->phases[j], mo->m - 2, n, &l, &h);
		if (j == 0 || y > best) {
			best = y;
			which = j;
		}
		bl = j == 0 ? l : fmax(bl, l);
		bh = j == 0 ? h : fmax(bh, h);
	}
	if (lo)
		*lo = fmin(bl, best);
	if (hi)
		*hi = fmax(bh, best);
	if (phase)
		*phase = which;
	return best;
}

/* The largest n whose peak (or its high end) stays within limit: a
 * bisection on log n (the peak grows with n: every slope is >= 0). */
static double max_n_within(const struct model *mo, double limit, int high)
{
	double lo_n = 1, hi_n = 1, l, h;
#define PEAK(n) (model_peak_at(mo, (n), &l, &h, NULL), high ? h : model_peak_at(mo, (n), NULL, NULL, NULL))
	if (PEAK(1) > limit)
		return 0;
	while (PEAK(hi_n) <= limit) {
		lo_n = hi_n;
		hi_n *= 2;
		if (hi_n > 1e18)
			return INFINITY;
	}
	for (int it = 0; it < 200 && hi_n - lo_n > 0.5; it++) {
		double mid = sqrt(lo_n * hi_n);
		if (mid - lo_n < 0.5)
			mid = lo_n + (hi_n - lo_n) / 2;
		if (PEAK(mid) <= limit)
			lo_n = mid;
		else
			hi_n = mid;
	}
#undef PEAK
	return floor(lo_n);
}

/* The fits of one phase from the matched pictures (one per run). */
static int phase_fit(struct builder *bl, struct pic *const *pics, int m, const double *n,
		     double predict_n, struct model_phase *ph)
{
	memset(ph, 0, sizeof *ph);
	double maxtot = 0;
	for (int r = 0; r < m; r++) {
		ph->total[r] = pics[r]->total;
		ph->t_s[r] = pics[r]->t_s;
		maxtot = fmax(maxtot, pics[r]->total);
	}
	/* dense series of every line and stack */
	double *ly = calloc((bl->nlines + 1) * (size_t)m, sizeof *ly);
	double *sy = calloc((bl->nstacks + 1) * (size_t)m, sizeof *sy);
	size_t *lidx = calloc(bl->nlines + 1, sizeof *lidx);
	int rc = ly && sy && lidx ? 0 : -ENOMEM;
	if (rc)
		goto out;
	for (int r = 0; r < m; r++)
		for (size_t i = 0; i < pics[r]->n; i++) {
			size_t s = pics[r]->stack[i];
			sy[s * (size_t)m + (size_t)r] += pics[r]->bytes[i];
			ly[bl->stacks[s].line * (size_t)m + (size_t)r] += pics[r]->bytes[i];
		}
	/* lines that matter; the rest summed as one */
	size_t nkeep = 0;
	for (size_t i = 0; i < bl->nlines; i++) {
		double mx = 0;
		for (int r = 0; r < m; r++)
			mx = fmax(mx, ly[i * (size_t)m + (size_t)r]);
		lidx[i] = mx >= MODEL_LINE_MIN_SHARE * maxtot && mx > 0 ? nkeep++ : SIZE_MAX;
	}
	ph->lines = calloc(nkeep + 1, sizeof *ph->lines);
	if (!ph->lines) {
		rc = -ENOMEM;
		goto out;
	}
	ph->nlines = nkeep + 1; /* the last: other lines */
	for (size_t i = 0; i < bl->nlines; i++) {
		size_t k = lidx[i] == SIZE_MAX ? nkeep : lidx[i];
		struct model_line *l = &ph->lines[k];
		if (lidx[i] != SIZE_MAX) {
			l->file = strdup(bl->lines[i].file);
			l->func = strdup(bl->lines[i].func);
			l->line = bl->lines[i].line;
			l->synthetic = bl->lines[i].synthetic;
		}
		for (int r = 0; r < m; r++)
			l->y[r] += ly[i * (size_t)m + (size_t)r];
	}
	struct model_line *other = &ph->lines[nkeep];
	other->file = strdup(MODEL_OTHER_LINES);
	other->func = strdup("");
	other->synthetic = 1;
	for (size_t k = 0; k <= nkeep; k++) {
		struct model_line *l = &ph->lines[k];
		if (!l->file || !l->func) {
			rc = -ENOMEM;
			goto out;
		}
		if ((rc = fit_series(n, l->y, m, &l->fit)) != 0)
			goto out;
		/* "[other lines]" sums the lines below MODEL_LINE_MIN_SHARE of
		 * the phase, and which lines those are changes from run to run:
		 * a trend in it smaller than a phase of its own (MODEL_PHASE_SAME
		 * of the phase's largest total) is that churn, not a law (a
		 * 0.4 MiB drift over n = 1e3..3e4 once extrapolated to +15 MiB
		 * at n = 1e6).  It is then its mean, whatever n. */
		if (k == nkeep && l->fit.law != FIT_CONSTANT) {
			double lo_y = l->y[0], hi_y = l->y[0], sum_y = 0;
			for (int r = 0; r < m; r++) {
				lo_y = fmin(lo_y, l->y[r]);
				hi_y = fmax(hi_y, l->y[r]);
				sum_y += l->y[r];
			}
			double flat[FIT_MAX_POINTS];
			for (int r = 0; r < m; r++)
				flat[r] = sum_y / m;
			if (hi_y - lo_y < MODEL_PHASE_SAME * maxtot &&
			    (rc = fit_series(n, flat, m, &l->fit)) != 0)
				goto out;
		}
		l->at_predict = fit_predict(&l->fit, predict_n, &l->lo, &l->hi);
	}
	/* how far the sum of the lines misses each run's total */
	double s2 = 0;
	for (int r = 0; r < m; r++) {
		double y = 0;
		for (size_t k = 0; k <= nkeep; k++)
			y += fit_predict(&ph->lines[k].fit, n[r], NULL, NULL);
		double e = ph->total[r] > 0 ? (y - ph->total[r]) / ph->total[r] : 0;
		s2 += e * e;
	}
	ph->resid_rms = sqrt(s2 / m);
	/* stacks that matter, for the flame graph at predict_n */
	size_t nst = 0;
	ph->stacks = calloc(bl->nstacks + 1, sizeof *ph->stacks);
	if (!ph->stacks) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t s = 0; s < bl->nstacks; s++) {
		double mx = 0;
		for (int r = 0; r < m; r++)
			mx = fmax(mx, sy[s * (size_t)m + (size_t)r]);
		size_t li = lidx[bl->stacks[s].line];
		if (!(mx > 0) || mx < MODEL_STACK_MIN_SHARE * maxtot || li == SIZE_MAX)
			continue;
		struct model_stack *st = &ph->stacks[nst++];
		st->line = li;
		st->nframes = bl->stacks[s].nframes;
		st->frames = calloc(st->nframes, sizeof *st->frames);
		if (!st->frames) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t f = 0; f < st->nframes; f++) {
			st->frames[f] = bl->stacks[s].frames[f];
			st->frames[f].file = strdup(st->frames[f].file);
			st->frames[f].func = strdup(st->frames[f].func);
			if (!st->frames[f].file || !st->frames[f].func) {
				rc = -ENOMEM;
				goto out;
			}
		}
		memcpy(st->y, sy + s * (size_t)m, (size_t)m * sizeof(double));
		if ((rc = fit_series(n, st->y, m, &st->fit)) != 0)
			goto out;
		st->at_predict = fit_predict(&st->fit, predict_n, NULL, NULL);
	}
	ph->nstacks = nst;
	/* each line's stacks add up to the line; what they do not explain
	 * (small stacks, other lines) is drawn as the line's own frame */
	for (size_t k = 0; k <= nkeep; k++) {
		double sum = 0;
		for (size_t s = 0; s < nst; s++)
			if (ph->stacks[s].line == k)
				sum += ph->stacks[s].at_predict;
		double scale = sum > ph->lines[k].at_predict && sum > 0 ? ph->lines[k].at_predict / sum : 1;
		for (size_t s = 0; s < nst; s++)
			if (ph->stacks[s].line == k)
				ph->stacks[s].at_predict *= scale;
	}
	ph->pred = phase_at(ph, m - 2, predict_n, &ph->lo, &ph->hi);
	/* largest first (keeping the stacks' line numbers right) */
	size_t *order = calloc(nkeep + 1, sizeof *order);
	if (!order) {
		rc = -ENOMEM;
		goto out;
	}
	/* a plain index sort (a few hundred lines at most) */
	for (size_t k = 0; k <= nkeep; k++)
		order[k] = k;
	for (size_t a = 1; a <= nkeep; a++)
		for (size_t b = a; b > 0 && ph->lines[order[b]].at_predict > ph->lines[order[b - 1]].at_predict; b--) {
			size_t t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	struct model_line *nl = calloc(nkeep + 1, sizeof *nl);
	size_t *where = calloc(nkeep + 1, sizeof *where);
	if (!nl || !where) {
		free(nl);
		free(where);
		free(order);
		rc = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k <= nkeep; k++) {
		nl[k] = ph->lines[order[k]];
		where[order[k]] = k;
	}
	for (size_t s = 0; s < nst; s++)
		ph->stacks[s].line = where[ph->stacks[s].line];
	free(ph->lines);
	ph->lines = nl;
	free(where);
	free(order);
out:
	free(ly);
	free(sy);
	free(lidx);
	return rc;
}

int model_build(const double *n, struct profile *const *profiles, int m, double predict_n,
		int64_t limit_bytes, const char *cwd, struct model *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (m < FIT_MIN_POINTS || m > FIT_MAX_POINTS)
		return err_set(-EINVAL, err, errlen, "a model needs %d to %d sizes, not %d",
			       FIT_MIN_POINTS, FIT_MAX_POINTS, m);
	struct builder bl;
	memset(&bl, 0, sizeof bl);
	bl.cwd = cwd;
	buf_init(&bl.key);
	struct pic *pics = calloc((size_t)m * MODEL_MAX_PHASES, sizeof *pics);
	uint32_t nph[FIT_MAX_POINTS] = {0};
	int ref = 0, rc = pics ? 0 : -ENOMEM;
	out->m = m;
	out->predict_n = predict_n;
	out->limit_bytes = limit_bytes;
	for (int r = 0; r < m; r++) {
		out->n[r] = n[r];
		out->peak[r] = (double)profiles[r]->peak_bytes;
		if (n[r] > n[ref])
			ref = r;
	}
	/* the phases of every run */
	for (int r = 0; !rc && r < m; r++) {
		const struct profile *p = profiles[r];
		uint32_t ks[MODEL_MAX_PHASES];
		uint32_t nk = model_phase_moments(p, ks, MODEL_MAX_PHASES);
		if (!nk) {
			/* no history at all: the peak picture (a hand-made
			 * profile without moments) */
			rc = err_set(-EINVAL, err, errlen, "the run at n=%.0f has no picture of its peak",
				     n[r]);
			break;
		}
		for (uint32_t q = 0; !rc && q < nk; q++)
			rc = pic_make(&bl, p, ks[q], &pics[r * MODEL_MAX_PHASES + (int)q]);
		nph[r] = nk;
	}
	for (int r = 0; !rc && r < m; r++)
		for (uint32_t q = 0; !rc && q < nph[r]; q++)
			rc = pic_lines(&bl, &pics[r * MODEL_MAX_PHASES + (int)q]);
	if (rc == -ENOMEM)
		err_set(rc, err, errlen, "out of memory while modelling");
	/* the same phase caught twice: drop the lower */
	for (int r = 0; !rc && r < m; r++) {
		struct pic *pr = &pics[r * MODEL_MAX_PHASES];
		double top = 0;
		for (uint32_t a = 0; a < nph[r]; a++)
			top = fmax(top, pr[a].total);
		for (uint32_t a = 0; a < nph[r]; a++)
			for (uint32_t b = 0; b < nph[r]; b++) {
				if (a == b || pr[b].dropped || pr[a].dropped)
					continue;
				struct pic *lo = pr[a].total <= pr[b].total ? &pr[a] : &pr[b];
				struct pic *hi = lo == &pr[a] ? &pr[b] : &pr[a];
				if (excess(lo, hi, bl.nlines) <= MODEL_PHASE_SAME * top)
					lo->dropped = 1;
			}
	}
	/* the phases of the largest run, matched in the others: by order when
	 * they have as many, else by which lines dominate */
	struct pic *refp[MODEL_MAX_PHASES];
	int nref = 0;
	for (uint32_t q = 0; !rc && q < nph[ref]; q++)
		if (!pics[ref * MODEL_MAX_PHASES + (int)q].dropped)
			refp[nref++] = &pics[ref * MODEL_MAX_PHASES + (int)q];
	if (!rc) {
		out->phases = calloc((size_t)nref + 1, sizeof *out->phases);
		if (!out->phases)
			rc = err_set(-ENOMEM, err, errlen, "out of memory while modelling");
	}
	for (int j = 0; !rc && j < nref; j++) {
		struct pic *match[FIT_MAX_POINTS];
		for (int r = 0; r < m; r++) {
			struct pic *pr = &pics[r * MODEL_MAX_PHASES];
			struct pic *kept[MODEL_MAX_PHASES] = {0};
			int nk = 0;
			for (uint32_t q = 0; q < nph[r]; q++)
				if (!pr[q].dropped)
					kept[nk++] = &pr[q];
			if (r == ref) {
				match[r] = refp[j];
			} else if (nk == nref) {
				match[r] = kept[j];
			} else {
				double best = -1;
				match[r] = kept[0];
				for (int q = 0; q < nk; q++) {
					double c = cosine(kept[q], refp[j], bl.nlines);
					if (c > best) {
						best = c;
						match[r] = kept[q];
					}
				}
			}
		}
		rc = phase_fit(&bl, match, m, n, predict_n > 0 ? predict_n : n[ref] * 10,
			       &out->phases[j]);
		if (rc == -ENOMEM)
			err_set(rc, err, errlen, "out of memory while modelling");
		else if (rc)
			err_set(rc, err, errlen, "the sizes cannot be fitted (each must be a distinct number > 0)");
		out->nphases = j + 1;
	}
	if (!rc) {
		double at = predict_n > 0 ? predict_n : n[ref] * 10;
		out->pred = model_peak_at(out, at, &out->lo, &out->hi, &out->top);
		for (int j = 0; j < out->nphases; j++)
			if (out->phases[j].resid_rms > 0.10)
				out->noisy = 1;
		if (limit_bytes > 0) {
			out->max_n = max_n_within(out, (double)limit_bytes, 0);
			out->max_n_high = max_n_within(out, (double)limit_bytes, 1);
		}
	}
	for (int i = 0; pics && i < m * MODEL_MAX_PHASES; i++)
		pic_free(&pics[i]);
	free(pics);
	for (size_t i = 0; i < bl.nstacks; i++) {
		for (uint32_t f = 0; f < bl.stacks[i].nframes; f++) {
			free(bl.stacks[i].frames[f].file);
			free(bl.stacks[i].frames[f].func);
		}
		free(bl.stacks[i].frames);
	}
	free(bl.stacks);
	for (size_t i = 0; i < bl.nlines; i++) {
		free(bl.lines[i].file);
		free(bl.lines[i].func);
	}
	free(bl.lines);
	smap_free(&bl.stack_map);
	smap_free(&bl.line_map);
	buf_free(&bl.key);
	if (rc)
		model_free(out);
	return rc;
}
