/* seccomp-emit.c: see seccomp-emit.h.
 *
 * Why each syscall is denied is explained in seccomp-rules.c; this file
 * only says how the same verdicts are reached in few instructions.
 * libseccomp writes one comparison per rule (one per denied socket
 * family, 32 for personality's bit pairs, ~20 per inet family for the
 * non-TCP types and protocols); here each argument check is one or two
 * range or bit tests, and every plainly denied syscall shares one
 * `ret ERRNO(EPERM)`.
 *
 * The program, in order:
 *   1. the architecture check, killing;
 *   2. a search on the syscall number (range tests, then short chains,
 *      shaped by a cost model of the kernel's loading work), whose leaves
 *      jump to a shared return or to
 *   3. one argument block per inspected syscall;
 *   4. the four returns.
 * Every jump goes forward, as classic BPF requires.
 *
 * Plain syscall numbers reach ALLOW or ERRNO without reading an argument,
 * so the kernel's per-syscall action cache (Linux 5.11) still skips the
 * filter for allowed ones, as it does for libseccomp's program. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp-emit.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "cleanup.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define RET_EPERM (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define RET_ENOSYS (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

/* x32 calls are x86_64 calls with this bit set in the number. */
#define X32_SYSCALL_BIT 0x40000000U

/* Same values as in seccomp-rules.c: fixed numbers rather than the build
 * machine's headers, since they are the same on every target. */
#define GW_TIOCSTI 0x5412
#define GW_TIOCLINUX 0x541C

/* socket()'s type argument carries SOCK_NONBLOCK / SOCK_CLOEXEC above
 * these bits. */
#define SOCK_TYPE_MASK 0xf

/* Namespace creation flags.  clone() cannot ask for a time namespace: its
 * low byte is the exit signal, where CLONE_NEWTIME (0x80) would be. */
#define NS_FLAGS_CLONE                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |       \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define NS_FLAGS_UNSHARE (NS_FLAGS_CLONE | CLONE_NEWTIME)

/* ---- jump targets ------------------------------------------------------ */

/* Labels every program has.  The shared returns come last; the argument
 * blocks sit between the search and the returns.  More labels (search
 * nodes, block internals) are made with new_label(). */
enum {
	L_ALLOW,
	L_EPERM,
	L_ENOSYS,
	L_KILL,
	L_PERSONALITY,
	L_UNSHARE,
	L_CLONE,
	L_IOCTL,
	L_SOCKET,
	L_FIXED,
};

/* ---- architectures and syscall numbers --------------------------------- */

enum abi { ABI_X86_64, ABI_GENERIC, ABI_COUNT };

/* The architectures greywall builds for.  All are little-endian, which
 * arg_lo() and arg_hi() rely on; the two asm-generic ones number their
 * syscalls alike. */
static const struct arch {
	const char *name;
	uint32_t audit;
	enum abi abi;
	bool x32;	/* nr | X32_SYSCALL_BIT is another ABI, to kill */
} arches[] = {
	{ "x86_64", AUDIT_ARCH_X86_64, ABI_X86_64, true },
	{ "aarch64", AUDIT_ARCH_AARCH64, ABI_GENERIC, false },
	{ "riscv64", AUDIT_ARCH_RISCV64, ABI_GENERIC, false },
};

#define NONE (-1)	/* the ABI has no such syscall */

/* Every syscall the policy names: its number in each ABI and where the
 * search sends it.  The numbers are checked against libseccomp's tables by
 * the unit tests (open_tree_attr excepted: libseccomp 2.5.4 predates it,
 * and from 424 on the numbers are the same in both ABIs). */
