/* Unit tests of the state reader (profile/reader.c) on damaged files: each
 * kind of damage is rejected with its own code and a message that names the
 * file, and random damage never crashes it (run under ASan/UBSan). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/exitcodes.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "state/format.h"
#include "supervisor/rerender.h"
#include "tracker/tracker.h"

static char dir[256], good[512], bad[512];

static int cap(struct stack_key *out, int max, int *flags)
{
	static const int lines[3] = {3, 2, 1};
	int n = 0;
	for (; n < 3 && n < max; n++)
		out[n] = (struct stack_key){(const void *)(uintptr_t)(0x100 + n), (uint32_t)lines[n], 0};
	(void)flags;
	return n;
}

static int desc(const void *code, char *file, size_t fc, char *func, size_t nc)
{
	snprintf(file, fc, "prog.py");
	snprintf(func, nc, "fn%d", (int)((uintptr_t)code - 0x100));
	return 0;
}

static const struct stack_source src = {cap, desc, NULL, NULL};

/* A real state file, written by the tracker in a child process. */
static void make_good_file(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct tracker_config cfg = {.state_dir = dir, .sample_rate = 1, .source = &src, .python_version = "3.12.1"};
		if (tracker_init(&cfg))
			_exit(1);
		for (uintptr_t i = 1; i <= 100; i++)
			tracker_on_alloc((void *)(i << 8), 1000);
		tracker_on_free((void *)(1 << 8), 1000);
		/* as pyexit.c hands it over: the first non-empty line, made
		 * printable, cut at 200 bytes on a character's boundary */
		char msg[400] = "\n\n  bad\trow\x1b 7";
		size_t k = strlen(msg);
		while (k + 2 < 300)
			k += (size_t)snprintf(msg + k, sizeof msg - k, "\xc3\xa9"); /* é */
		strcat(msg, "\nsecond line");
		tracker_on_exception("__main__.BadRow", 15, msg, strlen(msg));
		tracker_on_exception("ValueError", 10, "later", 5); /* once per image */
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	snprintf(good, sizeof(good), "%s/%d.oomph", dir, (int)pid);
}

/* Copy (the first len bytes of, or all if len < 0) a state file, keeping it
 * sparse: state files are mostly holes, and writing them out densely would
 * cost over 100 MiB of disk writes per copy. */
static void copy_file(const char *from, const char *to, off_t len)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char buf[1 << 16];
	struct stat st;
	fstat(in, &st);
	off_t end = len < 0 || len > st.st_size ? st.st_size : len;
	/* only the data extents: holes stay holes */
	for (off_t pos = 0; pos < end;) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0 || data >= end)
			break;
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole > end)
			hole = end;
		for (off_t at = data; at < hole;) {
			size_t want = (size_t)(hole - at) < sizeof(buf) ? (size_t)(hole - at) : sizeof(buf);
			ssize_t n = pread(in, buf, want, at);
			if (n <= 0 || pwrite(out, buf, (size_t)n, at) != n)
				break;
			at += n;
		}
		pos = hole;
	}
	if (ftruncate(out, end) != 0)
		perror("ftruncate");
	close(in);
	close(out);
}

static void poke(const char *path, off_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	if (pwrite(fd, bytes, n, off) != (ssize_t)n)
		perror("pwrite");
	close(fd);
}

static int load(const char *path, char *err, size_t errlen)
{
	struct profile p;
	int rc = profile_load(path, &p, err, errlen);
	if (rc == 0)
		profile_free(&p);
	return rc;
}

