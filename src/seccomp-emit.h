/* seccomp-emit.h: greywall's seccomp policy, written directly as a compact
 * classic BPF program.
 *
 * This is what greywall loads: tools/gen-seccomp runs it at build time and
 * embeds the result (seccomp-bpf.h).  It has no libseccomp dependency.
 * The same policy is also stated as libseccomp rules in seccomp-rules.c,
 * which serves as the reference: the unit tests check that both programs
 * give the same verdict on a large set of inputs, so a syscall added to
 * one and not the other fails the tests.
 *
 * A program is a few dozen instructions where libseccomp writes several
 * hundred.  Loading costs time in proportion to its length (the kernel
 * checks it, converts it to eBPF and JIT-compiles it at every start).
 * Everything here works on the target architecture's numbering, which
 * need not be that of the machine running it (cross builds). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#include "seccomp-filter.h"

/* Returns the kernel's AUDIT_ARCH_* value for an architecture named as
 * meson's cpu_family names it ("x86_64", "aarch64", "riscv64"), or 0 if
 * greywall cannot build a filter for it. */
uint32_t seccomp_emit_arch(const char *name);

/* The name of the i-th syscall the policy names, or NULL past the last
 * one: for tests that check the number table. */
const char *seccomp_emit_syscall_name(size_t i);

/* Returns the number of syscall name on arch (an AUDIT_ARCH_* value from
 * seccomp_emit_arch()), -ENOENT if that architecture has no such syscall
 * (ioperm outside x86), or -EINVAL if the policy does not name it or arch
 * is not one of greywall's. */
int seccomp_emit_syscall_nr(uint32_t arch, const char *name);

/* Builds the program for opts and arch.  On success *prog is a malloc'd
 * array of *len instructions, in host byte order, that the caller frees,
 * and the number of distinct syscalls the program names (denied outright
 * or inspected by argument) is returned; on failure -errno and *prog is
 * untouched.
 *
 * Every other architecture, and x32 on x86_64, hits KILL_PROCESS. */
int seccomp_emit_bpf(uint32_t arch, const struct gw_seccomp_opts *opts,
		     struct sock_filter **prog, size_t *len);
