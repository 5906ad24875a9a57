/* fs.c: see fs.h. */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define MAX_SYMLINKS 40
#define MAX_REMOVE_DEPTH 256
/* Room for at least one getdents64() record (a 255-byte name plus its
 * header): a smaller buffer makes the call fail with EINVAL. */
#define DIRENT_ROOM 512

char *fs_normalize(const char *p)
{
	if (!p || p[0] != '/')
		return NULL;
	size_t n = strlen(p);
	char *out = xmalloc(n + 2);
	size_t o = 0;
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		size_t len = (size_t)(e - s);
		if (len == 0 || (len == 1 && s[0] == '.')) {
			/* skip */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

char *fs_absolutize(const char *path, const char *cwd, const char *home)
{
	_cleanup_free_ char *joined = NULL;
	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
		if (!home || home[0] != '/')
			return NULL;
		joined = xasprintf("%s/%s", home, path + 1);
	} else if (path[0] == '/') {
		joined = xstrdup(path);
	} else {
		joined = xasprintf("%s/%s", cwd, path);
	}
	return fs_normalize(joined);
}

bool fs_is_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *fs_fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	if (n < 0 || n == (ssize_t)sizeof buf - 1)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static bool symlink_trusted(int dirfd, int linkfd)
{
	struct stat dst, lst;
	if (fstat(dirfd, &dst) < 0 || fstat(linkfd, &lst) < 0)
		return false;
	return lst.st_uid == 0 && dst.st_uid == 0 && !(dst.st_mode & (S_IWGRP | S_IWOTH));
}

/* Replace the unresolved remainder `rest` with `target` + "/" + rest. */
static char *splice_target(const char *target, const char *rest)
{
	return *rest ? xasprintf("%s/%s", target, rest) : xstrdup(target);
}

static int step(int *dirfd, const char *name, char **pending, int *links)
{
	int fd = openat(*dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISLNK(st.st_mode)) {
		close(*dirfd);
		*dirfd = fd;
		return 0;
	}
	if (++*links > MAX_SYMLINKS || !symlink_trusted(*dirfd, fd)) {
		close(fd);
		return -ELOOP;
	}
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
	close(fd);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	char *np = splice_target(target, *pending);
	free(*pending);
	*pending = np;
	if (target[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return -errno;
		close(*dirfd);
		*dirfd = root;
	}
	return 0;
}

static char *next_component(char **pending)
{
	char *s = *pending;
	while (*s == '/')
		s++;
	char *e = strchrnul(s, '/');
	char *name = xstrndup(s, (size_t)(e - s));
	char *rest = xstrdup(e);
	free(*pending);
	*pending = rest;
	return name;
}

/* Fast path: one openat2() that refuses every symlink.  When it succeeds
 * the normalised path is already canonical.  -ELOOP (a symlink on the way)
 * and -ENOSYS (kernel < 5.6) fall back to the component walk. */
static int open_no_symlinks(const char *abs_path, char **real, struct stat *st)
{
	_cleanup_free_ char *norm = fs_normalize(abs_path);
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, norm, &how, sizeof how);
	if (fd < 0)
		return -errno;
	if (st && fstat(fd, st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (real)
		*real = steal_pointer(&norm);
	return fd;
}

int fs_open_trusted(const char *abs_path, char **real, struct stat *st)
{
	if (abs_path[0] != '/')
		return -EINVAL;
	int fast = open_no_symlinks(abs_path, real, st);
	if (fast >= 0 || (fast != -ELOOP && fast != -ENOSYS))
		return fast;
	_cleanup_close_ int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	_cleanup_free_ char *pending = xstrdup(abs_path);
	int links = 0;
	for (;;) {
		const char *p = pending;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		_cleanup_free_ char *name = next_component(&pending);
		if (strcmp(name, ".") == 0)
			continue;
		int r = step(&dirfd, name, &pending, &links);
		if (r < 0)
			return r;
	}
	if (st && fstat(dirfd, st) < 0)
		return -errno;
	if (real && !(*real = fs_fd_path(dirfd)))
		return -ENOENT;
	return steal_fd(&dirfd);
}

static int remove_entries(int dfd, int depth, dev_t dev);

static int remove_entry(int dfd, const char *name, int depth, dev_t dev)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev)
		return -EXDEV; /* never descend into another mount */
	int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -errno;
	int r = 0;
	/* readdir() may miss entries while the directory shrinks: retry a
	 * bounded number of times while it is not empty yet. */
	for (int tries = 0; tries < 3; tries++) {
		r = remove_entries(sub, depth + 1, dev);
		if (r < 0)
			break;
		r = unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
		if (r != -ENOTEMPTY)
			break;
	}
	close(sub);
	return r == -ENOENT ? 0 : r;
}

static int remove_entries(int dfd, int depth, dev_t dev)
{
	if (depth > MAX_REMOVE_DEPTH)
		return -ELOOP;
	int dup_fd = dup(dfd);
	if (dup_fd < 0)
		return -errno;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = remove_entry(dfd, de->d_name, depth, dev);
	}
	closedir(d);
	return r;
}

