/* test-http1.c: HTTP/1 request heads, the origin-form rewrite and the
 * request framer (src/http1.c).
 *
 * Requests captured from curl, Python, Node.js and git (http-heads.h)
 * must parse with the right fields, and every prefix of them must ask for
 * more; then each ambiguity the header promises to refuse, the rewrite's
 * exact output, and pipelined requests framed whole, byte by byte and in
 * random splits.  Inputs go in exact-size heap copies, so ASan reports any
 * read past their end. */
#include <stdint.h>
#include <stdlib.h>

#include "http-heads.h"
#include "http1.h"
#include "tap.h"

/* A string literal and its length (without the NUL), as two arguments. */
#define S(s) (const uint8_t *)(s), sizeof(s) - 1

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy)
		abort();
	memcpy(copy, p, n);
	return copy;
}

/* http1_parse_head() on an exact-size copy.  The offsets in *h stay
 * valid for p. */
static int parse(const uint8_t *p, size_t n, struct gw_http_head *h)
{
	uint8_t *copy = dup_exact(p, n);
	int r = http1_parse_head(copy, n, h);

	free(copy);
	return r;
}

static void expect_refused(const uint8_t *p, size_t n, int err)
{
	struct gw_http_head h;
	int r = parse(p, n, &h);

	if (r != err)
		TAP_FAIL("%d for \"%.*s\", want %d", r, (int)n, (const char *)p, err);
}

#define REFUSED(s) expect_refused(S(s), -EPROTO)

static void expect_accepted(const uint8_t *p, size_t n, struct gw_http_head *h)
{
	int r = parse(p, n, h);

	if (r != (int)n)
		TAP_FAIL("%d for \"%.*s\", want %zu", r, (int)n, (const char *)p, n);
}

#define ACCEPTED(s, h) expect_accepted(S(s), h)

/* ---- captured requests --------------------------------------------------- */

struct capture {
	const char *what, *bytes;
	size_t len;
	const char *method;
	enum gw_http_target kind;
	const char *host;       /* absolute and authority forms */
	uint16_t port;
	const char *path;       /* absolute form */
	const char *host_header;
	int minor;
	bool chunked, has_length;
	uint64_t length;
	const char *auth;       /* Proxy-Authorization, or NULL */
};

#define CAP(b) .what = #b, .bytes = b, .len = sizeof b - 1
#define ABS(h, p, pq) .kind = GW_HTTP_TARGET_ABSOLUTE, .host = h, .port = p, .path = pq
#define AUTHORITY(h, p) .kind = GW_HTTP_TARGET_AUTHORITY, .host = h, .port = p
#define ORIGIN_FORM .kind = GW_HTTP_TARGET_ORIGIN, .host = ""

static const struct capture captures[] = {
	{ CAP(CURL_GET), .method = "GET", ABS("example.test", 80, "/"),
	  .host_header = "example.test", .minor = 1 },
	{ CAP(CURL_AUTH), .method = "GET", ABS("example.test", 8080, "/a/b?q=1&r=%20"),
	  .host_header = "example.test:8080", .minor = 1, .auth = "Basic Z3c6czNjcmV0" },
	{ CAP(CURL_POST), .method = "POST", ABS("example.test", 80, "/form"),
	  .host_header = "example.test", .minor = 1, .has_length = true, .length = 7 },
	{ CAP(CURL_HTTP10), .method = "GET", ABS("example.test", 80, "/old"),
	  .host_header = "example.test", .minor = 0 },
	{ CAP(CURL_V6), .method = "GET", ABS("[::1]", 8080, "/v6"), .host_header = "[::1]:8080",
	  .minor = 1 },
	{ CAP(CURL_CONNECT), .method = "CONNECT", AUTHORITY("example.test", 443),
	  .host_header = "example.test:443", .minor = 1 },
	{ CAP(CURL_CONNECT_V6), .method = "CONNECT", AUTHORITY("[::1]", 8443),
	  .host_header = "[::1]:8443", .minor = 1 },
	{ CAP(URLLIB_GET), .method = "GET", ABS("python.example.test", 80, "/path?x=y"),
	  .host_header = "python.example.test", .minor = 1 },
	{ CAP(NODE_POST_CHUNKED), .method = "POST", ABS("node.example.test", 80, "/upload"),
	  .host_header = "node.example.test", .minor = 1, .chunked = true },
	{ CAP(NODE_GET), .method = "GET", ORIGIN_FORM, .host_header = "node.example.test",
	  .minor = 1 },
	{ CAP(GIT_INFO_REFS), .method = "GET", ORIGIN_FORM, .host_header = "127.0.0.1:47480",
	  .minor = 1 },
	{ CAP(GIT_PROBE), .method = "POST", ORIGIN_FORM, .host_header = "127.0.0.1:47480",
	  .minor = 1, .has_length = true, .length = 4 },
	{ CAP(GIT_POST_CHUNKED), .method = "POST", ORIGIN_FORM, .host_header = "127.0.0.1:47480",
	  .minor = 1, .chunked = true },
	{ CAP(GIT_POST_LENGTH), .method = "POST", ORIGIN_FORM, .host_header = "127.0.0.1:47480",
	  .minor = 1, .has_length = true, .length = 200381 },
};

#define N_CAPTURES (sizeof captures / sizeof captures[0])

/* Where the head ends: just past the first empty line. */
static size_t head_end(const char *p, size_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	return e ? (size_t)(e - p) + 4 : 0;
}

static void expect_span(const char *want, const uint8_t *buf, size_t off, size_t len)
{
	if (strlen(want) != len || memcmp(buf + off, want, len) != 0)
		TAP_FAIL("span [%zu, +%zu) is \"%.*s\", want \"%s\"", off, len, (int)len,
			 (const char *)buf + off, want);
}