static const struct syscall {
	const char *name;
	int nr[ABI_COUNT];
	int target;
} syscalls[] = {
	/* Inspected by argument. */
	{ "personality", { 135, 92 }, L_PERSONALITY },
	{ "unshare", { 272, 97 }, L_UNSHARE },
	{ "clone", { 56, 220 }, L_CLONE },
	{ "ioctl", { 16, 29 }, L_IOCTL },
	{ "socket", { 41, 198 }, L_SOCKET },
	/* ENOSYS, so that libc falls back to clone(). */
	{ "clone3", { 435, 435 }, L_ENOSYS },
	/* Denied outright, in the order of seccomp-rules.c. */
	{ "ptrace", { 101, 117 }, L_EPERM },
	{ "process_vm_readv", { 310, 270 }, L_EPERM },
	{ "process_vm_writev", { 311, 271 }, L_EPERM },
	{ "keyctl", { 250, 219 }, L_EPERM },
	{ "add_key", { 248, 217 }, L_EPERM },
	{ "request_key", { 249, 218 }, L_EPERM },
	{ "userfaultfd", { 323, 282 }, L_EPERM },
	{ "perf_event_open", { 298, 241 }, L_EPERM },
	{ "bpf", { 321, 280 }, L_EPERM },
	{ "kexec_load", { 246, 104 }, L_EPERM },
	{ "kexec_file_load", { 320, 294 }, L_EPERM },
	{ "reboot", { 169, 142 }, L_EPERM },
	{ "syslog", { 103, 116 }, L_EPERM },
	{ "acct", { 163, 89 }, L_EPERM },
	{ "mount", { 165, 40 }, L_EPERM },
	{ "umount2", { 166, 39 }, L_EPERM },
	{ "pivot_root", { 155, 41 }, L_EPERM },
	{ "swapon", { 167, 224 }, L_EPERM },
	{ "swapoff", { 168, 225 }, L_EPERM },
	{ "sethostname", { 170, 161 }, L_EPERM },
	{ "setdomainname", { 171, 162 }, L_EPERM },
	{ "init_module", { 175, 105 }, L_EPERM },
	{ "finit_module", { 313, 273 }, L_EPERM },
	{ "delete_module", { 176, 106 }, L_EPERM },
	{ "ioperm", { 173, NONE }, L_EPERM },
	{ "iopl", { 172, NONE }, L_EPERM },
	{ "io_uring_setup", { 425, 425 }, L_EPERM },
	{ "io_uring_enter", { 426, 426 }, L_EPERM },
	{ "io_uring_register", { 427, 427 }, L_EPERM },
	{ "setns", { 308, 268 }, L_EPERM },
	{ "chroot", { 161, 51 }, L_EPERM },
	{ "fsopen", { 430, 430 }, L_EPERM },
	{ "fsconfig", { 431, 431 }, L_EPERM },
	{ "fsmount", { 432, 432 }, L_EPERM },
	{ "fspick", { 433, 433 }, L_EPERM },
	{ "move_mount", { 429, 429 }, L_EPERM },
	{ "open_tree", { 428, 428 }, L_EPERM },
	{ "open_tree_attr", { 467, 467 }, L_EPERM },
	{ "mount_setattr", { 442, 442 }, L_EPERM },
	{ "open_by_handle_at", { 304, 265 }, L_EPERM },
	{ "name_to_handle_at", { 303, 264 }, L_EPERM },
	{ "kcmp", { 312, 272 }, L_EPERM },
	{ "pidfd_getfd", { 438, 438 }, L_EPERM },
	{ "quotactl", { 179, 60 }, L_EPERM },
	{ "quotactl_fd", { 443, 443 }, L_EPERM },
	{ "lookup_dcookie", { 212, 18 }, L_EPERM },
	/* umount and socketcall, in seccomp-rules.c's list, exist in
	 * neither ABI. */
};

static const struct arch *find_arch(uint32_t audit)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i].audit == audit)
			return &arches[i];
	return NULL;
}

uint32_t seccomp_emit_arch(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, name) == 0)
			return arches[i].audit;
	return 0;
}

const char *seccomp_emit_syscall_name(size_t i)
{
	return i < ARRAY_SIZE(syscalls) ? syscalls[i].name : NULL;
}

int seccomp_emit_syscall_nr(uint32_t arch, const char *name)
{
	const struct arch *a = find_arch(arch);

	if (!a)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++) {
		if (strcmp(syscalls[i].name, name) != 0)
			continue;
		return syscalls[i].nr[a->abi] == NONE ? -ENOENT :
							 syscalls[i].nr[a->abi];
	}
	return -EINVAL;
}

/* ---- a small assembler with forward labels ----------------------------- */

/* Far more than any variant needs (under 100 instructions, under 64
 * labels); running out is an error, not a silent truncation. */
#define MAX_INSNS 512
#define MAX_LABELS 256

/* A jump operand that means "the next instruction". */
#define NEXT (-1)

struct insn {
	uint16_t code;
	uint32_t k;
	int jt, jf;	/* labels, or NEXT */
};

/* A program being written.  Emitting never fails on the spot: the first
 * error sticks in err and assemble() reports it, so the emitters read as
 * straight-line listings. */
struct prog {
	struct insn insn[MAX_INSNS];
	size_t n;
	int label_at[MAX_LABELS];	/* instruction index, -1 until placed */
	int nlabels;
	int err;
};

