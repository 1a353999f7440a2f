/* audit.c — the append-only audit trail (JSON Lines through jansson).
 *
 * Durability: audit_append() writes the whole line with one write() on an
 * O_APPEND descriptor under the append mutex, then makes it durable under a
 * second mutex with group commit: whoever gets the sync mutex first
 * fdatasyncs everything written so far, and the threads whose lines that
 * covered return without another sync.  After any failed write or sync the
 * log refuses all further appends: a half-written line or pages the kernel
 * may have dropped (fsync error semantics on Linux) must not be followed by
 * records that look fine.
 *
 * A deferred log (audit_set_sync_interval) skips the sync in
 * audit_append: a background thread does it every interval, and
 * audit_close does the last one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "hex.h"
#include "log.h"

#define AUDIT_FILE_MODE 0640
#define AUDIT_VERSION   1
/* Hex of a digest or signature: RSA-4096 signatures are 512 bytes; leave
 * room for larger ones without letting a line approach AUDIT_MAX_LINE. */
#define AUDIT_MAX_BLOB  4096

struct audit_log {
	int fd;
	char *path;
	pthread_mutex_t append_lock;   /* guards next_seq, written_seq, size, failed */
	uint64_t next_seq;
	uint64_t written_seq;          /* highest seq whose line is written */
	off_t size;                    /* end of the last whole line */
	int failed;
	pthread_mutex_t sync_lock;     /* guards synced_seq, sync_failed */
	uint64_t synced_seq;           /* highest seq known to be on disk */
	int sync_failed;
	unsigned sync_ms;              /* 0: every append syncs */
	pthread_t syncer;
	pthread_mutex_t stop_lock;     /* guards stop; syncer waits on stop_cond */
	pthread_cond_t stop_cond;
	int stop;
};

