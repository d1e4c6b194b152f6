/* supervisor/rundir.c — the run directory and its state (rundir.h). */
#include "supervisor/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/readfile.h"
#include "common/safefs.h"
#include "profile/compact.h"
#include "profile/runmeta.h"
#include "state/format.h"
#include "supervisor/cgroup.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ---------------------------------------------------------- processes --- */

uint64_t rundir_proc_start(int pid)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_text_file(path, buf, sizeof buf) <= 0)
		return 0;
	/* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	 * so count fields after the last ')'.  starttime is field 22. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && *p; field++) { /* skip 3..21 */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	return strtoull(p, NULL, 10);
}

int rundir_supervisor_alive(int pid, uint64_t start)
{
	uint64_t now = rundir_proc_start(pid);
	return now != 0 && (start == 0 || now == start);
}

/* ---------------------------------------------------------- run dir --- */

static int mkdir_parents(char *path, char *err, size_t errlen)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		/* 0755 whatever the umask: a parent others could write would be
		 * refused below (safefs_check_ancestors) */
		int bad = mkdir(path, 0755) != 0 && errno != EEXIST;
		int e = errno;
		*s = '/';
		if (bad) {
			*s = 0;
			err_set(-e, err, errlen, "cannot create output directory '%s': %s", path,
				strerror(e));
			*s = '/';
			return -e;
		}
	}
	return 0;
}

/* A DIR stream over a copy of fd, from its first entry (a dup shares the
 * offset of fd, which an earlier listing left at the end). */
static DIR *dir_stream(int fd)
{
	int d2 = dup(fd);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	if (!d && d2 >= 0)
		close(d2);
	if (d)
		rewinddir(d);
	return d;
}

/* 1 if the open directory has no entry but . and .., 0 if it has, -errno. */
static int dir_is_empty(int fd)
{
	DIR *d = dir_stream(fd);
	if (!d)
		return -errno;
	int empty = 1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static int fd_path(int fd, char *out, size_t cap)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, out, cap - 1);
	if (n <= 0 || (size_t)n >= cap - 1)
		return -ENAMETOOLONG;
	out[n] = 0;
	return 0;
}

/* The default parent, oomph-report/: made private, or accepted if it is
 * ours and nobody else can write it (a shared one could be swapped). */
static int default_parent(mode_t mode, char *err, size_t errlen)
{
	if (mkdir(RUNDIR_DEFAULT_PARENT, mode) == 0) {
		if (chmod(RUNDIR_DEFAULT_PARENT, mode) != 0)
			return err_set(-errno, err, errlen, "cannot set the mode of %s/: %s",
				       RUNDIR_DEFAULT_PARENT, strerror(errno));
	} else if (errno != EEXIST) {
		return err_set(-errno, err, errlen, "cannot create output directory '%s': %s",
			       RUNDIR_DEFAULT_PARENT, strerror(errno));
	}
	char why[600];
	int fd = safefs_open_dir(RUNDIR_DEFAULT_PARENT, why, sizeof why);
	if (fd < 0)
		return err_set(fd, err, errlen, "cannot use %s/ for the report: %s (choose -o DIR)",
			       RUNDIR_DEFAULT_PARENT, why);
	close(fd);
	return 0;
}