static void fail(struct prog *p, int err)
{
	if (p->err == 0)
		p->err = err;
}

static int new_label(struct prog *p)
{
	if (p->nlabels == MAX_LABELS) {
		fail(p, -E2BIG);
		return L_KILL;	/* any valid index: the error is recorded */
	}
	p->label_at[p->nlabels] = -1;
	return p->nlabels++;
}

/* The label stands for the next instruction emitted. */
static void place(struct prog *p, int label)
{
	if (p->label_at[label] >= 0)
		fail(p, -EINVAL);
	p->label_at[label] = (int)p->n;
}

static void emit(struct prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
	if (p->n == MAX_INSNS) {
		fail(p, -E2BIG);
		return;
	}
	p->insn[p->n++] = (struct insn){ code, k, jt, jf };
}

static void load(struct prog *p, uint32_t offset)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, offset, NEXT, NEXT);
}

static void and_k(struct prog *p, uint32_t mask)
{
	emit(p, BPF_ALU | BPF_AND | BPF_K, mask, NEXT, NEXT);
}

/* op is BPF_JEQ, BPF_JGE, BPF_JGT or BPF_JSET, against k. */
static void jump(struct prog *p, uint16_t op, uint32_t k, int jt, int jf)
{
	emit(p, BPF_JMP | op | BPF_K, k, jt, jf);
}

static void ret_k(struct prog *p, uint32_t action)
{
	emit(p, BPF_RET | BPF_K, action, NEXT, NEXT);
}

/* The 32-bit halves of syscall argument i: the low one first, since every
 * target is little-endian. */
static uint32_t arg_lo(unsigned int i)
{
	return (uint32_t)(offsetof(struct seccomp_data, args) + 8 * i);
}

static uint32_t arg_hi(unsigned int i)
{
	return arg_lo(i) + 4;
}

/* The offset from instruction at to label, which must lie ahead within
 * the 8 bits classic BPF has for it. */
static int offset_to(const struct prog *p, size_t at, int label, uint8_t *off)
{
	int target;

	if (label == NEXT) {
		*off = 0;
		return 0;
	}
	target = p->label_at[label];
	if (target < 0 || (size_t)target >= p->n)
		return -EINVAL;	/* never placed, or past the end */
	if ((size_t)target <= at || (size_t)target - at - 1 > UINT8_MAX)
		return -ERANGE;
	*off = (uint8_t)((size_t)target - at - 1);
	return 0;
}

/* Resolves the labels into a malloc'd program. */
static int assemble(const struct prog *p, struct sock_filter **out, size_t *len)
{
	_cleanup_free_ struct sock_filter *f = NULL;

	if (p->err < 0)
		return p->err;
	f = calloc(p->n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		int ret = offset_to(p, i, p->insn[i].jt, &f[i].jt);

		if (ret == 0)
			ret = offset_to(p, i, p->insn[i].jf, &f[i].jf);
		if (ret < 0)
			return ret;
		f[i].code = p->insn[i].code;
		f[i].k = p->insn[i].k;
	}
	*out = steal_pointer(&f);
	*len = p->n;
	return 0;
}

/* ---- 1. architecture ---------------------------------------------------- */

/* Every other architecture is killed.  On x86_64 the search kills x32
 * numbers. */
static void emit_arch_check(struct prog *p, const struct arch *a)
{
	load(p, offsetof(struct seccomp_data, arch));
	jump(p, BPF_JEQ, a->audit, NEXT, L_KILL);
	load(p, offsetof(struct seccomp_data, nr));
}

/* ---- 2. the search on the syscall number -------------------------------- */

/* The syscall numbers, cut into segments that each go to one target:
 * together they cover 0..0xffffffff, with ALLOW in the gaps. */
struct segment {
	uint32_t lo, hi;
	int target;
	uint32_t weight;	/* how many of its numbers the kernel walks */
};

/* When it loads a filter the kernel runs it on every syscall number below
 * NR_syscalls (about 470 in Linux 6.18) to fill its action cache: a
 * number's path costs load time as well as run time.  Measured on x86_64
 * (6.18, JIT on), one more instruction in the program costs about 0.44 us
 * of load time, one more step on every cached number's path about 1.8 us:
 * an instruction is worth about a hundred steps of single numbers. */
#define CACHE_NRS 512
#define NODE_COST 100

/* The longest chain considered, in segments: in longer ones most numbers
 * walk too far for a chain to pay, and the limit keeps planning cheap. */
