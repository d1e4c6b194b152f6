/* supervisor/snapshot.c — reports of a running run (snapshot.h). */
#include "supervisor/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <time.h>

#include "common/errmsg.h"
#include "common/exitcodes.h"
#include "common/safefs.h"
#include "report/report.h"
#include "supervisor/rundir.h"
#include "supervisor/run.h"

/* The largest <n> of RUN_DIR/snapshots/<n>-..., 0 if none. */
static int largest(const char *snaps)
{
	DIR *d = opendir(snaps);
	if (!d)
		return 0;
	int max = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long n = strtol(e->d_name, &end, 10);
		if (end != e->d_name && *end == '-' && n > max && n < INT_MAX)
			max = (int)n;
	}
	closedir(d);
	return max;
}

static int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp)
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int snapshot_write(const char *run_dir, const char *live, const struct runmeta *meta,
		   const char *dir, double t_s, int min_n, char *path, size_t pathlen, char *err,
		   size_t errlen)
{
	char snaps[PATH_MAX + 16];
	int rc;
	snprintf(snaps, sizeof snaps, "%s/%s", run_dir, SNAPSHOT_DIR);
	int n = largest(snaps) + 1;
	if (n < min_n)
		n = min_n;
	if (dir && dir[0]) {
		if ((size_t)snprintf(path, pathlen, "%s", dir) >= pathlen)
			return err_set(-ENAMETOOLONG, err, errlen, "%s: name too long", dir);
		if ((rc = make_dirs(path)) != 0)
			return err_set(rc, err, errlen, "cannot create %s: %s", path, strerror(-rc));
	} else {
		char why[600];
		if ((rc = safefs_mkdir(snaps, why, sizeof why)) != 0 && rc != -EEXIST)
			return err_set(rc, err, errlen, "cannot create %s: %s", snaps, why);
		for (;; n++) { /* another writer (oomph snapshot) may take a number meanwhile */
			if ((size_t)snprintf(path, pathlen, "%s/%d-%.1f", snaps, n, t_s > 0 ? t_s : 0) >=
			    pathlen)
				return err_set(-ENAMETOOLONG, err, errlen, "%s: name too long", snaps);
			if (mkdir(path, meta && meta->team_readable ? SAFEFS_DIR_TEAM
								     : SAFEFS_DIR_PRIVATE) == 0)
				break;
			if (errno != EEXIST)
				return err_set(-errno, err, errlen, "cannot create %s: %s", path,
					       strerror(errno));
		}
	}
	struct report_target t = {.run_dir = run_dir, .state_dir = live, .out_dir = path, .running = 1};
	rc = report_render_to(&t, meta, NULL, err, errlen);
	return rc ? rc : n;
}

int snapshot_running(const char *run_dir, char *live, size_t livelen, int *pid)
{
	struct runmeta m;
	char msg[256];
	memset(&m, 0, sizeof m);
	int running = runmeta_load(run_dir, &m, msg, sizeof msg) == 0 &&
		      !strcmp(m.status, "running") &&
		      rundir_supervisor_alive(m.supervisor_pid, m.supervisor_start) &&
		      runmeta_state_dir(&m, run_dir, live, livelen) == 0;
	if (running && pid)
		*pid = m.child_pid > 0 ? m.child_pid : m.supervisor_pid;
	runmeta_free(&m);
	return running;
}

int snapshot_command(const char *dir, struct run_outcome *o, char *err, size_t errlen)
{
	char live[PATH_MAX], path[PATH_MAX], msg[1024] = "";
	struct stat st;
	int pid = 0;
	memset(o, 0, sizeof *o);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -ENOENT, err, errlen,
				  "cannot open run directory '%s': %s", dir,
				  errno ? strerror(errno) : "not a directory");
	if (!snapshot_running(dir, live, sizeof live, &pid))
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -ESRCH, err, errlen,
				  "'%s' is not a running oomph run (for a finished one: oomph report %s)",
				  dir, dir);
	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	int have_meta = runmeta_load(dir, &meta, msg, sizeof msg) == 0;
	/* seconds since the run started, for the directory's name */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double t = 0, now_s = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (have_meta && meta.start_unix_s > 0 && now_s > meta.start_unix_s)
		t = now_s - meta.start_unix_s;
	msg[0] = 0;
	int n = snapshot_write(dir, live, have_meta ? &meta : NULL, NULL, t, 1, path, sizeof path,
			       msg, sizeof msg);
	if (have_meta)
		runmeta_free(&meta);
	if (n < 0)
		return run_refuse(o, n == -ENOMEM ? OOMPH_EXIT_SOFTWARE : OOMPH_EXIT_CANTCREAT, n, err,
				  errlen, "%s", msg);
	fprintf(stderr, "oomph: snapshot %d of the running program (pid %d) written to %s/index.html\n",
		n, pid, path);
	o->status = OOMPH_EXIT_OK;
	return 0;
}
