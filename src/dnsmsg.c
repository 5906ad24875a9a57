/* dnsmsg.c: see dnsmsg.h. */
#include "dnsmsg.h"

#include <errno.h>
#include <string.h>

/* Header flag bits (RFC 1035 4.1.1, RFC 4035 for CD).  Answers leave AA,
 * TC and AD clear: see dnsmsg.h. */
#define F_QR 0x8000u
#define F_RD 0x0100u
#define F_RA 0x0080u
#define F_CD 0x0010u
#define OPCODE(flags) (((flags) >> 11) & 0xfu)

#define EDNS_DO 0x8000u  /* in the low 16 bits of the OPT TTL */
#define LABEL_MAX 63

/* A bounded reader over untrusted bytes: every read checks what is left,
 * so no caller can step past the end. */
struct rd {
	const uint8_t *p;
	size_t len, pos;
};

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->len - r->pos < 1)
		return -EBADMSG;
	*v = r->p[r->pos++];
	return 0;
}

static int rd_u16(struct rd *r, uint16_t *v)
{
	if (r->len - r->pos < 2)
		return -EBADMSG;
	*v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v)
{
	uint16_t hi, lo;
	if (rd_u16(r, &hi) < 0 || rd_u16(r, &lo) < 0)
		return -EBADMSG;
	*v = (uint32_t)hi << 16 | lo;
	return 0;
}

static int rd_skip(struct rd *r, size_t n)
{
	if (r->len - r->pos < n)
		return -EBADMSG;
	r->pos += n;
	return 0;
}

/* A host-name label byte we can put in dotted text unambiguously. */
static bool text_byte(uint8_t c)
{
	return c > ' ' && c <= '~' && c != '.';
}

/* Append one label of length l at r's position to q->qname.  Returns 0,
 * or 1 when it has a byte text_byte() refuses (recorded, not fatal: the
 * structure is still checked first so FORMERR wins over REFUSED). */
static int read_label(struct rd *r, size_t l, struct gw_dns_query *q, size_t *text_len)
{
	const uint8_t *s = r->p + r->pos;
	int bad = 0;
	if (rd_skip(r, l) < 0)
		return -EBADMSG;
	/* The 255-byte wire bound is checked by the caller first, so the
	 * text (one byte shorter per label, dots included) always fits. */
	if (*text_len)
		q->qname[(*text_len)++] = '.';
	for (size_t i = 0; i < l; i++) {
		bad |= !text_byte(s[i]);
		q->qname[(*text_len)++] = (char)s[i];
	}
	q->qname[*text_len] = '\0';
	return bad;
}

