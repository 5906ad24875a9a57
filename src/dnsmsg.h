/* dnsmsg.h: the DNS messages of the default-mode fake-IP resolver: parse
 * a query (RFC 1035 section 4, EDNS per RFC 6891) from untrusted bytes,
 * build the few answers the supervisor gives, and frame DNS over TCP.
 *
 * Pure functions, no I/O and no allocation.  Every read is bounded by the
 * length the caller passes; a query is accepted only in the one shape a
 * stub resolver sends (one question, no compression, at most an OPT
 * record), anything else is refused rather than interpreted.
 *
 * Answers, whichever the rcode:
 *   - QR=1, the query's ID, opcode, RD and CD copied (RFC 1035, RFC 4035
 *     3.1.6); TC=0, AD=0.
 *   - AA=0, RA=1: to the sandboxed program we stand where its recursive
 *     resolver stood, and with RA=0 some stubs (dig, systemd-resolved)
 *     warn or retry elsewhere.  Not being authoritative also keeps stubs
 *     from caching our NXDOMAINs as authoritative denials: the policy may
 *     change between two runs.
 *   - No SOA in negative answers, so nothing caches them (RFC 2308 5).
 *   - An OPT record (payload 1232, the DNS Flag Day 2020 value; DO copied
 *     per RFC 3225 3) exactly when the query had one.
 *   - At most GW_DNS_ANSWER_MAX bytes, below 512: TC is never needed, so
 *     the requestor's EDNS payload size is not consulted. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define GW_DNS_HEADER_LEN 12
#define GW_DNS_NAME_WIRE_MAX 255        /* RFC 1035 2.3.4, length octets included */
#define GW_DNS_NAME_TEXT_MAX 253        /* dotted form of a 255-byte wire name */
#define GW_DNS_QUESTION_MAX (GW_DNS_NAME_WIRE_MAX + 4)
#define GW_DNS_EDNS_PAYLOAD 1232
/* Header, echoed question, one A record (16), one OPT record (11). */
#define GW_DNS_ANSWER_MAX (GW_DNS_HEADER_LEN + GW_DNS_QUESTION_MAX + 16 + 11)

enum {
	GW_DNS_TYPE_A = 1,
	GW_DNS_TYPE_AAAA = 28,
	GW_DNS_TYPE_OPT = 41,
	GW_DNS_CLASS_IN = 1,
	GW_DNS_OPCODE_QUERY = 0,
};

enum gw_dns_rcode {
	GW_DNS_NOERROR = 0,   /* with no answer record: NODATA */
	GW_DNS_FORMERR = 1,
	GW_DNS_SERVFAIL = 2,
	GW_DNS_NXDOMAIN = 3,
	GW_DNS_NOTIMP = 4,
	GW_DNS_REFUSED = 5,
	GW_DNS_BADVERS = 16,  /* extended (RFC 6891 6.1.3): needs an OPT in the answer */
};

/* A parsed query.  Filled as far as parsing got, so that an error answer
 * can still echo what was read: the header fields as soon as there is a
 * header, the question only once it is complete (question_len > 0). */
struct gw_dns_query {
	uint16_t id;
	uint8_t opcode;
	bool rd, cd;
	bool edns;                 /* the query carried a valid OPT record */
	bool edns_do;              /* its DO bit (copied to the answer) */
	uint16_t edns_payload;     /* requestor's UDP payload size, at least 512 */
	uint16_t qtype, qclass;    /* QTYPE policy is the caller's */
	/* QNAME as dotted text, raw bytes (case as sent, no trailing dot, ""
	 * for the root).  Not normalised: see dnsmsg_plan().  Meaningful only
	 * when dnsmsg_parse_query() returned 0: after -EILSEQ it may hold a
	 * '.' or a NUL from inside a label. */
	char qname[GW_DNS_NAME_TEXT_MAX + 1];
	/* The question's wire bytes (QNAME, QTYPE, QCLASS), echoed verbatim in
	 * answers so that a stub's 0x20 case randomisation matches. */
	uint8_t question[GW_DNS_QUESTION_MAX];
	size_t question_len;
};

