/* model/fit.c — laws of bytes against n, fitted and chosen (fit.h). */
#include "model/fit.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define K_STEP 0.01
#define K_GRID 401 /* (FIT_K_MAX - FIT_K_MIN) / K_STEP + 1 */

const char *fit_law_name(enum fit_law law)
{
	static const char *const names[FIT_NLAWS] = {"constant",  "log",   "linear", "nlogn",
						     "quadratic", "cubic", "power"};
	return (unsigned)law < FIT_NLAWS ? names[law] : "unknown";
}

double fit_t90(int dof)
{
	static const double t[] = {0,     6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895,
				   1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753};
	if (dof < 1)
		return t[1];
	if (dof < (int)(sizeof t / sizeof t[0]))
		return t[dof];
	return dof < 30 ? 1.70 : 1.645;
}

static double g_of(enum fit_law law, double k, double n)
{
	switch (law) {
	case FIT_LOG:
		return log(n);
	case FIT_LINEAR:
		return n;
	case FIT_NLOGN:
		return n * log(n);
	case FIT_QUADRATIC:
		return n * n;
	case FIT_CUBIC:
		return n * n * n;
	case FIT_POWER:
		return pow(n, k);
	case FIT_CONSTANT:
	default:
		return 0;
	}
}

static int nparams(enum fit_law law)
{
	return law == FIT_CONSTANT ? 1 : law == FIT_POWER ? 3 : 2;
}

/* One weighted least-squares fit of y = a + b·g on the points not skipped
 * (skip < 0: all).  g is already scaled (about 1 at the largest n), so the
 * normal equations are well conditioned.  b is kept >= 0 (the constrained
 * optimum of a convex problem whose free optimum has b < 0 is at b = 0).
 * inv (if given): (XᵀWX)⁻¹ as aa, ab, bb.  Returns the weighted RSS. */
struct wls {
	double a, b, inv[3];
	int degenerate; /* g carried no information: b = 0 */
};

static double wls_fit(const double *g, const double *y, const double *w, int m, int skip,
		      int constant, struct wls *o)
{
	double sw = 0, sg = 0, sgg = 0, sy = 0, sgy = 0;
	for (int i = 0; i < m; i++) {
		if (i == skip)
			continue;
		sw += w[i];
		sg += w[i] * g[i];
		sgg += w[i] * g[i] * g[i];
		sy += w[i] * y[i];
		sgy += w[i] * g[i] * y[i];
	}
	double det = sw * sgg - sg * sg;
	memset(o, 0, sizeof *o);
	if (constant || !(det > 1e-12 * sw * sgg) || sw <= 0) {
		o->a = sw > 0 ? sy / sw : 0;
		o->b = 0;
		o->inv[0] = sw > 0 ? 1 / sw : INFINITY;
		o->degenerate = 1;
	} else {
		o->b = (sw * sgy - sg * sy) / det;
		o->a = (sy - o->b * sg) / sw;
		o->inv[0] = sgg / det;
		o->inv[1] = -sg / det;
		o->inv[2] = sw / det;
		if (o->b < 0) {
			o->b = 0;
			o->a = sy / sw;
			o->degenerate = 1;
		}
	}
	double rss = 0;
	for (int i = 0; i < m; i++) {
		if (i == skip)
			continue;
		double r = y[i] - o->a - o->b * g[i];
		rss += w[i] * r * r;
	}
	return rss;
}

/* Scaled g of every point for a law (and k). */
static double scaled_g(enum fit_law law, double k, const double *n, int m, double nmax, double *g)
{
	double s = g_of(law, k, nmax);
	if (!(s > 0) || !isfinite(s))
		s = 1;
	for (int i = 0; i < m; i++)
		g[i] = g_of(law, k, n[i]) / s;
	return s;
}

/* The power law's best k for the points not skipped: a grid, then a
 * golden-section search around the best grid point. */
