/* store_sqlite.c — see store.h: opening policyd.db, its schema, and the
 * transaction helpers the other store_*.c files share (store_db.h).
 *
 * Threading: one connection under one mutex.  SQLite lets one writer in at
 * a time whatever we do, every call is a short transaction on an indexed
 * table (tens of microseconds, plus the fsync of a commit, which a
 * connection per thread would serialise on the WAL lock anyway), and one
 * connection keeps one set of prepared statements and never meets
 * SQLITE_BUSY from its own threads.  The mutex is held across SQLite calls
 * only: failures are logged, and callbacks run, after it is released.
 * busy_timeout still matters: another process (the crash test, an admin's
 * sqlite3 shell) may hold the write lock for a moment. */
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "trustpath.h"

#define STORE_FILE          "policyd.db"
#define STORE_SCHEMA        1           /* PRAGMA user_version this program writes */
#define STORE_BUSY_MS       5000

/* Version 1.  rate_events: each signature of a requester on a project has
 * the next seq, and a time never before the previous one's (store_take.c),
 * so the signatures in a window are a run of seqs found with two index
 * look-ups, however many there are.  requests.approved: when it became APPROVED (0: never), so
 * that a grant's misses can tell an expired grant from a request that
 * expired pending.  approvals keep their insertion order in rowid. */
static const char schema_v1[] =
	"CREATE TABLE requests("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
	" state INTEGER NOT NULL CHECK(state BETWEEN 1 AND 6),"
	" project TEXT NOT NULL, requester TEXT NOT NULL, reason TEXT NOT NULL,"
	" count INTEGER NOT NULL CHECK(count >= 1),"
	" used INTEGER NOT NULL DEFAULT 0 CHECK(used >= 0 AND used <= count),"
	" needed INTEGER NOT NULL CHECK(needed >= 1),"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" approved INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,"
	" closed_by TEXT NOT NULL DEFAULT '', close_reason TEXT NOT NULL DEFAULT '',"
	" hash TEXT NOT NULL DEFAULT '', digest BLOB, program TEXT NOT NULL DEFAULT '',"
	" pid INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX requests_by_owner ON requests(project, requester, kind, state, expires);"
	"CREATE INDEX requests_by_requester ON requests(requester, state, expires);"
	"CREATE INDEX requests_by_state ON requests(state, expires);"
	"CREATE TABLE approvals("
	" request INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,"
	" approver TEXT NOT NULL, time INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY(request, approver));"
	"CREATE TABLE rate_events(project TEXT NOT NULL, requester TEXT NOT NULL,"
	" seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,"
	" PRIMARY KEY(project, requester, seq)) WITHOUT ROWID;"
	"CREATE INDEX rate_events_by_key ON rate_events(project, requester, time_ms, seq);"
	"CREATE INDEX rate_events_by_time ON rate_events(time_ms);"
	"CREATE TABLE totp(principal TEXT PRIMARY KEY, sealed BLOB NOT NULL,"
	" enrolled INTEGER NOT NULL, last_step INTEGER NOT NULL DEFAULT -1);"
	"CREATE TABLE totp_failures(principal TEXT NOT NULL, project TEXT NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(principal, project));";

#define REQ_COLUMNS "id, kind, state, project, requester, reason, count, used, needed," \
	" created, expires, closed, closed_by, close_reason, hash, digest, program, pid"

