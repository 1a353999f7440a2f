/* store_db.h — what the SQLite store's files share (store_sqlite.c opens
 * the database and runs transactions; store_requests.c, store_take.c and
 * store_totp.c hold the calls of store.h).  Not for the engine: it sees
 * store.h only. */
#ifndef SIGNET_POLICYD_STORE_DB_H
#define SIGNET_POLICYD_STORE_DB_H

#include <pthread.h>
#include <sqlite3.h>

#include "audit.h"
#include "store.h"
#include "takecache.h"

/* The prepared statements, one per query (store_sqlite.c: stmt_sql[]). */
enum stmt_id {
	Q_BEGIN_READ,
	Q_BEGIN_WRITE,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_REQ_INSERT,
	Q_REQ_GET,
	Q_REQ_OPEN_COUNT,
	Q_REQ_SET_STATE,
	Q_REQ_DENY,
	Q_REQ_EXPIRE,
	Q_REQ_CANCEL_WAITING,
	Q_REQ_PURGE,
	Q_APPR_INSERT,
	Q_APPR_LIST,
	Q_APPR_HAS,
	Q_APPR_COUNT,
	Q_REQ_APPROVED,
	Q_GRANT_NEWEST,
	Q_GRANT_LOAD,
	Q_RATE_PRUNE_ALL,
	Q_RATE_TAIL,
	Q_RATE_RECONCILE,
	Q_GRANT_RECONCILE,
	Q_TOTP_PUT,
	Q_TOTP_GET,
	Q_TOTP_STEP,
	Q_TOTP_SET_STEP,
	Q_TOTP_DELETE,
	Q_FAIL_GET,
	Q_FAIL_ADD,
	Q_FAIL_CLEAR,
	Q_FAIL_CLEAR_ALL,
	Q_COUNT
};

/* One connection under one mutex (store_sqlite.c says why). */
struct store {
	/* The signatures' takes, made in memory (store_take.c). */
	struct takecache *cache;
	/* Durability (store_sync.c): commits are synced by a thread. */
	pthread_mutex_t sync_lock; /* guards the six below */
	pthread_cond_t sync_cond, sync_done;
	uint64_t want_gen, synced_gen;
	uint64_t urgent_gen;       /* the latest commit that is waited for */
	gpg_error_t sync_err;      /* a failed fdatasync: sticky */
	int sync_stop;
	struct audit_log *audit;   /* whose last seq the mark records (NULL: none yet) */
	int sync_inited, have_syncer;
	pthread_t syncer;
	int wal_fd;
	int mark_fd;               /* DB_PATH-synced */
	uint64_t mark;             /* the syncer's last mark (only it writes this) */
	uint64_t open_mark;        /* the mark found at open, and its state */
	enum store_mark open_state;
	int writing;               /* the open transaction writes (more than takes) */
	pthread_mutex_t lock;      /* guards everything below; held only across SQLite calls */
	struct tc_batch flush;     /* the takes being written (store_takes_apply) */
	uint64_t ticket;           /* the sync store_unlock waits for (0: none) */
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	sqlite3_stmt *list[16];    /* store_request_list's, by the filters set (made on first use) */
	char why[256];             /* the last SQLite failure, logged once the lock is released */
};

/* Lock ST for one call.  store_unlock() releases it, logs what failed
 * (ST->why), and waits for the sync of the call's write commits: R, or
 * the sync's failure. */
void store_lock(struct store *st);
gpg_error_t store_unlock(struct store *st, gpg_error_t r);

/* Statement ID, reset and with no bindings, ready to bind and step. */
sqlite3_stmt *store_q(struct store *st, enum stmt_id id);
/* ST->why = WHAT and SQLite's message; RC as a gpg error. */
gpg_error_t store_fail(struct store *st, int rc, const char *what);
/* Step S once: 0 (a row: *ROW = 1; done: *ROW = 0) or a gpg error, with
 * ST->why naming WHAT. */
gpg_error_t store_step(struct store *st, sqlite3_stmt *s, int *row, const char *what);
/* Step S to its end (no row expected). */
gpg_error_t store_exec(struct store *st, sqlite3_stmt *s, const char *what);
/* Run the single-integer query S: *V its value, or DFLT if no row. */
gpg_error_t store_int(struct store *st, sqlite3_stmt *s, int64_t dflt, int64_t *v, const char *what);
/* Begin a transaction (WRITE: BEGIN IMMEDIATE, so the write lock is taken
 * up front and no later statement can fail with SQLITE_BUSY mid-way).
 * The cache's pending takes are written first, in it (a write then
 * whatever WRITE says): no transaction sees less than was taken. */
gpg_error_t store_begin(struct store *st, int write);
/* Commit when R is 0, else roll back; R, or the commit's failure.  A
 * WRITE transaction's commit is durable once store_unlock returns; takes
 * alone are synced by the syncer (their audit records are their log). */
gpg_error_t store_end(struct store *st, gpg_error_t r);

/* Bind a text (NULL: ""). */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* 0 when V (NULL: "") fits a field of MAX bytes with its NUL, else
 * GPG_ERR_TOO_LARGE; EMPTY_OK 0 also refuses "" (GPG_ERR_INV_VALUE). */
gpg_error_t store_check_text(const char *v, size_t max, int empty_ok);

/* Request ID into *OUT with its approvals: 0 or GPG_ERR_NOT_FOUND (under the lock). */
gpg_error_t store_req_load(struct store *st, int64_t id, struct store_request *out);

/* Remove every rate entry older than the longest rate period at NOW_MS
 * (store_take.c). */
gpg_error_t store_rate_prune(struct store *st, int64_t now_ms);
/* Write the cache's pending takes into the open write transaction
 * (store_take.c); a failure is sticky (store_sync_fail). */
gpg_error_t store_takes_apply(struct store *st);
/* Write them in a transaction of their own, not synced (the syncer's). */
gpg_error_t store_takes_flush(struct store *st);

/* store_sync.c: the write-ahead log of DB_PATH, synced by a thread. */
gpg_error_t store_sync_open(struct store *st, const char *db_path, char *err, size_t errlen);
void store_sync_close(struct store *st);
/* Ask for every commit so far to be made durable, at once (URGENT) or
 * within STORE_LAZY_SYNC_MS: the ticket to wait for. */
uint64_t store_sync_request(struct store *st, int urgent);
/* Return once the commit TICKET stands for is on disk: 0, or the error of
 * a failed sync (then every later call fails too). */
gpg_error_t store_sync(struct store *st, uint64_t ticket);
/* Takes could not be written (R, while doing WHAT): from now on nothing
 * is marked synced, every take and every wait for a sync fails. */
void store_sync_fail(struct store *st, gpg_error_t r, const char *what);

#endif
