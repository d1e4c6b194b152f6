/* model/build.h — the model itself: each line's bytes as a law of n, the
 * phases of each run matched across runs, the peak at a size n never run,
 * and the largest n under a limit.
 *
 * Contract
 *   - model_build() is pure over hand-built or loaded profiles (no I/O, no
 *     global state): the phases of each run (the pictures at the local
 *     maxima of its total, profile->moments), matched across runs, each
 *     phase's lines and stacks fitted against n (model/fit.h), the
 *     prediction at predict_n as the largest phase, and the largest n under
 *     limit_bytes.  Returns 0, or a negative errno with a one-line message
 *     in err (-ENOMEM; -EINVAL when the runs cannot be fitted).
 *     model_free() releases what it built.
 *   - Single-threaded; never inside the profiled process.
 */
#ifndef OOMPH_MODEL_BUILD_H
#define OOMPH_MODEL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "model/fit.h"
#include "profile/profile.h"

/* A phase peak must stand out from the valleys beside it by this share of
 * the run's peak to count as a phase of its own. */
#define MODEL_PHASE_PROMINENCE 0.02
/* A lower peak that holds (per line) nothing more than a higher one, but
 * for this share of the run's peak, is the same phase caught earlier: the
 * share a phase of its own must stand out by (a phase that is small at
 * the sampled sizes is small beside the interpreter's baseline too). */
#define MODEL_PHASE_SAME MODEL_PHASE_PROMINENCE
/* Lines (stacks) below this share of their phase's largest total in every
 * run are summed into "[other lines]" (dropped from the flame graph's
 * detail). */
#define MODEL_LINE_MIN_SHARE 0.005
#define MODEL_STACK_MIN_SHARE 0.001
#define MODEL_MAX_PHASES 16
#define MODEL_OTHER_LINES "[other lines]"

struct model_line {
	char *file, *func;     /* func "" for a line without a Python frame */
	uint32_t line;
	int synthetic;         /* no Python frame: file is the frame's text */
	double y[FIT_MAX_POINTS]; /* bytes in each run's picture of the phase */
	struct fit_result fit;
	double at_predict, lo, hi;
};

struct model_frame {
	char *file, *func;
	uint32_t line, flags;  /* PROFILE_FRAME_* */
};

struct model_stack {
	uint32_t nframes;      /* root first */
	struct model_frame *frames;
	size_t line;           /* its line in the phase's lines */
	double y[FIT_MAX_POINTS];
	struct fit_result fit;
	double at_predict;     /* rescaled: a line's stacks add up to it */
};

struct model_phase {
	double total[FIT_MAX_POINTS]; /* the phase's exact bytes in each run */
	double t_s[FIT_MAX_POINTS];   /* when, in each run */
	size_t nlines, nstacks;
	struct model_line *lines;     /* by bytes at predict_n, largest first */
	struct model_stack *stacks;
	double resid_rms;   /* lines' sum against the measured totals, relative */
	double pred, lo, hi; /* at predict_n */
};

struct model {
	int m;
	double n[FIT_MAX_POINTS];     /* ascending */
	double peak[FIT_MAX_POINTS];  /* each run's exact peak */
	int nphases;
	struct model_phase *phases;   /* in the order of the largest run */
	int top;                      /* the phase that holds the peak at predict_n */
	double predict_n;             /* 0: none asked (then the largest n x 10) */
	double pred, lo, hi;
	int64_t limit_bytes;          /* 0: none */
	double max_n;                 /* largest n within the limit; INFINITY:
					 never reached; 0: not even the smallest */
	double max_n_high;            /* the same for the interval's high end */
	int noisy;                    /* lines' sum misses the runs by > 10% */
};

int model_build(const double *n, struct profile *const *profiles, int m, double predict_n,
		int64_t limit_bytes, const char *cwd, struct model *out, char *err, size_t errlen);
/* The model's peak at n (max over phases) with its 90% interval; *phase
 * (if given) the phase that holds it. */
double model_peak_at(const struct model *mo, double n, double *lo, double *hi, int *phase);
void model_free(struct model *mo);

/* The moments of p that are phase peaks (time order), at most cap. */
uint32_t model_phase_moments(const struct profile *p, uint32_t *out, uint32_t cap);

#endif
