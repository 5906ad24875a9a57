/* mountplan.c: see mountplan.h. */
#include "mountplan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "landlock.h"
#include "log.h"

enum { PH_BASE, PH_GRANT, PH_DENY, PH_SELF };

struct area {
	char *path;
	bool rw;
};

struct planner {
	const struct gw_mount_input *in;
	struct gw_mount_plan *plan;
	struct area *areas; /* grants as mounted, for the denies */
	size_t n_areas;
	char **masked;      /* directories hidden by denyRead */
	char **pinned;      /* directories bound onto themselves */
	char **blocked;     /* non-directories protected for a path beneath */
	size_t seq;
	bool deny_default;
	struct gw_error *err;
};

static int path_depth(const char *p)
{
	int d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* O_PATH fd of `path` if no component, the last included, is a symlink. */
static int open_nofollow(const char *path, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || S_ISLNK(st->st_mode)) {
		int e = S_ISLNK(st->st_mode) ? ELOOP : errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void add_op(struct planner *pl, enum gw_mount_kind kind, const char *src, int fd,
		   const char *dest, const char *why, int phase)
{
	struct gw_mount_plan *p = pl->plan;
	p->m = xrealloc(p->m, (p->n + 1) * sizeof *p->m);
	p->m[p->n++] = (struct gw_mount){
		.kind = kind, .src = src ? xstrdup(src) : NULL, .fd = fd, .dest = xstrdup(dest),
		.why = why, .phase = phase, .depth = path_depth(dest),
	};
	(void)pl->seq++;
}

static bool under_any(const char *path, char *const *dirs, bool strictly)
{
	for (size_t i = 0; dirs && dirs[i]; i++)
		if (fs_is_beneath(path, dirs[i]) && (!strictly || strcmp(path, dirs[i]) != 0))
			return true;
	return false;
}

/* ---- base ---------------------------------------------------------------- */

static void plan_base(struct planner *pl)
{
	if (pl->deny_default) {
		add_op(pl, GW_MNT_TMPFS, NULL, -1, "/", "empty root", PH_BASE);
	} else {
		struct stat st;
		int fd = open_nofollow("/", &st);
		add_op(pl, GW_MNT_RO_BIND_FD, NULL, fd, "/", "defaultDenyRead is false", PH_BASE);
		pl->areas = xrealloc(pl->areas, (pl->n_areas + 1) * sizeof *pl->areas);
		pl->areas[pl->n_areas++] = (struct area){ xstrdup("/"), false };
	}
	add_op(pl, GW_MNT_DEV, NULL, -1, "/dev", "minimal devices, private /dev/shm", PH_BASE);
	/* In the private root tmpfs a directory is as private as a tmpfs of
	 * its own, and cheaper.  With the host's root, each needs a tmpfs. */
	enum gw_mount_kind k = pl->deny_default ? GW_MNT_DIR : GW_MNT_TMPFS;
	add_op(pl, k, "1777", -1, "/tmp", "private", PH_BASE);
	add_op(pl, k, "0755", -1, "/run", "private, empty", PH_BASE);
	/* Tools expect a writable home; the host's stays out of sight. */
	if (pl->deny_default && pl->in->home && strcmp(pl->in->home, "/") != 0)
		add_op(pl, GW_MNT_DIR, "0700", -1, pl->in->home, "private home", PH_BASE);
}

/* ---- grants -------------------------------------------------------------- */

struct grant {
	char *path;
	int fd;
	bool rw;
};

static int cmp_grant(const void *a, const void *b)
{
	const struct grant *x = a, *y = b;
	int d = path_depth(x->path) - path_depth(y->path);
	return d ? d : strcmp(x->path, y->path);
}

/* usrmerge: /bin -> usr/bin and friends are recreated as symlinks. */
static bool plan_top_symlink(struct planner *pl, const char *path)
{
	struct stat st;
	if (path_depth(path) != 1 || lstat(path, &st) < 0 || !S_ISLNK(st.st_mode) || st.st_uid != 0)
		return false;
	char target[4096];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	if (pl->deny_default)
		add_op(pl, GW_MNT_SYMLINK, target, -1, path, "system symlink", PH_BASE);
	return true;
}

/* Returns 1 when the grant is special (handled or skipped), 0 otherwise. */
static int plan_special_grant(struct planner *pl, const struct gw_fs_grant *g)
{
	if (strcmp(g->path, "/") == 0)
		return 1; /* plan_base() */
	if (strcmp(g->path, "/proc") == 0) {
		add_op(pl, GW_MNT_PROC, NULL, -1, "/proc", "fresh /proc", PH_BASE);
		return 1;
	}
	if (fs_is_beneath(g->path, "/dev") || fs_is_beneath(g->path, "/proc"))
		return 1; /* the minimal /dev has them */
	return plan_top_symlink(pl, g->path) ? 1 : 0;
}

static int resolve_grant(struct planner *pl, const struct gw_fs_grant *g, struct grant *out)
{
	char *real = NULL;
	struct stat st;
	int fd = fs_open_trusted(g->path, &real, &st);
	if (fd < 0) {
		/* As in fspolicy.c: only "not there" or "not ours to follow" may
		 * skip an optional grant; running out of fds must not shrink the
		 * sandbox's view unnoticed. */
		bool absent = fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EACCES;
		if (g->optional && absent) {
			if (fd != -ENOENT)
				log_debug("mount plan: skipping %s: %s", g->path,
					  fd == -ELOOP ? "a symlink the sandbox could have planted"
						       : strerror(-fd));
			return 0;
		}
		return gw_error_set(pl->err, fd, "cannot open %s: %s", g->path, strerror(-fd));
	}
	if (strcmp(real, g->path) != 0 && fs_spec_in_writable_grant(pl->in->spec, g->path)) {
		/* Root-owned links are trusted, but when greywall runs as root a
		 * previous sandboxed run could have planted one here. */
		log_debug("mount plan: skipping %s: it goes through a symlink in a writable directory",
			  g->path);
		close(fd);
		free(real);
		return 0;
	}
	*out = (struct grant){ real, fd, (g->access & GW_LL_FS_WRITE) != 0 };
	return 1;
}

static int plan_grants(struct planner *pl)
{
	const struct gw_fs_spec *s = pl->in->spec;
	struct grant *gs = xcalloc(s->n_grants + 1, sizeof *gs);
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; i < s->n_grants && r >= 0; i++) {
		if (plan_special_grant(pl, &s->grants[i]))
			continue;
		r = resolve_grant(pl, &s->grants[i], &gs[n]);
		n += r > 0;
	}
	qsort(gs, n, sizeof *gs, cmp_grant);
	for (size_t i = 0; i < n; i++) {
		bool redundant = false;
		for (size_t a = 0; a < pl->n_areas && !gs[i].rw; a++)
			redundant |= pl->areas[a].rw && fs_is_beneath(gs[i].path, pl->areas[a].path);
		if (redundant || r < 0) {
			gw_close_fd(gs[i].fd);
			free(gs[i].path);
			continue;
		}
		add_op(pl, gs[i].rw ? GW_MNT_BIND_FD : GW_MNT_RO_BIND_FD, NULL, gs[i].fd, gs[i].path,
		       gs[i].rw ? "grant (read-write)" : "grant (read-only)", PH_GRANT);
		pl->areas = xrealloc(pl->areas, (pl->n_areas + 1) * sizeof *pl->areas);
		pl->areas[pl->n_areas++] = (struct area){ gs[i].path, gs[i].rw };
	}
	free(gs);
	return r < 0 ? r : 0;
}

/* ---- denies -------------------------------------------------------------- */

/* The innermost mounted grant containing `path`, or NULL. */
static const struct area *area_of(const struct planner *pl, const char *path)
{
	const struct area *best = NULL;
	for (size_t i = 0; i < pl->n_areas; i++)
		if (fs_is_beneath(path, pl->areas[i].path) &&
		    (!best || strlen(pl->areas[i].path) > strlen(best->path)))
			best = &pl->areas[i];
	return best;
}

/* Bind every directory strictly between `root` and `target` onto itself,
 * so that none of them can be renamed or removed. */
static int pin_ancestors(struct planner *pl, const char *root, const char *target)
{
	size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strlen(target) <= rl + 1)
		return 0;
	for (const char *s = strchr(target + rl + 1, '/'); s; s = strchr(s + 1, '/')) {
		_cleanup_free_ char *dir = xstrndup(target, (size_t)(s - target));
		if (gw_strv_contains(pl->pinned, dir))
			continue;
		struct stat st;
		int fd = open_nofollow(dir, &st);
		if (fd < 0)
			return gw_error_set(pl->err, fd, "cannot pin %s: %s", dir, strerror(-fd));
		add_op(pl, GW_MNT_BIND_FD, NULL, fd, dir, "pinned (protects a path below)", PH_DENY);
		pl->pinned = gw_strv_push(pl->pinned, dir);
	}
	return 0;
}

