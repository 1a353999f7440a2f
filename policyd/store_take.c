/* store_take.c — see store.h: store_take, the rate window and the grant
 * use a signature takes, in one write transaction. */
#include "store_db.h"

#include <stdio.h>
#include <string.h>

/* The longest period a project's rate may have (config: N/day): entries
 * older than this can never count again. */
#define RATE_KEEP_MS (86400 * (int64_t)1000)

static void
bind_key(sqlite3_stmt *s, const struct store_take *t)
{
	store_bind_text(s, 1, t->project);
	store_bind_text(s, 2, t->requester);
}

/* T's requester's last rate entry on T's project. */
struct rate_last {
	int64_t seq;               /* 0: none */
	int64_t time_ms;
};

static gpg_error_t
rate_last(struct store *st, const struct store_take *t, struct rate_last *last)
{
	sqlite3_stmt *s = store_q(st, Q_RATE_LAST);
	gpg_error_t r;
	int row;

	bind_key(s, t);
	if ((r = store_step(st, s, &row, "last rate entry")) != 0)
		return r;
	last->seq = row ? sqlite3_column_int64(s, 0) : 0;
	last->time_ms = row ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);
	return 0;
}

/* Is there room in T's window?  Fills OUT's rate fields and *LAST; *FULL
 * set when not.  Prunes T's requester's entries that no window can reach.
 * The entries in the window are seqs FIRST..LAST->seq (schema_v1). */
static gpg_error_t
rate_check(struct store *st, const struct store_take *t, struct store_taken *out,
           struct rate_last *last, int *full)
{
	int64_t period_ms = (int64_t)t->rate_period * 1000, first, n, at;
	sqlite3_stmt *s;
	gpg_error_t r;

	/* Entries older than a day are pruned by store_expire (the engine's
	 * sweeper, every few seconds), not here: off the signing path. */
	*full = 0;
	if ((r = rate_last(st, t, last)) != 0)
		return r;
	s = store_q(st, Q_RATE_FIRST);
	bind_key(s, t);
	sqlite3_bind_int64(s, 3, t->now_ms - period_ms);
	if ((r = store_int(st, s, 0, &first, "rate window")) != 0)
		return r;
	n = first > 0 ? last->seq - first + 1 : 0;
	out->in_window = (unsigned)n + 1;
	if (n < t->rate_count)
		return 0;
	/* Full: one more fits once entry LAST - RATE_COUNT + 1 leaves the
	 * window, leaving RATE_COUNT - 1 in it. */
	*full = 1;
	out->in_window = (unsigned)n;
	s = store_q(st, Q_RATE_AT);
	bind_key(s, t);
	sqlite3_bind_int64(s, 3, last->seq - t->rate_count + 1);
	if ((r = store_int(st, s, t->now_ms, &at, "rate entry")) != 0)
		return r;
	out->retry_at_ms = at + period_ms;
	return 0;
}

/* Record T's signature after LAST.  Its time is never before LAST's: a
 * clock stepped back keeps the entries in the window longer (fails
 * closed) and the seqs in time order. */
static gpg_error_t
rate_record(struct store *st, const struct store_take *t, const struct rate_last *last)
{
	sqlite3_stmt *s = store_q(st, Q_RATE_INSERT);

	bind_key(s, t);
	sqlite3_bind_int64(s, 3, last->seq + 1);
	sqlite3_bind_int64(s, 4, t->now_ms > last->time_ms ? t->now_ms : last->time_ms);
	return store_exec(st, s, "record rate");
}

/* Why the requester has no usable grant: what their newest grant (ever
 * approved) became. */
static gpg_error_t
grant_miss(struct store *st, const struct store_take *t, struct store_taken *out)
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

		out->miss = state == STORE_USED || used >= count ? STORE_GRANT_USED_UP
		                                                 : STORE_GRANT_EXPIRED;
	}
	sqlite3_reset(s);
	return 0;
}

/* The request T names (a resumed waiting SIGN): *ID, or a miss. */
static gpg_error_t
pick_request(struct store *st, const struct store_take *t, struct store_taken *out, int64_t *id)
{
	struct store_request *o = &(struct store_request){ 0 };
	gpg_error_t r;

	r = store_req_load(st, t->request, o);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND) {
		out->miss = STORE_NO_GRANT;
		return 0;
	}
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
		*id = o->id;
	return 0;
}

