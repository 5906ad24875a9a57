/* netns.h: the sandbox's private network namespace.
 *
 * A small child of the supervisor, the "keeper", creates a user namespace
 * and a network namespace, brings up loopback, sets up traffic capture
 * when asked (capture.h: tun0, routes, nftables, and the sockets the
 * redirects lead to, which it hands to the supervisor), drops every
 * capability and then stays alive for the whole run.  It never runs inside the sandbox's
 * mount or PID namespace and it runs no other program.  Its one job after
 * setup is to make sockets inside the namespace on request and pass them
 * back over a socketpair (SCM_RIGHTS): the supervisor, which stays in the
 * host's namespace, uses them for the port relays (-p, -f).
 *
 * The sandbox joins the namespace with netns_join() in the child that then
 * executes bubblewrap, so the namespace is complete before any sandboxed
 * code runs.
 *
 * Ownership: struct gw_netns owns its fds and the keeper; netns_close()
 * releases both (the keeper exits when its socket closes, and dies with the
 * supervisor in any case). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "util.h"

struct gw_netns {
	pid_t keeper;
	int ctl_fd;    /* supervisor's end of the keeper's socketpair */
	int userns_fd; /* the keeper's user namespace (owns the network namespace) */
	int netns_fd;
	/* Set before netns_start(): the keeper also sets up traffic capture
	 * (capture.h) and hands its sockets over; they land in cap, owned
	 * here until the caller takes them (sets them to -1). */
	bool capture;
	struct gw_capture_fds cap;
};

#define GW_NETNS_INIT { .keeper = -1, .ctl_fd = -1, .userns_fd = -1, .netns_fd = -1, \
			.cap = GW_CAPTURE_FDS_INIT }

/* Create the namespaces.  On failure returns -errno with err set to a
 * diagnosis that names the cause (user namespaces disabled, blocked by
 * seccomp or AppArmor) and the ways out. */
int netns_create(struct gw_netns *ns, struct gw_error *err);

/* netns_create() in two halves, so the caller can work while the keeper
 * sets up: start forks the keeper, finish waits for its result (and
 * cleans up on failure). */
int netns_start(struct gw_netns *ns, struct gw_error *err);
int netns_finish(struct gw_netns *ns, struct gw_error *err);

/* In a freshly forked, single-threaded child: enter the keeper's user and
 * network namespaces.  Returns 0 or -errno. */
int netns_join(const struct gw_netns *ns);

/* A new non-blocking TCP socket inside the namespace.  Returns the fd or
 * -errno. */
int netns_socket(struct gw_netns *ns);

/* A non-blocking socket listening on 127.0.0.1:port inside the namespace.
 * Returns the fd or -errno. */
int netns_listen(struct gw_netns *ns, uint16_t port);

void netns_close(struct gw_netns *ns);

/* The keeper's socket service alone, for a keeper made elsewhere
 * (greywall-netns-helper's port bridge): in the calling process, already
 * in the namespace and stripped of everything it should not hold, answer
 * requests on `sock` (a SOCK_SEQPACKET socketpair end) with sockets made
 * in the namespace, until the other end closes; then exit. */
__attribute__((noreturn)) void netns_keeper_serve(int sock);

/* netns_socket() asked of such a keeper through the other end, ctl_fd. */
int netns_keeper_socket(int ctl_fd);

/* Whether this process can create a user namespace with its own network
 * namespace right now (forks a child that tries).  Returns 0 or -errno with
 * err set as for netns_create(). */
int netns_probe(struct gw_error *err);

/* The same with traffic capture (a keeper that runs capture_setup()), for
 * `greywall check`.  Returns 0 or -errno with err saying what failed. */
int netns_probe_capture(struct gw_error *err);
