/* fuzz-dnsmsg.c: fuzz target for dnsmsg.c, which reads DNS queries that
 * the sandboxed command sends, and for the fake-IP pool those names feed.
 *
 * Besides "no crash, no out-of-bounds read, no leak", it checks
 * properties:
 *   - only the documented errors come back, -ENOMSG exactly for a short
 *     message or QR=1;
 *   - a parsed question is the input's bytes after the header, and its
 *     dotted text encodes back to the same wire name;
 *   - every answer built from a parsed query (A, NODATA and each error
 *     rcode) reads back, with the independent tests/unit/dnsresp.h, as a
 *     response with the same ID, opcode, RD, rcode and question, and an
 *     OPT exactly when the query had one;
 *   - a name the plan accepts is the lower-cased QNAME, and the pool maps
 *     it to an address that maps back to it;
 *   - the TCP reassembler, fed the input as a stream in two pieces, yields
 *     frames that cover the stream exactly.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE runs the files named on the
 * command line, then `--iterations N` deterministic mutations of seeds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/dnsresp.h"
#include "dnsmsg.h"
#include "fakeip.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parsed queries; those whose name the plan took (IN class, a host name);
 * those that reached the pool (n_pooled is also the pool's clock). */
static unsigned long n_parsed, n_named, n_pooled;

static void fail(const char *what)
{
	fprintf(stderr, "property violated: %s\n", what);
	abort();
}

/* The dotted text back to wire labels; compare with the question. */
static void check_qname(const struct gw_dns_query *q)
{
	uint8_t wire[GW_DNS_NAME_WIRE_MAX + 1];
	size_t at = 0;
	const char *s = q->qname;
	while (*s) {
		size_t l = strcspn(s, ".");
		wire[at++] = (uint8_t)l;
		memcpy(wire + at, s, l);
		at += l;
		s += l + (s[l] == '.');
	}
	wire[at++] = 0;
	if (at + 4 != q->question_len || memcmp(wire, q->question, at) != 0)
		fail("qname text does not encode back to the question");
}

/* An answer to q with `rcode` reads back as such. */
static void check_answer(const struct gw_dns_query *q, const uint8_t *out, int n, unsigned rcode,
			 bool with_a)
{
	struct dnsresp r;
	if (n < 0 || n > GW_DNS_ANSWER_MAX)
		fail("answer not built");
	if (!dnsresp_parse(out, (size_t)n, &r))
		fail("answer does not parse back");
	if (r.id != q->id || ((r.flags >> 11) & 0xf) != q->opcode)
		fail("answer id or opcode");
	if (!!(r.flags & 0x0100) != q->rd || !!(r.flags & 0x0010) != q->cd)
		fail("answer RD or CD");
	if (dnsresp_rcode(&r) != rcode || r.has_a != with_a || r.has_opt != q->edns)
		fail("answer rcode, record or OPT");
	if (r.question_len != q->question_len ||
	    (r.question_len && memcmp(r.question, q->question, r.question_len) != 0))
		fail("answer question");
}

static void check_answers(const struct gw_dns_query *q, uint32_t seed)
{
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct in_addr ip = { htonl(GW_FAKEIP_NET | (seed & 0x1ffff)) };
	int n = dnsmsg_answer_a(q, ip, seed, out, sizeof out);
	check_answer(q, out, n, GW_DNS_NOERROR, true);
	if (memcmp(out + n - 4 - (q->edns ? 11 : 0), &ip.s_addr, 4) != 0)
		fail("answer address");
	for (unsigned rc = 0; rc <= GW_DNS_REFUSED; rc++) {
		n = dnsmsg_answer_empty(q, rc, out, sizeof out);
		check_answer(q, out, n, rc, false);
	}
}

static struct gw_fakeip *pool;

