/* Unit tests of report/json.c: jw_uint_array writes what jw_arr, jw_int
 * each and jw_arr_end write, compact and pretty, in any position; jw_raw
 * places its text as the value it spells. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "report/buf.h"
#include "report/json.h"

static void doc(struct buf *b, int pretty, int fast, const uint32_t *v, size_t n)
{
	struct jw w;
	jw_init(&w, b, pretty, 0);
	jw_obj(&w);
	jw_key(&w, "a");
	jw_arr(&w);
	for (int rep = 0; rep < 3; rep++) {
		if (fast) {
			jw_uint_array(&w, v, n);
		} else {
			jw_arr(&w);
			for (size_t i = 0; i < n; i++)
				jw_int(&w, v[i]);
			jw_arr_end(&w);
		}
	}
	jw_arr_end(&w);
	jw_key(&w, "b");
	if (fast) {
		jw_uint_array(&w, v, n);
	} else {
		jw_arr(&w);
		for (size_t i = 0; i < n; i++)
			jw_int(&w, v[i]);
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
}

static void test_uint_array_is_the_loop(void)
{
	static const uint32_t v[] = {0, 7, 10, 99, 100, 12345, 4294967295u, 1};
	int bad = 0;
	for (int pretty = 0; pretty < 2; pretty++)
		for (size_t n = 0; n <= sizeof v / sizeof v[0]; n++) {
			struct buf a, b;
			buf_init(&a);
			buf_init(&b);
			doc(&a, pretty, 1, v, n);
			doc(&b, pretty, 0, v, n);
			if (strcmp(buf_str(&a), buf_str(&b))) {
				bad++;
				fprintf(stderr, "%s\n---\n%s\n", buf_str(&a), buf_str(&b));
			}
			buf_free(&a);
			buf_free(&b);
		}
	CHECK_EQ_INT(bad, 0);
}

/* A raw value takes the place (and the comma) of the value it spells. */
static void test_raw_is_placed_as_a_value(void)
{
	static const uint32_t v[] = {3, 14, 15};
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	struct jw w;
	jw_init(&w, &a, 0, 0);
	jw_obj(&w);
	jw_key(&w, "s");
	jw_arr(&w);
	jw_uint_array(&w, v, 3);
	jw_uint_array(&w, v, 1);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_init(&w, &b, 0, 0);
	jw_obj(&w);
	jw_key(&w, "s");
	jw_arr(&w);
	jw_raw(&w, "[3,14,15]", 9);
	jw_raw(&w, "[3]", 3);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK_STR_EQ(buf_str(&b), buf_str(&a));
	CHECK_STR_EQ(buf_str(&b), "{\"s\":[[3,14,15],[3]]}");
	buf_free(&a);
	buf_free(&b);
}

int main(void)
{
	test_uint_array_is_the_loop();
	test_raw_is_placed_as_a_value();
	return check_summary();
}
