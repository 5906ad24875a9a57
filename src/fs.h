/* fs.h: path handling that does not trust paths.
 *
 * Policy paths are resolved exactly once, to O_PATH file descriptors; the
 * Landlock rules are attached to those inodes, so nothing can be swapped
 * under a path between planning and enforcement. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

/* Lexically normalise an absolute path: collapse "//", drop "." and
 * trailing "/", resolve ".." against the preceding component.  Caller frees.
 * Returns NULL for a relative path. */
char *fs_normalize(const char *abs_path);

/* Expand "~" and "~/..." against `home` and make `path` absolute against
 * `cwd`, then normalise.  Caller frees.  NULL when `path` needs a home that
 * is unknown. */
char *fs_absolutize(const char *path, const char *cwd, const char *home);

/* true when `path` equals `dir` or lies beneath it (both normalised). */
bool fs_is_beneath(const char *path, const char *dir);

/* Open `abs_path` as O_PATH|O_CLOEXEC, component by component.  A symlink
 * is followed only when it is trusted: owned by root and inside a
 * root-owned directory that group and others cannot write (so an
 * unprivileged sandboxed command cannot have planted it).  Returns the fd,
 * -ELOOP for an untrusted symlink, or another -errno.  On success *real
 * (if not NULL) receives the canonical path and *st the fstat() result. */
int fs_open_trusted(const char *abs_path, char **real, struct stat *st);

/* Canonical path of this program's binary.  Caller frees; NULL on error. */
char *fs_self_exe(void);

/* Canonical path of an open fd (via /proc/self/fd).  Caller frees; NULL on
 * error. */
char *fs_fd_path(int fd);

/* Remove a directory tree below `parent_fd`/`name` without following
 * symlinks or crossing mount points.  Returns 0 or -errno. */
int fs_remove_tree(int parent_fd, const char *name);
