/* fuzz-domain.c: fuzz target for domain.c, which will read names that the
 * sandboxed command sends (DNS questions, SNI, Host headers).
 *
 * Besides "no crash, no leak", it checks properties: a normalised name is
 * at most 253 bytes of [a-z0-9-_.] without empty labels, and normalising
 * it again changes nothing; a pattern that parses matches what it names
 * (its base, or one label under it for a wildcard) and a wildcard never
 * matches its own base.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address,undefined ...
 * Without it (gcc): -DGW_FUZZ_STANDALONE runs the files named on the
 * command line, then `--iterations N` deterministic mutations of seeds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *name)
{
	fprintf(stderr, "property violated: %s: \"%s\"\n", what, name);
	abort();
}

static void check_normal(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > GW_DOMAIN_MAX)
		fail("length", n);
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  (c == '.' && i > 0 && i + 1 < len && n[i + 1] != '.');
		if (!ok)
			fail("character", n);
	}
	char again[GW_DOMAIN_MAX + 1];
	const char *why;
	if (domain_normalize(n, len, again, sizeof again, &why) < 0 || strcmp(again, n) != 0)
		fail("not idempotent", n);
}

static void check_pattern(const char *text)
{
	struct gw_domain_pattern p;
	const char *why = NULL;
	if (domain_pattern_parse(text, &p, &why) < 0) {
		if (!why)
			fail("refused without a reason", text);
		return;
	}
	check_normal(p.base);
	uint16_t port = p.port ? p.port : 443;
	if (p.wildcard) {
		if (domain_pattern_match(&p, p.base, port))
			fail("wildcard matches its base", text);
		char sub[GW_DOMAIN_MAX + 8];
		snprintf(sub, sizeof sub, "x.%s", p.base);
		if (!domain_pattern_match(&p, sub, port))
			fail("wildcard misses a subdomain", text);
	} else if (!domain_pattern_match(&p, p.base, port)) {
		fail("pattern misses its name", text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[GW_DOMAIN_MAX + 1];
	const char *why;
	if (domain_normalize((const char *)data, size, out, sizeof out, &why) == 0)
		check_normal(out);
	else if (!why)
		fail("refused without a reason", "(input)");
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	check_pattern(text);
	free(text);
	return 0;
}

#ifdef GW_FUZZ_STANDALONE

static const char *const seeds[] = {
	"example.com", "*.example.com:443", "EXAMPLE.COM.", "b\303\274cher.example",
	"\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "_srv._tcp.example.org",
	"xn--bcher-kva.example:8443", "a-b.c-d.e", "*.co.uk", "localhost",
};

static const char *const dict[] = {
	".", "*.", ":", ":443", "-", "_", "xn--", "\xc3\xbc", "\xe4\xbe\x8b", "\xf0\x9f\x98\x80",
	"\xc0\xaf", "\xed\xa0\x80", "\xff", "A", "z", "0", "..", "*", " ", "\0",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

#include "standalone.h"

#define INPUT_MAX 600

static struct input pick(void)
{
	const char *seed = seeds[rnd(sizeof seeds / sizeof seeds[0])];
	return fz_input(seed, strlen(seed));
}

int main(int argc, char **argv)
{
	long iterations;
	int files;
	if (fz_args(argc, argv, &iterations, &files) < 0)
		return 1;
	fz_mutations(iterations, pick, NULL, 1, 6, INPUT_MAX, 8);
	return 0;
}

#endif
