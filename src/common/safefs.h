/* common/safefs.h — files in oomph's own directories, safe on a shared
 * machine.
 *
 * oomph often runs as root on machines that other users share, in
 * directories they may be able to write.  Every file oomph writes or reads
 * in a run directory (reports, run.meta, timeline, state files) goes
 * through here, so that one set of rules holds everywhere:
 *   - A directory oomph works in is owned by the effective user and
 *     writable by nobody else; every directory above it is owned by that
 *     user or by root and writable by nobody else unless sticky (/tmp).  So
 *     nobody else can plant, swap or remove a name in it.
 *   - Nothing is opened through a symbolic link (O_NOFOLLOW on the last
 *     component, and the checks above for the rest).
 *   - Files are created with O_CREAT|O_EXCL|O_NOFOLLOW under a random
 *     temporary name, then renamed into place: a reader sees the whole file
 *     or the old one, and no name is predictable.
 *   - Reads open only regular files, non-blocking first (a FIFO or device
 *     never hangs oomph), checked with fstat before the first read.
 *   - Modes: a file gets 0600 plus the group/other read bits of its
 *     directory, a directory 0700 plus its parent's group/other read and
 *     search bits.  A run directory is made 0700 (private, the default) or
 *     0750 (--team-readable): everything in it follows, whatever the umask.
 *
 * Return convention: a descriptor (>= 0) or 0 on success, a negative errno
 * on failure with a one-line message in err (never NULL-terminated badly).
 * Not for use inside the profiled process (stdio for messages).
 */
#ifndef OOMPH_SAFEFS_H
#define OOMPH_SAFEFS_H

#include <stddef.h>
#include <sys/types.h>

/* Modes of a new run directory. */
#define SAFEFS_DIR_PRIVATE 0700
#define SAFEFS_DIR_TEAM 0750

/* Check an open directory: a directory, owned by the effective user, not
 * writable by group or others.  `shown` names it in the message.  -EPERM
 * (someone else owns or can write it), -ENOTDIR. */
int safefs_check_dir(int dirfd, const char *shown, char *err, size_t errlen);

/* Check every directory above the absolute path `abs` (not abs itself):
 * owned by the effective user or root, not writable by group or others
 * unless sticky.  -EPERM with the first offending directory named. */
int safefs_check_ancestors(const char *abs, char *err, size_t errlen);

/* Open the existing directory `path` (never through a link in its last
 * component) and check it and its ancestors as above.  Returns the
 * descriptor (O_DIRECTORY, O_CLOEXEC). */
int safefs_open_dir(const char *path, char *err, size_t errlen);

/* Open a directory without the ownership rules, for reading only (oomph
 * report of another user's run): never through a link in its last
 * component.  *foreign is set when it is not the effective user's or is
 * writable by others (the caller says so and trusts nothing in it). */
int safefs_open_dir_readonly(const char *path, int *foreign, char *err, size_t errlen);

/* mkdirat(dirfd, name) with the mode rule above, or the existing directory
 * of that name if it is ours and passes safefs_check_dir; returns its
 * descriptor.  Never follows a link. */
int safefs_mkdir_at(int dirfd, const char *name, char *err, size_t errlen);

/* Open name in dirfd for reading: a regular file, not a link, not a FIFO.
 * Returns the descriptor (blocking mode restored).  *size gets its size
 * when size is not NULL. */
int safefs_open_read_at(int dirfd, const char *name, off_t *size, char *err, size_t errlen);
/* The same for a path (a directory and a name). */
int safefs_open_read(const char *path, off_t *size, char *err, size_t errlen);

/* Write data as dirfd/name, atomically (random temporary + renameat). */
int safefs_write_at(int dirfd, const char *name, const void *data, size_t len, char *err,
		    size_t errlen);

/* The same by path: the directory of `path` is opened with
 * safefs_open_dir, then the file written in it. */
int safefs_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* mkdir by path (the parent opened with safefs_open_dir): 0 or -errno. */
int safefs_mkdir(const char *path, char *err, size_t errlen);

/* Create dirfd/name for writing (it must not exist): returns the fd.  For
 * files written as they grow (timeline.tsv) or copied (state files). */
int safefs_create_at(int dirfd, const char *name, char *err, size_t errlen);

/* A temporary name ".<name>.<12 random characters>" for a file that will
 * be renamed to name.  0 or -ENAMETOOLONG. */
int safefs_temp_name(char *out, size_t cap, const char *name);

/* Mode bits for a new file / directory inside the directory dirfd. */
mode_t safefs_file_mode(int dirfd);
mode_t safefs_dir_mode(int dirfd);

#endif
