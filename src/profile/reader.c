/* profile/reader.c — load a state file (state/format.h) into struct profile.
 *
 * The file comes from a process that may have died at any instant, or from
 * anywhere at all (`oomph report DIR` on a damaged directory): every size,
 * offset, count and reference is checked before it is used, and the error
 * says which check failed.  Nothing is trusted from the file's own pointers.
 */
#include "profile/profile.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/safefs.h"
#include "state/format.h"

/* A region [off, off + n*elem) lies inside the file. */
static int region_ok(uint64_t off, uint64_t n, uint64_t elem, uint64_t file_size)
{
	if (off % OOMPH_STATE_ALIGN || off > file_size)
		return 0;
	if (elem && n > (file_size - off) / elem)
		return 0;
	return 1;
}

/* A string offset names a complete, NUL-terminated entry below `used`. */
static const char *string_at(const char *base, uint64_t used, uint32_t off)
{
	if (off % 4 || (uint64_t)off + 5 > used)
		return NULL;
	uint32_t len;
	memcpy(&len, base + off, 4);
	if ((uint64_t)off + 4 + len + 1 > used || base[off + 4 + len] != 0)
		return NULL;
	return base + off + 4;
}

/* The file's (bytes, exact) pairs are copied straight into the model's. */
_Static_assert(sizeof(struct profile_bytes) == sizeof(struct oomph_state_bytes) &&
		       offsetof(struct profile_bytes, exact) ==
			       offsetof(struct oomph_state_bytes, exact),
	       "profile_bytes mirrors oomph_state_bytes");

/* Every figure of a picture (live[], peak[], the journal, moment[]) is a
 * count of bytes held: never negative (a credit only takes back what a
 * node was charged), none above what a process can hold, and neither the
 * stacks' bytes nor their exact parts add up to more.  `exact` may exceed
 * `bytes` by what one credit takes back (the writer updates bytes, then
 * exact, and may die between the two): profile_rescale() reads it as bytes
 * then. */
static int check_picture(const struct profile_bytes *v, uint32_t n, const char *what,
			 const char *path, char *err, size_t errlen)
{
	int64_t bytes = 0, exact = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!in_range_i64(v[i].bytes, 0, OOMPH_BYTES_MAX) ||
		    !in_range_i64(v[i].exact, 0, OOMPH_BYTES_MAX))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: %s picture: stack node %u holds %lld bytes (%lld exact), "
				    "outside 0 .. %lld (the most a process can hold)",
				    path, what, i, (long long)v[i].bytes, (long long)v[i].exact,
				    (long long)OOMPH_BYTES_MAX);
		/* both sums stay below 2^63: each term is below 2^57 and so is
		 * every partial sum that passed the test before it */
		bytes += v[i].bytes;
		exact += v[i].exact;
		if (bytes > OOMPH_BYTES_MAX || exact > OOMPH_BYTES_MAX)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: %s picture: the stacks add up to more than %lld bytes "
				    "(the most a process can hold) by node %u",
				    path, what, (long long)OOMPH_BYTES_MAX, i);
	}
	return 0;
}

/* Bytes no sample accounts for (a process that died before its first
 * sample) go to a synthetic "[unattributed]" root, so totals add up. */
static void add_unattributed(struct profile *p, int64_t peak_left, int64_t live_left,
			     int64_t moment_left)
{
	uint32_t f = p->nframes++, n = p->nnodes++;
	const char *name = p->strings + p->strings_len + 1;
	p->frames[f] = (struct profile_frame){name, "", 0, PROFILE_FRAME_SYNTHETIC};
	p->nodes[n] = (struct profile_node){0, f};
	p->unattributed_node = n;
	p->peak_self[n] = peak_left;
	p->live_self[n] = live_left;
	if (p->moment_self)
		p->moment_self[n] = moment_left;
}

static int split_cmdline(struct profile *p, const char *buf, uint32_t len)
{
	int argc = 0;
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] == 0)
			argc++;
	if (len && buf[len - 1] != 0)
		argc++;
	p->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!p->argv)
		return -1;
	uint32_t start = 0;
	for (uint32_t i = 0; i <= len && p->argc < argc; i++) {
		if (i == len || buf[i] == 0) {
			p->argv[p->argc] = strndup(buf + start, i - start);
			if (!p->argv[p->argc])
				return -1;
			p->argc++;
			start = i + 1;
		}
	}
	return 0;
}

/* The decisive moment (moment[]), if one was taken and not torn. */
static int load_moment(const char *m, const struct oomph_state_header *h, struct profile *p,
		       uint32_t nn, int64_t *left, char *err, size_t errlen)
{
	uint64_t seq = atomic_load(&h->moment_seq);
	if (seq == 0 || (seq & 1))
		return 0; /* never taken, or the writer died taking it */
	uint32_t mn = h->moment_nodes;
	if (mn > nn || mn == 0 ||
	    (h->moment_reason != OOMPH_MOMENT_NEAR_OOM &&
	     h->moment_reason != OOMPH_MOMENT_FAILED_ALLOC))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: moment picture has %u nodes of %u, reason %u", p->path, mn, nn,
			    h->moment_reason);
	struct profile_bytes *v = calloc(nn, sizeof(*v));
	p->moment_self = calloc(nn + 1, sizeof(int64_t));
	if (!v || !p->moment_self) {
		free(v);
		return OOMPH_PROFILE_ENOMEM;
	}
	memcpy(v, m + h->moment_off, mn * sizeof(*v));
	int rc = check_picture(v, mn, "moment", p->path, err, errlen);
	if (rc) {
		free(v);
		return rc;
	}
	p->moment_bytes = h->moment_bytes > 0 ? h->moment_bytes : 0;
	*left = profile_rescale(p->moment_self, v, nn, p->moment_bytes);
	free(v);
	p->moment_time_s = (double)h->moment_time_ns / 1e9;
	p->moment_headroom = h->moment_headroom;
	snprintf(p->moment_reason, sizeof(p->moment_reason), "%s",
		 h->moment_reason == OOMPH_MOMENT_NEAR_OOM ? "near-oom" : "failed-allocation");
	return 0;
}

