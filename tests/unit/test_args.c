/* Unit tests of supervisor/args.c: how `oomph ...` words become a struct
 * args, and the one-line message of every usage error. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "check.h"
#include "state/format.h"
#include "supervisor/args.h"

static char *words[64];
static int nwords;
static struct args a;
static char err[512];

/* Parse the NULL-terminated words after "oomph". */
#define PARSE(...) parse_words((const char *[]){"oomph", __VA_ARGS__, NULL})

static int parse_words(const char **w)
{
	nwords = 0;
	while (w[nwords] != NULL) {
		words[nwords] = (char *)w[nwords];
		nwords++;
	}
	words[nwords] = NULL;
	return args_parse(nwords, words, &a, err, sizeof err);
}

static void test_a_script_with_its_own_flags_is_left_alone(void)
{
	CHECK_EQ_INT(PARSE("run", "script.py", "-x", "--help", "-o", "out", "--", "a b"), 0);
	CHECK_EQ_INT(a.command, ARGS_RUN);
	CHECK_EQ_INT(a.target, ARGS_TARGET_SCRIPT);
	CHECK_STR_EQ(a.target_arg, "script.py");
	CHECK_EQ_INT(a.nrest, 6);
	CHECK(a.rest == words + 3);
	CHECK_STR_EQ(a.rest[0], "-x");
	CHECK_STR_EQ(a.rest[5], "a b");
	CHECK(a.output == NULL);
	CHECK(a.python == NULL);
	CHECK_EQ_INT(a.sample_rate, OOMPH_DEFAULT_SAMPLE_RATE);
	CHECK_EQ_INT(a.exact, 0);
	CHECK_EQ_INT(a.sample_rate_given, 0);
	CHECK_EQ_INT(a.quiet, 0);
	CHECK_EQ_INT(a.open, 0);
	CHECK_EQ_INT(a.no_pymalloc, 0);
}

static void test_options_before_the_script_are_oomphs(void)
{
	CHECK_EQ_INT(PARSE("run", "-o", "rep", "--python", "/usr/bin/python3", "--sample-rate", "64KiB",
			   "--no-pymalloc", "--quiet", "--open", "s.py", "--quiet"), 0);
	CHECK_STR_EQ(a.output, "rep");
	CHECK_STR_EQ(a.python, "/usr/bin/python3");
	CHECK_EQ_INT(a.sample_rate, 65536);
	CHECK_EQ_INT(a.sample_rate_given, 1);
	CHECK_EQ_INT(a.exact, 0);
	CHECK_EQ_INT(a.no_pymalloc, 1);
	CHECK_EQ_INT(a.quiet, 1);
	CHECK_EQ_INT(a.open, 1);
	CHECK_STR_EQ(a.target_arg, "s.py");
	CHECK_EQ_INT(a.nrest, 1);
	CHECK_STR_EQ(a.rest[0], "--quiet");
}

static void test_values_can_be_attached(void)
{
	CHECK_EQ_INT(PARSE("run", "--output=r1", "--python=py3", "--sample-rate=1.5M", "-q", "s.py"), 0);
	CHECK_STR_EQ(a.output, "r1");
	CHECK_STR_EQ(a.python, "py3");
	CHECK_EQ_INT(a.sample_rate, 1572864);
	CHECK_EQ_INT(a.quiet, 1);
	CHECK_EQ_INT(PARSE("run", "-odir", "s.py"), 0);
	CHECK_STR_EQ(a.output, "dir");
	/* A value is taken as is, even when it looks like an option. */
	CHECK_EQ_INT(PARSE("run", "-o", "--quiet", "s.py"), 0);
	CHECK_STR_EQ(a.output, "--quiet");
	CHECK_EQ_INT(a.quiet, 0);
}

static void test_the_last_repeated_option_wins(void)
{
	CHECK_EQ_INT(PARSE("run", "-o", "a", "--output", "b", "--sample-rate", "1M", "--sample-rate", "2K", "s.py"), 0);
	CHECK_STR_EQ(a.output, "b");
	CHECK_EQ_INT(a.sample_rate, 2048);
}

