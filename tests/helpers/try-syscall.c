/* try-syscall.c: seccomp probe run inside the sandbox by integration tests.
 *
 *     try-syscall NAME     one attempt; prints "ok" or the errno name
 *                          (EPERM, ENOSYS, EBADF...) and exits 0
 *     try-syscall --list   prints every NAME
 *
 * Usage errors exit 2.  The int80 and x32 probes are expected to be killed
 * by SIGSYS under greywall's filter; they print "ok" if the call returns.
 *
 * Every attempt is harmless when it is allowed: arguments are chosen (bad
 * fd, bad pointer, invalid flag, nonexistent path) so that an unfiltered
 * kernel fails the call early, and anything the call does create (an fd, a
 * child, a namespace of this short-lived process) is undone or dies with
 * the probe.  The errno that an allowed call gives is noted per probe; an
 * unprivileged caller often gets EPERM from the kernel's own capability
 * checks as well, so only probes noted "unambiguous" tell the filter's
 * EPERM apart from the kernel's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define NETLINK_ROUTE 0
#define NETLINK_AUDIT 9
#define UFFD_USER_MODE_ONLY 1
#define NOPATH "/nonexistent-greywall-probe"
/* A flag bit that mount-API calls reject with EINVAL before doing
 * anything. */
#define BAD_FLAG 0x40000000L

/* Under greywall's filter LeakSanitizer cannot run at exit (it needs
 * ptrace), which would turn every probe into a failure when the tests are
 * built with -fsanitize=address.  The hook is inert in normal builds. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "detect_leaks=0";
}

/* Result of a call returning -1/errno: 0 for success, else errno. */
static int result(long r)
{
	return r < 0 ? errno : 0;
}

/* Same for calls returning an fd, which is closed. */
static int fd_result(long fd)
{
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

/* Allowed: ok (attached and detached again) or EPERM from Yama/Landlock,
 * so EPERM here does not prove the filter.  See ptrace_peek. */
static int try_ptrace(void)
{
	pid_t ppid = getppid();

	if (ptrace(PTRACE_ATTACH, ppid, 0, 0) < 0)
		return errno;
	/* Wait for the attach stop, then let the parent run on. */
	waitpid(ppid, NULL, __WALL);
	ptrace(PTRACE_DETACH, ppid, 0, 0);
	return 0;
}

/* Unambiguous.  Allowed: ESRCH (this process is not traced by itself). */
static int try_ptrace_peek(void)
{
	return result(ptrace(PTRACE_PEEKDATA, getpid(), NULL, NULL));
}

/* Unambiguous.  Allowed: ok (zero-length read of itself). */
static int try_process_vm_readv(void)
{
	return result(process_vm_readv(getpid(), NULL, 0, NULL, 0, 0));
}

/* Allowed: EFAULT, or EPERM with kernel.io_uring_disabled=2. */
static int try_io_uring_setup(void)
{
	return fd_result(syscall(SYS_io_uring_setup, 1, NULL));
}

/* Allowed: ok, or EPERM/ENOSPC where user namespaces are off. */
static int try_unshare_user(void)
{
	return result(unshare(CLONE_NEWUSER));
}

/* Allowed: ok with CAP_SYS_ADMIN, else EPERM. */
static int try_unshare_net(void)
{
	return result(unshare(CLONE_NEWNET));
}

/* Unambiguous.  Allowed: EBADF. */
static int try_setns(void)
{
	return result(setns(-1, 0));
}

/* Raw clone(2) used like fork(): the child exits at once. */
static int try_clone_newuser(void)
{
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0L, 0L, 0L, 0L);

	if (r == 0)
		_exit(0);
	if (r < 0)
		return errno;
	waitpid((pid_t)r, NULL, 0);
	return 0;
}

/* Unambiguous.  Allowed: EINVAL (size 0); the filter gives ENOSYS. */
static int try_clone3(void)
{
	return result(syscall(SYS_clone3, NULL, 0L));
}

/* Allowed: ENOENT (the target is looked up before any permission check). */
static int try_mount(void)
{
	return result(mount("none", NOPATH, "tmpfs", 0, NULL));
}

/* Unambiguous.  Allowed: EINVAL (flags are checked first). */
static int try_umount(void)
{
	return result(umount2(NOPATH, (int)BAD_FLAG));
}

/* Allowed: ENOENT with CAP_SYS_ADMIN, else EPERM. */
static int try_pivot_root(void)
{
	return result(syscall(SYS_pivot_root, NOPATH, NOPATH));
}

/* Allowed: ENOENT (lookup before the capability check). */
static int try_chroot(void)
{
	return result(chroot(NOPATH));
}

/* Allowed: EBADF or EFAULT, depending on the kernel's check order. */
static int try_open_by_handle_at(void)
{
	return fd_result(syscall(SYS_open_by_handle_at, -1, NULL, 0));
}

