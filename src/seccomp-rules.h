/* seccomp-rules.h: greywall's seccomp policy as libseccomp rules, the
 * reference for the programs greywall embeds.
 *
 * greywall loads programs written directly by seccomp-emit.c, which are a
 * fifth as long as libseccomp's.  Only the unit tests (and
 * bench/seccomp-load) link this module: they run both programs on a large set of inputs and fail on any verdict
 * that differs, so a change to the policy goes into both files.  The
 * reasons for each rule are written here. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#include "seccomp-filter.h"

/* Returns the SCMP_ARCH_* token (equal to the kernel's AUDIT_ARCH_*
 * value) for an architecture named as meson's cpu_family names it
 * ("x86_64", "aarch64", "riscv64"), or 0 if greywall cannot build a filter
 * for it. */
uint32_t seccomp_rules_arch(const char *name);

/* Builds the policy for opts and arch (a token from seccomp_rules_arch())
 * and exports it as a classic BPF program.  On success *prog is a malloc'd
 * array of *len instructions, in host byte order, that the caller frees,
 * and the number of rules is returned; on failure -errno and *prog is
 * untouched.
 *
 * Every other architecture, and x32 on x86_64, hits KILL_PROCESS. */
int seccomp_rules_export_bpf(uint32_t arch, const struct gw_seccomp_opts *opts,
			     struct sock_filter **prog, size_t *len);

/* Writes the same policy as libseccomp pseudo-code (PFC) to fd, for people
 * reading it.  Syscalls libseccomp cannot name for a foreign arch (see
 * seccomp-rules.c) are missing from this text, not from the BPF.  Returns
 * 0 or -errno. */
int seccomp_rules_export_pfc(uint32_t arch, const struct gw_seccomp_opts *opts,
			     int fd);
