/* peercred.h: which user owns the other end of an accepted connection.
 *
 * For a Unix socket the kernel says it directly (SO_PEERCRED).  For TCP
 * there is no such option, but a connection made on this machine has its
 * client socket in the same network namespace, and the kernel's socket
 * diagnostics (NETLINK_SOCK_DIAG, as `ss -e` uses; no privilege needed)
 * look a socket up by its four-tuple and report the user that created it.
 * The client's socket is the one whose local end is our peer's address
 * and whose remote end is ours.  A connection with no such socket here
 * (forwarded from elsewhere, or already gone) has no local owner.
 *
 * The owner of a socket is fixed when it is created (its creator's
 * filesystem uid), so a process cannot claim another user's identity; it
 * could only be handed a socket by a process of that user. */
#pragma once

#include <sys/types.h>

/* The uid owning the peer of the connected socket fd (AF_UNIX, AF_INET
 * or AF_INET6 stream).  0 with *uid set, -ENOENT when the peer is not a
 * socket of this machine's namespace (or is gone), -EAFNOSUPPORT for
 * other families, or another -errno. */
int peercred_uid(int fd, uid_t *uid);
