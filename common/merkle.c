/* merkle.c — RFC 9162 hashing, the frontier state and proof verification.
 *
 * The verification functions follow RFC 9162 §2.1.3.2 and §2.1.4.2 step
 * by step (the RFC 6962 versions accept the same proofs); every path ends
 * with the check that the size counter reached 0, which is what rejects a
 * proof with hashes added or missing. */
#include <string.h>

#include <gcrypt.h>

#include "merkle.h"

#define PREFIX_LEAF 0x00
#define PREFIX_NODE 0x01

static void
hash_parts(uint8_t prefix, const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
	gcry_buffer_t iov[3];

	memset(iov, 0, sizeof(iov));
	iov[0].data = &prefix;
	iov[0].size = iov[0].len = 1;
	iov[1].data = (void *)a;
	iov[1].size = iov[1].len = alen;
	iov[2].data = (void *)b;
	iov[2].size = iov[2].len = blen;
	gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, 3);
}

void
merkle_hash_leaf(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	static const uint8_t none[1];

	hash_parts(PREFIX_LEAF, len > 0 ? data : none, len, none, 0, out);
}

void
merkle_hash_node(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
                 uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t l[MERKLE_HASH_LEN], r[MERKLE_HASH_LEN];

	/* OUT may be LEFT or RIGHT: hash copies. */
	memcpy(l, left, sizeof(l));
	memcpy(r, right, sizeof(r));
	hash_parts(PREFIX_NODE, l, sizeof(l), r, sizeof(r), out);
}

void
merkle_hash_empty(uint8_t out[MERKLE_HASH_LEN])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, "", 0);
}

void
merkle_state_init(struct merkle_state *st)
{
	memset(st, 0, sizeof(*st));
}

gpg_error_t
merkle_state_append(struct merkle_state *st, const uint8_t leaf[MERKLE_HASH_LEN],
                    uint8_t made[][MERKLE_HASH_LEN], unsigned *nmade)
{
	uint8_t h[MERKLE_HASH_LEN];
	unsigned level = 0, n = 0;

	if (nmade != NULL)
		*nmade = 0;
	if (st->size >= MERKLE_MAX_SIZE)
		return gpg_error(GPG_ERR_TOO_LARGE);
	memcpy(h, leaf, sizeof(h));
	if (made != NULL)
		memcpy(made[n], h, sizeof(h));
	n++;
	/* Each set low bit is a perfect subtree of the same height to the
	 * left of the new one: merge, as binary addition carries. */
	while (st->size & (UINT64_C(1) << level)) {
		merkle_hash_node(st->node[level], h, h);
		memset(st->node[level], 0, MERKLE_HASH_LEN);
		level++;
		if (made != NULL)
			memcpy(made[n], h, sizeof(h));
		n++;
	}
	memcpy(st->node[level], h, sizeof(h));
	st->size++;
	if (nmade != NULL)
		*nmade = n;
	return 0;
}

void
merkle_state_root(const struct merkle_state *st, uint8_t out[MERKLE_HASH_LEN])
{
	int have = 0;

	/* The smallest subtree is the rightmost: fold right to left. */
	for (unsigned level = 0; level < MERKLE_MAX_LEVELS; level++) {
		if (!(st->size & (UINT64_C(1) << level)))
			continue;
		if (have)
			merkle_hash_node(st->node[level], out, out);
		else
			memcpy(out, st->node[level], MERKLE_HASH_LEN);
		have = 1;
	}
	if (!have)
		merkle_hash_empty(out);
}

static size_t
state_enc_len(uint64_t size)
{
	return 16 + (size_t)__builtin_popcountll(size) * MERKLE_HASH_LEN;
}

gpg_error_t
merkle_state_encode(const struct merkle_state *st, uint8_t *buf, size_t buflen, size_t *outlen)
{
	size_t need = state_enc_len(st->size), off = 16;

	*outlen = 0;
	if (buflen < need)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	memcpy(buf, MERKLE_STATE_MAGIC, 8);
	for (unsigned i = 0; i < 8; i++)
		buf[8 + i] = (uint8_t)(st->size >> (56 - 8 * i));
	for (unsigned level = MERKLE_MAX_LEVELS; level-- > 0;) {
		if (!(st->size & (UINT64_C(1) << level)))
			continue;
		memcpy(buf + off, st->node[level], MERKLE_HASH_LEN);
		off += MERKLE_HASH_LEN;
	}
	*outlen = off;
	return 0;
}

