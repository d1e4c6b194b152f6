/* Unit tests of report/view.c on the fixture profile (report_fixture.h):
 * inclusive totals, child order, labels, file names relative to the cwd,
 * top lines grouped by the innermost Python frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/bounds.h"
#include "report/derive.h"
#include "report/view.h"
#include "report_fixture.h"

static void test_totals_and_order(void)
{
	struct profile p;
	fx_profile(&p);
	struct src_cache *src = src_new(FX_CWD);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, src), 0);
	CHECK_EQ_INT(v.total, FX_PEAK);
	CHECK_EQ_INT(v.peak_bytes, FX_PEAK);
	CHECK_EQ_INT(v.self[0], 100); /* the unattributed remainder */
	CHECK_EQ_INT(v.incl[0], FX_PEAK);
	CHECK_EQ_INT(v.incl[FX_N1], 1000 + 3000 + 6000 + 7 + 11 + 50);
	CHECK_EQ_INT(v.incl[FX_N2], 4000);
	CHECK_EQ_INT(v.incl[FX_N4], 6050);
	CHECK_EQ_INT(v.incl[FX_N7], 0);
	CHECK_EQ_INT(v.depth[FX_N3], 3);
	CHECK_EQ_INT(v.max_depth, 3);
	/* children of n1 by label: load (n2), load again (n8), build, we;ird */
	CHECK_EQ_INT(v.kids_start[FX_N1 + 1] - v.kids_start[FX_N1], 4);
	const uint32_t *k = v.kids + v.kids_start[FX_N1];
	CHECK_EQ_INT(k[0], FX_N2);
	CHECK_EQ_INT(k[1], FX_N8);
	CHECK_EQ_INT(k[2], FX_N4);
	CHECK_EQ_INT(k[3], FX_N6);
	/* root: app.py:10 (main) before [no Python stack]? '[' < 'a' */
	CHECK_EQ_INT(v.kids[v.kids_start[0]], FX_N5);
	CHECK_EQ_INT(v.kids[v.kids_start[0] + 1], FX_N1);

	CHECK_STR_EQ(view_node_label(&v, 0), "all");
	CHECK_STR_EQ(view_node_label(&v, FX_N2), "app.py:20 (load)");
	CHECK_STR_EQ(view_node_label(&v, FX_N3), "/nonexistent/py/json/decoder.py:337 (decode)");
	CHECK_STR_EQ(view_node_label(&v, FX_N5), "[no Python stack]");
	CHECK_STR_EQ(view_node_label(&v, FX_N6), "we;ird\nname.py:5 (f;n)");
	CHECK_STR_EQ(v.flabel[p.nodes[FX_N6].frame], "we:ird?name.py:5 (f:n)");
	CHECK(v.flabel[p.nodes[FX_N2].frame] == v.label[p.nodes[FX_N2].frame]); /* shared */

	/* top lines: a synthetic leaf ([C thread]) counts for its Python line;
	 * two frames with one key are one line; synthetic-only stacks and the
	 * unattributed bytes are their own entries */
	CHECK_EQ_INT(v.nlines, 6);
	CHECK_EQ_INT(v.ntop, 6);
	struct {
		const char *file, *func;
		unsigned line;
		int64_t bytes;
		int syn;
	} want[] = {
		{"app.py", "build", 30, 6050, 0},
		{"/nonexistent/py/json/decoder.py", "decode", 337, 3000, 0},
		{"app.py", "load", 20, 1011, 0},
		{"[no Python stack]", "", 0, 500, 1},
		{"[unattributed]", "", 0, 100, 1},
		{"we;ird\nname.py", "f;n", 5, 7, 0},
	};
	int64_t sum = 0;
	for (size_t i = 0; i < 6; i++) {
		CHECK_STR_EQ(v.top[i].file, want[i].file);
		CHECK_STR_EQ(v.top[i].func, want[i].func);
		CHECK_EQ_INT(v.top[i].line, want[i].line);
		CHECK_EQ_INT(v.top[i].bytes, want[i].bytes);
		CHECK_EQ_INT(v.top[i].synthetic, want[i].syn);
		CHECK(v.top[i].share > (double)want[i].bytes / FX_PEAK - 1e-12 &&
		      v.top[i].share < (double)want[i].bytes / FX_PEAK + 1e-12);
		CHECK_STR_EQ(v.top[i].source, ""); /* no such files here */
		sum += v.top[i].bytes;
	}
	CHECK_EQ_INT(sum, FX_PEAK);
	/* view_lines: every line, in the same order and with the same figures */
	struct view_top *all;
	size_t nall;
	CHECK_EQ_INT(view_lines(&v, &all, &nall), 0);
	CHECK_EQ_INT(nall, v.nlines);
	for (size_t i = 0; i < nall && i < v.ntop; i++) {
		CHECK_STR_EQ(all[i].file, v.top[i].file);
		CHECK_EQ_INT(all[i].line, v.top[i].line);
		CHECK_EQ_INT(all[i].bytes, v.top[i].bytes);
		CHECK_EQ_INT(all[i].frame, v.top[i].frame);
		CHECK_STR_EQ(all[i].source, "");
	}
	free(all);
	view_free(&v);
	src_free(src);
	profile_free(&p);
}