static void test_a_good_file_loads(void)
{
	struct profile p;
	char err[512] = "";
	CHECK_EQ_INT(profile_load(good, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p.peak_bytes, 100 * 1000);
	CHECK_EQ_INT(p.end_bytes, 99 * 1000);
	CHECK_STR_EQ(p.python_version, "3.12.1");
	CHECK_STR_EQ(p.exc_type, "__main__.BadRow");
	/* "bad row 7" with its tab and escape made spaces (10 bytes), then
	 * 95 "é" of 2 bytes: 200, then the cut */
	char want[256] = "bad row  7";
	for (int i = 0; i < 95; i++)
		strcat(want, "\xc3\xa9");
	strcat(want, "...");
	CHECK_STR_EQ(p.exc_message, want);
	/* the leaf fn0 at line 3 holds everything */
	int64_t leaf = 0;
	for (uint32_t i = 1; i < p.nnodes; i++)
		if (!strcmp(p.frames[p.nodes[i].frame].func, "fn0"))
			leaf += p.peak_self[i];
	CHECK_EQ_INT(leaf, 100 * 1000);
	profile_free(&p);
}

static void test_missing_file_is_an_io_error(void)
{
	char err[512] = "";
	CHECK_EQ_INT(load("/nonexistent/x.oomph", err, sizeof(err)), OOMPH_PROFILE_EIO);
	CHECK_STR_CONTAINS(err, "/nonexistent/x.oomph");
}

static void test_truncated_files_are_rejected(void)
{
	char err[512] = "";
	struct stat st;
	stat(good, &st);
	copy_file(good, bad, st.st_size / 2);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ETRUNC);
	CHECK_STR_CONTAINS(err, "truncated");
	copy_file(good, bad, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ETRUNC);
	copy_file(good, bad, 100);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ETRUNC);
	copy_file(good, bad, 0);
	CHECK(load(bad, err, sizeof(err)) < 0);
}

static void test_foreign_and_other_version_files_are_rejected(void)
{
	char err[512] = "";
	copy_file(good, bad, -1);
	poke(bad, 0, "PK\3\4xxxx", 8);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_EFOREIGN);
	CHECK_STR_CONTAINS(err, "not an oomph profile");
	copy_file(good, bad, -1);
	uint32_t v = OOMPH_STATE_VERSION + 1;
	poke(bad, offsetof(struct oomph_state_header, version), &v, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_EVERSION);
	CHECK_STR_CONTAINS(err, "version");
}

static void test_corrupt_tables_are_rejected(void)
{
	char err[512] = "";
	struct oomph_state_header h;
	int fd = open(good, O_RDONLY);
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		perror("pread");
	close(fd);

	/* a node whose parent is not older than itself (a cycle) */
	copy_file(good, bad, -1);
	struct oomph_state_node n = {5, 0};
	poke(bad, (off_t)(h.nodes_off + 2 * sizeof(n)), &n, sizeof(n));
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "node 2");

	/* a frame naming a string past the end of the table */
	copy_file(good, bad, -1);
	uint32_t off = 0x7ffffff0;
	poke(bad, (off_t)h.frames_off, &off, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "frame 0");

	/* a count larger than its table */
	copy_file(good, bad, -1);
	uint32_t big = (uint32_t)h.nodes_cap + 1;
	poke(bad, offsetof(struct oomph_state_header, nodes_used), &big, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);

	/* a table placed outside the file */
	copy_file(good, bad, -1);
	uint64_t far = h.file_size + 4096;
	poke(bad, offsetof(struct oomph_state_header, journal_off), &far, 8);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);

	/* the exception's words: a control character, no terminating NUL,
	 * broken UTF-8, a flag that is not 0 or 1 */
	copy_file(good, bad, -1);
	poke(bad, offsetof(struct oomph_state_header, exc_type) + 3, "\x1b", 1);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "exception");
	copy_file(good, bad, -1);
	static char full[OOMPH_EXC_MESSAGE_MAX];
	memset(full, 'x', sizeof full);
	poke(bad, offsetof(struct oomph_state_header, exc_message), full, sizeof full);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	copy_file(good, bad, -1);
	poke(bad, offsetof(struct oomph_state_header, exc_message), "\xc3x", 2);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	copy_file(good, bad, -1);
	uint32_t two = 2;
	poke(bad, offsetof(struct oomph_state_header, exc_set), &two, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "exc_set");
	/* not set: whatever the fields hold is not read */
	copy_file(good, bad, -1);
	uint32_t unset = 0;
	poke(bad, offsetof(struct oomph_state_header, exc_set), &unset, 4);
	poke(bad, offsetof(struct oomph_state_header, exc_type), "\x1b", 1);
	struct profile q;
	CHECK_EQ_INT(profile_load(bad, &q, err, sizeof(err)), 0);
	CHECK_STR_EQ(q.exc_type, "");
	profile_free(&q);

	/* a writer that died before it finished the header */
	copy_file(good, bad, -1);
	uint32_t zero = 0;
	poke(bad, offsetof(struct oomph_state_header, ready), &zero, 4);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ENOTREADY);

	/* a file longer than its header says */
	copy_file(good, bad, -1);
	int f = open(bad, O_WRONLY);
	CHECK(ftruncate(f, (off_t)h.file_size + 10) == 0);
	close(f);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
}

