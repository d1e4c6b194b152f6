/* supervisor/statedir.h — where the state files live while the program runs.
 *
 * Why: a state file is a large sparse file mapped MAP_SHARED.  On a disk
 * file system every first touch of a page is a read fault through the file
 * system (ext4 reads ahead over the holes), and dirty pages are written back
 * while the program runs: measured here, 30 to 90 ms per run of an empty
 * script, and disk traffic during long runs.  On tmpfs the same run costs
 * about 2 ms and nothing is written to disk.  So while the program runs,
 * RUN_DIR/state is a symbolic link to a private directory on tmpfs, and when
 * the run is over the files are copied (holes kept) into a real RUN_DIR/state
 * and the tmpfs directory is removed.
 *
 * Contract
 *   - statedir_use_tmpfs(): if a tmpfs with enough free room is there
 *     ($OOMPH_TMPFS, else /dev/shm; "off" disables), replaces the empty
 *     directory RUN_DIR/state with a link to a fresh 0700 directory on it
 *     and returns 1; returns 0 (state stays on disk, `why` says why) when
 *     none is usable; never fails the run.
 *   - statedir_materialize(): when RUN_DIR/state is such a link, copies
 *     every file back into a real directory and removes the tmpfs one.
 *     Returns 0, or -errno with a message (then the link is left in place
 *     and still works until the machine reboots).
 *   - statedir_discard(): undo statedir_use_tmpfs for a run that never
 *     started.
 *   - A program killed by anything, even SIGKILL, leaves its state on tmpfs
 *     exactly as on disk; only a crash of oomph itself leaves the link
 *     (`oomph report DIR` still works through it).
 *   - Never used inside the profiled process.
 */
#ifndef OOMPH_STATEDIR_H
#define OOMPH_STATEDIR_H

#include <stddef.h>

/* Below this much free room on the tmpfs, stay on disk: a full tmpfs would
 * make the tracker's writes fault (SIGBUS) inside the program. */
#define STATEDIR_MIN_FREE (512ull << 20)

int statedir_use_tmpfs(const char *run_dir, char *why, size_t whylen);
int statedir_materialize(const char *run_dir, char *err, size_t errlen);
void statedir_discard(const char *run_dir);

#endif
