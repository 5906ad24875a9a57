/* proxy-front.c: the client side of a connection before the relay: the
 * SOCKS5 and HTTP proxy handshakes, and the answer once dialling ended
 * (see proxy-conn.h).
 *
 * Handshake bytes are read with MSG_PEEK and consumed only as far as the
 * protocol parser used them, so whatever the client pipelined after its
 * request stays in the socket for the relay. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "log.h"
#include "proxy-conn.h"
#include "util.h"

/* ---- writing to the client ---- */

int front_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->cli.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 1;
}

static void queue(struct conn *c, const void *data, size_t len)
{
	if (len > sizeof c->out - c->out_len)
		len = sizeof c->out - c->out_len; /* replies are far shorter */
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

/* Send a final answer and close: it is short, and a client that does not
 * read it gets it cut off, not the proxy stuck. */
static void answer_and_close(struct conn *c, const void *data, size_t len)
{
	if (len)
		send(c->cli.fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_close(c);
}

static void http_answer(struct conn *c, int status, const char *phrase, const char *extra,
			const char *body)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf,
			 "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 status, phrase, extra ? extra : "", strlen(body), body);
	answer_and_close(c, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
}

/* ---- the destination ---- */

/* host as a client sent it: an address literal, or a name to normalise. */
static int set_dest(struct conn *c, const char *host, size_t len, uint16_t port)
{
	char text[GW_DOMAIN_MAX + 3];
	struct sockaddr_storage ss;
	const char *why;
	c->port = port;
	if (len < sizeof text) {
		memcpy(text, host, len);
		text[len] = '\0';
		if (netpolicy_parse_literal(text, port, &ss)) {
			uint16_t p;
			c->literal = true;
			return netpolicy_host_of_addr((struct sockaddr *)&ss, c->host, sizeof c->host, &p);
		}
	}
	c->literal = false;
	if (domain_normalize(host, len, c->host, sizeof c->host, &why) < 0) {
		snprintf(c->host, sizeof c->host, "(bad name)");
		conn_log_denied(c, why);
		return -EINVAL;
	}
	return 0;
}

static void dial(struct conn *c)
{
	/* Nothing more from the client until the server is there. */
	evloop_set(proxy_loop(c->px), &c->cli, 0);
	conn_dial(c);
}

/* ---- SOCKS5 ---- */

static void socks_read(struct conn *c)
{
	uint8_t in[GW_SOCKS5_HANDSHAKE_MAX], out[GW_SOCKS5_SRV_OUT_MAX];
	ssize_t n = recv(c->cli.fd, in, sizeof in, MSG_PEEK);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(c);
		return;
	}
	size_t used = 0, olen = 0;
	int r = socks5_srv_feed(&c->socks, in, (size_t)n, &used, out, &olen);
	if (used && recv(c->cli.fd, in, used, 0) != (ssize_t)used) {
		conn_close(c);
		return;
	}
	if (r < 0) {
		if (r == -EACCES)
			conn_log_denied(c, "bad or missing proxy credential");
		answer_and_close(c, out, olen);
		return;
	}
	queue(c, out, olen);
	if (front_flush(c) < 0) {
		conn_close(c);
		return;
	}
	if (r == GW_SOCKS5_MORE)
		return;
	const struct gw_socks5_target *t = &c->socks.target;
	if (t->atyp == GW_SOCKS5_ATYP_DOMAIN)
		r = set_dest(c, t->name, t->name_len, t->port);
	else {
		uint16_t p;
		c->literal = true;
		c->port = t->port;
		r = netpolicy_host_of_addr((const struct sockaddr *)&t->addr, c->host,
					   sizeof c->host, &p);
	}
	if (r < 0) {
		uint8_t rep[GW_SOCKS5_REPLY_MAX];
		int len = socks5_reply(GW_SOCKS5_REP_NOT_ALLOWED, NULL, rep, sizeof rep);
		answer_and_close(c, rep, len > 0 ? (size_t)len : 0);
		return;
	}
	dial(c);
}

static void socks_done(struct conn *c, int err, bool denied)
{
	uint8_t rep[GW_SOCKS5_REPLY_MAX];
	struct sockaddr_storage bound = { .ss_family = AF_INET };
	socklen_t blen = sizeof bound;
	if (err == 0 && getsockname(c->up.fd, (struct sockaddr *)&bound, &blen) < 0)
		err = -errno;
	uint8_t code = err == 0 ? GW_SOCKS5_REP_SUCCEEDED
		       : denied ? GW_SOCKS5_REP_NOT_ALLOWED : socks5_rep_from_errno(err);
	int len = socks5_reply(code, err == 0 ? (struct sockaddr *)&bound : NULL, rep, sizeof rep);
	if (err < 0 || len < 0) {
		answer_and_close(c, rep, len > 0 ? (size_t)len : 0);
		return;
	}
	queue(c, rep, (size_t)len);
	if (relay_begin(c) < 0)
		conn_close(c);
}

/* ---- HTTP ---- */

/* An absolute-URI request is sent rewritten once connected: origin form,
 * no proxy headers, Connection: close (one request per connection).  Its
 * Host header, when there is one, must name the URL's host.  false when
 * the connection was answered and closed. */
static bool forward_prepare(struct conn *c, const uint8_t *head, size_t len,
			    const struct gw_http_head *h)
{
	if (h->host_header[0]) {
		const char *v = h->host_header;
		size_t hl = v[0] == '[' ? strcspn(v, "]") + 1 : strcspn(v, ":");
		char name[GW_DOMAIN_MAX + 1];
		const char *why;
		bool same = c->literal ? strncmp(v, h->host, hl) == 0 && strlen(h->host) == hl
				       : domain_normalize(v, hl, name, sizeof name, &why) == 0 &&
					 strcmp(name, c->host) == 0;
		if (!same) {
			conn_log_denied(c, "the Host header names another host than the URL");
			http_answer(c, 400, "Bad Request", NULL, "Host does not match the URL\n");
			return false;
		}
	}
	uint8_t rew[GW_HS_MAX];
	int n = http1_build_origin_head(head, len, h, rew, sizeof rew);
	if (n < 0) {
		http_answer(c, 431, "Request Header Fields Too Large", NULL, "request head too large\n");
		return false;
	}
	c->hs = xmalloc((size_t)n);
	memcpy(c->hs, rew, (size_t)n);
	c->hs_len = c->hs_cap = (size_t)n;
	c->hs_off = 0;
	http1_framer_init_after_head(&c->framer, h);
	c->framed = true;
	c->framer_done = !http1_has_body(h);
	return true;
}

static bool authorized(struct conn *c, const uint8_t *buf, const struct gw_http_head *h)
{
	const char *want = proxy_basic_auth(c->px);
	if (!want)
		return true;
	if (!h->proxy_auth_len)
		return false;
	size_t wl = strlen(want);
	const uint8_t *got = buf + h->proxy_auth_off;
	if (h->proxy_auth_len != wl)
		return false;
	/* Constant time: a local attacker may time the comparison.  The
	 * scheme name is case-insensitive, the credential is not. */
	unsigned diff = strncasecmp((const char *)got, want, 6) != 0;
	for (size_t i = 6; i < wl; i++)
		diff |= (unsigned)(got[i] ^ (uint8_t)want[i]);
	return diff == 0;
}

/* The head, taken out of the socket into a buffer of its own size. */
static uint8_t *take_head(struct conn *c, const uint8_t *peeked, size_t len)
{
	uint8_t *head = xmalloc(len);
	if (recv(c->cli.fd, head, len, 0) != (ssize_t)len || memcmp(head, peeked, len) != 0) {
		free(head);
		return NULL;
	}
	return head;
}

static void http_read(struct conn *c)
{
	uint8_t buf[GW_HS_MAX];
	ssize_t n = recv(c->cli.fd, buf, sizeof buf, MSG_PEEK);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(c);
		return;
	}
	struct gw_http_head h;
	int r = http1_parse_head(buf, (size_t)n, &h);
	if (r == 0 && n == GW_HS_MAX)
		r = -E2BIG;
	if (r == 0)
		return;
	if (r < 0) {
		if (r == -E2BIG)
			http_answer(c, 431, "Request Header Fields Too Large", NULL, "request head too large\n");
		else
			http_answer(c, 400, "Bad Request", NULL, "malformed request\n");
		return;
	}
	/* Consume the head; a body stays in the socket for the relay. */
	_cleanup_free_ uint8_t *head = take_head(c, buf, (size_t)r);
	if (!head) {
		conn_close(c);
		return;
	}
	if (!authorized(c, head, &h)) {
		conn_log_denied(c, "bad or missing proxy credential");
		http_answer(c, 407, "Proxy Authentication Required",
			    "Proxy-Authenticate: Basic realm=\"greywall\"\r\n", "proxy credential required\n");
		return;
	}
	if (h.target_kind != GW_HTTP_TARGET_AUTHORITY && h.target_kind != GW_HTTP_TARGET_ABSOLUTE) {
		http_answer(c, 400, "Bad Request", NULL, "a proxy request needs an absolute URI or CONNECT\n");
		return;
	}
	c->http_forward = h.target_kind == GW_HTTP_TARGET_ABSOLUTE;
	if (set_dest(c, h.host, strlen(h.host), h.port) < 0) {
		http_answer(c, 403, "Forbidden", NULL, "bad host name\n");
		return;
	}
	if (c->http_forward && !forward_prepare(c, head, (size_t)r, &h))
		return;
	dial(c);
}

