/* fakedns.c: see fakedns.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fakedns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "fakeip.h"
#include "log.h"
#include "util.h"

/* Fake answers live one second in caches: the pool, not the client's
 * cache, is what keeps a name's address stable (fakeip.h). */
#define ANSWER_TTL 1
/* Datagrams handled per wake-up, so a flood cannot starve the relay. */
#define UDP_BATCH 64
/* DNS over TCP connections open at once; more are closed at accept. */
#define TCP_MAX 64

struct tcp_conn {
	struct gw_ev ev;
	struct gw_fakedns *d;
	struct tcp_conn *next, **pprev;
	struct gw_deferred freed;
	struct gw_dns_tcp in;
};

struct gw_fakedns {
	struct gw_evloop *loop;
	const struct gw_netpolicy *policy;
	bool monitor;
	struct gw_fakeip pool;
	bool pool_ready;
	struct gw_ev udp, tcp;
	struct tcp_conn *conns;
	size_t n_conns;
	struct gw_fakedns_stats stats;
	char last_denied[GW_DOMAIN_MAX + 1];
	uint64_t last_denied_at;
};

static uint64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- answering ---- */

static enum gw_dns_plan plan(struct gw_fakedns *d, const struct gw_dns_query *q,
			     char name[GW_DOMAIN_MAX + 1])
{
	const struct gw_netpolicy *p = d->policy;
	if (!p->delegate) {
		struct gw_domain_policy dp = { p->allow, p->deny, p->n_allow, p->n_deny };
		return dnsmsg_plan(q, &dp, name);
	}
	/* The upstream proxy decides: every well-formed name gets an
	 * address, and the upstream sees the name at connect time. */
	const char *why;
	if (q->qclass != GW_DNS_CLASS_IN ||
	    domain_normalize(q->qname, strlen(q->qname), name, GW_DOMAIN_MAX + 1, &why) < 0)
		return GW_DNS_PLAN_REFUSED;
	return q->qtype == GW_DNS_TYPE_A ? GW_DNS_PLAN_FAKE_A : GW_DNS_PLAN_NODATA;
}

static void log_refusal(struct gw_fakedns *d, const char *name)
{
	if (!d->monitor && !log_debug_enabled())
		return;
	/* A resolver asks for A and AAAA, and retries: one line per name and
	 * second is what a person reading --monitor wants. */
	uint64_t now = now_s();
	if (strcmp(d->last_denied, name) == 0 && now - d->last_denied_at < 2)
		return;
	snprintf(d->last_denied, sizeof d->last_denied, "%s", name);
	d->last_denied_at = now;
	const char *reason;
	netpolicy_decide(d->policy, name, 0, &reason, NULL);
	log_notice("denied %s (DNS) \u2014 %s", name, reason);
}

/* The answer to msg in out (cap >= GW_DNS_ANSWER_MAX), or -1: drop. */
static int answer(struct gw_fakedns *d, const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	struct gw_dns_query q;
	char name[GW_DOMAIN_MAX + 1];
	d->stats.queries++;
	int r = dnsmsg_parse_query(msg, len, &q);
	if (r < 0) {
		int rc = dnsmsg_error_rcode(r);
		if (rc < 0)
			return -1;
		d->stats.refused++;
		return dnsmsg_answer_empty(&q, (enum gw_dns_rcode)rc, out, cap);
	}
	switch (plan(d, &q, name)) {
	case GW_DNS_PLAN_FAKE_A: {
		struct in_addr ip;
		r = fakeip_lookup_name(&d->pool, name, now_s(), &ip);
		if (r < 0) {
			log_warn("DNS: no fake address left for %s: %s", name, strerror(-r));
			return dnsmsg_answer_empty(&q, GW_DNS_SERVFAIL, out, cap);
		}
		d->stats.fake++;
		log_debug("DNS: %s -> fake address %s", name, inet_ntoa(ip));
		return dnsmsg_answer_a(&q, ip, ANSWER_TTL, out, cap);
	}
	case GW_DNS_PLAN_NODATA:
		return dnsmsg_answer_empty(&q, GW_DNS_NOERROR, out, cap);
	case GW_DNS_PLAN_NXDOMAIN:
		d->stats.nxdomain++;
		log_refusal(d, name);
		return dnsmsg_answer_empty(&q, GW_DNS_NXDOMAIN, out, cap);
	case GW_DNS_PLAN_REFUSED:
	default:
		d->stats.refused++;
		return dnsmsg_answer_empty(&q, GW_DNS_REFUSED, out, cap);
	}
}

/* ---- UDP ---- */

