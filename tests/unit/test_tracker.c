/* Unit tests of the tracker API (tracker/tracker.h) without LD_PRELOAD, read
 * back through the state reader (profile/profile.h), as the report would.
 *
 * Each scenario runs in a forked child (the tracker is one per process, as in
 * real life); the parent reads the child's state file and checks numbers.
 * Blocks are fake addresses: the tracker never dereferences them. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "profile/profile.h"
#include "state/format.h"
#include "tracker/tracker.h"
#include "tracker_fixture.h"


/* --------------------------------------------------------- scenarios --- */

static void scenario_exact_totals_and_peak(void)
{
	start(1);
	at(1, 10);
	tracker_on_alloc(A(1), 1000);
	at(2, 20);
	tracker_on_alloc(A(2), 500);
	tracker_on_free(A(1), 1000); /* peak was 1500: f1=1000, f2=500 */
	at(3, 30);
	tracker_on_alloc(A(3), 200); /* 700 now, below the peak */
	tracker_on_free(A(3), 200);
}

static void test_exact_totals_and_peak_picture(void)
{
	struct profile p;
	CHECK(run_child(scenario_exact_totals_and_peak, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.peak_bytes, 1500);
	CHECK_EQ_INT(p.end_bytes, 500);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 10), 1000);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 2, 20), 500);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 3, 30), 0);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 2, 20), 500);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 10), 0);
	CHECK(p.exact);
	CHECK(!strcmp(p.python_version, "3.99.0"));
	/* the peak and the end are moments of the history, and points */
	uint32_t k_peak = UINT32_MAX, k_end = UINT32_MAX;
	for (uint32_t k = 0; k < p.nmoments; k++) {
		if (p.moments[k].is_peak)
			k_peak = k;
		if (p.moments[k].is_end)
			k_end = k;
	}
	CHECK(k_peak < k_end && k_end == p.nmoments - 1);
	int64_t *self = calloc(p.nnodes, sizeof(*self));
	if (k_end < p.nmoments && self) {
		CHECK_EQ_INT(profile_picture_at(&p, k_peak, self), 0);
		for (uint32_t i = 0; i < p.nnodes; i++)
			CHECK_EQ_INT(self[i], p.peak_self[i]);
		CHECK_EQ_INT(profile_picture_at(&p, k_end, self), 0);
		for (uint32_t i = 0; i < p.nnodes; i++)
			CHECK_EQ_INT(self[i], p.live_self[i]);
		CHECK_EQ_INT(p.moments[k_end].bytes, 500);
	}
	free(self);
	int peak_point = 0;
	for (uint32_t i = 0; i < p.ntimeline; i++)
		peak_point += p.timeline[i].bytes == 1500 && p.timeline[i].t_s == p.peak_time_s;
	CHECK_EQ_INT(peak_point, 1);
	CHECK(p.ntimeline >= 2 && p.timeline[p.ntimeline - 1].bytes == 500);
	profile_free(&p);
}

/* A later, higher peak replaces the first picture; only nodes that changed
 * are copied (the dirty list), yet the picture must be complete. */
static void scenario_second_peak(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	at(2, 2);
	tracker_on_alloc(A(2), 100);
	tracker_on_free(A(2), 100); /* peak 200: f1=100 f2=100 */
	at(3, 3);
	tracker_on_alloc(A(3), 300);
	tracker_on_free(A(1), 100); /* peak 400: f1=100 f3=300 f2=0 */
	at(2, 2);
	tracker_on_alloc(A(4), 50);
	tracker_on_free(A(4), 50);
}

static void test_second_peak_replaces_the_first(void)
{
	struct profile p;
	CHECK(run_child(scenario_second_peak, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.peak_bytes, 400);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 1), 100);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 2, 2), 0);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 3, 3), 300);
	CHECK_EQ_INT(p.end_bytes, 300);
	profile_free(&p);
}

/* Died at the peak (no free after the maximum): live is the picture. */
static void scenario_dies_at_peak(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	tracker_on_free(A(1), 100);
	at(2, 2);
	tracker_on_alloc(A(2), 700);
	kill(getpid(), SIGKILL);
}

