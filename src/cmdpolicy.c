/* cmdpolicy.c: the command policy (spec section 7), see cmdpolicy.h.
 *
 * How a line is checked.  shlex.c lists every simple command the line would
 * run, once as bash reads it and once as POSIX sh (dash) does, since
 * greywall runs it with `sh -c` and sh is either; both readings must pass.
 * Each simple command is then checked in several *forms*: as written, and
 * again after each wrapper it starts with is peeled off (VAR=x, env, sudo,
 * nice, xargs, ...), so that `sudo -u root env FOO=1 git push` is matched as
 * itself, as `env FOO=1 git push`, as `FOO=1 git push` and as `git push`.
 * Every form goes through command.allow, command.deny, the default list and
 * the SSH policy in the spec's order.  Text a wrapper runs as a new command
 * line (sh -c STRING, eval, env -S, watch, su -c, ssh -o ProxyCommand=, a
 * shell reading a here-document) is parsed and checked one level deeper.
 *
 * Matching is the spec's string comparison: a form's words joined by single
 * spaces, its first word reduced to its basename, equals the rule or starts
 * with the rule plus a space.  Additions, each closing a way around it:
 *  - a word the shell would glob (`/usr/bin/g?t`, `pu*`) matches the rule
 *    word its pattern matches, since the glob may expand to it;
 *  - an expansion glued to text is a wildcard too (`push$x` may be `push`),
 *    and an unquoted word of expansions only may vanish (`$x git push`);
 *  - a rule ending in '=' (the default `dd if=`) matches any value, because
 *    `dd if=/dev/zero` never starts with "dd if= ".
 *
 * command.allow beats command.deny for the form it matches and for the
 * inner forms the allowed text spells out: allowing "sudo git push" allows
 * `sudo git push`, but allowing "env" does not allow `env git push`.  Text
 * run as a new command line is always checked on its own.
 *
 * Known limits.  This is a guard against surprising commands, not a
 * boundary (the sandbox is), and it does not see:
 *  - interpreters running code: python -c 'os.system(...)', perl -e,
 *    node -e, awk 'BEGIN { system(...) }';
 *  - scripts, aliases and functions, and programs that run commands from
 *    their own options or config (git -c alias.x='!...', make, flock,
 *    script -c, parallel, tmux, ...) beyond the wrappers in the table below;
 *  - reordered or extra options: `rm -fr` for "rm -rf", `git -C dir push`
 *    for "git push";
 *  - what only run time knows: a whole word that is an expansion ($CMD,
 *    "$x", $(echo git), ${x:-git push}), ${IFS} tricks, text piped into a
 *    shell (`echo 'git push' | sh`);
 *  - SSH host aliases and ProxyCommand lines from ssh_config;
 *  - nested zsh, fish and csh code is read as bash, so syntax of their own
 *    (zsh glob qualifiers, fish's bare (...)) can be misread.
 */
#include "cmdpolicy.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shlex.h"

/* Work one check may do: bytes of words produced, over all nested parses. */
#define CHECK_BUDGET ((size_t)32 << 20)
/* Longest command text quoted in a message. */
#define MSG_MAX 512

static const char *const default_denied[] = {
	"shutdown",
	"reboot",
	"halt",
	"poweroff",
	"init 0",
	"init 6",
	"systemctl poweroff",
	"systemctl reboot",
	"systemctl halt",
	"insmod",
	"rmmod",
	"modprobe",
	"kexec",
	"mkfs",
	"mkfs.ext2",
	"mkfs.ext3",
	"mkfs.ext4",
	"mkfs.xfs",
	"mkfs.btrfs",
	"mkfs.vfat",
	"mkfs.ntfs",
	"fdisk",
	"parted",
	"dd if=",
	"docker run -v /:/",
	"docker run --privileged",
	"chroot",
	"unshare",
	"nsenter",
	NULL,
};

const char *const *cmdpolicy_default_denied(void)
{
	return default_denied;
}

/* ---- rules ---- */

struct rule {
	const char *text; /* as configured, for messages */
	/* The spec's normalizeCommand(): tokenised, the first word reduced to
	 * its basename, joined by single spaces. */
	const char *norm;
	char *owned; /* norm, when it had to be built */
};

struct ruleset {
	struct rule *r;
	size_t n;
};

struct policy {
	struct ruleset allow, deny, defaults, ssh_allow, ssh_deny;
	const struct gw_config_ssh *ssh;
	bool use_defaults;
	bool ssh_active; /* some allowedHosts or deniedHosts */
	size_t budget;
	struct gw_error *err;
};

enum scope_kind { SCOPE_LOCAL, SCOPE_REMOTE };

/* What a command line is checked for. */
struct scope {
	struct policy *pol;
	enum scope_kind kind;
	enum shlex_dialect dialect;
	const char *host;   /* SCOPE_REMOTE: the ssh host */
	const char *remote; /* SCOPE_REMOTE: the whole remote command */
	const char *input;  /* stdin the commands of this line inherit */
};

/* filepath.Base: trailing slashes ignored, "/" stays "/". */
static char *base_name(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	while (n > 1 && s[n - 1] == '/')
		n--;
	for (p = s + n; p > s && p[-1] != '/'; p--)
		;
	if (p == s || n == 1)
		return xstrndup(s, n);
	return xstrndup(p, n - (size_t)(p - s));
}

static char *normalize(const char *text)
{
	_cleanup_strv_ char **w = shlex_split(text);
	size_t len = 1;
	char *r, *o;

	if (w[0]) {
		char *b = base_name(w[0]);

		free(w[0]);
		w[0] = b;
	}
	for (size_t i = 0; w[i]; i++)
		len += strlen(w[i]) + 1;
	r = o = xmalloc(len);
	*o = '\0';
	for (size_t i = 0; w[i]; i++)
		o += sprintf(o, "%s%s", i ? " " : "", w[i]);
	return r;
}

