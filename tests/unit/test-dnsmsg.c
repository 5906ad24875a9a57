/* Unit tests for dnsmsg.c: queries real clients send, malformed and
 * hostile ones, the answers (read back with the independent dnsresp.h),
 * the default-mode plan, TCP framing, and an end-to-end run in which
 * glibc's own resolver asks a tiny server built from dnsmsg and fakeip. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "dnsresp.h"
#include "fakeip.h"
#include "tap.h"
#include "util.h"

/* Captured on Debian 12 with a Python UDP listener on 127.0.0.1 that
 * printed each datagram in hex:
 *   dig 9.18: `dig @127.0.0.1 -p PORT example.com A` (EDNS with a COOKIE
 *   option), `... example.com AAAA +noedns`, `... Example.COM A +nocookie`,
 *   and `... +tcp +nocookie www.example.org A` (TCP, length prefix kept);
 *   glibc 2.36: getaddrinfo("example.com") with AF_UNSPEC (A, then AAAA)
 *   under a resolv.conf without and with `options edns0`. */
static const char DIG_A[] = "4b8801200001000000000001076578616d706c6503636f6d0000010001"
			    "00002904d000000000000c000a00085668771074bf604a";
static const char DIG_AAAA[] = "8f5f01200001000000000000076578616d706c6503636f6d00001c0001";
static const char DIG_CASE[] = "e5fc01200001000000000001074578616d706c6503434f4d0000010001"
			       "00002904d0000000000000";
static const char DIG_TCP[] = "002c7bdd0120000100000000000103777777076578616d706c65036f7267"
			      "000001000100002904d0000000000000";
static const char GLIBC_A[] = "29d701000001000000000000076578616d706c6503636f6d0000010001";
static const char GLIBC_AAAA[] = "78d501000001000000000000076578616d706c6503636f6d00001c0001";
static const char GLIBC_EDNS_A[] = "3a9101000001000000000001076578616d706c6503636f6d0000010001"
				   "00002904b0000000000000";
static const char GLIBC_EDNS_AAAA[] = "eb9301000001000000000001076578616d706c6503636f6d00001c0001"
				      "00002904b0000000000000";

static const char *const CAPTURED[] = { DIG_A, DIG_AAAA, DIG_CASE, GLIBC_A, GLIBC_AAAA,
					GLIBC_EDNS_A, GLIBC_EDNS_AAAA };
#define N_CAPTURED (sizeof CAPTURED / sizeof CAPTURED[0])

/* Hex to an exact-size heap buffer (ASan then sees any read past it). */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (uint8_t)v;
	}
	*len = n;
	return b;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *b = xmalloc(n ? n : 1);
	memcpy(b, p, n);
	return b;
}

static int parse_hex(const char *hex, struct gw_dns_query *q)
{
	size_t n;
	_cleanup_free_ uint8_t *m = unhex(hex, &n);
	return dnsmsg_parse_query(m, n, q);
}

/* A query with header flags 0x0100 (RD) and the given question bytes. */
static size_t make_query(uint8_t *out, const uint8_t *question, size_t qlen)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(out, hdr, 12);
	memcpy(out + 12, question, qlen);
	return 12 + qlen;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

TEST(dig_query_with_cookie)
{
	struct gw_dns_query q;
	size_t n;
	_cleanup_free_ uint8_t *m = unhex(DIG_A, &n);
	ASSERT_EQ(0, dnsmsg_parse_query(m, n, &q));
	ASSERT_EQ(0x4b88, q.id);
	ASSERT_TRUE(q.rd);
	ASSERT_FALSE(q.cd);
	ASSERT_EQ(0, q.opcode);
	ASSERT_STREQ("example.com", q.qname);
	ASSERT_EQ(GW_DNS_TYPE_A, q.qtype);
	ASSERT_EQ(GW_DNS_CLASS_IN, q.qclass);
	ASSERT_TRUE(q.edns);
	ASSERT_FALSE(q.edns_do);
	ASSERT_EQ(1232, q.edns_payload);
	ASSERT_EQ(17, q.question_len);
	ASSERT_TRUE(memcmp(q.question, m + 12, 17) == 0);
}

TEST(glibc_queries)
{
	struct gw_dns_query q;
	ASSERT_EQ(0, parse_hex(GLIBC_A, &q));
	ASSERT_EQ(0x29d7, q.id);
	ASSERT_TRUE(q.rd);
	ASSERT_FALSE(q.edns);
	ASSERT_STREQ("example.com", q.qname);
	ASSERT_EQ(GW_DNS_TYPE_A, q.qtype);
	ASSERT_EQ(0, parse_hex(GLIBC_AAAA, &q));
	ASSERT_EQ(GW_DNS_TYPE_AAAA, q.qtype);
	ASSERT_EQ(0, parse_hex(GLIBC_EDNS_A, &q));
	ASSERT_TRUE(q.edns);
	ASSERT_EQ(1200, q.edns_payload);
	ASSERT_EQ(GW_DNS_TYPE_A, q.qtype);
	ASSERT_EQ(0, parse_hex(GLIBC_EDNS_AAAA, &q));
	ASSERT_TRUE(q.edns);
	ASSERT_EQ(GW_DNS_TYPE_AAAA, q.qtype);
	ASSERT_EQ(0, parse_hex(DIG_AAAA, &q));
	ASSERT_FALSE(q.edns);
	ASSERT_EQ(GW_DNS_TYPE_AAAA, q.qtype);
}

