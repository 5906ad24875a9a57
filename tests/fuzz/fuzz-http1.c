/* fuzz-http1.c: fuzz target for http1.c, which reads the requests a
 * sandboxed client sends to the HTTP proxy and through plain HTTP relays.
 *
 * Besides "no crash, no read past the end, no leak", it checks:
 *   - http1_parse_head() returns 0, -EPROTO, -E2BIG or a head length
 *     <= len and <= GW_HTTP_HEAD_MAX, with every offset and length inside
 *     the head, strings terminated, and the promised invariants (a port
 *     for absolute and authority forms, Host in HTTP/1.1, never both
 *     chunked and a length, chunked and upgrades only in HTTP/1.1);
 *   - an answer once given does not change with more bytes (prefixes and
 *     appended bytes);
 *   - the origin-form rewrite of an absolute-form head parses again as an
 *     origin-form head with the same method, version, framing and the
 *     target's host as Host, without proxy headers, and needs exactly its
 *     length of buffer;
 *   - the framer gives the same events (kind, length, end, heads) for the
 *     input whole, byte by byte and in random pieces; its heads are what
 *     http1_parse_head() says; framing after the first head with
 *     http1_framer_init_after_head() gives the same events as going on.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE runs the files named on the
 * command line, then `--iterations N` deterministic mutations of the
 * captured requests in tests/unit/http-heads.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz-report.h"
#include "http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *dup_exact(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uint8_t *copy = malloc(an + bn ? an + bn : 1);

	if (!copy)
		abort();
	memcpy(copy, a, an);
	if (bn)
		memcpy(copy + an, b, bn);
	return copy;
}

static int parse2(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, struct gw_http_head *h)
{
	uint8_t *copy = dup_exact(a, an, b, bn);
	int r = http1_parse_head(copy, an + bn, h);

	free(copy);
	return r;
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* A parsed head, against the bytes it came from. */
static void check_head(const uint8_t *p, size_t n, int r, const struct gw_http_head *h)
{
	if (r == 0 || r == -EPROTO || r == -E2BIG)
		return;
	if (r < 0)
		fail("undocumented error", n);
	size_t hl = (size_t)r;
	if (hl > n || hl > GW_HTTP_HEAD_MAX || h->head_len != hl)
		fail("head length", n);
	if (hl < 4 || memcmp(p + hl - 4, "\r\n\r\n", 4) != 0)
		fail("head does not end with an empty line", n);
	if (h->line_end < 14 || h->line_end > hl - 2 || memcmp(p + h->line_end - 2, "\r\n", 2) != 0)
		fail("request line end", n);
	if (!terminated(h->method, sizeof h->method) || !h->method[0] ||
	    memcmp(p, h->method, strlen(h->method)) != 0)
		fail("method", n);
	if (!terminated(h->host, sizeof h->host) || !terminated(h->host_header, sizeof h->host_header))
		fail("host or Host not terminated", n);
	if (h->minor != 0 && h->minor != 1)
		fail("minor version", n);
	if (h->minor == 1 && !h->host_header[0])
		fail("HTTP/1.1 without Host", n);
	if (h->chunked && (h->has_length || h->minor == 0))
		fail("chunked with a length, or in HTTP/1.0", n);
	if (!h->has_length && h->content_length)
		fail("a length without has_length", n);
	if (h->upgrade && h->minor != 1)
		fail("an upgrade outside HTTP/1.1", n);
	if (h->proxy_auth_len && (h->proxy_auth_off < h->line_end ||
				  h->proxy_auth_off + h->proxy_auth_len > hl - 4))
		fail("Proxy-Authorization outside the fields", n);
	switch (h->target_kind) {
	case GW_HTTP_TARGET_ABSOLUTE:
		if (h->path_off + h->path_len > h->line_end - 11 || h->path_off < 8)
			fail("path outside the target", n);
		/* fall through */
	case GW_HTTP_TARGET_AUTHORITY:
		if (!h->host[0] || h->port == 0 || strlen(h->host) > GW_HTTP_HOST_MAX + 2)
			fail("host or port", n);
		if (strpbrk(h->host, "@/?#%, \t"))
			fail("odd host", n);
		break;
	case GW_HTTP_TARGET_ORIGIN:
	case GW_HTTP_TARGET_ASTERISK:
		break;
	default:
		fail("target kind", n);
	}
	if (strpbrk(h->host_header, "@/?#%, \t"))
		fail("odd Host", n);
}

