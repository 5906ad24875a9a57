/* procid.h: naming a process so that a recycled PID is never mistaken for
 * it: the PID together with the process's start time (field 22 of
 * /proc/PID/stat, in clock ticks since boot), which no later process with
 * the same PID can have.
 *
 * greywall-netns-helper records its capture daemons this way (the pin's
 * sidecar file) and stops them through a pidfd obtained only after the
 * start time matched, so a signal can never reach another process. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* The start time from the text of a /proc/PID/stat file (the command
 * name, field 2, may hold spaces and parentheses: fields are counted after
 * its last ')').  Returns 0, or -EINVAL for text that is not such a line. */
int procid_parse_start(const char *stat, uint64_t *start);

/* The start time of process `pid`.  0, -ESRCH when there is no such
 * process, or another -errno. */
int procid_start_time(pid_t pid, uint64_t *start);

/* A pidfd (close-on-exec) for `pid`, provided it is still the process that
 * started at `start`.  -ESRCH when it is gone or the PID now names another
 * process; another -errno on failure. */
int procid_open(pid_t pid, uint64_t start);

/* Stop the process behind `pidfd`: SIGTERM, up to term_ms for it to exit,
 * then SIGKILL and up to kill_ms.  Returns 0 once it has exited (or was
 * already gone), -ETIMEDOUT if it outlived both, or another -errno. */
int procid_stop(int pidfd, int term_ms, int kill_ms);

/* Whether the process behind `pidfd` is still running (not exited). */
int procid_alive(int pidfd);