TEST(answer_a_golden)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	ASSERT_EQ(0, parse_hex(GLIBC_A, &q));
	int n = dnsmsg_answer_a(&q, ip4("198.18.0.2"), 1, out, sizeof out);
	size_t en;
	_cleanup_free_ uint8_t *exp = unhex("29d781800001000100000000"
					    "076578616d706c6503636f6d0000010001"
					    "c00c00010001000000010004c6120002", &en);
	ASSERT_EQ(en, n);
	ASSERT_TRUE(memcmp(exp, out, en) == 0);
}

TEST(answer_a_with_edns)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	size_t n;
	_cleanup_free_ uint8_t *m = unhex(DIG_A, &n);
	ASSERT_EQ(0, dnsmsg_parse_query(m, n, &q));
	int len = dnsmsg_answer_a(&q, ip4("198.19.1.2"), 1, out, sizeof out);
	ASSERT_TRUE(len > 0);
	ASSERT_TRUE(dnsresp_parse(out, (size_t)len, &r));
	ASSERT_EQ(0x4b88, r.id);
	/* QR, RD, RA; not AA, TC, AD, CD; NOERROR. */
	ASSERT_EQ(0x8180, r.flags);
	ASSERT_EQ(1, r.qd);
	ASSERT_EQ(1, r.an);
	ASSERT_EQ(17, r.question_len);
	ASSERT_TRUE(memcmp(r.question, m + 12, 17) == 0);
	ASSERT_TRUE(r.has_a);
	ASSERT_EQ(1, r.a_ttl);
	ASSERT_TRUE(memcmp(r.a_addr, "\xc6\x13\x01\x02", 4) == 0);
	ASSERT_TRUE(r.has_opt);
	ASSERT_EQ(1232, r.opt_payload);
	ASSERT_EQ(0, r.opt_ttl);
}

TEST(answer_echoes_case_and_flags)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	size_t n;
	_cleanup_free_ uint8_t *m = unhex(DIG_CASE, &n);
	/* Set CD and DO: both are copied. */
	m[3] |= 0x10;
	m[n - 4] = 0x80;
	ASSERT_EQ(0, dnsmsg_parse_query(m, n, &q));
	ASSERT_STREQ("Example.COM", q.qname);
	ASSERT_TRUE(q.cd);
	ASSERT_TRUE(q.edns_do);
	int len = dnsmsg_answer_empty(&q, GW_DNS_NXDOMAIN, out, sizeof out);
	ASSERT_TRUE(dnsresp_parse(out, (size_t)len, &r));
	ASSERT_EQ(0x8193, r.flags);
	ASSERT_EQ(GW_DNS_NXDOMAIN, dnsresp_rcode(&r));
	ASSERT_EQ(0, r.an);
	ASSERT_TRUE(memcmp(r.question, m + 12, q.question_len) == 0);
	ASSERT_EQ(0x8000, r.opt_ttl);
}

TEST(answer_empty_rcodes)
{
	static const enum gw_dns_rcode rcodes[] = { GW_DNS_NOERROR, GW_DNS_FORMERR, GW_DNS_SERVFAIL,
						    GW_DNS_NXDOMAIN, GW_DNS_NOTIMP, GW_DNS_REFUSED };
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	ASSERT_EQ(0, parse_hex(GLIBC_AAAA, &q));
	for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++) {
		int len = dnsmsg_answer_empty(&q, rcodes[i], out, sizeof out);
		ASSERT_TRUE(dnsresp_parse(out, (size_t)len, &r));
		ASSERT_EQ(rcodes[i], dnsresp_rcode(&r));
		ASSERT_EQ(0x78d5, r.id);
		ASSERT_EQ(1, r.qd);
		ASSERT_EQ(0, r.an);
		ASSERT_EQ(0, r.ar);
	}
	/* An extended rcode needs an OPT to carry its upper bits. */
	ASSERT_EQ(-EINVAL, dnsmsg_answer_empty(&q, GW_DNS_BADVERS, out, sizeof out));
	/* No question: no A answer. */
	struct gw_dns_query none = { .id = 7 };
	ASSERT_EQ(-EINVAL, dnsmsg_answer_a(&none, ip4("198.18.0.2"), 1, out, sizeof out));
	int len = dnsmsg_answer_empty(&none, GW_DNS_FORMERR, out, sizeof out);
	ASSERT_EQ(12, len);
	ASSERT_TRUE(dnsresp_parse(out, 12, &r));
	ASSERT_EQ(0, r.qd);
}

