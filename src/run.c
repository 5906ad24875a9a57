/* run.c: see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <stdio.h>

#include "cmdpolicy.h"
#include "config-validate.h"
#include "envsan.h"
#include "fs.h"
#include "log.h"
#include "netsvc.h"
#include "nsrun.h"
#include "policy.h"
#include "proxyurl.h"
#include "sandbox.h"
#include "supervise.h"


extern char **environ;

struct run_ctx {
	struct gw_config cfg;
	struct gw_runtime rt;
	char **env;
	char *cmd_name;
	int tmp_parent_fd;
	char *tmp_name;
	bool namespaces;   /* default mode (bubblewrap), not --no-bwrap */
	char **cmd;        /* the command as executed in the sandbox */
	int ruleset_fd;    /* --no-bwrap: Landlock ruleset built before the fork */
	struct gw_exec_plan exec;  /* --no-bwrap: where the command is looked for */
	struct gw_ns_args ns;
	struct gw_netsvc net;
	bool use_net;      /* greywall's own proxy serves this run */
	char *helper;      /* --netns: greywall-netns-helper's path */
};

static void add_forward(struct run_ctx *c, uint16_t port, const struct sockaddr_in *host,
			const char *what)
{
	struct gw_ns_args *a = &c->ns;
	for (int i = 0; i < a->n_forwards; i++) {
		if (a->forwards[i].inside_port != port)
			continue;
		if (a->forwards[i].host.sin_addr.s_addr != host->sin_addr.s_addr)
			die(GW_EXIT_USAGE, "%s and %s both need port %u inside the sandbox",
			    a->forwards[i].what, what, port);
		return;
	}
	if (a->n_forwards >= GW_MAX_FORWARDS)
		die(GW_EXIT_USAGE, "too many forwarded ports");
	struct gw_forward *f = &a->forwards[a->n_forwards++];
	*f = (struct gw_forward){ .inside_port = port, .host = *host };
	snprintf(f->what, sizeof f->what, "%s", what);
}

int run_try_load_config(const struct gw_opts *o, struct gw_config *cfg, struct gw_error *err)
{
	config_init(cfg);
	_cleanup_free_ char *def = o->settings ? NULL : config_default_path();
	const char *path = o->settings ? o->settings : def;
	int r = path ? config_load_file(path, cfg, err) : -ENOENT;
	if (r == -ENOENT && !o->settings) {
		log_debug("no config at %s: using the default policy", path ? path : "(no HOME)");
		gw_error_clear(err);
		config_init(cfg);
		return 0;
	}
	if (r < 0) {
		if (!err->msg)
			gw_error_set(err, r, "%s", strerror(-r));
		_cleanup_free_ char *m = err->msg;
		err->msg = xasprintf("failed to load config: %s", m);
		return r;
	}
	log_debug("config: %s", path);
	return 0;
}

void run_load_config(const struct gw_opts *o, struct gw_config *cfg)
{
	struct gw_error err = { 0 };
	if (run_try_load_config(o, cfg, &err) < 0)
		die(GW_EXIT_USAGE, "%s", err.msg);
}

/* First word of the command, for the proxy user name (greyproxy groups
 * connections by it). */
static char *command_name(const struct gw_opts *o)
{
	const char *w = o->shell_cmd ? o->shell_cmd : o->argv[0];
	while (*w == ' ' || *w == '\t')
		w++;
	_cleanup_free_ char *first = xstrndup(w, strcspn(w, " \t\n;&|"));
	const char *base = strrchr(first, '/');
	return xstrdup(base && base[1] ? base + 1 : (*first ? first : "proxy"));
}

static void check_command_policy(const struct gw_opts *o, const struct gw_config *cfg)
{
	_cleanup_free_ char *line = o->shell_cmd ? xstrdup(o->shell_cmd) : gw_shell_join(o->argv);
	struct gw_error err = { 0 };
	if (cmdpolicy_check(cfg, line, &err) < 0)
		die(GW_EXIT_USAGE, "%s", err.msg);
}

/* In the namespace mode the sandbox reaches a proxy through a relay on its
 * own loopback, at the proxy's port. */
