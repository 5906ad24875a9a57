/* domain.c: see domain.h.  Punycode per RFC 3492 (encoding only: names
 * are converted to the form DNS carries, never back). */
#include "domain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 63
#define MAX_CODEPOINTS LABEL_MAX  /* a longer label cannot fit in 63 bytes */

/* RFC 3492 section 5 parameters. */
enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700,
       PC_INITIAL_BIAS = 72, PC_INITIAL_N = 128 };

/* Decode one UTF-8 sequence at s[0..left); returns its length, or 0 when
 * malformed (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n;
	uint32_t min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, *cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, *cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static char pc_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint32_t pc_adapt(uint32_t delta, uint32_t points, bool first)
{
	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	uint32_t k = 0;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

struct outbuf {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 >= o->cap) {
		o->full = true;
		return;
	}
	o->p[o->len++] = c;
}

/* Append the A-label of cps[0..n) (which has a non-ASCII point). */
static int punycode(const uint32_t *cps, size_t n, struct outbuf *o)
{
	static const char prefix[] = "xn--";
	for (const char *c = prefix; *c; c++)
		put(o, *c);
	size_t basic = 0;
	for (size_t i = 0; i < n; i++)
		if (cps[i] < 0x80) {
			put(o, (char)cps[i]);
			basic++;
		}
	if (basic)
		put(o, '-');
	uint32_t next = PC_INITIAL_N, delta = 0, bias = PC_INITIAL_BIAS;
	for (size_t h = basic; h < n;) {
		uint32_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (cps[i] >= next && cps[i] < m)
				m = cps[i];
		/* At most 63 points below U+110000: no overflow is possible,
		 * but the bound is what makes that so. */
		delta += (m - next) * (uint32_t)(h + 1);
		next = m;
		for (size_t i = 0; i < n; i++) {
			if (cps[i] < next)
				delta++;
			if (cps[i] != next)
				continue;
			uint32_t q = delta;
			for (uint32_t k = PC_BASE;; k += PC_BASE) {
				uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
				if (q < t)
					break;
				put(o, pc_digit(t + (q - t) % (PC_BASE - t)));
				q = (q - t) / (PC_BASE - t);
			}
			put(o, pc_digit(q));
			bias = pc_adapt(delta, (uint32_t)(h + 1), h == basic);
			delta = 0;
			h++;
		}
		delta++;
		next++;
	}
	return o->full ? -E2BIG : 0;
}

static bool ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Normalise one label s[0..len) onto o. */
static int label(const unsigned char *s, size_t len, struct outbuf *o, const char **why)
{
	uint32_t cps[MAX_CODEPOINTS];
	size_t n = 0;
	bool ascii = true;
	if (len == 0)
		return *why = "empty label", -EINVAL;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, len - i, &cp);
		if (!k)
			return *why = "invalid UTF-8", -EINVAL;
		if (n == MAX_CODEPOINTS)
			return *why = "label longer than 63 bytes", -EINVAL;
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		if (cp < 0x80 && !ldh((unsigned char)cp))
			return *why = "only letters, digits, '-' and '_' are allowed in a name", -EINVAL;
		if (cp >= 0x80)
			ascii = false;
		cps[n++] = cp;
		i += k;
	}
	size_t start = o->len;
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			put(o, (char)cps[i]);
	} else if (punycode(cps, n, o) < 0) {
		return *why = "name longer than 253 bytes", -EINVAL;
	}
	if (o->full)
		return *why = "name longer than 253 bytes", -EINVAL;
	size_t l = o->len - start;
	if (l > LABEL_MAX)
		return *why = "label longer than 63 bytes", -EINVAL;
	if (o->p[start] == '-' || o->p[o->len - 1] == '-')
		return *why = "a label may not start or end with '-'", -EINVAL;
	return 0;
}

