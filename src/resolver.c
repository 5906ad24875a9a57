/* resolver.c: see resolver.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "resolver.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain.h"
#include "log.h"
#include "util.h"

/* c-ares sockets open at once: one per server and transport in use. */
#define MAX_SOCKS 16
/* The test hosts file is small; a bigger one is a mistake. */
#define TEST_HOSTS_MAX 65536

struct sock_watch {
	struct gw_ev ev;
	struct gw_resolver *r;
};

struct test_host {
	char name[GW_DOMAIN_MAX + 1];
	struct sockaddr_storage addr;
};

struct gw_resolver {
	struct gw_evloop *loop;
	char *dns_addr;
	bool started, failed;
	int init_err;
	ares_channel channel;
	struct sock_watch socks[MAX_SOCKS];
	struct gw_ev timer;
	struct test_host *test_hosts;
	size_t n_test_hosts;
	bool test_mode;
	struct gw_resolve_req *pending; /* requests c-ares still holds */
};

struct gw_resolve_req {
	struct gw_deferred deferred;
	struct gw_resolve_req *next, **pprev; /* in r->pending while c-ares holds it */
	struct gw_resolver *r;
	gw_resolve_cb cb;
	void *arg;
	uint16_t port;
	int err;
	size_t n;
	struct sockaddr_storage addrs[GW_RESOLVE_MAX_ADDRS];
};

/* ---- delivery: always from the loop, after the current batch ---- */

static void deliver(struct gw_deferred *d)
{
	struct gw_resolve_req *q = gw_container_of(d, struct gw_resolve_req, deferred);
	if (q->cb)
		q->cb(q->arg, q->err, q->addrs, q->n);
	free(q);
}

static void unlink_pending(struct gw_resolve_req *q)
{
	if (!q->pprev)
		return;
	*q->pprev = q->next;
	if (q->next)
		q->next->pprev = q->pprev;
	q->next = NULL;
	q->pprev = NULL;
}

static void finish(struct gw_resolve_req *q, int err)
{
	unlink_pending(q);
	q->err = err;
	evloop_defer(q->r->loop, &q->deferred, deliver);
}

void resolver_cancel(struct gw_resolve_req *req)
{
	if (req)
		req->cb = NULL;
}

/* ---- addresses ---- */

static void add_addr(struct gw_resolve_req *q, const struct sockaddr *sa, size_t len)
{
	if (q->n == GW_RESOLVE_MAX_ADDRS || len > sizeof q->addrs[0])
		return;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return;
	struct sockaddr_storage *ss = &q->addrs[q->n++];
	memset(ss, 0, sizeof *ss);
	memcpy(ss, sa, len);
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(q->port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(q->port);
}

/* IPv4 first: a sandbox host without IPv6 routes would otherwise spend a
 * connect attempt per AAAA answer. */
static void ipv4_first(struct gw_resolve_req *q)
{
	struct sockaddr_storage sorted[GW_RESOLVE_MAX_ADDRS];
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < q->n; i++)
			if ((q->addrs[i].ss_family == AF_INET) == (pass == 0))
				sorted[k++] = q->addrs[i];
	memcpy(q->addrs, sorted, k * sizeof sorted[0]);
}

static int ares_to_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ECONNREFUSED:
		return -ECONNREFUSED;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

/* ---- c-ares on the event loop ---- */

