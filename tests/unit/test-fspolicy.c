/* Unit tests for fs.c and fspolicy.c.  The Landlock cases enforce a real
 * ruleset in a forked child (restriction cannot be undone) and try the
 * operations for real. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fs.h"
#include "fspolicy.h"
#include "landlock.h"
#include "policy.h"
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


static void check_link_target(const char *link)
{
	char *want = realpath(link, NULL);
	int want_errno = errno;
	errno = 0;
	char *got = fs_link_target(link);
	if (want) {
		ASSERT_STREQ(want, got);
	} else {
		ASSERT_TRUE(got == NULL);
		ASSERT_EQ(want_errno, errno);
	}
	free(want);
	free(got);
}

TEST(link_target_is_realpath)
{
	setup_tree();
	ASSERT_EQ(0, symlink("sub/b.txt", at("ws/rel")));
	ASSERT_EQ(0, symlink("../outside/o.txt", at("ws/up")));
	ASSERT_EQ(0, symlink(at("outside/o.txt"), at("ws/abs")));
	ASSERT_EQ(0, symlink("rel", at("ws/chain")));
	ASSERT_EQ(0, symlink("sub/../a.txt", at("ws/dots")));
	ASSERT_EQ(0, symlink("sub", at("ws/subdir")));
	ASSERT_EQ(0, symlink("subdir/b.txt", at("ws/through")));
	ASSERT_EQ(0, symlink("nope", at("ws/dangling")));
	ASSERT_EQ(0, symlink("ws", at("wslink")));
	const char *links[] = { "ws/rel", "ws/up", "ws/abs", "ws/chain", "ws/dots", "ws/subdir",
				"ws/through", "ws/dangling", "wslink/rel", "wslink/up", "wslink", NULL };
	for (size_t i = 0; links[i]; i++)
		check_link_target(at(links[i]));
	/* Not a symlink, missing: NULL, with readlink()'s errno. */
	ASSERT_ERRNO(0, EINVAL, fs_link_target(at("ws/a.txt")));
	ASSERT_ERRNO(0, ENOENT, fs_link_target(at("ws/missing")));
	rm_tree();
}

