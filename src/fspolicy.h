/* fspolicy.h: turns "grant these trees, deny those paths" into Landlock
 * path rules.
 *
 * Landlock can only allow, and a right granted on a directory covers
 * everything beneath it.  A deny inside a granted tree is therefore
 * expressed by not granting the tree itself but its other entries: every
 * directory on the way from the granted root to a denied path is "pinned".
 * A pinned directory keeps the rights that are harmless for the denied path
 * (reading the directory, for instance) but never the rights that change
 * which names exist in it (create, delete, rename, link); each of its
 * existing entries gets the granted rights on its own inode.
 *
 * Consequences (documented in the README): entries that exist when the
 * sandbox starts keep their rights; nothing can be created, deleted or
 * renamed directly inside a pinned directory; a denied path that does not
 * exist yet cannot be created, because its nearest existing ancestor is
 * pinned. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum gw_deny_kind {
	GW_DENY_READ = 1,  /* no access at all (denyRead, .env files) */
	GW_DENY_WRITE = 2, /* read-only, and may not be created (denyWrite, protected paths) */
};

struct gw_fs_grant {
	char *path;       /* absolute, normalised */
	uint64_t access;  /* GW_LL_FS_* */
	bool optional;    /* silently skipped when missing (system and tooling paths) */
};

struct gw_fs_deny {
	char *path;       /* absolute, normalised; may not exist */
	enum gw_deny_kind kind;
	bool mandatory;   /* greywall's own protection (not from the config): in
			   * the namespace mode it must hold even when the path
			   * is a symlink or does not exist yet */
};

/* The planner's input.  Owns its strings. */
struct gw_fs_spec {
	struct gw_fs_grant *grants;
	size_t n_grants;
	struct gw_fs_deny *denies;
	size_t n_denies;
};

void fs_spec_grant(struct gw_fs_spec *s, const char *path, uint64_t access, bool optional);
void fs_spec_deny(struct gw_fs_spec *s, const char *path, enum gw_deny_kind kind);
/* A mandatory GW_DENY_WRITE (see struct gw_fs_deny). */
void fs_spec_protect(struct gw_fs_spec *s, const char *path);
void fs_spec_free(struct gw_fs_spec *s);

/* true when `path` lies strictly inside a grant that allows writing (where
 * the sandboxed command may have planted a symlink in an earlier run). */
bool fs_spec_in_writable_grant(const struct gw_fs_spec *s, const char *path);

struct gw_fs_rule {
	int fd;           /* O_PATH, owned by the plan */
	uint64_t access;  /* already masked to the inode type and the ABI */
	char *path;       /* for --debug */
};

struct gw_fs_plan {
	struct gw_fs_rule *rules;
	size_t n_rules;
	char **notes;     /* human-readable remarks (skipped entries...) */
};

/* Resolve every path once and compute the rules.  `handled` is the set of
 * filesystem rights the ruleset handles (the ABI's).  Returns 0 or -errno
 * with err set (a required grant that cannot be opened, too many rules). */
int fspolicy_plan(const struct gw_fs_spec *spec, uint64_t handled, struct gw_fs_plan *out,
		  struct gw_error *err);
void fspolicy_plan_free(struct gw_fs_plan *plan);