/* The built-in list is written normalised; configured rules are not. */
static void ruleset_init(struct ruleset *rs, const char *const *v, bool normal)
{
	*rs = (struct ruleset){ .n = gw_strv_len((char *const *)v) };
	rs->r = xcalloc(rs->n + 1, sizeof(*rs->r));
	for (size_t i = 0; i < rs->n; i++) {
		rs->r[i].text = v[i];
		rs->r[i].owned = normal ? NULL : normalize(v[i]);
		rs->r[i].norm = normal ? v[i] : rs->r[i].owned;
	}
}

static void ruleset_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i].owned);
	free(rs->r);
}

static void policy_init(struct policy *pol, const struct gw_config *cfg, struct gw_error *err)
{
	static const struct gw_config_ssh no_ssh;

	*pol = (struct policy){ .err = err, .ssh = cfg ? &cfg->ssh : &no_ssh };
	if (cfg) {
		const struct gw_config_command *cmd = &cfg->command;
		const struct gw_config_ssh *ssh = &cfg->ssh;

		ruleset_init(&pol->allow, (const char *const *)cmd->allow, false);
		ruleset_init(&pol->deny, (const char *const *)cmd->deny, false);
		ruleset_init(&pol->ssh_allow, (const char *const *)ssh->allowed_commands, false);
		ruleset_init(&pol->ssh_deny, (const char *const *)ssh->denied_commands, false);
	}
	ruleset_init(&pol->defaults, default_denied, true);
	pol->use_defaults = !cfg || cfg->command.use_defaults != GW_FALSE;
	pol->ssh_active = gw_strv_len(pol->ssh->allowed_hosts) ||
			  gw_strv_len(pol->ssh->denied_hosts);
}

static void policy_free(struct policy *pol)
{
	ruleset_free(&pol->allow);
	ruleset_free(&pol->deny);
	ruleset_free(&pol->defaults);
	ruleset_free(&pol->ssh_allow);
	ruleset_free(&pol->ssh_deny);
}

/* ---- messages ---- */

static const char *go_escape(char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	default:
		return NULL;
	}
}

/* Go's %q, which the spec's messages use; long text is cut. */
static char *go_quote(const char *s)
{
	size_t n = strlen(s), cut = n > MSG_MAX ? MSG_MAX : n;
	char *r = xmalloc(4 * cut + 8), *o = r;

	*o++ = '"';
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = go_escape((char)c);

		if (esc)
			o += sprintf(o, "%s", esc);
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	strcpy(o, cut < n ? "\"..." : "\"");
	return r;
}

static char *join_words(const struct shlex_cmd *c, size_t from)
{
	size_t len = 1;
	char *r, *o;

	for (size_t i = from; i < c->nwords; i++)
		len += strlen(c->words[i].text) + 1;
	r = o = xmalloc(len);
	*o = '\0';
	for (size_t i = from; i < c->nwords; i++)
		o += sprintf(o, "%s%s", i > from ? " " : "", c->words[i].text);
	return r;
}

static int blocked(const struct scope *sc, const struct shlex_cmd *c, const struct rule *rule,
		   bool is_default)
{
	_cleanup_free_ char *line = join_words(c, 0);
	_cleanup_free_ char *qc = go_quote(line);
	_cleanup_free_ char *qr = go_quote(rule->text);

	return gw_error_set(sc->pol->err, -EPERM,
			    "command blocked by %ssandbox command policy: %s matches %s",
			    is_default ? "default " : "", qc, qr);
}

/* "SSH command blocked: <reason> (host: h, command: c)", or without a
 * remote command "SSH blocked: <reason> (host: h)". */
static int ssh_blocked(const struct scope *sc, const char *host, const char *remote,
		       const char *reason)
{
	int cut = MSG_MAX;

	if (remote && *remote)
		return gw_error_set(sc->pol->err, -EPERM,
				    "SSH command blocked: %s (host: %.*s, command: %.*s%s)", reason,
				    cut, host, cut, remote, strlen(remote) > MSG_MAX ? "..." : "");
	return gw_error_set(sc->pol->err, -EPERM, "SSH blocked: %s (host: %.*s)", reason, cut,
			    host);
}

/* A remote sub-command refused: `command "sub" <what> "rule"`. */
static int remote_blocked(const struct scope *sc, const struct shlex_cmd *c, const char *what,
			  const struct rule *rule)
{
	_cleanup_free_ char *line = join_words(c, 0);
	_cleanup_free_ char *qc = go_quote(line);
	_cleanup_free_ char *qr = rule ? go_quote(rule->text) : NULL;
	_cleanup_free_ char *reason =
		xasprintf("command %s %s%s%s", qc, what, qr ? " " : "", qr ? qr : "");

	return ssh_blocked(sc, sc->host, sc->remote, reason);
}

/* ---- matching forms against rules ---- */

/* A form: the words of a simple command from `start`, the first reduced to
 * its basename. */
struct form {
	const struct shlex_cmd *c;
	size_t start;
	char *t0, *g0; /* basename of the first word's text and glob */
};

static void form_init(struct form *f, const struct shlex_cmd *c, size_t start)
{
	const struct shlex_word *w = &c->words[start];

	*f = (struct form){ .c = c, .start = start, .t0 = base_name(w->text) };
	f->g0 = w->glob ? base_name(w->glob) : NULL;
	/* A program name that is nothing but a pattern (`$dir/$tool`) would
	 * match every rule; like $CMD, it is left to the sandbox. */
	if (f->g0 && strspn(f->g0, "*") == strlen(f->g0)) {
		free(f->g0);
		f->g0 = NULL;
	}
}

static void form_free(struct form *f)
{
	free(f->t0);
	free(f->g0);
}

/* Walks a form in pieces: its words split at blanks, which is what
 * comparing the space-joined string does. */
