/* cli/main.c — the command line of oomph: parse, dispatch, and map every
 * failure to one line on stderr and an exit status (common/exitcodes.h).
 * The work itself lives in supervisor/ (running) and report/ (rendering). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "report/report.h"
#include "state/format.h"
#include "supervisor/args.h"
#include "supervisor/pyprobe.h"
#include "supervisor/cgroup.h"
#include "supervisor/kmsg.h"
#include "supervisor/statedir.h"
#include "supervisor/supervise.h"
#include "supervisor/verdict.h"
#include "supervisor/watch.h"

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
	"                        memory cgroup (v2, or a v1 child; swap limited too), so\n" \
	"                        the kernel's OOM killer acts as in production; without\n" \
	"                        a cgroup, RLIMIT_DATA (the summary says which)\n" \
	"  --on-oom MODE         near the limit (headroom below the threshold): 'report'\n" \
	"                        (default) photographs what is live and lets it go on;\n" \
	"                        'stop' photographs it, stops the program and reports\n" \
	"  --oom-threshold SIZE  headroom that counts as near OOM (default: the larger of\n" \
	"                        100 MiB and 2%% of the limit)\n" \
	"  --no-oom-detection    no near-OOM checks (failed allocations still recorded)\n" \
	"  --max-stall PERCENT   stop a program stalled on memory (PSI) more than PERCENT\n" \
	"                        of the time for a sustained period (thrashing)\n" \
	"  -q, --quiet           no summary on the terminal (the report is still written)\n" \
	"  --open                open index.html with xdg-open when the run is over\n" \
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
	"  (default /dev/shm), OOMPH_TMPFS=off on disk in the report directory.\n"

static const char help_report[] =
	"Usage: oomph report DIR\n"
	"\n"
	"Re-renders the report of a run directory (one written by `oomph run`) from\n"
	"its run.meta and state/ files, and prints the summary on stderr.\n"
	"\n"
	"Exit status: 0, or 65 if a profile is corrupt, foreign or truncated (the\n"
	"report says which and why), 66 if DIR is not an oomph run directory,\n"
	"73 if the report cannot be written, 64 for a usage error.\n";

__attribute__((format(printf, 2, 3)))
static int fail(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("oomph: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Step 2: a script must be there before anything is created.  "-" is
 * stdin; a directory runs like python runs it (its __main__.py). */
