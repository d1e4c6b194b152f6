/* Unit tests of model/fit.c: each law is recovered from data that follow
 * it, the exponent comes with an interval that holds the truth, the
 * criterion picks the simpler law when the rest is noise, and bad input is
 * refused. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "model/fit.h"

static const double sizes4[] = {1000, 2000, 4000, 8000};
static const double sizes5[] = {1000, 2000, 4000, 8000, 16000};

/* A deterministic noise in [-1, 1] (xorshift), so failures reproduce. */
static double noise(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (double)(*s % 20001) / 10000.0 - 1.0;
}

static int near(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want);
}

static void check_law(const char *what, const double *n, int m, double (*f)(double),
		      enum fit_law want, double exp_lo, double exp_hi)
{
	double y[FIT_MAX_POINTS];
	for (int i = 0; i < m; i++)
		y[i] = f(n[i]);
	struct fit_result r;
	CHECK_EQ_INT(fit_series(n, y, m, &r), 0);
	if (r.law != want)
		fprintf(stderr, "%s: got law %s, want %s\n", what, fit_law_name(r.law), fit_law_name(want));
	CHECK_EQ_INT(r.law, want);
	CHECK(r.exponent >= exp_lo && r.exponent <= exp_hi);
	/* 25x past the largest size, the prediction is the law's own value */
	double N = n[m - 1] * 25, lo, hi;
	double p = fit_predict(&r, N, &lo, &hi);
	if (!near(p, f(N), 0.02))
		fprintf(stderr, "%s: predicted %.0f at %.0f, truth %.0f\n", what, p, N, f(N));
	CHECK(near(p, f(N), 0.02));
	CHECK(lo <= f(N) * 1.001 && hi >= f(N) * 0.999);
	CHECK(lo <= p && p <= hi);
}

static double f_const(double n) { (void)n; return 31e6; }
static double f_log(double n) { return 5e6 + 2e6 * log(n); }
static double f_lin(double n) { return 30e6 + 24 * n; }
static double f_nlogn(double n) { return 1e6 + 40 * n * log(n); }
static double f_quad(double n) { return 2e6 + 8 * n * n; }
static double f_cubic(double n) { return 1e5 + 1e-3 * n * n * n; }
static double f_pow(double n) { return 1e6 + 50 * pow(n, 1.5); }

static void every_law_is_recovered_from_its_own_data(void)
{
	check_law("constant", sizes4, 4, f_const, FIT_CONSTANT, 0, 0);
	check_law("log", sizes5, 5, f_log, FIT_LOG, 0.0, 0.6);
	check_law("linear", sizes4, 4, f_lin, FIT_LINEAR, 0.98, 1.02);
	check_law("linear on 3 sizes", sizes4, 3, f_lin, FIT_LINEAR, 0.98, 1.02);
	check_law("nlogn", sizes5, 5, f_nlogn, FIT_NLOGN, 1.0, 1.3);
	check_law("quadratic", sizes4, 4, f_quad, FIT_QUADRATIC, 1.98, 2.02);
	check_law("cubic", sizes4, 4, f_cubic, FIT_CUBIC, 2.97, 3.03);
	check_law("power 1.5", sizes5, 5, f_pow, FIT_POWER, 1.47, 1.53);
}

/* The exponent's interval holds the truth and is narrow on exact data;
 * with 3 sizes there is no degree of freedom left to estimate it. */
static void the_exponent_has_an_interval(void)
{
	double y[5];
	struct fit_result r;
	for (int i = 0; i < 5; i++)
		y[i] = f_pow(sizes5[i]);
	CHECK_EQ_INT(fit_series(sizes5, y, 5, &r), 0);
	CHECK(r.exponent_low <= 1.5 && r.exponent_high >= 1.5);
	CHECK(r.exponent_high - r.exponent_low < 0.2);
	for (int i = 0; i < 3; i++)
		y[i] = f_quad(sizes4[i]);
	CHECK_EQ_INT(fit_series(sizes4, y, 3, &r), 0);
	CHECK_EQ_INT(r.law, FIT_QUADRATIC);
	CHECK(isnan(r.exponent_low) && isnan(r.exponent_high));
	CHECK(near(r.exponent, 2, 0.01));
}

/* A constant line with 1% of noise stays constant (the linear or power
 * law would bend through the noise and extrapolate it); a linear line with
 * the same noise stays linear. */
