/* auditlog.c — the append-only audit log: open, append, sync, close.
 *
 * Durability: an append writes the whole line with one write() on an
 * O_APPEND descriptor under the append mutex and adds its leaf to the
 * Merkle hash store (audittree.c), then makes it durable under a second
 * mutex with group commit: whoever gets the sync mutex first fdatasyncs
 * everything written so far, and the threads whose lines that covered
 * return without another sync.  A server that knows records are on their
 * way (audit_expect: a signature being made) lets that thread wait a
 * little for them first, so that one sync covers them too.  After any
 * failed write or sync the log refuses all further appends: a
 * half-written line or pages the kernel may have dropped (fsync error
 * semantics on Linux) must not be followed by records that look fine.
 *
 * The hash store is derived data and is not synced with each record:
 * audittree.c brings it up to date from the trail at open.
 *
 * A deferred log (audit_set_sync_interval) skips the sync in
 * audit_append: a background thread does it every interval, and
 * audit_close does the last one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auditlog-int.h"
#include "log.h"
#include "monotime.h"

int64_t
auditlog_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

gpg_error_t
auditlog_write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gpg_error_from_syserror();
		if (n == 0)
			return gpg_error(GPG_ERR_EIO);
		done += (size_t)n;
	}
	return 0;
}

/* Open PATH for appending and reading back: a regular file, never
 * through a symbolic link. */
static gpg_error_t
open_segment(const char *path, int *fdp, off_t *size)
{
	struct stat st;
	int fd, e;
	gpg_error_t r;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, AUDIT_FILE_MODE);
	if (fd < 0) {
		e = errno;
		r = gpg_error_from_errno(e);
		log_error_e(r, "audit %s: open%s", path, e == ELOOP ? " (symbolic links are refused)" : "");
		return r;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: not a regular file", path);
		close(fd);
		return r;
	}
	*fdp = fd;
	*size = st.st_size;
	return 0;
}

static gpg_error_t
init_locks(struct audit_log *log)
{
	if (pthread_mutex_init(&log->append_lock, NULL) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	pthread_mutex_init(&log->sync_lock, NULL);
	pthread_mutex_init(&log->stop_lock, NULL);
	pthread_cond_init(&log->stop_cond, NULL);
	pthread_cond_init(&log->written_cond, NULL);
	pthread_cond_init(&log->ckpt_cond, NULL);
	return 0;
}

/* The last checkpoint must sign the records the trail holds: else rebuild
 * the hash store once (it may be what is wrong), and if that does not
 * help, refuse to go on writing to a trail changed after it was signed. */
static gpg_error_t
check_last_checkpoint(struct audit_log *log, uint64_t last, const uint8_t leaf[MERKLE_HASH_LEN])
{
	char tree[4096];
	int mismatch = 0;
	gpg_error_t r;

	if ((r = auditlast_check(log, &mismatch)) != 0 || !mismatch)
		return r;
	log_error("audit %s: its last checkpoint does not match the hash store; rebuilding the store "
	          "from the trail", log->path);
	merkle_store_close(log->tree);
	log->tree = NULL;
	snprintf(tree, sizeof(tree), "%s.tree", log->path);
	if (unlink(tree) != 0 && errno != ENOENT)
		return gpg_error_from_syserror();
	if ((r = audittree_open(log, last, leaf)) != 0 || (r = auditlast_check(log, &mismatch)) != 0)
		return r;
	if (mismatch) {
		log_error("audit %s: the trail's records are not those its last checkpoint signed: a "
		          "record was changed, removed or added after it; nothing more is written to it. "
		          "Run `signet audit verify` to find the place, then keep the trail as evidence "
		          "and start a new one", log->path);
		return gpg_error(GPG_ERR_BAD_SIGNATURE);
	}
	return 0;
}

/* The tail of the current segment: quarantine a torn line, then the last
 * record (from the highest sealed segment when the current one is
 * empty), the hash store, and the records a fresh segment or a
 * quarantine owes the trail. */
static gpg_error_t
open_tail(struct audit_log *log)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	uint64_t last = 0;
	int64_t moved = 0;
	char qname[512] = "";
	int from_sealed = 0;
	gpg_error_t r;

	if ((r = audittail_quarantine(log->path, log->fd, log->size, &log->size, &moved, qname,
	                              sizeof(qname))) != 0)
		return r;
	if ((r = auditroll_scan(log, &last, leaf, &from_sealed)) != 0)
		return r;
	if (!from_sealed && (r = audittail_last(log->path, log->fd, log->size, &last, leaf)) != 0)
		return r;
	log->next_seq = last + 1;
	log->written_seq = last;
	log->synced_seq = last;
	if ((r = audittree_open(log, last, leaf)) != 0 || (r = check_last_checkpoint(log, last, leaf)) != 0)
		return r;
	pthread_mutex_lock(&log->append_lock);
	if (from_sealed)
		r = auditroll_open_record(log);
	if (r == 0 && moved > 0) {
		struct audit_event ev = {
			.event = "quarantine", .file = qname, .size = moved,
			.reason = "the trail's last line was torn (a crash while writing it); its bytes "
			          "were never a record and were moved to the quarantine file",
		};
		r = auditlog_write_locked(log, &ev, NULL);
	}
	pthread_mutex_unlock(&log->append_lock);
	if (r == 0 && (from_sealed || moved > 0) && fdatasync(log->fd) != 0)
		r = gpg_error_from_syserror();
	if (r == 0)
		log->synced_seq = log->written_seq;
	return r;
}