static const char *const stmt_sql[Q_COUNT] = {
	[Q_BEGIN_READ] = "BEGIN",
	[Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_REQ_INSERT] = "INSERT INTO requests(kind, state, project, requester, reason, count,"
		" needed, created, expires, hash, digest, program, pid)"
		" VALUES(?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[Q_REQ_GET] = "SELECT " REQ_COLUMNS " FROM requests WHERE id = ?1",
	[Q_REQ_OPEN_COUNT] = "SELECT count(*) FROM requests"
		" WHERE requester = ?1 AND state = 1 AND expires > ?2",
	[Q_REQ_SET_STATE] = "UPDATE requests SET state = ?2, closed = ?3 WHERE id = ?1",
	[Q_REQ_DENY] = "UPDATE requests SET state = 3, closed_by = ?2, closed = ?3,"
		" close_reason = ?4 WHERE id = ?1 AND state = 1",
	[Q_REQ_EXPIRE] = "UPDATE requests SET state = 4, closed = ?1"
		" WHERE state IN (1, 2) AND expires <= ?1 RETURNING id",
	[Q_REQ_CANCEL_WAITING] = "UPDATE requests SET state = 5, closed = ?1"
		" WHERE kind = 2 AND state IN (1, 2) RETURNING id",
	[Q_REQ_PURGE] = "DELETE FROM requests WHERE state IN (3, 4, 5, 6) AND closed > 0 AND closed < ?1",
	[Q_APPR_INSERT] = "INSERT INTO approvals(request, approver, time, comment)"
		" VALUES(?1, ?2, ?3, ?4)",
	[Q_APPR_LIST] = "SELECT approver, time, comment FROM approvals WHERE request = ?1"
		" ORDER BY rowid LIMIT 16",
	[Q_APPR_HAS] = "SELECT count(*) FROM approvals WHERE request = ?1 AND approver = ?2",
	[Q_APPR_COUNT] = "SELECT count(*) FROM approvals WHERE request = ?1",
	[Q_REQ_APPROVED] = "UPDATE requests SET state = 2, closed = ?2, approved = ?2"
		" WHERE id = ?1 AND state = 1",
	[Q_GRANT_NEWEST] = "SELECT state, used, count, expires FROM requests"
		" WHERE project = ?1 AND requester = ?2 AND kind = ?3 AND approved > 0"
		" AND state IN (2, 4, 6) ORDER BY approved DESC, id DESC LIMIT 1",
	/* A key's approved requests, for the cache (store_take.c). */
	[Q_GRANT_LOAD] = "SELECT id, kind, used, count, expires FROM requests"
		" WHERE project = ?1 AND requester = ?2 AND kind IN (1, 2) AND state = 2",
	[Q_RATE_PRUNE_ALL] = "DELETE FROM rate_events WHERE time_ms <= ?1",
	[Q_RATE_TAIL] = "SELECT seq, time_ms FROM rate_events WHERE project = ?1 AND requester = ?2"
		" ORDER BY seq DESC LIMIT ?3",
	[Q_RATE_RECONCILE] = "INSERT OR IGNORE INTO rate_events(project, requester, seq, time_ms)"
		" VALUES(?1, ?2, ?3, ?4)",
	[Q_GRANT_RECONCILE] = "UPDATE requests SET used = ?2,"
		" state = CASE WHEN ?2 >= count AND state = 2 THEN 6 ELSE state END,"
		" closed = CASE WHEN ?2 >= count AND state = 2 THEN ?3 ELSE closed END"
		" WHERE id = ?1 AND used < ?2 AND ?2 <= count",
	[Q_TOTP_PUT] = "INSERT INTO totp(principal, sealed, enrolled, last_step) VALUES(?1, ?2, ?3, -1)"
		" ON CONFLICT(principal) DO UPDATE SET sealed = excluded.sealed,"
		" enrolled = excluded.enrolled, last_step = -1",
	[Q_TOTP_GET] = "SELECT sealed FROM totp WHERE principal = ?1",
	[Q_TOTP_STEP] = "SELECT last_step FROM totp WHERE principal = ?1",
	[Q_TOTP_SET_STEP] = "UPDATE totp SET last_step = ?2 WHERE principal = ?1",
	[Q_TOTP_DELETE] = "DELETE FROM totp WHERE principal = ?1",
	[Q_FAIL_GET] = "SELECT count FROM totp_failures WHERE principal = ?1 AND project = ?2",
	[Q_FAIL_ADD] = "INSERT INTO totp_failures(principal, project, count) VALUES(?1, ?2, 1)"
		" ON CONFLICT(principal, project) DO UPDATE SET count = count + 1 RETURNING count",
	[Q_FAIL_CLEAR] = "DELETE FROM totp_failures WHERE principal = ?1 AND project = ?2",
	[Q_FAIL_CLEAR_ALL] = "DELETE FROM totp_failures WHERE principal = ?1",
};

