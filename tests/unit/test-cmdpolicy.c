/* test-cmdpolicy.c: the command policy (spec section 7) and its parser.
 *
 * Spec 14's command-policy cases, then one must-block case per bypass the
 * original allowed (7.2 [WEAK]) and the ones a shell-aware reading has to
 * close, then the SSH policy.  Configs are built by hand (config.c is not
 * linked): cfg_empty() is config_init()'s "everything unset". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdpolicy.h"
#include "shlex.h"
#include "tap.h"

#define V(...) ((char **)(const char *[]){ __VA_ARGS__, NULL })

static void cfg_empty(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->filesystem.default_deny_read = GW_UNSET;
	cfg->network.allow_local_outbound = GW_UNSET;
	cfg->command.use_defaults = GW_UNSET;
}

/* Deny rules only, defaults off: what most of spec 14's cases use. */
static void cfg_deny(struct gw_config *cfg, char **deny)
{
	cfg_empty(cfg);
	cfg->command.deny = deny;
	cfg->command.use_defaults = GW_FALSE;
}

static char last_msg[4096];

static int check(const struct gw_config *cfg, const char *line)
{
	struct gw_error err = { 0 };
	int r = cmdpolicy_check(cfg, line, &err);

	snprintf(last_msg, sizeof(last_msg), "%s", err.msg ? err.msg : "");
	if (r != 0 && !err.msg)
		snprintf(last_msg, sizeof(last_msg), "(no message)");
	gw_error_clear(&err);
	return r;
}

static const char *errname(int r)
{
	return r == 0 ? "allowed" : r == -EPERM ? "blocked" : r == -EINVAL ? "EINVAL" : "other";
}

#define EXPECT(cfg, want, line)							\
	do {									\
		int _r = check((cfg), (line));					\
										\
		if (_r != (want))						\
			TAP_FAIL("[%s]: expected %s, got %s (%s)", (line),	\
				 errname(want), errname(_r), last_msg);		\
		if (_r != 0 && strlen(last_msg) == 0)				\
			TAP_FAIL("[%s]: no message", (line));			\
	} while (0)
#define BLOCKS(cfg, line) EXPECT(cfg, -EPERM, line)
#define ALLOWS(cfg, line) EXPECT(cfg, 0, line)
#define BLOCKED_BY(sub, rule) \
	"command blocked by sandbox command policy: \"" sub "\" matches \"" rule "\""

/* ---- spec 7.1 ---- */

TEST(default_list)
{
	const char *const *d = cmdpolicy_default_denied();
	size_t n = 0;

	while (d[n])
		n++;
	ASSERT_EQ(29, n);
	ASSERT_STREQ("shutdown", d[0]);
	ASSERT_STREQ("dd if=", d[23]);
	ASSERT_STREQ("nsenter", d[28]);
}

/* ---- spec 14: basic, allow, defaults ---- */

TEST(basic_deny)
{
	struct gw_config c;

	cfg_deny(&c, V("git push", "rm -rf"));
	BLOCKS(&c, "git push");
	ASSERT_STREQ(BLOCKED_BY("git push", "git push"), last_msg);
	BLOCKS(&c, "rm -rf");
	BLOCKS(&c, "git push origin main");
	ASSERT_STREQ(BLOCKED_BY("git push origin main", "git push"), last_msg);
	BLOCKS(&c, "rm -rf /");
	BLOCKS(&c, "rm -rf .");
	ALLOWS(&c, "git status");
	ALLOWS(&c, "git pull");
	ALLOWS(&c, "rm file.txt");
	ALLOWS(&c, "rm -r dir");
	ALLOWS(&c, "echo git push");
	ALLOWS(&c, "");
	ALLOWS(&c, "   ");
}

TEST(allow_beats_deny)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	c.command.allow = V("git push origin docs");
	ALLOWS(&c, "git push origin docs");
	ALLOWS(&c, "git push origin docs --force");
	BLOCKS(&c, "git push origin main");
	BLOCKS(&c, "git push");
	/* Allowed forms are allowed wherever they appear. */
	ALLOWS(&c, "ls && git push origin docs");
	BLOCKS(&c, "git push origin docs; git push origin main");
}