static void test_killed_at_the_peak_keeps_the_picture(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		scenario_dies_at_peak();
		_exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
	struct profile p;
	CHECK(profile_load(path, &p, err, sizeof(err)) == 0);
	unlink(path);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.peak_bytes, 700);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 2, 2), 700);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 1), 0);
	CHECK(!p.exited_cleanly);
	profile_free(&p);
}

/* Poisson sampling: many small allocations from two lines in a known 1:3
 * byte ratio; the estimates must be within a few standard deviations. */
static void scenario_sampling(void)
{
	start(4096);
	for (unsigned i = 0; i < 400000; i++) {
		at(1, 1);
		tracker_on_alloc(A(i * 2), 64);
		at(2, 2);
		tracker_on_alloc(A(i * 2 + 1), 192);
	}
	at(3, 3);
	tracker_on_alloc(A(900000), 10000); /* >= rate: recorded exactly */
	tracker_on_free(A(900000), 10000);
}

static void test_sampling_estimates_are_unbiased(void)
{
	struct profile p;
	CHECK(run_child(scenario_sampling, &p) == 0);
	if (p.nnodes == 0)
		return;
	int64_t truth1 = 400000LL * 64, truth2 = 400000LL * 192;
	CHECK_EQ_INT(p.peak_bytes, truth1 + truth2 + 10000);
	int64_t e1 = bytes_at(&p, p.peak_self, 1, 1);
	int64_t e2 = bytes_at(&p, p.peak_self, 2, 2);
	int64_t e3 = bytes_at(&p, p.peak_self, 3, 3);
	/* sd of a byte-sampled estimate ~ sqrt(bytes * rate) */
	double sd1 = sqrt((double)truth1 * 4096), sd2 = sqrt((double)truth2 * 4096);
	CHECK(fabs((double)(e1 - truth1)) < 5 * sd1);
	CHECK(fabs((double)(e2 - truth2)) < 5 * sd2);
	CHECK_EQ_INT(e3, 10000);
	CHECK(p.n_sampled > 1000 && p.n_sampled < 100000);
	profile_free(&p);
}

/* Freeing every sampled block credits back exactly what was charged. */
static void scenario_free_all(void)
{
	start(4096);
	at(1, 1);
	for (unsigned i = 0; i < 100000; i++)
		tracker_on_alloc(A(i), 100);
	at(2, 2);
	for (unsigned i = 0; i < 100000; i++)
		tracker_on_free(A(i), 100);
}

static void test_free_credits_back_exactly(void)
{
	struct profile p;
	CHECK(run_child(scenario_free_all, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.end_bytes, 0);
	CHECK_EQ_INT(p.peak_bytes, 100000 * 100);
	for (uint32_t i = 0; i < p.nnodes; i++)
		CHECK_EQ_INT(p.live_self[i], 0);
	profile_free(&p);
}

/* Anonymous mappings: partial munmap (a hole in the middle, then the ends),
 * MAP_FIXED over part of a mapping, and mremap. */
static void scenario_mmap(void)
{
	start(1);
	char *base = (char *)(uintptr_t)0x7f0000000000ull;
	at(1, 1);
	tracker_on_mmap(base, 1 << 20);                     /* 1 MiB */
	tracker_on_munmap(base + (256 << 10), 256 << 10);  /* hole: 768 KiB left */
	at(2, 2);
	tracker_on_mmap(base + (4 << 20), 64 << 10);        /* +64 KiB: 832 */
	tracker_on_mmap(base + (4 << 20), 32 << 10);        /* MAP_FIXED over half: 832 */
	at(3, 3);
	/* moves the new half away and grows it: -32 +128 = 928 */
	tracker_on_mremap(base + (4 << 20), 32 << 10, base + (8 << 20), 128 << 10);
	tracker_on_munmap(base, 256 << 10);                  /* first quarter: 672 */
	/* a file mapping grown (mmap.resize()): never counted, still not */
	tracker_on_mremap(base + (64 << 20), 4096, base + (72 << 20), 1 << 20);
}

static void test_mmap_partial_unmap_and_remap(void)
{
	struct profile p;
	CHECK(run_child(scenario_mmap, &p) == 0);
	if (p.nnodes == 0)
		return;
	const int64_t K = 1024;
	CHECK_EQ_INT(p.peak_bytes, 1024 * K);
	CHECK_EQ_INT(p.end_bytes, 672 * K);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 1), 512 * K);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 2, 2), 32 * K); /* the untouched half */
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 3, 3), 128 * K);
	profile_free(&p);
}

