/* profile/jobfile.c — read the job file (jobfile.h). */
#include "profile/jobfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/safefs.h"
#include "state/format.h"

/* The job's total is a sum over its processes: bounded by what a machine
 * can address, not one process (2^62 bytes, as limits are). */
#define JOB_BYTES_MAX OOMPH_LIMIT_MAX

int jobfile_parse(const void *data, size_t len, struct jobfile *out, char *err, size_t errlen)
{
	struct oomph_job_header h;
	memset(out, 0, sizeof *out);
	if (len < 16)
		return err_set(-EINVAL, err, errlen, "truncated: %zu bytes, not a job file", len);
	memcpy(&h, data, len < sizeof h ? len : sizeof h);
	if (memcmp(h.magic, OOMPH_JOB_MAGIC, 8))
		return err_set(-EINVAL, err, errlen, "not an oomph job file (bad magic)");
	if (h.version != OOMPH_JOB_VERSION)
		return err_set(-EPROTO, err, errlen, "job file of format version %u, this oomph reads %u",
			       h.version, OOMPH_JOB_VERSION);
	if (h.header_size != sizeof h)
		return err_set(-EINVAL, err, errlen, "header size %u, expected %zu", h.header_size,
			       sizeof h);
	if (len < sizeof h || h.file_size < sizeof h || h.file_size > 4096 || h.file_size > len)
		return err_set(-EINVAL, err, errlen, "truncated: %zu bytes, the header says %llu", len,
			       (unsigned long long)h.file_size);
	int64_t cur = atomic_load_explicit(&h.cur_bytes, memory_order_relaxed);
	int64_t max = atomic_load_explicit(&h.max_bytes, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&h.max_time_ns, memory_order_relaxed);
	int32_t pid = atomic_load_explicit(&h.max_pid, memory_order_relaxed);
	uint32_t joined = atomic_load_explicit(&h.joined, memory_order_relaxed);
	if (cur < -JOB_BYTES_MAX || cur > JOB_BYTES_MAX)
		return err_set(-ERANGE, err, errlen, "job field cur_bytes is %lld, outside %lld .. %lld",
			       (long long)cur, (long long)-JOB_BYTES_MAX, (long long)JOB_BYTES_MAX);
	if (max < 0 || max > JOB_BYTES_MAX)
		return err_set(-ERANGE, err, errlen, "job field max_bytes is %lld, outside 0 .. %lld",
			       (long long)max, (long long)JOB_BYTES_MAX);
	if (t > OOMPH_TIME_MAX_NS || h.start_realtime_ns > OOMPH_TIME_MAX_NS ||
	    h.start_mono_ns > OOMPH_TIME_MAX_NS)
		return err_set(-ERANGE, err, errlen, "job time out of range");
	if (pid < 0 || pid > OOMPH_PID_MAX)
		return err_set(-ERANGE, err, errlen, "job field max_pid is %d, outside 0 .. %d", pid,
			       OOMPH_PID_MAX);
	if (joined > OOMPH_PID_MAX)
		return err_set(-ERANGE, err, errlen, "job field joined is %u, above %d", joined,
			       OOMPH_PID_MAX);
	out->cur_bytes = cur;
	/* a death between two stores may leave the total above the maximum */
	out->peak_bytes = max > cur ? max : cur;
	out->peak_time_s = (double)t / 1e9;
	out->peak_pid = pid;
	out->joined = joined;
	out->peak_gen = atomic_load_explicit(&h.peak_gen, memory_order_relaxed);
	out->start_unix_s = (double)h.start_realtime_ns / 1e9;
	out->start_mono_s = (double)h.start_mono_ns / 1e9;
	return 0;
}

int jobfile_load(const char *state_dir, struct jobfile *out, char *err, size_t errlen)
{
	char path[4096], why[600];
	memset(out, 0, sizeof *out);
	if ((size_t)snprintf(path, sizeof path, "%s/%s", state_dir, OOMPH_JOB_FILE) >= sizeof path)
		return err_set(-ENAMETOOLONG, err, errlen, "path too long");
	int fd = safefs_open_read(path, NULL, why, sizeof why);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0)
		return err_set(fd, err, errlen, "%s", why);
	unsigned char buf[4096];
	ssize_t got = pread(fd, buf, sizeof buf, 0);
	close(fd);
	if (got < 0)
		return err_set(-errno, err, errlen, "cannot read it: %s", strerror(errno));
	size_t len = (size_t)got; /* file_size (one page) must be there: else truncated */
	return jobfile_parse(buf, len, out, err, errlen);
}
