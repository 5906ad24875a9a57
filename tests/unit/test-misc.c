/* Unit tests for the small pure modules: util, envsan, proxyurl, cli. */
#include <stdlib.h>

#include "cli.h"
#include "envsan.h"
#include "proxyurl.h"
#include "tap.h"
#include "util.h"

TEST(shell_quote)
{
	char *s;
	ASSERT_STREQ("abc", s = gw_shell_quote("abc")); free(s);
	ASSERT_STREQ("''", s = gw_shell_quote("")); free(s);
	ASSERT_STREQ("'a b'", s = gw_shell_quote("a b")); free(s);
	ASSERT_STREQ("'it'\\''s'", s = gw_shell_quote("it's")); free(s);
	/* Unlike the original, ~ and = are quoted. */
	ASSERT_STREQ("'~'", s = gw_shell_quote("~")); free(s);
	ASSERT_STREQ("'a=b'", s = gw_shell_quote("a=b")); free(s);
	char *argv[] = { "echo", "a b", "$HOME", NULL };
	ASSERT_STREQ("echo 'a b' '$HOME'", s = gw_shell_join(argv)); free(s);
}

TEST(strv)
{
	_cleanup_strv_ char **v = NULL;
	v = gw_strv_push(v, "a");
	v = gw_strv_push(v, "b");
	ASSERT_EQ(2, gw_strv_len(v));
	ASSERT_TRUE(gw_strv_contains(v, "b"));
	ASSERT_FALSE(gw_strv_contains(v, "c"));
	_cleanup_strv_ char **d = gw_strv_dup(v);
	ASSERT_STREQ("a", d[0]);
	ASSERT_TRUE(d[2] == NULL);
}

TEST(envsan_strips_dangerous)
{
	char *env[] = { "PATH=/usr/bin", "LD_PRELOAD=/x.so", "LD_LIBRARY_PATH=/l", "BASH_ENV=/e",
			"ENV=/e", "SHELLOPTS=xtrace", "PS4=$(id)", "PROMPT_COMMAND=id",
			"BASH_FUNC_ls%%=() { id; }", "GLIBC_TUNABLES=x", "GREYWALL_CONFIG_JSON={}",
			"HOME=/h", "LDFLAGS=-O2", "noequals", NULL };
	_cleanup_strv_ char **c = envsan_copy(env);
	ASSERT_EQ(3, gw_strv_len(c));
	ASSERT_STREQ("PATH=/usr/bin", c[0]);
	ASSERT_STREQ("HOME=/h", c[1]);
	/* LDFLAGS is a build variable, not a loader one. */
	ASSERT_STREQ("LDFLAGS=-O2", c[2]);
	char *env2[] = { "LD_AUDIT=x", "A=1", NULL };
	_cleanup_strv_ char **removed = NULL;
	ASSERT_EQ(1, envsan_filter(env2, &removed));
	ASSERT_STREQ("LD_AUDIT", removed[0]);
	ASSERT_STREQ("A=1", env2[0]);
	ASSERT_TRUE(env2[1] == NULL);
}

TEST(envsan_set_get)
{
	_cleanup_strv_ char **e = NULL;
	e = envsan_set(e, "A", "1");
	e = envsan_set(e, "A", "2");
	e = envsan_set(e, "AB", "3");
	ASSERT_EQ(2, gw_strv_len(e));
	ASSERT_STREQ("2", envsan_get(e, "A"));
	envsan_unset(e, "A");
	ASSERT_TRUE(envsan_get(e, "A") == NULL);
	ASSERT_STREQ("3", envsan_get(e, "AB"));
}

