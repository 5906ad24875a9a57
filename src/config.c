/* config.c: see config.h.
 *
 * One table (`top_fields`) describes the schema.  Parsing, validation,
 * merging, freeing and serialisation all walk it, so a key added to the
 * table is handled everywhere at once.  config-locate.c turns the JSONC
 * text into a json-c tree and finds positions for messages, which json-c
 * does not keep. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "config-locate.h"
#include "config-validate.h"

/* Configs in one extends chain, counting the first file and templates. */
#define EXTENDS_MAX_DEPTH 10

/* json-c reports allocation failure by returning NULL; dropping a value
 * silently could drop a deny rule, so treat it like every other OOM. */
static json_object *jcheck(json_object *o)
{
	if (!o)
		abort();
	return o;
}

/* ---- the schema ---- */

enum field_type { FT_OBJECT, FT_STRING, FT_STRV, FT_BOOL, FT_TRISTATE, FT_EXTENDS };

/* NULL when the string is acceptable, else the reason (caller frees). */
typedef char *(*check_fn)(const char *s);

struct field {
	const char *name;
	enum field_type type;
	size_t offset;              /* into struct gw_config */
	check_fn check;             /* FT_STRING values, FT_STRV elements */
	const struct field *fields; /* FT_OBJECT members */
	bool internal;              /* never offered as a suggestion */
};

#define OFF(m) offsetof(struct gw_config, m)
#define F_STR(n, m, c) { .name = n, .type = FT_STRING, .offset = OFF(m), .check = c }
#define F_STRV(n, m, c) { .name = n, .type = FT_STRV, .offset = OFF(m), .check = c }
#define F_BOOL(n, m) { .name = n, .type = FT_BOOL, .offset = OFF(m) }
#define F_TRI(n, m) { .name = n, .type = FT_TRISTATE, .offset = OFF(m) }
#define F_OBJ(n, f) { .name = n, .type = FT_OBJECT, .fields = f }

static const struct field network_fields[] = {
	F_STR("proxyUrl", network.proxy_url, config_check_socks_url),
	F_STR("httpProxyUrl", network.http_proxy_url, config_check_http_url),
	F_STR("dnsAddr", network.dns_addr, config_check_dns_addr),
	F_STRV("allowedDomains", network.allowed_domains, config_check_domain_pattern),
	F_STRV("deniedDomains", network.denied_domains, config_check_domain_pattern),
	F_STRV("allowUnixSockets", network.allow_unix_sockets, config_check_path),
	F_BOOL("allowAllUnixSockets", network.allow_all_unix_sockets),
	F_BOOL("allowLocalBinding", network.allow_local_binding),
	F_TRI("allowLocalOutbound", network.allow_local_outbound),
	{ 0 },
};

static const struct field filesystem_fields[] = {
	F_TRI("defaultDenyRead", filesystem.default_deny_read),
	F_STRV("allowRead", filesystem.allow_read, config_check_path),
	F_STRV("denyRead", filesystem.deny_read, config_check_path),
	F_STRV("allowWrite", filesystem.allow_write, config_check_path),
	F_STRV("denyWrite", filesystem.deny_write, config_check_path),
	F_BOOL("allowGitConfig", filesystem.allow_git_config),
	{ 0 },
};

static const struct field command_fields[] = {
	F_STRV("deny", command.deny, config_check_command),
	F_STRV("allow", command.allow, config_check_command),
	F_TRI("useDefaults", command.use_defaults),
	{ 0 },
};

static const struct field ssh_fields[] = {
	F_STRV("allowedHosts", ssh.allowed_hosts, config_check_ssh_host),
	F_STRV("deniedHosts", ssh.denied_hosts, config_check_ssh_host),
	F_STRV("allowedCommands", ssh.allowed_commands, config_check_command),
	F_STRV("deniedCommands", ssh.denied_commands, config_check_command),
	F_BOOL("allowAllCommands", ssh.allow_all_commands),
	F_BOOL("inheritDeny", ssh.inherit_deny),
	{ 0 },
};

