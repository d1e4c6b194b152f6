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

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the storage */
void buf_put(struct buf *b, const void *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
const char *buf_str(const struct buf *b);

int buf_write_file(const struct buf *b, const char *path, char *err, size_t errlen);

#endif
