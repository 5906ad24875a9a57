/* test-sniff.c: SNI extraction from TLS ClientHellos (src/sniff.c).
 *
 * Real hellos (tls-hellos.h) fed whole, in every prefix, re-framed over
 * two and three handshake records, and with every length field off by
 * one; then hand-made variants for each refusal the header documents.
 * Every input is passed in an exact-size heap copy, so ASan reports any
 * read past its end. */
#include <stdint.h>
#include <stdlib.h>

#include "sniff.h"
#include "tap.h"
#include "tls-hellos.h"

#define N_HELLOS (sizeof tls_hellos / sizeof tls_hellos[0])

/* Room for the largest hello built here (GW_SNIFF_MAX plus a few record
 * headers and a little more). */
#define WIRE_MAX (GW_SNIFF_MAX + 256)

/* sniff_tls_sni() on an exact-size copy of p[0..n). */
static int sniff(const uint8_t *p, size_t n, char name[GW_SNIFF_NAME_MAX + 1])
{
	uint8_t *copy = malloc(n ? n : 1);
	int r;

	if (!copy)
		abort();
	memcpy(copy, p, n);
	memset(name, 0x5a, GW_SNIFF_NAME_MAX + 1);
	r = sniff_tls_sni(copy, n, name, GW_SNIFF_NAME_MAX + 1);
	free(copy);
	return r;
}

static void expect_name(const uint8_t *p, size_t n, const char *want)
{
	char name[GW_SNIFF_NAME_MAX + 1];
	int r = sniff(p, n, name);

	if (r != 1)
		TAP_FAIL("%zu bytes: result %d, want the name %s", n, r, want);
	ASSERT_STREQ(want, name);
}

/* Every proper prefix of p[0..n) asks for more. */
static void expect_prefixes_need_more(const uint8_t *p, size_t n)
{
	char name[GW_SNIFF_NAME_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		int r = sniff(p, i, name);
		if (r != 0)
			TAP_FAIL("prefix of %zu/%zu bytes: %d, want 0", i, n, r);
	}
}

/* ---- a ClientHello taken apart, independently of sniff.c ------------- */

struct ext {
	uint16_t type;
	size_t off;        /* of the extension, in the handshake message */
	size_t len;        /* of its body */
};

struct hello {
	const uint8_t *hs; /* the handshake message, its 4-byte header included */
	size_t hs_len;
	size_t sid_off, cs_off, comp_off, exts_off; /* of each length field */
	struct ext ext[40];
	size_t n_ext;
	int sni;           /* index into ext, or -1 */
};

