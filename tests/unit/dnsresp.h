/* dnsresp.h: a strict reader of the answers dnsmsg.c builds, written apart
 * from it (test-dnsmsg and fuzz-dnsmsg check one against the other).
 *
 * Accepts only what our answers may contain: a header with QR=1, at most
 * one question, at most one A record (owner: a pointer to the question's
 * name, 0xc00c), at most one OPT record, and nothing after them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dnsresp {
	uint16_t id, flags;
	uint16_t qd, an, ns, ar;
	const uint8_t *question;   /* into the message */
	size_t question_len;
	bool has_a;
	uint32_t a_ttl;
	uint8_t a_addr[4];
	bool has_opt;
	uint16_t opt_payload;
	uint32_t opt_ttl;          /* extended rcode, version, DO */
};

static inline unsigned dnsresp_rcode(const struct dnsresp *r)
{
	return (r->flags & 0xf) | (r->has_opt ? (r->opt_ttl >> 24) << 4 : 0);
}

static inline bool dnsresp_u16(const uint8_t *m, size_t len, size_t *at, uint16_t *v)
{
	if (len - *at < 2)
		return false;
	*v = (uint16_t)(m[*at] << 8 | m[*at + 1]);
	*at += 2;
	return true;
}

static inline bool dnsresp_u32(const uint8_t *m, size_t len, size_t *at, uint32_t *v)
{
	uint16_t hi, lo;
	if (!dnsresp_u16(m, len, at, &hi) || !dnsresp_u16(m, len, at, &lo))
		return false;
	*v = (uint32_t)hi << 16 | lo;
	return true;
}

/* An uncompressed name of at most 255 bytes. */
static inline bool dnsresp_name(const uint8_t *m, size_t len, size_t *at)
{
	size_t start = *at;
	for (;;) {
		if (*at >= len)
			return false;
		uint8_t l = m[(*at)++];
		if (l == 0)
			return *at - start <= 255;
		if (l > 63 || len - *at < l)
			return false;
		*at += l;
	}
}

static inline bool dnsresp_a(const uint8_t *m, size_t len, size_t *at, struct dnsresp *r)
{
	uint16_t owner, type, cls, rdlen;
	if (!dnsresp_u16(m, len, at, &owner) || owner != 0xc00c)
		return false;
	if (!dnsresp_u16(m, len, at, &type) || !dnsresp_u16(m, len, at, &cls) ||
	    !dnsresp_u32(m, len, at, &r->a_ttl) || !dnsresp_u16(m, len, at, &rdlen))
		return false;
	if (type != 1 || cls != 1 || rdlen != 4 || len - *at < 4)
		return false;
	memcpy(r->a_addr, m + *at, 4);
	*at += 4;
	return r->has_a = true;
}

static inline bool dnsresp_opt(const uint8_t *m, size_t len, size_t *at, struct dnsresp *r)
{
	uint16_t type, rdlen;
	if (*at >= len || m[(*at)++] != 0)
		return false;
	if (!dnsresp_u16(m, len, at, &type) || type != 41 ||
	    !dnsresp_u16(m, len, at, &r->opt_payload) || !dnsresp_u32(m, len, at, &r->opt_ttl) ||
	    !dnsresp_u16(m, len, at, &rdlen) || rdlen != 0)
		return false;
	return r->has_opt = true;
}

/* Returns true when m[0..len) is such an answer, filling *r. */
static inline bool dnsresp_parse(const uint8_t *m, size_t len, struct dnsresp *r)
{
	size_t at = 0;
	memset(r, 0, sizeof *r);
	if (!dnsresp_u16(m, len, &at, &r->id) || !dnsresp_u16(m, len, &at, &r->flags) ||
	    !dnsresp_u16(m, len, &at, &r->qd) || !dnsresp_u16(m, len, &at, &r->an) ||
	    !dnsresp_u16(m, len, &at, &r->ns) || !dnsresp_u16(m, len, &at, &r->ar))
		return false;
	if (!(r->flags & 0x8000) || r->qd > 1 || r->an > 1 || r->ns || r->ar > 1)
		return false;
	if (r->an && !r->qd)
		return false;
	if (r->qd) {
		r->question = m + at;
		if (!dnsresp_name(m, len, &at) || len - at < 4)
			return false;
		at += 4;
		r->question_len = (size_t)(m + at - r->question);
	}
	if (r->an && !dnsresp_a(m, len, &at, r))
		return false;
	if (r->ar && !dnsresp_opt(m, len, &at, r))
		return false;
	return at == len;
}
