/* fuzz-sniff.c: fuzz target for sniff.c, which reads the first bytes a
 * sandboxed client sends through the proxy (its TLS ClientHello).
 *
 * Besides "no crash, no read past the end, no leak", it checks:
 *   - only the documented results come back;
 *   - a name found is 1..255 bytes without a NUL, and the input starts
 *     like TLS;
 *   - an answer once given does not change with more bytes: the result
 *     (and name) is the same with bytes appended, and every prefix that
 *     does not ask for more gives it too;
 *   - sniff_looks_tls() never goes from "no" to "yes" with more bytes.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE runs the files named on the
 * command line, then `--iterations N` deterministic mutations of the
 * captured hellos in tests/unit/tls-hellos.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-report.h"
#include "http1.h"
#include "sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int r;
	char name[GW_SNIFF_NAME_MAX + 1];
};

/* sniff_tls_sni() on an exact-size copy of a[0..an) followed by
 * b[0..bn). */
static void sniff2(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, struct result *o)
{
	uint8_t *copy = malloc(an + bn ? an + bn : 1);

	if (!copy)
		abort();
	memcpy(copy, a, an);
	if (bn)
		memcpy(copy + an, b, bn);
	memset(o->name, 0x5a, sizeof o->name);
	o->r = sniff_tls_sni(copy, an + bn, o->name, sizeof o->name);
	free(copy);
}

static void check_result(const uint8_t *p, size_t n, const struct result *o)
{
	switch (o->r) {
	case 1: {
		size_t l = strnlen(o->name, sizeof o->name);
		if (l == 0 || l > GW_SNIFF_NAME_MAX)
			fail("name empty, too long or not terminated", n);
		if (!sniff_looks_tls(p, n))
			fail("a name in what does not look like TLS", n);
		break;
	}
	case 0:
	case -ENOENT:
	case -EPROTO:
	case -E2BIG:
		break;
	default:
		fail("undocumented result", n);
	}
}

static bool same(const struct result *a, const struct result *b)
{
	return a->r == b->r && (a->r != 1 || strcmp(a->name, b->name) == 0);
}

/* sniff_looks_http(): a decision on a prefix is the decision on the
 * whole, and "not known yet" never covers a complete request head (the
 * proxy sends such bytes ahead before judging them). */
