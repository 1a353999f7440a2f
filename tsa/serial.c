/* serial.c — TSA serial numbers that never repeat, across restarts and
 * kill -9 (RFC 3161 §2.4.2: serialNumber unique per TSA).
 *
 * Numbers are handed out in blocks: the store holds a high-water mark, the
 * first number no running process may use.  Before any number of a block is
 * handed out, the mark above that block is written to a temporary file,
 * fsynced, renamed over the store and the folder fsynced.  A crash loses at
 * most the unused rest of a block; it never re-issues a number. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "tsa.h"

#define TSA_SERIAL_BLOCK  1024          /* numbers reserved per write */
#define TSA_SERIAL_MAX_FILE 64          /* "<20 digits>\n" and then some */

struct tsa_serial {
	pthread_mutex_t lock;
	char *path;
	uint64_t next;                  /* next number to hand out */
	uint64_t mark;                  /* first number not reserved on disk */
	int failed;
};

static gpg_error_t
store_read(const char *path, uint64_t *mark, char *err, size_t errlen)
{
	char buf[TSA_SERIAL_MAX_FILE + 1];
	struct stat st;
	ssize_t n;
	char *end;
	int fd;

	*mark = 1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;   /* a new store: start at 1 */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return gpg_error_from_errno(errno);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TSA_SERIAL_MAX_FILE) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular serial file", path);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	n = read(fd, buf, TSA_SERIAL_MAX_FILE);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	buf[n] = '\0';
	errno = 0;
	*mark = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || *mark == 0 ||
	    *mark > UINT64_MAX - TSA_SERIAL_BLOCK) {
		snprintf(err, errlen, "%s: does not hold a serial high-water mark", path);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}

/* Temp file, fsync, rename, fsync the folder (STYLE 21): a mark that is
 * not on disk could be handed out again after a crash. */
static gpg_error_t
store_write(struct tsa_serial *s, uint64_t mark)
{
	char buf[TSA_SERIAL_MAX_FILE];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", mark);

	return atomicfile_write_durable(s->path, buf, (size_t)n, 0600);
}

gpg_error_t
tsa_serial_open(const char *path, struct tsa_serial **serp, char *err, size_t errlen)
{
	struct tsa_serial *s = NULL;
	uint64_t mark;
	gpg_error_t r;

	if (serp != NULL)
		*serp = NULL;
	if (path == NULL || serp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = store_read(path, &mark, err, errlen)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	pthread_mutex_init(&s->lock, NULL);
	if ((s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	s->next = mark;
	s->mark = mark + TSA_SERIAL_BLOCK;
	if ((r = store_write(s, s->mark)) != 0) {
		snprintf(err, errlen, "%s: cannot save the high-water mark: %s", path, gpg_strerror(r));
		goto out;
	}
	*serp = s;
	s = NULL;
	r = 0; /* success */
out:
	tsa_serial_close(s);
	return r;
}

gpg_error_t
tsa_serial_next(struct tsa_serial *s, uint64_t *out)
{
	gpg_error_t r = 0;

	*out = 0;
	pthread_mutex_lock(&s->lock);
	if (s->failed) {
		r = gpg_error(GPG_ERR_EIO);
		goto out;
	}
	if (s->next >= s->mark) {
		if (s->mark > UINT64_MAX - TSA_SERIAL_BLOCK) {
			r = gpg_error(GPG_ERR_EIO);
			goto out;
		}
		if ((r = store_write(s, s->mark + TSA_SERIAL_BLOCK)) != 0) {
			/* Whether the rename happened is unknown: stop handing out. */
			s->failed = 1;
			r = gpg_error(GPG_ERR_EIO);
			goto out;
		}
		s->mark += TSA_SERIAL_BLOCK;
	}
	*out = s->next++;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

void
tsa_serial_close(struct tsa_serial *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}
