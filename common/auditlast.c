/* auditlast.c — at open, the trail's last checkpoint against the tree:
 * the root a checkpoint signed must be the root of the records the trail
 * holds now.  If they differ, a record at or before that size changed
 * after it was signed (or the hash store is wrong: it is rebuilt once
 * before the writer gives up).  A writer that appended to such a trail
 * would sign the change into its next checkpoint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auditlog-int.h"
#include "log.h"
#include "signednote.h"

/* How far back from the end the last checkpoint is looked for: a
 * checkpoint comes every checkpoint_every records (at most 1,000,000 of
 * at most 64 KiB, but ~300 bytes each in practice). */
#define LAST_SCAN_MAX   (64 * 1024 * 1024)
#define LAST_CHUNK      (1024 * 1024)
#define CKPT_PREFIX     "{\"event\":\"checkpoint\",\"note\":"

/* The last checkpoint line in the LEN bytes at BUF (whole lines), or NULL. */
static const char *
find_last(const char *buf, size_t len, size_t *linelen)
{
	const char *end = buf + len, *start;

	while (end > buf) {
		const char *nl = memrchr(buf, '\n', (size_t)(end - buf));

		if (nl == NULL)
			return NULL;
		start = memrchr(buf, '\n', (size_t)(nl - buf));
		start = start == NULL ? buf : start + 1;
		if ((size_t)(nl - start) > sizeof(CKPT_PREFIX) &&
		    memcmp(start, CKPT_PREFIX, sizeof(CKPT_PREFIX) - 1) == 0) {
			*linelen = (size_t)(nl - start);
			return start;
		}
		end = start;
	}
	return NULL;
}

/* Its size and root, from the note (not checked against a key: this is
 * about the trail matching what was signed). */
static gpg_error_t
parse_line(const char *line, size_t len, struct note_checkpoint *cp, uint64_t *seq)
{
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *note;
	gpg_error_t r = gpg_error(GPG_ERR_INV_DATA);

	if (rec == NULL)
		return r;
	note = json_string_value(json_object_get(rec, "note"));
	if (note != NULL && json_is_integer(json_object_get(rec, "seq")) &&
	    note_checkpoint_parse(note, strlen(note), cp, NULL) == 0) {
		*seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
		r = 0;
	}
	json_decref(rec);
	return r;
}

gpg_error_t
auditlast_check(struct audit_log *log, int *mismatch)
{
	char *buf = NULL;
	size_t want, linelen = 0;
	off_t off;
	const char *line = NULL;
	struct note_checkpoint cp;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t seq = 0;
	ssize_t n;
	gpg_error_t r = 0;

	*mismatch = 0;
	want = LAST_CHUNK;
	while (line == NULL && log->size > 0) {
		want = (off_t)want > log->size ? (size_t)log->size : want;
		off = log->size - (off_t)want;
		free(buf);
		if ((buf = malloc(want)) == NULL)
			return gpg_error_from_syserror();
		if ((n = pread(log->fd, buf, want, off)) != (ssize_t)want) {
			r = n < 0 ? gpg_error_from_syserror() : gpg_error(GPG_ERR_EIO);
			goto out;
		}
		line = find_last(buf, want, &linelen);
		if (line != NULL || (off_t)want == log->size || want >= LAST_SCAN_MAX)
			break;
		want *= 4;
	}
	if (line == NULL || parse_line(line, linelen, &cp, &seq) != 0)
		goto out;   /* none in reach (or not ours to judge): verify checks all */
	/* Its seq is the line's own word: one past the trail (an edit) would
	 * hold off every checkpoint until the trail caught up with it; a tree
	 * size not before its own line is no checkpoint this writer made. */
	log->ckpt_next = seq < log->next_seq && cp.size < seq ? seq : 0;
	log->ckpt_size = log->ckpt_next != 0 ? cp.size : 0;
	if (cp.size > merkle_store_size(log->tree) ||
	    (r = merkle_store_root(log->tree, cp.size, root)) != 0 ||
	    memcmp(root, cp.root, MERKLE_HASH_LEN) != 0)
		*mismatch = 1;
out:
	free(buf);
	return r;
}
