/* merkle.h — the RFC 9162 (RFC 6962) Merkle tree over SHA-256 that makes
 * an audit trail a verifiable log (doc/audit-format.md).
 *
 *   leaf hash = SHA-256(0x00 || leaf bytes)        (a trail line, no newline)
 *   node hash = SHA-256(0x01 || left || right)
 *   root of the empty tree = SHA-256("")
 *   MTH(D[n]) for n > 1 = node(MTH(D[0:k]), MTH(D[k:n])), k the largest
 *   power of two < n (RFC 9162 §2.1.1).
 *
 * Three parts:
 *   - struct merkle_state, the append-only tree's frontier: the roots of
 *     the perfect subtrees its size's set bits stand for (at most
 *     MERKLE_MAX_LEVELS hashes).  Appending a leaf and computing the root
 *     are O(log n) hash operations with no I/O; its encoding
 *     (merkle_state_encode, at most MERKLE_STATE_MAX_ENC bytes) lets a
 *     daemon persist it beside a trail segment and resume.
 *   - proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) over a source of
 *     perfect-subtree hashes (struct merkle_nodes; common/merkle-store.h
 *     keeps them on disk): a proof has at most ~log2(n) + 1 hashes, each
 *     the hash of an aligned range made of at most log2(n) perfect
 *     subtrees, so O(log² n) node reads in the worst case and O(log n) in
 *     the usual one (only the ranges on the tree's right edge are not
 *     perfect).
 *   - verification (RFC 9162 §2.1.3.2, §2.1.4.2): O(proof length) hashes,
 *     no state.
 *
 * Limits: a tree has at most MERKLE_MAX_SIZE leaves; a proof at most
 * MERKLE_MAX_PROOF hashes (checked before any hashing).
 *
 * SHA-256 is libgcrypt's: the program initialises libgcrypt
 * (gcry_check_version) before the first call, as every Signet program does.
 * Nothing here keeps global state; a struct merkle_state is the caller's
 * and not locked. */
#ifndef SIGNET_MERKLE_H
#define SIGNET_MERKLE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define MERKLE_HASH_LEN   32
/* 2^48 - 1 leaves: a trail of that many lines is far beyond any disk, and
 * the bound keeps every loop and array here small and fixed. */
#define MERKLE_MAX_LEVELS 48
#define MERKLE_MAX_SIZE   ((UINT64_C(1) << MERKLE_MAX_LEVELS) - 1)
/* An inclusion proof has at most MERKLE_MAX_LEVELS hashes, a consistency
 * proof at most MERKLE_MAX_LEVELS + 1; longer input is refused unread. */
#define MERKLE_MAX_PROOF  (MERKLE_MAX_LEVELS + 1)

/* The frontier: NODE[l] is the root of the perfect subtree of 2^l leaves
 * when bit l of SIZE is set, all zero otherwise (so two states with the
 * same leaves compare equal with memcmp). */
struct merkle_state {
	uint64_t size;
	uint8_t node[MERKLE_MAX_LEVELS][MERKLE_HASH_LEN];
};

/* Encoding: "SGMKST01" (8 bytes), size (8 bytes big-endian), then the
 * hashes of the set bits of size from the highest level to the lowest. */
#define MERKLE_STATE_MAGIC   "SGMKST01"
#define MERKLE_STATE_MAX_ENC (16 + MERKLE_MAX_LEVELS * MERKLE_HASH_LEN)

/* The leaf hash of LEN bytes at DATA (DATA may be NULL when LEN is 0). */
void merkle_hash_leaf(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN]);
/* The interior node over LEFT and RIGHT; OUT may alias either. */
void merkle_hash_node(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
                      uint8_t out[MERKLE_HASH_LEN]);
/* The root of the empty tree, SHA-256 of nothing. */
void merkle_hash_empty(uint8_t out[MERKLE_HASH_LEN]);

/* The empty tree. */
void merkle_state_init(struct merkle_state *st);

/* Append the leaf whose leaf hash is LEAF.  When MADE is not NULL, it gets
 * the hashes of every perfect subtree this leaf completes, from the leaf
 * itself (level 0) upwards, *NMADE of them (1 … MERKLE_MAX_LEVELS): what a
 * hash store keeps (merkle-store.h).  GPG_ERR_TOO_LARGE (ST unchanged) when
 * the tree holds MERKLE_MAX_SIZE leaves. */
