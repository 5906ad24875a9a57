/* shlex.c: see shlex.h.
 *
 * A recursive-descent reader over the raw text.  shlex_lex_list() reads a
 * list of commands up to a terminator (end of text or the ')' of "$(" and
 * "("); shlex_read_word() reads one word and recurses into shlex_lex_list()
 * for $(...), so that quoting, comments, case patterns and here-documents
 * inside a substitution are handled by the same code as at the top.  Text
 * that must be re-read on its own (`...`, arithmetic, here-document bodies)
 * goes through shlex_sub_lex().  Every recursion passes shlex_enter(),
 * which bounds the depth, and every byte produced is charged to a budget,
 * so hostile input costs bounded time and memory.
 *
 * Where the reading is uncertain, it errs towards seeing more commands:
 * "(...)" after a word, extglob patterns and `[[ a < b ]]` are read as
 * commands and redirections.  That can refuse an odd but harmless line; it
 * never hides a command.
 *
 * This file reads lists and simple commands; shlex-word.c reads words and
 * shlex-redir.c redirections and here-documents (shlex-internal.h has what
 * they share).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shlex-internal.h"

/* The word is exactly `kw`, unquoted (reserved words must be). */
static bool wb_is(const struct wbuf *w, const char *kw)
{
	return !w->quoted && strcmp(wb_str(w), kw) == 0;
}

/* ---- lexer state ---- */

/* Per-list state: case statements and array assignments. */
struct frame {
	bool words_only; /* array assignment: words, not commands */
	bool in_pattern; /* reading case patterns up to ')' */
	int case_open;   /* case statements not yet closed by esac */
	size_t pat_words;
};

int shlex_syntax_error(struct lexer *lx, size_t at, const char *what)
{
	return gw_error_set(lx->err, -EINVAL, "%s (at byte %zu)", what, lx->base + at);
}

int shlex_charge(struct lexer *lx, size_t n)
{
	if (*lx->budget < n)
		return gw_error_set(lx->err, -E2BIG, "command line too complex to check");
	*lx->budget -= n;
	return 0;
}

/* Appends here-document text to a command's input.  The copy is charged:
 * many here-strings on one command must not cost quadratic time. */
int shlex_add_input(struct lexer *lx, char **dst, const char *s)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);
	int r = shlex_charge(lx, a + b);

	if (r < 0)
		return r;
	*dst = xrealloc(*dst, a + b + 1);
	memcpy(*dst + a, s, b + 1);
	return 0;
}

int shlex_enter(struct lexer *lx)
{
	if (lx->depth >= SHLEX_MAX_DEPTH)
		return gw_error_set(lx->err, -E2BIG,
				    "command nesting too deep (more than %d levels)",
				    SHLEX_MAX_DEPTH);
	lx->depth++;
	return 0;
}

static void heredocs_free(struct lexer *lx)
{
	for (size_t i = 0; i < lx->nhd; i++) {
		free(lx->hd[i].delim);
		free(lx->hd[i].body);
	}
	free(lx->hd);
}

/* Reads a separate piece of text (`...`, an arithmetic expression, a
 * here-document body) one level deeper, adding its commands to the same
 * output.  SCAN_DQ reads it like the inside of double quotes, where only
 * substitutions matter. */
int shlex_sub_lex(struct lexer *lx, const char *s, size_t len, size_t at, enum scan_mode mode)
{
	struct lexer sub = {
		.s = s,
		.len = len,
		.base = lx->base + at,
		.depth = lx->depth,
		.dialect = lx->dialect,
		.budget = lx->budget,
		.out = lx->out,
		.err = lx->err,
	};
	int r = shlex_enter(&sub);

	if (r == 0 && mode == SCAN_LIST)
		r = shlex_lex_list(&sub, '\0', false, NULL, 0);
	else if (r == 0)
		r = shlex_lex_dq(&sub, NULL, '\0', 0);
	heredocs_free(&sub);
	return r;
}

/* ---- simple commands ---- */

