/* merkle-store.c — the on-disk hash store (merkle-store.h).
 *
 * Post-order storage (each perfect subtree right after its last leaf) is
 * what makes the file append-only: a node never changes once written, and
 * the position of any node follows from its level and index alone, so no
 * index or interior-level files have to be kept in step with it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "merkle-store.h"

#define MAGIC_LEN 8

struct merkle_store {
	int fd;
	char *path;
	off_t len;                 /* end of the last whole leaf's hashes */
	struct merkle_state state;
	int failed;
};

/* Hashes stored for the first N leaves. */
static uint64_t
stored_for(uint64_t n)
{
	return 2 * n - (uint64_t)__builtin_popcountll(n);
}

uint64_t
merkle_store_node_pos(unsigned level, uint64_t index)
{
	uint64_t last = ((index + 1) << level) - 1;

	return stored_for(last) + level;
}

static off_t
hash_offset(uint64_t pos)
{
	return (off_t)(MAGIC_LEN + pos * MERKLE_HASH_LEN);
}

static gpg_error_t
read_exact(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gpg_error_from_syserror();
		if (n == 0)
			return gpg_error(GPG_ERR_EOF);
		done += (size_t)n;
	}
	return 0;
}

static gpg_error_t
store_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct merkle_store *store = ctx;

	if (level >= MERKLE_MAX_LEVELS || index >= (store->state.size >> level))
		return gpg_error(GPG_ERR_INV_ARG);
	return read_exact(store->fd, out, MERKLE_HASH_LEN,
	                  hash_offset(merkle_store_node_pos(level, index)));
}

