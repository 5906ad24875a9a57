/* seccomp-rules.c: see seccomp-rules.h.
 *
 * The filter is a deny list on top of a default ALLOW: it exists to close
 * kernel attack surface and the escape hatches that Landlock and the mount
 * namespace cannot see (namespaces, ptrace, the new mount API, io_uring,
 * raw and non-TCP sockets).  Every denial is a silent EPERM so that probing
 * programs degrade instead of dying; the only kills are for foreign ABIs.
 *
 * The rules are written for one target architecture, which need not be the
 * one this code runs on (cross builds).  libseccomp takes syscall numbers
 * in the numbering of the machine it runs on and translates them, by name,
 * for the filter's architecture. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp-rules.h"

#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include "cleanup.h"
#include "log.h"

static inline void cleanup_seccomp_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx) {
		int saved = errno;
		seccomp_release(*ctx);
		errno = saved;
	}
}
/* Kept here rather than in cleanup.h so that only this module needs the
 * libseccomp headers. */
#define _cleanup_seccomp_ __attribute__((cleanup(cleanup_seccomp_ctx)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DENY SCMP_ACT_ERRNO(EPERM)
#define LOW32 0xffffffffULL

/* The architectures greywall builds for.  All are little-endian, which is
 * what seccomp_export_bpf() writes for them whatever the build machine
 * (see export_bpf()). */
static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{ "x86_64", SCMP_ARCH_X86_64 },
	{ "aarch64", SCMP_ARCH_AARCH64 },
	{ "riscv64", SCMP_ARCH_RISCV64 },
};

uint32_t seccomp_rules_arch(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, name) == 0)
			return arches[i].token;
	return 0;
}

/* Comparisons other than SCMP_CMP_MASKED_EQ ignore their second datum; it
 * is spelled out as 0 below only to keep the initializers complete (clang
 * warns otherwise). */

/* The kernel reads the second ioctl argument as unsigned int, so a command
 * with junk in the upper half still reaches the TIOCSTI handler
 * (CVE-2019-10063): only the low 32 bits may be compared. */
#define GW_TIOCSTI 0x5412
#define GW_TIOCLINUX 0x541C

/* Denied outright with EPERM.  Names the target architecture lacks (ioperm
 * and iopl outside x86, socketcall on x86_64) are skipped. */
static const char *const denied_syscalls[] = {
	/* The original greywall list (spec §5); personality is handled with
	 * its argument in deny_personality(). */
	"ptrace", "process_vm_readv", "process_vm_writev",
	"keyctl", "add_key", "request_key",
	"userfaultfd", "perf_event_open", "bpf",
	"kexec_load", "kexec_file_load", "reboot", "syslog", "acct",
	"mount", "umount", "umount2", "pivot_root", "swapon", "swapoff",
	"sethostname", "setdomainname",
	"init_module", "finit_module", "delete_module", "ioperm", "iopl",
	/* io_uring performs openat, connect and socket on the caller's
	 * behalf without passing those syscalls through this filter. */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* Entering another namespace or building a new root undoes the
	 * mount-namespace view of the filesystem. */
	"setns", "chroot",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"open_tree_attr", "mount_setattr",
	/* File handles bypass path-based checks ("shocker" container
	 * escape). */
	"open_by_handle_at", "name_to_handle_at",
	/* Cross-process inspection, same reasoning as ptrace: pidfd_getfd
	 * steals another process's file descriptors. */
	"kcmp", "pidfd_getfd",
	"quotactl", "quotactl_fd", "lookup_dcookie",
	/* Where socketcall is native, socket() arguments sit in user memory
	 * where BPF cannot read them, so the socket rules would be moot. */
	"socketcall",
};

/* Syscalls newer than the libseccomp name table (2.5.4 stops before
 * kernel 6.15).  Numbers from 424 up are the same on x86_64 and on every
 * asm-generic architecture, which covers every entry of arches[]. */
