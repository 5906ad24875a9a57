/* proxy-upstream.c: asking the upstream proxy (network.proxyUrl or
 * httpProxyUrl) for a destination the policy allowed.  The name goes to
 * the upstream unresolved (SOCKS5 ATYP domain, or the HTTP CONNECT
 * authority), so the upstream, like greyproxy, sees and judges names.
 *
 * Replies are read with MSG_PEEK and consumed only as far as the
 * handshake goes: what the server sends right after belongs to the
 * client. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "proxy-conn.h"

static bool upstream_is_http(const struct conn *c)
{
	return strcmp(proxy_upstream(c->px)->scheme, "http") == 0;
}

/* ---- SOCKS5 ---- */

static int socks_start(struct conn *c)
{
	struct gw_socks5_target t;
	struct sockaddr_storage ss;
	uint8_t out[GW_SOCKS5_CLI_OUT_MAX];
	size_t n = 0;
	int r;
	if (c->literal)
		r = netpolicy_parse_literal(c->host, c->port, &ss)
			    ? socks5_target_addr(&t, (struct sockaddr *)&ss) : -EINVAL;
	else
		r = socks5_target_name(&t, c->host, c->port);
	if (r == 0)
		r = socks5_cli_start(&c->ucli, proxy_upstream_cred(c->px), &t, out, &n);
	if (r == 0 && send(c->up.fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		r = -EIO;
	return r;
}

static void socks_read(struct conn *c)
{
	uint8_t in[512], out[GW_SOCKS5_CLI_OUT_MAX];
	ssize_t n = recv(c->up.fd, in, sizeof in, MSG_PEEK);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		front_dial_done(c, n == 0 ? -ECONNRESET : -errno, false);
		return;
	}
	size_t used = 0, olen = 0;
	int r = socks5_cli_feed(&c->ucli, in, (size_t)n, &used, out, &olen);
	if (used && recv(c->up.fd, in, used, 0) != (ssize_t)used)
		r = -EIO;
	if (r >= 0 && olen && send(c->up.fd, out, olen, MSG_NOSIGNAL) != (ssize_t)olen)
		r = -EIO;
	if (r == GW_SOCKS5_MORE)
		return;
	if (r < 0)
		log_debug("upstream proxy refused %s:%u: %s", c->host, c->port, strerror(-r));
	front_dial_done(c, r < 0 ? r : 0, r == -EACCES);
}

/* ---- HTTP CONNECT ---- */

static int http_start(struct conn *c)
{
	char req[GW_DOMAIN_MAX + 512];
	const char *basic = proxy_upstream_basic(c->px);
	bool v6 = c->literal && strchr(c->host, ':');
	int n = snprintf(req, sizeof req,
			 "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s%s%s\r\n",
			 v6 ? "[" : "", c->host, v6 ? "]" : "", c->port, v6 ? "[" : "", c->host,
			 v6 ? "]" : "", c->port, basic ? "Proxy-Authorization: " : "", basic ? basic : "",
			 basic ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof req)
		return -ENAMETOOLONG;
	return send(c->up.fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -EIO;
}

/* The status of a complete response head "HTTP/1.x NNN ...", or -EPROTO. */
static int http_status(const uint8_t *b, size_t len)
{
	if (len < 12 || memcmp(b, "HTTP/1.", 7) != 0 || b[8] != ' ')
		return -EPROTO;
	int st = 0;
	for (int i = 9; i < 12; i++) {
		if (b[i] < '0' || b[i] > '9')
			return -EPROTO;
		st = st * 10 + (b[i] - '0');
	}
	return st;
}

static void http_read(struct conn *c)
{
	uint8_t buf[GW_UPSTREAM_REPLY_MAX];
	ssize_t n = recv(c->up.fd, buf, sizeof buf, MSG_PEEK);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		front_dial_done(c, n == 0 ? -ECONNRESET : -errno, false);
		return;
	}
	const uint8_t *end = memmem(buf, (size_t)n, "\r\n\r\n", 4);
	if (!end) {
		if ((size_t)n == sizeof buf)
			front_dial_done(c, -EPROTO, false);
		return;
	}
	size_t head = (size_t)(end - buf) + 4;
	int st = http_status(buf, head);
	if (recv(c->up.fd, buf, head, 0) != (ssize_t)head)
		st = -EIO;
	if (st == 200) {
		front_dial_done(c, 0, false);
		return;
	}
	log_debug("upstream HTTP proxy answered %d for %s:%u", st, c->host, c->port);
	bool denied = st == 403 || st == 407;
	front_dial_done(c, st < 0 ? st : denied ? -EACCES : -ECONNREFUSED, denied);
}

/* ---- entry points ---- */

int upstream_start(struct conn *c)
{
	return upstream_is_http(c) ? http_start(c) : socks_start(c);
}

void upstream_on_event(struct conn *c)
{
	if (upstream_is_http(c))
		http_read(c);
	else
		socks_read(c);
}
