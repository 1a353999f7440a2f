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

gpg_error_t
reconcile_from_audit(struct store *st, const char *audit, size_t *changed)
{
	struct took_list *l = NULL;
	struct stat sb;
	char *buf = NULL, *p, *end, *nl;
	size_t want;
	ssize_t got;
	gpg_error_t r = 0;
	int fd;

	*changed = 0;
	if ((fd = open(audit, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : gpg_error_from_syserror();
	if (fstat(fd, &sb) != 0) {
		r = gpg_error_from_syserror();
		goto out;
	}
	want = (size_t)sb.st_size < RECONCILE_TAIL ? (size_t)sb.st_size : RECONCILE_TAIL;
	if ((buf = malloc(want + 1)) == NULL || (l = calloc(1, sizeof(*l))) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	if ((got = pread(fd, buf, want, sb.st_size - (off_t)want)) != (ssize_t)want) {
		r = got < 0 ? gpg_error_from_syserror() : gpg_error(GPG_ERR_EIO);
		goto out;
	}
	buf[want] = '\0';
	p = buf;
	end = buf + want;
	if ((size_t)sb.st_size > want && (p = memchr(buf, '\n', want)) != NULL)
		p++;   /* the first line is cut by the tail's start */
	for (; p != NULL && p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;   /* an unfinished last line: audit_open refuses it anyway */
		take_line(l, p, (size_t)(nl - p));
	}
	if (l->n > 0)
		r = store_reconcile(st, l->v, l->n, changed);
out:
	if (l != NULL)
		for (size_t i = 0; i < l->nnames; i++)
			free(l->names[i]);
	free(l);
	free(buf);
	close(fd);
	return r;
}
