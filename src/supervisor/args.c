/* supervisor/args.c — see args.h. */
#include "supervisor/args.h"

#include <errno.h>
#include <signal.h>
#include <strings.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"
#include "state/format.h"

__attribute__((format(printf, 3, 4)))
static int args_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Options of `run` that take a value. */
enum args_opt {
	OPT_NONE, OPT_OUTPUT, OPT_PYTHON, OPT_SAMPLE_RATE, OPT_MODULE, OPT_CODE,
	OPT_LIMIT, OPT_ON_OOM, OPT_MAX_STALL, OPT_OOM_THRESHOLD, OPT_SWAP, OPT_SNAPSHOT_SIGNAL,
	OPT_SIZES, OPT_INPUTS, OPT_PREDICT, OPT_PREDICT_INPUT, OPT_JOBS
};

struct args_valued {
	const char *long_name;  /* "--output", or NULL */
	char short_name;        /* 'o', or 0 */
	enum args_opt opt;
	const char *what;       /* what the value is, for "needs a value" */
	int model_only;         /* an option of `oomph model` alone */
};

static const struct args_valued args_valued_opts[] = {
	{"--output", 'o', OPT_OUTPUT, "a directory", 0},
	{"--python", 0, OPT_PYTHON, "the path of a Python interpreter", 0},
	{"--sample-rate", 0, OPT_SAMPLE_RATE, "a size in bytes, e.g. 64KiB", 0},
	{"--limit", 0, OPT_LIMIT, "a size, e.g. 300MiB", 0},
	{"--swap", 0, OPT_SWAP, "a size, e.g. 1GiB", 0},
	{"--on-oom", 0, OPT_ON_OOM, "'report' or 'stop'", 0},
	{"--max-stall", 0, OPT_MAX_STALL, "a percentage, e.g. 50", 0},
	{"--oom-threshold", 0, OPT_OOM_THRESHOLD, "a size, e.g. 100MiB", 0},
	{"--snapshot-signal", 0, OPT_SNAPSHOT_SIGNAL, "a signal (USR2, USR1, 12 ...) or 'none'", 0},
	{"--sizes", 0, OPT_SIZES, "sizes separated by commas, e.g. 1000,3000,10000", 1},
	{"--inputs", 0, OPT_INPUTS, "input files separated by commas", 1},
	{"--predict-input", 0, OPT_PREDICT_INPUT, "an input file", 1},
	{"--predict", 0, OPT_PREDICT, "a size n, e.g. 2000000", 1},
	{"--jobs", 0, OPT_JOBS, "a number of runs side by side, e.g. 2", 1},
	{NULL, 'm', OPT_MODULE, "a module name", 0},
	{NULL, 'c', OPT_CODE, "Python code", 0},
};

/* Recognises a valued option in argv[*i], in the forms `--long VALUE`,
 * `--long=VALUE`, `-s VALUE` and `-sVALUE`.  Returns the option (with
 * *value set and *i advanced past the value), OPT_NONE if argv[*i] is not
 * one, or -EINVAL with a message if the value is missing. */