#define CHAIN_MAX 16

/* Room for every syscall as its own segment, a gap after each one, the
 * gap below the first, x32's range and the gap above it. */
#define MAX_SEGMENTS (2 * ARRAY_SIZE(syscalls) + 3)

/* The segments, and the cheapest way to search each run i..j of them. */
struct search {
	struct segment seg[MAX_SEGMENTS];
	size_t n;
	uint64_t cost[MAX_SEGMENTS][MAX_SEGMENTS];
	/* 0: a chain; k: a range test splitting i..k-1 from k..j */
	size_t split[MAX_SEGMENTS][MAX_SEGMENTS];
};

static int cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static uint32_t weight_of(uint32_t lo, uint32_t hi)
{
	if (lo >= CACHE_NRS)
		return 0;
	return (hi < CACHE_NRS ? hi : CACHE_NRS - 1) - lo + 1;
}

/* Appends lo..hi for target to s, or extends the last segment when it is
 * adjacent and has the same target. */
static void add_segment(struct search *s, uint32_t lo, uint32_t hi, int target)
{
	struct segment *last = s->n ? &s->seg[s->n - 1] : NULL;

	if (last && last->target == target && last->hi + 1 == lo) {
		last->hi = hi;
		last->weight = weight_of(last->lo, hi);
		return;
	}
	s->seg[s->n++] = (struct segment){ lo, hi, target, weight_of(lo, hi) };
}

/* Cuts the numbering of arch into s->seg.  Returns the number of syscalls
 * named, or -EINVAL if a number is listed twice. */
static int cut_segments(const struct arch *a, struct search *s)
{
	struct segment one[ARRAY_SIZE(syscalls) + 1];
	size_t k = 0;
	uint32_t next = 0;	/* the first number not yet covered */
	bool full = false;	/* covered up to 0xffffffff */

	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++) {
		int nr = syscalls[i].nr[a->abi];

		if (nr != NONE)
			one[k++] = (struct segment){ (uint32_t)nr, (uint32_t)nr,
						     syscalls[i].target, 0 };
	}
	qsort(one, k, sizeof(*one), cmp_segment);
	/* x32, above every number: killed, except -1 as in libseccomp's
	 * program (a tracer sets it to skip a call; the kernel runs none). */
	if (a->x32)
		one[k] = (struct segment){ X32_SYSCALL_BIT, 0xfffffffe,
					   L_KILL, 0 };
	for (size_t i = 0; i < k + a->x32; i++) {
		if (i > 0 && one[i].lo <= one[i - 1].hi)
			return -EINVAL;
		if (one[i].lo > next)
			add_segment(s, next, one[i].lo - 1, L_ALLOW);
		add_segment(s, one[i].lo, one[i].hi, one[i].target);
		full = one[i].hi == 0xffffffff;
		next = one[i].hi + 1;
	}
	if (!full)
		add_segment(s, next, 0xffffffff, L_ALLOW);
	return (int)k;
}

/* A chain over i..j tests its segments that are not ALLOW one by one, in
 * ascending order, with one instruction each (see emit_chain()).  That
 * takes a range only at either end of the run, where the search has
 * already bounded one side of it; elsewhere a single number. */
static bool chain_possible(const struct segment *seg, size_t i, size_t j)
{
	for (size_t s = i + 1; s < j; s++)
		if (seg[s].target != L_ALLOW && seg[s].lo != seg[s].hi)
			return false;
	return j - i < CHAIN_MAX;
}

/* The number of tests the chain walks for a number in segment t. */
static unsigned int chain_depth(const struct segment *seg, size_t i, size_t j,
				size_t t)
{
	unsigned int d = 0;

	for (size_t s = i; s <= j; s++) {
		if (seg[s].target == L_ALLOW)
			continue;
		d++;
		if (t == s || s == j)
			return d;
	}
	return d;
}

static uint64_t chain_cost(const struct segment *seg, size_t i, size_t j)
{
	uint64_t steps = 0, length = 0;

	for (size_t t = i; t <= j; t++) {
		steps += (uint64_t)seg[t].weight * chain_depth(seg, i, j, t);
		length += seg[t].target != L_ALLOW;
	}
	return length * NODE_COST + steps;
}

