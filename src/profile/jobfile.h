/* profile/jobfile.h — the run's job file (state/format.h, "the job"), as
 * read after (or while) the run: the job's exact tracked total and peak.
 *
 * Contract
 *   - jobfile_load() reads OOMPH_JOB_FILE from a state directory, checks
 *     magic, version, header size, file size (truncation) and bounds every
 *     figure (common/bounds.h) before trusting it.  It never writes.
 *   - Returns 0 with *out filled, -ENOENT when the directory has no job
 *     file (a run of an older oomph, or one that could not make it), or
 *     another negative errno with a one-line message in err (a file that is
 *     not a job file, of another version, truncated or out of bounds).
 *   - Plain data, nothing to free.  Never used inside the profiled process.
 */
#ifndef OOMPH_JOBFILE_H
#define OOMPH_JOBFILE_H

#include <stddef.h>
#include <stdint.h>

struct jobfile {
	int64_t cur_bytes;     /* the job's tracked total now (or at its end) */
	int64_t peak_bytes;    /* its exact maximum */
	double peak_time_s;    /* since the run's start */
	int peak_pid;          /* the process whose allocation reached it; 0 unknown */
	uint32_t joined;       /* processes that joined the job */
	uint32_t peak_gen;     /* generation of its peak (profile_job_picture) */
	double start_unix_s;   /* the run's start (CLOCK_REALTIME) */
	double start_mono_s;   /* the same instant on CLOCK_MONOTONIC: a state
				  file's start_mono_s less it places that
				  process on the job's clock */
};

int jobfile_load(const char *state_dir, struct jobfile *out, char *err, size_t errlen);

/* The checks alone, on a copy of the file's bytes (len of them): for the
 * fuzz target and unit tests.  Same return convention. */
int jobfile_parse(const void *data, size_t len, struct jobfile *out, char *err, size_t errlen);

#endif
