/* Unit tests of the control API (tracker/control.h) without LD_PRELOAD:
 * phases (exact numbers, pictures at their peaks, what they left live,
 * nesting, thousands of them), the current numbers, snapshot requests and
 * the snapshot signal.  Each scenario runs in a forked child that checks
 * what the API answers (a failed check makes the child fail); the parent
 * then reads the state file back through the reader, as the report does. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tracker/control.h"
#include "tracker_fixture.h"

/* In a scenario child: leave with the checks' verdict. */
static void child_done(void)
{
	_exit(check_failed ? 1 : 0);
}

static struct oomph_phase_info info_of(int id)
{
	struct oomph_phase_info i;
	memset(&i, 0xff, sizeof(i));
	CHECK_EQ_INT(oomph_phase_info(id, &i, sizeof(i)), 0);
	return i;
}

static const struct profile_phase *phase_named(const struct profile *p, const char *name)
{
	for (uint32_t i = 0; i < p->nphases; i++)
		if (!strcmp(p->phases[i].name, name))
			return &p->phases[i];
	return NULL;
}

/* Bytes of a phase picture (peak or left) whose innermost frame is f<code>:<line>. */
static int64_t pic_bytes(const struct profile *p, const struct profile_phase_entry *e, uint32_t n,
			 int code, int line)
{
	char want[32];
	snprintf(want, sizeof(want), "f%d", code);
	int64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct profile_frame *f = &p->frames[p->nodes[e[i].node].frame];
		if (!strcmp(f->func, want) && f->line == (uint32_t)line)
			sum += e[i].bytes;
	}
	return sum;
}

/* ------------------------------------------------------------ scenarios --- */

static void scenario_not_tracked(void)
{
	struct oomph_current c;
	char buf[64];
	CHECK_EQ_INT(oomph_active(), 0);
	CHECK_EQ_INT(oomph_api_version(), 1);
	CHECK_EQ_INT(oomph_phase_begin("x"), -ENOTCONN);
	CHECK_EQ_INT(oomph_phase_end(1), -ENOTCONN);
	CHECK_EQ_INT(oomph_get_current(&c, sizeof(c)), -ENOTCONN);
	CHECK_EQ_INT(oomph_phase_top(1, 0, 5, buf, sizeof(buf)), -ENOTCONN);
	CHECK_EQ_INT(oomph_snapshot(NULL, 0.01), -ENOTCONN);
	child_done();
}