int rundir_make(const char *requested, int team_readable, struct rundir *rd, char *err,
		size_t errlen)
{
	memset(rd, 0, sizeof *rd);
	mode_t mode = team_readable ? SAFEFS_DIR_TEAM : SAFEFS_DIR_PRIVATE;
	char path[PATH_MAX];
	int rc;
	if (requested) {
		if ((size_t)snprintf(path, sizeof path, "%s", requested) >= sizeof path)
			return err_set(-ENAMETOOLONG, err, errlen, "output directory name is too long");
	} else {
		if ((rc = default_parent(mode, err, errlen)) != 0)
			return rc;
		time_t now = time(NULL);
		struct tm tm;
		if (localtime_r(&now, &tm) == NULL)
			memset(&tm, 0, sizeof tm);
		snprintf(path, sizeof path, "%s/%04d%02d%02d-%02d%02d%02d-%ld", RUNDIR_DEFAULT_PARENT,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long)getpid());
	}
	/* "out/" and "out" are the same directory */
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = 0;
	if ((rc = mkdir_parents(path, err, errlen)) != 0)
		return rc;
	int created = mkdir(path, mode) == 0;
	if (!created && errno != EEXIST)
		return err_set(-errno, err, errlen, "cannot create output directory '%s': %s", path,
			       strerror(errno));
	struct stat st;
	if (!created && lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return err_set(-ENOTDIR, err, errlen,
			       "output directory '%s' exists and is not a directory (choose another -o DIR)",
			       path);
	char why[700];
	int fd = safefs_open_dir(path, why, sizeof why);
	if (fd < 0) {
		if (created)
			rmdir(path);
		return err_set(fd, err, errlen, "cannot use output directory '%s': %s", path, why);
	}
	if (!created) {
		int empty = dir_is_empty(fd);
		if (empty <= 0) {
			close(fd);
			return empty < 0 ? err_set(empty, err, errlen, "cannot use output directory '%s': %s",
						   path, strerror(-empty))
					 : err_set(-EEXIST, err, errlen,
						   "output directory '%s' exists and is not empty (choose another -o DIR, or remove it)",
						   path);
		}
	}
	/* exactly this mode, whatever the umask or the mode it had */
	rc = fchmod(fd, mode) == 0 ? 0 : -errno;
	if (!rc)
		rc = fd_path(fd, rd->path, sizeof rd->path);
	close(fd);
	if (rc) {
		if (created)
			rmdir(path);
		return err_set(rc, err, errlen, "cannot use output directory '%s': %s", path,
			       strerror(-rc));
	}
	rd->created = created;
	return 0;
}

/* ---------------------------------------------------------- state dir --- */

/* The tmpfs to use, or NULL with the reason in why. */
static const char *tmpfs_base(char *why, size_t whylen)
{
	const char *base = getenv(OOMPH_ENV_TMPFS);
	if (base && !strcmp(base, "off")) {
		err_set(0, why, whylen, "%s=off", OOMPH_ENV_TMPFS);
		return NULL;
	}
	if (!base || !*base)
		base = "/dev/shm";
	struct statfs fs;
	struct statvfs vfs;
	if (statfs(base, &fs) != 0 || (unsigned long)fs.f_type != TMPFS_MAGIC) {
		err_set(0, why, whylen, "%s is not a tmpfs", base);
		return NULL;
	}
	if (statvfs(base, &vfs) != 0 ||
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < RUNDIR_TMPFS_MIN_FREE) {
		err_set(0, why, whylen, "%s has less than %llu MiB free", base,
			RUNDIR_TMPFS_MIN_FREE >> 20);
		return NULL;
	}
	return base;
}

