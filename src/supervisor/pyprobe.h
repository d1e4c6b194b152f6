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
 *   - pyprobe_parse() parses the probe's output line (pure, for tests).
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

#define PYPROBE_CODE \
	"import sys;print(sys.implementation.name, sys.version_info[0], " \
	"sys.version_info[1], sys.version_info[2], 'abi=' + getattr(sys, 'abiflags', ''))"
#define PYPROBE_TIMEOUT_S 60
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
};

int pyprobe_probe(const char *path, struct pyprobe_info *out, char *err, size_t errlen);
int pyprobe_parse(const char *line, struct pyprobe_info *out);
int pyprobe_check(const char *path, const struct pyprobe_info *info, char *err, size_t errlen);
int pyprobe_warning(const char *path, const struct pyprobe_info *info, char *msg, size_t msglen);

#endif
