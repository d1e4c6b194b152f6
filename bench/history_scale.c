/* bench/history_scale.c — the history at scale, simulated: a service making
 * RATE allocations a second for SECONDS, from STACKS distinct stacks, on
 * the tracker's own clock (tracker_test_now_ns), so an hour takes seconds.
 * It drives the tracker API directly (no Python, no preload), as the unit
 * tests do, and leaves its state file in DIR: bench/history_scale.sh turns
 * it into a run directory and renders it with `oomph report`.
 *
 *   history_scale DIR STACKS RATE SECONDS SAMPLE_RATE
 *
 * The service: every allocation is 1 KiB from a stack drawn at random
 * among STACKS (depth 3: main, one of 1000 functions, one of STACKS/1000
 * below it); it keeps the newest 100,000 (churn: the oldest is freed), and
 * one allocation in 100, always from the same line, is never freed (a leak
 * of RATE/100 KiB a second).  Prints the tracker's time in the calls
 * (wall, per allocation) on stdout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state/format.h"
#include "tracker/tracker.h"

#define KEEP 100000u
#define CODE(i) ((const void *)(uintptr_t)(0x1000 + (i)))

static __thread uint32_t cur_a, cur_b; /* the stack of the next allocation */
static uint32_t fan;                   /* functions below each of the 1000 */

static int capture(struct stack_key *out, int max, int *flags)
{
	(void)flags;
	if (max < 3)
		return -1;
	out[0] = (struct stack_key){CODE(2000 + cur_b), 1, 0}; /* innermost */
	out[1] = (struct stack_key){CODE(1000 + cur_a), 1, 0};
	out[2] = (struct stack_key){CODE(0), 1, 0};
	return 3;
}

static int describe(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	unsigned k = (unsigned)((uintptr_t)code - 0x1000);
	snprintf(file, fc, "svc/mod%u.py", k / 100);
	snprintf(func, nc, "f%u", k);
	return 0;
}

static const struct stack_source source = {capture, describe, NULL, NULL};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: history_scale DIR STACKS RATE SECONDS SAMPLE_RATE\n");
		return 64;
	}
	uint64_t stacks = strtoull(argv[2], NULL, 10), rate = strtoull(argv[3], NULL, 10);
	uint64_t seconds = strtoull(argv[4], NULL, 10), srate = strtoull(argv[5], NULL, 10);
	fan = (uint32_t)(stacks / 1000 ? stacks / 1000 : 1);
	tracker_test_now_ns = 1;
	struct tracker_config cfg = {.state_dir = argv[1], .sample_rate = srate, .source = &source,
				     .python_version = "3.11.7", .oom_mode = OOMPH_OOM_OFF};
	if (tracker_init(&cfg) != 0) {
		fprintf(stderr, "tracker_init failed\n");
		return 70;
	}
	uint64_t n = rate * seconds, step = 1000000000ull / rate;
	uintptr_t *ring = calloc(KEEP, sizeof(*ring));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 1; i <= n; i++) {
		tracker_test_now_ns += step;
		uintptr_t a = (uintptr_t)0x100000000ull + i * 1024;
		if (i % 100 == 0) {
			cur_a = 999, cur_b = 0; /* the leak: one line, never freed */
		} else {
			uint64_t r = next() % stacks;
			cur_a = (uint32_t)(r / fan) % 1000, cur_b = (uint32_t)(r % fan);
		}
		tracker_on_alloc((void *)a, 1024);
		if (i % 100 == 0)
			continue;
		uintptr_t *slot = &ring[i % KEEP];
		if (*slot)
			tracker_on_free((void *)*slot, 1024);
		*slot = a;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct oomph_state_header *h = tracker_state();
	printf("allocations %llu, frees %llu, in %.2f s of the tracker's calls (%.0f ns each); "
	       "stacks %u, points %u, moments %u, changes %u, flags %u, step %.3f s\n",
	       (unsigned long long)n, (unsigned long long)(n - n / 100 - KEEP), s,
	       s * 1e9 / (double)(2 * n - n / 100), atomic_load(&h->nodes_used),
	       atomic_load(&h->hist_npoints), atomic_load(&h->hist_nmoments),
	       atomic_load(&h->hist_nchanges), atomic_load(&h->hist_flags),
	       (double)h->hist_step_ns / 1e9);
	tracker_on_exit(0);
	return 0;
}
