/* test-config.c: config parsing, validation, extends, merge, serialisation.
 * Links src/config*.c, util.c and log.c directly. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config-locate.h"
#include "config.h"
#include "tap.h"
#include "util.h"

/* ---- helpers ---- */

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/test-config-XXXXXX";
	if (!mkdtemp(tmpl))
		TAP_FAIL("mkdtemp: %s", strerror(errno));
	/* realpath: /tmp may be a symlink, and sources hold real paths. */
	char *real = realpath(tmpl, NULL);
	if (!real)
		TAP_FAIL("realpath: %s", strerror(errno));
	return real;
}

static void rm_rf(const char *dir)
{
	_cleanup_free_ char *cmd = gw_shell_quote(dir);
	_cleanup_free_ char *line = xasprintf("rm -rf -- %s", cmd);
	if (system(line) != 0)
		printf("# cleanup of %s failed\n", dir);
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		TAP_FAIL("fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	return path;
}

static int parse(const char *text, struct gw_config *cfg, struct gw_error *err)
{
	return config_parse_buffer("t.json", text, strlen(text), NULL, cfg, err);
}

/* NULL when `text` parses, else the error message (caller frees). */
static char *parse_err(const char *text)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	int r = parse(text, &cfg, &err);
	config_free(&cfg);
	if (r == 0) {
		gw_error_clear(&err);
		return NULL;
	}
	if (r != -EINVAL)
		TAP_FAIL("expected -EINVAL, got %d (%s)", r, err.msg);
	return err.msg ? err.msg : xstrdup("(no message)");
}

#define ASSERT_PARSE_FAILS(text, needle)                                        \
	do {                                                                    \
		_cleanup_free_ char *_m = parse_err(text);                     \
		if (!_m)                                                        \
			TAP_FAIL("parsed, but expected an error: %s", text);    \
		ASSERT_CONTAINS(_m, needle);                                    \
	} while (0)

#define ASSERT_PARSES(text)                                                     \
	do {                                                                    \
		_cleanup_free_ char *_m = parse_err(text);                     \
		if (_m)                                                         \
			TAP_FAIL("unexpected error: %s", _m);                   \
	} while (0)

static char *json_with(const char *section, const char *key, const char *value)
{
	return xasprintf("{\"%s\": {\"%s\": %s}}", section, key, value);
}

static void assert_value_ok(const char *section, const char *key, const char *value)
{
	_cleanup_free_ char *text = json_with(section, key, value);
	ASSERT_PARSES(text);
}

static void assert_value_bad(const char *section, const char *key, const char *value,
			     const char *needle)
{
	_cleanup_free_ char *text = json_with(section, key, value);
	ASSERT_PARSE_FAILS(text, needle);
}

/* ---- syntax ---- */

TEST(comments_and_trailing_commas)
{
	static const char text[] =
		"// greywall policy\n"
		"{\n"
		"  /* block\n     comment */\n"
		"  \"filesystem\": {\n"
		"    \"allowRead\": [\"/a\", \"/b\",], // trailing\n"
		"  },\n"
		"}\n";
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse(text, &cfg, &err));
	ASSERT_EQ(2, gw_strv_len(cfg.filesystem.allow_read));
	ASSERT_STREQ("/b", cfg.filesystem.allow_read[1]);
	config_free(&cfg);
}

TEST(syntax_error_position)
{
	ASSERT_PARSE_FAILS("{\n  \"allowPty\": true,\n    x\n}",
			   "t.json:3:5: quoted object property name expected");
	ASSERT_PARSE_FAILS("{\"allowPty\": tru}", "t.json:1:");
	ASSERT_PARSE_FAILS("{\"allowPty\": true", "t.json:1:18: unexpected end of data");
	ASSERT_PARSE_FAILS("{\"allowPty\": true} {}", "t.json:1:20: unexpected text after the top-level object");
	ASSERT_PARSE_FAILS("{} /* open", "t.json:1:4: unterminated comment");
	ASSERT_PARSE_FAILS("/* open", "t.json:1:1: unterminated comment");
	/* json-c 0.16, fed the NUL that json_tokener_parse() adds, returns
	 * the inner object here as if it were the document. */
	ASSERT_PARSE_FAILS("{\"x\": {\"allowPty\": true} // cut", "t.json:1:32: unexpected end of data");
	ASSERT_PARSE_FAILS("[{}//", "unexpected end of data");
	/* A last-line comment without a newline is fine. */
	ASSERT_PARSES("{\"allowPty\": true} // done");
	ASSERT_PARSES("{\"allowPty\": true} /* done */");
}

/* json-c 0.16 does not end a block comment at a doubled star before the
 * slash and reads on to the next close: here it would swallow the
 * filesystem key and its deny rule without any error. */
TEST(comment_edge_cases)
{
	static const char text[] = "{\n"
				   "  /** note **/\n"
				   "  \"filesystem\": {\"denyRead\": [\"~/.ssh\"]}, /* end */\n"
				   "  \"allowPty\": true\n"
				   "}";
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse(text, &cfg, &err));
	ASSERT_EQ(1, gw_strv_len(cfg.filesystem.deny_read));
	ASSERT_TRUE(cfg.allow_pty);
	config_free(&cfg);

	/* Comment markers inside strings are not comments. */
	static const char ok[] = "{ /***/ \"filesystem\": {\"denyRead\": [\"/*x*/\", '//y']} /**/ }";
	ASSERT_EQ(0, parse(ok, &cfg, &err));
	ASSERT_EQ(2, gw_strv_len(cfg.filesystem.deny_read));
	ASSERT_STREQ("/*x*/", cfg.filesystem.deny_read[0]);
	ASSERT_STREQ("//y", cfg.filesystem.deny_read[1]);
	config_free(&cfg);
	ASSERT_PARSE_FAILS("{\"allowPty\": /*x**/ true} /*", "t.json:1:27: unterminated comment");
	ASSERT_PARSE_FAILS("{\"ssh\": {\"allowedHosts\": [\"a/*b\"]}} // */",
			   "t.json:1:27: ssh.allowedHosts[0]: host pattern cannot contain protocol or path");
}

