/* http1.c: see http1.h. */
#include "http1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- lexical helpers ---- */

static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

static bool span_eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp((const char *)p, s, n) == 0;
}

/* Decimal port 1..65535. */
static int parse_port(const uint8_t *p, size_t n, uint16_t *out)
{
	uint32_t v = 0;
	if (n == 0 || n > 5)
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EPROTO;
		v = v * 10 + (p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EPROTO;
	*out = (uint16_t)v;
	return 0;
}

/* A character of a host name (letters, digits, '-', '.', '_': what DNS
 * names are written with) or, inside brackets, of an IPv6 literal.  Not
 * the rest of RFC 3986's reg-name: ',', '!', '%' and the like name no
 * host, and parsers split on them differently. */
static bool is_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static bool is_v6_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       c == ':' || c == '.';
}

/* "host", "host:port", "[v6]" or "[v6]:port" (no userinfo, no empty
 * port) into host (cap GW_HTTP_HOST_MAX + 3) and *port (left alone when
 * there is none). */
static int parse_authority(const uint8_t *p, size_t n, bool need_port, char *host, uint16_t *port)
{
	size_t host_len = n;
	const uint8_t *colon = NULL;
	if (n && p[0] == '[') {
		const uint8_t *end = memchr(p, ']', n);
		if (!end)
			return -EPROTO;
		host_len = (size_t)(end - p) + 1;
		if (host_len < n) {
			if (p[host_len] != ':')
				return -EPROTO;
			colon = p + host_len;
		}
		if (host_len < 4 || host_len > GW_HTTP_HOST_MAX + 2)
			return -EPROTO;
		for (size_t i = 1; i < host_len - 1; i++)
			if (!is_v6_char(p[i]))
				return -EPROTO;
	} else {
		colon = memchr(p, ':', n);
		if (colon)
			host_len = (size_t)(colon - p);
		if (host_len == 0 || host_len > GW_HTTP_HOST_MAX)
			return -EPROTO;
		for (size_t i = 0; i < host_len; i++)
			if (!is_name_char(p[i]))
				return -EPROTO;
	}
	memcpy(host, p, host_len);
	host[host_len] = '\0';
	if (!colon)
		return need_port ? -EPROTO : 0;
	return parse_port(colon + 1, n - host_len - 1, port);
}

static int parse_target(const uint8_t *p, size_t n, size_t off, struct gw_http_head *h)
{
	bool connect = strcmp(h->method, "CONNECT") == 0;
	if (connect) {
		h->target_kind = GW_HTTP_TARGET_AUTHORITY;
		return parse_authority(p, n, true, h->host, &h->port);
	}
	if (n == 1 && p[0] == '*') {
		h->target_kind = GW_HTTP_TARGET_ASTERISK;
		return strcmp(h->method, "OPTIONS") == 0 ? 0 : -EPROTO;
	}
	if (p[0] == '/') {
		h->target_kind = GW_HTTP_TARGET_ORIGIN;
		return 0;
	}
	/* Only plain http:// can be forwarded; https goes through CONNECT. */
	if (n < 8 || strncasecmp((const char *)p, "http://", 7) != 0)
		return -EPROTO;
	h->target_kind = GW_HTTP_TARGET_ABSOLUTE;
	h->port = 80;
	size_t a = 7, e = a;
	while (e < n && p[e] != '/' && p[e] != '?' && p[e] != '#')
		e++;
	int r = parse_authority(p + a, e - a, false, h->host, &h->port);
	h->path_off = off + e;
	h->path_len = n - e;
	return r;
}

/* "METHOD SP target SP HTTP/1.x" (without CRLF). */
static int parse_request_line(const uint8_t *l, size_t n, struct gw_http_head *h)
{
	size_t m = 0;
	while (m < n && is_tchar(l[m]))
		m++;
	if (m == 0 || m >= sizeof h->method || m >= n || l[m] != ' ')
		return -EPROTO;
	memcpy(h->method, l, m);
	h->method[m] = '\0';
	size_t t = m + 1, te = t;
	while (te < n && l[te] > ' ' && l[te] < 0x7f)
		te++;
	if (te == t || te + 9 != n || l[te] != ' ' || memcmp(l + te + 1, "HTTP/1.", 7) != 0)
		return -EPROTO;
	if (l[n - 1] != '0' && l[n - 1] != '1')
		return -EPROTO;
	h->minor = l[n - 1] - '0';
	return parse_target(l + t, te - t, t, h);
}

