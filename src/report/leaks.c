/* report/leaks.c — leak suspects (leaks.h). */
#include "report/leaks.h"

#include <errno.h>
#include <stdlib.h>

/* One line's running fit.  Its bytes are constant between the moments at
 * which one of its stacks changed, so the sums over a stretch of moments
 * [since, k) come from prefix sums of t and t² over the moments.  The fit
 * ends at the last moment the line reached its most: a leak is torn down
 * at exit (Ctrl-C unwinds main and frees it), and those last moments are
 * not the run; the sums up to there are kept when it is reached. */
struct acc {
	int64_t y;           /* bytes now (sum of its stacks) */
	uint32_t start;      /* moment index + 1 at which it first held bytes; 0: never */
	uint32_t since;      /* y holds from this moment on */
	int64_t y_first;     /* at its start */
	int64_t y_max;       /* the most it held, last reached at moment k_max */
	uint32_t k_max;
	long double sy, syy, sty;       /* over [start, since) */
	long double my, myy, mty;       /* the same over [start, k_max) */
};

/* Add y over moments [a, b). */
static void add_span(struct acc *l, uint32_t a, uint32_t b, const long double *T1)
{
	if (b <= a || !l->start)
		return;
	long double y = (long double)l->y, n = (long double)(b - a);
	l->sy += y * n;
	l->syy += y * y * n;
	l->sty += y * (T1[b] - T1[a]);
}

static int by_grown(const void *a, const void *b)
{
	const struct leak_suspect *x = a, *y = b;
	if (x->grown_bytes != y->grown_bytes)
		return x->grown_bytes > y->grown_bytes ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

int leaks_find(const struct view *v, struct leak_suspect *out, size_t cap, size_t *n)
{
	const struct profile *p = v->p;
	*n = 0;
	uint32_t K = p->nmoments;
	while (K && p->moments[K - 1].is_end)
		K--; /* the end is after the teardown: not the run */
	if (K < LEAKS_MIN_POINTS || !p->nframes)
		return 0;
	uint32_t nf = p->nframes;
	long double *T1 = calloc((size_t)K + 1, sizeof(*T1)), *T2 = calloc((size_t)K + 1, sizeof(*T2));
	struct acc *acc = calloc(nf, sizeof(*acc));
	int64_t *raw = calloc(p->nnodes ? p->nnodes : 1, sizeof(*raw));
	uint32_t *line = malloc((p->nnodes ? p->nnodes : 1) * sizeof(*line));
	int rc = T1 && T2 && acc && raw && line ? 0 : -ENOMEM;
	for (uint32_t k = 0; !rc && k < K; k++) {
		long double t = (long double)p->moments[k].t_s;
		T1[k + 1] = T1[k] + t;
		T2[k + 1] = T2[k] + t * t;
	}
	for (uint32_t i = 0; !rc && i < p->nnodes; i++) {
		uint32_t f = view_node_line(v, i);
		line[i] = f < nf && !(p->frames[f].flags & PROFILE_FRAME_SYNTHETIC) ? f : UINT32_MAX;
	}
	for (uint32_t k = 0; !rc && k < K; k++) {
		const struct profile_moment *m = &p->moments[k];
		for (uint32_t c = 0; c < m->nchanges; c++) {
			const struct profile_change *ch = &p->changes[m->first + c];
			if (ch->node >= p->nnodes || line[ch->node] == UINT32_MAX)
				continue;
			int64_t b = ch->v.bytes > 0 ? ch->v.bytes : 0;
			struct acc *l = &acc[line[ch->node]];
			if (b == raw[ch->node])
				continue;
			add_span(l, l->since, k, T1);
			l->y += b - raw[ch->node];
			raw[ch->node] = b;
			l->since = k;
			if (!l->start && l->y > 0) {
				l->start = k + 1;
				l->y_first = l->y_max = l->y;
				l->k_max = k;
			}
			if (l->start && l->y >= l->y_max) {
				l->y_max = l->y;
				l->k_max = k;
				l->my = l->sy;
				l->myy = l->syy;
				l->mty = l->sty;
			}
		}
	}
	int64_t floor = p->peak_bytes / 100 > LEAKS_MIN_GROWN ? p->peak_bytes / 100 : LEAKS_MIN_GROWN;
	double t_end = p->moments[K - 1].t_s, span_all = t_end - p->moments[0].t_s;
	double late = span_all / 10 > 1.0 ? span_all / 10 : 1.0;
	size_t found = 0;
	struct leak_suspect *all = NULL;
	for (uint32_t f = 0; !rc && f < nf; f++) {
		const struct acc *l = &acc[f];
		if (!l->start)
			continue;
		uint32_t a = l->start - 1, z = l->k_max; /* the window: moments a .. z */
		double from = p->moments[a].t_s, to = p->moments[z].t_s;
		/* it held its most until late in the run, over enough of it */
		if (z + 1 - a < LEAKS_MIN_POINTS || to - from < 1.0 || to - from < span_all / 5 ||
		    to < t_end - late || l->y_max - l->y_first < floor)
			continue;
		long double cnt = (long double)(z + 1 - a), ym = (long double)l->y_max;
		long double sy = l->my + ym, syy = l->myy + ym * ym,
			    sty = l->mty + ym * (long double)p->moments[z].t_s;
		long double st = T1[z + 1] - T1[a], stt = T2[z + 1] - T2[a];
		long double sxx = stt - st * st / cnt, sxy = sty - st * sy / cnt;
		long double syy_c = syy - sy * sy / cnt;
		if (sxx <= 0 || syy_c <= 0 || sxy <= 0)
			continue;
		double slope = (double)(sxy / sxx), r2 = (double)(sxy * sxy / (sxx * syy_c));
		double g = slope * (to - from);
		int64_t grown = g < (double)(l->y_max - l->y_first) ? (int64_t)g
								  : l->y_max - l->y_first;
		if (r2 < LEAKS_MIN_R2 || grown < floor)
			continue;
		struct leak_suspect *q = realloc(all, (found + 1) * sizeof(*all));
		if (!q) {
			rc = -ENOMEM;
			break;
		}
		all = q;
		all[found++] = (struct leak_suspect){p->pid, f, v->file[f], p->frames[f].func,
						     p->frames[f].line, slope, grown,
						     r2 > 1 ? 1 : r2, from, to};
	}
	if (!rc && found) {
		leaks_rank(all, found);
		for (size_t i = 0; i < found && i < cap; i++)
			out[(*n)++] = all[i];
	}
	free(all);
	free(T1);
	free(T2);
	free(acc);
	free(raw);
	free(line);
	return rc;
}

void leaks_rank(struct leak_suspect *s, size_t n)
{
	if (n > 1)
		qsort(s, n, sizeof(*s), by_grown);
}
