/* fuzz-socks5.c: fuzz target for socks5.c, whose server reads what any
 * local process sends to the proxy port and whose client reads what an
 * upstream proxy answers.
 *
 * The first input byte picks the setup (bit 0: the server requires a
 * credential, bit 1: the client has one, bits 2-3: the client's target
 * type); the rest is fed to a server, and to a client as the proxy's
 * answers.  Besides "no crash, no leak", it checks properties: feeding the
 * same bytes whole, byte by byte or in random chunks gives the same result,
 * consumption and output; a feed never consumes more than it got, and all
 * of it when it asks for more; a server never reads past
 * GW_SOCKS5_HANDSHAKE_MAX; a completed request's name is 1..255 bytes
 * without NUL and its port is not 0; a reply never exceeds its buffer.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE runs the files named on the
 * command line, then `--iterations N` deterministic mutations of seeds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, int split)
{
	fprintf(stderr, "property violated: %s (split %d)\n", what, split);
	abort();
}

/* How an input is cut into feeds: 0 whole, 1 byte by byte, 2 and up
 * random chunks seeded from the input and the split number. */
#define SPLITS 4

struct splitter {
	int split;
	uint64_t state;
};

static size_t next_chunk(struct splitter *sp, size_t left)
{
	size_t n;

	if (sp->split == 0)
		return left;
	if (sp->split == 1)
		return left ? 1 : 0;
	sp->state = sp->state * 6364136223846793005ull + 1442695040888963407ull;
	n = 1 + (size_t)(sp->state >> 33) % 16;
	return n < left ? n : left;
}

static uint64_t hash(const uint8_t *p, size_t n, int split)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)split;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

struct outcome {
	int r;
	size_t consumed;
	uint8_t out[2048];
	size_t out_len;
	struct gw_socks5_target t;   /* the server's target or the client's bound */
};

static void add_out(struct outcome *o, const uint8_t *p, size_t n, size_t max, int split)
{
	if (n > max)
		fail("output longer than its buffer", split);
	if (o->out_len + n > sizeof o->out)
		fail("more output than a handshake has", split);
	memcpy(o->out + o->out_len, p, n);
	o->out_len += n;
}

/* One feed's bookkeeping, common to both sides. */
static void account(struct outcome *o, int r, size_t n, size_t used, int split)
{
	if (used > n)
		fail("consumed more than given", split);
	if (r == GW_SOCKS5_MORE && used != n)
		fail("asked for more without consuming everything", split);
	if (r != GW_SOCKS5_MORE && r != GW_SOCKS5_DONE && r >= 0)
		fail("unknown result", split);
	o->consumed += used;
	o->r = r;
}

static void check_target(const struct gw_socks5_target *t, int split)
{
	if (t->port == 0)
		fail("request with port 0", split);
	switch (t->atyp) {
	case GW_SOCKS5_ATYP_DOMAIN:
		if (t->name_len < 1 || t->name_len > GW_SOCKS5_NAME_MAX)
			fail("name length", split);
		if (memchr(t->name, 0, t->name_len) || t->name[t->name_len] != '\0')
			fail("NUL in the name, or name not terminated", split);
		break;
	case GW_SOCKS5_ATYP_IPV4:
		if (t->addr.ss_family != AF_INET)
			fail("IPv4 target without AF_INET", split);
		break;
	case GW_SOCKS5_ATYP_IPV6:
		if (t->addr.ss_family != AF_INET6)
			fail("IPv6 target without AF_INET6", split);
		break;
	default:
		fail("unknown address type accepted", split);
	}
}

static void run_server(const struct gw_socks5_cred *cred, const uint8_t *in, size_t len,
		       int split, struct outcome *o)
{
	struct gw_socks5_srv s;
	struct splitter sp = { split, hash(in, len, split) };

	socks5_srv_init(&s, cred);
	memset(o, 0, sizeof *o);
	for (;;) {
		uint8_t out[GW_SOCKS5_SRV_OUT_MAX];
		size_t n = next_chunk(&sp, len - o->consumed), used, out_len;
		int r = socks5_srv_feed(&s, in + o->consumed, n, &used, out, &out_len);
		add_out(o, out, out_len, sizeof out, split);
		account(o, r, n, used, split);
		if (r != GW_SOCKS5_MORE || n == 0)
			break;
	}
	if (o->consumed > GW_SOCKS5_HANDSHAKE_MAX)
		fail("server read past the longest handshake", split);
	if (o->r == GW_SOCKS5_DONE) {
		check_target(&s.target, split);
		o->t = s.target;
	}
}

static void run_client(const struct gw_socks5_cred *cred, const struct gw_socks5_target *t,
		       const uint8_t *in, size_t len, int split, struct outcome *o)
{
	struct gw_socks5_cli c;
	struct splitter sp = { split, hash(in, len, split) };
	uint8_t out[GW_SOCKS5_CLI_OUT_MAX];
	size_t out_len;

	memset(o, 0, sizeof *o);
	if (socks5_cli_start(&c, cred, t, out, &out_len) < 0)
		fail("valid target refused", split);
	add_out(o, out, out_len, sizeof out, split);
	for (;;) {
		size_t n = next_chunk(&sp, len - o->consumed), used;
		int r = socks5_cli_feed(&c, in + o->consumed, n, &used, out, &out_len);
		add_out(o, out, out_len, sizeof out, split);
		account(o, r, n, used, split);
		if (r != GW_SOCKS5_MORE || n == 0)
			break;
	}
	if (o->r == GW_SOCKS5_DONE)
		o->t = c.bound;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->r == b->r && a->consumed == b->consumed && a->out_len == b->out_len &&
	       memcmp(a->out, b->out, a->out_len) == 0 && memcmp(&a->t, &b->t, sizeof a->t) == 0;
}

