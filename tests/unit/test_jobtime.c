/* Unit tests of report/jobtime.c: each process's part of the job at common
 * instants of the run's clock, and job-timeline.tsv. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/jobtime.h"

#define M ((int64_t)1 << 20)

static void points(struct profile *p, const double *t, const int64_t *v, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ_INT(profile_add_point(p, t[i], v[i]), 0);
}

/* The instant of the grid nearest t. */
static size_t at(const struct jobtime *jt, double t)
{
	size_t k = 0;
	for (size_t i = 1; i < jt->nt; i++)
		if (abs((int)((jt->t[i] - t) * 1e6)) < abs((int)((jt->t[k] - t) * 1e6)))
			k = i;
	return k;
}

int main(void)
{
	/* A parent holding 100 MiB from 1 s to 3 s; a fork child (started at
	 * 1 s on the run's clock) that inherited those 100 MiB and keeps them,
	 * growing 50 MiB of its own at 1.5 s (20 left when it ends at 2.2 s);
	 * a second one that drops its
	 * inherited copy first, then grows 40 MiB (until 2.8 s); a spawned process, started
	 * at 0.5 s, that holds 20 MiB until it ends at 2.0 s. */
	struct profile par, keep, drop, sp;
	CHECK_EQ_INT(profile_init(&par) | profile_init(&keep) | profile_init(&drop) | profile_init(&sp), 0);
	points(&par, (double[]){0, 1, 3}, (int64_t[]){0, 100 * M, 100 * M}, 3);
	points(&keep, (double[]){0, 0.5, 1.2}, (int64_t[]){100 * M, 150 * M, 120 * M}, 3);
	keep.inherited_bytes = 100 * M;
	points(&drop, (double[]){0, 0.2, 0.6, 1.8}, (int64_t[]){100 * M, 0, 40 * M, 40 * M}, 4);
	drop.inherited_bytes = 100 * M;
	drop.inherited_freed_bytes = 100 * M;
	points(&sp, (double[]){0, 0.1, 1.5}, (int64_t[]){0, 20 * M, 20 * M}, 3);
	struct jobtime_proc procs[4] = {
		{&par, 0, "process 10 (python3 job.py)", "10", 3.0},
		{&keep, 1.0, "process 11 (python3 job.py)", "11", 2.2},
		{&drop, 1.0, "process 12 (python3 job.py)", "12", 2.8},
		{&sp, 0.5, "process 13 (python3 -c\nx)", "13.1", 2.0},
	};
	struct jobtime jt;
	CHECK_EQ_INT(jobtime_build(&jt, procs, 4, 1.6543, 2.5), 0);
	CHECK_EQ_INT(jt.np, 4);
	CHECK(jt.nt >= JOBTIME_POINTS && jt.nt <= JOBTIME_POINTS + 9);
	for (size_t k = 1; k < jt.nt; k++)
		CHECK(jt.t[k] - jt.t[k - 1] >= 1e-3 - 1e-9); /* one instant per ms at most */
	CHECK(jt.t[0] == 0);
	CHECK(jt.t[jt.nt - 1] == 3.0); /* the end of the last process */
	/* the job's peak is an instant of its own, at its own time */
	size_t pk = at(&jt, 1.6543);
	CHECK(jt.t[pk] == 1.6543);
	/* then: the parent's 100 MiB, the keeping child's own 50, the
	 * dropping child's 40 (its drop to 0 was its inherited copy), and the
	 * spawned process's 20 */
	CHECK_EQ_INT(jt.v[0 * jt.nt + pk], 100 * M);
	CHECK_EQ_INT(jt.v[1 * jt.nt + pk], 50 * M);
	CHECK_EQ_INT(jt.v[2 * jt.nt + pk], 40 * M);
	CHECK_EQ_INT(jt.v[3 * jt.nt + pk], 20 * M);
	CHECK_EQ_INT(jt.total[pk], 210 * M);
	/* before a process's first point it holds nothing; after its last it
	 * has left the job */
	size_t k04 = at(&jt, 0.4), k25 = at(&jt, 2.5);
	CHECK_EQ_INT(jt.v[3 * jt.nt + k04], 0);
	CHECK_EQ_INT(jt.v[3 * jt.nt + at(&jt, 0.7)], 20 * M);
	CHECK_EQ_INT(jt.v[3 * jt.nt + k25], 0);
	CHECK_EQ_INT(jt.v[1 * jt.nt + k25], 0);
	CHECK_EQ_INT(jt.v[1 * jt.nt + at(&jt, 2.2)], 20 * M); /* its last figure, at its end */
	CHECK_EQ_INT(jt.total[k25], 140 * M);                  /* the parent, the dropping child */
	/* the keeping child, at its fork: what it inherited is its parent's */
	CHECK_EQ_INT(jt.v[1 * jt.nt + at(&jt, 1.2)], 0);
	/* the dropping child between its drop and its growth: nothing */
	CHECK_EQ_INT(jt.v[2 * jt.nt + at(&jt, 1.4)], 0);
	/* the process's last point counts at its own instant */
	size_t e = at(&jt, 2.0);
	CHECK(jt.t[e] == 2.0);
	CHECK_EQ_INT(jt.v[3 * jt.nt + e], 20 * M);

	/* the file: its marker, a comment per column, the header, a line per
	 * instant; a label stays on one line */
	struct buf b;
	buf_init(&b);
	jobtime_tsv(&b, &jt, procs);
	const char *s = buf_str(&b);
	CHECK(!strncmp(s, "# oomph job timeline 1\n", 23));
	CHECK_STR_CONTAINS(s, "\n# 13.1\tprocess 13 (python3 -c x)\n");
	CHECK_STR_CONTAINS(s, "\nt_s\tjob_bytes\t10\t11\t12\t13.1\n");
	char row[128];
	snprintf(row, sizeof row, "\n1.654\t%lld\t%lld\t%lld\t%lld\t%lld\n", (long long)(210 * M),
		 (long long)(100 * M), (long long)(50 * M), (long long)(40 * M), (long long)(20 * M));
	CHECK_STR_CONTAINS(s, row);
	size_t lines = 0;
	for (const char *c = s; *c; c++)
		lines += *c == '\n';
	CHECK_EQ_INT(lines, 2 + 4 + 1 + jt.nt);
	buf_free(&b);
	jobtime_free(&jt);

	/* a process that never left (still running, or outlived the run)
	 * holds its last figure to the end; one killed at 1.8 s left then,
	 * though its record ends at 1.5 s; the grid reaches the run's end */
	procs[3].left_s = -1;
	procs[0].left_s = 1.8;
	CHECK_EQ_INT(jobtime_build(&jt, procs, 4, -1, 3.5), 0);
	CHECK(jt.t[jt.nt - 1] == 3.5);
	CHECK_EQ_INT(jt.v[3 * jt.nt + at(&jt, 3.4)], 20 * M);
	CHECK_EQ_INT(jt.v[0 * jt.nt + at(&jt, 1.75)], 100 * M);
	CHECK_EQ_INT(jt.v[0 * jt.nt + at(&jt, 1.85)], 0);
	jobtime_free(&jt);

	profile_free(&par);
	profile_free(&keep);
	profile_free(&drop);
	profile_free(&sp);
	return check_summary();
}
