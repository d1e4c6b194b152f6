/* report/moments.c — pictures of a few moments, by line (moments.h). */
#include "report/moments.h"

#include <errno.h>
#include <stdlib.h>

/* The lines holding most among y[0 .. nf), into m (largest first). */
static void top_lines(const int64_t *y, uint32_t nf, struct moment_pic *m)
{
	m->n = 0;
	for (uint32_t f = 0; f < nf; f++) {
		if (y[f] <= 0 || (m->n == MOMENTS_LINES && y[f] <= m->lines[m->n - 1].bytes))
			continue;
		uint32_t i = m->n < MOMENTS_LINES ? m->n++ : MOMENTS_LINES - 1;
		while (i > 0 && m->lines[i - 1].bytes < y[f]) {
			m->lines[i] = m->lines[i - 1];
			i--;
		}
		m->lines[i] = (struct moment_line){f, y[f]};
	}
}

int moments_pick(const struct view *v, struct moment_pic *out, size_t cap, size_t *n)
{
	const struct profile *p = v->p;
	*n = 0;
	uint32_t K = p->nmoments, nf = p->nframes;
	if (!K || !nf || !cap)
		return 0;
	uint8_t *chosen = calloc(K, 1);
	int64_t *y = calloc(nf, sizeof(*y)), *raw = calloc(p->nnodes ? p->nnodes : 1, sizeof(*raw));
	uint32_t *line = malloc((p->nnodes ? p->nnodes : 1) * sizeof(*line));
	int rc = chosen && y && raw && line ? 0 : -ENOMEM;
	if (!rc) {
		/* evenly in time: the moment nearest each of cap instants */
		double t0 = p->moments[0].t_s, t1 = p->moments[K - 1].t_s;
		uint32_t k = 0;
		/* cap - 2 instants, then the last moment and the peak */
		size_t inst = cap > 2 ? cap - 2 : 0;
		for (size_t j = 0; j < inst && K > 1; j++) {
			double t = inst > 1 ? t0 + (t1 - t0) * (double)j / (double)(inst - 1) : t0;
			while (k + 1 < K && p->moments[k + 1].t_s <= t)
				k++;
			chosen[k] = 1;
		}
		chosen[K - 1] = 1;
		for (uint32_t i = 0; i < K; i++)
			if (p->moments[i].is_peak)
				chosen[i] = 1;
		for (uint32_t i = 0; i < p->nnodes; i++) {
			uint32_t f = view_node_line(v, i);
			line[i] = f < nf ? f : i && p->nodes[i].frame < nf ? p->nodes[i].frame : UINT32_MAX;
		}
	}
	for (uint32_t k = 0; !rc && k < K && *n < cap; k++) {
		const struct profile_moment *m = &p->moments[k];
		for (uint32_t c = 0; c < m->nchanges; c++) {
			const struct profile_change *ch = &p->changes[m->first + c];
			if (ch->node >= p->nnodes || line[ch->node] == UINT32_MAX)
				continue;
			int64_t b = ch->v.bytes > 0 ? ch->v.bytes : 0;
			y[line[ch->node]] += b - raw[ch->node];
			raw[ch->node] = b;
		}
		if (!chosen[k] || (k + 1 < K && p->moments[k + 1].t_s == m->t_s && !m->is_peak))
			continue; /* a later moment at the same instant says more */
		struct moment_pic *o = &out[(*n)++];
		o->t_s = m->t_s;
		o->bytes = m->bytes;
		top_lines(y, nf, o);
	}
	free(chosen);
	free(y);
	free(raw);
	free(line);
	return rc;
}
