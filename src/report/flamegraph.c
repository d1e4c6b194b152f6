/* report/flamegraph.c — interactive SVG flame graph (flamegraph.h).
 *
 * The frames are drawn by this code, not by the script: a viewer that runs
 * no JavaScript (an image viewer, a code host's preview) still shows the
 * whole picture with its labels; the script only re-lays it out on zoom. */
#include "report/flamegraph.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"
#include "report/escape.h"
#include "report/text.h"

#define PAD 10.0              /* px left and right of the frames */
#define TOP 56                /* px above the root frame: title, controls */
#define BOTTOM 30             /* px below the deepest frame: details line */
#define CHAR_W 7.3            /* px per character of 12px monospace, rounded up */
#define OTHER UINT32_MAX
#define UNATTR (UINT32_MAX - 1)

struct rect {
	uint32_t node;   /* or OTHER (merged narrow children), UNATTR (root's self) */
	uint32_t depth;
	uint32_t nother; /* how many frames an OTHER rect stands for */
	int64_t off, bytes;
};

struct rects {
	struct rect *r;
	size_t n, cap;
};

static int add(struct rects *rs, struct rect r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct rect *q = realloc(rs->r, cap * sizeof(*q));
		if (!q)
			return -1;
		rs->r = q;
		rs->cap = cap;
	}
	rs->r[rs->n++] = r;
	return 0;
}

/* Which rects to draw: a depth-first walk with an explicit stack (Python
 * stacks can be thousands of frames deep). */
static int collect(const struct view *v, struct rects *rs, uint32_t *max_depth)
{
	*max_depth = 0;
	if (v->total <= 0)
		return 0;
	double thr = (double)v->total * FLAME_MIN_SHARE;
	struct todo {
		uint32_t node;
		int64_t off;
	} *stack = malloc(((size_t)v->nnodes + 1) * sizeof(*stack));
	if (!stack)
		return -1;
	size_t sp = 0;
	stack[sp++] = (struct todo){0, 0};
	while (sp) {
		struct todo t = stack[--sp];
		uint32_t d = v->depth[t.node];
		if (add(rs, (struct rect){t.node, d, 0, t.off, v->incl[t.node]})) {
			free(stack);
			return -1;
		}
		if (d > *max_depth)
			*max_depth = d;
		int64_t x = t.off, other = 0;
		uint32_t nother = 0;
		/* Wide children first, in label order, then "other": pushed in
		 * reverse so they come off the stack left to right. */
		size_t first = sp;
		for (uint32_t k = v->kids_start[t.node]; k < v->kids_start[t.node + 1]; k++) {
			uint32_t c = v->kids[k];
			if (v->incl[c] <= 0)
				continue;
			if ((double)v->incl[c] >= thr) {
				stack[sp++] = (struct todo){c, x};
				x += v->incl[c];
			} else {
				other += v->incl[c];
				nother++;
			}
		}
		for (size_t i = first, j = sp; i + 1 < j; i++, j--) {
			struct todo tmp = stack[i];
			stack[i] = stack[j - 1];
			stack[j - 1] = tmp;
		}
		if (other > 0) {
			if (add(rs, (struct rect){OTHER, d + 1, nother, x, other})) {
				free(stack);
				return -1;
			}
			if (d + 1 > *max_depth)
				*max_depth = d + 1;
			x += other;
		}
		/* Only the root's own bytes get a name: for every other frame,
		 * the room right of its children is the bytes it holds itself. */
		if (t.node == 0 && (double)v->self[0] >= thr) {
			if (add(rs, (struct rect){UNATTR, 1, 0, x, v->self[0]})) {
				free(stack);
				return -1;
			}
			if (*max_depth < 1)
				*max_depth = 1;
		}
	}
	free(stack);
	return 0;
}

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Warm colours from a hash of the name: the same frame has the same colour
 * in every graph, neighbours usually differ. */