static const struct field top_fields[] = {
	{ .name = "extends", .type = FT_EXTENDS },
	F_OBJ("network", network_fields),
	F_OBJ("filesystem", filesystem_fields),
	F_OBJ("command", command_fields),
	F_OBJ("ssh", ssh_fields),
	F_BOOL("allowPty", allow_pty),
	F_BOOL("allowDegraded", allow_degraded),
	/* Written by config_to_json() so that a serialised config still names
	 * the files greywall must protect. */
	{ .name = "_sources", .type = FT_STRV, .offset = OFF(sources), .check = config_check_path,
	  .internal = true },
	{ 0 },
};

static void *field_ptr(const struct gw_config *cfg, const struct field *f)
{
	return (char *)cfg + f->offset;
}

static void init_fields(const struct field *fields, struct gw_config *cfg)
{
	for (const struct field *f = fields; f->name; f++) {
		if (f->type == FT_OBJECT)
			init_fields(f->fields, cfg);
		else if (f->type == FT_TRISTATE)
			*(enum gw_tristate *)field_ptr(cfg, f) = GW_UNSET;
	}
}

void config_init(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	init_fields(top_fields, cfg);
}

static void free_fields(const struct field *fields, struct gw_config *cfg)
{
	for (const struct field *f = fields; f->name; f++) {
		if (f->type == FT_OBJECT)
			free_fields(f->fields, cfg);
		else if (f->type == FT_STRING)
			free(*(char **)field_ptr(cfg, f));
		else if (f->type == FT_STRV)
			gw_strv_free(*(char ***)field_ptr(cfg, f));
	}
}

void config_free(struct gw_config *cfg)
{
	if (!cfg)
		return;
	free_fields(top_fields, cfg);
	config_init(cfg);
}

/* ---- parse context and messages ---- */

struct chain_link {
	bool is_file;
	dev_t dev;
	ino_t ino;
	const char *tmpl; /* template name, or NULL */
	const char *name; /* for messages */
};

/* The configs being loaded, outermost first, for cycle and depth checks. */
struct chain {
	struct chain_link link[EXTENDS_MAX_DEPTH];
	size_t n;
};

struct parse_ctx {
	const char *name; /* file name for messages */
	const char *buf;
	size_t len;
	const char *base_dir; /* relative "extends" paths; may be NULL */
	struct chain *chain;
	struct gw_error *err;
	struct config_path path; /* key being parsed */
	const char *extends;     /* borrowed from the json tree */
};

/* "<name>:<line>:<col>: <key.path>" for the key being parsed. */
static char *here(struct parse_ctx *c)
{
	size_t off = 0;
	unsigned line, col;
	if (config_locate(c->buf, c->len, &c->path, &off) < 0)
		off = 0;
	config_linecol(c->buf, c->len, off, &line, &col);
	_cleanup_free_ char *path = config_path_format(&c->path);
	return xasprintf("%s:%u:%u: %s", c->name, line, col, path);
}

/* "<name>:<line>:<col>: <key.path>: <reason>"; returns -EINVAL. */
static int fail(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *why = xvasprintf(fmt, ap);
	va_end(ap);
	_cleanup_free_ char *where = here(c);
	return gw_error_set(c->err, -EINVAL, "%s: %s", where, why);
}

/* Appends `item` to the list *s (malloc'd or NULL), after `sep`. */
static void append(char **s, const char *sep, const char *item)
{
	char *t = xasprintf("%s%s%s", *s ? *s : "", *s ? sep : "", item);
	free(*s);
	*s = t;
}

/* ---- "did you mean" ---- */

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ci_equal(const char *a, const char *b)
{
	while (*a && ascii_lower(*a) == ascii_lower(*b))
		a++, b++;
	return ascii_lower(*a) == ascii_lower(*b);
}

/* Case-insensitively equal, or one insertion, deletion, substitution or
 * swap of neighbours apart. */
static bool close_match(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;
	if (la > lb)
		return close_match(b, a);
	if (lb - la > 1)
		return false;
	while (i < la && ascii_lower(a[i]) == ascii_lower(b[i]))
		i++;
	if (i == la)
		return true;
	if (la < lb)
		return ci_equal(a + i, b + i + 1);
	if (ci_equal(a + i + 1, b + i + 1))
		return true;
	return i + 1 < la && ascii_lower(a[i]) == ascii_lower(b[i + 1]) &&
	       ascii_lower(a[i + 1]) == ascii_lower(b[i]) && ci_equal(a + i + 2, b + i + 2);
}

