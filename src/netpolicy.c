/* netpolicy.c: see netpolicy.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netpolicy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum addr_class {
	AC_PUBLIC,
	AC_LOOPBACK,
	AC_UNSPECIFIED,
	AC_LINK_LOCAL,  /* 169.254.169.254 and fd00:ec2::254 metadata live here or in private */
	AC_PRIVATE,
	AC_SPECIAL,     /* multicast, broadcast, benchmark/fake, reserved */
};

static const char *class_reason(enum addr_class c)
{
	switch (c) {
	case AC_LOOPBACK:
		return "resolves to a loopback address (allowLocalOutbound or an address rule allows it)";
	case AC_UNSPECIFIED:
		return "resolves to an unspecified address";
	case AC_LINK_LOCAL:
		return "resolves to a link-local address (cloud metadata lives there; list the address to allow it)";
	case AC_PRIVATE:
		return "resolves to a private address (list the address in allowedDomains to allow it)";
	case AC_SPECIAL:
		return "resolves to a multicast, broadcast or reserved address";
	case AC_PUBLIC:
	default:
		return "allowed";
	}
}

static int pattern_array(char **texts, struct gw_domain_pattern **out, size_t *n,
			 const char *key, struct gw_error *err)
{
	size_t count = 0;
	while (texts && texts[count])
		count++;
	*out = count ? xcalloc(count, sizeof **out) : NULL;
	*n = count;
	for (size_t i = 0; i < count; i++) {
		const char *why;
		if (domain_pattern_parse(texts[i], &(*out)[i], &why) < 0)
			return gw_error_set(err, -EINVAL, "network.%s[%zu]: bad domain pattern: %s",
					    key, i, why);
	}
	return 0;
}

int netpolicy_build(const struct gw_config *cfg, const uint16_t *forward_ports, size_t n_forward,
		    struct gw_netpolicy *out, struct gw_error *err)
{
	*out = (struct gw_netpolicy){ .forward_ports = forward_ports, .n_forward = n_forward };
	int r = pattern_array(cfg->network.allowed_domains, &out->allow, &out->n_allow,
			      "allowedDomains", err);
	if (r == 0)
		r = pattern_array(cfg->network.denied_domains, &out->deny, &out->n_deny,
				  "deniedDomains", err);
	if (r < 0) {
		netpolicy_free(out);
		return r;
	}
	out->allow_loopback = config_allow_local_outbound(cfg);
	out->delegate = cfg->network.proxy_url && out->n_allow == 0 && out->n_deny == 0;
	return 0;
}

void netpolicy_free(struct gw_netpolicy *p)
{
	free(p->allow);
	free(p->deny);
	p->allow = p->deny = NULL;
	p->n_allow = p->n_deny = 0;
}

static bool forwarded(const struct gw_netpolicy *p, uint16_t port)
{
	for (size_t i = 0; i < p->n_forward; i++)
		if (p->forward_ports[i] == port)
			return true;
	return false;
}

static bool is_loopback_host(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strncmp(host, "127.", 4) == 0;
}

enum gw_net_verdict netpolicy_decide(const struct gw_netpolicy *p, const char *host, uint16_t port,
				     const char **reason, const struct gw_domain_pattern **rule)
{
	struct gw_domain_policy dp = { p->allow, p->deny, p->n_allow, p->n_deny };
	const struct gw_domain_pattern *m = NULL;
	enum gw_domain_verdict v = domain_decide(&dp, host, port, &m);
	if (rule)
		*rule = m;
	switch (v) {
	case GW_DOMAIN_ALLOWED:
		*reason = "in allowedDomains";
		return GW_NET_ALLOW;
	case GW_DOMAIN_DENIED:
		*reason = "in deniedDomains";
		return GW_NET_DENY;
	case GW_DOMAIN_NOT_LISTED:
	default:
		break;
	}
	if (p->delegate) {
		*reason = "left to the upstream proxy (no domains listed)";
		return GW_NET_ALLOW;
	}
	if (is_loopback_host(host) && forwarded(p, port)) {
		*reason = "a --forward port";
		return GW_NET_ALLOW;
	}
	*reason = p->n_allow ? "not in allowedDomains" : "allowedDomains is empty (no network)";
	return GW_NET_DENY;
}