TEST(answer_buffer_bounds)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	ASSERT_EQ(0, parse_hex(DIG_A, &q));
	int full = dnsmsg_answer_a(&q, ip4("198.18.0.2"), 1, out, sizeof out);
	int empty = dnsmsg_answer_empty(&q, GW_DNS_REFUSED, out, sizeof out);
	ASSERT_EQ(12 + 17 + 16 + 11, full);
	ASSERT_EQ(full - 16, empty);
	for (size_t cap = 0; cap < (size_t)full; cap++) {
		/* Exact-size buffers: ASan catches a write past cap. */
		_cleanup_free_ uint8_t *small = xmalloc(cap ? cap : 1);
		ASSERT_EQ(-ENOBUFS, dnsmsg_answer_a(&q, ip4("198.18.0.2"), 1, small, cap));
		if (cap < (size_t)empty)
			ASSERT_EQ(-ENOBUFS, dnsmsg_answer_empty(&q, GW_DNS_REFUSED, small, cap));
		else
			ASSERT_EQ(empty, dnsmsg_answer_empty(&q, GW_DNS_REFUSED, small, cap));
	}
}

/* A wire name from labels of the given lengths, filled with 'a'. */
static size_t wire_name(uint8_t *out, const int *labels, size_t n)
{
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		out[at++] = (uint8_t)labels[i];
		memset(out + at, 'a', (size_t)labels[i]);
		at += (size_t)labels[i];
	}
	out[at++] = 0;
	return at;
}

/* Query for the name, type A class IN; parse it. */
static int parse_name(const int *labels, size_t n, struct gw_dns_query *q)
{
	uint8_t question[600], msg[700];
	size_t ql = wire_name(question, labels, n);
	memcpy(question + ql, "\0\1\0\1", 4);
	size_t len = make_query(msg, question, ql + 4);
	_cleanup_free_ uint8_t *m = dup_bytes(msg, len);
	return dnsmsg_parse_query(m, len, q);
}

TEST(name_lengths)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	/* 63-byte labels are fine, 64 is the 0x40 extended label type. */
	ASSERT_EQ(0, parse_name((const int[]){ 63, 3 }, 2, &q));
	ASSERT_EQ(67, strlen(q.qname));
	ASSERT_EQ(-EBADMSG, parse_name((const int[]){ 64, 3 }, 2, &q));
	ASSERT_EQ(-EBADMSG, parse_name((const int[]){ 0x80 | 3 }, 1, &q));
	/* 1+63 + 1+63 + 1+63 + 1+61 + 1 = 255 wire bytes: the largest name,
	 * 253 characters of text. */
	ASSERT_EQ(0, parse_name((const int[]){ 63, 63, 63, 61 }, 4, &q));
	ASSERT_EQ(GW_DNS_NAME_TEXT_MAX, strlen(q.qname));
	ASSERT_EQ(259, q.question_len);
	/* The largest answer fits the documented bound. */
	q.edns = true;
	ASSERT_TRUE(dnsmsg_answer_a(&q, ip4("198.18.0.2"), 1, out, sizeof out) > 0);
	ASSERT_EQ(GW_DNS_ANSWER_MAX, dnsmsg_answer_a(&q, ip4("198.18.0.2"), 1, out, sizeof out));
	/* 256 wire bytes. */
	ASSERT_EQ(-EBADMSG, parse_name((const int[]){ 63, 63, 63, 62 }, 4, &q));
	ASSERT_EQ(-EBADMSG, parse_name((const int[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
				      128, &q));
	/* The root name alone: "", which no policy can allow. */
	ASSERT_EQ(0, parse_name(NULL, 0, &q));
	ASSERT_STREQ("", q.qname);
	ASSERT_EQ(5, q.question_len);
}

TEST(zero_length_labels)
{
	struct gw_dns_query q;
	/* A zero label ends the name: "a" then junk where QTYPE/QCLASS would
	 * be, then trailing bytes. */
	static const uint8_t question[] = { 1, 'a', 0, 1, 'b', 0, 0, 1, 0, 1 };
	uint8_t msg[64];
	size_t len = make_query(msg, question, sizeof question);
	_cleanup_free_ uint8_t *m = dup_bytes(msg, len);
	ASSERT_EQ(-EBADMSG, dnsmsg_parse_query(m, len, &q));
	/* The zero label alone is the root name, and a complete question. */
	static const uint8_t root[] = { 0, 0, 2, 0, 1 };
	len = make_query(msg, root, sizeof root);
	_cleanup_free_ uint8_t *m2 = dup_bytes(msg, len);
	ASSERT_EQ(0, dnsmsg_parse_query(m2, len, &q));
	ASSERT_EQ(2, q.qtype);
}

TEST(compression_pointers_refused)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	/* Pointer to the header, to itself, and after a label. */
	static const uint8_t q1[] = { 0xc0, 0x00, 0, 1, 0, 1 };
	static const uint8_t q2[] = { 0xc0, 0x0c, 0, 1, 0, 1 };
	static const uint8_t q3[] = { 3, 'w', 'w', 'w', 0xc0, 0x0c, 0, 1, 0, 1 };
	const uint8_t *qs[] = { q1, q2, q3 };
	const size_t ls[] = { sizeof q1, sizeof q2, sizeof q3 };
	for (int i = 0; i < 3; i++) {
		uint8_t msg[64];
		size_t len = make_query(msg, qs[i], ls[i]);
		_cleanup_free_ uint8_t *m = dup_bytes(msg, len);
		int err = dnsmsg_parse_query(m, len, &q);
		ASSERT_EQ(-EBADMSG, err);
		ASSERT_EQ(GW_DNS_FORMERR, dnsmsg_error_rcode(err));
		/* The FORMERR answer has the ID but no question. */
		int n = dnsmsg_answer_empty(&q, GW_DNS_FORMERR, out, sizeof out);
		ASSERT_TRUE(dnsresp_parse(out, (size_t)n, &r));
		ASSERT_EQ(0x1234, r.id);
		ASSERT_EQ(0, r.qd);
		ASSERT_EQ(GW_DNS_FORMERR, dnsresp_rcode(&r));
	}
}

