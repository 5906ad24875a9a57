/* test-capture.c: capture_setup() (src/capture.c) against the real kernel.
 *
 * Each case forks a child that creates a user and a network namespace, as
 * the keeper does, runs capture_setup() there and then checks from inside
 * what a sandboxed program would see.  The child reports a failure as a
 * message over a pipe (exit status 1, or 77 to skip); the parent turns it
 * into TAP.  Every wait is bounded: poll() timeouts inside, and a deadline
 * on the whole child.
 *
 * Three ways to set up:
 *   TUN     the namespace maps the caller's uid to root.  Run as root, host
 *           root is then mapped, /dev/net/tun (0600 root) opens and tun0
 *           is used.
 *   UNPRIV  run as root, the child first becomes uid 65534: /dev/net/tun
 *           cannot be opened (EACCES), so the real fallback is taken
 *           (local default route on lo), exactly as for an ordinary user.
 *           Not run as root, this is the same as TUN.
 *   NO_TUN  the GW_CAPTURE_NO_TUN flag forces the fallback.
 * Cases that need the tun device skip without it unless they run as root.
 *
 * Environment: CI=1 turns skips (no user namespaces, no nft) into
 * failures. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/netfilter_ipv4.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "capture.h"
#include "netns.h"
#include "caps.h"
#include "nftnl.h"
#include "tap.h"

#define WAIT_MS 5000
#define CHILD_TIMEOUT_MS 30000
#define NOBODY 65534

enum mode { TUN, UNPRIV, NO_TUN };

struct ctx {
	enum mode mode;
	bool setup;            /* capture_setup() ran before the check */
	struct gw_capture_ports ports;
	struct gw_capture_fds fds;
	int peer;              /* socket to the test process (fd passing) */
	bool host_root;        /* the namespace maps host root (TUN as root) */
	bool skip;
	char msg[1024];
};

typedef const char *(*check_fn)(struct ctx *c);
/* Runs in the test process while the child runs; returns NULL or what
 * went wrong (in msg). */
typedef const char *(*parent_fn)(int peer, char *msg, size_t size);

static const struct gw_capture_ports ports = { GW_CAPTURE_TCP_PORT, GW_CAPTURE_DNS_PORT };

/* ---- child-side helpers ------------------------------------------------ */

static const char *failed(struct ctx *c, int line, const char *what)
{
	int e = errno;
	snprintf(c->msg, sizeof c->msg, "line %d: %s (errno: %s)", line, what, strerror(e));
	return c->msg;
}

