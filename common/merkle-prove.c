/* merkle-prove.c — inclusion and consistency proofs (RFC 9162 §2.1.3.1,
 * §2.1.4.1) from a source of perfect-subtree hashes (merkle.h).
 *
 * The RFC defines both proofs recursively, each level appending one hash
 * after the deeper levels' hashes.  Here the recursion runs as a loop from
 * the top, collecting the hashes in the opposite order, and the result is
 * reversed at the end. */
#include <string.h>

#include "merkle.h"

/* The largest power of two strictly below N (N > 1). */
static uint64_t
split_point(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

gpg_error_t
merkle_range_hash(const struct merkle_nodes *src, uint64_t begin, uint64_t end,
                  uint8_t out[MERKLE_HASH_LEN])
{
	struct { unsigned level; uint64_t index; } part[MERKLE_MAX_LEVELS + 1];
	unsigned nparts = 0;
	uint8_t h[MERKLE_HASH_LEN];
	uint64_t pos = begin;
	gpg_error_t r;

	if (begin >= end || end > src->size || end > MERKLE_MAX_SIZE)
		return gpg_error(GPG_ERR_INV_ARG);
	/* Cut the range into aligned perfect subtrees, largest first; an
	 * aligned range gives strictly shrinking ones, and MTH is then their
	 * fold from the right.  Growing ones mean BEGIN was not aligned. */
	while (pos < end) {
		unsigned level = 63 - (unsigned)__builtin_clzll(end - pos);

		if (pos != 0 && (unsigned)__builtin_ctzll(pos) < level)
			level = (unsigned)__builtin_ctzll(pos);
		if (nparts > 0 && level >= part[nparts - 1].level)
			return gpg_error(GPG_ERR_INV_ARG);
		part[nparts].level = level;
		part[nparts].index = pos >> level;
		nparts++;
		pos += UINT64_C(1) << level;
	}
	if ((r = src->get(src->ctx, part[nparts - 1].level, part[nparts - 1].index, out)) != 0)
		return r;
	for (unsigned i = nparts - 1; i-- > 0;) {
		if ((r = src->get(src->ctx, part[i].level, part[i].index, h)) != 0)
			return r;
		merkle_hash_node(h, out, out);
	}
	return 0;
}

static void
reverse(uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t len)
{
	uint8_t t[MERKLE_HASH_LEN];

	for (size_t i = 0; i < len / 2; i++) {
		memcpy(t, proof[i], sizeof(t));
		memcpy(proof[i], proof[len - 1 - i], sizeof(t));
		memcpy(proof[len - 1 - i], t, sizeof(t));
	}
}

/* Where the RFC's recursion stands: the subtree D[start:start+n] and the
 * leaf (or old size) m within it. */
struct descent {
	uint64_t start, n, m;
};

/* One level down: into the left subtree (its sibling, the right one, is
 * the proof hash) or the right one; OUT gets the sibling's hash. */
static gpg_error_t
descend(const struct merkle_nodes *src, struct descent *d, int left, uint8_t out[MERKLE_HASH_LEN])
{
	uint64_t k = split_point(d->n), start = d->start, n = d->n;

	if (left) {
		d->n = k;
		return merkle_range_hash(src, start + k, start + n, out);
	}
	d->start += k;
	d->m -= k;
	d->n -= k;
	return merkle_range_hash(src, start, start + k, out);
}

gpg_error_t
merkle_prove_inclusion(const struct merkle_nodes *src, uint64_t index, uint64_t size,
                       uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len)
{
	struct descent d = { 0, size, index };
	size_t count = 0;
	gpg_error_t r;

	*len = 0;
	if (index >= size || size > src->size || size > MERKLE_MAX_SIZE)
		return gpg_error(GPG_ERR_INV_ARG);
	while (d.n > 1) {
		if ((r = descend(src, &d, d.m < split_point(d.n), proof[count])) != 0)
			return r;
		count++;
	}
	reverse(proof, count);
	*len = count;
	return 0;
}

gpg_error_t
merkle_prove_consistency(const struct merkle_nodes *src, uint64_t size1, uint64_t size2,
                         uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len)
{
	struct descent d = { 0, size2, size1 };
	size_t count = 0;
	int whole = 1;   /* the RFC's b: still on the old tree's left edge */
	gpg_error_t r;

	*len = 0;
	if (size1 > size2 || size2 > src->size || size2 > MERKLE_MAX_SIZE)
		return gpg_error(GPG_ERR_INV_ARG);
	if (size1 == 0 || size1 == size2)
		return 0;
	while (d.m != d.n) {
		int left = d.m <= split_point(d.n);

		if ((r = descend(src, &d, left, proof[count])) != 0)
			return r;
		whole &= left;
		count++;
	}
	/* SUBPROOF(m, D[m], false) = MTH(D[m]); with b true the verifier
	 * already has that hash, the old root. */
	if (!whole) {
		if ((r = merkle_range_hash(src, d.start, d.start + d.n, proof[count])) != 0)
			return r;
		count++;
	}
	reverse(proof, count);
	*len = count;
	return 0;
}
