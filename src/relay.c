/* relay.c: see relay.h. */
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "peercred.h"

/* Accepts per wake-up, so one busy listener cannot starve the others. */
#define ACCEPT_BATCH 16
/* After accept() fails for lack of fds or memory, wait this long before
 * trying again rather than spinning on a listener that stays readable. */
#define ACCEPT_RETRY_MS 100

struct conn;

/* One end of a relayed connection: the accepted client or the peer. */
struct side {
	struct gw_ev ev;
	struct conn *c;
	bool eof;  /* read returned 0: nothing more will come from it */
	bool shut; /* we shut down its write direction */
};

struct listener {
	struct gw_ev ev;
	struct gw_relay r;           /* r.listen_fd is ev.fd */
	struct gw_relay_set *set;
	size_t n_conns;
	bool retry_wait;             /* accept() failed; the timer resumes it */
	struct conn *conns;
};

struct conn {
	struct gw_deferred dead;
	struct listener *li;
	struct conn *prev, *next;
	struct side cl, pe;
	bool connecting;
	bool closed;
	unsigned long id;
	unsigned long long n_up, n_down;
	struct gw_buf up;   /* client -> peer */
	struct gw_buf down; /* peer -> client */
};

struct gw_relay_set {
	struct gw_evloop *loop;
	struct gw_ev timer;
	bool stopping;
	unsigned long next_id;
	size_t n;
	struct listener li[];
};

static void conn_update(struct conn *c);

static struct side *other(struct side *s)
{
	return s == &s->c->cl ? &s->c->pe : &s->c->cl;
}

/* The buffer that reading from s fills. */
static struct gw_buf *from_buf(struct side *s)
{
	return s == &s->c->cl ? &s->c->up : &s->c->down;
}

/* The buffer that is written to s. */
static struct gw_buf *to_buf(struct side *s)
{
	return s == &s->c->cl ? &s->c->down : &s->c->up;
}

static void set_nodelay(int fd)
{
	/* The relay must not add Nagle delays of its own on top of the
	 * endpoints': small interactive writes go out as they come. */
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void set_reset_on_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void listener_update(struct listener *li)
{
	bool open = !li->set->stopping && !li->retry_wait && li->n_conns < RELAY_MAX_CONNS;
	int r = evloop_set(li->set->loop, &li->ev, open ? EPOLLIN : 0);
	if (r < 0)
		log_warn("%s: cannot watch the listening socket: %s", li->r.what, strerror(-r));
}

static void conn_free(struct gw_deferred *d)
{
	free(gw_container_of(d, struct conn, dead));
}

static void conn_unlink(struct conn *c)
{
	struct listener *li = c->li;
	if (c->prev)
		c->prev->next = c->next;
	else
		li->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	li->n_conns--;
}

/* Close both sockets; with `reset` they send RST instead of FIN so that
 * the client sees a failure, not an ordinary end of data. */
static void conn_close(struct conn *c, bool reset)
{
	if (c->closed)
		return;
	c->closed = true;
	struct gw_relay_set *set = c->li->set;
	if (reset) {
		set_reset_on_close(c->cl.ev.fd);
		set_reset_on_close(c->pe.ev.fd);
	}
	evloop_close(set->loop, &c->cl.ev);
	evloop_close(set->loop, &c->pe.ev);
	log_debug("%s: connection %lu %s (%llu bytes in, %llu out)", c->li->r.what, c->id,
		  reset ? "reset" : "closed", c->n_up, c->n_down);
	conn_unlink(c);
	listener_update(c->li);
	evloop_defer(set->loop, &c->dead, conn_free);
}

static int side_write(struct side *s)
{
	if (s->c->connecting && s == &s->c->pe)
		return 0;
	ssize_t n = evloop_buf_write(to_buf(s), s->ev.fd, true);
	return n == -EAGAIN ? 0 : n < 0 ? (int)n : 0;
}

static int side_read(struct side *s)
{
	ssize_t n = evloop_buf_read(from_buf(s), s->ev.fd);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return (int)n;
	if (n == 0) {
		s->eof = true;
		return 0;
	}
	if (s == &s->c->cl)
		s->c->n_up += (unsigned long long)n;
	else
		s->c->n_down += (unsigned long long)n;
	/* Pass it on at once: most of the time the other socket can take
	 * it and no further wake-up is needed. */
	return side_write(other(s));
}

static int finish_connect(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->pe.ev.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		log_debug("%s: connection %lu: cannot connect to %s:%u: %s", c->li->r.what, c->id,
			  inet_ntoa(c->li->r.peer.sin_addr), ntohs(c->li->r.peer.sin_port),
			  strerror(err));
		return -err;
	}
	c->connecting = false;
	return side_write(&c->pe);
}

