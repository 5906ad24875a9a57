/*
 * netbench: the loopback server and the clients of bench/net.py.
 *
 *   netbench serve
 *       Listens on 127.0.0.1, prints "STREAM_PORT ECHO_PORT" and serves
 *       until killed.  Stream port: the client sends an 8-byte big-endian
 *       length, the server sends that many zero bytes from memory and
 *       closes (a thread per connection).  Echo port: every byte read is
 *       written back (one epoll thread, non-blocking, any number of
 *       connections).
 *
 *   netbench relay PORT
 *       A minimal relay, the reference for one hop: listens on 127.0.0.1,
 *       prints its port, and connects each client to 127.0.0.1:PORT; a
 *       thread per direction moves the bytes socket -> pipe -> socket with
 *       blocking splice(2), 64 KiB at a time (greywall's pipe size).
 *
 *   netbench get HOST PORT BYTES [SOCKS]
 *       One download of BYTES from the stream port; prints
 *       "bytes=N secs=S gbits=G refused_retries=R", timed from the established connection
 *       (after the SOCKS5 handshake) to the last byte.
 *
 *   netbench crr HOST PORT N THREADS [SOCKS]
 *       N times: connect, write 1 byte, read 1 byte back, close; spread
 *       over THREADS threads doing theirs one after another.  Prints
 *       "conns=N fails=F secs=S per_sec=R max_ms=M slow=K" (K: how many
 *       took over 100 ms, from connect to close).
 *
 *   netbench hold HOST PORT N BYTES WAIT_SECS [SOCKS]
 *       Prints "ready" and waits for a line on stdin (every wait for the
 *       script's go-ahead lasts WAIT_SECS at most).  Then opens N
 *       connections to the echo port, keeps them all open, sends BYTES of
 *       pseudo-random data on each and checks the echo byte for byte;
 *       prints "round1 open=N ok=K bad=B" and waits; does a second round
 *       on the same connections, prints "round2 ok=K bad=B", closes them
 *       all, prints "closed" and waits once more before exiting.
 *
 *   netbench hold-http HOST PORT N BYTES WAIT_SECS [SOCKS]
 *       The same, each message an HTTP/1.1 POST request naming HOST with a
 *       body of BYTES (the echo comes back as it went: only the request
 *       direction is HTTP), the shape greywall checks request by request.
 *
 * With -r MS before the command, a connection refused is tried again for up
 * to MS milliseconds (srt starts its in-sandbox socat relays in the
 * background, so its command can start before they listen); the retries
 * are counted in the output.
 *
 * SOCKS is "-" for a direct connection, "env" for $ALL_PROXY, "env:VAR" for
 * $VAR, or socks5[h]://[USER:PASS@]HOST:PORT: a SOCKS5 CONNECT to HOST
 * (sent as an IPv4 address when it is one, as a name otherwise).  Every wait is bounded
 * (10 s per socket operation); exit status 0 only when everything worked.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 10
#define STREAM_BUF (256 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "netbench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- proxy and address ------------------------------------------------- */

struct target {
	struct sockaddr_storage addr;	/* where to connect: host or proxy */
	socklen_t addrlen;
	int socks;			/* 1: SOCKS5 CONNECT to host:port */
	char host[256];
	int port;
	char user[512], pass[512];
};

