/* common/numfmt.h — decimal numbers to and from text, fast, for what the
 * supervisor writes and reads every tick (timeline.tsv, PSI files) and what
 * the report draws for every sample (the timeline chart): snprintf and
 * sscanf cost thousands of instructions a number there.
 *
 * Contract
 *   - numfmt_fixed() writes v with `decimals` (0..4) digits after the point,
 *     byte for byte what snprintf("%.*f", decimals, v) writes (it calls
 *     snprintf itself where it could differ: near a rounding tie of a
 *     product (decimals > 0; with 0 a tie is exact and rounds to even), beyond
 *     2^40 / 10^decimals, NaN, infinities); out must hold NUMFMT_MAX bytes.
 *     Returns the length written (without the NUL).
 *   - numfmt_i64() writes the decimal of v (as "%" PRId64); same buffer rule.
 *   - numfmt_parse_fixed() reads [-]DIGITS[.DIGITS] (15 digits at most) at
 *     *p into *out as strtod would, and advances *p; it returns 0, or -1
 *     without moving *p when the text is not that (the caller falls back on
 *     strtod/sscanf).  numfmt_parse_i64() the same for [-]DIGITS (18 at
 *     most).
 *   - Pure functions, no state; usable anywhere but inside the tracker.
 */
#ifndef OOMPH_NUMFMT_H
#define OOMPH_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NUMFMT_MAX 48

int numfmt_fixed(char *out, double v, int decimals);
int numfmt_i64(char *out, int64_t v);
int numfmt_parse_fixed(const char **p, double *out);
int numfmt_parse_i64(const char **p, int64_t *out);

#endif