/* The most recent failed allocations, oldest first; torn entries skipped. */
static void load_failures(const struct oomph_state_header *h, struct profile *p, uint32_t nn)
{
	uint64_t total = atomic_load(&h->failures_total);
	p->failures_total = total;
	if (!total)
		return;
	uint64_t first = total > OOMPH_FAILURES_CAP ? total - OOMPH_FAILURES_CAP + 1 : 1;
	p->failures = calloc(OOMPH_FAILURES_CAP, sizeof(*p->failures));
	if (!p->failures)
		return;
	for (uint64_t n = first; n <= total; n++) {
		const struct oomph_state_failure *f = &h->failures[(n - 1) % OOMPH_FAILURES_CAP];
		if (atomic_load(&f->seq) != n || f->time_ns > OOMPH_TIME_MAX_NS || f->err < 0 ||
		    f->err > 4095)
			continue; /* torn, or not a failure a tracker records */
		struct profile_failure *o = &p->failures[p->nfailures++];
		o->size = f->size;
		o->time_s = (double)f->time_ns / 1e9;
		o->node = f->node < nn ? f->node : 0;
		o->err = f->err;
		memcpy(o->call, f->call, sizeof(o->call));
		o->call[sizeof(o->call) - 1] = 0;
	}
}

static int segment_cmp(const void *a, const void *b)
{
	const struct profile_segment *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->created_s < y->created_s ? -1 : x->created_s > y->created_s;
}

/* The shared-memory segments live at the end, each bounded like a stack's
 * bytes, its node a known one, its name a string; their sum is at most
 * what the process held. */
static int load_segments(const struct oomph_state_header *h, struct profile *p, uint32_t nn,
			 char *err, size_t errlen)
{
	p->shm_sized = atomic_load(&h->shm_sized);
	uint32_t live = 0;
	for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP; i++)
		live += atomic_load(&h->segments[i].state) == OOMPH_SEGMENT_LIVE;
	if (!live)
		return 0;
	p->segments = calloc(live, sizeof(*p->segments));
	if (!p->segments)
		return OOMPH_PROFILE_ENOMEM;
	int64_t sum = 0;
	for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP; i++) {
		const struct oomph_state_segment *r = &h->segments[i];
		if (atomic_load(&r->state) != OOMPH_SEGMENT_LIVE)
			continue;
		if (!in_range_i64(r->bytes, 0, OOMPH_BYTES_MAX) || r->node >= nn ||
		    (r->kind != OOMPH_SEGMENT_MEMFD && r->kind != OOMPH_SEGMENT_TMPFS) ||
		    r->time_ns > OOMPH_TIME_MAX_NS ||
		    !memchr(r->name, 0, sizeof(r->name)))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: shared-memory segment record %u: %lld bytes, node %u of %u, "
				    "kind %u, or a name without its end",
				    p->path, i, (long long)r->bytes, r->node, nn, r->kind);
		sum += r->bytes; /* each below 2^57, at most 64 of them */
		struct profile_segment *o = &p->segments[p->nsegments++];
		snprintf(o->kind, sizeof o->kind, "%s", r->kind == OOMPH_SEGMENT_MEMFD ? "memfd" : "tmpfs");
		memcpy(o->name, r->name, sizeof(o->name));
		o->bytes = r->bytes;
		o->created_s = (double)r->time_ns / 1e9;
		o->node = r->node;
	}
	if (sum > OOMPH_BYTES_MAX)
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: shared-memory segments add up to %lld bytes, more than a process "
			    "can hold", p->path, (long long)sum);
	p->shm_bytes = sum;
	qsort(p->segments, p->nsegments, sizeof(*p->segments), segment_cmp);
	return 0;
}

/* The tracker's points, as the reader's: each point's extremes first (the
 * highest, then the lowest, when they differ from its value), at its time.
 * Points out of time order (a death in the middle of a merge) are dropped;
 * a figure out of bounds rejects the file. */
static int history_points(const struct oomph_state_hist_point *src, uint32_t n,
			  struct profile_point *out, uint32_t *nout, const char *path, char *err,
			  size_t errlen)
{
	uint64_t last = 0;
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct oomph_state_hist_point *q = &src[i];
		const int64_t B = OOMPH_BYTES_MAX;
		if (q->t_ns > OOMPH_TIME_MAX_NS || !in_range_i64(q->bytes, -B, B) ||
		    !in_range_i64(q->lo, -B, B) || !in_range_i64(q->hi, -B, B))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: history point %u: time %llu ns, %lld bytes (%lld .. %lld), "
				    "outside what a process can hold or live",
				    path, i, (unsigned long long)q->t_ns, (long long)q->bytes,
				    (long long)q->lo, (long long)q->hi);
		if (i && q->t_ns < last)
			continue;
		last = q->t_ns;
		double t = (double)q->t_ns / 1e9;
		int64_t v = q->bytes > 0 ? q->bytes : 0;
		int64_t hi = q->hi > v ? q->hi : v, lo = q->lo < v ? (q->lo > 0 ? q->lo : 0) : v;
		if (hi > v)
			out[k++] = (struct profile_point){t, hi};
		if (lo < v)
			out[k++] = (struct profile_point){t, lo};
		out[k++] = (struct profile_point){t, v};
	}
	*nout = k;
	return 0;
}

/* The tracker's moments: in time order, their changes inside the table,
 * every value a figure of bytes held (check_picture's bounds).  Changes
 * naming a stack newer than the tables read (a process still running) are
 * left out by the assembly. */
