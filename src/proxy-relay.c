/* proxy-relay.c: a connected pair, from the first flight on (see
 * proxy-conn.h).
 *
 * Each direction moves bytes socket -> pipe -> socket with splice(2), so
 * they are never copied into the supervisor; a direction reads only while
 * its pipe is empty, which is the back-pressure (at most one pipe of data,
 * 64 KiB, in flight per direction).  An end of file becomes shutdown
 * (SHUT_WR) of the other side once the pipe has drained, so half-closed
 * connections keep working.
 *
 * Client bytes take a slower, copying path while they must be looked at:
 * the first flight (TLS ClientHello or HTTP request head), and in plain
 * HTTP every request head (framed by http1.h), whose Host must name the
 * connection's host too.  When the first request asks for a protocol
 * upgrade, the client's next bytes wait for the server's status line:
 * after a 101 the connection carries another protocol and is spliced
 * both ways; after anything else it stays HTTP. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxy-conn.h"
#include "sniff.h"
#include "util.h"

/* Rounds of pumping per event, so one fast connection cannot starve the
 * others (level-triggered epoll calls again). */
#define PUMP_ROUNDS 8
#define SPLICE_CHUNK (64 * 1024)
/* The pipe size of a connection that moves data in bulk. */
#define BULK_PIPE (512 * 1024)

void relay_free(struct conn *c)
{
	/* An empty pipe goes back to the proxy's pool: two pipe2() and four
	 * close() fewer for the next connection. */
	struct half *hs[] = { &c->c2u, &c->u2c };
	for (size_t i = 0; i < 2; i++) {
		if (hs[i]->pipe[0] >= 0)
			proxy_pipe_put(c->px, hs[i]->pipe, hs[i]->inpipe == 0);
		hs[i]->pipe[0] = hs[i]->pipe[1] = -1;
	}
}

static void refuse(struct conn *c, const char *reason)
{
	conn_log_denied(c, reason);
	conn_reset(c);
}

/* ---- the first flight ---- */

static bool same_host(const struct conn *c, const char *raw, size_t len)
{
	char name[GW_DOMAIN_MAX + 1];
	const char *why;
	if (domain_normalize(raw, len, name, sizeof name, &why) < 0)
		return false;
	return strcmp(name, c->host) == 0;
}

/* The host part of a Host header value ("name", "name:port", "[v6]:port"). */
static size_t host_part(const char *v, size_t len)
{
	if (len && v[0] == '[') {
		const char *end = memchr(v, ']', len);
		return end ? (size_t)(end - v) + 1 : len;
	}
	const char *colon = memchr(v, ':', len);
	return colon ? (size_t)(colon - v) : len;
}

/* 1: the request may go to this connection's host; -1: refused (logged). */
static int check_http_head(struct conn *c, const struct gw_http_head *h)
{
	if (h->target_kind == GW_HTTP_TARGET_AUTHORITY) {
		refuse(c, "CONNECT inside a tunnel");
		return -1;
	}
	if (h->target_kind == GW_HTTP_TARGET_ABSOLUTE && !same_host(c, h->host, strlen(h->host))) {
		refuse(c, "an absolute-URI request for another host");
		return -1;
	}
	if (!h->host_header[0]) {
		refuse(c, "an HTTP request without Host");
		return -1;
	}
	size_t hl = host_part(h->host_header, strlen(h->host_header));
	if (!same_host(c, h->host_header, hl)) {
		refuse(c, "the HTTP Host header names another host");
		return -1;
	}
	return 1;
}

