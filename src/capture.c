/* capture.c: see capture.h.
 *
 * The ruleset, as `nft list ruleset` prints it (DNS and TCP being the two
 * ports of struct gw_capture_ports):
 *
 *   table inet greywall {
 *     chain out {
 *       type nat hook output priority -100; policy accept;
 *       udp dport 53 redirect to :DNS
 *       tcp dport 53 redirect to :DNS
 *       ip daddr 127.0.0.0/8 return
 *       ip6 daddr ::1 return
 *       meta l4proto tcp redirect to :TCP
 *     }
 *     chain filt {
 *       type filter hook output priority filter; policy drop;
 *       ct status dnat accept
 *       ip daddr 127.0.0.0/8 accept
 *       ip6 daddr ::1 accept
 *     }
 *   }
 *
 * Why each part:
 * - DNS first, before the loopback exception: a resolver at 127.0.0.53 (or
 *   any address) is still answered by the supervisor.  A DNS server the
 *   sandboxed program runs itself on port 53 is therefore unreachable.
 * - Loopback stays loopback: servers the program starts and connects to
 *   itself (tests, language servers, databases) must keep working, and
 *   127.0.0.0/8 and ::1 cannot leave the namespace anyway.
 * - Every other TCP connection goes to the listener, whatever its address.
 * - The filter chain allows only what was redirected and what is loopback,
 *   and drops the rest.  A packet dropped in the output hook makes the
 *   sending system call fail with EPERM at once: UDP to anything but DNS,
 *   ICMP (ping sockets or raw), other IP protocols, IPv6 to anything but
 *   ::1 (there is no IPv6 route anyway, so that fails earlier with
 *   ENETUNREACH), and TCP that conntrack refused to track (so the NAT chain
 *   never saw it).  It is a default-deny list rather than the "reject udp,
 *   reject icmp" of the first design, because of the fallback without
 *   tun0: there every destination is local, so the output device is lo for
 *   all traffic and "oifname lo accept" would let everything through.
 *   Matching the destination address works the same with and without tun0.
 *   Dropping instead of rejecting: a reject's ICMP or RST would be sent to
 *   ourselves and dropped by this very chain; EPERM is what the sender sees
 *   either way.
 * - "ct status dnat accept" comes first: after NAT has rerouted a
 *   redirected packet to lo, the hook still reports the original output
 *   device (tun0), so no interface match would recognise it (design,
 *   gotcha 2).  Replies from the redirect sockets belong to the same
 *   conntrack entries and pass by the same rule.
 * - Traffic to the namespace's own address 198.18.0.1 is not loopback:
 *   TCP to it is redirected like any other, the rest is dropped.
 *
 * nf_tables semantics that matter here: the nat chain sees only the first
 * packet of a connection; conntrack applies its decision to the rest and
 * to the replies.  The filter chain sees every packet. */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "nftnl.h"
#include "rtnl.h"

#define TUN_NAME "tun0"
/* 198.18.0.0/15 is reserved for benchmarking (RFC 2544): nothing real
 * lives there, so fake DNS answers can use the rest of it. */
#define TUN_ADDR "198.18.0.1"
#define TUN_PREFIXLEN 15

static void capture_fds_closep(struct gw_capture_fds *fds)
{
	capture_fds_close(fds);
}

void capture_fds_close(struct gw_capture_fds *fds)
{
	gw_close_fd(fds->tcp_listener);
	gw_close_fd(fds->dns_udp);
	gw_close_fd(fds->dns_tcp);
	gw_close_fd(fds->tun);
	*fds = (struct gw_capture_fds)GW_CAPTURE_FDS_INIT;
}

/* " (kernel: TEXT)" when the kernel explained a refusal, else "". */
static const char *kernel_says(const char *why, char *buf, size_t size)
{
	if (!why[0])
		return "";
	snprintf(buf, size, " (kernel: %s)", why);
	return buf;
}

static int rtnl_error(struct gw_error *err, int r, const struct nl_failure *nf, const char *what)
{
	char k[200];
	return gw_error_set(err, r, "%s: %s%s", what, strerror(-r),
			    kernel_says(nf->error ? nf->why : "", k, sizeof k));
}

/* ---- sockets ---------------------------------------------------------- */