/* Parse msg[0..len) into *q.  Returns 0, or a negative errno that
 * dnsmsg_error_rcode() maps to the answer to give:
 *   -ENOMSG      shorter than a header, or QR=1 (a response): drop it.
 *                Never answering responses keeps two resolvers from
 *                bouncing a message between them.
 *   -EBADMSG     malformed: QDCOUNT != 1, ANCOUNT or NSCOUNT != 0, more
 *                than one additional record or one that is not OPT, a
 *                compression pointer or extended label type in QNAME, a
 *                name over 255 bytes, truncation, trailing bytes.  FORMERR.
 *   -EOPNOTSUPP  opcode other than QUERY.  NOTIMP.
 *   -EPROTONOSUPPORT  EDNS version other than 0.  BADVERS (RFC 6891 6.1.3).
 *   -EILSEQ      well formed, but QNAME has a label with a '.' or a byte
 *                outside printable ASCII ('!'..'~'), which no host name
 *                has and whose dotted text would be ambiguous.  REFUSED,
 *                not NXDOMAIN: we decline to serve the question rather
 *                than claim anything about the name; the question is
 *                complete in *q so the answer echoes it.
 * A QCLASS other than IN is not a parse error; see dnsmsg_plan(). */
int dnsmsg_parse_query(const uint8_t *msg, size_t len, struct gw_dns_query *q);

/* The rcode to answer a dnsmsg_parse_query() error with, or -1 when the
 * message must be dropped unanswered (-ENOMSG, or an unknown error). */
int dnsmsg_error_rcode(int err);

/* What the default mode answers a parsed query with. */
enum gw_dns_plan {
	GW_DNS_PLAN_FAKE_A,     /* allowed name, QTYPE A: dnsmsg_answer_a() with its fake IP */
	GW_DNS_PLAN_NODATA,     /* allowed name, any other QTYPE: NOERROR, no answer */
	GW_DNS_PLAN_NXDOMAIN,   /* denied or unlisted name (the default is deny) */
	GW_DNS_PLAN_REFUSED,    /* QCLASS not IN, or a QNAME domain_normalize() refuses */
};

/* Decide a successfully parsed query under `policy`, and write the
 * normalised name (the fake-IP pool's key) into name.  A name "may be
 * allowed" when some port would let a connection to it through
 * (domain_decide() for each port the allow list mentions, plus "any
 * port"): ports are only known at connect time, where the proxy checks
 * again.  A deny pattern with a port does not hide the name, since other
 * ports may be allowed.  The QTYPE split (A vs the rest) is the one policy
 * choice here; a caller wanting another can look at q->qtype first. */
enum gw_dns_plan dnsmsg_plan(const struct gw_dns_query *q, const struct gw_domain_policy *policy,
			     char name[GW_DOMAIN_MAX + 1]);

/* Build the answer to q carrying one A record for `ip` (network byte order,
 * as in struct sockaddr_in) with `ttl` seconds; its owner is a compression
 * pointer to the echoed question (0xc00c).  Returns the length written to
 * out[0..cap), -EINVAL when q has no complete question, -ENOBUFS when cap
 * is too small (GW_DNS_ANSWER_MAX always suffices). */
int dnsmsg_answer_a(const struct gw_dns_query *q, struct in_addr ip, uint32_t ttl, uint8_t *out,
		    size_t cap);

/* Build an answer without records: `rcode` GW_DNS_NOERROR for NODATA, or
 * an error rcode.  Echoes the question when q has one (a FORMERR for an
 * unparseable question has QDCOUNT 0).  Returns the length, -ENOBUFS, or
 * -EINVAL for an rcode above 15 when q had no OPT to carry its upper bits. */
int dnsmsg_answer_empty(const struct gw_dns_query *q, enum gw_dns_rcode rcode, uint8_t *out,
			size_t cap);

/* DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by its
 * length as 2 bytes, and a client may pipeline several.  The reassembler
 * holds at most one whole frame (2 + 65535 bytes), so it is never full
 * while a message is still incomplete.  It is 64 KiB: allocate it with the
 * connection, not on the stack. */
#define GW_DNS_TCP_MSG_MAX 65535
struct gw_dns_tcp {
	size_t start, len;    /* unread bytes: buf[start .. start + len) */
	uint8_t buf[2 + GW_DNS_TCP_MSG_MAX];
};

void dnsmsg_tcp_init(struct gw_dns_tcp *t);

/* Copy as much of data[0..n) as fits; returns the count taken.  Fewer than
 * n are taken only when complete messages are waiting: take them with
 * dnsmsg_tcp_next(), then feed the rest.  Invalidates pointers that
 * dnsmsg_tcp_next() returned. */
size_t dnsmsg_tcp_feed(struct gw_dns_tcp *t, const void *data, size_t n);

/* The next complete message: returns true with *msg (pointing into t,
 * valid until the next dnsmsg_tcp_feed()) and *len set, false when more
 * bytes are needed.  A zero-length frame is returned as such (parsing it
 * gives -ENOMSG). */
bool dnsmsg_tcp_next(struct gw_dns_tcp *t, const uint8_t **msg, size_t *len);

/* A TCP answer: build the message at out + 2, then write its length. */
static inline void dnsmsg_tcp_prefix(uint8_t out[2], uint16_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
}
