/* envsan.c: see envsan.h. */
#include "envsan.h"

#include <string.h>

#include "util.h"

/* Exact names.  BASH_ENV/ENV are sourced by non-interactive shells;
 * SHELLOPTS/BASHOPTS switch on options such as xtrace (which then runs PS4
 * substitutions); PROMPT_COMMAND runs on every prompt; GLIBC_TUNABLES is a
 * loader input with a history of exploits (CVE-2023-4911). */
static const char *const dangerous_names[] = {
	"BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS4",
	"GLIBC_TUNABLES", "GCONV_PATH", "HOSTALIASES", "RESOLV_HOST_CONF",
	"LOCALDOMAIN", "NLSPATH", "MALLOC_TRACE", NULL,
};

/* Prefixes: the dynamic loader (LD_*), macOS' loader (DYLD_*, harmless here
 * but the original stripped it), exported bash functions (which can
 * redefine any command the inner shell runs) and greywall's internals. */
static const char *const dangerous_prefixes[] = {
	"LD_", "DYLD_", "BASH_FUNC_", "GREYWALL_CONFIG", "GREYWALL_POLICY", NULL,
};

static bool name_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

bool envsan_is_dangerous(const char *entry)
{
	for (size_t i = 0; dangerous_names[i]; i++)
		if (name_is(entry, dangerous_names[i]))
			return true;
	for (size_t i = 0; dangerous_prefixes[i]; i++)
		if (gw_str_has_prefix(entry, dangerous_prefixes[i]))
			return true;
	/* An entry without '=' is malformed; never pass it on. */
	return strchr(entry, '=') == NULL;
}

size_t envsan_filter(char **env, char ***removed)
{
	size_t o = 0, n = 0;
	for (size_t i = 0; env && env[i]; i++) {
		if (envsan_is_dangerous(env[i])) {
			if (removed)
				*removed = gw_strv_push_take(*removed,
							     xstrndup(env[i], strcspn(env[i], "=")));
			n++;
		} else {
			env[o++] = env[i];
		}
	}
	if (env)
		env[o] = NULL;
	return n;
}

char **envsan_copy(char *const *env)
{
	char **r = xcalloc(gw_strv_len(env) + 1, sizeof *r);
	size_t o = 0;
	for (size_t i = 0; env && env[i]; i++)
		if (!envsan_is_dangerous(env[i]))
			r[o++] = xstrdup(env[i]);
	return r;
}

const char *envsan_get(char *const *env, const char *name)
{
	for (size_t i = 0; env && env[i]; i++)
		if (name_is(env[i], name))
			return env[i] + strlen(name) + 1;
	return NULL;
}

void envsan_unset(char **env, const char *name)
{
	size_t o = 0;
	for (size_t i = 0; env && env[i]; i++) {
		if (name_is(env[i], name))
			free(env[i]);
		else
			env[o++] = env[i];
	}
	if (env)
		env[o] = NULL;
}

char **envsan_set(char **env, const char *name, const char *value)
{
	envsan_unset(env, name);
	return gw_strv_push_take(env, xasprintf("%s=%s", name, value));
}
