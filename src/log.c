/* log.c: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool debug_on;
static const char *prog = "greywall";

void log_set_debug(bool on)
{
	debug_on = on;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

void log_set_prog(const char *name)
{
	prog = name;
}

__attribute__((format(printf, 2, 0))) static void vlog(const char *kind, const char *fmt, va_list ap, int err)
{
	/* One fprintf per line keeps lines whole when several processes of the
	 * same run write to the same stderr. */
	char buf[4096];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
	/* On a terminal, "\r\n": while greywall relays a pseudo-terminal the
	 * real one is in raw mode, where "\n" alone does not return the
	 * carriage (in cooked mode the "\r" is harmless). */
	const char *eol = isatty(STDERR_FILENO) ? "\r\n" : "\n";
	if (err)
		fprintf(stderr, "%s: %s%s: %s%s", prog, kind, buf, strerror(err), eol);
	else
		fprintf(stderr, "%s: %s%s%s", prog, kind, buf, eol);
}

/* The message functions differ only in their prefix; errno is preserved
 * so that logging never changes the error being reported. */
#define DEFINE_LOG_FN(name, kind, cond)                                        \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		if (!(cond))                                                   \
			return;                                                \
		int saved = errno;                                             \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(kind, fmt, ap, 0);                                        \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

DEFINE_LOG_FN(log_debug, "debug: ", debug_on)
DEFINE_LOG_FN(log_warn, "warning: ", true)
DEFINE_LOG_FN(log_error, "", true)
DEFINE_LOG_FN(log_hint, "Hint: ", true)
DEFINE_LOG_FN(log_notice, "", true)

void log_error_errno(int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, err < 0 ? -err : err);
	va_end(ap);
	errno = saved;
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void die_errno(int code, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap, err < 0 ? -err : err);
	va_end(ap);
	exit(code);
}
