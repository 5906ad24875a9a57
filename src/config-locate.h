/* config-locate.h: the JSONC text layer of the config module: text to
 * json-c tree, and positions in the text for error messages.
 *
 * json-c keeps no source positions, so the locator functions re-scan the
 * text.  They expect text that json-c's non-strict tokener has already
 * accepted (comments, trailing commas, single-quoted strings); on anything
 * else they fail with -EINVAL instead of guessing.  Internal to the config
 * module. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "util.h"

/* Far above any sensible policy; keeps a wrong path (a log file, a disk
 * image) from being slurped into memory. */
#define CONFIG_MAX_SIZE (4u << 20)

static inline void config_json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(config_json_putp)))

/* JSONC text -> json-c tree.  Rejects, with "<name>:<line>:<col>: <reason>"
 * (or "<name>: <reason>") and -EINVAL: NUL bytes, unterminated comments,
 * empty or comment-only text ("config file is empty"), syntax errors, a top
 * level that is not an object, text after it, duplicate keys and keys
 * containing \u0000; -EFBIG above CONFIG_MAX_SIZE.  On success *root
 * (json_object_put()) and *text (free()) are set: *text is the text with
 * comments blanked out, same length and offsets, for the locator. */
int config_jsonc_parse(const char *name, const char *buf, size_t len, char **text,
		       json_object **root, struct gw_error *err);

/* "string", "number", "array"... for messages. */
const char *config_json_type_name(json_object *v);

/* Deeper than json-c's default nesting limit (32), so a parsed document
 * always fits. */
#define CONFIG_PATH_MAX 64

/* A key path such as filesystem.allowRead[2].  Keys are borrowed. */
struct config_path_seg {
	const char *key; /* NULL: array element `index` */
	size_t index;
};

struct config_path {
	struct config_path_seg seg[CONFIG_PATH_MAX];
	size_t n;
};

/* Push/pop one segment.  Pushing onto a full path returns -E2BIG and
 * leaves it unchanged. */
int config_path_push_key(struct config_path *p, const char *key);
int config_path_push_index(struct config_path *p, size_t index);
void config_path_pop(struct config_path *p);
bool config_path_equal(const struct config_path *a, const struct config_path *b);

/* "filesystem.allowRead[2]"; control characters are shown as \xNN so a
 * hostile key cannot inject terminal escapes into a message.  Caller frees. */
char *config_path_format(const struct config_path *p);

/* Same escaping for an arbitrary string (no quotes added).  Caller frees. */
char *config_text_escape(const char *s);

/* Offset of the first byte at or after `off` that is neither whitespace
 * nor inside a comment.  Stops at the "/" of an unterminated block comment
 * so that callers do not mistake it for the end of the text. */
size_t config_skip_space(const char *buf, size_t len, size_t off);

/* A copy of buf (NUL-terminated) with every comment outside strings
 * replaced by spaces, newlines kept, so offsets, lines and columns are
 * unchanged.  json-c's own comment handling is unsafe to rely on (0.16
 * does not end a block comment at "**" "/" and reads on to the next
 * close, which can silently swallow keys).  *unterminated is the offset
 * of an unclosed block comment, or (size_t)-1.  Caller frees. */
char *config_strip_comments(const char *buf, size_t len, size_t *unterminated);

/* 1-based line and byte column of offset `off`. */
void config_linecol(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col);

/* Offset just past the value that starts at `off` (after leading space).
 * Returns 0 or -EINVAL on unscannable text. */
int config_value_end(const char *buf, size_t len, size_t off, size_t *end);

/* Offset of the key's opening quote (key segment) or of the element's
 * first byte (index segment) named by `path`; the empty path names the top
 * value.  Returns 0, -ENOENT when absent, -EINVAL on unscannable text. */
int config_locate(const char *buf, size_t len, const struct config_path *path, size_t *off);

/* Looks for a key that appears twice in one object (json-c silently keeps
 * the last) or that contains "\u0000" (json-c cuts it there, making it an
 * alias of a shorter key).  Keys compare as json-c sees them.  Returns 1
 * with *path_out (caller frees, e.g. "network.dnsAddr"), *why ("duplicate
 * key", static) and *off (the offending key) set, 0 when all keys are
 * fine, -errno on unscannable text (*off = where the scan stopped). */
int config_check_keys(const char *buf, size_t len, char **path_out, const char **why,
		      size_t *off);
