/* report/html.h — index.html: the whole report in one self-contained page.
 *
 * Contract
 *   - html_page() appends a complete HTML5 document for a page (doc.h): the
 *     verdict and headline numbers, the peak flame graph (flamegraph.h,
 *     inline, with its script), the top lines with their source text, the
 *     processes (linked to their own pages), errors and warnings, and the
 *     page's summary.json embedded as <script type="application/json"
 *     id="oomph-summary"> for tools.
 *   - Self-contained: inline CSS and script, no URL is ever loaded; links
 *     point only at files of the report directory.
 *   - Every string from the program goes through esc_html (or, inside the
 *     script element, esc_json with ESC_JSON_SCRIPT).
 *   - Out of memory is left in b->oom (buf.h).
 */
#ifndef OOMPH_REPORT_HTML_H
#define OOMPH_REPORT_HTML_H

#include "report/buf.h"
#include "report/doc.h"

void html_page(struct buf *b, const struct doc *d);
/* The report's style sheet (for pages of the same look: oomph model). */
const char *html_css(void);

#endif
