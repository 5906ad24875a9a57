/* pin.c: see pin.h. */
#include "pin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "log.h"
#include "privs.h"

#define SIDECAR_PID ".pid"
#define SIDECAR_SOCK ".sock"
#define SIDECAR_MAX 64
#define MEMBERS_HINT "pins are created as the calling user: make " PIN_DIR " writable for " \
	"the users of the helper through its group, sticky, as `make install-helper` does " \
	"(1770 root:greywall), and add them to that group (usermod -aG greywall USER)"

bool pin_name_valid(const char *name)
{
	if (strncmp(name, PIN_PREFIX, sizeof PIN_PREFIX - 1) != 0)
		return false;
	const char *hex = name + sizeof PIN_PREFIX - 1;
	for (size_t i = 0; i < PIN_HEX_LEN; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return hex[PIN_HEX_LEN] == '\0';
}

const char *pin_name_of(const char *arg)
{
	const char *name = arg;
	if (strncmp(arg, PIN_DIR "/", sizeof PIN_DIR) == 0)
		name = arg + sizeof PIN_DIR;
	return pin_name_valid(name) ? name : NULL;
}

/* ---- the directory ------------------------------------------------------ */

static int open_nofollow(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = resolve | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

static int check_dir(int fd, struct gw_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return gw_error_set(err, -errno, "fstat " PIN_DIR ": %s", strerror(errno));
	const char *bad = !S_ISDIR(st.st_mode)    ? "is not a directory"
			  : st.st_uid != 0        ? "is not owned by root"
			  : st.st_mode & S_IWOTH  ? "is writable by every user"
			  : (st.st_mode & S_IWGRP) && !(st.st_mode & S_ISVTX)
				  ? "is writable by its group but not sticky (members could remove "
				    "each other's pins)"
				  : NULL;
	if (bad)
		return gw_error_set(err, -EPERM, "refusing " PIN_DIR " (mode %04o, owner %u): it %s. "
				    "Hint: make install-helper sets it up (1770 root:greywall)",
				    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, bad);
	return 0;
}

/* Root alone, with no install: a directory only root can create pins in
 * (0755 whatever the umask).  Returns its fd, or -errno with err set. */
static int create_dir(struct gw_error *err)
{
	_cleanup_close_ int run = open_nofollow(AT_FDCWD, "/run", O_RDONLY | O_DIRECTORY, 0);
	if (run < 0)
		return gw_error_set(err, run, "cannot open /run: %s", strerror(-run));
	const char *name = PIN_DIR + sizeof "/run";
	if (mkdirat(run, name, 0700) < 0 && errno != EEXIST)
		return gw_error_set(err, -errno, "cannot create " PIN_DIR ": %s", strerror(errno));
	_cleanup_close_ int fd = open_nofollow(run, name, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH);
	if (fd < 0)
		return gw_error_set(err, fd, "cannot open " PIN_DIR ": %s", strerror(-fd));
	struct stat st;
	if (fstat(fd, &st) < 0 || (st.st_uid == 0 && fchmod(fd, 0755) < 0))
		return gw_error_set(err, -errno, "cannot make " PIN_DIR " 0755: %s", strerror(errno));
	return steal_fd(&fd);
}

int pin_dir_open(bool create, struct gw_error *err)
{
	int fd = open_nofollow(AT_FDCWD, PIN_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -ENOENT && create && getuid() == 0)
		fd = create_dir(err);
	if (fd == -ENOENT)
		return gw_error_set(err, fd, PIN_DIR " does not exist. Hint: `make install-helper` "
				    "creates it (and installs a tmpfiles.d entry for the next boots)");
	if (fd == -ELOOP)
		return gw_error_set(err, fd, "refusing " PIN_DIR ": a symlink is on its path");
	if (fd == -EACCES)
		return gw_error_set(err, fd, "cannot open " PIN_DIR ": %s. Hint: %s", strerror(-fd),
				    MEMBERS_HINT);
	if (fd < 0)
		return err && err->msg ? fd : gw_error_set(err, fd, "cannot open " PIN_DIR ": %s",
							   strerror(-fd));
	int r = check_dir(fd, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* ---- creating and mounting ---------------------------------------------- */

int pin_file_create(int dirfd, char *name, struct gw_error *err)
{
	uint8_t raw[PIN_HEX_LEN / 2];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return gw_error_set(err, -EIO, "getrandom: %s", strerror(errno));
	char *p = stpcpy(name, PIN_PREFIX);
	for (size_t i = 0; i < sizeof raw; i++)
		p += sprintf(p, "%02x", raw[i]);
	/* O_EXCL: a new file, never one planted under this name. */
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	int e = errno;
	return gw_error_set(err, -e, "cannot create a pin in " PIN_DIR ": %s%s%s", strerror(e),
			    e == EACCES || e == EPERM ? ". Hint: " : "",
			    e == EACCES || e == EPERM ? MEMBERS_HINT : "");
}

/* Whether the namespace nsfd is what `name` shows now. */
static bool mounted_at(int dirfd, const char *name, int nsfd)
{
	struct stat ns, at;
	_cleanup_close_ int fd = open_nofollow(dirfd, name, O_PATH, RESOLVE_BENEATH);
	return fd >= 0 && fstat(fd, &at) == 0 && fstat(nsfd, &ns) == 0 && at.st_dev == ns.st_dev &&
	       at.st_ino == ns.st_ino;
}

/* Detach the mount the tree fd stands for, wherever it is now: the fd's
 * magic link names it without any path of the caller's. */
static void unmount_tree(int tree)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", tree);
	if (privs_raise() == 0 && umount2(path, MNT_DETACH) < 0)
		log_warn("cannot undo the namespace's mount: %s", strerror(errno));
	privs_lower();
}

int pin_mount(int dirfd, const char *name, int nsfd, int pinfd, struct gw_error *err)
{
	if (privs_raise() < 0)
		return gw_error_set(err, -errno, "cannot raise capabilities: %s", strerror(errno));
	/* A detached bind mount of the namespace file, attached on the pin
	 * file itself: both ends are fds. */
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, nsfd, "",
						OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	int r = tree < 0 ? -errno : 0;
	if (r == 0 && syscall(SYS_move_mount, tree, "", pinfd, "",
			      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = -errno;
	privs_lower();
	if (r < 0)
		return gw_error_set(err, r, "cannot mount the namespace on its pin: %s", strerror(-r));
	/* The file is the caller's, so until it is a mount point the caller
	 * may rename it (out of the directory, even): the mount follows the
	 * file.  It must have stayed at its name, where nothing can move it
	 * any more (a mount point cannot be renamed). */
	if (!mounted_at(dirfd, name, nsfd)) {
		unmount_tree(tree);
		return gw_error_set(err, -EBUSY, PIN_DIR "/%s was moved while it was being mounted",
				    name);
	}
	return 0;
}

int pin_underlying_stat(int dirfd, const char *name, struct stat *st)
{
	if (privs_raise() < 0)
		return -errno;
	/* The directory's mount alone, without what is mounted below it. */
	int clone = (int)syscall(SYS_open_tree, dirfd, "",
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	int r = clone < 0 ? -errno : 0;
	privs_lower();
	if (r < 0)
		return r;
	if (fstatat(clone, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	close(clone);
	return r;
}

/* pin_check_owner(), with the underlying file's stat in *st. */
static int check_owner(int dirfd, const char *name, uid_t uid, struct stat *st,
		       struct gw_error *err)
{
	int r = pin_underlying_stat(dirfd, name, st);
	if (r == -ENOENT)
		return gw_error_set(err, r, PIN_DIR "/%s: no such pin", name);
	if (r < 0)
		return gw_error_set(err, r, PIN_DIR "/%s: %s", name, strerror(-r));
	if (S_ISLNK(st->st_mode))
		return gw_error_set(err, -ELOOP, "refusing " PIN_DIR "/%s: a symlink, not a pin", name);
	if (!S_ISREG(st->st_mode))
		return gw_error_set(err, -EINVAL, "refusing " PIN_DIR "/%s: not a pin file", name);
	if (st->st_uid != uid)
		return gw_error_set(err, -EPERM, "refusing " PIN_DIR "/%s: a pin of user %u, not "
				    "yours (%u)", name, (unsigned)st->st_uid, (unsigned)uid);
	return 0;
}

int pin_check_owner(int dirfd, const char *name, uid_t uid, struct gw_error *err)
{
	struct stat st;
	return check_owner(dirfd, name, uid, &st, err);
}

int pin_open_mounted(int dirfd, const char *name, int *out, struct gw_error *err)
{
	/* O_NONBLOCK: a FIFO in the way must not hang the helper. */
	_cleanup_close_ int fd = open_nofollow(dirfd, name, O_RDONLY | O_NONBLOCK, RESOLVE_BENEATH);
	if (fd == -ELOOP)
		return gw_error_set(err, fd, "refusing " PIN_DIR "/%s: a symlink, not a pin", name);
	if (fd < 0)
		return gw_error_set(err, fd, PIN_DIR "/%s: %s", name, strerror(-fd));
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return gw_error_set(err, -errno, "fstatfs " PIN_DIR "/%s: %s", name, strerror(errno));
	if (sf.f_type != NSFS_MAGIC)
		return 0;
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET)
		return gw_error_set(err, -EINVAL, "refusing " PIN_DIR "/%s: not a network namespace",
				    name);
	if (out)
		*out = steal_fd(&fd);
	return 1;
}

int pin_open_netns(int dirfd, const char *name, uid_t uid, struct gw_error *err)
{
	struct stat before, after;
	int r = check_owner(dirfd, name, uid, &before, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = -1;
	r = pin_open_mounted(dirfd, name, &fd, err);
	if (r == 0)
		return gw_error_set(err, -EINVAL, "refusing " PIN_DIR "/%s: no network namespace is "
				    "mounted on it (a leftover of a failed create or destroy: "
				    "`greywall-netns-helper destroy` removes it)", name);
	if (r < 0)
		return r;
	/* The check and the open are two lookups of the name.  The same
	 * file of the caller's under it afterwards means the namespace
	 * opened was mounted on that file: a mount point can be neither
	 * renamed nor removed, so no other one can have been at the name
	 * and gone since. */
	r = check_owner(dirfd, name, uid, &after, err);
	if (r < 0)
		return r;
	if (after.st_dev != before.st_dev || after.st_ino != before.st_ino)
		return gw_error_set(err, -EAGAIN, "refusing " PIN_DIR "/%s: it was replaced while "
				    "being opened", name);
	return steal_fd(&fd);
}

/* Run op(name, arg) with the directory as the working directory, for the
 * calls that take no dirfd: a relative name is then looked up in it. */
static int in_dir(int dirfd, int (*op)(const char *name, int arg), const char *name, int arg)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fchdir(dirfd) < 0)
		return -errno;
	int r = op(name, arg);
	if ((cwd < 0 || fchdir(cwd) < 0) && chdir("/") < 0)
		return r < 0 ? r : -errno;
	return r;
}

static int unmount_here(const char *name, int unused)
{
	(void)unused;
	/* UMOUNT_NOFOLLOW keeps a symlink at the name from being followed. */
	int r = privs_raise();
	if (r == 0 && umount2(name, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		r = -errno;
	privs_lower();
	return r;
}

int pin_unmount(int dirfd, const char *name)
{
	return in_dir(dirfd, unmount_here, name, 0);
}

static int bind_here(const char *name, int sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s" SIDECAR_SOCK, name);
	/* The socket file gets 0777 & ~umask: 0700, the owner's alone (a
	 * connect needs write permission on it). */
	mode_t old = umask(077);
	int r = bind(sock, (struct sockaddr *)&sa, sizeof sa) < 0 ? -errno : 0;
	umask(old);
	return r;
}

int pin_sock_listen(int dirfd, const char *name)
{
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* bind() makes the file, or fails with EADDRINUSE on anything
	 * already at the name, a symlink included: it never follows one. */
	int r = in_dir(dirfd, bind_here, name, s);
	if (r < 0)
		return r;
	if (listen(s, 128) < 0)
		return -errno;
	return steal_fd(&s);
}

static int unlink_one(int dirfd, const char *name, const char *suffix)
{
	char path[PIN_NAME_MAX];
	snprintf(path, sizeof path, "%s%s", name, suffix);
	/* A sidecar name taken by another user (another member of the
	 * group can make files here) is not the pin's: left alone, and no
	 * reason for destroy to fail. */
	struct stat st;
	if (*suffix && fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid != getuid())
		return 0;
	return unlinkat(dirfd, path, 0) < 0 && errno != ENOENT ? -errno : 0;
}

int pin_remove_files(int dirfd, const char *name)
{
	int r1 = unlink_one(dirfd, name, SIDECAR_SOCK);
	int r2 = unlink_one(dirfd, name, SIDECAR_PID);
	int r3 = unlink_one(dirfd, name, "");
	return r3 < 0 ? r3 : r2 < 0 ? r2 : r1;
}

/* ---- the sidecar -------------------------------------------------------- */

int pin_sidecar_write(int dirfd, const char *name, pid_t pid, uint64_t start)
{
	char path[PIN_NAME_MAX], text[SIDECAR_MAX];
	snprintf(path, sizeof path, "%s" SIDECAR_PID, name);
	int len = snprintf(text, sizeof text, "%d %llu\n", (int)pid, (unsigned long long)start);
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, (size_t)len);
	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

int pin_sidecar_parse(const char *text, pid_t *pid, uint64_t *start)
{
	char *end;
	if (text[0] < '1' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	long p = strtol(text, &end, 10);
	if (errno || p <= 0 || p > INT32_MAX || *end != ' ' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	unsigned long long s = strtoull(end + 1, &end, 10);
	if (errno || strcmp(end, "\n") != 0)
		return -EINVAL;
	*pid = (pid_t)p;
	*start = s;
	return 0;
}

int pin_sidecar_read(int dirfd, const char *name, uid_t uid, pid_t *pid, uint64_t *start)
{
	char path[PIN_NAME_MAX], text[SIDECAR_MAX];
	snprintf(path, sizeof path, "%s" SIDECAR_PID, name);
	/* Another member of the directory's group may have made this name
	 * first, as anything: O_NONBLOCK so that a FIFO cannot hang us, then
	 * only a regular file of the caller's is read. */
	_cleanup_close_ int fd = open_nofollow(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
					       RESOLVE_BENEATH);
	if (fd < 0)
		return fd == -ELOOP ? -EPERM : fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != uid)
		return -EPERM;
	ssize_t n = read(fd, text, sizeof text - 1);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	return pin_sidecar_parse(text, pid, start);
}

/* ---- listing ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pin names in the directory listed on fd (a view without submounts,
 * so that a pin's own file is seen) whose file is a regular file of uid. */
static char **own_pins(int fd, uid_t uid, int *r)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		*r = -errno;
		close(fd);
		return NULL;
	}
	char **v = xcalloc(1, sizeof *v);
	size_t n = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (!pin_name_valid(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != uid)
			continue;
		v = gw_strv_push(v, de->d_name);
		n++;
		errno = 0;
	}
	*r = errno ? -errno : 0;
	closedir(d);
	if (*r < 0) {
		gw_strv_free(v);
		return NULL;
	}
	qsort(v, n, sizeof *v, cmp_str);
	return v;
}

char **pin_list_names(int dirfd, uid_t uid, int *r)
{
	if (privs_raise() < 0) {
		*r = -errno;
		return NULL;
	}
	int clone = (int)syscall(SYS_open_tree, dirfd, "",
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	*r = clone < 0 ? -errno : 0;
	privs_lower();
	if (*r < 0)
		return NULL;
	int fd = openat(clone, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*r = fd < 0 ? -errno : 0;
	close(clone);
	return fd < 0 ? NULL : own_pins(fd, uid, r);
}