/* A non-blocking socket bound to addr:port (network byte order address),
 * listening when it is a stream socket.  Returns the fd or -errno. */
static int bound_socket(int type, uint32_t addr, uint16_t port)
{
	_cleanup_close_ int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int one = 1;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return -errno;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = addr };
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -errno;
	if (type == SOCK_STREAM && listen(s, SOMAXCONN) < 0)
		return -errno;
	return steal_fd(&s);
}

static int socket_error(struct gw_error *err, int r, const char *what, const char *addr,
			uint16_t port)
{
	return gw_error_set(err, r, "cannot create the %s on %s:%u in the sandbox's network "
			    "namespace: %s%s", what, addr, port, strerror(-r),
			    r == -EADDRINUSE ? ". Hint: the capture ports must differ from "
					       "each other and be free in the namespace" : "");
}

static int open_sockets(const struct gw_capture_ports *ports, struct gw_capture_fds *fds,
			struct gw_error *err)
{
	/* Redirected connections arrive addressed to 127.0.0.1 (redirect
	 * in the output hook picks loopback); the wildcard bind also keeps
	 * the port from being taken on another address.  A program can
	 * still connect to 127.0.0.1:TCP directly, unredirected: the
	 * supervisor must treat an original destination equal to the
	 * listener's own address as such. */
	fds->tcp_listener = bound_socket(SOCK_STREAM, htonl(INADDR_ANY), ports->tcp);
	if (fds->tcp_listener < 0)
		return socket_error(err, fds->tcp_listener, "TCP capture listener", "0.0.0.0",
				    ports->tcp);
	/* The DNS socket must be bound to 127.0.0.1, not the wildcard: a
	 * reply from a wildcard socket leaves with the source address the
	 * routing picks (198.18.0.1), which matches no conntrack reply tuple,
	 * so it is not rewritten back and the resolver discards it (design,
	 * gotcha 3). */
	fds->dns_udp = bound_socket(SOCK_DGRAM, htonl(INADDR_LOOPBACK), ports->dns);
	if (fds->dns_udp < 0)
		return socket_error(err, fds->dns_udp, "DNS socket (UDP)", "127.0.0.1", ports->dns);
	/* Same port number as UDP: the redirect keeps the protocol, and the
	 * TCP and UDP port spaces are separate. */
	fds->dns_tcp = bound_socket(SOCK_STREAM, htonl(INADDR_LOOPBACK), ports->dns);
	if (fds->dns_tcp < 0)
		return socket_error(err, fds->dns_tcp, "DNS listener (TCP)", "127.0.0.1", ports->dns);
	return 0;
}

/* ---- links and routes ------------------------------------------------- */

/* Whether open("/dev/net/tun") failing with e means "no usable tun
 * device here" (take the fallback) rather than a real error. */
static bool tun_unavailable(int e)
{
	/* EACCES: the node is 0600 root and host root is not mapped into
	 * our user namespace (Debian without udev, Docker).  ENOENT: no
	 * node (containers without --device).  ENODEV/ENXIO: no driver.
	 * EPERM: a device cgroup or LSM forbids it. */
	return e == EACCES || e == ENOENT || e == ENODEV || e == ENXIO || e == EPERM;
}

/* Open tun0.  Returns the fd, or -errno with *unavailable set when the
 * fallback should be used instead of failing. */
static int open_tun(bool *unavailable, struct gw_error *err)
{
	*unavailable = false;
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		*unavailable = tun_unavailable(e);
		return gw_error_set(err, -e, "cannot open /dev/net/tun: %s", strerror(e));
	}
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	strcpy(ifr.ifr_name, TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return gw_error_set(err, -errno, "cannot create " TUN_NAME " (TUNSETIFF): %s. "
				    "Hint: the kernel needs CONFIG_TUN", strerror(errno));
	/* Persistent: closing the last fd then leaves the device to the
	 * namespace's own teardown, which the kernel does in the background,
	 * instead of unregistering it synchronously in close() (some 20 ms
	 * at the end of every run). */
	if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		return gw_error_set(err, -errno, "cannot make " TUN_NAME " persistent: %s", strerror(errno));
	return steal_fd(&fd);
}