TEST(allow_covers_what_it_spells_out)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	c.command.allow = V("sudo git push", "env");
	ALLOWS(&c, "sudo git push");
	ALLOWS(&c, "env");
	/* "env" alone says nothing about the command env runs. */
	BLOCKS(&c, "env git push");
	BLOCKS(&c, "sudo -u root git push");
}

TEST(default_deny)
{
	static const char *const blocked[] = {
		"shutdown", "shutdown -h now", "reboot", "halt", "poweroff", "init 0", "init 6",
		"systemctl poweroff", "systemctl reboot", "insmod malicious.ko", "rmmod module",
		"modprobe x", "kexec -l k", "mkfs /dev/sda", "mkfs.ext4 /dev/sda1",
		"mkfs.ext4 /dev/sda", "fdisk /dev/sda", "parted /dev/sda", "dd if=/dev/zero of=x",
		"dd if=", "docker run -v /:/ alpine", "docker run --privileged alpine", "chroot /",
		"unshare -r",
		"nsenter", "nsenter -t 1 -m", "sudo shutdown now", "/sbin/reboot",
	};
	struct gw_config c;

	cfg_empty(&c);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		BLOCKS(&c, blocked[i]);
		ASSERT_CONTAINS(last_msg, "command blocked by default sandbox command policy: ");
	}
	BLOCKS(&c, "dd if=/dev/zero of=x");
	ASSERT_STREQ("command blocked by default sandbox command policy: "
		     "\"dd if=/dev/zero of=x\" matches \"dd if=\"",
		     last_msg);
	ALLOWS(&c, "ls");
	ALLOWS(&c, "git status");
	ALLOWS(&c, "npm install");
	ALLOWS(&c, "init 1");
	ALLOWS(&c, "systemctl status");
	ALLOWS(&c, "dd of=x");
	ALLOWS(&c, "mkfs.f2fs-tools --help");
	ALLOWS(&c, "docker run alpine");
	ALLOWS(&c, "grep -r \"shutdown\" .");
	c.command.use_defaults = GW_TRUE;
	BLOCKS(&c, "reboot");
}

TEST(defaults_disabled)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	ALLOWS(&c, "shutdown");
	ALLOWS(&c, "dd if=/dev/zero of=x");
	ALLOWS(&c, "chroot /");
	ALLOWS(&c, "unshare -r");
}

TEST(user_rules_before_defaults)
{
	struct gw_config c;

	cfg_empty(&c);
	c.command.deny = V("shutdown -h");
	BLOCKS(&c, "shutdown -h now");
	ASSERT_STREQ(BLOCKED_BY("shutdown -h now", "shutdown -h"), last_msg);
	c.command.allow = V("reboot");
	ALLOWS(&c, "reboot");
}

/* ---- spec 14: chains, nesting, normalisation, quoting, edges ---- */

TEST(chains)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	BLOCKS(&c, "ls && git push");
	BLOCKS(&c, "git push && ls");
	BLOCKS(&c, "ls && echo hello && git push origin main");
	BLOCKS(&c, "ls || git push");
	BLOCKS(&c, "git status || git push");
	BLOCKS(&c, "ls; git push");
	BLOCKS(&c, "git push; ls");
	BLOCKS(&c, "echo hello | git push");
	BLOCKS(&c, "ls && echo hi || git push");
	BLOCKS(&c, "ls; pwd; git push origin main");
	BLOCKS(&c, "ls |& git push");
	ALLOWS(&c, "git status | grep something");
	ALLOWS(&c, "ls && pwd");
	ALLOWS(&c, "git status | grep branch");
}