gpg_error_t merkle_state_append(struct merkle_state *st, const uint8_t leaf[MERKLE_HASH_LEN],
                                uint8_t made[][MERKLE_HASH_LEN], unsigned *nmade);

/* The root of ST's tree (the empty hash for size 0). */
void merkle_state_root(const struct merkle_state *st, uint8_t out[MERKLE_HASH_LEN]);

/* Encode ST into BUF (BUFLEN bytes; MERKLE_STATE_MAX_ENC always do);
 * *OUTLEN gets the length.  GPG_ERR_BUFFER_TOO_SHORT if it does not fit. */
gpg_error_t merkle_state_encode(const struct merkle_state *st, uint8_t *buf, size_t buflen,
                                size_t *outlen);
/* Decode exactly LEN bytes at BUF into *ST.  GPG_ERR_INV_DATA for a wrong
 * magic, a size over MERKLE_MAX_SIZE or a length that does not match the
 * size (*ST is then the empty tree); *WHY (may be NULL) names the fault. */
gpg_error_t merkle_state_decode(const uint8_t *buf, size_t len, struct merkle_state *st,
                                const char **why);

/* A source of perfect-subtree hashes for proof generation: GET puts in OUT
 * the root of the perfect subtree at LEVEL whose leaves are
 * INDEX·2^LEVEL … (INDEX+1)·2^LEVEL - 1; it is called only for subtrees
 * that lie within SIZE leaves. */
struct merkle_nodes {
	gpg_error_t (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN]);
	void *ctx;
	uint64_t size;
};

/* MTH(D[BEGIN:END]) for the ranges RFC 9162's recursion produces: those
 * that split into aligned perfect subtrees of strictly decreasing size,
 * which holds whenever BEGIN is a multiple of the smallest power of two
 * >= END - BEGIN (BEGIN = 0 gives the root of the prefix of END leaves).
 * GPG_ERR_INV_ARG for an empty range, another range, or one past
 * SRC->size. */
gpg_error_t merkle_range_hash(const struct merkle_nodes *src, uint64_t begin, uint64_t end,
                              uint8_t out[MERKLE_HASH_LEN]);

/* The inclusion proof of leaf INDEX in the tree of the first SIZE leaves
 * of SRC (RFC 9162 §2.1.3.1), deepest hash first: *LEN hashes into PROOF
 * (room for MERKLE_MAX_PROOF).  GPG_ERR_INV_ARG unless
 * INDEX < SIZE <= SRC->size. */
gpg_error_t merkle_prove_inclusion(const struct merkle_nodes *src, uint64_t index, uint64_t size,
                                   uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len);

/* The consistency proof from the tree of SIZE1 leaves to that of SIZE2
 * (RFC 9162 §2.1.4.1); empty when SIZE1 is 0 or SIZE1 == SIZE2.
 * GPG_ERR_INV_ARG unless SIZE1 <= SIZE2 <= SRC->size. */
gpg_error_t merkle_prove_consistency(const struct merkle_nodes *src, uint64_t size1, uint64_t size2,
                                     uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len);

/* 0 when PROOF (LEN hashes) proves that the leaf with leaf hash LEAF is
 * leaf INDEX of the tree of SIZE leaves whose root is ROOT (RFC 9162
 * §2.1.3.2).  Otherwise GPG_ERR_INV_ARG for INDEX >= SIZE, SIZE over
 * MERKLE_MAX_SIZE or LEN over MERKLE_MAX_PROOF; GPG_ERR_BAD_DATA for a
 * proof of the wrong length or one that leads to another root.  *WHY (may
 * be NULL) gets a short reason. */
gpg_error_t merkle_verify_inclusion(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size,
                                    const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
                                    const uint8_t root[MERKLE_HASH_LEN], const char **why);

/* 0 when PROOF (LEN hashes) proves that the tree of SIZE1 leaves with root
 * ROOT1 is a prefix of the tree of SIZE2 leaves with root ROOT2 (RFC 9162
 * §2.1.4.2).  SIZE1 == SIZE2 needs an empty proof and equal roots; SIZE1
 * == 0 an empty proof and ROOT1 the empty hash.  Errors as
 * merkle_verify_inclusion (GPG_ERR_INV_ARG also for SIZE1 > SIZE2). */
gpg_error_t merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                      const uint8_t root1[MERKLE_HASH_LEN],
                                      const uint8_t root2[MERKLE_HASH_LEN],
                                      const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
                                      const char **why);

#endif
