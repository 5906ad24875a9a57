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
/* A directory that holds this many denies is read once (list_deny_dirs()),
 * unless its listing outgrows LIST_MAX_BYTES (about a thousand names),
 * where the lookups per name are the cheaper way. */
#define LIST_MIN_DENIES 8
#define LIST_MAX_BYTES 32768
#define MAX_CANON_MEMO 64
#define DIRENT_BUF 32768

/* A deny after resolution: `path` is canonical (or, for a path that does
 * not exist yet, the canonical nearest ancestor plus the missing rest). */
struct rdeny {
	char *path;
	unsigned kind; /* enum gw_deny_kind bits */
	bool exists;
	bool is_dir;
};

/* A directory read once: names missing from it need no lookup. */
struct listed_dir {
	char *path;  /* normalised, reached without a symlink */
	size_t len;  /* of path */
	struct fs_dirnames names;
};

/* One answer of canon_dir(). */
struct canon_memo {
	char *dir;
	char *canon;  /* NULL: not canonicalisable (missing, unreadable) */
};

/* One fspolicy_plan() call.  What it remembers (listings, canonical
 * directories, lstat() answers) describes the filesystem while this one
 * plan is computed, and goes with it. */
struct planner {
	const struct gw_fs_spec *spec;
	struct gw_fs_plan *plan;
	uint64_t handled;
	struct rdeny *denies;
	size_t n_denies;
	struct rdeny **all;    /* &denies[i], for select_below() */
	struct listed_dir *listed;
	size_t n_listed;
	struct canon_memo *canon;
	size_t n_canon;
	signed char *top_dir;  /* per grant, for covered_link(): -1 not known yet */
	char *dirbuf[MAX_PIN_DEPTH + 2]; /* emit_entries()' getdents64() buffer per depth */
	struct gw_error *err;
};

/* `v` with room for item n (of `size` bytes): doubled whenever n reaches a
 * power of two, so that a policy of thousands of paths is not copied once
 * per path. */
static void *grow(void *v, size_t n, size_t size)
{
	if (n >= 8 && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n < 8 ? 8 : 2 * n) * size);
}

void fs_spec_grant(struct gw_fs_spec *s, const char *path, uint64_t access, bool optional)
{
	s->grants = grow(s->grants, s->n_grants, sizeof *s->grants);
	s->grants[s->n_grants++] = (struct gw_fs_grant){ xstrdup(path), access, optional };
}

void fs_spec_deny(struct gw_fs_spec *s, const char *path, enum gw_deny_kind kind)
{
	s->denies = grow(s->denies, s->n_denies, sizeof *s->denies);
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

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The rules' fds, a run of consecutive numbers at a time: every fd in such
 * a run belongs to the plan, so close_range() closes nothing else, and a
 * plan's fds mostly are one run.  errno is preserved, as by gw_close_fd(). */
static void close_rule_fds(const struct gw_fs_plan *plan)
{
	int saved = errno;
	_cleanup_free_ int *fds = xcalloc(plan->n_rules + 1, sizeof *fds);
	size_t n = 0;
	for (size_t i = 0; i < plan->n_rules; i++)
		if (plan->rules[i].fd >= 0)
			fds[n++] = plan->rules[i].fd;
	qsort(fds, n, sizeof *fds, cmp_int);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && fds[j] == fds[j - 1] + 1; j++)
			;
		if (j - i > 1 && syscall(SYS_close_range, (unsigned)fds[i], (unsigned)fds[j - 1], 0) == 0)
			continue;
		for (size_t k = i; k < j; k++)
			gw_close_fd(fds[k]);
	}
	errno = saved;
}

void fspolicy_plan_free(struct gw_fs_plan *plan)
{
	close_rule_fds(plan);
	for (size_t i = 0; i < plan->n_rules; i++)
		free(plan->rules[i].path);
	free(plan->rules);
	gw_strv_free(plan->notes);
	*plan = (struct gw_fs_plan){ 0 };
}

static void note(struct planner *p, const char *path, const char *why)
{
	p->plan->notes = gw_strv_push_take(p->plan->notes, xasprintf("%s: %s", path, why));
}

