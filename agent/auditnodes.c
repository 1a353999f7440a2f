/* auditnodes.c — a trail's tree hashes, read-only (auditnodes.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "auditnodes.h"
#include "auditseg.h"
#include "errbuf.h"
#include "merkle-store.h"
#include "trailread.h"

#define STORE_MAGIC_LEN 8

struct auditnodes {
	int fd;                          /* the store, or -1 */
	uint8_t (*mem)[MERKLE_HASH_LEN]; /* or the hashes rebuilt, in store order */
	uint64_t nmem, capmem;
	struct merkle_nodes src;
};

/* The number of hashes a store of N leaves holds: S(N) = 2N - popcount(N),
 * which is where leaf N's hash would go. */
static uint64_t
stored_for(uint64_t n)
{
	return merkle_store_node_pos(0, n);
}

static gpg_error_t
get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct auditnodes *an = ctx;
	uint64_t pos = merkle_store_node_pos(level, index);
	ssize_t got;

	if (an->mem != NULL) {
		if (pos >= an->nmem)
			return gpg_error(GPG_ERR_INV_ARG);
		memcpy(out, an->mem[pos], MERKLE_HASH_LEN);
		return 0;
	}
	got = pread(an->fd, out, MERKLE_HASH_LEN, (off_t)(STORE_MAGIC_LEN + pos * MERKLE_HASH_LEN));
	if (got < 0)
		return gpg_error_from_syserror();
	return got == MERKLE_HASH_LEN ? 0 : gpg_error(GPG_ERR_EOF);
}

/* The store beside PATH, if it is one: its leaf count in *SIZE. */
static void
open_store(const char *path, struct auditnodes *an, uint64_t *size)
{
	char file[4096], magic[STORE_MAGIC_LEN];
	struct stat sb;
	uint64_t hashes, lo = 0, hi;

	*size = 0;
	if (auditseg_sidecar(path, ".tree", file, sizeof(file)) != 0 ||
	    (an->fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if (fstat(an->fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < STORE_MAGIC_LEN ||
	    pread(an->fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, MERKLE_STORE_MAGIC, sizeof(magic)) != 0) {
		close(an->fd);
		an->fd = -1;
		return;
	}
	/* Whole leaves only: a torn tail is left as it is, and unread. */
	hashes = (uint64_t)(sb.st_size - STORE_MAGIC_LEN) / MERKLE_HASH_LEN;
	hi = hashes < MERKLE_MAX_SIZE ? hashes : MERKLE_MAX_SIZE;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (stored_for(mid) <= hashes)
			lo = mid;
		else
			hi = mid - 1;
	}
	*size = lo;
}

static gpg_error_t
keep(struct auditnodes *an, uint8_t made[][MERKLE_HASH_LEN], unsigned nmade)
{
	if (an->nmem + nmade > an->capmem) {
		uint64_t cap = an->capmem == 0 ? 4096 : an->capmem * 2;
		void *grown = realloc(an->mem, cap * MERKLE_HASH_LEN);

		if (grown == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		an->mem = grown;
		an->capmem = cap;
	}
	memcpy(an->mem[an->nmem], made, (size_t)nmade * MERKLE_HASH_LEN);
	an->nmem += nmade;
	return 0;
}

/* The first NEED leaves of the trail PATH, hashed in memory. */
static gpg_error_t
rebuild(const char *path, uint64_t need, struct auditnodes *an, char *err, size_t errlen)
{
	uint8_t made[MERKLE_MAX_LEVELS][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct trail_reader *tr = NULL;
	struct merkle_state st;
	struct trail_line l;
	unsigned nmade;
	gpg_error_t r;

	if (need > AUDITNODES_MAX_REBUILD) {
		errbuf_set(err, errlen, "%s.tree is missing or short, and %llu leaves are too many to "
		           "rebuild in memory", path, (unsigned long long)need);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if ((r = trail_open(path, 0, &tr, err, errlen)) != 0)
		return r;
	merkle_state_init(&st);
	while (st.size < need && (r = trail_next(tr, &l, err, errlen)) == 0) {
		merkle_hash_leaf(l.data, l.len, leaf);
		if ((r = merkle_state_append(&st, leaf, made, &nmade)) != 0 ||
		    (r = keep(an, made, nmade)) != 0)
			break;
	}
	trail_close(tr);
	if (gpg_err_code(r) == GPG_ERR_EOF) {
		errbuf_set(err, errlen, "%s holds %llu records, fewer than the %llu asked for", path,
		           (unsigned long long)st.size, (unsigned long long)need);
		return gpg_error(GPG_ERR_NO_DATA);
	}
	an->src.size = st.size;
	return r;
}

gpg_error_t
auditnodes_open(const char *path, uint64_t need, struct auditnodes **anp, int *from_store,
                char *err, size_t errlen)
{
	struct auditnodes *an = calloc(1, sizeof(*an));
	uint64_t size = 0;
	gpg_error_t r = 0;

	if (an == NULL)
		return gpg_error_from_syserror();
	an->fd = -1;
	an->src.get = get_node;
	an->src.ctx = an;
	open_store(path, an, &size);
	if (an->fd >= 0 && size >= need) {
		an->src.size = size;
	} else {
		if (an->fd >= 0)
			close(an->fd);
		an->fd = -1;
		r = rebuild(path, need, an, err, errlen);
	}
	if (r != 0) {
		auditnodes_close(an);
		return r;
	}
	if (from_store != NULL)
		*from_store = an->fd >= 0;
	*anp = an;
	return 0;
}

const struct merkle_nodes *
auditnodes_src(const struct auditnodes *an)
{
	return &an->src;
}

void
auditnodes_close(struct auditnodes *an)
{
	if (an == NULL)
		return;
	if (an->fd >= 0)
		close(an->fd);
	free(an->mem);
	free(an);
}
