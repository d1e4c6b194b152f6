/* tests/fuzz/fuzz_reader.c — the state-file reader alone, many times faster
 * than fuzz_state (which renders every profile it loads): profile_load()
 * and the pictures of the history API (profile_picture_at, profile_grown)
 * of what it loads.  Same input and seeds as fuzz_state (corpus/state/),
 * the same file_size rule (header.pad0 == 0: the input's length).
 *
 * Checked: every picture is non-negative and adds up to its moment's
 * bytes exactly; the peak's is the reader's peak_self. */
#include <stddef.h>

#include "fuzz.h"
#include "profile/profile.h"
#include "state/format.h"

static void check_sums(const int64_t *self, uint32_t n, int64_t total)
{
	int64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		if (self[i] < 0 || __builtin_add_overflow(sum, self[i], &sum))
			abort();
	if (sum != total)
		abort();
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
	fuzz_write("2.oomph", copy, size);
	free(copy);
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/2.oomph", fuzz_dir());
	struct profile p;
	if (profile_load(path, &p, err, sizeof err) != 0) {
		if (!err[0])
			abort(); /* every refusal says why */
		return 0;
	}
	check_sums(p.peak_self, p.nnodes, p.peak_bytes);
	check_sums(p.live_self, p.nnodes, p.end_bytes);
	if (p.moment_self)
		check_sums(p.moment_self, p.nnodes, p.moment_bytes);
	int64_t *a = malloc(((size_t)p.nnodes + 1) * sizeof(*a));
	if (!a)
		abort();
	for (uint32_t k = 0; k < p.nmoments; k++) {
		if (profile_picture_at(&p, k, a) != 0)
			abort();
		check_sums(a, p.nnodes, p.moments[k].bytes > 0 ? p.moments[k].bytes : 0);
	}
	if (p.nmoments >= 2 && profile_grown(&p, 0, p.nmoments - 1, a) != 0)
		abort();
	free(a);
	profile_free(&p);
	return 0;
}
