/* shlex-redir.c: redirections, process substitutions and here-documents.
 * See shlex-internal.h.
 */
#include <stdlib.h>
#include <string.h>

#include "shlex-internal.h"

/* ---- redirections and here-documents ---- */

enum redir { R_FILE, R_HEREDOC, R_HEREDOC_STRIP, R_HERESTRING };

static int add_heredoc(struct lexer *lx, struct cmdb *cb, const struct wbuf *w, bool strip)
{
	int r = shlex_charge(lx, w->len + sizeof(struct heredoc));

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
	int r = shlex_enter(lx);

	if (r < 0)
		return r;
	lx->pos += 2;
	r = shlex_lex_list(lx, ')', false, "unterminated process substitution", start);
	lx->depth--;
	if (r < 0 || !cb)
		return r;
	add_raw(lx, &w, start, Q_QUOTED);
	return shlex_push_final(lx, cb, &w);
}

static int lex_redir_target(struct lexer *lx, struct cmdb *cb, enum redir kind)
{
	_cleanup_wbuf_ struct wbuf w = { 0 };
	size_t at = lx->pos;
	char c;
	int r;

	shlex_skip_blanks(lx);
	c = peek(lx, 0);
	if ((c == '<' || c == '>') && peek(lx, 1) == '(' && kind == R_FILE)
		return lex_procsubst(lx, NULL);
	if (is_word_end(c))
		return shlex_syntax_error(lx, at, "redirection without a target");
	r = shlex_read_word(lx, &w, 0);
	if (r < 0)
		return r;
	if (kind == R_HERESTRING) {
		r = shlex_add_input(lx, &cb->input, wb_str(&w));
		return r < 0 ? r : shlex_add_input(lx, &cb->input, "\n");
	}
	if (kind != R_FILE)
		return add_heredoc(lx, cb, &w, kind == R_HEREDOC_STRIP);
	return 0;
}

int shlex_lex_redirect(struct lexer *lx, struct cmdb *cb)
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
	r = shlex_charge(lx, body.len);
	if (r == 0 && !h->quoted)
		r = shlex_sub_lex(lx, h->body, body.len, lx->pos, SCAN_DQ);
	if (r == 0 && h->cmd >= 0)
		r = shlex_add_input(lx, &lx->out->cmds[h->cmd].input, h->body);
	return r;
}

int shlex_read_heredocs(struct lexer *lx)
{
	int r = 0;

	while (r == 0 && lx->hd_next < lx->nhd)
		r = read_heredoc(lx, &lx->hd[lx->hd_next++]);
	return r;
}
