/* test-socks5.c: the SOCKS5 state machines (src/socks5.c) in memory.
 *
 * Byte-exact vectors for each stage of both sides, each fed whole, byte
 * by byte and in random chunks (the outcome must not change), and the two
 * sides talking to each other.  test-socks5-net.c tries them against real
 * peers (microsocks, curl). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "domain.h"
#include "socks5.h"
#include "tap.h"

/* An inline byte array and its length, as two arguments. */
#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

#define USER "gw-user"
#define PASS "s3cret-token"

static struct gw_socks5_cred cred;

/* ---- messages ---------------------------------------------------------- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void add(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void add_byte(struct msg *m, uint8_t c)
{
	add(m, &c, 1);
}

/* Greeting offering 0x02, then the right credential: what a client sends
 * before its request.  The server answers {5,2} {1,0}. */
static void add_login(struct msg *m)
{
	add(m, BYTES(5, 1, 2));
	add(m, BYTES(1, sizeof USER - 1));
	add(m, USER, sizeof USER - 1);
	add_byte(m, sizeof PASS - 1);
	add(m, PASS, sizeof PASS - 1);
}

static const uint8_t login_answer[] = { 5, 2, 1, 0 };

/* A CONNECT request for a name. */
static void add_connect_name(struct msg *m, const char *name, size_t len, uint16_t port)
{
	add(m, BYTES(5, 1, 0, 3));
	add_byte(m, (uint8_t)len);
	add(m, name, len);
	add(m, BYTES(port >> 8, port & 0xff));
}

/* ---- feeding in chunks ------------------------------------------------- */

/* Split modes: 0 whole, 1 byte by byte, others random chunks of 1..7
 * bytes from a per-mode seed. */
#define SPLIT_MODES 12

static size_t chunk(unsigned mode, uint32_t *rng, size_t left)
{
	size_t n;

	if (mode == 0)
		return left;
	if (mode == 1)
		return left ? 1 : 0;
	*rng = *rng * 1103515245u + 12345u;
	n = 1 + (*rng >> 16) % 7;
	return n < left ? n : left;
}

struct outcome {
	int r;
	size_t consumed;
	uint8_t out[2048];
	size_t out_len;
};

/* Feed in[0..len) to a fresh server as a caller would: in chunks, until a
 * result other than MORE; the server's outputs are concatenated. */
static void srv_run(struct gw_socks5_srv *s, const struct gw_socks5_cred *c, const uint8_t *in,
		    size_t len, unsigned mode, struct outcome *o)
{
	uint32_t rng = mode;

	socks5_srv_init(s, c);
	memset(o, 0, sizeof *o);
	o->r = GW_SOCKS5_MORE;
	while (o->r == GW_SOCKS5_MORE) {
		uint8_t out[GW_SOCKS5_SRV_OUT_MAX];
		size_t n = chunk(mode, &rng, len - o->consumed), used, out_len;
		o->r = socks5_srv_feed(s, in + o->consumed, n, &used, out, &out_len);
		if (o->r == GW_SOCKS5_MORE && used != n)
			TAP_FAIL("MORE after %zu of %zu bytes", used, n);
		ASSERT_TRUE(out_len <= GW_SOCKS5_SRV_OUT_MAX);
		memcpy(o->out + o->out_len, out, out_len);
		o->out_len += out_len;
		o->consumed += used;
		if (n == 0)
			break;
	}
}

static void assert_bytes(const uint8_t *exp, size_t exp_len, const uint8_t *got, size_t got_len)
{
	if (exp_len != got_len || (exp_len && memcmp(exp, got, exp_len) != 0)) {
		printf("#   got:");
		for (size_t i = 0; i < got_len; i++)
			printf(" %02x", got[i]);
		printf("\n");
		TAP_FAIL("expected %zu bytes, got %zu (or different ones)", exp_len, got_len);
	}
}

/* Every split of `in` must give result r, `consumed` bytes used and the
 * answer exp[0..exp_len); *s is left as the whole-input run left it. */
static void srv_expect(struct gw_socks5_srv *s, const struct gw_socks5_cred *c,
		       const uint8_t *in, size_t len, int r, size_t consumed,
		       const uint8_t *exp, size_t exp_len)
{
	struct outcome o;

	for (unsigned mode = SPLIT_MODES; mode-- > 0;) {
		srv_run(s, c, in, len, mode, &o);
		if (o.r != r || o.consumed != consumed)
			TAP_FAIL("split mode %u: result %d (want %d), consumed %zu (want %zu)", mode,
				 o.r, r, o.consumed, consumed);
		assert_bytes(exp, exp_len, o.out, o.out_len);
	}
}

/* The server's answer to add_login() and then a failed request. */
static void expect_refusal(const struct msg *m, int err, uint8_t rep)
{
	struct gw_socks5_srv s;
	struct msg exp = { .n = 0 };

	add(&exp, login_answer, sizeof login_answer);
	add(&exp, BYTES(5, rep, 0, 1, 0, 0, 0, 0, 0, 0));
	srv_expect(&s, &cred, m->b, m->n, err, m->n, exp.b, exp.n);
}

/* ---- server vectors ---------------------------------------------------- */

