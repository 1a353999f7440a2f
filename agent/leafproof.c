/* leafproof.c — see leafproof.h. */
#include "leafproof.h"

#include <string.h>

#include "errbuf.h"

gpg_error_t
leafproof_make(const struct merkle_nodes *src, uint64_t index, const uint8_t leaf[MERKLE_HASH_LEN],
               uint64_t size, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len,
               uint8_t root[MERKLE_HASH_LEN], char *err, size_t errlen)
{
	uint8_t have[MERKLE_HASH_LEN];
	gpg_error_t r;

	if (index >= size || size > src->size) {
		errbuf_set(err, errlen, "leaf %llu is not in the tree of %llu leaves (%llu hashed)",
		           (unsigned long long)index, (unsigned long long)size, (unsigned long long)src->size);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((r = src->get(src->ctx, 0, index, have)) != 0 || (r = merkle_range_hash(src, 0, size, root)) != 0 ||
	    (r = merkle_prove_inclusion(src, index, size, proof, len)) != 0) {
		errbuf_set(err, errlen, "reading the tree's hashes: %s", gpg_strerror(r));
		return r;
	}
	if (memcmp(have, leaf, MERKLE_HASH_LEN) != 0) {
		errbuf_set(err, errlen, "the tree's leaf %llu is not the hash of that record: the hash store "
		           "is not this trail's (move it away to prove from the trail alone)",
		           (unsigned long long)index);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}