TEST(nested_shells)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	BLOCKS(&c, "bash -c \"git push\"");
	ASSERT_STREQ(BLOCKED_BY("git push", "git push"), last_msg);
	BLOCKS(&c, "bash -c 'git push origin main'");
	BLOCKS(&c, "sh -c \"git push\"");
	BLOCKS(&c, "zsh -c \"git push\"");
	BLOCKS(&c, "dash -c 'git push'");
	BLOCKS(&c, "bash -c \"ls && git push\"");
	BLOCKS(&c, "sh -c 'git status; git push'");
	BLOCKS(&c, "bash -lc \"git push\"");
	BLOCKS(&c, "/bin/bash -c \"git push\"");
	BLOCKS(&c, "/usr/bin/zsh -c 'git push origin main'");
	BLOCKS(&c, "sh -lc \"ls; git push\"");
	BLOCKS(&c, "bash -ec 'git push'");
	BLOCKS(&c, "bash -xc 'git push'");
	BLOCKS(&c, "bash -c -- 'git push'");
	BLOCKS(&c, "bash -o pipefail -c 'git push'");
	BLOCKS(&c, "bash --norc -c 'git push'");
	BLOCKS(&c, "busybox sh -c 'git push'");
	BLOCKS(&c, "fish -c 'git push'");
	BLOCKS(&c, "bash -c 'bash -c \"sh -c \\\"git push\\\"\"'");
	BLOCKS(&c, "bash <<'EOF'\ngit push\nEOF");
	BLOCKS(&c, "sh <<< 'git push'");
	ALLOWS(&c, "bash -c \"git status\"");
	ALLOWS(&c, "bash -c 'ls && pwd'");
	ALLOWS(&c, "bash script.sh git push");
	ALLOWS(&c, "cat <<'EOF'\ngit push\nEOF");
}

TEST(path_normalisation)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	BLOCKS(&c, "/usr/bin/git push");
	BLOCKS(&c, "/usr/local/bin/git push origin main");
	BLOCKS(&c, "./git push");
	BLOCKS(&c, "../bin/git push");
	cfg_deny(&c, V("/usr/bin/git push"));
	BLOCKS(&c, "git push");
}

TEST(quoting)
{
	struct gw_config c;

	cfg_deny(&c, V("git push", "rm -rf /"));
	BLOCKS(&c, "git push \"origin\" \"main\"");
	BLOCKS(&c, "git push 'origin' 'main'");
	BLOCKS(&c, "'git' \"push\"");
	BLOCKS(&c, "g\"i\"t pu''sh");
	BLOCKS(&c, "g\\it push");
	BLOCKS(&c, "git\tpush");
	BLOCKS(&c, "git pu\\\nsh");
	ALLOWS(&c, "echo \"git push\"");
	ALLOWS(&c, "echo 'rm -rf /'");
	ALLOWS(&c, "grep \"git push\" log.txt");
	ALLOWS(&c, "echo \"a; git push\"");
	ALLOWS(&c, "echo 'a && git push'");
	ALLOWS(&c, "echo a\\;git push");
	ALLOWS(&c, "ls # git push");
	ALLOWS(&c, "echo git#push; ls");
}

TEST(edge_cases)
{
	struct gw_config c;

	cfg_deny(&c, V("rm -rf"));
	ALLOWS(&c, "");
	ALLOWS(&c, "   ");
	ALLOWS(&c, "rm");
	ALLOWS(&c, "rm -r");
	ALLOWS(&c, "rm -f");
	BLOCKS(&c, "rm -rf");
	BLOCKS(&c, "rm -rf /");
	ALLOWS(&c, "rmdir");
	ALLOWS(&c, "rmdir x");
	ALLOWS(&c, "ls -la");
}

TEST(word_boundaries)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	ALLOWS(&c, "git pushall");
	ALLOWS(&c, "gitpush");
	ALLOWS(&c, "git status");
	BLOCKS(&c, "git push");
	BLOCKS(&c, "git push origin main");
}

/* ---- the bypasses of spec 7.2, each must block ---- */

