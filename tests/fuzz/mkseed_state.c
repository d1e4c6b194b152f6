/* tests/fuzz/mkseed_state.c — make a compact seed for fuzz_state from a
 * real state file: the same header and table contents, each table's
 * capacity cut to what is used, the regions packed at 4 KiB alignment.  At
 * most MAX_NODES stacks are kept: those holding bytes in any picture and
 * their callers first, then the oldest others, renumbered in their order
 * (so every parent stays older than its child).  The history keeps its
 * points, and its moments with the changes of kept stacks.  The phases'
 * ring is not carried (the reader reads it only when a phase was begun).
 * The reader accepts it as it accepts the original (sizes come from the
 * header and the counts), at some kilobytes instead of 100+ MiB of sparse
 * file.
 *
 *   mkseed_state IN.oomph OUT      (scripts/fuzz-seeds.sh runs it)
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/format.h"

#define MAX_NODES 200u

static uint64_t align(uint64_t x)
{
	return (x + OOMPH_STATE_ALIGN - 1) / OOMPH_STATE_ALIGN * OOMPH_STATE_ALIGN;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkseed_state IN.oomph OUT\n");
		return 64;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || (size_t)st.st_size < sizeof(struct oomph_state_header)) {
		perror(argv[1]);
		return 66;
	}
	const char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return 66;
	}
	struct oomph_state_header h;
	memcpy(&h, m, sizeof h);
	if (memcmp(h.magic, OOMPH_STATE_MAGIC, 8) || h.file_size != (uint64_t)st.st_size) {
		fprintf(stderr, "%s: not a complete state file\n", argv[1]);
		return 65;
	}
	uint64_t su = atomic_load(&h.strings_used);
	uint32_t nf = atomic_load(&h.frames_used), nn = atomic_load(&h.nodes_used);
	const struct oomph_state_node *sn = (const void *)(m + h.nodes_off);
	const struct oomph_state_bytes *lv = (const void *)(m + h.live_off);
	const struct oomph_state_bytes *pk = (const void *)(m + h.peak_off);
	const struct oomph_state_bytes *mo = (const void *)(m + h.moment_off);
	uint32_t *map = malloc(nn * sizeof *map); /* old -> new + 1, 0 = dropped */
	if (!map)
		return 70;
	memset(map, 0, nn * sizeof *map);
	uint32_t kn = 0;
	map[0] = 1, kn = 1;
	for (uint32_t pass = 0; pass < 2; pass++)
		for (uint32_t i = nn; i-- > 1;) {
			int holds = lv[i].bytes || pk[i].bytes || mo[i].bytes;
			if (map[i] || (pass == 0 && !holds))
				continue;
			uint32_t need = 0; /* this node and its callers not yet kept */
			for (uint32_t a = i; a && !map[a]; a = sn[a].parent)
				need++;
			if (pass == 1 && i > MAX_NODES)
				continue;
			if (kn + need > MAX_NODES)
				continue;
			for (uint32_t a = i; a && !map[a]; a = sn[a].parent)
				map[a] = 1;
			kn += need;
		}
	for (uint32_t i = 0, k = 0; i < nn; i++) /* number them in order */
		if (map[i])
			map[i] = ++k;
	struct oomph_state_header o = h;
	uint64_t at = align(sizeof o);
	o.strings_off = at, o.strings_cap = su, at = align(at + su);
	o.frames_off = at, o.frames_cap = nf, at = align(at + nf * sizeof(struct oomph_state_frame));
	o.nodes_off = at, o.nodes_cap = kn, at = align(at + kn * sizeof(struct oomph_state_node));
	uint64_t bytes = kn * sizeof(struct oomph_state_bytes);
	o.live_off = at, at = align(at + bytes);
	o.peak_off = at, at = align(at + bytes);
	o.journal_off = at, at = align(at + kn * sizeof(struct oomph_state_journal));
	o.moment_off = at, at = align(at + bytes);
	/* the phase records handed out (they name strings, not stacks); their
	 * pictures (which name stacks) are left out */
	uint32_t last = atomic_load(&h.phases_last);
	uint32_t nph = last < h.phases_cap ? last : h.phases_cap;
	o.phases_off = at, o.phases_cap = nph;
	at = align(at + nph * sizeof(struct oomph_state_phase));
	o.pics_off = at, o.pics_cap = 0;
	uint32_t hp = atomic_load(&h.hist_npoints), hm = atomic_load(&h.hist_nmoments);
	uint32_t hc = atomic_load(&h.hist_nchanges);
	if (hp > OOMPH_HIST_POINTS_CAP || hm > OOMPH_HIST_MOMENTS_CAP || hc > OOMPH_HIST_CHANGES_CAP)
		hp = hm = hc = 0;
	o.hist_points_off = at, at = align(at + hp * sizeof(struct oomph_state_hist_point));
	o.hist_moments_off = at, at = align(at + hm * sizeof(struct oomph_state_hist_moment));
	o.hist_changes_off = at, at = align(at + hc * sizeof(struct oomph_state_hist_change));
	o.file_size = at;
	atomic_store(&o.nodes_used, kn);
	if (o.moment_nodes)
		o.moment_nodes = kn;
	char *out = calloc(1, at);
	if (!out)
		return 70;
	memcpy(out + o.strings_off, m + h.strings_off, su);
	memcpy(out + o.frames_off, m + h.frames_off, nf * sizeof(struct oomph_state_frame));
	memcpy(out + o.phases_off, m + h.phases_off, nph * sizeof(struct oomph_state_phase));
	struct oomph_state_node *on = (void *)(out + o.nodes_off);
	struct oomph_state_bytes *olv = (void *)(out + o.live_off), *opk = (void *)(out + o.peak_off),
				 *omo = (void *)(out + o.moment_off);
	for (uint32_t i = 0; i < nn; i++) {
		if (!map[i])
			continue;
		uint32_t k = map[i] - 1;
		on[k] = sn[i];
		if (i)
			on[k].parent = map[sn[i].parent] - 1;
		olv[k] = lv[i], opk[k] = pk[i], omo[k] = mo[i];
	}
	/* journal records of kept stacks only */
	const struct oomph_state_journal *j = (const void *)(m + h.journal_off);
	struct oomph_state_journal *oj = (void *)(out + o.journal_off);
	uint32_t kj = 0;
	for (uint32_t i = 0; i < h.journal_count && i < nn; i++)
		if (j[i].node < nn && map[j[i].node]) {
			oj[kj] = j[i];
			oj[kj++].node = map[j[i].node] - 1;
		}
	o.journal_count = kj;
	/* the history: points as they are, changes of kept stacks only */
	memcpy(out + o.hist_points_off, m + h.hist_points_off,
	       hp * sizeof(struct oomph_state_hist_point));
	const struct oomph_state_hist_moment *hms = (const void *)(m + h.hist_moments_off);
	const struct oomph_state_hist_change *hcs = (const void *)(m + h.hist_changes_off);
	struct oomph_state_hist_moment *oms = (void *)(out + o.hist_moments_off);
	struct oomph_state_hist_change *ocs = (void *)(out + o.hist_changes_off);
	uint32_t kc = 0;
	for (uint32_t i = 0; i < hm; i++) {
		oms[i] = hms[i];
		oms[i].first = kc;
		for (uint32_t c = 0; c < hms[i].nchanges && hms[i].first + c < hc; c++) {
			struct oomph_state_hist_change ch = hcs[hms[i].first + c];
			if (ch.node >= nn || !map[ch.node])
				continue;
			ch.node = map[ch.node] - 1;
			ocs[kc++] = ch;
		}
		oms[i].nchanges = kc - oms[i].first;
	}
	atomic_store(&o.hist_nchanges, kc);
	o.fault_node = o.fault_node < nn && map[o.fault_node] ? map[o.fault_node] - 1 : 0;
	for (uint32_t i = 0; i < OOMPH_SEGMENTS_CAP; i++) {
		uint32_t snode = o.segments[i].node;
		o.segments[i].node = snode < nn && map[snode] ? map[snode] - 1 : 0;
	}
	for (uint32_t i = 0; i < OOMPH_FAILURES_CAP; i++) {
		uint32_t fnode = o.failures[i].node;
		o.failures[i].node = fnode < nn && map[fnode] ? map[fnode] - 1 : 0;
	}
	memcpy(out, &o, sizeof o);
	FILE *f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, at, f) != at || fclose(f)) {
		perror(argv[2]);
		return 73;
	}
	printf("%s: %u of %u stacks, %u frames, %llu string bytes: %llu bytes\n", argv[2], kn, nn,
	       nf, (unsigned long long)su, (unsigned long long)at);
	return 0;
}