/* The usable grant that ends first: *ID, or a miss. */
static gpg_error_t
pick_grant(struct store *st, const struct store_take *t, struct store_taken *out, int64_t *id)
{
	sqlite3_stmt *s;
	gpg_error_t r;

	if (t->request > 0)
		return pick_request(st, t, out, id);
	s = store_q(st, Q_GRANT_USABLE);
	bind_key(s, t);
	sqlite3_bind_int64(s, 3, t->now_ms / 1000);
	if ((r = store_int(st, s, 0, id, "find grant")) != 0)
		return r;
	return *id != 0 ? 0 : grant_miss(st, t, out);
}

static gpg_error_t
use_grant(struct store *st, const struct store_take *t, int64_t id, struct store_taken *out)
{
	sqlite3_stmt *s = store_q(st, Q_GRANT_USE);
	int64_t used = -1, count = 0;
	gpg_error_t r;
	int row = 0;

	sqlite3_bind_int64(s, 1, id);
	if ((r = store_step(st, s, &row, "use grant")) != 0)
		return r;
	if (row) {
		used = sqlite3_column_int64(s, 0);
		count = sqlite3_column_int64(s, 1);
	}
	/* Run RETURNING to its end so the UPDATE is complete. */
	while (row && (r = store_step(st, s, &row, "use grant")) == 0 && row)
		;
	if (r != 0)
		return r;
	if (used < 1 || used > count) /* picked in this transaction: cannot happen */
		return gpg_error(GPG_ERR_INTERNAL);
	if (used == count) {   /* the last use: the grant is used up */
		s = store_q(st, Q_GRANT_USED_UP);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, t->now_ms / 1000);
		if ((r = store_exec(st, s, "grant used up")) != 0)
			return r;
	}
	out->grant = id;
	out->use = (unsigned)used;
	out->left = (unsigned)(count - used);
	return 0;
}

static gpg_error_t
take(struct store *st, const struct store_take *t, struct store_taken *out)
{
	struct rate_last last = { 0 };
	int64_t id = 0;
	gpg_error_t r;
	int full = 0;

	if (t->rate_count > 0) {
		if ((r = rate_check(st, t, out, &last, &full)) != 0)
			return r;
		if (full) {
			out->miss = STORE_RATE_LIMITED;
			return 0;
		}
	}
	if (t->use_grant || t->request > 0) {
		if ((r = pick_grant(st, t, out, &id)) != 0 || out->miss != STORE_TAKEN)
			return r;
		if ((r = use_grant(st, t, id, out)) != 0)
			return r;
	}
	if (t->rate_count == 0)
		return 0;
	out->rate_seq = last.seq + 1;
	return rate_record(st, t, &last);
}

struct take_slot {
	struct take_slot *next;
	const struct store_take *t;
	struct store_taken *out;
	gpg_error_t r;
	int done;
};

/* One take of a batch, inside the batch's transaction: a savepoint, so
 * that a take that fails undoes only itself. */
