/* supervisor/kmsg.h — the kernel log as evidence of the OOM killer.
 *
 * Contract
 *   - kmsg_open() opens /dev/kmsg non-blocking and moves to its end, so
 *     only records written during the run are read later; -errno when the
 *     log cannot be read (not root, containers): the caller says so.
 *   - kmsg_find_oom_kill() reads every record since (one read() is one
 *     record; records overwritten meanwhile are skipped) and returns 1 when
 *     one says the OOM killer killed a pid of `pids`, with that pid and the
 *     record's text in `line`; 0 when none does; -errno on a read error.
 *   - kmsg_find_oom_kills() is the same for every pid of `pids` at once:
 *     lines[i] (cap bytes each, "" on entry) gets the first record naming
 *     pids[i]; returns how many were found, or -errno.
 *   - kmsg_parse_oom_kill() is the line parser alone (unit-tested): the
 *     pid named by "Killed process N (", "oom-kill:...,pid=N," or "Memory
 *     cgroup out of memory: Killed process N", else 0.
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_KMSG_H
#define OOMPH_KMSG_H

#include <stddef.h>
#include <sys/types.h>

int kmsg_open(void);
int kmsg_find_oom_kill(int fd, const pid_t *pids, size_t npids, pid_t *which, char *line,
		       size_t cap);
int kmsg_find_oom_kills(int fd, const pid_t *pids, size_t npids, char **lines, size_t cap);
pid_t kmsg_parse_oom_kill(const char *record);

#endif
