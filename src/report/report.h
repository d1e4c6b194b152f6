/* report/report.h — turn a run directory into the report.
 *
 * Contract
 *   - report_render() loads every state file under RUN_DIR/state/ with
 *     profile_load(), picks the main process (the first profiled process
 *     whose parent was not profiled, earliest start), and writes into RUN_DIR:
 *       summary.json   machine-readable result (schema in docs/report-format.md)
 *       peak.folded    what was live at the peak: `frame;frame;... BYTES`
 *       peak.svg       interactive flame graph of the same
 *       index.html     self-contained report
 *     and the same four files under processes/<pid>/ for every other process.
 *   - Files are written to a temporary name and renamed, so a report file is
 *     either complete or absent.  A state file that cannot be read is named,
 *     with the reason, in summary.json ("errors") and on the terminal; the
 *     rest of the report is still written.
 *   - The terminal summary goes to `term` (NULL: none).
 *   - Returns 0, or a negative errno with a one-line message in `err`.
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_REPORT_H
#define OOMPH_REPORT_H

#include <stdio.h>
#include "profile/runmeta.h"

int report_render(const char *run_dir, const struct runmeta *meta, FILE *term,
		  char *err, size_t errlen);

/* The same with the places apart: the state files read from state_dir
 * (NULL: where runmeta_state_dir() says), the
 * report written into out_dir (NULL: RUN_DIR; a snapshot's directory).
 * running: the program still runs, the report is of now: its verdict is
 * "running", its durations run until now, and now.folded / now.svg hold
 * what the main process has live now (docs/report-format.md). */
struct report_target {
	const char *run_dir;
	const char *state_dir;
	const char *out_dir;
	int running;
	/* out, when not NULL: 1 if the state directory held state files and
	 * profile_load() read not one of them (a report that only lists
	 * why), else 0 */
	int *unreadable;
};
int report_render_to(const struct report_target *t, const struct runmeta *meta, FILE *term,
		     char *err, size_t errlen);

#endif
