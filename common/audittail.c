/* audittail.c — the end of a trail segment at open: the last record's seq
 * and leaf, and the quarantine of a torn last line (doc/audit-format.md
 * §9.5). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "auditlog-int.h"
#include "log.h"

#define TORN_MAX_NAMES 100   /* .torn-TIME, then -2 … -99 */

/* Read exactly LEN bytes at OFF. */
static gpg_error_t
read_at(int fd, char *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gpg_error_from_syserror();
		if (n == 0)
			return gpg_error(GPG_ERR_EOF);   /* truncated meanwhile */
		done += (size_t)n;
	}
	return 0;
}

gpg_error_t
audittail_last(const char *path, int rfd, off_t size, uint64_t *seq, uint8_t leaf[MERKLE_HASH_LEN])
{
	char *buf = NULL;
	size_t want, start;
	const char *nl;
	off_t off;
	gpg_error_t r;

	*seq = 0;
	if (size == 0)
		return 0;
	/* The last line, its newline and the newline before it. */
	want = (size_t)size < AUDIT_MAX_LINE + 2 ? (size_t)size : AUDIT_MAX_LINE + 2;
	off = size - (off_t)want;
	if ((buf = malloc(want)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if ((r = read_at(rfd, buf, want, off)) != 0) {
		log_error_e(r, "audit %s: read", path);
		goto out;
	}
	if (buf[want - 1] != '\n') {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: last line is not terminated (torn write?); repair the trail by hand",
		          path);
		goto out;
	}
	nl = want >= 2 ? memrchr(buf, '\n', want - 1) : NULL;
	if (nl == NULL && off != 0) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: last line longer than %d bytes; repair the trail by hand",
		          path, AUDIT_MAX_LINE);
		goto out;
	}
	start = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
	if ((r = audit_parse_seq(buf + start, want - 1 - start, seq)) != 0) {
		log_error("audit %s: last line is not a valid record (JSON object with v=1 and "
		          "seq>0); repair the trail by hand", path);
		goto out;
	}
	if (*seq >= INT64_MAX) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: sequence exhausted", path);
		goto out;
	}
	merkle_hash_leaf(buf + start, want - 1 - start, leaf);
	r = 0; /* success */
out:
	free(buf);
	return r;
}

/* Where the torn tail of a file of SIZE bytes starts: after its last line
 * feed, or 0 when it has none.  *TORN is 0 when the file ends in one. */
static gpg_error_t
torn_start(const char *path, int fd, off_t size, off_t *start, int *torn)
{
	char buf[4096];
	off_t end = size;
	gpg_error_t r;

	*torn = 0;
	*start = size;
	if (size == 0)
		return 0;
	while (end > 0) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		const char *nl;

		if ((r = read_at(fd, buf, n, end - (off_t)n)) != 0) {
			log_error_e(r, "audit %s: read", path);
			return r;
		}
		if (end == size && buf[n - 1] == '\n')
			return 0;
		*torn = 1;
		if ((nl = memrchr(buf, '\n', n)) != NULL) {
			*start = end - (off_t)n + (nl - buf) + 1;
			return 0;
		}
		end -= (off_t)n;
		/* A torn line is at most one record long: further back, the
		 * file is not a trail this writer left. */
		if (size - end > AUDIT_MAX_LINE + 1) {
			log_error("audit %s: no line feed in the last %d bytes; not a trail, repair it by hand",
			          path, AUDIT_MAX_LINE + 1);
			return gpg_error(GPG_ERR_INV_DATA);
		}
	}
	*start = 0;
	return 0;
}

/* Write the LEN bytes at BUF into a new file DEST (exclusive, synced). */
static gpg_error_t
write_new(const char *dest, const char *buf, size_t len)
{
	int out;
	gpg_error_t r;

	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, AUDIT_FILE_MODE);
	if (out < 0)
		return gpg_error_from_syserror();
	if ((r = auditlog_write_all(out, buf, len)) == 0 && fsync(out) != 0)
		r = gpg_error_from_syserror();
	if (close(out) != 0 && r == 0)
		r = gpg_error_from_syserror();
	return r;
}

