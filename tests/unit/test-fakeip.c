/* Unit tests for fakeip.c: stable names, reverse lookups, LRU eviction and
 * its idle floor, held entries, exhaustion, and how late an address comes
 * back after its name was evicted. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fakeip.h"
#include "tap.h"
#include "util.h"

static struct in_addr ip4(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

static uint32_t host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

/* lookup_name that must succeed. */
static struct in_addr get(struct gw_fakeip *p, const char *name, uint64_t now)
{
	struct in_addr a = { 0 };
	int r = fakeip_lookup_name(p, name, now, &a);
	if (r != 0)
		TAP_FAIL("fakeip_lookup_name(%s): %s", name, strerror(-r));
	return a;
}

TEST(siphash_vectors)
{
	/* The reference implementation's vectors: key 00..0f, message 00..n-1. */
	const uint64_t key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[64];
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	ASSERT_TRUE(fakeip_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	ASSERT_TRUE(fakeip_siphash(key, msg, 1) == 0x74f839c593dc67fdull);
	ASSERT_TRUE(fakeip_siphash(key, msg, 7) == 0xab0200f58b01d137ull);
	ASSERT_TRUE(fakeip_siphash(key, msg, 8) == 0x93f5f5799a932462ull);
	ASSERT_TRUE(fakeip_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
	ASSERT_TRUE(fakeip_siphash(key, msg, 63) == 0x958a324ceb064572ull);
}

TEST(init_limits_and_seed)
{
	struct gw_fakeip p, q;
	ASSERT_EQ(-EINVAL, fakeip_init(&p, GW_FAKEIP_MAX_ENTRIES + 1));
	ASSERT_EQ(0, fakeip_init(&p, 0));
	ASSERT_EQ(GW_FAKEIP_DEFAULT_ENTRIES, p.max_entries);
	ASSERT_EQ(GW_FAKEIP_MIN_IDLE, p.min_idle);
	ASSERT_EQ(0, fakeip_init(&q, 1));
	/* Each pool draws its own key (equal with probability 2^-128). */
	ASSERT_TRUE(memcmp(p.key, q.key, sizeof p.key) != 0);
	fakeip_free(&p);
	fakeip_free(&p);  /* idempotent */
	fakeip_free(&q);
}

TEST(same_name_same_ip)
{
	struct gw_fakeip p;
	ASSERT_EQ(0, fakeip_init(&p, 8));
	struct in_addr a = get(&p, "example.com", 1);
	ASSERT_EQ(host(ip4("198.18.0.2")), host(a));
	ASSERT_EQ(host(a), host(get(&p, "example.com", 2)));
	ASSERT_EQ(host(a), host(get(&p, "example.com", 100)));
	ASSERT_EQ(1, fakeip_count(&p));
	/* Names are opaque: normalising them is the caller's job. */
	ASSERT_NE(host(a), host(get(&p, "Example.com", 100)));
	fakeip_free(&p);
}

TEST(different_names_different_ips)
{
	struct gw_fakeip p;
	char name[32];
	ASSERT_EQ(0, fakeip_init(&p, 1000));
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "host%d.example", i);
		/* Round robin from 198.18.0.2, skipping .0.0 and .0.1. */
		ASSERT_EQ(GW_FAKEIP_NET + 2 + (uint32_t)i, host(get(&p, name, 1)));
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "host%d.example", i);
		ASSERT_EQ(GW_FAKEIP_NET + 2 + (uint32_t)i, host(get(&p, name, 2)));
	}
	ASSERT_EQ(1000, fakeip_count(&p));
	fakeip_free(&p);
}

TEST(reverse_lookup)
{
	struct gw_fakeip p;
	ASSERT_EQ(0, fakeip_init(&p, 8));
	struct in_addr a = get(&p, "a.example", 1), b = get(&p, "b.example", 1);
	ASSERT_STREQ("a.example", fakeip_lookup_ip(&p, a, 2));
	ASSERT_STREQ("b.example", fakeip_lookup_ip(&p, b, 2));
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("198.18.0.4"), 2) == NULL);   /* not handed out */
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("198.18.0.1"), 2) == NULL);   /* tun0 */
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("198.18.0.0"), 2) == NULL);
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("198.19.255.255"), 2) == NULL);
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("198.20.0.2"), 2) == NULL);   /* out of range */
	ASSERT_TRUE(fakeip_lookup_ip(&p, ip4("10.0.0.2"), 2) == NULL);
	ASSERT_TRUE(fakeip_in_range(ip4("198.18.0.0")));
	ASSERT_TRUE(fakeip_in_range(ip4("198.19.255.255")));
	ASSERT_FALSE(fakeip_in_range(ip4("198.17.255.255")));
	ASSERT_FALSE(fakeip_in_range(ip4("198.20.0.0")));
	fakeip_free(&p);
}

