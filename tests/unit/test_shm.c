/* Unit tests of shared-memory segments (tracker/shm.h): the pure helpers,
 * and scenarios with real memfds and /dev/shm files driven through the
 * module's API (what the hooks call), read back through the state reader. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "profile/profile.h"
#include "state/format.h"
#include "tracker/shm.h"
#include "tracker/tracker.h"
#include "tracker_fixture.h"

#define MiB (1 << 20)

static void test_pages_and_charges(void)
{
	CHECK_EQ_INT(shm_pages(0), 0);
	CHECK_EQ_INT(shm_pages(1), 4096);
	CHECK_EQ_INT(shm_pages(4096), 4096);
	CHECK_EQ_INT(shm_pages(4097), 8192);
	/* a new segment: all of its growth is ours */
	int64_t base = 0;
	CHECK_EQ_INT(shm_charge_after(&base, 10 * MiB), 10 * MiB);
	CHECK_EQ_INT(shm_charge_after(&base, 4 * MiB), 4 * MiB);
	/* a segment first seen at 8 MiB (made elsewhere): only growth is ours */
	base = 8 * MiB;
	CHECK_EQ_INT(shm_charge_after(&base, 12 * MiB), 4 * MiB);
	CHECK_EQ_INT(shm_charge_after(&base, 2 * MiB), 0); /* shrunk below what we found */
	CHECK_EQ_INT(base, 2 * MiB);
	CHECK_EQ_INT(shm_charge_after(&base, 3 * MiB), 1 * MiB);
}

static void test_names_and_labels(void)
{
	char out[128];
	const char *l1 = "/memfd:big (deleted)";
	CHECK_EQ_INT(shm_name_from_link(l1, strlen(l1), OOMPH_SEGMENT_MEMFD, out, sizeof out), 3);
	CHECK_STR_EQ(out, "big");
	const char *l2 = "/dev/shm/psm_1234 (deleted)";
	shm_name_from_link(l2, strlen(l2), OOMPH_SEGMENT_TMPFS, out, sizeof out);
	CHECK_STR_EQ(out, "/dev/shm/psm_1234");
	shm_name_from_link(l2, strlen(l2), OOMPH_SEGMENT_TMPFS, out, 6);
	CHECK_STR_EQ(out, "/dev/");
	shm_label(OOMPH_SEGMENT_MEMFD, "big", out, sizeof out);
	CHECK_STR_EQ(out, "[shared memory: memfd 'big']");
	shm_label(OOMPH_SEGMENT_TMPFS, "/dev/shm/x", out, sizeof out);
	CHECK_STR_EQ(out, "[shared memory: /dev/shm/x]");
}

/* ftruncate as the hook does it: probe, the real call, then sized. */
static void sized(int fd, off_t len)
{
	struct shm_ticket t;
	int seg = shm_probe(fd, AT_FDCWD, NULL, &t);
	if (syscall(SYS_ftruncate, fd, len) == 0 && seg)
		shm_sized(fd, NULL, &t, (int64_t)len);
}

static void closed(int fd)
{
	struct shm_ticket t;
	int seg = shm_match(fd, AT_FDCWD, NULL, &t);
	close(fd);
	if (seg)
		shm_recheck(&t);
}

static void unmapped(void *p, size_t len)
{
	munmap(p, len);
	shm_unmapped(p, len);
}

static int64_t shared_bytes(const struct profile *p, const int64_t *self, int code, int line)
{
	char want[32];
	snprintf(want, sizeof(want), "f%d", code);
	int64_t sum = 0;
	for (uint32_t i = 1; i < p->nnodes; i++) {
		const struct profile_frame *f = &p->frames[p->nodes[i].frame];
		if (f->flags != PROFILE_FRAME_SHARED)
			continue;
		const struct profile_frame *up = &p->frames[p->nodes[p->nodes[i].parent].frame];
		if (!strcmp(up->func, want) && up->line == (uint32_t)line)
			sum += self[i];
	}
	return sum;
}

/* A memfd sized at f1:1 (8 MiB, then grown to 12 MiB at f2:2), mapped,
 * closed (the mapping keeps it), unmapped (gone: released); a second one
 * kept to the end. */
