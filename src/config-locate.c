/* config-locate.c: see config-locate.h.
 *
 * One recursive walker serves both lookups: it tracks the key path of the
 * value it is in, stops when that path equals a target (config_locate), and
 * optionally remembers the keys of each object to catch duplicates. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config-locate.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

int config_path_push_key(struct config_path *p, const char *key)
{
	if (p->n >= CONFIG_PATH_MAX)
		return -E2BIG;
	p->seg[p->n++] = (struct config_path_seg){ .key = key };
	return 0;
}

int config_path_push_index(struct config_path *p, size_t index)
{
	if (p->n >= CONFIG_PATH_MAX)
		return -E2BIG;
	p->seg[p->n++] = (struct config_path_seg){ .index = index };
	return 0;
}

void config_path_pop(struct config_path *p)
{
	if (p->n > 0)
		p->n--;
}

static bool seg_equal(const struct config_path_seg *a, const struct config_path_seg *b)
{
	if (!a->key || !b->key)
		return !a->key && !b->key && a->index == b->index;
	return strcmp(a->key, b->key) == 0;
}

bool config_path_equal(const struct config_path *a, const struct config_path *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!seg_equal(&a->seg[i], &b->seg[i]))
			return false;
	return true;
}

/* Appends s to the growing string *out (length *len), escaping control
 * bytes. */
static void escape_append(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*out = xrealloc(*out, *len + 4 * n + 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*len += (size_t)sprintf(*out + *len, "\\x%02x", *p);
		else
			(*out)[(*len)++] = (char)*p;
	}
	(*out)[*len] = '\0';
}

char *config_text_escape(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	escape_append(&out, &len, s);
	return out;
}

char *config_path_format(const struct config_path *p)
{
	char *out = xstrdup("");
	size_t len = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->seg[i].key) {
			if (i > 0)
				escape_append(&out, &len, ".");
			escape_append(&out, &len, p->seg[i].key);
		} else {
			char idx[32];
			snprintf(idx, sizeof idx, "[%zu]", p->seg[i].index);
			escape_append(&out, &len, idx);
		}
	}
	return out;
}

static bool is_space(char c)
{
	/* json-c's whitespace set; notably not \f or \v. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t config_skip_space(const char *buf, size_t len, size_t off)
{
	while (off < len) {
		if (is_space(buf[off])) {
			off++;
		} else if (buf[off] == '/' && off + 1 < len && buf[off + 1] == '/') {
			const char *nl = memchr(buf + off, '\n', len - off);
			off = nl ? (size_t)(nl - buf) + 1 : len;
		} else if (buf[off] == '/' && off + 1 < len && buf[off + 1] == '*') {
			const char *end = memmem(buf + off + 2, len - off - 2, "*/", 2);
			if (!end)
				break;
			off = (size_t)(end - buf) + 2;
		} else {
			break;
		}
	}
	return off;
}

/* Offset just past the string that starts at s[i]. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	char quote = s[i++];
	while (i < len) {
		if (s[i] == '\\')
			i += 2;
		else if (s[i++] == quote)
			return i;
	}
	return len;
}

static size_t blank(char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (s[i] != '\n')
			s[i] = ' ';
	return to;
}

char *config_strip_comments(const char *buf, size_t len, size_t *unterminated)
{
	char *s = xmalloc(len + 1);
	memcpy(s, buf, len);
	s[len] = '\0';
	*unterminated = (size_t)-1;
	for (size_t i = 0; i < len;) {
		const char *end;
		if (s[i] == '"' || s[i] == '\'') {
			i = string_end(s, len, i);
		} else if (s[i] != '/' || i + 1 == len) {
			i++;
		} else if (s[i + 1] == '/') {
			end = memchr(s + i, '\n', len - i);
			i = blank(s, i, end ? (size_t)(end - s) : len);
		} else if (s[i + 1] == '*') {
			end = memmem(s + i + 2, len - i - 2, "*/", 2);
			if (!end) {
				*unterminated = i;
				break;
			}
			i = blank(s, i, (size_t)(end - s) + 2);
		} else {
			i++;
		}
	}
	return s;
}

