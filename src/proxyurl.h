/* proxyurl.h: proxy URLs (socks5://, socks5h://, http://, https://).
 *
 * Format: scheme://[user[:password]@]host:port[/], host an IPv4 address,
 * a name, or a bracketed IPv6 address.  Userinfo is percent-decoded on
 * parse and percent-encoded on format. */
#pragma once

#include <stdint.h>

#include "util.h"

struct gw_proxy_url {
	char *scheme; /* lower case */
	char *user;   /* or NULL */
	char *pass;   /* or NULL */
	char *host;   /* without brackets */
	uint16_t port;
};

/* Returns 0 or -EINVAL with err set. */
int proxyurl_parse(const char *s, struct gw_proxy_url *out, struct gw_error *err);
void proxyurl_free(struct gw_proxy_url *u);
/* Caller frees. */
char *proxyurl_format(const struct gw_proxy_url *u);
/* Replace a host name by a numeric address (getaddrinfo, first result), so
 * that a sandboxed client, which cannot do DNS, can still reach the proxy.
 * Returns 0 or -errno/-EAI error with err set. */
int proxyurl_resolve_host(struct gw_proxy_url *u, struct gw_error *err);