/* Does the head out[0..n) hold a field of this name? */
static bool has_field(const uint8_t *out, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 3 <= n; i++)
		if (out[i] == '\n' && strncasecmp((const char *)out + i + 1, name, nl) == 0 &&
		    out[i + 1 + nl] == ':')
			return true;
	return false;
}

/* The rewrite of an absolute-form head p[0..n) (parsed as h). */
static void check_origin(const uint8_t *p, size_t n, const struct gw_http_head *h)
{
	static uint8_t out[2 * GW_HTTP_HEAD_MAX];
	struct gw_http_head o;
	char want_host[GW_HTTP_HOST_MAX + 9];
	int len = http1_build_origin_head(p, n, h, out, sizeof out);

	if (len <= 0)
		fail("absolute head not rewritten", n);
	if (http1_build_origin_head(p, n, h, out, (size_t)len - 1) != -ENOBUFS ||
	    http1_build_origin_head(p, n, h, out, (size_t)len) != len)
		fail("rewrite buffer size", n);
	if (len > GW_HTTP_HEAD_MAX)
		return; /* too long to parse again (the proxy answers 431) */
	uint8_t *copy = dup_exact(out, (size_t)len, NULL, 0);
	int r = http1_parse_head(copy, (size_t)len, &o);
	free(copy);
	if (r != len)
		fail("rewritten head does not parse", n);
	if (o.target_kind != GW_HTTP_TARGET_ORIGIN || strcmp(o.method, h->method) != 0 ||
	    o.minor != h->minor)
		fail("rewritten request line", n);
	if (o.chunked != h->chunked || o.has_length != h->has_length ||
	    o.content_length != h->content_length)
		fail("rewritten framing", n);
	snprintf(want_host, sizeof want_host, h->port == 80 ? "%s" : "%s:%u", h->host,
		 (unsigned)h->port);
	if (strcmp(o.host_header, want_host) != 0)
		fail("rewritten Host is not the target's", n);
	if (o.proxy_auth_len || has_field(out, (size_t)len, "proxy-connection") ||
	    has_field(out, (size_t)len, "keep-alive"))
		fail("proxy or hop-by-hop field forwarded", n);
	if (memcmp(out + len - 21, "Connection: close\r\n\r\n", 21) != 0)
		fail("no Connection: close", n);
}

/* ---- framing ---- */

struct rec {
	enum gw_http_ev_kind kind;
	size_t len;
	bool end;
	struct gw_http_head head;
};

#define MAX_EVENTS 256

struct run {
	struct rec ev[MAX_EVENTS];
	size_t n, consumed;
	int r;
};

/* Split modes: 0 whole, 1 byte by byte, 2 and 3 random pieces.  Each
 * NEED_MORE parses the head again, so inputs over 512 bytes come in
 * pieces of at least size / 64 (a 16 KiB head byte by byte would take a
 * second under ASan). */
#define SPLITS 4

static size_t piece(int split, size_t size, uint64_t *st, size_t left)
{
	size_t n, scale = size > 512 ? size / 64 : 1;

	if (split == 0)
		return left;
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	if (split == 1)
		n = scale;
	else
		n = 1 + (size_t)(*st >> 33) % (split == 2 ? 9 * scale : 700);
	return n < left ? n : left;
}

/* Frame in[0..len) as the relay does (pieces arrive; the framer sees all
 * from its position to what has come), merging the BODY events of one
 * request.  in_body: f was positioned after a head. */
