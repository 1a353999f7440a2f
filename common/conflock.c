/* conflock.c — see conflock.h. */
#include "conflock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"

/* The folder part of PATH ("." for a bare name) into DIR. */
static int
folder_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(dir, dirlen, ".") < (int)dirlen ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dirlen)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

gpg_error_t
conflock_take(const char *path, unsigned wait_ms, int *fdp, char *err, size_t errlen)
{
	const struct timespec pause = { 0, 10 * 1000000L };
	char dir[PATH_MAX];
	int64_t until;
	gpg_error_t r;
	int fd;

	*fdp = -1;
	if (folder_of(path, dir, sizeof(dir)) != 0) {
		snprintf(err, errlen, "%s: the name is too long", path);
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "open %s to lock it: %s", dir, gpg_strerror(r));
		return r;
	}
	until = monotime_ms() + wait_ms;
	/* Edits take milliseconds: poll rather than block, so that a
	 * holder that never lets go costs a refusal, not a hang. */
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "lock %s: %s", dir, gpg_strerror(r));
			close(fd);
			return r;
		}
		if (monotime_ms() >= until) {
			snprintf(err, errlen, "another program has been changing the configuration in %s for "
			         "%u s; try again once it is done", dir, (wait_ms + 999) / 1000);
			close(fd);
			return gpg_error(GPG_ERR_LOCKED);
		}
		nanosleep(&pause, NULL);
	}
	*fdp = fd;
	return 0;
}

void
conflock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
