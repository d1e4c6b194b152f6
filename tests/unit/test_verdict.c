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
	CHECK(!strstr(evidence(&m), "uncaught"));
	runmeta_free(&m);

	/* ... and the exception its tracker recorded confirms it */
	strcpy(p.exc_type, "MemoryError");
	decide(&(struct verdict_input){.exit_code = 1, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_EQ(m.verdict, "memory-error");
	CHECK_STR_CONTAINS(evidence(&m), "it then exited with code 1 (uncaught MemoryError) | ");
	runmeta_free(&m);
	/* or says what the program died of instead, by its class's name */
	strcpy(p.exc_type, "numpy.core._exceptions._ArrayMemoryError");
	strcpy(p.exc_message, "Unable to allocate 8.00 GiB for an array with shape (1073741824,)");
	decide(&(struct verdict_input){.exit_code = 1, .main = &p, .cgroup_oom_kills = -1}, &m);
	CHECK_STR_CONTAINS(evidence(&m), "it then exited with code 1 (uncaught _ArrayMemoryError: "
					 "Unable to allocate 8.00 GiB for an array with shape "
					 "(1073741824,))");
	runmeta_free(&m);
	p.exc_type[0] = p.exc_message[0] = 0;

	/* the first failure is cited (later ones are often the error
	 * handling's), and from numpy the program's line that called it */
	{
		struct profile q;
		uint32_t f, g, n1, n2;
		make_profile(&q);
		profile_add_frame(&q, "/usr/lib/python3/dist-packages/numpy/core/numeric.py", "ones",
				  205, PROFILE_FRAME_PYTHON, &g);
		profile_add_node(&q, 1, g, 0, 0, &n2);
		profile_add_frame(&q, "app.py", "report", 30, PROFILE_FRAME_PYTHON, &f);
		profile_add_node(&q, 0, f, 0, 0, &n1);
		q.failures = calloc(2, sizeof(*q.failures));
		q.nfailures = 2;
		q.failures_total = 2;
		q.failures[0] = (struct profile_failure){.size = 1ull << 42, .node = n2, .err = ENOMEM,
							 .time_s = 0.5, .call = "calloc"};
		q.failures[1] = (struct profile_failure){.size = 4096, .node = n1, .err = ENOMEM,
							 .time_s = 0.6, .call = "malloc"};
		decide(&(struct verdict_input){.exit_code = 1, .main = &q, .cgroup_oom_kills = -1}, &m);
		CHECK_STR_CONTAINS(evidence(&m), "2 allocations failed; the first: calloc of 4.0 TiB "
						 "(4398046511104 bytes) asked by app.py:12 (load) via "
						 "numpy/core/numeric.py:205 (ones) failed with ENOMEM at 0.50 s");
		runmeta_free(&m);
		profile_free(&q);
	}

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
	CHECK_STR_CONTAINS(evidence(&m), "oom_kill counter of oomph's own memory cgroup (--limit) rose by 1");
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

	/* --max-stall: its own verdict, the moment and the swap as evidence */
	memset(&m, 0, sizeof m);
	m.stopped_for_stall = 1;
	m.stop = (struct runmeta_stop){.t_s = 2.88, .share_pct = 29.3, .readback_per_s = 5264,
				       .swap_bytes = 69ll << 20, .in_per_s = 20 << 20,
				       .out_per_s = 21 << 20};
	strcpy(m.stop.by, "psi");
	m.swap = (struct runmeta_swap){.allowed_bytes = 300ll << 20, .machine_bytes = 320ll << 20,
				       .peak_bytes = 69ll << 20, .vmswap_peak_bytes = 81ll << 20,
				       .in_max_per_s = 20 << 20, .out_max_per_s = 66 << 20,
				       .seconds = 2.1};
	strcpy(m.swap.scope, "machine");
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.signal = SIGKILL, .stopped_for_stall = 1,
							    .max_stall_pct = 10,
							    .cgroup_oom_kills = -1},
				    &m),
		     0);
	CHECK_STR_EQ(m.verdict, "stopped-thrashing");
	CHECK_STR_CONTAINS(evidence(&m),
			   "at 2.88 s it had been stalled on memory 29% of the time (PSI) for 2 s on end: more than --max-stall 10%; oomph stopped it");
	CHECK_STR_CONTAINS(evidence(&m), "at that moment 69.0 MiB of it was in swap, 20.0 MiB/s swapped in and 21.0 MiB/s out");
	CHECK_STR_CONTAINS(evidence(&m),
			   "it swapped for 2.1 s: up to 69.0 MiB in swap (VmSwap of its processes up to 81.0 MiB), up to 20.0 MiB/s swapped in and 66.0 MiB/s out (the whole machine's counters); swap allowed: 300.0 MiB beyond the memory limit; the machine has 320.0 MiB of swap");
	runmeta_free(&m);
	/* ... stopped on kernel time where PSI saw little */
	memset(&m, 0, sizeof m);
	m.stopped_for_stall = 1;
	m.stop = (struct runmeta_stop){.t_s = 5.5, .share_pct = 52, .readback_per_s = 4000};
	strcpy(m.stop.by, "kernel-time");
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.signal = SIGKILL, .stopped_for_stall = 1,
							    .max_stall_pct = 40,
							    .cgroup_oom_kills = -1},
				    &m),
		     0);
	CHECK_STR_EQ(m.verdict, "stopped-thrashing");
	CHECK_STR_CONTAINS(evidence(&m),
			   "at 5.50 s its working set had been read back from swap or disk (4000 pages/s) while it spent 52% of its time in the kernel, for 2 s on end: more than --max-stall 40%");
	CHECK(strstr(evidence(&m), "in swap") == NULL); /* it had none */
	runmeta_free(&m);

	/* it swapped and thrashed, and finished: exited, with the figures */
	memset(&m, 0, sizeof m);
	m.thrashing = 1;
	m.thrash_seconds = 14.1;
	m.stall_max_pct = 81;
	m.stall_total_s = 6.3;
	m.refault_max_per_s = 16028;
	m.majflt_max_per_s = 18165;
	m.limit_bytes = 150ll << 20;
	strcpy(m.limit_source, "cgroup v1 memory.limit_in_bytes of /x");
	m.swap = (struct runmeta_swap){.allowed_bytes = 300ll << 20, .machine_bytes = 320ll << 20,
				       .peak_bytes = 154ll << 20, .vmswap_peak_bytes = 157ll << 20,
				       .in_max_per_s = 15 << 20, .out_max_per_s = 33 << 20,
				       .seconds = 10.5};
	strcpy(m.swap.scope, "cgroup");
	make_profile(&p);
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.main = &p, .cgroup_oom_kills = -1}, &m), 0);
	CHECK_STR_EQ(m.verdict, "exited");
	CHECK_STR_CONTAINS(evidence(&m), "it thrashed for 14.1 s on end: stalled on memory up to 81% of the time (6.3 s stalled in all, PSI), up to 16028 pages/s of its working set read back from swap or disk, up to 18165 major faults/s");
	CHECK_STR_CONTAINS(evidence(&m), "it swapped for 10.5 s: up to 154.0 MiB in swap");
	CHECK_STR_CONTAINS(evidence(&m), "(its cgroup's counters)");
	CHECK_STR_CONTAINS(evidence(&m), "memory limit in force: 150.0 MiB");
	runmeta_free(&m);

	/* killed by the OOM killer after swapping: both */
	memset(&m, 0, sizeof m);
	m.swap = (struct runmeta_swap){.allowed_bytes = 64ll << 20, .machine_bytes = 320ll << 20,
				       .peak_bytes = 60ll << 20, .vmswap_peak_bytes = 78ll << 20,
				       .in_max_per_s = 15 << 20, .out_max_per_s = 46 << 20,
				       .seconds = 2.7};
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.signal = SIGKILL, .main = &p,
							    .cgroup_oom_kills = 1,
							    .cgroup_private = 1,
							    .cgroup_dir = "/cg"},
				    &m),
		     0);
	CHECK_STR_EQ(m.verdict, "oom-killed");
	CHECK_STR_CONTAINS(evidence(&m), "the oom_kill counter of oomph's own memory cgroup (--limit) rose by 1");
	CHECK_STR_CONTAINS(evidence(&m), "it swapped for 2.7 s: up to 60.0 MiB in swap");
	CHECK_STR_CONTAINS(evidence(&m), "swap allowed: 64.0 MiB beyond the memory limit");
	runmeta_free(&m);
	/* swap not bounded by oomph (no --limit) */
	memset(&m, 0, sizeof m);
	m.swap = (struct runmeta_swap){.allowed_bytes = -1, .machine_bytes = 2ll << 30,
				       .peak_bytes = 1ll << 30, .seconds = 30};
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.main = &p, .cgroup_oom_kills = -1}, &m), 0);
	CHECK_STR_CONTAINS(evidence(&m), "swap allowed: not bounded by oomph; the machine has 2.0 GiB of swap");
	runmeta_free(&m);
	/* no swap: no swap sentence */
	memset(&m, 0, sizeof m);
	CHECK_EQ_INT(verdict_decide(&(struct verdict_input){.main = &p, .cgroup_oom_kills = -1}, &m), 0);
	CHECK(strstr(evidence(&m), "swap") == NULL);
	runmeta_free(&m);
	profile_free(&p);

	/* runmeta keeps the evidence across save/load */
	memset(&m, 0, sizeof(m));
	runmeta_add_evidence(&m, "line one with spaces, %d%% and\na newline", 50);
	runmeta_add_evidence(&m, "two");
	strcpy(m.verdict, "exited");
	m.limit_bytes = 123;
	strcpy(m.limit_source, "RLIMIT_AS (soft limit)");
	m.thrashing = 1;
	m.stall_max_pct = 42.5;
	m.swap = (struct runmeta_swap){.allowed_bytes = -1, .machine_bytes = 335540224,
				       .peak_bytes = 63184896, .vmswap_peak_bytes = 82702336,
				       .in_max_per_s = 15661260.5, .out_max_per_s = 48211903,
				       .in_bytes = 17256448, .out_bytes = 96899072, .seconds = 2.661};
	strcpy(m.swap.scope, "cgroup");
	m.stopped_for_stall = 1;
	m.stop = (struct runmeta_stop){.t_s = 2.882, .share_pct = 29.28, .readback_per_s = 5264.4,
				       .swap_bytes = 72495104, .in_per_s = 1, .out_per_s = 2};
	strcpy(m.stop.by, "kernel-time");
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
	CHECK_EQ_INT(back.swap.allowed_bytes, -1);
	CHECK_EQ_INT(back.swap.machine_bytes, 335540224);
	CHECK_EQ_INT(back.swap.peak_bytes, 63184896);
	CHECK_EQ_INT(back.swap.vmswap_peak_bytes, 82702336);
	CHECK(back.swap.in_max_per_s == 15661260.5);
	CHECK(back.swap.out_max_per_s == 48211903);
	CHECK_EQ_INT(back.swap.in_bytes, 17256448);
	CHECK_EQ_INT(back.swap.out_bytes, 96899072);
	CHECK(back.swap.seconds == 2.661);
	CHECK_STR_EQ(back.swap.scope, "cgroup");
	CHECK_EQ_INT(back.stopped_for_stall, 1);
	CHECK(back.stop.t_s == 2.882);
	CHECK(back.stop.share_pct == 29.28);
	CHECK_STR_EQ(back.stop.by, "kernel-time");
	CHECK(back.stop.readback_per_s == 5264.4);
	CHECK_EQ_INT(back.stop.swap_bytes, 72495104);
	CHECK(back.stop.out_per_s == 2);
	runmeta_free(&back);
	runmeta_free(&m);
	/* a run.meta from before swap was measured: unknown, not zero */
	char path[600];
	snprintf(path, sizeof path, "%s/run.meta", dir);
	FILE *old = fopen(path, "w");
	fputs("# oomph run.meta 1\nverdict exited\n", old);
	fclose(old);
	CHECK_EQ_INT(runmeta_load(dir, &back, err, sizeof err), 0);
	CHECK_EQ_INT(back.swap.allowed_bytes, -1);
	CHECK_EQ_INT(back.swap.machine_bytes, -1);
	CHECK_EQ_INT(back.swap.peak_bytes, 0);
	runmeta_free(&back);
	snprintf(path, sizeof path, "%s/run.meta", dir);
	unlink(path);
	rmdir(dir);
	return check_summary();
}