static void cmdb_start(struct lexer *lx, struct cmdb *cb)
{
	*cb = (struct cmdb){
		.id = lx->next_id++,
		.hd_first = lx->nhd,
		.assign_ok = true,
		.keywords_only = true,
	};
}

static void words_free(struct shlex_word *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].text);
		free(w[i].glob);
	}
	free(w);
}

static void cmdb_free(struct cmdb *cb)
{
	words_free(cb->w, cb->n);
	free(cb->input);
	cb->w = NULL;
	cb->input = NULL;
	cb->n = 0;
}
#define _cleanup_cmdb_ __attribute__((cleanup(cmdb_free)))

static void cmdb_restart(struct lexer *lx, struct cmdb *cb)
{
	cmdb_free(cb);
	cmdb_start(lx, cb);
}

/* Here-documents read before their command was emitted wait for it. */
static int bind_heredocs(struct lexer *lx, const struct cmdb *cb, long idx)
{
	int r = 0;

	for (size_t i = cb->hd_first; i < lx->nhd && r == 0; i++) {
		struct heredoc *h = &lx->hd[i];

		if (h->owner != cb->id)
			continue;
		h->cmd = idx;
		if (h->body && idx >= 0)
			r = shlex_add_input(lx, &lx->out->cmds[idx].input, h->body);
	}
	return r;
}

/* Ends the simple command being read: moves it to the output unless it is
 * empty or only array elements. */
static int emit(struct lexer *lx, struct cmdb *cb, const struct frame *fr)
{
	struct shlex_list *o = lx->out;
	int r;

	if (cb->n == 0 || fr->words_only) {
		r = bind_heredocs(lx, cb, -1);
		cmdb_restart(lx, cb);
		return r;
	}
	o->cmds = grow(o->cmds, o->n, sizeof(*o->cmds));
	o->cmds[o->n] = (struct shlex_cmd){
		.words = cb->w,
		.nwords = cb->n,
		.input = cb->input,
		.depth = lx->depth,
	};
	cb->w = NULL;
	cb->input = NULL;
	cb->n = 0;
	r = bind_heredocs(lx, cb, (long)o->n);
	o->n++;
	cmdb_start(lx, cb);
	return r;
}

static bool is_exp(unsigned char q)
{
	return q == Q_EXP || q == Q_QEXP;
}

/* A word is a pattern when it has unquoted glob characters, or expansions
 * next to literal text: `push$x` may well run as `push`. */
static bool has_glob(const struct wbuf *w)
{
	size_t exp = 0;

	for (size_t i = 0; i < w->len; i++) {
		if (w->q[i] == Q_LIT && strchr("*?[", w->c[i]))
			return true;
		exp += is_exp(w->q[i]);
	}
	return exp > 0 && exp < w->len;
}

/* fnmatch(3) pattern of a word: quoted metacharacters escaped, each
 * expansion a '*'. */
static char *make_glob(const struct wbuf *w)
{
	char *g = xmalloc(2 * w->len + 1), *o = g;

	for (size_t i = 0; i < w->len; i++) {
		if (is_exp(w->q[i])) {
			if (i == 0 || !is_exp(w->q[i - 1]))
				*o++ = '*';
			continue;
		}
		if (w->q[i] == Q_QUOTED && strchr("*?[]\\", w->c[i]))
			*o++ = '\\';
		*o++ = w->c[i];
	}
	*o = '\0';
	return g;
}

/* Unquoted expansions alone may expand to nothing, and the shell then
 * drops the word: `$x git push` runs git when x is empty. */
static bool may_vanish(const struct wbuf *w)
{
	if (w->quoted || w->len == 0)
		return false;
	for (size_t i = 0; i < w->len; i++)
		if (w->q[i] != Q_EXP)
			return false;
	return true;
}

