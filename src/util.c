/* util.c: see util.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* vasprintf */
#endif
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	/* No allocation here: the process is out of memory. */
	static const char msg[] = "greywall: out of memory\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n ? n : 1);
	if (!r)
		oom();
	return r;
}

char *xstrdup(const char *s)
{
	char *r = strdup(s);
	if (!r)
		oom();
	return r;
}

char *xstrndup(const char *s, size_t n)
{
	char *r = strndup(s, n);
	if (!r)
		oom();
	return r;
}

char *xstrcat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *r = xmalloc(la + lb + lc + 1);
	memcpy(r, a, la);
	memcpy(r + la, b, lb);
	memcpy(r + la + lb, c, lc + 1);
	return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *r = NULL;
	if (vasprintf(&r, fmt, ap) < 0)
		oom();
	return r;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

size_t gw_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

char **gw_strv_push_take(char **v, char *s)
{
	size_t n = gw_strv_len(v);
	v = xrealloc(v, (n + 2) * sizeof *v);
	v[n] = s;
	v[n + 1] = NULL;
	return v;
}

char **gw_strv_push(char **v, const char *s)
{
	return gw_strv_push_take(v, xstrdup(s));
}

bool gw_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

char **gw_strv_dup(char *const *v)
{
	char **r = xcalloc(gw_strv_len(v) + 1, sizeof *r);
	for (size_t i = 0; v && v[i]; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

void gw_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool gw_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool gw_str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lf = strlen(suffix);
	return ls >= lf && memcmp(s + ls - lf, suffix, lf) == 0;
}

char *gw_shell_quote(const char *w)
{
	/* Unlike the original, '~' and '=' are quoted too: an unquoted '~'
	 * would be tilde-expanded by the inner shell. */
	bool safe = *w != '\0';
	for (const char *p = w; *p && safe; p++)
		safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || strchr("-_./:,@%+", *p);
	if (safe)
		return xstrdup(w);
	size_t n = 2;
	for (const char *p = w; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *r = xmalloc(n + 1), *o = r;
	*o++ = '\'';
	for (const char *p = w; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return r;
}

char *gw_shell_join(char *const *argv)
{
	/* Capacity doubles, so joining n words stays linear. */
	size_t cap = 64, len = 0;
	char *r = xmalloc(cap);
	r[0] = '\0';
	for (size_t i = 0; argv && argv[i]; i++) {
		_cleanup_free_ char *q = gw_shell_quote(argv[i]);
		size_t ql = strlen(q);
		while (len + ql + 2 > cap)
			cap *= 2;
		r = xrealloc(r, cap);
		if (i)
			r[len++] = ' ';
		memcpy(r + len, q, ql + 1);
		len += ql;
	}
	return r;
}

int gw_error_set(struct gw_error *err, int neg_errno, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		char *m = xvasprintf(fmt, ap);
		va_end(ap);
		free(err->msg);
		err->msg = m;
	}
	return neg_errno;
}

void gw_error_prefix(struct gw_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *p = xvasprintf(fmt, ap);
	va_end(ap);
	char *m = xasprintf("%s: %s", p, err->msg ? err->msg : "error");
	free(err->msg);
	err->msg = m;
}

void gw_error_clear(struct gw_error *err)
{
	if (err) {
		free(err->msg);
		err->msg = NULL;
	}
}
