/* no-userns.c: run a command where user namespaces are unavailable.
 *
 *     no-userns [--no-nnp] CMD [ARGS...]
 *
 * Mimics what Docker's default seccomp profile does to user namespaces:
 * unshare() and clone() with CLONE_NEWUSER fail with EPERM, and clone3()
 * fails with ENOSYS (its flags are out of the filter's reach, and ENOSYS
 * makes libc fall back to clone()).  Then execs CMD.  Used as
 * `no-userns greywall --no-bwrap ...`; the command then runs under two
 * filters (Seccomp_filters: 2), which is expected.
 *
 * --no-nnp (root only): load the filter without no_new_privs, as a
 * container runtime does, so that a program with file capabilities
 * (greywall-netns-helper) started below it still gets them:
 * `no-userns --no-nnp setpriv --reuid=U ... greywall-netns-helper ...`.
 *
 * Everything else is allowed, including foreign-ABI calls: the filter
 * under test must be the one that decides about those. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>

#include "shim.h"

/* clone() takes the flags first except on s390 and CRIS. */
#if defined(__s390__) || defined(__s390x__) || defined(__CRIS__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static int add_rules(scmp_filter_ctx ctx, void *arg)
{
	int ret;

	ret = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					     CLONE_NEWUSER));
	if (ret < 0)
		return ret;
	ret = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_CMP(CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ,
					      CLONE_NEWUSER, CLONE_NEWUSER));
	if (ret < 0)
		return ret;
	return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      SCMP_SYS(clone3), 0);
}

int main(int argc, char **argv)
{
	int argi = 1, nnp = 1;

	if (argi < argc && strcmp(argv[argi], "--no-nnp") == 0) {
		nnp = 0;
		argi++;
	}
	if (argi < argc && strcmp(argv[argi], "--") == 0)
		argi++;
	if (argi >= argc) {
		fprintf(stderr, "usage: no-userns [--no-nnp] CMD [ARGS...]\n");
		return 2;
	}
	return shim_run_nnp("no-userns", add_rules, NULL, nnp, argv + argi);
}
