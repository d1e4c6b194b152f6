/* Unit tests of supervisor/probecache.c: the interpreter probe's answer
 * kept per interpreter — hit, miss when the interpreter changed, corrupt,
 * foreign or linked entries ignored, and pyprobe_probe() using it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "state/format.h"
#include "supervisor/probecache.h"
#include "supervisor/pyprobe.h"

static char tmpdir[] = "/tmp/oomph-test-probecache-XXXXXX";

static void write_file(const char *path, const char *body, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, body, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
	chmod(path, mode);
}

static void entry_path(const char *dir, const char *key, char *out, size_t cap)
{
	char name[32];
	probecache_name(key, name, sizeof name);
	snprintf(out, cap, "%s/%s", dir, name);
}

static void test_key_names_the_interpreter(void)
{
	char elf[600], script[600], k1[PROBECACHE_KEY_MAX], k2[PROBECACHE_KEY_MAX];
	snprintf(elf, sizeof elf, "%s/python", tmpdir);
	snprintf(script, sizeof script, "%s/shim", tmpdir);
	write_file(elf, "\177ELF\2\1\1\0 not really", 18, 0755);
	write_file(script, "#!/bin/sh\nexec python3 \"$@\"\n", 28, 0755);
	CHECK_EQ_INT(probecache_key(elf, "code", k1, sizeof k1), 0);
	CHECK(strstr(k1, elf) != NULL);
	/* a script in Python's place may answer differently every time */
	CHECK_EQ_INT(probecache_key(script, "code", k2, sizeof k2), -ENOTSUP);
	/* another probe code, another key */
	CHECK_EQ_INT(probecache_key(elf, "code 2", k2, sizeof k2), 0);
	CHECK(strcmp(k1, k2) != 0);
	/* a pyvenv.cfg beside it changes the answer (sys.prefix): and the key */
	char cfg[640];
	snprintf(cfg, sizeof cfg, "%s/pyvenv.cfg", tmpdir);
	write_file(cfg, "home = /usr/bin\n", 16, 0644);
	CHECK_EQ_INT(probecache_key(elf, "code", k2, sizeof k2), 0);
	CHECK(strcmp(k1, k2) != 0);
	unlink(cfg);
	CHECK_EQ_INT(probecache_key(elf, "code", k2, sizeof k2), 0);
	CHECK_STR_EQ(k1, k2);
}

static void test_hit_miss_and_bad_entries(void)
{
	char elf[600], cdir[600], key[PROBECACHE_KEY_MAX], key2[PROBECACHE_KEY_MAX];
	char answer[PROBECACHE_ANSWER_MAX + 1], entry[700];
	snprintf(elf, sizeof elf, "%s/python", tmpdir);
	snprintf(cdir, sizeof cdir, "%s/cache", tmpdir);
	int dfd = probecache_open_dir(cdir);
	CHECK(dfd >= 0);
	struct stat st;
	CHECK_EQ_INT(stat(cdir, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0700);
	CHECK_EQ_INT(probecache_key(elf, "code", key, sizeof key), 0);
	/* miss, then a hit with the very answer stored */
	CHECK_EQ_INT(probecache_lookup(dfd, key, answer, sizeof answer), -ENOENT);
	const char *ans = "cpython 3 11 2 abi=\ndir prefix /usr\n";
	CHECK_EQ_INT(probecache_store(dfd, key, ans), 0);
	CHECK_EQ_INT(probecache_lookup(dfd, key, answer, sizeof answer), 0);
	CHECK_STR_EQ(answer, ans);
	entry_path(cdir, key, entry, sizeof entry);
	CHECK_EQ_INT(lstat(entry, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);

	/* the interpreter's mtime changed: another key, a miss */
	struct timespec ts[2] = {{1000000000, 5}, {1000000000, 5}};
	CHECK_EQ_INT(utimensat(AT_FDCWD, elf, ts, 0), 0);
	CHECK_EQ_INT(probecache_key(elf, "code", key2, sizeof key2), 0);
	CHECK(strcmp(key, key2) != 0);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -ENOENT);
	CHECK_EQ_INT(probecache_store(dfd, key2, ans), 0);

	/* an entry of another key under our name (a hash collision, or
	 * planted), a truncated one, one with a NUL: corrupt */
	entry_path(cdir, key2, entry, sizeof entry);
	write_file(entry, "oomph probe cache 1\ncode x\n", 27, 0600);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EINVAL);
	write_file(entry, key2, strlen(key2) / 2, 0600);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EINVAL);
	char withnul[PROBECACHE_KEY_MAX + 8];
	size_t kl = strlen(key2);
	memcpy(withnul, key2, kl);
	memcpy(withnul + kl, "cp\0y", 4);
	write_file(entry, withnul, kl + 4, 0600);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EINVAL);
	/* writable by others: not trusted */
	CHECK_EQ_INT(probecache_store(dfd, key2, ans), 0);
	CHECK_EQ_INT(chmod(entry, 0622), 0);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EPERM);
	/* a link in the entry's place is not followed */
	char target[700];
	snprintf(target, sizeof target, "%s/elsewhere", tmpdir);
	size_t al = strlen(ans);
	memcpy(withnul + kl, ans, al);
	write_file(target, withnul, kl + al, 0600);
	unlink(entry);
	CHECK_EQ_INT(symlink(target, entry), 0);
	CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EINVAL);
	unlink(entry);
	/* another user's entry (we can only plant one as root) */
	if (geteuid() == 0) {
		CHECK_EQ_INT(probecache_store(dfd, key2, ans), 0);
		CHECK_EQ_INT(chown(entry, 12345, 12345), 0);
		CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), -EPERM);
		/* ... and the store replaces it with our own */
		CHECK_EQ_INT(probecache_store(dfd, key2, ans), 0);
		CHECK_EQ_INT(probecache_lookup(dfd, key2, answer, sizeof answer), 0);
	}
	close(dfd);

	/* a cache directory others may write is refused */
	char open_dir[640];
	snprintf(open_dir, sizeof open_dir, "%s/open", tmpdir);
	CHECK_EQ_INT(mkdir(open_dir, 0700), 0);
	CHECK_EQ_INT(chmod(open_dir, 0777), 0);
	CHECK(probecache_open_dir(open_dir) < 0);
	/* ... and so is a link to one of ours */
	char link[640];
	snprintf(link, sizeof link, "%s/link", tmpdir);
	CHECK_EQ_INT(symlink(cdir, link), 0);
	CHECK(probecache_open_dir(link) < 0);
}

