/* cli/main.c — the command line of oomph: parse, dispatch, and map every
 * failure to one line on stderr and an exit status (common/exitcodes.h).
 * The work itself lives in supervisor/run.c (oomph run) and
 * supervisor/rerender.c (oomph report), supervisor/snapshot.c (oomph
 * snapshot), model/modelcmd.c (oomph model), live/top.c (oomph top). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/errmsg.h"
#include "common/exitcodes.h"
#include "model/modelcmd.h"
#include "live/top.h"
#include "state/format.h"
#include "supervisor/args.h"
#include "supervisor/rerender.h"
#include "supervisor/run.h"
#include "supervisor/snapshot.h"

#ifndef OOMPH_VERSION
#define OOMPH_VERSION "0.0.0"
#endif

static const char help_main[] =
	"oomph " OOMPH_VERSION " - memory profiler and out-of-memory doctor for Python\n"
	"\n"
	"Usage:\n"
	"  oomph run [OPTIONS] script.py ARGS...    profile a script (like python script.py)\n"
	"  oomph run [OPTIONS] -m module ARGS...    like python -m module\n"
	"  oomph run [OPTIONS] -c CODE ARGS...      like python -c CODE\n"
	"  oomph run [OPTIONS] -- COMMAND ARGS...   any command; every Python it starts is profiled\n"
	"  oomph report DIR                         re-render the report of a run directory\n"
	"                                           (of a running run: a report of now)\n"
	"  oomph snapshot RUN_DIR                   a report of a running run, now, in\n"
	"                                           RUN_DIR/snapshots/<n>-<seconds>/\n"
	"  oomph model --sizes N1,N2,N3 [--predict N] [--limit SIZE] script.py ARGS {n}\n"
	"                                           run at each size, model each line's memory\n"
	"                                           against n, predict the peak at N\n"
	"  oomph top [--once] RUN_DIR               watch a run live, from another terminal\n"
	"  oomph --version | --help | run --help\n"
	"\n"
	"`oomph run` exits with the program's exit status (128+N if signal N ended it).\n"
	"See `oomph run --help` for the options and oomph's own exit statuses.\n";

/* A printf format: its one conversion is the default sample rate. */
#define HELP_RUN \
	"Usage: oomph run [OPTIONS] script.py ARGS...\n" \
	"       oomph run [OPTIONS] -m module ARGS...\n" \
	"       oomph run [OPTIONS] -c CODE ARGS...\n" \
	"       oomph run [OPTIONS] -- COMMAND ARGS...\n" \
	"\n" \
	"Runs the program with oomph's tracker preloaded, then writes a report\n" \
	"(index.html, peak.svg, peak.folded, summary.json) and prints a summary on\n" \
	"stderr.  Options end at the script, -m, -c or --: what follows is the\n" \
	"program's own (its -x flags, its --help).\n" \
	"\n" \
	"Options:\n" \
	"  -o, --output DIR      report directory (created; an existing one must be\n" \
	"                        empty); default oomph-report/<date>-<time>-<pid>/\n" \
	"  --python PATH         interpreter to run (default: python3 on PATH); must be\n" \
	"                        CPython 3.9 or newer; not used with -- COMMAND\n" \
	"  --sample-rate SIZE    mean bytes between sampled allocations (default %llu);\n" \
	"                        totals and the peak are exact whatever the rate\n" \
	"  --exact               record every allocation (same as --sample-rate 1)\n" \
	"  --no-pymalloc         run with PYTHONMALLOC=malloc so every Python object is\n" \
	"                        a malloc of its own (slower, finer small-object picture)\n" \
	"  --limit SIZE          run the program under a memory limit of SIZE: a private\n" \
	"                        memory cgroup (v2, or a v1 child; no swap unless\n" \
	"                        --swap), so the kernel's OOM killer acts as in\n" \
	"                        production; without a cgroup, RLIMIT_DATA (the\n" \
	"                        summary says which)\n" \
	"  --swap SIZE           with --limit: let the cgroup use SIZE of swap beyond\n" \
	"                        the limit (default 0: no swap), as a production box\n" \
	"                        with swap would; the summary says how much it swapped\n" \
	"  --on-oom MODE         near the limit (headroom below the threshold): 'report'\n" \
	"                        (default) photographs what is live and lets it go on;\n" \
	"                        'stop' photographs it, stops the program and reports\n" \
	"  --oom-threshold SIZE  headroom that counts as near OOM (default: the larger of\n" \
	"                        100 MiB and 2%% of the limit)\n" \
	"  --no-oom-detection    no near-OOM checks (failed allocations still recorded)\n" \
	"  --max-stall PERCENT   stop a program that thrashes: stalled on memory (PSI)\n" \
	"                        more than PERCENT of the time for 2 s, or reading its\n" \
	"                        working set back from swap or disk while it spends\n" \
	"                        more than PERCENT of its time in the kernel\n" \
	"  --snapshot-signal SIG the signal that makes oomph write a report of now into\n" \
	"                        RUN_DIR/snapshots/ while the program goes on (default\n" \
	"                        USR2; 'none': leave every signal alone).  A program\n" \
	"                        that installs its own handler for it keeps it\n" \
	"  -q, --quiet           no summary on the terminal (the report is still written)\n" \
	"  --open                open index.html with xdg-open when the run is over\n" \
	"  --live                the live view (as oomph top) on stderr while it runs:\n" \
	"                        the bottom rows of the terminal, or plain frames\n" \
	"  --team-readable       let the report directory's group read it (default:\n" \
	"                        only you: it holds the command line and source lines)\n" \
	"  --version             print oomph's version\n" \
	"  -h, --help            this help\n" \
	"\n" \
	"SIZE: a number with an optional unit: 4096, 64k, 1.5G, 2GiB, 512MB.\n" \
	"  K, M, G, T alone and KiB, MiB, GiB, TiB are binary (1K = 1024 bytes);\n" \
	"  KB, MB, GB, TB are decimal (1MB = 1000000 bytes).  Case does not matter.\n" \
	"\n" \
	"Exit status: the program's own (128+N if signal N ended it), or oomph's:\n" \
	"   64  usage error (unknown option, bad size, missing argument)\n" \
	"   65  corrupt, foreign or truncated profile (oomph report)\n" \
	"   66  missing script or report directory\n" \
	"   69  interpreter missing, not CPython, or older than 3.9\n" \
	"   70  internal error\n" \
	"   72  liboomph.so not found (set OOMPH_LIBRARY)\n" \
	"   73  cannot create or write the report directory\n" \
	"  126  command cannot be executed    127  command not found\n" \
	"\n" \
	"Environment: OOMPH_LIBRARY overrides where liboomph.so is found;\n" \
	"  OOMPH_TMPFS=DIR keeps state files on that tmpfs while the program runs\n" \
	"  (default /dev/shm), OOMPH_TMPFS=off on disk in the report directory.\n" \
	"\n" \
	"If oomph itself is killed, the program is killed too (SIGKILL); its profile\n" \
	"is kept, and `oomph report DIR` renders it.\n"