static int history_moments(const struct oomph_state_hist_moment *src, uint32_t nm,
			   const struct profile_change *changes, uint32_t nc,
			   struct profile_moment *out, const char *path, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < nm; i++) {
		const struct oomph_state_hist_moment *q = &src[i];
		if (q->t_ns > OOMPH_TIME_MAX_NS || (i && q->t_ns < src[i - 1].t_ns) ||
		    !in_range_i64(q->bytes, -OOMPH_BYTES_MAX, OOMPH_BYTES_MAX) || q->first > nc ||
		    q->nchanges > nc - q->first)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: history moment %u: time %llu ns, %lld bytes, changes %u + %u "
				    "of %u",
				    path, i, (unsigned long long)q->t_ns, (long long)q->bytes, q->first,
				    q->nchanges, nc);
		out[i] = (struct profile_moment){(double)q->t_ns / 1e9, q->bytes > 0 ? q->bytes : 0,
						 q->first, q->nchanges, 0, 0, {0}};
	}
	for (uint32_t i = 0; i < nc; i++)
		if (!in_range_i64(changes[i].v.bytes, 0, OOMPH_BYTES_MAX) ||
		    !in_range_i64(changes[i].v.exact, 0, OOMPH_BYTES_MAX))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: history change %u: stack node %u holds %lld bytes (%lld "
				    "exact), outside 0 .. %lld",
				    path, i, changes[i].node, (long long)changes[i].v.bytes,
				    (long long)changes[i].v.exact, (long long)OOMPH_BYTES_MAX);
	return 0;
}

_Static_assert(sizeof(struct profile_change) == sizeof(struct oomph_state_hist_change) &&
		       offsetof(struct profile_change, v) ==
			       offsetof(struct oomph_state_hist_change, value),
	       "profile_change mirrors oomph_state_hist_change");

/* One consistent copy of the history tables: a seqlock each (the writer
 * may be rewriting them in place).  A writer that died mid-rewrite leaves
 * an odd count for good: its points are read anyway (out-of-order ones are
 * dropped), its moments not.  0, or a count out of range. */
struct hist_copy {
	struct oomph_state_hist_point *pts;
	struct oomph_state_hist_moment *ms;
	struct profile_change *ch;
	uint32_t npts, nms, nch;
	uint32_t cap_pts, cap_ms, cap_ch; /* allocated: as counted (a live
					     writer's grow: then twice) */
	int moments_torn;
};

/* Room for n entries in *buf (of *cap), at most `room`. 0 or -1. */
static int hist_room(void **buf, uint32_t *cap, uint32_t n, uint32_t room, size_t elem)
{
	if (n <= *cap && *buf)
		return 0;
	uint32_t want = n > room / 2 ? room : n * 2;
	void *q = realloc(*buf, ((size_t)want + 1) * elem);
	if (!q)
		return -1;
	*buf = q;
	*cap = want;
	return 0;
}

/* Entries of `elem` bytes the file holds at `off` (at most cap): a table
 * of the history is as long as its count needs, no longer (compact files). */
static uint32_t room_at(uint64_t off, uint64_t size, size_t elem, uint32_t cap)
{
	if (off % OOMPH_STATE_ALIGN || off < sizeof(struct oomph_state_header) || off > size)
		return 0;
	uint64_t n = (size - off) / elem;
	return n < cap ? (uint32_t)n : cap;
}

static int history_copy(const char *m, uint64_t size, const struct oomph_state_header *h,
			struct hist_copy *c)
{
	const struct oomph_state_header *live = (const struct oomph_state_header *)(const void *)m;
	uint32_t rp = room_at(h->hist_points_off, size, sizeof(*c->pts), OOMPH_HIST_POINTS_CAP);
	uint32_t rm = room_at(h->hist_moments_off, size, sizeof(*c->ms), OOMPH_HIST_MOMENTS_CAP);
	uint32_t rc = room_at(h->hist_changes_off, size, sizeof(*c->ch), OOMPH_HIST_CHANGES_CAP);
	for (int attempt = 0; attempt < 64; attempt++) {
		uint64_t ps = atomic_load(&live->hist_pseq), ms = atomic_load(&live->hist_mseq);
		uint32_t np = atomic_load(&live->hist_npoints), nm = atomic_load(&live->hist_nmoments);
		uint32_t nc = atomic_load(&live->hist_nchanges);
		if (np > rp || nm > rm || nc > rc)
			return -1;
		if (hist_room((void **)&c->pts, &c->cap_pts, np, rp, sizeof(*c->pts)) ||
		    hist_room((void **)&c->ms, &c->cap_ms, nm, rm, sizeof(*c->ms)) ||
		    hist_room((void **)&c->ch, &c->cap_ch, nc, rc, sizeof(*c->ch)))
			return -2;
		memcpy(c->pts, m + h->hist_points_off, (size_t)np * sizeof(*c->pts));
		memcpy(c->ms, m + h->hist_moments_off, (size_t)nm * sizeof(*c->ms));
		memcpy(c->ch, m + h->hist_changes_off, (size_t)nc * sizeof(*c->ch));
		atomic_thread_fence(memory_order_acquire);
		int stable = atomic_load(&live->hist_pseq) == ps && atomic_load(&live->hist_mseq) == ms;
		c->npts = np;
		c->nms = nm;
		c->nch = nc;
		c->moments_torn = (ms & 1) != 0;
		if (stable && !((ps | ms) & 1))
			return 0;
		if (stable && attempt >= 8)
			return 0; /* odd and unchanged: the writer died there */
	}
	c->moments_torn = 1; /* rewritten all along: the moments are not trusted */
	return 0;
}

/* The history: what the tracker recorded over time, with the peak and
 * the end made moments of their own (profile_history_assemble). */
