/* Unit tests of the history (profile/history.c): pictures rebuilt at
 * recorded moments from the stacks that changed, rescaled to each moment's
 * exact bytes, and what grew between two moments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profile/profile.h"

static int64_t sum(const int64_t *v, uint32_t n)
{
	int64_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* Three lines: a warm-up that is freed, a leak that grows, a constant. */
static void pictures_are_rebuilt_from_changes(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	uint32_t f, warm, leak, base;
	profile_add_frame(&p, "svc.py", "warm", 10, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &warm);
	profile_add_frame(&p, "svc.py", "leak", 20, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &leak);
	profile_add_frame(&p, "svc.py", "main", 5, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &base);
	int64_t pic[4][4] = {{0}};
	pic[0][base] = 100;
	pic[1][base] = 100, pic[1][warm] = 500;
	pic[2][base] = 100, pic[2][leak] = 50;
	pic[3][base] = 100, pic[3][leak] = 90;
	for (int k = 0; k < 4; k++) {
		CHECK_EQ_INT(profile_add_point(&p, k, sum(pic[k], 4)), 0);
		CHECK_EQ_INT(profile_add_moment(&p, k, sum(pic[k], 4), pic[k]), 0);
	}
	CHECK_EQ_INT(p.nmoments, 4);
	CHECK_EQ_INT(p.ntimeline, 4);
	/* only what changed is stored: base once, warm twice, leak twice */
	CHECK_EQ_INT(p.nchanges, 5);
	CHECK_EQ_INT(p.moments[3].nchanges, 1);
	int64_t self[4];
	for (uint32_t k = 0; k < 4; k++) {
		CHECK_EQ_INT(profile_picture_at(&p, k, self), 0);
		for (int i = 0; i < 4; i++)
			CHECK_EQ_INT(self[i], pic[k][i]);
	}
	int64_t d[4];
	CHECK_EQ_INT(profile_grown(&p, 1, 3, d), 0);
	CHECK_EQ_INT(d[warm], -500);
	CHECK_EQ_INT(d[leak], 90);
	CHECK_EQ_INT(d[base], 0);
	CHECK_EQ_INT(profile_picture_at(&p, 4, self), OOMPH_PROFILE_ERANGE);
	CHECK_EQ_INT(profile_grown(&p, 0, 9, d), OOMPH_PROFILE_ERANGE);
	/* time never goes backwards */
	CHECK_EQ_INT(profile_add_point(&p, 1.5, 10), OOMPH_PROFILE_ECORRUPT);
	CHECK_EQ_INT(profile_add_moment(&p, 2.5, 10, pic[0]), OOMPH_PROFILE_ECORRUPT);
	profile_free(&p);
}

/* A picture adds up to its moment's exact bytes: sampled estimates are
 * scaled, exact parts kept, and what nothing sampled carries goes to the
 * root ("[unattributed]"). */
static void pictures_add_up_to_the_exact_bytes(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	uint32_t f, a, b;
	profile_add_frame(&p, "x.py", "a", 1, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &a);
	profile_add_frame(&p, "x.py", "b", 2, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &b);
	/* a sampled history, as the reader makes it: a is exact, b estimated */
	p.moments = calloc(2, sizeof(*p.moments));
	p.changes = calloc(3, sizeof(*p.changes));
	p.changes[0] = (struct profile_change){a, 0, {1000, 1000}};
	p.changes[1] = (struct profile_change){b, 0, {300, 0}};
	p.changes[2] = (struct profile_change){b, 0, {0, 0}};
	p.moments[0] = (struct profile_moment){.t_s = 1, .bytes = 1600, .first = 0, .nchanges = 2};
	p.moments[1] = (struct profile_moment){.t_s = 2, .bytes = 1200, .first = 2, .nchanges = 1};
	p.nmoments = 2;
	p.nchanges = 3;
	int64_t self[3];
	CHECK_EQ_INT(profile_picture_at(&p, 0, self), 0);
	CHECK_EQ_INT(self[a], 1000);
	CHECK_EQ_INT(self[b], 600);
	CHECK_EQ_INT(sum(self, 3), 1600);
	/* nothing sampled is left to scale: the 200 unaccounted go to the root */
	CHECK_EQ_INT(profile_picture_at(&p, 1, self), 0);
	CHECK_EQ_INT(self[a], 1000);
	CHECK_EQ_INT(self[b], 0);
	CHECK_EQ_INT(self[0], 200);
	profile_free(&p);
}

