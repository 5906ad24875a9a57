/* policy.h: what the sandbox allows, derived from the config and the run's
 * context.  The "how" lives elsewhere (fspolicy.c for Landlock path rules,
 * seccomp-filter.c for system calls); this module decides which paths are
 * readable, writable or protected, and which TCP ports may be reached.
 *
 * The runtime context travels from the supervisor to the in-sandbox
 * wrapper together with the config (see policy_to_json()). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fspolicy.h"
#include "util.h"

#define GW_MAX_PORTS 8

struct gw_runtime {
	char *cwd;      /* the command's working directory (writable) */
	char *home;     /* $HOME, or NULL */
	char *tmpdir;   /* private per-run temporary directory, or NULL */
	uint16_t connect_ports[GW_MAX_PORTS]; /* TCP ports the command may connect to */
	int n_connect_ports;
	uint16_t bind_ports[GW_MAX_PORTS];    /* TCP ports the command may listen on (-p) */
	int n_bind_ports;
	bool netns;     /* a network namespace captures all traffic */
	bool namespaces; /* namespace (bubblewrap) mode */
	bool inside_ns;  /* ...as seen from inside the sandbox: the mounts enforce
			  * the denies; /tmp, /dev/shm and $HOME are private */
	bool allow_degraded;
};

/* Append a port to a runtime list (ignored when full or already there). */
void runtime_add_port(uint16_t *ports, int *n, uint16_t port);

void runtime_free(struct gw_runtime *rt);

/* Filesystem grants and denies for this run.  Returns 0 or -errno with err
 * set (a config path that cannot be expanded). */
int policy_build_fs(const struct gw_config *cfg, const struct gw_runtime *rt,
		    struct gw_fs_spec *out, struct gw_error *err);

/* The names protected in the working directory (and, for the files, in the
 * home directory): NULL-terminated. */
const char *const *policy_protected_files(void);
const char *const *policy_protected_dirs(void);

/* Serialise config + runtime for the wrapper, and back.  Caller frees. */
char *policy_to_json(const struct gw_config *cfg, const struct gw_runtime *rt);
int policy_from_json(const char *json, struct gw_config *cfg, struct gw_runtime *rt,
		     struct gw_error *err);