static void the_criterion_picks_the_simpler_law_on_noise(void)
{
	uint32_t seed = 12345;
	int constant = 0, linear = 0;
	for (int trial = 0; trial < 50; trial++) {
		double y[5], z[5];
		for (int i = 0; i < 5; i++) {
			y[i] = 40e6 * (1 + 0.01 * noise(&seed));
			z[i] = (5e6 + 240 * sizes5[i]) * (1 + 0.01 * noise(&seed));
		}
		struct fit_result r;
		CHECK_EQ_INT(fit_series(sizes5, y, 5, &r), 0);
		constant += r.law == FIT_CONSTANT;
		if (r.law != FIT_CONSTANT)
			fprintf(stderr, "noisy constant taken for %s\n", fit_law_name(r.law));
		CHECK_EQ_INT(fit_series(sizes5, z, 5, &r), 0);
		linear += r.law == FIT_LINEAR;
		if (r.law != FIT_LINEAR)
			fprintf(stderr, "noisy linear taken for %s\n", fit_law_name(r.law));
	}
	fprintf(stderr, "noise: constant chosen %d/50, linear chosen %d/50\n", constant, linear);
	CHECK(constant >= 48);
	CHECK(linear >= 45);
}

/* A line that is 0 in the small runs and appears later does not break the
 * fit (its weights are floored); a series of zeros is constant 0. */
static void zeros_are_fitted(void)
{
	double y[4] = {0, 0, 0, 0};
	struct fit_result r;
	CHECK_EQ_INT(fit_series(sizes4, y, 4, &r), 0);
	CHECK_EQ_INT(r.law, FIT_CONSTANT);
	CHECK(fit_predict(&r, 1e6, NULL, NULL) == 0);
	double q[4] = {0, 8 * 2000.0 * 2000, 8 * 4000.0 * 4000, 8 * 8000.0 * 8000};
	CHECK_EQ_INT(fit_series(sizes4, q, 4, &r), 0);
	CHECK(r.law == FIT_QUADRATIC || r.law == FIT_POWER);
	double p = fit_predict(&r, 80000, NULL, NULL);
	if (!near(p, 8 * 80000.0 * 80000, 0.15))
		fprintf(stderr, "late line: %s k=%.3f predicts %.3g\n", fit_law_name(r.law), r.k, p);
	CHECK(near(p, 8 * 80000.0 * 80000, 0.15));
}

/* A list of n tuples as a real run measured it (pools and samples: n^0.986
 * over one decade) is linear; n^1.5 stays a power law. */
static void an_exponent_near_a_named_law_is_that_law(void)
{
	double n[4] = {16000, 40000, 80000, 160000};
	double y[4] = {2184584, 5496816, 10985456, 21848048};
	struct fit_result r;
	CHECK_EQ_INT(fit_series(n, y, 4, &r), 0);
	if (r.law != FIT_LINEAR)
		fprintf(stderr, "tuples: %s k=%.3f\n", fit_law_name(r.law), r.exponent);
	CHECK_EQ_INT(r.law, FIT_LINEAR);
	CHECK(near(r.exponent, 1, FIT_NAMED_K));
	double z[4];
	for (int i = 0; i < 4; i++)
		z[i] = 1e6 + 50 * pow(n[i], 1.5);
	CHECK_EQ_INT(fit_series(n, z, 4, &r), 0);
	CHECK_EQ_INT(r.law, FIT_POWER);
	CHECK(near(r.exponent, 1.5, 0.02));
}

static void bad_input_is_refused(void)
{
	double y[4] = {1, 2, 3, 4};
	struct fit_result r;
	CHECK_EQ_INT(fit_series(sizes4, y, 2, &r), -EINVAL);
	double n0[4] = {0, 1, 2, 3}, rep[4] = {1, 2, 2, 3};
	CHECK_EQ_INT(fit_series(n0, y, 4, &r), -EINVAL);
	CHECK_EQ_INT(fit_series(rep, y, 4, &r), -EINVAL);
	double nan_y[4] = {1, NAN, 3, 4};
	CHECK_EQ_INT(fit_series(sizes4, nan_y, 4, &r), -EINVAL);
	CHECK_STR_EQ(fit_law_name(FIT_NLOGN), "nlogn");
	CHECK(near(fit_t90(1), 6.314, 1e-3) && near(fit_t90(1000), 1.645, 1e-3));
}

int main(void)
{
	every_law_is_recovered_from_its_own_data();
	the_exponent_has_an_interval();
	the_criterion_picks_the_simpler_law_on_noise();
	zeros_are_fitted();
	an_exponent_near_a_named_law_is_that_law();
	bad_input_is_refused();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
