/* fuzz-cmdpolicy.c: fuzz target for cmdpolicy_check() (and so shlex.c).
 *
 * Besides "no crash, no leak, bounded time", it checks properties of the
 * answer: the return is 0, -EPERM or -EINVAL, a refusal always says why in
 * one of the spec's forms, the same line gets the same answer twice, and a
 * blocked line stays refused when another line runs first or when it is
 * wrapped in `sh -c -- '...'` (a parser that loses track of quoting or nesting
 * breaks one of these).
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE builds a main() that runs the
 * files named on the command line, then `--iterations N` deterministic
 * mutations of built-in seeds (`--seed S` picks another sequence). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmdpolicy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *deny[] = { "git push", "rm -rf", "sudo rm", "dd if=", NULL };
static char *allow[] = { "git push origin docs", NULL };
static char *allowed_hosts[] = { "*.example.com", "prod-*", NULL };
static char *denied_hosts[] = { "prod-db.example.com", NULL };
static char *ssh_allowed[] = { "ls", "cat", "tail -f", NULL };
static char *ssh_denied[] = { "rm", NULL };

/* Two policies: allowlist SSH with the defaults, and denylist SSH that
 * inherits command.deny without them. */
static void make_config(struct gw_config *cfg, int which)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->filesystem.default_deny_read = GW_UNSET;
	cfg->network.allow_local_outbound = GW_UNSET;
	cfg->command.deny = deny;
	cfg->command.allow = allow;
	cfg->command.use_defaults = which ? GW_FALSE : GW_UNSET;
	cfg->ssh.allowed_hosts = allowed_hosts;
	cfg->ssh.denied_hosts = denied_hosts;
	cfg->ssh.allowed_commands = which ? NULL : ssh_allowed;
	cfg->ssh.denied_commands = ssh_denied;
	cfg->ssh.allow_all_commands = which;
	cfg->ssh.inherit_deny = which;
}

static void fail(const char *what, const char *line, int r, const char *msg)
{
	fprintf(stderr, "%s: r=%d msg=%s\nline (%zu bytes): %s\n", what, r, msg ? msg : "(null)",
		strlen(line), line);
	abort();
}

static bool starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks one line; the answer must be well-formed. */
static int check(const struct gw_config *cfg, const char *line, char **msg_out)
{
	struct gw_error err = { 0 };
	int r = cmdpolicy_check(cfg, line, &err);

	if (r == -EPERM) {
		if (!starts(err.msg, "command blocked by sandbox command policy: ") &&
		    !starts(err.msg, "command blocked by default sandbox command policy: ") &&
		    !starts(err.msg, "SSH command blocked: ") && !starts(err.msg, "SSH blocked: "))
			fail("blocked without a policy message", line, r, err.msg);
	} else if (r == -EINVAL) {
		if (!starts(err.msg, "cannot check command line: "))
			fail("refused without a parse message", line, r, err.msg);
	} else if (r != 0) {
		fail("unexpected return", line, r, err.msg);
	}
	if (msg_out)
		*msg_out = steal_pointer(&err.msg);
	gw_error_clear(&err);
	return r;
}

static void check_same_again(const struct gw_config *cfg, const char *line, int r, const char *msg)
{
	_cleanup_free_ char *msg2 = NULL;
	int r2 = check(cfg, line, &msg2);

	if (r2 != r || (msg && (!msg2 || strcmp(msg, msg2) != 0)))
		fail("not deterministic", line, r2, msg2);
}

/* A blocked line must not become allowed by context that cannot change
 * what it runs. */
static void check_still_blocked(const struct gw_config *cfg, const char *line)
{
	_cleanup_free_ char *quoted = gw_shell_quote(line);
	_cleanup_free_ char *wrapped = xasprintf("sh -c -- %s", quoted);
	_cleanup_free_ char *after = xasprintf("true\n%s", line);

	if (check(cfg, wrapped, NULL) == 0)
		fail("blocked line allowed inside sh -c", wrapped, 0, NULL);
	if (check(cfg, after, NULL) == 0)
		fail("blocked line allowed after another line", after, 0, NULL);
}

/* Inputs accepted or blocked (not refused), so the standalone runner can
 * keep them as parents for further mutations. */
static int last_result;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *line = xmalloc(size + 1);
	_cleanup_free_ char *msg = NULL;
	struct gw_config cfg;
	int r;

	memcpy(line, data, size);
	line[size] = '\0';
	make_config(&cfg, size > 0 && (data[0] & 1));
	r = check(&cfg, line, &msg);
	check_same_again(&cfg, line, r, msg);
	if (r == -EPERM)
		check_still_blocked(&cfg, line);
	last_result = r;
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