TEST(bypasses)
{
	static const char *const lines[] = {
		"ls\ngit push",
		"ls & git push",
		"ls &git push",
		"echo $(git push)",
		"echo `git push`",
		"echo \"$(git push)\"",
		"echo \"`git push`\"",
		"env git push",
		"env -i FOO=1 git push",
		"env -u HOME -C /tmp -- git push",
		"env --unset=HOME git push",
		"env -S 'git push'",
		"env -S'git push origin'",
		"env --split-string='FOO=1 git push'",
		"sudo git push",
		"sudo -u root git push",
		"sudo -E -H -u root -g wheel -- git push",
		"sudo --user=root git push",
		"sudo -s git push",
		"doas -u root git push",
		"command git push",
		"command -p git push",
		"exec git push",
		"exec -a name git push",
		"nice git push",
		"nice -n 5 git push",
		"nice -5 git push",
		"nice --adjustment 3 git push",
		"nohup git push",
		"time git push",
		"time -p git push",
		"timeout 5 git push",
		"timeout -s KILL -k 1 5s git push",
		"stdbuf -oL -e 0 git push",
		"setsid -f git push",
		"xargs git push",
		"xargs -0 -n 1 -I {} git push",
		"xargs -i git push",
		"xargs -a list -d , -E end -L 1 -P 2 -s 100 -n1 git push",
		"xargs --max-procs 4 --arg-file=x git push",
		"sudo -C 3 -D /tmp -h host -p pw -r role -t type -U u git push",
		"sudo -iu root git push",
		"exec -c -l git push",
		"exec -cla name git push",
		"nice -n -5 git push",
		"time -p git push",
		"stdbuf -i0 -o L -e0 git push",
		"chrt -r -P 10 5 git push",
		"ionice -c2 -n 7 git push",
		"command -- git push",
		"builtin command git push",
		"chrt -f 10 git push",
		"chrt --idle git push",
		"ionice -c 3 git push",
		"taskset -c 0-3 git push",
		"taskset 0x3 git push",
		"unbuffer -p git push",
		"watch -n 1 git push",
		"watch 'ls; git push'",
		"eval git push",
		"eval 'ls; git push'",
		"eval \"$(echo x); git push\"",
		"FOO=1 git push",
		"FOO=1 BAR=\"a b\" git push",
		"A[1]=x git push",
		"sudo env FOO=1 nice git push",
		"sudo env FOO=1 nice -n 3 timeout 5 stdbuf -oL xargs git push",
		"(git push)",
		"( ls; git push )",
		"{ git push; }",
		"{ ls; git push; } > log",
		"! git push",
		"if git push; then :; fi",
		"while git push; do :; done",
		"for x in a; do git push; done",
		"bash -c 'git push'",
		"sh -lc \"ls; git push\"",
		"cat <(git push)",
		"tee >(git push)",
		"diff <(ls) <(git push)",
		"/usr/bin/git push",
		"g\\it push",
		"\"git\" push",
		"$'git' push",
		"$'\\x67it' push",
		"$'\\147it' push",
		"$'git\\x20push'",
		"{git,push}",
		"git {push,origin}",
		"git pu{sh,}",
		"/usr/bin/g?t push",
		"/usr/bin/gi[t] push",
		"git pus?",
		"echo ${x:-$(git push)}",
		"echo \"${x:-`git push`}\"",
		"echo $(( $(git push) + 1 ))",
		"((x = $(git push)))",
		"x=$(git push)",
		"a=(x $(git push))",
		"cat <<EOF\n$(git push)\nEOF",
		"cat <<EOF\n`git push`\nEOF",
		"echo ok # comment\ngit push",
		"case x in x) git push;; esac",
		"case x in (x|y) ls;; z) git push ;; esac",
		"case x\nin\nx) git push\nesac",
		"echo $(case x in x) ls;; esac); git push",
		"f() { git push; }; f",
		"function f { git push; }",
		"2>/dev/null git push",
		">/dev/null git push",
		"<in git push",
		"ls &>/dev/null git push",
		"find . -exec git push \\;",
		"find . -name x -execdir git push {} +",
		"su -c 'git push' root",
		"su root -c 'git push'",
		"runuser -u nobody -- git push",
		"ssh -o ProxyCommand='git push' host",
		"coproc git push",
		"((1))\ngit push",
		"a[1<<2]=x\ngit push\n2]=x",
		"2>/dev/null a[1<<2]=x\ngit push\n2]=x",
		"{ a[1<<2]=x; }\ngit push\n2]=x",
		"echo $[1<<2]\ngit push\n2]",
		"for ((i=0; i<<2; i++)); do :; done\ngit push\n2",
		"{ ((i=1<<2))\ngit push\n2\n}",
		"for i in 1; do ((i=1<<2))\ngit push; done",
		"((git push))",
		"git push$x",
		"git pu${x}sh origin",
		"time git push$git",
		"$x git push",
		"$exec time git push",
		"${x:-}>|a >>b g\\it push",
		"$(true) git push",
		"`:` git push",
	};
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		BLOCKS(&c, lines[i]);
}

