/* evloop.h: a small level-triggered epoll loop for the supervisor (PTY
 * relay, TCP port relays, signalfd), plus the bounded byte buffer its
 * users copy data through.
 *
 * Single-threaded.  Each watched fd is a `struct gw_ev` embedded in the
 * object that owns the fd; the loop never owns an fd or an object.  An
 * object may be closed from inside any callback: evloop_close() marks its
 * events so the rest of the current batch skips them, and evloop_defer()
 * postpones freeing the memory until the batch is over. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#define gw_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct gw_ev;
/* Called with the ready events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP),
 * already limited to what the ev asked for plus ERR/HUP. */
typedef void (*gw_ev_cb)(struct gw_ev *ev, uint32_t events);

struct gw_ev {
	int fd;        /* not owned by the loop; -1 once evloop_close()d */
	uint32_t mask; /* events registered now; 0 = not in the epoll set */
	gw_ev_cb cb;
};

/* Work run once the current batch of events has been dispatched (or at
 * evloop_free()), typically free() of an object closed in a callback. */
struct gw_deferred {
	struct gw_deferred *next;
	void (*fn)(struct gw_deferred *d);
};

struct gw_evloop {
	int epfd;
	bool stop;     /* set by a callback: evloop_run() returns */
	struct gw_deferred *deferred;
};

static inline void evloop_ev_init(struct gw_ev *ev, int fd, gw_ev_cb cb)
{
	ev->fd = fd;
	ev->mask = 0;
	ev->cb = cb;
}

/* 0 or -errno. */
int evloop_init(struct gw_evloop *l);
/* Runs pending deferred work and closes the epoll fd.  Idempotent. */
void evloop_free(struct gw_evloop *l);

/* Make `ev` watched for exactly `mask` (EPOLLIN | EPOLLOUT; 0 removes it
 * from the set, so a socket that has hung up cannot spin the loop while
 * its owner has nothing to do with it).  0 or -errno. */
int evloop_set(struct gw_evloop *l, struct gw_ev *ev, uint32_t mask);

/* Remove ev from the loop and close its fd (ev->fd becomes -1). */
void evloop_close(struct gw_evloop *l, struct gw_ev *ev);

/* The same for an fd that is the only descriptor of its open file (never
 * dup'd, inherited or passed on): the close alone takes it out of the
 * epoll set.  With another descriptor of the file alive, the loop would
 * keep reporting it: use evloop_close() then. */
void evloop_close_sole(struct gw_ev *ev);

/* Run d->fn(d) after the current batch.  d must stay valid until then. */
void evloop_defer(struct gw_evloop *l, struct gw_deferred *d, void (*fn)(struct gw_deferred *d));

/* Wait up to timeout_ms (-1: forever) and dispatch one batch.  Returns the
 * number of events dispatched (0 on timeout or EINTR) or -errno. */
int evloop_run_once(struct gw_evloop *l, int timeout_ms);

/* Dispatch until a callback sets l->stop (cleared on return).  0 or
 * -errno from epoll_wait. */
int evloop_run(struct gw_evloop *l);

/* Bounded FIFO byte buffer: data[start, end) is pending.  Whoever fills it
 * stops reading while it is full; that is the relays' back-pressure. */
#define GW_BUF_SIZE 65536
struct gw_buf {
	size_t start, end;
	char data[GW_BUF_SIZE];
};

static inline size_t gw_buf_len(const struct gw_buf *b)
{
	return b->end - b->start;
}

static inline bool gw_buf_full(const struct gw_buf *b)
{
	return gw_buf_len(b) == GW_BUF_SIZE;
}

static inline void gw_buf_clear(struct gw_buf *b)
{
	b->start = b->end = 0;
}

/* One read(2) into the free space.  Returns the byte count, 0 at end of
 * file, or -errno (-EAGAIN when nothing is ready; -ENOBUFS when full). */
ssize_t evloop_buf_read(struct gw_buf *b, int fd);

/* One write of pending data to fd: send(MSG_NOSIGNAL) when `sock` (a
 * closed peer must not kill the supervisor with SIGPIPE), otherwise
 * write(2) of at most 4 KiB (short waits on a blocking terminal).  Returns the byte count (0 when empty) or -errno. */
ssize_t evloop_buf_write(struct gw_buf *b, int fd, bool sock);
