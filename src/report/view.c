/* report/view.c — a profile prepared for the writers (view.h). */
#include "report/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bounds.h"
#include "common/numfmt.h"
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

/* "file:line (func)", the label of a Python frame; byte for byte what
 * "%s:%u (%s)" prints, without printf's cost (once per frame, and a
 * profile has tens of thousands). */
static void put_label(struct buf *b, const char *file, uint32_t line, const char *func)
{
	char num[NUMFMT_MAX];
	buf_puts(b, file);
	buf_putc(b, ':');
	buf_put(b, num, (size_t)numfmt_i64(num, (int64_t)line));
	buf_put(b, " (", 2);
	buf_puts(b, func);
	buf_putc(b, ')');
}

/* One frame's texts: its label, the label safe in a folded stack and its
 * short label (each of the last two only when it differs: *fsame,
 * *ssame), the offset of its display name in the recorded file, and
 * whose code it is. */
static void frame_text(const struct origin *o, const struct profile_frame *f, struct buf *lab,
		       struct buf *fl, struct buf *sl, size_t *dfile, uint8_t *kind, int *fsame,
		       int *ssame)
{
	const char *file = f->file ? f->file : "";
	const char *func = f->func ? f->func : "";
	buf_reset(lab);
	buf_reset(fl);
	buf_reset(sl);
	*dfile = 0;
	*kind = 0;
	*ssame = 1;
	if (is_python(f)) {
		const char *df = display_file(file, o->cwd);
		size_t rest = 0;
		*dfile = (size_t)(df - file);
		*kind = (uint8_t)origin_of(o, file, &rest);
		put_label(lab, df, f->line, func);
		/* the short label: the same unless a directory was cut */
		if (strlen(file + rest) < strlen(df)) {
			put_label(sl, file + rest, f->line, func);
			*ssame = 0;
		}
	} else {
		buf_puts(lab, file[0] ? file : func[0] ? func : "[unknown]");
	}
	esc_folded(fl, buf_str(lab));
	/* The common case needs no change: share the label. */
	*fsame = fl->len == lab->len && !memcmp(buf_str(fl), buf_str(lab), lab->len);
}

/* The frames' texts are the same in every view of a report that uses the
 * same origin (a process's peak, its display and callers views, the job's,
 * the exit's are all made of the same frames): they are computed once per
 * distinct frame, kept in the report's source cache (source.h src_memo),
 * and the views point into it.  Keyed by the frame's content (file,
 * function, line, flags), never by address: the views' profiles are copies
 * of each other's frames. */
struct memo_chunk {
	struct memo_chunk *next;
	size_t used, cap;
	char text[];
};

struct memo_ent {
	uint64_t h;
	const char *file, *func; /* the key (copies) */
	uint32_t line, flags;
	uint8_t kind;
	uint32_t key;            /* its line's key (memo_key) */
	const char *dfile, *label, *flabel, *slabel;
};

/* A line's key as the tables group lines (key_cmp: synthetic, file,
 * line, function), interned: every frame, import name and the
 * unattributed bytes with the same key have one id, so a view sums its
 * lines by id instead of sorting their strings to find equal ones. */
struct memo_key {
	uint64_t h;
	const char *file, *func; /* in the memo's storage */
	uint32_t line;
	int syn;
};

struct label_memo {
	char *okey;              /* the origin it was computed with; NULL: a view's own */
	struct memo_ent *e;
	uint32_t n, cap;
	uint32_t *slot;          /* entry + 1, open addressing; scap a power of 2 */
	uint32_t scap;
	struct memo_key *k;
	uint32_t nk, kcap;
	uint32_t *kslot;         /* key + 1, the same way */
	uint32_t kscap;
	struct memo_chunk *chunks;
	char **extra;            /* per entry: view_frame_extra's slot */
	uint32_t nextra;
};

static void memo_release(void *m_)
{
	struct label_memo *m = m_;
	while (m->chunks) {
		struct memo_chunk *next = m->chunks->next;
		free(m->chunks);
		m->chunks = next;
	}
	for (uint32_t i = 0; i < m->nextra; i++)
		free(m->extra[i]);
	free(m->extra);
	free(m->okey);
	free(m->e);
	free(m->slot);
	free(m->k);
	free(m->kslot);
	free(m);
}

/* n bytes of s and a NUL in storage that never moves; NULL: no memory. */
static const char *memo_dup(struct label_memo *m, const char *s, size_t n)
{
	struct memo_chunk *c = m->chunks;
	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = m->chunks;
		c->used = 0;
		c->cap = cap;
		m->chunks = c;
	}
	char *d = c->text + c->used;
	memcpy(d, s, n);
	d[n] = 0;
	c->used += n + 1;
	return d;
}