TEST(unpeeled_form_is_checked)
{
	struct gw_config c;

	cfg_deny(&c, V("sudo rm", "env FOO=1", "bash -c"));
	BLOCKS(&c, "sudo rm -rf x");
	ASSERT_STREQ(BLOCKED_BY("sudo rm -rf x", "sudo rm"), last_msg);
	BLOCKS(&c, "nice sudo rm x");
	BLOCKS(&c, "env FOO=1 ls");
	BLOCKS(&c, "bash -c ls");
	ALLOWS(&c, "rm x");
	ALLOWS(&c, "sudo ls");
}

TEST(not_commands)
{
	struct gw_config c;

	cfg_deny(&c, V("git push", "rm -rf /"));
	ALLOWS(&c, "echo \"git push\"");
	ALLOWS(&c, "echo 'rm -rf /'");
	ALLOWS(&c, "printf '%s\\n' 'git push'");
	ALLOWS(&c, "command -v git push");
	ALLOWS(&c, "command -V git");
	ALLOWS(&c, "cat <<'EOF'\ngit push\nEOF\nls");
	ALLOWS(&c, "cat <<EOF\ngit push\nEOF");
	ALLOWS(&c, "cat <<-EOF\n\tgit push\n\tEOF\nls");
	ALLOWS(&c, "git commit -m 'do not git push'");
	ALLOWS(&c, "case $x in git) echo push;; esac");
	ALLOWS(&c, "x='git push'");
	ALLOWS(&c, "echo $'git push'");
	ALLOWS(&c, "echo {git,push}");
	ALLOWS(&c, "chrt -p 10 1234");
	ALLOWS(&c, "[[ $x == \"git push\" ]]");
	ALLOWS(&c, "ssh host git push");
	/* Whole-word expansions are left to run time ($CMD is a known limit). */
	ALLOWS(&c, "git \"$x\"");
	ALLOWS(&c, "$CMD push");
	ALLOWS(&c, "\"$x\" git push");
}

TEST(dialects)
{
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	/* dash reads "&>" as "&" then ">", bash "((" as arithmetic: both count. */
	BLOCKS(&c, "ls &>/dev/null git push");
	BLOCKS(&c, "((git push))");
	/* Only bash decodes $'...' and expands braces. */
	BLOCKS(&c, "$'git' push");
	BLOCKS(&c, "{git,push}");
	/* Quotes inside "${...}": bash skips '...', dash ends at the first
	 * '}' and runs git push here. */
	BLOCKS(&c, "echo \"${x:-'}\"; git push; echo \"'}\"");
	/* ... and here bash fails to parse, so the line is refused. */
	EXPECT(&c, -EINVAL, "echo \"${x:-'}\"; git push; echo '\"'");
	/* Syntax only bash accepts is fine; the POSIX reading just stops. */
	ALLOWS(&c, "echo $'it\\'s'");
	ALLOWS(&c, "cat <(ls) | wc -l");
}

TEST(globs)
{
	struct gw_config c;

	cfg_deny(&c, V("git push", "rm -rf"));
	BLOCKS(&c, "/usr/bin/g?t push");
	BLOCKS(&c, "/usr/*/git push");
	BLOCKS(&c, "rm *");
	ALLOWS(&c, "rm *.o");
	ALLOWS(&c, "'g?t' push");
	ALLOWS(&c, "g\\?t push");
	ALLOWS(&c, "ls *.c");
}

/* ---- unparsable lines ---- */

TEST(fails_closed)
{
	static const char *const lines[] = {
		"echo \"unterminated",
		"echo 'unterminated",
		"echo $(ls",
		"echo `ls",
		"echo ${x",
		"(ls",
		"cat <(ls",
		"ls )",
		"ls >",
		"cat <<",
		"echo $'abc",
		"bash -c 'echo \"'",
		"echo $(( \"1",
		"((x = '1",
	};
	struct gw_config c;

	cfg_deny(&c, V("git push"));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		EXPECT(&c, -EINVAL, lines[i]);
		ASSERT_CONTAINS(last_msg, "cannot check command line: ");
	}
	EXPECT(&c, -EINVAL, "echo \"abc");
	ASSERT_STREQ("cannot check command line: unterminated double quote (at byte 5)", last_msg);
	/* A blocked command before the error is reported as such. */
	BLOCKS(&c, "git push; echo \"");
}

