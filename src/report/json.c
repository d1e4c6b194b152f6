/* report/json.c — streaming JSON writer (json.h). */
#include "report/json.h"

#include "common/numfmt.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/escape.h"

void jw_init(struct jw *w, struct buf *b, int pretty, unsigned esc_flags)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->pretty = pretty;
	w->esc_flags = esc_flags;
}

static void newline(struct jw *w)
{
	if (!w->pretty)
		return;
	buf_putc(w->b, '\n');
	for (int i = 0; i < w->depth; i++)
		buf_puts(w->b, "  ");
}

/* Before any value or key: the separator its position needs. */
static void pre(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->flat) {
		assert(w->depth == w->flat);
		if (w->used[w->depth])
			buf_puts(w->b, w->pretty ? ", " : ",");
		w->used[w->depth] = 1;
		return;
	}
	if (w->used[w->depth])
		buf_putc(w->b, ',');
	w->used[w->depth] = 1;
	newline(w);
}

static void open_(struct jw *w, char c)
{
	pre(w);
	buf_putc(w->b, c);
	assert(w->depth + 1 < JW_MAX_DEPTH);
	w->depth++;
	w->used[w->depth] = 0;
}

static void close_(struct jw *w, char c)
{
	assert(w->depth > 0);
	int had = w->used[w->depth] && !w->flat;
	w->flat = 0;
	w->depth--;
	if (had)
		newline(w);
	buf_putc(w->b, c);
	if (w->depth == 0 && w->pretty)
		buf_putc(w->b, '\n');
}

void jw_obj(struct jw *w) { open_(w, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr(struct jw *w) { open_(w, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

void jw_arr_flat(struct jw *w)
{
	assert(!w->flat);
	open_(w, '[');
	w->flat = w->depth;
}

void jw_key(struct jw *w, const char *key)
{
	pre(w);
	esc_json(w->b, key, w->esc_flags);
	buf_puts(w->b, w->pretty ? ": " : ":");
	w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	pre(w);
	esc_json(w->b, s, w->esc_flags);
}

void jw_int(struct jw *w, int64_t v)
{
	pre(w);
	char s[NUMFMT_MAX];
	buf_put(w->b, s, (size_t)numfmt_i64(s, v));
}

void jw_uint_array(struct jw *w, const uint32_t *v, size_t n)
{
	if (w->pretty || w->flat) {
		jw_arr(w);
		for (size_t i = 0; i < n; i++)
			jw_int(w, v[i]);
		jw_arr_end(w);
		return;
	}
	pre(w);
	buf_putc(w->b, '[');
	char s[NUMFMT_MAX];
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(w->b, ',');
		buf_put(w->b, s, (size_t)numfmt_i64(s, v[i]));
	}
	buf_putc(w->b, ']');
}

void jw_raw(struct jw *w, const char *text, size_t n)
{
	pre(w);
	buf_put(w->b, text, n);
}

void jw_num(struct jw *w, double v, int decimals)
{
	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	char s[64];
	int n = decimals >= 0 && decimals <= 4 ? numfmt_fixed(s, v, decimals)
					       : snprintf(s, sizeof(s), "%.*f", decimals, v);
	if (n < 0 || (size_t)n >= sizeof(s)) {
		jw_null(w);
		return;
	}
	if (strchr(s, '.')) {
		while (n > 0 && s[n - 1] == '0')
			s[--n] = 0;
		if (n > 0 && s[n - 1] == '.')
			s[--n] = 0;
	}
	if (!strcmp(s, "-0"))
		strcpy(s, "0");
	pre(w);
	buf_puts(w->b, s);
}

void jw_bool(struct jw *w, int v)
{
	pre(w);
	buf_puts(w->b, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	pre(w);
	buf_puts(w->b, "null");
}
