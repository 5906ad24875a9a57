/* test-socks5-net.c: the SOCKS5 state machines (src/socks5.c) against
 * real peers over loopback: the client against microsocks (by name, ATYP
 * 3, and by IPv4 address, with the right and a wrong credential), and curl
 * against the server, driven by a small blocking loop shaped like the
 * supervisor's (feed, decide, connect, reply, pass on pipelined bytes,
 * relay).
 *
 * A test skips when its program is missing, unless CI is set.  Every wait
 * is bounded (poll, SO_RCVTIMEO, alarm), and spawned programs die with the
 * test (PR_SET_PDEATHSIG). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain.h"
#include "socks5.h"
#include "tap.h"

#define WAIT_MS 5000

#define USER "gw-user"
#define PASS "s3cret-token"

static struct gw_socks5_cred cred;

/* Skip when `prog` is not installed, fail instead under CI. */
static void need_program(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	if (system(cmd) == 0)
		return;
	if (getenv("CI"))
		TAP_FAIL("%s is not installed (CI is set)", prog);
	tap_skip(strcmp(prog, "curl") == 0 ? "curl not installed" : "microsocks not installed");
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A listening socket on the loopback address of `family`, port `port`
 * (0: any); the port is returned through *port.  -1 on failure. */
static int listen_on(int family, uint16_t *port)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof *in : sizeof *in6;
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (family == AF_INET) {
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(*port);
	} else {
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(*port);
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? in->sin_port : in6->sin6_port);
	return fd;
}

