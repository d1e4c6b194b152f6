/* Unit tests of common/numfmt.c: byte for byte what snprintf writes and
 * strtod reads, over random values of every magnitude the timeline holds,
 * the rounding ties, the edges and what is refused. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/numfmt.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int same_fixed(double v, int d)
{
	char a[NUMFMT_MAX], b[NUMFMT_MAX];
	int n = numfmt_fixed(a, v, d);
	int m = snprintf(b, sizeof b, "%.*f", d, v);
	if (n != m || strcmp(a, b) != 0) {
		fprintf(stderr, "numfmt_fixed(%.17g, %d) = '%s', snprintf '%s'\n", v, d, a, b);
		return 0;
	}
	return 1;
}

static void test_fixed_is_printf(void)
{
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		double mag = pow(10, (double)(next() % 15) - 3);
		double v = (double)(next() >> 11) / 9007199254740992.0 * mag;
		if (next() & 1)
			v = -v;
		bad += !same_fixed(v, (int)(next() % 5));
	}
	/* decimals on a grid: where ties and near-ties live */
	for (int i = -100000; i <= 100000; i++)
		for (int d = 0; d <= 4; d++) {
			bad += !same_fixed(i / 1000.0, d);
			bad += !same_fixed(i / 8.0, d);
			bad += !same_fixed(i * 0.05, d);
		}
	static const double edge[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1e-9, -1e-9,
				      0.05, 0.15, 0.25, 0.35, 1099511627775.0, 1099511627776.0,
				      1e12, -1e12, 1e300, 4.35, 2.675, 1.005, 99.995, -1.0};
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
		for (int d = 0; d <= 4; d++)
			bad += !same_fixed(edge[i], d);
	/* exact ties with no decimals are rounded here, to even (the flame
	 * graph's baselines are all of this kind): every size up to 2^40 */
	for (int i = 0; i < 100000; i++) {
		double t = (double)(next() >> (24 + next() % 40)) + 0.5;
		bad += !same_fixed(t, 0) + !same_fixed(-t, 0);
		bad += !same_fixed(56 + (double)(i % 4000) * 16 + 11.5, 0);
	}
	bad += !same_fixed(1099511627775.5, 0) + !same_fixed(-1099511627775.5, 0);
	bad += !same_fixed(NAN, 2) + !same_fixed(INFINITY, 1) + !same_fixed(-INFINITY, 0);
	bad += !same_fixed(3.14159, 7); /* decimals beyond 4: snprintf's */
	CHECK_EQ_INT(bad, 0);
}

static void test_i64_is_printf(void)
{
	int bad = 0;
	static const int64_t edge[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	char a[NUMFMT_MAX], b[NUMFMT_MAX];
	for (int i = 0; i < 200000 + 9; i++) {
		int64_t v = i < 9 ? edge[i] : (int64_t)(next() >> (next() % 64));
		if (i >= 9 && (next() & 1))
			v = -v;
		int n = numfmt_i64(a, v);
		snprintf(b, sizeof b, "%" PRId64, v);
		bad += n != (int)strlen(b) || strcmp(a, b) != 0;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_parse_is_strtod(void)
{
	int bad = 0;
	char t[NUMFMT_MAX];
	for (int i = 0; i < 200000; i++) {
		double mag = pow(10, (double)(next() % 13) - 3);
		double v = (double)(next() >> 11) / 9007199254740992.0 * mag * ((next() & 1) ? -1 : 1);
		snprintf(t, sizeof t, "%.*f", (int)(next() % 5), v);
		const char *p = t;
		double got;
		if (numfmt_parse_fixed(&p, &got) != 0 || *p || got != strtod(t, NULL) ||
		    signbit(got) != signbit(strtod(t, NULL)))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* not that form: refused, the pointer left where it was */
	static const char *no[] = {"", "-", ".5", "1.", "abc", "1e5", "0x10", "1234567890123456",
				   "1234567890.123456"};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		const char *p = no[i];
		double d;
		CHECK(numfmt_parse_fixed(&p, &d) != 0 && p == no[i]);
	}
	const char *p = "12.50 rest";
	double d = 0;
	CHECK_EQ_INT(numfmt_parse_fixed(&p, &d), 0);
	CHECK(d == 12.5 && strcmp(p, " rest") == 0);
	int64_t v = 0;
	p = "-123456789012345678 x";
	CHECK_EQ_INT(numfmt_parse_i64(&p, &v), 0);
	CHECK(v == -123456789012345678LL && *p == ' ');
	p = "1234567890123456789"; /* 19 digits: might not fit, refused */
	CHECK(numfmt_parse_i64(&p, &v) != 0);
	p = "-";
	CHECK(numfmt_parse_i64(&p, &v) != 0);
}

int main(void)
{
	test_fixed_is_printf();
	test_i64_is_printf();
	test_parse_is_strtod();
	return check_summary();
}
