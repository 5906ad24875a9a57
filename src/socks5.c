/* socks5.c: see socks5.h.  RFC 1928 (SOCKS5) and RFC 1929 (username /
 * password authentication). */
#include "socks5.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#define SOCKS_VER 5
#define AUTH_VER 1   /* RFC 1929's own version byte, not SOCKS_VER */
#define CMD_CONNECT 1

enum {
	METHOD_NONE = 0x00,
	METHOD_USERPASS = 0x02,
	METHOD_UNACCEPTABLE = 0xff,
};

enum { SRV_GREETING, SRV_AUTH, SRV_REQUEST, SRV_FINISHED };
enum { CLI_METHOD, CLI_AUTH, CLI_REPLY, CLI_FINISHED };

/* The message lengths the buffers must hold. */
#define AUTH_MSG_MAX (3 + 2 * GW_SOCKS5_CRED_MAX)
#define ADDR_MSG_MAX (4 + 1 + GW_SOCKS5_NAME_MAX + 2)  /* request, reply */
_Static_assert(sizeof(((struct gw_socks5_srv *)0)->buf) >= AUTH_MSG_MAX, "server buffer");
_Static_assert(sizeof(((struct gw_socks5_cli *)0)->buf) >= ADDR_MSG_MAX, "client buffer");
/* Server: method selection, authentication status, a 10-byte refusal. */
_Static_assert(GW_SOCKS5_SRV_OUT_MAX >= 2 + 2 + 10, "server output");
_Static_assert(GW_SOCKS5_CLI_OUT_MAX >= AUTH_MSG_MAX + ADDR_MSG_MAX, "client output");

/* Output of one feed: the callers' buffers are sized (GW_SOCKS5_*_OUT_MAX)
 * for everything one feed can queue, so appending cannot fail. */
struct out {
	uint8_t *p;
	size_t len;
};

static void put(struct out *o, const void *b, size_t n)
{
	memcpy(o->p + o->len, b, n);
	o->len += n;
}

static void put2(struct out *o, uint8_t a, uint8_t b)
{
	const uint8_t m[2] = { a, b };
	put(o, m, 2);
}

/* ---- Credentials and targets ---- */

int socks5_cred_init(struct gw_socks5_cred *c, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);

	if (ul == 0 || ul > GW_SOCKS5_CRED_MAX || pl == 0 || pl > GW_SOCKS5_CRED_MAX)
		return -EINVAL;
	memset(c, 0, sizeof *c);
	memcpy(c->user, user, ul);
	memcpy(c->pass, pass, pl);
	c->user_len = (uint8_t)ul;
	c->pass_len = (uint8_t)pl;
	return 0;
}

/* Does the received field f[0..n) equal the zero-padded `want` of length
 * want_len?  Always reads the full 255 bytes and never branches on the
 * data, so the time taken tells a local attacker nothing about how much
 * of a guess was right. */
static unsigned field_diff(const uint8_t *f, size_t n, const uint8_t *want, uint8_t want_len)
{
	uint8_t padded[GW_SOCKS5_CRED_MAX] = { 0 };
	unsigned diff = (unsigned)n ^ want_len;

	memcpy(padded, f, n);
	for (size_t i = 0; i < GW_SOCKS5_CRED_MAX; i++)
		diff |= padded[i] ^ want[i];
	explicit_bzero(padded, sizeof padded);
	return diff;
}

int socks5_target_name(struct gw_socks5_target *t, const char *name, uint16_t port)
{
	size_t n = strlen(name);

	if (n == 0 || n > GW_SOCKS5_NAME_MAX || port == 0)
		return -EINVAL;
	memset(t, 0, sizeof *t);
	t->atyp = GW_SOCKS5_ATYP_DOMAIN;
	t->port = port;
	t->name_len = n;
	memcpy(t->name, name, n + 1);
	return 0;
}

/* Like socks5_target_addr() but port 0 is fine: a reply's BND.PORT. */
static int target_from_sockaddr(struct gw_socks5_target *t, const struct sockaddr *sa)
{
	memset(t, 0, sizeof *t);
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		t->atyp = GW_SOCKS5_ATYP_IPV4;
		t->port = ntohs(in.sin_port);
		memcpy(&t->addr, &in, sizeof in);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof in6);
		t->atyp = GW_SOCKS5_ATYP_IPV6;
		t->port = ntohs(in6.sin6_port);
		memcpy(&t->addr, &in6, sizeof in6);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int socks5_target_addr(struct gw_socks5_target *t, const struct sockaddr *sa)
{
	int r = target_from_sockaddr(t, sa);

	if (r < 0)
		return r;
	return t->port ? 0 : -EINVAL;
}