/* In a scenario (a child process): a failed check fails the child. */
#define IN_CHILD_CHECK(c)                                                       \
	do {                                                                    \
		if (!(c)) {                                                     \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #c); \
			_exit(3);                                               \
		}                                                               \
	} while (0)

/* MAP_SHARED|MAP_ANONYMOUS memory is counted in the process that mapped
 * it, moved by mremap still shared, and not again in a fork child, which
 * shares its pages: the child holds only its private mapping, and its own
 * unmap of the shared one credits back nothing. */
static void scenario_shared_anon(void)
{
	start(1);
	char *base = (char *)(uintptr_t)0x7d0000000000ull;
	at(1, 1);
	tracker_on_shared_mmap(base, 1 << 20);
	tracker_on_mremap(base, 1 << 20, base + (8 << 20), 2 << 20); /* grown: 2 MiB */
	at(2, 2);
	tracker_on_mmap(base + (16 << 20), 256 << 10);
	fflush(NULL);
	pid_t kid = fork(); /* the tracker's atfork handler makes it its own state */
	if (kid == 0) {
		at(3, 3);
		tracker_on_munmap(base + (8 << 20), 2 << 20);
		tracker_on_mmap(base + (32 << 20), 64 << 10);
		_exit(0);
	}
	int st;
	IN_CHILD_CHECK(waitpid(kid, &st, 0) == kid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)kid);
	struct profile p;
	int rc = profile_load(path, &p, err, sizeof(err));
	unlink(path);
	IN_CHILD_CHECK(rc == 0);
	const int64_t K = 1024;
	IN_CHILD_CHECK(p.end_bytes == 256 * K + 64 * K);
	IN_CHILD_CHECK(p.peak_bytes == 256 * K + 64 * K);
	IN_CHILD_CHECK(bytes_at(&p, p.live_self, 1, 1) == 0);
	IN_CHILD_CHECK(bytes_at(&p, p.live_self, 2, 2) == 256 * K);
	IN_CHILD_CHECK(bytes_at(&p, p.live_self, 3, 3) == 64 * K);
	profile_free(&p);
}

static void test_shared_anonymous_memory_is_not_counted_again_in_a_fork_child(void)
{
	struct profile p;
	CHECK(run_child(scenario_shared_anon, &p) == 0);
	if (p.nnodes == 0)
		return;
	const int64_t K = 1024;
	CHECK_EQ_INT(p.end_bytes, 2048 * K + 256 * K); /* the parent keeps both */
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 1), 2048 * K);
	profile_free(&p);
}

/* Python's small objects: an arena is counted but charged to no line; a
 * pool is charged to the line whose allocation was picked in it, a later
 * pick by the same line changes nothing, one by another line moves it, and
 * the arena's unmapping takes its pools with it.  A pool inside an arena
 * charged whole (mapped before pools were watched) is ignored. */