static void rearm_timer(struct gw_resolver *r)
{
	struct timeval tv, *t = ares_timeout(r->channel, NULL, &tv);
	struct itimerspec its = { 0 };
	if (t) {
		its.it_value.tv_sec = t->tv_sec;
		its.it_value.tv_nsec = t->tv_usec * 1000L;
		/* Zero would disarm the timer: expire at once instead. */
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(r->timer.fd, 0, &its, NULL);
}

static void timer_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_resolver *r = gw_container_of(ev, struct gw_resolver, timer);
	uint64_t ticks;
	(void)events;
	if (read(ev->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_debug("resolver timer: %s", strerror(errno));
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm_timer(r);
}

static void sock_cb(struct gw_ev *ev, uint32_t events)
{
	struct sock_watch *w = gw_container_of(ev, struct sock_watch, ev);
	struct gw_resolver *r = w->r;
	int fd = ev->fd;
	bool rd = events & (EPOLLIN | EPOLLERR | EPOLLHUP), wr = events & EPOLLOUT;
	ares_process_fd(r->channel, rd ? fd : ARES_SOCKET_BAD, wr ? fd : ARES_SOCKET_BAD);
	rearm_timer(r);
}

static struct sock_watch *watch_of(struct gw_resolver *r, int fd, bool create)
{
	struct sock_watch *free_slot = NULL;
	for (size_t i = 0; i < MAX_SOCKS; i++) {
		if (r->socks[i].ev.fd == fd)
			return &r->socks[i];
		if (r->socks[i].ev.fd < 0 && !free_slot)
			free_slot = &r->socks[i];
	}
	if (create && free_slot)
		evloop_ev_init(&free_slot->ev, fd, sock_cb);
	return create ? free_slot : NULL;
}

/* c-ares tells which of its sockets to watch; it closes them itself. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct gw_resolver *r = data;
	struct sock_watch *w = watch_of(r, fd, readable || writable);
	if (!w) {
		if (readable || writable)
			log_warn("resolver: too many DNS sockets open at once");
		return;
	}
	uint32_t mask = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	if (evloop_set(r->loop, &w->ev, mask) < 0)
		log_warn("resolver: cannot watch a DNS socket: %s", strerror(errno));
	if (!mask)
		w->ev.fd = -1;
}

static int start_ares(struct gw_resolver *r)
{
	static bool lib_ready;
	if (!lib_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			return -ENOMEM;
		lib_ready = true;
	}
	struct ares_options o = {
		.sock_state_cb = sock_state_cb,
		.sock_state_cb_data = r,
		.timeout = 3000,
		.tries = 2,
	};
	int st = ares_init_options(&r->channel, &o,
				   ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (st != ARES_SUCCESS) {
		r->channel = NULL;
		return ares_to_errno(st) ? ares_to_errno(st) : -EIO;
	}
	if (r->dns_addr && ares_set_servers_ports_csv(r->channel, r->dns_addr) != ARES_SUCCESS) {
		log_error("network.dnsAddr %s: not usable as a DNS server", r->dns_addr);
		return -EINVAL;
	}
	r->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer.fd < 0)
		return -errno;
	return evloop_set(r->loop, &r->timer, EPOLLIN);
}

/* ---- the test hosts file ---- */

static void test_hosts_line(struct gw_resolver *r, char *line)
{
	char *save = NULL, *addr = strtok_r(line, " \t\r\n", &save), *name;
	struct sockaddr_storage ss = { 0 };
	if (!addr || addr[0] == '#')
		return;
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return;
	while ((name = strtok_r(NULL, " \t\r\n", &save)) && name[0] != '#') {
		struct test_host h = { .addr = ss };
		const char *why;
		if (domain_normalize(name, strlen(name), h.name, sizeof h.name, &why) < 0)
			continue;
		r->test_hosts = xrealloc(r->test_hosts, (r->n_test_hosts + 1) * sizeof h);
		r->test_hosts[r->n_test_hosts++] = h;
	}
}

static void load_test_hosts(struct gw_resolver *r, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[512];
	size_t total = 0;
	r->test_mode = true;
	if (!f) {
		log_warn("GREYWALL_TEST_HOSTS=%s: %s (no name will resolve)", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f) && (total += strlen(line)) <= TEST_HOSTS_MAX)
		test_hosts_line(r, line);
}

static void lookup_test_hosts(struct gw_resolver *r, struct gw_resolve_req *q, const char *name)
{
	for (size_t i = 0; i < r->n_test_hosts; i++) {
		const struct test_host *h = &r->test_hosts[i];
		if (strcmp(h->name, name) == 0)
			add_addr(q, (const struct sockaddr *)&h->addr,
				 h->addr.ss_family == AF_INET ? sizeof(struct sockaddr_in)
							      : sizeof(struct sockaddr_in6));
	}
	ipv4_first(q);
	finish(q, q->n ? 0 : -ENOENT);
}

/* ---- public ---- */

struct gw_resolver *resolver_new(struct gw_evloop *loop, const char *dns_addr)
{
	struct gw_resolver *r = xcalloc(1, sizeof *r);
	r->loop = loop;
	r->dns_addr = dns_addr ? xstrdup(dns_addr) : NULL;
	evloop_ev_init(&r->timer, -1, timer_cb);
	for (size_t i = 0; i < MAX_SOCKS; i++) {
		evloop_ev_init(&r->socks[i].ev, -1, sock_cb);
		r->socks[i].r = r;
	}
	const char *hosts = getenv("GREYWALL_TEST_HOSTS");
	if (hosts && *hosts)
		load_test_hosts(r, hosts);
	return r;
}

static void ares_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct gw_resolve_req *q = arg;
	(void)timeouts;
	if (status == ARES_EDESTRUCTION) {
		/* resolver_free(): the loop is going away, nothing to run. */
		unlink_pending(q);
		free(q);
		ares_freeaddrinfo(res);
		return;
	}
	for (struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next)
		add_addr(q, n->ai_addr, n->ai_addrlen);
	ares_freeaddrinfo(res);
	ipv4_first(q);
	int err = ares_to_errno(status);
	finish(q, err ? err : (q->n ? 0 : -ENOENT));
}

int resolver_lookup(struct gw_resolver *r, const char *name, uint16_t port, gw_resolve_cb cb,
		    void *arg, struct gw_resolve_req **req)
{
	struct gw_resolve_req *q = xcalloc(1, sizeof *q);
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	if (req)
		*req = q;
	if (r->test_mode) {
		lookup_test_hosts(r, q, name);
		return 0;
	}
	if (!r->started) {
		r->started = true;
		r->init_err = start_ares(r);
		if (r->init_err < 0)
			log_error("cannot start the DNS resolver: %s", strerror(-r->init_err));
	}
	if (r->init_err < 0) {
		finish(q, r->init_err);
		return 0;
	}
	/* Linked before the call: c-ares may answer from /etc/hosts inside it. */
	q->next = r->pending;
	if (q->next)
		q->next->pprev = &q->next;
	r->pending = q;
	q->pprev = &r->pending;
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT };
	ares_getaddrinfo(r->channel, name, NULL, &hints, ares_done, q);
	rearm_timer(r);
	return 0;
}

void resolver_free(struct gw_resolver *r)
{
	if (!r)
		return;
	if (r->channel)
		ares_destroy(r->channel); /* ares_done() frees what is pending */
	for (size_t i = 0; i < MAX_SOCKS; i++)
		if (r->socks[i].ev.fd >= 0)
			evloop_set(r->loop, &r->socks[i].ev, 0);
	if (r->timer.fd >= 0)
		evloop_close(r->loop, &r->timer);
	free(r->test_hosts);
	free(r->dns_addr);
	free(r);
}
