/* Unit tests for mountplan.c: the order and kind of the bubblewrap
 * operations computed from grants and denies, placeholders and pins, on a
 * scratch tree.  (tests/integration/ns.sh tries the result for real.) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "fspolicy.h"
#include "landlock.h"
#include "mountplan.h"
#include "mounttree.h"
#include "tap.h"

static char root[64];

static char *at(const char *rel)
{
	static char bufs[16][512];
	static int i;
	char *b = bufs[i++ % 16];
	snprintf(b, 512, "%s%s%s", root, *rel ? "/" : "", rel);
	return b;
}

static void mkd(const char *rel)
{
	mkdir(at(rel), 0755);
}

static void mkfile(const char *rel)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Index of the first operation of `kind` on `dest`, or -1. */
static int find(const struct gw_mount_plan *p, enum gw_mount_kind kind, const char *dest)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->m[i].kind == kind && strcmp(p->m[i].dest, dest) == 0)
			return (int)i;
	return -1;
}

static int find_any(const struct gw_mount_plan *p, const char *dest)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->m[i].dest, dest) == 0)
			return (int)i;
	return -1;
}

static int build(struct gw_fs_spec *spec, struct gw_mount_plan *plan)
{
	struct gw_mount_input in = { .spec = spec, .home = "/home/nobody-gw",
				     .self_exe = "/proc/self/exe" };
	struct gw_error err = { 0 };
	int r = mountplan_build(&in, plan, &err);
	if (r < 0)
		printf("#   mountplan_build: %s\n", err.msg);
	gw_error_clear(&err);
	return r;
}

TEST(base_is_private_and_minimal)
{
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, "/usr", GW_LL_FS_RX, true);
	fs_spec_grant(&spec, "/proc", GW_LL_FS_READ, true);
	fs_spec_grant(&spec, "/dev/null", GW_LL_FS_READ_FILE, true);
	struct gw_mount_plan p;
	ASSERT_EQ(0, build(&spec, &p));
	ASSERT_EQ(0, find(&p, GW_MNT_TMPFS, "/"));
	ASSERT_TRUE(find(&p, GW_MNT_DEV, "/dev") > 0);
	ASSERT_TRUE(find(&p, GW_MNT_DIR, "/tmp") > 0);
	ASSERT_TRUE(find(&p, GW_MNT_DIR, "/run") > 0);
	ASSERT_TRUE(find(&p, GW_MNT_DIR, "/home/nobody-gw") > 0);
	ASSERT_TRUE(find(&p, GW_MNT_PROC, "/proc") > 0);
	ASSERT_TRUE(find(&p, GW_MNT_RO_BIND_FD, "/usr") > 0);
	ASSERT_EQ(-1, find_any(&p, "/dev/null")); /* the minimal /dev has it */
	mountplan_free(&p);
	fs_spec_free(&spec);
}

TEST(grants_shallow_first_and_union)
{
	mkd("w");
	mkd("w/ro-inside");
	mkd("r");
	mkd("r/rw-inside");
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("r/rw-inside"), GW_LL_FS_ALL, false);
	fs_spec_grant(&spec, at("w/ro-inside"), GW_LL_FS_RX, false);
	fs_spec_grant(&spec, at("r"), GW_LL_FS_RX, false);
	fs_spec_grant(&spec, at("w"), GW_LL_FS_ALL, false);
	struct gw_mount_plan p;
	ASSERT_EQ(0, build(&spec, &p));
	int r = find(&p, GW_MNT_RO_BIND_FD, at("r")), rw = find(&p, GW_MNT_BIND_FD, at("r/rw-inside"));
	ASSERT_TRUE(r > 0 && rw > r); /* the writable grant lands on top of the read-only one */
	ASSERT_TRUE(find(&p, GW_MNT_BIND_FD, at("w")) > 0);
	ASSERT_EQ(-1, find_any(&p, at("w/ro-inside"))); /* adds nothing inside a writable grant */
	mountplan_free(&p);
	fs_spec_free(&spec);
}

