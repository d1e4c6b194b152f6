/* profile/timeline.c — RUN_DIR/timeline.tsv (timeline.h). */
#include "profile/timeline.h"

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/numfmt.h"
#include "common/safefs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "# oomph timeline "
#define VERSION 2

int timeline_writer_open(struct timeline_writer *w, const char *run_dir, char *err,
			 size_t errlen)
{
	char path[4200];
	w->f = NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", run_dir, TIMELINE_FILE) >= sizeof path)
		return err_set(-ENAMETOOLONG, err, errlen, "timeline: path too long");
	int dfd = safefs_open_dir(run_dir, err, errlen);
	if (dfd < 0)
		return dfd;
	int fd = safefs_create_at(dfd, TIMELINE_FILE, err, errlen);
	close(dfd);
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		return err_set(-e, err, errlen, "cannot create %s: %s", path, strerror(e));
	}
	fprintf(f, "%s%d\n# t_s tracked_bytes rss_bytes psi_some psi_full majflt_per_s vmswap_bytes "
		   "cgroup_swap_bytes swapin_bytes_per_s swapout_bytes_per_s\n", MARKER, VERSION);
	if (fflush(f) != 0) {
		int e = errno;
		fclose(f);
		return err_set(-e, err, errlen, "cannot write %s: %s", path, strerror(e));
	}
	w->f = f;
	return 0;
}

int timeline_writer_add(struct timeline_writer *w, const struct timeline_point *pt)
{
	if (!w->f)
		return -EBADF;
	/* "%.3f %" PRId64 " %" PRId64 " %.2f %.2f %.1f %" PRId64 " %" PRId64
	 * " %.0f %.0f\n", by common/numfmt.h: a line every tick */
	char line[10 * NUMFMT_MAX + 2];
	char *o = line;
	o += numfmt_fixed(o, pt->t_s, 3);
	*o++ = ' ';
	o += numfmt_i64(o, pt->tracked_bytes);
	*o++ = ' ';
	o += numfmt_i64(o, pt->rss_bytes);
	*o++ = ' ';
	o += numfmt_fixed(o, pt->psi_some, 2);
	*o++ = ' ';
	o += numfmt_fixed(o, pt->psi_full, 2);
	*o++ = ' ';
	o += numfmt_fixed(o, pt->majflt_per_s, 1);
	*o++ = ' ';
	o += numfmt_i64(o, pt->vmswap_bytes);
	*o++ = ' ';
	o += numfmt_i64(o, pt->cgroup_swap_bytes);
	*o++ = ' ';
	o += numfmt_fixed(o, pt->swapin_per_s, 0);
	*o++ = ' ';
	o += numfmt_fixed(o, pt->swapout_per_s, 0);
	*o++ = '\n';
	if (fwrite(line, 1, (size_t)(o - line), w->f) != (size_t)(o - line))
		return -EIO;
	return fflush(w->f) == 0 ? 0 : -errno;
}

void timeline_writer_close(struct timeline_writer *w)
{
	if (w->f)
		fclose(w->f);
	w->f = NULL;
}

void timeline_free(struct timeline *tl)
{
	free(tl->p);
	tl->p = NULL;
	tl->n = 0;
}

/* A sample a real run can write: finite, in time order, every figure in
 * range (common/bounds.h).  Tracked bytes are a sum of exact totals, which
 * may dip below zero (frees of blocks allocated before the tracker ran);
 * both byte sums are over every process, so below OOMPH_LIMIT_MAX rather
 * than one process's OOMPH_BYTES_MAX.  PSI is a percentage or -1. */
static int point_ok(const struct timeline_point *pt, const struct timeline *tl)
{
	const int64_t L = OOMPH_LIMIT_MAX;
	if (!(pt->t_s >= 0 && pt->t_s <= OOMPH_TIME_MAX_S) ||
	    (tl->n && pt->t_s < tl->p[tl->n - 1].t_s))
		return 0;
	if (!in_range_i64(pt->tracked_bytes, -L, L) || !in_range_i64(pt->rss_bytes, 0, L))
		return 0;
	if (!(pt->psi_some >= -1 && pt->psi_some <= 100) ||
	    !(pt->psi_full >= -1 && pt->psi_full <= 100))
		return 0;
	if (!in_range_i64(pt->vmswap_bytes, 0, L) || !in_range_i64(pt->cgroup_swap_bytes, -1, L))
		return 0;
	if (!(pt->swapin_per_s >= 0 && pt->swapin_per_s <= 1e15) ||
	    !(pt->swapout_per_s >= 0 && pt->swapout_per_s <= 1e15))
		return 0;
	return pt->majflt_per_s >= 0 && pt->majflt_per_s <= 1e15;
}

static int push(struct timeline *tl, size_t *cap, const struct timeline_point *pt)
{
	if (tl->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct timeline_point *q = realloc(tl->p, nc * sizeof *q);
		if (!q)
			return -ENOMEM;
		tl->p = q;
		*cap = nc;
	}
	tl->p[tl->n++] = *pt;
	return 0;
}

/* A version-2 line as the writer writes it, without sscanf (a report
 * reads one a tick of the run); 0 for anything else (sscanf decides). */
