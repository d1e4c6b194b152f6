/* profile/reader.c — load a state file (state/format.h) into struct profile.
 *
 * The file comes from a process that may have died at any instant, or from
 * anywhere at all (`oomph report DIR` on a damaged directory): every size,
 * offset, count and reference is checked before it is used, and the error
 * says which check failed.  Nothing is trusted from the file's own pointers.
 */
#include "profile/profile.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/safefs.h"
#include "state/format.h"

/* A region [off, off + n*elem) lies inside the file. */
static int region_ok(uint64_t off, uint64_t n, uint64_t elem, uint64_t file_size)
{
	if (off % OOMPH_STATE_ALIGN || off > file_size)
		return 0;
	if (elem && n > (file_size - off) / elem)
		return 0;
	return 1;
}

/* A string offset names a complete, NUL-terminated entry below `used`. */
static const char *string_at(const char *base, uint64_t used, uint32_t off)
{
	if (off % 4 || (uint64_t)off + 5 > used)
		return NULL;
	uint32_t len;
	memcpy(&len, base + off, 4);
	if ((uint64_t)off + 4 + len + 1 > used || base[off + 4 + len] != 0)
		return NULL;
	return base + off + 4;
}

/* The file's (bytes, exact) pairs are copied straight into the model's. */
_Static_assert(sizeof(struct profile_bytes) == sizeof(struct oomph_state_bytes) &&
		       offsetof(struct profile_bytes, exact) ==
			       offsetof(struct oomph_state_bytes, exact),
	       "profile_bytes mirrors oomph_state_bytes");

/* Every figure of a picture (live[], peak[], the journal, moment[]) is a
 * count of bytes held: never negative (a credit only takes back what a
 * node was charged), none above what a process can hold, and neither the
 * stacks' bytes nor their exact parts add up to more.  `exact` may exceed
 * `bytes` by what one credit takes back (the writer updates bytes, then
 * exact, and may die between the two): profile_rescale() reads it as bytes
 * then. */
static int check_picture(const struct profile_bytes *v, uint32_t n, const char *what,
			 const char *path, char *err, size_t errlen)
{
	int64_t bytes = 0, exact = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!in_range_i64(v[i].bytes, 0, OOMPH_BYTES_MAX) ||
		    !in_range_i64(v[i].exact, 0, OOMPH_BYTES_MAX))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: %s picture: stack node %u holds %lld bytes (%lld exact), "
				    "outside 0 .. %lld (the most a process can hold)",
				    path, what, i, (long long)v[i].bytes, (long long)v[i].exact,
				    (long long)OOMPH_BYTES_MAX);
		/* both sums stay below 2^63: each term is below 2^57 and so is
		 * every partial sum that passed the test before it */
		bytes += v[i].bytes;
		exact += v[i].exact;
		if (bytes > OOMPH_BYTES_MAX || exact > OOMPH_BYTES_MAX)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: %s picture: the stacks add up to more than %lld bytes "
				    "(the most a process can hold) by node %u",
				    path, what, (long long)OOMPH_BYTES_MAX, i);
	}
	return 0;
}

/* Bytes no sample accounts for (a process that died before its first
 * sample) go to a synthetic "[unattributed]" root, so totals add up. */
static void add_unattributed(struct profile *p, int64_t peak_left, int64_t live_left,
			     int64_t moment_left)
{
	uint32_t f = p->nframes++, n = p->nnodes++;
	const char *name = p->strings + p->strings_len + 1;
	p->frames[f] = (struct profile_frame){name, "", 0, PROFILE_FRAME_SYNTHETIC};
	p->nodes[n] = (struct profile_node){0, f};
	p->unattributed_node = n;
	p->peak_self[n] = peak_left;
	p->live_self[n] = live_left;
	if (p->moment_self)
		p->moment_self[n] = moment_left;
}

static int split_cmdline(struct profile *p, const char *buf, uint32_t len)
{
	int argc = 0;
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] == 0)
			argc++;
	if (len && buf[len - 1] != 0)
		argc++;
	p->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!p->argv)
		return -1;
	uint32_t start = 0;
	for (uint32_t i = 0; i <= len && p->argc < argc; i++) {
		if (i == len || buf[i] == 0) {
			p->argv[p->argc] = strndup(buf + start, i - start);
			if (!p->argv[p->argc])
				return -1;
			p->argc++;
			start = i + 1;
		}
	}
	return 0;
}

