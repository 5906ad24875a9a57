/* netns.c: see netns.h. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "caps.h"
#include "cleanup.h"
#include "log.h"
#include "relay.h"

/* Setup stages, reported by the keeper so the error names what failed. */
enum stage {
	ST_OK = 0,
	ST_UNSHARE,
	ST_MAPS,
	ST_LOOPBACK,
	ST_CAPS,
	ST_NSFD,
	ST_CAPTURE,
};

struct status_msg {
	int32_t stage;
	int32_t err;   /* positive errno */
	char msg[512]; /* ST_CAPTURE: capture_setup()'s diagnosis */
};

/* The most fds one keeper message carries: the capture sockets. */
#define MAX_FDS 4

enum { OP_SOCKET = 'S', OP_LISTEN = 'L' };

struct request {
	uint8_t op;
	uint16_t port;
};

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	if (n < 0)
		return -errno;
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

/* Map our own ids only: an unprivileged process may do that much without
 * help, and the sandbox sees the same uid/gid as outside. */
static int write_id_maps(uid_t uid, gid_t gid)
{
	char line[64];
	int r = write_file("/proc/self/setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if ((r = write_file("/proc/self/uid_map", line)) < 0)
		return r;
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", line);
}

static int loopback_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

/* Capture needs the namespace's CAP_NET_ADMIN, so it is set up before
 * the keeper drops its capabilities. */
static struct status_msg setup_capture(struct gw_capture_fds *cfds)
{
	struct gw_capture_ports ports = { GW_CAPTURE_TCP_PORT, GW_CAPTURE_DNS_PORT };
	struct gw_error err = { 0 };
	struct status_msg st = { ST_OK, 0, "" };
	int r = capture_setup(&ports, cfds, &err);
	if (r < 0) {
		st = (struct status_msg){ ST_CAPTURE, -r, "" };
		snprintf(st.msg, sizeof st.msg, "%s", err.msg ? err.msg : strerror(-r));
	}
	gw_error_clear(&err);
	return st;
}

static struct status_msg keeper_setup(uid_t uid, gid_t gid, bool capture,
				      struct gw_capture_fds *cfds)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return (struct status_msg){ ST_UNSHARE, errno, "" };
	int r = write_id_maps(uid, gid);
	if (r < 0)
		return (struct status_msg){ ST_MAPS, -r, "" };
	if ((r = loopback_up()) < 0)
		return (struct status_msg){ ST_LOOPBACK, -r, "" };
	/* Inside a namespace that only the sandbox uses, ports below 1024
	 * protect nothing; `-f 80` and servers on low ports should just work. */
	(void)write_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0");
	if (capture) {
		struct status_msg st = setup_capture(cfds);
		if (st.stage != ST_OK)
			return st;
	}
	if ((r = caps_drop_all()) < 0)
		return (struct status_msg){ ST_CAPS, -r, "" };
	return (struct status_msg){ ST_OK, 0, "" };
}

/* One datagram of `len` bytes with up to MAX_FDS fds attached. */
static int send_with_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Receive exactly `len` bytes and at most `nfds` fds (up to MAX_FDS); fds
 * beyond that, or with a malformed message, are closed.  Returns the
 * number of fds stored, or -errno. */
static int recv_with_fds(int sock, void *data, size_t len, int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = data, .iov_len = len };
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof u.buf };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int got[MAX_FDS], ngot = 0;
	if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)) &&
	    c->cmsg_len <= CMSG_LEN(sizeof got)) {
		ngot = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(got, CMSG_DATA(c), (size_t)ngot * sizeof(int));
	}
	if (n != (ssize_t)len || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)ngot > nfds) {
		for (int i = 0; i < ngot; i++)
			close(got[i]);
		return -EPROTO;
	}
	memcpy(fds, got, (size_t)ngot * sizeof(int));
	return ngot;
}

void netns_keeper_serve(int sock)
{
	for (;;) {
		struct request rq;
		ssize_t n = recv(sock, &rq, sizeof rq, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof rq)
			_exit(0); /* the supervisor is gone or done */
		int fd = -EINVAL;
		if (rq.op == OP_SOCKET) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				fd = -errno;
		} else if (rq.op == OP_LISTEN) {
			fd = relay_listen_loopback(rq.port);
		}
		int32_t e = fd < 0 ? -fd : 0;
		if (send_with_fds(sock, &e, sizeof e, &fd, fd < 0 ? 0 : 1) < 0)
			_exit(0);
		gw_close_fd(fd);
	}
}

