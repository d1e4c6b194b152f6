/* tests/fuzz/fuzz_runmeta.c — run.meta (runmeta_load): the input is the
 * file.  A load that succeeds is saved and loaded again, and must read
 * back the same. */
#include "fuzz.h"
#include "profile/runmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write("run.meta", data, size);
	struct runmeta m;
	char err[512];
	if (runmeta_load(fuzz_dir(), &m, err, sizeof err) != 0)
		return 0;
	char again[600];
	snprintf(again, sizeof again, "%s/again", fuzz_dir());
	mkdir(again, 0700);
	struct runmeta r;
	if (runmeta_save(again, &m, err, sizeof err) != 0 ||
	    runmeta_load(again, &r, err, sizeof err) != 0)
		abort();
	if (r.argc != m.argc || r.nevidence != m.nevidence || r.peak_rss_bytes != m.peak_rss_bytes ||
	    r.limit_bytes != m.limit_bytes || r.sample_rate != m.sample_rate ||
	    strcmp(r.cwd, m.cwd) || strcmp(r.verdict, m.verdict))
		abort();
	for (int i = 0; i < m.argc; i++)
		if (strcmp(r.argv[i], m.argv[i]))
			abort();
	runmeta_free(&r);
	runmeta_free(&m);
	return 0;
}