static void scenario_pools(void)
{
	start(1);
	char *a = (char *)(uintptr_t)0x7e0000000000ull, *b = a + (8 << 20);
	const size_t K16 = 16 << 10;
	fake_arena = 1 << 20;
	at(9, 9);
	tracker_on_mmap(a, 1 << 20);   /* an arena: charged to nobody */
	fake_arena = 0;
	at(4, 40);
	tracker_on_mmap(b, 1 << 20);   /* an ordinary mapping: f4 */
	at(1, 10);
	IN_CHILD_CHECK(tracker_on_pool(a, K16) == 1);           /* picked by f1 */
	at(2, 20);
	for (int i = 1; i < 5; i++)    /* four picked by f2 */
		IN_CHILD_CHECK(tracker_on_pool(a + i * K16, K16) == 1);
	IN_CHILD_CHECK(tracker_on_pool(a + K16, K16) == 0);     /* f2's already */
	at(5, 50);
	IN_CHILD_CHECK(tracker_on_pool(b, K16) == 0);           /* inside f4's mapping */
	tracker_on_alloc(A(1), 4096);  /* the peak: 2 MiB + 4 KiB */
	tracker_on_free(A(1), 4096);
	at(3, 30);
	IN_CHILD_CHECK(tracker_on_pool(a + K16, K16) == 1);     /* filled again: f3's */
}

static void scenario_pools_unmapped(void)
{
	start(1);
	char *a = (char *)(uintptr_t)0x7e0000000000ull;
	fake_arena = 1 << 20;
	at(9, 9);
	tracker_on_mmap(a, 1 << 20);
	fake_arena = 0;
	at(1, 10);
	(void)tracker_on_pool(a + (16 << 10), 16 << 10);
	tracker_on_munmap(a, 1 << 20); /* the arena and its pools go */
}

static void test_pools_are_charged_to_the_picked_allocation(void)
{
	struct profile p;
	CHECK(run_child(scenario_pools, &p) == 0);
	if (p.nnodes == 0)
		return;
	const int64_t K = 1024;
	CHECK_EQ_INT(p.peak_bytes, 2052 * K);
	CHECK_EQ_INT(p.end_bytes, 2048 * K);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 9, 9), 0);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 10), 16 * K);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 2, 20), 64 * K);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 3, 30), 0);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 4, 40), 1024 * K);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 5, 50), 4 * K);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 6, 60), 0);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 10), 16 * K);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 2, 20), 48 * K);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 3, 30), 16 * K);
	/* the rest of the arena: 1 MiB less the pools held */
	CHECK_EQ_INT(synthetic_bytes(&p, p.peak_self, ARENA_SPACE), (1024 - 80) * K);
	CHECK_EQ_INT(synthetic_bytes(&p, p.live_self, ARENA_SPACE), (1024 - 80) * K);
	profile_free(&p);

	CHECK(run_child(scenario_pools_unmapped, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.end_bytes, 0);
	CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 10), 16 * K);
	CHECK_EQ_INT(synthetic_bytes(&p, p.peak_self, ARENA_SPACE), 1008 * K);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 10), 0);
	CHECK_EQ_INT(synthetic_bytes(&p, p.live_self, ARENA_SPACE), 0);
	profile_free(&p);
}

/* realloc growth: one line grows a block 1 KiB -> 1 MiB in steps; the line
 * holds the final size, the total never counts old and new twice. */
static void scenario_realloc(void)
{
	start(4096);
	at(1, 1);
	void *p = A(1);
	size_t size = 1024;
	tracker_on_alloc(p, size);
	for (int i = 1; i <= 1024; i++) {
		struct tracker_realloc_ticket t;
		void *q = A(1 + (unsigned)i % 2); /* moves between two addresses */
		tracker_realloc_begin(p, &t);
		tracker_realloc_end(p, size, q, size + 1023, &t);
		size += 1023;
		p = q;
	}
}

static void test_realloc_growth(void)
{
	struct profile p;
	CHECK(run_child(scenario_realloc, &p) == 0);
	if (p.nnodes == 0)
		return;
	int64_t final = 1024 + 1024 * 1023;
	CHECK_EQ_INT(p.end_bytes, final);
	CHECK_EQ_INT(p.peak_bytes, final);
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 1, 1), final);
	profile_free(&p);
}

/* Whatever both frees and allocates right after the peak (a shrinking
 * realloc, an mremap, a MAP_FIXED mapping over another, a pool taken from an
 * arena) must leave the peak picture as it was at the peak: five lines of
 * 80/40/90/30/15 KiB, and nothing on the line that shrank or replaced. */
