/* supervisor/probecache.h — the interpreter probe's answer, kept per
 * interpreter so that a run does not start a second Python to learn it.
 *
 * Contract
 *   - An entry is keyed by what makes the probe's answer what it is: the
 *     interpreter's path as given, the file it names (device, inode, size,
 *     mtime and ctime to the nanosecond), the pyvenv.cfg beside it or one
 *     level up (a venv's prefix comes from it), $HOME (the user site) and
 *     the probe's own code.  Any change of one of them is a miss.  Only an
 *     ELF executable is cached: a script standing in for Python (a pyenv
 *     shim, a wrapper) may answer differently with every environment.
 *   - The cache lives in $XDG_CACHE_HOME/oomph (an absolute
 *     $XDG_CACHE_HOME), else $HOME/.cache/oomph.  oomph makes the
 *     directories it needs 0700; the cache directory must be the effective
 *     user's and writable by nobody else, and so must every directory above
 *     it be (or root's, or sticky) — common/safefs.h — or the cache is not
 *     used.  Entries are written 0600 under a random temporary name
 *     (O_CREAT|O_EXCL|O_NOFOLLOW) and renamed into place; they are read
 *     without following a link.  An entry that is not a regular file of the
 *     effective user's, that others may write, that is larger than any
 *     answer, whose key is not exactly ours, or whose answer does not parse
 *     is ignored (a miss; the fresh answer replaces it).
 *   - OOMPH_PROBE_CACHE=off (state/format.h) turns the cache off.
 *   - Return convention: 0 or a descriptor on success, a negative errno
 *     otherwise (-ENOENT: a miss; -ENOTSUP: not cacheable; -EPERM: an entry
 *     or directory of someone else's).  Nothing is printed: a cache that
 *     cannot be used only costs the probe.
 *   - Never used inside the profiled process; no shared state.
 */
#ifndef OOMPH_PROBECACHE_H
#define OOMPH_PROBECACHE_H

#include <stddef.h>

#define PROBECACHE_KEY_MAX 12288
#define PROBECACHE_ANSWER_MAX 16384

/* 1 unless OOMPH_PROBE_CACHE=off. */
int probecache_enabled(void);

/* The key of the interpreter at `path` (see above), or -ENOTSUP when it is
 * not an ELF file or a name in it holds a newline. */
int probecache_key(const char *path, const char *code, char *key, size_t cap);

/* The cache directory, made if absent: an O_DIRECTORY descriptor.  `dir`
 * (or NULL) overrides the environment (tests). */
int probecache_open_dir(const char *dir);

/* The answer stored under `key` in the directory, NUL-terminated in
 * answer (cap >= PROBECACHE_ANSWER_MAX + 1): 0, or -ENOENT / -EPERM /
 * -EINVAL (corrupt) — all of them a miss to the caller. */
int probecache_lookup(int dirfd, const char *key, char *answer, size_t cap);

/* Store answer under key (atomically: temporary + rename). */
int probecache_store(int dirfd, const char *key, const char *answer);

/* The entry's file name for a key: "probe-" and 16 hex digits. */
void probecache_name(const char *key, char *name, size_t cap);

#endif