TEST(cred_init_limits)
{
	struct gw_socks5_cred c;
	char long_name[300];

	ASSERT_EQ(-EINVAL, socks5_cred_init(&c, "", "p"));
	ASSERT_EQ(-EINVAL, socks5_cred_init(&c, "u", ""));
	memset(long_name, 'a', 255);
	long_name[255] = '\0';
	ASSERT_EQ(0, socks5_cred_init(&c, long_name, long_name));
	ASSERT_EQ(255, c.user_len);
	long_name[255] = 'a';
	long_name[256] = '\0';
	ASSERT_EQ(-EINVAL, socks5_cred_init(&c, long_name, "p"));
	ASSERT_EQ(-EINVAL, socks5_cred_init(&c, "u", long_name));
}

TEST(srv_greeting)
{
	struct gw_socks5_srv s;
	uint8_t out[GW_SOCKS5_SRV_OUT_MAX];
	size_t used = 9, out_len = 9;

	/* Nothing yet (an empty read is not EOF to the state machine). */
	socks5_srv_init(&s, &cred);
	ASSERT_EQ(GW_SOCKS5_MORE, socks5_srv_feed(&s, NULL, 0, &used, out, &out_len));
	ASSERT_EQ(0, used);
	ASSERT_EQ(0, out_len);

	/* With a credential only 0x02 will do, wherever it is in the list. */
	srv_expect(&s, &cred, BYTES(5, 1, 2), GW_SOCKS5_MORE, 3, BYTES(5, 2));
	srv_expect(&s, &cred, BYTES(5, 3, 0, 1, 2), GW_SOCKS5_MORE, 5, BYTES(5, 2));
	/* Without one (standalone proxy, auth off), 0x00. */
	srv_expect(&s, NULL, BYTES(5, 1, 0), GW_SOCKS5_MORE, 3, BYTES(5, 0));
	srv_expect(&s, NULL, BYTES(5, 2, 2, 0), GW_SOCKS5_MORE, 4, BYTES(5, 0));
}

TEST(srv_greeting_refused)
{
	struct gw_socks5_srv s;
	struct msg all = { .n = 0 };

	/* N9: an unauthenticated probe gets "no acceptable methods". */
	srv_expect(&s, &cred, BYTES(5, 1, 0), -EACCES, 3, BYTES(5, 0xff));
	srv_expect(&s, &cred, BYTES(5, 2, 0, 1), -EACCES, 4, BYTES(5, 0xff));
	srv_expect(&s, NULL, BYTES(5, 1, 2), -EACCES, 3, BYTES(5, 0xff));
	srv_expect(&s, &cred, BYTES(5, 0), -EPROTO, 2, BYTES(5, 0xff));
	/* Not SOCKS5 at all: SOCKS4, HTTP.  No answer. */
	srv_expect(&s, &cred, BYTES(4, 1, 0, 80, 127, 0, 0, 1, 0), -EPROTO, 2, NULL, 0);
	srv_expect(&s, &cred, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, -EPROTO, 2, NULL, 0);
	/* 255 methods without 0x02. */
	add(&all, BYTES(5, 255));
	for (int i = 0; i < 255; i++)
		add_byte(&all, i == 2 ? 0x80 : (uint8_t)i);
	srv_expect(&s, &cred, all.b, all.n, -EACCES, 257, BYTES(5, 0xff));
	all.b[2 + 200] = 2;
	srv_expect(&s, &cred, all.b, all.n, GW_SOCKS5_MORE, 257, BYTES(5, 2));
}

TEST(srv_auth)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };

	add_login(&m);
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_MORE, m.n, login_answer, sizeof login_answer);
	/* The credential is not left in the connection's memory. */
	for (size_t i = 0; i < sizeof s.buf; i++)
		ASSERT_EQ(0, s.buf[i]);
}

/* Greeting, then the authentication bytes a[0..n). */
static void expect_auth_refused(const uint8_t *a, size_t n, int err, size_t consumed)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };

	add(&m, BYTES(5, 1, 2));
	add(&m, a, n);
	srv_expect(&s, &cred, m.b, m.n, err, 3 + consumed, BYTES(5, 2, 1, 1));
}

TEST(srv_auth_refused)
{
	/* Wrong password: same length, a prefix, longer, one bit off. */
	expect_auth_refused(BYTES(1, 7, 'g', 'w', '-', 'u', 's', 'e', 'r', 12, 's', '3', 'c', 'r',
				  'e', 't', '-', 't', 'o', 'k', 'e', 'X'), -EACCES, 22);
	expect_auth_refused(BYTES(1, 7, 'g', 'w', '-', 'u', 's', 'e', 'r', 2, 's', '3'), -EACCES, 12);
	expect_auth_refused(BYTES(1, 7, 'g', 'w', '-', 'u', 's', 'e', 'r', 13, 's', '3', 'c', 'r',
				  'e', 't', '-', 't', 'o', 'k', 'e', 'n', 0), -EACCES, 23);
	/* Wrong user with the right password. */
	expect_auth_refused(BYTES(1, 7, 'g', 'w', '-', 'u', 's', 'e', 's', 12, 's', '3', 'c', 'r',
				  'e', 't', '-', 't', 'o', 'k', 'e', 'n'), -EACCES, 22);
	/* The password in the user field and the other way round. */
	expect_auth_refused(BYTES(1, 12, 's', '3', 'c', 'r', 'e', 't', '-', 't', 'o', 'k', 'e',
				  'n', 7, 'g', 'w', '-', 'u', 's', 'e', 'r'), -EACCES, 22);
	/* Wrong subnegotiation version (5 is SOCKS's, not RFC 1929's). */
	expect_auth_refused(BYTES(5, 7, 'g', 'w'), -EPROTO, 2);
	expect_auth_refused(BYTES(0, 7, 'g', 'w'), -EPROTO, 2);
	/* ULEN 0, PLEN 0. */
	expect_auth_refused(BYTES(1, 0, 1, 'x'), -EPROTO, 2);
	expect_auth_refused(BYTES(1, 1, 'x', 0, 0), -EPROTO, 4);
}