TEST(top_level_must_be_object)
{
	ASSERT_PARSE_FAILS("[1]", "t.json:1:1: top level must be an object, got array");
	ASSERT_PARSE_FAILS("  null", "t.json:1:3: top level must be an object, got null");
	ASSERT_PARSE_FAILS("\"x\"", "got string");
	ASSERT_PARSE_FAILS("12", "got number");
}

TEST(empty_file)
{
	ASSERT_PARSE_FAILS("", "t.json: config file is empty");
	ASSERT_PARSE_FAILS(" \n\t\r\n", "config file is empty");
	ASSERT_PARSE_FAILS("// nothing\n/* at all */\n", "config file is empty");
}

TEST(nul_byte_rejected)
{
	static const char text[] = "{\"allowPty\": true}\0";
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(-EINVAL, config_parse_buffer("t.json", text, sizeof text - 1, NULL, &cfg, &err));
	ASSERT_CONTAINS(err.msg, "t.json:1:19: NUL byte");
	gw_error_clear(&err);
	config_free(&cfg);
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"denyRead\": [\"/a\\u0000b\"]}}",
			   "filesystem.denyRead[0]: contains a NUL character");
}

/* ---- schema ---- */

TEST(unknown_key_suggestion)
{
	static const char text[] = "{\n"
				   "  \"filesystem\": {\n"
				   "    \"denyread\": [\"/secret\"]\n"
				   "  }\n"
				   "}\n";
	ASSERT_PARSE_FAILS(text, "t.json:3:5: filesystem.denyread: unknown key; did you mean \"denyRead\"?");
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"denyReads\": []}}", "did you mean \"denyRead\"");
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"dneyRead\": []}}", "did you mean \"denyRead\"");
	ASSERT_PARSE_FAILS("{\"Network\": {}}", "Network: unknown key; did you mean \"network\"");
	ASSERT_PARSE_FAILS("{\"allowRead\": []}", "did you mean \"filesystem.allowRead\"");
	ASSERT_PARSE_FAILS("{\"ssh\": {\"zzz\": 1}}", "ssh.zzz: unknown key (known keys here: allowedHosts");
	/* Control characters in a key are escaped in the message. */
	ASSERT_PARSE_FAILS("{\"a\\u001bb\": 1}", "a\\x1bb: unknown key");
}

TEST(wrong_types)
{
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"allowRead\": 3}}",
			   "t.json:1:17: filesystem.allowRead: expected an array of strings, got number");
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"allowRead\": [\"/a\",\n 7]}}",
			   "t.json:2:2: filesystem.allowRead[1]: expected a string, got number");
	ASSERT_PARSE_FAILS("{\"allowPty\": \"yes\"}", "allowPty: expected true or false, got string");
	ASSERT_PARSE_FAILS("{\"network\": []}", "network: expected an object, got array");
	ASSERT_PARSE_FAILS("{\"extends\": 1}", "extends: expected a string, got number");
	ASSERT_PARSE_FAILS("{\"network\": {\"proxyUrl\": false}}", "expected a string, got boolean");
	ASSERT_PARSE_FAILS("{\"command\": {\"deny\": [null]}}", "command.deny[0]: expected a string, got null");
}

TEST(null_means_unset)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse("{\"network\": null, \"filesystem\": {\"allowRead\": null, "
			   "\"defaultDenyRead\": null}, \"allowPty\": null, \"extends\": null}",
			   &cfg, &err));
	ASSERT_EQ(GW_UNSET, cfg.filesystem.default_deny_read);
	ASSERT_TRUE(cfg.filesystem.allow_read == NULL);
	ASSERT_FALSE(cfg.allow_pty);
	config_free(&cfg);
}

