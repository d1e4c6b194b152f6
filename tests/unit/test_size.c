/* Unit tests of common/size.c: every accepted form gives its exact byte
 * count, every rejected form its own error code. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "common/size.h"

static void accepts(const char *s, uint64_t want, int line)
{
	uint64_t got = 12345;
	int rc = size_parse(s, &got);
	if (rc != 0 || got != want)
		fprintf(stderr, "line %d: size_parse(\"%s\") = %d, %llu; want 0, %llu\n", line, s, rc,
			(unsigned long long)got, (unsigned long long)want);
	CHECK(rc == 0 && got == want);
}

static void rejects(const char *s, int want_rc, int line)
{
	uint64_t got = 777;
	int rc = size_parse(s, &got);
	if (rc != want_rc || got != 777)
		fprintf(stderr, "line %d: size_parse(\"%s\") = %d (out %llu); want %d, out untouched\n",
			line, s ? s : "(null)", rc, (unsigned long long)got, want_rc);
	CHECK(rc == want_rc && got == 777);
}

#define ACCEPTS(s, v) accepts(s, v, __LINE__)
#define REJECTS(s, rc) rejects(s, rc, __LINE__)

static void test_plain_bytes_are_bytes(void)
{
	ACCEPTS("0", 0);
	ACCEPTS("1", 1);
	ACCEPTS("4096", 4096);
	ACCEPTS("007", 7);
	ACCEPTS("4096B", 4096);
	ACCEPTS("4096b", 4096);
	ACCEPTS("9223372036854775807", INT64_MAX);
}

static void test_single_letters_are_binary_units(void)
{
	ACCEPTS("64k", 65536);
	ACCEPTS("64K", 65536);
	ACCEPTS("3M", 3ull << 20);
	ACCEPTS("2G", 2ull << 30);
	ACCEPTS("1.5G", 1610612736ull);
	ACCEPTS("1T", 1ull << 40);
	ACCEPTS("2P", 2ull << 50);
}

static void test_iec_units_are_binary(void)
{
	ACCEPTS("1KiB", 1024);
	ACCEPTS("2GiB", 2147483648ull);
	ACCEPTS("2gib", 2147483648ull);
	ACCEPTS("2GIB", 2147483648ull);
	ACCEPTS("512MiB", 512ull << 20);
	ACCEPTS("0.5MiB", 524288);
	ACCEPTS("1TiB", 1ull << 40);
	ACCEPTS("1PiB", 1ull << 50);
}

static void test_si_units_are_decimal(void)
{
	ACCEPTS("1KB", 1000);
	ACCEPTS("512MB", 512000000ull);
	ACCEPTS("512mb", 512000000ull);
	ACCEPTS("2GB", 2000000000ull);
	ACCEPTS("1.5GB", 1500000000ull);
	ACCEPTS("3TB", 3000000000000ull);
	ACCEPTS("1PB", 1000000000000000ull);
}

static void test_fractions_round_down_to_whole_bytes(void)
{
	ACCEPTS("1.5K", 1536);
	ACCEPTS("0.3K", 307);            /* 307.2 */
	ACCEPTS("0.001KB", 1);
	ACCEPTS("0.0001KB", 0);          /* 0.1 byte rounds down */
	ACCEPTS("1.0", 1);               /* no fractional part: fine in bytes */
	ACCEPTS("2.000B", 2);
	ACCEPTS("1.25M", 1310720);
	ACCEPTS("0.1234567890123456789G", 132560717); /* 19 fraction digits, exact floor */
	ACCEPTS("8191.999999999999999P", 9223372036854775806ull);
}

static void test_the_largest_size_is_int64_max(void)
{
	ACCEPTS("8388607.99999999999999T", INT64_MAX); /* 2^63 - 0.011 */
	REJECTS("9223372036854775808", -ERANGE);
	REJECTS("18446744073709551616", -ERANGE);
	REJECTS("99999999999999999999999999", -ERANGE);
	REJECTS("8192P", -ERANGE);
	REJECTS("8PiB0", -EINVAL);
	REJECTS("9223372036854775807K", -ERANGE);
	REJECTS("8388608T", -ERANGE);
	REJECTS("9223372036854775.808KB", -ERANGE);
}

static void test_empty_is_its_own_error(void)
{
	REJECTS("", -ENODATA);
	REJECTS(NULL, -ENODATA);
}

static void test_negative_is_its_own_error(void)
{
	REJECTS("-1", -EDOM);
	REJECTS("-5M", -EDOM);
	REJECTS("-0", -EDOM);
	REJECTS("-", -EDOM);
}

static void test_garbage_is_rejected(void)
{
	REJECTS("abc", -EINVAL);
	REJECTS("G", -EINVAL);
	REJECTS("KiB", -EINVAL);
	REJECTS("12X", -EINVAL);
	REJECTS("12 MB", -EINVAL);
	REJECTS(" 12", -EINVAL);
	REJECTS("12 ", -EINVAL);
	REJECTS("+12", -EINVAL);
	REJECTS("1e6", -EINVAL);
	REJECTS("0x10", -EINVAL);
	REJECTS("1.", -EINVAL);
	REJECTS(".5G", -EINVAL);
	REJECTS("1..5G", -EINVAL);
	REJECTS("1.5.G", -EINVAL);
	REJECTS("1,5G", -EINVAL);
	REJECTS("1.5", -EINVAL);  /* a fraction of a byte */
	REJECTS("0.5B", -EINVAL);
	REJECTS("12KiBs", -EINVAL);
	REJECTS("12iB", -EINVAL);
	REJECTS("12Kb ", -EINVAL);
	REJECTS("1GG", -EINVAL);
	REJECTS("nan", -EINVAL);
	REJECTS("inf", -EINVAL);
	REJECTS("99999999999999999999999999X", -EINVAL); /* garbage wins over range */
}

static void test_every_error_has_words(void)
{
	CHECK_STR_CONTAINS(size_strerror(-ENODATA), "empty");
	CHECK_STR_CONTAINS(size_strerror(-EDOM), "negative");
	CHECK_STR_CONTAINS(size_strerror(-ERANGE), "too large");
	CHECK_STR_CONTAINS(size_strerror(-EINVAL), "not a size");
}

int main(void)
{
	test_plain_bytes_are_bytes();
	test_single_letters_are_binary_units();
	test_iec_units_are_binary();
	test_si_units_are_decimal();
	test_fractions_round_down_to_whole_bytes();
	test_the_largest_size_is_int64_max();
	test_empty_is_its_own_error();
	test_negative_is_its_own_error();
	test_garbage_is_rejected();
	test_every_error_has_words();
	return check_summary();
}
