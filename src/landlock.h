/* landlock.h: thin, self-contained Landlock layer: ABI probe, access-right
 * tables per ABI, ruleset creation and enforcement.
 *
 * Constants are defined here rather than taken from <linux/landlock.h>
 * because the build machine's kernel headers may be older than the kernel
 * greywall runs on; the kernel ABI itself is stable. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Filesystem rights (ABI 1 unless noted). */
#define GW_LL_FS_EXECUTE (1ULL << 0)
#define GW_LL_FS_WRITE_FILE (1ULL << 1)
#define GW_LL_FS_READ_FILE (1ULL << 2)
#define GW_LL_FS_READ_DIR (1ULL << 3)
#define GW_LL_FS_REMOVE_DIR (1ULL << 4)
#define GW_LL_FS_REMOVE_FILE (1ULL << 5)
#define GW_LL_FS_MAKE_CHAR (1ULL << 6)
#define GW_LL_FS_MAKE_DIR (1ULL << 7)
#define GW_LL_FS_MAKE_REG (1ULL << 8)
#define GW_LL_FS_MAKE_SOCK (1ULL << 9)
#define GW_LL_FS_MAKE_FIFO (1ULL << 10)
#define GW_LL_FS_MAKE_BLOCK (1ULL << 11)
#define GW_LL_FS_MAKE_SYM (1ULL << 12)
#define GW_LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define GW_LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define GW_LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

/* Network rights (ABI 4). */
#define GW_LL_NET_BIND_TCP (1ULL << 0)
#define GW_LL_NET_CONNECT_TCP (1ULL << 1)

/* Scopes (ABI 6). */
#define GW_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define GW_LL_SCOPE_SIGNAL (1ULL << 1)

/* Groupings used by the policy. */
#define GW_LL_FS_READ (GW_LL_FS_READ_FILE | GW_LL_FS_READ_DIR)
#define GW_LL_FS_RX (GW_LL_FS_READ | GW_LL_FS_EXECUTE)
/* Rights that change which names exist in a directory. */
#define GW_LL_FS_NAMESPACE                                                     \
	(GW_LL_FS_REMOVE_DIR | GW_LL_FS_REMOVE_FILE | GW_LL_FS_MAKE_CHAR |    \
	 GW_LL_FS_MAKE_DIR | GW_LL_FS_MAKE_REG | GW_LL_FS_MAKE_SOCK |         \
	 GW_LL_FS_MAKE_FIFO | GW_LL_FS_MAKE_BLOCK | GW_LL_FS_MAKE_SYM |       \
	 GW_LL_FS_REFER)
#define GW_LL_FS_WRITE (GW_LL_FS_WRITE_FILE | GW_LL_FS_TRUNCATE | GW_LL_FS_NAMESPACE)
#define GW_LL_FS_ALL ((1ULL << 16) - 1)
/* The only rights that may be attached to a non-directory. */
#define GW_LL_FS_FILE_RIGHTS                                                   \
	(GW_LL_FS_EXECUTE | GW_LL_FS_WRITE_FILE | GW_LL_FS_READ_FILE |        \
	 GW_LL_FS_TRUNCATE | GW_LL_FS_IOCTL_DEV)

/* Highest supported ABI (>= 1), or -errno: -ENOSYS when the kernel has no
 * Landlock, -EOPNOTSUPP when it is built in but disabled at boot. */
int landlock_abi(void);

/* Rights the kernel knows for a given ABI. */
uint64_t landlock_fs_rights_for_abi(int abi);
uint64_t landlock_net_rights_for_abi(int abi);
uint64_t landlock_scopes_for_abi(int abi);

/* Create a ruleset handling the given rights; returns an fd (O_CLOEXEC) or
 * -errno.  Unsupported bits must already be masked out by the caller. */
int landlock_ruleset_create(uint64_t fs, uint64_t net, uint64_t scoped);

/* Allow `access` beneath the inode of `path_fd` (an O_PATH fd). */
int landlock_allow_path(int ruleset_fd, int path_fd, uint64_t access);

/* Allow TCP `access` (bind/connect) to `port`. */
int landlock_allow_port(int ruleset_fd, uint16_t port, uint64_t access);

/* PR_SET_NO_NEW_PRIVS, then restrict the calling thread.  Returns 0/-errno. */
int landlock_enforce(int ruleset_fd);

/* A sentence with the fix for a landlock_abi() error, for "Hint:" lines. */
const char *landlock_hint(int err);