static uint64_t shrink_rate;
static int shrink_kind;
enum { SHRINK_REALLOC, SHRINK_REALLOC_IN_PLACE, SHRINK_MREMAP, SHRINK_MAP_FIXED, SHRINK_POOL };
static const char *const shrink_names[] = {"realloc", "realloc in place", "mremap",
					   "MAP_FIXED", "pool"};

static void scenario_shrink_after_peak(void)
{
	start(shrink_rate);
	const size_t K = 4096; /* whole pages, so mappings are not rounded */
	const size_t sizes[5] = {80 * K, 40 * K, 90 * K, 30 * K, 15 * K};
	char *base = (char *)(uintptr_t)0x7d0000000000ull;
	void *blocks[5];
	int maps = shrink_kind == SHRINK_MREMAP || shrink_kind == SHRINK_MAP_FIXED;
	if (shrink_kind == SHRINK_POOL) {
		fake_arena = 1 << 20; /* an arena is part of the peak, held by nobody */
		at(9, 9);
		tracker_on_mmap(base + (64 << 20), 1 << 20);
		fake_arena = 0;
	}
	for (int i = 0; i < 5; i++) {
		at(i + 1, i + 1);
		blocks[i] = maps ? (void *)(base + (size_t)i * (1 << 20)) : A(i + 1);
		if (maps)
			tracker_on_mmap(blocks[i], sizes[i]);
		else
			tracker_on_alloc(blocks[i], sizes[i]);
	}
	at(6, 6); /* the peak was just reached: 255 KiB */
	switch (shrink_kind) {
	case SHRINK_REALLOC:
	case SHRINK_REALLOC_IN_PLACE: {
		struct tracker_realloc_ticket t;
		void *q = shrink_kind == SHRINK_REALLOC ? A(7) : blocks[2];
		tracker_realloc_begin(blocks[2], &t);
		tracker_realloc_end(blocks[2], sizes[2], q, 10 * K, &t);
		break;
	}
	case SHRINK_MREMAP:
		tracker_on_mremap(blocks[2], sizes[2], blocks[2], 12 * K);
		break;
	case SHRINK_MAP_FIXED: /* a smaller mapping over the start of f3's */
		tracker_on_mmap(blocks[2], 8 * K);
		break;
	case SHRINK_POOL: /* a pool of the arena taken, then something freed */
		IN_CHILD_CHECK(tracker_on_pool(base + (64 << 20), 4 * K) == 1);
		tracker_on_free(blocks[4], sizes[4]);
		break;
	}
}

static void test_shrink_after_the_peak_keeps_the_picture(void)
{
	const int64_t K = 4096;
	const uint64_t rates[2] = {1, 4096};
	for (int r = 0; r < 2; r++) {
		for (int kind = SHRINK_REALLOC; kind <= SHRINK_POOL; kind++) {
			shrink_rate = rates[r];
			shrink_kind = kind;
			struct profile p;
			CHECK(run_child(scenario_shrink_after_peak, &p) == 0);
			if (p.nnodes == 0)
				continue;
			fprintf(stderr, "  shrink after the peak: %s, rate %llu\n",
				shrink_names[kind], (unsigned long long)rates[r]);
			int64_t arena = kind == SHRINK_POOL ? 256 * K : 0;
			CHECK_EQ_INT(p.peak_bytes, 255 * K + arena);
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 1, 1), 80 * K);
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 2, 2), 40 * K);
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 3, 3), 90 * K);
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 4, 4), 30 * K);
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 5, 5), 15 * K);
			/* A pool taken at the peak's total moves bytes inside the
			 * picture (arena space to its owner), never adds any. */
			CHECK_EQ_INT(bytes_at(&p, p.peak_self, 6, 6) +
					     synthetic_bytes(&p, p.peak_self, ARENA_SPACE), arena);
			/* and now: the shrunk block is the new line's */
			int64_t now6 = kind == SHRINK_MREMAP ? 12 * K : kind == SHRINK_MAP_FIXED ? 8 * K
				: kind == SHRINK_POOL ? 4 * K : 10 * K;
			CHECK_EQ_INT(bytes_at(&p, p.live_self, 6, 6), now6);
			CHECK_EQ_INT(bytes_at(&p, p.live_self, 3, 3),
				     kind == SHRINK_MAP_FIXED ? 82 * K : kind == SHRINK_POOL ? 90 * K : 0);
			profile_free(&p);
		}
	}
}

