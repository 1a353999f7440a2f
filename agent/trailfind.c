/* trailfind.c — see trailfind.h. */
#include "trailfind.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "errbuf.h"

/* Stop halving once the range is this small: the scan reads it anyway. */
#define FIND_SLACK (64 * 1024)
/* A probe reads this much: any line (AUDIT_MAX_LINE) after any cut one. */
#define PROBE_BUF (2 * AUDIT_MAX_LINE)

struct probe {
	int fd;
	off_t size;
	char *buf;
};

/* A record's members are sorted and never nested, and a '"' inside a
 * string is escaped, so the key with its quotes and colon is found only
 * as that key. */
static const char *
find_member(const char *line, size_t len, const char *key)
{
	const char *p = memmem(line, len, key, strlen(key));

	return p != NULL ? p + strlen(key) : NULL;
}

int64_t
trailfind_line_time(const char *line, size_t len)
{
	const char *p = find_member(line, len, "\"time\":\"");
	struct tm tm;
	char text[32];
	size_t n;

	if (p == NULL || (n = len - (size_t)(p - line)) < 20)
		return -1;
	memcpy(text, p, 19);
	text[19] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static int
line_seq(const char *line, size_t len, uint64_t *seq)
{
	const char *p = find_member(line, len, "\"seq\":");
	char *end;

	if (p == NULL)
		return -1;
	errno = 0;
	*seq = strtoull(p, &end, 10);
	return errno == 0 && end != p && *seq > 0 ? 0 : -1;
}

/* The first whole line that starts at or after OFF: *START, its time and
 * seq.  1: found; 0: none starts there; -1: a line that is not a record. */
static int
probe_at(struct probe *pr, off_t off, off_t *start, int64_t *t, uint64_t *seq)
{
	off_t from = off > 0 ? off - 1 : 0;
	size_t want = (size_t)(pr->size - from) < PROBE_BUF ? (size_t)(pr->size - from) : PROBE_BUF;
	char *p = pr->buf, *nl;

	if (from >= pr->size)
		return 0;
	if (pread(pr->fd, pr->buf, want, from) != (ssize_t)want)
		return -1;
	if (off > 0) {   /* the line holding OFF - 1 ends at the first line feed */
		if ((nl = memchr(pr->buf, '\n', want)) == NULL)
			return 0;
		p = nl + 1;
	}
	if ((nl = memchr(p, '\n', want - (size_t)(p - pr->buf))) == NULL)
		return 0;
	*start = from + (p - pr->buf);
	*t = trailfind_line_time(p, (size_t)(nl - p));
	return *t >= 0 && line_seq(p, (size_t)(nl - p), seq) == 0 ? 1 : -1;
}

static gpg_error_t
open_probe(struct trail_reader *tr, size_t file_no, struct probe *pr, char *err, size_t errlen)
{
	const char *path = trail_file(tr, file_no);
	struct stat st;

	if ((pr->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(pr->fd, &st) != 0) {
		gpg_error_t r = gpg_error_from_syserror();

		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	pr->size = st.st_size;
	return 0;
}

static void
close_probe(struct probe *pr)
{
	if (pr->fd >= 0)
		close(pr->fd);
	pr->fd = -1;
}

/* In the open file of PR, whose first line has seq SEQ0: the last probed
 * line start before the first record of time >= T. */
static gpg_error_t
search_file(struct probe *pr, int64_t t, uint64_t seq0, struct trailfind_pos *pos)
{
	off_t lo = 0, hi = pr->size, start;
	uint64_t lo_seq = seq0, seq;
	int64_t tm;
	int k;

	while (hi - lo > FIND_SLACK) {
		off_t mid = lo + (hi - lo) / 2;

		if ((k = probe_at(pr, mid, &start, &tm, &seq)) < 0)
			return gpg_error(GPG_ERR_NOT_FOUND);
		if (k == 0 || tm >= t || seq < lo_seq) {
			hi = mid;
		} else {
			lo = start;
			lo_seq = seq;
		}
	}
	pos->offset = lo;
	pos->index = lo_seq - 1;
	pos->lineno = lo_seq - seq0 + 1;
	return 0;
}

gpg_error_t
trailfind_time(struct trail_reader *tr, int64_t t, struct trailfind_pos *pos, char *err, size_t errlen)
{
	struct probe pr = { .fd = -1, .buf = NULL };
	size_t f, n = trail_nfiles(tr), pick = 0;
	uint64_t seq, pick_seq = 0;
	off_t start;
	int64_t tm;
	gpg_error_t r = gpg_error(GPG_ERR_NOT_FOUND);
	int k;

	memset(pos, 0, sizeof(*pos));
	if ((pr.buf = malloc(PROBE_BUF)) == NULL)
		return gpg_error_from_syserror();
	/* the last file whose first record is not after T */
	for (f = 0; f < n; f++) {
		if ((r = open_probe(tr, f, &pr, err, errlen)) != 0)
			goto out;
		k = probe_at(&pr, 0, &start, &tm, &seq);
		close_probe(&pr);
		if (k < 0) {
			errbuf_set(err, errlen, "%s: its first line is not a record", trail_file(tr, f));
			r = gpg_error(GPG_ERR_NOT_FOUND);
			goto out;
		}
		if (k == 0 || (f > 0 && tm > t))
			break;
		pick = f;
		pick_seq = seq;
	}
	if (pick_seq == 0) {   /* an empty trail */
		errbuf_set(err, errlen, "the trail is empty");
		r = gpg_error(GPG_ERR_NOT_FOUND);
		goto out;
	}
	if ((r = open_probe(tr, pick, &pr, err, errlen)) != 0)
		goto out;
	pos->file_no = pick;
	if ((r = search_file(&pr, t, pick_seq, pos)) != 0)
		errbuf_set(err, errlen, "%s: a line that is not a record", trail_file(tr, pick));
out:
	close_probe(&pr);
	free(pr.buf);
	return r;
}