/* 1: accepted; 0: need more bytes; -1: refused (connection gone). */
static int check_first_flight(struct conn *c)
{
	const uint8_t *b = c->hs;
	size_t len = c->hs_len;
	if (sniff_odd_tls_start(b, len)) {
		refuse(c, "TLS that does not start with a ClientHello");
		return -1;
	}
	if (sniff_looks_tls(b, len)) {
		char sni[GW_SNIFF_NAME_MAX + 1];
		int r = sniff_tls_sni(b, len, sni, sizeof sni);
		if (r == 0)
			return len < GW_HS_MAX ? 0 : (refuse(c, "TLS ClientHello too large"), -1);
		if (r == -ENOENT) {
			refuse(c, "TLS without a server name (SNI)");
			return -1;
		}
		if (r < 0) {
			refuse(c, r == -E2BIG ? "TLS ClientHello too large" : "malformed TLS ClientHello");
			return -1;
		}
		if (!same_host(c, sni, strlen(sni))) {
			refuse(c, "the TLS server name (SNI) names another host");
			return -1;
		}
		return 1;
	}
	int http = sniff_looks_http(b, len, GW_HS_MAX);
	if (http < 0)
		return 1; /* not TLS, not HTTP: nothing names a host to compare */
	if (http == 0)
		return 0;
	c->framed = true;
	http1_framer_init(&c->framer);
	/* The framer reads the head from its start, bytes sent ahead
	 * included (they are still in the buffer). */
	c->frame_pos = 0;
	return 1;
}

/* ---- copying client bytes (first flight, framed HTTP) ----
 *
 * c->hs holds [0, hs_off) sent, [hs_off, frame_pos) approved and not yet
 * sent, [frame_pos, hs_len) received but not yet approved (a head split
 * across reads). */

/* Approve what the framer can classify from frame_pos on.  0, or -1 when
 * refused (connection gone). */
static int frame_pending(struct conn *c)
{
	while (c->frame_pos < c->hs_len && !c->framer_done && !c->await_status) {
		struct gw_http_event ev;
		int r = http1_framer_feed(&c->framer, c->hs + c->frame_pos, c->hs_len - c->frame_pos, &ev);
		if (r < 0) {
			refuse(c, "malformed HTTP request");
			return -1;
		}
		if (ev.kind == GW_HTTP_EV_NEED_MORE)
			break;
		if (ev.kind == GW_HTTP_EV_HEAD) {
			if (c->http_forward) {
				/* One request per forwarded connection. */
				c->framer_done = true;
				c->hs_len = c->frame_pos;
				break;
			}
			if (check_http_head(c, &ev.head) < 0)
				return -1;
			/* Only the first request: the first bytes the server
			 * sends are then its answer to that one. */
			c->n_heads++;
			c->upgrade_asked = ev.head.upgrade && c->n_heads == 1;
		}
		c->frame_pos += ev.len;
		if (ev.end && c->http_forward)
			c->framer_done = true;
		if (ev.end && c->upgrade_asked) {
			/* A server that spoke first (or is gone) has not
			 * answered this request with its first bytes: no
			 * upgrade then. */
			c->upgrade_asked = false;
			c->await_status = !c->u2c.moved && !c->u2c.eof;
		}
	}
	return 0;
}

/* Send what is approved.  1 all sent, 0 would block, -1 closed. */
static int send_approved(struct conn *c)
{
	while (c->hs_off < c->frame_pos) {
		ssize_t n = send(c->up.fd, c->hs + c->hs_off, c->frame_pos - c->hs_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN) {
				c->c2u.want_out = true;
				return 0;
			}
			conn_close(c);
			return -1;
		}
		c->hs_off += (size_t)n;
	}
	/* Until the first flight is judged, and while the framer has not
	 * caught up with bytes sent ahead of it (see may_send_ahead()), the
	 * buffer keeps everything from the start. */
	if (!c->checked || c->hs_off != c->frame_pos)
		return 1;
	size_t rest = c->hs_len - c->frame_pos;
	if (rest)
		memmove(c->hs, c->hs + c->frame_pos, rest);
	c->hs_len = rest;
	c->hs_off = c->frame_pos = 0;
	return 1;
}

/* While the first flight cannot be judged yet (a few letters: a method,
 * or not?), a client may be waiting for the server's answer to them.
 * Bytes with no line end in them cannot complete an HTTP request, nor
 * name a host, so they may go ahead (the buffer keeps them for the
 * judgement); a line end, a TLS record or a leading empty line waits. */
static bool may_send_ahead(const struct conn *c)
{
	return c->hs_len && c->hs[0] != '\r' && !sniff_looks_tls(c->hs, c->hs_len) &&
	       !memchr(c->hs, '\n', c->hs_len);
}

/* Client bytes arrived in hs: approve them.  1 approved (maybe partly),
 * 0 more needed, -1 refused. */