gpg_error_t
merkle_state_decode(const uint8_t *buf, size_t len, struct merkle_state *st, const char **why)
{
	uint64_t size = 0;
	size_t off = 16;
	const char *fault = NULL;

	merkle_state_init(st);
	if (len < 16 || memcmp(buf, MERKLE_STATE_MAGIC, 8) != 0)
		fault = "not a Merkle tree state (magic " MERKLE_STATE_MAGIC " expected)";
	else {
		for (unsigned i = 0; i < 8; i++)
			size = size << 8 | buf[8 + i];
		if (size > MERKLE_MAX_SIZE)
			fault = "tree size over the limit";
		else if (len != state_enc_len(size))
			fault = "length does not match the tree size (truncated or trailing bytes)";
	}
	if (fault != NULL) {
		if (why != NULL)
			*why = fault;
		return gpg_error(GPG_ERR_INV_DATA);
	}
	for (unsigned level = MERKLE_MAX_LEVELS; level-- > 0;) {
		if (!(size & (UINT64_C(1) << level)))
			continue;
		memcpy(st->node[level], buf + off, MERKLE_HASH_LEN);
		off += MERKLE_HASH_LEN;
	}
	st->size = size;
	return 0;
}

static gpg_error_t
verdict(const uint8_t got[MERKLE_HASH_LEN], const uint8_t want[MERKLE_HASH_LEN], const char *what,
        const char **why)
{
	/* Public data: no need for a constant-time compare. */
	if (memcmp(got, want, MERKLE_HASH_LEN) == 0)
		return 0;
	if (why != NULL)
		*why = what;
	return gpg_error(GPG_ERR_BAD_DATA);
}

static gpg_error_t
refuse(gpg_err_code_t code, const char *what, const char **why)
{
	if (why != NULL)
		*why = what;
	return gpg_error(code);
}

/* After a left sibling: the levels where this node is the last one of
 * its level have no sibling in the proof (RFC 9162 §2.1.3.2 step 3). */
static void
climb_right_edge(uint64_t *fn, uint64_t *sn)
{
	while (!(*fn & 1) && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

gpg_error_t
merkle_verify_inclusion(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size,
                        const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
                        const uint8_t root[MERKLE_HASH_LEN], const char **why)
{
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t fn = index, sn;

	if (size > MERKLE_MAX_SIZE)
		return refuse(GPG_ERR_INV_ARG, "tree size over the limit", why);
	if (index >= size)
		return refuse(GPG_ERR_INV_ARG, "leaf index not below the tree size", why);
	if (len > MERKLE_MAX_PROOF)
		return refuse(GPG_ERR_INV_ARG, "proof longer than any tree of this size needs", why);
	sn = size - 1;
	memcpy(r, leaf, sizeof(r));
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return refuse(GPG_ERR_BAD_DATA, "proof too long for the leaf index and tree size", why);
		if ((fn & 1) || fn == sn) {
			merkle_hash_node(proof[i], r, r);
			climb_right_edge(&fn, &sn);
		} else
			merkle_hash_node(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return refuse(GPG_ERR_BAD_DATA, "proof too short for the leaf index and tree size", why);
	return verdict(r, root, "proof leads to another root", why);
}

gpg_error_t
merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[MERKLE_HASH_LEN],
                          const uint8_t root2[MERKLE_HASH_LEN],
                          const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len, const char **why)
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN], empty[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;
	gpg_error_t r;

	if (size2 > MERKLE_MAX_SIZE)
		return refuse(GPG_ERR_INV_ARG, "tree size over the limit", why);
	if (size1 > size2)
		return refuse(GPG_ERR_INV_ARG, "first tree larger than the second", why);
	if (len > MERKLE_MAX_PROOF)
		return refuse(GPG_ERR_INV_ARG, "proof longer than any tree of this size needs", why);
	if (size1 == 0 || size1 == size2) {
		if (len != 0)
			return refuse(GPG_ERR_BAD_DATA, "proof must be empty for these sizes", why);
		if (size1 == size2)
			return verdict(root1, root2, "equal sizes with different roots", why);
		merkle_hash_empty(empty);
		return verdict(root1, empty, "first root is not the empty tree's", why);
	}
	if (len == 0)
		return refuse(GPG_ERR_BAD_DATA, "proof empty", why);
	/* §2.1.4.2 step 1: a first tree that is a perfect subtree is its own
	 * root, not sent in the proof. */
	if ((size1 & (size1 - 1)) == 0)
		memcpy(fr, root1, sizeof(fr));
	else
		memcpy(fr, proof[i++], sizeof(fr));
	memcpy(sr, fr, sizeof(sr));
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return refuse(GPG_ERR_BAD_DATA, "proof too long for the tree sizes", why);
		if ((fn & 1) || fn == sn) {
			merkle_hash_node(proof[i], fr, fr);
			merkle_hash_node(proof[i], sr, sr);
			climb_right_edge(&fn, &sn);
		} else
			merkle_hash_node(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return refuse(GPG_ERR_BAD_DATA, "proof too short for the tree sizes", why);
	if ((r = verdict(fr, root1, "proof does not lead to the first root", why)) != 0)
		return r;
	return verdict(sr, root2, "proof does not lead to the second root", why);
}
