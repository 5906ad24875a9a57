/* seccomp-filter.h: greywall's seccomp policy, loaded in-process (after
 * PR_SET_NO_NEW_PRIVS) right before execve.
 *
 * The build writes the policy as compact BPF programs (seccomp-emit.c, into
 * seccomp-bpf.h) so that greywall itself needs no libseccomp and spends as
 * little startup time as possible loading them.  seccomp-rules.c states
 * the same policy as libseccomp rules, with the reasons for each; the
 * unit tests hold the two to the same verdicts.
 *
 * Only the architecture greywall was built for is accepted: i386 (int 0x80)
 * and x32 system calls kill the process.  Denied calls fail with EPERM,
 * except clone3, which fails with ENOSYS so that libc falls back to
 * clone(), where the namespace flags can be inspected. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct gw_seccomp_opts {
	/* A network namespace captures all traffic (--netns): UDP and other
	 * AF_INET/AF_INET6 socket types are allowed. */
	bool netns_capture;
	/* socket(AF_UNIX) allowed (network.allowAllUnixSockets).  Otherwise
	 * only socketpair() gives unix sockets. */
	bool allow_unix_sockets;
};

struct gw_seccomp_prog;

/* The precompiled program for opts: static data, never freed. */
const struct gw_seccomp_prog *seccomp_filter_program(const struct gw_seccomp_opts *opts);

/* Loads the program for opts into the calling thread.  Returns 0 or
 * -errno.  Sets PR_SET_NO_NEW_PRIVS itself. */
int seccomp_filter_apply(const struct gw_seccomp_opts *opts);

/* Writes the program for opts to fd as raw struct sock_filter records,
 * the format bubblewrap's --seccomp FD reads.  Returns 0 or -errno. */
int seccomp_filter_write_bpf(const struct gw_seccomp_opts *opts, int fd);
