/* fuzz-config.c: fuzz target for config_parse_buffer().
 *
 * Besides "no crash, no leak", it checks two properties: every failure
 * comes with a message naming the input, and every accepted config
 * survives config_to_json() -> config_parse_buffer() unchanged.
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
#include "config.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Accepted inputs, so the standalone runner can show it got past the
 * syntax checks. */
static unsigned long n_accepted;

static void check_round_trip(const struct gw_config *cfg)
{
	_cleanup_free_ char *j1 = config_to_json(cfg);
	struct gw_config again;
	struct gw_error err = { 0 };
	if (config_parse_buffer("round-trip", j1, strlen(j1), NULL, &again, &err) != 0) {
		fprintf(stderr, "round trip rejected: %s\njson: %s\n", err.msg, j1);
		abort();
	}
	_cleanup_free_ char *j2 = config_to_json(&again);
	if (strcmp(j1, j2) != 0) {
		fprintf(stderr, "round trip changed the config:\n%s\n%s\n", j1, j2);
		abort();
	}
	config_free(&again);
}

static void check_error(int r, const struct gw_error *err)
{
	if (r != -EINVAL && r != -EFBIG) {
		fprintf(stderr, "unexpected return %d\n", r);
		abort();
	}
	if (!err->msg || strncmp(err->msg, "fuzz:", 5) != 0) {
		fprintf(stderr, "error without a located message: %s\n", err->msg ? err->msg : "(null)");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_config cfg;
	struct gw_error err = { 0 };
	int r = config_parse_buffer("fuzz", (const char *)data, size, NULL, &cfg, &err);
	if (r == 0) {
		n_accepted++;
		check_round_trip(&cfg);
	}
	else
		check_error(r, &err);
	config_free(&cfg);
	gw_error_clear(&err);
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

static const char *const seeds[] = {
	"{}",
	"// comment\n{\n  /* block */\n  \"allowPty\": true,\n}\n",
	"{\"extends\": \"code-relaxed\", \"filesystem\": {\"allowRead\": [\"/a\", \"/b\",],"
	" \"denyRead\": [\"~/.ssh\"], \"defaultDenyRead\": true}}",
	"{\"network\": {\"proxyUrl\": \"socks5h://user:pw@[::1]:1080/\", \"httpProxyUrl\":"
	" \"http://proxy:3128\", \"dnsAddr\": \"[2001:db8::1]:53\", \"allowUnixSockets\": [\"/s\"],"
	" \"allowAllUnixSockets\": false, \"allowLocalBinding\": true, \"allowLocalOutbound\": null}}",
	"{\"command\": {\"deny\": [\"git push\", \"rm -rf /\"], \"allow\": [\"git push origin dev\"],"
	" \"useDefaults\": false}, \"ssh\": {\"allowedHosts\": [\"*.example.com\", \"::1\"],"
	" \"deniedHosts\": [\"prod\"], \"allowedCommands\": [\"ls\"], \"deniedCommands\": [\"rm\"],"
	" \"allowAllCommands\": false, \"inheritDeny\": true}, \"allowDegraded\": true}",
	"{\"_sources\": [\"/etc/greywall.json\"], 'filesystem': {'allowWrite': ['\\u00e9\\ud800'],"
	" \"allowGitConfig\": true}}",
	"{\"filesystem\": {\"denyRead\": [\"/a\"], \"deny\\u0052ead\": []}}",
	"{\"extends\": \"git-readonly\", \"network\": {\"dnsAddr\": \"localhost:3153\"}}",
};

/* Tokens the mutator inserts: structure, escapes, keys and values that
 * reach the validators. */
static const char *const dict[] = {
	"{", "}", "[", "]", ",", ":", "\"", "'", "//", "/*", "*/", "\n", " ", "\\",
	"\\u0000", "\\ud800", "\\u0041", "null", "true", "false", "-1e999", "NaN",
	"\"extends\"", "\"code\"", "\"default\"", "\"local-dev-server\"", "\"x.json\"",
	"\"network\"", "\"filesystem\"", "\"command\"", "\"ssh\"", "\"_sources\"",
	"\"proxyUrl\"", "\"dnsAddr\"", "\"allowedHosts\"", "\"denyRead\"", "\"denyread\"",
	"\"socks5://h:1\"", "\"[::1]:53\"", "\"a@b:22\"", "\"\"", "[\"\"]", "{\"a\":1}",
};

#include "standalone.h"

#define POOL_MAX 64

/* A tiny evolutionary loop: mutate a member of the pool and keep the
 * result when it was accepted, so that later mutations start from valid
 * configs and reach the validators and extends/merge code, not just the
 * tokenizer. */
static void run_mutations(long iterations)
{
	struct input pool[POOL_MAX];
	size_t n = 0;
	for (; n < sizeof seeds / sizeof seeds[0]; n++)
		pool[n] = (struct input){ xstrdup(seeds[n]), strlen(seeds[n]) };
	for (long i = 0; i < iterations; i++) {
		const struct input *parent = &pool[rnd(n)];
		struct input cur = { xmalloc(parent->len + 1), parent->len };
		memcpy(cur.buf, parent->buf, parent->len);
		for (uint64_t k = 1 + rnd(6); k > 0; k--)
			mutate_once(&cur, dict, sizeof dict / sizeof dict[0], 8);
		unsigned long before = n_accepted;
		run_input(cur.buf, cur.len);
		if (n_accepted == before || cur.len > 4096) {
			free(cur.buf);
		} else if (n < POOL_MAX) {
			pool[n++] = cur;
		} else {
			size_t victim = rnd(n);
			free(pool[victim].buf);
			pool[victim] = cur;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(pool[k].buf);
}

int main(int argc, char **argv)
{
	long iterations;
	int files;
	int failed = fz_args(argc, argv, &iterations, &files) < 0;
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		run_input(seeds[i], strlen(seeds[i]));
	run_mutations(iterations);
	printf("fuzz-config: %d files, %zu seeds, %ld mutations, %lu accepted: done\n", files,
	       sizeof seeds / sizeof seeds[0], iterations, n_accepted);
	return failed;
}

#endif
