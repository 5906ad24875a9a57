/* Unit tests for domain.c: name normalisation, punycode, patterns and the
 * allow/deny decision. */
#include <errno.h>
#include <string.h>

#include "domain.h"
#include "tap.h"

static const char *norm(const char *in, char *buf)
{
	const char *why;
	return domain_normalize(in, strlen(in), buf, GW_DOMAIN_MAX + 1, &why) == 0 ? buf : why;
}

TEST(normalize_ascii)
{
	char b[GW_DOMAIN_MAX + 1];
	ASSERT_STREQ("example.com", norm("EXAMPLE.Com", b));
	ASSERT_STREQ("example.com", norm("example.com.", b));
	ASSERT_STREQ("_dmarc.example.com", norm("_dmarc.example.com", b));
	ASSERT_STREQ("a-b.c", norm("a-b.c", b));
	ASSERT_STREQ("localhost", norm("localhost", b));
}

TEST(normalize_punycode)
{
	char b[GW_DOMAIN_MAX + 1];
	/* RFC 3492 / IDNA reference spellings. */
	ASSERT_STREQ("xn--bcher-kva.example", norm("b\xc3\xbc" "cher.example", b));
	ASSERT_STREQ("xn--mnchen-3ya.de", norm("m\xc3\xbc" "nchen.de", b));
	ASSERT_STREQ("xn--r8jz45g.xn--zckzah",
		     norm("\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", b));
	/* ASCII capitals in an IDN label are folded before encoding. */
	ASSERT_STREQ("xn--bcher-kva.example", norm("B\xc3\xbc" "CHER.EXAMPLE", b));
	/* Only non-ASCII: no '-' separator. */
	ASSERT_STREQ("xn--tda", norm("\xc3\xbc", b));
}

TEST(normalize_refuses)
{
	char b[GW_DOMAIN_MAX + 1];
	const char *why;
	ASSERT_STREQ("empty name", norm("", b));
	ASSERT_STREQ("empty name", norm(".", b));
	ASSERT_STREQ("empty label", norm("a..b", b));
	ASSERT_STREQ("empty label", norm(".a", b));
	ASSERT_STREQ("empty label", norm("a.b..", b));
	ASSERT_CONTAINS(norm("-a.com", b), "'-'");
	ASSERT_CONTAINS(norm("a-.com", b), "'-'");
	ASSERT_CONTAINS(norm("a b.com", b), "letters");
	ASSERT_CONTAINS(norm("a/b.com", b), "letters");
	ASSERT_CONTAINS(norm("a:b", b), "letters");
	ASSERT_STREQ("invalid UTF-8", norm("\xff.com", b));
	ASSERT_STREQ("invalid UTF-8", norm("\xc0\xaf.com", b));       /* overlong '/' */
	ASSERT_STREQ("invalid UTF-8", norm("\xed\xa0\x80.com", b));   /* surrogate */
	ASSERT_STREQ("invalid UTF-8", norm("\xc3", b));               /* truncated */
	/* A NUL inside the given length is a bad character, not an end. */
	ASSERT_EQ(-EINVAL, domain_normalize("a\0b.com", 7, b, sizeof b, &why));
	char label[70];
	memset(label, 'a', 63);
	strcpy(label + 63, ".com");
	ASSERT_STREQ(label, norm(label, b));
	memset(label, 'a', 64);
	strcpy(label + 64, ".com");
	ASSERT_CONTAINS(norm(label, b), "63");
	/* 4 x 63 + 3 dots = 255 > 253. */
	char big[300];
	size_t at = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			big[at++] = '.';
		memset(big + at, 'a', 63);
		at += 63;
	}
	big[at] = '\0';
	ASSERT_CONTAINS(norm(big, b), "253");
	big[63 * 3 + 3 + 61] = '\0'; /* 253 exactly */
	ASSERT_EQ(253, (long)strlen(norm(big, b)));
	/* A non-ASCII label whose A-label would pass 63 bytes. */
	char idn[200];
	size_t k = 0;
	for (unsigned i = 0; i < 30; i++) { /* scattered CJK points, 3 bytes each */
		unsigned cp = 0x4e00 + i * 397;
		idn[k++] = (char)(0xe0 | cp >> 12);
		idn[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
		idn[k++] = (char)(0x80 | (cp & 0x3f));
	}
	idn[k] = '\0';
	ASSERT_CONTAINS(norm(idn, b), "63");
	ASSERT_EQ(-EINVAL, domain_normalize("a.com", 5, b, 10, &why));
}

static struct gw_domain_pattern pat(const char *s)
{
	struct gw_domain_pattern p;
	const char *why;
	if (domain_pattern_parse(s, &p, &why) < 0) {
		memset(&p, 0, sizeof p);
		strcpy(p.base, "<refused>");
	}
	return p;
}

TEST(pattern_wildcard_is_strict)
{
	struct gw_domain_pattern p = pat("*.Example.com");
	ASSERT_TRUE(p.wildcard);
	ASSERT_STREQ("example.com", p.base);
	ASSERT_TRUE(domain_pattern_match(&p, "a.example.com", 443));
	ASSERT_TRUE(domain_pattern_match(&p, "a.b.example.com", 80));
	ASSERT_FALSE(domain_pattern_match(&p, "example.com", 443));
	ASSERT_FALSE(domain_pattern_match(&p, "aexample.com", 443));
	ASSERT_FALSE(domain_pattern_match(&p, "example.com.evil.org", 443));
	ASSERT_FALSE(domain_pattern_match(&p, ".example.com", 443));
	struct gw_domain_pattern e = pat("example.com");
	ASSERT_FALSE(e.wildcard);
	ASSERT_TRUE(domain_pattern_match(&e, "example.com", 1));
	ASSERT_FALSE(domain_pattern_match(&e, "a.example.com", 1));
	ASSERT_FALSE(domain_pattern_match(&e, "example.com.evil.org", 1));
}