static void remove_files(int dfd)
{
	DIR *d = dir_stream(dfd);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* Remove a live state directory and what is in it (files only: the
 * tracker makes nothing else there). */
static void remove_live(const char *live)
{
	int fd = open(live, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	remove_files(fd);
	close(fd);
	rmdir(live);
}

int rundir_make_state(struct rundir *rd, int supervisor_pid, uint64_t supervisor_start,
		      char *err, size_t errlen)
{
	const char *base = tmpfs_base(rd->why_disk, sizeof rd->why_disk);
	if (base) {
		char tmp[PATH_MAX], why[600];
		int fd = -1;
		if ((size_t)snprintf(tmp, sizeof tmp, "%s/%sXXXXXX", base, RUNDIR_LIVE_PREFIX) <
			    sizeof tmp &&
		    mkdtemp(tmp)) { /* 0700, a name nobody could guess or plant */
			fd = safefs_open_dir(tmp, why, sizeof why);
			if (fd < 0) {
				rmdir(tmp);
				err_set(0, rd->why_disk, sizeof rd->why_disk, "%s", why);
			}
		} else {
			err_set(0, rd->why_disk, sizeof rd->why_disk, "cannot create a directory in %s",
				base);
		}
		if (fd >= 0) {
			char owner[PATH_MAX * 3 + 128], esc[PATH_MAX * 3 + 1];
			runmeta_escape(rd->path, esc, sizeof esc);
			int n = snprintf(owner, sizeof owner,
					 "# oomph live state 1\nrun_dir %s\nsupervisor_pid %d\nsupervisor_start %llu\n",
					 esc, supervisor_pid, (unsigned long long)supervisor_start);
			int rc = safefs_write_at(fd, RUNDIR_OWNER_FILE, owner, (size_t)n, why, sizeof why);
			close(fd);
			if (rc == 0) {
				snprintf(rd->state, sizeof rd->state, "%s", tmp);
				rd->live = 1;
				return 0;
			}
			remove_live(tmp);
			err_set(0, rd->why_disk, sizeof rd->why_disk, "%s", why);
		}
	}
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/%s", rd->path, RUNMETA_STATE_DIR);
	int rc = safefs_mkdir(path, err, errlen);
	if (rc)
		return rc;
	snprintf(rd->state, sizeof rd->state, "%s", path);
	rd->live = 0;
	return 0;
}

int rundir_make_job(const char *state_dir, char *err, size_t errlen)
{
	char why[600];
	int dfd = safefs_open_dir(state_dir, why, sizeof why);
	if (dfd < 0)
		return err_set(dfd, err, errlen, "cannot make the job file: %s", why);
	/* O_CREAT|O_EXCL|O_NOFOLLOW: a name planted first is refused */
	int fd = safefs_create_at(dfd, OOMPH_JOB_FILE, why, sizeof why);
	close(dfd);
	if (fd < 0)
		return err_set(fd, err, errlen, "cannot make the job file: %s", why);
	struct oomph_job_header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, OOMPH_JOB_MAGIC, 8);
	h.version = OOMPH_JOB_VERSION;
	h.header_size = sizeof h;
	h.file_size = (sizeof h + 4095) & ~(uint64_t)4095;
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	h.start_mono_ns = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
	h.start_realtime_ns = (uint64_t)real.tv_sec * 1000000000ull + (uint64_t)real.tv_nsec;
	h.supervisor_pid = (int32_t)getpid();
	int rc = 0;
	/* 0600 whatever the directory's mode: the trackers write it */
	if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)h.file_size) != 0 ||
	    pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		rc = -errno;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (rc)
		return err_set(rc, err, errlen, "cannot make the job file: %s", strerror(-rc));
	return 0;
}

/* Copy in to out keeping holes (SEEK_DATA/SEEK_HOLE). */
static int copy_sparse(int in, int out)
{
	struct stat st;
	if (fstat(in, &st) != 0 || ftruncate(out, st.st_size) != 0)
		return -errno;
	off_t pos = 0;
	static char buf[1 << 16];
	while (pos < st.st_size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno; /* only holes are left */
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		for (off_t o = data; o < hole;) {
			size_t want = (size_t)(hole - o) < sizeof buf ? (size_t)(hole - o) : sizeof buf;
			ssize_t n = pread(in, buf, want, o);
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			for (ssize_t done = 0; done < n;) {
				ssize_t w = pwrite(out, buf + done, (size_t)(n - done), o + done);
				if (w < 0)
					return -errno;
				done += w;
			}
			o += n;
		}
		pos = hole;
	}
	return 0;
}

/* A state file, compact (profile/compact.h); anything else, or a state
 * the reader would refuse, as it is (the reader then says why). */
static int copy_state(int in, int out, const char *name)
{
	long pid;
	unsigned gen;
	if (oomph_state_name_parse(name, &pid, &gen)) {
		int rc = state_compact(in, out, NULL, 0);
		if (rc != -EINVAL)
			return rc;
		if (ftruncate(out, 0) != 0)
			return -errno;
	}
	return copy_sparse(in, out);
}

/* Copy every state file of live_fd into the directory tmp_fd. */
static int copy_states(int live_fd, int tmp_fd, const char *live, char *err, size_t errlen)
{
	DIR *d = dir_stream(live_fd);
	if (!d)
		return err_set(-errno, err, errlen, "cannot read %s: %s", live, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, RUNDIR_OWNER_FILE))
			continue;
		char why[600];
		/* regular files only, never through a link */
		int in = safefs_open_read_at(live_fd, e->d_name, NULL, why, sizeof why);
		if (in < 0)
			continue;
		int out = safefs_create_at(tmp_fd, e->d_name, why, sizeof why);
		if (out < 0) {
			close(in);
			rc = err_set(out, err, errlen, "cannot copy %s/%s: %s", live, e->d_name, why);
			break;
		}
		rc = copy_state(in, out, e->d_name);
		close(in);
		if (close(out) != 0 && rc == 0)
			rc = -errno;
		if (rc)
			err_set(rc, err, errlen, "cannot copy %s/%s: %s", live, e->d_name, strerror(-rc));
	}
	closedir(d);
	return rc;
}