static void test_every_call_says_when_the_process_is_not_tracked(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		scenario_not_tracked();
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A phase's numbers are exact; its picture at its peak holds what grew
 * until then, what it left live what is still there at its end. */
static void scenario_one_phase(void)
{
	start(1);
	at(1, 10);
	tracker_on_alloc(A(1), 1000); /* before: not the phase's */
	int id = oomph_phase_begin("load");
	CHECK(id > 0);
	at(2, 20);
	tracker_on_alloc(A(2), 5000);
	tracker_on_free(A(2), 5000); /* phase peak 6000: f2 +5000 */
	at(3, 30);
	tracker_on_alloc(A(3), 300);  /* left live */
	tracker_on_free(A(1), 1000);  /* older memory freed: not negative growth shown */
	struct oomph_phase_info open = info_of(id);
	CHECK(open.end_s < 0);
	CHECK_EQ_INT(open.peak_above_start_bytes, 5000);
	char buf[512];
	CHECK(oomph_phase_top(id, 0, 5, buf, sizeof(buf)) > 0);
	CHECK_STR_EQ(buf, "5000\tt.py\t20\tf2\n");
	CHECK_EQ_INT(oomph_phase_end(id), 0);
	CHECK_EQ_INT(oomph_phase_end(id), -EINVAL);
	struct oomph_phase_info i = info_of(id);
	CHECK_EQ_INT(i.start_bytes, 1000);
	CHECK_EQ_INT(i.peak_bytes, 6000);
	CHECK_EQ_INT(i.peak_above_start_bytes, 5000);
	CHECK_EQ_INT(i.end_bytes, 300);
	CHECK_EQ_INT(i.left_live_bytes, 300);
	CHECK(i.end_s >= i.start_s && i.start_s >= 0);
	CHECK(oomph_phase_top(id, 1, 5, buf, sizeof(buf)) > 0);
	CHECK_STR_EQ(buf, "300\tt.py\t30\tf3\n");
	CHECK(oomph_phase_top(id, 2, 5, buf, sizeof(buf)) == -EINVAL);
	CHECK(oomph_phase_top(id + 1, 0, 5, buf, sizeof(buf)) == -EINVAL);
	/* truncated output stays NUL-terminated */
	CHECK(oomph_phase_top(id, 0, 5, buf, 4) == 3);
	CHECK_STR_EQ(buf, "500");
	struct oomph_current c;
	CHECK_EQ_INT(oomph_get_current(&c, sizeof(c)), 0);
	CHECK_EQ_INT(c.tracked_bytes, 300);
	CHECK_EQ_INT(c.peak_bytes, 6000);
	child_done();
}

static void test_a_phase_has_exact_numbers_and_its_pictures(void)
{
	struct profile p;
	CHECK(run_child(scenario_one_phase, &p) == 0);
	if (!p.nnodes)
		return;
	CHECK_EQ_INT(p.nphases, 1);
	const struct profile_phase *ph = phase_named(&p, "load");
	CHECK(ph != NULL);
	if (ph) {
		CHECK(!ph->open);
		CHECK_EQ_INT(ph->start_bytes, 1000);
		CHECK_EQ_INT(ph->peak_bytes, 6000);
		CHECK_EQ_INT(ph->end_bytes, 300);
		CHECK_EQ_INT(ph->left_live_bytes, 300);
		CHECK(ph->has_picture);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 2, 20), 5000);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 3, 30), 0);
		CHECK_EQ_INT(pic_bytes(&p, ph->left, ph->nleft, 3, 30), 300);
		CHECK_EQ_INT(pic_bytes(&p, ph->left, ph->nleft, 2, 20), 0);
		CHECK_EQ_INT(ph->tid_begin, ph->tid_end);
		CHECK_EQ_INT(ph->flags & OOMPH_PHASE_F_OTHER_THREAD, 0);
	}
	profile_free(&p);
}

/* A later, higher peak of the phase replaces its picture; only the stacks
 * that changed are copied, yet the picture is whole. */
static void scenario_phase_second_peak(void)
{
	start(1);
	int id = oomph_phase_begin("p");
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	at(2, 2);
	tracker_on_alloc(A(2), 100);
	tracker_on_free(A(2), 100); /* 200: f1 100, f2 100 */
	at(3, 3);
	tracker_on_alloc(A(3), 300);
	tracker_on_free(A(1), 100); /* 400: f1 100, f3 300 */
	at(4, 4);
	tracker_on_alloc(A(4), 50);
	tracker_on_free(A(4), 50);
	oomph_phase_end(id);
	child_done();
}

static void test_a_higher_peak_of_a_phase_replaces_its_picture(void)
{
	struct profile p;
	CHECK(run_child(scenario_phase_second_peak, &p) == 0);
	if (!p.nnodes)
		return;
	const struct profile_phase *ph = phase_named(&p, "p");
	CHECK(ph && ph->has_picture);
	if (ph && ph->has_picture) {
		CHECK_EQ_INT(ph->peak_bytes, 400);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 1, 1), 100);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 2, 2), 0);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 3, 3), 300);
		CHECK_EQ_INT(pic_bytes(&p, ph->peak, ph->npeak, 4, 4), 0);
		CHECK_EQ_INT(ph->left_live_bytes, 300);
	}
	profile_free(&p);
}

/* Phases nest: each has its own peak and pictures; ending an outer phase
 * ends the inner ones. */