TEST(srv_request_ipv4)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	const struct sockaddr_in *in = (const struct sockaddr_in *)&s.target.addr;

	add_login(&m);
	add(&m, BYTES(5, 1, 0, 1, 192, 0, 2, 7, 0x01, 0xbb));
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, m.n, login_answer, sizeof login_answer);
	ASSERT_EQ(GW_SOCKS5_ATYP_IPV4, s.target.atyp);
	ASSERT_EQ(443, s.target.port);
	ASSERT_EQ(AF_INET, in->sin_family);
	ASSERT_EQ(htons(443), in->sin_port);
	ASSERT_EQ(htonl(0xc0000207), in->sin_addr.s_addr);
}

TEST(srv_request_ipv6)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s.target.addr;
	struct in6_addr want;

	add_login(&m);
	add(&m, BYTES(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		      0xff, 0xff));
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, m.n, login_answer, sizeof login_answer);
	ASSERT_EQ(GW_SOCKS5_ATYP_IPV6, s.target.atyp);
	ASSERT_EQ(65535, s.target.port);
	ASSERT_EQ(AF_INET6, in6->sin6_family);
	ASSERT_EQ(htons(65535), in6->sin6_port);
	inet_pton(AF_INET6, "2001:db8::1", &want);
	ASSERT_EQ(0, memcmp(&want, &in6->sin6_addr, sizeof want));
}

TEST(srv_request_domain)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	char name[256], norm[GW_DOMAIN_MAX + 1];
	const char *why;

	/* Raw as sent: case and trailing dot are the caller's to normalise. */
	add_login(&m);
	add_connect_name(&m, "Example.COM.", 12, 80);
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, m.n, login_answer, sizeof login_answer);
	ASSERT_EQ(GW_SOCKS5_ATYP_DOMAIN, s.target.atyp);
	ASSERT_EQ(12, s.target.name_len);
	ASSERT_STREQ("Example.COM.", s.target.name);
	ASSERT_EQ(80, s.target.port);
	ASSERT_EQ(0, domain_normalize(s.target.name, s.target.name_len, norm, sizeof norm, &why));
	ASSERT_STREQ("example.com", norm);

	/* 255 bytes is the most the wire can carry, and it gets through
	 * (domain_normalize() then refuses it: over 253). */
	memset(name, 'a', 255);
	m.n = 0;
	add_login(&m);
	add_connect_name(&m, name, 255, 1);
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, m.n, login_answer, sizeof login_answer);
	ASSERT_EQ(255, s.target.name_len);
	ASSERT_EQ(255, strlen(s.target.name));
	ASSERT_EQ(1, s.target.port);
}

TEST(srv_request_no_auth)
{
	struct gw_socks5_srv s;

	srv_expect(&s, NULL, BYTES(5, 1, 0, 5, 1, 0, 3, 1, 'x', 0, 22), GW_SOCKS5_DONE, 11,
		   BYTES(5, 0));
	ASSERT_STREQ("x", s.target.name);
	ASSERT_EQ(22, s.target.port);
}

TEST(srv_pipelined_data_unconsumed)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	size_t end;

	/* Everything at once, a TLS ClientHello's start right behind the
	 * request: it belongs to the target. */
	add_login(&m);
	add_connect_name(&m, "example.com", 11, 443);
	end = m.n;
	add(&m, BYTES(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03));
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, end, login_answer, sizeof login_answer);

	/* The same behind IPv4 and IPv6 requests, and bytes that look like
	 * another request. */
	m.n = 0;
	add_login(&m);
	add(&m, BYTES(5, 1, 0, 1, 10, 0, 0, 1, 0, 80));
	end = m.n;
	add(&m, BYTES(5, 1, 0, 1, 10, 0, 0, 2, 0, 80));
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, end, login_answer, sizeof login_answer);
	m.n = end - 10;
	add(&m, BYTES(5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80));
	end = m.n;
	add(&m, "GET / HTTP/1.1\r\n", 16);
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, end, login_answer, sizeof login_answer);
}