static void scenario_memfd(void)
{
	start(1 << 20);
	at(1, 1);
	int fd = memfd_create("big", 0);
	sized(fd, 8 * MiB);
	at(2, 2);
	sized(fd, 12 * MiB);
	void *m = mmap(NULL, 12 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	shm_mapped(fd, m, 12 * MiB);
	closed(fd);
	if (!shm_any())
		_exit(3); /* released while still mapped */
	unmapped(m, 12 * MiB);
	if (shm_any())
		_exit(4); /* not released when gone */
	at(3, 3);
	int keep = memfd_create("kept", 0);
	sized(keep, 3 * MiB + 1);
	/* a regular file on disk is not a segment */
	char path[300];
	snprintf(path, sizeof path, "%s/plain", dir);
	int pf = open(path, O_RDWR | O_CREAT, 0600);
	struct shm_ticket t;
	struct statfs fs;
	if (pf >= 0 && statfs(dir, &fs) == 0 && fs.f_type != 0x01021994 &&
	    shm_probe(pf, AT_FDCWD, NULL, &t))
		_exit(5);
	if (pf >= 0)
		close(pf);
	unlink(path);
}

static void test_memfd_is_charged_once_and_released_when_gone(void)
{
	struct profile p;
	CHECK(run_child(scenario_memfd, &p) == 0);
	if (p.nnodes == 0)
		return;
	/* the segment at its first line (charged there, grown there too) */
	CHECK_EQ_INT(shared_bytes(&p, p.peak_self, 1, 1), 12 * MiB);
	CHECK(p.peak_bytes >= 12 * MiB && p.peak_bytes < 12 * MiB + 64 * 1024);
	CHECK_EQ_INT(shared_bytes(&p, p.live_self, 1, 1), 0);
	CHECK_EQ_INT(shared_bytes(&p, p.live_self, 3, 3), 3 * MiB + 4096);
	CHECK_EQ_INT(p.nsegments, 1);
	if (p.nsegments == 1) {
		CHECK_STR_EQ(p.segments[0].kind, "memfd");
		CHECK_STR_EQ(p.segments[0].name, "kept");
		CHECK_EQ_INT(p.segments[0].bytes, 3 * MiB + 4096);
		CHECK_STR_EQ(p.frames[p.nodes[p.segments[0].node].frame].file,
			     "[shared memory: memfd 'kept']");
	}
	CHECK_EQ_INT(p.shm_bytes, 3 * MiB + 4096);
	CHECK_EQ_INT(p.shm_sized, 2);
	profile_free(&p);
}

/* A /dev/shm file: unlinked while open and mapped stays; the last close
 * after the unmap releases it.  A fork child inherits none of it. */
static char shm_path[64];
static void scenario_dev_shm(void)
{
	start(1 << 20);
	at(4, 4);
	int fd = open(shm_path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		_exit(2);
	sized(fd, 20 * MiB);
	void *m = mmap(NULL, 20 * MiB, PROT_READ, MAP_SHARED, fd, 0);
	shm_mapped(fd, m, 20 * MiB);
	pid_t kid = fork(); /* the tracker's atfork handler makes it its own state */
	if (kid == 0)
		_exit(shm_any() ? 7 : 0);
	int st;
	waitpid(kid, &st, 0);
	char kp[300];
	snprintf(kp, sizeof kp, "%s/%d.oomph", dir, (int)kid);
	unlink(kp);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		_exit(6); /* the child still held its parent's segment */
	struct shm_ticket t;
	int seg = shm_match(-1, AT_FDCWD, shm_path, &t);
	unlink(shm_path);
	if (seg)
		shm_recheck(&t);
	if (!seg || !shm_any())
		_exit(3);
	unmapped(m, 20 * MiB);
	if (!shm_any())
		_exit(4); /* the descriptor still holds it */
	closed(fd);
	if (shm_any())
		_exit(5);
}

static void test_dev_shm_file_lives_until_its_last_holder_goes(void)
{
	if (access("/dev/shm", W_OK) != 0)
		return;
	snprintf(shm_path, sizeof shm_path, "/dev/shm/oomph-unit-%d", (int)getpid());
	struct profile p;
	CHECK(run_child(scenario_dev_shm, &p) == 0);
	unlink(shm_path);
	if (p.nnodes == 0)
		return;
	CHECK_EQ_INT(shared_bytes(&p, p.peak_self, 4, 4), 20 * MiB);
	CHECK_EQ_INT(shared_bytes(&p, p.live_self, 4, 4), 0);
	CHECK_EQ_INT(p.nsegments, 0);
	profile_free(&p);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/oomph-test-shm-%d", (int)getpid());
	mkdir(dir, 0755);
	test_pages_and_charges();
	test_names_and_labels();
	test_memfd_is_charged_once_and_released_when_gone();
	test_dev_shm_file_lives_until_its_last_holder_goes();
	rmdir(dir);
	return check_summary();
}
