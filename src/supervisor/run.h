/* supervisor/run.h — `oomph run`: everything between the parsed command
 * line and the program's exit status.
 *
 * Contract
 *   - run_program() checks the target (script, interpreter, command),
 *     makes the run directory, sets up the limit (--limit), starts the
 *     program with the tracker preloaded, watches it, decides how it ended,
 *     saves run.meta and renders the report, printing the summary and any
 *     warnings on stderr.
 *   - Returns 0 when the program ran: out->status is then its exit status
 *     (its code, or 128+N for signal N), whatever happened to the report
 *     (a report problem is a warning on stderr).  Returns a negative errno
 *     when oomph refused or could not start it: a one-line message (without
 *     "oomph: ") in err, and out->status the OOMPH_EXIT_* status for it.
 *   - Single-threaded callers only; never used inside the profiled process.
 */
#ifndef OOMPH_RUN_H
#define OOMPH_RUN_H

#include <stddef.h>

#include "supervisor/args.h"

struct run_outcome {
	int status; /* the program's exit status, or OOMPH_EXIT_* on refusal */
};

int run_program(const struct args *a, struct run_outcome *out, char *err, size_t errlen);

/* The profile of the process oomph started (pid): its own state file
 * <pid>.oomph in state_dir, or that of its last exec'd image.  0, -ENOENT
 * (none), -EINVAL (unreadable). */
struct profile;
int run_load_main_profile(const char *state_dir, int pid, struct profile *p);

/* A refusal: sets out->status, formats the message into err and returns rc
 * (-EINVAL if rc is not negative).  For the commands that share this
 * outcome convention (run, report). */
int run_refuse(struct run_outcome *out, int status, int rc, char *err, size_t errlen,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
