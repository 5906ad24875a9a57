/* log.h: diagnostics and greywall's exit-code contract.
 *
 * All messages go to stderr prefixed "greywall: ".  die*() are for the CLI
 * and for the sandbox-setup phase, where the rule is "fail closed": any
 * failure aborts before the command runs. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

/* Exit codes of greywall itself.  Anything else is the command's own status
 * (128+N when it died of signal N). */
enum gw_exit {
	GW_EXIT_USAGE = 1,         /* bad flags, bad config, blocked command */
	GW_EXIT_SETUP = 125,       /* sandbox setup failed; the command did not run */
	GW_EXIT_NOT_EXEC = 126,    /* command found but could not be executed */
	GW_EXIT_NOT_FOUND = 127,   /* command not found */
	GW_EXIT_SIG_BASE = 128,    /* + signal number */
};

void log_set_debug(bool on);
bool log_debug_enabled(void);
/* Name printed before every message ("greywall" by default). */
void log_set_prog(const char *name);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A plain report line ("greywall: denied ..."), for what the user asked
 * to see (-m/--monitor). */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error() but appends ": strerror(-err)". */
void log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "Hint: ..." line that tells the user how to fix what just failed. */
void log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print and exit with status `code`. */
__attribute__((noreturn, format(printf, 2, 3))) void die(int code, const char *fmt, ...);
/* Print with strerror(-err) appended and exit with status `code`. */
__attribute__((noreturn, format(printf, 3, 4))) void die_errno(int code, int err, const char *fmt, ...);
