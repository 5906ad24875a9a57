/* envsan.h: the environment the sandboxed command starts with.
 *
 * Everything the user had is kept, except variables that make the dynamic
 * loader or a shell run code that nobody asked for (LD_PRELOAD, BASH_ENV,
 * exported bash functions...) and greywall's own internal variables. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* true when the NAME=VALUE entry must not reach the command. */
bool envsan_is_dangerous(const char *entry);

/* Remove dangerous entries from the NULL-terminated vector in place (the
 * removed strings are not freed: they belong to whoever built the vector).
 * If `removed` is not NULL, the removed names are appended to it (owned
 * copies).  Returns how many were removed. */
size_t envsan_filter(char **env, char ***removed);

/* Owned copy of `env` with every dangerous entry removed. */
char **envsan_copy(char *const *env);

/* Set NAME=VALUE in an owned vector, replacing any existing entry. */
char **envsan_set(char **env, const char *name, const char *value) __attribute__((warn_unused_result));
/* Remove NAME from an owned vector (frees the entry). */
void envsan_unset(char **env, const char *name);
/* Value of NAME in a vector, or NULL. */
const char *envsan_get(char *const *env, const char *name);