TEST(all_keys_parse)
{
	static const char text[] =
		"{\"network\": {\"proxyUrl\": \"socks5://localhost:1080\",\n"
		"  \"httpProxyUrl\": \"http://localhost:3128\", \"dnsAddr\": \"localhost:3153\",\n"
		"  \"allowUnixSockets\": [\"/run/x.sock\"], \"allowAllUnixSockets\": true,\n"
		"  \"allowLocalBinding\": true, \"allowLocalOutbound\": false},\n"
		" \"filesystem\": {\"defaultDenyRead\": false, \"allowRead\": [\"/r\"],\n"
		"  \"denyRead\": [\"/dr\"], \"allowWrite\": [\"/w\"], \"denyWrite\": [\"/dw\"],\n"
		"  \"allowGitConfig\": true},\n"
		" \"command\": {\"deny\": [\"rm -rf\"], \"allow\": [\"ls\"], \"useDefaults\": false},\n"
		" \"ssh\": {\"allowedHosts\": [\"*.example.com\"], \"deniedHosts\": [\"bad\"],\n"
		"  \"allowedCommands\": [\"ls\"], \"deniedCommands\": [\"rm\"],\n"
		"  \"allowAllCommands\": true, \"inheritDeny\": true},\n"
		" \"allowPty\": true, \"allowDegraded\": true}";
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse(text, &cfg, &err));
	ASSERT_STREQ("socks5://localhost:1080", cfg.network.proxy_url);
	ASSERT_STREQ("localhost:3153", cfg.network.dns_addr);
	ASSERT_TRUE(cfg.network.allow_all_unix_sockets && cfg.network.allow_local_binding);
	ASSERT_EQ(GW_FALSE, cfg.network.allow_local_outbound);
	ASSERT_FALSE(config_allow_local_outbound(&cfg));
	ASSERT_FALSE(config_default_deny_read(&cfg));
	ASSERT_FALSE(config_use_default_commands(&cfg));
	ASSERT_STREQ("/dw", cfg.filesystem.deny_write[0]);
	ASSERT_TRUE(cfg.filesystem.allow_git_config);
	ASSERT_STREQ("rm -rf", cfg.command.deny[0]);
	ASSERT_STREQ("bad", cfg.ssh.denied_hosts[0]);
	ASSERT_TRUE(cfg.ssh.allow_all_commands && cfg.ssh.inherit_deny);
	ASSERT_TRUE(cfg.allow_pty && cfg.allow_degraded);
	config_free(&cfg);
}

TEST(duplicate_keys)
{
	ASSERT_PARSE_FAILS("{\"network\": {\"dnsAddr\": \"a:1\",\n  \"dnsAddr\": \"b:2\"}}",
			   "t.json:2:3: network.dnsAddr: duplicate key");
	ASSERT_PARSE_FAILS("{\"filesystem\": {}, \"filesystem\": {}}", "filesystem: duplicate key");
	/* json-c decodes escapes and cuts keys at NUL; both tricks must
	 * still be seen as the same key. */
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"denyRead\": [\"/s\"], \"deny\\u0052ead\": []}}",
			   "filesystem.denyRead: duplicate key");
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"denyRead\": [\"/s\"], \"deny\\u0052ead\\u0000x\": []}}",
			   "t.json:1:37: filesystem.denyRead: key contains a NUL character");
	ASSERT_PARSE_FAILS("{\"allowPty\\u0000x\": true}", "allowPty: key contains a NUL character");
	/* Same name in different objects is fine. */
	ASSERT_PARSES("{\"command\": {\"deny\": []}, \"ssh\": {\"deniedCommands\": [], \"allowedHosts\": []}}");
}

/* ---- validation ---- */

TEST(domain_lists)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse("{\"network\": {\"allowedDomains\": [\"*.Example.com\", "
			   "\"[::1]:8080\"], \"deniedDomains\": [\"x.example.com:22\"]}}",
			   &cfg, &err));
	ASSERT_STREQ("*.Example.com", cfg.network.allowed_domains[0]);
	ASSERT_STREQ("[::1]:8080", cfg.network.allowed_domains[1]);
	ASSERT_STREQ("x.example.com:22", cfg.network.denied_domains[0]);
	config_free(&cfg);
	ASSERT_PARSE_FAILS("{\"network\": {\"allowedDomains\": [\"ok.example\",\n  \"*.com\"]}}",
			   "t.json:2:3: network.allowedDomains[1]: bad domain pattern: a wildcard over a "
			   "top-level domain is too broad");
	ASSERT_PARSE_FAILS("{\"network\": {\"deniedDomains\": [\"*\"]}}",
			   "network.deniedDomains[0]: bad domain pattern: \"*\" would allow every name");
	ASSERT_PARSE_FAILS("{\"network\": {\"allowedDomains\": \"example.com\"}}",
			   "network.allowedDomains");
}

TEST(proxy_url)
{
	static const char *const good[] = {
		"\"socks5://localhost:1080\"", "\"socks5h://127.0.0.1:9050\"",
		"\"SOCKS5://host:1\"", "\"socks5://user:pa@ss@host:1080\"",
		"\"socks5://[::1]:1080\"", "\"socks5://host:65535/\"", "\"\"", NULL,
	};
	for (size_t i = 0; good[i]; i++)
		assert_value_ok("network", "proxyUrl", good[i]);
	assert_value_bad("network", "proxyUrl", "\"http://host:1\"",
			 "network.proxyUrl: proxy URL must use socks5:// or socks5h:// scheme (got \"http://host:1\")");
	assert_value_bad("network", "proxyUrl", "\"localhost:1080\"", "must use socks5://");
	assert_value_bad("network", "proxyUrl", "\"socks5://:1080\"", "proxy URL must include a hostname");
	assert_value_bad("network", "proxyUrl", "\"socks5://host\"", "proxy URL must include a port");
	assert_value_bad("network", "proxyUrl", "\"socks5://host:\"", "proxy URL must include a port");
	assert_value_bad("network", "proxyUrl", "\"socks5://host:0\"", "port from 1 to 65535");
	assert_value_bad("network", "proxyUrl", "\"socks5://host:65536\"", "port from 1 to 65535");
	assert_value_bad("network", "proxyUrl", "\"socks5://host:8x\"", "port from 1 to 65535");
	assert_value_bad("network", "proxyUrl", "\"socks5://host:1080/x\"", "must not contain a path");
	assert_value_bad("network", "proxyUrl", "\"socks5://::1:1080\"", "IPv6 address in brackets");
	assert_value_bad("network", "proxyUrl", "\"socks5://[::g]:1080\"", "invalid IPv6 address");
	assert_value_bad("network", "proxyUrl", "\"socks5://ho st:1080\"", "invalid character");
}

