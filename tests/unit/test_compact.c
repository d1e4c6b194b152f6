/* Unit tests of profile/compact.c: a finished process's state rewritten
 * compact renders the same report (summary.json byte for byte), is a small
 * fraction of the live file, and a compact file cut short or crafted is
 * refused by the reader like any other; rundir_compact_state() compacts in
 * place and leaves alone a state whose process may still write it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "profile/compact.h"
#include "profile/runmeta.h"
#include "supervisor/rerender.h"
#include "supervisor/rundir.h"
#include "tracker/control.h"
#include "tracker_fixture.h"

static char orig[512];

/* Stacks, frees, a peak, phases with their pictures, one still open. */
static void scenario(void)
{
	start(1);
	for (int i = 1; i <= 40; i++) {
		at(i, 10 + i);
		tracker_on_alloc(A(i), (size_t)(1000 * i));
	}
	int id = oomph_phase_begin("load");
	at(50, 60);
	tracker_on_alloc(A(50), 500000);
	tracker_on_free(A(50), 500000);
	at(51, 61);
	tracker_on_alloc(A(51), 7000);
	oomph_phase_end(id);
	int id2 = oomph_phase_begin("transform");
	at(52, 62);
	tracker_on_alloc(A(52), 90000);
	oomph_phase_end(id2);
	(void)oomph_phase_begin("left open");
	for (int i = 1; i <= 20; i++)
		tracker_on_free(A(i), (size_t)(1000 * i));
	tracker_on_exception("ValueError", 10, "bad row 7", 9);
}

static void make_state(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		scenario();
		tracker_on_exit(0);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(orig, sizeof orig, "%s/%d.oomph", dir, (int)pid);
}

/* A run directory with run.meta and an empty state/; its state path. */
static void make_run(const char *run, char *state_dir, size_t cap)
{
	char err[512];
	mkdir(run, 0700);
	snprintf(state_dir, cap, "%s/state", run);
	mkdir(state_dir, 0700);
	struct runmeta m;
	memset(&m, 0, sizeof m);
	snprintf(m.verdict, sizeof m.verdict, "exited");
	snprintf(m.status, sizeof m.status, "done");
	snprintf(m.cwd, sizeof m.cwd, "%s", dir);
	CHECK_EQ_INT(runmeta_save(run, &m, err, sizeof err), 0);
}

static void copy_sparse(const char *from, const char *to)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cp --sparse=always '%s' '%s'", from, to);
	CHECK_EQ_INT(system(cmd), 0);
}

