/* connlimit.c — see connlimit.h. */
#include "connlimit.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	uid_t uid;
	unsigned held;
	struct connlimit_refusal refused;   /* count 0: nothing pending */
};

struct connlimit {
	unsigned max_per_user, max_total, total;
	struct entry *v;
	size_t n, size;
};

gpg_error_t
connlimit_new(unsigned max_per_user, unsigned max_total, struct connlimit **out)
{
	struct connlimit *cl;

	*out = NULL;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	connlimit_set(cl, max_per_user, max_total);
	*out = cl;
	return 0;
}

void
connlimit_free(struct connlimit *cl)
{
	if (cl == NULL)
		return;
	free(cl->v);
	free(cl);
}

void
connlimit_set(struct connlimit *cl, unsigned max_per_user, unsigned max_total)
{
	cl->max_per_user = max_per_user;
	cl->max_total = max_total;
}

unsigned
connlimit_max_per_user(const struct connlimit *cl)
{
	return cl->max_per_user;
}

unsigned
connlimit_max_total(const struct connlimit *cl)
{
	return cl->max_total;
}

static struct entry *
find(const struct connlimit *cl, uid_t uid)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (cl->v[i].uid == uid)
			return &cl->v[i];
	return NULL;
}

static struct entry *
find_or_add(struct connlimit *cl, uid_t uid)
{
	struct entry *e, *tmp;
	size_t size;

	if ((e = find(cl, uid)) != NULL)
		return e;
	if (cl->n == cl->size) {
		size = cl->size == 0 ? 16 : cl->size * 2;
		if ((tmp = reallocarray(cl->v, size, sizeof(*tmp))) == NULL)
			return NULL;
		cl->v = tmp;
		cl->size = size;
	}
	e = &cl->v[cl->n++];
	memset(e, 0, sizeof(*e));
	e->uid = uid;
	return e;
}

/* Drop E if it holds nothing and has nothing to report. */
static void
maybe_drop(struct connlimit *cl, struct entry *e)
{
	if (e->held != 0 || e->refused.count != 0)
		return;
	*e = cl->v[--cl->n];
}

enum connlimit_verdict
connlimit_take(struct connlimit *cl, uid_t uid, pid_t pid, time_t now)
{
	enum connlimit_verdict why = CONNLIMIT_OK;
	struct entry *e;

	if ((e = find_or_add(cl, uid)) == NULL)
		return CONNLIMIT_TOTAL;
	if (e->held >= cl->max_per_user)
		why = CONNLIMIT_USER;
	else if (cl->total >= cl->max_total)
		why = CONNLIMIT_TOTAL;
	if (why == CONNLIMIT_OK) {
		e->held++;
		cl->total++;
		return why;
	}
	if (e->refused.count == 0) {
		e->refused.uid = uid;
		e->refused.second = now;
	}
	e->refused.count++;
	e->refused.pid = pid;
	e->refused.held = e->held;
	e->refused.why = why;
	return why;
}

void
connlimit_release(struct connlimit *cl, uid_t uid)
{
	struct entry *e;

	if ((e = find(cl, uid)) == NULL || e->held == 0)
		return;
	e->held--;
	cl->total--;
	maybe_drop(cl, e);
}

unsigned
connlimit_held(const struct connlimit *cl, uid_t uid)
{
	const struct entry *e = find(cl, uid);

	return e != NULL ? e->held : 0;
}

unsigned
connlimit_total(const struct connlimit *cl)
{
	return cl->total;
}

size_t
connlimit_due(struct connlimit *cl, time_t now, struct connlimit_refusal *out, size_t max)
{
	size_t i = 0, got = 0;
	struct entry *e;

	while (i < cl->n && got < max) {
		e = &cl->v[i];
		if (e->refused.count == 0 || e->refused.second >= now) {
			i++;
			continue;
		}
		out[got++] = e->refused;
		e->refused.count = 0;
		if (e->held == 0)
			maybe_drop(cl, e);   /* moves the last entry to I */
		else
			i++;
	}
	return got;
}