/* The largest leaf count whose hashes fit in HASHES stored hashes. */
static uint64_t
leaves_in(uint64_t hashes)
{
	uint64_t lo = 0, hi = hashes < MERKLE_MAX_SIZE ? hashes : MERKLE_MAX_SIZE;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (stored_for(mid) <= hashes)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static gpg_error_t
load_frontier(struct merkle_store *store, uint64_t size)
{
	uint64_t start = 0;
	gpg_error_t r;

	merkle_state_init(&store->state);
	for (unsigned level = MERKLE_MAX_LEVELS; level-- > 0;) {
		if (!(size & (UINT64_C(1) << level)))
			continue;
		r = read_exact(store->fd, store->state.node[level], MERKLE_HASH_LEN,
		               hash_offset(merkle_store_node_pos(level, start >> level)));
		if (r != 0)
			return r;
		start += UINT64_C(1) << level;
	}
	store->state.size = size;
	return 0;
}

/* Check the magic (writing it into an empty file) and the length; cut a
 * torn tail when allowed.  *SIZE gets the leaf count. */
static gpg_error_t
check_layout(struct merkle_store *store, off_t flen, unsigned flags, uint64_t *size)
{
	char magic[MAGIC_LEN];
	uint64_t hashes, n;
	gpg_error_t r;

	*size = 0;
	if (flen == 0) {
		if (write(store->fd, MERKLE_STORE_MAGIC, MAGIC_LEN) != MAGIC_LEN) {
			r = gpg_error_from_syserror();
			log_error_e(r, "merkle store %s: write header", store->path);
			return r;
		}
		store->len = MAGIC_LEN;
		return 0;
	}
	if (flen < MAGIC_LEN || read_exact(store->fd, magic, MAGIC_LEN, 0) != 0 ||
	    memcmp(magic, MERKLE_STORE_MAGIC, MAGIC_LEN) != 0) {
		log_error("merkle store %s: not a hash store (no %s header); remove it to rebuild from the trail",
		          store->path, MERKLE_STORE_MAGIC);
		return gpg_error(GPG_ERR_INV_DATA);
	}
	hashes = (uint64_t)(flen - MAGIC_LEN) / MERKLE_HASH_LEN;
	n = leaves_in(hashes);
	if (n >= MERKLE_MAX_SIZE && stored_for(n) < hashes) {
		log_error("merkle store %s: more leaves than the limit", store->path);
		return gpg_error(GPG_ERR_INV_DATA);
	}
	store->len = hash_offset(stored_for(n));
	if (store->len != flen) {
		if (!(flags & MERKLE_STORE_CUT_TORN)) {
			log_error("merkle store %s: torn tail (%lld bytes after leaf %llu); "
			          "open it with repair to cut them", store->path,
			          (long long)(flen - store->len), (unsigned long long)n);
			return gpg_error(GPG_ERR_INV_DATA);
		}
		if (ftruncate(store->fd, store->len) != 0) {
			r = gpg_error_from_syserror();
			log_error_e(r, "merkle store %s: cut torn tail", store->path);
			return r;
		}
		log_warn("merkle store %s: cut a torn tail of %lld bytes after leaf %llu", store->path,
		         (long long)(flen - store->len), (unsigned long long)n);
	}
	*size = n;
	return 0;
}

gpg_error_t
merkle_store_open(const char *path, unsigned flags, struct merkle_store **storep)
{
	struct merkle_store *store = NULL;
	struct stat st;
	uint64_t size;
	int oflags = O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	gpg_error_t r;

	*storep = NULL;
	if ((store = calloc(1, sizeof(*store))) == NULL)
		return gpg_error_from_syserror();
	store->fd = -1;
	if ((store->path = strdup(path)) == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	if (flags & MERKLE_STORE_CREATE)
		oflags |= O_CREAT;
	if ((store->fd = open(path, oflags, MERKLE_STORE_MODE)) < 0) {
		int e = errno;

		r = gpg_error_from_errno(e);
		log_error_e(r, "merkle store %s: open%s", path,
		            e == ELOOP ? " (symbolic links are refused)" : "");
		goto out;
	}
	if (fstat(store->fd, &st) != 0) {
		r = gpg_error_from_syserror();
		log_error_e(r, "merkle store %s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = gpg_error(GPG_ERR_INV_DATA);
		log_error("merkle store %s: not a regular file", path);
		goto out;
	}
	if ((r = check_layout(store, st.st_size, flags, &size)) != 0)
		goto out;
	if ((r = load_frontier(store, size)) != 0) {
		log_error_e(r, "merkle store %s: read", path);
		goto out;
	}
	*storep = store;
	store = NULL;
	r = 0; /* success */
out:
	merkle_store_close(store);
	return r;
}

void
merkle_store_close(struct merkle_store *store)
{
	if (store == NULL)
		return;
	if (store->fd >= 0)
		close(store->fd);
	free(store->path);
	free(store);
}

uint64_t
merkle_store_size(const struct merkle_store *store)
{
	return store->state.size;
}

const struct merkle_state *
merkle_store_state(const struct merkle_store *store)
{
	return &store->state;
}

gpg_error_t
merkle_store_append(struct merkle_store *store, const uint8_t leaf[MERKLE_HASH_LEN])
{
	uint8_t made[MERKLE_MAX_LEVELS][MERKLE_HASH_LEN];
	struct merkle_state next = store->state;
	unsigned nmade;
	size_t want;
	ssize_t n;
	gpg_error_t r;

	if (store->failed)
		return gpg_error(GPG_ERR_EIO);
	if ((r = merkle_state_append(&next, leaf, made, &nmade)) != 0)
		return r;
	want = (size_t)nmade * MERKLE_HASH_LEN;
	do
		n = write(store->fd, made, want);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)want) {
		store->state = next;
		store->len += (off_t)want;
		return 0;
	}
	r = n < 0 ? gpg_error_from_syserror() : gpg_error(GPG_ERR_ENOSPC);
	log_error_e(r, "merkle store %s: append", store->path);
	/* Part of a leaf's hashes would shift every later node. */
	if (n > 0 && ftruncate(store->fd, store->len) != 0) {
		log_error_e(gpg_error_from_syserror(), "merkle store %s: cut a partial append; "
		            "appends stop until it is opened again", store->path);
		store->failed = 1;
	}
	return r;
}

gpg_error_t
merkle_store_sync(struct merkle_store *store)
{
	if (fdatasync(store->fd) != 0) {
		gpg_error_t r = gpg_error_from_syserror();

		log_error_e(r, "merkle store %s: fdatasync", store->path);
		store->failed = 1;
		return r;
	}
	return 0;
}

void
merkle_store_nodes(struct merkle_store *store, struct merkle_nodes *src)
{
	src->get = store_get;
	src->ctx = store;
	src->size = store->state.size;
}

gpg_error_t
merkle_store_root(struct merkle_store *store, uint64_t size, uint8_t out[MERKLE_HASH_LEN])
{
	struct merkle_nodes src;

	if (size > store->state.size)
		return gpg_error(GPG_ERR_INV_ARG);
	if (size == store->state.size) {
		merkle_state_root(&store->state, out);
		return 0;
	}
	if (size == 0) {
		merkle_hash_empty(out);
		return 0;
	}
	merkle_store_nodes(store, &src);
	return merkle_range_hash(&src, 0, size, out);
}
