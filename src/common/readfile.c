/* common/readfile.c — read_text_file (readfile.h). */
#include "common/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t read_fd_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

ssize_t read_text_file(const char *path, char *buf, size_t cap)
{
	if (cap == 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t got = read_fd_all(fd, buf, cap - 1);
	close(fd);
	if (got < 0)
		return got;
	buf[got] = 0;
	return got;
}