/* What a rule on an inode of type `mode` can carry of `access`. */
static uint64_t rule_access(const struct planner *p, uint64_t access, mode_t mode)
{
	if (!S_ISDIR(mode))
		access &= GW_LL_FS_FILE_RIGHTS;
	return access & p->handled;
}

/* Takes ownership of fd; `access` comes from rule_access() and is not 0. */
static int push_rule(struct planner *p, int fd, const char *path, uint64_t access)
{
	if (p->plan->n_rules >= MAX_RULES) {
		close(fd);
		return gw_error_set(p->err, -E2BIG, "filesystem policy needs more than %u rules", MAX_RULES);
	}
	struct gw_fs_plan *pl = p->plan;
	pl->rules = grow(pl->rules, pl->n_rules, sizeof *pl->rules);
	pl->rules[pl->n_rules++] = (struct gw_fs_rule){ fd, access, xstrdup(path) };
	return 0;
}

/* Takes ownership of fd. */
static int add_rule(struct planner *p, int fd, const char *path, uint64_t access, mode_t mode)
{
	access = rule_access(p, access, mode);
	if (access == 0) {
		close(fd);
		return 0;
	}
	return push_rule(p, fd, path, access);
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
	return fs_is_beneath(path, dir) && strcmp(path, dir) != 0;
}

/* Denies strictly beneath `dir` that `access` on `dir` would break. */
static size_t select_below(struct rdeny **in, size_t n, const char *dir, uint64_t access,
			   struct rdeny ***out)
{
	*out = xcalloc(n + 1, sizeof **out);
	size_t k = 0;
	/* The rights first: they rule out most pairs (a read-only grant
	 * breaks no write-deny) without comparing the paths. */
	for (size_t i = 0; i < n; i++)
		if ((access & (GW_LL_FS_NAMESPACE | forbid_above(in[i]))) &&
		    strictly_beneath(in[i]->path, dir))
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
	_cleanup_free_ char *child = xstrcat3(strcmp(dpath, "/") ? dpath : "", "/", name);
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
	if (n_sub && S_ISDIR(st.st_mode))
		return emit_tree(p, fd, child, access, sub, n_sub, depth + 1);
	return add_rule(p, fd, child, access, st.st_mode);
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* emit_entry() for each entry of `dirfd`, read through `lfd` (the same
 * directory, open for reading) in readdir() order and by its rules: records
 * of deleted entries (inode 0) are skipped, and a read error ends the walk. */
static int emit_entries(struct planner *p, int lfd, int dirfd, const char *dpath,
			uint64_t access, struct rdeny **below, size_t n_below, int depth)
{
	/* Kept for the rest of the plan: the buffer is reused by the next
	 * directory at this depth. */
	if (!p->dirbuf[depth])
		p->dirbuf[depth] = xmalloc(DIRENT_BUF);
	char *buf = p->dirbuf[depth];
	int r = 0;
	ssize_t n;
	while (r == 0 && (n = getdents64(lfd, buf, DIRENT_BUF)) > 0) {
		for (size_t off = 0; r == 0 && off < (size_t)n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (de->d_ino != 0 && !is_dot_or_dotdot(de->d_name))
				r = emit_entry(p, dirfd, dpath, de->d_name, access, below, n_below, depth);
		}
	}
	return r;
}

/* `dirfd` (owned) is a pinned directory: grant it the harmless part of
 * `access` and each entry the rest. */
static int emit_tree(struct planner *p, int dirfd, const char *dpath, uint64_t access,
		     struct rdeny **below, size_t n_below, int depth)
{
	_cleanup_close_ int own = dirfd;
	if (depth > MAX_PIN_DEPTH)
		return gw_error_set(p->err, -ELOOP, "%s: protected paths nested too deep", dpath);
	/* The directory's own rule takes `dirfd` itself; the plan keeps it
	 * open, so the entries are still opened beneath it. */
	uint64_t self = rule_access(p, pinned_access(access, below, n_below), S_IFDIR);
	if (self) {
		int r = push_rule(p, steal_fd(&own), dpath, self);
		if (r < 0)
			return r;
	}
	_cleanup_close_ int lfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0) {
		note(p, dpath, "entries not granted: cannot list the directory");
		return 0;
	}
	return emit_entries(p, lfd, dirfd, dpath, access, below, n_below, depth);
}