static void test_cwd_spellings(void)
{
	struct profile p;
	profile_init(&p);
	uint32_t f[5];
	profile_add_frame(&p, "/w/proj/a.py", "f", 1, 0, &f[0]);
	profile_add_frame(&p, "/w/project/b.py", "f", 1, 0, &f[1]); /* prefix, not under */
	profile_add_frame(&p, "rel/c.py", "f", 1, 0, &f[2]);
	profile_add_frame(&p, "/w/proj", "f", 1, 0, &f[3]);
	profile_add_frame(&p, "/w/proj/sub/d.py", "f", 1, 0, &f[4]);
	for (int i = 0; i < 5; i++)
		profile_add_node(&p, 0, f[i], 1, 0, NULL);
	struct view v;
	const char *cwds[] = {"/w/proj", "/w/proj/", "/w/proj//"};
	for (int c = 0; c < 3; c++) {
		CHECK_EQ_INT(view_build(&v, &p, cwds[c], NULL), 0);
		CHECK_STR_EQ(v.file[f[0]], "a.py");
		CHECK_STR_EQ(v.file[f[1]], "/w/project/b.py");
		CHECK_STR_EQ(v.file[f[2]], "rel/c.py");
		CHECK_STR_EQ(v.file[f[3]], "/w/proj");
		CHECK_STR_EQ(v.file[f[4]], "sub/d.py");
		view_free(&v);
	}
	CHECK_EQ_INT(view_build(&v, &p, "/", NULL), 0);
	CHECK_STR_EQ(v.file[f[0]], "w/proj/a.py");
	view_free(&v);
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	CHECK_STR_EQ(v.file[f[0]], "/w/proj/a.py");
	view_free(&v);
	profile_free(&p);
}

static void test_bad_trie_is_refused(void)
{
	struct profile p;
	fx_profile(&p);
	struct view v;
	p.nodes[FX_N3].parent = FX_N5 + 1; /* a parent after its child */
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), -EINVAL);
	p.nodes[FX_N3].parent = FX_N2;
	p.nodes[FX_N3].frame = p.nframes;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), -EINVAL);
	p.nodes[FX_N3].frame = 0;
	/* negative bytes (never written by the reader) read as zero */
	p.peak_self[FX_N2] = -5000;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	CHECK_EQ_INT(v.self[FX_N2], 0);
	CHECK_EQ_INT(v.incl[FX_N2], 3000);
	view_free(&v);
	profile_free(&p);
}