static int approve(struct conn *c)
{
	if (!c->checked) {
		int r = check_first_flight(c);
		if (r <= 0) {
			/* A first flight that stops halfway is not given the
			 * idle timeout: it holds a buffer. */
			if (r == 0) {
				c->c2u.want_in = true;
				c->deadline_ms = proxy_now_ms() + GW_FIRST_FLIGHT_MS;
				if (may_send_ahead(c))
					c->frame_pos = c->hs_len;
			}
			return r;
		}
		c->checked = true;
		c->deadline_ms = proxy_now_ms() + proxy_idle_timeout(c->px);
		if (!c->framed)
			c->frame_pos = c->hs_len;
	}
	return c->framed ? (frame_pending(c) < 0 ? -1 : 1) : 1;
}

/* Read more client bytes into hs.  1 got some, 0 would block or end of
 * stream handled, -1 closed. */
static int read_client(struct conn *c)
{
	if (c->hs_len == c->hs_cap) {
		if (c->hs_cap == GW_HS_MAX) {
			refuse(c, "request head or ClientHello too large");
			return -1;
		}
		/* Grown only as a first flight needs it: most fit in the
		 * first size, and a thousand idle connections must not
		 * hold 16 KiB each. */
		c->hs_cap = c->hs_cap * 4 > GW_HS_MAX ? GW_HS_MAX : c->hs_cap * 4;
		c->hs = xrealloc(c->hs, c->hs_cap);
	}
	size_t room = c->hs_cap - c->hs_len;
	ssize_t n = recv(c->cli.fd, c->hs + c->hs_len, room, 0);
	if (n > 0) {
		c->hs_len += (size_t)n;
		c->c2u.drained = (size_t)n < room;
		return 1;
	}
	if (n < 0 && errno == EAGAIN) {
		c->c2u.want_in = true;
		return 0;
	}
	if (n < 0) {
		conn_close(c);
		return -1;
	}
	if (!c->checked) {
		/* The client is done before its first bytes could be judged
		 * (`printf x | nc`): had they completed a request or a
		 * ClientHello, they would have been.  They go as they are,
		 * then the end of file (splice_pump() passes it on once they
		 * have been sent). */
		c->checked = true;
		c->frame_pos = c->hs_len;
		c->c2u.eof = true;
		return 1;
	}
	c->c2u.eof = true;
	/* Bytes held for the server's answer go before the end of file;
	 * without any, it is passed on at once (the server may be waiting
	 * for it). */
	if (c->await_status && c->hs_len > c->frame_pos)
		return 0;
	shutdown(c->up.fd, SHUT_WR);
	c->c2u.shut = true;
	return 0;
}

/* A forwarded request is complete: anything more the client sends (a
 * pipelined request) is not relayed, but reading on notices when the
 * client goes away.  The server keeps its side until it has answered. */
static int drain_client(struct conn *c)
{
	uint8_t scratch[4096];
	ssize_t n = 0;
	for (int i = 0; i < PUMP_ROUNDS; i++)
		if ((n = recv(c->cli.fd, scratch, sizeof scratch, 0)) <= 0)
			break;
	if (n > 0) {
		c->c2u.want_in = true; /* more later: epoll will say */
		return 0;
	}
	if (n < 0 && errno == EAGAIN) {
		c->c2u.want_in = true;
		return 0;
	}
	c->c2u.eof = c->c2u.shut = true;
	return 0;
}

/* Client -> server while bytes must be looked at.  1 when the direction
 * can be spliced from now on, 0 otherwise, -1 when the connection is gone. */