static int load_history(const char *m, uint64_t size, const struct oomph_state_header *h,
			struct profile *p, uint32_t nn, const struct profile_bytes *peak,
			const struct profile_bytes *live, char *err, size_t errlen)
{
	struct hist_copy c = {0};
	struct profile_point *pts = NULL;
	struct profile_moment *ms = NULL;
	uint32_t npts = 0;
	int cr = history_copy(m, size, h, &c), rc = 0;
	if (cr == -2)
		rc = OOMPH_PROFILE_ENOMEM;
	if (!cr) {
		pts = malloc(((size_t)c.npts * 3 + 1) * sizeof(*pts));
		ms = malloc(((size_t)c.nms + 1) * sizeof(*ms));
		rc = pts && ms ? 0 : OOMPH_PROFILE_ENOMEM;
	}
	if (cr == -1)
		rc = err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			  "%s: history counts out of range or outside the file (points %u, "
			  "moments %u, changes %u)",
			  p->path, atomic_load(&h->hist_npoints), atomic_load(&h->hist_nmoments),
			  atomic_load(&h->hist_nchanges));
	if (!rc)
		rc = history_points(c.pts, c.npts, pts, &npts, p->path, err, errlen);
	if (!rc && c.moments_torn)
		c.nms = c.nch = 0;
	if (!rc)
		rc = history_moments(c.ms, c.nms, c.ch, c.nch, ms, p->path, err, errlen);
	if (!rc) {
		/* A process that did not run its exit path lasted until its last
		 * sign of life: a sample, or a point of its total (frees are
		 * not samples).  After an exit, nothing after the end counts. */
		if (atomic_load(&h->end_state) == OOMPH_END_RUNNING && npts &&
		    pts[npts - 1].t_s > p->duration_s)
			p->duration_s = pts[npts - 1].t_s;
		while (npts && pts[npts - 1].t_s > p->duration_s)
			npts--;
		while (c.nms && ms[c.nms - 1].t_s > p->duration_s)
			c.nms--;
		uint32_t flags = atomic_load(&h->hist_flags);
		p->history_flags = ((flags & OOMPH_HIST_F_COARSENED) ? PROFILE_HISTORY_COARSENED : 0) |
				   ((flags & OOMPH_HIST_F_STOPPED) ? PROFILE_HISTORY_STOPPED : 0);
		p->history_step_s = (double)h->hist_step_ns / 1e9;
		p->history_stopped_s = (double)h->hist_stopped_ns / 1e9;
		rc = profile_history_assemble(p, nn, pts, npts, ms, c.nms, c.ch, peak, live);
	}
	free(c.pts);
	free(c.ms);
	free(c.ch);
	free(pts);
	free(ms);
	return rc;
}

/* One phase record, copied consistently (its seqlock), or 0 if torn or
 * empty. */
static int phase_copy(const struct oomph_state_phase *src, struct oomph_state_phase *out)
{
	uint32_t v = atomic_load(&src->ver);
	if (v & 1)
		return 0; /* the writer was in the middle of it (and maybe died there) */
	memcpy(out, (const void *)src, sizeof(*out));
	atomic_thread_fence(memory_order_acquire);
	return atomic_load(&src->ver) == v && out->id && out->state;
}

static int phase_pictures(const char *m, const struct oomph_state_header *h, uint32_t slot,
			  uint32_t nn, struct profile_phase *ph)
{
	if (slot > h->pics_cap)
		return 0; /* compacted away: no picture was kept there */
	const struct oomph_state_phase_pic *pic =
		(const struct oomph_state_phase_pic *)(const void *)(m + h->pics_off) + (slot - 1);
	if (atomic_load(&pic->phase) != ph->id)
		return 0; /* taken over by a larger phase meanwhile */
	uint32_t np = pic->npeak, nl = pic->nleft;
	if (np > OOMPH_PHASE_PIC_NODES || nl > OOMPH_PHASE_PIC_NODES || pic->peak_other < 0 ||
	    pic->left_other < 0)
		return -1;
	ph->peak = calloc(np + 1, sizeof(*ph->peak));
	ph->left = calloc(nl + 1, sizeof(*ph->left));
	if (!ph->peak || !ph->left)
		return OOMPH_PROFILE_ENOMEM;
	for (uint32_t k = 0; k < np + nl; k++) {
		const struct oomph_state_pic_entry *e = k < np ? &pic->peak[k] : &pic->left[k - np];
		if (e->node == 0 || e->node >= nn || e->bytes <= 0 || e->bytes > INT64_MAX / 4096)
			return -1;
		struct profile_phase_entry *o = k < np ? &ph->peak[k] : &ph->left[k - np];
		*o = (struct profile_phase_entry){e->node, e->bytes};
	}
	ph->npeak = np;
	ph->nleft = nl;
	ph->peak_other = pic->peak_other;
	ph->left_other = pic->left_other;
	ph->has_picture = 1;
	return 0;
}

/* The phases, oldest first.  Every field bounded: ids by phases_last,
 * parents older than the phase, names in the string table, times in order,
 * bytes not negative, pictures naming nodes that exist. */