/* Each component of `rest` (a path below a listed directory) as a lookup
 * would take it: a plain name of at most NAME_MAX bytes.  Anything else
 * (".", "..", "//", an overlong name) is left to the real lookup. */
static bool plain_components(const char *rest)
{
	for (;;) {
		size_t len = strcspn(rest, "/");
		if (len == 0 || len > NAME_MAX || (rest[0] == '.' && (len == 1 || (len == 2 && rest[1] == '.'))))
			return false;
		if (rest[len] == '\0')
			return true;
		rest += len + 1;
	}
}

/* true when `path` certainly does not exist: it lies beneath a listed
 * directory whose listing lacks the first component on the way.  Its
 * lookup would fail with ENOENT, or with EACCES where the directory cannot
 * be searched, exactly as lstat() and openat2() would find out one system
 * call at a time. */
static bool known_absent(const struct planner *p, const char *path)
{
	size_t len = strlen(path);
	if (len >= PATH_MAX)
		return false; /* ENAMETOOLONG is not "absent" */
	for (size_t i = 0; i < p->n_listed; i++) {
		const struct listed_dir *l = &p->listed[i];
		size_t n = l->len == 1 ? 0 : l->len; /* "/" lists "/x" */
		if (len <= n + 1 || path[n] != '/' || memcmp(path, l->path, n) != 0)
			continue;
		const char *rest = path + n + 1;
		if (plain_components(rest) && !fs_dirnames_has(&l->names, rest, strcspn(rest, "/")))
			return true;
	}
	return false;
}

static const struct canon_memo *find_canon(const struct planner *p, const char *dir)
{
	for (size_t i = 0; i < p->n_canon; i++)
		if (strcmp(p->canon[i].dir, dir) == 0)
			return &p->canon[i];
	return NULL;
}

static void remember_canon(struct planner *p, const char *dir, const char *canon)
{
	if (p->n_canon >= MAX_CANON_MEMO)
		return;
	p->canon = xrealloc(p->canon, (p->n_canon + 1) * sizeof *p->canon);
	p->canon[p->n_canon++] = (struct canon_memo){ xstrdup(dir), canon ? xstrdup(canon) : NULL };
}

/* realpath() of a normalised directory path, without its readlink() per
 * component when no component is a symlink (the common case, and a good
 * part of a sandboxed `true` otherwise). */
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

/* Most denies share a few directories (the workspace, the home
 * directory): each is canonicalised once per plan. */
static char *canon_dir(struct planner *p, const char *dir, char buf[PATH_MAX])
{
	const struct canon_memo *m = find_canon(p, dir);
	if (m)
		return m->canon ? strcpy(buf, m->canon) : NULL;
	/* A missing directory: canon_dir_uncached() would find it missing
	 * too (ENOENT), or fail on the search permission (EACCES). */
	char *r = known_absent(p, dir) ? NULL : canon_dir_uncached(dir, buf);
	remember_canon(p, dir, r);
	return r;
}

/* lstat() says grant i is a directory; asked once per plan (the usrmerge
 * links all point into /usr). */
static bool is_top_dir(struct planner *p, size_t i)
{
	if (p->top_dir[i] < 0) {
		struct stat st;
		p->top_dir[i] = lstat(p->spec->grants[i].path, &st) == 0 && S_ISDIR(st.st_mode);
	}
	return p->top_dir[i] > 0;
}

/* usrmerge: /bin -> usr/bin and its kind.  A root-owned top-level link to
 * a relative target inside another grant with at least the same rights adds
 * nothing (Landlock rules attach to the target's inode), and resolving it
 * costs a component walk. */