static double power_rss(const double *n, const double *y, const double *w, int m, int skip,
			double nmax, double k, struct wls *o, double *scale)
{
	double g[FIT_MAX_POINTS];
	double s = scaled_g(FIT_POWER, k, n, m, nmax, g);
	if (scale)
		*scale = s;
	return wls_fit(g, y, w, m, skip, 0, o);
}

static double power_best(const double *n, const double *y, const double *w, int m, int skip,
			 double nmax, double *rss_grid)
{
	struct wls o;
	double best = INFINITY, bk = 1;
	for (int i = 0; i < K_GRID; i++) {
		double k = FIT_K_MIN + i * K_STEP;
		if (k <= 0)
			k = 1e-3;
		double r = power_rss(n, y, w, m, skip, nmax, k, &o, NULL);
		if (rss_grid)
			rss_grid[i] = r;
		if (r < best) {
			best = r;
			bk = k;
		}
	}
	double lo = fmax(bk - K_STEP, 1e-3), hi = fmin(bk + K_STEP, FIT_K_MAX);
	const double phi = 0.6180339887498949;
	double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
	double f1 = power_rss(n, y, w, m, skip, nmax, x1, &o, NULL);
	double f2 = power_rss(n, y, w, m, skip, nmax, x2, &o, NULL);
	for (int it = 0; it < 40; it++) {
		if (f1 < f2) {
			hi = x2, x2 = x1, f2 = f1;
			x1 = hi - phi * (hi - lo);
			f1 = power_rss(n, y, w, m, skip, nmax, x1, &o, NULL);
		} else {
			lo = x1, x1 = x2, f1 = f2;
			x2 = lo + phi * (hi - lo);
			f2 = power_rss(n, y, w, m, skip, nmax, x2, &o, NULL);
		}
	}
	double k = (lo + hi) / 2;
	return power_rss(n, y, w, m, skip, nmax, k, &o, NULL) <= best ? k : bk;
}

/* Leave-one-out error of a law: each point predicted by the law fitted to
 * the others, the RMS of the relative errors. */
static double loo_error(enum fit_law law, const double *n, const double *y, const double *w,
			int m, double nmax)
{
	double g[FIT_MAX_POINTS], s2 = 0;
	if (law != FIT_POWER)
		scaled_g(law, 0, n, m, nmax, g);
	for (int i = 0; i < m; i++) {
		struct wls o;
		double pred;
		if (law == FIT_POWER) {
			double k = power_best(n, y, w, m, i, nmax, NULL), s;
			power_rss(n, y, w, m, i, nmax, k, &o, &s);
			pred = o.a + o.b * pow(n[i], k) / s;
		} else {
			wls_fit(g, y, w, m, i, law == FIT_CONSTANT, &o);
			pred = o.a + o.b * g[i];
		}
		double e = (pred - y[i]) * sqrt(w[i]);
		s2 += e * e;
	}
	return sqrt(s2 / m);
}

/* Where the profile of rss(k) crosses crit, between grid points i (inside)
 * and j (outside): bisection. */
static double k_cross(const double *n, const double *y, const double *w, int m, double nmax,
		      double kin, double kout, double crit)
{
	struct wls o;
	for (int it = 0; it < 30; it++) {
		double mid = (kin + kout) / 2;
		if (power_rss(n, y, w, m, -1, nmax, mid, &o, NULL) <= crit)
			kin = mid;
		else
			kout = mid;
	}
	return (kin + kout) / 2;
}