static int check_script(const char *script)
{
	if (strcmp(script, "-") == 0)
		return 0;
	int fd = open(script, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(OOMPH_EXIT_NOINPUT, "cannot open script '%s': %s", script, strerror(errno));
	struct stat st;
	int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	if (is_dir) {
		char main_py[PATH_MAX];
		snprintf(main_py, sizeof main_py, "%s/__main__.py", script);
		if (access(main_py, R_OK) != 0)
			return fail(OOMPH_EXIT_NOINPUT,
				    "cannot open script '%s': it is a directory without a __main__.py", script);
	}
	return 0;
}

/* Step 1: the interpreter, found and probed. */
static int find_python(const char *given, char *path, size_t pathlen, struct pyprobe_info *info)
{
	char err[512];
	int rc = sup_which(given, path, pathlen);
	if (rc == -ENOENT && strchr(given, '/') == NULL)
		return fail(OOMPH_EXIT_UNAVAILABLE,
			    "Python interpreter '%s' not found on PATH (install CPython 3.9+ or pass --python PATH)",
			    given);
	if (rc == -ENOENT)
		return fail(OOMPH_EXIT_UNAVAILABLE, "Python interpreter '%s' not found (pass --python PATH)", given);
	if (rc < 0)
		return fail(OOMPH_EXIT_UNAVAILABLE, "Python interpreter '%s' cannot be executed: %s",
			    given, strerror(-rc));
	rc = pyprobe_probe(path, info, err, sizeof err);
	if (rc == 0)
		rc = pyprobe_check(path, info, err, sizeof err);
	if (rc == -ENOMEM)
		return fail(OOMPH_EXIT_SOFTWARE, "%s", err);
	if (rc < 0)
		return fail(OOMPH_EXIT_UNAVAILABLE, "%s", err);
	return 0;
}

/* What the supervisor hooks need while the child runs. */
struct run_ctx {
	const struct args *a;
	struct watch watch;
	int watching;
	int rlimit_fallback;    /* --limit without a cgroup: RLIMIT_DATA */
	struct ocgroup cg;      /* --limit: the private cgroup */
	int have_cg;
	char cg_why[600];       /* why there is none */
	uint64_t oom_kills0;    /* its oom_kill counter at the start */
	long long oom_kills_rise; /* ... and how much it rose; -1 unknown */
	int kmsg_fd;            /* the kernel log, or -errno */
};

static int run_in_child(void *vctx)
{
	struct run_ctx *c = vctx;
	if (c->have_cg) {
		int rc = cgroup_attach_self(&c->cg);
		if (rc)
			return rc;
	}
	if (c->rlimit_fallback) {
		struct rlimit rl = {(rlim_t)c->a->limit_bytes, (rlim_t)c->a->limit_bytes};
		if (setrlimit(RLIMIT_DATA, &rl) != 0)
			return -errno;
	}
	return 0;
}

static int run_tick(void *vctx, pid_t pid, double t, int stopped)
{
	struct run_ctx *c = vctx;
	return c->watching ? watch_tick(&c->watch, pid, t, stopped) : SUP_CONTINUE;
}

/* The child's own state file: <pid>.oomph, or its last exec'd image. */
static int load_main_profile(const char *state_dir, int pid, struct profile *p)
{
	char path[PATH_MAX + 64], err[512];
	int found = -1;
	for (unsigned g = 0; g < 1000; g++) {
		if (g)
			snprintf(path, sizeof path, "%s/%d.%u%s", state_dir, pid, g, OOMPH_STATE_SUFFIX);
		else
			snprintf(path, sizeof path, "%s/%d%s", state_dir, pid, OOMPH_STATE_SUFFIX);
		if (access(path, F_OK) != 0)
			break;
		found = (int)g;
	}
	if (found < 0)
		return -ENOENT;
	if (found)
		snprintf(path, sizeof path, "%s/%d.%d%s", state_dir, pid, found, OOMPH_STATE_SUFFIX);
	else
		snprintf(path, sizeof path, "%s/%d%s", state_dir, pid, OOMPH_STATE_SUFFIX);
	return profile_load(path, p, err, sizeof err) == 0 ? 0 : -EINVAL;
}

/* The verdict, its evidence and the limit, into meta. */
static void decide(const struct args *a, const char *state_dir, const struct sup_result *res,
		   struct run_ctx *ctx, struct runmeta *meta)
{
	struct profile main_p;
	int have = load_main_profile(state_dir, (int)res->pid, &main_p) == 0;
	if (have && main_p.limit_bytes > 0) {
		meta->limit_bytes = main_p.limit_bytes;
		snprintf(meta->limit_kind, sizeof meta->limit_kind, "%s", main_p.limit_kind);
		snprintf(meta->limit_source, sizeof meta->limit_source, "%s", main_p.limit_source);
	}
	if (ctx->rlimit_fallback)
		snprintf(meta->limit_mode, sizeof meta->limit_mode, "rlimit-data");
	else if (ctx->have_cg)
		snprintf(meta->limit_mode, sizeof meta->limit_mode, "%s", ctx->cg.mode);
	long long kills_rise = ctx->oom_kills_rise;
	char kline[512] = "";
	pid_t who = 0;
	int kfound = 0;
	if (ctx->kmsg_fd >= 0 && res->signal == SIGKILL) {
		pid_t pids[1] = {res->pid};
		/* the kernel writes the record as it kills: it is there now */
		kfound = kmsg_find_oom_kill(ctx->kmsg_fd, pids, 1, &who, kline, sizeof kline) == 1;
	}
	snprintf(meta->on_oom, sizeof meta->on_oom, "%s",
		 a->on_oom == ARGS_ON_OOM_STOP ? "stop" : a->on_oom == ARGS_ON_OOM_OFF ? "off" : "report");
	struct verdict_input in = {
		.signal = res->signal,
		.exit_code = res->exit_code,
		.main = have ? &main_p : NULL,
		.stopped_near_oom = ctx->watching && ctx->watch.stopped_near_oom,
		.stopped_for_stall = ctx->watching && ctx->watch.stopped_for_stall,
		.max_stall_pct = a->max_stall_pct,
		.cgroup_oom_kills = kills_rise,
		.cgroup_private = ctx->have_cg,
		.cgroup_dir = ctx->have_cg ? ctx->cg.mem_dir : NULL,
		.kmsg_readable = ctx->kmsg_fd >= 0,
		.kmsg_line = kfound ? kline : NULL,
		.pid = (int)res->pid,
	};
	meta->verdict[0] = 0;
	if (verdict_decide(&in, meta) != 0)
		fail(0, "out of memory while writing the verdict's evidence");
	if (ctx->rlimit_fallback)
		runmeta_add_evidence(meta,
			"--limit ran the program under RLIMIT_DATA because %s: the kernel's OOM killer does not act on it, allocations fail instead",
			ctx->cg_why);
	else if (ctx->have_cg)
		runmeta_add_evidence(meta, "--limit ran the program in its own memory cgroup (%s, %s)%s",
				     ctx->cg.mode, ctx->cg.mem_dir,
				     ctx->cg.swap_limited ? ", swap included in the limit" : "");
	if (meta->thrashing)
		runmeta_add_evidence(meta,
			"it thrashed for %.1f s on end: stalled on memory up to %.0f%% of the time (%.1f s stalled in all, PSI), up to %.0f pages/s of its working set read back from disk, up to %.0f major faults/s",
			meta->thrash_seconds, meta->stall_max_pct, meta->stall_total_s,
			meta->refault_max_per_s > 0 ? meta->refault_max_per_s : 0.0,
			meta->majflt_max_per_s);
	if (have)
		profile_free(&main_p);
}

static int cmd_run(const struct args *a)
{
	char err[1024];
	char exec_file[PATH_MAX] = "";
	char python_path[PATH_MAX] = "";
	struct pyprobe_info info;
	const char *python_given = a->python != NULL ? a->python : "python3";
	int status;

	memset(&info, 0, sizeof info);
	if (a->target == ARGS_TARGET_SCRIPT && (status = check_script(a->target_arg)) != 0)
		return status;
	if (a->target != ARGS_TARGET_COMMAND) {
		if ((status = find_python(python_given, python_path, sizeof python_path, &info)) != 0)
			return status;
		snprintf(exec_file, sizeof exec_file, "%s", python_path);
	} else {
		int rc = sup_which(a->target_arg, exec_file, sizeof exec_file);
		int on_path = strchr(a->target_arg, '/') == NULL;
		if (rc == -ENOENT)
			return fail(OOMPH_EXIT_NOTFOUND, "command '%s' not found%s", a->target_arg,
				    on_path ? " on PATH" : "");
		if (rc < 0)
			return fail(OOMPH_EXIT_NOEXEC, "command '%s' cannot be executed: %s", a->target_arg,
				    strerror(-rc));
	}

	char library[PATH_MAX];
	if (sup_find_library(library, sizeof library, err, sizeof err) != 0)
		return fail(OOMPH_EXIT_OSFILE, "%s", err);

	char run_dir[PATH_MAX];
	int created = 0;
	if (sup_make_run_dir(a->output, run_dir, sizeof run_dir, &created, err, sizeof err) != 0)
		return fail(OOMPH_EXIT_CANTCREAT, "%s", err);
	char state_dir[PATH_MAX + 16];
	snprintf(state_dir, sizeof state_dir, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	char why[512];
	int on_tmpfs = statedir_use_tmpfs(run_dir, why, sizeof why);

	/* The tracker's near-OOM settings travel in the environment. */
	setenv(OOMPH_ENV_ON_OOM,
	       a->on_oom == ARGS_ON_OOM_STOP ? "stop" : a->on_oom == ARGS_ON_OOM_OFF ? "off" : "report", 1);
	if (a->oom_threshold > 0) {
		char v[32];
		snprintf(v, sizeof v, "%lld", (long long)a->oom_threshold);
		setenv(OOMPH_ENV_OOM_THRESHOLD, v, 1);
	} else {
		unsetenv(OOMPH_ENV_OOM_THRESHOLD);
	}

	/* The command as the user would type it; it is also the child's argv. */
	int n = 0;
	char **argv = calloc((size_t)a->nrest + 4, sizeof *argv);
	char **env = NULL;
	if (argv == NULL || sup_child_env(library, state_dir, a->sample_rate, a->no_pymalloc, &env) != 0) {
		free(argv);
		if (on_tmpfs)
			statedir_discard(run_dir);
		if (created)
			sup_remove_run_dir(run_dir);
		return fail(OOMPH_EXIT_SOFTWARE, "out of memory");
	}
	switch (a->target) {
	case ARGS_TARGET_SCRIPT:
		argv[n++] = (char *)python_given;
		break;
	case ARGS_TARGET_MODULE:
		argv[n++] = (char *)python_given;
		argv[n++] = "-m";
		break;
	case ARGS_TARGET_CODE:
		argv[n++] = (char *)python_given;
		argv[n++] = "-c";
		break;
	case ARGS_TARGET_COMMAND:
		break;
	}
	argv[n++] = (char *)a->target_arg;
	for (int i = 0; i < a->nrest; i++)
		argv[n++] = a->rest[i];
	argv[n] = NULL;

	struct run_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.a = a;
	ctx.kmsg_fd = kmsg_open();
	char psi_path[PATH_MAX + 32] = "", stat_path[PATH_MAX + 32] = "";
	if (a->limit_bytes > 0) {
		if (cgroup_create(&ctx.cg, a->limit_bytes, ctx.cg_why, sizeof ctx.cg_why) == 0) {
			ctx.have_cg = 1;
			cgroup_oom_kills(&ctx.cg, &ctx.oom_kills0);
			cgroup_pressure_path(&ctx.cg, psi_path, sizeof psi_path);
			snprintf(stat_path, sizeof stat_path, "%s/memory.stat", ctx.cg.mem_dir);
		} else {
			ctx.rlimit_fallback = 1;
			if (!a->quiet)
				fail(0, "warning: %s; limiting the program with RLIMIT_DATA instead", ctx.cg_why);
		}
	}
	struct watch_config wc = {
		.run_dir = run_dir,
		.psi_path = psi_path[0] ? psi_path : NULL,
		.stat_path = stat_path[0] ? stat_path : NULL,
		.max_stall_pct = a->max_stall_pct,
		.warn = stderr,
	};
	if (watch_start(&ctx.watch, &wc, err, sizeof err) == 0)
		ctx.watching = 1;
	else
		fail(0, "no timeline for this run: %s", err);
	struct sup_hooks hooks = {.ctx = &ctx, .in_child = run_in_child, .tick = run_tick};
	struct sup_result res;
	int run_rc = sup_run_hooked(exec_file, argv, env, &hooks, &res, err, sizeof err);
	/* The cgroup goes now, whatever happens next; its counter first. */
	ctx.oom_kills_rise = -1;
	if (ctx.have_cg) {
		uint64_t kills;
		if (cgroup_oom_kills(&ctx.cg, &kills) == 0)
			ctx.oom_kills_rise = (long long)(kills - ctx.oom_kills0);
		cgroup_destroy(&ctx.cg);
	}
	if (run_rc != 0) {
		if (ctx.kmsg_fd >= 0)
			close(ctx.kmsg_fd);
		if (ctx.watching)
			watch_end(&ctx.watch, &(struct runmeta){0});
		free(argv);
		sup_free_env(env);
		if (on_tmpfs)
			statedir_discard(run_dir);
		if (created)
			sup_remove_run_dir(run_dir);
		return fail(OOMPH_EXIT_SOFTWARE, "%s", err);
	}
	sup_free_env(env);

	/* From here on oomph exits with the program's status, whatever happens
	 * to the report. */
	struct runmeta meta;
	int rc = sup_meta_fill(&meta, n, argv, a->target == ARGS_TARGET_COMMAND ? "" : python_path,
			       info.version, a->sample_rate, a->exact, &res);
	free(argv);
	if (rc != 0) {
		fail(0, "out of memory; no report written to %s", run_dir);
		return res.exit_status;
	}
	if (ctx.watching)
		watch_end(&ctx.watch, &meta);
	if (on_tmpfs && statedir_materialize(run_dir, err, sizeof err) != 0)
		fail(0, "the state files stay on tmpfs (linked from %s): %s", state_dir, err);
	decide(a, state_dir, &res, &ctx, &meta);
	if (ctx.kmsg_fd >= 0)
		close(ctx.kmsg_fd);
	if (runmeta_save(run_dir, &meta, err, sizeof err) != 0)
		fail(0, "cannot save the run's metadata: %s", err);
	err[0] = '\0';
	if (report_render(run_dir, &meta, a->quiet ? NULL : stderr, err, sizeof err) != 0)
		fail(0, "the report in %s is incomplete: %s", run_dir, err[0] ? err : "unknown error");
	if (a->open && sup_open_report(run_dir, err, sizeof err) != 0)
		fail(0, "%s", err);
	runmeta_free(&meta);
	return res.exit_status;
}

/* After a render: -ENODATA if RUN_DIR/state/ holds state files and not one
 * of them can be read (the report then only lists why), else 0.  Stops at
 * the first readable file, so a healthy run costs one extra load. */
static int check_some_profile_readable(const char *run_dir)
{
	char state[PATH_MAX];
	snprintf(state, sizeof state, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	DIR *d = opendir(state);
	if (d == NULL)
		return 0;
	int seen = 0, readable = 0;
	struct dirent *e;
	while (!readable && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), sl = strlen(OOMPH_STATE_SUFFIX);
		if (n <= sl || strcmp(e->d_name + n - sl, OOMPH_STATE_SUFFIX) != 0)
			continue;
		char path[PATH_MAX + 256], err[256];
		snprintf(path, sizeof path, "%s/%s", state, e->d_name);
		struct profile p;
		memset(&p, 0, sizeof p);
		seen = 1;
		int rc = profile_load(path, &p, err, sizeof err);
		if (rc == 0 || rc == OOMPH_PROFILE_ENOMEM)
			readable = 1;
		if (rc == 0)
			profile_free(&p);
	}
	closedir(d);
	return seen && !readable ? -ENODATA : 0;
}

static int cmd_report(const struct args *a)
{
	char err[1024];
	const char *dir = a->report_dir;
	struct stat st;
	if (stat(dir, &st) != 0)
		return fail(OOMPH_EXIT_NOINPUT, "cannot open report directory '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(OOMPH_EXIT_NOINPUT, "'%s' is not a directory (usage: oomph report DIR)", dir);
	char meta_path[PATH_MAX + 16];
	snprintf(meta_path, sizeof meta_path, "%s/%s", dir, RUNMETA_FILE);
	if (access(meta_path, F_OK) != 0)
		return fail(OOMPH_EXIT_NOINPUT, "'%s' is not an oomph run directory (it has no %s)",
			    dir, RUNMETA_FILE);

	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	err[0] = '\0';
	int rc = runmeta_load(dir, &meta, err, sizeof err);
	if (rc != 0) {
		runmeta_free(&meta);
		if (rc == -ENOMEM)
			return fail(OOMPH_EXIT_SOFTWARE, "out of memory");
		if (rc == -EACCES || rc == -EPERM)
			return fail(OOMPH_EXIT_NOINPUT, "cannot read %s: %s", meta_path, strerror(-rc));
		return fail(OOMPH_EXIT_DATAERR, "%s", err[0] ? err : "cannot read run.meta");
	}
	err[0] = '\0';
	rc = report_render(dir, &meta, stderr, err, sizeof err);
	runmeta_free(&meta);
	if (rc == 0 && check_some_profile_readable(dir) != 0)
		return fail(OOMPH_EXIT_DATAERR,
			    "no profile in %s/%s could be read (each is corrupt, foreign or truncated: see above)",
			    dir, RUNMETA_STATE_DIR);
	if (rc == 0)
		return OOMPH_EXIT_OK;
	const char *why = err[0] ? err : strerror(-rc);
	switch (rc) {
	case -ENOMEM:
		return fail(OOMPH_EXIT_SOFTWARE, "%s", why);
	case -EACCES:
	case -EPERM:
	case -EROFS:
	case -ENOSPC:
	case -EDQUOT:
		return fail(OOMPH_EXIT_CANTCREAT, "cannot write the report in %s: %s", dir, why);
	default:
		return fail(OOMPH_EXIT_DATAERR, "%s", why);
	}
}

int main(int argc, char **argv)
{
	struct args a;
	char err[1024];
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
		return cmd_run(&a);
	case ARGS_REPORT:
		return cmd_report(&a);
	}
	return fail(OOMPH_EXIT_SOFTWARE, "internal error: unknown command");
}
