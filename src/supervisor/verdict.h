/* supervisor/verdict.h — how did the program end, and on what evidence.
 *
 * Contract
 *   - verdict_decide() is a pure function of what the supervisor gathered
 *     after reaping the child (struct verdict_input): it writes
 *     m->verdict and appends the sentences it rests on to m->evidence
 *     (runmeta_add_evidence).  It reads no files and has no side effects,
 *     so every death is unit-tested from hand-made inputs.  The pressure
 *     and swap figures already in `m` (watch_end: thrashing, stall, swap,
 *     the moment --max-stall stopped it) and its limit are evidence too.
 *   - Verdicts (docs/report-format.md):
 *       stopped-near-oom  oomph stopped it near the limit (--on-oom stop)
 *       stopped-thrashing oomph stopped it thrashing (--max-stall)
 *       oom-killed        SIGKILL with hard evidence of the OOM killer: the
 *                         kernel log names the pid, or the oom_kill counter
 *                         of oomph's private cgroup rose
 *       killed            SIGKILL without such evidence (said plainly)
 *       null-dereference  SIGSEGV/SIGBUS near address 0 after a failed
 *                         allocation
 *       signal            any other signal
 *       memory-error      non-zero exit after a failed allocation
 *       exited            normal exit (failed allocations it survived are
 *                         named in the evidence)
 *   - Returns 0 or -ENOMEM.
 */
#ifndef OOMPH_VERDICT_H
#define OOMPH_VERDICT_H

#include <stdint.h>

#include "profile/profile.h"
#include "profile/runmeta.h"

/* A fault address below this counts as "near NULL" (a field of a struct
 * or an element of an array reached through a NULL base). */
#define VERDICT_NEAR_NULL (1u << 20)

struct verdict_input {
	int signal;                  /* 0, or the signal that ended the child */
	int exit_code;               /* when signal == 0 */
	const struct profile *main;  /* the child's own profile, or NULL */
	int stopped_near_oom;        /* the tracker stopped itself near OOM */
	int stopped_for_stall;       /* oomph stopped it: --max-stall */
	double max_stall_pct;        /* the --max-stall threshold then */
	/* evidence of the kernel OOM killer */
	long long cgroup_oom_kills;  /* rise of oom_kill in the cgroup; -1 unknown */
	int cgroup_private;          /* that cgroup is oomph's own (--limit) */
	const char *cgroup_dir;      /* which one, for the evidence */
	int kmsg_readable;           /* the kernel log could be read */
	const char *kmsg_line;       /* a line naming the pid, or NULL */
	int pid;
};

int verdict_decide(const struct verdict_input *in, struct runmeta *m);

/* "file.py:12 (function)" for the innermost frame of `node`, or "" */
void verdict_node_label(const struct profile *p, uint32_t node, char *out, size_t cap);

#endif
