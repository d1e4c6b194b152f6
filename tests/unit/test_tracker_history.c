/* Unit tests of the tracker's history (tracker/tracker.c "the history",
 * state/format.h "The history"), read back through the state reader: the
 * timeline of the exact total, moments with the stacks that changed, and
 * how both stay bounded.  Each scenario runs in a forked child; the clock
 * is the test's (tracker_test_now_ns), so steps and merges need no waiting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "profile/profile.h"
#include "state/format.h"
#include "tracker/tracker.h"
#include "tracker_fixture.h"

#define MiB (1ll << 20)
#define MS 1000000ull

static void tick(uint64_t ms)
{
	tracker_test_now_ns += ms * MS;
}

/* Three phases, each allocating 10 MiB blocks on a line of its own (one
 * every 5 ms), holding them, freeing them: 60, 150 and 100 MiB. */
static void phase(int code, int blocks, int base)
{
	at(code, 10 * code);
	for (int i = 0; i < blocks; i++) {
		tick(5);
		tracker_on_alloc(A(base + i), (size_t)(10 * MiB));
	}
	tick(50);
	for (int i = 0; i < blocks; i++) {
		tick(1);
		tracker_on_free(A(base + i), (size_t)(10 * MiB));
	}
	tick(20);
}

static void scenario_three_phases(void)
{
	tracker_test_now_ns = 1;
	start(1);
	phase(1, 6, 0);
	phase(2, 15, 100);
	phase(3, 10, 200);
}

/* The local maxima of the timeline (a plateau counted once). */
static int maxima(const struct profile *p, int64_t *out, double *when, int cap)
{
	int n = 0;
	for (uint32_t i = 0; i < p->ntimeline; i++) {
		int64_t v = p->timeline[i].bytes;
		if (i && p->timeline[i - 1].bytes >= v)
			continue;
		uint32_t j = i;
		while (j + 1 < p->ntimeline && p->timeline[j + 1].bytes == v)
			j++;
		if (j + 1 < p->ntimeline && p->timeline[j + 1].bytes > v)
			continue;
		if (n < cap) {
			out[n] = v;
			when[n] = p->timeline[i].t_s;
		}
		n++;
	}
	return n;
}

static void test_three_phases_show_three_maxima_in_order(void)
{
	struct profile p;
	CHECK(run_child(scenario_three_phases, &p) == 0);
	if (!p.nnodes)
		return;
	int64_t top[8];
	double when[8];
	int n = maxima(&p, top, when, 8);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(top[0], 60 * MiB);
	CHECK_EQ_INT(top[1], 150 * MiB);
	CHECK_EQ_INT(top[2], 100 * MiB);
	CHECK(when[0] < when[1] && when[1] < when[2]);
	/* the peak is the second maximum, on the line where it happened */
	CHECK_EQ_INT(p.peak_bytes, 150 * MiB);
	CHECK(p.peak_time_s == when[1]);
	/* each 10 MiB step is its own point (they are 5 ms apart) */
	CHECK(p.ntimeline >= 2 * (6 + 15 + 10));
	CHECK_EQ_INT(p.history_flags, 0);

	/* the moments: the picture when phase 1 peaked holds f1's 60 MiB
	 * and nothing else; what grew from it to the peak is f2's 150 MiB
	 * and f1's -60 */
	uint32_t k1 = UINT32_MAX, kp = UINT32_MAX;
	for (uint32_t k = 0; k < p.nmoments; k++) {
		if (k1 == UINT32_MAX && p.moments[k].bytes == 60 * MiB)
			k1 = k;
		if (p.moments[k].is_peak)
			kp = k;
	}
	CHECK(k1 < kp && kp < p.nmoments);
	int64_t *self = calloc(p.nnodes, sizeof(*self));
	if (self && k1 < kp && kp < p.nmoments) {
		CHECK_EQ_INT(profile_picture_at(&p, k1, self), 0);
		CHECK_EQ_INT(bytes_at(&p, self, 1, 10), 60 * MiB);
		CHECK_EQ_INT(bytes_at(&p, self, 2, 20), 0);
		CHECK_EQ_INT(profile_grown(&p, k1, kp, self), 0);
		CHECK_EQ_INT(bytes_at(&p, self, 1, 10), -60 * MiB);
		CHECK_EQ_INT(bytes_at(&p, self, 2, 20), 150 * MiB);
		/* a moment half-way up phase 3: 50 MiB on f3, every moment's
		 * picture adds up to its exact total */
		int half = 0;
		for (uint32_t k = 0; k < p.nmoments; k++) {
			CHECK_EQ_INT(profile_picture_at(&p, k, self), 0);
			int64_t sum = 0;
			for (uint32_t i = 0; i < p.nnodes; i++)
				sum += self[i];
			CHECK_EQ_INT(sum, p.moments[k].bytes);
			if (p.moments[k].t_s > when[1] && p.moments[k].t_s < when[2] &&
			    p.moments[k].bytes == 50 * MiB)
				half += bytes_at(&p, self, 3, 30) == 50 * MiB;
		}
		CHECK_EQ_INT(half, 1);
	}
	free(self);
	profile_free(&p);
}

