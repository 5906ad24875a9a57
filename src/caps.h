/* caps.h: dropping every capability before the sandboxed command starts.
 *
 * Without a user namespace greywall may still be started by root (or with
 * file capabilities); the command must not inherit any of that. */
#pragma once

/* Empty the bounding set (when CAP_SETPCAP allows it), the ambient set,
 * and the effective, permitted and inheritable sets.  With an empty
 * bounding set even a uid-0 command gains no capability at execve().
 * Only system calls, no allocation: safe in a vfork-style child.
 * Returns 0 or -errno. */
int caps_drop_all(void);
