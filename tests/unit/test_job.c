/* Unit tests of the job file (state/format.h, "the job"): made by the
 * supervisor (supervisor/rundir.c rundir_make_job), written by every
 * tracker of the run (tracker/tracker.c), read by profile/jobfile.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "profile/jobfile.h"
#include "state/format.h"
#include "supervisor/rundir.h"
#include "tracker/tracker.h"
#include "tracker_fixture.h"

static void job_path(char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", dir, OOMPH_JOB_FILE);
}

static void test_the_supervisor_makes_it_private_and_only_once(void)
{
	char err[512], path[512];
	job_path(path, sizeof path);
	unlink(path);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	struct stat st;
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(st.st_size, 4096);
	/* a name already there (planted, or a link) is never written through */
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), -EEXIST);
	unlink(path);
	CHECK(symlink("/tmp/oomph-test-job-target", path) == 0);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), -EEXIST);
	CHECK(access("/tmp/oomph-test-job-target", F_OK) != 0);
	unlink(path);
	struct jobfile j;
	CHECK_EQ_INT(jobfile_load(dir, &j, err, sizeof err), -ENOENT);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	CHECK_EQ_INT(jobfile_load(dir, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 0);
	CHECK_EQ_INT(j.joined, 0);
	unlink(path);
}

/* In a scenario: wait for its fork child, load the state file it left into
 * *c (when c is not NULL) and remove it; the scenario fails (exit 3) if the
 * child failed or its file cannot be read. */
static void reap(pid_t pid, struct profile *c)
{
	int st;
	waitpid(pid, &st, 0);
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%d.oomph", dir, (int)pid);
	int rc = c ? profile_load(path, c, err, sizeof err) : 0;
	unlink(path);
	if (rc || !WIFEXITED(st) || WEXITSTATUS(st))
		_exit(3);
}

/* A parent and its fork child: the child's inherited 200 bytes are in the
 * job once; what it allocates itself is added; its exit takes it out. */
static void scenario_parent_and_fork_child(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	tracker_on_alloc(A(2), 200);
	tracker_on_free(A(1), 100); /* job: 200, maximum 300 */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		at(2, 2);
		tracker_on_alloc(A(3), 50);  /* job 250 */
		tracker_on_alloc(A(4), 150); /* job 400: the maximum */
		tracker_on_free(A(3), 50);   /* job 350 */
		tracker_on_exit(0);          /* its 150 leave: job 200 */
		tracker_on_alloc(A(5), 1000); /* after its exit path: not the job's */
		_exit(0);
	}
	reap(pid, NULL);
	tracker_on_free(A(2), 100 + 100); /* job 0 */
	tracker_on_alloc(A(6), 30);       /* job 30 */
	tracker_on_exit(0);               /* job 0 */
}

static void test_fork_child_adds_what_it_allocates_and_leaves_at_exit(void)
{
	char err[512], path[512];
	job_path(path, sizeof path);
	unlink(path);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	struct profile p;
	CHECK(run_child(scenario_parent_and_fork_child, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
	struct jobfile j;
	CHECK_EQ_INT(jobfile_load(dir, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 400);
	CHECK_EQ_INT(j.cur_bytes, 0);
	CHECK_EQ_INT(j.joined, 2);
	CHECK(j.peak_pid > 0);
	CHECK(j.peak_time_s >= 0 && j.peak_time_s < 60);
	unlink(path);
}

/* Every allocation recorded (rate 1): the child frees the block it
 * inherited, which is its parent's part of the job and stays in it; what
 * the child allocates and frees itself is its own. */
static void scenario_child_frees_what_it_inherited(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 1000); /* job 1000 */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		tracker_on_free(A(1), 1000); /* inherited: the job keeps it */
		at(2, 2);
		tracker_on_alloc(A(2), 300); /* job 1300: the maximum */
		tracker_on_free(A(2), 300);  /* job 1000 */
		tracker_on_exit(0);
		_exit(0);
	}
	struct profile c;
	reap(pid, &c);
	/* what the child's own report says */
	int bad = c.inherited_bytes != 1000 || c.inherited_freed_bytes != 1000;
	profile_free(&c);
	if (bad)
		_exit(4);
	tracker_on_exit(0);
}

/* Nothing recorded (a huge rate): the child cannot know the block it frees
 * was inherited, but its part never goes below zero, so the job keeps it. */
static void scenario_child_frees_more_than_its_own(void)
{
	start(1ull << 40);
	at(1, 1);
	tracker_on_alloc(A(1), 1000);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		tracker_on_alloc(A(2), 100); /* job 1100: the maximum */
		tracker_on_free(A(2), 100);  /* job 1000 */
		tracker_on_free(A(1), 1000); /* more than its own: inherited */
		tracker_on_exit(0);
		_exit(0);
	}
	reap(pid, NULL);
	tracker_on_alloc(A(3), 50); /* job 1050 */
}

