/* peercred.c: see peercred.h. */
#include "peercred.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

/* The kernel answers at once; a bound keeps a wedged netlink socket from
 * holding the caller's event loop. */
#define DIAG_TIMEOUT_MS 1000

static int unix_peer_uid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	/* An unconnected peer (socketpair's other end gone) reports -1. */
	if (cr.uid == (uid_t)-1)
		return -ENOENT;
	*uid = cr.uid;
	return 0;
}

/* Copy the address and port of an AF_INET/AF_INET6 sockaddr into the
 * sock_diag identity fields. */
static void put_end(const struct sockaddr_storage *ss, uint32_t addr[4], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		addr[0] = a->sin_addr.s_addr;
		*port = a->sin_port;
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;
		memcpy(addr, &a->sin6_addr, 16);
		*port = a->sin6_port;
	}
}

/* The request: the socket whose local end is `peer` and whose remote end
 * is `self`, that is the client's, looked up exactly (not a dump). */
struct diag_req {
	struct nlmsghdr nh;
	struct inet_diag_req_v2 r;
};

static void build_req(struct diag_req *q, const struct sockaddr_storage *self,
		      const struct sockaddr_storage *peer)
{
	memset(q, 0, sizeof *q);
	q->nh.nlmsg_len = sizeof *q;
	q->nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q->nh.nlmsg_flags = NLM_F_REQUEST;
	q->nh.nlmsg_seq = 1;
	q->r.sdiag_family = (uint8_t)self->ss_family;
	q->r.sdiag_protocol = IPPROTO_TCP;
	q->r.idiag_states = ~0u;
	q->r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q->r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	put_end(peer, q->r.id.idiag_src, &q->r.id.idiag_sport);
	put_end(self, q->r.id.idiag_dst, &q->r.id.idiag_dport);
}

/* An address of the given family as IPv6 (IPv4 in its mapped form). */
static void as_v6(uint8_t fam, const uint32_t a[4], uint32_t out[4])
{
	if (fam == AF_INET) {
		out[0] = out[1] = 0;
		out[2] = htonl(0xffff);
		out[3] = a[0];
	} else {
		memcpy(out, a, 16);
	}
}

/* Whether an address in an answer is the one asked for.  A lookup of
 * IPv4 addresses may find a dual-stack IPv6 socket, and one of mapped
 * IPv6 addresses an IPv4 socket: the families may differ. */
static bool same_addr(uint8_t fam, const uint32_t got[4], uint8_t want_fam, const uint32_t want[4])
{
	uint32_t g[4], w[4];
	as_v6(fam, got, g);
	as_v6(want_fam, want, w);
	return memcmp(g, w, sizeof g) == 0;
}

/* The answer must describe the very socket asked for. */
static int read_answer(int nl, const struct diag_req *q, uid_t *uid)
{
	struct pollfd p = { .fd = nl, .events = POLLIN };
	int r = poll(&p, 1, DIAG_TIMEOUT_MS);
	if (r <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	union {
		struct nlmsghdr nh;
		uint8_t b[1024];
	} buf;
	ssize_t n = recv(nl, &buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	const struct nlmsghdr *h = &buf.nh;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_seq != q->nh.nlmsg_seq)
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
			return -EPROTO;
		return e->error < 0 ? e->error : -EPROTO;
	}
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return -EPROTO;
	const struct inet_diag_sockid *want = &q->r.id;
	if (m->id.idiag_sport != want->idiag_sport || m->id.idiag_dport != want->idiag_dport ||
	    !same_addr(m->idiag_family, m->id.idiag_src, q->r.sdiag_family, want->idiag_src) ||
	    !same_addr(m->idiag_family, m->id.idiag_dst, q->r.sdiag_family, want->idiag_dst))
		return -EPROTO;
	*uid = m->idiag_uid;
	return 0;
}

static int inet_peer_uid(int fd, const struct sockaddr_storage *self, uid_t *uid)
{
	struct sockaddr_storage peer = { 0 };
	socklen_t len = sizeof peer;
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return -errno;
	if (peer.ss_family != self->ss_family)
		return -EAFNOSUPPORT;
	_cleanup_close_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	struct diag_req q;
	build_req(&q, self, &peer);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(nl, &q, sizeof q, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	return read_answer(nl, &q, uid);
}

int peercred_uid(int fd, uid_t *uid)
{
	struct sockaddr_storage self = { 0 };
	socklen_t len = sizeof self;
	if (getsockname(fd, (struct sockaddr *)&self, &len) < 0)
		return -errno;
	switch (self.ss_family) {
	case AF_UNIX:
		return unix_peer_uid(fd, uid);
	case AF_INET:
	case AF_INET6:
		return inet_peer_uid(fd, &self, uid);
	default:
		return -EAFNOSUPPORT;
	}
}