/* Many threads allocating and freeing at once: totals stay exact, every
 * charge is credited back. */
#define NTHREADS 8
static void *stress_thread(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	at((int)id, 7);
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 5000; i++)
			tracker_on_alloc(A(id * 1000000 + i), 16 + i % 4096);
		for (unsigned i = 0; i < 5000; i++)
			tracker_on_free(A(id * 1000000 + i), 16 + i % 4096);
	}
	tracker_on_alloc(A(id * 1000000 + 999999), 1000);
	return NULL;
}

static void scenario_threads(void)
{
	start(512);
	pthread_t t[NTHREADS];
	for (uintptr_t i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, stress_thread, (void *)(i + 1));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
}

static void test_threads_keep_totals_exact(void)
{
	struct profile p;
	CHECK(run_child(scenario_threads, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(p.end_bytes, NTHREADS * 1000);
	int64_t per_thread = 0;
	for (unsigned i = 0; i < 5000; i++)
		per_thread += 16 + i % 4096;
	CHECK(p.peak_bytes >= per_thread);
	CHECK(p.peak_bytes <= NTHREADS * (per_thread + 1000));
	profile_free(&p);
}

/* Deep stacks are cut at the outer end with a marker, innermost kept. */
static void scenario_deep(void)
{
	start(1);
	int codes[64], lines[64];
	for (int i = 0; i < 64; i++) {
		codes[i] = 5;
		lines[i] = i + 1;
	}
	set_stack(64, codes, lines);
	tracker_on_alloc(A(1), 4096);
}

static void test_stack_trie_keeps_every_frame(void)
{
	struct profile p;
	CHECK(run_child(scenario_deep, &p) == 0);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(bytes_at(&p, p.live_self, 5, 64), 4096);
	/* walk from the leaf to the root: 64 frames, lines 64..1 */
	uint32_t leaf = 0;
	for (uint32_t i = 0; i < p.nnodes; i++)
		if (p.live_self[i] == 4096)
			leaf = i;
	int depth = 0;
	for (uint32_t n = leaf; n; n = p.nodes[n].parent) {
		CHECK_EQ_INT(p.frames[p.nodes[n].frame].line, 64 - depth);
		depth++;
	}
	CHECK_EQ_INT(depth, 64);
	profile_free(&p);
}

/* SIGKILL at arbitrary instants while allocating from several stacks: the
 * file must always load, with the totals consistent. */
static void scenario_forever(void)
{
	start(256);
	for (unsigned i = 0;; i++) {
		at((int)(i % 50), (int)(i % 7));
		tracker_on_alloc(A(i % 100000), 100 + i % 3000);
		if (i % 3 == 0)
			tracker_on_free(A((i / 3) % 100000), 100 + (i / 3) % 3000);
	}
}

static void test_sigkill_at_any_instant_leaves_a_readable_file(void)
{
	for (int round = 0; round < 12; round++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0)
			scenario_forever();
		usleep(2000 + (useconds_t)(rand() % 40000));
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		char path[512], err[512];
		snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
		struct profile p;
		int rc = profile_load(path, &p, err, sizeof(err));
		/* killed before tracker_init finished: no file, or not ready */
		if (rc == OOMPH_PROFILE_EIO || rc == OOMPH_PROFILE_ENOTREADY) {
			unlink(path);
			continue;
		}
		CHECK_EQ_INT(rc, 0);
		if (rc == 0) {
			int64_t sum = 0;
			for (uint32_t i = 0; i < p.nnodes; i++)
				sum += p.peak_self[i];
			CHECK_EQ_INT(sum, p.peak_bytes);
			CHECK(p.peak_bytes >= p.end_bytes);
			profile_free(&p);
		}
		unlink(path);
	}
}

/* ------------------------------------------------ failures and deaths --- */

static void scenario_failures(void)
{
	start(1);
	at(1, 10);
	tracker_on_alloc(A(1), 5000);
	for (int i = 0; i < 20; i++) {
		at(2, 100 + i);
		errno = 0;
		tracker_on_failure(i % 2 ? "mmap" : "malloc", (size_t)1000000 + (size_t)i, ENOMEM);
		if (errno != 0)
			_exit(3); /* the caller's errno must be kept */
	}
	tracker_on_alloc(A(2), 7000); /* after the picture: not in it */
}

static void test_failed_allocations_are_recorded(void)
{
	struct profile p;
	if (run_child(scenario_failures, &p) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(p.failures_total, 20);
	CHECK_EQ_INT(p.nfailures, OOMPH_FAILURES_CAP);
	const struct profile_failure *last = &p.failures[p.nfailures - 1];
	CHECK_EQ_INT(last->size, 1000019);
	CHECK_STR_EQ(last->call, "mmap");
	CHECK_EQ_INT(last->err, ENOMEM);
	CHECK_EQ_INT(p.failures[0].size, 1000004); /* oldest kept: the 5th */
	const struct profile_frame *f = &p.frames[p.nodes[last->node].frame];
	CHECK_STR_EQ(f->func, "f2");
	CHECK_EQ_INT(f->line, 119);
	/* the picture at the first failure: what was live then */
	CHECK(p.moment_self != NULL);
	CHECK_STR_EQ(p.moment_reason, "failed-allocation");
	CHECK_EQ_INT(p.moment_bytes, 5000);
	if (p.moment_self)
		CHECK_EQ_INT(bytes_at(&p, p.moment_self, 1, 10), 5000);
	CHECK_EQ_INT(p.end_bytes, 12000);
	profile_free(&p);
}

/* A cgroup v1 fixture: limit 300 MiB, usage written by the test. */
static char fixture[300];

static void put(const char *rel, const char *body)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", fixture, rel);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fputs(body, f);
	fclose(f);
}

static void make_fixture(void)
{
	snprintf(fixture, sizeof fixture, "%s/root", dir);
	const char *dirs[] = {"", "/proc", "/proc/self", "/sys", "/sys/fs", "/sys/fs/cgroup",
			      "/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/job"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s%s", fixture, dirs[i]);
		mkdir(path, 0755);
	}
	put("proc/self/cgroup", "4:memory:/job\n1:cpu:/\n");
	put("proc/self/mountinfo",
	    "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n");
	put("proc/meminfo", "MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n");
	put("sys/fs/cgroup/memory/job/memory.limit_in_bytes", "314572800\n");
	put("sys/fs/cgroup/memory/job/memory.usage_in_bytes", "52428800\n");
	put("sys/fs/cgroup/memory/job/memory.stat",
	    "cache 0\nhierarchical_memory_limit 314572800\ntotal_inactive_file 0\n");
}

static void scenario_near_oom(void)
{
	start(1);
	at(3, 30);
	tracker_on_alloc(A(1), 8 << 20); /* usage 50 of 300 MiB: nothing */
	put("sys/fs/cgroup/memory/job/memory.usage_in_bytes", "262144000\n"); /* 250 MiB */
	at(4, 40);
	for (int i = 0; i < 16; i++) /* 64 MiB more: the next check comes */
		tracker_on_alloc(A(10 + i), 4 << 20);
}

static void test_near_oom_takes_the_picture(void)
{
	make_fixture();
	limits_root = fixture;
	struct profile p;
	int rc = run_child(scenario_near_oom, &p);
	limits_root = NULL;
	if (rc != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(p.limit_bytes, 314572800);
	CHECK_STR_EQ(p.limit_kind, "cgroup-v1");
	CHECK_EQ_INT(p.oom_threshold, 100 << 20); /* max(100 MiB, 2%) */
	CHECK(p.moment_self != NULL);
	CHECK_STR_EQ(p.moment_reason, "near-oom");
	CHECK_EQ_INT(p.moment_headroom, 50 << 20);
	CHECK(p.moment_bytes > (8 << 20) && p.moment_bytes <= (72 << 20));
	if (p.moment_self) {
		CHECK_EQ_INT(bytes_at(&p, p.moment_self, 3, 30), 8 << 20);
		CHECK_EQ_INT(bytes_at(&p, p.moment_self, 4, 40), p.moment_bytes - (8 << 20));
	}
	CHECK_EQ_INT(p.stopped_near_oom, 0);
	profile_free(&p);
}

static void test_on_oom_stop_stops_the_process(void)
{
	make_fixture();
	limits_root = fixture;
	oom_mode = OOMPH_OOM_STOP;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		scenario_near_oom();
		_exit(0);
	}
	limits_root = NULL;
	oom_mode = OOMPH_OOM_REPORT;
	int st;
	waitpid(pid, &st, WUNTRACED);
	CHECK(WIFSTOPPED(st));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
	struct profile p;
	CHECK_EQ_INT(profile_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p.stopped_near_oom, 1);
	CHECK_STR_EQ(p.moment_reason, "near-oom");
	profile_free(&p);
	unlink(path);
}

static void chained(int sig)
{
	_exit(40 + sig % 10);
}

/* A fault is recorded, then the death goes on as it would have: the
 * displaced handler runs (chained), or the default action kills. */
static void test_fault_is_recorded_and_chained(void)
{
	for (int with_handler = 0; with_handler < 2; with_handler++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGSEGV, with_handler ? chained : SIG_DFL); /* not ASan's */
			start(1);
			at(5, 50);
			tracker_on_alloc(A(1), 100);
			*(volatile int *)(uintptr_t)24 = 1; /* near NULL */
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		if (with_handler)
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 41);
		else
			CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
		char path[512], err[512];
		snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
		struct profile p;
		CHECK_EQ_INT(profile_load(path, &p, err, sizeof(err)), 0);
		CHECK_EQ_INT(p.fault_signal, SIGSEGV);
		CHECK_EQ_INT(p.fault_addr, 24);
		CHECK_EQ_INT(p.exited_cleanly, 0);
		const struct profile_frame *f = &p.frames[p.nodes[p.fault_node].frame];
		CHECK_STR_EQ(f->func, "f5");
		profile_free(&p);
		unlink(path);
	}
}

