/* Unit tests of common/limits.c against fixture trees (tests/fixtures/
 * limits/<case>/, a fake root with proc/ and sys/fs/cgroup/) for cgroup
 * v2, v1, the hybrid layout of this machine, containers, none, and
 * garbage; and one look at the real machine (invariants only). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common/limits.h"

#define MiB (1ll << 20)
static const struct rlimit none = {RLIM_INFINITY, RLIM_INFINITY};

static void detect(const char *name, struct limits *l, const struct rlimit *as)
{
	char root[512];
	snprintf(root, sizeof root, "tests/fixtures/limits/%s", name);
	CHECK_EQ_INT(limits_detect(root, as ? as : &none, &none, l), 0);
}

static int64_t usage(const struct limits *l)
{
	int64_t u = -1;
	CHECK_EQ_INT(limits_usage(l, &u), 0);
	return u;
}

int main(void)
{
	struct limits l;

	detect("v2", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 500 * MiB);
	CHECK_STR_EQ(limits_kind_name(l.kind), "cgroup-v2");
	CHECK_STR_CONTAINS(l.source, "cgroup v2 memory.max of tests/fixtures/limits/v2/sys/fs/cgroup/app.slice/job");
	CHECK_EQ_INT(usage(&l), 104857600 - 4857600); /* minus inactive file cache */
	CHECK_STR_CONTAINS(l.cgroup_v2_dir, "/sys/fs/cgroup/app.slice/job");
	CHECK_EQ_INT(l.system_total, 16000000ll * 1024);

	detect("v2-parent", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 200 * MiB);
	CHECK_STR_CONTAINS(l.source, "memory.high of tests/fixtures/limits/v2-parent/sys/fs/cgroup/app.slice");
	CHECK_EQ_INT(usage(&l), 150 * MiB); /* the parent's usage: its limit counts it */

	detect("v2-container", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 256 * MiB);
	CHECK_EQ_INT(usage(&l), 1 * MiB);

	detect("v1", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 300 * MiB);
	CHECK_STR_EQ(limits_kind_name(l.kind), "cgroup-v1");
	CHECK_STR_CONTAINS(l.source, "memory.limit_in_bytes of tests/fixtures/limits/v1/sys/fs/cgroup/memory/job");
	CHECK_EQ_INT(usage(&l), 150 * MiB); /* 200 MiB used, 50 MiB of it inactive cache */

	detect("v1-parent", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 1024 * MiB);
	CHECK_STR_CONTAINS(l.source, "hierarchical_memory_limit (set on a parent)");
	CHECK_EQ_INT(usage(&l), 1 * MiB);

	/* v1 memory + a controller-less cgroup2 mount: no limit anywhere, the
	 * machine's memory wins; the cgroup2 directory is still found (PSI) */
	detect("hybrid", &l, NULL);
	CHECK_STR_EQ(limits_kind_name(l.kind), "system");
	CHECK_EQ_INT(l.limit_bytes, 16000000ll * 1024);
	CHECK_STR_CONTAINS(l.cgroup_v2_dir, "hybrid/sys/fs/cgroup/unified");
	CHECK_STR_CONTAINS(l.cgroup_v1_memory_dir, "hybrid/sys/fs/cgroup/memory/svc/x");
	CHECK_EQ_INT(usage(&l), (16000000ll - 12000000ll) * 1024);

	detect("none", &l, NULL);
	CHECK_STR_EQ(limits_kind_name(l.kind), "system");
	CHECK_STR_CONTAINS(l.source, "MemTotal");
	CHECK_STR_EQ(l.cgroup_v1_memory_dir, "");

	/* an rlimit smaller than the cgroup's limit wins */
	struct rlimit as = {100 * MiB, RLIM_INFINITY};
	detect("v1", &l, &as);
	CHECK_EQ_INT(l.limit_bytes, 100 * MiB);
	CHECK_STR_EQ(limits_kind_name(l.kind), "rlimit-as");
	CHECK_STR_EQ(l.source, "RLIMIT_AS (soft limit)");
	detect("none", &l, &as);
	CHECK_EQ_INT(usage(&l), 238412ll * 1024); /* VmSize */
	struct limits l2;
	CHECK_EQ_INT(limits_detect("tests/fixtures/limits/none", &none,
				   &(struct rlimit){64 * MiB, RLIM_INFINITY}, &l2), 0);
	CHECK_STR_EQ(limits_kind_name(l2.kind), "rlimit-data");
	CHECK_EQ_INT(usage(&l2), 16144ll * 1024); /* VmData */

	/* garbage and missing trees: no crash, no limit, usage refused */
	detect("garbage", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 0);
	CHECK_STR_EQ(limits_kind_name(l.kind), "");
	int64_t u = 7;
	CHECK(limits_usage(&l, &u) < 0 && u == 7);
	detect("does-not-exist", &l, NULL);
	CHECK_EQ_INT(l.limit_bytes, 0);

	/* KiB figures no machine has (found by fuzz_procfiles: kB * 1024
	 * overflowed): unknown, never wrapped */
	detect("huge", &l, NULL);
	CHECK_EQ_INT(l.system_total, 0);
	CHECK_EQ_INT(l.limit_bytes, 0);
	detect("huge", &l, &as);
	CHECK_STR_EQ(limits_kind_name(l.kind), "rlimit-as");
	u = 7;
	CHECK(limits_usage(&l, &u) < 0 && u == 7); /* VmSize */
	CHECK_EQ_INT(limits_detect("tests/fixtures/limits/huge", &none,
				   &(struct rlimit){64 * MiB, RLIM_INFINITY}, &l2), 0);
	CHECK(limits_usage(&l2, &u) < 0 && u == 7); /* VmData */

	/* the real machine: whatever it is, it is consistent */
	CHECK_EQ_INT(limits_detect("", NULL, NULL, &l), 0);
	CHECK(l.limit_bytes > 0);
	CHECK(l.source[0] != 0);
	int64_t real = usage(&l);
	CHECK(real > 0);
	CHECK(real < l.limit_bytes || l.kind == LIMIT_SYSTEM);
	printf("this machine: %lld bytes, %s\n", (long long)l.limit_bytes, l.source);
	return check_summary();
}
