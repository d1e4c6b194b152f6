/* common/readfile.h — read a small text file (proc, sysfs, cgroupfs) whole.
 *
 * Contract: read_text_file() reads up to cap-1 bytes of `path` into buf
 * (reading until end of file or buf is full) and NUL-terminates it.
 * read_fd_all() reads up to len bytes of an open fd (until end of file or
 * len), retrying EINTR, and does not terminate.  Both return the length
 * read, or -errno.  Only open/read/close: safe inside a malloc hook (the
 * tracker uses it), no allocation, no stdio.
 */
#ifndef OOMPH_READFILE_H
#define OOMPH_READFILE_H

#include <stddef.h>
#include <sys/types.h>

ssize_t read_text_file(const char *path, char *buf, size_t cap);
ssize_t read_fd_all(int fd, char *buf, size_t len);

#endif