static void check_first_bytes(const uint8_t *data, size_t size)
{
	size_t n = size < 512 ? size : 512;
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		abort();
	memcpy(copy, data, n);
	int whole = sniff_looks_http(copy, n, GW_SNIFF_MAX);
	struct gw_http_head h;
	if (whole == 0 && http1_parse_head(copy, n, &h) > 0)
		fail("a complete request head judged 'not known yet'", n);
	for (size_t cut = 0; cut < n; cut++) {
		int r = sniff_looks_http(copy, cut, GW_SNIFF_MAX);
		if (r != 0 && r != whole)
			fail("sniff_looks_http changed its decision with more bytes", cut);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* What may follow a hello: ChangeCipherSpec, early data, garbage. */
	static const uint8_t tail[] = { 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 2, 0xab, 0xcd, 0x16, 0x03 };
	struct result whole, other;
	uint64_t h = 14695981039346656037ull;

	fz_cur(data, size);
	check_first_bytes(data, size);
	sniff2(data, size, NULL, 0, &whole);
	check_result(data, size, &whole);

	for (size_t n = 2; n <= size && n <= 5; n++)
		if (sniff_looks_tls(data, n) && !sniff_looks_tls(data, n - 1))
			fail("sniff_looks_tls went from no to yes", n);

	if (whole.r != 0) {
		sniff2(data, size, tail, sizeof tail, &other);
		if (!same(&whole, &other))
			fail("another answer with bytes appended", size);
		sniff2(data, size, data, size < 64 ? size : 64, &other);
		if (!same(&whole, &other))
			fail("another answer with the input appended", size);
	}

	/* Prefixes: a few, chosen from the input, and the last few bytes. */
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	size_t cuts[] = { (size_t)(h % (size + 1)), (size_t)((h >> 20) % (size + 1)), size / 2,
			  size > 0 ? size - 1 : 0, size > 5 ? size - 5 : 0, 5, 9 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		if (cuts[i] >= size)
			continue;
		sniff2(data, cuts[i], NULL, 0, &other);
		check_result(data, cuts[i], &other);
		if (other.r != 0 && !same(&whole, &other))
			fail("a prefix answered otherwise", cuts[i]);
	}
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

#include "../unit/tls-hellos.h"

/* Tokens for standalone.h's text mutator (no NULs). */
static const char *const dict[] = {
	"\x16\x03\x01", "\x16\x03\x03", "\x01\x01", "\xff\xff", "\x16", "\x03",
	"\x0a", "\x14\x03\x03\x01\x01", "example.com",
};

#include "standalone.h"

#define INPUT_MAX (GW_SNIFF_MAX + 1024)

static const uint8_t interesting[] = { 0, 1, 2, 3, 4, 5, 0x16, 0x20, 0x3f, 0x40, 0x7f, 0x80,
				       0xfe, 0xff };

static void mutate_binary(struct input *in)
{
	fz_mutate_binary(in, interesting, sizeof interesting, INPUT_MAX);
}

/* A hello's handshake message hs[0..n) framed again: its lengths made
 * right (so the mutations reach the extensions), cut into 1..3 records
 * (records of at most 16000 bytes when it is longer). */
static void reframe(struct input *in, const char *hs, size_t n)
{
	size_t cuts[8], n_cuts = 0, from = 0;

	if (n > 16384) {
		for (size_t c = 16000; c < n && n_cuts < 8; c += 16000)
			cuts[n_cuts++] = c;
	} else {
		n_cuts = rnd(3);
		for (size_t i = 0; i < n_cuts; i++)
			cuts[i] = n ? rnd(n) : 0;
		if (n_cuts == 2 && cuts[0] > cuts[1]) {
			size_t t = cuts[0];
			cuts[0] = cuts[1];
			cuts[1] = t;
		}
	}
	in->len = 0;
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : n;
		char hdr[5] = { 22, 3, 1, (char)((to - from) >> 8), (char)(to - from) };
		insert(in, in->len, hdr, 5);
		insert(in, in->len, hs + from, to - from);
		from = to;
	}
}

/* Make the handshake length, and the extension block's when the fields
 * before it can be read, say what follows them. */
static void fix_lengths(struct input *hs)
{
	const uint8_t *p = (const uint8_t *)hs->buf;
	size_t n = hs->len, at = 4 + 2 + 32;

	if (n < 4)
		return;
	hs->buf[1] = (char)((n - 4) >> 16);
	hs->buf[2] = (char)((n - 4) >> 8);
	hs->buf[3] = (char)(n - 4);
	if (at >= n)
		return;
	at += 1 + p[at];                                     /* session id */
	if (at + 2 > n)
		return;
	at += 2 + ((size_t)p[at] << 8 | p[at + 1]);          /* cipher suites */
	if (at >= n)
		return;
	at += 1 + p[at];                                     /* compression */
	if (at + 2 > n)
		return;
	hs->buf[at] = (char)((n - at - 2) >> 8);
	hs->buf[at + 1] = (char)(n - at - 2);
}

/* Mutate the handshake message of a one-record hello, then frame it. */
static void mutate_hello(struct input *in, const struct tls_hello *t)
{
	struct input hs = { xmalloc(t->len), t->len - 5 };
	long rounds = 1 + (long)rnd(3);

	memcpy(hs.buf, t->bytes + 5, hs.len);
	while (rounds-- > 0 && hs.len < INPUT_MAX)
		mutate_binary(&hs);
	if (rnd(16) == 0) {
		/* A padding extension (RFC 7685) that takes the hello near
		 * GW_SNIFF_MAX, or far beyond. */
		size_t n = rnd(2) && hs.len < GW_SNIFF_MAX - 64 ? GW_SNIFF_MAX - hs.len - rnd(48)
								: 4 + rnd(30000);
		char *pad = xmalloc(n);
		memset(pad, 0, n);
		pad[1] = 21;
		pad[2] = (char)((n - 4) >> 8);
		pad[3] = (char)(n - 4);
		insert(&hs, hs.len, pad, n);
		free(pad);
	}
	if (rnd(4))
		fix_lengths(&hs);
	reframe(in, hs.buf, hs.len);
	free(hs.buf);
}

#include "../unit/http-heads.h"

/* Requests too, for sniff_looks_http(). */
static const char *const http_seeds[] = { CURL_GET, URLLIB_GET, NODE_GET, CURL_CONNECT, CURL_POST };

int main(int argc, char **argv)
{
	long iterations;
	int files;
	if (fz_args(argc, argv, &iterations, &files) < 0)
		return 1;
	const size_t n_seeds = sizeof tls_hellos / sizeof tls_hellos[0];
	for (long i = 0; i < iterations; i++) {
		const struct tls_hello *t = &tls_hellos[rnd(n_seeds)];
		const char *req = rnd(4) == 0 ? http_seeds[rnd(sizeof http_seeds / sizeof http_seeds[0])] : NULL;
		size_t len = req ? strlen(req) : t->len;
		struct input cur = { xmalloc(len + 1), len };
		memcpy(cur.buf, req ? (const void *)req : (const void *)t->bytes, len);
		if (rnd(2) && !req) {
			mutate_hello(&cur, t);
		} else {
			long rounds = 1 + (long)rnd(4);
			while (rounds-- > 0 && cur.len < INPUT_MAX) {
				if (rnd(4) == 0)
					mutate_once(&cur, dict, sizeof dict / sizeof dict[0], 8);
				else
					mutate_binary(&cur);
			}
		}
		run_input(cur.buf, cur.len);
		free(cur.buf);
	}
	printf("%ld iterations\n", iterations);
	return 0;
}

#endif