struct cursor {
	const struct form *f;
	size_t word;
	const char *t, *g; /* positions in the current word's text and glob */
};

struct piece {
	const char *t, *g;
	size_t tn, gn;
};

/* What separates words in the joined string (a quoted word may hold them). */
#define SEPS " \t\n"

static bool is_sep(char c)
{
	return c && strchr(SEPS, c);
}

static size_t glob_piece_len(const char *g)
{
	size_t n = 0;

	while (g[n] && !is_sep(g[n]))
		n += g[n] == '\\' && g[n + 1] ? 2 : 1;
	return n;
}

static bool next_piece(struct cursor *cu, struct piece *p)
{
	for (;;) {
		while (is_sep(*cu->t))
			cu->t++;
		while (cu->g && is_sep(*cu->g))
			cu->g++;
		if (*cu->t || (cu->g && *cu->g))
			break;
		if (++cu->word >= cu->f->c->nwords)
			return false;
		cu->t = cu->f->c->words[cu->word].text;
		cu->g = cu->f->c->words[cu->word].glob;
	}
	p->t = cu->t;
	p->tn = strcspn(cu->t, SEPS);
	cu->t += p->tn;
	p->g = cu->g;
	p->gn = cu->g ? glob_piece_len(cu->g) : 0;
	if (cu->g)
		cu->g += p->gn;
	return true;
}

/* Piece p against the rule word rw[0..n); `last` marks the rule's last. */
static bool piece_matches(const struct piece *p, const char *rw, size_t n, bool last)
{
	if (last && rw[n - 1] == '=') /* "dd if=" matches "dd if=/dev/zero" */
		return p->tn >= n && memcmp(p->t, rw, n) == 0;
	if (p->g && p->gn) {
		_cleanup_free_ char *pat = xstrndup(p->g, p->gn);
		_cleanup_free_ char *w = xstrndup(rw, n);

		return fnmatch(pat, w, 0) == 0;
	}
	return p->tn == n && memcmp(p->t, rw, n) == 0;
}

/* On a match, *end is the index after the last word the rule spelled out. */
static bool rule_matches(const struct form *f, const struct rule *rule, size_t *end)
{
	struct cursor cu = { .f = f, .word = f->start, .t = f->t0, .g = f->g0 };
	const char *rw = rule->norm + strspn(rule->norm, SEPS);
	struct piece p;

	if (!*rw)
		return false;
	while (*rw) {
		size_t n = strcspn(rw, SEPS);
		const char *next = rw + n + strspn(rw + n, SEPS);

		if (!next_piece(&cu, &p) || !piece_matches(&p, rw, n, *next == '\0'))
			return false;
		rw = next;
	}
	*end = cu.word + 1;
	return true;
}

static const struct rule *match_set(const struct ruleset *rs, const struct form *f, size_t *end)
{
	size_t e;

	for (size_t i = 0; i < rs->n; i++)
		if (rule_matches(f, &rs->r[i], end ? end : &e))
			return &rs->r[i];
	return NULL;
}

/* The form's first word is `name`, or a glob that may expand to it. */
static bool first_word_is(const struct form *f, const char *name)
{
	return f->g0 ? fnmatch(f->g0, name, 0) == 0 : strcmp(f->t0, name) == 0;
}

/* ---- wrappers ---- */

struct wrapper;

/* A form whose first word is a wrapper, being peeled. */
struct peel {
	struct scope *sc;
	const struct shlex_cmd *c;
	size_t i;            /* the wrapper's word */
	unsigned char *mark; /* forms still to check */
	const struct wrapper *wr;
};

/* Returns how many inner forms it marked and command lines it checked. */
typedef int peel_fn(const struct peel *p);

/* A program that runs another command given on its command line. */
struct wrapper {
	const char *name;
	peel_fn *peel;
	const char *vals;    /* short options taking a value (attached or next word) */
	const char *optvals; /* short options whose value can only be attached */
	const char *stops;   /* short options after which no command runs */
	const char *const *longvals; /* long options taking the next word */
	int operands;        /* operands before the command (timeout DURATION) */
};

static int check_line(struct scope *sc, const char *text, int depth);

static const char *word(const struct shlex_cmd *c, size_t i)
{
	return c->words[i].text;
}

