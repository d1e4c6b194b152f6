/* report/export.c — speedscope and pprof files of the peak (export.h). */
#include "report/export.h"

#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"
#include "report/escape.h"
#include "report/json.h"

#ifndef OOMPH_VERSION
#define OOMPH_VERSION "0.0.0"
#endif

/* The frames of node i's stack, root first, into path (returns the
 * depth): filled from the end, the view knows the depth. */
static uint32_t path_of(const struct view *v, uint32_t i, uint32_t *path)
{
	uint32_t d = v->depth[i];
	for (uint32_t j = i, k = d; j != 0; j = v->p->nodes[j].parent)
		path[--k] = v->p->nodes[j].frame;
	return d;
}

/* The frame index that stands for the unattributed bytes of the root. */
#define UNATTRIBUTED_FRAME(v) ((v)->nframes)

static const char *frame_name(const struct view *v, uint32_t f)
{
	if (f == UNATTRIBUTED_FRAME(v))
		return VIEW_UNATTRIBUTED;
	const struct profile_frame *fr = &v->p->frames[f];
	return fr->flags == PROFILE_FRAME_PYTHON ? fr->func : fr->file;
}

/* A file's text (escaped, or its string table id) by the profile's
 * string for it: direct-mapped, a miss is made again. */
#define FILE_SLOTS 1024
struct file_esc {
	const char *raw;
	size_t at, len;
};

static struct file_esc *file_slot(struct file_esc *fc, const char *raw)
{
	return &fc[((uintptr_t)raw >> 4) & (FILE_SLOTS - 1)];
}

void export_speedscope(struct buf *b, const struct view *v, const char *name)
{
	uint32_t *path = malloc(((size_t)v->max_depth + 2) * sizeof(*path));
	if (!path) {
		b->oom = 1;
		return;
	}
	struct jw w;
	jw_init(&w, b, 0, 0);
	jw_obj(&w);
	jw_key(&w, "$schema");
	jw_str(&w, "https://www.speedscope.app/file-format-schema.json");
	jw_key(&w, "exporter");
	jw_str(&w, "oomph " OOMPH_VERSION);
	jw_key(&w, "name");
	jw_str(&w, name);
	jw_key(&w, "activeProfileIndex");
	jw_int(&w, 0);
	jw_key(&w, "shared");
	jw_obj(&w);
	jw_key(&w, "frames");
	jw_arr(&w);
	/* each frame's object as jw_obj, jw_key, jw_str... would write it
	 * (not pretty, no flags), in one jw_raw; a file's escaped text kept
	 * by the profile's string (frames of one file share it, and its
	 * display name is the same) */
	struct buf one, files;
	buf_init(&one);
	buf_init(&files);
	struct file_esc fc[FILE_SLOTS];
	memset(fc, 0, sizeof(fc));
	for (uint32_t f = 0; f <= v->nframes; f++) {
		buf_reset(&one);
		buf_put(&one, "{\"name\":", 8);
		esc_json(&one, frame_name(v, f), 0);
		if (f < v->nframes && v->p->frames[f].flags == PROFILE_FRAME_PYTHON) {
			char s[NUMFMT_MAX];
			buf_put(&one, ",\"file\":", 8);
			struct file_esc *e = file_slot(fc, v->p->frames[f].file);
			if (e->raw != v->p->frames[f].file || files.oom) {
				e->raw = v->p->frames[f].file;
				e->at = files.len;
				esc_json(&files, v->file[f], 0);
				e->len = files.len - e->at;
			}
			buf_put(&one, buf_str(&files) + e->at, e->len);
			buf_put(&one, ",\"line\":", 8);
			buf_put(&one, s, (size_t)numfmt_i64(s, v->p->frames[f].line));
		}
		buf_putc(&one, '}');
		jw_raw(&w, buf_str(&one), one.len);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "profiles");
	jw_arr(&w);
	jw_obj(&w);
	jw_key(&w, "type");
	jw_str(&w, "sampled");
	jw_key(&w, "name");
	jw_str(&w, name);
	jw_key(&w, "unit");
	jw_str(&w, "bytes");
	jw_key(&w, "startValue");
	jw_int(&w, 0);
	jw_key(&w, "endValue");
	jw_int(&w, v->total);
	jw_key(&w, "samples");
	jw_arr(&w);
	/* each sample the frames of its stack, root first: jw_uint_array's
	 * text, from each frame's number written once */
	struct buf nums;
	buf_init(&nums);
	size_t *at = malloc(((size_t)v->nframes + 2) * sizeof(*at));
	if (!at)
		b->oom = 1;
	for (uint32_t f = 0; at && f <= v->nframes; f++) {
		char s[NUMFMT_MAX];
		at[f] = nums.len;
		buf_put(&nums, s, (size_t)numfmt_i64(s, f));
	}
	if (at)
		at[v->nframes + 1] = nums.len;
	const char *ns = buf_str(&nums);
	for (uint32_t i = 0; at && i < v->nnodes; i++) {
		if (v->self[i] <= 0)
			continue;
		uint32_t d = 1;
		if (i == 0) {
			path[0] = UNATTRIBUTED_FRAME(v);
		} else {
			d = path_of(v, i, path);
		}
		buf_reset(&one);
		buf_putc(&one, '[');
		for (uint32_t k = 0; k < d; k++) {
			if (k)
				buf_putc(&one, ',');
			buf_put(&one, ns + at[path[k]], at[path[k] + 1] - at[path[k]]);
		}
		buf_putc(&one, ']');
		jw_raw(&w, buf_str(&one), one.len);
	}
	if (nums.oom || one.oom || files.oom)
		b->oom = 1;
	buf_free(&nums);
	buf_free(&one);
	buf_free(&files);
	free(at);
	jw_arr_end(&w);
	jw_key(&w, "weights");
	jw_arr(&w);
	for (uint32_t i = 0; i < v->nnodes; i++)
		if (v->self[i] > 0) {
			char s[NUMFMT_MAX];
			jw_raw(&w, s, (size_t)numfmt_i64(s, v->self[i]));
		}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	buf_putc(b, '\n');
	free(path);
}

