/* profile/compact.c — see compact.h. */
#include "profile/compact.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "state/format.h"

static uint64_t align_up(uint64_t x)
{
	return (x + OOMPH_STATE_ALIGN - 1) / OOMPH_STATE_ALIGN * OOMPH_STATE_ALIGN;
}

/* [off, off + n*elem) inside a file of `size` bytes, aligned. */
static int inside(uint64_t off, uint64_t n, uint64_t elem, uint64_t size)
{
	return off % OOMPH_STATE_ALIGN == 0 && off <= size && (!elem || n <= (size - off) / elem);
}

/* One region to copy: from the input's offset to the output's. */
struct region {
	uint64_t *off;     /* in the output header */
	uint64_t from;     /* in the input */
	uint64_t bytes;
};

struct plan {
	struct oomph_state_header in, out;
	struct region r[20];
	int n;
};

static void add(struct plan *p, uint64_t *at, uint64_t *off_field, uint64_t bytes)
{
	p->r[p->n++] = (struct region){off_field, *off_field, bytes};
	*off_field = *at;
	*at = align_up(*at + bytes);
}

static int read_all(int fd, void *buf, size_t len, uint64_t off);

/* The compact layout of the state whose header is p->in, or -EINVAL (-EIO
 * when the input cannot be read). */
