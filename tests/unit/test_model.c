/* Unit tests of the model (model/modelcmd.c) over hand-built profiles: the
 * phases of a run are the local maxima of its total that stand out, two
 * phases that never overlap are not added, and a phase that is small in
 * every sampled run but grows faster holds the peak at the predicted n. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/build.h"

/* A run at n: a baseline of 10 MB, a linear phase (line 10, 20000 bytes
 * per n) freed, then a quadratic one (line 20, 2 n^2 bytes).  With
 * history: moments at each phase's peak and between; without: only the
 * peak and the end, as profile_load gives before the tracker records
 * moments. */
static void two_phase_run(struct profile *p, double n, int history)
{
	CHECK_EQ_INT(profile_init(p), 0);
	uint32_t f, base, lin, quad;
	profile_add_frame(p, "job.py", "<module>", 5, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(p, 0, f, 0, 0, &base);
	profile_add_frame(p, "job.py", "load", 10, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(p, base, f, 0, 0, &lin);
	profile_add_frame(p, "job.py", "pairs", 20, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(p, base, f, 0, 0, &quad);
	int64_t b = 10000000, l = (int64_t)(20000 * n), q = (int64_t)(2 * n * n);
	int64_t pic[4][4] = {{0}};
	pic[0][base] = b, pic[0][lin] = l;
	pic[1][base] = b;
	pic[2][base] = b, pic[2][quad] = q;
	pic[3][base] = b;
	int64_t top = b + (l > q ? l : q);
	for (int k = 0; k < 4; k++) {
		int64_t sum = 0;
		for (int i = 0; i < 4; i++)
			sum += pic[k][i];
		if (!history && !(sum == top || k == 3))
			continue;
		CHECK_EQ_INT(profile_add_moment(p, k, sum, pic[k]), 0);
	}
	p->peak_bytes = top;
}

static void phases_are_the_standing_out_maxima(void)
{
	struct profile p;
	uint32_t ks[8];
	two_phase_run(&p, 1000, 1);
	CHECK_EQ_INT(model_phase_moments(&p, ks, 8), 2);
	CHECK_EQ_INT(ks[0], 0);
	CHECK_EQ_INT(ks[1], 2);
	profile_free(&p);
	two_phase_run(&p, 1000, 0);
	CHECK_EQ_INT(model_phase_moments(&p, ks, 8), 1);
	profile_free(&p);
}

static void the_quadratic_phase_holds_the_peak_past_the_runs(void)
{
	const double n[4] = {1000, 2000, 4000, 8000};
	struct profile runs[4];
	struct profile *ps[4];
	for (int i = 0; i < 4; i++) {
		two_phase_run(&runs[i], n[i], 1);
		ps[i] = &runs[i];
	}
	/* in every run the linear phase is the higher (20000 n > 2 n^2 for
	 * n < 10000); at n = 100000 the quadratic one is 10x the other */
	struct model mo;
	char err[256];
	CHECK_EQ_INT(model_build(n, ps, 4, 100000, 200000000, NULL, &mo, err, sizeof err), 0);
	CHECK_EQ_INT(mo.nphases, 2);
	double truth = 1e7 + 2e10;
	CHECK(fabs(mo.pred - truth) < 0.01 * truth);
	CHECK(mo.lo <= truth && truth <= mo.hi);
	const struct model_line *top = &mo.phases[mo.top].lines[0];
	CHECK_EQ_INT(top->line, 20);
	CHECK_EQ_INT(top->fit.law, FIT_QUADRATIC);
	/* never added: at n = 8000 the peak is the linear phase's alone */
	double at8k = model_peak_at(&mo, 8000, NULL, NULL, NULL);
	CHECK(fabs(at8k - (1e7 + 1.6e8)) < 0.01 * (1e7 + 1.6e8));
	/* the limit: the linear phase reaches 2e8 first, at n = 9500 (the
	 * quadratic one then holds 1.9e8) */
	CHECK(fabs(mo.max_n - 9500) < 20);
	model_free(&mo);
	/* without the history only the linear phase is seen */
	for (int i = 0; i < 4; i++) {
		profile_free(&runs[i]);
		two_phase_run(&runs[i], n[i], 0);
	}
	CHECK_EQ_INT(model_build(n, ps, 4, 100000, 0, NULL, &mo, err, sizeof err), 0);
	CHECK_EQ_INT(mo.nphases, 1);
	CHECK(mo.pred < 0.2 * truth);
	model_free(&mo);
	for (int i = 0; i < 4; i++)
		profile_free(&runs[i]);
}

int main(void)
{
	phases_are_the_standing_out_maxima();
	the_quadratic_phase_holds_the_peak_past_the_runs();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
