/* rtnl.h: the few rtnetlink requests the capture setup needs (links up,
 * one IPv4 address, one default route), in the calling thread's network
 * namespace.
 *
 * Each function sends one request on `fd` (from rtnl_open()), asks for an
 * acknowledgement and waits for it (bounded), so a refusal is seen where it
 * happens.  They return 0 or -errno; f (may be NULL) receives the kernel's
 * explanation when it gave one.  All need CAP_NET_ADMIN over the network
 * namespace. */
#pragma once

#include <stdint.h>

#include "nlmsg.h"

/* A NETLINK_ROUTE socket; the caller closes it.  Returns the fd. */
int rtnl_open(void);

/* Set IFF_UP on the interface. */
int rtnl_link_up(int fd, int ifindex, struct nl_failure *f);

/* Stop the kernel from giving the interface IPv6 link-local (or any
 * automatic) addresses: addr_gen_mode "none".  Only effective before the
 * link comes up.  -EAFNOSUPPORT when the kernel has no IPv6. */
int rtnl_link_no_ipv6_autoconf(int fd, int ifindex, struct nl_failure *f);

/* `ip addr add ADDR/PREFIXLEN dev IFINDEX` for IPv4; addr is in network
 * byte order. */
int rtnl_addr_add4(int fd, int ifindex, uint32_t addr, uint8_t prefixlen, struct nl_failure *f);

/* `ip route add default dev IFINDEX` (IPv4, main table, scope link). */
int rtnl_route_add4_default(int fd, int ifindex, struct nl_failure *f);

/* `ip route add local default dev IFINDEX table local` (IPv4): every
 * destination counts as an address of this host, so nothing is ever
 * routed out. */
int rtnl_route_add4_local_default(int fd, int ifindex, struct nl_failure *f);
