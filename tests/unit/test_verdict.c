/* Unit tests of supervisor/verdict.c: every verdict from hand-made
 * evidence, and the sentences it rests on. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "supervisor/verdict.h"

/* A profile with one Python frame (app.py:12 (load)) at node 1. */
static void make_profile(struct profile *p)
{
	uint32_t f, n;
	profile_init(p);
	profile_add_frame(p, "app.py", "load", 12, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(p, 0, f, 100, 100, &n);
}

static void add_failure(struct profile *p, uint64_t size)
{
	p->failures = calloc(1, sizeof(*p->failures));
	p->nfailures = 1;
	p->failures_total = 1;
	p->failures[0].size = size;
	p->failures[0].node = 1;
	p->failures[0].err = ENOMEM;
	p->failures[0].time_s = 0.5;
	strcpy(p->failures[0].call, "malloc");
}

/* All evidence joined with " | ", for CHECK_STR_CONTAINS. */
static const char *evidence(const struct runmeta *m)
{
	static char all[8192];
	all[0] = 0;
	for (int i = 0; i < m->nevidence; i++) {
		strncat(all, m->evidence[i], sizeof(all) - strlen(all) - 4);
		strcat(all, " | ");
	}
	return all;
}

static void decide(const struct verdict_input *in, struct runmeta *m)
{
	memset(m, 0, sizeof(*m));
	CHECK_EQ_INT(verdict_decide(in, m), 0);
}

int main(void)
{
	struct runmeta m;
	struct profile p;

	/* a plain exit */
	make_profile(&p);
	decide(&(struct verdict_input){.exit_code = 0, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "exited");
	CHECK_EQ_INT(m.nevidence, 0);
	runmeta_free(&m);

	/* MemoryError not caught: memory-error names the size and the line */
	add_failure(&p, 10000000000000ull);
	decide(&(struct verdict_input){.exit_code = 1, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "memory-error");
	CHECK_STR_CONTAINS(evidence(&m), "malloc of 9.1 TiB (10000000000000 bytes)");
	CHECK_STR_CONTAINS(evidence(&m), "asked by app.py:12 (load)");
	CHECK_STR_CONTAINS(evidence(&m), "ENOMEM");
	CHECK_STR_CONTAINS(evidence(&m), "exited with code 1");
	runmeta_free(&m);

	/* MemoryError caught, program finished: exited, failure reported */
	decide(&(struct verdict_input){.exit_code = 0, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "exited");
	CHECK_STR_CONTAINS(evidence(&m), "1 allocation failed");
	CHECK_STR_CONTAINS(evidence(&m), "survived");
	runmeta_free(&m);

	/* SIGSEGV near NULL after a failed allocation: null-dereference */
	p.fault_signal = SIGSEGV;
	p.fault_addr = 0x40;
	p.fault_node = 1;
	decide(&(struct verdict_input){.signal = SIGSEGV, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "null-dereference");
	CHECK_STR_CONTAINS(evidence(&m), "SIGSEGV at address 0x40 (near NULL)");
	CHECK_STR_CONTAINS(evidence(&m), "app.py:12 (load)");
	runmeta_free(&m);

	/* SIGSEGV far from NULL: a crash, not a memory death */
	p.fault_addr = 0x7f0000001000ull;
	decide(&(struct verdict_input){.signal = SIGSEGV, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "signal");
	CHECK_STR_CONTAINS(evidence(&m), "not near NULL");
	runmeta_free(&m);
	profile_free(&p);

	/* SIGSEGV near NULL without any failed allocation: signal */
	make_profile(&p);
	p.fault_signal = SIGSEGV;
	p.fault_addr = 0;
	decide(&(struct verdict_input){.signal = SIGSEGV, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "signal");
	CHECK_STR_CONTAINS(evidence(&m), "no allocation had failed");
	runmeta_free(&m);

	/* SIGKILL, kernel log names the pid: oom-killed, which evidence said */
	decide(&(struct verdict_input){.signal = SIGKILL, .main = &p, .pid = 42,
				       .kmsg_readable = 1, .cgroup_oom_kills = -1,
				       .kmsg_line = "Memory cgroup out of memory: Killed process 42 (python3)"},
	       &m);
	CHECK_STR_EQ(m.verdict, "oom-killed");
	CHECK_STR_CONTAINS(evidence(&m), "the kernel log names process 42");
	runmeta_free(&m);

	/* SIGKILL, oomph's own cgroup counted an OOM kill: oom-killed */
	decide(&(struct verdict_input){.signal = SIGKILL, .main = &p, .cgroup_oom_kills = 1,
				       .cgroup_private = 1, .cgroup_dir = "/sys/fs/cgroup/memory/x"},
	       &m);
	CHECK_STR_EQ(m.verdict, "oom-killed");
	CHECK_STR_CONTAINS(evidence(&m), "oom_kill counter of oomph's own memory cgroup /sys/fs/cgroup/memory/x rose by 1");
	runmeta_free(&m);

	/* SIGKILL, a shared cgroup's counter moved, nothing else: killed */
	decide(&(struct verdict_input){.signal = SIGKILL, .main = &p, .cgroup_oom_kills = 2,
				       .kmsg_readable = 1, .cgroup_dir = "/shared"},
	       &m);
	CHECK_STR_EQ(m.verdict, "killed");
	CHECK_STR_CONTAINS(evidence(&m), "not proof on its own");
	runmeta_free(&m);

	/* kill -9 from outside, no evidence: killed, said plainly */
	decide(&(struct verdict_input){.signal = SIGKILL, .main = &p, .cgroup_oom_kills = 0,
				       .kmsg_readable = 1},
	       &m);
	CHECK_STR_EQ(m.verdict, "killed");
	CHECK_STR_CONTAINS(evidence(&m), "no sign of the kernel's OOM killer");
	CHECK_STR_CONTAINS(evidence(&m), "does not name the process");
	CHECK_STR_CONTAINS(evidence(&m), "did not move");
	runmeta_free(&m);

	/* other signals */
	decide(&(struct verdict_input){.signal = SIGTERM, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "signal");
	CHECK_STR_CONTAINS(evidence(&m), "signal 15 (SIGTERM)");
	runmeta_free(&m);

	/* stopped near OOM by the tracker, with its moment */
	p.stopped_near_oom = 1;
	p.moment_self = calloc(p.nnodes, sizeof(int64_t));
	p.moment_headroom = 99 << 20;
	p.oom_threshold = 100 << 20;
	p.moment_bytes = 150 << 20;
	p.moment_time_s = 1.25;
	strcpy(p.moment_reason, "near-oom");
	memset(&m, 0, sizeof(m));
	m.limit_bytes = 300 << 20;
	strcpy(m.limit_source, "cgroup v1 memory.limit_in_bytes of /x");
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.signal = SIGKILL, .main = &p,
							    .cgroup_oom_kills = -1},
				    &m),
		     0);
	CHECK_STR_EQ(m.verdict, "stopped-near-oom");
	CHECK_STR_CONTAINS(evidence(&m), "only 99.0 MiB left below the limit at 1.25 s (threshold 100.0 MiB)");
	CHECK_STR_CONTAINS(evidence(&m), "memory limit in force: 300.0 MiB (cgroup v1 memory.limit_in_bytes of /x)");
	runmeta_free(&m);
	profile_free(&p);

	/* no profile at all (not a Python program): still a verdict */
	decide(&(struct verdict_input){.signal = SIGKILL, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "killed");
	CHECK_STR_CONTAINS(evidence(&m), "could not be read");
	runmeta_free(&m);

	/* --max-stall */
	decide(&(struct verdict_input){.signal = SIGKILL, .stopped_for_stall = 1,
				       .max_stall_pct = 40, .cgroup_oom_kills = -1},
	       &m);
	CHECK_STR_EQ(m.verdict, "stopped-near-oom");
	CHECK_STR_CONTAINS(evidence(&m), "more than 40%");
	runmeta_free(&m);

	/* runmeta keeps the evidence across save/load */
	memset(&m, 0, sizeof(m));
	runmeta_add_evidence(&m, "line one with spaces, %d%% and\na newline", 50);
	runmeta_add_evidence(&m, "two");
	strcpy(m.verdict, "exited");
	m.limit_bytes = 123;
	strcpy(m.limit_source, "RLIMIT_AS (soft limit)");
	m.thrashing = 1;
	m.stall_max_pct = 42.5;
	char dir[] = "/tmp/oomph-test-verdict-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char err[512];
	CHECK_EQ_INT(runmeta_save(dir, &m, err, sizeof err), 0);
	struct runmeta back;
	CHECK_EQ_INT(runmeta_load(dir, &back, err, sizeof err), 0);
	CHECK_EQ_INT(back.nevidence, 2);
	if (back.nevidence == 2) {
		CHECK_STR_EQ(back.evidence[0], "line one with spaces, 50% and\na newline");
		CHECK_STR_EQ(back.evidence[1], "two");
	}
	CHECK_EQ_INT(back.limit_bytes, 123);
	CHECK_STR_EQ(back.limit_source, "RLIMIT_AS (soft limit)");
	CHECK_EQ_INT(back.thrashing, 1);
	CHECK(back.stall_max_pct == 42.5);
	runmeta_free(&back);
	runmeta_free(&m);
	char path[600];
	snprintf(path, sizeof path, "%s/run.meta", dir);
	unlink(path);
	rmdir(dir);
	return check_summary();
}