static int resolve(const char *host, int port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_STREAM }, *res;
	char ps[16];
	int rc;

	snprintf(ps, sizeof(ps), "%d", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc) {
		fprintf(stderr, "netbench: resolving %s: %s\n", host,
			gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* userinfo of a URL: %XX escapes decoded */
static void pct_decode(char *out, size_t len, const char *in)
{
	size_t n = 0;

	while (*in && n + 1 < len) {
		unsigned int c;

		if (in[0] == '%' && sscanf(in + 1, "%2x", &c) == 1) {
			out[n++] = (char)c;
			in += 3;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = 0;
}

static void parse_target(struct target *t, const char *host, const char *port,
			 const char *socks)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = atoi(port);
	if (socks && !strncmp(socks, "env", 3) &&
	    (socks[3] == 0 || socks[3] == ':')) {
		const char *var = socks[3] ? socks + 4 : "ALL_PROXY";

		socks = getenv(var);
		if (!socks) {
			fprintf(stderr, "netbench: no %s\n", var);
			exit(2);
		}
	}
	if (!socks || !strcmp(socks, "-")) {
		if (resolve(host, t->port, &t->addr, &t->addrlen))
			exit(2);
		return;
	}
	const char *p = strstr(socks, "://");
	char hp[512], *at, *colon;

	p = p ? p + 3 : socks;
	snprintf(hp, sizeof(hp), "%s", p);
	char *slash = strchr(hp, '/');
	if (slash)
		*slash = 0;
	at = strrchr(hp, '@');
	if (at) {
		*at = 0;
		colon = strchr(hp, ':');
		if (colon)
			*colon = 0;
		pct_decode(t->user, sizeof(t->user), hp);
		pct_decode(t->pass, sizeof(t->pass), colon ? colon + 1 : "");
		memmove(hp, at + 1, strlen(at + 1) + 1);
	}
	colon = strrchr(hp, ':');
	if (!colon) {
		fprintf(stderr, "netbench: bad proxy %s\n", socks);
		exit(2);
	}
	*colon = 0;
	if (resolve(hp, atoi(colon + 1), &t->addr, &t->addrlen))
		exit(2);
	t->socks = 1;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		p += r;
		n -= r;
	}
	return 0;
}

static int socks5(int fd, const struct target *t, char *err, size_t errlen)
{
	unsigned char b[600];
	size_t n = 0, hl = strlen(t->host);
	struct in_addr a4;

	if (t->user[0]) {
		b[0] = 5, b[1] = 1, b[2] = 2;
	} else {
		b[0] = 5, b[1] = 1, b[2] = 0;
	}
	if (write_all(fd, b, 3) || read_all(fd, b, 2))
		goto io;
	if (b[0] != 5 || b[1] == 0xff) {
		snprintf(err, errlen, "socks5: no acceptable method");
		return -1;
	}
	if (b[1] == 2) {
		size_t ul = strlen(t->user), pl = strlen(t->pass);

		b[0] = 1;
		b[1] = ul;
		memcpy(b + 2, t->user, ul);
		b[2 + ul] = pl;
		memcpy(b + 3 + ul, t->pass, pl);
		if (write_all(fd, b, 3 + ul + pl) || read_all(fd, b, 2))
			goto io;
		if (b[1] != 0) {
			snprintf(err, errlen, "socks5: authentication refused");
			return -1;
		}
	}
	b[n++] = 5, b[n++] = 1, b[n++] = 0;
	if (inet_pton(AF_INET, t->host, &a4) == 1) {
		b[n++] = 1;
		memcpy(b + n, &a4, 4);
		n += 4;
	} else {
		b[n++] = 3;
		b[n++] = hl;
		memcpy(b + n, t->host, hl);
		n += hl;
	}
	b[n++] = t->port >> 8;
	b[n++] = t->port & 0xff;
	if (write_all(fd, b, n) || read_all(fd, b, 4))
		goto io;
	if (b[1] != 0) {
		snprintf(err, errlen, "socks5: CONNECT refused, reply %d", b[1]);
		return -1;
	}
	n = b[3] == 1 ? 4 + 2 : b[3] == 4 ? 16 + 2 : 0;
	if (b[3] == 3) {
		if (read_all(fd, b, 1))
			goto io;
		n = b[0] + 2;
	}
	if (read_all(fd, b, n))
		goto io;
	return 0;
io:
	snprintf(err, errlen, "socks5 handshake: %s", strerror(errno));
	return -1;
}

/* A connected socket to the target (through the proxy when there is one),
 * or -1 with the reason in err. */
static int retry_refused_ms;
static int refused_retries;

static int open_conn(const struct target *t, char *err, size_t errlen)
{
	int fd, one = 1;
	double deadline = now() + retry_refused_ms / 1000.0;

again:
	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	set_timeouts(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen)) {
		int e = errno;

		close(fd);
		if (e == ECONNREFUSED && now() < deadline) {
			__atomic_add_fetch(&refused_retries, 1, __ATOMIC_RELAXED);
			usleep(10000);
			goto again;
		}
		snprintf(err, errlen, "connect: %s", strerror(e));
		return -1;
	}
	if (t->socks && socks5(fd, t, err, errlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- server ------------------------------------------------------------- */

static int listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		die("listen");
	*port = ntohs(sa.sin_port);
	return fd;
}

static char zeros[STREAM_BUF];

static void *stream_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char hdr[8];
	uint64_t left = 0;

	set_timeouts(fd);
	if (read_all(fd, hdr, 8) == 0) {
		for (int i = 0; i < 8; i++)
			left = left << 8 | hdr[i];
		while (left) {
			size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
			ssize_t w = write(fd, zeros, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			left -= w;
		}
		shutdown(fd, SHUT_WR);
		/* wait for the client's close, bounded by the timeout */
		while (read(fd, hdr, sizeof(hdr)) > 0)
			;
	}
	close(fd);
	return NULL;
}

static void *stream_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t th;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			die("accept");
		}
		if (pthread_create(&th, NULL, stream_conn, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

struct econn {
	int fd;
	size_t off, len;	/* pending bytes not yet written back */
	char buf[16384];
};

static void echo_close(int ep, struct econn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Writes back what is pending; then reads more while nothing is pending. */
static void echo_event(int ep, struct econn *c)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);

			if (w < 0 && errno == EAGAIN) {
				struct epoll_event ev = { .events = EPOLLOUT,
							  .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			if (w <= 0) {
				echo_close(ep, c);
				return;
			}
			c->off += w;
		}
		ssize_t r = read(c->fd, c->buf, sizeof(c->buf));

		if (r < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLIN,
						  .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (r <= 0) {
			echo_close(ep, c);
			return;
		}
		c->off = 0;
		c->len = r;
	}
}

static void *echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[256];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll");
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr) {
				echo_event(ep, evs[i].data.ptr);
				continue;
			}
			int fd = accept4(lfd, NULL, NULL,
					 SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			struct econn *c = calloc(1, sizeof(*c));
			int one = 1;

			if (!c) {
				close(fd);
				continue;
			}
			c->fd = fd;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
		}
	}
	return NULL;
}

struct rpair;

struct rdir {
	int from, to;
	struct rpair *pair;
};

struct rpair {
	struct rdir d[2];
	int done;		/* directions finished: the second frees all */
};

static void *relay_dir(void *arg)
{
	struct rdir *d = arg;
	int pp[2];

	if (pipe2(pp, O_CLOEXEC) == 0) {
		for (;;) {
			ssize_t n = splice(d->from, NULL, pp[1], NULL, 65536,
					   SPLICE_F_MOVE);
			if (n <= 0)
				break;
			while (n > 0) {
				ssize_t w = splice(pp[0], NULL, d->to, NULL, n,
						   SPLICE_F_MOVE);
				if (w <= 0)
					goto out;
				n -= w;
			}
		}
out:
		close(pp[0]);
		close(pp[1]);
	}
	shutdown(d->to, SHUT_WR);
	if (__atomic_add_fetch(&d->pair->done, 1, __ATOMIC_ACQ_REL) == 2) {
		close(d->from);
		close(d->to);
		free(d->pair);
	}
	return NULL;
}

static int cmd_relay(int port)
{
	int rp, lfd = listen_any(&rp);
	struct sockaddr_in up = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	printf("%d\n", rp);
	fflush(stdout);
	for (;;) {
		int cl = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), one = 1;

		if (cl < 0)
			continue;
		int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (u < 0 || connect(u, (struct sockaddr *)&up, sizeof(up))) {
			close(cl);
			if (u >= 0)
				close(u);
			continue;
		}
		setsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct rpair *rp2 = calloc(1, sizeof(*rp2));
		pthread_t t1, t2;

		if (!rp2)
			die("calloc");
		rp2->d[0] = (struct rdir){ .from = cl, .to = u, .pair = rp2 };
		rp2->d[1] = (struct rdir){ .from = u, .to = cl, .pair = rp2 };
		if (pthread_create(&t1, NULL, relay_dir, &rp2->d[0]) ||
		    pthread_create(&t2, NULL, relay_dir, &rp2->d[1]))
			die("pthread_create");
		pthread_detach(t1);
		pthread_detach(t2);
	}
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmd_serve(void)
{
	int sp, epo, s = listen_any(&sp), e = listen_any(&epo);
	pthread_t t1, t2;

	raise_nofile();
	if (pthread_create(&t1, NULL, stream_server, (void *)(intptr_t)s) ||
	    pthread_create(&t2, NULL, echo_server, (void *)(intptr_t)e))
		die("pthread_create");
	printf("%d %d\n", sp, epo);
	fflush(stdout);
	pthread_join(t1, NULL);
	return 0;
}

/* ---- clients ------------------------------------------------------------ */

static int cmd_get(const struct target *t, uint64_t bytes)
{
	static char buf[STREAM_BUF];
	unsigned char hdr[8];
	char err[256];
	uint64_t got = 0;
	int fd = open_conn(t, err, sizeof(err));

	if (fd < 0) {
		fprintf(stderr, "netbench: %s\n", err);
		return 1;
	}
	double t0 = now();

	for (int i = 0; i < 8; i++)
		hdr[i] = bytes >> (56 - 8 * i);
	if (write_all(fd, hdr, 8)) {
		fprintf(stderr, "netbench: request: %s\n", strerror(errno));
		return 1;
	}
	while (got < bytes) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "netbench: short read after %llu of %llu bytes: %s\n",
				(unsigned long long)got, (unsigned long long)bytes,
				r ? strerror(errno) : "EOF");
			return 1;
		}
		got += r;
	}
	double secs = now() - t0;

	close(fd);
	printf("bytes=%llu secs=%.6f gbits=%.3f refused_retries=%d\n",
	       (unsigned long long)got, secs, got * 8 / secs / 1e9,
	       refused_retries);
	return 0;
}

