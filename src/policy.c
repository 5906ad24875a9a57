/* policy.c: see policy.h. */
#include "policy.h"

#include <errno.h>
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "landlock.h"
#include "log.h"

/* Read-only, executable system trees.  /var, /srv, /home, /mnt, /media and
 * /run are deliberately absent: they hold other users' data and host
 * sockets. */
static const char *const system_rx[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/etc",
	"/nix/store", NULL,
};

/* Character devices every program expects, with the terminal ones allowed
 * ioctls (window size, job control).  TIOCSTI/TIOCLINUX are denied by
 * seccomp, not here. */
static const char *const dev_rw[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
				      "/dev/urandom", NULL };
static const char *const dev_tty[] = { "/dev/tty", "/dev/ptmx", "/dev/pts", NULL };

/* Language toolchains under $HOME (spec 3.3(5)): read-only.  ~/.config,
 * ~/.local and ~/.cache are NOT granted wholesale: they hold credentials. */
static const char *const home_tooling[] = {
	".nvm", ".fnm", ".volta", ".n", ".pyenv", ".local/pipx", ".rbenv", ".rvm",
	".cargo/bin", ".rustup", "go/bin", ".go", ".local/bin", "bin", ".bun/bin",
	".deno/bin", ".bashrc", ".bash_profile", ".profile", ".zshrc", ".zprofile",
	".zshenv", ".inputrc", ".gitconfig", ".config/git", NULL,
};

/* Spec 3.5, plus .envrc (direnv runs it) and .husky (git hooks). */
static const char *const protected_files[] = {
	".gitconfig", ".gitmodules", ".bashrc", ".bash_profile", ".zshrc", ".zprofile",
	".profile", ".ripgreprc", ".mcp.json", ".envrc", NULL,
};
static const char *const protected_dirs[] = {
	".vscode", ".idea", ".claude/commands", ".claude/agents", ".husky", NULL,
};

const char *const *policy_protected_files(void)
{
	return protected_files;
}

const char *const *policy_protected_dirs(void)
{
	return protected_dirs;
}

void runtime_free(struct gw_runtime *rt)
{
	free(rt->cwd);
	free(rt->home);
	free(rt->tmpdir);
	*rt = (struct gw_runtime){ 0 };
}

void runtime_add_port(uint16_t *ports, int *n, uint16_t port)
{
	for (int i = 0; i < *n; i++)
		if (ports[i] == port)
			return;
	if (*n < GW_MAX_PORTS)
		ports[(*n)++] = port;
}

struct expand_ctx {
	struct gw_fs_spec *spec;
	uint64_t access;   /* for grants */
	int deny_kind;     /* 0 for grants */
	const char *pattern;
	size_t matches;
};

static void add_expanded(struct expand_ctx *c, const char *path)
{
	_cleanup_free_ char *n = fs_normalize(path);
	if (!n)
		return;
	c->matches++;
	if (c->deny_kind)
		fs_spec_deny(c->spec, n, c->deny_kind);
	else
		fs_spec_grant(c->spec, n, c->access, true);
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The working and home directories are literal names: inside a pattern
 * their glob characters must be escaped, or a workspace named
 * "/tmp/app[1]" would make ".env.*" match nothing there (and deny
 * nothing). */
static char *glob_escape(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *o = out;
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* The first glob character that is not escaped, or NULL. */
static const char *first_glob(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (strchr("*?[", *p))
			return p;
	}
	return NULL;
}

static char *glob_unescape(const char *p, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		*o++ = p[i];
	}
	*o = '\0';
	return out;
}

/* nftw() has no user pointer: the walk is single-threaded, so a file-scope
 * context is safe. */
static struct expand_ctx *walk_ctx;
static size_t walk_seen;
#define WALK_MAX_ENTRIES 200000
#define WALK_MAX_DEPTH 32

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (++walk_seen > WALK_MAX_ENTRIES)
		return FTW_STOP;
	if (fnmatch(walk_ctx->pattern, path, 0) == 0)
		add_expanded(walk_ctx, path);
	return ftw->level >= WALK_MAX_DEPTH ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
}

/* A double star crosses directories: walk from the last glob-free directory and
 * match whole paths (fnmatch without FNM_PATHNAME lets '*' match '/'). */
