/* profile/runmeta.c — save and load RUN_DIR/run.meta (runmeta.h).
 *
 * Format (text, one `key value` per line, first line a marker):
 *     # oomph run.meta 1
 *     argv script.py
 *     argv a%20b%0Ac
 *     cwd /home/me/project
 *     ...
 * Values are percent-escaped: every byte outside '!'..'~', and '%' itself,
 * is written %XX, so a value is one word of printable ASCII whatever it
 * holds (spaces, newlines, UTF-8).  Numbers are plain decimal; doubles use
 * %.17g, which reads back to the same value (oomph never calls setlocale,
 * so the C locale's '.' is the radix character on both sides).
 */
#include "profile/runmeta.h"

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/safefs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MARKER "# oomph run.meta "
#define FORMAT_VERSION 1

/* Every figure is bounded by what a real run can write (common/bounds.h). */
#define RATE_MAX 1e15 /* events per second */

static void put_escaped(FILE *f, const char *key, const char *v)
{
	fputs(key, f);
	fputc(' ', f);
	for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
		if (*s > ' ' && *s < 0x7f && *s != '%')
			fputc(*s, f);
		else
			fprintf(f, "%%%02X", *s);
	}
	fputc('\n', f);
}

int runmeta_save(const char *run_dir, const struct runmeta *m, char *err, size_t errlen)
{
	if (m->argc < 0 || m->argc > RUNMETA_MAX_ARGS || (m->argc && !m->argv))
		return err_set(-EINVAL, err, errlen, "cannot save run.meta: bad argument count %d",
			    m->argc);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return err_set(-ENOMEM, err, errlen, "cannot save run.meta: out of memory");
	fprintf(f, "%s%d\n", MARKER, FORMAT_VERSION);
	for (int i = 0; i < m->argc; i++)
		put_escaped(f, "argv", m->argv[i] ? m->argv[i] : "");
	put_escaped(f, "python", m->python);
	put_escaped(f, "cwd", m->cwd);
	put_escaped(f, "python_version", m->python_version);
	for (int i = 0; i < m->npydirs; i++)
		put_escaped(f, "pydir", m->pydirs[i] ? m->pydirs[i] : "");
	fprintf(f, "child_pid %d\n", m->child_pid);
	fprintf(f, "start_unix_s %.17g\n", m->start_unix_s);
	fprintf(f, "duration_s %.17g\n", m->duration_s);
	fprintf(f, "exit_code %d\n", m->exit_code);
	fprintf(f, "signal %d\n", m->signal);
	fprintf(f, "exit_status %d\n", m->exit_status);
	fprintf(f, "peak_rss_bytes %" PRId64 "\n", m->peak_rss_bytes);
	fprintf(f, "sample_rate %" PRIu64 "\n", m->sample_rate);
	fprintf(f, "exact %d\n", m->exact);
	put_escaped(f, "verdict", m->verdict);
	for (int i = 0; i < m->nevidence; i++)
		put_escaped(f, "evidence", m->evidence[i] ? m->evidence[i] : "");
	fprintf(f, "limit_bytes %" PRId64 "\n", m->limit_bytes);
	put_escaped(f, "limit_kind", m->limit_kind);
	put_escaped(f, "limit_source", m->limit_source);
	put_escaped(f, "limit_mode", m->limit_mode);
	put_escaped(f, "on_oom", m->on_oom);
	fprintf(f, "thrashing %d\n", m->thrashing);
	fprintf(f, "stall_max_pct %.17g\n", m->stall_max_pct);
	fprintf(f, "stall_total_s %.17g\n", m->stall_total_s);
	fprintf(f, "thrash_seconds %.17g\n", m->thrash_seconds);
	fprintf(f, "majflt_max_per_s %.17g\n", m->majflt_max_per_s);
	fprintf(f, "refault_max_per_s %.17g\n", m->refault_max_per_s);
	fprintf(f, "stopped_for_stall %d\n", m->stopped_for_stall);
	put_escaped(f, "status", m->status[0] ? m->status : "done");
	put_escaped(f, "live_state", m->live_state);
	fprintf(f, "supervisor_pid %d\n", m->supervisor_pid);
	fprintf(f, "supervisor_start %" PRIu64 "\n", m->supervisor_start);
	put_escaped(f, "cgroup_dir", m->cgroup_dir);
	put_escaped(f, "cgroup_psi_dir", m->cgroup_psi_dir);
	fprintf(f, "team_readable %d\n", m->team_readable);
	fprintf(f, "swap_allowed_bytes %" PRId64 "\n", m->swap.allowed_bytes);
	fprintf(f, "swap_machine_bytes %" PRId64 "\n", m->swap.machine_bytes);
	fprintf(f, "swap_peak_bytes %" PRId64 "\n", m->swap.peak_bytes);
	fprintf(f, "swap_vmswap_peak_bytes %" PRId64 "\n", m->swap.vmswap_peak_bytes);
	fprintf(f, "swap_in_max_per_s %.17g\n", m->swap.in_max_per_s);
	fprintf(f, "swap_out_max_per_s %.17g\n", m->swap.out_max_per_s);
	fprintf(f, "swap_in_bytes %" PRId64 "\n", m->swap.in_bytes);
	fprintf(f, "swap_out_bytes %" PRId64 "\n", m->swap.out_bytes);
	fprintf(f, "swap_seconds %.17g\n", m->swap.seconds);
	put_escaped(f, "swap_scope", m->swap.scope);
	fprintf(f, "job_pss_peak_bytes %" PRId64 "\n", m->job_pss_peak_bytes);
	put_escaped(f, "job_rss_how", m->job_rss_how);
	fprintf(f, "cgroup_peak_bytes %" PRId64 "\n", m->cgroup_peak_bytes);
	if (m->split.rss_bytes > 0) {
		const struct runmeta_rss_split *z = &m->split;
		fprintf(f, "rss_split %.17g %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
			   " %" PRId64 " %" PRId64 " %s\n",
			z->t_s, z->tracked_bytes, z->rss_bytes, z->anon_bytes, z->file_bytes,
			z->shmem_bytes, z->shared_bytes, z->swap_bytes, z->how[0] ? z->how : "-");
		if (z->own_bytes >= 0)
			fprintf(f, "rss_split_own %" PRId64 "\n", z->own_bytes);
	}
	for (int i = 0; i < m->nprocs; i++) {
		const struct runmeta_proc *q = &m->procs[i];
		char v[700];
		snprintf(v, sizeof v, "%d %u %" PRId64 " %s %.17g %s", q->pid, q->generation,
			 q->hwm_bytes, q->ending[0] ? q->ending : "-", q->end_s, q->evidence);
		put_escaped(f, "proc", v);
	}
	if (m->stopped_for_stall) {
		fprintf(f, "stop_t_s %.17g\n", m->stop.t_s);
		fprintf(f, "stop_share_pct %.17g\n", m->stop.share_pct);
		put_escaped(f, "stop_by", m->stop.by);
		fprintf(f, "stop_readback_per_s %.17g\n", m->stop.readback_per_s);
		fprintf(f, "stop_swap_bytes %" PRId64 "\n", m->stop.swap_bytes);
		fprintf(f, "stop_in_per_s %.17g\n", m->stop.in_per_s);
		fprintf(f, "stop_out_per_s %.17g\n", m->stop.out_per_s);
	}
	int bad = fflush(f) != 0 || ferror(f);
	if (fclose(f) != 0)
		bad = 1;
	if (bad) {
		free(text);
		return err_set(-ENOMEM, err, errlen, "cannot save run.meta: out of memory");
	}
	int dfd = safefs_open_dir(run_dir, err, errlen);
	int rc = dfd;
	if (dfd >= 0) {
		/* a random temporary name, then rename(): a reader sees the old
		 * file or the new one, never a mix */
		rc = safefs_write_at(dfd, RUNMETA_FILE, text, len, err, errlen);
		close(dfd);
	}
	free(text);
	return rc;
}

