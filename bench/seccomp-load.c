/* seccomp-load.c: how long the kernel takes to load each seccomp program.
 *
 *     ninja -C build bench/seccomp-load
 *     build/bench/seccomp-load [--runs N]
 *
 * For every option set, compares the program greywall embeds
 * (seccomp-emit.c) with the one libseccomp makes of seccomp-rules.c, and
 * with a one-instruction program for scale.  Each load happens in a fresh
 * forked child (a filter cannot be removed), which times the seccomp(2)
 * call alone and reports it through a pipe.  The cases take turns, so that
 * background load hits them all alike; medians and deciles are printed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "cleanup.h"
#include "seccomp-bpf.h"
#include "seccomp-emit.h"
#include "seccomp-rules.h"

#define NCASES (2 * GW_SECCOMP_NPROGS + 1)

struct bench_case {
	char name[64];
	const struct sock_filter *insns;
	size_t len;
	double *us;	/* one time per run, in microseconds */
};

/* In the child: loads the program and returns the time the call took, or
 * -1 if it failed. */
static double time_load(const struct bench_case *c)
{
	struct sock_fprog prog = {
		.len = (unsigned short)c->len,
		.filter = (struct sock_filter *)c->insns,
	};
	struct timespec a, b;
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (r < 0)
		return -1;
	return (double)(b.tv_sec - a.tv_sec) * 1e6 +
	       (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

/* One load in a fresh child; returns its time or -1. */
static double run_once(const struct bench_case *c)
{
	_cleanup_close_ int rd = -1;
	int fds[2];
	double us = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	rd = fds[0];
	pid = fork();
	if (pid == 0) {
		us = time_load(c);
		_exit(write(fds[1], &us, sizeof(us)) == sizeof(us) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(rd, &us, sizeof(us)) != sizeof(us))
		us = -1;
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(struct bench_case *c, int runs)
{
	qsort(c->us, (size_t)runs, sizeof(*c->us), cmp_double);
	printf("%-36s %4zu insns  median %7.1f us  p10 %7.1f  p90 %7.1f\n",
	       c->name, c->len, c->us[runs / 2], c->us[runs / 10],
	       c->us[runs * 9 / 10]);
}

static const struct sock_filter allow_all[] = {
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* Fills cases[]: per option set, libseccomp's program (malloc'd into
 * *owned) and the embedded one; then the one-instruction program. */
static int setup(struct bench_case *cases, struct sock_filter **owned)
{
	uint32_t arch = seccomp_emit_arch(gw_seccomp_arch);

	for (int v = 0; v < GW_SECCOMP_NPROGS; v++) {
		const struct gw_seccomp_prog *p = &gw_seccomp_progs[v];
		struct gw_seccomp_opts o = {
			.netns_capture = p->netns_capture,
			.allow_unix_sockets = p->allow_unix_sockets,
		};
		struct bench_case *ref = &cases[2 * v];
		struct bench_case *emb = &cases[2 * v + 1];
		int ret = seccomp_rules_export_bpf(arch, &o, &owned[v],
						   &ref->len);

		if (ret < 0)
			return ret;
		ref->insns = owned[v];
		snprintf(ref->name, sizeof(ref->name),
			 "libseccomp netns=%d unix=%d", o.netns_capture,
			 o.allow_unix_sockets);
		emb->insns = p->insns;
		emb->len = p->len;
		snprintf(emb->name, sizeof(emb->name),
			 "embedded   netns=%d unix=%d", o.netns_capture,
			 o.allow_unix_sockets);
	}
	cases[NCASES - 1] = (struct bench_case){ .name = "one instruction",
						 .insns = allow_all, .len = 1 };
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_case cases[NCASES] = { 0 };
	struct sock_filter *owned[GW_SECCOMP_NPROGS] = { 0 };
	int runs = 2000, ret;

	if (argc == 3 && strcmp(argv[1], "--runs") == 0)
		runs = atoi(argv[2]);
	if ((argc != 1 && argc != 3) || runs < 10) {
		fprintf(stderr, "usage: seccomp-load [--runs N >= 10]\n");
		return 1;
	}
	ret = setup(cases, owned);
	if (ret < 0) {
		fprintf(stderr, "seccomp-load: %s\n", strerror(-ret));
		return 1;
	}
	for (int i = 0; i < NCASES; i++)
		if (!(cases[i].us = calloc((size_t)runs, sizeof(double))))
			return 1;
	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < NCASES; i++) {
			cases[i].us[r] = run_once(&cases[i]);
			if (cases[i].us[r] < 0) {
				fprintf(stderr, "seccomp-load: %s: load failed\n",
					cases[i].name);
				return 1;
			}
		}
	}
	printf("%d loads per program, each in a fresh child, %s\n", runs,
	       gw_seccomp_arch);
	for (int i = 0; i < NCASES; i++) {
		report(&cases[i], runs);
		free(cases[i].us);
	}
	for (int v = 0; v < GW_SECCOMP_NPROGS; v++)
		free(owned[v]);
	return 0;
}
