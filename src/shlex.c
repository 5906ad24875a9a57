/* shlex.c: see shlex.h.
 *
 * A recursive-descent reader over the raw text.  lex_list() reads a list of
 * commands up to a terminator (end of text or the ')' of "$(" and "(");
 * read_word() reads one word and recurses into lex_list() for $(...), so
 * that quoting, comments, case patterns and here-documents inside a
 * substitution are handled by the same code as at the top.  Text that must
 * be re-read on its own (`...`, arithmetic, here-document bodies) goes
 * through sub_lex().  Every recursion passes enter(), which bounds the
 * depth, and every byte produced is charged to a budget, so hostile input
 * costs bounded time and memory.
 *
 * Where the reading is uncertain, it errs towards seeing more commands:
 * "(...)" after a word, extglob patterns and `[[ a < b ]]` are read as
 * commands and redirections.  That can refuse an odd but harmless line; it
 * never hides a command.
 */
#include "shlex.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable arrays and byte buffers ---- */

/* Grows p (holding n elements) so that element n fits: doubles whenever n
 * reaches a power of two. */
static void *grow(void *p, size_t n, size_t size)
{
	if (n & (n - 1))
		return p;
	return xrealloc(p, (n ? 2 * n : 1) * size);
}

/* What each byte of a word is.  Only Q_LIT bytes take part in brace
 * expansion and globbing; expansions stand for text known at run time. */
enum {
	Q_LIT,    /* unquoted literal */
	Q_QUOTED, /* quoted or escaped literal */
	Q_EXP,    /* source text of an unquoted $x, $(...), `...` */
	Q_QEXP,   /* the same inside double quotes */
};

/* A word being read: its bytes, and the Q_* kind of each. */
struct wbuf {
	char *c;
	unsigned char *q;
	size_t len, cap;
	bool quoted; /* some part was quoted or escaped (here-doc delimiters) */
};

static void wb_add(struct wbuf *w, const char *s, size_t n, unsigned char kind)
{
	if (!w)
		return;
	if (!w->c || w->len + n + 1 > w->cap) {
		w->cap = 2 * (w->len + n) + 16;
		w->c = xrealloc(w->c, w->cap);
		w->q = xrealloc(w->q, w->cap);
	}
	if (n) {
		memcpy(w->c + w->len, s, n);
		memset(w->q + w->len, kind, n);
	}
	w->len += n;
	w->c[w->len] = '\0';
}

static void wb_put(struct wbuf *w, char ch, unsigned char kind)
{
	wb_add(w, &ch, 1, kind);
}

static void wb_mark_quoted(struct wbuf *w)
{
	if (w)
		w->quoted = true;
}

static void wb_free(struct wbuf *w)
{
	free(w->c);
	free(w->q);
	*w = (struct wbuf){ 0 };
}
#define _cleanup_wbuf_ __attribute__((cleanup(wb_free)))

static const char *wb_str(const struct wbuf *w)
{
	return w->c ? w->c : "";
}

/* The word is exactly `kw`, unquoted (reserved words must be). */
static bool wb_is(const struct wbuf *w, const char *kw)
{
	return !w->quoted && strcmp(wb_str(w), kw) == 0;
}

/* ---- lexer state ---- */

struct heredoc {
	char *delim;
	bool quoted; /* delimiter was quoted: body is literal */
	bool strip;  /* <<- strips leading tabs */
	unsigned owner; /* id of the command it feeds */
	long cmd;       /* that command's index in the output, once emitted */
	char *body;     /* once read */
};

struct lexer {
	const char *s;
	size_t len, pos;
	size_t base; /* offset of s in the outermost text, for messages */
	int depth;
	enum shlex_dialect dialect;
	size_t *budget;
	struct shlex_list *out;
	struct gw_error *err;
	struct heredoc *hd;
	size_t nhd, hd_next; /* registered / bodies read */
	unsigned next_id;
	size_t word_end; /* position just after the last word read */
};

/* The simple command being read. */
struct cmdb {
	struct shlex_word *w;
	size_t n;
	char *input;
	unsigned id;
	size_t hd_first; /* heredocs registered before this command began */
	bool ionum;      /* the last word may be an io number ("2" of 2>x) */
	bool is_case;    /* the first word is the reserved word "case" */
	/* Only assignments and reserved words so far: bash accepts an
	 * assignment (and so reads a[...] subscripts) here. */
	bool assign_ok, assign_ok_prev; /* and before the last word */
	bool keywords_only; /* only reserved words so far: "((" is arithmetic */
};

