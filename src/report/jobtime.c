/* report/jobtime.c — the whole job over time (jobtime.h). */
#include "report/jobtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"

/* Two instants this close are one (the records' clock ticks in ms). */
#define EPS 1e-6
/* The finest spacing of the grid: t_s has 3 decimals in the file. */
#define GRID_STEP 1e-3

/* Each point's part of the job (jobtime.h): its total less the inherited
 * bytes it has not freed, a drop below them being such a free. */
static void parts_of(const struct profile *p, int64_t *out)
{
	int64_t inh = p->inherited_bytes > 0 ? p->inherited_bytes : 0;
	int64_t freed_cap = p->inherited_freed_bytes < inh ? p->inherited_freed_bytes : inh;
	int64_t low = INT64_MAX;
	for (uint32_t i = 0; i < p->ntimeline; i++) {
		int64_t cur = p->timeline[i].bytes;
		if (cur < low)
			low = cur;
		int64_t freed = inh > low ? inh - low : 0;
		if (freed > freed_cap)
			freed = freed_cap;
		int64_t part = cur - (inh - freed);
		out[i] = part > 0 ? part : 0;
	}
}

/* An instant of the grid; the special ones (the job's peak, a process's
 * start or end) win over the evenly spaced ones they fall on. */
struct instant {
	double t;
	int rank; /* 0 evenly spaced, 1 a process's start or end, 2 the job's peak */
};

static int instant_cmp(const void *a, const void *b)
{
	const struct instant *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

static int make_grid(struct jobtime *jt, const struct jobtime_proc *procs, size_t np, double peak_t,
		     double run_end)
{
	double end = peak_t > run_end ? peak_t : run_end > 0 ? run_end : 0;
	for (size_t i = 0; i < np; i++) {
		const struct profile *p = procs[i].p;
		if (p->ntimeline && p->timeline[p->ntimeline - 1].t_s + procs[i].offset_s > end)
			end = p->timeline[p->ntimeline - 1].t_s + procs[i].offset_s;
		if (procs[i].left_s > end)
			end = procs[i].left_s;
	}
	if (end <= 0)
		end = 0.1;
	size_t cap = JOBTIME_POINTS + 1 + 3 * np;
	struct instant *in = malloc(cap * sizeof *in);
	double *t = malloc(cap * sizeof *t);
	if (!in || !t) {
		free(in);
		free(t);
		return -ENOMEM;
	}
	size_t n = 0;
	for (size_t k = 0; k < JOBTIME_POINTS; k++)
		in[n++] = (struct instant){end * (double)k / (JOBTIME_POINTS - 1), 0};
	if (peak_t >= 0)
		in[n++] = (struct instant){peak_t, 2};
	for (size_t i = 0; i < np; i++) {
		const struct profile *p = procs[i].p;
		if (!p->ntimeline)
			continue;
		double a = p->timeline[0].t_s + procs[i].offset_s;
		double z = p->timeline[p->ntimeline - 1].t_s + procs[i].offset_s;
		in[n++] = (struct instant){a > 0 ? a : 0, 1};
		in[n++] = (struct instant){z > 0 ? z : 0, 1};
		if (procs[i].left_s >= 0)
			in[n++] = (struct instant){procs[i].left_s, 1};
	}
	qsort(in, n, sizeof *in, instant_cmp);
	/* instants closer than a millisecond (the file's resolution) are one */
	size_t m = 0;
	int rank = 0;
	for (size_t k = 0; k < n; k++) {
		if (m && in[k].t - t[m - 1] < GRID_STEP) {
			if (in[k].rank > rank) {
				t[m - 1] = in[k].t;
				rank = in[k].rank;
			}
			continue;
		}
		t[m++] = in[k].t;
		rank = in[k].rank;
	}
	free(in);
	jt->t = t;
	jt->nt = m;
	return 0;
}

int jobtime_build(struct jobtime *jt, const struct jobtime_proc *procs, size_t np, double peak_t,
		  double end_s)
{
	memset(jt, 0, sizeof *jt);
	int rc = make_grid(jt, procs, np, peak_t, end_s);
	if (rc)
		return rc;
	jt->np = np;
	size_t nt = jt->nt;
	jt->v = calloc(np * nt + 1, sizeof *jt->v);
	jt->total = calloc(nt, sizeof *jt->total);
	if (!jt->v || !jt->total)
		return -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		const struct profile *p = procs[i].p;
		uint32_t n = p->ntimeline;
		if (!n)
			continue;
		int64_t *part = malloc(n * sizeof *part);
		if (!part)
			return -ENOMEM;
		parts_of(p, part);
		double off = procs[i].offset_s, left = procs[i].left_s;
		int64_t *row = jt->v + i * nt;
		uint32_t j = 0;
		for (size_t k = 0; k < nt; k++) {
			double t = jt->t[k];
			while (j < n && p->timeline[j].t_s + off <= t + EPS)
				j++;
			if (j == 0 || (left >= 0 && t > left + EPS))
				row[k] = 0; /* not started yet, or left the job */
			else
				row[k] = part[j - 1];
			jt->total[k] += row[k];
		}
		free(part);
	}
	return 0;
}

