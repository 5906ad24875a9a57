/* shim.h: shared part of the test shims (no-landlock, no-userns): load one
 * extra seccomp filter, then exec the command.
 *
 * The shim filter allows everything it does not name, including foreign-ABI
 * calls: the filter under test must be the one that decides about those. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

typedef int (*shim_rules_fn)(scmp_filter_ctx ctx, void *arg);

/* nnp false: load the filter without no_new_privs (allowed to a caller
 * with CAP_SYS_ADMIN, i.e. root), so that the command can still gain
 * file capabilities, as under a container runtime's filter. */
static inline int shim_install_nnp(shim_rules_fn add_rules, void *arg, int nnp)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (ret == 0)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, nnp);
	if (ret == 0)
		ret = add_rules(ctx, arg);
	if (ret == 0 && nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ret = -errno;
	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

static inline int shim_install(shim_rules_fn add_rules, void *arg)
{
	return shim_install_nnp(add_rules, arg, 1);
}

/* Install the filter and exec argv; returns an exit status on failure. */
static inline int shim_run_nnp(const char *name, shim_rules_fn add_rules, void *arg, int nnp,
			       char **argv)
{
	int ret = shim_install_nnp(add_rules, arg, nnp);

	if (ret < 0) {
		fprintf(stderr, "%s: seccomp: %s\n", name, strerror(-ret));
		return 125;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "%s: %s: %s\n", name, argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static inline int shim_run(const char *name, shim_rules_fn add_rules, void *arg, char **argv)
{
	return shim_run_nnp(name, add_rules, arg, 1, argv);
}
