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