/* Reserved words after which a command (and so an assignment) may start. */
static bool opens_command(const char *w)
{
	static const char *const kw[] = { "{", "!", "if", "then", "elif", "else", "while",
					   "until", "do", "time", NULL };

	for (size_t i = 0; kw[i]; i++)
		if (strcmp(w, kw[i]) == 0)
			return true;
	return false;
}

int shlex_push_final(struct lexer *lx, struct cmdb *cb, const struct wbuf *w)
{
	int r = shlex_charge(lx, w->len + sizeof(struct shlex_word) + 2);
	struct shlex_word *nw;

	if (r < 0)
		return r;
	cb->w = grow(cb->w, cb->n, sizeof(*cb->w));
	nw = &cb->w[cb->n++];
	*nw = (struct shlex_word){
		.text = xstrndup(wb_str(w), w->len),
		.glob = has_glob(w) ? make_glob(w) : NULL,
		.may_vanish = may_vanish(w),
	};
	cb->assign_ok &= shlex_is_assignment(nw->text) || opens_command(nw->text);
	cb->keywords_only &= opens_command(nw->text) || strcmp(nw->text, "for") == 0;
	return 0;
}

/* ---- words of a command ---- */

void shlex_skip_blanks(struct lexer *lx)
{
	for (;;) {
		if (is_blank(peek(lx, 0)))
			lx->pos++;
		else if (peek(lx, 0) == '\\' && peek(lx, 1) == '\n')
			lx->pos += 2;
		else
			return;
	}
}

static void skip_comment(struct lexer *lx)
{
	const char *nl = memchr(lx->s + lx->pos, '\n', lx->len - lx->pos);

	lx->pos = nl ? (size_t)(nl - lx->s) : lx->len;
}

/* NAME=, NAME+=, NAME[sub]= (bash subscripts may hold anything). */
bool shlex_is_assignment(const char *w)
{
	if (!is_name_start(*w))
		return false;
	while (is_name_char(*w))
		w++;
	if (*w == '[') {
		int level = 0;

		for (; *w; w++) {
			if (*w == '[')
				level++;
			else if (*w == ']' && --level == 0)
				break;
		}
		if (*w++ != ']')
			return false;
	}
	return *w == '=' || (w[0] == '+' && w[1] == '=');
}

/* An io number: the "2" of 2>x, or bash's {fd}>x. */
static bool is_ionum(const struct wbuf *w)
{
	size_t i = 0;

	if (w->len == 0 || w->quoted)
		return false;
	if (w->c[0] == '{' && w->c[w->len - 1] == '}' && w->len > 2) {
		for (i = 1; i < w->len - 1 && is_name_char(w->c[i]); i++)
			;
		return i == w->len - 1;
	}
	while (i < w->len && w->c[i] >= '0' && w->c[i] <= '9')
		i++;
	return i == w->len;
}

static void start_pattern(struct frame *fr)
{
	fr->in_pattern = true;
	fr->pat_words = 0;
}

static int lex_word(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	_cleanup_wbuf_ struct wbuf w = { 0 };
	int flags = (fr->words_only ? WORD_ARRAY : 0) | (cb->assign_ok ? WORD_ASSIGN_OK : 0);
	int r = shlex_read_word(lx, &w, flags);
	bool ionum = is_ionum(&w);

	if (r < 0)
		return r;
	if (cb->n == 0 && fr->case_open > 0 && wb_is(&w, "esac")) {
		fr->case_open--;
		return 0;
	}
	if (cb->n == 0)
		cb->is_case = wb_is(&w, "case");
	cb->assign_ok_prev = cb->assign_ok;
	r = shlex_push_word(lx, cb, &w);
	cb->ionum = ionum;
	if (r == 0 && cb->is_case && cb->n == 3 && wb_is(&w, "in")) {
		cmdb_restart(lx, cb);
		fr->case_open++;
		start_pattern(fr);
	}
	return r;
}

/* ---- lists ---- */

static int lex_newline(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	int r = 0;

	lx->pos++;
	/* "case WORD" may be followed by "in" on a later line. */
	if (!(cb->is_case && cb->n < 3))
		r = emit(lx, cb, fr);
	return r < 0 ? r : shlex_read_heredocs(lx);
}