/* Within one step of the clock, points merge into one that keeps the
 * extremes; a swing across the band then costs nothing until the clock
 * moves. */
static void scenario_swings_within_a_tick(void)
{
	tracker_test_now_ns = 1;
	start(1);
	at(1, 10);
	tracker_on_alloc(A(1), (size_t)(20 * MiB));
	tick(10);
	for (int i = 0; i < 1000; i++) { /* +-5 MiB around 20 MiB, same instant */
		tracker_on_alloc(A(2), (size_t)(5 * MiB));
		tracker_on_free(A(2), (size_t)(5 * MiB));
	}
	tick(10);
	tracker_on_free(A(1), (size_t)(20 * MiB));
}

static void test_swings_within_a_step_are_one_point_with_its_extremes(void)
{
	struct profile p;
	CHECK(run_child(scenario_swings_within_a_tick, &p) == 0);
	if (!p.nnodes)
		return;
	int at25 = 0, at20 = 0;
	for (uint32_t i = 0; i < p.ntimeline; i++) {
		at25 += p.timeline[i].bytes == 25 * MiB;
		at20 += p.timeline[i].t_s > 0.005 && p.timeline[i].t_s < 0.015 &&
			p.timeline[i].bytes == 20 * MiB;
	}
	/* the extreme (and the peak the reader adds there), not 1000 times */
	CHECK(at25 >= 1 && at25 <= 2);
	CHECK(p.ntimeline < 12);
	CHECK_EQ_INT(p.peak_bytes, 25 * MiB);
	CHECK_EQ_INT(p.timeline[p.ntimeline - 1].bytes, 0);
	(void)at20;
	profile_free(&p);
}

/* A long run: far more points and moments than the tables hold, on many
 * stacks.  The record is merged (coarsened), stays within its tables, and
 * keeps the extremes: the peak is still on the line. */
#define LONG_STEPS 40000
static void scenario_long_run(void)
{
	tracker_test_now_ns = 1;
	start(1);
	at(999, 1);
	tracker_on_alloc(A(0), (size_t)(50 * MiB));
	for (int i = 1; i <= LONG_STEPS; i++) {
		/* a swing of 4 MiB across the band on one of 97 lines, and
		 * 64 KiB kept every 10th step */
		tick(3);
		at(1 + i % 97, 1 + i % 13);
		tracker_on_alloc(A(2 * i), (size_t)(4 * MiB));
		if (i % 10 == 0)
			tracker_on_alloc(A(2 * i + 1), (size_t)(64 << 10));
		if (i == LONG_STEPS / 2) {
			at(500, 1);
			tracker_on_alloc(A(1), (size_t)(4096 * MiB)); /* a spike */
			tick(3);
			tracker_on_free(A(1), (size_t)(4096 * MiB));
		}
		tick(3);
		tracker_on_free(A(2 * i), (size_t)(4 * MiB));
	}
}