static int args_match_valued(int argc, char **argv, int *i, int model, const char **name,
			     const char **value, char *err, size_t errlen)
{
	const char *a = argv[*i];
	for (size_t k = 0; k < sizeof args_valued_opts / sizeof args_valued_opts[0]; k++) {
		const struct args_valued *o = &args_valued_opts[k];
		if (o->model_only && !model)
			continue;
		const char *inline_value = NULL;
		int matched = 0;
		if (o->long_name != NULL) {
			size_t n = strlen(o->long_name);
			if (strncmp(a, o->long_name, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
				matched = 1;
				if (a[n] == '=')
					inline_value = a + n + 1;
			}
		}
		if (!matched && o->short_name != 0 && a[0] == '-' && a[1] == o->short_name) {
			matched = 1;
			if (a[2] != '\0')
				inline_value = a + 2;
		}
		if (!matched)
			continue;
		*name = o->long_name != NULL ? o->long_name
			: o->short_name == 'm' ? "-m" : "-c";
		if (inline_value != NULL) {
			*value = inline_value;
		} else if (*i + 1 < argc) {
			*i += 1;
			*value = argv[*i];
		} else {
			return args_fail(err, errlen, "option '%s' needs a value: %s (see oomph %s --help)",
					 *name, o->what, model ? "model" : "run");
		}
		return (int)o->opt;
	}
	return OPT_NONE;
}

/* A signal a snapshot may be asked with: a name (with or without SIG), a
 * number, or "none" (0).  -1 for anything else, and for the signals oomph
 * or the kernel own (KILL, STOP, SEGV, BUS). */
static int args_signal(const char *v)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
		     {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"WINCH", SIGWINCH},
		     {"URG", SIGURG},   {"PWR", SIGPWR},   {"CONT", SIGCONT}, {"TSTP", SIGTSTP}};
	if (!strcmp(v, "none") || !strcmp(v, "0"))
		return 0;
	const char *n = !strncasecmp(v, "SIG", 3) ? v + 3 : v;
	int sig = -1;
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (!strcasecmp(n, names[k].name))
			sig = names[k].sig;
	if (sig < 0 && !strncasecmp(n, "RTMIN+", 6) && n[6] >= '0' && n[6] <= '9') {
		char *end;
		long k = strtol(n + 6, &end, 10);
		sig = *end || k > SIGRTMAX - SIGRTMIN ? -1 : SIGRTMIN + (int)k;
	}
	if (sig < 0 && v[0] >= '1' && v[0] <= '9') {
		char *end;
		long k = strtol(v, &end, 10);
		sig = *end || k >= NSIG ? -1 : (int)k;
	}
	if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS)
		return -1;
	return sig;
}