static gpg_error_t
set_str(json_t *obj, const char *key, const char *value)
{
	json_t *s;
	char *esc = NULL;

	if (value == NULL)
		return 0;
	s = json_string(value);
	if (s == NULL) {
		/* Not UTF-8 (a user name or reason may hold anything): keep the
		 * record, with the bytes >= 0x80 escaped as \xNN. */
		const unsigned char *p;
		size_t n = 0, len = strlen(value);

		if (len > AUDIT_MAX_LINE / 4 || (esc = malloc(4 * len + 1)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		for (p = (const unsigned char *)value; *p != '\0'; p++) {
			if (*p >= 0x80)
				n += (size_t)snprintf(esc + n, 5, "\\x%02x", *p);
			else
				esc[n++] = (char)*p;
		}
		esc[n] = '\0';
		s = json_string(esc);
		free(esc);
		if (s == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
	}
	if (json_object_set_new(obj, key, s) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	return 0;
}

static gpg_error_t
set_int(json_t *obj, const char *key, json_int_t value)
{
	json_t *v = json_integer(value);

	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return gpg_error(GPG_ERR_ENOMEM);
	return 0;
}

static gpg_error_t
set_hex(json_t *obj, const char *key, const uint8_t *data, size_t len)
{
	char *hex = NULL;
	gpg_error_t r;

	if (data == NULL)
		return 0;
	if (len > AUDIT_MAX_BLOB)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((hex = malloc(2 * len + 1)) == NULL)
		return gpg_error_from_syserror();
	if ((r = hex_encode_lower(data, len, hex, 2 * len + 1)) == 0)
		r = set_str(obj, key, hex);
	free(hex);
	return r;
}

/* RFC 3339 UTC with microseconds: "2026-11-26T22:15:26.123456Z". */
static gpg_error_t
format_time(int64_t time_us, char *out, size_t outlen)
{
	int64_t secs = time_us / 1000000;
	int64_t us = time_us % 1000000;
	time_t t;
	struct tm tm;
	char date[32];

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((size_t)snprintf(out, outlen, "%s.%06" PRId64 "Z", date, us) >= outlen)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	return 0;
}

gpg_error_t
audit_encode(const struct audit_event *ev, uint64_t seq, int64_t time_us, char **line)
{
	json_t *obj = NULL;
	char *text = NULL;
	char when[64];
	gpg_error_t r;

	if (line != NULL)
		*line = NULL;
	if (ev == NULL || line == NULL || ev->event == NULL || seq == 0 || seq > INT64_MAX)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = format_time(time_us, when, sizeof(when))) != 0)
		return r;
	if ((obj = json_object()) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);

	if ((r = set_int(obj, "v", AUDIT_VERSION)) != 0 ||
	    (r = set_int(obj, "seq", (json_int_t)seq)) != 0 ||
	    (r = set_str(obj, "time", when)) != 0 ||
	    (r = set_str(obj, "event", ev->event)) != 0)
		goto out;
	if (ev->has_requester &&
	    ((r = set_int(obj, "uid", (json_int_t)ev->uid)) != 0 ||
	     (r = set_str(obj, "user", ev->user)) != 0 ||
	     (r = set_int(obj, "pid", (json_int_t)ev->pid)) != 0))
		goto out;
	if ((r = set_str(obj, "project", ev->project)) != 0 ||
	    (r = set_str(obj, "key_fpr", ev->key_fpr)) != 0 ||
	    (r = set_str(obj, "hash", ev->hash)) != 0 ||
	    (r = set_hex(obj, "digest", ev->digest, ev->digest_len)) != 0 ||
	    (r = set_str(obj, "result", ev->result)) != 0 ||
	    (r = set_str(obj, "reason", ev->reason)) != 0 ||
	    (r = set_hex(obj, "signature", ev->signature, ev->signature_len)) != 0 ||
	    (r = set_str(obj, "serial", ev->serial)) != 0 ||
	    (r = set_str(obj, "policy", ev->policy)) != 0 ||
	    (r = set_str(obj, "gen_time", ev->gen_time)) != 0 ||
	    (r = set_str(obj, "code", ev->code)) != 0 ||
	    (r = set_str(obj, "by", ev->by)) != 0)
		goto out;
	if ((ev->request > 0 && (r = set_int(obj, "request", (json_int_t)ev->request)) != 0) ||
	    (ev->grant > 0 && (r = set_int(obj, "grant", (json_int_t)ev->grant)) != 0) ||
	    (ev->use > 0 && (r = set_int(obj, "use", (json_int_t)ev->use)) != 0) ||
	    (ev->rate_seq > 0 && (r = set_int(obj, "rate_seq", (json_int_t)ev->rate_seq)) != 0))
		goto out;
	if (ev->count > 1 && (r = set_int(obj, "count", (json_int_t)ev->count)) != 0)
		goto out;

	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (text == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	/* A line must fit the bound it is read back with. */
	if (strlen(text) >= AUDIT_MAX_LINE) {
		r = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	*line = text;
	text = NULL;
	r = 0; /* success */
out:
	free(text);
	json_decref(obj);
	return r;
}

gpg_error_t
audit_parse_seq(const char *line, size_t len, uint64_t *seq)
{
	json_t *root = NULL, *v, *s;
	json_error_t jerr;
	gpg_error_t r = gpg_error(GPG_ERR_INV_DATA);

	if (seq != NULL)
		*seq = 0;
	if (line == NULL || seq == NULL || len == 0 || len > AUDIT_MAX_LINE)
		goto out;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root))
		goto out;
	v = json_object_get(root, "v");
	s = json_object_get(root, "seq");
	if (!json_is_integer(v) || json_integer_value(v) != AUDIT_VERSION ||
	    !json_is_integer(s) || json_integer_value(s) <= 0)
		goto out;
	*seq = (uint64_t)json_integer_value(s);
	r = 0; /* success */
out:
	json_decref(root);
	return r;
}

/* Read exactly LEN bytes at OFF. */
static gpg_error_t
read_at(int fd, char *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gpg_error_from_syserror();
		if (n == 0)
			return gpg_error(GPG_ERR_EOF);   /* truncated meanwhile */
		done += (size_t)n;
	}
	return 0;
}

/* The seq of the last line of the file open on RFD (SIZE bytes), 0 if the
 * file is empty. */
static gpg_error_t
read_last_seq(const char *path, int rfd, off_t size, uint64_t *seq)
{
	char *buf = NULL;
	size_t want, start;
	const char *nl;
	off_t off;
	gpg_error_t r;

	*seq = 0;
	if (size == 0)
		return 0;
	/* The last line, its newline and the newline before it. */
	want = (size_t)size < AUDIT_MAX_LINE + 2 ? (size_t)size : AUDIT_MAX_LINE + 2;
	off = size - (off_t)want;
	if ((buf = malloc(want)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if ((r = read_at(rfd, buf, want, off)) != 0) {
		log_error_e(r, "audit %s: read", path);
		goto out;
	}
	if (buf[want - 1] != '\n') {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: last line is not terminated (torn write?); repair the trail by hand",
		          path);
		goto out;
	}
	nl = want >= 2 ? memrchr(buf, '\n', want - 1) : NULL;
	if (nl == NULL && off != 0) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: last line longer than %d bytes; repair the trail by hand",
		          path, AUDIT_MAX_LINE);
		goto out;
	}
	start = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
	if ((r = audit_parse_seq(buf + start, want - 1 - start, seq)) != 0) {
		log_error("audit %s: last line is not a valid record (JSON object with v=1 and "
		          "seq>0); repair the trail by hand", path);
		goto out;
	}
	if (*seq >= INT64_MAX) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: sequence exhausted", path);
		goto out;
	}
	r = 0; /* success */
