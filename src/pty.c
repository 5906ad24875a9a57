/* pty.c: see pty.h. */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* Bounds of the final copy after the command exited: background processes
 * may keep writing, and greywall must still return. */
#define DRAIN_SILENCE_MS 200
#define DRAIN_TOTAL_MS 2000

struct gw_pty {
	struct gw_evloop *loop;  /* set by pty_start() */
	int slave;               /* until pty_start() */
	struct gw_ev master;
	struct gw_ev tin, tout;  /* the user's terminal, for reading / writing */
	struct termios saved;    /* the terminal's settings before raw mode */
	bool raw;                /* the terminal is in raw mode (restore it) */
	bool fg;                 /* greywall is in the terminal's foreground */
	bool in_eof;             /* the terminal hung up: stop reading it */
	bool out_dead;           /* the terminal cannot be written: discard */
	bool master_dead;        /* no slave left (EIO) */
	struct gw_buf in;        /* terminal -> master */
	struct gw_buf out;       /* master -> terminal */
};

static void update(struct gw_pty *p);

static bool same_tty(int fd, int ref)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstat(ref, &b) == 0 && S_ISCHR(a.st_mode) &&
	       S_ISCHR(b.st_mode) && a.st_rdev == b.st_rdev;
}

/* Our own file descriptions of the terminal, so that O_NONBLOCK does not
 * leak into the shell that shares fds 0-2 with us. */