struct late_syscall {
	const char *name;
	int nr;
};
static const struct late_syscall late_syscalls[] = {
	{ "open_tree_attr", 467 },	/* Linux 6.15 */
	{ NULL, 0 },
};

/* Namespace creation flags (CLONE_NEWTIME is special in clone(): see
 * deny_namespaces()). */
static const uint64_t namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

/* Late syscalls that libseccomp cannot translate for a foreign arch are
 * kept aside and denied by a prefix in front of its program. */
#define MAX_LATE 4

struct rules {
	scmp_filter_ctx ctx;
	uint32_t arch;
	int count;
	int late[MAX_LATE];
	size_t nlate;
};

static int add_rule(struct rules *r, uint32_t action, int nr, unsigned int n,
		    const struct scmp_arg_cmp *cmp)
{
	/* _exact: fail rather than let libseccomp rewrite a rule into
	 * something weaker (as it would for a multiplexed socketcall). */
	int ret = seccomp_rule_add_exact_array(r->ctx, action, nr, n, cmp);

	if (ret < 0) {
		log_error("seccomp: rule for syscall %d rejected: %s", nr,
			  strerror(-ret));
		return ret;
	}
	r->count++;
	return 0;
}

static int deny(struct rules *r, int nr)
{
	return add_rule(r, DENY, nr, 0, NULL);
}

static int deny_if(struct rules *r, int nr, struct scmp_arg_cmp a)
{
	return add_rule(r, DENY, nr, 1, &a);
}

/* libseccomp refuses two comparisons of the same argument in one rule, so
 * a and b must test different arguments. */
static int deny_if2(struct rules *r, int nr, struct scmp_arg_cmp a,
		    struct scmp_arg_cmp b)
{
	struct scmp_arg_cmp cmp[] = { a, b };

	return add_rule(r, DENY, nr, ARRAY_SIZE(cmp), cmp);
}

static int late_nr(const char *name)
{
	for (const struct late_syscall *l = late_syscalls; l->name; l++)
		if (strcmp(l->name, name) == 0)
			return l->nr;
	return -1;
}

/* Denies name, a syscall libseccomp does not know.  On the native arch its
 * number goes straight into a rule; for a foreign one libseccomp would
 * have to translate it by name, and cannot. */
static int deny_late(struct rules *r, const char *name)
{
	int nr = late_nr(name);

	if (nr < 0)
		return 0;
	if (r->arch == seccomp_arch_native())
		return deny(r, nr);
	if (r->nlate == MAX_LATE)
		return -E2BIG;
	r->late[r->nlate++] = nr;
	r->count++;
	return 0;
}

/* Denies name unless the target arch lacks it (ioperm and iopl outside
 * x86, socketcall on x86_64): libseccomp then reports a negative
 * pseudo-number, or __NR_SCMP_ERROR for a name it does not know at all. */
static int deny_named(struct rules *r, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(r->arch, name);

	if (nr == __NR_SCMP_ERROR)
		return deny_late(r, name);
	if (nr < 0)
		return 0;
	/* In the numbering of this machine, which libseccomp expects.  Never
	 * pass __NR_SCMP_ERROR on: -1 is also the "any syscall" wildcard. */
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -EINVAL;
	return deny(r, nr);
}

