/* store_sync.c — durability of the store's commits (store_db.h).
 *
 * The database runs with synchronous=NORMAL, and every committed write is
 * made durable here with fdatasync() of its write-ahead log before the
 * call that made it answers: the same guarantee as synchronous=FULL (in
 * WAL mode FULL syncs the log at each commit and nothing else).  Doing it
 * ourselves lets a signature's grant use reach the disk while the HSM
 * signs: store_take commits, a syncer thread syncs the log, and the
 * engine waits for that (store_sync) only before it writes the audit
 * record — so a record never names a use the store could lose.
 *
 * fdatasync() makes a file's data durable whichever descriptor names it.
 * The log is one inode for as long as the connection is open (SQLite
 * rewrites it from the start after a checkpoint and removes it only when
 * the last connection closes), and checkpoints sync it themselves in
 * NORMAL mode. */
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void *
syncer_main(void *arg)
{
	struct store *st = arg;
	uint64_t gen;
	int rc;

	pthread_mutex_lock(&st->sync_lock);
	for (;;) {
		while (!st->sync_stop && st->synced_gen >= st->want_gen)
			pthread_cond_wait(&st->sync_cond, &st->sync_lock);
		if (st->synced_gen >= st->want_gen)
			break;
		gen = st->want_gen;
		pthread_mutex_unlock(&st->sync_lock);
		rc = fdatasync(st->wal_fd);
		pthread_mutex_lock(&st->sync_lock);
		if (rc != 0 && st->sync_err == 0) {
			/* Like the audit trail: after a failed sync nothing
			 * can be trusted to be on disk; every later wait fails. */
			st->sync_err = gpg_error_from_errno(errno);
			log_error("policyd.db-wal: fdatasync: %s; the state store refuses every "
			          "right from now on (restart signet-policyd)", strerror(errno));
		}
		st->synced_gen = gen;
		pthread_cond_broadcast(&st->sync_done);
	}
	pthread_mutex_unlock(&st->sync_lock);
	return NULL;
}

gpg_error_t
store_sync_open(struct store *st, const char *db_path, char *err, size_t errlen)
{
	char wal[4200];

	pthread_mutex_init(&st->sync_lock, NULL);
	pthread_cond_init(&st->sync_cond, NULL);
	pthread_cond_init(&st->sync_done, NULL);
	st->sync_inited = 1;
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if ((st->wal_fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errlen, "%s: %s (the state store's write-ahead log)", wal, strerror(errno));
		return gpg_error_from_errno(errno);
	}
	if (pthread_create(&st->syncer, NULL, syncer_main, st) != 0) {
		snprintf(err, errlen, "policyd.db: cannot start its syncer thread");
		close(st->wal_fd);
		st->wal_fd = -1;
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
		pthread_mutex_lock(&st->sync_lock);
		st->sync_stop = 1;
		pthread_cond_signal(&st->sync_cond);
		pthread_mutex_unlock(&st->sync_lock);
		pthread_join(st->syncer, NULL);
	}
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	pthread_cond_destroy(&st->sync_done);
	pthread_cond_destroy(&st->sync_cond);
	pthread_mutex_destroy(&st->sync_lock);
}

uint64_t
store_sync_request(struct store *st)
{
	uint64_t gen;

	pthread_mutex_lock(&st->sync_lock);
	gen = ++st->want_gen;
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