/* The first component of `path` below `root` that does not exist.  Returns
 * it, or NULL with *res = -ELOOP when a symlink is in the way. */
static char *first_missing(const char *root, const char *path, int *res)
{
	size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
	for (const char *s = path + rl + 1;; s++) {
		const char *slash = strchr(s, '/');
		_cleanup_free_ char *pre = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(path);
		struct stat st;
		int fd = open_nofollow(pre, &st);
		if (fd == -ENOENT) {
			*res = 0;
			return steal_pointer(&pre);
		}
		if (fd < 0) {
			*res = fd;
			return NULL;
		}
		close(fd);
		if (!slash) {
			*res = -EEXIST;
			return NULL;
		}
		s = slash;
	}
}

static void add_placeholder(struct planner *pl, const char *path)
{
	struct gw_mount_plan *p = pl->plan;
	p->ph = xrealloc(p->ph, (p->n_ph + 1) * sizeof *p->ph);
	p->ph[p->n_ph++] = (struct gw_placeholder){ .path = xstrdup(path) };
}

/* Whether the sandboxed command could create entries in `dir`: it runs
 * with the caller's uid and no capability, so not when the caller may not
 * write there and cannot chmod it either (or the filesystem is read-only). */
static bool creatable_in(const char *dir)
{
	struct stat st;
	if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0)
		return true;
	if (errno == EROFS)
		return false;
	return stat(dir, &st) < 0 || st.st_uid == geteuid();
}