static bool in_set(const char *set, char ch)
{
	return set && ch && strchr(set, ch);
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Marks the form starting at word j as one to check; returns how many
 * forms were added (0 when nothing follows). */
static int mark_at(const struct peel *p, size_t j)
{
	if (j >= p->c->nwords)
		return 0;
	p->mark[j] = 1;
	return 1;
}

/* Checks `text` as a command line that the command being peeled runs. */
static int reparse(const struct peel *p, const char *text, enum shlex_dialect d)
{
	struct scope sub = *p->sc;
	int r;

	sub.dialect = d;
	sub.input = p->c->input ? p->c->input : p->sc->input;
	r = check_line(&sub, text, p->c->depth + 1);
	return r < 0 ? r : 1;
}

/* Commands that read every word after them (find, su, ssh: options may
 * follow operands) would read them again for each nested one, so the
 * reading is charged to the check's budget. */
static int charge_words(struct policy *pol, const struct shlex_cmd *c, size_t from)
{
	size_t cost = (c->nwords - from) * sizeof(struct shlex_word);

	if (pol->budget < cost)
		return gw_error_set(pol->err, -E2BIG, "command line too complex to check");
	pol->budget -= cost;
	return 0;
}

static int charge_scan(const struct peel *p, size_t from)
{
	return charge_words(p->sc->pol, p->c, from);
}

struct optscan {
	size_t next;         /* first operand */
	bool stop;           /* an option that means no command runs */
	char want;           /* short option whose value to keep (env -S) */
	const char *want_long;
	const char *value;   /* its value */
	size_t value_end;    /* index after the word holding the value */
};

static size_t long_opt(const struct peel *p, size_t i, const char *a, struct optscan *os)
{
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	bool wanted = os->want_long && strlen(os->want_long) == n && !strncmp(a, os->want_long, n);

	if (!eq && in_list(p->wr->longvals, a) && i < p->c->nwords) {
		if (wanted) {
			os->value = word(p->c, i);
			os->value_end = i + 1;
		}
		return i + 1;
	}
	if (eq && wanted) {
		os->value = eq + 1;
		os->value_end = i;
	}
	return i;
}

static size_t short_opts(const struct peel *p, size_t i, const char *a, struct optscan *os)
{
	for (const char *o = a + 1; *o; o++) {
		const char *v;

		os->stop |= in_set(p->wr->stops, *o);
		if (in_set(p->wr->optvals, *o))
			break;
		if (!in_set(p->wr->vals, *o))
			continue;
		v = o[1] ? o + 1 : i < p->c->nwords ? word(p->c, i++) : NULL;
		if (*o == os->want && v) {
			os->value = v;
			os->value_end = i;
		}
		break;
	}
	return i;
}

/* A wrapper's options follow it and end at "--" or the first word not
 * starting with '-' (these tools use getopt's "+" mode). */
static void scan_opts(const struct peel *p, struct optscan *os)
{
	size_t i = p->i + 1;

	while (i < p->c->nwords) {
		const char *a = word(p->c, i);

		if (a[0] != '-' || a[1] == '\0')
			break;
		i++;
		if (strcmp(a, "--") == 0)
			break;
		i = a[1] == '-' ? long_opt(p, i, a, os) : short_opts(p, i, a, os);
	}
	os->next = i;
}

static int peel_generic(const struct peel *p)
{
	struct optscan os = { 0 };

	scan_opts(p, &os);
	if (os.stop)
		return 0;
	return mark_at(p, os.next + (size_t)p->wr->operands);
}

/* Reserved words and prefixes without options: { ! if then do coproc... */
static int peel_next(const struct peel *p)
{
	return mark_at(p, p->i + 1);
}

static int peel_function(const struct peel *p)
{
	return mark_at(p, p->i + 2);
}

static bool is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* chrt [options] [priority] command: the priority is optional for some
 * policies, so a numeric operand is skipped when present. */
static int peel_chrt(const struct peel *p)
{
	struct optscan os = { 0 };
	size_t j;

	scan_opts(p, &os);
	if (os.stop)
		return 0;
	j = os.next;
	if (j < p->c->nwords && is_number(word(p->c, j)))
		j++;
	return mark_at(p, j);
}

/* The words from `from`, shell-quoted and joined: a line that gives them
 * back.  (One allocation: a line can have hundreds of thousands.) */
static char *quote_words(const struct shlex_cmd *c, size_t from)
{
	size_t n = c->nwords > from ? c->nwords - from : 0, len = 1;
	_cleanup_strv_ char **q = xcalloc(n + 1, sizeof(*q));
	char *r, *o;

	for (size_t i = 0; i < n; i++) {
		q[i] = gw_shell_quote(word(c, from + i));
		len += strlen(q[i]) + 1;
	}
	r = o = xmalloc(len);
	*o = '\0';
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%s%s", i ? " " : "", q[i]);
	return r;
}

/* env -S STRING splits STRING into arguments that env then processes as if
 * given directly, so it is read as the line "env STRING rest...".  A \_ in
 * STRING stands for a separating space. */
static int peel_env_split(const struct peel *p, const struct optscan *os)
{
	_cleanup_free_ char *joined = quote_words(p->c, os->value_end);
	_cleanup_free_ char *line = xasprintf("env %s %s", os->value, joined);

	for (char *s = line; (s = strstr(s, "\\_")); s++) {
		s[0] = ' ';
		s[1] = ' ';
	}
	return reparse(p, line, p->sc->dialect);
}

static int peel_env(const struct peel *p)
{
	struct optscan os = { .want = 'S', .want_long = "--split-string" };

	scan_opts(p, &os);
	if (os.value)
		return peel_env_split(p, &os);
	return mark_at(p, os.next);
}

/* The words from `from` joined with spaces, run as a command line. */
static int reparse_joined(const struct peel *p, size_t from)
{
	_cleanup_free_ char *line = NULL;

	if (from >= p->c->nwords)
		return 0;
	line = join_words(p->c, from);
	return reparse(p, line, p->sc->dialect);
}

static int peel_eval(const struct peel *p)
{
	size_t j = p->i + 1;

	if (j < p->c->nwords && strcmp(word(p->c, j), "--") == 0)
		j++;
	return reparse_joined(p, j);
}

/* watch runs its arguments joined with spaces through sh -c. */
static int peel_watch(const struct peel *p)
{
	struct optscan os = { 0 };

	scan_opts(p, &os);
	return reparse_joined(p, os.next);
}

/* The dialect a nested shell reads its -c string in. */
static enum shlex_dialect shell_dialect(const char *name, enum shlex_dialect cur)
{
	if (strcmp(name, "sh") == 0)
		return cur;
	if (!strcmp(name, "dash") || !strcmp(name, "ash") || !strcmp(name, "posh"))
		return SHLEX_POSIX;
	return SHLEX_BASH;
}

/* A shell without -c and without a script operand (or with -s) runs its
 * stdin: a here-document or here-string, when the line has one. */
static int shell_stdin(const struct peel *p, enum shlex_dialect d)
{
	const char *in = p->c->input ? p->c->input : p->sc->input;

	return in ? reparse(p, in, d) : 0;
}

/* sh and friends: with 'c' in an option cluster (-c, -lc, -ec...), the
 * first operand after the options is a command line.  -o/-O take a value
 * each, as do --rcfile, --init-file and zsh's --emulate. */
static int peel_shell(const struct peel *p)
{
	static const char *const longvals[] = { "--rcfile", "--init-file", "--emulate", NULL };
	enum shlex_dialect d = shell_dialect(p->wr->name, p->sc->dialect);
	bool want_c = false, want_s = false;
	size_t j = p->i + 1, n = p->c->nwords;

	while (j < n) {
		const char *a = word(p->c, j);

		if ((a[0] != '-' && a[0] != '+') || a[1] == '\0')
			break;
		j++;
		if (strcmp(a, "--") == 0 || strcmp(a, "-") == 0)
			break;
		if (a[1] == '-') {
			j += in_list(longvals, a);
			continue;
		}
		for (const char *o = a + 1; *o; o++) {
			want_c |= a[0] == '-' && *o == 'c';
			want_s |= *o == 's';
			j += *o == 'o' || *o == 'O';
		}
	}
	if (want_c)
		return j < n ? reparse(p, word(p->c, j), d) : 0;
	if (j >= n || want_s)
		return shell_stdin(p, d);
	return 0;
}

/* One fish option: -c/--command and -C/--init-command are command lines;
 * *has_c records -c.  Returns the index after the option. */
static size_t fish_opt(const struct peel *p, size_t j, bool *has_c, int *r)
{
	static const char *const longs[] = { "--command", "--init-command", "--debug",
					     "--debug-output", "--features", "--profile",
					     "--profile-startup", NULL };
	const char *a = word(p->c, j++), *eq = strchr(a, '='), *v = NULL;
	char opt;

	if (a[1] == '-') {
		opt = 0;
		if (!strncmp(a, "--command", 9))
			opt = 'c';
		else if (!strncmp(a, "--init-command", 14))
			opt = 'C';
		v = eq ? eq + 1 : in_list(longs, a) && j < p->c->nwords ? word(p->c, j++) : NULL;
	} else {
		const char *o = a + 1 + strspn(a + 1, "ilnNPvh");

		opt = *o;
		if (in_set("cCdfopD", opt))
			v = o[1] ? o + 1 : j < p->c->nwords ? word(p->c, j++) : NULL;
	}
	*has_c |= opt == 'c';
	if (v && (opt == 'c' || opt == 'C'))
		*r = reparse(p, v, SHLEX_BASH);
	return j;
}

static int peel_fish(const struct peel *p)
{
	bool has_c = false;
	size_t j = p->i + 1;
	int r = 0;

	while (j < p->c->nwords && r >= 0) {
		const char *a = word(p->c, j);

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			j++;
			break;
		}
		j = fish_opt(p, j, &has_c, &r);
	}
	if (r < 0 || has_c || j < p->c->nwords)
		return r < 0 ? r : has_c;
	return shell_stdin(p, SHLEX_BASH);
}