int fit_series(const double *n, const double *y, int m, struct fit_result *out)
{
	memset(out, 0, sizeof *out);
	out->exponent = out->exponent_low = out->exponent_high = NAN;
	out->k_low = out->k_high = NAN;
	if (m < FIT_MIN_POINTS || m > FIT_MAX_POINTS)
		return -EINVAL;
	double nmax = 0, ymax = 0;
	for (int i = 0; i < m; i++) {
		if (!(n[i] > 0) || !isfinite(n[i]) || !isfinite(y[i]))
			return -EINVAL;
		for (int j = 0; j < i; j++)
			if (n[j] == n[i])
				return -EINVAL;
		nmax = fmax(nmax, n[i]);
		ymax = fmax(ymax, y[i]);
	}
	out->m = m;
	out->ymax = ymax;
	double w[FIT_MAX_POINTS];
	double floor_y = fmax(ymax * FIT_REL_FLOOR, 1.0);
	for (int i = 0; i < m; i++) {
		double yf = fmax(fabs(y[i]), floor_y);
		w[i] = 1 / (yf * yf);
	}

	/* Every law's error, and which may compete. */
	double best = INFINITY;
	for (int l = 0; l < FIT_NLAWS; l++) {
		out->loo[l] = INFINITY;
		if (l == FIT_POWER && m < 4)
			continue;
		if (ymax <= 0 && l != FIT_CONSTANT)
			continue;
		if (l != FIT_CONSTANT) {
			/* a growing law must grow, significantly */
			double g[FIT_MAX_POINTS];
			struct wls o;
			double rss, k = 0;
			if (l == FIT_POWER) {
				k = power_best(n, y, w, m, -1, nmax, NULL);
				rss = power_rss(n, y, w, m, -1, nmax, k, &o, NULL);
			} else {
				scaled_g((enum fit_law)l, 0, n, m, nmax, g);
				rss = wls_fit(g, y, w, m, -1, 0, &o);
			}
			int dof = m - nparams((enum fit_law)l);
			double sig = dof > 0 ? sqrt(rss / dof) : 0;
			sig = fmax(sig, FIT_SIGMA_FLOOR);
			double se_b = sig * sqrt(o.inv[2]);
			if (o.degenerate || !(o.b > 0) || o.b < FIT_MIN_T * se_b)
				continue;
		}
		out->loo[l] = loo_error((enum fit_law)l, n, y, w, m, nmax);
		best = fmin(best, out->loo[l]);
	}
	/* The simplest law that predicts about as well as the best: in the
	 * order of how often memory follows them (a table per row, a matrix,
	 * a sort's buffers ...), so that noise never moves the choice to a
	 * rarer law, and power last (one parameter more). */
	static const enum fit_law order[FIT_NLAWS] = {FIT_CONSTANT, FIT_LINEAR, FIT_QUADRATIC,
						      FIT_NLOGN,    FIT_CUBIC,  FIT_LOG,
						      FIT_POWER};
	double thresh = best * FIT_TIE_FACTOR + FIT_NOISE_FLOOR;
	enum fit_law law = FIT_CONSTANT;
	for (int i = FIT_NLAWS - 1; i >= 0; i--)
		if (out->loo[order[i]] <= thresh)
			law = order[i];
	out->law = law;

	/* The power law on all points, always (the exponent), with its
	 * profile-likelihood interval. */
	double rss_grid[K_GRID];
	struct wls po;
	double pk = ymax > 0 ? power_best(n, y, w, m, -1, nmax, rss_grid) : 0;
	double pscale = 1;
	double prss = power_rss(n, y, w, m, -1, nmax, pk > 0 ? pk : 1e-3, &po, &pscale);
	int pdof = m - 3;
	if (pdof >= 1 && ymax > 0) {
		double s2 = fmax(prss / pdof, FIT_SIGMA_FLOOR * FIT_SIGMA_FLOOR);
		double t = fit_t90(pdof);
		double crit = prss + t * t * s2;
		int ib = (int)((pk - FIT_K_MIN) / K_STEP + 0.5);
		if (ib < 0)
			ib = 0;
		if (ib >= K_GRID)
			ib = K_GRID - 1;
		int lo = ib, hi = ib;
		while (lo > 0 && rss_grid[lo - 1] <= crit)
			lo--;
		while (hi < K_GRID - 1 && rss_grid[hi + 1] <= crit)
			hi++;
		double klo = FIT_K_MIN + lo * K_STEP, khi = FIT_K_MIN + hi * K_STEP;
		if (lo > 0)
			klo = k_cross(n, y, w, m, nmax, fmax(fmin(klo, pk), 1e-3), klo - K_STEP, crit);
		if (hi < K_GRID - 1)
			khi = k_cross(n, y, w, m, nmax, fmax(khi, pk), khi + K_STEP, crit);
		out->k_low = fmin(klo, pk);
		out->k_high = fmax(khi, pk);
		struct wls ol, oh;
		power_rss(n, y, w, m, -1, nmax, fmax(out->k_low, 1e-3), &ol, &out->pow_scale_lo);
		power_rss(n, y, w, m, -1, nmax, fmax(out->k_high, 1e-3), &oh, &out->pow_scale_hi);
		out->pow_a_lo = ol.a, out->pow_b_lo = ol.b;
		out->pow_a_hi = oh.a, out->pow_b_hi = oh.b;
	}

	/* A power law with an exponent of a named law is that law, noise
	 * aside (FIT_NAMED_K). */
	if (law == FIT_POWER) {
		static const enum fit_law named[] = {FIT_LINEAR, FIT_QUADRATIC, FIT_CUBIC};
		for (int i = 0; i < 3; i++)
			if (isfinite(out->loo[named[i]]) && fabs(pk - (double)(i + 1)) <= FIT_NAMED_K) {
				law = named[i];
				out->law = law;
			}
	}

	/* The chosen law's parameters and their covariance. */
	struct wls o;
	double rss;
	if (law == FIT_POWER) {
		out->k = pk;
		out->gscale = pscale;
		o = po;
		rss = prss;
	} else {
		double g[FIT_MAX_POINTS];
		out->gscale = scaled_g(law, 0, n, m, nmax, g);
		rss = wls_fit(g, y, w, m, -1, law == FIT_CONSTANT, &o);
	}
	out->a = o.a;
	out->b = o.b;
	out->dof = m - nparams(law);
	double sig = out->dof > 0 ? sqrt(rss / out->dof) : 0;
	out->sigma = fmax(sig, FIT_SIGMA_FLOOR);
	double s2 = out->sigma * out->sigma;
	out->cov[0] = s2 * o.inv[0];
	out->cov[1] = law == FIT_CONSTANT ? 0 : s2 * o.inv[1];
	out->cov[2] = law == FIT_CONSTANT ? 0 : s2 * o.inv[2];

	if (law == FIT_CONSTANT) {
		out->exponent = out->exponent_low = out->exponent_high = 0;
	} else {
		out->exponent = pk;
		out->exponent_low = out->k_low;
		out->exponent_high = out->k_high;
	}
	return 0;
}

double fit_predict(const struct fit_result *f, double n, double *lo, double *hi)
{
	double x = f->law == FIT_CONSTANT ? 0 : g_of(f->law, f->k, n) / f->gscale;
	double y = f->a + f->b * x;
	if (y < 0)
		y = 0;
	/* parameters' variance (relative units: cov is of a, b in the
	 * weights' scale, which is bytes), plus a new measurement's noise */
	double var = f->cov[0] + 2 * x * f->cov[1] + x * x * f->cov[2];
	if (var < 0)
		var = 0;
	double noise = f->sigma * y;
	double hw = fit_t90(f->dof) * sqrt(var + noise * noise);
	double l = y - hw, h = y + hw;
	if (f->law == FIT_POWER && isfinite(f->k_low) && isfinite(f->k_high)) {
		double yl = f->pow_a_lo + f->pow_b_lo * pow(n, f->k_low) / f->pow_scale_lo;
		double yh = f->pow_a_hi + f->pow_b_hi * pow(n, f->k_high) / f->pow_scale_hi;
		l = fmin(l, fmin(yl, yh));
		h = fmax(h, fmax(yl, yh));
	}
	if (lo)
		*lo = l > 0 ? l : 0;
	if (hi)
		*hi = h;
	return y;
}
