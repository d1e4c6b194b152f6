/* Unit tests of tracker/linecache.c: a cached line is the one put, a slot
 * taken by another place never answers for the old one, each code object
 * is pinned exactly once, the pinned set's bound stops new code objects,
 * and readers racing a writer see whole entries only. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "check.h"
#include "tracker/linecache.h"

static unsigned pins_called;
static void count_pin(const void *code)
{
	(void)code;
	pins_called++;
}

/* The "true" line of a place, so any answer can be checked. */
static int truth(uintptr_t code, int offset)
{
	return (int)((code >> 4) * 31 + (uintptr_t)offset * 7) & 0xfffff;
}

static const void *code_at(uintptr_t i)
{
	return (const void *)(0x7f0000001000u + i * 0x90u);
}

static void test_put_then_get(void)
{
	linecache_reset();
	pins_called = 0;
	int line = -5;
	CHECK(!linecache_get(code_at(1), 40, &line));
	CHECK_EQ_INT(line, -5);
	linecache_put(code_at(1), 40, 123, count_pin);
	CHECK(linecache_get(code_at(1), 40, &line));
	CHECK_EQ_INT(line, 123);
	CHECK(!linecache_get(code_at(1), 42, &line)); /* another instruction */
	CHECK(!linecache_get(code_at(2), 40, &line)); /* another code object */
	for (int off = 0; off < 200; off += 2)
		linecache_put(code_at(1), off, 1000 + off, count_pin);
	CHECK_EQ_INT(pins_called, 1); /* one code object, pinned once */
	int hits = 0;
	for (int off = 0; off < 200; off += 2)
		if (linecache_get(code_at(1), off, &line)) {
			hits++;
			CHECK_EQ_INT(line, 1000 + off);
		}
	CHECK(hits >= 95); /* 100 places in 16,384 slots: collisions are rare */
	linecache_put(NULL, 0, 1, count_pin); /* ignored */
	CHECK_EQ_INT(pins_called, 1);
}

/* Without a pin function only code pinned before gets lines; describe's
 * pin and the cache's are one reference. */
static void test_pin_once(void)
{
	linecache_reset();
	pins_called = 0;
	int line;
	linecache_put(code_at(5), 8, 55, NULL);
	CHECK(!linecache_get(code_at(5), 8, &line)); /* not pinned: not kept */
	CHECK_EQ_INT(pins_called, 0);
	CHECK_EQ_INT(linecache_pin(code_at(5), count_pin), 1);
	CHECK_EQ_INT(pins_called, 1);
	CHECK_EQ_INT(linecache_pin(code_at(5), count_pin), 1);
	CHECK_EQ_INT(pins_called, 1); /* once */
	linecache_put(code_at(5), 8, 55, NULL);
	CHECK(linecache_get(code_at(5), 8, &line));
	CHECK_EQ_INT(line, 55);
	linecache_put(code_at(6), 8, 66, count_pin); /* pinned by the put */
	CHECK_EQ_INT(pins_called, 2);
	CHECK_EQ_INT(linecache_pin(code_at(6), count_pin), 1);
	CHECK_EQ_INT(pins_called, 2);
}

/* Far more places than slots: every hit is the right line. */
static void test_collisions_never_lie(void)
{
	linecache_reset();
	pins_called = 0;
	for (uintptr_t c = 0; c < 4000; c++)
		for (int off = 0; off < 40; off += 2)
			linecache_put(code_at(c), off, truth((uintptr_t)code_at(c), off), count_pin);
	CHECK_EQ_INT(pins_called, 4000);
	struct linecache_stats st;
	linecache_stats(&st);
	CHECK_EQ_INT(st.pinned, 4000);
	CHECK_EQ_INT(st.puts, 4000 * 20);
	int hits = 0, wrong = 0, line;
	for (uintptr_t c = 0; c < 4000; c++)
		for (int off = 0; off < 40; off += 2)
			if (linecache_get(code_at(c), off, &line)) {
				hits++;
				wrong += line != truth((uintptr_t)code_at(c), off);
			}
	CHECK_EQ_INT(wrong, 0);
	/* 80,000 places into 16,384 slots: each slot holds the last one. */
	CHECK(hits > 10000 && hits <= (int)LINECACHE_SLOTS);
}

static void test_pins_are_bounded(void)
{
	linecache_reset();
	pins_called = 0;
	unsigned limit = LINECACHE_PINS / 4 * 3;
	for (uintptr_t c = 0; c < limit + 100; c++)
		linecache_put(code_at(c), 0, 7, count_pin);
	CHECK_EQ_INT(pins_called, limit);
	int line;
	CHECK(!linecache_get(code_at(limit + 50), 0, &line)); /* never entered */
	/* describe's pin is taken all the same, just not recorded */
	CHECK_EQ_INT(linecache_pin(code_at(limit + 60), count_pin), 0);
	CHECK_EQ_INT(pins_called, limit + 1);
	pins_called = limit;
	/* A code object already pinned still gets new places. */
	linecache_put(code_at(3), 10, 77, count_pin);
	CHECK(linecache_get(code_at(3), 10, &line));
	CHECK_EQ_INT(line, 77);
	CHECK_EQ_INT(pins_called, limit);
}

/* One writer rewriting colliding slots, readers checking every hit. */
static atomic_int stop;
static atomic_long wrong_seen, hits_seen;

static void *reader(void *arg)
{
	(void)arg;
	long wrong = 0, hits = 0;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		uintptr_t c = i % 64;
		int off = (int)(i / 64 % 512) * 2, line;
		if (linecache_get(code_at(c), off, &line)) {
			hits++;
			wrong += line != truth((uintptr_t)code_at(c), off);
		}
	}
	atomic_fetch_add(&wrong_seen, wrong);
	atomic_fetch_add(&hits_seen, hits);
	return NULL;
}

static void test_readers_race_a_writer(void)
{
	linecache_reset();
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	for (int round = 0; round < 40; round++)
		for (uintptr_t c = 0; c < 64; c++)
			for (int off = 0; off < 1024; off += 2)
				linecache_put(code_at(c), off, truth((uintptr_t)code_at(c), off),
					      count_pin);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(atomic_load(&wrong_seen), 0);
	CHECK(atomic_load(&hits_seen) > 0);
}

int main(void)
{
	test_put_then_get();
	test_pin_once();
	test_collisions_never_lie();
	test_pins_are_bounded();
	test_readers_race_a_writer();
	return check_summary();
}
