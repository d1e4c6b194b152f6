/* report/source.h — the text of source lines, for labels and tables.
 *
 * Contract
 *   - src_new(cwd) makes a cache; relative file names are resolved against
 *     cwd (the profiled run's working directory).  NULL: out of memory.
 *   - src_line() returns line `line` (1-based) of `file` with leading and
 *     trailing white space removed, or "" when the file cannot be read, is
 *     not a regular file (a FIFO or device would block or never end), is a
 *     pseudo-file such as "<string>", or is shorter.  Lines longer than
 *     SRC_MAX_LINE bytes are cut (on a UTF-8 boundary) and end in "...".
 *   - Each file is read once, at most SRC_MAX_FILE bytes of it; the string
 *     returned stays valid until src_free().  The bytes are the file's own
 *     (not escaped, maybe not UTF-8): escape them for the output.
 *   - Only Python source is read (a name ending in .py or .pyw, or the run's
 *     own script given to src_set_run): a code object can name any file,
 *     and a report must not quote one the program never ran.  A file
 *     modified after the time given to src_set_run (the run's end) is not
 *     shown: its lines are not the ones the run had; src_changed() lists
 *     such files.
 *   - The lines the run used are kept with its report: src_save() writes
 *     every line handed out (RUN_DIR/sources); src_load() fills a cache
 *     from that text, after which the disk is never read again — so a
 *     report rendered later shows the lines of the run, even if the
 *     script was edited or deleted since.  Both return 0 or -errno.
 *   - src_memo() is room for the views of one report to share what they
 *     compute per frame (report/view.c keeps its frames' labels there, so
 *     the peak's, the display's, the callers' and the job's views of one
 *     process label each frame once): an owned pointer, released by
 *     src_free() (or a later src_set_memo) through the function given.
 */
#ifndef OOMPH_REPORT_SOURCE_H
#define OOMPH_REPORT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#define SRC_MAX_FILE (4u << 20)
#define SRC_MAX_LINE 400u

struct src_cache;

struct src_cache *src_new(const char *cwd);
const char *src_line(struct src_cache *c, const char *file, uint32_t line);
void src_free(struct src_cache *c);

#define SRC_FILE "sources"
int src_set_run(struct src_cache *c, double start_unix_s, const char *script);
/* How many files changed; their names (borrowed) into names[0..max). */
size_t src_changed(const struct src_cache *c, const char **names, size_t max);
/* *out (malloc'd, *outlen bytes): the stored-lines text. */
int src_save(const struct src_cache *c, char **out, size_t *outlen);
/* Fills c from a stored-lines text (modified in place). */
int src_load(struct src_cache *c, char *text, size_t len);
void *src_memo(const struct src_cache *c);
void src_set_memo(struct src_cache *c, void *memo, void (*release)(void *));

#endif