static int load_phases(const char *m, const struct oomph_state_header *h, struct profile *p,
		       uint32_t nn, char *err, size_t errlen)
{
	uint32_t last = atomic_load(&h->phases_last);
	p->phases_total = last;
	if (!last)
		return 0;
	uint32_t first = last > OOMPH_PHASES_CAP ? last - OOMPH_PHASES_CAP + 1 : 1;
	uint32_t want = last - first + 1;
	p->phases = calloc(want, sizeof(*p->phases));
	if (!p->phases)
		return OOMPH_PROFILE_ENOMEM;
	const struct oomph_state_phase *recs =
		(const struct oomph_state_phase *)(const void *)(m + h->phases_off);
	for (uint32_t id = first; id <= last; id++) {
		struct oomph_state_phase r;
		uint32_t slot = (id - 1) % OOMPH_PHASES_CAP;
		if (slot >= h->phases_cap || !phase_copy(&recs[slot], &r) || r.id != id)
			continue; /* torn, or its slot went to a later phase */
		const char *name = string_at(p->strings, p->strings_len, r.name);
		int open = r.state == OOMPH_PHASE_OPEN;
		int64_t pk = atomic_load(&r.peak_bytes);
		if (!name || (r.state != OOMPH_PHASE_OPEN && r.state != OOMPH_PHASE_CLOSED) ||
		    r.parent >= id || r.depth >= OOMPH_PHASE_DEPTH || r.pic > OOMPH_PHASE_PICS ||
		    r.start_bytes < 0 || pk < r.start_bytes || r.start_bytes > INT64_MAX / 4 ||
		    pk > INT64_MAX / 4 ||
		    (!open && (r.end_ns < r.start_ns || r.end_bytes < 0 || r.left_live_bytes < 0 ||
			       r.end_bytes > INT64_MAX / 4 || r.left_live_bytes > INT64_MAX / 4)))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: phase %u is inconsistent (name, parent, times or bytes)",
				    p->path, id);
		struct profile_phase *ph = &p->phases[p->nphases++];
		ph->id = id;
		ph->parent = r.parent;
		ph->depth = r.depth;
		ph->flags = r.flags;
		ph->name = name;
		ph->open = open;
		ph->start_s = (double)r.start_ns / 1e9;
		ph->end_s = open ? -1.0 : (double)r.end_ns / 1e9;
		/* A thread racing with the phase's edges may leave the maximum a
		 * hair behind the end, or its time a clock tick early. */
		if (!open && r.end_bytes > pk)
			pk = r.end_bytes;
		uint64_t pns = atomic_load(&r.peak_ns);
		ph->peak_s = (double)(pns > r.start_ns ? pns : r.start_ns) / 1e9;
		ph->start_bytes = r.start_bytes;
		ph->peak_bytes = pk;
		ph->end_bytes = open ? 0 : r.end_bytes;
		ph->left_live_bytes = open ? 0 : r.left_live_bytes;
		ph->tid_begin = r.tid_begin;
		ph->tid_end = r.tid_end;
		if (r.pic && !open) {
			int rc = phase_pictures(m, h, r.pic, nn, ph);
			if (rc == OOMPH_PROFILE_ENOMEM)
				return rc;
			if (rc)
				return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
					    "%s: the pictures of phase %u are inconsistent", p->path, id);
		}
	}
	return 0;
}

static void load_limits(const struct oomph_state_header *h, struct profile *p)
{
	p->limit_bytes = h->limit_bytes > 0 ? h->limit_bytes : 0;
	memcpy(p->limit_kind, h->limit_kind, sizeof(p->limit_kind));
	p->limit_kind[sizeof(p->limit_kind) - 1] = 0;
	memcpy(p->limit_source, h->limit_source, sizeof(p->limit_source));
	p->limit_source[sizeof(p->limit_source) - 1] = 0;
	p->oom_threshold = h->oom_threshold;
	p->stopped_near_oom = atomic_load(&h->stopped) != 0;
	p->fault_signal = (int)atomic_load(&h->fault_signal);
	if (p->fault_signal) {
		p->fault_code = h->fault_code;
		p->fault_addr = h->fault_addr;
		p->fault_time_s = (double)h->fault_time_ns / 1e9;
		p->fault_node = h->fault_node < p->nnodes ? h->fault_node : 0;
	}
	p->term_signal = (int)atomic_load(&h->term_signal);
	if (p->term_signal) {
		p->term_pid = h->term_pid;
		p->term_time_s = (double)h->term_time_ns / 1e9;
	}
	/* checked by check_header: terminated, printable UTF-8 */
	if (atomic_load(&h->exc_set)) {
		memcpy(p->exc_type, h->exc_type, sizeof p->exc_type);
		memcpy(p->exc_message, h->exc_message, sizeof p->exc_message);
	}
}

/* One header figure outside what a real run can write. */
static int bad_field(const char *path, const char *name, long long v, long long lo, long long hi,
		     char *err, size_t errlen)
{
	return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
		    "%s: header field %s is %lld, outside %lld .. %lld", path, name, v, lo, hi);
}

static int bad_ufield(const char *path, const char *name, uint64_t v, uint64_t hi, char *err,
		      size_t errlen)
{
	return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
		    "%s: header field %s is %llu, above %llu", path, name, (unsigned long long)v,
		    (unsigned long long)hi);
}

