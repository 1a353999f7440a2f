/* denials.c — see denials.h. */
#include "denials.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct denials {
	pthread_mutex_t lock;
	struct denial slot[DENIALS_MAX];
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
	if (d == NULL)
		return;
	pthread_mutex_destroy(&d->lock);
	explicit_bzero(d, sizeof(*d));
	free(d);
}

/* The slot for UID: its own, a free one, or the oldest (caller locks). */
static struct denial *
slot_for(struct denials *d, uid_t uid)
{
	struct denial *oldest = &d->slot[0];
	size_t i;

	for (i = 0; i < d->used; i++) {
		if (d->slot[i].uid == uid)
			return &d->slot[i];
		if (d->slot[i].when < oldest->when)
			oldest = &d->slot[i];
	}
	if (d->used < DENIALS_MAX)
		return &d->slot[d->used++];
	return oldest;
}

void
denials_record(struct denials *d, uid_t uid, uint64_t seq, const char *project,
               const char *reason)
{
	struct denial *s;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	s = slot_for(d, uid);
	s->uid = uid;
	s->when = time(NULL);
	s->seq = seq;
	snprintf(s->project, sizeof(s->project), "%s", project != NULL ? project : "");
	snprintf(s->reason, sizeof(s->reason), "%s", reason != NULL ? reason : "");
	pthread_mutex_unlock(&d->lock);
}

gpg_error_t
denials_last(struct denials *d, uid_t uid, struct denial *out)
{
	gpg_error_t r = gpg_error(GPG_ERR_NOT_FOUND);
	size_t i;

	if (d == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->used; i++) {
		if (d->slot[i].uid == uid) {
			*out = d->slot[i];
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}