static uint64_t mix(uint64_t h, uint64_t k)
{
	h ^= k * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ull;
}

/* A word at a time: the report hashes every frame of every view. */
static uint64_t hash_str(uint64_t h, const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t k;
		memcpy(&k, s + i, 8);
		h = mix(h, k);
	}
	uint64_t k = n;
	for (; i < n; i++)
		k = k << 8 | (unsigned char)s[i];
	return mix(h, k);
}

/* What the frames' texts depend on in the origin: its working directory,
 * script directory and known directories.  malloc'd; NULL: no memory. */
static char *origin_key(const struct origin *o)
{
	struct buf k;
	buf_init(&k);
	buf_puts(&k, o->cwd ? o->cwd : "");
	buf_putc(&k, '\n');
	buf_puts(&k, o->script_dir);
	for (size_t i = 0; i < o->ndirs; i++) {
		buf_putc(&k, '\n');
		buf_putc(&k, (char)('0' + o->dirs[i].kind));
		buf_put(&k, o->dirs[i].path, o->dirs[i].len);
	}
	buf_putc(&k, 0);
	if (k.oom) {
		buf_free(&k);
		return NULL;
	}
	return k.p;
}

/* The source cache's memo for this origin, made on first use; NULL when
 * there is no cache, another origin's memo is there, or no memory: the
 * view then keeps its own texts. */
static struct label_memo *memo_for(struct src_cache *src, const struct origin *o)
{
	if (!src)
		return NULL;
	char *key = origin_key(o);
	if (!key)
		return NULL;
	struct label_memo *m = src_memo(src);
	if (m) {
		int same = !strcmp(m->okey, key);
		free(key);
		return same ? m : NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		free(key);
		return NULL;
	}
	m->okey = key;
	src_set_memo(src, m, memo_release);
	return m;
}

/* Room for one more of n items of `size` bytes (each starting with its
 * uint64_t hash) in *items (*cap of them), and its open-addressing slots
 * (item + 1, *scap a power of 2, at most half full): the memo's entries
 * and its keys.  0 or -ENOMEM. */
static int table_grow(void **items, uint32_t *cap, size_t size, uint32_t n, uint32_t **slot,
		      uint32_t *scap)
{
	if (n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 1024;
		void *q = realloc(*items, (size_t)c * size);
		if (!q)
			return -ENOMEM;
		*items = q;
		*cap = c;
	}
	if ((size_t)(n + 1) * 2 > *scap) {
		uint32_t sc = *scap ? *scap * 2 : 2048;
		uint32_t *sl = calloc(sc, sizeof(*sl));
		if (!sl)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t h;
			memcpy(&h, (const char *)*items + (size_t)i * size, sizeof(h));
			uint32_t at = (uint32_t)h & (sc - 1);
			while (sl[at])
				at = (at + 1) & (sc - 1);
			sl[at] = i + 1;
		}
		free(*slot);
		*slot = sl;
		*scap = sc;
	}
	return 0;
}

static int memo_grow(struct label_memo *m)
{
	void *e = m->e;
	int rc = table_grow(&e, &m->cap, sizeof(*m->e), m->n, &m->slot, &m->scap);
	m->e = e;
	return rc;
}

static int key_grow(struct label_memo *m)
{
	void *k = m->k;
	int rc = table_grow(&k, &m->kcap, sizeof(*m->k), m->nk, &m->kslot, &m->kscap);
	m->k = k;
	return rc;
}

/* The id of a line's key, added when new (its strings copied into the
 * memo unless `stored`: already there, or static); UINT32_MAX: no
 * memory. */
static uint32_t memo_key(struct label_memo *m, int syn, const char *file, const char *func,
			 uint32_t line, int stored)
{
	size_t nfile = strlen(file), nfunc = strlen(func);
	uint64_t h = hash_str(hash_str(mix(line, (uint64_t)syn), file, nfile), func, nfunc);
	if (m->kscap) {
		for (uint32_t i = (uint32_t)h & (m->kscap - 1); m->kslot[i];
		     i = (i + 1) & (m->kscap - 1)) {
			const struct memo_key *k = &m->k[m->kslot[i] - 1];
			if (k->h == h && k->line == line && k->syn == syn && !strcmp(k->file, file) &&
			    !strcmp(k->func, func))
				return m->kslot[i] - 1;
		}
	}
	if (key_grow(m))
		return UINT32_MAX;
	struct memo_key k = {h, stored ? file : memo_dup(m, file, nfile),
			     stored ? func : memo_dup(m, func, nfunc), line, syn};
	if (!k.file || !k.func)
		return UINT32_MAX;
	uint32_t i = (uint32_t)h & (m->kscap - 1);
	while (m->kslot[i])
		i = (i + 1) & (m->kscap - 1);
	m->k[m->nk] = k;
	m->kslot[i] = ++m->nk;
	return m->nk - 1;
}