static int compact_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char err[512] = "";
	int rc = state_compact(in, out, err, sizeof err);
	close(in);
	close(out);
	return rc;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[4][1 << 20];
	static int k;
	char *b = buf[k++ % 4];
	*len = fread(b, 1, sizeof buf[0] - 1, f);
	b[*len] = 0;
	fclose(f);
	return b;
}

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static int render(const char *run)
{
	struct run_outcome o;
	char err[1024] = "";
	fflush(stderr);
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	int rc = rerender_dir(run, &o, err, sizeof err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (rc)
		fprintf(stderr, "rerender %s: %s\n", run, err);
	return rc;
}

/* The same report from the compact state: summary.json byte for byte. */
static void test_same_report_from_the_compact_state(void)
{
	char ra[600], rb[600], sa[700], sb[700], pa[800], pb[800], ja[800], jb[800];
	snprintf(ra, sizeof ra, "%s/run-a", dir);
	snprintf(rb, sizeof rb, "%s/run-b", dir);
	make_run(ra, sa, sizeof sa);
	make_run(rb, sb, sizeof sb);
	snprintf(pa, sizeof pa, "%s/4242.oomph", sa);
	snprintf(pb, sizeof pb, "%s/4242.oomph", sb);
	copy_sparse(orig, pa);
	CHECK_EQ_INT(compact_file(orig, pb), 0);
	off_t live = size_of(pa), compact = size_of(pb);
	CHECK(live > 100 * 1024 * 1024);
	CHECK(compact > 0 && compact < 256 * 1024);
	int fd = open(orig, O_RDONLY);
	CHECK_EQ_INT((long long)state_compact_size(fd), compact);
	close(fd);

	struct profile p, q;
	char err[512] = "";
	CHECK_EQ_INT(profile_load(pa, &p, err, sizeof err), 0);
	CHECK_EQ_INT(profile_load(pb, &q, err, sizeof err), 0);
	CHECK_EQ_INT(q.peak_bytes, p.peak_bytes);
	CHECK_EQ_INT(q.end_bytes, p.end_bytes);
	CHECK_EQ_INT(q.nnodes, p.nnodes);
	CHECK_EQ_INT(q.nframes, p.nframes);
	CHECK_EQ_INT(q.nphases, 3);
	CHECK_EQ_INT(q.nphases, p.nphases);
	/* the exception the process died of is in the header: carried */
	CHECK_STR_EQ(q.exc_type, "ValueError");
	CHECK_STR_EQ(q.exc_message, "bad row 7");
	CHECK_STR_EQ(p.exc_message, q.exc_message);
	int pictures = 0;
	for (uint32_t i = 0; i < q.nphases && i < p.nphases; i++) {
		CHECK_EQ_INT(q.phases[i].peak_bytes, p.phases[i].peak_bytes);
		CHECK_EQ_INT(q.phases[i].has_picture, p.phases[i].has_picture);
		CHECK_EQ_INT(q.phases[i].npeak, p.phases[i].npeak);
		pictures += q.phases[i].has_picture;
	}
	CHECK(pictures >= 2);
	int same = 1;
	for (uint32_t i = 0; i < q.nnodes && i < p.nnodes; i++)
		same &= q.peak_self[i] == p.peak_self[i] && q.live_self[i] == p.live_self[i];
	CHECK(same);
	profile_free(&p);
	profile_free(&q);

	CHECK_EQ_INT(render(ra), 0);
	CHECK_EQ_INT(render(rb), 0);
	snprintf(ja, sizeof ja, "%s/summary.json", ra);
	snprintf(jb, sizeof jb, "%s/summary.json", rb);
	size_t la = 0, lb = 0;
	char *a = slurp(ja, &la), *b = slurp(jb, &lb);
	CHECK(a && b && la > 1000);
	/* the run directory's own name is the one difference allowed */
	char *x;
	while (a && (x = strstr(a, "run-a")) != NULL)
		x[4] = 'b';
	CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
	CHECK(a && strstr(a, "\"transform\"") != NULL);

	/* compacting a compact file changes nothing */
	char again[800];
	snprintf(again, sizeof again, "%s/again.oomph", dir);
	CHECK_EQ_INT(compact_file(pb, again), 0);
	size_t l1, l2;
	char *c1 = slurp(pb, &l1), *c2 = slurp(again, &l2);
	CHECK(c1 && c2 && l1 == l2 && memcmp(c1, c2, l1) == 0);
	unlink(again);
}

static void poke(const char *path, off_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	CHECK(pwrite(fd, bytes, n, off) == (ssize_t)n);
	close(fd);
}

#define POKE(path, field, value)                                                               \
	do {                                                                                   \
		__typeof__(((struct oomph_state_header *)0)->field) v_ = (value);              \
		poke(path, offsetof(struct oomph_state_header, field), &v_, sizeof v_);        \
	} while (0)

static int load_rc(const char *path, char *err, size_t cap)
{
	struct profile p;
	int rc = profile_load(path, &p, err, cap);
	if (rc == 0)
		profile_free(&p);
	return rc;
}

/* A compact file cut short, or with capacities and offsets that do not
 * fit, is refused with the reader's own errors; a phase naming a picture
 * slot beyond the compacted ones loads without it. */
static void test_cut_or_crafted_compact_files_are_refused(void)
{
	char c[600], t[600], err[1024];
	snprintf(c, sizeof c, "%s/c.oomph", dir);
	snprintf(t, sizeof t, "%s/t.oomph", dir);
	CHECK_EQ_INT(compact_file(orig, c), 0);
	struct oomph_state_header h;
	int fd = open(c, O_RDONLY);
	CHECK(pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h);
	close(fd);
	CHECK(h.flags & OOMPH_STATE_F_COMPACT);
	CHECK_EQ_INT(h.nodes_cap, atomic_load(&h.nodes_used));
	CHECK_EQ_INT(h.phases_cap, 3);
	CHECK(h.pics_cap >= 2 && h.pics_cap < OOMPH_PHASE_PICS);

	/* cut short, by a page and by a byte */
	for (off_t cut = 4096; cut >= 1; cut -= 4095) {
		copy_sparse(c, t);
		CHECK_EQ_INT(truncate(t, size_of(c) - cut), 0);
		CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ETRUNC);
		/* and not compacted again: the caller copies it as it is */
		char u[700];
		snprintf(u, sizeof u, "%s.out", t);
		CHECK_EQ_INT(compact_file(t, u), -EINVAL);
		unlink(u);
	}
	/* capacities beyond the file or beyond the format */
	copy_sparse(c, t);
	POKE(t, pics_cap, OOMPH_PHASE_PICS + 1);
	CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ECORRUPT);
	copy_sparse(c, t);
	POKE(t, phases_cap, OOMPH_PHASES_CAP + 1);
	CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ECORRUPT);
	copy_sparse(c, t);
	POKE(t, pics_off, h.file_size - 4096);
	CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "outside the file");
	copy_sparse(c, t);
	POKE(t, nodes_cap, atomic_load(&h.nodes_used) - 1);
	CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ECORRUPT);
	copy_sparse(c, t);
	POKE(t, strings_cap, 4);
	CHECK_EQ_INT(load_rc(t, err, sizeof err), OOMPH_PROFILE_ECORRUPT);
	/* no picture slots kept: the phases load, without pictures */
	copy_sparse(c, t);
	POKE(t, pics_cap, 0);
	struct profile p;
	CHECK_EQ_INT(profile_load(t, &p, err, sizeof err), 0);
	int pictures = 0;
	for (uint32_t i = 0; i < p.nphases; i++)
		pictures += p.phases[i].has_picture;
	CHECK_EQ_INT(pictures, 0);
	CHECK_EQ_INT(p.nphases, 3);
	profile_free(&p);
	/* no phase records kept: no phases, the rest as before */
	copy_sparse(c, t);
	POKE(t, phases_cap, 0);
	CHECK_EQ_INT(profile_load(t, &p, err, sizeof err), 0);
	CHECK_EQ_INT(p.nphases, 0);
	profile_free(&p);
	/* not a state file at all */
	poke(t, 0, "NOTOOMPH", 8);
	CHECK_EQ_INT(compact_file(t, c), -EINVAL);
	unlink(t);
	unlink(c);
}