static int deny_listed(struct rules *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(denied_syscalls); i++) {
		int ret = deny_named(r, denied_syscalls[i]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* personality(2) is queried by glibc, ld.so and setarch with 0xffffffff
 * and reset with 0 (PER_LINUX); any other value sets flags such as
 * READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE that weaken the process.  The
 * kernel takes an unsigned int, so only the low 32 bits count.  A value is
 * neither all zeros nor all ones exactly when some set bit is followed,
 * cyclically, by a clear bit: one rule per bit pair covers that set with a
 * single comparison each. */
static int deny_personality(struct rules *r)
{
	for (unsigned int i = 0; i < 32; i++) {
		uint64_t bit = 1ULL << i;
		uint64_t next = 1ULL << ((i + 1) % 32);
		int ret = deny_if(r, SCMP_SYS(personality),
				  SCMP_A0(SCMP_CMP_MASKED_EQ, bit | next, bit));

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* unshare() and clone() with any namespace flag.  clone3() hides its flags
 * in memory, so it fails with ENOSYS: libc then falls back to clone(),
 * whose flags are visible here, while EPERM would be reported to the
 * caller as a hard failure. */
static int deny_namespaces(struct rules *r)
{
	/* clone() takes the flags first everywhere except s390 and CRIS,
	 * which swap the first two arguments. */
	unsigned int flags_arg = r->arch == SCMP_ARCH_S390 ||
				 r->arch == SCMP_ARCH_S390X ? 1 : 0;
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(namespace_flags); i++) {
		uint64_t f = namespace_flags[i];

		ret = deny_if(r, SCMP_SYS(unshare),
			      SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
		if (ret < 0)
			return ret;
		/* In clone() the low byte is the exit signal, which is
		 * where CLONE_NEWTIME (0x80) would be: a time namespace can
		 * only come from unshare() or clone3(). */
		if (f == CLONE_NEWTIME)
			continue;
		ret = deny_if(r, SCMP_SYS(clone),
			      SCMP_CMP(flags_arg, SCMP_CMP_MASKED_EQ, f, f));
		if (ret < 0)
			return ret;
	}
	return add_rule(r, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);
}

/* TIOCSTI pushes input into the controlling terminal and TIOCLINUX can
 * paste the console selection: both let the sandbox type commands into the
 * user's shell after it exits (CVE-2017-5226). */
static int deny_tty_injection(struct rules *r)
{
	int ret = deny_if(r, SCMP_SYS(ioctl),
			  SCMP_A1(SCMP_CMP_MASKED_EQ, LOW32, GW_TIOCSTI));

	if (ret < 0)
		return ret;
	return deny_if(r, SCMP_SYS(ioctl),
		       SCMP_A1(SCMP_CMP_MASKED_EQ, LOW32, GW_TIOCLINUX));
}

static struct scmp_arg_cmp family_is(int family)
{
	/* socket() takes int arguments: compare what the kernel will see. */
	return SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, (uint64_t)family);
}

static struct scmp_arg_cmp type_is(int type)
{
	/* The high bits of the type carry SOCK_NONBLOCK / SOCK_CLOEXEC. */
	return SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (uint64_t)type);
}

static bool family_allowed(int family)
{
	return family == AF_UNIX || family == AF_INET || family == AF_INET6 ||
	       family == AF_NETLINK;
}

/* Every family but unix, inet, inet6 and netlink: AF_PACKET sniffs and
 * forges frames, AF_VSOCK reaches the hypervisor (WSL2 interop), AF_ALG,
 * AF_BLUETOOTH and the rest are kernel attack surface.  Families newer
 * than these headers fall under the A0 >= AF_MAX rule, which also catches
 * any junk in the upper half of the argument. */
static int deny_families(struct rules *r)
{
	int ret;

	for (int f = 0; f < AF_MAX; f++) {
		if (family_allowed(f))
			continue;
		ret = deny_if(r, SCMP_SYS(socket), family_is(f));
		if (ret < 0)
			return ret;
	}
	return deny_if(r, SCMP_SYS(socket), SCMP_A0(SCMP_CMP_GE, AF_MAX, 0));
}

/* Denies every type of family except SOCK_STREAM when stream_only, else
 * only SOCK_RAW and SOCK_PACKET. */
static int deny_types(struct rules *r, int family, bool stream_only)
{
	for (int t = 0; t <= 0xf; t++) {
		int ret;

		if (t == SOCK_STREAM)
			continue;
		if (!stream_only && t != SOCK_RAW && t != SOCK_PACKET)
			continue;
		ret = deny_if2(r, SCMP_SYS(socket), family_is(family), type_is(t));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Without a network namespace, Landlock's TCP connect rule is the only
 * thing that forces traffic through the proxy, and it only mediates TCP:
 * UDP, ICMP datagrams, SCTP and MPTCP (SOCK_STREAM, protocol 262) would
 * reach the network directly.  So inet sockets must be SOCK_STREAM with
 * protocol 0 or IPPROTO_TCP. */
static int deny_non_tcp(struct rules *r, int family)
{
	int ret = deny_types(r, family, true);

	for (int p = 1; ret == 0 && p < IPPROTO_TCP; p++)
		ret = deny_if2(r, SCMP_SYS(socket), family_is(family),
			       SCMP_A2(SCMP_CMP_EQ, (uint64_t)p, 0));
	if (ret < 0)
		return ret;
	return deny_if2(r, SCMP_SYS(socket), family_is(family),
			SCMP_A2(SCMP_CMP_GT, IPPROTO_TCP, 0));
}

static int deny_sockets(struct rules *r, const struct gw_seccomp_opts *opts)
{
	int ret = deny_families(r);

	if (ret < 0)
		return ret;
	/* socketpair() stays allowed: it only makes an anonymous connected
	 * pair and reaches nothing outside the process tree. */
	if (opts->allow_unix_sockets)
		ret = deny_types(r, AF_UNIX, false);
	else
		ret = deny_if(r, SCMP_SYS(socket), family_is(AF_UNIX));
	if (ret < 0)
		return ret;
	/* Only NETLINK_ROUTE, which getifaddrs() and getaddrinfo() use; it
	 * needs SOCK_RAW, so netlink is spared the raw-type rule. */
	ret = deny_if2(r, SCMP_SYS(socket), family_is(AF_NETLINK),
		       SCMP_A2(SCMP_CMP_GT, 0, 0));
	if (ret < 0)
		return ret;
	/* With a network namespace every packet ends up at the capture
	 * device, so datagrams are fine; raw sockets never are. */
	ret = opts->netns_capture ? deny_types(r, AF_INET, false) :
				    deny_non_tcp(r, AF_INET);
	if (ret < 0)
		return ret;
	return opts->netns_capture ? deny_types(r, AF_INET6, false) :
				     deny_non_tcp(r, AF_INET6);
}

static int set_attrs(scmp_filter_ctx ctx)
{
	/* Only the target architecture is in the filter, so i386 (int 0x80)
	 * calls hit the bad-arch action.  On x86_64 libseccomp also sends
	 * x32 numbers (nr | 0x40000000) there.  Kill the whole process:
	 * those ABIs have their own syscall numbers, which none of the rules
	 * look at. */
	int ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				   SCMP_ACT_KILL_PROCESS);

	/* A binary tree of syscall numbers instead of a linear chain, as
	 * when greywall loaded this program; now that seccomp-emit.c writes
	 * the loaded one, only the tests run it, and the shape does not
	 * change a verdict. */
	if (ret == 0)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return ret;
}

/* A context for arch alone, with the bad-arch action set. */
static int new_ctx(uint32_t arch, scmp_filter_ctx *out)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret;

	if (!ctx)
		return -ENOMEM;
	/* seccomp_init() put in the architecture of the machine running
	 * this, which is not necessarily the one the filter is for. */
	ret = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	if (ret == 0)
		ret = seccomp_arch_add(ctx, arch);
	if (ret == 0)
		ret = set_attrs(ctx);
	if (ret < 0)
		return ret;
	*out = steal_pointer(&ctx);
	return 0;
}

/* Builds the whole policy into r, whose ctx is fresh from new_ctx(). */
static int build(struct rules *r, const struct gw_seccomp_opts *opts)
{
	int ret = deny_listed(r);

	if (ret == 0)
		ret = deny_personality(r);
	if (ret == 0)
		ret = deny_namespaces(r);
	if (ret == 0)
		ret = deny_tty_injection(r);
	if (ret == 0)
		ret = deny_sockets(r, opts);
	return ret;
}

/* Reads the whole of memfd fd back into a malloc'd buffer. */
static int read_back(int fd, void **buf, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	_cleanup_free_ void *p = NULL;

	if (end < 0)
		return -errno;
	p = malloc(end > 0 ? (size_t)end : 1);
	if (!p)
		return -ENOMEM;
	if (pread(fd, p, (size_t)end, 0) != end)
		return -EIO;
	*buf = steal_pointer(&p);
	*len = (size_t)end;
	return 0;
}

/* A prefix that denies the late syscalls libseccomp could not translate,
 * then falls through into libseccomp's program, which starts over with
 * its own architecture check.  Jumps in classic BPF are relative and only
 * go forward, so the program after the prefix is unchanged. */
static size_t emit_late_prefix(const struct rules *r, struct sock_filter *out)
{
	size_t n = 0;

	if (r->nlate == 0)
		return 0;
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		r->arch, 0, (uint8_t)(1 + 2 * r->nlate));
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < r->nlate; i++) {
		out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			(uint32_t)r->late[i], 0, 1);
		out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	}
	return n;
}

