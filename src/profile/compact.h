/* profile/compact.h — a finished process's state file, rewritten compact.
 *
 * While a process runs its state file is created at full size (200+ MiB,
 * sparse: untouched pages cost nothing) so that no table ever has to grow.
 * Once the process is gone, most of that is holes that any copy without
 * sparse-file support (cp --sparse=never, tar without -S, an upload) turns
 * into zeros.  state_compact() writes the same file with every capacity cut
 * to what is used — strings_used bytes, frames_used frames, nodes_used
 * stacks (and as many live, peak, journal and moment entries), the phase
 * records handed out, the phase pictures in use and the history's points,
 * moments and changes as counted — the regions packed at
 * OOMPH_STATE_ALIGN, the header's offsets, capacities and file_size
 * rewritten and OOMPH_STATE_F_COMPACT set.  Everything the reader uses is
 * copied byte for byte, so `oomph report` renders the same report from it.
 *
 * Contract
 *   - state_compact(in, out): `in` a state file of this version (read with
 *     pread/mmap, never written), `out` an empty file open for writing.
 *     Returns 0, or -EINVAL when `in` is not a complete state file of this
 *     version that the reader could take (the caller then copies it as it
 *     is, so the reader says what is wrong with it), or another -errno
 *     (I/O), with a one-line message in err.
 *   - state_compact_size() is the size the compact file will have (0 if
 *     `in` cannot be compacted): for tests and the docs' figures.
 *   - Not for use inside the profiled process; no shared state (the writer
 *     is expected to be gone: a file still written is copied as it is at
 *     that instant, as any copy of it would be).
 */
#ifndef OOMPH_PROFILE_COMPACT_H
#define OOMPH_PROFILE_COMPACT_H

#include <stddef.h>
#include <stdint.h>

int state_compact(int in_fd, int out_fd, char *err, size_t errlen);
uint64_t state_compact_size(int in_fd);

#endif
