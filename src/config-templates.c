/* config-templates.c: built-in templates for "extends".
 *
 * Templates are JSONC text, not C structs, so they go through the same
 * parser and validation as user files and cannot drift from the schema.
 * Each one only loosens what its name promises; none of them grants network
 * access or write access outside tool caches. */
#include "config.h"

#include <string.h>

/* Same order as texts[]. */
static const char *const names[] = {
	"default", "code", "code-relaxed", "git-readonly", "local-dev-server", NULL,
};

static const char *const texts[] = {
	/* default: the empty policy, for files that want to say explicitly
	 * that they start from greywall's defaults. */
	"{}\n",

	/* code: coding agents and build tools, which fail when they cannot
	 * write their package and compiler caches.  Only the caches are
	 * opened, not ~/.cache as a whole: other programs keep credentials
	 * and session state there. */
	"{\n"
	"  \"filesystem\": {\n"
	"    \"allowWrite\": [\n"
	"      \"~/.npm\",\n"
	"      \"~/.cache/pip\",\n"
	"      \"~/.cache/go-build\",\n"
	"      \"~/.cargo/registry\",\n"
	"      \"~/.cargo/git\",\n"
	"    ],\n"
	"  },\n"
	"}\n",

	/* code-relaxed: "code" for tools that read all over the home
	 * directory (language servers, monorepo tooling): reads are no longer
	 * denied by default.  Writes stay as in "code". */
	"{\n"
	"  \"extends\": \"code\",\n"
	"  \"filesystem\": { \"defaultDenyRead\": false },\n"
	"}\n",

	/* git-readonly: let an agent inspect a repository but not change its
	 * history, branches, tags or working tree through git. */
	"{\n"
	"  \"command\": {\n"
	"    \"deny\": [\n"
	"      \"git push\", \"git commit\", \"git reset\", \"git rebase\",\n"
	"      \"git merge\", \"git checkout\", \"git switch\", \"git tag\",\n"
	"      \"git branch -d\", \"git branch -D\", \"git clean\", \"git stash\",\n"
	"    ],\n"
	"  },\n"
	"}\n",

	/* local-dev-server: a dev server must listen on a local port (and,
	 * since allowLocalOutbound follows allowLocalBinding when unset, the
	 * command may connect to it). */
	"{\n"
	"  \"network\": { \"allowLocalBinding\": true },\n"
	"}\n",
};

_Static_assert(sizeof names / sizeof names[0] == sizeof texts / sizeof texts[0] + 1,
	       "every template needs a name");

const char *const *config_template_names(void)
{
	return names;
}

const char *config_template_text(const char *name)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return texts[i];
	return NULL;
}