/* Allowed: EFAULT with CAP_SYS_ADMIN, else EPERM. */
static int try_fsopen(void)
{
	return fd_result(syscall(SYS_fsopen, NULL, 0));
}

/* Unambiguous.  Allowed: EINVAL. */
static int try_open_tree(void)
{
	return fd_result(syscall(SYS_open_tree, -1, "", BAD_FLAG));
}

/* Allowed: EINVAL with CAP_SYS_ADMIN, else EPERM. */
static int try_move_mount(void)
{
	return result(syscall(SYS_move_mount, -1, "", -1, "", BAD_FLAG));
}

/* Unambiguous.  Allowed: EINVAL. */
static int try_mount_setattr(void)
{
	return result(syscall(SYS_mount_setattr, -1, "", BAD_FLAG, NULL, 0));
}

/* Unambiguous.  Allowed: EOPNOTSUPP (unknown operation). */
static int try_keyctl(void)
{
	return result(syscall(SYS_keyctl, 0x7fffffffL, 0L, 0L, 0L, 0L));
}

/* Allowed: EINVAL (unknown command).  Kernels before 5.19 check
 * kernel.unprivileged_bpf_disabled first and may give EPERM. */
static int try_bpf(void)
{
	return fd_result(syscall(SYS_bpf, 0xffffL, NULL, 0L));
}

/* Unambiguous.  Allowed: EFAULT (attr is NULL). */
static int try_perf_event_open(void)
{
	return fd_result(syscall(SYS_perf_event_open, NULL, 0L, -1L, -1L, 0L));
}

/* Unambiguous.  Allowed: EINVAL; UFFD_USER_MODE_ONLY passes the
 * vm.unprivileged_userfaultfd check so that the bad flag is reached. */
static int try_userfaultfd(void)
{
	return fd_result(syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY | 2L));
}

/* Unambiguous.  Allowed: ok (changes only this process). */
static int try_personality_exec(void)
{
	return result(personality(READ_IMPLIES_EXEC));
}

/* Must be ok under the filter: glibc and setarch query this way. */
static int try_personality_query(void)
{
	return result(personality(0xffffffff));
}

/* Allowed: EINVAL with CAP_SYS_BOOT, else EPERM.  Invalid flags and too
 * many segments: with zero segments and valid flags the call would unload
 * the loaded kexec image. */
static int try_kexec_load(void)
{
	return result(syscall(SYS_kexec_load, 0L, 1000L, NULL, 0x4000L));
}

/* Allowed: ENOEXEC with CAP_SYS_MODULE, else EPERM. */
static int try_init_module(void)
{
	return result(syscall(SYS_init_module, NULL, 0L, ""));
}

/* Allowed: ENOENT with CAP_SYS_PACCT, else EPERM.  Never acct(NULL), which
 * would switch accounting off. */
static int try_acct(void)
{
	return result(acct(NOPATH));
}

/* Allowed: ok (buffer size query), or EPERM with kernel.dmesg_restrict. */
static int try_syslog(void)
{
	return result(klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0));
}

/* The terminal probes use stdin only when it is not a terminal, so that
 * an allowed call can never type into the user's shell; on a terminal they
 * use fd -1.  The filter looks at the command, not the fd.  Allowed:
 * ENOTTY, EBADF or EIO. */
static int tty_probe_fd(void)
{
	return isatty(STDIN_FILENO) ? -1 : STDIN_FILENO;
}

static int try_tiocsti(void)
{
	return result(ioctl(tty_probe_fd(), TIOCSTI, "x"));
}

/* CVE-2019-10063: the kernel drops the upper half of the command. */
static int try_tiocsti_high(void)
{
	return result(syscall(SYS_ioctl, tty_probe_fd(), 0x100005412UL, "x"));
}

static int try_tioclinux(void)
{
	char subcode = 0;	/* invalid subcode: EINVAL even on a VT */

	return result(ioctl(tty_probe_fd(), TIOCLINUX, &subcode));
}

/* Socket probes.  Allowed: ok, or the kernel's EAFNOSUPPORT /
 * EPROTONOSUPPORT when the family or protocol is not built; AF_PACKET and
 * raw sockets give EPERM without CAP_NET_RAW. */
static int try_socket_packet(void)
{
	return fd_result(socket(AF_PACKET, SOCK_DGRAM, 0));
}

static int try_socket_vsock(void)
{
	return fd_result(socket(AF_VSOCK, SOCK_STREAM, 0));
}