/* Per-list state: case statements and array assignments. */
struct frame {
	bool words_only; /* array assignment: words, not commands */
	bool in_pattern; /* reading case patterns up to ')' */
	int case_open;   /* case statements not yet closed by esac */
	size_t pat_words;
};

static int lex_list(struct lexer *lx, char term, bool words_only, const char *what, size_t at);
static int lex_dq(struct lexer *lx, struct wbuf *w, char stop, size_t at);
static int read_dollar(struct lexer *lx, struct wbuf *w, bool in_dq);
static int read_backtick(struct lexer *lx, struct wbuf *w, bool in_dq);

static char peek(const struct lexer *lx, size_t k)
{
	return lx->pos + k < lx->len ? lx->s[lx->pos + k] : '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_op(char c)
{
	return c != '\0' && strchr(";&|()<>", c);
}

static bool is_word_end(char c)
{
	return c == '\0' || c == '\n' || is_blank(c) || is_op(c);
}

static bool is_name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int syntax_error(struct lexer *lx, size_t at, const char *what)
{
	return gw_error_set(lx->err, -EINVAL, "%s (at byte %zu)", what, lx->base + at);
}

static int charge(struct lexer *lx, size_t n)
{
	if (*lx->budget < n)
		return gw_error_set(lx->err, -E2BIG, "command line too complex to check");
	*lx->budget -= n;
	return 0;
}

/* Appends here-document text to a command's input.  The copy is charged:
 * many here-strings on one command must not cost quadratic time. */
static int add_input(struct lexer *lx, char **dst, const char *s)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);
	int r = charge(lx, a + b);

	if (r < 0)
		return r;
	*dst = xrealloc(*dst, a + b + 1);
	memcpy(*dst + a, s, b + 1);
	return 0;
}

static int enter(struct lexer *lx)
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

enum scan_mode { SCAN_LIST, SCAN_DQ };

/* Reads a separate piece of text (`...`, an arithmetic expression, a
 * here-document body) one level deeper, adding its commands to the same
 * output.  SCAN_DQ reads it like the inside of double quotes, where only
 * substitutions matter. */
static int sub_lex(struct lexer *lx, const char *s, size_t len, size_t at, enum scan_mode mode)
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
	int r = enter(&sub);

	if (r == 0 && mode == SCAN_LIST)
		r = lex_list(&sub, '\0', false, NULL, 0);
	else if (r == 0)
		r = lex_dq(&sub, NULL, '\0', 0);
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
			r = add_input(lx, &lx->out->cmds[idx].input, h->body);
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

