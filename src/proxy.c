/* proxy.c: see proxy.h.
 *
 * A connection goes through these states:
 *
 *   FRONT     reading the SOCKS5 or HTTP handshake (not for CAPTURE)
 *   RESOLVE   the allowed name is being resolved
 *   CONNECT   non-blocking connect() to one address after the other
 *   UPSTREAM  handshake with the upstream proxy (proxy-upstream.c)
 *   RELAY     bytes flow; until the client's first flight has been
 *             checked (`checked`), only the server-to-client direction
 *             runs (a server that speaks first, like SSH, still works)
 *
 * Everything the client sends before the relay (a pipelined ClientHello,
 * the first flight itself) is kept in `hs` and written to the server
 * before splicing starts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain.h"
#include "http1.h"
#include "log.h"
#include "proxy-conn.h"
#include "resolver.h"
#include "sniff.h"
#include "socks5.h"
#include "util.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_IDLE_MS (30 * 60 * 1000)
#define DEFAULT_MAX_CONNS 4096
/* A handshake (SOCKS5, HTTP head, first flight) must finish within this. */
#define HANDSHAKE_MS 15000
#define SWEEP_MS 500
/* Empty pipes kept between connections (two per connection), given back
 * once no connection is open. */
#define PIPE_POOL 64

struct listener {
	struct gw_ev ev;
	struct gw_proxy *px;
	enum gw_proxy_kind kind;
	struct listener *next;
};

struct gw_proxy {
	struct gw_evloop *loop;
	struct gw_proxy_opts o;
	const struct gw_netpolicy *policy;
	struct gw_resolver *resolver;
	struct gw_socks5_cred cred, up_cred;
	bool has_cred, has_up_cred;
	char *basic;                 /* "Basic base64(user:pass)" */
	char *up_basic;              /* the same for an HTTP upstream, or NULL */
	struct listener *listeners;
	bool paused;
	struct conn *conns;
	struct gw_ev timer;
	bool timer_armed;
	uint64_t next_id;
	struct gw_proxy_stats stats;
	int pipes[PIPE_POOL][2];     /* empty pipes kept for the next connections */
	size_t n_pipes;
};

int64_t proxy_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct gw_netpolicy *proxy_policy(const struct gw_proxy *px)
{
	return px->policy;
}

const struct gw_socks5_cred *proxy_cred(const struct gw_proxy *px)
{
	return px->has_cred ? &px->cred : NULL;
}

const char *proxy_basic_auth(const struct gw_proxy *px)
{
	return px->basic;
}

const struct gw_proxy_url *proxy_upstream(const struct gw_proxy *px)
{
	return px->o.upstream;
}

const struct gw_socks5_cred *proxy_upstream_cred(const struct gw_proxy *px)
{
	return px->has_up_cred ? &px->up_cred : NULL;
}

const char *proxy_upstream_basic(const struct gw_proxy *px)
{
	return px->up_basic;
}

int proxy_idle_timeout(const struct gw_proxy *px)
{
	return px->o.idle_timeout_ms;
}

struct gw_evloop *proxy_loop(const struct gw_proxy *px)
{
	return px->loop;
}

