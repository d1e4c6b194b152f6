/* common/size.h — parse human-written byte sizes ("2GiB", "512MB", "1.5G").
 *
 * Contract
 *   - size_parse() accepts a decimal number (digits, optionally '.' and more
 *     digits) followed by an optional unit, with nothing before or after:
 *         (none) B                 bytes (a fraction of a byte is rejected)
 *         K  M  G  T  P            binary: 2^10 .. 2^50 (as in `ls -h`)
 *         KiB MiB GiB TiB PiB      binary, the same
 *         KB MB GB TB PB           decimal: 10^3 .. 10^15
 *     Units are case-insensitive ("64k", "2gib").  A fractional value with a
 *     unit is rounded down to a whole byte ("1.5K" = 1536, "0.3K" = 307);
 *     fraction digits after the 19th are ignored.
 *   - Results go through `out` (0 .. INT64_MAX); on error `out` is untouched
 *     and the return value says why, each reason with its own code:
 *         -ENODATA  empty string (or NULL)
 *         -EDOM     negative ("-5M")
 *         -EINVAL   not a size (garbage, unknown unit, spaces, "1e6", "1.")
 *         -ERANGE   larger than INT64_MAX bytes
 *   - size_strerror() names a code in words, for a one-line message.
 *   - Pure functions: no allocation, no global state; safe anywhere.
 */
#ifndef OOMPH_SIZE_H
#define OOMPH_SIZE_H

#include <stdint.h>

int size_parse(const char *s, uint64_t *out);
const char *size_strerror(int rc);

#endif
