/* proxyurl.c: see proxyurl.h. */
#include "proxyurl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

void proxyurl_free(struct gw_proxy_url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->pass);
	free(u->host);
	*u = (struct gw_proxy_url){ 0 };
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode; NULL for a bad escape or an encoded NUL. */
static char *pct_decode(const char *s, size_t n)
{
	char *r = xmalloc(n + 1), *o = r;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		int h = i + 2 < n ? hexval(s[i + 1]) : -1;
		int l = h >= 0 ? hexval(s[i + 2]) : -1;
		if (l < 0 || (h == 0 && l == 0)) {
			free(r);
			return NULL;
		}
		*o++ = (char)(h * 16 + l);
		i += 2;
	}
	*o = '\0';
	return r;
}

static char *pct_encode(const char *s)
{
	char *r = xmalloc(strlen(s) * 3 + 1), *o = r;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return r;
}

static int parse_port(const char *s, uint16_t *port)
{
	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	long v = strtol(s, NULL, 10);
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int parse_userinfo(const char *s, size_t n, struct gw_proxy_url *u)
{
	const char *colon = memchr(s, ':', n);
	size_t ul = colon ? (size_t)(colon - s) : n;
	u->user = pct_decode(s, ul);
	if (colon)
		u->pass = pct_decode(colon + 1, n - ul - 1);
	return !u->user || (colon && !u->pass) ? -EINVAL : 0;
}

static int parse_hostport(const char *s, struct gw_proxy_url *u)
{
	const char *port;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		u->host = xstrndup(s + 1, (size_t)(end - s - 1));
		port = end + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		u->host = xstrndup(s, (size_t)(colon - s));
		port = colon + 1;
	}
	if (!*u->host || strpbrk(u->host, "/?#@ "))
		return -EINVAL;
	return parse_port(port, &u->port);
}

int proxyurl_parse(const char *s, struct gw_proxy_url *out, struct gw_error *err)
{
	*out = (struct gw_proxy_url){ 0 };
	const char *sep = strstr(s, "://");
	if (!sep)
		return gw_error_set(err, -EINVAL, "invalid proxy URL \"%s\": missing scheme://", s);
	out->scheme = xstrndup(s, (size_t)(sep - s));
	for (char *p = out->scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	if (auth[alen] && strcmp(auth + alen, "/") != 0) {
		proxyurl_free(out);
		return gw_error_set(err, -EINVAL, "invalid proxy URL \"%s\": unexpected path", s);
	}
	_cleanup_free_ char *a = xstrndup(auth, alen);
	char *at = strrchr(a, '@');
	int r = 0;
	if (at) {
		r = parse_userinfo(a, (size_t)(at - a), out);
		a[0] = '\0';
	}
	if (r == 0)
		r = parse_hostport(at ? at + 1 : a, out);
	if (r < 0) {
		proxyurl_free(out);
		return gw_error_set(err, -EINVAL, "invalid proxy URL \"%s\": expected scheme://[user[:pass]@]host:port", s);
	}
	return 0;
}

char *proxyurl_format(const struct gw_proxy_url *u)
{
	_cleanup_free_ char *ui = NULL;
	if (u->user) {
		_cleanup_free_ char *eu = pct_encode(u->user);
		_cleanup_free_ char *ep = u->pass ? pct_encode(u->pass) : NULL;
		ui = ep ? xasprintf("%s:%s@", eu, ep) : xasprintf("%s@", eu);
	}
	bool v6 = strchr(u->host, ':') != NULL;
	return xasprintf("%s://%s%s%s%s:%u", u->scheme, ui ? ui : "", v6 ? "[" : "", u->host,
			 v6 ? "]" : "", u->port);
}

int proxyurl_resolve_host(struct gw_proxy_url *u, struct gw_error *err)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, u->host, buf) == 1 || inet_pton(AF_INET6, u->host, buf) == 1)
		return 0;
	/* RFC 6761: localhost is loopback, without asking NSS (a lookup costs
	 * a good part of a sandboxed `true`). */
	if (strcasecmp(u->host, "localhost") == 0 || strcasecmp(u->host, "localhost.") == 0) {
		free(u->host);
		u->host = xstrdup("127.0.0.1");
		return 0;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	int r = getaddrinfo(u->host, NULL, &hints, &res);
	if (r != 0 || !res)
		return gw_error_set(err, -EHOSTUNREACH, "cannot resolve proxy host \"%s\": %s",
				    u->host, gai_strerror(r));
	char addr[INET6_ADDRSTRLEN] = "";
	if (res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, addr, sizeof addr);
	freeaddrinfo(res);
	free(u->host);
	u->host = xstrdup(addr);
	return 0;
}
