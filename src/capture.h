/* capture.h: transparent capture of a sandbox's network traffic, the half
 * that runs inside the sandbox's network namespace.
 *
 * The design (network-design.md, "Option B"): the namespace has no way out
 * but sockets the supervisor holds.  capture_setup() is called once, in the
 * fresh namespace, by a process that still has CAP_NET_ADMIN there (the
 * keeper, netns.h).  It
 *   - brings up lo;
 *   - creates tun0 (198.18.0.1/15, the default route) from /dev/net/tun,
 *     or, when that device cannot be opened, makes every IPv4 destination
 *     local ("local default dev lo"), so nothing is routed anywhere;
 *   - loads one nf_tables table, atomically (see capture.c for the
 *     ruleset and the reasons for each rule): all DNS, to any address, goes
 *     to the DNS sockets; every other TCP connection, except to loopback,
 *     goes to the TCP listener; anything else that is not loopback is
 *     dropped, which the sender sees at once as EPERM;
 *   - creates the sockets those redirects land on.
 * There is no IPv6 route: IPv6 other than ::1 fails with ENETUNREACH.
 *
 * The sockets belong to the namespace, wherever their fds go: passed to
 * the supervisor in the host namespace (SCM_RIGHTS), the listener still
 * accepts the redirected connections, and getsockopt(SOL_IP,
 * SO_ORIGINAL_DST) on an accepted socket gives the address the sandboxed
 * program asked for.  A DNS answer must be sent from dns_udp itself (bound
 * to 127.0.0.1) so that conntrack rewrites its source back to the server
 * the program queried. */
#pragma once

#include <stdint.h>

#include "util.h"

/* Each fd is close-on-exec and non-blocking; -1 when absent. */
struct gw_capture_fds {
	int tcp_listener; /* TCP, listening on 0.0.0.0:ports.tcp */
	int dns_udp;      /* UDP, bound to 127.0.0.1:ports.dns */
	int dns_tcp;      /* TCP, listening on 127.0.0.1:ports.dns */
	int tun;          /* tun0 (IFF_TUN | IFF_NO_PI), -1 without /dev/net/tun */
};

#define GW_CAPTURE_FDS_INIT { .tcp_listener = -1, .dns_udp = -1, .dns_tcp = -1, .tun = -1 }

/* Ports inside the namespace the redirects go to; they must differ, and
 * they are taken from every program in the sandbox. */
struct gw_capture_ports {
	uint16_t tcp;
	uint16_t dns;
};

#define GW_CAPTURE_TCP_PORT 15001
#define GW_CAPTURE_DNS_PORT 15353

/* The nf_tables table capture_setup() loads (family inet). */
#define GW_CAPTURE_TABLE "greywall"

/* Set up capture in the calling thread's network namespace (see above).
 * On success returns 0 and *out owns the fds (capture_fds_close()).  On
 * failure returns -errno, *out holds no fd (everything made here is
 * closed) and err says what failed, with a hint; the namespace may be left
 * half-configured and must not be used for a sandbox. */
int capture_setup(const struct gw_capture_ports *ports, struct gw_capture_fds *out,
		  struct gw_error *err);

enum {
	/* Do not try /dev/net/tun: go straight to the "local default dev
	 * lo" fallback (tests, and hosts where tun0 is not wanted). */
	GW_CAPTURE_NO_TUN = 1u << 0,
};

/* capture_setup() with GW_CAPTURE_* flags. */
int capture_setup_flags(const struct gw_capture_ports *ports, unsigned flags,
			struct gw_capture_fds *out, struct gw_error *err);

/* Close every fd in *fds and mark it absent. */
void capture_fds_close(struct gw_capture_fds *fds);

/* Whether capture can be set up here: netns_probe_capture() (netns.h). */
