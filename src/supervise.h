/* supervise.h: the process that stays outside the sandbox for the whole
 * run.  It starts the sandboxed command (through greywall's internal mode
 * or bubblewrap) in a session of its own, relays a pseudo-terminal and TCP
 * ports to it, forwards signals, and when it ends, kills whatever it left
 * behind and returns the command's status. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "evloop.h" /* struct gw_evloop */
#include "relay.h" /* struct gw_relay */

struct gw_supervise {
	char **argv, **env;            /* argv[0] absolute or /proc/self/exe */
	const int *keep_fds; size_t n_keep_fds; /* passed to the child (CLOEXEC cleared), closed in the parent after fork */
	bool pty;                      /* relay a new pseudo-terminal when stdin is a terminal */
	int (*child_setup)(void *ctx); /* run in the child after fork, before fds are closed and exec; < 0 => child exits GW_EXIT_SETUP */
	bool shared_mm;                /* child_setup makes only system calls (no allocation, no stdio but
					  failure reports): the child may run in greywall's memory until it
					  executes (clone CLONE_VM|CLONE_VFORK), which saves copying the
					  address space at every start */
	pid_t (*signal_target)(pid_t child, void *ctx); /* process to forward signals to; NULL => the child */
	void *ctx;
	struct gw_relay *relays; size_t n_relays;
	/* Services that run on the supervisor's event loop for the whole run
	 * (the network proxy): started before the child, stopped once it has
	 * exited.  A start failure is a setup failure (the command does not
	 * run). */
	int (*services_start)(struct gw_evloop *loop, void *ctx);
	void (*services_stop)(void *ctx);
	void *services_ctx;
};

/* Run s->argv with s->env in a child and supervise it until it exits.
 *
 * The child gets PR_SET_PDEATHSIG SIGKILL and its own session (setsid), so
 * it can never reach greywall's terminal through /dev/tty.  With s->pty and
 * a terminal on stdin it gets a new pty as controlling terminal, dup'd over
 * those of fds 0-2 that are terminals (see pty.h).  Every fd other than
 * 0-2 and keep_fds is closed before exec.
 *
 * Signals INT, TERM, HUP, QUIT, USR1, USR2 (and WINCH without a pty)
 * received by greywall go to signal_target(child, ctx), whoever sent them.
 * On SIGTSTP greywall stops that process's group (SIGSTOP), restores the
 * terminal and stops itself; on SIGCONT it continues them.  Relays run
 * until the child exits.  Then every remaining
 * descendant is killed (greywall is their subreaper).
 *
 * Ownership: keep_fds and every relay's listen_fd are closed by this call,
 * on every path.  Returns the child's exit code, 128+N when it died of
 * signal N, or GW_EXIT_SETUP when it could not be started. */
int supervise_run(const struct gw_supervise *s);

/* Map a wait() status to an exit code (128+N for signal N). */
int supervise_exit_code(int status);
