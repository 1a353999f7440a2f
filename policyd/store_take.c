/* store_take.c — see store.h: store_take, the rate window and the grant
 * use a signature takes.  They are taken in memory (takecache.h) and
 * written to SQLite in batches: by the syncer (store_sync.c) and before
 * any other transaction of the store (store_begin), so that SQLite never
 * shows less than was taken. */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "takecache.h"

/* Loads of a key one take may need (each invalidation in between costs
 * one; a reload storm is not a reason to fail a signature). */
#define TAKE_TRIES 8
/* Grants a flush remembers to write each one's last use only. */
#define FLUSH_SEEN 32

static void
bind_key(sqlite3_stmt *s, const struct store_take *t)
{
	store_bind_text(s, 1, t->project);
	store_bind_text(s, 2, t->requester);
}

/* Why the requester has no usable grant: what their newest grant (ever
 * approved) became.  *USABLE: it is usable after all (approved since the
 * cache looked): take again. */
static gpg_error_t
grant_miss(struct store *st, const struct store_take *t, struct store_taken *out, int *usable)
{
	sqlite3_stmt *s = store_q(st, Q_GRANT_NEWEST);
	gpg_error_t r;
	int row;

	bind_key(s, t);
	sqlite3_bind_int(s, 3, STORE_KIND_GRANT);
	if ((r = store_step(st, s, &row, "newest grant")) != 0)
		return r;
	out->miss = STORE_NO_GRANT;
	if (row) {
		int state = sqlite3_column_int(s, 0);
		int64_t used = sqlite3_column_int64(s, 1), count = sqlite3_column_int64(s, 2);
		int64_t expires = sqlite3_column_int64(s, 3);

		out->miss = state == STORE_USED || used >= count ? STORE_GRANT_USED_UP
		                                                 : STORE_GRANT_EXPIRED;
		*usable = state == STORE_APPROVED && used < count && expires * 1000 > t->now_ms;
	}
	sqlite3_reset(s);
	return 0;
}

/* The request T names (a resumed waiting SIGN): why it cannot be used,
 * or *USABLE. */
static gpg_error_t
request_miss(struct store *st, const struct store_take *t, struct store_taken *out, int *usable)
{
	struct store_request *o = &(struct store_request){ 0 };
	gpg_error_t r;

	out->miss = STORE_NO_GRANT;
	r = store_req_load(st, t->request, o);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	if (o->kind != STORE_KIND_SIGN || strcmp(o->project, t->project) != 0 ||
	    strcmp(o->requester, t->requester) != 0 ||
	    (o->state != STORE_APPROVED && o->state != STORE_USED && o->state != STORE_EXPIRED))
		out->miss = STORE_NO_GRANT;
	else if (o->state == STORE_USED || o->used >= o->count)
		out->miss = STORE_GRANT_USED_UP;
	else if (o->state == STORE_EXPIRED || o->expires * 1000 <= t->now_ms)
		out->miss = STORE_GRANT_EXPIRED;
	else
		*usable = 1;
	return 0;
}

/* The cache found no usable grant for T: say why (misses are refusals,
 * off the fast path).  *USABLE when SQLite has one after all. */
static gpg_error_t
miss_why(struct store *st, const struct store_take *t, struct store_taken *out, int *usable)
{
	gpg_error_t r;

	*usable = 0;
	store_lock(st);
	if ((r = store_begin(st, 0)) == 0)
		r = store_end(st, t->request > 0 ? request_miss(st, t, out, usable)
		                                 : grant_miss(st, t, out, usable));
	if (r == 0 && *usable) {
		memset(out, 0, sizeof(*out));
		takecache_invalidate(st->cache, t->project, t->requester);
	}
	return store_unlock(st, r);
}