static const struct field *field_find(const struct field *fields, const char *key)
{
	for (const struct field *f = fields; f->name; f++)
		if (strcmp(f->name, key) == 0)
			return f;
	return NULL;
}

static char *known_keys(const struct field *fields)
{
	char *s = NULL;
	for (const struct field *f = fields; f->name; f++)
		if (!f->internal)
			append(&s, ", ", f->name);
	return s;
}

static int unknown_key(struct parse_ctx *c, const struct field *fields, const char *key)
{
	for (const struct field *f = fields; f->name; f++)
		if (!f->internal && close_match(key, f->name))
			return fail(c, "unknown key; did you mean \"%s\"?", f->name);
	/* A known key one level too high, e.g. "allowRead" at the top. */
	for (const struct field *f = fields; f->name; f++)
		for (const struct field *g = f->fields; f->type == FT_OBJECT && g->name; g++)
			if (ci_equal(key, g->name))
				return fail(c, "unknown key; did you mean \"%s.%s\"?", f->name, g->name);
	_cleanup_free_ char *known = known_keys(fields);
	return fail(c, "unknown key (known keys here: %s)", known);
}

/* ---- typed values ---- */

static int get_string(struct parse_ctx *c, json_object *v, const char *want, const char **out)
{
	*out = ""; /* set on failure too: callers may look before checking */
	if (!json_object_is_type(v, json_type_string))
		return fail(c, "expected %s, got %s", want, config_json_type_name(v));
	const char *s = json_object_get_string(v);
	/* "\u0000" would cut the C string short and change its meaning. */
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return fail(c, "contains a NUL character");
	*out = s;
	return 0;
}

static int run_check(struct parse_ctx *c, const struct field *f, const char *s)
{
	if (!f->check)
		return 0;
	_cleanup_free_ char *why = f->check(s);
	if (!why)
		return 0;
	if (!*s)
		return fail(c, "%s", why);
	_cleanup_free_ char *shown = config_text_escape(s);
	return fail(c, "%s (got \"%s\")", why, shown);
}

/* An empty string means "unset", as in the original. */
static int parse_string(struct parse_ctx *c, const struct field *f, json_object *v,
			struct gw_config *cfg)
{
	const char *s;
	int r = get_string(c, v, "a string", &s);
	if (r < 0 || !*s)
		return r;
	r = run_check(c, f, s);
	if (r < 0)
		return r;
	char **dst = field_ptr(cfg, f);
	free(*dst);
	*dst = xstrdup(s);
	return 0;
}

static int parse_element(struct parse_ctx *c, const struct field *f, json_object *v, char **slot)
{
	const char *s;
	int r = get_string(c, v, "a string", &s);
	if (r == 0)
		r = run_check(c, f, s);
	if (r == 0)
		*slot = xstrdup(s);
	return r;
}

static int parse_strv(struct parse_ctx *c, const struct field *f, json_object *v,
		      struct gw_config *cfg)
{
	if (!json_object_is_type(v, json_type_array))
		return fail(c, "expected an array of strings, got %s", config_json_type_name(v));
	size_t n = json_object_array_length(v);
	if (n == 0)
		return 0;
	/* Sized up front: appending one by one is quadratic in util.h. */
	_cleanup_strv_ char **vec = xcalloc(n + 1, sizeof *vec);
	for (size_t i = 0; i < n; i++) {
		int r = config_path_push_index(&c->path, i);
		if (r < 0)
			return fail(c, "nested too deeply");
		r = parse_element(c, f, json_object_array_get_idx(v, i), &vec[i]);
		config_path_pop(&c->path);
		if (r < 0)
			return r;
	}
	char ***dst = field_ptr(cfg, f);
	gw_strv_free(*dst);
	*dst = steal_pointer(&vec);
	return 0;
}

static int get_bool(struct parse_ctx *c, json_object *v, bool *out)
{
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, "expected true or false, got %s", config_json_type_name(v));
	*out = json_object_get_boolean(v);
	return 0;
}

static int parse_bool(struct parse_ctx *c, const struct field *f, json_object *v,
		      struct gw_config *cfg)
{
	return get_bool(c, v, field_ptr(cfg, f));
}

static int parse_tristate(struct parse_ctx *c, const struct field *f, json_object *v,
			  struct gw_config *cfg)
{
	bool b = false;
	int r = get_bool(c, v, &b);
	if (r == 0)
		*(enum gw_tristate *)field_ptr(cfg, f) = b ? GW_TRUE : GW_FALSE;
	return r;
}

