/* supervisor/args.h — the command line of oomph, parsed into a plain struct.
 *
 * Contract
 *   - args_parse() reads argv (argv[0] is the program name) and fills `out`;
 *     it never prints, never exits and never allocates: every string in
 *     `out` points into argv, which must outlive it.
 *   - Options of `run` are read up to the first non-option word (the
 *     script), `-m MODULE`, `-c CODE` or `--`; everything after that belongs
 *     to the program untouched (its own `-x`, `--help`, `--` ...).
 *   - Returns 0, or -EINVAL for a usage error with a one-line message in
 *     `err` (without the "oomph: " prefix), meant for exit status
 *     OOMPH_EXIT_USAGE.
 */
#ifndef OOMPH_ARGS_H
#define OOMPH_ARGS_H

#include <stddef.h>
#include <stdint.h>

enum args_command {
	ARGS_HELP,       /* oomph --help (or -h) */
	ARGS_VERSION,    /* oomph --version, oomph run --version */
	ARGS_RUN,        /* oomph run ... */
	ARGS_RUN_HELP,   /* oomph run --help */
	ARGS_REPORT,     /* oomph report DIR */
	ARGS_REPORT_HELP, /* oomph report --help */
	ARGS_SNAPSHOT,   /* oomph snapshot RUN_DIR */
	ARGS_SNAPSHOT_HELP, /* oomph snapshot --help */
	ARGS_MODEL,      /* oomph model ... (the run options, and the model's) */
	ARGS_MODEL_HELP, /* oomph model --help */
	ARGS_TOP,        /* oomph top DIR [--once] */
	ARGS_TOP_HELP    /* oomph top --help */
};

enum args_target {
	ARGS_TARGET_SCRIPT,  /* oomph run script.py ARGS */
	ARGS_TARGET_MODULE,  /* oomph run -m module ARGS */
	ARGS_TARGET_CODE,    /* oomph run -c code ARGS */
	ARGS_TARGET_COMMAND  /* oomph run -- COMMAND ARGS */
};

struct args {
	enum args_command command;

	/* run */
	const char *output;      /* -o DIR, or NULL for the default */
	const char *python;      /* --python PATH, or NULL (python3 on PATH);
				    not used with -- COMMAND */
	uint64_t sample_rate;    /* bytes, >= 1 */
	int sample_rate_given;   /* --sample-rate or --exact was given */
	int exact;               /* --exact, or --sample-rate 1 */
	int no_pymalloc;         /* --no-pymalloc */
	int quiet;               /* --quiet */
	int open;                /* --open */
	int team_readable;       /* --team-readable: the report's group may read it */
	int live;                /* --live: the live view on stderr (live/top.h) */
	int64_t limit_bytes;     /* --limit SIZE; 0 = none */
	int64_t swap_bytes;      /* --swap SIZE: swap allowed beyond the limit
				    (needs --limit); 0 = none, the default */
	int swap_given;          /* --swap was given */
	enum { ARGS_ON_OOM_REPORT = 0, ARGS_ON_OOM_STOP, ARGS_ON_OOM_OFF } on_oom;
				 /* --on-oom report|stop, --no-oom-detection */
	int64_t oom_threshold;   /* --oom-threshold SIZE; 0 = the default */
	double max_stall_pct;    /* --max-stall PERCENT; 0 = never */
	int snapshot_signal;     /* --snapshot-signal SIG|none; SIGUSR2 by default, 0 none */
	enum args_target target;
	const char *target_arg;  /* script path, module, code, or COMMAND */
	int nrest;               /* words after the target */
	char **rest;             /* argv + k: the program's own arguments */

	/* report, snapshot, top */
	const char *report_dir;
	int once;                /* top --once: one frame, then exit */

	/* model (model/modelcmd.h): the lists and sizes as given, checked by
	 * the model itself (each mistake has its own exit status) */
	const char *model_sizes;         /* --sizes 1000,2000,... or NULL */
	const char *model_inputs;        /* --inputs a.csv,b.csv,... or NULL */
	const char *model_predict;       /* --predict N or NULL */
	const char *model_predict_input; /* --predict-input FILE or NULL */
	int64_t model_limit_bytes;       /* --limit SIZE: the memory the job
					    will get (not a limit on the runs) */
	int model_jobs;                  /* --jobs N: runs side by side, >= 1 */
};

int args_parse(int argc, char **argv, struct args *out, char *err, size_t errlen);

#endif