/* A fork child's own picture at its end adds up to its exact own total
 * (its total less the inherited bytes it kept), though the sampled
 * estimate of an inherited stack came out below what it inherited: the
 * 1000 inherited at `a` (estimated 900 at the end), 500 of its own
 * recorded exactly at `b`, 200 of its own small blocks at `c`. */
static void a_fork_childs_own_end_is_exact(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	uint32_t f, a, b, c;
	profile_add_frame(&p, "w.py", "a", 1, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &a);
	profile_add_frame(&p, "w.py", "b", 2, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &b);
	profile_add_frame(&p, "w.py", "c", 3, PROFILE_FRAME_PYTHON, &f);
	profile_add_node(&p, 0, f, 0, 0, &c);
	p.moments = calloc(2, sizeof(*p.moments));
	p.changes = calloc(4, sizeof(*p.changes));
	p.changes[0] = (struct profile_change){a, 0, {1000, 0}};
	p.changes[1] = (struct profile_change){a, 0, {900, 0}};
	p.changes[2] = (struct profile_change){b, 0, {500, 500}};
	p.changes[3] = (struct profile_change){c, 0, {200, 0}};
	p.moments[0] = (struct profile_moment){.t_s = 0, .bytes = 1000, .first = 0, .nchanges = 1};
	p.moments[1] = (struct profile_moment){.t_s = 1, .bytes = 1700, .first = 1, .nchanges = 3,
					       .is_end = 1};
	p.nmoments = 2;
	p.nchanges = 4;
	p.inherited_bytes = 1000;
	p.inherited_pic = calloc(4, sizeof(*p.inherited_pic));
	p.ninherited = 4;
	p.inherited_pic[a] = (struct profile_bytes){1000, 0};
	int64_t self[4];
	CHECK_EQ_INT(profile_own_picture_at(&p, 1, self), 700);
	CHECK_EQ_INT(self[a], 0);
	CHECK_EQ_INT(self[b], 500);
	CHECK_EQ_INT(self[c], 200);
	CHECK_EQ_INT(sum(self, 4), 700);
	/* what it freed of its inheritance is not its own either */
	p.inherited_freed_bytes = 100;
	p.changes[1].v.bytes = 800;
	p.moments[1].bytes = 1600;
	CHECK_EQ_INT(profile_own_picture_at(&p, 1, self), 700);
	/* at its fork: nothing of its own */
	CHECK_EQ_INT(profile_own_picture_at(&p, 0, self), 0);
	profile_free(&p);
}

static void rescale_keeps_exact_parts_and_saturates(void)
{
	struct profile_bytes v[3] = {{500, 500}, {100, 0}, {300, 0}};
	int64_t out[3];
	CHECK_EQ_INT(profile_rescale(out, v, 3, 900), 0);
	CHECK_EQ_INT(out[0], 500);
	CHECK_EQ_INT(out[1], 100);
	CHECK_EQ_INT(out[2], 300);
	CHECK_EQ_INT(profile_rescale(out, v, 3, 1300), 0);
	CHECK_EQ_INT(out[0], 500);
	CHECK_EQ_INT(out[1] + out[2], 800);
	/* the floors' remainder goes to an estimate, never to the largest
	 * stack when that one was recorded exactly (a shared segment) */
	struct profile_bytes u[3] = {{500, 500}, {100, 0}, {200, 0}};
	CHECK_EQ_INT(profile_rescale(out, u, 3, 1000), 0);
	CHECK_EQ_INT(out[0], 500);
	CHECK_EQ_INT(out[1] + out[2], 500);
	CHECK_EQ_INT(out[2], 334);
	/* crafted values: no overflow, still the target */
	struct profile_bytes w[2] = {{INT64_MAX, INT64_MAX}, {INT64_MAX, INT64_MAX}};
	CHECK_EQ_INT(profile_rescale(out, w, 2, 1000), 0);
	CHECK_EQ_INT(out[0] + out[1], 1000);
}

int main(void)
{
	pictures_are_rebuilt_from_changes();
	pictures_add_up_to_the_exact_bytes();
	a_fork_childs_own_end_is_exact();
	rescale_keeps_exact_parts_and_saturates();
	return check_summary();
}
