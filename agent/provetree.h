/* provetree.h — the tree hashes `signet audit prove` takes its inclusion
 * proof from: the trail's hash store P.tree, opened read-only (a daemon
 * may be appending to it), or, when there is none, every node rebuilt in
 * memory from the trail (64 bytes a leaf; said on stderr). */
#ifndef SIGNET_AGENT_PROVETREE_H
#define SIGNET_AGENT_PROVETREE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "merkle.h"

struct provetree;

/* Hashes for the first SIZE leaves of the trail TRAIL (its current
 * segment's path; the store is TRAIL.tree).  *REBUILT: 1 when the store
 * was missing.  ERR (ERRLEN) says why on error. */
gpg_error_t provetree_open(const char *trail, uint64_t size, struct provetree **pt, int *rebuilt,
                           char *err, size_t errlen);
void provetree_close(struct provetree *pt);

/* The inclusion proof of leaf INDEX, whose leaf hash must be LEAF, in the
 * tree of SIZE leaves, and its root.  GPG_ERR_BAD_DATA when the hashes
 * disagree with LEAF (the store is not this trail's). */
gpg_error_t provetree_prove(struct provetree *pt, uint64_t index, const uint8_t leaf[MERKLE_HASH_LEN],
                            uint64_t size, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len,
                            uint8_t root[MERKLE_HASH_LEN], char *err, size_t errlen);

#endif