out:
	free(buf);
	return r;
}

gpg_error_t
audit_open(const char *path, struct audit_log **logp)
{
	struct audit_log *log = NULL;
	struct stat st, rst;
	int rfd = -1;
	uint64_t last = 0;
	gpg_error_t r;

	if (logp != NULL)
		*logp = NULL;
	if (path == NULL || logp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((log = calloc(1, sizeof(*log))) == NULL)
		return gpg_error_from_syserror();
	log->fd = -1;
	if ((log->path = strdup(path)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}

	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	               AUDIT_FILE_MODE);
	if (log->fd < 0) {
		int e = errno;

		r = gpg_error_from_errno(e);
		log_error_e(r, "audit %s: open%s", path,
		            e == ELOOP ? " (symbolic links are refused)" : "");
		goto out;
	}
	if (fstat(log->fd, &st) != 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "audit %s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: not a regular file", path);
		goto out;
	}
	/* O_WRONLY cannot read back; a second descriptor must be the same
	 * file, not one swapped in under the same name. */
	rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (rfd < 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "audit %s: open for reading", path);
		goto out;
	}
	if (fstat(rfd, &rst) != 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "audit %s: fstat", path);
		goto out;
	}
	if (rst.st_dev != st.st_dev || rst.st_ino != st.st_ino) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: file replaced while opening", path);
		goto out;
	}
	if ((r = read_last_seq(path, rfd, rst.st_size, &last)) != 0)
		goto out;

	log->next_seq = last + 1;
	log->written_seq = last;
	log->synced_seq = last;
	log->size = rst.st_size;
	if (pthread_mutex_init(&log->append_lock, NULL) != 0) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	if (pthread_mutex_init(&log->sync_lock, NULL) != 0) {
		pthread_mutex_destroy(&log->append_lock);
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	pthread_mutex_init(&log->stop_lock, NULL);
	pthread_cond_init(&log->stop_cond, NULL);
	*logp = log;
	log = NULL;
	r = 0; /* success */
out:
	if (rfd >= 0)
		close(rfd);
	if (log != NULL) {
		if (log->fd >= 0)
			close(log->fd);
		free(log->path);
		free(log);
	}
	return r;
}

void
audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	if (log->sync_ms != 0) {
		pthread_mutex_lock(&log->stop_lock);
		log->stop = 1;
		pthread_cond_signal(&log->stop_cond);
		pthread_mutex_unlock(&log->stop_lock);
		pthread_join(log->syncer, NULL); /* its last round syncs the rest */
	}
	pthread_cond_destroy(&log->stop_cond);
	pthread_mutex_destroy(&log->stop_lock);
	pthread_mutex_destroy(&log->append_lock);
	pthread_mutex_destroy(&log->sync_lock);
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
}

