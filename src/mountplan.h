/* mountplan.h: the namespace mode's filesystem, as a list of bubblewrap
 * mount operations computed from the same grants and denies that drive
 * Landlock (policy_build_fs()).
 *
 * The root is an empty tmpfs private to the sandbox (or the host's root
 * read-only when defaultDenyRead is false); system trees are bound
 * read-only, /proc is fresh, /dev minimal (bubblewrap's); /tmp, /run and
 * $HOME are directories of the root tmpfs, /dev/shm one of the /dev tmpfs;
 * then
 * the grants, shallowest first (read-only where Landlock would grant no
 * write, read-write otherwise; a read-only grant inside a writable one adds
 * nothing, as with Landlock's union of rights); then the denies, which win:
 *
 *  - denyRead: an existing file is covered by an empty read-only file, a
 *    directory by an empty read-only directory;
 *  - denyWrite and the mandatory protections: an existing path inside a
 *    writable area is bound read-only onto itself; one that does not exist
 *    yet gets a placeholder, a socket inode created on the host for the run
 *    and removed after it, covered inside by a read-only socket inode: the
 *    name can be neither created nor opened (ENXIO), and git, which ignores
 *    sockets, never lists it.  (An empty directory would do as well but
 *    costs a disk block: ten times slower to make and remove on ext4.)  Every directory between the writable
 *    root and a protected path is bound onto itself: a mount point cannot
 *    be renamed or removed, so no ancestor can be moved away to unmask it.
 *
 * Paths are resolved once, here, without following symlinks: grant
 * sources are O_PATH fds, and mounttree.c attaches every mount without
 * following symlinks, so a path swapped after planning cannot redirect a
 * mount.  A mandatory protection
 * whose path goes through a symlink inside a writable area cannot be
 * pinned and is an error (fail closed); a config deny through a symlink
 * protects the symlink's target.
 *
 * Ownership: the plan owns its strings and fds; mountplan_free() closes
 * them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fspolicy.h"
#include "util.h"

enum gw_mount_kind {
	GW_MNT_TMPFS,
	GW_MNT_EMPTY_DIR,  /* an empty read-only directory (masks, placeholders) */
	GW_MNT_EMPTY_FILE, /* an empty read-only file (masks) */
	GW_MNT_PLACEHOLDER, /* a read-only socket inode over a placeholder */
	GW_MNT_RO_BIND_FD, /* source fd */
	GW_MNT_BIND_FD,
	GW_MNT_SYMLINK,    /* src = link text */
	GW_MNT_PROC,
	GW_MNT_DEV,
	GW_MNT_DIR,        /* src = octal permissions */
};

struct gw_mount {
	enum gw_mount_kind kind;
	char *src;   /* path or link text, or NULL */
	int fd;      /* O_PATH source for *_FD kinds, else -1 */
	char *dest;
	const char *why; /* for --debug */
	int phase;
	int depth;
};

struct gw_placeholder {
	char *path;
	dev_t dev;
	ino_t ino;
	bool created; /* ours to remove (made by this run, or adopted) */
	bool adopted; /* left by another run (still running, or killed) */
};

struct gw_mount_plan {
	struct gw_mount *m;
	size_t n;
	struct gw_placeholder *ph;
	size_t n_ph;
	int *locks;   /* directories holding placeholders, flock()ed shared */
	size_t n_locks;
};

struct gw_mount_input {
	const struct gw_fs_spec *spec; /* host view: no private-tmp grant */
	const char *home;              /* gets a private tmpfs (deny-default mode), or NULL */
	const char *self_exe;          /* greywall's binary, bound read-only for the inner chain */
};

/* Compute the plan.  Returns 0, or -errno with err set. */
int mountplan_build(const struct gw_mount_input *in, struct gw_mount_plan *out,
		    struct gw_error *err);

/* Create the placeholders on the host.  Returns 0 or -errno with err set
 * (the ones already made are removed by mountplan_remove_placeholders()).
 *
 * Concurrent runs in one workspace share placeholders: a run finding one
 * (a socket inode at a protected name) binds it like any existing path and
 * adopts it.  Every run holds a shared flock() on the directories of the
 * placeholders it uses, and removes them only if it can take that lock
 * exclusively, i.e. when it is the last run using them: removing a mount
 * point on the host would detach the other run's protection. */
int mountplan_make_placeholders(struct gw_mount_plan *p, struct gw_error *err);

/* Remove the placeholders that are still the empty directories we made. */
void mountplan_remove_placeholders(struct gw_mount_plan *p);

/* "ro-bind", "tmpfs"... for messages. */
const char *mountplan_kind_name(enum gw_mount_kind k);

/* Print the plan (--debug). */
void mountplan_debug(const struct gw_mount_plan *p);

void mountplan_free(struct gw_mount_plan *p);