TEST(protections_pins_and_placeholders)
{
	mkd("ws");
	mkd("ws/.git");
	mkd("ws/.git/hooks");
	mkfile("ws/.env");
	mkd("ws/secrets");
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("ws"), GW_LL_FS_ALL, false);
	fs_spec_protect(&spec, at("ws/.git/hooks"));
	fs_spec_protect(&spec, at("ws/.bashrc"));
	fs_spec_protect(&spec, at("ws/.claude/commands"));
	fs_spec_protect(&spec, at("ws/.claude/agents"));
	fs_spec_deny(&spec, at("ws/.env"), GW_DENY_READ);
	fs_spec_deny(&spec, at("ws/secrets"), GW_DENY_READ);
	fs_spec_deny(&spec, at("ws/secrets/inner"), GW_DENY_WRITE); /* hidden anyway */
	fs_spec_deny(&spec, at("elsewhere/x"), GW_DENY_WRITE);      /* not visible */
	struct gw_mount_plan p;
	ASSERT_EQ(0, build(&spec, &p));
	int pin = find(&p, GW_MNT_BIND_FD, at("ws/.git"));
	int hooks = find(&p, GW_MNT_RO_BIND_FD, at("ws/.git/hooks"));
	ASSERT_TRUE(pin > 0 && hooks > pin); /* .git pinned before its protected child */
	ASSERT_TRUE(find(&p, GW_MNT_PLACEHOLDER, at("ws/.bashrc")) > 0);
	ASSERT_TRUE(find(&p, GW_MNT_PLACEHOLDER, at("ws/.claude")) > 0);
	ASSERT_EQ(-1, find_any(&p, at("ws/.claude/commands")));
	ASSERT_TRUE(find(&p, GW_MNT_EMPTY_FILE, at("ws/.env")) > 0);
	ASSERT_TRUE(find(&p, GW_MNT_EMPTY_DIR, at("ws/secrets")) > 0);
	ASSERT_EQ(-1, find_any(&p, at("ws/secrets/inner")));
	ASSERT_EQ(-1, find_any(&p, at("elsewhere/x")));
	ASSERT_EQ(2, (int)p.n_ph); /* .bashrc and .claude, once */
	ASSERT_EQ(0, mountplan_make_placeholders(&p, NULL));
	struct stat st;
	ASSERT_EQ(0, lstat(at("ws/.bashrc"), &st));
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	mountplan_remove_placeholders(&p);
	ASSERT_EQ(-1, access(at("ws/.bashrc"), F_OK));
	ASSERT_EQ(-1, access(at("ws/.claude"), F_OK));
	mountplan_free(&p);
	fs_spec_free(&spec);
}

TEST(placeholder_replaced_meanwhile_is_kept)
{
	mkd("keep");
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("keep"), GW_LL_FS_ALL, false);
	fs_spec_protect(&spec, at("keep/.vscode"));
	struct gw_mount_plan p;
	ASSERT_EQ(0, build(&spec, &p));
	ASSERT_EQ(0, mountplan_make_placeholders(&p, NULL));
	/* someone replaced it on the host meanwhile: not ours to remove */
	ASSERT_EQ(0, unlink(at("keep/.vscode")));
	mkd("keep/.vscode");
	mountplan_remove_placeholders(&p);
	struct stat st;
	ASSERT_EQ(0, stat(at("keep/.vscode"), &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	mountplan_free(&p);
	fs_spec_free(&spec);
}

TEST(symlinked_protection_fails_closed)
{
	mkd("lnk");
	mkd("lnk/real");
	if (symlink("real", at("lnk/.vscode")) < 0)
		TAP_FAIL("symlink");
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, at("lnk"), GW_LL_FS_ALL, false);
	fs_spec_protect(&spec, at("lnk/.vscode"));
	struct gw_mount_plan p;
	ASSERT_TRUE(build(&spec, &p) < 0);
	fs_spec_free(&spec);
	/* a config deny through the same link protects its target instead */
	spec = (struct gw_fs_spec){ 0 };
	fs_spec_grant(&spec, at("lnk"), GW_LL_FS_ALL, false);
	fs_spec_deny(&spec, at("lnk/.vscode"), GW_DENY_WRITE);
	ASSERT_EQ(0, build(&spec, &p));
	ASSERT_TRUE(find(&p, GW_MNT_RO_BIND_FD, at("lnk/real")) > 0);
	mountplan_free(&p);
	fs_spec_free(&spec);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return r;
}