static int connect_to(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	set_timeouts(fd);
	if (connect(fd, sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_loopback(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return connect_to((struct sockaddr *)&a, sizeof a);
}

static bool write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

/* A test server on 127.0.0.1 (and ::1 on the same port, since "localhost"
 * may resolve to either) serving `conns` connections, one at a time, in
 * a thread.  Echo mode sends a banner at once, then echoes; HTTP mode
 * reads a request head and answers with a fixed body. */
struct test_server {
	int fd4, fd6;
	uint16_t port;
	bool http;
	int conns;
	pthread_t thread;
};

#define BANNER "hello from the target\n"
#define HTTP_BODY "through the socks5 state machine\n"

static void serve_echo(int fd)
{
	char buf[4096];
	ssize_t n;

	if (!write_all(fd, BANNER, sizeof BANNER - 1))
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (!write_all(fd, buf, (size_t)n))
			return;
}

static void serve_http(int fd)
{
	char buf[4096], resp[256];
	size_t have = 0;
	ssize_t n;

	while (have < sizeof buf - 1 && (n = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	snprintf(resp, sizeof resp,
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s", sizeof HTTP_BODY - 1, HTTP_BODY);
	(void)write_all(fd, resp, strlen(resp));
}

static void *server_thread(void *arg)
{
	struct test_server *ts = arg;

	for (int i = 0; i < ts->conns; i++) {
		struct pollfd p[2] = { { .fd = ts->fd4, .events = POLLIN },
				       { .fd = ts->fd6, .events = POLLIN } };
		if (poll(p, ts->fd6 >= 0 ? 2 : 1, WAIT_MS) <= 0)
			break;
		int lfd = p[0].revents ? ts->fd4 : ts->fd6;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			break;
		set_timeouts(fd);
		if (ts->http)
			serve_http(fd);
		else
			serve_echo(fd);
		close(fd);
	}
	return NULL;
}

static int server_start(struct test_server *ts, bool http, int conns)
{
	memset(ts, 0, sizeof *ts);
	ts->http = http;
	ts->conns = conns;
	ts->fd4 = listen_on(AF_INET, &ts->port);
	if (ts->fd4 < 0)
		return -1;
	ts->fd6 = listen_on(AF_INET6, &ts->port);  /* no IPv6 is fine */
	return pthread_create(&ts->thread, NULL, server_thread, ts) == 0 ? 0 : -1;
}

static void server_stop(struct test_server *ts)
{
	pthread_join(ts->thread, NULL);
	close(ts->fd4);
	if (ts->fd6 >= 0)
		close(ts->fd6);
}

/* Start argv[0] from PATH with a minimal environment (no *_proxy
 * variables), stdout to out_fd (or /dev/null when -1), stderr to
 * /dev/null; it gets SIGTERM should this test die first. */
static pid_t spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(out_fd >= 0 ? out_fd : null, 1);
	dup2(null, 2);
	char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	execvpe(argv[0], argv, envp);
	_exit(127);
}

static int reap(pid_t pid)
{
	int status = -1;

	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Drive a client over fd until it connects or fails; the bytes that came
 * after the reply are left in extra[0..*extra_len). */
static int cli_over_socket(int fd, const struct gw_socks5_cred *cr,
			   const struct gw_socks5_target *t, char *extra, size_t *extra_len)
{
	struct gw_socks5_cli c;
	uint8_t in[512], out[GW_SOCKS5_CLI_OUT_MAX];
	size_t out_len, used;
	int r = socks5_cli_start(&c, cr, t, out, &out_len);

	*extra_len = 0;
	while (r == GW_SOCKS5_MORE) {
		if (!write_all(fd, out, out_len))
			return -EIO;
		ssize_t n = read(fd, in, sizeof in);
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		r = socks5_cli_feed(&c, in, (size_t)n, &used, out, &out_len);
		if (r == GW_SOCKS5_DONE) {
			*extra_len = (size_t)n - used;
			memcpy(extra, in + used, *extra_len);
		}
	}
	return r;
}

/* Through the SOCKS5 connection fd (connected), read the banner (its start
 * may already be in extra), then check that the target echoes. */
static bool echo_works(int fd, const char *extra, size_t extra_len)
{
	char buf[64];
	size_t want = sizeof BANNER - 1, have = extra_len;

	memcpy(buf, extra, extra_len);
	while (have < want) {
		ssize_t n = read(fd, buf + have, want - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	if (memcmp(buf, BANNER, want) != 0 || !write_all(fd, "ping\n", 5))
		return false;
	for (have = 0; have < 5;) {
		ssize_t n = read(fd, buf + have, 5 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	return memcmp(buf, "ping\n", 5) == 0;
}

/* Wait until something accepts connections on 127.0.0.1:port. */
static bool wait_listening(uint16_t port)
{
	for (int i = 0; i < WAIT_MS / 20; i++) {
		int fd = connect_loopback(port);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		usleep(20 * 1000);
	}
	return false;
}

struct interop_result {
	int by_name, by_addr, wrong_pass;
	bool echo_name, echo_addr;
};

static void microsocks_session(uint16_t socks_port, uint16_t echo_port, struct interop_result *res)
{
	struct gw_socks5_target t;
	struct gw_socks5_cred wrong;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(echo_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char extra[512];
	size_t extra_len = 0;
	int fd;

	(void)socks5_target_name(&t, "localhost", echo_port);
	fd = connect_loopback(socks_port);
	res->by_name = fd < 0 ? -errno : cli_over_socket(fd, &cred, &t, extra, &extra_len);
	res->echo_name = res->by_name == GW_SOCKS5_DONE && echo_works(fd, extra, extra_len);
	if (fd >= 0)
		close(fd);

	(void)socks5_target_addr(&t, (struct sockaddr *)&a);
	fd = connect_loopback(socks_port);
	res->by_addr = fd < 0 ? -errno : cli_over_socket(fd, &cred, &t, extra, &extra_len);
	res->echo_addr = res->by_addr == GW_SOCKS5_DONE && echo_works(fd, extra, extra_len);
	if (fd >= 0)
		close(fd);

	(void)socks5_cred_init(&wrong, USER, "not-the-password");
	fd = connect_loopback(socks_port);
	res->wrong_pass = fd < 0 ? -errno : cli_over_socket(fd, &wrong, &t, extra, &extra_len);
	if (fd >= 0)
		close(fd);
}

TEST(client_against_microsocks)
{
	struct test_server echo;
	struct interop_result res = { 0 };
	uint16_t socks_port = 0;
	char port_arg[8];
	pid_t pid;

	need_program("microsocks");
	/* A free port: taken and released (microsocks cannot be told to
	 * pick one); the small race with other programs is acceptable. */
	int probe = listen_on(AF_INET, &socks_port);
	ASSERT_TRUE(probe >= 0);
	close(probe);
	snprintf(port_arg, sizeof port_arg, "%u", socks_port);
	char *argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_arg, "-u", USER, "-P", PASS,
			 NULL };
	ASSERT_EQ(0, server_start(&echo, false, 2));
	pid = spawn(argv, -1);
	ASSERT_TRUE(pid > 0);
	if (wait_listening(socks_port))
		microsocks_session(socks_port, echo.port, &res);
	else
		res.by_name = -ETIMEDOUT;
	kill(pid, SIGTERM);
	reap(pid);
	server_stop(&echo);

	ASSERT_EQ(GW_SOCKS5_DONE, res.by_name);
	ASSERT_TRUE(res.echo_name);
	ASSERT_EQ(GW_SOCKS5_DONE, res.by_addr);
	ASSERT_TRUE(res.echo_addr);
	ASSERT_EQ(-EACCES, res.wrong_pass);
}

/* Copy both ways between a and b until both sides have closed. */
static void relay(int a, int b)
{
	bool open_a = true, open_b = true;
	char buf[4096];

	while (open_a || open_b) {
		struct pollfd p[2] = { { .fd = open_a ? a : -1, .events = POLLIN },
				       { .fd = open_b ? b : -1, .events = POLLIN } };
		if (poll(p, 2, WAIT_MS) <= 0)
			return;
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			int from = i ? b : a, to = i ? a : b;
			ssize_t n = read(from, buf, sizeof buf);
			if (n <= 0 || !write_all(to, buf, (size_t)n)) {
				shutdown(to, SHUT_WR);
				*(i ? &open_b : &open_a) = false;
			}
		}
	}
}

/* Where the test's proxy connects for a target: "localhost" is taken to be
 * 127.0.0.1 (no DNS in a unit test), an IPv4 address as is. */
static int connect_target(const struct gw_socks5_target *t)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(t->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char name[GW_DOMAIN_MAX + 1];
	const char *why;

	if (t->atyp == GW_SOCKS5_ATYP_DOMAIN) {
		if (domain_normalize(t->name, t->name_len, name, sizeof name, &why) < 0 ||
		    strcmp(name, "localhost") != 0)
			return -EHOSTUNREACH;
	} else if (t->atyp == GW_SOCKS5_ATYP_IPV4) {
		memcpy(&a, &t->addr, sizeof a);
	} else {
		return -EAFNOSUPPORT;
	}
	int fd = connect_to((struct sockaddr *)&a, sizeof a);
	return fd < 0 ? -errno : fd;
}

/* One proxied connection, as the supervisor's loop will do it: feed the
 * server, answer, connect, reply, pass on what the client pipelined, relay.
 * Returns the server's result. */
static int proxy_one(int lfd)
{
	struct gw_socks5_srv s;
	uint8_t in[1024], out[GW_SOCKS5_SRV_OUT_MAX], reply[GW_SOCKS5_REPLY_MAX];
	size_t used = 0, out_len;
	ssize_t n = 0;
	int r = GW_SOCKS5_MORE, fd, up;
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1 || (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return -ETIMEDOUT;
	set_timeouts(fd);
	socks5_srv_init(&s, &cred);
	while (r == GW_SOCKS5_MORE && (n = read(fd, in, sizeof in)) > 0) {
		r = socks5_srv_feed(&s, in, (size_t)n, &used, out, &out_len);
		(void)write_all(fd, out, out_len);
	}
	if (r != GW_SOCKS5_DONE) {
		close(fd);
		return r == GW_SOCKS5_MORE ? -ECONNRESET : r;
	}
	up = connect_target(&s.target);
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (up < 0 || getsockname(up, (struct sockaddr *)&bound, &blen) < 0) {
		int len = socks5_reply(socks5_rep_from_errno(up), NULL, reply, sizeof reply);
		(void)write_all(fd, reply, (size_t)len);
		close(fd);
		return up;
	}
	int len = socks5_reply(GW_SOCKS5_REP_SUCCEEDED, (struct sockaddr *)&bound, reply, sizeof reply);
	(void)write_all(fd, reply, (size_t)len);
	(void)write_all(up, in + used, (size_t)n - used);
	relay(fd, up);
	close(up);
	close(fd);
	return r;
}

/* curl through the test's proxy at scheme://userinfo127.0.0.1:PORT: its
 * exit status; its output goes to body[]. */
static int curl_through(const char *scheme, const char *userinfo, const char *url,
			int *srv_result, char *body, size_t cap)
{
	uint16_t port = 0;
	int lfd = listen_on(AF_INET, &port), pipefd[2];
	char proxy_arg[160];
	size_t have = 0;
	ssize_t n;

	if (lfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	snprintf(proxy_arg, sizeof proxy_arg, "%s://%s127.0.0.1:%u", scheme, userinfo, port);
	char *argv[] = { "curl", "-sS", "--max-time", "10", "-x", proxy_arg, (char *)url, NULL };
	pid_t pid = spawn(argv, pipefd[1]);
	close(pipefd[1]);
	*srv_result = proxy_one(lfd);
	close(lfd);
	while (have < cap - 1 && (n = read(pipefd[0], body + have, cap - 1 - have)) > 0)
		have += (size_t)n;
	body[have] = '\0';
	close(pipefd[0]);
	return reap(pid);
}

TEST(curl_against_server)
{
	struct test_server http;
	char url[64], body[512];
	int srv;

	need_program("curl");
	ASSERT_EQ(0, server_start(&http, true, 2));
	/* socks5h: the name goes to the proxy (ATYP 3); socks5 with an IPv4
	 * URL: ATYP 1. */
	snprintf(url, sizeof url, "http://localhost:%u/", http.port);
	int by_name = curl_through("socks5h", USER ":" PASS "@", url, &srv, body, sizeof body);
	int srv_name = srv;
	bool body_name = strcmp(body, HTTP_BODY) == 0;
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", http.port);
	int by_addr = curl_through("socks5", USER ":" PASS "@", url, &srv, body, sizeof body);
	int srv_addr = srv;
	bool body_addr = strcmp(body, HTTP_BODY) == 0;
	server_stop(&http);

	ASSERT_EQ(0, by_name);
	ASSERT_EQ(GW_SOCKS5_DONE, srv_name);
	ASSERT_TRUE(body_name);
	ASSERT_EQ(0, by_addr);
	ASSERT_EQ(GW_SOCKS5_DONE, srv_addr);
	ASSERT_TRUE(body_addr);
}

TEST(curl_refused)
{
	char body[512];
	int srv;

	need_program("curl");
	/* N9: without the credential, and with a wrong one, curl gets
	 * nowhere and the server says why. */
	ASSERT_NE(0, curl_through("socks5h", "", "http://localhost:9/", &srv, body, sizeof body));
	ASSERT_EQ(-EACCES, srv);
	ASSERT_NE(0, curl_through("socks5h", USER ":wrong@", "http://localhost:9/", &srv, body,
				  sizeof body));
	ASSERT_EQ(-EACCES, srv);
	/* The request is refused by the test's "policy": REP 4. */
	ASSERT_NE(0, curl_through("socks5h", USER ":" PASS "@", "http://elsewhere.example/", &srv,
				  body, sizeof body));
	ASSERT_EQ(-EHOSTUNREACH, srv);
}

int main(void)
{
	/* A hung peer must not hang the suite. */
	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	if (socks5_cred_init(&cred, USER, PASS) < 0)
		return 1;
	RUN(client_against_microsocks);
	RUN(curl_against_server);
	RUN(curl_refused);
	return tap_done();
}
