/* common/errmsg.h — the one way modules report an error to their caller: a
 * one-line message written into the caller's buffer, and a code returned.
 *
 * Contract: err_set() formats into err (if err is non-NULL and errlen > 0,
 * always NUL-terminated, truncated if needed) and returns rc unchanged, so a
 * failure is `return err_set(-EINVAL, err, errlen, "...", ...);`.  No global
 * state.  Not for use inside the profiled process (it uses vsnprintf).
 */
#ifndef OOMPH_ERRMSG_H
#define OOMPH_ERRMSG_H

#include <stddef.h>

int err_set(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