static void copy_value(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	memcpy(dst, v, n < cap - 1 ? n : cap - 1);
	dst[n < cap - 1 ? n : cap - 1] = '\0';
}

struct seen {
	bool host, te, cl;
	bool upgrade;      /* one Upgrade header, naming websocket alone */
	bool upgrade_seen;
	bool conn_upgrade; /* "upgrade" among the Connection options */
};

/* Whether the comma-separated list v[0..n) holds the token tok (any case,
 * optional whitespace around the elements). */
static bool list_has(const uint8_t *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t a = start, b = i;
		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (span_eq(v + a, b - a, tok))
			return true;
		i++; /* past the comma */
	}
	return false;
}

static int parse_content_length(const uint8_t *v, size_t n, struct gw_http_head *h, struct seen *s)
{
	uint64_t x = 0;
	if (n == 0 || n > 18)
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EPROTO;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (s->cl && x != h->content_length)
		return -EPROTO;
	s->cl = true;
	h->has_length = true;
	h->content_length = x;
	return 0;
}

/* One header line "name: value" (without CRLF) at offset off. */
static int parse_header(const uint8_t *buf, size_t off, size_t n, struct gw_http_head *h,
			struct seen *s)
{
	const uint8_t *l = buf + off;
	size_t c = 0;
	while (c < n && is_tchar(l[c]))
		c++;
	if (c == 0 || c >= n || l[c] != ':')
		return -EPROTO; /* also obs-fold (leading SP/HT) and "name :" */
	size_t vs = c + 1, ve = n;
	while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	for (size_t i = vs; i < ve; i++)
		if ((l[i] < ' ' && l[i] != '\t') || l[i] == 0x7f)
			return -EPROTO;
	const uint8_t *v = l + vs;
	size_t vn = ve - vs;
	if (span_eq(l, c, "host")) {
		/* One authority, as a target's: a list, userinfo or a path
		 * would name a host to some servers and another to us. */
		char host[GW_HTTP_HOST_MAX + 3];
		uint16_t port;
		if (s->host || vn == 0 || vn >= sizeof h->host_header ||
		    parse_authority(v, vn, false, host, &port) < 0)
			return -EPROTO;
		s->host = true;
		copy_value(h->host_header, sizeof h->host_header, v, vn);
	} else if (span_eq(l, c, "content-length")) {
		return parse_content_length(v, vn, h, s);
	} else if (span_eq(l, c, "transfer-encoding")) {
		if (s->te || !span_eq(v, vn, "chunked"))
			return -EPROTO;
		s->te = true;
		h->chunked = true;
	} else if (span_eq(l, c, "proxy-authorization")) {
		h->proxy_auth_off = off + vs;
		h->proxy_auth_len = vn;
	} else if (span_eq(l, c, "upgrade")) {
		/* WebSocket alone: after a switch to HTTP/2 (h2c) requests
		 * could name any host, and TLS would skip the SNI check. */
		s->upgrade = !s->upgrade_seen && span_eq(v, vn, "websocket");
		s->upgrade_seen = true;
	} else if (span_eq(l, c, "connection")) {
		s->conn_upgrade = s->conn_upgrade || list_has(v, vn, "upgrade");
	}
	return 0;
}

/* The next line [start, *eol) ending in CRLF: 1 found (*eol at '\r'), 0
 * need more, -EPROTO for a bare CR or LF. */
static int next_line(const uint8_t *buf, size_t len, size_t start, size_t *eol)
{
	for (size_t i = start; i < len; i++) {
		if (buf[i] == '\n')
			return -EPROTO;
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= len)
			return 0;
		if (buf[i + 1] != '\n')
			return -EPROTO;
		*eol = i;
		return 1;
	}
	return 0;
}