static void test_exact_means_sample_rate_one(void)
{
	CHECK_EQ_INT(PARSE("run", "--exact", "s.py"), 0);
	CHECK_EQ_INT(a.exact, 1);
	CHECK_EQ_INT(a.sample_rate, 1);
	CHECK_EQ_INT(a.sample_rate_given, 1);
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "1", "s.py"), 0);
	CHECK_EQ_INT(a.exact, 1);
	CHECK_EQ_INT(a.sample_rate, 1);
	CHECK_EQ_INT(PARSE("run", "--exact", "--sample-rate", "1B", "s.py"), 0);
	CHECK_EQ_INT(a.exact, 1);
	CHECK_EQ_INT(PARSE("run", "--exact", "--sample-rate", "4096", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "--exact");
	CHECK_STR_CONTAINS(err, "4096");
}

static void test_dash_m_takes_the_module_and_leaves_the_rest(void)
{
	CHECK_EQ_INT(PARSE("run", "--exact", "-m", "pkg.mod", "-m", "x", "--exact"), 0);
	CHECK_EQ_INT(a.target, ARGS_TARGET_MODULE);
	CHECK_STR_EQ(a.target_arg, "pkg.mod");
	CHECK_EQ_INT(a.nrest, 3);
	CHECK_STR_EQ(a.rest[0], "-m");
	CHECK_STR_EQ(a.rest[2], "--exact");
	CHECK_EQ_INT(PARSE("run", "-mjson.tool"), 0);
	CHECK_EQ_INT(a.target, ARGS_TARGET_MODULE);
	CHECK_STR_EQ(a.target_arg, "json.tool");
	CHECK_EQ_INT(a.nrest, 0);
}

static void test_dash_c_takes_the_code_and_leaves_the_rest(void)
{
	CHECK_EQ_INT(PARSE("run", "-c", "import sys; print(sys.argv)", "x", "-o", "--exact"), 0);
	CHECK_EQ_INT(a.target, ARGS_TARGET_CODE);
	CHECK_STR_EQ(a.target_arg, "import sys; print(sys.argv)");
	CHECK_EQ_INT(a.nrest, 3);
	CHECK_STR_EQ(a.rest[1], "-o");
	CHECK(a.output == NULL);
	CHECK_EQ_INT(a.exact, 0);
	/* Empty code is valid Python. */
	CHECK_EQ_INT(PARSE("run", "-c", ""), 0);
	CHECK_STR_EQ(a.target_arg, "");
}

static void test_double_dash_runs_any_command(void)
{
	CHECK_EQ_INT(PARSE("run", "-q", "--python", "py", "--", "pytest", "-x", "--", "tests/"), 0);
	CHECK_EQ_INT(a.target, ARGS_TARGET_COMMAND);
	CHECK_STR_EQ(a.target_arg, "pytest");
	CHECK_EQ_INT(a.nrest, 3);
	CHECK_STR_EQ(a.rest[0], "-x");
	CHECK_STR_EQ(a.rest[1], "--");
	CHECK_STR_EQ(a.python, "py"); /* accepted, unused for a command */
	CHECK_EQ_INT(PARSE("run", "--", "-weird-name"), 0);
	CHECK_STR_EQ(a.target_arg, "-weird-name");
	CHECK_EQ_INT(a.nrest, 0);
}

static void test_a_lone_dash_is_the_script_from_stdin(void)
{
	CHECK_EQ_INT(PARSE("run", "-", "a"), 0);
	CHECK_EQ_INT(a.target, ARGS_TARGET_SCRIPT);
	CHECK_STR_EQ(a.target_arg, "-");
	CHECK_EQ_INT(a.nrest, 1);
}