TEST(pattern_ports)
{
	struct gw_domain_pattern p = pat("api.example.com:8443");
	ASSERT_EQ(8443, p.port);
	ASSERT_TRUE(domain_pattern_match(&p, "api.example.com", 8443));
	ASSERT_FALSE(domain_pattern_match(&p, "api.example.com", 443));
	p = pat("*.example.com:443");
	ASSERT_TRUE(p.wildcard);
	ASSERT_EQ(443, p.port);
	ASSERT_TRUE(domain_pattern_match(&p, "x.example.com", 443));
	ASSERT_FALSE(domain_pattern_match(&p, "x.example.com", 80));
	p = pat("b\xc3\xbc" "cher.example:443");
	ASSERT_STREQ("xn--bcher-kva.example", p.base);
}

TEST(pattern_refuses)
{
	const char *bad[] = { "*", "*.", "*.com", "*.COM.", "foo.*.com", "ex*ample.com", "**.example.com",
			      "*example.com", "example.com:", "example.com:0", "example.com:65536",
			      "example.com:80a", "example.com:123456", ":443", "", "a..b", "[::1",
			      "[::1]x", "[1.2.3.4]", "[::1]:0", "1.2.3.4:99999", "*.1.2.3.4",
			      "exa mple.com", NULL };
	for (size_t i = 0; bad[i]; i++) {
		struct gw_domain_pattern p;
		const char *why = NULL;
		ASSERT_EQ(-EINVAL, domain_pattern_parse(bad[i], &p, &why));
		ASSERT_TRUE(why != NULL);
	}
	struct gw_domain_pattern p;
	const char *why;
	ASSERT_EQ(-EINVAL, domain_pattern_parse("*.com", &p, &why));
	ASSERT_CONTAINS(why, "too broad");
	ASSERT_EQ(-EINVAL, domain_pattern_parse("*", &p, &why));
	ASSERT_CONTAINS(why, "every name");
	ASSERT_EQ(-EINVAL, domain_pattern_parse("foo.*.com", &p, &why));
	ASSERT_CONTAINS(why, "leading");
	ASSERT_EQ(0, domain_pattern_parse("*.co.uk", &p, &why));
	ASSERT_EQ(0, domain_pattern_parse("example.com:65535", &p, &why));
}

TEST(pattern_addresses)
{
	struct gw_domain_pattern p = pat("192.0.2.7");
	ASSERT_TRUE(p.addr);
	ASSERT_STREQ("192.0.2.7", p.base);
	ASSERT_TRUE(domain_pattern_match(&p, "192.0.2.7", 1));
	p = pat("[2001:DB8:0::1]:443");
	ASSERT_TRUE(p.addr);
	ASSERT_STREQ("2001:db8::1", p.base); /* canonical inet_ntop text */
	ASSERT_EQ(443, p.port);
	ASSERT_TRUE(domain_pattern_match(&p, "2001:db8::1", 443));
	ASSERT_FALSE(domain_pattern_match(&p, "2001:db8::1", 80));
	p = pat("127.0.0.1:8080");
	ASSERT_TRUE(p.addr);
	ASSERT_EQ(8080, p.port);
	/* Not dotted quads: names, which the resolver check handles. */
	ASSERT_FALSE(pat("127.1").addr);
	ASSERT_FALSE(pat("example.com").addr);
}

TEST(decide_deny_beats_allow)
{
	struct gw_domain_pattern allow[] = { pat("*.example.com"), pat("github.com") };
	struct gw_domain_pattern deny[] = { pat("secret.example.com"), pat("github.com:22") };
	struct gw_domain_policy pol = { allow, deny, 2, 2 };
	const struct gw_domain_pattern *rule;
	ASSERT_EQ(GW_DOMAIN_ALLOWED, domain_decide(&pol, "api.example.com", 443, &rule));
	ASSERT_TRUE(rule == &allow[0]);
	ASSERT_EQ(GW_DOMAIN_DENIED, domain_decide(&pol, "secret.example.com", 443, &rule));
	ASSERT_TRUE(rule == &deny[0]);
	ASSERT_EQ(GW_DOMAIN_ALLOWED, domain_decide(&pol, "github.com", 443, &rule));
	ASSERT_EQ(GW_DOMAIN_DENIED, domain_decide(&pol, "github.com", 22, &rule));
	ASSERT_EQ(GW_DOMAIN_NOT_LISTED, domain_decide(&pol, "example.com", 443, &rule));
	ASSERT_TRUE(rule == NULL);
	ASSERT_EQ(GW_DOMAIN_NOT_LISTED, domain_decide(&pol, "evil.org", 443, NULL));
	struct gw_domain_policy empty = { 0 };
	ASSERT_EQ(GW_DOMAIN_NOT_LISTED, domain_decide(&empty, "example.com", 443, NULL));
}

int main(void)
{
	RUN(normalize_ascii);
	RUN(normalize_punycode);
	RUN(normalize_refuses);
	RUN(pattern_wildcard_is_strict);
	RUN(pattern_ports);
	RUN(pattern_refuses);
	RUN(pattern_addresses);
	RUN(decide_deny_beats_allow);
	return tap_done();
}