static int push_final(struct lexer *lx, struct cmdb *cb, const struct wbuf *w)
{
	int r = charge(lx, w->len + sizeof(struct shlex_word) + 2);
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

/* ---- bash brace expansion: a{b,c}d, {1..3}, {a..e..2} ---- */

/* Each alternative a brace expansion makes costs this much budget on top of
 * its bytes: a few dozen characters of {a,b}{1..9} multiply, so expansion
 * is held to some tens of thousands of words per check, well before the
 * budget meant for long plain lines runs out. */
#define BRACE_WORD_COST 1024

struct bx {
	struct wbuf w;
	size_t from; /* braces before this offset are done */
};

struct bx_group {
	size_t open, close;
	bool comma;
};

static bool parse_seq_int(const char *s, size_t n, long long *v)
{
	size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

	if (i == n || n - i > 15)
		return false;
	for (size_t k = i; k < n; k++)
		if (s[k] < '0' || s[k] > '9')
			return false;
	*v = strtoll(s, NULL, 10);
	return true;
}

struct seq {
	long long a, b, step;
	bool chars;
	int width;
};

static const char *find_dots(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return s + i;
	return NULL;
}

static bool is_letter(char c)
{
	return is_name_start(c) && c != '_';
}

/* bash pads {01..3} to the widest bound when either has a leading zero. */
static bool zero_padded(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	return n > i + 1 && s[i] == '0';
}

/* {x..y[..step]} with integers or single letters; s is the text between
 * the braces. */
static bool parse_seq(const char *s, size_t n, struct seq *sq)
{
	const char *d1 = find_dots(s, n), *d2, *sb;
	size_t la, lb;

	if (!d1)
		return false;
	sb = d1 + 2;
	d2 = find_dots(sb, n - (size_t)(sb - s));
	la = (size_t)(d1 - s);
	lb = (size_t)((d2 ? d2 : s + n) - sb);
	*sq = (struct seq){ .step = 1 };
	if (d2 && !parse_seq_int(d2 + 2, n - (size_t)(d2 + 2 - s), &sq->step))
		return false;
	if (la == 1 && lb == 1 && is_letter(s[0]) && is_letter(sb[0])) {
		sq->a = s[0];
		sq->b = sb[0];
		sq->chars = true;
		return true;
	}
	if (!parse_seq_int(s, la, &sq->a) || !parse_seq_int(sb, lb, &sq->b))
		return false;
	if (zero_padded(s, la) || zero_padded(sb, lb))
		sq->width = (int)(la > lb ? la : lb);
	return true;
}

/* The first expandable {...} at or after it->from.  Like bash, an
 * unmatched or plain brace ({x}) is skipped and the search goes on. */
static bool find_group(struct lexer *lx, const struct bx *it, struct bx_group *g, struct seq *sq,
		       int *err)
{
	const char *c = it->w.c;
	const unsigned char *q = it->w.q;

	for (size_t i = it->from; i < it->w.len; i++) {
		int depth = 0;
		size_t j;

		if (c[i] != '{' || q[i])
			continue;
		*g = (struct bx_group){ .open = i };
		for (j = i; j < it->w.len; j++) {
			if (q[j])
				continue;
			if (c[j] == '{')
				depth++;
			else if (c[j] == '}' && --depth == 0)
				break;
			else if (c[j] == ',' && depth == 1)
				g->comma = true;
		}
		*err = charge(lx, j - i);
		if (*err < 0)
			return false;
		if (j == it->w.len)
			continue;
		g->close = j;
		if (g->comma || parse_seq(c + i + 1, j - i - 1, sq))
			return true;
	}
	return false;
}

static void bx_push(struct bx **stack, size_t *n, const struct bx *it, size_t open, size_t close,
		    const char *alt, const unsigned char *aq, size_t alen)
{
	struct bx nb = { .from = open, .w.quoted = it->w.quoted };

	wb_add(&nb.w, it->w.c, open, Q_LIT);
	memcpy(nb.w.q, it->w.q, open);
	wb_add(&nb.w, alt, alen, Q_LIT);
	if (aq)
		memcpy(nb.w.q + open, aq, alen);
	else
		memset(nb.w.q + open, Q_QUOTED, alen); /* generated text is literal */
	wb_add(&nb.w, it->w.c + close + 1, it->w.len - close - 1, Q_LIT);
	memcpy(nb.w.q + open + alen, it->w.q + close + 1, it->w.len - close - 1);
	*stack = grow(*stack, *n, sizeof(**stack));
	(*stack)[(*n)++] = nb;
}

/* Pushes the alternatives of a comma group, last first, so that the stack
 * pops them in order. */
static int bx_comma(struct lexer *lx, struct bx **stack, size_t *n, const struct bx *it,
		    const struct bx_group *g)
{
	const char *c = it->w.c;
	const unsigned char *q = it->w.q;
	size_t end = g->close;
	int depth = 0;

	for (size_t k = g->close; k-- > g->open;) {
		if (!q[k] && c[k] == '}')
			depth++;
		else if (!q[k] && c[k] == '{')
			depth--;
		if (k != g->open && (q[k] || c[k] != ',' || depth != 0))
			continue;
		int r = charge(lx, it->w.len + BRACE_WORD_COST);

		if (r < 0)
			return r;
		bx_push(stack, n, it, g->open, g->close, c + k + 1, q + k + 1, end - k - 1);
		end = k;
	}
	return 0;
}

static int bx_seq(struct lexer *lx, struct bx **stack, size_t *n, const struct bx *it,
		  const struct bx_group *g, const struct seq *sq)
{
	long long step = sq->step < 0 ? -sq->step : (sq->step ? sq->step : 1);
	bool down = sq->a > sq->b;
	unsigned long long span = (unsigned long long)(down ? sq->a - sq->b : sq->b - sq->a);
	unsigned long long count = span / (unsigned long long)step + 1;

	if (count > ((size_t)1 << 20))
		return gw_error_set(lx->err, -E2BIG, "brace expansion too large to check");
	for (unsigned long long k = count; k-- > 0;) {
		long long v = down ? sq->a - (long long)k * step : sq->a + (long long)k * step;
		char buf[48];
		int len = sq->chars ? snprintf(buf, sizeof(buf), "%c", (char)v)
				    : snprintf(buf, sizeof(buf), "%0*lld", sq->width, v);
		int r = charge(lx, it->w.len + (size_t)len + BRACE_WORD_COST);

		if (r < 0)
			return r;
		bx_push(stack, n, it, g->open, g->close, buf, NULL, (size_t)len);
	}
	return 0;
}

static int brace_expand(struct lexer *lx, struct cmdb *cb, const struct wbuf *w)
{
	struct bx *stack = xmalloc(sizeof(*stack));
	size_t n = 1;
	int r = 0;

	stack[0] = (struct bx){ .from = 0 };
	stack[0].w.quoted = w->quoted;
	wb_add(&stack[0].w, w->c, w->len, Q_LIT);
	memcpy(stack[0].w.q, w->q, w->len);
	while (n > 0 && r >= 0) {
		struct bx it = stack[--n];
		struct bx_group g;
		struct seq sq;
		bool found = find_group(lx, &it, &g, &sq, &r);

		if (found && g.comma)
			r = bx_comma(lx, &stack, &n, &it, &g);
		else if (found)
			r = bx_seq(lx, &stack, &n, &it, &g, &sq);
		else if (r >= 0 && it.w.len > 0) /* bash drops words that expand to nothing */
			r = push_final(lx, cb, &it.w);
		wb_free(&it.w);
	}
	while (n > 0)
		wb_free(&stack[--n].w);
	free(stack);
	return r;
}

static int push_word(struct lexer *lx, struct cmdb *cb, const struct wbuf *w)
{
	if (lx->dialect == SHLEX_BASH && w->c && memchr(w->c, '{', w->len))
		return brace_expand(lx, cb, w);
	return push_final(lx, cb, w);
}

/* Raw source text from `start` as a word part: for a substitution, whose
 * output is unknown, the source stands for it. */
static void add_raw(struct lexer *lx, struct wbuf *w, size_t start, unsigned char kind)
{
	wb_add(w, lx->s + start, lx->pos - start, kind);
}

/* ---- quoting ---- */

static int read_escape(struct lexer *lx, struct wbuf *w)
{
	char n = peek(lx, 1);

	if (n == '\n') { /* line continuation */
		lx->pos += 2;
		return 0;
	}
	wb_mark_quoted(w);
	if (n == '\0') {
		wb_put(w, '\\', Q_QUOTED);
		lx->pos++;
		return 0;
	}
	wb_put(w, n, Q_QUOTED);
	lx->pos += 2;
	return 0;
}

static int read_squote(struct lexer *lx, struct wbuf *w)
{
	size_t at = lx->pos++;
	const char *end = memchr(lx->s + lx->pos, '\'', lx->len - lx->pos);

	if (!end)
		return syntax_error(lx, at, "unterminated single quote");
	wb_add(w, lx->s + lx->pos, (size_t)(end - lx->s) - lx->pos, Q_QUOTED);
	wb_mark_quoted(w);
	lx->pos = (size_t)(end - lx->s) + 1;
	return 0;
}

/* Inside double quotes (stop '"') or a here-document/arithmetic body (stop
 * '\0'), a backslash only escapes $ ` \ newline, and " when it stops. */
static void dq_escape(struct lexer *lx, struct wbuf *w, char stop)
{
	char n = peek(lx, 1);

	if (n == '\n') {
		lx->pos += 2;
	} else if (n == '$' || n == '`' || n == '\\' || (stop && n == '"')) {
		wb_put(w, n, Q_QUOTED);
		lx->pos += 2;
	} else {
		wb_put(w, '\\', Q_QUOTED);
		lx->pos++;
	}
}

static int lex_dq(struct lexer *lx, struct wbuf *w, char stop, size_t at)
{
	for (;;) {
		char c = peek(lx, 0);
		int r = 0;

		if (c == '\0')
			return stop ? syntax_error(lx, at, "unterminated double quote") : 0;
		if (c == stop) {
			lx->pos++;
			return 0;
		}
		if (c == '\\') {
			dq_escape(lx, w, stop);
		} else if (c == '$') {
			r = read_dollar(lx, w, true);
		} else if (c == '`') {
			r = read_backtick(lx, w, true);
		} else {
			wb_put(w, c, Q_QUOTED);
			lx->pos++;
		}
		if (r < 0)
			return r;
	}
}

static int read_dquote(struct lexer *lx, struct wbuf *w, size_t skip)
{
	size_t at = lx->pos;

	lx->pos += skip;
	wb_mark_quoted(w);
	return lex_dq(lx, w, '"', at);
}

static unsigned hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/* Up to `max` digits in `base` (8 or 16) at lx->pos; *n gets how many. */
static uint32_t read_digits(struct lexer *lx, unsigned base, int max, int *n)
{
	uint32_t v = 0;

	for (*n = 0; *n < max && hex_val(peek(lx, 0)) < base; (*n)++, lx->pos++)
		v = v * base + hex_val(peek(lx, 0));
	return v;
}

static void put_utf8(struct wbuf *w, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else {
		/* Lead byte, then continuation bytes of 6 bits each. */
		static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

		n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		b[0] = (char)(lead[n] | (cp >> (6 * (n - 1))));
		for (size_t i = 1; i < n; i++)
			b[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	}
	wb_add(w, b, n, Q_QUOTED);
}

/* One backslash escape of $'...'; returns the byte value, or -1 when it
 * wrote its output itself (\u, unknown escapes). */
static int ansi_escape(struct lexer *lx, struct wbuf *w)
{
	static const char from[] = "abeEfnrtv\\'\"?", to[] = "\a\b\033\033\f\n\r\t\v\\'\"?";
	char n = peek(lx, 1);
	const char *p = n ? strchr(from, n) : NULL;
	int digits;

	lx->pos += n ? 2 : 1;
	if (p)
		return (unsigned char)to[p - from];
	if (n >= '0' && n <= '7') {
		lx->pos--;
		return (int)(read_digits(lx, 8, 3, &digits) & 0xff);
	}
	if (n == 'x' || n == 'u' || n == 'U') {
		uint32_t v = read_digits(lx, 16, n == 'x' ? 2 : n == 'u' ? 4 : 8, &digits);

		if (digits && n == 'x')
			return (int)v;
		if (!digits) {
			wb_put(w, '\\', Q_QUOTED);
			wb_put(w, n, Q_QUOTED);
		} else if (v != 0) {
			put_utf8(w, v);
		}
		return digits && v == 0 ? 0 : -1;
	}
	if (n == 'c' && peek(lx, 0)) { /* control character: \cA is 0x01 */
		char m = peek(lx, 0);

		lx->pos++;
		return m & 0x1f;
	}
	wb_put(w, '\\', Q_QUOTED);
	if (n)
		wb_put(w, n, Q_QUOTED);
	return -1;
}

/* bash $'...': C escapes decoded; a NUL ends the string's value. */
static int read_ansi_c(struct lexer *lx, struct wbuf *w)
{
	size_t at = lx->pos;
	bool nul = false;
	_cleanup_wbuf_ struct wbuf tmp = { 0 };

	lx->pos += 2;
	wb_mark_quoted(w);
	for (;;) {
		char c = peek(lx, 0);
		int v;

		if (c == '\0')
			return syntax_error(lx, at, "unterminated $'...' quote");
		if (c == '\'')
			break;
		tmp.len = 0;
		if (c == '\\') {
			v = ansi_escape(lx, &tmp);
		} else {
			v = (unsigned char)c;
			lx->pos++;
		}
		nul |= v == 0;
		if (v > 0)
			wb_put(&tmp, (char)v, Q_QUOTED);
		if (!nul)
			wb_add(w, tmp.c, tmp.len, Q_QUOTED);
	}
	lx->pos++;
	return 0;
}

/* ---- substitutions ---- */

/* Skips a quoted string starting at s[i]; returns the index after it, or 0
 * when it does not end. */
static size_t skip_quoted(const char *s, size_t len, size_t i)
{
	char q = s[i];

	for (i++; i < len; i++) {
		if (q == '"' && s[i] == '\\')
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return 0;
}

/* After "((" or "$((" at i: *end is the index after the closing "))" when
 * the parentheses close as arithmetic, or 0 when they close as
 * "( ( ... ) ... )" (a subshell or command substitution) or do not close.
 * The scan is charged: many unclosed "$((" must not cost quadratic time. */
static int arith_end(struct lexer *lx, size_t i, size_t *end)
{
	size_t start = i;
	int depth = 2;

	*end = 0;
	while (i < lx->len) {
		char c = lx->s[i];

		if (c == '\'' || c == '"') {
			size_t after = skip_quoted(lx->s, lx->len, i);

			i = after ? after : lx->len;
			continue;
		}
		if (c == '\\') {
			i++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 1) {
			if (i + 1 < lx->len && lx->s[i + 1] == ')')
				*end = i + 2;
			break;
		}
		i++;
	}
	return charge(lx, (i < lx->len ? i : lx->len) - start);
}

/* An arithmetic expression runs no command itself, but the substitutions
 * in it do; it is read like the inside of double quotes. */
static int read_arith(struct lexer *lx, size_t open_len, size_t end)
{
	size_t start = lx->pos + open_len;
	int r = sub_lex(lx, lx->s + start, end - 2 - start, start, SCAN_DQ);

	lx->pos = end;
	return r;
}

static int read_subst(struct lexer *lx)
{
	size_t at = lx->pos, end = 0;
	int r = 0;

	if (peek(lx, 2) == '(')
		r = arith_end(lx, lx->pos + 3, &end);
	if (r < 0 || end)
		return r < 0 ? r : read_arith(lx, 3, end);
	r = enter(lx);
	if (r < 0)
		return r;
	lx->pos += 2;
	r = lex_list(lx, ')', false, "unterminated $(", at);
	lx->depth--;
	return r;
}

/* ${...}, $[...] and a[...] subscripts: up to the matching `close`,
 * through quotes and substitutions.  Braces do not nest (in bash or dash);
 * brackets do.  Inside double quotes, dash takes ' literally and bash as a
 * quote. */
static int group_step(struct lexer *lx, char close, bool in_dq, int *level)
{
	char c = peek(lx, 0);

	if (c == '\\') {
		lx->pos += peek(lx, 1) ? 2 : 1;
		return 0;
	}
	if (c == '\'' && (!in_dq || lx->dialect == SHLEX_BASH))
		return read_squote(lx, NULL);
	if (c == '"')
		return read_dquote(lx, NULL, 1);
	if (c == '`')
		return read_backtick(lx, NULL, in_dq);
	if (c == '$')
		return read_dollar(lx, NULL, in_dq);
	if (c == '[' && close == ']')
		(*level)++;
	else if (c == close)
		(*level)--;
	lx->pos++;
	return 0;
}

static int read_group(struct lexer *lx, size_t skip, char close, bool in_dq, const char *what)
{
	size_t at = lx->pos;
	int level = 1, r = enter(lx);

	lx->pos += skip;
	while (r >= 0 && level > 0) {
		if (peek(lx, 0) == '\0')
			return syntax_error(lx, at, what);
		r = group_step(lx, close, in_dq, &level);
	}
	if (r >= 0)
		lx->depth--;
	return r;
}

/* $name, $1, $@ ...: an expansion; a '$' before anything else is literal. */
static int read_plain_dollar(struct lexer *lx, struct wbuf *w, bool in_dq)
{
	size_t start = lx->pos++;
	char c = peek(lx, 0);

	if (is_name_start(c)) {
		while (is_name_char(peek(lx, 0)))
			lx->pos++;
	} else if (c && strchr("0123456789@*#?-$!", c)) {
		lx->pos++;
	} else {
		wb_put(w, '$', Q_QUOTED);
		return 0;
	}
	add_raw(lx, w, start, in_dq ? Q_QEXP : Q_EXP);
	return 0;
}

static int read_dollar(struct lexer *lx, struct wbuf *w, bool in_dq)
{
	size_t start = lx->pos;
	char n = peek(lx, 1);
	bool bash = lx->dialect == SHLEX_BASH;
	int r;

	if (n == '(')
		r = read_subst(lx);
	else if (n == '{')
		r = read_group(lx, 2, '}', in_dq, "unterminated ${");
	else if (n == '[' && bash)
		r = read_group(lx, 2, ']', in_dq, "unterminated $[");
	else if (n == '\'' && !in_dq && bash)
		return read_ansi_c(lx, w);
	else if (n == '"' && !in_dq && bash)
		return read_dquote(lx, w, 2);
	else
		return read_plain_dollar(lx, w, in_dq);
	if (r < 0)
		return r;
	add_raw(lx, w, start, in_dq ? Q_QEXP : Q_EXP);
	return 0;
}

static bool bq_escapable(char c, bool in_dq)
{
	return c == '`' || c == '$' || c == '\\' || (in_dq && c == '"');
}

/* `...`: the text up to the next unescaped backquote, with \` \$ \\
 * unescaped, is parsed as a command list of its own. */
static int read_backtick(struct lexer *lx, struct wbuf *w, bool in_dq)
{
	size_t start = lx->pos++;
	_cleanup_wbuf_ struct wbuf b = { 0 };
	int r;

	for (;;) {
		char c = peek(lx, 0);

		if (c == '\0')
			return syntax_error(lx, start, "unterminated backquote");
		if (c == '`')
			break;
		if (c == '\\' && bq_escapable(peek(lx, 1), in_dq)) {
			c = peek(lx, 1);
			lx->pos++;
		}
		wb_put(&b, c, Q_LIT);
		lx->pos++;
	}
	lx->pos++;
	r = charge(lx, b.len);
	if (r == 0)
		r = sub_lex(lx, wb_str(&b), b.len, start, SCAN_LIST);
	if (r < 0)
		return r;
	add_raw(lx, w, start, in_dq ? Q_QEXP : Q_EXP);
	return 0;
}

/* ---- words ---- */

enum {
	WORD_ASSIGN_OK = 1, /* an assignment may start here */
	WORD_ARRAY = 2,     /* inside a=( ... ) */
	WORD_NAME = 4,      /* the word so far is a NAME */
};

/* bash reads the subscript of an assignment a[...]=x as part of the word,
 * operators and all (`a[1<<2]=x` is not a here-document). */
static bool subscript_here(const struct lexer *lx, const struct wbuf *w, int flags)
{
	if (lx->dialect != SHLEX_BASH)
		return false;
	if (w->len == 0)
		return flags & WORD_ARRAY;
	return (flags & WORD_ASSIGN_OK) && (flags & WORD_NAME);
}

static int read_word_part(struct lexer *lx, struct wbuf *w, int flags)
{
	size_t start = lx->pos;
	char c = peek(lx, 0);
	int r;

	switch (c) {
	case '\\':
		return read_escape(lx, w);
	case '\'':
		return read_squote(lx, w);
	case '"':
		return read_dquote(lx, w, 1);
	case '$':
		return read_dollar(lx, w, false);
	case '`':
		return read_backtick(lx, w, false);
	case '[':
		if (subscript_here(lx, w, flags)) {
			r = read_group(lx, 1, ']', false, "unterminated [");
			if (r == 0)
				add_raw(lx, w, start, Q_QUOTED);
			return r;
		}
		break;
	default:
		break;
	}
	wb_put(w, c, Q_LIT);
	lx->pos++;
	return 0;
}

static int read_word(struct lexer *lx, struct wbuf *w, int flags)
{
	int r = 0;

	flags |= WORD_NAME;
	while (r >= 0 && !is_word_end(peek(lx, 0))) {
		size_t before = w->len;

		r = read_word_part(lx, w, flags);
		/* Still a NAME: one more unquoted name character. */
		if (w->len != before + 1 || w->q[before] != Q_LIT || !is_name_char(w->c[before]) ||
		    !is_name_start(w->c[0]))
			flags &= ~WORD_NAME;
	}
	lx->word_end = lx->pos;
	return r;
}

static void skip_blanks(struct lexer *lx)
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
	int r = read_word(lx, &w, flags);
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
	r = push_word(lx, cb, &w);
	cb->ionum = ionum;
	if (r == 0 && cb->is_case && cb->n == 3 && wb_is(&w, "in")) {
		cmdb_restart(lx, cb);
		fr->case_open++;
		start_pattern(fr);
	}
	return r;
}

/* ---- redirections and here-documents ---- */

enum redir { R_FILE, R_HEREDOC, R_HEREDOC_STRIP, R_HERESTRING };

static int add_heredoc(struct lexer *lx, struct cmdb *cb, const struct wbuf *w, bool strip)
{
	int r = charge(lx, w->len + sizeof(struct heredoc));

	if (r < 0)
		return r;
	lx->hd = grow(lx->hd, lx->nhd, sizeof(*lx->hd));
	lx->hd[lx->nhd++] = (struct heredoc){
		.delim = xstrdup(wb_str(w)),
		.quoted = w->quoted,
		.strip = strip,
		.owner = cb->id,
		.cmd = -1,
	};
	return 0;
}

static int lex_procsubst(struct lexer *lx, struct cmdb *cb)
{
	size_t start = lx->pos;
	_cleanup_wbuf_ struct wbuf w = { 0 };
	int r = enter(lx);

	if (r < 0)
		return r;
	lx->pos += 2;
	r = lex_list(lx, ')', false, "unterminated process substitution", start);
	lx->depth--;
	if (r < 0 || !cb)
		return r;
	add_raw(lx, &w, start, Q_QUOTED);
	return push_final(lx, cb, &w);
}

static int lex_redir_target(struct lexer *lx, struct cmdb *cb, enum redir kind)
{
	_cleanup_wbuf_ struct wbuf w = { 0 };
	size_t at = lx->pos;
	char c;
	int r;

	skip_blanks(lx);
	c = peek(lx, 0);
	if ((c == '<' || c == '>') && peek(lx, 1) == '(' && kind == R_FILE)
		return lex_procsubst(lx, NULL);
	if (is_word_end(c))
		return syntax_error(lx, at, "redirection without a target");
	r = read_word(lx, &w, 0);
	if (r < 0)
		return r;
	if (kind == R_HERESTRING) {
		r = add_input(lx, &cb->input, wb_str(&w));
		return r < 0 ? r : add_input(lx, &cb->input, "\n");
	}
	if (kind != R_FILE)
		return add_heredoc(lx, cb, &w, kind == R_HEREDOC_STRIP);
	return 0;
}

static int lex_redirect(struct lexer *lx, struct cmdb *cb)
{
	char c = peek(lx, 0), n = peek(lx, 1);
	enum redir kind = R_FILE;

	if (n == '(')
		return lex_procsubst(lx, cb);
	if (cb->ionum && lx->word_end == lx->pos) { /* "2>x": the 2 is no argument */
		cb->n--;
		free(cb->w[cb->n].text);
		free(cb->w[cb->n].glob);
		cb->assign_ok = cb->assign_ok_prev;
	}
	cb->ionum = false;
	lx->pos++;
	if (c == '<' && n == '<') {
		lx->pos++;
		kind = R_HEREDOC;
		if (peek(lx, 0) == '<')
			kind = R_HERESTRING;
		else if (peek(lx, 0) == '-')
			kind = R_HEREDOC_STRIP;
		lx->pos += kind != R_HEREDOC;
	} else if (n == '>' || n == '&' || (c == '>' && n == '|') || (c == '<' && n == '>')) {
		lx->pos++;
	}
	return lex_redir_target(lx, cb, kind);
}

/* One logical line of a here-document body; for an unquoted delimiter a
 * backslash-newline joins lines, as bash does before comparing. */
static void heredoc_line(struct lexer *lx, const struct heredoc *h, struct wbuf *line)
{
	for (;;) {
		const char *s = lx->s + lx->pos;
		const char *nl = memchr(s, '\n', lx->len - lx->pos);
		size_t n = nl ? (size_t)(nl - s) : lx->len - lx->pos, bs = 0;

		lx->pos += n + (nl ? 1 : 0);
		while (bs < n && s[n - 1 - bs] == '\\')
			bs++;
		if (h->quoted || !nl || bs % 2 == 0 || lx->pos >= lx->len) {
			wb_add(line, s, n, Q_LIT);
			return;
		}
		wb_add(line, s, n - 1, Q_LIT);
	}
}

static int read_heredoc(struct lexer *lx, struct heredoc *h)
{
	_cleanup_wbuf_ struct wbuf body = { 0 };
	int r;

	while (lx->pos < lx->len) {
		_cleanup_wbuf_ struct wbuf line = { 0 };
		const char *l;

		heredoc_line(lx, h, &line);
		l = wb_str(&line);
		while (h->strip && *l == '\t')
			l++;
		if (strcmp(l, h->delim) == 0)
			break;
		wb_add(&body, l, strlen(l), Q_LIT);
		wb_put(&body, '\n', Q_LIT);
	}
	h->body = xstrdup(wb_str(&body));
	r = charge(lx, body.len);
	if (r == 0 && !h->quoted)
		r = sub_lex(lx, h->body, body.len, lx->pos, SCAN_DQ);
	if (r == 0 && h->cmd >= 0)
		r = add_input(lx, &lx->out->cmds[h->cmd].input, h->body);
	return r;
}

static int read_heredocs(struct lexer *lx)
{
	int r = 0;

	while (r == 0 && lx->hd_next < lx->nhd)
		r = read_heredoc(lx, &lx->hd[lx->hd_next++]);
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
	return r < 0 ? r : read_heredocs(lx);
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
		return lex_redirect(lx, cb);
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
	int r = enter(lx);

	if (r < 0)
		return r;
	lx->pos++;
	r = lex_list(lx, ')', words_only, what, at);
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
	int r = read_arith(lx, 2, end);

	if (cb->n == 1 && strcmp(cb->w[0].text, "for") == 0)
		cmdb_restart(lx, cb);
	return r;
}

static int lex_paren(struct lexer *lx, struct cmdb *cb, struct frame *fr)
{
	size_t end = 0;

	if (lx->dialect == SHLEX_BASH && peek(lx, 1) == '(' && cb->keywords_only) {
		int r = arith_end(lx, lx->pos + 2, &end);

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
	r = read_word(lx, &w, 0);
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
		return syntax_error(lx, lx->pos, "unexpected ')'");
	case '<':
	case '>':
		return lex_redirect(lx, cb);
	default:
		return lex_word(lx, cb, fr);
	}
}

static int lex_list(struct lexer *lx, char term, bool words_only, const char *what, size_t at)
{
	_cleanup_cmdb_ struct cmdb cb = { 0 };
	struct frame fr = { .words_only = words_only };
	int r = 0;

	cmdb_start(lx, &cb);
	while (r >= 0) {
		char c;

		skip_blanks(lx);
		c = peek(lx, 0);
		if (c == '\0') {
			if (term)
				return syntax_error(lx, at, what);
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
	r = charge(&lx, lx.len + 256);
	if (r == 0)
		r = lex_list(&lx, '\0', false, NULL, 0);
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