TEST(http_proxy_url)
{
	assert_value_ok("network", "httpProxyUrl", "\"http://proxy:3128\"");
	assert_value_ok("network", "httpProxyUrl", "\"https://u:p@proxy.example:443\"");
	assert_value_bad("network", "httpProxyUrl", "\"socks5://h:1\"",
			 "network.httpProxyUrl: HTTP proxy URL must use http:// or https:// scheme");
	assert_value_bad("network", "httpProxyUrl", "\"http://proxy\"", "HTTP proxy URL must include a port");
}

TEST(dns_addr)
{
	static const char *const good[] = {
		"\"localhost:3153\"", "\"127.0.0.1:53\"", "\"[::1]:53\"", "\"[2001:db8::1]:5353\"", NULL,
	};
	for (size_t i = 0; good[i]; i++)
		assert_value_ok("network", "dnsAddr", good[i]);
	assert_value_bad("network", "dnsAddr", "\"localhost\"",
			 "network.dnsAddr: DNS address must include a port (host:port, e.g. localhost:3153");
	assert_value_bad("network", "dnsAddr", "\":53\"", "must include a hostname");
	assert_value_bad("network", "dnsAddr", "\"localhost:\"", "must include a port");
	assert_value_bad("network", "dnsAddr", "\"::1:53\"", "in brackets");
	assert_value_bad("network", "dnsAddr", "\"[::1]\"", "must include a port");
	assert_value_bad("network", "dnsAddr", "\"[::1]53\"", "must include a port");
	assert_value_bad("network", "dnsAddr", "\"[::1:53\"", "unterminated");
	assert_value_bad("network", "dnsAddr", "\"[zz]:53\"", "invalid IPv6");
	assert_value_bad("network", "dnsAddr", "\"host:99999\"", "port from 1 to 65535");
}

TEST(empty_list_entries)
{
	ASSERT_PARSE_FAILS("{\"filesystem\": {\"allowRead\": [\"/a\", \"\"]}}",
			   "t.json:1:37: filesystem.allowRead[1]: empty path");
	assert_value_bad("filesystem", "denyWrite", "[\"\"]", "filesystem.denyWrite[0]: empty path");
	assert_value_bad("command", "deny", "[\"\"]", "command.deny[0]: empty command");
	assert_value_bad("command", "allow", "[\"x\", \"\"]", "command.allow[1]: empty command");
	assert_value_bad("ssh", "allowedCommands", "[\"\"]", "ssh.allowedCommands[0]: empty command");
	assert_value_bad("ssh", "deniedCommands", "[\"\"]", "empty command");
	assert_value_bad("network", "allowUnixSockets", "[\"\"]", "empty path");
}

TEST(ssh_host_patterns)
{
	static const char *const good[] = {
		"\"example.com\"", "\"*.example.com\"", "\"::1\"", "\"2001:db8::1\"", "\"10.0.0.*\"", NULL,
	};
	for (size_t i = 0; good[i]; i++) {
		_cleanup_free_ char *v = xasprintf("[%s]", good[i]);
		assert_value_ok("ssh", "allowedHosts", v);
	}
	assert_value_bad("ssh", "allowedHosts", "[\"ssh://host\"]", "cannot contain protocol or path");
	assert_value_bad("ssh", "deniedHosts", "[\"host/x\"]", "cannot contain protocol or path");
	assert_value_bad("ssh", "allowedHosts", "[\"host:22\"]",
			 "ssh.allowedHosts[0]: host pattern cannot contain port; specify port in SSH command instead (got \"host:22\")");
	assert_value_bad("ssh", "allowedHosts", "[\"git@github.com\"]", "should not contain username");
	assert_value_bad("ssh", "allowedHosts", "[\"\"]", "ssh.allowedHosts[0]: empty host pattern");
}

/* ---- files ---- */

TEST(load_file_errors)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *missing = xasprintf("%s/nope.json", dir);
	struct gw_config cfg;
	struct gw_error err = { 0 };

	ASSERT_EQ(-ENOENT, config_load_file(missing, &cfg, &err));
	_cleanup_free_ char *want = xasprintf("%s: no such file", missing);
	ASSERT_STREQ(want, err.msg);

	ASSERT_EQ(-EISDIR, config_load_file(dir, &cfg, &err));
	ASSERT_CONTAINS(err.msg, "is a directory");

	_cleanup_free_ char *big = write_file(dir, "big.json", "{}");
	ASSERT_EQ(0, truncate(big, 5 << 20));
	ASSERT_EQ(-EFBIG, config_load_file(big, &cfg, &err));
	ASSERT_CONTAINS(err.msg, "larger than 4 MiB");

	_cleanup_free_ char *empty = write_file(dir, "empty.json", "  \n");
	ASSERT_EQ(-EINVAL, config_load_file(empty, &cfg, &err));
	_cleanup_free_ char *want_empty = xasprintf("%s: config file is empty", empty);
	ASSERT_STREQ(want_empty, err.msg);

	ASSERT_EQ(-EINVAL, config_load_file("/dev/null", &cfg, &err));
	ASSERT_CONTAINS(err.msg, "not a regular file");
	gw_error_clear(&err);
	config_free(&cfg);
	rm_rf(dir);
}