int rundir_keep_state(const char *run_dir, const char *live_dir, char *err, size_t errlen)
{
	char why[700];
	/* live_dir comes from run.meta: only ever one of our own live state
	 * directories (whose files this empties and removes) */
	const char *base = strrchr(live_dir, '/');
	if (!base || strncmp(base + 1, RUNDIR_LIVE_PREFIX, strlen(RUNDIR_LIVE_PREFIX)) ||
	    strstr(live_dir, "/../"))
		return err_set(-EPERM, err, errlen, "%s is not a live state directory of oomph's",
			       live_dir);
	int live_fd = safefs_open_dir(live_dir, why, sizeof why);
	if (live_fd < 0)
		return err_set(live_fd, err, errlen, "cannot use the live state %s: %s", live_dir, why);
	int run_fd = safefs_open_dir(run_dir, why, sizeof why);
	if (run_fd < 0) {
		close(live_fd);
		return err_set(run_fd, err, errlen, "%s", why);
	}
	/* Copy into a fresh hidden directory, then rename it to state/: the
	 * run directory has a complete state/ or none. */
	char tmp[NAME_MAX + 1];
	int tmp_fd = -1, rc = -EEXIST;
	for (int attempt = 0; attempt < 8 && tmp_fd < 0; attempt++) {
		if ((rc = safefs_temp_name(tmp, sizeof tmp, RUNMETA_STATE_DIR)) != 0)
			break;
		tmp_fd = safefs_mkdir_at(run_fd, tmp, why, sizeof why);
		rc = tmp_fd;
	}
	if (tmp_fd < 0) {
		close(live_fd);
		close(run_fd);
		return err_set(rc, err, errlen, "cannot create a directory in %s: %s", run_dir, why);
	}
	rc = copy_states(live_fd, tmp_fd, live_dir, err, errlen);
	if (!rc && renameat(run_fd, tmp, run_fd, RUNMETA_STATE_DIR) != 0)
		rc = err_set(-errno, err, errlen, "cannot move the state into %s/%s: %s", run_dir,
			     RUNMETA_STATE_DIR, strerror(errno));
	if (rc) {
		remove_files(tmp_fd);
		unlinkat(run_fd, tmp, AT_REMOVEDIR);
	}
	close(tmp_fd);
	close(run_fd);
	if (!rc) {
		/* the copies are in place: now the tmpfs files can go */
		remove_files(live_fd);
		rmdir(live_dir);
	}
	close(live_fd);
	return rc;
}

/* Whether the process of a state file may still write it: it has not
 * said it ended, and its pid is alive. */
static int maybe_running(int fd)
{
	struct oomph_state_header h;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		return 0;
	return atomic_load(&h.end_state) == OOMPH_END_RUNNING && h.pid > 0 &&
	       (kill(h.pid, 0) == 0 || errno == EPERM);
}

int rundir_compact_state(const char *state_dir, char *err, size_t errlen)
{
	char why[600];
	int dfd = safefs_open_dir(state_dir, why, sizeof why);
	if (dfd < 0)
		return err_set(dfd, err, errlen, "%s", why);
	DIR *d = dir_stream(dfd);
	if (!d) {
		close(dfd);
		return err_set(-errno, err, errlen, "cannot read %s: %s", state_dir, strerror(errno));
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		long pid;
		unsigned gen;
		if (e->d_name[0] == '.' || !oomph_state_name_parse(e->d_name, &pid, &gen))
			continue;
		int in = safefs_open_read_at(dfd, e->d_name, NULL, why, sizeof why);
		if (in < 0)
			continue;
		char tmp[NAME_MAX + 1];
		int out = -1;
		if (!maybe_running(in) && safefs_temp_name(tmp, sizeof tmp, e->d_name) == 0)
			out = safefs_create_at(dfd, tmp, why, sizeof why);
		int one = out < 0 ? 0 : state_compact(in, out, why, sizeof why);
		if (out >= 0 && close(out) != 0 && !one)
			one = -errno;
		if (out >= 0 && !one && renameat(dfd, tmp, dfd, e->d_name) != 0)
			one = -errno;
		if (out >= 0 && one)
			unlinkat(dfd, tmp, 0);
		close(in);
		/* a state the reader would refuse stays as it is, for it to say why */
		if (one && one != -EINVAL && !rc)
			rc = err_set(one, err, errlen, "cannot compact %s/%s: %s", state_dir, e->d_name,
				     strerror(-one));
	}
	closedir(d);
	close(dfd);
	return rc;
}

