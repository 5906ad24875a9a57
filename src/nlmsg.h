/* nlmsg.h: netlink requests built by hand, and the kernel's answers to them.
 *
 * The shared layer under rtnl.c (links, addresses, routes) and nftnl.c
 * (nf_tables batches).  greywall encodes netlink itself: no libmnl or
 * libnl, so the few messages it needs stay readable in one place.
 *
 * A request is built in a buffer the caller owns (usually on its stack).
 * The put functions never fail: when something does not fit they mark the
 * buffer as overflowed, and nl_send() then refuses it with -EMSGSIZE, so
 * callers check once instead of after every attribute.
 *
 * Every function returning int returns 0 (or an fd) on success and -errno
 * on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_nlbuf {
	uint8_t *data; /* caller's storage, 4-byte aligned; not owned */
	size_t cap;
	size_t len;
	bool overflow; /* a put did not fit: the request must not be sent */
};

void nl_buf_init(struct gw_nlbuf *b, void *storage, size_t cap);

/* Start a message; returns its offset, for nl_msg_end(), which fills in
 * its length.  The family header (ifinfomsg, nfgenmsg...) is the first
 * nl_put() after it. */
size_t nl_msg_begin(struct gw_nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq);
void nl_msg_end(struct gw_nlbuf *b, size_t msg);

/* Raw bytes, padded to the netlink alignment (4). */
void nl_put(struct gw_nlbuf *b, const void *p, size_t n);

void nl_attr(struct gw_nlbuf *b, uint16_t type, const void *p, size_t n);
void nl_attr_u8(struct gw_nlbuf *b, uint16_t type, uint8_t v);
/* Host byte order (rtnetlink). */
void nl_attr_u32(struct gw_nlbuf *b, uint16_t type, uint32_t v);
/* Stored big-endian (nf_tables' NLA_BE32); v is in host order. */
void nl_attr_be32(struct gw_nlbuf *b, uint16_t type, uint32_t v);
/* The string with its terminating NUL. */
void nl_attr_str(struct gw_nlbuf *b, uint16_t type, const char *s);

/* A nested attribute (NLA_F_NESTED is set): returns its offset for
 * nl_nest_end(), which fills in its length. */
size_t nl_nest_begin(struct gw_nlbuf *b, uint16_t type);
void nl_nest_end(struct gw_nlbuf *b, size_t nest);

/* A netlink socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER),
 * close-on-exec, with extended acks (the kernel's error text) and capped
 * acks (errors do not echo the whole request back).  Returns the fd. */
int nl_open(int protocol);

/* Send the whole buffer as one datagram to the kernel.  -EMSGSIZE when
 * the buffer overflowed while it was built. */
int nl_send(int fd, const struct gw_nlbuf *b);

/* What the kernel said about the first request it refused. */
struct nl_failure {
	uint32_t seq;   /* that request's sequence number */
	int error;      /* -errno */
	char why[160];  /* the kernel's extended-ack message, or "" */
};

/* Read acknowledgements until each of the `count` requests that asked for
 * one (NLM_F_ACK), with sequence numbers in [seq_lo, seq_hi], has been
 * answered, or until one is refused.  Answers to other sequence numbers or
 * from other senders are ignored.  Each read waits at most timeout_ms.
 * Returns 0 when all succeeded; otherwise the first refusal's -errno, with
 * *f describing it (f may be NULL), or -ETIMEDOUT. */
int nl_wait_acks(int fd, uint32_t seq_lo, uint32_t seq_hi, unsigned count, int timeout_ms,
		 struct nl_failure *f);

/* The first of n consecutive sequence numbers for new requests, distinct
 * from every other number handed out in this process (thread-safe). */
uint32_t nl_alloc_seq(unsigned n);