int jobtime_picture_at(const struct jobtime_proc *jp, double t_s, int at_end, int64_t *self,
		       int64_t *bytes)
{
	const struct profile *p = jp->p;
	*bytes = 0;
	if (p->nnodes)
		memset(self, 0, (size_t)p->nnodes * sizeof(*self));
	if (!at_end && (t_s + EPS < jp->offset_s || (jp->left_s >= 0 && t_s > jp->left_s + EPS)))
		return 0; /* not started yet, or gone */
	uint32_t k = at_end ? p->nmoments - 1 : profile_moment_at(p, t_s - jp->offset_s + EPS);
	if (!p->nmoments || k == UINT32_MAX)
		return 1; /* in the job, nothing recorded yet */
	int64_t held = profile_own_picture_at(p, k, self);
	if (held == OOMPH_PROFILE_ENOMEM)
		return -ENOMEM;
	*bytes = held > 0 ? held : 0;
	return 1;
}

void jobtime_free(struct jobtime *jt)
{
	free(jt->t);
	free(jt->v);
	free(jt->total);
	memset(jt, 0, sizeof *jt);
}

static void put_i64(struct buf *b, int64_t v)
{
	char s[NUMFMT_MAX];
	buf_put(b, s, (size_t)numfmt_i64(s, v));
}

void jobtime_tsv(struct buf *b, const struct jobtime *jt, const struct jobtime_proc *procs)
{
	buf_puts(b, "# oomph job timeline 1\n"
		    "# each process's part of the job's tracked bytes (a fork child's inherited "
		    "heap is its parent's); job_bytes is their sum\n");
	for (size_t i = 0; i < jt->np; i++) {
		buf_puts(b, "# ");
		buf_puts(b, procs[i].column);
		buf_puts(b, "\t");
		/* one line of text, whatever the command line held */
		for (const char *c = procs[i].label; *c; c++)
			buf_putc(b, (unsigned char)*c < ' ' ? ' ' : *c);
		buf_puts(b, "\n");
	}
	buf_puts(b, "t_s\tjob_bytes");
	for (size_t i = 0; i < jt->np; i++) {
		buf_puts(b, "\t");
		buf_puts(b, procs[i].column);
	}
	buf_puts(b, "\n");
	char s[NUMFMT_MAX];
	for (size_t k = 0; k < jt->nt; k++) {
		buf_put(b, s, (size_t)numfmt_fixed(s, jt->t[k], 3));
		buf_puts(b, "\t");
		put_i64(b, jt->total[k]);
		for (size_t i = 0; i < jt->np; i++) {
			buf_puts(b, "\t");
			put_i64(b, jt->v[i * jt->nt + k]);
		}
		buf_puts(b, "\n");
	}
}