gpg_error_t
audit_open(const char *path, struct audit_log **logp)
{
	struct audit_log *log = NULL;
	gpg_error_t r;

	if (logp != NULL)
		*logp = NULL;
	if (path == NULL || logp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((log = calloc(1, sizeof(*log))) == NULL)
		return gpg_error_from_syserror();
	log->fd = -1;
	log->segment_max = AUDIT_SEGMENT_DEFAULT;
	if ((log->path = strdup(path)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if ((r = init_locks(log)) != 0)
		goto out;
	if ((r = open_segment(path, &log->fd, &log->size)) != 0)
		goto out;
	if ((r = open_tail(log)) != 0)
		goto out;
	log->ckpt_time_us = auditlog_now_us();
	*logp = log;
	log = NULL;
	r = 0; /* success */
out:
	audit_close(log);
	return r;
}

void
audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	audit_stop_checkpoints(log);   /* writes the last checkpoint */
	if (log->sync_ms != 0) {
		pthread_mutex_lock(&log->stop_lock);
		log->stop = 1;
		pthread_cond_signal(&log->stop_cond);
		pthread_mutex_unlock(&log->stop_lock);
		pthread_join(log->syncer, NULL); /* its last round syncs the rest */
	}
	if (log->tree != NULL)
		merkle_store_close(log->tree);
	pthread_cond_destroy(&log->ckpt_cond);
	pthread_cond_destroy(&log->written_cond);
	pthread_cond_destroy(&log->stop_cond);
	pthread_mutex_destroy(&log->stop_lock);
	pthread_mutex_destroy(&log->append_lock);
	pthread_mutex_destroy(&log->sync_lock);
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
}

/* Before a sync: wait (bounded) for the records audit_expect announced,
 * so that this one fdatasync covers them too.  Only those announced
 * before the wait count: a steady stream of new ones must not hold it.
 * And when records came in while the last sync ran (several clients are
 * signing), a lone record would otherwise get a sync of its own while the
 * next is a round trip away: then wait for one more, briefly.  A single
 * client never sees a record arrive during its own sync, so it never
 * waits. */
long
auditlog_group_wait_ns(const struct audit_log *log, unsigned *want)
{
	long wait_ns = 0;

	*want = 0;
	/* Waiting delays this record's answer to save the records it waits
	 * for a sync of their own: worth it only while a signature is quick
	 * next to a sync (a slow disk).  Where a signature takes a quarter
	 * of a sync or more (this VM: P-256 0.3 ms, RSA-3072 2.5 ms, a sync
	 * 0.5 ms), the waits cost more than they save: they put the clients
	 * in step, all wanting the CPU at once (measured: two RSA-3072
	 * clients 13-19 % faster without them, two P-256 sessions through
	 * gpg-agent 10 %).  Both waits are bounded by the sync's time. */
	if (log->sync_ns > 0 && log->expect_ns > log->sync_ns / 4)
		return 0;
	if (log->expected > 0) {
		*want = log->expected;
		wait_ns = AUDIT_GROUP_WAIT_MS * 1000000L;
	} else if (log->arrived_in_sync > 0 && log->written_seq - log->synced_seq < 2) {
		*want = 1;   /* lingering: for one more record */
		wait_ns = AUDIT_GROUP_LINGER_US * 1000L;
	}
	if (log->sync_ns > 0 && wait_ns > log->sync_ns)
		wait_ns = log->sync_ns;
	return wait_ns;
}

static void
await_expected(struct audit_log *log)
{
	struct timespec until;
	uint64_t from;
	unsigned want;
	long wait_ns;

	pthread_mutex_lock(&log->append_lock);
	from = log->written_seq;
	wait_ns = auditlog_group_wait_ns(log, &want);
	if (wait_ns > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += wait_ns;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (log->written_seq - from < want && (log->expected > 0 || log->written_seq == from) &&
		       pthread_cond_timedwait(&log->written_cond, &log->append_lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&log->append_lock);
}

/* Make every record up to SEQ durable, sharing the fdatasync with the
 * other threads waiting for it (group commit). */
static gpg_error_t
sync_upto(struct audit_log *log, uint64_t seq)
{
	uint64_t target;
	int64_t t0 = 0;
	gpg_error_t r;

	pthread_mutex_lock(&log->sync_lock);
	if (log->sync_failed) {
		/* A later fdatasync may report success for pages already lost. */
		pthread_mutex_unlock(&log->sync_lock);
		log_error("audit %s: not durable after an earlier fdatasync failure", log->path);
		return gpg_error(GPG_ERR_EIO);
	}
	if (log->synced_seq < seq) {
		await_expected(log);
		pthread_mutex_lock(&log->append_lock);
		target = log->written_seq;
		if (log->roll_synced >= seq)
			target = 0;   /* a segment roll synced it already */
		pthread_mutex_unlock(&log->append_lock);
		t0 = target != 0 ? monotime_ns() : 0;
		if (target != 0 && fdatasync(log->fd) != 0) {
			r = gpg_error_from_syserror();
			pthread_mutex_lock(&log->append_lock);
			log->failed = 1;
			pthread_mutex_unlock(&log->append_lock);
			log->sync_failed = 1;
			pthread_mutex_unlock(&log->sync_lock);
			log_error_e(r, "audit %s: fdatasync", log->path);
			return r;
		}
		pthread_mutex_lock(&log->append_lock);
		log->arrived_in_sync = target != 0 && log->written_seq > target;
		if (target != 0)   /* a moving average over the last ~8 syncs */
			log->sync_ns = log->sync_ns == 0 ? monotime_ns() - t0
			                                 : (7 * log->sync_ns + (monotime_ns() - t0)) / 8;
		pthread_mutex_unlock(&log->append_lock);
		if (target > log->synced_seq)
			log->synced_seq = target;
		if (log->synced_seq < seq)
			log->synced_seq = seq;   /* covered by the roll */
	}
	pthread_mutex_unlock(&log->sync_lock);
	return 0;
}

static uint64_t
written(struct audit_log *log)
{
	uint64_t w;

	pthread_mutex_lock(&log->append_lock);
	w = log->written_seq;
	pthread_mutex_unlock(&log->append_lock);
	return w;
}

static void *
syncer_main(void *arg)
{
	struct audit_log *log = arg;
	struct timespec until;
	int stop = 0;

	while (!stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(log->sync_ms % 1000) * 1000000L;
		until.tv_sec += log->sync_ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&log->stop_lock);
		while (!log->stop && pthread_cond_timedwait(&log->stop_cond, &log->stop_lock, &until) == 0)
			;
		stop = log->stop;
		pthread_mutex_unlock(&log->stop_lock);
		/* A failure is logged and stops every later append. */
		(void)sync_upto(log, written(log));
	}
	return NULL;
}

gpg_error_t
audit_set_sync_interval(struct audit_log *log, unsigned ms)
{
	if (log == NULL || ms == 0 || ms > AUDIT_MAX_SYNC_MS || log->sync_ms != 0)
		return gpg_error(GPG_ERR_INV_ARG);
	log->sync_ms = ms;
	if (pthread_create(&log->syncer, NULL, syncer_main, log) != 0) {
		log->sync_ms = 0;
		return gpg_error(GPG_ERR_ENOMEM);
	}
	return 0;
}

gpg_error_t
audit_set_segment_size(struct audit_log *log, uint64_t bytes)
{
	if (log == NULL || bytes < AUDIT_SEGMENT_MIN)
		return gpg_error(GPG_ERR_INV_ARG);
	pthread_mutex_lock(&log->append_lock);
	log->segment_max = bytes;
	pthread_mutex_unlock(&log->append_lock);
	return 0;
}

gpg_error_t
auditlog_write_locked(struct audit_log *log, const struct audit_event *ev, uint64_t *seqp)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	char *line = NULL;
	size_t len;
	uint64_t seq = log->next_seq;
	gpg_error_t r;

	if (log->failed) {
		log_error("audit %s: refusing to append after an earlier write failure", log->path);
		return gpg_error(GPG_ERR_EIO);
	}
	/* Time under the lock, so that time order follows seq order. */
	if ((r = audit_encode(ev, seq, auditlog_now_us(), &line)) != 0) {
		log_error_e(r, "audit %s: encode", log->path);
		return r;
	}
	len = strlen(line);
	merkle_hash_leaf(line, len, leaf);
	line[len] = '\n';   /* replaces the NUL; the length is explicit below */
	if ((r = auditlog_write_all(log->fd, line, len + 1)) != 0) {
		/* A full disk or a file size limit can leave part of the line
		 * behind.  Cut it off, so the trail stays whole lines and this
		 * seq is used by the next record; if even that fails, stop
		 * appending for good (the next open quarantines the torn line). */
		if (ftruncate(log->fd, log->size) != 0) {
			log->failed = 1;
			log_error("audit %s: cannot cut a partly written line (%s): refusing "
			          "every further record", log->path, strerror(errno));
		}
		log_error_e(r, "audit %s: write of record %llu", log->path, (unsigned long long)seq);
		goto out;
	}
	log->size += (off_t)(len + 1);
	log->next_seq = seq + 1;
	log->written_seq = seq;
	/* The line is in the trail: a tree that cannot take its leaf would
	 * make every later proof wrong, so stop here too. */
	if ((r = merkle_store_append(log->tree, leaf)) != 0) {
		log->failed = 1;
		log_error_e(r, "audit %s: the hash store refused leaf %llu: refusing every further "
		            "record (the store is rebuilt from the trail at the next start)", log->path,
		            (unsigned long long)(seq - 1));
		goto out;
	}
	if (seqp != NULL)
		*seqp = seq;
	r = 0; /* success */
out:
	free(line);
	return r;
}

/* The record, and with SYNC (on a log that does not defer) its sync.
 * EXPECTED: it is one that audit_expect announced, at SINCE (its return;
 * 0: unknown). */
static gpg_error_t
append(struct audit_log *log, const struct audit_event *ev, int sync, int expected, int64_t since,
       uint64_t *seqp)
{
	uint64_t seq = 0;
	gpg_error_t r;
	long took;

	if (seqp != NULL)
		*seqp = 0;
	if (log == NULL || ev == NULL)
		return gpg_error(GPG_ERR_INV_ARG);

	pthread_mutex_lock(&log->append_lock);
	if ((r = auditroll_owed(log)) == 0)
		r = auditlog_write_locked(log, ev, &seq);
	if (r == 0)
		r = auditroll_maybe(log);
	if (expected && log->expected > 0)
		log->expected--;
	if (expected && since > 0) {
		took = (long)(monotime_ns() - since);
		/* A moving average over the last ~8, as for sync_ns. */
		log->expect_ns = log->expect_ns == 0 ? took : (7 * log->expect_ns + took) / 8;
	}
	pthread_cond_broadcast(&log->written_cond);
	if (log->ckpt != NULL && auditckpt_wake_wanted(log))
		pthread_cond_signal(&log->ckpt_cond);
	pthread_mutex_unlock(&log->append_lock);
	if (r != 0)
		return r;

	if (sync && log->sync_ms == 0 && (r = sync_upto(log, seq)) != 0)
		return r;
	if ((!sync || log->sync_ms != 0) && log->sync_failed) {
		log_error("audit %s: not durable after an earlier fdatasync failure", log->path);
		return gpg_error(GPG_ERR_EIO);
	}
	if (seqp != NULL)
		*seqp = seq;
	return 0;
}

gpg_error_t
audit_append(struct audit_log *log, const struct audit_event *ev, uint64_t *seqp)
{
	return append(log, ev, 1, 0, 0, seqp);
}

gpg_error_t
audit_append_expected(struct audit_log *log, const struct audit_event *ev, int64_t since,
                      uint64_t *seqp)
{
	return append(log, ev, 1, 1, since, seqp);
}

gpg_error_t
audit_write(struct audit_log *log, const struct audit_event *ev, uint64_t *seqp)
{
	return append(log, ev, 0, 0, 0, seqp);
}

gpg_error_t
audit_sync(struct audit_log *log, uint64_t seq)
{
	if (log == NULL || seq == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	return sync_upto(log, seq);
}

int64_t
audit_expect(struct audit_log *log)
{
	pthread_mutex_lock(&log->append_lock);
	log->expected++;
	pthread_mutex_unlock(&log->append_lock);
	return monotime_ns();
}

void
audit_expect_cancel(struct audit_log *log)
{
	pthread_mutex_lock(&log->append_lock);
	if (log->expected > 0)
		log->expected--;
	pthread_cond_broadcast(&log->written_cond);
	pthread_mutex_unlock(&log->append_lock);
}

uint64_t
audit_last_seq(struct audit_log *log)
{
	uint64_t seq;

	pthread_mutex_lock(&log->append_lock);
	seq = log->next_seq - 1;
	pthread_mutex_unlock(&log->append_lock);
	return seq;
}
