/* store_requests.c — see store.h: approval requests, their approvals,
 * expiry and cancellation. */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 1000

static void
column_copy(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", v != NULL ? (const char *)v : "");
}

static void
row_to_request(sqlite3_stmt *s, struct store_request *o)
{
	const void *d;
	int dlen;

	o->id = sqlite3_column_int64(s, 0);
	o->kind = (enum store_kind)sqlite3_column_int(s, 1);
	o->state = (enum store_state)sqlite3_column_int(s, 2);
	column_copy(o->project, sizeof(o->project), s, 3);
	column_copy(o->requester, sizeof(o->requester), s, 4);
	column_copy(o->reason, sizeof(o->reason), s, 5);
	o->count = (unsigned)sqlite3_column_int64(s, 6);
	o->used = (unsigned)sqlite3_column_int64(s, 7);
	o->needed = (unsigned)sqlite3_column_int64(s, 8);
	o->created = sqlite3_column_int64(s, 9);
	o->expires = sqlite3_column_int64(s, 10);
	o->closed = sqlite3_column_int64(s, 11);
	column_copy(o->closed_by, sizeof(o->closed_by), s, 12);
	column_copy(o->close_reason, sizeof(o->close_reason), s, 13);
	column_copy(o->hash, sizeof(o->hash), s, 14);
	d = sqlite3_column_blob(s, 15);
	dlen = sqlite3_column_bytes(s, 15);
	if (d != NULL && dlen > 0 && (size_t)dlen <= sizeof(o->digest)) {
		memcpy(o->digest, d, (size_t)dlen);
		o->digest_len = (size_t)dlen;
	}
	column_copy(o->program, sizeof(o->program), s, 16);
	o->pid = sqlite3_column_int64(s, 17);
}

gpg_error_t
store_req_load(struct store *st, int64_t id, struct store_request *out)
{
	sqlite3_stmt *s = store_q(st, Q_REQ_GET);
	struct store_approval *a;
	gpg_error_t r;
	int row;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_step(st, s, &row, "get request")) != 0)
		return r;
	if (!row)
		return gpg_error(GPG_ERR_NOT_FOUND);
	row_to_request(s, out);
	if ((r = store_exec(st, s, "get request")) != 0)
		return r;
	s = store_q(st, Q_APPR_LIST);
	sqlite3_bind_int64(s, 1, id);
	while ((r = store_step(st, s, &row, "get approvals")) == 0 && row &&
	       out->napprovals < STORE_MAX_APPROVERS) {
		a = &out->approvals[out->napprovals++];
		column_copy(a->by, sizeof(a->by), s, 0);
		a->time = sqlite3_column_int64(s, 1);
		column_copy(a->comment, sizeof(a->comment), s, 2);
	}
	sqlite3_reset(s);
	return r;
}

/* REQ's fields within store.h's limits. */
static gpg_error_t
check_request(const struct store_request *req, int64_t now)
{
	gpg_error_t r;

	if ((r = store_check_text(req->project, sizeof(req->project), 0)) != 0 ||
	    (r = store_check_text(req->requester, sizeof(req->requester), 0)) != 0 ||
	    (r = store_check_text(req->reason, sizeof(req->reason), 1)) != 0 ||
	    (r = store_check_text(req->hash, sizeof(req->hash), 1)) != 0 ||
	    (r = store_check_text(req->program, sizeof(req->program), 1)) != 0)
		return r;
	if (req->count > STORE_MAX_COUNT || req->needed > STORE_MAX_APPROVERS ||
	    req->expires - now > STORE_MAX_TTL || req->digest_len > sizeof(req->digest))
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((req->kind != STORE_KIND_GRANT && req->kind != STORE_KIND_SIGN) || req->count < 1 ||
	    (req->kind == STORE_KIND_SIGN && req->count != 1) || req->needed < 1 ||
	    req->expires <= now)
		return gpg_error(GPG_ERR_INV_VALUE);
	return 0;
}