static int args_parse_run(int argc, char **argv, int i, int model, struct args *out,
			  char *err, size_t errlen)
{
	uint64_t given_rate = 0;
	int rate_option = 0;
	const char *cmd = model ? "model" : "run";

	out->command = model ? ARGS_MODEL : ARGS_RUN;
	out->model_jobs = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *name = NULL, *value = NULL;

		if (strcmp(a, "--") == 0) {
			if (i + 1 >= argc)
				return args_fail(err, errlen,
						 "missing command after '--' (usage: oomph %s -- COMMAND ARGS...)", cmd);
			out->target = ARGS_TARGET_COMMAND;
			out->target_arg = argv[i + 1];
			out->rest = argv + i + 2;
			out->nrest = argc - (i + 2);
			if (out->target_arg[0] == '\0')
				return args_fail(err, errlen, "the command after '--' is empty");
			break;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			/* The script ("-": read from stdin, as python does). */
			out->target = ARGS_TARGET_SCRIPT;
			out->target_arg = a;
			out->rest = argv + i + 1;
			out->nrest = argc - (i + 1);
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			out->command = model ? ARGS_MODEL_HELP : ARGS_RUN_HELP;
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			out->command = ARGS_VERSION;
			return 0;
		}
		if (strcmp(a, "--exact") == 0) {
			out->exact = 1;
			continue;
		}
		if (strcmp(a, "--no-pymalloc") == 0) {
			out->no_pymalloc = 1;
			continue;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			out->quiet = 1;
			continue;
		}
		if (strcmp(a, "--open") == 0) {
			out->open = 1;
			continue;
		}
		if (strcmp(a, "--team-readable") == 0) {
			out->team_readable = 1;
			continue;
		}
		if (strcmp(a, "--live") == 0) {
			out->live = 1;
			continue;
		}
		if (strcmp(a, "--no-oom-detection") == 0) {
			out->on_oom = ARGS_ON_OOM_OFF;
			continue;
		}

		int opt = args_match_valued(argc, argv, &i, model, &name, &value, err, errlen);
		if (opt < 0)
			return opt;
		switch (opt) {
		case OPT_OUTPUT:
			if (value[0] == '\0')
				return args_fail(err, errlen, "option '%s' needs a directory, not an empty string", name);
			out->output = value;
			continue;
		case OPT_PYTHON:
			if (value[0] == '\0')
				return args_fail(err, errlen, "option '%s' needs an interpreter path, not an empty string", name);
			out->python = value;
			continue;
		case OPT_SAMPLE_RATE: {
			int rc = size_parse(value, &given_rate);
			if (rc < 0)
				return args_fail(err, errlen, "bad %s '%s': %s", name, value, size_strerror(rc));
			if (given_rate < 1)
				return args_fail(err, errlen,
						 "bad %s '%s': it must be at least 1 byte (1 = record every allocation)",
						 name, value);
			rate_option = 1;
			continue;
		}
		case OPT_LIMIT:
		case OPT_OOM_THRESHOLD: {
			uint64_t v;
			int rc = size_parse(value, &v);
			if (rc < 0)
				return args_fail(err, errlen, "bad %s '%s': %s", name, value, size_strerror(rc));
			if (opt == OPT_LIMIT && v < (8u << 20))
				return args_fail(err, errlen,
						 "bad %s '%s': a limit below 8 MiB cannot even start Python", name, value);
			if (v > (uint64_t)INT64_MAX || v == 0)
				return args_fail(err, errlen, "bad %s '%s': out of range", name, value);
			if (opt == OPT_LIMIT && model)
				out->model_limit_bytes = (int64_t)v;
			else if (opt == OPT_LIMIT)
				out->limit_bytes = (int64_t)v;
			else
				out->oom_threshold = (int64_t)v;
			continue;
		}
		case OPT_SWAP: {
			uint64_t v;
			int rc = size_parse(value, &v);
			if (rc < 0)
				return args_fail(err, errlen, "bad %s '%s': %s", name, value, size_strerror(rc));
			if (v > (uint64_t)INT64_MAX / 2)
				return args_fail(err, errlen, "bad %s '%s': out of range", name, value);
			out->swap_bytes = (int64_t)v;
			out->swap_given = 1;
			continue;
		}
		case OPT_ON_OOM:
			if (strcmp(value, "report") == 0)
				out->on_oom = ARGS_ON_OOM_REPORT;
			else if (strcmp(value, "stop") == 0)
				out->on_oom = ARGS_ON_OOM_STOP;
			else
				return args_fail(err, errlen, "bad %s '%s': say 'report' or 'stop'", name, value);
			continue;
		case OPT_SNAPSHOT_SIGNAL: {
			int sig = args_signal(value);
			if (sig < 0)
				return args_fail(err, errlen,
						 "bad %s '%s': a signal the program can catch (USR2, USR1, HUP, 12 ...) or 'none'",
						 name, value);
			out->snapshot_signal = sig;
			continue;
		}
		case OPT_MAX_STALL: {
			char *end;
			double v = strtod(value, &end);
			if (end != value && *end == '%')
				end++;
			if (end == value || *end != '\0' || !(v > 0 && v <= 100))
				return args_fail(err, errlen,
						 "bad %s '%s': a percentage above 0 and at most 100", name, value);
			out->max_stall_pct = v;
			continue;
		}
		case OPT_SIZES:
			out->model_sizes = value;
			continue;
		case OPT_INPUTS:
			out->model_inputs = value;
			continue;
		case OPT_PREDICT:
			out->model_predict = value;
			continue;
		case OPT_PREDICT_INPUT:
			out->model_predict_input = value;
			continue;
		case OPT_JOBS: {
			char *end;
			long j = strtol(value, &end, 10);
			if (end == value || *end != '\0' || j < 1 || j > 64)
				return args_fail(err, errlen, "bad %s '%s': a number of runs from 1 to 64",
						 name, value);
			out->model_jobs = (int)j;
			continue;
		}
		case OPT_MODULE:
		case OPT_CODE:
			if (opt == OPT_MODULE && value[0] == '\0')
				return args_fail(err, errlen, "option '-m' needs a module name, not an empty string");
			out->target = opt == OPT_MODULE ? ARGS_TARGET_MODULE : ARGS_TARGET_CODE;
			out->target_arg = value;
			out->rest = argv + i + 1;
			out->nrest = argc - (i + 1);
			i = argc; /* stop: the rest is the program's */
			goto done;
		default:
			break;
		}
		return args_fail(err, errlen, "unknown option '%s' (see oomph %s --help)", a, cmd);
	}
