/* Unit tests of the live view's pure parts: the growth ring (live/ring.c)
 * — growth against the oldest sample of the window, lines that appear or
 * go, the window sliding, keys forgotten — and the frame (live/frame.c):
 * its sections, figures, width and height bounds, control bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "live/frame.h"
#include "live/ring.h"

#define MiB (1LL << 20)

static void push(struct live_ring *r, double t, size_t n, const char *const *k, const int64_t *b)
{
	CHECK_EQ_INT(live_ring_push(r, t, k, b, n), 0);
}

static void test_ring_growth_over_the_window(void)
{
	struct live_ring r;
	live_ring_init(&r, 60);
	struct live_growth *g;
	size_t n;
	double span;
	/* one sample: nothing to compare */
	const char *k0[] = {"leak.py:10 (leak)", "churn.py:3 (f)", "leak.py:10 (leak)"};
	int64_t b0[] = {1 * MiB, 5 * MiB, 1 * MiB}; /* a key given twice is summed */
	push(&r, 100.0, 3, k0, b0);
	CHECK_EQ_INT(live_ring_growth(&r, &g, &n, &span), 0);
	CHECK_EQ_INT(n, 0);
	CHECK(span == 0);
	free(g);
	/* the leak grows, the churn goes down, a new line appears */
	for (int s = 1; s <= 10; s++) {
		const char *k[] = {"churn.py:3 (f)", "leak.py:10 (leak)", "new.py:1 (g)"};
		int64_t b[] = {4 * MiB, (2 + s) * MiB, s == 10 ? 512 * 1024 : 0};
		push(&r, 100.0 + s, 3, k, b);
	}
	CHECK_EQ_INT(live_ring_growth(&r, &g, &n, &span), 0);
	CHECK(span == 10.0);
	CHECK_EQ_INT(n, 2);
	CHECK_STR_EQ(g[0].key, "leak.py:10 (leak)");
	CHECK_EQ_INT(g[0].then, 2 * MiB);
	CHECK_EQ_INT(g[0].now, 12 * MiB);
	CHECK_EQ_INT(g[0].grown, 10 * MiB);
	CHECK_STR_EQ(g[1].key, "new.py:1 (g)"); /* absent before: from 0 */
	CHECK_EQ_INT(g[1].then, 0);
	CHECK_EQ_INT(g[1].grown, 512 * 1024);
	free(g);
	/* time does not go back */
	const char *kx[] = {"x"};
	int64_t bx[] = {1};
	CHECK_EQ_INT(live_ring_push(&r, 50.0, kx, bx, 1), -EINVAL);
	live_ring_free(&r);
}

static void test_ring_window_slides(void)
{
	struct live_ring r;
	live_ring_init(&r, 60);
	const char *k[] = {"leak.py:10 (leak)"};
	/* 1 MiB a second for 200 s: the window keeps the last 60 s */
	for (int s = 0; s <= 200; s++) {
		int64_t b[] = {s * MiB};
		push(&r, (double)s, 1, k, b);
	}
	CHECK(r.ns <= 61);
	struct live_growth *g;
	size_t n;
	double span;
	CHECK_EQ_INT(live_ring_growth(&r, &g, &n, &span), 0);
	CHECK(span == 60.0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(g[0].grown, 60 * MiB);
	CHECK_EQ_INT(g[0].now, 200 * MiB);
	free(g);
	/* a line that stopped growing has no growth once its rise left the window */
	for (int s = 201; s <= 300; s++) {
		int64_t b[] = {200 * MiB};
		push(&r, (double)s, 1, k, b);
	}
	CHECK_EQ_INT(live_ring_growth(&r, &g, &n, &span), 0);
	CHECK_EQ_INT(n, 0);
	free(g);
	/* samples faster than a second: never more than the ring holds */
	for (int s = 0; s < 1000; s++) {
		int64_t b[] = {s};
		push(&r, 301.0 + s * 0.01, 1, k, b);
	}
	CHECK(r.ns <= LIVE_RING_SAMPLES);
	live_ring_free(&r);
}

static void test_ring_forgets_keys(void)
{
	struct live_ring r;
	live_ring_init(&r, 5);
	char name[64];
	const char *k[1] = {name};
	int64_t b[1] = {1000};
	/* a new line every sample: keys of samples gone from the window go */
	for (unsigned s = 0; s < LIVE_RING_KEYS + 100; s++) {
		snprintf(name, sizeof name, "gen.py:%u (f)", s);
		push(&r, (double)s, 1, k, b);
	}
	CHECK(r.nkeys <= LIVE_RING_KEYS);
	struct live_growth *g;
	size_t n;
	double span;
	CHECK_EQ_INT(live_ring_growth(&r, &g, &n, &span), 0);
	CHECK_EQ_INT(n, 1); /* the newest line, from 0 */
	snprintf(name, sizeof name, "gen.py:%u (f)", LIVE_RING_KEYS + 99);
	CHECK_STR_EQ(g[0].key, name);
	free(g);
	live_ring_free(&r);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int widest(const char *s)
{
	int w = 0, cur = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n') {
			cur = 0;
			continue;
		}
		cur += (*p & 0xC0) != 0x80;
		if (cur > w)
			w = cur;
	}
	return w;
}