static int fast_point(const char *line, struct timeline_point *pt)
{
	const char *p = line;
	double *d[] = {&pt->t_s, &pt->psi_some, &pt->psi_full, &pt->majflt_per_s,
		       &pt->swapin_per_s, &pt->swapout_per_s};
	int64_t *i[] = {&pt->tracked_bytes, &pt->rss_bytes, &pt->vmswap_bytes,
			&pt->cgroup_swap_bytes};
	/* the fields in order: d i i d d d i i d d */
	static const char kind[] = "diidddiidd";
	int nd = 0, ni = 0;
	for (int k = 0; kind[k]; k++) {
		if (k && *p++ != ' ')
			return 0;
		if (kind[k] == 'd' ? numfmt_parse_fixed(&p, d[nd++]) : numfmt_parse_i64(&p, i[ni++]))
			return 0;
	}
	return *p == '\n';
}

int timeline_load(const char *run_dir, struct timeline *out, char *err, size_t errlen)
{
	char path[4200];
	out->n = 0;
	out->p = NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", run_dir, TIMELINE_FILE) >= sizeof path)
		return err_set(-ENAMETOOLONG, err, errlen, "timeline: path too long");
	int fd = safefs_open_read(path, NULL, err, errlen);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int e = errno;
		close(fd);
		return err_set(-e, err, errlen, "cannot open %s: %s", path, strerror(e));
	}
	char line[512];
	size_t cap = 0;
	long lineno = 0;
	int rc = 0, version = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (lineno == 1) {
			if (strncmp(line, MARKER, strlen(MARKER)) != 0) {
				rc = err_set(-EINVAL, err, errlen, "%s is not an oomph timeline", path);
				break;
			}
			version = atoi(line + strlen(MARKER));
			if (version < 1 || version > VERSION) {
				rc = err_set(-EINVAL, err, errlen,
					     "%s is a timeline of version %d, this oomph reads 1 to %d",
					     path, version, VERSION);
				break;
			}
			continue;
		}
		if (line[0] == '#')
			continue;
		if (len == 0 || line[len - 1] != '\n')
			break; /* torn last line: the writer died while writing it */
		struct timeline_point pt = {.cgroup_swap_bytes = -1};
		int want = version == 1 ? 6 : 10;
		int fast = version >= 2 && fast_point(line, &pt);
		if ((!fast && sscanf(line, "%lf %" SCNd64 " %" SCNd64 " %lf %lf %lf %" SCNd64 " %" SCNd64 " %lf %lf",
				     &pt.t_s, &pt.tracked_bytes, &pt.rss_bytes, &pt.psi_some,
				     &pt.psi_full, &pt.majflt_per_s, &pt.vmswap_bytes,
				     &pt.cgroup_swap_bytes, &pt.swapin_per_s,
				     &pt.swapout_per_s) != want) ||
		    !point_ok(&pt, out)) {
			rc = err_set(-EINVAL, err, errlen, "%s:%ld: malformed sample", path, lineno);
			break;
		}
		if ((rc = push(out, &cap, &pt)) != 0) {
			err_set(rc, err, errlen, "%s: out of memory", path);
			break;
		}
	}
	fclose(f);
	if (rc)
		timeline_free(out);
	return rc;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

int timeline_downsample(const struct timeline *in, size_t max_points, struct timeline *out)
{
	out->n = 0;
	out->p = NULL;
	if (max_points < 2)
		return -EINVAL;
	size_t n = in->n <= max_points ? in->n : max_points;
	if (n == 0)
		return 0;
	out->p = malloc(n * sizeof *out->p);
	if (!out->p)
		return -ENOMEM;
	if (in->n <= max_points) {
		memcpy(out->p, in->p, n * sizeof *out->p);
		out->n = n;
		return 0;
	}
	double t0 = in->p[0].t_s, span = in->p[in->n - 1].t_s - t0;
	size_t k = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct timeline_point *s = &in->p[i];
		size_t b = span > 0 ? (size_t)((s->t_s - t0) / span * (double)(n - 1)) : 0;
		if (b >= n)
			b = n - 1;
		if (out->n == 0 || b != k) {
			k = b;
			out->p[out->n++] = *s;
			continue;
		}
		struct timeline_point *d = &out->p[out->n - 1];
		d->t_s = s->t_s;
		if (s->tracked_bytes > d->tracked_bytes)
			d->tracked_bytes = s->tracked_bytes;
		if (s->rss_bytes > d->rss_bytes)
			d->rss_bytes = s->rss_bytes;
		d->psi_some = dmax(d->psi_some, s->psi_some);
		d->psi_full = dmax(d->psi_full, s->psi_full);
		d->majflt_per_s = dmax(d->majflt_per_s, s->majflt_per_s);
		if (s->vmswap_bytes > d->vmswap_bytes)
			d->vmswap_bytes = s->vmswap_bytes;
		if (s->cgroup_swap_bytes > d->cgroup_swap_bytes)
			d->cgroup_swap_bytes = s->cgroup_swap_bytes;
		d->swapin_per_s = dmax(d->swapin_per_s, s->swapin_per_s);
		d->swapout_per_s = dmax(d->swapout_per_s, s->swapout_per_s);
	}
	return 0;
}
