/* supervisor/pyprobe.h — ask an interpreter what it is, before profiling.
 *
 * Contract
 *   - pyprobe_probe() runs `PATH -I -S -c "<PYPROBE_CODE>"` (stdin from
 *     /dev/null, without oomph's preload or OOMPH_* variables), waits at most
 *     PYPROBE_TIMEOUT_S seconds, and parses the one line it prints.  It
 *     returns 0 with `out` filled when the line was understood (any
 *     implementation, any version: judge with pyprobe_check()), or
 *       -ENOENT   PATH does not exist
 *       -EACCES   PATH cannot be executed (permission, a directory)
 *       -ENOEXEC  PATH ran but is not a Python the probe understands
 *                 (non-zero exit, nothing or garbage printed, timeout)
 *       other negative errno: fork/pipe failure
 *     with a one-line message in `err` (no "oomph: " prefix).
 *   - pyprobe_parse() parses the probe's output (pure, for tests): the
 *     version line, then any `dir KIND PATH` lines (others are refused).
 *   - pyprobe_check() returns 0 for CPython >= 3.9, else -ENOTSUP with a
 *     message naming what was found and what is needed.
 *   - pyprobe_warning() returns 1 with a message (no "oomph: " prefix) when
 *     oomph supports the interpreter only in part: a free-threaded build, or
 *     a CPython newer than PYPROBE_NEWEST_MINOR; else 0.
 *   - Never used inside the profiled process.  Reaps its own child; the
 *     caller must not have a SIGCHLD handler that reaps everything.
 */
#ifndef OOMPH_PYPROBE_H
#define OOMPH_PYPROBE_H

#include <stddef.h>

/* The first line: implementation, version, abiflags.  Then one line
 * `dir KIND PATH` per directory of the interpreter's own (KIND: prefix,
 * base_prefix, stdlib, site, usersite), so the report can tell the
 * program's code from the standard library's and installed packages'
 * (report/origin.h).  -S means site is not imported at start-up; importing
 * it here only defines its functions (its main() runs only without -S). */
#define PYPROBE_CODE \
	"import sys;print(sys.implementation.name, sys.version_info[0], " \
	"sys.version_info[1], sys.version_info[2], 'abi=' + getattr(sys, 'abiflags', ''))\n" \
	"def d(k, p):\n" \
	" if isinstance(p, str) and p.startswith('/') and '\\n' not in p and '\\r' not in p:\n" \
	"  print('dir', k, p)\n" \
	"d('prefix', sys.prefix); d('base_prefix', getattr(sys, 'base_prefix', ''))\n" \
	"try:\n" \
	" import sysconfig; g = sysconfig.get_paths()\n" \
	" for k in ('stdlib', 'platstdlib'): d('stdlib', g.get(k))\n" \
	" for k in ('purelib', 'platlib'): d('site', g.get(k))\n" \
	"except Exception: pass\n" \
	"try:\n" \
	" import site\n" \
	" for p in site.getsitepackages(): d('site', p)\n" \
	" d('usersite', site.getusersitepackages())\n" \
	"except Exception: pass\n"
#define PYPROBE_TIMEOUT_S 60
#define PYPROBE_MAX_DIRS 16
#define PYPROBE_DIR_MAX 1024 /* "KIND PATH": a longer path is left out */
#define PYPROBE_MIN_MAJOR 3
#define PYPROBE_MIN_MINOR 9
/* The newest CPython whose frames the tracker reads from memory (its
 * _Py_DebugOffsets table layout, tracker/pyframes.c). */
#define PYPROBE_NEWEST_MINOR 15

struct pyprobe_info {
	char implementation[32]; /* sys.implementation.name: "cpython", "pypy" */
	int major, minor, micro;
	char version[32];        /* "3.11.7" */
	char abiflags[16];       /* sys.abiflags: "", "t" (free-threaded), "d", "td" */
	int free_threaded;       /* Py_GIL_DISABLED: 't' in abiflags */
	/* its directories, as the probe printed them: "KIND PATH" each,
	 * duplicates dropped (stdlib and platstdlib are usually one) */
	int ndirs;
	char dirs[PYPROBE_MAX_DIRS][PYPROBE_DIR_MAX];
};

int pyprobe_probe(const char *path, struct pyprobe_info *out, char *err, size_t errlen);
int pyprobe_parse(const char *line, struct pyprobe_info *out);
int pyprobe_check(const char *path, const struct pyprobe_info *info, char *err, size_t errlen);
int pyprobe_warning(const char *path, const struct pyprobe_info *info, char *msg, size_t msglen);

#endif