struct crr_arg {
	const struct target *t;
	int n, fails, slow;	/* slow: connections that took over 100 ms */
	double max;
	char err[256];
};

static void *crr_thread(void *p)
{
	struct crr_arg *a = p;

	for (int i = 0; i < a->n; i++) {
		char c = 'x', d;
		double t0 = now();
		int fd = open_conn(a->t, a->err, sizeof(a->err));

		if (fd < 0) {
			a->fails++;
			continue;
		}
		if (write_all(fd, &c, 1) || read_all(fd, &d, 1) || d != c) {
			snprintf(a->err, sizeof(a->err), "1-byte exchange: %s",
				 strerror(errno));
			a->fails++;
		}
		close(fd);
		double dt = now() - t0;

		if (dt > a->max)
			a->max = dt;
		if (dt > 0.1)
			a->slow++;
	}
	return NULL;
}

static int cmd_crr(const struct target *t, int n, int threads)
{
	struct crr_arg *a = calloc(threads, sizeof(*a));
	pthread_t *th = calloc(threads, sizeof(*th));
	int fails = 0, slow = 0;
	double max = 0;

	if (!a || !th)
		die("calloc");
	double t0 = now();

	for (int i = 0; i < threads; i++) {
		a[i].t = t;
		a[i].n = n / threads + (i < n % threads);
		if (pthread_create(&th[i], NULL, crr_thread, &a[i]))
			die("pthread_create");
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double secs = now() - t0;

	for (int i = 0; i < threads; i++) {
		if (a[i].fails)
			fprintf(stderr, "netbench: thread %d: %d failed, last: %s\n",
				i, a[i].fails, a[i].err);
		fails += a[i].fails;
		slow += a[i].slow;
		if (a[i].max > max)
			max = a[i].max;
	}
	printf("conns=%d fails=%d secs=%.6f per_sec=%.1f max_ms=%.1f slow=%d "
	       "refused_retries=%d\n", n, fails, secs, (n - fails) / secs,
	       max * 1e3, slow, refused_retries);
	return fails ? 1 : 0;
}

/* The bytes of connection i, round r: xorshift from a per-connection seed. */
static void pattern(char *buf, size_t n, int i, int r)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(i * 2 + r + 1);

	for (size_t k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[k] = (char)x;
	}
}