int http1_parse_head(const uint8_t *buf, size_t len, struct gw_http_head *h)
{
	struct seen s = { 0 };
	size_t pos = 0, eol;
	size_t lim = len < GW_HTTP_HEAD_MAX ? len : GW_HTTP_HEAD_MAX;
	memset(h, 0, sizeof *h);
	for (bool first = true;; first = false) {
		int r = next_line(buf, lim, pos, &eol);
		if (r == 0)
			return len >= GW_HTTP_HEAD_MAX ? -E2BIG : 0;
		if (r < 0)
			return r;
		if (first) {
			r = parse_request_line(buf, eol, h);
			h->line_end = eol + 2;
		} else if (eol == pos) {
			break; /* the empty line */
		} else {
			r = parse_header(buf, pos, eol - pos, h, &s);
		}
		if (r < 0)
			return r;
		pos = eol + 2;
	}
	h->head_len = eol + 2;
	/* HTTP/1.0 has no transfer codings: a 1.0 server would take the
	 * chunks for the next request (RFC 9112, 6.1). */
	if ((s.te && s.cl) || (s.te && h->minor == 0) || (h->minor == 1 && !s.host))
		return -EPROTO;
	/* HTTP/1.0 has no protocol upgrade (RFC 9110, 7.8). */
	h->upgrade = s.upgrade && s.conn_upgrade && h->minor == 1;
	return (int)h->head_len;
}

bool http1_has_body(const struct gw_http_head *h)
{
	return h->chunked || (h->has_length && h->content_length > 0);
}

/* ---- the origin-form rewrite ---- */

struct out {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Is the header line l[0..n) one of the named fields? */
static bool named(const uint8_t *l, size_t n, const char *const *names)
{
	const uint8_t *colon = memchr(l, ':', n);
	if (!colon)
		return false;
	for (size_t i = 0; names[i]; i++)
		if (span_eq(l, (size_t)(colon - l), names[i]))
			return true;
	return false;
}

static const char *const hop_by_hop[] = { "connection", "proxy-connection", "keep-alive",
					  "proxy-authorization", NULL };
static const char *const host_field[] = { "host", NULL };

/* "Host: " and the target's authority (the port only when not 80). */
static void put_host(struct out *o, const struct gw_http_head *h)
{
	char port[8];
	put(o, "Host: ", 6);
	put(o, h->host, strlen(h->host));
	if (h->port != 80) {
		int n = snprintf(port, sizeof port, ":%u", (unsigned)h->port);
		put(o, port, (size_t)n);
	}
	put(o, "\r\n", 2);
}

int http1_build_origin_head(const uint8_t *buf, size_t len, const struct gw_http_head *h,
			    uint8_t *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };
	if (h->target_kind != GW_HTTP_TARGET_ABSOLUTE || len < h->head_len)
		return -EINVAL;
	put(&o, h->method, strlen(h->method));
	put(&o, " ", 1);
	if (h->path_len == 0 || buf[h->path_off] != '/')
		put(&o, "/", 1);
	put(&o, buf + h->path_off, h->path_len);
	put(&o, h->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11);
	/* The Host the proxy acted on, where the client put its own (which
	 * may name another host: RFC 9112, 3.2.2), or first. */
	if (!h->host_header[0])
		put_host(&o, h);
	size_t pos = h->line_end, eol;
	while (next_line(buf, h->head_len, pos, &eol) == 1 && eol > pos) {
		if (named(buf + pos, eol - pos, host_field))
			put_host(&o, h);
		else if (!named(buf + pos, eol - pos, hop_by_hop))
			put(&o, buf + pos, eol - pos + 2);
		pos = eol + 2;
	}
	put(&o, "Connection: close\r\n\r\n", 21);
	return o.full ? -ENOBUFS : (int)o.len;
}

/* ---- framing ---- */

enum {
	F_HEAD,
	F_LENGTH,
	F_CHUNK_SIZE,     /* hex digits, then ';' ext or CR */
	F_CHUNK_SIZE_LF,
	F_CHUNK_DATA,
	F_CHUNK_DATA_CR,
	F_CHUNK_DATA_LF,
	F_TRAILER,        /* a trailer line, or the final empty line */
	F_TRAILER_LF,
};

/* A chunk-size line or trailer line longer than this (its CRLF included)
 * is refused. */
#define LINE_MAX_BYTES 4096

void http1_framer_init(struct gw_http_framer *f)
{
	memset(f, 0, sizeof *f);
	f->state = F_HEAD;
}

