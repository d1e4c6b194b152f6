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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A scratch directory of this process, made on first use (tmpfs when
 * there is one: every run rewrites its files). */
static inline const char *fuzz_dir(void)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/oomph-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
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