/* ATYP, address and port of t as they go on the wire; returns the length
 * written to p (at most 1 + 1 + 255 + 2). */
static size_t encode_addr(const struct gw_socks5_target *t, uint8_t *p)
{
	size_t n = 0;

	p[n++] = t->atyp;
	if (t->atyp == GW_SOCKS5_ATYP_IPV4) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&t->addr;
		memcpy(p + n, &in->sin_addr, 4);
		n += 4;
	} else if (t->atyp == GW_SOCKS5_ATYP_IPV6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&t->addr;
		memcpy(p + n, &in6->sin6_addr, 16);
		n += 16;
	} else {
		p[n++] = (uint8_t)t->name_len;
		memcpy(p + n, t->name, t->name_len);
		n += t->name_len;
	}
	p[n++] = (uint8_t)(t->port >> 8);
	p[n++] = (uint8_t)t->port;
	return n;
}

/* Bytes of the address that starts (with ATYP) at p[0], as far as the
 * `have` bytes there tell; 0 for an unknown address type. */
static size_t addr_len(const uint8_t *p, size_t have)
{
	switch (p[0]) {
	case GW_SOCKS5_ATYP_IPV4:
		return 1 + 4 + 2;
	case GW_SOCKS5_ATYP_IPV6:
		return 1 + 16 + 2;
	case GW_SOCKS5_ATYP_DOMAIN:
		return have < 2 ? 2 : 1 + 1 + (size_t)p[1] + 2;
	default:
		return 0;
	}
}

/* Decode a complete address (addr_len() bytes at p) into *t. */
static void decode_addr(const uint8_t *p, struct gw_socks5_target *t)
{
	const uint8_t *port;

	memset(t, 0, sizeof *t);
	t->atyp = p[0];
	if (t->atyp == GW_SOCKS5_ATYP_IPV4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&t->addr;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, p + 1, 4);
		port = p + 1 + 4;
		t->port = (uint16_t)(port[0] << 8 | port[1]);
		in->sin_port = htons(t->port);
	} else if (t->atyp == GW_SOCKS5_ATYP_IPV6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->addr;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, p + 1, 16);
		port = p + 1 + 16;
		t->port = (uint16_t)(port[0] << 8 | port[1]);
		in6->sin6_port = htons(t->port);
	} else {
		t->name_len = p[1];
		memcpy(t->name, p + 2, t->name_len);
		t->name[t->name_len] = '\0';
		port = p + 2 + t->name_len;
		t->port = (uint16_t)(port[0] << 8 | port[1]);
	}
}

/* ---- Replies and error codes ---- */

int socks5_reply(uint8_t rep, const struct sockaddr *bound, uint8_t *out, size_t cap)
{
	struct gw_socks5_target t = { .atyp = GW_SOCKS5_ATYP_IPV4 };
	uint8_t buf[GW_SOCKS5_REPLY_MAX];
	size_t n = 0;

	t.addr.ss_family = AF_INET;  /* 0.0.0.0:0 */
	if (bound) {
		int r = target_from_sockaddr(&t, bound);
		if (r < 0)
			return r;
	}
	buf[n++] = SOCKS_VER;
	buf[n++] = rep;
	buf[n++] = 0;  /* RSV */
	n += encode_addr(&t, buf + n);
	if (n > cap)
		return -ENOBUFS;
	memcpy(out, buf, n);
	return (int)n;
}

uint8_t socks5_rep_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return GW_SOCKS5_REP_SUCCEEDED;
	case EACCES:
	case EPERM:
		return GW_SOCKS5_REP_NOT_ALLOWED;
	case ENETUNREACH:
	case ENETDOWN:
		return GW_SOCKS5_REP_NET_UNREACHABLE;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return GW_SOCKS5_REP_HOST_UNREACHABLE;
	case ECONNREFUSED:
		return GW_SOCKS5_REP_CONN_REFUSED;
	case ETIMEDOUT:
		return GW_SOCKS5_REP_TTL_EXPIRED;
	case EAFNOSUPPORT:
		return GW_SOCKS5_REP_ATYP_UNSUPPORTED;
	default:
		return GW_SOCKS5_REP_GENERAL_FAILURE;
	}
}

