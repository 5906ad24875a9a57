/* fakeip.h: the fake-IP pool of the default network mode.  The DNS
 * answer for a name the policy may allow is an address from 198.18.0.0/15
 * (RFC 2544's benchmarking range, routed to tun0 inside the sandbox); a
 * redirected connection to such an address is mapped back to the name,
 * which is what the proxy then connects to.
 *
 * Pure data structure: no I/O but one getrandom() at init, time passed in
 * by the caller.  Single-threaded.
 *
 * Addresses.  The /15 less its first address (network), 198.18.0.1 (tun0's
 * own address) and 198.19.255.255 (broadcast-like): GW_FAKEIP_USABLE.  Free
 * addresses wait in a FIFO, first in the range's order (round robin), then
 * in the order they were freed, so an address is reused as late as
 * possible: after an entry is evicted, at least GW_FAKEIP_USABLE -
 * max_entries (65533 with the default, which is also the largest) other
 * names get an address before its address is handed out again.
 *
 * Names.  The pool maps opaque strings (the caller normalises them with
 * domain_normalize()) to addresses.  A name keeps its address while its
 * entry lives.  An entry dies only by eviction, and only to make room for
 * a new name when the pool holds max_entries: the least recently used
 * entry that no connection holds, and only if its last use is at least
 * `min_idle` seconds old, else the new name gets -ENOSPC (the DNS server
 * answers SERVFAIL): a program that looked a name up recently can count on
 * connecting to it, and a flood of names only starves the program that
 * sends it.
 *
 * Never a wrong name: an address whose entry is gone maps to nothing until
 * it is handed out again, and then to its new name only.  The residual risk
 * is a program that keeps a fake address far longer than the answer's TTL
 * (past min_idle, an eviction, and 65533 further new names): its connection
 * then reaches whatever name now has the address.  That name was allowed by
 * the policy too (only such names get addresses), and the proxy's SNI/Host
 * check catches the mismatch for TLS and HTTP.
 *
 * Memory, bounded by max_entries: 512 KiB for the address table, 40 bytes
 * per entry slot and 4 per hash bucket (both allocated for max_entries at
 * init, touched as they are used), and per live entry its name (malloc'd,
 * length + 1, at most 254 bytes).  The default pool (65536 entries) tops out
 * near 3 MiB + 0.5 MiB + 65536 names: about 5 MiB for 20-byte names, 21 MiB
 * if every name had 253 bytes.
 *
 * Lookups are O(1) on average both ways: names through a hash table keyed
 * with SipHash-2-4 under a per-pool random key (a sandboxed program picks
 * the names, so it must not be able to pick colliding ones), addresses
 * through a direct table over the /15's 2^17 offsets. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_FAKEIP_NET 0xc6120000u             /* 198.18.0.0, host byte order */
#define GW_FAKEIP_SPACE (1u << 17)            /* a /15 */
#define GW_FAKEIP_USABLE (GW_FAKEIP_SPACE - 3)
#define GW_FAKEIP_TUN 0xc6120001u             /* 198.18.0.1: tun0, never handed out */
#define GW_FAKEIP_DEFAULT_ENTRIES 65536
#define GW_FAKEIP_MAX_ENTRIES 65536           /* keeps half the range in the FIFO */
#define GW_FAKEIP_MIN_IDLE 60                 /* seconds; Java and browsers cache ~30-60 s */

struct gw_fakeip_entry;

/* Caller-owned storage, filled by fakeip_init().  Only min_idle is meant
 * to be changed afterwards (tests set 0 for plain LRU). */
struct gw_fakeip {
	struct gw_fakeip_entry *entries;  /* max_entries slots */
	uint32_t *buckets;                /* name hash -> first entry of a chain */
	uint32_t *slots;                  /* per address offset: its entry, or FIFO link */
	size_t max_entries, live, used;   /* used: slots ever filled (high-water mark) */
	uint32_t bucket_mask;
	uint32_t free_entry;              /* list of slots below `used` freed by eviction */
	uint32_t fifo_head, fifo_tail;    /* free addresses, next to hand out first */
	uint32_t lru_head, lru_tail;      /* entries nobody holds, least recently used first */
	uint64_t key[2];                  /* SipHash key, from getrandom() */
	uint64_t clock;                   /* latest `now` seen: time never runs back here */
	uint64_t min_idle;
};

/* Set up an empty pool for at most max_entries names (0: the default).
 * Returns 0, -EINVAL above GW_FAKEIP_MAX_ENTRIES, -ENOMEM, or getrandom()'s
 * -errno.  On error nothing needs freeing. */
int fakeip_init(struct gw_fakeip *p, size_t max_entries);

/* Free every entry and table.  Idempotent; names returned earlier dangle. */
void fakeip_free(struct gw_fakeip *p);

/* The address for `name` (a NUL-terminated string of 1 to 253 bytes),
 * allocated on first use, into *ip (network byte order).  `now` is
 * monotonic time in seconds; it marks the entry as used.  Returns 0,
 * -EINVAL for a bad name, -ENOSPC when the pool is full and no entry can
 * be evicted (all held, or the least recently used one was used less
 * than min_idle seconds ago), -ENOMEM.  May evict: names returned by
 * fakeip_lookup_ip() for entries not held may dangle afterwards. */
int fakeip_lookup_name(struct gw_fakeip *p, const char *name, uint64_t now, struct in_addr *ip);

/* The name `ip` (network byte order) stands for, or NULL when it is no
 * live fake address.  Marks the entry as used.  The string is the pool's:
 * valid until the next fakeip_lookup_name() or fakeip_free(), and for as
 * long as the entry is held. */
const char *fakeip_lookup_ip(struct gw_fakeip *p, struct in_addr ip, uint64_t now);

/* A connection to `ip` opened: its entry is not evicted until a matching
 * fakeip_release().  Returns 0, -ENOENT when ip has no entry, -EOVERFLOW
 * after 2^32 - 1 holds. */
int fakeip_hold(struct gw_fakeip *p, struct in_addr ip);

/* That connection closed; the entry counts as used now (the latest time
 * the pool has seen).  Returns 0, -ENOENT, or -EINVAL when it was not
 * held. */
int fakeip_release(struct gw_fakeip *p, struct in_addr ip);

/* Is ip in 198.18.0.0/15?  A connection to such an address that
 * fakeip_lookup_ip() does not know is to a stale fake address: reset it,
 * do not treat it as an IP literal. */
bool fakeip_in_range(struct in_addr ip);

/* Live entries. */
static inline size_t fakeip_count(const struct gw_fakeip *p)
{
	return p->live;
}

/* SipHash-2-4 (Aumasson and Bernstein), the pool's name hash; exported for
 * its test vectors. */
uint64_t fakeip_siphash(const uint64_t key[2], const void *data, size_t len);