static int parse_extends_key(struct parse_ctx *c, json_object *v)
{
	const char *s;
	int r = get_string(c, v, "a string", &s);
	if (r == 0 && *s)
		c->extends = s;
	return r;
}

static int parse_fields(struct parse_ctx *c, const struct field *fields, json_object *obj,
			struct gw_config *cfg);

static int parse_value(struct parse_ctx *c, const struct field *f, json_object *v,
		       struct gw_config *cfg)
{
	if (!v)
		return 0; /* null: unset */
	switch (f->type) {
	case FT_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return fail(c, "expected an object, got %s", config_json_type_name(v));
		return parse_fields(c, f->fields, v, cfg);
	case FT_STRING:
		return parse_string(c, f, v, cfg);
	case FT_STRV:
		return parse_strv(c, f, v, cfg);
	case FT_BOOL:
		return parse_bool(c, f, v, cfg);
	case FT_TRISTATE:
		return parse_tristate(c, f, v, cfg);
	case FT_EXTENDS:
		return parse_extends_key(c, v);
	}
	return -EINVAL;
}

static int parse_member(struct parse_ctx *c, const struct field *fields, const char *key,
			json_object *v, struct gw_config *cfg)
{
	const struct field *f = field_find(fields, key);
	int r = config_path_push_key(&c->path, key);
	if (r < 0)
		return fail(c, "nested too deeply");
	r = f ? parse_value(c, f, v, cfg) : unknown_key(c, fields, key);
	config_path_pop(&c->path);
	return r;
}

