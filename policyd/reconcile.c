/* reconcile.c — see reconcile.h. */
#include "reconcile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "audit.h"

/* The sign records of the tail, parsed: their strings are kept in NAMES. */
struct took_list {
	struct store_took v[RECONCILE_MAX];
	char *names[2 * RECONCILE_MAX];
	size_t n, nnames;
};

static char *
keep(struct took_list *l, const char *s)
{
	char *d = strdup(s);

	if (d != NULL)
		l->names[l->nnames++] = d;
	return d;
}

/* One line of the trail: a sign record that names a grant use or a rate
 * slot goes into L.  Anything else (other events, a line cut by the
 * tail's start) is skipped. */
static void
take_line(struct took_list *l, const char *line, size_t len)
{
	json_error_t e;
	json_t *o = json_loadb(line, len, 0, &e);
	json_int_t grant = 0, use = 0, seq = 0;
	const char *event = NULL, *project = NULL, *user = NULL, *time_s = NULL;
	struct store_took *t;
	char principal[STORE_PRINCIPAL_MAX];
	struct tm tm;
	long usec = 0;

	if (o == NULL)
		return;
	if (json_unpack(o, "{s:s, s?I, s?I, s?I, s?s, s?s, s?s}", "event", &event, "grant", &grant, "use", &use,
	                "rate_seq", &seq, "project", &project, "user", &user, "time", &time_s) != 0 ||
	    strcmp(event, "sign") != 0 || (use <= 0 && seq <= 0) || l->n >= RECONCILE_MAX ||
	    l->nnames + 2 > 2 * RECONCILE_MAX)
		goto out;
	t = &l->v[l->n];
	memset(t, 0, sizeof(*t));
	if (grant > 0 && use > 0 && use <= (json_int_t)STORE_MAX_COUNT) {
		t->grant = grant;
		t->use = (unsigned)use;
	}
	memset(&tm, 0, sizeof(tm));
	if (time_s == NULL || sscanf(time_s, "%d-%d-%dT%d:%d:%d.%ldZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec) < 6)
		goto out;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t->time_ms = (int64_t)timegm(&tm) * 1000 + usec / 1000;
	if (seq > 0 && project != NULL && user != NULL) {
		snprintf(principal, sizeof(principal), "user:%s", user);
		if ((t->project = keep(l, project)) != NULL && (t->requester = keep(l, principal)) != NULL)
			t->rate_seq = seq;
	}
	if (t->grant > 0 || t->rate_seq > 0)
		l->n++;
out:
	json_decref(o);
}

static void
list_clear(struct took_list *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	l->n = l->nnames = 0;
}

/* Hand L's records to the store and empty L. */
static gpg_error_t
flush_list(struct store *st, struct took_list *l, size_t *changed)
{
	size_t did = 0;
	gpg_error_t r = 0;

	if (l->n > 0 && (r = store_reconcile(st, l->v, l->n, &did)) == 0)
		*changed += did;
	list_clear(l);
	return r;
}

/* The first whole line that starts at or after OFF in FD (SIZE bytes):
 * *START and its seq.  1: found; 0: none starts there; -1: a line that is
 * not a record (the caller reads everything rather than guess). */
static int
probe(int fd, off_t size, off_t off, char *buf, size_t buflen, off_t *start, uint64_t *seq)
{
	off_t from = off > 0 ? off - 1 : 0;
	size_t want = (size_t)(size - from) < buflen ? (size_t)(size - from) : buflen;
	char *p = buf, *nl;
	ssize_t got;

	if (from >= size)
		return 0;
	if ((got = pread(fd, buf, want, from)) != (ssize_t)want)
		return -1;
	if (off > 0) {   /* the line that holds OFF - 1 ends at the first newline */
		if ((nl = memchr(buf, '\n', want)) == NULL)
			return 0;
		p = nl + 1;
	}
	if ((nl = memchr(p, '\n', want - (size_t)(p - buf))) == NULL)
		return 0;   /* no whole line after OFF: audit_open refuses a torn one */
	*start = from + (off_t)(p - buf);
	return audit_parse_seq(p, (size_t)(nl - p), seq) == 0 ? 1 : -1;
}

/* Where the records after MARK begin: the smallest line start whose seq
 * is above MARK (SIZE: none).  The trail's seqs rise line by line, so a
 * binary search over offsets finds it in O(log n) reads. */
static off_t
start_after(int fd, off_t size, uint64_t mark, char *buf, size_t buflen)
{
	off_t lo = 0, hi = size, mid, start;
	uint64_t seq;
	int found;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((found = probe(fd, size, mid, buf, buflen, &start, &seq)) < 0)
			return 0;
		if (found == 0 || seq > mark)
			hi = mid;
		else
			lo = mid + 1;
	}
	found = probe(fd, size, lo, buf, buflen, &start, &seq);
	return found < 0 ? 0 : found == 0 ? size : start;
}

/* Where to start reading, by the store's mark (store.h, store_sync_mark). */
static off_t
start_of(struct store *st, int fd, off_t size, char *buf, size_t buflen)
{
	uint64_t mark;
	off_t from;
	char *nl;
	size_t want;

	switch (store_sync_mark(st, &mark)) {
	case STORE_MARK_SET:
		return start_after(fd, size, mark, buf, buflen);
	case STORE_MARK_BAD:
		return 0;
	default:
		break;
	}
	/* No mark: a store that synced each take itself; the tail is enough. */
	if (size <= RECONCILE_TAIL)
		return 0;
	from = size - RECONCILE_TAIL;
	want = (size_t)(size - from) < buflen ? (size_t)(size - from) : buflen;
	if (pread(fd, buf, want, from) != (ssize_t)want || (nl = memchr(buf, '\n', want)) == NULL)
		return size;
	return from + (off_t)(nl - buf) + 1;
}

/* Every whole line of FD from FROM to SIZE into L, flushed into ST as it
 * fills.  BUF holds at least two longest lines. */
static gpg_error_t
read_from(struct store *st, int fd, off_t from, off_t size, struct took_list *l, char *buf,
          size_t buflen, size_t *changed)
{
	size_t have = 0, want;
	char *p, *nl, *end;
	ssize_t got;
	gpg_error_t r = 0;

	while (from < size && r == 0) {
		want = buflen - have;
		if ((off_t)want > size - from)
			want = (size_t)(size - from);
		if ((got = pread(fd, buf + have, want, from)) <= 0)
			return got < 0 ? gpg_error_from_syserror() : gpg_error(GPG_ERR_EIO);
		from += got;
		have += (size_t)got;
		end = buf + have;
		for (p = buf; r == 0 && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
			take_line(l, p, (size_t)(nl - p));
			if (l->n == RECONCILE_MAX || l->nnames + 2 > 2 * RECONCILE_MAX)
				r = flush_list(st, l, changed);
		}
		have = (size_t)(end - p);
		if (have == buflen)
			have = 0;   /* a line longer than any record: not one */
		memmove(buf, p, have);
	}
	return r;   /* an unfinished last line: audit_open refuses it anyway */
}

gpg_error_t
reconcile_from_audit(struct store *st, const char *audit, size_t *changed)
{
	struct took_list *l = NULL;
	const size_t buflen = 2 * AUDIT_MAX_LINE + 2;
	struct stat sb;
	char *buf = NULL;
	gpg_error_t r = 0;
	int fd;

	*changed = 0;
	if ((fd = open(audit, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : gpg_error_from_syserror();
	if (fstat(fd, &sb) != 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if ((buf = malloc(buflen)) == NULL || (l = calloc(1, sizeof(*l))) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	r = read_from(st, fd, start_of(st, fd, sb.st_size, buf, buflen), sb.st_size, l, buf, buflen, changed);
	if (r == 0)
		r = flush_list(st, l, changed);
out:
	if (l != NULL)
		list_clear(l);
	free(l);
	free(buf);
	close(fd);
	return r;
}
