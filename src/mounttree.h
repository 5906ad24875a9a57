/* mounttree.h: builds a mount plan's tree directly with the kernel's mount
 * API, in a private mount namespace of the child that then executes
 * bubblewrap; bubblewrap binds the finished tree as its new root (one
 * operation) and adds /proc and /dev.
 *
 * Why not let bubblewrap do each mount: it re-reads the whole mount table
 * after every operation, which made a plan of forty mounts cost more than
 * everything else in a sandboxed `true` together.  Here each mount is an
 * open_tree() clone of an O_PATH source, made read-only/nosuid/nodev with
 * mount_setattr() before it is attached, and attached with move_mount() on
 * a target reached component by component without following any symlink
 * (a path swapped after planning cannot redirect a mount).
 *
 * Must run in a process that holds CAP_SYS_ADMIN over its user namespace
 * (the keeper's, after setns()). */
#pragma once

#include "mountplan.h"

/* Unshare the mount namespace, mount a private tmpfs on `staging` (an
 * existing directory whose own content this process no longer needs, e.g.
 * /dev/shm) and build the plan's tree in `staging`/root; `staging`/aux
 * holds the empty read-only sources of masks and placeholders, outside the
 * tree.  Nothing is created on the host: the tmpfs dies with the namespace.
 * GW_MNT_PROC and GW_MNT_DEV are left to bubblewrap.  Returns 0, or -errno
 * after printing which operation failed. */
int mounttree_build(const struct gw_mount_plan *p, const char *staging);