/* Fills s->cost and s->split, shortest runs first. */
static void plan_search(struct search *s)
{
	uint64_t below[MAX_SEGMENTS + 1] = { 0 };	/* weights before i */

	for (size_t i = 0; i < s->n; i++)
		below[i + 1] = below[i] + s->seg[i].weight;
	for (size_t len = 2; len <= s->n; len++) {
		for (size_t i = 0, j = len - 1; j < s->n; i++, j++) {
			uint64_t best = UINT64_MAX;
			uint64_t through = NODE_COST + below[j + 1] - below[i];

			if (chain_possible(s->seg, i, j))
				best = chain_cost(s->seg, i, j);
			s->split[i][j] = 0;
			for (size_t k = i + 1; k <= j; k++) {
				uint64_t c = through + s->cost[i][k - 1] +
					     s->cost[k][j];

				if (c < best) {
					best = c;
					s->split[i][j] = k;
				}
			}
			s->cost[i][j] = best;
		}
	}
}

/* Tests the segments of i..j that are not ALLOW in ascending order, as
 * chain_possible() allows.  A range at i ends the chain for the numbers
 * not above it; a range at j, for every number: below its start is below
 * any segment left, so allowed. */
static void emit_chain(struct prog *p, const struct segment *seg, size_t i,
		       size_t j)
{
	size_t last = j;

	while (seg[last].target == L_ALLOW)
		last--;
	for (size_t s = i; s <= last; s++) {
		const struct segment *g = &seg[s];
		int next;

		if (g->target == L_ALLOW)
			continue;
		next = s < last ? new_label(p) : L_ALLOW;
		if (g->lo == g->hi)
			jump(p, BPF_JEQ, g->lo, g->target, next);
		else if (s == i)
			jump(p, BPF_JGT, g->hi, next, g->target);
		else
			jump(p, BPF_JGE, g->lo, g->target, L_ALLOW);
		if (next != L_ALLOW)
			place(p, next);
	}
}

/* Emits the search for i..j (i < j) as planned.  A side that is a single
 * segment costs no code: the range test jumps straight to its target. */
static void emit_search(struct prog *p, const struct search *s, size_t i,
			size_t j)
{
	size_t k = s->split[i][j];
	int below, above;

	if (k == 0) {
		emit_chain(p, s->seg, i, j);
		return;
	}
	below = k - 1 == i ? s->seg[i].target : NEXT;
	above = k == j ? s->seg[j].target : new_label(p);
	jump(p, BPF_JGE, s->seg[k].lo, above, below);
	if (k - 1 > i)
		emit_search(p, s, i, k - 1);
	if (k < j) {
		place(p, above);
		emit_search(p, s, k, j);
	}
}

/* Returns the number of syscalls the search names, or -errno. */
static int emit_dispatch(struct prog *p, const struct arch *a)
{
	_cleanup_free_ struct search *s = calloc(1, sizeof(*s));
	int named;

	if (!s)
		return -ENOMEM;
	named = cut_segments(a, s);
	if (named < 0)
		return named;
	if (s->n < 2)
		return -EINVAL;	/* nothing to search for */
	plan_search(s);
	emit_search(p, s, 0, s->n - 1);
	return named;
}

/* ---- 3. argument blocks ------------------------------------------------- */

/* Only the query (0xffffffff) and the reset to PER_LINUX (0), on the low
 * 32 bits that the kernel reads. */
static void emit_personality(struct prog *p)
{
	place(p, L_PERSONALITY);
	load(p, arg_lo(0));
	jump(p, BPF_JEQ, 0, L_ALLOW, NEXT);
	jump(p, BPF_JEQ, 0xffffffff, L_ALLOW, L_EPERM);
}

/* Any of mask in the low half of the first argument (the flags of
 * unshare() and of clone() on every target) is denied. */
static void emit_flags(struct prog *p, int label, uint32_t mask)
{
	place(p, label);
	load(p, arg_lo(0));
	jump(p, BPF_JSET, mask, L_EPERM, L_ALLOW);
}

/* The command is compared on its low 32 bits (CVE-2019-10063). */
static void emit_ioctl(struct prog *p)
{
	place(p, L_IOCTL);
	load(p, arg_lo(1));
	jump(p, BPF_JEQ, GW_TIOCSTI, L_EPERM, NEXT);
	jump(p, BPF_JEQ, GW_TIOCLINUX, L_EPERM, L_ALLOW);
}

/* Any type but SOCK_RAW and SOCK_PACKET, whatever the flags. */
static void emit_not_raw(struct prog *p, int label)
{
	place(p, label);
	load(p, arg_lo(1));
	and_k(p, SOCK_TYPE_MASK);
	jump(p, BPF_JEQ, SOCK_RAW, L_EPERM, NEXT);
	jump(p, BPF_JEQ, SOCK_PACKET, L_EPERM, L_ALLOW);
}

