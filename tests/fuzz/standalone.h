/* standalone.h: what the fuzz targets share when they are built without
 * libFuzzer (GW_FUZZ_STANDALONE), so that every test run exercises them
 * under gcc's ASan+UBSan: a deterministic PRNG, a byte-level mutator
 * driven by a per-target dictionary, and file replay.
 *
 * Include it after defining `dict` (an array of const char *) and after
 * declaring LLVMFuzzerTestOneInput. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

/* xorshift64*: deterministic, so a failing iteration can be rerun. */
static uint64_t fz_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	fz_rng ^= fz_rng >> 12;
	fz_rng ^= fz_rng << 25;
	fz_rng ^= fz_rng >> 27;
	return n ? (fz_rng * 0x2545f4914f6cdd1dull) % n : 0;
}

struct input {
	char *buf;
	size_t len;
};

static void insert(struct input *in, size_t at, const char *s, size_t n)
{
	in->buf = xrealloc(in->buf, in->len + n + 1);
	memmove(in->buf + at + n, in->buf + at, in->len - at);
	memcpy(in->buf + at, s, n);
	in->len += n;
}

/* One random edit: delete a short range, insert a dictionary token, change
 * or insert a byte, or duplicate a range (nesting, repeated operators). */
static void mutate_once(struct input *in, const char *const *words, size_t n_words, size_t max_range)
{
	size_t at = rnd(in->len + 1);
	size_t room = in->len - at;
	size_t n = room ? 1 + rnd(room < max_range ? room : max_range) : 0;
	const char *tok = words[rnd(n_words)];
	char byte = (char)(1 + rnd(255));

	switch (rnd(5)) {
	case 0:
		memmove(in->buf + at, in->buf + at + n, in->len - at - n);
		in->len -= n;
		break;
	case 1:
		insert(in, at, tok, strlen(tok));
		break;
	case 2:
		if (at < in->len)
			in->buf[at] = byte;
		break;
	case 3:
		insert(in, at, &byte, 1);
		break;
	default: {
		_cleanup_free_ char *copy = xstrndup(in->buf + at, n);

		insert(in, rnd(in->len + 1), copy, strlen(copy));
		break;
	}
	}
}

/* A new input holding a copy of bytes[0..len). */
static inline struct input fz_input(const void *bytes, size_t len)
{
	struct input in = { xmalloc(len + 1), len };
	memcpy(in.buf, bytes, len);
	return in;
}

/* One binary-safe edit (the dictionary's tokens cannot carry a NUL): a
 * byte set to anything or to one of `interesting`, moved by one (lengths
 * and counts), a byte inserted, a range deleted or duplicated.  The
 * input does not grow past max_len by a duplication. */
static inline void fz_mutate_binary(struct input *in, const uint8_t *interesting,
				    size_t n_interesting, size_t max_len)
{
	size_t at = rnd(in->len + 1);
	char b;

	switch (rnd(7)) {
	case 0:
		if (at < in->len)
			in->buf[at] = (char)rnd(256);
		break;
	case 1:
		if (at < in->len)
			in->buf[at] = (char)interesting[rnd(n_interesting)];
		break;
	case 2:
		if (at < in->len)
			in->buf[at] = (char)(in->buf[at] + (rnd(2) ? 1 : -1));
		break;
	case 3:
		b = (char)rnd(256);
		insert(in, at, &b, 1);
		break;
	case 4:
		b = (char)interesting[rnd(n_interesting)];
		insert(in, at, &b, 1);
		break;
	case 5: {
		size_t n = 1 + rnd(16);
		if (at + n <= in->len) {
			memmove(in->buf + at, in->buf + at + n, in->len - at - n);
			in->len -= n;
		}
		break;
	}
	default: {
		size_t n = 1 + rnd(64);
		if (at + n <= in->len && in->len + n < max_len) {
			char copy[64];
			memcpy(copy, in->buf + at, n);
			insert(in, rnd(in->len + 1), copy, n);
		}
		break;
	}
	}
}

static void run_input(const char *buf, size_t len)
{
	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *copy = xmalloc(len ? len : 1);

	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static int run_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		buf = xrealloc(buf, cap += 65536);
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	run_input(buf, len);
	return 0;
}

/* The command line of every standalone target: files to replay (run at
 * once), `--iterations N` and `--seed S` (another mutation sequence).
 * Returns 0, or -1 when a file could not be read; *files counts them. */
static int fz_args(int argc, char **argv, long *iterations, int *files)
{
	int failed = 0;
	*iterations = 0;
	*files = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			*iterations = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			fz_rng ^= strtoull(argv[++i], NULL, 0) * 0xbf58476d1ce4e5b9ull;
			fz_rng = fz_rng ? fz_rng : 1; /* xorshift's one bad state */
		} else {
			failed |= run_file(argv[i]) < 0;
			(*files)++;
		}
	}
	return failed ? -1 : 0;
}

/* The mutation loop of a target: `iterations` times, an input from
 * pick(), 1 to max_rounds edits while it is shorter than max_len (one in
 * dict_odds a dictionary edit of ranges up to max_range, the others
 * edit(); with edit NULL, the dictionary always), then a run. */
static inline void fz_mutations(long iterations, struct input (*pick)(void),
				void (*edit)(struct input *), unsigned dict_odds, unsigned max_rounds,
				size_t max_len, size_t max_range)
{
	for (long i = 0; i < iterations; i++) {
		struct input cur = pick();
		for (uint64_t k = 1 + rnd(max_rounds); k > 0 && cur.len < max_len; k--) {
			if (!edit || rnd(dict_odds) == 0)
				mutate_once(&cur, dict, sizeof dict / sizeof dict[0], max_range);
			else
				edit(&cur);
		}
		run_input(cur.buf, cur.len);
		free(cur.buf);
	}
	printf("%ld iterations\n", iterations);
}
