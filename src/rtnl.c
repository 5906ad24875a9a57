/* rtnl.c: see rtnl.h. */
#include "rtnl.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

/* Every answer here comes from the kernel within the sendto() call; the
 * wait only guards against the unexpected. */
#define ACK_TIMEOUT_MS 5000

/* Large enough for every request in this file. */
#define REQ_SIZE 256

int rtnl_open(void)
{
	return nl_open(NETLINK_ROUTE);
}

/* Finish the one message in b, send it and wait for its ack. */
static int request(int fd, struct gw_nlbuf *b, size_t msg, struct nl_failure *f)
{
	nl_msg_end(b, msg);
	int r = nl_send(fd, b);
	if (r < 0)
		return r;
	uint32_t seq = ((struct nlmsghdr *)(b->data + msg))->nlmsg_seq;
	return nl_wait_acks(fd, seq, seq, 1, ACK_TIMEOUT_MS, f);
}

static size_t begin(struct gw_nlbuf *b, uint16_t type, uint16_t extra_flags)
{
	return nl_msg_begin(b, type, NLM_F_REQUEST | NLM_F_ACK | extra_flags, nl_alloc_seq(1));
}

int rtnl_link_up(int fd, int ifindex, struct nl_failure *f)
{
	union { uint8_t bytes[REQ_SIZE]; struct nlmsghdr align; } st;
	struct gw_nlbuf b;
	nl_buf_init(&b, st.bytes, sizeof st.bytes);
	size_t msg = begin(&b, RTM_NEWLINK, 0);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	nl_put(&b, &ifi, sizeof ifi);
	return request(fd, &b, msg, f);
}

int rtnl_link_no_ipv6_autoconf(int fd, int ifindex, struct nl_failure *f)
{
	union { uint8_t bytes[REQ_SIZE]; struct nlmsghdr align; } st;
	struct gw_nlbuf b;
	nl_buf_init(&b, st.bytes, sizeof st.bytes);
	size_t msg = begin(&b, RTM_NEWLINK, 0);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	nl_put(&b, &ifi, sizeof ifi);
	size_t spec = nl_nest_begin(&b, IFLA_AF_SPEC);
	size_t inet6 = nl_nest_begin(&b, AF_INET6);
	nl_attr_u8(&b, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	nl_nest_end(&b, inet6);
	nl_nest_end(&b, spec);
	return request(fd, &b, msg, f);
}

int rtnl_addr_add4(int fd, int ifindex, uint32_t addr, uint8_t prefixlen, struct nl_failure *f)
{
	union { uint8_t bytes[REQ_SIZE]; struct nlmsghdr align; } st;
	struct gw_nlbuf b;
	nl_buf_init(&b, st.bytes, sizeof st.bytes);
	size_t msg = begin(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = prefixlen,
				 .ifa_flags = IFA_F_PERMANENT, .ifa_scope = RT_SCOPE_UNIVERSE,
				 .ifa_index = (uint32_t)ifindex };
	nl_put(&b, &ifa, sizeof ifa);
	/* On a point-to-point link IFA_ADDRESS is the peer; giving it the
	 * local address, as `ip addr add` does, makes the kernel add the
	 * prefix route for the whole subnet. */
	nl_attr(&b, IFA_LOCAL, &addr, sizeof addr);
	nl_attr(&b, IFA_ADDRESS, &addr, sizeof addr);
	return request(fd, &b, msg, f);
}

static int route_add4_default(int fd, int ifindex, uint8_t table, uint8_t scope, uint8_t type,
			      struct nl_failure *f)
{
	union { uint8_t bytes[REQ_SIZE]; struct nlmsghdr align; } st;
	struct gw_nlbuf b;
	nl_buf_init(&b, st.bytes, sizeof st.bytes);
	size_t msg = begin(&b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = 0, .rtm_table = table,
			    .rtm_protocol = RTPROT_BOOT, .rtm_scope = scope, .rtm_type = type };
	nl_put(&b, &rt, sizeof rt);
	nl_attr_u32(&b, RTA_OIF, (uint32_t)ifindex);
	return request(fd, &b, msg, f);
}

int rtnl_route_add4_default(int fd, int ifindex, struct nl_failure *f)
{
	/* No gateway: the destination is "on the link", as `ip route add
	 * default dev X` makes it. */
	return route_add4_default(fd, ifindex, RT_TABLE_MAIN, RT_SCOPE_LINK, RTN_UNICAST, f);
}

int rtnl_route_add4_local_default(int fd, int ifindex, struct nl_failure *f)
{
	return route_add4_default(fd, ifindex, RT_TABLE_LOCAL, RT_SCOPE_HOST, RTN_LOCAL, f);
}
