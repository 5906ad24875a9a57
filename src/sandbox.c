/* sandbox.c: see sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "caps.h"
#include "envsan.h"
#include "fspolicy.h"
#include "landlock.h"
#include "log.h"
#include "proxyurl.h"
#include "seccomp-filter.h"

#define MAX_POLICY_BYTES (16u << 20)

extern char **environ;

struct wrapper_args {
	bool debug;
	int policy_fd;
	int ready_fd;
	int env_fd;
	char **cmd;
};

static int parse_fd(const char *flag, const char *v)
{
	char *end;
	long fd = strtol(v, &end, 10);
	if (*end || fd < 3 || fd > 1 << 20)
		die(GW_EXIT_SETUP, "--landlock-apply: bad %s \"%s\"", flag, v);
	return (int)fd;
}

static void parse_args(int argc, char **argv, struct wrapper_args *a)
{
	*a = (struct wrapper_args){ .policy_fd = -1, .ready_fd = -1, .env_fd = -1 };
	int i = 2;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--debug") == 0) {
			a->debug = true;
		} else if (strcmp(argv[i], "--seccomp") == 0) {
			/* always on */
		} else if (strcmp(argv[i], "--policy-fd") == 0 && i + 1 < argc) {
			a->policy_fd = parse_fd(argv[i], argv[i + 1]);
			i++;
		} else if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc) {
			a->ready_fd = parse_fd(argv[i], argv[i + 1]);
			i++;
		} else if (strcmp(argv[i], "--env-fd") == 0 && i + 1 < argc) {
			a->env_fd = parse_fd(argv[i], argv[i + 1]);
			i++;
		} else {
			break;
		}
	}
	if (i >= argc)
		die(GW_EXIT_SETUP, "--landlock-apply: no command specified");
	a->cmd = argv + i;
}

/* The whole content of fd (NUL-terminated; *len, when not NULL, gets its
 * length, which embedded NULs may make longer than strlen()). */