/* The decisive moment (moment[]), if one was taken and not torn. */
static int load_moment(const char *m, const struct oomph_state_header *h, struct profile *p,
		       uint32_t nn, int64_t *left, char *err, size_t errlen)
{
	uint64_t seq = atomic_load(&h->moment_seq);
	if (seq == 0 || (seq & 1))
		return 0; /* never taken, or the writer died taking it */
	uint32_t mn = h->moment_nodes;
	if (mn > nn || mn == 0 ||
	    (h->moment_reason != OOMPH_MOMENT_NEAR_OOM &&
	     h->moment_reason != OOMPH_MOMENT_FAILED_ALLOC))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: moment picture has %u nodes of %u, reason %u", p->path, mn, nn,
			    h->moment_reason);
	struct profile_bytes *v = calloc(nn, sizeof(*v));
	p->moment_self = calloc(nn + 1, sizeof(int64_t));
	if (!v || !p->moment_self) {
		free(v);
		return OOMPH_PROFILE_ENOMEM;
	}
	memcpy(v, m + h->moment_off, mn * sizeof(*v));
	int rc = check_picture(v, mn, "moment", p->path, err, errlen);
	if (rc) {
		free(v);
		return rc;
	}
	p->moment_bytes = h->moment_bytes > 0 ? h->moment_bytes : 0;
	*left = profile_rescale(p->moment_self, v, nn, p->moment_bytes);
	free(v);
	p->moment_time_s = (double)h->moment_time_ns / 1e9;
	p->moment_headroom = h->moment_headroom;
	snprintf(p->moment_reason, sizeof(p->moment_reason), "%s",
		 h->moment_reason == OOMPH_MOMENT_NEAR_OOM ? "near-oom" : "failed-allocation");
	return 0;
}

/* The most recent failed allocations, oldest first; torn entries skipped. */
static void load_failures(const struct oomph_state_header *h, struct profile *p, uint32_t nn)
{
	uint64_t total = atomic_load(&h->failures_total);
	p->failures_total = total;
	if (!total)
		return;
	uint64_t first = total > OOMPH_FAILURES_CAP ? total - OOMPH_FAILURES_CAP + 1 : 1;
	p->failures = calloc(OOMPH_FAILURES_CAP, sizeof(*p->failures));
	if (!p->failures)
		return;
	for (uint64_t n = first; n <= total; n++) {
		const struct oomph_state_failure *f = &h->failures[(n - 1) % OOMPH_FAILURES_CAP];
		if (atomic_load(&f->seq) != n || f->time_ns > OOMPH_TIME_MAX_NS || f->err < 0 ||
		    f->err > 4095)
			continue; /* torn, or not a failure a tracker records */
		struct profile_failure *o = &p->failures[p->nfailures++];
		o->size = f->size;
		o->time_s = (double)f->time_ns / 1e9;
		o->node = f->node < nn ? f->node : 0;
		o->err = f->err;
		memcpy(o->call, f->call, sizeof(o->call));
		o->call[sizeof(o->call) - 1] = 0;
	}
}

/* The history: what the tracker recorded over time, with the peak and
 * the end made moments of their own (profile_history_assemble). */
static int load_history(const char *m, const struct oomph_state_header *h, struct profile *p,
			uint32_t nn, const struct profile_bytes *peak, const struct profile_bytes *live,
			char *err, size_t errlen)
{
	(void)m;
	(void)h;
	(void)err;
	(void)errlen;
	return profile_history_assemble(p, nn, NULL, 0, NULL, 0, NULL, peak, live);
}

/* One phase record, copied consistently (its seqlock), or 0 if torn or
 * empty. */
static int phase_copy(const struct oomph_state_phase *src, struct oomph_state_phase *out)
{
	uint32_t v = atomic_load(&src->ver);
	if (v & 1)
		return 0; /* the writer was in the middle of it (and maybe died there) */
	memcpy(out, (const void *)src, sizeof(*out));
	atomic_thread_fence(memory_order_acquire);
	return atomic_load(&src->ver) == v && out->id && out->state;
}

