/* store_sync.c — durability of the store's commits (store_db.h).
 *
 * The database runs with synchronous=NORMAL, and commits are made durable
 * here with fdatasync() of its write-ahead log by a syncer thread: the
 * same guarantee as synchronous=FULL (in WAL mode FULL syncs the log at
 * each commit and nothing else), on two schedules.
 *
 * Urgent: every write but a signature's take (requests, approvals,
 * grants, TOTP) waits for its own sync before its call answers.
 *
 * Lazy: a signature's take (grant use, rate slot) is made in memory
 * (takecache.h), not even written on the signing path.  Its audit record,
 * written after the take and made durable before the signature leaves,
 * names what it took, and is the durable log of takes: within
 * STORE_LAZY_SYNC_MS the syncer reads the audit trail's last seq, writes
 * every take made so far into SQLite (store_takes_flush; another
 * transaction may have written some before, under the store's lock,
 * so before this one's commit), syncs the log, and then writes that seq
 * into DB_PATH-synced (every record up to it was written after its take,
 * so its take is on disk now).  At start,
 * reconcile.c puts back what every sign record after that mark took.  The
 * mark is written without a sync of its own: after a crash it may be
 * older than the truth, never newer, and an older mark only makes the
 * reconcile read more (it is idempotent).
 *
 * fdatasync() makes a file's data durable whichever descriptor names it.
 * The log is one inode for as long as the connection is open (SQLite
 * rewrites it from the start after a checkpoint and removes it only when
 * the last connection closes), and checkpoints sync it themselves in
 * NORMAL mode. */
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MARK_LEN 21   /* 20 digits and a newline: one pwrite of a fixed size */

/* Wait until a sync is due: an urgent one at once, a lazy one once it has
 * waited STORE_LAZY_SYNC_MS (or at stop).  0: stop, nothing pending. */
static int
sync_due(struct store *st)
{
	struct timespec until;

	while (!st->sync_stop && st->synced_gen >= st->want_gen)
		pthread_cond_wait(&st->sync_cond, &st->sync_lock);
	if (st->synced_gen >= st->want_gen)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += STORE_LAZY_SYNC_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (!st->sync_stop && st->urgent_gen <= st->synced_gen &&
	       pthread_cond_timedwait(&st->sync_cond, &st->sync_lock, &until) != ETIMEDOUT)
		;
	return 1;
}

/* Record MARK in the mark file (see above: no sync of its own). */
static void
mark_write(struct store *st, uint64_t mark)
{
	char buf[MARK_LEN + 1];

	if (st->mark_fd < 0 || mark <= st->mark)
		return;
	snprintf(buf, sizeof(buf), "%020" PRIu64 "\n", mark);
	if (pwrite(st->mark_fd, buf, MARK_LEN, 0) == MARK_LEN)
		st->mark = mark;
	else
		log_error("policyd.db-synced: %s (the reconcile at start will read more of the trail)",
		          strerror(errno));
}

/* Under SYNC_LOCK: a failure R (of WHAT) makes the store refuse from now
 * on, like the audit trail after a failed sync: nothing can be trusted
 * to be on disk, and no mark may pass takes that are not. */
static void
fail_locked(struct store *st, gpg_error_t r, const char *what)
{
	if (st->sync_err != 0)
		return;
	st->sync_err = r;
	takecache_fail(st->cache);
	log_error_e(r, "policyd.db: %s failed; the state store refuses every right from now on "
	            "(restart signet-policyd: it puts back from the audit trail what was taken)", what);
	pthread_cond_broadcast(&st->sync_done);
}

void
store_sync_fail(struct store *st, gpg_error_t r, const char *what)
{
	pthread_mutex_lock(&st->sync_lock);
	fail_locked(st, r, what);
	pthread_mutex_unlock(&st->sync_lock);
}

static void *
syncer_main(void *arg)
{
	struct store *st = arg;
	uint64_t gen, mark;
	gpg_error_t r;

	pthread_mutex_lock(&st->sync_lock);
	while (sync_due(st)) {
		gen = st->want_gen;
		/* Before the takes are written: every record up to MARK was
		 * written after its take was made, so the takes written
		 * below (or before, by another transaction) and synced hold
		 * it. */
		mark = st->audit != NULL ? audit_last_seq(st->audit) : 0;
		pthread_mutex_unlock(&st->sync_lock);
		if ((r = store_takes_flush(st)) == 0 && fdatasync(st->wal_fd) != 0)
			r = gpg_error_from_syserror();
		pthread_mutex_lock(&st->sync_lock);
		if (r != 0)
			fail_locked(st, r, "writing and syncing the signatures' takes (policyd.db-wal)");
		else if (st->sync_err == 0)
			mark_write(st, mark);
		st->synced_gen = gen;
		pthread_cond_broadcast(&st->sync_done);
	}
	pthread_mutex_unlock(&st->sync_lock);
	return NULL;
}