TEST(srv_sticky)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	uint8_t out[GW_SOCKS5_SRV_OUT_MAX];
	size_t used = 99, out_len = 99;

	add_login(&m);
	add(&m, BYTES(5, 1, 0, 1, 10, 0, 0, 1, 0, 80));
	srv_expect(&s, &cred, m.b, m.n, GW_SOCKS5_DONE, m.n, login_answer, sizeof login_answer);
	ASSERT_EQ(GW_SOCKS5_DONE, socks5_srv_feed(&s, m.b, m.n, &used, out, &out_len));
	ASSERT_EQ(0, used);
	ASSERT_EQ(0, out_len);

	srv_expect(&s, &cred, BYTES(5, 1, 0), -EACCES, 3, BYTES(5, 0xff));
	ASSERT_EQ(-EACCES, socks5_srv_feed(&s, m.b, m.n, &used, out, &out_len));
	ASSERT_EQ(0, used);
	ASSERT_EQ(0, out_len);
}

TEST(srv_request_commands)
{
	struct msg m = { .n = 0 };

	/* BIND (2), UDP ASSOCIATE (3) and unassigned commands: REP 7, at
	 * once, without waiting for the address. */
	for (int cmd = 0; cmd < 256; cmd++) {
		if (cmd == 1)
			continue;
		m.n = 0;
		add_login(&m);
		add(&m, BYTES(5, (uint8_t)cmd, 0, 1));
		expect_refusal(&m, -EOPNOTSUPP, GW_SOCKS5_REP_CMD_UNSUPPORTED);
	}
}

TEST(srv_request_address_types)
{
	struct msg m = { .n = 0 };
	const uint8_t bad[] = { 0, 2, 5, 0xff };

	for (size_t i = 0; i < sizeof bad; i++) {
		m.n = 0;
		add_login(&m);
		add(&m, BYTES(5, 1, 0, bad[i]));
		expect_refusal(&m, -EAFNOSUPPORT, GW_SOCKS5_REP_ATYP_UNSUPPORTED);
	}
}

TEST(srv_request_bad_names)
{
	struct msg m = { .n = 0 };

	/* Empty: refused as soon as the length byte arrives. */
	add_login(&m);
	add(&m, BYTES(5, 1, 0, 3, 0));
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_HOST_UNREACHABLE);
	/* A NUL anywhere in the name. */
	m.n = 0;
	add_login(&m);
	add_connect_name(&m, "allowed.example\0.evil.example", 29, 443);
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_HOST_UNREACHABLE);
	m.n = 0;
	add_login(&m);
	add_connect_name(&m, "\0", 1, 443);
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_HOST_UNREACHABLE);
	m.n = 0;
	add_login(&m);
	add_connect_name(&m, "example.com\0", 12, 443);
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_HOST_UNREACHABLE);
}

TEST(srv_request_port_zero)
{
	struct msg m = { .n = 0 };

	add_login(&m);
	add_connect_name(&m, "example.com", 11, 0);
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_NOT_ALLOWED);
	m.n = 0;
	add_login(&m);
	add(&m, BYTES(5, 1, 0, 1, 127, 0, 0, 1, 0, 0));
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_NOT_ALLOWED);
	m.n = 0;
	add_login(&m);
	add(&m, BYTES(5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0));
	expect_refusal(&m, -EINVAL, GW_SOCKS5_REP_NOT_ALLOWED);
}

TEST(srv_request_malformed)
{
	struct msg m = { .n = 0 };

	add_login(&m);
	add(&m, BYTES(5, 1, 1, 1)); /* RSV */
	expect_refusal(&m, -EPROTO, GW_SOCKS5_REP_GENERAL_FAILURE);
	m.n = 0;
	add_login(&m);
	add(&m, BYTES(4, 1, 0, 1));
	expect_refusal(&m, -EPROTO, GW_SOCKS5_REP_GENERAL_FAILURE);
}

TEST(srv_trailing_garbage)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	struct msg exp = { .n = 0 };

	/* Garbage where the authentication belongs... */
	srv_expect(&s, &cred, BYTES(5, 1, 2, 0xde, 0xad, 0xbe, 0xef), -EPROTO, 5,
		   BYTES(5, 2, 1, 1));
	/* ...where the request belongs, after authentication... */
	add_login(&m);
	add(&m, BYTES(0xde, 0xad, 0xbe, 0xef));
	add(&exp, login_answer, sizeof login_answer);
	add(&exp, BYTES(5, 1, 0, 1, 0, 0, 0, 0, 0, 0));
	srv_expect(&s, &cred, m.b, m.n, -EPROTO, m.n, exp.b, exp.n);
	/* ...and without authentication. */
	srv_expect(&s, NULL, BYTES(5, 1, 0, 'G', 'E', 'T', ' '), -EPROTO, 7,
		   BYTES(5, 0, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0));
	/* A greeting that claims more methods than it sends waits. */
	srv_expect(&s, &cred, BYTES(5, 9, 2), GW_SOCKS5_MORE, 3, NULL, 0);
}

