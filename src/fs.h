/* fs.h: path handling that does not trust paths.
 *
 * Policy paths are resolved exactly once, to O_PATH file descriptors; the
 * Landlock rules are attached to those inodes, so nothing can be swapped
 * under a path between planning and enforcement. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/* realpath() of a symlink: the canonical path of what `link` (absolute)
 * points to, followed freely.  The link is read once and its target
 * proved canonical with one openat2() when no further symlink is on the
 * way; otherwise this is realpath() itself.  Caller frees.  NULL with
 * errno set: EINVAL when `link` is not a symlink, readlink()'s or
 * realpath()'s errno otherwise (ENOENT: missing, or dangling). */
char *fs_link_target(const char *link);

/* The names in one directory, read in one pass (a few getdents64() calls
 * instead of a lookup per name). */
struct fs_dirnames {
	char *buf;      /* the raw records */
	char **sorted;  /* every name, pointing into buf, in strcmp() order */
	size_t n;
};

/* Read every name of `dirfd` (opened O_RDONLY|O_DIRECTORY, at its start).
 * Returns 0, -E2BIG when reading them needs a buffer of more than
 * `max_bytes` (a directory too big to be worth it), or -errno; *out is
 * empty on failure. */
int fs_dirnames_read(int dirfd, size_t max_bytes, struct fs_dirnames *out);
/* Whether the listing holds the name made of the `len` bytes at `name`. */
bool fs_dirnames_has(const struct fs_dirnames *d, const char *name, size_t len);
void fs_dirnames_free(struct fs_dirnames *d);

/* true when a lookup of a name in the directory `dirfd` (O_RDONLY) can
 * only find what reading the directory lists, byte for byte, so that a
 * name missing from fs_dirnames_read() does not exist.  Only a few local
 * filesystems qualify, and a case-folding directory never does. */
bool fs_dir_lookup_exact(int dirfd);

/* Canonical path of this program's binary.  Caller frees; NULL on error. */
char *fs_self_exe(void);

/* Canonical path of an open fd (via /proc/self/fd).  Caller frees; NULL on
 * error. */
char *fs_fd_path(int fd);

/* Remove a directory tree below `parent_fd`/`name` without following
 * symlinks or crossing mount points.  Returns 0 or -errno. */
int fs_remove_tree(int parent_fd, const char *name);

/* A memfd holding `len` bytes of data, sealed against any change and
 * positioned at its start (close-on-exec): how greywall hands a policy or
 * an environment to the process that enforces it.  Returns the fd or
 * -errno. */
int fs_sealed_memfd(const char *name, const char *data, size_t len);
