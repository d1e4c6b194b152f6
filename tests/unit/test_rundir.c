/* Unit tests of supervisor/rundir.c and common/safefs.c: the run directory
 * is ours and private, nothing is written through a link or into a
 * directory someone else can write, the live state goes home at the end,
 * and the state of a run whose oomph died is found and brought home. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common/safefs.h"
#include "profile/runmeta.h"
#include "state/format.h"
#include "supervisor/rundir.h"

static char tmpdir[] = "/tmp/oomph-test-rundir-XXXXXX";
static char tmpfs[PATH_MAX];
static char err[1024];

static void write_file(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(body, f);
	fclose(f);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_mode & 07777 : 0;
}

static void test_run_dir_is_made_private_whatever_the_umask(void)
{
	char want[700], st[PATH_MAX + 16];
	struct rundir rd;
	mode_t old = umask(0);
	snprintf(want, sizeof want, "%s/a/b/run/", tmpdir);
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), 0);
	umask(old);
	CHECK_EQ_INT(rd.created, 1);
	snprintf(want, sizeof want, "%s/a/b/run", tmpdir);
	CHECK_STR_EQ(rd.path, want);
	CHECK_EQ_INT(mode_of(rd.path), 0700);

	/* with state on disk: RUN_DIR/state, 0700 too */
	setenv(OOMPH_ENV_TMPFS, "off", 1);
	CHECK_EQ_INT(rundir_make_state(&rd, getpid(), 0, err, sizeof err), 0);
	CHECK_EQ_INT(rd.live, 0);
	snprintf(st, sizeof st, "%s/state", rd.path);
	CHECK_STR_EQ(rd.state, st);
	CHECK_EQ_INT(mode_of(st), 0700);
	CHECK_STR_CONTAINS(rd.why_disk, "OOMPH_TMPFS=off");

	/* not empty any more: refused */
	struct rundir again;
	CHECK_EQ_INT(rundir_make(want, 0, &again, err, sizeof err), -EEXIST);
	CHECK_STR_CONTAINS(err, "exists and is not empty");
	rundir_abandon(&rd);
	CHECK(access(want, F_OK) != 0);
}

static void test_team_readable_run_dir_lets_the_group_read(void)
{
	char want[700];
	struct rundir rd;
	snprintf(want, sizeof want, "%s/team", tmpdir);
	CHECK_EQ_INT(rundir_make(want, 1, &rd, err, sizeof err), 0);
	CHECK_EQ_INT(mode_of(rd.path), 0750);
	int fd = safefs_open_dir(rd.path, err, sizeof err);
	CHECK(fd >= 0);
	CHECK_EQ_INT(safefs_write_at(fd, "f.txt", "hello", 5, err, sizeof err), 0);
	close(fd);
	char f[PATH_MAX + 16];
	snprintf(f, sizeof f, "%s/f.txt", rd.path);
	CHECK_EQ_INT(mode_of(f), 0640);
}

static void test_existing_empty_dir_is_accepted_and_made_private(void)
{
	char want[700];
	struct rundir rd;
	snprintf(want, sizeof want, "%s/mine", tmpdir);
	mkdir(want, 0755);
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), 0);
	CHECK_EQ_INT(rd.created, 0);
	CHECK_EQ_INT(mode_of(want), 0700);
}

static void test_dirs_others_can_write_or_links_are_refused(void)
{
	char want[700], target[700];
	struct rundir rd;
	/* someone else could write it */
	snprintf(want, sizeof want, "%s/shared", tmpdir);
	mkdir(want, 0777);
	chmod(want, 0777);
	CHECK(rundir_make(want, 0, &rd, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "can be written by other users");
	/* ... or anything below it, unless it is sticky */
	snprintf(want, sizeof want, "%s/shared/run", tmpdir);
	CHECK(rundir_make(want, 0, &rd, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "not sticky");
	snprintf(want, sizeof want, "%s/shared", tmpdir);
	chmod(want, 01777);
	snprintf(want, sizeof want, "%s/shared/run", tmpdir);
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), 0);
	/* a link planted where the run directory should be */
	snprintf(target, sizeof target, "%s/elsewhere", tmpdir);
	mkdir(target, 0700);
	snprintf(want, sizeof want, "%s/link", tmpdir);
	CHECK(symlink(target, want) == 0);
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), -ELOOP);
	CHECK_STR_CONTAINS(err, "symbolic link");
	/* a file */
	snprintf(want, sizeof want, "%s/afile", tmpdir);
	write_file(want, "x");
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), -ENOTDIR);
	CHECK_STR_CONTAINS(err, "not a directory");
	CHECK(strchr(err, '\n') == NULL);
}

