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

int main(void)
{
	test_golden();
	test_empty_and_deep();
	return check_summary();
}