static void test_a_long_run_is_coarsened_and_keeps_its_peak(void)
{
	struct profile p;
	CHECK(run_child(scenario_long_run, &p) == 0);
	if (!p.nnodes)
		return;
	CHECK(p.history_flags & PROFILE_HISTORY_COARSENED);
	CHECK(!(p.history_flags & PROFILE_HISTORY_STOPPED));
	CHECK(p.ntimeline <= 3 * OOMPH_HIST_POINTS_CAP + 2);
	CHECK(p.ntimeline > OOMPH_HIST_POINTS_CAP / 2);
	CHECK(p.nmoments <= OOMPH_HIST_MOMENTS_CAP + 2);
	CHECK(p.nmoments > OOMPH_HIST_MOMENTS_CAP / 4);
	CHECK(p.history_step_s > 0);
	int64_t top = 0;
	for (uint32_t i = 0; i < p.ntimeline; i++)
		top = p.timeline[i].bytes > top ? p.timeline[i].bytes : top;
	CHECK_EQ_INT(top, p.peak_bytes);
	CHECK(p.peak_bytes > 4096 * MiB);
	/* the pictures stay exact after the merges: at the end, the base and
	 * every 64 KiB kept, each on its line */
	int64_t kept = 50 * MiB + (int64_t)(LONG_STEPS / 10) * (64 << 10);
	CHECK_EQ_INT(p.end_bytes, kept);
	int64_t *self = calloc(p.nnodes, sizeof(*self));
	if (self) {
		CHECK_EQ_INT(profile_picture_at(&p, p.nmoments - 1, self), 0);
		CHECK_EQ_INT(bytes_at(&p, self, 999, 1), 50 * MiB);
		int64_t on10 = 0; /* what was kept on f11:11 (the stack of step 10) */
		for (int i = 10; i <= LONG_STEPS; i += 10)
			on10 += i % 97 == 10 && i % 13 == 10 ? 64 << 10 : 0;
		CHECK_EQ_INT(bytes_at(&p, self, 11, 11), on10);
		/* a merged moment in the middle replays to its own total, with
		 * the base on its line */
		uint32_t mid = p.nmoments / 2;
		CHECK_EQ_INT(profile_picture_at(&p, mid, self), 0);
		int64_t sum = 0;
		for (uint32_t i = 0; i < p.nnodes; i++)
			sum += self[i];
		CHECK_EQ_INT(sum, p.moments[mid].bytes);
		CHECK_EQ_INT(bytes_at(&p, self, 999, 1), 50 * MiB);
	}
	free(self);
	profile_free(&p);
}

/* Churn over more stacks than the changes table holds, each touched once
 * in a while: merging neighbours cannot shrink that, so the older half is
 * folded into one picture; the moments never stop, and every picture still
 * adds up. */
#define CHURN_STEPS 700000
#define CHURN_FAN 700
#define CHURN_LAG 300000 /* steps a block lives */
static void scenario_churn_over_many_stacks(void)
{
	tracker_test_now_ns = 1;
	start(1);
	for (int i = 1; i <= CHURN_STEPS; i++) {
		tick(1);
		/* every step a stack of its own (700 x 1000 of them) */
		int codes[2] = {1 + (i / 1000) % CHURN_FAN, 1000 + i % 1000};
		int lines[2] = {1, 1};
		set_stack(2, codes, lines);
		if (i % 50 == 0) { /* a leak on one line */
			at(999, 9);
			tracker_on_alloc(A(2 * i + 1), 4096);
		}
		set_stack(2, codes, lines);
		tracker_on_alloc(A(2 * i), 4096);
		if (i > CHURN_LAG)
			tracker_on_free(A(2 * (i - CHURN_LAG)), 4096);
	}
}

