/* report/origin.h — whose code a frame is, and the name a person knows it by.
 *
 * Contract
 *   - Owns nothing but the struct origin it fills: every path in it is
 *     borrowed (from run.meta or the caller) and must outlive it.
 *   - origin_init() takes what the supervisor learnt (runmeta.h: the
 *     working directory, the command, the interpreter's own directories from
 *     the probe, supervisor/pyprobe.h); meta may be NULL or lack the
 *     directories (an old run.meta, `oomph run -- COMMAND`): then the
 *     spellings every CPython uses (`/lib/python3.X/`, `/site-packages/`,
 *     `/dist-packages/`) decide alone.
 *   - origin_of() classifies a recorded file name, by the longest directory
 *     that holds it: the program's own code (its script's directory, the
 *     working directory, code with no file such as `<string>` from -c), the
 *     standard library, an installed package (site-packages, dist-packages,
 *     the user site), or the interpreter itself (`<frozen ...>`).  A file
 *     under no known directory is the program's.  *rest (may be NULL) gets
 *     the offset of the name below that directory ("pandas/core/frame.py",
 *     "logging/__init__.py"), or 0.  For the program's own files that is
 *     the name relative to the working directory when under it, else to the
 *     script's directory when under that (a script run from elsewhere).
 *   - origin_short() appends that short name.
 *   - origin_plumbing() says whether a frame is machinery every run of that
 *     kind has and no one wants to read: runpy, threading's and
 *     multiprocessing's bootstraps, concurrent.futures' workers, pytest and
 *     pluggy's call chain.
 *   - Pure functions; no allocation except through buf.h.  Never used inside
 *     the profiled process.
 */
#ifndef OOMPH_REPORT_ORIGIN_H
#define OOMPH_REPORT_ORIGIN_H

#include <stddef.h>

#include "profile/runmeta.h"
#include "report/buf.h"

enum origin_kind {
	ORIGIN_PROGRAM = 0,
	ORIGIN_STDLIB,
	ORIGIN_PACKAGE,
	ORIGIN_INTERPRETER, /* <frozen importlib._bootstrap>, <frozen runpy> */
};

#define ORIGIN_MAX_DIRS 24

struct origin_dir {
	const char *path;
	size_t len;        /* without trailing slashes */
	enum origin_kind kind;
};

struct origin {
	const char *cwd;   /* "" if unknown */
	struct origin_dir dirs[ORIGIN_MAX_DIRS];
	size_t ndirs;
	char script_dir[4096]; /* the script's directory (absolute), or "" */
};

void origin_init(struct origin *o, const struct runmeta *meta);
/* An origin that knows only the working directory (tests, old callers). */
void origin_init_cwd(struct origin *o, const char *cwd);
enum origin_kind origin_of(const struct origin *o, const char *file, size_t *rest);
void origin_short(struct buf *b, const struct origin *o, const char *file);
int origin_plumbing(const struct origin *o, const char *file, const char *func);
/* 0 when no frame of this file can be plumbing, whatever its function and
 * origin (a test of the name alone, so a caller can keep its answer per
 * file); 1: ask origin_plumbing. */
int origin_may_be_plumbing(const char *file);
/* "numpy" for numpy/__init__.py, "pandas.core.frame" for pandas/core/frame.py:
 * the module a short name is (what an import of it imported). */
void origin_module(struct buf *b, const struct origin *o, const char *file);
const char *origin_kind_name(enum origin_kind k); /* "program", "stdlib", ... */

#endif
