/* test_merkle.c — common/merkle (RFC 9162 tree, proofs) and its hash store.
 *
 * Published vectors: the 8-leaf tree of the Certificate Transparency test
 * suite (google/certificate-transparency cpp/merkletree/merkle_tree_test.cc,
 * carried on in transparency-dev/merkle proof/verify_test.go, read at
 * commit 02194e9afb6c1d95b5381350007963aa70fff472): its leaves, the root of
 * every prefix size, four inclusion proofs and five consistency proofs.
 * Our proofs must equal theirs byte for byte, and the corruptions that
 * test suite applies must be refused.
 *
 * Property tests on random trees (fixed seed) of up to PROP_LEAVES
 * leaves, against a reference written straight from RFC 9162 §2.1.1's
 * recursive MTH: every root of every prefix, every inclusion and
 * consistency proof (all of them for small trees, samples and whole rows
 * for the large one) verifies, and flipping any bit of a proof hash, the
 * root(s), the leaf hash or the index makes it fail; a flipped size fails
 * unless the tree shape along the proven path is the same for both sizes
 * (then the proof is the same proof: a proof binds the size only through
 * the root, which is why a checkpoint signs both — doc/audit-format.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <gcrypt.h>

#include "audit.h"
#include "hex.h"
#include "merkle-store.h"
#include "merkle.h"

#define H MERKLE_HASH_LEN
#define PROP_LEAVES 2100
#define SMALL 64

/* ---- The CT vectors. */
static const char *const ct_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const ct_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
static const char ct_empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct ct_proof {
	uint64_t a, b;            /* inclusion: leaf index (0-based), size; consistency: size1, size2 */
	size_t n;
	const char *hash[3];
};
/* Their inclusion vectors number leaves from 1; here from 0. */
static const struct ct_proof ct_inclusion[] = {
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, 0, { NULL } },
};
static const struct ct_proof ct_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	             "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};
/* Their "some hash" for corrupted roots. */
static const char some_hash[] = "abacaba000000000000000000000000000000000000000000060061e00123456";

static void
dh(const char *hex, uint8_t *out, size_t want)
{
	size_t n = 0;

	if (want == 0 && hex[0] == '\0')
		return;
	assert_int_equal(hex_decode(hex, strlen(hex), out, want, &n), 0);
	assert_int_equal(n, want);
}

/* ---- An in-memory source of nodes for the generator: each perfect
 * subtree recomputed from the leaf hashes (the RFC definition), so proofs
 * made from it do not depend on the store's layout. */
struct mem_tree {
	uint8_t (*leaf)[H];
	uint64_t n;
};

static void
ref_mth(const struct mem_tree *t, uint64_t begin, uint64_t end, uint8_t out[H])
{
	uint8_t l[H], r[H];
	uint64_t n = end - begin, k = 1;

	if (n == 0) {
		merkle_hash_empty(out);
		return;
	}
	if (n == 1) {
		memcpy(out, t->leaf[begin], H);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	ref_mth(t, begin, begin + k, l);
	ref_mth(t, begin + k, end, r);
	merkle_hash_node(l, r, out);
}

static gpg_error_t
mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	const struct mem_tree *t = ctx;
	uint64_t begin = index << level, end = (index + 1) << level;

	if (end > t->n)
		return gpg_error(GPG_ERR_INV_ARG);
	ref_mth(t, begin, end, out);
	return 0;
}

static struct mem_tree ct_tree;

static void
ct_tree_make(void)
{
	uint8_t data[16];

	ct_tree.n = 8;
	ct_tree.leaf = calloc(8, H);
	assert_non_null(ct_tree.leaf);
	for (int i = 0; i < 8; i++) {
		size_t len = strlen(ct_leaves[i]) / 2;

		dh(ct_leaves[i], data, len);
		merkle_hash_leaf(data, len, ct_tree.leaf[i]);
	}
}

/* ---- A temporary folder for store files. */
static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tmerkleXXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	ct_tree_make();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	free(ct_tree.leaf);
	return system(cmd) == 0 ? 0 : -1;
}

static void
tmp_path(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
	unlink(out);
}

static struct merkle_store *
store_of(const struct mem_tree *t, const char *name)
{
	struct merkle_store *s = NULL;
	char path[128];

	tmp_path(path, sizeof(path), name);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CREATE, &s), 0);
	for (uint64_t i = 0; i < t->n; i++)
		assert_int_equal(merkle_store_append(s, t->leaf[i]), 0);
	return s;
}