static void start_body(struct gw_http_framer *f, const struct gw_http_head *h)
{
	memset(f, 0, sizeof *f);
	if (h->chunked)
		f->state = F_CHUNK_SIZE;
	else if (h->has_length && h->content_length > 0) {
		f->state = F_LENGTH;
		f->remaining = h->content_length;
	} else
		f->state = F_HEAD;
}

void http1_framer_init_after_head(struct gw_http_framer *f, const struct gw_http_head *h)
{
	start_body(f, h);
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One byte of chunked framing (not chunk data).  0, 1 when the request
 * ended with it, -EPROTO. */
static int chunk_byte(struct gw_http_framer *f, uint8_t c)
{
	if (++f->line > LINE_MAX_BYTES)
		return -EPROTO;
	switch (f->state) {
	case F_CHUNK_SIZE:
		if (!f->in_ext && hexval(c) >= 0) {
			if (++f->digits > 15) /* 15 hex digits: far beyond any real chunk, no overflow */
				return -EPROTO;
			f->remaining = f->remaining << 4 | (uint64_t)hexval(c);
			return 0;
		}
		if (f->digits == 0)
			return -EPROTO;
		if (c == '\r') {
			f->state = F_CHUNK_SIZE_LF;
			return 0;
		}
		if (c == ';' || f->in_ext) {
			if (c == '\n' || c == '\0')
				return -EPROTO;
			f->in_ext = true;
			return 0;
		}
		return -EPROTO;
	case F_CHUNK_SIZE_LF:
		if (c != '\n')
			return -EPROTO;
		f->line = 0;
		f->state = f->remaining ? F_CHUNK_DATA : F_TRAILER;
		f->line_has_data = false;
		return 0;
	case F_CHUNK_DATA_CR:
		f->state = F_CHUNK_DATA_LF;
		return c == '\r' ? 0 : -EPROTO;
	case F_CHUNK_DATA_LF:
		if (c != '\n')
			return -EPROTO;
		f->state = F_CHUNK_SIZE;
		f->line = 0;
		f->digits = 0;
		f->in_ext = false;
		f->remaining = 0;
		return 0;
	case F_TRAILER:
		if (c == '\r') {
			f->state = F_TRAILER_LF;
			return 0;
		}
		if (c == '\n' || c == '\0')
			return -EPROTO;
		f->line_has_data = true;
		return 0;
	case F_TRAILER_LF:
		if (c != '\n')
			return -EPROTO;
		if (!f->line_has_data) {
			f->state = F_HEAD;
			return 1;
		}
		f->state = F_TRAILER;
		f->line = 0;
		f->line_has_data = false;
		return 0;
	default:
		return -EPROTO;
	}
}

static int feed_body(struct gw_http_framer *f, const uint8_t *buf, size_t len,
		     struct gw_http_event *ev)
{
	size_t i = 0;
	ev->kind = GW_HTTP_EV_BODY;
	while (i < len && !ev->end) {
		if (f->state == F_LENGTH || f->state == F_CHUNK_DATA) {
			uint64_t n = len - i < f->remaining ? len - i : f->remaining;
			i += (size_t)n;
			f->remaining -= n;
			if (f->remaining)
				continue;
			if (f->state == F_LENGTH) {
				f->state = F_HEAD;
				ev->end = true;
			} else {
				f->state = F_CHUNK_DATA_CR;
			}
			continue;
		}
		int r = chunk_byte(f, buf[i++]);
		if (r < 0)
			return r;
		ev->end = r == 1;
	}
	ev->len = i;
	return 0;
}

int http1_framer_feed(struct gw_http_framer *f, const uint8_t *buf, size_t len,
		      struct gw_http_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (f->state != F_HEAD && len == 0) {
		ev->kind = GW_HTTP_EV_NEED_MORE;
		return 0;
	}
	if (f->state != F_HEAD)
		return feed_body(f, buf, len, ev);
	int r = http1_parse_head(buf, len, &ev->head);
	if (r == 0) {
		ev->kind = GW_HTTP_EV_NEED_MORE;
		return 0;
	}
	if (r < 0)
		return r;
	ev->kind = GW_HTTP_EV_HEAD;
	ev->len = (size_t)r;
	start_body(f, &ev->head);
	ev->end = f->state == F_HEAD;
	return 0;
}