static void udp_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_fakedns *d = gw_container_of(ev, struct gw_fakedns, udp);
	(void)events;
	for (int i = 0; i < UDP_BATCH; i++) {
		uint8_t in[4096], out[GW_DNS_ANSWER_MAX];
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(ev->fd, in, sizeof in, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if ((size_t)n > sizeof in)
			continue; /* larger than any query: dropped */
		int alen = answer(d, in, (size_t)n, out, sizeof out);
		if (alen > 0)
			sendto(ev->fd, out, (size_t)alen, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
	}
}

/* ---- TCP ---- */

static void free_conn(struct gw_deferred *df)
{
	free(gw_container_of(df, struct tcp_conn, freed));
}

static void conn_close(struct tcp_conn *c)
{
	evloop_close(c->d->loop, &c->ev);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->d->n_conns--;
	evloop_defer(c->d->loop, &c->freed, free_conn);
}

static void conn_cb(struct gw_ev *ev, uint32_t events)
{
	struct tcp_conn *c = gw_container_of(ev, struct tcp_conn, ev);
	if (ev->fd < 0)
		return;
	uint8_t buf[4096];
	ssize_t n = recv(ev->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN) || (events & EPOLLERR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	size_t off = 0;
	while (off < (size_t)n) {
		off += dnsmsg_tcp_feed(&c->in, buf + off, (size_t)n - off);
		const uint8_t *msg;
		size_t mlen;
		while (dnsmsg_tcp_next(&c->in, &msg, &mlen)) {
			uint8_t out[2 + GW_DNS_ANSWER_MAX];
			int alen = answer(c->d, msg, mlen, out + 2, sizeof out - 2);
			if (alen < 0)
				continue;
			dnsmsg_tcp_prefix(out, (uint16_t)alen);
			/* Answers are small; a client that does not read them
			 * loses its connection rather than stalling the loop. */
			if (send(ev->fd, out, (size_t)alen + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != alen + 2) {
				conn_close(c);
				return;
			}
		}
	}
}

static void tcp_accept_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_fakedns *d = gw_container_of(ev, struct gw_fakedns, tcp);
	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (d->n_conns >= TCP_MAX) {
			close(fd);
			continue;
		}
		struct tcp_conn *c = xcalloc(1, sizeof *c);
		c->d = d;
		dnsmsg_tcp_init(&c->in);
		evloop_ev_init(&c->ev, fd, conn_cb);
		c->next = d->conns;
		if (c->next)
			c->next->pprev = &c->next;
		d->conns = c;
		c->pprev = &d->conns;
		d->n_conns++;
		if (evloop_set(d->loop, &c->ev, EPOLLIN) < 0)
			conn_close(c);
	}
}

/* ---- public ---- */

int fakedns_start(struct gw_evloop *loop, const struct gw_netpolicy *policy, int udp_fd,
		  int tcp_fd, bool monitor, struct gw_fakedns **out)
{
	struct gw_fakedns *d = xcalloc(1, sizeof *d);
	d->loop = loop;
	d->policy = policy;
	d->monitor = monitor;
	evloop_ev_init(&d->udp, udp_fd, udp_cb);
	evloop_ev_init(&d->tcp, tcp_fd, tcp_accept_cb);
	int r = fakeip_init(&d->pool, 0);
	d->pool_ready = r == 0;
	if (r == 0 && udp_fd >= 0)
		r = evloop_set(loop, &d->udp, EPOLLIN);
	if (r == 0 && tcp_fd >= 0)
		r = evloop_set(loop, &d->tcp, EPOLLIN);
	if (r < 0) {
		fakedns_free(d);
		return r;
	}
	*out = d;
	return 0;
}

void fakedns_free(struct gw_fakedns *d)
{
	if (!d)
		return;
	while (d->conns)
		conn_close(d->conns);
	if (d->udp.fd >= 0)
		evloop_close(d->loop, &d->udp);
	if (d->tcp.fd >= 0)
		evloop_close(d->loop, &d->tcp);
	if (d->pool_ready)
		fakeip_free(&d->pool);
	free(d);
}

void fakedns_set_policy(struct gw_fakedns *d, const struct gw_netpolicy *policy)
{
	d->policy = policy;
}

static bool fake_addr(const struct sockaddr *addr, struct in_addr *ip)
{
	if (addr->sa_family != AF_INET)
		return false;
	*ip = ((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	return fakeip_in_range(*ip);
}

int fakedns_name(void *ctx, const struct sockaddr *addr, char *name, size_t cap)
{
	struct gw_fakedns *d = ctx;
	struct in_addr ip;
	if (!fake_addr(addr, &ip))
		return -ENOENT;
	const char *n = fakeip_lookup_ip(&d->pool, ip, now_s());
	if (!n || strlen(n) >= cap)
		return -ENOENT;
	strcpy(name, n);
	return 0;
}

void fakedns_hold(void *ctx, const struct sockaddr *addr)
{
	struct gw_fakedns *d = ctx;
	struct in_addr ip;
	if (fake_addr(addr, &ip))
		fakeip_hold(&d->pool, ip);
}

void fakedns_release(void *ctx, const struct sockaddr *addr)
{
	struct gw_fakedns *d = ctx;
	struct in_addr ip;
	if (fake_addr(addr, &ip))
		fakeip_release(&d->pool, ip);
}

void fakedns_stats(const struct gw_fakedns *d, struct gw_fakedns_stats *out)
{
	*out = d->stats;
}