TEST(srv_handshake_bounded)
{
	struct gw_socks5_srv s;
	struct msg m = { .n = 0 };
	char name[255];

	/* The longest handshake there can be: 255 methods, 255-byte user
	 * and password, 255-byte name.  Everything after it is data. */
	struct gw_socks5_cred big;
	memset(name, 'u', sizeof name);
	char user[256], pass[256];
	memset(user, 'u', 255);
	memset(pass, 'p', 255);
	user[255] = pass[255] = '\0';
	ASSERT_EQ(0, socks5_cred_init(&big, user, pass));
	add(&m, BYTES(5, 255));
	for (int i = 0; i < 255; i++)
		add_byte(&m, (uint8_t)(i + 1));
	add(&m, BYTES(1, 255));
	add(&m, user, 255);
	add_byte(&m, 255);
	add(&m, pass, 255);
	add_connect_name(&m, name, 255, 443);
	ASSERT_EQ(GW_SOCKS5_HANDSHAKE_MAX, m.n);
	add(&m, "more data", 9);
	srv_expect(&s, &big, m.b, m.n, GW_SOCKS5_DONE, GW_SOCKS5_HANDSHAKE_MAX,
		   login_answer, sizeof login_answer);
}

/* ---- replies and error codes -------------------------------------------- */

TEST(reply_builder)
{
	uint8_t out[GW_SOCKS5_REPLY_MAX + 8];
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(0x1234) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(8080) };
	struct sockaddr_un_like {
		sa_family_t family;
		char path[20];
	} un = { AF_UNIX, "x" };

	ASSERT_EQ(10, socks5_reply(GW_SOCKS5_REP_CONN_REFUSED, NULL, out, sizeof out));
	assert_bytes(BYTES(5, 5, 0, 1, 0, 0, 0, 0, 0, 0), out, 10);

	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	ASSERT_EQ(10, socks5_reply(GW_SOCKS5_REP_SUCCEEDED, (struct sockaddr *)&in, out, 10));
	assert_bytes(BYTES(5, 0, 0, 1, 10, 1, 2, 3, 0x12, 0x34), out, 10);
	ASSERT_EQ(-ENOBUFS, socks5_reply(0, (struct sockaddr *)&in, out, 9));

	inet_pton(AF_INET6, "2001:db8::2", &in6.sin6_addr);
	ASSERT_EQ(22, socks5_reply(GW_SOCKS5_REP_SUCCEEDED, (struct sockaddr *)&in6, out, 22));
	assert_bytes(BYTES(5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			   2, 0x1f, 0x90), out, 22);
	ASSERT_EQ(-ENOBUFS, socks5_reply(0, (struct sockaddr *)&in6, out, 21));
	ASSERT_EQ(-EAFNOSUPPORT, socks5_reply(0, (struct sockaddr *)&un, out, sizeof out));
}

TEST(rep_errno_maps)
{
	ASSERT_EQ(GW_SOCKS5_REP_SUCCEEDED, socks5_rep_from_errno(0));
	ASSERT_EQ(GW_SOCKS5_REP_CONN_REFUSED, socks5_rep_from_errno(ECONNREFUSED));
	ASSERT_EQ(GW_SOCKS5_REP_CONN_REFUSED, socks5_rep_from_errno(-ECONNREFUSED));
	ASSERT_EQ(GW_SOCKS5_REP_NET_UNREACHABLE, socks5_rep_from_errno(ENETUNREACH));
	ASSERT_EQ(GW_SOCKS5_REP_NET_UNREACHABLE, socks5_rep_from_errno(ENETDOWN));
	ASSERT_EQ(GW_SOCKS5_REP_HOST_UNREACHABLE, socks5_rep_from_errno(EHOSTUNREACH));
	ASSERT_EQ(GW_SOCKS5_REP_HOST_UNREACHABLE, socks5_rep_from_errno(-EHOSTDOWN));
	ASSERT_EQ(GW_SOCKS5_REP_TTL_EXPIRED, socks5_rep_from_errno(ETIMEDOUT));
	ASSERT_EQ(GW_SOCKS5_REP_NOT_ALLOWED, socks5_rep_from_errno(EACCES));
	ASSERT_EQ(GW_SOCKS5_REP_NOT_ALLOWED, socks5_rep_from_errno(EPERM));
	ASSERT_EQ(GW_SOCKS5_REP_ATYP_UNSUPPORTED, socks5_rep_from_errno(EAFNOSUPPORT));
	ASSERT_EQ(GW_SOCKS5_REP_GENERAL_FAILURE, socks5_rep_from_errno(ENOMEM));
	ASSERT_EQ(GW_SOCKS5_REP_GENERAL_FAILURE, socks5_rep_from_errno(EMFILE));

	ASSERT_EQ(0, socks5_errno_from_rep(0));
	ASSERT_EQ(ECONNABORTED, socks5_errno_from_rep(1));
	ASSERT_EQ(EACCES, socks5_errno_from_rep(2));
	ASSERT_EQ(ENETUNREACH, socks5_errno_from_rep(3));
	ASSERT_EQ(EHOSTUNREACH, socks5_errno_from_rep(4));
	ASSERT_EQ(ECONNREFUSED, socks5_errno_from_rep(5));
	ASSERT_EQ(ETIMEDOUT, socks5_errno_from_rep(6));
	ASSERT_EQ(EOPNOTSUPP, socks5_errno_from_rep(7));
	ASSERT_EQ(EAFNOSUPPORT, socks5_errno_from_rep(8));
	ASSERT_EQ(EPROTO, socks5_errno_from_rep(9));
	ASSERT_EQ(EPROTO, socks5_errno_from_rep(0xff));
	/* Round trip for the errnos that have a REP of their own. */
	const int errs[] = { EACCES, ENETUNREACH, EHOSTUNREACH, ECONNREFUSED, ETIMEDOUT, EAFNOSUPPORT };
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		ASSERT_EQ(errs[i], socks5_errno_from_rep(socks5_rep_from_errno(errs[i])));
}

