/* capd.c: see capd.h. */
#include "capd.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "evloop.h"
#include "log.h"
#include "netns.h"
#include "netsvc.h"
#include "privs.h"
#include "procid.h"
#include "relay.h"

extern char **environ;

#define READY_TIMEOUT_MS 10000

/* The daemon's first and only message to the helper. */
struct report {
	int32_t err; /* 0: serving; else a positive errno */
	char msg[480];
};

struct daemon {
	struct gw_evloop loop;
	struct gw_ev sig;
	struct gw_netsvc net;
	struct capd_bridge bridge;
	struct gw_relay_set *relays;
};

static void report(int fd, int err, const char *msg)
{
	struct report rep = { .err = err };
	snprintf(rep.msg, sizeof rep.msg, "%s", msg ? msg : strerror(err));
	if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
		_exit(1);
}

static __attribute__((noreturn)) void fail(int fd, int err, const char *msg)
{
	report(fd, err < 0 ? -err : err, msg);
	_exit(1);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd from 3 up, except the n in keep (-1 entries ignored). */
static void close_all_but(int *keep, size_t n)
{
	qsort(keep, n, sizeof *keep, cmp_int);
	unsigned next = 3;
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)next)
			continue;
		if ((unsigned)keep[i] > next)
			syscall(SYS_close_range, next, (unsigned)keep[i] - 1, 0u);
		next = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0u, 0u);
}

static int null_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = 0;
	for (int i = 0; i <= (keep_stderr ? 1 : 2) && r == 0; i++)
		if (dup2(fd, i) < 0)
			r = -errno;
	close(fd);
	return r;
}

/* Everything a process forked from the helper inherited from it and from
 * the caller, gone: only the fds in keep stay.  Returns 0, or -errno with
 * *what naming the step that failed. */
static int become_plain(int *keep, size_t n, bool debug, const char **what)
{
	*what = "setsid";
	if (setsid() < 0)
		return -errno;
	close_all_but(keep, n);
	*what = "cannot put stdio on /dev/null";
	int r = null_stdio(debug);
	if (r < 0)
		return r;
	/* Wiped, not only dropped: the caller's variables must not linger
	 * in the daemon's memory (nor in its /proc/PID/environ). */
	for (char **e = environ; e && *e; e++)
		explicit_bzero(*e, strlen(*e));
	clearenv();
	umask(077);
	*what = "chdir /";
	if (chdir("/") < 0)
		return -errno;
	*what = "cannot drop every capability";
	if ((r = privs_drop_all()) < 0)
		return r;
	/* A clean signal state: create blocks a few, and the caller may have
	 * ignored some (which nothing here should depend on). */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	return 0;
}

static void sig_cb(struct gw_ev *ev, uint32_t events)
{
	struct daemon *d = gw_container_of(ev, struct daemon, sig);
	struct signalfd_siginfo si;
	(void)events;
	while (read(ev->fd, &si, sizeof si) == (ssize_t)sizeof si)
		d->loop.stop = true;
}

static int start_signals(struct daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	evloop_ev_init(&d->sig, fd, sig_cb);
	return evloop_set(&d->loop, &d->sig, EPOLLIN);
}

/* ---- the port bridge ---------------------------------------------------- */

static int peer_in_netns(void *ctx)
{
	return netns_keeper_socket(*(int *)ctx);
}

/* Host 127.0.0.1:port relayed to 127.0.0.1:port in the namespace, through
 * sockets the bridge keeper makes there.  -errno with *what on failure. */
static int start_bridge(struct daemon *d, const char **what)
{
	*what = "the bridge keeper does not answer";
	int fd = netns_keeper_socket(d->bridge.keeper_fd);
	if (fd < 0)
		return fd;
	close(fd);
	*what = "the bridge's Unix socket is missing";
	if (d->bridge.unix_fd < 0)
		return -EBADF;
	struct gw_relay rl[3];
	size_t n = 0;
	/* In the order the listeners are added below. */
	static const char *const kinds[] = { " (socket)", "", " ([::1])" };
	for (size_t i = 0; i < 3; i++) {
		rl[i] = (struct gw_relay){
			.listen_fd = -1, .new_peer = peer_in_netns, .ctx = &d->bridge.keeper_fd,
			.peer = { .sin_family = AF_INET, .sin_port = htons(d->bridge.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
			.owner_only = true, .owner = getuid() };
		snprintf(rl[i].what, sizeof rl[i].what, "--bridge-port %u%s", d->bridge.port, kinds[i]);
	}
	rl[n++].listen_fd = steal_fd(&d->bridge.unix_fd); /* relay_start() owns it from here */
	int r = relay_listen_loopback(d->bridge.port);
	*what = "cannot listen on the host's 127.0.0.1 for the bridge";
	if (r >= 0) {
		rl[n++].listen_fd = r;
		/* localhost may mean ::1 to a client: the port there must be
		 * the bridge's too, not free for another user to take. */
		r = relay_listen_loopback6(d->bridge.port);
		*what = "cannot listen on the host's [::1] for the bridge";
		if (r >= 0)
			rl[n++].listen_fd = r;
		else if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT)
			r = 0; /* no IPv6 loopback here: nobody can listen there */
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			gw_close_fd(rl[i].listen_fd);
		return r;
	}
	*what = "cannot start the bridge";
	return relay_start(&d->loop, rl, n, &d->relays);
}

/* ---- the daemon --------------------------------------------------------- */

#define GO_BYTE 'g'

/* The helper's go-ahead on the control socket, waiting at most
 * READY_TIMEOUT_MS; false when it closed the socket or said nothing. */
static bool await_go(int ctl)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	char c = 0;
	return r == 1 && read(ctl, &c, 1) == 1 && c == GO_BYTE;
}