static int pump_copy(struct conn *c)
{
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		int r = send_approved(c);
		if (r <= 0)
			return r;
		if (c->checked && !c->framed && c->hs_len == 0) {
			free(c->hs);
			c->hs = NULL;
			c->hs_cap = 0;
			return 1;
		}
		if (c->c2u.eof) {
			/* An end of file that came while a request was held
			 * follows the bytes sent since. */
			if (!c->c2u.shut && !c->await_status) {
				shutdown(c->up.fd, SHUT_WR);
				c->c2u.shut = true;
			}
			return 0;
		}
		if (c->framer_done)
			return drain_client(c);
		/* Held until the server answers: what the client sends meanwhile
		 * is read (so that its end or reset is noticed) but not judged,
		 * up to a full buffer. */
		if (c->await_status && c->hs_len >= GW_HS_MAX)
			return 0;
		if (c->c2u.drained) {
			c->c2u.want_in = true;
			return 0;
		}
		if (!c->hs) {
			c->hs_cap = GW_HS_FIRST;
			c->hs = xmalloc(c->hs_cap);
		}
		r = read_client(c);
		if (r <= 0)
			return r;
		if (approve(c) < 0)
			return -1;
	}
	c->c2u.want_in = true;
	return 0;
}

/* ---- a protocol upgrade ---- */

/* The server's first bytes, up to the status code and the space after
 * it, read and passed on to the client.  1 when the answer is known (the
 * framing then ends after a 101, and goes on otherwise), 0 waiting, -1
 * connection gone. */
static int read_status(struct conn *c)
{
	bool eof = false;
	while (c->status_len < sizeof c->status && !eof) {
		ssize_t n = recv(c->up.fd, c->status + c->status_len,
				 sizeof c->status - c->status_len, 0);
		if (n < 0 && errno == EAGAIN) {
			c->u2c.want_in = true;
			break;
		}
		if (n < 0) {
			conn_close(c);
			return -1;
		}
		eof = n == 0;
		c->status_len += (uint8_t)n;
	}
	while (c->status_sent < c->status_len) {
		ssize_t n = send(c->cli.fd, c->status + c->status_sent,
				 (size_t)(c->status_len - c->status_sent), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			c->u2c.want_out = true;
			return 0;
		}
		if (n < 0) {
			conn_close(c);
			return -1;
		}
		c->status_sent += (uint8_t)n;
	}
	if (c->status_len < sizeof c->status && !eof)
		return 0;
	c->await_status = false;
	c->c2u.drained = false;
	bool switched = c->status_len == sizeof c->status &&
			memcmp(c->status, "HTTP/1.1 101", 12) == 0 &&
			(c->status[12] == ' ' || c->status[12] == '\r');
	if (switched) {
		/* Another protocol from here on, which the server accepted:
		 * what the client sent after the request goes as it is. */
		c->framed = false;
		c->frame_pos = c->hs_len;
		return 1;
	}
	/* Still HTTP: the client's next bytes must be requests. */
	return frame_pending(c) < 0 ? -1 : 1;
}

/* ---- splicing ---- */

/* Move one direction.  `last`: the other direction is over (shut down,
 * its pipe empty), so an end of file here ends the connection, whose
 * close() sends the FIN a shutdown() would. */
static int splice_pump(struct half *h, int from, int to, bool last)
{
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		if (h->inpipe > 0) {
			ssize_t n = splice(h->pipe[0], NULL, to, NULL, h->inpipe,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0) {
				if (errno == EAGAIN) {
					h->want_out = true;
					return 0;
				}
				return -errno;
			}
			h->inpipe -= (size_t)n;
			continue;
		}
		if (h->eof) {
			if (!h->shut) {
				if (!last)
					shutdown(to, SHUT_WR);
				h->shut = true;
			}
			return 0;
		}
		if (h->drained) {
			h->want_in = true;
			return 0;
		}
		size_t want = h->cap ? h->cap : SPLICE_CHUNK;
		ssize_t n = splice(from, NULL, h->pipe[1], NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		/* A full pipe at once: a bulk transfer, which moves with fewer
		 * wake-ups through a bigger pipe.  Only those grow; kernel
		 * memory for pipes is only used while data is in them. */
		if (n > 0 && (size_t)n == want && want < BULK_PIPE) {
			int sz = fcntl(h->pipe[1], F_SETPIPE_SZ, BULK_PIPE);
			if (sz > 0)
				h->cap = (size_t)sz;
		}
		if (n == 0) {
			h->eof = true;
			continue;
		}
		if (n < 0) {
			if (errno == EAGAIN) {
				h->want_in = true;
				return 0;
			}
			return -errno;
		}
		h->inpipe += (size_t)n;
		h->moved = true;
		h->drained = (size_t)n < want;
	}
	h->want_in = true; /* more may be there: epoll will say */
	return 0;
}

