/* shlex-internal.h: what the pieces of the shell-line reader share.
 *
 * shlex.c reads lists and simple commands and holds the public functions of
 * shlex.h; shlex-word.c reads one word (quoting, $'...', substitutions,
 * brace expansion); shlex-redir.c reads redirections and here-documents.
 * Only those files include this header: shlex.h is the module's contract.
 *
 * Ownership: a struct wbuf owns its two arrays until wb_free(); a struct
 * cmdb owns its words and input until the command is emitted, which moves
 * them to lx->out; lx->hd owns each here-document's delimiter and body
 * until the lexer is done (shlex_parse() and shlex_sub_lex() free them).
 *
 * Errors: every int function here returns 0, or a negative errno (-EINVAL
 * for a syntax error, -E2BIG for an exceeded limit) with lx->err set; the
 * caller then stops reading and passes the value up. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "shlex.h"
#include "util.h"

/* ---- growable arrays and byte buffers ---- */

/* Grows p (holding n elements) so that element n fits: doubles whenever n
 * reaches a power of two. */
static inline void *grow(void *p, size_t n, size_t size)
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

static inline void wb_add(struct wbuf *w, const char *s, size_t n, unsigned char kind)
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

static inline void wb_put(struct wbuf *w, char ch, unsigned char kind)
{
	wb_add(w, &ch, 1, kind);
}

static inline void wb_free(struct wbuf *w)
{
	free(w->c);
	free(w->q);
	*w = (struct wbuf){ 0 };
}
#define _cleanup_wbuf_ __attribute__((cleanup(wb_free)))

static inline const char *wb_str(const struct wbuf *w)
{
	return w->c ? w->c : "";
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

static inline char peek(const struct lexer *lx, size_t k)
{
	return lx->pos + k < lx->len ? lx->s[lx->pos + k] : '\0';
}

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_op(char c)
{
	return c != '\0' && strchr(";&|()<>", c);
}

static inline bool is_word_end(char c)
{
	return c == '\0' || c == '\n' || is_blank(c) || is_op(c);
}

static inline bool is_name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* How shlex_sub_lex() reads its text. */
enum scan_mode { SCAN_LIST, SCAN_DQ };

/* Flags of shlex_read_word(). */
enum {
	WORD_ASSIGN_OK = 1, /* an assignment may start here */
	WORD_ARRAY = 2,     /* inside a=( ... ) */
	WORD_NAME = 4,      /* the word so far is a NAME */
};

/* Raw source text from `start` as a word part: for a substitution, whose
 * output is unknown, the source stands for it. */
static inline void add_raw(struct lexer *lx, struct wbuf *w, size_t start, unsigned char kind)
{
	wb_add(w, lx->s + start, lx->pos - start, kind);
}

/* ---- shlex.c: the lexer, simple commands, lists ---- */

/* Sets lx->err to "what (at byte N)", with N counted from the start of the
 * outermost text, and returns -EINVAL. */
int shlex_syntax_error(struct lexer *lx, size_t at, const char *what);

/* Takes n bytes from the budget shared by all nested parses; -E2BIG when
 * it runs out. */
int shlex_charge(struct lexer *lx, size_t n);

/* Appends s to *dst (NULL or allocated; the caller owns the result),
 * charging the copy. */
int shlex_add_input(struct lexer *lx, char **dst, const char *s);

/* Goes one nesting level deeper; -E2BIG past SHLEX_MAX_DEPTH.  The caller
 * decrements lx->depth when it comes back up. */
int shlex_enter(struct lexer *lx);

/* Reads s[0..len) as a text of its own one level deeper (SCAN_LIST: as
 * commands; SCAN_DQ: like the inside of double quotes), adding its commands
 * to lx->out.  `at` is where s sits in lx->s, for error messages. */
int shlex_sub_lex(struct lexer *lx, const char *s, size_t len, size_t at, enum scan_mode mode);

/* Reads commands into lx->out up to `term`: '\0' (end of text) or ')',
 * which it consumes.  The end of text before a ')' is the syntax error
 * `what` at byte `at`.  words_only reads array elements, not commands. */
int shlex_lex_list(struct lexer *lx, char term, bool words_only, const char *what, size_t at);

/* Adds w to the command as it is (no brace expansion); the command gets
 * its own copy. */
int shlex_push_final(struct lexer *lx, struct cmdb *cb, const struct wbuf *w);

/* Skips blanks and backslash-newlines at lx->pos. */
void shlex_skip_blanks(struct lexer *lx);

/* ---- shlex-word.c: words, quoting, substitutions, brace expansion ---- */

/* Adds w to the command, brace-expanded first in the bash dialect. */
int shlex_push_word(struct lexer *lx, struct cmdb *cb, const struct wbuf *w);

/* Reads up to `stop` ('"': the inside of double quotes, or '\0': a whole
 * here-document or arithmetic body, where only substitutions matter) into
 * w, which may be NULL.  An unterminated quote is reported at `at`. */
int shlex_lex_dq(struct lexer *lx, struct wbuf *w, char stop, size_t at);

/* Reads one word at lx->pos into w, with quotes removed and the source
 * text of each expansion kept; flags are WORD_*.  Sets lx->word_end. */
int shlex_read_word(struct lexer *lx, struct wbuf *w, int flags);

/* With i just after "((" or "$((": sets *end to the index after the
 * closing "))", or to 0 when the parentheses are not arithmetic. */
int shlex_arith_end(struct lexer *lx, size_t i, size_t *end);

/* Reads the arithmetic expression that starts open_len bytes after lx->pos
 * and whose "))" ends just before `end` (from shlex_arith_end()), and moves
 * lx->pos to `end`. */
int shlex_read_arith(struct lexer *lx, size_t open_len, size_t end);

/* ---- shlex-redir.c: redirections and here-documents ---- */

/* Reads the redirection at lx->pos (for bash's "&>", lx->pos is on the
 * '>'): drops an io number written right before it ("2" of 2>x) from the
 * command, records a here-document, or adds a here-string to the command's
 * input.  A process substitution's commands go to lx->out; unless it is
 * the target of a redirection, its text also becomes a word of cb. */
int shlex_lex_redirect(struct lexer *lx, struct cmdb *cb);

/* Reads the bodies of the here-documents still waiting at the end of a
 * line, adding the commands of unquoted ones to lx->out. */
int shlex_read_heredocs(struct lexer *lx);
