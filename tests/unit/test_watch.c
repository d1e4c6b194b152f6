/* Unit tests of supervisor/watch.c's swap warning: what it says for a
 * program in its own cgroup, and for one that no cgroup of oomph's limits
 * while the machine itself swaps (the frozen laptop). */
#include <string.h>

#include "check.h"
#include "supervisor/watch.h"

int main(void)
{
	char s[1400];

	/* --limit 150MiB --swap 300MiB, swapping and thrashing */
	struct watch_swap_news n = {
		.own_cgroup = 1, .rates_own = 0, .for_s = 2.04, .swap_bytes = 157ll << 20,
		.in_per_s = 12 << 20, .out_per_s = 25.5 * 1048576, .share_pct = 43.4,
		.sys_share_pct = 16, .thrashing = 1, .limit_bytes = 150ll << 20,
		.limit_source = "cgroup v1 memory.limit_in_bytes of /x", .swap_allowed_bytes = 300ll << 20,
		.machine_swap_bytes = 320ll << 20,
	};
	watch_swap_warning(s, sizeof s, &n);
	CHECK_STR_EQ(s, "oomph: warning: the program is swapping (for 2.0 s now) and thrashing: 157.0 MiB "
			"of the program in swap, 12.0 MiB/s swapped in and 25.5 MiB/s out (the whole "
			"machine's counters), stalled on memory 43% of the time (PSI of its own cgroup), "
			"16% of it in the kernel; its limit: 150.0 MiB of memory + 300.0 MiB of swap (the "
			"machine has 320.0 MiB of swap)\n");

	/* counters of its own cgroup, no PSI, not thrashing */
	n.rates_own = 1;
	n.share_pct = -1;
	n.thrashing = 0;
	watch_swap_warning(s, sizeof s, &n);
	CHECK_STR_CONTAINS(s, "the program is swapping (for 2.0 s now): 157.0 MiB");
	CHECK_STR_CONTAINS(s, "out (its cgroup); its limit");
	CHECK(strstr(s, "stalled") == NULL);
	CHECK(strstr(s, "kernel") == NULL);

	/* swap the kernel does not bound */
	n.swap_allowed_bytes = -1;
	watch_swap_warning(s, sizeof s, &n);
	CHECK_STR_CONTAINS(s, "its limit: 150.0 MiB of memory, swap not bounded (the machine has 320.0 MiB of swap)");

	/* the frozen laptop: no cgroup of oomph's, the machine swaps */
	struct watch_swap_news laptop = {
		.own_cgroup = 0, .rates_own = 0, .for_s = 3.1, .swap_bytes = 1200ll << 20,
		.in_per_s = 40 << 20, .out_per_s = 38 << 20, .share_pct = 61, .sys_share_pct = -1,
		.thrashing = 1, .limit_bytes = 16ll << 30, .limit_source = "the machine's memory (MemTotal)",
		.swap_allowed_bytes = -1, .machine_swap_bytes = 2ll << 30,
	};
	watch_swap_warning(s, sizeof s, &laptop);
	CHECK_STR_EQ(s, "oomph: warning: the machine is swapping (for 3.1 s now) and thrashing: 1.2 GiB of "
			"the program in swap, 40.0 MiB/s swapped in and 38.0 MiB/s out (the whole "
			"machine's counters), stalled on memory 61% of the time (PSI of the whole machine); "
			"no cgroup of oomph's limits it: its limit is 16.0 GiB (the machine's memory "
			"(MemTotal)); the machine has 2.0 GiB of swap\n");
	/* its limit unknown yet (no state file read) */
	laptop.limit_bytes = 0;
	watch_swap_warning(s, sizeof s, &laptop);
	CHECK_STR_CONTAINS(s, "; no cgroup of oomph's limits it; the machine has 2.0 GiB of swap\n");
	/* a line too long for the buffer is cut, never overrun */
	char small[40];
	watch_swap_warning(small, sizeof small, &laptop);
	CHECK_EQ_INT(strlen(small), sizeof small - 1);
	return check_summary();
}
