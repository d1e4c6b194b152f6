/* tests/fuzz/fuzz.h — what the fuzz targets share (docs/testing.md).
 *
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput() for one
 * reader of outside input.  `make fuzz` links it with clang's libFuzzer
 * (-fsanitize=fuzzer,address,undefined); `make test` links it with
 * replay.c (gcc, ASan+UBSan) and feeds it each seed of
 * tests/fuzz/corpus/NAME/ once.  A target never prints, never leaks, and
 * writes only below its own scratch directory.
 */
#ifndef OOMPH_FUZZ_H
#define OOMPH_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir_path[64];

static inline int fuzz_remove_one(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* The scratch directory goes at exit: on /dev/shm it is memory, and every
 * replay of `make test` made five that stayed. */
static inline void fuzz_dir_remove(void)
{
	nftw(fuzz_dir_path, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch directory of this process, made on first use (tmpfs when
 * there is one: every run rewrites its files), removed at exit. */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/oomph-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(fuzz_dir_path))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* Write data to DIR/name (made with its parents), whole; aborts on error. */
static inline void fuzz_write(const char *name, const void *data, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
	for (char *s = path + strlen(fuzz_dir()) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = 0;
		mkdir(path, 0700);
		*s = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			abort();
		p += w;
		n -= (size_t)w;
	}
	close(fd);
}

/* A NUL-terminated copy of the input (free() it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#endif