TEST(captured_heads)
{
	for (size_t i = 0; i < N_CAPTURES; i++) {
		const struct capture *c = &captures[i];
		const uint8_t *b = (const uint8_t *)c->bytes;
		size_t head = head_end(c->bytes, c->len);
		struct gw_http_head h;
		printf("# %s\n", c->what);
		ASSERT_EQ(head, parse(b, c->len, &h));
		ASSERT_EQ(head, h.head_len);
		const char *lf = memchr(c->bytes, '\n', c->len);
		ASSERT_EQ((size_t)(lf - c->bytes) + 1, h.line_end);
		ASSERT_STREQ(c->method, h.method);
		ASSERT_EQ(c->kind, h.target_kind);
		ASSERT_STREQ(c->host, h.host);
		ASSERT_EQ(c->port, h.port);
		if (c->path)
			expect_span(c->path, b, h.path_off, h.path_len);
		ASSERT_STREQ(c->host_header, h.host_header);
		ASSERT_EQ(c->minor, h.minor);
		ASSERT_EQ(c->chunked, h.chunked);
		ASSERT_EQ(c->has_length, h.has_length);
		ASSERT_EQ(c->length, h.content_length);
		ASSERT_EQ(c->chunked || c->length > 0, http1_has_body(&h));
		if (c->auth)
			expect_span(c->auth, b, h.proxy_auth_off, h.proxy_auth_len);
		else
			ASSERT_EQ(0, h.proxy_auth_len);
		/* The head alone parses the same. */
		ASSERT_EQ(head, parse(b, head, &h));
	}
}

TEST(every_prefix_needs_more)
{
	for (size_t i = 0; i < N_CAPTURES; i++) {
		const struct capture *c = &captures[i];
		size_t head = head_end(c->bytes, c->len);
		struct gw_http_head h;
		for (size_t n = 0; n < head; n++) {
			int r = parse((const uint8_t *)c->bytes, n, &h);
			if (r != 0)
				TAP_FAIL("%s: prefix of %zu bytes: %d", c->what, n, r);
		}
	}
}

/* ---- request line ------------------------------------------------------- */

