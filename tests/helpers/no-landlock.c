/* no-landlock.c: run a command on a kernel that seems to lack Landlock.
 *
 *     no-landlock [--errno NAME] CMD [ARGS...]
 *
 * Installs a seccomp filter under which landlock_create_ruleset,
 * landlock_add_rule and landlock_restrict_self fail with ENOSYS (kernel
 * built without Landlock) or with the given errno, e.g. EOPNOTSUPP
 * (built in but disabled at boot), then execs CMD.  Used to check that
 * greywall refuses to run rather than run unconfined.
 *
 * Everything else is allowed, including foreign-ABI calls: the filter
 * under test must be the one that decides about those. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>

#include "shim.h"

static const char *const landlock_syscalls[] = {
	"landlock_create_ruleset",
	"landlock_add_rule",
	"landlock_restrict_self",
};

__attribute__((noreturn)) static void usage(void)
{
	fprintf(stderr, "usage: no-landlock [--errno NAME|NUMBER] CMD [ARGS...]\n");
	exit(2);
}

/* Accepts an errno name (ENOSYS, EOPNOTSUPP...) or a number; -1 if
 * neither. */
static int parse_errno(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < 4096 ? (int)n : -1;
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && strcmp(name, s) == 0)
			return e;
	}
	if (strcmp(s, "ENOTSUP") == 0)	/* alias strerrorname_np never returns */
		return ENOTSUP;
	return -1;
}

static int add_rules(scmp_filter_ctx ctx, void *arg)
{
	int err = *(int *)arg;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < sizeof landlock_syscalls /
					       sizeof landlock_syscalls[0]; i++) {
		int nr = seccomp_syscall_resolve_name(landlock_syscalls[i]);

		ret = nr < 0 ? -ENOSYS :
			       seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(err),
						      nr, 0);
	}
	return ret;
}

int main(int argc, char **argv)
{
	int err = ENOSYS;
	int argi = 1;
	if (argi < argc && strcmp(argv[argi], "--errno") == 0) {
		if (argi + 1 >= argc)
			usage();
		err = parse_errno(argv[argi + 1]);
		if (err < 0) {
			fprintf(stderr, "no-landlock: unknown errno \"%s\"\n",
				argv[argi + 1]);
			usage();
		}
		argi += 2;
	}
	if (argi < argc && strcmp(argv[argi], "--") == 0)
		argi++;
	if (argi >= argc)
		usage();
	return shim_run("no-landlock", add_rules, &err, argv + argi);
}
