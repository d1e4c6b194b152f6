/* Unit tests of report/source.c: stripped lines, relative names, files that
 * must not be read (pseudo-files, FIFOs), long lines, read-once caching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report/escape.h"
#include "report/source.h"
#include "report_fixture.h"

static char dir[256];

static void test_lines_are_stripped(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/a.py", dir);
	fx_write(path, "  x = 1  \n\ty = 2\r\n\n   \nlast line without newline");
	struct src_cache *c = src_new(dir);
	CHECK_STR_EQ(src_line(c, path, 1), "x = 1");
	CHECK_STR_EQ(src_line(c, path, 2), "y = 2");
	CHECK_STR_EQ(src_line(c, path, 3), "");
	CHECK_STR_EQ(src_line(c, path, 4), "");
	CHECK_STR_EQ(src_line(c, path, 5), "last line without newline");
	CHECK_STR_EQ(src_line(c, path, 6), "");
	CHECK_STR_EQ(src_line(c, path, 0), "");
	/* relative to the run's cwd */
	CHECK_STR_EQ(src_line(c, "a.py", 2), "y = 2");
	/* read once: a later change is not seen, the same string comes back */
	const char *first = src_line(c, path, 1);
	fx_write(path, "changed\n");
	CHECK(src_line(c, path, 1) == first);
	CHECK_STR_EQ(src_line(c, path, 1), "x = 1");
	src_free(c);
}

static void test_unreadable_and_pseudo_files(void)
{
	struct src_cache *c = src_new(dir);
	CHECK_STR_EQ(src_line(c, "/nonexistent/zzz.py", 1), "");
	CHECK_STR_EQ(src_line(c, "missing.py", 1), "");
	/* "<string>" names no file, even if the cwd has one of that name */
	char path[512];
	snprintf(path, sizeof(path), "%s/<string>", dir);
	fx_write(path, "not the code\n");
	CHECK_STR_EQ(src_line(c, "<string>", 1), "");
	/* a FIFO would block a reader forever: not read */
	snprintf(path, sizeof(path), "%s/fifo.py", dir);
	CHECK_EQ_INT(mkfifo(path, 0600), 0);
	CHECK_STR_EQ(src_line(c, path, 1), "");
	CHECK_STR_EQ(src_line(c, dir, 1), ""); /* a directory */
	CHECK_STR_EQ(src_line(c, "/dev/zero", 1), "");
	src_free(c);
}

static void test_long_lines_are_cut_on_a_character(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/long.py", dir);
	/* 1 + 3 * 300 bytes: 'x' then "€" (3 bytes each) */
	struct buf b;
	buf_init(&b);
	buf_putc(&b, 'x');
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "\xe2\x82\xac");
	buf_puts(&b, "\nnext\n");
	fx_write(path, buf_str(&b));
	buf_free(&b);
	struct src_cache *c = src_new(dir);
	const char *l = src_line(c, path, 1);
	size_t n = strlen(l);
	CHECK(n <= SRC_MAX_LINE);
	CHECK(n > SRC_MAX_LINE - 6);
	CHECK(!strcmp(l + n - 3, "..."));
	/* every byte before "..." decodes as a whole character */
	size_t i = 0;
	while (i < n - 3) {
		uint32_t cp;
		i += esc_utf8_next(l + i, n - 3 - i, &cp);
		CHECK(cp != 0xfffd);
	}
	CHECK_EQ_INT(i, n - 3);
	CHECK_STR_EQ(src_line(c, path, 2), "next");
	src_free(c);
}

static void test_many_files(void)
{
	/* enough files to make the table grow several times */
	struct src_cache *c = src_new(dir);
	for (int i = 0; i < 300; i++) {
		char path[512], text[64];
		snprintf(path, sizeof(path), "%s/m%d.py", dir, i);
		snprintf(text, sizeof(text), "line one of %d\n", i);
		fx_write(path, text);
		text[strlen(text) - 1] = 0; /* the newline is not part of the line */
		CHECK_STR_EQ(src_line(c, path, 1), text);
	}
	char want[64];
	snprintf(want, sizeof(want), "line one of %d", 17);
	char path[512];
	snprintf(path, sizeof(path), "%s/m17.py", dir);
	CHECK_STR_EQ(src_line(c, path, 1), want);
	src_free(c);
}

/* Lines are indexed as far as they are asked for: a line far down, then
 * one above it, then past the end, in a file of 5,000 lines; what is saved
 * is the lines served, wherever they were. */
static void test_lines_indexed_on_demand(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/many.py", dir);
	size_t cap = 5000 * 32;
	char *text = malloc(cap), *o = text;
	for (int i = 1; i <= 5000; i++)
		o += snprintf(o, cap - (size_t)(o - text), "  line_%d = %d\n", i, i);
	fx_write(path, text);
	free(text);
	struct src_cache *c = src_new(dir);
	CHECK_STR_EQ(src_line(c, path, 3000), "line_3000 = 3000");
	CHECK_STR_EQ(src_line(c, path, 7), "line_7 = 7");
	CHECK_STR_EQ(src_line(c, path, 4999), "line_4999 = 4999");
	CHECK_STR_EQ(src_line(c, path, 5000), "line_5000 = 5000");
	CHECK_STR_EQ(src_line(c, path, 5001), "");
	CHECK_STR_EQ(src_line(c, path, 3000), "line_3000 = 3000");
	char *saved;
	size_t len;
	CHECK_EQ_INT(src_save(c, &saved, &len), 0);
	CHECK(strstr(saved, "\n7 line_7%20=%207\n3000 line_3000%20=%203000\n"
			    "4999 line_4999%20=%204999\n5000 line_5000%20=%205000\n") != NULL);
	CHECK(strstr(saved, "\n8 ") == NULL);
	free(saved);
	src_free(c);
}

int main(void)
{
	test_lines_indexed_on_demand();
	fx_tmpdir(dir, sizeof(dir));
	test_lines_are_stripped();
	test_unreadable_and_pseudo_files();
	test_long_lines_are_cut_on_a_character();
	test_many_files();
	fx_rmrf(dir);
	return check_summary();
}