static void scenario_nested(void)
{
	start(1);
	int outer = oomph_phase_begin("outer");
	at(1, 1);
	tracker_on_alloc(A(1), 100);
	int inner = oomph_phase_begin("inner");
	CHECK(inner > outer);
	at(2, 2);
	tracker_on_alloc(A(2), 400);
	tracker_on_free(A(2), 400);
	CHECK_EQ_INT(oomph_phase_end(inner), 0);
	at(3, 3);
	tracker_on_alloc(A(3), 200);
	tracker_on_free(A(1), 100);
	CHECK_EQ_INT(oomph_phase_end(outer), 0);
	struct oomph_phase_info o = info_of(outer), i = info_of(inner);
	CHECK_EQ_INT(o.peak_above_start_bytes, 500);
	CHECK_EQ_INT(o.left_live_bytes, 200);
	CHECK_EQ_INT(i.start_bytes, 100);
	CHECK_EQ_INT(i.peak_above_start_bytes, 400);
	CHECK_EQ_INT(i.left_live_bytes, 0);
	/* an outer end closes what is inside it */
	int a = oomph_phase_begin("a"), b = oomph_phase_begin("b");
	at(4, 4);
	tracker_on_alloc(A(4), 64);
	CHECK_EQ_INT(oomph_phase_end(a), 0);
	CHECK(info_of(b).end_s >= 0);
	CHECK_EQ_INT(info_of(b).left_live_bytes, 64);
	CHECK_EQ_INT(oomph_phase_end(b), -EINVAL);
	/* the stack of open phases is bounded */
	int ids[OOMPH_PHASE_DEPTH];
	for (unsigned k = 0; k < OOMPH_PHASE_DEPTH; k++)
		CHECK((ids[k] = oomph_phase_begin("deep")) > 0);
	CHECK_EQ_INT(oomph_phase_begin("too deep"), -ENOSPC);
	CHECK_EQ_INT(oomph_phase_end(ids[0]), 0);
	CHECK_EQ_INT(oomph_phase_begin(NULL), -EINVAL);
	char longname[OOMPH_PHASE_NAME_MAX + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_EQ_INT(oomph_phase_begin(longname), -ENAMETOOLONG);
	child_done();
}

static void test_phases_nest(void)
{
	struct profile p;
	CHECK(run_child(scenario_nested, &p) == 0);
	if (!p.nnodes)
		return;
	const struct profile_phase *o = phase_named(&p, "outer"), *i = phase_named(&p, "inner");
	const struct profile_phase *b = phase_named(&p, "b");
	CHECK(o && i && b);
	if (o && i && b) {
		CHECK_EQ_INT(i->parent, o->id);
		CHECK_EQ_INT(i->depth, 1);
		CHECK_EQ_INT(o->depth, 0);
		CHECK_EQ_INT(o->peak_bytes - o->start_bytes, 500);
		CHECK_EQ_INT(pic_bytes(&p, o->peak, o->npeak, 1, 1), 100);
		CHECK_EQ_INT(pic_bytes(&p, o->peak, o->npeak, 2, 2), 400);
		CHECK_EQ_INT(pic_bytes(&p, i->peak, i->npeak, 2, 2), 400);
		CHECK_EQ_INT(pic_bytes(&p, i->peak, i->npeak, 1, 1), 0);
		CHECK_EQ_INT(pic_bytes(&p, o->left, o->nleft, 3, 3), 200);
		CHECK(b->flags & OOMPH_PHASE_F_ENDED_BY_OUTER);
	}
	profile_free(&p);
}

/* A pytest session makes one phase per test: thousands of them stay
 * bounded (the newest records, the largest pictures). */
#define MANY 10000
static void scenario_many(void)
{
	start(1);
	int first = 0, big = 0;
	for (int k = 0; k < MANY; k++) {
		int id = oomph_phase_begin(k == 5000 ? "the big one" : "test");
		if (!first)
			first = id;
		at(1 + k % 7, 1);
		size_t sz = k == 5000 ? 1 << 20 : 100 + (size_t)k % 50;
		tracker_on_alloc(A(1), sz);
		tracker_on_free(A(1), sz);
		oomph_phase_end(id);
		if (k == 5000)
			big = id;
	}
	struct oomph_phase_info i;
	CHECK_EQ_INT(oomph_phase_info(first, &i, sizeof(i)), -EINVAL); /* too old */
	char buf[256];
	CHECK(oomph_phase_top(big, 0, 1, buf, sizeof(buf)) == -EINVAL);
	child_done();
}

static void test_thousands_of_phases_stay_bounded(void)
{
	struct profile p;
	CHECK(run_child(scenario_many, &p) == 0);
	if (!p.nnodes)
		return;
	CHECK_EQ_INT(p.phases_total, MANY);
	CHECK_EQ_INT(p.nphases, OOMPH_PHASES_CAP);
	uint32_t pictures = 0;
	for (uint32_t i = 0; i < p.nphases; i++) {
		pictures += (uint32_t)p.phases[i].has_picture;
		CHECK(i == 0 || p.phases[i].id > p.phases[i - 1].id);
		CHECK(p.phases[i].peak_bytes - p.phases[i].start_bytes >= 100);
	}
	CHECK(pictures <= OOMPH_PHASE_PICS);
	CHECK(pictures > 0);
	CHECK_EQ_INT(p.phases[p.nphases - 1].id, MANY);
	profile_free(&p);
}

/* The top lines prefer the program's own frame to a library's below it. */
static void scenario_own_frames(void)
{
	start(1);
	int id = oomph_phase_begin("lib");
	int codes[2] = {1, 950}, lines[2] = {7, 99};
	set_stack(2, codes, lines); /* t.py:7 (f1) calls a dist-packages function */
	tracker_on_alloc(A(1), 4000);
	at(951, 5); /* a library's frame with no program frame above it */
	tracker_on_alloc(A(2), 1000);
	char buf[512];
	CHECK(oomph_phase_top(id, 0, 5, buf, sizeof(buf)) > 0);
	CHECK_STR_EQ(buf, "4000\tt.py\t7\tf1\n1000\t/usr/lib/python3/dist-packages/lib.py\t5\tf951\n");
	CHECK(oomph_phase_top(id, 1, 1, buf, sizeof(buf)) > 0);
	CHECK_STR_EQ(buf, "4000\tt.py\t7\tf1\n");
	oomph_phase_end(id);
	child_done();
}

static void test_top_lines_prefer_the_programs_own_frames(void)
{
	struct profile p;
	CHECK(run_child(scenario_own_frames, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
}

/* A phase begun in one thread and ended in another says so. */
static int cross_id;
static void *end_elsewhere(void *arg)
{
	(void)arg;
	CHECK_EQ_INT(oomph_phase_end(cross_id), 0);
	return NULL;
}

static void scenario_cross_thread(void)
{
	start(1);
	cross_id = oomph_phase_begin("crossing");
	pthread_t t;
	pthread_create(&t, NULL, end_elsewhere, NULL);
	pthread_join(t, NULL);
	child_done();
}

static void test_a_phase_ended_by_another_thread_says_so(void)
{
	struct profile p;
	CHECK(run_child(scenario_cross_thread, &p) == 0);
	if (!p.nnodes)
		return;
	const struct profile_phase *ph = phase_named(&p, "crossing");
	CHECK(ph && (ph->flags & OOMPH_PHASE_F_OTHER_THREAD) && ph->tid_begin != ph->tid_end);
	profile_free(&p);
}

/* A process killed inside a phase leaves it open with its numbers so far. */
static void scenario_killed_in_phase(void)
{
	start(1);
	oomph_phase_begin("dying");
	at(1, 1);
	tracker_on_alloc(A(1), 7000);
	kill(getpid(), SIGKILL);
}

static void test_a_process_killed_in_a_phase_leaves_it_open(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		scenario_killed_in_phase();
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st));
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%d.oomph", dir, (int)pid);
	struct profile p;
	CHECK_EQ_INT(profile_load(path, &p, err, sizeof(err)), 0);
	unlink(path);
	const struct profile_phase *ph = phase_named(&p, "dying");
	CHECK(ph && ph->open && ph->end_s < 0 && ph->peak_bytes - ph->start_bytes == 7000);
	profile_free(&p);
}

/* Snapshot requests: asked through the state, answered by the supervisor
 * (played here by a thread), and the snapshot signal only counts. */
static void *fake_supervisor(void *arg)
{
	(void)arg;
	struct oomph_state_header *h = tracker_state();
	while (atomic_load(&h->snap_asked) == 0)
		usleep(1000);
	struct oomph_state_snap_path *sp = &h->snap_paths[1];
	snprintf(sp->path, sizeof(sp->path), "%.4000s", h->snap_dir);
	atomic_store(&sp->n, 7);
	h->snap_result = 7;
	atomic_store(&h->snap_done, atomic_load(&h->snap_asked));
	return NULL;
}

static void scenario_snapshots(void)
{
	snapshot_signal = SIGUSR2;
	start(1);
	struct oomph_state_header *h = tracker_state();
	CHECK_EQ_INT(h->snap_signal, SIGUSR2);
	raise(SIGUSR2);
	raise(SIGUSR2);
	raise(SIGUSR2);
	CHECK_EQ_INT(atomic_load(&h->snap_signals), 3); /* and still alive */
	CHECK_EQ_INT(oomph_snapshot(NULL, 0.02), -ETIMEDOUT); /* nobody answers */
	pthread_t t;
	atomic_store(&h->snap_asked, 0);
	pthread_create(&t, NULL, fake_supervisor, NULL);
	CHECK_EQ_INT(oomph_snapshot("snaps/here", 10), 7);
	pthread_join(t, NULL);
	char cwd[1024], want[1100], buf[2048];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/snaps/here", cwd);
	CHECK_EQ_INT(oomph_snapshot_path(7, buf, sizeof(buf)), (long long)strlen(want));
	CHECK_STR_EQ(buf, want);
	CHECK_EQ_INT(oomph_snapshot_path(8, buf, sizeof(buf)), -ENOENT);
	/* the program's own handler replaces ours and gets the signal */
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	CHECK_EQ_INT(atomic_load(&h->snap_signals), 3);
	child_done();
}

static void scenario_inherited_ignored(void)
{
	signal(SIGUSR2, SIG_IGN);
	snapshot_signal = SIGUSR2;
	start(1);
	CHECK_EQ_INT(tracker_state()->snap_signal, 0);
	raise(SIGUSR2); /* still ignored: it must not kill us */
	CHECK_EQ_INT(atomic_load(&tracker_state()->snap_signals), 0);
	child_done();
}

static void test_snapshot_requests_and_the_signal(void)
{
	struct profile p;
	CHECK(run_child(scenario_snapshots, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
	CHECK(run_child(scenario_inherited_ignored, &p) == 0);
	if (p.nnodes)
		profile_free(&p);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-control-%d", (int)getpid());
	mkdir(dir, 0755);
	test_every_call_says_when_the_process_is_not_tracked();
	test_a_phase_has_exact_numbers_and_its_pictures();
	test_a_higher_peak_of_a_phase_replaces_its_picture();
	test_phases_nest();
	test_thousands_of_phases_stay_bounded();
	test_top_lines_prefer_the_programs_own_frames();
	test_a_phase_ended_by_another_thread_says_so();
	test_a_process_killed_in_a_phase_leaves_it_open();
	test_snapshot_requests_and_the_signal();
	rmdir(dir);
	return check_summary();
}
