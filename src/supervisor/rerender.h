/* supervisor/rerender.h — `oomph report DIR`: render a run directory again
 * from its run.meta and state files.
 *
 * Contract
 *   - rerender_dir() checks that DIR is a run directory, loads run.meta,
 *     renders the report (report/report.h) and prints the summary on stderr.
 *   - Returns 0 (out->status OOMPH_EXIT_OK), or a negative errno with a
 *     one-line message in err and out->status the OOMPH_EXIT_* for it:
 *     NOINPUT (not a run directory), DATAERR (run.meta or every profile
 *     unreadable), CANTCREAT (the report cannot be written), SOFTWARE.
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_RERENDER_H
#define OOMPH_RERENDER_H

#include <stddef.h>

#include "supervisor/run.h"

int rerender_dir(const char *dir, struct run_outcome *out, char *err, size_t errlen);
/* What every command that reads a run directory checks first (command:
 * "report", "top"): DIR exists, is a directory and no link, holds run.meta
 * (else NOINPUT), and is the effective user's alone (common/safefs.h; else
 * CANTCREAT for report, which writes there, NOINPUT for top).  0, or the
 * refusal of run.h's convention. */
int rerender_check_dir(const char *dir, const char *command, struct run_outcome *out, char *err,
		       size_t errlen);

#endif