static int protect_missing(struct planner *pl, const struct gw_fs_deny *d, const struct area *a)
{
	int r;
	_cleanup_free_ char *miss = first_missing(a->path, d->path, &r);
	if (!miss)
		return r; /* -ELOOP: handled by the caller; -EEXIST: appeared meanwhile */
	_cleanup_free_ char *parent = xstrndup(miss, (size_t)(strrchr(miss, '/') - miss));
	if (!creatable_in(*parent ? parent : "/")) {
		log_debug("mount plan: %s cannot be created from inside (not writable): no placeholder",
			  miss);
		return 0;
	}
	for (size_t i = 0; i < pl->plan->n_ph; i++)
		if (strcmp(pl->plan->ph[i].path, miss) == 0)
			return 0; /* .claude covers .claude/commands and .claude/agents */
	if ((r = pin_ancestors(pl, a->path, miss)) < 0)
		return r;
	add_placeholder(pl, miss);
	add_op(pl, GW_MNT_PLACEHOLDER, NULL, -1, miss, "protected, does not exist yet (placeholder)",
	       PH_DENY);
	return 0;
}

/* A socket inode at a protected name is another run's placeholder: keep
 * it alive while this run uses it (see mountplan_make_placeholders()). */
static void adopt_placeholder(struct planner *pl, const char *path, const struct stat *st)
{
	add_placeholder(pl, path);
	struct gw_placeholder *ph = &pl->plan->ph[pl->plan->n_ph - 1];
	ph->dev = st->st_dev;
	ph->ino = st->st_ino;
	ph->adopted = true;
}

static int protect_existing(struct planner *pl, const char *path, int fd, const struct area *a,
			    const char *why)
{
	int r = pin_ancestors(pl, a->path, path);
	if (r < 0) {
		close(fd);
		return r;
	}
	add_op(pl, GW_MNT_RO_BIND_FD, NULL, fd, path, why, PH_DENY);
	if (!gw_strv_contains(pl->pinned, path))
		pl->pinned = gw_strv_push(pl->pinned, path);
	return 0;
}

static void mask(struct planner *pl, const char *path, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);
	add_op(pl, dir ? GW_MNT_EMPTY_DIR : GW_MNT_EMPTY_FILE, NULL, -1, path, "denyRead (empty)",
	       PH_DENY);
	if (dir)
		pl->masked = gw_strv_push(pl->masked, path);
}

static int plan_deny_at(struct planner *pl, const struct gw_fs_deny *d, const char *path);
static int plan_deny_symlink(struct planner *pl, const struct gw_fs_deny *d, const struct area *a);

/* A deny whose path runs into a non-directory (a placeholder of another
 * run at ".claude" for ".claude/commands", a worktree's ".git" file): that
 * entry is what keeps the path from existing, so a mandatory protection
 * holds it in place. */