/* The entry of frame f, computed and added when new; NULL: no memory. */
static const struct memo_ent *memo_get(struct label_memo *m, const struct origin *o,
				       const struct profile_frame *f, struct buf *lab,
				       struct buf *fl, struct buf *sl)
{
	const char *file = f->file ? f->file : "";
	const char *func = f->func ? f->func : "";
	size_t nfile = strlen(file), nfunc = strlen(func);
	uint64_t h = hash_str(hash_str(mix(f->line, f->flags), file, nfile), func, nfunc);
	if (m->scap) {
		for (uint32_t i = (uint32_t)h & (m->scap - 1); m->slot[i]; i = (i + 1) & (m->scap - 1)) {
			const struct memo_ent *e = &m->e[m->slot[i] - 1];
			if (e->h == h && e->line == f->line && e->flags == f->flags &&
			    !strcmp(e->file, file) && !strcmp(e->func, func))
				return e;
		}
	}
	if (memo_grow(m))
		return NULL;
	size_t dfile;
	uint8_t kind;
	int fsame, ssame;
	frame_text(o, f, lab, fl, sl, &dfile, &kind, &fsame, &ssame);
	if (lab->oom || fl->oom || sl->oom)
		return NULL;
	struct memo_ent e = {h, memo_dup(m, file, nfile), memo_dup(m, func, nfunc), f->line,
			     f->flags, kind, 0, NULL, memo_dup(m, buf_str(lab), lab->len), NULL, NULL};
	if (!e.file || !e.func || !e.label)
		return NULL;
	e.dfile = e.file + dfile;
	e.flabel = fsame ? e.label : memo_dup(m, buf_str(fl), fl->len);
	e.slabel = ssame ? e.label : memo_dup(m, buf_str(sl), sl->len);
	if (!e.flabel || !e.slabel)
		return NULL;
	/* all_lines' key of the frame: a Python frame by its place, another
	 * by its text */
	e.key = is_python(f) ? memo_key(m, 0, e.dfile, e.func, f->line, 1)
			     : memo_key(m, 1, e.label, "", 0, 1);
	if (e.key == UINT32_MAX)
		return NULL;
	uint32_t i = (uint32_t)h & (m->scap - 1);
	while (m->slot[i])
		i = (i + 1) & (m->scap - 1);
	m->e[m->n] = e;
	m->slot[i] = ++m->n;
	return &m->e[m->n - 1];
}

/* Whether frame i of v's profile is frame i of like's, taken as it is
 * (view_build_like): the same strings, line and flags. */
static int same_frame(const struct view *v, const struct view *like, uint32_t i)
{
	if (!like || i >= like->nframes)
		return 0;
	const struct profile_frame *f = &v->p->frames[i], *g = &like->p->frames[i];
	return f->file == g->file && f->func == g->func && f->line == g->line &&
	       f->flags == g->flags;
}

/* Each frame's texts and key; *all_like: every frame was like's.
 * Without the cache's memo (no cache, or another origin's there) the
 * view keeps a memo of its own. */
static int build_labels(struct view *v, const struct origin *o, const struct view *like,
			int *all_like)
{
	const struct profile *p = v->p;
	struct label_memo *m = memo_for(v->src, o);
	if (!m) {
		if (!(m = calloc(1, sizeof(*m))))
			return -ENOMEM;
		v->own_memo = m;
	}
	v->memo = m;
	/* like's texts are the memo's entries for the same content */
	if (!like || like->memo != m)
		like = NULL;
	*all_like = like != NULL;
	struct buf lab, fl, sl;
	buf_init(&lab);
	buf_init(&fl);
	buf_init(&sl);
	int oom = 0;
	for (uint32_t i = 0; i < p->nframes; i++) {
		if (same_frame(v, like, i)) {
			v->file[i] = like->file[i];
			v->kind[i] = like->kind[i];
			v->label[i] = like->label[i];
			v->flabel[i] = like->flabel[i];
			v->slabel[i] = like->slabel[i];
			v->key[i] = like->key[i];
			v->ent[i] = like->ent[i];
			continue;
		}
		*all_like = 0;
		const struct memo_ent *e = memo_get(m, o, &p->frames[i], &lab, &fl, &sl);
		if (!e) {
			oom = 1;
			break;
		}
		/* (the memo's entries move as it grows: copy, not point) */
		v->file[i] = e->dfile;
		v->kind[i] = e->kind;
		v->label[i] = e->label;
		v->flabel[i] = e->flabel;
		v->slabel[i] = e->slabel;
		v->key[i] = e->key;
		v->ent[i] = (uint32_t)(e - m->e);
	}
	buf_free(&lab);
	buf_free(&fl);
	buf_free(&sl);
	if (!oom && (v->unattr_key = memo_key(m, 1, VIEW_UNATTRIBUTED, "", 0, 1)) == UINT32_MAX)
		oom = 1;
	return oom ? -ENOMEM : 0;
}