/* SQLite's result code as one of Signet's (the message goes to the log). */
static gpg_error_t
map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return gpg_error(GPG_ERR_EBUSY);
	case SQLITE_NOMEM:
		return gpg_error(GPG_ERR_ENOMEM);
	case SQLITE_FULL:
		return gpg_error(GPG_ERR_ENOSPC);
	case SQLITE_IOERR:
		return gpg_error(GPG_ERR_EIO);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return gpg_error(GPG_ERR_BAD_DATA);
	case SQLITE_CONSTRAINT:
		return gpg_error(GPG_ERR_CONFLICT);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		return gpg_error(GPG_ERR_EACCES);
	default:
		return gpg_error(GPG_ERR_INTERNAL);
	}
}

gpg_error_t
store_fail(struct store *st, int rc, const char *what)
{
	snprintf(st->why, sizeof(st->why), "store: %s: %s (SQLite %d)", what, sqlite3_errmsg(st->db),
	         sqlite3_extended_errcode(st->db));
	return map_rc(rc);
}

void
store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	st->why[0] = '\0';
}

gpg_error_t
store_unlock(struct store *st, gpg_error_t r)
{
	char why[sizeof(st->why)];
	uint64_t ticket = st->ticket;

	memcpy(why, st->why, sizeof(why));
	st->why[0] = '\0';
	st->ticket = 0;
	pthread_mutex_unlock(&st->lock);
	if (why[0] != '\0')
		log_error_e(r, "%s", why);
	/* The wait for the sync, outside the lock: the syncer takes it to
	 * write the pending takes, and others' calls go on meanwhile. */
	if (r == 0 && ticket != 0)
		r = store_sync(st, ticket);
	return r;
}

sqlite3_stmt *
store_q(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->q[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

gpg_error_t
store_step(struct store *st, sqlite3_stmt *s, int *row, const char *what)
{
	int rc = sqlite3_step(s);

	*row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return store_fail(st, rc, what);
}

gpg_error_t
store_exec(struct store *st, sqlite3_stmt *s, const char *what)
{
	int row;
	gpg_error_t r;

	while ((r = store_step(st, s, &row, what)) == 0 && row)
		;
	return r;
}

gpg_error_t
store_int(struct store *st, sqlite3_stmt *s, int64_t dflt, int64_t *v, const char *what)
{
	int row;
	gpg_error_t r;

	if ((r = store_step(st, s, &row, what)) != 0)
		return r;
	*v = row ? sqlite3_column_int64(s, 0) : dflt;
	return store_exec(st, s, what);
}

gpg_error_t
store_begin(struct store *st, int write)
{
	int takes = st->cache != NULL && takecache_pending(st->cache);
	gpg_error_t r;

	st->writing = write;
	if ((r = store_exec(st, store_q(st, write || takes ? Q_BEGIN_WRITE : Q_BEGIN_READ), "begin")) != 0 ||
	    !takes)
		return r;
	return store_takes_apply(st);
}

gpg_error_t
store_end(struct store *st, gpg_error_t r)
{
	if (r == 0 && (r = store_exec(st, store_q(st, Q_COMMIT), "commit")) == 0) {
		/* Durable before the call answers (store_sync.c: store_unlock
		 * waits); takes written on the way need not be: their records
		 * are their durable log, and the syncer syncs them. */
		if (st->writing)
			st->ticket = store_sync_request(st, 1);
		return 0;
	}
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v != NULL ? v : "", -1, SQLITE_TRANSIENT);
}

gpg_error_t
store_check_text(const char *v, size_t max, int empty_ok)
{
	if (v == NULL)
		v = "";
	if (strnlen(v, max) >= max)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if (!empty_ok && v[0] == '\0')
		return gpg_error(GPG_ERR_INV_VALUE);
	return 0;
}

/* DIR/policyd.db: created 0600 if missing; a symlink, another owner's file
 * or one others may read is refused before SQLite sees it.  Its folder must
 * be writable by policyd's uid alone (trustpath): SQLite's -wal and -shm
 * files beside it are opened by name, and whoever may write the folder
 * could plant them.  FD stays open
 * so that the caller can check SQLite opened this very file. */
static gpg_error_t
open_file(const char *path, int *fdp, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if (trustpath_check_dir_of(path, geteuid(), err, errlen) != 0)
		return gpg_error(GPG_ERR_EPERM);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s%s", path, strerror(e),
		         e == ELOOP ? " (a symbolic link: policyd's state must be a plain file)" : "");
		return gpg_error_from_errno(e);
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto bad;
	}
	if (sb.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by signet-policyd's uid %lu: chown it",
		         path, (unsigned long)sb.st_uid, (unsigned long)geteuid());
		goto bad;
	}
	if ((sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %03o lets others read policyd's state: chmod 600 it",
		         path, (unsigned)(sb.st_mode & 0777));
		goto bad;
	}
	*fdp = fd;
	return 0;
