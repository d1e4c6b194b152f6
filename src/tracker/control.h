/* tracker/control.h — the tracker's control API: phases, the current
 * numbers, snapshots on request.  Exported from liboomph.so (the only
 * symbols with default visibility besides the interposed functions) and
 * called by the Python package through ctypes; the contract with that
 * package is /work/CONTROL_API.md (docs/control-api.md in the tree).
 *
 * Contract
 *   - Public functions (oomph_*): callable from any thread that holds the
 *     GIL — or, through ctypes.CDLL, that just released it — never from an
 *     allocation hook.  They may take the tracker's sample_lock and wait.
 *     Return 0 (or a positive id / number / length) on success, a negative
 *     errno on failure; -ENOTCONN when this process is not tracked.
 *   - Phases nest (a stack per process, at most OOMPH_PHASE_DEPTH deep);
 *     records live in the state file (state/format.h: a ring of the newest
 *     OOMPH_PHASES_CAP) so the report sees them whatever the death; each
 *     phase's pictures (per stack: growth from its start to its peak, and
 *     to its end) are built in private memory while it is open and the
 *     largest OOMPH_PHASE_PIC_NODES stacks of each are kept in the state for
 *     the OOMPH_PHASE_PICS largest phases.
 *   - The tracker's side (control_*, below the public part) is called by
 *     tracker.c: control_credit_locked / control_flush_locked under the
 *     sample_lock, inside hooks; control_raise lock-free, inside hooks.
 *     They never allocate through the hooks (raw mmap) and never call Python.
 *   - The snapshot signal handler only increments a counter in the state
 *     (async-signal-safe); the supervisor's watch tick serves it.
 */
#ifndef OOMPH_CONTROL_H
#define OOMPH_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define OOMPH_API __attribute__((visibility("default")))
#define OOMPH_API_VERSION 1

/* ------------------------------------------------------------- public --- */

OOMPH_API int oomph_api_version(void);
OOMPH_API int oomph_active(void);

/* Phases.  Returns the phase id (> 0); -ENOSPC when OOMPH_PHASE_DEPTH
 * phases are open; -ENAMETOOLONG for a name over 1024 bytes; -EINVAL for
 * NULL. */
OOMPH_API int oomph_phase_begin(const char *name);
/* -EINVAL: not open.  Ending an outer phase ends the inner ones too. */
OOMPH_API int oomph_phase_end(int id);

struct oomph_current {
	int64_t tracked_bytes;   /* exact, now */
	int64_t peak_bytes;      /* exact, since start */
	int64_t limit_bytes;     /* 0: none found */
	int64_t headroom_bytes;  /* limit - usage now; -1 unknown */
};
OOMPH_API int oomph_get_current(struct oomph_current *out, size_t size);

struct oomph_phase_info {
	double start_s, end_s;            /* since the process start; end_s < 0 while open */
	int64_t start_bytes;              /* exact tracked bytes when it began */
	int64_t peak_bytes;               /* exact maximum while it was open (so far) */
	int64_t peak_above_start_bytes;   /* peak_bytes - start_bytes */
	int64_t left_live_bytes;          /* allocated during it and still live at its
					     end (sampled estimate; 0 while open) */
	int64_t end_bytes;                /* exact tracked bytes at its end (now, while open) */
};
/* -EINVAL: no such phase (never begun, or too old: the state keeps the
 * newest OOMPH_PHASES_CAP). */
OOMPH_API int oomph_phase_info(int id, struct oomph_phase_info *out, size_t size);

/* "<bytes>\t<file>\t<line>\t<function>\n" per line, largest first: the
 * innermost frame of the program's own code when known, else the innermost
 * frame.  which 0: live at the phase's peak above its start; 1: what it
 * left live (growth from its start to its end; to now while open).  Returns
 * the bytes written (NUL-terminated, truncated to len), -EINVAL (no such
 * phase, bad which), -ENODATA (a closed phase whose picture was not kept). */
OOMPH_API int oomph_phase_top(int id, int which, int max, char *buf, size_t len);

/* A full report of now, written by the supervisor into dir (NULL or "":
 * RUN_DIR/snapshots/<n>-<seconds>/); waits up to timeout_s.  Returns the
 * snapshot number (> 0), -ETIMEDOUT, -ENOTCONN, -ENAMETOOLONG, or the
 * supervisor's -errno (it could not write there). */
OOMPH_API int oomph_snapshot(const char *dir, double timeout_s);
/* The directory snapshot n was written to (n among the last 4 this
 * process asked for or received a signal for).  Returns its length, or
 * -ENOENT. */
OOMPH_API int oomph_snapshot_path(int n, char *buf, size_t len);

/* ----------------------------------------------- the tracker's side --- */

struct oomph_state_header;
struct tracker_config;

/* Phases open now: 0 means there is nothing to do on any path. */
extern _Atomic uint32_t control_open;

/* From tracker_init, after the state is made: the phase tables and the
 * snapshot signal (cfg->snapshot_signal; 0 none). */
void control_init(const struct tracker_config *cfg);
/* Under sample_lock, before live[node] changes (only when control_open). */
void control_credit_locked(uint32_t node);
/* Under sample_lock, before the total decreases (the pictures at the peaks
 * of the open phases whose maximum was raised are taken now). */
void control_flush_locked(void);
/* Lock-free, from the allocation path: the total reached `cur`, above the
 * watch mark.  Raises every open phase's maximum below it; returns 1 if
 * one was raised (a picture is then pending). */
int control_raise(int64_t cur, uint64_t now_ns);
/* The lowest maximum of the open phases (INT64_MAX: none open). */
int64_t control_lowest_max(void);
/* sigaction(): a disposition read back that is oomph's snapshot handler is
 * shown as the default (hooks.c). */
struct sigaction;
void control_hide_handler(int sig, struct sigaction *old);
/* fork child: no phase is open in the new process. */
void control_atfork_child(void);

#endif