/* ---- Vectors. */

static void
test_ct_roots(void **state)
{
	struct merkle_state st;
	uint8_t want[H], got[H];
	struct merkle_store *s;

	(void)state;
	merkle_state_init(&st);
	merkle_state_root(&st, got);
	dh(ct_empty, want, H);
	assert_memory_equal(got, want, H);
	s = store_of(&ct_tree, "ct.mh");
	for (int n = 1; n <= 8; n++) {
		assert_int_equal(merkle_state_append(&st, ct_tree.leaf[n - 1], NULL, NULL), 0);
		dh(ct_roots[n - 1], want, H);
		merkle_state_root(&st, got);
		assert_memory_equal(got, want, H);
		assert_int_equal(merkle_store_root(s, (uint64_t)n, got), 0);
		assert_memory_equal(got, want, H);
	}
	assert_int_equal(merkle_store_root(s, 0, got), 0);
	dh(ct_empty, want, H);
	assert_memory_equal(got, want, H);
	merkle_store_close(s);
}

static void
proof_of(const struct ct_proof *v, uint8_t proof[MERKLE_MAX_PROOF][H])
{
	for (size_t i = 0; i < v->n; i++)
		dh(v->hash[i], proof[i], H);
}

/* The corruptions of verify_test.go's corruptInclusionProof. */
static void
inclusion_probes(const uint8_t leaf[H], uint64_t index, uint64_t size, uint8_t proof[MERKLE_MAX_PROOF][H],
                 size_t n, const uint8_t root[H])
{
	uint8_t bad[MERKLE_MAX_PROOF + 1][H], other[H], empty[H];
	const char *why = NULL;

	merkle_hash_empty(empty);
	dh(some_hash, other, H);
	assert_int_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])proof, n, root, &why), 0);
	if (index > 0)
		assert_int_not_equal(merkle_verify_inclusion(leaf, index - 1, size, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index + 1, size, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index ^ 2, size, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size * 2, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size / 2, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(other, index, size, (const uint8_t (*)[H])proof, n, root, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])proof, n, empty, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])proof, n, other, NULL), 0);
	/* A hash added at the end or the front, one removed, one inserted. */
	memcpy(bad, proof, n * H);
	memcpy(bad[n], root, H);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])bad, n + 1, root, NULL), 0);
	memcpy(bad[0], root, H);
	memcpy(bad[1], proof, n * H);
	assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])bad, n + 1, root, NULL), 0);
	if (n > 0)
		assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])proof, n - 1, root, &why), 0);
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, proof, n * H);
		bad[i][0] ^= 8;
		assert_int_not_equal(merkle_verify_inclusion(leaf, index, size, (const uint8_t (*)[H])bad, n, root, NULL), 0);
	}
}

static void
test_ct_inclusion(void **state)
{
	uint8_t want[MERKLE_MAX_PROOF][H], got[MERKLE_MAX_PROOF][H], root[H];
	struct merkle_nodes mem = { mem_get, &ct_tree, 8 }, disk;
	struct merkle_store *s = store_of(&ct_tree, "ct-incl.mh");
	size_t n;

	(void)state;
	merkle_store_nodes(s, &disk);
	for (size_t v = 0; v < sizeof(ct_inclusion) / sizeof(ct_inclusion[0]); v++) {
		const struct ct_proof *p = &ct_inclusion[v];

		proof_of(p, want);
		assert_int_equal(merkle_prove_inclusion(&mem, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		assert_memory_equal(got, want, n * H);
		assert_int_equal(merkle_prove_inclusion(&disk, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		assert_memory_equal(got, want, n * H);
		dh(ct_roots[p->b - 1], root, H);
		inclusion_probes(ct_tree.leaf[p->a], p->a, p->b, want, p->n, root);
	}
	merkle_store_close(s);
}

static void
consistency_probes(uint64_t m, uint64_t size, const uint8_t r1[H], const uint8_t r2[H],
                   uint8_t proof[MERKLE_MAX_PROOF][H], size_t n)
{
	uint8_t bad[MERKLE_MAX_PROOF + 1][H], other[H];
	const uint8_t (*p)[H] = (const uint8_t (*)[H])proof;

	dh(some_hash, other, H);
	assert_int_equal(merkle_verify_consistency(m, size, r1, r2, p, n, NULL), 0);
	if (n == 0)
		return;
	assert_int_not_equal(merkle_verify_consistency(m - 1, size, r1, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m + 1, size, r1, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m ^ 2, size, r1, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size * 2, r1, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size / 2, r1, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size, other, r2, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, other, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size, r2, r1, p, n, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, p, 0, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, p, n - 1, NULL), 0);
	memcpy(bad, proof, n * H);
	memcpy(bad[n], r2, H);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, (const uint8_t (*)[H])bad, n + 1, NULL), 0);
	memcpy(bad[0], r1, H);
	memcpy(bad[1], proof, n * H);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, (const uint8_t (*)[H])bad, n + 1, NULL), 0);
	memcpy(bad[0], proof[0], H);
	assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, (const uint8_t (*)[H])bad, n + 1, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, proof, n * H);
		bad[i][0] ^= 16;
		assert_int_not_equal(merkle_verify_consistency(m, size, r1, r2, (const uint8_t (*)[H])bad, n, NULL), 0);
	}
}

