/* profile/history.c — pictures at recorded moments, and building a history
 * by hand (profile.h).  Reading the history out of a state file is
 * profile/reader.c. */
#include "profile/profile.h"

#include <stdlib.h>
#include <string.h>

#include "common/bounds.h"

static int64_t nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

/* A figure of bytes held, within what one process can hold. */
static int64_t clamp_bytes(int64_t v)
{
	return v < 0 ? 0 : v > OOMPH_BYTES_MAX ? OOMPH_BYTES_MAX : v;
}

/* Each figure is read within [0, OOMPH_BYTES_MAX] (the reader rejects a
 * state file with one outside; a hand-built history is clamped), so with
 * n < 2^32 the sums are below 2^89 and every product part * pool below
 * 2^121: 128-bit integers, exact.  Each share is the floor of its exact
 * quotient, so the shares add up to at most the pool and no int64 sum
 * below can overflow or exceed target. */
int64_t profile_rescale(int64_t *out, const struct profile_bytes *v, uint32_t n, int64_t target)
{
	unsigned __int128 est_sum = 0, exact_sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		int64_t b = clamp_bytes(v[i].bytes), ex = clamp_bytes(v[i].exact);
		exact_sum += (uint64_t)ex;
		est_sum += (uint64_t)(b > ex ? b - ex : 0);
	}
	if (target < 0)
		target = 0;
	int all = exact_sum > (uint64_t)target;
	uint64_t pool = (uint64_t)target - (all ? 0 : (uint64_t)exact_sum);
	unsigned __int128 denom = all ? est_sum + exact_sum : est_sum;
	int64_t total = 0;
	uint32_t big = UINT32_MAX; /* the largest stack sharing the pool: the
				      floors' remainder is an estimate's, never
				      added to bytes recorded exactly */
	for (uint32_t i = 0; i < n; i++) {
		int64_t b = clamp_bytes(v[i].bytes), ex = clamp_bytes(v[i].exact);
		int64_t est = b > ex ? b - ex : 0;
		unsigned __int128 part = (uint64_t)(all ? ex + est : est);
		/* (the quotient of the 128-bit product, in 64 bits when that
		 * holds it: most nodes have no part, most parts are small) */
		int64_t share = 0;
		uint64_t prod;
		if (denom && part && denom <= UINT64_MAX &&
		    !__builtin_mul_overflow((uint64_t)part, pool, &prod))
			share = (int64_t)(prod / (uint64_t)denom);
		else if (denom && part)
			share = (int64_t)(part * pool / denom);
		out[i] = (all ? 0 : ex) + share;
		total += out[i];
		if (part && (big == UINT32_MAX || out[i] > out[big]))
			big = i;
	}
	if (denom && big != UINT32_MAX) { /* denom > 0: some part is */
		out[big] += target - total; /* total <= target: floors */
		return 0;
	}
	return target - total; /* nothing sampled to spread it over */
}

/* The raw (bytes, exact) of every node at moment k, replayed from the
 * start.  raw: nnodes entries. */
static void replay(const struct profile *p, uint32_t k, struct profile_bytes *raw)
{
	memset(raw, 0, (size_t)p->nnodes * sizeof(*raw));
	for (uint32_t m = 0; m <= k; m++) {
		const struct profile_moment *mo = &p->moments[m];
		for (uint32_t c = 0; c < mo->nchanges; c++) {
			const struct profile_change *ch = &p->changes[mo->first + c];
			if (ch->node < p->nnodes)
				raw[ch->node] = ch->v;
		}
	}
}

int profile_picture_at(const struct profile *p, uint32_t k, int64_t *self)
{
	if (k >= p->nmoments || !p->nnodes)
		return OOMPH_PROFILE_ERANGE;
	struct profile_bytes *raw = malloc((size_t)p->nnodes * sizeof(*raw));
	if (!raw)
		return OOMPH_PROFILE_ENOMEM;
	replay(p, k, raw);
	int64_t left = profile_rescale(self, raw, p->nnodes, nonneg(p->moments[k].bytes));
	self[p->unattributed_node < p->nnodes ? p->unattributed_node : 0] += left;
	free(raw);
	return 0;
}