static void test_missing_values_are_usage_errors(void)
{
	CHECK_EQ_INT(PARSE("run", "-o"), -EINVAL);
	CHECK_STR_EQ(err, "option '--output' needs a value: a directory (see oomph run --help)");
	CHECK_EQ_INT(PARSE("run", "--python"), -EINVAL);
	CHECK_STR_CONTAINS(err, "'--python' needs a value");
	CHECK_EQ_INT(PARSE("run", "--sample-rate"), -EINVAL);
	CHECK_STR_CONTAINS(err, "'--sample-rate' needs a value");
	CHECK_EQ_INT(PARSE("run", "-m"), -EINVAL);
	CHECK_STR_CONTAINS(err, "'-m' needs a value: a module name");
	CHECK_EQ_INT(PARSE("run", "-c"), -EINVAL);
	CHECK_STR_CONTAINS(err, "'-c' needs a value: Python code");
	CHECK_EQ_INT(PARSE("run", "--"), -EINVAL);
	CHECK_STR_CONTAINS(err, "missing command after '--'");
	CHECK_EQ_INT(PARSE("run", "--", ""), -EINVAL);
	CHECK_STR_CONTAINS(err, "empty");
	CHECK_EQ_INT(PARSE("run", "-o", "", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "empty string");
	CHECK_EQ_INT(PARSE("run", "--output=", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--python=", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "-m", ""), -EINVAL);
}

static void test_a_run_without_a_program_is_a_usage_error(void)
{
	CHECK_EQ_INT(PARSE("run"), -EINVAL);
	CHECK_STR_CONTAINS(err, "missing script");
	CHECK_EQ_INT(PARSE("run", "--exact", "-q"), -EINVAL);
	CHECK_STR_CONTAINS(err, "missing script");
}

static void test_bad_sizes_are_usage_errors_that_say_why(void)
{
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "abc", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad --sample-rate 'abc': not a size");
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "-5", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "negative");
	CHECK_EQ_INT(PARSE("run", "--sample-rate=", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "empty");
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "99999999999P", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "too large");
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "0", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "at least 1 byte");
	CHECK_EQ_INT(PARSE("run", "--sample-rate", "0.1K", "s.py"), 0);
	CHECK_EQ_INT(a.sample_rate, 102);
}

static void test_unknown_options_are_named(void)
{
	CHECK_EQ_INT(PARSE("run", "--bogus", "s.py"), -EINVAL);
	CHECK_STR_EQ(err, "unknown option '--bogus' (see oomph run --help)");
	CHECK_EQ_INT(PARSE("run", "-x", "s.py"), -EINVAL);
	CHECK_STR_EQ(err, "unknown option '-x' (see oomph run --help)");
	/* No abbreviations: --out is not --output, --exactly is not --exact. */
	CHECK_EQ_INT(PARSE("run", "--out", "d", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "'--out'");
	CHECK_EQ_INT(PARSE("run", "--exactly", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--quiet=yes", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("--bogus"), -EINVAL);
	CHECK_STR_CONTAINS(err, "unknown option '--bogus'");
}

static void test_commands_and_their_help(void)
{
	CHECK_EQ_INT(PARSE("--help"), 0);
	CHECK_EQ_INT(a.command, ARGS_HELP);
	CHECK_EQ_INT(PARSE("-h"), 0);
	CHECK_EQ_INT(a.command, ARGS_HELP);
	CHECK_EQ_INT(PARSE("--version"), 0);
	CHECK_EQ_INT(a.command, ARGS_VERSION);
	CHECK_EQ_INT(PARSE("run", "--help"), 0);
	CHECK_EQ_INT(a.command, ARGS_RUN_HELP);
	CHECK_EQ_INT(PARSE("run", "-o", "d", "--version", "s.py"), 0);
	CHECK_EQ_INT(a.command, ARGS_VERSION);
	CHECK_EQ_INT(PARSE("run", "s.py", "--help"), 0); /* the script's --help */
	CHECK_EQ_INT(a.command, ARGS_RUN);
	CHECK_EQ_INT(PARSE("report", "--help"), 0);
	CHECK_EQ_INT(a.command, ARGS_REPORT_HELP);
}

static void test_missing_or_unknown_commands(void)
{
	CHECK_EQ_INT(parse_words((const char *[]){"oomph", NULL}), -EINVAL);
	CHECK_STR_CONTAINS(err, "missing command");
	CHECK_EQ_INT(PARSE("runn", "s.py"), -EINVAL);
	CHECK_STR_EQ(err, "unknown command 'runn' (commands: run, report, snapshot, model, top; see oomph --help)");
	CHECK_EQ_INT(PARSE("script.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "oomph run script.py");
}

static void test_report_takes_one_directory(void)
{
	CHECK_EQ_INT(PARSE("report", "some/dir"), 0);
	CHECK_EQ_INT(a.command, ARGS_REPORT);
	CHECK_STR_EQ(a.report_dir, "some/dir");
	CHECK_EQ_INT(PARSE("report", "--", "-dir"), 0);
	CHECK_STR_EQ(a.report_dir, "-dir");
	CHECK_EQ_INT(PARSE("report"), -EINVAL);
	CHECK_STR_CONTAINS(err, "missing directory");
	CHECK_EQ_INT(PARSE("report", "a", "b"), -EINVAL);
	CHECK_STR_CONTAINS(err, "too many arguments");
	CHECK_EQ_INT(PARSE("report", "--bogus", "a"), -EINVAL);
	CHECK_STR_CONTAINS(err, "unknown option '--bogus'");
	CHECK_EQ_INT(PARSE("report", ""), -EINVAL);
}

static void test_snapshot_takes_one_run_directory_and_the_signal_is_chosen(void)
{
	CHECK_EQ_INT(PARSE("snapshot", "runs/x"), 0);
	CHECK_EQ_INT(a.command, ARGS_SNAPSHOT);
	CHECK_STR_EQ(a.report_dir, "runs/x");
	CHECK_EQ_INT(PARSE("snapshot"), -EINVAL);
	CHECK_STR_EQ(err, "missing directory (usage: oomph snapshot RUN_DIR)");
	CHECK_EQ_INT(PARSE("snapshot", "--help"), 0);
	CHECK_EQ_INT(a.command, ARGS_SNAPSHOT_HELP);
	CHECK_EQ_INT(PARSE("run", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, SIGUSR2);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "none", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, 0);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal=SIGUSR1", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, SIGUSR1);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "hup", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, SIGHUP);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "RTMIN+2", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, SIGRTMIN + 2);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "12", "s.py"), 0);
	CHECK_EQ_INT(a.snapshot_signal, 12);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "KILL", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "a signal the program can catch");
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "SEGV", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "bogus", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--snapshot-signal", "999", "s.py"), -EINVAL);
}

static void test_top_takes_one_run_directory_and_live_is_a_run_option(void)
{
	CHECK_EQ_INT(PARSE("top", "runs/x"), 0);
	CHECK_EQ_INT(a.command, ARGS_TOP);
	CHECK_STR_EQ(a.report_dir, "runs/x");
	CHECK_EQ_INT(a.once, 0);
	CHECK_EQ_INT(PARSE("top", "--once", "runs/x"), 0);
	CHECK_EQ_INT(a.once, 1);
	CHECK_EQ_INT(PARSE("top", "runs/x", "--once"), 0);
	CHECK_EQ_INT(a.once, 1);
	CHECK_EQ_INT(PARSE("top"), -EINVAL);
	CHECK_STR_EQ(err, "missing directory (usage: oomph top [--once] RUN_DIR)");
	CHECK_EQ_INT(PARSE("top", "a", "b"), -EINVAL);
	CHECK_EQ_INT(PARSE("report", "--once", "a"), -EINVAL); /* top's alone */
	CHECK_EQ_INT(PARSE("top", "--help"), 0);
	CHECK_EQ_INT(a.command, ARGS_TOP_HELP);
	CHECK_EQ_INT(PARSE("run", "--live", "s.py", "--live"), 0);
	CHECK_EQ_INT(a.live, 1);
	CHECK_EQ_INT(a.nrest, 1); /* the program's own --live stays its own */
	CHECK_EQ_INT(PARSE("run", "s.py"), 0);
	CHECK_EQ_INT(a.live, 0);
}

static void test_every_message_is_one_line(void)
{
	const char *bad[][4] = {
		{"run", NULL}, {"run", "--bogus", NULL}, {"run", "-o", NULL},
		{"run", "--sample-rate", "x", NULL}, {"report", NULL}, {"nope", NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *w[6] = {"oomph"};
		for (int k = 0; k < 4 && bad[i][k] != NULL; k++)
			w[k + 1] = bad[i][k];
		CHECK_EQ_INT(parse_words(w), -EINVAL);
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
}

static void test_memory_limit_options(void)
{
	CHECK_EQ_INT(PARSE("run", "--limit", "300MiB", "--on-oom", "stop", "--oom-threshold=50M",
			   "--max-stall", "40%", "s.py"), 0);
	CHECK_EQ_INT(a.limit_bytes, 300ll << 20);
	CHECK_EQ_INT(a.on_oom, ARGS_ON_OOM_STOP);
	CHECK_EQ_INT(a.oom_threshold, 50ll << 20);
	CHECK(a.max_stall_pct == 40.0);
	CHECK_EQ_INT(PARSE("run", "--no-oom-detection", "s.py"), 0);
	CHECK_EQ_INT(a.on_oom, ARGS_ON_OOM_OFF);
	CHECK_EQ_INT(a.limit_bytes, 0);
	CHECK_EQ_INT(PARSE("run", "s.py"), 0);
	CHECK_EQ_INT(a.on_oom, ARGS_ON_OOM_REPORT);
	CHECK_EQ_INT(PARSE("run", "--on-oom", "panic", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad --on-oom 'panic': say 'report' or 'stop'");
	CHECK_EQ_INT(PARSE("run", "--limit", "1M", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "below 8 MiB");
	CHECK_EQ_INT(PARSE("run", "--limit", "lots", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad --limit 'lots'");
	CHECK_EQ_INT(PARSE("run", "--max-stall", "0", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--max-stall", "101", "s.py"), -EINVAL);
	CHECK_EQ_INT(PARSE("run", "--max-stall", "x", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "a percentage above 0 and at most 100");
	CHECK_EQ_INT(PARSE("run", "--limit"), -EINVAL);
	CHECK_STR_CONTAINS(err, "a size, e.g. 300MiB");
}

static void test_swap_option(void)
{
	/* --swap with --limit: the swap allowed beyond it, in either order */
	CHECK_EQ_INT(PARSE("run", "--limit", "150MiB", "--swap", "300MiB", "s.py"), 0);
	CHECK_EQ_INT(a.limit_bytes, 150ll << 20);
	CHECK_EQ_INT(a.swap_bytes, 300ll << 20);
	CHECK_EQ_INT(a.swap_given, 1);
	CHECK_EQ_INT(PARSE("run", "--swap=1G", "--limit=2G", "s.py"), 0);
	CHECK_EQ_INT(a.swap_bytes, 1ll << 30);
	CHECK_EQ_INT(a.limit_bytes, 2ll << 30);
	/* --swap 0 says the default out loud */
	CHECK_EQ_INT(PARSE("run", "--limit", "150MiB", "--swap", "0", "s.py"), 0);
	CHECK_EQ_INT(a.swap_bytes, 0);
	CHECK_EQ_INT(a.swap_given, 1);
	/* without --swap: none, as before */
	CHECK_EQ_INT(PARSE("run", "--limit", "150MiB", "s.py"), 0);
	CHECK_EQ_INT(a.swap_bytes, 0);
	CHECK_EQ_INT(a.swap_given, 0);
	/* it stretches a limit: alone it means nothing */
	CHECK_EQ_INT(PARSE("run", "--swap", "300MiB", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "--swap needs --limit");
	CHECK_EQ_INT(PARSE("run", "--limit", "150MiB", "--swap", "lots", "s.py"), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad --swap 'lots'");
	CHECK_EQ_INT(PARSE("run", "--limit", "150MiB", "--swap"), -EINVAL);
	CHECK_STR_CONTAINS(err, "a size, e.g. 1GiB");
	/* after the script it is the script's own */
	CHECK_EQ_INT(PARSE("run", "s.py", "--swap", "1G"), 0);
	CHECK_EQ_INT(a.swap_given, 0);
	CHECK_EQ_INT(a.nrest, 2);
}

int main(void)
{
	test_memory_limit_options();
	test_swap_option();
	test_a_script_with_its_own_flags_is_left_alone();
	test_options_before_the_script_are_oomphs();
	test_values_can_be_attached();
	test_the_last_repeated_option_wins();
	test_exact_means_sample_rate_one();
	test_dash_m_takes_the_module_and_leaves_the_rest();
	test_dash_c_takes_the_code_and_leaves_the_rest();
	test_double_dash_runs_any_command();
	test_a_lone_dash_is_the_script_from_stdin();
	test_missing_values_are_usage_errors();
	test_a_run_without_a_program_is_a_usage_error();
	test_bad_sizes_are_usage_errors_that_say_why();
	test_unknown_options_are_named();
	test_commands_and_their_help();
	test_missing_or_unknown_commands();
	test_report_takes_one_directory();
	test_snapshot_takes_one_run_directory_and_the_signal_is_chosen();
	test_top_takes_one_run_directory_and_live_is_a_run_option();
	test_every_message_is_one_line();
	return check_summary();
}
