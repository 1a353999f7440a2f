/* auditnodes.h — the tree's hashes of a home's trail, for proofs, without
 * ever writing: the hash store P.tree read through its own read-only
 * descriptor (doc/audit-format.md §8.1), or, when it is missing or holds
 * fewer leaves than needed, the hashes rebuilt in memory from the trail
 * (64 bytes a leaf). */
#ifndef SIGNET_AGENT_AUDITNODES_H
#define SIGNET_AGENT_AUDITNODES_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "merkle.h"

/* Leaves rebuilt in memory at most (4 GiB of hashes). */
#define AUDITNODES_MAX_REBUILD (UINT64_C(1) << 26)

struct auditnodes;

/* The nodes of the trail PATH covering at least NEED leaves.  *FROM_STORE
 * (may be NULL) says whether P.tree served.  ERR names what failed: the
 * trail too short, a bad line in it. */
gpg_error_t auditnodes_open(const char *path, uint64_t need, struct auditnodes **an,
                            int *from_store, char *err, size_t errlen);
/* The source for merkle_prove_* and merkle_range_hash. */
const struct merkle_nodes *auditnodes_src(const struct auditnodes *an);
void auditnodes_close(struct auditnodes *an);

#endif