int runmeta_escape(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		if (n + 4 > cap)
			return -ENAMETOOLONG;
		if (*s > ' ' && *s < 0x7f && *s != '%') {
			out[n++] = (char)*s;
		} else {
			out[n++] = '%';
			out[n++] = hex[*s >> 4];
			out[n++] = hex[*s & 15];
		}
	}
	if (n >= cap)
		return -ENAMETOOLONG;
	out[n] = 0;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode in place; -1 on a malformed escape or an embedded NUL (which no
 * field can hold). */
int runmeta_unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int hi = hexval((unsigned char)p[1]), lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		*o++ = (char)(hi * 16 + lo);
		p += 2;
	}
	*o = 0;
	return 0;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A finite double in [lo, hi] (strtod also reads "nan" and "inf"). */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

void runmeta_free(struct runmeta *m)
{
	if (m->argv) {
		for (int i = 0; i < m->argc; i++)
			free(m->argv[i]);
		free(m->argv);
	}
	m->argv = NULL;
	m->argc = 0;
	for (int i = 0; i < m->nevidence; i++)
		free(m->evidence[i]);
	free(m->evidence);
	m->evidence = NULL;
	m->nevidence = 0;
	free(m->procs);
	m->procs = NULL;
	m->nprocs = 0;
	for (int i = 0; i < m->npydirs; i++)
		free(m->pydirs[i]);
	free(m->pydirs);
	m->pydirs = NULL;
	m->npydirs = 0;
}