static int phase_pictures(const char *m, const struct oomph_state_header *h, uint32_t slot,
			  uint32_t nn, struct profile_phase *ph)
{
	const struct oomph_state_phase_pic *pic =
		(const struct oomph_state_phase_pic *)(const void *)(m + h->pics_off) + (slot - 1);
	if (atomic_load(&pic->phase) != ph->id)
		return 0; /* taken over by a larger phase meanwhile */
	uint32_t np = pic->npeak, nl = pic->nleft;
	if (np > OOMPH_PHASE_PIC_NODES || nl > OOMPH_PHASE_PIC_NODES || pic->peak_other < 0 ||
	    pic->left_other < 0)
		return -1;
	ph->peak = calloc(np + 1, sizeof(*ph->peak));
	ph->left = calloc(nl + 1, sizeof(*ph->left));
	if (!ph->peak || !ph->left)
		return OOMPH_PROFILE_ENOMEM;
	for (uint32_t k = 0; k < np + nl; k++) {
		const struct oomph_state_pic_entry *e = k < np ? &pic->peak[k] : &pic->left[k - np];
		if (e->node == 0 || e->node >= nn || e->bytes <= 0 || e->bytes > INT64_MAX / 4096)
			return -1;
		struct profile_phase_entry *o = k < np ? &ph->peak[k] : &ph->left[k - np];
		*o = (struct profile_phase_entry){e->node, e->bytes};
	}
	ph->npeak = np;
	ph->nleft = nl;
	ph->peak_other = pic->peak_other;
	ph->left_other = pic->left_other;
	ph->has_picture = 1;
	return 0;
}

/* The phases, oldest first.  Every field bounded: ids by phases_last,
 * parents older than the phase, names in the string table, times in order,
 * bytes not negative, pictures naming nodes that exist. */
static int load_phases(const char *m, const struct oomph_state_header *h, struct profile *p,
		       uint32_t nn, char *err, size_t errlen)
{
	uint32_t last = atomic_load(&h->phases_last);
	p->phases_total = last;
	if (!last)
		return 0;
	uint32_t first = last > OOMPH_PHASES_CAP ? last - OOMPH_PHASES_CAP + 1 : 1;
	uint32_t want = last - first + 1;
	p->phases = calloc(want, sizeof(*p->phases));
	if (!p->phases)
		return OOMPH_PROFILE_ENOMEM;
	const struct oomph_state_phase *recs =
		(const struct oomph_state_phase *)(const void *)(m + h->phases_off);
	for (uint32_t id = first; id <= last; id++) {
		struct oomph_state_phase r;
		if (!phase_copy(&recs[(id - 1) % OOMPH_PHASES_CAP], &r) || r.id != id)
			continue; /* torn, or its slot went to a later phase */
		const char *name = string_at(p->strings, p->strings_len, r.name);
		int open = r.state == OOMPH_PHASE_OPEN;
		int64_t pk = atomic_load(&r.peak_bytes);
		if (!name || (r.state != OOMPH_PHASE_OPEN && r.state != OOMPH_PHASE_CLOSED) ||
		    r.parent >= id || r.depth >= OOMPH_PHASE_DEPTH || r.pic > OOMPH_PHASE_PICS ||
		    r.start_bytes < 0 || pk < r.start_bytes || r.start_bytes > INT64_MAX / 4 ||
		    pk > INT64_MAX / 4 ||
		    (!open && (r.end_ns < r.start_ns || r.end_bytes < 0 || r.left_live_bytes < 0 ||
			       r.end_bytes > INT64_MAX / 4 || r.left_live_bytes > INT64_MAX / 4)))
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: phase %u is inconsistent (name, parent, times or bytes)",
				    p->path, id);
		struct profile_phase *ph = &p->phases[p->nphases++];
		ph->id = id;
		ph->parent = r.parent;
		ph->depth = r.depth;
		ph->flags = r.flags;
		ph->name = name;
		ph->open = open;
		ph->start_s = (double)r.start_ns / 1e9;
		ph->end_s = open ? -1.0 : (double)r.end_ns / 1e9;
		/* A thread racing with the phase's edges may leave the maximum a
		 * hair behind the end, or its time a clock tick early. */
		if (!open && r.end_bytes > pk)
			pk = r.end_bytes;
		uint64_t pns = atomic_load(&r.peak_ns);
		ph->peak_s = (double)(pns > r.start_ns ? pns : r.start_ns) / 1e9;
		ph->start_bytes = r.start_bytes;
		ph->peak_bytes = pk;
		ph->end_bytes = open ? 0 : r.end_bytes;
		ph->left_live_bytes = open ? 0 : r.left_live_bytes;
		ph->tid_begin = r.tid_begin;
		ph->tid_end = r.tid_end;
		if (r.pic && !open) {
			int rc = phase_pictures(m, h, r.pic, nn, ph);
			if (rc == OOMPH_PROFILE_ENOMEM)
				return rc;
			if (rc)
				return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
					    "%s: the pictures of phase %u are inconsistent", p->path, id);
		}
	}
	return 0;
}

