/* Unit tests of supervisor/pressure.c (PSI, /proc/PID/stat, refaults, the
 * stall detector) and supervisor/kmsg.c's line parser. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/bounds.h"
#include "supervisor/kmsg.h"
#include "supervisor/pressure.h"

static void test_psi(void)
{
	struct psi p;
	CHECK_EQ_INT(psi_parse("some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
			       "full avg10=0.75 avg60=0.00 avg300=0.00 total=6543\n", &p), 0);
	CHECK(p.some.avg10 == 1.5);
	CHECK_EQ_INT(p.some.total_us, 123456);
	CHECK_EQ_INT(p.full.total_us, 6543);
	/* old kernels: no "full" line */
	CHECK_EQ_INT(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", &p), 0);
	CHECK_EQ_INT(p.some.total_us, 7);
	CHECK_EQ_INT(p.full.total_us, 0);
	CHECK(psi_parse("", &p) < 0);
	CHECK(psi_parse("some nonsense\n", &p) < 0);
	CHECK(psi_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", &p) < 0);
	/* this machine's own file, when it has PSI */
	if (access("/proc/pressure/memory", R_OK) == 0)
		CHECK_EQ_INT(psi_read("/proc/pressure/memory", &p), 0);
	CHECK(psi_read("/nonexistent/memory.pressure", &p) < 0);
}

static void test_majflt(void)
{
	uint64_t m = 0;
	/* comm may hold spaces and parentheses: count after the last ')' */
	CHECK_EQ_INT(proc_majflt_parse("4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1000 0 77 0 5 6",
				       &m), 0);
	CHECK_EQ_INT(m, 77);
	CHECK_EQ_INT(proc_majflt_parse("1 (init) S 0 1 1 0 -1 4194560 10 20 30 40", &m), 0);
	CHECK_EQ_INT(m, 30);
	CHECK(proc_majflt_parse("garbage", &m) < 0);
	CHECK(proc_majflt_parse("1 (x) S 0", &m) < 0);
	/* nothing after comm: the parser must not read past the text's end
	 * (a heap copy of exactly its size, as ASan sees it; fuzz_procfiles) */
	char *ends = strdup("1 (x)");
	CHECK(proc_majflt_parse(ends, &m) < 0);
	free(ends);
	CHECK_EQ_INT(proc_majflt(getpid(), &m), 0);
}

static void test_refaults(void)
{
	uint64_t r = 0;
	CHECK_EQ_INT(refaults_parse("cache 1\nworkingset_refault_anon 5\nworkingset_refault_file 10\n"
				    "total_workingset_refault_file 99\n", &r), 0);
	CHECK_EQ_INT(r, 15); /* total_* (v1 hierarchical copies) are not added */
	CHECK_EQ_INT(refaults_parse("workingset_refault 42\n", &r), 0); /* old kernels */
	CHECK_EQ_INT(r, 42);
	CHECK(refaults_parse("cache 1\n", &r) < 0);
	if (access("/proc/vmstat", R_OK) == 0)
		CHECK_EQ_INT(refaults_read("/proc/vmstat", &r), 0);
}

/* Feed `seconds` of samples every 0.1 s at a stall share of pct and a
 * refault rate of rps, from time *t, with cumulative counters. */
static void feed(struct stall_detector *d, double *t, uint64_t *us, uint64_t *rf, double seconds,
		 double pct, double rps)
{
	for (double end = *t + seconds; *t < end - 1e-9;) {
		*t += 0.1;
		*us += (uint64_t)(pct / 100.0 * 0.1 * 1e6);
		*rf += (uint64_t)(rps * 0.1);
		stall_feed(d, *t, *us, *rf);
	}
}

static void test_detector(void)
{
	struct stall_detector d;
	double t = 0;
	uint64_t us = 0, rf = 0;

	/* a calm program never thrashes */
	stall_init(&d, 0);
	feed(&d, &t, &us, &rf, 10, 2, 10);
	CHECK_EQ_INT(d.thrashing, 0);
	CHECK(d.max_share_pct > 1.5 && d.max_share_pct < 2.5);

	/* a one-second spike is not thrashing */
	feed(&d, &t, &us, &rf, 1, 90, 0);
	feed(&d, &t, &us, &rf, 5, 0, 0);
	CHECK_EQ_INT(d.thrashing, 0);
	CHECK(d.max_share_pct > 40);

	/* 3 s at 40%: thrashing, starting about when it began */
	double began = t;
	feed(&d, &t, &us, &rf, 4, 40, 0);
	CHECK_EQ_INT(d.thrashing, 1);
	CHECK(d.thrash_start_s > began - 2.1 && d.thrash_start_s < began + 1.0);
	CHECK(d.thrash_seconds >= 2.0);
	CHECK_EQ_INT(d.thrashing_now, 1);
	/* recovery */
	feed(&d, &t, &us, &rf, 4, 0, 0);
	CHECK_EQ_INT(d.thrashing_now, 0);
	CHECK_EQ_INT(d.thrashing, 1); /* it was seen */
	CHECK(stall_total_s(&d) > 1.5);

	/* refaults alone (a fast disk: PSI stays low) */
	stall_init(&d, 0);
	t = 0;
	feed(&d, &t, &us, &rf, 5, 1, 5000);
	CHECK_EQ_INT(d.thrashing, 1);
	CHECK(d.max_refault_rate > 4000 && d.max_refault_rate < 6000);

	/* unknown refaults: PSI alone decides */
	stall_init(&d, 0);
	t = 0;
	for (int i = 1; i <= 50; i++)
		stall_feed(&d, i * 0.1, (uint64_t)i * 1000, UINT64_MAX);
	CHECK_EQ_INT(d.thrashing, 0);
	CHECK(d.refault_rate < 0);

	/* --max-stall 50: 30% never stops it, 70% for 3 s does */
	stall_init(&d, 50);
	t = 0;
	feed(&d, &t, &us, &rf, 5, 30, 0);
	CHECK_EQ_INT(d.over_limit, 0);
	feed(&d, &t, &us, &rf, 3, 70, 0);
	CHECK_EQ_INT(d.over_limit, 1);

	/* time or counters going backwards are ignored */
	stall_init(&d, 0);
	stall_feed(&d, 1.0, 1000, 0);
	stall_feed(&d, 0.5, 5000000, 0);
	stall_feed(&d, 2.0, 500, 0);
	CHECK_EQ_INT(d.n, 1);
}

static void test_swap_counters(void)
{
	uint64_t m = 0, st = 0;
	CHECK_EQ_INT(proc_stat_parse("4242 (a) b) S 1 4242 4242 0 -1 4194560 1000 0 77 0 5 6 0 0", &m,
				     &st), 0);
	CHECK_EQ_INT(m, 77);
	CHECK_EQ_INT(st, 6); /* stime: field 15 */
	CHECK(proc_stat_parse("1 (x) S 0 1 1 0 -1 4194560 10 20 30 40 50", &m, &st) < 0);

	int64_t v = -1, total = -1, free_b = -1;
	CHECK_EQ_INT(proc_vmswap_parse("Name:\tpython3\nVmRSS:\t  1000 kB\nVmSwap:\t   157608 kB\n", &v), 0);
	CHECK_EQ_INT(v, 157608ll * 1024);
	CHECK(proc_vmswap_parse("Name:\tkthreadd\n", &v) < 0); /* kernel threads have none */
	CHECK_EQ_INT(proc_vmrss_parse("Name:\tpython3\nVmHWM:\t 2000 kB\nVmRSS:\t  1000 kB\n", &v), 0);
	CHECK_EQ_INT(v, 1000ll * 1024);
	CHECK(proc_vmrss_parse("Name:\tkthreadd\n", &v) < 0);
	/* a figure no machine holds is refused, not multiplied past int64 */
	CHECK_EQ_INT(proc_vmswap_parse("VmSwap:\t9223372036854775807 kB\n", &v), -ERANGE);
	CHECK_EQ_INT(proc_vmswap_parse("VmSwap:\t99999999999999999999 kB\n", &v), -ERANGE);
	CHECK_EQ_INT(meminfo_swap_parse("MemTotal: 100 kB\nSwapCached: 0 kB\nSwapTotal:  327676 kB\n"
					"SwapFree:  300000 kB\n", &total, &free_b), 0);
	CHECK_EQ_INT(total, 327676ll * 1024);
	CHECK_EQ_INT(free_b, 300000ll * 1024);
	CHECK(meminfo_swap_parse("MemTotal: 100 kB\n", &total, &free_b) < 0);

	/* cgroup v1 memory.stat: swap in bytes, no swap-in counters */
	struct memstat ms;
	CHECK_EQ_INT(memstat_parse("cache 1\nswap 161378304\nswapcached 0\nworkingset_refault_anon 5\n"
				   "workingset_refault_file 10\ntotal_swap 999\n", &ms), 0);
	CHECK_EQ_INT(ms.swap_bytes, 161378304);
	CHECK_EQ_INT(ms.refaults, 15);
	CHECK(ms.pswpin == STALL_UNKNOWN && ms.pswpout == STALL_UNKNOWN);
	/* /proc/vmstat: zero pages swapped without I/O count as swapped */
	CHECK_EQ_INT(memstat_parse("nr_free_pages 1\npswpin 100\npswpout 200\nswap_ra 7\n"
				   "swpin_zero 5\nswpout_zero 6\n", &ms), 0);
	CHECK_EQ_INT(ms.pswpin, 105);
	CHECK_EQ_INT(ms.pswpout, 206);
	CHECK(ms.swap_bytes == STALL_UNKNOWN && ms.refaults == STALL_UNKNOWN);
	CHECK(memstat_parse("nothing 1\n", &ms) < 0);
	if (access("/proc/vmstat", R_OK) == 0) {
		CHECK_EQ_INT(memstat_read("/proc/vmstat", &ms), 0);
		CHECK(ms.pswpin != STALL_UNKNOWN);
	}
}

/* A sample of the counters at t: stall share pct, refaults rps, swap in
 * and out in MiB/s, kernel time share sys_pct, swap in use. */
struct counters {
	double t;
	uint64_t us, rf, in, out, sys;
};

static void feed_swap(struct stall_detector *d, struct counters *c, double seconds, double pct,
		      double rps, double in_mib, double out_mib, double sys_pct, int64_t swap)
{
	double page = (double)d->page_size;
	for (double end = c->t + seconds; c->t < end - 1e-9;) {
		c->t += 0.1;
		c->us += (uint64_t)(pct / 100.0 * 0.1 * 1e6);
		c->rf += (uint64_t)(rps * 0.1);
		c->in += (uint64_t)(in_mib * 1048576.0 * 0.1 / page);
		c->out += (uint64_t)(out_mib * 1048576.0 * 0.1 / page);
		c->sys += (uint64_t)(sys_pct / 100.0 * 0.1 * 1e6);
		struct stall_sample s = {c->t, c->us, c->rf, c->in, c->out, c->sys, swap};
		stall_feed_sample(d, &s);
	}
}

static void restart(struct stall_detector *d, struct counters *c, double limit_pct)
{
	stall_init(d, limit_pct);
	*c = (struct counters){0};
}

static void test_swap_detector(void)
{
	struct stall_detector d;
	struct counters c = {0};

	/* swapping 8 MiB/s each way with 100 MiB in swap, for 4 s */
	stall_init(&d, 0);
	feed_swap(&d, &c, 1, 0, 0, 0, 0, 0, 0);
	CHECK_EQ_INT(d.swapping_active, 0);
	feed_swap(&d, &c, 1.5, 0, 0, 8, 8, 0, 100 << 20);
	CHECK_EQ_INT(d.swapping_active, 1);
	CHECK_EQ_INT(d.swapping_now, 0); /* not for 2 s yet */
	feed_swap(&d, &c, 2.5, 0, 0, 8, 8, 0, 100 << 20);
	CHECK_EQ_INT(d.swapping_now, 1);
	CHECK_EQ_INT(d.swapped, 1);
	CHECK(d.swapping_for_s >= 2.0 && d.swapping_for_s <= 5.0);
	CHECK(d.swapin_rate > 7.5 * 1048576 && d.swapin_rate < 8.5 * 1048576);
	CHECK(d.max_swapout_rate > 7.5 * 1048576 && d.max_swapout_rate < 8.5 * 1048576);
	CHECK(d.swap_seconds > 3.8 && d.swap_seconds < 4.2);
	/* swap-ins of the machine are not the program's working set: no
	 * thrashing from them alone */
	CHECK_EQ_INT(d.thrashing, 0);
	/* it stops */
	feed_swap(&d, &c, 3, 0, 0, 0, 0, 0, 100 << 20);
	CHECK_EQ_INT(d.swapping_now, 0);
	CHECK_EQ_INT(d.swapping_active, 0);
	CHECK(d.swap_seconds > 3.8 && d.swap_seconds < 4.2);

	/* the same traffic while the program has nothing in swap: someone
	 * else's, not its */
	restart(&d, &c, 0);
	feed_swap(&d, &c, 5, 0, 0, 8, 8, 0, 0);
	CHECK_EQ_INT(d.swapped, 0);
	CHECK(d.swap_seconds == 0);

	/* a burst of 1 s: time spent swapping, but not sustained */
	restart(&d, &c, 0);
	feed_swap(&d, &c, 1, 0, 0, 0, 0, 0, 0);
	feed_swap(&d, &c, 1, 0, 0, 0, 40, 0, 40 << 20);
	feed_swap(&d, &c, 3, 0, 0, 0, 0, 0, 40 << 20);
	CHECK_EQ_INT(d.swapped, 0);
	CHECK(d.swap_seconds > 0.9 && d.swap_seconds < 1.1);
	/* below 1 MiB/s: cold pages trickling out, not swapping */
	feed_swap(&d, &c, 5, 0, 0, 0, 0.5, 0, 40 << 20);
	CHECK(d.swap_seconds < 1.1);

	/* the program's own swap-ins (its cgroup counts them) are its working
	 * set read back: thrashing even with PSI low */
	restart(&d, &c, 0);
	d.swapin_own = 1;
	feed_swap(&d, &c, 5, 2, 0, 16, 16, 0, 100 << 20);
	CHECK_EQ_INT(d.thrashing, 1);
	CHECK(d.readback_rate > 3500); /* 16 MiB/s = 4096 pages/s */

	/* --max-stall 30 where PSI sees little: its working set read back and
	 * half its time in the kernel stop it, said as such */
	restart(&d, &c, 30);
	feed_swap(&d, &c, 5, 5, 5000, 8, 8, 50, 100 << 20);
	CHECK_EQ_INT(d.over_limit, 1);
	CHECK_EQ_INT(d.over_by, STALL_OVER_KERNEL_TIME);
	CHECK(d.over_share_pct > 45 && d.over_share_pct < 55);
	/* ... but kernel time without memory trouble (a program busy in
	 * system calls) is not a stall */
	restart(&d, &c, 30);
	feed_swap(&d, &c, 5, 5, 10, 0, 0, 90, 0);
	CHECK_EQ_INT(d.over_limit, 0);
	/* PSI over the limit: stopped by PSI */
	restart(&d, &c, 30);
	feed_swap(&d, &c, 5, 60, 5000, 8, 8, 50, 100 << 20);
	CHECK_EQ_INT(d.over_limit, 1);
	CHECK_EQ_INT(d.over_by, STALL_OVER_PSI);
	CHECK(d.over_share_pct > 55 && d.over_share_pct < 65);

	/* no PSI at all (a kernel without it): rates still come, share unknown */
	stall_init(&d, 0);
	for (int i = 1; i <= 30; i++) {
		struct stall_sample s = {i * 0.1, STALL_UNKNOWN, STALL_UNKNOWN, (uint64_t)i * 1000,
					 (uint64_t)i * 1000, STALL_UNKNOWN, 1 << 20};
		stall_feed_sample(&d, &s);
	}
	CHECK(d.share_pct < 0);
	CHECK(d.sys_share_pct < 0);
	CHECK(d.swapin_rate > 0);
	CHECK_EQ_INT(d.swapping_now, 1);
	CHECK(stall_total_s(&d) == 0);
}

static void test_kmsg_lines(void)
{
	CHECK_EQ_INT(kmsg_parse_oom_kill("3,1234,5678901,-;Memory cgroup out of memory: Killed process "
					 "4242 (python3) total-vm:123kB, anon-rss:100kB"), 4242);
	CHECK_EQ_INT(kmsg_parse_oom_kill("3,99,1,-;Out of memory: Killed process 17 (java) "), 17);
	CHECK_EQ_INT(kmsg_parse_oom_kill("6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
					 "task=python3,pid=31337,uid=0"), 31337);
	CHECK_EQ_INT(kmsg_parse_oom_kill("6,1,2,-;oom-kill:constraint=CONSTRAINT_NONE,task=x,pid=77\n"),
		     77);
	CHECK_EQ_INT(kmsg_parse_oom_kill("6,1,2,-;python3[5247]: segfault at 0 ip 00007f"), 0);
	CHECK_EQ_INT(kmsg_parse_oom_kill("6,1,2,-;Killed process abc (x)"), 0);
	CHECK_EQ_INT(kmsg_parse_oom_kill("6,1,2,-;usb 1-1: new device, pid=12 found"), 0);
	int fd = kmsg_open();
	if (fd >= 0) {
		pid_t pids[1] = {getpid()}, who = 0;
		char line[256];
		/* only records from now on: our pid was never OOM-killed */
		CHECK_EQ_INT(kmsg_find_oom_kill(fd, pids, 1, &who, line, sizeof line), 0);
		close(fd);
	}
}

/* What RSS is made of: one parser for smaps_rollup and status. */
static void test_rss_split(void)
{
	static const char rollup[] =
		"55a2f8d6d000-7fff3c139000 ---p 00000000 00:00 0                          [rollup]\n"
		"Rss:              614400 kB\nPss:              600000 kB\nPss_Dirty:        590000 kB\n"
		"Pss_Anon:         590000 kB\nPss_File:          10000 kB\nPss_Shmem:          2048 kB\n"
		"Shared_Clean:      20000 kB\nShared_Dirty:         48 kB\nPrivate_Clean:      4000 kB\n"
		"Private_Dirty:    590352 kB\nReferenced:       614400 kB\nAnonymous:        590000 kB\n"
		"KSM:                   0 kB\nLazyFree:              0 kB\nSwap:               100 kB\n"
		"SwapPss:             100 kB\nLocked:                0 kB\n";
	struct proc_rss_split r;
	CHECK_EQ_INT(proc_rss_split_parse(rollup, &r), 0);
	CHECK_EQ_INT(r.rss, 614400ll << 10);
	CHECK_EQ_INT(r.pss, 600000ll << 10);
	CHECK_EQ_INT(r.anon, 590000ll << 10);
	CHECK_EQ_INT(r.shmem, 2048ll << 10);
	CHECK_EQ_INT(r.file, (614400ll - 590000 - 2048) << 10); /* neither anon nor shmem */
	CHECK_EQ_INT(r.shared, 20048ll << 10);
	CHECK_EQ_INT(r.swap, 100ll << 10); /* not SwapPss */
	int64_t v;
	CHECK_EQ_INT(proc_pss_parse(rollup, &v), 0);
	CHECK_EQ_INT(v, 600000ll << 10);
	static const char status[] = "Name:\tpython3\nVmHWM:\t 3000 kB\nVmRSS:\t    1984 kB\n"
				     "RssAnon:\t     168 kB\nRssFile:\t    1800 kB\nRssShmem:\t      16 kB\n"
				     "VmSwap:\t       0 kB\n";
	CHECK_EQ_INT(proc_rss_split_parse(status, &r), 0);
	CHECK_EQ_INT(r.rss, 1984ll << 10);
	CHECK_EQ_INT(r.anon, 168ll << 10);
	CHECK_EQ_INT(r.file, 1800ll << 10);
	CHECK_EQ_INT(r.shmem, 16ll << 10);
	CHECK_EQ_INT(r.pss, -1);
	CHECK_EQ_INT(r.shared, -1);
	CHECK_EQ_INT(proc_pss_parse(status, &v), -ENODATA);
	CHECK_EQ_INT(proc_rss_split_parse("Name:\tkthreadd\n", &r), -ENODATA);
	CHECK_EQ_INT(proc_rss_split_parse("Rss: 99999999999999999999 kB\n", &r), -ERANGE);
}

/* The parse as it was, a search of the whole text per key: the one pass
 * over the lines must give the same answer for any text. */
static int ref_value(const char *text, const char *key, int64_t *bytes)
{
	char nkey[64];
	size_t n = strlen(key);
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
	unsigned long long kb = strtoull(line + n, &end, 10);
	if (end == line + n)
		return -EINVAL;
	int64_t b = kb > (unsigned long long)INT64_MAX ? -1 : kib_bytes((int64_t)kb);
	if (b < 0)
		return -ERANGE;
	*bytes = b;
	return 0;
}

static int ref_split(const char *text, struct proc_rss_split *out)
{
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
	for (size_t i = 0; i < sizeof *out / sizeof(int64_t); i++)
		((int64_t *)out)[i] = -1;
	int found = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int64_t *f = (int64_t *)((char *)out + keys[i].field);
		int64_t v;
		int rc = ref_value(text, keys[i].key, &v);
		if (rc == -ERANGE || rc == -EINVAL)
			return rc;
		if (rc == 0 && *f < 0) {
			*f = v;
			found = 1;
		}
	}
	if (!found || out->rss < 0)
		return -ENODATA;
	if (out->file < 0 && out->anon >= 0) {
		int64_t f = out->rss - out->anon - (out->shmem > 0 ? out->shmem : 0);
		out->file = f > 0 ? f : 0;
	}
	if (out->shared >= 0 && out->shared_dirty >= 0)
		(void)ck_acc_i64(&out->shared, out->shared_dirty);
	return 0;
}