int proxy_pipe_get(struct gw_proxy *px, int p[2])
{
	if (px->n_pipes) {
		memcpy(p, px->pipes[--px->n_pipes], 2 * sizeof(int));
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0 ? -errno : 0;
}

void proxy_pipe_put(struct gw_proxy *px, const int p[2], bool empty)
{
	if (empty && px->n_pipes < PIPE_POOL) {
		memcpy(px->pipes[px->n_pipes++], p, 2 * sizeof(int));
		return;
	}
	close(p[0]);
	close(p[1]);
}

/* ---- logging ---- */

static void dest_text(const struct conn *c, char *buf, size_t cap)
{
	if (c->literal && strchr(c->host, ':'))
		snprintf(buf, cap, "[%s]:%u", c->host, c->port);
	else
		snprintf(buf, cap, "%s:%u", c->host[0] ? c->host : "?", c->port);
}

void conn_log_denied(struct conn *c, const char *reason)
{
	char d[GW_DOMAIN_MAX + 16];
	c->px->stats.denied++;
	if (!c->px->o.monitor && !log_debug_enabled())
		return;
	dest_text(c, d, sizeof d);
	log_notice("denied %s \u2014 %s", d, reason);
}

void conn_log_allowed(struct conn *c, const char *reason)
{
	char d[GW_DOMAIN_MAX + 16];
	if (!log_debug_enabled())
		return;
	dest_text(c, d, sizeof d);
	log_debug("allowed %s \u2014 %s", d, reason);
}

/* ---- connection lifetime ---- */

static void arm_timer(struct gw_proxy *px)
{
	if (px->timer_armed || px->timer.fd < 0)
		return;
	struct itimerspec its = {
		.it_value = { .tv_nsec = SWEEP_MS * 1000000L },
		.it_interval = { .tv_nsec = SWEEP_MS * 1000000L },
	};
	if (timerfd_settime(px->timer.fd, 0, &its, NULL) == 0)
		px->timer_armed = true;
}

static void free_conn(struct gw_deferred *d)
{
	free(gw_container_of(d, struct conn, freed));
}

static void resume_listeners(struct gw_proxy *px)
{
	if (!px->paused)
		return;
	px->paused = false;
	for (struct listener *l = px->listeners; l; l = l->next)
		evloop_set(px->loop, &l->ev, EPOLLIN);
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	struct gw_proxy *px = c->px;
	resolver_cancel(c->req);
	c->req = NULL;
	if (c->holding_fake && px->o.fake && px->o.fake->release)
		px->o.fake->release(px->o.fake->ctx, (struct sockaddr *)&c->orig);
	relay_free(c);
	/* Both sockets were made here (accept4, socket) and never shared. */
	evloop_close_sole(&c->cli);
	evloop_close_sole(&c->up);
	free(c->hs);
	c->hs = NULL;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	px->stats.open--;
	evloop_defer(px->loop, &c->freed, free_conn);
	resume_listeners(px);
}

void conn_reset(struct conn *c)
{
	/* SO_LINGER 0: close() sends RST, so the client fails at once
	 * instead of seeing an orderly, misleading end of stream. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	if (c->cli.fd >= 0)
		setsockopt(c->cli.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	conn_close(c);
}

static void drain_pipes(struct gw_proxy *px)
{
	while (px->n_pipes) {
		px->n_pipes--;
		close(px->pipes[px->n_pipes][0]);
		close(px->pipes[px->n_pipes][1]);
	}
}

static void sweep(struct gw_proxy *px)
{
	int64_t now = proxy_now_ms();
	struct conn *next;
	for (struct conn *c = px->conns; c; c = next) {
		next = c->next;
		if (!c->deadline_ms || now < c->deadline_ms)
			continue;
		if (c->st == ST_RELAY && (c->checked || c->hs_len == 0)) {
			log_debug("connection %llu idle, closed", (unsigned long long)c->id);
			conn_close(c);
		} else if (c->st == ST_CONNECT || c->st == ST_UPSTREAM || c->st == ST_RESOLVE) {
			front_dial_done(c, -ETIMEDOUT, false);
		} else {
			log_debug("connection %llu: handshake timed out", (unsigned long long)c->id);
			conn_reset(c);
		}
	}
	if (!px->conns) {
		struct itimerspec off = { 0 };
		timerfd_settime(px->timer.fd, 0, &off, NULL);
		px->timer_armed = false;
		/* Idle: the pool gives its descriptors back. */
		drain_pipes(px);
	}
}