void config_linecol(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

struct walker {
	const char *buf;
	size_t len, pos;
	struct config_path path;          /* where the walk currently is */
	const struct config_path *target; /* config_locate: stop here */
	bool find_dups;
	size_t found;                     /* offset of target or duplicate */
	char *bad_path;                   /* config_check_keys: key found */
	const char *bad_why;
};

/* Walk functions return 0 to go on, WALK_STOP once the target or a
 * duplicate is found, -errno when the text cannot be scanned. */
#define WALK_STOP 1

static int walk_value(struct walker *w);

static char peek(struct walker *w)
{
	w->pos = config_skip_space(w->buf, w->len, w->pos);
	return w->pos < w->len ? w->buf[w->pos] : '\0';
}

static int skip_string(struct walker *w)
{
	char quote = w->buf[w->pos++];
	while (w->pos < w->len) {
		char c = w->buf[w->pos++];
		if (c == quote)
			return 0;
		if (c == '\\')
			w->pos++;
	}
	return -EINVAL;
}

static int skip_scalar(struct walker *w)
{
	size_t start = w->pos;
	while (w->pos < w->len && !is_space(w->buf[w->pos]) &&
	       !strchr(",:[]{}\"'/", w->buf[w->pos]))
		w->pos++;
	return w->pos > start ? 0 : -EINVAL;
}

/* The key as json-c stores it: json-c decodes escapes and then keeps the
 * key as a C string, so "a\u0000b" and "a" are the same key to it.  Letting
 * json-c decode the token itself keeps the two views identical.  *has_nul
 * tells whether that cut happened. */
static char *decode_key(const char *tok, size_t n, bool *has_nul)
{
	*has_nul = false;
	if (!memchr(tok, '\\', n))
		return xstrndup(tok + 1, n - 2);
	struct json_tokener *t = json_tokener_new();
	json_object *o = t ? json_tokener_parse_ex(t, tok, (int)n) : NULL;
	char *key;
	if (json_object_is_type(o, json_type_string)) {
		key = xstrdup(json_object_get_string(o));
		*has_nul = strlen(key) != (size_t)json_object_get_string_len(o);
	} else {
		key = xstrndup(tok + 1, n - 2);
	}
	json_object_put(o);
	if (t)
		json_tokener_free(t);
	return key;
}

static bool at_target(struct walker *w, size_t off)
{
	if (!w->target || !config_path_equal(&w->path, w->target))
		return false;
	w->found = off;
	return true;
}

static int report_key(struct walker *w, const char *key, size_t off, const char *why)
{
	int r = config_path_push_key(&w->path, key);
	if (r < 0)
		return r;
	w->bad_path = config_path_format(&w->path);
	w->bad_why = why;
	config_path_pop(&w->path);
	w->found = off;
	return WALK_STOP;
}

static int walk_member_value(struct walker *w, size_t key_off)
{
	if (at_target(w, key_off))
		return WALK_STOP;
	if (peek(w) != ':')
		return -EINVAL;
	w->pos++;
	return walk_value(w);
}

static int walk_member(struct walker *w, json_object *seen)
{
	size_t off = w->pos;
	int r = skip_string(w);
	if (r < 0)
		return r;
	bool has_nul;
	_cleanup_free_ char *key = decode_key(w->buf + off, w->pos - off, &has_nul);
	if (seen && has_nul)
		return report_key(w, key, off, "key contains a NUL character");
	if (seen && json_object_object_get_ex(seen, key, NULL))
		return report_key(w, key, off, "duplicate key");
	if (seen)
		json_object_object_add(seen, key, NULL);
	r = config_path_push_key(&w->path, key);
	if (r < 0)
		return r;
	r = walk_member_value(w, off);
	config_path_pop(&w->path);
	return r;
}

/* After a member or element: consumes "," and sets *closed when `close`
 * ended the container. */
static int after_item(struct walker *w, char close, bool *closed)
{
	char c = peek(w);
	if (c == ',') {
		w->pos++;
		/* json-c accepts a trailing comma before the bracket. */
		c = peek(w);
	} else if (c != close) {
		return -EINVAL;
	}
	if (c == close) {
		w->pos++;
		*closed = true;
	}
	return 0;
}

static int walk_members(struct walker *w, json_object *seen)
{
	bool closed = false;
	int r = 0;
	while (r == 0 && !closed) {
		char c = peek(w);
		r = c == '"' || c == '\'' ? walk_member(w, seen) : -EINVAL;
		if (r == 0)
			r = after_item(w, '}', &closed);
	}
	return r;
}

static int walk_object(struct walker *w)
{
	w->pos++;
	if (peek(w) == '}') {
		w->pos++;
		return 0;
	}
	json_object *seen = w->find_dups ? json_object_new_object() : NULL;
	if (w->find_dups && !seen)
		return -ENOMEM;
	int r = walk_members(w, seen);
	json_object_put(seen);
	return r;
}

static int walk_element(struct walker *w, size_t index)
{
	int r = config_path_push_index(&w->path, index);
	if (r < 0)
		return r;
	peek(w);
	r = at_target(w, w->pos) ? WALK_STOP : walk_value(w);
	config_path_pop(&w->path);
	return r;
}

static int walk_array(struct walker *w)
{
	bool closed = false;
	int r = 0;
	w->pos++;
	if (peek(w) == ']') {
		w->pos++;
		return 0;
	}
	for (size_t i = 0; r == 0 && !closed; i++) {
		r = walk_element(w, i);
		if (r == 0)
			r = after_item(w, ']', &closed);
	}
	return r;
}

static int walk_value(struct walker *w)
{
	switch (peek(w)) {
	case '{':
		return walk_object(w);
	case '[':
		return walk_array(w);
	case '"':
	case '\'':
		return skip_string(w);
	default:
		return skip_scalar(w);
	}
}

int config_value_end(const char *buf, size_t len, size_t off, size_t *end)
{
	struct walker w = { .buf = buf, .len = len, .pos = off, .found = (size_t)-1 };
	int r = walk_value(&w);
	if (r < 0)
		return r;
	*end = w.pos;
	return 0;
}

int config_locate(const char *buf, size_t len, const struct config_path *path, size_t *off)
{
	struct walker w = { .buf = buf, .len = len, .target = path, .found = (size_t)-1 };
	if (path->n == 0) {
		*off = config_skip_space(buf, len, 0);
		return 0;
	}
	int r = walk_value(&w);
	if (r < 0)
		return r;
	if (w.found == (size_t)-1)
		return -ENOENT;
	*off = w.found;
	return 0;
}

int config_check_keys(const char *buf, size_t len, char **path_out, const char **why,
		      size_t *off)
{
	struct walker w = { .buf = buf, .len = len, .find_dups = true, .found = (size_t)-1 };
	int r = walk_value(&w);
	if (r < 0) {
		*off = w.pos < len ? w.pos : len;
		return r;
	}
	if (!w.bad_path)
		return 0;
	*path_out = w.bad_path;
	*why = w.bad_why;
	*off = w.found;
	return 1;
}

/* ---- JSONC text -> json-c tree ---- */

struct jsonc_text {
	const char *name;
	const char *buf;
	size_t len;
	struct gw_error *err;
};

/* "<name>:<line>:<col>: <reason>" at byte offset `off`; returns -EINVAL. */
static int text_fail(const struct jsonc_text *t, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int text_fail(const struct jsonc_text *t, size_t off, const char *fmt, ...)
{
	unsigned line, col;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *why = xvasprintf(fmt, ap);
	va_end(ap);
	config_linecol(t->buf, t->len, off, &line, &col);
	return gw_error_set(t->err, -EINVAL, "%s:%u:%u: %s", t->name, line, col, why);
}

const char *config_json_type_name(json_object *v)
{
	static const char *const names[] = {
		[json_type_null] = "null",     [json_type_boolean] = "boolean",
		[json_type_double] = "number", [json_type_int] = "number",
		[json_type_object] = "object", [json_type_array] = "array",
		[json_type_string] = "string",
	};
	return names[json_object_get_type(v)];
}

struct tok_result {
	json_object *root;
	enum json_tokener_error jerr;
	size_t end; /* where json-c stopped */
};

/* json-c's reading of buf[0..len).  `finish` then feeds the terminating
 * NUL that json_tokener_parse() would, which completes a bare literal. */
static int run_tokener(const char *buf, size_t len, bool finish, struct tok_result *res)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return -ENOMEM;
	res->root = json_tokener_parse_ex(tok, buf, (int)len);
	res->jerr = json_tokener_get_error(tok);
	res->end = json_tokener_get_parse_end(tok);
	if (finish && res->jerr == json_tokener_continue) {
		res->root = json_tokener_parse_ex(tok, "", 1);
		res->jerr = json_tokener_get_error(tok);
		res->end = len;
	}
	json_tokener_free(tok);
	return 0;
}

static int tokenize(const struct jsonc_text *t, size_t start, json_object **root)
{
	struct tok_result res;
	/* Only a bare scalar (always rejected later) needs the NUL; text
	 * that ends inside an object must not get it, or json-c 0.16 may
	 * return an inner object as the whole document. */
	int r = run_tokener(t->buf, t->len, !strchr("{[", t->buf[start]), &res);
	if (r < 0)
		return gw_error_set(t->err, r, "%s: out of memory", t->name);
	*root = res.root;
	if (res.jerr == json_tokener_continue)
		return text_fail(t, t->len, "unexpected end of data");
	if (res.jerr != json_tokener_success)
		return text_fail(t, res.end, "%s", json_tokener_error_desc(res.jerr));
	return 0;
}

/* json-c stops after the first value and ignores the rest; a second
 * object is most likely a botched edit, so anything but space is an
 * error. */
static int check_trailing(const struct jsonc_text *t, size_t start)
{
	size_t end;
	if (config_value_end(t->buf, t->len, start, &end) < 0)
		return text_fail(t, start, "cannot scan the config text");
	end = config_skip_space(t->buf, t->len, end);
	if (end < t->len)
		return text_fail(t, end, "unexpected text after the top-level object");
	return 0;
}

static int check_keys(const struct jsonc_text *t)
{
	_cleanup_free_ char *path = NULL;
	const char *why = NULL;
	size_t off = 0;
	int r = config_check_keys(t->buf, t->len, &path, &why, &off);
	if (r < 0)
		return text_fail(t, off, "cannot scan the config text");
	if (r > 0)
		return text_fail(t, off, "%s: %s", path, why);
	return 0;
}

/* Rejects what no parser should see, then points t->buf to a copy without
 * comments (owned by *text): json-c and the walker only ever see that
 * copy, so they cannot disagree about where comments are. */
static int prepare_text(struct jsonc_text *t, char **text)
{
	size_t bad;
	const char *nul = memchr(t->buf, '\0', t->len);
	if (nul)
		return text_fail(t, (size_t)(nul - t->buf), "NUL byte in config text");
	if (t->len > CONFIG_MAX_SIZE)
		return gw_error_set(t->err, -EFBIG, "%s: config is larger than 4 MiB", t->name);
	*text = config_strip_comments(t->buf, t->len, &bad);
	if (bad != (size_t)-1)
		return text_fail(t, bad, "unterminated comment");
	t->buf = *text;
	return 0;
}

static int parse_checked(struct jsonc_text *t, char **text, json_object **root)
{
	int r = prepare_text(t, text);
	if (r < 0)
		return r;
	size_t start = config_skip_space(t->buf, t->len, 0);
	/* The original crashed on these; an empty file is almost always a
	 * truncated write, so say so rather than run with no policy. */
	if (start == t->len)
		return gw_error_set(t->err, -EINVAL, "%s: config file is empty", t->name);
	r = tokenize(t, start, root);
	if (r < 0)
		return r;
	if (!json_object_is_type(*root, json_type_object))
		return text_fail(t, start, "top level must be an object, got %s",
				 config_json_type_name(*root));
	r = check_trailing(t, start);
	if (r < 0)
		return r;
	return check_keys(t);
}

int config_jsonc_parse(const char *name, const char *buf, size_t len, char **text,
		       json_object **root, struct gw_error *err)
{
	struct jsonc_text t = { .name = name, .buf = buf, .len = len, .err = err };
	_cleanup_free_ char *copy = NULL;
	_cleanup_json_ json_object *tree = NULL;
	int r = parse_checked(&t, &copy, &tree);
	*text = r < 0 ? NULL : steal_pointer(&copy);
	*root = r < 0 ? NULL : steal_pointer(&tree);
	return r;
}