static void check_plan(const struct gw_dns_query *q)
{
	/* Built by hand: "*.com" is too broad for domain_pattern_parse(),
	 * but lets most mutants reach the pool. */
	static const struct gw_domain_pattern allow[] = {
		{ .base = "com", .wildcard = true, .port = 0 }, { .base = "org", .wildcard = true, .port = 443 }, { .base = "example.com", .wildcard = false, .port = 0 }, { .base = "a", .wildcard = false, .port = 443 },
	};
	static const struct gw_domain_pattern deny[] = { { .base = "bad.example.com", .wildcard = false, .port = 0 } };
	static const struct gw_domain_policy policy = { allow, deny, 4, 1 };
	char name[GW_DOMAIN_MAX + 1], lower[GW_DNS_NAME_TEXT_MAX + 1];
	enum gw_dns_plan plan = dnsmsg_plan(q, &policy, name);
	if (plan == GW_DNS_PLAN_REFUSED) {
		if (name[0])
			fail("refused plan with a name");
		return;
	}
	n_named++;
	size_t i = 0;
	for (; q->qname[i]; i++)
		lower[i] = (char)tolower((unsigned char)q->qname[i]);
	lower[i] = '\0';
	if (strcmp(lower, name) != 0)
		fail("planned name is not the lower-cased qname");
	if (plan == GW_DNS_PLAN_NXDOMAIN)
		return;
	if (!pool) {
		pool = xmalloc(sizeof *pool);
		if (fakeip_init(pool, 8) < 0)
			fail("fakeip_init");
		pool->min_idle = 0;  /* churn through evictions */
	}
	struct in_addr ip;
	n_pooled++;
	if (fakeip_lookup_name(pool, name, n_pooled, &ip) < 0)
		fail("pool lookup");
	const char *back = fakeip_lookup_ip(pool, ip, n_pooled);
	if (!back || strcmp(back, name) != 0)
		fail("pool maps the address back to another name");
}

static void check_parse(const uint8_t *data, size_t size)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	int ret = dnsmsg_parse_query(data, size, &q);
	bool drop = size < GW_DNS_HEADER_LEN || (data[2] & 0x80);
	if ((ret == -ENOMSG) != drop)
		fail("-ENOMSG exactly for short messages and responses");
	if (ret != 0 && ret != -ENOMSG && ret != -EBADMSG && ret != -EOPNOTSUPP &&
	    ret != -EPROTONOSUPPORT && ret != -EILSEQ)
		fail("undocumented error");
	if (q.question_len && memcmp(q.question, data + GW_DNS_HEADER_LEN, q.question_len) != 0)
		fail("question is not the input's");
	if ((ret == -EILSEQ || ret == -EPROTONOSUPPORT || ret == 0) && !q.question_len)
		fail("no question after a complete parse");
	if (ret == 0) {
		n_parsed++;
		check_qname(&q);
		check_answers(&q, (uint32_t)size * 2654435761u);
		check_plan(&q);
	} else if (dnsmsg_error_rcode(ret) >= 0) {
		unsigned rc = (unsigned)dnsmsg_error_rcode(ret);
		check_answer(&q, out, dnsmsg_answer_empty(&q, rc, out, sizeof out), rc, false);
	}
}

