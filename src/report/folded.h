/* report/folded.h — the peak picture as folded stacks, the text format of
 * flamegraph.pl, inferno and speedscope.
 *
 * Contract
 *   - One line per distinct stack with nonzero bytes at the peak:
 *       root;...;innermost BYTES\n
 *     frames root first, each the view's folded-safe label (`FILE:LINE
 *     (FUNC)`, or a synthetic frame's text), so a line never contains a
 *     stray ';' or newline.  Two trie nodes that print the same stack are
 *     one line (their bytes added).  The root's own bytes (see
 *     VIEW_UNATTRIBUTED) appear as the one-frame stack `[unattributed]`.
 *   - Lines are sorted by the stack text (bytewise), so the file is the same
 *     for the same profile; the byte counts add up to view->total.
 *   - Appends to `out`; out of memory is left in out->oom (buf.h).
 */
#ifndef OOMPH_REPORT_FOLDED_H
#define OOMPH_REPORT_FOLDED_H

#include "report/buf.h"
#include "report/view.h"

void folded_write(struct buf *out, const struct view *v);

#endif