static bool expand_doublestar(struct expand_ctx *c, const char *pattern)
{
	_cleanup_free_ char *root = glob_unescape(pattern, (size_t)(first_glob(pattern) - pattern));
	char *slash = strrchr(root, '/');
	if (slash)
		slash[slash == root ? 1 : 0] = '\0';
	c->pattern = pattern;
	walk_ctx = c;
	walk_seen = 0;
	int r = nftw(root, walk_cb, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	walk_ctx = NULL;
	return r != FTW_STOP;
}

/* Expand pattern (escaped as glob(3) reads it).  Returns false when the
 * expansion may be incomplete (walk bound reached, unreadable directory):
 * a caller expanding a deny must not go on with a partial list. */
static bool expand_pattern(struct expand_ctx *c, const char *pattern)
{
	_cleanup_free_ char *p = xstrdup(pattern);
	/* "dir" + slash + double star means the whole tree, which a rule on dir already is. */
	while (gw_str_has_suffix(p, "/**") && strlen(p) > 3)
		p[strlen(p) - 3] = '\0';
	if (!first_glob(p)) {
		_cleanup_free_ char *lit = glob_unescape(p, strlen(p));
		add_expanded(c, lit);
		return true;
	}
	if (strstr(p, "**"))
		return expand_doublestar(c, p);
	glob_t g;
	int r = glob(p, GLOB_NOSORT | GLOB_ERR, NULL, &g);
	if (r == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			add_expanded(c, g.gl_pathv[i]);
		globfree(&g);
	}
	return r == 0 || r == GLOB_NOMATCH;
}

static int add_list(struct gw_fs_spec *spec, char **list, const char *key, uint64_t access,
		    int deny_kind, const struct gw_runtime *rt, struct gw_error *err)
{
	for (size_t i = 0; list && list[i]; i++) {
		_cleanup_free_ char *abs = fs_absolutize(list[i], rt->cwd, rt->home);
		if (!abs)
			return gw_error_set(err, -EINVAL, "%s: \"%s\": HOME is not set", key, list[i]);
		/* The pattern: the entry's own glob characters, none of the
		 * directories it is relative to. */
		_cleanup_free_ char *ecwd = glob_escape(rt->cwd);
		_cleanup_free_ char *ehome = rt->home ? glob_escape(rt->home) : NULL;
		_cleanup_free_ char *pat = has_glob(list[i]) ? fs_absolutize(list[i], ecwd, ehome)
							     : glob_escape(abs);
		struct expand_ctx c = { spec, access, deny_kind, NULL, 0 };
		bool complete = expand_pattern(&c, pat);
		if (deny_kind && !complete)
			return gw_error_set(err, -E2BIG, "%s: \"%s\": cannot expand the pattern completely "
					    "(too many entries, or an unreadable directory); name the paths explicitly",
					    key, list[i]);
		/* A deny is also taken literally: "[WIP] notes" is a file name
		 * as well as a pattern. */
		if (deny_kind && has_glob(list[i]))
			fs_spec_deny(spec, abs, deny_kind);
		if (c.matches == 0)
			log_debug("%s: \"%s\" matches nothing", key, list[i]);
	}
	return 0;
}

static void add_under(struct gw_fs_spec *spec, const char *dir, const char *const *names,
		      uint64_t access, int deny_kind)
{
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *p = xstrcat3(dir, "/", names[i]);
		if (deny_kind == GW_DENY_WRITE)
			fs_spec_protect(spec, p);
		else if (deny_kind)
			fs_spec_deny(spec, p, deny_kind);
		else
			fs_spec_grant(spec, p, access, true);
	}
}

static void add_system(struct gw_fs_spec *spec, const struct gw_config *cfg)
{
	if (!config_default_deny_read(cfg))
		fs_spec_grant(spec, "/", GW_LL_FS_RX, false);
	for (size_t i = 0; system_rx[i]; i++)
		fs_spec_grant(spec, system_rx[i], GW_LL_FS_RX, true);
	fs_spec_grant(spec, "/proc", GW_LL_FS_READ, true);
	fs_spec_grant(spec, "/sys", GW_LL_FS_READ, true);
	for (size_t i = 0; dev_rw[i]; i++)
		fs_spec_grant(spec, dev_rw[i], GW_LL_FS_READ_FILE | GW_LL_FS_WRITE_FILE, true);
	for (size_t i = 0; dev_tty[i]; i++)
		fs_spec_grant(spec, dev_tty[i],
			      GW_LL_FS_READ | GW_LL_FS_WRITE_FILE | GW_LL_FS_IOCTL_DEV, true);
	/* /etc/resolv.conf and /etc/localtime are often symlinks into /run or
	 * /usr: grant the file they point to, not its directory. */
	const char *etc_links[] = { "/etc/resolv.conf", "/etc/localtime", NULL };
	for (size_t i = 0; etc_links[i]; i++) {
		/* NULL for a plain file in /etc (granted with it), a missing
		 * or a dangling link. */
		_cleanup_free_ char *real = fs_link_target(etc_links[i]);
		if (real && !fs_is_beneath(real, "/etc") && !fs_is_beneath(real, "/usr"))
			fs_spec_grant(spec, real, GW_LL_FS_READ_FILE, true);
	}
}