TEST(proxyurl)
{
	struct gw_proxy_url u;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, proxyurl_parse("socks5://u%40x:p%3Aw@127.0.0.1:1080", &u, &err));
	ASSERT_STREQ("socks5", u.scheme);
	ASSERT_STREQ("u@x", u.user);
	ASSERT_STREQ("p:w", u.pass);
	ASSERT_STREQ("127.0.0.1", u.host);
	ASSERT_EQ(1080, u.port);
	char *s = proxyurl_format(&u);
	ASSERT_STREQ("socks5://u%40x:p%3Aw@127.0.0.1:1080", s);
	free(s);
	proxyurl_free(&u);
	ASSERT_EQ(0, proxyurl_parse("HTTP://[::1]:8080/", &u, &err));
	ASSERT_STREQ("http", u.scheme);
	ASSERT_STREQ("::1", u.host);
	s = proxyurl_format(&u);
	ASSERT_STREQ("http://[::1]:8080", s);
	free(s);
	proxyurl_free(&u);
	const char *bad[] = { "localhost:1080", "socks5://host", "socks5://host:0", "socks5://host:65536",
			      "socks5://:80", "socks5://h:80/path", "socks5://u%zz@h:1", "socks5://h:8x", NULL };
	for (size_t i = 0; bad[i]; i++)
		ASSERT_EQ(-EINVAL, proxyurl_parse(bad[i], &u, &err));
	gw_error_clear(&err);
	ASSERT_EQ(0, proxyurl_parse("socks5://localhost:1", &u, &err));
	ASSERT_EQ(0, proxyurl_resolve_host(&u, &err));
	ASSERT_TRUE(strcmp(u.host, "127.0.0.1") == 0 || strcmp(u.host, "::1") == 0);
	proxyurl_free(&u);
}

TEST(cli)
{
	struct gw_opts o;
	struct gw_error err = { 0 };
	char *a1[] = { "greywall", "--no-bwrap", "-s", "f.json", "--proxy=socks5://h:1", "--", "ls", "-la", NULL };
	ASSERT_EQ(0, cli_parse(8, a1, &o, &err));
	ASSERT_TRUE(o.no_bwrap);
	ASSERT_STREQ("f.json", o.settings);
	ASSERT_STREQ("socks5://h:1", o.proxy);
	ASSERT_STREQ("ls", o.argv[0]);
	ASSERT_STREQ("-la", o.argv[1]);
	char *a2[] = { "greywall", "-d", "ls", "-la", NULL };
	ASSERT_EQ(0, cli_parse(4, a2, &o, &err));
	ASSERT_TRUE(o.debug);
	ASSERT_STREQ("-la", o.argv[1]);
	char *a3[] = { "greywall", "-c", "echo hi", NULL };
	ASSERT_EQ(0, cli_parse(3, a3, &o, &err));
	ASSERT_STREQ("echo hi", o.shell_cmd);
	char *a4[] = { "greywall", "check", NULL };
	ASSERT_EQ(0, cli_parse(2, a4, &o, &err));
	ASSERT_EQ(GW_MODE_CHECK, o.mode);
	char *a5[] = { "greywall", "--", "check", NULL };
	ASSERT_EQ(0, cli_parse(3, a5, &o, &err));
	ASSERT_EQ(GW_MODE_RUN, o.mode);
	char *a6[] = { "greywall", "--bogus", NULL };
	ASSERT_EQ(-EINVAL, cli_parse(2, a6, &o, &err));
	ASSERT_CONTAINS(err.msg, "--bogus");
	char *a7[] = { "greywall", NULL };
	ASSERT_EQ(-EINVAL, cli_parse(1, a7, &o, &err));
	ASSERT_CONTAINS(err.msg, "no command specified");
	char *a8[] = { "greywall", "-s", NULL };
	ASSERT_EQ(-EINVAL, cli_parse(2, a8, &o, &err));
	char *a9[] = { "greywall", "-c", "x", "y", NULL };
	ASSERT_EQ(-EINVAL, cli_parse(4, a9, &o, &err));
	char *a10[] = { "greywall", "-c", "--", NULL };
	ASSERT_EQ(0, cli_parse(3, a10, &o, &err));
	ASSERT_STREQ("--", o.shell_cmd);
	gw_error_clear(&err);
}

int main(void)
{
	RUN(shell_quote);
	RUN(strv);
	RUN(envsan_strips_dangerous);
	RUN(envsan_set_get);
	RUN(proxyurl);
	RUN(cli);
	return tap_done();
}
