/* supervisor/run.c — `oomph run` from the parsed options to the program's
 * exit status (see run.h): check the target, probe the interpreter, make
 * the run directory, set up the limit, start and watch the program, decide
 * the verdict, save run.meta and render the report. */
#include "supervisor/run.h"

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

#include "common/errmsg.h"
#include "common/exitcodes.h"
#include "live/top.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "report/report.h"
#include "report/text.h"
#include "state/format.h"
#include "supervisor/cgroup.h"
#include "supervisor/kmsg.h"
#include "supervisor/pyprobe.h"
#include "supervisor/rundir.h"
#include "supervisor/supervise.h"
#include "supervisor/verdict.h"
#include "supervisor/watch.h"

int run_refuse(struct run_outcome *o, int status, int rc, char *err, size_t errlen,
		  const char *fmt, ...)
{
	o->status = status;
	va_list ap;
	va_start(ap, fmt);
	err_vset(0, err, errlen, fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : -EINVAL;
}

/* Step 2: a script must be there before anything is created.  "-" is
 * stdin; a directory runs like python runs it (its __main__.py). */
static int check_script(const char *script, struct run_outcome *o, char *err, size_t errlen)
{
	if (strcmp(script, "-") == 0)
		return 0;
	int fd = open(script, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -errno, err, errlen, "cannot open script '%s': %s", script,
			      strerror(errno));
	struct stat st;
	int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	if (is_dir) {
		char main_py[PATH_MAX];
		snprintf(main_py, sizeof main_py, "%s/__main__.py", script);
		if (access(main_py, R_OK) != 0)
			return run_refuse(o, OOMPH_EXIT_NOINPUT, -ENOENT, err, errlen,
				      "cannot open script '%s': it is a directory without a __main__.py", script);
	}
	return 0;
}

/* Step 1: the interpreter, found and probed. */
static int find_python(const char *given, char *path, size_t pathlen, struct pyprobe_info *info,
		       struct run_outcome *o, char *err, size_t errlen)
{
	int rc = sup_which(given, path, pathlen);
	if (rc == -ENOENT && strchr(given, '/') == NULL)
		return run_refuse(o, OOMPH_EXIT_UNAVAILABLE, rc, err, errlen,
			      "Python interpreter '%s' not found on PATH (install CPython 3.9+ or pass --python PATH)",
			      given);
	if (rc == -ENOENT)
		return run_refuse(o, OOMPH_EXIT_UNAVAILABLE, rc, err, errlen,
			      "Python interpreter '%s' not found (pass --python PATH)", given);
	if (rc < 0)
		return run_refuse(o, OOMPH_EXIT_UNAVAILABLE, rc, err, errlen,
			      "Python interpreter '%s' cannot be executed: %s", given, strerror(-rc));
	rc = pyprobe_probe(path, info, err, errlen);
	if (rc == 0)
		rc = pyprobe_check(path, info, err, errlen);
	if (rc < 0)
		o->status = rc == -ENOMEM ? OOMPH_EXIT_SOFTWARE : OOMPH_EXIT_UNAVAILABLE;
	return rc;
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

int run_load_main_profile(const char *state_dir, int pid, struct profile *p)
{
	char path[PATH_MAX + 64], err[512], name[OOMPH_STATE_NAME_MAX];
	int found = -1;
	for (unsigned g = 0; g < 1000; g++) {
		oomph_state_name(name, (unsigned long)pid, g);
		snprintf(path, sizeof path, "%s/%s", state_dir, name);
		if (access(path, F_OK) != 0)
			break;
		found = (int)g;
	}
	if (found < 0)
		return -ENOENT;
	oomph_state_name(name, (unsigned long)pid, (unsigned)found);
	snprintf(path, sizeof path, "%s/%s", state_dir, name);
	return profile_load(path, p, err, sizeof err) == 0 ? 0 : -EINVAL;
}

/* What the private cgroup does with swap, for the evidence. */
static const char *swap_words(const struct ocgroup *cg, int64_t asked, int64_t machine,
			      char *out, size_t cap)
{
	char b[32], mb[80];
	if (machine >= 0) {
		text_bytes(b, sizeof b, machine);
		snprintf(mb, sizeof mb, " (the machine has %s of swap)", b);
	} else {
		mb[0] = 0;
	}
	if (cg->swap_allowed_bytes < 0) {
		snprintf(out, cap, "swap not bounded (the kernel does not account it)%s%s",
			 asked > 0 ? ": --swap could not be applied" : "", mb);
	} else if (cg->swap_allowed_bytes == 0) {
		snprintf(out, cap, "no swap allowed beyond the limit%s", mb);
	} else {
		text_bytes(b, sizeof b, cg->swap_allowed_bytes);
		snprintf(out, cap, "%s of swap allowed beyond the limit (--swap)%s", b, mb);
	}
	return out;
}

/* The verdict, its evidence and the limit, into meta. */
static void decide(const struct args *a, const char *state_dir, const struct sup_result *res,
		   struct run_ctx *ctx, struct runmeta *meta)
{
	struct profile main_p;
	int have = run_load_main_profile(state_dir, (int)res->pid, &main_p) == 0;
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
	if (ctx->watching && ctx->watch.kmsg_done) {
		/* the watch read the log for every process of the job */
		snprintf(kline, sizeof kline, "%s", ctx->watch.main_kline);
		kfound = res->signal == SIGKILL && kline[0];
	} else if (ctx->kmsg_fd >= 0 && res->signal == SIGKILL) {
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
		err_print("out of memory while writing the verdict's evidence");
	if (ctx->rlimit_fallback)
		runmeta_add_evidence(meta,
			"--limit ran the program under RLIMIT_DATA because %s: the kernel's OOM killer does not act on it, allocations fail instead",
			ctx->cg_why);
	else if (ctx->have_cg) {
		char sw[200];
		runmeta_add_evidence(meta, "--limit ran the program in its own memory cgroup (%s, %s), %s",
				     ctx->cg.mode, ctx->cg.mem_dir,
				     swap_words(&ctx->cg, a->swap_bytes, meta->swap.machine_bytes, sw, sizeof sw));
	}
	if (have)
		profile_free(&main_p);
}

/* run.meta at the start: what runs, where its live state is, who watches
 * it, its cgroup; so that a run whose oomph dies can be found and cleaned
 * up, and `oomph report` of a running run knows where to look. */
static void meta_at_start(struct runmeta *meta, const struct rundir *rd, const struct run_ctx *ctx,
			  int team_readable)
{
	snprintf(meta->live_state, sizeof meta->live_state, "%s", rd->live ? rd->state : "");
	meta->supervisor_pid = (int)getpid();
	meta->supervisor_start = rundir_proc_start((int)getpid());
	meta->team_readable = team_readable;
	runmeta_init_unknown(meta);
	meta->swap.allowed_bytes = ctx->have_cg ? ctx->cg.swap_allowed_bytes : -1;
	if (ctx->have_cg) {
		snprintf(meta->cgroup_dir, sizeof meta->cgroup_dir, "%s", ctx->cg.mem_dir);
		snprintf(meta->cgroup_psi_dir, sizeof meta->cgroup_psi_dir, "%s", ctx->cg.psi_dir);
		snprintf(meta->limit_mode, sizeof meta->limit_mode, "%s", ctx->cg.mode);
	}
}

int run_program(const struct args *a, struct run_outcome *o, char *err, size_t errlen)
{
	char msg[1024];
	char exec_file[PATH_MAX] = "";
	char python_path[PATH_MAX] = "";
	struct pyprobe_info info;
	const char *python_given = a->python != NULL ? a->python : "python3";
	int rc;

	memset(o, 0, sizeof *o);
	memset(&info, 0, sizeof info);
	if (a->target == ARGS_TARGET_SCRIPT && (rc = check_script(a->target_arg, o, err, errlen)) != 0)
		return rc;
	if (a->target != ARGS_TARGET_COMMAND) {
		rc = find_python(python_given, python_path, sizeof python_path, &info, o, err, errlen);
		if (rc != 0)
			return rc;
		char warning[512];
		if (!a->quiet && pyprobe_warning(python_path, &info, warning, sizeof warning))
			err_print("%s", warning);
		snprintf(exec_file, sizeof exec_file, "%s", python_path);
	} else {
		rc = sup_which(a->target_arg, exec_file, sizeof exec_file);
		int on_path = strchr(a->target_arg, '/') == NULL;
		if (rc == -ENOENT)
			return run_refuse(o, OOMPH_EXIT_NOTFOUND, rc, err, errlen, "command '%s' not found%s",
					  a->target_arg, on_path ? " on PATH" : "");
		if (rc < 0)
			return run_refuse(o, OOMPH_EXIT_NOEXEC, rc, err, errlen,
					  "command '%s' cannot be executed: %s", a->target_arg,
					  strerror(-rc));
	}

	char library[PATH_MAX];
	if ((rc = sup_find_library(library, sizeof library, err, errlen)) != 0) {
		o->status = OOMPH_EXIT_OSFILE;
		return rc;
	}

	/* Live state left by runs whose oomph died: home, or gone. */
	int swept = 0;
	rundir_sweep(&swept, msg, sizeof msg);

	struct rundir rd;
	if ((rc = rundir_make(a->output, a->team_readable, &rd, err, errlen)) != 0) {
		o->status = OOMPH_EXIT_CANTCREAT;
		return rc;
	}
	if ((rc = rundir_make_state(&rd, (int)getpid(), rundir_proc_start((int)getpid()), err,
				    errlen)) != 0) {
		rundir_abandon(&rd);
		o->status = OOMPH_EXIT_CANTCREAT;
		return rc;
	}
	const char *run_dir = rd.path;
	/* the job's total and peak, shared by every process of the run */
	if (rundir_make_job(rd.state, msg, sizeof msg) != 0 && !a->quiet)
		err_print("warning: %s; each process is profiled on its own", msg);

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
	char sigv[16];
	snprintf(sigv, sizeof sigv, "%d", a->snapshot_signal);
	setenv(OOMPH_ENV_SNAPSHOT_SIGNAL, sigv, 1);

	/* The command as the user would type it; it is also the child's argv. */
	int n = 0;
	char **argv = calloc((size_t)a->nrest + 4, sizeof *argv);
	char **env = NULL;
	if (argv == NULL || sup_child_env(library, rd.state, a->sample_rate, a->no_pymalloc, &env) != 0) {
		free(argv);
		rundir_abandon(&rd);
		return run_refuse(o, OOMPH_EXIT_SOFTWARE, -ENOMEM, err, errlen, "out of memory");
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

	struct runmeta meta;
	if (sup_meta_fill(&meta, n, argv, a->target == ARGS_TARGET_COMMAND ? "" : python_path,
			  info.version, a->sample_rate, a->exact) != 0) {
		free(argv);
		sup_free_env(env);
		rundir_abandon(&rd);
		return run_refuse(o, OOMPH_EXIT_SOFTWARE, -ENOMEM, err, errlen, "out of memory");
	}
	/* where its standard library and packages live (report/origin.h);
	 * one that cannot be kept only makes the report guess by spelling */
	for (int i = 0; i < info.ndirs; i++)
		(void)runmeta_add_pydir(&meta, info.dirs[i]);

	struct run_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.a = a;
	ctx.kmsg_fd = kmsg_open();
	char psi_path[PATH_MAX + 32] = "", stat_path[PATH_MAX + 32] = "";
	char swap_path[PATH_MAX + 32] = "";
	if (a->limit_bytes > 0) {
		if (cgroup_create(&ctx.cg, a->limit_bytes, a->swap_bytes, ctx.cg_why,
				  sizeof ctx.cg_why) == 0) {
			ctx.have_cg = 1;
			cgroup_oom_kills(&ctx.cg, &ctx.oom_kills0);
			cgroup_pressure_path(&ctx.cg, psi_path, sizeof psi_path);
			cgroup_stat_path(&ctx.cg, stat_path, sizeof stat_path);
			cgroup_swap_path(&ctx.cg, swap_path, sizeof swap_path);
			if (a->swap_bytes > 0 && ctx.cg.swap_allowed_bytes < 0 && !a->quiet)
				err_print("warning: --swap has no effect: the kernel does not account swap in %s, so the program's swap is not bounded",
					  ctx.cg.mem_dir);
		} else {
			ctx.rlimit_fallback = 1;
			if (!a->quiet)
				err_print("warning: %s; limiting the program with RLIMIT_DATA instead%s",
					  ctx.cg_why, a->swap_bytes > 0 ? " (--swap has no effect)" : "");
		}
	}
	meta_at_start(&meta, &rd, &ctx, a->team_readable);
	if (runmeta_save(run_dir, &meta, msg, sizeof msg) != 0)
		err_print("cannot save the run's metadata: %s", msg);

	struct watch_config wc = {
		.meta = &meta, /* what snapshots taken while it runs say about it */
		.run_dir = run_dir,
		.state_dir = rd.state,
		.psi_path = psi_path[0] ? psi_path : NULL,
		.stat_path = stat_path[0] ? stat_path : NULL,
		.swap_path = swap_path[0] ? swap_path : NULL,
		.swap_allowed_bytes = ctx.have_cg ? ctx.cg.swap_allowed_bytes : -1,
		.max_stall_pct = a->max_stall_pct,
		.warn = stderr,
		.cg = ctx.have_cg ? &ctx.cg : NULL,
		.kmsg_fd = ctx.kmsg_fd,
	};
	if (watch_start(&ctx.watch, &wc, msg, sizeof msg) == 0)
		ctx.watching = 1;
	else
		err_print("no timeline for this run: %s", msg);
	struct sup_hooks hooks = {.ctx = &ctx, .in_child = run_in_child, .tick = run_tick};
	struct sup_result res;
	/* --live: a viewer of its own draws while the program runs, gone
	 * before the summary is printed. */
	pid_t viewer = a->live ? top_live_start(run_dir) : 0;
	if (viewer < 0)
		err_print("no live view: cannot start it: %s", strerror((int)-viewer));
	int run_rc = sup_run_hooked(exec_file, argv, env, &hooks, &res, err, errlen);
	top_live_stop(viewer);
	/* what else of the job died meanwhile, or outlives it: before the
	 * cgroup goes (it ends what is left in it) */
	if (ctx.watching && run_rc == 0)
		watch_final(&ctx.watch, res.duration_s);
	/* The cgroup goes now, whatever happens next; its counter first. */
	ctx.oom_kills_rise = -1;
	if (ctx.have_cg) {
		uint64_t kills;
		int64_t peak;
		if (cgroup_oom_kills(&ctx.cg, &kills) == 0)
			ctx.oom_kills_rise = (long long)(kills - ctx.oom_kills0);
		/* the kernel's own figure for the whole job (run.meta) */
		if (cgroup_peak(&ctx.cg, &peak) == 0)
			meta.cgroup_peak_bytes = peak;
		cgroup_destroy(&ctx.cg);
	}
	free(argv);
	sup_free_env(env);
	if (run_rc != 0) {
		if (ctx.kmsg_fd >= 0)
			close(ctx.kmsg_fd);
		if (ctx.watching) {
			struct runmeta none = {0};
			watch_end(&ctx.watch, &none);
			runmeta_free(&none);
		}
		runmeta_free(&meta);
		char rm[PATH_MAX + 16];
		snprintf(rm, sizeof rm, "%s/%s", run_dir, RUNMETA_FILE);
		unlink(rm);
		rundir_abandon(&rd);
		o->status = OOMPH_EXIT_SOFTWARE;
		return run_rc;
	}

	/* From here on oomph exits with the program's status, whatever happens
	 * to the report. */
	o->status = res.exit_status;
	sup_meta_result(&meta, &res);
	if (ctx.watching)
		watch_end(&ctx.watch, &meta);
	const char *state_dir = rd.state;
	char home[PATH_MAX + 16];
	snprintf(home, sizeof home, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	if (rd.live) {
		if (rundir_keep_state(run_dir, rd.state, msg, sizeof msg) == 0) {
			meta.live_state[0] = 0;
			state_dir = home;
		} else {
			err_print("the state files stay on tmpfs in %s: %s", rd.state, msg);
		}
	} else if (rundir_compact_state(rd.state, msg, sizeof msg) != 0) {
		err_print("the state files stay as large as they were: %s", msg);
	}
	decide(a, state_dir, &res, &ctx, &meta);
	if (ctx.kmsg_fd >= 0)
		close(ctx.kmsg_fd);
	snprintf(meta.status, sizeof meta.status, "done");
	if (runmeta_save(run_dir, &meta, msg, sizeof msg) != 0)
		err_print("cannot save the run's metadata: %s", msg);
	msg[0] = '\0';
	if (report_render(run_dir, &meta, a->quiet ? NULL : stderr, msg, sizeof msg) != 0)
		err_print("the report in %s is incomplete: %s", run_dir, msg[0] ? msg : "unknown error");
	if (a->open && sup_open_report(run_dir, msg, sizeof msg) != 0)
		err_print("%s", msg);
	runmeta_free(&meta);
	return 0;
}
