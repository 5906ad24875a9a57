/* resolver.h: asynchronous name resolution for the proxy, on the
 * supervisor's event loop (c-ares: the loop never blocks on DNS).
 *
 * The resolver reads the host's resolver configuration (/etc/resolv.conf,
 * /etc/hosts) on its first lookup, not when it is created, so that a run
 * that makes no connection pays nothing for it.  network.dnsAddr, when
 * set, replaces the servers of resolv.conf.
 *
 * Test-only: when the environment of greywall itself has
 * GREYWALL_TEST_HOSTS=FILE, names are answered from FILE ("ADDRESS NAME..."
 * lines, like /etc/hosts) and from nothing else: a name not in it does not
 * exist.  The test suite uses this to give names to its loopback servers;
 * it is read by the supervisor, never by the sandboxed command.
 *
 * Ownership: the resolver belongs to its creator (resolver_free()); a
 * request belongs to the resolver until its callback has run, and
 * resolver_cancel() only guarantees that the callback will not run. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"

#define GW_RESOLVE_MAX_ADDRS 8

/* err is 0 (n >= 1 addresses, IPv4 first, each with `port`), -ENOENT (no
 * such name, or no address), -ETIMEDOUT, or another -errno.  addrs is
 * only valid during the call. */
typedef void (*gw_resolve_cb)(void *arg, int err, const struct sockaddr_storage *addrs, size_t n);

struct gw_resolver;
struct gw_resolve_req;

/* dns_addr: "host:port" (IPv6 in brackets) or NULL for resolv.conf. */
struct gw_resolver *resolver_new(struct gw_evloop *loop, const char *dns_addr);
/* Cancels every pending request (their callbacks never run).  NULL is a
 * no-op.  Not from inside a resolver callback. */
void resolver_free(struct gw_resolver *r);

/* Look `name` up; cb runs later from the event loop, never from inside
 * this call.  *req (may be NULL) lets the caller cancel.  0 or -errno. */
int resolver_lookup(struct gw_resolver *r, const char *name, uint16_t port, gw_resolve_cb cb,
		    void *arg, struct gw_resolve_req **req);

/* The callback of req will not run.  NULL is a no-op. */
void resolver_cancel(struct gw_resolve_req *req);
