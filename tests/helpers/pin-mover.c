/* pin-mover: the attack on a pin between its creation and its mount.
 *
 *   pin-mover DIR SECONDS
 *
 * Watches DIR (inotify) and renames every new file whose name starts with
 * "ns-" and has no "." to "moved-NAME" in the same directory, as fast as
 * it can, for at most SECONDS.  Run as the user who creates the pins: the
 * files are theirs, so the sticky directory lets them do it, and a mount
 * made on such a file afterwards lands at the new name, where no pin
 * command would ever find it.  Prints how many files it moved. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int move_one(int dirfd, const char *name)
{
	if (strncmp(name, "ns-", 3) != 0 || strchr(name, '.'))
		return 0;
	char to[300];
	snprintf(to, sizeof to, "moved-%s", name);
	return renameat(dirfd, name, dirfd, to) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: pin-mover DIR SECONDS\n");
		return 2;
	}
	int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int in = inotify_init1(IN_CLOEXEC);
	if (dirfd < 0 || in < 0 || inotify_add_watch(in, argv[1], IN_CREATE) < 0) {
		perror("pin-mover");
		return 1;
	}
	printf("watching\n");
	fflush(stdout);
	long end = now_ms() + atol(argv[2]) * 1000;
	int moved = 0;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (long left; (left = end - now_ms()) > 0;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(in, buf, sizeof buf);
		for (char *q = buf; n > 0 && q < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			if (ev->len)
				moved += move_one(dirfd, ev->name);
			q += sizeof *ev + ev->len;
		}
	}
	printf("moved %d\n", moved);
	return 0;
}