static void
test_ct_consistency(void **state)
{
	uint8_t want[MERKLE_MAX_PROOF][H], got[MERKLE_MAX_PROOF][H], r1[H], r2[H];
	struct merkle_nodes mem = { mem_get, &ct_tree, 8 }, disk;
	struct merkle_store *s = store_of(&ct_tree, "ct-cons.mh");
	size_t n;

	(void)state;
	merkle_store_nodes(s, &disk);
	for (size_t v = 0; v < sizeof(ct_consistency) / sizeof(ct_consistency[0]); v++) {
		const struct ct_proof *p = &ct_consistency[v];

		proof_of(p, want);
		assert_int_equal(merkle_prove_consistency(&mem, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		assert_memory_equal(got, want, n * H);
		assert_int_equal(merkle_prove_consistency(&disk, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		assert_memory_equal(got, want, n * H);
		dh(ct_roots[p->a - 1], r1, H);
		dh(ct_roots[p->b - 1], r2, H);
		consistency_probes(p->a, p->b, r1, r2, want, p->n);
	}
	merkle_store_close(s);
}

/* verify_test.go's TestVerifyInclusionSingleEntry and TestVerifyConsistency
 * edge cases (size 0: we also require the first root to be the empty
 * tree's, where they accept any). */
static void
test_edges(void **state)
{
	uint8_t leaf[H], other[H], empty[H], r1[H], r2[H], proof[1][H];
	const char *why = NULL;

	(void)state;
	merkle_hash_leaf("data", 4, leaf);
	merkle_hash_empty(empty);
	dh(some_hash, other, H);
	memset(r1, 1, H);
	memset(r2, 2, H);
	memcpy(proof[0], empty, H);
	assert_int_equal(merkle_verify_inclusion(leaf, 0, 1, NULL, 0, leaf, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(leaf, 0, 1, NULL, 0, other, NULL), 0);
	assert_int_equal(gpg_err_code(merkle_verify_inclusion(other, 0, 0, NULL, 0, empty, &why)), GPG_ERR_INV_ARG);
	assert_string_equal(why, "leaf index not below the tree size");
	assert_int_not_equal(merkle_verify_inclusion(other, 1, 0, NULL, 0, empty, NULL), 0);
	assert_int_not_equal(merkle_verify_inclusion(other, 2, 1, NULL, 0, empty, NULL), 0);

	assert_int_not_equal(merkle_verify_consistency(0, 0, r1, r2, NULL, 0, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(1, 1, r1, r2, NULL, 0, NULL), 0);
	assert_int_equal(merkle_verify_consistency(0, 0, empty, empty, NULL, 0, NULL), 0);
	assert_int_equal(merkle_verify_consistency(0, 1, empty, r2, NULL, 0, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(0, 1, r1, r2, NULL, 0, NULL), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, r2, r2, NULL, 0, NULL), 0);
	assert_int_equal(gpg_err_code(merkle_verify_consistency(1, 0, r1, r2, NULL, 0, NULL)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(merkle_verify_consistency(2, 1, r1, r2, NULL, 0, NULL)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(merkle_verify_consistency(1, 2, r1, r2, NULL, 0, &why)), GPG_ERR_BAD_DATA);
	assert_string_equal(why, "proof empty");
	assert_int_not_equal(merkle_verify_consistency(0, 0, empty, empty, (const uint8_t (*)[H])proof, 1, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(0, 1, empty, empty, (const uint8_t (*)[H])proof, 1, NULL), 0);
	assert_int_not_equal(merkle_verify_consistency(1, 1, empty, empty, (const uint8_t (*)[H])proof, 1, NULL), 0);
}

/* Limits: sizes and proof lengths past them are refused unread. */
static void
test_limits(void **state)
{
	struct merkle_state st;
	uint8_t leaf[H] = { 0 }, proof[MERKLE_MAX_PROOF + 1][H];
	const char *why = NULL;

	(void)state;
	memset(proof, 0, sizeof(proof));
	merkle_state_init(&st);
	st.size = MERKLE_MAX_SIZE;
	assert_int_equal(gpg_err_code(merkle_state_append(&st, leaf, NULL, NULL)), GPG_ERR_TOO_LARGE);
	assert_int_equal(st.size, MERKLE_MAX_SIZE);
	assert_int_equal(gpg_err_code(merkle_verify_inclusion(leaf, 0, MERKLE_MAX_SIZE + 1,
	                 (const uint8_t (*)[H])proof, 1, leaf, &why)), GPG_ERR_INV_ARG);
	assert_string_equal(why, "tree size over the limit");
	assert_int_equal(gpg_err_code(merkle_verify_inclusion(leaf, 0, MERKLE_MAX_SIZE,
	                 (const uint8_t (*)[H])proof, MERKLE_MAX_PROOF + 1, leaf, NULL)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(merkle_verify_consistency(1, UINT64_MAX, leaf, leaf,
	                 (const uint8_t (*)[H])proof, 1, NULL)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(merkle_verify_consistency(3, MERKLE_MAX_SIZE, leaf, leaf,
	                 (const uint8_t (*)[H])proof, MERKLE_MAX_PROOF + 1, NULL)), GPG_ERR_INV_ARG);
	/* The largest tree verifies proofs of its real length without overflow. */
	assert_int_equal(gpg_err_code(merkle_verify_inclusion(leaf, 0, MERKLE_MAX_SIZE,
	                 (const uint8_t (*)[H])proof, MERKLE_MAX_LEVELS, leaf, &why)), GPG_ERR_BAD_DATA);
	assert_string_equal(why, "proof leads to another root");
}

/* ---- State encoding. */

static void
test_state_encoding(void **state)
{
	struct merkle_state st, back;
	uint8_t buf[MERKLE_STATE_MAX_ENC + 1];
	size_t len;
	const char *why = NULL;

	(void)state;
	merkle_state_init(&st);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(merkle_state_encode(&st, buf, sizeof(buf), &len), 0);
		assert_int_equal(merkle_state_decode(buf, len, &back, NULL), 0);
		assert_memory_equal(&st, &back, sizeof(st));
		assert_int_equal(merkle_state_append(&st, ct_tree.leaf[i], NULL, NULL), 0);
	}
	/* size 8: one hash, the root. */
	assert_int_equal(merkle_state_encode(&st, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16 + H);
	assert_memory_equal(buf, "SGMKST01\0\0\0\0\0\0\0\x08", 16);
	assert_int_equal(gpg_err_code(merkle_state_encode(&st, buf, len - 1, &len)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(merkle_state_encode(&st, buf, sizeof(buf), &len), 0);
	assert_int_equal(gpg_err_code(merkle_state_decode(buf, len - 1, &back, &why)), GPG_ERR_INV_DATA);
	assert_string_equal(why, "length does not match the tree size (truncated or trailing bytes)");
	assert_int_equal(back.size, 0);
	assert_int_equal(gpg_err_code(merkle_state_decode(buf, len + 1, &back, NULL)), GPG_ERR_INV_DATA);
	buf[0] = 'X';
	assert_int_equal(gpg_err_code(merkle_state_decode(buf, len, &back, NULL)), GPG_ERR_INV_DATA);
	buf[0] = 'S';
	buf[9] = 0xff;   /* size 2^48 + 8 */
	assert_int_equal(gpg_err_code(merkle_state_decode(buf, len, &back, &why)), GPG_ERR_INV_DATA);
	assert_string_equal(why, "tree size over the limit");
	assert_int_equal(gpg_err_code(merkle_state_decode(buf, 3, &back, NULL)), GPG_ERR_INV_DATA);
}

/* ---- The store on disk. */

static void
test_store_reopen(void **state)
{
	struct merkle_store *s;
	struct merkle_state st;
	char path[128];
	uint8_t a[H], b[H];
	struct stat sb;

	(void)state;
	tmp_path(path, sizeof(path), "reopen.mh");
	merkle_state_init(&st);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CREATE, &s), 0);
	for (uint64_t n = 0; n < 300; n++) {
		merkle_store_close(s);
		assert_int_equal(merkle_store_open(path, 0, &s), 0);
		assert_int_equal(merkle_store_size(s), n);
		assert_memory_equal(merkle_store_state(s), &st, sizeof(st));
		merkle_hash_leaf(&n, sizeof(n), a);
		assert_int_equal(merkle_state_append(&st, a, NULL, NULL), 0);
		assert_int_equal(merkle_store_append(s, a), 0);
	}
	assert_int_equal(merkle_store_sync(s), 0);
	merkle_store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 8 + (2 * 300 - __builtin_popcount(300)) * H);
	assert_int_equal(merkle_store_open(path, 0, &s), 0);
	merkle_state_root(&st, a);
	assert_int_equal(merkle_store_root(s, 300, b), 0);
	assert_memory_equal(a, b, H);
	assert_int_equal(gpg_err_code(merkle_store_root(s, 301, b)), GPG_ERR_INV_ARG);
	merkle_store_close(s);
}

static void
append_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "ab");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_store_damage(void **state)
{
	struct merkle_store *s = NULL;
	char path[128], link[128];
	uint8_t junk[3 * H];
	struct stat sb;

	(void)state;
	memset(junk, 0xaa, sizeof(junk));
	merkle_store_close(store_of(&ct_tree, "torn.mh"));
	tmp_path(path, sizeof(path), "torn.mh");
	s = store_of(&ct_tree, "torn.mh");
	merkle_store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	/* Torn appends: part of a hash, and whole hashes short of a leaf (leaf
	 * 8 writes the leaf hash only; leaf 9 three hashes). */
	append_bytes(path, junk, 5);
	assert_int_equal(gpg_err_code(merkle_store_open(path, 0, &s)), GPG_ERR_INV_DATA);
	assert_null(s);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CUT_TORN, &s), 0);
	assert_int_equal(merkle_store_size(s), 8);
	merkle_store_close(s);
	append_bytes(path, junk, 2 * H);    /* leaf 8 whole, half of leaf 9 */
	assert_int_equal(gpg_err_code(merkle_store_open(path, 0, &s)), GPG_ERR_INV_DATA);
	assert_int_equal(merkle_store_open(path, MERKLE_STORE_CUT_TORN, &s), 0);
	assert_int_equal(merkle_store_size(s), 9);
	merkle_store_close(s);

	/* Not a store; a symlink; not a regular file; missing without CREATE. */
	tmp_path(path, sizeof(path), "notastore");
	append_bytes(path, "SGMKHS02", 8);
	assert_int_equal(gpg_err_code(merkle_store_open(path, 0, &s)), GPG_ERR_INV_DATA);
	tmp_path(link, sizeof(link), "link.mh");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(gpg_err_code(merkle_store_open(link, MERKLE_STORE_CREATE, &s)), GPG_ERR_ELOOP);
	assert_int_not_equal(merkle_store_open(tmpdir, 0, &s), 0);
	tmp_path(path, sizeof(path), "missing.mh");
	assert_int_equal(gpg_err_code(merkle_store_open(path, 0, &s)), GPG_ERR_ENOENT);
	assert_null(s);
}

/* doc/audit-format.md §2 pinned on the writer: audit_encode's line for a
 * record with every kind of character is exactly what the rules say
 * (sorted keys, no spaces, named escapes, \u00XX for other controls,
 * uppercase \uXXXX and surrogate pairs, raw DEL and '/', non-UTF-8 bytes
 * as \\xNN).  tests/tools/auditverify.py accepts the same line as
 * canonical.  If jansson ever writes otherwise, this fails first. */
static void
test_canonical_line(void **state)
{
	static const uint8_t digest[] = { 0xde, 0xad };
	static const char want[] =
	    "{\"by\":\"bad\\\\xff\",\"count\":3,\"digest\":\"dead\",\"event\":\"deny\",\"hash\":\"sha256\","
	    "\"pid\":42,\"project\":\"p/x\",\"reason\":\"tab\\there \\\"q\\\" back\\\\slash nl\\n cr\\r "
	    "bs\\b ff\\f c1\\u0001 del\x7f\",\"request\":7,\"seq\":12,"
	    "\"time\":\"2025-11-24T16:00:00.123456Z\",\"uid\":1000,"
	    "\"user\":\"ren\\u00E9\\uD83D\\uDE00\",\"v\":1}";
	struct audit_event ev;
	char *line = NULL;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.has_requester = 1;
	ev.uid = 1000;
	ev.user = "ren\xc3\xa9\xf0\x9f\x98\x80";
	ev.pid = 42;
	ev.project = "p/x";
	ev.reason = "tab\there \"q\" back\\slash nl\n cr\r bs\b ff\f c1\x01 del\x7f";
	ev.by = "bad\xff";
	ev.hash = "sha256";
	ev.digest = digest;
	ev.digest_len = sizeof(digest);
	ev.count = 3;
	ev.request = 7;
	assert_int_equal(audit_encode(&ev, 12, INT64_C(1764000000123456), &line), 0);
	assert_string_equal(line, want);
	free(line);
}

/* ---- Properties on random trees. */

static uint64_t rng = 0x5157a11ce5eedULL;

static uint64_t
rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static struct mem_tree
random_tree(uint64_t n)
{
	struct mem_tree t = { calloc(n, H), n };
	uint8_t data[100];

	assert_non_null(t.leaf);
	for (uint64_t i = 0; i < n; i++) {
		size_t len = rnd() % sizeof(data);

		for (size_t j = 0; j < len; j++)
			data[j] = (uint8_t)rnd();
		merkle_hash_leaf(data, len, t.leaf[i]);
	}
	return t;
}

/* RFC 9162 §2.1.3.1's descent to leaf M of a tree of N leaves: the
 * sequence of left (0) / right (1) turns.  Equal sequences mean the same
 * proof verifies for both sizes. */
static uint64_t
path_shape(uint64_t m, uint64_t n)
{
	uint64_t shape = 1;

	while (n > 1) {
		uint64_t k = 1;

		while (k * 2 < n)
			k *= 2;
		shape <<= 1;
		if (m >= k) {
			shape |= 1;
			m -= k;
			n -= k;
		} else
			n = k;
	}
	return shape;
}

static void
check_inclusion(struct merkle_nodes *src, const struct mem_tree *t, uint64_t i, uint64_t n,
                const uint8_t root[H])
{
	uint8_t proof[MERKLE_MAX_PROOF][H], bad[H], leaf[H];
	const uint8_t (*p)[H] = (const uint8_t (*)[H])proof;
	size_t len;
	unsigned bit;

	assert_int_equal(merkle_prove_inclusion(src, i, n, proof, &len), 0);
	assert_int_equal(merkle_verify_inclusion(t->leaf[i], i, n, p, len, root, NULL), 0);
	bit = (unsigned)(rnd() % (H * 8));
	memcpy(bad, root, H);
	bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_int_not_equal(merkle_verify_inclusion(t->leaf[i], i, n, p, len, bad, NULL), 0);
	memcpy(leaf, t->leaf[i], H);
	leaf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_int_not_equal(merkle_verify_inclusion(leaf, i, n, p, len, root, NULL), 0);
	for (size_t k = 0; k < len; k++) {
		bit = (unsigned)(rnd() % (H * 8));
		proof[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(merkle_verify_inclusion(t->leaf[i], i, n, p, len, root, NULL), 0);
		proof[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (bit = 0; bit < 64; bit++) {
		uint64_t i2 = i ^ (UINT64_C(1) << bit), n2 = n ^ (UINT64_C(1) << bit);

		assert_int_not_equal(merkle_verify_inclusion(t->leaf[i], i2, n, p, len, root, NULL), 0);
		if (merkle_verify_inclusion(t->leaf[i], i, n2, p, len, root, NULL) == 0)
			assert_true(i < n2 && path_shape(i, n2) == path_shape(i, n));
	}
}

static void
check_consistency(struct merkle_nodes *src, uint64_t m, uint64_t n, const uint8_t r1[H],
                  const uint8_t r2[H])
{
	uint8_t proof[MERKLE_MAX_PROOF][H], bad[H];
	const uint8_t (*p)[H] = (const uint8_t (*)[H])proof;
	size_t len;
	unsigned bit;

	assert_int_equal(merkle_prove_consistency(src, m, n, proof, &len), 0);
	assert_int_equal(merkle_verify_consistency(m, n, r1, r2, p, len, NULL), 0);
	bit = (unsigned)(rnd() % (H * 8));
	memcpy(bad, r1, H);
	bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_int_not_equal(merkle_verify_consistency(m, n, bad, r2, p, len, NULL), 0);
	/* Every tree extends the empty one: nothing binds the second root. */
	memcpy(bad, r2, H);
	bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	if (m > 0)
		assert_int_not_equal(merkle_verify_consistency(m, n, r1, bad, p, len, NULL), 0);
	for (size_t k = 0; k < len; k++) {
		bit = (unsigned)(rnd() % (H * 8));
		proof[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(merkle_verify_consistency(m, n, r1, r2, p, len, NULL), 0);
		proof[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Another first size with the same roots: the first root is the
	 * root of M leaves, never of M'. */
	for (bit = 0; bit < 64 && m > 0 && m < n; bit++)
		assert_int_not_equal(merkle_verify_consistency(m ^ (UINT64_C(1) << bit), n, r1, r2, p, len, NULL), 0);
}

static void
test_random_trees(void **state)
{
	struct mem_tree t = random_tree(PROP_LEAVES);
	struct merkle_store *s = store_of(&t, "random.mh");
	struct merkle_state st;
	struct merkle_nodes src;
	uint8_t (*root)[H] = calloc(PROP_LEAVES + 1, H), got[H];
	uint64_t n, i, m;

	(void)state;
	assert_non_null(root);
	merkle_store_nodes(s, &src);
	/* Every prefix root three ways: RFC recursion, frontier, store. */
	merkle_state_init(&st);
	for (n = 0; n <= PROP_LEAVES; n++) {
		ref_mth(&t, 0, n, root[n]);
		merkle_state_root(&st, got);
		assert_memory_equal(got, root[n], H);
		assert_int_equal(merkle_store_root(s, n, got), 0);
		assert_memory_equal(got, root[n], H);
		if (n < PROP_LEAVES)
			assert_int_equal(merkle_state_append(&st, t.leaf[n], NULL, NULL), 0);
	}
	for (n = 1; n <= SMALL; n++) {
		for (i = 0; i < n; i++)
			check_inclusion(&src, &t, i, n, root[n]);
		for (m = 0; m <= n; m++)
			check_consistency(&src, m, n, root[m], root[n]);
	}
	for (i = 0; i < PROP_LEAVES; i++)
		check_inclusion(&src, &t, i, PROP_LEAVES, root[PROP_LEAVES]);
	for (m = 0; m <= PROP_LEAVES; m++)
		check_consistency(&src, m, PROP_LEAVES, root[m], root[PROP_LEAVES]);
	for (int k = 0; k < 3000; k++) {
		n = 1 + rnd() % PROP_LEAVES;
		i = rnd() % n;
		m = rnd() % (n + 1);
		check_inclusion(&src, &t, i, n, root[n]);
		check_consistency(&src, m, n, root[m], root[n]);
	}
	/* Out of range requests. */
	{
		uint8_t proof[MERKLE_MAX_PROOF][H];
		size_t len;

		assert_int_equal(gpg_err_code(merkle_prove_inclusion(&src, 5, 5, proof, &len)), GPG_ERR_INV_ARG);
		assert_int_equal(gpg_err_code(merkle_prove_inclusion(&src, 0, PROP_LEAVES + 1, proof, &len)),
		                 GPG_ERR_INV_ARG);
		assert_int_equal(gpg_err_code(merkle_prove_consistency(&src, 6, 5, proof, &len)), GPG_ERR_INV_ARG);
		assert_int_equal(gpg_err_code(merkle_range_hash(&src, 1, 4, got)), GPG_ERR_INV_ARG);
		assert_int_equal(gpg_err_code(merkle_range_hash(&src, 3, 3, got)), GPG_ERR_INV_ARG);
	}
	merkle_store_close(s);
	free(root);
	free(t.leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_roots),
		cmocka_unit_test(test_ct_inclusion),
		cmocka_unit_test(test_ct_consistency),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_state_encoding),
		cmocka_unit_test(test_store_reopen),
		cmocka_unit_test(test_store_damage),
		cmocka_unit_test(test_canonical_line),
		cmocka_unit_test(test_random_trees),
	};

	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
