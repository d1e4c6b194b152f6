/* Unit tests of supervisor/pressure.c (PSI, /proc/PID/stat, refaults, the
 * stall detector) and supervisor/kmsg.c's line parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
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

int main(void)
{
	test_psi();
	test_majflt();
	test_refaults();
	test_detector();
	test_kmsg_lines();
	return check_summary();
}
