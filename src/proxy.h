/* proxy.h: greywall's network proxy engine, run by the supervisor (or by
 * `greywall proxy`) on its event loop, outside the sandbox.
 *
 * Connections arrive on listeners of three kinds:
 *   SOCKS5   RFC 1928 CONNECT (ATYP IPv4, IPv6, domain), with the per-run
 *            username/password of RFC 1929 when a credential is set;
 *   HTTP     CONNECT, and absolute-URI requests forwarded one per
 *            connection, with Proxy-Authorization Basic when a credential
 *            is set;
 *   CAPTURE  connections the sandbox's network namespace redirected here
 *            (nftables), whose original destination (SO_ORIGINAL_DST) is
 *            a fake address from the capture DNS, mapped back to its name
 *            by a lookup function the caller provides.
 * Each one is judged by the network policy (netpolicy.h) on the name it
 * asked for; an allowed name is resolved here (never trusting an address
 * the client may have been given) and every resolved address is checked
 * again before greywall connects, directly or through the upstream proxy
 * (network.proxyUrl, SOCKS5 with the name sent unresolved).  Then the
 * client's first flight is checked: a TLS ClientHello must name the same
 * host in its SNI, an HTTP request must carry it in Host (every request
 * on the connection, since keep-alive would otherwise smuggle others
 * through).  Bytes are relayed with splice(2) through a pipe per
 * direction, with back-pressure, half-closes kept, and timeouts for the
 * handshake, the connect and idle connections.
 *
 * A refused connection is answered in its protocol (SOCKS5 REP 2, HTTP
 * 403) or, when captured, reset.  With `monitor`, every denial is logged
 * as one line with its reason; with debug, allows too.
 *
 * Ownership: the proxy owns its listeners and connections; proxy_free()
 * closes them all.  The policy, the lookup context and the event loop are
 * borrowed and must outlive it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "netpolicy.h"
#include "proxyurl.h"

enum gw_proxy_kind {
	GW_PROXY_SOCKS5,
	GW_PROXY_HTTP,
	GW_PROXY_CAPTURE,
};

/* For CAPTURE: the name a fake address stands for, copied to name (cap
 * >= GW_DOMAIN_MAX + 1).  Returns 0, or -ENOENT when addr is not one the
 * capture DNS handed out (then the destination is that address itself).
 * hold/release keep the mapping alive while a connection uses it. */
struct gw_fake_names {
	int (*lookup)(void *ctx, const struct sockaddr *addr, char *name, size_t cap);
	void (*hold)(void *ctx, const struct sockaddr *addr);
	void (*release)(void *ctx, const struct sockaddr *addr);
	void *ctx;
};

struct gw_proxy_opts {
	const struct gw_netpolicy *policy;
	const char *dns_addr;                 /* network.dnsAddr or NULL */
	const struct gw_proxy_url *upstream;  /* socks5/socks5h proxy with a numeric host, or NULL */
	const char *user, *pass;              /* the credential clients must give, or NULL */
	const struct gw_fake_names *fake;     /* CAPTURE listeners only */
	bool monitor;                         /* log each denial */
	int connect_timeout_ms;               /* 0: 10 s */
	int idle_timeout_ms;                  /* 0: 30 min */
	size_t max_conns;                     /* 0: 4096; at the limit listeners pause */
};

struct gw_proxy;

/* 0 or -errno (bad credential, no memory).  Copies opts (not what it
 * points to). */
int proxy_new(struct gw_evloop *loop, const struct gw_proxy_opts *opts, struct gw_proxy **out);

/* Serve `kind` on listening socket fd, which the proxy takes over (made
 * non-blocking; closed by proxy_free(), or here on failure). */
int proxy_add_listener(struct gw_proxy *px, enum gw_proxy_kind kind, int fd);

/* Replace the policy (SIGHUP reload of `greywall proxy`): new connections
 * are judged by it, open ones keep going. */
void proxy_set_policy(struct gw_proxy *px, const struct gw_netpolicy *policy);

struct gw_proxy_stats {
	size_t open;     /* connections now */
	size_t accepted; /* since start */
	size_t denied;
};
void proxy_stats(const struct gw_proxy *px, struct gw_proxy_stats *out);

/* Close everything.  NULL is a no-op.  Not from inside a loop callback. */
void proxy_free(struct gw_proxy *px);

/* A non-blocking TCP listener on 127.0.0.1 (port 0: any free port, which
 * *port then gets).  Returns the fd or -errno. */
int proxy_listen_loopback(uint16_t *port);