static gpg_error_t
write_all(int fd, const char *buf, size_t len)
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

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Make every record up to SEQ durable, sharing the fdatasync with the
 * other threads waiting for it (group commit). */
static gpg_error_t
sync_upto(struct audit_log *log, uint64_t seq)
{
	uint64_t target;
	gpg_error_t r;

	pthread_mutex_lock(&log->sync_lock);
	if (log->sync_failed) {
		/* A later fdatasync may report success for pages already lost. */
		pthread_mutex_unlock(&log->sync_lock);
		log_error("audit %s: not durable after an earlier fdatasync failure", log->path);
		return gpg_error(GPG_ERR_EIO);
	}
	if (log->synced_seq < seq) {
		pthread_mutex_lock(&log->append_lock);
		target = log->written_seq;
		pthread_mutex_unlock(&log->append_lock);
		if (fdatasync(log->fd) != 0) {
			r = gpg_error_from_syserror();
			pthread_mutex_lock(&log->append_lock);
			log->failed = 1;
			pthread_mutex_unlock(&log->append_lock);
			log->sync_failed = 1;
			pthread_mutex_unlock(&log->sync_lock);
			log_error_e(r, "audit %s: fdatasync", log->path);
			return r;
		}
		log->synced_seq = target;
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

/* The record, and with SYNC (on a log that does not defer) its sync. */
static gpg_error_t
append(struct audit_log *log, const struct audit_event *ev, int sync, uint64_t *seqp)
{
	char *line = NULL;
	size_t len;
	uint64_t seq = 0;
	gpg_error_t r;

	if (seqp != NULL)
		*seqp = 0;
	if (log == NULL || ev == NULL)
		return gpg_error(GPG_ERR_INV_ARG);

	pthread_mutex_lock(&log->append_lock);
	if (log->failed) {
		pthread_mutex_unlock(&log->append_lock);
		log_error("audit %s: refusing to append after an earlier write failure", log->path);
		return gpg_error(GPG_ERR_EIO);
	}
	seq = log->next_seq;
	/* Time under the lock, so that time order follows seq order. */
	if ((r = audit_encode(ev, seq, now_us(), &line)) != 0) {
		pthread_mutex_unlock(&log->append_lock);
		log_error_e(r, "audit %s: encode", log->path);
		goto out;
	}
	len = strlen(line);
	line[len] = '\n';   /* replaces the NUL; the length is explicit below */
	r = write_all(log->fd, line, len + 1);
	if (r != 0) {
		/* A full disk or a file size limit can leave part of the line
		 * behind.  Cut it off, so the trail stays whole lines and this
		 * seq is used by the next record; if even that fails, stop
		 * appending for good (audit_open will refuse the torn line). */
		if (ftruncate(log->fd, log->size) != 0) {
			log->failed = 1;
			log_error("audit %s: cannot cut a partly written line (%s): refusing "
			          "every further record", log->path, strerror(errno));
		}
		pthread_mutex_unlock(&log->append_lock);
		log_error_e(r, "audit %s: write of record %llu", log->path, (unsigned long long)seq);
		goto out;
	}
	log->size += (off_t)(len + 1);
	log->next_seq = seq + 1;
	log->written_seq = seq;
	pthread_mutex_unlock(&log->append_lock);

	if (sync && log->sync_ms == 0 && (r = sync_upto(log, seq)) != 0)
		goto out;
	if ((!sync || log->sync_ms != 0) && log->sync_failed) {
		r = gpg_error(GPG_ERR_EIO);
		log_error("audit %s: not durable after an earlier fdatasync failure", log->path);
		goto out;
	}
	if (seqp != NULL)
		*seqp = seq;
	r = 0; /* success */
out:
	free(line);
	return r;
}

gpg_error_t
audit_append(struct audit_log *log, const struct audit_event *ev, uint64_t *seqp)
{
	return append(log, ev, 1, seqp);
}

gpg_error_t
audit_write(struct audit_log *log, const struct audit_event *ev, uint64_t *seqp)
{
	return append(log, ev, 0, seqp);
}

gpg_error_t
audit_sync(struct audit_log *log, uint64_t seq)
{
	if (log == NULL || seq == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	return sync_upto(log, seq);
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
