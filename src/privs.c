/* privs.c: see privs.h. */
#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "fs.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))
#define REQUIRED (CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_SYS_ADMIN))
#define SETCAP_HINT "setcap cap_net_admin,cap_sys_admin+ep"

struct capsets {
	uint64_t eff, perm, inh;
};

uint64_t privs_required(void)
{
	return REQUIRED;
}

static int caps_get(struct capsets *s)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capsets *s)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)s->eff, (uint32_t)s->perm, (uint32_t)s->inh },
		{ (uint32_t)(s->eff >> 32), (uint32_t)(s->perm >> 32), (uint32_t)(s->inh >> 32) },
	};
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* The path to repeat in the setcap hint. */
static int hint(struct gw_error *err, const char *what, uint64_t perm)
{
	_cleanup_free_ char *self = fs_self_exe();
	return gw_error_set(err, -EPERM,
			    "%s (permitted capabilities: 0x%llx, needed: cap_net_admin and "
			    "cap_sys_admin, 0x%llx).\nHint: install it with `make install-helper`, "
			    "or run as root: " SETCAP_HINT " %s",
			    what, (unsigned long long)perm, (unsigned long long)REQUIRED,
			    self ? self : "PATH/TO/greywall-netns-helper");
}

static int check_ids(struct gw_error *err)
{
	uid_t r, e, s;
	if (getresuid(&r, &e, &s) < 0)
		return gw_error_set(err, -errno, "getresuid: %s", strerror(errno));
	if (r != e || r != s)
		return gw_error_set(err, -EPERM, "runs with effective uid %u for user %u: it must not "
				    "be setuid; install it with file capabilities (" SETCAP_HINT ")",
				    (unsigned)e, (unsigned)r);
	return 0;
}

int privs_init(struct gw_error *err)
{
	int r = check_ids(err);
	if (r < 0)
		return r;
	struct capsets now = { 0 };
	if ((r = caps_get(&now)) < 0)
		return gw_error_set(err, r, "capget: %s", strerror(-r));
	if ((now.perm & REQUIRED) != REQUIRED)
		return hint(err, now.perm ? "missing capabilities" : "runs without capabilities",
			    now.perm);
	/* A non-root caller with more than the two was given them by the
	 * file (a wrong setcap): refuse rather than guess which to trust.
	 * Root has them all anyway and simply gives up the rest. */
	if (getuid() != 0 && (now.perm & ~REQUIRED))
		return hint(err, "unexpected capabilities: the helper must hold exactly cap_net_admin "
			    "and cap_sys_admin", now.perm);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return gw_error_set(err, -errno, "cannot clear the ambient capabilities: %s",
				    strerror(errno));
	struct capsets want = { .eff = 0, .perm = REQUIRED, .inh = 0 };
	if ((r = caps_set(&want)) < 0 || (r = caps_get(&now)) < 0)
		return gw_error_set(err, r, "cannot settle the capabilities: %s", strerror(-r));
	if (now.eff || now.inh || now.perm != REQUIRED)
		return gw_error_set(err, -EPERM, "capabilities did not settle (permitted 0x%llx)",
				    (unsigned long long)now.perm);
	return 0;
}

int privs_raise(void)
{
	struct capsets s = { .eff = REQUIRED, .perm = REQUIRED, .inh = 0 };
	return caps_set(&s);
}

int privs_lower(void)
{
	struct capsets s = { .eff = 0, .perm = REQUIRED, .inh = 0 };
	return caps_set(&s);
}

int privs_drop_all(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	int r = caps_drop_all();
	if (r < 0)
		return r;
	struct capsets now = { 0 };
	if ((r = caps_get(&now)) < 0)
		return r;
	if (now.eff || now.perm || now.inh)
		return -EPERM;
	/* Ambient capabilities need permitted and inheritable ones, both
	 * empty now, so none can be left; say so if the kernel disagrees. */
	int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0);
	return amb > 0 ? -EPERM : 0;
}
