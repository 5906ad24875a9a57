/* no-nftables.c: run a command on a kernel without nf_tables, as far as
 * greywall can tell.
 *
 *     no-nftables CMD [ARGS...]
 *
 * socket(AF_NETLINK, *, NETLINK_NETFILTER) fails with EPROTONOSUPPORT, as
 * on a kernel built without CONFIG_NETFILTER_NETLINK (or a container that
 * cannot load the module).  The capture path must then refuse to start
 * the sandbox rather than run it with its traffic uncaptured. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/netlink.h>
#include <sys/socket.h>

#include "shim.h"

static int add_rules(scmp_filter_ctx ctx, void *arg)
{
	(void)arg;
	return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), 2,
				      SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
				      SCMP_A2(SCMP_CMP_EQ, NETLINK_NETFILTER));
}

int main(int argc, char **argv)
{
	int argi = 1;

	if (argi < argc && strcmp(argv[argi], "--") == 0)
		argi++;
	if (argi >= argc) {
		fprintf(stderr, "usage: no-nftables CMD [ARGS...]\n");
		return 2;
	}
	return shim_run("no-nftables", add_rules, NULL, argv + argi);
}
