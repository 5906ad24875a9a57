/* shlex-word.c: reading one word: quotes and backslashes, $'...', $name,
 * ${...}, $(...), `...`, arithmetic, and bash brace expansion of the
 * result.  See shlex-internal.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shlex-internal.h"

static void wb_mark_quoted(struct wbuf *w)
{
	if (w)
		w->quoted = true;
}

static int read_dollar(struct lexer *lx, struct wbuf *w, bool in_dq);
static int read_backtick(struct lexer *lx, struct wbuf *w, bool in_dq);

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
		*err = shlex_charge(lx, j - i);
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
		int r = shlex_charge(lx, it->w.len + BRACE_WORD_COST);

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
		int r = shlex_charge(lx, it->w.len + (size_t)len + BRACE_WORD_COST);

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
		struct seq sq = { 0 };
		bool found = find_group(lx, &it, &g, &sq, &r);

		if (found && g.comma)
			r = bx_comma(lx, &stack, &n, &it, &g);
		else if (found)
			r = bx_seq(lx, &stack, &n, &it, &g, &sq);
		else if (r >= 0 && it.w.len > 0) /* bash drops words that expand to nothing */
			r = shlex_push_final(lx, cb, &it.w);
		wb_free(&it.w);
	}
	while (n > 0)
		wb_free(&stack[--n].w);
	free(stack);
	return r;
}

int shlex_push_word(struct lexer *lx, struct cmdb *cb, const struct wbuf *w)
{
	if (lx->dialect == SHLEX_BASH && w->c && memchr(w->c, '{', w->len))
		return brace_expand(lx, cb, w);
	return shlex_push_final(lx, cb, w);
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
		return shlex_syntax_error(lx, at, "unterminated single quote");
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

int shlex_lex_dq(struct lexer *lx, struct wbuf *w, char stop, size_t at)
{
	for (;;) {
		char c = peek(lx, 0);
		int r = 0;

		if (c == '\0')
			return stop ? shlex_syntax_error(lx, at, "unterminated double quote") : 0;
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
	return shlex_lex_dq(lx, w, '"', at);
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
			return shlex_syntax_error(lx, at, "unterminated $'...' quote");
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
int shlex_arith_end(struct lexer *lx, size_t i, size_t *end)
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
	return shlex_charge(lx, (i < lx->len ? i : lx->len) - start);
}

/* An arithmetic expression runs no command itself, but the substitutions
 * in it do; it is read like the inside of double quotes. */
int shlex_read_arith(struct lexer *lx, size_t open_len, size_t end)
{
	size_t start = lx->pos + open_len;
	int r = shlex_sub_lex(lx, lx->s + start, end - 2 - start, start, SCAN_DQ);

	lx->pos = end;
	return r;
}

static int read_subst(struct lexer *lx)
{
	size_t at = lx->pos, end = 0;
	int r = 0;

	if (peek(lx, 2) == '(')
		r = shlex_arith_end(lx, lx->pos + 3, &end);
	if (r < 0 || end)
		return r < 0 ? r : shlex_read_arith(lx, 3, end);
	r = shlex_enter(lx);
	if (r < 0)
		return r;
	lx->pos += 2;
	r = shlex_lex_list(lx, ')', false, "unterminated $(", at);
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
	int level = 1, r = shlex_enter(lx);

	lx->pos += skip;
	while (r >= 0 && level > 0) {
		if (peek(lx, 0) == '\0')
			return shlex_syntax_error(lx, at, what);
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
			return shlex_syntax_error(lx, start, "unterminated backquote");
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
	r = shlex_charge(lx, b.len);
	if (r == 0)
		r = shlex_sub_lex(lx, wb_str(&b), b.len, start, SCAN_LIST);
	if (r < 0)
		return r;
	add_raw(lx, w, start, in_dq ? Q_QEXP : Q_EXP);
	return 0;
}

/* ---- words ---- */

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

int shlex_read_word(struct lexer *lx, struct wbuf *w, int flags)
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