static void timer_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_proxy *px = gw_container_of(ev, struct gw_proxy, timer);
	uint64_t ticks;
	(void)events;
	if (read(ev->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return;
	sweep(px);
}

/* ---- dialling: decide, resolve, connect ---- */

static void connect_next(struct conn *c);

/* The connection to the server (or the upstream proxy) is up. */
static void on_connected(struct conn *c)
{
	if (c->px->o.upstream) {
		c->st = ST_UPSTREAM;
		int r = upstream_start(c);
		if (r < 0) {
			front_dial_done(c, r, false);
			return;
		}
		evloop_set(c->px->loop, &c->up, EPOLLIN);
		return;
	}
	front_dial_done(c, 0, false);
}

static void up_cb(struct gw_ev *ev, uint32_t events)
{
	struct conn *c = gw_container_of(ev, struct conn, up);
	if (c->closed)
		return;
	if (c->st == ST_CONNECT) {
		int err = 0;
		socklen_t len = sizeof err;
		/* A failed connect raises EPOLLERR (TCP's poll reports a
		 * socket error that way): writable without it is connected,
		 * and asking SO_ERROR would only say 0. */
		bool clean = (events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP));
		if (!clean && getsockopt(ev->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0 && !(events & EPOLLOUT))
			return;
		/* After a failed address, an event may be stale (left from the
		 * socket tried before, in the same batch): only a peer address
		 * proves the connect then. */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		if (err == 0 && c->next_addr > 1 &&
		    getpeername(ev->fd, (struct sockaddr *)&peer, &plen) < 0) {
			if (errno == ENOTCONN)
				return;
			err = errno;
		}
		if (err) {
			c->last_err = -err;
			evloop_close(c->px->loop, &c->up);
			connect_next(c);
			return;
		}
		on_connected(c);
		return;
	}
	if (c->st == ST_UPSTREAM) {
		upstream_on_event(c);
		return;
	}
	relay_on_event(c, ev, events);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* On loopback the whole handshake runs inside connect() (the packets are
 * handled on the way, in the caller's context), so the socket is usually
 * connected already: one poll() then saves a round through the event
 * loop and two epoll_ctl() per connection.  Elsewhere it cannot be. */
static bool connected_at_once(int fd, const struct sockaddr_storage *to)
{
	if (!is_loopback(to))
		return false;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	return poll(&p, 1, 0) == 1 && p.revents == POLLOUT;
}

/* 1 connected, 0 in progress (the loop says when), or -errno. */
static int start_connect(struct conn *c, const struct sockaddr_storage *to)
{
	int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	evloop_ev_init(&c->up, fd, up_cb);
	socklen_t len = to->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6);
	int r = connect(fd, (const struct sockaddr *)to, len);
	if (r < 0 && errno != EINPROGRESS) {
		int err = -errno;
		evloop_close(c->px->loop, &c->up);
		return err;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (r == 0 || connected_at_once(fd, to))
		return 1;
	return evloop_set(c->px->loop, &c->up, EPOLLOUT);
}

static void connect_next(struct conn *c)
{
	while (c->next_addr < c->n_addrs) {
		int r = start_connect(c, &c->addrs[c->next_addr++]);
		if (r == 1)
			on_connected(c);
		if (r >= 0)
			return;
		c->last_err = r;
	}
	front_dial_done(c, c->last_err ? c->last_err : -EHOSTUNREACH, false);
}

static void begin_connect(struct conn *c)
{
	c->st = ST_CONNECT;
	c->deadline_ms = proxy_now_ms() + c->px->o.connect_timeout_ms;
	c->next_addr = 0;
	connect_next(c);
}

/* Keep only the addresses the policy lets greywall connect to. */
static void filter_addrs(struct conn *c, const struct sockaddr_storage *addrs, size_t n)
{
	c->n_addrs = 0;
	c->addr_refusal = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *why;
		if (netpolicy_check_addr(c->px->policy, (const struct sockaddr *)&addrs[i], &why))
			c->addrs[c->n_addrs++] = addrs[i];
		else if (!c->addr_refusal)
			c->addr_refusal = why;
	}
}

static void resolved(void *arg, int err, const struct sockaddr_storage *addrs, size_t n)
{
	struct conn *c = arg;
	c->req = NULL;
	if (c->closed)
		return;
	if (err < 0) {
		log_debug("cannot resolve %s: %s", c->host, strerror(-err));
		front_dial_done(c, err == -ENOENT ? -EHOSTUNREACH : err, false);
		return;
	}
	filter_addrs(c, addrs, n);
	if (c->n_addrs == 0) {
		conn_log_denied(c, c->addr_refusal ? c->addr_refusal : "no usable address");
		front_dial_done(c, -EACCES, true);
		return;
	}
	begin_connect(c);
}

void conn_dial(struct conn *c)
{
	struct gw_proxy *px = c->px;
	const char *reason;
	if (netpolicy_decide(px->policy, c->host, c->port, &reason, NULL) != GW_NET_ALLOW) {
		conn_log_denied(c, c->literal ? (strcmp(reason, "in deniedDomains") == 0
						 ? reason : "an IP address not in allowedDomains")
					      : reason);
		front_dial_done(c, -EACCES, true);
		return;
	}
	conn_log_allowed(c, reason);
	c->st = ST_RESOLVE;
	c->deadline_ms = proxy_now_ms() + px->o.connect_timeout_ms;
	if (px->o.upstream) {
		/* The upstream resolves the name itself. */
		struct sockaddr_storage ss;
		if (!netpolicy_parse_literal(px->o.upstream->host, px->o.upstream->port, &ss)) {
			front_dial_done(c, -EHOSTUNREACH, false);
			return;
		}
		c->addrs[0] = ss;
		c->n_addrs = 1;
		begin_connect(c);
		return;
	}
	if (c->literal) {
		struct sockaddr_storage ss;
		netpolicy_parse_literal(c->host, c->port, &ss);
		filter_addrs(c, &ss, 1);
		if (c->n_addrs == 0) {
			conn_log_denied(c, c->addr_refusal);
			front_dial_done(c, -EACCES, true);
			return;
		}
		begin_connect(c);
		return;
	}
	if (!px->resolver)
		px->resolver = resolver_new(px->loop, px->o.dns_addr);
	int r = resolver_lookup(px->resolver, c->host, c->port, resolved, c, &c->req);
	if (r < 0)
		front_dial_done(c, r, false);
}

/* ---- accepting ---- */

static void cli_cb(struct gw_ev *ev, uint32_t events)
{
	struct conn *c = gw_container_of(ev, struct conn, cli);
	if (c->closed)
		return;
	if (c->st == ST_FRONT || (c->st != ST_RELAY && c->out_len > c->out_off))
		front_on_client(c, events);
	else if (c->st == ST_RELAY)
		relay_on_event(c, ev, events);
	else if (events & (EPOLLHUP | EPOLLERR))
		conn_close(c); /* the client gave up while we were dialling */
}

/* CAPTURE: the destination is where the client connected to. */
static int capture_dest(struct conn *c)
{
	struct gw_proxy *px = c->px;
	socklen_t len = sizeof c->orig;
	struct sockaddr_in *in = (struct sockaddr_in *)&c->orig;
	if (getsockopt(c->cli.fd, SOL_IP, SO_ORIGINAL_DST, in, &len) < 0)
		return -errno;
	c->port = ntohs(in->sin_port);
	if (px->o.fake && px->o.fake->lookup(px->o.fake->ctx, (struct sockaddr *)in, c->host,
					     sizeof c->host) == 0) {
		c->literal = false;
		if (px->o.fake->hold) {
			px->o.fake->hold(px->o.fake->ctx, (struct sockaddr *)in);
			c->holding_fake = true;
		}
		return 0;
	}
	uint16_t port;
	c->literal = true;
	/* A connection made straight to the capture listener inside the
	 * namespace (loopback is not redirected) has no destination. */
	if (ntohl(in->sin_addr.s_addr) >> 24 == 127)
		return -EDESTADDRREQ;
	return netpolicy_host_of_addr((struct sockaddr *)in, c->host, sizeof c->host, &port);
}

static void accept_one(struct listener *l, int fd)
{
	struct gw_proxy *px = l->px;
	struct conn *c = xcalloc(1, sizeof *c);
	c->px = px;
	c->kind = l->kind;
	c->id = ++px->next_id;
	c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
	evloop_ev_init(&c->cli, fd, cli_cb);
	evloop_ev_init(&c->up, -1, up_cb);
	c->next = px->conns;
	if (c->next)
		c->next->pprev = &c->next;
	px->conns = c;
	c->pprev = &px->conns;
	px->stats.open++;
	px->stats.accepted++;
	c->deadline_ms = proxy_now_ms() + HANDSHAKE_MS;
	arm_timer(px);
	if (l->kind != GW_PROXY_CAPTURE) {
		front_start(c);
		return;
	}
	int r = capture_dest(c);
	if (r < 0) {
		log_debug("captured connection without a destination: %s", strerror(-r));
		conn_reset(c);
		return;
	}
	conn_dial(c);
}

static void pause_listeners(struct gw_proxy *px)
{
	px->paused = true;
	for (struct listener *l = px->listeners; l; l = l->next)
		evloop_set(px->loop, &l->ev, 0);
}

static void listener_cb(struct gw_ev *ev, uint32_t events)
{
	struct listener *l = gw_container_of(ev, struct listener, ev);
	(void)events;
	/* A bounded batch, so that one busy listener cannot starve the rest
	 * of the loop. */
	for (int i = 0; i < 64; i++) {
		if (l->px->stats.open >= l->px->o.max_conns) {
			pause_listeners(l->px);
			return;
		}
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("proxy: out of file descriptors, not accepting for now");
				pause_listeners(l->px);
			}
			return;
		}
		accept_one(l, fd);
	}
}

