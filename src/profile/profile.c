/* profile/profile.c — the in-memory profile model, and building it by hand.
 * Reading a state file into it is profile/reader.c. */
#include "profile/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bounds.h"

/* Hand-built profiles keep each string in its own allocation, chained through
 * a list hung off `strings` (see struct owned_string), because the strings
 * blob of a loaded profile cannot be grown without moving every pointer. */
struct owned_string {
	struct owned_string *next;
	char text[];
};

#define HANDBUILT_MARK ((size_t)-1)

static const char *own_string(struct profile *p, const char *s)
{
	size_t n = strlen(s);
	struct owned_string *o = malloc(sizeof(*o) + n + 1);
	if (!o)
		return NULL;
	memcpy(o->text, s, n + 1);
	o->next = (struct owned_string *)(void *)p->strings;
	p->strings = (char *)(void *)o;
	return o->text;
}

int profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->strings_len = HANDBUILT_MARK;
	p->sample_rate = 1;
	p->exact = 1;
	p->nodes = calloc(1, sizeof(*p->nodes));
	p->peak_self = calloc(1, sizeof(*p->peak_self));
	p->live_self = calloc(1, sizeof(*p->live_self));
	if (!p->nodes || !p->peak_self || !p->live_self) {
		profile_free(p);
		return OOMPH_PROFILE_ENOMEM;
	}
	p->nodes[0].parent = UINT32_MAX;
	p->nodes[0].frame = UINT32_MAX;
	p->nnodes = 1;
	return 0;
}

/* Grow an array to hold n+1 elements when n is a power of two (or zero). */
static int grow(void **arr, uint32_t n, size_t elem)
{
	if (n & (n - 1))
		return 0;
	size_t cap = n ? (size_t)n * 2 : 1;
	void *q = realloc(*arr, cap * elem);
	if (!q)
		return OOMPH_PROFILE_ENOMEM;
	*arr = q;
	return 0;
}

static int add_frame(struct profile *p, const char *file, const char *func, uint32_t line,
		     uint32_t flags, uint32_t *out_index, int copy)
{
	if (grow((void **)&p->frames, p->nframes, sizeof(*p->frames)))
		return OOMPH_PROFILE_ENOMEM;
	struct profile_frame *f = &p->frames[p->nframes];
	file = file ? file : "";
	func = func ? func : "";
	f->file = copy ? own_string(p, file) : file;
	f->func = copy ? own_string(p, func) : func;
	if (!f->file || !f->func)
		return OOMPH_PROFILE_ENOMEM;
	f->line = line;
	f->flags = flags;
	if (out_index)
		*out_index = p->nframes;
	p->nframes++;
	return 0;
}

int profile_add_frame(struct profile *p, const char *file, const char *func, uint32_t line,
		      uint32_t flags, uint32_t *out_index)
{
	return add_frame(p, file, func, line, flags, out_index, 1);
}

int profile_add_frame_ref(struct profile *p, const char *file, const char *func,
			  uint32_t line, uint32_t flags, uint32_t *out_index)
{
	return add_frame(p, file, func, line, flags, out_index, 0);
}

int profile_add_node(struct profile *p, uint32_t parent, uint32_t frame,
		     int64_t peak_self, int64_t live_self, uint32_t *out_index)
{
	if (parent >= p->nnodes || frame >= p->nframes)
		return OOMPH_PROFILE_ECORRUPT;
	int64_t peak = p->peak_bytes, end = p->end_bytes;
	if (ck_acc_i64(&peak, peak_self) || ck_acc_i64(&end, live_self))
		return -EOVERFLOW;
	if (grow((void **)&p->nodes, p->nnodes, sizeof(*p->nodes)) ||
	    grow((void **)&p->peak_self, p->nnodes, sizeof(*p->peak_self)) ||
	    grow((void **)&p->live_self, p->nnodes, sizeof(*p->live_self)))
		return OOMPH_PROFILE_ENOMEM;
	uint32_t i = p->nnodes++;
	p->nodes[i].parent = parent;
	p->nodes[i].frame = frame;
	p->peak_self[i] = peak_self;
	p->live_self[i] = live_self;
	p->peak_bytes = peak;
	p->end_bytes = end;
	if (out_index)
		*out_index = i;
	return 0;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	if (p->strings_len == HANDBUILT_MARK) {
		struct owned_string *o = (struct owned_string *)(void *)p->strings;
		while (o) {
			struct owned_string *next = o->next;
			free(o);
			o = next;
		}
	} else {
		free(p->strings);
	}
	if (p->argv) {
		for (int i = 0; i < p->argc; i++)
			free(p->argv[i]);
		free(p->argv);
	}
	free(p->path);
	free(p->frames);
	free(p->nodes);
	free(p->peak_self);
	free(p->live_self);
	free(p->moment_self);
	free(p->job_now);
	free(p->job_then);
	free(p->job_gen);
	free(p->inherited_pic);
	free(p->failures);
	free(p->segments);
	free(p->timeline);
	free(p->moments);
	free(p->changes);
	for (uint32_t i = 0; p->phases && i < p->nphases; i++) {
		free(p->phases[i].peak);
		free(p->phases[i].left);
	}
	free(p->phases);
	memset(p, 0, sizeof(*p));
}

int64_t profile_job_picture(const struct profile *p, uint32_t gen, int64_t *self)
{
	memset(self, 0, (size_t)p->nnodes * sizeof(*self));
	if (!p->job_now || !p->job_then || !p->job_gen || !gen)
		return 0;
	if (p->job_join_gen >= gen || (p->job_leave_gen && p->job_leave_gen - 1 < gen))
		return 0; /* it started after the job's peak, or was gone by then */
	int64_t sum = 0;
	uint32_t n = p->job_n < p->nnodes ? p->job_n : p->nnodes;
	for (uint32_t i = 1; i < n; i++) {
		/* node i changed after the peak: its value then was kept */
		self[i] = p->job_gen[i] == gen ? p->job_then[i] : p->job_now[i];
		sum += self[i]; /* each below 2^57, nnodes below 2^21: no overflow */
	}
	return sum;
}