TEST(truncated_at_every_byte)
{
	for (size_t c = 0; c < N_CAPTURED; c++) {
		size_t n;
		_cleanup_free_ uint8_t *full = unhex(CAPTURED[c], &n);
		struct gw_dns_query q;
		ASSERT_EQ(0, dnsmsg_parse_query(full, n, &q));
		for (size_t cut = 0; cut < n; cut++) {
			_cleanup_free_ uint8_t *m = dup_bytes(full, cut);
			int err = dnsmsg_parse_query(m, cut, &q);
			ASSERT_EQ(cut < 12 ? -ENOMSG : -EBADMSG, err);
		}
		/* One byte too many is malformed too. */
		_cleanup_free_ uint8_t *longer = xmalloc(n + 1);
		memcpy(longer, full, n);
		longer[n] = 0;
		ASSERT_EQ(-EBADMSG, dnsmsg_parse_query(longer, n + 1, &q));
	}
}

/* Parse GLIBC_EDNS_A after an edit at byte `at`. */
static int parse_edited(size_t at, uint8_t value, struct gw_dns_query *q)
{
	size_t n;
	_cleanup_free_ uint8_t *m = unhex(GLIBC_EDNS_A, &n);
	m[at] = value;
	return dnsmsg_parse_query(m, n, q);
}

TEST(header_checks)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	/* A response is dropped, never answered. */
	ASSERT_EQ(-ENOMSG, parse_edited(2, 0x81, &q));
	ASSERT_EQ(-1, dnsmsg_error_rcode(-ENOMSG));
	/* Opcode 2 (STATUS), 4 (NOTIFY), 5 (UPDATE): NOTIMP, opcode echoed. */
	for (uint8_t op = 1; op < 16; op++) {
		int err = parse_edited(2, (uint8_t)(op << 3 | 1), &q);
		ASSERT_EQ(-EOPNOTSUPP, err);
		ASSERT_EQ(GW_DNS_NOTIMP, dnsmsg_error_rcode(err));
		int n = dnsmsg_answer_empty(&q, GW_DNS_NOTIMP, out, sizeof out);
		ASSERT_TRUE(dnsresp_parse(out, (size_t)n, &r));
		ASSERT_EQ(op, (r.flags >> 11) & 0xf);
		ASSERT_EQ(GW_DNS_NOTIMP, dnsresp_rcode(&r));
	}
	/* QDCOUNT 0 and 2, ANCOUNT 1, NSCOUNT 1, ARCOUNT 2. */
	ASSERT_EQ(-EBADMSG, parse_edited(5, 0, &q));
	ASSERT_EQ(-EBADMSG, parse_edited(5, 2, &q));
	ASSERT_EQ(-EBADMSG, parse_edited(4, 1, &q));
	ASSERT_EQ(-EBADMSG, parse_edited(7, 1, &q));
	ASSERT_EQ(-EBADMSG, parse_edited(9, 1, &q));
	ASSERT_EQ(-EBADMSG, parse_edited(11, 2, &q));
	/* TC, Z, AD and a stray RCODE in a query change nothing. */
	ASSERT_EQ(0, parse_edited(2, 0x03, &q));
	ASSERT_EQ(0, parse_edited(3, 0x7f, &q));
}