static int try_socket_raw(void)
{
	return fd_result(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
}

static int try_socket_udp(void)
{
	return fd_result(socket(AF_INET, SOCK_DGRAM, 0));
}

static int try_socket_udp6(void)
{
	return fd_result(socket(AF_INET6, SOCK_DGRAM, 0));
}

static int try_socket_tcp(void)
{
	return fd_result(socket(AF_INET, SOCK_STREAM, 0));
}

static int try_socket_sctp(void)
{
	return fd_result(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
}

static int try_socket_mptcp(void)
{
	return fd_result(socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
}

static int try_socket_unix(void)
{
	return fd_result(socket(AF_UNIX, SOCK_STREAM, 0));
}

static int try_socketpair_unix(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return errno;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* SOCK_RAW is what getifaddrs() and iproute2 use for netlink. */
static int try_socket_netlink_route(void)
{
	return fd_result(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
}

static int try_socket_netlink_audit(void)
{
	return fd_result(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
}

/* A kill by SIGSYS is the expected outcome of the two ABI probes; keep it
 * from leaving a core file in the sandbox.  (Those probes exist on x86_64
 * only.) */
static __attribute__((unused)) void no_core_dump(void)
{
	struct rlimit zero = { 0, 0 };

	setrlimit(RLIMIT_CORE, &zero);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* getpid through the i386 entry point (number 20 there, 39 on x86_64).
 * Allowed: ok; a kernel without IA32 emulation kills with SIGSEGV. */
static int try_int80(void)
{
#ifdef __x86_64__
	long ret;

	no_core_dump();
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(20L)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret < 0 ? (int)-ret : 0;
#else
	return ENOSYS;
#endif
}

/* getpid with the x32 bit.  Allowed: ENOSYS on kernels without x32, ok
 * with it. */
static int try_x32(void)
{
#ifdef __x86_64__
	no_core_dump();
	return result(syscall(0x40000000L | SYS_getpid));
#else
	return ENOSYS;
#endif
}

struct probe {
	const char *name;
	int (*fn)(void);
};

static const struct probe probes[] = {
	{ "ptrace", try_ptrace },
	{ "ptrace_peek", try_ptrace_peek },
	{ "process_vm_readv", try_process_vm_readv },
	{ "io_uring_setup", try_io_uring_setup },
	{ "unshare_user", try_unshare_user },
	{ "unshare_net", try_unshare_net },
	{ "setns", try_setns },
	{ "clone_newuser", try_clone_newuser },
	{ "clone3", try_clone3 },
	{ "mount", try_mount },
	{ "umount", try_umount },
	{ "pivot_root", try_pivot_root },
	{ "chroot", try_chroot },
	{ "open_by_handle_at", try_open_by_handle_at },
	{ "fsopen", try_fsopen },
	{ "open_tree", try_open_tree },
	{ "move_mount", try_move_mount },
	{ "mount_setattr", try_mount_setattr },
	{ "keyctl", try_keyctl },
	{ "bpf", try_bpf },
	{ "perf_event_open", try_perf_event_open },
	{ "userfaultfd", try_userfaultfd },
	{ "personality_exec", try_personality_exec },
	{ "personality_query", try_personality_query },
	{ "kexec_load", try_kexec_load },
	{ "init_module", try_init_module },
	{ "acct", try_acct },
	{ "syslog", try_syslog },
	{ "tiocsti", try_tiocsti },
	{ "tiocsti_high", try_tiocsti_high },
	{ "tioclinux", try_tioclinux },
	{ "socket_packet", try_socket_packet },
	{ "socket_vsock", try_socket_vsock },
	{ "socket_raw", try_socket_raw },
	{ "socket_udp", try_socket_udp },
	{ "socket_udp6", try_socket_udp6 },
	{ "socket_tcp", try_socket_tcp },
	{ "socket_sctp", try_socket_sctp },
	{ "socket_mptcp", try_socket_mptcp },
	{ "socket_unix", try_socket_unix },
	{ "socketpair_unix", try_socketpair_unix },
	{ "socket_netlink_route", try_socket_netlink_route },
	{ "socket_netlink_audit", try_socket_netlink_audit },
	{ "int80", try_int80 },
	{ "x32", try_x32 },
};

#define N_PROBES (sizeof probes / sizeof probes[0])

static int usage(void)
{
	fprintf(stderr, "usage: try-syscall NAME | --list\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return usage();
	if (strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < N_PROBES; i++)
			printf("%s\n", probes[i].name);
		return 0;
	}
	for (size_t i = 0; i < N_PROBES; i++) {
		const char *ename;
		int err;

		if (strcmp(argv[1], probes[i].name) != 0)
			continue;
		err = probes[i].fn();
		ename = err ? strerrorname_np(err) : "ok";
		if (ename)
			printf("%s\n", ename);
		else
			printf("E%d\n", err);
		return 0;
	}
	fprintf(stderr, "try-syscall: unknown probe \"%s\"\n", argv[1]);
	return usage();
}