TEST(request_line)
{
	struct gw_http_head h;

	ACCEPTED("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &h);
	ASSERT_EQ(GW_HTTP_TARGET_ASTERISK, h.target_kind);
	ACCEPTED("GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n", &h);
	ASSERT_EQ(0, h.path_len);
	ACCEPTED("GET http://a.example?q HTTP/1.1\r\nHost: a.example\r\n\r\n", &h);
	ASSERT_EQ(2, h.path_len);
	ACCEPTED("GET HTTP://A.example:8080/x HTTP/1.1\r\nHost: a.example\r\n\r\n", &h);
	ASSERT_STREQ("A.example", h.host);
	ASSERT_EQ(8080, h.port);

	/* Versions: only 1.0 and 1.1, written exactly so. */
	REFUSED("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
	REFUSED("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	REFUSED("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
	REFUSED("GET / HTTP/1.10\r\nHost: a\r\n\r\n");
	REFUSED("GET / HTTP/0.9\r\nHost: a\r\n\r\n");
	REFUSED("GET /\r\n\r\n"); /* HTTP/0.9 */
	REFUSED("GET / http/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET / HTTP/1.1 \r\nHost: a\r\n\r\n");
	/* Spacing. */
	REFUSED("GET  / HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET /  HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED(" GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
	/* Methods: a token shorter than 32. */
	REFUSED("G(T / HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED(" / HTTP/1.1\r\nHost: a\r\n\r\n");
	ACCEPTED("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDE / HTTP/1.1\r\nHost: a\r\n\r\n", &h);
	REFUSED("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF / HTTP/1.1\r\nHost: a\r\n\r\n");
	/* Targets. */
	REFUSED("GET * HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET a.example HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n");
	REFUSED("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_refused(S("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), -EPROTO);
	expect_refused(S("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"), -EPROTO);
}

TEST(absolute_form)
{
	struct gw_http_head h;

	/* Userinfo names a host to some parsers and not to others. */
	REFUSED("GET http://a@b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	REFUSED("GET http://a:b@b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	REFUSED("GET http://@b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	REFUSED("GET http://b.example@/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	REFUSED("GET http://a.example\\@b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	/* Only http:// can be forwarded (https goes through CONNECT). */
	REFUSED("GET https://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET ftp://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http:/a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http:// HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http:///x HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://:80/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	/* Host characters: what a name or an address literal may hold. */
	REFUSED("GET http://a%2eexample/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a,b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a!b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://[::1/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://[::1]x/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://[a.example]/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://[fe80::1%25eth0]/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	ACCEPTED("GET http://[2001:db8::1]/ HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n", &h);
	ASSERT_STREQ("[2001:db8::1]", h.host);
	ASSERT_EQ(80, h.port);
	ACCEPTED("GET http://[::ffff:192.0.2.1]:8080/ HTTP/1.1\r\nHost: a\r\n\r\n", &h);
	ASSERT_STREQ("[::ffff:192.0.2.1]", h.host);
	ASSERT_EQ(8080, h.port);
	ACCEPTED("GET http://under_score.example/ HTTP/1.1\r\nHost: a\r\n\r\n", &h);
	/* Ports. */
	REFUSED("GET http://a.example:0/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	ACCEPTED("GET http://a.example:65535/ HTTP/1.1\r\nHost: a.example\r\n\r\n", &h);
	ASSERT_EQ(65535, h.port);
	REFUSED("GET http://a.example:65536/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a.example:/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a.example:8o/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a.example:-1/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("GET http://a.example:1:2/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
}

TEST(host_lengths)
{
	char line[600];
	struct gw_http_head h;
	char name[300];

	/* 255 bytes of name, not one more (257 with brackets for a
	 * literal, which is far shorter anyway). */
	memset(name, 'a', sizeof name);
	for (size_t i = 63; i < sizeof name; i += 64)
		name[i] = '.';
	name[255] = '\0';
	snprintf(line, sizeof line, "GET http://%s/ HTTP/1.1\r\nHost: a\r\n\r\n", name);
	ASSERT_EQ(strlen(line), parse((const uint8_t *)line, strlen(line), &h));
	ASSERT_STREQ(name, h.host);
	snprintf(line, sizeof line, "CONNECT %s:443 HTTP/1.1\r\nHost: a\r\n\r\n", name);
	ASSERT_EQ(strlen(line), parse((const uint8_t *)line, strlen(line), &h));
	ASSERT_STREQ(name, h.host);
	snprintf(line, sizeof line, "GET / HTTP/1.1\r\nHost: %s:1\r\n\r\n", name);
	ASSERT_EQ(strlen(line), parse((const uint8_t *)line, strlen(line), &h));
	name[255] = 'a';
	name[256] = '\0';
	snprintf(line, sizeof line, "GET http://%s/ HTTP/1.1\r\nHost: a\r\n\r\n", name);
	ASSERT_EQ(-EPROTO, parse((const uint8_t *)line, strlen(line), &h));
	snprintf(line, sizeof line, "CONNECT %s:443 HTTP/1.1\r\nHost: a\r\n\r\n", name);
	ASSERT_EQ(-EPROTO, parse((const uint8_t *)line, strlen(line), &h));
	snprintf(line, sizeof line, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", name);
	ASSERT_EQ(-EPROTO, parse((const uint8_t *)line, strlen(line), &h));
}

TEST(connect_form)
{
	struct gw_http_head h;

	ACCEPTED("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", &h);
	ASSERT_EQ(GW_HTTP_TARGET_AUTHORITY, h.target_kind);
	ACCEPTED("CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", &h);
	ASSERT_STREQ("[::1]", h.host);
	ASSERT_EQ(8080, h.port);
	ACCEPTED("CONNECT 192.0.2.1:65535 HTTP/1.0\r\n\r\n", &h);
	ASSERT_STREQ("192.0.2.1", h.host);
	ASSERT_EQ(65535, h.port);
	REFUSED("CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT a.example: HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT [::1] HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT a.example:0 HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT a.example:65536 HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT a.example:443x HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT u@a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT http://a.example:443/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT /a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n");
	REFUSED("CONNECT :443 HTTP/1.1\r\nHost: a.example\r\n\r\n");
}

/* ---- header fields -------------------------------------------------------- */

TEST(host_header)
{
	struct gw_http_head h;

	/* Missing: fine in HTTP/1.0 only. */
	REFUSED("GET / HTTP/1.1\r\n\r\n");
	REFUSED("GET http://a.example/ HTTP/1.1\r\nX: y\r\n\r\n");
	ACCEPTED("GET / HTTP/1.0\r\n\r\n", &h);
	ASSERT_STREQ("", h.host_header);
	/* Twice, even with the same value, and whatever the case. */
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nhOST: a.example\r\n\r\n");
	REFUSED("GET / HTTP/1.0\r\nHost: a.example\r\nHost: b.example\r\n\r\n");
	/* Empty, or not one authority: a list, userinfo, spaces, a path. */
	REFUSED("GET / HTTP/1.1\r\nHost:\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost:  \r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example:80,b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example@b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example:80@b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example b.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example/b\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example:http\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example:0\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example:65536\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: b\xc3\xbc" "cher.example\r\n\r\n");
	/* Whitespace around the value is not part of it. */
	ACCEPTED("GET / HTTP/1.1\r\nHost: \t a.example:8080 \t\r\n\r\n", &h);
	ASSERT_STREQ("a.example:8080", h.host_header);
	ACCEPTED("GET / HTTP/1.1\r\nhost:[::1]\r\n\r\n", &h);
	ASSERT_STREQ("[::1]", h.host_header);
}

TEST(field_syntax)
{
	struct gw_http_head h;

	/* obs-fold: one field to some parsers, two to others. */
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\n c\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\n\tc\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\n Host: a.example\r\n\r\n");
	/* Bare CR and bare LF, anywhere. */
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\rc\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\nc\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\n\n");
	REFUSED("GET / HTTP/1.1\nHost: a.example\n\n");
	REFUSED("GET / HTTP/1.1\rHost: a.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\n\r\r\n");
	/* Space or tab before the colon, no colon, no name. */
	REFUSED("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost\t: a.example\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding : chunked\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\n: b\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX(A): b\r\n\r\n");
	/* Control bytes in values (tab is whitespace). */
	expect_refused(S("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\0c\r\n\r\n"), -EPROTO);
	expect_refused(S("GET / HTTP/1.1\r\nHost: a.example\0\r\n\r\n"), -EPROTO);
	expect_refused(S("GET / HTTP/1.1\r\nHost: a.example\r\nX\0: b\r\n\r\n"), -EPROTO);
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\x01\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\x1f" "c\r\n\r\n");
	REFUSED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\x7f\r\n\r\n");
	ACCEPTED("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\tc \xff\r\nX-B:\r\n\r\n", &h);
}

TEST(body_length)
{
	struct gw_http_head h;

	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &h);
	ASSERT_TRUE(h.has_length);
	ASSERT_FALSE(http1_has_body(&h));
	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  007 \r\n\r\n", &h);
	ASSERT_EQ(7, h.content_length);
	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999\r\n\r\n", &h);
	ASSERT_EQ(999999999999999999ull, h.content_length);
	/* Two equal lengths say the same; two different ones do not. */
	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		 "Content-Length: 5\r\n\r\n", &h);
	ASSERT_EQ(5, h.content_length);
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n");
	/* Not a plain decimal. */
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551617\r\n\r\n");
}

TEST(transfer_encoding)
{
	struct gw_http_head h;

	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &h);
	ASSERT_TRUE(h.chunked);
	ASSERT_TRUE(http1_has_body(&h));
	ACCEPTED("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked \r\n\r\n", &h);
	ASSERT_TRUE(h.chunked);
	/* With a length: which one frames the body? */
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 5\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 0\r\n\r\n");
	/* Anything but exactly "chunked", once. */
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n");
	REFUSED("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	/* HTTP/1.0 has no transfer codings: a 1.0 server would read the
	 * chunks as the next request (RFC 9112, 6.1). */
	REFUSED("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
	REFUSED("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(proxy_authorization)
{
	struct gw_http_head h;
	static const char req[] = "GET http://a/ HTTP/1.1\r\nHost: a\r\n"
				  "Proxy-Authorization:   Basic dTpw  \r\n\r\n";

	ACCEPTED(req, &h);
	expect_span("Basic dTpw", (const uint8_t *)req, h.proxy_auth_off, h.proxy_auth_len);
	ACCEPTED("GET http://a/ HTTP/1.1\r\nHost: a\r\nProxy-Authorization:\r\n\r\n", &h);
	ASSERT_EQ(0, h.proxy_auth_len);
}

/* An upgrade is asked with both headers, in HTTP/1.1 only, to WebSocket
 * only; Connection is a list whose options may come in any case and in
 * several headers. */
TEST(upgrade)
{
	struct gw_http_head h;
	static const struct {
		const char *req;
		bool upgrade;
	} cases[] = {
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive,  UPGRADE \r\nUpgrade: WebSocket\r\n\r\n",
		  true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: upgrade\r\n"
		  "Upgrade: websocket\r\n\r\n", true },
		/* Other protocols are not upgrades to let through. */
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
		  "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: TLS/1.2\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket, h2c\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
		  "Upgrade: h2c\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nUpgrade:\r\nConnection: upgrade\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgraded, noupgrade\r\n\r\n",
		  false },
		{ "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_accepted((const uint8_t *)cases[i].req, strlen(cases[i].req), &h);
		if (h.upgrade != cases[i].upgrade)
			TAP_FAIL("upgrade %d for \"%s\"", h.upgrade, cases[i].req);
	}
}

TEST(head_size)
{
	static uint8_t big[GW_HTTP_HEAD_MAX + 64];
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	struct gw_http_head h;
	size_t n;

	/* A head of exactly GW_HTTP_HEAD_MAX bytes, then one more. */
	memcpy(big, start, sizeof start - 1);
	memset(big + sizeof start - 1, 'x', sizeof big - (sizeof start - 1));
	memcpy(big + GW_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	ASSERT_EQ(GW_HTTP_HEAD_MAX, parse(big, GW_HTTP_HEAD_MAX, &h));
	ASSERT_EQ(GW_HTTP_HEAD_MAX, parse(big, sizeof big, &h));
	memset(big + GW_HTTP_HEAD_MAX - 4, 'x', 4);
	memcpy(big + GW_HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	ASSERT_EQ(0, parse(big, GW_HTTP_HEAD_MAX - 1, &h));
	ASSERT_EQ(-E2BIG, parse(big, GW_HTTP_HEAD_MAX, &h));
	ASSERT_EQ(-E2BIG, parse(big, GW_HTTP_HEAD_MAX + 1, &h));
	/* A request line alone that long. */
	n = sizeof big;
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', n - 5);
	ASSERT_EQ(0, parse(big, GW_HTTP_HEAD_MAX - 1, &h));
	ASSERT_EQ(-E2BIG, parse(big, n, &h));
	/* A malformed line is refused as such, however long. */
	big[100] = '\n';
	ASSERT_EQ(-EPROTO, parse(big, n, &h));
}

/* ---- the origin-form rewrite ---------------------------------------------- */

/* Rewrite the head at the start of in[0..n) and compare with want, then
 * try every smaller buffer. */
static void expect_origin(const char *in, size_t n, const char *want)
{
	static uint8_t out[GW_HTTP_HEAD_MAX + 64];
	struct gw_http_head h, o;
	uint8_t *copy = dup_exact((const uint8_t *)in, n);
	size_t wl = strlen(want);
	int r = http1_parse_head(copy, n, &h);

	if (r <= 0) {
		free(copy);
		TAP_FAIL("the head does not parse: %d", r);
	}
	r = http1_build_origin_head(copy, n, &h, out, sizeof out);
	if (r != (int)wl || memcmp(out, want, wl) != 0) {
		printf("#   got: \"%.*s\"\n", r > 0 ? r : 0, (const char *)out);
		free(copy);
		TAP_FAIL("rewrite: %d bytes, want %zu: \"%s\"", r, wl, want);
	}
	/* The exact size fits; anything smaller does not. */
	for (size_t cap = 0; cap <= wl; cap++) {
		uint8_t *small = malloc(cap ? cap : 1);
		r = http1_build_origin_head(copy, n, &h, small, cap);
		free(small);
		if (r != (cap == wl ? (int)wl : -ENOBUFS)) {
			free(copy);
			TAP_FAIL("cap %zu: %d", cap, r);
		}
	}
	/* What the origin server gets is a valid origin-form head. */
	ASSERT_EQ(wl, parse(out, wl, &o));
	ASSERT_EQ(GW_HTTP_TARGET_ORIGIN, o.target_kind);
	ASSERT_STREQ(h.method, o.method);
	ASSERT_EQ(h.minor, o.minor);
	ASSERT_EQ(h.chunked, o.chunked);
	ASSERT_EQ(h.content_length, o.content_length);
	ASSERT_EQ(0, o.proxy_auth_len);
	free(copy);
}

#define ORIGIN(in, want) expect_origin(in, sizeof in - 1, want)

TEST(origin_head_captured)
{
	ORIGIN(CURL_GET,
	       "GET / HTTP/1.1\r\n"
	       "Host: example.test\r\n"
	       "User-Agent: curl/7.88.1\r\n"
	       "Accept: */*\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	ORIGIN(CURL_AUTH,
	       "GET /a/b?q=1&r=%20 HTTP/1.1\r\n"
	       "Host: example.test:8080\r\n"
	       "User-Agent: curl/7.88.1\r\n"
	       "Accept: */*\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	/* The body is not the rewrite's. */
	ORIGIN(CURL_POST,
	       "POST /form HTTP/1.1\r\n"
	       "Host: example.test\r\n"
	       "User-Agent: curl/7.88.1\r\n"
	       "Accept: */*\r\n"
	       "Content-Length: 7\r\n"
	       "Content-Type: application/x-www-form-urlencoded\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	ORIGIN(CURL_HTTP10,
	       "GET /old HTTP/1.0\r\n"
	       "Host: example.test\r\n"
	       "User-Agent: curl/7.88.1\r\n"
	       "Accept: */*\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	ORIGIN(CURL_V6,
	       "GET /v6 HTTP/1.1\r\n"
	       "Host: [::1]:8080\r\n"
	       "User-Agent: curl/7.88.1\r\n"
	       "Accept: */*\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	ORIGIN(URLLIB_GET,
	       "GET /path?x=y HTTP/1.1\r\n"
	       "Accept-Encoding: identity\r\n"
	       "Host: python.example.test\r\n"
	       "User-Agent: Python-urllib/3.11\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	ORIGIN(NODE_POST_CHUNKED,
	       "POST /upload HTTP/1.1\r\n"
	       "Host: node.example.test\r\n"
	       "Transfer-Encoding: chunked\r\n"
	       "Connection: close\r\n"
	       "\r\n");
}

TEST(origin_head_rules)
{
	/* Hop-by-hop and proxy headers go, in any case, wherever they are;
	 * names that merely start like them stay, byte for byte. */
	ORIGIN("PUT http://a.example/x HTTP/1.1\r\n"
	       "connection: keep-alive, x-a\r\n"
	       "Host: a.example\r\n"
	       "KEEP-ALIVE: timeout=5\r\n"
	       "Proxy-Connection: keep-alive\r\n"
	       "proxy-authorization: Basic eDp5\r\n"
	       "Connection-X:  kept \t\r\n"
	       "Keep-Alives: 1\r\n"
	       "X-Proxy-Authorization: z\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n",
	       "PUT /x HTTP/1.1\r\n"
	       "Host: a.example\r\n"
	       "Connection-X:  kept \t\r\n"
	       "Keep-Alives: 1\r\n"
	       "X-Proxy-Authorization: z\r\n"
	       "Content-Length: 0\r\n"
	       "Connection: close\r\n"
	       "\r\n");
	/* No path means "/"; a query alone gets one; the query stays. */
	ORIGIN("GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
	       "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	ORIGIN("GET http://a.example?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n",
	       "GET /?q=1 HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	ORIGIN("GET http://a.example:8080/p/?a=b&c=%2F HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
	       "GET /p/?a=b&c=%2F HTTP/1.1\r\nHost: a.example:8080\r\nConnection: close\r\n\r\n");
	/* The origin server learns the host from the target, as the proxy
	 * did (RFC 9112, 3.2.2): a client's Host naming another host must
	 * not reach it, nor be missing in HTTP/1.0. */
	ORIGIN("GET http://a.example/ HTTP/1.1\r\nX: 1\r\nHost: b.example\r\nY: 2\r\n\r\n",
	       "GET / HTTP/1.1\r\nX: 1\r\nHost: a.example\r\nY: 2\r\nConnection: close\r\n\r\n");
	ORIGIN("GET http://A.Example:80/ HTTP/1.1\r\nHost: b.example:80\r\n\r\n",
	       "GET / HTTP/1.1\r\nHost: A.Example\r\nConnection: close\r\n\r\n");
	ORIGIN("GET http://a.example:81/ HTTP/1.0\r\nX: 1\r\n\r\n",
	       "GET / HTTP/1.0\r\nHost: a.example:81\r\nX: 1\r\nConnection: close\r\n\r\n");
	ORIGIN("GET http://[2001:db8::1]/ HTTP/1.1\r\nHost: [2001:db8::2]\r\n\r\n",
	       "GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\nConnection: close\r\n\r\n");
}

TEST(origin_head_refused)
{
	static uint8_t out[256];
	struct gw_http_head h;
	static const char origin[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char connect[] = "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char absolute[] = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";

	ASSERT_EQ(sizeof origin - 1, parse(S(origin), &h));
	ASSERT_EQ(-EINVAL, http1_build_origin_head(S(origin), &h, out, sizeof out));
	ASSERT_EQ(sizeof connect - 1, parse(S(connect), &h));
	ASSERT_EQ(-EINVAL, http1_build_origin_head(S(connect), &h, out, sizeof out));
	/* Fewer bytes than the head that was parsed. */
	ASSERT_EQ(sizeof absolute - 1, parse(S(absolute), &h));
	ASSERT_EQ(-EINVAL, http1_build_origin_head((const uint8_t *)absolute, sizeof absolute - 2,
						   &h, out, sizeof out));
}

/* ---- the framer ------------------------------------------------------------ */

/* An event as the tests compare them: consecutive BODY events of one
 * request merged. */
struct rec {
	enum gw_http_ev_kind kind;
	size_t len;
	bool end;
	char method[32];
	uint64_t length;
	bool chunked;
};

struct run {
	struct rec ev[64];
	size_t n;
	int r;           /* the last feed's result */
	size_t consumed;
};

/* Split modes: 0 whole, 1 byte by byte, 2-7 random pieces of 1..7 bytes,
 * 8-11 random pieces of 1..1500. */
#define SPLIT_MODES 12

static size_t piece(unsigned mode, uint32_t *rng, size_t left)
{
	size_t n;

	if (mode == 0)
		return left;
	if (mode == 1)
		return left ? 1 : 0;
	*rng = *rng * 1103515245u + 12345u;
	n = 1 + (*rng >> 8) % (mode < 8 ? 7 : 1500);
	return n < left ? n : left;
}

/* Feed in[0..len) as the relay does: bytes arrive in pieces, and the
 * framer is shown everything from its position to what has arrived. */
static void frame_run(struct gw_http_framer *f, const uint8_t *in, size_t len, unsigned mode,
		      struct run *o)
{
	uint32_t rng = mode * 2654435761u;
	size_t avail = 0;

	memset(o, 0, sizeof *o);
	for (;;) {
		struct gw_http_event ev;
		if (o->consumed == avail) {
			if (avail == len)
				break;
			avail += piece(mode, &rng, len - avail);
		}
		uint8_t *copy = dup_exact(in + o->consumed, avail - o->consumed);
		o->r = http1_framer_feed(f, copy, avail - o->consumed, &ev);
		free(copy);
		if (o->r < 0)
			break;
		if (ev.kind == GW_HTTP_EV_NEED_MORE) {
			ASSERT_EQ(0, ev.len);
			if (avail == len)
				break;
			avail += piece(mode, &rng, len - avail);
			continue;
		}
		ASSERT_TRUE(ev.len > 0 && ev.len <= avail - o->consumed);
		o->consumed += ev.len;
		struct rec *last = o->n ? &o->ev[o->n - 1] : NULL;
		if (ev.kind == GW_HTTP_EV_BODY && last && last->kind == GW_HTTP_EV_BODY &&
		    !last->end) {
			last->len += ev.len;
			last->end = ev.end;
			continue;
		}
		ASSERT_TRUE(o->n < sizeof o->ev / sizeof o->ev[0]);
		o->ev[o->n++] = (struct rec){ .kind = ev.kind, .len = ev.len, .end = ev.end,
					      .length = ev.head.content_length,
					      .chunked = ev.head.chunked };
		if (ev.kind == GW_HTTP_EV_HEAD) {
			ASSERT_EQ(ev.len, ev.head.head_len);
			memcpy(o->ev[o->n - 1].method, ev.head.method, sizeof ev.head.method);
		}
	}
}

static void print_run(const struct run *o)
{
	for (size_t i = 0; i < o->n; i++)
		printf("#   %s %zu%s %s\n", o->ev[i].kind == GW_HTTP_EV_HEAD ? "HEAD" : "BODY",
		       o->ev[i].len, o->ev[i].end ? " end" : "", o->ev[i].method);
	printf("#   result %d after %zu bytes\n", o->r, o->consumed);
}

/* Every split of in[0..len) gives the events want[0..n) and then result
 * r after `consumed` bytes. */
static void expect_frames(const uint8_t *in, size_t len, const struct rec *want, size_t n, int r,
			  size_t consumed)
{
	static struct run o;

	for (unsigned mode = 0; mode < SPLIT_MODES; mode++) {
		struct gw_http_framer f;
		http1_framer_init(&f);
		frame_run(&f, in, len, mode, &o);
		bool same = o.n == n && o.r == r && o.consumed == consumed;
		for (size_t i = 0; same && i < n; i++)
			same = o.ev[i].kind == want[i].kind && o.ev[i].len == want[i].len &&
			       o.ev[i].end == want[i].end &&
			       strcmp(o.ev[i].method, want[i].method) == 0;
		if (!same) {
			print_run(&o);
			TAP_FAIL("split mode %u: other events", mode);
		}
	}
}

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

#define ADD(b, s) add(b, s, sizeof s - 1)
#define HEAD(s, m, end) { GW_HTTP_EV_HEAD, head_end(s, sizeof s - 1), end, m, 0, false }
#define BODY(n) { GW_HTTP_EV_BODY, n, true, "", 0, false }

/* A chunked body with extensions and trailers. */
#define CHUNKED_BODY \
	"5;name=value\r\nhello\r\n" \
	"1A;a;b=\"c d\"\r\nabcdefghijklmnopqrstuvwxyz\r\n" \
	"000\r\n" \
	"X-Trailer: 1\r\nX-Other: two\r\n\r\n"

TEST(framer_pipeline)
{
	struct buf b = { 0 };
	const struct rec want[] = {
		HEAD(NODE_GET, "GET", true),
		HEAD(GIT_PROBE, "POST", false),
		BODY(4),
		HEAD(GIT_POST_CHUNKED, "POST", false),
		BODY(sizeof CHUNKED_BODY - 1),
		HEAD(GIT_INFO_REFS, "GET", true),
		HEAD(CURL_GET, "GET", true),
	};

	ADD(&b, NODE_GET);
	ADD(&b, GIT_PROBE);
	ADD(&b, GIT_POST_CHUNKED);
	ADD(&b, CHUNKED_BODY);
	ADD(&b, GIT_INFO_REFS);
	ADD(&b, CURL_GET);
	expect_frames(b.p, b.n, want, sizeof want / sizeof want[0], 0, b.n);
	/* Cut short anywhere, the events so far are a prefix of these. */
	for (size_t n = 0; n < b.n; n += 7) {
		static struct run o;
		struct gw_http_framer f;
		http1_framer_init(&f);
		frame_run(&f, b.p, n, 0, &o);
		ASSERT_EQ(0, o.r);
		for (size_t i = 0; i < o.n; i++) {
			ASSERT_EQ(want[i].kind, o.ev[i].kind);
			if (i + 1 < o.n || want[i].kind == GW_HTTP_EV_HEAD)
				ASSERT_EQ(want[i].len, o.ev[i].len);
		}
	}
	free(b.p);
}

TEST(framer_git_push)
{
	/* The chunk sizes git sent (the bytes are made up), then the same
	 * pack with a length, both followed by another request. */
	static const size_t sizes[] = { 0x89, 0x2000, 0x2000, 0x2000, 0x2000, 0x2000, 0x2000,
					0x2000, 0x2000, 0x2000, 0x2000, 0x2000, 0x2000, 0x2000,
					0x2000, 0x2000, 0x2000, 0x2000, 0xee38 };
	static uint8_t data[0xee38];
	struct buf b = { 0 };
	size_t body = 0, total = 0;
	char line[16];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	ADD(&b, GIT_POST_CHUNKED);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int n = snprintf(line, sizeof line, "%zx\r\n", sizes[i]);
		add(&b, line, (size_t)n);
		add(&b, data, sizes[i]);
		ADD(&b, "\r\n");
		total += sizes[i];
	}
	ADD(&b, "0\r\n\r\n");
	body = b.n - head_end(GIT_POST_CHUNKED, sizeof GIT_POST_CHUNKED - 1);
	ASSERT_EQ(200385, total);
	ADD(&b, GIT_POST_LENGTH);
	for (size_t left = 200381; left; left -= left < sizeof data ? left : sizeof data)
		add(&b, data, left < sizeof data ? left : sizeof data);
	ADD(&b, GIT_INFO_REFS);
	const struct rec want[] = {
		HEAD(GIT_POST_CHUNKED, "POST", false),
		BODY(body),
		HEAD(GIT_POST_LENGTH, "POST", false),
		BODY(200381),
		HEAD(GIT_INFO_REFS, "GET", true),
	};
	expect_frames(b.p, b.n, want, sizeof want / sizeof want[0], 0, b.n);
	free(b.p);
}

/* The head of a chunked request, then body[0..n): framing fails with
 * -EPROTO within it, in every split. */
static void expect_bad_chunks(const char *body, size_t n)
{
	struct buf b = { 0 };
	const struct rec want[] = { HEAD(GIT_POST_CHUNKED, "POST", false) };
	static struct run o;

	ADD(&b, GIT_POST_CHUNKED);
	add(&b, body, n);
	/* The head, then (maybe) some body, then the error. */
	for (unsigned mode = 0; mode < SPLIT_MODES; mode++) {
		struct gw_http_framer f;
		http1_framer_init(&f);
		frame_run(&f, b.p, b.n, mode, &o);
		if (o.r != -EPROTO || o.n < 1 || o.n > 2 || o.ev[0].len != want[0].len) {
			print_run(&o);
			free(b.p);
			TAP_FAIL("split mode %u: \"%.*s\" not refused", mode, (int)n, body);
		}
	}
	free(b.p);
}

#define BAD_CHUNKS(s) expect_bad_chunks(s, sizeof s - 1)

/* The head of a chunked request and body[0..n) frame as one request. */
static void expect_good_chunks(const char *body, size_t n)
{
	struct buf b = { 0 };
	const struct rec want[] = { HEAD(GIT_POST_CHUNKED, "POST", false), BODY(n) };

	ADD(&b, GIT_POST_CHUNKED);
	add(&b, body, n);
	expect_frames(b.p, b.n, want, 2, 0, b.n);
	free(b.p);
}

#define GOOD_CHUNKS(s) expect_good_chunks(s, sizeof s - 1)

TEST(framer_chunk_syntax)
{
	struct buf line = { 0 };

	GOOD_CHUNKS("0\r\n\r\n");
	GOOD_CHUNKS("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n");
	GOOD_CHUNKS("000000000000005\r\nhello\r\n0\r\n\r\n");
	GOOD_CHUNKS("0;a=b;c\r\nX: y\r\n\r\n");
	/* Size: hex digits, at least one, at most 15. */
	BAD_CHUNKS("\r\nhello\r\n0\r\n\r\n");
	BAD_CHUNKS(";ext\r\n\r\n");
	BAD_CHUNKS("x\r\n");
	BAD_CHUNKS("-5\r\nhello\r\n");
	BAD_CHUNKS("0x5\r\nhello\r\n");
	BAD_CHUNKS(" 5\r\nhello\r\n");
	BAD_CHUNKS("5 \r\nhello\r\n");
	BAD_CHUNKS("5 ;a\r\nhello\r\n");
	BAD_CHUNKS("0000000000000000\r\n\r\n");
	BAD_CHUNKS("10000000000000000\r\n");
	BAD_CHUNKS("ffffffffffffffff\r\n");
	/* The CRLF after the size, the data and the trailers. */
	BAD_CHUNKS("5\nhello\r\n0\r\n\r\n");
	BAD_CHUNKS("5\rhello\r\n0\r\n\r\n");
	BAD_CHUNKS("5\r\nhelloX\r\n0\r\n\r\n");
	BAD_CHUNKS("5\r\nhello\n0\r\n\r\n");
	BAD_CHUNKS("5\r\nhello\r0\r\n\r\n");
	BAD_CHUNKS("5\r\nhello\r\r\n0\r\n\r\n");
	BAD_CHUNKS("5\r\nhell\r\n0\r\n\r\n");
	BAD_CHUNKS("0\r\n\n");
	BAD_CHUNKS("0\n\r\n");
	BAD_CHUNKS("0\r\nX: y\n\r\n");
	BAD_CHUNKS("0\r\nX: y\r\n\n");
	BAD_CHUNKS("0\r\nX: y\rz\r\n\r\n");
	BAD_CHUNKS("0\r\n\rX");
	/* NUL and LF in an extension or a trailer. */
	BAD_CHUNKS("5;a\0b\r\nhello\r\n0\r\n\r\n");
	BAD_CHUNKS("5;a\nb\r\nhello\r\n0\r\n\r\n");
	BAD_CHUNKS("0\r\nX: \0\r\n\r\n");

	/* Lines of 4096 bytes, their CRLF included, and no longer. */
	for (int trailer = 0; trailer < 2; trailer++) {
		for (size_t n = 4095; n <= 4097; n++) {
			line.n = 0;
			const char *start = trailer ? "0\r\n" : "1;";
			const char *end = trailer ? "\r\n\r\n" : "\r\nx\r\n0\r\n\r\n";
			add(&line, start, strlen(start));
			while (line.n < n - 2 + (trailer ? 3 : 0))
				ADD(&line, "a");
			add(&line, end, strlen(end));
			if (n <= 4096)
				expect_good_chunks((const char *)line.p, line.n);
			else
				expect_bad_chunks((const char *)line.p, line.n);
		}
	}
	free(line.p);
}

TEST(framer_bad_heads)
{
	struct buf b = { 0 };
	const struct rec want[] = { HEAD(NODE_GET, "GET", true) };
	static uint8_t big[GW_HTTP_HEAD_MAX + 100];

	/* A bad head after a good one ends the connection. */
	ADD(&b, NODE_GET);
	ADD(&b, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
	expect_frames(b.p, b.n, want, 1, -EPROTO, sizeof NODE_GET - 1);
	/* Leading empty lines are not skipped. */
	b.n = 0;
	ADD(&b, NODE_GET);
	ADD(&b, "\r\n");
	ADD(&b, NODE_GET);
	expect_frames(b.p, b.n, want, 1, -EPROTO, sizeof NODE_GET - 1);
	/* A head that never ends. */
	b.n = 0;
	ADD(&b, NODE_GET);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	add(&b, big, sizeof big);
	expect_frames(b.p, b.n, want, 1, -E2BIG, sizeof NODE_GET - 1);
	free(b.p);
}

TEST(framer_boundaries)
{
	struct gw_http_framer f;
	struct gw_http_event ev;
	static const char req[] = CURL_POST;
	size_t head = head_end(req, sizeof req - 1);

	/* The body ends exactly where the bytes do. */
	http1_framer_init(&f);
	ASSERT_EQ(0, http1_framer_feed(&f, S(req), &ev));
	ASSERT_EQ(GW_HTTP_EV_HEAD, ev.kind);
	ASSERT_EQ(head, ev.len);
	ASSERT_FALSE(ev.end);
	ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)req + head, 7, &ev));
	ASSERT_EQ(GW_HTTP_EV_BODY, ev.kind);
	ASSERT_EQ(7, ev.len);
	ASSERT_TRUE(ev.end);
	ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)req, 0, &ev));
	ASSERT_EQ(GW_HTTP_EV_NEED_MORE, ev.kind);
	/* Nothing yet of a body: more is needed, not an empty event. */
	http1_framer_init(&f);
	ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)req, head, &ev));
	ASSERT_EQ(GW_HTTP_EV_HEAD, ev.kind);
	ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)req + head, 0, &ev));
	ASSERT_EQ(GW_HTTP_EV_NEED_MORE, ev.kind);
	ASSERT_EQ(0, ev.len);
	/* A body event stops where its request ends. */
	ASSERT_EQ(0, http1_framer_feed(&f, S("a=1&b=2GET / HTTP/1.1\r\n"), &ev));
	ASSERT_EQ(GW_HTTP_EV_BODY, ev.kind);
	ASSERT_EQ(7, ev.len);
	ASSERT_TRUE(ev.end);
	/* Chunked, ending with the bytes. */
	http1_framer_init(&f);
	ASSERT_EQ(0, http1_framer_feed(&f, S(NODE_POST_CHUNKED), &ev));
	ASSERT_EQ(GW_HTTP_EV_HEAD, ev.kind);
	ASSERT_EQ(0, http1_framer_feed(&f, S("6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"), &ev));
	ASSERT_EQ(GW_HTTP_EV_BODY, ev.kind);
	ASSERT_EQ(26, ev.len);
	ASSERT_TRUE(ev.end);
}

TEST(framer_after_head)
{
	struct gw_http_framer f;
	struct gw_http_event ev;
	struct gw_http_head h;
	static const char post[] = CURL_POST, chunked[] = NODE_POST_CHUNKED, get[] = CURL_GET;
	size_t head;

	/* As proxy-front.c does: the head was parsed (and rewritten), the
	 * body comes next. */
	head = (size_t)parse(S(post), &h);
	http1_framer_init_after_head(&f, &h);
	ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)post + head, 7, &ev));
	ASSERT_EQ(GW_HTTP_EV_BODY, ev.kind);
	ASSERT_EQ(7, ev.len);
	ASSERT_TRUE(ev.end);
	ASSERT_EQ(0, http1_framer_feed(&f, S(get), &ev));
	ASSERT_EQ(GW_HTTP_EV_HEAD, ev.kind);

	head = (size_t)parse(S(chunked), &h);
	http1_framer_init_after_head(&f, &h);
	for (size_t i = head; i < sizeof chunked - 1; i++) {
		ASSERT_EQ(0, http1_framer_feed(&f, (const uint8_t *)chunked + i, 1, &ev));
		ASSERT_EQ(GW_HTTP_EV_BODY, ev.kind);
		ASSERT_EQ(1, ev.len);
		ASSERT_EQ(i == sizeof chunked - 2, ev.end);
	}

	/* Without a body, a head comes next. */
	parse(S(get), &h);
	http1_framer_init_after_head(&f, &h);
	ASSERT_EQ(0, http1_framer_feed(&f, S(get), &ev));
	ASSERT_EQ(GW_HTTP_EV_HEAD, ev.kind);
	ASSERT_EQ(sizeof get - 1, ev.len);
	ASSERT_TRUE(ev.end);
}

int main(void)
{
	RUN(captured_heads);
	RUN(every_prefix_needs_more);
	RUN(request_line);
	RUN(absolute_form);
	RUN(host_lengths);
	RUN(connect_form);
	RUN(host_header);
	RUN(field_syntax);
	RUN(body_length);
	RUN(transfer_encoding);
	RUN(proxy_authorization);
	RUN(upgrade);
	RUN(head_size);
	RUN(origin_head_captured);
	RUN(origin_head_rules);
	RUN(origin_head_refused);
	RUN(framer_pipeline);
	RUN(framer_git_push);
	RUN(framer_chunk_syntax);
	RUN(framer_bad_heads);
	RUN(framer_boundaries);
	RUN(framer_after_head);
	return tap_done();
}
