/* seccomp-filter.c: see seccomp-filter.h.
 *
 * Loading is a single seccomp(2) call on a program the build produced
 * (seccomp-emit.c); the reasons for each rule are in seccomp-rules.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp-filter.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "log.h"
#include "seccomp-bpf.h"

const struct gw_seccomp_prog *seccomp_filter_program(const struct gw_seccomp_opts *opts)
{
	return &gw_seccomp_progs[opts->netns_capture | opts->allow_unix_sockets << 1];
}

int seccomp_filter_apply(const struct gw_seccomp_opts *opts)
{
	const struct gw_seccomp_prog *p = seccomp_filter_program(opts);
	/* The kernel copies the program and never writes to it. */
	struct sock_fprog fprog = {
		.len = p->len,
		.filter = (struct sock_filter *)p->insns,
	};

	/* Without it an unprivileged seccomp() fails with EACCES; setting it
	 * here makes that failure visible as what it is. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* Raw syscall: glibc has no wrapper, and no flags are wanted (the
	 * filter covers this thread, which is about to execve). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	log_debug("seccomp: loaded the precompiled %s filter netns_capture=%d "
		  "allow_unix_sockets=%d (%d syscalls named, %u BPF instructions)",
		  gw_seccomp_arch, p->netns_capture, p->allow_unix_sockets,
		  p->syscalls, p->len);
	return 0;
}

int seccomp_filter_write_bpf(const struct gw_seccomp_opts *opts, int fd)
{
	const struct gw_seccomp_prog *p = seccomp_filter_program(opts);
	const char *buf = (const char *)p->insns;
	size_t left = p->len * sizeof(*p->insns);

	/* A pipe may take the program in pieces. */
	while (left > 0) {
		ssize_t n = write(fd, buf, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		left -= (size_t)n;
	}
	return 0;
}