/* In place, at the end of a run whose state stayed on disk. */
static void test_compact_in_place(void)
{
	char run[600], sd[700], done[800], live[800], err[1024] = "";
	snprintf(run, sizeof run, "%s/run-c", dir);
	make_run(run, sd, sizeof sd);
	snprintf(done, sizeof done, "%s/4243.oomph", sd);
	snprintf(live, sizeof live, "%s/4244.oomph", sd);
	copy_sparse(orig, done);
	copy_sparse(orig, live);
	/* 4244 says it is still running, as this very process */
	POKE(live, pid, (int32_t)getpid());
	POKE(live, end_state, OOMPH_END_RUNNING);
	off_t before = size_of(live);
	CHECK_EQ_INT(rundir_compact_state(sd, err, sizeof err), 0);
	CHECK(size_of(done) > 0 && size_of(done) < 256 * 1024);
	CHECK_EQ_INT(size_of(live), before);
	struct stat st;
	CHECK_EQ_INT(stat(done, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(load_rc(done, err, sizeof err), 0);
	/* nothing else left behind (no temporaries) */
	char cmd[900];
	snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", sd);
	CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/oomph-test-compact-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	make_state();
	test_same_report_from_the_compact_state();
	test_cut_or_crafted_compact_files_are_refused();
	test_compact_in_place();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_summary();
}
