/* fuzz-report.h: how the fuzz targets report a violated property: the
 * property, where, and the input being tried (in hex), then abort() so
 * that libFuzzer saves the input and the standalone runner fails.
 * A target sets fz_cur() at the start of each input. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const uint8_t *fz_cur_data;
static size_t fz_cur_size;

static inline void fz_cur(const uint8_t *data, size_t size)
{
	fz_cur_data = data;
	fz_cur_size = size;
}

static inline __attribute__((noreturn)) void fail(const char *what, size_t at)
{
	fprintf(stderr, "property violated: %s (at %zu)\ninput (%zu bytes):", what, at, fz_cur_size);
	for (size_t i = 0; i < fz_cur_size && i < 4096; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n", fz_cur_data[i]);
	fprintf(stderr, "\n");
	abort();
}