void rundir_abandon(struct rundir *rd)
{
	if (rd->live)
		remove_live(rd->state);
	else if (rd->state[0])
		rmdir(rd->state);
	if (rd->created)
		rmdir(rd->path);
}

/* ---------------------------------------------------------- sweeping --- */

/* Read the owner file of a live state directory. */
static int read_owner(int dfd, char *run_dir, size_t cap, int *pid, uint64_t *start)
{
	char buf[PATH_MAX * 3 + 256];
	int fd = safefs_open_read_at(dfd, RUNDIR_OWNER_FILE, NULL, NULL, 0);
	if (fd < 0)
		return fd;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = 0;
	*pid = 0;
	*start = 0;
	run_dir[0] = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "run_dir ", 8)) {
			snprintf(run_dir, cap, "%s", line + 8);
			if (runmeta_unescape(run_dir) != 0)
				return -EINVAL;
		} else if (!strncmp(line, "supervisor_pid ", 15)) {
			*pid = atoi(line + 15);
		} else if (!strncmp(line, "supervisor_start ", 17)) {
			*start = strtoull(line + 17, NULL, 10);
		}
	}
	return *pid > 0 && run_dir[0] == '/' ? 0 : -EINVAL;
}

int rundir_recover(const char *run_dir, struct runmeta *m, char *err, size_t errlen)
{
	int rc = 0;
	if (m->live_state[0]) {
		rc = rundir_keep_state(run_dir, m->live_state, err, errlen);
		if (rc == 0)
			m->live_state[0] = 0;
	}
	if (m->cgroup_dir[0])
		cgroup_remove(m->cgroup_dir);
	if (m->cgroup_psi_dir[0])
		cgroup_remove(m->cgroup_psi_dir);
	snprintf(m->status, sizeof m->status, "supervisor-died");
	snprintf(m->verdict, sizeof m->verdict, "oomph-died");
	runmeta_add_evidence(m,
			     "oomph (pid %d) was killed before the program ended, so no exit status was "
			     "recorded; the program was killed with it (SIGKILL)",
			     m->supervisor_pid);
	char why[600];
	int src = runmeta_save(run_dir, m, why, sizeof why);
	if (!rc && src)
		rc = err_set(src, err, errlen, "cannot update %s/%s: %s", run_dir, RUNMETA_FILE, why);
	return rc;
}

/* The oomph of this run is dead: bring its state home, or drop it. */
static void recover(const char *live, const char *run_dir)
{
	struct runmeta m;
	char why[600];
	int ok = runmeta_load(run_dir, &m, why, sizeof why) == 0;
	if (!(ok && !strcmp(m.status, "running") && !strcmp(m.live_state, live) &&
	      rundir_recover(run_dir, &m, why, sizeof why) == 0))
		remove_live(live);
	if (ok)
		runmeta_free(&m);
}

int rundir_sweep(int *swept, char *err, size_t errlen)
{
	char why[600];
	*swept = 0;
	const char *base = tmpfs_base(why, sizeof why);
	if (!base)
		return 0;
	DIR *d = opendir(base);
	if (!d)
		return err_set(-errno, err, errlen, "cannot read %s: %s", base, strerror(errno));
	struct dirent *e;
	size_t pl = strlen(RUNDIR_LIVE_PREFIX);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, RUNDIR_LIVE_PREFIX, pl))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue; /* not ours: not our business */
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		char run_dir[PATH_MAX], live[PATH_MAX];
		int pid;
		uint64_t start;
		int rc = read_owner(fd, run_dir, sizeof run_dir, &pid, &start);
		close(fd);
		/* no owner file yet: a run being set up right now (or a crash in
		 * its first instant: left alone, it is tiny) */
		if (rc || rundir_supervisor_alive(pid, start))
			continue;
		snprintf(live, sizeof live, "%s/%s", base, e->d_name);
		recover(live, run_dir);
		(*swept)++;
	}
	closedir(d);
	return 0;
}
