/* auditroll.c — segment files (doc/audit-format.md §8.3): find where the
 * trail stands at open, roll the current segment over when it is full,
 * and write the segment record that opens each new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "auditlog-int.h"
#include "auditseg.h"
#include "hex.h"
#include "log.h"

#define ROLL_NAME_MAX 4096

gpg_error_t
auditroll_scan(struct audit_log *log, uint64_t *last, uint8_t leaf[MERKLE_HASH_LEN], int *from_sealed)
{
	char name[ROLL_NAME_MAX];
	unsigned *ks = NULL;
	size_t n = 0;
	struct stat st;
	int fd = -1;
	gpg_error_t r;

	*from_sealed = 0;
	if ((r = auditseg_list(log->path, &ks, &n)) != 0) {
		log_error_e(r, "audit %s: cannot list its sealed segments", log->path);
		return r;
	}
	log->segment = n == 0 ? 1 : ks[n - 1] + 1;
	if (n == 0 || log->size != 0 || log->segment > AUDITSEG_MAX) {
		r = log->segment > AUDITSEG_MAX ? gpg_error(GPG_ERR_TOO_LARGE) : 0;
		if (r != 0)
			log_error("audit %s: segment numbers exhausted; archive the trail", log->path);
		goto out;
	}
	/* The current segment is new: the trail goes on from the last record
	 * of the highest sealed one (a crash right after a roll, or a restart
	 * after the current segment was archived with the rest). */
	if ((r = auditseg_name(log->path, ks[n - 1], name, sizeof(name))) != 0)
		goto out;
	/* O_NONBLOCK: a FIFO in its place must not hold the open for good. */
	fd = open(name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "audit %s: open", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("audit %s: not a regular file; move it aside", name);
		goto out;
	}
	if ((r = audittail_last(name, fd, st.st_size, last, leaf)) != 0)
		goto out;
	*from_sealed = *last != 0;
out:
	if (fd >= 0)
		close(fd);
	free(ks);
	return r;
}

gpg_error_t
auditroll_open_record(struct audit_log *log)
{
	const struct merkle_state *state = merkle_store_state(log->tree);
	uint8_t enc[MERKLE_STATE_MAX_ENC];
	char hex[2 * MERKLE_STATE_MAX_ENC + 1];
	size_t len;
	struct audit_event ev = { .event = "segment" };
	gpg_error_t r;

	if ((r = merkle_state_encode(state, enc, sizeof(enc), &len)) != 0 ||
	    (r = hex_encode_lower(enc, len, hex, sizeof(hex))) != 0)
		return r;
	ev.segment = log->segment;
	ev.has_tree_size = 1;
	ev.tree_size = state->size;
	ev.frontier = hex;
	return auditlog_write_locked(log, &ev, NULL);
}

gpg_error_t
auditroll_owed(struct audit_log *log)
{
	gpg_error_t r;

	if (!log->segment_owed)
		return 0;
	if ((r = auditroll_open_record(log)) == 0)
		log->segment_owed = 0;
	return r;
}

/* Seal the current segment as number K and put a new, empty one in its
 * place: the new file is made under a temporary name first, so that the
 * trail's name never points at nothing. */
static gpg_error_t
roll(struct audit_log *log)
{
	char sealed[ROLL_NAME_MAX], fresh[ROLL_NAME_MAX];
	int fd = -1;
	gpg_error_t r;

	if ((r = auditseg_name(log->path, log->segment, sealed, sizeof(sealed))) != 0 ||
	    (r = auditseg_sidecar(log->path, ".new", fresh, sizeof(fresh))) != 0)
		return r;
	/* Everything written so far must be durable before it is sealed. */
	if (fdatasync(log->fd) != 0)
		return gpg_error_from_syserror();
	log->roll_synced = log->written_seq;
	(void)unlink(fresh);   /* a leftover of a crash mid-roll: never a record */
	fd = open(fresh, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	          AUDIT_FILE_MODE);
	if (fd < 0)
		return gpg_error_from_syserror();
	if (renameat2(AT_FDCWD, log->path, AT_FDCWD, sealed, RENAME_NOREPLACE) != 0) {
		r = gpg_error_from_syserror();
		goto fail;
	}
	if (rename(fresh, log->path) != 0) {
		r = gpg_error_from_syserror();
		(void)rename(sealed, log->path);   /* undo: keep writing where we were */
		goto fail;
	}
	if ((r = atomicfile_sync_parent(log->path)) != 0)
		log_error_e(r, "audit %s: fsync of its folder after a roll", log->path);
	if (dup2(fd, log->fd) < 0) {
		/* The new name is in place but we cannot write to it: stop, and
		 * the next open goes on from the sealed segment. */
		r = gpg_error_from_syserror();
		log->failed = 1;
		close(fd);
		return r;
	}
	close(fd);
	log->size = 0;
	log->segment++;
	log_info("audit %s: segment %u sealed as %s", log->path, log->segment - 1, sealed);
	log->segment_owed = 1;
	if ((r = auditroll_owed(log)) != 0)
		log_error_e(r, "audit %s: cannot write the record that opens segment %u; it goes "
		            "before the next record", log->path, log->segment);
	return 0;   /* the roll is done; the next append pays what it owes */
fail:
	close(fd);
	(void)unlink(fresh);
	return r;
}

gpg_error_t
auditroll_maybe(struct audit_log *log)
{
	gpg_error_t r;

	if ((uint64_t)log->size < log->segment_max || (uint64_t)log->size < log->roll_retry)
		return 0;
	if (log->segment >= AUDITSEG_MAX) {
		log_error("audit %s: segment numbers exhausted; the current segment keeps growing",
		          log->path);
		log->segment_max = UINT64_MAX;
		return 0;
	}
	if ((r = roll(log)) != 0 && !log->failed) {
		/* The record is written; only the roll failed: keep appending to
		 * the current segment, and try again once it has grown a little
		 * (a try costs an fdatasync and a log line: not each record). */
		log->roll_retry = (uint64_t)log->size + AUDIT_SEGMENT_MIN;
		log_error_e(r, "audit %s: cannot roll over to a new segment; still appending to the "
		            "current one, trying again after another %llu KiB", log->path,
		            (unsigned long long)(AUDIT_SEGMENT_MIN / 1024));
		return 0;
	}
	if (r == 0)
		log->roll_retry = 0;
	return r;
}