/* Exports r's program: the late prefix, then libseccomp's BPF converted
 * from the target's byte order (little-endian, see arches[]) to the host's,
 * since the caller handles instructions as values. */
static int export_bpf(const struct rules *r, struct sock_filter **prog,
		      size_t *len)
{
	_cleanup_close_ int fd = memfd_create("gw-seccomp", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *raw = NULL;
	_cleanup_free_ struct sock_filter *out = NULL;
	size_t bytes = 0, nraw, pre;
	int ret;

	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(r->ctx, fd);
	if (ret == 0)
		ret = read_back(fd, (void **)&raw, &bytes);
	if (ret < 0)
		return ret;
	if (bytes == 0 || bytes % sizeof(*raw) != 0)
		return -EPROTO;
	nraw = bytes / sizeof(*raw);
	out = calloc(nraw + 3 + 2 * MAX_LATE, sizeof(*out));
	if (!out)
		return -ENOMEM;
	pre = emit_late_prefix(r, out);
	for (size_t i = 0; i < nraw; i++) {
		out[pre + i] = raw[i];
		out[pre + i].code = le16toh(raw[i].code);
		out[pre + i].k = le32toh(raw[i].k);
	}
	/* The kernel refuses longer programs (BPF_MAXINSNS). */
	if (pre + nraw > BPF_MAXINSNS)
		return -E2BIG;
	*prog = steal_pointer(&out);
	*len = pre + nraw;
	return 0;
}

/* A context holding the whole policy for arch and opts (in r->ctx). */
static int built_ctx(uint32_t arch, const struct gw_seccomp_opts *opts, struct rules *r)
{
	scmp_filter_ctx ctx = NULL;
	int ret = new_ctx(arch, &ctx);

	if (ret < 0)
		return ret;
	*r = (struct rules){ .arch = arch, .ctx = ctx };
	ret = build(r, opts);
	if (ret < 0) {
		seccomp_release(ctx);
		r->ctx = NULL;
	}
	return ret;
}

int seccomp_rules_export_bpf(uint32_t arch, const struct gw_seccomp_opts *opts,
			     struct sock_filter **prog, size_t *len)
{
	struct rules r;
	int ret = built_ctx(arch, opts, &r);

	if (ret < 0)
		return ret;
	ret = export_bpf(&r, prog, len);
	seccomp_release(r.ctx);
	return ret < 0 ? ret : r.count;
}

int seccomp_rules_export_pfc(uint32_t arch, const struct gw_seccomp_opts *opts,
			     int fd)
{
	struct rules r;
	int ret = built_ctx(arch, opts, &r);

	if (ret < 0)
		return ret;
	ret = seccomp_export_pfc(r.ctx, fd);
	seccomp_release(r.ctx);
	return ret;
}
