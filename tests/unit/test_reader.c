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
#include "profile/profile.h"
#include "state/format.h"
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
	test_random_damage_never_crashes();
	unlink(good);
	unlink(bad);
	rmdir(dir);
	return check_summary();
}