static void test_inherited_memory_counts_once(void)
{
	char err[512], path[512];
	job_path(path, sizeof path);
	struct jobfile j;
	struct profile p;
	unlink(path);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	CHECK(run_child(scenario_child_frees_what_it_inherited, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
	CHECK_EQ_INT(jobfile_load(dir, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 1300);
	CHECK_EQ_INT(j.cur_bytes, 0);
	unlink(path);

	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	CHECK(run_child(scenario_child_frees_more_than_its_own, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
	CHECK_EQ_INT(jobfile_load(dir, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 1100);
	/* the parent's 1000 and 50 were live when it ended without its exit path */
	CHECK_EQ_INT(j.cur_bytes, 1050);
	unlink(path);
}

/* A fork child killed (no exit path) holding its copy of the parent's
 * 1000 bytes, having freed the parent's 400 and allocated 300 of its own:
 * its file keeps what it inherited stack by stack, so its own picture at
 * any moment (the job's death picture) is the 300, at its fork nothing. */
static void scenario_killed_child_holds_its_own(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 1000);
	at(5, 5);
	tracker_on_alloc(A(7), 400);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		tracker_on_free(A(7), 400);
		at(2, 2);
		tracker_on_alloc(A(2), 300);
		_exit(0); /* as if killed: no exit path */
	}
	struct profile c;
	reap(pid, &c);
	int64_t *self = calloc(c.nnodes + 1, sizeof(*self));
	int bad = !self || !c.inherited_pic || c.inherited_bytes != 1400 || c.nmoments < 2;
	if (!bad) {
		int64_t own = profile_own_picture_at(&c, c.nmoments - 1, self);
		bad = own != 300 || bytes_at(&c, self, 2, 2) != 300 || bytes_at(&c, self, 1, 1) != 0 ||
		      bytes_at(&c, self, 5, 5) != 0;
	}
	if (!bad)
		bad = profile_own_picture_at(&c, 0, self) != 0 ? 5 : 0;
	free(self);
	profile_free(&c);
	if (bad)
		_exit(4);
	tracker_on_exit(0);
}

static void test_a_killed_fork_child_holds_only_its_own(void)
{
	char err[512], path[512];
	job_path(path, sizeof path);
	unlink(path);
	CHECK_EQ_INT(rundir_make_job(dir, err, sizeof err), 0);
	struct profile p;
	CHECK(run_child(scenario_killed_child_holds_its_own, &p) == 0);
	if (p.nnodes) {
		/* the parent is no fork child: nothing inherited to keep */
		CHECK(p.inherited_pic == NULL);
		profile_free(&p);
	}
	unlink(path);
}

/* Without a job file a process is profiled alone, as before. */
static void scenario_alone(void)
{
	start(1);
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	tracker_on_free(A(1), 100);
}

static void test_no_job_file_no_job(void)
{
	char path[512];
	job_path(path, sizeof path);
	unlink(path);
	struct profile p;
	CHECK(run_child(scenario_alone, &p) == 0);
	if (p.nnodes) {
		CHECK_EQ_INT(p.peak_bytes, 100);
		profile_free(&p);
	}
	CHECK(access(path, F_OK) != 0);
}

/* A file that is not what it should be is refused with a reason. */
static void test_reader_refuses_what_no_run_writes(void)
{
	struct oomph_job_header h;
	char buf[4096], err[512];
	struct jobfile j;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, OOMPH_JOB_MAGIC, 8);
	h.version = OOMPH_JOB_VERSION;
	h.header_size = sizeof h;
	h.file_size = 4096;
	atomic_store(&h.max_bytes, 5000);
	atomic_store(&h.cur_bytes, 100);
	memset(buf, 0, sizeof buf);
	memcpy(buf, &h, sizeof h);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 5000);
	CHECK_EQ_INT(jobfile_parse(buf, 100, &j, err, sizeof err), -EINVAL);
	CHECK_STR_CONTAINS(err, "truncated");
	CHECK_EQ_INT(jobfile_parse(buf, 8, &j, err, sizeof err), -EINVAL);

	struct oomph_job_header bad = h;
	bad.magic[0] = 'X';
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -EINVAL);
	CHECK_STR_CONTAINS(err, "magic");
	bad = h;
	bad.version = OOMPH_JOB_VERSION + 1;
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -EPROTO);
	bad = h;
	bad.file_size = 1 << 20;
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -EINVAL);
	bad = h;
	atomic_store(&bad.max_bytes, INT64_C(1) << 62 | 1);
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -ERANGE);
	CHECK_STR_CONTAINS(err, "max_bytes");
	bad = h;
	atomic_store(&bad.cur_bytes, INT64_MIN);
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -ERANGE);
	bad = h;
	atomic_store(&bad.max_time_ns, UINT64_MAX);
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -ERANGE);
	bad = h;
	atomic_store(&bad.max_pid, -1);
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), -ERANGE);
	/* a death between two stores: the total above the maximum */
	bad = h;
	atomic_store(&bad.cur_bytes, 6000);
	memcpy(buf, &bad, sizeof bad);
	CHECK_EQ_INT(jobfile_parse(buf, sizeof buf, &j, err, sizeof err), 0);
	CHECK_EQ_INT(j.peak_bytes, 6000);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-job-%d", (int)getpid());
	mkdir(dir, 0700);
	test_the_supervisor_makes_it_private_and_only_once();
	test_fork_child_adds_what_it_allocates_and_leaves_at_exit();
	test_inherited_memory_counts_once();
	test_a_killed_fork_child_holds_only_its_own();
	test_no_job_file_no_job();
	test_reader_refuses_what_no_run_writes();
	char path[512];
	job_path(path, sizeof path);
	unlink(path);
	rmdir(dir);
	return check_summary();
}
