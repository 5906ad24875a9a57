/* cmdpolicy.h: the command policy (spec section 7): deny/allow prefixes,
 * the default deny list, chains, nested shells and the SSH policy, checked on
 * the command line greywall is asked to run.
 *
 * This is a guard against surprising commands, not a containment boundary:
 * the sandbox (Landlock, seccomp, namespaces) is.  It must still not be
 * trivially bypassed: newlines, single '&', $(...), backticks, subshells and
 * wrappers such as env, sudo, command, exec, nice, xargs, VAR=x prefixes are
 * all seen through. */
#pragma once

#include "config.h"
#include "util.h"

/* Returns 0 when `command_line` (a shell command string) is allowed, -EPERM
 * when blocked (err says which sub-command matched which rule, e.g.
 * `command blocked by sandbox command policy: "git push" matches "git push"`),
 * -EINVAL when the line cannot be parsed safely (unterminated quote). */
int cmdpolicy_check(const struct gw_config *cfg, const char *command_line, struct gw_error *err);

/* The built-in default deny list (spec 7.1), NULL-terminated. */
const char *const *cmdpolicy_default_denied(void);
