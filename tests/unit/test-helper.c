/* Unit tests for the pure parts of greywall-netns-helper: pin names, the
 * sidecar format, /proc/PID/stat start times, and greywall's --netns
 * flags.  (The privileged parts run in tests/integration/helper.sh.) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "pin.h"
#include "procid.h"
#include "tap.h"

#define HEX "0123456789abcdef0123456789abcdef"

TEST(pin_names)
{
	ASSERT_TRUE(pin_name_valid("ns-" HEX));
	ASSERT_FALSE(pin_name_valid("ns-" HEX "0"));
	ASSERT_FALSE(pin_name_valid("ns-0123456789abcdef0123456789abcde"));
	ASSERT_FALSE(pin_name_valid("ns-0123456789ABCDEF0123456789abcdef"));
	ASSERT_FALSE(pin_name_valid("ns-" HEX ".pid"));
	ASSERT_FALSE(pin_name_valid("xx-" HEX));
	ASSERT_FALSE(pin_name_valid(""));
	ASSERT_FALSE(pin_name_valid(".."));
	ASSERT_STREQ("ns-" HEX, pin_name_of("/run/greywall/ns-" HEX));
	ASSERT_STREQ("ns-" HEX, pin_name_of("ns-" HEX));
	ASSERT_TRUE(pin_name_of("/run/greywall//ns-" HEX) == NULL);
	ASSERT_TRUE(pin_name_of("/run/greywall/../greywall/ns-" HEX) == NULL);
	ASSERT_TRUE(pin_name_of("/run/greywall/ns-" HEX "/..") == NULL);
	ASSERT_TRUE(pin_name_of("/tmp/ns-" HEX) == NULL);
	ASSERT_TRUE(pin_name_of("run/greywall/ns-" HEX) == NULL);
	ASSERT_TRUE(pin_name_of("/run/greywallx/ns-" HEX) == NULL);
	ASSERT_TRUE(pin_name_of("./ns-" HEX) == NULL);
}

TEST(sidecar)
{
	pid_t pid;
	uint64_t start;
	ASSERT_EQ(0, pin_sidecar_parse("123 456\n", &pid, &start));
	ASSERT_EQ(123, pid);
	ASSERT_EQ(456, start);
	ASSERT_EQ(0, pin_sidecar_parse("1 0\n", &pid, &start));
	const char *bad[] = { "0 1\n", "-1 5\n", "12 34", "12  34\n", " 12 34\n", "12 34\n\n",
			      "12 x\n", "12\n", "4294967296 1\n", "12 34 56\n", "+12 34\n", "", NULL };
	for (size_t i = 0; bad[i]; i++)
		ASSERT_EQ(-EINVAL, pin_sidecar_parse(bad[i], &pid, &start));
}

TEST(proc_start_time)
{
	uint64_t s;
	/* Field 22 counted after the last ')': a command name may hold both
	 * spaces and parentheses. */
	const char *line = "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 "
			   "987654 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0\n";
	ASSERT_EQ(0, procid_parse_start(line, &s));
	ASSERT_EQ(987654, s);
	ASSERT_EQ(-EINVAL, procid_parse_start("42 (x) S 1 2\n", &s));
	ASSERT_EQ(-EINVAL, procid_parse_start("no parenthesis", &s));
	/* This process: a start time, and it names us. */
	uint64_t mine;
	ASSERT_EQ(0, procid_start_time(getpid(), &mine));
	int fd = procid_open(getpid(), mine);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(procid_alive(fd));
	close(fd);
	ASSERT_EQ(-ESRCH, procid_open(getpid(), mine + 1));
	ASSERT_EQ(-ESRCH, procid_open(0, mine));
}

TEST(cli_netns)
{
	struct gw_opts o;
	struct gw_error err = { 0 };
	char *a1[] = { "greywall", "--netns", "/run/greywall/ns-" HEX, "--", "true", NULL };
	ASSERT_EQ(-EINVAL, cli_parse(5, a1, &o, &err));
	ASSERT_STREQ("--netns requires --no-bwrap", err.msg);
	char *a2[] = { "greywall", "--no-bwrap", "--netns=/run/greywall/ns-" HEX,
		       "--netns-helper", "/opt/h", "--", "true", NULL };
	ASSERT_EQ(0, cli_parse(7, a2, &o, &err));
	ASSERT_STREQ("/run/greywall/ns-" HEX, o.netns);
	ASSERT_STREQ("/opt/h", o.netns_helper);
	gw_error_clear(&err);
}

int main(void)
{
	RUN(pin_names);
	RUN(sidecar);
	RUN(proc_start_time);
	RUN(cli_netns);
	return tap_done();
}