static const char *const seeds[] = {
	"git push origin main",
	"ls -la && git status | grep x; echo done &",
	"echo \"$(git push)\" `ls` $((1 + $(id -u)))",
	"sudo -u root env -i FOO=1 nice -n 5 timeout 5 xargs -I {} git push",
	"bash -lc 'ls; sh -c \"git push\"'",
	"cat <<EOF | sh\n$(rm -rf /)\nEOF\ncat <<'X'\n`ls`\nX\n",
	"case $x in a|b) ls;; (c) git push;; esac",
	"f() { git push; }; (cd /tmp && { echo a; rm -rf x; }) > log 2>&1",
	"ssh -p 2222 -o ProxyCommand='nc %h %p' user@prod-web ls && ssh prod-db.example.com",
	"ssh -J a.example.com host.example.com \"tail -f /var/log/x; rm -rf /\"",
	"echo {a,b}{1..3} $'\\x67it' /usr/bin/g?t ${x:-'}'} a[1<<2]=y",
	"find . -exec git push \\; ; eval 'dd if=/dev/zero of=x'; env -S 'git push'",
	"((x<<2)) && for ((i=0;i<3;i++)); do :; done; echo $[1<<2] &>/dev/null",
	"x=(a \"$(ls)\" b) y=1 command -v git; exec 3<>/tmp/f; watch -n1 'git push'",
};

/* Tokens the mutator inserts: operators, quotes and the constructs that
 * make the parser recurse. */
static const char *const dict[] = {
	";", "&", "&&", "||", "|", "|&", "\n", "(", ")", "{ ", " }", "$(", "`", "\"", "'", "\\",
	"#", "<<EOF\n", "\nEOF\n", "<<-", "<<<", "<(", ">(", "${", "}", "$((", "))", "((", "$'",
	"{a,b}", "{1..9}", "[", "]", "*", "?", "case x in ", "x) ", ";;", " esac", "a[1]=", "&>",
	"2>", ">", "<", "eval ", "bash -c ", "sh -c ", "env -S ", "sudo ", "xargs ", "ssh ",
	"git push", "rm -rf ", "dd if=", "shutdown", " -o ProxyCommand=", "prod-db.example.com",
	"x.example.com ", "function ", "() ", "\t", "\\\n", "$\"", "--", "-c ",
};

#include "standalone.h"

#define POOL_MAX 64
#define INPUT_MAX 2048

/* Mutate a member of the pool and keep results that parse, so that later
 * mutations start from lines that reach the wrappers, nested shells and SSH
 * code rather than dying in the lexer. */
static void run_mutations(long iterations)
{
	struct input pool[POOL_MAX];
	size_t n = 0;
	unsigned long kept = 0, blocked = 0, refused = 0;

	for (; n < sizeof(seeds) / sizeof(seeds[0]); n++)
		pool[n] = (struct input){ xstrdup(seeds[n]), strlen(seeds[n]) };
	for (long i = 0; i < iterations; i++) {
		const struct input *parent = &pool[rnd(n)];
		struct input cur = { xmalloc(parent->len + 1), parent->len };
		long rounds = 1 + (long)rnd(4);

		memcpy(cur.buf, parent->buf, parent->len);
		while (rounds-- > 0 && cur.len < INPUT_MAX)
			mutate_once(&cur, dict, sizeof dict / sizeof dict[0], 16);
		run_input(cur.buf, cur.len);
		blocked += last_result == -EPERM;
		refused += last_result == -EINVAL;
		/* Blocked lines are kept more often: only they reach the
		 * still-blocked property. */
		if (last_result == -EINVAL || cur.len >= INPUT_MAX ||
		    (last_result == 0 && rnd(2))) {
			free(cur.buf);
			continue;
		}
		kept++;
		if (n < POOL_MAX) {
			pool[n++] = cur;
		} else {
			size_t slot = rnd(POOL_MAX);

			free(pool[slot].buf);
			pool[slot] = cur;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(pool[k].buf);
	printf("%ld iterations: %lu kept, %lu blocked, %lu refused\n", iterations, kept, blocked,
	       refused);
}

int main(int argc, char **argv)
{
	long iterations;
	int files;
	if (fz_args(argc, argv, &iterations, &files) < 0)
		return 1;
	run_mutations(iterations);
	return 0;
}

#endif