int socks5_errno_from_rep(uint8_t rep)
{
	static const int map[] = {
		[GW_SOCKS5_REP_SUCCEEDED] = 0,
		[GW_SOCKS5_REP_GENERAL_FAILURE] = ECONNABORTED,
		[GW_SOCKS5_REP_NOT_ALLOWED] = EACCES,
		[GW_SOCKS5_REP_NET_UNREACHABLE] = ENETUNREACH,
		[GW_SOCKS5_REP_HOST_UNREACHABLE] = EHOSTUNREACH,
		[GW_SOCKS5_REP_CONN_REFUSED] = ECONNREFUSED,
		[GW_SOCKS5_REP_TTL_EXPIRED] = ETIMEDOUT,
		[GW_SOCKS5_REP_CMD_UNSUPPORTED] = EOPNOTSUPP,
		[GW_SOCKS5_REP_ATYP_UNSUPPORTED] = EAFNOSUPPORT,
	};

	return rep < sizeof map / sizeof map[0] ? map[rep] : EPROTO;
}

/* ---- Server ----
 *
 * Each step looks at the buffered part of the current message.  It returns
 * the total length it needs to go on (more than s->have), 0 once the
 * message is complete and handled, or -errno after queuing the answer that
 * goes with the failure.  The driver calls it again only when s->have has
 * reached the length asked for, so the outcome never depends on how the
 * input was split, and no byte past the message is ever taken. */

/* "No acceptable methods": the client must close (RFC 1928 section 3). */
static int refuse_methods(struct out *o, int err)
{
	put2(o, SOCKS_VER, METHOD_UNACCEPTABLE);
	return err;
}

static int greeting_step(struct gw_socks5_srv *s, struct out *o)
{
	const uint8_t *b = s->buf;
	uint8_t want = s->cred ? METHOD_USERPASS : METHOD_NONE;

	if (s->have < 2)
		return 2;
	/* Not SOCKS5 (SOCKS4, HTTP, a port scan): no answer it would read. */
	if (b[0] != SOCKS_VER)
		return -EPROTO;
	if (b[1] == 0)
		return refuse_methods(o, -EPROTO);
	if (s->have < 2u + b[1])
		return 2 + b[1];
	if (!memchr(b + 2, want, b[1]))
		return refuse_methods(o, -EACCES);
	put2(o, SOCKS_VER, want);
	s->stage = s->cred ? SRV_AUTH : SRV_REQUEST;
	return 0;
}

/* RFC 1929: any non-zero status, after which the server closes. */
static int auth_failed(struct gw_socks5_srv *s, struct out *o, int err)
{
	explicit_bzero(s->buf, sizeof s->buf);
	put2(o, AUTH_VER, 1);
	return err;
}

static int auth_step(struct gw_socks5_srv *s, struct out *o)
{
	const uint8_t *b = s->buf;
	size_t ulen, plen;
	unsigned diff;

	if (s->have < 2)
		return 2;
	if (b[0] != AUTH_VER || b[1] == 0)
		return auth_failed(s, o, -EPROTO);
	ulen = b[1];
	if (s->have < 3 + ulen)
		return (int)(3 + ulen);
	plen = b[2 + ulen];
	if (plen == 0)
		return auth_failed(s, o, -EPROTO);
	if (s->have < 3 + ulen + plen)
		return (int)(3 + ulen + plen);
	/* Both fields compared in full whatever the first one gave. */
	diff = field_diff(b + 2, ulen, s->cred->user, s->cred->user_len) |
	       field_diff(b + 3 + ulen, plen, s->cred->pass, s->cred->pass_len);
	if (diff)
		return auth_failed(s, o, -EACCES);
	explicit_bzero(s->buf, sizeof s->buf);
	put2(o, AUTH_VER, 0);
	s->stage = SRV_REQUEST;
	return 0;
}

/* A failed request: REP with BND 0.0.0.0:0, then the server closes. */
static int refuse_request(struct out *o, uint8_t rep, int err)
{
	uint8_t r[GW_SOCKS5_REPLY_MAX];
	int n = socks5_reply(rep, NULL, r, sizeof r);

	put(o, r, (size_t)n);
	return err;
}