/* T's key's approved requests into *GP (the caller's to free), *N of them. */
static gpg_error_t
read_grants(struct store *st, const struct store_take *t, struct tc_grant **gp, size_t *n)
{
	sqlite3_stmt *s = store_q(st, Q_GRANT_LOAD);
	struct tc_grant *g, *more;
	size_t cap = 0;
	gpg_error_t r;
	int row;

	bind_key(s, t);
	while ((r = store_step(st, s, &row, "load grants")) == 0 && row) {
		if (*n == cap) {
			cap = cap != 0 ? cap * 2 : 8;
			if ((more = reallocarray(*gp, cap, sizeof(*more))) == NULL) {
				r = gpg_error(GPG_ERR_ENOMEM);
				break;
			}
			*gp = more;
		}
		g = &(*gp)[(*n)++];
		g->id = sqlite3_column_int64(s, 0);
		g->kind = (enum store_kind)sqlite3_column_int(s, 1);
		g->used = (unsigned)sqlite3_column_int64(s, 2);
		g->count = (unsigned)sqlite3_column_int64(s, 3);
		g->expires = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	return r;
}

/* T's key's newest L->cap rate slots into L and *TP (the caller's to
 * free).  A seq missing between two rows (it cannot be, but
 * a damaged file could) counts with its newer neighbour's time: fails
 * closed.  Times never rise as seqs fall, for the cache's search. */
static gpg_error_t
read_rate(struct store *st, const struct store_take *t, struct tc_load *l, int64_t **tp)
{
	sqlite3_stmt *s = store_q(st, Q_RATE_TAIL);
	int64_t *times, seq, time_ms, prev = INT64_MAX;
	gpg_error_t r = 0;
	int row;

	if (l->want == 0)
		return 0;
	if ((*tp = times = calloc(l->want, sizeof(*times))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	l->times = times;
	bind_key(s, t);
	sqlite3_bind_int64(s, 3, l->want);
	while (l->ntimes < l->want && (r = store_step(st, s, &row, "load rate window")) == 0 && row) {
		seq = sqlite3_column_int64(s, 0);
		time_ms = sqlite3_column_int64(s, 1);
		if (time_ms <= t->now_ms - STORE_RATE_KEEP_MS)
			break;   /* in no window: the older ones neither */
		if (l->ntimes == 0)
			l->last_seq = seq;
		while (l->ntimes < l->want && l->last_seq - (int64_t)l->ntimes > seq)
			times[l->ntimes++] = prev;
		if (l->ntimes < l->want)
			times[l->ntimes++] = prev = time_ms < prev ? time_ms : prev;
	}
	sqlite3_reset(s);
	return r;
}

/* Load T's key into the cache from SQLite, with every take made so far
 * written there first (store_begin). */
static gpg_error_t
load(struct store *st, const struct store_take *t)
{
	struct tc_load l = { .want = t->rate_count };
	struct tc_grant *grants = NULL;
	int64_t *times = NULL;
	uint64_t gen = 0;
	gpg_error_t r;

	store_lock(st);
	if ((r = takecache_begin_load(st->cache, t->project, t->requester, t->rate_count, &gen, &l.rate)) == 0 &&
	    (r = store_begin(st, 0)) == 0) {
		if ((r = read_grants(st, t, &grants, &l.ngrants)) == 0 && l.rate)
			r = read_rate(st, t, &l, &times);
		r = store_end(st, r);
	}
	l.grants = grants;
	if (r == 0)
		r = takecache_install(st->cache, t->project, t->requester, gen, &l);
	free(grants);
	free(times);
	return store_unlock(st, r);
}

/* Write V (N takes, or records the trail names) into SQLite: a grant's
 * use count raised to the use, a rate slot inserted; never lowered, so
 * idempotent.  LATEST_LAST: V comes from the cache, where a grant's later
 * entries have higher uses, so only its last one is written.  *CHANGED:
 * how many entries added something.  In the caller's transaction. */
static gpg_error_t
took_apply(struct store *st, const struct store_took *v, size_t n, int latest_last, size_t *changed)
{
	int64_t seen[FLUSH_SEEN];
	size_t nseen = 0, j;
	sqlite3_stmt *s;
	gpg_error_t r = 0;

	*changed = 0;
	for (size_t k = 0; r == 0 && k < n; k++) {
		size_t i = latest_last ? n - 1 - k : k;
		int did = 0;

		for (j = 0; latest_last && j < nseen && seen[j] != v[i].grant; j++)
			;
		if (v[i].grant > 0 && v[i].use > 0 && (!latest_last || j == nseen)) {
			if (latest_last && nseen < FLUSH_SEEN)
				seen[nseen++] = v[i].grant;
			s = store_q(st, Q_GRANT_RECONCILE);
			sqlite3_bind_int64(s, 1, v[i].grant);
			sqlite3_bind_int64(s, 2, v[i].use);
			sqlite3_bind_int64(s, 3, v[i].time_ms / 1000);
			if ((r = store_exec(st, s, "write grant use")) != 0)
				break;
			did |= sqlite3_changes(st->db) > 0;
		}
		if (v[i].rate_seq > 0 && v[i].project != NULL && v[i].requester != NULL) {
			s = store_q(st, Q_RATE_RECONCILE);
			store_bind_text(s, 1, v[i].project);
			store_bind_text(s, 2, v[i].requester);
			sqlite3_bind_int64(s, 3, v[i].rate_seq);
			sqlite3_bind_int64(s, 4, v[i].time_ms);
			if ((r = store_exec(st, s, "write rate slot")) != 0)
				break;
			did |= sqlite3_changes(st->db) > 0;
		}
		*changed += did != 0;
	}
	return r;
}

gpg_error_t
store_takes_apply(struct store *st)
{
	size_t changed;
	gpg_error_t r;

	takecache_drain(st->cache, &st->flush);
	if (st->flush.n == 0)
		return 0;
	if ((r = took_apply(st, st->flush.v, st->flush.n, 1, &changed)) != 0)
		store_sync_fail(st, r, "writing the signatures' grant uses and rate slots");
	st->flush.n = 0;
	return r;
}

gpg_error_t
store_takes_flush(struct store *st)
{
	gpg_error_t r;

	if (!takecache_pending(st->cache))
		return 0;
	store_lock(st);
	if ((r = store_begin(st, 0)) == 0)
		r = store_end(st, 0);
	return store_unlock(st, r);
}

/* Take in memory; load the key first when the cache asks, and ask SQLite
 * why when there is no grant. */
gpg_error_t
store_take(struct store *st, const struct store_take *t, struct store_taken *out)
{
	gpg_error_t r;
	int first = 0, usable = 0;

	memset(out, 0, sizeof(*out));
	if ((r = store_check_text(t->project, STORE_PROJECT_MAX, 0)) != 0 ||
	    (r = store_check_text(t->requester, STORE_PRINCIPAL_MAX, 0)) != 0)
		return r;
	/* The longest period is a day (config: N/day), which is also how long
	 * store_rate_prune keeps entries. */
	if (t->rate_count > STORE_MAX_RATE ||
	    (t->rate_count > 0 && (t->rate_period == 0 || t->rate_period * (int64_t)1000 > STORE_RATE_KEEP_MS)))
		return gpg_error(GPG_ERR_INV_VALUE);
	for (int i = 0; i < TAKE_TRIES; i++) {
		switch (takecache_take(st->cache, t, out, &first)) {
		case TC_DONE:
			/* The first take since a flush starts the syncer's
			 * wait; the others find it waiting. */
			if (first)
				(void)store_sync_request(st, 0);
			return 0;
		case TC_FAILED:
			return gpg_error(GPG_ERR_EIO);
		case TC_GRANT_MISS:
			if ((r = miss_why(st, t, out, &usable)) != 0 || !usable)
				return r;
			break;
		case TC_LOAD:
			if ((r = load(st, t)) != 0)
				return r;
			break;
		}
	}
	return gpg_error(GPG_ERR_EBUSY);
}

gpg_error_t
store_rate_prune(struct store *st, int64_t now_ms)
{
	sqlite3_stmt *s;
	gpg_error_t r;

	store_lock(st);
	if ((r = store_begin(st, 1)) == 0) {
		s = store_q(st, Q_RATE_PRUNE_ALL);
		sqlite3_bind_int64(s, 1, now_ms - STORE_RATE_KEEP_MS);
		r = store_end(st, store_exec(st, s, "prune rates"));
	}
	return store_unlock(st, r);
}

gpg_error_t
store_reconcile(struct store *st, const struct store_took *v, size_t n, size_t *changed)
{
	gpg_error_t r;

	*changed = 0;
	store_lock(st);
	if ((r = store_begin(st, 1)) != 0)
		return store_unlock(st, r);
	r = took_apply(st, v, n, 0, changed);
	/* The cache's keys may hold less than this put back. */
	takecache_invalidate_all(st->cache, 1);
	return store_unlock(st, store_end(st, r));
}
