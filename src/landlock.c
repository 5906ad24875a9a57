/* landlock.c: see landlock.h. */
#include "landlock.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

/* Kernel UAPI layouts (stable).  A larger attr size than the kernel knows is
 * accepted as long as the unknown tail is zero, so the full struct is always
 * passed. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

int landlock_abi(void)
{
	long r = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return r < 0 ? -errno : (int)r;
}

uint64_t landlock_fs_rights_for_abi(int abi)
{
	if (abi < 1)
		return 0;
	if (abi < 2)
		return (1ULL << 13) - 1;
	if (abi < 3)
		return (1ULL << 14) - 1;
	if (abi < 5)
		return (1ULL << 15) - 1;
	return (1ULL << 16) - 1;
}

uint64_t landlock_net_rights_for_abi(int abi)
{
	return abi >= 4 ? GW_LL_NET_BIND_TCP | GW_LL_NET_CONNECT_TCP : 0;
}

uint64_t landlock_scopes_for_abi(int abi)
{
	return abi >= 6 ? GW_LL_SCOPE_ABSTRACT_UNIX_SOCKET | GW_LL_SCOPE_SIGNAL : 0;
}

int landlock_ruleset_create(uint64_t fs, uint64_t net, uint64_t scoped)
{
	struct ll_ruleset_attr attr = {
		.handled_access_fs = fs,
		.handled_access_net = net,
		.scoped = scoped,
	};
	long r = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
	return r < 0 ? -errno : (int)r;
}

int landlock_allow_path(int ruleset_fd, int path_fd, uint64_t access)
{
	struct ll_path_beneath_attr a = {
		.allowed_access = access,
		.parent_fd = path_fd,
	};
	if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &a, 0) < 0)
		return -errno;
	return 0;
}

int landlock_allow_port(int ruleset_fd, uint16_t port, uint64_t access)
{
	struct ll_net_port_attr a = {
		.allowed_access = access,
		.port = port,
	};
	if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_NET_PORT, &a, 0) < 0)
		return -errno;
	return 0;
}

int landlock_enforce(int ruleset_fd)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(__NR_landlock_restrict_self, ruleset_fd, 0) < 0)
		return -errno;
	return 0;
}

const char *landlock_hint(int err)
{
	switch (err) {
	case -ENOSYS:
		return "this kernel has no Landlock support; it needs Linux >= 6.7 "
		       "built with CONFIG_SECURITY_LANDLOCK=y";
	case -EOPNOTSUPP:
		return "Landlock is built in but disabled; add \"landlock\" to the "
		       "kernel's lsm= boot parameter (see /sys/kernel/security/lsm)";
	case -EPERM:
		return "a seccomp filter of the calling environment blocks Landlock "
		       "(some container runtimes do); allow the landlock_* syscalls";
	default:
		return "Landlock could not be used on this system";
	}
}
