/* fspolicy.c: see fspolicy.h for the model. */
#include "fspolicy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "landlock.h"
#include "log.h"

#define MAX_RULES (1u << 20)
#define MAX_PIN_DEPTH 128

/* A deny after resolution: `path` is canonical (or, for a path that does
 * not exist yet, the canonical nearest ancestor plus the missing rest). */
struct rdeny {
	char *path;
	unsigned kind; /* enum gw_deny_kind bits */
	bool exists;
	bool is_dir;
};

struct planner {
	const struct gw_fs_spec *spec;
	struct gw_fs_plan *plan;
	uint64_t handled;
	struct rdeny *denies;
	size_t n_denies;
	struct gw_error *err;
};

void fs_spec_grant(struct gw_fs_spec *s, const char *path, uint64_t access, bool optional)
{
	s->grants = xrealloc(s->grants, (s->n_grants + 1) * sizeof *s->grants);
	s->grants[s->n_grants++] = (struct gw_fs_grant){ xstrdup(path), access, optional };
}

void fs_spec_deny(struct gw_fs_spec *s, const char *path, enum gw_deny_kind kind)
{
	s->denies = xrealloc(s->denies, (s->n_denies + 1) * sizeof *s->denies);
	s->denies[s->n_denies++] = (struct gw_fs_deny){ xstrdup(path), kind, false };
}

void fs_spec_protect(struct gw_fs_spec *s, const char *path)
{
	fs_spec_deny(s, path, GW_DENY_WRITE);
	s->denies[s->n_denies - 1].mandatory = true;
}

bool fs_spec_in_writable_grant(const struct gw_fs_spec *s, const char *path)
{
	for (size_t i = 0; i < s->n_grants; i++)
		if ((s->grants[i].access & GW_LL_FS_WRITE) && strcmp(s->grants[i].path, path) != 0 &&
		    fs_is_beneath(path, s->grants[i].path))
			return true;
	return false;
}

void fs_spec_free(struct gw_fs_spec *s)
{
	for (size_t i = 0; i < s->n_grants; i++)
		free(s->grants[i].path);
	for (size_t i = 0; i < s->n_denies; i++)
		free(s->denies[i].path);
	free(s->grants);
	free(s->denies);
	*s = (struct gw_fs_spec){ 0 };
}

void fspolicy_plan_free(struct gw_fs_plan *plan)
{
	for (size_t i = 0; i < plan->n_rules; i++) {
		gw_close_fd(plan->rules[i].fd);
		free(plan->rules[i].path);
	}
	free(plan->rules);
	gw_strv_free(plan->notes);
	*plan = (struct gw_fs_plan){ 0 };
}

static void note(struct planner *p, const char *path, const char *why)
{
	p->plan->notes = gw_strv_push_take(p->plan->notes, xasprintf("%s: %s", path, why));
}

/* Takes ownership of fd. */
static int add_rule(struct planner *p, int fd, const char *path, uint64_t access, mode_t mode)
{
	if (!S_ISDIR(mode))
		access &= GW_LL_FS_FILE_RIGHTS;
	access &= p->handled;
	if (access == 0) {
		close(fd);
		return 0;
	}
	if (p->plan->n_rules >= MAX_RULES) {
		close(fd);
		return gw_error_set(p->err, -E2BIG, "filesystem policy needs more than %u rules", MAX_RULES);
	}
	struct gw_fs_plan *pl = p->plan;
	pl->rules = xrealloc(pl->rules, (pl->n_rules + 1) * sizeof *pl->rules);
	pl->rules[pl->n_rules++] = (struct gw_fs_rule){ fd, access, xstrdup(path) };
	return 0;
}

/* Rights that a denied path loses on its own inode. */
static uint64_t forbid_self(unsigned kind)
{
	uint64_t f = 0;
	if (kind & GW_DENY_READ)
		f |= GW_LL_FS_ALL;
	if (kind & GW_DENY_WRITE)
		f |= GW_LL_FS_WRITE | GW_LL_FS_IOCTL_DEV;
	return f;
}

