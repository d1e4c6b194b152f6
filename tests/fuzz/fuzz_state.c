/* tests/fuzz/fuzz_state.c — the state-file reader (profile_load) and every
 * writer of the report fed from what it loads.
 *
 * The input is a whole state file.  Real ones are sized for 2 million
 * stacks (sparse, over 100 MiB); the seeds are compact ones (corpus/state/,
 * made by mkseed_state.c from real runs) whose header gives small table
 * capacities, which the reader accepts the same.  So that mutations reach
 * the tables rather than the size check, header.file_size is set to the
 * input's length unless header.pad0 is non-zero (then the input's own
 * file_size stands, and the size checks are fuzzed).
 *
 * What a load promises is checked, not only that it does not crash: the
 * stacks are non-negative and add up to peak_bytes, end_bytes and
 * moment_bytes exactly.
 */
#include <stddef.h>

#include "fuzz.h"
#include "profile/profile.h"
#include "report/buf.h"
#include "report/derive.h"
#include "report/export.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/view.h"
#include "state/format.h"

static void check_sums(const int64_t *self, uint32_t n, int64_t total)
{
	int64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (self[i] < 0 || __builtin_add_overflow(sum, self[i], &sum))
			abort();
	}
	if (sum != total)
		abort();
}

static void render(struct view *v)
{
	struct buf b;
	buf_init(&b);
	folded_write(&b, v);
	buf_reset(&b);
	flame_svg(&b, v, "fuzz");
	buf_reset(&b);
	export_speedscope(&b, v, "fuzz");
	buf_reset(&b);
	export_pprof(&b, v);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	struct oomph_state_header h;
	if (size >= sizeof h) {
		memcpy(&h, copy, sizeof h);
		if (h.pad0 == 0) {
			uint64_t fs = size;
			memcpy(copy + offsetof(struct oomph_state_header, file_size), &fs, sizeof fs);
		}
	}
	fuzz_write("1.oomph", copy, size);
	free(copy);

	char path[512], err[512];
	snprintf(path, sizeof path, "%s/1.oomph", fuzz_dir());
	struct profile p;
	if (profile_load(path, &p, err, sizeof err) != 0)
		return 0;
	check_sums(p.peak_self, p.nnodes, p.peak_bytes);
	check_sums(p.live_self, p.nnodes, p.end_bytes);
	if (p.moment_self)
		check_sums(p.moment_self, p.nnodes, p.moment_bytes);
	if (p.peak_bytes < p.end_bytes)
		abort();

	struct view v;
	if (view_build(&v, &p, "/nonexistent-cwd", NULL) == 0) {
		if (v.total != p.peak_bytes)
			abort();
		render(&v);
		struct profile d;
		if (derive_profile(&p, v.self, DERIVE_FOLD_IMPORTS, 1, NULL, &d) == 0) {
			struct view dv;
			if (view_build(&dv, &d, "/", NULL) == 0) {
				render(&dv);
				view_free(&dv);
			}
			profile_free(&d);
		}
		struct view *views[2] = {&v, &v};
		const char *labels[2] = {"pid 1", "pid 2"};
		if (derive_combined(views, labels, 2, NULL, &d) == 0) {
			if (d.peak_bytes != 2 * p.peak_bytes)
				abort();
			profile_free(&d);
		}
		view_free(&v);
	}
	profile_free(&p);
	return 0;
}