static int parse_fields(struct parse_ctx *c, const struct field *fields, json_object *obj,
			struct gw_config *cfg)
{
	json_object_object_foreach(obj, key, val) {
		int r = parse_member(c, fields, key, val, cfg);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- vectors ---- */

static size_t push_unseen(char **r, size_t n, json_object *seen, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++) {
		if (json_object_object_get_ex(seen, v[i], NULL))
			continue;
		json_object_object_add(seen, v[i], NULL);
		r[n++] = xstrdup(v[i]);
	}
	return n;
}

/* a then b, each string once, first occurrence kept; NULL when both are
 * empty.  A json-c object is the hash set, so long lists stay linear. */
static char **strv_union(char *const *a, char *const *b)
{
	size_t la = gw_strv_len(a), lb = gw_strv_len(b);
	if (la + lb == 0)
		return NULL;
	_cleanup_json_ json_object *seen = jcheck(json_object_new_object());
	char **r = xcalloc(la + lb + 1, sizeof *r);
	push_unseen(r, push_unseen(r, 0, seen, a), seen, b);
	return r;
}

/* ---- merge ---- */

static void merge_field(const struct field *f, struct gw_config *base, const struct gw_config *over);

static void merge_fields(const struct field *fields, struct gw_config *base,
			 const struct gw_config *over)
{
	for (const struct field *f = fields; f->name; f++)
		merge_field(f, base, over);
}

static void merge_field(const struct field *f, struct gw_config *base, const struct gw_config *over)
{
	void *b = field_ptr(base, f), *o = field_ptr(over, f);
	char **merged;
	switch (f->type) {
	case FT_OBJECT:
		merge_fields(f->fields, base, over);
		break;
	case FT_STRING:
		if (*(char **)o && **(char **)o) {
			free(*(char **)b);
			*(char **)b = xstrdup(*(char **)o);
		}
		break;
	case FT_STRV:
		merged = strv_union(*(char ***)b, *(char ***)o);
		gw_strv_free(*(char ***)b);
		*(char ***)b = merged;
		break;
	case FT_BOOL:
		*(bool *)b = *(bool *)b || *(bool *)o;
		break;
	case FT_TRISTATE:
		if (*(enum gw_tristate *)o != GW_UNSET)
			*(enum gw_tristate *)b = *(enum gw_tristate *)o;
		break;
	case FT_EXTENDS:
		break;
	}
}

void config_merge(struct gw_config *base, const struct gw_config *over)
{
	merge_fields(top_fields, base, over);
}

/* ---- extends ---- */

struct file_data {
	char *buf;
	size_t len;
	struct stat st;
	char *real; /* realpath(); NULL for pipes */
};

static void file_data_free(struct file_data *fd)
{
	free(fd->buf);
	free(fd->real);
}

static int read_file(const char *path, struct file_data *out, struct gw_error *err);
static int parse_text(struct chain *chain, const char *name, const char *buf, size_t len,
		      const char *base_dir, struct gw_config *out, struct gw_error *err);

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Parses a file read by read_file(); cfg->sources gets the file's real
 * path in front of those of the files it extends. */
static int parse_file(struct chain *chain, const char *name, const struct file_data *fd,
		      struct gw_config *out, struct gw_error *err)
{
	_cleanup_free_ char *dir = dir_of(fd->real ? fd->real : name);
	int r = parse_text(chain, name, fd->buf, fd->len, dir, out, err);
	if (r == 0 && fd->real) {
		char *self[] = { fd->real, NULL };
		char **sources = strv_union(self, out->sources);
		gw_strv_free(out->sources);
		out->sources = sources;
	}
	return r;
}

static char *chain_names(const struct chain *ch, const char *last)
{
	char *s = NULL;
	for (size_t i = 0; i < ch->n; i++)
		append(&s, " -> ", ch->link[i].name);
	append(&s, " -> ", last);
	return s;
}

static bool same_link(const struct chain_link *a, const struct chain_link *b)
{
	if (a->is_file && b->is_file)
		return a->dev == b->dev && a->ino == b->ino;
	return a->tmpl && b->tmpl && strcmp(a->tmpl, b->tmpl) == 0;
}

/* Adds `link` to the chain, refusing cycles and too deep nesting.  The
 * caller removes it again (chain->n--) after parsing. */
static int chain_enter(struct parse_ctx *c, const struct chain_link *link)
{
	struct chain *ch = c->chain;
	for (size_t i = 0; i < ch->n; i++) {
		if (same_link(&ch->link[i], link)) {
			_cleanup_free_ char *names = chain_names(ch, link->name);
			return fail(c, "cycle: %s", names);
		}
	}
	if (ch->n >= EXTENDS_MAX_DEPTH)
		return fail(c, "nested more than %d levels deep", EXTENDS_MAX_DEPTH);
	ch->link[ch->n++] = *link;
	return 0;
}

static char *template_list(void)
{
	const char *const *names = config_template_names();
	char *s = NULL;
	for (size_t i = 0; names[i]; i++)
		append(&s, ", ", names[i]);
	return s;
}

static int extends_template(struct parse_ctx *c, const char *name, struct gw_config *base)
{
	const char *text = config_template_text(name);
	if (!text) {
		_cleanup_free_ char *shown = config_text_escape(name);
		_cleanup_free_ char *known = template_list();
		return fail(c, "unknown template \"%s\" (built-in templates: %s)", shown, known);
	}
	_cleanup_free_ char *tname = xasprintf("template:%s", name);
	int r = chain_enter(c, &(struct chain_link){ .tmpl = name, .name = tname });
	if (r < 0)
		return r;
	r = parse_text(c->chain, tname, text, strlen(text), NULL, base, c->err);
	c->chain->n--;
	return r;
}

static int extends_path(struct parse_ctx *c, const char *spec, char **out)
{
	_cleanup_free_ char *shown = config_text_escape(spec);
	if (!c->base_dir)
		return fail(c, "\"%s\" is a file path, which is not allowed here (only built-in templates are)",
			    shown);
	if (spec[0] == '~' && spec[1] != '/')
		return fail(c, "\"%s\": only \"~/\" is expanded", shown);
	if (spec[0] == '~') {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return fail(c, "cannot expand \"%s\": HOME is not set", shown);
		*out = xasprintf("%s/%s", home, spec + 2);
	} else {
		*out = spec[0] == '/' ? xstrdup(spec) : xasprintf("%s/%s", c->base_dir, spec);
	}
	return 0;
}

static int extends_file(struct parse_ctx *c, const char *spec, struct gw_config *base)
{
	_cleanup_free_ char *path = NULL;
	struct file_data fd __attribute__((cleanup(file_data_free))) = { 0 };
	int r = extends_path(c, spec, &path);
	if (r < 0)
		return r;
	r = read_file(path, &fd, c->err);
	if (r < 0) {
		_cleanup_free_ char *where = here(c);
		gw_error_prefix(c->err, "%s", where);
		/* -ENOENT means "no config at all" to callers of
		 * config_load_file(); a missing base file must not. */
		return r == -ENOENT ? -EINVAL : r;
	}
	struct chain_link link = { .is_file = true, .dev = fd.st.st_dev, .ino = fd.st.st_ino,
				   .name = fd.real ? fd.real : path };
	r = chain_enter(c, &link);
	if (r < 0)
		return r;
	r = parse_file(c->chain, path, &fd, base, c->err);
	c->chain->n--;
	return r;
}

/* cfg := base with cfg merged over it; sources keep cfg's first. */
static void overlay(struct gw_config *base, struct gw_config *cfg)
{
	_cleanup_strv_ char **base_sources = steal_pointer(&base->sources);
	config_merge(base, cfg);
	char **sources = strv_union(base->sources, base_sources);
	gw_strv_free(base->sources);
	base->sources = sources;
	config_free(cfg);
	*cfg = *base;
}

static bool extends_is_path(const char *s)
{
	return strchr(s, '/') || gw_str_has_suffix(s, ".json") || gw_str_has_suffix(s, ".jsonc");
}

static int apply_extends(struct parse_ctx *c, struct gw_config *cfg)
{
	struct gw_config base;
	if (!c->extends)
		return 0;
	config_init(&base);
	int r = config_path_push_key(&c->path, "extends");
	if (r < 0)
		return r;
	if (extends_is_path(c->extends))
		r = extends_file(c, c->extends, &base);
	else
		r = extends_template(c, c->extends, &base);
	config_path_pop(&c->path);
	if (r < 0) {
		config_free(&base);
		return r;
	}
	overlay(&base, cfg);
	return 0;
}

static int parse_text(struct chain *chain, const char *name, const char *buf, size_t len,
		      const char *base_dir, struct gw_config *out, struct gw_error *err)
{
	struct parse_ctx c = { .name = name, .len = len, .base_dir = base_dir, .chain = chain,
			       .err = err };
	_cleanup_json_ json_object *root = NULL;
	_cleanup_free_ char *text = NULL;
	config_init(out);
	int r = config_jsonc_parse(name, buf, len, &text, &root, err);
	c.buf = text; /* same offsets, no comments */
	if (r == 0)
		r = parse_fields(&c, top_fields, root, out);
	if (r == 0)
		r = apply_extends(&c, out);
	if (r < 0)
		config_free(out);
	return r;
}

int config_parse_buffer(const char *name, const char *buf, size_t len, const char *base_dir,
			struct gw_config *out, struct gw_error *err)
{
	struct chain chain = { .n = 1, .link[0] = { .name = name } };
	return parse_text(&chain, name, buf, len, base_dir, out, err);
}

/* ---- files ---- */

static int too_big(const char *path, struct gw_error *err)
{
	return gw_error_set(err, -EFBIG, "%s: larger than 4 MiB, not a config file", path);
}

/* Regular files, and pipes so that a generated config can be passed as
 * <(...); a directory or a device is always a mistake. */
static int check_file_type(const char *path, const struct stat *st, struct gw_error *err)
{
	if (S_ISDIR(st->st_mode))
		return gw_error_set(err, -EISDIR, "%s: is a directory, not a config file", path);
	if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode))
		return gw_error_set(err, -EINVAL, "%s: not a regular file", path);
	if (st->st_size > (off_t)CONFIG_MAX_SIZE)
		return too_big(path, err);
	return 0;
}