static void test_rss_split_is_the_search(void)
{
	static const char *const lines[] = {
		"Rss:  614400 kB", "Pss:\t600 kB", "Anonymous: 59 kB", "RssAnon:\t 168 kB",
		"RssFile: 1800 kB", "Pss_Shmem: 2048 kB", "RssShmem: 16 kB", "Shared_Clean: 20 kB",
		"Shared_Dirty: 48 kB", "Swap: 100 kB", "SwapPss: 100 kB", "VmSwap: 0 kB",
		"VmRSS: 1984 kB", "Name:\tpython3", "Rss: x kB", "Pss: 99999999999999999999 kB",
		"RssAnonymous: 5 kB", "Rss", "", "Rss:7", "x Rss: 1 kB", "VmRSS:"};
	uint64_t rng = 0x243f6a8885a308d3ull;
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		char text[1024] = "";
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int n = (int)(rng % 12);
		for (int k = 0; k < n; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			strcat(text, lines[rng % (sizeof lines / sizeof lines[0])]);
			if (k + 1 < n || (rng & 256))
				strcat(text, "\n");
		}
		struct proc_rss_split a, b;
		memset(&a, 0x55, sizeof a);
		memset(&b, 0x55, sizeof b);
		int ra = proc_rss_split_parse(text, &a), rb = ref_split(text, &b);
		bad += ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0);
	}
	/* this machine's own files */
	static const char *const files[] = {"/proc/self/status", "/proc/self/smaps_rollup"};
	for (int i = 0; i < 2; i++) {
		char text[8192];
		FILE *f = fopen(files[i], "r");
		if (!f)
			continue;
		size_t got = fread(text, 1, sizeof text - 1, f);
		fclose(f);
		text[got] = 0;
		struct proc_rss_split a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		int ra = proc_rss_split_parse(text, &a), rb = ref_split(text, &b);
		bad += ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0);
	}
	CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	test_rss_split_is_the_search();
	test_rss_split();
	test_psi();
	test_majflt();
	test_refaults();
	test_detector();
	test_swap_counters();
	test_swap_detector();
	test_kmsg_lines();
	return check_summary();
}