/* The children of every node, by label then index (kid_cmp's order).
 * Nodes are placed by parent in index order (a counting pass), so only
 * each parent's own children are compared, and most nodes have one or
 * two: not one sort of every node by (parent, label) with a string
 * compare at each step. */
static int build_kids(struct view *v)
{
	uint32_t n = v->nnodes;
	const struct profile *p = v->p;
	memset(v->kids_start, 0, ((size_t)n + 1) * sizeof(*v->kids_start));
	for (uint32_t i = 1; i < n; i++)
		v->kids_start[p->nodes[i].parent + 1]++;
	for (uint32_t i = 0; i < n; i++)
		v->kids_start[i + 1] += v->kids_start[i];
	uint32_t *at = malloc(((size_t)n + 1) * sizeof(*at));
	if (!at)
		return -ENOMEM;
	memcpy(at, v->kids_start, ((size_t)n + 1) * sizeof(*at));
	for (uint32_t i = 1; i < n; i++)
		v->kids[at[p->nodes[i].parent]++] = i;
	free(at);
	struct kid *k = NULL;
	size_t kcap = 0;
	for (uint32_t par = 0; par < n; par++) {
		uint32_t *c = v->kids + v->kids_start[par];
		uint32_t m = v->kids_start[par + 1] - v->kids_start[par];
		if (m < 2)
			continue;
		if (m <= 16) { /* insertion sort: index order is kept among equal labels */
			for (uint32_t i = 1; i < m; i++) {
				uint32_t x = c[i];
				const char *lx = v->label[p->nodes[x].frame];
				uint32_t j = i;
				while (j > 0 && strcmp(v->label[p->nodes[c[j - 1]].frame], lx) > 0) {
					c[j] = c[j - 1];
					j--;
				}
				c[j] = x;
			}
			continue;
		}
		if (m > kcap) {
			free(k);
			kcap = m;
			if (!(k = malloc(kcap * sizeof(*k))))
				return -ENOMEM;
		}
		for (uint32_t i = 0; i < m; i++)
			k[i] = (struct kid){par, c[i], v->label[p->nodes[c[i]].frame]};
		qsort(k, m, sizeof(*k), kid_cmp);
		for (uint32_t i = 0; i < m; i++)
			c[i] = k[i].node;
	}
	free(k);
	return 0;
}

/* view_node_line() of every node: the innermost program frame on its
 * stack, else its innermost Python frame (a parent's answers are known
 * before its children's). */
static int build_lines(struct view *v)
{
	const struct profile *p = v->p;
	uint32_t n = v->nnodes;
	uint32_t *prog = malloc((size_t)n * sizeof(*prog));
	uint32_t *pyf = malloc((size_t)n * sizeof(*pyf));
	v->node_line = malloc((size_t)n * sizeof(*v->node_line));
	int rc = prog && pyf && v->node_line ? 0 : -ENOMEM;
	if (!rc) {
		prog[0] = pyf[0] = v->node_line[0] = UINT32_MAX;
		for (uint32_t i = 1; i < n; i++) {
			uint32_t par = p->nodes[i].parent, fr = p->nodes[i].frame;
			int py = is_python(&p->frames[fr]);
			prog[i] = py && v->kind[fr] == ORIGIN_PROGRAM ? fr : prog[par];
			pyf[i] = py ? fr : pyf[par];
			v->node_line[i] = prog[i] != UINT32_MAX ? prog[i] : pyf[i];
		}
	}
	free(prog);
	free(pyf);
	return rc;
}

/* The memo's keys' count: the room a per-key table needs. */
static uint32_t nkeys(const struct view *v)
{
	return ((const struct label_memo *)v->memo)->nk;
}

/* Every line holding bytes, each once, in no order: the bytes of the
 * stacks whose innermost Python frame (else innermost frame) has its key
 * (one file reached under two spellings that display the same is one
 * line), its frame the lowest such index (as a sort by key then frame
 * would put first), the unattributed bytes under their own key. */
