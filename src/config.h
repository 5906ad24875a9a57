/* config.h: greywall's JSONC policy file -> typed, validated struct.
 *
 * Schema: see README "Configuration".  Keys are case-sensitive; unknown keys
 * are errors (a misspelt "denyRead" must never silently drop a deny).
 * Errors are reported through struct gw_error as
 *     "<file>:<line>:<col>: <key.path>: <reason>"
 * (syntax errors: "<file>:<line>:<col>: <reason>").
 *
 * Ownership: a struct gw_config owns every string and vector in it;
 * config_free() releases them.  Vectors are NULL-terminated (util.h) and
 * may be NULL (= empty). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Tri-state for "*bool" keys whose absence means "use the default". */
enum gw_tristate { GW_UNSET = -1, GW_FALSE = 0, GW_TRUE = 1 };

struct gw_config_network {
	char *proxy_url;       /* "proxyUrl": socks5:// or socks5h:// URL, or NULL */
	char *http_proxy_url;  /* "httpProxyUrl": http:// or https:// URL, or NULL */
	char *dns_addr;        /* "dnsAddr": host:port, or NULL */
	char **allowed_domains; /* "allowedDomains": domain patterns (domain.h) */
	char **denied_domains;  /* "deniedDomains": same; deny beats allow */
	char **allow_unix_sockets;    /* "allowUnixSockets" */
	bool allow_all_unix_sockets;  /* "allowAllUnixSockets" */
	bool allow_local_binding;     /* "allowLocalBinding" */
	enum gw_tristate allow_local_outbound; /* "allowLocalOutbound" (unset = allowLocalBinding) */
};

struct gw_config_filesystem {
	enum gw_tristate default_deny_read; /* "defaultDenyRead" (unset = true) */
	char **allow_read;   /* "allowRead" */
	char **deny_read;    /* "denyRead" */
	char **allow_write;  /* "allowWrite" */
	char **deny_write;   /* "denyWrite" */
	bool allow_git_config; /* "allowGitConfig" */
};

struct gw_config_command {
	char **deny;  /* "deny" */
	char **allow; /* "allow" */
	enum gw_tristate use_defaults; /* "useDefaults" (unset = true) */
};

struct gw_config_ssh {
	char **allowed_hosts;    /* "allowedHosts" */
	char **denied_hosts;     /* "deniedHosts" */
	char **allowed_commands; /* "allowedCommands" */
	char **denied_commands;  /* "deniedCommands" */
	bool allow_all_commands; /* "allowAllCommands" */
	bool inherit_deny;       /* "inheritDeny" */
};

struct gw_config {
	struct gw_config_network network;
	struct gw_config_filesystem filesystem;
	struct gw_config_command command;
	struct gw_config_ssh ssh;
	bool allow_pty;       /* "allowPty" (macOS in the original; accepted, no effect on Linux) */
	bool allow_degraded;  /* "allowDegraded": run even when a kernel feature the
	                       * policy needs is missing (same as --allow-degraded) */
	/* Files this config was read from (the file itself first, then every
	 * file it extends), absolute paths.  greywall protects them from writes
	 * by the sandboxed command. */
	char **sources;
};

/* Empty config: every vector NULL, every tristate GW_UNSET, every bool false. */
void config_init(struct gw_config *cfg);
void config_free(struct gw_config *cfg);

/* Load and validate `path`, resolving "extends" (built-in template name, or
 * a file path relative to the including file's directory; cycles rejected;
 * depth <= 10).  Returns 0, or -errno with err set:
 *   -ENOENT  the file does not exist (message says so)
 *   -EINVAL  syntax/validation error (message has file:line:col and key path)
 *   other    read errors.
 * An empty or whitespace/comment-only file is -EINVAL ("config file is empty"). */
int config_load_file(const char *path, struct gw_config *out, struct gw_error *err);

/* Parse and validate a JSONC buffer.  `name` is used in messages; `base_dir`
 * resolves relative "extends" paths (NULL: "extends" with a path is an error).
 * Same return convention as config_load_file(). */
int config_parse_buffer(const char *name, const char *buf, size_t len, const char *base_dir,
			struct gw_config *out, struct gw_error *err);

/* Merge `over` into `base` (spec section 2.3): non-empty strings of `over`
 * win; vectors are concatenated base-then-over without duplicates; plain
 * bools are ORed; tristates of `over` win when set. */
void config_merge(struct gw_config *base, const struct gw_config *over);

/* Serialise to compact JSON that config_parse_buffer() reads back to an
 * equal config ("sources" travels as the internal key "_sources").
 * Caller frees. */
char *config_to_json(const struct gw_config *cfg);

/* The default config path (spec section 2.2): $XDG_CONFIG_HOME or ~/.config
 * + /greywall/greywall.json if it or its directory exists, else legacy
 * ~/.greywall.json if it exists, else the first path.  Caller frees.  NULL
 * only when neither XDG_CONFIG_HOME nor HOME is known. */
char *config_default_path(void);

/* Names of the built-in templates usable in "extends", NULL-terminated. */
const char *const *config_template_names(void);
/* JSONC text of the built-in template `name` (static storage), or NULL when
 * there is no such template. */
const char *config_template_text(const char *name);

/* Effective values of the tristates. */
bool config_default_deny_read(const struct gw_config *cfg);
bool config_use_default_commands(const struct gw_config *cfg);
bool config_allow_local_outbound(const struct gw_config *cfg);
