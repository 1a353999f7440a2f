/* provetree.c — see provetree.h.  A rebuilt tree keeps its nodes in the
 * hash store's order (merkle_store_node_pos), which is the order
 * merkle_state_append reports them in. */
#include "provetree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "merkle-store.h"
#include "trailread.h"

struct provetree {
	struct merkle_store *store;   /* NULL: rebuilt */
	uint8_t (*node)[MERKLE_HASH_LEN];
	uint64_t nnodes, cap;
	uint64_t size;
	struct merkle_nodes src;
};

static gpg_error_t
mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct provetree *pt = ctx;
	uint64_t at = merkle_store_node_pos(level, index);

	if (at >= pt->nnodes)
		return gpg_error(GPG_ERR_INV_ARG);
	memcpy(out, pt->node[at], MERKLE_HASH_LEN);
	return 0;
}

static gpg_error_t
keep_nodes(struct provetree *pt, uint8_t made[][MERKLE_HASH_LEN], unsigned nmade)
{
	void *grown;

	if (pt->nnodes + nmade > pt->cap) {
		uint64_t cap = pt->cap == 0 ? 4096 : pt->cap * 2;

		if (cap > SIZE_MAX / MERKLE_HASH_LEN || (grown = realloc(pt->node, cap * MERKLE_HASH_LEN)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		pt->node = grown;
		pt->cap = cap;
	}
	memcpy(pt->node[pt->nnodes], made, (size_t)nmade * MERKLE_HASH_LEN);
	pt->nnodes += nmade;
	return 0;
}

/* Hash the first SIZE lines of TRAIL. */
static gpg_error_t
rebuild(struct provetree *pt, const char *trail, uint64_t size, char *err, size_t errlen)
{
	uint8_t made[MERKLE_MAX_LEVELS][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct merkle_state st;
	struct trail_reader *tr = NULL;
	struct trail_line line;
	unsigned nmade;
	gpg_error_t r;

	merkle_state_init(&st);
	if ((r = trail_open(trail, 0, &tr, err, errlen)) != 0)
		return r;
	while (st.size < size) {
		if ((r = trail_next(tr, &line, err, errlen)) != 0) {
			if (gpg_err_code(r) == GPG_ERR_EOF)
				errbuf_set(err, errlen, "%s has fewer than %llu records", trail, (unsigned long long)size);
			goto out;
		}
		merkle_hash_leaf(line.data, line.len, leaf);
		if ((r = merkle_state_append(&st, leaf, made, &nmade)) != 0 ||
		    (r = keep_nodes(pt, made, nmade)) != 0) {
			errbuf_set(err, errlen, "rebuilding the tree of %s: %s", trail, gpg_strerror(r));
			goto out;
		}
	}
	pt->src.get = mem_get;
	pt->src.ctx = pt;
	pt->src.size = size;
out:
	trail_close(tr);
	return r;
}

gpg_error_t
provetree_open(const char *trail, uint64_t size, struct provetree **ptp, int *rebuilt, char *err,
               size_t errlen)
{
	struct provetree *pt = calloc(1, sizeof(*pt));
	char path[PATH_MAX];
	gpg_error_t r;

	*ptp = NULL;
	*rebuilt = 0;
	if (pt == NULL)
		return gpg_error_from_syserror();
	pt->size = size;
	if (snprintf(path, sizeof(path), "%s.tree", trail) >= (int)sizeof(path)) {
		r = gpg_error(GPG_ERR_ENAMETOOLONG);
		goto out;
	}
	/* a missing store is not an error here: look before the store logs one */
	r = access(path, F_OK) != 0 && errno == ENOENT ? gpg_error(GPG_ERR_ENOENT) :
	    merkle_store_open(path, MERKLE_STORE_READONLY, &pt->store);
	if (gpg_err_code(r) == GPG_ERR_ENOENT) {
		*rebuilt = 1;
		r = rebuild(pt, trail, size, err, errlen);
	} else if (r != 0) {
		errbuf_set(err, errlen, "%s: %s", path, gpg_strerror(r));
	} else if (merkle_store_size(pt->store) < size) {
		errbuf_set(err, errlen, "%s holds %llu leaves, fewer than the checkpoint's %llu: it is not this "
		           "trail's store (remove it to prove from the trail alone)", path,
		           (unsigned long long)merkle_store_size(pt->store), (unsigned long long)size);
		r = gpg_error(GPG_ERR_BAD_DATA);
	} else {
		merkle_store_nodes(pt->store, &pt->src);
	}
	if (r == 0) {
		*ptp = pt;
		pt = NULL;
	}
out:
	provetree_close(pt);
	return r;
}

void
provetree_close(struct provetree *pt)
{
	if (pt == NULL)
		return;
	merkle_store_close(pt->store);
	free(pt->node);
	free(pt);
}

gpg_error_t
provetree_prove(struct provetree *pt, uint64_t index, const uint8_t leaf[MERKLE_HASH_LEN], uint64_t size,
                uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *len, uint8_t root[MERKLE_HASH_LEN],
                char *err, size_t errlen)
{
	uint8_t have[MERKLE_HASH_LEN];
	gpg_error_t r;

	if ((r = pt->src.get(pt->src.ctx, 0, index, have)) != 0 ||
	    (r = merkle_range_hash(&pt->src, 0, size, root)) != 0 ||
	    (r = merkle_prove_inclusion(&pt->src, index, size, proof, len)) != 0) {
		errbuf_set(err, errlen, "reading the tree's hashes: %s", gpg_strerror(r));
		return r;
	}
	if (memcmp(have, leaf, MERKLE_HASH_LEN) != 0) {
		errbuf_set(err, errlen, "the hash store's leaf %llu is not the hash of that record: the store "
		           "is not this trail's (remove it to prove from the trail alone)",
		           (unsigned long long)index);
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	return 0;
}