static __attribute__((noreturn)) void daemon_main(int ready, const struct capd_args *a,
						  struct gw_capture_fds *cap)
{
	log_set_prog("greywall-netns-capd");
	/* What ps shows: the daemon runs from a fork of the helper. */
	(void)prctl(PR_SET_NAME, "greywall-capd");
	struct daemon d = { .sig.fd = -1, .bridge = a->bridge };
	int keep[] = { ready, cap->tcp_listener, cap->dns_udp, cap->dns_tcp, cap->tun,
		       d.bridge.keeper_fd, d.bridge.unix_fd };
	const char *what;
	int r = become_plain(keep, sizeof keep / sizeof keep[0], a->debug, &what);
	if (r < 0)
		fail(ready, r, what);
	struct gw_error err = { 0 };
	if (netsvc_prepare_upstream(&d.net, a->upstream, &err) < 0)
		fail(ready, EINVAL, err.msg);
	d.net.cap = *cap;
	what = "cannot start the capture engine";
	r = evloop_init(&d.loop);
	if (r == 0)
		r = start_signals(&d);
	if (r == 0)
		r = netsvc_start(&d.loop, &d.net);
	if (r == 0 && d.bridge.port)
		r = start_bridge(&d, &what);
	if (r < 0)
		fail(ready, r, what);
	report(ready, 0, "");
	/* Serving only once the helper has recorded us in the sidecar: a
	 * helper killed before that leaves no daemon that nothing names. */
	if (!await_go(ready))
		_exit(1);
	close(ready);
	log_debug("capture daemon serving, upstream %s", a->upstream);
	r = evloop_run(&d.loop);
	relay_stop(d.relays);
	netsvc_stop(&d.net);
	netsvc_free(&d.net);
	evloop_close(&d.loop, &d.sig);
	evloop_free(&d.loop);
	log_debug("capture daemon stopped");
	_exit(r < 0 ? 1 : 0);
}

/* The daemon's report, waiting at most READY_TIMEOUT_MS. */
static int read_report(int fd, struct report *rep)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	ssize_t n;
	do
		n = read(fd, rep, sizeof *rep);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof *rep)
		return -EPIPE;
	rep->msg[sizeof rep->msg - 1] = '\0';
	return 0;
}

int capd_start(const struct capd_args *a, struct gw_capture_fds *cap, pid_t *pid, int *ctl,
	       struct gw_error *err)
{
	int p[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		capture_fds_close(cap);
		return gw_error_set(err, -errno, "socketpair: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		daemon_main(p[1], a, cap);
	}
	int e = errno;
	close(p[1]);
	capture_fds_close(cap);
	_cleanup_close_ int rfd = p[0];
	if (child < 0)
		return gw_error_set(err, -e, "fork: %s", strerror(e));
	/* Our own child: its PID cannot be reused before we are gone. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		return gw_error_set(err, -errno, "pidfd_open: %s", strerror(errno));
	struct report rep;
	int r = read_report(rfd, &rep);
	if (r == 0 && rep.err)
		r = gw_error_set(err, -rep.err, "the capture daemon failed: %s", rep.msg);
	else if (r < 0)
		gw_error_set(err, r, "the capture daemon did not report: %s", strerror(-r));
	if (r < 0) {
		procid_stop(pidfd, 0, 1000);
		return r;
	}
	*pid = child;
	*ctl = steal_fd(&rfd);
	return steal_fd(&pidfd);
}

int capd_go(int ctl)
{
	char c = GO_BYTE;
	return send(ctl, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* ---- the bridge keeper -------------------------------------------------- */

int capd_keeper_start(bool debug, struct gw_error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return gw_error_set(err, -errno, "socketpair: %s", strerror(errno));
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		(void)prctl(PR_SET_NAME, "greywall-bridge");
		const char *what;
		if (become_plain(&sv[1], 1, debug, &what) < 0)
			_exit(1);
		netns_keeper_serve(sv[1]);
	}
	int e = errno;
	close(sv[1]);
	if (child < 0) {
		close(sv[0]);
		return gw_error_set(err, -e, "fork: %s", strerror(e));
	}
	return sv[0];
}