TEST(bad_names)
{
	struct gw_fakeip p;
	struct in_addr a;
	char name[300];
	ASSERT_EQ(0, fakeip_init(&p, 8));
	ASSERT_EQ(-EINVAL, fakeip_lookup_name(&p, "", 1, &a));
	memset(name, 'a', 254);
	name[254] = '\0';
	ASSERT_EQ(-EINVAL, fakeip_lookup_name(&p, name, 1, &a));
	name[253] = '\0';
	ASSERT_EQ(0, fakeip_lookup_name(&p, name, 1, &a));
	ASSERT_STREQ(name, fakeip_lookup_ip(&p, a, 1));
	ASSERT_EQ(1, fakeip_count(&p));
	fakeip_free(&p);
}

TEST(eviction_is_lru)
{
	struct gw_fakeip p;
	ASSERT_EQ(0, fakeip_init(&p, 3));
	p.min_idle = 0;
	struct in_addr a = get(&p, "a", 1), b = get(&p, "b", 2), c = get(&p, "c", 3);
	get(&p, "a", 4);                        /* a used again */
	ASSERT_STREQ("b", fakeip_lookup_ip(&p, b, 5));  /* a connection to b: used */
	/* Least recently used now: c. */
	struct in_addr d = get(&p, "d", 6);
	ASSERT_EQ(3, fakeip_count(&p));
	ASSERT_TRUE(fakeip_lookup_ip(&p, c, 6) == NULL);
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 6));
	/* From least to most recently used: b, d, a. */
	get(&p, "e", 7);
	ASSERT_TRUE(fakeip_lookup_ip(&p, b, 7) == NULL);
	get(&p, "f", 8);
	ASSERT_TRUE(fakeip_lookup_ip(&p, d, 8) == NULL);
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 8));
	/* An evicted name comes back with a fresh address, not its old one. */
	struct in_addr c2 = get(&p, "c", 9);
	ASSERT_NE(host(c), host(c2));
	ASSERT_EQ(host(ip4("198.18.0.8")), host(c2));
	fakeip_free(&p);
}

TEST(min_idle_floor)
{
	struct gw_fakeip p;
	struct in_addr x;
	ASSERT_EQ(0, fakeip_init(&p, 2));
	ASSERT_EQ(60, p.min_idle);
	struct in_addr a = get(&p, "a", 100);
	get(&p, "b", 110);
	/* a was used 30 s ago: a program may still be about to connect. */
	ASSERT_EQ(-ENOSPC, fakeip_lookup_name(&p, "c", 130, &x));
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 130));  /* and that use counts */
	ASSERT_EQ(-ENOSPC, fakeip_lookup_name(&p, "c", 169, &x));
	ASSERT_EQ(0, fakeip_lookup_name(&p, "c", 170, &x));  /* b: idle 60 s */
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 170));
	/* Time running back (a caller bug) does not make entries younger. */
	ASSERT_EQ(-ENOSPC, fakeip_lookup_name(&p, "d", 5, &x));
	fakeip_free(&p);
}

TEST(held_entries_are_never_evicted)
{
	struct gw_fakeip p;
	ASSERT_EQ(0, fakeip_init(&p, 2));
	p.min_idle = 0;
	struct in_addr a = get(&p, "a", 1), b = get(&p, "b", 2);
	ASSERT_EQ(0, fakeip_hold(&p, a));
	ASSERT_EQ(0, fakeip_hold(&p, a));   /* two connections */
	struct in_addr c = get(&p, "c", 3);  /* evicts b, though a is older */
	ASSERT_TRUE(fakeip_lookup_ip(&p, b, 3) == NULL);
	struct in_addr d = get(&p, "d", 4);  /* evicts c */
	ASSERT_TRUE(fakeip_lookup_ip(&p, c, 4) == NULL);
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 4));
	ASSERT_EQ(0, fakeip_release(&p, a));
	get(&p, "e", 5);                     /* a still held once: evicts d */
	ASSERT_TRUE(fakeip_lookup_ip(&p, d, 5) == NULL);
	ASSERT_EQ(0, fakeip_release(&p, a));
	/* Released last: a is now younger than e in the LRU order. */
	get(&p, "f", 6);
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, a, 6));
	ASSERT_EQ(host(a), host(get(&p, "a", 6)));
	fakeip_free(&p);
}

TEST(exhaustion_when_all_held)
{
	struct gw_fakeip p;
	struct in_addr x;
	ASSERT_EQ(0, fakeip_init(&p, 3));
	p.min_idle = 0;
	struct in_addr v[3] = { get(&p, "a", 1), get(&p, "b", 1), get(&p, "c", 1) };
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, fakeip_hold(&p, v[i]));
	for (int t = 2; t < 100; t++)
		ASSERT_EQ(-ENOSPC, fakeip_lookup_name(&p, "d", (uint64_t)t * 1000, &x));
	/* Known names still resolve, every mapping is intact. */
	ASSERT_EQ(host(v[1]), host(get(&p, "b", 200000)));
	ASSERT_STREQ("a", fakeip_lookup_ip(&p, v[0], 200000));
	ASSERT_STREQ("b", fakeip_lookup_ip(&p, v[1], 200000));
	ASSERT_STREQ("c", fakeip_lookup_ip(&p, v[2], 200000));
	ASSERT_EQ(0, fakeip_release(&p, v[1]));
	struct in_addr d = get(&p, "d", 200001);
	ASSERT_TRUE(fakeip_lookup_ip(&p, v[1], 200001) == NULL);
	ASSERT_STREQ("d", fakeip_lookup_ip(&p, d, 200001));
	fakeip_free(&p);
}

