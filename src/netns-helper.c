/* netns-helper.c: main of greywall-netns-helper, the setcap'd companion of
 * `greywall --no-bwrap --netns PIN`, for hosts where greywall cannot make
 * a user namespace (nested containers).  It makes network namespaces
 * whose traffic is captured, pins them under /run/greywall, lets their
 * owner run a command inside one, and removes them:
 *
 *   create --proxy socks5://HOST:PORT [--bridge-port N] [--debug]
 *                                     prints the new pin
 *   exec [--die-with-parent] --netns PIN [--] CMD [ARGS...]
 *                                     CMD in the namespace
 *   destroy PIN                       idempotent
 *   list | gc                         the caller's pins
 *
 * The namespace of a pin has lo, tun0 (or, when /dev/net/tun cannot be
 * opened, a route making every IPv4 address local) and the nftables
 * redirects of capture.h; its capture daemon (capd.h) serves the
 * redirected DNS and connections from the host's namespace and hands every
 * connection, by name, to the SOCKS5 proxy named at create.  exec's
 * CMD inherits the caller's fds and environment, less what the C library
 * removes from the environment of a program with file capabilities
 * (LD_*, TMPDIR, ...; greywall passes the command's own in an fd).
 *
 * Privileges: file capabilities cap_net_admin,cap_sys_admin, checked and
 * bracketed by privs.h; pins are files of the caller with the namespace
 * mounted on them (pin.h); nothing is ever executed while a capability is
 * held (exec drops them all and sets no_new_privs first), and no program
 * is looked up in PATH except the caller's CMD, after that drop.  The
 * helper is single-threaded, so "this process's namespace" is never
 * ambiguous.
 *
 * Exit status: 0; 1 refused or failed; 2 usage; for exec, CMD's own, 126
 * or 127 when it cannot be executed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capd.h"
#include "capture.h"
#include "cleanup.h"
#include "log.h"
#include "pin.h"
#include "privs.h"
#include "procid.h"
#include "proxyurl.h"
#include "sandbox.h"

#define PROG "greywall-netns-helper"
#define EXIT_FAIL 1
#define EXIT_USAGE 2
/* How long destroy waits for a daemon after SIGTERM, then after SIGKILL. */
#define STOP_TERM_MS 3000
#define STOP_KILL_MS 2000
/* gc leaves alone a pin this young without a sidecar: its create may
 * still be running. */
#define GC_GRACE_S 60

extern char **environ;

static void usage(FILE *f)
{
	fputs("Usage: " PROG " create --proxy socks5://HOST:PORT [--bridge-port N] [--debug]\n"
	      "       " PROG " exec [--die-with-parent] --netns " PIN_DIR "/ns-ID [--] COMMAND [ARGS...]\n"
	      "       " PROG " destroy " PIN_DIR "/ns-ID\n"
	      "       " PROG " list\n"
	      "       " PROG " gc\n"
	      "\n"
	      "create makes a network namespace whose DNS and TCP connections are captured\n"
	      "and passed, by name, to the SOCKS5 proxy (which decides), pins it, and prints\n"
	      "the pin.  exec runs COMMAND in a pin of yours, with no capabilities and\n"
	      "no_new_privs (greywall --no-bwrap --netns PIN does this for you).  destroy\n"
	      "stops the pin's capture daemon and removes the pin; list shows your pins;\n"
	      "gc destroys those whose capture daemon is gone.  --bridge-port N lets your\n"
	      "host processes reach a server the command runs on 127.0.0.1:N, at the\n"
	      "host's 127.0.0.1:N and at the Unix socket PIN.sock; connections of other\n"
	      "users are refused.\n"
	      "\n"
	      "Needs file capabilities (setcap cap_net_admin,cap_sys_admin+ep) and a\n"
	      PIN_DIR " owned by root, not world-writable: `make install-helper`.\n",
	      f);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	usage(stderr);
	exit(EXIT_USAGE);
}

