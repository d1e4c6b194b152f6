/* report/folded.c — folded stacks of the peak (folded.h). */
#include "report/folded.h"

#include "common/numfmt.h"

#include <stdlib.h>
#include <string.h>

struct line {
	const char *stack;
	int64_t bytes;
};

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

void folded_write(struct buf *out, const struct view *v)
{
	const struct profile *p = v->p;
	size_t n = 0;
	for (uint32_t i = 0; i < v->nnodes; i++)
		n += v->self[i] > 0;
	if (n == 0)
		return;
	struct line *lines = malloc(n * sizeof(*lines));
	size_t *off = malloc(n * sizeof(*off));
	uint32_t *path = malloc(((size_t)v->max_depth + 1) * sizeof(*path));
	struct buf text;
	buf_init(&text);
	if (!lines || !off || !path) {
		out->oom = 1;
		goto done;
	}
	/* Every stack's text goes into one buffer first (offsets, since the
	 * buffer moves as it grows); pointers are taken once it is complete. */
	size_t k = 0;
	for (uint32_t i = 0; i < v->nnodes; i++) {
		if (v->self[i] <= 0)
			continue;
		off[k] = text.len;
		lines[k].bytes = v->self[i];
		if (i == 0) {
			buf_puts(&text, VIEW_UNATTRIBUTED);
		} else {
			uint32_t d = 0;
			for (uint32_t j = i; j != 0; j = p->nodes[j].parent)
				path[d++] = j;
			while (d--) {
				buf_puts(&text, v->flabel[p->nodes[path[d]].frame]);
				if (d)
					buf_putc(&text, ';');
			}
		}
		buf_putc(&text, 0);
		k++;
	}
	if (text.oom) {
		out->oom = 1;
		goto done;
	}
	for (size_t j = 0; j < n; j++)
		lines[j].stack = text.p + off[j];
	qsort(lines, n, sizeof(*lines), line_cmp);
	for (size_t j = 0; j < n;) {
		int64_t bytes = lines[j].bytes;
		size_t e = j + 1;
		while (e < n && !strcmp(lines[e].stack, lines[j].stack))
			bytes += lines[e++].bytes;
		char num[NUMFMT_MAX];
		buf_puts(out, lines[j].stack);
		buf_putc(out, ' '); /* " %lld\n" without printf: a line a stack */
		buf_put(out, num, (size_t)numfmt_i64(num, bytes));
		buf_putc(out, '\n');
		j = e;
	}
done:
	buf_free(&text);
	free(path);
	free(off);
	free(lines);
}
