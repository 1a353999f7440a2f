/* denials.c — see denials.h. */
#include "denials.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One user's refusals: a ring, NEXT_AT the slot the next one goes to. */
struct user_denials {
	uid_t uid;
	time_t last;
	size_t n, next_at;
	struct denial d[DENIALS_PER_USER];
};

struct denials {
	pthread_mutex_t lock;
	struct user_denials *user[DENIALS_MAX];   /* allocated on a user's first refusal */
	size_t used;
};

gpg_error_t
denials_new(struct denials **dp)
{
	struct denials *d;

	*dp = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return gpg_error_from_syserror();
	pthread_mutex_init(&d->lock, NULL);
	*dp = d;
	return 0;
}

void
denials_free(struct denials *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->used; i++) {
		explicit_bzero(d->user[i], sizeof(*d->user[i]));
		free(d->user[i]);
	}
	pthread_mutex_destroy(&d->lock);
	explicit_bzero(d, sizeof(*d));
	free(d);
}

static struct user_denials *
find(struct denials *d, uid_t uid)
{
	size_t i;

	for (i = 0; i < d->used; i++)
		if (d->user[i]->uid == uid)
			return d->user[i];
	return NULL;
}

/* UID's ring: its own, a new one, or the one of the user refused longest
 * ago, emptied (caller locks).  NULL when out of memory. */
static struct user_denials *
ring_for(struct denials *d, uid_t uid)
{
	struct user_denials *u;
	size_t i, oldest = 0;

	if ((u = find(d, uid)) != NULL)
		return u;
	if (d->used < DENIALS_MAX) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			return NULL;
		d->user[d->used++] = u;
	} else {
		for (i = 1; i < d->used; i++)
			if (d->user[i]->last < d->user[oldest]->last)
				oldest = i;
		u = d->user[oldest];
		memset(u, 0, sizeof(*u));
	}
	u->uid = uid;
	return u;
}

void
denials_record(struct denials *d, uid_t uid, uint64_t seq, const char *project,
               const char *code, const char *reason, const char *next)
{
	struct user_denials *u;
	struct denial *s;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	if ((u = ring_for(d, uid)) == NULL)
		goto out;
	s = &u->d[u->next_at];
	u->next_at = (u->next_at + 1) % DENIALS_PER_USER;
	if (u->n < DENIALS_PER_USER)
		u->n++;
	s->uid = uid;
	s->when = u->last = time(NULL);
	s->seq = seq;
	snprintf(s->project, sizeof(s->project), "%s", project != NULL ? project : "");
	snprintf(s->code, sizeof(s->code), "%s", code != NULL ? code : "");
	snprintf(s->reason, sizeof(s->reason), "%s", reason != NULL ? reason : "");
	snprintf(s->next, sizeof(s->next), "%s", next != NULL ? next : "");
out:
	pthread_mutex_unlock(&d->lock);
}

size_t
denials_recent(struct denials *d, uid_t uid, struct denial *out, size_t max)
{
	struct user_denials *u;
	size_t i, n = 0;

	if (d == NULL || out == NULL)
		return 0;
	pthread_mutex_lock(&d->lock);
	if ((u = find(d, uid)) != NULL)
		for (i = 0; i < u->n && n < max; i++)
			out[n++] = u->d[(u->next_at + DENIALS_PER_USER - 1 - i) % DENIALS_PER_USER];
	pthread_mutex_unlock(&d->lock);
	return n;
}

gpg_error_t
denials_last(struct denials *d, uid_t uid, struct denial *out)
{
	if (d == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	return denials_recent(d, uid, out, 1) == 1 ? 0 : gpg_error(GPG_ERR_NOT_FOUND);
}