static int protect_blocker(struct planner *pl, const struct gw_fs_deny *d, const char *path,
			   const struct area *a)
{
	if (!d->mandatory || !a->rw)
		return 0;
	size_t rl = strcmp(a->path, "/") == 0 ? 0 : strlen(a->path);
	for (const char *s = strchr(path + rl + 1, '/'); s; s = strchr(s + 1, '/')) {
		_cleanup_free_ char *pre = xstrndup(path, (size_t)(s - path));
		struct stat st;
		int fd = open_nofollow(pre, &st);
		if (fd < 0)
			return fd == -ELOOP ? plan_deny_symlink(pl, d, a) : 0;
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			continue;
		}
		if (gw_strv_contains(pl->blocked, pre)) {
			close(fd);
			return 0; /* .claude/agents after .claude/commands */
		}
		if (S_ISSOCK(st.st_mode))
			adopt_placeholder(pl, pre, &st);
		pl->blocked = gw_strv_push(pl->blocked, pre);
		return protect_existing(pl, pre, fd, a, "protected (blocks a protected path)");
	}
	return 0;
}

/* A symlink on the way to a deny: a mandatory protection inside a writable
 * area cannot be held (the link itself could be replaced); a config deny
 * protects the link's target. */
static int plan_deny_symlink(struct planner *pl, const struct gw_fs_deny *d, const struct area *a)
{
	if (d->mandatory && a->rw)
		return gw_error_set(pl->err, -ELOOP,
				    "protected path %s goes through a symbolic link inside a writable "
				    "directory, so the sandbox could replace it: replace the link with "
				    "the real file or directory, or run from another directory", d->path);
	_cleanup_free_ char *real = realpath(d->path, NULL);
	if (!real || strcmp(real, d->path) == 0) {
		log_debug("mount plan: %s: dangling symlink, nothing to protect", d->path);
		return 0;
	}
	log_debug("mount plan: %s is reached through a symlink; protecting %s", d->path, real);
	return plan_deny_at(pl, d, real);
}

static int plan_deny_at(struct planner *pl, const struct gw_fs_deny *d, const char *path)
{
	if (under_any(path, pl->masked, false))
		return 0;
	const struct area *a = area_of(pl, path);
	if (!a)
		return 0; /* not visible in the sandbox */
	struct stat st;
	int fd = open_nofollow(path, &st);
	if (fd == -ELOOP)
		return plan_deny_symlink(pl, d, a);
	if (fd == -ENOTDIR)
		return protect_blocker(pl, d, path, a);
	if (fd == -ENOENT) {
		if (d->kind != GW_DENY_WRITE || !a->rw)
			return 0; /* nothing to hide, or cannot be created anyway */
		int r = protect_missing(pl, d, a);
		if (r == -ENOTDIR)
			return 0;
		return r == -ELOOP ? plan_deny_symlink(pl, d, a) : r;
	}
	if (fd < 0)
		return gw_error_set(pl->err, fd, "cannot open %s: %s", path, strerror(-fd));
	if (d->kind == GW_DENY_READ) {
		close(fd);
		mask(pl, path, &st);
		return 0;
	}
	if (!a->rw) {
		close(fd);
		return 0;
	}
	if (d->mandatory && S_ISSOCK(st.st_mode))
		adopt_placeholder(pl, path, &st);
	return protect_existing(pl, path, fd, a, d->mandatory ? "protected" : "denyWrite");
}

static int cmp_deny(const void *a, const void *b)
{
	const struct gw_fs_deny *x = a, *y = b;
	int d = path_depth(x->path) - path_depth(y->path);
	return d ? d : strcmp(x->path, y->path);
}

static int plan_denies(struct planner *pl)
{
	const struct gw_fs_spec *s = pl->in->spec;
	struct gw_fs_deny *ds = xcalloc(s->n_denies + 1, sizeof *ds);
	if (s->n_denies)
		memcpy(ds, s->denies, s->n_denies * sizeof *ds);
	qsort(ds, s->n_denies, sizeof *ds, cmp_deny);
	int r = 0;
	for (size_t i = 0; i < s->n_denies && r == 0; i++)
		r = plan_deny_at(pl, &ds[i], ds[i].path);
	free(ds);
	return r;
}

/* ---- assembly ------------------------------------------------------------ */

