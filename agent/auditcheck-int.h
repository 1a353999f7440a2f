/* auditcheck-int.h — what auditcheck.c and auditcheck-ckpt.c share: the
 * checker's state. */
#ifndef SIGNET_AGENT_AUDITCHECK_INT_H
#define SIGNET_AGENT_AUDITCHECK_INT_H

#include "auditcheck.h"
#include "auditline.h"

struct auditcheck {
	struct auditcheck_opts opts;
	struct merkle_state st;         /* the tree of the records checked */
	struct merkle_state start;      /* where checking started */
	int started;                    /* 0: waiting for --from-segment's record */
	struct merkle_state *snaps;     /* AUDITCHECK_SNAPS, the state every SNAP_EVERY leaves */
	uint8_t (*leaves)[MERKLE_HASH_LEN]; /* AUDITCHECK_WINDOW, the last leaf hashes */
	int64_t last_time_us;
	char hour[13];                  /* "YYYY-MM-DDTHH" of the last time parsed, */
	int64_t hour_us;                /* its µs since the epoch (-1: none) */
	struct auditcheck_summary sum;
};

/* The root of the tree of the first SIZE leaves, while SIZE is within the
 * window; GPG_ERR_NO_DATA otherwise. */
gpg_error_t auditcheck_root_at(const struct auditcheck *c, uint64_t size,
                               uint8_t out[MERKLE_HASH_LEN]);

/* The checks of a checkpoint record (auditcheck-ckpt.c), before it is a leaf. */
gpg_error_t auditcheck_checkpoint(struct auditcheck *c, const struct auditline *rec, char *why,
                                  size_t whylen);

#endif
