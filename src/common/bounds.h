/* common/bounds.h — how large a real figure can be, and arithmetic that
 * cannot overflow.
 *
 * Contract
 *   - Every reader of outside input (state files, run.meta, timeline.tsv)
 *     bounds each byte figure, time and count by the constants below before
 *     it trusts it, and rejects what no real run can produce; the writers
 *     then add bounded figures only.  Where a sum still depends on input (a
 *     hand-built or combined profile), it goes through the checked helpers
 *     here, never through a bare `+`.
 *   - Header only, static inline, no state, no allocation, no stdio: usable
 *     anywhere, the tracker's allocation hooks included.
 *   - ck_* return 0 and store the result, or -EOVERFLOW and leave *out as
 *     it was.
 */
#ifndef OOMPH_BOUNDS_H
#define OOMPH_BOUNDS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The most memory one process can hold: a 57-bit virtual address space
 * (x86-64 with 5-level paging; arm64 LVA is 52 bits).  No byte figure of
 * one process -- a stack's bytes, a total, a peak, an RSS -- can exceed it. */
#define OOMPH_BYTES_MAX (INT64_C(1) << 57)

/* Limits at or above this mean "unlimited" (cgroup v1 writes 2^63 - 4096;
 * see common/limits.h), so a real limit, threshold or headroom is below. */
#define OOMPH_LIMIT_MAX (INT64_C(1) << 62)

/* Times since a process started, in ns: 2^62 ns is 146 years. */
#define OOMPH_TIME_MAX_NS (UINT64_C(1) << 62)
#define OOMPH_TIME_MAX_S 4.6e9 /* the same, in seconds */

/* Event counters (samples, failed allocations): fewer than 2^62 events fit
 * in 146 years at one per nanosecond. */
#define OOMPH_COUNT_MAX (UINT64_C(1) << 62)

/* Highest pid Linux hands out (PID_MAX_LIMIT on 64-bit). */
#define OOMPH_PID_MAX (1 << 22)

static inline int ck_add_i64(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return -EOVERFLOW;
	*out = r;
	return 0;
}

static inline int ck_mul_i64(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return -EOVERFLOW;
	*out = r;
	return 0;
}

/* acc += x, for sums of byte figures. */
static inline int ck_acc_i64(int64_t *acc, int64_t x)
{
	return ck_add_i64(*acc, x, acc);
}

/* Sum of n figures, each in [0, max], the sum in [0, max] too; else
 * -ERANGE (a figure out of range) or -EOVERFLOW (the sum).  *bad is the
 * index of the first offending figure (if bad is non-NULL). */
static inline int ck_sum_bounded(const int64_t *v, size_t n, int64_t max, int64_t *sum,
				 size_t *bad)
{
	int64_t s = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < 0 || v[i] > max) {
			if (bad)
				*bad = i;
			return -ERANGE;
		}
		if (ck_acc_i64(&s, v[i]) || s > max) {
			if (bad)
				*bad = i;
			return -EOVERFLOW;
		}
	}
	*sum = s;
	return 0;
}

/* 1 if lo <= x <= hi. */
static inline int in_range_i64(int64_t x, int64_t lo, int64_t hi)
{
	return x >= lo && x <= hi;
}

/* A figure in KiB (meminfo, status) as bytes; -1 if it is absent (< 0) or
 * more than a machine can hold (found by fuzz_procfiles: a huge figure
 * overflowed the multiplication). */
static inline int64_t kib_bytes(int64_t kib)
{
	int64_t b;
	if (kib < 0 || ck_mul_i64(kib, 1024, &b) || b > OOMPH_LIMIT_MAX)
		return -1;
	return b;
}

#endif