/* O_NONBLOCK only for the open itself, which would otherwise wait for a
 * writer on a FIFO. */
static int open_config(const char *path, struct stat *st, struct gw_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return gw_error_set(err, -ENOENT, "%s: no such file", path);
	if (fd < 0)
		return gw_error_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, st) < 0)
		return gw_error_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
	int r = check_file_type(path, st, err);
	if (r < 0)
		return r;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return gw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	return steal_fd(&fd);
}

static int slurp(int fd, const char *path, struct file_data *out, struct gw_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gw_error_set(err, -errno, "%s: read error: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX_SIZE)
			return too_big(path, err);
	}
	out->buf = steal_pointer(&buf);
	out->len = len;
	return 0;
}

static int read_file(const char *path, struct file_data *out, struct gw_error *err)
{
	_cleanup_close_ int fd = open_config(path, &out->st, err);
	if (fd < 0)
		return fd;
	int r = slurp(fd, path, out, err);
	if (r < 0)
		return r;
	if (S_ISREG(out->st.st_mode))
		out->real = realpath(path, NULL);
	return 0;
}

int config_load_file(const char *path, struct gw_config *out, struct gw_error *err)
{
	struct file_data fd __attribute__((cleanup(file_data_free))) = { 0 };
	config_init(out);
	int r = read_file(path, &fd, err);
	if (r < 0)
		return r;
	struct chain chain = { .n = 1 };
	chain.link[0] = (struct chain_link){ .is_file = true, .dev = fd.st.st_dev,
					     .ino = fd.st.st_ino, .name = fd.real ? fd.real : path };
	return parse_file(&chain, path, &fd, out, err);
}