/* Does the file NAME in folder DFD hold exactly the LEN bytes at BUF? */
static int
same_bytes(int dfd, const char *name, const char *buf, size_t len)
{
	struct stat st;
	char *have = NULL;
	int fd, same = 0;

	fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)len &&
	    (have = malloc(len)) != NULL && read_at(fd, have, len, 0) == 0)
		same = memcmp(have, buf, len) == 0;
	free(have);
	close(fd);
	return same;
}

/* A quarantine file of PATH already holding the torn bytes at BUF (LEN):
 * an earlier start copied them and crashed before the cut.  Its name goes
 * to DEST (DLEN, with PATH's folder); 0 if there is none. */
static int
find_copy(const char *path, const char *buf, size_t len, char *dest, size_t dlen)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	char dir[4096], prefix[512];
	struct dirent *de;
	DIR *d;
	int n, found = 0;

	n = slash == NULL ? snprintf(dir, sizeof(dir), ".")
	                  : snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir) || (size_t)snprintf(prefix, sizeof(prefix), "%s.torn-", base) >=
	    sizeof(prefix) || (d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    same_bytes(dirfd(d), de->d_name, buf, len))
			found = snprintf(dest, dlen, "%.*s%s", (int)(base - path), path, de->d_name) > 0;
	closedir(d);
	return found;
}

gpg_error_t
audittail_quarantine(const char *path, int fd, off_t size, off_t *newsize, int64_t *moved,
                     char *qname, size_t qlen)
{
	char dest[4096], stamp[32];
	const char *base;
	struct tm tm;
	time_t now = time(NULL);
	char *torn_bytes;
	size_t len;
	off_t start;
	int torn, n, i;
	gpg_error_t r = 0;

	*newsize = size;
	*moved = 0;
	if ((r = torn_start(path, fd, size, &start, &torn)) != 0 || !torn)
		return r;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	len = (size_t)(size - start);
	if ((torn_bytes = malloc(len)) == NULL)
		return gpg_error_from_syserror();
	/* The copy an earlier start made before it crashed is the one. */
	if ((r = read_at(fd, torn_bytes, len, start)) == 0 &&
	    !find_copy(path, torn_bytes, len, dest, sizeof(dest))) {
		/* Two crashes in one second must not collide: -2, -3, … */
		for (i = 1; i < TORN_MAX_NAMES; i++) {
			n = i == 1 ? snprintf(dest, sizeof(dest), "%s.torn-%s", path, stamp)
			           : snprintf(dest, sizeof(dest), "%s.torn-%s-%d", path, stamp, i);
			if (n < 0 || (size_t)n >= sizeof(dest)) {
				r = gpg_error(GPG_ERR_TOO_LARGE);
				break;
			}
			r = write_new(dest, torn_bytes, len);
			if (gpg_err_code(r) != GPG_ERR_EEXIST)
				break;
		}
	}
	free(torn_bytes);
	if (r != 0) {
		log_error_e(r, "audit %s: cannot move the torn last line (%lld bytes) to %s; "
		            "move it away by hand", path, (long long)len, dest);
		return r;
	}
	if ((r = atomicfile_sync_parent(dest)) != 0 || ftruncate(fd, start) != 0 || fdatasync(fd) != 0) {
		r = r != 0 ? r : gpg_error_from_syserror();
		log_error_e(r, "audit %s: cannot cut the torn last line (kept in %s)", path, dest);
		return r;
	}
	base = strrchr(dest, '/');
	snprintf(qname, qlen, "%s", base != NULL ? base + 1 : dest);
	*newsize = start;
	*moved = (int64_t)(size - start);
	log_error("audit %s: the last line was torn (a crash while writing it): its %lld bytes "
	          "were never a record and are kept in %s", path, (long long)*moved, dest);
	return 0;
}