TEST(edns_checks)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	/* GLIBC_EDNS_A: question ends at 29; OPT = 00 0029 04b0 00 00 0000 0000. */
	ASSERT_EQ(-EBADMSG, parse_edited(29, 1, &q));     /* owner not the root */
	ASSERT_EQ(-EBADMSG, parse_edited(31, 0x01, &q));  /* an A record, not OPT */
	ASSERT_EQ(-EBADMSG, parse_edited(38, 1, &q));     /* RDLEN past the end */
	/* A small payload size counts as 512. */
	ASSERT_EQ(0, parse_edited(32, 0, &q));
	ASSERT_EQ(512, q.edns_payload);
	/* EDNS version 1: BADVERS, carried by the answer's OPT. */
	int err = parse_edited(35, 1, &q);
	ASSERT_EQ(-EPROTONOSUPPORT, err);
	ASSERT_EQ(GW_DNS_BADVERS, dnsmsg_error_rcode(err));
	int n = dnsmsg_answer_empty(&q, GW_DNS_BADVERS, out, sizeof out);
	ASSERT_TRUE(dnsresp_parse(out, (size_t)n, &r));
	ASSERT_EQ(0, r.flags & 0xf);
	ASSERT_EQ(1u << 24, r.opt_ttl);
	ASSERT_EQ(GW_DNS_BADVERS, dnsresp_rcode(&r));
	/* Options must each fit the RDATA. */
	size_t len;
	_cleanup_free_ uint8_t *m = unhex(DIG_A, &len);
	m[len - 9] = 9;  /* COOKIE option length 8 -> 9 */
	ASSERT_EQ(-EBADMSG, dnsmsg_parse_query(m, len, &q));
}

/* A query whose QNAME is one label, `label`. */
static int parse_label(const char *label, size_t l, struct gw_dns_query *q)
{
	uint8_t question[80], msg[128];
	question[0] = (uint8_t)l;
	memcpy(question + 1, label, l);
	memcpy(question + 1 + l, "\3com\0\0\1\0\1", 9);
	size_t len = make_query(msg, question, l + 10);
	_cleanup_free_ uint8_t *m = dup_bytes(msg, len);
	return dnsmsg_parse_query(m, len, q);
}

TEST(names_that_are_not_host_names)
{
	struct gw_dns_query q;
	uint8_t out[GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	/* A '.' inside a label would make "a.b" of one label look like two. */
	int err = parse_label("a.b", 3, &q);
	ASSERT_EQ(-EILSEQ, err);
	ASSERT_EQ(GW_DNS_REFUSED, dnsmsg_error_rcode(err));
	/* The question is complete, so REFUSED echoes it. */
	ASSERT_EQ(13, q.question_len);
	int n = dnsmsg_answer_empty(&q, GW_DNS_REFUSED, out, sizeof out);
	ASSERT_TRUE(dnsresp_parse(out, (size_t)n, &r));
	ASSERT_EQ(1, r.qd);
	ASSERT_EQ(GW_DNS_REFUSED, dnsresp_rcode(&r));
	ASSERT_EQ(-EILSEQ, parse_label("a\0b", 3, &q));
	ASSERT_EQ(-EILSEQ, parse_label("a b", 3, &q));
	ASSERT_EQ(-EILSEQ, parse_label("\xc3\xbc", 2, &q));
	ASSERT_EQ(-EILSEQ, parse_label("\x7f", 1, &q));
	/* Printable but not LDH: parsed; dnsmsg_plan() refuses it. */
	ASSERT_EQ(0, parse_label("a*b", 3, &q));
	ASSERT_STREQ("a*b.com", q.qname);
	ASSERT_EQ(0, parse_label("_dmarc", 6, &q));
}

static struct gw_domain_pattern pat(const char *text)
{
	struct gw_domain_pattern p;
	const char *why;
	if (domain_pattern_parse(text, &p, &why) < 0)
		abort();
	return p;
}

/* Plan for `name` with the given type and class. */
static enum gw_dns_plan plan(const struct gw_domain_policy *pol, const char *name, uint16_t type,
			     uint16_t cls, char *out)
{
	struct gw_dns_query q = { .qtype = type, .qclass = cls };
	snprintf(q.qname, sizeof q.qname, "%s", name);
	return dnsmsg_plan(&q, pol, out);
}

TEST(plan_follows_policy)
{
	const struct gw_domain_pattern allow[] = { pat("example.com"), pat("*.allowed.org:443"),
						   pat("api.mixed.net:8443") };
	const struct gw_domain_pattern deny[] = { pat("bad.allowed.org"), pat("x.allowed.org:80"),
						  pat("api.mixed.net:8443") };
	const struct gw_domain_policy pol = { allow, deny, 3, 3 };
	char name[GW_DOMAIN_MAX + 1];
	ASSERT_EQ(GW_DNS_PLAN_FAKE_A, plan(&pol, "Example.COM", 1, 1, name));
	ASSERT_STREQ("example.com", name);
	ASSERT_EQ(GW_DNS_PLAN_NODATA, plan(&pol, "example.com", GW_DNS_TYPE_AAAA, 1, name));
	ASSERT_EQ(GW_DNS_PLAN_NODATA, plan(&pol, "example.com", 255, 1, name));
	/* Allowed only on 443: still gets an address; the port is checked
	 * at connect time. */
	ASSERT_EQ(GW_DNS_PLAN_FAKE_A, plan(&pol, "www.allowed.org", 1, 1, name));
	/* A deny with another port does not hide the name. */
	ASSERT_EQ(GW_DNS_PLAN_FAKE_A, plan(&pol, "x.allowed.org", 1, 1, name));
	/* Denied outright, or on the only allowed port. */
	ASSERT_EQ(GW_DNS_PLAN_NXDOMAIN, plan(&pol, "bad.allowed.org", 1, 1, name));
	ASSERT_EQ(GW_DNS_PLAN_NXDOMAIN, plan(&pol, "api.mixed.net", 1, 1, name));
	/* Unlisted: denied by default, for every type. */
	ASSERT_EQ(GW_DNS_PLAN_NXDOMAIN, plan(&pol, "allowed.org", 1, 1, name));
	ASSERT_EQ(GW_DNS_PLAN_NXDOMAIN, plan(&pol, "other.net", GW_DNS_TYPE_AAAA, 1, name));
	/* Not IN; not a host name; the root. */
	ASSERT_EQ(GW_DNS_PLAN_REFUSED, plan(&pol, "example.com", 1, 3, name));
	ASSERT_EQ(GW_DNS_PLAN_REFUSED, plan(&pol, "a*b.example.com", 1, 1, name));
	ASSERT_EQ(GW_DNS_PLAN_REFUSED, plan(&pol, "-x.example.com", 1, 1, name));
	ASSERT_EQ(GW_DNS_PLAN_REFUSED, plan(&pol, "", 1, 1, name));
	ASSERT_STREQ("", name);
}

/* Frame each message with its length. */
static size_t frame(uint8_t *out, const char *const *hex, size_t n)
{
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l;
		_cleanup_free_ uint8_t *m = unhex(hex[i], &l);
		dnsmsg_tcp_prefix(out + at, (uint16_t)l);
		memcpy(out + at + 2, m, l);
		at += 2 + l;
	}
	return at;
}