static const char *hold_host;	/* set: each message is an HTTP request */

/* The message of connection i, round r, into buf (bytes + 256 long):
 * bytes of the pattern, after an HTTP request head naming hold_host when
 * there is one.  Returns its length. */
static size_t message(char *buf, size_t bytes, int i, int r)
{
	int h = 0;

	if (hold_host)
		h = snprintf(buf, 256, "POST /bench/%d/%d HTTP/1.1\r\nHost: %s\r\n"
			     "Content-Length: %zu\r\n\r\n", i, r + 1,
			     hold_host, bytes);
	pattern(buf + h, bytes, i, r);
	return h + bytes;
}

static int hold_round(int *fds, int n, size_t bytes, int r, int *bad)
{
	char *want = malloc(bytes + 256), *got = malloc(bytes + 256);
	int ok = 0, nerr = 0;

	if (!want || !got)
		die("malloc");
	*bad = 0;
	/* everything out first, so all the connections carry data at once */
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		size_t len = message(want, bytes, i, r);

		if (write_all(fds[i], want, len)) {
			if (nerr++ < 5)
				fprintf(stderr, "netbench: round %d conn %d write: %s\n",
					r + 1, i, strerror(errno));
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		size_t len = message(want, bytes, i, r);

		if (read_all(fds[i], got, len)) {
			if (nerr++ < 5)
				fprintf(stderr, "netbench: round %d conn %d read: %s\n",
					r + 1, i, strerror(errno));
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		if (memcmp(want, got, len)) {
			if (nerr++ < 5)
				fprintf(stderr, "netbench: round %d conn %d: data differs\n",
					r + 1, i);
			++*bad;
			continue;
		}
		ok++;
	}
	free(want);
	free(got);
	return ok;
}

/* Waits (at most wait_s) for a line on stdin: the script's go-ahead. */
static void wait_go(int wait_s, const char *stage)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char line[64];

	if (poll(&pfd, 1, wait_s * 1000) <= 0 || !fgets(line, sizeof(line), stdin))
		fprintf(stderr, "netbench: no go-ahead after %s, carrying on\n",
			stage);
}

