/* common/limits.c — the memory limit in force (limits.h).
 *
 * Runs inside malloc hooks: no malloc, no stdio, no snprintf — paths are
 * built with cat() into caller or stack buffers, files read whole with
 * read_text_file().  Every candidate limit is compared; the smallest wins.
 */
#include "common/limits.h"

#include <string.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/readfile.h"

/* Values at or above this are "no limit" (v1 prints PAGE_COUNTER_MAX
 * pages, 9223372036854771712 on x86_64). */
#define UNLIMITED (1ll << 62)

static void cat(char *dst, size_t cap, const char *a)
{
	size_t n = strlen(dst);
	while (*a && n + 1 < cap)
		dst[n++] = *a++;
	dst[n] = 0;
}

static void path2(char *dst, size_t cap, const char *a, const char *b)
{
	dst[0] = 0;
	cat(dst, cap, a);
	cat(dst, cap, b);
}

static void path3(char *dst, size_t cap, const char *a, const char *b, const char *c)
{
	path2(dst, cap, a, b);
	cat(dst, cap, c);
}

/* A decimal number after optional blanks; -1 if there is none. */
static int64_t parse_i64(const char *s)
{
	int64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return INT64_MAX;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* The number after `key` at the start of a line; -1 if absent. */
static int64_t key_value(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = text; *p;) {
		if (!strncmp(p, key, k))
			return parse_i64(p + k);
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return -1;
}

/* A limit file: a number, or "max"/huge for none (0 returned then). */
static int64_t read_limit(const char *dir, const char *file)
{
	char path[LIMITS_PATH_MAX], buf[64];
	path3(path, sizeof path, dir, "/", file);
	if (read_text_file(path, buf, sizeof buf) <= 0)
		return 0;
	int64_t v = parse_i64(buf);
	return v > 0 && v < UNLIMITED ? v : 0;
}

static int is_dir(const char *path)
{
	return access(path, X_OK) == 0;
}

const char *limits_kind_name(enum limit_kind k)
{
	static const char *const n[] = {"", "cgroup-v2", "cgroup-v1", "rlimit-as", "rlimit-data",
					"system"};
	return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "";
}

/* Take `limit` if it is smaller than the current winner. */
static int consider(struct limits *out, int64_t limit, enum limit_kind kind, const char *what,
		    const char *where)
{
	if (limit <= 0 || (out->limit_bytes > 0 && limit >= out->limit_bytes))
		return 0;
	out->limit_bytes = limit;
	out->kind = kind;
	path3(out->source, sizeof out->source, what, where[0] ? " " : "", where);
	out->usage_path[0] = 0;
	out->stat_path[0] = 0;
	return 1;
}

/* Mount points from mountinfo: the cgroup2 one, and the v1 hierarchy that
 * holds the memory controller, each with the root it shows. */
struct mounts {
	char v2[LIMITS_PATH_MAX], v2_root[LIMITS_PATH_MAX];
	char v1[LIMITS_PATH_MAX], v1_root[LIMITS_PATH_MAX];
};

/* Copy the n-th space-separated field of line (0-based) into out. */
static void field(const char *line, int n, char *out, size_t cap)
{
	const char *p = line;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	out[0] = 0;
	if (!p)
		return;
	size_t k = 0;
	while (p[k] && p[k] != ' ' && p[k] != '\n' && k + 1 < cap) {
		out[k] = p[k];
		k++;
	}
	out[k] = 0;
}

static void find_mounts(const char *root, struct mounts *m, char *buf, size_t cap)
{
	char path[LIMITS_PATH_MAX];
	memset(m, 0, sizeof *m);
	path2(path, sizeof path, root, "/proc/self/mountinfo");
	if (read_text_file(path, buf, cap) > 0) {
		for (char *line = buf; *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			/* id parent maj:min root mountpoint opts [tags] - fstype src superopts */
			char *sep = strstr(line, " - ");
			if (sep) {
				char fstype[32], super[256];
				field(sep + 3, 0, fstype, sizeof fstype);
				field(sep + 3, 2, super, sizeof super);
				int v2 = !strcmp(fstype, "cgroup2");
				int v1mem = !strcmp(fstype, "cgroup") && (strstr(super, ",memory") ||
									  !strncmp(super, "memory", 6));
				if ((v2 && !m->v2[0]) || (v1mem && !m->v1[0])) {
					char mnt[LIMITS_PATH_MAX], mroot[LIMITS_PATH_MAX];
					field(line, 4, mnt, sizeof mnt);
					field(line, 3, mroot, sizeof mroot);
					path2(v2 ? m->v2 : m->v1, LIMITS_PATH_MAX, root, mnt);
					path2(v2 ? m->v2_root : m->v1_root, LIMITS_PATH_MAX, "", mroot);
				}
			}
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	/* no mountinfo: the usual places */
	if (!m->v2[0] && !m->v1[0]) {
		path2(m->v1, sizeof m->v1, root, "/sys/fs/cgroup/memory");
		path2(m->v2, sizeof m->v2, root, "/sys/fs/cgroup");
		m->v1_root[0] = m->v2_root[0] = '/';
	}
}

/* The directory of cgroup `path` under a mount showing `mroot`; the mount
 * point itself when the path is not visible there (a container's view). */
static void cgroup_dir(const char *mnt, const char *mroot, const char *path, char *out,
		       size_t cap)
{
	const char *rel = path;
	size_t rl = strlen(mroot);
	if (rl > 1 && !strncmp(path, mroot, rl) && (path[rl] == '/' || path[rl] == 0))
		rel = path + rl;
	path2(out, cap, mnt, strcmp(rel, "/") ? rel : "");
	if (!is_dir(out))
		path2(out, cap, mnt, "");
}

static void detect_v2(struct limits *out, const char *mnt, const char *dir)
{
	char d[LIMITS_PATH_MAX], stat[LIMITS_PATH_MAX];
	path2(d, sizeof d, dir, "");
	size_t ml = strlen(mnt);
	/* own cgroup, then every ancestor up to the mount's root */
	for (;;) {
		static const char *const files[] = {"memory.max", "memory.high"};
		for (int k = 0; k < 2; k++) {
			char what[64];
			path3(what, sizeof what, "cgroup v2 ", files[k], " of");
			if (consider(out, read_limit(d, files[k]), LIMIT_CGROUP_V2, what, d)) {
				path2(out->usage_path, sizeof out->usage_path, d, "/memory.current");
				path2(stat, sizeof stat, d, "/memory.stat");
				path2(out->stat_path, sizeof out->stat_path, stat, "");
			}
		}
		char *slash = strrchr(d, '/');
		if (strlen(d) <= ml || !slash || (size_t)(slash - d) < ml)
			break;
		*slash = 0;
	}
}

static void detect_v1(struct limits *out, const char *dir, char *buf, size_t cap)
{
	char path[LIMITS_PATH_MAX];
	int own = consider(out, read_limit(dir, "memory.limit_in_bytes"), LIMIT_CGROUP_V1,
			   "cgroup v1 memory.limit_in_bytes of", dir);
	path2(path, sizeof path, dir, "/memory.stat");
	int64_t h = read_text_file(path, buf, cap) > 0 ? key_value(buf, "hierarchical_memory_limit ")
						    : -1;
	int parent = h > 0 && h < UNLIMITED &&
		     consider(out, h, LIMIT_CGROUP_V1,
			      "cgroup v1 hierarchical_memory_limit (set on a parent) in memory.stat of",
			      dir);
	if (own || parent) {
		path2(out->usage_path, sizeof out->usage_path, dir, "/memory.usage_in_bytes");
		path2(out->stat_path, sizeof out->stat_path, dir, "/memory.stat");
	}
}

int limits_detect(const char *root, const struct rlimit *as, const struct rlimit *data,
		  struct limits *out)
{
	char buf[8192], path[LIMITS_PATH_MAX];
	memset(out, 0, sizeof *out);
	path2(path, sizeof path, root, "/proc/meminfo");
	if (read_text_file(path, buf, sizeof buf) > 0) {
		int64_t t = kib_bytes(key_value(buf, "MemTotal:"));
		out->system_total = t > 0 ? t : 0;
	}

	struct mounts m;
	find_mounts(root, &m, buf, sizeof buf);
	char v2path[LIMITS_PATH_MAX] = "", v1path[LIMITS_PATH_MAX] = "";
	int have_v2 = 0, have_v1 = 0;
	path2(path, sizeof path, root, "/proc/self/cgroup");
	if (read_text_file(path, buf, sizeof buf) > 0) {
		for (char *line = buf; *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			/* "N:controllers:path" */
			char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2) {
				*c2 = 0;
				const char *ctl = c1 + 1;
				if (c1 == line + 1 && line[0] == '0' && !*ctl) {
					path2(v2path, sizeof v2path, c2 + 1, "");
					have_v2 = 1;
				} else if (!strcmp(ctl, "memory") || strstr(ctl, ",memory") ||
					   !strncmp(ctl, "memory,", 7)) {
					path2(v1path, sizeof v1path, c2 + 1, "");
					have_v1 = 1;
				}
			}
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	if (have_v2 && m.v2[0]) {
		cgroup_dir(m.v2, m.v2_root, v2path, out->cgroup_v2_dir, sizeof out->cgroup_v2_dir);
		detect_v2(out, m.v2, out->cgroup_v2_dir);
	}
	if (have_v1 && m.v1[0]) {
		cgroup_dir(m.v1, m.v1_root, v1path, out->cgroup_v1_memory_dir,
			   sizeof out->cgroup_v1_memory_dir);
		detect_v1(out, out->cgroup_v1_memory_dir, buf, sizeof buf);
	}

	struct rlimit r[2];
	if (!as)
		getrlimit(RLIMIT_AS, &r[0]);
	if (!data)
		getrlimit(RLIMIT_DATA, &r[1]);
	const struct rlimit *rl[2] = {as ? as : &r[0], data ? data : &r[1]};
	for (int i = 0; i < 2; i++) {
		if (rl[i]->rlim_cur == RLIM_INFINITY || rl[i]->rlim_cur >= (rlim_t)UNLIMITED)
			continue;
		if (consider(out, (int64_t)rl[i]->rlim_cur, i ? LIMIT_RLIMIT_DATA : LIMIT_RLIMIT_AS,
			     i ? "RLIMIT_DATA (soft limit)" : "RLIMIT_AS (soft limit)", ""))
			path2(out->usage_path, sizeof out->usage_path, root, "/proc/self/status");
	}
	if (!out->limit_bytes && out->system_total) {
		consider(out, out->system_total, LIMIT_SYSTEM,
			 "system memory (MemTotal in /proc/meminfo)", "");
		path2(out->usage_path, sizeof out->usage_path, root, "/proc/meminfo");
	}
	return 0;
}

int limits_usage(const struct limits *l, int64_t *usage_bytes)
{
	char buf[8192];
	if (!l->usage_path[0] || read_text_file(l->usage_path, buf, sizeof buf) <= 0)
		return -1;
	int64_t u = -1;
	switch (l->kind) {
	case LIMIT_SYSTEM: {
		int64_t t = kib_bytes(key_value(buf, "MemTotal:"));
		int64_t a = kib_bytes(key_value(buf, "MemAvailable:"));
		u = t >= 0 && a >= 0 && a <= t ? t - a : -1;
		break;
	}
	case LIMIT_RLIMIT_AS:
	case LIMIT_RLIMIT_DATA:
		u = kib_bytes(key_value(buf, l->kind == LIMIT_RLIMIT_AS ? "VmSize:" : "VmData:"));
		break;
	case LIMIT_CGROUP_V1:
	case LIMIT_CGROUP_V2:
		u = parse_i64(buf);
		/* page cache the kernel reclaims before it kills does not count */
		if (u >= 0 && l->stat_path[0] && read_text_file(l->stat_path, buf, sizeof buf) > 0) {
			int64_t in = key_value(buf, "total_inactive_file ");
			if (in < 0)
				in = key_value(buf, "inactive_file ");
			if (in > 0 && in < u)
				u -= in;
		}
		break;
	default:
		return -1;
	}
	if (u < 0)
		return -1;
	*usage_bytes = u;
	return 0;
}