static const char help_snapshot[] =
	"Usage: oomph snapshot RUN_DIR\n"
	"\n"
	"Writes a full report of a run that is still running (what is live now, the\n"
	"peak so far) into RUN_DIR/snapshots/<n>-<seconds>/, from its live state, while\n"
	"the program goes on.  The same as sending the program SIGUSR2.\n"
	"\n"
	"Exit status: 0, 66 if RUN_DIR is not a running oomph run, 73 if the report\n"
	"cannot be written, 64 for a usage error.\n";

static const char help_model[] =
	"Usage: oomph model --sizes N1,N2,N3,... [MODEL OPTIONS] [RUN OPTIONS] script.py ARGS...\n"
	"       oomph model --inputs F1,F2,F3,... [--predict-input FILE] ... script.py {input}\n"
	"       (also -m module, -c code, -- COMMAND, as with oomph run)\n"
	"\n"
	"Runs the program once per size, each an ordinary `oomph run` whose report\n"
	"is kept in DIR/runs/<n>/, with every {n} in its arguments replaced by the\n"
	"size and OOMPH_N=<n> in its environment (--inputs: {input} is the file and\n"
	"n its bytes).  Then fits each line's bytes against n (constant, log n, n,\n"
	"n log n, n^2, n^3, or a + b*n^k), phase by phase, and predicts the peak at\n"
	"--predict N with a 90%% interval, the lines that will hold it, and with\n"
	"--limit the largest n that fits.  Writes DIR/model.json, DIR/index.html,\n"
	"DIR/predicted.svg and DIR/predicted.folded.  Method: docs/model.md.\n"
	"\n"
	"Choose at least 3 sizes (4 or 5 are better) spanning at least a decade,\n"
	"each run small (seconds); predictions more than 100x past the largest run\n"
	"are warned about.\n"
	"\n"
	"Model options:\n"
	"  --sizes LIST          the sizes n to run at, separated by commas\n"
	"  --inputs LIST         input files instead: n = each file's bytes\n"
	"  --predict N           the size to predict the peak at (default: 10x the largest)\n"
	"  --predict-input FILE  the same, n = FILE's bytes\n"
	"  --limit SIZE          the memory the job will have: the largest n that fits,\n"
	"                        and whether --predict N does (the runs are not limited)\n"
	"  --jobs N              up to N runs side by side, while their expected peaks\n"
	"                        together stay under half of MemAvailable (default 1)\n"
	"  -o, --output DIR      the model's directory (default oomph-report/<date>-...)\n"
	"Run options (--python, --exact, --sample-rate, ...): as for oomph run.\n"
	"\n"
	"Exit status: 0, or 64 usage error, 66 missing script or input, 73 cannot write\n"
	"DIR, 80 fewer than 3 sizes, 81 a size that is not a number (or repeated),\n"
	"82 no {n} and every run needed the same memory, 83 a run failed (its report\n"
	"is kept; the message names the size), 84 the peaks do not grow with n\n"
	"(noise), and oomph run's own statuses when it cannot run the program.\n";
