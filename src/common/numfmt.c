/* common/numfmt.c — see numfmt.h. */
#include "common/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double p10[] = {1, 10, 100, 1000, 10000};

/* The digits of r (at least decimals + 1 of them), a point before the
 * last `decimals`: written from the end, two digits a step (a report
 * writes tens of thousands of numbers). */
static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static int put_digits(char *o, uint64_t r, int decimals)
{
	char tmp[32];
	char *e = tmp + sizeof tmp, *q = e;
	for (int i = 0; i < decimals; i++) {
		*--q = (char)('0' + r % 10);
		r /= 10;
	}
	if (decimals > 0)
		*--q = '.';
	while (r >= 100) {
		unsigned d = (unsigned)(r % 100);
		r /= 100;
		*--q = pairs[2 * d + 1];
		*--q = pairs[2 * d];
	}
	if (r >= 10) {
		*--q = pairs[2 * r + 1];
		*--q = pairs[2 * r];
	} else {
		*--q = (char)('0' + r);
	}
	size_t len = (size_t)(e - q);
	memcpy(o, q, len);
	o[len] = 0;
	return (int)len;
}

int numfmt_fixed(char *out, double v, int decimals)
{
	if (decimals < 0 || decimals > 4 || !(fabs(v) < 1099511627776.0 / p10[decimals]))
		return snprintf(out, NUMFMT_MAX, "%.*f", decimals, v);
	int neg = signbit(v) != 0;
	double y = (neg ? -v : v) * p10[decimals];
	/* y is within 2^-13 of the exact product (below 2^40): the rounding
	 * to an integer is the exact value's unless it is near a tie, where
	 * printf's exact decimal rounding (to even) decides */
	double fl = floor(y), frac = y - fl;
	uint64_t r = (uint64_t)fl;
	if (decimals == 0 && frac == 0.5) {
		/* no product was taken (y is v), so this is an exact tie:
		 * to even, as printf in the default rounding mode (the
		 * flame graph's text baselines, y + 11.5, are all ties) */
		r += r & 1;
	} else if (decimals > 0 && fabs(frac - 0.5) < 1e-3) {
		return snprintf(out, NUMFMT_MAX, "%.*f", decimals, v);
	} else {
		r += frac > 0.5;
	}
	char *o = out;
	if (neg)
		*o++ = '-';
	return (int)(o - out) + put_digits(o, r, decimals);
}

int numfmt_i64(char *out, int64_t v)
{
	char *o = out;
	uint64_t r = (uint64_t)v;
	if (v < 0) {
		*o++ = '-';
		r = 0 - r;
	}
	return (int)(o - out) + put_digits(o, r, 0);
}

int numfmt_parse_fixed(const char **p, double *out)
{
	const char *s = *p;
	int neg = *s == '-';
	s += neg;
	uint64_t m = 0, scale = 1;
	int digits = 0, frac = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		m = m * 10 + (uint64_t)(*s - '0'); /* wraps beyond 19 digits: refused below */
	if (!digits)
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++, digits++, frac++) {
			m = m * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
		if (!frac)
			return -1;
	}
	if (digits > 15 || *s == 'e' || *s == 'E' || *s == 'x' || *s == 'X')
		return -1; /* beyond a double's exact integers, or another form */
	/* one correctly rounded division of two exact doubles: strtod's value */
	double v = (double)m / (double)scale;
	*out = neg ? -v : v;
	*p = s;
	return 0;
}

int numfmt_parse_i64(const char **p, int64_t *out)
{
	const char *s = *p;
	int neg = *s == '-';
	s += neg;
	int64_t v = 0;
	int digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits == 18)
			return -1; /* might not fit */
		v = v * 10 + (*s - '0');
	}
	if (!digits)
		return -1;
	*out = neg ? -v : v;
	*p = s;
	return 0;
}
