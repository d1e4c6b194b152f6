/* common/safefs.c — see safefs.h. */
#include "common/safefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"

int safefs_check_dir(int dirfd, const char *shown, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(dirfd, &st) != 0)
		return err_set(-errno, err, errlen, "cannot check %s: %s", shown, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(-ENOTDIR, err, errlen, "%s is not a directory", shown);
	if (st.st_uid != geteuid())
		return err_set(-EPERM, err, errlen,
			       "%s belongs to another user (uid %u): oomph writes only in directories of its own",
			       shown, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(-EPERM, err, errlen,
			       "%s can be written by other users (mode %04o): oomph refuses it",
			       shown, (unsigned)(st.st_mode & 07777));
	return 0;
}

int safefs_check_ancestors(const char *abs, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n = strlen(abs);
	if (abs[0] != '/' || n >= sizeof path)
		return err_set(-EINVAL, err, errlen, "not an absolute path: %s", abs);
	memcpy(path, abs, n + 1);
	/* From the parent up to "/": cut the last component each time. */
	for (;;) {
		char *slash = strrchr(path, '/');
		if (!slash)
			break;
		if (slash == path)
			slash[1] = 0; /* "/" itself */
		else
			*slash = 0;
		struct stat st;
		if (lstat(path, &st) != 0)
			return err_set(-errno, err, errlen, "cannot check %s: %s", path, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return err_set(-ENOTDIR, err, errlen, "%s is not a directory", path);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
			return err_set(-EPERM, err, errlen,
				       "%s can be written by other users (mode %04o) and is not sticky: "
				       "someone could replace what oomph writes below it",
				       path, (unsigned)(st.st_mode & 07777));
		if (path[1] == 0)
			break;
	}
	return 0;
}

/* The kernel's own name of an open directory (no link in it). */
static int fd_path(int fd, char *out, size_t cap)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, out, cap - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	out[n] = 0;
	return 0;
}

static int open_dir_nofollow(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int e = errno;
	struct stat st;
	if ((e == ELOOP || e == ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return err_set(-ELOOP, err, errlen,
			       "%s is a symbolic link: oomph does not follow links to its directories",
			       path);
	return err_set(-e, err, errlen, "cannot open directory %s: %s", path, strerror(e));
}

int safefs_open_dir(const char *path, char *err, size_t errlen)
{
	int fd = open_dir_nofollow(path, err, errlen);
	if (fd < 0)
		return fd;
	char real[PATH_MAX];
	int rc = safefs_check_dir(fd, path, err, errlen);
	if (!rc && (rc = fd_path(fd, real, sizeof real)) != 0)
		err_set(rc, err, errlen, "cannot tell where %s is: %s", path, strerror(-rc));
	if (!rc)
		rc = safefs_check_ancestors(real, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int safefs_open_dir_readonly(const char *path, int *foreign, char *err, size_t errlen)
{
	int fd = open_dir_nofollow(path, err, errlen);
	if (fd < 0)
		return fd;
	char real[PATH_MAX];
	*foreign = safefs_check_dir(fd, path, NULL, 0) != 0 || fd_path(fd, real, sizeof real) != 0 ||
		   safefs_check_ancestors(real, NULL, 0) != 0;
	return fd;
}

mode_t safefs_file_mode(int dirfd)
{
	struct stat st;
	mode_t m = 0600;
	if (fstat(dirfd, &st) == 0)
		m |= st.st_mode & (S_IRGRP | S_IROTH);
	return m;
}

mode_t safefs_dir_mode(int dirfd)
{
	struct stat st;
	mode_t m = 0700;
	if (fstat(dirfd, &st) == 0)
		m |= st.st_mode & (S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH);
	return m;
}

int safefs_mkdir_at(int dirfd, const char *name, char *err, size_t errlen)
{
	mode_t mode = safefs_dir_mode(dirfd);
	int made = mkdirat(dirfd, name, mode) == 0;
	if (!made && errno != EEXIST)
		return err_set(-errno, err, errlen, "cannot create directory %s: %s", name,
			       strerror(errno));
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, err, errlen, "cannot open directory %s: %s", name,
			       strerror(errno));
	/* mkdir's mode went through the umask: set it exactly */
	if (made && fchmod(fd, mode) != 0) {
		int e = errno;
		close(fd);
		return err_set(-e, err, errlen, "cannot set the mode of %s: %s", name, strerror(e));
	}
	int rc = safefs_check_dir(fd, name, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* fd is open non-blocking on something: accept only a regular file, and
 * make it blocking again. */
static int regular_only(int fd, const char *shown, off_t *size, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return err_set(-errno, err, errlen, "cannot read %s: %s", shown, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(-EINVAL, err, errlen, "%s is not a regular file", shown);
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (size)
		*size = st.st_size;
	return 0;
}

static int open_read_common(int dirfd, const char *name, const char *shown, off_t *size,
			    char *err, size_t errlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return err_set(-e, err, errlen, "%s is a symbolic link: not followed", shown);
		return err_set(-e, err, errlen, "cannot open %s: %s", shown, strerror(e));
	}
	int rc = regular_only(fd, shown, size, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int safefs_open_read_at(int dirfd, const char *name, off_t *size, char *err, size_t errlen)
{
	return open_read_common(dirfd, name, name, size, err, errlen);
}

int safefs_open_read(const char *path, off_t *size, char *err, size_t errlen)
{
	return open_read_common(AT_FDCWD, path, path, size, err, errlen);
}

int safefs_temp_name(char *out, size_t cap, const char *name)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[12];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* no entropy source: still unpredictable enough to others, and
		 * O_EXCL makes a collision an error, never a write through */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20);
		for (size_t i = 0; i < sizeof r; i++, x = x * 6364136223846793005ul + 1)
			r[i] = (unsigned char)(x >> 33);
	}
	char tail[sizeof r + 1];
	for (size_t i = 0; i < sizeof r; i++)
		tail[i] = abc[r[i] % (sizeof abc - 1)];
	tail[sizeof r] = 0;
	int n = snprintf(out, cap, ".%s.%s", name, tail);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int safefs_create_at(int dirfd, const char *name, char *err, size_t errlen)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			safefs_file_mode(dirfd));
	if (fd < 0)
		return err_set(-errno, err, errlen, "cannot create %s: %s", name, strerror(errno));
	/* the umask may have taken bits the directory's rule gives */
	fchmod(fd, safefs_file_mode(dirfd));
	return fd;
}

int safefs_write_at(int dirfd, const char *name, const void *data, size_t len, char *err,
		    size_t errlen)
{
	char tmp[NAME_MAX + 1];
	int fd = -1, rc;
	for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
		if ((rc = safefs_temp_name(tmp, sizeof tmp, name)) != 0)
			return err_set(rc, err, errlen, "cannot write %s: name too long", name);
		fd = safefs_create_at(dirfd, tmp, err, errlen);
		if (fd < 0 && fd != -EEXIST)
			return fd;
	}
	if (fd < 0)
		return err_set(-EEXIST, err, errlen, "cannot write %s: no free temporary name", name);
	const char *p = data;
	size_t off = 0;
	rc = 0;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -(w < 0 ? errno : EIO);
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = -errno;
	if (rc) {
		unlinkat(dirfd, tmp, 0);
		return err_set(rc, err, errlen, "cannot write %s: %s", name, strerror(-rc));
	}
	return 0;
}

/* Split path into its directory (or ".") and last component. */
static int split(const char *path, char *dir, size_t dcap, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(dir, dcap, ".");
		*name = path;
		return 0;
	}
	size_t n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/x" */
	if (n >= dcap)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = 0;
	*name = slash + 1;
	return **name ? 0 : -EINVAL;
}

int safefs_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *name;
	int rc = split(path, dir, sizeof dir, &name);
	if (rc)
		return err_set(rc, err, errlen, "cannot write %s: bad path", path);
	int dfd = safefs_open_dir(dir, err, errlen);
	if (dfd < 0)
		return dfd;
	rc = safefs_write_at(dfd, name, data, len, err, errlen);
	close(dfd);
	return rc;
}

int safefs_mkdir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *name;
	int rc = split(path, dir, sizeof dir, &name);
	if (rc)
		return err_set(rc, err, errlen, "cannot create %s: bad path", path);
	int dfd = safefs_open_dir(dir, err, errlen);
	if (dfd < 0)
		return dfd;
	int fd = safefs_mkdir_at(dfd, name, err, errlen);
	close(dfd);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