int runmeta_add_pydir(struct runmeta *m, const char *kind_path)
{
	if (m->npydirs >= RUNMETA_MAX_PYDIRS)
		return -E2BIG;
	char **q = realloc(m->pydirs, (size_t)(m->npydirs + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	m->pydirs = q;
	if (!(q[m->npydirs] = strdup(kind_path)))
		return -ENOMEM;
	m->npydirs++;
	return 0;
}

struct runmeta_proc *runmeta_proc(struct runmeta *m, int pid, unsigned generation)
{
	for (int i = 0; i < m->nprocs; i++)
		if (m->procs[i].pid == pid && m->procs[i].generation == generation)
			return &m->procs[i];
	if (m->nprocs >= RUNMETA_MAX_PROCS)
		return NULL;
	/* grown one at a time: a run has few processes, and the array's
	 * address only matters until the next call */
	struct runmeta_proc *q = realloc(m->procs, (size_t)(m->nprocs + 1) * sizeof(*q));
	if (!q)
		return NULL;
	m->procs = q;
	struct runmeta_proc *r = &q[m->nprocs++];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->generation = generation;
	r->end_s = -1;
	return r;
}

static int add_evidence_str(struct runmeta *m, char *s)
{
	if (!s)
		return -ENOMEM;
	if (m->nevidence >= RUNMETA_MAX_ARGS) {
		free(s);
		return -E2BIG;
	}
	char **q = realloc(m->evidence, (size_t)(m->nevidence + 1) * sizeof(*q));
	if (!q) {
		free(s);
		return -ENOMEM;
	}
	m->evidence = q;
	m->evidence[m->nevidence++] = s;
	return 0;
}

int runmeta_add_evidence(struct runmeta *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return add_evidence_str(m, n < 0 ? NULL : s);
}

void runmeta_init_unknown(struct runmeta *m)
{
	m->swap.allowed_bytes = -1;
	m->swap.machine_bytes = -1;
	m->split.own_bytes = -1;
}

/* "pid generation hwm ending end_s evidence...": 0, 1 malformed, -1 ENOMEM. */
static int parse_proc(struct runmeta *m, const char *val)
{
	long long pid, gen, hwm;
	char ending[24];
	double end_s;
	int used = 0;
	if (sscanf(val, "%lld %lld %lld %23s %lf %n", &pid, &gen, &hwm, ending, &end_s, &used) < 5 ||
	    used <= 0)
		return 1;
	if (pid <= 0 || pid > OOMPH_PID_MAX || gen < 0 || gen > UINT32_MAX || hwm < 0 ||
	    hwm > OOMPH_BYTES_MAX || !(end_s >= -1 && end_s <= OOMPH_TIME_MAX_S))
		return 1;
	/* every ending the supervisor's watch writes (docs/deaths.md):
	 * `oomph report` of a run whose worker its pool ended read none */
	static const char *const endings[] = {"-",	    "oom-killed",	"killed",
					      "ended-by-parent", "signal", "stopped-near-oom",
					      "outlived"};
	size_t e = 0;
	while (e < sizeof endings / sizeof *endings && strcmp(ending, endings[e]))
		e++;
	if (e == sizeof endings / sizeof *endings)
		return 1;
	struct runmeta_proc *q = runmeta_proc(m, (int)pid, (unsigned)gen);
	if (!q)
		return m->nprocs >= RUNMETA_MAX_PROCS ? 1 : -1;
	q->hwm_bytes = hwm;
	snprintf(q->ending, sizeof q->ending, "%s", strcmp(ending, "-") ? ending : "");
	q->end_s = end_s;
	snprintf(q->evidence, sizeof q->evidence, "%s", val + used);
	return 0;
}

/* "t_s tracked rss anon file shmem shared swap how": 0, or 1 malformed. */
static int parse_rss_split(struct runmeta *m, const char *val)
{
	struct runmeta_rss_split z;
	long long v[7];
	char how[16];
	int used = 0;
	if (sscanf(val, "%lf %lld %lld %lld %lld %lld %lld %lld %15s%n", &z.t_s, &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], how, &used) != 9 ||
	    val[used] || !(z.t_s >= 0 && z.t_s <= OOMPH_TIME_MAX_S))
		return 1;
	/* tracked may dip below zero (frees of blocks from before the
	 * tracker); shared and swap are -1 when unknown */
	if (v[0] < -OOMPH_BYTES_MAX || v[0] > OOMPH_BYTES_MAX || v[1] <= 0 || v[1] > OOMPH_BYTES_MAX)
		return 1;
	for (int i = 2; i < 7; i++)
		if (v[i] < (i >= 5 ? -1 : 0) || v[i] > OOMPH_BYTES_MAX)
			return 1;
	if (strcmp(how, "smaps_rollup") && strcmp(how, "status"))
		return 1;
	z.tracked_bytes = v[0];
	z.rss_bytes = v[1];
	z.anon_bytes = v[2];
	z.file_bytes = v[3];
	z.shmem_bytes = v[4];
	z.shared_bytes = v[5];
	z.swap_bytes = v[6];
	snprintf(z.how, sizeof z.how, "%s", how);
	z.own_bytes = m->split.own_bytes; /* its own key, in either order */
	m->split = z;
	return 0;
}

int runmeta_load(const char *run_dir, struct runmeta *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	runmeta_init_unknown(m); /* a run.meta from before swap was measured */
	char path[4200];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", run_dir, RUNMETA_FILE) >= sizeof(path))
		return err_set(-ENAMETOOLONG, err, errlen, "cannot read run.meta: path too long");
	int fd = safefs_open_read(path, NULL, err, errlen);
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int e = errno;
		close(fd);
		return err_set(-e, err, errlen, "cannot open %s: %s", path, strerror(e));
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;
	int argv_cap = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = 0;
		if (lineno == 1) {
			if (strncmp(line, MARKER, strlen(MARKER))) {
				rc = err_set(-EINVAL, err, errlen, "%s is not an oomph run.meta file", path);
				break;
			}
			continue;
		}
		if (line[0] == '#' || line[0] == 0)
			continue;
		if ((size_t)len != strlen(line)) {
			rc = err_set(-EINVAL, err, errlen, "%s:%ld: NUL byte in the line", path, lineno);
			break;
		}
		char *key = line, *val = strchr(line, ' ');
		if (val)
			*val++ = 0;
		else
			val = line + len;
		if (runmeta_unescape(val)) {
			rc = err_set(-EINVAL, err, errlen, "%s:%ld: bad %%-escape in `%s`", path, lineno, key);
			break;
		}
		long long ll = 0;
		int bad = 0;
		if (!strcmp(key, "argv")) {
			if (m->argc >= RUNMETA_MAX_ARGS) {
				rc = err_set(-E2BIG, err, errlen, "%s:%ld: more than %d arguments", path,
					  lineno, RUNMETA_MAX_ARGS);
				break;
			}
			if (m->argc + 1 >= argv_cap) {
				int ncap = argv_cap ? argv_cap * 2 : 8;
				char **q = realloc(m->argv, (size_t)ncap * sizeof(*q));
				if (!q) {
					rc = err_set(-ENOMEM, err, errlen, "%s: out of memory", path);
					break;
				}
				m->argv = q;
				argv_cap = ncap;
			}
			m->argv[m->argc] = strdup(val);
			if (!m->argv[m->argc]) {
				rc = err_set(-ENOMEM, err, errlen, "%s: out of memory", path);
				break;
			}
			m->argv[++m->argc] = NULL;
		} else if (!strcmp(key, "python")) {
			bad = set_str(m->python, sizeof(m->python), val);
		} else if (!strcmp(key, "cwd")) {
			bad = set_str(m->cwd, sizeof(m->cwd), val);
		} else if (!strcmp(key, "python_version")) {
			bad = set_str(m->python_version, sizeof(m->python_version), val);
		} else if (!strcmp(key, "pydir")) {
			/* "KIND /absolute/path" */
			const char *sp = strchr(val, ' ');
			int e = !sp || sp == val || sp[1] != '/' ? -EINVAL : runmeta_add_pydir(m, val);
			if (e == -ENOMEM || e == -E2BIG) {
				rc = err_set(e, err, errlen, "%s:%ld: cannot keep pydir: %s", path, lineno,
					     strerror(-e));
				break;
			}
			bad = e != 0;
		} else if (!strcmp(key, "verdict")) {
			bad = set_str(m->verdict, sizeof(m->verdict), val);
		} else if (!strcmp(key, "evidence")) {
			int e = add_evidence_str(m, strdup(val));
			if (e) {
				rc = err_set(e, err, errlen, "%s:%ld: cannot keep evidence: %s", path,
					  lineno, strerror(-e));
				break;
			}
		} else if (!strcmp(key, "limit_kind")) {
			bad = set_str(m->limit_kind, sizeof(m->limit_kind), val);
		} else if (!strcmp(key, "limit_source")) {
			bad = set_str(m->limit_source, sizeof(m->limit_source), val);
		} else if (!strcmp(key, "limit_mode")) {
			bad = set_str(m->limit_mode, sizeof(m->limit_mode), val);
		} else if (!strcmp(key, "on_oom")) {
			bad = set_str(m->on_oom, sizeof(m->on_oom), val);
		} else if (!strcmp(key, "limit_bytes")) {
			bad = parse_ll(val, 0, OOMPH_LIMIT_MAX, &ll);
			m->limit_bytes = ll;
		} else if (!strcmp(key, "thrashing")) {
			bad = parse_ll(val, 0, 1, &ll);
			m->thrashing = (int)ll;
		} else if (!strcmp(key, "stopped_for_stall")) {
			bad = parse_ll(val, 0, 1, &ll);
			m->stopped_for_stall = (int)ll;
		} else if (!strcmp(key, "stall_max_pct")) {
			bad = parse_double(val, -1, 100, &m->stall_max_pct);
		} else if (!strcmp(key, "stall_total_s")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->stall_total_s);
		} else if (!strcmp(key, "thrash_seconds")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->thrash_seconds);
		} else if (!strcmp(key, "majflt_max_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->majflt_max_per_s);
		} else if (!strcmp(key, "refault_max_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->refault_max_per_s);
		} else if (!strcmp(key, "swap_allowed_bytes")) {
			bad = parse_ll(val, -1, OOMPH_BYTES_MAX, &ll);
			m->swap.allowed_bytes = ll;
		} else if (!strcmp(key, "swap_machine_bytes")) {
			bad = parse_ll(val, -1, OOMPH_BYTES_MAX, &ll);
			m->swap.machine_bytes = ll;
		} else if (!strcmp(key, "swap_peak_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->swap.peak_bytes = ll;
		} else if (!strcmp(key, "swap_vmswap_peak_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->swap.vmswap_peak_bytes = ll;
		} else if (!strcmp(key, "swap_in_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->swap.in_bytes = ll;
		} else if (!strcmp(key, "swap_out_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->swap.out_bytes = ll;
		} else if (!strcmp(key, "swap_in_max_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->swap.in_max_per_s);
		} else if (!strcmp(key, "swap_out_max_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->swap.out_max_per_s);
		} else if (!strcmp(key, "swap_seconds")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->swap.seconds);
		} else if (!strcmp(key, "swap_scope")) {
			bad = set_str(m->swap.scope, sizeof(m->swap.scope), val);
		} else if (!strcmp(key, "stop_t_s")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->stop.t_s);
		} else if (!strcmp(key, "stop_share_pct")) {
			bad = parse_double(val, -1, 100, &m->stop.share_pct);
		} else if (!strcmp(key, "stop_by")) {
			bad = set_str(m->stop.by, sizeof(m->stop.by), val);
		} else if (!strcmp(key, "stop_readback_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->stop.readback_per_s);
		} else if (!strcmp(key, "stop_swap_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->stop.swap_bytes = ll;
		} else if (!strcmp(key, "stop_in_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->stop.in_per_s);
		} else if (!strcmp(key, "stop_out_per_s")) {
			bad = parse_double(val, -1, RATE_MAX, &m->stop.out_per_s);
		} else if (!strcmp(key, "child_pid")) {
			bad = parse_ll(val, 0, OOMPH_PID_MAX, &ll);
			m->child_pid = (int)ll;
		} else if (!strcmp(key, "exit_code")) {
			bad = parse_ll(val, INT32_MIN, INT32_MAX, &ll);
			m->exit_code = (int)ll;
		} else if (!strcmp(key, "signal")) {
			bad = parse_ll(val, 0, 1024, &ll);
			m->signal = (int)ll;
		} else if (!strcmp(key, "exit_status")) {
			bad = parse_ll(val, INT32_MIN, INT32_MAX, &ll);
			m->exit_status = (int)ll;
		} else if (!strcmp(key, "exact")) {
			bad = parse_ll(val, 0, 1, &ll);
			m->exact = (int)ll;
		} else if (!strcmp(key, "peak_rss_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->peak_rss_bytes = ll;
		} else if (!strcmp(key, "sample_rate")) {
			bad = parse_u64(val, OOMPH_BYTES_MAX, &m->sample_rate);
		} else if (!strcmp(key, "start_unix_s")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->start_unix_s);
		} else if (!strcmp(key, "duration_s")) {
			bad = parse_double(val, 0, OOMPH_TIME_MAX_S, &m->duration_s);
		} else if (!strcmp(key, "status")) {
			bad = set_str(m->status, sizeof(m->status), val);
		} else if (!strcmp(key, "live_state")) {
			/* where oomph report will look: an absolute path or nothing */
			bad = set_str(m->live_state, sizeof(m->live_state), val) ||
			      (val[0] && val[0] != '/');
		} else if (!strcmp(key, "supervisor_pid")) {
			bad = parse_ll(val, 0, OOMPH_PID_MAX, &ll);
			m->supervisor_pid = (int)ll;
		} else if (!strcmp(key, "supervisor_start")) {
			bad = parse_u64(val, UINT64_MAX, &m->supervisor_start);
		} else if (!strcmp(key, "cgroup_dir")) {
			bad = set_str(m->cgroup_dir, sizeof(m->cgroup_dir), val);
		} else if (!strcmp(key, "cgroup_psi_dir")) {
			bad = set_str(m->cgroup_psi_dir, sizeof(m->cgroup_psi_dir), val);
		} else if (!strcmp(key, "job_pss_peak_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->job_pss_peak_bytes = ll;
		} else if (!strcmp(key, "job_rss_how")) {
			bad = set_str(m->job_rss_how, sizeof(m->job_rss_how), val);
		} else if (!strcmp(key, "cgroup_peak_bytes")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->cgroup_peak_bytes = ll;
		} else if (!strcmp(key, "rss_split")) {
			bad = parse_rss_split(m, val);
		} else if (!strcmp(key, "rss_split_own")) {
			bad = parse_ll(val, 0, OOMPH_BYTES_MAX, &ll);
			m->split.own_bytes = ll;
		} else if (!strcmp(key, "proc")) {
			bad = parse_proc(m, val);
			if (bad < 0) {
				rc = err_set(-ENOMEM, err, errlen, "%s: out of memory", path);
				break;
			}
		} else if (!strcmp(key, "team_readable")) {
			bad = parse_ll(val, 0, 1, &ll);
			m->team_readable = (int)ll;
		}
		/* any other key: written by a newer oomph; ignored */
		if (bad) {
			rc = err_set(-EINVAL, err, errlen, "%s:%ld: bad value for `%s`", path, lineno, key);
			break;
		}
	}
	if (!rc && ferror(f))
		rc = err_set(-EIO, err, errlen, "cannot read %s: %s", path, strerror(EIO));
	if (!rc && lineno == 0)
		rc = err_set(-EINVAL, err, errlen, "%s is empty", path);
	free(line);
	fclose(f);
	if (rc) {
		runmeta_free(m);
		memset(m, 0, sizeof(*m));
	}
	return rc;
}

int runmeta_state_dir(const struct runmeta *m, const char *run_dir, char *out, size_t cap)
{
	int n;
	/* running: the live directory; over, but its copy home failed: still
	 * there; else the run directory's own */
	if (m && m->live_state[0])
		n = snprintf(out, cap, "%s", m->live_state);
	else
		n = snprintf(out, cap, "%s/%s", run_dir, RUNMETA_STATE_DIR);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