/* After the namespaces: the capture sockets, in the order of struct
 * gw_capture_fds (tcp_listener, dns_udp, dns_tcp, tun if any). */
static int send_capture(int sock, struct gw_capture_fds *c)
{
	int fds[MAX_FDS] = { c->tcp_listener, c->dns_udp, c->dns_tcp, c->tun };
	int32_t has_tun = c->tun >= 0;
	int r = send_with_fds(sock, &has_tun, sizeof has_tun, fds, has_tun ? 4 : 3);
	capture_fds_close(c);
	return r;
}

static __attribute__((noreturn)) void keeper_main(int sock, pid_t parent, bool capture)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* Nothing of the supervisor's (the policy, terminals, listeners) is
	 * needed here. */
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(1);
		sock = 3;
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	struct gw_capture_fds cfds = GW_CAPTURE_FDS_INIT;
	struct status_msg st = keeper_setup(getuid(), getgid(), capture, &cfds);
	int fds[2] = { -1, -1 };
	if (st.stage == ST_OK) {
		fds[0] = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
		fds[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fds[0] < 0 || fds[1] < 0)
			st = (struct status_msg){ ST_NSFD, errno, "" };
	}
	/* Only now: a non-dumpable process cannot write its own id maps.
	 * The namespaces go to the supervisor as fds because /proc/PID/ns of
	 * a non-dumpable process cannot be opened by others. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	if (send_with_fds(sock, &st, sizeof st, fds, st.stage == ST_OK ? 2 : 0) < 0 ||
	    st.stage != ST_OK)
		_exit(1);
	close(fds[0]);
	close(fds[1]);
	if (capture && send_capture(sock, &cfds) < 0)
		_exit(1);
	netns_keeper_serve(sock);
}

static long read_long(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long v;
	return f && fscanf(f, "%ld", &v) == 1 ? v : -1;
}

static bool under_seccomp(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			return atoi(line + 8) != 0;
	return false;
}

static const char *ways_out =
	"Ways out: run with `--no-bwrap` (Landlock + seccomp, proxy variables only; "
	"kernel-enforced egress there needs a network namespace pinned by "
	"greywall-netns-helper: `make install-helper`, then `--no-bwrap --netns PIN`); or "
	"allow user namespaces for greywall and bwrap (see the cause above; the README's "
	"\"User namespaces\" has an AppArmor profile).";

/* Name the cause of a failed user namespace, from what the kernel exposes. */
static char *diagnose(const struct status_msg *st)
{
	if (st->stage == ST_CAPTURE)
		return xasprintf("cannot set up traffic capture in the sandbox's network namespace "
				 "(greywall does not start a sandbox whose traffic it cannot see): %.*s",
				 (int)sizeof st->msg, st->msg);
	const char *what = st->stage == ST_UNSHARE ? "cannot create a user namespace"
			   : st->stage == ST_MAPS   ? "cannot set up the user namespace's id maps"
			   : st->stage == ST_LOOPBACK ? "cannot configure the network namespace"
			   : st->stage == ST_NSFD     ? "cannot open the new namespaces"
						      : "cannot drop capabilities in the namespace keeper";
	const char *cause;
	if (read_long("/proc/sys/user/max_user_namespaces") == 0)
		cause = "user namespaces are disabled: sysctl user.max_user_namespaces is 0 "
			"(set it to a positive value to allow them)";
	else if (read_long("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		cause = "unprivileged user namespaces are disabled: sysctl "
			"kernel.unprivileged_userns_clone is 0";
	else if (read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		cause = "AppArmor restricts unprivileged user namespaces "
			"(kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10 and later); "
			"install an AppArmor profile for greywall and bwrap that grants `userns,` "
			"(see the README, \"User namespaces\")";
	else if (st->err == EPERM && under_seccomp())
		cause = "a seccomp filter forbids it (a container's default seccomp profile, "
			"e.g. Docker's, blocks unshare and clone of namespaces)";
	else if (st->err == ENOSPC)
		cause = "the limit on user namespaces is reached (user.max_user_namespaces)";
	else
		cause = "the kernel refused it";
	return xasprintf("%s (%s): %s.\n%s", what, strerror(st->err), cause, ways_out);
}

static int start_keeper(struct gw_netns *ns, struct gw_error *err)
{
	bool capture = ns->capture;
	*ns = (struct gw_netns)GW_NETNS_INIT;
	ns->capture = capture;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return gw_error_set(err, -errno, "socketpair: %s", strerror(errno));
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return gw_error_set(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(sv[1], parent, ns->capture);
	}
	close(sv[1]);
	ns->keeper = pid;
	ns->ctl_fd = sv[0];
	return 0;
}

static int recv_capture(struct gw_netns *ns, struct gw_error *err)
{
	int32_t has_tun;
	int fds[MAX_FDS];
	int n = recv_with_fds(ns->ctl_fd, &has_tun, sizeof has_tun, fds, MAX_FDS);
	if (n < 0 || n != (has_tun ? 4 : 3)) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return gw_error_set(err, -EPROTO, "the network namespace keeper sent no capture sockets");
	}
	ns->cap = (struct gw_capture_fds){ fds[0], fds[1], fds[2], has_tun ? fds[3] : -1 };
	return 0;
}

static int finish_keeper(struct gw_netns *ns, struct gw_error *err)
{
	struct status_msg st;
	int fds[2];
	int n = recv_with_fds(ns->ctl_fd, &st, sizeof st, fds, 2);
	if (n < 0)
		return gw_error_set(err, -EIO, "the network namespace keeper died during setup");
	if (st.stage != ST_OK || n != 2) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (st.stage == ST_OK)
			return gw_error_set(err, -EPROTO, "the network namespace keeper sent no namespaces");
		_cleanup_free_ char *why = diagnose(&st);
		return gw_error_set(err, -st.err, "%s", why);
	}
	ns->userns_fd = fds[0];
	ns->netns_fd = fds[1];
	return ns->capture ? recv_capture(ns, err) : 0;
}

int netns_start(struct gw_netns *ns, struct gw_error *err)
{
	return start_keeper(ns, err);
}

int netns_finish(struct gw_netns *ns, struct gw_error *err)
{
	int r = ns->ctl_fd >= 0 ? finish_keeper(ns, err) : -EBADF;
	if (r < 0)
		netns_close(ns);
	return r;
}

int netns_create(struct gw_netns *ns, struct gw_error *err)
{
	int r = netns_start(ns, err);
	return r < 0 ? r : netns_finish(ns, err);
}

int netns_join(const struct gw_netns *ns)
{
	/* The user namespace first: it owns the network namespace, and we are
	 * its owner, so entering it gives the capability setns() needs. */
	if (setns(ns->userns_fd, CLONE_NEWUSER) < 0)
		return -errno;
	if (setns(ns->netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	return 0;
}

static int request(int ctl_fd, uint8_t op, uint16_t port)
{
	if (ctl_fd < 0)
		return -EBADF;
	struct request rq = { .op = op, .port = port };
	if (send(ctl_fd, &rq, sizeof rq, MSG_NOSIGNAL) != (ssize_t)sizeof rq)
		return -EPIPE;
	int32_t e;
	int fd = -1;
	int n = recv_with_fds(ctl_fd, &e, sizeof e, &fd, 1);
	if (n < 0)
		return n;
	if (e != 0 || n != 1) {
		gw_close_fd(fd);
		return e ? -e : -EPROTO;
	}
	return fd;
}

int netns_socket(struct gw_netns *ns)
{
	return request(ns->ctl_fd, OP_SOCKET, 0);
}

int netns_keeper_socket(int ctl_fd)
{
	return request(ctl_fd, OP_SOCKET, 0);
}

int netns_listen(struct gw_netns *ns, uint16_t port)
{
	return request(ns->ctl_fd, OP_LISTEN, port);
}

void netns_close(struct gw_netns *ns)
{
	capture_fds_close(&ns->cap);
	gw_close_fd(ns->ctl_fd);
	gw_close_fd(ns->userns_fd);
	gw_close_fd(ns->netns_fd);
	ns->ctl_fd = ns->userns_fd = ns->netns_fd = -1;
	if (ns->keeper > 0) {
		kill(ns->keeper, SIGKILL);
		while (waitpid(ns->keeper, NULL, 0) < 0 && errno == EINTR)
			;
		ns->keeper = -1;
	}
}

int netns_probe_capture(struct gw_error *err)
{
	struct gw_netns ns = GW_NETNS_INIT;
	ns.capture = true;
	int r = netns_create(&ns, err);
	if (r == 0)
		netns_close(&ns);
	return r;
}

int netns_probe(struct gw_error *err)
{
	struct gw_netns ns = GW_NETNS_INIT;
	int r = netns_create(&ns, err);
	if (r == 0)
		netns_close(&ns);
	return r;
}
