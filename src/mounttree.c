/* mounttree.c: see mounttree.h. */
#include "mounttree.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define EMPTY_DIR "d"
#define EMPTY_FILE "f"
#define EMPTY_SOCK "s"

struct tree {
	int root; /* the tree's "/" */
	int aux;  /* holds the empty sources */
};

/* Walk `rel` (no leading '/') from `dirfd`, creating missing directories
 * (0755), never following a symlink.  Returns an O_PATH fd of the last
 * directory, or -errno. */
static int open_dirs(int dirfd, const char *rel)
{
	int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	_cleanup_free_ char *copy = xstrdup(rel);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && mkdirat(cur, c, 0755) == 0)
			next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(cur);
		if (next < 0)
			return -e;
		cur = next;
	}
	return cur;
}

/* Split "/a/b/c" into the parent's fd (created as needed) and "c". */
static int open_parent(const struct tree *t, const char *dest, const char **name)
{
	const char *slash = strrchr(dest, '/');
	*name = slash + 1;
	_cleanup_free_ char *dir = xstrndup(dest + 1, (size_t)(slash - dest) - (slash > dest ? 1 : 0));
	return open_dirs(t->root, dir);
}

/* The mount point for a source of type `mode`: a directory or an empty
 * file, made when missing.  Returns an O_PATH fd of it (never a symlink). */
static int mount_point(const struct tree *t, const char *dest, mode_t mode)
{
	if (strcmp(dest, "/") == 0)
		return fcntl(t->root, F_DUPFD_CLOEXEC, 3);
	const char *name;
	_cleanup_close_ int pfd = open_parent(t, dest, &name);
	if (pfd < 0)
		return pfd;
	if (S_ISDIR(mode)) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			return -errno;
	} else {
		int f = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (f < 0 && errno != EEXIST)
			return -errno;
		gw_close_fd(f);
	}
	int fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode) != S_ISDIR(mode)) {
		close(fd);
		return -ENOTDIR; /* a symlink or a file where a directory goes */
	}
	return fd;
}

/* The planned source, reached again in this mount namespace: a mount of
 * the namespace the plan was made in cannot be cloned here, so the path is
 * opened again (no symlinks) and must still be the very inode planned. */
static int reopen_here(int planned, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0)
		return -errno;
	struct stat a, b;
	if (fstat(planned, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return -ESTALE; /* replaced since it was planned */
	}
	return fd;
}

/* Clone `src` (recursively), restrict it, attach it on `dest`. */
static int attach(const struct tree *t, int src, const char *dest, bool ro)
{
	struct stat st;
	if (fstat(src, &st) < 0)
		return -errno;
	_cleanup_close_ int target = mount_point(t, dest, st.st_mode);
	if (target < 0)
		return target;
	_cleanup_close_ int tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						      AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	/* Restricted once attached (nothing sandboxed runs yet): the flags of
	 * a detached clone cannot be changed on every kernel. */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					       (ro ? MOUNT_ATTR_RDONLY : 0) };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		return -errno;
	return 0;
}

static int attach_planned(const struct tree *t, const struct gw_mount *m, int here)
{
	return attach(t, here, m->dest, m->kind == GW_MNT_RO_BIND_FD);
}