/* ---- public ---- */

static char *basic_credential(const char *user, const char *pass)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	_cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	char *out = xmalloc(6 + 4 * ((n + 2) / 3) + 1), *o = out;
	memcpy(o, "Basic ", 6);
	o += 6;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)plain[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)plain[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tbl[v & 63] : '=';
	}
	*o = '\0';
	explicit_bzero(plain, n);
	return out;
}

/* Six descriptors per relayed connection (two sockets, two pipes): the
 * usual soft limit of 1024 would stop the proxy near 170.  A sandboxed
 * command gets the caller's limit back (supervise.h). */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_debug("cannot raise the open-file limit: %s", strerror(errno));
	}
}

int proxy_new(struct gw_evloop *loop, const struct gw_proxy_opts *opts, struct gw_proxy **out)
{
	raise_nofile();
	struct gw_proxy *px = xcalloc(1, sizeof *px);
	px->loop = loop;
	px->o = *opts;
	px->policy = opts->policy;
	if (!px->o.connect_timeout_ms)
		px->o.connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!px->o.idle_timeout_ms)
		px->o.idle_timeout_ms = DEFAULT_IDLE_MS;
	if (!px->o.max_conns)
		px->o.max_conns = DEFAULT_MAX_CONNS;
	if (opts->user && opts->pass) {
		if (socks5_cred_init(&px->cred, opts->user, opts->pass) < 0) {
			free(px);
			return -EINVAL;
		}
		px->has_cred = true;
		px->basic = basic_credential(opts->user, opts->pass);
	}
	px->o.user = px->o.pass = NULL; /* not kept: the copies above are */
	const struct gw_proxy_url *u = opts->upstream;
	if (u && u->user && socks5_cred_init(&px->up_cred, u->user, u->pass ? u->pass : "") == 0)
		px->has_up_cred = true;
	if (u && u->user)
		px->up_basic = basic_credential(u->user, u->pass ? u->pass : "");
	evloop_ev_init(&px->timer, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		       timer_cb);
	int r = px->timer.fd < 0 ? -errno : evloop_set(loop, &px->timer, EPOLLIN);
	if (r < 0) {
		proxy_free(px);
		return r;
	}
	*out = px;
	return 0;
}

