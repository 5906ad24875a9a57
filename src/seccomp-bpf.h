/* seccomp-bpf.h: the seccomp programs compiled into greywall.
 *
 * The definitions are generated at build time (seccomp-bpf.c in the build
 * directory, written by tools/gen-seccomp.c with seccomp-emit.c), so that
 * greywall loads a ready program instead of building one at every start.
 * Everything here is static, read-only data owned by the binary. */
#pragma once

#include <stdbool.h>

#include <linux/filter.h>

struct gw_seccomp_prog {
	bool netns_capture;		/* the gw_seccomp_opts it implements */
	bool allow_unix_sockets;
	unsigned short len;		/* instructions in insns */
	int syscalls;			/* syscalls it names: denied outright
					 * or inspected by argument */
	const struct sock_filter *insns;
};

/* One program per combination of gw_seccomp_opts, at index
 * netns_capture | allow_unix_sockets << 1. */
#define GW_SECCOMP_NPROGS 4
extern const struct gw_seccomp_prog gw_seccomp_progs[GW_SECCOMP_NPROGS];

/* The architecture the programs are for, as meson names it ("x86_64");
 * every other one is killed. */
extern const char gw_seccomp_arch[];
