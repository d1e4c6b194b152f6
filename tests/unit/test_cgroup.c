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
#include "supervisor/cgroup.h"

int main(void)
{
	struct ocgroup cg;
	char err[1024];
	if (cgroup_create(&cg, 64ll << 20, err, sizeof err) != 0) {
		printf("skipped: %s\n", err);
		return check_summary();
	}
	printf("made %s (%s)%s%s\n", cg.mem_dir, cg.mode, cg.psi_dir[0] ? ", PSI in " : "",
	       cg.psi_dir);
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

	return check_summary();
}