/* Rights that no ancestor of a denied path may hold (on top of the
 * namespace rights, which pinned directories never hold). */
static uint64_t forbid_above(const struct rdeny *d)
{
	uint64_t f = 0;
	if (d->kind & GW_DENY_READ)
		f |= d->is_dir ? GW_LL_FS_ALL : GW_LL_FS_FILE_RIGHTS;
	if (d->kind & GW_DENY_WRITE)
		f |= GW_LL_FS_WRITE_FILE | GW_LL_FS_TRUNCATE | GW_LL_FS_IOCTL_DEV;
	return f;
}

static bool strictly_beneath(const char *path, const char *dir)
{
	return strcmp(path, dir) != 0 && fs_is_beneath(path, dir);
}

/* Denies strictly beneath `dir` that `access` on `dir` would break. */
static size_t select_below(struct rdeny **in, size_t n, const char *dir, uint64_t access,
			   struct rdeny ***out)
{
	*out = xcalloc(n + 1, sizeof **out);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strictly_beneath(in[i]->path, dir) &&
		    (access & (GW_LL_FS_NAMESPACE | forbid_above(in[i]))))
			(*out)[k++] = in[i];
	return k;
}

static uint64_t pinned_access(uint64_t access, struct rdeny **below, size_t n)
{
	access &= ~GW_LL_FS_NAMESPACE;
	for (size_t i = 0; i < n; i++)
		access &= ~forbid_above(below[i]);
	return access;
}

static int emit_tree(struct planner *p, int dirfd, const char *dpath, uint64_t access,
		     struct rdeny **below, size_t n_below, int depth);

static int emit_entry(struct planner *p, int dirfd, const char *dpath, const char *name,
		      uint64_t access, struct rdeny **below, size_t n_below, int depth)
{
	_cleanup_free_ char *child = strcmp(dpath, "/") == 0 ? xasprintf("/%s", name)
							      : xasprintf("%s/%s", dpath, name);
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		note(p, child, "not granted: cannot open it");
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		/* A symlink's own inode needs no rule: access through it is
		 * decided on its target. */
		close(fd);
		return 0;
	}
	for (size_t i = 0; i < n_below; i++)
		if (strcmp(below[i]->path, child) == 0)
			access &= ~forbid_self(below[i]->kind);
	_cleanup_free_ struct rdeny **sub = NULL;
	size_t n_sub = select_below(below, n_below, child, access, &sub);
	if (n_sub && S_ISDIR(st.st_mode)) {
		int r = emit_tree(p, fd, child, access, sub, n_sub, depth + 1);
		close(fd);
		return r;
	}
	return add_rule(p, fd, child, access, st.st_mode);
}

/* `dirfd` is a pinned directory: grant it the harmless part of `access`
 * and each entry the rest. */
static int emit_tree(struct planner *p, int dirfd, const char *dpath, uint64_t access,
		     struct rdeny **below, size_t n_below, int depth)
{
	if (depth > MAX_PIN_DEPTH)
		return gw_error_set(p->err, -ELOOP, "%s: protected paths nested too deep", dpath);
	int self = openat(dirfd, ".", O_PATH | O_CLOEXEC);
	if (self < 0)
		return gw_error_set(p->err, -errno, "%s: %s", dpath, strerror(errno));
	int r = add_rule(p, self, dpath, pinned_access(access, below, n_below), S_IFDIR);
	if (r < 0)
		return r;
	int lfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		gw_close_fd(lfd);
		note(p, dpath, "entries not granted: cannot list the directory");
		return 0;
	}
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = emit_entry(p, dirfd, dpath, de->d_name, access, below, n_below, depth);
	}
	closedir(d);
	return r;
}

/* usrmerge: /bin -> usr/bin and its kind.  A root-owned top-level link to
 * a relative target inside another grant with at least the same rights adds
 * nothing (Landlock rules attach to the target's inode), and resolving it
 * costs a component walk. */
