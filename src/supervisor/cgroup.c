/* supervisor/cgroup.c — oomph's private memory cgroup (cgroup.h). */
#include "supervisor/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/limits.h"
#include "common/bounds.h"
#include "common/readfile.h"

static int write_str(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int e = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -e : 0;
}

static int read_str(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	ssize_t n = read_text_file(path, buf, cap);
	return n < 0 ? (int)n : 0;
}

static int exists(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* mkdir parent/oomph-<pid>-<n> for the first free n. */
static int make_child(const char *parent, char *out, size_t cap)
{
	for (int n = 0; n < 100; n++) {
		if ((size_t)snprintf(out, cap, "%s/oomph-%d-%d", parent, (int)getpid(), n) >= cap)
			return -ENAMETOOLONG;
		if (mkdir(out, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int try_v2(struct ocgroup *cg, const char *own, int64_t limit, int64_t swap, char *why,
		  size_t whylen)
{
	char buf[512], v[32];
	if (!own[0] || read_str(own, "cgroup.controllers", buf, sizeof buf) != 0 ||
	    !strstr(buf, "memory")) {
		err_set(0, why, whylen, "no cgroup v2 memory controller here");
		return -ENOENT;
	}
	/* Children get the memory controller only if the parent delegates it
	 * (which fails while the parent itself holds processes, unless it is
	 * the root). */
	if (read_str(own, "cgroup.subtree_control", buf, sizeof buf) != 0 || !strstr(buf, "memory")) {
		int rc = write_str(own, "cgroup.subtree_control", "+memory");
		if (rc) {
			err_set(rc, why, whylen, "cannot delegate the v2 memory controller in %s: %s",
				own, strerror(-rc));
			return rc;
		}
	}
	int rc = make_child(own, cg->mem_dir, sizeof cg->mem_dir);
	if (rc) {
		err_set(rc, why, whylen, "cannot create a cgroup under %s: %s", own, strerror(-rc));
		return rc;
	}
	snprintf(v, sizeof v, "%lld", (long long)limit);
	if ((rc = write_str(cg->mem_dir, "memory.max", v)) != 0) {
		err_set(rc, why, whylen, "cannot set memory.max in %s: %s", cg->mem_dir, strerror(-rc));
		rmdir(cg->mem_dir);
		cg->mem_dir[0] = 0;
		return rc;
	}
	snprintf(v, sizeof v, "%lld", (long long)swap);
	cg->swap_limited = exists(cg->mem_dir, "memory.swap.max") &&
			   write_str(cg->mem_dir, "memory.swap.max", v) == 0;
	snprintf(cg->mode, sizeof cg->mode, "cgroup-v2");
	return 0;
}

static int try_v1(struct ocgroup *cg, const char *own, int64_t limit, int64_t swap, char *why,
		  size_t whylen)
{
	char v[32];
	if (!own[0] || !exists(own, "memory.limit_in_bytes")) {
		err_set(0, why, whylen, "no cgroup v1 memory controller here");
		return -ENOENT;
	}
	int rc = make_child(own, cg->mem_dir, sizeof cg->mem_dir);
	if (rc) {
		err_set(rc, why, whylen, "cannot create a cgroup under %s: %s", own, strerror(-rc));
		return rc;
	}
	snprintf(v, sizeof v, "%lld", (long long)limit);
	if ((rc = write_str(cg->mem_dir, "memory.limit_in_bytes", v)) != 0) {
		err_set(rc, why, whylen, "cannot set memory.limit_in_bytes in %s: %s", cg->mem_dir,
			strerror(-rc));
		rmdir(cg->mem_dir);
		cg->mem_dir[0] = 0;
		return rc;
	}
	/* memsw (memory + swap) must be >= the memory limit: set it after. */
	snprintf(v, sizeof v, "%lld", (long long)(swap > INT64_MAX - limit ? INT64_MAX : limit + swap));
	cg->swap_limited = exists(cg->mem_dir, "memory.memsw.limit_in_bytes") &&
			   write_str(cg->mem_dir, "memory.memsw.limit_in_bytes", v) == 0;
	snprintf(cg->mode, sizeof cg->mode, "cgroup-v1");
	return 0;
}

int cgroup_create(struct ocgroup *cg, int64_t limit_bytes, int64_t swap_bytes, char *err,
		  size_t errlen)
{
	memset(cg, 0, sizeof *cg);
	cg->limit_bytes = limit_bytes;
	if (swap_bytes < 0)
		swap_bytes = 0;
	struct limits own;
	limits_detect("", NULL, NULL, &own);
	char why2[512] = "", why1[512] = "";
	int rc = try_v2(cg, own.cgroup_v2_dir, limit_bytes, swap_bytes, why2, sizeof why2);
	if (rc != 0)
		rc = try_v1(cg, own.cgroup_v1_memory_dir, limit_bytes, swap_bytes, why1, sizeof why1);
	if (rc == 0)
		cg->swap_allowed_bytes = cg->swap_limited ? swap_bytes : -1;
	if (rc == 0 && !strcmp(cg->mode, "cgroup-v2"))
		return 0;
	if (rc == 0) {
		/* PSI for the program alone, from the cgroup2 hierarchy. */
		if (own.cgroup_v2_dir[0] && exists(own.cgroup_v2_dir, "memory.pressure") &&
		    make_child(own.cgroup_v2_dir, cg->psi_dir, sizeof cg->psi_dir) != 0)
			cg->psi_dir[0] = 0;
		return 0;
	}
	return err_set(-EPERM, err, errlen, "no memory cgroup could be made (%s; %s)", why2, why1);
}

/* In the forked child: no allocation, no stdio. */
int cgroup_attach_self(const struct ocgroup *cg)
{
	char pid[24];
	int n = 0;
	char tmp[24];
	for (unsigned v = (unsigned)getpid(); n == 0 || v; v /= 10)
		tmp[n++] = (char)('0' + v % 10);
	for (int i = 0; i < n; i++)
		pid[i] = tmp[n - 1 - i];
	pid[n] = 0;
	int rc = 0;
	if (cg->mem_dir[0])
		rc = write_str(cg->mem_dir, "cgroup.procs", pid);
	if (rc == 0 && cg->psi_dir[0])
		write_str(cg->psi_dir, "cgroup.procs", pid); /* PSI only: not fatal */
	return rc;
}

int cgroup_oom_kills(const struct ocgroup *cg, uint64_t *n)
{
	char buf[1024];
	const char *file = !strcmp(cg->mode, "cgroup-v2") ? "memory.events" : "memory.oom_control";
	if (!cg->mem_dir[0])
		return -ENOENT;
	int rc = read_str(cg->mem_dir, file, buf, sizeof buf);
	if (rc)
		return rc;
	const char *p = strstr(buf, "oom_kill ");
	if (!p)
		return -ENODATA;
	*n = strtoull(p + 9, NULL, 10);
	return 0;
}

int cgroup_peak(const struct ocgroup *cg, int64_t *bytes)
{
	char buf[64];
	const char *file = !strcmp(cg->mode, "cgroup-v2") ? "memory.peak" : "memory.max_usage_in_bytes";
	if (!cg->mem_dir[0] || cg->destroyed)
		return -ENOENT;
	int rc = read_str(cg->mem_dir, file, buf, sizeof buf);
	if (rc)
		return rc;
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (end == buf || errno || v <= 0 || v > OOMPH_BYTES_MAX)
		return -EINVAL;
	*bytes = v;
	return 0;
}

static void file_path(const char *dir, const char *file, char *out, size_t cap)
{
	if (dir[0] && exists(dir, file))
		snprintf(out, cap, "%s/%s", dir, file);
	else if (cap)
		out[0] = 0;
}

void cgroup_stat_path(const struct ocgroup *cg, char *out, size_t cap)
{
	file_path(cg->mem_dir, "memory.stat", out, cap);
}

void cgroup_swap_path(const struct ocgroup *cg, char *out, size_t cap)
{
	file_path(!strcmp(cg->mode, "cgroup-v2") ? cg->mem_dir : "", "memory.swap.current", out, cap);
}

void cgroup_pressure_path(const struct ocgroup *cg, char *out, size_t cap)
{
	const char *dir = cg->psi_dir[0] ? cg->psi_dir : !strcmp(cg->mode, "cgroup-v2") ? cg->mem_dir : "";
	file_path(dir, "memory.pressure", out, cap);
}

/* Kill what is left inside dir (only processes we started can be there),
 * then remove it; waits up to 2 s for the kernel to empty it. */
static void remove_dir(const char *dir)
{
	if (!dir[0])
		return;
	for (int tries = 0; tries < 200; tries++) {
		char buf[4096];
		if (read_str(dir, "cgroup.procs", buf, sizeof buf) != 0 || buf[0] == 0)
			break;
		for (char *p = buf; *p;) {
			long pid = strtol(p, &p, 10);
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
			while (*p == '\n')
				p++;
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	rmdir(dir);
}

int cgroup_remove(const char *dir)
{
	const char *base = strrchr(dir, '/');
	if (strncmp(dir, "/sys/fs/cgroup/", 15) || !base || strncmp(base + 1, "oomph-", 6) ||
	    strstr(dir, "/../"))
		return -EPERM; /* not one of ours */
	struct stat st;
	if (stat(dir, &st) != 0)
		return -errno;
	remove_dir(dir);
	return access(dir, F_OK) == 0 ? -EBUSY : 0;
}

void cgroup_destroy(struct ocgroup *cg)
{
	if (cg->destroyed)
		return;
	remove_dir(cg->psi_dir);
	remove_dir(cg->mem_dir);
	cg->destroyed = 1;
}