static bool covered_link(struct planner *p, const struct gw_fs_grant *g)
{
	struct stat st;
	char target[PATH_MAX];
	if (strchr(g->path + 1, '/'))
		return false;
	bool found = lstat(g->path, &st) == 0;
	/* is_top_dir()'s answer for g, on the way (/usr, before /bin). */
	p->top_dir[g - p->spec->grants] = found && S_ISDIR(st.st_mode);
	if (!found || !S_ISLNK(st.st_mode) || st.st_uid != 0)
		return false;
	ssize_t n = readlink(g->path, target + 1, sizeof target - 2);
	if (n <= 0 || target[1] == '/' || memmem(target + 1, (size_t)n, "..", 2))
		return false;
	target[0] = '/';
	target[n + 1] = '\0';
	for (size_t i = 0; i < p->spec->n_grants; i++) {
		const struct gw_fs_grant *o = &p->spec->grants[i];
		if (o != g && (o->access & g->access) == g->access && fs_is_beneath(target, o->path) &&
		    strchr(o->path + 1, '/') == NULL && is_top_dir(p, i))
			return true;
	}
	return false;
}

static int emit_grant(struct planner *p, const struct gw_fs_grant *g)
{
	/* fs_open_trusted() would fail with ENOENT (EACCES in a directory
	 * that cannot be searched), and either skips an optional grant
	 * without a note. */
	if (g->optional && known_absent(p, g->path))
		return 0;
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
	for (size_t i = 0; i < p->n_denies; i++) {
		uint64_t f = forbid_self(p->denies[i].kind);
		if ((access & f) && fs_is_beneath(real, p->denies[i].path))
			access &= ~f;
	}
	_cleanup_free_ struct rdeny **below = NULL;
	size_t n_below = select_below(p->all, p->n_denies, real, access, &below);
	if (n_below && S_ISDIR(st.st_mode))
		return emit_tree(p, fd, real, access, below, n_below, 0);
	return add_rule(p, fd, real, access, st.st_mode);
}

/* Canonical form of a deny path.  Symlinks are followed freely here:
 * following can only make the deny cover more.  Returns the number of
 * resolved entries written to out[0..1] (the path itself and, for a
 * symlink, its target). */
