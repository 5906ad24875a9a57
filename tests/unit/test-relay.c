/* test-relay.c: the TCP relay engine (src/relay.c) over loopback sockets,
 * and the owner lookup of its owner-only mode (src/peercred.c).
 *
 * The relay runs on its own event loop in a second thread; the test plays
 * both the client and the server ("peer") with ordinary blocking sockets,
 * and every wait is bounded by poll() timeouts. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "peercred.h"
#include "relay.h"
#include "tap.h"

#define WAIT_MS 5000

struct harness {
	struct gw_evloop loop;
	struct gw_relay_set *rs;
	struct gw_ev stop;         /* eventfd: ends the loop thread */
	pthread_t thread;
	int peer_err;              /* new_peer() fails with this when set */
	uint16_t port;             /* where the relay listens */
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int new_peer(void *ctx)
{
	struct harness *h = ctx;
	if (h->peer_err)
		return -h->peer_err;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int listen_loopback(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 256) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void stop_cb(struct gw_ev *ev, uint32_t events)
{
	struct harness *h = gw_container_of(ev, struct harness, stop);
	h->loop.stop = true;
}

static void *loop_thread(void *arg)
{
	struct harness *h = arg;
	(void)evloop_run(&h->loop);
	return NULL;
}

/* Set before harness_start(): the relay serves only this user's
 * clients (relay.h's owner_only); -1 for everybody. */
static long harness_owner = -1;

/* Start a relay to 127.0.0.1:peer_port whose new_peer() fails with
 * peer_err when it is not 0; 0 or -1. */
static int harness_start(struct harness *h, uint16_t peer_port, int peer_err)
{
	memset(h, 0, sizeof *h);
	h->peer_err = peer_err;
	if (evloop_init(&h->loop) < 0)
		return -1;
	struct gw_relay r = {
		.new_peer = new_peer,
		.ctx = h,
		.peer = { .sin_family = AF_INET, .sin_port = htons(peer_port),
			  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
		.what = "test",
		.owner_only = harness_owner >= 0,
		.owner = (uid_t)harness_owner,
	};
	r.listen_fd = listen_loopback(&h->port);
	if (r.listen_fd < 0 || relay_start(&h->loop, &r, 1, &h->rs) < 0)
		return -1;
	evloop_ev_init(&h->stop, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), stop_cb);
	if (h->stop.fd < 0 || evloop_set(&h->loop, &h->stop, EPOLLIN) < 0)
		return -1;
	return pthread_create(&h->thread, NULL, loop_thread, h) == 0 ? 0 : -1;
}

static void harness_stop(struct harness *h)
{
	uint64_t one = 1;
	(void)!write(h->stop.fd, &one, sizeof one);
	pthread_join(h->thread, NULL);
	relay_stop(h->rs);
	evloop_close(&h->loop, &h->stop);
	evloop_free(&h->loop);
}

static int connect_port(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return fd;
}

static bool wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	return poll(&p, 1, ms) == 1;
}

