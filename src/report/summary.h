/* report/summary.h — the result in numbers: summary.json, and the few lines
 * printed on the terminal when a run ends.
 *
 * Contract
 *   - summary_json() appends the JSON document for a page (schema in
 *     docs/report-format.md).  pretty: indented, for the file; esc_flags
 *     ESC_JSON_SCRIPT: safe to embed in an HTML <script> element.
 *   - summary_terminal() prints the terminal summary (every line starts with
 *     "oomph: "; program text has its control characters neutralised).
 *     `report_path` is the index.html to point at.
 *   - summary_incomplete() lists why a process's data may be partial (the
 *     words are part of the JSON schema); returns how many, at most `max`.
 *   - Every number and the verdict's sentence come decided in d->head
 *     (doc_decide, report/doc.c): the writers only format them.
 *   - Out of memory while building JSON is left in b->oom (buf.h).
 */
#ifndef OOMPH_REPORT_SUMMARY_H
#define OOMPH_REPORT_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "report/buf.h"
#include "report/doc.h"

#define SUMMARY_TERM_TOP 5
#define SUMMARY_MAX_INCOMPLETE 8

void summary_json(struct buf *b, const struct doc *d, int pretty, unsigned esc_flags);
void summary_terminal(FILE *f, const struct doc *d, const char *report_path);
size_t summary_incomplete(const struct profile *p, const char **out, size_t max);

#endif