static void sample_frame(struct live_frame *f, struct live_proc *p, struct live_line *l,
			 struct live_line *gr)
{
	memset(f, 0, sizeof *f);
	p[0] = (struct live_proc){4242, 1, 12 * MiB, 60 * MiB, 40 * MiB, "python3 svc.py"};
	p[1] = (struct live_proc){4243, 0, 1 * MiB, 2 * MiB, -1, "python3 -c work"};
	l[0] = (struct live_line){"svc.py:45 (main)", 10 * MiB, 0, "cache.append(bytes(n))"};
	l[1] = (struct live_line){"[no Python stack]", 2 * MiB, 0, ""};
	gr[0] = (struct live_line){"svc.py:45 (main)", 10 * MiB, 5 * MiB, ""};
	f->command = "python3 svc.py";
	f->elapsed_s = 75.5;
	f->quit_hint = 1;
	f->limit_bytes = 1LL << 30;
	f->limit_source = "cgroup v2 memory.max";
	f->usage_bytes = 256 * MiB;
	f->psi_some = 1.25;
	f->psi_full = 0.5;
	f->psi_scope = "its cgroup";
	f->procs = p;
	f->nprocs = 2;
	f->lines = l;
	f->nlines = 2;
	f->grew = gr;
	f->ngrew = 1;
	f->span_s = 10;
}

static void test_frame_sections(void)
{
	struct live_frame f;
	struct live_proc p[2];
	struct live_line l[2], gr[1];
	sample_frame(&f, p, l, gr);
	struct buf b;
	buf_init(&b);
	live_frame_render(&b, &f, 0, 0);
	const char *s = buf_str(&b);
	CHECK_STR_CONTAINS(s, "oomph top: python3 svc.py \xe2\x80\x94 running for 1 min 15 s   (q quits)\n");
	CHECK_STR_CONTAINS(s, "\nlimit 1.0 GiB (cgroup v2 memory.max), in use 256.0 MiB, headroom 768.0 MiB\n");
	CHECK_STR_CONTAINS(s, "\npressure (its cgroup, avg10): some 1.25%, full 0.50%\n");
	CHECK_STR_CONTAINS(s, "\n    4242     12.0 MiB     60.0 MiB     40.0 MiB  python3 svc.py\n");
	CHECK_STR_CONTAINS(s, "\n    4243      1.0 MiB      2.0 MiB            ?  (ended) python3 -c work\n");
	CHECK_STR_CONTAINS(s, "\ntop lines now:\n      10.0 MiB  svc.py:45 (main)  cache.append(bytes(n))\n"
			      "       2.0 MiB  [no Python stack]\n");
	CHECK_STR_CONTAINS(s, "\ngrew most over the last 10.0 s:\n"
			      "      +5.0 MiB   512.0 KiB/s  svc.py:45 (main)  (now 10.0 MiB)\n");
	CHECK_EQ_INT(count_lines(s), 11);

	/* an ended run: how it ended, no headroom, no growth */
	f.ended = "exited with code 0";
	f.grew = NULL;
	f.quit_hint = 0;
	f.lines_title = "top lines at the peak:";
	buf_reset(&b);
	live_frame_render(&b, &f, 0, 0);
	s = buf_str(&b);
	CHECK_STR_CONTAINS(s, "oomph top: python3 svc.py exited with code 0 after 1 min 15 s\n");
	CHECK_STR_CONTAINS(s, "\nlimit 1.0 GiB (cgroup v2 memory.max)\n");
	CHECK_STR_CONTAINS(s, "\ntop lines at the peak:\n");
	CHECK(!strstr(s, "grew most"));

	/* unknowns, nothing yet */
	sample_frame(&f, p, l, gr);
	f.limit_bytes = 0;
	f.psi_some = -1;
	f.nlines = 0;
	f.ngrew = 0;
	f.span_s = 0;
	buf_reset(&b);
	live_frame_render(&b, &f, 0, 0);
	s = buf_str(&b);
	CHECK_STR_CONTAINS(s, "\nlimit: none found\n");
	CHECK_STR_CONTAINS(s, "avg10): unknown (no PSI)\n");
	CHECK_STR_CONTAINS(s, "top lines now:\n  (nothing tracked yet)\n");
	CHECK_STR_CONTAINS(s, "grew most over the last minute: (one more second to compare)\n");
	buf_free(&b);
}

