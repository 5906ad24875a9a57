/* Unit tests for netpolicy.c: the verdicts for names and literals, and the
 * check of the addresses an allowed name resolves to. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "netpolicy.h"
#include "tap.h"

static char *allow_list[8], *deny_list[8];

/* A policy from NULL-terminated pattern lists (copied into the config). */
static void policy(struct gw_netpolicy *p, const char *const *allow, const char *const *deny,
		   int local, const char *proxy, const uint16_t *fwd, size_t n_fwd)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	config_init(&cfg);
	size_t i;
	for (i = 0; allow && allow[i]; i++)
		allow_list[i] = (char *)allow[i];
	allow_list[i] = NULL;
	for (i = 0; deny && deny[i]; i++)
		deny_list[i] = (char *)deny[i];
	deny_list[i] = NULL;
	cfg.network.allowed_domains = allow_list;
	cfg.network.denied_domains = deny_list;
	cfg.network.allow_local_outbound = local ? GW_TRUE : GW_FALSE;
	cfg.network.proxy_url = (char *)proxy;
	if (netpolicy_build(&cfg, fwd, n_fwd, p, &err) < 0)
		TAP_FAIL("netpolicy_build: %s", err.msg);
}

static struct sockaddr_storage addr(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	if (!netpolicy_parse_literal(text, port, &ss))
		TAP_FAIL("not a literal: %s", text);
	return ss;
}

static bool addr_ok(const struct gw_netpolicy *p, const char *text, uint16_t port)
{
	struct sockaddr_storage ss = addr(text, port);
	const char *why;
	return netpolicy_check_addr(p, (struct sockaddr *)&ss, &why);
}

TEST(decide_names)
{
	struct gw_netpolicy p;
	const char *allow[] = { "*.example.com", "github.com:443", NULL };
	const char *deny[] = { "secret.example.com", NULL };
	policy(&p, allow, deny, 0, NULL, NULL, 0);
	const char *why;
	ASSERT_EQ(GW_NET_ALLOW, netpolicy_decide(&p, "api.example.com", 443, &why, NULL));
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "secret.example.com", 443, &why, NULL));
	ASSERT_STREQ("in deniedDomains", why);
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "github.com", 22, &why, NULL));
	ASSERT_STREQ("not in allowedDomains", why);
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "93.184.216.34", 443, &why, NULL));
	netpolicy_free(&p);

	/* N12: nothing listed and no upstream proxy means no network. */
	policy(&p, NULL, NULL, 1, NULL, NULL, 0);
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "example.com", 443, &why, NULL));
	ASSERT_CONTAINS(why, "empty");
	netpolicy_free(&p);
}

TEST(delegate_to_upstream)
{
	struct gw_netpolicy p;
	const char *why;
	policy(&p, NULL, NULL, 0, "socks5://127.0.0.1:1080", NULL, 0);
	ASSERT_TRUE(p.delegate);
	ASSERT_EQ(GW_NET_ALLOW, netpolicy_decide(&p, "anything.org", 443, &why, NULL));
	netpolicy_free(&p);
	/* Once a domain is listed, greywall decides too. */
	const char *allow[] = { "example.com", NULL };
	policy(&p, allow, NULL, 0, "socks5://127.0.0.1:1080", NULL, 0);
	ASSERT_FALSE(p.delegate);
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "anything.org", 443, &why, NULL));
	netpolicy_free(&p);
}

TEST(forward_ports)
{
	struct gw_netpolicy p;
	const char *why;
	const uint16_t fwd[] = { 5432 };
	policy(&p, NULL, NULL, 0, NULL, fwd, 1);
	ASSERT_EQ(GW_NET_ALLOW, netpolicy_decide(&p, "localhost", 5432, &why, NULL));
	ASSERT_EQ(GW_NET_ALLOW, netpolicy_decide(&p, "127.0.0.1", 5432, &why, NULL));
	ASSERT_EQ(GW_NET_DENY, netpolicy_decide(&p, "localhost", 5433, &why, NULL));
	ASSERT_TRUE(addr_ok(&p, "127.0.0.1", 5432));
	ASSERT_FALSE(addr_ok(&p, "127.0.0.1", 5433));
	netpolicy_free(&p);
}