TEST(load_file_ok)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *p = write_file(dir, "g.json", "{\"allowPty\": true}");
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, config_load_file(p, &cfg, &err));
	ASSERT_TRUE(cfg.allow_pty);
	ASSERT_EQ(1, gw_strv_len(cfg.sources));
	ASSERT_STREQ(p, cfg.sources[0]);
	config_free(&cfg);
	rm_rf(dir);
}

TEST(extends_relative_file)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *sub = xasprintf("%s/sub", dir);
	ASSERT_EQ(0, mkdir(sub, 0700));
	_cleanup_free_ char *base = write_file(dir, "sub/base.json",
		"{\"filesystem\": {\"allowRead\": [\"/a\"], \"defaultDenyRead\": false}, \"allowPty\": true}");
	_cleanup_free_ char *main = write_file(dir, "main.json",
		"{\"extends\": \"sub/base.json\",\n \"filesystem\": {\"allowRead\": [\"/b\", \"/a\"]}}");
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, config_load_file(main, &cfg, &err));
	ASSERT_EQ(2, gw_strv_len(cfg.filesystem.allow_read));
	ASSERT_STREQ("/a", cfg.filesystem.allow_read[0]);
	ASSERT_STREQ("/b", cfg.filesystem.allow_read[1]);
	ASSERT_TRUE(cfg.allow_pty);
	ASSERT_EQ(GW_FALSE, cfg.filesystem.default_deny_read);
	ASSERT_EQ(2, gw_strv_len(cfg.sources));
	ASSERT_STREQ(main, cfg.sources[0]);
	ASSERT_STREQ(base, cfg.sources[1]);
	config_free(&cfg);

	/* The same text through config_parse_buffer() with a base_dir. */
	static const char text[] = "{\"extends\": \"base.json\"}";
	ASSERT_EQ(0, config_parse_buffer("buf", text, strlen(text), sub, &cfg, &err));
	ASSERT_TRUE(cfg.allow_pty);
	ASSERT_EQ(1, gw_strv_len(cfg.sources));
	ASSERT_STREQ(base, cfg.sources[0]);
	config_free(&cfg);
	rm_rf(dir);
}

TEST(extends_home_and_paths_without_base)
{
	_cleanup_free_ char *dir = make_tmpdir();
	free(write_file(dir, "b.jsonc", "{\"allowDegraded\": true}"));
	_cleanup_free_ char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	setenv("HOME", dir, 1);
	static const char text[] = "{\"extends\": \"~/b.jsonc\"}";
	struct gw_config cfg;
	struct gw_error err = { 0 };
	int r = config_parse_buffer("buf", text, strlen(text), "/nonexistent", &cfg, &err);
	if (old_home)
		setenv("HOME", old_home, 1);
	ASSERT_EQ(0, r);
	ASSERT_TRUE(cfg.allow_degraded);
	config_free(&cfg);

	/* Without base_dir only templates are allowed. */
	ASSERT_PARSE_FAILS("{\"extends\": \"b.json\"}", "t.json:1:2: extends: \"b.json\" is a file path");
	ASSERT_PARSE_FAILS("{\"extends\": \"/etc/x\"}", "is a file path");
	rm_rf(dir);
}

TEST(extends_missing_file)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *main = write_file(dir, "main.json", "{\n  \"extends\": \"gone.json\"}");
	struct gw_config cfg;
	struct gw_error err = { 0 };
	/* Not -ENOENT: that would read as "no config file" to the caller. */
	ASSERT_EQ(-EINVAL, config_load_file(main, &cfg, &err));
	_cleanup_free_ char *want = xasprintf("%s:2:3: extends: %s/gone.json: no such file", main, dir);
	ASSERT_STREQ(want, err.msg);
	gw_error_clear(&err);
	rm_rf(dir);
}

TEST(extends_chain_merge_order)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *c = write_file(dir, "c.json",
		"{\"network\": {\"proxyUrl\": \"socks5://c:1\", \"dnsAddr\": \"c:53\"},"
		" \"filesystem\": {\"denyRead\": [\"/c\", \"/x\"], \"defaultDenyRead\": false},"
		" \"command\": {\"useDefaults\": true}}");
	_cleanup_free_ char *b = write_file(dir, "b.json",
		"{\"extends\": \"./c.json\", \"network\": {\"proxyUrl\": \"socks5://b:1\"},"
		" \"filesystem\": {\"denyRead\": [\"/b\", \"/x\"]}, \"command\": {\"useDefaults\": false}}");
	_cleanup_free_ char *a = write_file(dir, "a.json",
		"{\"extends\": \"b.json\", \"filesystem\": {\"denyRead\": [\"/a\"]}}");
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, config_load_file(a, &cfg, &err));
	ASSERT_STREQ("socks5://b:1", cfg.network.proxy_url);
	ASSERT_STREQ("c:53", cfg.network.dns_addr);
	ASSERT_EQ(4, gw_strv_len(cfg.filesystem.deny_read));
	ASSERT_STREQ("/c", cfg.filesystem.deny_read[0]);
	ASSERT_STREQ("/x", cfg.filesystem.deny_read[1]);
	ASSERT_STREQ("/b", cfg.filesystem.deny_read[2]);
	ASSERT_STREQ("/a", cfg.filesystem.deny_read[3]);
	ASSERT_EQ(GW_FALSE, cfg.filesystem.default_deny_read);
	ASSERT_EQ(GW_FALSE, cfg.command.use_defaults);
	ASSERT_EQ(3, gw_strv_len(cfg.sources));
	ASSERT_STREQ(a, cfg.sources[0]);
	ASSERT_STREQ(b, cfg.sources[1]);
	ASSERT_STREQ(c, cfg.sources[2]);
	config_free(&cfg);
	rm_rf(dir);
}