static int request_step(struct gw_socks5_srv *s, struct out *o)
{
	const uint8_t *b = s->buf;
	struct gw_socks5_target *t = &s->target;
	size_t alen;

	if (s->have < 4)
		return 4;
	if (b[0] != SOCKS_VER)
		return refuse_request(o, GW_SOCKS5_REP_GENERAL_FAILURE, -EPROTO);
	if (b[1] != CMD_CONNECT)
		return refuse_request(o, GW_SOCKS5_REP_CMD_UNSUPPORTED, -EOPNOTSUPP);
	if (b[2] != 0)
		return refuse_request(o, GW_SOCKS5_REP_GENERAL_FAILURE, -EPROTO);
	alen = addr_len(b + 3, s->have - 3);
	if (alen == 0)
		return refuse_request(o, GW_SOCKS5_REP_ATYP_UNSUPPORTED, -EAFNOSUPPORT);
	/* A name that cannot exist is answered like one that does not
	 * resolve: host unreachable.  An empty one is caught before its
	 * port arrives, so the refusal does not wait for it. */
	if (b[3] == GW_SOCKS5_ATYP_DOMAIN && s->have >= 5 && b[4] == 0)
		return refuse_request(o, GW_SOCKS5_REP_HOST_UNREACHABLE, -EINVAL);
	if (s->have < 3 + alen)
		return (int)(3 + alen);
	decode_addr(b + 3, t);
	/* A NUL would cut the name short in every C string it becomes:
	 * "allowed.example\0.evil.example" must not reach the policy. */
	if (t->atyp == GW_SOCKS5_ATYP_DOMAIN && memchr(t->name, 0, t->name_len))
		return refuse_request(o, GW_SOCKS5_REP_HOST_UNREACHABLE, -EINVAL);
	/* Nothing listens on port 0; say no rather than try. */
	if (t->port == 0)
		return refuse_request(o, GW_SOCKS5_REP_NOT_ALLOWED, -EINVAL);
	s->stage = SRV_FINISHED;
	return 0;
}

static int srv_step(struct gw_socks5_srv *s, struct out *o)
{
	switch (s->stage) {
	case SRV_GREETING:
		return greeting_step(s, o);
	case SRV_AUTH:
		return auth_step(s, o);
	default:
		return request_step(s, o);
	}
}

void socks5_srv_init(struct gw_socks5_srv *s, const struct gw_socks5_cred *cred)
{
	memset(s, 0, sizeof *s);
	s->cred = cred;
	s->stage = SRV_GREETING;
	s->result = GW_SOCKS5_MORE;
}

/* Copy up to need - *have bytes of in[*off..len) into buf; true when the
 * message reached `need` bytes. */
static bool fill(uint8_t *buf, size_t *have, size_t need, const uint8_t *in, size_t len,
		 size_t *off)
{
	size_t take = need - *have;

	if (take > len - *off)
		take = len - *off;
	if (take == 0)  /* in may be NULL when len is 0 */
		return false;
	memcpy(buf + *have, in + *off, take);
	*have += take;
	*off += take;
	return *have == need;
}

int socks5_srv_feed(struct gw_socks5_srv *s, const uint8_t *in, size_t len, size_t *consumed,
		    uint8_t out[static GW_SOCKS5_SRV_OUT_MAX], size_t *out_len)
{
	struct out o = { out, 0 };
	size_t off = 0;

	while (s->result == GW_SOCKS5_MORE) {
		int need = srv_step(s, &o);
		if (need < 0) {
			s->result = need;
		} else if (need == 0) {
			s->have = 0;
			if (s->stage == SRV_FINISHED)
				s->result = GW_SOCKS5_DONE;
		} else if (!fill(s->buf, &s->have, (size_t)need, in, len, &off)) {
			break;
		}
	}
	*consumed = off;
	*out_len = o.len;
	return s->result;
}

/* ---- Client ---- */

static void put_request(struct gw_socks5_cli *c, struct out *o)
{
	uint8_t m[ADDR_MSG_MAX] = { SOCKS_VER, CMD_CONNECT, 0 };

	put(o, m, 3 + encode_addr(&c->target, m + 3));
}

static void put_auth(struct gw_socks5_cli *c, struct out *o)
{
	const struct gw_socks5_cred *cr = c->cred;

	put2(o, AUTH_VER, cr->user_len);
	put(o, cr->user, cr->user_len);
	put(o, &cr->pass_len, 1);
	put(o, cr->pass, cr->pass_len);
}