static int ifindex_of(const char *name, struct gw_error *err)
{
	unsigned i = if_nametoindex(name);
	if (i == 0 || i > INT32_MAX)
		return gw_error_set(err, i ? -ERANGE : -errno, "cannot find the interface %s: %s",
				    name, strerror(i ? ERANGE : errno));
	return (int)i;
}

/* tun0 up with its address and the default route, through it.  The
 * supervisor holds the fd, so the link has carrier, and whatever reaches
 * it (nothing should, past the filter chain) is read and dropped there. */
static int route_via_tun(int rt, struct gw_error *err)
{
	struct nl_failure nf = { 0 };
	int idx = ifindex_of(TUN_NAME, err);
	if (idx < 0)
		return idx;
	/* Without this, tun0 gets an IPv6 link-local address once it has
	 * carrier, and with it routes for fe80::/64 on the link: IPv6 that
	 * could leave the namespace (the filter chain would still drop it).
	 * A kernel without IPv6 has nothing to turn off. */
	int r = rtnl_link_no_ipv6_autoconf(rt, idx, &nf);
	if (r < 0 && r != -EAFNOSUPPORT && r != -EOPNOTSUPP)
		return rtnl_error(err, r, &nf, "cannot turn off IPv6 addresses on " TUN_NAME);
	struct in_addr a;
	inet_pton(AF_INET, TUN_ADDR, &a);
	if ((r = rtnl_addr_add4(rt, idx, a.s_addr, TUN_PREFIXLEN, &nf)) < 0)
		return rtnl_error(err, r, &nf, "cannot give " TUN_NAME " its address " TUN_ADDR);
	if ((r = rtnl_link_up(rt, idx, &nf)) < 0)
		return rtnl_error(err, r, &nf, "cannot bring up " TUN_NAME);
	if ((r = rtnl_route_add4_default(rt, idx, &nf)) < 0)
		return rtnl_error(err, r, &nf, "cannot add the default route via " TUN_NAME);
	return 0;
}

/* Without tun0: every IPv4 address is local, so connections are still
 * made (and redirected) but nothing is ever routed anywhere.  There is no
 * IPv6 equivalent on purpose: IPv6 must fail at once (ENETUNREACH). */
static int route_local(int rt, int lo, struct gw_error *err)
{
	struct nl_failure nf = { 0 };
	int r = rtnl_route_add4_local_default(rt, lo, &nf);
	return r < 0 ? rtnl_error(err, r, &nf, "cannot add the route `local default dev lo "
				  "table local`") : 0;
}

static int setup_routes(int rt, int lo, unsigned flags, struct gw_capture_fds *fds,
			struct gw_error *err)
{
	if (!(flags & GW_CAPTURE_NO_TUN)) {
		bool unavailable;
		int fd = open_tun(&unavailable, err);
		if (fd >= 0) {
			fds->tun = fd;
			return route_via_tun(rt, err);
		}
		if (!unavailable)
			return fd;
		gw_error_clear(err);
	}
	return route_local(rt, lo, err);
}

/* ---- the ruleset ------------------------------------------------------ */

#define NEEDS_NAT "CONFIG_NF_TABLES_INET, CONFIG_NFT_NAT, CONFIG_NF_NAT and CONFIG_NF_CONNTRACK"
#define NEEDS_REDIR "CONFIG_NFT_REDIR (with CONFIG_NF_NAT_REDIRECT)"
#define NEEDS_CT "CONFIG_NFT_CT and CONFIG_NF_CONNTRACK"
#define NEEDS_PAYLOAD "CONFIG_NF_TABLES_INET"

static void match_u8(struct nft_batch *b, uint32_t meta_key, uint8_t v)
{
	nft_meta_load(b, meta_key);
	nft_cmp(b, NFT_CMP_EQ, &v, sizeof v);
}

/* th dport PORT: the destination port sits at offset 2 in both the TCP
 * and the UDP header. */
static void match_dport(struct nft_batch *b, uint16_t port)
{
	uint16_t be = htons(port);
	nft_payload_load(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof be);
	nft_cmp(b, NFT_CMP_EQ, &be, sizeof be);
}

/* ip daddr 127.0.0.0/8.  In an inet table the network header may be
 * either family, so the family is checked first (nft(8) adds the same
 * dependency). */