/* ------------------------------------------------------------- protobuf --- */

/* Straight into the buffer when ten bytes fit (the common case), else
 * a byte at a time: a pprof file has a few for every frame of every
 * stack. */
static inline __attribute__((always_inline)) void varint(struct buf *b, uint64_t x)
{
	if (__builtin_expect(!b->oom && b->cap - b->len > 11, 1)) {
		char *o = b->p + b->len;
		size_t n = 0;
		while (x >= 0x80) {
			o[n++] = (char)((x & 0x7f) | 0x80);
			x >>= 7;
		}
		o[n++] = (char)x;
		o[n] = 0;
		b->len += n;
		return;
	}
	while (x >= 0x80) {
		buf_putc(b, (char)((x & 0x7f) | 0x80));
		x >>= 7;
	}
	buf_putc(b, (char)x);
}

static inline void key(struct buf *b, unsigned field, unsigned wire)
{
	varint(b, (uint64_t)field << 3 | wire);
}

static inline void field_varint(struct buf *b, unsigned field, uint64_t x)
{
	key(b, field, 0);
	varint(b, x);
}

static inline void field_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
	key(b, field, 2);
	varint(b, n);
	buf_put(b, p, n);
}

/* A string table that hands out indexes; "" is 0.  Linear lookups would
 * be quadratic for 100,000 frames: an open-addressing hash table on the
 * strings' contents (pointers into the view, which outlives it). */
struct strtab {
	const char **s;
	size_t n, cap;
	uint32_t *slot;  /* index + 1, 0 = empty */
	size_t nslot;
};

/* Eight bytes a step (only the table's slots depend on it: the ids are
 * handed out in order of first use). */