TEST(hold_release_errors)
{
	struct gw_fakeip p;
	ASSERT_EQ(0, fakeip_init(&p, 2));
	struct in_addr a = get(&p, "a", 1);
	ASSERT_EQ(-ENOENT, fakeip_hold(&p, ip4("198.18.0.9")));
	ASSERT_EQ(-ENOENT, fakeip_hold(&p, ip4("192.0.2.1")));
	ASSERT_EQ(-ENOENT, fakeip_release(&p, ip4("198.18.0.9")));
	ASSERT_EQ(-EINVAL, fakeip_release(&p, a));
	ASSERT_EQ(0, fakeip_hold(&p, a));
	ASSERT_EQ(0, fakeip_release(&p, a));
	ASSERT_EQ(-EINVAL, fakeip_release(&p, a));
	fakeip_free(&p);
}

/* With two entries and steady churn, each new name evicts the one added
 * two before it.  Every address must come back only after all the others
 * had their turn: at least GW_FAKEIP_USABLE - 2 allocations after it was
 * freed, never .0.0, .0.1 or the last address, and never to its old name. */
TEST(reuse_distance)
{
	struct gw_fakeip p;
	char name[32];
	ASSERT_EQ(0, fakeip_init(&p, 2));
	p.min_idle = 0;
	const uint32_t rounds = GW_FAKEIP_USABLE + 10;
	uint32_t *owner = xmalloc(GW_FAKEIP_SPACE * sizeof *owner);  /* last name k per offset */
	memset(owner, 0xff, GW_FAKEIP_SPACE * sizeof *owner);
	uint32_t first_reuse = 0;
	for (uint32_t k = 0; k < rounds; k++) {
		snprintf(name, sizeof name, "n%u.example", k);
		struct in_addr a = get(&p, name, k);
		uint32_t off = host(a) - GW_FAKEIP_NET;
		ASSERT_TRUE(fakeip_in_range(a));
		ASSERT_TRUE(off != 0 && off != 1 && off != GW_FAKEIP_SPACE - 1);
		if (owner[off] != UINT32_MAX) {
			/* Its previous name j was evicted when j + 2 was added. */
			uint32_t j = owner[off];
			ASSERT_TRUE(k - (j + 2) >= GW_FAKEIP_USABLE - 2);
			if (!first_reuse)
				first_reuse = k;
		}
		owner[off] = k;
		ASSERT_STREQ(name, fakeip_lookup_ip(&p, a, k));
	}
	free(owner);
	/* The first lap hands out every usable address exactly once. */
	ASSERT_EQ(GW_FAKEIP_USABLE, first_reuse);
	ASSERT_EQ(2, fakeip_count(&p));
	fakeip_free(&p);
}

/* The default pool, full: every name maps both ways, and the next one
 * waits for the idle floor. */
TEST(full_default_pool)
{
	struct gw_fakeip p;
	struct in_addr x;
	char name[32];
	ASSERT_EQ(0, fakeip_init(&p, 0));
	for (uint32_t i = 0; i < GW_FAKEIP_DEFAULT_ENTRIES; i++) {
		snprintf(name, sizeof name, "h%u.example", i);
		get(&p, name, 1000);
	}
	for (uint32_t i = 0; i < GW_FAKEIP_DEFAULT_ENTRIES; i++) {
		snprintf(name, sizeof name, "h%u.example", i);
		struct in_addr a = { htonl(GW_FAKEIP_NET + 2 + i) };
		ASSERT_STREQ(name, fakeip_lookup_ip(&p, a, 1000));
	}
	ASSERT_EQ(-ENOSPC, fakeip_lookup_name(&p, "new.example", 1059, &x));
	x = get(&p, "new.example", 1060);
	ASSERT_EQ(GW_FAKEIP_NET + 2 + GW_FAKEIP_DEFAULT_ENTRIES, host(x));
	/* The first name went (all were used at once; it was looked up first). */
	ASSERT_TRUE(fakeip_lookup_ip(&p, (struct in_addr){ htonl(GW_FAKEIP_NET + 2) }, 1060) == NULL);
	fakeip_free(&p);
}

int main(void)
{
	RUN(siphash_vectors);
	RUN(init_limits_and_seed);
	RUN(same_name_same_ip);
	RUN(different_names_different_ips);
	RUN(reverse_lookup);
	RUN(bad_names);
	RUN(eviction_is_lru);
	RUN(min_idle_floor);
	RUN(held_entries_are_never_evicted);
	RUN(exhaustion_when_all_held);
	RUN(hold_release_errors);
	RUN(reuse_distance);
	RUN(full_default_pool);
	return tap_done();
}
