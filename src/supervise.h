/* supervise.h: the process that stays outside the sandbox for the whole
 * run.  It starts the sandboxed command (through greywall's internal mode),
 * relays signals to it, and when it ends, kills whatever it left behind,
 * removes the run's private files and returns the command's status. */
#pragma once

#include <sys/types.h>

/* Start `argv` (argv[0] is an absolute path or "/proc/self/exe") with `env`
 * in a child, keeping only `keep_fd` (>= 3, or -1) beyond stdin/stdout/
 * stderr.  Signals INT, TERM, HUP, QUIT, USR1, USR2 and WINCH that greywall
 * receives are forwarded.  When the child exits, every remaining descendant
 * is killed (greywall is their subreaper).  Returns the exit status to use:
 * the child's code, or 128+N when it died of signal N; GW_EXIT_SETUP when
 * the child could not be started. */
int supervise_run(char **argv, char **env, int keep_fd);

/* Map a wait() status to an exit code (128+N for signal N). */
int supervise_exit_code(int status);