static char *read_fd_all(int fd, size_t *len_out)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= MAX_POLICY_BYTES) {
				free(buf);
				return NULL;
			}
			buf = xrealloc(buf, cap *= 2);
		}
		ssize_t n = pread(fd, buf + len, cap - len - 1, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

/* --env-fd: the command's environment as NAME=VALUE entries, each ended
 * by a NUL.  It replaces the one this process was started with, which
 * may have lost entries on the way (greywall-netns-helper runs with file
 * capabilities, so the C library removed TMPDIR, LD_LIBRARY_PATH and the
 * like from its environment). */
static void load_env(int fd)
{
	size_t len;
	_cleanup_free_ char *buf = read_fd_all(fd, &len);
	close(fd);
	if (!buf)
		die(GW_EXIT_SETUP, "--landlock-apply: cannot read the environment from fd %d", fd);
	char **env = xcalloc(1, sizeof *env);
	for (const char *p = buf; p < buf + len; p += strlen(p) + 1)
		if (strchr(p, '='))
			env = gw_strv_push(env, p);
	/* Never freed: the command is executed with it. */
	environ = env;
}

static void add_port_of(struct gw_runtime *rt, const char *url)
{
	struct gw_proxy_url u;
	if (!url || proxyurl_parse(url, &u, NULL) < 0)
		return;
	if (rt->n_connect_ports < GW_MAX_PORTS)
		rt->connect_ports[rt->n_connect_ports++] = u.port;
	proxyurl_free(&u);
}

/* The original's chain: config JSON in the environment, runtime context
 * taken from the process itself. */
static void load_from_env(const char *json, struct gw_config *cfg, struct gw_runtime *rt)
{
	struct gw_error err = { 0 };
	if (config_parse_buffer("GREYWALL_CONFIG_JSON", json, strlen(json), NULL, cfg, &err) < 0)
		die(GW_EXIT_SETUP, "%s", err.msg);
	rt->cwd = getcwd(NULL, 0);
	if (!rt->cwd)
		die_errno(GW_EXIT_SETUP, errno, "cannot determine the working directory");
	const char *home = getenv("HOME");
	rt->home = home && home[0] == '/' ? xstrdup(home) : NULL;
	add_port_of(rt, cfg->network.proxy_url ? cfg->network.proxy_url : "socks5://localhost:43052");
	add_port_of(rt, cfg->network.http_proxy_url);
	rt->allow_degraded = cfg->allow_degraded;
}

static void load_policy(const struct wrapper_args *a, struct gw_config *cfg, struct gw_runtime *rt)
{
	config_init(cfg);
	const char *env_json = getenv("GREYWALL_CONFIG_JSON");
	if (a->policy_fd >= 0) {
		_cleanup_free_ char *json = read_fd_all(a->policy_fd, NULL);
		close(a->policy_fd);
		if (!json)
			die(GW_EXIT_SETUP, "--landlock-apply: cannot read the policy from fd %d", a->policy_fd);
		struct gw_error err = { 0 };
		if (policy_from_json(json, cfg, rt, &err) < 0)
			die(GW_EXIT_SETUP, "%s", err.msg);
	} else if (env_json) {
		_cleanup_free_ char *copy = xstrdup(env_json);
		load_from_env(copy, cfg, rt);
	} else {
		die(GW_EXIT_SETUP, "--landlock-apply: no policy given (GREYWALL_CONFIG_JSON or --policy-fd)");
	}
	/* The command must not see the policy (it may hold proxy credentials). */
	unsetenv("GREYWALL_CONFIG_JSON");
}

int sandbox_enter_with(const struct gw_config *cfg, const struct gw_runtime *rt, int ruleset_fd)
{
	int r;
	if (ruleset_fd >= 0 && (r = landlock_enforce(ruleset_fd)) < 0) {
		log_error_errno(r, "landlock: cannot enforce the ruleset");
		return r;
	}
	if ((r = caps_drop_all()) < 0) {
		log_error_errno(r, "cannot drop capabilities");
		return r;
	}
	struct gw_seccomp_opts so = {
		.netns_capture = rt->netns,
		/* In the namespace sandbox only the listed sockets exist. */
		.allow_unix_sockets = cfg->network.allow_all_unix_sockets ||
				      (rt->inside_ns && cfg->network.allow_unix_sockets),
	};
	if ((r = seccomp_filter_apply(&so)) < 0) {
		log_error_errno(r, "cannot load the seccomp filter");
		log_hint("the kernel needs CONFIG_SECCOMP_FILTER, and a container runtime may forbid nested filters");
	}
	return r;
}

int sandbox_enter(const struct gw_config *cfg, const struct gw_runtime *rt)
{
	int fd;
	int r = sandbox_landlock_ruleset(cfg, rt, &fd);
	if (r < 0)
		return r;
	r = sandbox_enter_with(cfg, rt, fd);
	gw_close_fd(fd);
	return r;
}

void sandbox_main(int argc, char **argv)
{
	struct wrapper_args a;
	parse_args(argc, argv, &a);
	if (a.debug)
		log_set_debug(true);
	struct gw_config cfg;
	struct gw_runtime rt = { 0 };
	if (a.env_fd >= 0)
		load_env(a.env_fd);
	load_policy(&a, &cfg, &rt);
	_cleanup_strv_ char **removed = NULL;
	envsan_filter(environ, &removed);
	for (size_t i = 0; removed && removed[i]; i++)
		log_debug("removed %s from the environment", removed[i]);
	if (sandbox_enter(&cfg, &rt) < 0)
		exit(GW_EXIT_SETUP);
	config_free(&cfg);
	runtime_free(&rt);
	/* Tell the supervisor that every layer is in place: whatever fails
	 * from here on is the command's own doing. */
	if (a.ready_fd >= 0) {
		if (write(a.ready_fd, "1", 1) != 1)
			exit(GW_EXIT_SETUP);
		close(a.ready_fd);
	}
	exit(sandbox_exec(a.cmd, environ));
}

/* Report what the running kernel cannot enforce; fatal unless degraded runs
 * were asked for. */
static int check_abi(int abi, const struct gw_runtime *rt)
{
	const char *missing = NULL;
	if (abi < 0)
		missing = "Landlock itself (filesystem and network are NOT restricted)";
	else if (abi < 3)
		missing = "Landlock truncate control (ABI 3, Linux 6.2): read-only files could be truncated";
	else if (abi < 4 && !rt->netns)
		missing = "Landlock TCP rules (ABI 4, Linux 6.7): the command could connect anywhere";
	if (abi >= 0 && abi < 6)
		log_warn("Landlock ABI %d has no scoping (ABI 6, Linux 6.12): the command can signal "
			 "other processes of this user", abi);
	if (!missing)
		return 0;
	if (rt->allow_degraded) {
		log_warn("running with a weaker sandbox as requested: missing %s", missing);
		return 1;
	}
	log_error("cannot sandbox: this kernel lacks %s", missing);
	if (abi < 0)
		log_hint("%s", landlock_hint(abi));
	log_hint("upgrade the kernel, or accept a weaker sandbox explicitly with --allow-degraded "
		 "(config: \"allowDegraded\": true)");
	return -EOPNOTSUPP;
}

/* Inside the namespace sandbox the mounts already enforce every deny (and
 * pinning here would freeze the workspace's top level); what Landlock adds
 * is the grants, including the sandbox's private writable trees. */
static void namespace_view(struct gw_fs_spec *spec, const struct gw_config *cfg,
			   const struct gw_runtime *rt)
{
	for (size_t i = 0; i < spec->n_denies; i++)
		free(spec->denies[i].path);
	spec->n_denies = 0;
	/* Listing directories shows only what is mounted. */
	fs_spec_grant(spec, "/", GW_LL_FS_READ_DIR, true);
	fs_spec_grant(spec, "/tmp", GW_LL_FS_ALL, true);
	fs_spec_grant(spec, "/dev/shm", GW_LL_FS_ALL, true);
	if (rt->home && config_default_deny_read(cfg))
		fs_spec_grant(spec, rt->home, GW_LL_FS_ALL, true);
}

static int add_fs_rules(int rfd, const struct gw_config *cfg, const struct gw_runtime *rt,
			uint64_t handled)
{
	struct gw_fs_spec spec;
	struct gw_error err = { 0 };
	int r = policy_build_fs(cfg, rt, &spec, &err);
	if (r == 0 && rt->inside_ns)
		namespace_view(&spec, cfg, rt);
	struct gw_fs_plan plan = { 0 };
	if (r == 0)
		r = fspolicy_plan(&spec, handled, &plan, &err);
	fs_spec_free(&spec);
	if (r < 0) {
		log_error("filesystem policy: %s", err.msg);
		gw_error_clear(&err);
		return r;
	}
	for (size_t i = 0; plan.notes && plan.notes[i]; i++)
		log_debug("landlock: %s", plan.notes[i]);
	for (size_t i = 0; r == 0 && i < plan.n_rules; i++) {
		log_debug("landlock: allow 0x%04llx %s", (unsigned long long)plan.rules[i].access,
			  plan.rules[i].path);
		r = landlock_allow_path(rfd, plan.rules[i].fd, plan.rules[i].access);
		if (r < 0)
			log_error_errno(r, "landlock: cannot add a rule for %s", plan.rules[i].path);
	}
	log_debug("landlock: %zu path rules", plan.n_rules);
	fspolicy_plan_free(&plan);
	return r;
}

static int allow_ports(int rfd, const uint16_t *ports, int n, uint64_t right, const char *what)
{
	for (int i = 0; i < n; i++) {
		int r = landlock_allow_port(rfd, ports[i], right);
		if (r < 0)
			return log_error_errno(r, "landlock: cannot allow port %u", ports[i]), r;
		log_debug("landlock: allow TCP %s on port %u", what, ports[i]);
	}
	return 0;
}

static int add_net_rules(int rfd, const struct gw_runtime *rt, uint64_t net)
{
	int r = 0;
	if (net & GW_LL_NET_CONNECT_TCP)
		r = allow_ports(rfd, rt->connect_ports, rt->n_connect_ports, GW_LL_NET_CONNECT_TCP,
				"connect");
	if (r == 0 && (net & GW_LL_NET_BIND_TCP))
		r = allow_ports(rfd, rt->bind_ports, rt->n_bind_ports, GW_LL_NET_BIND_TCP, "bind");
	return r;
}

static int build_ruleset(const struct gw_config *cfg, const struct gw_runtime *rt, int abi)
{
	log_debug("landlock: ABI %d", abi);
	uint64_t fs = landlock_fs_rights_for_abi(abi);
	uint64_t net = landlock_net_rights_for_abi(abi);
	/* With traffic capture every outbound connection is redirected to
	 * greywall's proxy by the namespace, whatever its port. */
	if (rt->netns)
		net &= ~GW_LL_NET_CONNECT_TCP;
	if (cfg->network.allow_local_binding)
		net &= ~GW_LL_NET_BIND_TCP;
	_cleanup_close_ int rfd = landlock_ruleset_create(fs, net, landlock_scopes_for_abi(abi));
	if (rfd < 0) {
		log_error_errno(rfd, "landlock: cannot create a ruleset");
		return rfd;
	}
	int r = add_fs_rules(rfd, cfg, rt, fs);
	if (r == 0)
		r = add_net_rules(rfd, rt, net);
	return r < 0 ? r : steal_fd(&rfd);
}

int sandbox_landlock_ruleset(const struct gw_config *cfg, const struct gw_runtime *rt, int *fd)
{
	*fd = -1;
	int abi = landlock_abi();
	int c = check_abi(abi, rt);
	if (c < 0)
		return c;
	if (abi < 0)
		return 0; /* degraded run without Landlock, already warned */
	/* One O_PATH fd per rule is open at once while planning. */
	struct rlimit nofile = { 0 };
	bool have_limit = getrlimit(RLIMIT_NOFILE, &nofile) == 0;
	if (have_limit) {
		struct rlimit more = { nofile.rlim_max, nofile.rlim_max };
		(void)setrlimit(RLIMIT_NOFILE, &more);
	}
	int r = build_ruleset(cfg, rt, abi);
	if (have_limit && setrlimit(RLIMIT_NOFILE, &nofile) < 0 && r >= 0) {
		close(r);
		r = -errno;
		log_error_errno(r, "cannot restore the open-file limit");
	}
	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

static bool try_exec(const char *path, char **argv, char **env, bool *saw_eacces)
{
	execve(path, argv, env);
	if (errno == EACCES || errno == EPERM)
		*saw_eacces = true;
	/* ENOENT/ENOTDIR: try the next PATH entry; anything else is final. */
	return errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EPERM;
}

void sandbox_exec_plan(struct gw_exec_plan *p, char **argv, char **env)
{
	*p = (struct gw_exec_plan){ .argv = argv, .env = env };
	const char *name = argv[0];
	if (strchr(name, '/')) {
		p->paths = gw_strv_push(NULL, name);
		return;
	}
	const char *path = envsan_get(env, "PATH");
	_cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	/* strtok_r skips empty PATH entries: unlike execvp(), the working
	 * directory is never searched implicitly. */
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = xasprintf("%s/%s", dir, name);
		p->paths = gw_strv_push(p->paths, full);
	}
}

void sandbox_exec_plan_free(struct gw_exec_plan *p)
{
	gw_strv_free(p->paths);
	p->paths = NULL;
}

int sandbox_exec_planned(const struct gw_exec_plan *p)
{
	bool eacces = false;
	for (size_t i = 0; p->paths && p->paths[i]; i++)
		if (!try_exec(p->paths[i], p->argv, p->env, &eacces))
			break;
	int saved = errno;
	const char *name = p->argv[0];
	if (eacces || (saved != ENOENT && saved != ENOTDIR)) {
		log_error("%s: cannot execute: %s%s", name, strerror(eacces ? EACCES : saved),
			  eacces ? " (is it outside the paths the sandbox may read and execute?)" : "");
		return GW_EXIT_NOT_EXEC;
	}
	log_error("%s: command not found", name);
	return GW_EXIT_NOT_FOUND;
}

int sandbox_exec(char **argv, char **env)
{
	struct gw_exec_plan p;
	sandbox_exec_plan(&p, argv, env);
	int r = sandbox_exec_planned(&p);
	sandbox_exec_plan_free(&p);
	return r;
}
