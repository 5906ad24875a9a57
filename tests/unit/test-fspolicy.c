/* Unit tests for fs.c and fspolicy.c.  The Landlock cases enforce a real
 * ruleset in a forked child (restriction cannot be undone) and try the
 * operations for real. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "fspolicy.h"
#include "landlock.h"
#include "tap.h"

static char root[64];

static void mkfile(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (!f)
		TAP_FAIL("cannot create %s", p);
	fputs(content, f);
	fclose(f);
}

static void mkd(const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	if (mkdir(p, 0755) < 0)
		TAP_FAIL("mkdir %s", p);
}

static char *at(const char *rel)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 512, "%s/%s", root, rel);
	return b;
}

static void setup_tree(void)
{
	strcpy(root, "/tmp/gw-fsp-XXXXXX");
	if (!mkdtemp(root))
		TAP_FAIL("mkdtemp");
	mkd("ws");
	mkd("ws/sub");
	mkd("ws/.git");
	mkd("ws/.git/hooks");
	mkd("outside");
	mkfile("ws/a.txt", "a");
	mkfile("ws/sub/b.txt", "b");
	mkfile("ws/.env", "SECRET=1");
	mkfile("ws/.git/config", "[core]");
	mkfile("ws/.git/HEAD", "ref");
	mkfile("ws/.git/hooks/pre-commit", "#!/bin/sh");
	mkfile("outside/o.txt", "o");
}

static void rm_tree(void)
{
	int fd = open("/tmp", O_PATH | O_DIRECTORY);
	fs_remove_tree(fd, root + 5);
	close(fd);
}

static int fails;
#define CHECK(c)                                                                \
	do {                                                                    \
		if (!(c)) {                                                     \
			printf("#   child: %s:%d: %s (errno %d)\n", __FILE__,  \
			       __LINE__, #c, errno);                            \
			fails++;                                                \
		}                                                               \
	} while (0)

static bool can_open(const char *p, int flags)
{
	int fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int enforce(struct gw_fs_spec *spec)
{
	int abi = landlock_abi();
	uint64_t handled = landlock_fs_rights_for_abi(abi);
	struct gw_fs_plan plan;
	struct gw_error err = { 0 };
	if (fspolicy_plan(spec, handled, &plan, &err) < 0) {
		printf("#   plan: %s\n", err.msg);
		return -1;
	}
	int rfd = landlock_ruleset_create(handled, 0, 0);
	for (size_t i = 0; i < plan.n_rules; i++)
		if (landlock_allow_path(rfd, plan.rules[i].fd, plan.rules[i].access) < 0)
			return -1;
	fspolicy_plan_free(&plan);
	return landlock_enforce(rfd);
}

static void child_workspace(void)
{
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, "/usr", GW_LL_FS_RX, true);
	fs_spec_grant(&spec, at("ws"), GW_LL_FS_ALL, false);
	fs_spec_deny(&spec, at("ws/.env"), GW_DENY_READ);
	fs_spec_deny(&spec, at("ws/.git/hooks"), GW_DENY_WRITE);
	fs_spec_deny(&spec, at("ws/.git/config"), GW_DENY_WRITE);
	fs_spec_deny(&spec, at("ws/.bashrc"), GW_DENY_WRITE);
	fs_spec_deny(&spec, at("ws/.vscode/settings.json"), GW_DENY_WRITE);
	if (enforce(&spec) < 0)
		_exit(100);
	fs_spec_free(&spec);
	/* The workspace works... */
	CHECK(can_open(at("ws/a.txt"), O_WRONLY | O_TRUNC));
	CHECK(can_open(at("ws/sub/new.txt"), O_WRONLY | O_CREAT));
	CHECK(mkdir(at("ws/sub/d"), 0755) == 0);
	CHECK(rename(at("ws/sub/new.txt"), at("ws/sub/d/moved.txt")) == 0);
	CHECK(can_open(at("ws"), O_RDONLY | O_DIRECTORY));
	CHECK(can_open(at("ws/.git/config"), O_RDONLY));
	CHECK(can_open(at("ws/.git/HEAD"), O_WRONLY));
	/* ...the protections hold... */
	CHECK(!can_open(at("ws/.env"), O_RDONLY));
	CHECK(!can_open(at("ws/.git/config"), O_WRONLY));
	CHECK(truncate(at("ws/.git/config"), 0) < 0);
	CHECK(!can_open(at("ws/.git/hooks/pre-commit"), O_WRONLY));
	CHECK(!can_open(at("ws/.git/hooks/x"), O_WRONLY | O_CREAT));
	CHECK(!can_open(at("ws/.bashrc"), O_WRONLY | O_CREAT));
	CHECK(mkdir(at("ws/.vscode"), 0755) < 0);
	/* ...and cannot be unmasked by renaming or deleting. */
	CHECK(rename(at("ws/.env"), at("ws/sub/env")) < 0);
	CHECK(rename(at("ws/.git"), at("ws/sub/git")) < 0);
	CHECK(rename(at("ws/.git/hooks"), at("ws/.git/h2")) < 0);
	CHECK(unlink(at("ws/.env")) < 0);
	CHECK(link(at("ws/.env"), at("ws/sub/e")) < 0);
	CHECK(!can_open(at("outside/o.txt"), O_RDONLY));
	CHECK(!can_open("/etc/passwd", O_RDONLY));
	_exit(fails);
}

static int run_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		fn();
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