int fs_remove_tree(int parent_fd, const char *name)
{
	struct stat st;
	if (fstat(parent_fd, &st) < 0)
		return -errno;
	return remove_entry(parent_fd, name, 0, st.st_dev);
}

/* `path` (absolute, not normalised: "..", "." allowed) when no component
 * is a symlink: the kernel then resolved every ".." to the lexical parent,
 * so the normalised string is what realpath() returns.  NULL otherwise. */
static char *canonical_without_links(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0)
		return NULL;
	close(fd);
	return fs_normalize(path);
}

/* `link`'s target as a path: absolute targets as they are, relative ones
 * after the link's lexical directory (canonical_without_links() checks
 * that this directory is the physical one). */
static char *join_target(const char *link, const char *target)
{
	if (target[0] == '/')
		return xstrdup(target);
	const char *slash = strrchr(link, '/');
	return xasprintf("%.*s/%s", (int)(slash - link), link, target);
}

char *fs_link_target(const char *link)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof target);
	if (n < 0)
		return NULL;
	if (link[0] != '/' || (size_t)n >= sizeof target)
		return realpath(link, NULL);
	target[n] = '\0';
	_cleanup_free_ char *joined = join_target(link, target);
	char *canon = canonical_without_links(joined);
	/* A further symlink (or a dangling one): let realpath() walk it. */
	return canon ? canon : realpath(link, NULL);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_dirnames_read(int dirfd, size_t max_bytes, struct fs_dirnames *out)
{
	*out = (struct fs_dirnames){ 0 };
	size_t cap = 32768, len = 0;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (;;) {
		if (cap - len < DIRENT_ROOM) {
			if (cap >= max_bytes)
				return -E2BIG;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t n = getdents64(dirfd, buf + len, cap - len);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_bytes)
			return -E2BIG;
	}
	size_t count = 0;
	for (size_t off = 0; off < len; off += ((struct dirent64 *)(buf + off))->d_reclen)
		count++;
	out->sorted = xcalloc(count + 1, sizeof *out->sorted);
	for (size_t off = 0; off < len; off += ((struct dirent64 *)(buf + off))->d_reclen)
		out->sorted[out->n++] = ((struct dirent64 *)(buf + off))->d_name;
	qsort(out->sorted, out->n, sizeof *out->sorted, cmp_name);
	out->buf = steal_pointer(&buf);
	return 0;
}

bool fs_dirnames_has(const struct fs_dirnames *d, const char *name, size_t len)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = d->sorted[mid];
		int c = strncmp(s, name, len);
		if (c == 0 && s[len] != '\0')
			c = 1; /* s is longer: it sorts after name */
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void fs_dirnames_free(struct fs_dirnames *d)
{
	free(d->sorted);
	free(d->buf);
	*d = (struct fs_dirnames){ 0 };
}

/* A listing says nothing about what a lookup may find elsewhere: procfs
 * answers lookups of thread ids it does not list, autofs and FUSE make
 * names up on lookup, vfat, cifs and case-folding directories (ext4, f2fs,
 * tmpfs) match other spellings, xfs can be formatted ASCII-case-insensitive.
 * ext2/3/4, btrfs and tmpfs look names up byte for byte unless the
 * directory carries the casefold flag. */
bool fs_dir_lookup_exact(int dirfd)
{
	struct statfs sf;
	if (fstatfs(dirfd, &sf) < 0)
		return false;
	switch (sf.f_type) {
	case EXT4_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		break;
	default:
		return false;
	}
	/* The kernel reads and writes an int, whatever the ioctl number says. */
	int flags = 0;
	return ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_CASEFOLD_FL);
}

char *fs_self_exe(void)
{
	/* The kernel's link is already canonical: one readlink() instead of
	 * realpath()'s one per component. */
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0 || buf[0] != '/')
		return realpath("/proc/self/exe", NULL);
	buf[n] = '\0';
	return xstrdup(buf);
}

int fs_sealed_memfd(const char *name, const char *data, size_t len)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno != EINTR)
			return -errno;
		off += n > 0 ? (size_t)n : 0;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	return steal_fd(&fd);
}
