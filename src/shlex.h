/* shlex.h: find every simple command a shell command line would run.
 *
 * This is not a shell.  It reads a line the way bash or POSIX sh (dash)
 * tokenises it, without expanding variables or running anything, and lists
 * each simple command it finds: the pieces of `a; b | c && d`, and the
 * commands inside $(...), `...`, <(...), >(...), ( ... ), $((...)),
 * "${...}" and unquoted here-documents.  Quotes are removed, backslash
 * escapes resolved, $'...' decoded and (bash) brace expansion done.  Case
 * patterns, comments and here-document bodies are not commands.
 *
 * The two dialects read some lines differently (`&>`, `((`, $'...', $"...",
 * brace expansion, quotes inside "${...}"); callers that cannot know which
 * shell runs the line parse it once per dialect. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum shlex_dialect { SHLEX_BASH, SHLEX_POSIX };

/* Nesting limit across $(...), (...), `...`, ${...} and nested parses. */
#define SHLEX_MAX_DEPTH 32
/* Longest line shlex_parse() accepts. */
#define SHLEX_MAX_LEN ((size_t)1 << 20)

struct shlex_word {
	char *text; /* the word after quote removal */
	/* An fnmatch(3) pattern when the word has unquoted *, ? or [ (the
	 * shell would glob it; quoted metacharacters are escaped) or an
	 * expansion next to literal text (which becomes '*'), else NULL. */
	char *glob;
	/* Unquoted expansions only ($x, $(...)): may expand to nothing, and
	 * then the next word is the command. */
	bool may_vanish;
};

struct shlex_cmd {
	struct shlex_word *words;
	size_t nwords;
	/* Text of the here-documents and here-strings of this command (what a
	 * shell reading stdin would run), or NULL. */
	char *input;
	int depth; /* nesting depth the command was found at */
};

struct shlex_list {
	struct shlex_cmd *cmds;
	size_t n;
};

struct shlex_opts {
	enum shlex_dialect dialect;
	int depth; /* nesting depth of the line itself (0 at the top) */
	/* Bytes of words the parse may still produce; shared by nested parses
	 * so that brace expansion and re-parsing cannot blow up. */
	size_t *budget;
};

/* Appends the simple commands of `line` to `out` (inner commands of a
 * substitution come before the command using it).  Returns 0; -EINVAL on a
 * syntax error (unterminated quote, unexpected ')'), with the commands found
 * before the error left in `out`; -E2BIG when a limit is exceeded (length,
 * nesting, budget).  err says what and where. */
int shlex_parse(const char *line, const struct shlex_opts *opts, struct shlex_list *out,
		struct gw_error *err);

void shlex_list_free(struct shlex_list *l);

/* Whether a word is a shell assignment: NAME=..., NAME+=..., NAME[sub]=... */
bool shlex_is_assignment(const char *word) __attribute__((nonnull));

/* Splits a plain string at blanks, removing quotes and backslashes, with no
 * operators or expansions (for policy rules).  Never NULL; caller frees. */
char **shlex_split(const char *s) __attribute__((nonnull, warn_unused_result));