static uint64_t hash(const char *s)
{
	size_t n = strlen(s), i = 0;
	uint64_t h = 1469598103934665603ull ^ n;
	for (; i + 8 <= n; i += 8) {
		uint64_t k;
		memcpy(&k, s + i, 8);
		h = (h ^ k) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	uint64_t k = 0;
	for (; i < n; i++)
		k = k << 8 | (unsigned char)s[i];
	h = (h ^ k) * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 31;
}

static int strtab_grow(struct strtab *t)
{
	size_t ns = t->nslot ? t->nslot * 2 : 1024;
	uint32_t *sl = calloc(ns, sizeof(*sl));
	if (!sl)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash(t->s[i]) & (ns - 1);
		while (sl[h])
			h = (h + 1) & (ns - 1);
		sl[h] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = sl;
	t->nslot = ns;
	return 0;
}

static int64_t strtab_id(struct strtab *t, const char *s)
{
	if ((t->n + 1) * 2 > t->nslot && strtab_grow(t))
		return -1;
	size_t h = hash(s) & (t->nslot - 1);
	while (t->slot[h]) {
		if (!strcmp(t->s[t->slot[h] - 1], s))
			return t->slot[h] - 1;
		h = (h + 1) & (t->nslot - 1);
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		const char **q = realloc(t->s, nc * sizeof(*q));
		if (!q)
			return -1;
		t->s = q;
		t->cap = nc;
	}
	t->s[t->n] = s;
	t->slot[h] = (uint32_t)t->n + 1;
	return (int64_t)t->n++;
}

void export_pprof(struct buf *out, const struct view *v)
{
	struct buf pb, sub, packed;
	buf_init(&pb);
	buf_init(&sub);
	buf_init(&packed);
	struct strtab st = {0};
	struct file_esc *fc = calloc(FILE_SLOTS, sizeof(*fc));
	int64_t s_space, s_bytes, s_empty;
	if (!fc || (s_empty = strtab_id(&st, "")) != 0 || (s_space = strtab_id(&st, "space")) < 0 ||
	    (s_bytes = strtab_id(&st, "bytes")) < 0)
		goto oom;

	/* sample_type = 1 { type = 1, unit = 2 } */
	field_varint(&sub, 1, (uint64_t)s_space);
	field_varint(&sub, 2, (uint64_t)s_bytes);
	field_bytes(&pb, 1, sub.p, sub.len);

	/* samples = 2 { location_id = 1 (packed, leaf first), value = 2 } */
	for (uint32_t i = 0; i < v->nnodes; i++) {
		if (v->self[i] <= 0)
			continue;
		buf_reset(&sub);
		buf_reset(&packed);
		if (i == 0) {
			varint(&packed, UNATTRIBUTED_FRAME(v) + 1);
		} else {
			for (uint32_t j = i; j != 0; j = v->p->nodes[j].parent)
				varint(&packed, v->p->nodes[j].frame + 1ull);
		}
		field_bytes(&sub, 1, packed.p, packed.len);
		buf_reset(&packed);
		varint(&packed, (uint64_t)v->self[i]);
		field_bytes(&sub, 2, packed.p, packed.len);
		field_bytes(&pb, 2, sub.p, sub.len);
	}

	/* location = 4 { id = 1, line = 4 { function_id = 1, line = 2 } } and
	 * function = 5 { id = 1, name = 2, system_name = 3, filename = 4 },
	 * one each per frame (ids are frame index + 1). */
	for (uint32_t f = 0; f <= v->nframes; f++) {
		int py = f < v->nframes && v->p->frames[f].flags == PROFILE_FRAME_PYTHON;
		int64_t name = strtab_id(&st, frame_name(v, f)), file = 0; /* "" */
		if (py) { /* the id in the slot's `at` */
			struct file_esc *e = file_slot(fc, v->p->frames[f].file);
			if (e->raw != v->p->frames[f].file) {
				file = strtab_id(&st, v->file[f]);
				*e = (struct file_esc){v->p->frames[f].file, (size_t)file, 0};
			}
			file = (int64_t)e->at;
		}
		if (name < 0 || file < 0)
			goto oom;
		buf_reset(&sub);
		buf_reset(&packed);
		field_varint(&packed, 1, f + 1ull);
		if (py)
			field_varint(&packed, 2, v->p->frames[f].line);
		field_varint(&sub, 1, f + 1ull);
		field_bytes(&sub, 4, packed.p, packed.len);
		field_bytes(&pb, 4, sub.p, sub.len);
		buf_reset(&sub);
		field_varint(&sub, 1, f + 1ull);
		field_varint(&sub, 2, (uint64_t)name);
		field_varint(&sub, 3, (uint64_t)name);
		field_varint(&sub, 4, (uint64_t)file);
		field_bytes(&pb, 5, sub.p, sub.len);
	}
	for (size_t i = 0; i < st.n; i++)
		field_bytes(&pb, 6, st.s[i], strlen(st.s[i]));
	/* period_type = 11 (space/bytes), period = 12: one byte is one byte */
	buf_reset(&sub);
	field_varint(&sub, 1, (uint64_t)s_space);
	field_varint(&sub, 2, (uint64_t)s_bytes);
	field_bytes(&pb, 11, sub.p, sub.len);
	field_varint(&pb, 12, 1);
	if (pb.oom || sub.oom || packed.oom)
		goto oom;
	export_gzip_stored(out, (const unsigned char *)pb.p, pb.len);
	goto done;
oom:
	out->oom = 1;
done:
	free(fc);
	free(st.s);
	free(st.slot);
	buf_free(&pb);
	buf_free(&sub);
	buf_free(&packed);
}

/* ----------------------------------------------------------------- gzip --- */

/* Eight bytes a step ("slicing by 8": t[k][b] is the CRC of byte b
 * followed by k zero bytes), then the rest a byte at a time: the same
 * CRC as the byte-at-a-time loop, a few instructions a byte less. */
uint32_t export_crc32(const unsigned char *data, size_t n)
{
	static uint32_t t[8][256];
	if (!t[0][1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			t[0][i] = c;
		}
		for (uint32_t i = 0; i < 256; i++)
			for (int k = 1; k < 8; k++)
				t[k][i] = t[0][t[k - 1][i] & 0xff] ^ (t[k - 1][i] >> 8);
	}
	uint32_t c = 0xffffffffu;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		const unsigned char *d = data + i;
		uint32_t lo = c ^ ((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
				   (uint32_t)d[3] << 24);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		    t[4][lo >> 24] ^ t[3][d[4]] ^ t[2][d[5]] ^ t[1][d[6]] ^ t[0][d[7]];
	}
	for (; i < n; i++)
		c = t[0][(c ^ data[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void le32(struct buf *b, uint32_t x)
{
	unsigned char t[4] = {(unsigned char)x, (unsigned char)(x >> 8), (unsigned char)(x >> 16),
			      (unsigned char)(x >> 24)};
	buf_put(b, t, 4);
}

void export_gzip_stored(struct buf *out, const unsigned char *data, size_t n)
{
	/* magic, deflate, no flags, no mtime, no extra flags, OS unknown */
	static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	buf_put(out, head, sizeof head);
	size_t off = 0;
	do {
		size_t len = n - off > 65535 ? 65535 : n - off;
		unsigned char blk[5] = {(unsigned char)(off + len == n), (unsigned char)len,
					(unsigned char)(len >> 8), (unsigned char)~len,
					(unsigned char)(~len >> 8)};
		buf_put(out, blk, 5);
		buf_put(out, data + off, len);
		off += len;
	} while (off < n);
	le32(out, export_crc32(data, n));
	le32(out, (uint32_t)n);
}