/* Insertion sort: stable, so equal (phase, depth) keep the planned order. */
static void sort_plan(struct gw_mount_plan *p)
{
	for (size_t i = 1; i < p->n; i++) {
		struct gw_mount m = p->m[i];
		size_t j = i;
		while (j > 0 && (p->m[j - 1].phase > m.phase ||
				 (p->m[j - 1].phase == m.phase && p->m[j - 1].depth > m.depth))) {
			p->m[j] = p->m[j - 1];
			j--;
		}
		p->m[j] = m;
	}
}

static int plan_self(struct planner *pl)
{
	struct stat st;
	char *real = NULL;
	int fd = fs_open_trusted(pl->in->self_exe, &real, &st);
	if (fd < 0)
		return gw_error_set(pl->err, fd, "cannot open greywall's own binary %s: %s",
				    pl->in->self_exe, strerror(-fd));
	add_op(pl, GW_MNT_RO_BIND_FD, NULL, fd, real, "greywall (inner wrapper)", PH_SELF);
	free(real);
	return 0;
}

int mountplan_build(const struct gw_mount_input *in, struct gw_mount_plan *out,
		    struct gw_error *err)
{
	*out = (struct gw_mount_plan){ 0 };
	struct planner pl = { .in = in, .plan = out, .err = err, .deny_default = true };
	for (size_t i = 0; i < in->spec->n_grants; i++)
		if (strcmp(in->spec->grants[i].path, "/") == 0)
			pl.deny_default = false;
	plan_base(&pl);
	int r = plan_grants(&pl);
	if (r == 0)
		r = plan_denies(&pl);
	if (r == 0)
		r = plan_self(&pl);
	for (size_t i = 0; i < pl.n_areas; i++)
		free(pl.areas[i].path);
	free(pl.areas);
	gw_strv_free(pl.masked);
	gw_strv_free(pl.pinned);
	gw_strv_free(pl.blocked);
	if (r < 0) {
		mountplan_free(out);
		return r;
	}
	sort_plan(out);
	return 0;
}

/* ---- placeholders -------------------------------------------------------- */