static gpg_error_t
request_insert(struct store *st, struct store_request *req, int64_t now)
{
	sqlite3_stmt *s;
	int64_t open;
	gpg_error_t r;

	s = store_q(st, Q_REQ_OPEN_COUNT);
	store_bind_text(s, 1, req->requester);
	sqlite3_bind_int64(s, 2, now);
	if ((r = store_int(st, s, 0, &open, "count open requests")) != 0)
		return r;
	if (open >= STORE_MAX_OPEN_PER_REQUESTER)
		return gpg_error(GPG_ERR_LIMIT_REACHED);
	s = store_q(st, Q_REQ_INSERT);
	sqlite3_bind_int(s, 1, req->kind);
	store_bind_text(s, 2, req->project);
	store_bind_text(s, 3, req->requester);
	store_bind_text(s, 4, req->reason);
	sqlite3_bind_int64(s, 5, req->count);
	sqlite3_bind_int64(s, 6, req->needed);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_int64(s, 8, req->expires);
	store_bind_text(s, 9, req->hash);
	if (req->digest_len > 0)
		sqlite3_bind_blob(s, 10, req->digest, (int)req->digest_len, SQLITE_TRANSIENT);
	store_bind_text(s, 11, req->program);
	sqlite3_bind_int64(s, 12, req->pid);
	if ((r = store_exec(st, s, "insert request")) != 0)
		return r;
	req->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

gpg_error_t
store_request_open(struct store *st, struct store_request *req, int64_t now)
{
	gpg_error_t r;

	if ((r = check_request(req, now)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0)
		r = store_end(st, request_insert(st, req, now));
	if (r == 0) {
		req->state = STORE_PENDING;
		req->created = now;
		req->used = 0;
		req->napprovals = 0;
		req->closed = 0;
		req->closed_by[0] = req->close_reason[0] = '\0';
	}
	return store_unlock(st, r);
}

gpg_error_t
store_request_get(struct store *st, int64_t id, struct store_request *out)
{
	gpg_error_t r;

	store_lock(st);
	if ((r = store_begin(st, 0)) == 0)
		r = store_end(st, store_req_load(st, id, out));
	return store_unlock(st, r);
}

static gpg_error_t
set_state(struct store *st, int64_t id, enum store_state state, int64_t now)
{
	sqlite3_stmt *s = store_q(st, Q_REQ_SET_STATE);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, state);
	sqlite3_bind_int64(s, 3, now);
	return store_exec(st, s, "set request state");
}

/* The checks approve and deny share, on the request loaded into *O: a
 * pending request past its end becomes EXPIRED here (committed with the
 * verdict). */
static gpg_error_t
check_pending(struct store *st, struct store_request *o, int64_t now, enum store_verdict *v)
{
	if (o->state != STORE_PENDING) {
		*v = STORE_V_NOT_PENDING;
		return 0;
	}
	if (o->expires <= now) {
		*v = STORE_V_EXPIRED;
		o->state = STORE_EXPIRED;
		o->closed = now;
		return set_state(st, o->id, STORE_EXPIRED, now);
	}
	return 0;
}

/* Record BY's decision on request ID at NOW with TEXT (an approval's
 * comment, a denial's reason): Q binds them in this order. */
static gpg_error_t
record(struct store *st, enum stmt_id q, int64_t id, const char *by, int64_t now,
       const char *text, const char *what)
{
	sqlite3_stmt *s = store_q(st, q);

	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, by);
	sqlite3_bind_int64(s, 3, now);
	store_bind_text(s, 4, text);
	return store_exec(st, s, what);
}

static gpg_error_t
approve(struct store *st, int64_t id, const char *by, const char *comment, int64_t now,
        struct store_request *out, enum store_verdict *v)
{
	sqlite3_stmt *s;
	int64_t n;
	gpg_error_t r;

	s = store_q(st, Q_APPR_HAS);
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, by);
	if ((r = store_int(st, s, 0, &n, "find approval")) != 0)
		return r;
	if (n > 0) {
		*v = STORE_V_ALREADY;
		return 0;
	}
	if ((r = check_pending(st, out, now, v)) != 0 || *v != STORE_V_OK)
		return r;
	if ((r = record(st, Q_APPR_INSERT, id, by, now, comment, "insert approval")) != 0)
		return r;
	s = store_q(st, Q_APPR_COUNT);
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_int(st, s, 0, &n, "count approvals")) != 0)
		return r;
	if (n >= out->needed) {
		s = store_q(st, Q_REQ_APPROVED);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		if ((r = store_exec(st, s, "approve request")) != 0)
			return r;
		/* A new grant: the cache loads the requester's grants again. */
		takecache_invalidate(st->cache, out->project, out->requester);
	}
	return store_req_load(st, id, out);
}

static gpg_error_t
deny(struct store *st, int64_t id, const char *by, const char *reason, int64_t now,
     struct store_request *out, enum store_verdict *v)
{
	gpg_error_t r;