static void client_target(int kind, struct gw_socks5_target *t)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(0xc0000201) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(22),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (kind == 1)
		(void)socks5_target_addr(t, (struct sockaddr *)&in);
	else if (kind == 2)
		(void)socks5_target_addr(t, (struct sockaddr *)&in6);
	else
		(void)socks5_target_name(t, "example.com", 443);
}

/* The reply builder, with a cap and an address taken from the input. */
static void check_reply(const uint8_t *p, size_t n)
{
	uint8_t out[GW_SOCKS5_REPLY_MAX + 2];
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *sa = NULL;
	size_t cap;
	int r;

	if (n < 3)
		return;
	cap = p[1] % sizeof out;
	if (p[2] % 3 == 1) {
		memcpy(&in.sin_port, p, 2);
		sa = (const struct sockaddr *)&in;
	} else if (p[2] % 3 == 2) {
		memcpy(&in6.sin6_addr, p + 3, n - 3 < 16 ? n - 3 : 16);
		sa = (const struct sockaddr *)&in6;
	}
	r = socks5_reply(p[0], sa, out, cap);
	if (r > (int)cap || (r >= 0 && r != 10 && r != 22) || (r < 0 && r != -ENOBUFS))
		fail("reply length", 0);
	if (socks5_rep_from_errno((int)p[0] - 128) > GW_SOCKS5_REP_ATYP_UNSUPPORTED)
		fail("REP out of range", 0);
	if (socks5_errno_from_rep(p[0]) < 0)
		fail("negative errno for a REP", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_socks5_cred cred;
	struct gw_socks5_target t;
	static struct outcome first, other;   /* static: 2 KiB each */
	const uint8_t *in = data + 1;
	size_t len;

	if (size == 0)
		return 0;
	len = size - 1;
	if (socks5_cred_init(&cred, "user", "pass") < 0)
		abort();

	for (int split = 0; split < SPLITS; split++) {
		run_server(data[0] & 1 ? &cred : NULL, in, len, split, split ? &other : &first);
		if (split && !same(&first, &other))
			fail("server outcome depends on the split", split);
	}

	client_target((data[0] >> 2) % 3, &t);
	for (int split = 0; split < SPLITS; split++) {
		run_client(data[0] & 2 ? &cred : NULL, &t, in, len, split, split ? &other : &first);
		if (split && !same(&first, &other))
			fail("client outcome depends on the split", split);
	}

	check_reply(in, len);
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

/* Seeds with their lengths: SOCKS5 is full of NUL bytes. */
#define SEED(s) { s, sizeof s - 1 }
static const struct {
	const char *bytes;
	size_t len;
} seeds[] = {
	/* Server, credential required: login and each address type. */
	SEED("\x01\x05\x01\x02\x01\x04user\x04pass\x05\x01\x00\x03\x0b" "example.com\x01\xbb"),
	SEED("\x01\x05\x01\x02\x01\x04user\x04pass\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50GET"),
	SEED("\x01\x05\x02\x00\x02\x01\x04user\x04pass\x05\x01\x00\x04"
	     "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x16"),
	SEED("\x01\x05\x01\x02\x01\x04user\x04pasx"),
	SEED("\x01\x05\x01\x02\x01\x04user\x04pass\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50"),
	/* Server without a credential. */
	SEED("\x00\x05\x01\x00\x05\x01\x00\x03\x09localhost\x1f\x90\x16\x03\x01"),
	/* Client answers: no auth, auth, failure REP, domain BND. */
	SEED("\x00\x05\x00\x05\x00\x00\x01\x0a\x00\x00\x01\x04\x38"),
	SEED("\x06\x05\x02\x01\x00\x05\x00\x00\x03\x05proxy\x04\x38SSH-2.0"),
	SEED("\x0a\x05\x02\x01\x00\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"),
	SEED("\x02\x05\x00\x05\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	     "\x00\x01\x00\x50"),
};

/* Tokens for standalone.h's text mutator (no NULs: it measures them with
 * strlen); the binary mutator below supplies the zeros. */
static const char *const dict[] = {
	"\x05", "\x01", "\x02", "\x03", "\x04", "\xff", "\x05\x01\x02", "\x05\x02\x01\x02",
	"\x01\x04user\x04pass", "\x05\x01\x01\x03", "\x03\xff", "example.com", "\x01\xbb",
};

#include "standalone.h"

#define INPUT_MAX 1200

/* Bytes a length or type field is most interesting at. */
static const uint8_t interesting[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x7f, 0x80, 0xfe, 0xff };

static void mutate_binary(struct input *in)
{
	fz_mutate_binary(in, interesting, sizeof interesting, INPUT_MAX);
}

static struct input pick(void)
{
	size_t k = rnd(sizeof seeds / sizeof seeds[0]);
	return fz_input(seeds[k].bytes, seeds[k].len);
}

int main(int argc, char **argv)
{
	long iterations;
	int files;
	if (fz_args(argc, argv, &iterations, &files) < 0)
		return 1;
	fz_mutations(iterations, pick, mutate_binary, 4, 4, INPUT_MAX, 8);
	return 0;
}

#endif