static __attribute__((noreturn)) void die_err(struct gw_error *err)
{
	log_error("%s", err->msg ? err->msg : "failed");
	exit(EXIT_FAIL);
}

static const char *pin_arg(const char *arg)
{
	const char *name = pin_name_of(arg);
	if (!name)
		die(EXIT_FAIL, "refusing \"%s\": a pin is " PIN_DIR "/" PIN_PREFIX "<32 hex digits> "
		    "(or that name alone)", arg);
	return name;
}

static int open_dir_or_die(bool create)
{
	struct gw_error err = { 0 };
	int fd = pin_dir_open(create, &err);
	if (fd < 0)
		die_err(&err);
	return fd;
}

/* ---- create ------------------------------------------------------------- */

struct create_opts {
	char *proxy; /* in argv */
	uint16_t bridge_port;
	bool debug;
};

/* "--flag VALUE" or "--flag=VALUE": the value, advancing *i; NULL when
 * argv[*i] is not that flag. */
static char *flag_value(int argc, char **argv, int *i, const char *flag)
{
	size_t len = strlen(flag);
	if (strncmp(argv[*i], flag, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		die_usage("%s needs a value", flag);
	return argv[++*i];
}

static uint16_t parse_port(const char *v)
{
	char *end;
	errno = 0;
	long p = strtol(v, &end, 10);
	if (!*v || *end || errno || p < 1 || p > 65535)
		die_usage("create: --bridge-port %s: not a port (1-65535)", v);
	return (uint16_t)p;
}

static void parse_create(int argc, char **argv, struct create_opts *o)
{
	*o = (struct create_opts){ 0 };
	for (int i = 2; i < argc; i++) {
		char *v;
		if ((v = flag_value(argc, argv, &i, "--proxy"))) {
			o->proxy = v;
		} else if ((v = flag_value(argc, argv, &i, "--tun2socks"))) {
			log_warn("--tun2socks %s: ignored (capture is built in; nothing is executed)", v);
		} else if ((v = flag_value(argc, argv, &i, "--bridge-port"))) {
			o->bridge_port = parse_port(v);
		} else if (strcmp(argv[i], "--debug") == 0) {
			o->debug = true;
		} else {
			die_usage("create: unknown argument \"%s\"", argv[i]);
		}
	}
	if (!o->proxy || !*o->proxy)
		die_usage("create: --proxy %s is required", "socks5://HOST:PORT");
}

/* The daemon and the bridge keeper are forks of the helper and live as
 * long as the pin: their command line, which every user can read in
 * /proc, must not show the proxy's credentials.  Masked in place (argv's
 * memory is what /proc/PID/cmdline shows). */
static void hide_userinfo(char *url)
{
	char *p = strstr(url, "://");
	if (!p)
		return;
	p += 3;
	char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && (!slash || at < slash))
		memset(p, '*', (size_t)(at - p));
}

/* The upstream as the daemon uses it: SOCKS5, numeric host (resolved
 * here, once, without privileges).  Caller frees. */
static char *checked_proxy(const char *url)
{
	struct gw_proxy_url u;
	struct gw_error err = { 0 };
	if (proxyurl_parse(url, &u, &err) < 0)
		die(EXIT_FAIL, "create: --proxy: %s", err.msg);
	if (strcmp(u.scheme, "socks5") != 0 && strcmp(u.scheme, "socks5h") != 0)
		die(EXIT_FAIL, "create: --proxy %s: the proxy must be SOCKS5 (socks5:// or socks5h://)",
		    url);
	if (proxyurl_resolve_host(&u, &err) < 0)
		die(EXIT_FAIL, "create: --proxy: %s", err.msg);
	char *s = proxyurl_format(&u);
	proxyurl_free(&u);
	return s;
}

/* The network namespace of a socket, as an nsfs fd (needs CAP_NET_ADMIN
 * over it): no /proc path involved. */
static int netns_of_socket(int sock)
{
	int fd = ioctl(sock, SIOCGSKNS);
	if (fd < 0)
		return -errno;
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int host_netns(void)
{
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return s < 0 ? -errno : netns_of_socket(s);
}

/* Inside a namespace only the sandbox uses, ports below 1024 protect
 * nothing, and a server behind --bridge-port may want one.  Writing a
 * network sysctl of the namespace needs CAP_NET_ADMIN over it. */
static void open_low_ports(void)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start",
				      O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		log_debug("cannot open the ports below 1024 in the namespace: %s", strerror(errno));
}

/* Capture set up in a new namespace (the process is moved into it), and
 * *ns the nsfs fd of the namespace its sockets belong to.  Called with
 * the capabilities raised. */
static int capture_in_new_netns(struct gw_capture_fds *cap, int *ns, struct gw_error *err)
{
	if (unshare(CLONE_NEWNET) < 0)
		return gw_error_set(err, -errno, "unshare(CLONE_NEWNET): %s", strerror(errno));
	struct gw_capture_ports ports = { GW_CAPTURE_TCP_PORT, GW_CAPTURE_DNS_PORT };
	int r = capture_setup(&ports, cap, err);
	if (r < 0)
		return r;
	open_low_ports();
	*ns = netns_of_socket(cap->tcp_listener);
	if (*ns < 0)
		return gw_error_set(err, *ns, "cannot open the new network namespace: %s",
				    strerror(-*ns));
	return 0;
}

/* Make the namespace, set up capture in it, start the bridge keeper there
 * if asked (*keeper), pin the namespace on pinfd and come back to the
 * host's namespace.  On failure the caller must still unmount the pin (it
 * may be mounted). */
static int make_namespace(int dirfd, const char *name, int pinfd, const struct create_opts *o,
			  struct gw_capture_fds *cap, int *keeper, struct gw_error *err)
{
	if (privs_raise() < 0)
		return gw_error_set(err, -errno, "cannot raise capabilities: %s", strerror(errno));
	_cleanup_close_ int ns = -1;
	_cleanup_close_ int host = host_netns();
	int r = host < 0 ? gw_error_set(err, host, "cannot open the host's network namespace: %s",
					strerror(-host))
			 : capture_in_new_netns(cap, &ns, err);
	privs_lower();
	if (r == 0 && o->bridge_port && (*keeper = capd_keeper_start(o->debug, err)) < 0)
		r = *keeper;
	if (r == 0)
		r = pin_mount(dirfd, name, ns, pinfd, err);
	if (host >= 0 && (privs_raise() < 0 || setns(host, CLONE_NEWNET) < 0))
		die_errno(EXIT_FAIL, errno, "cannot return to the host's network namespace");
	privs_lower();
	return r;
}

static void abort_create(int dirfd, const char *name, int pidfd)
{
	if (pidfd >= 0)
		procid_stop(pidfd, STOP_TERM_MS, STOP_KILL_MS);
	int r = pin_unmount(dirfd, name);
	if (r < 0 && r != -EINVAL && r != -ENOENT)
		log_warn("cannot unmount " PIN_DIR "/%s: %s", name, strerror(-r));
	if ((r = pin_remove_files(dirfd, name)) < 0)
		log_warn("cannot remove " PIN_DIR "/%s: %s", name, strerror(-r));
}

static int record_daemon(int dirfd, const char *name, pid_t pid, struct gw_error *err)
{
	uint64_t start;
	int r = procid_start_time(pid, &start);
	if (r == 0)
		r = pin_sidecar_write(dirfd, name, pid, start);
	return r < 0 ? gw_error_set(err, r, "cannot record the capture daemon in " PIN_DIR
				    "/%s.pid: %s%s", name, strerror(-r),
				    r == -EEXIST ? " (another user made that file first)" : "") : 0;
}

/* Between the pin's creation and its sidecar, an interrupted create would
 * leave a pin that only gc removes: the usual ways to stop a command wait
 * until create is done (it is bounded: the daemon gets 10 s to start). */
static void block_interruptions(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int cmd_create(int argc, char **argv)
{
	struct create_opts o;
	parse_create(argc, argv, &o);
	block_interruptions();
	log_set_debug(o.debug);
	_cleanup_free_ char *upstream = checked_proxy(o.proxy);
	hide_userinfo(o.proxy);
	_cleanup_close_ int dirfd = open_dir_or_die(true);
	struct gw_error err = { 0 };
	char name[PIN_NAME_MAX];
	_cleanup_close_ int pinfd = pin_file_create(dirfd, name, &err);
	if (pinfd < 0)
		die_err(&err);
	struct gw_capture_fds cap = GW_CAPTURE_FDS_INIT;
	_cleanup_close_ int keeper = -1;
	int r = make_namespace(dirfd, name, pinfd, &o, &cap, &keeper, &err);
	log_debug("pinned %s/%s (%s)", PIN_DIR, name, cap.tun >= 0 ? "tun0" : "no tun0: lo only");
	_cleanup_close_ int sock = -1;
	if (r == 0 && o.bridge_port && (sock = pin_sock_listen(dirfd, name)) < 0)
		r = gw_error_set(&err, sock, "cannot make the bridge's socket " PIN_DIR "/%s.sock: %s%s",
				 name, strerror(-sock),
				 sock == -EADDRINUSE ? " (another user made that file first)" : "");
	struct capd_args a = { .upstream = upstream, .debug = o.debug,
			       .bridge = { .port = o.bridge_port, .keeper_fd = keeper,
					   .unix_fd = sock } };
	pid_t pid = -1;
	_cleanup_close_ int ctl = -1;
	_cleanup_close_ int pidfd = r < 0 ? -1 : capd_start(&a, &cap, &pid, &ctl, &err);
	capture_fds_close(&cap);
	/* The daemon has its copy: the keeper lives as long as the daemon. */
	gw_close_fd(keeper);
	keeper = -1;
	if (r == 0 && pidfd < 0)
		r = pidfd;
	if (r == 0)
		r = record_daemon(dirfd, name, pid, &err);
	if (r == 0 && (r = capd_go(ctl)) < 0)
		gw_error_set(&err, r, "the capture daemon is gone: %s", strerror(-r));
	if (r < 0) {
		/* Closed first: a daemon still waiting for the go-ahead exits
		 * at once instead of at the end of its wait. */
		gw_close_fd(ctl);
		ctl = -1;
		abort_create(dirfd, name, pidfd);
		die_err(&err);
	}
	printf("%s/%s\n", PIN_DIR, name);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* ---- exec --------------------------------------------------------------- */

/* Whether the daemon the sidecar of `name` records is running: 1 yes,
 * 0 no, -ENOENT no sidecar (*pid gets the recorded PID, if any). */
static int daemon_alive(int dirfd, const char *name, pid_t *pid)
{
	uint64_t start;
	*pid = 0;
	int r = pin_sidecar_read(dirfd, name, getuid(), pid, &start);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return 0;
	_cleanup_close_ int pidfd = procid_open(*pid, start);
	return pidfd >= 0 && procid_alive(pidfd);
}

/* --die-with-parent: the command is killed when the process that ran
 * the helper dies (greywall's supervisor), as a child greywall starts
 * directly is.  That has to be set again here: the kernel clears it when
 * a program with file capabilities is executed.  Set after the
 * capabilities are gone, since changing credentials clears it too. */
static void die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die_errno(EXIT_FAIL, errno, "exec: PR_SET_PDEATHSIG");
	if (getppid() != parent)
		_exit(EXIT_FAIL);
}

static int cmd_exec(int argc, char **argv)
{
	pid_t parent = getppid();
	const char *pin = NULL;
	bool pdeath = false;
	int i = 2;
	for (; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if ((v = flag_value(argc, argv, &i, "--netns")))
			pin = v;
		else if (strcmp(argv[i], "--die-with-parent") == 0)
			pdeath = true;
		else
			break;
	}
	if (!pin)
		die_usage("exec: --netns %s is required", PIN_DIR "/ns-ID");
	if (i >= argc)
		die_usage("exec: no command specified");
	const char *name = pin_arg(pin);
	int dirfd = open_dir_or_die(false);
	struct gw_error err = { 0 };
	int nsfd = pin_open_netns(dirfd, name, getuid(), &err);
	if (nsfd < 0)
		die_err(&err);
	/* Still safe (nothing gets out), but the user should know why. */
	pid_t pid;
	if (daemon_alive(dirfd, name, &pid) != 1)
		log_warn(PIN_DIR "/%s: its capture daemon is gone, so nothing will reach the network "
			 "(`" PROG " gc` removes such pins)", name);
	if (privs_raise() < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		die_errno(EXIT_FAIL, errno, "exec: setns");
	int r = privs_drop_all();
	if (r < 0)
		die_errno(EXIT_FAIL, -r, "exec: cannot drop every capability");
	if (pdeath)
		die_with_parent(parent);
	close(nsfd);
	close(dirfd);
	/* The caller's fds (greywall's policy and ready pipe) go on to CMD. */
	return sandbox_exec(argv + i, environ);
}

/* ---- destroy, list, gc -------------------------------------------------- */

/* Stop the daemon the sidecar names, if it is still that process.
 * 0 or -errno with err set. */
static int stop_daemon(int dirfd, const char *name, struct gw_error *err)
{
	pid_t pid;
	uint64_t start;
	int r = pin_sidecar_read(dirfd, name, getuid(), &pid, &start);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_warn(PIN_DIR "/%s.pid: %s: no process signalled", name,
			 r == -EPERM ? "not a file of yours" : r == -EINVAL ? "malformed"
									  : strerror(-r));
		return 0;
	}
	_cleanup_close_ int pidfd = procid_open(pid, start);
	if (pidfd == -ESRCH) {
		log_debug("capture daemon %d: already gone", (int)pid);
		return 0;
	}
	if (pidfd < 0)
		return gw_error_set(err, pidfd, "capture daemon %d: %s", (int)pid, strerror(-pidfd));
	r = procid_stop(pidfd, STOP_TERM_MS, STOP_KILL_MS);
	if (r < 0)
		return gw_error_set(err, r, "cannot stop the capture daemon %d: %s", (int)pid,
				    strerror(-r));
	log_debug("capture daemon %d stopped", (int)pid);
	return 0;
}

/* Stop the daemon, unmount, remove the files.  A step that fails does
 * not keep the next ones from being done (a daemon that cannot be stopped
 * must not keep its pin); the first failure is returned. */
static int destroy_pin(int dirfd, const char *name, struct gw_error *err)
{
	int r = pin_check_owner(dirfd, name, getuid(), err);
	bool absent = r == -ENOENT;
	if (r < 0 && !absent)
		return r;
	gw_error_clear(err);
	int first = stop_daemon(dirfd, name, err);
	if (!absent) {
		struct gw_error e2 = { 0 };
		int mounted = pin_open_mounted(dirfd, name, NULL, first < 0 ? &e2 : err);
		gw_error_clear(&e2);
		if (mounted < 0)
			return first < 0 ? first : mounted;
		r = mounted ? pin_unmount(dirfd, name) : 0;
		if (r < 0 && first == 0)
			first = gw_error_set(err, r, "cannot unmount " PIN_DIR "/%s: %s", name,
					     strerror(-r));
		if (r < 0)
			return first;
	}
	r = pin_remove_files(dirfd, name);
	if (r < 0)
		log_warn("cannot remove every file of " PIN_DIR "/%s: %s", name, strerror(-r));
	return first;
}

static int cmd_destroy(int argc, char **argv)
{
	if (argc != 3)
		die_usage("destroy: exactly one pin (%s) is required", PIN_DIR "/ns-ID");
	const char *name = pin_arg(argv[2]);
	_cleanup_close_ int dirfd = open_dir_or_die(false);
	struct gw_error err = { 0 };
	if (destroy_pin(dirfd, name, &err) < 0)
		die_err(&err);
	return 0;
}

enum pin_state { PIN_RUNNING, PIN_STARTING, PIN_STALE };

/* State of one of the caller's pins; *pid gets the daemon's when known. */
static enum pin_state pin_state(int dirfd, const char *name, const struct stat *under, pid_t *pid)
{
	int alive = daemon_alive(dirfd, name, pid);
	if (alive == -ENOENT)
		return time(NULL) - under->st_mtime < GC_GRACE_S ? PIN_STARTING : PIN_STALE;
	return alive == 1 && pin_open_mounted(dirfd, name, NULL, NULL) == 1 ? PIN_RUNNING
									       : PIN_STALE;
}

/* Call fn for each pin of the caller. */
static int for_each_pin(int dirfd, int (*fn)(int dirfd, const char *name, enum pin_state st,
					     pid_t pid))
{
	int r;
	_cleanup_strv_ char **names = pin_list_names(dirfd, getuid(), &r);
	if (!names)
		die_errno(EXIT_FAIL, -r, "cannot list " PIN_DIR);
	int status = 0;
	for (size_t i = 0; names[i]; i++) {
		struct stat st;
		if (pin_underlying_stat(dirfd, names[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != getuid())
			continue;
		pid_t pid;
		enum pin_state s = pin_state(dirfd, names[i], &st, &pid);
		if (fn(dirfd, names[i], s, pid) < 0)
			status = EXIT_FAIL;
	}
	return status;
}

static int list_one(int dirfd, const char *name, enum pin_state st, pid_t pid)
{
	(void)dirfd;
	if (st == PIN_RUNNING)
		printf("%s/%s running %d\n", PIN_DIR, name, (int)pid);
	else
		printf("%s/%s %s\n", PIN_DIR, name, st == PIN_STARTING ? "starting" : "stale");
	return 0;
}

static int gc_one(int dirfd, const char *name, enum pin_state st, pid_t pid)
{
	(void)pid;
	if (st != PIN_STALE)
		return 0;
	struct gw_error err = { 0 };
	if (destroy_pin(dirfd, name, &err) < 0) {
		log_error("%s", err.msg);
		gw_error_clear(&err);
		return -1;
	}
	printf("destroyed %s/%s\n", PIN_DIR, name);
	return 0;
}

static int cmd_list(int argc, char **argv, bool gc)
{
	if (argc != 2)
		die_usage("%s takes no arguments", argv[1]);
	_cleanup_close_ int dirfd = open_dir_or_die(false);
	int r = for_each_pin(dirfd, gc ? gc_one : list_one);
	return fflush(stdout) == 0 ? r : EXIT_FAIL;
}

/* ---- main --------------------------------------------------------------- */

/* A privileged program must not let its own output land in a file the
 * caller opened on a closed fd 0-2. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n != fd)
			_exit(EXIT_FAIL);
	}
}

int main(int argc, char **argv)
{
	ensure_stdio();
	log_set_prog(PROG);
	const char *cmd = argc > 1 ? argv[1] : NULL;
	if (cmd && (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 ||
		    strcmp(cmd, "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (!cmd)
		die_usage("no subcommand");
	struct gw_error err = { 0 };
	if (privs_init(&err) < 0)
		die_err(&err);
	/* Only exec hands fds on (to its command); nothing else needs the
	 * caller's, and the capture daemon must not inherit them.  exec
	 * makes no file, and its command keeps the caller's umask. */
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc, argv);
	umask(077);
	syscall(SYS_close_range, 3u, ~0u, 0u);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(argc, argv);
	if (strcmp(cmd, "destroy") == 0)
		return cmd_destroy(argc, argv);
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "gc") == 0)
		return cmd_list(argc, argv, strcmp(cmd, "gc") == 0);
	die_usage("unknown subcommand \"%s\"", cmd);
}