int profile_grown(const struct profile *p, uint32_t k1, uint32_t k2, int64_t *delta)
{
	if (k1 >= p->nmoments || k2 >= p->nmoments)
		return OOMPH_PROFILE_ERANGE;
	int64_t *a = malloc((size_t)p->nnodes * sizeof(*a));
	if (!a)
		return OOMPH_PROFILE_ENOMEM;
	int rc = profile_picture_at(p, k1, a);
	if (!rc)
		rc = profile_picture_at(p, k2, delta);
	if (!rc)
		for (uint32_t i = 0; i < p->nnodes; i++)
			delta[i] -= a[i];
	free(a);
	return rc;
}

uint32_t profile_moment_at(const struct profile *p, double t_s)
{
	/* moments ascend in time: the last one not after t_s */
	uint32_t lo = 0, hi = p->nmoments;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->moments[mid].t_s <= t_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : UINT32_MAX;
}

/* The end of a fork child: its own total is known exactly (its total less
 * what it inherited and still holds, inherited_freed_bytes being all it
 * freed of it), so its stacks less the inherited ones, as recorded, are
 * rescaled to that, as every picture is to its exact total. */
static int64_t own_end_picture(const struct profile *p, uint32_t k, uint32_t n, int64_t *self)
{
	struct profile_bytes *raw = malloc((size_t)p->nnodes * sizeof(*raw));
	if (!raw)
		return OOMPH_PROFILE_ENOMEM;
	replay(p, k, raw);
	for (uint32_t i = 0; i < n; i++) {
		const struct profile_bytes *h = &p->inherited_pic[i];
		int64_t b = clamp_bytes(raw[i].bytes), ib = clamp_bytes(h->bytes);
		int64_t ex = clamp_bytes(raw[i].exact), iex = clamp_bytes(h->exact);
		raw[i].bytes = nonneg(b - ib);
		raw[i].exact = nonneg((ex < b ? ex : b) - (iex < ib ? iex : ib));
	}
	int64_t inh = clamp_bytes(p->inherited_bytes), freed = clamp_bytes(p->inherited_freed_bytes);
	int64_t own = nonneg(clamp_bytes(p->moments[k].bytes) - inh + (freed < inh ? freed : inh));
	int64_t left = profile_rescale(self, raw, p->nnodes, own);
	self[p->unattributed_node < p->nnodes ? p->unattributed_node : 0] += left;
	free(raw);
	return own;
}

int64_t profile_own_picture_at(const struct profile *p, uint32_t k, int64_t *self)
{
	uint32_t n = p->ninherited < p->nnodes ? p->ninherited : p->nnodes;
	if (k < p->nmoments && k + 1 == p->nmoments && p->moments[k].is_end && p->inherited_pic &&
	    n && p->inherited_bytes > 0)
		return own_end_picture(p, k, n, self);
	int rc = profile_picture_at(p, k, self);
	if (rc)
		return rc;
	int64_t *inh = NULL;
	if (p->inherited_pic && n && p->inherited_bytes > 0) {
		/* the inherited stacks as the pictures show them: rescaled to
		 * what it had at its fork, the rest where the pictures put it */
		if (!(inh = calloc(p->nnodes, sizeof(*inh))))
			return OOMPH_PROFILE_ENOMEM;
		int64_t left = profile_rescale(inh, p->inherited_pic, n, p->inherited_bytes);
		inh[p->unattributed_node < p->nnodes ? p->unattributed_node : 0] += left;
	}
	int64_t sum = 0;
	for (uint32_t i = 0; i < p->nnodes; i++) {
		if (inh)
			self[i] = nonneg(self[i] - inh[i]);
		sum += self[i]; /* a picture's parts add up to an exact total */
	}
	free(inh);
	return sum;
}

/* Room for one more element in a hand-built array (doubling at powers of
 * two, as profile.c does). */
static int room(void **arr, uint32_t n, size_t elem)
{
	if (n & (n - 1))
		return 0;
	void *q = realloc(*arr, (n ? (size_t)n * 2 : 1) * elem);
	if (!q)
		return OOMPH_PROFILE_ENOMEM;
	*arr = q;
	return 0;
}

int profile_add_point(struct profile *p, double t_s, int64_t bytes)
{
	if (p->ntimeline && t_s < p->timeline[p->ntimeline - 1].t_s)
		return OOMPH_PROFILE_ECORRUPT;
	if (room((void **)&p->timeline, p->ntimeline, sizeof(*p->timeline)))
		return OOMPH_PROFILE_ENOMEM;
	p->timeline[p->ntimeline++] = (struct profile_point){t_s, bytes};
	return 0;
}