static void test_empty_profile(void)
{
	struct profile p;
	profile_init(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	CHECK_EQ_INT(v.total, 0);
	CHECK_EQ_INT(v.ntop, 0);
	view_free(&v);
	/* an exact peak with no sample at all: all of it is unattributed */
	p.peak_bytes = 12345;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	CHECK_EQ_INT(v.total, 12345);
	CHECK_EQ_INT(v.ntop, 1);
	CHECK_STR_EQ(v.top[0].file, "[unattributed]");
	view_free(&v);
	profile_free(&p);
}

/* Sums that would overflow int64_t are refused, never wrapped: a
 * hand-built profile adding past 2^63, a view of one, and processes
 * that together hold more than 2^63 bytes. */
static void test_sums_never_overflow(void)
{
	struct profile p;
	uint32_t f, n;
	CHECK_EQ_INT(profile_init(&p), 0);
	CHECK_EQ_INT(profile_add_frame(&p, "a.py", "f", 1, PROFILE_FRAME_PYTHON, &f), 0);
	CHECK_EQ_INT(profile_add_node(&p, 0, f, INT64_MAX - 10, 0, &n), 0);
	CHECK_EQ_INT(profile_add_node(&p, n, f, 11, 0, NULL), -EOVERFLOW);
	CHECK_EQ_INT(p.nnodes, 2); /* nothing added */
	CHECK_EQ_INT(p.peak_bytes, INT64_MAX - 10);
	CHECK_EQ_INT(profile_add_node(&p, n, f, 10, 0, NULL), 0);
	/* a profile whose stacks add past 2^63 (set by hand past the checks) */
	p.peak_self[2] = 20;
	struct src_cache *src = src_new(FX_CWD);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, src), -EOVERFLOW);
	p.peak_self[2] = 10;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, src), 0);
	CHECK_EQ_INT(v.total, INT64_MAX);
	CHECK_EQ_INT(v.incl[1], INT64_MAX);
	/* two such processes combined */
	struct view *views[2] = {&v, &v};
	const char *labels[2] = {"pid 1", "pid 2"};
	struct profile all;
	CHECK_EQ_INT(derive_combined(views, labels, 2, NULL, &all), -EOVERFLOW);
	CHECK_EQ_INT(derive_combined(views, labels, 1, NULL, &all), 0);
	CHECK_EQ_INT(all.peak_bytes, INT64_MAX);
	profile_free(&all);
	view_free(&v);
	src_free(src);
	profile_free(&p);

	/* the rescale behind every picture, on figures no reader lets through
	 * (a hand-built history): entries non-negative, the sum exact */
	struct profile_bytes raw[4] = {
		{INT64_MAX, INT64_MAX}, {INT64_MAX, 0}, {-5, INT64_MIN}, {INT64_MAX, INT64_MAX / 2}};
	int64_t out[4];
	for (int64_t target = 0; target <= INT64_MAX / 8; target = target * 7 + 1) {
		int64_t left = profile_rescale(out, raw, 4, target), sum = left;
		int negative = 0;
		for (int i = 0; i < 4; i++) {
			negative += out[i] < 0;
			CHECK(!ck_acc_i64(&sum, out[i]));
		}
		CHECK_EQ_INT(negative, 0);
		CHECK_EQ_INT(sum, target);
	}
}

/* Views built with a source cache share their frames' texts through it
 * (the memo): the same text as a view built alone, for a copy of the
 * profile's frames too (derive_profile's), each distinct frame computed
 * once; a view with another working directory gets its own texts. */