	if ((r = check_pending(st, out, now, v)) != 0 || *v != STORE_V_OK)
		return r;
	if ((r = record(st, Q_REQ_DENY, id, by, now, reason, "deny request")) != 0)
		return r;
	return store_req_load(st, id, out);
}

/* What approve and deny do inside their transaction, on the request
 * loaded into *OUT. */
typedef gpg_error_t (*decide_fn)(struct store *st, int64_t id, const char *by, const char *text,
                                 int64_t now, struct store_request *out, enum store_verdict *v);

/* Load request ID into *OUT and run FN (BY's approval or denial, with its
 * comment or reason TEXT) on it, unless BY is its requester. */
static gpg_error_t
decide_tx(struct store *st, decide_fn fn, int64_t id, const char *by, const char *text,
          int64_t now, struct store_request *out, enum store_verdict *v)
{
	gpg_error_t r;

	if ((r = store_req_load(st, id, out)) != 0)
		return r;
	if (strcmp(by, out->requester) == 0) {
		*v = STORE_V_SELF;
		return 0;
	}
	return fn(st, id, by, text, now, out, v);
}

/* decide_tx in one write transaction. */
static gpg_error_t
decide(struct store *st, decide_fn fn, int64_t id, const char *by, const char *text, int64_t now,
       struct store_request *out, enum store_verdict *v)
{
	gpg_error_t r;

	*v = STORE_V_OK;
	memset(out, 0, sizeof(*out));
	if ((r = store_check_text(by, STORE_PRINCIPAL_MAX, 0)) != 0 ||
	    (r = store_check_text(text, STORE_TEXT_MAX, 1)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0)
		r = store_end(st, decide_tx(st, fn, id, by, text, now, out, v));
	return store_unlock(st, r);
}

gpg_error_t
store_request_approve(struct store *st, int64_t id, const char *by, const char *comment,
                      int64_t now, struct store_request *out, enum store_verdict *v)
{
	return decide(st, approve, id, by, comment, now, out, v);
}

gpg_error_t
store_request_deny(struct store *st, int64_t id, const char *by, const char *reason, int64_t now,
                   struct store_request *out, enum store_verdict *v)
{
	return decide(st, deny, id, by, reason, now, out, v);
}

static gpg_error_t
cancel(struct store *st, int64_t id, int64_t now, enum store_verdict *v)
{
	struct store_request o;
	gpg_error_t r;

	if ((r = store_req_load(st, id, &o)) != 0)
		return r;
	if (o.state != STORE_PENDING && o.state != STORE_APPROVED) {
		*v = STORE_V_NOT_PENDING;
		return 0;
	}
	/* A cancelled grant is used no more: out of the cache. */
	takecache_invalidate(st->cache, o.project, o.requester);
	return set_state(st, id, STORE_CANCELLED, now);
}

gpg_error_t
store_request_cancel(struct store *st, int64_t id, int64_t now, enum store_verdict *v)
{
	gpg_error_t r;

	*v = STORE_V_OK;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0)
		r = store_end(st, cancel(st, id, now, v));
	return store_unlock(st, r);
}

/* A list of request ids, gathered under the lock and handed to the
 * caller's function after it (store.h: FN runs outside the store). */
struct idlist {
	int64_t *id;
	size_t n, cap;
};

static gpg_error_t
idlist_add(struct idlist *l, int64_t id)
{
	int64_t *p;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 64;

		if ((p = reallocarray(l->id, cap, sizeof(*p))) == NULL)
			return gpg_error_from_syserror();
		l->id = p;
		l->cap = cap;
	}
	l->id[l->n++] = id;
	return 0;
}

/* Step S, adding each row's column 0 to L. */
static gpg_error_t
collect_ids(struct store *st, sqlite3_stmt *s, struct idlist *l, const char *what)
{
	gpg_error_t r;
	int row;

	while ((r = store_step(st, s, &row, what)) == 0 && row)
		if ((r = idlist_add(l, sqlite3_column_int64(s, 0))) != 0)
			break;
	sqlite3_reset(s);
	return r;
}

/* Call FN for each request of L as it is now; a request that cannot be
 * read is skipped (and logged by the get). */
