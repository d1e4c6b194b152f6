/* model/modelcmd.h — `oomph model`: how much memory the program will need
 * at a size n it was never run at, per line, and the largest n that fits.
 *
 * Contract
 *   - model_command() runs the program once per size (--sizes) or input
 *     file (--inputs) as an ordinary `oomph run` (supervisor/run.h) whose
 *     report is kept in DIR/runs/<n>/, with every "{n}" in its arguments
 *     replaced by the size ("{input}" by the file) and OOMPH_N in its
 *     environment; then loads each run's main profile, checks that the
 *     runs can be modelled, builds the model (model/build.h) and has
 *     model/write.h write it.  Returns 0 (out->status 0), or a negative
 *     errno with a one-line message in err and out->status one of
 *     OOMPH_EXIT_MODEL_* (common/exitcodes.h) or the run's refusal status.
 *   - Single-threaded; never inside the profiled process.
 */
#ifndef OOMPH_MODEL_MODELCMD_H
#define OOMPH_MODEL_MODELCMD_H

#include <stddef.h>

#include "supervisor/args.h"
#include "supervisor/run.h"

/* The runs' sample rate unless --sample-rate or --exact says otherwise:
 * finer than oomph run's, because a line of a few MiB at a small size must
 * be measured well enough to extrapolate it (measured in docs/model.md). */
#define MODEL_SAMPLE_RATE (4u << 10)

int model_command(const struct args *a, struct run_outcome *out, char *err, size_t errlen);

#endif
