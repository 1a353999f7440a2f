/* pinfile.c — see pinfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pinfile.h"

/* Read exactly LEN bytes (the size fstat reported) into BUF; a file that
 * shrank meanwhile gives fewer, which the one-line check then judges. */
static gpg_error_t
read_upto(int fd, char *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = read(fd, buf + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gpg_error_from_syserror();
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static gpg_error_t
too_long(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "PIN file %s: longer than a PIN may be (at most %d bytes on one line; write only "
	         "the PIN)", path, PINFILE_MAX_PIN);
	return gpg_error(GPG_ERR_INV_VALUE);
}

gpg_error_t
pinfile_read(const char *path, char *pin, size_t pinmax, char *err, size_t errlen)
{
	size_t limit, len = 0;
	gpg_error_t r = 0;
	struct stat st;
	int fd = -1;

	if (pinmax < 2) {
		snprintf(err, errlen, "PIN file %s: no room for a PIN (internal error)", path);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	pin[0] = '\0';
	limit = pinmax - 1 < PINFILE_MAX_PIN + 2 ? pinmax - 1 : PINFILE_MAX_PIN + 2;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = gpg_error_from_syserror();
		if (errno == ELOOP)
			snprintf(err, errlen, "PIN file %s: is a symbolic link (refused; name the file itself)", path);
		else
			snprintf(err, errlen, "PIN file %s: %s (check the path; the file holds the PIN, mode 600)", path,
			         strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "PIN file %s: fstat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "PIN file %s: not a regular file (name a file holding the PIN)", path);
		r = gpg_error(GPG_ERR_EPERM);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "PIN file %s: mode %03o lets group or others read it (chmod 600 it)", path,
		         (unsigned)(st.st_mode & 0777));
		r = gpg_error(GPG_ERR_EPERM);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "PIN file %s: owned by uid %lu, not by this daemon's user (uid %lu; chown it)",
		         path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		r = gpg_error(GPG_ERR_EPERM);
		goto out;
	}
	if ((size_t)st.st_size > limit) {
		r = too_long(path, err, errlen);
		goto out;
	}
	if ((r = read_upto(fd, pin, (size_t)st.st_size, &len)) != 0) {
		snprintf(err, errlen, "PIN file %s: read: %s", path, gpg_strerror(r));
		goto out;
	}
	if (len > 0 && pin[len - 1] == '\n')
		len--;
	if (len > 0 && pin[len - 1] == '\r')
		len--;
	pin[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "PIN file %s: empty (write the PIN into it, on one line)", path);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (len > PINFILE_MAX_PIN) {
		r = too_long(path, err, errlen);
		goto out;
	}
	if (memchr(pin, '\n', len) != NULL || strlen(pin) != len) {
		snprintf(err, errlen, "PIN file %s: must hold the PIN on one line and nothing else (rewrite it)", path);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	r = 0; /* success */
out:
	if (r != 0)
		explicit_bzero(pin, pinmax);
	if (fd >= 0)
		close(fd);
	return r;
}
