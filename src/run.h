/* run.h: `greywall [flags] -- CMD`: load the policy, check the command
 * line, prepare the run (proxy environment, private temporary directory)
 * and hand over to the supervisor. */
#pragma once

#include "cli.h"
#include "config.h"

/* Returns the exit status greywall should exit with. */
int run_command(const struct gw_opts *opts);

/* Load the config for `opts` (--settings, else the default path; a missing
 * default file means the default policy).  Exits 1 with a message on
 * error. */
void run_load_config(const struct gw_opts *opts, struct gw_config *cfg);

/* The same, returning 0 or -errno with err set ("failed to load config:
 * ..."), for callers that must survive a bad file (proxy reload). */
int run_try_load_config(const struct gw_opts *opts, struct gw_config *cfg, struct gw_error *err);