static int all_lines(const struct view *v, struct line_key **out, size_t *nout)
{
	const struct profile *p = v->p;
	uint32_t n = v->nnodes, nk = nkeys(v);
	/* pyf[i]: the innermost Python frame on node i's stack (forward pass:
	 * the parent's is known first), or UINT32_MAX if there is none. */
	uint32_t *pyf = malloc((size_t)n * sizeof(*pyf));
	int64_t *by_frame = calloc(p->nframes ? p->nframes : 1, sizeof(*by_frame));
	uint32_t *at = malloc((nk ? nk : 1) * sizeof(*at)); /* key -> its line in k */
	struct line_key *k = malloc(((size_t)p->nframes + 1) * sizeof(*k));
	if (!pyf || !by_frame || !at || !k) {
		free(pyf);
		free(by_frame);
		free(at);
		free(k);
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
	memset(at, 0xff, (nk ? nk : 1) * sizeof(*at));
	size_t m = 0;
	for (uint32_t f = 0; f < p->nframes; f++) {
		if (by_frame[f] <= 0)
			continue;
		uint32_t key = v->key[f];
		if (at[key] != UINT32_MAX) {
			k[at[key]].bytes += by_frame[f];
			continue;
		}
		at[key] = (uint32_t)m;
		int syn = !is_python(&p->frames[f]);
		k[m++] = (struct line_key){f, by_frame[f], syn ? v->label[f] : v->file[f],
					   syn ? "" : p->frames[f].func ? p->frames[f].func : "",
					   syn ? 0 : p->frames[f].line, syn};
	}
	if (v->self[0] > 0) {
		if (at[v->unattr_key] != UINT32_MAX)
			k[at[v->unattr_key]].bytes += v->self[0];
		else
			k[m++] = (struct line_key){UINT32_MAX, v->self[0], VIEW_UNATTRIBUTED, "", 0, 1};
	}
	free(by_frame);
	free(at);
	*out = k;
	*nout = m;
	return 0;
}

/* The first `want` of n elements of `size` bytes in cmp's order, copied
 * into top (room for want): each element compared with the last kept
 * and, if before it, inserted.  Returns how many (at most want). */
static size_t top_n(const void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *), void *top, size_t want)
{
	size_t kept = 0;
	char *t = top;
	const char *e = base;
	for (size_t i = 0; i < n; i++, e += size) {
		if (kept == want && cmp(e, t + (want - 1) * size) >= 0)
			continue;
		size_t j = kept < want ? kept++ : want - 1;
		while (j > 0 && cmp(e, t + (j - 1) * size) < 0) {
			memcpy(t + j * size, t + (j - 1) * size, size);
			j--;
		}
		memcpy(t + j * size, e, size);
	}
	return kept;
}

static void fill_top(const struct view *v, const struct line_key *k, struct view_top *t)
{
	t->file = k->file;
	t->func = k->func;
	t->line = k->line;
	t->synthetic = k->synthetic;
	t->frame = k->frame;
	t->bytes = k->bytes;
	t->share = v->peak_bytes > 0 ? (double)k->bytes / (double)v->peak_bytes : 0;
	t->source = "";
}

/* The top lines: the first VIEW_TOP_MAX of all_lines in
 * line_bytes_cmp's order (largest first), not a sort of them all. */
static int build_top(struct view *v)
{
	struct line_key *k, top[VIEW_TOP_MAX];
	size_t m;
	if (all_lines(v, &k, &m))
		return -ENOMEM;
	v->nlines = m;
	v->ntop = top_n(k, m, sizeof(*k), line_bytes_cmp, top, VIEW_TOP_MAX);
	free(k);
	for (size_t i = 0; i < v->ntop; i++) {
		fill_top(v, &top[i], &v->top[i]);
		v->top[i].source = view_source(v, top[i].frame);
	}
	return 0;
}

static int is_import(const struct profile_frame *f)
{
	return is_python(f) && f->file && f->file[0] == '<' &&
	       !strncmp(f->file, "<frozen importlib._bootstrap", 28);
}

struct mine_e {
	struct line_key k;
	uint32_t via;     /* innermost Python frame, or UINT32_MAX */
	uint32_t key;     /* k's (memo_key) */
};

/* A line of "your lines" being summed (build_mine), and its part held
 * through one via. */
struct mine_line {
	uint32_t rep;      /* its entry: of its lowest via, the first stack */
	uint32_t min_via, best_via;
	int64_t sum, best; /* its bytes; best_via's */
};

