/* relay.h: TCP port relays run by the supervisor.
 *
 * Each connection accepted on a relay's listening socket is joined to a
 * fresh socket connected to the relay's peer (typically a port inside the
 * sandbox's network namespace), and bytes are copied both ways through
 * bounded buffers: a side is not read while the buffer it fills is full,
 * and an EOF from one side becomes shutdown(SHUT_WR) of the other once its
 * buffer has drained.  Everything runs on the caller's event loop. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "evloop.h"

/* A port relay: each connection accepted on listen_fd (TCP, or a Unix
 * stream socket) is relayed to
 * `peer` through a socket made by new_peer() (which lets the caller create
 * it in another network namespace). */
struct gw_relay {
	int listen_fd;                 /* listening, owned by supervise_run() from the call on */
	int (*new_peer)(void *ctx);    /* fresh SOCK_STREAM socket for the peer side, or -errno */
	void *ctx;
	struct sockaddr_in peer;       /* where that socket connects */
	char what[32];                 /* for messages, e.g. "-p 8080" */
	/* Only clients whose socket belongs to user `owner` are relayed
	 * (peercred.h); others are reset before a byte is read or sent. */
	bool owner_only;
	uid_t owner;
};

/* Connections open at once per relay; at the limit the relay stops
 * accepting (clients wait in the listen backlog) until one closes. */
#define RELAY_MAX_CONNS 256

struct gw_relay_set;

/* Start relaying on `loop`.  Takes ownership of every relays[i].listen_fd
 * (made non-blocking; all of them are closed on failure too) and copies the
 * array.  new_peer() is called once per accepted connection; the relay
 * makes its socket non-blocking.  On success *out is the set (NULL when
 * n == 0), to be freed with relay_stop().  0 or -errno. */
int relay_start(struct gw_evloop *loop, const struct gw_relay *relays, size_t n,
		struct gw_relay_set **out);

/* Close every listener and every connection (buffered data is dropped)
 * and free the set.  NULL is a no-op.  Not from inside a loop callback. */
void relay_stop(struct gw_relay_set *rs);

/* A non-blocking TCP socket listening on 127.0.0.1:port, in the calling
 * thread's network namespace.  Returns the fd or -errno. */
int relay_listen_loopback(uint16_t port);

/* The same on [::1]:port (IPv6 only).  -EADDRNOTAVAIL or -EAFNOSUPPORT
 * when the host has no IPv6 loopback. */
int relay_listen_loopback6(uint16_t port);
