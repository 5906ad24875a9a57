/* sandbox.h: greywall's internal mode, run inside the sandbox right before
 * the command:
 *
 *     greywall --landlock-apply [--seccomp] [--debug] [--policy-fd N]
 *                               [--env-fd N] [--ready-fd N] -- CMD...
 *
 * It reads the policy (from fd N, which the supervisor fills, or from
 * GREYWALL_CONFIG_JSON for orchestrators that chain it themselves), removes
 * it from the environment, applies Landlock, then seccomp, then execve()s
 * CMD.  With --env-fd, CMD's environment is read from that fd (NAME=VALUE
 * entries, each ended by a NUL) instead of being this process's own; with
 * --ready-fd, one byte is written there once every layer is in force.
 * Every failure before execve() exits GW_EXIT_SETUP: the command never
 * runs partially sandboxed.  seccomp is always applied; --seccomp is
 * accepted for compatibility with the original's chain. */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "policy.h"

/* Entry point for argv[1] == "--landlock-apply".  Does not return. */
__attribute__((noreturn)) void sandbox_main(int argc, char **argv);

/* Every layer, in order: Landlock, capabilities emptied (verified),
 * seccomp (which sets no_new_privs).  Irreversible.  Returns 0, or -errno
 * after printing why; the caller must then not run the command. */
int sandbox_enter(const struct gw_config *cfg, const struct gw_runtime *rt);

/* sandbox_enter() in two halves, so that the expensive one can run before
 * a fork: build the Landlock ruleset for `cfg`/`rt` (*fd = -1 when a
 * degraded run was asked for and Landlock is missing), then, in the process
 * to sandbox, enforce it and apply the other layers.  Both return 0 or
 * -errno after printing why (with a hint). */
int sandbox_landlock_ruleset(const struct gw_config *cfg, const struct gw_runtime *rt, int *fd);
int sandbox_enter_with(const struct gw_config *cfg, const struct gw_runtime *rt, int ruleset_fd);

/* Execute argv[0] searched in the PATH of `env`, like execvpe().  Only
 * returns on failure, with GW_EXIT_NOT_FOUND or GW_EXIT_NOT_EXEC. */
int sandbox_exec(char **argv, char **env);

/* sandbox_exec() in two halves: the search list is made before the fork
 * (it allocates), and executing it makes only system calls until it fails
 * and reports why, so it can run in a child sharing greywall's memory.
 * The plan borrows argv and env; sandbox_exec_plan_free() frees paths. */
struct gw_exec_plan {
	char **argv, **env;
	char **paths;  /* argv[0] when it has a '/', else PATH entry + "/" + argv[0] */
};
void sandbox_exec_plan(struct gw_exec_plan *p, char **argv, char **env);
int sandbox_exec_planned(const struct gw_exec_plan *p);
void sandbox_exec_plan_free(struct gw_exec_plan *p);