int proxy_add_listener(struct gw_proxy *px, enum gw_proxy_kind kind, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = -errno;
		gw_close_fd(fd);
		return err;
	}
	/* Accepted sockets inherit it: small writes (a 1-byte reply, a TLS
	 * record) are relayed at once, without a setsockopt per connection. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct listener *l = xcalloc(1, sizeof *l);
	l->px = px;
	l->kind = kind;
	evloop_ev_init(&l->ev, fd, listener_cb);
	int r = evloop_set(px->loop, &l->ev, px->paused ? 0 : EPOLLIN);
	if (r < 0) {
		gw_close_fd(fd);
		free(l);
		return r;
	}
	l->next = px->listeners;
	px->listeners = l;
	return 0;
}

void proxy_set_policy(struct gw_proxy *px, const struct gw_netpolicy *policy)
{
	px->policy = policy;
}

void proxy_stats(const struct gw_proxy *px, struct gw_proxy_stats *out)
{
	*out = px->stats;
}

void proxy_free(struct gw_proxy *px)
{
	if (!px)
		return;
	while (px->conns)
		conn_close(px->conns);
	while (px->listeners) {
		struct listener *l = px->listeners;
		px->listeners = l->next;
		evloop_close(px->loop, &l->ev);
		free(l);
	}
	resolver_free(px->resolver);
	drain_pipes(px);
	if (px->timer.fd >= 0)
		evloop_close(px->loop, &px->timer);
	explicit_bzero(&px->cred, sizeof px->cred);
	explicit_bzero(&px->up_cred, sizeof px->up_cred);
	char *secrets[] = { px->basic, px->up_basic };
	for (size_t i = 0; i < 2; i++)
		if (secrets[i]) {
			explicit_bzero(secrets[i], strlen(secrets[i]));
			free(secrets[i]);
		}
	free(px);
}

int proxy_listen_loopback(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(*port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(a.sin_port);
	return fd;
}
