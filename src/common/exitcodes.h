/* common/exitcodes.h — the exit statuses of oomph's own failures.
 *
 * Contract
 *   - When the profiled program ran, `oomph run` exits with the program's
 *     status (its exit code, or 128+N when signal N ended it); the values
 *     below are used only when oomph itself could not do its job.
 *   - They follow sysexits(3), so scripts can tell "oomph refused" (64-78)
 *     from the program's own statuses in the common cases, and they are
 *     listed in `oomph --help`.  126/127 mirror the shell (and env(1),
 *     timeout(1)) when the command to run cannot be executed or found.
 *   - `oomph model` runs the program several times and never exits with a
 *     run's status: 80-84 say why no model could be made.
 */
#ifndef OOMPH_EXITCODES_H
#define OOMPH_EXITCODES_H

enum oomph_exit {
	OOMPH_EXIT_OK = 0,
	OOMPH_EXIT_USAGE = 64,       /* unknown option, bad size, missing argument */
	OOMPH_EXIT_DATAERR = 65,     /* corrupt, foreign or truncated profile */
	OOMPH_EXIT_NOINPUT = 66,     /* missing script, missing report directory */
	OOMPH_EXIT_UNAVAILABLE = 69, /* interpreter missing, not CPython, too old */
	OOMPH_EXIT_SOFTWARE = 70,    /* internal error (a bug, or out of memory) */
	OOMPH_EXIT_OSFILE = 72,      /* oomph's own liboomph.so cannot be found */
	OOMPH_EXIT_CANTCREAT = 73,   /* cannot create or write the report directory */
	/* oomph model: the model could not be made, each reason its own */
	OOMPH_EXIT_MODEL_FEW_SIZES = 80, /* fewer than 3 sizes (or inputs) */
	OOMPH_EXIT_MODEL_BAD_SIZE = 81,  /* a size that is not a number, repeated */
	OOMPH_EXIT_MODEL_NO_N = 82,      /* no {n} and every run needed the same memory */
	OOMPH_EXIT_MODEL_RUN_FAILED = 83, /* a run failed (its report is kept) */
	OOMPH_EXIT_MODEL_NOISY = 84,     /* the peaks do not grow with n: noise */
	OOMPH_EXIT_NOEXEC = 126,     /* the command exists but cannot be executed */
	OOMPH_EXIT_NOTFOUND = 127,   /* the command is not found */
	OOMPH_EXIT_SIGNAL_BASE = 128 /* + N: the program died of signal N */
};

#endif