int domain_normalize(const char *in, size_t len, char *out, size_t cap, const char **why)
{
	*why = NULL;
	if (cap < GW_DOMAIN_MAX + 1)
		return *why = "buffer too small", -EINVAL;
	/* One trailing dot is the fully qualified spelling of the same name. */
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		return *why = "empty name", -EINVAL;
	struct outbuf o = { out, 0, GW_DOMAIN_MAX + 1, false };
	const unsigned char *s = (const unsigned char *)in;
	for (size_t i = 0; i <= len;) {
		const unsigned char *dot = memchr(s + i, '.', len - i);
		size_t l = dot ? (size_t)(dot - (s + i)) : len - i;
		if (o.len)
			put(&o, '.');
		int r = label(s + i, l, &o, why);
		if (r < 0)
			return r;
		i += l + 1;
	}
	if (o.full)
		return *why = "name longer than 253 bytes", -EINVAL;
	out[o.len] = '\0';
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	if (!*s || strlen(s) > 5)
		return -EINVAL;
	unsigned long v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "1.2.3.4", "1.2.3.4:443", "[::1]", "[::1]:443": an address rule, kept
 * as the address's canonical text (inet_ntop), which is how the proxy
 * formats a destination address before it compares.  -ENOENT when text
 * is not an address at all (then it is a name pattern). */
static int parse_addr_pattern(const char *text, struct gw_domain_pattern *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	int family = AF_INET;
	size_t len;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end)
			return *why = "an IPv6 address needs its closing ']'", -EINVAL;
		if (end[1] && end[1] != ':')
			return *why = "only \":PORT\" may follow an IPv6 address", -EINVAL;
		port = end[1] ? end + 2 : NULL;
		text++;
		len = (size_t)(end - text);
		family = AF_INET6;
	} else {
		const char *colon = strchr(text, ':');
		len = colon ? (size_t)(colon - text) : strlen(text);
		port = colon ? colon + 1 : NULL;
	}
	if (len >= sizeof host)
		return family == AF_INET6 ? (*why = "not an IPv6 address", -EINVAL) : -ENOENT;
	memcpy(host, text, len);
	host[len] = '\0';
	unsigned char bin[sizeof(struct in6_addr)];
	if (inet_pton(family, host, bin) != 1)
		return family == AF_INET6 ? (*why = "not an IPv6 address", -EINVAL) : -ENOENT;
	if (port && parse_port(port, &out->port) < 0)
		return *why = "the port must be a number from 1 to 65535", -EINVAL;
	if (!inet_ntop(family, bin, out->base, sizeof out->base))
		return *why = "not an address", -EINVAL;
	out->addr = true;
	return 0;
}

int domain_pattern_parse(const char *text, struct gw_domain_pattern *out, const char **why)
{
	*out = (struct gw_domain_pattern){ 0 };
	*why = NULL;
	if (strcmp(text, "*") == 0)
		return *why = "\"*\" would allow every name; list the domains", -EINVAL;
	int r = parse_addr_pattern(text, out, why);
	if (r != -ENOENT)
		return r;
	const char *name = text;
	if (strncmp(name, "*.", 2) == 0) {
		out->wildcard = true;
		name += 2;
	}
	const char *colon = strrchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);
	if (colon && parse_port(colon + 1, &out->port) < 0)
		return *why = "the port must be a number from 1 to 65535", -EINVAL;
	if (memchr(name, '*', len))
		return *why = "'*' is only allowed as a leading \"*.\"", -EINVAL;
	r = domain_normalize(name, len, out->base, sizeof out->base, why);
	if (r < 0)
		return r;
	struct in_addr v4;
	if (out->wildcard && inet_pton(AF_INET, out->base, &v4) == 1)
		return *why = "a wildcard cannot cover an IP address", -EINVAL;
	if (out->wildcard && !strchr(out->base, '.'))
		return *why = "a wildcard over a top-level domain is too broad", -EINVAL;
	return 0;
}

bool domain_pattern_match(const struct gw_domain_pattern *p, const char *name, uint16_t port)
{
	if (p->port && p->port != port)
		return false;
	if (!p->wildcard)
		return strcmp(name, p->base) == 0;
	size_t nl = strlen(name), bl = strlen(p->base);
	/* A strict subdomain: something, a dot, then exactly the base. */
	return nl > bl + 1 && name[nl - bl - 1] == '.' && strcmp(name + nl - bl, p->base) == 0;
}

static const struct gw_domain_pattern *first_match(const struct gw_domain_pattern *v, size_t n,
						   const char *name, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (domain_pattern_match(&v[i], name, port))
			return &v[i];
	return NULL;
}

enum gw_domain_verdict domain_decide(const struct gw_domain_policy *p, const char *name,
				     uint16_t port, const struct gw_domain_pattern **rule)
{
	const struct gw_domain_pattern *m = first_match(p->deny, p->n_deny, name, port);
	enum gw_domain_verdict v = GW_DOMAIN_DENIED;
	if (!m) {
		m = first_match(p->allow, p->n_allow, name, port);
		v = m ? GW_DOMAIN_ALLOWED : GW_DOMAIN_NOT_LISTED;
	}
	if (rule)
		*rule = m;
	return v;
}
