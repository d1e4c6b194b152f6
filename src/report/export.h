/* report/export.h — the peak in the formats other tools read.
 *
 * Contract
 *   - export_speedscope() appends a speedscope file (the "sampled" profile
 *     type of https://www.speedscope.app/file-format-schema.json): one
 *     frame per profile frame (name = function, file, line), one sample per
 *     stack that holds bytes at the peak (root first), weighted in bytes
 *     (unit "bytes"); the weights add up to the view's total.
 *   - export_pprof() appends a gzip-compressed pprof profile
 *     (github.com/google/pprof proto/profile.proto): sample type
 *     ("space", "bytes"), one sample per stack (locations leaf first), one
 *     location and one function per frame (name, filename, line), strings
 *     in string_table with "" first.  The protobuf is encoded here and the
 *     gzip stream uses stored (uncompressed) deflate blocks: valid for every
 *     gzip reader, no zlib needed.
 *   - Both leave the view unchanged and record out-of-memory in the buffer.
 */
#ifndef OOMPH_REPORT_EXPORT_H
#define OOMPH_REPORT_EXPORT_H

#include "report/buf.h"
#include "report/view.h"

void export_speedscope(struct buf *b, const struct view *v, const char *name);
void export_pprof(struct buf *b, const struct view *v);

/* gzip of `n` bytes with stored blocks (exposed for tests). */
void export_gzip_stored(struct buf *out, const unsigned char *data, size_t n);
uint32_t export_crc32(const unsigned char *data, size_t n);

#endif
