/* supervisor/probecache.c — see probecache.h. */
#include "supervisor/probecache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/readfile.h"
#include "common/safefs.h"
#include "state/format.h"

int probecache_enabled(void)
{
	const char *v = getenv(OOMPH_ENV_PROBE_CACHE);
	return !(v && strcmp(v, "off") == 0);
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void probecache_name(const char *key, char *name, size_t cap)
{
	snprintf(name, cap, "probe-%016llx", (unsigned long long)fnv1a(key, strlen(key)));
}

/* "DEV INO SIZE MTIME CTIME" of a file, or "-" when there is none. */
static void file_id(const char *path, char *out, size_t cap)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(out, cap, "-");
		return;
	}
	snprintf(out, cap, "%llu %llu %lld %lld.%09ld %lld.%09ld", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

static int is_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	struct stat st;
	unsigned char m[4] = {0};
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, m, 4) == 4 &&
		 memcmp(m, "\177ELF", 4) == 0;
	close(fd);
	return ok;
}

int probecache_key(const char *path, const char *code, char *key, size_t cap)
{
	const char *home = getenv("HOME");
	if (!home)
		home = "";
	if (strchr(path, '\n') || strchr(home, '\n') || !is_elf(path))
		return -ENOTSUP;
	char dir[PATH_MAX], venv1[PATH_MAX + 16], venv2[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	snprintf(venv1, sizeof venv1, "%s/pyvenv.cfg", dir);
	snprintf(venv2, sizeof venv2, "%s/../pyvenv.cfg", dir);
	char id[160], v1[160], v2[160];
	file_id(path, id, sizeof id);
	file_id(venv1, v1, sizeof v1);
	file_id(venv2, v2, sizeof v2);
	int n = snprintf(key, cap,
			 "oomph probe cache 1\ncode %016llx\npath %s\nfile %s\nvenv %s\nvenv.. %s\nhome %s\nuid %u\n",
			 (unsigned long long)fnv1a(code, strlen(code)), path, id, v1, v2, home,
			 (unsigned)geteuid());
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* dirfd/name as a directory of ours, made 0700 when absent. */
static int own_dir_at(int dirfd, const char *name)
{
	int made = mkdirat(dirfd, name, 0700) == 0;
	if (!made && errno != EEXIST)
		return -errno;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((made && fchmod(fd, 0700) != 0) || safefs_check_dir(fd, name, NULL, 0) != 0) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* An absolute path as a directory of ours: its last component made if
 * absent (its parent must exist), then checked with its ancestors. */
static int own_dir(const char *path)
{
	if (path[0] != '/')
		return -EINVAL;
	char parent[PATH_MAX];
	if (snprintf(parent, sizeof parent, "%s", path) >= (int)sizeof parent)
		return -ENAMETOOLONG;
	size_t n = strlen(parent);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = 0;
	char *slash = strrchr(parent, '/');
	const char *name = slash + 1;
	if (!*name)
		return safefs_open_dir("/", NULL, 0);
	if (slash == parent)
		parent[1] = 0;
	else
		*slash = 0;
	char last[NAME_MAX + 1];
	if (snprintf(last, sizeof last, "%s", name) >= (int)sizeof last)
		return -ENAMETOOLONG;
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	int fd = own_dir_at(pfd, last);
	close(pfd);
	if (fd < 0)
		return fd;
	close(fd);
	return safefs_open_dir(path, NULL, 0); /* the checks of every ancestor */
}

int probecache_open_dir(const char *dir)
{
	char base[PATH_MAX];
	if (dir) {
		if (snprintf(base, sizeof base, "%s", dir) >= (int)sizeof base)
			return -ENAMETOOLONG;
		return own_dir(base);
	}
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/') {
		if (snprintf(base, sizeof base, "%s", xdg) >= (int)sizeof base)
			return -ENAMETOOLONG;
	} else if (home && home[0] == '/') {
		if (snprintf(base, sizeof base, "%s/.cache", home) >= (int)sizeof base)
			return -ENAMETOOLONG;
	} else {
		return -ENOENT;
	}
	int bfd = own_dir(base);
	if (bfd < 0)
		return bfd;
	int fd = own_dir_at(bfd, "oomph");
	close(bfd);
	return fd;
}

int probecache_lookup(int dirfd, const char *key, char *answer, size_t cap)
{
	char name[32];
	probecache_name(key, name, sizeof name);
	off_t size = 0;
	int fd = safefs_open_read_at(dirfd, name, &size, NULL, 0);
	if (fd < 0)
		return fd == -ENOENT ? -ENOENT : -EINVAL;
	struct stat st;
	size_t klen = strlen(key);
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return -EPERM;
	}
	if (size < 0 || (uint64_t)size > klen + PROBECACHE_ANSWER_MAX || cap <= PROBECACHE_ANSWER_MAX) {
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc((size_t)size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = read_fd_all(fd, buf, (size_t)size);
	close(fd);
	size_t got = n > 0 ? (size_t)n : 0;
	buf[got] = 0;
	int rc = -EINVAL;
	if (got == (size_t)size && got >= klen && memcmp(buf, key, klen) == 0 &&
	    memchr(buf, 0, got) == NULL && got - klen < cap) {
		memcpy(answer, buf + klen, got - klen + 1);
		rc = 0;
	}
	free(buf);
	return rc;
}

int probecache_store(int dirfd, const char *key, const char *answer)
{
	char name[32];
	probecache_name(key, name, sizeof name);
	size_t klen = strlen(key), alen = strlen(answer);
	if (alen > PROBECACHE_ANSWER_MAX)
		return -E2BIG;
	char *buf = malloc(klen + alen);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, key, klen);
	memcpy(buf + klen, answer, alen);
	int rc = safefs_write_at(dirfd, name, buf, klen + alen, NULL, 0);
	free(buf);
	return rc;
}
