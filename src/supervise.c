/* supervise.c: see supervise.h. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "evloop.h"
#include "log.h"
#include "pty.h"
#include "util.h"

#define REAP_ROUNDS 64
/* Stack of a child that shares greywall's memory: it runs child_exec(),
 * whose deepest path is a failure report (vsnprintf into 4 KiB). */
#define SHARED_CHILD_STACK (256 * 1024)

/* ASan tracks stacks and heap per thread and cannot follow a child that
 * runs on a stack of ours in the same address space: sanitised builds
 * always fork (the child's code is the same). */
#if defined(__SANITIZE_ADDRESS__)
#define CAN_SHARE_MM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAN_SHARE_MM 0
#endif
#endif
#ifndef CAN_SHARE_MM
#define CAN_SHARE_MM 1
#endif

/* Passed on to the command whoever sent them: the command has a session of
 * its own, so not even the terminal reaches it directly any more. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

struct sv {
	const struct gw_supervise *s;
	struct gw_evloop loop;
	struct gw_ev sig;            /* signalfd */
	struct gw_pty *pty;          /* NULL: no pseudo-terminal */
	struct gw_relay_set *relays;
	pid_t child;
	int status;
	bool exited;
	bool services_started;
	struct rlimit nofile;        /* before the services started */
};

/* What the child needs, computed before fork so that it only makes
 * system calls. */
struct child_plan {
	pid_t parent;
	sigset_t orig_mask;
	int slave;                   /* pty slave, or -1 */
	const int *keep;             /* sorted */
	size_t n_keep;
	struct rlimit nofile;        /* RLIMIT_NOFILE before the services started */
};

int supervise_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return GW_EXIT_SIG_BASE + WTERMSIG(status);
	return GW_EXIT_SETUP;
}

/* ---- the child ------------------------------------------------------- */

static int keep_fd(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static int close_range_from(unsigned lo, unsigned hi)
{
	return syscall(SYS_close_range, lo, hi, 0u) < 0 ? -errno : 0;
}

/* Inherited descriptors (sockets, directories of the launcher, greywall's
 * own epoll and relay sockets) must not reach the sandbox. */
static int close_other_fds(const int *keep, size_t n)
{
	unsigned next = 3;
	for (size_t i = 0; i < n; i++) {
		int fd = keep[i], r = 0;
		if (fd < 0)
			continue;
		if ((unsigned)fd > next)
			r = close_range_from(next, (unsigned)fd - 1);
		if (r == 0)
			r = keep_fd(fd);
		if (r < 0)
			return r;
		if ((unsigned)fd >= next)
			next = (unsigned)fd + 1;
	}
	return close_range_from(next, ~0u);
}

static __attribute__((noreturn)) void child_fail(int err, const char *what)
{
	log_error_errno(err, "cannot start the sandbox: %s", what);
	_exit(GW_EXIT_SETUP);
}

static __attribute__((noreturn)) void child_exec(const struct gw_supervise *s,
						 const struct child_plan *cp)
{
	/* If greywall dies, the command must not carry on unsupervised. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != cp->parent)
		_exit(GW_EXIT_SETUP);
	sigprocmask(SIG_SETMASK, &cp->orig_mask, NULL);
	/* The services may have raised greywall's open-file limit (a proxy
	 * holds six descriptors per connection); the command gets the
	 * caller's. */
	if (setrlimit(RLIMIT_NOFILE, &cp->nofile) < 0)
		child_fail(errno, "restoring the open-file limit");
	/* A session of its own: no controlling terminal but the pty, so
	 * /dev/tty and TIOCSTI cannot reach the user's terminal. */
	if (setsid() < 0)
		child_fail(errno, "setsid");
	int r = cp->slave >= 0 ? pty_child_attach(cp->slave) : 0;
	if (r < 0)
		child_fail(r, "attaching the pseudo-terminal");
	if (s->child_setup && s->child_setup(s->ctx) < 0)
		_exit(GW_EXIT_SETUP);
	r = close_other_fds(cp->keep, cp->n_keep);
	if (r < 0)
		child_fail(r, "closing inherited descriptors");
	execve(s->argv[0], s->argv, s->env);
	log_error_errno(errno, "cannot start the sandbox (%s)", s->argv[0]);
	_exit(GW_EXIT_SETUP);
}

/* ---- leftovers ------------------------------------------------------- */

static void read_children(pid_t *out, size_t cap, size_t *n)
{
	*n = 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)syscall(SYS_gettid));
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long pid;
	while (f && *n < cap && fscanf(f, "%ld", &pid) == 1)
		out[(*n)++] = (pid_t)pid;
}

/* Kill everything the command left behind.  Orphans are re-parented to us
 * (PR_SET_CHILD_SUBREAPER), so killing our children repeatedly until none
 * is left also reaches grandchildren that daemonised with setsid(). */