TEST(extends_cycle)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *a = write_file(dir, "a.json", "{\"extends\": \"b.json\"}");
	_cleanup_free_ char *b = write_file(dir, "b.json", "{\"extends\": \"a.json\"}");
	_cleanup_free_ char *self = write_file(dir, "self.json", "{\"extends\": \"self.json\"}");
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(-EINVAL, config_load_file(a, &cfg, &err));
	_cleanup_free_ char *want = xasprintf("%s:1:2: extends: cycle: %s -> %s -> %s", b, a, b, a);
	ASSERT_STREQ(want, err.msg);
	ASSERT_EQ(-EINVAL, config_load_file(self, &cfg, &err));
	ASSERT_CONTAINS(err.msg, "extends: cycle: ");
	gw_error_clear(&err);
	rm_rf(dir);
}

/* f0 extends f1 ... extends f<n-1>. */
static int load_chain(const char *dir, int n, struct gw_config *cfg, struct gw_error *err)
{
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *name = xasprintf("f%d.json", i);
		_cleanup_free_ char *text =
			i + 1 < n ? xasprintf("{\"extends\": \"f%d.json\", \"command\": {\"deny\": [\"c%d\"]}}", i + 1, i) :
				    xasprintf("{\"command\": {\"deny\": [\"c%d\"]}}", i);
		free(write_file(dir, name, text));
	}
	_cleanup_free_ char *first = xasprintf("%s/f0.json", dir);
	return config_load_file(first, cfg, err);
}

TEST(extends_depth_limit)
{
	_cleanup_free_ char *dir = make_tmpdir();
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, load_chain(dir, 10, &cfg, &err));
	ASSERT_EQ(10, gw_strv_len(cfg.command.deny));
	ASSERT_STREQ("c9", cfg.command.deny[0]);
	ASSERT_STREQ("c0", cfg.command.deny[9]);
	ASSERT_EQ(10, gw_strv_len(cfg.sources));
	config_free(&cfg);
	ASSERT_EQ(-EINVAL, load_chain(dir, 11, &cfg, &err));
	ASSERT_CONTAINS(err.msg, "f9.json:1:2: extends: nested more than 10 levels deep");
	gw_error_clear(&err);
	rm_rf(dir);
}

TEST(templates)
{
	const char *const *names = config_template_names();
	size_t n = 0;
	for (; names[n]; n++) {
		_cleanup_free_ char *text = xasprintf("{\"extends\": \"%s\"}", names[n]);
		ASSERT_PARSES(text);
		const char *t = config_template_text(names[n]);
		ASSERT_TRUE(t != NULL);
		struct gw_config cfg;
		struct gw_error err = { 0 };
		ASSERT_EQ(0, config_parse_buffer(names[n], t, strlen(t), NULL, &cfg, &err));
		ASSERT_TRUE(cfg.sources == NULL);
		config_free(&cfg);
	}
	ASSERT_EQ(5, n);
	ASSERT_TRUE(config_template_text("nope") == NULL);
	ASSERT_PARSE_FAILS("{\"extends\": \"nope\"}",
			   "t.json:1:2: extends: unknown template \"nope\" (built-in templates: default, code, "
			   "code-relaxed, git-readonly, local-dev-server)");
}

TEST(template_contents)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse("{\"extends\": \"code-relaxed\", \"filesystem\": {\"allowWrite\": [\"/w\"]}}",
			   &cfg, &err));
	ASSERT_TRUE(gw_strv_contains(cfg.filesystem.allow_write, "~/.npm"));
	ASSERT_TRUE(gw_strv_contains(cfg.filesystem.allow_write, "~/.cargo/git"));
	ASSERT_STREQ("/w", cfg.filesystem.allow_write[gw_strv_len(cfg.filesystem.allow_write) - 1]);
	ASSERT_FALSE(config_default_deny_read(&cfg));
	config_free(&cfg);

	ASSERT_EQ(0, parse("{\"extends\": \"git-readonly\"}", &cfg, &err));
	ASSERT_TRUE(gw_strv_contains(cfg.command.deny, "git push"));
	ASSERT_TRUE(gw_strv_contains(cfg.command.deny, "git branch -D"));
	ASSERT_TRUE(config_use_default_commands(&cfg));
	config_free(&cfg);

	ASSERT_EQ(0, parse("{\"extends\": \"local-dev-server\"}", &cfg, &err));
	ASSERT_TRUE(cfg.network.allow_local_binding);
	ASSERT_TRUE(config_allow_local_outbound(&cfg));
	config_free(&cfg);

	/* The including file wins over the template for tristates. */
	ASSERT_EQ(0, parse("{\"extends\": \"code-relaxed\", \"filesystem\": {\"defaultDenyRead\": true}}",
			   &cfg, &err));
	ASSERT_TRUE(config_default_deny_read(&cfg));
	config_free(&cfg);
}

/* ---- merge ---- */

