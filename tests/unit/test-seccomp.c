/* test-seccomp.c: unit tests for seccomp-filter.c, seccomp-emit.c and
 * seccomp-rules.c.
 *
 * The behaviour checks load the programs compiled into greywall
 * (seccomp-bpf.h) the way greywall does.  Other tests check that the
 * embedded copy is what seccomp-emit.c writes today, and run it and the
 * program libseccomp makes of seccomp-rules.c (the reference) side by side
 * in a BPF interpreter, for every architecture and option set, over a
 * large fixed set of inputs: any verdict that differs is a failure.
 *
 * A loaded filter cannot be removed, so every check runs in a forked child
 * that applies the filter first.  The child reports a failed check on
 * stdout as a TAP comment and exits 1; the parent turns the wait status
 * into the TAP result.
 *
 * Run with ASAN_OPTIONS=detect_leaks=0: LeakSanitizer ptrace()s the process
 * when it exits, and ptrace is one of the denied calls.  The children leave
 * through _exit(), which skips the leak check, so only a child that
 * returned by mistake would trip over it; the parent is unfiltered.
 *
 * Every probed call gets arguments that make it fail harmlessly (bad fd,
 * bad flags, nonexistent path) in case the filter lets it through: the
 * tests run as root. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp-filter.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include "seccomp-bpf.h"
#include "seccomp-emit.h"
#include "seccomp-rules.h"
#include "tap.h"

#ifndef __NR_open_tree_attr
#if defined(__x86_64__) || defined(__aarch64__)
#define __NR_open_tree_attr 467
#endif
#endif

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define NETLINK_ROUTE 0
#define NETLINK_AUDIT 9
#define NETLINK_KOBJECT_UEVENT 15

#define NOPATH "/nonexistent-greywall-test"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct gw_seccomp_opts opts_default = { 0 };
static const struct gw_seccomp_opts opts_netns = { .netns_capture = true };
static const struct gw_seccomp_opts opts_unix = { .allow_unix_sockets = true };
static const struct gw_seccomp_opts opts_netns_unix = {
	.netns_capture = true,
	.allow_unix_sockets = true,
};

/* ---- child side ------------------------------------------------------ */

__attribute__((noreturn, format(printf, 2, 3)))
static void child_fail(int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(STDOUT_FILENO, "#   %s:%d: %s\n", __FILE__, line, buf);
	_exit(1);
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "?";
}

/* A call that must fail with err (EPERM for every denial). */
#define EXPECT_ERRNO(err, call)                                                 \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(call);                                         \
		int _e = errno;                                                 \
		if (_r != -1 || _e != (err))                                    \
			child_fail(__LINE__, "%s: expected -1/%s, got %ld/%s",  \
				   #call, errname(err), _r, errname(_e));       \
	} while (0)
#define EXPECT_DENIED(call) EXPECT_ERRNO(EPERM, call)

/* A call the filter must let through: success or any error but EPERM.
 * For calls whose success depends on the kernel configuration (SCTP
 * module, AF_VSOCK transport). */
#define EXPECT_NOT_DENIED(call)                                                 \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(call);                                         \
		if (_r == -1 && errno == EPERM)                                 \
			child_fail(__LINE__, "%s: unexpected EPERM", #call);    \
		if (_r >= 0)                                                    \
			close((int)_r);                                         \
	} while (0)

/* A call that must succeed and return an fd, which is closed. */
#define EXPECT_FD(call)                                                         \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(call);                                         \
		if (_r < 0)                                                     \
			child_fail(__LINE__, "%s: failed: %s", #call,           \
				   errname(errno));                             \
		close((int)_r);                                                 \
	} while (0)

#define EXPECT_TRUE(c)                                                          \
	do {                                                                    \
		if (!(c))                                                       \
			child_fail(__LINE__, "expected true: %s", #c);          \
	} while (0)

/* Make a SIGSYS kill quick and quiet. */
static void no_core_dump(void)
{
	struct rlimit zero = { 0, 0 };

	setrlimit(RLIMIT_CORE, &zero);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Raw clone(2) used like fork(): a child that gets created exits at once. */
static long raw_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags, 0L, 0L, 0L, 0L);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

/* ---- parent side ----------------------------------------------------- */

static pid_t fork_child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		TAP_FAIL("fork: %s", strerror(errno));
	return pid;
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			TAP_FAIL("waitpid: %s", strerror(errno));
	return st;
}

/* Runs fn in a child that applies the filter for opts first (no filter
 * when opts is NULL) and returns the child's wait status. */
static int run_child(const struct gw_seccomp_opts *opts, void (*fn)(void))
{
	pid_t pid = fork_child();

	if (pid == 0) {
		if (opts) {
			int ret = seccomp_filter_apply(opts);

			if (ret < 0)
				child_fail(__LINE__, "seccomp_filter_apply: %s",
					   strerror(-ret));
		}
		fn();
		_exit(0);
	}
	return wait_child(pid);
}

/* Same with a program loaded as is, the way seccomp_filter_apply() loads
 * its own. */
static int run_child_prog(const struct sock_filter *insns, size_t len,
			  void (*fn)(void))
{
	pid_t pid = fork_child();

	if (pid == 0) {
		struct sock_fprog prog = {
			.len = (unsigned short)len,
			.filter = (struct sock_filter *)insns,
		};

		no_core_dump();
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			child_fail(__LINE__, "loading the program: %s",
				   strerror(errno));
		fn();
		_exit(0);
	}
	return wait_child(pid);
}

#define ASSERT_CHILD_OK(opts, fn)                                               \
	do {                                                                    \
		int _st = run_child(opts, fn);                                  \
		if (!WIFEXITED(_st) || WEXITSTATUS(_st) != 0)                   \
			TAP_FAIL("%s: child %s %d", #fn,                        \
				 WIFEXITED(_st) ? "exited" : "killed by signal", \
				 WIFEXITED(_st) ? WEXITSTATUS(_st) :            \
						  WTERMSIG(_st));               \
	} while (0)

#define ASSERT_CHILD_KILLED(opts, fn, sig)                                      \
	do {                                                                    \
		int _st = run_child(opts, fn);                                  \
		if (!WIFSIGNALED(_st) || WTERMSIG(_st) != (sig))                \
			TAP_FAIL("%s: expected death by signal %d, got %s %d",  \
				 #fn, sig,                                      \
				 WIFEXITED(_st) ? "exit" : "signal",            \
				 WIFEXITED(_st) ? WEXITSTATUS(_st) :            \
						  WTERMSIG(_st));               \
	} while (0)

