/* http1.h: HTTP/1.x requests as the proxy sees them: a strict parser for
 * request heads (the HTTP proxy's own requests, and every request a
 * sandboxed client sends in a plain HTTP relay, whose Host must name the
 * allowed host), a streaming framer that tells heads from bodies, and the
 * rewrite of a proxy request into the form the origin server expects.
 *
 * All input is untrusted.  The parser refuses what could make two HTTP
 * implementations disagree on where a request ends or which host it is
 * for (request smuggling): Content-Length with Transfer-Encoding,
 * differing Content-Lengths, any coding but exactly "chunked", any coding
 * in HTTP/1.0, obsolete line folding, bare CR, missing or repeated Host, a
 * Host that is not one host[:port], userinfo in the target.  Host names
 * (in targets and Host) are letters, digits, '-', '.' and '_', at most 255
 * of them, or a bracketed IPv6 literal.  Lines must end in CRLF (a bare LF
 * is refused too).  No allocation; nothing is read past `len`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_HTTP_HEAD_MAX 16384
#define GW_HTTP_HOST_MAX 255

enum gw_http_target {
	GW_HTTP_TARGET_ORIGIN,     /* "/path?q" */
	GW_HTTP_TARGET_ABSOLUTE,   /* "http://host[:port]/path" (proxy requests) */
	GW_HTTP_TARGET_AUTHORITY,  /* "host:port" (CONNECT) */
	GW_HTTP_TARGET_ASTERISK,   /* "*" (OPTIONS) */
};

struct gw_http_head {
	char method[32];
	enum gw_http_target target_kind;
	/* Absolute and authority forms: the host as written (an IPv6 literal
	 * keeps its brackets) and the port (80 by default for http://). */
	char host[GW_HTTP_HOST_MAX + 3];
	uint16_t port;
	/* Absolute form: offset and length in the head of the path and query
	 * ("" when the URL has none, meaning "/"). */
	size_t path_off, path_len;
	size_t line_end;             /* offset just past the request line's CRLF */
	char host_header[GW_HTTP_HOST_MAX + 9]; /* the Host value ("" if none: HTTP/1.0) */
	int minor;                   /* HTTP/1.<minor>, 0 or 1 */
	bool chunked;                /* Transfer-Encoding: chunked */
	bool has_length;
	uint64_t content_length;
	/* "Upgrade: websocket" (one header, that protocol alone) with
	 * "upgrade" in Connection, in HTTP/1.1: the client asks to switch to
	 * WebSocket; after a 101 answer, what follows on the connection is
	 * no longer HTTP.  Other protocols are not reported: after a switch
	 * to HTTP/2 (h2c), requests could name any host. */
	bool upgrade;
	/* Proxy-Authorization value, as offset and length in the head. */
	size_t proxy_auth_off, proxy_auth_len;
	size_t head_len;             /* through the empty line */
};

/* Parse the request head at the start of buf.  Returns its length (> 0)
 * with *h filled, 0 when more bytes are needed, -E2BIG when no head ends
 * within GW_HTTP_HEAD_MAX bytes, -EPROTO for anything malformed or
 * ambiguous (see above). */
int http1_parse_head(const uint8_t *buf, size_t len, struct gw_http_head *h);

/* Does the request carry a body (Content-Length > 0, or chunked)? */
bool http1_has_body(const struct gw_http_head *h);

/* Rewrite the absolute-form request head buf[0..h->head_len) for the
 * origin server into out[0..cap): request line in origin form, the
 * Connection, Proxy-Connection, Keep-Alive and Proxy-Authorization headers
 * dropped, "Connection: close" added (one request per proxied connection),
 * the Host header replaced by the target's host and port (RFC 9112,
 * 3.2.2: the client's could name another host than the one the proxy
 * checked; added first when there was none), every other header kept
 * byte for byte.  Returns the length, -ENOBUFS when cap is too small,
 * -EINVAL when h is not absolute-form. */
int http1_build_origin_head(const uint8_t *buf, size_t len, const struct gw_http_head *h,
			    uint8_t *out, size_t cap);

/* Streaming framing of the requests a client sends on one connection.
 * Heads must be whole before they are reported; body bytes (chunk-size
 * lines and trailers included) are reported as they come, so a relay
 * never holds more than one head.  Private fields. */
struct gw_http_framer {
	int state;
	uint64_t remaining;   /* body bytes left (length or current chunk) */
	size_t line;          /* bytes of the current chunk-size or trailer line */
	bool line_has_data;   /* trailer line not empty */
	int digits;           /* hex digits of the chunk size */
	bool in_ext;          /* in a chunk extension */
};

enum gw_http_ev_kind {
	GW_HTTP_EV_NEED_MORE, /* an incomplete head: feed again with more bytes */
	GW_HTTP_EV_HEAD,      /* buf[0..len) is a request head, parsed in head */
	GW_HTTP_EV_BODY,      /* buf[0..len) is body */
};

struct gw_http_event {
	enum gw_http_ev_kind kind;
	size_t len;
	bool end;             /* the request ends with these bytes */
	struct gw_http_head head;
};

/* A framer that expects a request head first. */
void http1_framer_init(struct gw_http_framer *f);
/* A framer positioned after head h was consumed (its body comes next). */
void http1_framer_init_after_head(struct gw_http_framer *f, const struct gw_http_head *h);

/* Classify the bytes at the start of buf: one event per call, covering
 * ev->len bytes (0 for NEED_MORE, which is also the answer to len 0).
 * A BODY event stops where its request ends (ev->end).  Returns 0, or
 * -EPROTO / -E2BIG for a malformed head or chunked body, after which the
 * connection must end. */
int http1_framer_feed(struct gw_http_framer *f, const uint8_t *buf, size_t len,
		      struct gw_http_event *ev);
