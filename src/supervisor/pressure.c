/* supervisor/pressure.c — PSI, major faults, the stall detector (pressure.h). */
#include "supervisor/pressure.h"

#include "common/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_line(const char *p, struct psi_line *out)
{
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

int proc_majflt_parse(const char *text, uint64_t *majflt)
{
	const char *p = strrchr(text, ')');
	if (!p || !p[1])
		return -EINVAL; /* no fields after comm (found by fuzz_procfiles) */
	p++;
	/* after comm: state(3) ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt(12) */
	for (int field = 3; field < 12; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	char *end;
	unsigned long long v = strtoull(p + 1, &end, 10);
	if (end == p + 1)
		return -EINVAL;
	*majflt = v;
	return 0;
}

int proc_majflt(pid_t pid, uint64_t *majflt)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	ssize_t rc = read_text_file(path, buf, sizeof buf);
	return rc < 0 ? (int)rc : proc_majflt_parse(buf, majflt);
}

int refaults_parse(const char *text, uint64_t *refaults)
{
	static const char *const keys[] = {"workingset_refault_anon ", "workingset_refault_file ",
					   "workingset_refault "};
	uint64_t sum = 0;
	int found = 0;
	for (const char *line = text; *line;) {
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			size_t n = strlen(keys[k]);
			if (!strncmp(line, keys[k], n)) {
				sum += strtoull(line + n, NULL, 10);
				found = 1;
			}
		}
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!found)
		return -ENODATA;
	*refaults = sum;
	return 0;
}

int refaults_read(const char *path, uint64_t *refaults)
{
	char buf[8192];
	ssize_t rc = read_text_file(path, buf, sizeof buf);
	return rc < 0 ? (int)rc : refaults_parse(buf, refaults);
}

void stall_init(struct stall_detector *d, double limit_pct)
{
	memset(d, 0, sizeof *d);
	d->limit_pct = limit_pct;
	d->above_since = -1;
	d->over_since = -1;
	d->first_t = -1;
	d->refault_rate = -1;
}

double stall_total_s(const struct stall_detector *d)
{
	return d->n ? (double)(d->last_some_us - d->first_some_us) / 1e6 : 0;
}

void stall_feed(struct stall_detector *d, double t, uint64_t some_us, uint64_t refaults)
{
	if (d->n && (t <= d->ring[(d->head + STALL_RING - 1) % STALL_RING].t ||
		     some_us < d->last_some_us))
		return; /* not later, or a counter that went back: ignore */
	if (d->first_t < 0) {
		d->first_t = t;
		d->first_some_us = some_us;
	}
	d->last_some_us = some_us;
	d->ring[d->head].t = t;
	d->ring[d->head].some_us = some_us;
	d->ring[d->head].refaults = refaults;
	d->head = (d->head + 1) % STALL_RING;
	if (d->n < STALL_RING)
		d->n++;
	/* the oldest sample still inside the window (or the oldest kept) */
	int oldest = (d->head + STALL_RING - d->n) % STALL_RING;
	for (int k = 0; k < d->n - 1; k++) {
		int next = (oldest + 1) % STALL_RING;
		if (t - d->ring[next].t < STALL_WINDOW_S)
			break;
		oldest = next;
	}
	double span = t - d->ring[oldest].t;
	if (span < STALL_WINDOW_S / 2)
		return; /* too short a window to judge */
	double share = (double)(some_us - d->ring[oldest].some_us) / 1e4 / span;
	if (share > 100)
		share = 100;
	d->share_pct = share;
	if (share > d->max_share_pct)
		d->max_share_pct = share;
	uint64_t r0 = d->ring[oldest].refaults;
	d->refault_rate = refaults != UINT64_MAX && r0 != UINT64_MAX && refaults >= r0
				  ? (double)(refaults - r0) / span
				  : -1;
	if (d->refault_rate > d->max_refault_rate)
		d->max_refault_rate = d->refault_rate;
	if (share >= STALL_THRESHOLD_PCT || d->refault_rate >= REFAULT_THRESHOLD) {
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
	if (d->limit_pct > 0 && share >= d->limit_pct) {
		if (d->over_since < 0)
			d->over_since = t;
		if (t - d->over_since >= STALL_SUSTAIN_S)
			d->over_limit = 1;
	} else {
		d->over_since = -1;
	}
}
