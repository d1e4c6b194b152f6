/* supervisor/pressure.c — PSI, major faults, the stall detector (pressure.h). */
#include "supervisor/pressure.h"

#include "common/bounds.h"
#include "common/numfmt.h"
#include "common/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "NAME=" then a decimal in the kernel's "%lu.%02lu" (common/numfmt.h). */
static const char *fixed_field(const char *p, const char *name, size_t n, double *out)
{
	while (*p == ' ')
		p++;
	if (strncmp(p, name, n) != 0)
		return NULL;
	p += n;
	if (numfmt_parse_fixed(&p, out) != 0 || (*p != ' ' && *p != '\n' && *p != '\0'))
		return NULL;
	return p;
}

/* One PSI line after its "some"/"full": the kernel's fixed format by hand
 * (a tick reads it every SUP_TICK_MS), anything else through sscanf. */
static int parse_line(const char *p, struct psi_line *out)
{
	const char *q = fixed_field(p, "avg10=", 6, &out->avg10);
	if (q)
		q = fixed_field(q, "avg60=", 6, &out->avg60);
	if (q)
		q = fixed_field(q, "avg300=", 7, &out->avg300);
	if (q) {
		while (*q == ' ')
			q++;
		if (strncmp(q, "total=", 6) == 0 && q[6] >= '0' && q[6] <= '9') {
			char *end;
			errno = 0;
			unsigned long long t = strtoull(q + 6, &end, 10);
			if (errno == 0 && (*end == '\n' || *end == '\0' || *end == ' ')) {
				out->total_us = t;
				return 0;
			}
		}
	}
	unsigned long long total;
	if (sscanf(p, " avg10=%lf avg60=%lf avg300=%lf total=%llu", &out->avg10, &out->avg60,
		   &out->avg300, &total) != 4)
		return -EINVAL;
	out->total_us = total;
	return 0;
}

int psi_parse(const char *text, struct psi *out)
{
	memset(out, 0, sizeof *out);
	if (strncmp(text, "some", 4) != 0 || parse_line(text + 4, &out->some) != 0)
		return -EINVAL;
	const char *f = strstr(text, "\nfull");
	if (f && parse_line(f + 5, &out->full) != 0)
		memset(&out->full, 0, sizeof out->full);
	return 0;
}

int psi_read(const char *path, struct psi *out)
{
	char buf[512];
	ssize_t rc = read_text_file(path, buf, sizeof buf);
	return rc < 0 ? (int)rc : psi_parse(buf, out);
}

/* The unsigned number of field `want` (counted as in proc(5): pid is 1)
 * of a /proc/PID/stat line, counted after the last ')'. */
static int stat_field(const char *text, int want, uint64_t *out)
{
	const char *p = strrchr(text, ')');
	if (!p || !p[1])
		return -EINVAL; /* no fields after comm (found by fuzz_procfiles) */
	p++;
	/* after comm: " state(3) ppid pgrp ..." — p points at the space
	 * before field 3 */
	for (int field = 3; field < want; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	char *end;
	unsigned long long v = strtoull(p + 1, &end, 10);
	if (end == p + 1)
		return -EINVAL;
	*out = v;
	return 0;
}

int proc_majflt_parse(const char *text, uint64_t *majflt)
{
	return stat_field(text, 12, majflt);
}

int proc_stat_parse(const char *text, uint64_t *majflt, uint64_t *stime_ticks)
{
	int rc = stat_field(text, 12, majflt);
	return rc ? rc : stat_field(text, 15, stime_ticks);
}

int proc_majflt(pid_t pid, uint64_t *majflt)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	ssize_t rc = read_text_file(path, buf, sizeof buf);
	return rc < 0 ? (int)rc : proc_majflt_parse(buf, majflt);
}

