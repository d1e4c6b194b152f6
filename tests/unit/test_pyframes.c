/* Unit tests of tracker/pyframes.c's reader of CPython's _Py_DebugOffsets:
 * the tables of real builds (3.13, 3.14, 3.15) give the layouts their
 * headers describe, and anything else is refused with its reason. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "tracker/pyframes.h"

/* The first words of _PyRuntime of three real builds, up to the str
 * section: read from the running interpreters (ctypes.string_at of
 * _PyRuntime) of pyenv's CPython 3.13.0 and Debian's 3.14.10 and 3.15.2. */
#include "pyframes_tables.h"

static uint64_t buf[128];

/* A copy of `table` with its cookie, in buf. */
static const void *with_cookie(const uint64_t *table, size_t words)
{
	memcpy(buf, table, words * sizeof(uint64_t));
	memcpy(buf, "xdebugpy", 8);
	return buf;
}

static void check_layout_313_on(const struct pyframes_layout *l)
{
	CHECK_EQ_INT(l->ts_frame, 72);
	CHECK_EQ_INT(l->via_cframe, 0);
	CHECK_EQ_INT(l->frame_objects, 0);
	CHECK_EQ_INT(l->frame_code, 0);
	CHECK_EQ_INT(l->frame_previous, 8);
	CHECK_EQ_INT(l->frame_instr, 56);
	CHECK_EQ_INT(l->owner_generator, 1);
	CHECK_EQ_INT(l->owner_not_code, 3);
	CHECK_EQ_INT(l->code_filename, 112);
	CHECK_EQ_INT(l->code_name, 128); /* co_qualname */
	CHECK_EQ_INT(l->code_first_traceable, l->code_units - 16);
	CHECK_EQ_INT(l->ob_type, 8);
	CHECK_EQ_INT(l->str_length, 16);
	CHECK_EQ_INT(l->str_state, 32);
	CHECK_EQ_INT(l->str_data, 40);
}

static void test_real_tables_give_their_layouts(void)
{
	/* where 3.14 moved the frame's owner and the instructions, and how
	 * f_executable is tagged (a plain PyObject * in 3.13, _PyStackRef's
	 * Py_TAG_BITS after) */
	const struct {
		const uint64_t *table;
		size_t words;
		int minor;
		size_t owner, units;
		uintptr_t tag_mask;
	} real[] = {
		{table_313, 71, 13, 70, 200, 0},
		{table_314, 81, 14, 74, 208, 1},
		{table_315, 93, 15, 74, 208, 3},
	};
	for (size_t k = 0; k < sizeof real / sizeof real[0]; k++) {
		struct pyframes_layout l;
		memset(&l, 0x5a, sizeof l);
		CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(real[k].table, real[k].words),
							  real[k].words * 8, real[k].minor, &l), 0);
		CHECK_EQ_INT(l.minor, real[k].minor);
		check_layout_313_on(&l);
		CHECK_EQ_INT(l.frame_owner, real[k].owner);
		CHECK_EQ_INT(l.code_units, real[k].units);
		CHECK_EQ_INT(l.code_tag_mask, real[k].tag_mask);
	}
}

static void test_a_table_read_as_another_minor_is_refused(void)
{
	struct pyframes_layout l;
	/* the version says which minor it is */
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_313, 71), sizeof(buf), 14, &l),
		     -EPROTO);
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_315, 93), sizeof(buf), 13, &l),
		     -EPROTO);
	/* and if a version lied, the sections would not fit their sizes */
	const struct {
		const uint64_t *table;
		size_t words;
		int as;
	} lies[] = {
		{table_313, 71, 14}, {table_313, 71, 15}, {table_314, 81, 13},
		{table_314, 81, 15}, {table_315, 93, 13}, {table_315, 93, 14},
	};
	for (size_t k = 0; k < sizeof lies / sizeof lies[0]; k++) {
		with_cookie(lies[k].table, lies[k].words);
		buf[1] = 0x03000000u | (uint64_t)lies[k].as << 16;
		int rc = pyframes_parse_debug_offsets(buf, sizeof(buf), lies[k].as, &l);
		if (rc != -ERANGE)
			fprintf(stderr, "table %zu read as 3.%d: %d\n", k, lies[k].as, rc);
		CHECK_EQ_INT(rc, -ERANGE);
	}
}

static void test_what_is_not_a_table_we_know_is_refused(void)
{
	struct pyframes_layout l;
	/* no cookie: not the table (or a build without one) */
	memcpy(buf, table_314, sizeof(table_314));
	CHECK_EQ_INT(pyframes_parse_debug_offsets(buf, sizeof(buf), 14, &l), -ENOENT);
	/* minors without a table, or newer than we know */
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_314, 81), sizeof(buf), 12, &l),
		     -ENOTSUP);
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_314, 81), sizeof(buf), 16, &l),
		     -ENOTSUP);
	/* a free-threaded build */
	with_cookie(table_314, 81);
	buf[2] = 1;
	CHECK_EQ_INT(pyframes_parse_debug_offsets(buf, sizeof(buf), 14, &l), -ENOSYS);
	/* cut short */
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_314, 81),
						  sizeof(table_314) - 8, 14, &l), -ERANGE);
	CHECK_EQ_INT(pyframes_parse_debug_offsets(with_cookie(table_314, 81), 16, 14, &l), -ERANGE);
}

static void test_offsets_outside_their_structure_are_refused(void)
{
	struct pyframes_layout l;
	/* 3.14: thread_state starts at word 22, interpreter_frame at 31,
	 * code_object at 39, pyobject at 50, unicode_object at 77. */
	const struct {
		size_t word;
		uint64_t value;
	} bad[] = {
		{26, 832},      /* current_frame at the thread state's end */
		{26, 73},       /* ... misaligned */
		{22, 1u << 20}, /* a thread state of 1 MiB */
		{31, 0},        /* a frame of no size */
		{33, 4096},     /* f_executable beyond the frame */
		{36, 88},       /* owner beyond the frame */
		{48, 100},      /* instructions before co_qualname */
		{48, 216},      /* instructions at the code object's end */
		{51, 16},       /* ob_type beyond PyObject */
		{80, 100},      /* sizeof(PyASCIIObject) larger than the str */
		{79, 40},       /* length beyond PyASCIIObject */
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		with_cookie(table_314, 81);
		buf[bad[k].word] = bad[k].value;
		int rc = pyframes_parse_debug_offsets(buf, sizeof(table_314), 14, &l);
		if (rc != -ERANGE)
			fprintf(stderr, "word %zu = %llu: %d\n", bad[k].word,
				(unsigned long long)bad[k].value, rc);
		CHECK_EQ_INT(rc, -ERANGE);
	}
}

int main(void)
{
	test_real_tables_give_their_layouts();
	test_a_table_read_as_another_minor_is_refused();
	test_what_is_not_a_table_we_know_is_refused();
	test_offsets_outside_their_structure_are_refused();
	return check_summary();
}