static void match_ip_daddr_loopback(struct nft_batch *b)
{
	uint32_t mask = htonl(0xff000000u), net = htonl(0x7f000000u);
	match_u8(b, NFT_META_NFPROTO, NFPROTO_IPV4);
	nft_payload_load(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4); /* iphdr.daddr */
	nft_bitwise_and(b, &mask, sizeof mask);
	nft_cmp(b, NFT_CMP_EQ, &net, sizeof net);
}

/* ip6 daddr ::1 */
static void match_ip6_daddr_loopback(struct nft_batch *b)
{
	match_u8(b, NFT_META_NFPROTO, NFPROTO_IPV6);
	nft_payload_load(b, NFT_PAYLOAD_NETWORK_HEADER, 24, 16); /* ipv6hdr.daddr */
	nft_cmp(b, NFT_CMP_EQ, &in6addr_loopback, sizeof in6addr_loopback);
}

/* ct status dnat: conntrack keeps the status word in host byte order. */
static void match_ct_dnat(struct nft_batch *b)
{
	uint32_t bit = IPS_DST_NAT, zero = 0;
	nft_ct_load(b, NFT_CT_STATUS);
	nft_bitwise_and(b, &bit, sizeof bit);
	nft_cmp(b, NFT_CMP_NEQ, &zero, sizeof zero);
}

static void redirect_to(struct nft_batch *b, uint16_t port)
{
	uint16_t be = htons(port);
	nft_immediate(b, &be, sizeof be);
	nft_redir_reg(b);
}

/* l4proto PROTO th dport 53 redirect to :port */
static void dns_rule(struct nft_batch *b, uint8_t proto, uint16_t port, const char *what)
{
	nft_rule_begin(b, NFPROTO_INET, GW_CAPTURE_TABLE, "out", what, NEEDS_REDIR);
	match_u8(b, NFT_META_L4PROTO, proto);
	match_dport(b, 53);
	redirect_to(b, port);
	nft_rule_end(b);
}

/* Traffic to loopback (127.0.0.0/8, ::1) in chain, with verdict.  The
 * descriptions are kept by the batch for its errors: literals. */
static void loopback_rules(struct nft_batch *b, const char *chain, int verdict,
			   const char *what4, const char *what6)
{
	nft_rule_begin(b, NFPROTO_INET, GW_CAPTURE_TABLE, chain, what4, NEEDS_PAYLOAD);
	match_ip_daddr_loopback(b);
	nft_verdict(b, verdict);
	nft_rule_end(b);
	nft_rule_begin(b, NFPROTO_INET, GW_CAPTURE_TABLE, chain, what6, NEEDS_PAYLOAD);
	match_ip6_daddr_loopback(b);
	nft_verdict(b, verdict);
	nft_rule_end(b);
}

static void nat_chain(struct nft_batch *b, const struct gw_capture_ports *ports)
{
	const char *t = GW_CAPTURE_TABLE;
	nft_chain_add(b, NFPROTO_INET, t, "out", "nat", NF_INET_LOCAL_OUT, -100, NF_ACCEPT,
		      "the nat chain " GW_CAPTURE_TABLE "/out (hook output)", NEEDS_NAT);
	/* One rule per protocol rather than an anonymous set: the same
	 * effect without encoding sets. */
	dns_rule(b, IPPROTO_UDP, ports->dns, "the rule redirecting DNS over UDP");
	dns_rule(b, IPPROTO_TCP, ports->dns, "the rule redirecting DNS over TCP");
	loopback_rules(b, "out", NFT_RETURN, "the rule exempting 127.0.0.0/8",
		       "the rule exempting ::1");
	nft_rule_begin(b, NFPROTO_INET, t, "out", "the rule redirecting TCP", NEEDS_REDIR);
	match_u8(b, NFT_META_L4PROTO, IPPROTO_TCP);
	redirect_to(b, ports->tcp);
	nft_rule_end(b);
}