bad:
	close(fd);
	return gpg_error(GPG_ERR_EPERM);
}

static gpg_error_t
db_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "policyd.db: %s: %s", sql, msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return map_rc(rc);
}

/* The connection's settings: exclusive WAL,
 * synchronous=NORMAL with store_sync.c's own fdatasync of the log after
 * each write commit (a commit is on disk before anything depending on it
 * answers: DESIGN's "a grant use is committed before the signature is
 * returned"). */
static gpg_error_t
db_configure(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	gpg_error_t r;
	int ok;

	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if ((r = db_exec(st, "PRAGMA foreign_keys = ON", err, errlen)) != 0 ||
	    (r = db_exec(st, "PRAGMA trusted_schema = OFF", err, errlen)) != 0)
		return r;
	/* The file is policyd's alone while it runs (no other program reads
	 * or writes another one's state; the CLI asks policyd): exclusive
	 * locking, set before WAL, keeps the WAL index in memory and takes
	 * the file lock once, instead of two shared-memory locks and their
	 * fcntl()s per transaction (measured: 10 of the 53 us of CPU a grant
	 * use cost).  Another process opening the file while policyd runs
	 * gets SQLITE_BUSY. */
	if ((r = db_exec(st, "PRAGMA locking_mode = EXCLUSIVE", err, errlen)) != 0)
		return r;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "policyd.db: %s%s", sqlite3_errmsg(st->db),
		         sqlite3_errcode(st->db) == SQLITE_NOTADB ? " (damaged or not policyd's: restore"
		         " it from a backup, or move it away to start with no requests, grants or"
		         " TOTP enrolments)" : "");
		sqlite3_finalize(s);
		return gpg_error(GPG_ERR_EIO);
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	ok = mode != NULL && strcmp(mode, "wal") == 0;
	sqlite3_finalize(s);
	if (!ok) {
		snprintf(err, errlen, "policyd.db: cannot use write-ahead logging (WAL) in its folder");
		return gpg_error(GPG_ERR_EIO);
	}
	/* NORMAL plus store_sync.c's fdatasync of the log after each write
	 * commit: FULL's durability, with the sync of a grant use off the
	 * signing path. */
	return db_exec(st, "PRAGMA synchronous = NORMAL", err, errlen);
}

static int
user_version(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return version;
}

/* Create the schema, or check it is one this program knows.  Creating is
 * one transaction, so two policyds started at once cannot both do it; an
 * existing schema is only read (no write lock at start-up). */
