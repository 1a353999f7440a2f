/* audittail.c — the end of a trail segment at open: the last record's seq
 * and leaf, and the quarantine of a torn last line (doc/audit-format.md
 * §9.5). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* Copy LEN bytes at OFF of FD into a new file DEST (exclusive, synced). */
static gpg_error_t
copy_out(int fd, off_t off, size_t len, const char *dest)
{
	char *buf = NULL;
	int out = -1;
	gpg_error_t r;

	if ((buf = malloc(len)) == NULL)
		return gpg_error_from_syserror();
	if ((r = read_at(fd, buf, len, off)) != 0)
		goto out;
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, AUDIT_FILE_MODE);
	if (out < 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if ((r = auditlog_write_all(out, buf, len)) != 0)
		goto out;
	if (fsync(out) != 0)
		r = gpg_error_from_syserror();
out:
	if (out >= 0 && close(out) != 0 && r == 0)
		r = gpg_error_from_syserror();
	free(buf);
	return r;
}

gpg_error_t
audittail_quarantine(const char *path, int fd, off_t size, off_t *newsize, int64_t *moved,
                     char *qname, size_t qlen)
{
	char dest[4096], stamp[32];
	const char *base;
	struct tm tm;
	time_t now = time(NULL);
	off_t start;
	int torn, n, i;
	gpg_error_t r = 0;

	*newsize = size;
	*moved = 0;
	if ((r = torn_start(path, fd, size, &start, &torn)) != 0 || !torn)
		return r;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* Two crashes in one second must not collide: -2, -3, … */
	for (i = 1; i < TORN_MAX_NAMES; i++) {
		n = i == 1 ? snprintf(dest, sizeof(dest), "%s.torn-%s", path, stamp)
		           : snprintf(dest, sizeof(dest), "%s.torn-%s-%d", path, stamp, i);
		if (n < 0 || (size_t)n >= sizeof(dest))
			return gpg_error(GPG_ERR_TOO_LARGE);
		r = copy_out(fd, start, (size_t)(size - start), dest);
		if (gpg_err_code(r) != GPG_ERR_EEXIST)
			break;
	}
	if (r != 0) {
		log_error_e(r, "audit %s: cannot move the torn last line (%lld bytes) to %s; "
		            "move it away by hand", path, (long long)(size - start), dest);
		return r;
	}
	if ((r = auditlog_sync_folder(dest)) != 0 || ftruncate(fd, start) != 0 || fdatasync(fd) != 0) {
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