TEST(limits)
{
	struct gw_config c;
	char *deep = xmalloc(64 * 3 + 16), *p = deep;
	size_t big = SHLEX_MAX_LEN + 10;
	char *huge = xmalloc(big + 1);

	cfg_deny(&c, V("git push"));
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "$(");
	p += sprintf(p, "ls");
	for (int i = 0; i < 40; i++)
		*p++ = ')';
	*p = '\0';
	EXPECT(&c, -EINVAL, deep);
	ASSERT_CONTAINS(last_msg, "command nesting too deep");
	memset(huge, 'a', big);
	huge[big] = '\0';
	EXPECT(&c, -EINVAL, huge);
	ASSERT_CONTAINS(last_msg, "too long");
	EXPECT(&c, -EINVAL, "echo {1..100000000}");
	ASSERT_CONTAINS(last_msg, "brace expansion");
	free(deep);
	free(huge);
}

/* ---- spec 7.3: SSH ---- */

TEST(ssh_host_policy)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	c.ssh.allowed_hosts = V("*.example.com", "prod-*");
	c.ssh.denied_hosts = V("prod-db.example.com");
	c.ssh.allow_all_commands = true;
	ALLOWS(&c, "ssh server1.example.com");
	ALLOWS(&c, "ssh api.EXAMPLE.com");
	ALLOWS(&c, "ssh prod-web-01");
	BLOCKS(&c, "ssh prod-db.example.com");
	ASSERT_STREQ("SSH blocked: host matches denied pattern \"prod-db.example.com\" "
		     "(host: prod-db.example.com)",
		     last_msg);
	BLOCKS(&c, "ssh prod-db.example.com ls");
	ASSERT_STREQ("SSH command blocked: host matches denied pattern \"prod-db.example.com\" "
		     "(host: prod-db.example.com, command: ls)",
		     last_msg);
	BLOCKS(&c, "ssh other.domain.com");
	ASSERT_STREQ("SSH blocked: host not in allowedHosts (host: other.domain.com)", last_msg);
	BLOCKS(&c, "ssh dev-server");
	ALLOWS(&c, "ls -la");
	ALLOWS(&c, "curl https://example.com");
	/* The parser: options with values, user@host, full path. */
	ALLOWS(&c, "ssh -p 2222 server1.example.com");
	BLOCKS(&c, "ssh -p 2222 evil.com");
	ALLOWS(&c, "ssh -i ~/.ssh/key user@server1.example.com ls");
	BLOCKS(&c, "ssh -i ~/.ssh/key user@prod-db.example.com ls");
	ALLOWS(&c, "ssh -v -t server1.example.com");
	ALLOWS(&c, "ssh -o StrictHostKeyChecking=no server1.example.com");
	BLOCKS(&c, "ssh -o StrictHostKeyChecking=no evil.com");
	ALLOWS(&c, "/usr/bin/ssh server1.example.com ls");
	BLOCKS(&c, "/usr/bin/ssh evil.com ls");
	BLOCKS(&c, "ssh -vp 2222 evil.com");
	BLOCKS(&c, "ssh -l root -- evil.com");
	/* Hosts reached through the options count too. */
	BLOCKS(&c, "ssh -J prod-db.example.com server1.example.com");
	BLOCKS(&c, "ssh -o ProxyJump=evil.com server1.example.com");
	BLOCKS(&c, "ssh -o HostName=evil.com server1.example.com");
	BLOCKS(&c, "sudo ssh evil.com");
	ALLOWS(&c, "sshpass -p password ssh server");
	ALLOWS(&c, "echo ssh server");
}