done:
	if (out->target_arg == NULL)
		return args_fail(err, errlen,
				 "missing script (usage: oomph %s [OPTIONS] script.py ARGS..., "
				 "-m module, -c code, or -- COMMAND; see oomph %s --help)", cmd, cmd);
	if (out->swap_given && out->limit_bytes == 0)
		return args_fail(err, errlen,
				 "--swap needs --limit: it is the swap allowed beyond the memory limit "
				 "(e.g. --limit 300MiB --swap 1GiB)");
	if (out->exact && rate_option && given_rate != 1)
		return args_fail(err, errlen,
				 "--exact and --sample-rate %llu contradict each other (--exact means --sample-rate 1)",
				 (unsigned long long)given_rate);
	if (out->exact) {
		out->sample_rate = 1;
	} else if (rate_option) {
		out->sample_rate = given_rate;
		out->exact = given_rate == 1;
	}
	out->sample_rate_given = out->exact || rate_option;
	return 0;
}

/* oomph report DIR, oomph snapshot DIR, oomph top DIR [--once] */
static int args_parse_report(int argc, char **argv, int i, struct args *out,
			     char *err, size_t errlen)
{
	int dashdash = 0;
	int snap = !strcmp(argv[1], "snapshot"), top = !strcmp(argv[1], "top");
	const char *usage = snap ? "oomph snapshot RUN_DIR"
			    : top ? "oomph top [--once] RUN_DIR"
				  : "oomph report DIR";
	out->command = snap ? ARGS_SNAPSHOT : top ? ARGS_TOP : ARGS_REPORT;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && a[0] == '-' && a[1] != '\0') {
			if (strcmp(a, "--") == 0) {
				dashdash = 1;
				continue;
			}
			if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
				out->command = snap ? ARGS_SNAPSHOT_HELP
					       : top ? ARGS_TOP_HELP
						     : ARGS_REPORT_HELP;
				return 0;
			}
			if (top && strcmp(a, "--once") == 0) {
				out->once = 1;
				continue;
			}
			if (strcmp(a, "--version") == 0) {
				out->command = ARGS_VERSION;
				return 0;
			}
			return args_fail(err, errlen, "unknown option '%s' (usage: %s)", a, usage);
		}
		if (out->report_dir != NULL)
			return args_fail(err, errlen,
					 "too many arguments: '%s' after '%s' (usage: %s)",
					 a, out->report_dir, usage);
		if (a[0] == '\0')
			return args_fail(err, errlen, "the directory is an empty string (usage: %s)", usage);
		out->report_dir = a;
	}
	if (out->report_dir == NULL)
		return args_fail(err, errlen, "missing directory (usage: %s)", usage);
	return 0;
}

int args_parse(int argc, char **argv, struct args *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->sample_rate = OOMPH_DEFAULT_SAMPLE_RATE;
	out->snapshot_signal = SIGUSR2;
	out->target = ARGS_TARGET_SCRIPT;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if (argc < 2)
		return args_fail(err, errlen, "missing command (usage: oomph run script.py ARGS..., or see oomph --help)");
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0 || strcmp(cmd, "model") == 0)
		return args_parse_run(argc, argv, 2, !strcmp(cmd, "model"), out, err, errlen);
	if (strcmp(cmd, "report") == 0 || strcmp(cmd, "snapshot") == 0 || strcmp(cmd, "top") == 0)
		return args_parse_report(argc, argv, 2, out, err, errlen);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		out->command = ARGS_HELP;
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
		out->command = ARGS_VERSION;
		return 0;
	}
	if (cmd[0] == '-')
		return args_fail(err, errlen, "unknown option '%s' (options go after the command: oomph run [OPTIONS] script.py; see oomph --help)", cmd);
	size_t n = strlen(cmd);
	if (n > 3 && strcmp(cmd + n - 3, ".py") == 0)
		return args_fail(err, errlen, "unknown command '%s' (to profile a script: oomph run %s)", cmd, cmd);
	return args_fail(err, errlen, "unknown command '%s' (commands: run, report, snapshot, model, top; see oomph --help)", cmd);
}
