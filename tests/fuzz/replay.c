/* tests/fuzz/replay.c — run a fuzz target on files, each once, without
 * libFuzzer: `make test` replays the seed corpus with gcc's ASan+UBSan
 * build.  Usage: replay_NAME FILE... ; exits non-zero on the first file
 * it cannot read (a sanitizer report aborts it on its own).  Prints the
 * closing line "N passed, 0 failed". */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t cap = 1 << 16, len = 0;
		unsigned char *buf = malloc(cap);
		size_t got;
		while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
			len += got;
			if (len == cap) {
				unsigned char *q = realloc(buf, cap *= 2);
				if (!q)
					free(buf);
				buf = q;
			}
		}
		fclose(f);
		if (!buf) {
			fprintf(stderr, "%s: out of memory\n", argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	printf("%d passed, 0 failed\n", n);
	return 0;
}
