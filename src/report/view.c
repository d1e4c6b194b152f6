/* report/view.c — a profile prepared for the writers (view.h). */
#include "report/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bounds.h"
#include "report/buf.h"
#include "report/escape.h"

/* The name shown for a file: relative to cwd when it lies under it.  A
 * suffix of the recorded string, so no copy is needed. */
static const char *display_file(const char *file, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	while (n > 1 && cwd[n - 1] == '/')
		n--;
	if (n == 0 || file[0] != '/')
		return file;
	if (n == 1 && cwd[0] == '/')
		return file[1] ? file + 1 : file;
	if (!strncmp(file, cwd, n) && file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

static int is_python(const struct profile_frame *f)
{
	return !(f->flags & (PROFILE_FRAME_SYNTHETIC | PROFILE_FRAME_TRUNCATED));
}

struct kid {
	uint32_t parent, node;
	const char *label;
};

static int kid_cmp(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	int c = strcmp(x->label, y->label);
	if (c)
		return c;
	return x->node < y->node ? -1 : x->node > y->node;
}

struct line_key {
	uint32_t frame;
	int64_t bytes;
	const char *file, *func;
	uint32_t line;
	int synthetic;
};

static int key_cmp(const struct line_key *x, const struct line_key *y)
{
	if (x->synthetic != y->synthetic)
		return x->synthetic - y->synthetic;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->func, y->func);
}

static int line_key_cmp(const void *a, const void *b)
{
	const struct line_key *x = a, *y = b;
	int c = key_cmp(x, y);
	if (c)
		return c;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static int line_bytes_cmp(const void *a, const void *b)
{
	const struct line_key *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return line_key_cmp(a, b);
}

static int build_labels(struct view *v, const char *cwd)
{
	const struct profile *p = v->p;
	struct buf b, lab;
	buf_init(&b);
	buf_init(&lab);
	size_t *off = malloc(((size_t)p->nframes * 2 + 1) * sizeof(*off));
	if (!off)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nframes; i++) {
		const struct profile_frame *f = &p->frames[i];
		const char *file = f->file ? f->file : "";
		const char *func = f->func ? f->func : "";
		buf_reset(&lab);
		if (is_python(f)) {
			v->file[i] = display_file(file, cwd);
			buf_printf(&lab, "%s:%u (%s)", v->file[i], (unsigned)f->line, func);
		} else {
			v->file[i] = file;
			buf_puts(&lab, file[0] ? file : func[0] ? func : "[unknown]");
		}
		off[2 * i] = b.len;
		buf_put(&b, buf_str(&lab), lab.len);
		buf_putc(&b, 0);
		size_t fstart = b.len;
		esc_folded(&b, buf_str(&lab));
		/* The common case needs no change: share the label. */
		if (!b.oom && b.len - fstart == lab.len && !memcmp(b.p + fstart, buf_str(&lab), lab.len)) {
			b.len = fstart;
			off[2 * i + 1] = off[2 * i];
		} else {
			buf_putc(&b, 0);
			off[2 * i + 1] = fstart;
		}
	}
	int oom = b.oom || lab.oom;
	buf_free(&lab);
	if (oom) {
		free(off);
		buf_free(&b);
		return -ENOMEM;
	}
	if (!b.p)
		buf_putc(&b, 0); /* no frames: still own a (tiny) block */
	v->strings = b.p; /* owned by the view from here */
	for (uint32_t i = 0; i < p->nframes; i++) {
		v->label[i] = v->strings + off[2 * i];
		v->flabel[i] = v->strings + off[2 * i + 1];
	}
	free(off);
	return 0;
}

static int build_kids(struct view *v)
{
	uint32_t n = v->nnodes;
	struct kid *k = malloc((n > 1 ? n - 1 : 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (uint32_t i = 1; i < n; i++)
		k[i - 1] = (struct kid){v->p->nodes[i].parent, i, v->label[v->p->nodes[i].frame]};
	if (n > 1)
		qsort(k, n - 1, sizeof(*k), kid_cmp);
	memset(v->kids_start, 0, ((size_t)n + 1) * sizeof(*v->kids_start));
	for (uint32_t i = 1; i < n; i++)
		v->kids_start[v->p->nodes[i].parent + 1]++;
	for (uint32_t i = 0; i < n; i++)
		v->kids_start[i + 1] += v->kids_start[i];
	for (uint32_t i = 0; i + 1 < n; i++)
		v->kids[i] = k[i].node; /* sorted by parent: already in CSR order */
	free(k);
	return 0;
}

static int build_top(struct view *v)
{
	const struct profile *p = v->p;
	uint32_t n = v->nnodes;
	/* pyf[i]: the innermost Python frame on node i's stack (forward pass:
	 * the parent's is known first), or UINT32_MAX if there is none. */
	uint32_t *pyf = malloc((size_t)n * sizeof(*pyf));
	int64_t *by_frame = calloc(p->nframes ? p->nframes : 1, sizeof(*by_frame));
	if (!pyf || !by_frame) {
		free(pyf);
		free(by_frame);
		return -ENOMEM;
	}
	pyf[0] = UINT32_MAX;
	for (uint32_t i = 1; i < n; i++) {
		uint32_t fr = p->nodes[i].frame;
		pyf[i] = is_python(&p->frames[fr]) ? fr : pyf[p->nodes[i].parent];
		if (v->self[i] > 0)
			by_frame[pyf[i] != UINT32_MAX ? pyf[i] : fr] += v->self[i];
	}
	free(pyf);
	size_t nk = v->self[0] > 0;
	for (uint32_t f = 0; f < p->nframes; f++)
		nk += by_frame[f] > 0;
	struct line_key *k = malloc((nk ? nk : 1) * sizeof(*k));
	if (!k) {
		free(by_frame);
		return -ENOMEM;
	}
	nk = 0;
	if (v->self[0] > 0)
		k[nk++] = (struct line_key){UINT32_MAX, v->self[0], VIEW_UNATTRIBUTED, "", 0, 1};
	for (uint32_t f = 0; f < p->nframes; f++) {
		if (by_frame[f] <= 0)
			continue;
		int syn = !is_python(&p->frames[f]);
		k[nk++] = (struct line_key){f, by_frame[f], syn ? v->label[f] : v->file[f],
					    syn ? "" : p->frames[f].func ? p->frames[f].func : "",
					    syn ? 0 : p->frames[f].line, syn};
	}
	free(by_frame);
	/* Frames with the same key (one file reached under two spellings that
	 * display the same) are one line. */
	qsort(k, nk, sizeof(*k), line_key_cmp);
	size_t m = 0;
	for (size_t i = 0; i < nk; i++) {
		if (m && !key_cmp(&k[m - 1], &k[i]))
			k[m - 1].bytes += k[i].bytes;
		else
			k[m++] = k[i];
	}
	qsort(k, m, sizeof(*k), line_bytes_cmp);
	v->nlines = m;
	v->ntop = m < VIEW_TOP_MAX ? m : VIEW_TOP_MAX;
	for (size_t i = 0; i < v->ntop; i++) {
		struct view_top *t = &v->top[i];
		t->file = k[i].file;
		t->func = k[i].func;
		t->line = k[i].line;
		t->synthetic = k[i].synthetic;
		t->frame = k[i].frame;
		t->bytes = k[i].bytes;
		t->share = v->peak_bytes > 0 ? (double)k[i].bytes / (double)v->peak_bytes : 0;
		t->source = view_source(v, k[i].frame);
	}
	free(k);
	return 0;
}

int view_build(struct view *v, const struct profile *p, const char *cwd, struct src_cache *src)
{
	memset(v, 0, sizeof(*v));
	v->p = p;
	v->src = src;
	uint32_t n = p->nnodes ? p->nnodes : 1;
	v->nnodes = p->nnodes;
	v->nframes = p->nframes;
	if (p->nnodes == 0 || !p->nodes)
		return -EINVAL;
	for (uint32_t i = 1; i < p->nnodes; i++)
		if (p->nodes[i].parent >= i || p->nodes[i].frame >= p->nframes)
			return -EINVAL;
	size_t nf = p->nframes ? p->nframes : 1;
	v->self = malloc(n * sizeof(*v->self));
	v->incl = malloc(n * sizeof(*v->incl));
	v->depth = malloc(n * sizeof(*v->depth));
	v->kids_start = malloc(((size_t)n + 1) * sizeof(*v->kids_start));
	v->kids = malloc(n * sizeof(*v->kids));
	v->file = calloc(nf, sizeof(*v->file));
	v->label = calloc(nf, sizeof(*v->label));
	v->flabel = calloc(nf, sizeof(*v->flabel));
	v->source = calloc(nf, sizeof(*v->source));
	if (!v->self || !v->incl || !v->depth || !v->kids_start || !v->kids || !v->file ||
	    !v->label || !v->flabel || !v->source)
		goto oom;
	/* The one sum that depends on the input: once it fits, every other sum
	 * of a view (incl, a line's bytes, a folded stack, a flame graph's x)
	 * adds a subset of these non-negative figures and fits too. */
	int64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		int64_t s = p->peak_self ? p->peak_self[i] : 0;
		v->self[i] = s > 0 ? s : 0;
		if (ck_acc_i64(&sum, v->self[i])) {
			view_free(v);
			return -EOVERFLOW;
		}
	}
	if (p->peak_bytes > sum)
		v->self[0] += p->peak_bytes - sum;
	for (uint32_t i = 0; i < n; i++)
		v->incl[i] = v->self[i];
	for (uint32_t i = n - 1; i > 0; i--)
		v->incl[p->nodes[i].parent] += v->incl[i];
	v->depth[0] = 0;
	for (uint32_t i = 1; i < n; i++) {
		v->depth[i] = v->depth[p->nodes[i].parent] + 1;
		if (v->depth[i] > v->max_depth)
			v->max_depth = v->depth[i];
	}
	v->total = v->incl[0];
	v->peak_bytes = p->peak_bytes > 0 ? p->peak_bytes : v->total;
	if (build_labels(v, cwd) || build_kids(v) || build_top(v))
		goto oom;
	return 0;
oom:
	view_free(v);
	return -ENOMEM;
}

void view_free(struct view *v)
{
	free(v->self);
	free(v->incl);
	free(v->depth);
	free(v->kids_start);
	free(v->kids);
	free(v->file);
	free(v->label);
	free(v->flabel);
	free(v->source);
	free(v->strings);
	memset(v, 0, sizeof(*v));
}

const char *view_source(struct view *v, uint32_t frame)
{
	if (frame >= v->nframes)
		return "";
	if (!v->source[frame]) {
		const struct profile_frame *f = &v->p->frames[frame];
		v->source[frame] = is_python(f) ? src_line(v->src, f->file, f->line) : "";
	}
	return v->source[frame];
}

const char *view_node_label(const struct view *v, uint32_t node)
{
	if (node == 0 || node >= v->nnodes)
		return "all";
	return v->label[v->p->nodes[node].frame];
}