int profile_add_moment(struct profile *p, double t_s, int64_t bytes, const int64_t *self)
{
	uint32_t k = p->nmoments;
	if (k && t_s < p->moments[k - 1].t_s)
		return OOMPH_PROFILE_ECORRUPT;
	struct profile_bytes *raw = malloc(((size_t)p->nnodes + 1) * sizeof(*raw));
	if (!raw)
		return OOMPH_PROFILE_ENOMEM;
	if (k)
		replay(p, k - 1, raw);
	else
		memset(raw, 0, (size_t)p->nnodes * sizeof(*raw));
	if (room((void **)&p->moments, k, sizeof(*p->moments))) {
		free(raw);
		return OOMPH_PROFILE_ENOMEM;
	}
	struct profile_moment *m = &p->moments[k];
	memset(m, 0, sizeof(*m));
	m->t_s = t_s;
	m->bytes = bytes;
	m->first = p->nchanges;
	for (uint32_t i = 0; i < p->nnodes; i++) {
		if (raw[i].bytes == self[i] && raw[i].exact == self[i])
			continue;
		if (room((void **)&p->changes, p->nchanges, sizeof(*p->changes))) {
			free(raw);
			return OOMPH_PROFILE_ENOMEM;
		}
		p->changes[p->nchanges++] = (struct profile_change){i, 0, {self[i], self[i]}};
		m->nchanges++;
	}
	p->nmoments++;
	free(raw);
	return 0;
}

/* ---- the history of a loaded profile ----------------------------------- */

struct asm_out {
	struct profile *p;
	uint32_t cap_changes, cap_moments;
};

static int same(const struct profile_bytes *a, const struct profile_bytes *b)
{
	return a->bytes == b->bytes && a->exact == b->exact;
}

static int grow_to(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint32_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc = nc > UINT32_MAX / 2 ? need : nc * 2;
	void *q = realloc(*arr, (size_t)nc * elem);
	if (!q)
		return OOMPH_PROFILE_ENOMEM;
	*arr = q;
	*cap = nc;
	return 0;
}

static int out_change(struct asm_out *o, uint32_t node, struct profile_bytes v)
{
	struct profile *p = o->p;
	if (p->nchanges == UINT32_MAX ||
	    grow_to((void **)&p->changes, &o->cap_changes, p->nchanges + 1, sizeof(*p->changes)))
		return OOMPH_PROFILE_ENOMEM;
	p->changes[p->nchanges++] = (struct profile_change){node, 0, v};
	return 0;
}

/* Close a moment whose changes are changes[first .. nchanges). */
static int out_moment(struct asm_out *o, double t_s, int64_t bytes, uint32_t first, int is_peak,
		      int is_end)
{
	struct profile *p = o->p;
	if (grow_to((void **)&p->moments, &o->cap_moments, p->nmoments + 1, sizeof(*p->moments)))
		return OOMPH_PROFILE_ENOMEM;
	struct profile_moment *m = &p->moments[p->nmoments++];
	memset(m, 0, sizeof(*m));
	m->t_s = t_s;
	m->bytes = bytes;
	m->first = first;
	m->nchanges = p->nchanges - first;
	m->is_peak = (uint8_t)is_peak;
	m->is_end = (uint8_t)is_end;
	return 0;
}

/* A whole picture as a moment: every node whose replayed value `emit`
 * differs from `pic`; those nodes are listed in diff (if not NULL). */
static int out_picture(struct asm_out *o, uint32_t nn, struct profile_bytes *emit,
		       const struct profile_bytes *pic, uint32_t *diff, uint32_t *ndiff, double t_s,
		       int64_t bytes, int is_peak, int is_end)
{
	uint32_t first = o->p->nchanges;
	for (uint32_t i = 0; i < nn; i++) {
		if (same(&emit[i], &pic[i]))
			continue;
		if (out_change(o, i, pic[i]))
			return OOMPH_PROFILE_ENOMEM;
		emit[i] = pic[i];
		if (diff)
			diff[(*ndiff)++] = i;
	}
	return out_moment(o, t_s, bytes, first, is_peak, is_end);
}