static void add_env_files(struct gw_fs_spec *spec, const char *cwd)
{
	_cleanup_free_ char *pat = xasprintf("%s/.env", cwd);
	fs_spec_deny(spec, pat, GW_DENY_READ);
	free(pat);
	_cleanup_free_ char *dir = glob_escape(cwd);
	pat = xasprintf("%s/.env.*", dir);
	glob_t g;
	if (glob(pat, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			fs_spec_deny(spec, g.gl_pathv[i], GW_DENY_READ);
		globfree(&g);
	}
}

/* First line of a small file, without its newline; NULL if unreadable. */
static char *read_first_line(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char buf[4096];
	if (!f || !fgets(buf, sizeof buf, f))
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

/* "rel" read from a file in `dir`, made absolute. */
static char *git_path_from(const char *dir, const char *rel)
{
	return rel[0] == '/' ? fs_normalize(rel) : fs_absolutize(rel, dir, NULL);
}

/* A worktree's (or submodule's) ".git" is a file naming the real git
 * directory; its hooks and config run code just the same, and hooks and
 * config of a worktree live in the "common" directory of the main
 * repository.  Protect the file itself and both directories' entries. */
static void add_gitdir_file(struct gw_fs_spec *spec, const char *cwd, const char *const *git)
{
	_cleanup_free_ char *dotgit = xasprintf("%s/.git", cwd);
	struct stat st;
	if (lstat(dotgit, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	fs_spec_protect(spec, dotgit);
	_cleanup_free_ char *line = read_first_line(dotgit);
	if (!line || strncmp(line, "gitdir:", 7) != 0)
		return;
	const char *rel = line + 7 + strspn(line + 7, " \t");
	_cleanup_free_ char *gitdir = git_path_from(cwd, rel);
	if (!gitdir)
		return;
	add_under(spec, gitdir, git, 0, GW_DENY_WRITE);
	_cleanup_free_ char *cfile = xasprintf("%s/commondir", gitdir);
	_cleanup_free_ char *common_rel = read_first_line(cfile);
	_cleanup_free_ char *common = common_rel ? git_path_from(gitdir, common_rel) : NULL;
	if (common)
		add_under(spec, common, git, 0, GW_DENY_WRITE);
}

static void add_mandatory(struct gw_fs_spec *spec, const struct gw_config *cfg,
			  const struct gw_runtime *rt)
{
	add_under(spec, rt->cwd, protected_files, 0, GW_DENY_WRITE);
	add_under(spec, rt->cwd, protected_dirs, 0, GW_DENY_WRITE);
	const char *git[] = { "hooks", cfg->filesystem.allow_git_config ? NULL : "config", NULL };
	const char *dotgit[] = { ".git/hooks", cfg->filesystem.allow_git_config ? NULL : ".git/config", NULL };
	add_under(spec, rt->cwd, dotgit, 0, GW_DENY_WRITE);
	add_gitdir_file(spec, rt->cwd, git);
	add_env_files(spec, rt->cwd);
	if (rt->home)
		add_under(spec, rt->home, protected_files, 0, GW_DENY_WRITE);
	/* greywall's own policy: a sandboxed command must not be able to widen
	 * the next run's policy (spec F20, R3). */
	for (size_t i = 0; cfg->sources && cfg->sources[i]; i++)
		fs_spec_protect(spec, cfg->sources[i]);
	/* ...nor replace greywall itself when it lives in a writable tree
	 * (a build directory inside the workspace, say). */
	_cleanup_free_ char *self = fs_self_exe();
	if (self)
		fs_spec_protect(spec, self);
	_cleanup_free_ char *def = config_default_path();
	if (def)
		fs_spec_protect(spec, def);
	if (rt->home) {
		_cleanup_free_ char *legacy = xasprintf("%s/.greywall.json", rt->home);
		fs_spec_protect(spec, legacy);
	}
}

int policy_build_fs(const struct gw_config *cfg, const struct gw_runtime *rt,
		    struct gw_fs_spec *out, struct gw_error *err)
{
	*out = (struct gw_fs_spec){ 0 };
	add_system(out, cfg);
	if (rt->home)
		add_under(out, rt->home, home_tooling, GW_LL_FS_RX, 0);
	fs_spec_grant(out, rt->cwd, GW_LL_FS_ALL, false);
	if (rt->tmpdir)
		fs_spec_grant(out, rt->tmpdir, GW_LL_FS_ALL, false);
	const struct gw_config_filesystem *f = &cfg->filesystem;
	int r = add_list(out, f->allow_read, "filesystem.allowRead", GW_LL_FS_RX, 0, rt, err);
	if (r == 0)
		r = add_list(out, f->allow_write, "filesystem.allowWrite", GW_LL_FS_ALL, 0, rt, err);
	/* In the namespace sandbox a host socket exists only when listed:
	 * connect() needs write access to the socket's inode. */
	if (r == 0 && rt->namespaces)
		r = add_list(out, cfg->network.allow_unix_sockets, "network.allowUnixSockets",
			     GW_LL_FS_READ_FILE | GW_LL_FS_WRITE_FILE, 0, rt, err);
	/* Inside the namespace sandbox the mounts already enforce the denies
	 * (computed by the supervisor from this same function). */
	bool denies = !rt->inside_ns;
	if (r == 0 && denies)
		r = add_list(out, f->deny_read, "filesystem.denyRead", 0, GW_DENY_READ, rt, err);
	if (r == 0 && denies)
		r = add_list(out, f->deny_write, "filesystem.denyWrite", 0, GW_DENY_WRITE, rt, err);
	if (r < 0) {
		fs_spec_free(out);
		return r;
	}
	if (denies)
		add_mandatory(out, cfg, rt);
	return 0;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

char *policy_to_json(const struct gw_config *cfg, const struct gw_runtime *rt)
{
	_cleanup_free_ char *cj = config_to_json(cfg);
	json_object *root = json_object_new_object();
	json_object_object_add(root, "config", json_tokener_parse(cj));
	json_object *r = json_object_new_object();
	put_str(r, "cwd", rt->cwd);
	put_str(r, "home", rt->home);
	put_str(r, "tmpdir", rt->tmpdir);
	json_object *ports = json_object_new_array();
	for (int i = 0; i < rt->n_connect_ports; i++)
		json_object_array_add(ports, json_object_new_int(rt->connect_ports[i]));
	json_object_object_add(r, "connectPorts", ports);
	ports = json_object_new_array();
	for (int i = 0; i < rt->n_bind_ports; i++)
		json_object_array_add(ports, json_object_new_int(rt->bind_ports[i]));
	json_object_object_add(r, "bindPorts", ports);
	json_object_object_add(r, "netns", json_object_new_boolean(rt->netns));
	json_object_object_add(r, "namespaces", json_object_new_boolean(rt->namespaces));
	json_object_object_add(r, "insideNamespaces", json_object_new_boolean(rt->inside_ns));
	json_object_object_add(r, "allowDegraded", json_object_new_boolean(rt->allow_degraded));
	json_object_object_add(root, "runtime", r);
	char *s = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return s;
}

static char *get_str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static bool get_bool(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static int get_ports(json_object *r, const char *key, uint16_t *out, int *n,
		     struct gw_error *err)
{
	json_object *ports;
	if (!json_object_object_get_ex(r, key, &ports) || !json_object_is_type(ports, json_type_array))
		return 0;
	size_t len = json_object_array_length(ports);
	for (size_t i = 0; i < len && *n < GW_MAX_PORTS; i++) {
		int p = json_object_get_int(json_object_array_get_idx(ports, i));
		if (p < 1 || p > 65535)
			return gw_error_set(err, -EINVAL, "policy: bad port %d", p);
		out[(*n)++] = (uint16_t)p;
	}
	return 0;
}

static int runtime_from(json_object *r, struct gw_runtime *rt, struct gw_error *err)
{
	rt->cwd = get_str(r, "cwd");
	rt->home = get_str(r, "home");
	rt->tmpdir = get_str(r, "tmpdir");
	rt->netns = get_bool(r, "netns");
	rt->namespaces = get_bool(r, "namespaces");
	rt->inside_ns = get_bool(r, "insideNamespaces");
	rt->allow_degraded = get_bool(r, "allowDegraded");
	int ret = get_ports(r, "connectPorts", rt->connect_ports, &rt->n_connect_ports, err);
	if (ret == 0)
		ret = get_ports(r, "bindPorts", rt->bind_ports, &rt->n_bind_ports, err);
	if (ret < 0)
		return ret;
	if (!rt->cwd || rt->cwd[0] != '/')
		return gw_error_set(err, -EINVAL, "policy: runtime.cwd missing");
	return 0;
}

int policy_from_json(const char *json, struct gw_config *cfg, struct gw_runtime *rt,
		     struct gw_error *err)
{
	json_object *root = json_tokener_parse(json);
	json_object *c, *r;
	if (!root || !json_object_object_get_ex(root, "config", &c) ||
	    !json_object_object_get_ex(root, "runtime", &r)) {
		json_object_put(root);
		return gw_error_set(err, -EINVAL, "policy: malformed policy document");
	}
	const char *cs = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	int ret = config_parse_buffer("<policy>", cs, strlen(cs), NULL, cfg, err);
	if (ret == 0)
		ret = runtime_from(r, rt, err);
	json_object_put(root);
	return ret;
}