static void filter_chain(struct nft_batch *b)
{
	const char *t = GW_CAPTURE_TABLE;
	nft_chain_add(b, NFPROTO_INET, t, "filt", "filter", NF_INET_LOCAL_OUT, 0, NF_DROP,
		      "the filter chain " GW_CAPTURE_TABLE "/filt (hook output)",
		      "CONFIG_NF_TABLES_INET");
	nft_rule_begin(b, NFPROTO_INET, t, "filt", "the rule accepting redirected traffic", NEEDS_CT);
	match_ct_dnat(b);
	nft_verdict(b, NF_ACCEPT);
	nft_rule_end(b);
	loopback_rules(b, "filt", NF_ACCEPT, "the rule accepting 127.0.0.0/8",
		       "the rule accepting ::1");
}

/* Errors by which nf_tables says it lacks something (a chain type, an
 * expression, a family, nfnetlink itself), even after trying to load the
 * module. */
static bool missing_feature(int r)
{
	return r == -ENOENT || r == -EOPNOTSUPP || r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT;
}

static int load_rules(const struct gw_capture_ports *ports, struct gw_error *err)
{
	union {
		uint8_t bytes[8192];
		uint32_t align;
	} st;
	struct nft_batch b;
	nft_batch_init(&b, st.bytes, sizeof st.bytes);
	nft_table_add(&b, NFPROTO_INET, GW_CAPTURE_TABLE, "the table inet " GW_CAPTURE_TABLE,
		      "CONFIG_NF_TABLES_INET");
	nat_chain(&b, ports);
	filter_chain(&b);
	struct nft_failure f;
	int r = nft_batch_commit(&b, &f);
	if (r == 0)
		return 0;
	char k[200], hint[200] = "";
	if (r == -EPERM)
		snprintf(hint, sizeof hint, " Hint: loading rules needs CAP_NET_ADMIN in the namespace.");
	else if (f.needs && missing_feature(r))
		snprintf(hint, sizeof hint, " Hint: the kernel needs %s.", f.needs);
	return gw_error_set(err, r, "nf_tables refused %s: %s%s; there is no traffic capture "
			    "without it.%s", f.what, strerror(-r), kernel_says(f.why, k, sizeof k), hint);
}

/* ---- entry points ----------------------------------------------------- */

/* Every connection the sandbox makes goes to the capture listener, so
 * each new one needs a source port whose previous connection to it has
 * left TIME_WAIT; after a few thousand, the kernel's search for one slows
 * every connect() down (3x after 20,000).  Reusing TIME_WAIT ports is
 * safe with TCP timestamps, and loopback does it by default; the captured
 * traffic does not count as loopback.  A tuning only: ignored on failure. */
static void reuse_time_wait(void)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/tcp_tw_reuse", O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		(void)!write(fd, "1", 1);
}

int capture_setup_flags(const struct gw_capture_ports *ports, unsigned flags,
			struct gw_capture_fds *out, struct gw_error *err)
{
	*out = (struct gw_capture_fds)GW_CAPTURE_FDS_INIT;
	if (!ports->tcp || !ports->dns || ports->tcp == ports->dns)
		return gw_error_set(err, -EINVAL, "capture ports must be two different non-zero "
				    "ports (got TCP %u, DNS %u)", ports->tcp, ports->dns);
	__attribute__((cleanup(capture_fds_closep))) struct gw_capture_fds fds = GW_CAPTURE_FDS_INIT;
	_cleanup_close_ int rt = rtnl_open();
	if (rt < 0)
		return gw_error_set(err, rt, "cannot open a rtnetlink socket: %s", strerror(-rt));
	int lo = ifindex_of("lo", err);
	if (lo < 0)
		return lo;
	struct nl_failure nf = { 0 };
	int r = rtnl_link_up(rt, lo, &nf);
	if (r < 0)
		return rtnl_error(err, r, &nf, "cannot bring up lo");
	if ((r = open_sockets(ports, &fds, err)) < 0)
		return r;
	if ((r = setup_routes(rt, lo, flags, &fds, err)) < 0)
		return r;
	if ((r = load_rules(ports, err)) < 0)
		return r;
	reuse_time_wait();
	*out = fds;
	fds = (struct gw_capture_fds)GW_CAPTURE_FDS_INIT;
	return 0;
}

int capture_setup(const struct gw_capture_ports *ports, struct gw_capture_fds *out,
		  struct gw_error *err)
{
	return capture_setup_flags(ports, 0, out, err);
}
