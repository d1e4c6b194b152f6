/* Unit tests of tracker/addrtable.c: the table of sampled blocks and of
 * pools.  Every key put in is found with its node and weight, through
 * growth and deletions, in the mixed and the dense (pool) table; replace
 * changes a node in place; and the dense table's probe runs stay short when
 * a heap of neighbouring pools spans many times the table's size (where
 * key >> shift alone made every arena fall on the others' slots). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "tracker/addrtable.h"

/* The longest probe run of t: a lookup of a key that is not there walks
 * its run to the end. */
static uint64_t longest_run(const struct addrtable *t)
{
	uint64_t best = 0, run = 0;
	for (uint64_t i = 0; i <= 2 * t->mask + 1; i++) { /* twice round: runs wrap */
		if (t->slots[i & t->mask].key)
			run++;
		else
			run = 0;
		if (run > best)
			best = run;
	}
	return best > t->mask + 1 ? t->mask + 1 : best;
}

static void fill_and_check(uint32_t shift, uintptr_t base, uintptr_t step, uint32_t n)
{
	struct addrtable t;
	CHECK_EQ_INT(addrtable_init(&t, 64), 0);
	t.shift = shift;
	for (uint32_t i = 0; i < n; i++)
		CHECK_EQ_INT(addrtable_insert(&t, base + i * step, i + 1, 100u + i), 0);
	CHECK_EQ_INT(t.count, n);
	/* every key there, with its values; a key never put in is not */
	int all = 1;
	for (uint32_t i = 0; i < n; i++)
		all &= addrtable_may_contain(&t, base + i * step);
	CHECK(all);
	CHECK_EQ_INT(addrtable_may_contain(&t, base + n * step), 0);
	/* replace: the node changes in place, the old node and weight come out */
	uint32_t old = 0;
	uint64_t w = 0;
	CHECK_EQ_INT(addrtable_replace(&t, base + 7 * step, 9999, &old, &w), 1);
	CHECK_EQ_INT(old, 8);
	CHECK_EQ_INT(w, 107);
	CHECK_EQ_INT(addrtable_replace(&t, base + n * step, 1, &old, &w), 0);
	CHECK_EQ_INT(t.count, n);
	/* remove every other key: the rest are still found, with their values */
	for (uint32_t i = 0; i < n; i += 2) {
		uint32_t node;
		uint64_t wt;
		CHECK_EQ_INT(addrtable_remove(&t, base + i * step, &node, &wt), 1);
		if (i != 7)
			CHECK_EQ_INT(node, i + 1);
		CHECK_EQ_INT(wt, 100u + i);
	}
	int found = 1, gone = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t node = 0;
		uint64_t wt = 0;
		int in = addrtable_replace(&t, base + i * step, i == 7 ? 9999 : i + 1, &node, &wt);
		if (i % 2) {
			found &= in && node == (i == 7 ? 9999u : i + 1) && wt == 100u + i;
		} else {
			gone &= !in;
		}
	}
	CHECK(found);
	CHECK(gone);
	CHECK_EQ_INT(t.count, n / 2);
}

int main(void)
{
	/* heap blocks: 16-byte aligned, mixed */
	fill_and_check(0, 0x7f0000001000u, 48, 5000);
	/* pools of 16 KiB, dense (shift 12), through several growths */
	fill_and_check(12, 0x7f0000000000u, 16384, 5000);

	/* A heap of 12,000 pools of 16 KiB in arenas of 1 MiB scattered over
	 * 4 GiB (mmap's order, with gaps): the table holds them at most 3/4
	 * full, and no probe run is long. */
	struct addrtable t;
	CHECK_EQ_INT(addrtable_init(&t, 64), 0);
	t.shift = 12;
	uint64_t x = 88172645463325252ull;
	uint32_t pools = 0;
	while (pools < 12000) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uintptr_t arena = 0x7e0000000000u + ((x % 4096) << 20);
		if (addrtable_may_contain(&t, arena))
			continue;
		for (uint32_t p = 0; p < 64; p++)
			CHECK_EQ_INT(addrtable_insert(&t, arena + p * 16384, 1, 16384), 0);
		pools += 64;
	}
	uint64_t run = longest_run(&t);
	if (run >= 200)
		fprintf(stderr, "longest probe run of the pool table: %llu slots of %llu\n",
			(unsigned long long)run, (unsigned long long)t.mask + 1);
	CHECK(run < 200);
	return check_summary();
}