static void test_writes_never_go_through_a_planted_link(void)
{
	char dir[700], victim[700], link[800], path[800];
	snprintf(dir, sizeof dir, "%s/w", tmpdir);
	mkdir(dir, 0700);
	snprintf(victim, sizeof victim, "%s/victim", tmpdir);
	write_file(victim, "precious");
	snprintf(link, sizeof link, "%s/index.html", dir);
	CHECK(symlink(victim, link) == 0);
	/* the file replaces the link; the link's target is untouched */
	CHECK_EQ_INT(safefs_write(link, "report", 6, err, sizeof err), 0);
	struct stat st;
	CHECK(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ_INT(mode_of(link), 0600);
	FILE *f = fopen(victim, "r");
	char buf[32] = "";
	CHECK(f && fgets(buf, sizeof buf, f));
	if (f)
		fclose(f);
	CHECK_STR_EQ(buf, "precious");
	/* reading: a link is not followed, a FIFO does not hang */
	snprintf(path, sizeof path, "%s/run.meta", dir);
	CHECK(symlink(victim, path) == 0);
	CHECK_EQ_INT(safefs_open_read(path, NULL, err, sizeof err), -ELOOP);
	snprintf(path, sizeof path, "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK_EQ_INT(safefs_open_read(path, NULL, err, sizeof err), -EINVAL);
	CHECK_STR_CONTAINS(err, "not a regular file");
	/* temporary names are not predictable */
	char a[64], b[64];
	CHECK_EQ_INT(safefs_temp_name(a, sizeof a, "x"), 0);
	CHECK_EQ_INT(safefs_temp_name(b, sizeof b, "x"), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(a, ".x.", 3) == 0 && strlen(a) == 15);
}

static void test_default_parent_must_be_ours_and_private(void)
{
	char cwd[PATH_MAX], sub[700];
	struct rundir rd;
	if (!getcwd(cwd, sizeof cwd))
		return;
	snprintf(sub, sizeof sub, "%s/cwd", tmpdir);
	mkdir(sub, 0755);
	if (chdir(sub) != 0)
		return;
	CHECK_EQ_INT(rundir_make(NULL, 0, &rd, err, sizeof err), 0);
	char pid[32];
	snprintf(pid, sizeof pid, "-%ld", (long)getpid());
	CHECK_STR_CONTAINS(rd.path, "/cwd/oomph-report/20");
	CHECK(strlen(rd.path) > strlen(pid) && !strcmp(rd.path + strlen(rd.path) - strlen(pid), pid));
	CHECK_EQ_INT(mode_of(RUNDIR_DEFAULT_PARENT), 0700);
	/* a shared oomph-report/ is refused */
	chmod(RUNDIR_DEFAULT_PARENT, 0777);
	CHECK(rundir_make(NULL, 0, &rd, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "oomph-report/");
	CHECK_STR_CONTAINS(err, "-o DIR");
	CHECK(chdir(cwd) == 0);
}

/* A run with its state on a tmpfs (a directory standing for it). */
static void make_live_run(const char *name, struct rundir *rd, int pid, uint64_t start)
{
	char want[700];
	snprintf(want, sizeof want, "%s/%s", tmpdir, name);
	CHECK_EQ_INT(rundir_make(want, 0, rd, err, sizeof err), 0);
	CHECK_EQ_INT(rundir_make_state(rd, pid, start, err, sizeof err), 0);
	CHECK_EQ_INT(rd->live, 1);
	CHECK_EQ_INT(strncmp(rd->state, tmpfs, strlen(tmpfs)), 0);
	CHECK_EQ_INT(mode_of(rd->state), 0700);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof f, "%s/123.oomph", rd->state);
	write_file(f, "state of 123");
}

static void test_live_state_goes_home_at_the_end(void)
{
	struct rundir rd;
	/* rundir needs a tmpfs; /dev/shm is one */
	setenv(OOMPH_ENV_TMPFS, tmpfs, 1);
	make_live_run("live", &rd, getpid(), rundir_proc_start(getpid()));
	CHECK_EQ_INT(rundir_keep_state(rd.path, rd.state, err, sizeof err), 0);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof f, "%s/state/123.oomph", rd.path);
	CHECK(access(f, R_OK) == 0);
	CHECK_EQ_INT(mode_of(f), 0600);
	snprintf(f, sizeof f, "%s/state/%s", rd.path, RUNDIR_OWNER_FILE);
	CHECK(access(f, F_OK) != 0);
	CHECK(access(rd.state, F_OK) != 0);
}

static void test_only_a_live_state_directory_is_ever_emptied(void)
{
	/* run.meta names the directory: one that is not ours to empty is
	 * refused, its files left alone */
	char want[700], victim[800], f[900];
	struct rundir rd;
	snprintf(want, sizeof want, "%s/victimrun", tmpdir);
	CHECK_EQ_INT(rundir_make(want, 0, &rd, err, sizeof err), 0);
	snprintf(victim, sizeof victim, "%s/precious", tmpdir);
	mkdir(victim, 0700);
	snprintf(f, sizeof f, "%s/keep.txt", victim);
	write_file(f, "x");
	CHECK_EQ_INT(rundir_keep_state(rd.path, victim, err, sizeof err), -EPERM);
	CHECK(access(f, F_OK) == 0);
}

static void test_state_of_a_run_whose_oomph_died_is_brought_home(void)
{
	struct rundir rd, alive;
	setenv(OOMPH_ENV_TMPFS, tmpfs, 1);
	/* pid 1 started at boot, never at tick 1: a dead supervisor */
	make_live_run("dead", &rd, 1, 1);
	make_live_run("alive", &alive, getpid(), rundir_proc_start(getpid()));
	struct runmeta m;
	memset(&m, 0, sizeof m);
	snprintf(m.status, sizeof m.status, "running");
	snprintf(m.live_state, sizeof m.live_state, "%s", rd.state);
	m.supervisor_pid = 1;
	m.supervisor_start = 1;
	CHECK_EQ_INT(runmeta_save(rd.path, &m, err, sizeof err), 0);
	CHECK_EQ_INT(rundir_supervisor_alive(1, 1), 0);
	CHECK_EQ_INT(rundir_supervisor_alive(getpid(), rundir_proc_start(getpid())), 1);

	int swept = -1;
	CHECK_EQ_INT(rundir_sweep(&swept, err, sizeof err), 0);
	CHECK_EQ_INT(swept, 1);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof f, "%s/state/123.oomph", rd.path);
	CHECK(access(f, R_OK) == 0);
	CHECK(access(rd.state, F_OK) != 0);
	struct runmeta back;
	CHECK_EQ_INT(runmeta_load(rd.path, &back, err, sizeof err), 0);
	CHECK_STR_EQ(back.status, "supervisor-died");
	CHECK_STR_EQ(back.live_state, "");
	char where[PATH_MAX];
	CHECK_EQ_INT(runmeta_state_dir(&back, rd.path, where, sizeof where), 0);
	snprintf(f, sizeof f, "%s/state", rd.path);
	CHECK_STR_EQ(where, f);
	runmeta_free(&back);
	/* the live one is left alone */
	CHECK(access(alive.state, F_OK) == 0);
	rundir_abandon(&alive);
}