/* The input as a TCP stream, fed in two pieces. */
static void check_tcp(const uint8_t *data, size_t size)
{
	static struct gw_dns_tcp *t;
	size_t cut = size ? data[0] % (size + 1) : 0, pos = 0, covered = 0;
	if (!t)
		t = xmalloc(sizeof *t);
	dnsmsg_tcp_init(t);
	for (int piece = 0; piece < 2; piece++) {
		size_t end = piece ? size : cut;
		while (pos < end) {
			pos += dnsmsg_tcp_feed(t, data + pos, end - pos);
			const uint8_t *m;
			size_t l;
			while (dnsmsg_tcp_next(t, &m, &l)) {
				if ((size_t)(data[covered] << 8 | data[covered + 1]) != l ||
				    memcmp(m, data + covered + 2, l) != 0)
					fail("tcp frame differs from the stream");
				covered += 2 + l;
			}
		}
	}
	if (covered + t->len != size)
		fail("tcp frames do not cover the stream");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_tcp(data, size);
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

/* Queries from dig 9.18 and glibc 2.36 (see tests/unit/test-dnsmsg.c),
 * and a few edge shapes: the root, a 63-byte label, a compression
 * pointer, EDNS version 1, CH class, a label with a dot. */
static const char *const seeds_hex[] = {
	"4b8801200001000000000001076578616d706c6503636f6d000001000100002904d000000000000c000a"
	"00085668771074bf604a",
	"8f5f01200001000000000000076578616d706c6503636f6d00001c0001",
	"e5fc01200001000000000001074578616d706c6503434f4d000001000100002904d0000000000000",
	"29d701000001000000000000076578616d706c6503636f6d0000010001",
	"eb9301000001000000000001076578616d706c6503636f6d00001c000100002904b0000000000000",
	"002c7bdd0120000100000000000103777777076578616d706c65036f7267000001000100002904d000"
	"0000000000",
	"1234010000010000000000000000020001",
	"1234010000010000000000003f6161616161616161616161616161616161616161616161616161616161616161"
	"6161616161616161616161616161616161616161616161616161616161616103636f6d0000010001",
	"12340100000100000000000003777777c00c00010001",
	"12340100000100000000000103626164076578616d706c6503636f6d000001000100002904d0000100"
	"000000",
	"1234010000010000000000000776657273696f6e0462696e640000100003",
	"12340100000100000000000003612e6203636f6d0000010001",
	"12342800000100000000000001610000010001",
};

/* Wire fragments the mutator inserts (no NUL: the shared mutator works on
 * strings; zero bytes come from the byte edits below). */
static const char *const dict[] = {
	"\xc0\x0c", "\xc0", "\x3f", "\x40", "\x80", "\x01", "\x29", "\x1c", "\xff\xff",
	"\x07" "example\x03" "com", "\x01" "a", "\x03" "www", ".", "\x7f", "\x04\xd0",
};

#include "standalone.h"

static struct input from_hex(const char *hex)
{
	struct input in = { xmalloc(strlen(hex) / 2 + 1), 0 };
	for (const char *h = hex; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		in.buf[in.len++] = (char)v;
	}
	return in;
}

/* Binary edits the string mutator cannot make: zero bytes, the header's
 * counts and flags, a whole byte range moved. */
static void mutate_bytes(struct input *in)
{
	static const uint8_t interesting[] = { 0, 1, 2, 0x3f, 0x40, 0x80, 0xc0, 0xff, 0x29 };
	if (!in->len)
		return;
	size_t at = rnd(in->len);
	switch (rnd(4)) {
	case 0:
		in->buf[at] = (char)interesting[rnd(sizeof interesting)];
		break;
	case 1:
		in->buf[at] ^= (char)(1u << rnd(8));
		break;
	case 2:
		in->len = at;  /* truncate */
		break;
	default:
		if (in->len >= GW_DNS_HEADER_LEN)
			in->buf[4 + rnd(8)] = (char)rnd(3);  /* a count */
		break;
	}
}

#define POOL_MAX 64
#define INPUT_MAX 1024

int main(int argc, char **argv)
{
	long iterations;
	int files;
	int failed = fz_args(argc, argv, &iterations, &files) < 0;
	const size_t n_seeds = sizeof seeds_hex / sizeof seeds_hex[0];
	struct input pool_in[POOL_MAX];
	size_t n = 0;
	for (; n < n_seeds; n++) {
		pool_in[n] = from_hex(seeds_hex[n]);
		run_input(pool_in[n].buf, pool_in[n].len);
	}
	/* Keep mutants whose name the plan still takes, so later ones start
	 * from valid queries and reach the answer and pool checks (keeping
	 * every parse fills the pool with root-name queries, the shape that
	 * survives mutation best). */
	for (long i = 0; i < iterations; i++) {
		const struct input *parent = &pool_in[rnd(n)];
		struct input cur = { xmalloc(parent->len + 1), parent->len };
		memcpy(cur.buf, parent->buf, parent->len);
		for (uint64_t k = 1 + rnd(4); k > 0; k--) {
			if (rnd(2))
				mutate_once(&cur, dict, sizeof dict / sizeof dict[0], 8);
			else
				mutate_bytes(&cur);
		}
		unsigned long before = n_named;
		run_input(cur.buf, cur.len);
		if (n_named == before || cur.len > INPUT_MAX) {
			free(cur.buf);
		} else if (n < POOL_MAX) {
			pool_in[n++] = cur;
		} else {
			size_t victim = rnd(n);
			free(pool_in[victim].buf);
			pool_in[victim] = cur;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(pool_in[k].buf);
	if (pool) {
		fakeip_free(pool);
		free(pool);
	}
	printf("fuzz-dnsmsg: %d files, %zu seeds, %ld mutations, %lu parsed, %lu named, %lu pooled:"
	       " done\n", files, n_seeds, iterations, n_parsed, n_named, n_pooled);
	return failed;
}

#endif