/* Died in the middle of taking a peak snapshot: the journal is replayed. */
static void test_an_interrupted_snapshot_is_replayed(void)
{
	char err[512] = "";
	struct oomph_state_header h;
	copy_file(good, bad, -1);
	int fd = open(bad, O_RDWR);
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		perror("pread");
	/* journal: at the peak (the file's maximum, 100,000 bytes) node 1 held
	 * everything, every other node nothing — unlike the applied picture */
	uint32_t nn = atomic_load(&h.nodes_used);
	for (uint32_t i = 1; i < nn; i++) {
		struct oomph_state_journal j = {i, 0, {i == 1 ? 100000 : 0, i == 1 ? 100000 : 0}};
		off_t at = (off_t)(h.journal_off + (i - 1) * sizeof(j));
		if (pwrite(fd, &j, sizeof(j), at) != (ssize_t)sizeof(j))
			perror("pwrite");
	}
	uint32_t one = nn - 1;
	int64_t total = 100000;
	uint64_t odd = 3;
	pwrite(fd, &one, 4, offsetof(struct oomph_state_header, journal_count));
	pwrite(fd, &total, 8, offsetof(struct oomph_state_header, journal_bytes));
	pwrite(fd, &odd, 8, offsetof(struct oomph_state_header, peak_seq));
	close(fd);
	struct profile p;
	CHECK_EQ_INT(profile_load(bad, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p.peak_bytes, 100000);
	CHECK_EQ_INT(p.peak_self[1], 100000);
	profile_free(&p);
}

/* The header of a copy, read back; and helpers to poke one field or one
 * node's picture entry. */
static struct oomph_state_header read_header(const char *path)
{
	struct oomph_state_header h;
	int fd = open(path, O_RDONLY);
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		perror("pread");
	close(fd);
	return h;
}

#define POKE_FIELD(path, field, value)                                                   \
	do {                                                                             \
		__typeof__(((struct oomph_state_header *)0)->field) v_ = (value);          \
		poke(path, offsetof(struct oomph_state_header, field), &v_, sizeof(v_));   \
	} while (0)

static void poke_bytes(const char *path, uint64_t table_off, uint32_t node, int64_t bytes,
		       int64_t exact)
{
	struct oomph_state_bytes b = {bytes, exact};
	poke(path, (off_t)(table_off + node * sizeof(b)), &b, sizeof(b));
}

/* The crafted file of issue 11 (item 2): stack bytes and totals no process
 * can hold rendered as "4.0 EiB, 3,627,807,272,618 %".  Each impossible
 * figure is rejected, and the message names the check that failed. */
static void test_impossible_figures_are_rejected(void)
{
	char err[512] = "";
	struct oomph_state_header h = read_header(good);

	/* one stack holding 2^62 bytes at the peak */
	copy_file(good, bad, -1);
	poke_bytes(bad, h.peak_off, 1, INT64_C(1) << 62, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "peak picture: stack node 1 holds 4611686018427387904 bytes");

	/* a negative live stack */
	copy_file(good, bad, -1);
	poke_bytes(bad, h.live_off, 2, -4096, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "live picture: stack node 2");

	/* an exact part out of range */
	copy_file(good, bad, -1);
	poke_bytes(bad, h.live_off, 1, 100, INT64_MIN);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "live picture: stack node 1");

	/* stacks each possible, together more than a process can hold: their
	 * int64 sum would overflow further down without this */
	copy_file(good, bad, -1);
	uint32_t nn = atomic_load(&h.nodes_used);
	for (uint32_t i = 1; i < nn; i++)
		poke_bytes(bad, h.peak_off, i, (INT64_C(1) << 57) - 1, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "peak picture: the stacks add up to more than 144115188075855872");

	/* header totals, times, rates and ids out of range */
	copy_file(good, bad, -1);
	POKE_FIELD(bad, peak_bytes, INT64_MAX);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field peak_bytes is 9223372036854775807");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, max_bytes, INT64_MIN + 1);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field max_bytes");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, cur_bytes, INT64_C(1) << 60);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field cur_bytes");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, sample_rate, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field sample_rate is 0");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, max_rss_kib, UINT64_C(1) << 60);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field max_rss_kib");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, end_time_ns, UINT64_MAX);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field end_time_ns");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, pid, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field pid is 0");
	copy_file(good, bad, -1);
	POKE_FIELD(bad, limit_bytes, INT64_MAX);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "header field limit_bytes");

	/* a moment picture with an impossible stack */
	copy_file(good, bad, -1);
	POKE_FIELD(bad, moment_seq, 2);
	POKE_FIELD(bad, moment_nodes, nn);
	POKE_FIELD(bad, moment_reason, OOMPH_MOMENT_NEAR_OOM);
	poke_bytes(bad, h.moment_off, 1, -1, 0);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "moment picture: stack node 1");

	/* a journal record that would put an impossible value in the peak */
	copy_file(good, bad, -1);
	struct oomph_state_journal j = {1, 0, {INT64_MAX, 0}};
	poke(bad, (off_t)h.journal_off, &j, sizeof(j));
	POKE_FIELD(bad, journal_count, 1);
	POKE_FIELD(bad, journal_bytes, 100000);
	POKE_FIELD(bad, peak_seq, 3);
	CHECK_EQ_INT(load(bad, err, sizeof(err)), OOMPH_PROFILE_ECORRUPT);
	CHECK_STR_CONTAINS(err, "peak picture: stack node 1");
}

