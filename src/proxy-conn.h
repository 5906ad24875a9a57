/* proxy-conn.h: the proxy engine's internals, shared by its four files:
 * proxy.c (engine, listeners, policy, resolving, connecting),
 * proxy-upstream.c (asking the upstream proxy), proxy-front.c (SOCKS5 and
 * HTTP handshakes, replies) and proxy-relay.c (first-flight checks,
 * splice relay).  Not for other modules.
 *
 * Ownership: a struct conn belongs to its proxy's list from accept until
 * conn_close(), which closes its fds at once and frees it after the
 * current event batch (callbacks later in the batch may still hold it). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "domain.h"
#include "evloop.h"
#include "http1.h"
#include "proxy.h"
#include "resolver.h"
#include "socks5.h"

/* Bytes of handshake and first flight kept per connection at most; a
 * ClientHello or request head longer than this is refused. */
#define GW_HS_MAX 16384
/* What a connection's buffer starts with (it grows by 4x up to the max). */
#define GW_HS_FIRST 1024
/* A first flight begun must be complete within this. */
#define GW_FIRST_FLIGHT_MS 15000

enum conn_state {
	ST_FRONT,
	ST_RESOLVE,
	ST_CONNECT,
	ST_UPSTREAM,
	ST_RELAY,
};

/* One direction of the relay, through a pipe. */
struct half {
	int pipe[2];
	size_t inpipe;   /* bytes in the pipe */
	size_t cap;      /* its size once grown for bulk transfer, else 0 */
	bool eof;        /* read side saw end of file */
	bool shut;       /* write side shut down after eof */
	/* The last read came back short: the socket held no more.  It is
	 * not read again until epoll says it is readable (level-triggered,
	 * so nothing is missed), which saves a read that would fail with
	 * EAGAIN on every small exchange. */
	bool drained;
	bool moved;      /* a byte has been read */
	bool want_in, want_out;
};

struct conn {
	struct gw_proxy *px;
	struct conn *next, **pprev;
	struct gw_deferred freed;
	enum gw_proxy_kind kind;
	enum conn_state st;
	bool closed;
	struct gw_ev cli, up;
	int64_t deadline_ms;       /* 0: none */
	uint64_t id;

	/* The destination, as asked for. */
	char host[GW_DOMAIN_MAX + 1]; /* normalised name, or an address's text */
	bool literal;                 /* host is an IP address */
	uint16_t port;
	struct sockaddr_storage orig; /* CAPTURE: SO_ORIGINAL_DST */
	bool holding_fake;

	/* Resolving and connecting. */
	struct gw_resolve_req *req;
	struct sockaddr_storage addrs[GW_RESOLVE_MAX_ADDRS];
	size_t n_addrs, next_addr;
	int last_err;
	const char *addr_refusal;     /* why a resolved address was refused */

	/* Client bytes not yet written to the server: the handshake buffer,
	 * holding what followed the request and then the first flight. */
	uint8_t *hs;
	size_t hs_len, hs_off, hs_cap;

	/* Bytes for the client before relaying starts (SOCKS5/HTTP replies). */
	uint8_t out[128];
	size_t out_len, out_off;

	/* HTTP: forwarding an absolute-URI request (one per connection), and
	 * framing of client requests in plain HTTP relays. */
	bool http_forward;
	bool framed;                  /* client->server runs through the framer */
	bool framer_done;             /* forward: the one request is complete */
	bool copying;                 /* client->server goes through hs, not splice */
	size_t frame_pos;             /* hs[hs_off, frame_pos) approved to send */
	struct gw_http_framer framer;
	/* Protocol upgrade (WebSocket over ws://): the first request asked
	 * for one, and the client's next bytes wait for the server's answer,
	 * whose status line is read here (and passed on) before any other
	 * byte from the server.  A 101 ends the framing. */
	unsigned n_heads;             /* request heads framed so far */
	bool upgrade_asked;           /* the request being framed asks */
	bool await_status;            /* the request is complete: waiting */
	uint8_t status[13];           /* "HTTP/1.1 101 " */
	uint8_t status_len, status_sent;

	struct gw_socks5_srv socks;
	struct gw_socks5_cli ucli;
	bool checked;                 /* first flight accepted */

	struct half c2u, u2c;
};

/* proxy.c */
#define GW_UPSTREAM_REPLY_MAX 16384
int64_t proxy_now_ms(void);
const struct gw_netpolicy *proxy_policy(const struct gw_proxy *px);
const struct gw_socks5_cred *proxy_cred(const struct gw_proxy *px);
const char *proxy_basic_auth(const struct gw_proxy *px); /* "Basic ..." or NULL */
const struct gw_proxy_url *proxy_upstream(const struct gw_proxy *px);
const struct gw_socks5_cred *proxy_upstream_cred(const struct gw_proxy *px);
const char *proxy_upstream_basic(const struct gw_proxy *px);
int proxy_idle_timeout(const struct gw_proxy *px);
struct gw_evloop *proxy_loop(const struct gw_proxy *px);
/* A non-blocking pipe, from the pool of empty ones or new; 0 or -errno. */
int proxy_pipe_get(struct gw_proxy *px, int p[2]);
/* Give a pipe back: kept for reuse when `empty` and the pool has room,
 * else closed. */
void proxy_pipe_put(struct gw_proxy *px, const int p[2], bool empty);
/* The destination is known (host, literal, port): decide, then resolve
 * and connect, or refuse. */
void conn_dial(struct conn *c);
/* Log a denial (with monitor) and count it. */
void conn_log_denied(struct conn *c, const char *reason);
void conn_log_allowed(struct conn *c, const char *reason);
void conn_close(struct conn *c);
/* Close with a TCP reset, which is how a captured connection is refused. */
void conn_reset(struct conn *c);
/* Recompute both fds' epoll masks from the state. */
void conn_update(struct conn *c);

/* proxy-upstream.c: once connected to the upstream proxy, ask it for the
 * destination (SOCKS5 CONNECT by name, or HTTP CONNECT); the outcome goes
 * to front_dial_done(). */
int upstream_start(struct conn *c);
void upstream_on_event(struct conn *c);

/* proxy-front.c */
void front_start(struct conn *c);
void front_on_client(struct conn *c, uint32_t events);
/* Dialling ended: err 0 means connected (upstream handshake done). */
void front_dial_done(struct conn *c, int err, bool denied);
/* Flush c->out to the client; 1 when empty, 0 when waiting, -errno. */
int front_flush(struct conn *c);

/* proxy-relay.c */
int relay_begin(struct conn *c);
void relay_on_event(struct conn *c, struct gw_ev *ev, uint32_t events);
void relay_free(struct conn *c);
