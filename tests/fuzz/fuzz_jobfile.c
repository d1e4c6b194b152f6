/* tests/fuzz/fuzz_jobfile.c — the run's job file (profile/jobfile.h,
 * state/format.h "the job"): whatever the bytes, a clear refusal or
 * figures within their bounds, the peak never below the total. */
#include "common/bounds.h"
#include "fuzz.h"
#include "profile/jobfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jobfile j;
	char err[512];
	err[0] = 0;
	int rc = jobfile_parse(data, size, &j, err, sizeof err);
	if (rc != 0) {
		if (rc > 0 || !err[0])
			abort();
		return 0;
	}
	if (j.peak_bytes < j.cur_bytes || j.peak_bytes < 0 || j.peak_bytes > OOMPH_LIMIT_MAX ||
	    j.peak_time_s < 0 || j.peak_time_s > OOMPH_TIME_MAX_S || j.peak_pid < 0)
		abort();
	return 0;
}
