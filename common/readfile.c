/* readfile.c — see readfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readfile.h"

gpg_error_t
readfile_bounded(const char *path, size_t maxlen, char **bufp, size_t *lenp,
                 char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t size, got = 0;
	ssize_t n;
	int fd = -1;
	gpg_error_t r;

	if (bufp != NULL)
		*bufp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		errlen = 0;
	if (path == NULL || bufp == NULL || lenp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		         errno == ELOOP ? " (symbolic links are refused)" : "");
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "%s: fstat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = gpg_error(GPG_ERR_INV_VALUE);
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* The limit is checked from the size alone, before allocating. */
	if (st.st_size < 0 || (uint64_t)st.st_size > maxlen) {
		r = gpg_error(GPG_ERR_TOO_LARGE);
		snprintf(err, errlen, "%s: file too large (max %zu bytes)", path, maxlen);
		goto out;
	}
	size = (size_t)st.st_size;
	/* One byte more than fstat said, to notice a file that grew
	 * meanwhile, and one for the NUL. */
	if ((buf = malloc(size + 2)) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < size + 1) {
		n = read(fd, buf + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		r = gpg_error(GPG_ERR_INV_VALUE);
		snprintf(err, errlen, "%s: file changed while being read", path);
		goto out;
	}
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	buf = NULL;
	r = 0; /* success */
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}