static int lex_semicolon(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	bool case_end = false;

	lx->pos++;
	if (peek(lx, 0) == ';') { /* ;; or ;;& */
		lx->pos++;
		case_end = true;
		if (peek(lx, 0) == '&')
			lx->pos++;
	} else if (peek(lx, 0) == '&') { /* ;& */
		lx->pos++;
		case_end = true;
	}
	if (case_end && fr->case_open > 0)
		start_pattern(fr);
	return emit(lx, cb, fr);
}

static int lex_amp(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	/* bash reads `&>x` as a redirection; dash as `&` then `>x`. */
	if (peek(lx, 1) == '>' && lx->dialect == SHLEX_BASH) {
		lx->pos++;
		cb->ionum = false;
		return shlex_lex_redirect(lx, cb);
	}
	lx->pos += peek(lx, 1) == '&' ? 2 : 1;
	return emit(lx, cb, fr);
}

static int lex_pipe(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	lx->pos += (peek(lx, 1) == '|' || peek(lx, 1) == '&') ? 2 : 1;
	return emit(lx, cb, fr);
}

static int lex_nested(struct lexer *lx, bool words_only, const char *what)
{
	size_t at = lx->pos;
	int r = shlex_enter(lx);

	if (r < 0)
		return r;
	lx->pos++;
	r = shlex_lex_list(lx, ')', words_only, what, at);
	lx->depth--;
	return r;
}

/* "name ()" or "function name ()": a function definition, not a call. */
static bool is_funcdef(struct lexer *lx, const struct cmdb *cb)
{
	size_t i = lx->pos + 1;

	if (cb->n != 1 && !(cb->n == 2 && strcmp(cb->w[0].text, "function") == 0))
		return false;
	while (i < lx->len && is_blank(lx->s[i]))
		i++;
	if (i >= lx->len || lx->s[i] != ')')
		return false;
	lx->pos = i + 1;
	return true;
}

static bool is_array_assign(const struct lexer *lx, const struct cmdb *cb)
{
	const char *t = cb->w[cb->n - 1].text;
	size_t n = strlen(t);

	return lx->word_end == lx->pos && n > 1 && t[n - 1] == '=' && shlex_is_assignment(t);
}

/* bash's "((expr))" and "for ((...))" are arithmetic where a command may
 * start (also after `{`, `do`, `!`...); dash reads "((" as two subshells,
 * which the POSIX dialect does.  Reserved words before it stay in the
 * command, where they are harmless. */
static int lex_arith_cmd(struct lexer *lx, struct cmdb *cb, size_t end)
{
	int r = shlex_read_arith(lx, 2, end);

	if (cb->n == 1 && strcmp(cb->w[0].text, "for") == 0)
		cmdb_restart(lx, cb);
	return r;
}

static int lex_paren(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	size_t end = 0;

	if (lx->dialect == SHLEX_BASH && peek(lx, 1) == '(' && cb->keywords_only) {
		int r = shlex_arith_end(lx, lx->pos + 2, &end);

		if (r < 0 || end)
			return r < 0 ? r : lex_arith_cmd(lx, cb, end);
	}
	if (cb->n > 0) {
		if (is_funcdef(lx, cb)) {
			cmdb_restart(lx, cb);
			return 0;
		}
		if (is_array_assign(lx, cb))
			return lex_nested(lx, true, "unterminated array assignment");
		/* Anything else in parentheses after a word (extglob, a syntax
		 * error) is read as a subshell: more commands, never fewer. */
		int r = emit(lx, cb, fr);

		if (r < 0)
			return r;
	}
	return lex_nested(lx, false, "unterminated (");
}

