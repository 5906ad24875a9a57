/* fakeip.c: see fakeip.h.
 *
 * Entries, buckets and the address table link to each other by 32-bit
 * indices, not pointers: half the size, and nothing to fix up.  NIL ends
 * every list. */
#include "fakeip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "domain.h"

#define NIL UINT32_MAX
/* An address table slot holds LIVE | entry index for an address in use,
 * otherwise the next address of the free FIFO (or FIFO_END). */
#define LIVE 0x80000000u
#define FIFO_END 0x7fffffffu
#define OFF_BROADCAST (GW_FAKEIP_SPACE - 1)
#define OFF_TUN (GW_FAKEIP_TUN - GW_FAKEIP_NET)

struct gw_fakeip_entry {
	char *name;          /* owned; NULL while the slot is free */
	uint64_t last_used;
	uint32_t hash;       /* low half of the name's SipHash: bucket, then quick compare */
	uint32_t off;        /* address - 198.18.0.0 */
	uint32_t chain;      /* next in the name's bucket, or in the free slot list */
	uint32_t prev, next; /* idle LRU list */
	uint32_t refs;       /* connections holding the entry */
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                   \
	do {                                                                       \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);          \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                             \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                             \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);          \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t fakeip_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];
	uint64_t last = (uint64_t)len << 56;
	size_t i = 0;
	for (; len - i >= 8; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static int seed(uint64_t key[2])
{
	ssize_t n;
	do
		n = getrandom(key, 2 * sizeof key[0], 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 2 * sizeof key[0] ? 0 : -EIO;
}

/* Every usable address, in the range's order, into the free FIFO. */
static void fifo_fill(struct gw_fakeip *p)
{
	uint32_t prev = NIL;
	p->fifo_head = FIFO_END;
	for (uint32_t off = 0; off < GW_FAKEIP_SPACE; off++) {
		if (off == 0 || off == OFF_TUN || off == OFF_BROADCAST)
			continue;
		if (prev == NIL)
			p->fifo_head = off;
		else
			p->slots[prev] = off;
		prev = off;
	}
	p->slots[prev] = FIFO_END;
	p->fifo_tail = prev;
}

/* Never empty: it holds GW_FAKEIP_USABLE - live > 0 addresses. */
static uint32_t fifo_pop(struct gw_fakeip *p)
{
	uint32_t off = p->fifo_head;
	p->fifo_head = p->slots[off];
	if (p->fifo_head == FIFO_END)
		p->fifo_tail = FIFO_END;
	return off;
}

static void fifo_push(struct gw_fakeip *p, uint32_t off)
{
	p->slots[off] = FIFO_END;
	if (p->fifo_tail == FIFO_END)
		p->fifo_head = off;
	else
		p->slots[p->fifo_tail] = off;
	p->fifo_tail = off;
}

int fakeip_init(struct gw_fakeip *p, size_t max_entries)
{
	memset(p, 0, sizeof *p);
	if (max_entries == 0)
		max_entries = GW_FAKEIP_DEFAULT_ENTRIES;
	if (max_entries > GW_FAKEIP_MAX_ENTRIES)
		return -EINVAL;
	int r = seed(p->key);
	if (r < 0)
		return r;
	size_t nb = 1;
	while (nb < max_entries)
		nb <<= 1;
	p->entries = calloc(max_entries, sizeof *p->entries);
	p->buckets = malloc(nb * sizeof *p->buckets);
	/* Zeroed: the three addresses never handed out must read as not LIVE. */
	p->slots = calloc(GW_FAKEIP_SPACE, sizeof *p->slots);
	if (!p->entries || !p->buckets || !p->slots) {
		fakeip_free(p);
		return -ENOMEM;
	}
	memset(p->buckets, 0xff, nb * sizeof *p->buckets);  /* all NIL */
	p->bucket_mask = (uint32_t)(nb - 1);
	p->max_entries = max_entries;
	p->free_entry = p->lru_head = p->lru_tail = NIL;
	p->min_idle = GW_FAKEIP_MIN_IDLE;
	fifo_fill(p);
	return 0;
}

void fakeip_free(struct gw_fakeip *p)
{
	if (p->entries)
		for (size_t i = 0; i < p->used; i++)
			free(p->entries[i].name);
	free(p->entries);
	free(p->buckets);
	free(p->slots);
	p->entries = NULL;
	p->buckets = p->slots = NULL;
	p->live = p->used = 0;
}

static void lru_unlink(struct gw_fakeip *p, uint32_t i)
{
	struct gw_fakeip_entry *e = &p->entries[i];
	if (e->prev == NIL)
		p->lru_head = e->next;
	else
		p->entries[e->prev].next = e->next;
	if (e->next == NIL)
		p->lru_tail = e->prev;
	else
		p->entries[e->next].prev = e->prev;
	e->prev = e->next = NIL;
}

static void lru_append(struct gw_fakeip *p, uint32_t i)
{
	struct gw_fakeip_entry *e = &p->entries[i];
	e->prev = p->lru_tail;
	e->next = NIL;
	if (p->lru_tail == NIL)
		p->lru_head = i;
	else
		p->entries[p->lru_tail].next = i;
	p->lru_tail = i;
}

static void tick(struct gw_fakeip *p, uint64_t now)
{
	if (now > p->clock)
		p->clock = now;
}

/* A use: the entry moves to the young end of the idle list (entries that
 * are held are not on it). */
static void touch(struct gw_fakeip *p, uint32_t i)
{
	p->entries[i].last_used = p->clock;
	if (p->entries[i].refs == 0) {
		lru_unlink(p, i);
		lru_append(p, i);
	}
}

static uint32_t *bucket_of(struct gw_fakeip *p, uint32_t hash)
{
	return &p->buckets[hash & p->bucket_mask];
}

static uint32_t find_name(struct gw_fakeip *p, const char *name, uint32_t hash)
{
	for (uint32_t i = *bucket_of(p, hash); i != NIL; i = p->entries[i].chain) {
		const struct gw_fakeip_entry *e = &p->entries[i];
		if (e->hash == hash && strcmp(e->name, name) == 0)
			return i;
	}
	return NIL;
}

static void unchain(struct gw_fakeip *p, uint32_t i)
{
	struct gw_fakeip_entry *e = &p->entries[i];
	uint32_t *link = bucket_of(p, e->hash);
	while (*link != i)
		link = &p->entries[*link].chain;
	*link = e->chain;
}

/* Drop the least recently used idle entry, if it has been idle long
 * enough; its address goes to the back of the free FIFO. */
static int evict(struct gw_fakeip *p)
{
	uint32_t i = p->lru_head;
	if (i == NIL || p->clock - p->entries[i].last_used < p->min_idle)
		return -ENOSPC;
	struct gw_fakeip_entry *e = &p->entries[i];
	unchain(p, i);
	lru_unlink(p, i);
	fifo_push(p, e->off);
	free(e->name);
	e->name = NULL;
	e->chain = p->free_entry;
	p->free_entry = i;
	p->live--;
	return 0;
}

static uint32_t take_entry(struct gw_fakeip *p)
{
	uint32_t i = p->free_entry;
	if (i != NIL) {
		p->free_entry = p->entries[i].chain;
		return i;
	}
	return (uint32_t)p->used++;
}

static struct in_addr addr_of(uint32_t off)
{
	return (struct in_addr){ htonl(GW_FAKEIP_NET + off) };
}

static int add_name(struct gw_fakeip *p, const char *name, uint32_t hash)
{
	if (p->live == p->max_entries) {
		int r = evict(p);
		if (r < 0)
			return r;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	uint32_t i = take_entry(p);
	struct gw_fakeip_entry *e = &p->entries[i];
	uint32_t *bucket = bucket_of(p, hash);
	*e = (struct gw_fakeip_entry){ .name = copy, .last_used = p->clock,
				       .hash = hash, .off = fifo_pop(p),
				       .chain = *bucket, .prev = NIL, .next = NIL };
	*bucket = i;
	p->slots[e->off] = LIVE | i;
	lru_append(p, i);
	p->live++;
	return (int)i;
}

int fakeip_lookup_name(struct gw_fakeip *p, const char *name, uint64_t now, struct in_addr *ip)
{
	size_t len = strnlen(name, GW_DOMAIN_MAX + 1);
	if (len == 0 || len > GW_DOMAIN_MAX)
		return -EINVAL;
	tick(p, now);
	uint32_t hash = (uint32_t)fakeip_siphash(p->key, name, len);
	uint32_t i = find_name(p, name, hash);
	if (i != NIL) {
		touch(p, i);
	} else {
		int r = add_name(p, name, hash);
		if (r < 0)
			return r;
		i = (uint32_t)r;
	}
	*ip = addr_of(p->entries[i].off);
	return 0;
}

bool fakeip_in_range(struct in_addr ip)
{
	return (ntohl(ip.s_addr) & ~(GW_FAKEIP_SPACE - 1)) == GW_FAKEIP_NET;
}

/* The entry at ip, or NIL. */
static uint32_t find_ip(const struct gw_fakeip *p, struct in_addr ip)
{
	if (!fakeip_in_range(ip))
		return NIL;
	uint32_t slot = p->slots[ntohl(ip.s_addr) - GW_FAKEIP_NET];
	return slot & LIVE ? slot & ~LIVE : NIL;
}

const char *fakeip_lookup_ip(struct gw_fakeip *p, struct in_addr ip, uint64_t now)
{
	uint32_t i = find_ip(p, ip);
	if (i == NIL)
		return NULL;
	tick(p, now);
	touch(p, i);
	return p->entries[i].name;
}

int fakeip_hold(struct gw_fakeip *p, struct in_addr ip)
{
	uint32_t i = find_ip(p, ip);
	if (i == NIL)
		return -ENOENT;
	struct gw_fakeip_entry *e = &p->entries[i];
	if (e->refs == UINT32_MAX)
		return -EOVERFLOW;
	if (e->refs++ == 0)
		lru_unlink(p, i);
	return 0;
}

int fakeip_release(struct gw_fakeip *p, struct in_addr ip)
{
	uint32_t i = find_ip(p, ip);
	if (i == NIL)
		return -ENOENT;
	struct gw_fakeip_entry *e = &p->entries[i];
	if (e->refs == 0)
		return -EINVAL;
	if (--e->refs == 0) {
		e->last_used = p->clock;
		lru_append(p, i);
	}
	return 0;
}