/* ---- serialisation ---- */

static json_object *fields_to_json(const struct field *fields, const struct gw_config *cfg);

static json_object *strv_to_json(char *const *v)
{
	if (!v || !v[0])
		return NULL;
	json_object *a = jcheck(json_object_new_array());
	for (size_t i = 0; v[i]; i++)
		if (json_object_array_add(a, jcheck(json_object_new_string(v[i]))) < 0)
			abort();
	return a;
}

static json_object *field_to_json(const struct field *f, const struct gw_config *cfg)
{
	const void *p = field_ptr(cfg, f);
	switch (f->type) {
	case FT_OBJECT:
		return fields_to_json(f->fields, cfg);
	case FT_STRING:
		if (!*(char *const *)p || !**(char *const *)p)
			return NULL;
		return jcheck(json_object_new_string(*(char *const *)p));
	case FT_STRV:
		return strv_to_json(*(char **const *)p);
	case FT_BOOL:
		return *(const bool *)p ? jcheck(json_object_new_boolean(1)) : NULL;
	case FT_TRISTATE:
		if (*(const enum gw_tristate *)p == GW_UNSET)
			return NULL;
		return jcheck(json_object_new_boolean(*(const enum gw_tristate *)p != GW_FALSE));
	case FT_EXTENDS:
		return NULL;
	}
	return NULL;
}

/* Only set fields, so that the output stays short; NULL when none is. */
static json_object *fields_to_json(const struct field *fields, const struct gw_config *cfg)
{
	json_object *obj = NULL;
	for (const struct field *f = fields; f->name; f++) {
		json_object *v = field_to_json(f, cfg);
		if (!v)
			continue;
		if (!obj)
			obj = jcheck(json_object_new_object());
		if (json_object_object_add(obj, f->name, v) < 0)
			abort();
	}
	return obj;
}

char *config_to_json(const struct gw_config *cfg)
{
	_cleanup_json_ json_object *obj = fields_to_json(top_fields, cfg);
	if (!obj)
		obj = jcheck(json_object_new_object());
	const char *s = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		abort();
	return xstrdup(s);
}

/* ---- default path ---- */

static bool path_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* $XDG_CONFIG_HOME, or ~/.config.  The XDG spec says a relative value is
 * invalid and must be ignored. */
static char *user_config_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		return xstrdup(xdg);
	return home && *home ? xasprintf("%s/.config", home) : NULL;
}

char *config_default_path(void)
{
	_cleanup_free_ char *dir = user_config_dir();
	const char *home = getenv("HOME");
	if (!dir)
		return NULL;
	_cleanup_free_ char *gdir = xasprintf("%s/greywall", dir);
	char *primary = xasprintf("%s/greywall.json", gdir);
	if (path_exists(primary) || path_exists(gdir) || !home || !*home)
		return primary;
	char *legacy = xasprintf("%s/.greywall.json", home);
	if (path_exists(legacy)) {
		free(primary);
		return legacy;
	}
	free(legacy);
	return primary;
}

/* ---- effective tristates ---- */

bool config_default_deny_read(const struct gw_config *cfg)
{
	return cfg->filesystem.default_deny_read != GW_FALSE;
}

bool config_use_default_commands(const struct gw_config *cfg)
{
	return cfg->command.use_defaults != GW_FALSE;
}

bool config_allow_local_outbound(const struct gw_config *cfg)
{
	if (cfg->network.allow_local_outbound == GW_UNSET)
		return cfg->network.allow_local_binding;
	return cfg->network.allow_local_outbound != GW_FALSE;
}