TEST(target_helpers)
{
	struct gw_socks5_target t;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = 0 };
	char name[300];

	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	ASSERT_EQ(GW_SOCKS5_ATYP_DOMAIN, t.atyp);
	ASSERT_EQ(11, t.name_len);
	ASSERT_EQ(-EINVAL, socks5_target_name(&t, "", 443));
	ASSERT_EQ(-EINVAL, socks5_target_name(&t, "example.com", 0));
	memset(name, 'a', 255);
	name[255] = '\0';
	ASSERT_EQ(0, socks5_target_name(&t, name, 1));
	name[255] = 'a';
	name[256] = '\0';
	ASSERT_EQ(-EINVAL, socks5_target_name(&t, name, 1));
	ASSERT_EQ(0, socks5_target_addr(&t, (struct sockaddr *)&in));
	ASSERT_EQ(GW_SOCKS5_ATYP_IPV4, t.atyp);
	ASSERT_EQ(80, t.port);
	ASSERT_EQ(-EINVAL, socks5_target_addr(&t, (struct sockaddr *)&in6));
	in6.sin6_family = AF_UNIX;
	ASSERT_EQ(-EAFNOSUPPORT, socks5_target_addr(&t, (struct sockaddr *)&in6));
}

/* ---- client vectors ------------------------------------------------------ */

/* Start a client for t, check its greeting, then feed `in` in every split:
 * result r, `consumed` bytes used, concatenated output exp. */
static void cli_expect(struct gw_socks5_cli *c, const struct gw_socks5_cred *cr,
		       const struct gw_socks5_target *t, const uint8_t *in, size_t len, int r,
		       size_t consumed, const uint8_t *exp, size_t exp_len)
{
	for (unsigned mode = SPLIT_MODES; mode-- > 0;) {
		uint8_t out[GW_SOCKS5_CLI_OUT_MAX];
		struct outcome o = { .r = GW_SOCKS5_MORE };
		uint32_t rng = mode;
		size_t n, used, out_len;

		ASSERT_EQ(0, socks5_cli_start(c, cr, t, out, &out_len));
		if (cr)
			assert_bytes(BYTES(5, 2, 0, 2), out, out_len);
		else
			assert_bytes(BYTES(5, 1, 0), out, out_len);
		while (o.r == GW_SOCKS5_MORE && (n = chunk(mode, &rng, len - o.consumed)) > 0) {
			o.r = socks5_cli_feed(c, in + o.consumed, n, &used, out, &out_len);
			if (o.r == GW_SOCKS5_MORE && used != n)
				TAP_FAIL("MORE after %zu of %zu bytes", used, n);
			memcpy(o.out + o.out_len, out, out_len);
			o.out_len += out_len;
			o.consumed += used;
		}
		if (o.r != r || o.consumed != consumed)
			TAP_FAIL("split mode %u: result %d (want %d), consumed %zu (want %zu)", mode,
				 o.r, r, o.consumed, consumed);
		assert_bytes(exp, exp_len, o.out, o.out_len);
	}
}

static const uint8_t connect_example[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
					   '.', 'c', 'o', 'm', 0x01, 0xbb };

TEST(cli_no_auth)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;
	struct msg in = { .n = 0 };
	const struct sockaddr_in *b = (const struct sockaddr_in *)&c.bound.addr;

	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	add(&in, BYTES(5, 0));
	cli_expect(&c, NULL, &t, in.b, in.n, GW_SOCKS5_MORE, 2, connect_example,
		   sizeof connect_example);
	add(&in, BYTES(5, 0, 0, 1, 198, 51, 100, 1, 0x9c, 0x40));
	cli_expect(&c, NULL, &t, in.b, in.n, GW_SOCKS5_DONE, in.n, connect_example,
		   sizeof connect_example);
	ASSERT_EQ(GW_SOCKS5_ATYP_IPV4, c.bound.atyp);
	ASSERT_EQ(40000, c.bound.port);
	ASSERT_EQ(htonl(0xc6336401), b->sin_addr.s_addr);
}

