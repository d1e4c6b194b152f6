/* supervisor/kmsg.c — OOM-killer evidence from /dev/kmsg (kmsg.h). */
#include "supervisor/kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static pid_t number_after(const char *s, const char *key, const char *stops)
{
	const char *p = strstr(s, key);
	if (!p)
		return 0;
	p += strlen(key);
	char *end;
	long v = strtol(p, &end, 10);
	if (end == p || v <= 0 || !strchr(stops, *end))
		return 0;
	return (pid_t)v;
}

pid_t kmsg_parse_oom_kill(const char *record)
{
	/* "6,1234,5678,-;text": the text is after the first ';' */
	const char *text = strchr(record, ';');
	text = text ? text + 1 : record;
	pid_t pid = number_after(text, "Killed process ", " ");
	if (pid)
		return pid;
	if (strstr(text, "oom-kill:"))
		return number_after(text, ",pid=", ",\n");
	return 0;
}

int kmsg_find_oom_kill(int fd, const pid_t *pids, size_t npids, pid_t *which, char *line,
		       size_t cap)
{
	char rec[8192];
	int found = 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof rec - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten since the last read */
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		rec[n] = 0;
		pid_t pid = kmsg_parse_oom_kill(rec);
		for (size_t i = 0; pid && i < npids && !found; i++) {
			if (pids[i] != pid)
				continue;
			found = 1;
			*which = pid;
			const char *text = strchr(rec, ';');
			text = text ? text + 1 : rec;
			size_t len = strcspn(text, "\n");
			if (len >= cap)
				len = cap ? cap - 1 : 0;
			if (cap) {
				memcpy(line, text, len);
				line[len] = 0;
			}
		}
	}
	return found;
}