static void test_process_start_time_is_field_22_and_does_not_move(void)
{
	/* the test's own reading: fields after the last ')' */
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	CHECK(f && fgets(buf, sizeof buf, f));
	if (f)
		fclose(f);
	char *p = strrchr(buf, ')') + 2; /* field 3 */
	unsigned long long want = 0;
	for (int field = 3; field <= 22 && p; field++) {
		if (field == 22)
			want = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	CHECK(want > 0);
	CHECK_EQ_INT(rundir_proc_start(getpid()), want);
	/* memory use changes other fields (vsize, rss), not this one */
	char *big = malloc(64 << 20);
	memset(big, 1, 64 << 20);
	CHECK_EQ_INT(rundir_proc_start(getpid()), want);
	free(big);
	CHECK_EQ_INT(rundir_proc_start(0), 0);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	chmod(tmpdir, 0700);
	/* live state: a fresh directory on /dev/shm (a tmpfs) */
	snprintf(tmpfs, sizeof tmpfs, "/dev/shm/oomph-test-rundir-XXXXXX");
	if (!mkdtemp(tmpfs)) {
		perror("mkdtemp /dev/shm");
		return 2;
	}
	test_process_start_time_is_field_22_and_does_not_move();
	test_run_dir_is_made_private_whatever_the_umask();
	test_team_readable_run_dir_lets_the_group_read();
	test_existing_empty_dir_is_accepted_and_made_private();
	test_dirs_others_can_write_or_links_are_refused();
	test_writes_never_go_through_a_planted_link();
	test_default_parent_must_be_ours_and_private();
	test_live_state_goes_home_at_the_end();
	test_only_a_live_state_directory_is_ever_emptied();
	test_state_of_a_run_whose_oomph_died_is_brought_home();
	char cmd[PATH_MAX * 2 + 32];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmpdir, tmpfs);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}