TEST(merge_semantics)
{
	struct gw_config base, over;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse("{\"network\": {\"proxyUrl\": \"socks5://base:1\", \"dnsAddr\": \"base:53\","
			   " \"allowLocalBinding\": true},"
			   " \"filesystem\": {\"allowRead\": [\"/a\", \"/b\"], \"defaultDenyRead\": false},"
			   " \"command\": {\"useDefaults\": false}, \"allowPty\": true}",
			   &base, &err));
	ASSERT_EQ(0, parse("{\"network\": {\"proxyUrl\": \"socks5://over:1\", \"allowLocalOutbound\": false},"
			   " \"filesystem\": {\"allowRead\": [\"/b\", \"/c\", \"/c\"]},"
			   " \"ssh\": {\"inheritDeny\": true}}",
			   &over, &err));
	/* Duplicates inside one side are removed too. */
	base.filesystem.allow_read = gw_strv_push(base.filesystem.allow_read, "/a");
	config_merge(&base, &over);
	ASSERT_STREQ("socks5://over:1", base.network.proxy_url);
	ASSERT_STREQ("base:53", base.network.dns_addr);
	ASSERT_EQ(3, gw_strv_len(base.filesystem.allow_read));
	ASSERT_STREQ("/a", base.filesystem.allow_read[0]);
	ASSERT_STREQ("/b", base.filesystem.allow_read[1]);
	ASSERT_STREQ("/c", base.filesystem.allow_read[2]);
	ASSERT_TRUE(base.allow_pty);
	ASSERT_TRUE(base.ssh.inherit_deny);
	ASSERT_TRUE(base.network.allow_local_binding);
	ASSERT_EQ(GW_FALSE, base.network.allow_local_outbound);
	ASSERT_EQ(GW_FALSE, base.filesystem.default_deny_read); /* over unset: base kept */
	ASSERT_EQ(GW_FALSE, base.command.use_defaults);
	config_free(&over);

	/* An empty string does not override; sources merge like vectors. */
	config_init(&over);
	over.network.proxy_url = xstrdup("");
	over.filesystem.default_deny_read = GW_TRUE;
	over.sources = gw_strv_push(over.sources, "/s");
	base.sources = gw_strv_push(base.sources, "/s");
	config_merge(&base, &over);
	ASSERT_STREQ("socks5://over:1", base.network.proxy_url);
	ASSERT_EQ(GW_TRUE, base.filesystem.default_deny_read);
	ASSERT_EQ(1, gw_strv_len(base.sources));
	config_free(&over);
	config_free(&base);
}

/* ---- serialisation ---- */

TEST(to_json_round_trip)
{
	static const char text[] =
		"{\"network\": {\"proxyUrl\": \"socks5://u:p@[::1]:1080\", \"dnsAddr\": \"[::1]:53\","
		" \"allowUnixSockets\": [\"/run/a b.sock\"], \"allowLocalOutbound\": false},"
		" \"filesystem\": {\"defaultDenyRead\": true, \"denyRead\": [\"/x/\\\"q\\\"\", \"/tab\\tx\"],"
		" \"allowWrite\": [\"~/w\"], \"allowGitConfig\": true},"
		" \"command\": {\"deny\": [\"git push\"], \"useDefaults\": false},"
		" \"ssh\": {\"allowedHosts\": [\"::1\"], \"allowAllCommands\": true},"
		" \"allowDegraded\": true, \"_sources\": [\"/etc/g.json\", \"/home/\\u00e9.json\"]}";
	struct gw_config a, b;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, parse(text, &a, &err));
	_cleanup_free_ char *ja = config_to_json(&a);
	ASSERT_EQ(0, parse(ja, &b, &err));
	_cleanup_free_ char *jb = config_to_json(&b);
	ASSERT_STREQ(ja, jb);
	ASSERT_STREQ("/x/\"q\"", b.filesystem.deny_read[0]);
	ASSERT_STREQ("/tab\tx", b.filesystem.deny_read[1]);
	ASSERT_EQ(GW_FALSE, b.network.allow_local_outbound);
	ASSERT_EQ(GW_TRUE, b.filesystem.default_deny_read);
	ASSERT_EQ(GW_FALSE, b.command.use_defaults);
	ASSERT_STREQ("/home/\xc3\xa9.json", b.sources[1]);
	ASSERT_TRUE(b.ssh.allow_all_commands && b.allow_degraded);
	ASSERT_FALSE(b.allow_pty);
	config_free(&a);
	config_free(&b);

	struct gw_config empty;
	config_init(&empty);
	_cleanup_free_ char *je = config_to_json(&empty);
	ASSERT_STREQ("{}", je);
}

TEST(to_json_programmatic)
{
	/* A config built in code, e.g. by the CLI, with bytes that are not
	 * UTF-8 in a path: Linux paths are bytes, and must survive. */
	struct gw_config a, b;
	struct gw_error err = { 0 };
	config_init(&a);
	a.filesystem.allow_read = gw_strv_push(a.filesystem.allow_read, "/odd/\xff\x01name");
	a.network.allow_local_binding = true;
	a.sources = gw_strv_push(a.sources, "/cfg.json");
	_cleanup_free_ char *ja = config_to_json(&a);
	ASSERT_EQ(0, parse(ja, &b, &err));
	ASSERT_STREQ("/odd/\xff\x01name", b.filesystem.allow_read[0]);
	ASSERT_TRUE(b.network.allow_local_binding);
	ASSERT_EQ(GW_UNSET, b.network.allow_local_outbound);
	ASSERT_STREQ("/cfg.json", b.sources[0]);
	config_free(&a);
	config_free(&b);
}

/* ---- default path ---- */

static void set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