static size_t be(const uint8_t *p, size_t width)
{
	size_t v = 0;

	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, size_t width, size_t v)
{
	for (size_t i = width; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

/* Take apart a one-record capture (the test relies on its structure, so
 * anything unexpected fails the test rather than the parser). */
static void take_apart(const struct tls_hello *t, struct hello *h)
{
	const uint8_t *hs = t->bytes + 5;
	size_t at;

	memset(h, 0, sizeof *h);
	h->sni = -1;
	ASSERT_EQ(t->len - 5, be(t->bytes + 3, 2));
	ASSERT_EQ(t->len - 9, be(hs + 1, 3));
	h->hs = hs;
	h->hs_len = t->len - 5;
	h->sid_off = 4 + 2 + 32;
	h->cs_off = h->sid_off + 1 + hs[h->sid_off];
	h->comp_off = h->cs_off + 2 + be(hs + h->cs_off, 2);
	h->exts_off = h->comp_off + 1 + hs[h->comp_off];
	ASSERT_EQ(h->hs_len, h->exts_off + 2 + be(hs + h->exts_off, 2));
	for (at = h->exts_off + 2; at < h->hs_len; at += 4 + h->ext[h->n_ext++].len) {
		ASSERT_TRUE(h->n_ext < sizeof h->ext / sizeof h->ext[0]);
		h->ext[h->n_ext] = (struct ext){ .type = (uint16_t)be(hs + at, 2), .off = at,
						 .len = be(hs + at + 2, 2) };
		if (h->ext[h->n_ext].type == 0)
			h->sni = (int)h->n_ext;
	}
	ASSERT_EQ(h->hs_len, at);
}

/* Frame the handshake message hs[0..n) as records cut at cuts[] (offsets
 * into hs, ascending), into out.  Returns the wire length. */
static size_t frame(const uint8_t *hs, size_t n, const size_t *cuts, size_t n_cuts, uint8_t *out)
{
	size_t len = 0, from = 0;

	for (size_t i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : n;
		out[len++] = 22;
		out[len++] = 3;
		out[len++] = 1;
		put_be(out + len, 2, to - from);
		len += 2;
		memcpy(out + len, hs + from, to - from);
		len += to - from;
		from = to;
	}
	return len;
}

/* A handshake message like h's up to its extensions, followed by the
 * extension block exts[0..n) (exts NULL: no block at all), into out.
 * Returns its length. */
static size_t with_exts(const struct hello *h, const uint8_t *exts, size_t n, uint8_t *out)
{
	size_t len = h->exts_off;

	memcpy(out, h->hs, len);
	if (exts) {
		put_be(out + len, 2, n);
		memcpy(out + len + 2, exts, n);
		len += 2 + n;
	}
	put_be(out + 1, 3, len - 4);
	return len;
}

/* A server_name extension for one entry (type, name[0..n)) at out. */
static size_t sni_ext(uint8_t type, const void *name, size_t n, uint8_t *out)
{
	put_be(out, 2, 0);
	put_be(out + 2, 2, n + 5);
	put_be(out + 4, 2, n + 3);
	out[6] = type;
	put_be(out + 7, 2, n);
	memcpy(out + 9, name, n);
	return 9 + n;
}

/* h's extension block with its server_name extension replaced by
 * sni[0..sni_len) (sni_len 0: left out), into out.  Returns the length. */
static size_t swap_sni(const struct hello *h, const uint8_t *sni, size_t sni_len, uint8_t *out)
{
	size_t len = 0;

	for (size_t i = 0; i < h->n_ext; i++) {
		if ((int)i == h->sni) {
			memcpy(out + len, sni, sni_len);
			len += sni_len;
			continue;
		}
		memcpy(out + len, h->hs + h->ext[i].off, 4 + h->ext[i].len);
		len += 4 + h->ext[i].len;
	}
	return len;
}

/* A one-record hello like h's whose server_name is (type, name[0..n)). */
static size_t hello_named(const struct hello *h, uint8_t type, const void *name, size_t n,
			  uint8_t *wire)
{
	static uint8_t ext[WIRE_MAX], exts[WIRE_MAX], hs[WIRE_MAX];
	size_t e = sni_ext(type, name, n, ext);
	size_t x = swap_sni(h, ext, e, exts);
	size_t hn = with_exts(h, exts, x, hs);

	return frame(hs, hn, NULL, 0, wire);
}

static void first_with_sni(struct hello *h)
{
	take_apart(&tls_hellos[0], h);
	ASSERT_TRUE(h->sni >= 0);
}

/* ---- captured hellos ---------------------------------------------------- */

TEST(captured_names)
{
	char name[GW_SNIFF_NAME_MAX + 1];

	for (size_t i = 0; i < N_HELLOS; i++) {
		const struct tls_hello *t = &tls_hellos[i];
		printf("# %s\n", t->what);
		if (t->sni)
			expect_name(t->bytes, t->len, t->sni);
		else
			ASSERT_EQ(-ENOENT, sniff(t->bytes, t->len, name));
	}
}

TEST(captured_structure)
{
	/* The helpers above agree with the captures (and the IDN one asks
	 * for its A-label, raw). */
	for (size_t i = 0; i < N_HELLOS; i++) {
		struct hello h;
		take_apart(&tls_hellos[i], &h);
		ASSERT_EQ(tls_hellos[i].sni != NULL, h.sni >= 0);
	}
}

TEST(every_prefix_needs_more)
{
	for (size_t i = 0; i < N_HELLOS; i++)
		expect_prefixes_need_more(tls_hellos[i].bytes, tls_hellos[i].len);
}

TEST(trailing_bytes_ignored)
{
	static uint8_t wire[WIRE_MAX];
	/* What a TLS 1.3 client may send right after its hello: a
	 * ChangeCipherSpec record, then early data. */
	static const uint8_t after[] = { 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 2, 0xab, 0xcd };

	for (size_t i = 0; i < N_HELLOS; i++) {
		const struct tls_hello *t = &tls_hellos[i];
		char name[GW_SNIFF_NAME_MAX + 1];
		memcpy(wire, t->bytes, t->len);
		for (size_t k = 0; k <= sizeof after; k++) {
			memcpy(wire + t->len, after, k);
			if (t->sni)
				expect_name(wire, t->len + k, t->sni);
			else
				ASSERT_EQ(-ENOENT, sniff(wire, t->len + k, name));
		}
	}
}

/* ---- over several records ----------------------------------------------- */

TEST(split_over_two_records)
{
	static uint8_t wire[WIRE_MAX];

	for (size_t i = 0; i < N_HELLOS; i++) {
		const struct tls_hello *t = &tls_hellos[i];
		struct hello h;
		char name[GW_SNIFF_NAME_MAX + 1];
		take_apart(t, &h);
		/* Every cut, the 4-byte handshake header's included. */
		for (size_t cut = 1; cut < h.hs_len; cut++) {
			size_t n = frame(h.hs, h.hs_len, &cut, 1, wire);
			ASSERT_EQ(t->len + 5, n);
			if (t->sni)
				expect_name(wire, n, t->sni);
			else
				ASSERT_EQ(-ENOENT, sniff(wire, n, name));
			/* Every prefix of a few of them (all would be slow under
			 * ASan: the hellos are ~500 bytes). */
			if (cut <= 6 || cut == h.hs_len / 2 || cut == h.hs_len - 1)
				expect_prefixes_need_more(wire, n);
		}
	}
}

TEST(split_over_three_records)
{
	static uint8_t wire[WIRE_MAX];
	struct hello h;

	take_apart(&tls_hellos[1], &h);
	for (size_t a = 1; a < h.hs_len; a += 7) {
		for (size_t b = a + 1; b < h.hs_len; b += 13) {
			size_t cuts[] = { a, b };
			size_t n = frame(h.hs, h.hs_len, cuts, 2, wire);
			expect_name(wire, n, tls_hellos[1].sni);
		}
	}
	size_t cuts[] = { 2, 3 };
	size_t n = frame(h.hs, h.hs_len, cuts, 2, wire);
	expect_name(wire, n, tls_hellos[1].sni);
	expect_prefixes_need_more(wire, n);
}

TEST(later_records_checked)
{
	static uint8_t wire[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t cut = 100, n;

	take_apart(&tls_hellos[1], &h);
	n = frame(h.hs, h.hs_len, &cut, 1, wire);
	/* The second record's header starts at 5 + cut. */
	wire[5 + cut] = 23; /* application data in the middle of the hello */
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	wire[5 + cut] = 22;
	wire[5 + cut + 1] = 2; /* SSL 2 record version */
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	wire[5 + cut + 1] = 3;
	put_be(wire + 5 + cut + 3, 2, 0); /* empty record */
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	put_be(wire + 5 + cut + 3, 2, 16385); /* longer than TLS allows */
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
}

/* ---- length fields off by one ------------------------------------------- */

/* A length field: the wire offsets of its bytes, most significant first
 * (a field may straddle two records). */
struct field {
	const char *what;
	size_t at[3], width;
};

/* The result of the hello wire[0..n) with field f changed by delta must
 * be "need more" or "malformed", never another name than want. */
static void expect_off_by_one(const uint8_t *wire, size_t n, const char *want,
			      const struct field *f, int delta)
{
	static uint8_t bad[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	size_t v = 0;
	int r;

	for (size_t i = 0; i < f->width; i++)
		v = v << 8 | wire[f->at[i]];
	if (v == 0 && delta < 0)
		return;
	v += (size_t)(long)delta;
	memcpy(bad, wire, n);
	for (size_t i = f->width; i-- > 0; v >>= 8)
		bad[f->at[i]] = (uint8_t)v;
	r = sniff(bad, n, name);
	/* A record one byte longer may take in the next record's first byte
	 * and so end exactly with the hello, whose last byte is then another:
	 * still the same name.  Any other name is wrong. */
	if (r == 1 && strcmp(name, want) == 0)
		return;
	if (r != 0 && r != -EPROTO)
		TAP_FAIL("%s %+d: result %d%s%s", f->what, delta, r, r == 1 ? ", name " : "",
			 r == 1 ? name : "");
}

/* The field of `width` bytes at handshake offset o, framed with cuts[]. */
static struct field hs_field(const char *what, size_t o, size_t width, const size_t *cuts,
			     size_t n_cuts)
{
	struct field f = { .what = what, .width = width };

	for (size_t i = 0; i < width; i++) {
		size_t records = 1;
		for (size_t k = 0; k < n_cuts; k++)
			records += o + i >= cuts[k];
		f.at[i] = o + i + 5 * records;
	}
	return f;
}

/* Every length field of h framed as records cut at cuts[]. */
static void off_by_one_all(const struct hello *h, const char *want, const size_t *cuts,
			   size_t n_cuts)
{
	static uint8_t wire[WIRE_MAX];
	struct field f[64];
	size_t nf = 0, n = frame(h->hs, h->hs_len, cuts, n_cuts, wire);

	f[nf++] = (struct field){ "record length", { 3, 4 }, 2 };
	for (size_t i = 0; i < n_cuts; i++) {
		/* The next record's payload starts at the cut. */
		size_t p = hs_field("", cuts[i], 1, cuts, n_cuts).at[0];
		f[nf++] = (struct field){ "later record length", { p - 2, p - 1 }, 2 };
	}
	f[nf++] = hs_field("handshake length", 1, 3, cuts, n_cuts);
	f[nf++] = hs_field("session id length", h->sid_off, 1, cuts, n_cuts);
	f[nf++] = hs_field("cipher suites length", h->cs_off, 2, cuts, n_cuts);
	f[nf++] = hs_field("compression length", h->comp_off, 1, cuts, n_cuts);
	f[nf++] = hs_field("extensions length", h->exts_off, 2, cuts, n_cuts);
	for (size_t i = 0; i < h->n_ext; i++)
		f[nf++] = hs_field("an extension's length", h->ext[i].off + 2, 2, cuts, n_cuts);
	if (h->sni >= 0) {
		size_t s = h->ext[h->sni].off + 4;
		f[nf++] = hs_field("server_name list length", s, 2, cuts, n_cuts);
		f[nf++] = hs_field("name length", s + 3, 2, cuts, n_cuts);
	}
	for (size_t i = 0; i < nf; i++) {
		expect_off_by_one(wire, n, want ? want : "", &f[i], 1);
		expect_off_by_one(wire, n, want ? want : "", &f[i], -1);
	}
}

TEST(length_fields_off_by_one)
{
	for (size_t i = 0; i < N_HELLOS; i++) {
		struct hello h;
		take_apart(&tls_hellos[i], &h);
		const char *want = tls_hellos[i].sni;
		off_by_one_all(&h, want, NULL, 0);
		/* Cut inside the fields: no field may straddle records
		 * unnoticed. */
		for (size_t cut = 1; cut < h.hs_len; cut += 11)
			off_by_one_all(&h, want, &cut, 1);
		size_t cuts[] = { h.exts_off + 1, h.hs_len - 3 };
		off_by_one_all(&h, want, cuts, 2);
	}
}

/* ---- the server_name extension ------------------------------------------ */

TEST(name_lengths)
{
	static uint8_t wire[WIRE_MAX];
	char long_name[300], name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t n;

	first_with_sni(&h);
	memset(long_name, 'a', sizeof long_name);
	for (size_t i = 63; i < sizeof long_name; i += 64)
		long_name[i] = '.';
	n = hello_named(&h, 0, "a", 1, wire);
	expect_name(wire, n, "a");
	n = hello_named(&h, 0, long_name, 255, wire);
	long_name[255] = '\0';
	expect_name(wire, n, long_name);
	long_name[255] = 'a';
	n = hello_named(&h, 0, long_name, 256, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	n = hello_named(&h, 0, "", 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
}

TEST(name_refused)
{
	static uint8_t wire[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t n;

	first_with_sni(&h);
	/* A NUL would cut the name short for a C caller. */
	n = hello_named(&h, 0, "allowed.example\0evil.example", 28, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	n = hello_named(&h, 0, "allowed.example\0", 16, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	n = hello_named(&h, 0, "\0", 1, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	/* Name types other than host_name (0) are not defined. */
	n = hello_named(&h, 1, "example.com", 11, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	n = hello_named(&h, 255, "example.com", 11, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	/* Raw bytes are the caller's to judge (domain_normalize). */
	n = hello_named(&h, 0, "EXAMPLE.com.", 12, wire);
	expect_name(wire, n, "EXAMPLE.com.");
}

TEST(name_list_shapes)
{
	static uint8_t wire[WIRE_MAX], ext[WIRE_MAX], exts[WIRE_MAX], hs[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t e, x, n;

	first_with_sni(&h);
	/* Two entries in one list ("one name per type"; only one type). */
	e = sni_ext(0, "a.example", 9, ext);
	memcpy(ext + e, "\x00\x00\x09" "b.example", 12);
	put_be(ext + 2, 2, e - 4 + 12);
	put_be(ext + 4, 2, e - 6 + 12);
	x = swap_sni(&h, ext, e + 12, exts);
	n = frame(hs, with_exts(&h, exts, x, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	/* An empty list, an empty extension. */
	x = swap_sni(&h, (const uint8_t *)"\x00\x00\x00\x02\x00\x00", 6, exts);
	n = frame(hs, with_exts(&h, exts, x, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	x = swap_sni(&h, (const uint8_t *)"\x00\x00\x00\x00", 4, exts);
	n = frame(hs, with_exts(&h, exts, x, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	/* A byte after the list, inside the extension. */
	e = sni_ext(0, "a.example", 9, ext);
	ext[e] = 0;
	put_be(ext + 2, 2, e - 4 + 1);
	x = swap_sni(&h, ext, e + 1, exts);
	n = frame(hs, with_exts(&h, exts, x, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
}

TEST(duplicate_server_name)
{
	static uint8_t wire[WIRE_MAX], ext[WIRE_MAX], exts[WIRE_MAX], hs[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t e, x, n;

	first_with_sni(&h);
	/* Same name twice, then another name second: which one a server
	 * would use is anybody's guess. */
	e = sni_ext(0, "a.example", 9, ext);
	e += sni_ext(0, "a.example", 9, ext + e);
	x = swap_sni(&h, ext, e, exts);
	n = frame(hs, with_exts(&h, exts, x, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	e = sni_ext(0, "a.example", 9, ext);
	x = swap_sni(&h, ext, e, exts);
	memcpy(exts + x, "\x00\x00\x00\x0e\x00\x0c\x00\x00\x09" "b.example", 18);
	n = frame(hs, with_exts(&h, exts, x + 18, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
	/* A malformed second one. */
	memcpy(exts + x, "\x00\x00\x00\x00", 4);
	n = frame(hs, with_exts(&h, exts, x + 4, hs), NULL, 0, wire);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
}

TEST(no_extensions)
{
	static uint8_t wire[WIRE_MAX], hs[WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t n;

	first_with_sni(&h);
	/* No extension block at all (TLS 1.0 style), and an empty one. */
	n = frame(hs, with_exts(&h, NULL, 0, hs), NULL, 0, wire);
	ASSERT_EQ(-ENOENT, sniff(wire, n, name));
	expect_prefixes_need_more(wire, n);
	n = frame(hs, with_exts(&h, hs, 0, hs), NULL, 0, wire);
	ASSERT_EQ(-ENOENT, sniff(wire, n, name));
	/* One byte of a block. */
	n = frame(hs, with_exts(&h, NULL, 0, hs), NULL, 0, wire);
	wire[n++] = 0;
	put_be(wire + 3, 2, n - 5);
	put_be(wire + 6, 3, n - 9);
	ASSERT_EQ(-EPROTO, sniff(wire, n, name));
}

/* ---- not a ClientHello ------------------------------------------------- */

TEST(not_a_client_hello)
{
	static uint8_t wire[WIRE_MAX];
	const struct tls_hello *t = &tls_hellos[0];
	char name[GW_SNIFF_NAME_MAX + 1];
	/* Each: offset, value, in a copy of the first capture. */
	static const struct {
		size_t off;
		uint8_t v;
	} edits[] = {
		{ 0, 23 },  /* application data record */
		{ 0, 21 },  /* alert record */
		{ 0, 20 },  /* change_cipher_spec record */
		{ 0, 0x80 }, /* SSL 2 */
		{ 1, 2 },   /* record version 2.x */
		{ 1, 4 },
		{ 5, 2 },   /* a ServerHello */
		{ 5, 0 },
		{ 9, 2 },   /* legacy_version 2.x */
	};

	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		memcpy(wire, t->bytes, t->len);
		wire[edits[i].off] = edits[i].v;
		ASSERT_EQ(-EPROTO, sniff(wire, t->len, name));
	}
	/* Refused as soon as the record header says so. */
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x17\x03\x03\x00\x10", 5, name));
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x16\x03\x01\x00\x00", 5, name));
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x16\x03\x01\x40\x01", 5, name));
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x16\x03\x01\x00\x10\x02", 6, name));
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"GET / HTTP/1.1\r\n", 16, name));
	ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"SSH-2.0-OpenSSH_9.2p1\r\n", 23, name));
}

TEST(record_minor_versions)
{
	static uint8_t wire[WIRE_MAX];
	const struct tls_hello *t = &tls_hellos[1];

	/* A server takes any minor version on a first record (OpenSSL and
	 * Go do), so a hello in a "3.5" record must still be read. */
	memcpy(wire, t->bytes, t->len);
	for (unsigned minor = 0; minor < 256; minor += 5) {
		wire[2] = (uint8_t)minor;
		expect_name(wire, t->len, t->sni);
	}
}

/* ---- size limit --------------------------------------------------------- */

/* A hello like h's, padded (RFC 7685) so that its handshake message is
 * hs_len bytes, framed in records of at most 16384 bytes, into wire.
 * Returns the wire length. */
static size_t padded(const struct hello *h, size_t hs_len, uint8_t *wire)
{
	static uint8_t exts[2 * WIRE_MAX], hs[2 * WIRE_MAX];
	size_t x = swap_sni(h, h->hs + h->ext[h->sni].off, 4 + h->ext[h->sni].len, exts);
	size_t base = h->exts_off + 2 + x + 4, cuts[3], n_cuts = 0;

	ASSERT_TRUE(hs_len >= base && hs_len - base < 65536 && hs_len <= sizeof hs);
	put_be(exts + x, 2, 21);
	put_be(exts + x + 2, 2, hs_len - base);
	memset(exts + x + 4, 0, hs_len - base);
	ASSERT_EQ(hs_len, with_exts(h, exts, x + 4 + hs_len - base, hs));
	for (size_t c = 16384; c < hs_len; c += 16384)
		cuts[n_cuts++] = c;
	return frame(hs, hs_len, cuts, n_cuts, wire);
}

TEST(too_big)
{
	static uint8_t wire[2 * WIRE_MAX];
	char name[GW_SNIFF_NAME_MAX + 1];
	struct hello h;
	size_t n;

	take_apart(&tls_hellos[0], &h);
	/* The largest that fits: one record, GW_SNIFF_MAX bytes in all. */
	n = padded(&h, GW_SNIFF_MAX - 5, wire);
	ASSERT_EQ(GW_SNIFF_MAX, n);
	expect_name(wire, n, tls_hellos[0].sni);
	/* One byte more: the limit counts the record headers too. */
	n = padded(&h, GW_SNIFF_MAX - 4, wire);
	ASSERT_EQ(GW_SNIFF_MAX + 1, n);
	ASSERT_EQ(-E2BIG, sniff(wire, n, name));
	/* Split in two records: the same limit on the wire. */
	{
		static uint8_t hs[WIRE_MAX];
		size_t cut = 1000, hn = GW_SNIFF_MAX - 10;
		padded(&h, hn, wire);
		memcpy(hs, wire + 5, hn);
		n = frame(hs, hn, &cut, 1, wire);
		ASSERT_EQ(GW_SNIFF_MAX, n);
		expect_name(wire, n, tls_hellos[0].sni);
		hn++;
		padded(&h, hn, wire);
		memcpy(hs, wire + 5, hn);
		n = frame(hs, hn, &cut, 1, wire);
		ASSERT_EQ(-E2BIG, sniff(wire, n, name));
	}
	/* Far more, over two records: refused without waiting for the
	 * bytes, as soon as the first record's length says so. */
	n = padded(&h, 20000, wire);
	ASSERT_EQ(-E2BIG, sniff(wire, n, name));
	for (size_t i = 0; i < n; i += i < 16 ? 1 : 997) {
		int r = sniff(wire, i, name);
		if (r != (i < 5 ? 0 : -E2BIG))
			TAP_FAIL("prefix of %zu bytes: %d", i, r);
	}
}

/* ---- sniff_looks_tls --------------------------------------------------- */

TEST(looks_tls)
{
	static const char *const not_tls[] = {
		"GET / HTTP/1.1\r\n", "POST /x HTTP/1.1\r\n", "CONNECT a:443 HTTP/1.1\r\n",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "\x15\x03\x03\x00\x02\x02\x28",
		"\x17\x03\x03", "\x80\x2e\x01\x03\x01", "\r\n", "{\"jsonrpc\":\"2.0\"}",
	};

	/* Each capture, from its first byte on. */
	for (size_t i = 0; i < N_HELLOS; i++)
		for (size_t n = 1; n <= 5; n++)
			ASSERT_TRUE(sniff_looks_tls(tls_hellos[i].bytes, n));
	for (size_t i = 0; i < sizeof not_tls / sizeof not_tls[0]; i++) {
		const uint8_t *p = (const uint8_t *)not_tls[i];
		for (size_t n = 1; n <= strlen(not_tls[i]); n++)
			if (sniff_looks_tls(p, n))
				TAP_FAIL("\"%s\" (%zu bytes) taken for TLS", not_tls[i], n);
	}
	/* A handshake record of any version a server may take is TLS to
	 * the caller, which then needs sniff_tls_sni to read it. */
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16", 1));
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16\x03\x05", 3));
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16\x03\xff", 3));
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16\x05\x01", 3));
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16\x00", 2));
	ASSERT_TRUE(sniff_looks_tls((const uint8_t *)"\x16\x0f\xff", 3));
	/* Other protocols may start with 22 (a MongoDB message of 0x??16
	 * bytes, random data): not below Go's bound. */
	ASSERT_FALSE(sniff_looks_tls((const uint8_t *)"\x16\x10", 2));
	ASSERT_FALSE(sniff_looks_tls((const uint8_t *)"\x16\xdc\x36", 3));
	/* The versions it lets through that are not 3.x are refused. */
	{
		char name[GW_SNIFF_NAME_MAX + 1];
		ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x16\x05\x01\x00\x10\x01", 6, name));
		ASSERT_EQ(-EPROTO, sniff((const uint8_t *)"\x16\x00", 2, name));
	}
}

int main(void)
{
	RUN(captured_names);
	RUN(captured_structure);
	RUN(every_prefix_needs_more);
	RUN(trailing_bytes_ignored);
	RUN(split_over_two_records);
	RUN(split_over_three_records);
	RUN(later_records_checked);
	RUN(length_fields_off_by_one);
	RUN(name_lengths);
	RUN(name_refused);
	RUN(name_list_shapes);
	RUN(duplicate_server_name);
	RUN(no_extensions);
	RUN(not_a_client_hello);
	RUN(record_minor_versions);
	RUN(too_big);
	RUN(looks_tls);
	return tap_done();
}