static int lex_pattern(struct lexer *lx, struct frame *fr)
{
	_cleanup_wbuf_ struct wbuf w = { 0 };
	char c = peek(lx, 0);
	int r;

	if (c == ')') {
		lx->pos++;
		fr->in_pattern = false;
		return 0;
	}
	if (is_op(c)) { /* "(" before a pattern, "|" between */
		lx->pos++;
		return 0;
	}
	r = shlex_read_word(lx, &w, 0);
	if (r == 0 && fr->pat_words++ == 0 && wb_is(&w, "esac")) {
		fr->case_open--;
		fr->in_pattern = false;
	}
	return r;
}

static int lex_token(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	switch (peek(lx, 0)) {
	case ';':
		return lex_semicolon(lx, cb, fr);
	case '&':
		return lex_amp(lx, cb, fr);
	case '|':
		return lex_pipe(lx, cb, fr);
	case '(':
		return lex_paren(lx, cb, fr);
	case ')':
		return shlex_syntax_error(lx, lx->pos, "unexpected ')'");
	case '<':
	case '>':
		return shlex_lex_redirect(lx, cb);
	default:
		return lex_word(lx, cb, fr);
	}
}

int shlex_lex_list(struct lexer *lx, char term, bool words_only, const char *what, size_t at)
{
	_cleanup_cmdb_ struct cmdb cb = { 0 };
	struct frame fr = { .words_only = words_only };
	int r = 0;

	cmdb_start(lx, &cb);
	while (r >= 0) {
		char c;

		shlex_skip_blanks(lx);
		c = peek(lx, 0);
		if (c == '\0') {
			if (term)
				return shlex_syntax_error(lx, at, what);
			return emit(lx, &cb, &fr);
		}
		if (c == '#')
			skip_comment(lx);
		else if (c == '\n')
			r = lex_newline(lx, &cb, &fr);
		else if (fr.in_pattern)
			r = lex_pattern(lx, &fr);
		else if (c == term) {
			lx->pos++;
			return emit(lx, &cb, &fr);
		} else
			r = lex_token(lx, &cb, &fr);
	}
	return r;
}

int shlex_parse(const char *line, const struct shlex_opts *opts, struct shlex_list *out,
		struct gw_error *err)
{
	struct lexer lx = {
		.s = line,
		.len = strlen(line),
		.depth = opts->depth,
		.dialect = opts->dialect,
		.budget = opts->budget,
		.out = out,
		.err = err,
	};
	int r;

	if (lx.len > SHLEX_MAX_LEN)
		return gw_error_set(err, -E2BIG,
				    "command line too long to check (%zu bytes, limit %zu)", lx.len,
				    SHLEX_MAX_LEN);
	if (lx.depth > SHLEX_MAX_DEPTH)
		return gw_error_set(err, -E2BIG, "command nesting too deep (more than %d levels)",
				    SHLEX_MAX_DEPTH);
	/* The fixed part bounds how many nested parses a line can cause. */
	r = shlex_charge(&lx, lx.len + 256);
	if (r == 0)
		r = shlex_lex_list(&lx, '\0', false, NULL, 0);
	heredocs_free(&lx);
	return r;
}

void shlex_list_free(struct shlex_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		words_free(l->cmds[i].words, l->cmds[i].nwords);
		free(l->cmds[i].input);
	}
	free(l->cmds);
	*l = (struct shlex_list){ 0 };
}

char **shlex_split(const char *s)
{
	_cleanup_wbuf_ struct wbuf w = { 0 };
	char **v = xcalloc(1, sizeof(*v));
	char quote = 0;

	for (;; s++) {
		if (*s == '\0' || (!quote && is_blank(*s))) {
			if (w.len)
				v = gw_strv_push(v, wb_str(&w));
			w.len = 0;
			if (*s == '\0')
				return v;
		} else if (*s == quote) {
			quote = 0;
		} else if (!quote && (*s == '\'' || *s == '"')) {
			quote = *s;
		} else if (*s == '\\' && quote != '\'' && s[1]) {
			wb_put(&w, *++s, Q_QUOTED);
		} else {
			wb_put(&w, *s, Q_QUOTED);
		}
	}
}