static const char help_top[] =
	"Usage: oomph top [--once] RUN_DIR\n"
	"\n"
	"Watches a run of `oomph run -o RUN_DIR` from another terminal, refreshed\n"
	"every second from its live state (nothing is asked of the program): each\n"
	"process's tracked memory, peak and RSS, the limit and headroom, memory\n"
	"pressure (PSI), the top lines now, and the lines that grew most over the\n"
	"last minute.  q quits.  When stdout is not a terminal it prints a plain\n"
	"frame every second; --once prints one.  When the run ends it says how;\n"
	"a finished run gets its final numbers once.\n"
	"\n"
	"Exit status: 0, 66 if RUN_DIR is not an oomph run directory, 64 for a\n"
	"usage error.\n";

static const char help_report[] =
	"Usage: oomph report DIR\n"
	"\n"
	"Re-renders the report of a run directory (one written by `oomph run`) from\n"
	"its run.meta and state/ files, and prints the summary on stderr.  On a run\n"
	"that is still running it writes a report of now (and says so).\n"
	"\n"
	"Exit status: 0, or 65 if a profile is corrupt, foreign or truncated (the\n"
	"report says which and why), 66 if DIR is not an oomph run directory,\n"
	"73 if the report cannot be written, 64 for a usage error.\n";


/* The one place oomph's own failure becomes its last line and exit status. */
__attribute__((format(printf, 2, 3)))
static int fail(int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_print("%s", msg);
	return status;
}

int main(int argc, char **argv)
{
	struct args a;
	struct run_outcome out;
	char err[1024];
	int rc;
	/* A SIGCHLD inherited as ignored would make the kernel reap our
	 * children itself, and wait4 could not report how the program ended. */
	signal(SIGCHLD, SIG_DFL);
	if (args_parse(argc, argv, &a, err, sizeof err) != 0)
		return fail(OOMPH_EXIT_USAGE, "%s", err);
	switch (a.command) {
	case ARGS_HELP:
		fputs(help_main, stdout);
		return OOMPH_EXIT_OK;
	case ARGS_RUN_HELP:
		printf(HELP_RUN, (unsigned long long)OOMPH_DEFAULT_SAMPLE_RATE);
		return OOMPH_EXIT_OK;
	case ARGS_REPORT_HELP:
		fputs(help_report, stdout);
		return OOMPH_EXIT_OK;
	case ARGS_VERSION:
		printf("oomph %s\n", OOMPH_VERSION);
		return OOMPH_EXIT_OK;
	case ARGS_RUN:
		rc = run_program(&a, &out, err, sizeof err);
		break;
	case ARGS_REPORT:
		rc = rerender_dir(a.report_dir, &out, err, sizeof err);
		break;
	case ARGS_MODEL_HELP:
		fputs(help_model, stdout);
		return OOMPH_EXIT_OK;
	case ARGS_MODEL:
		rc = model_command(&a, &out, err, sizeof err);
		break;
	case ARGS_SNAPSHOT_HELP:
		fputs(help_snapshot, stdout);
		return OOMPH_EXIT_OK;
	case ARGS_SNAPSHOT:
		rc = snapshot_command(a.report_dir, &out, err, sizeof err);
		break;
	case ARGS_TOP_HELP:
		fputs(help_top, stdout);
		return OOMPH_EXIT_OK;
	case ARGS_TOP:
		rc = top_command(a.report_dir, a.once, &out, err, sizeof err);
		break;
	default:
		return fail(OOMPH_EXIT_SOFTWARE, "internal error: unknown command");
	}
	return rc < 0 ? fail(out.status, "%s", err) : out.status;
}
