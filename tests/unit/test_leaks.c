/* Unit tests of report/leaks.c: which lines are leak suspects, from a
 * hand-built history of a service. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "profile/profile.h"
#include "report/leaks.h"
#include "report/moments.h"
#include "report/view.h"

#define MiB (1ll << 20)
#define NL 6

/* A 30 s service, a moment every 0.1 s: a 48 MiB warm-up freed at 1 s, a
 * leak of 1 MiB/s from 1 s (torn down in the last 0.1 s, as Ctrl-C does),
 * churn that swings, a line that grew for 10 s then was freed, a cache
 * filled once, and a slow leak too small to matter. */
int main(void)
{
	struct profile p;
	CHECK_EQ_INT(profile_init(&p), 0);
	static const char *names[NL] = {"warm", "leak", "churn", "phase", "cache", "tiny"};
	uint32_t node[NL], f;
	for (int i = 0; i < NL; i++) {
		profile_add_frame(&p, "svc.py", names[i], (uint32_t)(10 * (i + 1)),
				  PROFILE_FRAME_PYTHON, &f);
		profile_add_node(&p, 0, f, 0, 0, &node[i]);
	}
	int64_t self[NL + 1];
	srand(7);
	for (int k = 0; k <= 300; k++) {
		double t = k * 0.1;
		memset(self, 0, sizeof self);
		self[node[0]] = t < 1.0 ? 48 * MiB : 0;
		self[node[1]] = t < 1.0 ? 0 : k == 300 ? 0 : (int64_t)((t - 1.0) * MiB);
		self[node[2]] = (rand() % 8) * MiB / 2;
		self[node[3]] = t < 10 ? (int64_t)(t * MiB) : 0;
		self[node[4]] = t < 0.5 ? 0 : 20 * MiB;
		self[node[5]] = (int64_t)(t * 16 * 1024); /* 480 KiB in all */
		int64_t sum = 0;
		for (int i = 0; i <= NL; i++)
			sum += self[i];
		CHECK_EQ_INT(profile_add_moment(&p, t, sum, self), 0);
	}
	p.peak_bytes = 70 * MiB;
	p.pid = 4242;
	struct view v;
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	struct leak_suspect s[LEAKS_MAX];
	size_t n = 99;
	CHECK_EQ_INT(leaks_find(&v, s, LEAKS_MAX, &n), 0);
	CHECK_EQ_INT(n, 1); /* the leak only */
	if (n) {
		CHECK(!strcmp(s[0].func, "leak") && s[0].line == 20 && !strcmp(s[0].file, "svc.py"));
		CHECK(fabs(s[0].rate_bytes_per_s - (double)MiB) < 0.001 * MiB);
		CHECK(s[0].r2 > 0.999);
		/* from 1.1 s (its first bytes) to 29.9 s (its most, before the teardown) */
		CHECK(fabs(s[0].from_s - 1.1) < 1e-9 && fabs(s[0].to_s - 29.9) < 1e-9);
		CHECK(llabs(s[0].grown_bytes - (int64_t)(28.8 * MiB)) < MiB / 100);
		CHECK_EQ_INT(s[0].pid, 4242); /* whose: the profile's process */
	}
	/* the moments for the report's timeline: at most the cap, evenly in
	 * time, in order, each with its lines largest first */
	struct moment_pic *mp = calloc(MOMENTS_MAX, sizeof(*mp));
	size_t nm = 0;
	CHECK(mp != NULL);
	if (mp) {
		CHECK_EQ_INT(moments_pick(&v, mp, 12, &nm), 0);
		CHECK(nm >= 10 && nm <= 12);
		for (size_t i = 1; i < nm; i++)
			CHECK(mp[i].t_s > mp[i - 1].t_s);
		CHECK(mp[0].t_s == 0 && fabs(mp[nm - 1].t_s - 30.0) < 1e-9);
		/* at 0 s the warm-up holds most; half-way the cache (20 MiB)
		 * leads the leak (about 14 MiB) */
		CHECK(mp[0].n >= 1 && !strcmp(p.frames[mp[0].lines[0].frame].func, "warm"));
		CHECK_EQ_INT(mp[0].lines[0].bytes, 48 * MiB);
		for (size_t i = 0; i < nm; i++) {
			if (fabs(mp[i].t_s - 15.0) > 2)
				continue;
			CHECK(!strcmp(p.frames[mp[i].lines[0].frame].func, "cache"));
			CHECK(!strcmp(p.frames[mp[i].lines[1].frame].func, "leak"));
			for (uint32_t k = 1; k < mp[i].n; k++)
				CHECK(mp[i].lines[k].bytes <= mp[i].lines[k - 1].bytes);
		}
		free(mp);
	}
	/* a cap of 0 finds them and returns none */
	CHECK_EQ_INT(leaks_find(&v, s, 0, &n), 0);
	CHECK_EQ_INT(n, 0);
	view_free(&v);
	profile_free(&p);

	/* too few moments: no suspects, whatever the bytes */
	CHECK_EQ_INT(profile_init(&p), 0);
	profile_add_frame(&p, "a.py", "g", 1, PROFILE_FRAME_PYTHON, &f);
	uint32_t g;
	profile_add_node(&p, 0, f, 0, 0, &g);
	int64_t two[2] = {0, 0};
	for (int k = 0; k < 3; k++) {
		two[g] = k * 100 * MiB;
		CHECK_EQ_INT(profile_add_moment(&p, k, two[g], two), 0);
	}
	CHECK_EQ_INT(view_build(&v, &p, "", NULL), 0);
	CHECK_EQ_INT(leaks_find(&v, s, LEAKS_MAX, &n), 0);
	CHECK_EQ_INT(n, 0);
	view_free(&v);
	profile_free(&p);

	/* suspects of several processes ranked as one list: most grown
	 * first, a tie by process */
	struct leak_suspect job[3] = {{.pid = 7, .frame = 1, .grown_bytes = 2 * MiB},
				      {.pid = 9, .frame = 1, .grown_bytes = 5 * MiB},
				      {.pid = 3, .frame = 4, .grown_bytes = 2 * MiB}};
	leaks_rank(job, 3);
	CHECK_EQ_INT(job[0].pid, 9);
	CHECK_EQ_INT(job[1].pid, 3);
	CHECK_EQ_INT(job[2].pid, 7);
	return check_summary();
}