static void load_limits(const struct oomph_state_header *h, struct profile *p)
{
	p->limit_bytes = h->limit_bytes > 0 ? h->limit_bytes : 0;
	memcpy(p->limit_kind, h->limit_kind, sizeof(p->limit_kind));
	p->limit_kind[sizeof(p->limit_kind) - 1] = 0;
	memcpy(p->limit_source, h->limit_source, sizeof(p->limit_source));
	p->limit_source[sizeof(p->limit_source) - 1] = 0;
	p->oom_threshold = h->oom_threshold;
	p->stopped_near_oom = atomic_load(&h->stopped) != 0;
	p->fault_signal = (int)atomic_load(&h->fault_signal);
	if (p->fault_signal) {
		p->fault_code = h->fault_code;
		p->fault_addr = h->fault_addr;
		p->fault_time_s = (double)h->fault_time_ns / 1e9;
		p->fault_node = h->fault_node < p->nnodes ? h->fault_node : 0;
	}
}

/* One header figure outside what a real run can write. */
static int bad_field(const char *path, const char *name, long long v, long long lo, long long hi,
		     char *err, size_t errlen)
{
	return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
		    "%s: header field %s is %lld, outside %lld .. %lld", path, name, v, lo, hi);
}

static int bad_ufield(const char *path, const char *name, uint64_t v, uint64_t hi, char *err,
		      size_t errlen)
{
	return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
		    "%s: header field %s is %llu, above %llu", path, name, (unsigned long long)v,
		    (unsigned long long)hi);
}