static enum addr_class class_v4(const uint8_t a[4])
{
	if (a[0] == 127)
		return AC_LOOPBACK;
	if (a[0] == 0)
		return AC_UNSPECIFIED;
	if (a[0] == 169 && a[1] == 254)
		return AC_LINK_LOCAL;
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64))
		return AC_PRIVATE;
	/* 198.18.0.0/15 holds the fake addresses greywall's DNS hands out;
	 * 192.0.0.0/24 is IETF protocol assignments; 240/4 reserved and
	 * 224/4 multicast (255.255.255.255 included). */
	if ((a[0] == 198 && (a[1] & 0xfe) == 18) || (a[0] == 192 && a[1] == 0 && a[2] == 0) ||
	    a[0] >= 224)
		return AC_SPECIAL;
	return AC_PUBLIC;
}

static bool v6_prefix(const uint8_t *a, const uint8_t *prefix, size_t n)
{
	return memcmp(a, prefix, n) == 0;
}

/* An IPv4 address carried inside an IPv6 one reaches that IPv4 host, so
 * it is judged as such.  Returns true and fills v4 when there is one. */
static bool embedded_v4(const uint8_t a[16], uint8_t v4[4])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t compat[12] = { 0 };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	if (v6_prefix(a, mapped, 12) || v6_prefix(a, nat64, 12) ||
	    (v6_prefix(a, compat, 12) && (a[12] | a[13]) != 0)) {
		memcpy(v4, a + 12, 4);
		return true;
	}
	if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4: 2002:AABB:CCDD::/48 */
		memcpy(v4, a + 2, 4);
		return true;
	}
	return false;
}

static enum addr_class class_v6(const uint8_t a[16])
{
	static const uint8_t loop[16] = { [15] = 1 };
	static const uint8_t any[16] = { 0 };
	static const uint8_t nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
	uint8_t v4[4];
	if (memcmp(a, loop, 16) == 0)
		return AC_LOOPBACK;
	if (memcmp(a, any, 16) == 0)
		return AC_UNSPECIFIED;
	if (embedded_v4(a, v4)) {
		enum addr_class c = class_v4(v4);
		/* A NAT64 or 6to4 gateway reaches only public IPv4 anyway;
		 * judging the embedded address is the conservative reading. */
		return c;
	}
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return AC_LINK_LOCAL;
	if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||
	    v6_prefix(a, nat64_local, 6))
		return AC_PRIVATE; /* ULA (fd00:ec2::254 metadata), site-local, local NAT64 */
	if (a[0] == 0xff)
		return AC_SPECIAL;
	return AC_PUBLIC;
}

static enum addr_class classify(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return class_v4((const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return class_v6(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
	return AC_SPECIAL;
}

int netpolicy_host_of_addr(const struct sockaddr *addr, char *out, size_t cap, uint16_t *port)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)addr;
		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)cap) ? 0 : -ENOSPC;
	}
	if (addr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	const struct sockaddr_in6 *in6 = (const void *)addr;
	*port = ntohs(in6->sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
		return inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, out, (socklen_t)cap) ? 0 : -ENOSPC;
	return inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)cap) ? 0 : -ENOSPC;
}

bool netpolicy_check_addr(const struct gw_netpolicy *p, const struct sockaddr *addr,
			  const char **reason)
{
	enum addr_class c = classify(addr);
	*reason = class_reason(c);
	if (c == AC_PUBLIC)
		return true;
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	if (netpolicy_host_of_addr(addr, host, sizeof host, &port) < 0)
		return false;
	struct gw_domain_policy dp = { p->allow, p->deny, p->n_allow, p->n_deny };
	const struct gw_domain_pattern *m;
	enum gw_domain_verdict v = domain_decide(&dp, host, port, &m);
	if (v == GW_DOMAIN_DENIED) {
		*reason = "resolves to an address in deniedDomains";
		return false;
	}
	if (v == GW_DOMAIN_ALLOWED) {
		*reason = "the address is in allowedDomains";
		return true;
	}
	if (c == AC_LOOPBACK && (p->allow_loopback || forwarded(p, port))) {
		*reason = p->allow_loopback ? "allowLocalOutbound" : "a --forward port";
		return true;
	}
	return false;
}

bool netpolicy_parse_literal(const char *text, uint16_t port, struct sockaddr_storage *addr)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len = strlen(text);
	memset(addr, 0, sizeof *addr);
	struct sockaddr_in *in = (void *)addr;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return true;
	}
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		if (len - 2 >= sizeof buf)
			return false;
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
		text = buf;
	}
	struct sockaddr_in6 *in6 = (void *)addr;
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return true;
	}
	return false;
}
