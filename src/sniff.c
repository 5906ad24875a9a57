/* sniff.c: see sniff.h.
 *
 * A ClientHello may be split over several handshake records (TLS 1.3
 * hellos with large key shares are), so the records' payloads are first
 * joined into one buffer, then the hello is read with a bounded cursor. */
#include "sniff.h"

#include <errno.h>
#include <string.h>

#define REC_HANDSHAKE 22
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define SNI_HOST_NAME 0

/* A read-only window with a position; every take fails once it would
 * cross the end. */
struct cur {
	const uint8_t *p;
	size_t len, pos;
};

static bool take(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->len - c->pos < n)
		return false;
	if (out)
		*out = c->p + c->pos;
	c->pos += n;
	return true;
}

static bool u8(struct cur *c, size_t *v)
{
	const uint8_t *b;
	if (!take(c, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool u16(struct cur *c, size_t *v)
{
	const uint8_t *b;
	if (!take(c, 2, &b))
		return false;
	*v = (size_t)b[0] << 8 | b[1];
	return true;
}

/* A sub-window of n bytes, advancing c past it. */
static bool sub(struct cur *c, size_t n, struct cur *out)
{
	const uint8_t *b;
	if (!take(c, n, &b))
		return false;
	*out = (struct cur){ .p = b, .len = n };
	return true;
}

bool sniff_looks_tls(const uint8_t *buf, size_t len)
{
	return len >= 1 && buf[0] == REC_HANDSHAKE && (len < 2 || buf[1] < 0x10);
}

/* A record header, or the part of one that has come (n < 5 bytes). */
static bool record_ok(const uint8_t *r, size_t n)
{
	return (n < 1 || r[0] == REC_HANDSHAKE) && (n < 2 || r[1] == 3);
}

/* Join the handshake records' payloads into hs (cap GW_SNIFF_MAX).
 * Returns 1 when the handshake message is complete (*hs_len its length
 * with header), 0 when more bytes are needed, or -errno.  A record is
 * used only when it is whole, but its header and the handshake header are
 * checked as soon as they come, and -E2BIG is returned as soon as the
 * lengths show that the hello would need more than GW_SNIFF_MAX bytes on
 * the wire (its record headers count). */
static int join_records(const uint8_t *buf, size_t len, uint8_t *hs, size_t *hs_len)
{
	size_t have = 0, pos = 0;
	for (;;) {
		const uint8_t *r = buf + pos;
		if (len - pos < 5)
			return record_ok(r, len - pos) ? 0 : -EPROTO;
		size_t rlen = (size_t)r[3] << 8 | r[4];
		if (!record_ok(r, 5) || rlen == 0 || rlen > 16384)
			return -EPROTO;
		size_t end = pos + 5 + rlen; /* of this record on the wire */
		if (end > GW_SNIFF_MAX)
			return -E2BIG;
		/* have <= pos and end <= GW_SNIFF_MAX: hs has room for all
		 * of this record. */
		size_t got = len - pos - 5 < rlen ? len - pos - 5 : rlen;
		memcpy(hs + have, r + 5, got);
		got += have;
		if (got >= 1 && hs[0] != HS_CLIENT_HELLO)
			return -EPROTO;
		size_t need = 0;
		if (got >= 4) {
			need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			/* What is not in this record needs another one. */
			if (need > have + rlen && end + 5 + (need - have - rlen) > GW_SNIFF_MAX)
				return -E2BIG;
		}
		if (got < have + rlen)
			return 0;
		have = got;
		pos = end;
		if (need && have >= need) {
			*hs_len = need;
			return 1;
		}
	}
}

/* The server_name extension's body: one host_name entry. */
static int read_sni(struct cur ext, char *name, size_t cap)
{
	size_t list_len, type, nlen;
	struct cur list;
	const uint8_t *n;
	if (!u16(&ext, &list_len) || !sub(&ext, list_len, &list) || ext.pos != ext.len)
		return -EPROTO;
	if (!u8(&list, &type) || type != SNI_HOST_NAME || !u16(&list, &nlen) || !take(&list, nlen, &n))
		return -EPROTO;
	/* RFC 6066 allows one name per type, and host_name is the only type. */
	if (list.pos != list.len || nlen == 0 || nlen > GW_SNIFF_NAME_MAX || nlen >= cap ||
	    memchr(n, '\0', nlen))
		return -EPROTO;
	memcpy(name, n, nlen);
	name[nlen] = '\0';
	return 1;
}

static int read_hello(struct cur *h, char *name, size_t cap)
{
	size_t v, n;
	struct cur exts;
	if (!u16(h, &v) || (v >> 8) != 3 || !take(h, 32, NULL)) /* version, random */
		return -EPROTO;
	if (!u8(h, &n) || n > 32 || !take(h, n, NULL))            /* session id */
		return -EPROTO;
	if (!u16(h, &n) || n < 2 || n % 2 || !take(h, n, NULL))   /* cipher suites */
		return -EPROTO;
	if (!u8(h, &n) || n < 1 || !take(h, n, NULL))             /* compression */
		return -EPROTO;
	if (h->pos == h->len)
		return -ENOENT; /* no extensions at all */
	if (!u16(h, &n) || !sub(h, n, &exts) || h->pos != h->len)
		return -EPROTO;
	int found = -ENOENT;
	while (exts.pos < exts.len) {
		size_t type, elen;
		struct cur body;
		if (!u16(&exts, &type) || !u16(&exts, &elen) || !sub(&exts, elen, &body))
			return -EPROTO;
		if (type != EXT_SERVER_NAME)
			continue;
		if (found == 1)
			return -EPROTO; /* two server_name extensions */
		found = read_sni(body, name, cap);
		if (found < 0)
			return found;
	}
	return found;
}

int sniff_tls_sni(const uint8_t *buf, size_t len, char *name, size_t cap)
{
	uint8_t hs[GW_SNIFF_MAX];
	size_t hs_len = 0;
	int r = join_records(buf, len, hs, &hs_len);
	if (r <= 0)
		return r;
	struct cur h = { .p = hs + 4, .len = hs_len - 4 };
	return read_hello(&h, name, cap);
}

/* ---- the first bytes of other protocols (see sniff.h) ---- */

static bool is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A "no" would let a request through with its Host unchecked, hence the
 * leaning towards "yes".  Binary data fails within a few bytes: a target
 * is printable ASCII. */
int sniff_looks_http(const uint8_t *buf, size_t len, size_t max)
{
	static const char version[] = "HTTP/1.";
	/* Servers skip empty lines before a request (RFC 9112 2.2); what
	 * follows them decides, and the framer refuses the empty lines. */
	for (int k = 0; k < 4 && len >= 2 && buf[0] == '\r' && buf[1] == '\n'; k++) {
		buf += 2;
		len -= 2;
	}
	if (len == 0 || (len == 1 && buf[0] == '\r'))
		return 0; /* only empty lines so far: what comes next decides */
	size_t i = 0;
	while (i < len && i <= 32 && is_tchar(buf[i]))
		i++;
	if (i == 0 || i > 32)
		return -1;
	if (i == len)
		return 0;
	if (buf[i] != ' ')
		return -1;
	size_t j = i + 1;
	while (j < len && buf[j] > ' ' && buf[j] < 0x7f)
		j++;
	if (j == len)
		return len < max ? 0 : 1;
	if (buf[j] != ' ' || j == i + 1)
		return -1;
	size_t have = len - j - 1, want = sizeof version - 1;
	if (memcmp(buf + j + 1, version, have < want ? have : want) != 0)
		return -1;
	return have < want ? 0 : 1;
}

/* TLS records that no client sends first (alert, change_cipher_spec,
 * application data) and SSLv2-style hellos: some servers accept them
 * before a ClientHello whose name would then go unchecked. */
bool sniff_odd_tls_start(const uint8_t *b, size_t len)
{
	if (len >= 2 && (b[0] == 20 || b[0] == 21 || b[0] == 23) && b[1] == 3)
		return true;
	return len >= 5 && (b[0] & 0x80) && b[2] == 1 && (b[3] == 0 || b[3] == 3) && b[4] <= 4;
}