#define CK(cond)                                                                \
	do {                                                                    \
		if (!(cond))                                                    \
			return failed(c, __LINE__, #cond);                      \
	} while (0)

/* call must fail with -1 and errno == err. */
#define CK_ERRNO(err, call)                                                     \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(call);                                         \
		int _e = errno;                                                 \
		if (_r != -1 || _e != (err)) {                                  \
			snprintf(c->msg, sizeof c->msg,                         \
				 "line %d: %s: expected -1/%s, got %ld/%s",     \
				 __LINE__, #call, strerror(err), _r, strerror(_e)); \
			return c->msg;                                          \
		}                                                               \
	} while (0)

static const char *skip(struct ctx *c, const char *why)
{
	c->skip = true;
	snprintf(c->msg, sizeof c->msg, "%s", why);
	return c->msg;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static bool same4(const struct sockaddr_in *a, const char *ip, uint16_t port)
{
	struct sockaddr_in b = sin4(ip, port);
	return a->sin_family == AF_INET && a->sin_port == b.sin_port &&
	       a->sin_addr.s_addr == b.sin_addr.s_addr;
}

/* connect() that gives up after WAIT_MS (a dropped SYN would otherwise
 * block for minutes); the socket is left blocking.  0 or -1 with errno. */
static int connect_within(int fd, const void *sa, socklen_t len)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t elen = sizeof err;
		if (poll(&p, 1, WAIT_MS) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -1;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, fl);
}

/* A TCP connection (a redirected one completes locally, at once). */
static int connect4(const char *ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = sin4(ip, port);
	if (fd < 0 || connect_within(fd, &a, sizeof a) < 0)
		return -1;
	return fd;
}

static int accept_within(int lfd, int ms)
{
	if (!readable(lfd, ms)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static bool original_dst_is(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &a, &len) == 0 && same4(&a, ip, port);
}

/* Bytes written on one socket come out of the other. */
static bool carries(int from, int to, const char *text)
{
	char buf[64];
	size_t n = strlen(text);
	return write(from, text, n) == (ssize_t)n && readable(to, WAIT_MS) &&
	       read(to, buf, sizeof buf) == (ssize_t)n && memcmp(buf, text, n) == 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;
}

static bool tun_expected(const struct ctx *c)
{
	return c->mode == TUN;
}

/* In TUN mode without tun0: fine (skip) unless we are root and the
 * device exists, where it has to work. */
static const char *require_tun(struct ctx *c)
{
	if (c->fds.tun >= 0)
		return NULL;
	if (access("/dev/net/tun", F_OK) < 0)
		return skip(c, "no /dev/net/tun");
	if (!c->host_root)
		return skip(c, "/dev/net/tun is not usable without root");
	snprintf(c->msg, sizeof c->msg, "tun0 was not created although /dev/net/tun exists");
	return c->msg;
}

/* ---- running a case ---------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Become uid 65534 (UNPRIV as root), then a user namespace where we are
 * root, and a network namespace.  Returns NULL or what failed. */
static const char *enter_namespaces(struct ctx *c)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (c->mode == UNPRIV && uid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			return failed(c, __LINE__, "becoming nobody");
		/* A uid change makes us non-dumpable, and a non-dumpable
		 * process cannot write its own id maps. */
		prctl(PR_SET_DUMPABLE, 1);
		uid = gid = NOBODY;
	}
	c->host_root = uid == 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return getenv("CI") ? failed(c, __LINE__, "unshare")
				    : skip(c, "cannot create user and network namespaces here");
	char line[64];
	if (write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return failed(c, __LINE__, "setgroups deny");
	snprintf(line, sizeof line, "0 %u 1\n", (unsigned)uid);
	if (write_text("/proc/self/uid_map", line) < 0)
		return failed(c, __LINE__, "uid_map");
	snprintf(line, sizeof line, "0 %u 1\n", (unsigned)gid);
	if (write_text("/proc/self/gid_map", line) < 0)
		return failed(c, __LINE__, "gid_map");
	return NULL;
}

static const char *child_run(struct ctx *c, check_fn check)
{
	const char *m = enter_namespaces(c);
	if (m)
		return m;
	if (c->setup) {
		struct gw_error err = { 0 };
		unsigned flags = c->mode == NO_TUN ? GW_CAPTURE_NO_TUN : 0;
		int r = capture_setup_flags(&c->ports, flags, &c->fds, &err);
		if (r < 0) {
			snprintf(c->msg, sizeof c->msg, "capture_setup: %d: %s", r,
				 err.msg ? err.msg : "(no message)");
			return c->msg;
		}
		if (c->mode == NO_TUN && c->fds.tun >= 0)
			return "GW_CAPTURE_NO_TUN still created tun0";
	}
	return check(c);
}

static __attribute__((noreturn)) void child_main(enum mode mode, bool setup, check_fn check,
						 int report, int peer)
{
	static struct ctx c;
	c = (struct ctx){ .mode = mode, .setup = setup, .ports = ports, .peer = peer,
			  .fds = GW_CAPTURE_FDS_INIT };
	alarm(CHILD_TIMEOUT_MS / 1000 - 5); /* last resort, before the parent's deadline */
	const char *m = child_run(&c, check);
	if (m && write(report, m, strlen(m)) < 0)
		_exit(2);
	_exit(c.skip ? 77 : m ? 1 : 0);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the child's whole report (until it closes the pipe), bounded. */
static void read_report(int fd, char *buf, size_t size, long deadline)
{
	size_t len = 0;
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0 || !readable(fd, (int)left))
			break;
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
}

static int reap(pid_t pid, long deadline)
{
	int st;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(5000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_case(enum mode mode, bool setup, check_fn check, parent_fn parent)
{
	int rp[2], sv[2];
	ASSERT_EQ(0, pipe2(rp, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	fflush(stdout);
	pid_t pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		close(rp[0]);
		close(sv[0]);
		child_main(mode, setup, check, rp[1], sv[1]);
	}
	close(rp[1]);
	close(sv[1]);
	long deadline = now_ms() + CHILD_TIMEOUT_MS;
	char pmsg[512] = "";
	const char *perr = parent ? parent(sv[0], pmsg, sizeof pmsg) : NULL;
	static char report[1024];
	read_report(rp[0], report, sizeof report, deadline);
	int status = reap(pid, deadline);
	close(rp[0]);
	close(sv[0]);
	if (status == 77)
		tap_skip(report);
	if (status < 0)
		TAP_FAIL("the child did not finish in time; it said: %s", report);
	if (status != 0)
		TAP_FAIL("child (status %d): %s", status, report);
	if (perr)
		TAP_FAIL("parent: %s", perr);
}

/* ---- checks ------------------------------------------------------------ */

/* (a) A connection to any address lands on the listener, which knows
 * where it was meant to go, and carries data both ways. */
static const char *check_tcp_redirect(struct ctx *c)
{
	static const struct { const char *ip; uint16_t port; } dst[] = {
		{ "1.2.3.4", 80 }, { "93.184.216.34", 443 }, { "198.18.0.1", 8080 },
	};
	for (size_t i = 0; i < sizeof dst / sizeof *dst; i++) {
		int cl = connect4(dst[i].ip, dst[i].port);
		CK(cl >= 0);
		int s = accept_within(c->fds.tcp_listener, WAIT_MS);
		CK(s >= 0);
		CK(original_dst_is(s, dst[i].ip, dst[i].port));
		CK(carries(cl, s, "ping"));
		CK(carries(s, cl, "pong"));
		close(s);
		close(cl);
	}
	return NULL;
}

/* One DNS exchange with `server`: the query reaches dns_udp, and the answer
 * sent from dns_udp reaches the client from server:53. */
static const char *dns_exchange(struct ctx *c, const char *server)
{
	int cl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in srv = sin4(server, 53), from, src;
	socklen_t len = sizeof from;
	char buf[64];
	CK(cl >= 0);
	CK(connect(cl, (struct sockaddr *)&srv, sizeof srv) == 0);
	CK(send(cl, "query", 5, 0) == 5);
	CK(readable(c->fds.dns_udp, WAIT_MS));
	CK(recvfrom(c->fds.dns_udp, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 5);
	CK(memcmp(buf, "query", 5) == 0);
	CK(sendto(c->fds.dns_udp, "answer", 6, 0, (struct sockaddr *)&from, len) == 6);
	CK(readable(cl, WAIT_MS));
	len = sizeof src;
	/* The socket is connected: it would not even accept a datagram
	 * from another source; recvfrom says so explicitly anyway. */
	CK(recvfrom(cl, buf, sizeof buf, 0, (struct sockaddr *)&src, &len) == 6);
	CK(memcmp(buf, "answer", 6) == 0);
	CK(same4(&src, server, 53));
	close(cl);
	return NULL;
}

/* (b) DNS over UDP to any server, loopback resolvers included. */
static const char *check_dns_udp(struct ctx *c)
{
	const char *m = dns_exchange(c, "9.9.9.9");
	return m ? m : dns_exchange(c, "127.0.0.53");
}

/* (c) DNS over TCP goes to dns_tcp, not to the general listener. */
static const char *check_dns_tcp(struct ctx *c)
{
	int cl = connect4("8.8.8.8", 53);
	CK(cl >= 0);
	int s = accept_within(c->fds.dns_tcp, WAIT_MS);
	CK(s >= 0);
	CK(original_dst_is(s, "8.8.8.8", 53));
	CK(carries(cl, s, "q"));
	CK(!readable(c->fds.tcp_listener, 0));
	return NULL;
}

/* (d) Other UDP fails at once with EPERM, connected or not, to any
 * address but loopback (the namespace's own address included). */
static const char *check_udp_blocked(struct ctx *c)
{
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CK(u >= 0);
	struct sockaddr_in a = sin4("8.8.8.8", 9999), own = sin4("198.18.0.1", 9999);
	CK_ERRNO(EPERM, sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	CK_ERRNO(EPERM, sendto(u, "x", 1, 0, (struct sockaddr *)&own, sizeof own));
	CK(connect(u, (struct sockaddr *)&a, sizeof a) == 0);
	CK_ERRNO(EPERM, send(u, "x", 1, 0));
	/* UDP over loopback is untouched. */
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in lo = sin4("127.0.0.1", 0);
	socklen_t len = sizeof lo;
	CK(bind(r, (struct sockaddr *)&lo, sizeof lo) == 0);
	CK(getsockname(r, (struct sockaddr *)&lo, &len) == 0);
	CK(sendto(u, "hi", 2, 0, (struct sockaddr *)&lo, sizeof lo) == 2);
	char buf[8];
	CK(readable(r, WAIT_MS) && recv(r, buf, sizeof buf, 0) == 2);
	return NULL;
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* (e) ICMP: a raw socket (root in the namespace may open one) cannot send
 * an echo request; a ping socket is refused outright or cannot send
 * either. */
static const char *check_icmp_blocked(struct ctx *c)
{
	struct icmphdr ping = { .type = ICMP_ECHO, .un.echo.id = htons(7) };
	ping.checksum = inet_csum(&ping, sizeof ping);
	struct sockaddr_in a = sin4("8.8.8.8", 0);
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	CK(raw >= 0);
	CK_ERRNO(EPERM, sendto(raw, &ping, sizeof ping, 0, (struct sockaddr *)&a, sizeof a));
	int dg = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (dg < 0)
		CK(errno == EACCES); /* net.ipv4.ping_group_range excludes us */
	else
		CK_ERRNO(EPERM, sendto(dg, &ping, sizeof ping, 0, (struct sockaddr *)&a, sizeof a));
	return NULL;
}

/* TCP that conntrack does not track never meets the redirect (NAT only
 * sees tracked connections) and is dropped by the filter chain: a SYN+FIN
 * segment from a raw socket is "invalid" to conntrack.  Likewise any other
 * IP protocol. */
static const char *check_untracked_dropped(struct ctx *c)
{
	struct tcphdr th = { .source = htons(40000), .dest = htons(80), .doff = 5,
			     .syn = 1, .fin = 1, .window = htons(512) };
	struct sockaddr_in a = sin4("1.2.3.4", 0);
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	CK(raw >= 0);
	CK_ERRNO(EPERM, sendto(raw, &th, sizeof th, 0, (struct sockaddr *)&a, sizeof a));
	int other = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 253); /* RFC 3692 experiments */
	CK(other >= 0);
	CK_ERRNO(EPERM, sendto(other, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	CK(!readable(c->fds.tcp_listener, 0));
	return NULL;
}

static struct sockaddr_in6 sin6(const char *ip, uint16_t port, const char *ifname)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	if (ifname)
		a.sin6_scope_id = if_nametoindex(ifname);
	return a;
}

/* (f) No IPv6 route: connections and datagrams fail at once.  tun0 has no
 * IPv6 address, so not even its link-local multicast works.  IPv4-mapped
 * addresses on IPv6 sockets are IPv4 and are captured as such. */
static const char *check_ipv6(struct ctx *c)
{
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 && errno == EAFNOSUPPORT)
		return skip(c, "no IPv6 in this kernel");
	CK(s >= 0);
	struct sockaddr_in6 a = sin6("2001:db8::1", 80, NULL);
	long t0 = now_ms();
	CK_ERRNO(ENETUNREACH, connect_within(s, &a, sizeof a));
	CK(now_ms() - t0 < 1000);
	int u = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a = sin6("2001:db8::1", 53, NULL);
	CK_ERRNO(ENETUNREACH, sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	if (c->fds.tun >= 0) {
		a = sin6("ff02::1", 9999, "tun0");
		CK_ERRNO(EADDRNOTAVAIL, sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
		a = sin6("fe80::1", 80, "tun0");
		int t = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CK_ERRNO(ENETUNREACH, connect_within(t, &a, sizeof a));
	}
	a = sin6("::ffff:8.8.8.8", 9999, NULL);
	CK_ERRNO(EPERM, sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	a = sin6("::ffff:1.2.3.4", 80, NULL);
	int m = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CK(connect_within(m, &a, sizeof a) == 0);
	int acc = accept_within(c->fds.tcp_listener, WAIT_MS);
	CK(acc >= 0 && original_dst_is(acc, "1.2.3.4", 80));
	return NULL;
}

/* A listener on addr (port chosen by the kernel) and a connection to it
 * through loopback; the capture listener must see nothing. */
static const char *loopback_pair(struct ctx *c, int family, const char *addr)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	void *ip = family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
				     : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	CK(inet_pton(family, addr, ip) == 1);
	int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CK(l >= 0);
	CK(bind(l, (struct sockaddr *)&ss, len) == 0 && listen(l, 4) == 0);
	CK(getsockname(l, (struct sockaddr *)&ss, &len) == 0);
	int cl = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CK(connect_within(cl, &ss, len) == 0);
	int s = accept_within(l, WAIT_MS);
	CK(s >= 0);
	CK(carries(cl, s, "local"));
	CK(!readable(c->fds.tcp_listener, 0));
	close(s);
	close(cl);
	close(l);
	return NULL;
}

/* (g) Loopback TCP stays loopback, over IPv4 (any 127/8 address) and ::1. */
static const char *check_loopback(struct ctx *c)
{
	const char *m = loopback_pair(c, AF_INET, "127.0.0.1");
	if (!m)
		m = loopback_pair(c, AF_INET, "127.3.2.1");
	if (!m && access("/proc/net/if_inet6", F_OK) == 0)
		m = loopback_pair(c, AF_INET6, "::1");
	return m;
}

static bool has_ipv6_address(const char *ifname)
{
	FILE *f = fopen("/proc/net/if_inet6", "re");
	char line[256], name[IF_NAMESIZE + 1];
	bool found = false;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %16s", name) == 1 && strcmp(name, ifname) == 0)
			found = true;
	if (f)
		fclose(f);
	return found;
}

/* (h) The links a program sees: lo and tun0 (up, with carrier, no IPv6
 * address), or only lo without the tun device. */
static const char *check_links(struct ctx *c)
{
	if (tun_expected(c)) {
		const char *m = require_tun(c);
		if (m)
			return m;
	}
	struct if_nameindex *ni = if_nameindex();
	CK(ni != NULL);
	int n = 0;
	bool lo = false, tun = false;
	for (struct if_nameindex *i = ni; i->if_index; i++, n++) {
		lo |= strcmp(i->if_name, "lo") == 0;
		tun |= strcmp(i->if_name, "tun0") == 0;
	}
	if_freenameindex(ni);
	CK(lo);
	CK(tun == (c->fds.tun >= 0));
	CK(n == (tun ? 2 : 1));
	if (!tun)
		return NULL;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { .ifr_name = "tun0" };
	CK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	CK((ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING));
	CK(!has_ipv6_address("tun0"));
	return NULL;
}

/* Remove the table with a batch of our own. */
static int delete_table(void)
{
	union { uint8_t bytes[512]; uint32_t align; } st;
	struct nft_batch b;
	nft_batch_init(&b, st.bytes, sizeof st.bytes);
	nft_table_del(&b, NFPROTO_INET, GW_CAPTURE_TABLE, "the table");
	return nft_batch_commit(&b, NULL);
}

/* (i) Without capabilities the rules cannot be removed, and hold. */
static const char *check_caps_dropped(struct ctx *c)
{
	CK(caps_drop_all() == 0);
	CK(delete_table() == -EPERM);
	int cl = connect4("1.2.3.4", 80);
	CK(cl >= 0);
	int s = accept_within(c->fds.tcp_listener, WAIT_MS);
	CK(s >= 0 && original_dst_is(s, "1.2.3.4", 80));
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = sin4("8.8.8.8", 9999);
	CK_ERRNO(EPERM, sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	return NULL;
}

/* The removal really works with the capability (so the EPERM above is
 * about capabilities, not a broken request), and without the table the
 * redirect is gone. */
static const char *check_delete_table(struct ctx *c)
{
	CK(delete_table() == 0);
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = sin4("8.8.8.8", 9999);
	CK(sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == 1);
	return NULL;
}

/* (j) The listener passed to a process in the host's namespace. */
static const char *check_fd_passing(struct ctx *c)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "L", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->fds.tcp_listener, sizeof(int));
	CK(sendmsg(c->peer, &msg, 0) == 1);
	close(c->fds.tcp_listener);
	int cl = connect4("1.2.3.4", 80);
	CK(cl >= 0);
	CK(write(cl, "hello", 5) == 5);
	char buf[8];
	CK(readable(cl, WAIT_MS) && read(cl, buf, sizeof buf) == 3 && memcmp(buf, "bye", 3) == 0);
	return NULL;
}

static const char *parent_accepts(int peer, char *m, size_t size)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof cbuf };
	if (!readable(peer, WAIT_MS) || recvmsg(peer, &msg, MSG_CMSG_CLOEXEC) != 1)
		return "no listener from the child";
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return "no fd in the child's message";
	int l;
	memcpy(&l, CMSG_DATA(cm), sizeof l);
	int s = accept_within(l, WAIT_MS);
	close(l);
	if (s < 0)
		return "accept on the passed listener failed";
	const char *r = NULL;
	char buf[8];
	if (!original_dst_is(s, "1.2.3.4", 80))
		r = "SO_ORIGINAL_DST from the host namespace is not 1.2.3.4:80";
	else if (!readable(s, WAIT_MS) || read(s, buf, sizeof buf) != 5 || memcmp(buf, "hello", 5))
		r = "no data from the child";
	else if (write(s, "bye", 3) != 3)
		r = "cannot answer the child";
	if (r)
		snprintf(m, size, "%s (errno: %s)", r, strerror(errno));
	close(s);
	return r ? m : NULL;
}

/* What `nft list ruleset` must print (capture.c's header comment). */
static void expected_ruleset(char *buf, size_t size)
{
	snprintf(buf, size,
		 "table inet greywall {\n"
		 "\tchain out {\n"
		 "\t\ttype nat hook output priority -100; policy accept;\n"
		 "\t\tudp dport 53 redirect to :%u\n"
		 "\t\ttcp dport 53 redirect to :%u\n"
		 "\t\tip daddr 127.0.0.0/8 return\n"
		 "\t\tip6 daddr ::1 return\n"
		 "\t\tmeta l4proto tcp redirect to :%u\n"
		 "\t}\n"
		 "\n"
		 "\tchain filt {\n"
		 "\t\ttype filter hook output priority filter; policy drop;\n"
		 "\t\tct status dnat accept\n"
		 "\t\tip daddr 127.0.0.0/8 accept\n"
		 "\t\tip6 daddr ::1 accept\n"
		 "\t}\n"
		 "}\n",
		 ports.dns, ports.dns, ports.tcp);
}

/* Run `nft list ruleset`; its output in buf.  Returns its exit status. */
static int nft_list(char *buf, size_t size)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin", 1);
		execlp("nft", "nft", "list", "ruleset", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	long deadline = now_ms() + WAIT_MS;
	read_report(p[0], buf, size, deadline);
	close(p[0]);
	return pid < 0 ? -1 : reap(pid, deadline);
}

/* The ruleset in the kernel, decoded by nft(8), is the documented one. */
static const char *check_nft_list(struct ctx *c)
{
	static char got[4096], want[2048];
	int st = nft_list(got, sizeof got);
	if (st == 127 && !getenv("CI"))
		return skip(c, "nft is not installed (package nftables)");
	CK(st == 0);
	expected_ruleset(want, sizeof want);
	if (strcmp(got, want) != 0) {
		snprintf(c->msg, sizeof c->msg, "nft list ruleset printed:\n%.960s", got);
		return c->msg;
	}
	return NULL;
}

/* Fail closed: a setup that fails half way leaves no fd and no tun0. */
static const char *check_port_in_use(struct ctx *c)
{
	int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = sin4("0.0.0.0", ports.tcp);
	CK(bind(busy, (struct sockaddr *)&a, sizeof a) == 0 && listen(busy, 1) == 0);
	int before = count_fds();
	struct gw_error err = { 0 };
	struct gw_capture_fds fds;
	CK(capture_setup(&ports, &fds, &err) == -EADDRINUSE);
	CK(err.msg && strstr(err.msg, "TCP capture listener") && strstr(err.msg, "Hint"));
	CK(fds.tcp_listener == -1 && fds.dns_udp == -1 && fds.dns_tcp == -1 && fds.tun == -1);
	CK(count_fds() == before);
	CK(if_nametoindex("tun0") == 0);
	gw_error_clear(&err);
	return NULL;
}

/* Fail closed without CAP_NET_ADMIN: an error naming the step, no fd. */
static const char *check_no_capability(struct ctx *c)
{
	CK(caps_drop_all() == 0);
	int before = count_fds();
	struct gw_error err = { 0 };
	struct gw_capture_fds fds;
	CK(capture_setup(&ports, &fds, &err) == -EPERM);
	CK(err.msg && strstr(err.msg, "lo"));
	CK(fds.tcp_listener == -1 && fds.tun == -1);
	CK(count_fds() == before);
	gw_error_clear(&err);
	return NULL;
}

/* A second setup in the same namespace is refused (the table exists), and
 * leaves the first one's rules in force. */
static const char *check_second_setup(struct ctx *c)
{
	int before = count_fds();
	struct gw_error err = { 0 };
	struct gw_capture_fds fds;
	struct gw_capture_ports other = { 16001, 16353 };
	int r = capture_setup_flags(&other, GW_CAPTURE_NO_TUN, &fds, &err);
	/* The route or the table is already there. */
	CK(r == -EEXIST);
	CK(err.msg != NULL);
	CK(count_fds() == before);
	gw_error_clear(&err);
	return check_tcp_redirect(c);
}

/* ---- the cases --------------------------------------------------------- */

#define CASE(name, mode, fn) \
	TEST(name) { run_case(mode, true, fn, NULL); }

CASE(tcp_redirect_tun, TUN, check_tcp_redirect)
CASE(tcp_redirect_unpriv, UNPRIV, check_tcp_redirect)
CASE(tcp_redirect_no_tun, NO_TUN, check_tcp_redirect)
CASE(dns_udp_tun, TUN, check_dns_udp)
CASE(dns_udp_unpriv, UNPRIV, check_dns_udp)
CASE(dns_tcp_tun, TUN, check_dns_tcp)
CASE(dns_tcp_unpriv, UNPRIV, check_dns_tcp)
CASE(udp_blocked_tun, TUN, check_udp_blocked)
CASE(udp_blocked_unpriv, UNPRIV, check_udp_blocked)
CASE(icmp_blocked_tun, TUN, check_icmp_blocked)
CASE(icmp_blocked_unpriv, UNPRIV, check_icmp_blocked)
CASE(untracked_dropped_tun, TUN, check_untracked_dropped)
CASE(untracked_dropped_unpriv, UNPRIV, check_untracked_dropped)
CASE(ipv6_tun, TUN, check_ipv6)
CASE(ipv6_unpriv, UNPRIV, check_ipv6)
CASE(loopback_tun, TUN, check_loopback)
CASE(loopback_unpriv, UNPRIV, check_loopback)
CASE(links_tun, TUN, check_links)
CASE(links_unpriv, UNPRIV, check_links)
CASE(links_no_tun, NO_TUN, check_links)
CASE(caps_dropped_tun, TUN, check_caps_dropped)
CASE(caps_dropped_unpriv, UNPRIV, check_caps_dropped)
CASE(delete_table_with_caps, TUN, check_delete_table)
CASE(nft_list_ruleset, TUN, check_nft_list)
CASE(second_setup_refused, TUN, check_second_setup)

TEST(fd_passing_tun)
{
	run_case(TUN, true, check_fd_passing, parent_accepts);
}

TEST(fd_passing_unpriv)
{
	run_case(UNPRIV, true, check_fd_passing, parent_accepts);
}

TEST(port_in_use_fails_closed)
{
	run_case(TUN, false, check_port_in_use, NULL);
}

TEST(no_capability_fails_closed)
{
	run_case(TUN, false, check_no_capability, NULL);
}

TEST(bad_ports)
{
	struct gw_error err = { 0 };
	struct gw_capture_fds fds;
	struct gw_capture_ports same = { 15001, 15001 }, zero = { 0, 15353 };
	ASSERT_EQ(-EINVAL, capture_setup(&same, &fds, &err));
	ASSERT_EQ(-1, fds.tcp_listener);
	ASSERT_EQ(-EINVAL, capture_setup(&zero, &fds, &err));
	ASSERT_CONTAINS(err.msg, "ports");
	gw_error_clear(&err);
}

TEST(probe)
{
	struct gw_error err = { 0 };
	int r = netns_probe_capture(&err);
	if (r == -EPERM && getuid() != 0 && !getenv("CI"))
		tap_skip("no user namespaces for this user");
	if (r < 0)
		TAP_FAIL("netns_probe_capture: %s", err.msg ? err.msg : "?");
	gw_error_clear(&err);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(tcp_redirect_tun);
	RUN(tcp_redirect_unpriv);
	RUN(tcp_redirect_no_tun);
	RUN(dns_udp_tun);
	RUN(dns_udp_unpriv);
	RUN(dns_tcp_tun);
	RUN(dns_tcp_unpriv);
	RUN(udp_blocked_tun);
	RUN(udp_blocked_unpriv);
	RUN(icmp_blocked_tun);
	RUN(icmp_blocked_unpriv);
	RUN(untracked_dropped_tun);
	RUN(untracked_dropped_unpriv);
	RUN(ipv6_tun);
	RUN(ipv6_unpriv);
	RUN(loopback_tun);
	RUN(loopback_unpriv);
	RUN(links_tun);
	RUN(links_unpriv);
	RUN(links_no_tun);
	RUN(caps_dropped_tun);
	RUN(caps_dropped_unpriv);
	RUN(delete_table_with_caps);
	RUN(nft_list_ruleset);
	RUN(second_setup_refused);
	RUN(fd_passing_tun);
	RUN(fd_passing_unpriv);
	RUN(port_in_use_fails_closed);
	RUN(no_capability_fails_closed);
	RUN(bad_ports);
	RUN(probe);
	return tap_done();
}