static bool covered_link(const struct planner *p, const struct gw_fs_grant *g)
{
	struct stat st;
	char target[PATH_MAX];
	if (strchr(g->path + 1, '/') || lstat(g->path, &st) < 0 || !S_ISLNK(st.st_mode) ||
	    st.st_uid != 0)
		return false;
	ssize_t n = readlink(g->path, target + 1, sizeof target - 2);
	if (n <= 0 || target[1] == '/' || memmem(target + 1, (size_t)n, "..", 2))
		return false;
	target[0] = '/';
	target[n + 1] = '\0';
	for (size_t i = 0; i < p->spec->n_grants; i++) {
		const struct gw_fs_grant *o = &p->spec->grants[i];
		if (o != g && (o->access & g->access) == g->access && fs_is_beneath(target, o->path) &&
		    strchr(o->path + 1, '/') == NULL && lstat(o->path, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

static int emit_grant(struct planner *p, const struct gw_fs_grant *g)
{
	if (covered_link(p, g))
		return 0;
	_cleanup_free_ char *real = NULL;
	struct stat st;
	int fd = fs_open_trusted(g->path, &real, &st);
	if (fd < 0) {
		/* Only "not there" or "not ours to follow" may skip an optional
		 * grant; running out of fds must not shrink the policy unnoticed. */
		bool absent = fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EACCES;
		if (!g->optional || !absent)
			return gw_error_set(p->err, fd, "%s: cannot open: %s", g->path, strerror(-fd));
		if (fd == -ELOOP)
			note(p, g->path, "not granted: it goes through a symlink the sandboxed "
					 "command could have planted; name its target instead");
		return 0;
	}
	if (strcmp(real, g->path) != 0 && fs_spec_in_writable_grant(p->spec, g->path)) {
		/* Root-owned links count as trusted, but when greywall runs as
		 * root an earlier sandboxed run could have planted one here. */
		note(p, g->path, "not granted: it goes through a symlink in a writable directory");
		close(fd);
		return 0;
	}
	uint64_t access = g->access;
	struct rdeny **all = xcalloc(p->n_denies + 1, sizeof *all);
	for (size_t i = 0; i < p->n_denies; i++) {
		all[i] = &p->denies[i];
		if (fs_is_beneath(real, p->denies[i].path))
			access &= ~forbid_self(p->denies[i].kind);
	}
	_cleanup_free_ struct rdeny **below = NULL;
	size_t n_below = select_below(all, p->n_denies, real, access, &below);
	free(all);
	int r;
	if (n_below && S_ISDIR(st.st_mode)) {
		r = emit_tree(p, fd, real, access, below, n_below, 0);
		close(fd);
	} else {
		r = add_rule(p, fd, real, access, st.st_mode);
	}
	return r;
}

/* realpath() of a normalised directory path, without its readlink() per
 * component when no component is a symlink (the common case, and a good
 * part of a sandboxed `true` otherwise). */
/* Most denies share a directory (the workspace, the home directory): the
 * last answer is kept for the rest of one fspolicy_plan() call (planning is
 * single-threaded and reset at its start). */
static struct {
	char dir[PATH_MAX];
	char canon[PATH_MAX];
	bool valid;
} canon_memo;

static char *canon_dir_uncached(const char *dir, char buf[PATH_MAX]);

static char *canon_dir(const char *dir, char buf[PATH_MAX])
{
	if (canon_memo.valid && strcmp(canon_memo.dir, dir) == 0)
		return strcpy(buf, canon_memo.canon);
	if (!canon_dir_uncached(dir, buf))
		return NULL;
	canon_memo.valid = strlen(dir) < PATH_MAX;
	if (canon_memo.valid) {
		strcpy(canon_memo.dir, dir);
		strcpy(canon_memo.canon, buf);
	}
	return buf;
}

static char *canon_dir_uncached(const char *dir, char buf[PATH_MAX])
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
	if (fd >= 0 && strlen(dir) < PATH_MAX) {
		close(fd);
		return strcpy(buf, dir);
	}
	int e = fd < 0 ? errno : 0;
	gw_close_fd(fd);
	/* Missing without any symlink on the way: realpath() would only walk
	 * to the same answer. */
	if (e == ENOENT || e == ENOTDIR)
		return NULL;
	return realpath(dir, buf);
}

/* Canonical form of a deny path.  Symlinks are followed freely here:
 * following can only make the deny cover more.  Returns the number of
 * resolved entries written to out[0..1] (the path itself and, for a
 * symlink, its target). */
static int resolve_deny(const struct gw_fs_deny *d, struct rdeny out[2])
{
	struct stat st;
	if (lstat(d->path, &st) < 0) {
		/* Missing: canonicalise the nearest existing ancestor. */
		_cleanup_free_ char *anc = xstrdup(d->path);
		char *slash;
		while ((slash = strrchr(anc, '/')) && slash != anc) {
			*slash = '\0';
			char buf[PATH_MAX];
			if (canon_dir(anc, buf)) {
				const char *rest = d->path + strlen(anc);
				out[0] = (struct rdeny){ xasprintf("%s%s", strcmp(buf, "/") ? buf : "", rest),
							 d->kind, false, false };
				return 1;
			}
		}
		return 0;
	}
	int n = 0;
	_cleanup_free_ char *parent = xstrdup(d->path);
	char *slash = strrchr(parent, '/');
	const char *base = slash + 1;
	*slash = '\0';
	char buf[PATH_MAX];
	if (*base && canon_dir(*parent ? parent : "/", buf))
		out[n++] = (struct rdeny){ xasprintf("%s/%s", strcmp(buf, "/") ? buf : "", base),
					   d->kind, true, S_ISDIR(st.st_mode) };
	if ((S_ISLNK(st.st_mode) || !*base) && realpath(d->path, buf) && stat(buf, &st) == 0)
		out[n++] = (struct rdeny){ xstrdup(buf), d->kind, true, S_ISDIR(st.st_mode) };
	return n;
}

static void resolve_denies(struct planner *p, const struct gw_fs_spec *spec)
{
	p->denies = xcalloc(spec->n_denies * 2 + 1, sizeof *p->denies);
	for (size_t i = 0; i < spec->n_denies; i++) {
		struct rdeny r[2];
		int n = resolve_deny(&spec->denies[i], r);
		if (n == 0) {
			/* Could not canonicalise (unreadable or looping
			 * ancestor): keep the path as written rather than drop
			 * the deny.  Treated as a directory so that ancestors
			 * lose every right the deny forbids. */
			struct stat st;
			bool exists = lstat(spec->denies[i].path, &st) == 0;
			r[0] = (struct rdeny){ xstrdup(spec->denies[i].path), spec->denies[i].kind,
					       exists || (spec->denies[i].kind & GW_DENY_WRITE), true };
			n = 1;
		}
		for (int k = 0; k < n; k++) {
			/* A read-deny of something that does not exist protects
			 * nothing; only write-denies also forbid creation. */
			if (!r[k].exists && !(r[k].kind & GW_DENY_WRITE)) {
				free(r[k].path);
				continue;
			}
			p->denies[p->n_denies++] = r[k];
		}
	}
}

int fspolicy_plan(const struct gw_fs_spec *spec, uint64_t handled, struct gw_fs_plan *out,
		  struct gw_error *err)
{
	*out = (struct gw_fs_plan){ 0 };
	struct planner p = { .spec = spec, .plan = out, .handled = handled, .err = err };
	canon_memo.valid = false;
	resolve_denies(&p, spec);
	int r = 0;
	for (size_t i = 0; r == 0 && i < spec->n_grants; i++)
		r = emit_grant(&p, &spec->grants[i]);
	for (size_t i = 0; i < p.n_denies; i++)
		free(p.denies[i].path);
	free(p.denies);
	if (r < 0)
		fspolicy_plan_free(out);
	return r;
}