#define CHECK_I64(h, f, lo, hi)                                                             \
	do {                                                                                \
		int64_t v_ = (int64_t)(h)->f;                                               \
		if (!in_range_i64(v_, (lo), (hi)))                                          \
			return bad_field(path, #f, v_, (lo), (hi), err, errlen);            \
	} while (0)
#define CHECK_U64(h, f, hi)                                                                 \
	do {                                                                                \
		uint64_t v_ = (uint64_t)(h)->f;                                             \
		if (v_ > (uint64_t)(hi))                                                    \
			return bad_ufield(path, #f, v_, (uint64_t)(hi), err, errlen);        \
	} while (0)

_Static_assert(sizeof(((struct profile *)0)->exc_type) == OOMPH_EXC_TYPE_MAX &&
		       sizeof(((struct profile *)0)->exc_message) == OOMPH_EXC_MESSAGE_MAX,
	       "profile.h's exception fields are the state's");

/* A text field as the tracker writes it: NUL-terminated within its cap,
 * UTF-8 with no control character (a writer's words go to a terminal). */
static int text_ok(const char *s, size_t cap)
{
	size_t i = 0;
	while (i < cap && s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
		if (!k || c < 0x20 || c == 0x7f || i + k >= cap)
			return 0;
		for (size_t j = 1; j < k; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return i < cap;
}

/* Every figure of the header within what a real run can produce
 * (common/bounds.h).  Totals may be negative: the tracker subtracts the
 * frees of blocks it never saw allocated (made before it started), so
 * cur_bytes (and what is copied from it) can dip below zero; the reader
 * reads them as 0.  New fields get their bound here. */
static int check_header(const struct oomph_state_header *h, const char *path, char *err,
			size_t errlen)
{
	const int64_t B = OOMPH_BYTES_MAX, L = OOMPH_LIMIT_MAX;
	CHECK_I64(h, pid, 1, OOMPH_PID_MAX);
	CHECK_I64(h, ppid, 0, OOMPH_PID_MAX);
	CHECK_I64(h, sample_rate, 1, B);
	CHECK_I64(h, cur_bytes, -B, B);
	CHECK_I64(h, max_bytes, -B, B);
	CHECK_I64(h, peak_bytes, -B, B);
	CHECK_I64(h, journal_bytes, -B, B);
	CHECK_I64(h, moment_bytes, -B, B);
	CHECK_I64(h, limit_bytes, 0, L);
	CHECK_I64(h, oom_threshold, 0, L);
	CHECK_I64(h, moment_headroom, -L, L);
	CHECK_U64(h, max_rss_kib, B / 1024);
	CHECK_U64(h, start_realtime_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, start_mono_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, max_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, last_update_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, peak_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, journal_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, end_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, moment_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, fault_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, n_sampled, OOMPH_COUNT_MAX);
	CHECK_U64(h, n_mmaps, OOMPH_COUNT_MAX);
	CHECK_U64(h, failures_total, OOMPH_COUNT_MAX);
	CHECK_U64(h, end_state, OOMPH_END_EXEC);
	CHECK_U64(h, oom_mode, OOMPH_OOM_OFF);
	CHECK_U64(h, fault_signal, 64);
	CHECK_U64(h, term_signal, 64);
	CHECK_I64(h, term_pid, 0, OOMPH_PID_MAX);
	CHECK_U64(h, term_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_I64(h, shm_bytes, -B, B);
	CHECK_I64(h, job_base, -B, B);
	CHECK_U64(h, job_state, OOMPH_JOB_STATE_LEFT);
	CHECK_I64(h, inherited_bytes, -B, B);
	CHECK_I64(h, inherited_freed, -B, B);
	CHECK_U64(h, shm_live, OOMPH_SEGMENTS_CAP);
	CHECK_U64(h, shm_sized, OOMPH_COUNT_MAX);
	CHECK_U64(h, hist_step_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, hist_stopped_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, hist_flags, OOMPH_HIST_F_COARSENED | OOMPH_HIST_F_STOPPED);
	CHECK_U64(h, exc_set, 1);
	if (atomic_load(&h->exc_set) && (!h->exc_type[0] || !text_ok(h->exc_type, sizeof h->exc_type) ||
					 !text_ok(h->exc_message, sizeof h->exc_message)))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			       "%s: the exception's name or message is not terminated printable text",
			       path);
	return 0;
}

/* What each stack held at the job's peak, less what the process inherited
 * at its fork (profile.h job_now, job_then, job_gen). */
static int load_job_picture(const char *m, const struct oomph_state_header *h, struct profile *p,
			    uint32_t nn, const struct profile_bytes *live, char *err, size_t errlen)
{
	const char *path = p->path;
	struct profile_bytes *then = malloc(nn * sizeof(*then));
	struct profile_bytes *inh = malloc(nn * sizeof(*inh));
	p->job_now = malloc(nn * sizeof(int64_t));
	p->job_then = malloc(nn * sizeof(int64_t));
	p->job_gen = malloc(nn * sizeof(uint32_t));
	int rc = then && inh && p->job_now && p->job_then && p->job_gen ? 0 : OOMPH_PROFILE_ENOMEM;
	if (!rc) {
		memcpy(then, m + h->jpeak_off, nn * sizeof(*then));
		memcpy(inh, m + h->inherit_off, nn * sizeof(*inh));
		memcpy(p->job_gen, m + h->jgen_off, nn * sizeof(uint32_t));
		rc = check_picture(then, nn, "job peak", path, err, errlen);
	}
	if (!rc)
		rc = check_picture(inh, nn, "inherited", path, err, errlen);
	for (uint32_t i = 0; !rc && i < nn; i++) {
		int64_t a = live[i].bytes - inh[i].bytes, b = then[i].bytes - inh[i].bytes;
		p->job_now[i] = a > 0 ? a : 0; /* each within 2^57 (check_picture) */
		p->job_then[i] = b > 0 ? b : 0;
	}
	free(then);
	if (!rc && h->inherited_bytes > 0) {
		/* a fork child: its stacks at its fork, for its pictures of
		 * other instants (profile_own_picture_at) */
		p->inherited_pic = inh;
		p->ninherited = nn;
	} else {
		free(inh);
	}
	p->job_n = rc ? 0 : nn;
	p->job_join_gen = h->job_join_gen;
	p->job_leave_gen = atomic_load(&h->job_leave_gen);
	return rc;
}

static int load_mapped(const char *m, uint64_t size, struct profile *p, char *err, size_t errlen)
{
	struct oomph_state_header h;
	memcpy(&h, m, sizeof(h));
	const char *path = p->path;
	if (h.header_size != sizeof(h))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: header size %u, expected %zu", path, h.header_size, sizeof(h));
	if (size < h.file_size)
		return err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
			    "%s: truncated: %llu bytes, its header says %llu", path,
			    (unsigned long long)size, (unsigned long long)h.file_size);
	if (size != h.file_size)
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: %llu bytes, its header says %llu", path,
			    (unsigned long long)size, (unsigned long long)h.file_size);
	if (atomic_load(&h.ready) != 1)
		return err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			    "%s: the process died before its profile was initialised", path);
	if (!region_ok(h.strings_off, h.strings_cap, 1, size) ||
	    !region_ok(h.frames_off, h.frames_cap, sizeof(struct oomph_state_frame), size) ||
	    !region_ok(h.nodes_off, h.nodes_cap, sizeof(struct oomph_state_node), size) ||
	    !region_ok(h.live_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.peak_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.journal_off, h.nodes_cap, sizeof(struct oomph_state_journal), size) ||
	    !region_ok(h.moment_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.jpeak_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.jgen_off, h.nodes_cap, sizeof(uint32_t), size) ||
	    !region_ok(h.inherit_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    /* the phases' tables hold phases_cap records and pics_cap
	     * pictures (fewer in a compact file, none where no phase was
	     * begun); the history's tables are checked against their counts
	     * (load_history) */
	    h.phases_cap > OOMPH_PHASES_CAP || h.pics_cap > OOMPH_PHASE_PICS ||
	    !region_ok(h.phases_off, h.phases_cap, sizeof(struct oomph_state_phase), size) ||
	    !region_ok(h.pics_off, h.pics_cap, sizeof(struct oomph_state_phase_pic), size) ||
	    h.strings_off < sizeof(h))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen, "%s: a table lies outside the file",
			    path);
	uint64_t su = atomic_load(&h.strings_used);
	uint32_t nf = atomic_load(&h.frames_used);
	uint32_t nn = atomic_load(&h.nodes_used);
	if (su < 8 || su > h.strings_cap || nf > h.frames_cap || nn < 1 || nn > h.nodes_cap ||
	    h.cmdline_len > sizeof(h.cmdline))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: table counts out of range (strings %llu, frames %u, nodes %u)",
			    path, (unsigned long long)su, nf, nn);

	int rc = check_header(&h, path, err, errlen);
	if (rc)
		return rc;

	/* strings */
	static const char unattributed[] = "[unattributed]";
	p->strings = malloc(su + 1 + sizeof(unattributed));
	if (!p->strings)
		return OOMPH_PROFILE_ENOMEM;
	memcpy(p->strings, m + h.strings_off, su);
	p->strings[su] = 0;
	/* kept after the table for add_unattributed() */
	memcpy(p->strings + su + 1, unattributed, sizeof(unattributed));
	p->strings_len = su;

	/* frames */
	const struct oomph_state_frame *sf =
		(const struct oomph_state_frame *)(const void *)(m + h.frames_off);
	p->frames = calloc(nf + 1, sizeof(*p->frames));
	if (!p->frames)
		return OOMPH_PROFILE_ENOMEM;
	for (uint32_t i = 0; i < nf; i++) {
		const char *file = string_at(p->strings, su, sf[i].file);
		const char *func = string_at(p->strings, su, sf[i].func);
		if (!file || !func ||
		    (sf[i].flags > OOMPH_FRAME_TRUNCATED && sf[i].flags != OOMPH_FRAME_SHARED))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: frame %u refers to a missing string or has bad flags", path, i);
		p->frames[i] = (struct profile_frame){file, func, sf[i].line, sf[i].flags};
	}
	p->nframes = nf;

	/* nodes: parent < index makes the trie acyclic */
	const struct oomph_state_node *sn =
		(const struct oomph_state_node *)(const void *)(m + h.nodes_off);
	/* one spare node for add_unattributed() */
	p->nodes = calloc(nn + 1, sizeof(*p->nodes));
	p->peak_self = calloc(nn + 1, sizeof(int64_t));
	p->live_self = calloc(nn + 1, sizeof(int64_t));
	if (!p->nodes || !p->peak_self || !p->live_self)
		return OOMPH_PROFILE_ENOMEM;
	p->nodes[0].parent = UINT32_MAX;
	p->nodes[0].frame = UINT32_MAX;
	for (uint32_t i = 1; i < nn; i++) {
		if (sn[i].parent >= i || sn[i].frame >= nf)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: stack node %u has parent %u, frame %u", path, i,
				    sn[i].parent, sn[i].frame);
		p->nodes[i].parent = sn[i].parent;
		p->nodes[i].frame = sn[i].frame;
	}
	p->nnodes = nn;

	/* the pictures */
	struct profile_bytes *live = malloc(nn * sizeof(*live));
	struct profile_bytes *peak = malloc(nn * sizeof(*peak));
	if (!live || !peak) {
		free(live);
		free(peak);
		return OOMPH_PROFILE_ENOMEM;
	}
	memcpy(live, m + h.live_off, nn * sizeof(*live));
	memcpy(peak, m + h.peak_off, nn * sizeof(*peak));
	int64_t peak_bytes = h.peak_bytes;
	uint64_t peak_ns = h.peak_time_ns;
	uint64_t seq = atomic_load(&h.peak_seq);
	if (seq & 1) { /* died while applying a snapshot: finish it from the journal */
		if (h.journal_count > nn) {
			free(live);
			free(peak);
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: peak journal has %u records for %u nodes", path,
				    h.journal_count, nn);
		}
		const struct oomph_state_journal *j =
			(const struct oomph_state_journal *)(const void *)(m + h.journal_off);
		for (uint32_t i = 0; i < h.journal_count; i++) {
			if (j[i].node >= nn) {
				free(live);
				free(peak);
				return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
					    "%s: peak journal names node %u of %u", path,
					    j[i].node, nn);
			}
			memcpy(&peak[j[i].node], &j[i].value, sizeof(peak[0]));
		}
		peak_bytes = h.journal_bytes;
		peak_ns = h.journal_time_ns;
	}
	uint32_t end_state = atomic_load(&h.end_state);
	uint64_t last_ns = atomic_load(&h.last_update_ns);
	uint64_t end_ns = end_state != OOMPH_END_RUNNING ? h.end_time_ns : last_ns;
	int64_t max_bytes = atomic_load(&h.max_bytes);
	if (atomic_load(&h.peak_pending) || max_bytes > peak_bytes) {
		/* No free since the maximum was reached (or the writer died between
		 * raising it and saying so): live[] is the peak. */
		memcpy(peak, live, nn * sizeof(*peak));
		peak_bytes = max_bytes;
		uint64_t mt = atomic_load(&h.max_time_ns);
		peak_ns = mt > peak_ns ? mt : peak_ns;
	}
	if (end_ns < peak_ns)
		end_ns = peak_ns;
	if ((rc = check_picture(live, nn, "live", path, err, errlen)) != 0 ||
	    (rc = check_picture(peak, nn, "peak", path, err, errlen)) != 0) {
		free(live);
		free(peak);
		return rc;
	}
	if ((rc = load_job_picture(m, &h, p, nn, live, err, errlen)) != 0) {
		free(live);
		free(peak);
		return rc;
	}
	/* Every total is within +-OOMPH_BYTES_MAX (check_header). */
	p->end_bytes = atomic_load(&h.cur_bytes);
	if (p->end_bytes < 0)
		p->end_bytes = 0;
	/* The peak is at least every other total: the exact total is raised
	 * before its maximum, so a death between the two (or a moment taken
	 * by another thread in between) can leave one above max_bytes. */
	p->peak_bytes = peak_bytes > p->end_bytes ? peak_bytes : p->end_bytes;
	uint64_t mseq = atomic_load(&h.moment_seq);
	if (mseq && !(mseq & 1) && h.moment_bytes > p->peak_bytes)
		p->peak_bytes = h.moment_bytes;
	p->duration_s = (double)end_ns / 1e9;
	p->peak_time_s = (double)peak_ns / 1e9;
	int64_t peak_left = profile_rescale(p->peak_self, peak, nn, p->peak_bytes);
	int64_t live_left = profile_rescale(p->live_self, live, nn, p->end_bytes);
	rc = load_history(m, size, &h, p, nn, peak, live, err, errlen);
	free(live);
	free(peak);
	if (rc)
		return rc;
	int64_t moment_left = 0;
	rc = load_moment(m, &h, p, nn, &moment_left, err, errlen);
	if (rc)
		return rc;
	if (peak_left || live_left || moment_left)
		add_unattributed(p, peak_left, live_left, moment_left);
	load_failures(&h, p, nn);
	load_limits(&h, p);
	if ((rc = load_segments(&h, p, nn, err, errlen)) != 0)
		return rc;
	if ((rc = load_phases(m, &h, p, nn, err, errlen)) != 0)
		return rc;

	p->pid = h.pid;
	p->ppid = h.ppid;
	p->generation = h.generation;
	memcpy(p->python_version, h.python_version, sizeof(p->python_version));
	p->python_version[sizeof(p->python_version) - 1] = 0;
	p->start_unix_s = (double)h.start_realtime_ns / 1e9;
	p->start_mono_s = (double)h.start_mono_ns / 1e9;
	p->sample_rate = h.sample_rate;
	p->exact = h.sample_rate == 1;
	p->max_rss_bytes = (int64_t)h.max_rss_kib * 1024; /* below 2^57 (check_header) */
	p->exited_cleanly = end_state != OOMPH_END_RUNNING;
	p->exit_code = h.exit_code;
	p->overflow = atomic_load(&h.overflow);
	if (p->overflow & OOMPH_OVERFLOW_NOSPACE) {
		static const char *const tables[] = {"a table", "the string table",
						     "the frame table", "the stack table"};
		uint32_t t = h.nospace_table < 4 ? h.nospace_table : 0;
		int e = h.nospace_err > 0 && h.nospace_err < 4096 ? h.nospace_err : ENOSPC;
		double at = (double)h.nospace_time_ns / 1e9;
		if (at < 0 || at > p->duration_s)
			at = p->duration_s;
		snprintf(p->recording_stopped, sizeof p->recording_stopped,
			 "recording of new stacks stopped at %.1f s: no room for the state file "
			 "(%s: %s); totals stay exact, lines first seen later are charged to "
			 "their nearest recorded caller",
			 at, tables[t], strerror(e));
	}
	p->n_sampled = atomic_load(&h.n_sampled);
	/* a fork child: the heap it inherited (in the job once, as its
	 * parent's) and what it freed of it; no negative figure shown */
	p->inherited_bytes = h.inherited_bytes > 0 ? h.inherited_bytes : 0;
	int64_t freed = atomic_load(&h.inherited_freed);
	p->inherited_freed_bytes = freed > 0 ? freed : 0;
	if (split_cmdline(p, h.cmdline, h.cmdline_len))
		return OOMPH_PROFILE_ENOMEM;
	return 0;
}