/* The mark file beside DB_PATH, and the mark it holds (0: none yet). */
static gpg_error_t
mark_open(struct store *st, const char *db_path, char *err, size_t errlen)
{
	char path[4200], buf[MARK_LEN + 1], *end;
	ssize_t got;

	snprintf(path, sizeof(path), "%s-synced", db_path);
	if ((st->mark_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s (the state store's sync mark)", path, strerror(errno));
		return gpg_error_from_errno(errno);
	}
	got = pread(st->mark_fd, buf, MARK_LEN, 0);
	st->open_state = STORE_MARK_NONE;
	if (got == 0)
		return 0;
	buf[got > 0 ? got : 0] = '\0';
	errno = 0;
	st->mark = strtoull(buf, &end, 10);
	if (got == MARK_LEN && errno == 0 && *end == '\n' && end == buf + MARK_LEN - 1)
		st->open_state = STORE_MARK_SET;
	else {
		log_warn("%s: not a sync mark; the reconcile at start reads the whole audit trail", path);
		st->mark = 0;
		st->open_state = STORE_MARK_BAD;
	}
	st->open_mark = st->mark;
	return 0;
}

gpg_error_t
store_sync_open(struct store *st, const char *db_path, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	char wal[4200];
	gpg_error_t r;

	pthread_mutex_init(&st->sync_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->sync_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&st->sync_done, NULL);
	st->sync_inited = 1;
	st->mark_fd = -1;
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if ((st->wal_fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errlen, "%s: %s (the state store's write-ahead log)", wal, strerror(errno));
		return gpg_error_from_errno(errno);
	}
	if ((r = mark_open(st, db_path, err, errlen)) != 0)
		return r;
	if (pthread_create(&st->syncer, NULL, syncer_main, st) != 0) {
		snprintf(err, errlen, "policyd.db: cannot start its syncer thread");
		return gpg_error(GPG_ERR_GENERAL);
	}
	st->have_syncer = 1;
	return 0;
}

void
store_sync_close(struct store *st)
{
	if (!st->sync_inited)
		return;
	if (st->have_syncer) {
		/* The syncer syncs what is pending (and marks it) first. */
		pthread_mutex_lock(&st->sync_lock);
		st->sync_stop = 1;
		pthread_cond_signal(&st->sync_cond);
		pthread_mutex_unlock(&st->sync_lock);
		pthread_join(st->syncer, NULL);
	}
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	if (st->mark_fd >= 0)
		close(st->mark_fd);
	pthread_cond_destroy(&st->sync_done);
	pthread_cond_destroy(&st->sync_cond);
	pthread_mutex_destroy(&st->sync_lock);
}

uint64_t
store_sync_request(struct store *st, int urgent)
{
	uint64_t gen;
	int wake;

	pthread_mutex_lock(&st->sync_lock);
	/* A lazy request finds the syncer idle (wake it to start its wait)
	 * or already holding one (nothing to do: no futex wake per take). */
	wake = urgent || st->want_gen == st->synced_gen;
	gen = ++st->want_gen;
	if (urgent)
		st->urgent_gen = gen;
	if (wake)
		pthread_cond_signal(&st->sync_cond);
	pthread_mutex_unlock(&st->sync_lock);
	return gen;
}

gpg_error_t
store_sync(struct store *st, uint64_t ticket)
{
	gpg_error_t r;

	if (ticket == 0)
		return 0;
	pthread_mutex_lock(&st->sync_lock);
	while (st->synced_gen < ticket && st->sync_err == 0)
		pthread_cond_wait(&st->sync_done, &st->sync_lock);
	r = st->sync_err;
	pthread_mutex_unlock(&st->sync_lock);
	return r;
}

gpg_error_t
store_sync_now(struct store *st)
{
	return store_sync(st, store_sync_request(st, 1));
}

void
store_track_audit(struct store *st, struct audit_log *audit)
{
	pthread_mutex_lock(&st->sync_lock);
	st->audit = audit;
	pthread_mutex_unlock(&st->sync_lock);
}

enum store_mark
store_sync_mark(const struct store *st, uint64_t *seq)
{
	*seq = st->open_mark;
	return st->open_state;
}