static void frame_run(struct gw_http_framer *f, const uint8_t *in, size_t len, int split,
		      uint64_t seed, bool in_body, struct run *o)
{
	size_t avail = 0;

	o->n = o->consumed = 0;
	o->r = 0;
	for (;;) {
		struct gw_http_event ev;
		if (o->consumed == avail) {
			if (avail == len)
				return;
			avail += piece(split, len, &seed, len - avail);
		}
		uint8_t *copy = dup_exact(in + o->consumed, avail - o->consumed, NULL, 0);
		o->r = http1_framer_feed(f, copy, avail - o->consumed, &ev);
		if (o->r == 0 && ev.kind == GW_HTTP_EV_HEAD) {
			struct gw_http_head h;
			int r = http1_parse_head(copy, avail - o->consumed, &h);
			check_head(copy, avail - o->consumed, r, &h);
			if (r != (int)ev.len || memcmp(&h, &ev.head, sizeof h) != 0)
				fail("framer head is not the parser's", o->consumed);
		}
		free(copy);
		if (o->r < 0) {
			if (o->r != -EPROTO && o->r != -E2BIG)
				fail("framer: undocumented error", o->consumed);
			return;
		}
		if (ev.kind == GW_HTTP_EV_NEED_MORE) {
			if (ev.len)
				fail("NEED_MORE with a length", o->consumed);
			if (avail == len)
				return;
			avail += piece(split, len, &seed, len - avail);
			continue;
		}
		if (ev.len == 0 || ev.len > avail - o->consumed)
			fail("event length", o->consumed);
		o->consumed += ev.len;
		struct rec *last = o->n ? &o->ev[o->n - 1] : NULL;
		if (ev.kind == GW_HTTP_EV_BODY && last && last->kind == GW_HTTP_EV_BODY && !last->end) {
			last->len += ev.len;
			last->end = ev.end;
			continue;
		}
		if (ev.kind == GW_HTTP_EV_BODY && (last ? last->end : !in_body))
			fail("body without a head", o->consumed);
		if (ev.kind == GW_HTTP_EV_HEAD && last && !last->end)
			fail("head inside a request", o->consumed);
		if (ev.kind == GW_HTTP_EV_HEAD && ev.end == http1_has_body(&ev.head))
			fail("head's end flag", o->consumed);
		if (o->n == MAX_EVENTS)
			return; /* enough: the rest is compared by consumption */
		o->ev[o->n++] = (struct rec){ ev.kind, ev.len, ev.end, ev.head };
	}
}

/* (Field by field: a struct's padding is not compared.) */
static bool same_events(const struct rec *a, const struct rec *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].kind != b[i].kind || a[i].len != b[i].len || a[i].end != b[i].end ||
		    memcmp(&a[i].head, &b[i].head, sizeof a[i].head) != 0)
			return false;
	return true;
}

/* Events before an error are not reported by the feed that fails, so
 * with an error the body of the request it ended is not compared. */
static size_t decided(const struct run *o)
{
	if (o->r < 0 && o->n && o->ev[o->n - 1].kind == GW_HTTP_EV_BODY)
		return o->n - 1;
	return o->n;
}

static bool same_run(const struct run *a, const struct run *b)
{
	if (a->r < 0)
		return b->r == a->r && decided(a) == decided(b) &&
		       same_events(a->ev, b->ev, decided(a));
	return a->n == b->n && a->r == b->r && a->consumed == b->consumed &&
	       same_events(a->ev, b->ev, a->n);
}