static void test_frame_fits_the_terminal(void)
{
	struct live_frame f;
	struct live_proc p[2];
	struct live_line l[12], gr[12];
	sample_frame(&f, p, l, gr);
	/* long, non-ASCII labels, control bytes from the program */
	for (int i = 0; i < 12; i++) {
		l[i] = (struct live_line){"\xc3\xa9t\xc3\xa9_very_long_module_name.py:123 (f\033[2J)",
					  (12 - i) * MiB, 0, "x = [\xc3\xa9] * 1000000"};
		gr[i] = (struct live_line){"gr\tow.py:1 (g)", 12 * MiB, (12 - i) * MiB, ""};
	}
	f.lines = l;
	f.nlines = 12;
	f.grew = gr;
	f.ngrew = 12;
	struct buf b;
	buf_init(&b);
	live_frame_render(&b, &f, 0, 0);
	CHECK(!strchr(buf_str(&b), '\033') && !strchr(buf_str(&b), '\t'));
	CHECK_EQ_INT(count_lines(buf_str(&b)), 4 + 2 + 1 + 10 + 1 + 10); /* 10 of each list */
	for (int w = 20; w <= 120; w += 7) {
		buf_reset(&b);
		live_frame_render(&b, &f, w, 0);
		CHECK(widest(buf_str(&b)) <= w);
		/* never a UTF-8 sequence cut: each line still decodes */
		for (const unsigned char *q = (const unsigned char *)buf_str(&b); *q; q++)
			if (*q == 0xc3)
				CHECK(q[1] == 0xa9);
	}
	for (int h = 8; h <= 40; h++) {
		buf_reset(&b);
		live_frame_render(&b, &f, 80, h);
		CHECK(count_lines(buf_str(&b)) <= h);
		/* both lists keep a row when there is room for one each
		 * (8 rows: the header, two processes, the two titles) */
		if (h < 10)
			continue;
		CHECK_STR_CONTAINS(buf_str(&b), "\ntop lines now:\n ");
		CHECK_STR_CONTAINS(buf_str(&b), "\ngrew most over the last 10.0 s:\n ");
	}
	buf_free(&b);
}

static void test_durations(void)
{
	char s[32];
	live_duration(s, sizeof s, 0.04);
	CHECK_STR_EQ(s, "0.0 s");
	live_duration(s, sizeof s, 59.9);
	CHECK_STR_EQ(s, "59.9 s");
	live_duration(s, sizeof s, 125);
	CHECK_STR_EQ(s, "2 min 05 s");
	live_duration(s, sizeof s, 3 * 3600 + 2 * 60 + 9);
	CHECK_STR_EQ(s, "3 h 02 min");
	live_duration(s, sizeof s, -1);
	CHECK_STR_EQ(s, "0.0 s");
}

int main(void)
{
	test_ring_growth_over_the_window();
	test_ring_window_slides();
	test_ring_forgets_keys();
	test_frame_sections();
	test_frame_fits_the_terminal();
	test_durations();
	return check_summary();
}