/* ---- child bodies ---------------------------------------------------- */

static void check_status(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	EXPECT_TRUE(fd >= 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	EXPECT_TRUE(n > 0);
	buf[n] = '\0';
	EXPECT_TRUE(strstr(buf, "\nSeccomp:\t2\n") != NULL);
	EXPECT_TRUE(strstr(buf, "\nSeccomp_filters:\t1\n") != NULL);
	EXPECT_TRUE(strstr(buf, "\nNoNewPrivs:\t1\n") != NULL);
}

struct probe {
	const char *name;
	long nr;
	long a[6];
};

/* Each denied syscall with arguments that fail harmlessly if allowed. */
static void check_denied_list(void)
{
	pid_t self = getpid();
	const struct probe probes[] = {
		{ "ptrace", SYS_ptrace, { 2 /* PEEKDATA */, self } },
		{ "process_vm_readv", SYS_process_vm_readv, { self } },
		{ "process_vm_writev", SYS_process_vm_writev, { self } },
		{ "keyctl", SYS_keyctl, { 0x7fffffff } },
		{ "add_key", SYS_add_key, { 0 } },
		{ "request_key", SYS_request_key, { 0 } },
		{ "userfaultfd", SYS_userfaultfd, { 1 | 2 /* bad flag */ } },
		{ "perf_event_open", SYS_perf_event_open, { 0, 0, -1, -1, 0 } },
		{ "bpf", SYS_bpf, { 0xffff, 0, 0 } },
		{ "kexec_load", SYS_kexec_load, { 0, 1000, 0, 0x4000 } },
		{ "kexec_file_load", SYS_kexec_file_load, { -1, -1, 0, 0, 0x4000 } },
		{ "reboot", SYS_reboot, { 0, 0, 0, 0 } },
		{ "syslog", SYS_syslog, { 10 /* SIZE_BUFFER */, 0, 0 } },
		{ "acct", SYS_acct, { (long)NOPATH } },
		{ "mount", SYS_mount, { 0, (long)NOPATH, 0, 0, 0 } },
		{ "umount2", SYS_umount2, { (long)NOPATH, 0x40000000 } },
		{ "pivot_root", SYS_pivot_root, { (long)NOPATH, (long)NOPATH } },
		{ "swapon", SYS_swapon, { (long)NOPATH, 0 } },
		{ "swapoff", SYS_swapoff, { (long)NOPATH } },
		{ "sethostname", SYS_sethostname, { 0, -1 } },
		{ "setdomainname", SYS_setdomainname, { 0, -1 } },
		{ "init_module", SYS_init_module, { 0, 0, (long)"" } },
		{ "finit_module", SYS_finit_module, { -1, (long)"", 0 } },
		{ "delete_module", SYS_delete_module, { (long)"gw_none", O_NONBLOCK } },
#ifdef SYS_ioperm
		{ "ioperm", SYS_ioperm, { 0xffffffffL, 1, 0 } },
		{ "iopl", SYS_iopl, { 4 } },
#endif
		{ "io_uring_setup", SYS_io_uring_setup, { 1, 0 } },
		{ "io_uring_enter", SYS_io_uring_enter, { -1 } },
		{ "io_uring_register", SYS_io_uring_register, { -1 } },
		{ "setns", SYS_setns, { -1, 0 } },
		{ "chroot", SYS_chroot, { (long)NOPATH } },
		{ "fsopen", SYS_fsopen, { 0, 0 } },
		{ "fsconfig", SYS_fsconfig, { -1, 0 } },
		{ "fsmount", SYS_fsmount, { -1, 0, 0 } },
		{ "fspick", SYS_fspick, { -1, (long)"", 0x40000000 } },
		{ "move_mount", SYS_move_mount, { -1, (long)"", -1, (long)"", 0x40000000 } },
		{ "open_tree", SYS_open_tree, { -1, (long)"", 0x40000000 } },
#ifdef __NR_open_tree_attr
		{ "open_tree_attr", __NR_open_tree_attr, { -1, (long)"", 0x40000000 } },
#endif
		{ "mount_setattr", SYS_mount_setattr, { -1, (long)"", 0x40000000 } },
		{ "open_by_handle_at", SYS_open_by_handle_at, { -1, 0, 0 } },
		{ "name_to_handle_at", SYS_name_to_handle_at, { -1, 0, 0, 0, 0 } },
		{ "kcmp", SYS_kcmp, { self, self, 0x7fff } },
		{ "pidfd_getfd", SYS_pidfd_getfd, { -1, 0, 0 } },
		{ "quotactl", SYS_quotactl, { 0, 0, 0, 0 } },
		{ "quotactl_fd", SYS_quotactl_fd, { -1, 0, 0, 0 } },
		{ "lookup_dcookie", SYS_lookup_dcookie, { 0, 0, 0 } },
	};

	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		const struct probe *p = &probes[i];
		long r;

		errno = 0;
		r = syscall(p->nr, p->a[0], p->a[1], p->a[2], p->a[3], p->a[4],
			    p->a[5]);
		if (r != -1 || errno != EPERM)
			child_fail(__LINE__, "%s: expected -1/EPERM, got %ld/%s",
				   p->name, r, errname(errno));
	}
}

static void check_personality(void)
{
	int cur = personality(0xffffffff);

	EXPECT_TRUE(cur != -1);
	EXPECT_TRUE(personality(0xffffffff) == cur);
	/* glibc truncates to 32 bits; a raw caller may not.  The kernel
	 * only reads the low half, so neither may the filter. */
	EXPECT_TRUE(syscall(SYS_personality, -1L) == cur);
	EXPECT_TRUE(personality(PER_LINUX) != -1);
	EXPECT_TRUE(syscall(SYS_personality, 1L << 32) != -1);
	EXPECT_DENIED(personality(READ_IMPLIES_EXEC));
	EXPECT_DENIED(personality(ADDR_NO_RANDOMIZE));
	EXPECT_DENIED(personality(PER_LINUX32));
	EXPECT_DENIED(personality(0x7fffffff));
	EXPECT_DENIED(personality(0xfffffffe));
	EXPECT_DENIED(syscall(SYS_personality, (1L << 32) | READ_IMPLIES_EXEC));
	EXPECT_DENIED(syscall(SYS_personality, ~0L & ~(long)ADDR_NO_RANDOMIZE));
}