/* Feed s[0..n) to t; collect the messages into got[] (concatenated). */
static int feed_all(struct gw_dns_tcp *t, const uint8_t *s, size_t n, uint8_t *got, size_t *got_len)
{
	int msgs = 0;
	while (n) {
		size_t k = dnsmsg_tcp_feed(t, s, n);
		s += k, n -= k;
		const uint8_t *m;
		size_t l;
		while (dnsmsg_tcp_next(t, &m, &l)) {
			memcpy(got + *got_len, m, l);
			*got_len += l;
			msgs++;
		}
		if (!k && n)
			return -1;  /* stuck: would be a bug */
	}
	return msgs;
}

TEST(tcp_pipelined_split_everywhere)
{
	static const char *const two[] = { GLIBC_EDNS_A, DIG_A };
	uint8_t stream[512], expect[512], got[512];
	size_t n = frame(stream, two, 2);
	size_t el = 0;
	for (size_t i = 0; i < 2; i++) {
		size_t l;
		_cleanup_free_ uint8_t *m = unhex(two[i], &l);
		memcpy(expect + el, m, l);
		el += l;
	}
	_cleanup_free_ struct gw_dns_tcp *t = xmalloc(sizeof *t);
	for (size_t cut = 0; cut <= n; cut++) {
		size_t gl = 0;
		dnsmsg_tcp_init(t);
		int a = feed_all(t, stream, cut, got, &gl);
		int b = feed_all(t, stream + cut, n - cut, got, &gl);
		ASSERT_EQ(2, a + b);
		ASSERT_EQ(el, gl);
		ASSERT_TRUE(memcmp(expect, got, el) == 0);
		ASSERT_EQ(0, t->len);
	}
	/* One byte at a time, and each message parses. */
	dnsmsg_tcp_init(t);
	int msgs = 0;
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(1, dnsmsg_tcp_feed(t, stream + i, 1));
		const uint8_t *m;
		size_t l;
		while (dnsmsg_tcp_next(t, &m, &l)) {
			struct gw_dns_query q;
			ASSERT_EQ(0, dnsmsg_parse_query(m, l, &q));
			ASSERT_EQ(msgs == 0 ? 0x3a91 : 0x4b88, q.id);
			msgs++;
		}
	}
	ASSERT_EQ(2, msgs);
}

