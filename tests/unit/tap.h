/* tap.h: a tiny TAP producer for the C unit tests (meson test reads TAP).
 *
 * Usage:
 *     TEST(name) { ASSERT_EQ(1, f()); ASSERT_STREQ("x", s); }
 *     int main(void) { RUN(name); return tap_done(); }
 * A failing assertion prints a diagnostic and ends that test; the other tests
 * still run.  tap_skip("reason") marks the current test skipped (exit code 77
 * when every test was skipped). */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_skipped;
static jmp_buf tap_jmp;
static const char *tap_skip_reason;

#define TEST(name) static void test_##name(void)

#define RUN(name) tap_run(#name, test_##name)

static inline void tap_run(const char *name, void (*fn)(void))
{
	tap_n++;
	tap_skip_reason = NULL;
	int r = setjmp(tap_jmp);
	if (r == 0) {
		fn();
		printf("ok %d - %s\n", tap_n, name);
	} else if (r == 2) {
		tap_skipped++;
		printf("ok %d - %s # SKIP %s\n", tap_n, name, tap_skip_reason);
	} else {
		tap_failed++;
		printf("not ok %d - %s\n", tap_n, name);
	}
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		return 1;
	return tap_n && tap_skipped == tap_n ? 77 : 0;
}

static inline void tap_skip(const char *reason)
{
	tap_skip_reason = reason;
	longjmp(tap_jmp, 2);
}

#define TAP_FAIL(...)                                                           \
	do {                                                                    \
		printf("#   %s:%d: ", __FILE__, __LINE__);                     \
		printf(__VA_ARGS__);                                            \
		printf("\n");                                                   \
		longjmp(tap_jmp, 1);                                            \
	} while (0)

#define ASSERT_TRUE(c)                                                          \
	do {                                                                    \
		if (!(c))                                                       \
			TAP_FAIL("expected true: %s", #c);                      \
	} while (0)
#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))
#define ASSERT_EQ(exp, act)                                                     \
	do {                                                                    \
		long long _e = (long long)(exp), _a = (long long)(act);         \
		if (_e != _a)                                                   \
			TAP_FAIL("%s == %s: expected %lld, got %lld", #exp,     \
				 #act, _e, _a);                                 \
	} while (0)
#define ASSERT_NE(exp, act)                                                     \
	do {                                                                    \
		long long _e = (long long)(exp), _a = (long long)(act);         \
		if (_e == _a)                                                   \
			TAP_FAIL("%s != %s: both %lld", #exp, #act, _e);        \
	} while (0)
#define ASSERT_STREQ(exp, act)                                                  \
	do {                                                                    \
		const char *_e = (exp), *_a = (act);                            \
		if (!_e || !_a || strcmp(_e, _a) != 0)                          \
			TAP_FAIL("%s: expected \"%s\", got \"%s\"", #act,       \
				 _e ? _e : "(null)", _a ? _a : "(null)");       \
	} while (0)
#define ASSERT_CONTAINS(hay, needle)                                            \
	do {                                                                    \
		const char *_h = (hay), *_n = (needle);                         \
		if (!_h || !strstr(_h, _n))                                     \
			TAP_FAIL("%s: \"%s\" does not contain \"%s\"", #hay,    \
				 _h ? _h : "(null)", _n);                       \
	} while (0)
/* Syscall-style pair check: ASSERT_ERRNO(-1, EPERM, call()). */
#define ASSERT_ERRNO(ret, err, call)                                            \
	do {                                                                    \
		errno = 0;                                                      \
		long _r = (long)(call);                                         \
		int _en = errno;                                                \
		if (_r != (ret) || _en != (err))                                \
			TAP_FAIL("%s: expected %ld/%s, got %ld/%s", #call,      \
				 (long)(ret), strerror(err), _r, strerror(_en)); \
	} while (0)