static bool over(const struct half *h)
{
	return h->shut && !h->inpipe;
}

/* Move what can be moved in the directions asked for (both after a state
 * change; otherwise those the event concerns, so that a byte one way does
 * not cost an idle read the other way), then re-arm the events. */
static void pump(struct conn *c, bool do_c2u, bool do_u2c)
{
	int r;
	if (do_u2c) {
		c->u2c.want_in = c->u2c.want_out = false;
		/* The reply to the client (SOCKS5, HTTP 200) goes before any data. */
		r = front_flush(c);
		if (r < 0) {
			conn_close(c);
			return;
		}
		if (r == 0) {
			c->u2c.want_out = true;
		} else if (c->await_status) {
			r = read_status(c);
			if (r < 0)
				return;
			if (r == 1) {
				/* The client's direction resumes, and the rest of
				 * the server's is spliced. */
				do_c2u = true;
				if (splice_pump(&c->u2c, c->up.fd, c->cli.fd, over(&c->c2u)) < 0) {
					conn_close(c);
					return;
				}
			}
		} else if (splice_pump(&c->u2c, c->up.fd, c->cli.fd, over(&c->c2u)) < 0) {
			conn_close(c);
			return;
		}
	}
	if (do_c2u) {
		c->c2u.want_in = c->c2u.want_out = false;
		if (c->copying) {
			r = pump_copy(c);
			if (r < 0)
				return;
			if (r == 1)
				c->copying = false;
		}
		if (!c->copying &&
		    splice_pump(&c->c2u, c->cli.fd, c->up.fd, over(&c->u2c)) < 0) {
			conn_close(c);
			return;
		}
	}
	if (over(&c->u2c) && over(&c->c2u)) {
		conn_close(c);
		return;
	}
	/* Any traffic keeps a connection alive, except while a partial first
	 * flight is pending (see approve()). */
	if (c->checked || c->hs_len == 0)
		c->deadline_ms = proxy_now_ms() + proxy_idle_timeout(c->px);
	conn_update(c);
}

void conn_update(struct conn *c)
{
	uint32_t cm = (c->c2u.want_in ? EPOLLIN : 0) | (c->u2c.want_out ? EPOLLOUT : 0);
	uint32_t um = (c->u2c.want_in ? EPOLLIN : 0) | (c->c2u.want_out ? EPOLLOUT : 0);
	struct gw_evloop *l = proxy_loop(c->px);
	if (evloop_set(l, &c->cli, cm) < 0 || evloop_set(l, &c->up, um) < 0)
		conn_close(c);
}

int relay_begin(struct conn *c)
{
	c->st = ST_RELAY;
	if (proxy_pipe_get(c->px, c->c2u.pipe) < 0 || proxy_pipe_get(c->px, c->u2c.pipe) < 0) {
		log_warn("proxy: cannot create a pipe: %s", strerror(errno));
		return -errno;
	}
	/* A literal address has no name to compare a first flight with;
	 * a forwarded HTTP request was checked as it was parsed. */
	c->checked = c->literal || c->http_forward;
	c->copying = !c->checked || c->framed || c->hs_len > 0;
	if (c->http_forward)
		c->frame_pos = c->hs_len; /* the rewritten head is approved */
	/* A client may stay silent while the server speaks (a stream it only
	 * reads): nothing to check then, so the idle timeout applies. */
	c->deadline_ms = proxy_now_ms() + proxy_idle_timeout(c->px);
	/* The server has usually said nothing yet (it waits for the first
	 * flight): epoll tells when it does. */
	c->u2c.drained = true;
	pump(c, true, true);
	return 0;
}

void relay_on_event(struct conn *c, struct gw_ev *ev, uint32_t events)
{
	bool both = events & (EPOLLERR | EPOLLHUP);
	bool in = events & EPOLLIN, out = events & EPOLLOUT;
	bool client = ev == &c->cli;
	if (in || both) {
		if (client)
			c->c2u.drained = false;
		else
			c->u2c.drained = false;
	}
	/* Client readable or server writable: client -> server; the reverse
	 * for the other direction. */
	pump(c, both || (client ? in : out), both || (client ? out : in));
}
