/* nsrun.h: the default, namespace mode.
 *
 *   supervisor (host namespaces, holds the relays and the terminal)
 *     ├─ keeper (netns.h: user + network namespace, loopback only)
 *     └─ child: setns(keeper's namespaces), own mount namespace, builds
 *        the filesystem tree (mountplan.h, mounttree.h) in a private tmpfs
 *        → bwrap --args FD (the tree as root; new user, mount, PID, IPC,
 *        UTS, cgroup namespaces)
 *          └─ greywall --landlock-apply --seccomp (Landlock grants,
 *             capabilities emptied, seccomp) → CMD
 *
 * The network namespace exists and is configured before bubblewrap starts,
 * so nothing sandboxed ever runs with the host's network.  The command
 * reaches the outside only through the relays the supervisor runs: -f
 * ports, and the configured proxy, whose address the command sees as
 * 127.0.0.1:PORT. */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

#include "capture.h"
#include "cli.h"
#include "config.h"
#include "evloop.h"
#include "policy.h"

/* A loopback port inside the sandbox relayed to an address of the host. */
struct gw_forward {
	uint16_t inside_port;
	struct sockaddr_in host;
	char what[32];
};

#define GW_MAX_FORWARDS 16

struct gw_ns_args {
	const struct gw_opts *opts;
	const struct gw_config *cfg;
	const struct gw_runtime *rt; /* host view: cwd, home, allowDegraded */
	char **env;                  /* the command's environment (sanitised) */
	char **cmd;                  /* CMD [ARGS...] as the wrapper execs it */
	struct gw_forward forwards[GW_MAX_FORWARDS];
	int n_forwards;
	/* Transparent capture (capture.h): the keeper sets it up and its
	 * sockets are moved to *capture_out before the services start. */
	bool capture;
	struct gw_capture_fds *capture_out;
	/* Passed to supervise_run() (the network proxy). */
	int (*services_start)(struct gw_evloop *loop, void *ctx);
	void (*services_stop)(void *ctx);
	void *services_ctx;
};

/* Run the command in the namespace sandbox.  Returns the exit status. */
int nsrun(struct gw_ns_args *a);

/* bubblewrap's path: a root-owned executable at a fixed location (never
 * looked up in PATH).  Caller frees; NULL with err set when missing. */
char *nsrun_find_bwrap(struct gw_error *err);