static int resolve_deny(struct planner *p, const struct gw_fs_deny *d, struct rdeny out[2])
{
	struct stat st;
	if (known_absent(p, d->path) || lstat(d->path, &st) < 0) {
		/* Missing: canonicalise the nearest existing ancestor. */
		_cleanup_free_ char *anc = xstrdup(d->path);
		char *slash;
		while ((slash = strrchr(anc, '/')) && slash != anc) {
			*slash = '\0';
			char buf[PATH_MAX];
			if (canon_dir(p, anc, buf)) {
				const char *rest = d->path + strlen(anc);
				out[0] = (struct rdeny){ xstrcat3(strcmp(buf, "/") ? buf : "", "", rest),
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
	if (*base && canon_dir(p, *parent ? parent : "/", buf))
		out[n++] = (struct rdeny){ xstrcat3(strcmp(buf, "/") ? buf : "", "/", base),
					   d->kind, true, S_ISDIR(st.st_mode) };
	_cleanup_free_ char *real = NULL;
	if (S_ISLNK(st.st_mode))
		real = fs_link_target(d->path);
	else if (!*base)
		real = realpath(d->path, NULL);
	/* As long as realpath() into a PATH_MAX buffer allows. */
	if (real && strlen(real) < PATH_MAX && stat(real, &st) == 0)
		out[n++] = (struct rdeny){ steal_pointer(&real), d->kind, true, S_ISDIR(st.st_mode) };
	return n;
}

static void resolve_denies(struct planner *p, const struct gw_fs_spec *spec)
{
	p->denies = xcalloc(spec->n_denies * 2 + 1, sizeof *p->denies);
	for (size_t i = 0; i < spec->n_denies; i++) {
		struct rdeny r[2];
		int n = resolve_deny(p, &spec->denies[i], r);
		if (n == 0) {
			/* Could not canonicalise (unreadable or looping
			 * ancestor): keep the path as written rather than drop
			 * the deny.  Treated as a directory so that ancestors
			 * lose every right the deny forbids. */
			struct stat st;
			bool exists = !known_absent(p, spec->denies[i].path) &&
				      lstat(spec->denies[i].path, &st) == 0;
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

/* Reads `dir` for known_absent(), when that is exact: reached without a
 * symlink (as openat2() would reach what lies beneath it), on a filesystem
 * whose lookups match its listings, and small enough.  Otherwise the
 * lookups per name stay. */
static void list_dir(struct planner *p, const char *dir)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
	struct fs_dirnames names;
	if (fd < 0 || !fs_dir_lookup_exact(fd) || fs_dirnames_read(fd, LIST_MAX_BYTES, &names) < 0)
		return;
	p->listed = xrealloc(p->listed, (p->n_listed + 1) * sizeof *p->listed);
	p->listed[p->n_listed++] = (struct listed_dir){ xstrdup(dir), strlen(dir), names };
	/* No symlink on the way: canon_dir_uncached()'s answer. */
	if (!find_canon(p, dir))
		remember_canon(p, dir, dir);
}

/* A directory as a prefix of a deny's path. */
struct span {
	const char *s;
	size_t len;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Denies come in batches of well-known names in one directory (the
 * protected dotfiles of the workspace and of the home directory), most of
 * which do not exist: one read of such a directory replaces a failed
 * lookup per name, for the denies and for the tooling grants beside them.
 * Whether a directory is read changes how fast the plan is made, never
 * what it says. */
static void list_deny_dirs(struct planner *p)
{
	size_t n = 0;
	_cleanup_free_ struct span *parents = xcalloc(p->spec->n_denies + 1, sizeof *parents);
	for (size_t i = 0; i < p->spec->n_denies; i++) {
		const char *path = p->spec->denies[i].path;
		/* Normalised paths only ("/" has no parent). */
		if (path[0] != '/' || path[1] == '\0' || !plain_components(path + 1))
			continue;
		size_t slash = (size_t)(strrchr(path, '/') - path);
		parents[n++] = (struct span){ path, slash ? slash : 1 };
	}
	qsort(parents, n, sizeof *parents, cmp_span);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && cmp_span(&parents[j], &parents[i]) == 0; j++)
			;
		if (j - i < LIST_MIN_DENIES)
			continue;
		_cleanup_free_ char *dir = xstrndup(parents[i].s, parents[i].len);
		list_dir(p, dir);
	}
}

static void planner_free(struct planner *p)
{
	for (size_t i = 0; i < p->n_denies; i++)
		free(p->denies[i].path);
	free(p->denies);
	free(p->all);
	for (size_t i = 0; i < MAX_PIN_DEPTH + 2; i++)
		free(p->dirbuf[i]);
	for (size_t i = 0; i < p->n_listed; i++) {
		free(p->listed[i].path);
		fs_dirnames_free(&p->listed[i].names);
	}
	free(p->listed);
	for (size_t i = 0; i < p->n_canon; i++) {
		free(p->canon[i].dir);
		free(p->canon[i].canon);
	}
	free(p->canon);
	free(p->top_dir);
}

int fspolicy_plan(const struct gw_fs_spec *spec, uint64_t handled, struct gw_fs_plan *out,
		  struct gw_error *err)
{
	*out = (struct gw_fs_plan){ 0 };
	struct planner p = { .spec = spec, .plan = out, .handled = handled, .err = err };
	p.top_dir = xmalloc(spec->n_grants + 1);
	memset(p.top_dir, -1, spec->n_grants + 1);
	list_deny_dirs(&p);
	resolve_denies(&p, spec);
	p.all = xcalloc(p.n_denies + 1, sizeof *p.all);
	for (size_t i = 0; i < p.n_denies; i++)
		p.all[i] = &p.denies[i];
	int r = 0;
	for (size_t i = 0; r == 0 && i < spec->n_grants; i++)
		r = emit_grant(&p, &spec->grants[i]);
	planner_free(&p);
	if (r < 0)
		fspolicy_plan_free(out);
	return r;
}