/* The number after `key` at the start of a line of text, or -ENODATA. */
static int line_value(const char *text, const char *key, unsigned long long *out)
{
	/* the first line that begins with key: the first line itself, or
	 * where "\nKEY" first occurs (strstr: a tick reads /proc/PID/status
	 * for several keys, some 60 lines each time) */
	char nkey[64];
	size_t n = strlen(key);
	if (n + 2 > sizeof nkey)
		return -EINVAL;
	const char *line = text;
	if (strncmp(text, key, n) != 0) {
		nkey[0] = '\n';
		memcpy(nkey + 1, key, n + 1);
		line = strstr(text, nkey);
		if (!line)
			return -ENODATA;
		line++;
	}
	char *end;
	unsigned long long v = strtoull(line + n, &end, 10);
	if (end == line + n)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A KiB figure after `key` as bytes: -ENODATA absent, -ERANGE beyond any
 * machine. */
static int kib_to_bytes(unsigned long long kb, int64_t *bytes)
{
	int64_t b = kb > (unsigned long long)INT64_MAX ? -1 : kib_bytes((int64_t)kb);
	if (b < 0)
		return -ERANGE;
	*bytes = b;
	return 0;
}

static int kib_value(const char *text, const char *key, int64_t *bytes)
{
	unsigned long long kb;
	int rc = line_value(text, key, &kb);
	return rc ? rc : kib_to_bytes(kb, bytes);
}

int proc_vmswap_parse(const char *text, int64_t *bytes)
{
	return kib_value(text, "VmSwap:", bytes);
}

int proc_vmrss_parse(const char *text, int64_t *bytes)
{
	return kib_value(text, "VmRSS:", bytes);
}

int proc_vmhwm_parse(const char *text, int64_t *bytes)
{
	return kib_value(text, "VmHWM:", bytes);
}

/* A KiB figure at the start of `after` (what follows a line's key), as
 * kib_value reads it after its key. */
static int kib_at(const char *after, int64_t *bytes)
{
	char *end;
	unsigned long long kb = strtoull(after, &end, 10);
	if (end == after)
		return -EINVAL;
	return kib_to_bytes(kb, bytes);
}

int proc_rss_split_parse(const char *text, struct proc_rss_split *out)
{
	/* the lines of /proc/PID/status (RssAnon ...) or of smaps_rollup
	 * (Anonymous ...) that say the same thing; where two say it, the
	 * first in this list wins */
	static const struct {
		const char *key;
		size_t field;
	} keys[] = {
		{"Rss:", offsetof(struct proc_rss_split, rss)},
		{"VmRSS:", offsetof(struct proc_rss_split, rss)},
		{"Pss:", offsetof(struct proc_rss_split, pss)},
		{"Anonymous:", offsetof(struct proc_rss_split, anon)},
		{"RssAnon:", offsetof(struct proc_rss_split, anon)},
		{"RssFile:", offsetof(struct proc_rss_split, file)},
		{"Pss_Shmem:", offsetof(struct proc_rss_split, shmem)},
		{"RssShmem:", offsetof(struct proc_rss_split, shmem)},
		{"Shared_Clean:", offsetof(struct proc_rss_split, shared)},
		{"Shared_Dirty:", offsetof(struct proc_rss_split, shared_dirty)},
		{"Swap:", offsetof(struct proc_rss_split, swap)},
		{"VmSwap:", offsetof(struct proc_rss_split, swap)},
	};
	enum { NKEYS = sizeof keys / sizeof keys[0] };
	/* One pass over the lines (a tick parses a status file of ~60 lines
	 * once or twice: a search of the whole text per key cost ~9,000
	 * instructions).  A line begins with at most one key (each ends in
	 * its colon); the first line that begins with a key is that key's,
	 * as line_value() finds it.  Only a line whose first byte starts a
	 * key is compared with it. */
	int rc_of[NKEYS];
	int64_t v_of[NKEYS];
	size_t len_of[NKEYS];
	unsigned char starts[256] = {0}; /* a byte some key starts with */
	for (size_t i = 0; i < NKEYS; i++) {
		rc_of[i] = -ENODATA;
		len_of[i] = strlen(keys[i].key);
		starts[(unsigned char)keys[i].key[0]] = 1;
	}
	for (const char *line = text; line && *line;) {
		for (size_t i = 0; starts[(unsigned char)line[0]] && i < NKEYS; i++)
			if (keys[i].key[0] == line[0] && keys[i].key[1] == line[1] &&
			    rc_of[i] == -ENODATA && !strncmp(line, keys[i].key, len_of[i])) {
				rc_of[i] = kib_at(line + len_of[i], &v_of[i]);
				break;
			}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	for (size_t i = 0; i < sizeof *out / sizeof(int64_t); i++)
		((int64_t *)out)[i] = -1;
	int found = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		int64_t *f = (int64_t *)((char *)out + keys[i].field);
		int rc = rc_of[i];
		if (rc == -ERANGE || rc == -EINVAL)
			return rc;
		if (rc == 0 && *f < 0) {
			*f = v_of[i];
			found = 1;
		}
	}
	if (!found || out->rss < 0)
		return -ENODATA;
	/* smaps_rollup has no file-backed line: what is neither anonymous nor
	 * shared memory (shmem pages are counted in Pss_Shmem, whole in a
	 * process that alone maps them) */
	if (out->file < 0 && out->anon >= 0) {
		int64_t f = out->rss - out->anon - (out->shmem > 0 ? out->shmem : 0);
		out->file = f > 0 ? f : 0;
	}
	if (out->shared >= 0 && out->shared_dirty >= 0)
		(void)ck_acc_i64(&out->shared, out->shared_dirty);
	return 0;
}

int proc_pss_parse(const char *text, int64_t *bytes)
{
	struct proc_rss_split s;
	int rc = proc_rss_split_parse(text, &s);
	if (rc == 0 && s.pss < 0)
		rc = -ENODATA;
	if (rc == 0)
		*bytes = s.pss;
	return rc;
}

int meminfo_swap_parse(const char *text, int64_t *total, int64_t *free_bytes)
{
	int64_t t, f;
	int rc = kib_value(text, "SwapTotal:", &t);
	if (rc == 0)
		rc = kib_value(text, "SwapFree:", &f);
	if (rc)
		return rc;
	*total = t;
	*free_bytes = f;
	return 0;
}

int memstat_parse(const char *text, struct memstat *out)
{
	/* Pages swapped in and out include the zero-filled ones (swpin_zero,
	 * swpout_zero, kernels from 6.12): they move between memory and swap
	 * like any other, only without disk I/O.  A tick reads /proc/vmstat
	 * (some 200 lines) every SUP_TICK_MS: a line is looked at only when
	 * it begins like a key, and its first word compared only with the keys
	 * of its length. */
#define KEY(s, f) {s, sizeof s - 1, offsetof(struct memstat, f)}
	static const struct {
		const char *key;
		size_t len;
		size_t field;
	} keys[] = {
		KEY("workingset_refault_anon", refaults),
		KEY("workingset_refault_file", refaults),
		KEY("workingset_refault", refaults),
		KEY("swap", swap_bytes),
		KEY("pswpin", pswpin),
		KEY("swpin_zero", pswpin),
		KEY("pswpout", pswpout),
		KEY("swpout_zero", pswpout),
	};
#undef KEY
	out->refaults = out->swap_bytes = out->pswpin = out->pswpout = STALL_UNKNOWN;
	int found = 0;
	for (const char *line = text; *line;) {
		const char *e = line;
		/* every key begins "wo", "sw" or "ps": other lines are skipped
		 * without a look at their word */
		if ((line[0] == 'w' && line[1] == 'o') || (line[0] == 's' && line[1] == 'w') ||
		    (line[0] == 'p' && line[1] == 's'))
			while (*e && *e != ' ' && *e != '\n')
				e++;
		size_t n = (size_t)(e - line);
		if (*e == ' ') {
			for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
				if (keys[k].len != n || memcmp(line, keys[k].key, n) != 0)
					continue;
				uint64_t *dst = (uint64_t *)(void *)((char *)out + keys[k].field);
				uint64_t v = strtoull(e + 1, NULL, 10);
				*dst = *dst == STALL_UNKNOWN ? v : *dst + v;
				found = 1;
			}
		}
		const char *nl = strchr(e, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return found ? 0 : -ENODATA;
}

int memstat_read(const char *path, struct memstat *out)
{
	char buf[16384];
	ssize_t rc = read_text_file(path, buf, sizeof buf);
	if (rc < 0) {
		out->refaults = out->swap_bytes = out->pswpin = out->pswpout = STALL_UNKNOWN;
		return (int)rc;
	}
	return memstat_parse(buf, out);
}

int refaults_parse(const char *text, uint64_t *refaults)
{
	struct memstat ms;
	if (memstat_parse(text, &ms) != 0 || ms.refaults == STALL_UNKNOWN)
		return -ENODATA;
	*refaults = ms.refaults;
	return 0;
}

int refaults_read(const char *path, uint64_t *refaults)
{
	struct memstat ms;
	int rc = memstat_read(path, &ms);
	if (rc == 0 && ms.refaults == STALL_UNKNOWN)
		rc = -ENODATA;
	if (rc == 0)
		*refaults = ms.refaults;
	return rc;
}

void stall_init(struct stall_detector *d, double limit_pct)
{
	memset(d, 0, sizeof *d);
	d->limit_pct = limit_pct;
	d->page_size = sysconf(_SC_PAGESIZE);
	if (d->page_size <= 0)
		d->page_size = 4096;
	d->above_since = -1;
	d->over_since = -1;
	d->swap_since = -1;
	d->first_t = -1;
	d->first_some_us = d->last_some_us = STALL_UNKNOWN;
	d->share_pct = -1;
	d->refault_rate = d->readback_rate = -1;
	d->swapin_rate = d->swapout_rate = -1;
	d->sys_share_pct = -1;
}

double stall_total_s(const struct stall_detector *d)
{
	if (d->first_some_us == STALL_UNKNOWN || d->last_some_us == STALL_UNKNOWN)
		return 0;
	return (double)(d->last_some_us - d->first_some_us) / 1e6;
}

/* (now - then) / span, or -1 when either is unknown or it went back. */
static double rate(uint64_t now, uint64_t then, double span)
{
	if (now == STALL_UNKNOWN || then == STALL_UNKNOWN || now < then || span <= 0)
		return -1;
	return (double)(now - then) / span;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

void stall_feed(struct stall_detector *d, double t, uint64_t some_us, uint64_t refaults)
{
	struct stall_sample s = {
		.t_s = t, .some_us = some_us, .refaults = refaults, .swapin = STALL_UNKNOWN,
		.swapout = STALL_UNKNOWN, .sys_us = STALL_UNKNOWN, .swap_bytes = -1,
	};
	stall_feed_sample(d, &s);
}

void stall_feed_sample(struct stall_detector *d, const struct stall_sample *s)
{
	const struct stall_sample *last = d->n ? &d->ring[(d->head + STALL_RING - 1) % STALL_RING] : NULL;
	double t = s->t_s;
	if (last && (t <= last->t_s || (s->some_us != STALL_UNKNOWN &&
					 last->some_us != STALL_UNKNOWN && s->some_us < last->some_us)))
		return; /* not later, or a counter that went back: ignore */
	if (d->first_t < 0)
		d->first_t = t;
	if (s->some_us != STALL_UNKNOWN) {
		if (d->first_some_us == STALL_UNKNOWN)
			d->first_some_us = s->some_us;
		d->last_some_us = s->some_us;
	}
	/* time spent swapping: each interval moving SWAP_RATE_MIN or more */
	if (last) {
		double dt = t - last->t_s;
		double in = rate(s->swapin, last->swapin, dt), out = rate(s->swapout, last->swapout, dt);
		double moved = (dmax(in, 0) + dmax(out, 0)) * (double)d->page_size;
		if ((in >= 0 || out >= 0) && moved >= SWAP_RATE_MIN && s->swap_bytes != 0)
			d->swap_seconds += dt;
	}
	d->ring[d->head] = *s;
	d->head = (d->head + 1) % STALL_RING;
	if (d->n < STALL_RING)
		d->n++;
	/* the oldest sample still inside the window (or the oldest kept) */
	int oldest = (d->head + STALL_RING - d->n) % STALL_RING;
	for (int k = 0; k < d->n - 1; k++) {
		int next = (oldest + 1) % STALL_RING;
		if (t - d->ring[next].t_s < STALL_WINDOW_S)
			break;
		oldest = next;
	}
	const struct stall_sample *o = &d->ring[oldest];
	double span = t - o->t_s;
	if (span < STALL_WINDOW_S / 2)
		return; /* too short a window to judge */

	double share = rate(s->some_us, o->some_us, span);
	if (share >= 0)
		share = share / 1e4 > 100 ? 100 : share / 1e4;
	d->share_pct = share;
	d->max_share_pct = dmax(d->max_share_pct, share);
	d->refault_rate = rate(s->refaults, o->refaults, span);
	d->max_refault_rate = dmax(d->max_refault_rate, d->refault_rate);
	double page = (double)d->page_size;
	double in = rate(s->swapin, o->swapin, span), out = rate(s->swapout, o->swapout, span);
	d->swapin_rate = in >= 0 ? in * page : -1;
	d->swapout_rate = out >= 0 ? out * page : -1;
	d->max_swapin_rate = dmax(d->max_swapin_rate, d->swapin_rate);
	d->max_swapout_rate = dmax(d->max_swapout_rate, d->swapout_rate);
	double sys = rate(s->sys_us, o->sys_us, span);
	d->sys_share_pct = sys >= 0 ? (sys / 1e4 > 100 ? 100 : sys / 1e4) : -1;
	d->readback_rate = d->refault_rate;
	if (d->swapin_own && in >= 0)
		d->readback_rate = dmax(d->readback_rate, in);

	/* swapping */
	double moved = dmax(d->swapin_rate, 0) + dmax(d->swapout_rate, 0);
	d->swapping_active = (in >= 0 || out >= 0) && moved >= SWAP_RATE_MIN && s->swap_bytes != 0;
	if (d->swapping_active) {
		if (d->swap_since < 0)
			d->swap_since = t; /* first seen now (began within the window) */
		d->swapping_for_s = t - d->swap_since;
		d->swapping_now = d->swapping_for_s >= STALL_SUSTAIN_S;
		if (d->swapping_now)
			d->swapped = 1;
	} else {
		d->swap_since = -1;
		d->swapping_for_s = 0;
		d->swapping_now = 0;
	}

	/* thrashing */
	int reading_back = d->readback_rate >= REFAULT_THRESHOLD;
	if (share >= STALL_THRESHOLD_PCT || reading_back) {
		if (d->above_since < 0)
			d->above_since = t; /* first seen now (began within the window) */
		double lasted = t - d->above_since;
		d->thrashing_now = lasted >= STALL_SUSTAIN_S;
		if (d->thrashing_now) {
			if (!d->thrashing)
				d->thrash_start_s = d->above_since;
			d->thrashing = 1;
			if (lasted > d->thrash_seconds)
				d->thrash_seconds = lasted;
		}
	} else {
		d->above_since = -1;
		d->thrashing_now = 0;
	}

	/* --max-stall */
	enum stall_over by = STALL_OVER_NONE;
	double by_share = -1;
	if (d->limit_pct > 0 && share >= d->limit_pct) {
		by = STALL_OVER_PSI;
		by_share = share;
	} else if (d->limit_pct > 0 && reading_back && d->sys_share_pct >= d->limit_pct) {
		by = STALL_OVER_KERNEL_TIME;
		by_share = d->sys_share_pct;
	}
	if (by != STALL_OVER_NONE) {
		if (d->over_since < 0)
			d->over_since = t;
		if (t - d->over_since >= STALL_SUSTAIN_S && !d->over_limit) {
			d->over_limit = 1;
			d->over_by = by;
			d->over_share_pct = by_share;
		}
	} else {
		d->over_since = -1;
	}
}
