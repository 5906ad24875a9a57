/* nlmsg.c: see nlmsg.h. */
#include "nlmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void nl_buf_init(struct gw_nlbuf *b, void *storage, size_t cap)
{
	*b = (struct gw_nlbuf){ .data = storage, .cap = cap };
}

/* Room for n more bytes (plus padding), or NULL with the overflow mark. */
static uint8_t *reserve(struct gw_nlbuf *b, size_t n)
{
	size_t padded = NLMSG_ALIGN(n);
	if (b->overflow || padded < n || b->cap - b->len < padded) {
		b->overflow = true;
		return NULL;
	}
	uint8_t *p = b->data + b->len;
	memset(p, 0, padded);
	b->len += padded;
	return p;
}

size_t nl_msg_begin(struct gw_nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq)
{
	size_t off = b->len;
	struct nlmsghdr *h = (struct nlmsghdr *)reserve(b, sizeof *h);
	if (h)
		*h = (struct nlmsghdr){ .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };
	return off;
}

void nl_msg_end(struct gw_nlbuf *b, size_t msg)
{
	if (!b->overflow)
		((struct nlmsghdr *)(b->data + msg))->nlmsg_len = (uint32_t)(b->len - msg);
}

void nl_put(struct gw_nlbuf *b, const void *p, size_t n)
{
	uint8_t *dst = reserve(b, n);
	if (dst && n)
		memcpy(dst, p, n);
}

void nl_attr(struct gw_nlbuf *b, uint16_t type, const void *p, size_t n)
{
	/* nla_len is 16 bits: anything longer cannot be encoded at all. */
	if (n > UINT16_MAX - NLA_HDRLEN) {
		b->overflow = true;
		return;
	}
	struct nlattr *a = (struct nlattr *)reserve(b, NLA_HDRLEN + n);
	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	if (n)
		memcpy((uint8_t *)a + NLA_HDRLEN, p, n);
}

void nl_attr_u8(struct gw_nlbuf *b, uint16_t type, uint8_t v)
{
	nl_attr(b, type, &v, sizeof v);
}

void nl_attr_u32(struct gw_nlbuf *b, uint16_t type, uint32_t v)
{
	nl_attr(b, type, &v, sizeof v);
}

void nl_attr_be32(struct gw_nlbuf *b, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);
	nl_attr(b, type, &be, sizeof be);
}

void nl_attr_str(struct gw_nlbuf *b, uint16_t type, const char *s)
{
	nl_attr(b, type, s, strlen(s) + 1);
}

size_t nl_nest_begin(struct gw_nlbuf *b, uint16_t type)
{
	size_t off = b->len;
	nl_attr(b, type | NLA_F_NESTED, NULL, 0);
	return off;
}

void nl_nest_end(struct gw_nlbuf *b, size_t nest)
{
	if (b->overflow)
		return;
	size_t len = b->len - nest;
	if (len > UINT16_MAX) {
		b->overflow = true;
		return;
	}
	((struct nlattr *)(b->data + nest))->nla_len = (uint16_t)len;
}

int nl_open(int protocol)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	/* Both are conveniences (older kernels lack them): without the
	 * first, errors have no text; without the second, error messages
	 * are a little longer. */
	int one = 1;
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	return steal_fd(&fd);
}

int nl_send(int fd, const struct gw_nlbuf *b)
{
	if (b->overflow)
		return -EMSGSIZE;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	do
		n = sendto(fd, b->data, b->len, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == b->len ? 0 : -EIO;
}

/* The kernel's explanation (NLMSGERR_ATTR_MSG) attached to an error, if
 * any.  The attributes follow struct nlmsgerr, and the echoed request when
 * the ack is not capped. */
static void ext_ack_text(const struct nlmsghdr *h, char *why, size_t size)
{
	why[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof *e;
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)((const uint8_t *)h + off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > h->nlmsg_len - off)
			return;
		size_t n = a->nla_len - NLA_HDRLEN;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && n > 0) {
			const char *s = (const char *)a + NLA_HDRLEN;
			size_t len = strnlen(s, n);
			if (len >= size)
				len = size - 1;
			memcpy(why, s, len);
			why[len] = '\0';
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* One datagram's worth of answers.  Returns 1 when a request was refused
 * (*f filled), else 0, with *acked counting the successes; -EPROTO when
 * the datagram is malformed. */
static int scan_answers(const void *buf, size_t len, uint32_t seq_lo, uint32_t seq_hi,
			unsigned *acked, struct nl_failure *f)
{
	for (const struct nlmsghdr *h = buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type != NLMSG_ERROR)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EPROTO;
		if (h->nlmsg_seq - seq_lo > seq_hi - seq_lo)
			continue; /* not ours: an old request's answer */
		const struct nlmsgerr *e = NLMSG_DATA(h);
		if (e->error == 0) {
			(*acked)++;
			continue;
		}
		f->seq = h->nlmsg_seq;
		f->error = e->error < 0 ? e->error : -EPROTO;
		ext_ack_text(h, f->why, sizeof f->why);
		return 1;
	}
	return 0;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int nl_wait_acks(int fd, uint32_t seq_lo, uint32_t seq_hi, unsigned count, int timeout_ms,
		 struct nl_failure *f)
{
	struct nl_failure scratch;
	if (!f)
		f = &scratch;
	*f = (struct nl_failure){ .error = 0 };
	/* Room for the largest answer we can get: an ack with a capped
	 * request and an extended-ack text. */
	union {
		uint8_t bytes[8192];
		struct nlmsghdr align;
	} buf;
	unsigned acked = 0;
	while (acked < count) {
		int r = wait_readable(fd, timeout_ms);
		if (r < 0)
			return r;
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf.bytes, .iov_len = sizeof buf.bytes };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from,
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (msg.msg_namelen != sizeof from || from.nl_pid != 0)
			continue; /* only the kernel answers requests */
		r = scan_answers(buf.bytes, (size_t)n, seq_lo, seq_hi, &acked, f);
		if (r < 0)
			return r;
		if (r > 0)
			return f->error;
	}
	return 0;
}

uint32_t nl_alloc_seq(unsigned n)
{
	/* Answers are matched to requests by number, so a number must not be
	 * reused while an old answer could still be queued on a socket;
	 * counting up within the process is enough for that. */
	static uint32_t next = 1;
	return __atomic_fetch_add(&next, n, __ATOMIC_RELAXED);
}