/* pyprobe_probe() with the cache: the second run answers from it (a planted
 * answer shows it was used), a corrupt or foreign entry is probed again,
 * OOMPH_PROBE_CACHE=off ignores it. */
static void test_probe_uses_the_cache(void)
{
	const char *py = "/usr/bin/python3";
	if (access(py, X_OK) != 0) {
		fprintf(stderr, "no %s: probe cache test skipped\n", py);
		return;
	}
	char xdg[600], cdir[640], err[1024], key[PROBECACHE_KEY_MAX], entry[800];
	snprintf(xdg, sizeof xdg, "%s/xdg", tmpdir);
	snprintf(cdir, sizeof cdir, "%s/oomph", xdg);
	CHECK_EQ_INT(mkdir(xdg, 0700), 0);
	setenv("XDG_CACHE_HOME", xdg, 1);
	unsetenv(OOMPH_ENV_PROBE_CACHE);
	struct pyprobe_info real, info;
	CHECK_EQ_INT(pyprobe_probe(py, &real, err, sizeof err), 0);
	CHECK_STR_EQ(real.implementation, "cpython");
	CHECK_EQ_INT(probecache_key(py, PYPROBE_CODE, key, sizeof key), 0);
	entry_path(cdir, key, entry, sizeof entry);
	struct stat st;
	CHECK_EQ_INT(lstat(entry, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(pyprobe_probe(py, &info, err, sizeof err), 0);
	CHECK_STR_EQ(info.version, real.version);
	CHECK_EQ_INT(info.ndirs, real.ndirs);

	/* plant an answer: the next probe is the cache's */
	char body[PROBECACHE_KEY_MAX + 64];
	int n = snprintf(body, sizeof body, "%scpython 3 99 1 abi=\n", key);
	write_file(entry, body, (size_t)n, 0600);
	CHECK_EQ_INT(pyprobe_probe(py, &info, err, sizeof err), 0);
	CHECK_STR_EQ(info.version, "3.99.1");
	setenv(OOMPH_ENV_PROBE_CACHE, "off", 1);
	CHECK_EQ_INT(probecache_enabled(), 0);
	CHECK_EQ_INT(pyprobe_probe(py, &info, err, sizeof err), 0);
	CHECK_STR_EQ(info.version, real.version);
	unsetenv(OOMPH_ENV_PROBE_CACHE);

	/* an answer that does not parse: probed again, and replaced */
	n = snprintf(body, sizeof body, "%scpython three\n", key);
	write_file(entry, body, (size_t)n, 0600);
	CHECK_EQ_INT(pyprobe_probe(py, &info, err, sizeof err), 0);
	CHECK_STR_EQ(info.version, real.version);
	n = snprintf(body, sizeof body, "%scpython 3 99 1 abi=\n", key);
	if (geteuid() == 0) {
		/* a planted answer of another user's is not believed */
		write_file(entry, body, (size_t)n, 0600);
		CHECK_EQ_INT(chown(entry, 12345, 12345), 0);
		CHECK_EQ_INT(pyprobe_probe(py, &info, err, sizeof err), 0);
		CHECK_STR_EQ(info.version, real.version);
		CHECK_EQ_INT(lstat(entry, &st), 0);
		CHECK_EQ_INT(st.st_uid, geteuid());
	}
	unsetenv("XDG_CACHE_HOME");
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_key_names_the_interpreter();
	test_hit_miss_and_bad_entries();
	test_probe_uses_the_cache();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}
