/* caps.c: see caps.h. */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Capabilities are dropped up to the first number the kernel calls invalid
 * (EINVAL: past CAP_LAST_CAP), so no /proc file has to be read: this runs
 * after Landlock is in force, and in a child that shares greywall's memory
 * (supervise.h), where only system calls are safe. */
#define CAP_NUMBER_LIMIT 64

static int drop_bounding_set(void)
{
	for (int c = 0; c < CAP_NUMBER_LIMIT; c++) {
		/* Dropping an absent capability is a no-op, so no read first.
		 * EPERM: no CAP_SETPCAP.  Then we have no capabilities to speak
		 * of and execve under no_new_privs cannot gain any. */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0 || errno == EPERM)
			continue;
		return errno == EINVAL && c > 0 ? 0 : -errno;
	}
	return 0;
}

static bool have_setpcap(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return true; /* cannot tell: try the drops */
	return d[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32));
}

int caps_drop_all(void)
{
	/* Without CAP_SETPCAP the bounding set cannot be changed, and there
	 * is nothing it could give back under no_new_privs anyway. */
	int r = have_setpcap() ? drop_bounding_set() : 0;
	if (r < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = { { 0 }, { 0 } };
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	/* Verify rather than trust: the command must start with nothing. */
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return -EPERM;
	return 0;
}
