/* capd.h: the capture daemon of a pinned network namespace.
 *
 * `greywall-netns-helper create` sets up traffic capture in a new network
 * namespace (capture.h).  The sockets it made there go to this daemon, a
 * child that runs in the host's network namespace for as long as the pin
 * exists: greywall's capture engine (netsvc.h: fake-IP DNS and the
 * proxy's capture listener) with every decision left to the upstream
 * SOCKS5 proxy named at create, which gets each connection by name.  Being
 * in the host's namespace, it reaches a proxy on the host's loopback, and
 * nothing runs inside the sandbox's namespace.
 *
 * Before it reads a byte from the sandbox, the daemon becomes an ordinary
 * process of the caller: a session of its own, an empty environment,
 * working directory /, stdin and stdout on /dev/null (stderr too unless
 * --debug), every other inherited fd closed, no capability left and
 * no_new_privs set.  It stays non-dumpable, as the helper was.  It exits
 * 0 on SIGTERM or SIGINT. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "util.h"

/* --bridge-port: host clients reach a server the sandbox runs on
 * 127.0.0.1:port inside the namespace, through the host's 127.0.0.1:port
 * and through the pin's Unix socket NAME.sock (pin.h).  Only the pin
 * owner's sockets are relayed: the Unix socket's mode keeps others out,
 * and on TCP the owner of each client socket is looked up (peercred.h);
 * another user's connection is reset before a byte passes.  The daemon
 * relays each connection (relay.h) to a socket that the bridge keeper,
 * the one process left in the namespace, makes there and passes over
 * keeper_fd (netns.h's keeper service). */
struct capd_bridge {
	uint16_t port;  /* 0: no bridge */
	int keeper_fd;  /* capd_keeper_start()'s fd, or -1 */
	int unix_fd;    /* pin_sock_listen()'s fd, or -1 */
};

struct capd_args {
	const char *upstream;   /* SOCKS5 URL with a numeric host */
	bool debug;
	struct capd_bridge bridge;
};

/* Start the daemon with the capture sockets in *cap, which it takes over
 * (they are closed here in any case; the bridge's fds are not).  Waits
 * until the daemon reports that it is ready (at most 10 s).  Returns a
 * pidfd of the daemon (close-on-exec) with *pid and *ctl set, or -errno
 * with err set (the daemon is then gone).  The daemon serves only after
 * capd_go(*ctl), within 10 s; if *ctl is closed first, it exits. */
int capd_start(const struct capd_args *a, struct gw_capture_fds *cap, pid_t *pid, int *ctl,
	       struct gw_error *err);

/* Let the daemon serve (it has been recorded).  0 or -errno. */
int capd_go(int ctl);

/* Fork the bridge keeper in the calling process's (the new) network
 * namespace: stripped like the daemon (no capability, no_new_privs, empty
 * environment, no other fd), it makes TCP sockets there for whoever holds
 * the returned fd, and exits when that fd's last copy closes (when the
 * daemon is gone).  Returns the fd or -errno with err set. */
int capd_keeper_start(bool debug, struct gw_error *err);
