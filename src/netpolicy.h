/* netpolicy.h: the network policy the proxy and the capture path apply,
 * compiled once from the config's network.* keys.
 *
 * Two questions, asked in this order for every connection:
 *   1. may the command reach this destination (a name, or an IP literal)
 *      on this port?  netpolicy_decide()
 *   2. once an allowed name is resolved, may greywall connect to the
 *      address it resolved to?  netpolicy_check_addr().  A public name that
 *      resolves to loopback, the LAN or a cloud metadata service would
 *      otherwise open the host's private services to the sandbox (DNS
 *      rebinding, "localtest.me").
 *
 * Pure functions over the compiled policy: no I/O.
 *
 * Ownership: struct gw_netpolicy owns its pattern arrays; netpolicy_free()
 * releases them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "domain.h"
#include "util.h"

struct gw_config;

struct gw_netpolicy {
	struct gw_domain_pattern *allow, *deny;
	size_t n_allow, n_deny;
	/* network.allowLocalOutbound: an allowed name may resolve to a
	 * loopback address. */
	bool allow_loopback;
	/* Host loopback ports the command may reach (-f/--forward): allowed
	 * for the name "localhost" and for 127.0.0.1 / ::1 literals. */
	const uint16_t *forward_ports;
	size_t n_forward;
	/* An upstream proxy is configured (network.proxyUrl) and no domain
	 * is listed: the upstream decides, as the original greywall left it
	 * to greyproxy.  Once domains are listed both must allow. */
	bool delegate;
};

enum gw_net_verdict {
	GW_NET_ALLOW,
	GW_NET_DENY,
};

/* Compile cfg's network keys.  Patterns were validated when the config
 * was loaded; a pattern that fails here anyway is -EINVAL with err set.
 * forward_ports is borrowed and must outlive the policy. */
int netpolicy_build(const struct gw_config *cfg, const uint16_t *forward_ports, size_t n_forward,
		    struct gw_netpolicy *out, struct gw_error *err);
void netpolicy_free(struct gw_netpolicy *p);

/* Is `host` (a normalised name, or an address in inet_ntop() form, see
 * netpolicy_host_of_addr()) on `port` allowed?  *reason gets a static
 * phrase for the log ("not in allowedDomains", "in deniedDomains", ...)
 * and *rule, when not NULL, the deciding pattern or NULL. */
enum gw_net_verdict netpolicy_decide(const struct gw_netpolicy *p, const char *host, uint16_t port,
				     const char **reason, const struct gw_domain_pattern **rule);

/* May greywall connect to `addr` (resolved for the allowed name `name`,
 * port included in addr)?  Loopback, unspecified, link-local, private,
 * shared (100.64/10), benchmark (198.18/15, greywall's fake addresses),
 * multicast and broadcast addresses, and IPv6 forms that embed one
 * (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are refused unless an address rule in allowedDomains lists the address
 * (with its port, if the rule has one), or, for loopback,
 * allowLocalOutbound or a --forward port covers it.  *reason as above. */
bool netpolicy_check_addr(const struct gw_netpolicy *p, const struct sockaddr *addr,
			  const char **reason);

/* The text an address is compared in: inet_ntop() of the address, with
 * IPv4-mapped IPv6 addresses written as the IPv4 address they are.
 * Returns 0 or -EAFNOSUPPORT. */
int netpolicy_host_of_addr(const struct sockaddr *addr, char *out, size_t cap, uint16_t *port);

/* Is `text` an IP literal (dotted quad, or IPv6 with or without brackets)?
 * Then *addr gets it, with `port`.  A SOCKS5 or HTTP client may send an
 * address as a "name"; it must be judged as the address it is. */
bool netpolicy_parse_literal(const char *text, uint16_t port, struct sockaddr_storage *addr);
