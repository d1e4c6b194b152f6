/* supervisor/rerender.c — `oomph report DIR` (see rerender.h). */
#include "supervisor/rerender.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/exitcodes.h"
#include "common/safefs.h"
#include "profile/runmeta.h"
#include "report/report.h"
#include "supervisor/rundir.h"

int rerender_check_dir(const char *dir, const char *command, struct run_outcome *o, char *err,
		       size_t errlen)
{
	struct stat st;
	int top = !strcmp(command, "top");
	if (lstat(dir, &st) != 0)
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -errno, err, errlen,
				  "cannot open %s directory '%s': %s", top ? "run" : "report", dir,
				  strerror(errno));
	if (S_ISLNK(st.st_mode) && (top || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))))
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -ELOOP, err, errlen,
				  "'%s' is a symbolic link: give the run directory itself", dir);
	if (!S_ISDIR(st.st_mode))
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -ENOTDIR, err, errlen,
				  "'%s' is not a directory (usage: oomph %s DIR)", dir, command);
	char meta_path[PATH_MAX + 16];
	snprintf(meta_path, sizeof meta_path, "%s/%s", dir, RUNMETA_FILE);
	if (access(meta_path, F_OK) != 0)
		return run_refuse(o, OOMPH_EXIT_NOINPUT, -ENOENT, err, errlen,
				  "'%s' is not an oomph run directory (it has no %s)", dir, RUNMETA_FILE);
	/* The report is written into DIR: it must be ours, and nobody else's
	 * to write (common/safefs.h), or nothing is read from it either. */
	char why[700];
	int dfd = safefs_open_dir(dir, why, sizeof why);
	if (dfd < 0)
		return run_refuse(o, dfd == -ENOENT || top ? OOMPH_EXIT_NOINPUT : OOMPH_EXIT_CANTCREAT,
				  dfd, err, errlen, "cannot %s '%s': %s",
				  top ? "watch the run in" : "render the report in", dir, why);
	close(dfd);
	return 0;
}

int rerender_dir(const char *dir, struct run_outcome *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	int rc = rerender_check_dir(dir, "report", o, err, errlen);
	if (rc)
		return rc;
	char why[700];
	int swept = 0;
	rundir_sweep(&swept, why, sizeof why);

	struct runmeta meta;
	memset(&meta, 0, sizeof meta);
	char msg[1024] = "";
	char meta_path[PATH_MAX + 16];
	snprintf(meta_path, sizeof meta_path, "%s/%s", dir, RUNMETA_FILE);
	rc = runmeta_load(dir, &meta, msg, sizeof msg);
	if (rc != 0) {
		runmeta_free(&meta);
		if (rc == -ENOMEM)
			return run_refuse(o, OOMPH_EXIT_SOFTWARE, rc, err, errlen, "out of memory");
		if (rc == -EACCES || rc == -EPERM)
			return run_refuse(o, OOMPH_EXIT_NOINPUT, rc, err, errlen, "cannot read %s: %s",
					  meta_path, strerror(-rc));
		return run_refuse(o, OOMPH_EXIT_DATAERR, rc, err, errlen, "%s",
				  msg[0] ? msg : "cannot read run.meta");
	}
	int running = 0;
	if (!strcmp(meta.status, "running")) {
		if (rundir_supervisor_alive(meta.supervisor_pid, meta.supervisor_start)) {
			/* not over yet: a report of now, said as such */
			err_print("the program is still running (watched by oomph pid %d): this report is of now",
				  meta.supervisor_pid);
			running = 1;
		} else if (rundir_recover(dir, &meta, msg, sizeof msg) != 0) {
			err_print("%s", msg);
		}
	}
	msg[0] = '\0';
	/* the render says whether some state file could be read: not one,
	 * and the report only lists why */
	int none_read = 0;
	struct report_target target = {.run_dir = dir, .running = running, .unreadable = &none_read};
	rc = report_render_to(&target, &meta, stderr, msg, sizeof msg);
	int unreadable = rc == 0 && none_read;
	runmeta_free(&meta);
	if (unreadable)
		return run_refuse(o, OOMPH_EXIT_DATAERR, -ENODATA, err, errlen,
				  "no profile of %s could be read (each is corrupt, foreign or truncated: see above)",
				  dir);
	if (rc == 0)
		return 0;
	const char *reason = msg[0] ? msg : strerror(-rc);
	switch (rc) {
	case -ENOMEM:
		return run_refuse(o, OOMPH_EXIT_SOFTWARE, rc, err, errlen, "%s", reason);
	case -EACCES:
	case -EPERM:
	case -EROFS:
	case -ENOSPC:
	case -EDQUOT:
		return run_refuse(o, OOMPH_EXIT_CANTCREAT, rc, err, errlen,
				  "cannot write the report in %s: %s", dir, reason);
	default:
		return run_refuse(o, OOMPH_EXIT_DATAERR, rc, err, errlen, "%s", reason);
	}
}