static void test_churn_over_many_stacks_folds_the_old_moments(void)
{
	struct profile p;
	CHECK(run_child(scenario_churn_over_many_stacks, &p) == 0);
	if (!p.nnodes)
		return;
	CHECK(p.nnodes > 300000);
	CHECK(p.history_flags & PROFILE_HISTORY_COARSENED);
	CHECK(!(p.history_flags & PROFILE_HISTORY_STOPPED));
	CHECK(p.nmoments > 20);
	CHECK(p.nchanges <= OOMPH_HIST_CHANGES_CAP);
	int64_t *self = calloc(p.nnodes, sizeof(*self));
	if (self) {
		/* the first moment (the fold) and the last before the end add up,
		 * and the leak's line holds what was kept up to then */
		for (uint32_t k = 0; k + 1 < p.nmoments; k += p.nmoments - 2) {
			CHECK_EQ_INT(profile_picture_at(&p, k, self), 0);
			int64_t sum = 0;
			for (uint32_t i = 0; i < p.nnodes; i++)
				sum += self[i];
			CHECK_EQ_INT(sum, p.moments[k].bytes);
			/* CHURN_LAG churn blocks live, one more between an
			 * allocation and its step's free (and a block charged
			 * to its stack a moment before the total says so: the
			 * picture is rescaled to the total, each block's floor
			 * giving a byte to the largest stack) */
			int64_t leak = bytes_at(&p, self, 999, 9), rest = p.moments[k].bytes - leak;
			if (p.moments[k].t_s > CHURN_LAG / 1000.0 + 0.1)
				CHECK(llabs(rest - CHURN_LAG * 4096ll) <= CHURN_LAG + 2 * 4096);
			CHECK(leak > 0 || p.moments[k].t_s < 0.05);
		}
		/* the older half went into the first moment: it is late, and the
		 * moments after it are as fine as they were */
		CHECK(p.moments[0].t_s > 100);
		CHECK(p.moments[2].t_s - p.moments[1].t_s < 5);
	}
	free(self);
	profile_free(&p);
}

/* A fork child starts a history of its own: its first point is what it
 * inherited, at its time 0. */
static void scenario_fork_child_history(void)
{
	tracker_test_now_ns = 1;
	start(1);
	at(1, 10);
	tracker_on_alloc(A(1), (size_t)(30 * MiB));
	tick(10);
	tracker_atfork_prepare();
	tracker_test_now_ns = 1; /* the child's clock starts again */
	tracker_atfork_child(); /* this process plays the child from here */
	tick(10);
	tracker_on_alloc(A(2), (size_t)(10 * MiB));
}

static void test_a_fork_child_has_its_own_history(void)
{
	char path[512], err[512];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		scenario_fork_child_history();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the child's file is <pid>.1.oomph (the same pid made a second one) */
	snprintf(path, sizeof path, "%s/%d.1.oomph", dir, (int)pid);
	struct profile p;
	int rc = profile_load(path, &p, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	if (!rc) {
		CHECK(p.ntimeline >= 2);
		CHECK_EQ_INT(p.timeline[0].bytes, 30 * MiB);
		CHECK(p.timeline[0].t_s < 0.001);
		CHECK_EQ_INT(p.peak_bytes, 40 * MiB);
		profile_free(&p);
	}
	unlink(path);
	snprintf(path, sizeof path, "%s/%d.oomph", dir, (int)pid);
	unlink(path);
}

/* OOMPH_HISTORY=off: the same three phases leave no point and no moment
 * of the tracker's; the peak and the end, which the reader adds, are all
 * the history there is, and the state says it stopped at 0. */
static void scenario_three_phases_no_history(void)
{
	history_off = 1;
	scenario_three_phases();
}

static void test_history_off_records_no_point_and_keeps_the_peak(void)
{
	struct profile p;
	CHECK(run_child(scenario_three_phases_no_history, &p) == 0);
	if (!p.nnodes)
		return;
	CHECK_EQ_INT(p.peak_bytes, 150 * MiB);
	CHECK_EQ_INT(p.history_flags, PROFILE_HISTORY_STOPPED);
	CHECK(p.history_stopped_s < 0.001);
	/* the peak and the end only (three phases with history: >= 62) */
	CHECK_EQ_INT(p.ntimeline, 2);
	CHECK_EQ_INT(p.nmoments, 2);
	for (uint32_t k = 0; k < p.nmoments; k++)
		CHECK(p.moments[k].is_peak || p.moments[k].is_end);
	profile_free(&p);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-history-%d", (int)getpid());
	mkdir(dir, 0755);
	test_three_phases_show_three_maxima_in_order();
	test_swings_within_a_step_are_one_point_with_its_extremes();
	test_a_long_run_is_coarsened_and_keeps_its_peak();
	test_a_fork_child_has_its_own_history();
	test_churn_over_many_stacks_folds_the_old_moments();
	test_history_off_records_no_point_and_keeps_the_peak();
	rmdir(dir);
	return check_summary();
}