static int method_step(struct gw_socks5_cli *c, struct out *o)
{
	const uint8_t *b = c->buf;

	if (c->have < 2)
		return 2;
	if (b[0] != SOCKS_VER)
		return -EPROTO;
	if (b[1] == METHOD_UNACCEPTABLE)
		return -EACCES;
	if (b[1] == METHOD_USERPASS && c->cred) {
		put_auth(c, o);
		c->stage = CLI_AUTH;
		return 0;
	}
	if (b[1] != METHOD_NONE)
		return -EPROTO;
	put_request(c, o);
	c->stage = CLI_REPLY;
	return 0;
}

static int cli_auth_step(struct gw_socks5_cli *c, struct out *o)
{
	if (c->have < 2)
		return 2;
	if (c->buf[0] != AUTH_VER)
		return -EPROTO;
	if (c->buf[1] != 0)
		return -EACCES;
	put_request(c, o);
	c->stage = CLI_REPLY;
	return 0;
}

/* RSV is not checked: it carries nothing, and a proxy that fills it in
 * has still answered. */
static int reply_step(struct gw_socks5_cli *c)
{
	const uint8_t *b = c->buf;
	size_t alen;

	if (c->have < 4)
		return 4;
	if (b[0] != SOCKS_VER)
		return -EPROTO;
	/* Decided on the header: some proxies close before (or instead of)
	 * sending a well-formed address after a failure. */
	if (b[1] != GW_SOCKS5_REP_SUCCEEDED)
		return -socks5_errno_from_rep(b[1]);
	alen = addr_len(b + 3, c->have - 3);
	if (alen == 0)
		return -EPROTO;
	if (c->have < 3 + alen)
		return (int)(3 + alen);
	decode_addr(b + 3, &c->bound);
	c->stage = CLI_FINISHED;
	return 0;
}

static int cli_step(struct gw_socks5_cli *c, struct out *o)
{
	switch (c->stage) {
	case CLI_METHOD:
		return method_step(c, o);
	case CLI_AUTH:
		return cli_auth_step(c, o);
	default:
		return reply_step(c);
	}
}

static bool target_sendable(const struct gw_socks5_target *t)
{
	if (t->port == 0)
		return false;
	if (t->atyp == GW_SOCKS5_ATYP_IPV4)
		return t->addr.ss_family == AF_INET;
	if (t->atyp == GW_SOCKS5_ATYP_IPV6)
		return t->addr.ss_family == AF_INET6;
	if (t->atyp != GW_SOCKS5_ATYP_DOMAIN)
		return false;
	return t->name_len >= 1 && t->name_len <= GW_SOCKS5_NAME_MAX &&
	       !memchr(t->name, 0, t->name_len);
}

int socks5_cli_start(struct gw_socks5_cli *c, const struct gw_socks5_cred *cred,
		     const struct gw_socks5_target *t, uint8_t out[static GW_SOCKS5_CLI_OUT_MAX],
		     size_t *out_len)
{
	struct out o = { out, 0 };

	*out_len = 0;
	if (!target_sendable(t))
		return -EINVAL;
	memset(c, 0, sizeof *c);
	c->cred = cred;
	c->target = *t;
	c->stage = CLI_METHOD;
	c->result = GW_SOCKS5_MORE;
	if (cred) {
		const uint8_t m[] = { SOCKS_VER, 2, METHOD_NONE, METHOD_USERPASS };
		put(&o, m, sizeof m);
	} else {
		const uint8_t m[] = { SOCKS_VER, 1, METHOD_NONE };
		put(&o, m, sizeof m);
	}
	*out_len = o.len;
	return 0;
}

int socks5_cli_feed(struct gw_socks5_cli *c, const uint8_t *in, size_t len, size_t *consumed,
		    uint8_t out[static GW_SOCKS5_CLI_OUT_MAX], size_t *out_len)
{
	struct out o = { out, 0 };
	size_t off = 0;

	while (c->result == GW_SOCKS5_MORE) {
		int need = cli_step(c, &o);
		if (need < 0) {
			c->result = need;
		} else if (need == 0) {
			c->have = 0;
			if (c->stage == CLI_FINISHED)
				c->result = GW_SOCKS5_DONE;
		} else if (!fill(c->buf, &c->have, (size_t)need, in, len, &off)) {
			break;
		}
	}
	*consumed = off;
	*out_len = o.len;
	return c->result;
}