static void reap_leftovers(void)
{
	for (int round = 0; round < REAP_ROUNDS; round++) {
		pid_t kids[1024];
		size_t n;
		read_children(kids, 1024, &n);
		for (size_t i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		/* Wait only for the ones just killed: their own children become
		 * ours and are handled in the next round. */
		for (size_t i = 0; i < n; i++)
			while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
				;
		bool any = false;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			any = true;
		if (!n && !any)
			return;
		if (n)
			log_debug("killed %zu leftover process(es)", n);
	}
}

/* ---- signals --------------------------------------------------------- */

static void block_signals(sigset_t *set, sigset_t *orig)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
		/* A shell starts background jobs with INT and QUIT ignored;
		 * greywall must still forward them, and the command should
		 * see them with their default action. */
		signal(forwarded[i], SIG_DFL);
		sigaddset(set, forwarded[i]);
	}
	/* Inherited SIG_IGN for SIGCHLD would make children reap
	 * themselves, for greywall and for the command. */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCONT);
	/* A launcher that ignores SIGTSTP does not want greywall stopped. */
	struct sigaction sa;
	if (sigaction(SIGTSTP, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
		sigaddset(set, SIGTSTP);
	sigprocmask(SIG_BLOCK, set, orig);
}

/* Where signals go; 0 once the child is reaped, since its pid may then
 * belong to someone else. */
static pid_t target(const struct sv *sv)
{
	const struct gw_supervise *s = sv->s;
	if (sv->exited)
		return 0;
	return s->signal_target ? s->signal_target(sv->child, s->ctx) : sv->child;
}

static void forward(struct sv *sv, int sig)
{
	pid_t t = target(sv);
	if (t <= 0)
		return;
	log_debug("forwarding signal %d to %d", sig, (int)t);
	if (kill(t, sig) < 0 && errno != ESRCH)
		log_debug("kill(%d, %d): %s", (int)t, sig, strerror(errno));
}

static void reap(struct sv *sv)
{
	int status;
	pid_t p;
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p != sv->child)
			continue;
		sv->status = status;
		sv->exited = true;
		sv->loop.stop = true;
	}
}

/* Stop or continue the command's process group.  Its group is orphaned
 * (the command leads a session of its own), so the kernel drops a
 * default-action SIGTSTP sent to it: only SIGSTOP stops it. */
static void signal_group(struct sv *sv, int sig)
{
	pid_t t = target(sv);
	if (t <= 0)
		return;
	pid_t pg = getpgid(t);
	/* Before its setsid() the child is still in our group. */
	pid_t dest = pg > 0 && pg != getpgrp() ? -pg : t;
	log_debug("sending signal %d to %d", sig, (int)dest);
	(void)kill(dest, sig);
}

/* SIGTSTP (^Z without a pty, or kill -TSTP): stop the command as the
 * terminal would have stopped a job, give the terminal back cooked, then
 * stop greywall itself.  The shell's SIGCONT (fg, bg) undoes it all. */
static void suspend(struct sv *sv)
{
	signal_group(sv, SIGSTOP);
	if (sv->pty)
		pty_suspend(sv->pty);
	kill(getpid(), SIGSTOP);
}

static void resume(struct sv *sv)
{
	if (sv->pty)
		pty_resume(sv->pty);
	signal_group(sv, SIGCONT);
}

static void on_signal(struct sv *sv, int sig)
{
	switch (sig) {
	case SIGCHLD:
		reap(sv);
		break;
	case SIGWINCH:
		/* With a pty, the new size set on it is what signals the
		 * command's foreground group. */
		if (sv->pty)
			pty_winch(sv->pty);
		else
			forward(sv, sig);
		break;
	case SIGTSTP:
		suspend(sv);
		break;
	case SIGCONT:
		resume(sv);
		break;
	default:
		forward(sv, sig);
		break;
	}
}

static void sig_cb(struct gw_ev *ev, uint32_t events)
{
	struct sv *sv = gw_container_of(ev, struct sv, sig);
	struct signalfd_siginfo si;
	while (read(ev->fd, &si, sizeof si) == (ssize_t)sizeof si)
		on_signal(sv, (int)si.ssi_signo);
}

/* Signals that arrive after the command's end are not for anyone; read
 * them now so that unblocking them does not kill greywall. */
