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

/* The job at one instant (the job's death picture): each process as its
 * last history moment by then showed it, on its own clock; nothing of a
 * process that had ended or not started; a fork child's inherited stacks
 * its parent's. */
static void pictures_at_an_instant(void)
{
	/* a parent whose `work` line held 10, 50 and 90 MiB at 0.1, 0.5
	 * and 0.9 s of its own clock, started 0.2 s into the run */
	struct profile par, gone, late, child;
	CHECK_EQ_INT(profile_init(&par) | profile_init(&gone) | profile_init(&late) |
			     profile_init(&child),
		     0);
	uint32_t f, work, base;
	profile_add_frame(&par, "job.py", "work", 7, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&par, 0, f, 0, 0, &work);
	for (int k = 0; k < 3; k++) {
		int64_t pic[2] = {0, (10 + 40 * k) * M};
		CHECK_EQ_INT(profile_add_moment(&par, 0.1 + 0.4 * k, pic[1], pic), 0);
	}
	/* one that ended at 0.6 s of the run holding 30 MiB; one that
	 * started at 0.8 s */
	profile_add_frame(&gone, "job.py", "step", 3, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&gone, 0, f, 0, 0, &base);
	int64_t g[2] = {0, 30 * M};
	CHECK_EQ_INT(profile_add_moment(&gone, 0.3, 30 * M, g), 0);
	CHECK_EQ_INT(profile_add_moment(&late, 0, 0, g), 0);
	/* a fork child at 0.4 s of the run: its copy of its parent's 10 MiB
	 * (kept) and 8 MiB of a stack it frees, 20 MiB of its own later */
	uint32_t inh_keep, inh_freed, own;
	profile_add_frame(&child, "job.py", "work", 7, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&child, 0, f, 0, 0, &inh_keep);
	profile_add_frame(&child, "job.py", "cache", 9, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&child, 0, f, 0, 0, &inh_freed);
	profile_add_frame(&child, "job.py", "task", 12, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&child, 0, f, 0, 0, &own);
	int64_t c0[4] = {0}, c1[4] = {0};
	c0[inh_keep] = 10 * M, c0[inh_freed] = 8 * M;
	c1[inh_keep] = 10 * M, c1[own] = 20 * M;
	CHECK_EQ_INT(profile_add_moment(&child, 0, 18 * M, c0), 0);
	CHECK_EQ_INT(profile_add_moment(&child, 0.1, 30 * M, c1), 0);
	child.inherited_bytes = 18 * M;
	child.inherited_pic = calloc(4, sizeof(*child.inherited_pic));
	child.ninherited = 4;
	child.inherited_pic[inh_keep] = (struct profile_bytes){10 * M, 10 * M};
	child.inherited_pic[inh_freed] = (struct profile_bytes){8 * M, 8 * M};
	struct jobtime_proc procs[4] = {
		{&par, 0.2, "process 20 (python3 job.py)", "20", -1},
		{&gone, 0.0, "process 21 (python3 job.py)", "21", 0.6},
		{&late, 0.8, "process 22 (python3 job.py)", "22", -1},
		{&child, 0.4, "process 23 (python3 job.py)", "23", -1},
	};
	int64_t self[4], held;
	/* a death at 0.7 s of the parent's clock (0.9 s of the run): its
	 * 0.5 s picture, not the 0.9 s one after it, nor the 0.1 s one */
	CHECK_EQ_INT(profile_moment_at(&par, 0.7), 1);
	CHECK_EQ_INT(profile_moment_at(&par, 0.05), UINT32_MAX);
	CHECK_EQ_INT(jobtime_picture_at(&procs[0], 0.9, 0, self, &held), 1);
	CHECK_EQ_INT(held, 50 * M);
	CHECK_EQ_INT(self[work], 50 * M);
	/* the process that had ended holds nothing then (before: its 30) */
	CHECK_EQ_INT(jobtime_picture_at(&procs[1], 0.9, 0, self, &held), 0);
	CHECK_EQ_INT(held, 0);
	CHECK_EQ_INT(self[base], 0);
	CHECK_EQ_INT(jobtime_picture_at(&procs[1], 0.5, 0, self, &held), 1);
	CHECK_EQ_INT(held, 30 * M);
	/* not started yet; then in the job */
	CHECK_EQ_INT(jobtime_picture_at(&procs[2], 0.7, 0, self, &held), 0);
	CHECK_EQ_INT(jobtime_picture_at(&procs[2], 0.9, 0, self, &held), 1);
	CHECK_EQ_INT(held, 0);
	/* the fork child at 0.9 s: its own 20 MiB, not its copy of the
	 * parent's 10 (nor the 8 it freed); at its fork, nothing of its own */
	CHECK_EQ_INT(jobtime_picture_at(&procs[3], 0.9, 0, self, &held), 1);
	CHECK_EQ_INT(held, 20 * M);
	CHECK_EQ_INT(self[own], 20 * M);
	CHECK_EQ_INT(self[inh_keep], 0);
	CHECK_EQ_INT(self[inh_freed], 0);
	CHECK_EQ_INT(jobtime_picture_at(&procs[3], 0.45, 0, self, &held), 1);
	CHECK_EQ_INT(held, 0);
	/* the victim: its end, whatever the instant (it died then) */
	CHECK_EQ_INT(jobtime_picture_at(&procs[0], 0.3, 1, self, &held), 1);
	CHECK_EQ_INT(held, 90 * M);
	CHECK_EQ_INT(jobtime_picture_at(&procs[1], 5.0, 1, self, &held), 1);
	CHECK_EQ_INT(held, 30 * M);
	profile_free(&par);
	profile_free(&gone);
	profile_free(&late);
	profile_free(&child);
}

int main(void)
{
	pictures_at_an_instant();
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
