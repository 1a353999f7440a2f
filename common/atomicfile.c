/* atomicfile.c — temp file + fsync + rename. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "readfile.h"

static gpg_error_t
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return gpg_error_from_syserror();
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

gpg_error_t
atomicfile_open_parent(const char *path, char *dir, size_t dirlen, int *fdp)
{
	char copy[PATH_MAX];
	const char *name;

	*fdp = -1;
	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	name = dirname(copy);
	if (dir != NULL && snprintf(dir, dirlen, "%s", name) >= (int)dirlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if ((*fdp = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return gpg_error_from_syserror();
	return 0;
}

/* fsync PATH's folder, so that a rename or a creation is on disk. */
gpg_error_t
atomicfile_sync_parent(const char *path)
{
	gpg_error_t err;
	int fd;

	if ((err = atomicfile_open_parent(path, NULL, 0, &fd)) != 0)
		return err;
	if (fsync(fd) != 0)
		err = gpg_error_from_syserror();
	close(fd);
	return err;
}

/* With DURABLE, a failed sync of the folder is an error; else it is best
 * effort (the rename is already visible). */
static gpg_error_t
write_replace(const char *path, const void *data, size_t len, mode_t mode, int durable)
{
	char tmp[PATH_MAX];
	int fd = -1;
	gpg_error_t err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return gpg_error_from_syserror();
	if (fchmod(fd, mode) != 0 || (err = write_all(fd, data, len)) != 0 || fsync(fd) != 0) {
		if (err == 0)
			err = gpg_error_from_syserror();
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		err = gpg_error_from_syserror();
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		err = gpg_error_from_syserror();
		goto out;
	}
	tmp[0] = '\0';
	if ((err = atomicfile_sync_parent(path)) != 0 && !durable)
		err = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return err;
}

gpg_error_t
atomicfile_write(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, 0);
}

gpg_error_t
atomicfile_write_durable(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, 1);
}

gpg_error_t
atomicfile_create(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;
	gpg_error_t err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return gpg_error_from_syserror();
	/* The mode is exact, whatever the umask. */
	if (fchmod(fd, mode) != 0 || (err = write_all(fd, data, len)) != 0 || fsync(fd) != 0) {
		if (err == 0)
			err = gpg_error_from_syserror();
		close(fd);
		unlink(path);
		return err;
	}
	if (close(fd) != 0)
		return gpg_error_from_syserror();
	(void)atomicfile_sync_parent(path);   /* best effort: the file is already visible */
	return 0;
}

gpg_error_t
atomicfile_read(const char *path, size_t max, char **data, size_t *len)
{
	return readfile_bounded(path, max, data, len, NULL, 0);
}