static int accept_within(int lfd, int ms)
{
	if (!wait_fd(lfd, POLLIN, ms))
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* Read exactly n bytes (bounded wait). */
static bool read_exact(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (!wait_fd(fd, POLLIN, WAIT_MS))
			return false;
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* 0 at EOF, 1 when data came, -errno on error, -ETIMEDOUT. */
static int read_eof(int fd)
{
	char c;
	if (!wait_fd(fd, POLLIN, WAIT_MS))
		return -ETIMEDOUT;
	ssize_t r = read(fd, &c, 1);
	return r < 0 ? -errno : (int)r;
}

/* ---- a deterministic byte stream and its checksum ------------------- */

struct stream {
	uint32_t state;
};

static uint8_t stream_next(struct stream *s)
{
	s->state ^= s->state << 13;
	s->state ^= s->state >> 17;
	s->state ^= s->state << 5;
	return (uint8_t)s->state;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

#define FNV_INIT 14695981039346656037ull

static uint64_t stream_sum(uint32_t seed, size_t n)
{
	struct stream s = { seed };
	uint64_t h = FNV_INIT;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = stream_next(&s);
		h = fnv(h, &b, 1);
	}
	return h;
}

struct sender {
	int fd;
	uint32_t seed;
	size_t n;
	bool ok;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	struct stream st = { s->seed };
	uint8_t buf[8192];
	size_t left = s->n;
	s->ok = false;
	while (left) {
		size_t k = left < sizeof buf ? left : sizeof buf;
		for (size_t i = 0; i < k; i++)
			buf[i] = stream_next(&st);
		for (size_t off = 0; off < k;) {
			ssize_t w = send(s->fd, buf + off, k - off, MSG_NOSIGNAL);
			if (w <= 0)
				return NULL;
			off += (size_t)w;
		}
		left -= k;
	}
	s->ok = shutdown(s->fd, SHUT_WR) == 0;
	return NULL;
}

struct sink {
	int fd;
	uint64_t sum;
	size_t n;
	bool eof;
};

static bool pump_sinks(struct sink *a, struct sink *b)
{
	long deadline = now_ms() + 20000;
	uint8_t buf[16384];
	while ((!a->eof || !b->eof) && now_ms() < deadline) {
		struct pollfd p[2] = { { .fd = a->eof ? -1 : a->fd, .events = POLLIN },
				       { .fd = b->eof ? -1 : b->fd, .events = POLLIN } };
		if (poll(p, 2, 1000) < 0)
			return false;
		struct sink *s[2] = { a, b };
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(s[i]->fd, buf, sizeof buf);
			if (r < 0)
				return false;
			if (r == 0)
				s[i]->eof = true;
			s[i]->sum = fnv(s[i]->sum, buf, (size_t)r);
			s[i]->n += (size_t)r;
		}
	}
	return a->eof && b->eof;
}

/* A server listener, the relay in front of it, and one connection through
 * it: c (client side) and s (server side).  Fails the test otherwise. */
static void open_pair(struct harness *h, int *lfd, int *c, int *s)
{
	uint16_t sport;
	*lfd = listen_loopback(&sport);
	ASSERT_TRUE(*lfd >= 0);
	ASSERT_EQ(0, harness_start(h, sport, 0));
	*c = connect_port(h->port);
	*s = accept_within(*lfd, WAIT_MS);
	ASSERT_TRUE(*c >= 0 && *s >= 0);
}

/* ---- tests ------------------------------------------------------------ */

TEST(data_both_ways_with_checksums)
{
	uint16_t sport;
	int lfd = listen_loopback(&sport);
	ASSERT_TRUE(lfd >= 0);
	struct harness h;
	ASSERT_EQ(0, harness_start(&h, sport, 0));
	int c = connect_port(h.port);
	ASSERT_TRUE(c >= 0);
	int s = accept_within(lfd, WAIT_MS);
	ASSERT_TRUE(s >= 0);

	const size_t up = 5u << 20, down = (3u << 20) + 12345;
	struct sender su = { .fd = c, .seed = 1, .n = up }, sd = { .fd = s, .seed = 7, .n = down };
	pthread_t tu, td;
	ASSERT_EQ(0, pthread_create(&tu, NULL, send_thread, &su));
	ASSERT_EQ(0, pthread_create(&td, NULL, send_thread, &sd));
	struct sink at_server = { .fd = s, .sum = FNV_INIT }, at_client = { .fd = c, .sum = FNV_INIT };
	bool done = pump_sinks(&at_server, &at_client);
	pthread_join(tu, NULL);
	pthread_join(td, NULL);
	ASSERT_TRUE(done);
	ASSERT_TRUE(su.ok && sd.ok);
	ASSERT_EQ(up, at_server.n);
	ASSERT_EQ(down, at_client.n);
	ASSERT_TRUE(stream_sum(1, up) == at_server.sum);
	ASSERT_TRUE(stream_sum(7, down) == at_client.sum);
	close(c);
	close(s);
	close(lfd);
	harness_stop(&h);
}

TEST(half_close_is_preserved)
{
	struct harness h;
	int lfd, c, s;
	open_pair(&h, &lfd, &c, &s);
	char buf[8] = { 0 };

	/* client -> server, then EOF; the other direction stays open */
	ASSERT_EQ(5, write(c, "hello", 5));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_TRUE(read_exact(s, buf, 5));
	ASSERT_STREQ("hello", buf);
	ASSERT_EQ(0, read_eof(s));
	ASSERT_EQ(5, write(s, "world", 5));
	memset(buf, 0, sizeof buf);
	ASSERT_TRUE(read_exact(c, buf, 5));
	ASSERT_STREQ("world", buf);
	close(s);
	ASSERT_EQ(0, read_eof(c));
	close(c);
	close(lfd);
	harness_stop(&h);
}

TEST(server_half_close_first)
{
	struct harness h;
	int lfd, c, s;
	open_pair(&h, &lfd, &c, &s);
	char buf[8] = { 0 };
	ASSERT_EQ(3, write(s, "bye", 3));
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_TRUE(read_exact(c, buf, 3));
	ASSERT_EQ(0, read_eof(c));
	ASSERT_EQ(4, write(c, "late", 4));
	memset(buf, 0, sizeof buf);
	ASSERT_TRUE(read_exact(s, buf, 4));
	ASSERT_STREQ("late", buf);
	close(c);
	ASSERT_EQ(0, read_eof(s));
	close(s);
	close(lfd);
	harness_stop(&h);
}

/* Wait until the process has `want` fds again (the relay closes its side
 * of finished connections asynchronously). */
static int settle_fds(int want)
{
	long deadline = now_ms() + WAIT_MS;
	int n;
	while ((n = count_fds()) != want && now_ms() < deadline)
		usleep(10000);
	return n;
}

#define N_CONC 100

TEST(many_concurrent_connections_no_fd_leak)
{
	int before_all = count_fds();
	uint16_t sport;
	int lfd = listen_loopback(&sport);
	struct harness h;
	ASSERT_EQ(0, harness_start(&h, sport, 0));
	int base = count_fds();
	int cl[N_CONC], sv[N_CONC];
	for (int i = 0; i < N_CONC; i++) {
		cl[i] = connect_port(h.port);
		ASSERT_TRUE(cl[i] >= 0);
		ASSERT_EQ(4, write(cl[i], &i, 4));
	}
	/* Accept them all (in any order) while every one is open. */
	for (int i = 0; i < N_CONC; i++) {
		int fd = accept_within(lfd, WAIT_MS);
		int idx = -1;
		ASSERT_TRUE(fd >= 0);
		ASSERT_TRUE(read_exact(fd, &idx, 4));
		ASSERT_TRUE(idx >= 0 && idx < N_CONC);
		sv[idx] = fd;
	}
	for (int i = 0; i < N_CONC; i++) {
		int v = i * 3 + 1, got = -1;
		ASSERT_EQ(4, write(sv[i], &v, 4));
		ASSERT_TRUE(read_exact(cl[i], &got, 4));
		ASSERT_EQ(v, got);
	}
	/* 2 fds of ours and 2 of the relay per connection. */
	ASSERT_EQ(base + 4 * N_CONC, count_fds());
	for (int i = 0; i < N_CONC; i++) {
		close(cl[i]);
		ASSERT_EQ(0, read_eof(sv[i]));
		close(sv[i]);
	}
	ASSERT_EQ(base, settle_fds(base));
	close(lfd);
	harness_stop(&h);
	ASSERT_EQ(before_all, count_fds());
}

/* The client must learn at once that nobody answers: a reset, not a
 * connection that stays open or ends like a normal EOF with data lost. */
static void expect_prompt_failure(int c)
{
	long t0 = now_ms();
	int r = read_eof(c);
	ASSERT_TRUE(r == 0 || r == -ECONNRESET);
	ASSERT_TRUE(now_ms() - t0 < 2000);
}

TEST(peer_refused_resets_client)
{
	uint16_t dead_port;
	int tmp = listen_loopback(&dead_port);
	ASSERT_TRUE(tmp >= 0);
	close(tmp); /* nothing listens there any more */
	int before = count_fds();
	struct harness h;
	ASSERT_EQ(0, harness_start(&h, dead_port, 0));
	int base = count_fds();
	int c = connect_port(h.port);
	ASSERT_TRUE(c >= 0);
	(void)!write(c, "x", 1);
	expect_prompt_failure(c);
	close(c);
	ASSERT_EQ(base, settle_fds(base));
	harness_stop(&h);
	ASSERT_EQ(before, count_fds());
}

TEST(new_peer_failure_resets_client)
{
	uint16_t sport;
	int lfd = listen_loopback(&sport);
	struct harness h;
	ASSERT_EQ(0, harness_start(&h, sport, EMFILE));
	int c = connect_port(h.port);
	ASSERT_TRUE(c >= 0);
	expect_prompt_failure(c);
	close(c);
	close(lfd);
	harness_stop(&h);
}

TEST(back_pressure_bounds_buffering)
{
	uint16_t sport;
	int lfd = listen_loopback(&sport);
	struct harness h;
	ASSERT_EQ(0, harness_start(&h, sport, 0));
	int c = connect_port(h.port);
	int s = accept_within(lfd, WAIT_MS);
	ASSERT_TRUE(c >= 0 && s >= 0);
	/* The server reads nothing: writes must stall once the kernel's
	 * buffers and the relay's bounded one are full. */
	static char buf[65536];
	size_t sent = 0;
	while (sent < (256u << 20) && wait_fd(c, POLLOUT, 300)) {
		ssize_t w = send(c, buf, sizeof buf, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			break;
		sent += w > 0 ? (size_t)w : 0;
	}
	ASSERT_TRUE(sent > 0 && sent < (256u << 20));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	size_t got = 0;
	for (;;) {
		if (!wait_fd(s, POLLIN, WAIT_MS))
			break;
		ssize_t r = read(s, buf, sizeof buf);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ASSERT_EQ(sent, got);
	close(c);
	close(s);
	close(lfd);
	harness_stop(&h);
}

/* ---- peercred.h and owner-only relays ---------------------------------- */

/* A client socket of user `uid` connected to 127.0.0.1:port (or to
 * ::ffff:127.0.0.1 from a dual-stack socket with `mapped`): made by a
 * child that takes that uid, then handed over, so its owner is fixed. */
static int connect_as(uid_t uid, uint16_t port, bool mapped)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = -1;
		if (setresgid(65534, 65534, 65534) == 0 && setresuid(uid, uid, uid) == 0) {
			if (mapped) {
				struct sockaddr_in6 a = { .sin6_family = AF_INET6,
							  .sin6_port = htons(port) };
				inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
				fd = socket(AF_INET6, SOCK_STREAM, 0);
				if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
					fd = -1;
			} else {
				fd = connect_port(port);
			}
		}
		char c = 'x';
		struct iovec iov = { &c, 1 };
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} u = { 0 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (fd >= 0) {
			m.msg_control = u.b;
			m.msg_controllen = sizeof u.b;
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof fd);
		}
		_exit(sendmsg(sv[1], &m, 0) == 1 ? 0 : 1);
	}
	close(sv[1]);
	int fd = -1;
	if (pid > 0 && wait_fd(sv[0], POLLIN, WAIT_MS)) {
		char c;
		struct iovec iov = { &c, 1 };
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} u;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				    .msg_controllen = sizeof u.b };
		struct cmsghdr *cm;
		if (recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC) == 1 && (cm = CMSG_FIRSTHDR(&m)) &&
		    cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	}
	close(sv[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return fd;
}

static void need_root(void)
{
	if (geteuid() != 0)
		tap_skip("making sockets of another user needs root");
}

TEST(peercred_names_the_tcp_client_owner)
{
	need_root();
	uint16_t port;
	int lfd = listen_loopback(&port);
	ASSERT_TRUE(lfd >= 0);
	for (int i = 0; i < 3; i++) {
		uid_t want = i == 0 ? getuid() : 4242;
		int c = i == 0 ? connect_port(port) : connect_as(want, port, i == 2);
		ASSERT_TRUE(c >= 0);
		int s = accept_within(lfd, WAIT_MS);
		ASSERT_TRUE(s >= 0);
		uid_t got = (uid_t)-1;
		ASSERT_EQ(0, peercred_uid(s, &got));
		ASSERT_EQ(want, got);
		/* The client's own side is not a connection to a local
		 * listener of ours, but it too has a local peer: s. */
		ASSERT_EQ(0, peercred_uid(c, &got));
		ASSERT_EQ(getuid(), got);
		close(c);
		close(s);
	}
	close(lfd);
}

TEST(peercred_unix_and_unknown)
{
	need_root();
	int sv[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	uid_t got = (uid_t)-1;
	ASSERT_EQ(0, peercred_uid(sv[0], &got));
	ASSERT_EQ(getuid(), got);
	close(sv[0]);
	close(sv[1]);
	/* A datagram socket has no peer to speak of. */
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(u >= 0);
	ASSERT_TRUE(peercred_uid(u, &got) < 0);
	close(u);
}

/* Another user's client is reset before anything reaches the server; the
 * owner's goes through. */
TEST(owner_only_relay_refuses_other_users)
{
	need_root();
	uint16_t sport;
	int lfd = listen_loopback(&sport);
	struct harness h;
	harness_owner = 4242;
	int r = harness_start(&h, sport, 0);
	harness_owner = -1;
	ASSERT_EQ(0, r);
	int c = connect_port(h.port); /* root's: refused */
	ASSERT_TRUE(c >= 0);
	(void)!write(c, "x", 1);
	expect_prompt_failure(c);
	close(c);
	ASSERT_TRUE(!wait_fd(lfd, POLLIN, 200));
	c = connect_as(4242, h.port, false);
	ASSERT_TRUE(c >= 0);
	ASSERT_EQ(3, write(c, "abc", 3));
	int s = accept_within(lfd, WAIT_MS);
	ASSERT_TRUE(s >= 0);
	char buf[3];
	ASSERT_TRUE(read_exact(s, buf, 3));
	ASSERT_TRUE(memcmp(buf, "abc", 3) == 0);
	close(c);
	close(s);
	close(lfd);
	harness_stop(&h);
}

int main(void)
{
	RUN(data_both_ways_with_checksums);
	RUN(half_close_is_preserved);
	RUN(server_half_close_first);
	RUN(many_concurrent_connections_no_fd_leak);
	RUN(peer_refused_resets_client);
	RUN(new_peer_failure_resets_client);
	RUN(back_pressure_bounds_buffering);
	RUN(peercred_names_the_tcp_client_owner);
	RUN(peercred_unix_and_unknown);
	RUN(owner_only_relay_refuses_other_users);
	return tap_done();
}
