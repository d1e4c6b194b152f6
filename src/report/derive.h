/* report/derive.h — a profile's picture with its stacks rewritten for
 * display: Python's import machinery folded away, or every stack turned
 * upside down (the callers view: the line that holds the memory at the
 * root, who called it below).
 *
 * Contract
 *   - derive_profile() builds `out` (a hand-built profile: profile_free()
 *     releases it) with the same frames as `p` (their strings borrowed from
 *     p, which must outlive out; so for every function here: the source
 *     profiles outlive what is derived from them) and one node per distinct
 *     rewritten stack; out->peak_self holds `self` (one picture of p:
 *     peak_self, live_self or moment_self), so every byte is kept and the
 *     total is unchanged.  Bytes of the root stay at the root.
 *   - fold (DERIVE_FOLD_*) says which frames are dropped.  IMPORTS: those
 *     whose file is one of CPython's frozen import modules
 *     (<frozen importlib._bootstrap>, ..._external): an import-time
 *     allocation is then charged to the line that imported.  PLUMBING: the
 *     machinery every run of a kind has (origin.h origin_plumbing(): runpy,
 *     threading's and multiprocessing's bootstraps, pytest and pluggy's call
 *     chain; needs `o`, ignored when it is NULL).  A stack made only of
 *     dropped frames keeps its innermost one, so its bytes keep a name.
 *   - Returns 0, -ENOMEM, or -EOVERFLOW when the bytes add up to more than
 *     int64_t holds (only processes combined can: one profile's bytes are
 *     bounded by the reader, common/bounds.h).
 */
#ifndef OOMPH_REPORT_DERIVE_H
#define OOMPH_REPORT_DERIVE_H

#include <stdint.h>

#include "profile/profile.h"

#define DERIVE_FOLD_IMPORTS 1u
#define DERIVE_FOLD_PLUMBING 2u
#define DERIVE_FOLD_ALL (DERIVE_FOLD_IMPORTS | DERIVE_FOLD_PLUMBING)

struct origin;
int derive_profile(const struct profile *p, const int64_t *self, unsigned fold, int reverse,
		   const struct origin *o, struct profile *out);

/* Whether a stack holding bytes in `self` (a picture of p) has a plumbing
 * frame on it: 1, 0, or -ENOMEM. */
int derive_folds_plumbing(const struct profile *p, const int64_t *self, const struct origin *o);

/* Every process in one picture: under the root one synthetic frame per
 * process (labels[i], e.g. "pid 4242: python3 app.py"), below it that
 * process's stacks (imports and plumbing folded).  views[i]->self gives the bytes;
 * the total is the sum of the processes' totals.  0, -ENOMEM or -EOVERFLOW. */
struct view;
int derive_combined(struct view *const *views, const char *const *labels, size_t n,
		    const struct origin *o, struct profile *out);

/* A sparse picture (a phase's: a few stacks of p and their bytes) as a
 * profile of its own holding only those stacks and their frames, imports
 * and plumbing folded; `other` bytes (stacks not kept) go to a synthetic root frame
 * named other_name.  out->peak_self holds the bytes.  0 or -ENOMEM. */
int derive_entries(const struct profile *p, const struct profile_phase_entry *e, uint32_t n,
		   int64_t other, const char *other_name, const struct origin *o, struct profile *out);

#endif
