/* audittree.c — the trail's Merkle hash store P.tree (doc/audit-format.md
 * §8.1) at open: it is derived data, written with each record but not
 * synced with it, so after a crash it can be short, long or torn.  Bring
 * it to exactly the trail's leaves before the first append: catch up the
 * missing leaves from the trail, or rebuild it when it disagrees.
 *
 * A catch-up reads from the newest segment that starts at or before the
 * first missing leaf (each segment past the first opens with a record
 * whose seq says where), not from segment 1: a store a crash left a few
 * leaves short costs a read of the current segment, not of the whole
 * trail, and works when the early segments are archived elsewhere.
 * Whatever it makes is checked against the trail's last leaf; a store
 * that does not match is rebuilt from segment 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditlog-int.h"
#include "auditline.h"
#include "auditseg.h"
#include "log.h"
#include "trailread.h"

#define TREE_NAME_MAX 4096

/* Does leaf N-1 of the store equal LEAF? */
static int
last_leaf_matches(struct merkle_store *st, uint64_t n, const uint8_t leaf[MERKLE_HASH_LEN])
{
	struct merkle_nodes src;
	uint8_t have[MERKLE_HASH_LEN];

	if (n == 0)
		return 1;
	merkle_store_nodes(st, &src);
	if (src.get(src.ctx, 0, n - 1, have) != 0)
		return 0;
	return memcmp(have, leaf, MERKLE_HASH_LEN) == 0;
}

/* The leaf index of the first line of segment K (its seq - 1), or -1
 * when the segment is missing, empty or does not start with a record. */
static int64_t
segment_start(const char *path, unsigned k)
{
	const struct auditline_member *seq;
	struct trail_reader *tr = NULL;
	struct trail_line line;
	struct auditline rec;
	const char *why = NULL;
	char err[256];
	int64_t start = -1;

	if (trail_open(path, k, &tr, err, sizeof(err)) != 0)
		return -1;
	if (trail_next(tr, &line, err, sizeof(err)) == 0 && auditline_scan(line.data, line.len, &rec, &why, NULL) == 0 &&
	    (seq = auditline_get(&rec, "seq")) != NULL && !seq->is_string && seq->num >= 1)
		start = seq->num - 1;
	trail_close(tr);
	return start;
}

/* Append the leaves of every trail line from leaf index FROM on. */
static gpg_error_t
feed(struct audit_log *log, struct merkle_store *st, uint64_t from)
{
	struct trail_reader *tr = NULL;
	struct trail_line line;
	uint8_t leaf[MERKLE_HASH_LEN];
	char err[512] = "";
	int64_t start = 0;
	unsigned k = 0;
	gpg_error_t r;

	for (k = from > 0 ? log->segment : 0; k >= 2; k--)
		if ((start = segment_start(log->path, k)) >= 0 && (uint64_t)start <= from)
			break;
	if (k < 2) {
		k = 0;
		start = 0;
	}
	if ((r = trail_open(log->path, k, &tr, err, sizeof(err))) != 0) {
		log_error("audit %s: cannot rebuild its hash store: %s%s", log->path, err,
		          gpg_err_code(r) == GPG_ERR_ENOENT ? " (restore the archived segments, or move "
		          "the trail and its .tree aside to start a new one)" : "");
		return r;
	}
	trail_set_index(tr, (uint64_t)start);
	while ((r = trail_next(tr, &line, err, sizeof(err))) == 0) {
		if (line.index < from)
			continue;
		merkle_hash_leaf(line.data, line.len, leaf);
		if ((r = merkle_store_append(st, leaf)) != 0)
			break;
	}
	if (gpg_err_code(r) == GPG_ERR_EOF)
		r = 0;
	else
		log_error_e(r, "audit %s: cannot rebuild its hash store%s%s", log->path,
		            err[0] != '\0' ? ": " : "", err);
	trail_close(tr);
	return r;
}

/* Open the store NAME, cutting a torn tail; one that is not a store at
 * all (a crash can leave its header zeroed on some file systems) is made
 * anew, to be filled from the trail. */
static gpg_error_t
open_store(struct audit_log *log, const char *name, struct merkle_store **st)
{
	gpg_error_t r;

	r = merkle_store_open(name, MERKLE_STORE_CREATE | MERKLE_STORE_CUT_TORN, st);
	if (gpg_err_code(r) != GPG_ERR_INV_DATA)
		return r;
	log_error("audit %s: rebuilding its hash store %s from the trail", log->path, name);
	if (unlink(name) != 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "audit %s: cannot remove %s; move it aside", log->path, name);
		return r;
	}
	return merkle_store_open(name, MERKLE_STORE_CREATE, st);
}

gpg_error_t
audittree_open(struct audit_log *log, uint64_t last_seq, const uint8_t last_leaf[MERKLE_HASH_LEN])
{
	char name[TREE_NAME_MAX];
	struct merkle_store *st = NULL;
	uint64_t have;
	gpg_error_t r;

	if ((r = auditseg_sidecar(log->path, ".tree", name, sizeof(name))) != 0)
		return r;
	if ((r = open_store(log, name, &st)) != 0)
		return r;
	have = merkle_store_size(st);
	if (have < last_seq) {
		log_info("audit %s: hash store has %llu of %llu leaves; adding the rest from the trail",
		         log->path, (unsigned long long)have, (unsigned long long)last_seq);
		if ((r = feed(log, st, have)) != 0)
			goto out;
		have = merkle_store_size(st);
	}
	if (have != last_seq || !last_leaf_matches(st, have, last_leaf)) {
		log_error("audit %s: hash store %s does not match the trail (%llu leaves, trail %llu); "
		          "rebuilding it from the trail", log->path, name, (unsigned long long)have,
		          (unsigned long long)last_seq);
		merkle_store_close(st);
		st = NULL;
		if (unlink(name) != 0 && errno != ENOENT) {
			r = gpg_error_from_syserror();
			goto out;
		}
		if ((r = merkle_store_open(name, MERKLE_STORE_CREATE, &st)) != 0 ||
		    (r = feed(log, st, 0)) != 0)
			goto out;
		if (merkle_store_size(st) != last_seq || !last_leaf_matches(st, last_seq, last_leaf)) {
			r = gpg_error(GPG_ERR_INV_DATA);
			log_error("audit %s: the trail's records do not count up to seq %llu; examine it "
			          "with `signet audit verify`", log->path, (unsigned long long)last_seq);
			goto out;
		}
	}
	log->tree = st;
	st = NULL;
	r = 0; /* success */
out:
	if (st != NULL)
		merkle_store_close(st);
	return r;
}
