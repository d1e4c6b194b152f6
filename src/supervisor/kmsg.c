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

/* The next record into rec (NUL-terminated): its length, 0 at the end of
 * the log, -errno. */
static ssize_t next_record(int fd, char *rec, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, rec, cap - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue; /* EPIPE: records overwritten since the last read */
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -errno;
		rec[n] = 0;
		return n;
	}
}

int kmsg_find_oom_kills(int fd, const pid_t *pids, size_t npids, char **lines, size_t cap)
{
	char rec[8192];
	int found = 0;
	for (;;) {
		ssize_t n = next_record(fd, rec, sizeof rec);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		pid_t pid = kmsg_parse_oom_kill(rec);
		for (size_t i = 0; pid && i < npids; i++) {
			/* the first record naming it; "Killed process N (comm)
			 * total-vm..." rather than the "oom-kill:" one before it */
			if (pids[i] != pid || !cap ||
			    (lines[i][0] && (strstr(lines[i], "Killed process") ||
					     !strstr(rec, "Killed process"))))
				continue;
			found += !lines[i][0];
			const char *text = strchr(rec, ';');
			text = text ? text + 1 : rec;
			size_t len = strcspn(text, "\n");
			if (len >= cap)
				len = cap - 1;
			memcpy(lines[i], text, len);
			lines[i][len] = 0;
		}
	}
	return found;
}

int kmsg_find_oom_kill(int fd, const pid_t *pids, size_t npids, pid_t *which, char *line,
		       size_t cap)
{
	char store[16][512];
	char *lines[16];
	if (npids > 16)
		npids = 16;
	for (size_t i = 0; i < npids; i++) {
		store[i][0] = 0;
		lines[i] = store[i];
	}
	int rc = kmsg_find_oom_kills(fd, pids, npids, lines, sizeof store[0]);
	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < npids; i++)
		if (store[i][0]) {
			*which = pids[i];
			if (cap)
				snprintf(line, cap, "%s", store[i]);
			return 1;
		}
	return 0;
}