static void check_framer(const uint8_t *data, size_t size)
{
	static struct run first, other;
	struct gw_http_framer f;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ull;
	for (int split = 0; split < SPLITS; split++) {
		http1_framer_init(&f);
		frame_run(&f, data, size, split, seed + (uint64_t)split, false,
			  split ? &other : &first);
		if (split && !same_run(&first, &other))
			fail("framer events depend on the split", (size_t)split);
	}
	/* As the forwarding proxy does: the first head parsed, then the
	 * framer positioned after it. */
	if (first.n && first.n < MAX_EVENTS && first.ev[0].kind == GW_HTTP_EV_HEAD) {
		size_t hl = first.ev[0].len;
		http1_framer_init_after_head(&f, &first.ev[0].head);
		frame_run(&f, data + hl, size - hl, 0, seed, true, &other);
		if (other.r != first.r || decided(&other) + 1 != decided(&first) ||
		    !same_events(other.ev, first.ev + 1, decided(&other)) ||
		    (first.r == 0 && other.consumed + hl != first.consumed))
			fail("framing after the head differs", hl);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t tail[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n\n\0";
	struct gw_http_head h, o;
	fz_cur(data, size);
	int r = parse2(data, size, NULL, 0, &h);

	check_head(data, size, r, &h);
	/* More bytes do not change an answer. */
	if (r != 0) {
		int r2 = parse2(data, size, tail, sizeof tail, &o);
		if (r2 != r || (r > 0 && memcmp(&h, &o, sizeof h) != 0))
			fail("another answer with bytes appended", size);
	}
	/* Neither do fewer, unless they ask for more. */
	for (size_t cut = size / 3; cut < size; cut += size / 3 + 1) {
		int r2 = parse2(data, cut, NULL, 0, &o);
		if (r2 != 0 && (r2 != r || (r > 0 && memcmp(&h, &o, sizeof h) != 0)))
			fail("a prefix answered otherwise", cut);
	}
	if (r > 0 && h.target_kind == GW_HTTP_TARGET_ABSOLUTE)
		check_origin(data, size, &h);
	check_framer(data, size);
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

#include "../unit/http-heads.h"

#define SEED(s) { s, sizeof s - 1 }
static const struct {
	const char *bytes;
	size_t len;
} seeds[] = {
	SEED(CURL_GET), SEED(CURL_AUTH), SEED(CURL_POST), SEED(CURL_HTTP10), SEED(CURL_V6),
	SEED(CURL_CONNECT), SEED(CURL_CONNECT_V6), SEED(URLLIB_GET), SEED(NODE_POST_CHUNKED),
	SEED(NODE_GET), SEED(GIT_INFO_REFS), SEED(GIT_PROBE),
	SEED(GIT_POST_CHUNKED "A;x=y\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"),
	SEED(NODE_GET GIT_PROBE GIT_POST_CHUNKED "1\r\na\r\n0\r\n\r\n" CURL_GET),
	SEED("OPTIONS * HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n"),
	SEED("GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
	SEED("GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n"),
};

/* Tokens for standalone.h's text mutator: the places where parsers
 * disagree. */
static const char *const dict[] = {
	"\r\n", "\r\n\r\n", "\r", "\n", " ", "\t", ":", ";", ",", "@", "[::1]", "http://",
	"https://", "Host: ", "host:", "Content-Length: ", "Content-Length: 0\r\n",
	"Transfer-Encoding: chunked\r\n", "Transfer-Encoding: ", "chunked", "gzip, ",
	"Connection: ", "Proxy-Connection: ", "Keep-Alive: ", "Proxy-Authorization: Basic x\r\n",
	"HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "CONNECT ", "GET ", "POST ", "OPTIONS * ",
	"0\r\n\r\n", "5\r\nhello\r\n", "ffffffffffffffff", ":65535", ":65536", ":0", "/",
	"?", "#", "%", "\x7f", "\x80", "Upgrade: websocket\r\n", "Connection: upgrade\r\n",
	"websocket", "upgrade, ",
};

#include "standalone.h"

#define INPUT_MAX 40000

/* Bytes that end, fold or poison lines, and digits and hex. */
static const uint8_t interesting[] = { '\0', '\r', '\n', ' ', '\t', ':', ';', '0', '1', '9', 'a',
				       'f', 'F', 'x', 0x7f, 0x80, 0xff };

/* A binary-safe edit, or a long run towards the size limits. */
static void mutate_binary(struct input *in)
{
	if (rnd(4)) {
		fz_mutate_binary(in, interesting, sizeof interesting, INPUT_MAX);
		return;
	}
	size_t n = rnd(8) ? 1 + rnd(64) : 4000 + rnd(14000);
	if (in->len + n >= INPUT_MAX)
		return;
	char *run = xmalloc(n);
	memset(run, "a0 \t"[rnd(4)], n);
	insert(in, rnd(in->len + 1), run, n);
	free(run);
}

/* A seed, one time in four followed by another (pipelined). */
static struct input pick(void)
{
	const size_t n_seeds = sizeof seeds / sizeof seeds[0];
	size_t k = rnd(n_seeds);
	struct input in = fz_input(seeds[k].bytes, seeds[k].len);
	if (rnd(4) == 0) {
		size_t k2 = rnd(n_seeds);
		insert(&in, in.len, seeds[k2].bytes, seeds[k2].len);
	}
	return in;
}

int main(int argc, char **argv)
{
	long iterations;
	int files;
	if (fz_args(argc, argv, &iterations, &files) < 0)
		return 1;
	fz_mutations(iterations, pick, mutate_binary, 2, 4, INPUT_MAX, 16);
	return 0;
}

#endif
