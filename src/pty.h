/* pty.h: the pseudo-terminal the supervisor puts between the user's
 * terminal and the sandboxed command.
 *
 * The command gets its own session with a new pty as controlling terminal,
 * so nothing inside can reach the user's terminal (TIOCSTI, /dev/tty, job
 * control of the user's shell).  The supervisor copies the terminal's
 * settings and size to the pty, puts the real terminal in raw mode while
 * it relays keystrokes and output (so ^C, ^Z and line editing are handled
 * by the pty's line discipline, for the command), follows window size
 * changes, and restores the terminal afterwards. */
#pragma once

#include "evloop.h"

struct gw_pty;

/* Before fork: open a pty from /dev/ptmx whose settings and window size
 * mirror the terminal on stdin.  Returns 0 and *out (owned; pty_finish()),
 * -ENOTTY when stdin is not a terminal, or -errno. */
int pty_open(struct gw_pty **out);

/* The slave side for the child (O_CLOEXEC, so only pty_child_attach()'s
 * copies survive exec). */
int pty_slave_fd(const struct gw_pty *p);

/* In the child, after setsid(): make `slave` the controlling terminal and
 * dup it onto each of fds 0, 1 and 2 that is a terminal; pipes and files
 * stay as they are.  Async-signal-safe.  0 or -errno. */
int pty_child_attach(int slave);

/* In the parent once the child runs: close the slave, put the terminal in
 * raw mode if greywall is in its foreground process group, and start
 * relaying on `loop`.  0 or -errno (the terminal is then left as it was). */
int pty_start(struct gw_pty *p, struct gw_evloop *loop);

/* SIGWINCH: copy the terminal's window size to the pty (the kernel then
 * signals the command's foreground process group). */
void pty_winch(struct gw_pty *p);

/* Before greywall stops itself (SIGTSTP): give the terminal back in the
 * state it was found. */
void pty_suspend(struct gw_pty *p);

/* After SIGCONT: raw mode again if greywall is now in the foreground, and
 * pick up a size change made meanwhile. */
void pty_resume(struct gw_pty *p);

/* After the command exited: stop relaying, copy to the terminal what is
 * left on the pty (bounded: until EOF/EIO, 200 ms of silence or 2 s in
 * all), restore the terminal, close everything and free p.  NULL is a
 * no-op.  Also the cleanup when pty_start() was never called. */
void pty_finish(struct gw_pty *p);