struct mine_via {
	uint32_t line, via, first;
	int64_t bytes;
};

static int mine_cmp(const void *a, const void *b)
{
	const struct mine_e *x = a, *y = b;
	int c = key_cmp(&x->k, &y->k);
	if (c)
		return c;
	return x->via < y->via ? -1 : x->via > y->via;
}

static int mine_bytes_cmp(const void *a, const void *b)
{
	const struct mine_e *x = a, *y = b;
	if (x->k.bytes != y->k.bytes)
		return x->k.bytes > y->k.bytes ? -1 : 1;
	return mine_cmp(a, b);
}

#define NONE UINT32_MAX

/* The lines of the stacks e[0..ne) (each line's bytes, and the via
 * holding most of them), as a sort of e by mine_cmp then a pass over
 * each line's stacks would make them, into out (room for ne): summed by
 * key and (key, via), in no order.  Returns how many, or -1: no memory. */
static long sum_mine(const struct view *v, const struct mine_e *e, size_t ne,
		     struct mine_e *out)
{
	uint32_t nk = nkeys(v);
	size_t cap = 16;
	while (cap < 2 * ne)
		cap *= 2;
	uint32_t *at = malloc((nk ? nk : 1) * sizeof(*at)); /* key -> line */
	struct mine_line *l = malloc((ne ? ne : 1) * sizeof(*l));
	struct mine_via *s = malloc((ne ? ne : 1) * sizeof(*s));
	uint32_t *slot = calloc(cap, sizeof(*slot)); /* (line, via) -> s + 1 */
	long nl = -1;
	if (!at || !l || !s || !slot)
		goto out;
	memset(at, 0xff, (nk ? nk : 1) * sizeof(*at));
	uint32_t nlines = 0, ns = 0;
	for (size_t j = 0; j < ne; j++) {
		uint32_t g = at[e[j].key];
		if (g == NONE) {
			g = at[e[j].key] = nlines;
			l[nlines++] = (struct mine_line){NONE, NONE, NONE, 0, -1};
		}
		size_t h = (size_t)mix(g, e[j].via) & (cap - 1);
		while (slot[h] && (s[slot[h] - 1].line != g || s[slot[h] - 1].via != e[j].via))
			h = (h + 1) & (cap - 1);
		if (!slot[h]) {
			s[ns] = (struct mine_via){g, e[j].via, (uint32_t)j, 0};
			slot[h] = ++ns;
		}
		s[slot[h] - 1].bytes += e[j].k.bytes;
		l[g].sum += e[j].k.bytes;
	}
	/* the sort's order: by via within a line, stacks in node order */
	for (uint32_t i = 0; i < ns; i++) {
		struct mine_line *g = &l[s[i].line];
		if (g->rep == NONE || s[i].via < g->min_via) {
			g->min_via = s[i].via;
			g->rep = s[i].first;
		}
		if (s[i].bytes > g->best || (s[i].bytes == g->best && s[i].via < g->best_via)) {
			g->best = s[i].bytes;
			g->best_via = s[i].via;
		}
	}
	for (uint32_t i = 0; i < nlines; i++) {
		out[i] = e[l[i].rep];
		out[i].k.bytes = l[i].sum;
		out[i].via = l[i].best_via;
	}
	nl = nlines;
out:
	free(at);
	free(l);
	free(s);
	free(slot);
	return nl;
}

/* "Your lines" (view_mine): one forward pass over the trie (a parent's
 * answers are known before its children's), then the stacks that hold
 * bytes summed by their line (sum_mine), the largest kept. */
