/* nsrun.c: see nsrun.h. */
#include "nsrun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "gw-version.h"
#include "log.h"
#include "mountplan.h"
#include "mounttree.h"
#include "netns.h"
#include "supervise.h"

struct ns_run {
	struct gw_ns_args *a;
	struct rlimit nofile; /* the caller's, restored for bubblewrap */
	struct gw_netns ns;
	struct gw_mount_plan plan;
	const char *staging;
	int *fds; /* handed to the child */
	size_t n_fds;
	struct gw_relay relays[GW_MAX_FORWARDS + GW_CLI_MAX_PORTS];
	size_t n_relays;
};

/* ---- bubblewrap ------------------------------------------------------------ */

static bool trusted_exe(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_mode & S_IXUSR);
}

char *nsrun_find_bwrap(struct gw_error *err)
{
	const char *candidates[] = { GW_BWRAP_PATH, "/usr/bin/bwrap", "/bin/bwrap", NULL };
	for (size_t i = 0; candidates[i]; i++)
		if (trusted_exe(candidates[i]))
			return xstrdup(candidates[i]);
	gw_error_set(err, -ENOENT,
		     "bubblewrap is required for the default (namespace) mode but %s is missing "
		     "(or not a root-owned executable): install it (Debian/Ubuntu: apt install "
		     "bubblewrap), or run with --no-bwrap", GW_BWRAP_PATH);
	return NULL;
}

/* ---- staging ----------------------------------------------------------------- */

/* Where the child mounts its private tmpfs to build the tree: a directory
 * that exists everywhere and whose host content the child does not need
 * (its sources are opened before the tmpfs goes on top).  Nothing is
 * created on the host, so nothing can be left behind. */
static const char *staging_dir(void)
{
	struct stat st;
	return stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
}

/* ---- mounts ----------------------------------------------------------------- */

static void plan_mounts(struct ns_run *r)
{
	struct gw_ns_args *a = r->a;
	struct gw_fs_spec spec;
	struct gw_error err = { 0 };
	if (policy_build_fs(a->cfg, a->rt, &spec, &err) < 0)
		die(GW_EXIT_USAGE, "filesystem policy: %s", err.msg);
	_cleanup_free_ char *self = fs_self_exe();
	if (!self)
		die_errno(GW_EXIT_SETUP, errno, "cannot find greywall's own binary");
	struct gw_mount_input in = { .spec = &spec, .home = a->rt->home, .self_exe = self };
	int ret = mountplan_build(&in, &r->plan, &err);
	fs_spec_free(&spec);
	if (ret < 0)
		die(GW_EXIT_SETUP, "cannot plan the sandbox's filesystem: %s", err.msg);
	mountplan_debug(&r->plan);
}

/* ---- arguments -------------------------------------------------------------- */

static void keep_fd(struct ns_run *r, int fd)
{
	r->fds = xrealloc(r->fds, (r->n_fds + 1) * sizeof *r->fds);
	r->fds[r->n_fds++] = fd;
}

static int memfd_with(const char *name, const char *data, size_t len)
{
	int fd = fs_sealed_memfd(name, data, len);
	if (fd < 0)
		die_errno(GW_EXIT_SETUP, -fd, "cannot make %s", name);
	return fd;
}

/* bubblewrap's options go through --args: a large policy must not hit the
 * kernel's limit on one argument or on the whole command line. */
static int bwrap_options_fd(struct ns_run *r)
{
	char **v = NULL;
	const char *flags[] = { "--unshare-user", "--disable-userns", "--unshare-pid",
				"--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
				"--die-with-parent", "--cap-drop", "ALL", NULL };
	for (size_t i = 0; flags[i]; i++)
		v = gw_strv_push(v, flags[i]);
	/* The tree mounttree_build() made in the child, as the new root, with
	 * bubblewrap's own /proc and /dev on top. */
	v = gw_strv_push(v, "--bind");
	v = gw_strv_push_take(v, xasprintf("%s/root", r->staging));
	v = gw_strv_push(v, "/");
	for (size_t i = 0; i < r->plan.n; i++) {
		const struct gw_mount *m = &r->plan.m[i];
		if (m->kind == GW_MNT_PROC || m->kind == GW_MNT_DEV) {
			v = gw_strv_push(v, m->kind == GW_MNT_PROC ? "--proc" : "--dev");
			v = gw_strv_push(v, m->dest);
		}
	}
	v = gw_strv_push(v, "--chdir");
	v = gw_strv_push(v, r->a->rt->cwd);
	size_t len = 0;
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + 1;
	char *buf = xmalloc(len + 1), *p = buf;
	for (size_t i = 0; v[i]; i++)
		p = stpcpy(p, v[i]) + 1;
	int fd = memfd_with("greywall-bwrap-args", buf, len);
	free(buf);
	gw_strv_free(v);
	return fd;
}

