/* report/flamegraph.h — the peak picture as an interactive flame graph.
 *
 * Contract
 *   - flame_svg() appends a standalone SVG document (UTF-8, well-formed XML,
 *     no external resource): one rect per trie node whose inclusive peak
 *     bytes are at least FLAME_MIN_SHARE of the total, root ("all") at the
 *     top, children left to right in label order, width proportional to
 *     inclusive bytes.  The children of a node that are narrower than the
 *     threshold are drawn as one "other" rect after their siblings, so the
 *     file stays small and every parent is still exactly as wide as its
 *     children plus its own bytes.
 *   - Each frame carries `<title>label — SIZE (P%)` plus the source line
 *     (the full label, as in peak.folded), the short label a person knows
 *     (view.h slabel: `pandas/core/frame.py:10090 (DataFrame.merge)`) fitted
 *     to its width with its function kept (flamegraph.c fitted()), and
 *     data-o/data-b/data-d/data-n (offset and width in bytes, depth, full
 *     label), data-s (the short label, when it differs) and data-f (the
 *     function of a Python frame) for the embedded script, which adds:
 *     click to zoom, "Reset zoom", "Search" (a regular expression, or plain
 *     text if it is not one) highlighting matches and showing the matched
 *     share of the total, and hover details.
 *   - flame_svg_inline() appends the same <svg> element for an HTML page
 *     (no XML declaration, no script, scales to the page width); the page
 *     must then include flame_script() in a <script> element after it.
 *   - A view's frames are drawn once and kept in the view (view.h
 *     `flame`, released by view_free): both forms of the same view, and
 *     any later call, copy them.  So the view's picture must not change
 *     after its first graph.
 *   - All program text is escaped with esc_xml (valid for HTML too).
 *   - Out of memory is left in b->oom (buf.h).
 */
#ifndef OOMPH_REPORT_FLAMEGRAPH_H
#define OOMPH_REPORT_FLAMEGRAPH_H

#include "report/buf.h"
#include "report/view.h"

#define FLAME_MIN_SHARE 0.001 /* frames narrower than 0.1% join "other" */
#define FLAME_WIDTH 1200
#define FLAME_FRAME_HEIGHT 16

void flame_svg(struct buf *b, struct view *v, const char *title);
void flame_svg_inline(struct buf *b, struct view *v, const char *title);
/* The script that makes either form interactive (no "]]>", no "</"). */
const char *flame_script(void);

#endif