static int assemble_timeline(struct profile *p, const struct profile_point *pts, uint32_t npts)
{
	p->timeline = malloc(((size_t)npts + 2) * sizeof(*p->timeline));
	if (!p->timeline)
		return OOMPH_PROFILE_ENOMEM;
	uint32_t n = 0, i = 0;
	while (i < npts && pts[i].t_s < p->peak_time_s)
		p->timeline[n++] = pts[i++];
	/* The peak goes before the points of its own tick of the clock
	 * unless one of them is it: their last is where the tick ended, and
	 * a point's extremes span it, so a peak none of them shows came
	 * first (a fork child at its peak, its inheritance, that frees it in
	 * the same tick) */
	int shown = 0;
	for (uint32_t j = i; j < npts && pts[j].t_s == p->peak_time_s; j++)
		shown |= pts[j].bytes == p->peak_bytes;
	if (!shown)
		p->timeline[n++] = (struct profile_point){p->peak_time_s, p->peak_bytes};
	while (i < npts)
		p->timeline[n++] = pts[i++];
	double end = p->duration_s > p->timeline[n - 1].t_s ? p->duration_s : p->timeline[n - 1].t_s;
	p->timeline[n++] = (struct profile_point){end, p->end_bytes};
	p->ntimeline = n;
	return 0;
}

int profile_history_assemble(struct profile *p, uint32_t nn, const struct profile_point *pts,
			     uint32_t npts, const struct profile_moment *ms, uint32_t nms,
			     const struct profile_change *changes, const struct profile_bytes *peak,
			     const struct profile_bytes *live)
{
	if (assemble_timeline(p, pts, npts))
		return OOMPH_PROFILE_ENOMEM;
	/* truev: the tracker's pictures replayed; emit: what the moments
	 * written so far replay to (they differ after the peak was put in,
	 * on the nodes listed in diff, until the next moment mends them). */
	struct profile_bytes *truev = calloc(nn, sizeof(*truev));
	struct profile_bytes *emit = calloc(nn, sizeof(*emit));
	uint32_t *stamp = calloc(nn, sizeof(*stamp));
	uint32_t *diff = malloc((size_t)nn * sizeof(*diff));
	struct asm_out o = {p, 0, 0};
	int rc = truev && emit && stamp && diff ? 0 : OOMPH_PROFILE_ENOMEM;
	uint32_t ndiff = 0;
	int peak_done = 0;
	double last_t = 0;
	for (uint32_t m = 0; m <= nms && !rc; m++) {
		if (!peak_done && (m == nms || ms[m].t_s > p->peak_time_s)) {
			rc = out_picture(&o, nn, emit, peak, diff, &ndiff, p->peak_time_s, p->peak_bytes,
					 1, 0);
			peak_done = 1;
			last_t = p->peak_time_s;
		}
		if (m == nms || rc)
			break;
		const struct profile_moment *mo = &ms[m];
		uint32_t first = p->nchanges, tag = p->nmoments + 1;
		for (uint32_t c = 0; c < mo->nchanges; c++) {
			const struct profile_change *ch = &changes[mo->first + c];
			if (ch->node < nn)
				truev[ch->node] = ch->v;
		}
		for (uint32_t c = 0; c < mo->nchanges && !rc; c++) {
			uint32_t node = changes[mo->first + c].node;
			if (node >= nn || stamp[node] == tag)
				continue;
			stamp[node] = tag;
			emit[node] = truev[node];
			rc = out_change(&o, node, truev[node]);
		}
		for (uint32_t d = 0; d < ndiff && !rc; d++) {
			uint32_t node = diff[d];
			if (stamp[node] == tag || same(&emit[node], &truev[node]))
				continue;
			stamp[node] = tag;
			emit[node] = truev[node];
			rc = out_change(&o, node, truev[node]);
		}
		ndiff = 0;
		last_t = mo->t_s > last_t ? mo->t_s : last_t;
		if (!rc)
			rc = out_moment(&o, last_t, mo->bytes, first, 0, 0);
	}
	if (!rc)
		rc = out_picture(&o, nn, emit, live, NULL, NULL,
				 p->duration_s > last_t ? p->duration_s : last_t, p->end_bytes, 0, 1);
	free(truev);
	free(emit);
	free(stamp);
	free(diff);
	return rc;
}