static int policy_fd(struct ns_run *r)
{
	struct gw_runtime in = *r->a->rt;
	in.tmpdir = NULL;
	in.namespaces = true;
	in.inside_ns = true;
	for (int i = 0; i < r->a->n_forwards; i++)
		runtime_add_port(in.connect_ports, &in.n_connect_ports, r->a->forwards[i].inside_port);
	for (int i = 0; i < r->a->opts->n_ports; i++)
		runtime_add_port(in.bind_ports, &in.n_bind_ports, r->a->opts->ports[i]);
	_cleanup_free_ char *json = policy_to_json(r->a->cfg, &in);
	return memfd_with("greywall-policy", json, strlen(json));
}

static char **full_argv(struct ns_run *r, const char *bwrap, int args_fd, int pfd, int ready_fd)
{
	_cleanup_free_ char *self = fs_self_exe();
	char **v = NULL;
	v = gw_strv_push(v, bwrap);
	v = gw_strv_push(v, "--args");
	v = gw_strv_push_take(v, xasprintf("%d", args_fd));
	v = gw_strv_push(v, "--");
	v = gw_strv_push(v, self);
	v = gw_strv_push(v, "--landlock-apply");
	v = gw_strv_push(v, "--seccomp");
	if (log_debug_enabled())
		v = gw_strv_push(v, "--debug");
	v = gw_strv_push(v, "--policy-fd");
	v = gw_strv_push_take(v, xasprintf("%d", pfd));
	v = gw_strv_push(v, "--ready-fd");
	v = gw_strv_push_take(v, xasprintf("%d", ready_fd));
	v = gw_strv_push(v, "--");
	for (size_t i = 0; r->a->cmd[i]; i++)
		v = gw_strv_push(v, r->a->cmd[i]);
	return v;
}

/* ---- relays ----------------------------------------------------------------- */

static int peer_in_sandbox(void *ctx)
{
	return netns_socket(ctx);
}