static void colour(struct buf *b, const struct view *v, const struct rect *r)
{
	if (r->node == OTHER) {
		buf_puts(b, "rgb(200,200,200)");
		return;
	}
	if (r->node == 0 || r->node == UNATTR) {
		buf_puts(b, "rgb(225,225,225)");
		return;
	}
	const struct profile_frame *f = &v->p->frames[v->p->nodes[r->node].frame];
	if (f->flags & (PROFILE_FRAME_SYNTHETIC | PROFILE_FRAME_TRUNCATED)) {
		buf_puts(b, "rgb(170,180,190)");
		return;
	}
	uint32_t h = fnv(view_node_label(v, r->node));
	/* "rgb(%u,%u,%u)" without printf: once per rectangle */
	char num[NUMFMT_MAX];
	buf_puts(b, "rgb(");
	buf_put(b, num, (size_t)numfmt_i64(num, 205 + h % 51));
	buf_putc(b, ',');
	buf_put(b, num, (size_t)numfmt_i64(num, 60 + (h >> 8) % 171));
	buf_putc(b, ',');
	buf_put(b, num, (size_t)numfmt_i64(num, (h >> 16) % 56));
	buf_putc(b, ')');
}

/* A frame's text that does not depend on its rect: the escaped label,
 * its data-s and data-f attributes, its source line, its colour, and
 * for what it says in w px (fitted) each candidate's escape and length
 * in code points.  Made once per memo entry (view_frame_extra) and kept
 * for the report's other graphs. */
struct piece {
	uint32_t label, sattr, fattr, src, colour, eshown, eslash, edot; /* lengths, in this order */
	size_t shown_cp;   /* code points of the short label */
	int cuts;          /* fitted()'s file and function steps apply */
	int slash, dot;    /* they have a last directory / a method name */
	size_t slash_cp, func_cp, dot_cp;
	char text[];
};
/* (written as the struct, then the text right after it) */
_Static_assert(offsetof(struct piece, text) == sizeof(struct piece), "text after the struct");

static size_t ncp(const char *s)
{
	size_t n;
	esc_utf8_prefix(s, SIZE_MAX, &n);
	return n;
}

/* r's piece into t (reset first); 0 or -1: no memory. */
static int make_piece(struct buf *t, const struct view *v, const struct rect *r,
		      const char *label, const char *shown, const char *func, const char *src)
{
	buf_reset(t);
	struct piece h = {0};
	buf_put(t, &h, sizeof(h));
	size_t at = t->len;
#define TAKE(field) (h.field = (uint32_t)(t->len - at), at = t->len)
	esc_xml(t, label);
	TAKE(label);
	int differs = shown != label && strcmp(shown, label);
	if (differs) {
		buf_puts(t, "\" data-s=\"");
		esc_xml(t, shown);
	}
	TAKE(sattr);
	if (func) {
		buf_puts(t, "\" data-f=\"");
		esc_xml(t, func);
	}
	TAKE(fattr);
	if (src[0]) {
		buf_putc(t, '\n');
		esc_xml(t, src);
	}
	TAKE(src);
	colour(t, v, r);
	TAKE(colour);
	if (differs)
		esc_xml(t, shown);
	TAKE(eshown);
	h.shown_cp = ncp(shown);
	/* label is "FILE:LINE (FUNC)": FILE:LINE's last directory, the
	 * function, a method's own name after ".." (JSONEncoder.iterencode) */
	size_t len = strlen(shown), flen = func ? strlen(func) : 0;
	const char *slash = NULL, *dot = NULL;
	if ((h.cuts = flen && len > flen + 3)) {
		for (const char *c = shown; c < shown + len - flen - 3; c++)
			if (*c == '/')
				slash = c;
		dot = strrchr(func, '.');
		h.func_cp = ncp(func);
	}
	if ((h.slash = slash != NULL)) {
		esc_xml(t, slash + 1);
		h.slash_cp = ncp(slash + 1);
	}
	TAKE(eslash);
	if ((h.dot = dot && dot[1])) {
		esc_xml(t, dot + 1);
		h.dot_cp = ncp(dot + 1);
	}
	TAKE(edot);
#undef TAKE
	if (t->oom || t->len > UINT32_MAX)
		return -1;
	memcpy(t->p, &h, sizeof(h));
	return 0;
}

/* The piece of a frame's rect, kept with the memo entry. */
static const struct piece *piece_of(struct view *v, const struct rect *r, const char *label,
				    const char *shown, const char *func)
{
	uint32_t fr = v->p->nodes[r->node].frame;
	char **slot = view_frame_extra(v, fr);
	if (!slot)
		return NULL;
	if (!*slot) {
		struct buf t;
		buf_init(&t);
		if (make_piece(&t, v, r, label, shown, func, view_source(v, fr))) {
			buf_free(&t);
			return NULL;
		}
		*slot = t.p;
	}
	return (const struct piece *)*slot;
}