static void drop_pending_signals(struct sv *sv)
{
	struct signalfd_siginfo si;
	if (sv->sig.fd < 0)
		return;
	while (read(sv->sig.fd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	evloop_close(&sv->loop, &sv->sig);
}

/* ---- the supervisor -------------------------------------------------- */

static void close_keep_fds(const struct gw_supervise *s)
{
	for (size_t i = 0; i < s->n_keep_fds; i++)
		if (s->keep_fds[i] > 2)
			gw_close_fd(s->keep_fds[i]);
}

static int prepare(struct sv *sv, const sigset_t *set)
{
	const struct gw_supervise *s = sv->s;
	int r = evloop_init(&sv->loop);
	if (r < 0) {
		for (size_t i = 0; i < s->n_relays; i++)
			gw_close_fd(s->relays[i].listen_fd);
		log_error_errno(r, "epoll");
		return r;
	}
	r = relay_start(&sv->loop, s->relays, s->n_relays, &sv->relays);
	if (r < 0) {
		log_error_errno(r, "cannot start the port relays");
		return r;
	}
	if (getrlimit(RLIMIT_NOFILE, &sv->nofile) < 0)
		return -errno;
	if (s->services_start) {
		r = s->services_start(&sv->loop, s->services_ctx);
		if (r < 0)
			return r; /* the service said why */
		sv->services_started = true;
	}
	evloop_ev_init(&sv->sig, signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC), sig_cb);
	r = sv->sig.fd < 0 ? -errno : evloop_set(&sv->loop, &sv->sig, EPOLLIN);
	if (r < 0) {
		log_error_errno(r, "signalfd");
		return r;
	}
	if (!s->pty)
		return 0;
	r = pty_open(&sv->pty);
	if (r == -ENOTTY)
		return 0;
	if (r < 0) {
		/* The command would get the real terminal: fail closed. */
		log_error_errno(r, "cannot create a pseudo-terminal for the command");
		log_hint("greywall keeps the command away from your terminal through a pty (/dev/ptmx); "
			 "to run without a terminal, redirect stdin (< /dev/null)");
		return r;
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct spawn_arg {
	const struct gw_supervise *s;
	const struct child_plan *cp;
};

static int shared_child_main(void *p)
{
	const struct spawn_arg *a = p;
	child_exec(a->s, a->cp);
}

/* Like vfork(), but on a stack of its own, so the child cannot clobber the
 * frames greywall returns through; greywall is suspended until the child
 * has executed the command or exited. */
static pid_t spawn_shared_mm(const struct gw_supervise *s, const struct child_plan *cp)
{
	char *stack = mmap(NULL, SHARED_CHILD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	/* A guard page: an overflow faults instead of writing into the heap. */
	if (mprotect(stack, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) < 0) {
		munmap(stack, SHARED_CHILD_STACK);
		return -1;
	}
	struct spawn_arg a = { s, cp };
	pid_t pid = clone(shared_child_main, stack + SHARED_CHILD_STACK,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	int err = errno;
	munmap(stack, SHARED_CHILD_STACK);
	errno = err;
	return pid;
}

static int start_child(struct sv *sv, const sigset_t *orig)
{
	const struct gw_supervise *s = sv->s;
	struct child_plan cp = {
		.parent = getpid(),
		.orig_mask = *orig,
		.slave = sv->pty ? pty_slave_fd(sv->pty) : -1,
		.n_keep = s->n_keep_fds,
		.nofile = sv->nofile,
	};
	_cleanup_free_ int *keep = NULL;
	if (cp.n_keep) {
		keep = xmalloc(cp.n_keep * sizeof *keep);
		memcpy(keep, s->keep_fds, cp.n_keep * sizeof *keep);
		qsort(keep, cp.n_keep, sizeof *keep, cmp_int);
	}
	cp.keep = keep;
	fflush(NULL);
	pid_t pid;
	if (s->shared_mm && CAN_SHARE_MM) {
		pid = spawn_shared_mm(s, &cp);
	} else {
		pid = fork();
		if (pid == 0)
			child_exec(s, &cp);
	}
	if (pid < 0) {
		int err = errno;
		log_error_errno(err, "cannot start the sandbox: clone");
		return -err;
	}
	sv->child = pid;
	return 0;
}

static void run_loop(struct sv *sv)
{
	if (sv->pty) {
		int r = pty_start(sv->pty, &sv->loop);
		if (r < 0) {
			/* The command would block on a pty nobody reads. */
			log_error_errno(r, "cannot relay the pseudo-terminal");
			kill(sv->child, SIGKILL);
		}
	}
	int r = evloop_run(&sv->loop);
	if (r == 0)
		return;
	log_error_errno(r, "supervisor event loop");
	kill(sv->child, SIGKILL);
	while (waitpid(sv->child, &sv->status, 0) < 0 && errno == EINTR)
		;
	sv->exited = true;
}

int supervise_run(const struct gw_supervise *s)
{
	struct sv sv = { .s = s, .loop.epfd = -1, .sig.fd = -1, .child = -1 };
	sigset_t set, orig;
	block_signals(&set, &orig);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become subreaper: background processes may outlive the command");
	int r = prepare(&sv, &set);
	if (r == 0)
		r = start_child(&sv, &orig);
	close_keep_fds(s);
	if (r == 0)
		run_loop(&sv);
	relay_stop(sv.relays);
	if (sv.services_started && s->services_stop)
		s->services_stop(s->services_ctx);
	pty_finish(sv.pty);
	drop_pending_signals(&sv);
	evloop_free(&sv.loop);
	if (r == 0)
		reap_leftovers();
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return r < 0 ? GW_EXIT_SETUP : supervise_exit_code(sv.status);
}