static int build_mine(struct view *v, const struct origin *o)
{
	const struct profile *p = v->p;
	uint32_t n = v->nnodes;
	uint32_t *prog = malloc((size_t)n * sizeof(*prog)); /* innermost program frame */
	uint32_t *imp = malloc((size_t)n * sizeof(*imp));   /* outermost imported module's frame */
	uint32_t *pyf = malloc((size_t)n * sizeof(*pyf));   /* innermost Python frame */
	size_t *impname = malloc((p->nframes ? p->nframes : 1) * sizeof(*impname));
	uint32_t *impkey = malloc((p->nframes ? p->nframes : 1) * sizeof(*impkey));
	struct mine_e *e = malloc((size_t)n * sizeof(*e));
	struct mine_e *lines = malloc((size_t)n * sizeof(*lines));
	struct buf names;
	buf_init(&names);
	buf_putc(&names, 0);
	int rc = prog && imp && pyf && impname && impkey && e && lines ? 0 : -ENOMEM;
	size_t ne = 0;
	for (uint32_t f = 0; !rc && f < p->nframes; f++)
		impname[f] = 0;
	if (!rc) {
		prog[0] = imp[0] = pyf[0] = NONE;
		if (v->self[0] > 0)
			e[ne++] = (struct mine_e){{NONE, v->self[0], VIEW_UNATTRIBUTED, "", 0, 1}, NONE,
						  v->unattr_key};
	}
	for (uint32_t i = 1; !rc && i < n; i++) {
		uint32_t par = p->nodes[i].parent, fr = p->nodes[i].frame;
		const struct profile_frame *f = &p->frames[fr];
		int py = is_python(f);
		/* code with no file (`<string>`) is the program's only when the
		 * program ran it: libraries exec() such code too (dataclasses,
		 * namedtuple) */
		int mine = py && v->kind[fr] == ORIGIN_PROGRAM &&
			   (!f->file || f->file[0] != '<' || pyf[par] == NONE || pyf[par] == prog[par]);
		prog[i] = mine ? fr : prog[par];
		pyf[i] = py ? fr : pyf[par];
		imp[i] = imp[par];
		if (imp[i] == NONE && py && !is_import(f) && par && is_import(&p->frames[p->nodes[par].frame]))
			imp[i] = fr;
		if (v->self[i] <= 0)
			continue;
		struct mine_e *m = &e[ne++];
		m->via = pyf[i];
		if (prog[i] != NONE) {
			uint32_t k = prog[i];
			m->k = (struct line_key){k, v->self[i], v->file[k],
						 p->frames[k].func ? p->frames[k].func : "",
						 p->frames[k].line, 0};
			m->key = v->key[k];
			if (m->via == k)
				m->via = NONE;
		} else if (imp[i] != NONE) {
			uint32_t k = imp[i];
			if (!impname[k]) {
				impname[k] = names.len;
				buf_puts(&names, "[import ");
				origin_module(&names, o, p->frames[k].file);
				buf_puts(&names, "]");
				buf_putc(&names, 0);
				impkey[k] = names.oom ? NONE
						      : memo_key((struct label_memo *)v->memo, 1,
								 names.p + impname[k], "", 0, 0);
				if (impkey[k] == NONE) {
					rc = -ENOMEM;
					break;
				}
			}
			m->key = impkey[k];
			/* the string is placed once the buffer stops moving */
			m->k = (struct line_key){NONE, v->self[i], NULL, "", 0, 1};
			m->k.line = (uint32_t)k; /* frame, until then */
		} else if (pyf[i] != NONE) {
			uint32_t k = pyf[i];
			m->k = (struct line_key){k, v->self[i], v->file[k],
						 p->frames[k].func ? p->frames[k].func : "",
						 p->frames[k].line, 0};
			m->key = v->key[k];
			m->via = NONE;
		} else {
			m->k = (struct line_key){fr, v->self[i], v->label[fr], "", 0, 1};
			m->key = v->key[fr];
			m->via = NONE;
		}
	}
	if (!rc && names.oom)
		rc = -ENOMEM;
	if (!rc) {
		for (size_t j = 0; j < ne; j++)
			if (!e[j].k.file) {
				e[j].k.file = names.p + impname[e[j].k.line];
				e[j].k.line = 0;
			}
		/* per line: its bytes, and the via holding most of them */
		long m = sum_mine(v, e, ne, lines);
		if (m < 0) {
			rc = -ENOMEM;
			goto out;
		}
		v->nmine_lines = (size_t)m;
		v->nmine = top_n(lines, (size_t)m, sizeof(*lines), mine_bytes_cmp, e, VIEW_TOP_MAX);
		for (size_t j = 0; j < v->nmine; j++) {
			struct view_top *t = &v->mine[j].l;
			t->file = e[j].k.file;
			t->func = e[j].k.func;
			t->line = e[j].k.line;
			t->synthetic = e[j].k.synthetic;
			t->frame = e[j].k.frame;
			t->bytes = e[j].k.bytes;
			t->share = v->peak_bytes > 0 ? (double)t->bytes / (double)v->peak_bytes : 0;
			t->source = t->synthetic ? "" : view_source(v, t->frame);
			v->mine[j].via = e[j].via != NONE ? v->slabel[e[j].via] : "";
		}
		v->mine_strings = names.p;
		names.p = NULL;
	}
out:
	buf_free(&names);
	free(prog);
	free(imp);
	free(pyf);
	free(impname);
	free(impkey);
	free(e);
	free(lines);
	return rc;
}

