/* common/limits.c — TEMPORARY minimal version (v1 own cgroup, rlimits,
 * system) so the tracker can be integrated; replaced by the full module. */
#include "common/limits.h"

#include "common/readfile.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void cat(char *dst, size_t cap, const char *a)
{
	size_t n = strlen(dst);
	while (*a && n + 1 < cap)
		dst[n++] = *a++;
	dst[n] = 0;
}

static int64_t parse_i64(const char *s)
{
	int64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

static int64_t key_value(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, k))
			return parse_i64(p + k);
	return -1;
}

const char *limits_kind_name(enum limit_kind k)
{
	static const char *const n[] = {"", "cgroup-v2", "cgroup-v1", "rlimit-as", "rlimit-data",
					"system"};
	return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "";
}

int limits_detect(const char *root, const struct rlimit *as, const struct rlimit *data,
		  struct limits *out)
{
	char buf[8192], path[LIMITS_PATH_MAX];
	memset(out, 0, sizeof *out);
	path[0] = 0;
	cat(path, sizeof path, root);
	cat(path, sizeof path, "/proc/meminfo");
	if (read_text_file(path, buf, sizeof buf) > 0) {
		int64_t t = key_value(buf, "MemTotal:");
		out->system_total = t > 0 ? t * 1024 : 0;
	}
	out->limit_bytes = out->system_total;
	out->kind = out->system_total ? LIMIT_SYSTEM : LIMIT_NONE;
	cat(out->source, sizeof out->source, "system memory (MemTotal in /proc/meminfo)");
	path[0] = 0;
	cat(path, sizeof path, root);
	cat(path, sizeof path, "/proc/meminfo");
	cat(out->usage_path, sizeof out->usage_path, path);
	path[0] = 0;
	cat(path, sizeof path, root);
	cat(path, sizeof path, "/proc/self/cgroup");
	if (read_text_file(path, buf, sizeof buf) > 0) {
		char *m = strstr(buf, ":memory:");
		if (m) {
			char *e = strchr(m, '\n');
			if (e)
				*e = 0;
			char dir[LIMITS_PATH_MAX] = "";
			cat(dir, sizeof dir, root);
			cat(dir, sizeof dir, "/sys/fs/cgroup/memory");
			cat(dir, sizeof dir, m + 8);
			char f[LIMITS_PATH_MAX] = "";
			cat(f, sizeof f, dir);
			cat(f, sizeof f, "/memory.limit_in_bytes");
			char v[64];
			int64_t lim;
			if (read_text_file(f, v, sizeof v) > 0 && (lim = parse_i64(v)) > 0 &&
			    lim < (1ll << 62) && (!out->limit_bytes || lim < out->limit_bytes)) {
				out->limit_bytes = lim;
				out->kind = LIMIT_CGROUP_V1;
				out->source[0] = 0;
				cat(out->source, sizeof out->source,
				    "cgroup v1 memory.limit_in_bytes of ");
				cat(out->source, sizeof out->source, dir);
				out->usage_path[0] = 0;
				cat(out->usage_path, sizeof out->usage_path, dir);
				cat(out->usage_path, sizeof out->usage_path, "/memory.usage_in_bytes");
				cat(out->stat_path, sizeof out->stat_path, dir);
				cat(out->stat_path, sizeof out->stat_path, "/memory.stat");
			}
			cat(out->cgroup_v1_memory_dir, sizeof out->cgroup_v1_memory_dir, dir);
		}
	}
	/* the cgroup2 directory of this process (even without controllers:
	 * its memory.pressure is the program's PSI) */
	path[0] = 0;
	cat(path, sizeof path, root);
	cat(path, sizeof path, "/proc/self/mountinfo");
	if (read_text_file(path, buf, sizeof buf) > 0) {
		char *m = strstr(buf, " - cgroup2 ");
		if (m) {
			*m = 0;
			char *ls = strrchr(buf, '\n');
			ls = ls ? ls + 1 : buf;
			/* fields: id parent maj:min root mountpoint ... */
			char *f = ls;
			for (int k = 0; k < 4 && f; k++) {
				f = strchr(f, ' ');
				f = f ? f + 1 : NULL;
			}
			char mnt[LIMITS_PATH_MAX] = "";
			if (f) {
				char *e = strchr(f, ' ');
				if (e)
					*e = 0;
				cat(mnt, sizeof mnt, f);
			}
			path[0] = 0;
			cat(path, sizeof path, root);
			cat(path, sizeof path, "/proc/self/cgroup");
			if (mnt[0] && read_text_file(path, buf, sizeof buf) > 0) {
				char *z = strstr(buf, "0::");
				if (z && (z == buf || z[-1] == '\n')) {
					char *e = strchr(z, '\n');
					if (e)
						*e = 0;
					cat(out->cgroup_v2_dir, sizeof out->cgroup_v2_dir, root);
					cat(out->cgroup_v2_dir, sizeof out->cgroup_v2_dir, mnt);
					if (strcmp(z + 3, "/"))
						cat(out->cgroup_v2_dir, sizeof out->cgroup_v2_dir, z + 3);
				}
			}
		}
	}
	struct rlimit r[2];
	if (!as)
		getrlimit(RLIMIT_AS, &r[0]);
	if (!data)
		getrlimit(RLIMIT_DATA, &r[1]);
	const struct rlimit *rl[2] = {as ? as : &r[0], data ? data : &r[1]};
	for (int i = 0; i < 2; i++) {
		if (rl[i]->rlim_cur == RLIM_INFINITY)
			continue;
		int64_t lim = (int64_t)rl[i]->rlim_cur;
		if (out->limit_bytes && lim >= out->limit_bytes)
			continue;
		out->limit_bytes = lim;
		out->kind = i ? LIMIT_RLIMIT_DATA : LIMIT_RLIMIT_AS;
		out->source[0] = 0;
		cat(out->source, sizeof out->source, i ? "RLIMIT_DATA (soft limit)" : "RLIMIT_AS (soft limit)");
		out->usage_path[0] = 0;
		cat(out->usage_path, sizeof out->usage_path, root);
		cat(out->usage_path, sizeof out->usage_path, "/proc/self/status");
		out->stat_path[0] = 0;
	}
	return 0;
}

int limits_usage(const struct limits *l, int64_t *usage_bytes)
{
	char buf[8192];
	if (read_text_file(l->usage_path, buf, sizeof buf) <= 0)
		return -1;
	int64_t u = -1;
	switch (l->kind) {
	case LIMIT_SYSTEM: {
		int64_t t = key_value(buf, "MemTotal:"), a = key_value(buf, "MemAvailable:");
		u = t >= 0 && a >= 0 ? (t - a) * 1024 : -1;
		break;
	}
	case LIMIT_RLIMIT_AS:
		u = key_value(buf, "VmSize:");
		u = u >= 0 ? u * 1024 : -1;
		break;
	case LIMIT_RLIMIT_DATA:
		u = key_value(buf, "VmData:");
		u = u >= 0 ? u * 1024 : -1;
		break;
	default:
		u = parse_i64(buf);
		if (u >= 0 && l->stat_path[0] && read_text_file(l->stat_path, buf, sizeof buf) > 0) {
			int64_t in = key_value(buf, "total_inactive_file ");
			if (in < 0)
				in = key_value(buf, "inactive_file ");
			if (in > 0 && in < u)
				u -= in;
		}
	}
	if (u < 0)
		return -1;
	*usage_bytes = u;
	return 0;
}
