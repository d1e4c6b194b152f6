/* report/folded.c — folded stacks of the peak (folded.h). */
#include "report/folded.h"

#include "common/numfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A stack with bytes: its frames' folded labels, root first. */
struct line {
	const char *const *path;
	uint32_t depth;
	int64_t bytes;
};

/* What follows label k of a stack in its text: ';' and the next label,
 * or the end (NUL). */
static unsigned char after(const struct line *l, uint32_t k)
{
	return k + 1 < l->depth ? ';' : 0;
}

/* strcmp of the two stacks' texts, without the texts: label by label (a
 * view's labels are shared strings, and two stacks share every frame
 * down to where they part: equal pointers are equal labels), and where
 * two labels differ, strcmp of the labels unless one is the start of the
 * other, when the next byte of the joined texts decides. */
static int line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	uint32_t k = 0;
	for (;; k++) {
		if (k == x->depth || k == y->depth) /* one text ends here */
			return k == x->depth ? (k == y->depth ? 0 : -1) : 1;
		const char *p = x->path[k], *q = y->path[k];
		if (p == q)
			continue;
		int c = strcmp(p, q);
		if (!c)
			continue;
		size_t np = strlen(p), nq = strlen(q);
		if (np < nq && !memcmp(p, q, np))
			return after(x, k) < (unsigned char)q[np] ? -1 : 1;
		if (nq < np && !memcmp(p, q, nq))
			return (unsigned char)p[nq] < after(y, k) ? -1 : 1;
		return c;
	}
}

static const char *const unattributed[1] = {VIEW_UNATTRIBUTED};

static void put_line(struct buf *out, const char *const *path, uint32_t depth, int64_t bytes)
{
	for (uint32_t f = 0; f < depth; f++) {
		if (f)
			buf_putc(out, ';');
		buf_puts(out, path[f]);
	}
	char num[NUMFMT_MAX];
	buf_putc(out, ' '); /* " %lld\n" without printf: a line a stack */
	buf_put(out, num, (size_t)numfmt_i64(num, bytes));
	buf_putc(out, '\n');
}

/* Whether the view's own child order is the text order: every two
 * neighbouring children in strictly increasing folded-label order, and
 * neither label the start of the other.  Then a depth-first walk (a node's
 * stack before its children's) meets the stacks sorted and each once; a
 * child order that says otherwise (a label escaped differently, two
 * frames with one label) is sorted instead.  The root's own bytes
 * ([unattributed]) are sorted too. */
static int walk_is_sorted(const struct view *v)
{
	const struct profile *p = v->p;
	if (v->self[0] > 0)
		return 0;
	for (uint32_t n = 0; n < v->nnodes; n++)
		for (uint32_t k = v->kids_start[n] + 1; k < v->kids_start[n + 1]; k++) {
			const char *a = v->flabel[p->nodes[v->kids[k - 1]].frame];
			const char *b = v->flabel[p->nodes[v->kids[k]].frame];
			size_t na = strlen(a);
			if (strncmp(a, b, na) >= 0) /* a >= b, or a starts b */
				return 0;
		}
	return 1;
}

/* The stacks in the walk's order, written as met; 0 or -ENOMEM.  The
 * text of the node's stack is kept as it is walked (its parent's text,
 * ';', its label: end[d] is where depth d's ends), so a line is one put,
 * not a put per frame. */
static int write_walk(struct buf *out, const struct view *v)
{
	const struct profile *p = v->p;
	uint32_t *todo = malloc(((size_t)v->nnodes + 1) * sizeof(*todo));
	size_t *end = malloc(((size_t)v->max_depth + 1) * sizeof(*end));
	struct buf cur;
	buf_init(&cur);
	if (!todo || !end) {
		free(todo);
		free(end);
		return -ENOMEM;
	}
	end[0] = 0;
	size_t sp = 0;
	/* children pushed last first, so they come off in order */
	for (uint32_t k = v->kids_start[1]; k-- > v->kids_start[0];)
		if (v->incl[v->kids[k]] > 0)
			todo[sp++] = v->kids[k];
	while (sp) {
		uint32_t n = todo[--sp], d = v->depth[n];
		cur.len = end[d - 1];
		if (d > 1)
			buf_putc(&cur, ';');
		buf_puts(&cur, v->flabel[p->nodes[n].frame]);
		end[d] = cur.len;
		if (v->self[n] > 0) {
			char num[NUMFMT_MAX];
			buf_put(out, buf_str(&cur), cur.len);
			buf_putc(out, ' ');
			buf_put(out, num, (size_t)numfmt_i64(num, v->self[n]));
			buf_putc(out, '\n');
		}
		for (uint32_t k = v->kids_start[n + 1]; k-- > v->kids_start[n];)
			if (v->incl[v->kids[k]] > 0)
				todo[sp++] = v->kids[k];
	}
	int rc = cur.oom ? -ENOMEM : 0;
	buf_free(&cur);
	free(todo);
	free(end);
	return rc;
}

void folded_write(struct buf *out, const struct view *v)
{
	const struct profile *p = v->p;
	size_t n = 0, frames = 0;
	for (uint32_t i = 0; i < v->nnodes; i++)
		if (v->self[i] > 0) {
			n++;
			frames += v->depth[i];
		}
	if (n == 0)
		return;
	if (walk_is_sorted(v)) {
		if (write_walk(out, v))
			out->oom = 1;
		return;
	}
	struct line *lines = malloc(n * sizeof(*lines));
	const char **paths = malloc((frames ? frames : 1) * sizeof(*paths));
	if (!lines || !paths) {
		out->oom = 1;
		goto done;
	}
	/* Every stack as its labels, not its text: the text is written once,
	 * in order, straight into out. */
	size_t k = 0, at = 0;
	for (uint32_t i = 0; i < v->nnodes; i++) {
		if (v->self[i] <= 0)
			continue;
		lines[k].bytes = v->self[i];
		if (i == 0) {
			lines[k].path = unattributed;
			lines[k].depth = 1;
		} else {
			uint32_t d = v->depth[i];
			const char **path = paths + at;
			for (uint32_t j = i; j != 0 && d; j = p->nodes[j].parent)
				path[--d] = v->flabel[p->nodes[j].frame];
			lines[k].path = path;
			lines[k].depth = v->depth[i];
			at += v->depth[i];
		}
		k++;
	}
	qsort(lines, n, sizeof(*lines), line_cmp);
	for (size_t j = 0; j < n;) {
		int64_t bytes = lines[j].bytes;
		size_t e = j + 1;
		while (e < n && !line_cmp(&lines[e], &lines[j]))
			bytes += lines[e++].bytes;
		put_line(out, lines[j].path, lines[j].depth, bytes);
		j = e;
	}
done:
	free(paths);
	free(lines);
}