TEST(cli_auth)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;
	struct msg in = { .n = 0 }, exp = { .n = 0 };
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(22) };

	inet_pton(AF_INET6, "2001:db8::9", &a.sin6_addr);
	ASSERT_EQ(0, socks5_target_addr(&t, (struct sockaddr *)&a));
	add(&exp, BYTES(1, 7));
	add(&exp, USER, 7);
	add_byte(&exp, 12);
	add(&exp, PASS, 12);
	add(&in, BYTES(5, 2));
	cli_expect(&c, &cred, &t, in.b, in.n, GW_SOCKS5_MORE, 2, exp.b, exp.n);
	add(&in, BYTES(1, 0));
	add(&exp, BYTES(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0,
			22));
	cli_expect(&c, &cred, &t, in.b, in.n, GW_SOCKS5_MORE, 4, exp.b, exp.n);
	/* A bound address in domain form; then the target's first bytes,
	 * which stay unconsumed. */
	add(&in, BYTES(5, 0, 0, 3, 5, 'p', 'r', 'o', 'x', 'y', 0x04, 0x38));
	size_t end = in.n;
	add(&in, "SSH-2.0-OpenSSH_9.2\r\n", 21);
	cli_expect(&c, &cred, &t, in.b, in.n, GW_SOCKS5_DONE, end, exp.b, exp.n);
	ASSERT_EQ(GW_SOCKS5_ATYP_DOMAIN, c.bound.atyp);
	ASSERT_STREQ("proxy", c.bound.name);
	ASSERT_EQ(1080, c.bound.port);
}

TEST(cli_credential_unused)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;

	/* The proxy may pick 0x00 although we offered 0x02 too. */
	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	cli_expect(&c, &cred, &t, BYTES(5, 0), GW_SOCKS5_MORE, 2, connect_example,
		   sizeof connect_example);
}

TEST(cli_pipelining_proxy)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;
	struct msg exp = { .n = 0 };

	/* A proxy that sends every answer before being asked gets both of
	 * our messages at once. */
	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	add(&exp, BYTES(1, 7));
	add(&exp, USER, 7);
	add_byte(&exp, 12);
	add(&exp, PASS, 12);
	add(&exp, connect_example, sizeof connect_example);
	cli_expect(&c, &cred, &t, BYTES(5, 2, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0), GW_SOCKS5_DONE,
		   14, exp.b, exp.n);
}

TEST(cli_refusals)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;
	struct msg exp = { .n = 0 };

	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	cli_expect(&c, &cred, &t, BYTES(5, 0xff), -EACCES, 2, NULL, 0);
	cli_expect(&c, NULL, &t, BYTES(5, 2), -EPROTO, 2, NULL, 0);   /* not offered */
	cli_expect(&c, &cred, &t, BYTES(5, 1), -EPROTO, 2, NULL, 0);  /* GSSAPI, not offered */
	cli_expect(&c, &cred, &t, BYTES(4, 0), -EPROTO, 2, NULL, 0);
	cli_expect(&c, &cred, &t, BYTES(0, 90), -EPROTO, 2, NULL, 0);

	add(&exp, BYTES(1, 7));
	add(&exp, USER, 7);
	add_byte(&exp, 12);
	add(&exp, PASS, 12);
	cli_expect(&c, &cred, &t, BYTES(5, 2, 1, 1), -EACCES, 4, exp.b, exp.n);
	cli_expect(&c, &cred, &t, BYTES(5, 2, 1, 0xff), -EACCES, 4, exp.b, exp.n);
	cli_expect(&c, &cred, &t, BYTES(5, 2, 5, 0), -EPROTO, 4, exp.b, exp.n);

	/* Each REP, decided on the reply's header. */
	for (int rep = 1; rep < 256; rep++) {
		cli_expect(&c, NULL, &t, BYTES(5, 0, 5, (uint8_t)rep, 0, 1), -socks5_errno_from_rep((uint8_t)rep),
			   6, connect_example, sizeof connect_example);
	}
	/* Success with an address type that does not exist, or a reply
	 * that is not SOCKS5. */
	cli_expect(&c, NULL, &t, BYTES(5, 0, 5, 0, 0, 2, 1, 2, 3, 4), -EPROTO, 6, connect_example,
		   sizeof connect_example);
	cli_expect(&c, NULL, &t, BYTES(5, 0, 0, 90, 0, 0), -EPROTO, 6, connect_example,
		   sizeof connect_example);
}

TEST(cli_bad_targets)
{
	struct gw_socks5_cli c;
	struct gw_socks5_target t;
	uint8_t out[GW_SOCKS5_CLI_OUT_MAX];
	size_t n;

	ASSERT_EQ(0, socks5_target_name(&t, "example.com", 443));
	t.port = 0;
	ASSERT_EQ(-EINVAL, socks5_cli_start(&c, NULL, &t, out, &n));
	t.port = 443;
	t.name[3] = '\0';
	ASSERT_EQ(-EINVAL, socks5_cli_start(&c, NULL, &t, out, &n));
	t.name_len = 0;
	ASSERT_EQ(-EINVAL, socks5_cli_start(&c, NULL, &t, out, &n));
	t.atyp = 2;
	ASSERT_EQ(-EINVAL, socks5_cli_start(&c, NULL, &t, out, &n));
	t.atyp = GW_SOCKS5_ATYP_IPV4; /* but no AF_INET address */
	ASSERT_EQ(-EINVAL, socks5_cli_start(&c, NULL, &t, out, &n));
}

/* ---- both sides in memory ------------------------------------------------ */

/* Run a client and a server against each other, passing each side's
 * output to the other in random chunks, until the server has the request;
 * then the server answers `rep` and the client gets the result.  Returns
 * the client's result. */