static int open_parent(const char *path, char **name)
{
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	*name = xstrdup(slash + 1);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

/* The first placeholder made on a filesystem; the others there are hard
 * links to it (a new inode costs an allocation scan on ext4, a link does
 * not). */
struct ph_master {
	dev_t dev;
	int dfd;
	char *name;
	ino_t ino;
};

static int make_one(struct gw_placeholder *ph, struct ph_master *ms, size_t *n_ms,
		    struct gw_error *err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dfd = open_parent(ph->path, &name);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return gw_error_set(err, dfd < 0 ? dfd : -errno, "cannot open the directory of %s: %s",
				    ph->path, strerror(dfd < 0 ? -dfd : errno));
	struct ph_master *m = NULL;
	for (size_t i = 0; i < *n_ms && !m; i++)
		m = ms[i].dev == st.st_dev ? &ms[i] : NULL;
	int r = m ? linkat(m->dfd, m->name, dfd, name, 0) : mknodat(dfd, name, S_IFSOCK | 0600, 0);
	if (r < 0)
		return gw_error_set(err, -errno, "cannot create the placeholder %s: %s", ph->path,
				    strerror(errno));
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
		return gw_error_set(err, -EIO, "the placeholder %s changed under us", ph->path);
	*ph = (struct gw_placeholder){ .path = ph->path, .dev = st.st_dev, .ino = st.st_ino,
				       .created = true };
	if (!m)
		ms[(*n_ms)++] = (struct ph_master){ st.st_dev, steal_fd(&dfd), steal_pointer(&name),
						    st.st_ino };
	log_debug("placeholder: %s", ph->path);
	return 0;
}

/* Hold a shared lock on the directory of `path` (once per directory). */
static int lock_dir_of(struct gw_mount_plan *p, const char *path, struct gw_error *err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int pfd = open_parent(path, &name);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
	_cleanup_close_ int fd = pfd < 0 ? -1 : open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st, o;
	if (fd < 0 || fstat(fd, &st) < 0)
		return gw_error_set(err, -errno, "cannot open the directory of %s: %s", path,
				    strerror(errno));
	for (size_t i = 0; i < p->n_locks; i++)
		if (fstat(p->locks[i], &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino)
			return 0;
	if (flock(fd, LOCK_SH) < 0)
		return gw_error_set(err, -errno, "cannot lock the directory of %s: %s", path,
				    strerror(errno));
	p->locks = xrealloc(p->locks, (p->n_locks + 1) * sizeof *p->locks);
	p->locks[p->n_locks++] = steal_fd(&fd);
	return 0;
}

int mountplan_make_placeholders(struct gw_mount_plan *p, struct gw_error *err)
{
	struct ph_master *ms = xcalloc(p->n_ph + 1, sizeof *ms);
	size_t n_ms = 0;
	int r = 0;
	for (size_t i = 0; i < p->n_ph && r == 0; i++) {
		r = lock_dir_of(p, p->ph[i].path, err);
		if (r == 0 && p->ph[i].adopted)
			p->ph[i].created = true;
		else if (r == 0)
			r = make_one(&p->ph[i], ms, &n_ms, err);
	}
	for (size_t i = 0; i < n_ms; i++) {
		close(ms[i].dfd);
		free(ms[i].name);
	}
	free(ms);
	return r;
}

/* Whether this run is the last one using the placeholders of directory
 * dfd: it can then lock it exclusively (and keeps that lock). */
static bool last_user(struct gw_mount_plan *p, int dfd)
{
	struct stat st, o;
	if (fstat(dfd, &st) < 0)
		return false;
	for (size_t i = 0; i < p->n_locks; i++)
		if (fstat(p->locks[i], &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino)
			return flock(p->locks[i], LOCK_EX | LOCK_NB) == 0;
	return false; /* never locked: not ours to judge */
}

void mountplan_remove_placeholders(struct gw_mount_plan *p)
{
	/* Deepest first: a placeholder may sit in a directory made for another. */
	for (size_t i = p->n_ph; i-- > 0;) {
		struct gw_placeholder *ph = &p->ph[i];
		if (!ph->created)
			continue;
		ph->created = false;
		_cleanup_free_ char *name = NULL;
		_cleanup_close_ int dfd = open_parent(ph->path, &name);
		struct stat st;
		/* Only the very socket inode planned, and only when no other run
		 * still has it mounted. */
		if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != ph->dev || st.st_ino != ph->ino || !S_ISSOCK(st.st_mode))
			continue;
		if (!last_user(p, dfd)) {
			log_debug("placeholder %s: another run still uses it", ph->path);
			continue;
		}
		if (unlinkat(dfd, name, 0) < 0)
			log_warn("cannot remove the placeholder %s: %s", ph->path, strerror(errno));
	}
	for (size_t i = 0; i < p->n_locks; i++)
		close(p->locks[i]);
	free(p->locks);
	p->locks = NULL;
	p->n_locks = 0;
}

/* ---- output -------------------------------------------------------------- */

static const char *const kind_names[] = {
	[GW_MNT_TMPFS] = "tmpfs",           [GW_MNT_EMPTY_DIR] = "empty-dir",
	[GW_MNT_EMPTY_FILE] = "empty-file", [GW_MNT_RO_BIND_FD] = "ro-bind",
	[GW_MNT_BIND_FD] = "bind",          [GW_MNT_SYMLINK] = "symlink",
	[GW_MNT_PROC] = "proc",             [GW_MNT_DEV] = "dev",
	[GW_MNT_DIR] = "dir",             [GW_MNT_PLACEHOLDER] = "placeholder",
};

const char *mountplan_kind_name(enum gw_mount_kind k)
{
	return kind_names[k];
}

void mountplan_debug(const struct gw_mount_plan *p)
{
	if (!log_debug_enabled())
		return;
	log_debug("mount plan (%zu operations, %zu placeholders):", p->n, p->n_ph);
	for (size_t i = 0; i < p->n; i++) {
		const struct gw_mount *m = &p->m[i];
		if (m->kind == GW_MNT_SYMLINK)
			log_debug("  %-13s %s -> %s  (%s)", "symlink", m->dest, m->src, m->why);
		else if (m->kind == GW_MNT_DIR)
			log_debug("  %-13s %s mode %s  (%s)", "dir", m->dest, m->src, m->why);
		else
			log_debug("  %-13s %s  (%s)", kind_names[m->kind], m->dest, m->why);
	}
}

void mountplan_free(struct gw_mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->m[i].src);
		free(p->m[i].dest);
		gw_close_fd(p->m[i].fd);
	}
	free(p->m);
	for (size_t i = 0; i < p->n_ph; i++)
		free(p->ph[i].path);
	free(p->ph);
	for (size_t i = 0; i < p->n_locks; i++)
		close(p->locks[i]);
	free(p->locks);
	*p = (struct gw_mount_plan){ 0 };
}