TEST(ssh_allowlist_mode)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	c.ssh.allowed_hosts = V("*.example.com");
	c.ssh.allowed_commands = V("ls", "cat", "grep", "tail -f", "git status");
	ALLOWS(&c, "ssh server.example.com ls");
	ALLOWS(&c, "ssh server.example.com ls -la /var/log");
	ALLOWS(&c, "ssh server.example.com cat /etc/hosts");
	ALLOWS(&c, "ssh server.example.com grep error /var/log/app.log");
	ALLOWS(&c, "ssh server.example.com tail -f /var/log/app.log");
	ALLOWS(&c, "ssh server.example.com");
	ALLOWS(&c, "ssh server.example.com \"ls && cat file\"");
	ALLOWS(&c, "ssh server.example.com \"ls; cat file\"");
	ALLOWS(&c, "ssh server.example.com \"ls | cat\"");
	ALLOWS(&c, "ssh server.example.com nice ls");
	ALLOWS(&c, "ssh server.example.com 'if cat x; then ls; fi; { ls; }'");
	ALLOWS(&c, "ssh server.example.com 'for f in a b; do cat $f; done'");
	BLOCKS(&c, "ssh server.example.com rm -rf /tmp/cache");
	ASSERT_STREQ("SSH command blocked: command \"rm -rf /tmp/cache\" "
		     "not in ssh.allowedCommands "
		     "(host: server.example.com, command: rm -rf /tmp/cache)",
		     last_msg);
	BLOCKS(&c, "ssh server.example.com chmod 777 /tmp");
	BLOCKS(&c, "ssh server.example.com shutdown now");
	BLOCKS(&c, "ssh server.example.com tail /var/log/app.log");
	BLOCKS(&c, "ssh server.example.com \"ls && rm -rf /\"");
	BLOCKS(&c, "ssh server.example.com \"git status && rm -rf /\"");
	BLOCKS(&c, "ssh server.example.com \"cat file; shutdown\"");
	BLOCKS(&c, "ssh server.example.com \"ls | xargs rm\"");
	BLOCKS(&c, "ssh server.example.com \"ls || rm -rf /\"");
	BLOCKS(&c, "ssh server.example.com 'ls $(rm -rf /)'");
	BLOCKS(&c, "ssh server.example.com \"bash -c 'rm x'\"");
	BLOCKS(&c, "ssh server.example.com <<'EOF'\nrm -rf /\nEOF");
	BLOCKS(&c, "ssh other.com ls");
}

TEST(ssh_no_allowed_commands)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	c.ssh.allowed_hosts = V("*");
	ALLOWS(&c, "ssh anywhere.example.com");
	BLOCKS(&c, "ssh anywhere.example.com ls");
	ASSERT_STREQ("SSH command blocked: no ssh.allowedCommands configured "
		     "(allowlist mode requires explicit commands) "
		     "(host: anywhere.example.com, command: ls)",
		     last_msg);
}

TEST(ssh_denylist_mode)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	c.ssh.allowed_hosts = V("*.example.com");
	c.ssh.allow_all_commands = true;
	c.ssh.denied_commands = V("rm -rf", "shutdown", "chmod");
	ALLOWS(&c, "ssh server.example.com ls -la");
	ALLOWS(&c, "ssh server.example.com cat /etc/hosts");
	ALLOWS(&c, "ssh server.example.com rm file.txt");
	ALLOWS(&c, "ssh server.example.com apt-get update");
	ALLOWS(&c, "ssh server.example.com \"ls && cat && grep foo\"");
	BLOCKS(&c, "ssh server.example.com rm -rf /tmp/cache");
	ASSERT_STREQ("SSH command blocked: command \"rm -rf /tmp/cache\" "
		     "matches ssh.deniedCommands \"rm -rf\" "
		     "(host: server.example.com, command: rm -rf /tmp/cache)",
		     last_msg);
	BLOCKS(&c, "ssh server.example.com shutdown now");
	BLOCKS(&c, "ssh server.example.com chmod 777 /tmp");
	BLOCKS(&c, "ssh server.example.com \"ls && rm -rf /\"");
	BLOCKS(&c, "ssh server.example.com \"cat file; shutdown\"");
	BLOCKS(&c, "ssh server.example.com sudo rm -rf /");
}

TEST(ssh_inherit_deny)
{
	struct gw_config c;

	cfg_empty(&c);
	c.command.deny = V("git push", "npm publish");
	c.command.use_defaults = GW_TRUE;
	c.ssh.allowed_hosts = V("*.example.com");
	c.ssh.allow_all_commands = true;
	c.ssh.inherit_deny = true;
	BLOCKS(&c, "ssh server.example.com git push origin main");
	ASSERT_STREQ("SSH command blocked: command \"git push origin main\" "
		     "matches inherited global deny \"git push\" "
		     "(host: server.example.com, command: git push origin main)",
		     last_msg);
	BLOCKS(&c, "ssh server.example.com npm publish");
	BLOCKS(&c, "ssh server.example.com shutdown now");
	ASSERT_CONTAINS(last_msg, "matches inherited default deny \"shutdown\"");
	BLOCKS(&c, "ssh server.example.com reboot");
	ALLOWS(&c, "ssh server.example.com ls -la");
	ALLOWS(&c, "ssh server.example.com git status");
	c.ssh.inherit_deny = false;
	ALLOWS(&c, "ssh server.example.com git push");
}

