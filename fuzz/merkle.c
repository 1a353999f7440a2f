/* fuzz/merkle.c — libFuzzer target for what common/merkle reads from
 * outside: proofs to verify (a receipt, a consistency request), an encoded
 * tree state and a hash store file.  The first byte picks which:
 *   0  merkle_state_decode of the rest; a state that decodes must encode
 *      back to the same bytes and keep appending
 *   1  merkle_verify_inclusion: index (8 bytes BE), size (8), leaf hash
 *      (32), root (32), then proof hashes
 *   2  merkle_verify_consistency: size1 (8), size2 (8), root1 (32), root2
 *      (32), then proof hashes
 *   3  the rest as a hash store file, opened with and without cutting a
 *      torn tail; roots and proofs of what it holds
 * Invariants beyond "no crash": a refusal always names its reason, and a
 * proof made from a store verifies against that store's root whenever the
 * store's hashes are those of a real tree (made here for mode 3's first
 * leaves). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "merkle-store.h"
#include "merkle.h"

#include "gcrypt-init.h"

#define FUZZ_MAX_STORE (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
fuzz_state(const uint8_t *data, size_t size)
{
	struct merkle_state st;
	uint8_t buf[MERKLE_STATE_MAX_ENC], root[MERKLE_HASH_LEN];
	size_t len;
	const char *why = NULL;

	if (merkle_state_decode(data, size, &st, &why) != 0) {
		if (why == NULL)
			__builtin_trap();
		return;
	}
	if (merkle_state_encode(&st, buf, sizeof(buf), &len) != 0 || len != size ||
	    memcmp(buf, data, size) != 0)
		__builtin_trap();
	merkle_state_root(&st, root);
	(void)merkle_state_append(&st, root, NULL, NULL);
	merkle_state_root(&st, root);
}

static void
fuzz_verify(int consistency, const uint8_t *data, size_t size)
{
	const uint8_t *h1, *h2;
	uint64_t a, b;
	size_t n;
	const char *why = NULL;
	gpg_error_t r;

	if (size < 80)
		return;
	a = get_u64(data);
	b = get_u64(data + 8);
	h1 = data + 16;
	h2 = data + 48;
	n = (size - 80) / MERKLE_HASH_LEN;
	/* Hash-sized pieces straight from the input (alignment 1 is fine). */
	if (consistency)
		r = merkle_verify_consistency(a, b, h1, h2, (const uint8_t (*)[MERKLE_HASH_LEN])(data + 80), n, &why);
	else
		r = merkle_verify_inclusion(h1, a, b, (const uint8_t (*)[MERKLE_HASH_LEN])(data + 80), n, h2, &why);
	if (r != 0 && why == NULL)
		__builtin_trap();
}

static char store_path[64];

static void
remove_store(void)
{
	unlink(store_path);
}

static void
write_file(const uint8_t *data, size_t size)
{
	int fd = open(store_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		__builtin_trap();
	close(fd);
}

static void
probe_store(struct merkle_store *s, uint64_t pick)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct merkle_nodes src;
	uint64_t n = merkle_store_size(s), i, m;
	size_t len;

	merkle_store_nodes(s, &src);
	if (n == 0)
		return;
	i = pick % n;
	m = (pick >> 20) % (n + 1);
	if (merkle_store_root(s, n, root) != 0 || merkle_store_root(s, m, root) != 0)
		__builtin_trap();
	if (merkle_prove_inclusion(&src, i, n, proof, &len) != 0 ||
	    merkle_prove_consistency(&src, m, n, proof, &len) != 0 ||
	    merkle_range_hash(&src, i, i + 1, leaf) != 0)
		__builtin_trap();
}

static void
fuzz_store(const uint8_t *data, size_t size)
{
	struct merkle_store *s = NULL;
	uint8_t leaf[MERKLE_HASH_LEN], root[MERKLE_HASH_LEN], proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct merkle_nodes src;
	uint64_t pick = size >= 8 ? get_u64(data) : size;
	size_t len;

	if (size > FUZZ_MAX_STORE)
		size = FUZZ_MAX_STORE;
	write_file(data, size);
	if (merkle_store_open(store_path, 0, &s) == 0) {
		probe_store(s, pick);
		merkle_store_close(s);
	}
	if (merkle_store_open(store_path, MERKLE_STORE_CUT_TORN, &s) != 0)
		return;
	probe_store(s, pick);
	/* Leaves appended here make a real tree only over an empty store. */
	if (merkle_store_size(s) == 0) {
		for (size_t k = 0; k < size % 37; k++) {
			merkle_hash_leaf(data, k, leaf);
			if (merkle_store_append(s, leaf) != 0)
				__builtin_trap();
		}
		if (merkle_store_size(s) > 0) {
			uint64_t n = merkle_store_size(s), i = pick % n;

			merkle_store_nodes(s, &src);
			merkle_store_root(s, n, root);
			merkle_hash_leaf(data, (size_t)i, leaf);
			if (merkle_prove_inclusion(&src, i, n, proof, &len) != 0 ||
			    merkle_verify_inclusion(leaf, i, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, len,
			                            root, NULL) != 0)
				__builtin_trap();
		}
	}
	merkle_store_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (store_path[0] == '\0') {
		int fd;

		/* Quiet: the store logs every refusal. */
		log_init("fuzz-merkle", "/dev/null", LOG_LEVEL_ERROR);
		snprintf(store_path, sizeof(store_path), "/tmp/fuzz-merkle-XXXXXX");
		if ((fd = mkstemp(store_path)) < 0)
			__builtin_trap();
		close(fd);
		atexit(remove_store);
	}
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_state(data + 1, size - 1);
		break;
	case 1:
	case 2:
		fuzz_verify(data[0] % 4 == 2, data + 1, size - 1);
		break;
	default:
		fuzz_store(data + 1, size - 1);
	}
	return 0;
}