/* N5: an allowed name resolving to a local or metadata address. */
TEST(resolved_addresses)
{
	struct gw_netpolicy p;
	const char *allow[] = { "*.example.com", NULL };
	policy(&p, allow, NULL, 0, NULL, NULL, 0);
	const char *bad[] = { "127.0.0.1", "127.9.9.9", "0.0.0.0", "169.254.169.254", "10.1.2.3",
			      "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.100.100.200",
			      "198.18.0.5", "224.0.0.1", "255.255.255.255", "::1", "::",
			      "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1",
			      "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
			      "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:c0a8:101::", "ff02::1",
			      "64:ff9b:1::1", NULL };
	for (size_t i = 0; bad[i]; i++)
		if (addr_ok(&p, bad[i], 443))
			TAP_FAIL("%s accepted", bad[i]);
	const char *good[] = { "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:2800:220:1::1",
			       "::ffff:93.184.216.34", "64:ff9b::5db8:d822", NULL };
	for (size_t i = 0; good[i]; i++)
		if (!addr_ok(&p, good[i], 443))
			TAP_FAIL("%s refused", good[i]);
	netpolicy_free(&p);
}

TEST(local_opt_ins)
{
	struct gw_netpolicy p;
	const char *allow[] = { "*.example.com", "10.0.0.7:5432", "[fd00::5]", NULL };
	policy(&p, allow, NULL, 1, NULL, NULL, 0);
	ASSERT_TRUE(addr_ok(&p, "127.0.0.1", 80));        /* allowLocalOutbound */
	ASSERT_TRUE(addr_ok(&p, "::1", 80));
	ASSERT_FALSE(addr_ok(&p, "169.254.169.254", 80)); /* not covered by it */
	ASSERT_TRUE(addr_ok(&p, "10.0.0.7", 5432));       /* address rule, its port */
	ASSERT_FALSE(addr_ok(&p, "10.0.0.7", 22));
	ASSERT_TRUE(addr_ok(&p, "::ffff:10.0.0.7", 5432)); /* mapped form is the same host */
	ASSERT_TRUE(addr_ok(&p, "fd00::5", 1));
	const char *why;
	ASSERT_EQ(GW_NET_ALLOW, netpolicy_decide(&p, "10.0.0.7", 5432, &why, NULL));
	netpolicy_free(&p);
	const char *deny[] = { "127.0.0.1", NULL };
	policy(&p, allow, deny, 1, NULL, NULL, 0);
	ASSERT_FALSE(addr_ok(&p, "127.0.0.1", 80));       /* deny beats allowLocalOutbound */
	netpolicy_free(&p);
}

TEST(literals)
{
	struct sockaddr_storage ss;
	char host[64];
	uint16_t port;
	ASSERT_TRUE(netpolicy_parse_literal("[::ffff:1.2.3.4]", 80, &ss));
	ASSERT_EQ(0, netpolicy_host_of_addr((struct sockaddr *)&ss, host, sizeof host, &port));
	ASSERT_STREQ("1.2.3.4", host);
	ASSERT_EQ(80, port);
	ASSERT_TRUE(netpolicy_parse_literal("2001:DB8::1", 1, &ss));
	ASSERT_EQ(0, netpolicy_host_of_addr((struct sockaddr *)&ss, host, sizeof host, &port));
	ASSERT_STREQ("2001:db8::1", host);
	ASSERT_FALSE(netpolicy_parse_literal("127.1", 1, &ss));
	ASSERT_FALSE(netpolicy_parse_literal("example.com", 1, &ss));
	ASSERT_FALSE(netpolicy_parse_literal("[1.2.3.4]", 1, &ss));
}

int main(void)
{
	RUN(decide_names);
	RUN(delegate_to_upstream);
	RUN(forward_ports);
	RUN(resolved_addresses);
	RUN(local_opt_ins);
	RUN(literals);
	return tap_done();
}