TEST(ssh_inactive)
{
	struct gw_config c;

	cfg_deny(&c, NULL);
	ALLOWS(&c, "ssh server.example.com rm -rf /");
	ALLOWS(&c, "ssh any-host.com shutdown");
	/* ProxyCommand runs locally: it is a command line even without a policy. */
	c.command.deny = V("git push");
	BLOCKS(&c, "ssh -o 'ProxyCommand git push' host");
}

TEST(ssh_allow_rule_skips_ssh_policy)
{
	struct gw_config c;

	/* Spec 7.2's order: command.allow wins before the SSH policy. */
	cfg_deny(&c, NULL);
	c.command.allow = V("ssh trusted");
	c.ssh.allowed_hosts = V("*.example.com");
	ALLOWS(&c, "ssh trusted");
	BLOCKS(&c, "ssh untrusted");
}

/* ---- the parser on its own ---- */

TEST(shlex_words)
{
	size_t budget = 1 << 20;
	struct shlex_opts o = { .dialect = SHLEX_BASH, .budget = &budget };
	struct shlex_list l = { 0 };
	struct gw_error err = { 0 };
	char **w;

	ASSERT_EQ(0, shlex_parse("a 'b c' 2>/dev/null d\"e\"$'\\t' <<<in | f; g &", &o, &l, &err));
	ASSERT_EQ(3, l.n);
	ASSERT_EQ(3, l.cmds[0].nwords);
	ASSERT_STREQ("a", l.cmds[0].words[0].text);
	ASSERT_STREQ("b c", l.cmds[0].words[1].text);
	ASSERT_STREQ("de\t", l.cmds[0].words[2].text);
	ASSERT_STREQ("in\n", l.cmds[0].input);
	ASSERT_STREQ("f", l.cmds[1].words[0].text);
	ASSERT_STREQ("g", l.cmds[2].words[0].text);
	shlex_list_free(&l);

	ASSERT_EQ(0, shlex_parse("x{a,b}y {1..3} *.c '*'", &o, &l, &err));
	ASSERT_EQ(1, l.n);
	ASSERT_EQ(7, l.cmds[0].nwords);
	ASSERT_STREQ("xby", l.cmds[0].words[1].text);
	ASSERT_STREQ("3", l.cmds[0].words[4].text);
	ASSERT_STREQ("*.c", l.cmds[0].words[5].glob);
	ASSERT_TRUE(l.cmds[0].words[6].glob == NULL);
	shlex_list_free(&l);

	w = shlex_split(" /usr/bin/git  'push x'\tor\\ igin \"\" ");
	ASSERT_EQ(3, gw_strv_len(w));
	ASSERT_STREQ("push x", w[1]);
	ASSERT_STREQ("or igin", w[2]);
	gw_strv_free(w);
	gw_error_clear(&err);
}

int main(void)
{
	RUN(default_list);
	RUN(basic_deny);
	RUN(allow_beats_deny);
	RUN(allow_covers_what_it_spells_out);
	RUN(default_deny);
	RUN(defaults_disabled);
	RUN(user_rules_before_defaults);
	RUN(chains);
	RUN(nested_shells);
	RUN(path_normalisation);
	RUN(quoting);
	RUN(edge_cases);
	RUN(word_boundaries);
	RUN(bypasses);
	RUN(unpeeled_form_is_checked);
	RUN(not_commands);
	RUN(dialects);
	RUN(globs);
	RUN(fails_closed);
	RUN(limits);
	RUN(ssh_host_policy);
	RUN(ssh_allowlist_mode);
	RUN(ssh_no_allowed_commands);
	RUN(ssh_denylist_mode);
	RUN(ssh_inherit_deny);
	RUN(ssh_inactive);
	RUN(ssh_allow_rule_skips_ssh_policy);
	RUN(shlex_words);
	return tap_done();
}