static int converse(const struct gw_socks5_cred *cr, const struct gw_socks5_target *t,
		    uint8_t rep, unsigned mode, struct gw_socks5_srv *s, struct gw_socks5_cli *c)
{
	/* Room for one feed's output at any point of what one round queues. */
	uint8_t to_srv[2 * GW_SOCKS5_CLI_OUT_MAX];
	uint8_t to_cli[2 * GW_SOCKS5_SRV_OUT_MAX + GW_SOCKS5_REPLY_MAX];
	size_t n_srv, n_cli = 0, used, n;
	uint32_t rng = mode;
	struct sockaddr_in bound = { .sin_family = AF_INET, .sin_port = htons(5555),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int rs = GW_SOCKS5_MORE, rc = GW_SOCKS5_MORE;

	socks5_srv_init(s, cr);
	if (socks5_cli_start(c, cr, t, to_srv, &n_srv) < 0)
		return -999;
	while (rc == GW_SOCKS5_MORE) {
		size_t off = 0;
		while (rs == GW_SOCKS5_MORE && off < n_srv) {
			n = chunk(mode, &rng, n_srv - off);
			rs = socks5_srv_feed(s, to_srv + off, n, &used, to_cli + n_cli, &n);
			off += used;
			n_cli += n;
		}
		if (rs < 0)
			return -998;
		if (rs == GW_SOCKS5_DONE && off != n_srv)
			return -997;
		if (rs == GW_SOCKS5_DONE) {
			int r = socks5_reply(rep, (struct sockaddr *)&bound, to_cli + n_cli,
					     GW_SOCKS5_REPLY_MAX);
			n_cli += (size_t)r;
			rs = 1000; /* answered */
		}
		off = 0;
		n_srv = 0;
		while (rc == GW_SOCKS5_MORE && off < n_cli) {
			n = chunk(mode, &rng, n_cli - off);
			rc = socks5_cli_feed(c, to_cli + off, n, &used, to_srv + n_srv, &n);
			off += used;
			n_srv += n;
		}
		if (rc == GW_SOCKS5_MORE && n_srv == 0)
			return -996; /* stuck */
		n_cli = 0;
	}
	return rc;
}

TEST(both_sides_in_memory)
{
	struct gw_socks5_srv s;
	struct gw_socks5_cli c;
	struct gw_socks5_target targets[3];
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(8443) };

	inet_pton(AF_INET, "203.0.113.5", &in.sin_addr);
	inet_pton(AF_INET6, "2001:db8::5", &in6.sin6_addr);
	ASSERT_EQ(0, socks5_target_addr(&targets[0], (struct sockaddr *)&in));
	ASSERT_EQ(0, socks5_target_addr(&targets[1], (struct sockaddr *)&in6));
	ASSERT_EQ(0, socks5_target_name(&targets[2], "registry.npmjs.org", 443));

	for (unsigned mode = 0; mode < SPLIT_MODES; mode++) {
		for (int i = 0; i < 3; i++) {
			const struct gw_socks5_target *t = &targets[i];
			for (int with_cred = 0; with_cred < 2; with_cred++) {
				const struct gw_socks5_cred *cr = with_cred ? &cred : NULL;
				ASSERT_EQ(GW_SOCKS5_DONE, converse(cr, t, 0, mode, &s, &c));
				ASSERT_EQ(t->atyp, s.target.atyp);
				ASSERT_EQ(t->port, s.target.port);
				if (t->atyp == GW_SOCKS5_ATYP_DOMAIN)
					ASSERT_STREQ(t->name, s.target.name);
				else
					ASSERT_EQ(0, memcmp(&t->addr, &s.target.addr, sizeof t->addr));
				ASSERT_EQ(GW_SOCKS5_ATYP_IPV4, c.bound.atyp);
				ASSERT_EQ(5555, c.bound.port);
			}
			for (uint8_t rep = 1; rep <= 9; rep++)
				ASSERT_EQ(-socks5_errno_from_rep(rep), converse(&cred, t, rep, mode, &s, &c));
		}
	}
}

int main(void)
{
	if (socks5_cred_init(&cred, USER, PASS) < 0)
		return 1;
	RUN(cred_init_limits);
	RUN(srv_greeting);
	RUN(srv_greeting_refused);
	RUN(srv_auth);
	RUN(srv_auth_refused);
	RUN(srv_request_ipv4);
	RUN(srv_request_ipv6);
	RUN(srv_request_domain);
	RUN(srv_request_no_auth);
	RUN(srv_pipelined_data_unconsumed);
	RUN(srv_sticky);
	RUN(srv_request_commands);
	RUN(srv_request_address_types);
	RUN(srv_request_bad_names);
	RUN(srv_request_port_zero);
	RUN(srv_request_malformed);
	RUN(srv_trailing_garbage);
	RUN(srv_handshake_bounded);
	RUN(reply_builder);
	RUN(rep_errno_maps);
	RUN(target_helpers);
	RUN(cli_no_auth);
	RUN(cli_auth);
	RUN(cli_credential_unused);
	RUN(cli_pipelining_proxy);
	RUN(cli_refusals);
	RUN(cli_bad_targets);
	RUN(both_sides_in_memory);
	return tap_done();
}
