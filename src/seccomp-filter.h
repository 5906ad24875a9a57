/* seccomp-filter.h: greywall's seccomp policy, built with libseccomp and
 * loaded in-process (after PR_SET_NO_NEW_PRIVS) right before execve.
 *
 * Only the native architecture is accepted: i386 (int 0x80) and x32 system
 * calls kill the process.  Denied calls fail with EPERM, except clone3,
 * which fails with ENOSYS so that libc falls back to clone(), where the
 * namespace flags can be inspected. */
#pragma once

#include <stdbool.h>

struct gw_seccomp_opts {
	/* A network namespace captures all traffic (--netns): UDP and other
	 * AF_INET/AF_INET6 socket types are allowed. */
	bool netns_capture;
	/* socket(AF_UNIX) allowed (network.allowAllUnixSockets).  Otherwise
	 * only socketpair() gives unix sockets. */
	bool allow_unix_sockets;
};

/* Build the filter and load it into the calling thread.  Returns 0 or
 * -errno.  Sets PR_SET_NO_NEW_PRIVS itself. */
int seccomp_filter_apply(const struct gw_seccomp_opts *opts);

/* Write the filter as libseccomp pseudo-code (PFC) to fd, for --debug and
 * for tests.  Returns 0 or -errno. */
int seccomp_filter_export_pfc(const struct gw_seccomp_opts *opts, int fd);
