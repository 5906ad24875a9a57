/* procid.c: see procid.h. */
#include "procid.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* Field 22 is the 20th field after the command name (field 2). */
#define FIELDS_AFTER_COMM 20

int procid_parse_start(const char *stat, uint64_t *start)
{
	const char *p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (int f = 0; f < FIELDS_AFTER_COMM - 1; f++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	if (p[0] != ' ' || p[1] < '0' || p[1] > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p + 1, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*start = v;
	return 0;
}

int procid_start_time(pid_t pid, uint64_t *start)
{
	if (pid <= 0)
		return -ESRCH;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	buf[n] = '\0';
	return procid_parse_start(buf, start);
}

int procid_open(pid_t pid, uint64_t start)
{
	if (pid <= 0)
		return -ESRCH;
	/* The pidfd first, then the start time: if the start time read
	 * afterwards is the recorded one, the PID named that process all
	 * along (a PID cannot return to a process that started earlier), so
	 * the pidfd is for it. */
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	uint64_t now;
	int r = procid_start_time(pid, &now);
	if (r < 0)
		return r;
	if (now != start)
		return -ESRCH;
	return steal_fd(&fd);
}

/* Wait up to ms for the pidfd to report the exit.  1 exited, 0 not yet. */
static int wait_exit(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r > 0;
}

int procid_alive(int pidfd)
{
	return wait_exit(pidfd, 0) == 0;
}

static int send_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
		return 0;
	return errno == ESRCH ? 1 : -errno;
}

int procid_stop(int pidfd, int term_ms, int kill_ms)
{
	int r = send_signal(pidfd, SIGTERM);
	if (r != 0)
		return r > 0 ? 0 : r;
	if ((r = wait_exit(pidfd, term_ms)) != 0)
		return r > 0 ? 0 : r;
	if ((r = send_signal(pidfd, SIGKILL)) != 0)
		return r > 0 ? 0 : r;
	r = wait_exit(pidfd, kill_ms);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : r;
}