/* The child's checks on the built tree; returns the number of the first
 * failed check, 0 when all hold. */
static int check_tree(const char *tr)
{
	char p[1200];
	struct stat st;
	snprintf(p, sizeof p, "%s%s/new-file", tr, at("tw"));
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1; /* the writable grant is writable */
	close(fd);
	snprintf(p, sizeof p, "%s%s", tr, at("tw/.vscode"));
	if (mkdir(p, 0755) == 0 || errno != EEXIST)
		return 2; /* the placeholder's name cannot be created */
	if (unlink(p) == 0 || errno != EBUSY)
		return 3; /* ...nor removed */
	if (open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != ENXIO)
		return 8; /* ...nor written */
	snprintf(p, sizeof p, "%s%s", tr, at("tw/.env"));
	if (stat(p, &st) < 0 || st.st_size != 0)
		return 4; /* the masked file reads as empty */
	snprintf(p, sizeof p, "%s%s/y", tr, at("tr"));
	if (mkdir(p, 0755) == 0 || errno != EROFS)
		return 5; /* the read-only grant is read-only */
	snprintf(p, sizeof p, "%s/tmp", tr);
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 01777)
		return 6;
	snprintf(p, sizeof p, "%s/bin", tr);
	char link[64] = "";
	if (readlink(p, link, sizeof link - 1) < 0 || strcmp(link, "usr/bin") != 0)
		return 7;
	return 0;
}

TEST(tree_built_for_real)
{
	mkd("tw");
	mkd("tr");
	mkfile("tw/.env");
	mkd("stage");
	struct gw_fs_spec spec = { 0 };
	fs_spec_grant(&spec, "/bin", GW_LL_FS_RX, true);
	fs_spec_grant(&spec, at("tw"), GW_LL_FS_ALL, false);
	fs_spec_grant(&spec, at("tr"), GW_LL_FS_RX, false);
	fs_spec_protect(&spec, at("tw/.vscode"));
	fs_spec_deny(&spec, at("tw/.env"), GW_DENY_READ);
	struct gw_mount_plan p;
	ASSERT_EQ(0, build(&spec, &p));
	ASSERT_EQ(0, mountplan_make_placeholders(&p, NULL));
	uid_t uid = getuid();
	gid_t gid = getgid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char map[64];
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
		write_file("/proc/self/setgroups", "deny");
		if (write_file("/proc/self/uid_map", map) < 0)
			_exit(78);
		snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			_exit(78);
		if (mounttree_build(&p, at("stage")) < 0)
			_exit(99);
		char tr[600];
		snprintf(tr, sizeof tr, "%s/root", at("stage"));
		_exit(check_tree(tr));
	}
	int status = -1;
	waitpid(pid, &status, 0);
	mountplan_remove_placeholders(&p);
	mountplan_free(&p);
	fs_spec_free(&spec);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77 && getenv("CI") == NULL)
		tap_skip("user namespaces unavailable");
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(-1, access(at("tw/.vscode"), F_OK)); /* placeholder removed */
	ASSERT_EQ(0, access(at("tw/new-file"), F_OK)); /* the write reached the host */
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/gw-mp-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	RUN(base_is_private_and_minimal);
	RUN(grants_shallow_first_and_union);
	RUN(protections_pins_and_placeholders);
	RUN(placeholder_replaced_meanwhile_is_kept);
	RUN(symlinked_protection_fails_closed);
	RUN(tree_built_for_real);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return tap_done() + (system(cmd) != 0);
}
