/* supervise.c: see supervise.h. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define REAP_ROUNDS 64

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

int supervise_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return GW_EXIT_SIG_BASE + WTERMSIG(status);
	return GW_EXIT_SETUP;
}

static void close_other_fds(int keep_fd)
{
	/* Inherited descriptors (sockets, directories of the launcher) must
	 * not reach the sandbox. */
	if (keep_fd >= 3) {
		if (keep_fd > 3)
			syscall(SYS_close_range, 3u, (unsigned)keep_fd - 1, 0u);
		syscall(SYS_close_range, (unsigned)keep_fd + 1, ~0u, 0u);
		int fl = fcntl(keep_fd, F_GETFD);
		if (fl >= 0)
			fcntl(keep_fd, F_SETFD, fl & ~FD_CLOEXEC);
	} else {
		syscall(SYS_close_range, 3u, ~0u, 0u);
	}
}

static __attribute__((noreturn)) void child_exec(char **argv, char **env, int keep_fd,
						 pid_t parent, const sigset_t *orig)
{
	/* If greywall dies, the command must not carry on unsupervised. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(GW_EXIT_SETUP);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	close_other_fds(keep_fd);
	execve(argv[0], argv, env);
	log_error_errno(errno, "cannot start the sandbox (%s)", argv[0]);
	_exit(GW_EXIT_SETUP);
}

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

static void forward(pid_t child, const siginfo_t *si)
{
	/* Signals the terminal generated (Ctrl-C, resize, hangup) already went
	 * to the whole foreground process group, the command included. */
	if (si->si_code == SI_KERNEL)
		return;
	log_debug("forwarding signal %d to %d", si->si_signo, (int)child);
	kill(child, si->si_signo);
}

static int wait_child(pid_t child, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(set, &si) < 0) {
			if (errno == EINTR)
				continue;
			die_errno(GW_EXIT_SETUP, errno, "sigwaitinfo");
		}
		if (si.si_signo != SIGCHLD) {
			forward(child, &si);
			continue;
		}
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == child)
				return status;
	}
}

int supervise_run(char **argv, char **env, int keep_fd)
{
	sigset_t set, orig;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
		/* A shell starts background jobs with INT and QUIT ignored; an
		 * ignored signal is discarded before sigwaitinfo() can see it,
		 * and greywall must still forward it. */
		signal(forwarded[i], SIG_DFL);
		sigaddset(&set, forwarded[i]);
	}
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &orig);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become subreaper: background processes may outlive the command");
	pid_t parent = getpid();
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		die_errno(GW_EXIT_SETUP, errno, "fork");
	if (child == 0)
		child_exec(argv, env, keep_fd, parent, &orig);
	if (keep_fd >= 0)
		close(keep_fd);
	int status = wait_child(child, &set);
	reap_leftovers();
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return supervise_exit_code(status);
}
