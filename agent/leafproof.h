/* leafproof.h — the inclusion proof of one record, from the tree hashes of
 * its trail (auditnodes.h), checked against the record itself first: a
 * hash store beside a trail it was not built from must not yield a proof
 * for the wrong leaf. */
#ifndef SIGNET_AGENT_LEAFPROOF_H
#define SIGNET_AGENT_LEAFPROOF_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "merkle.h"

/* The proof of leaf INDEX, whose leaf hash must be LEAF, in the tree of
 * the first SIZE leaves of SRC, and that tree's ROOT.  GPG_ERR_BAD_DATA
 * when SRC's leaf INDEX is not LEAF; ERR (ERRLEN) says what failed. */
gpg_error_t leafproof_make(const struct merkle_nodes *src, uint64_t index, const uint8_t leaf[MERKLE_HASH_LEN],
                           uint64_t size, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len,
                           uint8_t root[MERKLE_HASH_LEN], char *err, size_t errlen);

#endif
