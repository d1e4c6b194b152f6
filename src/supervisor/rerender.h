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

#endif
