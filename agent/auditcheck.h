/* auditcheck.h — the checks `signet audit verify` makes on each record of
 * one trail, in order (doc/audit-format.md §2–§9): canonical form, v,
 * seq without gaps, time, the recomputed tree, checkpoints (signature,
 * origin, size, root, time-stamp token), segment and quarantine records.
 *
 * Memory is bounded whatever the trail's length: the tree's frontier, and,
 * because a checkpoint signs a size a little before its own place, the
 * frontier every AUDITCHECK_SNAP_EVERY leaves and the leaf hashes of the
 * last AUDITCHECK_WINDOW leaves (2 MiB), enough to compute the root of any
 * size that far back.  A checkpoint that lags further is refused. */
#ifndef SIGNET_AGENT_AUDITCHECK_H
#define SIGNET_AGENT_AUDITCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "merkle.h"
#include "signednote.h"
#include "trailread.h"

#define AUDITCHECK_SNAP_EVERY 256u
#define AUDITCHECK_SNAPS      256u
#define AUDITCHECK_WINDOW     (AUDITCHECK_SNAP_EVERY * AUDITCHECK_SNAPS)

struct auditcheck_opts {
	/* The key checkpoints are checked with; NULL: a checkpoint fails. */
	const struct note_vkey *key;
	/* Verify time-stamp tokens against this CA file (PEM); NULL: count
	 * them as not checked. */
	const char *tsa_ca;
	/* The trail starts at sealed segment FROM_SEGMENT (> 1): its first
	 * record is a segment record whose frontier is taken as given. */
	unsigned from_segment;
	/* Called for what is worth saying but not a failure (time going
	 * backwards, a quarantine record); MSG names the place. */
	void (*note)(void *ctx, const char *msg);
	void *note_ctx;
	/* A checkpoint kept from an earlier look (its signature already
	 * checked): the trail must still hold the tree it signs.  NULL: none. */
	const struct note_checkpoint *saved;
};

struct auditcheck_summary {
	uint64_t records;            /* lines checked */
	uint64_t first_index;        /* leaf index of the first (0 but after --from-segment) */
	uint64_t tree_size;          /* leaves in the recomputed tree */
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t checkpoints;
	uint64_t ckpt_size;          /* the last checkpoint's tree size and root */
	uint64_t ckpt_index;         /* its own leaf index */
	uint8_t ckpt_root[MERKLE_HASH_LEN];
	char origin[NOTE_MAX_NAME + 1];
	uint64_t tokens_ok, tokens_unchecked;
	uint64_t segments, quarantines;
	uint64_t time_backwards;     /* records older than the one before */
	int saved_checked;           /* opts.saved's root was compared */
};

struct auditcheck;

gpg_error_t auditcheck_new(const struct auditcheck_opts *opts, struct auditcheck **c);
void auditcheck_free(struct auditcheck *c);

/* Check the next record LINE.  0: good; GPG_ERR_BAD_DATA with WHY
 * (WHYLEN bytes) saying what is wrong and *SEQ the record's seq when it
 * has one (0 otherwise). */
gpg_error_t auditcheck_line(struct auditcheck *c, const struct trail_line *line, uint64_t *seq,
                            char *why, size_t whylen);

/* After the last line: the checks that need the whole trail (a saved
 * checkpoint beyond its end).  0 or GPG_ERR_BAD_DATA with WHY. */
gpg_error_t auditcheck_finish(struct auditcheck *c, char *why, size_t whylen);

void auditcheck_summary(const struct auditcheck *c, struct auditcheck_summary *s);

/* "2026-11-26T22:15:26.123456Z" (exactly that form) into µs since the
 * epoch; GPG_ERR_INV_VALUE otherwise. */
gpg_error_t auditcheck_parse_time(const char *s, size_t len, int64_t *us);

#endif