#define CHECK_I64(h, f, lo, hi)                                                             \
	do {                                                                                \
		int64_t v_ = (int64_t)(h)->f;                                               \
		if (!in_range_i64(v_, (lo), (hi)))                                          \
			return bad_field(path, #f, v_, (lo), (hi), err, errlen);            \
	} while (0)
#define CHECK_U64(h, f, hi)                                                                 \
	do {                                                                                \
		uint64_t v_ = (uint64_t)(h)->f;                                             \
		if (v_ > (uint64_t)(hi))                                                    \
			return bad_ufield(path, #f, v_, (uint64_t)(hi), err, errlen);        \
	} while (0)

/* Every figure of the header within what a real run can produce
 * (common/bounds.h).  Totals may be negative: the tracker subtracts the
 * frees of blocks it never saw allocated (made before it started), so
 * cur_bytes (and what is copied from it) can dip below zero; the reader
 * reads them as 0.  New fields get their bound here. */
static int check_header(const struct oomph_state_header *h, const char *path, char *err,
			size_t errlen)
{
	const int64_t B = OOMPH_BYTES_MAX, L = OOMPH_LIMIT_MAX;
	CHECK_I64(h, pid, 1, OOMPH_PID_MAX);
	CHECK_I64(h, ppid, 0, OOMPH_PID_MAX);
	CHECK_I64(h, sample_rate, 1, B);
	CHECK_I64(h, cur_bytes, -B, B);
	CHECK_I64(h, max_bytes, -B, B);
	CHECK_I64(h, peak_bytes, -B, B);
	CHECK_I64(h, journal_bytes, -B, B);
	CHECK_I64(h, moment_bytes, -B, B);
	CHECK_I64(h, limit_bytes, 0, L);
	CHECK_I64(h, oom_threshold, 0, L);
	CHECK_I64(h, moment_headroom, -L, L);
	CHECK_U64(h, max_rss_kib, B / 1024);
	CHECK_U64(h, start_realtime_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, max_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, last_update_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, peak_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, journal_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, end_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, moment_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, fault_time_ns, OOMPH_TIME_MAX_NS);
	CHECK_U64(h, n_sampled, OOMPH_COUNT_MAX);
	CHECK_U64(h, n_mmaps, OOMPH_COUNT_MAX);
	CHECK_U64(h, failures_total, OOMPH_COUNT_MAX);
	CHECK_U64(h, end_state, OOMPH_END_EXEC);
	CHECK_U64(h, oom_mode, OOMPH_OOM_OFF);
	CHECK_U64(h, fault_signal, 64);
	return 0;
}

static int load_mapped(const char *m, uint64_t size, struct profile *p, char *err, size_t errlen)
{
	struct oomph_state_header h;
	memcpy(&h, m, sizeof(h));
	const char *path = p->path;
	if (h.header_size != sizeof(h))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: header size %u, expected %zu", path, h.header_size, sizeof(h));
	if (size < h.file_size)
		return err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
			    "%s: truncated: %llu bytes, its header says %llu", path,
			    (unsigned long long)size, (unsigned long long)h.file_size);
	if (size != h.file_size)
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: %llu bytes, its header says %llu", path,
			    (unsigned long long)size, (unsigned long long)h.file_size);
	if (atomic_load(&h.ready) != 1)
		return err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			    "%s: the process died before its profile was initialised", path);
	if (!region_ok(h.strings_off, h.strings_cap, 1, size) ||
	    !region_ok(h.frames_off, h.frames_cap, sizeof(struct oomph_state_frame), size) ||
	    !region_ok(h.nodes_off, h.nodes_cap, sizeof(struct oomph_state_node), size) ||
	    !region_ok(h.live_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.peak_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.journal_off, h.nodes_cap, sizeof(struct oomph_state_journal), size) ||
	    !region_ok(h.moment_off, h.nodes_cap, sizeof(struct oomph_state_bytes), size) ||
	    !region_ok(h.phases_off, OOMPH_PHASES_CAP, sizeof(struct oomph_state_phase), size) ||
	    !region_ok(h.pics_off, OOMPH_PHASE_PICS, sizeof(struct oomph_state_phase_pic), size) ||
	    h.strings_off < sizeof(h))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen, "%s: a table lies outside the file",
			    path);
	uint64_t su = atomic_load(&h.strings_used);
	uint32_t nf = atomic_load(&h.frames_used);
	uint32_t nn = atomic_load(&h.nodes_used);
	if (su < 8 || su > h.strings_cap || nf > h.frames_cap || nn < 1 || nn > h.nodes_cap ||
	    h.cmdline_len > sizeof(h.cmdline))
		return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
			    "%s: table counts out of range (strings %llu, frames %u, nodes %u)",
			    path, (unsigned long long)su, nf, nn);

	int rc = check_header(&h, path, err, errlen);
	if (rc)
		return rc;

	/* strings */
	static const char unattributed[] = "[unattributed]";
	p->strings = malloc(su + 1 + sizeof(unattributed));
	if (!p->strings)
		return OOMPH_PROFILE_ENOMEM;
	memcpy(p->strings, m + h.strings_off, su);
	p->strings[su] = 0;
	/* kept after the table for add_unattributed() */
	memcpy(p->strings + su + 1, unattributed, sizeof(unattributed));
	p->strings_len = su;

	/* frames */
	const struct oomph_state_frame *sf =
		(const struct oomph_state_frame *)(const void *)(m + h.frames_off);
	p->frames = calloc(nf + 1, sizeof(*p->frames));
	if (!p->frames)
		return OOMPH_PROFILE_ENOMEM;
	for (uint32_t i = 0; i < nf; i++) {
		const char *file = string_at(p->strings, su, sf[i].file);
		const char *func = string_at(p->strings, su, sf[i].func);
		if (!file || !func || sf[i].flags > OOMPH_FRAME_TRUNCATED)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: frame %u refers to a missing string or has bad flags", path, i);
		p->frames[i] = (struct profile_frame){file, func, sf[i].line, sf[i].flags};
	}
	p->nframes = nf;

	/* nodes: parent < index makes the trie acyclic */
	const struct oomph_state_node *sn =
		(const struct oomph_state_node *)(const void *)(m + h.nodes_off);
	/* one spare node for add_unattributed() */
	p->nodes = calloc(nn + 1, sizeof(*p->nodes));
	p->peak_self = calloc(nn + 1, sizeof(int64_t));
	p->live_self = calloc(nn + 1, sizeof(int64_t));
	if (!p->nodes || !p->peak_self || !p->live_self)
		return OOMPH_PROFILE_ENOMEM;
	p->nodes[0].parent = UINT32_MAX;
	p->nodes[0].frame = UINT32_MAX;
	for (uint32_t i = 1; i < nn; i++) {
		if (sn[i].parent >= i || sn[i].frame >= nf)
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: stack node %u has parent %u, frame %u", path, i,
				    sn[i].parent, sn[i].frame);
		p->nodes[i].parent = sn[i].parent;
		p->nodes[i].frame = sn[i].frame;
	}
	p->nnodes = nn;

	/* the pictures */
	struct profile_bytes *live = malloc(nn * sizeof(*live));
	struct profile_bytes *peak = malloc(nn * sizeof(*peak));
	if (!live || !peak) {
		free(live);
		free(peak);
		return OOMPH_PROFILE_ENOMEM;
	}
	memcpy(live, m + h.live_off, nn * sizeof(*live));
	memcpy(peak, m + h.peak_off, nn * sizeof(*peak));
	int64_t peak_bytes = h.peak_bytes;
	uint64_t peak_ns = h.peak_time_ns;
	uint64_t seq = atomic_load(&h.peak_seq);
	if (seq & 1) { /* died while applying a snapshot: finish it from the journal */
		if (h.journal_count > nn) {
			free(live);
			free(peak);
			return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
				    "%s: peak journal has %u records for %u nodes", path,
				    h.journal_count, nn);
		}
		const struct oomph_state_journal *j =
			(const struct oomph_state_journal *)(const void *)(m + h.journal_off);
		for (uint32_t i = 0; i < h.journal_count; i++) {
			if (j[i].node >= nn) {
				free(live);
				free(peak);
				return err_set(OOMPH_PROFILE_ECORRUPT, err, errlen,
					    "%s: peak journal names node %u of %u", path,
					    j[i].node, nn);
			}
			memcpy(&peak[j[i].node], &j[i].value, sizeof(peak[0]));
		}
		peak_bytes = h.journal_bytes;
		peak_ns = h.journal_time_ns;
	}
	uint32_t end_state = atomic_load(&h.end_state);
	uint64_t last_ns = atomic_load(&h.last_update_ns);
	uint64_t end_ns = end_state != OOMPH_END_RUNNING ? h.end_time_ns : last_ns;
	int64_t max_bytes = atomic_load(&h.max_bytes);
	if (atomic_load(&h.peak_pending) || max_bytes > peak_bytes) {
		/* No free since the maximum was reached (or the writer died between
		 * raising it and saying so): live[] is the peak. */
		memcpy(peak, live, nn * sizeof(*peak));
		peak_bytes = max_bytes;
		uint64_t mt = atomic_load(&h.max_time_ns);
		peak_ns = mt > peak_ns ? mt : peak_ns;
	}
	if (end_ns < peak_ns)
		end_ns = peak_ns;
	if ((rc = check_picture(live, nn, "live", path, err, errlen)) != 0 ||
	    (rc = check_picture(peak, nn, "peak", path, err, errlen)) != 0) {
		free(live);
		free(peak);
		return rc;
	}
	/* Every total is within +-OOMPH_BYTES_MAX (check_header). */
	p->end_bytes = atomic_load(&h.cur_bytes);
	if (p->end_bytes < 0)
		p->end_bytes = 0;
	/* The peak is at least every other total: the exact total is raised
	 * before its maximum, so a death between the two (or a moment taken
	 * by another thread in between) can leave one above max_bytes. */
	p->peak_bytes = peak_bytes > p->end_bytes ? peak_bytes : p->end_bytes;
	uint64_t mseq = atomic_load(&h.moment_seq);
	if (mseq && !(mseq & 1) && h.moment_bytes > p->peak_bytes)
		p->peak_bytes = h.moment_bytes;
	p->duration_s = (double)end_ns / 1e9;
	p->peak_time_s = (double)peak_ns / 1e9;
	int64_t peak_left = profile_rescale(p->peak_self, peak, nn, p->peak_bytes);
	int64_t live_left = profile_rescale(p->live_self, live, nn, p->end_bytes);
	rc = load_history(m, &h, p, nn, peak, live, err, errlen);
	free(live);
	free(peak);
	if (rc)
		return rc;
	int64_t moment_left = 0;
	rc = load_moment(m, &h, p, nn, &moment_left, err, errlen);
	if (rc)
		return rc;
	if (peak_left || live_left || moment_left)
		add_unattributed(p, peak_left, live_left, moment_left);
	load_failures(&h, p, nn);
	load_limits(&h, p);
	if ((rc = load_phases(m, &h, p, nn, err, errlen)) != 0)
		return rc;

	p->pid = h.pid;
	p->ppid = h.ppid;
	p->generation = h.generation;
	memcpy(p->python_version, h.python_version, sizeof(p->python_version));
	p->python_version[sizeof(p->python_version) - 1] = 0;
	p->start_unix_s = (double)h.start_realtime_ns / 1e9;
	p->sample_rate = h.sample_rate;
	p->exact = h.sample_rate == 1;
	p->max_rss_bytes = (int64_t)h.max_rss_kib * 1024; /* below 2^57 (check_header) */
	p->exited_cleanly = end_state != OOMPH_END_RUNNING;
	p->exit_code = h.exit_code;
	p->overflow = atomic_load(&h.overflow);
	if (p->overflow & OOMPH_OVERFLOW_NOSPACE) {
		static const char *const tables[] = {"a table", "the string table",
						     "the frame table", "the stack table"};
		uint32_t t = h.nospace_table < 4 ? h.nospace_table : 0;
		int e = h.nospace_err > 0 && h.nospace_err < 4096 ? h.nospace_err : ENOSPC;
		double at = (double)h.nospace_time_ns / 1e9;
		if (at < 0 || at > p->duration_s)
			at = p->duration_s;
		snprintf(p->recording_stopped, sizeof p->recording_stopped,
			 "recording of new stacks stopped at %.1f s: no room for the state file "
			 "(%s: %s); totals stay exact, lines first seen later are charged to "
			 "their nearest recorded caller",
			 at, tables[t], strerror(e));
	}
	p->n_sampled = atomic_load(&h.n_sampled);
	if (split_cmdline(p, h.cmdline, h.cmdline_len))
		return OOMPH_PROFILE_ENOMEM;
	return 0;
}