/* Netlink with protocol 0 (NETLINK_ROUTE).  The rules compare the
 * protocol as a 64-bit value, so junk in its upper half is denied. */
static void emit_netlink(struct prog *p, int label)
{
	place(p, label);
	load(p, arg_lo(2));
	jump(p, BPF_JEQ, 0, NEXT, L_EPERM);
	load(p, arg_hi(2));
	jump(p, BPF_JEQ, 0, L_ALLOW, L_EPERM);
}

/* TCP only for inet (SOCK_STREAM, protocol 0 or IPPROTO_TCP as 64-bit
 * values), and netlink as in emit_netlink(), sharing the protocol tests. */
static void emit_tcp_and_netlink(struct prog *p, int inet, int netlink)
{
	int zero = new_label(p), upper = new_label(p);

	place(p, inet);
	load(p, arg_lo(1));
	and_k(p, SOCK_TYPE_MASK);
	jump(p, BPF_JEQ, SOCK_STREAM, NEXT, L_EPERM);
	load(p, arg_lo(2));
	jump(p, BPF_JEQ, IPPROTO_TCP, upper, zero);
	place(p, netlink);
	load(p, arg_lo(2));
	place(p, zero);
	jump(p, BPF_JEQ, 0, upper, L_EPERM);
	place(p, upper);
	load(p, arg_hi(2));
	jump(p, BPF_JEQ, 0, L_ALLOW, L_EPERM);
}

/* Four families at most, each with its block.  Junk in the upper half of
 * the family is denied whatever the low half says (the rules' A0 >= AF_MAX
 * compares all 64 bits), and so is every family not tested here. */
static void emit_socket(struct prog *p, const struct gw_seccomp_opts *o)
{
	int inet = new_label(p), netlink = new_label(p);
	int unix_ok = o->allow_unix_sockets ? new_label(p) : L_EPERM;

	place(p, L_SOCKET);
	load(p, arg_hi(0));
	jump(p, BPF_JEQ, 0, NEXT, L_EPERM);
	load(p, arg_lo(0));
	jump(p, BPF_JEQ, AF_INET, inet, NEXT);
	jump(p, BPF_JEQ, AF_INET6, inet, NEXT);
	if (o->allow_unix_sockets)
		jump(p, BPF_JEQ, AF_UNIX, unix_ok, NEXT);
	jump(p, BPF_JEQ, AF_NETLINK, netlink, L_EPERM);

	/* With a capturing network namespace, inet only loses raw sockets:
	 * the same test as for unix sockets. */
	if (o->netns_capture) {
		if (o->allow_unix_sockets)
			place(p, unix_ok);
		emit_not_raw(p, inet);
		emit_netlink(p, netlink);
		return;
	}
	if (o->allow_unix_sockets)
		emit_not_raw(p, unix_ok);
	emit_tcp_and_netlink(p, inet, netlink);
}

static void emit_blocks(struct prog *p, const struct gw_seccomp_opts *o)
{
	emit_personality(p);
	emit_flags(p, L_UNSHARE, NS_FLAGS_UNSHARE);
	emit_flags(p, L_CLONE, NS_FLAGS_CLONE);
	emit_ioctl(p);
	emit_socket(p, o);
}

/* ---- 4. returns --------------------------------------------------------- */

static void emit_returns(struct prog *p)
{
	place(p, L_ALLOW);
	ret_k(p, SECCOMP_RET_ALLOW);
	place(p, L_EPERM);
	ret_k(p, RET_EPERM);
	place(p, L_ENOSYS);
	ret_k(p, RET_ENOSYS);
	place(p, L_KILL);
	ret_k(p, SECCOMP_RET_KILL_PROCESS);
}

int seccomp_emit_bpf(uint32_t arch, const struct gw_seccomp_opts *opts,
		     struct sock_filter **prog, size_t *len)
{
	const struct arch *a = find_arch(arch);
	_cleanup_free_ struct prog *p = NULL;
	int named, ret;

	if (!a)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (int l = 0; l < L_FIXED; l++)
		p->label_at[l] = -1;
	p->nlabels = L_FIXED;
	emit_arch_check(p, a);
	named = emit_dispatch(p, a);
	if (named < 0)
		return named;
	emit_blocks(p, opts);
	emit_returns(p);
	ret = assemble(p, prog, len);
	return ret < 0 ? ret : named;
}
