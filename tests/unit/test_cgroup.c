/* Unit test of supervisor/cgroup.c against the real kernel: a private
 * memory cgroup of 64 MiB, a child that writes 200 MiB inside it, and the
 * kernel's OOM killer.  Needs a cgroup it may create (root); elsewhere it
 * prints why and passes nothing (it cannot check what it cannot make). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/readfile.h"
#include "supervisor/cgroup.h"

/* The number in DIR/FILE, or -1. */
static long long read_number(const char *dir, const char *file)
{
	char path[4300], buf[64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return read_text_file(path, buf, sizeof buf) > 0 ? atoll(buf) : -1;
}

/* --swap: the swap allowed beyond the limit is what the kernel is told. */
static void test_swap_allowed(void)
{
	struct ocgroup cg;
	char err[1024];
	if (cgroup_create(&cg, 64ll << 20, 32ll << 20, err, sizeof err) != 0)
		return;
	if (!cg.swap_limited) {
		printf("swap is not accounted here: %s\n", cg.mode);
		CHECK_EQ_INT(cg.swap_allowed_bytes, -1);
	} else if (!strcmp(cg.mode, "cgroup-v2")) {
		CHECK_EQ_INT(read_number(cg.mem_dir, "memory.swap.max"), 32ll << 20);
		CHECK_EQ_INT(cg.swap_allowed_bytes, 32ll << 20);
		char path[4300];
		cgroup_swap_path(&cg, path, sizeof path);
		CHECK(path[0] && access(path, R_OK) == 0);
	} else {
		CHECK_EQ_INT(read_number(cg.mem_dir, "memory.memsw.limit_in_bytes"), 96ll << 20);
		CHECK_EQ_INT(read_number(cg.mem_dir, "memory.limit_in_bytes"), 64ll << 20);
		CHECK_EQ_INT(cg.swap_allowed_bytes, 32ll << 20);
		char path[4300];
		cgroup_swap_path(&cg, path, sizeof path);
		CHECK_STR_EQ(path, ""); /* v1: swap is in memory.stat */
	}
	char stat_path[4300];
	cgroup_stat_path(&cg, stat_path, sizeof stat_path);
	CHECK(stat_path[0] && access(stat_path, R_OK) == 0);
	cgroup_destroy(&cg);
}

int main(void)
{
	struct ocgroup cg;
	char err[1024];
	if (cgroup_create(&cg, 64ll << 20, 0, err, sizeof err) != 0) {
		printf("skipped: %s\n", err);
		return check_summary();
	}
	printf("made %s (%s)%s%s\n", cg.mem_dir, cg.mode, cg.psi_dir[0] ? ", PSI in " : "",
	       cg.psi_dir);
	if (cg.swap_limited) {
		CHECK_EQ_INT(cg.swap_allowed_bytes, 0); /* no --swap: none beyond the limit */
		if (!strcmp(cg.mode, "cgroup-v1"))
			CHECK_EQ_INT(read_number(cg.mem_dir, "memory.memsw.limit_in_bytes"), 64ll << 20);
		else
			CHECK_EQ_INT(read_number(cg.mem_dir, "memory.swap.max"), 0);
	}
	uint64_t before = 99;
	CHECK_EQ_INT(cgroup_oom_kills(&cg, &before), 0);
	CHECK_EQ_INT(before, 0);
	char psi[4200];
	cgroup_pressure_path(&cg, psi, sizeof psi);
	if (psi[0])
		CHECK(access(psi, R_OK) == 0);

	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (cgroup_attach_self(&cg) != 0)
			_exit(3);
		for (int i = 0; i < 200; i++) { /* 200 MiB, each page written */
			char *p = malloc(1 << 20);
			if (!p)
				_exit(4);
			memset(p, 0x5a, 1 << 20);
		}
		_exit(0); /* should not get here */
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	uint64_t after = 0;
	CHECK_EQ_INT(cgroup_oom_kills(&cg, &after), 0);
	CHECK(after >= 1);

	char dir[sizeof cg.mem_dir];
	memcpy(dir, cg.mem_dir, sizeof dir);
	cgroup_destroy(&cg);
	cgroup_destroy(&cg); /* idempotent */
	struct stat sb;
	CHECK(stat(dir, &sb) != 0);
	if (cg.psi_dir[0])
		CHECK(stat(cg.psi_dir, &sb) != 0);

	test_swap_allowed();
	return check_summary();
}