/* What a frame says in w px (docs/report-format.md): its short label
 * (`pandas/core/frame.py:10090 (DataFrame.merge)`); if that is too long,
 * the same without the file's directories (`frame.py:10090
 * (DataFrame.merge)`); then the function alone; then a method's own name
 * (`..merge`); then the function cut (".." marks a cut, whole code
 * points).  A frame with no function (a synthetic one) is its label,
 * cut.  The script's fit() does the same.  Fits: as many code points as
 * m, or fewer.  part: scratch. */
static void fitted(struct buf *b, const struct piece *pc, const char *shown, const char *func,
		   double w, struct buf *part)
{
	double room = (w - 6) / CHAR_W;
	size_t m = room > 0 ? (size_t)room : 0;
	const char *elab = pc->text, *fattr = elab + pc->label + pc->sattr;
	const char *esh = fattr + pc->fattr + pc->src + pc->colour, *esl = esh + pc->eshown,
		   *edot = esl + pc->eslash;
	if (pc->shown_cp <= m) {
		if (pc->eshown)
			buf_put(b, esh, pc->eshown);
		else /* the short label is the label */
			buf_put(b, elab, pc->label);
		return;
	}
	const char *cut = shown;
	if (pc->cuts) {
		if (pc->slash && pc->slash_cp <= m) {
			buf_put(b, esl, pc->eslash);
			return;
		}
		if (pc->func_cp <= m) { /* fattr is `" data-f="` and the function */
			buf_put(b, fattr + 10, pc->fattr - 10);
			return;
		}
		if (pc->dot && pc->dot_cp <= (m >= 2 ? m - 2 : 0)) {
			buf_puts(b, "..");
			buf_put(b, edot, pc->edot);
			return;
		}
		cut = func;
	}
	if (m < 3)
		return;
	buf_reset(part);
	buf_put(part, cut, esc_utf8_prefix(cut, m - 2, NULL));
	esc_xml(b, buf_str(part));
	buf_puts(b, "..");
}

/* One rect.  sc: scratch, empty at first, kept from rect to rect of a
 * graph: the piece of the "other" rects (the same for all), the piece of
 * the root's or its own bytes' rect, fitted's cut. */