TEST(tcp_dig_capture)
{
	size_t n;
	_cleanup_free_ uint8_t *s = unhex(DIG_TCP, &n);
	_cleanup_free_ struct gw_dns_tcp *t = xmalloc(sizeof *t);
	const uint8_t *m;
	size_t l;
	struct gw_dns_query q;
	uint8_t out[2 + GW_DNS_ANSWER_MAX];
	struct dnsresp r;
	dnsmsg_tcp_init(t);
	ASSERT_EQ(n, dnsmsg_tcp_feed(t, s, n));
	ASSERT_TRUE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(n - 2, l);
	ASSERT_EQ(0, dnsmsg_parse_query(m, l, &q));
	ASSERT_STREQ("www.example.org", q.qname);
	ASSERT_FALSE(dnsmsg_tcp_next(t, &m, &l));
	/* The framed answer. */
	int len = dnsmsg_answer_a(&q, ip4("198.18.0.9"), 1, out + 2, sizeof out - 2);
	dnsmsg_tcp_prefix(out, (uint16_t)len);
	ASSERT_EQ(len, out[0] << 8 | out[1]);
	ASSERT_TRUE(dnsresp_parse(out + 2, (size_t)len, &r));
	ASSERT_EQ(0x7bdd, r.id);
}

TEST(tcp_bounds)
{
	_cleanup_free_ struct gw_dns_tcp *t = xmalloc(sizeof *t);
	_cleanup_free_ uint8_t *big = xcalloc(1, 2 * (2 + GW_DNS_TCP_MSG_MAX));
	const uint8_t *m;
	size_t l;
	/* Two 65535-byte frames back to back: the first fills the buffer
	 * exactly; nothing more is taken until it has been read. */
	dnsmsg_tcp_prefix(big, 0xffff);
	dnsmsg_tcp_prefix(big + 2 + 0xffff, 0xffff);
	size_t total = 2 * (2 + GW_DNS_TCP_MSG_MAX);
	dnsmsg_tcp_init(t);
	ASSERT_EQ(2 + 0xffff, dnsmsg_tcp_feed(t, big, total));
	ASSERT_EQ(0, dnsmsg_tcp_feed(t, big, total));
	ASSERT_TRUE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(0xffff, l);
	ASSERT_FALSE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(2 + 0xffff, dnsmsg_tcp_feed(t, big + 2 + 0xffff, total - (2 + 0xffff)));
	ASSERT_TRUE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(0xffff, l);
	/* A zero-length frame is a message the parser drops. */
	static const uint8_t zero[] = { 0, 0, 0 };
	dnsmsg_tcp_init(t);
	ASSERT_EQ(3, dnsmsg_tcp_feed(t, zero, 3));
	ASSERT_TRUE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(0, l);
	struct gw_dns_query q;
	ASSERT_EQ(-ENOMSG, dnsmsg_parse_query(m, l, &q));
	ASSERT_FALSE(dnsmsg_tcp_next(t, &m, &l));
	ASSERT_EQ(1, t->len);
}

/* End to end: glibc's resolver, pointed at a UDP port on 127.0.0.1,
 * resolves through a server made of dnsmsg + fakeip + a policy. */
struct e2e {
	int fd;
	struct gw_fakeip pool;
	const struct gw_domain_policy *policy;
	int served;
};

static void e2e_answer(struct e2e *s, const uint8_t *msg, size_t len, uint8_t *out, int *n)
{
	struct gw_dns_query q;
	char name[GW_DOMAIN_MAX + 1];
	struct in_addr ip;
	int err = dnsmsg_parse_query(msg, len, &q);
	*n = -1;
	if (err < 0) {
		if (dnsmsg_error_rcode(err) >= 0)
			*n = dnsmsg_answer_empty(&q, dnsmsg_error_rcode(err), out, GW_DNS_ANSWER_MAX);
		return;
	}
	switch (dnsmsg_plan(&q, s->policy, name)) {
	case GW_DNS_PLAN_FAKE_A:
		if (fakeip_lookup_name(&s->pool, name, 1, &ip) == 0)
			*n = dnsmsg_answer_a(&q, ip, 1, out, GW_DNS_ANSWER_MAX);
		else
			*n = dnsmsg_answer_empty(&q, GW_DNS_SERVFAIL, out, GW_DNS_ANSWER_MAX);
		break;
	case GW_DNS_PLAN_NODATA:
		*n = dnsmsg_answer_empty(&q, GW_DNS_NOERROR, out, GW_DNS_ANSWER_MAX);
		break;
	case GW_DNS_PLAN_NXDOMAIN:
		*n = dnsmsg_answer_empty(&q, GW_DNS_NXDOMAIN, out, GW_DNS_ANSWER_MAX);
		break;
	case GW_DNS_PLAN_REFUSED:
		*n = dnsmsg_answer_empty(&q, GW_DNS_REFUSED, out, GW_DNS_ANSWER_MAX);
		break;
	}
}