/* One su/runuser option at word j: -c/--command/--session-command values
 * are command lines.  Returns the index after it. */
static size_t su_opt(const struct peel *p, size_t j, bool *user, int *r)
{
	static const char *const longvals[] = { "--command", "--session-command", "--group",
						"--supp-group", "--shell",
						"--whitelist-environment", "--user", NULL };
	const char *a = word(p->c, j++), *v = NULL, *o;
	bool cmd;

	if (a[1] == '-') {
		const char *eq = strchr(a, '=');

		cmd = !strncmp(a, "--command", 9) || !strncmp(a, "--session-command", 17);
		*user |= !strncmp(a, "--user", 6);
		v = eq ? eq + 1 : in_list(longvals, a) && j < p->c->nwords ? word(p->c, j++) : NULL;
	} else {
		for (o = a + 1; *o && !in_set("cgGswu", *o); o++)
			;
		if (*o)
			v = o[1] ? o + 1 : j < p->c->nwords ? word(p->c, j++) : NULL;
		cmd = *o == 'c';
		*user |= *o == 'u';
	}
	if (cmd && v)
		*r = reparse(p, v, p->sc->dialect);
	return j;
}

/* su/runuser -c CMD runs CMD through a shell, and options may come after
 * operands (getopt permutes).  runuser -u USER runs the command that
 * follows its options. */
static int peel_su(const struct peel *p)
{
	bool user = false;
	size_t j = p->i + 1, operand = 0;
	int r = charge_scan(p, j), n = 0;

	while (j < p->c->nwords && r >= 0) {
		const char *a = word(p->c, j);

		if (strcmp(a, "--") == 0) {
			operand = operand ? operand : j + 1;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			operand = operand ? operand : j;
			j++;
			continue;
		}
		j = su_opt(p, j, &user, &r);
		n += r > 0;
	}
	if (r < 0)
		return r;
	if (user && strcmp(p->wr->name, "runuser") == 0)
		n += mark_at(p, operand ? operand : p->c->nwords);
	return n;
}

/* find ... -exec CMD ... ; (and -execdir, -ok, -okdir). */
static int peel_find(const struct peel *p)
{
	static const char *const acts[] = { "-exec", "-execdir", "-ok", "-okdir", NULL };
	int n = charge_scan(p, p->i + 1);

	for (size_t j = p->i + 1; n >= 0 && j + 1 < p->c->nwords; j++)
		if (in_list(acts, word(p->c, j)))
			n += mark_at(p, j + 1);
	return n;
}

/* ---- ssh ---- */

/* Strings collected from ssh options; a line can hold thousands of -J. */
struct strs {
	char **v;
	size_t n, cap;
};