static void side_cb(struct gw_ev *ev, uint32_t events)
{
	struct side *s = gw_container_of(ev, struct side, ev);
	struct conn *c = s->c;
	int r = 0;
	if (s == &c->pe && c->connecting) {
		r = finish_connect(c);
	} else {
		if ((ev->mask & EPOLLIN) && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			r = side_read(s);
		if (r == 0 && (ev->mask & EPOLLOUT) && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			r = side_write(s);
	}
	if (r < 0) {
		if (!c->connecting)
			log_debug("%s: connection %lu: %s", c->li->r.what, c->id, strerror(-r));
		conn_close(c, true);
		return;
	}
	conn_update(c);
}

/* Once everything read before s's EOF has been delivered, pass the EOF on. */
static void propagate_eof(struct side *s)
{
	struct side *o = other(s);
	if (!s->eof || o->shut || gw_buf_len(from_buf(s)) || s->c->connecting)
		return;
	(void)shutdown(o->ev.fd, SHUT_WR);
	o->shut = true;
}

static uint32_t interest(struct side *s)
{
	if (s == &s->c->pe && s->c->connecting)
		return EPOLLOUT;
	uint32_t m = 0;
	if (!s->eof && !gw_buf_full(from_buf(s)))
		m |= EPOLLIN;
	if (gw_buf_len(to_buf(s)))
		m |= EPOLLOUT;
	return m;
}

static void conn_update(struct conn *c)
{
	if (c->closed)
		return;
	propagate_eof(&c->cl);
	propagate_eof(&c->pe);
	if (c->cl.shut && c->pe.shut) {
		conn_close(c, false);
		return;
	}
	struct gw_evloop *l = c->li->set->loop;
	int r = evloop_set(l, &c->cl.ev, interest(&c->cl));
	if (r == 0)
		r = evloop_set(l, &c->pe.ev, interest(&c->pe));
	if (r < 0) {
		log_warn("%s: connection %lu: epoll: %s", c->li->r.what, c->id, strerror(-r));
		conn_close(c, true);
	}
}

static struct conn *conn_new(struct listener *li, int cfd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->li = li;
	c->id = ++li->set->next_id;
	evloop_ev_init(&c->cl.ev, cfd, side_cb);
	evloop_ev_init(&c->pe.ev, -1, side_cb);
	c->cl.c = c->pe.c = c;
	c->next = li->conns;
	if (c->next)
		c->next->prev = c;
	li->conns = c;
	li->n_conns++;
	return c;
}

static int start_peer(struct conn *c)
{
	const struct gw_relay *r = &c->li->r;
	int fd = r->new_peer(r->ctx);
	if (fd < 0) {
		log_warn("%s: cannot create the socket to %s:%u: %s", r->what,
			 inet_ntoa(r->peer.sin_addr), ntohs(r->peer.sin_port), strerror(-fd));
		return fd;
	}
	c->pe.ev.fd = fd;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	set_nodelay(fd);
	if (connect(fd, (const struct sockaddr *)&r->peer, sizeof r->peer) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		int err = errno;
		log_debug("%s: connection %lu: cannot connect: %s", r->what, c->id, strerror(err));
		return -err;
	}
	c->connecting = true;
	return 0;
}

static void describe_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
	} else if (ss->ss_family == AF_UNIX) {
		snprintf(buf, size, "a Unix socket");
		return;
	}
	snprintf(buf, size, "%s:%u", host, port);
}

/* Whether the client on cfd may be relayed: with owner_only, its socket
 * must be the owner's. */
static bool client_allowed(const struct listener *li, int cfd, const struct sockaddr_storage *from)
{
	if (!li->r.owner_only)
		return true;
	uid_t uid = (uid_t)-1;
	int r = peercred_uid(cfd, &uid);
	if (r == 0 && uid == li->r.owner)
		return true;
	char addr[INET6_ADDRSTRLEN + 8];
	describe_addr(from, addr, sizeof addr);
	if (r < 0)
		log_warn("%s: connection from %s refused: its owner is unknown (%s)", li->r.what,
			 addr, strerror(-r));
	else
		log_warn("%s: connection from %s refused: it belongs to uid %u, not %u", li->r.what,
			 addr, (unsigned)uid, (unsigned)li->r.owner);
	return false;
}

