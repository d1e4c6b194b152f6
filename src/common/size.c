/* common/size.c — see size.h. */
#include "common/size.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

struct size_unit {
	const char *name;
	uint64_t mult;
};

static const struct size_unit size_units[] = {
	{"", 1}, {"b", 1},
	{"k", 1ull << 10}, {"kib", 1ull << 10}, {"kb", 1000ull},
	{"m", 1ull << 20}, {"mib", 1ull << 20}, {"mb", 1000000ull},
	{"g", 1ull << 30}, {"gib", 1ull << 30}, {"gb", 1000000000ull},
	{"t", 1ull << 40}, {"tib", 1ull << 40}, {"tb", 1000000000000ull},
	{"p", 1ull << 50}, {"pib", 1ull << 50}, {"pb", 1000000000000000ull},
};

static int size_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads digits, optionally a '.' and more digits; the value is
 * int_part + frac / 10^frac_digits.  Everything is exact integer arithmetic
 * (no strtod: no locale, no rounding surprises near INT64_MAX). */
int size_parse(const char *s, uint64_t *out)
{
	if (s == NULL || *s == '\0')
		return -ENODATA;
	const char *p = s;
	if (*p == '-')
		return -EDOM;
	if (!size_is_digit(*p))
		return -EINVAL;

	uint64_t whole = 0;
	int too_big = 0;
	for (; size_is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (whole > (UINT64_MAX - d) / 10)
			too_big = 1; /* keep scanning: garbage after it wins */
		else
			whole = whole * 10 + d;
	}

	uint64_t frac = 0, frac_scale = 1;
	int has_frac = 0;
	if (*p == '.') {
		p++;
		if (!size_is_digit(*p))
			return -EINVAL;
		for (; size_is_digit(*p); p++) {
			if (*p != '0')
				has_frac = 1;
			if (frac_scale < 10000000000000000000ull) { /* 10^19 */
				frac = frac * 10 + (unsigned)(*p - '0');
				frac_scale *= 10;
			}
		}
	}

	const struct size_unit *unit = NULL;
	for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
		if (strcasecmp(p, size_units[i].name) == 0) {
			unit = &size_units[i];
			break;
		}
	}
	if (unit == NULL)
		return -EINVAL;
	if (unit->mult == 1 && has_frac)
		return -EINVAL; /* "1.5" or "1.5B": a fraction of a byte */
	if (too_big)
		return -ERANGE;

	if (whole != 0 && unit->mult > (uint64_t)INT64_MAX / whole)
		return -ERANGE;
	uint64_t bytes = whole * unit->mult;
	/* frac < 10^19 and mult <= 2^50 (< 10^16): the product fits in 128 bits. */
	unsigned __int128 part = (unsigned __int128)frac * unit->mult / frac_scale;
	if (part > (unsigned __int128)((uint64_t)INT64_MAX - bytes))
		return -ERANGE;
	*out = bytes + (uint64_t)part;
	return 0;
}

const char *size_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "no error";
	case -ENODATA:
		return "the size is empty";
	case -EDOM:
		return "a size cannot be negative";
	case -ERANGE:
		return "the size is too large (at most 8 EiB)";
	case -EINVAL:
		return "not a size (write e.g. 4096, 64KiB, 512MB, 1.5G)";
	default:
		return "invalid size";
	}
}