TEST(workspace_protections)
{
	if (landlock_abi() < 3)
		tap_skip("needs Landlock ABI >= 3");
	setup_tree();
	int r = run_child(child_workspace);
	rm_tree();
	ASSERT_EQ(0, r);
}

static void child_deny_wins(void)
{
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("ws"), GW_LL_FS_ALL, false);
	fs_spec_grant(&spec, at("ws/.env"), GW_LL_FS_RX, false); /* allow inside deny */
	fs_spec_deny(&spec, at("ws/.env"), GW_DENY_READ);
	fs_spec_deny(&spec, at("ws/sub"), GW_DENY_WRITE);
	if (enforce(&spec) < 0)
		_exit(100);
	CHECK(!can_open(at("ws/.env"), O_RDONLY));
	CHECK(can_open(at("ws/sub/b.txt"), O_RDONLY));
	CHECK(!can_open(at("ws/sub/b.txt"), O_WRONLY));
	CHECK(!can_open(at("ws/sub/c.txt"), O_WRONLY | O_CREAT));
	CHECK(can_open(at("ws/a.txt"), O_WRONLY));
	_exit(fails);
}

TEST(deny_beats_allow)
{
	if (landlock_abi() < 3)
		tap_skip("needs Landlock ABI >= 3");
	setup_tree();
	int r = run_child(child_deny_wins);
	rm_tree();
	ASSERT_EQ(0, r);
}

static void child_no_denies(void)
{
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("ws"), GW_LL_FS_ALL, false);
	if (enforce(&spec) < 0)
		_exit(100);
	/* Without protections in the way the root is not pinned. */
	CHECK(can_open(at("ws/new.txt"), O_WRONLY | O_CREAT));
	CHECK(unlink(at("ws/new.txt")) == 0);
	_exit(fails);
}

TEST(unpinned_root_allows_creation)
{
	if (landlock_abi() < 3)
		tap_skip("needs Landlock ABI >= 3");
	setup_tree();
	int r = run_child(child_no_denies);
	rm_tree();
	ASSERT_EQ(0, r);
}

TEST(required_grant_missing_is_an_error)
{
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, "/nonexistent/greywall/x", GW_LL_FS_ALL, false);
	struct gw_fs_plan plan;
	struct gw_error err = { 0 };
	ASSERT_EQ(-ENOENT, fspolicy_plan(&spec, GW_LL_FS_ALL, &plan, &err));
	ASSERT_CONTAINS(err.msg, "/nonexistent/greywall/x");
	gw_error_clear(&err);
	fs_spec_free(&spec);
}

TEST(untrusted_symlink_not_followed)
{
	setup_tree();
	/* A symlink in a world-writable directory could have been planted by
	 * anyone: it must not be followed. */
	chmod(at("ws"), 0777);
	ASSERT_EQ(0, symlink(at("outside"), at("ws/link")));
	char *real = NULL;
	ASSERT_EQ(-ELOOP, fs_open_trusted(at("ws/link/o.txt"), &real, NULL));
	chmod(at("ws"), 0755);
	int fd = fs_open_trusted(at("ws/link/o.txt"), &real, NULL);
	if (getuid() == 0) {
		/* root owns both the link and its directory: trusted. */
		ASSERT_TRUE(fd >= 0);
		ASSERT_STREQ(at("outside/o.txt"), real);
		close(fd);
	}
	free(real);
	/* System symlinks (usr-merge) are followed. */
	fd = fs_open_trusted("/bin/sh", &real, NULL);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	free(real);
	rm_tree();
}

TEST(normalize)
{
	char *s;
	ASSERT_STREQ("/a/b", s = fs_normalize("/a//b/./")); free(s);
	ASSERT_STREQ("/b", s = fs_normalize("/a/../b")); free(s);
	ASSERT_STREQ("/", s = fs_normalize("/../..")); free(s);
	ASSERT_STREQ("/", s = fs_normalize("/")); free(s);
	ASSERT_TRUE(fs_normalize("rel") == NULL);
	ASSERT_STREQ("/home/u/x", s = fs_absolutize("~/x", "/w", "/home/u")); free(s);
	ASSERT_STREQ("/w/x", s = fs_absolutize("./x", "/w", "/home/u")); free(s);
	ASSERT_STREQ("/x", s = fs_absolutize("../x", "/w", NULL)); free(s);
	ASSERT_TRUE(fs_absolutize("~/x", "/w", NULL) == NULL);
	ASSERT_TRUE(fs_is_beneath("/a/b", "/a"));
	ASSERT_TRUE(fs_is_beneath("/a", "/a"));
	ASSERT_FALSE(fs_is_beneath("/ab", "/a"));
	ASSERT_TRUE(fs_is_beneath("/x", "/"));
}

TEST(remove_tree_does_not_follow_symlinks)
{
	setup_tree();
	ASSERT_EQ(0, symlink(at("outside"), at("ws/sub/escape")));
	int fd = open(root, O_PATH | O_DIRECTORY);
	ASSERT_EQ(0, fs_remove_tree(fd, "ws"));
	close(fd);
	ASSERT_EQ(0, access(at("outside/o.txt"), F_OK));
	ASSERT_EQ(-1, access(at("ws"), F_OK));
	rm_tree();
}

int main(void)
{
	RUN(workspace_protections);
	RUN(deny_beats_allow);
	RUN(unpinned_root_allows_creation);
	RUN(required_grant_missing_is_an_error);
	RUN(untrusted_symlink_not_followed);
	RUN(normalize);
	RUN(remove_tree_does_not_follow_symlinks);
	return tap_done();
}