static void accept_one(struct listener *li, int cfd, const struct sockaddr_storage *from)
{
	if (!client_allowed(li, cfd, from)) {
		set_reset_on_close(cfd);
		gw_close_fd(cfd);
		return;
	}
	struct conn *c = conn_new(li, cfd);
	if (!c) {
		log_warn("%s: out of memory: connection dropped", li->r.what);
		set_reset_on_close(cfd);
		gw_close_fd(cfd);
		return;
	}
	if (log_debug_enabled()) {
		char addr[INET6_ADDRSTRLEN + 8];
		describe_addr(from, addr, sizeof addr);
		log_debug("%s: connection %lu from %s", li->r.what, c->id, addr);
	}
	set_nodelay(cfd);
	if (start_peer(c) < 0) {
		conn_close(c, true);
		return;
	}
	conn_update(c);
}

static bool accept_error_is_transient(int err)
{
	/* The pending connection died before we took it, or a signal
	 * interrupted us: go on with the next one. */
	return err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM;
}

static void arm_retry(struct listener *li, int err)
{
	struct gw_relay_set *set = li->set;
	log_warn("%s: cannot accept a connection: %s; retrying", li->r.what, strerror(err));
	struct itimerspec it = { .it_value.tv_nsec = ACCEPT_RETRY_MS * 1000000L };
	li->retry_wait = true;
	if (timerfd_settime(set->timer.fd, 0, &it, NULL) < 0 ||
	    evloop_set(set->loop, &set->timer, EPOLLIN) < 0)
		li->retry_wait = false; /* no timer: spinning beats a dead relay */
}

static void listener_cb(struct gw_ev *ev, uint32_t events)
{
	struct listener *li = gw_container_of(ev, struct listener, ev);
	for (int i = 0; i < ACCEPT_BATCH && li->n_conns < RELAY_MAX_CONNS; i++) {
		struct sockaddr_storage from = { 0 };
		socklen_t len = sizeof from;
		int fd = accept4(ev->fd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(li, fd, &from);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (!accept_error_is_transient(errno)) {
			arm_retry(li, errno);
			break;
		}
	}
	listener_update(li);
}

static void timer_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_relay_set *set = gw_container_of(ev, struct gw_relay_set, timer);
	uint64_t ticks;
	(void)!read(ev->fd, &ticks, sizeof ticks);
	(void)evloop_set(set->loop, ev, 0);
	for (size_t i = 0; i < set->n; i++) {
		set->li[i].retry_wait = false;
		listener_update(&set->li[i]);
	}
}

static int listener_init(struct gw_relay_set *set, struct listener *li, const struct gw_relay *r)
{
	li->set = set;
	li->r = *r;
	evloop_ev_init(&li->ev, r->listen_fd, listener_cb);
	int fl = fcntl(r->listen_fd, F_GETFL);
	if (fl < 0 || fcntl(r->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	int ret = evloop_set(set->loop, &li->ev, EPOLLIN);
	if (ret < 0)
		log_error("%s: cannot watch the listening socket: %s", r->what, strerror(-ret));
	return ret;
}

int relay_start(struct gw_evloop *loop, const struct gw_relay *relays, size_t n,
		struct gw_relay_set **out)
{
	*out = NULL;
	if (!n)
		return 0;
	struct gw_relay_set *set = calloc(1, sizeof *set + n * sizeof set->li[0]);
	if (!set) {
		for (size_t i = 0; i < n; i++)
			gw_close_fd(relays[i].listen_fd);
		return -ENOMEM;
	}
	set->loop = loop;
	set->n = n;
	for (size_t i = 0; i < n; i++)
		evloop_ev_init(&set->li[i].ev, relays[i].listen_fd, listener_cb);
	evloop_ev_init(&set->timer, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		       timer_cb);
	int ret = set->timer.fd < 0 ? -errno : 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = listener_init(set, &set->li[i], &relays[i]);
	if (ret < 0) {
		relay_stop(set);
		return ret;
	}
	*out = set;
	return 0;
}

void relay_stop(struct gw_relay_set *rs)
{
	if (!rs)
		return;
	rs->stopping = true;
	for (size_t i = 0; i < rs->n; i++) {
		struct listener *li = &rs->li[i];
		while (li->conns) {
			struct conn *c = li->conns;
			conn_close(c, false);
		}
		evloop_close(rs->loop, &li->ev);
	}
	evloop_close(rs->loop, &rs->timer);
	/* The connections' memory is freed by the loop (deferred by
	 * conn_close()) at its next dispatch or at evloop_free(). */
	free(rs);
}

static int listen_on(const struct sockaddr *sa, socklen_t len)
{
	_cleanup_close_ int s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(s, sa, len) < 0 || listen(s, 128) < 0)
		return -errno;
	return steal_fd(&s);
}

int relay_listen_loopback6(uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	return listen_on((struct sockaddr *)&sa, sizeof sa);
}

int relay_listen_loopback(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return listen_on((struct sockaddr *)&sa, sizeof sa);
}
