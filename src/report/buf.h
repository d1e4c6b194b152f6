/* report/buf.h — a growable byte buffer, and writing one to a file atomically.
 *
 * Contract
 *   - A struct buf starts zeroed (or buf_init) and owns its bytes; buf_free
 *     releases them.  The text is always NUL-terminated once anything was
 *     put (buf_str() never returns NULL).
 *   - Out of memory is sticky: the failing put and every later put do
 *     nothing and `oom` stays set, so writers check once, at the end
 *     (buf_write_file refuses an oom buffer with -ENOMEM).
 *   - buf_write_file() writes to a random temporary name in the same
 *     directory and renames it over the target (common/safefs.h: never
 *     through a link, only in a directory of the effective user's, mode
 *     0600 plus the directory's read bits): a reader sees the old file, the
 *     complete new one, or nothing; never a half-written one.  Returns 0 or a
 *     negative errno with a one-line message in `err`.
 */
#ifndef OOMPH_REPORT_BUF_H
#define OOMPH_REPORT_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the storage */
/* The put functions are inline: the report makes millions of small puts
 * (labels, numbers, escaped text), and the common one fits the buffer.
 * buf_put_grow is the rest (room to make, or the buffer is oom). */
void buf_put_grow(struct buf *b, const void *s, size_t n);
static inline void buf_put(struct buf *b, const void *s, size_t n)
{
	/* cap > len whenever p is set: this is len + n + 1 <= cap */
	if (__builtin_expect(!b->oom && n < b->cap - b->len, 1)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = 0;
		return;
	}
	buf_put_grow(b, s, n);
}
static inline void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}
static inline void buf_putc(struct buf *b, char c)
{
	if (__builtin_expect(!b->oom && b->cap - b->len > 1, 1)) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
		return;
	}
	buf_put_grow(b, &c, 1);
}
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
const char *buf_str(const struct buf *b);

int buf_write_file(const struct buf *b, const char *path, char *err, size_t errlen);

#endif