static void test_labels_shared_through_the_cache(void)
{
	struct profile p;
	fx_profile(&p);
	struct src_cache *src = src_new(FX_CWD);
	struct view alone, v, dv, other;
	CHECK_EQ_INT(view_build(&alone, &p, FX_CWD, NULL), 0);
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, src), 0);
	struct profile dp;
	CHECK_EQ_INT(derive_profile(&p, alone.self, 0, 1, NULL, &dp), 0);
	CHECK_EQ_INT(view_build(&dv, &dp, FX_CWD, src), 0);
	CHECK_EQ_INT(dp.nframes, p.nframes);
	int bad = 0, shared = 0;
	for (uint32_t f = 0; f < p.nframes; f++) {
		bad += strcmp(v.label[f], alone.label[f]) != 0;
		bad += strcmp(v.flabel[f], alone.flabel[f]) != 0;
		bad += strcmp(v.slabel[f], alone.slabel[f]) != 0;
		bad += strcmp(v.file[f], alone.file[f]) != 0;
		bad += v.kind[f] != alone.kind[f];
		bad += strcmp(dv.label[f], alone.label[f]) != 0;
		bad += strcmp(dv.flabel[f], alone.flabel[f]) != 0;
		shared += dv.label[f] == v.label[f] && dv.flabel[f] == v.flabel[f] &&
			  dv.slabel[f] == v.slabel[f] && dv.file[f] == v.file[f];
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(shared, (int)p.nframes);
	CHECK_STR_EQ(v.flabel[p.nodes[FX_N6].frame], "we:ird?name.py:5 (f:n)");
	/* the folded and the short label share the label when the same */
	CHECK(v.flabel[p.nodes[FX_N2].frame] == v.label[p.nodes[FX_N2].frame]);
	/* another origin: not the memo's texts ("app.py" is under FX_CWD only) */
	CHECK_EQ_INT(view_build(&other, &p, "/elsewhere", src), 0);
	CHECK_STR_EQ(view_node_label(&v, FX_N2), "app.py:20 (load)");
	CHECK(strcmp(view_node_label(&other, FX_N2), "app.py:20 (load)") != 0);
	CHECK(other.label[p.nodes[FX_N2].frame] != v.label[p.nodes[FX_N2].frame]);
	view_free(&other);
	view_free(&dv);
	profile_free(&dp);
	/* the memo outlives the views: v's texts are still there */
	struct view again;
	CHECK_EQ_INT(view_build(&again, &p, FX_CWD, src), 0);
	CHECK(again.label[p.nodes[FX_N2].frame] == v.label[p.nodes[FX_N2].frame]);
	view_free(&again);
	view_free(&v);
	view_free(&alone);
	src_free(src);
	profile_free(&p);
}

/* Children are in label order, equal labels in index order, for a parent
 * with a few children (sorted in place) and one with many (qsort). */
static void test_children_order(void)
{
	struct profile p;
	profile_init(&p);
	static const char *const names[] = {"b.py", "a.py", "c.py", "a.py;x", "B.py"};
	uint32_t f[5];
	for (int i = 0; i < 5; i++)
		profile_add_frame(&p, names[i], "f", 1 + (uint32_t)(i % 2), 0, &f[i]);
	uint64_t rng = 12345;
	uint32_t mid = 0;
	for (int i = 0; i < 50; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint32_t parent = i < 40 ? 0 : mid; /* the root gets 40, one node 10 */
		uint32_t idx;
		profile_add_node(&p, parent, f[rng % 5], 1, 0, &idx);
		if (i == 3)
			mid = idx;
	}
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	int bad = 0;
	for (uint32_t par = 0; par < v.nnodes; par++)
		for (uint32_t k = v.kids_start[par] + 1; k < v.kids_start[par + 1]; k++) {
			uint32_t a = v.kids[k - 1], b = v.kids[k];
			int c = strcmp(view_node_label(&v, a), view_node_label(&v, b));
			bad += c > 0 || (c == 0 && a > b);
			bad += p.nodes[a].parent != par || p.nodes[b].parent != par;
		}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(v.kids_start[1] - v.kids_start[0], 40);
	CHECK_EQ_INT(v.kids_start[mid + 1] - v.kids_start[mid], 10);
	CHECK_EQ_INT(v.kids_start[v.nnodes], v.nnodes - 1);
	view_free(&v);
	profile_free(&p);
}

