/* report/escape.h — make text from the profiled program safe for each
 * output context.
 *
 * Everything the program controls (file names, function names, source text,
 * argv) goes through one of these before it reaches a report file or the
 * terminal; this is a security boundary: a source line such as
 * `</script><svg onload=alert(1)>` must stay text everywhere.
 *
 * Contract
 *   - Input is a NUL-terminated byte string in any encoding; invalid UTF-8
 *     (overlong forms, surrogates, code points above U+10FFFF, truncated
 *     sequences) is replaced by U+FFFD byte by byte, so every output is
 *     valid UTF-8.
 *   - Output is appended to a struct buf (out of memory: see buf.h).
 *   - esc_html / esc_xml: for element text and for attribute values quoted
 *     with " or '.  & < > " ' become entities valid in both HTML and XML;
 *     characters XML 1.0 forbids (C0 controls other than tab, LF, CR, and
 *     U+FFFE/U+FFFF) become U+FFFD, so a parser never rejects the file.
 *   - esc_json: a complete JSON string, quotes included.  " and \ are
 *     escaped, control characters become \u00XX.  With ESC_JSON_SCRIPT the
 *     result may also sit inside an HTML <script> element: < > & U+2028
 *     U+2029 become \u003c \u003e \u0026 \u2028 \u2029, so neither
 *     `</script>` nor `<!--` can appear and JavaScript parsers agree.
 *   - esc_folded: one frame of a folded stack: ';' (the separator) becomes
 *     ':', control characters (newline included) become '?'.
 *   - esc_term: for the terminal: C0/C1 controls and DEL become '?' so the
 *     program's names cannot move the cursor or recolour the screen.
 *   - esc_utf8_next: decodes one code point (the building block above).
 */
#ifndef OOMPH_REPORT_ESCAPE_H
#define OOMPH_REPORT_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "report/buf.h"

#define ESC_JSON_SCRIPT 1u

/* Decode the code point at s (n >= 1 bytes available).  Returns the bytes
 * consumed (>= 1); an invalid sequence gives *cp = 0xFFFD and consumes 1. */
size_t esc_utf8_next(const char *s, size_t n, uint32_t *cp);
void esc_put_utf8(struct buf *b, uint32_t cp);

void esc_html(struct buf *b, const char *s);
void esc_xml(struct buf *b, const char *s);
void esc_json(struct buf *b, const char *s, unsigned flags);
void esc_folded(struct buf *b, const char *s);
void esc_term(struct buf *b, const char *s);

/* Bytes taken by the first `max_cp` code points of s (all of s if shorter);
 * *ncp (if given) receives the number of code points counted. */
size_t esc_utf8_prefix(const char *s, size_t max_cp, size_t *ncp);

#endif
