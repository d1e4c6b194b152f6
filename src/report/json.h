/* report/json.h — a small streaming JSON writer over a struct buf.
 *
 * Contract
 *   - The caller opens and closes containers in order; the writer places
 *     commas, `: ` and (when `pretty`) newlines with two-space indents.
 *     Nesting deeper than JW_MAX_DEPTH is a caller bug (asserted).
 *   - Strings go through esc_json with the writer's flags: ESC_JSON_SCRIPT
 *     makes the whole document safe inside an HTML <script> element.
 *   - jw_arr_flat() opens an array written on one line even when pretty
 *     (`[1.5, 2048]`): for the many small tuples of a series.  Nothing
 *     inside it may be a container.
 *   - jw_uint_array() writes an array of n numbers (jw_arr, jw_int each,
 *     jw_arr_end: the same bytes), without a call per number when not
 *     pretty (a speedscope file's samples are tens of thousands of them).
 *   - jw_raw() places a value given as JSON text (not checked: the
 *     caller's to get right) where the next value goes.
 *   - jw_str(NULL) and non-finite numbers write null.
 *   - Out of memory is recorded in the buffer (see buf.h).
 */
#ifndef OOMPH_REPORT_JSON_H
#define OOMPH_REPORT_JSON_H

#include <stdint.h>

#include "report/buf.h"

#define JW_MAX_DEPTH 32

struct jw {
	struct buf *b;
	unsigned esc_flags;
	int pretty;
	int depth;
	int after_key;
	int flat;                         /* depth of the open jw_arr_flat, 0 none */
	unsigned char used[JW_MAX_DEPTH]; /* container at this depth has an element */
};

void jw_init(struct jw *w, struct buf *b, int pretty, unsigned esc_flags);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_arr_flat(struct jw *w); /* closed by jw_arr_end */
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint_array(struct jw *w, const uint32_t *v, size_t n);
/* A value the caller wrote as JSON text already (n bytes: a number, an
 * array of numbers), placed as any value is. */
void jw_raw(struct jw *w, const char *text, size_t n);
/* A fixed-point number with at most `decimals` digits after the point,
 * trailing zeros dropped ("1.5", "2"), so output is stable across libcs. */
void jw_num(struct jw *w, double v, int decimals);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);

#endif
