/* supervisor/statedir.c — state files on tmpfs during the run (statedir.h). */
#include "supervisor/statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "profile/runmeta.h"
#include "state/format.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int statedir_use_tmpfs(const char *run_dir, char *why, size_t whylen)
{
	const char *base = getenv(OOMPH_ENV_TMPFS);
	if (base && !strcmp(base, "off")) {
		err_set(0, why, whylen, "%s=off", OOMPH_ENV_TMPFS);
		return 0;
	}
	if (!base || !*base)
		base = "/dev/shm";
	struct statfs fs;
	struct statvfs vfs;
	if (statfs(base, &fs) != 0 || (unsigned long)fs.f_type != TMPFS_MAGIC) {
		err_set(0, why, whylen, "%s is not a tmpfs", base);
		return 0;
	}
	if (statvfs(base, &vfs) != 0 ||
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < STATEDIR_MIN_FREE) {
		err_set(0, why, whylen, "%s has less than %llu MiB free", base,
			STATEDIR_MIN_FREE >> 20);
		return 0;
	}
	char tmp[PATH_MAX], link[PATH_MAX + 16];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/oomph-state-XXXXXX", base) >= sizeof tmp ||
	    !mkdtemp(tmp)) {
		err_set(0, why, whylen, "cannot create a directory in %s", base);
		return 0;
	}
	snprintf(link, sizeof link, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	if (rmdir(link) != 0 || symlink(tmp, link) != 0) {
		int e = errno;
		mkdir(link, 0777);
		rmdir(tmp);
		err_set(0, why, whylen, "cannot link %s: %s", link, strerror(e));
		return 0;
	}
	return 1;
}

/* Copy src to dst keeping holes (SEEK_DATA/SEEK_HOLE). */
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

int statedir_materialize(const char *run_dir, char *err, size_t errlen)
{
	char link[PATH_MAX + 16], real[PATH_MAX], tmp[PATH_MAX + 32];
	snprintf(link, sizeof link, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	struct stat st;
	if (lstat(link, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0; /* on disk already */
	ssize_t n = readlink(link, real, sizeof real - 1);
	if (n <= 0)
		return err_set(-errno, err, errlen, "cannot read the link %s: %s", link, strerror(errno));
	real[n] = 0;
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", run_dir, RUNMETA_STATE_DIR);
	if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
		return err_set(-errno, err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	DIR *d = opendir(real);
	if (!d)
		return err_set(-errno, err, errlen, "cannot read %s: %s", real, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		int in = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		char dst[PATH_MAX + 300];
		snprintf(dst, sizeof dst, "%s/%s", tmp, e->d_name);
		int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (in < 0 || out < 0)
			rc = -errno;
		else
			rc = copy_sparse(in, out);
		if (in >= 0)
			close(in);
		if (out >= 0 && close(out) != 0 && rc == 0)
			rc = -errno;
		if (rc)
			err_set(rc, err, errlen, "cannot copy %s/%s to %s: %s", real, e->d_name, dst,
				strerror(-rc));
	}
	closedir(d);
	if (rc)
		return rc;
	if (unlink(link) != 0 || rename(tmp, link) != 0)
		return err_set(-errno, err, errlen, "cannot move %s to %s: %s", tmp, link,
			       strerror(errno));
	/* the copies are in place: now the tmpfs files can go */
	d = opendir(real);
	if (d) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(real);
	return 0;
}

void statedir_discard(const char *run_dir)
{
	char link[PATH_MAX + 16], real[PATH_MAX];
	snprintf(link, sizeof link, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	ssize_t n = readlink(link, real, sizeof real - 1);
	if (n <= 0)
		return;
	real[n] = 0;
	unlink(link);
	rmdir(real);
	mkdir(link, 0777);
}
