/* pin.h: the pins of greywall-netns-helper: network namespaces kept alive
 * by bind mounts on files in /run/greywall, with their sidecar files.
 *
 * The directory.  /run/greywall, reached from / without any symlink, must
 * be a directory owned by root that others cannot write.  Pins are created
 * as the calling user (the helper has no CAP_DAC_OVERRIDE), so the users
 * allowed to make them need write access through the group: then the
 * directory must also be sticky, so that only a file's owner can remove or
 * rename it.  `make install-helper` makes it 1770 root:greywall.  The
 * helper keeps one fd of it and reaches everything inside relative to
 * that fd, by a plain name: nothing can be swapped under a path.
 *
 * A pin.  /run/greywall/ns-<32 hex digits>: a file the caller created
 * (O_EXCL, so new) with the namespace's nsfs file mounted on it through
 * mount fds (open_tree + move_mount), never through a path.  Sidecars:
 * NAME.pid ("PID STARTTIME\n" of the capture daemon, see procid.h) and,
 * with --bridge-port, NAME.sock: the bridge's Unix socket, mode 0700, so
 * that only the owner (and root) can connect to it.
 *
 * The owner of a pin is the owner of the file its mount sits on.  The
 * mount hides that file (a lookup of the name finds the nsfs inode,
 * owned by root), so it is read through a clone of the directory's mount
 * made without its submounts (open_tree without AT_RECURSIVE): there the
 * name is the plain file again.  Only its creator owns it, nobody else can
 * replace it (sticky directory; a mount point cannot be renamed or
 * removed in the mount namespace it is in: pin_mount() checks that the
 * mount is at the pin's name), and the helper mounts only on files it has
 * just created for the caller; so "the file under the mount is mine"
 * means "I made this pin".
 *
 * Functions that need CAP_SYS_ADMIN (mounting, unmounting, the clone)
 * raise the helper's capabilities for that one call (privs.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

#define PIN_DIR "/run/greywall"
#define PIN_PREFIX "ns-"
#define PIN_HEX_LEN 32
#define PIN_NAME_LEN (sizeof PIN_PREFIX - 1 + PIN_HEX_LEN)
/* Room for a pin name with a sidecar suffix and the NUL. */
#define PIN_NAME_MAX (PIN_NAME_LEN + 8)

/* Whether `name` is a pin name: "ns-" and 32 lower-case hex digits. */
bool pin_name_valid(const char *name);

/* The pin name in `arg`, which is either "/run/greywall/NAME" exactly or
 * NAME alone; NULL when it is neither or NAME is not a pin name.  Points
 * into arg. */
const char *pin_name_of(const char *arg);

/* Open the pin directory (O_RDONLY | O_DIRECTORY) after checking it as
 * above.  When it is missing and `create` is set and the caller is root,
 * it is made 0755 root:root (a pin directory for root alone).  Returns the
 * fd, or -errno with err saying what is wrong, with a hint. */
int pin_dir_open(bool create, struct gw_error *err);

/* Create a new pin file with a random name (written to name, at least
 * PIN_NAME_LEN + 1 bytes), mode 0600, owned by the caller.  Returns its fd
 * or -errno with err set. */
int pin_file_create(int dirfd, char *name, struct gw_error *err);

/* Mount the namespace file nsfd (nsfs) on the pin file pinfd, which is
 * `name` in the directory, and check that it is there; when the caller
 * moved the file meanwhile, the mount is undone (-EBUSY).  0 or -errno
 * with err set. */
int pin_mount(int dirfd, const char *name, int nsfd, int pinfd, struct gw_error *err);

/* lstat() of the file `name` under any mount on it (see above).  0 or
 * -errno (-ENOENT: no such entry). */
int pin_underlying_stat(int dirfd, const char *name, struct stat *st);

/* Check that `name` is a pin of user `uid`: the underlying file is a
 * regular file owned by uid.  0, or -errno with err set (-ENOENT: no such
 * pin; -ELOOP: a symlink; -EPERM: another user's; -EINVAL: not a file). */
int pin_check_owner(int dirfd, const char *name, uid_t uid, struct gw_error *err);

/* Whether what `name` resolves to now is a mounted network namespace:
 * 1 yes (*fd, if not NULL, gets it open O_RDONLY), 0 no (not nsfs: not
 * mounted), or -errno with err set (-ELOOP: a symlink is in the way;
 * -EINVAL: nsfs but another kind of namespace). */
int pin_open_mounted(int dirfd, const char *name, int *fd, struct gw_error *err);

/* pin_check_owner(), pin_open_mounted(), then pin_check_owner() again,
 * for `exec`: the fd of user uid's pinned network namespace, or -errno
 * with err set (-EAGAIN: the file under the name changed meanwhile). */
int pin_open_netns(int dirfd, const char *name, uid_t uid, struct gw_error *err);

/* Detach the mount on `name` (umount2 MNT_DETACH | UMOUNT_NOFOLLOW, by a
 * path relative to the directory, whose fd is made the working directory
 * for the call).  0 or -errno (-EINVAL: nothing mounted there). */
int pin_unmount(int dirfd, const char *name);

/* Bind and listen on a new Unix stream socket NAME.sock in the directory
 * (non-blocking, close-on-exec), a file of the caller's with mode 0700.
 * Returns its fd, or -errno (-EADDRINUSE: something is at that name). */
int pin_sock_listen(int dirfd, const char *name);

/* Remove the pin file and its sidecars; a missing one is not an error,
 * nor a sidecar name another user took (left alone).  Returns 0, or the
 * first -errno (-EPERM: the pin name is another user's file). */
int pin_remove_files(int dirfd, const char *name);

/* Write the sidecar NAME.pid (new file, 0600).  0 or -errno. */
int pin_sidecar_write(int dirfd, const char *name, pid_t pid, uint64_t start);

/* Read the sidecar NAME.pid, which must be a regular file owned by uid.
 * 0, -ENOENT (none), -EPERM (another user's), -EINVAL (malformed), or
 * another -errno. */
int pin_sidecar_read(int dirfd, const char *name, uid_t uid, pid_t *pid, uint64_t *start);

/* Parse sidecar text: "PID STARTTIME\n", decimal, PID > 0.  0 or -EINVAL. */
int pin_sidecar_parse(const char *text, pid_t *pid, uint64_t *start);

/* The names of user uid's pins in the directory: pin names whose file
 * (under any mount) is a regular file of uid.  Sorted; the caller frees
 * with gw_strv_free().  NULL with *r set to -errno on failure.  Others'
 * files cost a lookup each but no memory. */
char **pin_list_names(int dirfd, uid_t uid, int *r);