static int plan_of(struct plan *p, uint64_t size, int fd)
{
	const struct oomph_state_header *h = &p->in;
	if (memcmp(h->magic, OOMPH_STATE_MAGIC, 8) != 0 || h->version != OOMPH_STATE_VERSION ||
	    h->header_size != sizeof *h || h->file_size != size || atomic_load(&h->ready) != 1)
		return -EINVAL;
	uint64_t su = atomic_load(&h->strings_used);
	uint32_t nf = atomic_load(&h->frames_used), nn = atomic_load(&h->nodes_used);
	if (!inside(h->strings_off, h->strings_cap, 1, size) ||
	    !inside(h->frames_off, h->frames_cap, sizeof(struct oomph_state_frame), size) ||
	    !inside(h->nodes_off, h->nodes_cap, sizeof(struct oomph_state_node), size) ||
	    !inside(h->live_off, h->nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !inside(h->peak_off, h->nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !inside(h->journal_off, h->nodes_cap, sizeof(struct oomph_state_journal), size) ||
	    !inside(h->moment_off, h->nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !inside(h->jpeak_off, h->nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !inside(h->jgen_off, h->nodes_cap, sizeof(uint32_t), size) ||
	    !inside(h->inherit_off, h->nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    h->phases_cap > OOMPH_PHASES_CAP || h->pics_cap > OOMPH_PHASE_PICS ||
	    !inside(h->phases_off, h->phases_cap, sizeof(struct oomph_state_phase), size) ||
	    !inside(h->pics_off, h->pics_cap, sizeof(struct oomph_state_phase_pic), size) ||
	    h->strings_off < sizeof *h || su < 8 || su > h->strings_cap || nf > h->frames_cap ||
	    nn < 1 || nn > h->nodes_cap)
		return -EINVAL;
	/* phase records: ids 1..last in slots (id - 1) % OOMPH_PHASES_CAP */
	uint32_t last = atomic_load(&h->phases_last);
	uint32_t nph = last < h->phases_cap ? last : h->phases_cap;
	/* phase pictures: up to the last slot a phase holds */
	/* the history: as many entries as its counts say (in the file) */
	uint32_t hp = atomic_load(&h->hist_npoints), hm = atomic_load(&h->hist_nmoments);
	uint32_t hc = atomic_load(&h->hist_nchanges);
	if (hp > OOMPH_HIST_POINTS_CAP || hm > OOMPH_HIST_MOMENTS_CAP || hc > OOMPH_HIST_CHANGES_CAP ||
	    (hp && !inside(h->hist_points_off, hp, sizeof(struct oomph_state_hist_point), size)) ||
	    (hm && !inside(h->hist_moments_off, hm, sizeof(struct oomph_state_hist_moment), size)) ||
	    (hc && !inside(h->hist_changes_off, hc, sizeof(struct oomph_state_hist_change), size)))
		return -EINVAL;
	uint32_t npic = 0;
	for (uint32_t i = 0; last && i < h->pics_cap; i++) {
		_Atomic uint32_t phase;
		if (read_all(fd, &phase, sizeof phase,
			     h->pics_off + (uint64_t)i * sizeof(struct oomph_state_phase_pic)) != 0)
			return -EIO;
		if (atomic_load(&phase) != 0)
			npic = i + 1;
	}

	p->out = p->in;
	struct oomph_state_header *o = &p->out;
	uint64_t at = align_up(sizeof *o);
	p->n = 0;
	add(p, &at, &o->strings_off, su);
	o->strings_cap = su;
	add(p, &at, &o->frames_off, (uint64_t)nf * sizeof(struct oomph_state_frame));
	o->frames_cap = nf;
	add(p, &at, &o->nodes_off, (uint64_t)nn * sizeof(struct oomph_state_node));
	o->nodes_cap = nn;
	uint64_t pic_bytes = (uint64_t)nn * sizeof(struct oomph_state_bytes);
	add(p, &at, &o->live_off, pic_bytes);
	add(p, &at, &o->peak_off, pic_bytes);
	add(p, &at, &o->journal_off, (uint64_t)nn * sizeof(struct oomph_state_journal));
	add(p, &at, &o->moment_off, pic_bytes);
	add(p, &at, &o->phases_off, (uint64_t)nph * sizeof(struct oomph_state_phase));
	o->phases_cap = nph;
	add(p, &at, &o->pics_off, (uint64_t)npic * sizeof(struct oomph_state_phase_pic));
	o->pics_cap = npic;
	add(p, &at, &o->hist_points_off, (uint64_t)hp * sizeof(struct oomph_state_hist_point));
	add(p, &at, &o->hist_moments_off, (uint64_t)hm * sizeof(struct oomph_state_hist_moment));
	add(p, &at, &o->hist_changes_off, (uint64_t)hc * sizeof(struct oomph_state_hist_change));
	add(p, &at, &o->jpeak_off, pic_bytes);
	add(p, &at, &o->jgen_off, (uint64_t)nn * sizeof(uint32_t));
	add(p, &at, &o->inherit_off, pic_bytes);
	o->file_size = at;
	o->flags |= OOMPH_STATE_F_COMPACT;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* The input is read, never mapped: a page of a tmpfs file that was never
 * written (the tables' unused capacity) reads as zeros through read(),
 * but a fault on it needs a page, and on a full tmpfs that is SIGBUS. */
static int read_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* bytes from the input's offset to the output's, through a buffer */
static int copy_range(int in_fd, uint64_t from, int out_fd, uint64_t to, uint64_t bytes)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	while (bytes && !rc) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;
		rc = read_all(in_fd, buf, n, from);
		if (!rc)
			rc = write_all(out_fd, buf, n, to);
		from += n;
		to += n;
		bytes -= n;
	}
	free(buf);
	return rc;
}

/* The input's size and header: 0 or -errno. */
static int read_in(int fd, uint64_t *size, struct plan *p)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof p->in)
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return read_all(fd, &p->in, sizeof p->in, 0);
}

uint64_t state_compact_size(int in_fd)
{
	struct plan p;
	uint64_t size;
	if (read_in(in_fd, &size, &p) != 0)
		return 0;
	return plan_of(&p, size, in_fd) == 0 ? p.out.file_size : 0;
}

int state_compact(int in_fd, int out_fd, char *err, size_t errlen)
{
	struct plan p;
	uint64_t size;
	int rc = read_in(in_fd, &size, &p);
	if (rc)
		return err_set(rc, err, errlen, "cannot read the state: %s", strerror(-rc));
	rc = plan_of(&p, size, in_fd);
	if (rc == -EIO)
		return err_set(rc, err, errlen, "cannot read the state: %s", strerror(EIO));
	if (rc)
		return err_set(rc, err, errlen, "not a complete state file of version %u",
			       OOMPH_STATE_VERSION);
	if (ftruncate(out_fd, (off_t)p.out.file_size) != 0)
		rc = -errno;
	for (int i = 0; !rc && i < p.n; i++)
		if (p.r[i].bytes)
			rc = copy_range(in_fd, p.r[i].from, out_fd, *p.r[i].off, p.r[i].bytes);
	/* the header last: a file cut short by a crash is refused as truncated */
	if (!rc)
		rc = write_all(out_fd, &p.out, sizeof p.out, 0);
	if (rc)
		return err_set(rc, err, errlen, "cannot write the compact state: %s", strerror(-rc));
	return 0;
}
