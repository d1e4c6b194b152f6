/* tests/unit/check.h — the unit tests' harness: checks that report
 * file:line and the values on failure, count, and a closing line
 * `N passed, M failed` (read by CI).  Header-only: every test is one program.
 */
#ifndef OOMPH_CHECK_H
#define OOMPH_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (cond) {                                                       \
			check_passed++;                                           \
		} else {                                                          \
			check_failed++;                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,    \
				__LINE__, #cond);                                 \
		}                                                                 \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                        \
	do {                                                                      \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);   \
		if (check_a_ == check_b_) {                                       \
			check_passed++;                                           \
		} else {                                                          \
			check_failed++;                                           \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);  \
		}                                                                 \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                        \
	do {                                                                      \
		const char *check_a_ = (a), *check_b_ = (b);                      \
		if (check_a_ && check_b_ && !strcmp(check_a_, check_b_)) {         \
			check_passed++;                                           \
		} else {                                                          \
			check_failed++;                                           \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b,                       \
				check_a_ ? check_a_ : "(null)",                   \
				check_b_ ? check_b_ : "(null)");                  \
		}                                                                 \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                           \
	do {                                                                      \
		const char *check_h_ = (hay), *check_n_ = (needle);               \
		if (check_h_ && strstr(check_h_, check_n_)) {                     \
			check_passed++;                                           \
		} else {                                                          \
			check_failed++;                                           \
			fprintf(stderr, "%s:%d: \"%s\" not found in %s\n",        \
				__FILE__, __LINE__, check_n_, #hay);              \
		}                                                                 \
	} while (0)

#define CHECK_STR_NOT_CONTAINS(hay, needle)                                       \
	do {                                                                      \
		const char *check_h_ = (hay), *check_n_ = (needle);               \
		if (check_h_ && !strstr(check_h_, check_n_)) {                    \
			check_passed++;                                           \
		} else {                                                          \
			check_failed++;                                           \
			fprintf(stderr, "%s:%d: \"%s\" must not be in %s\n",      \
				__FILE__, __LINE__, check_n_, #hay);              \
		}                                                                 \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