int profile_load(const char *path, struct profile *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	if (!out->path)
		return OOMPH_PROFILE_ENOMEM;
	/* Never through a link, never a FIFO or device (opened non-blocking
	 * and checked before the first read: common/safefs.h). */
	off_t fsize = 0;
	char why[512];
	int fd = safefs_open_read(path, &fsize, why, sizeof why);
	if (fd < 0) {
		profile_free(out);
		return err_set(OOMPH_PROFILE_EIO, err, errlen, "%s", why);
	}
	uint64_t size = (uint64_t)fsize;
	if (size == 0) {
		/* the tracker creates the file, then sizes it: it died between */
		close(fd);
		profile_free(out);
		return err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			       "%s: empty: the process died before its profile was set up", path);
	}
	char magic[8] = {0};
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	int rc;
	static const char zeros[8];
	if (got == (ssize_t)sizeof(magic) && memcmp(magic, zeros, 8) == 0) {
		/* created and sized, header not written yet: the writer died in
		 * its first instants */
		rc = err_set(OOMPH_PROFILE_ENOTREADY, err, errlen,
			  "%s: the process died before its profile was initialised", path);
	} else if (got < (ssize_t)sizeof(magic) || memcmp(magic, OOMPH_STATE_MAGIC, 8) != 0) {
		rc = got >= 0 && got < 8 && memcmp(magic, OOMPH_STATE_MAGIC, (size_t)got) == 0
			     ? err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
				    "%s: truncated: %lld bytes, too short for a header", path,
				    (long long)size)
			     : err_set(OOMPH_PROFILE_EFOREIGN, err, errlen,
				    "%s: not an oomph profile (bad magic)", path);
	} else if (size < sizeof(struct oomph_state_header)) {
		rc = err_set(OOMPH_PROFILE_ETRUNC, err, errlen,
			  "%s: truncated: %llu bytes, too short for a header", path,
			  (unsigned long long)size);
	} else {
		uint32_t version = 0;
		if (pread(fd, &version, 4, 8) != 4 || version != OOMPH_STATE_VERSION) {
			rc = err_set(OOMPH_PROFILE_EVERSION, err, errlen,
				  "%s: profile format version %u, this oomph reads version %u",
				  path, version, OOMPH_STATE_VERSION);
		} else {
			void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				rc = err_set(OOMPH_PROFILE_EIO, err, errlen, "%s: mmap: %s", path,
					  strerror(errno));
			} else {
				rc = load_mapped(m, size, out, err, errlen);
				munmap(m, size);
			}
		}
	}
	close(fd);
	if (rc) {
		if (rc == OOMPH_PROFILE_ENOMEM)
			err_set(rc, err, errlen, "%s: out of memory", path);
		profile_free(out);
		return rc;
	}
	return 0;
}