static int cmd_hold(const struct target *t, int n, size_t bytes, int wait_s)
{
	int *fds = malloc(n * sizeof(int)), open = 0, bad1, bad2, nerr = 0;
	char err[256];

	if (!fds)
		die("malloc");
	raise_nofile();
	printf("ready\n");
	fflush(stdout);
	wait_go(wait_s, "ready");
	for (int i = 0; i < n; i++) {
		fds[i] = open_conn(t, err, sizeof(err));
		if (fds[i] < 0) {
			if (nerr++ < 5)
				fprintf(stderr, "netbench: conn %d: %s\n", i, err);
			continue;
		}
		open++;
	}
	int ok1 = hold_round(fds, n, bytes, 0, &bad1);

	printf("round1 open=%d ok=%d bad=%d\n", open, ok1, bad1);
	fflush(stdout);
	wait_go(wait_s, "round1");
	int ok2 = hold_round(fds, n, bytes, 1, &bad2);

	printf("round2 ok=%d bad=%d\n", ok2, bad2);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("closed\n");
	fflush(stdout);
	wait_go(wait_s, "closed");
	return ok1 == n && ok2 == n ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: netbench serve\n"
		"       netbench relay PORT\n"
		"       netbench [-r MS] get HOST PORT BYTES [SOCKS]\n"
		"       netbench [-r MS] crr HOST PORT N THREADS [SOCKS]\n"
		"       netbench [-r MS] hold HOST PORT N BYTES WAIT_SECS [SOCKS]\n"
		"       netbench [-r MS] hold-http HOST PORT N BYTES WAIT_SECS [SOCKS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct target t;

	if (argc > 3 && !strcmp(argv[1], "-r")) {
		retry_refused_ms = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "serve"))
		return cmd_serve();
	if (!strcmp(argv[1], "relay") && argc == 3)
		return cmd_relay(atoi(argv[2]));
	if (!strcmp(argv[1], "get") && (argc == 5 || argc == 6)) {
		parse_target(&t, argv[2], argv[3], argc == 6 ? argv[5] : NULL);
		return cmd_get(&t, strtoull(argv[4], NULL, 10));
	}
	if (!strcmp(argv[1], "crr") && (argc == 6 || argc == 7)) {
		parse_target(&t, argv[2], argv[3], argc == 7 ? argv[6] : NULL);
		return cmd_crr(&t, atoi(argv[4]), atoi(argv[5]));
	}
	if ((!strcmp(argv[1], "hold") || !strcmp(argv[1], "hold-http")) &&
	    (argc == 7 || argc == 8)) {
		parse_target(&t, argv[2], argv[3], argc == 8 ? argv[7] : NULL);
		if (!strcmp(argv[1], "hold-http"))
			hold_host = argv[2];
		return cmd_hold(&t, atoi(argv[4]), strtoul(argv[5], NULL, 10),
				atoi(argv[6]));
	}
	usage();
	return 2;
}
