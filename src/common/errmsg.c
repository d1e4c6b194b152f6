/* common/errmsg.c — see errmsg.h. */
#include "common/errmsg.h"

#include <stdio.h>

int err_vset(int rc, char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	return rc;
}

int err_set(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(rc, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

void err_print(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* one write: lines of oomph and of the program do not interleave */
	fprintf(stderr, "oomph: %s\n", line);
	fflush(stderr);
}