/* A view built like another (view_build_like) is the view built afresh:
 * a derived picture takes the texts, another picture of the same nodes
 * also the children's order, depths and lines. */
static int same_view(const struct view *a, const struct view *b)
{
	int bad = a->nnodes != b->nnodes || a->nframes != b->nframes || a->total != b->total ||
		  a->max_depth != b->max_depth || a->ntop != b->ntop || a->nlines != b->nlines ||
		  a->nmine != b->nmine || a->nmine_lines != b->nmine_lines;
	for (uint32_t f = 0; !bad && f < a->nframes; f++)
		bad += a->label[f] != b->label[f] || a->flabel[f] != b->flabel[f] ||
		       a->slabel[f] != b->slabel[f] || a->file[f] != b->file[f] || a->kind[f] != b->kind[f];
	for (uint32_t n = 0; !bad && n < a->nnodes; n++)
		bad += a->kids_start[n + 1] != b->kids_start[n + 1] || a->kids[n] != b->kids[n] ||
		       a->depth[n] != b->depth[n] || a->node_line[n] != b->node_line[n] ||
		       a->self[n] != b->self[n] || a->incl[n] != b->incl[n];
	for (size_t i = 0; !bad && i < a->ntop; i++)
		bad += a->top[i].frame != b->top[i].frame || a->top[i].bytes != b->top[i].bytes ||
		       strcmp(a->top[i].file, b->top[i].file) != 0;
	for (size_t i = 0; !bad && i < a->nmine; i++)
		bad += a->mine[i].l.frame != b->mine[i].l.frame ||
		       a->mine[i].l.bytes != b->mine[i].l.bytes || strcmp(a->mine[i].via, b->mine[i].via);
	return !bad;
}

static void test_built_like_is_built_afresh(void)
{
	struct profile p;
	fx_profile(&p);
	struct origin o;
	origin_init_cwd(&o, FX_CWD);
	struct src_cache *src = src_new(FX_CWD);
	struct view v, fresh, like;
	CHECK_EQ_INT(view_build_in(&v, &p, &o, src), 0);
	for (int reverse = 0; reverse < 2; reverse++) {
		struct profile dp;
		CHECK_EQ_INT(derive_profile(&p, v.self, DERIVE_FOLD_ALL, reverse, &o, &dp), 0);
		CHECK_EQ_INT(view_build_in(&fresh, &dp, &o, src), 0);
		CHECK_EQ_INT(view_build_like(&like, &dp, &v, &o, src), 0);
		CHECK(same_view(&fresh, &like));
		view_free(&fresh);
		view_free(&like);
		profile_free(&dp);
	}
	/* the same nodes with another picture (live at exit) */
	struct profile ep = p;
	ep.peak_self = p.live_self;
	ep.peak_bytes = p.end_bytes;
	CHECK_EQ_INT(view_build_in(&fresh, &ep, &o, src), 0);
	CHECK_EQ_INT(view_build_like(&like, &ep, &v, &o, src), 0);
	CHECK(same_view(&fresh, &like));
	view_free(&fresh);
	view_free(&like);
	/* without a cache there is no memo to share: built afresh */
	struct view alone;
	CHECK_EQ_INT(view_build_like(&alone, &p, &v, &o, NULL), 0);
	CHECK_STR_EQ(view_node_label(&alone, FX_N2), "app.py:20 (load)");
	CHECK(alone.label[p.nodes[FX_N2].frame] != v.label[p.nodes[FX_N2].frame]);
	view_free(&alone);
	view_free(&v);
	src_free(src);
	profile_free(&p);
}

int main(void)
{
	test_built_like_is_built_afresh();
	test_children_order();
	test_labels_shared_through_the_cache();
	test_totals_and_order();
	test_cwd_spellings();
	test_bad_trie_is_refused();
	test_empty_profile();
	test_sums_never_overflow();
	return check_summary();
}