static gpg_error_t
db_schema(struct store *st, char *err, size_t errlen)
{
	gpg_error_t r = 0;
	int version;

	if (user_version(st) == STORE_SCHEMA)
		return 0;
	if ((r = db_exec(st, "BEGIN IMMEDIATE", err, errlen)) != 0)
		return r;
	if ((version = user_version(st)) < 0) {
		snprintf(err, errlen, "policyd.db: %s", sqlite3_errmsg(st->db));
		r = gpg_error(GPG_ERR_BAD_DATA);
	} else if (version > STORE_SCHEMA) {
		snprintf(err, errlen, "policyd.db has schema version %d; this signet-policyd knows"
		         " versions up to %d: run a newer signet-policyd (or restore the state folder"
		         " this one made)", version, STORE_SCHEMA);
		r = gpg_error(GPG_ERR_INV_ENGINE);
	} else if (version == 0) {
		if ((r = db_exec(st, schema_v1, err, errlen)) == 0)
			r = db_exec(st, "PRAGMA user_version = 1", err, errlen);
	}
	if (r == 0)
		return db_exec(st, "COMMIT", err, errlen);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static gpg_error_t
db_prepare(struct store *st, char *err, size_t errlen)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i],
		                       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "policyd.db: preparing query %d: %s", i,
			         sqlite3_errmsg(st->db));
			return gpg_error(GPG_ERR_INTERNAL);
		}
	return 0;
}

/* SQLite opened the file FD was opened on (no swap in between). */
static gpg_error_t
db_same_file(const char *path, int fd, char *err, size_t errlen)
{
	struct stat a, b;

	if (fstat(fd, &a) != 0 || lstat(path, &b) != 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino || !S_ISREG(b.st_mode)) {
		snprintf(err, errlen, "%s: replaced while being opened", path);
		return gpg_error(GPG_ERR_EPERM);
	}
	return 0;
}

gpg_error_t
store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	struct store *st = NULL;
	char path[4096];
	int fd = -1, rc;
	gpg_error_t r;

	*out = NULL;
	snprintf(err, errlen, "store_open");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	if ((r = open_file(path, &fd, err, errlen)) != 0)
		return r;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	pthread_mutex_init(&st->lock, NULL);
	st->wal_fd = -1;
	if ((r = takecache_new(&st->cache)) != 0) {
		snprintf(err, errlen, "policyd.db: out of memory");
		goto out;
	}
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db != NULL ? sqlite3_errmsg(st->db) :
		         sqlite3_errstr(rc));
		r = map_rc(rc);
		goto out;
	}
	if ((r = db_same_file(path, fd, err, errlen)) != 0 ||
	    (r = db_configure(st, err, errlen)) != 0 || (r = db_schema(st, err, errlen)) != 0 ||
	    (r = db_prepare(st, err, errlen)) != 0 || (r = store_sync_open(st, path, err, errlen)) != 0)
		goto out;
	*out = st;
	st = NULL;
	r = 0; /* success */
	err[0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_sync_close(st);
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->q[i]);
	for (size_t i = 0; i < sizeof(st->list) / sizeof(st->list[0]); i++)
		sqlite3_finalize(st->list[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	takecache_free(st->cache);
	takecache_batch_free(&st->flush);
	free(st);
}

const char *
store_kind_name(enum store_kind k)
{
	switch (k) {
	case STORE_KIND_GRANT:
		return "grant";
	case STORE_KIND_SIGN:
		return "sign";
	}
	return "unknown";
}

const char *
store_state_name(enum store_state s)
{
	switch (s) {
	case STORE_PENDING:
		return "pending";
	case STORE_APPROVED:
		return "approved";
	case STORE_DENIED:
		return "denied";
	case STORE_EXPIRED:
		return "expired";
	case STORE_CANCELLED:
		return "cancelled";
	case STORE_USED:
		return "used";
	}
	return "unknown";
}
