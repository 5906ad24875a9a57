/* util.h: pure helpers (no syscalls beyond allocation): allocation that
 * aborts on OOM, NULL-terminated string vectors, error messages.
 *
 * Ownership: every function returning char * or char ** returns a freshly
 * allocated value the caller owns (free() / gw_strv_free()). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull, nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull, nonnull));
/* a, b and c end to end: xasprintf("%s%s%s", ...) without the format
 * parsing, for the joins of paths that policy planning does by the dozen. */
char *xstrcat3(const char *a, const char *b, const char *c) __attribute__((malloc, returns_nonnull, nonnull));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), malloc, returns_nonnull));

/* NULL-terminated vector of owned strings.  A NULL vector is a valid empty
 * vector for every function here. */
size_t gw_strv_len(char *const *v);
/* Appends a copy of s; returns the (possibly moved) vector. */
char **gw_strv_push(char **v, const char *s) __attribute__((warn_unused_result));
/* Appends s itself, taking ownership of it. */
char **gw_strv_push_take(char **v, char *s) __attribute__((warn_unused_result));
bool gw_strv_contains(char *const *v, const char *s);
char **gw_strv_dup(char *const *v) __attribute__((warn_unused_result));
/* gw_strv_free() is declared in cleanup.h. */

bool gw_str_has_prefix(const char *s, const char *prefix);
bool gw_str_has_suffix(const char *s, const char *suffix);

/* Shell-quote one word for /bin/sh: returned as-is when it contains only
 * safe characters, otherwise in single quotes with ' written as '\''. */
char *gw_shell_quote(const char *word);
/* Join argv with single spaces, each element shell-quoted. */
char *gw_shell_join(char *const *argv);

/* Error carrier for functions whose failures need a full sentence for the
 * user (config errors, policy decisions).  The message is owned by the
 * struct; gw_error_clear() frees it. */
struct gw_error {
	char *msg;
};
/* Sets (replacing) the message; returns -err_code so callers can write
 * `return gw_error_set(err, -EINVAL, "...")`.  err may be NULL. */
int gw_error_set(struct gw_error *err, int neg_errno, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "prefix: ". */
void gw_error_prefix(struct gw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_error_clear(struct gw_error *err);