int profile_load(const char *path, struct profile *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	if (!out->path)
		return OOMPH_PROFILE_ENOMEM;
	/* Never through a link, never a FIFO or device (opened non-blocking
	 * and checked before the first read: common/safefs.h). */
	off_t fsize = 0;
	char why[512];
	int fd = safefs_open_read(path, &fsize, why, sizeof why);
	if (fd < 0) {
		profile_free(out);
		return err_set(OOMPH_PROFILE_EIO, err, errlen, "%s", why);
	}
	uint64_t size = (uint64_t)fsize;
	if (size == 0) {
		/* the tracker creates the file, then sizes it: it died between */
		close(fd);
		profile_free(out);
		return err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			       "%s: empty: the process died before its profile was set up", path);
	}
	char magic[8] = {0};
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	int rc;
	static const char zeros[8];
	if (got == (ssize_t)sizeof(magic) && memcmp(magic, zeros, 8) == 0) {
		/* created and sized, header not written yet: the writer died in
		 * its first instants */
		rc = err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			  "%s: the process died before its profile was initialised", path);
	} else if (got < (ssize_t)sizeof(magic) || memcmp(magic, OOMPH_STATE_MAGIC, 8) != 0) {
		rc = got >= 0 && got < 8 && memcmp(magic, OOMPH_STATE_MAGIC, (size_t)got) == 0
			     ? err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
				    "%s: truncated: %lld bytes, too short for a header", path,
				    (long long)size)
			     : err_set(OOMPH_PROFILE_EFOREIGN, err, errlen,
				    "%s: not an oomph profile (bad magic)", path);
	} else if (size < sizeof(struct oomph_state_header)) {
		rc = err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
			  "%s: truncated: %llu bytes, too short for a header", path,
			  (unsigned long long)size);
	} else {
		uint32_t version = 0;
		if (pread(fd, &version, 4, 8) != 4 || version != OOMPH_STATE_VERSION) {
			rc = err_set(OOMPH_PROFILE_EVERSION, err, errlen,
				  "%s: profile format version %u, this oomph reads version %u",
				  path, version, OOMPH_STATE_VERSION);
		} else {
			void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				rc = err_set(OOMPH_PROFILE_EIO, err, errlen, "%s: mmap: %s", path,
					  strerror(errno));
			} else {
				rc = load_mapped(m, size, out, err, errlen);
				munmap(m, size);
			}
		}
	}
	close(fd);
	if (rc) {
		if (rc == OOMPH_PROFILE_ENOMEM)
			err_set(rc, err, errlen, "%s: out of memory", path);
		profile_free(out);
		return rc;
	}
	return 0;
}