TEST(dirnames)
{
	setup_tree();
	mkfile("ws/ab", "");
	mkfile("ws/.bashrc", "");
	int fd = open(at("ws"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct fs_dirnames d;
	ASSERT_EQ(0, fs_dirnames_read(fd, 32768, &d));
	close(fd);
	ASSERT_TRUE(fs_dirnames_has(&d, "ab", 2));
	ASSERT_TRUE(fs_dirnames_has(&d, ".bashrc", 7));
	ASSERT_TRUE(fs_dirnames_has(&d, "sub/b.txt", 3)); /* the first component */
	ASSERT_TRUE(fs_dirnames_has(&d, ".git", 4));
	ASSERT_FALSE(fs_dirnames_has(&d, "a", 1));  /* a prefix of "ab" and "a.txt" */
	ASSERT_FALSE(fs_dirnames_has(&d, "abc", 3));
	ASSERT_FALSE(fs_dirnames_has(&d, ".vscode", 7));
	ASSERT_FALSE(fs_dirnames_has(&d, "", 0));
	fs_dirnames_free(&d);
	/* Too big: refused, not truncated. */
	for (int i = 0; i < 300; i++) {
		char name[64];
		snprintf(name, sizeof name, "ws/sub/a-long-enough-file-name-%d", i);
		mkfile(name, "");
	}
	fd = open(at("ws/sub"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_EQ(-E2BIG, fs_dirnames_read(fd, 4096, &d));
	ASSERT_TRUE(d.n == 0 && d.sorted == NULL);
	close(fd);
	/* An O_PATH fd cannot be read: an error, never an empty listing. */
	fd = open(at("ws"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_EQ(-EBADF, fs_dirnames_read(fd, 32768, &d));
	close(fd);
	rm_tree();
}

static void *park(void *arg)
{
	int *tid = arg;
	__atomic_store_n(tid, gettid(), __ATOMIC_SEQ_CST);
	pause();
	return NULL;
}

/* Why a listing proves nothing on just any filesystem: /proc finds a
 * thread id it does not list. */
TEST(dir_lookup_exact)
{
	int tid = 0;
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, park, &tid));
	while (__atomic_load_n(&tid, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct fs_dirnames d;
	ASSERT_EQ(0, fs_dirnames_read(fd, 1 << 24, &d));
	char name[32], path[64];
	snprintf(name, sizeof name, "%d", tid);
	snprintf(path, sizeof path, "/proc/%d", tid);
	struct stat st;
	ASSERT_FALSE(fs_dirnames_has(&d, name, strlen(name)));
	ASSERT_EQ(0, lstat(path, &st));
	ASSERT_FALSE(fs_dir_lookup_exact(fd));
	fs_dirnames_free(&d);
	close(fd);
	pthread_cancel(t);
	pthread_join(t, NULL);
	/* tmpfs (without casefold) is exact. */
	struct statfs sf;
	fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		ASSERT_TRUE(fs_dir_lookup_exact(fd));
	if (fd >= 0)
		close(fd);
}

/* The plan as text: each rule's rights, path and inode, then the notes. */
static char *plan_text(const struct gw_fs_spec *spec)
{
	struct gw_fs_plan plan;
	struct gw_error err = { 0 };
	if (fspolicy_plan(spec, GW_LL_FS_ALL, &plan, &err) < 0)
		TAP_FAIL("plan: %s", err.msg);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < plan.n_rules; i++) {
		struct stat st;
		fstat(plan.rules[i].fd, &st);
		fprintf(f, "0x%llx %s %lu\n", (unsigned long long)plan.rules[i].access,
			plan.rules[i].path, (unsigned long)st.st_ino);
	}
	for (size_t i = 0; plan.notes && plan.notes[i]; i++)
		fprintf(f, "note %s\n", plan.notes[i]);
	fclose(f);
	fspolicy_plan_free(&plan);
	return buf;
}

static const char *const protected[] = {
	".gitconfig", ".gitmodules", ".bashrc", ".bash_profile", ".zshrc", ".zprofile",
	".profile", ".ripgreprc", ".mcp.json", ".envrc", ".vscode", ".idea",
	".claude/commands", ".claude/agents", ".husky", ".git/hooks", ".git/config", NULL,
};

/* The workspace of the policy: protected names (some present, one a
 * symlink, most missing) and optional grants, all named under `dir`. */
static void workspace_spec(struct gw_fs_spec *spec, const char *dir)
{
	fs_spec_grant(spec, at("ws"), GW_LL_FS_ALL, false);
	char p[512];
	for (size_t i = 0; protected[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", at(dir), protected[i]);
		fs_spec_protect(spec, p);
	}
	snprintf(p, sizeof p, "%s/.env", at(dir));
	fs_spec_deny(spec, p, GW_DENY_READ);
	/* Not normalised: "" is not a name the listing could lack. */
	snprintf(p, sizeof p, "%s//extra", at(dir));
	fs_spec_deny(spec, p, GW_DENY_WRITE);
	const char *optional[] = { ".nvm", ".cargo/bin", "sub", "sub/b.txt", ".vscode", NULL };
	for (size_t i = 0; optional[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", at(dir), optional[i]);
		fs_spec_grant(spec, p, GW_LL_FS_RX, true);
	}
}

static void setup_protected_tree(void)
{
	setup_tree();
	mkfile("ws/.envrc", "export X=1");
	mkfile("ws/.env", "SECRET=1");
	mkd("ws/.vscode");
	mkfile("ws/sub/target", "real bashrc");
	ASSERT_EQ(0, symlink("sub/target", at("ws/.bashrc")));
	mkfile("ws/sub/extra-target", "x");
	ASSERT_EQ(0, symlink("sub/extra-target", at("ws/extra")));
	mkd("ws/.claude");
}

static void child_protected(void)
{
	struct gw_fs_spec spec = { 0 };
	workspace_spec(&spec, "ws");
	if (enforce(&spec) < 0)
		_exit(100);
	CHECK(!can_open(at("ws/.envrc"), O_WRONLY));
	CHECK(can_open(at("ws/.envrc"), O_RDONLY));
	CHECK(!can_open(at("ws/sub/target"), O_WRONLY)); /* through the link's target */
	CHECK(!can_open(at("ws/sub/extra-target"), O_WRONLY));
	CHECK(!can_open(at("ws/.mcp.json"), O_WRONLY | O_CREAT));
	CHECK(!can_open(at("ws/.vscode/settings.json"), O_WRONLY | O_CREAT));
	CHECK(mkdir(at("ws/.claude/commands"), 0755) < 0);
	CHECK(mkdir(at("ws/.idea"), 0755) < 0);
	CHECK(!can_open(at("ws/.env"), O_RDONLY));
	CHECK(can_open(at("ws/sub/b.txt"), O_WRONLY));
	_exit(fails);
}

/* The same denies named through a symlink to the workspace cannot use a
 * listing (it is only read when reached without symlinks), so they take
 * the lookup per name: both ways must give the same plan. */
TEST(listing_gives_the_plan_of_lookups)
{
	setup_protected_tree();
	ASSERT_EQ(0, symlink("ws", at("wslink")));
	struct gw_fs_spec listed = { 0 }, looked_up = { 0 };
	workspace_spec(&listed, "ws");
	workspace_spec(&looked_up, "wslink");
	char *a = plan_text(&listed), *b = plan_text(&looked_up);
	ASSERT_STREQ(a, b);
	ASSERT_CONTAINS(a, "/ws/.envrc");
	ASSERT_CONTAINS(a, "/ws/sub/target");
	free(a);
	free(b);
	/* A name too long to exist is an error, not "absent". */
	char name[300], p[512];
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	snprintf(p, sizeof p, "%s/%s", at("ws"), name);
	fs_spec_grant(&listed, p, GW_LL_FS_RX, true);
	struct gw_fs_plan plan;
	struct gw_error err = { 0 };
	ASSERT_EQ(-ENAMETOOLONG, fspolicy_plan(&listed, GW_LL_FS_ALL, &plan, &err));
	gw_error_clear(&err);
	/* A required grant that does not exist is an error, listed or not. */
	free(listed.grants[--listed.n_grants].path);
	fs_spec_grant(&listed, at("ws/.nvm/required"), GW_LL_FS_RX, false);
	ASSERT_EQ(-ENOENT, fspolicy_plan(&listed, GW_LL_FS_ALL, &plan, &err));
	ASSERT_CONTAINS(err.msg, "ws/.nvm/required");
	gw_error_clear(&err);
	fs_spec_free(&listed);
	fs_spec_free(&looked_up);
	if (landlock_abi() >= 3)
		ASSERT_EQ(0, run_child(child_protected));
	rm_tree();
}

/* A directory the planner cannot read (search permission only) keeps
 * every protection: the names are looked up one by one. */
static void child_unlistable(void)
{
	if (getuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
			      setresuid(65534, 65534, 65534) < 0))
		_exit(101);
	CHECK(open(at("ws"), O_RDONLY | O_DIRECTORY) < 0); /* really unlistable */
	struct gw_fs_spec spec = { 0 };
	workspace_spec(&spec, "ws");
	fs_spec_grant(&spec, root, GW_LL_FS_ALL, false);
	if (enforce(&spec) < 0)
		_exit(100);
	CHECK(!can_open(at("ws/.envrc"), O_WRONLY));
	CHECK(!can_open(at("ws/.mcp.json"), O_WRONLY | O_CREAT));
	CHECK(!can_open(at("ws/.gitmodules"), O_WRONLY | O_CREAT));
	CHECK(mkdir(at("ws/.idea"), 0755) < 0);
	_exit(fails);
}

TEST(unlistable_directory_keeps_protections)
{
	if (landlock_abi() < 3)
		tap_skip("needs Landlock ABI >= 3");
	setup_protected_tree();
	/* Writable and searchable for everyone, readable by nobody else:
	 * only Landlock stands between the child and the protected names. */
	chmod(root, 0755);
	chmod(at("ws/.envrc"), 0666);
	chmod(at("ws"), 0733);
	int r = run_child(child_unlistable);
	chmod(at("ws"), 0755);
	rm_tree();
	ASSERT_EQ(0, r);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool spec_denies(const struct gw_fs_spec *s, const char *path)
{
	for (size_t i = 0; i < s->n_denies; i++)
		if (strcmp(s->denies[i].path, path) == 0)
			return true;
	return false;
}

/* A workspace whose name has glob characters: they are part of the name,
 * not of the patterns that are relative to it. */
TEST(glob_characters_in_the_workspace_name)
{
	setup_tree();
	mkd("ws[1]");
	mkfile("ws[1]/.env.local", "K=1");
	mkfile("ws[1]/secret.txt", "s");
	mkfile("ws[1]/notes.txt", "n");
	struct gw_config cfg;
	config_init(&cfg);
	char *deny[] = { "sec*.txt", "notes.txt", NULL };
	cfg.filesystem.deny_read = deny;
	struct gw_runtime rt = { .cwd = at("ws[1]") };
	struct gw_fs_spec spec = { 0 };
	struct gw_error err = { 0 };
	ASSERT_EQ(0, policy_build_fs(&cfg, &rt, &spec, &err));
	ASSERT_TRUE(spec_denies(&spec, at("ws[1]/.env.local")));
	ASSERT_TRUE(spec_denies(&spec, at("ws[1]/secret.txt")));
	ASSERT_TRUE(spec_denies(&spec, at("ws[1]/notes.txt")));
	ASSERT_TRUE(spec_denies(&spec, at("ws[1]/sec*.txt"))); /* the literal name too */
	ASSERT_FALSE(spec_denies(&spec, at("ws[1]/notes.txt/sec*.txt")));
	fs_spec_free(&spec);
	rm_tree();
}

TEST(plan_free_closes_every_fd)
{
	setup_protected_tree();
	struct gw_fs_spec spec = { 0 };
	workspace_spec(&spec, "ws");
	fs_spec_grant(&spec, "/usr", GW_LL_FS_RX, true);
	fs_spec_grant(&spec, "/dev/null", GW_LL_FS_READ_FILE, true);
	int before = count_fds();
	struct gw_fs_plan plan;
	struct gw_error err = { 0 };
	ASSERT_EQ(0, fspolicy_plan(&spec, GW_LL_FS_ALL, &plan, &err));
	ASSERT_TRUE(plan.n_rules > 5);
	int first = plan.rules[0].fd;
	fspolicy_plan_free(&plan);
	ASSERT_EQ(before, count_fds());
	ASSERT_ERRNO(-1, EBADF, fcntl(first, F_GETFD));
	fs_spec_free(&spec);
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
	RUN(link_target_is_realpath);
	RUN(dirnames);
	RUN(dir_lookup_exact);
	RUN(listing_gives_the_plan_of_lookups);
	RUN(unlistable_directory_keeps_protections);
	RUN(glob_characters_in_the_workspace_name);
	RUN(plan_free_closes_every_fd);
	return tap_done();
}
