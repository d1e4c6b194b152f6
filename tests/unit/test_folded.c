/* Unit tests of report/folded.c: the fixture profile against the golden
 * file tests/unit/golden/peak.folded (written by hand from the fixture's
 * table, see report_fixture.h), and the format's invariants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/folded.h"
#include "report_fixture.h"

static void test_golden(void)
{
	struct profile p;
	fx_profile(&p);
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, FX_CWD, NULL), 0);
	struct buf b;
	buf_init(&b);
	folded_write(&b, &v);
	CHECK(!b.oom);
	char *golden = fx_read("tests/unit/golden/peak.folded");
	CHECK(golden != NULL);
	CHECK_STR_EQ(buf_str(&b), golden ? golden : "");

	/* Every line is `stack BYTES` with BYTES > 0, the lines are sorted and
	 * distinct, and the bytes add up to the exact peak. */
	char *text = strdup(buf_str(&b)), *save = NULL, *prev = NULL;
	long long sum = 0;
	int lines = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(l, ' ');
		CHECK(sp != NULL);
		if (!sp)
			break;
		char *end;
		long long n = strtoll(sp + 1, &end, 10);
		CHECK(*end == 0 && n > 0);
		sum += n;
		*sp = 0;
		if (prev)
			CHECK(strcmp(prev, l) < 0);
		prev = l;
		lines++;
	}
	CHECK_EQ_INT(sum, FX_PEAK);
	CHECK_EQ_INT(lines, 7);
	free(text);
	free(golden);
	buf_free(&b);
	view_free(&v);
	profile_free(&p);
}

static void test_empty_and_deep(void)
{
	struct profile p;
	profile_init(&p);
	struct view v;
	struct buf b;
	buf_init(&b);
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	folded_write(&b, &v);
	CHECK_EQ_INT(b.len, 0);
	view_free(&v);

	/* 5000 frames deep: every frame, root first, in one line */
	uint32_t f, node = 0;
	profile_add_frame(&p, "r.py", "dive", 7, 0, &f);
	for (int i = 0; i < 5000; i++)
		profile_add_node(&p, node, f, i == 4999 ? 64 : 0, 0, &node);
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	folded_write(&b, &v);
	CHECK_EQ_INT(fx_count(buf_str(&b), "r.py:7 (dive)"), 5000);
	CHECK_EQ_INT(fx_count(buf_str(&b), ";"), 4999);
	CHECK_EQ_INT(fx_count(buf_str(&b), "\n"), 1);
	CHECK(b.len > 4 && !strcmp(buf_str(&b) + b.len - 4, " 64\n"));
	view_free(&v);
	buf_free(&b);
	profile_free(&p);
}

/* The file as it was first written: every stack's text built, sorted
 * with strcmp, equal texts merged. */
struct ref_line {
	char *text;
	int64_t bytes;
};

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref_line *)a)->text, ((const struct ref_line *)b)->text);
}

static char *ref_folded(const struct view *v)
{
	struct ref_line *l = calloc(v->nnodes, sizeof(*l));
	size_t n = 0;
	for (uint32_t i = 0; i < v->nnodes; i++) {
		if (v->self[i] <= 0)
			continue;
		struct buf t;
		buf_init(&t);
		if (i == 0) {
			buf_puts(&t, VIEW_UNATTRIBUTED);
		} else {
			uint32_t path[64], d = 0;
			for (uint32_t j = i; j; j = v->p->nodes[j].parent)
				path[d++] = j;
			while (d--) {
				buf_puts(&t, v->flabel[v->p->nodes[path[d]].frame]);
				if (d)
					buf_putc(&t, ';');
			}
		}
		l[n].text = t.p;
		l[n++].bytes = v->self[i];
	}
	qsort(l, n, sizeof(*l), ref_cmp);
	struct buf out;
	buf_init(&out);
	for (size_t j = 0; j < n;) {
		int64_t b = l[j].bytes;
		size_t e = j + 1;
		while (e < n && !strcmp(l[e].text, l[j].text))
			b += l[e++].bytes;
		buf_printf(&out, "%s %lld\n", l[j].text, (long long)b);
		j = e;
	}
	for (size_t j = 0; j < n; j++)
		free(l[j].text);
	free(l);
	buf_putc(&out, 0);
	return out.p;
}

/* Random tries, with labels that share starts ("a.py:1 (f)" and
 * "a.py:1 (f)x", "a!"), escape alike ("x;y" and "x:y") or are the same for
 * two frames (sorted), and with prefix-free labels only (walked): the
 * same text as the reference. */
static void test_same_as_sorting_the_texts(void)
{
	static const char *const tricky[] = {"a.py", "a.py!", "a.py:1", "b.py", "x;y", "x:y", "b.py"};
	static const char *const plain[] = {"a.py", "b.py", "c.py", "d/e.py", "f.py"};
	uint64_t rng = 0x2545f4914f6cdd1dull;
	int bad = 0;
	for (int round = 0; round < 400; round++) {
		int walkable = round & 1;
		struct profile p;
		profile_init(&p);
		uint32_t nf = walkable ? 5 : 7, f[7];
		for (uint32_t i = 0; i < nf; i++)
			profile_add_frame(&p, walkable ? plain[i] : tricky[i], "", 0,
					  PROFILE_FRAME_SYNTHETIC, &f[i]);
		for (int i = 0; i < 60; i++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			uint32_t parent = (uint32_t)(rng % p.nnodes);
			uint32_t fr = f[(rng >> 20) % nf];
			int dup = 0; /* a trie: one child per frame */
			for (uint32_t k = 1; k < p.nnodes; k++)
				dup |= p.nodes[k].parent == parent && p.nodes[k].frame == fr;
			if (dup)
				continue;
			int64_t self = (rng >> 40) % 3 ? (int64_t)((rng >> 44) % 1000) : 0;
			profile_add_node(&p, parent, fr, self, 0, NULL);
		}
		if (round % 5 == 0)
			p.peak_self[0] = 7; /* the root's own bytes */
		struct view v;
		CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
		struct buf got;
		buf_init(&got);
		folded_write(&got, &v);
		char *want = ref_folded(&v);
		bad += strcmp(buf_str(&got), want) != 0;
		free(want);
		buf_free(&got);
		view_free(&v);
		profile_free(&p);
	}
	CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	test_same_as_sorting_the_texts();
	test_golden();
	test_empty_and_deep();
	return check_summary();
}