int view_lines(const struct view *v, struct view_top **out, size_t *n)
{
	struct line_key *k;
	size_t m;
	*out = NULL;
	*n = 0;
	if (all_lines(v, &k, &m))
		return -ENOMEM;
	qsort(k, m, sizeof(*k), line_bytes_cmp);
	struct view_top *t = malloc((m ? m : 1) * sizeof(*t));
	if (!t) {
		free(k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m; i++)
		fill_top(v, &k[i], &t[i]);
	free(k);
	*out = t;
	*n = m;
	return 0;
}

int view_build(struct view *v, const struct profile *p, const char *cwd, struct src_cache *src)
{
	struct origin o;
	origin_init_cwd(&o, cwd);
	return view_build_in(v, p, &o, src);
}

int view_build_in(struct view *v, const struct profile *p, const struct origin *o,
		  struct src_cache *src)
{
	return view_build_like(v, p, NULL, o, src);
}

/* like's children's order, depths and lines, for the same nodes and
 * frames. */
static void copy_tree(struct view *v, const struct view *like)
{
	size_t n = v->nnodes;
	memcpy(v->kids_start, like->kids_start, (n + 1) * sizeof(*v->kids_start));
	memcpy(v->kids, like->kids, n * sizeof(*v->kids));
	memcpy(v->depth, like->depth, n * sizeof(*v->depth));
	memcpy(v->node_line, like->node_line, n * sizeof(*v->node_line));
	v->max_depth = like->max_depth;
}

int view_build_like(struct view *v, const struct profile *p, const struct view *like,
		    const struct origin *o, struct src_cache *src)
{
	struct origin none;
	if (!o) {
		origin_init_cwd(&none, "");
		o = &none;
	}
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
	/* build_labels sets every frame's (source is looked up on first use) */
	v->file = malloc(nf * sizeof(*v->file));
	v->label = malloc(nf * sizeof(*v->label));
	v->flabel = malloc(nf * sizeof(*v->flabel));
	v->source = calloc(nf, sizeof(*v->source));
	v->slabel = malloc(nf * sizeof(*v->slabel));
	v->kind = malloc(nf * sizeof(*v->kind));
	v->key = malloc(nf * sizeof(*v->key));
	v->ent = malloc(nf * sizeof(*v->ent));
	if (!v->ent || !v->self || !v->incl || !v->depth || !v->kids_start || !v->kids || !v->file ||
	    !v->label || !v->flabel || !v->source || !v->slabel || !v->kind || !v->key)
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
	v->total = v->incl[0];
	v->peak_bytes = p->peak_bytes > 0 ? p->peak_bytes : v->total;
	int all_like;
	if (build_labels(v, o, like, &all_like))
		goto oom;
	if (all_like && like->nnodes == p->nnodes && like->p->nodes == p->nodes) {
		if (!(v->node_line = malloc((size_t)n * sizeof(*v->node_line))))
			goto oom;
		copy_tree(v, like);
	} else {
		v->depth[0] = 0;
		for (uint32_t i = 1; i < n; i++) {
			v->depth[i] = v->depth[p->nodes[i].parent] + 1;
			if (v->depth[i] > v->max_depth)
				v->max_depth = v->depth[i];
		}
		if (build_kids(v) || build_lines(v))
			goto oom;
	}
	if (build_top(v) || build_mine(v, o))
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
	free(v->slabel);
	free(v->kind);
	free(v->node_line);
	free(v->key);
	free(v->ent);
	if (v->own_memo)
		memo_release(v->own_memo);
	free(v->mine_strings);
	free(v->flame);
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

char **view_frame_extra(struct view *v, uint32_t frame)
{
	struct label_memo *m = (struct label_memo *)v->memo;
	if (frame >= v->nframes || !m)
		return NULL;
	uint32_t e = v->ent[frame];
	if (e >= m->nextra) {
		uint32_t n = m->n > e ? m->n : e + 1;
		char **q = realloc(m->extra, (size_t)n * sizeof(*q));
		if (!q)
			return NULL;
		memset(q + m->nextra, 0, (size_t)(n - m->nextra) * sizeof(*q));
		m->extra = q;
		m->nextra = n;
	}
	return &m->extra[e];
}

const char *view_node_label(const struct view *v, uint32_t node)
{
	if (node == 0 || node >= v->nnodes)
		return "all";
	return v->label[v->p->nodes[node].frame];
}

const char *view_node_short(const struct view *v, uint32_t node)
{
	if (node == 0 || node >= v->nnodes)
		return "all";
	return v->slabel[v->p->nodes[node].frame];
}

uint32_t view_node_line(const struct view *v, uint32_t node)
{
	return node < v->nnodes ? v->node_line[node] : UINT32_MAX;
}
