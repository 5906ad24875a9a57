/* evloop.c: see evloop.h. */
#include "evloop.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_EVENTS 64
/* Terminal writes are capped: a terminal opened without O_NONBLOCK (the
 * PTY's fallback) blocks until the whole write is taken, and a small
 * write keeps that wait short. */
#define TTY_WRITE_MAX 4096

int evloop_init(struct gw_evloop *l)
{
	l->stop = false;
	l->deferred = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

static void run_deferred(struct gw_evloop *l)
{
	while (l->deferred) {
		struct gw_deferred *d = l->deferred;
		l->deferred = d->next;
		d->fn(d);
	}
}

void evloop_free(struct gw_evloop *l)
{
	run_deferred(l);
	gw_close_fd(l->epfd);
	l->epfd = -1;
}

int evloop_set(struct gw_evloop *l, struct gw_ev *ev, uint32_t mask)
{
	if (ev->fd < 0 || mask == ev->mask)
		return 0;
	struct epoll_event e = { .events = mask, .data.ptr = ev };
	int op = !mask ? EPOLL_CTL_DEL : !ev->mask ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(l->epfd, op, ev->fd, &e) < 0)
		return -errno;
	ev->mask = mask;
	return 0;
}

void evloop_close(struct gw_evloop *l, struct gw_ev *ev)
{
	if (ev->fd < 0)
		return;
	(void)evloop_set(l, ev, 0);
	gw_close_fd(ev->fd);
	ev->fd = -1;
	ev->mask = 0;
}

void evloop_close_sole(struct gw_ev *ev)
{
	if (ev->fd < 0)
		return;
	/* Closing the only descriptor of the file removes it from the epoll
	 * set: no EPOLL_CTL_DEL needed (one system call per socket fewer for
	 * the proxy's short connections). */
	gw_close_fd(ev->fd);
	ev->fd = -1;
	ev->mask = 0;
}

void evloop_defer(struct gw_evloop *l, struct gw_deferred *d, void (*fn)(struct gw_deferred *d))
{
	d->fn = fn;
	d->next = l->deferred;
	l->deferred = d;
}

int evloop_run_once(struct gw_evloop *l, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct gw_ev *ev = evs[i].data.ptr;
		/* An earlier callback of this batch may have closed ev or
		 * stopped watching it; its memory is still valid (deferred). */
		uint32_t got = evs[i].events & (ev->mask | EPOLLERR | EPOLLHUP);
		if (ev->fd < 0 || !ev->mask || !got)
			continue;
		ev->cb(ev, got);
	}
	run_deferred(l);
	return n;
}

int evloop_run(struct gw_evloop *l)
{
	while (!l->stop) {
		int r = evloop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	l->stop = false;
	return 0;
}

ssize_t evloop_buf_read(struct gw_buf *b, int fd)
{
	if (b->start == b->end)
		b->start = b->end = 0;
	if (b->end == GW_BUF_SIZE && b->start > 0) {
		memmove(b->data, b->data + b->start, gw_buf_len(b));
		b->end -= b->start;
		b->start = 0;
	}
	if (b->end == GW_BUF_SIZE)
		return -ENOBUFS;
	ssize_t n = read(fd, b->data + b->end, GW_BUF_SIZE - b->end);
	if (n < 0)
		return -errno;
	b->end += (size_t)n;
	return n;
}

ssize_t evloop_buf_write(struct gw_buf *b, int fd, bool sock)
{
	size_t len = gw_buf_len(b);
	if (!len)
		return 0;
	ssize_t n;
	if (sock) {
		n = send(fd, b->data + b->start, len, MSG_NOSIGNAL);
	} else {
		n = write(fd, b->data + b->start, len < TTY_WRITE_MAX ? len : TTY_WRITE_MAX);
	}
	if (n < 0)
		return -errno;
	b->start += (size_t)n;
	if (b->start == b->end)
		b->start = b->end = 0;
	return n;
}