static void forward_proxy(struct run_ctx *c, struct gw_proxy_url *u, const char *what)
{
	struct sockaddr_in host = { .sin_family = AF_INET, .sin_port = htons(u->port) };
	if (inet_pton(AF_INET, u->host, &host.sin_addr) != 1)
		die(GW_EXIT_USAGE, "%s: %s: only IPv4 proxy addresses can be relayed into the "
		    "namespace sandbox", what, u->host);
	add_forward(c, u->port, &host, what);
	free(u->host);
	u->host = xstrdup("127.0.0.1");
}

/* Parse, validate and prepare one proxy URL for the sandbox: numeric host
 * (the sandbox has no DNS), credentials added when there are none. */
static char *prepare_proxy(struct run_ctx *c, const char *url, const char *what,
			   const char *scheme_out)
{
	struct gw_proxy_url u;
	struct gw_error err = { 0 };
	if (proxyurl_parse(url, &u, &err) < 0)
		die(GW_EXIT_USAGE, "%s: %s", what, err.msg);
	if (proxyurl_resolve_host(&u, &err) < 0)
		die(GW_EXIT_USAGE, "%s: %s", what, err.msg);
	if (!u.user) {
		u.user = xstrdup(c->cmd_name);
		u.pass = xstrdup("proxy");
	}
	if (scheme_out) {
		free(u.scheme);
		u.scheme = xstrdup(scheme_out);
	}
	if (c->namespaces)
		forward_proxy(c, &u, what);
	else
		runtime_add_port(c->rt.connect_ports, &c->rt.n_connect_ports, u.port);
	char *r = proxyurl_format(&u);
	proxyurl_free(&u);
	return r;
}

static void set_pair(struct run_ctx *c, const char *upper, const char *lower, const char *v)
{
	c->env = envsan_set(c->env, upper, v);
	c->env = envsan_set(c->env, lower, v);
}

/* The command reaches greywall's own proxy: at its host loopback ports
 * with --no-bwrap (Landlock lets it connect there), through relays at the
 * same ports on the sandbox's loopback otherwise. */