static int attach_empty(const struct tree *t, const char *which, const char *dest)
{
	_cleanup_close_ int src = openat(t->aux, which, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return src < 0 ? -errno : attach(t, src, dest, true);
}

static int make_dir(const struct tree *t, const char *dest, const char *perms)
{
	_cleanup_close_ int fd = open_dirs(t->root, dest + 1);
	if (fd < 0)
		return fd;
	/* O_PATH fds take no fchmod: go through the fd's /proc link. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return chmod(path, (mode_t)strtol(perms, NULL, 8)) < 0 ? -errno : 0;
}

static int make_symlink(const struct tree *t, const char *target, const char *dest)
{
	const char *name;
	_cleanup_close_ int pfd = open_parent(t, dest, &name);
	if (pfd < 0)
		return pfd;
	return symlinkat(target, pfd, name) < 0 ? -errno : 0;
}

/* A tmpfs (only when the root is the host's, read-only). */
static int make_tmpfs(const struct tree *t, const char *dest)
{
	_cleanup_close_ int target = mount_point(t, dest, S_IFDIR);
	if (target < 0)
		return target;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", target);
	return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ? -errno : 0;
}

static int apply(const struct tree *t, const struct gw_mount *m, int here)
{
	switch (m->kind) {
	case GW_MNT_TMPFS:
		return strcmp(m->dest, "/") == 0 ? 0 : make_tmpfs(t, m->dest);
	case GW_MNT_DIR:
		return make_dir(t, m->dest, m->src);
	case GW_MNT_SYMLINK:
		return make_symlink(t, m->src, m->dest);
	case GW_MNT_RO_BIND_FD:
	case GW_MNT_BIND_FD:
		return attach_planned(t, m, here);
	case GW_MNT_EMPTY_DIR:
		return attach_empty(t, EMPTY_DIR, m->dest);
	case GW_MNT_EMPTY_FILE:
		return attach_empty(t, EMPTY_FILE, m->dest);
	case GW_MNT_PLACEHOLDER:
		return attach_empty(t, EMPTY_SOCK, m->dest);
	case GW_MNT_PROC:
	case GW_MNT_DEV: {
		/* bubblewrap's, on top of the finished tree; the mount points
		 * must exist (they do in the host's read-only root). */
		int fd = open_dirs(t->root, m->dest + 1);
		gw_close_fd(fd);
		return fd < 0 ? fd : 0;
	}
	}
	return -EINVAL;
}

static int mount_tmpfs_at(const char *path, const char *mode)
{
	char opts[32];
	snprintf(opts, sizeof opts, "mode=%s", mode);
	return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 ? -errno : 0;
}

static int prepare_aux(const char *aux, int *fd)
{
	int r = mount_tmpfs_at(aux, "0755");
	if (r < 0)
		return r;
	*fd = open(aux, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return -errno;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", *fd);
	_cleanup_close_ int dfd = open(path, O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || mkdirat(dfd, EMPTY_DIR, 0555) < 0)
		return -errno;
	int f = openat(dfd, EMPTY_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (f < 0)
		return -errno;
	close(f);
	return mknodat(dfd, EMPTY_SOCK, S_IFSOCK | 0400, 0) < 0 ? -errno : 0;
}

/* The root: a fresh tmpfs, or (defaultDenyRead false) the host's root. */
static int prepare_root(const struct gw_mount_plan *p, const int *here, const char *root, int *fd)
{
	const struct gw_mount *first = p->n ? &p->m[0] : NULL;
	int r;
	if (first && first->kind == GW_MNT_RO_BIND_FD && strcmp(first->dest, "/") == 0) {
		*fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		struct tree t = { .root = *fd, .aux = -1 };
		r = *fd < 0 ? -errno : attach_planned(&t, first, here[0]);
		gw_close_fd(*fd);
	} else {
		r = mount_tmpfs_at(root, "0755");
	}
	if (r < 0)
		return r;
	/* Reopen: the fd must refer to the mount just attached. */
	*fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return *fd < 0 ? -errno : 0;
}

/* Every planned source, opened again in this mount namespace before the
 * staging tmpfs can hide any of them. */
static int reopen_all(const struct gw_mount_plan *p, int *here)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct gw_mount *m = &p->m[i];
		here[i] = -1;
		if (m->kind != GW_MNT_RO_BIND_FD && m->kind != GW_MNT_BIND_FD)
			continue;
		here[i] = reopen_here(m->fd, m->dest);
		if (here[i] < 0) {
			int e = here[i];
			log_error_errno(e, "sandbox filesystem: %s changed since it was planned", m->dest);
			return e;
		}
	}
	return 0;
}

/* A private tmpfs on `staging` holding "root" (the tree) and "aux". */
static int prepare_staging(const char *staging, char **root, char **aux)
{
	int r = mount_tmpfs_at(staging, "0700");
	if (r < 0)
		return r;
	*root = xasprintf("%s/root", staging);
	*aux = xasprintf("%s/aux", staging);
	if (mkdir(*root, 0700) < 0 || mkdir(*aux, 0700) < 0)
		return -errno;
	return 0;
}

static int build(const struct gw_mount_plan *p, const int *here, const char *root, const char *aux)
{
	struct tree t = { -1, -1 };
	int r = prepare_root(p, here, root, &t.root);
	if (r == 0)
		r = prepare_aux(aux, &t.aux);
	if (r < 0)
		log_error_errno(r, "cannot prepare the sandbox's root");
	for (size_t i = 0; i < p->n && r == 0; i++) {
		const struct gw_mount *m = &p->m[i];
		if (i == 0 && m->kind == GW_MNT_RO_BIND_FD && strcmp(m->dest, "/") == 0)
			continue; /* prepare_root() */
		r = apply(&t, m, here[i]);
		if (r < 0)
			log_error_errno(r, "sandbox filesystem: %s %s (%s)", mountplan_kind_name(m->kind),
					m->dest, m->why);
	}
	gw_close_fd(t.root);
	gw_close_fd(t.aux);
	return r;
}

int mounttree_build(const struct gw_mount_plan *p, const char *staging)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int e = -errno;
		log_error_errno(e, "cannot create the sandbox's mount namespace");
		return e;
	}
	int *here = xcalloc(p->n + 1, sizeof *here);
	_cleanup_free_ char *root = NULL, *aux = NULL;
	int r = reopen_all(p, here);
	if (r == 0 && (r = prepare_staging(staging, &root, &aux)) < 0)
		log_error_errno(r, "cannot mount a private tmpfs on %s", staging);
	if (r == 0)
		r = build(p, here, root, aux);
	for (size_t i = 0; i < p->n; i++)
		gw_close_fd(here[i]);
	free(here);
	return r;
}
