/* tests/fuzz/fuzz_procfiles.c — the parsers of kernel files: which memory
 * limit is in force (common/limits.c: /proc/self/cgroup, mountinfo,
 * meminfo, status, cgroup v1 and v2 files) and the pressure readers
 * (supervisor/pressure.c: PSI, /proc/PID/stat, memory.stat and
 * /proc/vmstat counters, VmSwap, the swap of /proc/meminfo).
 *
 * The input is up to NFILES file bodies separated by lines "--8<--"; each
 * is written to its place in a fake root (limits.h's `root`), then
 * limits_detect() and limits_usage() read the tree, and each body is also
 * given to the pressure parsers. */
#include "common/limits.h"
#include "fuzz.h"
#include "supervisor/pressure.h"

static const char *const files[] = {
	"proc/self/cgroup",
	"proc/self/mountinfo",
	"proc/meminfo",
	"proc/self/status",
	"sys/fs/cgroup/a/memory.max",
	"sys/fs/cgroup/a/memory.high",
	"sys/fs/cgroup/a/memory.current",
	"sys/fs/cgroup/a/memory.stat",
	"sys/fs/cgroup/memory/a/memory.limit_in_bytes",
	"sys/fs/cgroup/memory/a/memory.usage_in_bytes",
	"sys/fs/cgroup/memory/a/memory.stat",
};
#define NFILES (sizeof files / sizeof files[0])
#define SEP "\n--8<--\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	const char *part = s, *end = s + size;
	for (size_t i = 0; i < NFILES; i++) {
		const char *next = part < end ? strstr(part, SEP) : NULL;
		size_t n = part >= end ? 0 : next ? (size_t)(next - part) : (size_t)(end - part);
		fuzz_write(files[i], part < end ? part : "", n);
		/* the same bytes to the pressure parsers */
		char *body = fuzz_cstr((const uint8_t *)(part < end ? part : ""), n);
		struct psi psi;
		uint64_t u;
		(void)psi_parse(body, &psi);
		(void)proc_majflt_parse(body, &u);
		uint64_t st;
		(void)proc_stat_parse(body, &u, &st);
		(void)refaults_parse(body, &u);
		struct memstat ms;
		(void)memstat_parse(body, &ms);
		int64_t b1, b2;
		(void)proc_vmswap_parse(body, &b1);
		(void)proc_vmrss_parse(body, &b1);
		(void)meminfo_swap_parse(body, &b1, &b2);
		free(body);
		part = next ? next + strlen(SEP) : end;
	}
	struct rlimit as = {RLIM_INFINITY, RLIM_INFINITY}, dat = as;
	if (size && data[0] == 'R')
		as.rlim_cur = 1ull << 30;
	struct limits l;
	if (limits_detect(fuzz_dir(), &as, &dat, &l) == 0) {
		if (l.limit_bytes < 0)
			abort();
		int64_t used;
		(void)limits_usage(&l, &used);
	}
	free(s);
	return 0;
}
