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
 */
#ifndef OOMPH_REPORT_SOURCE_H
#define OOMPH_REPORT_SOURCE_H

#include <stdint.h>

#define SRC_MAX_FILE (4u << 20)
#define SRC_MAX_LINE 400u

struct src_cache;

struct src_cache *src_new(const char *cwd);
const char *src_line(struct src_cache *c, const char *file, uint32_t line);
void src_free(struct src_cache *c);

#endif
