/* conflock.c — see conflock.h. */
#include "conflock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "monotime.h"

gpg_error_t
conflock_take(const char *path, unsigned wait_ms, int *fdp, char *err, size_t errlen)
{
	const struct timespec pause = { 0, 10 * 1000000L };
	char dir[PATH_MAX];
	int64_t until;
	gpg_error_t r;
	int fd;

	*fdp = -1;
	if ((r = atomicfile_open_parent(path, dir, sizeof(dir), &fd)) != 0) {
		snprintf(err, errlen, "open the folder of %s to lock it: %s", path, gpg_strerror(r));
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