/* Serves until no query came for a second. */
static void *e2e_serve(void *arg)
{
	struct e2e *s = arg;
	struct pollfd pfd = { s->fd, POLLIN, 0 };
	while (poll(&pfd, 1, 1000) == 1) {
		uint8_t msg[1500], out[GW_DNS_ANSWER_MAX];
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t len = recvfrom(s->fd, msg, sizeof msg, 0, (struct sockaddr *)&from, &fl);
		int n;
		if (len < 0)
			break;
		e2e_answer(s, msg, (size_t)len, out, &n);
		if (n > 0)
			(void)sendto(s->fd, out, (size_t)n, 0, (struct sockaddr *)&from, fl);
		s->served++;
	}
	return NULL;
}

static int resolve(const char *name, int family, char *addr, size_t cap)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int r = getaddrinfo(name, "80", &hints, &res);
	if (r != 0)
		return r;
	snprintf(addr, cap, "%s", inet_ntoa(((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr));
	freeaddrinfo(res);
	return 0;
}

/* This thread's resolver state asks 127.0.0.1:port only; glibc honours a
 * changed _res (res_init() first) in getaddrinfo. */
static void point_resolver_at(uint16_t port, bool edns)
{
	res_init();
	_res.nscount = 1;
	_res.nsaddr_list[0].sin_family = AF_INET;
	_res.nsaddr_list[0].sin_port = htons(port);
	_res.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	_res.retrans = 1;
	_res.retry = 1;
	_res.options &= ~(unsigned long)RES_USE_EDNS0;
	if (edns)
		_res.options |= RES_USE_EDNS0;
	_res.ndots = 1;
	_res.dnsrch[0] = NULL;
}

TEST(end_to_end_getaddrinfo)
{
	const struct gw_domain_pattern allow[] = { pat("allowed.gw-test.example") };
	const struct gw_domain_policy pol = { allow, NULL, 1, 0 };
	struct e2e s = { .policy = &pol };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	pthread_t th;
	char addr[32];
	s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(s.fd >= 0);
	ASSERT_EQ(0, bind(s.fd, (struct sockaddr *)&a, sizeof a));
	ASSERT_EQ(0, getsockname(s.fd, (struct sockaddr *)&a, &al));
	ASSERT_EQ(0, fakeip_init(&s.pool, 16));
	ASSERT_EQ(0, pthread_create(&th, NULL, e2e_serve, &s));
	for (int edns = 0; edns < 2; edns++) {
		point_resolver_at(ntohs(a.sin_port), edns);
		int r = resolve("allowed.gw-test.example", AF_UNSPEC, addr, sizeof addr);
		if (r == 0)
			ASSERT_STREQ("198.18.0.2", addr);
		else
			printf("# getaddrinfo: %s\n", gai_strerror(r));
		if (r != 0 && s.served == 0)
			break;  /* the resolver did not come to us: skipped below */
		ASSERT_EQ(0, r);
		/* Upper case, same entry. */
		ASSERT_EQ(0, resolve("ALLOWED.gw-test.example", AF_INET, addr, sizeof addr));
		ASSERT_STREQ("198.18.0.2", addr);
		ASSERT_EQ(EAI_NONAME, resolve("denied.gw-test.example", AF_UNSPEC, addr, sizeof addr));
		/* AAAA only: NODATA. */
		r = resolve("allowed.gw-test.example", AF_INET6, addr, sizeof addr);
		ASSERT_TRUE(r == EAI_NODATA || r == EAI_NONAME);
	}
	pthread_join(th, NULL);
	int served = s.served;
	close(s.fd);
	struct in_addr ip = ip4("198.18.0.2");
	const char *back = fakeip_lookup_ip(&s.pool, ip, 2);
	bool mapped = back && strcmp(back, "allowed.gw-test.example") == 0;
	fakeip_free(&s.pool);
	if (served == 0)
		tap_skip("glibc's resolver did not use the changed _res");
	ASSERT_TRUE(served >= 8);
	ASSERT_TRUE(mapped);
}

int main(void)
{
	RUN(dig_query_with_cookie);
	RUN(glibc_queries);
	RUN(answer_a_golden);
	RUN(answer_a_with_edns);
	RUN(answer_echoes_case_and_flags);
	RUN(answer_empty_rcodes);
	RUN(answer_buffer_bounds);
	RUN(name_lengths);
	RUN(zero_length_labels);
	RUN(compression_pointers_refused);
	RUN(truncated_at_every_byte);
	RUN(header_checks);
	RUN(edns_checks);
	RUN(names_that_are_not_host_names);
	RUN(plan_follows_policy);
	RUN(tcp_pipelined_split_everywhere);
	RUN(tcp_dig_capture);
	RUN(tcp_bounds);
	RUN(end_to_end_getaddrinfo);
	return tap_done();
}
