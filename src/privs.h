/* privs.h: the capabilities of greywall-netns-helper.
 *
 * The helper is installed with file capabilities
 * (setcap cap_net_admin,cap_sys_admin+ep) and run by unprivileged users.
 * It keeps exactly those two in its permitted set and raises them into the
 * effective set only around the system calls that need them, so that
 * nothing else it does (argument parsing, name resolution, creating files
 * as the caller) can use them by accident:
 *
 *     privs_init()                     once, first thing in main()
 *     privs_raise() ... privs_lower()  around unshare, setns, mounts,
 *                                      netlink configuration
 *     privs_drop_all()                 before executing anything, and in
 *                                      the capture daemon before it serves
 *
 * CAP_NET_ADMIN and CAP_SYS_ADMIN of the initial user namespace reach
 * every network namespace owned by it, so these brackets are kept short
 * and never include code that acts on what the caller chose, apart from
 * the checked pin it names. */
#pragma once

#include <stdint.h>

#include "util.h"

/* The capabilities as a 64-bit mask (bit N = capability N). */
uint64_t privs_required(void);

/* Check the process's credentials and capabilities and settle them:
 *   - real, effective and saved uids must be equal (a setuid-root
 *     installation is refused: the helper is meant to be setcap'd);
 *   - the permitted set must hold both required capabilities (else the
 *     hint names the setcap command);
 *   - a caller other than root must have nothing more in it (a file
 *     installed with more capabilities than it needs is refused);
 *     root's extra capabilities are dropped;
 *   - afterwards permitted = the required two, effective, inheritable and
 *     ambient are empty.
 * Returns 0, or -EPERM with err saying what is wrong and how to fix it. */
int privs_init(struct gw_error *err);

/* Make the required capabilities effective / not effective.  0 or -errno. */
int privs_raise(void);
int privs_lower(void);

/* Before execve() (and in the capture daemon): set no_new_privs, then empty every capability set
 * (effective, permitted, inheritable, ambient; the bounding set too when
 * that is possible, see caps.h) and verify that nothing is left.
 * no_new_privs is what keeps the program from gaining capabilities again
 * (from file capabilities, this helper's included): the bounding set can
 * only be emptied with CAP_SETPCAP, which the helper does not hold.
 * Returns 0 or -errno. */
int privs_drop_all(void);