static bool reopen_term(struct gw_pty *p)
{
	char name[256];
	if (ttyname_r(STDIN_FILENO, name, sizeof name) != 0)
		return false;
	_cleanup_close_ int in = open(name, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	_cleanup_close_ int out = open(name, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0 || out < 0 || !same_tty(in, STDIN_FILENO) || !same_tty(out, STDIN_FILENO))
		return false;
	p->tin.fd = steal_fd(&in);
	p->tout.fd = steal_fd(&out);
	return true;
}

static int open_term(struct gw_pty *p)
{
	if (reopen_term(p))
		return 0;
	/* The terminal may belong to another user (su, sudo -u): use copies
	 * of the inherited descriptors.  They stay blocking, since the shell
	 * shares them; reads only follow readiness and writes are small. */
	log_debug("cannot reopen the terminal; relaying through the inherited descriptors");
	p->tin.fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (p->tin.fd < 0)
		return -errno;
	int out = -1;
	for (int fd = 1; fd <= 2 && out < 0; fd++)
		if (same_tty(fd, STDIN_FILENO))
			out = fd;
	if (out < 0 && (fcntl(STDIN_FILENO, F_GETFL) & O_ACCMODE) == O_RDWR)
		out = STDIN_FILENO;
	p->tout.fd = out < 0 ? -1 : fcntl(out, F_DUPFD_CLOEXEC, 3);
	/* Only echo could go there: stdout and stderr are not the terminal. */
	p->out_dead = p->tout.fd < 0;
	return 0;
}

static int open_pair(struct gw_pty *p)
{
	p->master.fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master.fd < 0)
		return -errno;
	if (grantpt(p->master.fd) < 0 || unlockpt(p->master.fd) < 0)
		return -errno;
#ifdef TIOCGPTPEER
	/* No path lookup: the slave of this very master (Linux 4.13). */
	p->slave = ioctl(p->master.fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
#endif
	if (p->slave < 0) {
		char name[64];
		if (ptsname_r(p->master.fd, name, sizeof name) != 0)
			return -errno;
		p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (p->slave < 0)
			return -errno;
	}
	int fl = fcntl(p->master.fd, F_GETFL);
	if (fl < 0 || fcntl(p->master.fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void mirror_terminal(struct gw_pty *p)
{
	struct termios t;
	struct winsize ws;
	if (tcgetattr(p->tin.fd, &t) == 0)
		(void)tcsetattr(p->slave, TCSANOW, &t);
	if (ioctl(p->tin.fd, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->slave, TIOCSWINSZ, &ws);
}

static void free_pty(struct gw_pty *p)
{
	gw_close_fd(p->slave);
	gw_close_fd(p->master.fd);
	gw_close_fd(p->tin.fd);
	gw_close_fd(p->tout.fd);
	free(p);
}

int pty_open(struct gw_pty **out)
{
	*out = NULL;
	if (!isatty(STDIN_FILENO))
		return -ENOTTY;
	struct gw_pty *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->slave = -1;
	evloop_ev_init(&p->master, -1, NULL);
	evloop_ev_init(&p->tin, -1, NULL);
	evloop_ev_init(&p->tout, -1, NULL);
	int r = open_pair(p);
	/* -ENOTTY is kept for "stdin is no terminal": a master that is not
	 * a pty (a /dev/ptmx that is something else) is a failure. */
	if (r == -ENOTTY)
		r = -ENODEV;
	if (r == 0)
		r = open_term(p);
	if (r < 0) {
		free_pty(p);
		return r;
	}
	mirror_terminal(p);
	*out = p;
	return 0;
}

int pty_slave_fd(const struct gw_pty *p)
{
	return p->slave;
}

int pty_child_attach(int slave)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && dup2(slave, fd) < 0)
			return -errno;
	return 0;
}

/* tcsetattr() from a background process group raises SIGTTOU, which
 * would stop greywall; with SIGTTOU blocked the kernel lets it through. */
static int set_term(int fd, const struct termios *t)
{
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	int r = tcsetattr(fd, TCSANOW, t) < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static bool have_ctty(void)
{
	int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	gw_close_fd(fd);
	return fd >= 0;
}

/* Whether the keyboard is ours: greywall's process group is the
 * terminal's foreground group, or the terminal is not anyone's controlling
 * terminal we could tell (launched by a program that made no session). */
static bool in_foreground(const struct gw_pty *p)
{
	pid_t pg = tcgetpgrp(p->tin.fd);
	if (pg >= 0)
		return pg == getpgrp();
	return errno == ENOTTY && !have_ctty();
}

static void set_raw(struct gw_pty *p)
{
	struct termios t;
	/* Read the settings again: the user may have changed them while
	 * greywall was stopped. */
	if (p->raw || tcgetattr(p->tin.fd, &p->saved) < 0)
		return;
	t = p->saved;
	cfmakeraw(&t);
	int r = set_term(p->tin.fd, &t);
	if (r < 0)
		log_debug("cannot put the terminal in raw mode: %s", strerror(-r));
	p->raw = r == 0;
}

static void restore_term(struct gw_pty *p)
{
	if (!p->raw)
		return;
	int r = set_term(p->tin.fd, &p->saved);
	if (r < 0)
		log_warn("cannot restore the terminal settings: %s", strerror(-r));
	p->raw = false;
}

static void flush_out(struct gw_pty *p)
{
	if (p->out_dead) {
		gw_buf_clear(&p->out);
		return;
	}
	ssize_t n = evloop_buf_write(&p->out, p->tout.fd, false);
	if (n < 0 && n != -EAGAIN) {
		log_debug("terminal write: %s; discarding output", strerror((int)-n));
		p->out_dead = true;
		gw_buf_clear(&p->out);
	}
}

static void master_gone(struct gw_pty *p, ssize_t err)
{
	if (err < 0 && err != -EIO)
		log_debug("pty: %s", strerror((int)-err));
	p->master_dead = true;
	gw_buf_clear(&p->in);
}

static void master_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_pty *p = gw_container_of(ev, struct gw_pty, master);
	if ((ev->mask & EPOLLIN) && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
		/* EIO: every slave descriptor is closed. */
		ssize_t n = evloop_buf_read(&p->out, ev->fd);
		if (n > 0)
			flush_out(p);
		else if (n != -EAGAIN)
			master_gone(p, n);
	}
	if (!p->master_dead && (ev->mask & EPOLLOUT) &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		ssize_t n = evloop_buf_write(&p->in, ev->fd, false);
		if (n < 0 && n != -EAGAIN)
			master_gone(p, n);
	}
	update(p);
}

static void tin_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_pty *p = gw_container_of(ev, struct gw_pty, tin);
	ssize_t n = evloop_buf_read(&p->in, ev->fd);
	if (n == 0 || (n < 0 && n != -EAGAIN)) {
		log_debug("terminal input closed (%s)", n ? strerror((int)-n) : "EOF");
		p->in_eof = true;
	} else if (n > 0 && !p->master_dead) {
		n = evloop_buf_write(&p->in, p->master.fd, false);
		if (n < 0 && n != -EAGAIN)
			master_gone(p, n);
	}
	update(p);
}

static void tout_cb(struct gw_ev *ev, uint32_t events)
{
	struct gw_pty *p = gw_container_of(ev, struct gw_pty, tout);
	flush_out(p);
	update(p);
}

static void watch(struct gw_pty *p, struct gw_ev *ev, uint32_t mask)
{
	int r = evloop_set(p->loop, ev, mask);
	if (r < 0)
		log_warn("pty relay: epoll: %s", strerror(-r));
}

static void update(struct gw_pty *p)
{
	uint32_t m = 0;
	if (!p->master_dead) {
		if (!gw_buf_full(&p->out))
			m |= EPOLLIN;
		if (gw_buf_len(&p->in))
			m |= EPOLLOUT;
	}
	watch(p, &p->master, m);
	bool read_in = p->fg && !p->in_eof && !p->master_dead && !gw_buf_full(&p->in);
	watch(p, &p->tin, read_in ? EPOLLIN : 0);
	watch(p, &p->tout, !p->out_dead && gw_buf_len(&p->out) ? EPOLLOUT : 0);
}

int pty_start(struct gw_pty *p, struct gw_evloop *loop)
{
	gw_close_fd(p->slave);
	p->slave = -1;
	p->loop = loop;
	p->master.cb = master_cb;
	p->tin.cb = tin_cb;
	p->tout.cb = tout_cb;
	p->fg = in_foreground(p);
	if (p->fg)
		set_raw(p);
	else
		log_debug("greywall is in the background: the terminal is left as it is");
	/* Registration can only fail for lack of memory; report it once. */
	int r = evloop_set(loop, &p->master, EPOLLIN);
	if (r < 0) {
		restore_term(p);
		return r;
	}
	update(p);
	return 0;
}

void pty_winch(struct gw_pty *p)
{
	struct winsize ws;
	if (ioctl(p->tin.fd, TIOCGWINSZ, &ws) == 0 && ioctl(p->master.fd, TIOCSWINSZ, &ws) == 0)
		log_debug("window size %ux%u", ws.ws_col, ws.ws_row);
}

void pty_suspend(struct gw_pty *p)
{
	restore_term(p);
	p->fg = false;
	if (p->loop)
		update(p);
}

void pty_resume(struct gw_pty *p)
{
	p->fg = in_foreground(p);
	if (p->fg)
		set_raw(p);
	pty_winch(p);
	if (p->loop)
		update(p);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of p->out before `deadline`; false when time ran out. */
static bool flush_until(struct gw_pty *p, long deadline)
{
	if (p->out_dead)
		gw_buf_clear(&p->out);
	while (gw_buf_len(&p->out) && !p->out_dead) {
		long left = deadline - now_ms();
		if (left <= 0)
			return false;
		flush_out(p);
		struct pollfd pfd = { .fd = p->tout.fd, .events = POLLOUT };
		if (gw_buf_len(&p->out) && poll(&pfd, 1, (int)left) == 0)
			return false;
	}
	return true;
}

/* What the command wrote just before it exited may still be in the pty. */
static void drain(struct gw_pty *p)
{
	long deadline = now_ms() + DRAIN_TOTAL_MS;
	while (!p->master_dead && flush_until(p, deadline)) {
		long left = deadline - now_ms();
		struct pollfd pfd = { .fd = p->master.fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)(left < DRAIN_SILENCE_MS ? left : DRAIN_SILENCE_MS));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t n = evloop_buf_read(&p->out, p->master.fd);
		if (n <= 0 && n != -EAGAIN)
			break;
	}
	(void)flush_until(p, deadline);
}

void pty_finish(struct gw_pty *p)
{
	if (!p)
		return;
	if (p->loop) {
		/* Out of the loop before the fds go: copies of fds 0-2 would
		 * otherwise stay registered with a dangling pointer. */
		watch(p, &p->master, 0);
		watch(p, &p->tin, 0);
		watch(p, &p->tout, 0);
		drain(p);
	}
	restore_term(p);
	free_pty(p);
}