static void http_done(struct conn *c, int err, bool denied)
{
	char body[GW_DOMAIN_MAX + 64];
	if (denied) {
		snprintf(body, sizeof body, "greywall: %s:%u is not allowed by the sandbox policy\n",
			 c->host, c->port);
		http_answer(c, 403, "Forbidden", NULL, body);
		return;
	}
	if (err < 0) {
		snprintf(body, sizeof body, "greywall: cannot reach %s:%u: %s\n", c->host, c->port,
			 strerror(-err));
		if (err == -ETIMEDOUT)
			http_answer(c, 504, "Gateway Timeout", NULL, body);
		else
			http_answer(c, 502, "Bad Gateway", NULL, body);
		return;
	}
	if (!c->http_forward) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		queue(c, ok, sizeof ok - 1);
	}
	if (relay_begin(c) < 0)
		conn_close(c);
}

/* ---- entry points ---- */

void front_start(struct conn *c)
{
	if (c->kind == GW_PROXY_SOCKS5)
		socks5_srv_init(&c->socks, proxy_cred(c->px));
	if (evloop_set(proxy_loop(c->px), &c->cli, EPOLLIN) < 0)
		conn_close(c);
}

void front_on_client(struct conn *c, uint32_t events)
{
	if (c->st != ST_FRONT) {
		if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c);
		return;
	}
	if (c->kind == GW_PROXY_SOCKS5)
		socks_read(c);
	else
		http_read(c);
}

void front_dial_done(struct conn *c, int err, bool denied)
{
	if (c->closed)
		return;
	if (err < 0)
		evloop_close(proxy_loop(c->px), &c->up);
	if (err < 0 && !denied)
		log_debug("cannot reach %s:%u: %s", c->host, c->port, strerror(-err));
	switch (c->kind) {
	case GW_PROXY_SOCKS5:
		socks_done(c, err, denied);
		return;
	case GW_PROXY_HTTP:
		http_done(c, err, denied);
		return;
	case GW_PROXY_CAPTURE:
	default:
		if (err < 0)
			conn_reset(c);
		else if (relay_begin(c) < 0)
			conn_close(c);
		return;
	}
}