static void check_namespaces(void)
{
	EXPECT_DENIED(unshare(CLONE_NEWUSER));
	EXPECT_DENIED(unshare(CLONE_NEWNS));
	EXPECT_DENIED(unshare(CLONE_NEWNET | CLONE_NEWUTS));
	EXPECT_DENIED(unshare(CLONE_NEWPID));
	EXPECT_DENIED(unshare(CLONE_NEWIPC));
	EXPECT_DENIED(unshare(CLONE_NEWCGROUP));
	EXPECT_DENIED(unshare(CLONE_NEWTIME));
	EXPECT_DENIED(syscall(SYS_unshare, (1L << 32) | CLONE_NEWUSER));
	EXPECT_DENIED(raw_clone(CLONE_NEWUSER | SIGCHLD));
	EXPECT_DENIED(raw_clone(CLONE_NEWNET | SIGCHLD));
	EXPECT_DENIED(raw_clone((1UL << 32) | CLONE_NEWNS | SIGCHLD));
	EXPECT_ERRNO(ENOSYS, syscall(SYS_clone3, NULL, 0));
	EXPECT_DENIED(syscall(SYS_setns, -1, 0));
	/* Flags without a namespace stay allowed. */
	EXPECT_TRUE(unshare(CLONE_FILES) == 0);
	EXPECT_TRUE(raw_clone(SIGCHLD) > 0);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* What ordinary programs do must keep working: threads go through clone3
 * and fall back to clone() on ENOSYS (glibc >= 2.34). */
static void check_allowed(void)
{
	int fds[2];
	pthread_t t;
	void *res = NULL;
	pid_t pid;
	int st;

	EXPECT_TRUE(getpid() > 0);
	EXPECT_TRUE(pipe(fds) == 0);
	close(fds[0]);
	close(fds[1]);
	EXPECT_TRUE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	close(fds[0]);
	close(fds[1]);
	EXPECT_FD(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_TRUE(personality(0xffffffff) != -1);
	pid = fork();
	if (pid == 0)
		_exit(7);
	EXPECT_TRUE(pid > 0);
	EXPECT_TRUE(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 7);
	EXPECT_TRUE(pthread_create(&t, NULL, thread_fn, &st) == 0);
	EXPECT_TRUE(pthread_join(t, &res) == 0 && res == &st);
	/* ioctl itself is not blocked, only the injection commands. */
	EXPECT_ERRNO(EBADF, ioctl(-1, FIONREAD, &st));
}

/* CVE-2017-5226 and the CVE-2019-10063 variant with junk in the high half
 * of the command.  fd -1: an unfiltered call fails with EBADF. */
static void check_tty(void)
{
	char c = 'x';

	EXPECT_DENIED(ioctl(-1, TIOCSTI, &c));
	EXPECT_DENIED(syscall(SYS_ioctl, -1, 0x100005412UL, &c));
	EXPECT_DENIED(syscall(SYS_ioctl, -1, 0xffffffff00005412UL, &c));
	EXPECT_DENIED(ioctl(-1, TIOCLINUX, &c));
	EXPECT_DENIED(syscall(SYS_ioctl, -1, 0x10000541CUL, &c));
}

/* Socket checks shared by every option set. */
static void check_sockets_always(void)
{
	EXPECT_DENIED(socket(AF_PACKET, SOCK_RAW, 0));
	EXPECT_DENIED(socket(AF_PACKET, SOCK_DGRAM, 0));
	EXPECT_DENIED(socket(AF_VSOCK, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(AF_ALG, SOCK_SEQPACKET, 0));
	EXPECT_DENIED(socket(AF_BLUETOOTH, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(AF_KEY, SOCK_RAW, 2));
	EXPECT_DENIED(socket(AF_UNSPEC, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(AF_MAX, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(1000, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(-1, SOCK_STREAM, 0));
	/* The kernel truncates the family to int: junk above must not turn
	 * AF_PACKET into something else. */
	EXPECT_DENIED(syscall(SYS_socket, (1L << 32) | AF_PACKET, SOCK_RAW, 0));
	EXPECT_DENIED(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	EXPECT_DENIED(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	EXPECT_DENIED(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
	EXPECT_DENIED(socket(AF_INET, SOCK_PACKET, 0));
	EXPECT_DENIED(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
	EXPECT_DENIED(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT));
	EXPECT_FD(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	EXPECT_FD(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE));
	EXPECT_FD(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_FD(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 IPPROTO_TCP));
	EXPECT_FD(socket(AF_INET6, SOCK_STREAM, 0));
}

static void check_sockets_default(void)
{
	struct ifaddrs *ifa = NULL;
	int fds[2];

	check_sockets_always();
	EXPECT_DENIED(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_DENIED(socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
	EXPECT_DENIED(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	EXPECT_DENIED(socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP));
	EXPECT_DENIED(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
	EXPECT_DENIED(socket(AF_INET6, SOCK_STREAM, IPPROTO_MPTCP));
	EXPECT_DENIED(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	EXPECT_DENIED(socket(AF_INET, SOCK_STREAM, IPPROTO_ICMP));
	EXPECT_DENIED(socket(AF_INET, SOCK_STREAM, -1));
	EXPECT_DENIED(socket(AF_INET, SOCK_RDM, 0));
	EXPECT_DENIED(socket(AF_INET, SOCK_DCCP, 0));
	EXPECT_DENIED(syscall(SYS_socket, AF_INET, SOCK_STREAM,
			      (1L << 32) | IPPROTO_SCTP));
	EXPECT_DENIED(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	/* Anonymous pairs stay available. */
	EXPECT_TRUE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	close(fds[0]);
	close(fds[1]);
	/* getifaddrs() opens NETLINK_ROUTE with SOCK_RAW. */
	EXPECT_TRUE(getifaddrs(&ifa) == 0);
	freeifaddrs(ifa);
}

static void check_sockets_netns(void)
{
	check_sockets_always();
	EXPECT_FD(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_FD(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
	/* Allowed by the filter; the protocol module may be missing. */
	EXPECT_NOT_DENIED(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
	EXPECT_NOT_DENIED(socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
	EXPECT_DENIED(socket(AF_UNIX, SOCK_STREAM, 0));
}

static void check_sockets_unix(void)
{
	check_sockets_always();
	EXPECT_FD(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_FD(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	EXPECT_FD(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	/* AF_UNIX turns SOCK_RAW into SOCK_DGRAM; the raw rule still
	 * applies. */
	EXPECT_DENIED(socket(AF_UNIX, SOCK_RAW, 0));
	EXPECT_DENIED(socket(AF_INET, SOCK_DGRAM, 0));
}

static void check_sockets_netns_unix(void)
{
	check_sockets_always();
	EXPECT_FD(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_FD(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_DENIED(socket(AF_UNIX, SOCK_RAW, 0));
}

static void call_getpid(void)
{
	syscall(SYS_getpid);
}

#ifdef __x86_64__
static void call_x32_getpid(void)
{
	no_core_dump();
	syscall(0x40000000L | SYS_getpid);
}

static void call_int80_getpid(void)
{
	long ret;

	no_core_dump();
	/* 20 is getpid in the i386 table (39 on x86_64). */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(20L)
			 : "memory", "r8", "r9", "r10", "r11");
	(void)ret;
}

/* Without the filter: x32 is not configured here or works, and int 0x80
 * returns.  Establishes that a SIGSYS under the filter is the filter's. */
static void check_abis_unfiltered(void)
{
	long r = syscall(0x40000000L | SYS_getpid);

	EXPECT_TRUE(r == getpid() || (r == -1 && errno == ENOSYS));
	call_int80_getpid();
}
#endif

/* ---- tests ----------------------------------------------------------- */

TEST(status_shows_one_filter)
{
	ASSERT_CHILD_OK(&opts_default, check_status);
}

TEST(denied_syscalls_eperm)
{
	ASSERT_CHILD_OK(&opts_default, check_denied_list);
}

TEST(personality_only_query_and_reset)
{
	ASSERT_CHILD_OK(&opts_default, check_personality);
}

TEST(namespaces_denied_clone3_enosys)
{
	ASSERT_CHILD_OK(&opts_default, check_namespaces);
}

TEST(ordinary_calls_allowed)
{
	ASSERT_CHILD_OK(&opts_default, check_allowed);
	ASSERT_CHILD_OK(&opts_netns, check_allowed);
}

TEST(tty_injection_denied)
{
	ASSERT_CHILD_OK(&opts_default, check_tty);
}

TEST(sockets_default)
{
	ASSERT_CHILD_OK(&opts_default, check_sockets_default);
}

TEST(sockets_netns_capture)
{
	ASSERT_CHILD_OK(&opts_netns, check_sockets_netns);
}

TEST(sockets_allow_unix)
{
	ASSERT_CHILD_OK(&opts_unix, check_sockets_unix);
}

TEST(sockets_netns_and_unix)
{
	ASSERT_CHILD_OK(&opts_netns_unix, check_sockets_netns_unix);
}

TEST(foreign_abis_killed)
{
#ifdef __x86_64__
	ASSERT_CHILD_OK(NULL, check_abis_unfiltered);
	ASSERT_CHILD_KILLED(&opts_default, call_x32_getpid, SIGSYS);
	ASSERT_CHILD_KILLED(&opts_default, call_int80_getpid, SIGSYS);
	ASSERT_CHILD_KILLED(&opts_netns, call_int80_getpid, SIGSYS);
#else
	tap_skip("x86_64 only");
#endif
}

/* ---- the embedded programs and the generator -------------------------- */

static const struct gw_seccomp_opts *const all_opts[GW_SECCOMP_NPROGS] = {
	&opts_default, &opts_netns, &opts_unix, &opts_netns_unix,
};

static uint32_t native_arch(void)
{
	return seccomp_emit_arch(gw_seccomp_arch);
}

/* A foreign architecture greywall can build for. */
static uint32_t foreign_arch(void)
{
	return native_arch() == SCMP_ARCH_X86_64 ? SCMP_ARCH_AARCH64 :
						   SCMP_ARCH_X86_64;
}

/* The build generated the embedded programs; this proves they are still
 * what seccomp-emit.c writes, so a stale generated file cannot go
 * unnoticed. */
TEST(embedded_matches_emitter)
{
	ASSERT_TRUE(native_arch() != 0);
	for (int i = 0; i < GW_SECCOMP_NPROGS; i++) {
		const struct gw_seccomp_opts *o = all_opts[i];
		const struct gw_seccomp_prog *p = seccomp_filter_program(o);
		struct sock_filter *fresh = NULL;
		size_t len = 0, at = 0;
		int syscalls = seccomp_emit_bpf(native_arch(), o, &fresh, &len);

		while (syscalls > 0 && at < len && at < p->len &&
		       memcmp(&fresh[at], &p->insns[at], sizeof(*fresh)) == 0)
			at++;
		free(fresh);
		if (syscalls <= 0 || len != p->len || at != len)
			TAP_FAIL("variant %d: embedded %u instructions, %d syscalls; "
				 "seccomp-emit.c now %zu, %d; first difference at "
				 "instruction %zu (rebuild to regenerate)", i,
				 p->len, p->syscalls, len, syscalls, at);
		ASSERT_EQ(syscalls, p->syscalls);
		ASSERT_EQ(o->netns_capture, p->netns_capture);
		ASSERT_EQ(o->allow_unix_sockets, p->allow_unix_sockets);
	}
}

TEST(write_bpf_for_bubblewrap)
{
	const struct gw_seccomp_prog *p = seccomp_filter_program(&opts_unix);
	size_t size = p->len * sizeof(*p->insns);
	char *buf = malloc(size);
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	int ret = seccomp_filter_write_bpf(&opts_unix, fd);
	bool same = ret == 0 && buf && lseek(fd, 0, SEEK_END) == (off_t)size &&
		    pread(fd, buf, size, 0) == (ssize_t)size &&
		    memcmp(buf, p->insns, size) == 0;

	free(buf);
	close(fd);
	ASSERT_TRUE(same);
	ASSERT_EQ(-EBADF, seccomp_filter_write_bpf(&opts_unix, -1));
}

/* How bpf_run() reached its verdict. */
struct bpf_trace {
	unsigned int steps;	/* instructions run */
	bool read_args;		/* loaded a word other than nr and arch */
};

/* Runs a seccomp program on d the way the kernel does, for the opcodes
 * libseccomp and seccomp-emit.c write.  Returns the action, or BPF_BAD
 * (which is no action) for anything else, including running off the end.
 * trace may be NULL. */
#define BPF_BAD 0xffffffffU
static uint32_t bpf_run(const struct sock_filter *insns, size_t len,
			const struct seccomp_data *d, struct bpf_trace *trace)
{
	struct bpf_trace unused;
	uint32_t a = 0;

	if (!trace)
		trace = &unused;
	*trace = (struct bpf_trace){ 0 };
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &insns[pc];
		bool jump;

		trace->steps++;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k % 4 || in->k > sizeof(*d) - 4)
				return BPF_BAD;
			if (in->k != offsetof(struct seccomp_data, nr) &&
			    in->k != offsetof(struct seccomp_data, arch))
				trace->read_args = true;
			memcpy(&a, (const char *)d + in->k, sizeof(a));
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			continue;
		case BPF_RET | BPF_K:
			return in->k;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			jump = a == in->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			jump = a > in->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			jump = a >= in->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			jump = (a & in->k) != 0;
			break;
		default:
			return BPF_BAD;
		}
		pc += jump ? in->jt : in->jf;
	}
	return BPF_BAD;
}

#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

struct verdict {
	const char *name;
	uint64_t a[3];
	uint32_t action;
};

/* The default variant's answer to a few calls, in any architecture. */
static const struct verdict verdicts[] = {
	{ "ptrace", { 0 }, RET_EPERM },
	{ "ioperm", { 0 }, RET_EPERM },	/* skipped where it does not exist */
	{ "open_tree_attr", { 0 }, RET_EPERM },
	{ "clone3", { 0 }, RET_ENOSYS },
	{ "getpid", { 0 }, SECCOMP_RET_ALLOW },
	{ "unshare", { CLONE_NEWUSER }, RET_EPERM },
	{ "unshare", { CLONE_FILES }, SECCOMP_RET_ALLOW },
	{ "personality", { 0xffffffff }, SECCOMP_RET_ALLOW },
	{ "personality", { READ_IMPLIES_EXEC }, RET_EPERM },
	{ "ioctl", { 0, TIOCSTI }, RET_EPERM },
	{ "ioctl", { 0, FIONREAD }, SECCOMP_RET_ALLOW },
	{ "socket", { AF_PACKET, SOCK_RAW }, RET_EPERM },
	{ "socket", { AF_INET, SOCK_DGRAM }, RET_EPERM },
	{ "socket", { AF_INET, SOCK_STREAM }, SECCOMP_RET_ALLOW },
	{ "socket", { AF_UNIX, SOCK_STREAM }, RET_EPERM },
};

/* Returns the number of failed verdicts, each reported as a TAP comment.
 * Syscalls libseccomp cannot name are the late ones of seccomp-rules.c,
 * 467 on every architecture greywall builds for. */
static int check_verdicts(uint32_t arch, const struct sock_filter *insns,
			  size_t len)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		const struct verdict *v = &verdicts[i];
		int nr = seccomp_syscall_resolve_name_arch(arch, v->name);
		struct seccomp_data d = { .arch = arch };
		uint32_t got;

		if (nr == __NR_SCMP_ERROR && strcmp(v->name, "open_tree_attr") == 0)
			nr = 467;
		if (nr < 0)
			continue;
		d.nr = nr;
		for (int j = 0; j < 3; j++)
			d.args[j] = v->a[j];
		got = bpf_run(insns, len, &d, NULL);
		if (got != v->action) {
			printf("#   arch 0x%x %s(0x%llx, 0x%llx): 0x%x, expected 0x%x\n",
			       arch, v->name, (unsigned long long)v->a[0],
			       (unsigned long long)v->a[1], got, v->action);
			failed++;
		}
	}
	return failed;
}

/* The interpreter agrees with the kernel on the native program (the
 * behaviour tests above load the same one), so it can be trusted with a
 * program the kernel here cannot run. */
TEST(verdicts_native_program)
{
	const struct gw_seccomp_prog *p = seccomp_filter_program(&opts_default);
	struct seccomp_data i386 = { .arch = SCMP_ARCH_X86, .nr = 20 };

	ASSERT_EQ(0, check_verdicts(native_arch(), p->insns, p->len));
	ASSERT_EQ(SECCOMP_RET_KILL_PROCESS, bpf_run(p->insns, p->len, &i386, NULL));
#ifdef __x86_64__
	struct seccomp_data x32 = { .arch = SCMP_ARCH_X86_64, .nr = 0x40000027 };

	ASSERT_EQ(SECCOMP_RET_KILL_PROCESS, bpf_run(p->insns, p->len, &x32, NULL));
#endif
}

/* What a cross build would embed. */
TEST(verdicts_foreign_program)
{
	struct sock_filter *insns = NULL;
	size_t len = 0;
	int ret = seccomp_emit_bpf(foreign_arch(), &opts_default, &insns, &len);
	struct seccomp_data here = { .arch = native_arch(), .nr = SYS_getpid };
	int failed;
	uint32_t native_action;

	if (ret < 0)
		TAP_FAIL("program for arch 0x%x: %s", foreign_arch(), strerror(-ret));
	failed = check_verdicts(foreign_arch(), insns, len);
	native_action = bpf_run(insns, len, &here, NULL);
	free(insns);
	ASSERT_EQ(0, failed);
	ASSERT_EQ(SECCOMP_RET_KILL_PROCESS, native_action);
}

/* And the kernel kills a process that loads it: the bad-arch action holds
 * whatever the build machine was. */
TEST(foreign_arch_program_kills)
{
	struct sock_filter *insns = NULL;
	size_t len = 0;
	int ret = seccomp_emit_bpf(foreign_arch(), &opts_default, &insns, &len);
	int st;

	if (ret < 0)
		TAP_FAIL("program: %s", strerror(-ret));
	st = run_child_prog(insns, len, call_getpid);
	free(insns);
	ASSERT_TRUE(WIFSIGNALED(st));
	ASSERT_EQ(SIGSYS, WTERMSIG(st));
}

/* ---- the compact programs against libseccomp's -------------------------- */

static const struct {
	const char *name;
	uint32_t arch;
} all_arches[] = {
	{ "x86_64", AUDIT_ARCH_X86_64 },
	{ "aarch64", AUDIT_ARCH_AARCH64 },
	{ "riscv64", AUDIT_ARCH_RISCV64 },
};
#define NARCHES ARRAY_SIZE(all_arches)

/* The compact programs are this share of libseccomp's length or less
 * (about a fifth today).  Policy growth adds more to libseccomp's program
 * than to the compact one, so this fails only when the compact one loses
 * its compactness, such as one comparison per rule again. */
#define MAX_PERCENT_OF_LIBSECCOMP 35

/* libseccomp's program and the compact one for an architecture and a
 * variant (an index into all_opts), and the tally of their comparison. */
struct pair {
	uint32_t arch;
	int variant;
	struct sock_filter *ref;	/* from seccomp-rules.c */
	size_t ref_len;
	/* The embedded program on the native architecture, else what
	 * seccomp-emit.c writes (what a cross build would embed). */
	const struct sock_filter *compact;
	size_t compact_len;
	struct sock_filter *owned;	/* compact, when not embedded */
	unsigned long cases, mismatches;
};

static struct pair pairs[NARCHES][GW_SECCOMP_NPROGS];

/* Builds pairs[a][v] on first use; fails the current test if either
 * program cannot be built.  Freed by free_pairs(). */
static struct pair *get_pair(size_t a, int v)
{
	struct pair *p = &pairs[a][v];
	struct pair fresh = { .arch = all_arches[a].arch, .variant = v };
	const struct gw_seccomp_prog *embedded = seccomp_filter_program(all_opts[v]);
	int ret;

	if (p->compact)
		return p;
	ret = seccomp_rules_export_bpf(fresh.arch, all_opts[v], &fresh.ref,
				       &fresh.ref_len);
	if (ret < 0)
		TAP_FAIL("libseccomp program for %s: %s", all_arches[a].name,
			 strerror(-ret));
	if (fresh.arch == native_arch()) {
		fresh.compact = embedded->insns;
		fresh.compact_len = embedded->len;
	} else {
		ret = seccomp_emit_bpf(fresh.arch, all_opts[v], &fresh.owned,
				       &fresh.compact_len);
		fresh.compact = fresh.owned;
	}
	if (ret < 0) {
		free(fresh.ref);
		TAP_FAIL("compact program for %s: %s", all_arches[a].name,
			 strerror(-ret));
	}
	*p = fresh;
	return p;
}

static void free_pairs(void)
{
	for (size_t a = 0; a < NARCHES; a++) {
		for (int v = 0; v < GW_SECCOMP_NPROGS; v++) {
			free(pairs[a][v].ref);
			free(pairs[a][v].owned);
		}
	}
}

/* Runs both programs on d; a verdict that differs, or that either program
 * cannot reach, is counted and (the first few) printed. */
static void diff_case(struct pair *p, const struct seccomp_data *d)
{
	uint32_t want = bpf_run(p->ref, p->ref_len, d, NULL);
	uint32_t got = bpf_run(p->compact, p->compact_len, d, NULL);

	p->cases++;
	if (want == got && want != BPF_BAD)
		return;
	if (p->mismatches++ >= 10)
		return;
	printf("#   program 0x%08x netns_capture=%d allow_unix_sockets=%d: "
	       "nr %u arch 0x%08x args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx "
	       "0x%llx: libseccomp 0x%08x, compact 0x%08x\n", p->arch,
	       all_opts[p->variant]->netns_capture,
	       all_opts[p->variant]->allow_unix_sockets, (uint32_t)d->nr,
	       d->arch, (unsigned long long)d->args[0],
	       (unsigned long long)d->args[1], (unsigned long long)d->args[2],
	       (unsigned long long)d->args[3], (unsigned long long)d->args[4],
	       (unsigned long long)d->args[5], want, got);
}

static void set_args(struct seccomp_data *d, uint64_t a0, uint64_t a1,
		     uint64_t a2)
{
	memset(d->args, 0, sizeof(d->args));
	d->args[0] = a0;
	d->args[1] = a1;
	d->args[2] = a2;
}

/* Every number up to 1023 with a few argument fills, the same with the x32
 * bit, and the edges of the number space. */
static void diff_numbers(struct pair *p)
{
	static const uint64_t fills[] = { 0, ~0ULL, 0x5555555555555555ULL };
	static const uint32_t edges[] = {
		0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000,
		0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff,
	};
	struct seccomp_data d = { .arch = p->arch };

	for (uint32_t nr = 0; nr < 1024; nr++) {
		for (size_t f = 0; f < ARRAY_SIZE(fills); f++) {
			for (int i = 0; i < 6; i++)
				d.args[i] = fills[f];
			d.nr = (int)nr;
			diff_case(p, &d);
			d.nr = (int)(nr | 0x40000000);
			diff_case(p, &d);
		}
	}
	set_args(&d, 0, 0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		d.nr = (int)edges[i];
		diff_case(p, &d);
	}
}

/* Other architectures, including the program's own with the 64-bit or
 * little-endian flag flipped. */
static void diff_arches(struct pair *p)
{
	const uint32_t others[] = {
		AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, AUDIT_ARCH_RISCV64,
		AUDIT_ARCH_I386, AUDIT_ARCH_ARM, AUDIT_ARCH_RISCV32, 0,
		0xffffffff, p->arch ^ __AUDIT_ARCH_64BIT,
		p->arch ^ __AUDIT_ARCH_LE,
	};
	static const uint32_t nrs[] = {
		0, 20, 39, 101, 172, 435, 467, 0x40000027, 0xffffffff,
	};
	struct seccomp_data d = { 0 };

	for (size_t a = 0; a < ARRAY_SIZE(others); a++) {
		if (others[a] == p->arch)
			continue;
		d.arch = others[a];
		for (size_t n = 0; n < ARRAY_SIZE(nrs); n++) {
			d.nr = (int)nrs[n];
			diff_case(p, &d);
		}
	}
}

/* Argument values at the boundaries the rules draw, and next to them. */
static const uint64_t special_args[] = {
	0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 15, 16, 17, 0x7f, 0x80, 0xff,
	AF_MAX - 1, AF_MAX, AF_MAX + 1, IPPROTO_MPTCP, 0x5411, 0x5412, 0x5413,
	0x541b, 0x541c, 0x541d, CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWTIME,
	CLONE_FILES | CLONE_VM | CLONE_SIGHAND, SOCK_NONBLOCK, SOCK_CLOEXEC,
	SOCK_STREAM | SOCK_CLOEXEC, SOCK_RAW | SOCK_NONBLOCK,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 1ULL << 32,
	(1ULL << 32) | 6, (1ULL << 32) | 0x5412, 0xffffffff00000000ULL,
	0xffffffff00000002ULL, ~0ULL - 1, ~0ULL, 1ULL << 63,
};

/* Runs the pair on nr with the first arguments from base (the rest 0) and
 * argument arg replaced by value. */
static void diff_with_arg(struct pair *p, int nr, const uint64_t base[3],
			  int arg, uint64_t value)
{
	struct seccomp_data d = { .arch = p->arch, .nr = nr };

	set_args(&d, base[0], base[1], base[2]);
	d.args[arg] = value;
	diff_case(p, &d);
}

/* Each single bit set, cleared, and flipped in each argument, over a few
 * bases; then each special value in each argument. */
static void diff_bits(struct pair *p, int nr)
{
	static const uint64_t bases[][3] = {
		{ 0, 0, 0 },
		{ ~0ULL, ~0ULL, ~0ULL },
		{ AF_INET, SOCK_STREAM, 0 },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP },
		{ AF_NETLINK, SOCK_RAW, 0 },
		{ AF_UNIX, SOCK_STREAM, 0 },
		{ 0xffffffff, 0x5412, 0 },
	};

	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		for (int arg = 0; arg < 6; arg++) {
			uint64_t own = arg < 3 ? bases[b][arg] : 0;

			for (int bit = 0; bit < 64; bit++) {
				uint64_t one = 1ULL << bit;

				diff_with_arg(p, nr, bases[b], arg, one);
				diff_with_arg(p, nr, bases[b], arg, ~one);
				diff_with_arg(p, nr, bases[b], arg, own ^ one);
			}
			for (size_t v = 0; v < ARRAY_SIZE(special_args); v++)
				diff_with_arg(p, nr, bases[b], arg, special_args[v]);
		}
	}
}

/* socket(family, ...) with every type, flags and junk in the type, and a
 * few protocols. */
static void diff_socket_types(struct pair *p, int nr, uint64_t family)
{
	static const uint64_t flags[] = {
		0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC,
		0xfff0, 0x7ffffff0, 1ULL << 32, 0xffffffff00000000ULL,
	};
	static const uint64_t protocols[] = {
		0, 1, 6, 17, IPPROTO_MPTCP, 1ULL << 32, (1ULL << 32) | 6, ~0ULL,
	};
	struct seccomp_data d = { .arch = p->arch, .nr = nr };

	for (uint64_t type = 0; type < 16; type++) {
		for (size_t f = 0; f < ARRAY_SIZE(flags); f++) {
			for (size_t pr = 0; pr < ARRAY_SIZE(protocols); pr++) {
				set_args(&d, family, type | flags[f], protocols[pr]);
				diff_case(p, &d);
			}
		}
	}
}

/* socket(family, ...) with protocols 0..300 and beyond, for a few types. */
static void diff_socket_protocols(struct pair *p, int nr, uint64_t family)
{
	static const uint64_t odd[] = {
		0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32, (1ULL << 32) | 6,
		0xffffffff00000000ULL, ~0ULL,
	};
	static const uint64_t types[] = {
		SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM | SOCK_CLOEXEC,
	};
	struct seccomp_data d = { .arch = p->arch, .nr = nr };

	for (size_t i = 0; i < 301 + ARRAY_SIZE(odd); i++) {
		uint64_t protocol = i < 301 ? i : odd[i - 301];

		for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
			set_args(&d, family, types[t], protocol);
			diff_case(p, &d);
		}
	}
}

/* socket(): every family up to AF_MAX + 2 and some beyond it or with junk
 * in the upper half. */
static void diff_socket_grid(struct pair *p, int nr)
{
	static const uint64_t odd[] = {
		0x7fffffff, 0x80000000, 0xffffffff, ~0ULL, 1ULL << 32,
		(1ULL << 32) | AF_INET, (1ULL << 32) | AF_UNIX,
		0xffffffff00000000ULL | AF_NETLINK, (1ULL << 63) | AF_INET6,
	};

	for (size_t i = 0; i < AF_MAX + 3 + ARRAY_SIZE(odd); i++) {
		uint64_t family = i < AF_MAX + 3 ? i : odd[i - AF_MAX - 3];

		diff_socket_types(p, nr, family);
		diff_socket_protocols(p, nr, family);
	}
}

/* xorshift64*: the same sequence on every run and machine. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

static uint64_t random_arg(uint64_t *state)
{
	uint64_t r = next_random(state);
	size_t pick = next_random(state) % ARRAY_SIZE(special_args);
	uint64_t low = special_args[pick];

	switch (r % 6) {
	case 0:
		return low;
	case 1:
		return next_random(state) % 301;
	case 2:
		return next_random(state);
	case 3:	/* junk in the upper half only */
		return next_random(state) << 32 | (uint32_t)low;
	case 4:
		return 1ULL << (next_random(state) % 64);
	default:	/* flags over a value */
		return low | (next_random(state) & 0xfff00000ULL);
	}
}

static void diff_random(struct pair *p, int nr)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)p->arch << 16) ^
			 (uint64_t)nr;
	struct seccomp_data d = { .arch = p->arch, .nr = nr };

	for (int i = 0; i < 4000; i++) {
		for (int arg = 0; arg < 6; arg++)
			d.args[arg] = random_arg(&state);
		d.instruction_pointer = next_random(&state);
		diff_case(p, &d);
	}
}

/* The syscalls whose arguments either program looks at. */
static const char *const inspected[] = {
	"personality", "unshare", "clone", "clone3", "ioctl", "socket",
};

/* Compares the two programs of every variant for all_arches[a]. */
static void diff_arch(size_t a)
{
	unsigned long cases = 0, mismatches = 0;

	for (int v = 0; v < GW_SECCOMP_NPROGS; v++) {
		struct pair *p = get_pair(a, v);

		diff_numbers(p);
		diff_arches(p);
		for (size_t i = 0; i < ARRAY_SIZE(inspected); i++) {
			int nr = seccomp_syscall_resolve_name_arch(p->arch,
								   inspected[i]);

			if (nr < 0)
				TAP_FAIL("libseccomp has no %s on %s", inspected[i],
					 all_arches[a].name);
			diff_bits(p, nr);
			diff_random(p, nr);
			if (strcmp(inspected[i], "socket") == 0)
				diff_socket_grid(p, nr);
		}
		cases += p->cases;
		mismatches += p->mismatches;
	}
	printf("# %s: %lu cases, %lu verdicts differ\n", all_arches[a].name,
	       cases, mismatches);
	ASSERT_EQ(0, mismatches);
}

TEST(same_verdicts_as_libseccomp_x86_64)
{
	diff_arch(0);
}

TEST(same_verdicts_as_libseccomp_aarch64)
{
	diff_arch(1);
}

TEST(same_verdicts_as_libseccomp_riscv64)
{
	diff_arch(2);
}

TEST(compact_programs_are_short)
{
	for (size_t a = 0; a < NARCHES; a++) {
		for (int v = 0; v < GW_SECCOMP_NPROGS; v++) {
			struct pair *p = get_pair(a, v);

			printf("# %s netns_capture=%d allow_unix_sockets=%d: %zu "
			       "instructions, libseccomp %zu\n", all_arches[a].name,
			       all_opts[v]->netns_capture,
			       all_opts[v]->allow_unix_sockets, p->compact_len,
			       p->ref_len);
			ASSERT_TRUE(p->compact_len * 100 <=
				    p->ref_len * MAX_PERCENT_OF_LIBSECCOMP);
		}
	}
}

/* When it loads a filter the kernel runs it once per syscall number with
 * the arguments unknown, and skips it later for the numbers found always
 * allowed (Linux 5.11).  The compact program must decide on the number
 * alone wherever libseccomp's does. */
TEST(plain_numbers_decided_without_arguments)
{
	for (size_t a = 0; a < NARCHES; a++) {
		for (int v = 0; v < GW_SECCOMP_NPROGS; v++) {
			struct pair *p = get_pair(a, v);
			struct seccomp_data d = { .arch = p->arch };

			for (uint32_t nr = 0; nr < 1024; nr++) {
				struct bpf_trace ref, compact;

				d.nr = (int)nr;
				bpf_run(p->ref, p->ref_len, &d, &ref);
				bpf_run(p->compact, p->compact_len, &d, &compact);
				if (compact.read_args && !ref.read_args)
					TAP_FAIL("%s variant %d: nr %u reads "
						 "arguments", all_arches[a].name,
						 v, nr);
			}
		}
	}
}

/* seccomp-emit.c's own number table against libseccomp's. */
TEST(syscall_numbers_match_libseccomp)
{
	size_t n = 0;

	for (const char *name; (name = seccomp_emit_syscall_name(n)); n++) {
		for (size_t a = 0; a < NARCHES; a++) {
			uint32_t arch = all_arches[a].arch;
			int want = seccomp_syscall_resolve_name_arch(arch, name);
			int got = seccomp_emit_syscall_nr(arch, name);

			/* Newer than libseccomp 2.5.4: seccomp-rules.c's
			 * late_syscalls[] has the same number. */
			if (want == __NR_SCMP_ERROR &&
			    strcmp(name, "open_tree_attr") == 0)
				want = 467;
			else if (want < 0)
				want = -ENOENT;
			if (got != want)
				TAP_FAIL("%s on %s: %d, libseccomp says %d", name,
					 all_arches[a].name, got, want);
		}
	}
	ASSERT_TRUE(n > 40);
	ASSERT_EQ(-EINVAL, seccomp_emit_syscall_nr(AUDIT_ARCH_X86_64, "getpid"));
	ASSERT_EQ(-EINVAL, seccomp_emit_syscall_nr(AUDIT_ARCH_I386, "ptrace"));
	ASSERT_EQ(-ENOENT, seccomp_emit_syscall_nr(AUDIT_ARCH_AARCH64, "iopl"));
}

TEST(unknown_arch_refused)
{
	static const char *const names[] = { "x86_64", "aarch64", "riscv64" };
	struct sock_filter *insns = NULL;
	size_t len = 0;

	ASSERT_EQ(0, seccomp_rules_arch("mips"));
	ASSERT_EQ(0, seccomp_rules_arch(""));
	ASSERT_EQ(SCMP_ARCH_AARCH64, seccomp_rules_arch("aarch64"));
	ASSERT_EQ(0, seccomp_emit_arch("mips"));
	ASSERT_EQ(0, seccomp_emit_arch(""));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		ASSERT_EQ(seccomp_rules_arch(names[i]), seccomp_emit_arch(names[i]));
	ASSERT_EQ(-EINVAL, seccomp_emit_bpf(AUDIT_ARCH_I386, &opts_default,
					    &insns, &len));
	ASSERT_TRUE(insns == NULL);
}

/* Returns the PFC text for opts (caller frees). */
static char *export_pfc(const struct gw_seccomp_opts *opts)
{
	int fd = memfd_create("pfc", MFD_CLOEXEC);
	char *buf = NULL;
	off_t len;
	int ret;

	if (fd < 0)
		TAP_FAIL("memfd_create: %s", strerror(errno));
	ret = seccomp_rules_export_pfc(native_arch(), opts, fd);
	len = lseek(fd, 0, SEEK_END);
	if (ret < 0 || len <= 0) {
		close(fd);
		TAP_FAIL("export: %d, %lld bytes", ret, (long long)len);
	}
	buf = calloc(1, (size_t)len + 1);
	if (!buf || pread(fd, buf, (size_t)len, 0) != len) {
		free(buf);
		close(fd);
		TAP_FAIL("reading the export back failed");
	}
	close(fd);
	return buf;
}

TEST(export_pfc)
{
	char *pfc = export_pfc(&opts_default);
	bool ok = strstr(pfc, "\"ptrace\"") && strstr(pfc, "\"clone3\"") &&
		  strstr(pfc, "ERRNO(38)") && strstr(pfc, "\"socket\"") &&
		  strstr(pfc, "\"open_by_handle_at\"") &&
		  strstr(pfc, "action KILL_PROCESS") &&
		  !strstr(pfc, "\"socketpair\"") && !strstr(pfc, "\"getpid\"") &&
		  !strstr(pfc, "\"seccomp\"");

	if (!ok)
		printf("%s", pfc);
	free(pfc);
	ASSERT_TRUE(ok);
	ASSERT_TRUE(seccomp_rules_export_pfc(native_arch(), &opts_default, -1) < 0);
}

TEST(export_pfc_follows_options)
{
	char *def = export_pfc(&opts_default);
	char *netns = export_pfc(&opts_netns);
	/* The datagram rule for AF_INET exists only without a netns. */
	bool differ = strcmp(def, netns) != 0 && strlen(def) > strlen(netns);

	free(def);
	free(netns);
	ASSERT_TRUE(differ);
}

int main(void)
{
	RUN(status_shows_one_filter);
	RUN(denied_syscalls_eperm);
	RUN(personality_only_query_and_reset);
	RUN(namespaces_denied_clone3_enosys);
	RUN(ordinary_calls_allowed);
	RUN(tty_injection_denied);
	RUN(sockets_default);
	RUN(sockets_netns_capture);
	RUN(sockets_allow_unix);
	RUN(sockets_netns_and_unix);
	RUN(foreign_abis_killed);
	RUN(embedded_matches_emitter);
	RUN(write_bpf_for_bubblewrap);
	RUN(verdicts_native_program);
	RUN(verdicts_foreign_program);
	RUN(foreign_arch_program_kills);
	RUN(same_verdicts_as_libseccomp_x86_64);
	RUN(same_verdicts_as_libseccomp_aarch64);
	RUN(same_verdicts_as_libseccomp_riscv64);
	RUN(compact_programs_are_short);
	RUN(plain_numbers_decided_without_arguments);
	RUN(syscall_numbers_match_libseccomp);
	RUN(unknown_arch_refused);
	RUN(export_pfc);
	RUN(export_pfc_follows_options);
	free_pairs();
	return tap_done();
}