/* Extreme figures a process could still hold load, and every total the
 * report adds up stays exact: the stacks sum to the peak, none negative. */
static void test_extreme_but_possible_figures_add_up(void)
{
	char err[512] = "";
	struct oomph_state_header h = read_header(good);
	uint32_t nn = atomic_load(&h.nodes_used);
	copy_file(good, bad, -1);
	const int64_t big = INT64_C(1) << 55; /* 32 PiB: 4 of them is the most */
	for (uint32_t i = 1; i < nn && i <= 3; i++)
		poke_bytes(bad, h.peak_off, i, big, i == 1 ? big : 0);
	POKE_FIELD(bad, peak_bytes, 3 * big);
	POKE_FIELD(bad, max_bytes, 3 * big);
	/* a moment above the peak (taken while another thread's allocation had
	 * raised the total but not yet its maximum): the peak is at least it */
	POKE_FIELD(bad, moment_seq, 2);
	POKE_FIELD(bad, moment_nodes, nn);
	POKE_FIELD(bad, moment_reason, OOMPH_MOMENT_FAILED_ALLOC);
	POKE_FIELD(bad, moment_bytes, 3 * big + 4096);
	struct profile p;
	CHECK_EQ_INT(profile_load(bad, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(p.peak_bytes, 3 * big + 4096);
	int64_t sum = 0, msum = 0;
	int negative = 0;
	for (uint32_t i = 0; i < p.nnodes; i++) {
		sum += p.peak_self[i];
		msum += p.moment_self ? p.moment_self[i] : 0;
		negative += p.peak_self[i] < 0 || p.live_self[i] < 0;
	}
	CHECK_EQ_INT(sum, p.peak_bytes);
	CHECK_EQ_INT(msum, p.moment_bytes);
	CHECK_EQ_INT(negative, 0);
	CHECK_EQ_INT(p.peak_self[1] >= big, 1); /* its exact part is kept */
	profile_free(&p);
}

/* `oomph report DIR` on a run whose one profile is the crafted file: exit
 * status 65 (data error), and the summary names the check that failed. */
static void test_report_of_a_crafted_file_says_which_check_failed(void)
{
	char run[600], state[700], path[800], out[800], err[1024] = "";
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(state, sizeof(state), "%s/state", run);
	snprintf(path, sizeof(path), "%s/4242.oomph", state);
	snprintf(out, sizeof(out), "%s/stderr.txt", dir);
	mkdir(run, 0755);
	mkdir(state, 0755);
	struct runmeta m;
	memset(&m, 0, sizeof(m));
	snprintf(m.verdict, sizeof(m.verdict), "exited");
	snprintf(m.cwd, sizeof(m.cwd), "%s", dir);
	CHECK_EQ_INT(runmeta_save(run, &m, err, sizeof(err)), 0);
	copy_file(good, path, -1);
	struct oomph_state_header h = read_header(good);
	poke_bytes(path, h.peak_off, 1, INT64_C(1) << 62, 0);
	POKE_FIELD(path, peak_bytes, INT64_C(1) << 62);

	fflush(stderr);
	int saved = dup(2), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	close(fd);
	struct run_outcome o;
	int rc = rerender_dir(run, &o, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK(rc < 0);
	CHECK_EQ_INT(o.status, OOMPH_EXIT_DATAERR);
	CHECK_STR_CONTAINS(err, "could be read");
	char text[8192] = "";
	fd = open(out, O_RDONLY);
	ssize_t got = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[got > 0 ? got : 0] = 0;
	CHECK_STR_CONTAINS(text, "4242.oomph");
	CHECK_STR_CONTAINS(text, "header field peak_bytes is 4611686018427387904");
	CHECK(!strstr(text, "EiB"));
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", run, out);
	CHECK_EQ_INT(system(cmd), 0);
}

/* Random damage to the header and the first table pages: never a crash. */
static void test_random_damage_never_crashes(void)
{
	char err[512];
	int rejected = 0, loaded = 0;
	for (int round = 0; round < 300; round++) {
		copy_file(good, bad, -1);
		int fd = open(bad, O_WRONLY);
		for (int k = 0; k < 8; k++) {
			off_t off = (off_t)(rand() % (8192 * 4));
			unsigned char b = (unsigned char)rand();
			if (pwrite(fd, &b, 1, off) != 1)
				perror("pwrite");
		}
		close(fd);
		if (load(bad, err, sizeof(err)) == 0)
			loaded++;
		else
			rejected++;
	}
	CHECK_EQ_INT(loaded + rejected, 300);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-reader-%d", (int)getpid());
	mkdir(dir, 0755);
	snprintf(bad, sizeof(bad), "%s/bad.oomph", dir);
	srand(12345);
	make_good_file();
	test_a_good_file_loads();
	test_missing_file_is_an_io_error();
	test_truncated_files_are_rejected();
	test_foreign_and_other_version_files_are_rejected();
	test_corrupt_tables_are_rejected();
	test_an_interrupted_snapshot_is_replayed();
	test_impossible_figures_are_rejected();
	test_extreme_but_possible_figures_add_up();
	test_report_of_a_crafted_file_says_which_check_failed();
	test_random_damage_never_crashes();
	unlink(good);
	unlink(bad);
	rmdir(dir);
	return check_summary();
}
