/* tests/unit/tracker_fixture.h — what the tracker's unit tests share: a
 * fake stack source (code identities are small integers, frames "f<i>" in
 * "t.py"), starting the tracker in a forked child and loading the state
 * file it leaves, and reading bytes back by frame.  Header-only, like
 * check.h: each test program includes it once. */
#ifndef OOMPH_TRACKER_FIXTURE_H
#define OOMPH_TRACKER_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile/profile.h"
#include "state/format.h"
#include "tracker/tracker.h"

#define UNUSED __attribute__((unused))

/* ------------------------------------------------ a fake stack source --- */

/* Code identities are small integers; names are "f<i>" in file "t.py". */
#define FAKE_CODE(i) ((const void *)(uintptr_t)(0x1000 + (i)))
static __thread int fake_depth;
static __thread struct stack_key fake_stack[64]; /* root first */

static UNUSED void set_stack(int depth, const int *codes, const int *lines)
{
	fake_depth = depth;
	for (int i = 0; i < depth; i++)
		fake_stack[i] = (struct stack_key){FAKE_CODE(codes[i]), (uint32_t)lines[i], 0};
}

/* A one-frame stack: f<code> at line <line>. */
static UNUSED void at(int code, int line)
{
	set_stack(1, &code, &line);
}

static UNUSED int fake_capture(struct stack_key *out, int max, int *flags)
{
	int n = 0;
	for (int i = fake_depth - 1; i >= 0 && n < max; i--)
		out[n++] = fake_stack[i];
	if (n < fake_depth)
		*flags |= STACK_TRUNCATED;
	return n;
}

static UNUSED int fake_describe(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	/* codes from 900 are a library's (for "the program's own" rules) */
	snprintf(file, fc, "%s", (uintptr_t)code - 0x1000 >= 900 ? "/usr/lib/python3/dist-packages/lib.py"
								 : "t.py");
	snprintf(func, nc, "f%d", (int)((uintptr_t)code - 0x1000));
	return 0;
}

/* Arenas of a fake small-object allocator: an mmap of this size is one. */
static size_t fake_arena;
static UNUSED size_t fake_arena_here(void)
{
	return fake_arena;
}

static const struct stack_source fake_source = {fake_capture, fake_describe, NULL,
						fake_arena_here};

/* ------------------------------------------------------------ plumbing --- */

static char dir[256];

static const char *limits_root; /* NULL: the machine's; else a fixture */
static uint32_t oom_mode;
static int snapshot_signal; /* 0: no snapshot signal handler */
static int history_off;     /* 1: as OOMPH_HISTORY=off */

static UNUSED void start(uint64_t rate)
{
	struct tracker_config cfg = {.state_dir = dir, .sample_rate = rate, .source = &fake_source,
				     .python_version = "3.99.0", .oom_mode = oom_mode,
				     .limits_root = limits_root,
				     .snapshot_signal = snapshot_signal,
				     .history_off = history_off};
	if (tracker_init(&cfg) != 0) {
		fprintf(stderr, "tracker_init failed\n");
		_exit(99);
	}
}

/* Run fn in a child; load the state file it leaves (pid.oomph). */
static UNUSED int run_child(void (*fn)(void), struct profile *p)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "scenario child failed (status %d)\n", st);
		return -1;
	}
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
	int rc = profile_load(path, p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "profile_load: %s\n", err);
	unlink(path);
	return rc;
}

/* Bytes at the peak (or end) whose innermost frame is f<code>:<line>. */
static UNUSED int64_t bytes_at(const struct profile *p, const int64_t *self, int code, int line)
{
	char want[32];
	snprintf(want, sizeof(want), "f%d", code);
	int64_t sum = 0;
	for (uint32_t i = 1; i < p->nnodes; i++) {
		const struct profile_frame *f = &p->frames[p->nodes[i].frame];
		if (!strcmp(f->func, want) && f->line == (uint32_t)line)
			sum += self[i];
	}
	return sum;
}

/* Bytes at the peak (or end) of the synthetic root called `name`. */
static UNUSED int64_t synthetic_bytes(const struct profile *p, const int64_t *self, const char *name)
{
	int64_t sum = 0;
	for (uint32_t i = 1; i < p->nnodes; i++) {
		const struct profile_frame *f = &p->frames[p->nodes[i].frame];
		if ((f->flags & PROFILE_FRAME_SYNTHETIC) && !strcmp(f->file, name))
			sum += self[i];
	}
	return sum;
}
#define ARENA_SPACE "[pymalloc arena space no line holds]"

#define A(n) ((void *)(uintptr_t)(0x10000000u + (n) * 0x100u))

#endif
