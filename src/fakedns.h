/* fakedns.h: the DNS server of the capture path.  The sandbox's network
 * namespace redirects every DNS query (UDP and TCP port 53, any server
 * address) to sockets greywall's supervisor holds; this module answers
 * them on the supervisor's event loop:
 *
 *   - a name the policy may allow: a fake IPv4 address from 198.18.0.0/15
 *     (fakeip.h) for A, no data for every other type (AAAA included: the
 *     sandbox has no IPv6 route);
 *   - a denied or unlisted name: NXDOMAIN.  Nothing is resolved anywhere,
 *     so a query cannot carry data out (DNS exfiltration);
 *   - malformed queries: FORMERR, NOTIMP or REFUSED as dnsmsg.h maps them.
 *
 * The proxy later maps a fake address back to its name (fakedns_name())
 * and resolves the name itself when the connection is allowed.
 *
 * Ownership: the service owns the pool, the UDP socket, the TCP listener
 * and its connections; fakedns_free() closes them.  The policy and the
 * loop are borrowed. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "evloop.h"
#include "netpolicy.h"

struct gw_fakedns;

/* Serve udp_fd (bound) and tcp_fd (listening); both are taken over, and
 * closed on failure too.  -1 for either means none. */
int fakedns_start(struct gw_evloop *loop, const struct gw_netpolicy *policy, int udp_fd,
		  int tcp_fd, bool monitor, struct gw_fakedns **out);
void fakedns_free(struct gw_fakedns *d);

/* New queries are answered by this policy (SIGHUP reload). */
void fakedns_set_policy(struct gw_fakedns *d, const struct gw_netpolicy *policy);

/* The gw_fake_names callbacks of proxy.h for this service's pool (ctx is
 * the struct gw_fakedns). */
int fakedns_name(void *ctx, const struct sockaddr *addr, char *name, size_t cap);
void fakedns_hold(void *ctx, const struct sockaddr *addr);
void fakedns_release(void *ctx, const struct sockaddr *addr);

struct gw_fakedns_stats {
	size_t queries, fake, nxdomain, refused;
};
void fakedns_stats(const struct gw_fakedns *d, struct gw_fakedns_stats *out);