static void rm_fixture(void)
{
	const char *files[] = {"proc/self/cgroup", "proc/self/mountinfo", "proc/meminfo",
			       "sys/fs/cgroup/memory/job/memory.limit_in_bytes",
			       "sys/fs/cgroup/memory/job/memory.usage_in_bytes",
			       "sys/fs/cgroup/memory/job/memory.stat",
			       "sys/fs/cgroup/memory/job", "sys/fs/cgroup/memory",
			       "sys/fs/cgroup", "sys/fs", "sys", "proc/self", "proc", ""};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s/%s", fixture, files[i]);
		remove(path);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-tracker-%d", (int)getpid());
	mkdir(dir, 0755);
	srand((unsigned)getpid());
	test_exact_totals_and_peak_picture();
	test_second_peak_replaces_the_first();
	test_killed_at_the_peak_keeps_the_picture();
	test_sampling_estimates_are_unbiased();
	test_free_credits_back_exactly();
	test_mmap_partial_unmap_and_remap();
	test_shared_anonymous_memory_is_not_counted_again_in_a_fork_child();
	test_pools_are_charged_to_the_picked_allocation();
	test_realloc_growth();
	test_shrink_after_the_peak_keeps_the_picture();
	test_threads_keep_totals_exact();
	test_stack_trie_keeps_every_frame();
	test_sigkill_at_any_instant_leaves_a_readable_file();
	test_failed_allocations_are_recorded();
	test_near_oom_takes_the_picture();
	test_on_oom_stop_stops_the_process();
	test_fault_is_recorded_and_chained();
	rm_fixture();
	rmdir(dir);
	return check_summary();
}
