/* model/write.h — what `oomph model` writes: DIR/model.json, DIR/index.html
 * (memory against n, the lines' laws, the runs), DIR/predicted.folded and
 * DIR/predicted.svg (the predicted picture at n), and the terminal summary.
 *
 * Contract
 *   - model_write() only formats what model_build() decided (build.h) and
 *     the warnings the command collected; a file it cannot write is said on
 *     stderr and the others are still written (no return value: the model
 *     itself is already decided).  The summary goes to stderr unless
 *     a->quiet.
 *   - model_warn() adds one sentence; past MODEL_MAX_WARNINGS it is dropped.
 *   - Single-threaded; never inside the profiled process.
 */
#ifndef OOMPH_MODEL_WRITE_H
#define OOMPH_MODEL_WRITE_H

#include "model/build.h"
#include "supervisor/args.h"

/* One run of the model, as the outputs name it. */
struct model_run_ref {
	const char *word;   /* n as typed (the run's directory name) */
	const char *dir;    /* DIR/runs/<word> */
	const char *input;  /* --inputs: the file; else NULL */
};

#define MODEL_MAX_WARNINGS 8
struct model_warnings {
	int n;
	char text[MODEL_MAX_WARNINGS][512];
};

void model_warn(struct model_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void model_write(const char *dir, const struct model *mo, const struct model_run_ref *runs,
		 const struct model_warnings *w, double at, const struct args *a, const char *cwd);

#endif