static void
idlist_each(struct store *st, const struct idlist *l, store_request_fn fn, void *opaque)
{
	struct store_request *req = NULL;

	if (fn == NULL || l->n == 0 || (req = malloc(sizeof(*req))) == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (store_request_get(st, l->id[i], req) == 0)
			fn(opaque, req);
	free(req);
}

/* A query ready to step (parameters bound from ARG), or NULL with *R set. */
typedef sqlite3_stmt *(*query_fn)(struct store *st, const void *arg, gpg_error_t *r);

/* Run QUERY (from ARG; WRITE: a write) in one transaction, gathering the
 * ids it returns, then show each of those requests to FN once the lock is
 * released. */
static gpg_error_t
each_id(struct store *st, int write, query_fn query, const void *arg, store_request_fn fn,
        void *opaque, const char *what)
{
	struct idlist l = { 0 };
	sqlite3_stmt *s;
	gpg_error_t r;

	store_lock(st);
	if ((r = store_begin(st, write)) == 0) {
		if ((s = query(st, arg, &r)) != NULL)
			r = collect_ids(st, s, &l, what);
		/* Expired or cancelled grants: the cache loads again (rare). */
		if (write && l.n > 0)
			takecache_invalidate_all(st->cache, 0);
		r = store_end(st, r);
	}
	r = store_unlock(st, r);
	if (r == 0)
		idlist_each(st, &l, fn, opaque);
	free(l.id);
	return r;
}

/* The statement for the fields F sets, made on first use: each mix of
 * filters has its own, so that SQLite picks the index that fits. */
static sqlite3_stmt *
query_list(struct store *st, const void *arg, gpg_error_t *r)
{
	const struct store_filter *f = arg;
	unsigned mask = (f->state != 0) | (f->kind != 0) << 1 | (f->requester != NULL) << 2 |
	                (f->project != NULL) << 3;
	sqlite3_stmt *s;
	char sql[320];

	if (st->list[mask] == NULL) {
		snprintf(sql, sizeof(sql), "SELECT id FROM requests WHERE expires > ?1%s%s%s%s"
		         " ORDER BY id DESC LIMIT ?6", mask & 1 ? " AND state = ?2" : "",
		         mask & 2 ? " AND kind = ?3" : "", mask & 4 ? " AND requester = ?4" : "",
		         mask & 8 ? " AND project = ?5" : "");
		if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->list[mask],
		                       NULL) != SQLITE_OK) {
			*r = store_fail(st, sqlite3_errcode(st->db), "prepare list");
			return NULL;
		}
	}
	s = st->list[mask];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_int64(s, 1, f->min_expires);
	if (mask & 1)
		sqlite3_bind_int(s, 2, f->state);
	if (mask & 2)
		sqlite3_bind_int(s, 3, f->kind);
	if (mask & 4)
		store_bind_text(s, 4, f->requester);
	if (mask & 8)
		store_bind_text(s, 5, f->project);
	sqlite3_bind_int64(s, 6, f->limit != 0 ? (int64_t)f->limit : LIST_DEFAULT);
	return s;
}

/* A write of every request that QUERY picks at NOW. */
struct at_now {
	enum stmt_id q;
	int64_t now;
};

static sqlite3_stmt *
query_now(struct store *st, const void *arg, gpg_error_t *r)
{
	const struct at_now *a = arg;
	sqlite3_stmt *s = store_q(st, a->q);

	(void)r;
	sqlite3_bind_int64(s, 1, a->now);
	return s;
}

gpg_error_t
store_request_list(struct store *st, const struct store_filter *f, store_request_fn fn,
                   void *opaque)
{
	return each_id(st, 0, query_list, f, fn, opaque, "list requests");
}

gpg_error_t
store_expire(struct store *st, int64_t now, store_request_fn fn, void *opaque)
{
	struct at_now a = { Q_REQ_EXPIRE, now };
	gpg_error_t r = each_id(st, 1, query_now, &a, fn, opaque, "expire requests");

	/* Rate entries of requesters who stopped signing: store_take prunes
	 * only the requester it serves. */
	if (r == 0)
		r = store_rate_prune(st, now * 1000);
	return r;
}

gpg_error_t
store_cancel_waiting(struct store *st, int64_t now, store_request_fn fn, void *opaque)
{
	struct at_now a = { Q_REQ_CANCEL_WAITING, now };

	return each_id(st, 1, query_now, &a, fn, opaque, "cancel waiting requests");
}

gpg_error_t
store_purge(struct store *st, int64_t before, size_t *n)
{
	sqlite3_stmt *s;
	gpg_error_t r;

	*n = 0;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0) {
		s = store_q(st, Q_REQ_PURGE);
		sqlite3_bind_int64(s, 1, before);
		if ((r = store_exec(st, s, "purge requests")) == 0)
			*n = (size_t)sqlite3_changes(st->db);
		r = store_end(st, r);
	}
	return store_unlock(st, r);
}