static void strs_add(struct strs *s, const char *str, size_t len)
{
	if (s->n == s->cap) {
		s->cap = 2 * s->cap + 4;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrndup(str, len);
}

static void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

struct ssh_args {
	const char *host;   /* as written: [user@]host, or an ssh:// URI */
	size_t cmd_start;   /* first word of the remote command */
	struct strs hops;   /* -J and -o ProxyJump/HostName hosts */
	struct strs execs;  /* -o ProxyCommand/LocalCommand/KnownHostsCommand */
};

static void ssh_args_free(struct ssh_args *sa)
{
	strs_free(&sa->hops);
	strs_free(&sa->execs);
}

static void ssh_add_hops(struct ssh_args *sa, const char *list)
{
	for (const char *h = list; *h; h += *h == ',') {
		size_t n = strcspn(h, ",");

		if (n)
			strs_add(&sa->hops, h, n);
		h += n;
	}
}

static bool key_is(const char *kv, size_t k, const char *name)
{
	return strlen(name) == k && strncasecmp(kv, name, k) == 0;
}

/* -o Key=Value or "Key Value": options that run local commands or change
 * which host is reached. */
static void ssh_option(struct ssh_args *sa, const char *kv)
{
	size_t k = strcspn(kv, "= \t");
	const char *v = kv + k + strspn(kv + k, " \t");

	v += *v == '=';
	v += strspn(v, " \t");
	if (key_is(kv, k, "ProxyCommand") || key_is(kv, k, "LocalCommand") ||
	    key_is(kv, k, "KnownHostsCommand"))
		strs_add(&sa->execs, v, strlen(v));
	else if (key_is(kv, k, "HostName"))
		strs_add(&sa->hops, v, strlen(v));
	else if (key_is(kv, k, "ProxyJump"))
		ssh_add_hops(sa, v);
}

/* ssh [options] [user@]host [command...]; options are clustered getopt
 * flags, and those in `vals` take a value (spec 7.3 lists them; the
 * cluster rule also reads -vp 2222 right). */
static int ssh_parse(struct policy *pol, const struct shlex_cmd *c, size_t i, struct ssh_args *sa)
{
	static const char vals[] = "BbcDEeFIiJLlmOoPpQRSWw";
	size_t j = i + 1;
	int r = charge_words(pol, c, j);

	if (r < 0)
		return r;

	while (j < c->nwords) {
		const char *a = word(c, j), *o;

		if (a[0] != '-' || a[1] == '\0')
			break;
		j++;
		if (strcmp(a, "--") == 0)
			break;
		for (o = a + 1; *o && !strchr(vals, *o); o++)
			;
		if (*o) {
			const char *v = o[1] ? o + 1 : j < c->nwords ? word(c, j++) : NULL;

			if (v && *o == 'o')
				ssh_option(sa, v);
			else if (v && *o == 'J')
				ssh_add_hops(sa, v);
		}
	}
	sa->host = j < c->nwords ? word(c, j) : NULL;
	sa->cmd_start = j + 1;
	return 0;
}

/* ProxyCommand and friends are command lines ssh runs where it runs. */
static int peel_ssh(const struct peel *p)
{
	struct ssh_args sa = { 0 };
	int r = ssh_parse(p->sc->pol, p->c, p->i, &sa), n = 0;

	for (size_t k = 0; k < sa.execs.n && r >= 0; k++, n++)
		r = reparse(p, sa.execs.v[k], p->sc->dialect);
	ssh_args_free(&sa);
	return r < 0 ? r : n;
}

/* The host part of [user@]host (what spec 7.3 strips), of
 * ssh://[user@]host[:port][/...] and, with `port`, of a ProxyJump entry
 * [user@]host[:port]. */
static char *ssh_host(const char *h, bool port)
{
	const char *at, *end;

	if (strncmp(h, "ssh://", 6) == 0) {
		h += 6;
		port = true;
	}
	end = port && strchr(h, '/') ? strchr(h, '/') : h + strlen(h);
	for (at = end; at > h && at[-1] != '@'; at--)
		;
	h = at;
	if (port && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		return xstrndup(h + 1, rb ? (size_t)(rb - h - 1) : (size_t)(end - h - 1));
	}
	if (port) {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			end = colon;
	}
	return xstrndup(h, (size_t)(end - h));
}

/* Host patterns: case-insensitive, '*' matches any run of characters. */
static bool host_match(const char *pat, const char *host)
{
	const char *star = NULL, *retry = NULL;

	while (*host) {
		if (*pat == '*') {
			star = pat++;
			retry = host;
		} else if (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*host)) {
			pat++;
			host++;
		} else if (star) {
			pat = star + 1;
			host = ++retry;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int ssh_check_host(const struct scope *sc, const char *host, const char *remote)
{
	char *const *denied = sc->pol->ssh->denied_hosts;
	char *const *allowed = sc->pol->ssh->allowed_hosts;
	bool ok = !allowed || !allowed[0];

	for (size_t i = 0; denied && denied[i]; i++) {
		if (host_match(denied[i], host)) {
			_cleanup_free_ char *q = go_quote(denied[i]);
			_cleanup_free_ char *reason =
				xasprintf("host matches denied pattern %s", q);

			return ssh_blocked(sc, host, remote, reason);
		}
	}
	for (size_t i = 0; allowed && allowed[i] && !ok; i++)
		ok = host_match(allowed[i], host);
	if (!ok)
		return ssh_blocked(sc, host, remote, "host not in allowedHosts");
	return 0;
}

/* The remote command: the words after the host, or, without them, a
 * here-document fed to ssh, which the remote shell runs. */
static char *ssh_remote(const struct scope *sc, const struct shlex_cmd *c, size_t from)
{
	const char *in = c->input ? c->input : sc->input;

	if (from >= c->nwords)
		return xstrdup(in ? in : "");
	return join_words(c, from);
}

/* The SSH policy (spec 7.3) for an ssh form: every host it reaches, then
 * each sub-command of the remote command. */
static int ssh_check(struct scope *sc, const struct shlex_cmd *c, size_t i)
{
	struct ssh_args sa = { 0 };
	_cleanup_free_ char *host = NULL, *remote = NULL;
	int r = ssh_parse(sc->pol, c, i, &sa);

	if (r == 0 && sa.host) {
		host = ssh_host(sa.host, false);
		remote = ssh_remote(sc, c, sa.cmd_start);
		r = ssh_check_host(sc, host, remote);
	}
	for (size_t k = 0; r == 0 && host && k < sa.hops.n; k++) {
		_cleanup_free_ char *hop = ssh_host(sa.hops.v[k], true);

		r = ssh_check_host(sc, hop, remote);
	}
	ssh_args_free(&sa);
	if (r == 0 && remote && *remote) {
		struct scope rs = { .pol = sc->pol, .kind = SCOPE_REMOTE, .dialect = sc->dialect,
				    .host = host, .remote = remote };

		r = check_line(&rs, remote, c->depth + 1);
	}
	return r;
}

/* ---- the wrapper table ---- */

#define W(n, fn, ...) { .name = (n), .peel = (fn), __VA_ARGS__ }

static const char *const env_long[] = { "--unset", "--chdir", "--split-string", "--argv0", NULL };
static const char *const sudo_long[] = { "--user", "--group", "--close-from", "--chdir", "--host",
					 "--prompt", "--role", "--type", "--other-user",
					 "--command-timeout", "--chroot", "--login-class",
					 "--auth-type", NULL };
static const char *const nice_long[] = { "--adjustment", NULL };
static const char *const time_long[] = { "--format", "--output", NULL };
static const char *const timeout_long[] = { "--signal", "--kill-after", NULL };
static const char *const stdbuf_long[] = { "--input", "--output", "--error", NULL };
static const char *const xargs_long[] = { "--arg-file", "--delimiter", "--max-args", "--max-procs",
					  "--max-chars", "--process-slot-var", NULL };
static const char *const chrt_long[] = { "--sched-runtime", "--sched-period", "--sched-deadline",
					 NULL };
static const char *const ionice_long[] = { "--class", "--classdata", "--pid", "--pgid", "--uid",
					   NULL };
static const char *const watch_long[] = { "--interval", "--equexit", NULL };
static const char *const user_long[] = { "--user", NULL };

static const struct wrapper wrappers[] = {
	W("env", peel_env, .vals = "uCSPa", .longvals = env_long),
	W("sudo", peel_generic, .vals = "aCcDghpRrTtUu", .longvals = sudo_long),
	W("doas", peel_generic, .vals = "aCu"),
	W("pkexec", peel_generic, .longvals = user_long),
	W("command", peel_generic, .stops = "vV"), /* command -v is a lookup */
	W("exec", peel_generic, .vals = "a"),
	W("builtin", peel_generic),
	W("nice", peel_generic, .vals = "n", .longvals = nice_long),
	W("nohup", peel_generic),
	W("time", peel_generic, .vals = "fo", .longvals = time_long),
	W("timeout", peel_generic, .vals = "sk", .longvals = timeout_long, .operands = 1),
	W("stdbuf", peel_generic, .vals = "ioe", .longvals = stdbuf_long),
	W("setsid", peel_generic),
	W("xargs", peel_generic, .vals = "aEILnPsd", .optvals = "eil", .longvals = xargs_long),
	W("chrt", peel_chrt, .vals = "TPD", .stops = "p", .longvals = chrt_long),
	W("ionice", peel_generic, .vals = "cnpPu", .stops = "pPu", .longvals = ionice_long),
	W("taskset", peel_generic, .stops = "p", .operands = 1),
	W("unbuffer", peel_generic),
	W("watch", peel_watch, .vals = "nq", .optvals = "d", .longvals = watch_long),
	W("eval", peel_eval),
	W("su", peel_su),
	W("runuser", peel_su),
	W("find", peel_find),
	W("ssh", peel_ssh),
	W("busybox", peel_next),
	W("coproc", peel_next),
	W("function", peel_function),
	/* Reserved words that may precede a command. */
	W("{", peel_next), W("}", peel_next), W("!", peel_next), W("if", peel_next),
	W("then", peel_next), W("elif", peel_next), W("else", peel_next), W("while", peel_next),
	W("until", peel_next), W("do", peel_next),
	/* Nested shells. */
	W("sh", peel_shell), W("bash", peel_shell), W("rbash", peel_shell), W("dash", peel_shell),
	W("ash", peel_shell), W("zsh", peel_shell), W("ksh", peel_shell), W("ksh93", peel_shell),
	W("mksh", peel_shell), W("lksh", peel_shell), W("oksh", peel_shell), W("pdksh", peel_shell),
	W("yash", peel_shell), W("posh", peel_shell), W("csh", peel_shell), W("tcsh", peel_shell),
	W("fish", peel_fish),
};

/* What the form runs: after assignments or a word that may expand to
 * nothing, the next word; after a wrapper, the command it wraps (a glob in
 * the first word tries every wrapper it may name).  Returns the number of
 * inner forms and command lines found, 0 for a plain command. */
static int peel(struct scope *sc, const struct form *f, unsigned char *mark)
{
	struct peel p = { .sc = sc, .c = f->c, .i = f->start, .mark = mark };
	size_t i = f->start;
	int n = 0;

	if (shlex_is_assignment(word(f->c, i))) {
		while (i < f->c->nwords && shlex_is_assignment(word(f->c, i)))
			i++;
		return mark_at(&p, i);
	}
	if (f->c->words[i].may_vanish)
		n += mark_at(&p, i + 1);
	for (size_t k = 0; k < sizeof(wrappers) / sizeof(wrappers[0]); k++) {
		int r;

		if (!first_word_is(f, wrappers[k].name))
			continue;
		p.wr = &wrappers[k];
		r = wrappers[k].peel(&p);
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}

/* ---- checking ---- */

/* Local forms, in the spec's order: allow (which also covers the inner
 * forms the rule spells out), deny, defaults, SSH. */
static int check_local(struct scope *sc, const struct form *f, size_t *covered)
{
	struct policy *pol = sc->pol;
	const struct rule *rule;
	size_t end;

	if (f->start < *covered)
		return 0;
	if (match_set(&pol->allow, f, &end)) {
		*covered = end > *covered ? end : *covered;
		return 0;
	}
	rule = match_set(&pol->deny, f, NULL);
	if (rule)
		return blocked(sc, f->c, rule, false);
	rule = pol->use_defaults ? match_set(&pol->defaults, f, NULL) : NULL;
	if (rule)
		return blocked(sc, f->c, rule, true);
	if (pol->ssh_active && first_word_is(f, "ssh"))
		return ssh_check(sc, f->c, f->start);
	return 0;
}

/* Remote forms: every denial applies to every form. */
static int check_remote_deny(struct scope *sc, const struct form *f)
{
	struct policy *pol = sc->pol;
	const struct rule *rule;

	if (pol->ssh->inherit_deny) {
		rule = match_set(&pol->deny, f, NULL);
		if (rule)
			return remote_blocked(sc, f->c, "matches inherited global deny", rule);
		rule = pol->use_defaults ? match_set(&pol->defaults, f, NULL) : NULL;
		if (rule)
			return remote_blocked(sc, f->c, "matches inherited default deny", rule);
	}
	rule = match_set(&pol->ssh_deny, f, NULL);
	if (rule)
		return remote_blocked(sc, f->c, "matches ssh.deniedCommands", rule);
	return 0;
}

/* Shell syntax, not programs: `fi` alone needs no allowlist entry. */
static bool is_reserved(const char *w)
{
	static const char *const kw[] = { "{", "}", "!", "if", "then", "elif", "else", "fi",
					   "while", "until", "do", "done", "for", "select", "case",
					   "esac", "function", "time", "[[", "]]", "coproc", NULL };

	return in_list(kw, w);
}

/* In allowlist mode a wrapper passes (what it runs is checked); a form that
 * runs nothing further must be allowed itself or by an outer rule. */
static int check_remote_allow(struct scope *sc, const struct form *f, size_t *covered, bool leaf)
{
	struct policy *pol = sc->pol;
	size_t end;

	if (pol->ssh->allow_all_commands || f->start < *covered)
		return 0;
	if (match_set(&pol->ssh_allow, f, &end)) {
		*covered = end > *covered ? end : *covered;
		return 0;
	}
	if (!leaf || is_reserved(f->t0))
		return 0;
	if (pol->ssh_allow.n == 0)
		return ssh_blocked(sc, sc->host, sc->remote,
				   "no ssh.allowedCommands configured "
				   "(allowlist mode requires explicit commands)");
	return remote_blocked(sc, f->c, "not in ssh.allowedCommands", NULL);
}

static int check_form(struct scope *sc, const struct shlex_cmd *c, size_t i, unsigned char *mark,
		      size_t *covered)
{
	struct form f;
	int r;

	form_init(&f, c, i);
	if (sc->kind == SCOPE_LOCAL) {
		r = check_local(sc, &f, covered);
		if (r == 0)
			r = peel(sc, &f, mark);
	} else {
		r = check_remote_deny(sc, &f);
		if (r == 0)
			r = peel(sc, &f, mark);
		if (r >= 0)
			r = check_remote_allow(sc, &f, covered, r == 0);
	}
	form_free(&f);
	return r < 0 ? r : 0;
}

/* Forms start at word 0 and wherever peeling marks; peeling only marks
 * later words, so one pass in order sees them all, outer before inner. */
static int check_cmd(struct scope *sc, const struct shlex_cmd *c)
{
	_cleanup_free_ unsigned char *mark = xcalloc(c->nwords + 1, 1);
	size_t covered = 0;
	int r = 0;

	mark[0] = 1;
	for (size_t i = 0; i < c->nwords && r == 0; i++)
		if (mark[i])
			r = check_form(sc, c, i, mark, &covered);
	return r;
}

/* Parses and checks one command line.  A syntax error fails the check,
 * except in the POSIX reading: dash stops at a syntax error after running
 * the lines before it (which are checked), and bash-only syntax such as
 * $'\'' is an error there. */
static int check_line(struct scope *sc, const char *text, int depth)
{
	struct shlex_opts o = {
		.dialect = sc->dialect,
		.depth = depth,
		.budget = &sc->pol->budget,
	};
	struct shlex_list l = { 0 };
	struct gw_error perr = { 0 };
	int pr = shlex_parse(text, &o, &l, &perr), r = 0;

	for (size_t i = 0; i < l.n && r == 0; i++)
		r = check_cmd(sc, &l.cmds[i]);
	if (r == 0 && pr < 0 && !(pr == -EINVAL && sc->dialect == SHLEX_POSIX))
		r = gw_error_set(sc->pol->err, pr, "%s", perr.msg ? perr.msg : "parse error");
	gw_error_clear(&perr);
	shlex_list_free(&l);
	return r;
}

int cmdpolicy_check(const struct gw_config *cfg, const char *command_line, struct gw_error *err)
{
	static const enum shlex_dialect dialects[] = { SHLEX_BASH, SHLEX_POSIX };
	struct policy pol;
	int r = 0;

	if (!command_line)
		return gw_error_set(err, -EINVAL, "no command line to check");
	policy_init(&pol, cfg, err);
	for (size_t d = 0; d < 2 && r == 0; d++) {
		struct scope sc = { .pol = &pol, .kind = SCOPE_LOCAL, .dialect = dialects[d] };

		pol.budget = CHECK_BUDGET;
		r = check_line(&sc, command_line, 0);
	}
	policy_free(&pol);
	if (r == -E2BIG || r == -EINVAL) {
		gw_error_prefix(err, "cannot check command line");
		r = -EINVAL;
	}
	return r;
}
