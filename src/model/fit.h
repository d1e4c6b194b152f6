/* model/fit.h — one series of bytes against input size n, fitted to a law.
 *
 * Contract
 *   - Pure functions over their arguments: no allocation beyond the stack,
 *     no global state, no I/O; safe anywhere outside the profiled process.
 *   - fit_series() fits y(n) among the laws below, each y = a + b·g(n):
 *         constant  g = 0 (y = a)        log        g = ln n
 *         linear    g = n                nlogn      g = n ln n
 *         quadratic g = n²               cubic      g = n³
 *         power     g = n^k, k fitted in [FIT_K_MIN, FIT_K_MAX]
 *     by weighted least squares on *relative* residuals (weight 1/y², y
 *     floored at FIT_REL_FLOOR of the largest y, so a series that is 0 at
 *     one size does not dominate), b >= 0 for every law but constant.
 *   - The law is chosen by leave-one-out cross-validation (each size
 *     predicted from the others, the RMS of the relative errors), which
 *     rewards a law for predicting, not for bending through the points: the
 *     simplest law (fewest parameters: constant, then the five fixed laws,
 *     then power) whose error is within FIT_TIE_FACTOR of the best plus
 *     FIT_NOISE_FLOOR wins, and a growing law must also have a slope
 *     significantly above zero (b/se(b) >= FIT_MIN_T).  power needs 4 sizes,
 *     and a power law whose exponent is within FIT_NAMED_K of 1, 2 or 3 is
 *     that law (when it competed).
 *   - The exponent is the power law's k, with a 90% profile-likelihood
 *     interval (NaN when there are only 3 sizes: no degree of freedom left);
 *     0 for constant.
 *   - fit_predict() gives the law's value at any n and a 90% interval that
 *     carries the parameters' uncertainty (and, for power, the exponent's).
 *   - Returns 0, or -EINVAL for fewer than FIT_MIN_POINTS sizes, a size that
 *     is not > 0 (or not finite, or repeated), or a y that is not finite.
 */
#ifndef OOMPH_MODEL_FIT_H
#define OOMPH_MODEL_FIT_H

#define FIT_MIN_POINTS 3
#define FIT_MAX_POINTS 64
#define FIT_K_MIN 0.0
#define FIT_K_MAX 4.0
#define FIT_REL_FLOOR 0.01   /* y below 1% of the largest weighs as 1% */
#define FIT_NOISE_FLOOR 0.0005 /* 0.05%: differences of LOO error below are noise */
#define FIT_TIE_FACTOR 2.0
/* Measured lines carry the noise of pools and samples: an exponent this
 * close to 1, 2 or 3 is n, n^2 or n^3 (a list of n tuples measured as
 * n^0.986 over one decade is linear). */
#define FIT_NAMED_K 0.05
#define FIT_MIN_T 3.0
/* The least relative noise assumed of one measurement (rounding, pages,
 * sampling): keeps intervals honest when the points lie exactly on a law. */
#define FIT_SIGMA_FLOOR 0.0005

enum fit_law {
	FIT_CONSTANT,
	FIT_LOG,
	FIT_LINEAR,
	FIT_NLOGN,
	FIT_QUADRATIC,
	FIT_CUBIC,
	FIT_POWER,
	FIT_NLAWS
};

struct fit_result {
	enum fit_law law;
	double a, b, k;        /* y = a + b·g(n), g(n) = n^k for power */
	double gscale;         /* g is scaled: b multiplies g(n) / gscale */
	double cov[3];         /* covariance of (a, b·): aa, ab, bb */
	double sigma;          /* relative noise: residual RMS, >= FIT_SIGMA_FLOOR */
	int dof;               /* sizes minus parameters */
	double loo[FIT_NLAWS]; /* each law's leave-one-out error (INFINITY: not a candidate) */
	double exponent, exponent_low, exponent_high; /* NaN: unknown */
	double k_low, k_high;  /* the power law's k interval (NaN: unknown) */
	double pow_a_lo, pow_b_lo, pow_a_hi, pow_b_hi; /* power refitted at k_low, k_high */
	double pow_scale_lo, pow_scale_hi;
	double ymax;
	int m;
};

int fit_series(const double *n, const double *y, int m, struct fit_result *out);
/* The law's value at n (never below 0) and its 90% interval. */
double fit_predict(const struct fit_result *f, double n, double *lo, double *hi);
/* "constant", "log", "linear", "nlogn", "quadratic", "cubic", "power" */
const char *fit_law_name(enum fit_law law);
/* The two-sided 90% quantile of Student's t with dof degrees of freedom
 * (1.645 for large dof). */
double fit_t90(int dof);

#endif