static void use_builtin_proxy(struct run_ctx *c)
{
	struct gw_netsvc *n = &c->net;
	uint16_t ports[] = { n->socks_port, n->http_port };
	for (size_t i = 0; i < 2; i++) {
		if (!c->namespaces) {
			runtime_add_port(c->rt.connect_ports, &c->rt.n_connect_ports, ports[i]);
			continue;
		}
		struct sockaddr_in host = { .sin_family = AF_INET, .sin_port = htons(ports[i]),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		add_forward(c, ports[i], &host, i ? "greywall's HTTP proxy" : "greywall's SOCKS5 proxy");
	}
	_cleanup_free_ char *su = netsvc_socks_url(n), *hu = netsvc_http_url(n);
	set_pair(c, "ALL_PROXY", "all_proxy", su);
	set_pair(c, "HTTP_PROXY", "http_proxy", hu);
	set_pair(c, "HTTPS_PROXY", "https_proxy", hu);
	set_pair(c, "NO_PROXY", "no_proxy", "");
	c->use_net = true;
	if (c->namespaces) {
		/* Every connection of the sandbox is captured in its network
		 * namespace and judged like a proxy request. */
		c->ns.capture = true;
		c->ns.capture_out = &c->net.cap;
		c->rt.netns = true;
	}
	log_debug("proxy: greywall's own, SOCKS5 127.0.0.1:%u, HTTP 127.0.0.1:%u", n->socks_port,
		  n->http_port);
}

static void setup_proxy_env(struct run_ctx *c, const struct gw_opts *o)
{
	const char *s = o->proxy ? o->proxy : c->cfg.network.proxy_url;
	const char *h = o->http_proxy ? o->http_proxy : c->cfg.network.http_proxy_url;
	struct gw_error err = { 0 };
	int r = netsvc_prepare(&c->net, &c->cfg, s, h, c->cmd_name, o->forwards,
			       (size_t)o->n_forwards, o->monitor, c->namespaces, &err);
	if (r < 0)
		die(GW_EXIT_USAGE, "%s", err.msg);
	if (r == 1) {
		use_builtin_proxy(c);
		return;
	}
	if (r == 2) {
		const char *names[] = { "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy",
					"HTTPS_PROXY", "https_proxy", NULL };
		for (size_t i = 0; names[i]; i++)
			envsan_unset(c->env, names[i]);
		log_debug("network: nothing in network.allowedDomains, so the command has no network");
		return;
	}
	if (o->monitor)
		log_warn("--monitor: the configured proxy decides alone (no domain is listed), "
			 "so greywall has no decisions to show");
	if (c->cfg.network.allow_local_outbound == GW_TRUE)
		log_warn("network.allowLocalOutbound has no effect when the configured proxy decides "
			 "alone: only the proxy and -f ports are reachable");
	/* A configured proxy decides alone: the command talks to it. */
	if (s) {
		/* socks5h: the proxy resolves names, the sandbox cannot. */
		_cleanup_free_ char *su = prepare_proxy(c, s, "proxy", "socks5h");
		set_pair(c, "ALL_PROXY", "all_proxy", su);
		log_debug("proxy: ALL_PROXY=%s", su);
	}
	if (h) {
		_cleanup_free_ char *hu = prepare_proxy(c, h, "http proxy", NULL);
		set_pair(c, "HTTP_PROXY", "http_proxy", hu);
		set_pair(c, "HTTPS_PROXY", "https_proxy", hu);
	} else {
		const char *names[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", NULL };
		for (size_t i = 0; names[i]; i++)
			envsan_unset(c->env, names[i]);
	}
	/* No loopback shortcut: every connection goes through the policy. */
	set_pair(c, "NO_PROXY", "no_proxy", "");
}

/* ---- --netns: a network namespace pinned by greywall-netns-helper ------- */

#define HELPER_NAME "greywall-netns-helper"

/* The helper named by --netns-helper, else the one next to greywall's own
 * binary: never one found in PATH, which the caller controls.  Caller
 * frees; exits when there is none. */
static char *find_helper(const struct gw_opts *o, const char *cwd)
{
	char *path = NULL;
	if (o->netns_helper) {
		path = fs_absolutize(o->netns_helper, cwd, NULL);
	} else {
		_cleanup_free_ char *self = fs_self_exe();
		char *slash = self ? strrchr(self, '/') : NULL;
		if (slash) {
			*slash = '\0';
			path = xasprintf("%s/" HELPER_NAME, self);
		}
	}
	struct stat st;
	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
		return path;
	log_error("--netns needs %s, but %s is %s", HELPER_NAME, path ? path : o->netns_helper,
		  path ? "not an executable file" : "not a usable path");
	log_hint("install it next to greywall (make install-helper), or name it with "
		 "--netns-helper PATH (it is never looked up in PATH)");
	free(path);
	exit(GW_EXIT_SETUP);
}

static bool lists_domains(const struct gw_config *cfg)
{
	return (cfg->network.allowed_domains && cfg->network.allowed_domains[0]) ||
	       (cfg->network.denied_domains && cfg->network.denied_domains[0]);
}

/* Instead of greywall's proxy: the pinned namespace captures every
 * connection and DNS query, and its capture daemon hands each one to the
 * proxy named at `greywall-netns-helper create`, which decides. */
static void use_pinned_netns(struct run_ctx *c, const struct gw_opts *o)
{
	if (o->n_forwards)
		die(GW_EXIT_USAGE, "-f/--forward cannot reach the host from a network namespace "
		    "pinned by greywall-netns-helper (--netns)");
	/* -p N only lets the command listen on N (Landlock); host clients
	 * reach it through the pin's --bridge-port N. */
	if (o->n_ports)
		log_debug("-p: host clients reach the command's port only through a pin made with "
			  "greywall-netns-helper create --bridge-port");
	/* greywall cannot apply them there: running anyway would give the
	 * command more network than its policy says. */
	if (lists_domains(&c->cfg))
		die(GW_EXIT_USAGE, "network.allowedDomains/deniedDomains cannot be enforced with "
		    "--netns: the proxy named at `greywall-netns-helper create --proxy` decides "
		    "about every connection. Put the domains in that proxy's settings (greywall "
		    "proxy --settings) and remove them from this config");
	if (o->monitor)
		log_warn("--monitor: with --netns the pin's proxy decides, so greywall has no "
			 "decisions to show");
	if (o->proxy || o->http_proxy || c->cfg.network.proxy_url || c->cfg.network.http_proxy_url)
		log_debug("--netns: the configured proxies are not used (the pin has its own)");
	/* A proxy address of the host is unreachable from the namespace,
	 * and nothing needs one there: every connection is captured. */
	const char *names[] = { "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
				"https_proxy", "NO_PROXY", "no_proxy", NULL };
	for (size_t i = 0; names[i]; i++)
		envsan_unset(c->env, names[i]);
	c->rt.netns = true;
	c->helper = find_helper(o, c->rt.cwd);
	log_debug("--netns %s: the command runs in that network namespace, entered through %s",
		  o->netns, c->helper);
}

/* The command's environment for --env-fd: NAME=VALUE entries, each
 * ended by a NUL. */
static int env_memfd(char **env)
{
	size_t len = 0;
	for (size_t i = 0; env && env[i]; i++)
		len += strlen(env[i]) + 1;
	_cleanup_free_ char *buf = xmalloc(len + 1);
	char *p = buf;
	for (size_t i = 0; env && env[i]; i++)
		p = stpcpy(p, env[i]) + 1;
	return fs_sealed_memfd("greywall-env", buf, len);
}

/* helper exec --netns PIN -- greywall --landlock-apply ... -- CMD */
static char **helper_argv(const struct run_ctx *c, const struct gw_opts *o, const int fds[3])
{
	_cleanup_free_ char *self = fs_self_exe();
	if (!self)
		die_errno(GW_EXIT_SETUP, errno, "cannot find greywall's own binary");
	const char *head[] = { c->helper, "exec", "--die-with-parent", "--netns", o->netns, "--",
			       self, "--landlock-apply", "--seccomp", NULL };
	char **v = NULL;
	for (size_t i = 0; head[i]; i++)
		v = gw_strv_push(v, head[i]);
	if (log_debug_enabled())
		v = gw_strv_push(v, "--debug");
	const char *flags[] = { "--policy-fd", "--env-fd", "--ready-fd" };
	for (size_t i = 0; i < 3; i++) {
		v = gw_strv_push(v, flags[i]);
		v = gw_strv_push_take(v, xasprintf("%d", fds[i]));
	}
	v = gw_strv_push(v, "--");
	for (size_t i = 0; c->cmd[i]; i++)
		v = gw_strv_push(v, c->cmd[i]);
	return v;
}

/* The chain runs in the child the supervisor starts: the helper enters
 * the pinned namespace, drops every capability, sets no_new_privs and
 * executes greywall's internal mode, which applies Landlock (without TCP
 * connect rules: the namespace captures every connection) and seccomp
 * (UDP allowed: only DNS leaves the namespace, to the capture daemon)
 * from the policy, then executes the command. */
static int run_in_pinned_netns(struct run_ctx *c, const struct gw_opts *o)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC | O_NONBLOCK) < 0)
		die_errno(GW_EXIT_SETUP, errno, "pipe");
	_cleanup_free_ char *json = policy_to_json(&c->cfg, &c->rt);
	int fds[3] = { fs_sealed_memfd("greywall-policy", json, strlen(json)), env_memfd(c->env),
		       ready[1] };
	if (fds[0] < 0 || fds[1] < 0)
		die_errno(GW_EXIT_SETUP, -(fds[0] < 0 ? fds[0] : fds[1]), "memfd");
	_cleanup_strv_ char **argv = helper_argv(c, o, fds);
	if (log_debug_enabled()) {
		_cleanup_free_ char *line = gw_shell_join(argv);
		log_debug("running: %s", line);
	}
	struct gw_supervise sup = { .argv = argv, .env = c->env, .keep_fds = fds, .n_keep_fds = 3,
				    .pty = true, .shared_mm = true, .ctx = c };
	int status = supervise_run(&sup);
	char byte;
	bool started = read(ready[0], &byte, 1) == 1;
	close(ready[0]);
	if (!started && status < GW_EXIT_SETUP) {
		log_error("the sandbox could not be set up (" HELPER_NAME " or the sandbox layers "
			  "failed, see above)");
		return GW_EXIT_SETUP;
	}
	return status;
}

