/* trailread.c — read an audit trail's lines across its segment files.
 *
 * One buffer of TRAIL_BUF bytes per reader, filled with large read()s and
 * scanned with memchr: a million-line trail is a few hundred reads, never
 * a syscall per line.  The buffer is much larger than AUDIT_MAX_LINE, so
 * a line that does not fit after the unread rest is moved to the front is
 * too long by definition. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "audit.h"
#include "auditseg.h"
#include "errbuf.h"
#include "trailread.h"

#define TRAIL_BUF (1024 * 1024)
#define TRAIL_MAX_FILES (AUDITSEG_MAX + 1)

struct trail_reader {
	char **files;
	unsigned *segs;
	size_t nfiles;
	size_t cur;             /* the file being read (nfiles: done) */
	int fd;                 /* -1: CUR not open yet */
	char *buf;
	size_t start, end;      /* unread bytes: buf[start..end) */
	off_t buf_off;          /* file offset of buf[0] */
	int at_eof;             /* read() returned 0 for CUR */
	uint64_t index;
	uint64_t lineno;        /* of the last line returned in CUR */
	char fault[256];        /* a fault stays: the reader never resyncs */
	int torn;               /* the fault is a torn last line */
};

static gpg_error_t
reader_new(size_t nfiles, struct trail_reader **trp)
{
	struct trail_reader *tr = calloc(1, sizeof(*tr));

	if (tr == NULL)
		return gpg_error_from_syserror();
	tr->fd = -1;
	tr->files = calloc(nfiles, sizeof(*tr->files));
	tr->segs = calloc(nfiles, sizeof(*tr->segs));
	tr->buf = malloc(TRAIL_BUF);
	if (tr->files == NULL || tr->segs == NULL || tr->buf == NULL) {
		trail_close(tr);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	tr->nfiles = nfiles;
	*trp = tr;
	return 0;
}

/* Every file must exist and be a regular file now: a missing segment is
 * named at open, not after reading the ones before it. */
static gpg_error_t
check_files(const struct trail_reader *tr, char *err, size_t errlen)
{
	struct stat sb;
	size_t i;

	for (i = 0; i < tr->nfiles; i++) {
		if (stat(tr->files[i], &sb) != 0) {
			gpg_error_t r = gpg_error_from_syserror();

			errbuf_set(err, errlen, "%s: %s", tr->files[i], strerror(errno));
			return r;
		}
		if (!S_ISREG(sb.st_mode)) {
			errbuf_set(err, errlen, "%s: not a regular file", tr->files[i]);
			return gpg_error(GPG_ERR_INV_DATA);
		}
	}
	return 0;
}

/* The sealed segments to read: KS (N, ascending) from FROM (0: from 1),
 * with no gap.  *FIRST gets the position in KS to start at. */
static gpg_error_t
check_sequence(const char *path, const unsigned *ks, size_t n, unsigned from, size_t *first,
               char *err, size_t errlen)
{
	unsigned want = from == 0 ? 1 : from;
	size_t i = 0;

	while (i < n && ks[i] < want)
		i++;
	*first = i;
	if (from == 0 && n > 0 && ks[0] != 1) {
		errbuf_set(err, errlen, "%s.%0*u is missing (the trail starts at segment %u); if the "
		    "earlier segments were archived, verify with --from-segment %u", path,
		    AUDITSEG_DIGITS, 1u, ks[0], ks[0]);
		return gpg_error(GPG_ERR_ENOENT);
	}
	if (from != 0 && i < n && ks[i] != from) {
		errbuf_set(err, errlen, "%s.%0*u is missing (--from-segment %u)", path, AUDITSEG_DIGITS,
		    from, from);
		return gpg_error(GPG_ERR_ENOENT);
	}
	for (; i + 1 < n; i++)
		if (ks[i + 1] != ks[i] + 1) {
			errbuf_set(err, errlen, "%s.%0*u is missing (a gap between segments %u and %u)", path,
			    AUDITSEG_DIGITS, ks[i] + 1, ks[i], ks[i + 1]);
			return gpg_error(GPG_ERR_ENOENT);
		}
	return 0;
}

gpg_error_t
trail_open(const char *path, unsigned from_segment, struct trail_reader **trp, char *err,
           size_t errlen)
{
	struct trail_reader *tr = NULL;
	unsigned *ks = NULL, cur_seg;
	size_t n = 0, first = 0, i;
	gpg_error_t r;

	errbuf_set(err, errlen, "cannot read the trail");
	if (path == NULL || trp == NULL || from_segment > AUDITSEG_MAX)
		return gpg_error(GPG_ERR_INV_ARG);
	*trp = NULL;
	if ((r = auditseg_list(path, &ks, &n)) != 0) {
		errbuf_set(err, errlen, "%s: cannot list its segments: %s", path, gpg_strerror(r));
		goto out;
	}
	if ((r = check_sequence(path, ks, n, from_segment, &first, err, errlen)) != 0)
		goto out;
	/* With every sealed segment from K on archived too, P is segment K. */
	cur_seg = first < n ? ks[n - 1] + 1 : from_segment > 0 ? from_segment : 1;
	if ((r = reader_new(n - first + 1, &tr)) != 0)
		goto out;
	for (i = first; i <= n; i++) {
		size_t k = i - first, len = strlen(path) + 1 + AUDITSEG_DIGITS + 1;

		if ((tr->files[k] = malloc(len)) == NULL) {
			r = gpg_error_from_syserror();
			goto out;
		}
		if (i < n) {
			tr->segs[k] = ks[i];
			r = auditseg_name(path, ks[i], tr->files[k], len);
		} else {
			tr->segs[k] = cur_seg;
			memcpy(tr->files[k], path, strlen(path) + 1);
		}
		if (r != 0)
			goto out;
	}
	if ((r = check_files(tr, err, errlen)) != 0)
		goto out;
	*trp = tr;
	tr = NULL;
	r = 0; /* success */
out:
	trail_close(tr);
	free(ks);
	return r;
}

/* The number a sealed segment's name ends in (".000042"), else 0. */
static unsigned
name_segment(const char *name)
{
	size_t len = strlen(name), i;
	unsigned k = 0;

	if (len < AUDITSEG_DIGITS + 1 || name[len - AUDITSEG_DIGITS - 1] != '.')
		return 0;
	for (i = len - AUDITSEG_DIGITS; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		k = k * 10 + (unsigned)(name[i] - '0');
	}
	return k;
}

gpg_error_t
trail_open_files(const char *const *files, size_t nfiles, struct trail_reader **trp, char *err,
                 size_t errlen)
{
	struct trail_reader *tr = NULL;
	gpg_error_t r;
	size_t i;

	errbuf_set(err, errlen, "cannot read the trail");
	if (files == NULL || trp == NULL || nfiles == 0 || nfiles > TRAIL_MAX_FILES)
		return gpg_error(GPG_ERR_INV_ARG);
	*trp = NULL;
	if ((r = reader_new(nfiles, &tr)) != 0)
		return r;
	for (i = 0; i < nfiles; i++) {
		unsigned k = name_segment(files[i]);

		if ((tr->files[i] = strdup(files[i])) == NULL) {
			r = gpg_error_from_syserror();
			goto out;
		}
		/* A file not named as a sealed segment is the one after the
		 * previous file (the current segment after the sealed ones). */
		tr->segs[i] = k != 0 ? k : i == 0 ? 1 : tr->segs[i - 1] + 1;
	}
	if ((r = check_files(tr, err, errlen)) != 0)
		goto out;
	*trp = tr;
	tr = NULL;
out:
	trail_close(tr);
	return r;
}

void
trail_set_index(struct trail_reader *tr, uint64_t index)
{
	tr->index = index;
}

static void
drop_file(struct trail_reader *tr)
{
	if (tr->fd >= 0)
		close(tr->fd);
	tr->fd = -1;
	tr->start = tr->end = 0;
	tr->buf_off = 0;
	tr->at_eof = 0;
}

static gpg_error_t
open_current(struct trail_reader *tr, off_t offset)
{
	struct stat sb;

	drop_file(tr);
	tr->fd = open(tr->files[tr->cur], O_RDONLY | O_CLOEXEC);
	if (tr->fd < 0)
		return gpg_error_from_syserror();
	if (fstat(tr->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		drop_file(tr);
		return gpg_error(GPG_ERR_INV_DATA);
	}
	if (offset != 0 && lseek(tr->fd, offset, SEEK_SET) != offset) {
		drop_file(tr);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	(void)posix_fadvise(tr->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	tr->buf_off = offset;
	return 0;
}

/* Move the unread bytes to the front and read more after them. */
static gpg_error_t
refill(struct trail_reader *tr)
{
	ssize_t got;

	if (tr->start > 0) {
		memmove(tr->buf, tr->buf + tr->start, tr->end - tr->start);
		tr->buf_off += (off_t)tr->start;
		tr->end -= tr->start;
		tr->start = 0;
	}
	do
		got = read(tr->fd, tr->buf + tr->end, TRAIL_BUF - tr->end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return gpg_error_from_syserror();
	if (got == 0)
		tr->at_eof = 1;
	tr->end += (size_t)got;
	return 0;
}

static gpg_error_t
fault(struct trail_reader *tr, char *err, size_t errlen, uint64_t lineno, const char *what)
{
	snprintf(tr->fault, sizeof(tr->fault), "%s:%llu: %s", tr->files[tr->cur],
	         (unsigned long long)lineno, what);
	errbuf_set(err, errlen, "%s", tr->fault);
	return gpg_error(GPG_ERR_INV_DATA);
}

/* The next '\n' of CUR at or after buf[start], reading as needed; NULL at
 * the end of the file, or when the line is over the limit (*TOO_LONG). */
static gpg_error_t
find_eol(struct trail_reader *tr, char **eol, int *too_long)
{
	size_t scanned = 0;
	gpg_error_t r;

	*eol = NULL;
	*too_long = 0;
	for (;;) {
		char *from = tr->buf + tr->start + scanned;

		*eol = memchr(from, '\n', tr->end - tr->start - scanned);
		if (*eol != NULL)
			return 0;
		scanned = tr->end - tr->start;
		if (scanned > AUDIT_MAX_LINE - 1) {
			*too_long = 1;
			return 0;
		}
		if (tr->at_eof)
			return 0;
		if ((r = refill(tr)) != 0)
			return r;
	}
}

gpg_error_t
trail_next(struct trail_reader *tr, struct trail_line *line, char *err, size_t errlen)
{
	char *eol, *p;
	int too_long;
	size_t len;
	gpg_error_t r;

	if (tr->fault[0] != '\0') {
		errbuf_set(err, errlen, "%s", tr->fault);
		return gpg_error(GPG_ERR_INV_DATA);
	}
	for (;;) {
		if (tr->cur >= tr->nfiles)
			return gpg_error(GPG_ERR_EOF);
		if (tr->fd < 0 && (r = open_current(tr, 0)) != 0) {
			errbuf_set(err, errlen, "%s: %s", tr->files[tr->cur], gpg_strerror(r));
			return r;
		}
		if ((r = find_eol(tr, &eol, &too_long)) != 0) {
			errbuf_set(err, errlen, "%s: %s", tr->files[tr->cur], gpg_strerror(r));
			return r;
		}
		if (eol != NULL || too_long || tr->start < tr->end)
			break;
		/* This file is done: the next one. */
		drop_file(tr);
		tr->cur++;
		tr->lineno = 0;
	}
	if (too_long)
		return fault(tr, err, errlen, tr->lineno + 1, "line longer than the 65535-byte limit");
	if (eol == NULL) {
		tr->torn = tr->cur + 1 == tr->nfiles;
		return fault(tr, err, errlen, tr->lineno + 1,
		             "torn last line (no line feed at the end of the file)");
	}
	p = tr->buf + tr->start;
	len = (size_t)(eol - p);
	if (len > AUDIT_MAX_LINE - 1)
		return fault(tr, err, errlen, tr->lineno + 1, "line longer than the 65535-byte limit");
	if (memchr(p, '\0', len) != NULL)
		return fault(tr, err, errlen, tr->lineno + 1, "NUL byte in the line");
	tr->lineno++;
	line->data = p;
	line->len = len;
	line->index = tr->index++;
	line->file = tr->files[tr->cur];
	line->segment = tr->segs[tr->cur];
	line->lineno = tr->lineno;
	line->offset = tr->buf_off + (off_t)tr->start;
	tr->start += len + 1;
	return 0;
}

gpg_error_t
trail_seek(struct trail_reader *tr, size_t file_no, off_t offset, uint64_t index, uint64_t lineno)
{
	gpg_error_t r;

	if (file_no >= tr->nfiles || offset < 0 || lineno == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	tr->cur = file_no;
	tr->fault[0] = '\0';
	tr->torn = 0;
	if ((r = open_current(tr, offset)) != 0)
		return r;
	tr->index = index;
	tr->lineno = lineno - 1;
	return 0;
}

int
trail_torn(const struct trail_reader *tr)
{
	return tr->torn;
}

size_t
trail_nfiles(const struct trail_reader *tr)
{
	return tr->nfiles;
}

const char *
trail_file(const struct trail_reader *tr, size_t file_no)
{
	return file_no < tr->nfiles ? tr->files[file_no] : NULL;
}

void
trail_close(struct trail_reader *tr)
{
	size_t i;

	if (tr == NULL)
		return;
	drop_file(tr);
	for (i = 0; tr->files != NULL && i < tr->nfiles; i++)
		free(tr->files[i]);
	free(tr->files);
	free(tr->segs);
	free(tr->buf);
	free(tr);
}
