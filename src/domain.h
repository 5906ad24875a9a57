/* domain.h: host names and the allowedDomains / deniedDomains patterns of
 * the network policy, as the capture path and the proxy compare them.
 *
 * Pure functions, no I/O.  Names are compared in one canonical form: ASCII
 * lower-cased, without the trailing dot, every non-ASCII label as its
 * punycode A-label ("bücher" -> "xn--bcher-kva").  Non-ASCII letters are
 * not case-folded (that needs Unicode tables): write IDN patterns in lower
 * case, or as A-labels. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_DOMAIN_MAX 253   /* bytes of a normalised name, without the NUL */

/* Normalise in[0..len) into out (cap >= GW_DOMAIN_MAX + 1): labels of 1-63
 * bytes of letters, digits, '-' and '_', not starting or ending with '-';
 * at most 253 bytes.  Returns 0, or -EINVAL with *why set to a static
 * phrase ("empty label", ...). */
int domain_normalize(const char *in, size_t len, char *out, size_t cap, const char **why);

/* "example.com", "*.example.com" (strict subdomains only: not example.com
 * itself, nor example.com.evil.org), or an IP address ("192.0.2.7",
 * "[2001:db8::1]"), each with an optional ":PORT".  Names and addresses
 * never match each other: a destination that is an address is compared
 * in inet_ntop() form, which contains ':' (IPv6) or is a dotted quad,
 * and the proxy treats a dotted-quad "name" as the address it is. */
struct gw_domain_pattern {
	char base[GW_DOMAIN_MAX + 1];  /* normalised, without "*."; for an
	                                * address, its inet_ntop() text */
	bool wildcard;
	bool addr;                     /* an IP address rule: "1.2.3.4", "[::1]:443" */
	uint16_t port;                 /* 0: any port */
};

/* Parse one pattern.  Refused, with *why: a '*' anywhere but a leading
 * "*.", a wildcard over a single label ("*", "*.com": it would allow a
 * whole top-level domain), a bad port, a name domain_normalize() refuses.
 * Returns 0 or -EINVAL. */
int domain_pattern_parse(const char *text, struct gw_domain_pattern *out, const char **why);

/* Does normalised `name` on `port` fall under p? */
bool domain_pattern_match(const struct gw_domain_pattern *p, const char *name, uint16_t port);

enum gw_domain_verdict {
	GW_DOMAIN_ALLOWED,      /* matched an allow pattern, no deny pattern */
	GW_DOMAIN_DENIED,       /* matched a deny pattern (deny beats allow) */
	GW_DOMAIN_NOT_LISTED,   /* matched nothing: the default is deny */
};

/* The patterns of one policy; borrowed arrays. */
struct gw_domain_policy {
	const struct gw_domain_pattern *allow, *deny;
	size_t n_allow, n_deny;
};

/* Decide for normalised `name` on `port`; *rule (if not NULL) gets the
 * deciding pattern, NULL for GW_DOMAIN_NOT_LISTED. */
enum gw_domain_verdict domain_decide(const struct gw_domain_policy *p, const char *name,
				     uint16_t port, const struct gw_domain_pattern **rule);