static void
run_one(struct store *st, struct take_slot *k)
{
	memset(k->out, 0, sizeof(*k->out));
	if (sqlite3_exec(st->db, "SAVEPOINT take", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(st->why, sizeof(st->why), "savepoint: %s", sqlite3_errmsg(st->db));
		k->r = gpg_error(GPG_ERR_GENERAL);
		return;
	}
	if ((k->r = take(st, k->t, k->out)) != 0) {
		(void)sqlite3_exec(st->db, "ROLLBACK TO take", NULL, NULL, NULL);
		memset(k->out, 0, sizeof(*k->out));
	}
	(void)sqlite3_exec(st->db, "RELEASE take", NULL, NULL, NULL);
}

/* The leader: every take of BATCH in one transaction, one commit for
 * all.  A failed commit fails them all: nothing was taken. */
static void
run_batch(struct store *st, struct take_slot *batch)
{
	struct take_slot *k;
	gpg_error_t r;

	store_lock(st);
	st->lazy_sync = 1;
	if ((r = store_begin(st, 1)) == 0) {
		if (batch->next == NULL) {
			/* Alone: the transaction is the take's own. */
			memset(batch->out, 0, sizeof(*batch->out));
			r = batch->r = take(st, batch->t, batch->out);
		} else {
			for (k = batch; k != NULL; k = k->next)
				run_one(st, k);
		}
		r = store_end(st, r);
	}
	st->lazy_sync = 0;
	for (k = batch; k != NULL && r != 0; k = k->next) {
		k->r = r;
		memset(k->out, 0, sizeof(*k->out));
	}
	(void)store_unlock(st, r);
}

/* Group commit: a take queues itself; whoever finds no batch running
 * leads the next one with every take queued by then, the others wait.
 * With one client this is one transaction per take as before; with
 * several, the takes that arrive during a commit share the next one. */
gpg_error_t
store_take(struct store *st, const struct store_take *t, struct store_taken *out)
{
	struct take_slot me = { NULL, t, out, 0, 0 }, *batch, *k;
	gpg_error_t r;

	memset(out, 0, sizeof(*out));
	if ((r = store_check_text(t->project, STORE_PROJECT_MAX, 0)) != 0 ||
	    (r = store_check_text(t->requester, STORE_PRINCIPAL_MAX, 0)) != 0)
		return r;
	/* The longest period is a day (config: N/day), which is also how long
	 * store_rate_prune keeps entries. */
	if (t->rate_count > STORE_MAX_RATE ||
	    (t->rate_count > 0 && (t->rate_period == 0 || t->rate_period * (int64_t)1000 > RATE_KEEP_MS)))
		return gpg_error(GPG_ERR_INV_VALUE);
	pthread_mutex_lock(&st->batch_lock);
	*st->queue_tail = &me;
	st->queue_tail = &me.next;
	while (!me.done) {
		if (st->leading) {
			pthread_cond_wait(&st->batch_done, &st->batch_lock);
			continue;
		}
		st->leading = 1;
		batch = st->queue;
		st->queue = NULL;
		st->queue_tail = &st->queue;
		pthread_mutex_unlock(&st->batch_lock);
		run_batch(st, batch);
		pthread_mutex_lock(&st->batch_lock);
		for (k = batch; k != NULL; k = k->next)
			k->done = 1;
		st->leading = 0;
		pthread_cond_broadcast(&st->batch_done);
	}
	pthread_mutex_unlock(&st->batch_lock);
	/* A miss commits nothing but the prune: that is fine (store.h: nothing
	 * is taken), and the miss itself is an answer, not a failure. */
	return me.r;
}

gpg_error_t
store_rate_prune(struct store *st, int64_t now_ms)
{
	sqlite3_stmt *s;
	gpg_error_t r;

	store_lock(st);
	if ((r = store_begin(st, 1)) == 0) {
		s = store_q(st, Q_RATE_PRUNE_ALL);
		sqlite3_bind_int64(s, 1, now_ms - RATE_KEEP_MS);
		r = store_end(st, store_exec(st, s, "prune rates"));
	}
	return store_unlock(st, r);
}

gpg_error_t
store_reconcile(struct store *st, const struct store_took *v, size_t n, size_t *changed)
{
	sqlite3_stmt *s;
	gpg_error_t r;
	size_t i;

	*changed = 0;
	store_lock(st);
	if ((r = store_begin(st, 1)) != 0)
		return store_unlock(st, r);
	for (i = 0; r == 0 && i < n; i++) {
		int did = 0;

		if (v[i].grant > 0 && v[i].use > 0) {
			s = store_q(st, Q_GRANT_RECONCILE);
			sqlite3_bind_int64(s, 1, v[i].grant);
			sqlite3_bind_int64(s, 2, v[i].use);
			sqlite3_bind_int64(s, 3, v[i].time_ms / 1000);
			if ((r = store_exec(st, s, "reconcile grant")) != 0)
				break;
			did |= sqlite3_changes(st->db) > 0;
		}
		if (v[i].rate_seq > 0 && v[i].project != NULL && v[i].requester != NULL) {
			s = store_q(st, Q_RATE_RECONCILE);
			store_bind_text(s, 1, v[i].project);
			store_bind_text(s, 2, v[i].requester);
			sqlite3_bind_int64(s, 3, v[i].rate_seq);
			sqlite3_bind_int64(s, 4, v[i].time_ms);
			if ((r = store_exec(st, s, "reconcile rate")) != 0)
				break;
			did |= sqlite3_changes(st->db) > 0;
		}
		*changed += did != 0;
	}
	return store_unlock(st, store_end(st, r));
}