static int peer_on_host(void *ctx)
{
	(void)ctx;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static void setup_relays(struct ns_run *r)
{
	struct gw_ns_args *a = r->a;
	for (int i = 0; i < a->n_forwards; i++) {
		const struct gw_forward *f = &a->forwards[i];
		int lfd = netns_listen(&r->ns, f->inside_port);
		if (lfd < 0)
			die_errno(GW_EXIT_SETUP, -lfd, "%s: cannot listen on port %u inside the sandbox",
				  f->what, f->inside_port);
		struct gw_relay *rl = &r->relays[r->n_relays++];
		*rl = (struct gw_relay){ .listen_fd = lfd, .new_peer = peer_on_host, .peer = f->host };
		snprintf(rl->what, sizeof rl->what, "%s", f->what);
	}
	for (int i = 0; i < a->opts->n_ports; i++) {
		uint16_t port = a->opts->ports[i];
		int lfd = relay_listen_loopback(port);
		if (lfd < 0)
			die_errno(GW_EXIT_SETUP, -lfd, "-p %u: cannot listen on 127.0.0.1:%u on the host",
				  port, port);
		struct gw_relay *rl = &r->relays[r->n_relays++];
		*rl = (struct gw_relay){ .listen_fd = lfd, .new_peer = peer_in_sandbox, .ctx = &r->ns,
					 .peer = { .sin_family = AF_INET, .sin_port = htons(port),
						   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
		snprintf(rl->what, sizeof rl->what, "-p %u", port);
	}
}

/* ---- supervision ------------------------------------------------------------ */

/* Every bind source is an fd until the tree is built: a policy of
 * thousands of paths needs more than the usual soft limit of 1024.  The
 * command gets the caller's limit back. */
static void raise_nofile(struct ns_run *r)
{
	if (getrlimit(RLIMIT_NOFILE, &r->nofile) < 0)
		die_errno(GW_EXIT_SETUP, errno, "getrlimit");
	struct rlimit more = { r->nofile.rlim_max, r->nofile.rlim_max };
	if (r->nofile.rlim_cur < r->nofile.rlim_max && setrlimit(RLIMIT_NOFILE, &more) < 0)
		log_debug("cannot raise the open-file limit: %s", strerror(errno));
}

static void check_fd_budget(const struct ns_run *r)
{
	struct rlimit now;
	size_t need = r->plan.n + 64;
	if (getrlimit(RLIMIT_NOFILE, &now) == 0 && need > now.rlim_cur)
		die(GW_EXIT_SETUP, "the policy needs %zu mounts, more than this process may hold open "
		    "(%llu); raise the hard limit (ulimit -Hn) or use fewer, broader paths", r->plan.n,
		    (unsigned long long)now.rlim_cur);
}

/* In the child, before bubblewrap: the keeper's namespaces, then the
 * filesystem tree. */
static int enter_and_build(void *ctx)
{
	struct ns_run *r = ctx;
	int e = netns_join(&r->ns);
	if (e < 0) {
		log_error_errno(e, "cannot enter the sandbox's network namespace");
		return e;
	}
	if ((e = mounttree_build(&r->plan, r->staging)) < 0)
		return e;
	return setrlimit(RLIMIT_NOFILE, &r->nofile) < 0 ? -errno : 0;
}

static pid_t first_child(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long c;
	return f && fscanf(f, "%ld", &c) == 1 ? (pid_t)c : -1;
}

/* bubblewrap does not forward signals: deliver them to the command, which
 * runs below bubblewrap and its PID-1 reaper. */
static pid_t command_pid(pid_t child, void *ctx)
{
	(void)ctx;
	pid_t init = first_child(child);
	pid_t cmd = init > 0 ? first_child(init) : -1;
	return cmd > 0 ? cmd : child;
}

static bool sandbox_started(int ready_rd)
{
	char c;
	return read(ready_rd, &c, 1) == 1;
}

static int supervise_bwrap(struct ns_run *r, const char *bwrap)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC | O_NONBLOCK) < 0)
		die_errno(GW_EXIT_SETUP, errno, "pipe");
	int args_fd = bwrap_options_fd(r);
	int pfd = policy_fd(r);
	keep_fd(r, args_fd);
	keep_fd(r, pfd);
	keep_fd(r, ready[1]);
	_cleanup_strv_ char **argv = full_argv(r, bwrap, args_fd, pfd, ready[1]);
	if (log_debug_enabled()) {
		_cleanup_free_ char *line = gw_shell_join(argv);
		log_debug("running: %s", line);
	}
	struct gw_error err = { 0 };
	if (mountplan_make_placeholders(&r->plan, &err) < 0) {
		log_error("%s", err.msg);
		gw_error_clear(&err);
		mountplan_remove_placeholders(&r->plan);
		return GW_EXIT_SETUP;
	}
	struct gw_supervise s = {
		.argv = argv, .env = r->a->env, .keep_fds = r->fds, .n_keep_fds = r->n_fds,
		.pty = true, .child_setup = enter_and_build, .signal_target = command_pid, .ctx = r,
		.relays = r->relays, .n_relays = r->n_relays,
		.services_start = r->a->services_start, .services_stop = r->a->services_stop,
		.services_ctx = r->a->services_ctx,
	};
	int status = supervise_run(&s);
	mountplan_remove_placeholders(&r->plan);
	bool started = sandbox_started(ready[0]);
	close(ready[0]);
	if (!started && status < GW_EXIT_SETUP) {
		log_error("the sandbox could not be set up (bubblewrap failed, see above)");
		return GW_EXIT_SETUP;
	}
	return status;
}

int nsrun(struct gw_ns_args *a)
{
	struct ns_run r = { .a = a, .ns = GW_NETNS_INIT };
	struct gw_error err = { 0 };
	_cleanup_free_ char *bwrap = nsrun_find_bwrap(&err);
	if (!bwrap)
		die(GW_EXIT_SETUP, "%s", err.msg);
	/* The keeper builds the network namespace while the mounts are
	 * planned. */
	r.ns.capture = a->capture;
	if (netns_start(&r.ns, &err) < 0)
		die(GW_EXIT_SETUP, "%s", err.msg);
	raise_nofile(&r);
	plan_mounts(&r);
	check_fd_budget(&r);
	if (netns_finish(&r.ns, &err) < 0)
		die(GW_EXIT_SETUP, "%s", err.msg);
	if (a->capture) {
		*a->capture_out = r.ns.cap;
		r.ns.cap = (struct gw_capture_fds)GW_CAPTURE_FDS_INIT;
	}
	setup_relays(&r);
	r.staging = staging_dir();
	int status = supervise_bwrap(&r, bwrap);
	mountplan_free(&r.plan);
	netns_close(&r.ns);
	free(r.fds);
	gw_error_clear(&err);
	return status;
}
