/* cleanup.h: scope-bound ownership helpers (GNU cleanup attribute).
 *
 * Every variable declared with one of these attributes must be initialised
 * (NULL, -1) at its declaration, or the cleanup runs on garbage.  Ownership
 * is handed off with steal_pointer() / steal_fd(), which leave the variable
 * in its "empty" state so the cleanup becomes a no-op. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* close() once and never retry on EINTR: on Linux the fd is gone even when
 * close reports EINTR, and a retry could close an fd another thread just got.
 * errno is preserved so cleanups never clobber the error being reported. */
static inline void gw_close_fd(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		(void)close(fd);
		errno = saved;
	}
}

static inline void gw_cleanup_freep(void *p)
{
	void **pp = (void **)p;
	int saved = errno;
	free(*pp);
	errno = saved;
}

static inline void gw_cleanup_closep(int *fd)
{
	gw_close_fd(*fd);
	*fd = -1;
}

static inline void gw_cleanup_fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		(void)fclose(*f);
		errno = saved;
	}
}

void gw_strv_free(char **v);
static inline void gw_cleanup_strvp(char ***v)
{
	int saved = errno;
	gw_strv_free(*v);
	errno = saved;
}

#define _cleanup_free_ __attribute__((cleanup(gw_cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(gw_cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(gw_cleanup_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(gw_cleanup_strvp)))

/* Type-checked pointer steal: returns *pp and sets it to NULL. */
static inline void *gw_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *r = *p;
	*p = NULL;
	return r;
}
#define steal_pointer(pp) (0 ? (*(pp)) : (__typeof__(*(pp)))gw_steal_pointer(pp))

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
