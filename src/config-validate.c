/* config-validate.c: see config-validate.h. */
#include "config-validate.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "util.h"

/* ---- validation of single values ---- */

char *config_check_path(const char *s)
{
	return *s ? NULL : xstrdup("empty path");
}

char *config_check_command(const char *s)
{
	return *s ? NULL : xstrdup("empty command");
}

/* Host patterns are compared with the host of an ssh command line; a
 * scheme, user or port in them could never match, so they mean the user
 * misunderstood the key (spec 2.2).  Two or more colons are IPv6. */
char *config_check_ssh_host(const char *s)
{
	const char *colon = strchr(s, ':');
	if (!*s)
		return xstrdup("empty host pattern");
	if (strstr(s, "://") || strchr(s, '/'))
		return xstrdup("host pattern cannot contain protocol or path");
	if (colon && !strchr(colon + 1, ':'))
		return xstrdup("host pattern cannot contain port; specify port in SSH command instead");
	if (strchr(s, '@'))
		return xstrdup("host pattern should not contain username; specify just the host");
	return NULL;
}

static bool valid_port(const char *p, size_t n)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool valid_hostname(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return n > 0;
}

static bool valid_ipv6(const char *h, size_t n)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr addr;
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &addr) == 1;
}

/* The host part of "[v6]:port"; returns where the ":port" should start,
 * or NULL with *why set. */
static const char *bracket_host(const char *s, size_t n, const char **why)
{
	const char *close = memchr(s, ']', n);
	if (!close) {
		*why = "has an unterminated \"[\"";
		return NULL;
	}
	if (!valid_ipv6(s + 1, (size_t)(close - s - 1))) {
		*why = "has an invalid IPv6 address";
		return NULL;
	}
	return close + 1;
}

/* Unlike the original (which split at the first colon), the port is after
 * the last colon and IPv6 literals must be bracketed, so "::1:53" cannot
 * be read two ways. */
static const char *plain_host(const char *s, size_t n, const char **why)
{
	const char *colon = memrchr(s, ':', n);
	if (!colon) {
		*why = "must include a port";
		return NULL;
	}
	if (memchr(s, ':', (size_t)(colon - s)))
		*why = "must put an IPv6 address in brackets, e.g. [::1]:53";
	else if (colon == s)
		*why = "must include a hostname";
	else if (!valid_hostname(s, (size_t)(colon - s)))
		*why = "has an invalid character in the hostname";
	return *why ? NULL : colon;
}

/* Checks "host:port" or "[v6]:port" (n bytes); NULL when fine. */
static const char *hostport_problem(const char *s, size_t n)
{
	const char *why = NULL;
	const char *port = n && s[0] == '[' ? bracket_host(s, n, &why) : plain_host(s, n, &why);
	if (!port)
		return why;
	if (port == s + n || *port != ':' || port + 1 == s + n)
		return "must include a port";
	if (!valid_port(port + 1, (size_t)(s + n - port - 1)))
		return "must have a port from 1 to 65535";
	return NULL;
}

static bool scheme_is(const char *s, size_t n, const char *a, const char *b)
{
	return (strlen(a) == n && strncasecmp(s, a, n) == 0) ||
	       (strlen(b) == n && strncasecmp(s, b, n) == 0);
}

/* scheme://[user[:pass]@]host:port[/]; the proxy code only ever uses the
 * authority, so a path would be silently ignored and is rejected. */
static char *check_url(const char *s, const char *kind, const char *a, const char *b)
{
	const char *sep = strstr(s, "://");
	if (!sep || !scheme_is(s, (size_t)(sep - s), a, b))
		return xasprintf("%s must use %s:// or %s:// scheme", kind, a, b);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	if (auth[alen] && strcmp(auth + alen, "/") != 0)
		return xasprintf("%s must not contain a path, query or fragment", kind);
	const char *at = memrchr(auth, '@', alen);
	const char *hp = at ? at + 1 : auth;
	const char *why = hostport_problem(hp, (size_t)(auth + alen - hp));
	return why ? xasprintf("%s %s", kind, why) : NULL;
}

char *config_check_socks_url(const char *s)
{
	return check_url(s, "proxy URL", "socks5", "socks5h");
}

char *config_check_http_url(const char *s)
{
	return check_url(s, "HTTP proxy URL", "http", "https");
}

char *config_check_dns_addr(const char *s)
{
	const char *why = hostport_problem(s, strlen(s));
	if (!why)
		return NULL;
	return xasprintf("DNS address %s (host:port, e.g. localhost:3153 or [::1]:53)", why);
}


char *config_check_domain_pattern(const char *s)
{
	struct gw_domain_pattern p;
	const char *why;
	if (domain_pattern_parse(s, &p, &why) < 0)
		return xasprintf("bad domain pattern: %s", why);
	return NULL;
}