TEST(default_path)
{
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	_cleanup_free_ char *old_xdg = getenv("XDG_CONFIG_HOME") ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
	_cleanup_free_ char *xdg = xasprintf("%s/xdg", dir);
	_cleanup_free_ char *primary = xasprintf("%s/greywall/greywall.json", xdg);
	_cleanup_free_ char *home_primary = xasprintf("%s/.config/greywall/greywall.json", dir);
	_cleanup_free_ char *legacy = xasprintf("%s/.greywall.json", dir);
	set_env("HOME", dir);
	set_env("XDG_CONFIG_HOME", xdg);

	/* Nothing exists: the XDG path. */
	_cleanup_free_ char *p1 = config_default_path();
	/* Only the legacy file exists: it wins. */
	free(write_file(dir, ".greywall.json", "{}"));
	_cleanup_free_ char *p2 = config_default_path();
	/* The greywall config directory exists: back to the XDG path. */
	ASSERT_EQ(0, mkdir(xdg, 0700));
	_cleanup_free_ char *gdir = xasprintf("%s/greywall", xdg);
	ASSERT_EQ(0, mkdir(gdir, 0700));
	_cleanup_free_ char *p3 = config_default_path();
	/* No XDG_CONFIG_HOME (or a relative one): ~/.config; legacy exists. */
	set_env("XDG_CONFIG_HOME", "relative/dir");
	_cleanup_free_ char *p4 = config_default_path();
	unlink(legacy);
	set_env("XDG_CONFIG_HOME", NULL);
	_cleanup_free_ char *p5 = config_default_path();
	set_env("HOME", NULL);
	_cleanup_free_ char *p6 = config_default_path();

	set_env("HOME", old_home);
	set_env("XDG_CONFIG_HOME", old_xdg);
	ASSERT_STREQ(primary, p1);
	ASSERT_STREQ(legacy, p2);
	ASSERT_STREQ(primary, p3);
	ASSERT_STREQ(legacy, p4);
	ASSERT_STREQ(home_primary, p5);
	ASSERT_TRUE(p6 == NULL);
	rm_rf(dir);
}

TEST(tristate_defaults)
{
	struct gw_config cfg;
	config_init(&cfg);
	ASSERT_TRUE(config_default_deny_read(&cfg));
	ASSERT_TRUE(config_use_default_commands(&cfg));
	ASSERT_FALSE(config_allow_local_outbound(&cfg));
	cfg.network.allow_local_binding = true;
	ASSERT_TRUE(config_allow_local_outbound(&cfg));
	cfg.network.allow_local_outbound = GW_FALSE;
	ASSERT_FALSE(config_allow_local_outbound(&cfg));
	cfg.network.allow_local_binding = false;
	cfg.network.allow_local_outbound = GW_TRUE;
	ASSERT_TRUE(config_allow_local_outbound(&cfg));
	config_free(&cfg);
}

/* ---- locator ---- */

TEST(locator)
{
	static const char text[] = "{ // c\n"
				   " 'a' : { \"b\": [1, /* ] */ \"x,y\",\n"
				   "   {\"c\": [\"\\\"]\"]}] },\n"
				   " \"d\\u0065\": 2,\n"
				   "}";
	struct config_path p = { 0 };
	size_t off;
	unsigned line, col;
	config_path_push_key(&p, "a");
	config_path_push_key(&p, "b");
	config_path_push_index(&p, 2);
	config_path_push_key(&p, "c");
	config_path_push_index(&p, 0);
	ASSERT_EQ(0, config_locate(text, strlen(text), &p, &off));
	config_linecol(text, strlen(text), off, &line, &col);
	ASSERT_EQ(3, line);
	ASSERT_EQ(11, col);
	_cleanup_free_ char *s = config_path_format(&p);
	ASSERT_STREQ("a.b[2].c[0]", s);

	struct config_path q = { 0 };
	config_path_push_key(&q, "de");
	ASSERT_EQ(0, config_locate(text, strlen(text), &q, &off));
	config_linecol(text, strlen(text), off, &line, &col);
	ASSERT_EQ(4, line);
	ASSERT_EQ(2, col);
	config_path_pop(&q);
	config_path_push_key(&q, "zz");
	ASSERT_EQ(-ENOENT, config_locate(text, strlen(text), &q, &off));

	char *bad = NULL;
	const char *why = NULL;
	ASSERT_EQ(0, config_check_keys(text, strlen(text), &bad, &why, &off));
}

int main(void)
{
	RUN(comments_and_trailing_commas);
	RUN(syntax_error_position);
	RUN(comment_edge_cases);
	RUN(top_level_must_be_object);
	RUN(empty_file);
	RUN(nul_byte_rejected);
	RUN(unknown_key_suggestion);
	RUN(wrong_types);
	RUN(null_means_unset);
	RUN(all_keys_parse);
	RUN(duplicate_keys);
	RUN(proxy_url);
	RUN(http_proxy_url);
	RUN(dns_addr);
	RUN(empty_list_entries);
	RUN(ssh_host_patterns);
	RUN(load_file_errors);
	RUN(load_file_ok);
	RUN(extends_relative_file);
	RUN(extends_home_and_paths_without_base);
	RUN(extends_missing_file);
	RUN(extends_chain_merge_order);
	RUN(extends_cycle);
	RUN(extends_depth_limit);
	RUN(templates);
	RUN(template_contents);
	RUN(merge_semantics);
	RUN(to_json_round_trip);
	RUN(to_json_programmatic);
	RUN(default_path);
	RUN(tristate_defaults);
	RUN(locator);
	RUN(domain_lists);
	return tap_done();
}
