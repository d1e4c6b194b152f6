/* common/errmsg.h — the one way modules report an error to their caller: a
 * one-line message written into the caller's buffer, and a code returned;
 * and the one way oomph prints a line of its own on stderr.
 *
 * Contract: err_set() formats into err (if err is non-NULL and errlen > 0,
 * always NUL-terminated, truncated if needed) and returns rc unchanged, so a
 * failure is `return err_set(-EINVAL, err, errlen, "...", ...);`.
 * err_print() writes "oomph: MESSAGE\n" on stderr (warnings, and the CLI's
 * final error line).  No global state.  Not for use inside the profiled
 * process (they use stdio).
 */
#ifndef OOMPH_ERRMSG_H
#define OOMPH_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

int err_set(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int err_vset(int rc, char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
void err_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