static void frame(struct buf *b, struct view *v, const struct rect *r, struct buf sc[3])
{
	double W = FLAME_WIDTH - 2 * PAD;
	double x = PAD + (double)r->off / (double)v->total * W;
	double w = (double)r->bytes / (double)v->total * W;
	/* y ("%.0f" of an integer below 2^40: its digits) and the text's
	 * baseline y + 11.5, a tie that "%.0f" rounds to even: y is even
	 * (TOP and the height are), so y + 12 */
	int64_t yi = TOP + (int64_t)r->depth * FLAME_FRAME_HEIGHT;
	_Static_assert(TOP % 2 == 0 && FLAME_FRAME_HEIGHT % 2 == 0, "y even");
	char size[32];
	text_bytes(size, sizeof(size), r->bytes);
	double pct = 100.0 * (double)r->bytes / (double)v->total;
	const char *label = r->node == OTHER    ? "other"
			    : r->node == UNATTR ? VIEW_UNATTRIBUTED
						: view_node_label(v, r->node);
	/* drawn: the short label, its function kept when cut; the full one
	 * is in the title and data-n (hover, search) */
	const char *shown = label, *func = NULL;
	const struct piece *pc;
	if (r->node != OTHER && r->node != UNATTR && r->node != 0) {
		const struct profile_frame *f = &v->p->frames[v->p->nodes[r->node].frame];
		shown = view_node_short(v, r->node);
		if (!(f->flags & (PROFILE_FRAME_SYNTHETIC | PROFILE_FRAME_TRUNCATED)) && f->func &&
		    f->func[0])
			func = f->func;
		pc = piece_of(v, r, label, shown, func);
	} else {
		struct buf *t = &sc[r->node == OTHER ? 0 : 1];
		if (r->node != OTHER || !t->len)
			if (make_piece(t, v, r, label, shown, NULL, ""))
				t->oom = 1;
		pc = t->oom ? NULL : (const struct piece *)t->p;
	}
	if (!pc) {
		b->oom = 1;
		return;
	}
	const char *elab = pc->text, *sattr = elab + pc->label, *fattr = sattr + pc->sattr,
		   *src = fattr + pc->fattr, *col = src + pc->src;

	char num[NUMFMT_MAX];
	buf_puts(b, "<g class=\"f\" data-o=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, r->off));
	buf_puts(b, "\" data-b=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, r->bytes));
	buf_puts(b, "\" data-d=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, (int64_t)r->depth));
	buf_puts(b, r->node == OTHER ? "\" data-k=\"other\" data-n=\"" : "\" data-n=\"");
	buf_put(b, elab, pc->label);
	buf_put(b, sattr, pc->sattr);
	buf_put(b, fattr, pc->fattr);
	buf_puts(b, "\"><title>");
	if (r->node == OTHER) { /* "other: %u smaller frame%s" without printf */
		buf_puts(b, "other: ");
		buf_put(b, num, (size_t)numfmt_i64(num, (int64_t)r->nother));
		buf_puts(b, r->nother == 1 ? " smaller frame" : " smaller frames");
	} else {
		buf_put(b, elab, pc->label);
	}
	buf_puts(b, " \u2014 ");
	buf_puts(b, size);
	buf_puts(b, " (");
	buf_put(b, num, (size_t)numfmt_fixed(num, pct, 1));
	buf_puts(b, "%)");
	buf_put(b, src, pc->src);
	/* "%.2f" by common/numfmt.h: a few for every frame drawn */
	buf_puts(b, "</title><rect x=\"");
	buf_put(b, num, (size_t)numfmt_fixed(num, x, 2));
	buf_puts(b, "\" y=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, yi));
	buf_puts(b, "\" width=\"");
	buf_put(b, num, (size_t)numfmt_fixed(num, w, 2));
	buf_puts(b, "\" height=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, FLAME_FRAME_HEIGHT - 1));
	buf_puts(b, "\" fill=\"");
	buf_put(b, col, pc->colour);
	buf_puts(b, "\" rx=\"2\"/><text x=\"");
	buf_put(b, num, (size_t)numfmt_fixed(num, x + 3, 2));
	buf_puts(b, "\" y=\"");
	buf_put(b, num, (size_t)numfmt_i64(num, yi + 12));
	buf_puts(b, "\">");
	fitted(b, pc, shown, func, w, &sc[2]);
	buf_puts(b, "</text></g>\n");
}

/* The frames of v's graph, drawn once per view: a page draws the same
 * picture as its own file too (peak.svg and the page's display graph,
 * exit.svg and the page's), and the frames are the same text in both. */
static int frames_of(struct view *v)
{
	if (v->flame)
		return 0;
	struct rects rs = {0};
	uint32_t max_depth = 0;
	if (collect(v, &rs, &max_depth)) {
		free(rs.r);
		return -1;
	}
	struct buf f;
	buf_init(&f);
	buf_putc(&f, 0); /* owns a block even with no frame */
	buf_reset(&f);
	struct buf sc[3]; /* frame()'s scratch */
	for (int k = 0; k < 3; k++)
		buf_init(&sc[k]);
	for (size_t i = 0; i < rs.n; i++)
		frame(&f, v, &rs.r[i], sc);
	free(rs.r);
	for (int k = 0; k < 3; k++) {
		if (sc[k].oom)
			f.oom = 1;
		buf_free(&sc[k]);
	}
	if (f.oom) {
		buf_free(&f);
		return -1;
	}
	v->flame = f.p;
	v->flame_len = f.len;
	v->flame_rows = rs.n ? (int)max_depth + 1 : 0;
	return 0;
}

static void render(struct buf *b, struct view *v, const char *title, int standalone)
{
	if (frames_of(v)) {
		b->oom = 1;
		return;
	}
	int rows = v->flame_rows ? v->flame_rows : 1;
	int height = TOP + rows * FLAME_FRAME_HEIGHT + BOTTOM;
	if (standalone)
		buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	buf_puts(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"oomph-flame\" ");
	if (standalone)
		buf_printf(b, "width=\"%d\" height=\"%d\" ", FLAME_WIDTH, height);
	else
		buf_puts(b, "width=\"100%\" ");
	buf_printf(b,
		   "viewBox=\"0 0 %d %d\" data-x0=\"%.0f\" data-w=\"%.0f\" data-total=\"%lld\" "
		   "font-family=\"monospace\" font-size=\"12\">\n",
		   FLAME_WIDTH, height, PAD, FLAME_WIDTH - 2 * PAD, (long long)v->total);
	buf_puts(b, "<style>"
		    ".f{cursor:pointer}.f rect{stroke:#fff;stroke-width:0.5}"
		    ".f:hover rect{stroke:#000;stroke-width:1}"
		    ".f text{pointer-events:none;fill:#000}"
		    ".ctl{cursor:pointer;fill:#1a55b0}"
		    "</style>\n");
	buf_printf(b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fbfbfb\"/>\n",
		   FLAME_WIDTH, height);
	buf_printf(b, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">",
		   FLAME_WIDTH / 2);
	esc_xml(b, title ? title : "");
	buf_puts(b, "</text>\n");
	buf_printf(b,
		   "<text class=\"ctl oomph-reset\" x=\"%.0f\" y=\"44\" opacity=\"0\">Reset "
		   "zoom</text>\n<text class=\"ctl oomph-search\" x=\"%.0f\" y=\"44\" "
		   "text-anchor=\"end\">Search</text>\n",
		   PAD, FLAME_WIDTH - PAD);
	buf_printf(b,
		   "<text class=\"oomph-details\" x=\"%.0f\" y=\"%d\"> </text>\n<text class=\"oomph-matched\" "
		   "x=\"%.0f\" y=\"%d\" text-anchor=\"end\"></text>\n",
		   PAD, height - 10, FLAME_WIDTH - PAD, height - 10);
	if (!v->flame_rows)
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No tracked memory was live "
			      "at the peak.</text>\n",
			   FLAME_WIDTH / 2, TOP + 12);
	buf_puts(b, "<g class=\"oomph-frames\">\n");
	buf_put(b, v->flame, v->flame_len);
	buf_puts(b, "</g>\n");
	if (standalone) {
		buf_puts(b, "<script type=\"text/ecmascript\"><![CDATA[\n");
		buf_puts(b, flame_script());
		buf_puts(b, "]]></script>\n");
	}
	buf_puts(b, "</svg>\n");
}

void flame_svg(struct buf *b, struct view *v, const char *title)
{
	render(b, v, title, 1);
}

void flame_svg_inline(struct buf *b, struct view *v, const char *title)
{
	render(b, v, title, 0);
}

/* Plain ES5 plus Array.from; it reads everything from the drawn frames, so
 * the same code serves the standalone file and the HTML page, and every
 * graph on a page (peak, death) independently. */
static const char script[] =
	"(function () {\n"
	"  'use strict';\n"
	"  var all = document.getElementsByClassName('oomph-flame');\n"
	"  for (var k = 0; k < all.length; k++) setup(all[k]);\n"
	"  function setup(svg) {\n"
	"  function one(c) { return svg.getElementsByClassName(c)[0]; }\n"
	"  var X0 = +svg.getAttribute('data-x0'), W = +svg.getAttribute('data-w');\n"
	"  var total = +svg.getAttribute('data-total'), CW = 7.3;\n"
	"  var details = one('oomph-details'), matched = one('oomph-matched');\n"
	"  var reset = one('oomph-reset'), searchBtn = one('oomph-search');\n"
	"  var items = [], root = null, term = '';\n"
	"  function fmt(n) {\n"
	"    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;\n"
	"    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }\n"
	"    return i ? n.toFixed(1) + ' ' + u[i] : n + ' B';\n"
	"  }\n"
	"  function fit(x, w) {\n"
	"    var m = Math.floor((w - 6) / CW), s = x.s, f = x.f, cut = s;\n"
	"    function ok(t) { return Array.from(t).length <= m; }\n"
	"    if (ok(s)) return s;\n"
	"    if (f && s.length > f.length + 3) {\n"
	"      var head = s.slice(0, s.length - f.length - 3), k = head.lastIndexOf('/');\n"
	"      if (k >= 0 && ok(s.slice(k + 1))) return s.slice(k + 1);\n"
	"      if (ok(f)) return f;\n"
	"      var dot = f.lastIndexOf('.');\n"
	"      if (dot >= 0 && dot < f.length - 1 && ok('..' + f.slice(dot + 1))) return '..' + f.slice(dot + 1);\n"
	"      cut = f;\n"
	"    }\n"
	"    if (m < 3) return '';\n"
	"    return Array.from(cut).slice(0, m - 2).join('') + '..';\n"
	"  }\n"
	"  function zoom(z) {\n"
	"    items.forEach(function (x) {\n"
	"      var x1, w, g = x.g;\n"
	"      if (x.d < z.d && x.o <= z.o && x.o + x.b >= z.o + z.b) {\n"
	"        x1 = X0; w = W; g.style.opacity = '0.6';\n"
	"      } else if (x.d >= z.d && x.o >= z.o && x.o + x.b <= z.o + z.b) {\n"
	"        x1 = X0 + (x.o - z.o) / z.b * W; w = x.b / z.b * W; g.style.opacity = '';\n"
	"      } else {\n"
	"        g.style.display = 'none'; return;\n"
	"      }\n"
	"      g.style.display = '';\n"
	"      x.r.setAttribute('x', x1.toFixed(2));\n"
	"      x.r.setAttribute('width', w.toFixed(2));\n"
	"      x.t.setAttribute('x', (x1 + 3).toFixed(2));\n"
	"      x.t.textContent = fit(x, w);\n"
	"    });\n"
	"    reset.setAttribute('opacity', z === root ? '0' : '1');\n"
	"  }\n"
	"  function search(t) {\n"
	"    term = t; var re = null, iv = [], sum = 0, end = -1;\n"
	"    if (term) { try { re = new RegExp(term); } catch (e) { re = null; } }\n"
	"    items.forEach(function (x) {\n"
	"      var hit = !!term && x.d > 0 && !x.other &&\n"
	"        (re ? re.test(x.n) : x.n.indexOf(term) >= 0);\n"
	"      x.r.setAttribute('fill', hit ? 'rgb(230,0,230)' : x.fill);\n"
	"      if (hit) iv.push([x.o, x.o + x.b]);\n"
	"    });\n"
	"    if (!term) { matched.textContent = ''; searchBtn.textContent = 'Search'; return; }\n"
	"    iv.sort(function (a, b) { return a[0] - b[0]; });\n"
	"    iv.forEach(function (v) {\n"
	"      if (v[0] >= end) { sum += v[1] - v[0]; end = v[1]; }\n"
	"      else if (v[1] > end) { sum += v[1] - end; end = v[1]; }\n"
	"    });\n"
	"    matched.textContent = 'Matched: ' + (total ? 100 * sum / total : 0).toFixed(1) +\n"
	"      '% (' + fmt(sum) + ')';\n"
	"    searchBtn.textContent = 'Clear search';\n"
	"  }\n"
	"  var gs = svg.getElementsByTagName('g');\n"
	"  for (var i = 0; i < gs.length; i++) {\n"
	"    var g = gs[i];\n"
	"    if (g.getAttribute('class') !== 'f') continue;\n"
	"    var ti = g.getElementsByTagName('title')[0];\n"
	"    var it = { g: g, r: g.getElementsByTagName('rect')[0],\n"
	"      t: g.getElementsByTagName('text')[0],\n"
	"      o: +g.getAttribute('data-o'), b: +g.getAttribute('data-b'),\n"
	"      d: +g.getAttribute('data-d'), n: g.getAttribute('data-n'),\n"
	"      s: g.getAttribute('data-s') || g.getAttribute('data-n'),\n"
	"      f: g.getAttribute('data-f'),\n"
	"      other: g.getAttribute('data-k') === 'other',\n"
	"      info: ti ? ti.textContent.split('\\n')[0] : '' };\n"
	"    it.fill = it.r.getAttribute('fill');\n"
	"    if (it.d === 0) root = it;\n"
	"    items.push(it);\n"
	"    g.addEventListener('click', zoom.bind(null, it));\n"
	"    g.addEventListener('mouseover', (function (x) {\n"
	"      return function () { details.textContent = x.info; };\n"
	"    })(it));\n"
	"    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
	"  }\n"
	"  reset.addEventListener('click', function () { if (root) zoom(root); });\n"
	"  searchBtn.addEventListener('click', function () {\n"
	"    if (term) { search(''); return; }\n"
	"    var t = window.prompt('Search frames (a regular expression):', '');\n"
	"    if (t) search(t);\n"
	"  });\n"
	"  svg.oomphSearch = search; svg.oomphZoom = function (i) { zoom(items[i]); };\n"
	"  }\n"
	"})();\n";

const char *flame_script(void)
{
	return script;
}