/* Flags get the config file's validation, so both say the same thing. */
static void validate_flag(const char *flag, const char *value, char *(*check)(const char *))
{
	if (!value)
		return;
	_cleanup_free_ char *why = check(value);
	if (why)
		die(GW_EXIT_USAGE, "invalid %s \"%s\": %s", flag, value, why);
}

static void make_tmpdir(struct run_ctx *c)
{
	const char *base = getenv("TMPDIR");
	struct stat st;
	if (!base || base[0] != '/' || stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
		base = "/tmp";
	_cleanup_free_ char *tmpl = xasprintf("%s/greywall-XXXXXX", base);
	if (!mkdtemp(tmpl))
		die_errno(GW_EXIT_SETUP, errno, "cannot create a private temporary directory in %s", base);
	c->rt.tmpdir = fs_normalize(tmpl);
	c->tmp_parent_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	c->tmp_name = xstrdup(strrchr(tmpl, '/') + 1);
	const char *names[] = { "TMPDIR", "TMP", "TEMP", "TEMPDIR", NULL };
	for (size_t i = 0; names[i]; i++)
		c->env = envsan_set(c->env, names[i], c->rt.tmpdir);
}

static void cleanup_tmpdir(struct run_ctx *c)
{
	if (c->tmp_parent_fd < 0)
		return;
	int r = fs_remove_tree(c->tmp_parent_fd, c->tmp_name);
	if (r < 0)
		log_warn("cannot remove %s: %s", c->rt.tmpdir, strerror(-r));
	close(c->tmp_parent_fd);
	c->tmp_parent_fd = -1;
}

static void setup_runtime(struct run_ctx *c, const struct gw_opts *o)
{
	c->rt.cwd = getcwd(NULL, 0);
	if (!c->rt.cwd)
		die_errno(GW_EXIT_SETUP, errno, "cannot determine the working directory");
	/* The working directory is granted read-write: from / that would be
	 * the whole filesystem. */
	if (strcmp(c->rt.cwd, "/") == 0)
		die(GW_EXIT_USAGE, "refusing to run in / (the working directory is writable in the "
		    "sandbox, and this one is the whole filesystem): cd to the project first");
	const char *home = getenv("HOME");
	struct passwd *pw = home ? NULL : getpwuid(getuid());
	if (!home && pw)
		home = pw->pw_dir;
	c->rt.home = home && home[0] == '/' ? fs_normalize(home) : NULL;
	c->rt.allow_degraded = o->allow_degraded || c->cfg.allow_degraded;
	c->rt.namespaces = c->namespaces;
	if (c->cfg.network.allow_unix_sockets && !c->cfg.network.allow_all_unix_sockets && !c->namespaces)
		die(GW_EXIT_USAGE, "network.allowUnixSockets cannot be enforced per socket with --no-bwrap "
		    "(Landlock cannot restrict unix socket connections on this kernel); "
		    "remove it, or allow every unix socket with \"allowAllUnixSockets\": true");
	/* Without namespaces a server inside listens on the host's loopback
	 * itself, and host services are reached directly: the flags only open
	 * the Landlock port rules. */
	for (int i = 0; i < o->n_ports && !c->namespaces; i++)
		runtime_add_port(c->rt.bind_ports, &c->rt.n_bind_ports, o->ports[i]);
	for (int i = 0; i < o->n_forwards; i++) {
		if (!c->namespaces) {
			runtime_add_port(c->rt.connect_ports, &c->rt.n_connect_ports, o->forwards[i]);
			continue;
		}
		struct sockaddr_in host = { .sin_family = AF_INET, .sin_port = htons(o->forwards[i]),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		char what[32];
		snprintf(what, sizeof what, "-f %u", o->forwards[i]);
		add_forward(c, o->forwards[i], &host, what);
	}
}

/* The command as the wrapper executes it. */
static char **command_argv(const struct gw_opts *o, char **v)
{
	if (o->shell_cmd) {
		v = gw_strv_push(v, access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh");
		v = gw_strv_push(v, "-c");
		v = gw_strv_push(v, o->shell_cmd);
	} else {
		for (size_t i = 0; o->argv[i]; i++)
			v = gw_strv_push(v, o->argv[i]);
	}
	return v;
}

/* --no-bwrap: the sandbox is applied in the forked child itself, from the
 * policy already in memory (no re-exec, no serialisation), then the command
 * is executed.  Only system calls until something fails: the child shares
 * greywall's memory (supervise.h, shared_mm).  Returns only on failure. */
static int enter_no_bwrap(void *ctx)
{
	struct run_ctx *c = ctx;
	if (sandbox_enter_with(&c->cfg, &c->rt, c->ruleset_fd) < 0)
		return -1;
	/* Nothing of greywall's (the terminal copies, the config) may reach
	 * the command. */
	syscall(SYS_close_range, 3u, ~0u, 0u);
	_exit(sandbox_exec_planned(&c->exec));
}

/* The default mode: /tmp inside is private, the rest is nsrun.c's. */
static int run_namespaces(struct run_ctx *c, const struct gw_opts *o)
{
	const char *names[] = { "TMPDIR", "TMP", "TEMP", "TEMPDIR", NULL };
	for (size_t i = 0; names[i]; i++)
		c->env = envsan_set(c->env, names[i], "/tmp");
	c->ns.opts = o;
	c->ns.cfg = &c->cfg;
	c->ns.rt = &c->rt;
	c->ns.env = c->env;
	c->ns.cmd = command_argv(o, NULL);
	if (c->use_net) {
		c->ns.services_start = netsvc_start;
		c->ns.services_stop = netsvc_stop;
		c->ns.services_ctx = &c->net;
	}
	int status = nsrun(&c->ns);
	gw_strv_free(c->ns.cmd);
	return status;
}

/* --no-bwrap: Landlock planned here, before the fork (a planning error
 * stops the run before anything starts); the child only enforces. */
static int run_no_bwrap(struct run_ctx *c)
{
	if (sandbox_landlock_ruleset(&c->cfg, &c->rt, &c->ruleset_fd) < 0)
		return GW_EXIT_SETUP;
	sandbox_exec_plan(&c->exec, c->cmd, c->env);
	struct gw_supervise sup = { .argv = c->cmd, .env = c->env, .pty = true,
				    .child_setup = enter_no_bwrap, .shared_mm = true, .ctx = c };
	if (c->use_net) {
		sup.services_start = netsvc_start;
		sup.services_stop = netsvc_stop;
		sup.services_ctx = &c->net;
	}
	int status = supervise_run(&sup);
	sandbox_exec_plan_free(&c->exec);
	gw_close_fd(c->ruleset_fd);
	c->ruleset_fd = -1;
	return status;
}

int run_command(const struct gw_opts *o)
{
	struct run_ctx c = { .tmp_parent_fd = -1, .ruleset_fd = -1, .net = GW_NETSVC_INIT };
	run_load_config(o, &c.cfg);
	c.namespaces = !o->no_bwrap;
	log_debug(c.namespaces ? "namespace mode: bubblewrap, Landlock and seccomp"
			       : "--no-bwrap mode: Landlock + seccomp only, no namespaces");
	check_command_policy(o, &c.cfg);
	c.cmd_name = command_name(o);
	c.env = envsan_copy(environ);
	validate_flag("--proxy", o->proxy, config_check_socks_url);
	validate_flag("--http-proxy", o->http_proxy, config_check_http_url);
	validate_flag("--dns", o->dns, config_check_dns_addr);
	if (o->dns)
		log_debug("--dns %s: not used (the sandbox has no DNS; the proxy resolves names)", o->dns);
	setup_runtime(&c, o);
	if (o->netns)
		use_pinned_netns(&c, o);
	else
		setup_proxy_env(&c, o);
	c.env = envsan_set(c.env, "GREYWALL_SANDBOX", "1");
	if (c.namespaces) {
		int st = run_namespaces(&c, o);
		netsvc_free(&c.net);
		gw_strv_free(c.env);
		free(c.cmd_name);
		config_free(&c.cfg);
		runtime_free(&c.rt);
		return st;
	}
	make_tmpdir(&c);
	c.cmd = command_argv(o, NULL);
	if (log_debug_enabled()) {
		_cleanup_free_ char *line = gw_shell_join(c.cmd);
		log_debug("running in the sandbox: %s", line);
	}
	int status = o->netns ? run_in_pinned_netns(&c, o) : run_no_bwrap(&c);
	netsvc_free(&c.net);
	cleanup_tmpdir(&c);
	gw_strv_free(c.cmd);
	gw_strv_free(c.env);
	free(c.helper);
	free(c.cmd_name);
	free(c.tmp_name);
	config_free(&c.cfg);
	runtime_free(&c.rt);
	return status;
}