/* QNAME: uncompressed labels up to the root label, at most 255 bytes. */
static int read_qname(struct rd *r, struct gw_dns_query *q)
{
	size_t start = r->pos, text_len = 0;
	int bad = 0;
	for (;;) {
		uint8_t l;
		if (rd_u8(r, &l) < 0)
			return -EBADMSG;
		if (l == 0)
			break;
		/* 0xc0 is a compression pointer, 0x40 and 0x80 the extended
		 * label types RFC 6891 retired: none belongs in a query. */
		if (l > LABEL_MAX)
			return -EBADMSG;
		if (r->pos - start + l + 1 > GW_DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		int k = read_label(r, l, q, &text_len);
		if (k < 0)
			return k;
		bad |= k;
	}
	return bad ? -EILSEQ : 0;
}

static int read_question(struct rd *r, struct gw_dns_query *q)
{
	size_t start = r->pos;
	int name = read_qname(r, q);
	if (name == -EBADMSG)
		return name;
	if (rd_u16(r, &q->qtype) < 0 || rd_u16(r, &q->qclass) < 0)
		return -EBADMSG;
	q->question_len = r->pos - start;
	memcpy(q->question, r->p + start, q->question_len);
	return name;
}

/* OPTIONS in the OPT RDATA: code, length, value; each must fit. */
static int check_options(struct rd *r, uint16_t rdlen)
{
	struct rd o = { r->p + r->pos, rdlen, 0 };
	if (rd_skip(r, rdlen) < 0)
		return -EBADMSG;
	while (o.pos < o.len) {
		uint16_t code, olen;
		if (rd_u16(&o, &code) < 0 || rd_u16(&o, &olen) < 0 || rd_skip(&o, olen) < 0)
			return -EBADMSG;
	}
	return 0;
}

/* The one additional record a query may carry: OPT, owned by the root. */
static int read_opt(struct rd *r, struct gw_dns_query *q)
{
	uint8_t owner;
	uint16_t type, payload, rdlen;
	uint32_t ttl;
	if (rd_u8(r, &owner) < 0 || owner != 0)
		return -EBADMSG;
	if (rd_u16(r, &type) < 0 || type != GW_DNS_TYPE_OPT)
		return -EBADMSG;
	if (rd_u16(r, &payload) < 0 || rd_u32(r, &ttl) < 0 || rd_u16(r, &rdlen) < 0)
		return -EBADMSG;
	if (check_options(r, rdlen) < 0)
		return -EBADMSG;
	q->edns = true;
	q->edns_do = (ttl & EDNS_DO) != 0;
	/* RFC 6891 6.2.5: values below 512 are treated as 512. */
	q->edns_payload = payload < 512 ? 512 : payload;
	return ((ttl >> 16) & 0xff) == 0 ? 0 : -EPROTONOSUPPORT;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Header: returns -ENOMSG for what must not be answered at all. */
static int read_header(struct rd *r, struct gw_dns_query *q, uint16_t *arcount)
{
	const uint8_t *h = r->p;
	if (r->len < GW_DNS_HEADER_LEN)
		return -ENOMSG;
	r->pos = GW_DNS_HEADER_LEN;
	uint16_t flags = be16(h + 2);
	if (flags & F_QR)
		return -ENOMSG;
	q->id = be16(h);
	q->opcode = (uint8_t)OPCODE(flags);
	q->rd = (flags & F_RD) != 0;
	q->cd = (flags & F_CD) != 0;
	if (q->opcode != GW_DNS_OPCODE_QUERY)
		return -EOPNOTSUPP;
	*arcount = be16(h + 10);
	/* QDCOUNT 1; no answer or authority records in a query. */
	if (be16(h + 4) != 1 || be16(h + 6) != 0 || be16(h + 8) != 0 || *arcount > 1)
		return -EBADMSG;
	return 0;
}

int dnsmsg_parse_query(const uint8_t *msg, size_t len, struct gw_dns_query *q)
{
	struct rd r = { msg, len, 0 };
	uint16_t arcount = 0;
	memset(q, 0, sizeof *q);
	int ret = read_header(&r, q, &arcount);
	if (ret < 0)
		return ret;
	int name = read_question(&r, q);
	if (name == -EBADMSG)
		return name;
	if (arcount) {
		ret = read_opt(&r, q);
		if (ret == -EBADMSG)
			return ret;
	}
	if (r.pos != r.len)
		return -EBADMSG;
	/* Both are well formed; the EDNS version error is the more basic. */
	return ret < 0 ? ret : name;
}

int dnsmsg_error_rcode(int err)
{
	switch (err) {
	case -EBADMSG:
		return GW_DNS_FORMERR;
	case -EOPNOTSUPP:
		return GW_DNS_NOTIMP;
	case -EPROTONOSUPPORT:
		return GW_DNS_BADVERS;
	case -EILSEQ:
		return GW_DNS_REFUSED;
	default:
		return -1;
	}
}

/* Some port lets a connection to `name` through: "any port" (port 0
 * matches exactly the patterns without a port), or one that the allow
 * list names. */
static bool may_allow(const struct gw_domain_policy *p, const char *name)
{
	enum gw_domain_verdict v = domain_decide(p, name, 0, NULL);
	if (v != GW_DOMAIN_NOT_LISTED)
		return v == GW_DOMAIN_ALLOWED;
	for (size_t i = 0; i < p->n_allow; i++) {
		uint16_t port = p->allow[i].port;
		if (port && domain_decide(p, name, port, NULL) == GW_DOMAIN_ALLOWED)
			return true;
	}
	return false;
}

enum gw_dns_plan dnsmsg_plan(const struct gw_dns_query *q, const struct gw_domain_policy *policy,
			     char name[GW_DOMAIN_MAX + 1])
{
	const char *why;
	name[0] = '\0';
	if (q->qclass != GW_DNS_CLASS_IN)
		return GW_DNS_PLAN_REFUSED;
	if (domain_normalize(q->qname, strlen(q->qname), name, GW_DOMAIN_MAX + 1, &why) < 0) {
		name[0] = '\0';
		return GW_DNS_PLAN_REFUSED;
	}
	if (!may_allow(policy, name))
		return GW_DNS_PLAN_NXDOMAIN;
	return q->qtype == GW_DNS_TYPE_A ? GW_DNS_PLAN_FAKE_A : GW_DNS_PLAN_NODATA;
}

/* A bounded writer: overflowing sets `full` instead of writing. */
struct wr {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static void wr_bytes(struct wr *w, const void *s, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	wr_bytes(w, b, 2);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	wr_u16(w, (uint16_t)(v >> 16));
	wr_u16(w, (uint16_t)v);
}

static void wr_header(struct wr *w, const struct gw_dns_query *q, unsigned rcode, uint16_t an)
{
	uint16_t flags = F_QR | F_RA | (uint16_t)(q->opcode << 11) | (uint16_t)(rcode & 0xf);
	if (q->rd)
		flags |= F_RD;
	if (q->cd)
		flags |= F_CD;
	wr_u16(w, q->id);
	wr_u16(w, flags);
	wr_u16(w, q->question_len ? 1 : 0);
	wr_u16(w, an);
	wr_u16(w, 0);
	wr_u16(w, q->edns ? 1 : 0);
	wr_bytes(w, q->question, q->question_len);
}

/* RFC 6891 6.1: root owner, our payload size as CLASS, extended rcode,
 * version 0 and DO in the TTL, no options. */
static void wr_opt(struct wr *w, const struct gw_dns_query *q, unsigned rcode)
{
	uint8_t root = 0;
	wr_bytes(w, &root, 1);
	wr_u16(w, GW_DNS_TYPE_OPT);
	wr_u16(w, GW_DNS_EDNS_PAYLOAD);
	wr_u32(w, (uint32_t)(rcode >> 4) << 24 | (q->edns_do ? EDNS_DO : 0));
	wr_u16(w, 0);
}

static int finish(const struct wr *w)
{
	return w->full ? -ENOBUFS : (int)w->len;
}

int dnsmsg_answer_a(const struct gw_dns_query *q, struct in_addr ip, uint32_t ttl, uint8_t *out,
		    size_t cap)
{
	struct wr w = { out, cap, 0, false };
	if (!q->question_len)
		return -EINVAL;
	wr_header(&w, q, GW_DNS_NOERROR, 1);
	wr_u16(&w, 0xc000 | GW_DNS_HEADER_LEN);  /* the question's QNAME */
	wr_u16(&w, GW_DNS_TYPE_A);
	wr_u16(&w, GW_DNS_CLASS_IN);
	wr_u32(&w, ttl);
	wr_u16(&w, 4);
	wr_bytes(&w, &ip.s_addr, 4);  /* already in network order */
	if (q->edns)
		wr_opt(&w, q, GW_DNS_NOERROR);
	return finish(&w);
}

int dnsmsg_answer_empty(const struct gw_dns_query *q, enum gw_dns_rcode rcode, uint8_t *out,
			size_t cap)
{
	struct wr w = { out, cap, 0, false };
	if ((unsigned)rcode > 0xfff || ((unsigned)rcode > 0xf && !q->edns))
		return -EINVAL;
	wr_header(&w, q, rcode, 0);
	if (q->edns)
		wr_opt(&w, q, rcode);
	return finish(&w);
}

void dnsmsg_tcp_init(struct gw_dns_tcp *t)
{
	t->start = 0;
	t->len = 0;
}

size_t dnsmsg_tcp_feed(struct gw_dns_tcp *t, const void *data, size_t n)
{
	/* Move what is left to the front: at most one partial frame, so the
	 * room after it is what a whole frame could still need. */
	if (t->start) {
		memmove(t->buf, t->buf + t->start, t->len);
		t->start = 0;
	}
	size_t room = sizeof t->buf - t->len;
	size_t take = n < room ? n : room;
	memcpy(t->buf + t->len, data, take);
	t->len += take;
	return take;
}

bool dnsmsg_tcp_next(struct gw_dns_tcp *t, const uint8_t **msg, size_t *len)
{
	const uint8_t *p = t->buf + t->start;
	if (t->len < 2)
		return false;
	size_t l = (size_t)p[0] << 8 | p[1];
	if (t->len - 2 < l)
		return false;
	*msg = p + 2;
	*len = l;
	t->start += 2 + l;
	t->len -= 2 + l;
	return true;
}
